"""The lander's power, sol by sol: a radioisotope generator or solar arrays, a battery, and
the loads that keep the lander and the MAV alive.

Sources
-------
- Solar flux at Mars and on a horizontal surface under a dusty atmosphere: Appelbaum, J. and
  Flood, D. J. (1990), "Solar radiation on Mars", Solar Energy 45(6), 353-363 (NASA
  TM-102299): eqs. (2)-(4) (Sun distance from Ls, beam irradiance at the top of the
  atmosphere), (7) (declination), (17) (global irradiance on a horizontal surface) and
  Table III (the normalized net flux function of Pollack's multiple-scattering
  calculations, surface albedo 0.1), transcribed from the table as printed.
- MMRTG: about 110 W at beginning of life (NASA Mars 2020 power page [P]); designed for
  about 125 W at the start of a mission falling to about 100 W after 14 years (NASA/DOE
  MMRTG fact sheet [P via S]); plutonium-238 half-life 87.7 years.
- Dust accumulation on arrays, per unit optical depth: Opportunity's weekly status reports
  (JPL, tau and "solar array dust factor" [P]) and InSight's cleaning-free decline.
- Dust storms: global (planet-encircling) storms began at Ls 185-265 in MY 25, 28 and 34 and
  occurred in about one Mars year in three since 1956 (Zurek and Martin 1993; Kass et al.
  2016 [P]); Opportunity measured tau 10.8 on 2018-06-10 (NASA [P]).

The model is a daily energy balance per trial (arrays with a leading trial axis): energy
in (generator), energy out (keep-alive loads for the whole sol, then the day's work from
what is left), a battery between sols. A trial whose battery empties has lost its lander
(and the MAV's warmth) on that sol.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from msrsim.core.time import MARS_YEAR_OFFSET, SOL_S, et_of_mars_solar_date, mars_year
from msrsim.core.time import solar_longitude_deg as _ls_of_et

SOLAR_CONSTANT_1AU_W_M2 = 1361.0  # total solar irradiance, Kopp and Lean (2011)
MARS_SEMI_MAJOR_AXIS_AU = 1.5236  # Appelbaum and Flood (1990) eq. (2)
MARS_ECCENTRICITY = 0.0934  # idem
LS_OF_PERIHELION_DEG = 248.0  # idem
MARS_OBLIQUITY_DEG = 24.936  # idem, eq. (7)
PU238_HALF_LIFE_YEARS = 87.7
JULIAN_YEAR_S = 365.25 * 86400.0
SOL_H = SOL_S / 3600.0

# Appelbaum and Flood (1990) Table III: the normalized net flux function f(Z, tau) at the
# Martian surface (albedo 0.1); rows tau, columns the Sun's zenith angle Z (deg). The row
# tau = 0 (no atmosphere: f = 1 - albedo) is added for interpolation below tau = 0.1.
_ZENITH_DEG = np.array([0.0, 10, 20, 30, 40, 50, 60, 70, 80, 85, 90])
_TAU = np.array(
    [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5]
    + [1.6, 1.7, 1.8, 1.9, 2.0, 2.25, 2.5, 2.75, 3.0, 3.25, 3.5, 4.0, 5.0, 6.0]
)
_TABLE_III = np.array(
    [
        [0.900, 0.900, 0.900, 0.900, 0.900, 0.900, 0.900, 0.900, 0.900, 0.900],
        [0.885, 0.883, 0.882, 0.880, 0.876, 0.870, 0.857, 0.830, 0.755, 0.635],
        [0.866, 0.865, 0.860, 0.858, 0.851, 0.836, 0.813, 0.758, 0.640, 0.470],
        [0.847, 0.846, 0.841, 0.836, 0.826, 0.806, 0.774, 0.708, 0.562, 0.412],
        [0.828, 0.827, 0.821, 0.815, 0.802, 0.778, 0.740, 0.667, 0.502, 0.373],
        [0.810, 0.810, 0.802, 0.796, 0.778, 0.752, 0.708, 0.628, 0.452, 0.342],
        [0.793, 0.791, 0.785, 0.775, 0.755, 0.725, 0.677, 0.593, 0.414, 0.318],
        [0.776, 0.773, 0.766, 0.755, 0.733, 0.700, 0.646, 0.555, 0.383, 0.298],
        [0.760, 0.756, 0.750, 0.736, 0.710, 0.675, 0.616, 0.520, 0.360, 0.280],
        [0.745, 0.740, 0.733, 0.717, 0.690, 0.650, 0.587, 0.487, 0.336, 0.264],
        [0.732, 0.725, 0.717, 0.700, 0.670, 0.628, 0.560, 0.455, 0.317, 0.252],
        [0.713, 0.709, 0.700, 0.682, 0.651, 0.604, 0.539, 0.433, 0.300, 0.239],
        [0.697, 0.692, 0.683, 0.662, 0.632, 0.585, 0.518, 0.413, 0.288, 0.230],
        [0.682, 0.677, 0.667, 0.646, 0.613, 0.567, 0.498, 0.394, 0.273, 0.220],
        [0.666, 0.661, 0.650, 0.629, 0.596, 0.546, 0.478, 0.379, 0.262, 0.210],
        [0.651, 0.646, 0.633, 0.612, 0.580, 0.530, 0.460, 0.362, 0.251, 0.202],
        [0.637, 0.630, 0.618, 0.597, 0.563, 0.512, 0.441, 0.348, 0.240, 0.195],
        [0.622, 0.615, 0.601, 0.581, 0.546, 0.494, 0.424, 0.332, 0.232, 0.188],
        [0.609, 0.600, 0.586, 0.568, 0.531, 0.480, 0.408, 0.318, 0.224, 0.181],
        [0.596, 0.587, 0.571, 0.551, 0.514, 0.464, 0.393, 0.304, 0.217, 0.176],
        [0.582, 0.573, 0.558, 0.537, 0.500, 0.448, 0.378, 0.293, 0.208, 0.170],
        [0.552, 0.542, 0.522, 0.501, 0.462, 0.410, 0.343, 0.265, 0.190, 0.156],
        [0.518, 0.509, 0.492, 0.469, 0.430, 0.378, 0.316, 0.242, 0.174, 0.145],
        [0.486, 0.478, 0.462, 0.440, 0.401, 0.353, 0.293, 0.224, 0.158, 0.136],
        [0.460, 0.450, 0.434, 0.414, 0.376, 0.330, 0.273, 0.206, 0.150, 0.128],
        [0.434, 0.424, 0.410, 0.390, 0.354, 0.308, 0.254, 0.193, 0.140, 0.120],
        [0.411, 0.400, 0.387, 0.367, 0.333, 0.290, 0.240, 0.180, 0.132, 0.110],
        [0.370, 0.360, 0.347, 0.330, 0.296, 0.258, 0.212, 0.160, 0.118, 0.100],
        [0.294, 0.286, 0.275, 0.258, 0.230, 0.203, 0.166, 0.130, 0.094, 0.080],
        [0.228, 0.223, 0.215, 0.200, 0.178, 0.153, 0.130, 0.103, 0.080, 0.068],
    ]
)
# Z = 90 deg: the 80-85 deg slope carried on (clipped at 0); cos Z = 0 there anyway.
_NET_FLUX = np.concatenate(
    [_TABLE_III, np.maximum(2 * _TABLE_III[:, -1:] - _TABLE_III[:, -2:-1], 0.0)], axis=1
)
# Beyond the table (tau > 6): each column decays as exp(-k tau) with its last interval's k.
_TAIL_RATE = np.log(_NET_FLUX[-2] / _NET_FLUX[-1]) / (_TAU[-1] - _TAU[-2])
ALBEDO = 0.1  # the surface albedo of Table III


def net_flux_function(zenith_deg, tau) -> np.ndarray:
    """Appelbaum and Flood's ``f(Z, tau) / (1 - albedo)``: the fraction of the beam on a
    horizontal surface at the top of the atmosphere that the surface receives, direct and
    diffuse (Table III, bilinear; above tau = 6 an exponential in tau from the last rows).
    """
    z = np.clip(np.asarray(zenith_deg, dtype=np.float64), 0.0, 90.0)
    t = np.maximum(np.asarray(tau, dtype=np.float64), 0.0)
    z, t = np.broadcast_arrays(z, t)
    i = np.clip(np.searchsorted(_TAU, t, side="right") - 1, 0, _TAU.size - 2)
    j = np.clip(np.searchsorted(_ZENITH_DEG, z, side="right") - 1, 0, _ZENITH_DEG.size - 2)
    wt = np.clip((t - _TAU[i]) / (_TAU[i + 1] - _TAU[i]), 0.0, 1.0)
    wz = (z - _ZENITH_DEG[j]) / (_ZENITH_DEG[j + 1] - _ZENITH_DEG[j])
    f = (1 - wt) * ((1 - wz) * _NET_FLUX[i, j] + wz * _NET_FLUX[i, j + 1]) + wt * (
        (1 - wz) * _NET_FLUX[i + 1, j] + wz * _NET_FLUX[i + 1, j + 1]
    )
    tail = (1 - wz) * _TAIL_RATE[j] + wz * _TAIL_RATE[j + 1]
    f = np.where(t > _TAU[-1], f * np.exp(-tail * (t - _TAU[-1])), f)
    return f / (1.0 - ALBEDO)


def sun_distance_au(ls_deg) -> np.ndarray:
    """Mars-Sun distance from Ls (Appelbaum and Flood 1990, eq. 2)."""
    ls = np.radians(np.asarray(ls_deg, dtype=np.float64) - LS_OF_PERIHELION_DEG)
    a, e = MARS_SEMI_MAJOR_AXIS_AU, MARS_ECCENTRICITY
    return a * (1 - e * e) / (1 + e * np.cos(ls))  # eq. (2)


def daily_insolation_wh_m2(
    ls_deg,
    latitude_deg,
    tau,
    solar_constant_w_m2: float = SOLAR_CONSTANT_1AU_W_M2,
    nodes: int = 48,
) -> np.ndarray:
    """Energy a horizontal square metre receives over one sol (Wh), direct plus diffuse.

    ``G = S / r^2 cos Z f(Z, tau) / (1 - albedo)`` (eqs. 3, 4, 17) integrated from sunrise
    to sunset in hour angle (Gauss-Legendre, ``nodes`` points), ``cos Z = sin(lat)
    sin(delta) + cos(lat) cos(delta) cos(h)`` with ``sin(delta) = sin(24.936 deg) sin(Ls)``
    (eq. 7); one sol of 88,775 s is 2 pi of hour angle. ``tau`` is held over the sol.
    """
    ls, lat, t = np.broadcast_arrays(
        np.asarray(ls_deg, np.float64), np.asarray(latitude_deg, np.float64), np.asarray(tau)
    )
    phi = np.radians(lat)[..., None]
    delta = np.arcsin(math.sin(math.radians(MARS_OBLIQUITY_DEG)) * np.sin(np.radians(ls)))
    delta = delta[..., None]
    cos_half_day = np.clip(-np.tan(phi) * np.tan(delta), -1.0, 1.0)
    half_day = np.arccos(cos_half_day)  # sunset hour angle, 0 (polar night) to pi
    x, w = np.polynomial.legendre.leggauss(nodes)
    h = half_day * x
    cos_z = np.clip(np.sin(phi) * np.sin(delta) + np.cos(phi) * np.cos(delta) * np.cos(h), 0.0, 1.0)
    beam = solar_constant_w_m2 / sun_distance_au(ls)[..., None] ** 2  # eq. (3)
    g = beam * cos_z * net_flux_function(np.degrees(np.arccos(cos_z)), t[..., None])
    integral = (g * w).sum(axis=-1) * half_day[..., 0]  # W/m2 x rad
    return integral * SOL_S / (2 * math.pi) / 3600.0


def rtg_power_w(bol_power_w: float, conversion_degradation_per_year: float, years) -> np.ndarray:
    """Electrical power of a radioisotope generator ``years`` after beginning of life:
    ``P0 exp(-(ln 2 / 87.7 + d) t)``, the plutonium-238 decay and the thermoelectric
    converter's own degradation ``d`` per year (both e-folding rates)."""
    rate = math.log(2.0) / PU238_HALF_LIFE_YEARS + conversion_degradation_per_year
    return bol_power_w * np.exp(-rate * np.asarray(years, dtype=np.float64))


def climatology_tau(ls_deg, tau_aphelion: float, tau_perihelion: float) -> np.ndarray:
    """Column dust optical depth of a year with no global storm: ``tau_aphelion`` in the
    clear season rising to ``tau_perihelion`` at Ls 250 deg, a raised cosine in Ls (the
    shape of the non-storm years of Montabone et al. 2015's climatology)."""
    ls = np.radians(np.asarray(ls_deg, dtype=np.float64) - 250.0)
    return tau_aphelion + (tau_perihelion - tau_aphelion) * 0.5 * (1.0 + np.cos(ls))


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rtg:
    """Radioisotope generators: ``count`` MMRTGs of ``bol_power_w`` (110 W, NASA [P]) at
    beginning of life, ``age_at_landing_years`` after it, losing ``conversion_degradation_
    per_year`` (thermoelectric, e-folding) beside the fuel's decay."""

    count: int = 1
    bol_power_w: float = 110.0
    conversion_degradation_per_year: float = 0.008
    age_at_landing_years: float = 1.0

    def power_w(self, years_since_landing) -> np.ndarray:
        years = self.age_at_landing_years + np.asarray(years_since_landing, dtype=np.float64)
        return self.count * rtg_power_w(
            self.bol_power_w, self.conversion_degradation_per_year, years
        )


@dataclass(frozen=True)
class SolarArray:
    """Horizontal solar arrays: ``area_m2`` times ``efficiency`` (cells, packing, wiring and
    charge losses together) of the insolation, times the dust factor (1 = clean). Dust
    settles as ``dust_factor *= exp(-deposition_per_tau_sol x tau)`` each sol; a cleaning
    event (per-sol probability) gives back ``cleaning_recovery_fraction`` of what was lost."""

    area_m2: float = 10.0
    efficiency: float = 0.25
    dust_factor_at_landing: float = 1.0
    deposition_per_tau_sol: float = 0.0015
    cleaning_probability_per_sol: float = 0.0
    cleaning_recovery_fraction: float = 0.5


@dataclass(frozen=True)
class DustStorms:
    """Dust optical depth: the no-storm climatology (:func:`climatology_tau`) plus, in a
    Mars year with probability ``global_probability_per_mars_year``, a global storm whose
    onset Ls is uniform in ``onset_ls_deg``, rising linearly over ``rise_sols`` to a peak
    uniform in ``peak_tau`` and decaying with e-folding ``decay_sols`` back toward the
    climatology."""

    tau_aphelion: float = 0.5
    tau_perihelion: float = 0.9
    global_probability_per_mars_year: float = 0.33
    onset_ls_deg: tuple[float, float] = (185.0, 265.0)
    peak_tau: tuple[float, float] = (4.0, 11.0)
    rise_sols: float = 7.0
    decay_sols: float = 40.0


@dataclass(frozen=True)
class LanderPower:
    """The lander's power system and loads (SI but for energies in Wh, the unit in the name).

    ``source``: ``"rtg"`` or ``"solar"``. ``keep_alive_w``: mean power, all sol, of the
    lander's survival heaters and avionics and the MAV's thermal conditioning (propellant
    above -40 C). ``arm_w``: while the Sample Transfer Arm works. ``acquisition_w``: while
    the lander scoops or drills. ``helicopter_support_wh_per_flight``: the lander's share of
    a helicopter flight (relay link, charging). ``battery_wh``: usable capacity, full at
    landing. ``work_reserve_fraction``: no work starts on a sol when the battery is below
    this fraction of capacity at its start.
    """

    source: str
    rtg: Rtg = field(default_factory=Rtg)
    array: SolarArray = field(default_factory=SolarArray)
    dust: DustStorms = field(default_factory=DustStorms)
    battery_wh: float = 2000.0
    keep_alive_w: float = 60.0
    arm_w: float = 100.0
    acquisition_w: float = 150.0
    helicopter_support_wh_per_flight: float = 50.0
    work_reserve_fraction: float = 0.5

    def __post_init__(self):
        if self.source not in ("rtg", "solar"):
            raise ValueError(f"source = {self.source!r}: must be 'rtg' or 'solar'")


# --------------------------------------------------------------------------------------
# The sol-by-sol balance of a batch of trials
# --------------------------------------------------------------------------------------

STORM_YEARS = 4  # Mars years after the landing's own in which storms are drawn


class PowerState:
    """The energy of ``n`` trials' landers, sol by sol (sol 0 = each trial's landing sol).

    ``origin_msd`` (n,): the Mars Sol Date at which each trial's sol 0 begins;
    ``latitude_deg``: the lander's (the nominal one: the insolation of sites a few km apart
    is the same). ``rng``: a :class:`msrsim.core.streams.TrialGenerator` over the trials
    (two children: the storms, one ``(n, 3)`` block per Mars year, and a per-sol cleaning
    uniform), or ``None`` for the nominal run (no storm, no cleaning).

    Each sol: :meth:`budget_wh` gives the energy left for work once the sol's keep-alive is
    paid for; :meth:`close_sol` books what was used, charges the battery and marks the
    trials whose battery emptied (``lost_sol``).
    """

    def __init__(self, power: LanderPower, origin_msd, latitude_deg: float, sols: int, rng=None):
        self.power = power
        self.origin = np.asarray(origin_msd, dtype=np.float64)
        n = self.origin.size
        self.n = n
        self.soc_wh = np.full(n, power.battery_wh)
        self.lost_sol = np.full(n, -1, dtype=np.int64)
        self.min_soc_wh = self.soc_wh.copy()
        self.generated_wh = np.zeros(n)
        self.keep_alive_wh = power.keep_alive_w * SOL_H
        self.dust_factor = np.full(n, power.array.dust_factor_at_landing)
        first = math.floor(float(self.origin.min()))
        grid = np.arange(first, math.ceil(float(self.origin.max())) + sols + 2) + 0.5
        et = et_of_mars_solar_date(grid)
        self._grid_msd = grid
        self._grid_ls = (mars_year(et) - MARS_YEAR_OFFSET) * 360.0 + _ls_of_et(et)  # unwrapped
        self._table = None
        if power.source == "solar":
            self._table = _InsolationTable(latitude_deg)
            self._storms = self._draw_storms(rng, et)
            self._cleaning = None if rng is None else rng.spawn(1)[0]

    def _draw_storms(self, rng, et) -> tuple[np.ndarray, np.ndarray]:
        """Each trial's global storms: onset Mars Sol Dates and peak taus (n, STORM_YEARS),
        NaN onset where the year has none."""
        d = self.power.dust
        year0 = float(mars_year(et[:1])[0] - MARS_YEAR_OFFSET)
        onset = np.full((self.n, STORM_YEARS), np.nan)
        peak = np.zeros((self.n, STORM_YEARS))
        if rng is None:
            return onset, peak
        u = rng.spawn(1)[0].random((self.n, 3 * STORM_YEARS)).reshape(self.n, STORM_YEARS, 3)
        happens = u[..., 0] < d.global_probability_per_mars_year
        lo, hi = d.onset_ls_deg
        ls = (year0 + np.arange(STORM_YEARS)) * 360.0 + lo + (hi - lo) * u[..., 1]
        msd = np.interp(ls, self._grid_ls, self._grid_msd, left=np.nan, right=np.nan)
        onset = np.where(happens, msd, np.nan)
        peak = d.peak_tau[0] + (d.peak_tau[1] - d.peak_tau[0]) * u[..., 2]
        return onset, peak

    def conditions(self, sol: int) -> tuple[np.ndarray, np.ndarray]:
        """Ls (deg, unwrapped) and dust optical depth at mid-sol ``sol`` of each trial."""
        msd = self.origin + sol + 0.5
        ls = np.interp(msd, self._grid_msd, self._grid_ls)
        d = self.power.dust
        tau = climatology_tau(ls, d.tau_aphelion, d.tau_perihelion)
        if self._table is not None:
            onset, peak = self._storms
            age = msd[:, None] - onset
            rising = np.clip(age / max(d.rise_sols, 1e-9), 0.0, 1.0)
            decay = np.exp(-np.maximum(age - d.rise_sols, 0.0) / d.decay_sols)
            storm = np.where(age >= 0, peak * rising * decay, 0.0)  # NaN onset: no storm
            tau = np.maximum(tau, np.nan_to_num(storm).max(axis=1))
        return ls, tau

    def generation_wh(self, sol: int) -> np.ndarray:
        """Energy generated on ``sol`` (n,)."""
        p = self.power
        if p.source == "rtg":
            years = (sol + 0.5) * SOL_S / JULIAN_YEAR_S
            return np.full(self.n, float(p.rtg.power_w(years)) * SOL_H)
        ls, tau = self.conditions(sol)
        self._tau = tau  # the sol's dust, for the array's deposition at the sol's close
        h = self._table(np.mod(ls, 360.0), tau)
        return h * p.array.area_m2 * p.array.efficiency * self.dust_factor

    def budget_wh(self, sol: int) -> np.ndarray:
        """Energy available for work on ``sol``: the sol's generation less its keep-alive,
        none while the battery is below the work reserve (n,)."""
        self._gen = self.generation_wh(sol)
        spare = np.maximum(self._gen - self.keep_alive_wh, 0.0)
        ok = self.soc_wh >= self.power.work_reserve_fraction * self.power.battery_wh
        return np.where(ok & (self.lost_sol < 0), spare, 0.0)

    def close_sol(self, sol: int, used_wh, active) -> None:
        """Book ``used_wh`` (n,) of work on ``sol`` (the sol :meth:`budget_wh` opened) for
        the ``active`` trials (the others are past their MAV's launch or not flown): charge
        or drain the battery, mark lost landers, settle dust."""
        p = self.power
        live = active & (self.lost_sol < 0)
        soc = self.soc_wh + self._gen - self.keep_alive_wh - used_wh
        self.soc_wh = np.where(live, np.minimum(soc, p.battery_wh), self.soc_wh)
        self.generated_wh += np.where(live, self._gen, 0.0)
        self.min_soc_wh = np.where(live, np.minimum(self.min_soc_wh, self.soc_wh), self.min_soc_wh)
        self.lost_sol = np.where(live & (self.soc_wh < 0.0), sol, self.lost_sol)
        if p.source == "solar":
            a = p.array
            self.dust_factor = self.dust_factor * np.exp(-a.deposition_per_tau_sol * self._tau)
            if self._cleaning is not None and a.cleaning_probability_per_sol > 0:
                clean = self._cleaning.random(self.n) < a.cleaning_probability_per_sol
                back = self.dust_factor + a.cleaning_recovery_fraction * (1 - self.dust_factor)
                self.dust_factor = np.where(clean, back, self.dust_factor)


class _InsolationTable:
    """:func:`daily_insolation_wh_m2` at one latitude on an (Ls, tau) grid, read bilinearly
    (1 deg of Ls; tau as Table III, then to 15): the batch's many trial-sols cost one lookup
    each."""

    def __init__(self, latitude_deg: float):
        self.ls = np.arange(0.0, 361.0)
        self.tau = np.concatenate([_TAU, np.arange(7.0, 16.0)])
        ls, tau = np.meshgrid(self.ls, self.tau, indexing="ij")
        self.h = daily_insolation_wh_m2(ls, latitude_deg, tau)

    def __call__(self, ls_deg, tau) -> np.ndarray:
        ls = np.clip(ls_deg, 0.0, 360.0)
        t = np.clip(tau, 0.0, self.tau[-1])
        i = np.clip(ls.astype(np.int64), 0, self.ls.size - 2)
        j = np.clip(np.searchsorted(self.tau, t, side="right") - 1, 0, self.tau.size - 2)
        wl = ls - self.ls[i]
        wt = (t - self.tau[j]) / (self.tau[j + 1] - self.tau[j])
        h = self.h
        return (1 - wl) * ((1 - wt) * h[i, j] + wt * h[i, j + 1]) + wl * (
            (1 - wt) * h[i + 1, j] + wt * h[i + 1, j + 1]
        )
