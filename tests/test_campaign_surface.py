"""campaign.surface: the scenario's surface leg as a plan, its summary and its milestones."""

import math

import numpy as np
import pytest

from msrsim.campaign.outcomes import LEGS
from msrsim.campaign.schedule import plan_schedule
from msrsim.campaign.surface import (
    MODELLED,
    run_surface,
    run_surface_leg,
    summary,
    surface_plan,
    timeline_rows,
)
from msrsim.core.time import utc_to_et
from msrsim.scenario import baseline
from msrsim.segments.surface_depot import site_distance_m

TRIALS = 2000  # enough to see every outcome class of the baseline; ~0.1 s


def et(utc: str) -> float:
    return float(utc_to_et(utc)[0])


# A fixed case for the hand calculations: landing 2031-01-21, MAV deadline 2031-07-01 (no
# solar conjunction in between, a tight deadline); the planned dates are the schedule's.
LANDING, DEADLINE = "2031-01-21", "2031-07-01"


def backup_only(scenario):
    """The scenario with the helicopters sent only when Perseverance fails."""
    heli = scenario.helicopters.model_copy(update={"send_when_rover_late": False})
    return scenario.model_copy(update={"helicopters": heli})


@pytest.fixture(scope="module")
def result():
    return run_surface(
        backup_only(baseline()), landing_et=et(LANDING), deadline_et=et(DEADLINE), trials=TRIALS
    )


def test_plan_reads_the_scenario_in_si():
    s = baseline()
    plan = surface_plan(s)
    schedule = plan_schedule(s)
    assert plan.landing_et == schedule.srl_first_landing_et  # the first launch day's arrival
    assert plan.mav.deadline_et == schedule.mav_launch_deadline_et
    assert (plan.lander.latitude_deg, plan.lander.east_longitude_deg) == (18.45, 77.45)
    assert plan.rover.start.latitude_deg == s.perseverance.start_latitude_deg
    assert plan.arm.time_per_tube_s == 4.0 * 3600.0  # hours in the file, seconds inside
    assert plan.helicopters.dust_season_ls_deg == (210.0, 300.0)
    assert plan.mav.launch_ls_window_deg == (0.0, 180.0)
    assert plan.selection.priority[0] == "Sapphire Canyon"
    assert plan.selection.capacity_tubes == s.orbiting_sample.capacity_tubes
    assert plan.depot.centre.east_longitude_deg == 77.445
    assert not plan.rover.fails_at_landing
    overridden = surface_plan(s, et("2030-01-01"), deadline_et=et("2031-01-01"), rover_fails=True)
    assert overridden.landing_et == et("2030-01-01")
    assert overridden.mav.deadline_et == et("2031-01-01")
    assert overridden.rover.fails_at_landing


def test_nominal_baseline_equals_hand_calculation(result):
    # No random event: Perseverance drives ceil(route / 120 m) sols (no conjunction between
    # January and July 2031), the arm loads its 22 tubes one a sol from the sol after
    # arrival (checkout ends on sol 13, long before), and the MAV is ready 10 preparation
    # sols later, Ls 0-180 allowing launch all that time.
    s = baseline()
    plan = result.plan
    route = site_distance_m(plan.rover.start, plan.lander) * s.perseverance.route_tortuosity
    arrival = math.ceil(route / s.perseverance.drive_m_per_sol) - 1
    nominal = summary(result)["nominal"]
    assert nominal["perseverance_arrival_sol"] == arrival
    assert nominal["tubes_loaded"] == nominal["tubes_from_perseverance"] == 22
    assert nominal["loading_complete_sol"] == arrival + 22
    assert nominal["mav_ready_sol"] == arrival + 22 + 1 + s.surface.mav_preparation_sols
    assert nominal["meets_deadline"] is True
    assert nominal["mav_ready_utc"] < nominal["mav_launch_deadline_utc"]
    assert nominal["solar_conjunctions_before_deadline_utc"] == []
    assert nominal["helicopter_flights"] == 0


def test_monte_carlo_summary_is_consistent_and_seeded(result):
    mc = summary(result)["monte_carlo"]
    assert mc["trials"] == TRIALS and mc["seed"] == baseline().scenario.seed
    # The tight 2031 deadline, helicopters held back for a failed rover: most trials make
    # it, some are cut before Perseverance arrives (no tubes), and a trial can only meet
    # the deadline with tubes on board.
    assert 0.5 < mc["probability_meets_deadline"] < 1.0
    # (rounded as the summary rounds: here every trial that misses has no tube)
    assert 0.0 < mc["probability_no_tubes"] <= round(1.0 - mc["probability_meets_deadline"], 4)
    low, median, high = (mc[f"mav_ready_sol{s}"] for s in ("_p01", "_median", "_p99"))
    assert low <= median <= high <= result.timeline.calendar.deadline_sol
    dates = {"landing_et": et(LANDING), "deadline_et": et(DEADLINE)}
    again = summary(run_surface(backup_only(baseline()), trials=TRIALS, **dates))["monte_carlo"]
    assert again == mc
    other = summary(run_surface(backup_only(baseline()), trials=TRIALS, seed=1, **dates))
    assert other["monte_carlo"]["tubes_loaded_mean"] != mc["tubes_loaded_mean"]


def test_helicopters_sent_for_a_late_rover_remove_the_no_tube_outcome(result):
    # The baseline's contingency: where Perseverance is projected late the helicopters
    # fetch the depot tubes while it drives, so no trial leaves without tubes; the same
    # streams give the same rover in both runs (its arrival sols are equal trial by trial).
    late = run_surface(baseline(), landing_et=et(LANDING), deadline_et=et(DEADLINE), trials=TRIALS)
    assert late.plan.helicopters.send_when_rover_late
    mc, held = late.trials, result.trials
    np.testing.assert_array_equal(mc.rover_arrival_sol, held.rover_arrival_sol)
    assert np.mean(held.tubes_loaded == 0) > 0.05 and np.all(mc.tubes_loaded > 0)
    assert mc.probability_meets_deadline > held.probability_meets_deadline
    sent = mc.helicopters_sent_rover_late
    assert 0.1 < sent.mean() < 0.9 and not held.helicopters_sent_rover_late.any()
    # Sent or not, the Orbiting Sample holds at most its capacity.
    assert mc.tubes_loaded.max() <= late.plan.selection.capacity_tubes
    assert np.all(mc.tubes_loaded[sent] >= held.tubes_loaded[sent])


def test_rover_failing_at_landing_sends_the_helicopters():
    failed = run_surface(baseline(), rover_fails=True, trials=500)
    rows = timeline_rows(failed)
    assert len(rows["flights"]) == 20  # ten depot tubes, out and back
    assert {t["courier"] for t in rows["tubes_loaded"]} == {"helicopter"}
    assert len(rows["tubes_loaded"]) == 10
    mc = summary(failed)["monte_carlo"]
    assert mc["probability_perseverance_fails"] == 1.0
    assert mc["helicopter_flights_mean"] > 15


def test_a_deadline_before_the_landing_is_refused_with_both_dates():
    with pytest.raises(ValueError, match="deadline 2030-01-01T00:00 must be at least 25 sols"):
        run_surface(baseline(), deadline_et=et("2030-01-01"), trials=10)


def test_planned_surface_time_meets_its_deadline():
    # the schedule's landing (March 2030) and deadline (a year later): the nominal timeline
    # waits out the May 2030 solar conjunction and is ready long before the deadline
    planned = run_surface(baseline(), trials=200)
    nominal = summary(planned)["nominal"]
    assert nominal["meets_deadline"] is True
    assert len(nominal["solar_conjunctions_before_deadline_utc"]) == 1
    assert summary(planned)["monte_carlo"]["probability_meets_deadline"] > 0.95


def test_leg_outcome_and_milestones():
    outcome, milestones, _ = run_surface_leg(baseline(), LEGS[3], trials=200)
    assert outcome.leg.number == 4 and outcome.status == MODELLED
    assert "SRL landing date from the schedule" in outcome.status
    assert set(outcome.summary) == {"nominal", "monte_carlo"}
    by_name = {m.name: m for m in milestones}
    assert by_name["SRL landing"].utc.startswith("2030-03-19")  # the schedule's
    assert by_name["SRL landing"].source.startswith("computed:")
    assert by_name["MAV launch deadline"].source.startswith("computed:")
    ready = by_name["MAV ready to launch (nominal surface timeline)"]
    assert ready.source.startswith("computed") and ready.utc < by_name["MAV launch deadline"].utc
    assert 0.0 <= ready.solar_longitude_deg < 180.0  # inside the MAV's launch season
