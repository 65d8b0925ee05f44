"""Capture of the Orbiting Sample by the CCRS: the capture envelope and its test.

The Capture, Containment and Return System (CCRS) on the Earth Return Orbiter captures the
Orbiting Sample in a capture cone that the orbiter flies over it (NASA PIA25860 [P]; the
capture mechanism, cone and trigger of the Capture and Orientation Module, NTRS 20220000770
[P]). msrsim reduces the capture to an envelope at the moment the OS crosses the capture
plane (the plane across the approach axis through the capture point):

* lateral miss ``sqrt((x + x' tau)^2 + (z + z' tau)^2) <= lateral_radius_m``, ``tau =
  -y / y'`` the time to the plane (``y`` along the approach axis, V-bar);
* closing speed ``y'`` between ``min_closing_speed_m_s`` (the trigger needs the OS to
  arrive) and ``max_closing_speed_m_s`` (the cone and the OS must survive contact);
* lateral speed ``sqrt(x'^2 + z'^2) <= max_lateral_speed_m_s``;
* OS tumble rate ``<= max_tumble_rate_rad_s`` (the orientation mechanism must cage it);
* then the mechanism closes with probability ``mechanism_success_probability``.

A failed attempt may be retried (the orbiter backs off to the last hold point and comes
again) up to ``max_attempts`` in all, while the capture deadline allows
(:mod:`msrsim.segments.rendezvous` flies the retries). The tumble is the OS's own: a rate
too high fails every attempt. All figures are scenario values (representative: the CCRS's
envelope is not published).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CaptureEnvelope", "CaptureCheck", "check_capture"]

FAIL_NONE = 0
FAIL_LATERAL = 1
FAIL_CLOSING = 2
FAIL_LATERAL_SPEED = 3
FAIL_TUMBLE = 4
FAIL_MECHANISM = 5
FAILURE_MESSAGES = {
    FAIL_NONE: "captured",
    FAIL_LATERAL: "lateral miss outside the capture cone",
    FAIL_CLOSING: "closing speed outside the capture window",
    FAIL_LATERAL_SPEED: "lateral speed too high",
    FAIL_TUMBLE: "OS tumbling faster than the mechanism can cage",
    FAIL_MECHANISM: "capture mechanism did not close",
}


@dataclass(frozen=True)
class CaptureEnvelope:
    """The CCRS capture envelope and retry policy (SI)."""

    lateral_radius_m: float
    min_closing_speed_m_s: float
    max_closing_speed_m_s: float
    max_lateral_speed_m_s: float
    max_tumble_rate_rad_s: float
    mechanism_success_probability: float
    max_attempts: int
    retry_wait_s: float


@dataclass(frozen=True)
class CaptureCheck:
    """One attempt per row: the first failing criterion (``FAIL_NONE`` when captured)."""

    failure: np.ndarray
    lateral_miss_m: np.ndarray
    closing_speed_m_s: np.ndarray
    lateral_speed_m_s: np.ndarray
    time_to_plane_s: np.ndarray

    @property
    def captured(self) -> np.ndarray:
        return self.failure == FAIL_NONE


def check_capture(
    local_state: np.ndarray,
    tumble_rate_rad_s: np.ndarray,
    mechanism_draw: np.ndarray,
    envelope: CaptureEnvelope,
) -> CaptureCheck:
    """Test attempts: ``local_state`` (n, 6) of the capture point about the OS (``y`` the
    approach axis, negative before the plane), tumble rates (n,), uniforms (n,) for the
    mechanism. Checks in the order of the module docstring; the first failure is kept."""
    s = np.atleast_2d(local_state)
    closing = s[:, 4]
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.where(closing > 0.0, -s[:, 1] / closing, np.inf)
    tau_f = np.where(np.isfinite(tau), tau, 0.0)
    lateral = np.hypot(s[:, 0] + s[:, 3] * tau_f, s[:, 2] + s[:, 5] * tau_f)
    lateral_speed = np.hypot(s[:, 3], s[:, 5])
    failure = np.full(s.shape[0], FAIL_NONE, dtype=np.int8)
    checks = (
        (FAIL_MECHANISM, np.asarray(mechanism_draw) >= envelope.mechanism_success_probability),
        (FAIL_TUMBLE, np.asarray(tumble_rate_rad_s) > envelope.max_tumble_rate_rad_s),
        (FAIL_LATERAL_SPEED, lateral_speed > envelope.max_lateral_speed_m_s),
        (
            FAIL_CLOSING,
            (closing < envelope.min_closing_speed_m_s) | (closing > envelope.max_closing_speed_m_s),
        ),
        (FAIL_LATERAL, lateral > envelope.lateral_radius_m),
    )
    for code, bad in checks:  # the last assignment wins: the earliest criterion listed
        failure[bad] = code
    return CaptureCheck(failure, lateral, closing, lateral_speed, tau)
