"""campaign.montecarlo and campaign.runner: the campaign trial model, its contingencies,
its reproducibility, its summary and risk drivers, on small hand-made leg tables."""

import dataclasses

import numpy as np
import pytest

from msrsim.campaign.montecarlo import (
    HARDWARE_EVENTS,
    CampaignModel,
    Failure,
    simulate_trials,
    tube_bits,
)
from msrsim.campaign.runner import (
    monte_carlo_summary,
    risk_drivers,
    run_monte_carlo,
    wilson_interval,
)
from msrsim.core.bodies import DAY_S

ROWS = 50
TUBES = ("Roubion", "Montdenier", "Malay")


def _model(**changes) -> CampaignModel:
    """A model whose legs always succeed, with no hardware failure, unless changed."""
    mask = np.bitwise_or.reduce(tube_bits(TUBES))
    tables = {
        "edl": {
            "landed_safely": np.ones(ROWS, bool),
            "deploy_in_box": np.ones(ROWS, bool),
            "miss_km": np.linspace(0.0, 5.0, ROWS),
            "landing_et": np.full(ROWS, 1.0e9),
        },
        "surface": {
            "landing_et": np.full(ROWS, 1.0e9),
            "mav_ready_et": np.full(ROWS, 1.0e9 + 100 * DAY_S),
            "tubes_loaded": np.full(ROWS, 3, np.int16),
            "tube_mask": np.full(ROWS, mask, np.uint64),
            "rover_failed": np.zeros(ROWS, bool),
            "helicopter_flights": np.zeros(ROWS, np.int16),
        },
        "ascent": {
            "stable_orbit": np.ones(ROWS, bool),
            "release_after_launch_s": np.full(ROWS, 700.0),
        },
        "rendezvous": {
            "captured": np.ones(ROWS, bool),
            "capture_after_start_s": np.linspace(1, 3, ROWS) * DAY_S,
            "attempts": np.ones(ROWS, np.int8),
        },
        "entry": {
            "landed": np.ones(ROWS, bool),
            "inside_range": np.ones(ROWS, bool),
            "landing_et": np.full(ROWS, 1.2e9),
        },
    }
    model = CampaignModel(
        seed=7,
        tables=tables,
        failure_probability={name: 0.0 for name in HARDWARE_EVENTS},
        ero_in_orbit_et=1.0e9,
        ero_departure_et=1.0e9 + 200 * DAY_S,
        ero_mars_arrival_et=0.95e9,
        ero_extension_s=800 * DAY_S,
        next_opportunity_s=780 * DAY_S,
        nominal_earth_landing_et=1.2e9,
        tube_names=TUBES,
    )
    return dataclasses.replace(model, **changes)


def _with(model, table, column, values) -> CampaignModel:
    tables = {**model.tables, table: {**model.tables[table], column: values}}
    return dataclasses.replace(model, tables=tables)


def test_a_flawless_campaign_returns_every_tube_on_time():
    out = simulate_trials(_model(), 0, 1000)
    assert out["success"].all() and (out["failure"] == Failure.NONE).all()
    assert (out["tubes_returned"] == 3).all()
    assert not out["late_return"].any()
    # captured 1-3 days after the OS (released 100 days after landing) is in orbit
    margin = out["capture_margin_days"]
    assert margin.min() == pytest.approx(200 - 100 - 700 / DAY_S - 3, abs=1e-6)
    assert margin.max() == pytest.approx(200 - 100 - 700 / DAY_S - 1, abs=1e-6)


@pytest.mark.parametrize(
    ("event", "cause"),
    [
        ("ero_launch", Failure.ERO_LAUNCH),
        ("mav", Failure.MAV),
        ("ees_entry", Failure.EES_ENTRY),
    ],
)
def test_a_certain_hardware_failure_is_the_cause(event, cause):
    model = _model(failure_probability={**_model().failure_probability, event: 1.0})
    out = simulate_trials(model, 0, 500)
    assert not out["success"].any() and (out["failure"] == cause).all()
    assert np.isnan(out["earth_landing_et"]).all() and (out["tubes_returned"] == 0).all()


def test_failure_rates_match_their_probabilities():
    # independent Bernoulli draws: the ERO launch takes 10 %, then the MAV 20 % of the rest;
    # 4 sigma of a binomial at n = 200,000 is < 0.004
    p = {**_model().failure_probability, "ero_launch": 0.1, "mav": 0.2}
    out = simulate_trials(_model(failure_probability=p), 0, 200_000)
    assert np.mean(out["failure"] == Failure.ERO_LAUNCH) == pytest.approx(0.1, abs=0.004)
    assert np.mean(out["failure"] == Failure.MAV) == pytest.approx(0.9 * 0.2, abs=0.004)
    assert np.mean(out["success"]) == pytest.approx(0.9 * 0.8, abs=0.004)


def test_the_lander_hazard_grows_with_sols_on_the_surface():
    # 1e-3 per sol over 100 days = 97.3 sols: 1 - (1 - 1e-3)^97.3 = 9.3 %
    p = {**_model().failure_probability, "lander": 1e-3}
    out = simulate_trials(_model(failure_probability=p), 0, 200_000)
    sols = 100 * DAY_S / 88775.244
    assert np.mean(out["failure"] == Failure.LANDER) == pytest.approx(
        1 - (1 - 1e-3) ** sols, abs=0.003
    )


def test_a_late_capture_waits_for_the_next_opportunity_or_is_lost():
    late = _with(_model(), "rendezvous", "capture_after_start_s", np.full(ROWS, 150 * DAY_S))
    out = simulate_trials(late, 0, 100)
    assert out["success"].all() and out["late_return"].all()
    assert out["earth_landing_et"] == pytest.approx(np.full(100, 1.2e9 + 780 * DAY_S))
    stuck = simulate_trials(dataclasses.replace(late, ero_extension_s=300 * DAY_S), 0, 100)
    assert (stuck["failure"] == Failure.MISSED_RETURN).all()


def test_leg_failures_and_the_parachute_box():
    model = _with(_model(), "edl", "deploy_in_box", np.zeros(ROWS, bool))
    p = {**model.failure_probability, "parachute": 1.0}
    out = simulate_trials(dataclasses.replace(model, failure_probability=p), 0, 100)
    assert (out["failure"] == Failure.SRL_LANDING).all()
    out = simulate_trials(_with(_model(), "ascent", "stable_orbit", np.zeros(ROWS, bool)), 0, 50)
    assert (out["failure"] == Failure.OS_ORBIT).all()
    outside = _with(_model(), "entry", "inside_range", np.zeros(ROWS, bool))
    out = simulate_trials(outside, 0, 50)
    assert out["success"].all() and out["outside_range"].all()


def test_trials_do_not_depend_on_the_chunking():
    p = {name: 0.05 for name in HARDWARE_EVENTS} | {"lander": 1e-4, "ero_at_mars": 0.02}
    model = _with(_model(failure_probability=p), "rendezvous", "captured",
                  np.arange(ROWS) % 7 != 0)  # fmt: skip
    whole = simulate_trials(model, 0, 10_000)
    parts = [simulate_trials(model, s, 1000) for s in range(0, 10_000, 1000)]
    for name, column in whole.items():
        joined = np.concatenate([part[name] for part in parts])
        np.testing.assert_array_equal(column, joined, err_msg=name)
    table = run_monte_carlo(model, 10_000, chunk_size=3_333, scheduler="synchronous").table
    np.testing.assert_array_equal(table.column("success").to_numpy(), whole["success"])


def test_wilson_interval_against_published_values():
    # Brown, Cai and DasGupta (2001), Table 5-style check: 50 of 100 gives 0.4038-0.5962;
    # 0 of 20 gives 0-0.1611 (both from the closed form, 4 decimals)
    assert wilson_interval(50, 100) == pytest.approx((0.4038, 0.5962), abs=1e-4)
    assert wilson_interval(0, 20) == pytest.approx((0.0, 0.1611), abs=1e-4)


def test_summary_counts_tubes_and_causes():
    p = {**_model().failure_probability, "mav": 0.25}
    model = _model(failure_probability=p)
    out = simulate_trials(model, 0, 40_000)
    summary = monte_carlo_summary(out, model)
    assert summary["probability_of_success"] == pytest.approx(0.75, abs=0.01)
    low, high = summary["probability_of_success_95_ci"]
    assert low < summary["probability_of_success"] < high
    assert list(summary["failure_causes"]) == ["mav"]
    each = summary["probability_each_tube_returns"]
    assert set(each) == set(TUBES) and each["Malay"] == pytest.approx(0.75, abs=0.01)


def test_risk_drivers_rank_the_largest_swing_first():
    p = {**_model().failure_probability, "mav": 0.2, "ees_release": 0.01}
    drivers = risk_drivers(_model(failure_probability=p), n=20_000)
    rows = drivers["drivers"]
    assert rows[0]["driver"] == "mav failure probability"
    assert rows[0]["cases"]["x0.5"] > drivers["probability_of_success"] > rows[0]["cases"]["x2"]
    assert [r["swing"] for r in rows] == sorted((r["swing"] for r in rows), reverse=True)
