"""Solid motors: thrust-curve shapes, temperature sensitivity, nozzle back-pressure."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from msrsim.core.bodies import G0_M_S2
from msrsim.core.solid_motor import (
    THRUST_CURVE_SHAPES,
    SolidMotor,
    burnt_fraction,
    mass_flow_shape,
    pressure_sensitivity,
)


def motor(**changes):
    figures = dict(
        name="SRM1",
        propellant_mass_kg=228.0,
        inert_mass_kg=42.0,
        vacuum_specific_impulse_s=285.0,
        burn_time_s=70.0,
        shape="neutral",
        nozzle_exit_diameter_m=0.40,
        exit_pressure_pa=8000.0,
        burn_rate_exponent=0.35,
        temperature_sensitivity_per_k=0.0015,
        reference_temperature_c=-20.0,
    )
    figures.update(changes)
    return SolidMotor(**figures)


@pytest.mark.parametrize("name", sorted(THRUST_CURVE_SHAPES))
def test_shapes_are_normalised_and_burnt_fraction_is_their_integral(name):
    grid, s = THRUST_CURVE_SHAPES[name]
    assert grid[0] == 0.0 and grid[-1] == 1.0 and s[0] == 0.0 and s[-1] == 0.0
    assert np.all(s >= 0.0)
    # quad on each linear piece is exact to round-off: 1e-12
    area = sum(
        quad(lambda t: mass_flow_shape(t, name), a, b)[0]
        for a, b in zip(grid[:-1], grid[1:], strict=True)
    )
    assert area == pytest.approx(1.0, abs=1e-12)
    tau = np.linspace(0.0, 1.0, 101)
    numeric = [
        sum(
            quad(lambda t: mass_flow_shape(t, name), a, min(b, x))[0]
            for a, b in zip(grid[:-1], grid[1:], strict=True)
            if a < x
        )
        for x in tau
    ]
    np.testing.assert_allclose(burnt_fraction(tau, name), numeric, atol=1e-12)
    assert np.all(np.diff(burnt_fraction(tau, name)) >= 0.0)


def test_shape_families_have_their_trend():
    mid = np.array([0.2, 0.8])
    assert np.ptp(mass_flow_shape(mid, "neutral")) == pytest.approx(0.0, abs=1e-12)
    rising, falling = mass_flow_shape(mid, "progressive"), mass_flow_shape(mid, "regressive")
    assert rising[1] > rising[0] and falling[1] < falling[0]
    boost = mass_flow_shape(np.array([0.1, 0.5]), "boost_sustain")
    assert boost[0] == pytest.approx(2.0 * boost[1])


def test_pressure_sensitivity_is_sutton_eq_12_9():
    # pi_K = sigma_p / (1 - n): 0.0015 / 0.65 = 0.0023077 /K
    assert pressure_sensitivity(0.0015, 0.35) == pytest.approx(0.0015 / 0.65, rel=1e-15)
    with pytest.raises(ValueError, match="burn rate exponent"):
        pressure_sensitivity(0.0015, 1.0)


@pytest.mark.parametrize("temperature_c", [-40.0, -20.0, 0.0])
def test_total_impulse_in_vacuum_is_independent_of_temperature(temperature_c):
    m = motor(shape="progressive")
    tb = float(m.burn_time_at(temperature_c))
    grid = THRUST_CURVE_SHAPES["progressive"][0] * tb
    impulse = sum(
        quad(lambda t: float(m.thrust(t, 0.0, temperature_c)), a, b, epsabs=1e-6)[0]
        for a, b in zip(grid[:-1], grid[1:], strict=True)
    )
    # I = m_p g0 Isp, exact for a piecewise-linear curve: 1e-9 relative
    assert impulse == pytest.approx(228.0 * G0_M_S2 * 285.0, rel=1e-9)


def test_cold_motor_burns_longer_with_less_thrust():
    m = motor()
    pi_k = 0.0015 / 0.65
    cold, ref, warm = (float(m.burn_time_at(t)) for t in (-40.0, -20.0, 0.0))
    assert ref == 70.0
    assert cold == pytest.approx(70.0 * math.exp(20.0 * pi_k), rel=1e-12)
    assert warm == pytest.approx(70.0 * math.exp(-20.0 * pi_k), rel=1e-12)
    # mid-burn thrust scales as exp(pi_K dT): ~4.7 % per 20 K
    f_cold, f_ref = (float(m.thrust(20.0, 0.0, t)) for t in (-40.0, -20.0))
    assert f_cold / f_ref == pytest.approx(math.exp(-20.0 * pi_k), rel=1e-12)


def test_thrust_equation_and_back_pressure():
    m = motor()
    t = np.linspace(0.5, 69.0, 50)
    mdot = m.mass_flow(t)
    pe = m.exit_pressure(t)
    for p_amb in (0.0, 600.0):
        # F = mdot c_j + (p_e - p_a) A_e  (Sutton and Biblarz eq. 2-14)
        expected = mdot * m.jet_speed_m_s + (pe - p_amb) * m.exit_area_m2
        np.testing.assert_allclose(m.thrust(t, p_amb), expected, rtol=1e-12)
    np.testing.assert_allclose(
        m.thrust(t, 0.0) - m.thrust(t, 600.0), 600.0 * m.exit_area_m2, rtol=1e-12
    )
    assert float(m.thrust(80.0)) == 0.0 and float(m.thrust(-1.0)) == 0.0
    # at the surface in tail-off the thrust is floored at zero, not negative
    assert float(m.thrust(69.99, 1e6)) == 0.0


def test_bad_figures_are_refused():
    with pytest.raises(ValueError, match="thrust curve shape 'flat'"):
        motor(shape="flat")
    with pytest.raises(ValueError, match="leaves no jet speed"):
        motor(exit_pressure_pa=1e6)
    with pytest.raises(ValueError, match="burn_time_s = 0"):
        motor(burn_time_s=0.0)
