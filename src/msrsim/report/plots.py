"""Figures of the campaign, drawn with matplotlib (Agg, no display needed)."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np

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
        ("ERO launch period", scenario.ero_launch, "tab:blue"),
        ("SRL launch period", scenario.srl_launch, "tab:green"),
    ):
        top.axvspan(
            period.earliest_utc,
            period.latest_utc,
            color=colour,
            alpha=0.25,
            lw=0,
            label=f"{name} ({period.launch_vehicle})",
        )
    top.axvline(
        _dt.datetime(scenario.campaign.samples_on_earth_year, 7, 1),
        color="k",
        ls=":",
        lw=1,
        label=f"samples on Earth ({scenario.campaign.samples_on_earth_year})",
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
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
