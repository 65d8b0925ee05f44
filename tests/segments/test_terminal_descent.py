"""segments.edl: the sky-crane and legged terminal descents (fly_powered_descent).

Checked against the closed form of the gate profile flown straight down (every phase at
constant net deceleration or constant speed, propellant by the rocket equation), and
against what NASA published of MSL's and Perseverance's powered flight (test_edl.py flies
the whole MSL case with the sky crane).
"""

import dataclasses
import math

import numpy as np
import pytest

from msrsim.core.bodies import G0_M_S2
from msrsim.segments.edl import (
    MARS_SURFACE_GRAVITY_M_S2,
    MSL_DESCENT,
    MSL_SKY_CRANE,
    TerminalDescent,
    fly_powered_descent,
)

G = MARS_SURFACE_GRAVITY_M_S2
SKY_CRANE = dataclasses.replace(MSL_DESCENT, terminal=MSL_SKY_CRANE)
M0 = 3152.0 - 385.0 - 740.0  # MSL at backshell separation (segments.edl's MSL figures)


def closed_form(h0, v0, m0, descent):
    """Phase times and propellant of a vertical descent started on the approach's path."""
    d, v_td = descent.terminal, descent.touchdown_speed_m_s
    a0 = (v0**2 - d.constant_velocity_speed_m_s**2) / (2 * (h0 - d.constant_velocity_height_m))
    t_approach = (v0 - d.constant_velocity_speed_m_s) / a0
    brake_from = d.final_height_m + (d.constant_velocity_speed_m_s**2 - v_td**2) / (
        2 * d.final_deceleration_m_s2
    )
    t_constant = (d.constant_velocity_height_m - brake_from) / d.constant_velocity_speed_m_s
    t_brake = (d.constant_velocity_speed_m_s - v_td) / d.final_deceleration_m_s2
    t_last = (d.final_height_m - d.touchdown_height_m) / v_td
    impulse = (a0 + G) * t_approach + G * t_constant + (d.final_deceleration_m_s2 + G) * t_brake
    impulse += G * t_last
    c = descent.specific_impulse_s * G0_M_S2
    return (t_approach, t_constant, t_brake, t_last), m0 * (1 - math.exp(-impulse / c))


def test_sky_crane_phases_and_propellant_against_the_closed_form():
    # Straight down from 2.1 km at 80 m/s: the approach's braking law keeps a constant
    # deceleration, the constant-velocity phase ends where 5 m/s2 brakes 20 -> 0.75 m/s by
    # 20 m, the sky crane holds 0.75 m/s until the rover's wheels touch (stage at 9.6 m).
    # 0.1 s on each phase (the 0.05 s steps: a gate is passed at the end of a step), 0.5 %
    # on the propellant.
    h0, v0 = 2100.0, 80.0
    flown = fly_powered_descent([h0], [0.0], [v0], M0, SKY_CRANE)
    phases, propellant = closed_form(h0, v0, M0, SKY_CRANE)
    assert flown.phase_s[0] == pytest.approx(phases, abs=0.1)
    assert flown.duration_s[0] == pytest.approx(sum(phases), abs=0.2)
    assert flown.propellant_kg[0] == pytest.approx(propellant, rel=5e-3)
    assert flown.touchdown_speed_m_s[0] == pytest.approx(0.75, abs=1e-3)
    assert not flown.out_of_propellant[0]


def test_sky_crane_matches_the_published_msl_and_perseverance_figures():
    # NASA (Mars 2020 landing press kit and landing commentary, 2021 [S]): backshell off at
    # ~2.1 km (the EDL timeline; the commentary called ~2.6 km), the sky crane starts ~20 m
    # up at 0.75 m/s, ~12 s before touchdown; Perseverance passed 300 m at ~30 m/s. MSL's
    # powered descent took ~50 s (NASA/JPL pre-landing figure [S]) from ~80 m/s on the
    # chute. Tolerances: 3 s on the sky crane (the rover's height below the bridle is
    # representative), 5 m/s at 300 m, 15 s on the whole descent (round figures, and the
    # sources differ on the separation height); within the ~390 kg of hydrazine carried.
    flown = fly_powered_descent([2100.0], [5.0], [80.0], M0, SKY_CRANE)
    assert flown.phase_s[0, 3] == pytest.approx(12.0, abs=3.0)
    assert flown.duration_s[0] == pytest.approx(50.0, abs=15.0)
    assert 150.0 < flown.propellant_kg[0] < MSL_SKY_CRANE.propellant_kg
    d = MSL_SKY_CRANE
    for h0 in (2100.0, 2600.0):  # the approach's constant deceleration, at 300 m
        v_cv, h_cv = d.constant_velocity_speed_m_s, d.constant_velocity_height_m
        a0 = (80.0**2 - v_cv**2) / (2 * (h0 - h_cv))
        assert math.sqrt(v_cv**2 + 2 * a0 * (300.0 - h_cv)) == pytest.approx(30.0, abs=5.0)


def test_legged_landing_nulls_the_drift_and_lands_at_its_design_speed():
    legged = dataclasses.replace(
        MSL_DESCENT,
        touchdown_speed_m_s=1.5,
        terminal=TerminalDescent("legged", 100.0, 20.0, 10.0, 5.0, 0.0, 500.0),
    )
    flown = fly_powered_descent([2100.0, 2100.0], [15.0, -10.0], [80.0, 70.0], M0, legged)
    assert flown.touchdown_speed_m_s == pytest.approx([1.5, 1.5], abs=0.01)
    assert (flown.phase_s[:, 3] > 5.0).all()  # 10 m at 1.5 m/s, less the step
    assert flown.drift_m[0] > 0 > flown.drift_m[1]


def test_dispersions_move_the_propellant_and_the_touchdown_speed():
    n = 3
    flown = fly_powered_descent(
        np.full(n, 2100.0), np.zeros(n), np.full(n, 80.0), M0, SKY_CRANE,
        thrust_scale=[1.0, 1.0, 1.0], isp_scale=[1.0, 0.95, 1.0],
        touchdown_speed_error_m_s=[0.0, 0.0, 0.2],
    )  # fmt: skip
    # a 5 % lower Isp burns ~5 % more (the same impulse, small mass ratio)
    assert flown.propellant_kg[1] / flown.propellant_kg[0] == pytest.approx(1 / 0.95, rel=5e-3)
    assert flown.touchdown_speed_m_s[2] == pytest.approx(0.95, abs=1e-3)


def test_a_descent_that_runs_dry_falls_and_is_flagged():
    starved = dataclasses.replace(
        SKY_CRANE, terminal=dataclasses.replace(MSL_SKY_CRANE, propellant_kg=100.0)
    )
    flown = fly_powered_descent([2100.0], [0.0], [80.0], M0, starved)
    assert flown.out_of_propellant[0]
    assert flown.propellant_kg[0] == pytest.approx(100.0, abs=2.0)
    assert flown.touchdown_speed_m_s[0] > 2 * 0.75


def test_the_gates_must_fall():
    with pytest.raises(ValueError, match="heights must fall"):
        TerminalDescent("sky_crane", 20.0, 20.0, 30.0, 5.0, 9.6, 390.0)
    with pytest.raises(ValueError, match="kind"):
        TerminalDescent("airbag", 100.0, 20.0, 20.0, 5.0, 0.0, 390.0)
