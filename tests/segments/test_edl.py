"""segments.edl: an MSL entry, descent and landing flown phase by phase.

The MSL reference of segments.edl (MSL_AEROSHELL, MSL_PARACHUTE, MSL_DESCENT, MSL_ENTRY,
each with its sources: Way, Davis and Shidner, AAS 13-420; Schoenenberger et al. 2009;
Cruz et al. 2014; Sengupta et al.; NASA's EDL timelines). Masses after the separations are
representative (MSL's heat shield ~385 kg, backshell and chute ~740 kg).
"""

import dataclasses
import math

import numpy as np
import pytest

from msrsim.core.atmosphere.mars import mars_gram_mean_profile
from msrsim.core.bodies import MARS
from msrsim.core.flight import flight_table
from msrsim.segments.edl import (
    EDL_HARD_LANDING,
    EDL_STATUS_MESSAGES,
    GALE_GROUND_ALTITUDE_M,
    MARS_SURFACE_GRAVITY_M_S2,
    MSL_AEROSHELL,
    MSL_DESCENT,
    MSL_ENTRY,
    MSL_INTERFACE_RADIUS_M,
    MSL_PARACHUTE,
    BalanceJettison,
    GuidanceSettings,
    armed_range_trigger,
    design_edl_guidance,
    fly_edl,
    inertial_entry_states,
    powered_descent,
)
from msrsim.segments.entry import landing_ellipse

SHELL, CHUTE, DESCENT = MSL_AEROSHELL, MSL_PARACHUTE, MSL_DESCENT
GALE_GROUND_M = GALE_GROUND_ALTITUDE_M
MSL = np.array(MSL_ENTRY)
ATMOSPHERE = flight_table(mars_gram_mean_profile(500.0))


def _states(rows):
    return inertial_entry_states(rows, MSL_INTERFACE_RADIUS_M)


@pytest.fixture(scope="module")
def guidance():
    r, v = _states(MSL[None])
    return design_edl_guidance(
        SHELL,
        CHUTE,
        ATMOSPHERE,
        r,
        v,
        GuidanceSettings(math.radians(45.0), 800.0, 1.96, 3.0, 1e-7),
        GALE_GROUND_M,
    )


def _fly(rows, guidance, shell=SHELL, chute=CHUTE, **options):
    r, v = _states(rows)
    return fly_edl(
        shell,
        chute,
        DESCENT,
        r,
        v,
        ATMOSPHERE,
        guidance=guidance,
        initial_bank_rad=math.radians(45.0),
        ground_altitude_m=GALE_GROUND_M,
        **options,
    )


def test_msl_timeline(guidance):
    # Published (NASA MSL landing milestones; Mars 2020 EDL page): parachute ~240-260 s after
    # entry near 10-11 km and Mach ~1.7-2.1 inside the 2.2 / 750 Pa box; touchdown ~7 min
    # after entry. Windows: deploy 220-280 s and 7-15 km (a mean atmosphere, 4.4 km below
    # the datum at Gale), touchdown 380-480 s; measured 245.2 s, 14.6 km, Mach 2.05, 444 s.
    nominal = _fly(MSL[None], guidance)
    assert nominal.landed[0] and nominal.deploy_in_box[0]
    # held at (or one 0.05 s step below) the design touchdown speed to the ground
    v_td = DESCENT.touchdown_speed_m_s
    assert 0.9 * v_td < nominal.touchdown_speed_m_s[0] <= 1.001 * v_td
    assert 220.0 < nominal.entry.time_s[0] < 280.0
    assert 7e3 < nominal.deploy_height_m[0] < 15e3
    assert 1.4 < nominal.deploy_mach[0] < 2.2
    assert 380.0 < nominal.touchdown_time_s[0] < 480.0
    assert 100.0 < nominal.propellant_kg[0] < 400.0  # MSL's descent stage carried ~390 kg


def test_landing_ellipse_is_of_the_order_of_the_flown_ones(guidance):
    # 2,000 entries with navigation and drag errors: the 99 % ellipse is of the order of
    # Mars 2020's 7.7 x 6.6 km and MSL's final 20 x 7 km (NASA PIA24350; Martin-Mur et al.
    # 2012): each axis between 3 and 20 km (measured 7.1 x 4.8 km); every capsule lands and
    # deploys inside the box.
    n = 2000
    rng = np.random.default_rng(3)
    rows = MSL + rng.standard_normal((n, 5)) * [0.02, 0.02, 2.0, 0.05, 0.03]
    flown = _fly(rows, guidance, cd_scale=1.0 + 0.03 * rng.standard_normal(n))
    assert flown.landed.all()
    assert flown.deploy_in_box.mean() > 0.99
    ellipse = landing_ellipse(flown.landing_latitude_rad, flown.landing_longitude_rad, body=MARS)
    assert 3e3 < 2 * ellipse.semi_minor_m <= 2 * ellipse.semi_major_m < 20e3


def test_powered_descent_against_the_constant_deceleration_closed_form():
    # Started on the ideal path (v^2 / 2h + g constant), the law keeps a constant thrust
    # acceleration a = v0^2 / (2 h0) + g: burn time v0 / (a - g), propellant
    # m0 (1 - exp(-a t / c)), no drift when falling straight down. 0.5 %: the 0.05 s steps
    # and the final hold at 0.75 m/s.
    h0, v0, m0 = 2000.0, 80.0, 2000.0
    descent = dataclasses.replace(DESCENT, touchdown_speed_m_s=0.01)
    drift, propellant, duration, impact = powered_descent([h0], [0.0], [v0], m0, descent)
    g = MARS_SURFACE_GRAVITY_M_S2
    a = v0**2 / (2 * h0) + g
    t_burn = v0 / (a - g)
    expected = m0 * (1.0 - math.exp(-a * t_burn / (descent.specific_impulse_s * 9.80665)))
    assert duration[0] == pytest.approx(t_burn, rel=5e-3)
    assert propellant[0] == pytest.approx(expected, rel=5e-3)
    assert abs(drift[0]) < 1e-9
    assert impact[0] == pytest.approx(0.01, abs=0.01)


def test_a_descent_engine_below_the_lander_weight_crashes():
    # Issue 22, case 5. An engine that cannot hold the lander's Mars weight never
    # decelerates it: it falls from 2 km, so it hits the ground faster than it separated
    # (energy: v^2 >= v0^2 + 2 (g - T/m) h); the trial is a hard landing, not a landing.
    h0, v0, m0 = 2000.0, 80.0, 2000.0
    weak = dataclasses.replace(DESCENT, thrust_n=0.5 * m0 * MARS_SURFACE_GRAVITY_M_S2)
    *_, impact = powered_descent([h0], [0.0], [v0], m0, weak)
    floor = math.sqrt(v0**2 + 2 * (MARS_SURFACE_GRAVITY_M_S2 - weak.thrust_n / m0) * h0)
    assert impact[0] >= 0.99 * floor > 100.0


@pytest.mark.parametrize("thrust_n", [1.0, 5000.0])
def test_a_lander_that_cannot_brake_is_flagged_per_trajectory(guidance, thrust_n):
    # Issue 22, case 5: descent_thrust_n = 5000 (or 1) landed 50 of 50 trials. The entry and
    # parachute phases fly as before; every trajectory is now a hard landing.
    rows = MSL + np.random.default_rng(5).standard_normal((4, 5)) * [0.01, 0.01, 1.0, 0.02, 0.02]
    weak = dataclasses.replace(DESCENT, thrust_n=thrust_n)
    flown = fly_edl(
        SHELL, CHUTE, weak, *_states(rows), ATMOSPHERE, guidance=guidance,
        initial_bank_rad=math.radians(45.0), ground_altitude_m=GALE_GROUND_M,
    )  # fmt: skip
    assert not flown.landed.any()
    assert (flown.status == EDL_HARD_LANDING).all()
    assert (flown.touchdown_speed_m_s > 50.0).all()
    assert set(np.unique(flown.status)) <= set(EDL_STATUS_MESSAGES)


def test_the_aeroshell_keeps_its_drag_into_the_low_supersonic_range():
    # Modified Newtonian forebody drag alone fell 10 % from the hypersonic CD to Mach 2 (1.45
    # to 1.30), which flew the chute ~1 km too deep (issue 17); with the base drag of
    # core.aero.base_drag_coefficient the table keeps its hypersonic CD at the top and stays
    # within 3 % of it from Mach 2 up.
    aero = MSL_AEROSHELL.aerodynamics()
    cd = aero.cd_continuum
    assert cd[-1] == pytest.approx(MSL_AEROSHELL.hypersonic_drag_coefficient, rel=1e-12)
    supersonic = aero.mach >= 2.0
    assert np.all(np.abs(cd[supersonic] / cd[-1] - 1.0) < 0.03)


def _deploy_speed(flown):
    return np.linalg.norm(flown.entry.velocity_m_s, axis=1)


def test_balance_masses_dropped_at_the_trigger_leave_the_entry_and_lighten_the_chute(guidance):
    # SUFR (Nelessen et al. 2019: six 25 kg masses) started 0.5 m/s above the trigger: the
    # entry to deploy is the one without it (within the 0.05 s flown between the two
    # speeds: 25 m, 0.5 m/s), and 150 kg less hangs from the chute: at backshell separation
    # it descends slower, as sqrt(mass) of a chute near its terminal speed (the ratio of
    # the masses' roots within 1 %; measured 0.2 %).
    plain = _fly(MSL[None], guidance)
    late = BalanceJettison(150.0, CHUTE.trigger_speed_m_s + 0.5)
    sufr = _fly(MSL[None], guidance, shell=dataclasses.replace(SHELL, balance=late))
    assert np.linalg.norm(sufr.entry.position_m - plain.entry.position_m) < 25.0
    assert abs(_deploy_speed(sufr)[0] - _deploy_speed(plain)[0]) < 0.5
    assert abs(sufr.entry.time_s[0] - plain.entry.time_s[0]) < 0.1
    hanging = SHELL.mass_kg - DESCENT.heatshield_mass_kg
    expected = math.sqrt((hanging - 150.0) / hanging)

    def descent_speed(flown):
        r, v = flown.parachute.position_m, flown.parachute.velocity_m_s
        return -np.sum(r * v, axis=1) / np.linalg.norm(r, axis=1)

    ratio = descent_speed(sufr)[0] / descent_speed(plain)[0]
    assert ratio == pytest.approx(expected, rel=0.01)


def test_balance_masses_dropped_early_lose_the_lift_and_the_height(guidance):
    # After SUFR the aeroshell flies at zero incidence: no lift, 10 % more drag
    # (zero_incidence_aerodynamics). Dropped at 900 m/s instead of just above the
    # trigger, the entry loses the lift of its heading alignment for longer, more than the
    # drag gives back, and opens its chute lower (measured 0.42 km lower, 654 Pa against
    # 630 Pa). The phases join: one entry time, peak values of the whole entry, one
    # history whose clock runs on (the steps are recorded, not the stop within the last).
    def flown(speed):
        shell = dataclasses.replace(SHELL, balance=BalanceJettison(150.0, speed))
        return _fly(MSL[None], guidance, shell=shell, history_samples=4000)

    early, late = flown(900.0), flown(CHUTE.trigger_speed_m_s + 20.0)
    assert early.deploy_height_m[0] < late.deploy_height_m[0] - 200.0
    assert early.deploy_dynamic_pressure_pa[0] > late.deploy_dynamic_pressure_pa[0] + 10.0
    t = early.entry.history[0, :, 0]
    t = t[np.isfinite(t)]
    assert np.all(np.diff(t) > 0)  # the last accepted step, at most 1 s before the stop
    assert early.entry.time_s[0] - 1.0 <= t[-1] < early.entry.time_s[0]
    assert early.entry.peak_deceleration_g[0] == pytest.approx(
        late.entry.peak_deceleration_g[0], rel=1e-3
    )  # the peak is hypersonic, long before either drop


def test_a_range_trigger_armed_on_the_nominal_opens_it_where_its_speed_trigger_did(guidance):
    nominal = _fly(MSL[None], guidance)
    chute = armed_range_trigger(CHUTE, nominal, (600.0, 350.0))
    ranged = _fly(MSL[None], guidance, chute=chute)
    # the window's steps (at most 1 s, ~450 m) are interpolated linearly: metres
    assert np.linalg.norm(ranged.entry.position_m - nominal.entry.position_m) < 30.0
    assert abs(_deploy_speed(ranged)[0] - CHUTE.trigger_speed_m_s) < 0.5
    assert ranged.landed[0]
    with pytest.raises(ValueError, match="must bracket the trigger speed 450 m/s"):
        armed_range_trigger(CHUTE, nominal, (440.0, 350.0))


def test_a_range_trigger_opens_every_chute_at_the_same_range_to_the_target(guidance):
    # Way (IEEE Aerospace 2011) and Dutta and Way (AIAA 2017): deploying on the range to
    # go instead of the speed takes out the along-track spread at deploy, and with it most
    # of the landing ellipse. 200 entries with drag, speed and angle errors: with the speed
    # trigger the range to the target at deploy spreads by a kilometre (measured 1.09 km);
    # with the range trigger every chute that opens inside its window does so at the
    # trigger range (to 5 m: the linear interpolation within a step; measured 0.2 m) and
    # the landing ellipse (of the landings about their own mean) shrinks to less than half
    # its area (measured 7.2 x 5.4 km to 5.9 x 2.1 km).
    nominal = _fly(MSL[None], guidance)
    chute = armed_range_trigger(CHUTE, nominal, (650.0, 300.0))
    trigger = chute.range_trigger
    rng = np.random.default_rng(5)
    n = 200
    rows = MSL + rng.standard_normal((n, 5)) * [0.02, 0.02, 2.0, 0.05, 0.03]
    cd_scale = 1.0 + 0.03 * rng.standard_normal(n)
    by_speed = _fly(rows, guidance, cd_scale=cd_scale)
    by_range = _fly(rows, guidance, chute=chute, cd_scale=cd_scale)
    spread = {
        name: np.std(trigger.range_to_target_m(f.entry.position_m))
        for name, f in (("speed", by_speed), ("range", by_range))
    }
    assert spread["speed"] > 500.0
    assert spread["range"] < 0.01 * spread["speed"]
    speed = _deploy_speed(by_range)
    inside = (speed < 650.0 - 1e-6) & (speed > 300.0 + 1e-6)
    assert inside.mean() > 0.9
    to_go = trigger.range_to_target_m(by_range.entry.position_m[inside])
    assert np.abs(to_go - trigger.range_m).max() < 5.0
    assert by_range.landed.all()
    area = {}
    for name, f in (("speed", by_speed), ("range", by_range)):
        e = landing_ellipse(f.landing_latitude_rad, f.landing_longitude_rad, body=MARS)
        area[name] = e.semi_major_m * e.semi_minor_m
    assert area["range"] < 0.5 * area["speed"]


def test_after_sufr_the_aeroshell_flies_untrimmed():
    # Zero incidence: no lift, and the trimmed CD(Mach) times the Newtonian ratio of the
    # 70 deg sphere-cone's drag at zero incidence to its drag at the trim angle of L/D 0.24
    # (15.6 deg; msrsim.core.incidence): 1.102 at every Mach.
    trimmed, straight = SHELL.aerodynamics(), SHELL.zero_incidence_aerodynamics()
    assert np.all(straight.lift_to_drag == 0.0)
    ratio = straight.cd_continuum / trimmed.cd_continuum
    assert np.allclose(ratio, 1.1019, atol=1e-3)


def test_a_range_trigger_opens_at_its_window_edges_when_the_range_is_not_met(guidance):
    # Dutta and Way (AIAA 2017): the range trigger is bounded by speeds. A trigger range
    # never reached (0 m: the target itself) opens at the latest speed, the back-up; one
    # already passed when the window opens (100,000 km) opens at the earliest speed.
    nominal = _fly(MSL[None], guidance)
    armed = armed_range_trigger(CHUTE, nominal, (600.0, 350.0)).range_trigger
    for range_m, speed in ((0.0, 350.0), (1e8, 600.0)):
        chute = dataclasses.replace(
            CHUTE, range_trigger=dataclasses.replace(armed, range_m=range_m)
        )
        flown = _fly(MSL[None], guidance, chute=chute)
        assert _deploy_speed(flown)[0] == pytest.approx(speed, abs=1e-6)
