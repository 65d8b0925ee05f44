"""Figures of the Earth Return Orbiter's mission (:class:`msrsim.segments.ero.EroMission`).

* :func:`ero_trajectory`: the two electric cruises in the ecliptic plane (the paths flown
  by the continuous-thrust check, the thrust direction at each segment), Earth's and
  Mars' orbits and the planets at the ends of each cruise.
* :func:`ero_thrust_power`: thrust and power into the thrusters against the date, over
  the whole mission, and the mass with its phases.
* :func:`ero_spirals`: periapsis and apoapsis altitudes of the spirals at Mars.

In the spirals the thrust is the mean over each recorded interval, ``c |dm/dt|``: it
falls below the engine's level where the Q-law coasts or the orbiter is in shadow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from msrsim.core.bodies import AU_M, DAY_S, MARS
from msrsim.core.ephemeris import get_ephemeris
from msrsim.core.frames import icrf_to_ecliptic_matrix
from msrsim.core.time import et_to_utc_datetime
from msrsim.report.plots import _figure, draw_all, save_figure

PHASE_COLOURS = {
    "outbound cruise": "tab:blue",
    "Mars orbit insertion": "tab:red",
    "spiral down": "tab:orange",
    "operations at Mars": "tab:gray",
    "spiral up": "tab:green",
    "return cruise": "tab:purple",
}


def ero_trajectory(mission, path: str | Path) -> Path:
    """Both cruises seen from the north ecliptic pole, AU."""
    plt = _figure()
    to_ecliptic = icrf_to_ecliptic_matrix()
    eph = get_ephemeris()
    fig, ax = plt.subplots(figsize=(7.5, 7.0))
    plan = mission.plan
    et = np.arange(plan.launch_et, plan.earth_arrival_et, DAY_S)
    for body, colour, days in (("earth", "tab:cyan", 366), ("mars", "tab:brown", 688)):
        orbit = eph.state(body, et[:days], "sun").r @ to_ecliptic.T / AU_M
        ax.plot(orbit[:, 0], orbit[:, 1], color=colour, lw=0.8, ls=":", label=f"{body} orbit")
    for cruise, name in ((mission.outbound, "outbound cruise"), (mission.inbound, "return cruise")):
        colour = PHASE_COLOURS[name]
        t = cruise.transfer
        track = cruise.continuous_check.path_r_m @ to_ecliptic.T / AU_M
        ax.plot(track[:, 0], track[:, 1], color=colour, lw=1.6, label=name)
        mid = t.segment_r_m @ to_ecliptic.T / AU_M
        thrust = t.thrust_n @ to_ecliptic.T
        scale = 0.25 / max(float(np.max(np.linalg.norm(thrust, axis=1))), 1e-12)
        ax.quiver(mid[:, 0], mid[:, 1], thrust[:, 0] * scale, thrust[:, 1] * scale,
                  color=colour, angles="xy", scale_units="xy", scale=1.0, width=0.003,
                  alpha=0.7)  # fmt: skip
        for body, epoch, marker in (
            (cruise.departure_body, t.departure_et, "o"),
            (cruise.arrival_body, t.arrival_et, "s"),
        ):
            p = eph.state(body, np.array([epoch]), "sun").r @ to_ecliptic.T / AU_M
            ax.plot(p[0, 0], p[0, 1], marker, color=colour, ms=6)
            ax.annotate(
                et_to_utc_datetime(epoch)[0].strftime("%Y-%m-%d"),
                (p[0, 0], p[0, 1]),
                textcoords="offset points",
                xytext=(5, 5),
                fontsize=7,
            )
    ax.plot(0, 0, "*", color="gold", ms=14)
    ax.set_aspect("equal")
    ax.set_xlabel("x (AU, ecliptic J2000)")
    ax.set_ylabel("y (AU)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("ERO electric cruises (arrows: thrust direction, length: magnitude)")
    return save_figure(fig, plt, path)


def _spiral_thrust(result, exhaust_speed_m_s: float):
    """Mean thrust over each day of a spiral, ``c |dm/dt|`` (dates, N)."""
    t, m = result.history_t_s, result.history_mass_kg
    stride = max(1, round(DAY_S / (t[1] - t[0]))) if t.size > 1 else 1
    t, m = t[::stride], m[::stride]
    thrust = exhaust_speed_m_s * -np.diff(m) / np.diff(t)
    return result.start_et + 0.5 * (t[1:] + t[:-1]), thrust


def _mass_history(mission):
    """Mass against the date from each phase's own record (dates, kg)."""
    et, mass = [], []
    for cruise in (mission.outbound, mission.inbound):
        t = cruise.transfer
        boundaries = t.departure_et + np.arange(t.mass_kg.size) * t.segment_s
        et.append(boundaries)
        mass.append(t.mass_kg)
    for spiral in (mission.spiral_down, mission.spiral_up):
        et.append(spiral.start_et + spiral.history_t_s)
        mass.append(spiral.history_mass_kg)
    ops = mission.phases[3]
    et.append(np.array([ops.start_et, ops.end_et]))
    mass.append(np.array([ops.mass_start_kg, ops.mass_end_kg]))
    et, mass = np.concatenate(et), np.concatenate(mass)
    order = np.argsort(et, kind="stable")
    return et[order], mass[order]


def ero_thrust_power(mission, path: str | Path) -> Path:
    """Thrust and input power (top), mass with the phases shaded (bottom), by date."""
    plt = _figure()
    prop = mission.plan.propulsion
    eph = get_ephemeris()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9.0, 6.5), sharex=True)
    power = top.twinx()
    for cruise, name in ((mission.outbound, "outbound cruise"), (mission.inbound, "return cruise")):
        t = cruise.transfer
        dates = et_to_utc_datetime(t.segment_et)
        top.step(dates, t.thrust_magnitude_n * 1e3, where="mid", color=PHASE_COLOURS[name])
        top.step(dates, t.available_thrust_n * 1e3, where="mid", color="k", lw=0.6, ls="--")
        _power_lines(power, dates, np.linalg.norm(t.segment_r_m, axis=1), prop)
    for spiral, name in ((mission.spiral_down, "spiral down"), (mission.spiral_up, "spiral up")):
        et, thrust = _spiral_thrust(spiral, prop.exhaust_speed_m_s)
        top.plot(et_to_utc_datetime(et), thrust * 1e3, color=PHASE_COLOURS[name], lw=0.8)
        sun = np.linalg.norm(eph.position("sun", et, "mars"), axis=1)
        _power_lines(power, et_to_utc_datetime(et), sun, prop)
    top.set_ylabel("thrust (mN); dashed: available")
    power.set_ylabel("power (kW): thrusters; dotted: arrays' share", color="tab:olive")
    power.set_ylim(0, prop.power_margin * prop.array_power_1au_w / 1e3 * 1.05)
    top.set_ylim(bottom=0)
    top.grid(alpha=0.3)
    for phase in mission.phases:
        span = et_to_utc_datetime(np.array([phase.start_et, phase.end_et]))
        label = f"{phase.name}: {phase.propellant_kg:.0f} kg {phase.propellant}"
        bottom.axvspan(span[0], span[1], color=PHASE_COLOURS[phase.name], alpha=0.2, lw=0,
                       label=label)  # fmt: skip
    et, mass = _mass_history(mission)
    bottom.plot(et_to_utc_datetime(et), mass, color="k", lw=1.5)
    bottom.set_ylabel("mass (kg)")
    bottom.grid(alpha=0.3)
    bottom.legend(fontsize=7, loc="upper right")
    fig.suptitle("ERO: thrust, power and mass from launch to Earth")
    return save_figure(fig, plt, path)


def _power_lines(ax, dates, sun_distance_m, prop) -> None:
    """Power into the thrusters (solid) and the arrays' share before the cap (dotted)."""
    ax.plot(dates, prop.input_power_w(sun_distance_m) / 1e3, color="tab:olive", lw=1.0)
    share = prop.power_margin * prop.array_power_1au_w * (AU_M / sun_distance_m) ** 2
    ax.plot(dates, share / 1e3, color="tab:olive", lw=0.8, ls=":")


def ero_spirals(mission, path: str | Path) -> Path:
    """Periapsis and apoapsis altitudes (km) of the spirals down and up, by day."""
    plt = _figure()
    radius = MARS.equatorial_radius.value
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 4.2))
    for ax, spiral, name in (
        (axes[0], mission.spiral_down, "spiral down"),
        (axes[1], mission.spiral_up, "spiral up"),
    ):
        a, e = spiral.history_a_m, spiral.history_e
        bound = (a > 0) & (e < 1)
        days = spiral.history_t_s[bound] / DAY_S
        colour = PHASE_COLOURS[name]
        ax.plot(days, (a[bound] * (1 + e[bound]) - radius) / 1e3, color=colour, label="apoapsis")
        ax.plot(days, (a[bound] * (1 - e[bound]) - radius) / 1e3, color=colour, ls="--",
                label="periapsis")  # fmt: skip
        ax.set_yscale("log")
        ax.set_ylim(top=min(ax.get_ylim()[1], 1e6))  # Mars' sphere of influence: 0.58e6 km
        ax.set_xlabel("days")
        ax.set_ylabel("altitude (km)")
        ax.set_title(
            f"{name}: {spiral.delta_v_m_s:.0f} m/s, {spiral.propellant_kg:.0f} kg, "
            f"{spiral.duration_s / DAY_S:.0f} d"
        )
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.suptitle("ERO spirals at Mars (Q-law descent with coasting; tangential escape)")
    return save_figure(fig, plt, path)


def ero_plots(mission, directory: str | Path) -> list[Path]:
    """All three ERO figures as PNG files in ``directory`` (created if needed); none for
    a chemical ERO (its figures are the electric mission's: thrust, power, spirals)."""
    from msrsim.segments.ero_chemical import ChemicalEroMission

    if isinstance(mission, ChemicalEroMission):
        return []
    return draw_all(mission, directory, {
        "ero_trajectory.png": ero_trajectory,
        "ero_thrust_power.png": ero_thrust_power,
        "ero_spirals.png": ero_spirals,
    })  # fmt: skip
