"""Earth's atmosphere: US Standard Atmosphere 1976, NRLMSIS 2.1, density and wind dispersions.

**US Standard Atmosphere 1976** [USSA76]_, -5 to 1000 km geometric altitude ``Z``.

Below 86 km the air is mixed (``M0`` = 28.9644 kg/kmol) and the molecular-scale
temperature is linear in geopotential altitude ``H`` in seven layers::

    H = r0 Z / (r0 + Z),   r0 = 6356.766 km                                        (18)
    T_M = T_M,b + L_M,b (H - H_b)                                                  (23)
    P = P_b [T_M,b / T_M]^(g0' M0 / (R* L_M,b))        (L_M,b != 0)              (33a)
    P = P_b exp[-g0' M0 (H - H_b) / (R* T_M,b)]         (L_M,b == 0)             (33b)
    rho = P M0 / (R* T_M),   C_s = (gamma R* T_M / M0)^(1/2),  gamma = 1.40    (42), (50)

with ``H_b`` = 0, 11, 20, 32, 47, 51, 71 km', ``L_M,b`` = -6.5, 0, 1, 2.8, 0, -2.8, -2.0
K/km', T_M,0 = 288.15 K, P_0 = 101325 Pa; ``T_M,b`` and ``P_b`` follow by continuity.
Both pressure forms are evaluated as one, ``ln P = ln P_b - (g0' M0 / R*) (H - H_b) /
T_M,b * ln(1 + x) / x`` with ``x = L_M,b (H - H_b) / T_M,b`` (-> 1 as ``x`` -> 0). The
kinetic temperature is ``T = T_M (M / M0)``, the ratio ``M / M0`` taken from the
document's table for 80-86 km (1 below).

From 86 to 1000 km the kinetic temperature is defined in geometric altitude: isothermal
186.8673 K to 91 km (25), an ellipse to 110 km (27), +12 K/km to 120 km (29), and
``T = T_inf - (T_inf - T10) exp(-lambda xi)``, ``xi = (Z - Z10)(r0 + Z10)/(r0 + Z)``
above (31), T_inf = 1000 K, lambda = 0.01875 /km. The number densities of N2, O, O2,
Ar, He follow from diffusion with eddy mixing and vertical transport::

    n_i(Z) = n_i(86 km) (T7 / T) exp(-int_86^Z f_i dZ),
    f_i = g / (R* T) D_i / (D_i + K) (M_i + M K / D_i + alpha_i R* T' / g) + v_i / (D_i + K)
                                                                                  (36)
    v_i / (D_i + K) = Q_i (Z - U_i)^2 exp[-W_i (Z - U_i)^3]
                      + q_i (u_i - Z)^2 exp[-w_i (u_i - Z)^3]   (to 150 km)     (37)

``D_i = a_i / n_b (T / 273.15)^b_i`` in the background ``n_b`` (N2 for O and O2; N2 + O
+ O2 for Ar and He), eddy diffusion ``K`` = 120 m2/s to 95 km, ``120 exp(1 - 400 /
(400 - (Z - 95)^2))`` (Z in km) to 115 km, 0 above; N2 uses ``f = M g / (R* T)``. The
``M`` of eq. (36) is ``M0`` up to 100 km; above, ``M_N2`` for N2, O and O2 and the mean
molar mass of N2 + O + O2 for Ar and He. With this reading the document's tables are
reproduced to 3e-4 in density (their 4 printed digits) and 5e-5 in pressure from 86 to
1000 km; taking ``M_N2`` for O below 100 km instead, as ussa1976 0.3.4 does, gives
densities up to 7 % above the printed ones at 400-500 km.
Hydrogen, from 150 km, with the escape flux ``phi`` = 7.2e11 m-2 s-1::

    n_H(Z) = [n_H(500) + int_Z^500 (phi / D_H) (T / T11)^(1 + alpha_H) e^tau dZ]
             (T11 / T)^(1 + alpha_H) e^-tau,    tau(Z) = int_500^Z M_H g / (R* T) dZ   (39), (40)

(the integral term only below 500 km). Then ``P = sum(n_i) k T`` (33c) and ``rho =
sum(n_i M_i) / N_A`` (42). The integrals are done once, by the trapezoid rule on a 50 m
grid with a double node at 100 km where ``M`` jumps (second order: 1.6e-6 against a 5 m
grid), and the result is tabulated on that grid (log-linear interpolation, a few 1e-6).
The species each follow their own equation (36), so the total is hydrostatic only to
1.5 % at 86-115 km (eddy mixing, transport of O), 0.1 % to 150 km and 1e-4 above. At
86 km the two definitions meet within 1.1e-5 in pressure and 8e-6 in density. Above
86 km the document gives no speed of sound; msrsim uses ``sqrt(1.4 R T)`` with the local
``R = P / (rho T)`` (Mach number matters only in continuum flow, below ~90 km).

Constants are the document's (R* = 8314.32 J/(kmol K), N_A = 6.022169e26 /kmol,
k = 1.380622e-23 J/K, g0 = 9.80665 m/s2), not the 2019 SI values.

**NRLMSIS 2.1** [MSIS]_ through ``pymsis``: a profile for one date and place, computed once
on a grid and then interpolated (:func:`nrlmsis`). F10.7, its 81-day mean and Ap are
always passed explicitly (:class:`SpaceWeather`), so pymsis never reads or downloads a
space-weather file. The default, F10.7 = F10.7a = 150 sfu and Ap = 4, is the moderate
activity of the NRLMSISE-00 test driver's inputs, the level the 1976 standard stands for
(T_inf = 1000 K). Against USSA76 at 45 N (2033, four seasons) NRLMSIS 2.1 density is
within 3 % below 30 km, 0.65-1.12 times at 50-100 km (season), 0.7-1.0 at 120-200 km and
1.0-2.4 at 300-800 km (local time, season; its T_inf is 1134 K at F10.7 = 150); F10.7 =
70 and 250 give 0.36 and 5.3 times USSA76 at 400 km.

**Density dispersions**: :data:`EARTH_DENSITY_DISPERSION`, linear form of
:class:`~msrsim.core.atmosphere.DensityDispersion`, 1-sigma 2 % at the ground growing to
15 % at 100 km and above, vertical correlation length 10 km. Representative: the shape
follows the growth with altitude of Earth-GRAM's density standard deviations [GRAM]_
(about 5-15 % at 60-100 km), the numbers are msrsim's choice, not read from GRAM output.
Above ~150 km the larger uncertainty is solar activity, better spanned with
:func:`nrlmsis` at several F10.7.

**Winds**: no mean wind is modelled (NRLMSIS and USSA76 carry none; HWM14 has no
maintained package on the index): every profile has zero east and north winds unless one
is given (:meth:`~msrsim.core.atmosphere.TabulatedAtmosphere.with_winds`, a measured or
forecast profile). :data:`EARTH_WIND_DISPERSION` disperses them about that mean with a
:class:`~msrsim.core.atmosphere.WindDispersion`: 1-sigma per component 4 m/s at the ground,
12 m/s at the jet stream, 6 m/s in the lower stratosphere, 20-30 m/s at 60-100 km, 4 km
vertical correlation. Representative: about a third of the monthly-mean mid-latitude winds
of CIRA-86 (Fleming et al., NASA TM-100697, 1988), msrsim's choice.

References
----------
.. [USSA76] NOAA, NASA, USAF, "U.S. Standard Atmosphere, 1976", NOAA-S/T 76-1562
   (NASA-TM-X-74335), Washington, 1976. Equation numbers are the document's.
.. [MSIS] Emmert, J. T., et al., "NRLMSIS 2.0: A whole-atmosphere empirical model of
   temperature and neutral species densities", Earth Space Sci. 8, e2020EA001321 (2021);
   NRLMSIS 2.1: Emmert et al., JGR Space Physics 127, e2022JA030896 (2022).
.. [GRAM] Leslie, F. W., Justus, C. G., "The NASA Marshall Space Flight Center Earth Global
   Reference Atmospheric Model - 2010 Version", NASA/TM-2011-216467 (2011).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.integrate import cumulative_trapezoid

from msrsim.core.atmosphere import (
    BOLTZMANN_J_K,
    AtmosphereState,
    DensityDispersion,
    TabulatedAtmosphere,
    WindDispersion,
    as_altitudes,
    mean_free_path_density,
)

__all__ = [
    "EARTH_DENSITY_DISPERSION",
    "EARTH_WIND_DISPERSION",
    "MODERATE_SPACE_WEATHER",
    "US76",
    "SpaceWeather",
    "USStandardAtmosphere1976",
    "nrlmsis",
    "upper_atmosphere_table",
]

# Constants of the 1976 document (kmol-based).
R_STAR = 8314.32  # J / (kmol K)
N_A = 6.022169e26  # 1 / kmol
K_BOLTZMANN = 1.380622e-23  # J / K
G0 = 9.80665  # m/s2 (and m2/(s2 m') for geopotential)
R0 = 6_356_766.0  # m, effective Earth radius
M0 = 28.9644  # kg/kmol, sea-level mean molar mass
GAMMA_AIR = 1.40
COLLISION_DIAMETER_M = 3.65e-10  # mean effective collision diameter of air
GAS_CONSTANT_AIR = R_STAR / M0  # 287.053 J/(kg K)

# Lower atmosphere: bases of the seven layers (geopotential, m') and lapse rates (K/m').
_H_B = np.array([0.0, 11e3, 20e3, 32e3, 47e3, 51e3, 71e3])
_L_B = np.array([-6.5e-3, 0.0, 1.0e-3, 2.8e-3, 0.0, -2.8e-3, -2.0e-3])
_GMR = G0 * M0 / R_STAR  # K/m', the hydrostatic constant


def _layer_bases() -> tuple[np.ndarray, np.ndarray]:
    """``T_M,b`` and ``ln P_b`` of each layer by continuity from sea level, eqs. (23), (33)."""
    t_b = np.empty(7)
    ln_p_b = np.empty(7)
    t_b[0], ln_p_b[0] = 288.15, math.log(101_325.0)
    for b in range(1, 7):
        dh = _H_B[b] - _H_B[b - 1]
        t_b[b] = t_b[b - 1] + _L_B[b - 1] * dh
        ln_p_b[b] = ln_p_b[b - 1] - _GMR * dh / t_b[b - 1] * _log1p_ratio(
            np.array(_L_B[b - 1] * dh / t_b[b - 1])
        )
    return t_b, ln_p_b


def _log1p_ratio(x: np.ndarray) -> np.ndarray:
    """``ln(1 + x) / x``, 1 at ``x = 0`` (joins eqs. 33a and 33b)."""
    nonzero = x != 0.0
    return np.where(nonzero, np.log1p(x) / np.where(nonzero, x, 1.0), 1.0)


_T_B, _LN_P_B = _layer_bases()

# M/M0 from 80 to 86 km geometric altitude, every 0.5 km (the document's table).
_Z_MRATIO = np.arange(80e3, 86e3 + 1.0, 500.0)
_M_RATIO = np.array([1.0, 0.999996, 0.999989, 0.999971, 0.999941, 0.999909, 0.999870,
                     0.999829, 0.999786, 0.999741, 0.999694, 0.999641, 0.999579])  # fmt: skip

# Upper atmosphere (Z in m unless said).
Z7, Z8, Z9, Z10, Z11, Z12 = 86e3, 91e3, 110e3, 120e3, 500e3, 1000e3
T7, T9, T10, T_INF = 186.8673, 240.0, 360.0, 1000.0
_TC, _A8, _SMALL_A8 = 263.1905, -76.3232, -19942.9  # eq. (27): Tc, A, a (m)
_LK9 = 12.0e-3  # K/m
_LAMBDA = _LK9 / (T_INF - T10)  # 1/m, eq. (31)
_SPECIES = ("N2", "O", "O2", "Ar", "He", "H")
_MOLAR_MASS = {"N2": 28.0134, "O": 15.9994, "O2": 31.9988, "Ar": 39.948, "He": 4.0026,
               "H": 1.00797}  # fmt: skip
_N7 = {"N2": 1.129794e20, "O": 8.6e16, "O2": 3.030898e19, "Ar": 1.3514e18, "He": 7.5817e14}
_A_DIFF = {"O": 6.986e20, "O2": 4.863e20, "Ar": 4.487e20, "He": 1.7e21, "H": 3.305e21}
_B_DIFF = {"O": 0.75, "O2": 0.75, "Ar": 0.87, "He": 0.691, "H": 0.5}
_ALPHA = {"O": 0.0, "O2": 0.0, "Ar": 0.0, "He": -0.4, "H": -0.25}
# Vertical transport, eq. (37): Q (km^-3), U (km), W (km^-3); O also q, u, w.
_QUW = {
    "O": (-5.809644e-4, 56.90311, 2.706240e-5),
    "O2": (1.366212e-4, 86.0, 8.333333e-5),
    "Ar": (9.434079e-5, 86.0, 8.333333e-5),
    "He": (-2.457369e-4, 86.0, 6.666667e-4),
}
_QUW_O_LOW = (-3.416248e-3, 97.0, 5.008765e-4)
_K7 = 120.0  # m2/s
_PHI = 7.2e11  # 1/(m2 s)
_N_H_500 = 8.0e10  # 1/m3


def _upper_temperature(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kinetic temperature and its gradient (K/m), 86-1000 km, eqs. (25)-(31)."""
    u = np.clip((z - Z8) / _SMALL_A8, -0.999999, 0.0)
    root = np.sqrt(1.0 - u * u)
    xi = (z - Z10) * (R0 + Z10) / (R0 + z)
    decay = np.exp(-_LAMBDA * xi)
    conditions = [z <= Z8, z <= Z9, z <= Z10]
    t = np.select(
        conditions,
        [np.full_like(z, T7), _TC + _A8 * root, T9 + _LK9 * (z - Z9)],  # (25), (27), (29)
        T_INF - (T_INF - T10) * decay,  # (31)
    )
    dt = np.select(
        conditions,
        [np.zeros_like(z), -_A8 / _SMALL_A8 * u / root, np.full_like(z, _LK9)],
        _LAMBDA * (T_INF - T10) * ((R0 + Z10) / (R0 + z)) ** 2 * decay,
    )
    return t, dt


def _transport(z_km: np.ndarray, species: str) -> np.ndarray:
    """``v_i / (D_i + K)`` in 1/m, eq. (37); zero above 150 km as the document says."""
    out = np.zeros_like(z_km)
    low = z_km <= 150.0
    q, u, w = _QUW[species]
    d = z_km[low] - u
    out[low] = q * d * d * np.exp(-w * d**3)
    if species == "O":
        q, u, w = _QUW_O_LOW
        below = z_km <= u
        d = u - z_km[below]
        out[below] += q * d * d * np.exp(-w * d**3)
    return out * 1e-3


def _number_densities(step_m: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Number densities (1/m3) of the six species on a grid from 86 to 1000 km, eqs. (36)-(40).

    The grid has a double node at 100 km: the first copy belongs to the layer below (``M =
    M0``), the second to the layer above, so the trapezoid rule never straddles the jump.
    """
    lower = np.arange(Z7, 100e3 + step_m / 2, step_m)
    z = np.concatenate([lower, np.arange(100e3, Z12 + step_m / 2, step_m)])
    above_100 = np.arange(z.size) >= lower.size
    t, dt = _upper_temperature(z)
    g = G0 * (R0 / (R0 + z)) ** 2
    z_km = z / 1e3
    mixing = (z_km >= 95.0) & (z_km < 115.0)
    k_eddy = np.where(z_km < 95.0, _K7, 0.0)
    k_eddy[mixing] = _K7 * np.exp(1.0 - 400.0 / (400.0 - (z_km[mixing] - 95.0) ** 2))
    hydrostatic = g / (R_STAR * t)  # 1/(m kg/kmol)

    def integrate(f):
        return cumulative_trapezoid(f, z, initial=0.0)

    def diffusing(species, background, m_mean):  # eq. (36)
        d = _A_DIFF[species] / background * (t / 273.15) ** _B_DIFF[species]
        f = hydrostatic * d / (d + k_eddy) * (
            _MOLAR_MASS[species] + m_mean * k_eddy / d + _ALPHA[species] * R_STAR * dt / g
        ) + _transport(z_km, species)
        return _N7[species] * (T7 / t) * np.exp(-integrate(f))

    m_n2 = np.where(above_100, _MOLAR_MASS["N2"], M0)
    n = {"N2": _N7["N2"] * (T7 / t) * np.exp(-integrate(m_n2 * hydrostatic))}
    n["O"] = diffusing("O", n["N2"], m_n2)
    n["O2"] = diffusing("O2", n["N2"], m_n2)
    mixed = n["N2"] + n["O"] + n["O2"]
    m_mixed = sum(n[s] * _MOLAR_MASS[s] for s in ("N2", "O", "O2")) / mixed
    n["Ar"] = diffusing("Ar", mixed, np.where(above_100, m_mixed, M0))
    n["He"] = diffusing("He", mixed, np.where(above_100, m_mixed, M0))

    # Hydrogen from 150 km, eqs. (39), (40).
    i500 = np.searchsorted(z, Z11)
    t11 = t[i500]
    tau = integrate(_MOLAR_MASS["H"] * hydrostatic)
    tau -= tau[i500]
    d_h = _A_DIFF["H"] / sum(n[s] for s in _SPECIES[:5]) * (t / 273.15) ** _B_DIFF["H"]
    exponent = 1.0 + _ALPHA["H"]
    flux = integrate(_PHI / d_h * (t / t11) ** exponent * np.exp(tau))
    flux_to_500 = np.where(z <= Z11, flux[i500] - flux, 0.0)
    n_h = (_N_H_500 + flux_to_500) * (t11 / t) ** exponent * np.exp(-tau)
    n["H"] = np.where(z >= 150e3, n_h, 0.0)
    keep = np.ones(z.size, bool)
    keep[lower.size - 1] = False  # drop the lower copy of the 100 km node
    return z[keep], {s: v[keep] for s, v in n.items()}


@lru_cache(maxsize=4)
def upper_atmosphere_table(step_m: float = 50.0) -> TabulatedAtmosphere:
    """The 1976 standard from 86 to 1000 km tabulated every ``step_m``, eqs. (33c), (42)."""
    z, n = _number_densities(step_m)
    t, _ = _upper_temperature(z)
    total = sum(n.values())
    pressure = total * K_BOLTZMANN * t  # eq. (33c)
    density = sum(n[s] * _MOLAR_MASS[s] for s in _SPECIES) / N_A  # eq. (42)
    return TabulatedAtmosphere(
        altitude_m=z,
        log_density=np.log(density),
        temperature_k=t,
        gas_constant_j_kg_k=pressure / (density * t),
        gamma=GAMMA_AIR,
        mean_free_path_density_kg_m2=USStandardAtmosphere1976.mean_free_path_density_kg_m2,
        source=f"US Standard Atmosphere 1976, 86-1000 km, eqs. (36)-(42) on a {step_m:g} m grid",
    )


class USStandardAtmosphere1976:
    """The US Standard Atmosphere 1976 at geometric altitudes from -5 to 1000 km.

    Analytic below 86 km (eqs. 18, 23, 33a, 33b, 42, 50), the tabulated solution of the
    diffusion equations above (:func:`upper_atmosphere_table`). Zero winds.
    """

    altitude_range_m = (-5_000.0, Z12)
    mean_free_path_density_kg_m2 = mean_free_path_density(M0 / 1000.0, COLLISION_DIAMETER_M)
    source = "US Standard Atmosphere 1976 (NOAA-S/T 76-1562)"

    @staticmethod
    def lower(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Kinetic temperature, molecular-scale temperature and pressure up to 86 km."""
        h = R0 * z / (R0 + z)  # eq. (18)
        b = np.clip(np.searchsorted(_H_B, h, side="right") - 1, 0, 6)
        dh = h - _H_B[b]
        t_b = _T_B[b]
        x = _L_B[b] * dh / t_b
        t_m = t_b * (1.0 + x)  # eq. (23)
        pressure = np.exp(_LN_P_B[b] - _GMR * dh / t_b * _log1p_ratio(x))  # eqs. (33a), (33b)
        return t_m * np.interp(z, _Z_MRATIO, _M_RATIO), t_m, pressure

    def __call__(self, altitude_m) -> AtmosphereState:
        z = as_altitudes(altitude_m, self.altitude_range_m)
        low = z <= Z7
        density = np.empty_like(z)
        pressure = np.empty_like(z)
        temperature = np.empty_like(z)
        gas_constant = np.empty_like(z)
        if np.any(low):
            t, t_m, p = self.lower(z[low])
            density[low] = p * M0 / (R_STAR * t_m)  # eq. (42)
            pressure[low] = p
            temperature[low] = t
            gas_constant[low] = GAS_CONSTANT_AIR * t_m / t  # R* / M: C_s as eq. (50)
        if not np.all(low):
            state = upper_atmosphere_table()(z[~low])
            density[~low] = state.density_kg_m3
            pressure[~low] = state.pressure_pa
            temperature[~low] = state.temperature_k
            gas_constant[~low] = state.gas_constant_j_kg_k
        zero = np.zeros_like(z)
        return AtmosphereState(
            density_kg_m3=density,
            pressure_pa=pressure,
            temperature_k=temperature,
            speed_of_sound_m_s=np.sqrt(GAMMA_AIR * gas_constant * temperature),
            gas_constant_j_kg_k=gas_constant,
            gamma=np.full_like(z, GAMMA_AIR),
            wind_east_m_s=zero,
            wind_north_m_s=zero.copy(),
        )


US76 = USStandardAtmosphere1976()


@dataclass(frozen=True)
class SpaceWeather:
    """Solar and geomagnetic activity for NRLMSIS: F10.7 of the previous day and its 81-day
    centred mean (solar flux units, 1e-22 W m-2 Hz-1), and the daily Ap index."""

    f107_sfu: float = 150.0
    f107a_sfu: float = 150.0
    ap: float = 4.0


MODERATE_SPACE_WEATHER = SpaceWeather()

_MSIS_DEFAULT_GRID_M = np.arange(0.0, 1_000_000.0 + 1.0, 500.0)
_MSIS_THERMAL_SPECIES = (1, 2, 3, 4, 5, 6, 7, 9)  # N2, O2, O, He, H, Ar, N, NO (not hot O)


def nrlmsis(
    et: float,
    latitude_deg: float,
    longitude_deg: float,
    *,
    space_weather: SpaceWeather = MODERATE_SPACE_WEATHER,
    altitude_m=None,
    version: float = 2.1,
) -> TabulatedAtmosphere:
    """A NRLMSIS profile above one place at one epoch, tabulated for the hot path.

    Parameters
    ----------
    et : float
        Epoch, TDB seconds past J2000 (converted to UTC for pymsis).
    latitude_deg, longitude_deg : float
        Geodetic latitude and east longitude (WGS 84).
    space_weather : SpaceWeather
        F10.7, F10.7a and Ap, always passed to pymsis (no space-weather file is read).
    altitude_m : array, optional
        Ascending geodetic altitudes of the table (default 0 to 1000 km every 500 m).
    version : float
        NRLMSIS version for pymsis (2.1, 2.0 or 0 for NRLMSISE-00).

    Returns
    -------
    TabulatedAtmosphere
        NRLMSIS total mass density and temperature; pressure ``n k T`` from the thermal
        species (anomalous oxygen left out), ``R = p / (rho T)``, gamma 1.40, zero winds.
    """
    try:
        import pymsis
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("nrlmsis needs the pymsis package (pip install pymsis)") from exc
    from msrsim.core.time import et_to_utc_datetime

    if np.size(et) != 1:
        raise ValueError(f"nrlmsis takes one epoch, got {np.size(et)}")
    h = np.asarray(_MSIS_DEFAULT_GRID_M if altitude_m is None else altitude_m, np.float64)
    as_altitudes(h, (-1_000.0, 1_000_000.0))
    date = np.datetime64(et_to_utc_datetime(et)[0], "ms")
    weather = space_weather
    out = pymsis.calculate(
        np.array([date]),
        np.array([longitude_deg], np.float64),
        np.array([latitude_deg], np.float64),
        h / 1e3,
        f107s=np.array([weather.f107_sfu], np.float64),
        f107as=np.array([weather.f107a_sfu], np.float64),
        aps=np.full((1, 7), weather.ap, np.float64),
        version=version,
    ).reshape(h.size, -1)
    out = np.asarray(out, dtype=np.float64)
    density = out[:, 0]
    temperature = out[:, 10]
    if not (np.all(density > 0) and np.all(temperature > 0)):
        raise ValueError("NRLMSIS returned a non-positive or NaN density or temperature")
    number = np.nansum(out[:, _MSIS_THERMAL_SPECIES], axis=1)
    pressure = number * BOLTZMANN_J_K * temperature
    label = (
        f"NRLMSIS {version} (pymsis) at lat {latitude_deg:g}, lon {longitude_deg:g}, "
        f"{date} UTC, F10.7 {weather.f107_sfu:g}, F10.7a {weather.f107a_sfu:g}, Ap {weather.ap:g}"
    )
    return TabulatedAtmosphere(
        altitude_m=h,
        log_density=np.log(density),
        temperature_k=temperature,
        gas_constant_j_kg_k=pressure / (density * temperature),
        gamma=GAMMA_AIR,
        mean_free_path_density_kg_m2=US76.mean_free_path_density_kg_m2,
        source=label,
    )


EARTH_DENSITY_DISPERSION = DensityDispersion(
    sigma_altitude_m=np.array([0.0, 20e3, 40e3, 60e3, 80e3, 100e3]),
    sigma=np.array([0.02, 0.03, 0.05, 0.08, 0.12, 0.15]),
    correlation_length_m=10e3,
    source="representative 1-sigma 2 % (ground) to 15 % (100 km and above), shaped after "
    "Earth-GRAM 2010 (NASA/TM-2011-216467); 10 km vertical correlation",
)

EARTH_WIND_DISPERSION = WindDispersion(
    sigma_altitude_m=np.array([0.0, 3e3, 10e3, 15e3, 20e3, 40e3, 60e3, 80e3, 100e3]),
    sigma_m_s=np.array([4.0, 6.0, 12.0, 10.0, 6.0, 12.0, 20.0, 25.0, 30.0]),
    correlation_length_m=4e3,
    source="representative 1-sigma per horizontal component, 4 m/s at the ground, 12 m/s at "
    "the jet stream (10 km), 6 m/s in the lower stratosphere, 30 m/s at 100 km; a third or "
    "so of the monthly-mean mid-latitude winds of CIRA-86 (Fleming et al., NASA TM-100697, "
    "1988); 4 km vertical correlation",
)
