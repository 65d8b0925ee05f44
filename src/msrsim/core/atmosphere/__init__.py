"""Planetary atmospheres: a common interface, tabulated profiles and density dispersions.

Every model maps altitude (m) to an :class:`AtmosphereState` of arrays of the same shape:
density, pressure, temperature, speed of sound, the specific gas constant and ratio of
specific heats used for it, and the wind. Models satisfy the small :class:`Atmosphere`
protocol, so a leg can swap them: :mod:`msrsim.core.atmosphere.earth` (US Standard
Atmosphere 1976, NRLMSIS 2.1) and :mod:`msrsim.core.atmosphere.mars` (a Mars-GRAM mean
profile, the NASA Glenn fit).

:class:`TabulatedAtmosphere` is the hot-path form: columns on an ascending altitude grid,
interpolated linearly in altitude (log-linearly in density), with pure numpy and no loop
over samples. Its ``log_density`` may hold one row per sample (a dispersed batch); its
arrays are plain float64 so a numba kernel can interpolate them itself (the fields named
as in :class:`msrsim.core.flight.AtmosphereTable`). The state is thermodynamically
consistent at every point::

    p = rho R T,    a = sqrt(gamma R T).                                           (1)

Density dispersions (:class:`DensityDispersion`) multiply a profile's density by a random
factor per sample and level: an altitude-independent scale factor times an
altitude-correlated perturbation ``xi(h)``, a unit-variance first-order Gauss-Markov
process in altitude (Maybeck, "Stochastic Models, Estimation and Control", vol. 1, 1979,
sect. 4.11)::

    xi_j = phi_j xi_{j-1} + sqrt(1 - phi_j^2) w_j,   phi_j = exp(-|h_j - h_{j-1}| / L),
    corr(xi(h), xi(h')) = exp(-|h - h'| / L),                                      (2)

either linear, ``f = (1 + s_scale eta)(1 + sigma(h) xi(h))`` floored at
:data:`MIN_DENSITY_FACTOR`, or log-normal,
``f = exp(s_scale eta - s_scale^2 / 2) exp(sigma(h) xi(h) - sigma(h)^2 / 2)``, both of
mean 1 (``eta``, ``w`` standard normal). Pressure is scaled with density (temperature
kept), so (1) still holds; hydrostatic balance is not kept by a perturbed profile.

Wind dispersions (:class:`WindDispersion`) add to the mean wind east and north components
``sigma_w(h) xi(h)``, each its own process (2).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = [
    "AVOGADRO_PER_MOL",
    "BOLTZMANN_J_K",
    "MIN_DENSITY_FACTOR",
    "Atmosphere",
    "AtmosphereState",
    "DensityDispersion",
    "TabulatedAtmosphere",
    "WindDispersion",
    "as_altitudes",
    "mean_free_path_density",
    "tabulate",
]

BOLTZMANN_J_K = 1.380649e-23  # SI 2019, exact
AVOGADRO_PER_MOL = 6.02214076e23  # SI 2019, exact
MIN_DENSITY_FACTOR = 1e-3
"""Floor of a linear dispersion factor, which keeps the density positive; reached only
where ``1 + sigma xi < 0.001``, i.e. ``xi`` below -6.7 at sigma = 15 %."""


@dataclass(frozen=True)
class AtmosphereState:
    """The air at a batch of altitudes (SI); every array has the shape of the altitudes.

    ``pressure_pa = density_kg_m3 * gas_constant_j_kg_k * temperature_k`` and
    ``speed_of_sound_m_s = sqrt(gamma * gas_constant_j_kg_k * temperature_k)``, eq. (1).
    Winds are the east and north components of the air's velocity over the ground.
    """

    density_kg_m3: np.ndarray
    pressure_pa: np.ndarray
    temperature_k: np.ndarray
    speed_of_sound_m_s: np.ndarray
    gas_constant_j_kg_k: np.ndarray
    gamma: np.ndarray
    wind_east_m_s: np.ndarray
    wind_north_m_s: np.ndarray


class Atmosphere(Protocol):
    """What a leg needs of an atmosphere model: a vectorised call and its validity."""

    @property
    def altitude_range_m(self) -> tuple[float, float]:
        """Lowest and highest altitude (m) the model may be called at."""
        ...

    @property
    def mean_free_path_density_kg_m2(self) -> float:
        """Product ``lambda * rho`` of the gas (hard-sphere scaling of the mean free path)."""
        ...

    def __call__(self, altitude_m: np.ndarray | float) -> AtmosphereState:
        """The state at each altitude; ``ValueError`` outside the range or on NaN."""
        ...


def mean_free_path_density(molar_mass_kg_mol: float, collision_diameter_m: float) -> float:
    """``lambda * rho`` of a hard-sphere gas: ``M / (sqrt(2) pi d^2 N_A)`` (kg/m2).

    From the hard-sphere mean free path ``lambda = 1 / (sqrt(2) pi d^2 n)`` (as in the US
    Standard Atmosphere 1976, sect. 1.3) with ``n = rho N_A / M``.
    """
    return molar_mass_kg_mol / (
        math.sqrt(2.0) * math.pi * collision_diameter_m**2 * AVOGADRO_PER_MOL
    )


def as_altitudes(altitude_m, altitude_range_m: tuple[float, float]) -> np.ndarray:
    """Altitudes as a float64 array, refused with a ``ValueError`` if NaN or out of range."""
    h = np.asarray(altitude_m, dtype=np.float64)
    lo, hi = altitude_range_m
    if h.size and not (np.all(h >= lo) and np.all(h <= hi)):  # NaN fails both comparisons
        bad = h[~((h >= lo) & (h <= hi))]
        raise ValueError(
            f"altitude {bad.flat[0]!r} m is not allowed: altitudes must be finite and "
            f"between {lo:g} and {hi:g} m ({bad.size} of {h.size} outside)"
        )
    return h


_INTERPOLATED = (
    "temperature_k",
    "gas_constant_j_kg_k",
    "gamma",
    "wind_east_m_s",
    "wind_north_m_s",
)


def _column(name: str, values, n_levels: int) -> np.ndarray:
    arr = np.ascontiguousarray(np.broadcast_to(np.asarray(values, np.float64), (n_levels,)))
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite at every level")
    return arr


@dataclass(frozen=True)
class TabulatedAtmosphere:
    """An atmosphere sampled on an ascending altitude grid, interpolated on the hot path.

    Columns are (n_levels,); ``log_density`` (natural log of kg/m3) is (n_levels,) for one
    atmosphere or (n, n_levels) for one per sample, in which case a call takes altitudes
    whose leading axis has length n, sample k reading row k. Between levels, ``log_density``,
    temperature, gas constant, gamma and winds are linear in altitude; pressure and speed
    of sound follow from eq. (1). Winds are zero unless given (:meth:`with_winds`).
    """

    altitude_m: np.ndarray
    log_density: np.ndarray
    temperature_k: np.ndarray
    gas_constant_j_kg_k: np.ndarray
    gamma: np.ndarray
    mean_free_path_density_kg_m2: float
    wind_east_m_s: np.ndarray | None = None
    wind_north_m_s: np.ndarray | None = None
    source: str = ""

    def __post_init__(self):
        h = np.ascontiguousarray(self.altitude_m, dtype=np.float64)
        if h.ndim != 1 or h.size < 2 or not np.all(np.isfinite(h)) or np.any(np.diff(h) <= 0):
            raise ValueError("altitude_m must be a finite, strictly ascending 1-D grid")
        n = h.size
        log_rho = np.ascontiguousarray(self.log_density, dtype=np.float64)
        if log_rho.ndim not in (1, 2) or log_rho.shape[-1] != n:
            raise ValueError(f"log_density must be (n_levels,) or (n, n_levels), n_levels={n}")
        if not np.all(np.isfinite(log_rho)):
            raise ValueError("log_density must be finite (density > 0) at every level")
        set_ = object.__setattr__
        set_(self, "altitude_m", h)
        set_(self, "log_density", log_rho)
        for name in ("temperature_k", "gas_constant_j_kg_k", "gamma"):
            set_(self, name, _column(name, getattr(self, name), n))
        for name in ("wind_east_m_s", "wind_north_m_s"):
            value = getattr(self, name)
            set_(self, name, _column(name, 0.0 if value is None else value, n))
        step = h[1] - h[0]
        uniform = np.allclose(np.diff(h), step, rtol=1e-9, atol=0.0)
        set_(self, "_step", step if uniform else 0.0)
        columns = [getattr(self, name) for name in _INTERPOLATED]
        if log_rho.ndim == 1:
            columns.append(log_rho)
        values = np.array(columns)
        slopes = np.zeros_like(values)
        slopes[:, :-1] = np.diff(values, axis=1)
        # values then slopes per cell, level-minor: one take() gathers every column
        set_(self, "_coefficients", np.ascontiguousarray(np.concatenate([values, slopes])))

    @property
    def altitude_range_m(self) -> tuple[float, float]:
        return float(self.altitude_m[0]), float(self.altitude_m[-1])

    @property
    def n_samples(self) -> int:
        """Rows of ``log_density``: 1 for a single atmosphere."""
        return 1 if self.log_density.ndim == 1 else self.log_density.shape[0]

    @property
    def density_kg_m3(self) -> np.ndarray:
        return np.exp(self.log_density)

    @property
    def pressure_pa(self) -> np.ndarray:
        return self.density_kg_m3 * self.gas_constant_j_kg_k * self.temperature_k  # eq. (1)

    @property
    def speed_of_sound_m_s(self) -> np.ndarray:
        return np.sqrt(self.gamma * self.gas_constant_j_kg_k * self.temperature_k)  # eq. (1)

    def with_winds(self, wind_east_m_s, wind_north_m_s) -> TabulatedAtmosphere:
        """The same atmosphere with winds (m/s) given at every level (the winds hook)."""
        return dataclasses.replace(self, wind_east_m_s=wind_east_m_s, wind_north_m_s=wind_north_m_s)

    def _cells(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of the level below each altitude and the weight of the level above."""
        grid = self.altitude_m
        if self._step:
            x = (h - grid[0]) / self._step
            i = np.minimum(x.astype(np.intp), grid.size - 2)
            return i, x - i
        i = np.clip(np.searchsorted(grid, h, side="right") - 1, 0, grid.size - 2)
        return i, (h - grid[i]) / (grid[i + 1] - grid[i])

    def __call__(self, altitude_m) -> AtmosphereState:
        h = as_altitudes(altitude_m, self.altitude_range_m)
        i, w = self._cells(h.ravel())
        gathered = self._coefficients.take(i, axis=1)
        m = gathered.shape[0] // 2
        values = gathered[:m] + w * gathered[m:]
        temperature, gas_constant, gamma, wind_east, wind_north = values[:5]
        if self.log_density.ndim == 1:
            log_rho = values[5]
        else:
            n, n_levels = self.log_density.shape
            if h.ndim == 0 or h.shape[0] != n:
                raise ValueError(
                    f"this atmosphere holds {n} dispersed samples: altitudes need a leading "
                    f"axis of length {n}, got shape {h.shape}"
                )
            row = np.arange(n).reshape((n,) + (1,) * (h.ndim - 1)) * n_levels
            flat = (np.broadcast_to(row, h.shape).ravel() + i).astype(np.intp)
            lower = self.log_density.take(flat)
            log_rho = lower + w * (self.log_density.take(flat + 1) - lower)
        density = np.exp(log_rho)
        shape = h.shape
        return AtmosphereState(
            density_kg_m3=density.reshape(shape),
            pressure_pa=(density * gas_constant * temperature).reshape(shape),  # eq. (1)
            temperature_k=temperature.reshape(shape),
            speed_of_sound_m_s=np.sqrt(gamma * gas_constant * temperature).reshape(shape),
            gas_constant_j_kg_k=gas_constant.reshape(shape),
            gamma=gamma.reshape(shape),
            wind_east_m_s=wind_east.reshape(shape),
            wind_north_m_s=wind_north.reshape(shape),
        )


def tabulate(atmosphere: Atmosphere, altitude_m, source: str = "") -> TabulatedAtmosphere:
    """Sample any :class:`Atmosphere` on an ascending grid (m) into a table."""
    h = np.asarray(altitude_m, dtype=np.float64)
    state = atmosphere(h)
    return TabulatedAtmosphere(
        altitude_m=h,
        log_density=np.log(state.density_kg_m3),
        temperature_k=state.temperature_k,
        gas_constant_j_kg_k=state.gas_constant_j_kg_k,
        gamma=state.gamma,
        mean_free_path_density_kg_m2=atmosphere.mean_free_path_density_kg_m2,
        wind_east_m_s=state.wind_east_m_s,
        wind_north_m_s=state.wind_north_m_s,
        source=source,
    )


def _ascending(altitude_m) -> np.ndarray:
    h = np.asarray(altitude_m, dtype=np.float64)
    if h.ndim != 1 or np.any(np.diff(h) <= 0):
        raise ValueError("altitude_m must be an ascending 1-D grid")
    return h


def _gauss_markov(xi: np.ndarray, h: np.ndarray, correlation_length_m: float) -> np.ndarray:
    """Columns of independent standard normals made, in place, into eq. (2) in altitude."""
    phi = np.exp(-np.diff(h) / correlation_length_m)
    drive = np.sqrt(1.0 - phi**2)
    for j in range(1, h.size):  # a loop over levels, vectorised over samples
        column = xi[:, j]
        column *= drive[j - 1]
        column += phi[j - 1] * xi[:, j - 1]
    return xi


def _check_profile(h, s, correlation_length_m) -> tuple[np.ndarray, np.ndarray]:
    h = np.asarray(h, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    if h.ndim != 1 or s.shape != h.shape or np.any(np.diff(h) <= 0):
        raise ValueError("sigma_altitude_m must ascend and match the sigmas in shape")
    if not np.all(s >= 0):
        raise ValueError("sigmas must be >= 0")
    if not correlation_length_m > 0:
        raise ValueError("correlation_length_m must be > 0")
    return h, s


@dataclass(frozen=True)
class WindDispersion:
    """Random horizontal winds: east and north components, each ``sigma(h) xi(h)`` with
    ``xi`` an independent unit Gauss-Markov process in altitude (eq. 2), zero mean.

    ``sigma_m_s`` is the 1-sigma of each component at ``sigma_altitude_m`` (linear in
    between, held beyond the ends).
    """

    sigma_altitude_m: np.ndarray
    sigma_m_s: np.ndarray
    correlation_length_m: float
    source: str = ""

    def __post_init__(self):
        h, s = _check_profile(self.sigma_altitude_m, self.sigma_m_s, self.correlation_length_m)
        object.__setattr__(self, "sigma_altitude_m", h)
        object.__setattr__(self, "sigma_m_s", s)

    def draw(self, rng: np.random.Generator, n: int, altitude_m):
        """(n, n_levels) east and north winds (m/s) of ``n`` samples at ascending levels.

        Sample ``k`` reads row ``k`` of one (n, 2 n_levels) block of normals, so a draw
        split into consecutive chunks from one generator equals the whole draw.
        """
        h = _ascending(altitude_m)
        normals = rng.standard_normal((n, 2 * h.size))
        sigma = np.interp(h, self.sigma_altitude_m, self.sigma_m_s)
        east = _gauss_markov(normals[:, : h.size], h, self.correlation_length_m) * sigma
        north = _gauss_markov(normals[:, h.size :], h, self.correlation_length_m) * sigma
        return east, north


@dataclass(frozen=True)
class DensityDispersion:
    """Random multiplicative density factors, correlated in altitude (eq. 2).

    ``sigma`` is the 1-sigma of the perturbation at the altitudes ``sigma_altitude_m``
    (linear in between, held beyond the ends): of the relative density for the linear form,
    of its natural log for the log-normal form. ``scale_factor_sigma`` is the 1-sigma of the
    altitude-independent factor, ``correlation_length_m`` the ``L`` of eq. (2).
    """

    sigma_altitude_m: np.ndarray
    sigma: np.ndarray
    correlation_length_m: float
    scale_factor_sigma: float = 0.0
    lognormal: bool = False
    source: str = ""

    def __post_init__(self):
        h, s = _check_profile(self.sigma_altitude_m, self.sigma, self.correlation_length_m)
        if self.scale_factor_sigma < 0:
            raise ValueError("sigmas must be >= 0")
        object.__setattr__(self, "sigma_altitude_m", h)
        object.__setattr__(self, "sigma", s)

    def sigma_at(self, altitude_m) -> np.ndarray:
        """1-sigma of the altitude-correlated perturbation at each altitude."""
        return np.interp(np.asarray(altitude_m, np.float64), self.sigma_altitude_m, self.sigma)

    def draw(self, rng: np.random.Generator, n: int, altitude_m) -> np.ndarray:
        """(n, n_levels) density factors of mean 1 for ``n`` samples at ascending levels.

        Each sample reads its own consecutive block of the generator's normals (scale
        factor first, then one innovation per level), so the first ``m`` rows of a draw of
        ``n`` equal a draw of ``m`` from the same seed.
        """
        return self._draw(rng, n, altitude_m, log=False)

    def _draw(self, rng: np.random.Generator, n: int, altitude_m, log: bool) -> np.ndarray:
        """Factors (or their logarithms), computed in place in the buffer of normals."""
        h = _ascending(altitude_m)
        normals = rng.standard_normal((n, 1 + h.size))
        eta = normals[:, :1]
        xi = _gauss_markov(normals[:, 1:], h, self.correlation_length_m)
        sigma = self.sigma_at(h)
        s = self.scale_factor_sigma
        xi *= sigma
        if self.lognormal:
            xi += s * eta - 0.5 * s * s
            xi -= 0.5 * sigma**2
            return xi if log else np.exp(xi, out=xi)
        xi += 1.0
        xi *= 1.0 + s * eta
        np.maximum(xi, MIN_DENSITY_FACTOR, out=xi)
        return np.log(xi, out=xi) if log else xi

    def apply(
        self, atmosphere: Atmosphere, rng: np.random.Generator, n: int, altitude_m
    ) -> TabulatedAtmosphere:
        """``n`` dispersed copies of an atmosphere, tabulated at ``altitude_m`` (ascending).

        The result holds ``log_density`` (n, n_levels), 8 bytes per sample and level (16
        while drawing): a 500 m to 1 km grid keeps 1e5 samples within a few hundred MB.
        """
        if getattr(atmosphere, "n_samples", 1) != 1:
            raise ValueError("the atmosphere is already dispersed")
        table = tabulate(atmosphere, altitude_m, getattr(atmosphere, "source", ""))
        log_factors = self._draw(rng, n, table.altitude_m, log=True)
        label = f"{table.source}; dispersed: {self.source}" if self.source else table.source
        return dataclasses.replace(table, log_density=table.log_density + log_factors, source=label)
