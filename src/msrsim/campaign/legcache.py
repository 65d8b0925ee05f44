"""Per-leg cache entries: each leg of the nominal relay, each leg's coupled plan and the
schedule keyed on exactly the scenario values it reads, the entries it consumes and the
code.

:data:`LEG_INPUTS` declares, for the schedule, each leg of the nominal relay
(:data:`msrsim.campaign.nominal.FLIGHTS`) and each leg's coupled plan
(:data:`msrsim.campaign.plan.PLANS`), the scenario values it reads (a section,
``"edl"``, stands for every value in it; a dotted path, ``"srl.launch_mass_kg"``, for one)
and the entries upstream of it whose results it takes (its hand-offs). A leg's key
(:func:`leg_keys`) is the SHA-256 of its name, the values of its declared inputs, the keys
of its upstream entries, the cache format, msrsim's version and the code fingerprint
(:func:`msrsim.campaign.cache.code_fingerprint`). The keys form a chain, so they are all
known before anything is flown: an edit of a value re-flies the legs that declare it and
every leg downstream of them, and no other; a value no leg declares (the reliability
figures judged after flight, :data:`msrsim.campaign.plan.JUDGED_AFTER_FLIGHT`, the
scenario's name, the campaign's trial count) re-flies none.

The declarations are checked, not trusted: ``tests/campaign/test_leg_cache.py`` flies
every entry on the baseline with each scenario value read recorded and fails if one reads
a value its declaration (or an upstream entry's) does not hold, or declares a value it
does not read.

:func:`cached_leg` keeps each entry as ``<cache dir>/legs/<name>/<key>.pickle`` with the
integrity record of :func:`msrsim.campaign.cache.write_entry` (checksum, size, key, code
fingerprint, written atomically); an entry that is missing, fails its record, or does not
unpickle to a value of the entry's shape is flown again. A process that misses an entry
another process is flying waits for it (:func:`msrsim.campaign.cache.entry_lock`) and
reads it, rather than fly it a second time.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_core import to_jsonable_python

from msrsim import __version__

__all__ = [
    "LEG_INPUTS",
    "LegInputs",
    "cached_leg",
    "downstream_of",
    "leg_keys",
    "leg_path",
    "upstream_of",
]


@dataclass(frozen=True)
class LegInputs:
    """What one cache entry is computed from."""

    reads: tuple[str, ...]
    """The scenario values it reads: sections (every value in them) or dotted paths."""
    upstream: tuple[str, ...] = ()
    """The entries whose results it takes (names in :data:`LEG_INPUTS`, listed before it)."""


def _in(section: str, *names: str) -> tuple[str, ...]:
    return tuple(f"{section}.{name}" for name in names)


def _but(section: str, *names: str) -> tuple[str, ...]:
    """Every value of ``section`` (a dotted path of tables) but ``names``."""
    from msrsim.scenario import Scenario

    model = Scenario
    for part in section.split("."):
        model = model.model_fields[part].annotation
    unknown = set(names) - set(model.model_fields)
    if unknown:
        raise KeyError(f"{section} has no {sorted(unknown)}")
    return _in(section, *(n for n in model.model_fields if n not in names))


_DIVERT = _in("ero", "divert_delay_hours", "divert_failure_probability",
              "divert_magnitude_sigma_fraction", "divert_perigee_altitude_km",
              "divert_pointing_sigma_deg")  # fmt: skip
_SURFACE = (
    "srl.target", "surface.depot", "surface.lander_checkout_sols", "surface.mav_preparation_sols",
    "surface.power", "surface.acquisition", "surface.relay",
    *_in("sample_transfer_arm", "time_per_tube_h", "working_time_per_sol_h"),
    *_but("helicopters", "flight_altitude_m", "mass_kg", "payload_kg"),
    *_in("orbiting_sample", "capacity_tubes", "helicopters_top_up", "include_witness_tubes",
         "priority_tubes"),
    *_in("perseverance", "anomaly_probability_per_sol", "anomaly_sols", "drive_m_per_sol",
         "drive_rate_sigma_fraction", "fails_at_landing", "failure_probability_per_sol",
         "landing_site.east_longitude_deg", "landing_utc", "route_tortuosity",
         "start_east_longitude_deg", "start_latitude_deg"),
)  # fmt: skip
_MAV = _in("mav", "diameter_m", "dispersions", "guidance", "launch_local_mean_solar_time_h",
           "min_perigee_altitude_km", "min_propellant_temperature_c", "payload_mass_kg", "srm1",
           "srm2", "stage1_structure_mass_kg", "stage2_structure_mass_kg", "toss")  # fmt: skip
_RENDEZVOUS = (
    *_but("rendezvous", "trials", "release_argument_of_latitude_deg", "release_node_deg"),
    "orbiting_sample.diameter_m",
)  # the representative release (the standalone command's) is not the campaign's
_EES = _but("ees", "footprint_trials", "entry_to_landing_s", "release_before_entry_days",
            "touchdown_speed_m_s", "landing_site_name", "parachute")  # fmt: skip

LEG_INPUTS: dict[str, LegInputs] = {
    # the schedule's rule 1 alone (msrsim.campaign.schedule.srl_launch_period): what the
    # SRL's launch and EDL (their legs and plans) take, so that an edit of the ERO or of
    # the later rules flies none of them again, and they can be flown while the ERO's
    # mission is planned
    "launch_period": LegInputs(
        (
            "srl_launch",
            "srl.launch_mass_kg",
            "schedule.srl_arrival_excluded_ls_deg",
            "surface.conjunction_elongation_deg",
        )
    ),
    # the planner's inputs (msrsim.campaign.schedule._Inputs; the planner reads no other)
    "schedule": LegInputs(
        (
            "srl_launch",
            "srl.launch_mass_kg",
            "schedule",
            "reliability.ero_extension_days",
            *_in("ero_launch", "arrival_earliest_utc", "arrival_latest_utc", "vehicle"),
            *(p for p in _but("ero", "mars_orbit_insertion_propulsion") if p not in _DIVERT),
            *_in("mav", "target_orbit_altitude_km", "target_orbit_inclination_deg"),
            *_in("rendezvous", "os_mass_kg", "search_orbit_altitude_offset_km"),
            "ees.entry_interface_altitude_km",
            *_in("surface", "conjunction_elongation_deg", "mav_launch_ls_deg"),
        )
    ),  # fmt: skip
    # the nominal relay's legs (msrsim.campaign.nominal.FLIGHTS)
    "windows": LegInputs(("earth_return", "ero_launch", "ero.launch_mass_kg"), ("launch_period",)),
    "ero": LegInputs((), ("schedule",)),
    "edl": LegInputs(
        (
            "scenario.seed",
            "srl.edl",
            "srl.target",
            "srl.landing_region",
            "srl_launch.max_revs",
            *_in("surface.depot", "latitude_deg", "east_longitude_deg"),
        ),
        ("windows",),
    ),  # fmt: skip
    "surface": LegInputs(("scenario.seed", "surface.trials", *_SURFACE), ("schedule", "edl")),
    "ascent": LegInputs(
        ("scenario.seed", "mav.trials", "mav.stages", "srl.edl.ground_altitude_m", *_MAV),
        ("schedule", "edl", "surface"),
    ),
    "rendezvous": LegInputs(
        (
            "scenario.seed",
            *_RENDEZVOUS,
            "rendezvous.trials",
            *_but("containment", "operations_days"),
            "ees.touchdown_speed_m_s",
        ),
        ("schedule", "ero", "ascent"),
    ),  # fmt: skip
    "return": LegInputs(
        (
            "scenario.seed",
            *_EES,
            "ees.footprint_trials",
            "ees.entry_to_landing_s",
            "ees.landing_site_name",
            "ees.release_before_entry_days",
            "ees.touchdown_speed_m_s",
            *_DIVERT,
        ),
        ("ero",),
    ),  # fmt: skip
    # the coupled campaign's plans (msrsim.campaign.plan.PLANS)
    "plan_launch": LegInputs(("reliability.srl_launch_scrub_probability",), ("launch_period",)),
    "plan_srl_edl": LegInputs(
        (*_but("srl.edl", "trials"), "srl.target", "srl.landing_region", "srl_launch.max_revs"),
        ("launch_period",),
    ),
    "plan_surface": LegInputs(_SURFACE, ("schedule",)),
    "plan_ascent": LegInputs(
        (
            *_MAV,
            "mav.stages",
            "mav.launch_local_time_tolerance_h",
            "srl.edl.ground_altitude_m",
            "srl.target",
        ),  # fmt: skip
        ("schedule",),
    ),
    "plan_return": LegInputs(("containment.operations_days",), ("schedule",)),
    "plan_rendezvous": LegInputs(_RENDEZVOUS, ("schedule", "plan_return")),
    "plan_entry": LegInputs(_EES, ("schedule",)),
}
"""Each entry's inputs, in an order where every entry comes after its upstream ones."""


def downstream_of(names) -> set[str]:
    """The entries in ``names`` and every entry that consumes one of them, transitively."""
    hit = set(names)
    for name, inputs in LEG_INPUTS.items():  # declared in relay order
        if hit.intersection(inputs.upstream):
            hit.add(name)
    return hit


def _value(scenario: Any, path: str) -> Any:
    value = scenario
    for part in path.split("."):
        value = getattr(value, part)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return to_jsonable_python(value)


def upstream_of(name: str) -> set[str]:
    """``name`` and every entry whose result it takes, transitively."""
    hit = {name}
    for entry in reversed(LEG_INPUTS):
        if entry in hit:
            hit.update(LEG_INPUTS[entry].upstream)
    return hit


def leg_keys(scenario: Any, name: str | None = None) -> dict[str, str]:
    """Every entry's key for ``scenario`` (hex SHA-256), by name: its declared values, its
    upstream entries' keys, the cache format, msrsim's version and the code. With
    ``name``, only that entry's and its upstream ones' (reading only their values)."""
    from msrsim.campaign.cache import CACHE_FORMAT, code_fingerprint

    wanted = set(LEG_INPUTS) if name is None else upstream_of(name)
    keys: dict[str, str] = {}
    for entry, inputs in LEG_INPUTS.items():
        if entry not in wanted:
            continue
        document = {
            "cache_format": CACHE_FORMAT,
            "code": code_fingerprint(),
            "leg": entry,
            "msrsim": __version__,
            "reads": {path: _value(scenario, path) for path in inputs.reads},
            "upstream": {u: keys[u] for u in inputs.upstream},
        }
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=True)
        keys[entry] = hashlib.sha256(text.encode()).hexdigest()
    return keys


def leg_path(name: str, key: str, directory: str | Path | None = None) -> Path:
    """Where the entry ``name`` with ``key`` lives."""
    from msrsim.campaign.cache import cache_dir

    root = Path(directory) if directory is not None else cache_dir()
    return root / "legs" / name / f"{key}.pickle"


_WRONG_SHAPE = (ValueError, KeyError, TypeError, AttributeError, IndexError, EOFError,
                ImportError, pickle.UnpicklingError)  # fmt: skip
"""What unpickling an entry of the wrong shape raises: the leg is flown again."""


def cached_leg(
    name: str,
    key: str,
    compute: Callable[[], Any],
    valid: Callable[[Any], bool],
    *,
    refresh: bool = False,
    directory: str | Path | None = None,
) -> Any:
    """The entry ``name`` with ``key``: read from the cache, or ``compute()``-d and stored.

    ``valid(value)`` says whether a value has the shape of the result (a stored entry that
    does not is computed again); ``refresh=True`` computes it without reading the stored
    one (and stores it).
    """
    from msrsim.campaign.cache import entry_lock, write_entry

    path = leg_path(name, key, directory)
    if not refresh:
        value = _stored(path, key, valid)
        if value is not None:
            return value
    with entry_lock(path):  # another process computing it: wait, then read its entry
        if not refresh:
            value = _stored(path, key, valid)
            if value is not None:
                return value
        value = compute()
        write_entry(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), key)
    return value


def _stored(path: Path, key: str, valid: Callable[[Any], bool]) -> Any:
    """The entry stored at ``path`` for ``key``, or None if missing, damaged or of the
    wrong shape."""
    from msrsim.campaign.cache import read_entry

    data = read_entry(path, key)
    if data is None:
        return None
    try:
        value = pickle.loads(data)  # our own file, checked against its checksum and code
    except _WRONG_SHAPE:
        return None
    return value if valid(value) else None
