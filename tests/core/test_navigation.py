"""The batched EKF and its consistency: NEES inside its chi-square region over a Monte Carlo."""

import math

import numpy as np
import pytest

from msrsim.core.navigation import (
    ekf_predict,
    ekf_update,
    iekf_update,
    los_angles,
    nees,
    nees_bounds,
    range_measurement,
    second_order_noise,
    wrap_angle,
)
from msrsim.core.relative_motion import (
    linear_stm,
    point_mass_hessian,
    schweighart_sedwick_matrix,
    van_loan_noise,
)

A = 3_896_190.0


def test_angle_and_range_jacobians_match_finite_differences():
    rho = np.array([[120.0, -2500.0, 40.0], [-3.0, 50.0, -7.0]])
    ang, jac = los_angles(rho)
    rng_, jr = range_measurement(rho)
    h = 1e-4
    for k in range(3):
        d = np.zeros(3)
        d[k] = h
        fd = (los_angles(rho + d)[0] - los_angles(rho - d)[0]) / (2 * h)
        np.testing.assert_allclose(jac[:, :, k], fd, rtol=1e-6, atol=1e-12)
        fr = (range_measurement(rho + d)[0] - range_measurement(rho - d)[0]) / (2 * h)
        np.testing.assert_allclose(jr[:, :, k], fr, rtol=1e-6)  # central differences, h = 0.1 mm
    assert wrap_angle(np.array([3.5 * math.pi]))[0] == pytest.approx(-0.5 * math.pi)


def test_nees_bounds_are_chi_square():
    lo, hi = nees_bounds(6, 1)
    assert lo == pytest.approx(1.2373, abs=1e-3) and hi == pytest.approx(14.449, abs=1e-3)
    lo, hi = nees_bounds(6, 100)
    assert 5.2 < lo < 6.0 < hi < 6.8
    from scipy.stats import chi2  # the independent implementation, to the bit

    for runs in (1, 7, 100, 650, 5000):
        for confidence in (0.95, 0.99):
            tail = 0.5 * (1.0 - confidence)
            expected = (chi2.ppf(tail, 6 * runs) / runs, chi2.ppf(1.0 - tail, 6 * runs) / runs)
            assert nees_bounds(6, runs, confidence) == expected


def _angles_of(x):
    """Angles of the target seen from the chaser (rho = -x) and their Jacobian in x."""
    ang, jac = los_angles(-x[:, :3])
    h = np.zeros((x.shape[0], 2, 6))
    h[:, :, :3] = -jac
    return ang, h


def _run_filter(runs: int, seed: int = 7):
    """A rendezvous-like case: the chaser 2 km behind on V-bar, 1 cm/s along-track drift,
    angles every 60 s (20 urad) and range (0.5 m + 0.2 %), a 0.5 m/s radial
    burn with 1 % / 1 mm/s errors after one hour, white acceleration noise; linear (SS)
    truth and filter, so the EKF's only approximation is the measurement linearisation."""
    rng = np.random.default_rng(seed)
    a_ss, n, _ = schweighart_sedwick_matrix(A, math.radians(25))
    dt, steps, q = 60.0, 240, 1e-12
    phi = linear_stm(a_ss, dt)[0]
    qd = van_loan_noise(a_ss, q, dt)
    lq = np.linalg.cholesky(qd + 1e-30 * np.eye(6))
    p0 = np.diag([100.0, 300.0, 50.0, 0.05, 0.05, 0.05]) ** 2
    x_true = (
        np.array([0.0, -2000.0, 0.0, 0.0, 0.01, 0.0])
        + rng.standard_normal((runs, 6)) @ np.linalg.cholesky(p0).T
    )
    xh = np.tile([0.0, -2000.0, 0.0, 0.0, 0.01, 0.0], (runs, 1))
    p = np.tile(p0, (runs, 1, 1))
    sa, burn_sigma = 20e-6, (0.01, 1e-3)
    out = np.empty((steps, runs))
    sigma = np.empty(steps)
    for k in range(steps):
        if k == 60:
            dv = np.array([0.5, 0.0, 0.0])
            err = burn_sigma[0] * dv * rng.standard_normal((runs, 1)) + burn_sigma[
                1
            ] * rng.standard_normal((runs, 3))
            x_true[:, 3:] += dv + err
            xh[:, 3:] += dv
            p[:, 3:, 3:] += np.diag(burn_sigma[0] ** 2 * dv**2 + burn_sigma[1] ** 2)
        # measurements of the target as seen from the chaser: rho = -x (target minus chaser)
        ang, _ = los_angles(-x_true[:, :3])
        z = ang + sa * rng.standard_normal((runs, 2))
        xh, p, _ = iekf_update(xh, p, z, _angles_of, np.eye(2) * sa**2, angular=True)
        r_true = np.linalg.norm(x_true[:, :3], axis=1)
        close = r_true < 5000.0
        if close.any():
            rs = 0.5 + 0.002 * r_true
            zr = r_true + rs * rng.standard_normal(runs)
            rh, jr = range_measurement(-xh[:, :3])
            hr = np.zeros((runs, 1, 6))
            hr[:, :, :3] = -jr
            xh, p, _ = ekf_update(
                xh, p, (zr - rh[:, 0])[:, None], hr, (rs**2)[:, None, None], mask=close
            )
        out[k] = nees(x_true - xh, p)
        sigma[k] = np.sqrt(np.trace(p[0, :3, :3]))
        x_true = x_true @ phi.T + rng.standard_normal((runs, 6)) @ lq.T
        xh = xh @ phi.T
        p = ekf_predict(p, phi, qd)
    return out, sigma


def test_filter_is_consistent_over_a_monte_carlo():
    runs = 200
    eps, _ = _run_filter(runs)
    lo, hi = nees_bounds(6, runs)
    mean = eps.mean(axis=1)
    inside = np.mean((mean >= lo) & (mean <= hi))
    # a consistent filter keeps the run-averaged NEES inside its 95 % region at ~95 % of
    # the epochs (measured 99 %); tolerance 85 % (epochs are correlated, angles linearised)
    assert inside >= 0.85, (inside, np.percentile(mean, [5, 50, 95]))
    # and over all epochs the average is 6 within 5 % (measured 5.995)
    assert eps.mean() == pytest.approx(6.0, rel=0.05)


def test_filter_covariance_falls_as_tracking_goes_on():
    _, sigma = _run_filter(20, seed=11)
    # from ~330 m (the prior) to under a metre, falling while tracking goes on
    assert sigma[0] < 0.5 * 330.0 and sigma[-1] < 1.0
    assert sigma[59] < sigma[5] and sigma[-1] < sigma[59] * 1.5


def test_joseph_update_keeps_covariance_symmetric_positive():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(10, 6, 6))
    p = m @ np.swapaxes(m, 1, 2) + np.eye(6)
    x = np.zeros((10, 6))
    h = rng.normal(size=(10, 2, 6))
    _, p2, nis = ekf_update(x, p, rng.normal(size=(10, 2)), h, np.eye(2) * 1e-6)
    np.testing.assert_allclose(p2, np.swapaxes(p2, 1, 2), atol=1e-12)
    assert np.all(np.linalg.eigvalsh(p2) > 0) and np.all(nis >= 0)
    assert np.all(np.trace(p2, axis1=1, axis2=2) < np.trace(p, axis1=1, axis2=2))


def test_consider_update_leaves_the_parameters_and_matches_schmidt():
    """Schmidt-Kalman: the consider states keep their estimate and variance; the state's
    gain is the optimal one of the full covariance, and the cross-covariance follows
    ``P_xc - K H P_xc`` (Tapley, Schutz and Born 2004, sect. 6.3)."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 8, 8))
    p = a @ np.swapaxes(a, 1, 2) + 0.5 * np.eye(8)
    x = rng.standard_normal((4, 8))
    h = rng.standard_normal((4, 2, 8))
    r = 0.3 * np.eye(2)
    nu = rng.standard_normal((4, 2))
    xn, pn, _ = ekf_update(x, p, nu, h, r, consider=2)
    np.testing.assert_array_equal(xn[:, 6:], x[:, 6:])
    np.testing.assert_allclose(pn[:, 6:, 6:], p[:, 6:, 6:], rtol=1e-12)
    s = h @ p @ np.swapaxes(h, 1, 2) + r
    k = (p @ np.swapaxes(h, 1, 2) @ np.linalg.inv(s))[:, :6]
    np.testing.assert_allclose(xn[:, :6], x[:, :6] + np.einsum("nij,nj->ni", k, nu), rtol=1e-10)
    np.testing.assert_allclose(pn[:, :6, 6:], p[:, :6, 6:] - k @ h @ p[:, :, 6:], atol=1e-10)
    np.testing.assert_allclose(
        pn[:, :6, :6], p[:, :6, :6] - k @ s @ np.swapaxes(k, 1, 2), atol=1e-9
    )
    # the iterated update with a linear measurement is the same
    xi, pi, _ = iekf_update(x, p, nu + np.einsum("nij,nj->ni", h, x), lambda z: (
        np.einsum("nij,nj->ni", h, z), h), r, consider=2)  # fmt: skip
    np.testing.assert_allclose(xi, xn, atol=1e-10)
    np.testing.assert_allclose(pi, pn, atol=1e-9)


def test_second_order_noise_is_the_covariance_of_the_quadratic_term():
    """The term of ``second_order_noise`` against a sampled covariance of the neglected
    quadratic term ``1/2 d^T H_i d`` (d ~ N(0, P)) at 500 km with a 5 km along-track
    spread; 200 000 samples, 2 % (the sampling error of a variance is ~0.3 %)."""
    r = np.array([[A, 0.0, 0.0]])
    hess = point_mass_hessian(r)
    p_rr = np.diag([200.0, 5000.0, 300.0]) ** 2
    p_rr[0, 1] = p_rr[1, 0] = 0.3 * 200.0 * 5000.0
    d = np.random.default_rng(1).multivariate_normal(np.zeros(3), p_rr, 200_000)
    quad = 0.5 * np.einsum("sj,ijk,sk->si", d, hess[0], d)
    dt = 60.0
    q = second_order_noise(hess, p_rr[None], dt)[0]
    sampled = np.cov(quad.T)
    np.testing.assert_allclose(q[3:, 3:] / dt**2, sampled, rtol=0.02, atol=1e-3 * sampled.max())
    np.testing.assert_allclose(q[:3, :3], q[3:, 3:] * (0.5 * dt) ** 2, rtol=1e-12)
    assert np.all(np.linalg.eigvalsh(q) > -1e-12 * q.max())


def test_nees_of_a_covariance_that_is_not_positive_definite_is_nan():
    """Issue 22, item 10: a singular (or indefinite, or NaN) covariance gives NaN for its
    row, for the caller to count as a numerical failure, not an exception for the batch;
    the other rows are exact (e^T P^-1 e = 6 for P = I, e = 1)."""
    p = np.stack([np.eye(6), np.zeros((6, 6)), np.diag([1.0] * 5 + [-1.0]), np.eye(6)])
    p[3, 0, 0] = np.nan
    out = nees(np.ones((4, 6)), p)
    assert out[0] == pytest.approx(6.0, rel=1e-14)
    assert np.isnan(out[1:]).all()
