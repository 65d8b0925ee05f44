"""Mars-centred propagation (J2, drag, SRP) against DOP853, closed forms and King-Hele."""

import math

import numpy as np
import pytest

from msrsim.core.bodies import MARS
from msrsim.core.orbit_propagation import (
    DensityTable,
    acceleration,
    force_model,
    j2_secular_rates,
    king_hele_circular_lifetime_s,
    mars_density_table,
    orbital_lifetime_s,
    propagate,
    propagate_reference,
)
from msrsim.segments.orbiting_sample import release_orbit

ET = 9.9e8


def _state(alt_km=500.0, inc_deg=25.0):
    return release_orbit(ET, alt_km * 1e3, math.radians(inc_deg), 0.3, 0.2).state


def test_rk4_kernel_against_dop853_with_every_force():
    model = force_model(ET)
    x0 = _state()
    ref = propagate_reference(x0, 86400.0, model, 0.01, 0.005)
    got = propagate(x0[None], 86400.0, model, 0.01, 0.005, step_s=10.0)[0]
    # 10 s RK4 steps over a day (~12 revolutions, 24 shadow crossings where the SRP
    # switch makes a step first order): measured 0.53 m; 20 s steps: 1.6 m
    assert np.linalg.norm(got[:3] - ref[:3]) < 1.0
    assert np.linalg.norm(got[3:] - ref[3:]) < 5e-4
    batch = propagate(np.tile(x0, (3, 1)), [0.0, 3600.0, -3600.0], model, 0.01, 0.005)
    np.testing.assert_array_equal(batch[0], x0)
    back = propagate(batch[1:2], -3600.0, model, 0.0, 0.0)
    assert np.linalg.norm(back[0, :3] - propagate(x0[None], 0.0, model)[0, :3]) < 5.0


def test_numpy_and_kernel_accelerations_agree():
    model = force_model(ET)
    x0 = _state(200.0)
    a = acceleration(x0, model, 0.05, 0.01)[0]
    h = 1e-3
    step = propagate(x0[None], h, model, 0.05, 0.01, step_s=h)[0]
    # one RK4 step of 1 ms: the mean acceleration over it, off by jerk x h / 2 ~ 2e-6 m/s2
    np.testing.assert_allclose((step[3:] - x0[3:]) / h, a, rtol=0, atol=1e-5)


def test_energy_is_conserved_without_drag_and_srp():
    model = force_model(ET, drag=False, srp=False)
    x0 = _state()
    k = model.pole

    def energy(x):
        r = np.linalg.norm(x[:3])
        s = (x[:3] @ k) / r
        u_j2 = model.mu / r * model.j2 * (model.j2_radius_m / r) ** 2 * 0.5 * (3 * s * s - 1)
        return 0.5 * x[3:] @ x[3:] - model.mu / r + u_j2

    e0 = energy(x0)
    e1 = energy(propagate(x0[None], 86400.0, model, step_s=20.0)[0])
    assert abs((e1 - e0) / e0) < 1e-8  # RK4 at 20 s: measured 3.0e-9 after a day
    e2 = energy(propagate_reference(x0, 86400.0, model))
    assert abs((e2 - e0) / e0) < 1e-11  # DOP853 at rtol 1e-12


def test_j2_secular_node_and_perigee_rates():
    model = force_model(ET, drag=False, srp=False)
    from msrsim.segments.spiral import equatorial_frame, periapsis_state

    a, e, inc = MARS.equatorial_radius.value + 800e3, 0.02, math.radians(40.0)
    rp, ra = a * (1 - e), a * (1 + e)
    frame = equatorial_frame(ET)
    r, v = periapsis_state(rp, ra, inc, 0.0, 0.5)
    x0 = np.concatenate([frame.T @ r, frame.T @ v])
    days = 5.0
    out = propagate_reference(
        x0, days * 86400.0, model, t_eval=np.linspace(0, days * 86400.0, 2001)
    )
    r_eq = out[:, :3] @ frame.T
    v_eq = out[:, 3:] @ frame.T
    h = np.cross(r_eq, v_eq)
    node = np.unwrap(np.arctan2(h[:, 0], -h[:, 1]))
    ecc = np.cross(v_eq, h) / MARS.gm.value - r_eq / np.linalg.norm(r_eq, axis=1)[:, None]
    n_hat = np.stack([np.cos(node), np.sin(node), np.zeros_like(node)], axis=1)
    argp = np.unwrap(
        np.arctan2(
            np.einsum("ij,ij->i", np.cross(n_hat, ecc), h / np.linalg.norm(h, axis=1)[:, None]),
            np.einsum("ij,ij->i", n_hat, ecc),
        )
    )
    t = np.linspace(0, days * 86400.0, 2001)
    node_rate = np.polyfit(t, node, 1)[0]
    argp_rate = np.polyfit(t, argp, 1)[0]
    node_cf, argp_cf = j2_secular_rates(a, e, inc)
    # the closed form takes mean elements, the start is osculating: a differs by ~J2 (R/a)^2
    # = 1.3e-3 and the rates go as a^-3.5: measured 0.41 % (node); tolerance 1 %, and 2 %
    # for the perigee (its short-period terms are larger)
    assert node_rate == pytest.approx(float(node_cf), rel=1e-2)
    assert argp_rate == pytest.approx(float(argp_cf), rel=2e-2)


def test_lifetime_against_king_hele_closed_form():
    h0, scale, rho0, b = 300e3, 30e3, 1e-12, 0.01
    grid = np.arange(0.0, 2000e3, 500.0)
    table = DensityTable(grid, np.log(rho0) - (grid - h0) / scale)
    a0 = MARS.mean_radius.value + h0
    got = orbital_lifetime_s(h0, b, table, end_altitude_m=150e3)
    closed = king_hele_circular_lifetime_s(a0, MARS.mean_radius.value + 150e3, rho0, scale, b)
    # the closed form holds sqrt(a) at a0; over 150 km of decay that is 2 %
    assert got == pytest.approx(closed, rel=0.03)


def test_decay_rate_of_numerical_flight_matches_eq_2():
    model = force_model(ET, srp=False, j2=False)
    table = mars_density_table()
    x0 = _state(180.0, 0.0)
    b = 0.02
    day = 86400.0 / 4
    x1 = propagate(x0[None], day, model, b, 0.0, step_s=10.0)[0]

    def sma(x):
        return 1.0 / (2.0 / np.linalg.norm(x[:3]) - x[3:] @ x[3:] / MARS.gm.value)

    a0 = sma(x0)
    h = np.linalg.norm(x0[:3]) - MARS.mean_radius.value
    rate = b * table.density(h) * math.sqrt(MARS.gm.value * a0)  # eq. (2), no rotation
    # equatorial prograde orbit: the atmosphere co-rotates, relative speed ~ v - w r
    v = math.sqrt(MARS.gm.value / a0)
    w = MARS.rotation_rate.value
    rate *= ((v - w * a0) / v) ** 2
    assert (a0 - sma(x1)) / day == pytest.approx(rate, rel=0.1)


def test_density_table_continuity():
    t = mars_density_table()
    h = np.array([199e3, 200e3, 201e3])
    rho = t.density(h)
    assert np.all(np.diff(rho) < 0)
    assert rho[0] / rho[1] == pytest.approx(rho[1] / rho[2], rel=0.3)


def _kernel_model(model, bc, cra):
    """The kernels' force-model tuple (as the rendezvous builds it)."""
    return (
        model.mu, model.j2, model.j2_radius_m, *model.pole, model.rotation_rate_rad_s,
        model.shadow_radius_m, model.mean_radius_m, model.table_altitude_m,
        model.table_log_density, *model.sun_direction, model.srp_pressure_n_m2, bc, cra,
    )  # fmt: skip


@pytest.mark.parametrize("alt_km, dense", [(250.0, False), (500.0, False), (250.0, True)])
def test_tangent_linear_rk4_is_the_derivative_of_the_flown_map(alt_km, dense):
    """The exact Jacobian carried by ``rk4_advance_tangent`` against central differences of
    ``rk4_advance`` itself (1 m, 1 mm/s: truncation ~(1 m / r)^2; 1 % of each coefficient):
    one 60 s step and ten of 60 s, at 250 km (drag 4000 times the 500 km value, a
    ballistic coefficient five times the OS's) and 500 km, in sunlight; and in an
    atmosphere a million times denser (1e-6 kg/m3 at 250 km, 30 km scale height) with
    radiation pressure 100 times larger, where the drag's partials reach 1e-2 of the
    velocity's and both coefficients' columns are well above the differences' round-off
    (the real ones are below this test's resolution). Each column within 1e-6 of its
    largest entry, plus the round-off (1e-9 m on states of 4e6 m, over the difference's
    step)."""
    from msrsim.core.orbit_propagation import rk4_advance, rk4_advance_tangent, tangent_work

    table = None
    bc, cra = 0.05, 0.02
    if dense:
        h = np.arange(0.0, 2000e3, 1000.0)
        table = DensityTable(h, math.log(1e-6) - (h - 250e3) / 30e3)
        cra = 2.0
    model = force_model(ET, density=table)
    x0 = _state(alt_km)
    for total in (60.0, 600.0):
        tangent = np.hstack([np.eye(6), np.zeros((6, 2))])
        x = x0.copy()
        rk4_advance_tangent(x, total, 60.0, _kernel_model(model, bc, cra), tangent, tangent_work())
        plain = x0.copy()
        rk4_advance(plain, total, 60.0, _kernel_model(model, bc, cra))
        np.testing.assert_allclose(x, plain, rtol=0, atol=1e-9 * np.abs(plain).max())
        fd = np.empty((6, 8))
        for j, h in enumerate([1.0] * 3 + [1e-3] * 3):
            up, down = x0.copy(), x0.copy()
            up[j] += h
            down[j] -= h
            rk4_advance(up, total, 60.0, _kernel_model(model, bc, cra))
            rk4_advance(down, total, 60.0, _kernel_model(model, bc, cra))
            fd[:, j] = (up - down) / (2 * h)
        for j, (b, c) in enumerate([(0.01 * bc, 0.0), (0.0, 0.01 * cra)]):
            up, down = x0.copy(), x0.copy()
            rk4_advance(up, total, 60.0, _kernel_model(model, bc + b, cra + c))
            rk4_advance(down, total, 60.0, _kernel_model(model, bc - b, cra - c))
            fd[:, 6 + j] = (up - down) / 0.02
        scale = np.abs(fd).max(axis=0)
        steps = np.array([2.0] * 3 + [2e-3] * 3 + [0.02] * 2)
        for j in range(8):
            np.testing.assert_allclose(
                tangent[:, j], fd[:, j], rtol=0, atol=1e-6 * scale[j] + 1e-9 / steps[j]
            )


def test_rows_at_their_own_epochs():
    """A model made for epochs (n,) flies each row in its own Sun geometry: the same as
    flying each row alone with its epoch's model; and the Sun has moved (months apart)."""
    epochs = ET + np.array([0.0, 40.0, 120.0]) * 86400.0
    x0 = np.tile(_state(), (3, 1))
    batch = propagate(x0, 3 * 3600.0, force_model(epochs), 0.01, 0.05)
    for i, et in enumerate(epochs):
        alone = propagate(x0[i : i + 1], 3 * 3600.0, force_model(float(et)), 0.01, 0.05)[0]
        np.testing.assert_array_equal(batch[i], alone)
    assert np.linalg.norm(batch[0] - batch[2]) > 1.0


def test_read_only_inputs_compile_no_second_kernel():
    """One compiled propagator for writeable, read-only and broadcast inputs."""
    from msrsim.core.orbit_propagation import _rk4_kernel

    model = force_model(ET)
    x0 = _state()[None]
    propagate(x0, 60.0, model, 0.01, 0.005)
    frozen = np.array([60.0])
    frozen.flags.writeable = False
    propagate(np.tile(x0, (2, 1)), np.broadcast_to(frozen, (2,)), model, frozen[0], 0.0)
    assert len(_rk4_kernel.signatures) == 1
