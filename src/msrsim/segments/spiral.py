"""Mars orbit insertion (chemical, finite burn) and electric spirals down and out.

**Orbit insertion.** The orbiter arrives on a hyperbola of excess speed ``v_inf`` and
brakes at periapsis into a capture ellipse. The impulsive cost is
``sqrt(v_inf^2 + 2 mu / r_p) - v_p(ellipse)`` (:func:`msrsim.core.lowthrust.capture_delta_v`).
A real engine burns for minutes to hours around periapsis, away from where braking is most
efficient: the *gravity loss*. It is computed here by flying the burn: constant thrust
opposite to the velocity, centred on the periapsis of the arrival hyperbola, in two-body
motion (scipy DOP853), its length and the hyperbola's periapsis found so that the burn
ends on the capture ellipse. The loss is second order in the burn time for short burns
(Robbins, H. M., "An analytical study of the impulsive approximation", AIAA J.
4(8):1417-1423, 1966).

**Spirals.** Tangential low thrust (along the velocity to climb, against it to descend)
flown by a fixed-order Runge-Kutta kernel (classical RK4, numba) with a step a fixed
fraction of the local dynamical time ``sqrt(r^3 / mu)``, in the body's equatorial inertial
frame (pole at the start epoch, its drift neglected), with:

* the ``J2`` term of the gravity field (Vallado 2013, eq. 8-30);
* eclipses: no thrust in the body's cylindrical shadow, ``r . s < 0`` and
  ``|r - (r . s) s| < R_eq`` with ``s`` the Sun's direction from the DE421 ephemeris
  (Vallado 2013, sect. 5.3, the cylindrical model), tabulated daily and interpolated;
* the thrust of :class:`msrsim.core.lowthrust.ElectricPropulsion` at the body's distance
  from the Sun (tabulated daily), the mass flowing at ``T / (g0 Isp)`` while it fires.

Descending from an eccentric capture orbit, braking all the time would lower the
periapsis into the atmosphere (Gauss's equation ``de/dt = 2 (e + cos nu) a_t / v``:
averaged over an orbit, constant tangential braking *raises* ``e``). While ``e`` is above
``circular_eccentricity`` the descent therefore brakes where ``e + cos nu > 0`` (about
periapsis: lowers the apoapsis) and pushes along the velocity where it is negative (about
apoapsis: raises the periapsis), so that ``e`` falls everywhere while the energy falls
on balance; then it brakes continuously. A simple feedback law on Gauss's variational
equations (Battin, "An Introduction to the Mathematics and Methods of Astrodynamics",
rev. ed. 1999, sect. 10.4), not an optimal one: from 300 x 33,800 km to 500 km it costs
~4.0 km/s, about twice an efficient transfer.

**Q-law descent** (``steering="qlaw"``). Petropoulos, A. E., "Low-Thrust Orbit Transfers
Using Candidate Lyapunov Functions with a Mechanism for Coasting", AIAA 2004-5089,
restricted to the in-plane targets ``a_T`` and ``e = 0``: the proximity quotient

    Q = (1 + P) [S_a ((a - a_T) / adot_xx)^2 + (e / edot_xx)^2],
    adot_xx = 2 a sqrt(a (1 + e) / (mu (1 - e))),  edot_xx = 2 p / h  (per unit thrust),
    S_a = (1 + ((a - a_T) / (3 a_T))^4)^(1/2),  P = exp(100 (1 - r_p / r_p,min)),

(the maximum rates of ``a`` and ``e`` over the orbit normalise the errors; ``P`` keeps the
periapsis above ``r_p,min``) falls fastest along the in-plane direction
``-(dQ/df_r, dQ/df_t)``, with ``dQ/dt = Q_a da/dt + Q_e de/dt`` from Gauss's equations
(Battin 1999, eq. 10.41) and the gradient of ``Q`` by central differences. With
``coast_effectivity = eta`` the engine is off where the absolute effectivity (the best
rate of ``Q`` here over its best over the osculating orbit, 64 true anomalies sampled) is
below ``eta``: it thrusts only near the apsides where it pays, trading days for delta-v.
The law aims at ``a_T = 0.995`` of the target so that the osculating semi-major axis
crosses the target (Q's gradient in ``a`` vanishes at ``a_T``). Measured, 300 x 33,800
km -> 500 km with J2 and eclipses (tests): 2.9 km/s without coasting, 2.1 km/s coasting
below an effectivity of 0.5, against 4.0 km/s for the tangential law.

**Edelbaum.** The analytic low-thrust transfer between circular orbits (Edelbaum, T. N.,
"Propulsion requirements for controllable satellites", ARS Journal 31(8):1079-1089, 1961):
``dv = sqrt(v0^2 - 2 v0 v1 cos(pi/2 di) + v1^2)``; with a constant thrust ``T`` and exhaust
speed ``c`` it takes ``m0 c (1 - exp(-dv / c)) / T``. The numerical spiral without
eclipses and ``J2`` reproduces it (tests).

Simplified, and stated: the spiral steers only in the orbit plane (no plane change: the
insertion is assumed to reach the target inclination), the osculating two-body semi-major
axis decides arrival (it wobbles by a few km with ``J2``), no atmospheric drag (the
rendezvous orbits lie above 300 km), no third-body perturbations, the thrust switches
instantly at shadow entry (no penumbra, no battery-powered thrusting).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.integrate import solve_ivp
from scipy.optimize import root

from msrsim.core.bodies import DAY_S, G0_M_S2, MARS, Body
from msrsim.core.conics import periapsis_radius_of_state, propagate
from msrsim.core.ephemeris import get_ephemeris
from msrsim.core.frames import equator_pole
from msrsim.core.lowthrust import ElectricPropulsion, capture_delta_v

__all__ = [
    "STATUS_MESSAGES",
    "OrbitInsertion",
    "SpiralResult",
    "edelbaum_delta_v",
    "edelbaum_time_s",
    "equatorial_frame",
    "orbit_insertion",
    "periapsis_state",
    "spiral",
]

STATUS_REACHED = 0
STATUS_TIME_LIMIT = 1
STATUS_IMPACT = 2
STATUS_MESSAGES = {
    STATUS_REACHED: "reached the target (radius, or escape energy when climbing)",
    STATUS_TIME_LIMIT: "ran out of time before reaching the target",
    STATUS_IMPACT: "the orbit came within 50 km of the surface",
}
_IMPACT_ALTITUDE_M = 50e3
_STEERING_TANGENTIAL = 0
_STEERING_QLAW = 1
_QLAW_M, _QLAW_N, _QLAW_K = 3.0, 4.0, 100.0
"""Petropoulos' (2004) suggested constants: scaling S_a = (1 + ((a - a_T) / (m a_T))^n)^(1/2)
and the periapsis penalty exp(k (1 - r_p / r_p,min)) (weight 1)."""
_QLAW_TARGET_FRACTION = 0.995
"""The Q-law aims a little below the target semi-major axis so that it crosses it (Q's
gradient in a vanishes at the aim point)."""
_QLAW_SAMPLES = 64
"""True anomalies sampled over the osculating orbit for the best rate (effectivity)."""
_STEPS_PER_RADIAN = 64.0
"""RK4 steps per radian of mean motion at the current radius (~400 per circular orbit):
0.8 m from DOP853 (rtol 1e-12) after a day (12 orbits) at 500 km, in the tests."""


# ---------------------------------------------------------------------------------------
# Orbit insertion
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrbitInsertion:
    """A chemical capture burn, impulsive and finite (SI)."""

    v_infinity_m_s: float
    mass_before_kg: float
    mass_after_kg: float
    impulsive_delta_v_m_s: float
    finite_delta_v_m_s: float
    burn_s: float
    aim_periapsis_radius_m: float
    """Periapsis of the arrival hyperbola that the burn needs (above the target's: a long
    burn centred on periapsis pulls the periapsis down)."""
    final_r_m: np.ndarray
    final_v_m_s: np.ndarray
    """State at the end of the burn, in the hyperbola's perifocal frame (x towards its
    periapsis, z along its angular momentum)."""

    @property
    def gravity_loss_m_s(self) -> float:
        return self.finite_delta_v_m_s - self.impulsive_delta_v_m_s

    @property
    def propellant_kg(self) -> float:
        return self.mass_before_kg - self.mass_after_kg


def orbit_insertion(
    v_infinity_m_s: float,
    mass_kg: float,
    thrust_n: float,
    isp_s: float,
    periapsis_radius_m: float,
    apoapsis_radius_m: float,
    mu: float = MARS.gm.value,
    rtol: float = 1e-10,
) -> OrbitInsertion:
    """Brake from a hyperbola into an ellipse with a finite burn centred on periapsis.

    The burn (constant ``thrust_n`` against the velocity, mass flow ``T / (g0 Isp)``)
    starts half its length before the periapsis of the arrival hyperbola. A long burn
    lowers the periapsis, so the hyperbola is aimed higher: its periapsis radius and the
    burn's length are solved for (scipy ``root``, Powell's hybrid method) so that the final
    ellipse has the target periapsis and energy.
    """
    c = G0_M_S2 * isp_s
    dv_impulsive = float(capture_delta_v(v_infinity_m_s, mu, periapsis_radius_m, apoapsis_radius_m))
    a_target = 0.5 * (periapsis_radius_m + apoapsis_radius_m)

    def rhs(_t, y):
        r, v = y[:3], y[3:6]
        acc = -mu * r / np.linalg.norm(r) ** 3 - thrust_n / y[6] * v / np.linalg.norm(v)
        return np.concatenate([v, acc, [-thrust_n / c]])

    def fly(aim_radius_m: float, burn_s: float) -> np.ndarray:
        v_peri = math.sqrt(v_infinity_m_s**2 + 2.0 * mu / aim_radius_m)
        r0, v0 = propagate([aim_radius_m, 0.0, 0.0], [0.0, v_peri, 0.0], -0.5 * burn_s, mu)
        y0 = np.concatenate([r0[0], v0[0], [mass_kg]])
        sol = solve_ivp(rhs, (0.0, burn_s), y0, method="DOP853", rtol=rtol, atol=1e-9)
        return sol.y[:, -1]

    def residual(z: np.ndarray) -> np.ndarray:
        # an aim point below the centre, or a burn that consumes the whole spacecraft,
        # is no solution: a large residual keeps the solver away from it
        if not (z[0] > 0.0 and 0.0 < z[1] * impulsive_burn * thrust_n / c < mass_kg):
            return np.array([1e3, 1e3])
        y = fly(z[0] * periapsis_radius_m, z[1] * impulsive_burn)
        a = -mu / (2.0 * (0.5 * y[3:6] @ y[3:6] - mu / np.linalg.norm(y[:3])))
        rp = float(periapsis_radius_of_state(y[:3], y[3:6], mu)[0])
        return np.array([a / a_target - 1.0, rp / periapsis_radius_m - 1.0])

    impulsive_burn = mass_kg * c / thrust_n * (1.0 - math.exp(-dv_impulsive / c))
    if impulsive_burn * thrust_n / c >= mass_kg:
        raise ValueError(f"the capture needs more propellant than the {mass_kg} kg carried")
    sol = root(residual, [1.0, 1.0], method="hybr", options={"xtol": 1e-10})
    if not sol.success or np.max(np.abs(sol.fun)) > 1e-8:
        raise ValueError(
            f"no finite burn of {thrust_n:g} N captures {mass_kg:.0f} kg at v_inf "
            f"{v_infinity_m_s:.0f} m/s into this ellipse ({' '.join(sol.message.split())})"
        )
    burn = float(sol.x[1] * impulsive_burn)
    if not burn * thrust_n / c < mass_kg:
        raise ValueError(
            f"a {thrust_n:g} N burn long enough to capture ({burn / 3600:.1f} h, gravity "
            f"losses growing with it) needs more propellant than the {mass_kg:.0f} kg carried"
        )
    y = fly(sol.x[0] * periapsis_radius_m, burn)
    return OrbitInsertion(
        v_infinity_m_s=float(v_infinity_m_s),
        mass_before_kg=float(mass_kg),
        mass_after_kg=float(y[6]),
        impulsive_delta_v_m_s=dv_impulsive,
        finite_delta_v_m_s=c * math.log(mass_kg / y[6]),
        burn_s=burn,
        aim_periapsis_radius_m=float(sol.x[0] * periapsis_radius_m),
        final_r_m=y[:3].copy(),
        final_v_m_s=y[3:6].copy(),
    )


# ---------------------------------------------------------------------------------------
# Spirals
# ---------------------------------------------------------------------------------------


def edelbaum_delta_v(v0_m_s, v1_m_s, delta_inclination_rad=0.0):
    """Edelbaum (1961): ``sqrt(v0^2 - 2 v0 v1 cos(pi/2 di) + v1^2)`` between circles."""
    v0, v1 = np.asarray(v0_m_s), np.asarray(v1_m_s)
    return np.sqrt(v0**2 - 2.0 * v0 * v1 * np.cos(0.5 * np.pi * delta_inclination_rad) + v1**2)


def edelbaum_time_s(delta_v_m_s, mass_kg, thrust_n, exhaust_speed_m_s):
    """Time a constant thrust takes to give ``delta_v``: ``m0 c (1 - e^(-dv/c)) / T``."""
    c = exhaust_speed_m_s
    return mass_kg * c * (1.0 - np.exp(-np.asarray(delta_v_m_s) / c)) / thrust_n


def equatorial_frame(et: float, body: Body = MARS) -> np.ndarray:
    """Rows x, y, z of the body's equatorial inertial frame at ``et`` in ICRF.

    ``z`` is the IAU north pole, ``x`` the ascending node of the body's equator on the ICRF
    equator (``k x z``), ``y = z x x``.
    """
    z = equator_pole(et, body)[0]
    x = np.cross([0.0, 0.0, 1.0], z)
    x /= np.linalg.norm(x)
    return np.array([x, np.cross(z, x), z])


def periapsis_state(
    periapsis_radius_m: float,
    apoapsis_radius_m: float,
    inclination_rad: float,
    raan_rad: float,
    argument_of_periapsis_rad: float,
    mu: float = MARS.gm.value,
) -> tuple[np.ndarray, np.ndarray]:
    """Position and velocity at periapsis of an orbit given by its elements (Vallado 2013,
    Algorithm 10, perifocal to inertial by ``R3(-raan) R1(-i) R3(-argp)``)."""
    rp, ra = periapsis_radius_m, apoapsis_radius_m
    v_p = math.sqrt(2.0 * mu * ra / (rp * (rp + ra)))
    co, so = math.cos(raan_rad), math.sin(raan_rad)
    ci, si = math.cos(inclination_rad), math.sin(inclination_rad)
    cw, sw = math.cos(argument_of_periapsis_rad), math.sin(argument_of_periapsis_rad)
    p_hat = np.array([co * cw - so * sw * ci, so * cw + co * sw * ci, sw * si])
    q_hat = np.array([-co * sw - so * cw * ci, -so * sw + co * cw * ci, cw * si])
    return rp * p_hat, v_p * q_hat


@dataclass(frozen=True)
class SpiralResult:
    """An electric spiral (SI; epochs ``et``; states in the body's equatorial frame).

    ``history_*``: samples every ``record_s`` of the time, osculating semi-major axis,
    eccentricity and mass; ``history_state`` (k, 6) the position and velocity there (the
    body's equatorial frame of ``start_et``, :func:`equatorial_frame`).
    """

    status: int
    start_et: float
    duration_s: float
    initial_mass_kg: float
    final_mass_kg: float
    delta_v_m_s: float
    thrusting_s: float
    shadow_s: float
    final_r_m: np.ndarray
    final_v_m_s: np.ndarray
    history_t_s: np.ndarray
    history_a_m: np.ndarray
    history_e: np.ndarray
    history_mass_kg: np.ndarray
    history_state: np.ndarray | None = None

    @property
    def propellant_kg(self) -> float:
        return self.initial_mass_kg - self.final_mass_kg

    @property
    def end_et(self) -> float:
        return self.start_et + self.duration_s

    @property
    def message(self) -> str:
        return STATUS_MESSAGES[self.status]


@njit(cache=True)
def _qlaw_q(a, e, mu, a_target, rp_min):
    """Petropoulos' (2004) proximity quotient for targets a_T and e = 0 (unit thrust)."""
    p = a * (1.0 - e * e)
    h = math.sqrt(mu * p)
    a_rate_max = 2.0 * a * math.sqrt(a * (1.0 + e) / (mu * (1.0 - e)))
    e_rate_max = 2.0 * p / h
    da = a - a_target
    s_a = math.sqrt(1.0 + (da / (_QLAW_M * a_target)) ** _QLAW_N)
    penalty = math.exp(_QLAW_K * (1.0 - a * (1.0 - e) / rp_min))
    return (1.0 + penalty) * (s_a * (da / a_rate_max) ** 2 + (e / e_rate_max) ** 2)


@njit(cache=True)
def _qlaw_rates(q_a, q_e, a, e, p, h, r, cos_nu, sin_nu):
    """Coefficients of f_r and f_t in dQ/dt (Gauss's equations for a and e, Battin 1999
    eq. 10.41): da/dt = 2 a^2 / h (e sin nu f_r + p / r f_t),
    de/dt = (p sin nu f_r + ((p + r) cos nu + r e) f_t) / h."""
    c_r = q_a * 2.0 * a * a / h * e * sin_nu + q_e * p * sin_nu / h
    c_t = q_a * 2.0 * a * a * p / (h * r) + q_e * ((p + r) * cos_nu + r * e) / h
    return c_r, c_t


@njit(cache=True)
def _anomaly_samples(n: int):
    """Cosines and sines of ``n`` true anomalies evenly spaced over a revolution."""
    cos_nu, sin_nu = np.empty(n), np.empty(n)
    for k in range(n):
        nu = 2.0 * math.pi * k / n
        cos_nu[k], sin_nu[k] = math.cos(nu), math.sin(nu)
    return cos_nu, sin_nu


_QLAW_COS, _QLAW_SIN = _anomaly_samples(_QLAW_SAMPLES)
"""The anomalies at which :func:`_qlaw_direction` samples the best effectivity."""


@njit(cache=True)
def _qlaw_direction(r, v2, rv, h, mu, a_target, rp_min, eta_min):
    """In-plane thrust direction (f_r, f_t) that makes Q fall fastest, and whether to coast
    because the absolute effectivity (Petropoulos 2004) is below ``eta_min``."""
    a = -mu / (2.0 * (0.5 * v2 - mu / r))
    p = h * h / mu
    e = math.sqrt(max(1.0 - p / a, 0.0))
    e = max(e, 1e-9)
    cos_nu = (p / r - 1.0) / e
    sin_nu = h * rv / (mu * r) / e
    # gradient of Q by central differences (Q is smooth; relative steps 1e-6)
    da = 1e-6 * a
    de = min(1e-6, 0.5 * e, 0.5 * (1.0 - e))
    q_a = (_qlaw_q(a + da, e, mu, a_target, rp_min) - _qlaw_q(a - da, e, mu, a_target, rp_min)) / (
        2.0 * da
    )
    q_e = (_qlaw_q(a, e + de, mu, a_target, rp_min) - _qlaw_q(a, e - de, mu, a_target, rp_min)) / (
        2.0 * de
    )
    c_r, c_t = _qlaw_rates(q_a, q_e, a, e, p, h, r, cos_nu, sin_nu)
    norm = math.sqrt(c_r * c_r + c_t * c_t)
    if norm == 0.0:
        return 0.0, 0.0, True
    coast = False
    if eta_min > 0.0:
        # the best effectivity over the orbit's sampled anomalies (their cosines and sines
        # tabulated once); the first sample that makes this point's effectivity fall below
        # eta_min of it settles the answer (the best only grows)
        best = 0.0
        for k in range(_QLAW_SAMPLES):
            cos_k, sin_k = _QLAW_COS[k], _QLAW_SIN[k]
            rk = p / (1.0 + e * cos_k)
            cr, ct = _qlaw_rates(q_a, q_e, a, e, p, h, rk, cos_k, sin_k)
            best = max(best, math.sqrt(cr * cr + ct * ct))
            if norm < eta_min * best:
                coast = True
                break
    return -c_r / norm, -c_t / norm, coast


@njit(cache=True)
def _derivatives(y, t, model):
    """Time derivative of (r, v, m) and whether the engine fires and the body shades."""
    (
        mu,
        j2,
        r_ref,
        r_body,
        c,
        table_dt,
        sun,
        thrust_tab,
        direction,
        e_circular,
        eclipses,
        use_j2,
        steering,
        a_target,
        rp_min,
        eta_min,
    ) = model
    x, yy, z = y[0], y[1], y[2]
    vx, vy, vz = y[3], y[4], y[5]
    r2 = x * x + yy * yy + z * z
    r = math.sqrt(r2)
    k = -mu / (r2 * r)
    ax, ay, az = k * x, k * yy, k * z
    if use_j2:
        f = -1.5 * j2 * mu * r_ref * r_ref / (r2 * r2 * r)  # Vallado eq. 8-30
        zz = 5.0 * z * z / r2
        ax += f * x * (1.0 - zz)
        ay += f * yy * (1.0 - zz)
        az += f * z * (3.0 - zz)
    # tables, linear in time
    s = t / table_dt
    i = min(int(s), sun.shape[0] - 2)
    w = s - i
    sx = (1.0 - w) * sun[i, 0] + w * sun[i + 1, 0]
    sy = (1.0 - w) * sun[i, 1] + w * sun[i + 1, 1]
    sz = (1.0 - w) * sun[i, 2] + w * sun[i + 1, 2]
    thrust = (1.0 - w) * thrust_tab[i] + w * thrust_tab[i + 1]
    sn = math.sqrt(sx * sx + sy * sy + sz * sz)
    along = (x * sx + yy * sy + z * sz) / sn
    shadow = along < 0.0 and r2 - along * along < r_body * r_body  # cylindrical shadow
    on = not (eclipses and shadow)
    v2 = vx * vx + vy * vy + vz * vz
    v = math.sqrt(v2)
    sense = direction
    if on and steering == _STEERING_QLAW:
        # in-plane Q-law: thrust along f_r r_hat + f_t t_hat (t_hat = h_hat x r_hat)
        rv = x * vx + yy * vy + z * vz
        hx, hy, hz = yy * vz - z * vy, z * vx - x * vz, x * vy - yy * vx
        h = math.sqrt(hx * hx + hy * hy + hz * hz)
        f_r, f_t, coast = _qlaw_direction(r, v2, rv, h, mu, a_target, rp_min, eta_min)
        if coast:
            on = False
        else:
            tx = (hy * z - hz * yy) / (h * r)
            ty = (hz * x - hx * z) / (h * r)
            tz = (hx * yy - hy * x) / (h * r)
            acc = thrust / y[6]
            ax += acc * (f_r * x / r + f_t * tx)
            ay += acc * (f_r * yy / r + f_t * ty)
            az += acc * (f_r * z / r + f_t * tz)
        out = np.empty(7)
        out[0], out[1], out[2] = vx, vy, vz
        out[3], out[4], out[5] = ax, ay, az
        out[6] = -thrust / c if on else 0.0
        return out, on, shadow
    if on and direction < 0:
        rv = x * vx + yy * vy + z * vz
        ex = ((v2 - mu / r) * x - rv * vx) / mu
        ey = ((v2 - mu / r) * yy - rv * vy) / mu
        ez = ((v2 - mu / r) * z - rv * vz) / mu
        e = math.sqrt(ex * ex + ey * ey + ez * ez)
        if e > e_circular:
            # Gauss: de/dt = 2 (e + cos nu) a_t / v; brake where e + cos nu > 0 (about
            # periapsis), push where it is negative (about apoapsis): e falls everywhere
            cos_nu = (ex * x + ey * yy + ez * z) / (e * r)
            sense = -1.0 if e + cos_nu > 0.0 else 1.0
    dm = 0.0
    if on:
        acc = sense * thrust / y[6]
        ax += acc * vx / v
        ay += acc * vy / v
        az += acc * vz / v
        dm = -thrust / c
    out = np.empty(7)
    out[0], out[1], out[2] = vx, vy, vz
    out[3], out[4], out[5] = ax, ay, az
    out[6] = dm
    return out, on, shadow


@njit(cache=True)
def _spiral_kernel(y0, model, target_radius, t_max, record_s, out_t, out_a, out_e, out_m, out_y):
    """RK4 from ``y0`` until escape (up), the target radius (down), impact or ``t_max``;
    ``model`` is the tuple :func:`_derivatives` reads."""
    mu, r_body, direction = model[0], model[3], model[8]
    y = y0.copy()
    t = 0.0
    thrusting = 0.0
    shadowed = 0.0
    n_rec = 0
    next_record = 0.0
    status = 1
    while t < t_max:
        r = math.sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2])
        v2 = y[3] * y[3] + y[4] * y[4] + y[5] * y[5]
        energy = 0.5 * v2 - mu / r
        if t >= next_record and n_rec < out_t.shape[0]:
            rv = y[0] * y[3] + y[1] * y[4] + y[2] * y[5]
            ex = ((v2 - mu / r) * y[0] - rv * y[3]) / mu
            ey = ((v2 - mu / r) * y[1] - rv * y[4]) / mu
            ez = ((v2 - mu / r) * y[2] - rv * y[5]) / mu
            out_t[n_rec] = t
            out_a[n_rec] = -mu / (2.0 * energy)
            out_e[n_rec] = math.sqrt(ex * ex + ey * ey + ez * ez)
            out_m[n_rec] = y[6]
            out_y[n_rec] = y[:6]
            n_rec += 1
            next_record += record_s
        if direction > 0 and energy >= 0.0:
            status = 0
            break
        if direction < 0 and -mu / (2.0 * energy) <= target_radius:
            status = 0
            break
        if r < r_body + _IMPACT_ALTITUDE_M:
            status = 2
            break
        h = min(math.sqrt(r * r * r / mu) / _STEPS_PER_RADIAN, t_max - t)
        k1, on, shadow = _derivatives(y, t, model)
        k2 = _derivatives(y + 0.5 * h * k1, t + 0.5 * h, model)[0]
        k3 = _derivatives(y + 0.5 * h * k2, t + 0.5 * h, model)[0]
        k4 = _derivatives(y + h * k3, t + h, model)[0]
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        t += h
        if on:
            thrusting += h
        if shadow:
            shadowed += h
    return status, t, y, thrusting, shadowed, n_rec


def spiral(
    start_et: float,
    r0_m,
    v0_m_s,
    mass_kg: float,
    propulsion: ElectricPropulsion,
    *,
    direction: str = "down",
    target_radius_m: float | None = None,
    body: Body = MARS,
    j2: bool = True,
    eclipses: bool = True,
    circular_eccentricity: float = 0.01,
    steering: str = "tangential",
    coast_effectivity: float = 0.0,
    min_periapsis_altitude_m: float = 200e3,
    max_days: float = 1500.0,
    record_s: float = 6 * 3600.0,
) -> SpiralResult:
    """Fly a low-thrust spiral from ``(r0, v0)`` at ``start_et``.

    Parameters
    ----------
    r0_m, v0_m_s : (3,) array_like
        Start state in the body's equatorial inertial frame (:func:`equatorial_frame`).
    direction : ``"down"`` or ``"up"``
        ``"down"`` brakes to ``target_radius_m`` (osculating semi-major axis); ``"up"``
        climbs to escape (zero orbital energy, C3 = 0).
    j2, eclipses : bool
        Switch the ``J2`` term and the shadow on or off (to show each effect alone).
    circular_eccentricity : float
        Below this eccentricity the tangential descent brakes continuously (see the module
        notes).
    steering : ``"tangential"`` or ``"qlaw"``
        ``"tangential"``: the feedback law along the velocity (module notes).
        ``"qlaw"`` (descents only): Petropoulos' (2004) Q-law for ``a`` and ``e = 0``,
        steering in the orbit plane (module notes).
    coast_effectivity : float in [0, 1)
        Q-law only: coast where the absolute effectivity is below this (0: never coast;
        0.5 saves ~30 % of the delta-v from a capture ellipse for ~30 % more days).
    min_periapsis_altitude_m : float
        Q-law only: the periapsis altitude its penalty term guards.
    max_days : float
        Time limit; the Sun's direction and the thrust are tabulated daily over it.
    """
    if direction not in ("down", "up"):
        raise ValueError(f"direction = {direction!r}: must be 'down' or 'up'")
    if direction == "down" and target_radius_m is None:
        raise ValueError("a descending spiral needs target_radius_m")
    if steering not in ("tangential", "qlaw"):
        raise ValueError(f"steering = {steering!r}: must be 'tangential' or 'qlaw'")
    if steering == "qlaw" and direction != "down":
        raise ValueError("steering = 'qlaw' is for descents (direction = 'down')")
    if not 0.0 <= coast_effectivity < 1.0:
        raise ValueError(f"coast_effectivity = {coast_effectivity}: must be in [0, 1)")
    nodes = start_et + np.arange(0.0, max_days + 2.0) * DAY_S
    sun = get_ephemeris().state("sun", nodes, body.name).r
    distance = np.linalg.norm(sun, axis=1)
    sun_frame = (sun / distance[:, None]) @ equatorial_frame(start_et, body).T
    thrust = propulsion.thrust_n(distance)
    records = int(max_days * DAY_S / record_s) + 2
    out = [np.empty(records) for _ in range(4)]
    states = np.empty((records, 6))
    y0 = np.concatenate([np.asarray(r0_m, float), np.asarray(v0_m_s, float), [mass_kg]])
    model = (
        body.gm.value,
        body.j2.value if body.j2 is not None else 0.0,
        body.j2_reference_radius_m or body.equatorial_radius.value,
        body.equatorial_radius.value,
        propulsion.exhaust_speed_m_s,
        DAY_S,
        np.ascontiguousarray(sun_frame),
        thrust,
        1.0 if direction == "up" else -1.0,
        circular_eccentricity,
        eclipses,
        j2 and body.j2 is not None,
        _STEERING_QLAW if steering == "qlaw" else _STEERING_TANGENTIAL,
        _QLAW_TARGET_FRACTION * target_radius_m if target_radius_m is not None else 0.0,
        body.equatorial_radius.value + min_periapsis_altitude_m,
        coast_effectivity,
    )
    status, t, y, thrusting, shadowed, n_rec = _spiral_kernel(
        y0,
        model,
        target_radius_m if target_radius_m is not None else 0.0,
        max_days * DAY_S,
        record_s,
        *out,
        states,
    )
    return SpiralResult(
        status=int(status),
        start_et=float(start_et),
        duration_s=float(t),
        initial_mass_kg=float(mass_kg),
        final_mass_kg=float(y[6]),
        delta_v_m_s=propulsion.exhaust_speed_m_s * math.log(mass_kg / y[6]),
        thrusting_s=float(thrusting),
        shadow_s=float(shadowed),
        final_r_m=y[:3].copy(),
        final_v_m_s=y[3:6].copy(),
        history_t_s=out[0][:n_rec].copy(),
        history_a_m=out[1][:n_rec].copy(),
        history_e=out[2][:n_rec].copy(),
        history_mass_kg=out[3][:n_rec].copy(),
        history_state=states[:n_rec].copy(),
    )
