"""Leg 2: the ERO's whole mission on the baseline, its budget and the scenario's [ero]."""

import dataclasses
import math

import numpy as np
import pytest

from msrsim.campaign.ero import (
    electric_propulsion,
    ero_plan,
    mass_warnings,
    return_arrival,
    run_ero_leg,
)
from msrsim.campaign.outcomes import LEGS
from msrsim.core.bodies import AU_M, DAY_S, G0_M_S2, MARS
from msrsim.core.time import et_to_utc_iso
from msrsim.scenario import ScenarioError, baseline, baseline_text, load_scenario
from msrsim.segments.cruise import reaches
from msrsim.segments.ero import PropellantBudget


@pytest.fixture(scope="module")
def leg():
    return run_ero_leg(baseline(), LEGS[1])


@pytest.fixture(scope="module")
def mission(leg):
    return leg[2]


def test_scenario_arrays_and_thrusters():
    # 144 m^2 x 1361 W/m^2 x 0.28 x 0.75 = 41.2 kW at 1 AU; x 0.85 stays above the 10 kW
    # cap out to sqrt(41.2 x 0.85 / 10) = 1.87 AU, beyond Mars' aphelion (1.67 AU): the
    # mean thrust there is 0.9 x 2 x 0.55 x 10 kW / (g0 1800 s) = 0.561 N.
    prop = electric_propulsion(baseline())
    assert prop.array_power_1au_w == pytest.approx(144 * 1361 * 0.28 * 0.75, rel=1e-12)
    thrust = prop.thrust_n(np.array([1.0, 1.67, 2.0]) * AU_M)
    assert thrust[0] == pytest.approx(0.9 * 2 * 0.55 * 1e4 / (G0_M_S2 * 1800), rel=1e-12)
    assert thrust[1] == thrust[0] and thrust[2] < thrust[0]


def test_phases_follow_each_other_and_the_masses_chain(mission):
    phases = mission.phases
    for before, after in zip(phases, phases[1:], strict=False):
        assert after.start_et == pytest.approx(before.end_et, abs=1.0)
        gained = mission.plan.captured_mass_kg if after.name == "spiral up" else 0.0
        assert after.mass_start_kg == pytest.approx(before.mass_end_kg + gained, abs=1e-9)
    used = sum(b.used_kg for b in mission.budgets)
    final = phases[-1].mass_end_kg
    # the budget closes to rounding: launch = final + propellant used - mass taken on
    assert mission.plan.launch_mass_kg + mission.plan.captured_mass_kg - used == pytest.approx(
        final, abs=1e-9
    )
    for p in phases:  # each phase's delta-v is its rocket equation
        if p.propellant == "xenon":
            c = mission.plan.propulsion.exhaust_speed_m_s
        elif p.propellant == "bipropellant":
            c = G0_M_S2 * mission.plan.insertion_isp_s
        else:
            assert p.delta_v_m_s == 0.0
            continue
        assert p.delta_v_m_s == pytest.approx(c * math.log(p.mass_start_kg / p.mass_end_kg))


def test_baseline_has_the_published_shape(mission):
    # launch 2027 (an input), Mars orbit insertion 2029 (PIA25892) and Earth 2033 (NASA
    # 2022), both computed by the schedule; in the rendezvous orbit before the departure;
    # the budget closes with its 5 % reserves.
    years = [et_to_utc_iso(p.start_et)[0][:4] for p in mission.phases]
    assert years[0] == "2027" and years[1] == "2029"
    assert et_to_utc_iso(mission.phases[-1].end_et)[0][:4] == "2033"
    assert mission.feasible and mission.operations_days > 100
    assert all(b.closes for b in mission.budgets)
    assert mission.dry_mass_kg > 0.35 * mission.plan.launch_mass_kg


def test_cruises_reach_their_targets(mission):
    # the optimiser's thrust history, flown impulse by impulse with DOP853, ends within
    # 1 km of the arrival state (SLSQP's tolerance is ~150 m at 1 AU); the continuous-thrust
    # flight of the same history misses by the transcription's dt^2 error, < 1.5 % of 1.5 AU
    for cruise in (mission.outbound, mission.inbound):
        t = cruise.transfer
        assert reaches(t) and np.all(t.throttle <= 1.0 + 1e-6)
        assert cruise.impulsive_check.position_error_m < 1e3
        assert cruise.impulsive_check.velocity_error_m_s < 1e-3
        assert cruise.continuous_check.position_error_m < 0.015 * 1.5 * AU_M
    plan = mission.plan
    out, back = mission.outbound.transfer, mission.inbound.transfer
    assert np.linalg.norm(out.departure_v_infinity_m_s) <= plan.launch_v_infinity_max_m_s + 1e-6
    assert np.linalg.norm(back.arrival_v_infinity_m_s) <= plan.return_v_infinity_max_m_s + 1e-3
    # electric cruising beats the ballistic arc of the same dates, which needs far more than
    # the launcher gives (C3 of 63 km2/s2 against ~6)
    assert mission.outbound.ballistic.c3_m2_s2 > plan.launch_v_infinity_max_m_s**2 * 4


def test_spirals_against_edelbaum(mission):
    # spiral up, circle to escape: tangential thrust needs a little less than Edelbaum's
    # v0 (the escape condition is zero energy, reached before the circles' limit), here
    # 3.09 against 3.32 km/s; eclipses only lengthen it.
    up, down = mission.spiral_up, mission.spiral_down
    assert 0.85 * mission.edelbaum_up_m_s < up.delta_v_m_s < mission.edelbaum_up_m_s
    assert up.shadow_s > 0 and down.shadow_s > 0
    # spiral down from the eccentric capture orbit: within 20 % of Edelbaum's circle-to-
    # circle figure between the same semi-major axes (2.07 against 1.87 km/s)
    assert down.delta_v_m_s == pytest.approx(mission.edelbaum_down_m_s, rel=0.2)
    radius = MARS.equatorial_radius.value
    assert down.history_a_m[-1] == pytest.approx(radius + 490e3, abs=10e3)


def test_insertion_pays_a_finite_burn_loss(mission):
    ins = mission.insertion
    assert 0.0 < ins.gravity_loss_m_s < 0.25 * ins.impulsive_delta_v_m_s
    assert ins.burn_s / 60.0 == pytest.approx(ins.propellant_kg * G0_M_S2 * 321.0 / 850.0 / 60.0)


def test_leg_outcome_and_return_arrival(leg, mission):
    outcome, milestones, _ = leg
    assert outcome.status.startswith("modelled") and "does not close" not in outcome.status
    assert outcome.summary["budget"]["feasible"] is True
    names = [m.name for m in milestones]
    assert names[0] == "ERO launch" and names[-1] == "ERO arrives at Earth"
    arrival = return_arrival(mission)
    assert arrival.arrival_et == mission.plan.earth_arrival_et
    assert np.linalg.norm(arrival.v_infinity_m_s) == pytest.approx(
        np.linalg.norm(mission.inbound.transfer.arrival_v_infinity_m_s)
    )


def test_budget_margin_and_closure():
    ok = PropellantBudget("xenon", 1000.0, 900.0, 45.0)
    short = PropellantBudget("xenon", 1000.0, 960.0, 48.0)
    assert ok.closes and ok.margin_kg == pytest.approx(55.0)
    assert not short.closes and short.margin_kg == pytest.approx(-8.0)


def test_plan_reads_the_scenario_in_si():
    plan = ero_plan(baseline())
    assert plan.rendezvous_altitude_m == 490e3  # 500 km OS orbit, ERO 10 km below
    assert plan.inclination_rad == pytest.approx(math.radians(25.0))
    # the ERO waits in its orbit for the MAV: more than a year between arrival and departure
    assert (plan.mars_departure_et - plan.mars_arrival_et) / DAY_S > 365
    assert plan.return_v_infinity_max_m_s == pytest.approx(
        math.sqrt(12e3**2 - 2 * 3.986004418e14 / (6378137.0 + 125e3)), rel=1e-6
    )
    # a plan differing only in a field is another plan (frozen dataclass)
    assert dataclasses.replace(plan, xenon_load_kg=1.0) != plan


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "launch_utc = { value = 2027-10-15,",
            "launch_utc = { value = 2027-06-15,",
            "ero.launch_utc = 2027-06-15 must be inside ero_launch's departure window",
        ),
        (
            "xenon_load_kg = { value = 3050.0,",
            "xenon_load_kg = { value = 6000.0,",
            "must be less than launch_mass_kg",
        ),
        (
            'cruise_propulsion = { value = "electric",',
            'cruise_propulsion = { value = "chemical",',  # a chemical ERO without its load
            "chemical_propellant_load_kg = 0 must be above 0 and less than launch_mass_kg",
        ),
    ],
)
def test_bad_ero_values_are_named(tmp_path, old, new, message):
    text = baseline_text()
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert message in str(caught.value)


def test_a_load_changed_without_the_launch_mass_is_a_warning_about_the_dry_mass():
    # the dry mass is the launch mass less the loads: 6,750 - 2,900 - 1,150 = 2,700 kg
    flown = type("Flown", (), {"dry_mass_kg": 2700.0})()
    less_xenon = load_scenario(None, {"ero.xenon_load_kg": 2900.0}, overrides_label="--set")
    (warning,) = mass_warnings(less_xenon, flown)
    assert warning.startswith("ero.xenon_load_kg changed with ero.launch_mass_kg kept at 6,750")
    assert "the dry mass, the launch mass less the loads, is now 2,700 kg" in warning
    both = load_scenario(
        None,
        {"ero.xenon_load_kg": 2900.0, "ero.launch_mass_kg": 6600.0},
        overrides_label="--set",
    )
    assert mass_warnings(both, flown) == []
    assert mass_warnings(baseline(), flown) == []
