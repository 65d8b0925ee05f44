"""Two-body conics: universal-variable propagation and the B-plane of a hyperbolic approach.

Propagation solves Kepler's problem in the universal variable ``chi`` (Bate, Mueller and
White, "Fundamentals of Astrodynamics", 1971, sec. 4.3; Vallado, "Fundamentals of
Astrodynamics and Applications", 4th ed. 2013, Algorithm 8) with Stumpff's functions
``C(z)``, ``S(z)``, ``z = alpha chi^2``, ``alpha = 2/r0 - v0^2/mu``::

    sqrt(mu) dt = (r0.v0)/sqrt(mu) chi^2 C + (1 - alpha r0) chi^3 S + r0 chi            (1)

and Lagrange's ``f, g`` coefficients, so one routine serves ellipses and hyperbolas alike.

The B-plane (Kizner, Planet. Space Sci. 5, 1961; Vallado 2013 sec. 12.4) is the plane
through the target body's centre normal to the incoming asymptote ``S``; ``T = S x k /
|S x k|`` with ``k`` a reference pole (the Earth's or Mars' north pole, or the ecliptic
normal), ``R = S x T``. The aiming point ``B`` is where the asymptote pierces it, at the
impact parameter ``b = |h| / v_inf`` from the centre, ``B = b (S x W)`` with ``W`` the unit
angular momentum. In the perifocal frame (``P`` towards periapsis, ``Q = W x P``) the
incoming asymptote is ``S = P / e + sqrt(e^2 - 1) Q / e`` (the velocity direction as the
true anomaly tends to ``-acos(-1/e)``), which the inverse construction uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

_MAX_ITERATIONS = 60


@njit(cache=True, inline="always")
def _stumpff(z: float) -> tuple[float, float]:
    """Stumpff functions C(z), S(z) (Vallado eq. 2-57), with series near z = 0."""
    if z > 1e-6:
        sz = math.sqrt(z)
        return (1.0 - math.cos(sz)) / z, (sz - math.sin(sz)) / (sz * sz * sz)
    if z < -1e-6:
        sz = math.sqrt(-z)
        return (1.0 - math.cosh(sz)) / z, (math.sinh(sz) - sz) / (sz * sz * sz)
    return 0.5 - z / 24.0 + z * z / 720.0, 1.0 / 6.0 - z / 120.0 + z * z / 5040.0


@njit(cache=True)
def kepler_step(r0: np.ndarray, v0: np.ndarray, dt: float, mu: float, r: np.ndarray,
                v: np.ndarray) -> bool:  # fmt: skip
    """One state ``(r0, v0)`` (3,) moved ``dt`` s along its conic into ``r``, ``v`` (3,);
    False when the universal-variable iteration does not converge. Compiled, for the
    kernels that propagate inside their own loops (:func:`propagate` is its batch form)."""
    sqrt_mu = math.sqrt(mu)
    r0n = math.sqrt(r0[0] * r0[0] + r0[1] * r0[1] + r0[2] * r0[2])
    rv = r0[0] * v0[0] + r0[1] * v0[1] + r0[2] * v0[2]
    alpha = 2.0 / r0n - (v0[0] * v0[0] + v0[1] * v0[1] + v0[2] * v0[2]) / mu
    # Initial guesses, Vallado Algorithm 8: elliptic, hyperbolic, parabolic.
    chi = sqrt_mu * dt * alpha
    if alpha < -1e-12:
        a = 1.0 / alpha
        sign = 1.0 if dt > 0.0 else (-1.0 if dt < 0.0 else 0.0)
        arg = (-2.0 * mu * alpha * dt) / (rv + sign * math.sqrt(-mu * a) * (1.0 - r0n * alpha))
        chi = sign * math.sqrt(-a) * math.log(max(arg, 1e-300))
    elif abs(alpha) <= 1e-12:
        chi = sqrt_mu * dt / r0n
    converged = False
    for _ in range(_MAX_ITERATIONS):
        z = alpha * chi * chi
        c, s = _stumpff(z)
        chi2 = chi * chi
        rr = chi2 * c + rv / sqrt_mu * chi * (1.0 - z * s) + r0n * (1.0 - z * c)
        f_val = rv / sqrt_mu * chi2 * c + (1.0 - alpha * r0n) * chi2 * chi * s + r0n * chi
        step = (f_val - sqrt_mu * dt) / rr  # Newton: d(sqrt(mu) t)/d(chi) = r, eq. (1)
        chi -= step
        if abs(step) <= 1e-12 * max(abs(chi), 1.0):
            converged = True
            break
    z = alpha * chi * chi
    c, s = _stumpff(z)
    chi2 = chi * chi
    f = 1.0 - chi2 / r0n * c
    g = dt - chi2 * chi / sqrt_mu * s
    for i in range(3):
        r[i] = f * r0[i] + g * v0[i]
    rn = math.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2])
    fdot = sqrt_mu / (rn * r0n) * chi * (z * s - 1.0)
    gdot = 1.0 - chi2 / rn * c
    for i in range(3):
        v[i] = fdot * r0[i] + gdot * v0[i]
    return converged


def _stumpff_batch(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stumpff functions C(z), S(z) (Vallado eq. 2-57), with series near z = 0."""
    c = np.empty_like(z)
    s = np.empty_like(z)
    pos, neg, small = z > 1e-6, z < -1e-6, np.abs(z) <= 1e-6
    sz = np.sqrt(z[pos])
    c[pos] = (1.0 - np.cos(sz)) / z[pos]
    s[pos] = (sz - np.sin(sz)) / sz**3
    sz = np.sqrt(-z[neg])
    c[neg] = (1.0 - np.cosh(sz)) / z[neg]
    s[neg] = (np.sinh(sz) - sz) / sz**3
    zs = z[small]
    c[small] = 0.5 - zs / 24.0 + zs**2 / 720.0
    s[small] = 1.0 / 6.0 - zs / 120.0 + zs**2 / 5040.0
    return c, s


def propagate(r0, v0, dt_s, mu: float) -> tuple[np.ndarray, np.ndarray]:
    """States ``dt_s`` seconds after ``(r0, v0)`` on their two-body conics.

    Parameters
    ----------
    r0, v0 : (n, 3) or (3,) array_like
        Positions (m) and velocities (m/s) about a body of gravitational parameter ``mu``.
    dt_s : float or (n,) array_like
        Times of flight, s; negative propagates backwards.

    Returns
    -------
    r, v : (n, 3) ndarrays
    """
    r0 = np.atleast_2d(np.asarray(r0, dtype=np.float64))
    v0 = np.atleast_2d(np.asarray(v0, dtype=np.float64))
    n = max(r0.shape[0], v0.shape[0])
    r0, v0 = np.broadcast_to(r0, (n, 3)), np.broadcast_to(v0, (n, 3))
    dt = np.broadcast_to(np.asarray(dt_s, dtype=np.float64), (n,))
    sqrt_mu = math.sqrt(mu)
    r0n = np.linalg.norm(r0, axis=1)
    rv = np.einsum("ij,ij->i", r0, v0)
    alpha = 2.0 / r0n - np.einsum("ij,ij->i", v0, v0) / mu
    # Ellipses: the state after dt is the state after dt modulo the period (exact in two
    # bodies), which keeps chi within one revolution however long the flight.
    ell = alpha > 1e-12
    if np.any(ell):
        period = 2.0 * math.pi / np.sqrt(mu * alpha[ell] ** 3)
        dt = dt.copy()
        dt[ell] = np.mod(dt[ell], period)
    # Initial guesses, Vallado Algorithm 8: elliptic, then hyperbolic where alpha < 0 (any
    # guess the formulas cannot give, the parabolic one: Laguerre converges from it).
    chi = sqrt_mu * dt * alpha
    hyp = alpha < -1e-12
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if np.any(hyp):
            a = 1.0 / alpha[hyp]
            sign = np.sign(dt[hyp])
            arg = (-2.0 * mu * alpha[hyp] * dt[hyp]) / (
                rv[hyp] + sign * np.sqrt(-mu * a) * (1.0 - r0n[hyp] * alpha[hyp])
            )
            chi[hyp] = np.where(arg > 0.0, sign * np.sqrt(-a) * np.log(arg), np.nan)
        para = (np.abs(alpha) <= 1e-12) | ~np.isfinite(chi)
        chi[para] = sqrt_mu * dt[para] / r0n[para]
    # On a hyperbola, |chi| sqrt(-alpha) is the change of hyperbolic anomaly H, and the
    # terms of eq. (1) grow as e^H times the distances: iterates are held to |H| <= 300
    # (no flight of the age of the universe comes near), where nothing overflows.
    limit = np.where(hyp, 300.0 / np.sqrt(np.abs(alpha)), np.inf)
    chi = np.clip(chi, -limit, limit)

    def kepler(chi):
        """F (eq. 1 less sqrt(mu) dt), F' = r, F'' = dr/dchi at ``chi``, and the size of
        F's terms (its rounding floor is a few ulps of it)."""
        z = alpha * chi * chi
        c, s = _stumpff_batch(z)
        chi2 = chi * chi
        r = chi2 * c + rv / sqrt_mu * chi * (1.0 - z * s) + r0n * (1.0 - z * c)
        terms = (rv / sqrt_mu * chi2 * c, (1.0 - alpha * r0n) * chi2 * chi * s, r0n * chi)
        dr = rv / sqrt_mu * (1.0 - z * c) + (1.0 - alpha * r0n) * chi * (1.0 - z * s)
        size = np.abs(terms[0]) + np.abs(terms[1]) + np.abs(terms[2]) + np.abs(sqrt_mu * dt)
        return terms[0] + terms[1] + terms[2] - sqrt_mu * dt, r, dr, size

    # Laguerre-Conway iteration (Conway, Celest. Mech. 39:199-211, 1986; order n = 5):
    # converges from any start where Newton's method may cycle (near-radial ellipses).
    done = np.zeros(n, dtype=bool)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        for _ in range(_MAX_ITERATIONS):
            f_val, r, dr, size = kepler(chi)
            done |= np.abs(f_val) <= 64.0 * np.finfo(float).eps * size  # at its rounding floor
            root = np.sqrt(np.abs(16.0 * r * r - 20.0 * f_val * dr))
            step = 5.0 * f_val / (r + np.copysign(root, r))
            step = np.where(done, 0.0, step)
            chi = np.clip(chi - step, -limit, limit)
            done |= np.abs(step) <= 1e-12 * np.maximum(np.abs(chi), 1.0)
            if done.all():
                break
        # What Laguerre leaves (a collision orbit grazing r = 0): bisection, F rising in chi
        # (dF/dchi = r >= 0) between 0 and one revolution's chi.
        stuck = ~done & ell & np.isfinite(chi)
        if np.any(stuck):
            lo = np.zeros(int(stuck.sum()))
            hi = 2.0 * math.pi / np.sqrt(alpha[stuck])
            sub = (alpha[stuck], rv[stuck], r0n[stuck], dt[stuck])
            for _ in range(200):
                mid = 0.5 * (lo + hi)
                z = sub[0] * mid * mid
                c, s = _stumpff_batch(z)
                f_mid = (
                    sub[1] / sqrt_mu * mid * mid * c
                    + (1.0 - sub[0] * sub[2]) * mid**3 * s
                    + sub[2] * mid
                    - sqrt_mu * sub[3]
                )
                lo, hi = np.where(f_mid < 0.0, mid, lo), np.where(f_mid < 0.0, hi, mid)
            chi[stuck] = 0.5 * (lo + hi)
            done |= stuck
    if not (done.all() and np.all(np.isfinite(chi))):
        bad = int(np.count_nonzero(~done | ~np.isfinite(chi)))
        raise RuntimeError(
            f"universal-variable Kepler iteration did not converge for {bad} of {n} states "
            "(non-finite input?)"
        )
    z = alpha * chi * chi
    c, s = _stumpff_batch(z)
    chi2 = chi * chi
    f = 1.0 - chi2 / r0n * c
    g = dt - chi2 * chi / sqrt_mu * s
    r = f[:, None] * r0 + g[:, None] * v0
    rn = np.linalg.norm(r, axis=1)
    fdot = sqrt_mu / (rn * r0n) * chi * (z * s - 1.0)
    gdot = 1.0 - chi2 / rn * c
    v = fdot[:, None] * r0 + gdot[:, None] * v0
    return r, v


@dataclass(frozen=True)
class BPlane:
    """A hyperbolic approach described in its B-plane (SI, arrays of shape (n,) or (n, 3))."""

    b_t_m: np.ndarray
    b_r_m: np.ndarray
    v_infinity_m_s: np.ndarray
    s_hat: np.ndarray
    t_hat: np.ndarray
    r_hat: np.ndarray
    periapsis_radius_m: np.ndarray

    @property
    def b_m(self) -> np.ndarray:
        return np.hypot(self.b_t_m, self.b_r_m)

    @property
    def angle_rad(self) -> np.ndarray:
        """B-plane angle from T towards R."""
        return np.arctan2(self.b_r_m, self.b_t_m)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def b_plane_axes(s_hat, pole=(0.0, 0.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    """Unit ``T = S x k / |S x k|`` and ``R = S x T`` for incoming asymptotes ``s_hat``."""
    s_hat = np.atleast_2d(np.asarray(s_hat, dtype=np.float64))
    t_hat = _unit(np.cross(s_hat, np.asarray(pole, dtype=np.float64)))
    return t_hat, np.cross(s_hat, t_hat)


def b_plane(r, v, mu: float, pole=(0.0, 0.0, 1.0)) -> BPlane:
    """The B-plane of hyperbolic states ``(r, v)`` about a body of parameter ``mu``."""
    r = np.atleast_2d(np.asarray(r, dtype=np.float64))
    v = np.atleast_2d(np.asarray(v, dtype=np.float64))
    h = np.cross(r, v)
    rn = np.linalg.norm(r, axis=1, keepdims=True)
    e_vec = np.cross(v, h) / mu - r / rn
    e = np.linalg.norm(e_vec, axis=1)
    if np.any(e <= 1.0):
        raise ValueError("b_plane needs hyperbolic states (eccentricity > 1)")
    v_inf = np.sqrt(np.einsum("ij,ij->i", v, v) - 2.0 * mu / rn[:, 0])
    p_hat, w_hat = e_vec / e[:, None], _unit(h)
    q_hat = np.cross(w_hat, p_hat)
    s_hat = (p_hat + np.sqrt(e * e - 1.0)[:, None] * q_hat) / e[:, None]
    b_vec = (np.linalg.norm(h, axis=1) / v_inf)[:, None] * np.cross(s_hat, w_hat)
    t_hat, r_hat = b_plane_axes(s_hat, pole)
    return BPlane(
        b_t_m=np.einsum("ij,ij->i", b_vec, t_hat),
        b_r_m=np.einsum("ij,ij->i", b_vec, r_hat),
        v_infinity_m_s=v_inf,
        s_hat=s_hat,
        t_hat=t_hat,
        r_hat=r_hat,
        periapsis_radius_m=periapsis_radius_of_state(r, v, mu),
    )


def periapsis_radius_of_state(r, v, mu: float) -> np.ndarray:
    """Periapsis radius ``p / (1 + e)`` of the conics through states ``(r, v)``, (n,)."""
    r = np.atleast_2d(np.asarray(r, dtype=np.float64))
    v = np.atleast_2d(np.asarray(v, dtype=np.float64))
    h = np.cross(r, v)
    e_vec = np.cross(v, h) / mu - r / np.linalg.norm(r, axis=1, keepdims=True)
    return np.einsum("ij,ij->i", h, h) / mu / (1.0 + np.linalg.norm(e_vec, axis=1))


def impact_parameter(v_infinity_m_s, radius_m, flight_path_angle_rad, mu: float):
    """Impact parameter ``b`` whose hyperbola crosses ``radius_m`` at the flight-path angle.

    ``b = r v(r) cos(gamma) / v_inf`` with ``v(r)^2 = v_inf^2 + 2 mu / r`` (conservation
    of angular momentum and energy).
    """
    speed = np.sqrt(np.square(v_infinity_m_s) + 2.0 * mu / np.asarray(radius_m))
    return radius_m * speed * np.cos(flight_path_angle_rad) / v_infinity_m_s


def periapsis_radius(v_infinity_m_s, b_m, mu: float):
    """Periapsis radius of the hyperbola of impact parameter ``b``: ``-a (e - 1)``."""
    a = mu / np.square(v_infinity_m_s)  # |a|
    e = np.sqrt(1.0 + np.square(np.asarray(b_m) / a))
    return a * (e - 1.0)


def approach_state(
    v_infinity_vector_m_s, b_t_m, b_r_m, radius_m, mu: float, pole=(0.0, 0.0, 1.0)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """State where an incoming hyperbola first reaches ``radius_m``, from its B-plane.

    Parameters
    ----------
    v_infinity_vector_m_s : (3,) or (n, 3)
        Incoming hyperbolic excess velocity (its direction is ``S``).
    b_t_m, b_r_m : float or (n,)
        Aiming point in the B-plane.
    radius_m : float or (n,)
        Radius of the crossing (below the periapsis radius nothing is returned: ValueError).

    Returns
    -------
    r, v : (n, 3) ndarrays
        Position and velocity at the inbound crossing.
    time_to_periapsis_s : (n,) ndarray
        Time from the crossing to periapsis passage (positive).
    """
    v_inf_vec = np.atleast_2d(np.asarray(v_infinity_vector_m_s, dtype=np.float64))
    b_t, b_r, radius = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(x, dtype=np.float64)) for x in (b_t_m, b_r_m, radius_m))
    )
    n = max(v_inf_vec.shape[0], b_t.shape[0])
    v_inf_vec = np.broadcast_to(v_inf_vec, (n, 3))
    b_t, b_r, radius = (np.broadcast_to(x, (n,)) for x in (b_t, b_r, radius))
    v_inf = np.linalg.norm(v_inf_vec, axis=1)
    s_hat = v_inf_vec / v_inf[:, None]
    t_hat, r_hat = b_plane_axes(s_hat, pole)
    b = np.hypot(b_t, b_r)
    b_hat = (b_t[:, None] * t_hat + b_r[:, None] * r_hat) / b[:, None]
    w_hat = np.cross(b_hat, s_hat)  # h = v_inf (B x S)
    a = mu / v_inf**2  # |a|
    e = np.sqrt(1.0 + (b / a) ** 2)
    root = np.sqrt(e * e - 1.0)
    # invert S = P/e + sqrt(e^2-1)/e Q with Q = W x P: P = S/e - sqrt(e^2-1)/e (W x S)
    p_hat = (s_hat - root[:, None] * np.cross(w_hat, s_hat)) / e[:, None]
    q_hat = np.cross(w_hat, p_hat)
    semi_latus = a * (e * e - 1.0)
    rp = a * (e - 1.0)
    if np.any(radius < rp * (1.0 - 1e-12)):
        raise ValueError("the hyperbola does not reach down to the radius asked for")
    cos_nu = np.clip((semi_latus / radius - 1.0) / e, -1.0, 1.0)
    nu = -np.arccos(cos_nu)  # inbound: negative true anomaly
    r = radius[:, None] * (np.cos(nu)[:, None] * p_hat + np.sin(nu)[:, None] * q_hat)
    k = np.sqrt(mu / semi_latus)
    v = k[:, None] * (-np.sin(nu)[:, None] * p_hat + (e + np.cos(nu))[:, None] * q_hat)
    # hyperbolic anomaly and Kepler's equation for the time to periapsis (Vallado eq. 2-30)
    big_f = 2.0 * np.arctanh(np.sqrt((e - 1.0) / (e + 1.0)) * np.tan(nu / 2.0))
    mean = e * np.sinh(big_f) - big_f
    time_to_periapsis = -mean * np.sqrt(a**3 / mu)
    return r, v, time_to_periapsis
