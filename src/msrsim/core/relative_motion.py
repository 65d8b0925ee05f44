"""Linearised relative motion: Hill-Clohessy-Wiltshire, Schweighart-Sedwick,
Yamanaka-Ankersen, targeting.

Frame: the target's local frame with ``x`` radial (up, "R-bar" points down, -x), ``y``
along-track ("V-bar"), ``z`` along the orbit normal (the RTN frame of
:func:`msrsim.core.frames.rtn_matrix`). A relative state is ``(x, y, z, x', y', z')``
of the chaser with respect to the target, the velocity seen in the rotating frame.

**HCW** (Clohessy and Wiltshire, "Terminal guidance system for satellite rendezvous",
J. Aerospace Sci. 27(9):653-658, 1960; Vallado 2013, eq. 6-66) for a circular target
orbit of mean motion ``n``::

    x'' = 3 n^2 x + 2 n y',    y'' = -2 n x',    z'' = -n^2 z                        (1)

with the closed-form state transition matrix of Vallado 2013, eq. 6-67
(:func:`hcw_stm`).

**Schweighart-Sedwick** (Schweighart, S. A., Sedwick, R. J., "High-fidelity linearized
J2 model for satellite formation flight", J. Guid. Control Dyn. 25(6):1073-1080, 2002,
eqs. 12-14 and 40): the orbit-averaged differential ``J2`` in a frame turning at ``n c``::

    s = 3 J2 R^2 / (8 r^2) (1 + 3 cos 2i),   c = sqrt(1 + s)
    x'' = (5c^2 - 2) n^2 x + 2 n c y',  y'' = -2 n c x',  z'' = -q^2 z               (2)

The cross-track frequency is taken as ``q = n c`` (the paper's ``q`` adds the differential
node drift of an inclined chaser, zero for the coplanar approaches flown here; the
out-of-plane forcing term ``2 l q cos(q t + phi)`` is left out for the same reason).
Its transition matrix is ``expm(A t)`` (:func:`linear_stm`).

**Yamanaka-Ankersen** (Yamanaka, K., Ankersen, F., "New state transition matrix for
relative motion on an arbitrary elliptical orbit", J. Guid. Control Dyn. 25(1):60-66,
2002): the linearised relative motion about a Keplerian target of any eccentricity ``e``
(the Tschauner-Hempel equations). With the true anomaly ``nu`` as the independent
variable, ``rho = 1 + e cos nu``, ``k^2 = sqrt(mu / p^3)`` (so that ``nu' = k^2 rho^2``) and
the scaled coordinates ``x~ = rho x`` (likewise ``y~, z~``), primes ``d/dnu``::

    x~'' = 3 x~ / rho + 2 y~',    y~'' = -2 x~',    z~'' = -z~                       (3)

(the paper's Tschauner-Hempel equations in this module's axes: its ``x`` is our ``y``,
its ``z`` our ``-x``, its ``y`` our ``-z``). The in-plane solutions, with
``s = rho sin nu``, ``c = rho cos nu`` and the paper's integral
``J = int dnu / rho^2 = k^2 (t - t0)``, are the columns (1) ``y~ = 1``; (2) ``x~ = s,
y~ = c (1 + 1/rho)``; (3) ``x~ = c, y~ = -s (1 + 1/rho)``; (4) ``x~ = 2 - 3 e s J,
y~ = -3 rho^2 J`` (the paper's solution with its constants' signs changed to our axes;
each checked here by substitution into eq. 3). The transition matrix is the fundamental
matrix at ``nu`` times its inverse at ``nu0`` (inverted numerically, 4 x 4, where the
paper gives the inverse in closed form as its "pseudo-initial values"), between the
physical and scaled states ``x~ = rho x``, ``x~' = -e sin(nu) x + x' / (k^2 rho)``; out of
plane ``z~`` turns by ``nu - nu0`` (:func:`yamanaka_ankersen_stm`). For ``e = 0`` it is
the HCW matrix (``k^2 = n``, ``J = n t``). Equations of the paper are cited by content,
not number.

**Process noise** of a white acceleration of spectral density ``q`` (m2/s3) on every axis
over a step, exactly for the linear model (Van Loan, C. F., "Computing integrals involving
the matrix exponential", IEEE Trans. Autom. Control 23(3):395-404, 1978):
:func:`van_loan_noise`.

**Two-impulse targeting** (Vallado 2013, sect. 6.8, "CW targeting"): with the blocks
``[[Prr, Prv], [Pvr, Pvv]]`` of the STM over the time of flight ``T``, the departure
velocity that reaches ``rho_f`` is ``v0+ = Prv^-1 (rho_f - Prr rho0)``, and the arrival
burn is ``v_f - (Pvr rho0 + Pvv v0+)`` (:func:`two_impulse`). The in-plane and cross-track
parts are solved apart (they are decoupled in eqs. 1-2); near half a revolution the
cross-track part is uncontrollable (every ``z'`` brings ``z`` to ``-z0``) and is left
alone, for a later burn a quarter revolution out to null.

**Inertial <-> local**: ``rho = C (r_c - r_t)``, ``rho' = C (v_c - v_t) - w x rho`` with
``C`` the RTN rotation of the target and ``w = (0, 0, |r x v| / r^2)`` the frame's rate
(exact for a Keplerian target; with ``J2`` the frame also turns slowly about ``x``, which
is left out, ~1e-6 of ``n``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from msrsim.core.bodies import MARS, Body
from msrsim.core.kernel_args import kernel_input

__all__ = [
    "expm_batch",
    "hcw_matrix",
    "hcw_stm",
    "inertial_to_local",
    "inertial_to_local_row",
    "linear_stm",
    "local_jacobian",
    "local_jacobian_inverse_row",
    "local_to_inertial",
    "mean_motion",
    "osculating_elements",
    "osculating_elements_row",
    "point_mass_hessian",
    "point_mass_hessian_row",
    "radial_hop_delta_v",
    "rtn_row",
    "rtn_rotation",
    "schweighart_sedwick_matrix",
    "two_impulse",
    "two_impulse_row",
    "van_loan_noise",
    "yamanaka_ankersen_row",
    "yamanaka_ankersen_stm",
]


def mean_motion(a_m: float, mu: float = MARS.gm.value) -> float:
    """``sqrt(mu / a^3)`` (rad/s)."""
    return math.sqrt(mu / a_m**3)


def hcw_matrix(n: float) -> np.ndarray:
    """The (6, 6) system matrix of eq. (1)."""
    a = np.zeros((6, 6))
    a[0:3, 3:6] = np.eye(3)
    a[3, 0], a[3, 4] = 3.0 * n * n, 2.0 * n
    a[4, 3] = -2.0 * n
    a[5, 2] = -n * n
    return a


def schweighart_sedwick_matrix(
    a_m: float, inclination_rad: float, body: Body = MARS
) -> tuple[np.ndarray, float, float]:
    """The (6, 6) system matrix of eq. (2), with ``n`` and ``c``, for a reference circular
    orbit of radius ``a_m`` and inclination ``inclination_rad`` about ``body``."""
    n = mean_motion(a_m, body.gm.value)
    s = (
        3.0
        * body.j2.value
        * body.j2_reference_radius_m**2
        / (8.0 * a_m**2)
        * (1.0 + 3.0 * math.cos(2.0 * inclination_rad))
    )  # eq. (2)
    c = math.sqrt(1.0 + s)
    a = np.zeros((6, 6))
    a[0:3, 3:6] = np.eye(3)
    a[3, 0], a[3, 4] = (5.0 * c * c - 2.0) * n * n, 2.0 * n * c
    a[4, 3] = -2.0 * n * c
    a[5, 2] = -((n * c) ** 2)
    return a, n, c


def hcw_stm(n, t) -> np.ndarray:
    """Closed-form HCW transition matrices (m, 6, 6) at times ``t`` (m,) (Vallado eq. 6-67);
    ``n`` a scalar or one mean motion per time."""
    n, t = np.broadcast_arrays(*(np.atleast_1d(np.asarray(x, np.float64)) for x in (n, t)))
    nt = n * t
    s, c = np.sin(nt), np.cos(nt)
    phi = np.zeros((t.size, 6, 6))
    phi[:, 0, 0] = 4.0 - 3.0 * c
    phi[:, 0, 3] = s / n
    phi[:, 0, 4] = 2.0 / n * (1.0 - c)
    phi[:, 1, 0] = 6.0 * (s - nt)
    phi[:, 1, 1] = 1.0
    phi[:, 1, 3] = -2.0 / n * (1.0 - c)
    phi[:, 1, 4] = (4.0 * s - 3.0 * nt) / n
    phi[:, 2, 2] = c
    phi[:, 2, 5] = s / n
    phi[:, 3, 0] = 3.0 * n * s
    phi[:, 3, 3] = c
    phi[:, 3, 4] = 2.0 * s
    phi[:, 4, 0] = -6.0 * n * (1.0 - c)
    phi[:, 4, 3] = -2.0 * s
    phi[:, 4, 4] = 4.0 * c - 3.0
    phi[:, 5, 2] = -n * s
    phi[:, 5, 5] = c
    return phi


def osculating_elements(states, mu: float = MARS.gm.value):
    """Semi-major axis (m), eccentricity and true anomaly (rad) of the osculating
    two-body orbits of inertial states (n, 6) or (6,); each (n,)."""
    x = np.ascontiguousarray(np.atleast_2d(np.asarray(states, np.float64)))
    out = np.empty((3, x.shape[0]))
    _elements_rows(x, float(mu), out)
    return out[0], out[1], out[2]


@njit(cache=True)
def osculating_elements_row(state, mu):
    """:func:`osculating_elements` of one state (6,): ``(a, e, nu)``."""
    x, y, z, vx, vy, vz = state[0], state[1], state[2], state[3], state[4], state[5]
    r2 = x * x + y * y + z * z
    rn = math.sqrt(r2)
    v2 = vx * vx + vy * vy + vz * vz
    rv = x * vx + y * vy + z * vz
    a = 1.0 / (2.0 / rn - v2 / mu)
    h = math.sqrt(max(r2 * v2 - rv * rv, 0.0))
    # e cos nu = p / r - 1 (the conic equation), e sin nu = sqrt(p / mu) (r . v) / r
    ecos = h * h / (mu * rn) - 1.0
    esin = rv * h / (mu * rn)
    return a, math.hypot(ecos, esin), math.atan2(esin, ecos)


@njit(cache=True)
def _elements_rows(x, mu, out):
    for n in range(x.shape[0]):
        out[0, n], out[1, n], out[2, n] = osculating_elements_row(x[n], mu)


def point_mass_hessian(r, mu: float = MARS.gm.value) -> np.ndarray:
    """Hessians (n, 3, 3, 3) ``d2 a_i / dr_j dr_k`` of the point-mass acceleration ``a =
    -mu r / |r|^3`` at positions ``r`` (n, 3): ``3 mu / r^5 (delta_ij r_k + delta_ik r_j +
    delta_jk r_i) - 15 mu r_i r_j r_k / r^7`` (differentiating the gravity gradient
    ``-mu (I / r^3 - 3 r r^T / r^5)`` once more)."""
    r = np.ascontiguousarray(np.atleast_2d(np.asarray(r, np.float64)))
    out = np.empty((r.shape[0], 3, 3, 3))
    _hessian_rows(r, float(mu), out)
    return out


@njit(cache=True)
def point_mass_hessian_row(r, mu, out):
    """:func:`point_mass_hessian` of one position ``r`` (3,) into ``out`` (3, 3, 3)."""
    rn2 = r[0] * r[0] + r[1] * r[1] + r[2] * r[2]
    rn = math.sqrt(rn2)
    f3 = 3.0 * mu / (rn2 * rn2 * rn)
    f15 = 15.0 * mu / (rn2 * rn2 * rn2 * rn)
    for i in range(3):
        for j in range(3):
            for k in range(3):
                sym = 0.0
                if i == j:
                    sym += r[k]
                if i == k:
                    sym += r[j]
                if j == k:
                    sym += r[i]
                out[i, j, k] = f3 * sym - f15 * r[i] * r[j] * r[k]


@njit(cache=True)
def _hessian_rows(r, mu, out):
    for n in range(r.shape[0]):
        point_mass_hessian_row(r[n], mu, out[n])


@njit(cache=True)
def _true_anomaly_after(e, nu0, dm):
    """True anomaly a mean anomaly ``dm`` after ``nu0`` on an ellipse of eccentricity
    ``e`` (Kepler's equation by Newton's method; wrapped to (-pi, pi])."""
    b = math.sqrt((1.0 - e) / (1.0 + e))
    ecc0 = 2.0 * math.atan2(b * math.sin(0.5 * nu0), math.cos(0.5 * nu0))
    m = ecc0 - e * math.sin(ecc0) + dm
    ecc = m + e * math.sin(m)
    for _ in range(50):
        step = (ecc - e * math.sin(ecc) - m) / (1.0 - e * math.cos(ecc))
        ecc = ecc - step
        if abs(step) < 1e-13:
            break
    return 2.0 * math.atan2(math.sin(0.5 * ecc), b * math.cos(0.5 * ecc))


@njit(cache=True)
def _ya_fundamental(e, nu, j, f):
    """In-plane fundamental matrix (4, 4) of eq. (3) for ``(x~, y~, x~', y~')`` into
    ``f``, the columns the four solutions of the module docstring at true anomaly ``nu``
    and ``J = j``."""
    sn, cn = math.sin(nu), math.cos(nu)
    rho = 1.0 + e * cn
    s, c = rho * sn, rho * cn
    ds = cn + e * math.cos(2.0 * nu)  # s'
    dc = -(sn + e * math.sin(2.0 * nu))  # c'
    f[0, 0], f[1, 0], f[2, 0], f[3, 0] = 0.0, 1.0, 0.0, 0.0
    f[0, 1], f[1, 1], f[2, 1], f[3, 1] = s, c * (1.0 + 1.0 / rho), ds, -2.0 * s
    f[0, 2], f[1, 2], f[2, 2], f[3, 2] = c, -s * (1.0 + 1.0 / rho), dc, e - 2.0 * c
    f[0, 3] = 2.0 - 3.0 * e * s * j
    f[1, 3] = -3.0 * rho * rho * j
    f[2, 3] = -3.0 * e * (ds * j + s / (rho * rho))
    f[3, 3] = -3.0 * (1.0 - 2.0 * e * s * j)


@njit(cache=True)
def _solve_small(a, b):
    """``a^-1 b`` in place of ``b`` (a: (m, m), copied; b: (m, k)) by Gauss-Jordan
    elimination with partial pivoting."""
    m = a.shape[0]
    w = a.copy()
    for col in range(m):
        piv = col
        for row in range(col + 1, m):
            if abs(w[row, col]) > abs(w[piv, col]):
                piv = row
        if piv != col:
            for q in range(m):
                w[col, q], w[piv, q] = w[piv, q], w[col, q]
            for q in range(b.shape[1]):
                b[col, q], b[piv, q] = b[piv, q], b[col, q]
        d = w[col, col]
        for row in range(m):
            if row == col:
                continue
            factor = w[row, col] / d
            for q in range(m):
                w[row, q] -= factor * w[col, q]
            for q in range(b.shape[1]):
                b[row, q] -= factor * b[col, q]
    for row in range(m):
        for q in range(b.shape[1]):
            b[row, q] /= w[row, row]


@njit(cache=True)
def yamanaka_ankersen_row(a_m, e, nu0, t, mu, phi):
    """:func:`yamanaka_ankersen_stm` of one target and time into ``phi`` (6, 6)."""
    n = math.sqrt(mu / a_m**3)
    k2 = math.sqrt(mu / (a_m * (1.0 - e * e)) ** 3)  # h / p^2
    nu = _true_anomaly_after(e, nu0, n * t)
    j = k2 * t  # the paper's J = int_nu0^nu dnu / rho^2
    rho0, rho = 1.0 + e * math.cos(nu0), 1.0 + e * math.cos(nu)
    sin0, sin1 = math.sin(nu0), math.sin(nu)
    # physical (x, y, x', y') -> scaled (x~, y~, x~', y~') at the start, and back at the end
    to_scaled = np.zeros((4, 4))
    from_scaled = np.zeros((4, 4))
    for i in (0, 1):
        to_scaled[i, i] = rho0
        to_scaled[i + 2, i] = -e * sin0
        to_scaled[i + 2, i + 2] = 1.0 / (k2 * rho0)
        from_scaled[i, i] = 1.0 / rho
        from_scaled[i + 2, i] = k2 * e * sin1
        from_scaled[i + 2, i + 2] = k2 * rho
    f0 = np.empty((4, 4))
    f1 = np.empty((4, 4))
    _ya_fundamental(e, nu0, 0.0, f0)
    _ya_fundamental(e, nu, j, f1)
    _solve_small(f0, to_scaled)  # f0^-1 to_scaled
    scaled = f1 @ to_scaled
    plane = from_scaled @ scaled
    idx = (0, 1, 3, 4)
    phi[:, :] = 0.0
    for a in range(4):
        for b in range(4):
            phi[idx[a], idx[b]] = plane[a, b]
    # out of plane: z~ = rho z turns as a harmonic oscillator in nu (eq. 3), between
    # the same scalings as in plane
    cd, sd = math.cos(nu - nu0), math.sin(nu - nu0)
    z_from_z0 = cd * rho0 - sd * e * sin0  # z~ per z0
    z_from_v0 = sd / (k2 * rho0)  # z~ per z'0
    dz_from_z0 = -sd * rho0 - cd * e * sin0  # z~' per z0
    dz_from_v0 = cd / (k2 * rho0)  # z~' per z'0
    phi[2, 2], phi[2, 5] = z_from_z0 / rho, z_from_v0 / rho
    phi[5, 2] = k2 * (e * sin1 * z_from_z0 + rho * dz_from_z0)
    phi[5, 5] = k2 * (e * sin1 * z_from_v0 + rho * dz_from_v0)


@njit(cache=True)
def _ya_rows(a_m, e, nu0, t, mu, out):
    for n in range(a_m.shape[0]):
        yamanaka_ankersen_row(a_m[n], e[n], nu0[n], t[n], mu, out[n])


def yamanaka_ankersen_stm(a_m, e, nu0_rad, t, mu: float = MARS.gm.value) -> np.ndarray:
    """Transition matrices (m, 6, 6) of the linearised relative motion about a Keplerian
    target of semi-major axis ``a_m``, eccentricity ``e`` (0 <= e < 1) and true anomaly
    ``nu0_rad`` at the start, over times ``t`` (s); the four broadcast to (m,). Module
    frame and state (x radial, y along-track, z normal; velocity in the rotating frame).

    References
    ----------
    Yamanaka, K., Ankersen, F. (2002), J. Guid. Control Dyn. 25(1):60-66: the scaled
    variables, the integral ``J`` and the in-plane solution (in this module's axes, eq. 3
    of the module docstring).
    """
    a_m, e, nu0, t = (
        np.ascontiguousarray(x)
        for x in np.broadcast_arrays(
            *(np.atleast_1d(np.asarray(x, np.float64)) for x in (a_m, e, nu0_rad, t))
        )
    )
    if np.any((e < 0.0) | (e >= 1.0)):
        raise ValueError(f"eccentricity {e.min():g}..{e.max():g}: must lie in [0, 1)")
    out = np.empty((a_m.size, 6, 6))
    _ya_rows(a_m, e, nu0, t, float(mu), out)
    return out


@njit(cache=True)
def _expm_rows(a, out):
    """``exp(a[j])`` of each square matrix into ``out[j]``: scaling and squaring of the
    Taylor series (Moler and Van Loan, "Nineteen dubious ways to compute the exponential of
    a matrix, twenty-five years later", SIAM Review 45(1):3-49, 2003, sect. 3): the matrix
    is halved ``s`` times to a 1-norm below 1/2, where 18 terms leave a truncation below
    0.5^19 / 19! ~ 2e-23 of the norm, then squared ``s`` times. Tested against scipy's
    Pade approximant; ~30 times faster on these small batched matrices."""
    k = a.shape[1]
    x = np.empty((k, k))
    r = np.empty((k, k))
    t = np.empty((k, k))
    for j in range(a.shape[0]):
        norm = 0.0
        for col in range(k):
            v = 0.0
            for row in range(k):
                v += abs(a[j, row, col])
            norm = max(norm, v)
        s = 0
        while norm > 0.5:
            norm *= 0.5
            s += 1
        scale = 0.5**s
        for row in range(k):
            for col in range(k):
                x[row, col] = a[j, row, col] * scale
                r[row, col] = 1.0 if row == col else 0.0
        for term in range(18, 0, -1):  # Horner: r = I + x r / term
            for row in range(k):
                for col in range(k):
                    v = 0.0
                    for m in range(k):
                        v += x[row, m] * r[m, col]
                    t[row, col] = v / term
            for row in range(k):
                for col in range(k):
                    r[row, col] = t[row, col] + (1.0 if row == col else 0.0)
        for _ in range(s):
            for row in range(k):
                for col in range(k):
                    v = 0.0
                    for m in range(k):
                        v += r[row, m] * r[m, col]
                    t[row, col] = v
            r[:, :] = t
        out[j] = r


def expm_batch(a: np.ndarray) -> np.ndarray:
    """``exp`` of each of the square matrices ``a`` (..., k, k) (:func:`_expm_rows`)."""
    a = np.asarray(a, np.float64)
    flat = np.ascontiguousarray(a.reshape(-1, *a.shape[-2:]))
    out = np.empty_like(flat)
    _expm_rows(flat, out)
    return out.reshape(a.shape)


def linear_stm(a: np.ndarray, t) -> np.ndarray:
    """``expm(A t)`` for each time of ``t``, shape (m, 6, 6); ``a`` (6, 6), or (m, 6, 6)
    with one time each (a batch of models, e.g. one per Monte Carlo trial)."""
    t = np.atleast_1d(np.asarray(t, np.float64))
    a = np.asarray(a, np.float64)
    if a.ndim == 3:
        return expm_batch(a * np.broadcast_to(t, a.shape[:1])[:, None, None])
    if t.size > 2 and t[0] == 0.0 and np.allclose(np.diff(t), t[1], rtol=1e-12, atol=0.0):
        # an even grid from 0: powers of one step (exact up to round-off, ~t.size times faster)
        step = expm_batch(a * t[1])
        out = np.empty((t.size, 6, 6))
        out[0] = np.eye(6)
        for k in range(1, t.size):
            out[k] = out[k - 1] @ step
        return out
    return expm_batch(a[None] * t[:, None, None])


def van_loan_noise(a: np.ndarray, q_m2_s3: float, dt_s: float) -> np.ndarray:
    """Discrete process noise ``int_0^dt Phi(s) G q G^T Phi(s)^T ds`` (Van Loan 1978), G the
    acceleration input (velocity rows); returns (6, 6), or (m, 6, 6) for a batch of system
    matrices ``a`` (m, 6, 6)."""
    a = np.asarray(a, np.float64)
    m = np.zeros((*a.shape[:-2], 12, 12))
    m[..., :6, :6] = -a
    m[..., 3:6, 9:12] = q_m2_s3 * np.eye(3)  # G q G^T (velocity rows)
    m[..., 6:, 6:] = np.swapaxes(a, -1, -2)
    e = expm_batch(m * dt_s)
    phi = np.swapaxes(e[..., 6:, 6:], -1, -2)
    q = phi @ e[..., :6, 6:]
    return 0.5 * (q + np.swapaxes(q, -1, -2))


def two_impulse(rho0, v0, rho_f, v_f, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Burns (n, 3) at departure and arrival that take ``(rho0, v0)`` to ``(rho_f, v_f)``
    over the transition matrix ``phi`` (6, 6) or (n, 6, 6) of the time of flight
    (:func:`two_impulse_row` on every row)."""
    rho0, v0, rho_f, v_f = (
        np.atleast_2d(np.asarray(x, np.float64)) for x in (rho0, v0, rho_f, v_f)
    )
    n = max(rho0.shape[0], rho_f.shape[0])
    rho0, v0, rho_f, v_f = (kernel_input(x, shape=(n, 3)) for x in (rho0, v0, rho_f, v_f))
    phi = kernel_input(phi, shape=(n, 6, 6))
    dep, arr = np.empty((n, 3)), np.empty((n, 3))
    _two_impulse_rows(rho0, v0, rho_f, v_f, phi, dep, arr)
    return dep, arr


@njit(cache=True)
def two_impulse_row(rho0, v0, rho_f, v_f, phi, dep, arr):
    """The two burns of :func:`two_impulse` for one transfer into ``dep`` and ``arr``
    (3,). In-plane (x, y) exactly (the 2 x 2 solve by Cramer's rule: a singular block, a
    time of flight of whole revolutions, gives non-finite burns for the caller to catch,
    never an exception); cross-track (z, decoupled in eqs. 1-2) only where it is
    controllable: near a half revolution every z' reaches -z0 (sin qT ~ 0), so z' is
    kept."""
    need = np.empty(3)
    for i in range(3):
        v = rho_f[i]
        for j in range(3):
            v -= phi[i, j] * rho0[j]
        need[i] = v
    v_dep = np.empty(3)
    det = phi[0, 3] * phi[1, 4] - phi[0, 4] * phi[1, 3]
    v_dep[0] = (phi[1, 4] * need[0] - phi[0, 4] * need[1]) / det if det != 0.0 else np.nan
    v_dep[1] = (phi[0, 3] * need[1] - phi[1, 3] * need[0]) / det if det != 0.0 else np.nan
    scale = abs(phi[0, 3]) + abs(phi[1, 4]) + 1e-30
    v_dep[2] = need[2] / phi[2, 5] if abs(phi[2, 5]) > 0.1 * scale else v0[2]
    for i in range(3):
        v_arr = 0.0
        for j in range(3):
            v_arr += phi[3 + i, j] * rho0[j] + phi[3 + i, 3 + j] * v_dep[j]
        dep[i] = v_dep[i] - v0[i]
        arr[i] = v_f[i] - v_arr


@njit(cache=True)
def _two_impulse_rows(rho0, v0, rho_f, v_f, phi, dep, arr):
    for n in range(rho0.shape[0]):
        two_impulse_row(rho0[n], v0[n], rho_f[n], v_f[n], phi[n], dep[n], arr[n])


def radial_hop_delta_v(n: float, delta_y_m: float) -> float:
    """Radial burn of a half-orbit V-bar hop of ``delta_y_m`` in HCW: ``x'0 = -n dy / 4``
    (from eq. 1: ``y(pi/n) = y0 - 4 x'0 / n`` for ``x0 = y'0 = 0``)."""
    return -n * delta_y_m / 4.0


@njit(cache=True)
def rtn_row(state, c) -> float:
    """RTN rotation of one state (6,) into ``c`` (3, 3), rows R, T, N; returns the frame's
    rate ``|r x v| / r^2``."""
    x, y, z, vx, vy, vz = state[0], state[1], state[2], state[3], state[4], state[5]
    hx, hy, hz = y * vz - z * vy, z * vx - x * vz, x * vy - y * vx
    hn = math.sqrt(hx * hx + hy * hy + hz * hz)
    r2 = x * x + y * y + z * z
    rn = math.sqrt(r2)
    c[0, 0], c[0, 1], c[0, 2] = x / rn, y / rn, z / rn
    c[2, 0], c[2, 1], c[2, 2] = hx / hn, hy / hn, hz / hn
    c[1, 0] = c[2, 1] * c[0, 2] - c[2, 2] * c[0, 1]
    c[1, 1] = c[2, 2] * c[0, 0] - c[2, 0] * c[0, 2]
    c[1, 2] = c[2, 0] * c[0, 1] - c[2, 1] * c[0, 0]
    return hn / r2


@njit(cache=True)
def inertial_to_local_row(target, chaser, c, out):
    """:func:`inertial_to_local` of one pair (6,) into ``out`` (6,); ``c`` (3, 3) scratch
    (left holding the target's RTN rotation)."""
    w = rtn_row(target, c)
    for i in range(3):
        p = 0.0
        v = 0.0
        for j in range(3):
            p += c[i, j] * (chaser[j] - target[j])
            v += c[i, j] * (chaser[3 + j] - target[3 + j])
        out[i] = p
        out[3 + i] = v
    out[3] += w * out[1]  # - w x rho, w along z
    out[4] -= w * out[0]


@njit(cache=True)
def _rtn_rows(states, c, w):
    for n in range(states.shape[0]):
        w[n] = rtn_row(states[n], c[n])


@njit(cache=True)
def _local_rows(target, chaser, out):
    c = np.empty((3, 3))
    for n in range(target.shape[0]):
        inertial_to_local_row(target[n], chaser[n], c, out[n])


def rtn_rotation(r: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RTN rotations (n, 3, 3), rows R, T, N (as :func:`msrsim.core.frames.rtn_matrix`,
    unchecked, for batches stepped many times), and the frame's rate ``|r x v| / r^2``."""
    states = np.ascontiguousarray(np.concatenate(np.broadcast_arrays(r, v), axis=-1), np.float64)
    c, w = np.empty((states.shape[0], 3, 3)), np.empty(states.shape[0])
    _rtn_rows(states, c, w)
    return c, w


def _frame(r_t: np.ndarray, v_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return rtn_rotation(r_t, v_t)


def inertial_to_local(target, chaser) -> np.ndarray:
    """Relative states (n, 6) of ``chaser`` about ``target`` (both (n, 6) inertial)."""
    t, ch = np.broadcast_arrays(np.atleast_2d(target), np.atleast_2d(chaser))
    t, ch = (np.ascontiguousarray(x, np.float64) for x in (t, ch))
    out = np.empty(t.shape)
    _local_rows(t, ch, out)
    return out


def local_to_inertial(target, local) -> np.ndarray:
    """Inertial states (n, 6) of the chaser from its local state about ``target``."""
    t, loc = np.broadcast_arrays(np.atleast_2d(target), np.atleast_2d(local))
    c, w = _frame(t[:, :3], t[:, 3:])
    vel = loc[:, 3:].copy()
    vel[:, 0] -= w * loc[:, 1]  # + w x rho
    vel[:, 1] += w * loc[:, 0]
    r = t[:, :3] + np.einsum("nji,nj->ni", c, loc[:, :3])
    v = t[:, 3:] + np.einsum("nji,nj->ni", c, vel)
    return np.concatenate([r, v], axis=1)


@njit(cache=True)
def local_jacobian_inverse_row(target, c, out):
    """The inverse of :func:`local_jacobian` for one target (6,) into ``out`` (6, 6), in
    closed form: with ``T = [[C, 0], [W C, C]]`` (``W = -[w]x``), ``T^-1 = [[C^T, 0],
    [-C^T W, C^T]]``. ``c`` (3, 3) scratch."""
    w = rtn_row(target, c)
    for a in range(3):
        for b in range(3):
            out[a, b] = c[b, a]
            out[3 + a, 3 + b] = c[b, a]
            out[a, 3 + b] = 0.0
        out[3 + a, 0] = w * c[1, a]  # -C^T W, W[0, 1] = w, W[1, 0] = -w
        out[3 + a, 1] = -w * c[0, a]
        out[3 + a, 2] = 0.0


def local_jacobian(target) -> np.ndarray:
    """``T`` (n, 6, 6) with ``d(local) = T d(inertial)`` for a small displacement of the
    chaser about ``target`` (the linear map of :func:`inertial_to_local`)."""
    t = np.atleast_2d(target)
    c, w = _frame(t[:, :3], t[:, 3:])
    n = t.shape[0]
    jac = np.zeros((n, 6, 6))
    jac[:, :3, :3] = c
    jac[:, 3:, 3:] = c
    omega = np.zeros((n, 3, 3))
    omega[:, 0, 1], omega[:, 1, 0] = w, -w  # -[w]x
    jac[:, 3:, :3] = omega @ c
    return jac
