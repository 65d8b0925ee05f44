"""core.conics: universal-variable propagation and the B-plane, against a textbook example
and against scipy's DOP853 integration of the two-body equations."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from msrsim.core.bodies import EARTH
from msrsim.core.conics import (
    approach_state,
    b_plane,
    impact_parameter,
    periapsis_radius,
    periapsis_radius_of_state,
    propagate,
)

MU = EARTH.gm.value


def _two_body(r0, v0, dt):
    def rhs(_, y):
        return np.r_[y[3:], -MU * y[:3] / np.linalg.norm(y[:3]) ** 3]

    sol = solve_ivp(rhs, (0.0, dt), np.r_[r0, v0], method="DOP853", rtol=1e-13, atol=1e-7)
    return sol.y[:3, -1], sol.y[3:, -1]


def test_vallado_example_2_4():
    # Vallado, Fundamentals of Astrodynamics and Applications, 4th ed., Example 2-4 (Kepler):
    # 40 minutes on from r0, v0; printed to 0.1 mm and 1 mm/s; we allow 1 m and 1 mm/s,
    # the last printed digit of the km and km/s values.
    r0 = np.array([1131.340, -2282.343, 6672.423]) * 1e3
    v0 = np.array([-5.64305, 4.30333, 2.42879]) * 1e3
    r, v = propagate(r0, v0, 40 * 60.0, 398600.4418e9)
    assert r[0] / 1e3 == pytest.approx([-4219.7527, 4363.0292, -3958.7666], abs=1e-3)
    assert v[0] / 1e3 == pytest.approx([3.689866, -1.916735, -6.112511], abs=1e-6)


@pytest.mark.parametrize(
    "v0, dt",
    [
        ([1000.0, 12_000.0, 500.0], -3 * 86400.0),  # hyperbola, backwards three days
        ([1000.0, 12_000.0, 500.0], 10 * 86400.0),
        ([0.0, 7500.0, 1000.0], 5400.0),  # ellipse, about one orbit
        ([0.0, 7500.0, 1000.0], -40 * 3600.0),  # ellipse, many orbits back
    ],
)
def test_propagation_matches_numerical_integration(v0, dt):
    # DOP853 at rtol 1e-13 drifts by ~1 mm and ~1e-7 m/s over the 25 orbits of the longest
    # case; 1 cm and 1e-6 m/s leave room for it and still catch any slip of the solver.
    r0 = np.array([7000e3, 1000e3, 300e3])
    r, v = propagate(r0, v0, dt, MU)
    r_ref, v_ref = _two_body(r0, np.asarray(v0), dt)
    assert np.linalg.norm(r[0] - r_ref) < 1e-2
    assert np.linalg.norm(v[0] - v_ref) < 1e-6


def test_batch_propagation_matches_one_by_one():
    rng = np.random.default_rng(3)
    r0 = np.array([7000e3, 0.0, 0.0]) + rng.normal(0, 1e5, (20, 3))
    v0 = np.array([0.0, 11_500.0, 0.0]) + rng.normal(0, 800.0, (20, 3))
    dt = rng.uniform(-86400.0, 86400.0, 20)
    r, v = propagate(r0, v0, dt, MU)
    for k in (0, 7, 19):
        rk, vk = propagate(r0[k], v0[k], dt[k], MU)
        assert np.allclose(r[k], rk[0], rtol=0, atol=1e-6)


INBOUND_R = np.array([7000e3, 1000e3, 300e3])
INBOUND_V = np.array([-1000.0, -12_000.0, -500.0])


def test_b_plane_round_trip_and_periapsis():
    bp = b_plane(INBOUND_R, INBOUND_V, MU)
    v_inf = bp.v_infinity_m_s[0] * bp.s_hat[0]
    r, v, t_peri = approach_state(v_inf, bp.b_t_m, bp.b_r_m, np.linalg.norm(INBOUND_R), MU)
    assert np.linalg.norm(r[0] - INBOUND_R) < 1e-6
    assert np.linalg.norm(v[0] - INBOUND_V) < 1e-9
    # the time to periapsis carries the state to the periapsis radius, where r.v = 0
    rp, vp = propagate(r, v, t_peri, MU)
    assert np.linalg.norm(rp[0]) == pytest.approx(bp.periapsis_radius_m[0], rel=1e-11)
    assert abs(rp[0] @ vp[0]) < 1e-6 * np.linalg.norm(rp[0]) * np.linalg.norm(vp[0])
    # closed form r_p(b, v_inf): b = r_p sqrt(1 + 2 mu / (r_p v_inf^2)), from h and energy
    assert periapsis_radius(bp.v_infinity_m_s, bp.b_m, MU) == pytest.approx(
        bp.periapsis_radius_m, rel=1e-12
    )


def test_b_vector_is_where_the_incoming_asymptote_pierces_the_plane():
    # Independent of the construction: run the state ten years back along its conic; the
    # position's part normal to S tends to B (the offset from the asymptote falls as 1/r,
    # ~50 m at 1e12 m here), the velocity's direction to S.
    bp = b_plane(INBOUND_R, INBOUND_V, MU)
    far_r, far_v = propagate(INBOUND_R, INBOUND_V, -3650 * 86400.0, MU)
    s = bp.s_hat[0]
    normal = far_r[0] - (far_r[0] @ s) * s
    assert normal @ bp.t_hat[0] == pytest.approx(bp.b_t_m[0], rel=1e-5)
    assert normal @ bp.r_hat[0] == pytest.approx(bp.b_r_m[0], abs=1e-5 * bp.b_m[0])
    assert np.allclose(far_v[0] / np.linalg.norm(far_v[0]), s, atol=1e-9)
    assert bp.t_hat[0, 2] == pytest.approx(0.0, abs=1e-15)  # T lies in the reference equator


def test_impact_parameter_gives_the_flight_path_angle():
    v_inf, radius, fpa = 4055.0, 6_503_000.0, math.radians(-10.0)
    b = impact_parameter(v_inf, radius, fpa, MU)
    r, v, _ = approach_state([0.0, v_inf, 0.0], b, 0.0, radius, MU)
    angle = math.asin(r[0] @ v[0] / (np.linalg.norm(r[0]) * np.linalg.norm(v[0])))
    assert angle == pytest.approx(fpa, abs=1e-12)
    assert np.linalg.norm(r[0]) == pytest.approx(radius, rel=1e-14)
    assert np.linalg.norm(v[0]) == pytest.approx(math.sqrt(v_inf**2 + 2 * MU / radius))


def test_approach_state_refuses_a_radius_below_periapsis():
    with pytest.raises(ValueError, match="does not reach"):
        approach_state([0.0, 4000.0, 0.0], 20_000e3, 0.0, 6_500e3, MU)


def test_periapsis_of_a_circular_orbit_is_its_radius():
    r, speed = 7000e3, math.sqrt(MU / 7000e3)
    assert periapsis_radius_of_state([r, 0, 0], [0, speed, 0], MU)[0] == pytest.approx(r)


STALLED = [  # (r0 m, v0 m/s, dt s): near-radial ellipses on which Newton's method cycled
    ([-1223879.41640475, -2373082.40318784, 6781329.16892465],
     [-17.09754139, -19.08253893, -2.15972176], -1216.4054795580557),
    ([-2110991.01746066, -1553472.18660277, -233710.79841251],
     [-146.69941727, -97.79972211, -211.31494171], 14608784959.839481),
    ([-9.14387477e08, -2.01487121e09, -1.60662626e09],
     [-1.79336891, -7.38274958, -0.34912114], 310337622.34073794),
]  # fmt: skip


def test_extreme_conics_converge_and_come_back():
    # Issue 22: valid extremes stalled the Kepler solver (RuntimeError). 20,000 seeded
    # states from 1,000 km to 10 million km, speeds from 0.001 to 30 times escape, flights
    # of 1 s to 30,000 years either way, plus the cases that stalled: every one converges
    # and keeps its energy (to 1e-9 of the orbit's scale: the f and g formulas lose digits
    # near radial orbits, where r passes close to zero). Those whose periapsis clears
    # 100 km (any orbit about a body; a radial orbit through the centre has no precise
    # return in float64) and that end within 1e12 m (a hyperbola flown out to 60,000 AU
    # loses its periapsis passage in rounding) flown back land where they started, to
    # 1e-6 of their scale (plus a phase drift for ellipses of many revolutions).
    rng = np.random.default_rng(22)
    n = 20_000
    r0 = rng.normal(size=(n, 3))
    r0 *= (10 ** rng.uniform(6, 10, n) / np.linalg.norm(r0, axis=1))[:, None]
    v_escape = np.sqrt(2 * MU / np.linalg.norm(r0, axis=1))
    v0 = rng.normal(size=(n, 3))
    v0 *= (v_escape * 10 ** rng.uniform(-3, 1.5, n) / np.linalg.norm(v0, axis=1))[:, None]
    dt = rng.choice([-1.0, 1.0], n) * 10 ** rng.uniform(0, 12, n)
    r0 = np.vstack([r0, [c[0] for c in STALLED]])
    v0 = np.vstack([v0, [c[1] for c in STALLED]])
    dt = np.concatenate([dt, [c[2] for c in STALLED]])
    r, v = propagate(r0, v0, dt, MU)
    scale = MU / np.linalg.norm(r0, axis=1)  # |potential energy| at the start, m2/s2

    def energy(r, v):
        return 0.5 * np.einsum("ij,ij->i", v, v) - MU / np.linalg.norm(r, axis=1)

    assert np.all(np.abs(energy(r, v) - energy(r0, v0)) <= 1e-9 * scale)
    clear = (periapsis_radius_of_state(r0, v0, MU) > 100e3) & (np.linalg.norm(r, axis=1) < 1e12)
    assert clear.sum() > 10_000
    back, _ = propagate(r[clear], v[clear], -dt[clear], MU)
    size = np.maximum(np.linalg.norm(r0[clear], axis=1), np.linalg.norm(r[clear], axis=1))
    # an ellipse flown for N revolutions drifts in phase by N times the rounding of its
    # period (the state coming back carries ~1e-12 of energy error): 1e-10 per revolution
    alpha = 2.0 / np.linalg.norm(r0, axis=1) - np.einsum("ij,ij->i", v0, v0) / MU
    revolutions = np.where(
        alpha > 0, np.abs(dt) * np.sqrt(MU * np.abs(alpha) ** 3) / (2 * np.pi), 0.0
    )[clear]
    error = np.linalg.norm(back - r0[clear], axis=1)
    assert np.all(error <= (1e-6 + 1e-10 * revolutions) * size)
