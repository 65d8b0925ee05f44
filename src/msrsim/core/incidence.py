"""Newtonian force coefficients of a sphere-cone at an angle of attack.

Newtonian flow (Anderson, "Hypersonic and High-Temperature Gas Dynamics", 2nd ed., AIAA
2006, sect. 3.2): every forebody element that faces the flow takes the pressure
coefficient ``Cp = Cp_max (-n . d)^2`` (``n`` its outward normal, ``d`` the flow
direction), the elements in its shadow none. The force ``-integral(Cp n dA)`` is
integrated numerically over the spherical nose (polar angle ``psi`` from the axis, up to
``90 deg - half angle``; ``dA = rn^2 sin psi dpsi dphi``) and the conical frustum (radius
``r`` from ``rn cos tc`` to the base; ``dA = r dr dphi / sin tc``), Gauss-Legendre along
the meridian and the trapezoid rule (exact for a periodic integrand's low harmonics)
around it, and divided by the base area. ``Cp_max`` is 2 (pure Newtonian): the ratios
msrsim uses do not depend on it. At zero incidence the result is the closed form of
:func:`msrsim.core.aero.newtonian_sphere_cone_cd` (tested to 1e-9).

Used for the drag a lifting aeroshell (MSL's 70 deg sphere-cone, L/D 0.24 at ~16 deg)
gains when it drops its balance masses and flies at zero incidence
(:class:`msrsim.segments.edl.BalanceJettison`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

MERIDIAN_NODES = 64
AZIMUTH_NODES = 128


def _gauss(lo: float, hi: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (hi - lo) * x + 0.5 * (hi + lo), 0.5 * (hi - lo) * w


def sphere_cone_force_coefficients(
    half_angle_rad: float, nose_radius_m: float, base_radius_m: float, alpha_rad: float
) -> tuple[float, float]:
    """Newtonian axial and normal force coefficients ``(CA, CN)`` on the base area, at an
    angle of attack ``alpha_rad`` (``Cp_max`` = 2)."""
    tc, rn, rb = half_angle_rad, nose_radius_m, base_radius_m
    if not 0.0 < rn * math.cos(tc) <= rb:
        raise ValueError(
            f"nose radius {rn} m must be positive and meet the cone within the base radius {rb} m"
        )
    phi = 2.0 * math.pi * np.arange(AZIMUTH_NODES) / AZIMUTH_NODES
    around = np.full(AZIMUTH_NODES, 2.0 * math.pi / AZIMUTH_NODES)
    cos_phi, sin_phi = np.cos(phi), np.sin(phi)
    flow = np.array([math.cos(alpha_rad), math.sin(alpha_rad), 0.0])

    def force(normal_x, normal_r, area):
        """Force of elements whose normal is (normal_x, normal_r cos phi, normal_r sin phi)
        on meridian nodes (rows) and azimuths (columns), of area ``area`` each."""
        n = np.stack(
            [
                np.broadcast_to(normal_x[:, None], area.shape),
                normal_r[:, None] * cos_phi,
                normal_r[:, None] * sin_phi,
            ]
        )
        facing = -np.tensordot(flow, n, axes=1)
        cp = 2.0 * np.where(facing > 0.0, facing * facing, 0.0)
        return -np.sum(cp * n * area, axis=(1, 2))

    psi, w_psi = _gauss(0.0, 0.5 * math.pi - tc, MERIDIAN_NODES)
    cap = force(-np.cos(psi), np.sin(psi), np.outer(rn * rn * np.sin(psi) * w_psi, around))
    r, w_r = _gauss(rn * math.cos(tc), rb, MERIDIAN_NODES)
    cone = force(
        np.full(r.size, -math.sin(tc)),
        np.full(r.size, math.cos(tc)),
        np.outer(r * w_r / math.sin(tc), around),
    )
    total = (cap + cone) / (math.pi * rb * rb)
    return float(total[0]), float(total[1])


def sphere_cone_lift_to_drag(
    half_angle_rad: float, nose_radius_m: float, base_radius_m: float, alpha_rad: float
) -> tuple[float, float]:
    """``(CD, L/D)`` at ``alpha_rad``: ``CD = CA cos a + CN sin a``, ``CL = CN cos a - CA
    sin a`` (a blunt body's lift points against its normal force: L/D is ``|CL| / CD``)."""
    ca, cn = sphere_cone_force_coefficients(half_angle_rad, nose_radius_m, base_radius_m, alpha_rad)
    c, s = math.cos(alpha_rad), math.sin(alpha_rad)
    cd = ca * c + cn * s
    return cd, abs(cn * c - ca * s) / cd


def trim_angle_rad(
    half_angle_rad: float, nose_radius_m: float, base_radius_m: float, lift_to_drag: float
) -> float:
    """The angle of attack (0 to 40 deg) at which the Newtonian L/D is ``lift_to_drag``."""
    if lift_to_drag == 0.0:
        return 0.0

    def miss(alpha):
        shape = (half_angle_rad, nose_radius_m, base_radius_m, alpha)
        return sphere_cone_lift_to_drag(*shape)[1] - lift_to_drag

    top = math.radians(40.0)
    if miss(top) < 0.0:
        raise ValueError(
            f"lift_to_drag = {lift_to_drag:g} is beyond the sphere-cone's Newtonian L/D at "
            "40 deg angle of attack"
        )
    return brentq(miss, 0.0, top, xtol=1e-10)


def zero_incidence_drag_ratio(
    half_angle_rad: float, nose_radius_m: float, base_radius_m: float, lift_to_drag: float
) -> float:
    """``CD(0) / CD(trim)``: how much more drag the sphere-cone has at zero incidence than
    trimmed at ``lift_to_drag`` (Newtonian; 1.11 for MSL's 70 deg aeroshell at L/D 0.24)."""
    shape = (half_angle_rad, nose_radius_m, base_radius_m)
    alpha = trim_angle_rad(*shape, lift_to_drag)
    return sphere_cone_lift_to_drag(*shape, 0.0)[0] / sphere_cone_lift_to_drag(*shape, alpha)[0]
