"""The campaign's constraints checked on its nominal timeline: conjunctions, seasons,
order of events, margins, lifetimes and consumables.

Each check compares a value the legs computed with a limit from the scenario and says
which way it must go; ``ok`` is the verdict. The checks are those an architect reads off a
timeline before trusting it:

* no critical event at Mars inside a solar conjunction (Sun-Earth-Mars angle below
  ``surface.conjunction_elongation_deg``: commanding and tracking are lost; DE421);
* the SRL's landing outside the season the schedule excluded for it
  (``schedule.srl_arrival_excluded_ls_deg``), the MAV's launch outside the dust-storm
  season (``helicopters.dust_season_ls_deg``, Mars24 Ls) and before its deadline;
* the ERO in its rendezvous orbit before the Orbiting Sample is released, and the capture
  before the ERO's planned departure (the margin, days);
* the ERO's propellant budgets closing with their reserves (consumables);
* the Orbiting Sample's orbital lifetime longer than the wait for capture;
* the ERO's Mars orbit insertion and the samples on Earth, as computed, in the years the
  published plan gives (the scenario's, ``scenario.published_plan``:
  :data:`msrsim.campaign.published.PUBLISHED_PLANS`; a fact the plan does not give is
  not checked).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from msrsim.campaign.published import PUBLISHED_PLANS
from msrsim.core.bodies import DAY_S
from msrsim.core.geometry import solar_elongation
from msrsim.core.time import et_to_utc_iso, solar_longitude_deg

__all__ = [
    "Check",
    "campaign_checks",
    "check_rows",
    "conjunction_checks",
    "dust_season_check",
    "margin_check",
]


@dataclass(frozen=True)
class Check:
    """One constraint: the computed value, its limit, and whether it holds."""

    name: str
    value: float | str
    limit: float | str
    unit: str
    ok: bool
    basis: str


def conjunction_checks(events: dict[str, float], min_elongation_deg: float) -> list[Check]:
    """Each Mars event ``{name: et}`` against the solar-conjunction limit (deg)."""
    names = list(events)
    et = np.array([events[n] for n in names], dtype=np.float64)
    elongation = np.degrees(solar_elongation("mars", et))
    return [
        Check(
            f"{name}: Sun-Earth-Mars angle",
            round(float(e), 2),
            min_elongation_deg,
            "deg",
            bool(e >= min_elongation_deg),
            "outside solar conjunction (DE421)",
        )
        for name, e in zip(names, elongation, strict=True)
    ]


def dust_season_check(name: str, et: float, season_ls_deg) -> Check:
    """An event outside the dust-storm season ``[start, end)`` in Ls (Mars24)."""
    ls = float(solar_longitude_deg(et)[0])
    start, end = season_ls_deg
    inside = start <= ls < end
    return Check(
        f"{name}: outside the dust-storm season",
        round(ls, 1),
        f"Ls not in [{start:g}, {end:g})",
        "deg Ls",
        not inside,
        "Mars24 solar longitude",
    )


def margin_check(name: str, first_et: float, then_et: float, basis: str) -> Check:
    """``first`` must come before ``then``: the margin in days (negative: violated)."""
    days = (then_et - first_et) / DAY_S
    return Check(name, round(days, 1), 0.0, "days", bool(days >= 0.0), basis)


def check_rows(checks: list[Check]) -> list[dict]:
    """The checks as JSON-ready rows."""
    return [asdict(c) for c in checks]


def utc_day(et: float) -> str:
    return et_to_utc_iso(et)[0][:10]


def campaign_checks(scenario, *, mission, edl, surface, ascent, rendezvous, entry) -> list[Check]:
    """The nominal timeline's checks, from the legs' hand-offs (see the module notes)."""
    capture_et = rendezvous.median_capture_et
    mars_events = {
        "ERO Mars orbit insertion": mission.phases[1].start_et,
        "SRL entry": edl.approach.entry_et,
        "MAV launch": ascent.launch_et,
        "ERO departure from its orbit": mission.plan.mars_departure_et,
    }
    if capture_et is not None:
        mars_events["capture (median)"] = capture_et
    checks = conjunction_checks(mars_events, scenario.surface.conjunction_elongation_deg)
    season = scenario.helicopters.dust_season_ls_deg
    checks += [
        dust_season_check(
            "SRL landing", edl.landing_et, scenario.schedule.srl_arrival_excluded_ls_deg
        ),
        dust_season_check("MAV launch", ascent.launch_et, season),
        margin_check(
            "MAV launch before its deadline",
            ascent.launch_et,
            surface.plan.mav.deadline_et,
            "the planned MAV launch deadline (campaign.schedule)",
        ),
        margin_check(
            "ERO in its search orbit before the OS is released",
            mission.in_orbit_et,
            ascent.release_et,
            "ERO leg (spiral down) and ascent leg",
        ),
    ]
    if capture_et is not None:
        checks.append(
            margin_check(
                "capture (median) before the ERO's planned departure",
                capture_et,
                mission.plan.mars_departure_et,
                "rendezvous leg and the ERO's planned departure (campaign.schedule)",
            )
        )
        wait_days = (capture_et - ascent.release_et) / DAY_S
        checks.append(
            Check(
                "Orbiting Sample's orbital lifetime against its wait for capture",
                round(rendezvous.lifetime_s / DAY_S / 365.25, 1),
                round(wait_days / 365.25, 3),
                "years",
                bool(rendezvous.lifetime_s / DAY_S > wait_days),
                "rendezvous leg (drag and radiation pressure)",
            )
        )
    checks += [
        Check(
            f"ERO {b.propellant} left over its reserve",
            round(b.margin_kg, 1),
            0.0,
            "kg",
            b.closes,
            "ERO leg budget",
        )
        for b in mission.budgets
    ]
    landing_et = entry.approach.entry_et + float(entry.footprint.nominal.flight.time_s[0])
    facts = {f.key: f for f in PUBLISHED_PLANS[scenario.scenario.published_plan]}
    for name, et, key in (
        ("ERO Mars orbit insertion year (computed)", mission.phases[1].start_et,
         "ero_mars_orbit_insertion"),
        ("samples on Earth year (computed)", landing_et, "samples_on_earth"),
    ):  # fmt: skip
        if key not in facts:
            continue
        fact = facts[key]
        day = utc_day(et)
        computed = int(day[:4])
        ok = fact.earliest <= day <= fact.latest
        checks.append(
            Check(name, computed, fact.published, "year", ok, f"published plan: {fact.source}")
        )
    return checks
