"""The Orbiting Sample in Mars orbit: its release orbit and covariance, its forces, lifetime.

The Mars Ascent Vehicle's upper stage leaves the Orbiting Sample (OS) on a near-circular
low Mars orbit (studies: roughly 340-570 km, IEEE Aerospace and AAS 11-519, in msrsim's
reference sheet). Until the ascent leg hands over its own, :func:`release_orbit` builds the
OS's mean state from the scenario's circular orbit (altitude, inclination, node, argument
of latitude, in the Mars equatorial frame of date: ``z`` the IAU pole, ``x`` the node of
Mars' equator on the ICRF equator) and a 6x6 covariance from 1-sigma position and velocity
errors in the radial, along-track and cross-track directions (RTN, rotated to ICRF).

The OS is a passive sphere: drag ``C_D A / m`` and radiation pressure ``C_R A / m`` with
``A = pi d^2 / 4`` (:class:`SphereBody`). It flies under Mars' ``J2``, drag and solar
radiation pressure (:mod:`msrsim.core.orbit_propagation`). Its orbital lifetime is the
decay time of a circular orbit from its altitude to 120 km through msrsim's Mars density
table (King-Hele's circular-orbit rate, :func:`msrsim.core.orbit_propagation.orbital_lifetime_s`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from msrsim.core.bodies import MARS
from msrsim.core.frames import rtn_matrix
from msrsim.core.orbit_propagation import DensityTable, orbital_lifetime_s

__all__ = ["OrbitState", "SphereBody", "covariance_from_rtn_sigmas", "release_orbit"]


@dataclass(frozen=True)
class SphereBody:
    """A passive sphere (SI): mass, diameter, drag and radiation-pressure coefficients."""

    mass_kg: float
    diameter_m: float
    drag_coefficient: float
    reflectivity_coefficient: float

    @property
    def area_m2(self) -> float:
        return math.pi * self.diameter_m**2 / 4.0

    @property
    def ballistic_coefficient_m2_kg(self) -> float:
        """``C_D A / m``."""
        return self.drag_coefficient * self.area_m2 / self.mass_kg

    @property
    def srp_area_to_mass_m2_kg(self) -> float:
        """``C_R A / m``."""
        return self.reflectivity_coefficient * self.area_m2 / self.mass_kg


@dataclass(frozen=True)
class OrbitState:
    """An orbit hand-off: epoch ``et``, mean Mars-centred ICRF state (6,) and covariance."""

    et: float
    state: np.ndarray
    covariance: np.ndarray

    def __post_init__(self):
        s = np.asarray(self.state, np.float64).reshape(6)
        c = np.asarray(self.covariance, np.float64).reshape(6, 6)
        if not (np.all(np.isfinite(s)) and np.all(np.isfinite(c))):
            raise ValueError("the OS release state and covariance must be finite")
        if not np.allclose(c, c.T, rtol=1e-9, atol=1e-12 * max(1.0, np.abs(c).max())):
            raise ValueError("the OS release covariance must be symmetric")
        if np.min(np.linalg.eigvalsh(c)) < -1e-9 * np.abs(c).max():
            raise ValueError("the OS release covariance must be positive semi-definite")
        object.__setattr__(self, "state", s)
        object.__setattr__(self, "covariance", c)

    @property
    def covariance_rtn_diag(self) -> np.ndarray:
        """Variances (6,) of the covariance in the state's RTN frame (position, velocity)."""
        c = rtn_matrix(self.state[:3], self.state[3:])[0]
        rot = np.zeros((6, 6))
        rot[:3, :3], rot[3:, 3:] = c, c
        return np.diag(rot @ self.covariance @ rot.T).copy()

    @property
    def altitude_m(self) -> float:
        return float(np.linalg.norm(self.state[:3])) - MARS.equatorial_radius.value

    def lifetime_s(self, body: SphereBody, density: DensityTable | None = None) -> float:
        """Decay time from the mean radius of the orbit to 120 km (circular-orbit rate)."""
        h = float(np.linalg.norm(self.state[:3])) - MARS.mean_radius.value
        return orbital_lifetime_s(h, body.ballistic_coefficient_m2_kg, density)


def covariance_from_rtn_sigmas(state, position_sigma_m, velocity_sigma_m_s) -> np.ndarray:
    """ICRF 6x6 covariance of uncorrelated RTN errors of the given 1-sigmas (3,) each:
    (6, 6) for one state (6,), (n, 6, 6) for states (n, 6)."""
    s = np.asarray(state, np.float64)
    x = s.reshape(-1, 6)
    c = rtn_matrix(x[:, :3], x[:, 3:])
    rot = np.zeros((x.shape[0], 6, 6))
    rot[:, :3, :3] = rot[:, 3:, 3:] = np.transpose(c, (0, 2, 1))
    sigma = np.concatenate(
        [np.broadcast_to(position_sigma_m, 3), np.broadcast_to(velocity_sigma_m_s, 3)]
    )
    out = np.einsum("nij,j,nkj->nik", rot, sigma**2, rot)
    out = 0.5 * (out + np.transpose(out, (0, 2, 1)))
    return out[0] if s.ndim == 1 else out


def release_orbit(
    et: float,
    altitude_m: float,
    inclination_rad: float,
    raan_rad: float,
    argument_of_latitude_rad: float,
    position_sigma_m=(0.0, 0.0, 0.0),
    velocity_sigma_m_s=(0.0, 0.0, 0.0),
) -> OrbitState:
    """A circular release orbit (Mars equatorial frame of date) with its RTN covariance."""
    from msrsim.segments.spiral import equatorial_frame, periapsis_state

    radius = MARS.equatorial_radius.value + altitude_m
    r, v = periapsis_state(radius, radius, inclination_rad, raan_rad, argument_of_latitude_rad)
    frame = equatorial_frame(et)
    state = np.concatenate([frame.T @ r, frame.T @ v])
    return OrbitState(
        et, state, covariance_from_rtn_sigmas(state, position_sigma_m, velocity_sigma_m_s)
    )
