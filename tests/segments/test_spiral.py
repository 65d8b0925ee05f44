"""segments.spiral: finite-burn Mars orbit insertion and the electric spirals, against
Edelbaum's analytic transfer, an independent DOP853 integration and the impulsive limit."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from msrsim.core.bodies import DAY_S, MARS
from msrsim.core.lowthrust import ElectricPropulsion, capture_delta_v
from msrsim.core.time import utc_to_et
from msrsim.segments.spiral import (
    edelbaum_delta_v,
    edelbaum_time_s,
    orbit_insertion,
    periapsis_state,
    spiral,
)

MU, R = MARS.gm.value, MARS.equatorial_radius.value
# 10 kW into the thrusters everywhere near Mars (the input cap binds): constant thrust
PROPULSION = ElectricPropulsion(1800.0, 0.55, 10_000.0, 41_000.0, 0.85, 0.9)
START = float(utc_to_et(["2029-12-01"])[0])
HIGH, LOW = R + 2000e3, R + 500e3


def circular(radius_m: float):
    return periapsis_state(radius_m, radius_m, math.radians(25.0), 0.3, 0.0)


@pytest.fixture(scope="module")
def descents():
    """2,000 km -> 500 km circular, 5 t, with each effect on alone and both together."""
    r, v = circular(HIGH)
    return {
        (j2, ecl): spiral(
            START,
            r,
            v,
            5000.0,
            PROPULSION,
            direction="down",
            target_radius_m=LOW,
            j2=j2,
            eclipses=ecl,
        )
        for j2 in (False, True)
        for ecl in (False, True)
    }


def test_spiral_matches_edelbaum_without_eclipses_or_j2(descents):
    # Edelbaum (1961), coplanar: dv = v1 - v0, time m0 c (1 - exp(-dv/c)) / T for a
    # constant thrust. A tangential low-thrust spiral stays quasi-circular (acceleration /
    # local gravity ~ 4e-5), so both should agree closely: measured 3e-6 in dv and time.
    # Tolerance 1 % ("a few percent" asked; far tighter than the model's other errors).
    res = descents[(False, False)]
    assert res.status == 0
    dv = float(edelbaum_delta_v(math.sqrt(MU / HIGH), math.sqrt(MU / LOW)))
    thrust = float(PROPULSION.thrust_n(1.5e11))
    t = float(edelbaum_time_s(dv, 5000.0, thrust, PROPULSION.exhaust_speed_m_s))
    assert res.delta_v_m_s == pytest.approx(dv, rel=0.01)
    assert res.duration_s == pytest.approx(t, rel=0.01)
    assert res.thrusting_s == pytest.approx(res.duration_s, rel=1e-12)


def test_edelbaum_plane_change_formula():
    # pure plane change between equal circles: 2 v sin(pi/4 di) (Edelbaum's closed form)
    v = 3000.0
    assert edelbaum_delta_v(v, v, math.radians(10.0)) == pytest.approx(
        2 * v * math.sin(math.pi / 4 * math.radians(10.0)), rel=1e-12
    )


def test_eclipses_lengthen_the_spiral(descents):
    # No thrust in Mars' shadow: the spiral takes longer, by more than the time in shadow
    # alone would suggest because the shadow pumps the eccentricity, which the steering
    # then spends delta-v to take out. Measured: 62.0 d against 50.7 d, shadow 6.0 d,
    # dv 552 against 498 m/s. Bounds: longer by at least the shadow time, dv within 20 %.
    plain, shaded = descents[(False, False)], descents[(False, True)]
    assert shaded.status == 0
    assert shaded.duration_s > plain.duration_s + 0.9 * shaded.shadow_s
    assert shaded.shadow_s > 0.05 * shaded.duration_s
    assert shaded.thrusting_s < shaded.duration_s - 0.9 * shaded.shadow_s
    assert shaded.delta_v_m_s == pytest.approx(plain.delta_v_m_s, rel=0.2)


def test_j2_alone_barely_changes_the_spiral(descents):
    # J2 does not change the energy of a tangential spiral on average (it is conservative),
    # so the time and dv move only by the osculating-element wobble: measured 0.07 %.
    # Tolerance 1 %. With eclipses, J2's nodal precession turns the orbit against the Sun
    # and changes the shadow: reported, not bounded (see docs/models.md).
    plain, j2 = descents[(False, False)], descents[(True, False)]
    assert j2.status == 0
    assert j2.duration_s == pytest.approx(plain.duration_s, rel=0.01)
    assert j2.delta_v_m_s == pytest.approx(plain.delta_v_m_s, rel=0.01)


def test_rk4_kernel_matches_dop853_with_j2_and_thrust():
    # One day of climbing from 500 km with J2 and thrust, no eclipses, against scipy's
    # DOP853 (rtol 1e-12) on an independent numpy copy of the equations. RK4 at ~400 steps
    # an orbit: measured 0.82 m after 12 orbits (RK4's phase error, ~7e-8 of the 11,000 km
    # travelled an orbit). Tolerance 5 m: metres of phase do not move a spiral's time or
    # delta-v.
    r, v = circular(LOW)
    res = spiral(START, r, v, 4000.0, PROPULSION, direction="up", eclipses=False, max_days=1.0)
    assert res.status == 1  # time limit: one day
    thrust = float(PROPULSION.thrust_n(1.5e11))
    j2, rref, c = MARS.j2.value, MARS.j2_reference_radius_m, PROPULSION.exhaust_speed_m_s

    def rhs(_t, y):
        p, u, m = y[:3], y[3:6], y[6]
        rn = np.linalg.norm(p)
        zz = 5 * p[2] ** 2 / rn**2
        acc = -MU * p / rn**3 - 1.5 * j2 * MU * rref**2 / rn**5 * p * np.array(
            [1 - zz, 1 - zz, 3 - zz]
        )
        acc = acc + thrust / m * u / np.linalg.norm(u)
        return np.concatenate([u, acc, [-thrust / c]])

    ref = solve_ivp(
        rhs, (0, DAY_S), np.concatenate([r, v, [4000.0]]), method="DOP853", rtol=1e-12, atol=1e-9
    )
    assert res.duration_s == pytest.approx(DAY_S, abs=1e-6)
    assert np.linalg.norm(res.final_r_m - ref.y[:3, -1]) < 5.0
    assert res.final_mass_kg == pytest.approx(ref.y[6, -1], abs=1e-6)


def test_escape_spiral_reaches_zero_energy_for_less_than_v0():
    # Spiralling out to C3 = 0 costs less than Edelbaum's v0 (the circle at infinity): the
    # last turns are an ever more eccentric orbit. Measured 3,081 m/s = 0.93 v0 in 247 days
    # for 0.56 N on 4 t.
    r, v = circular(LOW)
    res = spiral(START, r, v, 4000.0, PROPULSION, direction="up")
    v0 = math.sqrt(MU / LOW)
    assert res.status == 0
    energy = 0.5 * res.final_v_m_s @ res.final_v_m_s - MU / np.linalg.norm(res.final_r_m)
    assert energy >= 0.0
    assert 0.8 * v0 < res.delta_v_m_s < v0


def test_descent_from_capture_ellipse_circularises_above_the_surface():
    # The steering brakes about periapsis and pushes about apoapsis while e > 0.01: the
    # periapsis must not fall (measured: never below the capture's 300 km; pushing at
    # apoapsis lifts it to 16,700 km while the orbit circularises), and the spiral ends
    # near circular (e 0.0105) at the target semi-major axis (measured +2 km, the last
    # step's overshoot and the osculating J2 wobble; tolerance 5 km).
    r, v = periapsis_state(R + 300e3, R + 33_800e3, math.radians(25.0), 0.3, 0.0)
    res = spiral(START, r, v, 4700.0, PROPULSION, direction="down", target_radius_m=LOW)
    assert res.status == 0
    periapsis_altitude = res.history_a_m * (1 - res.history_e) - R
    assert periapsis_altitude.min() > 250e3
    assert res.history_e[-1] < 0.02
    assert res.history_a_m[-1] == pytest.approx(LOW, abs=5e3)


def test_orbit_insertion_impulsive_limit_and_second_order_loss():
    # Target: 300 km x 33,800 km from v_inf = 2 km/s with 6 t. With 1 MN the burn lasts
    # 3 s: the finite dv equals the impulsive one (measured loss 1.5e-4 m/s; tolerance
    # 0.01 m/s). Robbins (1966): the gravity loss of a burn centred on periapsis is second
    # order in its length; doubling the thrust (halving the burn) divides it by 4 (measured
    # 3.995 for 20 and 40 kN; tolerance 5 %).
    rp, ra = R + 300e3, R + 33_800e3
    fast = orbit_insertion(2000.0, 6000.0, 1e6, 321.0, rp, ra)
    assert fast.impulsive_delta_v_m_s == pytest.approx(float(capture_delta_v(2000.0, MU, rp, ra)))
    assert fast.gravity_loss_m_s == pytest.approx(0.0, abs=0.01)
    slow, faster = (orbit_insertion(2000.0, 6000.0, f, 321.0, rp, ra) for f in (2e4, 4e4))
    assert slow.gravity_loss_m_s / faster.gravity_loss_m_s == pytest.approx(4.0, rel=0.05)


def test_orbit_insertion_with_a_real_engine_ends_on_the_target_ellipse():
    # 850 N (two 425 N engines) on 6 t: a 78-minute burn, gravity loss 128 m/s (measured);
    # the burn ends on the target ellipse (periapsis and energy to 1e-8, the solver's
    # tolerance) with the hyperbola aimed ~400 km higher.
    rp, ra = R + 300e3, R + 33_800e3
    moi = orbit_insertion(2000.0, 6000.0, 850.0, 321.0, rp, ra)
    r, v = moi.final_r_m, moi.final_v_m_s
    a = -MU / (2 * (0.5 * v @ v - MU / np.linalg.norm(r)))
    h = np.cross(r, v)
    e = math.sqrt(1 - (h @ h) / (MU * a))
    assert a * (1 - e) == pytest.approx(rp, rel=1e-7)
    assert a == pytest.approx(0.5 * (rp + ra), rel=1e-7)
    assert 50.0 < moi.gravity_loss_m_s < 300.0
    assert moi.aim_periapsis_radius_m > rp


def test_bad_inputs_are_refused():
    r, v = circular(LOW)
    with pytest.raises(ValueError, match="direction"):
        spiral(START, r, v, 1000.0, PROPULSION, direction="sideways")
    with pytest.raises(ValueError, match="target_radius_m"):
        spiral(START, r, v, 1000.0, PROPULSION, direction="down")


def _elements(res):
    r, v = res.final_r_m, res.final_v_m_s
    a = -MU / (2 * (0.5 * v @ v - MU / np.linalg.norm(r)))
    h = np.cross(r, v)
    return a, math.sqrt(max(1 - (h @ h) / (MU * a), 0.0))


CAPTURE = (R + 300e3, R + 33_800e3)


def test_qlaw_descent_reaches_the_target_for_much_less_delta_v():
    # 300 x 33,800 km -> 500 km circular, 4.7 t, with J2 and eclipses. Measured: the
    # tangential law 3,961 m/s (390 d, 945 kg); the Q-law without coasting 2,887 m/s
    # (290 d, 709 kg), ending at e 0.008; with coasting below effectivity 0.5, 2,071 m/s
    # (384 d, 520 kg, 190 d thrusting), ending at e 0.005. Asserted: each Q-law run
    # reaches a within 5 km, e < 0.01, the periapsis never below the capture's, and
    # dv < 0.8 x the tangential law's; coasting saves dv and thrusts < 70 % of the sunlit
    # time.
    r, v = periapsis_state(*CAPTURE, math.radians(25.0), 0.3, 0.0)
    runs = {
        name: spiral(START, r, v, 4700.0, PROPULSION, target_radius_m=LOW, **kwargs)
        for name, kwargs in (
            ("tangential", {}),
            ("qlaw", {"steering": "qlaw"}),
            ("qlaw coasting", {"steering": "qlaw", "coast_effectivity": 0.5}),
        )
    }
    old = runs.pop("tangential")
    assert old.status == 0
    for res in runs.values():
        assert res.status == 0
        a, e = _elements(res)
        assert a == pytest.approx(LOW, abs=5e3)
        assert e < 0.01
        assert (res.history_a_m * (1 - res.history_e)).min() > CAPTURE[0] - 1e3
        assert res.delta_v_m_s < 0.8 * old.delta_v_m_s
    coasting = runs["qlaw coasting"]
    assert coasting.delta_v_m_s < runs["qlaw"].delta_v_m_s
    assert coasting.thrusting_s < 0.7 * (coasting.duration_s - coasting.shadow_s)


def test_qlaw_descent_against_edelbaum_and_the_impulsive_bound():
    # Two-body, no eclipses, Q-law with coasting (effectivity 0.5). Lower bound: the
    # two-impulse transfer (brake at the capture periapsis onto a 300 x 500 km ellipse,
    # circularise at 500 km: 1,186 m/s); no finite thrust does better. Reference: Edelbaum
    # between circles at the capture's semi-major axis and the target (1,869 m/s), what
    # an efficient low-thrust descent costs (not a strict bound from an ellipse). Measured
    # 2,065 m/s = 1.105 x Edelbaum. Asserted: above the impulsive bound, within 20 % above
    # Edelbaum.
    rp, ra = CAPTURE
    r, v = periapsis_state(rp, ra, math.radians(25.0), 0.3, 0.0)
    res = spiral(
        START,
        r,
        v,
        4700.0,
        PROPULSION,
        target_radius_m=LOW,
        j2=False,
        eclipses=False,
        steering="qlaw",
        coast_effectivity=0.5,
    )
    assert res.status == 0
    a, e = _elements(res)
    assert a == pytest.approx(LOW, abs=5e3)
    assert e < 0.01

    def vis_viva(radius, sma):
        return math.sqrt(MU * (2 / radius - 1 / sma))

    a0, a1 = 0.5 * (rp + ra), 0.5 * (rp + LOW)
    impulsive = (vis_viva(rp, a0) - vis_viva(rp, a1)) + (vis_viva(LOW, LOW) - vis_viva(LOW, a1))
    edelbaum = float(edelbaum_delta_v(math.sqrt(MU / a0), math.sqrt(MU / LOW)))
    assert impulsive == pytest.approx(1186.0, abs=2.0)
    assert edelbaum == pytest.approx(1869.0, abs=2.0)
    assert impulsive < res.delta_v_m_s < 1.2 * edelbaum


def test_qlaw_refuses_climbs_and_bad_options():
    r, v = circular(LOW)
    with pytest.raises(ValueError, match="steering"):
        spiral(START, r, v, 1000.0, PROPULSION, target_radius_m=R + 400e3, steering="best")
    with pytest.raises(ValueError, match="descents"):
        spiral(START, r, v, 1000.0, PROPULSION, direction="up", steering="qlaw")
    with pytest.raises(ValueError, match="coast_effectivity"):
        spiral(
            START,
            r,
            v,
            1000.0,
            PROPULSION,
            target_radius_m=R + 400e3,
            steering="qlaw",
            coast_effectivity=1.0,
        )
