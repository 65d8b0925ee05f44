"""Figures of the Mars ascent: the nominal trajectory, the delta-v budget, the dispersions.

Two PNG figures from :class:`msrsim.campaign.ascent.AscentLegResult`:

* :func:`ascent_profile`: altitude, inertial speed, dynamic pressure, flight-path angle and
  mass against time for the nominal ascent and the cold and warm propellant cases, and
  the delta-v budget (eq. 3 of :mod:`msrsim.segments.ascent`) as bars.
* :func:`ascent_distributions`: the Orbiting Sample's orbit over the Monte Carlo:
  periapsis against apoapsis altitude (with the minimum perigee), semi-major axis,
  eccentricity, inclination and node, and the propellant temperature's effect.

Drawn from the models; no new physics. Altitude is above the IAU ellipsoid (as flown);
orbit altitudes are above Mars's mean radius (as targeted).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from msrsim.report.plots import _figure, save_figure
from msrsim.segments.ascent import HISTORY_COLUMNS, delta_v_budget

_COL = {name: i for i, name in enumerate(HISTORY_COLUMNS)}


def _rows(result):
    if result.history is None:
        raise ValueError("the ascent has no history: fly it with history_trajectories > 0")
    rows = result.history[0]
    return rows[np.isfinite(rows[:, 0])]


def ascent_profile(leg, path: str | Path) -> Path:
    """The nominal ascent and the temperature cases: six panels."""
    plt = _figure()
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    cases = (
        (leg.design.nominal, "nominal", "tab:blue", "-"),
        (leg.cold, f"cold ({leg.cold_temperature_c:g} C)", "tab:cyan", "--"),
        (leg.warm, f"warm ({leg.warm_temperature_c:g} C)", "tab:red", ":"),
    )
    for result, label, color, style in cases:
        rows = _rows(result)
        t = rows[:, _COL["time_s"]]
        speed = np.linalg.norm(rows[:, [_COL["vx_m_s"], _COL["vy_m_s"], _COL["vz_m_s"]]], axis=1)
        series = (
            (axes[0, 0], rows[:, _COL["altitude_m"]] / 1e3),
            (axes[0, 1], speed / 1e3),
            (axes[0, 2], rows[:, _COL["dynamic_pressure_pa"]] / 1e3),
            (axes[1, 0], np.degrees(rows[:, _COL["flight_path_angle_rad"]])),
            (axes[1, 1], rows[:, _COL["mass_kg"]]),
        )
        for ax, y in series:
            ax.plot(t, y, color=color, ls=style, lw=1.4, label=label)
    events = leg.design.nominal.event_time_s[0]
    for ax in axes.flat[:5]:
        for e in events[1:]:
            ax.axvline(e, color="0.7", lw=0.6)
        ax.grid(alpha=0.3)
        ax.set_xlabel("time since the toss, s")
    axes[0, 0].set(ylabel="altitude above the ellipsoid, km", title="Altitude")
    axes[0, 1].set(ylabel="inertial speed, km/s", title="Speed")
    axes[0, 2].set(ylabel="dynamic pressure, kPa", title="Dynamic pressure (first 150 s)")
    axes[0, 2].set_xlim(0, 150)
    axes[1, 0].set(ylabel="inertial flight-path angle, deg", title="Flight-path angle")
    axes[1, 1].set(ylabel="mass, kg", title="Mass")
    axes[0, 0].legend(fontsize=8)
    budget = {k: float(v[0]) for k, v in delta_v_budget(leg.design.nominal).items()}
    names = (
        "ideal",
        "achieved",
        "gravity_loss",
        "coast_climb",
        "steering_loss",
        "drag_loss",
        "back_pressure_loss",
    )
    ax = axes[1, 2]
    values = [budget[n] for n in names]
    bars = ax.barh(
        [n.replace("_", " ") for n in names],
        values,
        color=["tab:green", "tab:blue"] + ["tab:orange"] * 5,
    )
    for bar, value in zip(bars, values, strict=True):
        ax.text(value, bar.get_y() + bar.get_height() / 2, f" {value:.0f}", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set(
        xlabel="m/s",
        title=f"Delta-v budget (closes to {abs(budget['closure']):.1e} m/s)",
    )
    ax.set_xlim(0, max(values) * 1.15)
    fig.suptitle(
        "MAV ascent: toss, SRM1 (steered), coast, SRM2 (spin-stabilised), OS release "
        "(grey lines: events of the nominal)",
        fontsize=11,
    )
    return save_figure(fig, plt, path)


def ascent_distributions(leg, path: str | Path) -> Path:
    """The Monte Carlo's release orbits: six panels."""
    plt = _figure()
    orbits = leg.orbits
    flown = orbits.flown
    el = orbits.elements_mme
    hp = orbits.periapsis_altitude_m[flown] / 1e3
    ha = orbits.apoapsis_altitude_m[flown] / 1e3
    temperature = leg.monte_carlo.trials.srm1_temperature_c[flown]
    min_hp = leg.min_perigee_altitude_m / 1e3
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    ax = axes[0, 0]
    points = ax.scatter(ha, hp, c=temperature, s=4, cmap="coolwarm")
    ax.axhline(min_hp, color="tab:red", lw=1.5, label=f"minimum perigee {min_hp:g} km")
    target = leg.design.target.altitude_m / 1e3
    ax.plot(target, target, "k+", ms=12, mew=2, label="target")
    ax.set(xlabel="apoapsis altitude, km", ylabel="periapsis altitude, km", title="Orbits")
    ax.legend(fontsize=8)
    fig.colorbar(points, ax=ax, label="propellant temperature, C")
    node0 = leg.nominal_elements["raan_rad"]
    node = np.degrees(np.angle(np.exp(1j * (el["raan_rad"][flown] - node0)))) + math.degrees(node0)
    panels = (
        (axes[0, 1], (el["semi_major_axis_m"][flown] - leg.design.target.reference_radius_m) / 1e3,
         "semi-major axis - mean radius, km"),
        (axes[0, 2], el["eccentricity"][flown], "eccentricity"),
        (axes[1, 0], np.degrees(el["inclination_rad"][flown]), "inclination (MME), deg"),
        (axes[1, 1], node, "ascending node (MME), deg"),
    )  # fmt: skip
    bins = int(np.clip(np.sqrt(max(flown.sum(), 1)) * 2, 10, 80))
    for ax, values, label in panels:
        ax.hist(values, bins=bins, color="tab:blue", alpha=0.8)
        for q in np.percentile(values, [1, 50, 99]):
            ax.axvline(q, color="k", lw=0.8, ls="--")
        ax.set(xlabel=label, ylabel="trials")
        ax.grid(alpha=0.3)
    ax = axes[1, 2]
    ax.scatter(temperature, hp, s=4, color="tab:blue", label="periapsis")
    ax.scatter(temperature, ha, s=4, color="tab:orange", label="apoapsis")
    ax.set(xlabel="propellant temperature, C", ylabel="altitude, km", title="Temperature effect")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.suptitle(
        f"{flown.size:,} dispersed ascents: {int(flown.sum()):,} flown to release, "
        f"P(periapsis >= {min_hp:g} km) = {leg.probability_stable_orbit:.3f} "
        "(dashed: 1st percentile, median, 99th percentile)",
        fontsize=11,
    )
    return save_figure(fig, plt, path)


def ascent_plots(leg, directory: str | Path) -> list[Path]:
    """Both ascent figures as PNG files in ``directory`` (created if needed)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [
        ascent_profile(leg, directory / "ascent_profile.png"),
        ascent_distributions(leg, directory / "ascent_distributions.png"),
    ]
