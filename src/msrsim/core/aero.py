"""Aerodynamics and stagnation-point heating of blunt sphere-cone capsules.

Drag in continuum flow: modified Newtonian theory for a sphere-cone at zero angle of
attack (Anderson, "Hypersonic and High-Temperature Gas Dynamics", 2nd ed., 2006, sect.
3.2; the sphere-cone integral as in Hirschel, "Basics of Aerothermodynamics")::

    CD = Cp_max [ (1 - sin^4 tc) / 2 (rn/rb)^2 + sin^2 tc (1 - (rn/rb)^2 cos^2 tc) ]   (1)

with ``Cp_max`` the stagnation-pressure coefficient behind a normal shock from the Rayleigh
pitot formula (Anderson, "Modern Compressible Flow", eq. 8.80)::

    Cp_max = 2 / (g M^2) * ( [ (g+1)^2 M^2 / (4 g M^2 - 2 (g-1)) ]^(g/(g-1))
                              * (1 - g + 2 g M^2) / (g + 1) - 1 )                     (2)

Newtonian theory is a hypersonic approximation: it is used from Mach 2 up. Below, CD is
interpolated to a subsonic value that the caller gives (representative unless a capsule's
wind-tunnel data say otherwise). Free-molecular drag of a blunt body at zero incidence is
close to 2 (Huygens' database: 2.09; Wilmoth, Mitcheltree and Moss, J. Spacecr. Rockets
36(3), 1999, for Stardust).

Newtonian theory gives the forebody pressure only: behind a blunt body the separated wake
holds the base below the free-stream pressure, a drag that Newtonian theory leaves out and
that matters where the forebody term is small against it, in the low supersonic range.
The base drag coefficient on the base area, after Fleeman ("Tactical Missile Design",
AIAA, 2001) as implemented by OpenRocket (Niskanen, "Development of an Open Source Model
Rocket Simulation Software", Helsinki University of Technology, 2009, eq. 3.94)::

    CD_base = 0.12 + 0.13 M^2   (M < 1),      CD_base = 0.25 / M   (M >= 1)           (3)

written for a cylindrical base; taken here for the backshell's wake (an assumption: no
published base-pressure data of a 70 deg aeroshell were found).

Heating constants for Earth: Sutton and Graves (NASA TR R-376, 1971, Table II) give
``K = 0.1113 kg s^-1 m^-1.5 atm^-0.5`` for air in ``q = K sqrt(p_s / R_n) (h_s - h_w)``;
with the Newtonian stagnation pressure ``p_s = rho V^2`` and ``h_s - h_w = V^2 / 2`` this
is ``q = k sqrt(rho / R_n) V^3`` with ``k = K / (2 sqrt(101325 Pa))`` = 1.748e-4 SI (the
often quoted 1.7415e-4 is 0.4 % lower). Radiative heating: Tauber and Sutton, J. Spacecr.
Rockets 28(1):40-42 (1991), ``q_r = C R_n^a rho^b f(V)`` W/cm2 with C = 4.736e4,
b = 1.22, ``a = 1.072e6 V^-1.88 rho^-0.325`` (capped at 0.6 for 1-2 m nose radii and 0.5
for 2-3 m), f(V) tabulated from 9 to 16 km/s.
"""

from __future__ import annotations

import math

import numpy as np

from msrsim.core.flight import Aerodynamics, Heating

SUTTON_GRAVES_K_AIR_TR_R376 = 0.1113  # kg s^-1 m^-1.5 atm^-0.5, Sutton and Graves 1971
ATMOSPHERE_PA = 101_325.0
FREE_MOLECULAR_CD_BLUNT = 2.0

# Tauber and Sutton (1991), Table: f(V) for Earth, V in km/s.
_TAUBER_SUTTON_EARTH_V_KM_S = np.array(
    [9.0, 9.25, 9.5, 9.75, 10.0, 10.25, 10.5, 10.75, 11.0, 11.5, 12.0, 12.5, 13.0, 13.5,
     14.0, 14.5, 15.0, 15.5, 16.0]
)  # fmt: skip
_TAUBER_SUTTON_EARTH_F = np.array(
    [1.5, 4.3, 9.7, 19.5, 35.0, 55.0, 81.0, 115.0, 151.0, 238.0, 359.0, 495.0, 660.0, 850.0,
     1065.0, 1313.0, 1550.0, 1780.0, 2040.0]
)  # fmt: skip


def rayleigh_pitot_cp_max(mach, gamma: float = 1.4) -> np.ndarray:
    """Stagnation pressure coefficient behind a normal shock, eq. (2); needs Mach > 1."""
    m2 = np.asarray(mach, dtype=np.float64) ** 2
    g = gamma
    ratio = ((g + 1) ** 2 * m2 / (4 * g * m2 - 2 * (g - 1))) ** (g / (g - 1)) * (
        (1 - g + 2 * g * m2) / (g + 1)
    )  # eq. (2): p02 / p1
    return 2.0 / (g * m2) * (ratio - 1.0)


def base_drag_coefficient(mach) -> np.ndarray:
    """Base drag coefficient on the base area, eq. (3) (Fleeman 2001; Niskanen 2009)."""
    m = np.asarray(mach, dtype=np.float64)
    return np.where(m < 1.0, 0.12 + 0.13 * m * m, 0.25 / np.maximum(m, 1.0))  # eq. (3)


def newtonian_sphere_cone_cd(
    half_angle_rad: float, nose_radius_m: float, base_radius_m: float, cp_max
) -> np.ndarray:
    """Zero-incidence drag coefficient of a sphere-cone, eq. (1), on the base area.

    The nose meets the cone on a circle of radius ``rn cos tc``, which must lie within the
    base: ``rn`` up to ``rb / cos tc``, where the body is a spherical segment and eq. (1) is
    Newtonian theory's ``Cp_max (1 + sin^2 tc) / 2`` for it (tested)."""
    if not 0.0 < nose_radius_m * math.cos(half_angle_rad) <= base_radius_m:
        raise ValueError(
            f"nose radius {nose_radius_m} m must be positive and meet the cone within the "
            f"base (at most the base radius over cos(half-angle), {base_radius_m} m / "
            f"{math.cos(half_angle_rad):.4g})"
        )
    ratio2 = (nose_radius_m / base_radius_m) ** 2
    s2 = math.sin(half_angle_rad) ** 2
    c2 = math.cos(half_angle_rad) ** 2
    shape = 0.5 * (1.0 - s2 * s2) * ratio2 + s2 * (1.0 - ratio2 * c2)  # eq. (1)
    return np.asarray(cp_max) * shape


def sphere_cone_aerodynamics(
    half_angle_deg: float,
    nose_radius_m: float,
    diameter_m: float,
    *,
    subsonic_cd: float,
    gamma: float = 1.4,
    free_molecular_cd: float = FREE_MOLECULAR_CD_BLUNT,
) -> Aerodynamics:
    """CD(Mach) table of a sphere-cone for :func:`msrsim.core.flight.fly`.

    Modified Newtonian with the Rayleigh pitot ``Cp_max`` from Mach 2 to 50; linear from
    ``subsonic_cd`` at Mach 0.8 down to 0 to the Mach-2 Newtonian value.
    """
    base_radius = diameter_m / 2.0
    high = np.array([2.0, 3.0, 4.0, 6.0, 10.0, 20.0, 50.0])
    cd_high = newtonian_sphere_cone_cd(
        math.radians(half_angle_deg), nose_radius_m, base_radius, rayleigh_pitot_cp_max(high, gamma)
    )
    mach = np.concatenate([[0.0, 0.8], high])
    cd = np.concatenate([[subsonic_cd, subsonic_cd], cd_high])
    return Aerodynamics(mach, cd, free_molecular_cd, diameter_m)


def earth_heating(nose_radius_m: float) -> Heating:
    """Sutton-Graves and Tauber-Sutton constants for Earth's air (module docstring)."""
    if nose_radius_m < 1.0:
        a_max = 1.0
    elif nose_radius_m < 2.0:
        a_max = 0.6
    else:
        a_max = 0.5
    return Heating(
        sutton_graves_k=SUTTON_GRAVES_K_AIR_TR_R376 / (2.0 * math.sqrt(ATMOSPHERE_PA)),
        radiative_c=4.736e4,
        radiative_b=1.22,
        radiative_a_coefficient=1.072e6,
        radiative_a_velocity_exponent=-1.88,
        radiative_a_density_exponent=-0.325,
        radiative_velocity_m_s=_TAUBER_SUTTON_EARTH_V_KM_S * 1e3,
        radiative_f=_TAUBER_SUTTON_EARTH_F,
        radiative_a_max=a_max,
    )
