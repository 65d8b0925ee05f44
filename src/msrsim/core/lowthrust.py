"""Low-thrust transfers: solar-electric thrust and the Sims-Flanagan transcription.

**Thrust available.** A solar-electric spacecraft's arrays give ``P_1AU (1 AU / r)^2`` at a
distance ``r`` from the Sun (inverse square of the solar flux; the cells' temperature and
the array's degradation are folded into ``P_1AU``); a fraction ``power_margin`` of it
reaches the thrusters, capped at their maximum input power ``P_max``. The thrust is the jet
power over half the exhaust speed, ``T = 2 eta P_in / (g0 Isp)`` (Jahn, "Physics of
Electric Propulsion", 1968, ch. 1; Goebel and Katz, "Fundamentals of Electric Propulsion",
2008, eq. 2.3-7), times a duty cycle for the hours the thrusters are off (navigation,
communications, safe modes).

**Sims-Flanagan transcription** (Sims, J. A., Flanagan, S. N., "Preliminary design of
low-thrust interplanetary missions", AAS 99-338, 1999). The transfer time is cut into ``N``
segments of equal length ``dt``; the thrust of segment ``i`` is replaced by one impulse at
its midpoint, bounded by what the engine can give over the segment. Between impulses the
spacecraft coasts on two-body conics (:func:`msrsim.core.conics.propagate`). The first half
of the segments is flown forward from the departure state, the second half backward from
the arrival state, and the two must meet at the match point (7 equality constraints:
position, velocity, mass). Here the throttle ``u_i`` (``|u_i| <= 1``) sets the propellant
of segment ``i``, ``dm_i = |u_i| T(r_i) dt / c`` with ``c = g0 Isp`` and ``r_i`` the midpoint
position, and the impulse is the rocket equation's ``dv_i = c ln(m_i^- / (m_i^- - dm_i))``
along ``u_i``: exactly what a constant thrust ``u_i T(r_i)`` held over the segment gives
without gravity, so the transcription and a continuous-thrust integration burn the same
propellant (the forward half knows the mass before each impulse, the backward half the
mass after it; both are explicit).

The optimum (greatest final mass, fixed dates) is found by SLSQP (Kraft, D., "A software
package for sequential quadratic programming", DFVLR-FB 88-28, 1988, through
``scipy.optimize.minimize``) from the ballistic Lambert arc (:mod:`msrsim.core.lambert`)
with no thrust. The constraint Jacobian is taken by central differences; each perturbed
decision vector is flown only from where its variable first acts, from the unperturbed
flight's state there (:func:`_jacobian_kernel`: the same numbers as flying each whole).

An optional impulsive capture at the arrival body (a chemical burn at the periapsis of the
arrival hyperbola into an ellipse) puts the arrival ``v_inf`` into the objective: the final
mass is then the mass left after that burn.

Everything is SI; epochs are ``et`` (s past J2000 TDB); the attractor is the light source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.integrate import solve_ivp
from scipy.optimize import minimize

from msrsim.core.bodies import AU_M, G0_M_S2
from msrsim.core.conics import kepler_step
from msrsim.core.lambert import solve_lambert

__all__ = [
    "SOLAR_IRRADIANCE_1AU_W_M2",
    "ElectricPropulsion",
    "ImpulsiveCapture",
    "PropagationCheck",
    "SimsFlanaganResult",
    "capture_delta_v",
    "check_propagation",
    "solve_sims_flanagan",
]

SOLAR_IRRADIANCE_1AU_W_M2 = 1361.0
"""Total solar irradiance at 1 AU (Kopp, G., Lean, J. L., "A new, lower value of total
solar irradiance", Geophys. Res. Lett. 38, L01706, 2011: 1360.8 +/- 0.5 W/m^2)."""

_FD_STEP = 1e-6
"""Central-difference step on the scaled decision variables (all of order 1): the
truncation error h^2 f''' ~ 1e-12 and the round-off eps/h ~ 2e-10 of the scaled
mismatch are both below SLSQP's tolerance."""

_MAX_BURN_FRACTION = 0.95
"""Largest fraction of the mass one impulse may burn; only reached by infeasible
iterates (it keeps the logarithm finite while SLSQP wanders)."""


@dataclass(frozen=True)
class ElectricPropulsion:
    """Solar-electric propulsion: arrays, power processing and thrusters.

    Attributes
    ----------
    isp_s : float
        Specific impulse (s).
    efficiency : float
        Total thruster efficiency, jet power over input power (0-1).
    max_input_power_w : float
        Largest input power of the thrusters firing together (W).
    array_power_1au_w : float
        Array output at 1 AU (W).
    power_margin : float
        Fraction of the array output that reaches the thrusters (bus loads, margins), 0-1.
    duty_cycle : float
        Fraction of the time the thrusters fire (0-1); scales the mean thrust.
    """

    isp_s: float
    efficiency: float
    max_input_power_w: float
    array_power_1au_w: float
    power_margin: float = 1.0
    duty_cycle: float = 1.0

    @classmethod
    def from_arrays(
        cls,
        area_m2: float,
        cell_efficiency: float,
        packing_factor: float,
        **thrusters,
    ) -> ElectricPropulsion:
        """A system whose arrays give ``area x 1361 W/m^2 x cell efficiency x packing`` at
        1 AU (``packing`` folds in cell packing, temperature and degradation)."""
        power = area_m2 * SOLAR_IRRADIANCE_1AU_W_M2 * cell_efficiency * packing_factor
        return cls(array_power_1au_w=power, **thrusters)

    @property
    def exhaust_speed_m_s(self) -> float:
        return G0_M_S2 * self.isp_s

    @property
    def law(self) -> tuple[float, float, float, float, float, float]:
        """The thrust law's figures as the compiled kernels take them (:func:`_thrust`)."""
        return (
            self.array_power_1au_w,
            self.power_margin,
            self.max_input_power_w,
            self.efficiency,
            self.duty_cycle,
            self.exhaust_speed_m_s,
        )

    def input_power_w(self, distance_m) -> np.ndarray:
        """Power into the thrusters at ``distance_m`` from the Sun: inverse square, capped."""
        d = np.asarray(distance_m, dtype=np.float64)
        return _law_array(d.ravel(), self.law, False).reshape(d.shape)

    def thrust_n(self, distance_m) -> np.ndarray:
        """Mean thrust available, ``duty * 2 eta P_in / (g0 Isp)`` (N)."""
        d = np.asarray(distance_m, dtype=np.float64)
        return _law_array(d.ravel(), self.law, True).reshape(d.shape)


@njit(cache=True, inline="always")
def _input_power(distance_m: float, law) -> float:
    """``min(margin P_1AU (1 AU / r)^2, P_max)`` (W)."""
    ratio = AU_M / distance_m
    return min(law[1] * law[0] * ratio * ratio, law[2])


@njit(cache=True, inline="always")
def _thrust(distance_m: float, law) -> float:
    """``duty 2 eta P_in / c`` (N) for ``law`` = :attr:`ElectricPropulsion.law`."""
    return law[4] * 2.0 * law[3] * _input_power(distance_m, law) / law[5]


@njit(cache=True)
def _law_array(distance_m, law, thrust: bool):
    out = np.empty_like(distance_m)
    for i in range(distance_m.size):
        out[i] = _thrust(distance_m[i], law) if thrust else _input_power(distance_m[i], law)
    return out


@dataclass(frozen=True)
class ImpulsiveCapture:
    """An impulsive chemical burn at the periapsis of the arrival hyperbola into an ellipse.

    Attributes
    ----------
    mu : float
        Gravitational parameter of the arrival body (m^3/s^2).
    periapsis_radius_m, apoapsis_radius_m : float
        The capture ellipse (the burn is at its periapsis).
    isp_s : float
        Specific impulse of the chemical engine (s).
    """

    mu: float
    periapsis_radius_m: float
    apoapsis_radius_m: float
    isp_s: float

    def delta_v(self, v_infinity_m_s):
        return capture_delta_v(
            v_infinity_m_s, self.mu, self.periapsis_radius_m, self.apoapsis_radius_m
        )

    def mass_ratio(self, v_infinity_m_s):
        """Mass after the burn over mass before (rocket equation)."""
        return np.exp(-self.delta_v(v_infinity_m_s) / (G0_M_S2 * self.isp_s))


def capture_delta_v(v_infinity_m_s, mu: float, periapsis_radius_m, apoapsis_radius_m):
    """Impulsive capture at periapsis: ``sqrt(v_inf^2 + 2 mu / r_p) - v_p(ellipse)``.

    Energy conservation on the hyperbola (vis-viva, Bate, Mueller and White 1971, eq.
    1.6-4) and the periapsis speed of the ellipse ``sqrt(2 mu r_a / (r_p (r_p + r_a)))``.
    """
    rp = np.asarray(periapsis_radius_m, dtype=np.float64)
    ra = np.asarray(apoapsis_radius_m, dtype=np.float64)
    v_hyperbola = np.sqrt(np.square(v_infinity_m_s) + 2.0 * mu / rp)
    v_ellipse = np.sqrt(2.0 * mu * ra / (rp * (rp + ra)))
    return v_hyperbola - v_ellipse


@dataclass(frozen=True)
class SimsFlanaganResult:
    """An optimised low-thrust transfer (SI; epochs ``et``; vectors in the input frame).

    Per segment ``i`` (arrays of length ``N``): ``segment_et`` the midpoint epoch (where
    the impulse sits), ``segment_r_m`` (N, 3) the position there, ``thrust_n`` the thrust
    vector ``u_i T(r_i)`` held over the segment, ``thrust_magnitude_n``,
    ``available_thrust_n`` ``T(r_i)`` and ``throttle`` ``|u_i|``;
    ``mass_kg`` (length ``N + 1``) the mass at the segment boundaries, from the initial to
    the final mass, forward and backward halves joined at the match point.
    ``mismatch_*`` are the match-point defects of the solution (forward minus backward).
    """

    departure_et: float
    arrival_et: float
    segment_s: float
    segment_et: np.ndarray
    segment_r_m: np.ndarray
    thrust_n: np.ndarray
    thrust_magnitude_n: np.ndarray
    available_thrust_n: np.ndarray
    throttle: np.ndarray
    mass_kg: np.ndarray
    departure_v_infinity_m_s: np.ndarray
    arrival_v_infinity_m_s: np.ndarray
    initial_mass_kg: float
    final_mass_kg: float
    capture_delta_v_m_s: float
    mass_after_capture_kg: float
    mismatch_position_m: float
    mismatch_velocity_m_s: float
    mismatch_mass_kg: float
    converged: bool
    message: str
    iterations: int
    r_departure_m: np.ndarray
    v_departure_body_m_s: np.ndarray
    r_arrival_m: np.ndarray
    v_arrival_body_m_s: np.ndarray
    mu: float
    propulsion: ElectricPropulsion
    ballistic_delta_v_m_s: float
    """Impulses the Lambert arc of the same dates needs beyond the v-infinity bounds."""

    @property
    def propellant_kg(self) -> float:
        return self.initial_mass_kg - self.final_mass_kg

    @property
    def delta_v_m_s(self) -> float:
        """Electric delta-v, ``c ln(m0 / mf)``: the sum of the impulses' magnitudes."""
        c = self.propulsion.exhaust_speed_m_s
        return c * math.log(self.initial_mass_kg / self.final_mass_kg)


# ---------------------------------------------------------------------------------------
# The transcription
# ---------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _impulse(u, thrust: float, mass: float, dt: float, c: float, dv) -> float:
    """The impulse of throttle ``u`` (3,) over a segment from the mass before the burn:
    ``dv`` (3,) written in place, the propellant returned."""
    throttle = math.sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2])
    fraction = min(throttle * thrust * dt / (c * mass), _MAX_BURN_FRACTION)
    # dv = c ln(1 / (1 - x)) along u: written as u (T dt / m) phi(x), phi(x) = -ln(1-x)/x,
    # smooth through u = 0 (phi -> 1 + x/2).
    phi = 1.0 + 0.5 * fraction if fraction < 1e-8 else -math.log1p(-fraction) / fraction
    for i in range(3):
        dv[i] = u[i] * (thrust * dt / mass * phi)
    return fraction * mass


@njit(cache=True)
def _forward_half(r, v, m, u, start, dt, mu, law, r_mid, thrust, mass, before):
    """The forward half from the state ``(r, v, m)`` before segment ``start``'s coast:
    segments ``start .. N/2 - 1`` (coast to the midpoint, impulse ``u[j]``), then the half
    segment to the match point, where ``r``, ``v`` (3,) end (in place); returns the mass
    there. Per segment: its midpoint ``r_mid[j]``, thrust available ``thrust[j]``, the mass
    after its impulse ``mass[j + 1]`` and the state before its coast ``before[j]`` (r, v, m)."""
    c = law[5]
    r1, v1, dv = np.empty(3), np.empty(3), np.empty(3)
    for j in range(start, u.shape[0] // 2):
        before[j, :3] = r
        before[j, 3:6] = v
        before[j, 6] = m
        kepler_step(r, v, 0.5 * dt if j == 0 else dt, mu, r1, v1)
        t = _thrust(math.sqrt(r1[0] ** 2 + r1[1] ** 2 + r1[2] ** 2), law)
        m -= _impulse(u[j], t, m, dt, c, dv)
        r[:] = r1
        v[:] = v1 + dv
        r_mid[j] = r1
        thrust[j] = t
        mass[j + 1] = m
    kepler_step(r, v, 0.5 * dt, mu, r1, v1)
    r[:] = r1
    v[:] = v1
    return m


@njit(cache=True)
def _backward_half(r, v, m, u, start, dt, mu, law, r_mid, thrust, mass, before):
    """The backward half from the state ``(r, v, m)`` after segment ``start``'s coast
    (flown back in time: the mass after its impulse): segments ``start`` down to ``N/2``,
    then the half segment back to the match point, where ``r``, ``v`` end (in place);
    returns the mass there. Per segment as :func:`_forward_half`, ``mass[i]`` the mass
    before its impulse."""
    n = u.shape[0]
    c = law[5]
    r1, v1, dv = np.empty(3), np.empty(3), np.empty(3)
    for i in range(start, n // 2 - 1, -1):
        before[i, :3] = r
        before[i, 3:6] = v
        before[i, 6] = m
        kepler_step(r, v, -0.5 * dt if i == n - 1 else -dt, mu, r1, v1)
        t = _thrust(math.sqrt(r1[0] ** 2 + r1[1] ** 2 + r1[2] ** 2), law)
        ui = u[i]
        m += math.sqrt(ui[0] ** 2 + ui[1] ** 2 + ui[2] ** 2) * t * dt / c
        _impulse(ui, t, m, dt, c, dv)
        r[:] = r1
        v[:] = v1 - dv
        r_mid[i] = r1
        thrust[i] = t
        mass[i] = m
    kepler_step(r, v, -0.5 * dt, mu, r1, v1)
    r[:] = r1
    v[:] = v1
    return m


@njit(cache=True, inline="always")
def _match(fr, fv, fm, br, bv, bm, m0, scales, out):
    """The scaled match-point defects, forward minus backward, into ``out`` (7,)."""
    for i in range(3):
        out[i] = (fr[i] - br[i]) / scales[0]
        out[3 + i] = (fv[i] - bv[i]) / scales[1]
    out[6] = (fm - bm) / m0


@njit(cache=True)
def _fly_kernel(r0, v0, rf, vf, vd, va, mf, u, dt, mu, m0, law, scales, mismatch, r_mid,
                thrust, mass):  # fmt: skip
    """The transcription of each decision vector of a batch (see :meth:`_Problem.fly`):
    the forward half coasts and burns from the departure, the backward half from the
    arrival, both to the match point."""
    k, n = u.shape[0], u.shape[1]
    before = np.empty((n, 7))
    fr, fv, br, bv = np.empty(3), np.empty(3), np.empty(3), np.empty(3)
    for b in range(k):
        fr[:] = r0
        fv[:] = v0 + vd[b] * scales[1]
        mass[b, 0] = m0
        fm = _forward_half(fr, fv, m0, u[b], 0, dt, mu, law, r_mid[b], thrust[b], mass[b], before)
        br[:] = rf
        bv[:] = vf + va[b] * scales[1]
        mass[b, n] = mf[b] * m0
        bm = _backward_half(br, bv, mass[b, n], u[b], n - 1, dt, mu, law, r_mid[b], thrust[b],
                            mass[b], before)  # fmt: skip
        _match(fr, fv, fm, br, bv, bm, m0, scales, mismatch[b])


@njit(cache=True)
def _jacobian_kernel(r0, v0, rf, vf, x, blocks, dt, mu, m0, law, scales, step, jac):
    """The central-difference Jacobian (7, size) of the scaled mismatch at the decision
    vector ``x``, column ``k`` from ``x[k] + step`` and ``x[k] - step``: what
    :func:`_fly_kernel` gives for the ``2 size`` perturbed vectors, with the same
    arithmetic, but each perturbed flight starts where the variable first acts, from the
    unperturbed flight's state there (a throttle of the forward half from its segment, one
    of the backward half back from its own; a departure v-infinity re-flies the forward
    half, an arrival one or the final mass the backward half), and takes the other half's
    end from the unperturbed flight: about a quarter of the segments flown.
    ``blocks`` = (index of the departure v-infinity or -1, of the arrival v-infinity or
    -1, of the final mass); the throttles follow the final mass."""
    size = x.shape[0]
    i_vd, i_va, i_mf = blocks[0], blocks[1], blocks[2]
    n = (size - i_mf - 1) // 3
    u = x[i_mf + 1 :].copy().reshape(n, 3)
    vd, va = np.zeros(3), np.zeros(3)
    if i_vd >= 0:
        vd[:] = x[i_vd : i_vd + 3]
    if i_va >= 0:
        va[:] = x[i_va : i_va + 3]
    r_mid, thrust, mass = np.empty((n, 3)), np.empty(n), np.empty(n + 1)
    before, scratch = np.empty((n, 7)), np.empty((n, 7))
    # the unperturbed flight: each half's end and the state before each segment's coast
    fr, fv, br, bv = r0.copy(), v0 + vd * scales[1], rf.copy(), vf + va * scales[1]
    fm = _forward_half(fr, fv, m0, u, 0, dt, mu, law, r_mid, thrust, mass, before)
    bm = _backward_half(br, bv, x[i_mf] * m0, u, n - 1, dt, mu, law, r_mid, thrust, mass,
                        before)  # fmt: skip
    r, v, plus, minus = np.empty(3), np.empty(3), np.empty(7), np.empty(7)
    for k in range(size):
        for sign in range(2):
            value = x[k] + step if sign == 0 else x[k] - step
            out = plus if sign == 0 else minus
            if k >= i_mf + 1:  # a throttle
                j, axis = (k - i_mf - 1) // 3, (k - i_mf - 1) % 3
                u[j, axis] = value
                r[:] = before[j, :3]
                v[:] = before[j, 3:6]
                if j < n // 2:
                    m = _forward_half(r, v, before[j, 6], u, j, dt, mu, law, r_mid, thrust,
                                      mass, scratch)  # fmt: skip
                    _match(r, v, m, br, bv, bm, m0, scales, out)
                else:
                    m = _backward_half(r, v, before[j, 6], u, j, dt, mu, law, r_mid, thrust,
                                       mass, scratch)  # fmt: skip
                    _match(fr, fv, fm, r, v, m, m0, scales, out)
                u[j, axis] = x[k]
            elif i_vd >= 0 and k < i_vd + 3:  # the departure v-infinity
                r[:] = r0
                for i in range(3):
                    v[i] = v0[i] + (value if i == k - i_vd else vd[i]) * scales[1]
                m = _forward_half(r, v, m0, u, 0, dt, mu, law, r_mid, thrust, mass, scratch)
                _match(r, v, m, br, bv, bm, m0, scales, out)
            else:  # the arrival v-infinity or the final mass
                r[:] = rf
                mf = value if k == i_mf else x[i_mf]
                for i in range(3):
                    v[i] = vf[i] + (value if i_va >= 0 and i == k - i_va else va[i]) * scales[1]
                m = _backward_half(r, v, mf * m0, u, n - 1, dt, mu, law, r_mid, thrust, mass,
                                   scratch)  # fmt: skip
                _match(fr, fv, fm, r, v, m, m0, scales, out)
        for i in range(7):
            jac[i, k] = (plus[i] - minus[i]) / (2.0 * step)


@dataclass(frozen=True)
class _Layout:
    """Where each block of the scaled decision vector sits."""

    segments: int
    departure_free: bool
    arrival_free: bool

    @property
    def size(self) -> int:
        return 3 * self.departure_free + 3 * self.arrival_free + 1 + 3 * self.segments

    @property
    def blocks(self) -> tuple[int, int, int]:
        """Index of the departure v-infinity (-1 when bound to 0), of the arrival
        v-infinity (-1 likewise) and of the final mass; the throttles follow it."""
        i_mf = 3 * self.departure_free + 3 * self.arrival_free
        return (0 if self.departure_free else -1, 3 * self.departure_free if self.arrival_free
                else -1, i_mf)  # fmt: skip

    def unpack(self, x: np.ndarray):
        """Blocks of a batch ``x`` (k, size): v_inf dep (k,3), v_inf arr (k,3), mf, u (k,N,3)."""
        k = x.shape[0]
        i = 0
        vd = np.zeros((k, 3))
        va = np.zeros((k, 3))
        if self.departure_free:
            vd, i = x[:, 0:3], 3
        if self.arrival_free:
            va, i = x[:, i : i + 3], i + 3
        mf = x[:, i]
        u = x[:, i + 1 :].reshape(k, self.segments, 3)
        return vd, va, mf, u


@dataclass(frozen=True)
class _Problem:
    r0: np.ndarray
    v0: np.ndarray
    rf: np.ndarray
    vf: np.ndarray
    tof_s: float
    mu: float
    m0: float
    propulsion: ElectricPropulsion
    layout: _Layout
    v_scale: float
    r_scale: float

    @property
    def dt(self) -> float:
        return self.tof_s / self.layout.segments

    @property
    def n_forward(self) -> int:
        return self.layout.segments // 2

    def fly(self, x: np.ndarray):
        """Fly a batch of scaled decision vectors (k, size) to the match point.

        The forward half (segments ``0 .. nf-1``) coasts to each segment's midpoint from
        the departure and takes its impulse there; the backward half (segments
        ``N-1 .. nf``) does the same from the arrival, back in time (it knows the mass after
        each impulse); both coast the last half segment to the match point. Returns the
        scaled mismatch (k, 7) and, per segment, the midpoint positions (k, N, 3), the
        available thrust (k, N) and the boundary masses (k, N + 1).
        """
        lay = self.layout
        vd, va, mf, u = lay.unpack(x)
        k, n = x.shape[0], lay.segments
        mismatch = np.empty((k, 7))
        r_mid = np.empty((k, n, 3))
        thrust = np.empty((k, n))
        mass = np.empty((k, n + 1))
        _fly_kernel(
            self.r0, self.v0, self.rf, self.vf,
            np.ascontiguousarray(vd), np.ascontiguousarray(va), np.ascontiguousarray(mf),
            np.ascontiguousarray(u), self.dt, self.mu, self.m0, self.propulsion.law,
            (self.r_scale, self.v_scale), mismatch, r_mid, thrust, mass,
        )  # fmt: skip
        return mismatch, r_mid, thrust, mass


class _Memo:
    """Mismatch and its central-difference Jacobian at the last point SLSQP asked for."""

    def __init__(self, problem: _Problem):
        self.problem = problem
        self._key: bytes | None = None
        self._value: np.ndarray | None = None
        self._jac_key: bytes | None = None
        self._jac: np.ndarray | None = None

    def value(self, x: np.ndarray) -> np.ndarray:
        key = x.tobytes()
        if key != self._key:
            self._key, self._value = key, self.problem.fly(x[None, :])[0][0]
        return self._value

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        key = x.tobytes()
        if key != self._jac_key:
            p = self.problem
            jac = np.empty((7, x.size))
            _jacobian_kernel(
                p.r0, p.v0, p.rf, p.vf, np.ascontiguousarray(x), p.layout.blocks, p.dt, p.mu,
                p.m0, p.propulsion.law, (p.r_scale, p.v_scale), _FD_STEP, jac,
            )  # fmt: skip
            self._jac_key, self._jac = key, jac
        return self._jac


def _objective(x, problem: _Problem, capture: ImpulsiveCapture | None):
    """Minus the final (scaled) mass, after the capture burn if there is one; gradient."""
    lay = problem.layout
    vd, va, mf, _ = lay.unpack(x[None, :])
    grad = np.zeros_like(x)
    i_mf = 3 * lay.departure_free + 3 * lay.arrival_free
    if capture is None or not lay.arrival_free:
        ratio = 1.0 if capture is None else float(capture.mass_ratio(0.0))
        grad[i_mf] = -ratio
        return -mf[0] * ratio, grad
    v_inf = va[0] * problem.v_scale
    speed = float(np.linalg.norm(v_inf))
    ratio = float(capture.mass_ratio(speed))
    # d(ratio)/d(v_inf vector) = -ratio / c_chem * d(dv)/d(v), d(dv)/dv = v / v_hyperbola
    v_hyp = math.sqrt(speed**2 + 2.0 * capture.mu / capture.periapsis_radius_m)
    d_ratio = -ratio / (G0_M_S2 * capture.isp_s) * v_inf / v_hyp * problem.v_scale
    i_va = 3 * lay.departure_free
    grad[i_va : i_va + 3] = -mf[0] * d_ratio
    grad[i_mf] = -ratio
    return -mf[0] * ratio, grad


def _ball(index: int, radius: float, size: int):
    """Inequality ``radius^2 - |x[index:index+3]|^2 >= 0`` and its gradient."""

    def fun(x):
        block = x[index : index + 3]
        return np.array([radius**2 - block @ block])

    def jac(x):
        g = np.zeros((1, size))
        g[0, index : index + 3] = -2.0 * x[index : index + 3]
        return g

    return {"type": "ineq", "fun": fun, "jac": jac}


def _throttle_constraint(layout: _Layout):
    """``1 - |u_i|^2 >= 0`` for every segment, with its (sparse-in-effect) Jacobian."""
    start = layout.size - 3 * layout.segments
    n = layout.segments

    def fun(x):
        u = x[start:].reshape(n, 3)
        return 1.0 - np.einsum("ij,ij->i", u, u)

    def jac(x):
        g = np.zeros((n, layout.size))
        rows = np.repeat(np.arange(n), 3)
        g[rows, start + np.arange(3 * n)] = -2.0 * x[start:]
        return g

    return {"type": "ineq", "fun": fun, "jac": jac}


def _lambert_guess(r0, v0, rf, vf, tof_s, mu, max_revs, vd_max, va_max):
    """The Lambert arc (any revolutions up to ``max_revs``) needing the least impulse beyond
    the v-infinity bounds; returns its departure and arrival v-infinities and that excess."""
    sol = solve_lambert(r0[None], rf[None], [tof_s], mu, max_revs=max_revs)
    ok = sol.ok[0]
    if not np.any(ok):
        raise ValueError("no Lambert arc joins the departure and arrival for this time")
    vinf_d = np.linalg.norm(sol.v1[0] - v0, axis=1)
    vinf_a = np.linalg.norm(sol.v2[0] - vf, axis=1)
    excess = np.maximum(vinf_d - vd_max, 0.0) + np.maximum(vinf_a - va_max, 0.0)
    best = int(np.nanargmin(np.where(ok, excess, np.inf)))
    return sol.v1[0, best] - v0, sol.v2[0, best] - vf, float(excess[best])


def _spread_excess(problem: _Problem, excess_departure, excess_arrival, mass_ratio: float):
    """Throttles that give, impulse after impulse from each end, what the v-infinity
    bounds refuse the ballistic arc: the forward half accelerates along the departure
    excess, the backward half brakes along the arrival excess, each segment at full
    throttle until its share is given (the thrust and mass of its end of the transfer).
    From there the optimiser starts near the Lambert arc instead of far from any feasible
    point; a small throttle (0.1) everywhere else."""
    lay = problem.layout
    n, nf, dt = lay.segments, problem.n_forward, problem.dt
    u = np.full((n, 3), 0.1)
    ends = (
        (excess_departure, range(nf), problem.m0, problem.r0),
        (-np.asarray(excess_arrival), range(n - 1, nf - 1, -1), problem.m0 * mass_ratio,
         problem.rf),
    )  # fmt: skip
    for excess, order, mass, r in ends:
        left = float(np.linalg.norm(excess))
        if left == 0.0:
            continue
        direction = np.asarray(excess) / left
        per_segment = float(problem.propulsion.thrust_n(np.linalg.norm(r))) * dt / mass
        for i in order:
            share = min(left, per_segment)
            u[i] = direction * share / per_segment
            left -= share
            if left <= 0.0:
                break
    return u.ravel()


def _clip_norm(v: np.ndarray, limit: float) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v if norm <= limit else v * (limit / norm)


def _resampled_throttle(result: SimsFlanaganResult, segments: int) -> np.ndarray:
    """A solution's throttle vectors ``u_i`` (thrust over the thrust available), taken
    at ``segments`` equal segments by the nearest of its own midpoints in normalised time."""
    available = np.where(result.available_thrust_n > 0.0, result.available_thrust_n, 1.0)
    u = result.thrust_n / available[:, None]
    n = u.shape[0]
    nearest = np.minimum(((np.arange(segments) + 0.5) / segments * n).astype(int), n - 1)
    return u[nearest].ravel()


def solve_sims_flanagan(
    r_departure,
    v_departure,
    r_arrival,
    v_arrival,
    tof_s: float,
    mu: float,
    initial_mass_kg: float,
    propulsion: ElectricPropulsion,
    *,
    segments: int = 30,
    departure_v_infinity_max_m_s: float = 0.0,
    arrival_v_infinity_max_m_s: float | None = 0.0,
    capture: ImpulsiveCapture | None = None,
    departure_et: float = 0.0,
    lambert_max_revs: int = 2,
    max_iterations: int = 400,
    tolerance: float = 1e-9,
    initial_guess: SimsFlanaganResult | None = None,
) -> SimsFlanaganResult:
    """Greatest-final-mass low-thrust transfer between two bodies' states, fixed dates.

    Parameters
    ----------
    r_departure, v_departure : (3,) array_like
        State of the departure body (m, m/s) about the attractor of parameter ``mu``.
    r_arrival, v_arrival : (3,) array_like
        State of the arrival body at ``tof_s`` later.
    initial_mass_kg : float
        Mass at departure.
    propulsion : ElectricPropulsion
        Thrust available as a function of the distance to the attractor.
    segments : int
        ``N``, the number of Sims-Flanagan segments.
    departure_v_infinity_max_m_s : float
        Largest departure hyperbolic excess speed (the launcher's); 0 starts on the body's
        orbit.
    arrival_v_infinity_max_m_s : float or None
        Largest arrival excess speed; 0 is a rendezvous, ``None`` leaves it free.
    capture : ImpulsiveCapture, optional
        A chemical capture burn at arrival whose propellant is charged to the objective.
    departure_et : float
        Epoch of departure (only labels the segments).
    lambert_max_revs : int
        Revolutions searched for the ballistic initial guess.
    max_iterations, tolerance
        SLSQP's ``maxiter`` and ``ftol`` (the mismatch is scaled by the departure radius,
        the circular speed there and the initial mass: 1e-9 is ~150 m at 1 AU).
    initial_guess : SimsFlanaganResult, optional
        A solution of a neighbouring problem (the same bodies, other dates) to start from
        instead of the ballistic arc: its v-infinities (clipped to the bounds), final mass
        fraction and throttles (resampled to ``segments`` by segment midpoint time). A
        search over dates converges in fewer iterations from its neighbour's optimum.

    Returns
    -------
    SimsFlanaganResult
    """
    if segments < 2:
        raise ValueError(f"segments = {segments}: at least 2 (one forward, one backward)")
    if tof_s <= 0.0:
        raise ValueError(f"tof_s = {tof_s}: must be positive")
    r0, v0, rf, vf = (
        np.asarray(a, dtype=np.float64).reshape(3)
        for a in (r_departure, v_departure, r_arrival, v_arrival)
    )
    r_scale = float(np.linalg.norm(r0))
    v_scale = math.sqrt(mu / r_scale)
    arrival_free = arrival_v_infinity_max_m_s is None or arrival_v_infinity_max_m_s > 0.0
    layout = _Layout(segments, departure_v_infinity_max_m_s > 0.0, arrival_free)
    problem = _Problem(
        r0, v0, rf, vf, tof_s, mu, initial_mass_kg, propulsion, layout, v_scale, r_scale
    )
    va_max = math.inf if arrival_v_infinity_max_m_s is None else arrival_v_infinity_max_m_s
    vd_guess, va_guess, excess = _lambert_guess(
        r0, v0, rf, vf, tof_s, mu, lambert_max_revs, departure_v_infinity_max_m_s, va_max
    )
    c = propulsion.exhaust_speed_m_s
    mass_guess = math.exp(-excess / c)
    vd_clip = _clip_norm(vd_guess, departure_v_infinity_max_m_s)
    va_clip = _clip_norm(va_guess, va_max)
    throttle_guess = _spread_excess(problem, vd_guess - vd_clip, va_guess - va_clip, mass_guess)
    if initial_guess is not None:
        vd_guess = initial_guess.departure_v_infinity_m_s
        va_guess = initial_guess.arrival_v_infinity_m_s
        mass_guess = initial_guess.final_mass_kg / initial_guess.initial_mass_kg
        throttle_guess = _resampled_throttle(initial_guess, segments)
    x0_parts = []
    constraints = []
    bounds = []
    if layout.departure_free:
        limit = departure_v_infinity_max_m_s / v_scale
        x0_parts.append(_clip_norm(vd_guess / v_scale, limit))
        constraints.append(_ball(0, limit, layout.size))
        bounds += [(-limit, limit)] * 3
    if layout.arrival_free:
        i = 3 * layout.departure_free
        x0_parts.append(_clip_norm(va_guess / v_scale, va_max / v_scale))
        if math.isfinite(va_max):
            constraints.append(_ball(i, va_max / v_scale, layout.size))
            bounds += [(-va_max / v_scale, va_max / v_scale)] * 3
        else:
            bounds += [(None, None)] * 3
    x0_parts.append([mass_guess])
    bounds.append((0.05, 1.0))
    x0_parts.append(throttle_guess)
    bounds += [(-1.0, 1.0)] * (3 * segments)
    x0 = np.concatenate([np.ravel(p) for p in x0_parts])

    memo = _Memo(problem)
    constraints = [
        {"type": "eq", "fun": memo.value, "jac": memo.jacobian},
        _throttle_constraint(layout),
        *constraints,
    ]
    opt = minimize(
        _objective,
        x0,
        args=(problem, capture),
        jac=True,
        method="SLSQP",
        bounds=bounds,
        constraints=constraints,
        options={"maxiter": max_iterations, "ftol": tolerance},
    )
    return _result(opt, problem, capture, departure_et, excess)


def _result(opt, problem: _Problem, capture, departure_et: float, excess: float):
    lay = problem.layout
    x = opt.x
    mismatch, r_mid, thrust, mass = problem.fly(x[None, :])
    vd, va, mf, u = lay.unpack(x[None, :])
    throttle = np.linalg.norm(u[0], axis=1)
    v_arr = va[0] * problem.v_scale
    final_mass = float(mf[0] * problem.m0)
    cap_dv = float(capture.delta_v(np.linalg.norm(v_arr))) if capture is not None else 0.0
    after = final_mass * math.exp(-cap_dv / (G0_M_S2 * capture.isp_s)) if capture else final_mass
    dt = problem.dt
    return SimsFlanaganResult(
        departure_et=departure_et,
        arrival_et=departure_et + problem.tof_s,
        segment_s=dt,
        segment_et=departure_et + (np.arange(lay.segments) + 0.5) * dt,
        segment_r_m=r_mid[0],
        thrust_n=u[0] * thrust[0][:, None],
        thrust_magnitude_n=throttle * thrust[0],
        available_thrust_n=thrust[0],
        throttle=throttle,
        mass_kg=mass[0],
        departure_v_infinity_m_s=vd[0] * problem.v_scale,
        arrival_v_infinity_m_s=v_arr,
        initial_mass_kg=problem.m0,
        final_mass_kg=final_mass,
        capture_delta_v_m_s=cap_dv,
        mass_after_capture_kg=after,
        mismatch_position_m=float(np.linalg.norm(mismatch[0, :3]) * problem.r_scale),
        mismatch_velocity_m_s=float(np.linalg.norm(mismatch[0, 3:6]) * problem.v_scale),
        mismatch_mass_kg=float(abs(mismatch[0, 6]) * problem.m0),
        converged=bool(opt.success),
        message=str(opt.message),
        iterations=int(opt.nit),
        r_departure_m=problem.r0,
        v_departure_body_m_s=problem.v0,
        r_arrival_m=problem.rf,
        v_arrival_body_m_s=problem.vf,
        mu=problem.mu,
        propulsion=problem.propulsion,
        ballistic_delta_v_m_s=excess,
    )


# ---------------------------------------------------------------------------------------
# Check: fly the thrust history with an independent integrator
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PropagationCheck:
    """Where the integrated thrust history ends against the transfer's target state."""

    mode: str
    position_error_m: float
    velocity_error_m_s: float
    mass_error_kg: float
    final_r_m: np.ndarray
    final_v_m_s: np.ndarray
    final_mass_kg: float
    path_r_m: np.ndarray
    """Positions along the flown path (k, 3), a few per segment, for plots."""


def _thrust_ode(mu: float, force: np.ndarray, c: float):
    """Two-body motion with a constant thrust vector ``force`` and mass flow |force|/c."""
    thrust = float(np.linalg.norm(force))

    def rhs(_t, y):
        r = y[:3]
        acc = -mu * r / np.linalg.norm(r) ** 3 + force / y[6]
        return np.concatenate([y[3:6], acc, [-thrust / c]])

    return rhs


def check_propagation(
    result: SimsFlanaganResult, mode: str = "continuous", rtol: float = 1e-11
) -> PropagationCheck:
    """Fly a transfer's thrust history forward with scipy's DOP853 from the departure.

    ``mode="impulsive"``: coast to each segment's midpoint, apply that segment's impulse
    (same rocket equation as the transcription): checks the transcription's arithmetic and
    its optimum's mismatch. ``mode="continuous"``: hold each segment's thrust vector
    constant over the whole segment (mass flowing at ``|T| / c``): measures what replacing
    continuous thrust by midpoint impulses costs in accuracy, of order ``dt^2``.

    The errors are against the arrival body's state plus the arrival v-infinity.
    """
    if mode not in ("impulsive", "continuous"):
        raise ValueError(f"mode = {mode!r}: must be 'impulsive' or 'continuous'")
    c = result.propulsion.exhaust_speed_m_s
    dt = result.segment_s
    y = np.concatenate(
        [
            result.r_departure_m,
            result.v_departure_body_m_s + result.departure_v_infinity_m_s,
            [result.initial_mass_kg],
        ]
    )
    coast = _thrust_ode(result.mu, np.zeros(3), c)
    path = [y[None, :3]]
    for force in result.thrust_n:
        if mode == "continuous":
            y, points = _integrate(_thrust_ode(result.mu, force, c), y, dt, rtol)
            path.append(points)
            continue
        y, points = _integrate(coast, y, 0.5 * dt, rtol)
        path.append(points)
        dv = np.empty(3)
        magnitude = float(np.linalg.norm(force))
        dm = _impulse(force / max(magnitude, 1e-300), magnitude, float(y[6]), dt, c, dv)
        y = np.concatenate([y[:3], y[3:6] + dv, [y[6] - dm]])
        y, points = _integrate(coast, y, 0.5 * dt, rtol)
        path.append(points)
    target_v = result.v_arrival_body_m_s + result.arrival_v_infinity_m_s
    return PropagationCheck(
        mode=mode,
        position_error_m=float(np.linalg.norm(y[:3] - result.r_arrival_m)),
        velocity_error_m_s=float(np.linalg.norm(y[3:6] - target_v)),
        mass_error_kg=float(abs(y[6] - result.final_mass_kg)),
        final_r_m=y[:3],
        final_v_m_s=y[3:6],
        final_mass_kg=float(y[6]),
        path_r_m=np.concatenate(path),
    )


def _integrate(rhs, y0: np.ndarray, duration: float, rtol: float, samples: int = 4):
    """The state after ``duration`` and ``samples`` positions along the way (k, 3)."""
    times = np.linspace(0.0, duration, samples + 1)[1:]
    sol = solve_ivp(rhs, (0.0, duration), y0, method="DOP853", rtol=rtol, atol=1e-6, t_eval=times)
    if not sol.success:
        raise RuntimeError(f"check propagation failed: {sol.message}")
    return sol.y[:, -1], sol.y[:3].T
