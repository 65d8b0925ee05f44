"""Orbits flown on the secular rates of J2: where a spacecraft waiting in orbit is, months on.

An orbit's mean elements drift linearly under the planet's oblateness (first order in
``J2``, Vallado 2013, eqs. 9-41 to 9-43)::

    dOmega/dt = -3/2 n J2 (R/p)^2 cos i
    domega/dt =  3/4 n J2 (R/p)^2 (4 - 5 sin^2 i)
    dM/dt     =  n [1 + 3/4 J2 (R/p)^2 sqrt(1 - e^2) (2 - 3 sin^2 i)]

with ``n`` the mean motion of the mean semi-major axis. An osculating state is turned into
mean elements by removing the first-order short-period term of the semi-major axis of a
near-circular orbit, ``a_osc - a_mean = 3/2 J2 R^2 / a sin^2 i cos 2u`` (Kozai 1959, AJ 64,
367; ``u`` the argument of latitude), which would otherwise put the mean motion off by
``~1e-3`` and the phase off by a degree a revolution. The other elements keep their
short-period terms (amplitudes ~``J2 (R/a)^2``, 1e-3 rad: 0.06 deg of node or phase).

Simplified: no drag, no third body, no higher zonal harmonics; the equator's own
precession is neglected over the months this is used for (Mars's pole moves ~1e-3 deg a
year). Validated against the numerical J2 propagation of :mod:`msrsim.core.orbit_propagation`
(node within 0.1 deg, phase within 0.5 deg over ten days at 10-25 deg inclination; the
node rate drifts ~0.6 % at 60 deg).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from msrsim.core.bodies import MARS, Body

__all__ = ["SecularOrbit"]


def _kepler_e(mean_anomaly: np.ndarray, e: float) -> np.ndarray:
    """Eccentric anomaly by Newton's method (converges in a few steps for e < 0.1)."""
    big_e = np.array(mean_anomaly, dtype=np.float64, copy=True)
    for _ in range(8):
        big_e -= (big_e - e * np.sin(big_e) - mean_anomaly) / (1.0 - e * np.cos(big_e))
    return big_e


@dataclass(frozen=True)
class SecularOrbit:
    """Mean elements at ``epoch_et`` in an equatorial frame, and their J2 rates.

    ``frame`` (3, 3): rows x, y, z of the body's equatorial frame in ICRF (z the pole);
    angles in radians; ``raan`` measured from the frame's x axis.
    """

    epoch_et: float
    semi_major_axis_m: float
    eccentricity: float
    inclination_rad: float
    raan_rad: float
    argument_of_periapsis_rad: float
    mean_anomaly_rad: float
    frame: np.ndarray
    raan_rate_rad_s: float
    argument_of_periapsis_rate_rad_s: float
    mean_anomaly_rate_rad_s: float
    gm_m3_s2: float

    @classmethod
    def from_state(cls, position_m, velocity_m_s, epoch_et: float, frame, body: Body = MARS):
        """The secular orbit through an osculating ICRF state at ``epoch_et``."""
        mu, j2, radius = body.gm.value, body.j2.value, body.j2_reference_radius_m
        frame = np.asarray(frame, np.float64)
        r = frame @ np.asarray(position_m, np.float64)
        v = frame @ np.asarray(velocity_m_s, np.float64)
        h = np.cross(r, v)
        node = np.cross([0.0, 0.0, 1.0], h)
        e_vec = ((v @ v - mu / np.linalg.norm(r)) * r - (r @ v) * v) / mu
        e = float(np.linalg.norm(e_vec))
        inc = float(np.arccos(np.clip(h[2] / np.linalg.norm(h), -1.0, 1.0)))
        raan = float(np.arctan2(node[1], node[0]))
        p_hat = e_vec / e if e > 1e-12 else node / np.linalg.norm(node)
        q_hat = np.cross(h / np.linalg.norm(h), p_hat)
        nu = float(np.arctan2(r @ q_hat, r @ p_hat))
        h_hat, n_hat = h / np.linalg.norm(h), node / np.linalg.norm(node)
        argp = float(np.arctan2(np.cross(n_hat, p_hat) @ h_hat, n_hat @ p_hat))
        a_osc = 1.0 / (2.0 / np.linalg.norm(r) - (v @ v) / mu)
        u = argp + nu
        a = a_osc - 1.5 * j2 * radius**2 / a_osc * np.sin(inc) ** 2 * np.cos(2.0 * u)
        big_e = 2.0 * np.arctan(np.sqrt((1.0 - e) / (1.0 + e)) * np.tan(nu / 2.0))
        mean_anomaly = float(big_e - e * np.sin(big_e))
        n = np.sqrt(mu / a**3)
        f = j2 * (radius / (a * (1.0 - e * e))) ** 2
        s2 = np.sin(inc) ** 2
        return cls(
            float(epoch_et),
            float(a),
            e,
            inc,
            raan,
            argp,
            mean_anomaly,
            frame,
            float(-1.5 * n * f * np.cos(inc)),  # eq. (9-41)
            float(0.75 * n * f * (4.0 - 5.0 * s2)),  # eq. (9-42)
            float(n * (1.0 + 0.75 * f * np.sqrt(1.0 - e * e) * (2.0 - 3.0 * s2))),  # (9-43)
            mu,
        )

    def raan_at(self, et) -> np.ndarray:
        """The node (rad, from the frame's x axis) at epochs ``et``."""
        return self.raan_rad + self.raan_rate_rad_s * (np.asarray(et, np.float64) - self.epoch_et)

    def argument_of_latitude_at(self, et) -> np.ndarray:
        """The mean argument of latitude ``omega + M`` (rad) at epochs ``et``."""
        dt = np.asarray(et, np.float64) - self.epoch_et
        return (
            self.argument_of_periapsis_rad
            + self.mean_anomaly_rad
            + (self.argument_of_periapsis_rate_rad_s + self.mean_anomaly_rate_rad_s) * dt
        )

    def normal_at(self, et) -> np.ndarray:
        """The orbit's unit normal (n, 3) in ICRF at epochs ``et``."""
        raan = np.atleast_1d(self.raan_at(et))
        si = np.sin(self.inclination_rad)
        local = np.stack(
            [
                si * np.sin(raan),
                -si * np.cos(raan),
                np.full(raan.shape, np.cos(self.inclination_rad)),
            ],
            axis=-1,
        )
        return local @ self.frame

    def state_at(self, et) -> np.ndarray:
        """ICRF position and velocity (n, 6) at epochs ``et`` (the mean orbit's conic)."""
        et = np.atleast_1d(np.asarray(et, np.float64))
        dt = et - self.epoch_et
        raan = self.raan_rad + self.raan_rate_rad_s * dt
        argp = self.argument_of_periapsis_rad + self.argument_of_periapsis_rate_rad_s * dt
        mean_anomaly = self.mean_anomaly_rad + self.mean_anomaly_rate_rad_s * dt
        e, a, mu = self.eccentricity, self.semi_major_axis_m, self.gm_m3_s2
        big_e = _kepler_e(np.mod(mean_anomaly, 2.0 * np.pi), e)
        x_p = a * (np.cos(big_e) - e)
        y_p = a * np.sqrt(1.0 - e * e) * np.sin(big_e)
        rate = np.sqrt(mu / a**3) / (1.0 - e * np.cos(big_e))
        vx_p = -a * np.sin(big_e) * rate
        vy_p = a * np.sqrt(1.0 - e * e) * np.cos(big_e) * rate
        co, so, cw, sw = np.cos(raan), np.sin(raan), np.cos(argp), np.sin(argp)
        ci, si = np.cos(self.inclination_rad), np.sin(self.inclination_rad)
        p_hat = np.stack([co * cw - so * sw * ci, so * cw + co * sw * ci, sw * si], axis=-1)
        q_hat = np.stack([-co * sw - so * cw * ci, -so * sw + co * cw * ci, cw * si], axis=-1)
        r = x_p[:, None] * p_hat + y_p[:, None] * q_hat
        v = vx_p[:, None] * p_hat + vy_p[:, None] * q_hat
        return np.hstack([r @ self.frame, v @ self.frame])
