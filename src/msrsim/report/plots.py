"""Figures of the campaign, drawn with matplotlib (Agg, no display needed)."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np

from msrsim.campaign.published import PUBLISHED_PLAN
from msrsim.core.bodies import AU_M
from msrsim.core.ephemeris import get_ephemeris
from msrsim.core.geometry import intervals_below, solar_elongation
from msrsim.core.time import et_to_utc_datetime, solar_longitude_deg, utc_to_et
from msrsim.scenario import Scenario

CONJUNCTION_ELONGATION_DEG = 3.0  # Sun-Earth-Mars angle under which Mars is "in conjunction"
DUST_STORM_SEASON_LS_DEG = (180.0, 360.0)  # southern spring and summer (Kahre et al. 2017)


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, plt, path: str | Path, *, cropped: bool = False) -> Path:
    """Lay out (below a suptitle, if any), write as PNG (110 dpi, atomically) and close a
    figure. ``cropped``: the canvas cut to what is drawn, for the equal-aspect maps, whose
    x-axis label the layout can leave below the canvas (it costs one more drawing)."""
    from msrsim.core.resources import atomic_write

    path = Path(path)
    fig.tight_layout(rect=(0.0, 0.0, 1.0, 0.95 if fig._suptitle is not None else 1.0))
    try:  # written whole under a temporary name, then renamed: never through a link
        crop = {"bbox_inches": "tight", "pad_inches": 0.1} if cropped else {}
        atomic_write(path, lambda f: fig.savefig(f, dpi=110, format="png", **crop))
    finally:
        plt.close(fig)
    return path


def draw_all(result, directory: str | Path, figures: dict) -> list[Path]:
    """Each ``{file name: drawing function(result, path)}`` into ``directory`` (created)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [draw(result, directory / name) for name, draw in figures.items()]


def campaign_geometry(scenario: Scenario, path: str | Path, years: tuple[int, int] = (2027, 2034)):
    """Earth-Mars distance, solar conjunctions and Mars seasons over the campaign years.

    Top: Earth-Mars distance (DE421) with solar conjunctions (Sun-Earth-Mars angle under
    3 deg) and the scenario's launch periods shaded. Bottom: the solar longitude Ls at Mars
    (Mars24) with the dust-storm season shaded. Writes a PNG to ``path``.
    """
    plt = _figure()
    start, end = utc_to_et([f"{years[0]}-01-01", f"{years[1]}-01-01"])
    et = np.arange(start, end, 86400.0)
    dates = et_to_utc_datetime(et)
    distance_au = np.linalg.norm(get_ephemeris().position("mars", et, "earth"), axis=1) / AU_M
    elongation_deg = np.degrees(solar_elongation("mars", et))
    ls = solar_longitude_deg(et)

    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 2]}
    )
    top.plot(dates, distance_au, color="tab:red", lw=1.6, label="Earth-Mars distance")
    for span in intervals_below(et, elongation_deg, CONJUNCTION_ELONGATION_DEG):
        lo, hi = et_to_utc_datetime([span.start_et, span.end_et])
        top.axvspan(lo, hi, color="0.6", alpha=0.5, lw=0)
        top.annotate(
            f"solar conjunction\n{hi:%Y-%m}", (lo, 2.55), fontsize=7, ha="right", color="0.3"
        )
    for name, period, colour in (
        ("ERO launch window", scenario.ero_launch, "tab:blue"),
        ("SRL launch window", scenario.srl_launch, "tab:green"),
    ):
        top.axvspan(
            period.departure_earliest_utc,
            period.departure_latest_utc,
            color=colour,
            alpha=0.25,
            lw=0,
            label=f"{name} ({period.vehicle.name})",
        )
    published = next(f for f in PUBLISHED_PLAN if f.key == "samples_on_earth")
    top.axvspan(
        _dt.datetime.fromisoformat(published.earliest),
        _dt.datetime.fromisoformat(published.latest),
        color="k",
        alpha=0.08,
        lw=0,
        label=f"samples on Earth, published ({published.published})",
    )
    top.set_ylabel("Earth-Mars distance (AU)")
    top.set_ylim(0, 2.7)
    top.legend(loc="lower left", fontsize=8, framealpha=0.9)
    top.set_title(f"{scenario.scenario.name}: geometry of the campaign years (JPL DE421, Mars24)")
    top.grid(alpha=0.3)

    wrap = np.flatnonzero(np.diff(ls) < 0) + 1
    for seg_dates, seg_ls in zip(
        np.split(np.array(dates, dtype=object), wrap), np.split(ls, wrap), strict=True
    ):
        bottom.plot(seg_dates, seg_ls, color="tab:orange", lw=1.4)
    bottom.axhspan(
        *DUST_STORM_SEASON_LS_DEG,
        color="tab:orange",
        alpha=0.12,
        lw=0,
        label="dust-storm season (Ls 180-360)",
    )
    bottom.set_ylabel("Ls at Mars (deg)")
    bottom.set_ylim(0, 360)
    bottom.set_yticks([0, 90, 180, 270, 360])
    bottom.legend(loc="lower left", fontsize=8, framealpha=0.9)
    bottom.grid(alpha=0.3)
    return save_figure(fig, plt, path)


def porkchop_plot(
    chop,
    path: str | Path,
    *,
    optima=None,
    launch_period=None,
    title: str | None = None,
    c3_max_km2_s2: float = 60.0,
):
    """A porkchop as mission designers draw it: departure date on x, arrival date on y.

    Labelled contours of launch C3 (km2/s2, solid) and arrival v-infinity (km/s, dashed),
    time-of-flight lines (dotted, days), each type's minimum-C3 transfer marked, and the
    launch period drawn as a bar along the departure axis. Each cell shows the least-C3 arc
    among its Lambert solutions.
    """
    import matplotlib.dates as mdates

    plt = _figure()
    dep = et_to_utc_datetime(chop.departure_et)
    arr = et_to_utc_datetime(chop.arrival_et)
    c3 = chop.c3_m2_s2 / 1e6
    best_slot = np.nanargmin(np.where(np.isfinite(c3), c3, np.inf), axis=2)
    pick = np.take_along_axis(c3, best_slot[..., None], axis=2)[..., 0]
    vinf = np.take_along_axis(chop.v_inf_arrival_m_s / 1e3, best_slot[..., None], axis=2)[..., 0]
    c3_min = np.nanmin(pick) if np.isfinite(pick).any() else 0.0
    levels = nice_levels(c3_min, c3_min + max(c3_max_km2_s2, 1.0))
    x, y = np.meshgrid(mdates.date2num(dep), mdates.date2num(arr), indexing="ij")
    vinf = np.where(pick <= levels[-1], vinf, np.nan)  # v-inf where C3 is of use

    fig, ax = plt.subplots(figsize=(10, 7.5))
    # contourf fills between the levels only: its edge is the top level's smooth contour,
    # not the staircase of masked cells
    filled = ax.contourf(x, y, pick, levels=levels, cmap="viridis_r", alpha=0.35)
    lines = ax.contour(x, y, pick, levels=levels, colors="tab:blue", linewidths=0.9)
    ax.clabel(lines, fmt="%.1f", fontsize=7)
    v_low = np.floor(2 * np.nanmin(vinf)) / 2
    v_levels = np.arange(v_low + 0.5, min(v_low + 4.5, np.nanmax(vinf)), 0.5)
    if v_levels.size > 1:
        vl = ax.contour(
            x, y, vinf, levels=v_levels, colors="tab:red", linewidths=0.8, linestyles="--"
        )
        ax.clabel(vl, fmt="%.1f", fontsize=7)
    tof_days = chop.tof_s / 86400.0
    t_levels = np.arange(50, 1500, 50)
    t_levels = t_levels[(t_levels > np.nanmin(tof_days)) & (t_levels < np.nanmax(tof_days))]
    if t_levels.size:
        tl = ax.contour(
            x, y, tof_days, levels=t_levels, colors="0.45", linewidths=0.6, linestyles=":"
        )
        ax.clabel(tl, fmt="%d d", fontsize=6)
    x_mid = 0.5 * (x.min() + x.max())
    for kind, t in (optima or {}).items():
        d, a = et_to_utc_datetime([t.departure_et, t.arrival_et])
        ax.plot(d, a, marker="*", ms=13, color="k", mec="w")
        right = mdates.date2num(d) > x_mid  # labels point inwards: never cut at the edge
        ax.annotate(
            f"type {_roman(kind)}\nC3 {t.c3_m2_s2 / 1e6:.2f}",
            (d, a),
            xytext=(-6 if right else 6, 6),
            textcoords="offset points",
            ha="right" if right else "left",
            fontsize=8,
        )
    if launch_period is not None:
        d0, d1 = et_to_utc_datetime([launch_period.open_et, launch_period.close_et])
        ax.axvspan(
            d0,
            d1,
            color="tab:orange",
            alpha=0.25,
            lw=0,
            label=f"{launch_period.days}-day launch period, "
            f"C3 <= {launch_period.max_c3_m2_s2 / 1e6:.2f} km2/s2",
        )
        ax.legend(loc="upper left", fontsize=8)
    fig.colorbar(filled, ax=ax, label="launch C3 (km2/s2)")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    ax.yaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    fig.autofmt_xdate()
    ax.set_xlabel(f"departure from {chop.departure_body.title()} (UTC)")
    ax.set_ylabel(f"arrival at {chop.arrival_body.title()} (UTC)")
    ax.set_title(
        title
        or f"{chop.departure_body.title()} to {chop.arrival_body.title()}: "
        "C3 (blue, km2/s2), arrival v-inf (red, km/s), time of flight (grey)"
    )
    ax.grid(alpha=0.2)
    return save_figure(fig, plt, path)


def nice_levels(low: float, high: float, bins: int = 12) -> np.ndarray:
    """Round contour levels (steps of 1, 2, 2.5 or 5 times a power of ten) covering
    ``low`` to ``high``: the first at or below ``low``, so colour-bar ticks read 15, 20,
    25, not 15.27, 16.02."""
    from matplotlib.ticker import MaxNLocator

    levels = MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    return levels[levels <= high + 1e-9 * max(1.0, abs(high))] if levels.size > 2 else levels


SCALE_BAR_KM = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)


def scale_bar_km(width_km: float) -> float:
    """The round length (km) of a map's scale bar: the largest of :data:`SCALE_BAR_KM`
    at most a quarter of the map's width."""
    fitting = [k for k in SCALE_BAR_KM if k <= width_km / 4.0]
    return fitting[-1] if fitting else SCALE_BAR_KM[0]


def add_scale_bar(ax, radius_km: float, corner: str = "lower left") -> float:
    """A scale bar on a longitude-latitude map (its limits set): km along the middle
    parallel of a sphere of ``radius_km``, in ``corner`` ("lower left", "lower right",
    "upper left", "upper right"). Returns its length, km."""
    import math

    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    km_per_deg = math.radians(1.0) * radius_km * math.cos(math.radians(0.5 * (y0 + y1)))
    length = scale_bar_km((x1 - x0) * km_per_deg)
    span = length / km_per_deg
    start = x0 + 0.05 * (x1 - x0) if "left" in corner else x1 - 0.05 * (x1 - x0) - span
    y = y0 + 0.06 * (y1 - y0) if "lower" in corner else y1 - 0.08 * (y1 - y0)
    ax.plot([start, start + span], [y, y], color="black", lw=3, solid_capstyle="butt")
    ax.text(start + span / 2, y + 0.012 * (y1 - y0), f"{length:g} km", ha="center",
            va="bottom", fontsize=8)  # fmt: skip
    return length


def _roman(n: int) -> str:
    numerals = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
    return numerals[n] if 0 < n < len(numerals) else str(n)
