"""The MAV options (segments.ascent.AscentVehicle): two stages, or one stage whose two burns
share it (a dual-pulse solid or a restartable liquid engine), sized from stage masses and
specific impulses and flown by the same ascent kernel.

Checked against the rocket equation written out here, the kernel's own ideal delta-v
integral (eq. 3 of segments.ascent), and the published ascent requirement of a Mars
ascent vehicle (Tianwen-3's two-stage ascender "about 4.5 km/s", news of CNSA statements
[S], as the issue records it).
"""

import dataclasses
import math

import pytest

from msrsim.campaign.ascent import (
    ascent_vehicle,
    base_plan,
    launch_epoch,
    launch_site,
    pitch_limits,
)
from msrsim.core.atmosphere.mars import mars_gram_mean_profile
from msrsim.core.solid_motor import SolidMotor
from msrsim.scenario import baseline
from msrsim.segments.ascent import AscentAtmosphere, delta_v_budget, fly_ascent, release_orbits
from msrsim.segments.ascent_guidance import AscentTarget, design_ascent

G0 = 9.80665
DEG = math.pi / 180.0


def liquid_burn(name, propellant_kg, inert_kg, thrust_n):
    """A burn of a pressure-fed MMH/MON engine, ~320 s vacuum (Sutton and Biblarz Table
    5-5), at constant thrust: no temperature sensitivity, a neutral curve."""
    isp = 320.0
    return SolidMotor(name, propellant_kg, inert_kg, isp, propellant_kg * isp * G0 / thrust_n,
                      "neutral", 0.12, 3000.0, 0.0, 0.0, 20.0)  # fmt: skip


def single_stage_liquid():
    base = ascent_vehicle(baseline())
    return dataclasses.replace(
        base,
        srm1=liquid_burn("burn 1", 210.0, 45.0, 8000.0),
        srm2=liquid_burn("burn 2", 70.0, 1e-9, 2000.0),
        stage1_structure_kg=0.0,
        stage2_structure_kg=30.0,
        stages=1,
    )


def test_ideal_delta_v_is_the_rocket_equation_of_each_option():
    two = ascent_vehicle(baseline())
    m0 = 400.0  # the baseline's published ~400 kg, its stack adding up exactly
    dv1 = 285.0 * G0 * math.log(m0 / (m0 - 228.0))
    m2 = m0 - 228.0 - 42.0 - 20.0  # SRM1's case and the stage-1 structure drop
    dv2 = 295.0 * G0 * math.log(m2 / (m2 - 54.0))
    assert two.liftoff_mass_kg == pytest.approx(m0)
    assert two.ideal_delta_v_m_s() == pytest.approx(dv1 + dv2, rel=1e-12)
    one = single_stage_liquid()
    m0 = 210.0 + 45.0 + 70.0 + 30.0 + one.payload_kg
    expected = 320.0 * G0 * math.log(m0 / (m0 - 280.0))  # one stage: the burns add up
    assert one.ideal_delta_v_m_s() == pytest.approx(expected, rel=1e-9)
    # half of the second burn offloaded: the lift-off mass flown drops by what was left
    assert one.flown_liftoff_mass_kg(0.5) == pytest.approx(m0 - 35.0)
    m0 -= 35.0
    assert one.ideal_delta_v_m_s(0.5) == pytest.approx(
        320.0 * G0 * math.log(m0 / (m0 - 245.0)), rel=1e-9
    )


def test_the_baseline_mav_has_a_mars_ascent_delta_v():
    # A ~400 kg two-stage solid MAV to a 500 km orbit: its ideal delta-v within 10 % of the
    # ~4.5 km/s published for Tianwen-3's two-stage ascender (the orbits differ; losses of
    # several hundred m/s above the ~3.4 km/s orbital speed).
    assert ascent_vehicle(baseline()).ideal_delta_v_m_s() == pytest.approx(4500.0, rel=0.1)


def test_a_single_stage_liquid_mav_flies_to_orbit_and_its_budget_closes():
    s = baseline()
    site = launch_site(s, launch_epoch(s))
    vehicle = single_stage_liquid()
    atmosphere = AscentAtmosphere.from_table(mars_gram_mean_profile(1000.0))
    target = AscentTarget(500e3, s.mav.target_orbit_inclination_deg * DEG)
    design = design_ascent(vehicle, site, atmosphere, target, base_plan(s), pitch_limits(s))
    plan = design.plan
    flown = fly_ascent(vehicle, plan, site, atmosphere)
    orbit = release_orbits(flown, site.et)
    assert orbit.flown[0]
    assert orbit.periapsis_altitude_m[0] == pytest.approx(500e3, abs=5e3)
    assert orbit.apoapsis_altitude_m[0] == pytest.approx(500e3, abs=5e3)
    budget = delta_v_budget(flown)
    # the kernel's integral of mdot c / m is the rocket equation of the burns as loaded
    ideal = vehicle.ideal_delta_v_m_s(plan.srm2_load_fraction)
    assert budget["ideal"][0] == pytest.approx(ideal, rel=1e-6)
    assert abs(budget["closure"][0]) < 1.0
    # nothing separates: the mass at release is the lift-off mass less both burns
    assert vehicle.flown_liftoff_mass_kg(plan.srm2_load_fraction) == pytest.approx(
        vehicle.liftoff_mass_kg - 70.0 * (1 - plan.srm2_load_fraction)
    )
