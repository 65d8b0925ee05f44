"""Leg 1 of the campaign: the launch windows of the ERO and the SRL, and the return window.

The SRL's launch period is the schedule's (:func:`msrsim.campaign.schedule.plan_schedule`:
the period whose latest arrival is earliest under the launcher's C3, the DLA limit and
the dust-season exclusion). The ERO's window and the return window are searched with
:func:`msrsim.segments.windows.search_window` as ballistic (patched-conic) references: the
ERO's real cruises are electric (its own leg), so their rows show what a ballistic
transfer in the same dates would cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from msrsim.campaign.chain import Failure, TrialTable
from msrsim.campaign.outcomes import Leg, LegOutcome, dated
from msrsim.campaign.schedule import launch_vehicle, srl_launch_period, window_span_et
from msrsim.scenario import LaunchWindow, Scenario, TransferWindow
from msrsim.segments.windows import LaunchPeriod, Transfer, WindowResult, search_window

MODELLED = "modelled (ballistic)"


def search_launch(window: LaunchWindow, spacecraft_mass_kg: float) -> WindowResult:
    """Earth->Mars porkchop over a scenario launch window and its best launch period."""
    return search_window(
        "earth",
        "mars",
        window_span_et(window, "departure"),
        window_span_et(window, "arrival"),
        max_revs=window.max_revs,
        launch_period_days=window.launch_period_days,
        dla_limit_rad=math.radians(window.dla_limit_deg),
        vehicle=launch_vehicle(window),
        spacecraft_mass_kg=spacecraft_mass_kg,
    )


def search_return(window: TransferWindow) -> WindowResult:
    """Mars->Earth porkchop over the scenario's return window."""
    return search_window(
        "mars",
        "earth",
        window_span_et(window, "departure"),
        window_span_et(window, "arrival"),
        max_revs=window.max_revs,
    )


def best_transfer(result: WindowResult) -> Transfer | None:
    """The least-C3 transfer of any type found in a window."""
    if not result.optima:
        return None
    return min(result.optima.values(), key=lambda t: t.c3_m2_s2)


def _finite_or_none(value: float | None, digits: int = 1) -> float | None:
    """Rounded value, or None where it is missing or NaN (C3 beyond the vehicle's curve)."""
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def _launch_summary(period: LaunchPeriod | None) -> dict:
    from msrsim.core.time import et_to_utc_iso

    if period is None:
        return {"status": "no launch period of the asked length fits the window and DLA limit"}
    opens, closes = et_to_utc_iso([period.open_et, period.close_et])
    arrivals = et_to_utc_iso([period.daily_arrival_et.min(), period.daily_arrival_et.max()])
    return {
        "launch_period_open_utc": opens[:10],
        "launch_period_close_utc": closes[:10],
        "launch_period_days": period.days,
        "max_c3_km2_s2": round(period.max_c3_m2_s2 / 1e6, 3),
        "max_abs_dla_deg": round(math.degrees(float(np.max(np.abs(period.daily_dla_rad)))), 2),
        "arrival_utc_range": [a[:10] for a in arrivals],
        "transfer_types": sorted({int(t) for t in period.daily_transfer_type}),
        "delivered_mass_kg": _finite_or_none(period.delivered_mass_kg),
        "spacecraft_mass_kg": period.spacecraft_mass_kg,
        "mass_margin_kg": _finite_or_none(period.mass_margin_kg),
    }


def _transfer_summary(t: Transfer | None) -> dict:
    from msrsim.core.time import et_to_utc_iso

    if t is None:
        return {"status": "no ballistic transfer in the window"}
    dep, arr = et_to_utc_iso([t.departure_et, t.arrival_et])
    return {
        "transfer_type": t.transfer_type,
        "departure_utc": dep[:16],
        "arrival_utc": arr[:16],
        "tof_days": round(t.tof_s / 86400.0, 1),
        "c3_km2_s2": round(t.c3_m2_s2 / 1e6, 3),
        "v_inf_arrival_km_s": round(t.v_inf_arrival_m_s / 1e3, 3),
        "entry_speed_km_s": round(t.entry_speed_m_s / 1e3, 3),
        "on_grid_edge": t.on_grid_edge,
    }


def run_windows_leg(
    scenario: Scenario, leg: Leg, launch_period: tuple[LaunchPeriod, str] | None = None
):
    """Leg 1: the leg's outcome, the milestone it dates (the SRL's launch period opening;
    the ERO's ballistic rows are references, its dates come from its own leg) and the SRL's
    launch period that the later legs fly: the schedule's, ``(period, provenance)`` of
    :func:`msrsim.campaign.schedule.srl_launch_period` (planned here when not given).

    The SRL's arrival at Mars is dated by the EDL leg, which flies the first launch day's
    approach to its entry interface: the period's daily arrivals lie on the porkchop's
    day grid (up to a day after the flown arrival), so they date no milestone."""
    period, src = srl_launch_period(scenario) if launch_period is None else launch_period
    ero = search_launch(scenario.ero_launch, scenario.ero.launch_mass_kg)
    back = best_transfer(search_return(scenario.earth_return))
    summary = {
        "ero_ballistic_reference": _launch_summary(ero.launch_period),
        "srl": _launch_summary(period),
        "earth_return_ballistic_reference": _transfer_summary(back),
    }
    milestones = (dated("SRL launch period opens", period.open_et, src),)
    return LegOutcome(leg, MODELLED, summary), milestones, period


@dataclass(frozen=True)
class LaunchLeg:
    """Leg 1 of the coupled campaign: the day each trial's SRL leaves Earth.

    Each day of the launch period is tried in turn; a day is lost (a scrub: weather,
    range, vehicle) with ``scrub_probability``, independently, so the launch day is
    geometric. A trial whose every day is lost misses the period
    (:attr:`Failure.SRL_LAUNCH_PERIOD_MISSED`: the next opportunity, 26 months later,
    would be a new campaign plan, not modelled). A launch day gives the trial its
    transfer: its departure and its arrival at Mars (the day's least-C3 arc).
    """

    family: ClassVar[str] = "launch"
    columns: ClassVar[dict[str, str]] = {
        "srl_launch_day": "i2",
        "srl_launch_et": "f8",
        "srl_arrival_et": "f8",
    }
    daily_departure_et: np.ndarray
    daily_arrival_et: np.ndarray
    scrub_probability: float

    def fly(self, table: TrialTable) -> None:
        rows = table.flying
        u = table.random(self.family).take(rows).random(rows.size)
        days = self.daily_departure_et.size
        p = self.scrub_probability
        if p > 0.0:
            with np.errstate(divide="ignore"):
                lost = np.floor(np.log1p(-u) / math.log(p))  # P(day >= k) = p^k
            day = np.minimum(np.nan_to_num(lost, nan=days, posinf=days), days).astype(np.int64)
        else:
            day = np.zeros(rows.size, dtype=np.int64)
        flies = day < days
        safe = np.minimum(day, days - 1)
        table.add(
            rows,
            srl_launch_day=np.where(flies, day, -1).astype(np.int16),
            srl_launch_et=np.where(flies, self.daily_departure_et[safe], np.nan),
            srl_arrival_et=np.where(flies, self.daily_arrival_et[safe], np.nan),
        )
        table.end(rows, ~flies, Failure.SRL_LAUNCH_PERIOD_MISSED)


def plan_launch(scenario: Scenario, launch_period) -> LaunchLeg:
    """The coupled launch leg of ``scenario`` on its schedule's SRL launch period
    (``(period, provenance)``, :func:`msrsim.campaign.schedule.srl_launch_period`)."""
    period = launch_period[0]
    return LaunchLeg(
        np.asarray(period.daily_departure_et, np.float64),
        np.asarray(period.daily_arrival_et, np.float64),
        scenario.reliability.srl_launch_scrub_probability,
    )
