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

import numpy as np

__all__ = [
    "ekf_predict",
    "ekf_update",
    "iekf_update",
    "los_angles",
    "nees",
    "nees_bounds",
    "range_measurement",
    "second_order_noise",
    "wrap_angle",
]


def ekf_predict(p: np.ndarray, phi: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Covariance prediction ``Phi P Phi^T + Q``; ``phi`` and ``q`` (k, k) or (n, k, k)."""
    out = phi @ p @ np.swapaxes(phi, -1, -2) + q
    return 0.5 * (out + np.swapaxes(out, -1, -2))


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
    squared ``nu^T S^-1 nu`` (NaN where masked)."""
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
    """Kalman gain (n, k, m) and the inverse innovation covariance (n, m, m); the gain rows
    of the last ``consider`` states are zero (Schmidt-Kalman)."""
    ht = np.swapaxes(h, -1, -2)
    s_inv = np.linalg.inv(h @ p @ ht + r)
    gain = p @ ht @ s_inv
    if consider:
        gain[:, p.shape[-1] - consider :, :] = 0.0
    return gain, s_inv


def _joseph(p: np.ndarray, gain: np.ndarray, h: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Joseph-form covariance update ``(I - K H) P (I - K H)^T + K R K^T``, symmetrised:
    right for any gain, the consider gain included."""
    ikh = np.eye(p.shape[-1]) - gain @ h
    r = np.broadcast_to(r, (gain.shape[0], *np.shape(r)[-2:]))
    p_new = ikh @ p @ np.swapaxes(ikh, -1, -2) + gain @ r @ np.swapaxes(gain, -1, -2)
    return 0.5 * (p_new + np.swapaxes(p_new, -1, -2))


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
    m = np.einsum("nijk,nkl->nijl", hess, p_rr)
    t = 0.5 * np.einsum("nijk,nlkj->nil", m, m)
    c = np.array([0.5 * dt_s * dt_s] * 3 + [dt_s] * 3)
    out = np.tile(t, (1, 2, 2)) * np.outer(c, c)
    if coherence_s is not None:
        out = out * max(1.0, coherence_s / dt_s)
    return 0.5 * (out + np.swapaxes(out, -1, -2))


def los_angles(rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Angles (n, 2) ``(az, el)`` of ``rho`` (n, 3) and their Jacobian (n, 2, 3)."""
    rho = np.atleast_2d(rho)
    x, y, z = rho[:, 0], rho[:, 1], rho[:, 2]
    rxy2 = x * x + y * y
    r2 = rxy2 + z * z
    rxy = np.sqrt(rxy2)
    angles = np.stack([np.arctan2(x, y), np.arctan2(z, rxy)], axis=1)
    jac = np.zeros((rho.shape[0], 2, 3))
    jac[:, 0, 0] = y / rxy2
    jac[:, 0, 1] = -x / rxy2
    jac[:, 1, 0] = -x * z / (r2 * rxy)
    jac[:, 1, 1] = -y * z / (r2 * rxy)
    jac[:, 1, 2] = rxy / r2
    return angles, jac


def range_measurement(rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Range (n, 1) and its Jacobian (n, 1, 3)."""
    rho = np.atleast_2d(rho)
    r = np.linalg.norm(rho, axis=1)
    return r[:, None], (rho / r[:, None])[:, None, :]


def wrap_angle(a: np.ndarray) -> np.ndarray:
    """Angles wrapped to (-pi, pi]."""
    return np.pi - np.mod(np.pi - a, 2.0 * np.pi)


def nees(error: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Normalised estimation error squared ``e^T P^-1 e`` of each row, shape (n,)."""
    return np.einsum("ni,ni->n", error, np.linalg.solve(p, error[..., None])[..., 0])


def nees_bounds(dof: int, runs: int, confidence: float = 0.95) -> tuple[float, float]:
    """Two-sided ``confidence`` region of the NEES averaged over ``runs`` runs."""
    from scipy.stats import chi2

    alpha = 1.0 - confidence
    return (
        float(chi2.ppf(0.5 * alpha, dof * runs) / runs),
        float(chi2.ppf(1.0 - 0.5 * alpha, dof * runs) / runs),
    )
