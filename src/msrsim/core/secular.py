"""Orbits flown on the secular rates of J2: where a spacecraft waiting in orbit is, months on.

An orbit's mean elements drift linearly under the planet's oblateness (first order in
``J2``, Vallado 2013, eqs. 9-41 to 9-43)::

    dOmega/dt = -3/2 n J2 (R/p)^2 cos i
    domega/dt =  3/4 n J2 (R/p)^2 (4 - 5 sin^2 i)
    dM/dt     =  n [1 + 3/4 J2 (R/p)^2 sqrt(1 - e^2) (2 - 3 sin^2 i)]

with ``n`` the mean motion of the mean semi-major axis. :meth:`SecularOrbit.from_state`
fits the node's and the argument of latitude's rates to the state flown a day under J2
(which averages out the short-period terms, amplitudes ~``J2 (R/a)^2``, and keeps the
second-order terms the closed forms leave out: ~0.5 % of the node rate at 10-25 deg, 0.6
deg of node in ten days); the mean semi-major axis is the osculating one less the first-
order short-period term of a near-circular orbit, ``3/2 J2 R^2 / a sin^2 i cos 2u``
(Kozai 1959, AJ 64, 367; ``u`` the argument of latitude).

Simplified: no drag, no third body, no higher zonal harmonics; the equator's own
precession is neglected over the months this is used for (Mars's pole moves ~1e-3 deg a
year). Validated against the numerical J2 propagation of :mod:`msrsim.core.orbit_propagation`
(node within 0.1 deg, argument of latitude within 0.5 deg over ten days) and against the
closed forms (rates within 1 %).
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


def _elements(states: np.ndarray, frame: np.ndarray, mu: float) -> dict[str, np.ndarray]:
    """Osculating a, e, i, node, argument of periapsis and of latitude of ICRF states
    (n, 6) in ``frame``."""
    r, v = states[:, :3] @ frame.T, states[:, 3:] @ frame.T
    rn = np.linalg.norm(r, axis=1)
    h = np.cross(r, v)
    h_hat = h / np.linalg.norm(h, axis=1)[:, None]
    node = np.cross([0.0, 0.0, 1.0], h)
    n_hat = node / np.linalg.norm(node, axis=1)[:, None]
    vv = np.einsum("ij,ij->i", v, v)
    e_vec = ((vv - mu / rn)[:, None] * r - np.einsum("ij,ij->i", r, v)[:, None] * v) / mu

    def angle(x):  # from the node, in the orbit's plane
        return np.arctan2(np.einsum("ij,ij->i", np.cross(n_hat, x), h_hat),
                          np.einsum("ij,ij->i", n_hat, x))  # fmt: skip

    return {
        "a": 1.0 / (2.0 / rn - vv / mu),
        "e": np.linalg.norm(e_vec, axis=1),
        "i": np.arccos(np.clip(h_hat[:, 2], -1.0, 1.0)),
        "raan": np.arctan2(node[:, 1], node[:, 0]),
        "argp": angle(e_vec),
        "u": angle(r),
    }


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
    def from_state(
        cls, position_m, velocity_m_s, epoch_et: float, frame, body: Body = MARS,
        fit_days: float = 1.0,
    ):  # fmt: skip
        """The secular orbit through an osculating ICRF state at ``epoch_et``.

        The node and the argument of latitude are fitted (least squares, a line) to the
        state flown ``fit_days`` under J2 alone (:func:`msrsim.core.orbit_propagation.
        propagate`), which averages out their short-period terms; the fitted rates agree
        with the closed forms above to their first order (tested), the fit also holding
        the second-order terms they leave out (~0.5 % of the node rate at 10-25 deg
        inclination, 0.6 deg in ten days).
        """
        from msrsim.core.orbit_propagation import force_model, propagate

        mu, j2, radius = body.gm.value, body.j2.value, body.j2_reference_radius_m
        frame = np.asarray(frame, np.float64)
        state = np.hstack([np.asarray(position_m, np.float64), np.asarray(velocity_m_s)])
        a0 = 1.0 / (2.0 / np.linalg.norm(state[:3]) - state[3:] @ state[3:] / mu)
        period = 2.0 * np.pi * np.sqrt(a0**3 / mu)
        t = np.linspace(0.0, max(fit_days * 86400.0, period), 241)
        model = force_model(epoch_et, body, drag=False, srp=False)
        flown = propagate(np.tile(state, (t.size, 1)), t, model)
        el = _elements(flown, frame, mu)
        raan_rate, raan0 = np.polyfit(t, np.unwrap(el["raan"]), 1)
        u_rate, u0 = np.polyfit(t, np.unwrap(el["u"]), 1)
        # the mean semi-major axis: the osculating one less Kozai's short-period term
        a = float(np.mean(el["a"] - 1.5 * j2 * radius**2 / el["a"] * np.sin(el["i"]) ** 2
                          * np.cos(2.0 * el["u"])))  # fmt: skip
        e, inc = float(np.mean(el["e"])), float(np.mean(el["i"]))
        n = np.sqrt(mu / a**3)
        f = j2 * (radius / (a * (1.0 - e * e))) ** 2
        argp_rate = float(0.75 * n * f * (4.0 - 5.0 * np.sin(inc) ** 2))  # eq. (9-42)
        argp0 = float(el["argp"][0])
        return cls(
            float(epoch_et),
            a,
            e,
            inc,
            float(raan0),
            argp0,
            float(u0) - argp0,
            frame,
            float(raan_rate),
            argp_rate,
            float(u_rate) - argp_rate,
            mu,
        )

    def closed_form_rates(self, body: Body = MARS) -> tuple[float, float]:
        """The node's and the argument of latitude's rates of eqs. (9-41) to (9-43)."""
        a, e, inc = self.semi_major_axis_m, self.eccentricity, self.inclination_rad
        n = np.sqrt(self.gm_m3_s2 / a**3)
        f = body.j2.value * (body.j2_reference_radius_m / (a * (1.0 - e * e))) ** 2
        s2 = np.sin(inc) ** 2
        raan_rate = -1.5 * n * f * np.cos(inc)
        argp_rate = 0.75 * n * f * (4.0 - 5.0 * s2)
        mean_rate = n * (1.0 + 0.75 * f * np.sqrt(1.0 - e * e) * (2.0 - 3.0 * s2))
        return float(raan_rate), float(argp_rate + mean_rate)

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
