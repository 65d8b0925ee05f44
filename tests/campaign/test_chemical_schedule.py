"""The schedule with a chemical ERO (Tianwen-3, the commercial relay): rules C1 to C5."""

import math

import numpy as np
import pytest

from msrsim.campaign.published import PUBLISHED_PLANS, compare
from msrsim.campaign.schedule import plan_schedule
from msrsim.core.bodies import DAY_S, MARS
from msrsim.core.time import et_to_utc_iso
from msrsim.scenario import ScenarioError, load_scenario
from msrsim.segments.ero_chemical import ChemicalEroMission, departure_delta_v

MARS_MU, MARS_RADIUS = MARS.gm.value, MARS.equatorial_radius.value


def _day(et):
    return et_to_utc_iso(et)[0][:10]


@pytest.fixture(scope="module")
def tianwen3():
    scenario = load_scenario("tianwen3")
    return scenario, plan_schedule(scenario)


def test_tianwen3_plans_a_chemical_round_trip_in_its_published_years(tianwen3):
    scenario, schedule = tianwen3
    mission = schedule.ero
    assert isinstance(mission, ChemicalEroMission)
    assert schedule.inconsistencies() == []
    assert mission.feasible and mission.budgets[0].margin_kg > 0.0
    # both launches in the 2028-29 window, the return in the 2030 window, Earth in 2031
    assert "2028-10" <= _day(schedule.ero.plan.launch_et) <= "2029-01-31"
    assert "2028-10" <= _day(schedule.srl_launch_period.open_et) <= "2029-01-31"
    assert _day(schedule.ero_mars_departure_et)[:4] == "2030"
    assert _day(schedule.nominal_return.arrival_et)[:4] == "2031"
    # the planned departure is the least-C3 day after the earliest one the rules allow
    assert schedule.mav_launch_deadline_et < schedule.ero_mars_departure_et
    assert mission.in_orbit_et < schedule.mav_launch_earliest_et
    assert schedule.ero_launch_period is not None
    assert "least-C3 day of the 2030" in schedule.provenance["ero_mars_departure"]


def test_chemical_burns_follow_the_arcs_excess_speeds(tianwen3):
    _, schedule = tianwen3
    mission = schedule.ero
    plan = mission.plan
    r = MARS_RADIUS + plan.waiting_altitude_m
    impulse = float(departure_delta_v(math.sqrt(plan.inbound.c3_m2_s2), MARS_MU, r))
    assert mission.departure_impulsive_delta_v_m_s == pytest.approx(impulse, rel=1e-12)
    assert 0.0 < mission.departure_finite_delta_v_m_s - impulse < 0.1 * impulse
    assert mission.insertion.v_infinity_m_s == plan.outbound.v_inf_arrival_m_s
    # the Earth arrival is the ballistic arc's, its v_inf the entry leg's
    assert schedule.nominal_return.arrival_et == plan.inbound.arrival_et
    v_inf = np.linalg.norm(schedule.nominal_return.v_infinity_m_s)
    assert v_inf == pytest.approx(plan.inbound.v_inf_arrival_m_s, rel=1e-6)
    # the budget: every burn charged, used + reserve + margin = load
    budget = mission.budgets[0]
    burnt = sum(p.propellant_kg for p in mission.phases)
    assert budget.used_kg == pytest.approx(burnt)
    assert budget.used_kg + budget.reserve_kg + budget.margin_kg == pytest.approx(budget.load_kg)
    assert (plan.earth_arrival_et - plan.mars_departure_et) / DAY_S <= 400.0


def test_tianwen3_compared_with_its_own_published_plan(tianwen3):
    _, schedule = tianwen3
    rows = {r.key: r for r in compare(schedule, PUBLISHED_PLANS["tianwen3"])}
    assert set(rows) == {f.key for f in PUBLISHED_PLANS["tianwen3"]}
    assert rows["ero_launch"].met and rows["srl_launch"].met and rows["ascent"].met
    assert not rows["ero_launch"].computed_is_input  # a chemical ERO's launch is computed
    assert rows["mars_departure"].met
    # the lander's arrivals searched in the published months and the return bounded to the
    # published ~9 months (schedule.max_return_cruise_days = 280): every date is met;
    # with the return allowed 300 days the least-C3 one is late (stated, not hidden)
    assert rows["srl_landing"].met and rows["samples_on_earth"].met, [
        r.line() for r in rows.values()
    ]


def test_a_load_that_does_not_close_names_the_field_and_the_shortfall():
    scenario = load_scenario("tianwen3", {"ero.chemical_propellant_load_kg": 3500.0})
    with pytest.raises(
        ValueError, match=r"ero.chemical_propellant_load_kg = 3500.*short by \d+ kg"
    ):
        plan_schedule(scenario)


def test_a_chemical_ero_needs_its_propellant_load():
    with pytest.raises(ScenarioError, match="chemical_propellant_load_kg = 0"):
        load_scenario(None, {"ero.cruise_propulsion": "chemical"})


def test_commercial_relay_returns_in_2031():
    schedule = plan_schedule(load_scenario("commercial-relay-3launch"))
    assert isinstance(schedule.ero, ChemicalEroMission) and schedule.ero.feasible
    (row,) = compare(schedule, PUBLISHED_PLANS["commercial-relay-2025"])
    assert row.met, row.line()
