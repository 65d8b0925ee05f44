"""Entry guidance of a lifting capsule: the Apollo final-phase law (MSL's range control).

A capsule trimmed at an angle of attack flies with a fixed lift-to-drag ratio ``L/D``; it
steers by rolling its lift vector about the air-relative velocity, the bank angle
``sigma`` (positive: lift to the right of the velocity). Only the vertical part
``(L/D) cos(sigma)`` controls the range; the sign of ``sigma`` moves the capsule
sideways and is kept inside a crossrange corridor by bank reversals.

Range control is the Apollo final-phase predictor (Moseley, "The Apollo Entry Guidance: A
Review of the Mathematical Development and Its Operational Characteristics", TRW
69-FMT-791, 1969), flown by Mars Science Laboratory as its Entry Terminal Point
Controller (Mendeck and Craig, "Entry Guidance for the 2011 Mars Science Laboratory
Mission", AIAA 2011-6639). Along a reference trajectory tabulated against the planet-
relative speed ``V``, the range to go ``R_ref``, sensed aerodynamic acceleration
``D_ref``, altitude rate ``hdot_ref`` and vertical lift ``(L/D)_ref``, with the
sensitivities of the final range ``F1 = dR/dD``, ``F2 = dR/dhdot``, ``F3 = dR/d(L/D)``::

    R_p = R_ref + F2 (hdot - hdot_ref) + F1 (D - D_ref)                            (1)
    (L/D)_c = (L/D)_ref + K3 (R_togo - R_p) / F3,   cos(sigma_c) = (L/D)_c / (L/D)  (2)

``K3`` is the over-control gain. Before the sensed acceleration reaches ``D_start`` the
capsule holds its initial bank (pre-bank). Lateral logic: the crossrange angle ``chi``
of the target from the trajectory plane (positive: target to the left) is kept within a
deadband ``chi_db = a + b V``; leaving it reverses the bank's sign. Below ``V_heading``
the law steers the heading onto the target instead (heading alignment),
``sigma_c = -clip(k_h chi, -sigma_max, sigma_max)``. The bank follows its command at a
limited rate (a first-order rate limit per integration step).

The packed form (``tables``, ``params``) is what the numba kernel of
:mod:`msrsim.core.flight` reads; :func:`bank_profile` packs the open-loop reference (bank
held, lift up below the heading-alignment speed) in the same form.

The law is inlined into that kernel, whose numba cache is keyed on ``flight.py`` alone:
after editing this module, clear ``core/__pycache__/flight*.nb*`` (an installed package
is rebuilt whole, so users never meet a stale kernel).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

# rows of the packed reference table
_V, _R, _D, _HDOT, _F1, _F2, _F3, _LDV = range(8)
# entries of the packed parameters
(
    _ACTIVE,
    _K3,
    _D_START,
    _V_HEADING,
    _K_HEADING,
    _MAX_HEADING,
    _DB0,
    _DB1,
    _RATE,
    _TX,
    _TY,
    _TZ,
    _RADIUS,
) = range(13)


@dataclass(frozen=True)
class EntryGuidance:
    """A reference trajectory, its sensitivities, gains and the target (SI, radians).

    Arrays are tabulated against ascending speed ``speed_m_s``. ``target_unit`` is the
    target's direction in the planet-fixed frame, ``planet_radius_m`` converts angles to
    range.
    """

    speed_m_s: np.ndarray
    range_to_go_m: np.ndarray
    acceleration_m_s2: np.ndarray
    altitude_rate_m_s: np.ndarray
    f1_s2: np.ndarray
    f2_s: np.ndarray
    f3_m: np.ndarray
    vertical_lift_to_drag: np.ndarray
    target_unit: np.ndarray
    planet_radius_m: float
    overcontrol_gain: float = 5.0
    start_acceleration_m_s2: float = 0.5
    heading_speed_m_s: float = 1100.0
    heading_gain: float = 3.0
    heading_max_bank_rad: float = math.radians(30.0)
    deadband_rad: float = 0.0
    deadband_per_speed_rad_s_m: float = 0.0
    bank_rate_rad_s: float = math.radians(20.0)

    def packed(self) -> tuple[np.ndarray, np.ndarray]:
        """The (8, m) table and the parameter vector read by the flight kernel."""
        tables = np.ascontiguousarray(
            np.stack(
                [
                    self.speed_m_s,
                    self.range_to_go_m,
                    self.acceleration_m_s2,
                    self.altitude_rate_m_s,
                    self.f1_s2,
                    self.f2_s,
                    self.f3_m,
                    self.vertical_lift_to_drag,
                ]
            ).astype(np.float64)
        )
        if np.any(np.diff(tables[_V]) <= 0):
            raise ValueError("guidance tables must ascend in speed")
        t = np.asarray(self.target_unit, dtype=np.float64)
        params = np.array(
            [
                1.0,
                self.overcontrol_gain,
                self.start_acceleration_m_s2,
                self.heading_speed_m_s,
                self.heading_gain,
                self.heading_max_bank_rad,
                self.deadband_rad,
                self.deadband_per_speed_rad_s_m,
                self.bank_rate_rad_s,
                t[0],
                t[1],
                t[2],
                self.planet_radius_m,
            ]
        )
        return tables, params


def no_guidance() -> tuple[np.ndarray, np.ndarray]:
    """The packed form of 'no guidance': the bank stays at its initial value."""
    return np.zeros((8, 2)), np.zeros(13)


@njit(cache=True, inline="always")
def _table(tables, row, v):
    """Row ``row`` of the reference at speed ``v`` (linear, clamped)."""
    grid = tables[_V]
    n = grid.shape[0]
    if v <= grid[0]:
        return tables[row, 0]
    if v >= grid[n - 1]:
        return tables[row, n - 1]
    lo, hi = 0, n - 1
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if grid[mid] <= v:
            lo = mid
        else:
            hi = mid
    w = (v - grid[lo]) / (grid[hi] - grid[lo])
    return tables[row, lo] * (1.0 - w) + tables[row, hi] * w


@njit(cache=True, inline="always")
def target_geometry(y, params):
    """Range to go (m, along the surface) and crossrange angle (rad, + target left)."""
    x, yy, z, vx, vy, vz = y[0], y[1], y[2], y[3], y[4], y[5]
    r = math.sqrt(x * x + yy * yy + z * z)
    tx, ty, tz = params[_TX], params[_TY], params[_TZ]
    cx, cy, cz = yy * tz - z * ty, z * tx - x * tz, x * ty - yy * tx
    angle = math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), (x * tx + yy * ty + z * tz))
    nx, ny, nz = yy * vz - z * vy, z * vx - x * vz, x * vy - yy * vx
    nn = math.sqrt(nx * nx + ny * ny + nz * nz)
    s = (nx * tx + ny * ty + nz * tz) / nn
    return params[_RADIUS] * angle, math.asin(min(1.0, max(-1.0, s))), r


@njit(cache=True, inline="always")
def bank_update(y, speed, accel, lift_to_drag, h, ctrl, tables, params):
    """Advance the bank of one trajectory by one step of ``h`` seconds (eqs. 1-2).

    ``ctrl`` = (cos sigma, sin sigma, sigma, command sign, started, reversals) is updated
    in place.
    """
    if params[_ACTIVE] == 0.0 or lift_to_drag <= 0.0:
        return  # no guidance, or no lift to steer with (vacuum)
    if ctrl[4] == 0.0 and accel < params[_D_START]:
        return  # pre-bank: hold the initial bank
    ctrl[4] = 1.0
    r_togo, chi, r = target_geometry(y, params)
    if speed > params[_V_HEADING]:
        hdot = (y[0] * y[3] + y[1] * y[4] + y[2] * y[5]) / r
        r_pred = (
            _table(tables, _R, speed)
            + _table(tables, _F2, speed) * (hdot - _table(tables, _HDOT, speed))
            + _table(tables, _F1, speed) * (accel - _table(tables, _D, speed))
        )  # (1)
        ld_cmd = _table(tables, _LDV, speed) + params[_K3] * (r_togo - r_pred) / _table(
            tables, _F3, speed
        )  # (2)
        cos_cmd = min(1.0, max(-1.0, ld_cmd / lift_to_drag))
        deadband = params[_DB0] + params[_DB1] * speed
        side = ctrl[3]
        if chi > deadband and side > 0.0:
            side = -1.0
        elif chi < -deadband and side < 0.0:
            side = 1.0
        if side != ctrl[3]:
            ctrl[5] += 1.0
            ctrl[3] = side
        command = side * math.acos(cos_cmd)
    else:
        limit = params[_MAX_HEADING]
        command = -min(limit, max(-limit, params[_K_HEADING] * chi))
    step = params[_RATE] * h
    sigma = ctrl[2] + min(step, max(-step, command - ctrl[2]))
    ctrl[0], ctrl[1], ctrl[2] = math.cos(sigma), math.sin(sigma), sigma


def bank_profile(
    bank_rad: float, lift_to_drag: float, heading_speed_m_s: float, planet_radius_m: float
) -> EntryGuidance:
    """The open-loop reference profile as a guidance: the bank held at ``bank_rad`` (no
    range feedback, no reversals), then lift up below ``heading_speed_m_s``. Flying it is
    flying the reference of :func:`msrsim.core.guidance_design.design_guidance`."""
    two = np.array([0.0, 1e6])
    zeros = np.zeros(2)
    return EntryGuidance(
        speed_m_s=two,
        range_to_go_m=zeros,
        acceleration_m_s2=zeros,
        altitude_rate_m_s=zeros,
        f1_s2=zeros,
        f2_s=zeros,
        f3_m=np.ones(2),
        vertical_lift_to_drag=np.full(2, lift_to_drag * math.cos(bank_rad)),
        target_unit=np.array([1.0, 0.0, 0.0]),
        planet_radius_m=planet_radius_m,
        overcontrol_gain=0.0,
        start_acceleration_m_s2=0.0,
        heading_speed_m_s=heading_speed_m_s,
        heading_gain=0.0,
        deadband_rad=10.0,
        bank_rate_rad_s=math.radians(20.0),
    )
