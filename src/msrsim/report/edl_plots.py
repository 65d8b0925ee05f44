"""Figures of the Mars entry, descent and landing: nominal profile, ellipse on Jezero, spreads.

Three PNG figures from :class:`msrsim.segments.edl.EdlResult` batches:

* :func:`edl_profile`: the nominal entry (altitude-velocity with the parachute deploy
  marked, sensed deceleration, stagnation convective heat flux, bank angle and its
  reversals), from the entry history (``fly_edl(..., history_samples=N)``).
* :func:`edl_ellipse_map`: the landing points, their 99 % ellipse, the target and the
  geography of Jezero crater (rim, Octavia E. Butler Landing, the Three Forks depot).
* :func:`edl_distributions`: histograms of peak deceleration, deploy Mach and dynamic
  pressure (with the parachute's qualification box), deploy height, propellant and miss
  distance.

Geometry on the map is on a sphere of Mars' mean radius (3389.5 km, IAU WGCCRE 2015):
great-circle distances (haversine) and a local east-north plane for the ellipse. The
landing points of :class:`EdlResult` are planetodetic (normal to the IAU ellipsoid, f =
1/170); the published coordinates of Jezero are planetocentric (IAU/USGS Gazetteer,
Mars 2000 frame). At 18 deg N the two latitudes differ by 0.2 deg (~12 km, half the
crater's radius), so the landing latitudes are converted to planetocentric
(``tan(phi_c) = (1 - f)^2 tan(phi_d)``, exact on the ellipsoid; the ~2.6 km depth of
Jezero below the ellipsoid changes it by < 1e-5 deg) before anything is drawn or measured.
Longitudes are the same in both systems (east-positive).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from msrsim.campaign.edl import landing_place
from msrsim.core.bodies import MARS
from msrsim.core.flight import HISTORY_COLUMNS, STATUS_STOP_SPEED
from msrsim.core.frames import cartesian_to_geodetic
from msrsim.report.basemap import JEZERO_RELIEF, draw_relief, load_relief, relief_caption
from msrsim.report.plots import _figure, add_scale_bar, save_figure
from msrsim.segments.jezero import (
    JEZERO,
    JezeroMap,
    circle_deg,
    ellipse_clearance,
    great_circle_km,
    landing_points_deg,
)


def _history(nominal):
    """The first trajectory's recorded entry rows and the column index."""
    if nominal.entry.history is None:
        raise ValueError("the nominal EDL has no history: fly it with history_samples > 0")
    rows = nominal.entry.history[0]
    rows = rows[np.isfinite(rows[:, 0])]
    return rows, {name: i for i, name in enumerate(HISTORY_COLUMNS)}


def _reversal_times(t, bank_deg, threshold_deg: float = 2.0) -> list[float]:
    """Times where the bank's sign flips, ignoring the near-zero stretches between."""
    significant = np.flatnonzero(np.abs(bank_deg) > threshold_deg)
    sign = np.sign(bank_deg[significant])
    flips = significant[1:][sign[1:] != sign[:-1]]
    return [float(t[i]) for i in flips]


def edl_profile(nominal, path: str | Path) -> Path:
    """The nominal guided entry, interface to parachute deploy: four panels."""
    plt = _figure()
    rows, col = _history(nominal)
    t = rows[:, col["time_s"]]
    alt_km = rows[:, col["altitude_m"]] / 1e3
    speed = np.linalg.norm(rows[:, [col["vx_m_s"], col["vy_m_s"], col["vz_m_s"]]], axis=1)
    deploy_alt_km = float(cartesian_to_geodetic(nominal.entry.position_m[:1], MARS)[2][0]) / 1e3
    deploy_speed = float(np.linalg.norm(nominal.entry.velocity_m_s[0]))
    ground_km = deploy_alt_km - float(nominal.deploy_height_m[0]) / 1e3
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))

    ax = axes[0, 0]
    ax.plot(speed / 1e3, alt_km, color="tab:purple", lw=1.6, label="guided entry")
    ax.plot(
        deploy_speed / 1e3,
        deploy_alt_km,
        "o",
        ms=9,
        mfc="tab:orange",
        mec="k",
        label=(
            f"parachute deploy: Mach {nominal.deploy_mach[0]:.2f}, "
            f"{nominal.deploy_dynamic_pressure_pa[0]:.0f} Pa,\n"
            f"{nominal.deploy_height_m[0] / 1e3:.1f} km above the ground, t = {t[-1]:.0f} s"
        ),
    )
    ax.axhline(ground_km, color="0.4", ls="--", lw=1, label=f"ground ({ground_km:.1f} km)")
    ax.set(
        xlabel="planet-relative speed, km/s",
        ylabel="altitude above the IAU ellipsoid, km",
        title="Altitude-velocity",
    )
    ax.set_xlim(0, None)
    ax.legend(fontsize=8, loc="upper left")

    ax = axes[0, 1]
    decel = rows[:, col["deceleration_g"]]
    ax.plot(t, decel, color="tab:red", lw=1.4)
    k = int(np.argmax(decel))
    ax.annotate(
        f"peak {decel[k]:.1f} g at {t[k]:.0f} s",
        (t[k], decel[k]),
        xytext=(10, -4),
        textcoords="offset points",
        fontsize=8,
    )
    ax.set(xlabel="time from entry interface, s", ylabel="sensed deceleration, g (Earth)")
    ax.set_title("Deceleration")

    ax = axes[1, 0]
    q = rows[:, col["convective_heat_flux_w_m2"]] / 1e4
    ax.plot(t, q, color="tab:orange", lw=1.4)
    k = int(np.argmax(q))
    heat_load = nominal.entry.heat_load_j_m2[0] / 1e4
    ax.annotate(
        f"peak {q[k]:.0f} W/cm2 at {t[k]:.0f} s\nheat load {heat_load:.0f} J/cm2",
        (t[k], q[k]),
        xytext=(10, -20),
        textcoords="offset points",
        fontsize=8,
    )
    ax.set(
        xlabel="time from entry interface, s",
        ylabel="stagnation convective heat flux, W/cm2",
        title="Heating (Sutton-Graves, CO2)",
    )

    ax = axes[1, 1]
    bank = np.degrees(rows[:, col["bank_rad"]])
    ax.plot(t, bank, color="tab:green", lw=1.4)
    for time in _reversal_times(t, bank):
        ax.axvline(time, color="0.5", ls=":", lw=1)
    ax.axhline(0.0, color="k", lw=0.6)
    ax.set(
        xlabel="time from entry interface, s",
        ylabel="bank angle, deg (+ right)",
        title=(
            f"Bank angle: {int(nominal.entry.bank_reversals[0])} reversals commanded "
            "(dotted: sign flips)"
        ),
    )
    ax.set_ylim(-180, 180)
    ax.set_yticks(np.arange(-180, 181, 45))
    for ax in axes.flat:
        ax.grid(alpha=0.3)
    fig.suptitle(
        "Nominal Mars entry, interface to parachute deploy (guided, Apollo final-phase law)",
        fontsize=11,
    )
    return save_figure(fig, plt, path)


def edl_ellipse_map(
    batch,
    site: JezeroMap,
    path: str | Path,
    target_latitude_deg: float,
    target_longitude_deg: float,
    depot_latitude_deg: float | None = None,
    depot_longitude_deg: float | None = None,
) -> Path:
    """Landing points, 99 % ellipse, target and the landing region (``site``: Jezero's
    geography by default); the whole region and a zoom.

    Left: the whole region (Jezero's rim as a circle of the published diameter, or the
    scenario's ``srl.landing_region`` circle). Right: a zoom on the ellipse. Perseverance's
    landing and the depot are drawn in Jezero only; the relief where the packaged grid
    reaches. Latitudes are planetocentric (converted from the planetodetic landing points).
    """
    plt = _figure()
    jezero = site == JEZERO
    place = landing_place(site)
    edge = "rim" if jezero else "region's edge"
    lat, lon = landing_points_deg(batch)
    stats = ellipse_clearance(batch, site, target_latitude_deg, target_longitude_deg)
    e = stats.ellipse
    e_lat, e_lon = e.outline_deg()
    r_lat, r_lon = circle_deg(
        site.crater_latitude_deg, site.crater_longitude_deg, site.crater_radius_km
    )
    aspect = 1.0 / math.cos(math.radians(site.crater_latitude_deg))
    fig, (whole, zoom) = plt.subplots(1, 2, figsize=(14, 7))
    for ax in (whole, zoom):
        ax.fill(r_lon, r_lat, color="tab:blue", alpha=0.06, lw=0)
        ax.plot(
            r_lon,
            r_lat,
            color="tab:brown",
            lw=2,
            label=f"{place} {'rim' if jezero else 'landing region'} "
            f"({site.crater_diameter_km:g} km circle)",
        )
        ax.scatter(lon, lat, s=4, color="0.3", alpha=0.5, lw=0, label=f"landings ({lat.size:,})")
        ax.plot(
            e_lon,
            e_lat,
            color="tab:red",
            lw=1.8,
            label=f"99 % ellipse {2 * e.semi_major_km:.1f} x {2 * e.semi_minor_km:.1f} km",
        )
        ax.plot(target_longitude_deg, target_latitude_deg, "k+", ms=14, mew=2, label="target")
        if jezero:
            perseverance = f"Perseverance: {site.landing_site_name}"
            ax.plot(site.landing_longitude_deg, site.landing_latitude_deg, "*", ms=13,
                    color="gold", mec="k", label=perseverance)  # fmt: skip
        if jezero and depot_latitude_deg is not None and depot_longitude_deg is not None:
            ax.plot(
                depot_longitude_deg,
                depot_latitude_deg,
                "s",
                ms=8,
                color="tab:cyan",
                mec="k",
                label="Three Forks depot",
            )
        ax.set_aspect(aspect)
        ax.set_xlabel("east longitude, deg")
        ax.set_ylabel("planetocentric latitude, deg")
        ax.grid(alpha=0.3)
    pad = 0.08
    whole.set_xlim(r_lon.min() - pad * aspect, r_lon.max() + pad * aspect)
    whole.set_ylim(r_lat.min() - pad, r_lat.max() + pad)
    whole.plot(site.crater_longitude_deg, site.crater_latitude_deg, "x", color="tab:brown", ms=8)
    whole.set_title(f"{'Jezero crater' if jezero else place} (x: centre)")
    lat_pts = np.r_[lat, e_lat, target_latitude_deg]
    lon_pts = np.r_[lon, e_lon, target_longitude_deg]
    half = 0.55 * max(np.ptp(lat_pts), np.ptp(lon_pts) / aspect) + 0.02
    mid_lat, mid_lon = 0.5 * (lat_pts.min() + lat_pts.max()), 0.5 * (lon_pts.min() + lon_pts.max())
    zoom.set_xlim(mid_lon - half * aspect, mid_lon + half * aspect)
    zoom.set_ylim(mid_lat - half, mid_lat + half)
    zoom.set_title(
        f"Landing footprint: median miss {np.median(stats.miss_km):.2f} km, "
        f"99th pct {np.percentile(stats.miss_km, 99):.2f} km"
    )
    whole.indicate_inset_zoom(zoom, edgecolor="0.3")
    relief = load_relief(JEZERO_RELIEF)
    levels = draw_relief(whole, relief, MARS.mean_radius.value)
    draw_relief(zoom, relief, MARS.mean_radius.value)
    caption = relief_caption(relief, levels)
    radius_km = MARS.mean_radius.value / 1e3
    add_scale_bar(whole, radius_km)
    add_scale_bar(zoom, radius_km, corner="lower right")
    zoom.legend(loc="upper right", fontsize=8, framealpha=0.9)
    where = (
        f"Rim: {site.crater_diameter_km:g} km circle about {site.crater_latitude_deg:.2f} N, "
        f"{site.crater_longitude_deg:.2f} E (IAU/USGS Gazetteer);\n"
        f"{site.landing_site_name}: {site.landing_latitude_deg:.4f} N, "
        f"{site.landing_longitude_deg:.4f} E (NASA/JPL).\n"
        if jezero
        else f"Landing region (srl.landing_region): {site.crater_diameter_km:g} km circle about "
        f"{site.crater_latitude_deg:.2f} N, {site.crater_longitude_deg:.2f} E.\n"
    )
    zoom.text(
        0.01,
        0.01,
        where
        + "Landing latitudes converted from planetodetic to planetocentric."
        + (f"\n{caption}" if caption else ""),
        transform=zoom.transAxes,
        fontsize=7,
        color="0.25",
        va="bottom",
        bbox={"facecolor": "white", "alpha": 0.85, "lw": 0},
    )
    verdict = "is inside" if stats.ellipse_inside else "CROSSES"
    fig.suptitle(
        f"EDL landing footprint in {place}: the 99 % ellipse {verdict} the {edge} "
        f"(least clearance {stats.ellipse_clearance_km:.1f} km; landings: "
        f"least {stats.point_clearance_km.min():.1f} km)",
        fontsize=11,
    )
    return save_figure(fig, plt, path, cropped=True)


def edl_distributions(
    batch,
    path: str | Path,
    *,
    target_latitude_deg: float | None = None,
    target_longitude_deg: float | None = None,
    max_deploy_mach: float | None = None,
    max_deploy_dynamic_pressure_pa: float | None = None,
) -> Path:
    """Histograms of the batch's outcomes; the parachute box limits as red lines if given.

    The miss distance is from the target if given, else from the mean landing point.
    """
    plt = _figure()
    from matplotlib.ticker import MaxNLocator

    landed = np.asarray(batch.landed, dtype=bool)
    lat, lon = landing_points_deg(batch)
    if target_latitude_deg is None or target_longitude_deg is None:
        target_latitude_deg, target_longitude_deg = float(lat.mean()), float(lon.mean())
        miss_label = "distance from the mean landing point, km"
    else:
        miss_label = "miss distance from the target, km"
    deployed = np.asarray(batch.entry.status) == STATUS_STOP_SPEED
    panels = (
        (batch.entry.peak_deceleration_g[deployed], "peak sensed deceleration, g (Earth)", None),
        (batch.deploy_mach[deployed], "Mach number at parachute deploy", max_deploy_mach),
        (
            batch.deploy_dynamic_pressure_pa[deployed],
            "dynamic pressure at parachute deploy, Pa",
            max_deploy_dynamic_pressure_pa,
        ),
        (batch.deploy_height_m[deployed] / 1e3, "deploy height above the ground, km", None),
        (batch.propellant_kg[landed], "powered-descent propellant, kg", None),
        (
            great_circle_km(target_latitude_deg, target_longitude_deg, lat, lon),
            miss_label,
            None,
        ),
    )
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5))
    bins = int(np.clip(np.sqrt(max(landed.sum(), 1)) * 2, 10, 80))
    for ax, (values, label, limit) in zip(axes.flat, panels, strict=True):
        values = np.asarray(values, dtype=np.float64)
        values = values[np.isfinite(values)]
        ax.hist(values, bins=bins, color="tab:blue", alpha=0.8)
        for q in np.percentile(values, [1, 50, 99]):
            ax.axvline(q, color="k", lw=0.8, ls="--")
        if limit is not None:
            ax.axvline(limit, color="tab:red", lw=2, label=f"qualification limit {limit:g}")
            ax.legend(fontsize=8, loc="upper left")
        ax.set(xlabel=label, ylabel="trials")
        ax.xaxis.set_major_locator(MaxNLocator(6))
        ax.grid(alpha=0.3)
    in_box = np.asarray(batch.deploy_in_box, dtype=bool)
    fig.suptitle(
        f"{landed.size:,} dispersed EDL trials: {int(landed.sum()):,} landed, "
        f"{in_box.mean():.1%} deployed inside the parachute box "
        "(dashed: 1st percentile, median, 99th percentile)",
        fontsize=11,
    )
    return save_figure(fig, plt, path)


def edl_plots(
    nominal,
    batch,
    directory: str | Path,
    *,
    target_latitude_deg: float,
    target_longitude_deg: float,
    depot_latitude_deg: float,
    depot_longitude_deg: float,
    max_deploy_mach: float,
    max_deploy_dynamic_pressure_pa: float,
    site: JezeroMap = JEZERO,
) -> list[Path]:
    """All three EDL figures as PNG files in ``directory`` (created if needed)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [
        edl_profile(nominal, directory / "edl_profile.png"),
        edl_ellipse_map(
            batch,
            site,
            directory / "edl_ellipse_map.png",
            target_latitude_deg,
            target_longitude_deg,
            depot_latitude_deg,
            depot_longitude_deg,
        ),
        edl_distributions(
            batch,
            directory / "edl_distributions.png",
            target_latitude_deg=target_latitude_deg,
            target_longitude_deg=target_longitude_deg,
            max_deploy_mach=max_deploy_mach,
            max_deploy_dynamic_pressure_pa=max_deploy_dynamic_pressure_pa,
        ),
    ]
