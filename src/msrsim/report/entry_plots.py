"""Figures of the Earth entry: footprint on the range map, nominal profile, distributions."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from msrsim.core.bodies import EARTH
from msrsim.core.flight import HISTORY_COLUMNS
from msrsim.core.frames import cartesian_to_geodetic
from msrsim.report.basemap import NO_RELIEF, draw_relief, load_relief, relief_caption
from msrsim.report.plots import _figure, add_scale_bar, draw_all, save_figure

MAP_POINTS = 20_000  # landing points drawn at most (a random subset keeps the file small)


def _ellipse_outline(ellipse, points: int = 181):
    """Latitudes and longitudes (deg) of an ellipse's outline (local spherical plane)."""
    phi = np.linspace(0.0, 2.0 * math.pi, points)
    az = ellipse.major_axis_azimuth_rad
    along, across = ellipse.semi_major_m * np.cos(phi), ellipse.semi_minor_m * np.sin(phi)
    east = along * math.sin(az) + across * math.cos(az)
    north = along * math.cos(az) - across * math.sin(az)
    radius = EARTH.equatorial_radius.value
    lat = ellipse.centre_latitude_rad + north / radius
    lon = ellipse.centre_longitude_rad + east / (radius * math.cos(ellipse.centre_latitude_rad))
    return np.degrees(lat), np.degrees(lon)


def _track(history: np.ndarray):
    """Latitude, longitude (deg) and the rows of one trajectory's recorded history."""
    rows = history[np.isfinite(history[:, 0])]
    col = {name: i for i, name in enumerate(HISTORY_COLUMNS)}
    lat, lon, _ = cartesian_to_geodetic(rows[:, [col["x_m"], col["y_m"], col["z_m"]]], EARTH)
    return np.degrees(lat), np.degrees(lon), rows, col


def footprint_map(result, path: str | Path) -> Path:
    """Landing points, the 99 % ellipse and the nominal ground track on the range."""
    plt = _figure()
    fp = result.footprint
    landed = fp.entries.flight.status == 0
    lat = np.degrees(fp.entries.landing_latitude_rad[landed])
    lon = np.degrees(fp.entries.landing_longitude_rad[landed])
    if lat.size > MAP_POINTS:
        keep = np.random.default_rng(0).choice(lat.size, MAP_POINTS, replace=False)
        lat, lon = lat[keep], lon[keep]
    rng_ = result.landing_range
    fig, ax = plt.subplots(figsize=(8, 7))
    ax.fill(rng_.east_longitude_deg, rng_.latitude_deg, color="tab:green", alpha=0.12)
    ax.plot(
        np.r_[rng_.east_longitude_deg, rng_.east_longitude_deg[:1]],
        np.r_[rng_.latitude_deg, rng_.latitude_deg[:1]],
        color="tab:green",
        lw=1.5,
        label=rng_.name,
    )
    ax.scatter(lon, lat, s=1, color="0.35", alpha=0.4, lw=0, label="dispersed landings")
    e_lat, e_lon = _ellipse_outline(fp.ellipse)
    ax.plot(e_lon, e_lat, color="tab:red", lw=1.5, label="99 % landing ellipse")
    t_lat, t_lon, _, _ = _track(fp.nominal.flight.history[0])
    ax.plot(t_lon, t_lat, color="tab:blue", lw=1.0, label="nominal ground track")
    ax.plot(
        result.target.east_longitude_deg, result.target.latitude_deg, "k+", ms=12, label="target"
    )
    pad = 0.3
    ax.set_xlim(
        min(rng_.east_longitude_deg.min(), lon.min()) - pad,
        max(rng_.east_longitude_deg.max(), lon.max()) + pad,
    )
    ax.set_ylim(
        min(rng_.latitude_deg.min(), lat.min()) - pad, max(rng_.latitude_deg.max(), lat.max()) + pad
    )
    ax.set_aspect(1.0 / math.cos(math.radians(result.target.latitude_deg)))
    relief = load_relief()
    levels = draw_relief(ax, relief, EARTH.mean_radius.value)
    ax.set_xlabel("east longitude, deg")
    ax.set_ylabel("geodetic latitude, deg")
    landed = fp.entries.flight.status == 0
    outside = np.count_nonzero(~result.inside_range[landed]) / max(1, landed.sum())
    ax.set_title(
        f"EES footprint, {rng_.name}: {fp.entries.flight.status.size:,} trials, 99 % ellipse "
        f"{2 * fp.ellipse.semi_major_m / 1e3:.1f} x {2 * fp.ellipse.semi_minor_m / 1e3:.1f} km, "
        f"P(outside range | landed) = {outside:.2%}"
    )
    add_scale_bar(ax, EARTH.mean_radius.value / 1e3, corner="upper right")
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    terrain = f"; {relief_caption(relief, levels) or NO_RELIEF}"
    fig.text(
        0.01,
        0.005,
        "Boundary: " + rng_.source.split(":")[0] + terrain + "; see docs/models.md",
        fontsize=7,
        color="0.4",
    )
    return save_figure(fig, plt, path, cropped=True)


def entry_profile(result, path: str | Path) -> Path:
    """The nominal capsule from the interface to the ground: four panels."""
    plt = _figure()
    _, _, rows, col = _track(result.footprint.nominal.flight.history[0])
    t = rows[:, col["time_s"]]
    alt_km = rows[:, col["altitude_m"]] / 1e3
    speed = np.linalg.norm(rows[:, [col["vx_m_s"], col["vy_m_s"], col["vz_m_s"]]], axis=1)
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    axes[0, 0].plot(t, alt_km)
    axes[0, 0].set(xlabel="time from entry interface, s", ylabel="altitude, km")
    axes[0, 1].plot(t, rows[:, col["deceleration_g"]], color="tab:red")
    axes[0, 1].set(xlabel="time from entry interface, s", ylabel="deceleration, g")
    axes[1, 0].plot(t, rows[:, col["convective_heat_flux_w_m2"]] / 1e4, label="convective")
    axes[1, 0].plot(t, rows[:, col["radiative_heat_flux_w_m2"]] / 1e4, label="radiative")
    axes[1, 0].set(xlabel="time from entry interface, s", ylabel="stagnation heat flux, W/cm2")
    axes[1, 0].legend()
    axes[1, 1].plot(speed / 1e3, alt_km, color="tab:purple")
    axes[1, 1].set(xlabel="speed relative to the rotating Earth, km/s", ylabel="altitude, km")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
    fig.suptitle(
        f"Nominal EES entry ({result.capsule.mass_kg:g} kg, "
        f"{result.capsule.diameter_m:g} m, {result.atmosphere_source.split(' (')[0]})",
        fontsize=10,
    )
    return save_figure(fig, plt, path)


def entry_distributions(result, path: str | Path) -> Path:
    """Histograms of peak g, peak heat flux, touchdown speed and flight time."""
    plt = _figure()
    flight = result.footprint.entries.flight
    landed = flight.status == 0
    panels = (
        (flight.peak_deceleration_g[landed], "peak deceleration, g"),
        (flight.peak_convective_heat_flux_w_m2[landed] / 1e4, "peak convective heat flux, W/cm2"),
        (result.footprint.entries.touchdown_speed_m_s[landed], "touchdown speed, m/s"),
        (flight.time_s[landed], "time from entry interface to ground, s"),
    )
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    for ax, (values, label) in zip(axes.flat, panels, strict=True):
        ax.hist(values, bins=80, color="tab:blue", alpha=0.8)
        for q in np.percentile(values, [1, 50, 99]):
            ax.axvline(q, color="k", lw=0.8, ls="--")
        ax.set(xlabel=label, ylabel="trials")
        ax.grid(alpha=0.3)
    fig.suptitle(
        f"{int(landed.sum()):,} dispersed entries (dashed: 1st percentile, median, "
        "99th percentile)",
        fontsize=10,
    )
    return save_figure(fig, plt, path)


def entry_plots(result, directory: str | Path) -> list[Path]:
    """All three entry figures as PNG files in ``directory`` (created if needed)."""
    return draw_all(result, directory, {
        "entry_footprint.png": footprint_map,
        "entry_profile.png": entry_profile,
        "entry_distributions.png": entry_distributions,
    })  # fmt: skip


def replay_plots(result, directory: str | Path) -> list[Path]:
    """The profile and distributions of an entry flown from a given interface (no range
    or target to map: :func:`msrsim.campaign.interface_entry.run_interface_entry`)."""
    return draw_all(result, directory, {
        "entry_profile.png": entry_profile,
        "entry_distributions.png": entry_distributions,
    })  # fmt: skip
