"""Batched extended Kalman filter, line-of-sight and range measurements, consistency tests.

Every function takes a leading batch axis: states ``(n, k)``, covariances ``(n, k, k)``,
so a Monte Carlo of filters runs as one call per step.

**EKF** (Bar-Shalom, Li and Kirubarajan, "Estimation with Applications to Tracking and
Navigation", Wiley 2001, sect. 10.3): prediction ``P = Phi P Phi^T + Q``; update with the
innovation ``nu = z - h(x)``, ``S = H P H^T + R``, gain ``K = P H^T S^-1``, state
``x + K nu`` and the Joseph form ``(I - K H) P (I - K H)^T + K R K^T`` (eq. 5.2.3-18),
which keeps ``P`` symmetric and positive.

**Measurements.** The camera's line of sight from the chaser to the target, ``u =
rho / |rho|`` in a frame ``C`` known to the chaser, as two angles ``az = atan2(u_x, u_y)``
(in the x-y plane, from +y) and ``el = asin(u_z)``, and the range ``|rho|``. Angle
innovations are wrapped to (-pi, pi].

**Second-order prediction term** (Bar-Shalom et al. 2001, sect. 10.3.3): the covariance of
the quadratic term of the dynamics that a Jacobian drops, :func:`second_order_noise`.
**Consider parameters** (Schmidt-Kalman; Tapley, Schutz and Born, "Statistical Orbit
Determination", Elsevier 2004, sect. 6.3): trailing states that are carried in the
covariance but never updated (``consider=`` of the updates).

**Consistency** (Bar-Shalom et al. 2001, sect. 5.4.2): the normalised estimation error
squared ``eps = e^T P^-1 e`` of a consistent filter is chi-square with ``k`` degrees of
freedom; the average over ``N`` independent runs, ``N eps_bar``, is chi-square with ``N k``,
so its two-sided ``1 - alpha`` region is ``[chi2(alpha/2; N k), chi2(1 - alpha/2; N k)] /
N`` (:func:`nees_bounds`); a consistent filter keeps ``eps_bar`` inside at about ``1 -
alpha`` of the epochs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, vectorize

from msrsim.core.kernel_args import kernel_input

__all__ = [
    "ekf_predict",
    "ekf_update",
    "gain_row",
    "iekf_update",
    "joseph_row",
    "los_angles",
    "los_angles_row",
    "nees",
    "nees_bounds",
    "nees_row",
    "predict_row",
    "range_measurement",
    "second_order_noise",
    "second_order_row",
    "wrap_angle",
]

# -- kernels: one filter at a time, on preallocated arrays (numba); the batched numpy
# -- functions below loop them over rows, and batched simulations call them directly.


@njit(cache=True)
def _cholesky(a, low) -> bool:
    """Lower Cholesky factor of a symmetric ``a`` (m, m) into ``low``; False when ``a`` is
    not positive definite (or not finite)."""
    m = a.shape[0]
    for j in range(m):
        d = a[j, j]
        for k in range(j):
            d -= low[j, k] * low[j, k]
        if not d > 0.0:  # also catches NaN
            return False
        d = math.sqrt(d)
        low[j, j] = d
        for i in range(j + 1, m):
            v = a[i, j]
            for k in range(j):
                v -= low[i, k] * low[j, k]
            low[i, j] = v / d
        for i in range(j):
            low[i, j] = 0.0
    return True


@njit(cache=True)
def nees_row(error, p, work=None) -> float:
    """``e^T P^-1 e`` of one filter (Cholesky), NaN where ``P`` is not positive definite:
    a numerical failure is the caller's per-trial status, never an exception. ``work``:
    optional scratch of ``m (m + 1)`` floats (a hot loop passes its own)."""
    m = error.shape[0]
    if work is None:
        work = np.empty(m * (m + 1))
    low = work[: m * m].reshape((m, m))
    y = work[m * m : m * m + m]
    if not _cholesky(p, low):
        return np.nan
    total = 0.0
    for i in range(m):  # L y = e
        v = error[i]
        for k in range(i):
            v -= low[i, k] * y[k]
        y[i] = v / low[i, i]
        total += y[i] * y[i]
    return total


@njit(cache=True)
def _spd_inverse(a) -> bool:
    """Invert a symmetric positive-definite ``a`` (m, m) in place (closed form for m <= 2,
    Cholesky beyond); False (and NaN) where it is not positive definite."""
    m = a.shape[0]
    if m == 1:
        ok = a[0, 0] > 0.0
        a[0, 0] = 1.0 / a[0, 0] if ok else np.nan
        return ok
    if m == 2:
        det = a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]
        ok = a[0, 0] > 0.0 and det > 0.0
        if not ok:
            a[:, :] = np.nan
            return False
        a00 = a[0, 0]
        a[0, 0] = a[1, 1] / det
        a[1, 1] = a00 / det
        off = -0.5 * (a[0, 1] + a[1, 0]) / det
        a[0, 1] = off
        a[1, 0] = off
        return True
    low = np.empty((m, m))
    if not _cholesky(a, low):
        a[:, :] = np.nan
        return False
    inv_low = np.zeros((m, m))
    for j in range(m):  # L^-1, column by column
        inv_low[j, j] = 1.0 / low[j, j]
        for i in range(j + 1, m):
            v = 0.0
            for k in range(j, i):
                v -= low[i, k] * inv_low[k, j]
            inv_low[i, j] = v / low[i, i]
    for i in range(m):  # A^-1 = L^-T L^-1
        for j in range(i, m):
            v = 0.0
            for k in range(j, m):
                v += inv_low[k, i] * inv_low[k, j]
            a[i, j] = v
            a[j, i] = v
    return True


@njit(cache=True)
def gain_row(p, h, r, consider, gain, s_inv, cols=-1, work=None) -> bool:
    """Kalman gain ``K = P H^T S^-1`` (k, m) into ``gain`` and ``S^-1`` (m, m) into
    ``s_inv``, ``S = H P H^T + R``, for one filter; the gain rows of the last ``consider``
    states are zero (Schmidt-Kalman). False (NaN gain) where ``S`` is not positive
    definite. ``cols``: only the first ``cols`` columns of ``H`` are non-zero (all when
    negative; a position measurement of a position-velocity state needs 3 of them);
    ``work``: optional scratch of ``m`` floats."""
    k, m = p.shape[0], h.shape[0]
    width = k if cols < 0 else cols
    for i in range(k):  # P H^T, held in the gain
        for a in range(m):
            v = 0.0
            for j in range(width):
                v += p[i, j] * h[a, j]
            gain[i, a] = v
    for a in range(m):  # S, symmetric up to round-off
        for b in range(a, m):
            v = 0.5 * (r[a, b] + r[b, a])
            for j in range(width):
                v += h[a, j] * gain[j, b]
            s_inv[a, b] = v
            s_inv[b, a] = v
    ok = _spd_inverse(s_inv)
    row = np.empty(m) if work is None else work[:m]
    for i in range(k):
        if i >= k - consider:
            gain[i, :] = 0.0
            continue
        for b in range(m):
            v = 0.0
            for a in range(m):
                v += gain[i, a] * s_inv[a, b]
            row[b] = v
        gain[i, :] = row
    return ok


@njit(cache=True)
def joseph_row(p, gain, h, r, out, cols=-1, work=None):
    """Joseph-form update ``(I - K H) P (I - K H)^T + K R K^T`` of one filter into ``out``
    (Bar-Shalom et al. 2001, eq. 5.2.3-18): right for any gain, the consider gain
    included. Evaluated as ``T = P - K (H P)``, then ``T - (T H^T) K^T + K R K^T`` on the
    upper triangle, mirrored (exactly symmetric). ``cols`` as in :func:`gain_row`;
    ``work``: optional scratch of ``3 m k`` floats."""
    k, m = p.shape[0], h.shape[0]
    width = k if cols < 0 else cols
    if work is None:
        work = np.empty(3 * m * k)
    hp = work[: m * k].reshape((m, k))
    th = work[m * k : 2 * m * k].reshape((k, m))
    kr = work[2 * m * k : 3 * m * k].reshape((k, m))
    for a in range(m):
        for j in range(k):
            v = 0.0
            for l in range(width):  # noqa: E741
                v += h[a, l] * p[l, j]
            hp[a, j] = v
    for i in range(k):  # T = P - K H P, held in out
        for j in range(k):
            v = p[i, j]
            for a in range(m):
                v -= gain[i, a] * hp[a, j]
            out[i, j] = v
    for i in range(k):
        for a in range(m):
            v = 0.0
            w = 0.0
            for l in range(width):  # noqa: E741
                v += out[i, l] * h[a, l]
            for b in range(m):
                w += gain[i, b] * r[b, a]
            th[i, a] = v
            kr[i, a] = w
    for i in range(k):
        for j in range(i, k):
            v = out[i, j]
            for a in range(m):
                v += (kr[i, a] - th[i, a]) * gain[j, a]
            out[i, j] = v
            out[j, i] = v


@njit(cache=True)
def predict_row(p, phi, q, out, work=None):
    """Covariance prediction ``Phi P Phi^T + Q`` of one filter into ``out``: the upper
    triangle, mirrored (exactly symmetric; ``Q`` taken as its symmetric part). ``work``:
    optional scratch of ``k * k`` floats."""
    k = p.shape[0]
    t = np.empty((k, k)) if work is None else work[: k * k].reshape((k, k))
    for i in range(k):
        for j in range(k):
            v = 0.0
            for l in range(k):  # noqa: E741
                v += phi[i, l] * p[l, j]
            t[i, j] = v
    for i in range(k):
        for j in range(i, k):
            v = 0.5 * (q[i, j] + q[j, i])
            for l in range(k):  # noqa: E741
                v += t[i, l] * phi[j, l]
            out[i, j] = v
            out[j, i] = v


@njit(cache=True)
def los_angles_row(x, y, z, jac):
    """Angles ``(az, el)`` of one line of sight ``(x, y, z)`` and their Jacobian (2, 3)
    into ``jac`` (module docstring: ``az = atan2(x, y)``, ``el = asin(z / |rho|)``)."""
    rxy2 = x * x + y * y
    r2 = rxy2 + z * z
    rxy = math.sqrt(rxy2)
    jac[0, 0] = y / rxy2
    jac[0, 1] = -x / rxy2
    jac[0, 2] = 0.0
    jac[1, 0] = -x * z / (r2 * rxy)
    jac[1, 1] = -y * z / (r2 * rxy)
    jac[1, 2] = rxy / r2
    return math.atan2(x, y), math.atan2(z, rxy)


@vectorize(["float64(float64)"], cache=True)
def wrap_angle(a):
    """Angles wrapped to (-pi, pi] (a ufunc: arrays in numpy, scalars in kernels)."""
    return math.pi - (math.pi - a) % (2.0 * math.pi)


@njit(cache=True)
def second_order_row(hess, p_rr, dt_s, factor, out, work=None):
    """The term of :func:`second_order_noise` for one filter into ``out`` (6, 6):
    ``hess`` (3, 3, 3), ``p_rr`` (3, 3), times ``factor`` (the coherence scaling).
    ``work``: optional scratch of 36 floats."""
    if work is None:
        work = np.empty(36)
    m = work[:27].reshape((3, 3, 3))
    t = work[27:36].reshape((3, 3))
    for i in range(3):
        for j in range(3):
            for l in range(3):  # noqa: E741
                v = 0.0
                for k in range(3):
                    v += hess[i, j, k] * p_rr[k, l]
                m[i, j, l] = v
    for i in range(3):
        for l in range(3):  # noqa: E741
            v = 0.0
            for j in range(3):
                for k in range(3):
                    v += m[i, j, k] * m[l, k, j]
            t[i, l] = 0.5 * v
    for a in range(6):
        ca = 0.5 * dt_s * dt_s if a < 3 else dt_s
        for b in range(6):
            cb = 0.5 * dt_s * dt_s if b < 3 else dt_s
            out[a, b] = 0.5 * (t[a % 3, b % 3] + t[b % 3, a % 3]) * ca * cb * factor


# -- the batched functions: one row per filter ---------------------------------------------


@njit(cache=True)
def _predict_rows(p, phi, q, out):
    for n in range(p.shape[0]):
        predict_row(p[n], phi[n], q[n], out[n])


@njit(cache=True)
def _gain_rows(p, h, r, consider, gain, s_inv):
    for n in range(p.shape[0]):
        gain_row(p[n], h[n], r[n], consider, gain[n], s_inv[n])


@njit(cache=True)
def _joseph_rows(p, gain, h, r, out):
    for n in range(p.shape[0]):
        joseph_row(p[n], gain[n], h[n], r[n], out[n])


@njit(cache=True)
def _nees_rows(error, p, out):
    for n in range(p.shape[0]):
        out[n] = nees_row(error[n], p[n])


@njit(cache=True)
def _los_rows(rho, angles, jac):
    for n in range(rho.shape[0]):
        angles[n, 0], angles[n, 1] = los_angles_row(rho[n, 0], rho[n, 1], rho[n, 2], jac[n])


@njit(cache=True)
def _second_order_rows(hess, p_rr, dt_s, factor, out):
    for n in range(hess.shape[0]):
        second_order_row(hess[n], p_rr[n], dt_s, factor, out[n])


def _rows(a, n: int, *shape: int) -> np.ndarray:
    """``a`` broadcast to (n, *shape) for the kernels (a shared matrix repeated)."""
    return kernel_input(a, shape=(n, *shape))


def ekf_predict(p: np.ndarray, phi: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Covariance prediction ``Phi P Phi^T + Q`` of ``p`` (n, k, k); ``phi`` and ``q``
    (k, k) or (n, k, k)."""
    p = _rows(p, *np.shape(p))
    n, k = p.shape[0], p.shape[-1]
    out = np.empty_like(p)
    _predict_rows(p, _rows(phi, n, k, k), _rows(q, n, k, k), out)
    return out


def ekf_update(
    x: np.ndarray,
    p: np.ndarray,
    innovation: np.ndarray,
    h: np.ndarray,
    r: np.ndarray,
    mask: np.ndarray | None = None,
    consider: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Measurement update of ``x`` (n, k), ``P`` (n, k, k) with innovations (n, m),
    Jacobians ``h`` (n, m, k) and noise ``r`` (m, m) or (n, m, m). Rows where ``mask`` is
    False are left as they are. The last ``consider`` states are consider parameters
    (Schmidt-Kalman): their gain rows are zero, so they are never estimated but their
    uncertainty enters ``S`` and the cross-covariances (the Joseph form holds for any
    gain). Returns the updated state, covariance and each row's normalised innovation
    squared ``nu^T S^-1 nu`` (NaN where masked). A row whose ``S`` is not positive
    definite comes back NaN (a numerical failure for the caller to count)."""
    gain, s_inv = _gain(p, h, r, consider)
    x_new = x + np.einsum("nij,nj->ni", gain, innovation)
    p_new = _joseph(p, gain, h, r)
    nis = np.einsum("ni,nij,nj->n", innovation, s_inv, innovation)
    if mask is not None:
        keep = ~np.asarray(mask, bool)
        x_new[keep], p_new[keep] = x[keep], p[keep]
        nis = np.where(keep, np.nan, nis)
    return x_new, p_new, nis


def iekf_update(
    x: np.ndarray,
    p: np.ndarray,
    z: np.ndarray,
    measure,
    r: np.ndarray,
    iterations: int = 3,
    angular: bool = False,
    consider: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iterated EKF update (Bell and Cathey, "The iterated Kalman filter update as a
    Gauss-Newton method", IEEE Trans. Autom. Control 38(2):294-297, 1993): relinearise
    ``measure(x) -> (h(x) (n, m), H (n, m, k))`` at each iterate,
    ``x_{i+1} = x + K_i (z - h(x_i) - H_i (x - x_i))``, Joseph covariance at the last.

    With precise angles and an uncertain range, a single EKF update linearised at the
    prior misses the coupling between the bearing and the range error and is overconfident
    (tests); relinearising at the iterate restores it. ``angular`` wraps innovations;
    ``consider`` as in :func:`ekf_update`."""
    xi = x.copy()
    for _ in range(max(1, iterations)):
        pred, h = measure(xi)
        nu = z - pred
        if angular:
            nu = wrap_angle(nu)
        nu = nu - np.einsum("nij,nj->ni", h, x - xi)
        gain, s_inv = _gain(p, h, r, consider)
        xi = x + np.einsum("nij,nj->ni", gain, nu)
    nis = np.einsum("ni,nij,nj->n", nu, s_inv, nu)
    return xi, _joseph(p, gain, h, r), nis


def _gain(p: np.ndarray, h: np.ndarray, r: np.ndarray, consider: int):
    """Kalman gain (n, k, m) and the inverse innovation covariance (n, m, m)
    (:func:`gain_row` on every row)."""
    p = _rows(p, *np.shape(p))
    n, k = p.shape[0], p.shape[-1]
    h = _rows(h, n, *np.shape(h)[-2:])
    m = h.shape[1]
    gain, s_inv = np.empty((n, k, m)), np.empty((n, m, m))
    _gain_rows(p, h, _rows(r, n, m, m), int(consider), gain, s_inv)
    return gain, s_inv


def _joseph(p: np.ndarray, gain: np.ndarray, h: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Joseph-form covariance update (:func:`joseph_row` on every row)."""
    p = _rows(p, *np.shape(p))
    n, k = p.shape[0], p.shape[-1]
    h = _rows(h, n, *np.shape(h)[-2:])
    m = h.shape[1]
    out = np.empty_like(p)
    _joseph_rows(p, _rows(gain, n, k, m), h, _rows(r, n, m, m), out)
    return out


def second_order_noise(
    hess: np.ndarray, p_rr: np.ndarray, dt_s: float, coherence_s: float | None = None
) -> np.ndarray:
    """The second-order EKF's prediction term (Bar-Shalom et al. 2001, sect. 10.3.3, eq.
    10.3.3-5: ``1/2 sum_ij e_i e_j^T tr(f_xx^i P f_xx^j P)``) for a position-dependent
    acceleration over a step ``dt_s``: with ``hess`` (n, 3, 3, 3) the acceleration's
    Hessian ``d2 a_i / dr_j dr_k`` and ``p_rr`` (n, 3, 3) the position covariance, the
    map's Hessians are ``dt^2/2 hess_i`` (position rows) and ``dt hess_i`` (velocity
    rows), to first order in ``dt``. Returns (n, 6, 6): the covariance of the neglected
    quadratic term, the error of carrying a large covariance by the Jacobian alone (an
    along-track spread of km on a curved orbit).

    Per step, that term sums over ``T / dt`` steps to a variance ``~ T dt``, which vanishes
    with the step although the quadratic acceleration ``1/2 d^T H d`` stays as long as the
    error ``d`` does (coherent). ``coherence_s`` (>= ``dt_s``) takes the term over that
    time instead and spreads it over its steps (the result times ``coherence_s / dt_s``):
    a variance ``~ T coherence_s``, whatever the step. ``None``: the step's own term."""
    hess = _rows(hess, *np.shape(hess))
    n = hess.shape[0]
    out = np.empty((n, 6, 6))
    _second_order_rows(hess, _rows(p_rr, n, 3, 3), float(dt_s), _coherence(dt_s, coherence_s), out)
    return out


def _coherence(dt_s: float, coherence_s: float | None) -> float:
    """The factor that takes the second-order term over ``coherence_s`` (>= the step)."""
    return 1.0 if coherence_s is None else max(1.0, coherence_s / dt_s)


def los_angles(rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Angles (n, 2) ``(az, el)`` of ``rho`` (n, 3) and their Jacobian (n, 2, 3)."""
    rho = kernel_input(np.atleast_2d(np.asarray(rho, np.float64)))
    angles, jac = np.empty((rho.shape[0], 2)), np.empty((rho.shape[0], 2, 3))
    _los_rows(rho, angles, jac)
    return angles, jac


def range_measurement(rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Range (n, 1) and its Jacobian (n, 1, 3)."""
    rho = np.atleast_2d(rho)
    r = np.linalg.norm(rho, axis=1)
    return r[:, None], (rho / r[:, None])[:, None, :]


def nees(error: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Normalised estimation error squared ``e^T P^-1 e`` of each row, shape (n,); NaN for
    a row whose ``P`` is not positive definite (singular, indefinite or not finite: a
    numerical failure of that filter, which the caller counts, not an exception that
    stops the batch)."""
    p = _rows(p, *np.shape(p))
    out = np.empty(p.shape[0])
    _nees_rows(_rows(error, p.shape[0], p.shape[-1]), p, out)
    return out


def nees_bounds(dof: int, runs: int, confidence: float = 0.95) -> tuple[float, float]:
    """Two-sided ``confidence`` region of the NEES averaged over ``runs`` runs.

    The chi-square quantile with ``k`` degrees of freedom is ``2 P^-1(k / 2, q)``, the
    inverse of the regularised lower incomplete gamma function (Abramowitz and Stegun
    1964, eq. 26.4.19: ``P(chi2 | k) = P(k / 2, chi2 / 2)``), what ``scipy.stats.chi2.ppf``
    computes, without importing ``scipy.stats`` (half a second)."""
    from scipy.special import gammaincinv

    alpha = 1.0 - confidence
    k = dof * runs
    return (
        float(2 * gammaincinv(k / 2, 0.5 * alpha) / runs),
        float(2 * gammaincinv(k / 2, 1.0 - 0.5 * alpha) / runs),
    )
