"""The coupled campaign on the baseline: each trial flies the relay from its own previous
leg, in causal order, and the couplings show in the trial table."""

import numpy as np
import pytest
from whatif import FEW_TRIALS, SRL_2030, SRL_2031, scenario_from, scenario_text

from msrsim.campaign.chain import Failure, TrialTable, fly_chunk
from msrsim.campaign.runner import campaign_legs
from msrsim.campaign.schedule import plan_schedule
from msrsim.core.time import SOL_S, et_to_utc_iso, solar_longitude_deg
from msrsim.scenario import baseline

TRIALS = 400


@pytest.fixture(scope="module")
def plan():
    return campaign_legs(baseline()).plan


@pytest.fixture(scope="module")
def trials(plan):
    return fly_chunk(plan, 0, TRIALS)


def test_the_table_holds_each_trials_own_hand_offs(trials):
    for name in ("touchdown_et", "touchdown_latitude_deg", "touchdown_longitude_deg",
                 "mav_launch_et", "os_periapsis_altitude_km", "os_inclination_deg",
                 "capture_et", "ero_departure_et", "earth_landing_et",
                 "earth_landing_latitude_deg"):  # fmt: skip
        assert name in trials and trials[name].shape == (TRIALS,)
    ok = trials["success"]
    assert ok.mean() > 0.3  # the representative hardware failures take the rest
    for name in ("touchdown_et", "mav_launch_et", "capture_et", "earth_landing_et"):
        assert np.isfinite(trials[name][ok]).all(), name
        assert np.unique(trials[name][ok]).size > 0.9 * ok.sum(), f"{name} is not per trial"


def assert_causal_order(trials):
    """Launch < Mars entry < touchdown < MAV ready <= MAV launch < release <= search
    start <= capture < ERO departure < Earth entry < landing, trial by trial."""
    ok = trials["success"]
    order = ["srl_launch_et", "srl_entry_et", "touchdown_et", "mav_ready_et", "mav_launch_et",
             "os_release_et", "search_start_et", "capture_et", "ero_departure_et",
             "earth_entry_et", "earth_landing_et"]  # fmt: skip
    for before, after in zip(order, order[1:], strict=False):
        assert np.all(trials[before][ok] <= trials[after][ok]), (before, after)
    # the lander survived its own sols on the surface: a few hundred, never negative
    sols = (trials["mav_launch_et"][ok] - trials["touchdown_et"][ok]) / SOL_S
    assert 50 < sols.min() and sols.max() < 700


def test_every_successful_trial_keeps_causal_order(trials):
    assert_causal_order(trials)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("values", "earth_year"),
    [(SRL_2030 | dict(min_surface_sols="150"), "2035"), (SRL_2031, "2035")],
    ids=["srl-2030", "srl-2031"],
)
def test_a_later_srl_launch_flies_the_whole_relay(values, earth_year):
    """Issue 16's "what if": the SRL launching in 2030 or 2031 flies every leg from its
    own planned schedule, trial by trial, on a consistent timeline: the successes keep the
    causal order, the MAV launches within its season and by its deadline, and the samples
    land in the year the schedule planned."""
    scenario = scenario_from(scenario_text(**values), FEW_TRIALS)  # the legs' own spreads unused
    legs = campaign_legs(scenario)
    schedule = plan_schedule(scenario)
    assert schedule.inconsistencies() == []
    trials = fly_chunk(legs.plan, 0, 200)
    ok = trials["success"]
    assert ok.mean() > 0.3
    assert_causal_order(trials)
    # the MAV is ready by the deadline (the surface stops loading for it); its launch then
    # waits for the first pass under the ERO's plane in its local-time window, which the
    # capture allowance absorbs
    assert np.all(trials["mav_ready_et"][ok] <= schedule.mav_launch_deadline_et)
    wait_days = (trials["mav_launch_et"][ok] - trials["mav_ready_et"][ok]) / 86400.0
    assert wait_days.max() < scenario.schedule.capture_and_containment_days
    lo, hi = scenario.surface.mav_launch_ls_deg
    ls = solar_longitude_deg(trials["mav_launch_et"][ok])
    assert np.all((lo <= ls) & (ls < hi))
    years = {day[:4] for day in et_to_utc_iso(trials["earth_landing_et"][ok])}
    assert years == {earth_year}


def test_upstream_results_move_downstream_dates(trials):
    """The couplings: a later launch day lands later; a later MAV launch captures later;
    the MAV launches into the ERO's plane (a fixed local time would leave the planes tens
    of degrees apart: the ERO's node drifts ~9 deg a day)."""
    landed = np.isfinite(trials["touchdown_et"])
    day = trials["srl_launch_day"][landed]
    assert np.unique(day).size >= 3
    assert np.corrcoef(day, trials["touchdown_et"][landed])[0, 1] > 0.9
    captured = trials["captured"]
    mav, capture = trials["mav_launch_et"][captured], trials["capture_et"][captured]
    assert np.corrcoef(mav, capture)[0, 1] > 0.8
    assert np.percentile(trials["plane_change_deg"][captured], 99) < 1.5
    # the rover drives to each trial's own lander: its route follows the touchdown
    flown = np.isfinite(trials["rover_route_km"])
    assert np.unique(trials["rover_route_km"][flown]).size > 0.9 * flown.sum()


def test_a_trial_ended_by_its_physics_is_flown_no_further(trials):
    ended = trials["ended"] == Failure.OS_ORBIT
    if ended.any():
        assert np.isnan(trials["capture_et"][ended]).all()
        assert np.isnan(trials["earth_landing_et"][ended]).all()
    assert (trials["failure"][~trials["success"]] > 0).all()


def test_each_leg_draws_from_its_own_streams_and_chunks_agree(plan):
    """No two legs share a random stream family, and a trial flown in a chunk of 20 is the
    same trial as in a chunk of 40 (every leg, the rendezvous included)."""
    schema = {name: dtype for leg in plan.legs for name, dtype in leg.columns.items()}
    table = TrialTable(plan.seed, 0, 8, schema)
    for leg in plan.legs:
        leg.fly(table)
    assert len(table.families) == len(set(table.families)) >= 6
    whole = fly_chunk(plan, 100, 40)
    parts = [fly_chunk(plan, 100, 20), fly_chunk(plan, 120, 20)]
    for name, column in whole.items():
        np.testing.assert_array_equal(column, np.concatenate([p[name] for p in parts]), name)
