"""msrsim sweep: designs, the Pareto front, a point that cannot be flown, and a sweep killed
part-way that resumes without losing or repeating a point."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from msrsim.cli import app
from msrsim.report.sweep_plots import pareto_front
from msrsim.sweeps import Parameter, design_points, sweep

TRIALS = 30
# hardware failure probabilities: no leg is flown again between points (legs cache)
PARAMS = ["reliability.mav_success=0.9:0.98:2", "reliability.srl_edl_success=0.9:0.98:2"]


def test_parameters_parse_and_refuse():
    p = Parameter.parse("schedule.min_surface_sols=150:355:5")
    assert (p.key, p.low, p.high, p.levels, p.integer) == (
        "schedule.min_surface_sols", 150.0, 355.0, 5, True,
    )  # fmt: skip
    assert Parameter.parse("reliability.mav_success=0.9:0.99").integer is False
    for bad in ("x", "a.b=1", "a.b=2:1", "a.b=1:x", "a.b=0:1:1", "a.b=nan:1"):
        with pytest.raises(ValueError, match="--param"):
            Parameter.parse(bad)


def test_designs_cover_their_box():
    params = [Parameter.parse("a.x=0:1:3"), Parameter.parse("a.y=10:20:2")]
    grid = design_points(params, "grid", 0, 0)
    assert grid.shape == (6, 2) and set(grid[:, 1]) == {10.0, 20.0}
    for design in ("lhs", "sobol"):
        points = design_points(params, design, 16, 7)
        assert points.shape == (16, 2)
        assert np.all((points >= [0, 10]) & (points <= [1, 20]))
        assert np.all(points[:, 1] == np.round(points[:, 1]))  # whole: "10:20"
    # a Latin hypercube puts one point in each of the 16 strata of every axis
    lhs = design_points([Parameter.parse("a.x=0.0:1.0")], "lhs", 16, 7)
    assert sorted(np.floor(lhs[:, 0] * 16).astype(int)) == list(range(16))
    with pytest.raises(ValueError, match="power of two"):
        design_points(params, "sobol", 12, 0)
    with pytest.raises(ValueError, match="--design"):
        design_points(params, "factorial", 8, 0)


def test_the_pareto_front_keeps_the_undominated():
    a = np.array([0.7, 0.8, 0.6, 0.8, np.nan])
    b = np.array([2033.0, 2035.0, 2033.0, 2034.0, 2030.0])  # landing year: less is better
    assert pareto_front(a, b, True, False).tolist() == [True, False, False, True, False]


def test_a_killed_sweep_resumes_without_losing_or_repeating_a_point(tmp_path):
    whole = sweep(None, PARAMS, trials=TRIALS, scheduler="synchronous")
    assert whole.points_run == 4 and all(r["error"] == "" for r in whole.rows)
    assert len({r["probability_of_success"] for r in whole.rows}) > 1  # the points differ
    out = tmp_path / "sweep"

    def kill_after_two(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(None, PARAMS, trials=TRIALS, scheduler="synchronous", out_dir=out,
              progress=kill_after_two)  # fmt: skip
    assert len(list((out / "points").glob("point-*.json"))) == 2
    resumed = sweep(None, PARAMS, trials=TRIALS, scheduler="synchronous", out_dir=out,
                    resume=True)  # fmt: skip
    assert resumed.points_run == 2  # none repeated
    assert list(resumed.rows) == list(whole.rows)  # none lost, the same numbers
    with pytest.raises(ValueError, match="another design"):
        sweep(None, PARAMS[:1], trials=TRIALS, scheduler="synchronous", out_dir=out,
              resume=True)  # fmt: skip


def test_the_command_writes_table_plots_and_records_a_point_it_cannot_fly(tmp_path):
    out = tmp_path / "sweep"
    result = CliRunner().invoke(app, [
        "sweep", "--param", "reliability.mav_success=0.9:1.5:2", "--trials", str(TRIALS),
        "--scheduler", "synchronous", "--out", str(out), "--json",
        "--pareto", "probability_of_success:max,expected_tubes_returned:max",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    good, bad = data["points"]
    assert good["error"] == "" and 0.0 < good["probability_of_success"] < 1.0
    assert "reliability.mav_success" in bad["error"] and bad["probability_of_success"] is None
    for name in ("sweep.parquet", "sweep.json", "response.png", "pareto.png"):
        assert (out / name).stat().st_size > 0, name
    result = CliRunner().invoke(app, ["sweep", "--param", "nosuch.key=0:1", "--trials", "5"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    result = CliRunner().invoke(app, ["sweep"])
    assert result.exit_code == 2 and "--param" in result.output


def test_a_sweep_of_failure_probabilities_judges_the_trials_a_run_flies():
    """Flown once, judged again at each point: the numbers of a run of that point."""
    from msrsim.api import run_campaign
    from msrsim.scenario import load_scenario

    result = sweep(None, ["reliability.mav_success=0.9:0.98:2"], trials=TRIALS,
                   scheduler="synchronous")  # fmt: skip
    assert result.judged_again
    for row in result.rows:
        point = load_scenario(None, {"reliability.mav_success": row["reliability.mav_success"]})
        run = run_campaign(point, trials=TRIALS, seed=result.seed, scheduler="synchronous",
                           drivers=False)  # fmt: skip
        assert row["probability_of_success"] == run.summary["probability_of_success"]
        expected = run.summary["expected_tubes_returned"]
        assert row["expected_tubes_returned"] == expected


def test_a_sweep_of_other_values_runs_each_point():
    """campaign.chunk_size is not a failure probability: each point is run (its legs from
    the cache: the chunking flies nothing), and the results do not depend on it."""
    result = sweep(None, ["campaign.chunk_size=7:30:2"], trials=TRIALS, scheduler="synchronous")
    assert not result.judged_again and result.points_run == 2
    first, second = ({k: v for k, v in r.items() if k not in ("point", "campaign.chunk_size")}
                     for r in result.rows)  # fmt: skip
    assert first == second and first["error"] == ""
