"""Lambert's problem for arrays of problems: Izzo's (2015) algorithm in numba kernels.

Lambert's problem: given two positions ``r1`` and ``r2`` about a central body of
gravitational parameter ``mu`` and a time of flight ``tof``, find the Keplerian arcs that
leave ``r1`` and reach ``r2`` after ``tof``, i.e. the velocities ``v1`` at ``r1`` and
``v2`` at ``r2``. With ``M`` complete revolutions allowed there are, for a long enough
``tof``, two arcs for each ``M >= 1`` and one for ``M = 0``.

This module follows Izzo [1]_: the problem is reduced to the two scalars ``lambda``
(geometry) and ``T`` (non-dimensional time of flight); the Lancaster-Blanchard variable
``x`` is found from the time-of-flight equation ``T(x)`` by Householder iterations
started from Izzo's piecewise initial guesses, and the velocities are rebuilt from
``x``. Equation numbers in the comments (``eq. (n)``) refer to [1]_.

Everything is batch-first and SI (metres, seconds, m^3/s^2). The kernels are numba
``njit(parallel=True)`` loops over problems; one problem never stops the batch: each
solution slot carries a status code (:data:`STATUS_MESSAGES`), and a slot that is not
``STATUS_OK`` holds NaN velocities.

Conventions
-----------
* Solution slots: ``2 * max_revs + 1`` per problem. Slot 0 is the zero-revolution arc;
  for ``M = 1 .. max_revs``, slot ``2M - 1`` is the *left* branch and slot ``2M`` the
  *right* branch of the ``M``-revolution time-of-flight curve ``T(x)`` (the numbering of
  pykep's ``lambert_problem``). ``T(x)`` has a single minimum ``T_min`` at ``x_Tmin`` on
  ``-1 < x < 1``: the left-branch arc has ``x < x_Tmin`` (where ``dT/dx < 0``), the right
  one ``x > x_Tmin`` (``dT/dx > 0``). Since the semi-major axis is
  ``a = s / (2 (1 - x^2))``, ``x = 0`` is the minimum-energy ellipse and larger ``|x|``
  means higher energy. lamberthub's ``izzo2015(..., low_path=True)`` returns the right
  branch and ``low_path=False`` the left one.
* Direction of motion: as in [1]_, ``prograde=True`` selects the arc whose angular
  momentum has a positive ``z`` component in the frame of the inputs (the short way
  when ``(r1 x r2)_z >= 0``, the long way otherwise); ``prograde=False`` the other one.
  A transfer plane containing the ``z`` axis (``(r1 x r2)_z == 0``) counts as short way.

References
----------
.. [1] Izzo, D., "Revisiting Lambert's problem", Celest. Mech. Dyn. Astr. 121:1-15
   (2015), doi:10.1007/s10569-014-9587-y (preprint arXiv:1403.2705). The third branch of
   the single-revolution guess, eq. (30), is used in its corrected form
   ``x0 = (T / T00)^(ln 2 / ln(T1 / T00)) - 1`` (poliastro issue #1362), which, as the
   printed one intends, gives ``x0 = 0`` at ``T = T00`` and ``x0 = 1`` at ``T = T1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from msrsim.core.resources import require_memory

__all__ = [
    "STATUS_DEGENERATE_GEOMETRY",
    "STATUS_INVALID_INPUT",
    "STATUS_MESSAGES",
    "STATUS_NOT_CONVERGED",
    "STATUS_NO_SOLUTION",
    "STATUS_OK",
    "LambertSolution",
    "solution_revolutions",
    "solve_lambert",
    "solve_lambert_grid",
]

STATUS_OK = 0
STATUS_NO_SOLUTION = 1
STATUS_NOT_CONVERGED = 2
STATUS_DEGENERATE_GEOMETRY = 3
STATUS_INVALID_INPUT = 4

STATUS_MESSAGES: dict[int, str] = {
    STATUS_OK: "ok",
    STATUS_NO_SOLUTION: (
        "no solution with this number of revolutions: the time of flight is shorter than "
        "the minimum time of flight for that many revolutions"
    ),
    STATUS_NOT_CONVERGED: "the iterations on x did not converge to this branch",
    STATUS_DEGENERATE_GEOMETRY: (
        "degenerate geometry: r1 and r2 are collinear (transfer angle ~0 or ~180 deg), "
        "the transfer plane is undefined"
    ),
    STATUS_INVALID_INPUT: (
        "invalid input: non-positive or non-finite time of flight or gravitational "
        "parameter, zero-length or non-finite position, or scales beyond floating point"
    ),
}

#: Below this ``|r1_hat x r2_hat|`` (sine of the transfer angle) the transfer plane is
#: undefined: rounding the inputs alone (~1e-16 relative) would tilt it by ~1e-6 rad.
DEGENERATE_SINE_TOLERANCE = 1e-10

# Householder stops when a step is below this (relative to max(1, |x|)). The iteration
# converges with order four, so the error of the returned iterate is ~K * step^4: at
# round-off for any sane K. Multi-revolution roots can sit close to the double root at
# T_min, where K is large, hence the tighter tolerance there (as in pykep).
_HOUSEHOLDER_TOLERANCE_ZERO_REV = 1e-5
_HOUSEHOLDER_TOLERANCE_MULTI_REV = 1e-8
_HOUSEHOLDER_MAX_ITERATIONS = 15
# |T(x) - T| at or below this many ulps of T is a root (the series and eq. (18) round so).
_T_ROUNDING = 4.0 * 2.220446049250313e-16
# Halley iterations for x_Tmin, the minimum of T(x) with M revolutions.
_HALLEY_STEP_TOLERANCE = 1e-13
_HALLEY_MAX_ITERATIONS = 20
# Battin's series, eq. (20), replaces Lancaster's expression, eq. (18), for M = 0 when
# 0.6 < x^2 < 1.4 with x > 0 (lamberthub's band): near the parabola x = 1 the latter loses
# digits to cancellation.
_BATTIN_LOW_X = math.sqrt(0.6)
_BATTIN_HIGH_X = math.sqrt(1.4)
_MAX_SERIES_TERMS = 200

_kernel = njit(cache=True, error_model="numpy")


@dataclass(frozen=True)
class LambertSolution:
    """Solutions of a batch of Lambert problems.

    Attributes
    ----------
    v1 : numpy.ndarray, shape (*batch, 2 * max_revs + 1, 3)
        Velocity at ``r1`` (m/s) of each solution slot; NaN where ``status != 0``.
    v2 : numpy.ndarray, shape (*batch, 2 * max_revs + 1, 3)
        Velocity at ``r2`` (m/s); NaN where ``status != 0``.
    revs : numpy.ndarray of int, shape (2 * max_revs + 1,)
        Complete revolutions of each slot: ``[0, 1, 1, 2, 2, ...]``. Of the two slots of
        one ``M``, the first is the left branch (``x < x_Tmin``), the second the right
        one (see the module notes).
    status : numpy.ndarray of int8, shape (*batch, 2 * max_revs + 1)
        Status code of each slot, a key of :data:`STATUS_MESSAGES` (0 is success).

    ``batch`` is ``(n,)`` for :func:`solve_lambert` and ``(n_dep, n_arr)`` for
    :func:`solve_lambert_grid`.
    """

    v1: np.ndarray
    v2: np.ndarray
    revs: np.ndarray
    status: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of the solved slots, shape of :attr:`status`."""
        return self.status == STATUS_OK


def solution_revolutions(max_revs: int) -> np.ndarray:
    """Revolutions of each solution slot, ``[0, 1, 1, ..., max_revs, max_revs]``."""
    return np.concatenate(([0], np.repeat(np.arange(1, max_revs + 1), 2))).astype(np.int64)


# ---------------------------------------------------------------------------------------
# Scalar kernels (non-dimensional: lambda, T, x as in [1])
# ---------------------------------------------------------------------------------------


@_kernel
def _hypergeometric_battin(z):
    """Gauss hypergeometric 2F1(3, 1; 5/2; z) by its power series (``|z| < 1``)."""
    total = 1.0
    term = 1.0
    for k in range(_MAX_SERIES_TERMS):
        # Ratio of consecutive terms: (3 + k)(1 + k) / ((5/2 + k)(1 + k)) * z.
        term *= (3.0 + k) / (2.5 + k) * z
        updated = total + term
        if updated == total:
            break
        total = updated
    return total


@_kernel
def _tof_and_derivatives(x, lam, lam2, revs):
    """Non-dimensional time of flight ``T(x)`` and its first three derivatives."""
    one_minus_x2 = 1.0 - x * x
    inv_one_minus_x2 = 1.0 / one_minus_x2
    y = math.sqrt(1.0 - lam2 * one_minus_x2)
    inv_y = 1.0 / y
    if revs == 0 and _BATTIN_LOW_X < x < _BATTIN_HIGH_X:
        # Battin's series near the parabola x = 1.
        eta = y - lam * x  # eq. (20)
        s1 = 0.5 * (1.0 - lam - x * eta)  # eq. (20)
        q = 4.0 / 3.0 * _hypergeometric_battin(s1)  # eq. (20)
        tof = 0.5 * (eta * eta * eta * q + 4.0 * lam * eta)  # eq. (20)
    else:
        if one_minus_x2 > 0.0:
            # Ellipse: psi from its cosine and sine, eq. (17), by atan2 (accurate for all
            # psi, where acos of the cosine alone loses digits near psi = 0 and pi).
            root = math.sqrt(one_minus_x2)
            psi = math.atan2((y - x * lam) * root, x * y + lam * one_minus_x2)  # eq. (17)
        else:
            # Hyperbola: sinh(psi) = (y - x lambda) sqrt(x^2 - 1), eq. (17).
            root = math.sqrt(-one_minus_x2)
            psi = math.asinh((y - x * lam) * root)  # eq. (17)
        tof = ((psi + revs * math.pi) / root - x + lam * y) * inv_one_minus_x2  # eq. (18)
    lam3 = lam2 * lam
    tail = 2.0 * (1.0 - lam2) * lam3 * inv_y * inv_y * inv_y
    d1 = (3.0 * tof * x - 2.0 + 2.0 * lam3 * x * inv_y) * inv_one_minus_x2  # eq. (22)
    d2 = (3.0 * tof + 5.0 * x * d1 + tail) * inv_one_minus_x2  # eq. (22)
    d3 = (7.0 * x * d2 + 8.0 * d1 - 3.0 * tail * lam2 * x * inv_y * inv_y) * inv_one_minus_x2
    return tof, d1, d2, d3  # d3: eq. (22)


@_kernel
def _householder(x, target, lam, lam2, revs, tolerance):
    """Solve ``T(x) = target`` by Householder's third-order iterations, from ``x``.

    Returns ``(x, slope, converged)``; ``slope`` is ``dT/dx`` at the last evaluated
    iterate (its sign tells the branch of a multi-revolution solution).
    """
    slope = math.nan
    for _ in range(_HOUSEHOLDER_MAX_ITERATIONS):
        tof, d1, d2, d3 = _tof_and_derivatives(x, lam, lam2, revs)
        f = tof - target
        slope = d1
        if abs(f) <= _T_ROUNDING * target:
            # Solved to T's own rounding. This test comes before the update: at the exact
            # parabola x = 1 the derivatives of eq. (22) are 0/0 (NaN), though T is exact.
            return x, slope, True
        # Householder update of order 3 on f(x) = T(x) - target (Algorithm 1 of [1]).
        step = f * (d1 * d1 - 0.5 * f * d2) / (d1 * (d1 * d1 - f * d2) + d3 * f * f / 6.0)
        x_next = x - step
        if not math.isfinite(x_next):
            return x_next, slope, False
        if abs(step) < tolerance * max(1.0, abs(x_next)):
            return x_next, slope, True
        x = x_next
    return x, slope, False


@_kernel
def _initial_guess_zero_rev(target, lam, lam2, tof_x0, tof_parabolic):
    """Izzo's single-revolution initial guess, eq. (30) (third branch corrected)."""
    if target >= tof_x0:
        return (tof_x0 / target) ** (2.0 / 3.0) - 1.0  # eq. (30)
    if target < tof_parabolic:
        lam5 = lam2 * lam2 * lam
        return 2.5 * tof_parabolic * (tof_parabolic - target) / (target * (1.0 - lam5)) + 1.0
    # eq. (30), third branch, corrected (module references)
    exponent = math.log(2.0) / math.log(tof_parabolic / tof_x0)
    return (target / tof_x0) ** exponent - 1.0


@_kernel
def _minimum_tof(lam, lam2, revs):
    """``(x_Tmin, T_min, converged)``: the minimum of ``T(x)`` for ``revs >= 1``.

    Halley's iterations on ``dT/dx = 0`` from ``x = 0`` (Algorithm 1 of [1]).
    """
    x = 0.0
    for _ in range(_HALLEY_MAX_ITERATIONS):
        tof, d1, d2, d3 = _tof_and_derivatives(x, lam, lam2, revs)
        step = d1 * d2 / (d2 * d2 - 0.5 * d1 * d3)
        x -= step
        if not -1.0 < x < 1.0:
            return x, tof, False
        if abs(step) < _HALLEY_STEP_TOLERANCE:
            # T at the previous iterate: it differs from T(x) by ~T'' step^2 / 2.
            return x, tof, True
    return x, tof, False


@_kernel
def _flag_all(status, k, code):
    for slot in range(status.shape[1]):
        status[k, slot] = code


@_kernel
def _solve_one(r1x, r1y, r1z, r2x, r2y, r2z, tof, mu, prograde, max_revs, v1, v2, status, k):
    """Solve one problem into row ``k`` of ``v1``, ``v2`` (NaN-filled) and ``status``.

    Only solved slots are written in ``v1`` and ``v2``: the caller fills them with NaN.
    """
    r1_norm = math.sqrt(r1x * r1x + r1y * r1y + r1z * r1z)
    r2_norm = math.sqrt(r2x * r2x + r2y * r2y + r2z * r2z)
    valid = (
        tof > 0.0
        and mu > 0.0
        and math.isfinite(tof)
        and math.isfinite(mu)
        and r1_norm > 0.0
        and r2_norm > 0.0
        and math.isfinite(r1_norm)
        and math.isfinite(r2_norm)
    )
    if not valid:
        _flag_all(status, k, STATUS_INVALID_INPUT)
        return

    # Geometry (Algorithm 1 of [1]): chord, semi-perimeter, unit vectors.
    cx = r2x - r1x
    cy = r2y - r1y
    cz = r2z - r1z
    chord = math.sqrt(cx * cx + cy * cy + cz * cz)
    semi_perimeter = 0.5 * (r1_norm + r2_norm + chord)
    u1x = r1x / r1_norm
    u1y = r1y / r1_norm
    u1z = r1z / r1_norm
    u2x = r2x / r2_norm
    u2y = r2y / r2_norm
    u2z = r2z / r2_norm
    hx = u1y * u2z - u1z * u2y
    hy = u1z * u2x - u1x * u2z
    hz = u1x * u2y - u1y * u2x
    h_norm = math.sqrt(hx * hx + hy * hy + hz * hz)
    if not h_norm > DEGENERATE_SINE_TOLERANCE:
        _flag_all(status, k, STATUS_DEGENERATE_GEOMETRY)
        return
    hx /= h_norm
    hy /= h_norm
    hz /= h_norm

    lam2 = max(0.0, 1.0 - chord / semi_perimeter)  # lambda^2 = 1 - c/s
    lam = math.sqrt(lam2)
    if hz < 0.0:
        # Transfer angle above 180 deg seen from +z: lambda < 0, tangents i_t = i_r x i_h.
        lam = -lam
        t1x = u1y * hz - u1z * hy
        t1y = u1z * hx - u1x * hz
        t1z = u1x * hy - u1y * hx
        t2x = u2y * hz - u2z * hy
        t2y = u2z * hx - u2x * hz
        t2z = u2x * hy - u2y * hx
    else:
        t1x = hy * u1z - hz * u1y
        t1y = hz * u1x - hx * u1z
        t1z = hx * u1y - hy * u1x
        t2x = hy * u2z - hz * u2y
        t2y = hz * u2x - hx * u2z
        t2z = hx * u2y - hy * u2x
    if not prograde:
        lam = -lam
        t1x, t1y, t1z = -t1x, -t1y, -t1z
        t2x, t2y, t2z = -t2x, -t2y, -t2z

    target = tof * math.sqrt(2.0 * mu / semi_perimeter) / semi_perimeter  # T = t sqrt(2mu/s^3)
    if not (target > 0.0 and math.isfinite(target)):
        _flag_all(status, k, STATUS_INVALID_INPUT)  # scales beyond floating point
        return
    tof_x0 = math.acos(lam) + lam * math.sqrt(1.0 - lam2)  # eq. (19), M = 0
    tof_parabolic = 2.0 / 3.0 * (1.0 - lam2 * lam)  # eq. (21)

    # Largest feasible revolution count (Algorithm 1 of [1]): M_max = floor(T / pi), one
    # less if T is below the minimum T_min of the M_max-revolution curve. Only needed up to
    # max_revs: every M below M_max is feasible (T >= (M + 1) pi >= T(x=0) > T_min).
    revs_max = int(min(target / math.pi, max_revs + 1.0))
    minimum_ok = True
    if 0 < revs_max <= max_revs and target < tof_x0 + revs_max * math.pi:  # eq. (19)
        _, tof_min, minimum_ok = _minimum_tof(lam, lam2, revs_max)
        if minimum_ok and target < tof_min:
            revs_max -= 1

    # Velocity reconstruction constants (Algorithm 1 of [1]).
    gamma = math.sqrt(0.5 * mu * semi_perimeter)
    rho = (r1_norm - r2_norm) / chord
    sigma = math.sqrt(1.0 - rho * rho)

    for slot in range(2 * max_revs + 1):
        revs = (slot + 1) // 2
        if revs == 0:
            x0 = _initial_guess_zero_rev(target, lam, lam2, tof_x0, tof_parabolic)
            tolerance = _HOUSEHOLDER_TOLERANCE_ZERO_REV
        elif revs > revs_max:
            status[k, slot] = STATUS_NO_SOLUTION
            continue
        elif revs == revs_max and not minimum_ok:
            status[k, slot] = STATUS_NOT_CONVERGED
            continue
        else:
            if slot % 2 == 1:
                base = ((revs + 1) * math.pi / (8.0 * target)) ** (2.0 / 3.0)  # eq. (31), left
            else:
                base = (8.0 * target / (revs * math.pi)) ** (2.0 / 3.0)  # eq. (31), right
            x0 = (base - 1.0) / (base + 1.0)  # eq. (31)
            tolerance = _HOUSEHOLDER_TOLERANCE_MULTI_REV
        x, slope, converged = _householder(x0, target, lam, lam2, revs, tolerance)
        if revs == 0:
            converged = converged and x > -1.0  # T(x) decreases from +inf at x = -1
        else:
            # The iteration must stay on its branch of the convex T(x), -1 < x < 1.
            on_branch = slope < 0.0 if slot % 2 == 1 else slope > 0.0
            converged = converged and on_branch and -1.0 < x < 1.0
        if not converged:
            status[k, slot] = STATUS_NOT_CONVERGED
            continue

        y = math.sqrt(1.0 - lam2 * (1.0 - x * x))
        radial1 = gamma * ((lam * y - x) - rho * (lam * y + x)) / r1_norm  # Algorithm 1
        radial2 = -gamma * ((lam * y - x) + rho * (lam * y + x)) / r2_norm  # Algorithm 1
        tangential = gamma * sigma * (y + lam * x)  # Algorithm 1
        tangential1 = tangential / r1_norm
        tangential2 = tangential / r2_norm
        a1 = radial1 * u1x + tangential1 * t1x
        b1 = radial1 * u1y + tangential1 * t1y
        c1 = radial1 * u1z + tangential1 * t1z
        a2 = radial2 * u2x + tangential2 * t2x
        b2 = radial2 * u2y + tangential2 * t2y
        c2 = radial2 * u2z + tangential2 * t2z
        if not math.isfinite(a1 + b1 + c1 + a2 + b2 + c2):
            # overflow in the last products: scales beyond floating point (slot stays NaN)
            status[k, slot] = STATUS_INVALID_INPUT
            continue
        v1[k, slot, 0], v1[k, slot, 1], v1[k, slot, 2] = a1, b1, c1
        v2[k, slot, 0], v2[k, slot, 1], v2[k, slot, 2] = a2, b2, c2
        status[k, slot] = STATUS_OK


@njit(cache=True, parallel=True, error_model="numpy")
def _solve_batch_kernel(r1, r2, tof, mu, prograde, max_revs, v1, v2, status):
    for k in prange(r1.shape[0]):
        _solve_one(
            r1[k, 0], r1[k, 1], r1[k, 2], r2[k, 0], r2[k, 1], r2[k, 2],
            tof[k], mu[k], prograde, max_revs, v1, v2, status, k,
        )  # fmt: skip


@njit(cache=True, parallel=True, error_model="numpy")
def _solve_grid_kernel(r_dep, r_arr, tof, mu, prograde, max_revs, v1, v2, status):
    n_arr = r_arr.shape[0]
    for k in prange(r_dep.shape[0] * n_arr):
        i = k // n_arr
        j = k - i * n_arr
        _solve_one(
            r_dep[i, 0], r_dep[i, 1], r_dep[i, 2], r_arr[j, 0], r_arr[j, 1], r_arr[j, 2],
            tof[i, j], mu, prograde, max_revs, v1, v2, status, k,
        )  # fmt: skip


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


def _as_vectors(name: str, value, rows: int | None = None) -> np.ndarray:
    array = np.ascontiguousarray(value, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 3 or (rows is not None and array.shape[0] != rows):
        expected = "(n, 3)" if rows is None else f"({rows}, 3)"
        raise ValueError(f"{name} must have shape {expected}, got {array.shape}")
    return array


def _check_options(prograde, max_revs) -> int:
    if not isinstance(prograde, bool | np.bool_):
        raise ValueError(f"prograde must be a bool, got {prograde!r}")
    if isinstance(max_revs, bool) or not isinstance(max_revs, int | np.integer) or max_revs < 0:
        raise ValueError(f"max_revs must be a non-negative integer, got {max_revs!r}")
    return int(max_revs)


def _allocate(rows: int, max_revs: int):
    # NaN-filled here, in one thread: the kernels write only the solved slots, and
    # touching fresh pages from many threads at once is slower than this fill.
    slots = 2 * max_revs + 1
    require_memory(
        float(rows) * slots * (2 * 3 * 8 + 1),
        f"{rows:,} Lambert problems ({slots} arc{'s' if slots > 1 else ''} each)",
        "fewer problems or revolutions",
    )
    v1 = np.full((rows, slots, 3), np.nan)
    v2 = np.full((rows, slots, 3), np.nan)
    status = np.empty((rows, slots), dtype=np.int8)
    return v1, v2, status


def solve_lambert(r1, r2, tof, mu, *, prograde=True, max_revs=0) -> LambertSolution:
    """Solve a batch of Lambert problems (Izzo 2015), all revolutions up to ``max_revs``.

    Parameters
    ----------
    r1, r2 : array_like, shape (n, 3)
        Initial and final positions (m), in any inertial frame centred on the attractor;
        its ``z`` axis defines ``prograde``.
    tof : array_like, shape (n,)
        Times of flight (s).
    mu : float or array_like, shape (n,)
        Gravitational parameter of the attractor (m^3/s^2).
    prograde : bool, optional
        ``True`` for arcs with angular momentum along ``+z``, ``False`` for ``-z``.
    max_revs : int, optional
        Largest number of complete revolutions to solve for (default 0: direct arcs).

    Returns
    -------
    LambertSolution
        ``v1``, ``v2`` of shape (n, 2 * max_revs + 1, 3) in m/s, ``revs`` and ``status``
        (n, 2 * max_revs + 1). Slot 0 is the direct arc, slots ``2M - 1`` and ``2M`` the
        left and right branches of ``M`` revolutions. A problem whose inputs are invalid
        or whose geometry is degenerate is flagged in every slot; ``M`` beyond what the
        time of flight allows is ``STATUS_NO_SOLUTION``.

    Raises
    ------
    ValueError
        On array shapes that do not match (problems with bad values are flagged in
        ``status`` instead).

    Notes
    -----
    Izzo, D., "Revisiting Lambert's problem", Celest. Mech. Dyn. Astr. 121:1-15 (2015).
    The velocities agree with lamberthub's ``izzo2015`` to ~1e-13 relative.
    """
    max_revs = _check_options(prograde, max_revs)
    r1 = _as_vectors("r1", r1)
    n = r1.shape[0]
    r2 = _as_vectors("r2", r2, rows=n)
    tof = np.ascontiguousarray(tof, dtype=np.float64)
    if tof.shape != (n,):
        raise ValueError(f"tof must have shape ({n},), got {tof.shape}")
    mu = np.asarray(mu, dtype=np.float64)
    if mu.shape not in ((), (n,)):
        raise ValueError(f"mu must be a scalar or have shape ({n},), got {mu.shape}")
    # one array type for the kernel whether mu came as a scalar or per problem
    mu = np.full(n, mu) if mu.ndim == 0 else np.ascontiguousarray(mu)
    v1, v2, status = _allocate(n, max_revs)
    _solve_batch_kernel(r1, r2, tof, mu, bool(prograde), max_revs, v1, v2, status)
    return LambertSolution(v1=v1, v2=v2, revs=solution_revolutions(max_revs), status=status)


def solve_lambert_grid(
    r_departure, r_arrival, tof, mu, *, prograde=True, max_revs=0
) -> LambertSolution:
    """Solve every departure x arrival pair of a porkchop grid (Izzo 2015).

    Problem ``(i, j)`` goes from ``r_departure[i]`` to ``r_arrival[j]`` in ``tof[i, j]``;
    the pairs are never materialised, so a large grid costs only its outputs.

    Parameters
    ----------
    r_departure : array_like, shape (n_dep, 3)
        Departure positions (m).
    r_arrival : array_like, shape (n_arr, 3)
        Arrival positions (m).
    tof : array_like, shape (n_dep, n_arr)
        Times of flight (s); non-positive entries (arrival before departure) are flagged
        ``STATUS_INVALID_INPUT``.
    mu : float
        Gravitational parameter of the attractor (m^3/s^2).
    prograde, max_revs
        As in :func:`solve_lambert`.

    Returns
    -------
    LambertSolution
        ``v1``, ``v2`` of shape (n_dep, n_arr, 2 * max_revs + 1, 3) and ``status`` of
        shape (n_dep, n_arr, 2 * max_revs + 1); slots as in :func:`solve_lambert`.

    Raises
    ------
    ValueError
        On array shapes that do not match.
    """
    max_revs = _check_options(prograde, max_revs)
    r_departure = _as_vectors("r_departure", r_departure)
    r_arrival = _as_vectors("r_arrival", r_arrival)
    n_dep, n_arr = r_departure.shape[0], r_arrival.shape[0]
    tof = np.ascontiguousarray(tof, dtype=np.float64)
    if tof.shape != (n_dep, n_arr):
        raise ValueError(f"tof must have shape ({n_dep}, {n_arr}), got {tof.shape}")
    if np.ndim(mu) != 0:
        raise ValueError(f"mu must be a scalar, got shape {np.shape(mu)}")
    v1, v2, status = _allocate(n_dep * n_arr, max_revs)
    _solve_grid_kernel(
        r_departure, r_arrival, tof, float(mu), bool(prograde), max_revs, v1, v2, status
    )
    slots = 2 * max_revs + 1
    return LambertSolution(
        v1=v1.reshape(n_dep, n_arr, slots, 3),
        v2=v2.reshape(n_dep, n_arr, slots, 3),
        revs=solution_revolutions(max_revs),
        status=status.reshape(n_dep, n_arr, slots),
    )
