"""The per-leg cache (msrsim.campaign.legcache): each leg reads only the scenario values it
declares, and an edit re-flies exactly the legs downstream of what it changed."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import pytest
from scenario_reads import covered, recording

from msrsim.campaign import cache, legcache, nominal
from msrsim.campaign import schedule as planner
from msrsim.campaign.cache import read_entry, write_entry
from msrsim.campaign.legcache import LEG_INPUTS, downstream_of, leg_keys, leg_path, upstream_of
from msrsim.campaign.plan import JUDGED_AFTER_FLIGHT, PLANS
from msrsim.scenario import load_scenario

ALL = set(LEG_INPUTS)


@dataclass(frozen=True)
class FakePlan:
    """A leg's coupled plan in shape (``columns``, ``fly``), made by a counted fake."""

    name: str
    upstream: tuple
    columns = {}

    def __getitem__(self, index):
        return self.name

    def fly(self, table) -> None:
        raise AssertionError("a fake plan is not flown")


SWITCHED_OFF = {
    "surface.power": ("surface.power.source", "none"),
    "surface.acquisition": ("surface.acquisition.scoop_samples", 0),
    "surface.relay": ("surface.relay.enabled", False),
    "srl.edl.constant_velocity": ("srl.edl.terminal_descent", "gravity_turn"),
    "srl.edl.descent_isp": ("srl.edl.terminal_descent", "gravity_turn"),
    "srl.edl.descent_propellant": ("srl.edl.terminal_descent", "gravity_turn"),
    "srl.edl.descent_thrust": ("srl.edl.terminal_descent", "gravity_turn"),
    "srl.edl.final_": ("srl.edl.terminal_descent", "gravity_turn"),
    "srl.edl.touchdown_height": ("srl.edl.terminal_descent", "gravity_turn"),
    "srl.edl.touchdown_speed_sigma": ("srl.edl.terminal_descent", "gravity_turn"),
    "srl.edl.parachute_range_": ("srl.edl.parachute_trigger", "speed"),
    "srl.edl.balance_jettison": ("srl.edl.balance_mass_kg", 0.0),
    "ero.chemical_": ("ero.cruise_propulsion", "electric"),
}
"""Values the baseline never reads because the feature they belong to is off there (by
the switch that the leg does read): declared for the scenarios that turn it on, so not
"stale" on the baseline. Every leaf's prefix -> (the switch, its value when off)."""


def _switched_off(leaf: str, scenario) -> bool:
    for prefix, (switch, off) in SWITCHED_OFF.items():
        if leaf.startswith(prefix) and leaf != switch:
            value = scenario
            for part in switch.split("."):
                value = getattr(value, part)
            return value == off
    return False


def test_each_leg_reads_only_its_declared_inputs(monkeypatch):
    """Fly the schedule and every leg of the baseline afresh with every scenario value they
    read recorded: each read must be declared by the leg or by an entry upstream of it (whose
    key its own key holds). The entries are stored as usual, and read back equal."""
    scenario = load_scenario()
    reads: dict[str, set[str]] = {}
    store = legcache.cached_leg

    def recorded(name, key, compute, valid, **options):
        def flown():
            with recording(scenario) as seen:
                value = compute()
            reads[name] = seen
            return value

        return store(name, key, flown, valid, **options)

    monkeypatch.setattr(legcache, "cached_leg", recorded)
    monkeypatch.setattr(nominal, "cached_leg", recorded)
    flown = nominal.nominal_legs(scenario, use_cache=False)
    assert set(reads) == ALL
    undeclared = {}
    for name, seen in reads.items():
        declared = [p for u in upstream_of(name) for p in LEG_INPUTS[u].reads]
        extra = sorted(p for p in seen if not covered(p, declared))
        if extra:
            undeclared[name] = extra
    assert not undeclared, f"legs read values they do not declare: {undeclared}"
    leaves = [path for path, _, _ in scenario.leaves()]
    unread = {}
    for name, seen in reads.items():
        upstream = [p for u in upstream_of(name) - {name} for p in LEG_INPUTS[u].reads]
        stale = sorted(
            leaf
            for leaf in leaves
            if covered(leaf, LEG_INPUTS[name].reads)
            and not covered(leaf, seen)
            and not covered(leaf, upstream)
            and not _switched_off(leaf, scenario)
        )
        if stale:
            unread[name] = stale
    assert not unread, f"legs declare values they do not read: {unread}"
    assert reads["edl"], "the recorder saw no read at all"

    monkeypatch.undo()  # read back from the cache: the same results
    again = nominal.nominal_legs(scenario)
    for name in nominal.FLIGHTS:
        assert pickle.dumps(again[name][:2]) == pickle.dumps(flown[name][:2]), name


def test_the_recorder_sees_a_read_and_a_whole_section():
    scenario = load_scenario()
    with recording(scenario) as reads:
        scenario.srl.edl.parachute_max_mach  # noqa: B018
        scenario.surface.depot.model_dump()
    assert reads == {"srl.edl.parachute_max_mach", "surface.depot"}
    assert covered("surface.depot.latitude_deg", ["surface"])
    assert not covered("surface_x", ["surface"])


@pytest.fixture
def counted(monkeypatch, tmp_path):
    """Every flight (the schedule's planner and each leg) replaced by a cheap counted one,
    with an empty cache: ``counted`` is the list of the entries flown, in order."""
    monkeypatch.setenv("MSRSIM_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(planner, "_MEMO", {})
    monkeypatch.setattr(planner, "Schedule", tuple)  # the fake schedule's type
    log: list[str] = []

    def plan(inputs, progress):
        log.append("schedule")
        return ("schedule",)

    monkeypatch.setattr(planner, "_plan", plan)

    def period(scenario):
        log.append("launch_period")
        return ("launch_period", "its provenance")

    monkeypatch.setattr(nominal, "srl_launch_period", period)
    for name in nominal.FLIGHTS | PLANS:
        table = nominal.FLIGHTS if name in nominal.FLIGHTS else PLANS

        def fly(scenario, *upstream, _name=name, _plan=table is PLANS):
            log.append(_name)
            made = tuple(u[0] for u in upstream)
            return FakePlan(_name, made) if _plan else (_name, (), made)

        monkeypatch.setitem(table, name, fly)
    return log


RELAY = {"edl", "surface", "ascent", "rendezvous"}
SRL = {"launch_period", "windows", "edl", "plan_launch", "plan_srl_edl"}  # the schedule's
# rule 1 alone, and what takes it
EDITS = [
    ("reliability.srl_edl_success", 0.9, set()),
    ("reliability.mav_success", 0.9, set()),
    ("scenario.name", "renamed", set()),
    ("campaign.trials", 123, set()),
    ("reliability.srl_launch_scrub_probability", 0.3, {"plan_launch"}),
    ("schedule.min_surface_sols", 200, ALL - SRL),
    ("schedule.srl_arrival_excluded_ls_deg", [100.0, 200.0], ALL),
    ("ero.xenon_load_kg", 3100.0, ALL - SRL),
    ("srl.edl.parachute_max_mach", 2.3, RELAY | {"plan_srl_edl"}),
    ("srl.edl.trials", 77, RELAY),
    ("perseverance.fails_at_landing", True, {"surface", "ascent", "rendezvous", "plan_surface"}),
    ("mav.trials", 77, {"ascent", "rendezvous"}),
    ("mav.launch_local_time_tolerance_h", 0.25, {"plan_ascent"}),
    ("rendezvous.trials", 77, {"rendezvous"}),
    ("rendezvous.detection_range_km", 500.0, {"rendezvous", "plan_rendezvous"}),
    ("containment.trials", 77, {"rendezvous"}),
    ("containment.operations_days", 20.0, {"plan_return", "plan_rendezvous"}),
    ("ees.footprint_trials", 77, {"return"}),
    ("ees.mass_kg", 90.0, {"return", "plan_entry"}),
    ("ero.divert_delay_hours", 5.0, {"return"}),
    ("earth_return.max_revs", 2, {"windows"} | RELAY),
    ("scenario.seed", 7, RELAY | {"return"}),
]


@pytest.mark.parametrize(("path", "value", "flown"), EDITS, ids=[e[0] for e in EDITS])
def test_an_edit_reflies_exactly_the_legs_downstream_of_it(counted, path, value, flown):
    base = load_scenario()
    nominal.nominal_legs(base)
    assert sorted(counted) == sorted(ALL)
    counted.clear()
    edited = load_scenario(overrides={path: value})
    assert getattr(*edited.locate(path)) != getattr(*base.locate(path))
    legs = nominal.nominal_legs(edited)
    assert set(counted) == flown and len(counted) == len(flown)
    assert legs["rendezvous"][2] == ("schedule", "ero", "ascent")  # the declared hand-offs
    counted.clear()
    nominal.nominal_legs(edited)
    assert counted == []


def test_downstream_of_follows_the_hand_offs():
    assert downstream_of({"edl"}) == {"edl", "surface", "ascent", "rendezvous"}
    assert downstream_of({"ero"}) == {"ero", "rendezvous", "return"}
    assert downstream_of({"schedule"}) == ALL - SRL
    assert downstream_of({"launch_period"}) == SRL | RELAY
    assert downstream_of({"plan_return"}) == {"plan_return", "plan_rendezvous"}
    assert upstream_of("ascent") == {
        "ascent",
        "schedule",
        "surface",
        "launch_period",
        "windows",
        "edl",
    }


def test_a_damaged_or_wrong_shape_entry_is_flown_again_alone(counted):
    scenario = load_scenario()
    nominal.nominal_legs(scenario)
    keys = leg_keys(scenario)
    edl = leg_path("edl", keys["edl"])
    data = bytearray(edl.read_bytes())
    data[-3] ^= 0xFF
    edl.write_bytes(bytes(data))  # damaged: fails its checksum
    assert read_entry(edl, keys["edl"]) is None
    for name, wrong in (("surface", 42), ("ascent", ("a", "b")), ("plan_entry", (1, 2, 3))):
        write_entry(leg_path(name, keys[name]), pickle.dumps(wrong), keys[name])  # a valid
        # record, a wrong shape
    counted.clear()
    nominal.nominal_legs(scenario)
    assert sorted(counted) == ["ascent", "edl", "plan_entry", "surface"]


def test_a_leg_key_holds_its_values_its_hand_offs_and_the_code(monkeypatch):
    scenario = load_scenario()
    keys = leg_keys(scenario)
    assert leg_keys(scenario, "edl") == {k: keys[k] for k in ("launch_period", "windows", "edl")}
    monkeypatch.setattr(legcache, "__version__", "0.0.0-other")
    assert set(leg_keys(scenario).values()).isdisjoint(keys.values())
    monkeypatch.undo()
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "other code")
    assert set(leg_keys(scenario).values()).isdisjoint(keys.values())


def test_no_leg_reads_a_value_judged_after_flight():
    judged = {f"reliability.{name}" for name in JUDGED_AFTER_FLIGHT}
    declared = {path for inputs in LEG_INPUTS.values() for path in inputs.reads}
    assert not declared & judged
    assert "reliability" not in declared
