"""Figures of the rendezvous and capture legs, and of containment.

* :func:`relative_trajectory_plot`: the ERO about the OS in the V-bar / R-bar plane
  (along-track ``y`` against radial ``x``, LVLH of the OS): the nominal approach flown on
  the nonlinear dynamics and the first Monte Carlo trials, far range (km) and close range
  (m), with the hold points.
* :func:`passive_safety_plot`: the free drift after each missed burn of the nominal
  approach, with the keep-out sphere.
* :func:`navigation_plot`: the filter's position 1-sigma against time (median and spread
  over the trials) and the trial-averaged NEES with its chi-square region.
* :func:`rendezvous_distributions`: delta-v, lateral miss at capture against the envelope,
  time to capture, and the containment Monte Carlo's probability of release against the
  requirement.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from msrsim.core.navigation import nees_bounds
from msrsim.report.plots import _figure, save_figure

__all__ = [
    "navigation_plot",
    "passive_safety_plot",
    "relative_trajectory_plot",
    "rendezvous_distributions",
    "rendezvous_plots",
]


def relative_trajectory_plot(leg, path: str | Path) -> Path:
    """V-bar / R-bar plane, far and close range."""
    plt = _figure()
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    res = leg.result
    tracks = res.history_local
    nominal = leg.nominal_track
    for ax, scale, unit, limit in ((axes[0], 1e-3, "km", None), (axes[1], 1.0, "m", 400.0)):
        for k in range(tracks.shape[1]):
            xy = tracks[:, k, :2].astype(float)
            if limit is not None:
                xy = np.where(np.linalg.norm(xy, axis=1)[:, None] < limit, xy, np.nan)
            ax.plot(xy[:, 1] * scale, xy[:, 0] * scale, lw=0.6, alpha=0.6, color="tab:blue",
                    label="Monte Carlo trials" if k == 0 else None)  # fmt: skip
        nom = nominal[:, :2]
        if limit is not None:
            nom = np.where(np.linalg.norm(nom, axis=1)[:, None] < limit, nom, np.nan)
        ax.plot(
            nom[:, 1] * scale, nom[:, 0] * scale, color="k", lw=1.4, label="nominal (no errors)"
        )
        holds = np.array(res.hold_points_m)
        if limit is not None:
            holds = holds[np.abs(holds) < limit]
        ax.plot(holds * scale, np.zeros_like(holds), "rs", label="hold points")
        ax.plot([0], [0], "k*", ms=12, label="Orbiting Sample")
        ax.set_xlabel(f"V-bar, along-track y ({unit})")
        ax.set_ylabel(f"R-bar, radial x ({unit}, up)")
        ax.grid(alpha=0.3)
        ax.set_title("far range" if limit is None else f"close range (within {limit:g} m)")
    axes[0].set_xlim(min(-60.0, float(np.nanmin(nominal[:, 1])) * 1e-3 * 1.1), 5.0)
    axes[0].set_ylim(1.5 * leg.plan.search_altitude_offset_m * 1e-3, 5.0)
    axes[0].legend(fontsize=8, loc="lower left")
    fig.suptitle("ERO relative to the Orbiting Sample (LVLH: x radial, y along-track)")
    return save_figure(fig, plt, path)


def passive_safety_plot(leg, path: str | Path) -> Path:
    """Free drift after each missed burn (two revolutions)."""
    plt = _figure()
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    keep_out = leg.plan.keep_out_radius_m
    for ax, limit, scale, unit in ((axes[0], None, 1e-3, "km"), (axes[1], 400.0, 1.0, "m")):
        for m in leg.missed_burns:
            xy = m.local_track[:, :2]
            if limit is not None:
                if np.min(np.abs(xy[:, 1])) > limit:
                    continue
                xy = np.where(np.linalg.norm(xy, axis=1)[:, None] < limit, xy, np.nan)
            ax.plot(xy[:, 1] * scale, xy[:, 0] * scale, lw=1.0,
                    label=f"{m.name}: min {m.min_distance_m:.0f} m")  # fmt: skip
        circle = np.linspace(0, 2 * np.pi, 200)
        ax.plot(keep_out * np.cos(circle) * scale, keep_out * np.sin(circle) * scale, "r--",
                label=f"keep-out {keep_out:g} m")  # fmt: skip
        ax.plot([0], [0], "k*", ms=12)
        ax.set_xlabel(f"V-bar y ({unit})")
        ax.set_ylabel(f"R-bar x ({unit}, up)")
        ax.grid(alpha=0.3)
        ax.set_aspect("equal", adjustable="datalim")
        ax.legend(fontsize=7)
    fig.suptitle("Passive safety: drift after a missed burn (nonlinear J2 + drag + SRP)")
    return save_figure(fig, plt, path)


def navigation_plot(leg, path: str | Path) -> Path:
    """Position 1-sigma and trial-averaged NEES against time since the search started."""
    plt = _figure()
    res = leg.result
    t_h = (res.history_et - res.search_start_et) / 3600.0
    sig = res.history_position_sigma_m.astype(float)
    fig, axes = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    with np.errstate(all="ignore"):
        valid = np.isfinite(sig).sum(axis=1) > 0
        q = np.full((t_h.size, 3), np.nan)
        q[valid] = np.nanpercentile(sig[valid], [5, 50, 95], axis=1).T
    axes[0].fill_between(t_h, q[:, 0], q[:, 2], alpha=0.3, label="5th-95th pct")
    axes[0].plot(t_h, q[:, 1], label="median over trials")
    axes[0].set_yscale("log")
    axes[0].set_ylabel("position 1-sigma (m)")
    axes[0].legend()
    axes[0].grid(alpha=0.3, which="both")
    ok = res.history_nees_count > 0
    axes[1].plot(t_h[ok], res.history_nees_mean[ok], lw=0.7, label="NEES averaged over trials")
    counts = res.history_nees_count[ok]
    lo_hi = np.array([nees_bounds(6, int(c)) for c in counts]) if counts.size else np.zeros((0, 2))
    if counts.size:
        axes[1].plot(t_h[ok], lo_hi[:, 0], "k--", lw=0.7, label="95 % chi-square region")
        axes[1].plot(t_h[ok], lo_hi[:, 1], "k--", lw=0.7)
    axes[1].axhline(6.0, color="g", lw=0.8, label="expected (6)")
    axes[1].set_yscale("log")
    axes[1].set_ylabel("NEES")
    axes[1].set_xlabel("hours since the search started")
    axes[1].legend(fontsize=8)
    axes[1].grid(alpha=0.3, which="both")
    fig.suptitle("Relative navigation (EKF): covariance and consistency")
    return save_figure(fig, plt, path)


def rendezvous_distributions(leg, path: str | Path) -> Path:
    """Delta-v, lateral miss, time to capture, probability of release."""
    plt = _figure()
    res = leg.result
    ok = res.captured
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    axes[0, 0].hist(res.total_delta_v_m_s[ok], bins=30)
    axes[0, 0].set_xlabel("rendezvous delta-v (m/s)")
    axes[0, 1].hist(res.lateral_miss_m[np.isfinite(res.lateral_miss_m)], bins=30)
    axes[0, 1].axvline(leg.envelope.lateral_radius_m, color="r", ls="--", label="capture envelope")
    axes[0, 1].set_xlabel("lateral miss at the capture plane, last attempt (m)")
    axes[0, 1].legend()
    axes[1, 0].hist(res.time_to_capture_s[ok] / 86400.0, bins=30)
    axes[1, 0].set_xlabel("time from release to capture (days)")
    p = leg.containment.p_release
    axes[1, 1].hist(np.log10(np.maximum(p, 1e-30)), bins=60)
    axes[1, 1].axvline(np.log10(leg.containment.model.requirement_probability), color="r", ls="--",
                       label="requirement")  # fmt: skip
    axes[1, 1].axvline(np.log10(leg.containment.mean), color="k", ls=":", label="mean")
    axes[1, 1].set_xlabel("log10 P(unsterilised Mars material reaches the biosphere)")
    axes[1, 1].legend()
    for ax in axes.ravel():
        ax.grid(alpha=0.3)
    fig.suptitle(f"Rendezvous, capture and containment Monte Carlo (P capture = {ok.mean():.3f})")
    return save_figure(fig, plt, path)


def rendezvous_plots(leg, directory: str | Path) -> list[Path]:
    """All four figures as PNG files in ``directory`` (created if needed)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [
        relative_trajectory_plot(leg, directory / "rendezvous_relative_trajectory.png"),
        passive_safety_plot(leg, directory / "rendezvous_passive_safety.png"),
        navigation_plot(leg, directory / "rendezvous_navigation.png"),
        rendezvous_distributions(leg, directory / "rendezvous_distributions.png"),
    ]
