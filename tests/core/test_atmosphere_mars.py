"""core.atmosphere.mars: the Mars-GRAM mean profile's construction, the Glenn fit, CO2 gas
properties and the MEDLI2-sized density dispersions."""

import numpy as np
import pytest

from msrsim.core.atmosphere.mars import (
    CO2_GAS_CONSTANT_J_KG_K,
    GLENN_MARS,
    MARS_DENSITY_DISPERSION,
    MARS_GRAM_KEY_ROWS,
    co2_gamma,
    mars_gram_mean_profile,
    mars_gravity,
)

PROFILE = mars_gram_mean_profile()
RNG = np.random.default_rng(42)


def test_profile_spans_the_surface_to_the_exobase():
    assert PROFILE.altitude_range_m == (-8000.0, 200_000.0)
    assert PROFILE.altitude_m.size == 2081  # 100 m grid


def test_hydrostatic_everywhere():
    # Built hydrostatic (eqs. 1-2); what remains is the log-linear interpolation of the 100 m
    # table, probed mid-cell with a 1 m central difference (measured 1.2e-5).
    z = np.arange(-7950.0, 199_900.0, 100.0)
    dp_dz = (PROFILE(z + 1.0).pressure_pa - PROFILE(z - 1.0).pressure_pa) / 2.0
    rho_g = PROFILE(z).density_kg_m3 * mars_gravity(z)
    np.testing.assert_allclose(dp_dz, -rho_g, rtol=3e-5)


def test_density_and_pressure_decrease_with_altitude():
    z = np.linspace(-8e3, 200e3, 50_001)
    s = PROFILE(z)
    assert np.all(np.diff(s.density_kg_m3) < 0) and np.all(np.diff(s.pressure_pa) < 0)


def test_temperature_is_continuous_and_plausible():
    t = PROFILE.temperature_k
    # the rows force a warm 60-80 km layer (184 K) and a cold 80-100 km one (99 K)
    assert 98.0 < t.min() and t.max() < 236.0
    assert np.max(np.abs(np.diff(t))) < 1.0  # K per 100 m: no jump anywhere
    top = PROFILE(np.array([125e3, 150e3, 200e3]))
    np.testing.assert_allclose(top.temperature_k, 159.3)  # isothermal above 125 km
    # below the areoid the Glenn lapse rate, 0.998 K/km, continues the 0 km row
    assert PROFILE(-8000.0).temperature_k == pytest.approx(227.5 + 8 * 0.998, rel=1e-12)


def test_gas_constant_is_co2_in_the_lower_atmosphere():
    rows = MARS_GRAM_KEY_ROWS
    r_rows = rows[:, 2] / (rows[:, 3] * rows[:, 1])
    # pure CO2 (188.92) to 0.2 % up to 60 km (the rows' 4 printed digits), lighter above
    np.testing.assert_allclose(r_rows[:4], CO2_GAS_CONSTANT_J_KG_K, rtol=2e-3)
    assert np.all(r_rows[4:] > 196.0)
    assert CO2_GAS_CONSTANT_J_KG_K == pytest.approx(188.92, abs=0.01)


def test_co2_gamma_against_janaf():
    # JANAF (Chase 1998) CO2 ideal-gas Cp: 32.359 J/(mol K) at 200 K, 37.135 at 298.15 K;
    # gamma = Cp / (Cp - R). The harmonic model leaves out anharmonicity: within 0.002.
    r = 8.314462618
    for t, cp in ((200.0, 32.359), (298.15, 37.135)):
        assert co2_gamma(t) == pytest.approx(cp / (cp - r), abs=2e-3)
    g = co2_gamma(np.array([150.0, 200.0, 250.0]))
    assert np.all(np.diff(g) < 0) and g.shape == (3,)
    s = PROFILE(np.array([0.0, 60e3]))
    np.testing.assert_allclose(s.gamma, co2_gamma(s.temperature_k), rtol=1e-4)
    np.testing.assert_allclose(
        s.speed_of_sound_m_s, np.sqrt(s.gamma * s.gas_constant_j_kg_k * s.temperature_k)
    )
    # Perseverance's microphone heard ~240 m/s near the ground (Maurice et al., Nature 605,
    # 653, 2022: 237-257 m/s with frequency and time of day)
    assert 235.0 < s.speed_of_sound_m_s[0] < 245.0


def test_glenn_fit_against_the_gram_profile():
    z = np.array([0.0, 20e3, 40e3])
    ratio = GLENN_MARS(z).density_kg_m3 / PROFILE(z).density_kg_m3
    # measured 1.14, 1.34, 2.62: the fit's constant 11.1 km scale height
    np.testing.assert_allclose(ratio, [1.14, 1.34, 2.62], rtol=0.01)
    s = GLENN_MARS(z)
    np.testing.assert_allclose(
        s.pressure_pa, s.density_kg_m3 * s.gas_constant_j_kg_k * s.temperature_k, rtol=1e-12
    )
    # R = 192.1 (T_C + 273.1) / (T_C + 273.15): the fit writes 273.1 for the kelvin offset
    np.testing.assert_allclose(s.gas_constant_j_kg_k, 192.1, rtol=4e-4)


def test_single_altitudes_equal_the_batch():
    z = RNG.uniform(-8e3, 200e3, 30)
    batch = PROFILE(z)
    for k in (0, 13, 29):
        assert PROFILE(z[k]).density_kg_m3 == batch.density_kg_m3[k]
    z = RNG.uniform(-8e3, 40e3, 30)
    glenn = GLENN_MARS(z)
    assert GLENN_MARS(z[7]).pressure_pa == glenn.pressure_pa[7]
    assert GLENN_MARS(z.reshape(3, 10)).density_kg_m3.shape == (3, 10)


@pytest.mark.parametrize("bad", [np.nan, -8001.0, 200_001.0])
def test_profile_refuses_bad_altitudes(bad):
    with pytest.raises(ValueError, match="between -8000 and 200000 m"):
        PROFILE(np.array([0.0, bad]))


@pytest.mark.parametrize("bad", [np.nan, -8001.0, 40_001.0])
def test_glenn_refuses_bad_altitudes(bad):
    with pytest.raises(ValueError, match="between -8000 and 40000 m"):
        GLENN_MARS(bad)


def test_grid_step_must_put_rows_on_nodes():
    with pytest.raises(ValueError, match="divide 1000 m"):
        mars_gram_mean_profile(300.0)
    coarse = mars_gram_mean_profile(500.0)
    rows = MARS_GRAM_KEY_ROWS
    np.testing.assert_allclose(coarse(rows[:, 0] * 1e3).density_kg_m3, rows[:, 3], rtol=1e-12)


# --- dispersions ----------------------------------------------------------------------

LEVELS = np.arange(0.0, 150e3 + 1.0, 2e3)


def test_mars_dispersion_statistics():
    n = 20_000
    d = MARS_DENSITY_DISPERSION
    f = d.draw(np.random.default_rng(11), n, LEVELS)
    ln_f = np.log(f)
    sigma_total = np.sqrt(d.scale_factor_sigma**2 + d.sigma_at(LEVELS) ** 2)
    # log-normal of mean 1: ln f has mean -sigma^2 / 2 and std sigma_total
    np.testing.assert_allclose(ln_f.std(axis=0), sigma_total, rtol=0.04)
    rel_std = np.sqrt(np.exp(sigma_total**2) - 1.0)
    assert np.all(np.abs(f.mean(axis=0) - 1.0) < 4.5 * rel_std / np.sqrt(n))
    # the sizing: 0.040 up to 40 km, 0.30 from 100 km (total 1-sigma of ln rho)
    np.testing.assert_allclose(sigma_total[LEVELS <= 40e3], 0.040, rtol=1e-12)
    np.testing.assert_allclose(sigma_total[LEVELS >= 100e3], 0.30, rtol=1e-12)
    # 3-sigma bounds in density: -11 %/+13 % low down, x2.46 (+146 %) aloft (MEDLI2)
    q = np.quantile(f, [0.00135, 0.99865], axis=0)
    assert np.all((q[0, LEVELS <= 40e3] > 0.86) & (q[1, LEVELS <= 40e3] < 1.15))
    assert np.all((q[1, LEVELS >= 100e3] > 2.1) & (q[1, LEVELS >= 100e3] < 2.8))
    # correlation of ln f between levels: (s^2 + s1 s2 exp(-dh / L)) / (S1 S2)
    s, sig = d.scale_factor_sigma, d.sigma_at(LEVELS)
    for k, lag in ((5, 1), (5, 5), (55, 5), (60, 10)):
        expected = (s * s + sig[k] * sig[k + lag] * np.exp(-2e3 * lag / 10e3)) / (
            sigma_total[k] * sigma_total[k + lag]
        )
        r = np.corrcoef(ln_f[:, k], ln_f[:, k + lag])[0, 1]
        assert r == pytest.approx(expected, abs=0.03)


def test_mars_dispersion_on_the_profile():
    grid = np.arange(-8e3, 200e3 + 1.0, 1e3)
    n = 100
    dispersed = MARS_DENSITY_DISPERSION.apply(PROFILE, np.random.default_rng(3), n, grid)
    again = MARS_DENSITY_DISPERSION.apply(PROFILE, np.random.default_rng(3), n, grid)
    np.testing.assert_array_equal(dispersed.log_density, again.log_density)
    z = np.full(n, 120e3)
    ratio = dispersed(z).density_kg_m3 / PROFILE(z).density_kg_m3
    assert ratio.min() > 0 and 0.22 < np.std(np.log(ratio)) < 0.38  # 0.30, n = 100
    assert "MEDLI2" in dispersed.source
