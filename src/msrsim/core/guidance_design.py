"""Design of the Apollo final-phase entry guidance: reference trajectory and sensitivities.

The reference is the entry flown at a constant bank ``sigma_ref`` down to the speed where
heading alignment takes over, then lift up (bank 0) to the stop speed (the parachute
trigger); its end point is the guidance target, as range control aims at the point the
heading-alignment phase then flies to (Mendeck and Craig 2011). The sensitivities of eq. (1)
of :mod:`msrsim.core.entry_guidance` are found by finite differences on flown trajectories
rather than by Apollo's adjoint equations (Moseley 1969): at each of ``nodes`` points of
the reference, three perturbed copies fly on to the stop speed,

* altitude raised by ``dh`` at the same velocity: ``F1 = dR / dD`` (``hdot`` unchanged),
* velocity turned up by ``dgamma`` at the same speed and place: ``F2 = dR / dhdot``
  (``D`` unchanged),
* vertical ``L/D`` raised by ``d(L/D)`` from there on: ``F3 = dR / d(L/D)`` (lowered
  instead where the reference already flies so near lift up that it cannot be raised by
  the whole step: a reference bank of 0 would otherwise give ``d(L/D) = 0`` and infinite
  gains),

with ``R`` the surface range from the node to where the copy slows to the heading-
alignment speed, compared with the reference's.
All ``3 nodes + 1`` trajectories are one batched call of :func:`msrsim.core.flight.fly`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from msrsim.core.entry_guidance import EntryGuidance
from msrsim.core.flight import G0, HISTORY_COLUMNS, STATUS_STOP_SPEED, fly

_COL = {name: i for i, name in enumerate(HISTORY_COLUMNS)}


def _central_angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (rad) between position vectors, row by row."""
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, axis=-1))


def design_guidance(
    position_m: np.ndarray,
    velocity_m_s: np.ndarray,
    *,
    reference_bank_rad: float,
    stop_speed_m_s: float,
    heading_speed_m_s: float,
    planet_radius_m: float,
    nodes: int = 40,
    altitude_step_m: float = 200.0,
    angle_step_rad: float = math.radians(0.05),
    lift_step: float = 0.01,
    **flight,
) -> tuple[EntryGuidance, object]:
    """The guidance for one nominal entry state (planet-fixed, SI) and its reference flight.

    ``flight`` holds the keyword arguments of :func:`msrsim.core.flight.fly` for the
    vehicle, planet and atmosphere (one trajectory's worth). Returns the guidance (target:
    the reference's end point; gains at their defaults, to be replaced with
    ``dataclasses.replace``) and the reference :class:`~msrsim.core.flight.FlightResult`.
    """
    if not stop_speed_m_s < heading_speed_m_s:
        raise ValueError("heading alignment must begin above the stop speed")
    reference = fly(np.atleast_2d(position_m), np.atleast_2d(velocity_m_s),
                    bank_rad=reference_bank_rad, stop_speed_m_s=heading_speed_m_s,
                    max_step_s=1.0, history_samples=20_000, **flight)  # fmt: skip
    last = fly(reference.position_m, reference.velocity_m_s, bank_rad=0.0,
               stop_speed_m_s=stop_speed_m_s, max_step_s=1.0, **flight)  # fmt: skip
    if reference.status[0] != STATUS_STOP_SPEED or last.status[0] != STATUS_STOP_SPEED:
        raise ValueError("the reference entry does not slow to the stop speed")
    rows = reference.history[0]
    rows = rows[np.isfinite(rows[:, 0])]
    r, v = rows[:, 1:4], rows[:, 4:7]
    speed = np.linalg.norm(v, axis=1)
    end = last.position_m[0]
    range_to_go = planet_radius_m * _central_angle(r, end)
    range_at_heading = planet_radius_m * _central_angle(r, reference.position_m[0])
    accel = rows[:, _COL["deceleration_g"]] * G0
    hdot = np.sum(r * v, axis=1) / np.linalg.norm(r, axis=1)
    # nodes: from where drag is felt (1 % of peak) to just above the heading speed
    felt = np.flatnonzero(accel > 0.01 * accel.max())
    pick = np.unique(np.linspace(felt[0], len(rows) - 2, nodes).astype(int))
    r0, v0 = r[pick], v[pick]
    up = r0 / np.linalg.norm(r0, axis=1, keepdims=True)
    raised = r0 + altitude_step_m * up
    # turn the velocity up in its vertical plane by angle_step_rad, same speed
    vhat = v0 / np.linalg.norm(v0, axis=1, keepdims=True)
    normal = up - np.sum(up * vhat, axis=1, keepdims=True) * vhat
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    turned = np.linalg.norm(v0, axis=1, keepdims=True) * (
        math.cos(angle_step_rad) * vhat + math.sin(angle_step_rad) * normal
    )
    ld = _lift_to_drag(flight["aerodynamics"], reference, pick)
    cos_ref = math.cos(reference_bank_rad)
    raised_cos = cos_ref + lift_step / ld
    cos_step = np.clip(np.where(raised_cos <= 1.0, raised_cos, cos_ref - lift_step / ld), -1.0, 1.0)
    bank_step = np.arccos(cos_step) * (1.0 if reference_bank_rad >= 0 else -1.0)
    m = len(pick)
    starts_r = np.concatenate([raised, r0, r0])
    starts_v = np.concatenate([v0, turned, v0])
    banks = np.concatenate([np.full(2 * m, reference_bank_rad), bank_step])
    runs = fly(starts_r, starts_v, bank_rad=banks, stop_speed_m_s=heading_speed_m_s,
               max_step_s=1.0, history_samples=2, **_per_trajectory(flight, 3 * m))  # fmt: skip
    if np.any(runs.status != STATUS_STOP_SPEED):
        raise ValueError("a perturbed reference trajectory did not slow to the stop speed")
    reach = planet_radius_m * _central_angle(np.concatenate([r0, r0, r0]), runs.position_m)
    delta = reach - np.concatenate([range_at_heading[pick]] * 3)
    d_accel = runs.history[:m, 0, _COL["deceleration_g"]] * G0 - accel[pick]
    d_hdot = np.sum(up * turned, axis=1) - hdot[pick]
    d_ld = ld * (cos_step - cos_ref)
    order = np.argsort(speed[pick])
    guidance = EntryGuidance(
        speed_m_s=speed[pick][order],
        range_to_go_m=range_to_go[pick][order],
        acceleration_m_s2=accel[pick][order],
        altitude_rate_m_s=hdot[pick][order],
        f1_s2=(delta[:m] / d_accel)[order],
        f2_s=(delta[m : 2 * m] / d_hdot)[order],
        f3_m=(delta[2 * m :] / d_ld)[order],
        vertical_lift_to_drag=(ld * cos_ref)[order],
        target_unit=end / np.linalg.norm(end),
        planet_radius_m=planet_radius_m,
        heading_speed_m_s=heading_speed_m_s,
    )
    return guidance, reference


def _lift_to_drag(aerodynamics, reference, pick) -> np.ndarray:
    """L/D at the nodes, from the Mach table (the speed of sound is not in the history:
    the hypersonic value is used, L/D being flat above Mach 5 for trimmed capsules)."""
    if aerodynamics.lift_to_drag is None:
        raise ValueError("guidance needs a lifting vehicle (aerodynamics.lift_to_drag)")
    return np.full(len(pick), float(np.asarray(aerodynamics.lift_to_drag)[-1]))


def _per_trajectory(flight: dict, n: int) -> dict:
    """Vehicle arrays of one trajectory repeated for ``n`` (scalars pass through)."""
    out = dict(flight)
    for key in ("mass_kg", "reference_area_m2", "nose_radius_m", "cd_scale"):
        if key in out and np.ndim(out[key]) > 0:
            out[key] = np.full(n, np.ravel(out[key])[0])
    atmosphere = out["atmosphere"]
    if np.ndim(atmosphere.log_density) == 2:
        out["atmosphere"] = dataclasses.replace(atmosphere, log_density=atmosphere.log_density[0])
    return out
