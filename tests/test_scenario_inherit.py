"""Scenarios in a few lines: ``extends``, overrides (``--set``), ``scenario init``,
``scenario show --toml`` that loads back equal, and a legs cache keyed by values alone."""

import datetime as dt
import json
import re
import tomllib
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import msrsim
from msrsim.campaign import runner
from msrsim.campaign.cache import scenario_fingerprint
from msrsim.campaign.outcomes import CampaignResult, Milestone
from msrsim.cli import app
from msrsim.report.html import assumptions
from msrsim.scenario import (
    DEFAULT_SOURCE,
    Provenance,
    ScenarioError,
    baseline,
    baseline_text,
    load_scenario,
    packaged_names,
    parse_override,
    parse_scenario,
    scenario_json,
    scenario_toml,
)

FIVE_LINES = """\
extends = "baseline"

[srl_launch]
departure_earliest_utc = 2030-06-01
departure_latest_utc = 2030-08-31
"""
"""The SRL's launch window moved to summer 2030, and nothing else."""


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def errors(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


@pytest.fixture
def five(tmp_path) -> Path:
    path = tmp_path / "five.toml"
    path.write_text(FIVE_LINES)
    return path


def edited_copy() -> str:
    """The baseline's text with the same two values edited in place, as users did."""
    text = baseline_text()
    for old, new in (
        ("departure_earliest_utc = { value = 2028-06-01", "2030-06-01"),
        ("departure_latest_utc = { value = 2028-08-31", "2030-08-31"),
    ):
        assert text.count(old) == 1
        text = text.replace(old, old[:-10] + new)
    return text


def problem_of(call) -> tuple[str, str]:
    with pytest.raises(ScenarioError) as info:
        call()
    assert len(info.value.problems) == 1, info.value.problems
    return info.value.origin, info.value.problems[0]


# --------------------------------------------------------------------------------------
# extends
# --------------------------------------------------------------------------------------


def test_five_line_scenario_is_the_edited_baseline_with_its_own_sources(five):
    s = load_scenario(five)
    copy = parse_scenario(tomllib.loads(edited_copy()))
    assert s.srl_launch.departure_earliest_utc == dt.datetime(2030, 6, 1)
    assert s.model_dump() == copy.model_dump()
    assert scenario_fingerprint(s) == scenario_fingerprint(copy)
    user = Provenance(f"user: {five}")
    assert s.srl_launch.provenance("departure_earliest_utc") == user
    assert s.srl_launch.provenance("departure_latest_utc") == user
    # the edited copy kept the baseline's "summer 2028"; the child never shows it
    assert "summer 2028" in copy.srl_launch.provenance("departure_earliest_utc").source
    changed = {p for p, _, prov in s.leaves() if prov.user}
    assert changed == {"srl_launch.departure_earliest_utc", "srl_launch.departure_latest_utc"}
    assert {row["field"] for row in assumptions(s) if row["user"]} == changed  # the report
    inherited = {p: prov for p, _, prov in baseline().leaves() if p not in changed}
    assert inherited == {p: prov for p, _, prov in s.leaves() if p not in changed}


def test_a_value_without_a_source_is_the_users(tmp_path):
    path = tmp_path / "child.toml"
    path.write_text(
        'extends = "baseline"\n[schedule]\n'
        "min_surface_sols = { value = 150, representative = true }\n"
        'max_return_cruise_days = { value = 700.0, source = "trade study 4" }\n'
    )
    s = load_scenario(path)
    assert s.schedule.provenance("min_surface_sols") == Provenance(f"user: {path}", True)
    assert s.schedule.provenance("max_return_cruise_days") == Provenance("trade study 4")
    assert s.schedule.min_surface_sols == 150 and s.schedule.max_return_cruise_days == 700.0


def test_tables_merge_key_by_key_and_arrays_replace_whole(tmp_path):
    path = tmp_path / "child.toml"
    path.write_text(
        'extends = "baseline"\n'
        "[surface]\nmav_launch_ls_deg = [0, 180]\n"
        "[srl_launch.vehicle]\n"
        'name = "Falcon Heavy"\nc3_km2_s2 = [0.0, 20.0]\ndelivered_mass_kg = [9000.0, 5000.0]\n'
    )
    s, b = load_scenario(path), baseline()
    assert s.surface.mav_launch_ls_deg == [0.0, 180.0]
    assert s.srl_launch.vehicle.c3_km2_s2 == [0.0, 20.0]  # not merged with the 5 points
    assert s.srl_launch.vehicle.name == "Falcon Heavy"
    assert s.srl_launch.launch_period_days == b.srl_launch.launch_period_days
    assert s.surface.depot == b.surface.depot and s.surface.trials == b.surface.trials


def test_a_chain_of_extends_by_relative_paths(tmp_path):
    (tmp_path / "variants").mkdir()
    (tmp_path / "srl2030.toml").write_text(FIVE_LINES)
    child = tmp_path / "variants" / "short_stay.toml"
    child.write_text(
        'extends = "../srl2030.toml"\n[schedule]\nmin_surface_sols = 150\n'
        "[srl_launch]\ndeparture_latest_utc = 2030-07-31\n"
    )
    s = load_scenario(child)
    assert s.schedule.min_surface_sols == 150
    assert s.srl_launch.departure_earliest_utc == dt.datetime(2030, 6, 1)  # the parent's
    assert s.srl_launch.departure_latest_utc == dt.datetime(2030, 7, 31)  # the child's
    assert s.srl_launch.provenance("departure_earliest_utc").source == (
        f"user: {tmp_path / 'srl2030.toml'}"
    )
    assert s.schedule.provenance("min_surface_sols").source == f"user: {child}"
    assert s.ees == baseline().ees


def test_a_cycle_is_one_line(tmp_path, monkeypatch):
    # relative names: the cycle's line is cut at 200 characters, which three paths under a
    # long temporary directory (a pytest-xdist worker's) reach
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    origin, problem = problem_of(lambda: load_scenario("a.toml"))
    assert "a cycle" in problem and problem.count("a.toml") == 3, problem
    (tmp_path / "self.toml").write_text('extends = "self.toml"\n')
    _, problem = problem_of(lambda: load_scenario("self.toml"))
    assert "a cycle" in problem


def test_a_missing_or_bad_parent_is_one_line(tmp_path):
    path = tmp_path / "child.toml"
    path.write_text('extends = "nowhere.toml"\n')
    origin, problem = problem_of(lambda: load_scenario(path))
    assert origin == str(path)
    assert problem == f"extends = 'nowhere.toml': {tmp_path / 'nowhere.toml'}: no such file"
    path.write_text('extends = "baselin"\n')
    _, problem = problem_of(lambda: load_scenario(path))
    names = ", ".join(packaged_names())
    assert problem.endswith(f"no such file (nor a packaged scenario: {names})")
    assert "baseline, baseline-2022" in problem  # the alias beside the file's name
    assert "baseline" in packaged_names()
    path.write_text("extends = 2028\n")
    _, problem = problem_of(lambda: load_scenario(path))
    assert problem.startswith("extends = 2028: must be the name of a packaged scenario")
    (tmp_path / "broken.toml").write_text("[mav\n")
    path.write_text('extends = "broken.toml"\n')
    origin, problem = problem_of(lambda: load_scenario(path))
    assert origin == str(tmp_path / "broken.toml") and "not valid TOML" in problem


def test_a_child_reports_its_problems_with_the_field(tmp_path):
    path = tmp_path / "child.toml"
    path.write_text('extends = "baseline"\n[schedule]\nmin_surface_sols = -3\nsols = 1\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.origin == str(path)
    assert info.value.problems == [
        "schedule.min_surface_sols = -3: must be greater than or equal to 0",
        "schedule.sols: unknown key (allowed here: srl_arrival_excluded_ls_deg, "
        "min_surface_sols, ero_search_orbit_lead_days, capture_and_containment_days, "
        "max_return_cruise_days)",
    ]


# --------------------------------------------------------------------------------------
# overrides
# --------------------------------------------------------------------------------------


def test_overrides_in_the_python_api(five):
    s = msrsim.load_scenario(overrides={"schedule.min_surface_sols": 150})
    assert s.schedule.min_surface_sols == 150
    assert s.schedule.provenance("min_surface_sols") == Provenance("user: overrides")
    s = msrsim.load_scenario(
        five,
        overrides={
            "srl_launch.departure_latest_utc": "2030-07-15",
            "srl_launch.vehicle": {"name": {"value": "Falcon Heavy", "source": "a quote"}},
        },
    )
    assert s.srl_launch.departure_latest_utc == dt.datetime(2030, 7, 15)
    assert s.srl_launch.departure_earliest_utc == dt.datetime(2030, 6, 1)
    assert s.srl_launch.vehicle.name == "Falcon Heavy"
    assert s.srl_launch.vehicle.provenance("name") == Provenance("a quote")
    assert s.srl_launch.vehicle.c3_km2_s2 == baseline().srl_launch.vehicle.c3_km2_s2


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("schedule.min_surface_sols", 5000,
         "schedule.min_surface_sols = 5000: must be less than or equal to 3000"),
        ("schedule.min_surface_sols", "150",
         "schedule.min_surface_sols = '150': must be a whole number, not a string"),
        ("srl_launch.departure_latest_utc", dt.date(2027, 1, 1),
         "srl_launch: departure_latest_utc = 2027-01-01 00:00:00 is before "
         "departure_earliest_utc = 2028-06-01 00:00:00"),
        ("schedule.sols", 1, "schedule.sols: unknown key (allowed here: "
         "srl_arrival_excluded_ls_deg, min_surface_sols, ero_search_orbit_lead_days, "
         "capture_and_containment_days, max_return_cruise_days)"),
        ("schedule.min_surface_sols.low", 1,
         "schedule.min_surface_sols.low: schedule.min_surface_sols is a value, not a table"),
        ("schedule min_surface_sols", 1,
         "'schedule min_surface_sols': not a key (section.key, e.g. schedule.min_surface_sols)"),
        ("surface", 3, "surface = 3: must be a table, not an integer"),
    ],
)  # fmt: skip
def test_a_bad_override_is_one_line_under_its_label(key, value, problem):
    origin, got = problem_of(lambda: load_scenario(None, {key: value}, overrides_label="--set"))
    assert (origin, got) == ("--set", problem)


def test_a_bad_file_is_reported_as_the_file_even_with_overrides(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('extends = "baseline"\n[schedule]\nmin_surface_sols = -1\n')
    origin, problem = problem_of(
        lambda: load_scenario(path, {"schedule.max_return_cruise_days": 700.0})
    )
    assert origin == str(path) and problem.startswith("schedule.min_surface_sols = -1")
    assert load_scenario(path, {"schedule.min_surface_sols": 1}).schedule.min_surface_sols == 1


def test_override_text_is_a_toml_literal():
    assert parse_override("srl_launch.departure_earliest_utc=2030-06-01") == (
        "srl_launch.departure_earliest_utc",
        dt.date(2030, 6, 1),
    )
    assert parse_override("surface.mav_launch_ls_deg=[0,180]")[1] == [0, 180]
    assert parse_override(" schedule.min_surface_sols = 150 ") == ("schedule.min_surface_sols", 150)
    assert parse_override("ees.parachute=true")[1] is True
    assert parse_override("ees.atmosphere_model=us76")[1] == "us76"  # not TOML: a string
    assert parse_override('scenario.name="a = b"')[1] == "a = b"
    assert parse_override("x={ value = 3, source = 'memo' }")[1] == {"value": 3, "source": "memo"}
    assert parse_override("x=1\ny = 2")[1] == "1\ny = 2"  # one value, never two keys
    for text in ("schedule.min_surface_sols", "=150"):
        origin, problem = problem_of(lambda text=text: parse_override(text))
        assert origin == "--set" and "must be section.key=value" in problem


# --------------------------------------------------------------------------------------
# show --toml, show --json: what loads back
# --------------------------------------------------------------------------------------


def test_show_toml_loads_back_equal(five, tmp_path):
    odd = 'quote " backslash \\ newline \n tab \t del \x7f bell \x07 é 火星 🚀'
    cases = [
        baseline(),
        load_scenario(five),
        load_scenario(five, {"scenario.name": odd, "ees.mass_kg": {"value": 44.0, "source": odd}}),
        load_scenario(None, {"scenario.seed": 2**63 - 1, "rendezvous.process_noise_m2_s3": 1e-12}),
    ]
    for k, scenario in enumerate(cases):
        path = tmp_path / f"shown{k}.toml"
        path.write_text(scenario_toml(scenario, "a header\nover two lines"), encoding="utf-8")
        again = load_scenario(path)
        assert again == scenario  # values and every provenance
        assert scenario_fingerprint(again) == scenario_fingerprint(scenario)
    assert again.rendezvous.process_noise_m2_s3 == 1e-12


def test_a_default_keeps_its_source_through_show_toml(tmp_path):
    text = baseline_text().replace(
        'max_revs = { value = 1, source = "long arcs allowed for the ballistic reference", '
        "representative = true }\n",
        "",
    )
    path = tmp_path / "no_max_revs.toml"
    path.write_text(text)
    s = load_scenario(path)
    assert s.earth_return.max_revs == 0
    assert s.earth_return.provenance("max_revs") == Provenance(DEFAULT_SOURCE)
    shown = tmp_path / "shown.toml"
    shown.write_text(scenario_toml(s))
    assert load_scenario(shown) == s


def test_show_json_is_keyed_by_set_names_and_feeds_back(five):
    s = load_scenario(five, {"schedule.min_surface_sols": 150})
    shown = json.loads(json.dumps(scenario_json(s)))  # plain JSON: dates as text
    assert shown["srl_launch.departure_earliest_utc"] == {
        "value": "2030-06-01", "source": f"user: {five}", "representative": False,
    }  # fmt: skip
    assert shown["schedule.min_surface_sols"]["source"] == "user: overrides"
    assert load_scenario(overrides=shown) == s
    for key in shown:  # every key is one --set takes
        assert load_scenario(five, {key: shown[key]}).locate(key)


# --------------------------------------------------------------------------------------
# the legs cache keys on values
# --------------------------------------------------------------------------------------


def test_a_child_that_changes_no_flown_value_shares_the_legs(tmp_path, five):
    path = tmp_path / "same.toml"
    path.write_text(
        'extends = "baseline"\n[scenario]\nname = "a copy"\ndescription = "the same"\n'
        "[srl_launch]\ndeparture_earliest_utc = 2028-06-01\n"  # the same value, the user's
        "[campaign]\ntrials = 20\n"
    )
    s = load_scenario(path)
    assert s.srl_launch.provenance("departure_earliest_utc").user
    assert scenario_fingerprint(s) == scenario_fingerprint(baseline())
    assert scenario_fingerprint(load_scenario(five)) != scenario_fingerprint(s)


def test_cached_legs_take_the_scenarios_name_and_sources(tmp_path, monkeypatch):
    """A cache hit for another scenario of the same values: the legs are the same, the
    labels are the scenario's own."""
    b = baseline()
    flown = CampaignResult(
        b.scenario.name,
        (
            Milestone("SRL launch window opens", "2028-06-01T00:00", "representative: summer"),
            Milestone("ERO launch", "2027-10-15T00:00", "representative: fall 2027"),
            Milestone("SRL landing", "2029-08-01T00:00", "computed: SRL leg"),
        ),
        (),
    )
    monkeypatch.setattr(runner, "_from_cache", lambda folder, fingerprint: flown)
    path = tmp_path / "same.toml"
    path.write_text(
        'extends = "baseline"\n[scenario]\nname = "a copy"\n'
        "[srl_launch]\ndeparture_earliest_utc = 2028-06-01\n"
    )
    legs = runner.campaign_legs(load_scenario(path))
    assert legs.scenario_name == "a copy"
    basis = {m.name: m.source for m in legs.milestones}
    assert basis == {
        "SRL launch window opens": f"user: {path}",
        "ERO launch": "representative: " + b.ero.provenance("launch_utc").source,
        "SRL landing": "computed: SRL leg",
    }


def test_no_leg_reads_what_the_fingerprint_leaves_out():
    """The fingerprint leaves out the scenario's name, description and campaign size: no
    module that flies a leg may read them (the name is put on the cached legs afresh)."""
    root = Path(msrsim.__file__).parent
    pattern = re.compile(r"\.campaign\.(trials|chunk_size)|\.scenario\.(name|description)")
    readers = {
        path.relative_to(root).as_posix()
        for part in ("core", "segments", "campaign", "samples")
        for path in (root / part).rglob("*.py")
        if pattern.search(path.read_text())
    }
    assert readers == {"campaign/nominal.py", "campaign/outcomes.py"}


# --------------------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------------------


def test_every_command_that_takes_a_scenario_takes_set():
    def commands(group, prefix=()):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from commands(command, (*prefix, name))
            else:
                yield (*prefix, name), command

    taking = {
        " ".join(name): {p.name for p in command.params}
        for name, command in commands(typer.main.get_command(app))
        if any(p.name in ("scenario", "path") for p in command.params)
    }
    assert set(taking) >= {"run", "ascent", "scenario show", "scenario validate", "export oem"}
    assert all("overrides" in params for params in taking.values()), taking


def test_cli_set_on_validate_and_show(five, monkeypatch):
    # the file by its name: a path longer than the terminal (a pytest-xdist worker's
    # temporary directory) is broken across lines inside a word
    monkeypatch.chdir(five.parent)
    result = invoke("scenario", "validate", five.name, "--set", "schedule.min_surface_sols=150")
    assert result.exit_code == 0, result.output
    values = len(baseline().leaves())
    assert (
        " ".join(result.output.split())
        == f"{five.name}: valid ({values} values, 3 given by the user)"
    )
    result = invoke(
        "scenario", "show", five, "--json", "--set", "schedule.min_surface_sols=150",
        "--set", "surface.mav_launch_ls_deg=[0,180]",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["schedule.min_surface_sols"]["value"] == 150
    assert shown["surface.mav_launch_ls_deg"] == {
        "value": [0.0, 180.0], "source": "user: --set", "representative": False,
    }  # fmt: skip
    assert shown["srl_launch.departure_earliest_utc"]["source"] == f"user: {five}"
    table = invoke("scenario", "show", five, "--set", "schedule.min_surface_sols=150").output
    assert "user: --set" in table and "2030-06-01" in table


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--set", "schedule.min_surface_sols=5000"],
         "error: --set: schedule.min_surface_sols = 5000: must be less than or equal to 3000"),
        (["--set", "srl_launch.departure_earliest_utc=2099-01-01"],
         "error: --set: srl_launch.departure_earliest_utc = 2099-01-01: must be between "),
        (["--set", "schedule.min_surface_sols"],
         "error: --set: 'schedule.min_surface_sols': must be section.key=value"),
        (["--set", "schedul.min_surface_sols=3"], "error: --set: schedul: unknown key"),
    ],
)  # fmt: skip
def test_cli_bad_set_is_exit_2_one_line(five, args, line):
    for command in (["scenario", "validate", five], ["scenario", "show", five]):
        result = invoke(*command, *args)
        assert result.exit_code == 2, result.output
        assert len(errors(result)) == 1 and errors(result)[0].startswith(line), result.output
        assert "Traceback" not in result.output


def test_cli_bad_set_stops_a_leg_before_it_flies():
    result = invoke("ascent", "--set", "mav.trials=5")
    assert result.exit_code == 2
    assert errors(result) == ["error: --set: mav.trials = 5: must be greater than or equal to 10"]


def test_cli_cycle_and_missing_parent(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    (tmp_path / "m.toml").write_text('extends = "gone.toml"\n')
    for name, text in (("a.toml", "a cycle"), ("m.toml", "no such file")):
        result = invoke("scenario", "validate", tmp_path / name)
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert len(errors(result)) == 1 and text in errors(result)[0]


def test_cli_init_writes_a_variant_and_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("scenario", "init", "srl2030")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "srl2030.toml").read_text()
    assert 'extends = "baseline"' in text and "#   departure_earliest_utc = 2030-06-01" in text
    s = load_scenario("srl2030.toml")
    assert s.scenario.name == "srl2030"
    assert scenario_fingerprint(s) == scenario_fingerprint(baseline())
    result = invoke("scenario", "init", "srl2030.toml")
    assert result.exit_code == 2 and len(errors(result)) == 1
    assert "srl2030.toml exists: not overwritten" in errors(result)[0]
    assert (tmp_path / "srl2030.toml").read_text() == text
    (tmp_path / "studies").mkdir()
    result = invoke("scenario", "init", "studies/short_stay.toml", "--from", "srl2030.toml")
    assert result.exit_code == 0, result.output
    assert 'extends = "../srl2030.toml"' in (tmp_path / "studies/short_stay.toml").read_text()
    assert load_scenario("studies/short_stay.toml").scenario.name == "short_stay"
    result = invoke("scenario", "init", "other", "--from", "absent.toml")
    assert result.exit_code == 2 and not (tmp_path / "other.toml").exists()


def test_cli_show_toml_out_round_trips_and_never_overwrites(five, tmp_path):
    out = tmp_path / "resolved.toml"
    args = ("scenario", "show", five, "--set", "schedule.min_surface_sols=150", "--toml")
    result = invoke(*args, "--out", out)
    assert result.exit_code == 0, result.output
    expected = load_scenario(five, {"schedule.min_surface_sols": 150}, overrides_label="--set")
    assert load_scenario(out) == expected
    assert load_scenario(out).schedule.provenance("min_surface_sols").source == "user: --set"
    printed = invoke(*args).output
    assert printed == out.read_text()
    again = invoke(*args, "--out", out)
    assert again.exit_code == 2 and "exists: not overwritten" in errors(again)[0]
    assert out.read_text() == printed
    for bad in (("--out", tmp_path / "x.toml"), ("--toml", "--json")):
        result = invoke("scenario", "show", *bad)
        said = [json.loads(result.output)["error"]] if "--json" in bad else errors(result)
        assert result.exit_code == 2 and len(said) == 1 and "\n" not in said[0]
