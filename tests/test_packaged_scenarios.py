"""The packaged scenarios: baseline-2022 (alias baseline) and the 2025 options written with
``extends``; every value sourced; the published cost as metadata; ``msrsim scenarios``."""

import dataclasses
import json
import tomllib

import pytest
from typer.testing import CliRunner

from msrsim.campaign.edl import vehicle
from msrsim.cli import app
from msrsim.comparison import _published_cost
from msrsim.scenario import (
    ScenarioError,
    baseline,
    baseline_text,
    load_scenario,
    packaged_catalog,
    packaged_files,
    packaged_names,
    parse_scenario,
    scenario_json,
)
from msrsim.segments.edl import MSL_AEROSHELL, MSL_DESCENT

MINE = ("baseline-2022", "skycrane-2025", "commercial-lander-2025")


def test_baseline_is_an_alias_of_baseline_2022():
    assert {"baseline", *MINE} <= set(packaged_names())
    assert "baseline" not in packaged_files()
    assert load_scenario("baseline-2022") == load_scenario("baseline") == baseline()


@pytest.mark.parametrize("name", MINE)
def test_every_value_is_sourced(name):
    s = load_scenario(name)
    for path, _, prov in s.leaves():
        assert prov is not None and prov.source.strip(), path
        assert not prov.user, path


def test_the_2025_options_extend_and_differ_where_published():
    sky, com = load_scenario("skycrane-2025"), load_scenario("commercial-lander-2025")
    catalog = {row["name"]: row for row in packaged_catalog()}
    assert catalog["skycrane-2025"]["extends"] == "baseline-2022"
    assert catalog["commercial-lander-2025"]["extends"] == "skycrane-2025"
    assert catalog["baseline-2022"]["aliases"] == ["baseline"]
    assert sky.orbiting_sample.capacity_tubes == com.orbiting_sample.capacity_tubes == 30
    assert sky.earth_return.arrival_earliest_utc.year == 2035
    assert sky.earth_return.arrival_latest_utc.year == 2039
    # 'a sky crane about 20 % larger than Curiosity's': entry mass, thrust, propellant
    shell, _, descent = vehicle(sky)
    assert shell.mass_kg / MSL_AEROSHELL.mass_kg == pytest.approx(1.2, abs=0.01)
    assert descent.thrust_n / MSL_DESCENT.thrust_n == pytest.approx(1.2, abs=0.01)
    assert descent.terminal.kind == "sky_crane" and descent.touchdown_speed_m_s == 0.75
    assert vehicle(com)[2].terminal.kind == "legged"
    assert vehicle(baseline())[2].terminal is None  # 2022: unchanged gravity turn
    # the smaller MAV: its stack adds up to its lift-off mass, below 2022's ~400 kg
    assert sky.mav.stacked_mass_kg == pytest.approx(sky.mav.gross_liftoff_mass_kg)
    assert sky.mav.gross_liftoff_mass_kg < baseline().mav.gross_liftoff_mass_kg


def test_the_published_cost_is_metadata_with_its_source():
    assert _published_cost(load_scenario("skycrane-2025")) == {
        "published_cost_billion_usd": "6.6-7.7",
        "published_cost_source": load_scenario("skycrane-2025")
        .scenario.provenance("cost_range_busd")
        .source,
    }
    assert "5.8-7.1" in _published_cost(load_scenario("commercial-lander-2025")).values()
    assert _published_cost(baseline())["published_cost_billion_usd"] is None


def _with(section, key, value, name="skycrane-2025"):
    data = {k: v["value"] for k, v in scenario_json(load_scenario(name)).items()}
    tree = {}
    for path, v in data.items():
        *parents, last = path.split(".")
        node = tree
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = v
    node = tree
    for p in section.split("."):
        node = node[p]
    node[key] = value
    return tree


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        (
            "scenario",
            "cost_range_busd",
            [7.7, 6.6],
            "scenario.cost_range_busd: [7.7, 6.6] must be empty or [low, high]",
        ),
        ("srl.edl", "final_gate_height_m", 200.0, "the descent's gates must come in order"),
        ("srl.edl", "touchdown_height_m", 9.6, None),
        ("mav", "propellant", "liquid", "srm1.temperature_sensitivity_per_k = 0.0015"),
    ],
)
def test_bad_values_are_one_line_each(section, key, value, message):
    tree = _with(section, key, value)
    if message is None:  # a legged lander has no bridle
        tree["srl"]["edl"]["terminal_descent"] = "legged"
        message = "a legged lander touches down on its legs"
    with pytest.raises(ScenarioError) as info:
        parse_scenario(tree, "test.toml")
    assert len(info.value.problems) == 1 and message in info.value.problems[0]


def test_a_sky_crane_without_its_phases_is_refused():
    tree = tomllib.loads(baseline_text())  # as written: the phases' fields not given
    tree["srl"]["edl"]["terminal_descent"] = "sky_crane"
    with pytest.raises(ScenarioError) as info:
        parse_scenario(tree, "test.toml")
    (problem,) = info.value.problems
    assert "terminal_descent = 'sky_crane' needs constant_velocity_height_m" in problem


def test_msrsim_scenarios_lists_one_line_each():
    result = CliRunner().invoke(app, ["scenarios"])
    assert result.exit_code == 0, result.output
    # one entry each, starting its line (wrapped to the terminal's width, 80 here)
    lines = result.output.splitlines()
    entries = [line for line in lines if line.startswith(packaged_files())]
    assert len(entries) == len(packaged_files()) and lines[0] == entries[0]
    assert entries[0].startswith("baseline-2022 (also baseline): MSR baseline")
    sky = next(line for line in entries if line.startswith("skycrane-2025"))
    assert sky.startswith("skycrane-2025 [extends baseline-2022]")
    assert "published cost $6.6-7.7 B" in " ".join(result.output.split())
    rows = json.loads(CliRunner().invoke(app, ["scenarios", "--json"]).output)
    assert [r["name"] for r in rows] == list(packaged_files())


def test_the_dataclass_descent_of_the_sky_crane_scales_msl():
    _, _, descent = vehicle(load_scenario("skycrane-2025"))
    assert dataclasses.replace(descent, terminal=None).gates() == ((0.0, 0.75, 0.0),)
    assert [g[0] for g in descent.gates()] == [100.0, 20.0, 9.6]
