"""``msrsim compare``: campaigns on one seed side by side, the paired interval of their
difference (Newcombe's method 10), and the overlaid report rendered in headless Chromium."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
from browser import TITLE_GEOMETRY, assert_titles_clear, offline_page
from typer.testing import CliRunner

from msrsim.campaign.runner import wilson_interval
from msrsim.cli import app
from msrsim.comparison import paired_difference_interval, scenario_labels
from msrsim.scenario import baseline_text

TRIALS = 60


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


# --------------------------------------------------------------------------------------
# The paired interval
# --------------------------------------------------------------------------------------


def test_uncorrelated_pairs_give_newcombes_square_and_add_interval():
    """With a d = b c the pairs' correlation is 0 and method 10 is the square-and-add of
    the two Wilson intervals (Newcombe 1998, independent samples' method 10)."""
    a, b, c, d = 40, 20, 20, 10  # a d = b c = 400
    first = np.r_[np.ones(a + b, bool), np.zeros(c + d, bool)]
    second = np.r_[np.ones(a, bool), np.zeros(b, bool), np.ones(c, bool), np.zeros(d, bool)]
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    (l1, u1), (l2, u2) = wilson_interval(a + b, n), wilson_interval(a + c, n)
    theta, low, high = paired_difference_interval(first, second)
    assert theta == pytest.approx(p1 - p2, abs=1e-15)
    assert low == pytest.approx(theta - math.hypot(p1 - l1, u2 - p2), abs=1e-12)
    assert high == pytest.approx(theta + math.hypot(u1 - p1, p2 - l2), abs=1e-12)


def test_identical_outcomes_give_a_difference_known_to_within_a_hair():
    rng = np.random.default_rng(1)
    hit = rng.random(1000) < 0.7
    theta, low, high = paired_difference_interval(hit, hit)
    assert theta == 0.0 and -0.005 < low <= 0.0 <= high < 0.005


def test_the_interval_covers_the_true_difference_95_percent_of_the_time():
    """Correlated pairs (common random numbers, as compare draws them): P1 = 0.72, P2 =
    0.66, 400 pairs, 2,000 replications; the coverage within 0.93-0.97 (the binomial
    spread of 2,000 replications is +/- 0.01 at 95 %) where the independent-sample
    interval would over-cover (it ignores the correlation)."""
    rng = np.random.default_rng(20330101)
    covered, widths = 0, []
    for _ in range(2000):
        u = rng.random(400)
        first, second = u < 0.72, u < 0.66  # the same draw: strongly correlated
        noise = rng.random(400) < 0.05  # and some pairs that part
        second = np.where(noise, rng.random(400) < 0.66, second)
        theta, low, high = paired_difference_interval(first, second)
        true = 0.72 - (0.95 * 0.66 + 0.05 * 0.66)
        covered += low <= true <= high
        widths.append(high - low)
    assert 0.93 <= covered / 2000 <= 0.97
    # far narrower than two independent 95 % Wilson intervals' square-and-add (~0.13)
    assert np.median(widths) < 0.08


def test_labels_are_short_and_unique():
    assert scenario_labels([None, "a/b/what-if.toml", "c/what-if.toml", None]) == [
        "baseline", "what-if", "what-if-2", "baseline-2",
    ]  # fmt: skip


# --------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """The baseline against a copy of it (its legs from the cache): the same campaign,
    so every metric agrees and the paired difference is exactly zero."""
    folder = tmp_path_factory.mktemp("compare")
    copy = folder / "copy.toml"
    copy.write_text(baseline_text())
    out = folder / "out"
    result = invoke("compare", "baseline", str(copy), "--trials", str(TRIALS),
                    "--scheduler", "synchronous", "--out", str(out), "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.output), out


def test_compare_sets_the_campaigns_side_by_side(compared):
    data, out = compared
    assert data["scenarios"] == ["baseline", "copy"] and data["trials"] == TRIALS
    first, second = (data["metrics"][k] for k in data["scenarios"])
    assert first == second  # one seed: the same trials
    assert first["earth_arrival_planned"].startswith("2033-")
    assert 0.3 < first["probability_of_success"] < 0.95
    # the margins: propellant, the SRL's launcher, the MAV's delta-v (the legs' own)
    assert first["ero_xenon_margin_kg"] > 0 and first["srl_launch_mass_margin_kg"] > 0
    assert 0 < first["mav_delta_v_margin_m_s"] < 1000
    (difference,) = data["differences"]
    assert difference["probability_of_success_difference"] == 0.0
    low, high = difference["probability_of_success_difference_95_ci"]
    # method 10 does not collapse on identical pairs: the Wilson intervals' asymmetry
    # (~0.03 at 60 trials) remains
    assert -0.05 < low <= 0.0 <= high < 0.05
    assert json.loads((out / "compare.json").read_text()) == data
    for label in data["scenarios"]:
        assert (out / label / "trials" / "_manifest.json").is_file()


def test_compare_into_an_earlier_comparison_needs_resume_or_force(compared, tmp_path):
    """An earlier comparison's directory: refused as it stands, replaced with --force
    (each scenario's old trials cleared, so the run starts clean, same numbers)."""
    data, out = compared
    again = tmp_path / "out"
    shutil.copytree(out, again)
    args = ("compare", "baseline", str(out.parent / "copy.toml"), "--trials", str(TRIALS),
            "--scheduler", "synchronous", "--out", str(again), "--json")  # fmt: skip
    refused = invoke(*args)
    assert refused.exit_code == 2 and "--force" in json.loads(refused.output)["error"]
    replaced = invoke(*args, "--force")
    assert replaced.exit_code == 0, replaced.output
    assert json.loads(replaced.output)["metrics"] == data["metrics"]


def test_compare_refuses_one_scenario_and_a_bad_file(tmp_path):
    result = invoke("compare", "baseline")
    assert result.exit_code == 2 and "at least two scenarios" in result.output
    result = invoke("compare", "baseline", str(tmp_path / "absent.toml"))
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_the_comparison_renders_in_headless_chromium_offline(chromium, compared, tmp_path):
    _, out = compared
    with offline_page(chromium, out / "compare.html") as seen:
        plots = seen.page.evaluate(
            """() => [...document.querySelectorAll('.plotly-graph-div')].map(g => ({
                id: g.id, traces: (g.data || []).length,
                svg: g.querySelectorAll('svg.main-svg').length}))"""
        )
        titles = seen.page.evaluate(TITLE_GEOMETRY)
        seen.page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
    errors, foreign = seen.errors, [u for u in seen.requests if u != seen.url]
    assert errors == [] and foreign == []
    ids = {p["id"] for p in plots}
    assert ids == {"plot-success", "plot-tubes", "plot-landing", "plot-schedule", "plot-drivers"}
    # every figure draws both campaigns (P(success): one bar trace of two bars)
    assert all(p["svg"] > 0 for p in plots)
    assert all(p["traces"] == 2 for p in plots if p["id"] != "plot-success")
    assert len(titles) == len(plots)
    assert_titles_clear(titles)
