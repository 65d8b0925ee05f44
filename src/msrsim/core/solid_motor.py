"""Solid rocket motors: thrust-time curves, propellant temperature, nozzle back-pressure.

A motor is described by what a motor data sheet gives: propellant and inert mass, vacuum
specific impulse, burn time at a reference propellant temperature, the shape of its
thrust-time curve, its nozzle exit area and exit pressure. The model (Sutton and Biblarz,
"Rocket Propulsion Elements", 9th ed., 2017, ch. 3, 12 and 13) is:

**Mass flow.** The propellant burns out in ``t_b``; the mass flow follows a normalised
shape ``s(tau)``, ``tau = t / t_b`` in [0, 1], with ``integral_0^1 s dtau = 1``::

    mdot(t) = (m_p / t_b) s(t / t_b),   m_burnt(t) = m_p S(t / t_b),  S = int_0^tau s   (1)

``s`` is piecewise linear (a table on ``tau``), so ``S`` is exact and piecewise quadratic.
Shapes (:data:`THRUST_CURVE_SHAPES`) are the textbook grain families (Sutton and Biblarz,
sect. 12.3, Fig. 12-16): ``neutral`` (internal-burning star or slotted tube),
``progressive`` (+40 % from ignition to web burnout), ``regressive`` (-40 %),
``boost_sustain`` (a boost of twice the sustain level for the first quarter), each with a
2 % ignition rise and an 8 % tail-off (sliver burning).

**Thrust** (Sutton and Biblarz eq. 2-14 / 3-29)::

    F = mdot c_j + (p_e - p_a) A_e = mdot c_vac - p_a A_e,   c_vac = c_j + p_e A_e / mdot   (2)

``c_vac = g0 Isp_vac``. For a fixed nozzle the exit pressure is proportional to the
chamber pressure, itself proportional to the mass flow through the fixed throat
(``mdot = p_c A_t / c*``, eq. 3-24), so ``p_e A_e / mdot`` and hence ``c_vac`` do not depend
on the chamber pressure: ``p_e(t) = p_e,ref mdot(t) / mdot_ref`` and only the back-pressure
term ``p_a A_e`` changes the thrust with the ambient pressure. Thrust is floored at zero (a
motor in tail-off at the surface does not pull). ``c*`` and the thrust coefficient's weak
dependence on chamber pressure are left out (a few 0.1 % of Isp over the temperature range).

**Propellant temperature** (Sutton and Biblarz sect. 12.2, eqs. 12-3, 12-8 and 12-9). The
burn rate ``r = a(T) p_c^n`` with ``(d ln r / dT)_p = sigma_p``; in a motor of fixed
geometry (fixed ratio ``K`` of burning to throat area) the chamber pressure settles where
generation equals nozzle flow, ``p_c = (K rho_p a c*)^(1 / (1 - n))``, so::

    pi_K = (d ln p_c / dT)_K = sigma_p / (1 - n),                                       (3)

and the burn rate, mass flow and thrust scale by ``exp(pi_K (T - T_ref))`` while the burn
time scales by ``exp(-pi_K (T - T_ref))``: the same total impulse delivered faster by a
warm motor, slower by a cold one. AP/HTPB composites have ``sigma_p`` of 0.001-0.002 /K and
``n`` 0.3-0.4 (Sutton and Biblarz Table 12-3 and sect. 12.2: sigma_p 0.001-0.009 /K for
practical propellants); msrsim's scenario values are representative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from msrsim.core.bodies import G0_M_S2

__all__ = [
    "THRUST_CURVE_SHAPES",
    "SolidMotor",
    "burnt_fraction",
    "mass_flow_shape",
    "pressure_sensitivity",
    "thrust_curve_shape",
]

_RISE, _TAIL = 0.02, 0.08


def _shape(nodes: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """A normalised (integral 1) piecewise-linear shape from unnormalised nodes."""
    tau = np.array([p[0] for p in nodes])
    s = np.array([p[1] for p in nodes])
    area = float(np.sum(0.5 * (s[1:] + s[:-1]) * np.diff(tau)))
    return tau, s / area


def _family(level_at) -> tuple[np.ndarray, np.ndarray]:
    """Ignition rise, a body ``level_at(tau)`` sampled every 0.05, sliver tail-off."""
    body = np.linspace(_RISE, 1.0 - _TAIL, 19)
    nodes = [(0.0, 0.0)] + [(float(t), float(level_at(t))) for t in body] + [(1.0, 0.0)]
    return _shape(nodes)


THRUST_CURVE_SHAPES: dict[str, tuple[np.ndarray, np.ndarray]] = {
    "neutral": _family(lambda t: 1.0),
    "progressive": _family(lambda t: 1.0 + 0.4 * t),
    "regressive": _family(lambda t: 1.0 - 0.4 * t / (1.0 - _TAIL)),
    "boost_sustain": _family(lambda t: 2.0 if t < 0.25 else 1.0),
}
"""Normalised mass-flow shapes ``(tau, s)``: piecewise linear, ``integral s dtau = 1``."""


def thrust_curve_shape(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The ``(tau, s)`` table of a named shape; ``ValueError`` naming the known shapes."""
    try:
        return THRUST_CURVE_SHAPES[name]
    except KeyError:
        known = ", ".join(THRUST_CURVE_SHAPES)
        raise ValueError(f"thrust curve shape {name!r} is not one of: {known}") from None


def mass_flow_shape(tau, name: str) -> np.ndarray:
    """``s(tau)`` of eq. (1), zero outside [0, 1]."""
    grid, s = thrust_curve_shape(name)
    tau = np.asarray(tau, np.float64)
    return np.where((tau >= 0.0) & (tau <= 1.0), np.interp(tau, grid, s), 0.0)


def burnt_fraction(tau, name: str) -> np.ndarray:
    """``S(tau)`` of eq. (1): the fraction of the propellant burnt, exact for the table."""
    grid, s = thrust_curve_shape(name)
    tau = np.clip(np.asarray(tau, np.float64), 0.0, 1.0)
    cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (s[1:] + s[:-1]) * np.diff(grid))])
    i = np.clip(np.searchsorted(grid, tau, side="right") - 1, 0, grid.size - 2)
    dt = tau - grid[i]
    slope = (s[i + 1] - s[i]) / (grid[i + 1] - grid[i])
    return cumulative[i] + s[i] * dt + 0.5 * slope * dt * dt


def pressure_sensitivity(sigma_p_per_k: float, burn_rate_exponent: float) -> float:
    """``pi_K = sigma_p / (1 - n)``, eq. (3) (Sutton and Biblarz eq. 12-9), per kelvin."""
    if not 0.0 <= burn_rate_exponent < 1.0:
        raise ValueError(
            f"burn rate exponent {burn_rate_exponent} must be in [0, 1) for a stable motor"
        )
    return sigma_p_per_k / (1.0 - burn_rate_exponent)


@dataclass(frozen=True)
class SolidMotor:
    """A solid rocket motor (SI; temperatures in kelvin or celsius as named).

    ``burn_time_s`` and ``exit_pressure_pa`` are at ``reference_temperature_c`` and are the
    action time and the exit pressure at the mean mass flow.
    """

    name: str
    propellant_mass_kg: float
    inert_mass_kg: float
    vacuum_specific_impulse_s: float
    burn_time_s: float
    shape: str
    nozzle_exit_diameter_m: float
    exit_pressure_pa: float
    burn_rate_exponent: float
    temperature_sensitivity_per_k: float
    reference_temperature_c: float

    def __post_init__(self):
        thrust_curve_shape(self.shape)
        for field in (
            "propellant_mass_kg",
            "vacuum_specific_impulse_s",
            "burn_time_s",
            "nozzle_exit_diameter_m",
        ):
            value = getattr(self, field)
            if not (math.isfinite(value) and value > 0.0):
                raise ValueError(f"{self.name}: {field} = {value} must be finite and positive")
        pressure_sensitivity(self.temperature_sensitivity_per_k, self.burn_rate_exponent)
        if self.jet_speed_m_s <= 0.0:
            share = self.exit_pressure_pa * self.exit_area_m2 / self.mean_mass_flow_kg_s
            raise ValueError(
                f"{self.name}: exit_pressure_pa = {self.exit_pressure_pa} leaves no jet speed "
                f"(p_e A_e / mdot = {share:.0f} m/s is not below c_vac = "
                f"{self.vacuum_exhaust_speed_m_s:.0f} m/s)"
            )

    @property
    def exit_area_m2(self) -> float:
        return math.pi * self.nozzle_exit_diameter_m**2 / 4.0

    @property
    def vacuum_exhaust_speed_m_s(self) -> float:
        """``c_vac = g0 Isp_vac`` of eq. (2)."""
        return G0_M_S2 * self.vacuum_specific_impulse_s

    @property
    def mean_mass_flow_kg_s(self) -> float:
        return self.propellant_mass_kg / self.burn_time_s

    @property
    def jet_speed_m_s(self) -> float:
        """``c_j = c_vac - p_e A_e / mdot`` of eq. (2) (temperature independent)."""
        return self.vacuum_exhaust_speed_m_s - (
            self.exit_pressure_pa * self.exit_area_m2 / self.mean_mass_flow_kg_s
        )

    @property
    def pressure_sensitivity_per_k(self) -> float:
        """``pi_K`` of eq. (3)."""
        return pressure_sensitivity(self.temperature_sensitivity_per_k, self.burn_rate_exponent)

    @property
    def total_mass_kg(self) -> float:
        return self.propellant_mass_kg + self.inert_mass_kg

    @property
    def vacuum_total_impulse_n_s(self) -> float:
        return self.propellant_mass_kg * self.vacuum_exhaust_speed_m_s

    def burn_rate_factor(self, temperature_c) -> np.ndarray:
        """``exp(pi_K (T - T_ref))``: mass flow and thrust multiplier, eq. (3)."""
        dt = np.asarray(temperature_c, np.float64) - self.reference_temperature_c
        return np.exp(self.pressure_sensitivity_per_k * dt)

    def burn_time_at(self, temperature_c) -> np.ndarray:
        """Burn time at a propellant temperature, eq. (3): ``t_b,ref / burn_rate_factor``."""
        return self.burn_time_s / self.burn_rate_factor(temperature_c)

    def mass_flow(self, t_s, temperature_c=None, burn_time_s=None) -> np.ndarray:
        """``mdot(t)`` of eq. (1), kg/s, at a temperature (or for a given burn time)."""
        tb = self._burn_time(temperature_c, burn_time_s)
        return self.propellant_mass_kg / tb * mass_flow_shape(np.asarray(t_s) / tb, self.shape)

    def thrust(self, t_s, ambient_pressure_pa=0.0, temperature_c=None, burn_time_s=None):
        """``F(t)`` of eq. (2), newtons, floored at zero."""
        mdot = self.mass_flow(t_s, temperature_c, burn_time_s)
        force = mdot * self.vacuum_exhaust_speed_m_s - np.asarray(ambient_pressure_pa) * (
            self.exit_area_m2
        )
        return np.where(mdot > 0.0, np.maximum(force, 0.0), 0.0)

    def exit_pressure(self, t_s, temperature_c=None, burn_time_s=None) -> np.ndarray:
        """``p_e(t) = p_e,ref mdot(t) / mdot_ref`` (fixed nozzle), Pa."""
        mdot = self.mass_flow(t_s, temperature_c, burn_time_s)
        return self.exit_pressure_pa * mdot / self.mean_mass_flow_kg_s

    def _burn_time(self, temperature_c, burn_time_s):
        if burn_time_s is not None:
            return np.asarray(burn_time_s, np.float64)
        if temperature_c is None:
            return np.asarray(self.burn_time_s)
        return self.burn_time_at(temperature_c)
