"""Figures of the surface leg: the nominal timeline as a Gantt chart, Monte Carlo histograms."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from msrsim.core.time import et_to_utc_datetime
from msrsim.report.plots import _figure, draw_all, save_figure

ACTORS = ("SRL", "Perseverance", "STA", "MAV")  # Gantt rows; helicopters go between STA, MAV
COLOURS = {
    "SRL": "tab:gray",
    "Perseverance": "tab:blue",
    "STA": "tab:green",
    "MAV": "tab:red",
    "Helicopter": "tab:purple",
}
BANDS = ("Solar conjunction", "Dust-storm season")  # drawn as shading across all rows


def surface_gantt(result, path: str | Path) -> Path:
    """The nominal timeline: activities by actor over dates (bottom) and sols (top), with
    solar conjunctions and the helicopters' dust-storm season shaded."""
    import matplotlib.dates as mdates

    plt = _figure()
    tl, plan = result.timeline, result.plan
    cal = tl.calendar
    end_sol = max(cal.deadline_sol, tl.mav_ready_sol or 0) + 5
    starts = cal.start_et[: end_sol + 2]
    day = mdates.date2num(et_to_utc_datetime(starts))  # matplotlib day numbers of sol starts
    sol_days = float(np.mean(np.diff(day)))

    heli = [f"Helicopter {k + 1}" for k in range(plan.helicopters.count)]
    rows = [*ACTORS[:3], *heli, ACTORS[3]]
    y = {actor: len(rows) - 1 - k for k, actor in enumerate(rows)}

    def num(et: float) -> float:
        return float(mdates.date2num(et_to_utc_datetime(et)[0]))

    fig, ax = plt.subplots(figsize=(13, 1.4 + 0.55 * len(rows)))
    shaded: set[str] = set()
    for a in tl.activities:
        band = next((b for b in BANDS if a.name.startswith(b)), None)
        if band is not None:
            colour = "0.55" if band == BANDS[0] else "tab:orange"
            label = None if band in shaded else a.name.lower()
            ax.axvspan(num(a.start_et), num(a.end_et), color=colour, alpha=0.2, lw=0, label=label)
            shaded.add(band)
        elif a.actor in y and not a.actor.startswith("Helicopter"):
            colour = COLOURS[a.actor]
            if a.end_et > a.start_et:
                alpha = 0.45 if "anomaly" in a.name or "wait" in a.name else 0.85
                ax.broken_barh(
                    [(num(a.start_et), num(a.end_et) - num(a.start_et))],
                    (y[a.actor] - 0.3, 0.6),
                    color=colour,
                    alpha=alpha,
                )
            elif a.name != "MAV launch deadline":  # the deadline is the dashed line
                at = num(a.start_et)
                ax.plot(at, y[a.actor], marker="D", color=colour, ms=7, mec="k")
                left = at < 0.5 * (day[0] + day[end_sol + 1])
                ax.annotate(
                    a.name,
                    (at, y[a.actor]),
                    xytext=(6 if left else -6, 9),
                    textcoords="offset points",
                    ha="left" if left else "right",
                    fontsize=7,
                )
    for f in tl.flights:
        marker = "x" if f.lost else "^" if f.leg == "outbound" else "v"
        colour = "k" if f.lost else COLOURS["Helicopter"]
        ax.plot(num(f.start_et), y[f"Helicopter {f.helicopter}"], marker=marker, color=colour, ms=6)
    ax.axvline(num(plan.mav.deadline_et), color="tab:red", ls="--", lw=1.2, label="MAV deadline")
    ax.set_yticks([y[r] for r in rows], rows)
    ax.set_ylim(-0.8, len(rows) - 0.2)
    ax.set_xlim(day[0], day[end_sol + 1])
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    ax.set_xlabel(
        "UTC (bars: checkout, drive, anomalies, arm loading, MAV preparation; "
        "triangles: helicopter flights out and back, x: a helicopter lost)"
    )
    top = ax.secondary_xaxis(
        "top", functions=(lambda d: (d - day[0]) / sol_days, lambda s: day[0] + s * sol_days)
    )
    top.set_xlabel("mission sol (sol 0 = SRL landing sol, local mean solar time at the lander)")
    loaded = len(tl.tubes_loaded)
    ready = (
        "not ready by the deadline"
        if tl.mav_ready_sol is None
        else f"ready on sol {tl.mav_ready_sol}"
    )
    fig.suptitle(f"Nominal surface timeline: {loaded} tubes loaded, MAV {ready}", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=7, framealpha=0.9)
    ax.grid(alpha=0.3, axis="x")
    return save_figure(fig, plt, path)


def surface_distributions(result, path: str | Path) -> Path:
    """Monte Carlo histograms: tubes loaded, Perseverance's arrival sol, MAV-ready date."""
    import matplotlib.dates as mdates

    plt = _figure()
    mc = result.trials
    n = mc.tubes_loaded.size
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    tubes = mc.tubes_loaded
    axes[0].hist(tubes, bins=np.arange(tubes.max() + 2) - 0.5, color="tab:green", alpha=0.85)
    axes[0].set(xlabel="tubes loaded in the Orbiting Sample", ylabel="trials")
    arrived = mc.rover_arrival_sol[mc.rover_arrival_sol >= 0]
    if arrived.size:
        bins = np.arange(arrived.min(), arrived.max() + 2) - 0.5  # one bin a sol
        axes[1].hist(arrived, bins=bins, color="tab:blue", alpha=0.85)
    else:
        axes[1].text(
            0.5,
            0.5,
            "Perseverance never reaches the lander",
            ha="center",
            transform=axes[1].transAxes,
        )
    axes[1].set(xlabel="sol Perseverance reaches the lander", ylabel="trials")
    axes[1].set_title(f"{arrived.size / n:.1%} of trials reach the lander", fontsize=9)
    ready_et = mc.mav_ready_et[np.isfinite(mc.mav_ready_et)]
    if ready_et.size:  # one bin a day (each trial counts its own sols)
        days = mdates.date2num(et_to_utc_datetime(ready_et))
        edges = np.arange(np.floor(days.min()), np.floor(days.max()) + 2.0)
        axes[2].hist(days, bins=edges, color="tab:red", alpha=0.8)
    axes[2].axvline(
        mdates.date2num(et_to_utc_datetime(mc.deadline_et)[0]), color="k", ls="--", label="deadline"
    )
    axes[2].xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    axes[2].tick_params(axis="x", labelrotation=30)
    axes[2].set(xlabel="MAV ready to launch (UTC)", ylabel="trials")
    axes[2].legend(fontsize=8)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(
        f"Surface Monte Carlo: {n:,} trials (seed {result.seed}), "
        f"P(MAV ready by the deadline) = {mc.probability_meets_deadline:.1%}, "
        f"no tubes in {np.mean(tubes == 0):.1%}",
        fontsize=10,
    )
    return save_figure(fig, plt, path)


def surface_plots(result, directory: str | Path) -> list[Path]:
    """Both surface figures as PNG files in ``directory`` (created if needed)."""
    return draw_all(result, directory, {
        "surface_timeline.png": surface_gantt,
        "surface_monte_carlo.png": surface_distributions,
    })  # fmt: skip
