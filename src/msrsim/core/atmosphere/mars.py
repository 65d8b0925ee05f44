"""Mars's atmosphere: a Mars-GRAM mean profile, the NASA Glenn fit, density dispersions.

**Mars-GRAM mean profile** (:func:`mars_gram_mean_profile`), -8 to 200 km above the MOLA
areoid. Its data are the seven key rows of a Mars-GRAM mean profile (0-125 km) published
in a public entry-simulation package's data folder (:data:`MARS_GRAM_KEY_ROWS`, as quoted
in msrsim's reference sheet). Between the rows the profile is built to honour every row
exactly and to be hydrostatic everywhere: ``ln p`` is the cubic Hermite interpolant through
the rows with, at each row, the slope that hydrostatic equilibrium gives there::

    d ln p / dh = -g(h) / (R T),    R = p / (rho T) of the row,                    (1)

``R`` is linear in altitude between rows (the rows give 188.9 J/(kg K) up to 60 km, pure
CO2, then 197-201 as lighter species mix in), and temperature and density follow from (1)
and the gas law::

    T(h) = -g(h) / (R(h) d ln p/dh),    rho = p / (R T) = -(dp/dh) / g.            (2)

The rows fix each layer's mean temperature through the thickness of (1); the profile
places a warm layer (up to 184 K) between 60 and 80 km and a cold one (down to 99 K)
between 80 and 100 km where the rows require them. ``g = GM / (R_mean + h)^2`` with
Mars's GM and mean radius (:mod:`msrsim.core.bodies`). Above 125 km the profile continues
isothermal at the 125 km row's 159.3 K and R (exact hydrostatics in inverse-square
gravity, scale height ~9 km) to 200 km, about the exobase; the real dayside thermosphere
warms toward 200-270 K there, so densities near 200 km are likely low by a factor of a few
(representative). Below 0 km (Jezero's floor lies near -2.6 km, Hellas near -7 km) the
row-0 air continues downward with the Glenn lower-atmosphere lapse rate, 0.998 K/km,
integrated hydrostatically. Tabulated every 100 m (log-linear interpolation, rows on
nodes).

**NASA Glenn fit** (:class:`GlennMarsAtmosphere`, [GLENN]_, a fit to Mars Global Surveyor
data)::

    T = -31 - 0.000998 h  (deg C, h < 7000 m),    T = -23.4 - 0.00222 h  (h >= 7000 m)
    p = 0.699 exp(-0.00009 h)  (kPa),    rho = p / (0.1921 (T + 273.1))             (3)

i.e. ``R`` = 192.1 J/(kg K). Its constant 11.1 km pressure scale height drifts from the
Mars-GRAM mean aloft (pressure 1.6 times higher at 20 km, 3.1 times at 40 km), so msrsim
allows it from -8 to 40 km only. The fit's own temperature jumps by 1 K at 7 km.

**Gas**: CO2, specific gas constant ``R* / M_CO2`` = 188.92 J/(kg K) (M_CO2 = 44.0095
g/mol, CODATA R*), which the Mars-GRAM rows reproduce to 0.2 % up to 60 km. The ratio of
specific heats is that of ideal CO2 at the local temperature, rigid rotor plus harmonic
vibrations (:func:`co2_gamma`); it is 1.38 at 150 K, 1.35 at 200 K and 1.32 at 250 K
(the often quoted 1.29 is the 300 K value), within 0.002 of JANAF. Speed of sound
``sqrt(gamma R T)``. Mean free path: hard spheres of CO2's Lennard-Jones diameter 3.941 A
(Svehla 1962).

**Density dispersions** (:data:`MARS_DENSITY_DISPERSION`), log-normal form of
:class:`~msrsim.core.atmosphere.DensityDispersion`, sized on Mars 2020's MEDLI2
reconstruction [MEDLI2]_: density within 12 % of nominal below 40 km, up to 150 % above
nominal in the upper atmosphere. msrsim takes these as 3-sigma bounds: total 1-sigma of
``ln rho`` 0.040 up to 40 km (3 sigma: -11 %/+13 %), growing linearly to 0.30 at 100 km
and held above (3 sigma: x2.46, +146 %); of it, a scale factor (the whole profile denser
or thinner, as a mis-forecast season or dust load would make it) of 1-sigma 0.03 in
``ln rho``, the rest an altitude-correlated perturbation with a 10 km correlation
length. The 3-sigma reading, the split, the ramp altitudes and the correlation length are
msrsim's choices (representative).

**Winds**: none is modelled (zero east and north winds);
:meth:`~msrsim.core.atmosphere.TabulatedAtmosphere.with_winds` is the hook.

References
----------
.. [GLENN] NASA Glenn Research Center, "Mars Atmosphere Model - Metric Units" (Beginner's
   Guide to Rockets), grc.nasa.gov.
.. [MEDLI2] Mars 2020 Entry, Descent and Landing Instrumentation 2 (MEDLI2) atmosphere
   reconstruction, NTRS abstract (as quoted in msrsim's reference sheet).
.. [SVEHLA] Svehla, R. A., "Estimated viscosities and thermal conductivities of gases at
   high temperatures", NASA TR R-132 (1962), Table I (CO2: sigma = 3.941 A).
.. [HERZBERG] Fundamental vibrations of CO2: 1333, 667 (x2), 2349 cm^-1, NIST CCCBDB
   (Herzberg, "Infrared and Raman Spectra", 1945).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.integrate import cumulative_trapezoid
from scipy.interpolate import CubicHermiteSpline

from msrsim.core.atmosphere import (
    AtmosphereState,
    DensityDispersion,
    TabulatedAtmosphere,
    WindDispersion,
    as_altitudes,
    mean_free_path_density,
)
from msrsim.core.bodies import MARS

__all__ = [
    "CO2_GAS_CONSTANT_J_KG_K",
    "GLENN_MARS",
    "MARS_DENSITY_DISPERSION",
    "MARS_GRAM_KEY_ROWS",
    "GlennMarsAtmosphere",
    "co2_gamma",
    "mars_gravity",
    "mars_gram_mean_profile",
]

MOLAR_GAS_CONSTANT = 8.314462618  # J/(mol K), CODATA 2018 (exact since SI 2019)
CO2_MOLAR_MASS_KG_MOL = 44.0095e-3  # IUPAC standard atomic weights
CO2_GAS_CONSTANT_J_KG_K = MOLAR_GAS_CONSTANT / CO2_MOLAR_MASS_KG_MOL  # 188.92
CO2_COLLISION_DIAMETER_M = 3.941e-10  # Lennard-Jones sigma, Svehla 1962
_CO2_MODES_K = 1.4387769 * np.array([1333.0, 667.0, 667.0, 2349.0])  # hc nu / k, K

MARS_GRAM_KEY_ROWS = np.array(
    [
        # altitude km, temperature K, pressure Pa, density kg/m3
        [0.0, 227.5, 566.9, 1.319e-2],
        [20.0, 176.6, 73.12, 2.190e-3],
        [40.0, 137.7, 6.136, 2.357e-4],
        [60.0, 148.3, 0.4905, 1.754e-5],
        [80.0, 131.8, 5.249e-2, 2.022e-6],
        [100.0, 118.8, 1.846e-3, 7.749e-8],
        [125.0, 159.3, 5.203e-5, 1.632e-9],
    ]
)
"""Key rows of a Mars-GRAM mean profile: altitude (km above the MOLA areoid), T, p, rho."""

MARS_GRAM_RANGE_M = (-8_000.0, 200_000.0)
GLENN_LAPSE_K_M = 0.000998  # K/m below 7 km, eq. (3)


def mars_gravity(altitude_m) -> np.ndarray:
    """``GM / (R_mean + h)^2`` (m/s2): spherical Mars, no rotation or J2."""
    r = MARS.mean_radius.value + np.asarray(altitude_m, np.float64)
    return MARS.gm.value / (r * r)


def co2_gamma(temperature_k) -> np.ndarray:
    """Ratio of specific heats of ideal CO2: ``1 + R / c_v``, rigid rotor + harmonic modes.

    ``c_v / R = 5/2 + sum_k x_k^2 e^x_k / (e^x_k - 1)^2``, ``x_k = theta_k / T`` over the
    four vibrational modes (Landau and Lifshitz, "Statistical Physics", sect. 49).
    """
    x = _CO2_MODES_K / np.asarray(temperature_k, np.float64)[..., None]
    e = np.exp(-x)
    cv = 2.5 + np.sum(x * x * e / (1.0 - e) ** 2, axis=-1)
    return 1.0 + 1.0 / cv


@lru_cache(maxsize=4)
def mars_gram_mean_profile(step_m: float = 100.0) -> TabulatedAtmosphere:
    """The Mars-GRAM mean profile, -8 to 200 km, tabulated every ``step_m`` (eqs. 1-2).

    ``step_m`` must divide 1 km so that the key rows fall on nodes.
    """
    if not (step_m > 0 and math.isclose(1000.0 / step_m, round(1000.0 / step_m))):
        raise ValueError(f"step_m must divide 1000 m, got {step_m}")
    lo, hi = MARS_GRAM_RANGE_M
    h = lo + step_m * np.arange(round((hi - lo) / step_m) + 1)
    rows_h = MARS_GRAM_KEY_ROWS[:, 0] * 1e3
    rows_t, rows_p, rows_rho = MARS_GRAM_KEY_ROWS[:, 1:].T
    rows_r = rows_p / (rows_rho * rows_t)
    slopes = -mars_gravity(rows_h) / (rows_r * rows_t)  # eq. (1) at each row
    ln_p_spline = CubicHermiteSpline(rows_h, np.log(rows_p), slopes)

    ln_p = np.empty_like(h)
    temperature = np.empty_like(h)
    gas_constant = np.empty_like(h)

    inside = (h >= rows_h[0]) & (h <= rows_h[-1])
    hi_ = h[inside]
    ln_p[inside] = ln_p_spline(hi_)
    gas_constant[inside] = np.interp(hi_, rows_h, rows_r)
    temperature[inside] = -mars_gravity(hi_) / (
        gas_constant[inside] * ln_p_spline(hi_, 1)
    )  # eq. (2)

    above = h > rows_h[-1]  # isothermal, exact in inverse-square gravity
    gm, radius = MARS.gm.value, MARS.mean_radius.value
    temperature[above] = rows_t[-1]
    gas_constant[above] = rows_r[-1]
    ln_p[above] = np.log(rows_p[-1]) - gm / (rows_r[-1] * rows_t[-1]) * (
        1.0 / (radius + rows_h[-1]) - 1.0 / (radius + h[above])
    )

    below = h < rows_h[0]  # Glenn lapse rate, integrated down from the 0 km row
    down = h[below][::-1]
    down = np.concatenate([[rows_h[0]], down])
    t_down = rows_t[0] - GLENN_LAPSE_K_M * (down - rows_h[0])
    integrand = -mars_gravity(down) / (rows_r[0] * t_down)  # eq. (1)
    ln_p_down = np.log(rows_p[0]) + cumulative_trapezoid(integrand, down, initial=0.0)
    ln_p[below] = ln_p_down[1:][::-1]
    temperature[below] = t_down[1:][::-1]
    gas_constant[below] = rows_r[0]

    log_density = ln_p - np.log(gas_constant * temperature)  # eq. (2)
    return TabulatedAtmosphere(
        altitude_m=h,
        log_density=log_density,
        temperature_k=temperature,
        gas_constant_j_kg_k=gas_constant,
        gamma=co2_gamma(temperature),
        mean_free_path_density_kg_m2=mean_free_path_density(
            CO2_MOLAR_MASS_KG_MOL, CO2_COLLISION_DIAMETER_M
        ),
        source=f"Mars-GRAM mean profile key rows, hydrostatic Hermite, {step_m:g} m grid",
    )


class GlennMarsAtmosphere:
    """The NASA Glenn fit to Mars Global Surveyor data, eq. (3), -8 to 40 km. Zero winds."""

    altitude_range_m = (-8_000.0, 40_000.0)
    mean_free_path_density_kg_m2 = mean_free_path_density(
        CO2_MOLAR_MASS_KG_MOL, CO2_COLLISION_DIAMETER_M
    )
    source = "NASA Glenn Mars Atmosphere Model (fit to MGS data)"

    def __call__(self, altitude_m) -> AtmosphereState:
        h = as_altitudes(altitude_m, self.altitude_range_m)
        celsius = np.where(h < 7000.0, -31.0 - 0.000998 * h, -23.4 - 0.00222 * h)  # eq. (3)
        pressure = 699.0 * np.exp(-0.00009 * h)
        density = pressure / (192.1 * (celsius + 273.1))
        temperature = celsius + 273.15
        gas_constant = pressure / (density * temperature)
        gamma = co2_gamma(temperature)
        zero = np.zeros_like(h)
        return AtmosphereState(
            density_kg_m3=density,
            pressure_pa=pressure,
            temperature_k=temperature,
            speed_of_sound_m_s=np.sqrt(gamma * gas_constant * temperature),
            gas_constant_j_kg_k=gas_constant,
            gamma=gamma,
            wind_east_m_s=zero,
            wind_north_m_s=zero.copy(),
        )


GLENN_MARS = GlennMarsAtmosphere()

_LN_SIGMA_LOW, _LN_SIGMA_HIGH, _LN_SIGMA_SCALE = 0.040, 0.30, 0.03
MARS_DENSITY_DISPERSION = DensityDispersion(
    sigma_altitude_m=np.array([0.0, 40e3, 100e3]),
    sigma=np.sqrt(
        np.array([_LN_SIGMA_LOW, _LN_SIGMA_LOW, _LN_SIGMA_HIGH]) ** 2 - _LN_SIGMA_SCALE**2
    ),
    correlation_length_m=10e3,
    scale_factor_sigma=_LN_SIGMA_SCALE,
    lognormal=True,
    source="sized on Mars 2020 MEDLI2 (within 12 % below 40 km, up to +150 % aloft, as "
    "3 sigma): ln-sigma 0.04 to 40 km, 0.30 from 100 km, scale factor 0.03, 10 km "
    "correlation (representative)",
)

MARS_WIND_DISPERSION = WindDispersion(
    sigma_altitude_m=np.array([0.0, 10e3, 40e3, 100e3]),
    sigma_m_s=np.array([5.0, 10.0, 20.0, 30.0]),
    correlation_length_m=5e3,
    source="representative 1-sigma per horizontal component, 5 m/s at the surface to 30 m/s "
    "at 100 km: the order of the winds Mars-GRAM and the Mars Climate Database give at low "
    "latitudes (tens of m/s aloft); 5 km vertical correlation",
)
