"""The campaign: the relay's legs in order, the scenario's milestones, and what has run.

A leg that is not modelled yet is reported as such; the campaign never fills a gap with a
typed-in result. As legs land (``msrsim.segments``), :data:`LEGS` gains their runners and
:func:`run_campaign` chains their hand-off states.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from msrsim.scenario import Scenario

NOT_MODELLED = "not modelled yet"


@dataclass(frozen=True)
class Leg:
    """One leg of the relay: what it is and which question it answers."""

    number: int
    name: str
    element: str
    answers: str
    module: str


LEGS: tuple[Leg, ...] = (
    Leg(
        1,
        "launch windows",
        "ERO (2027), SRL (2028)",
        "porkchops, launch periods, C3, DLA, arrival v-infinity",
        "segments.windows",
    ),
    Leg(
        2,
        "ERO cruise and Mars orbit",
        "Earth Return Orbiter",
        "electric cruises, orbit insertion, spirals, propellant budget",
        "segments.ero",
    ),
    Leg(
        3,
        "Mars entry, descent, landing",
        "Sample Retrieval Lander",
        "landing ellipse, loads, timeline",
        "segments.edl",
    ),
    Leg(
        4,
        "surface operations",
        "Perseverance, helicopters, STA, Orbiting Sample",
        "which tubes are loaded, when, sols used",
        "segments.surface",
    ),
    Leg(
        5,
        "Mars ascent",
        "Mars Ascent Vehicle",
        "orbit reached by the Orbiting Sample, dispersions",
        "segments.ascent",
    ),
    Leg(
        6,
        "rendezvous and capture",
        "ERO, CCRS",
        "time to capture, capture probability",
        "segments.rendezvous",
    ),
    Leg(7, "containment", "CCRS", "break-the-chain assurance", "segments.containment"),
    Leg(
        8,
        "Earth return",
        "ERO, Earth Entry System",
        "B-plane targeting, entry state, EES release, ERO divert and its impact risk",
        "segments.approach",
    ),
    Leg(
        9,
        "Earth entry and landing",
        "Earth Entry System",
        "heating, g-load, touchdown speed, footprint",
        "segments.entry",
    ),
    Leg(
        10,
        "campaign",
        "all of it",
        "timeline, P(success), tubes returned, risk drivers",
        "campaign",
    ),
)


@dataclass(frozen=True)
class Milestone:
    """A dated point of the plan, with Mars season where the date is known to the day."""

    name: str
    utc: str
    source: str
    solar_longitude_deg: float | None = None
    mars_year: int | None = None


@dataclass(frozen=True)
class LegOutcome:
    leg: Leg
    status: str
    summary: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CampaignResult:
    """What the legs give ``msrsim run``: the timeline, each leg's outcome, the constraint
    checks, and the model the campaign Monte Carlo draws from (not serialised)."""

    scenario_name: str
    milestones: tuple[Milestone, ...]
    legs: tuple[LegOutcome, ...]
    checks: tuple = ()
    plan: object = None
    """The coupled campaign's plan (:func:`msrsim.campaign.plan.plan_campaign`), which the
    Monte Carlo flies (not serialised)."""
    handoffs: dict | None = None
    """The legs' full results (``mission``, ``edl``, ``surface``, ``ascent``,
    ``rendezvous``, ``entry``) when the legs were flown in this process; ``None`` when
    they came from the cache."""
    products: dict | None = None
    """The relay's trajectories by name (:func:`msrsim.campaign.products.trajectories`),
    from :func:`msrsim.campaign.runner.campaign_legs` (flown or read from the cache)."""
    published: tuple = ()
    """The schedule beside the published plan: one dict per published fact
    (:meth:`msrsim.campaign.published.ScheduleComparison.to_dict`)."""

    def to_dict(self) -> dict:
        return {
            "scenario": self.scenario_name,
            "milestones": [m.__dict__ for m in self.milestones],
            "legs": [
                {
                    "number": o.leg.number,
                    "name": o.leg.name,
                    "element": o.leg.element,
                    "status": o.status,
                    "summary": o.summary,
                }
                for o in self.legs
            ],
            "checks": [c.__dict__ for c in self.checks],
            "published_plan": list(self.published),
        }

    @classmethod
    def from_dict(cls, data: dict, plan=None) -> CampaignResult:
        """The inverse of :meth:`to_dict` (the cache of ``msrsim run``)."""
        from msrsim.campaign.checks import Check

        by_number = {leg.number: leg for leg in LEGS}
        return cls(
            data["scenario"],
            tuple(Milestone(**m) for m in data["milestones"]),
            tuple(
                LegOutcome(by_number[o["number"]], o["status"], o["summary"]) for o in data["legs"]
            ),
            tuple(Check(**c) for c in data.get("checks", ())),
            plan,
            published=tuple(data.get("published_plan", ())),
        )


def _source(section, name: str) -> str:
    prov = section.provenance(name)
    if prov is None:
        return "scenario"
    return ("representative: " if prov.representative else "") + prov.source


def _dated(name: str, et: float, source: str) -> Milestone:
    from msrsim.core.time import et_to_utc_iso, mars_year, solar_longitude_deg

    return Milestone(
        name,
        et_to_utc_iso(et)[0][:16],
        source,
        round(float(solar_longitude_deg(et)[0]), 2),
        int(mars_year(et)[0]),
    )


def plan_milestones(scenario: Scenario) -> tuple[Milestone, ...]:
    """The scenario's own dated milestones (its launch windows), with the Mars season (Ls,
    Mars Year) at each, and the published plan's dates (undated within their year, to be
    read beside the computed ones: :mod:`msrsim.campaign.published`)."""
    from msrsim.campaign.published import PUBLISHED_PLAN
    from msrsim.core.time import utc_to_et

    dated: list[tuple[str, _dt.datetime, str]] = []
    for label, window in (
        ("ERO launch window", scenario.ero_launch),
        ("SRL launch window", scenario.srl_launch),
    ):
        dated += [
            (
                f"{label} opens",
                window.departure_earliest_utc,
                _source(window, "departure_earliest_utc"),
            ),
            (
                f"{label} closes",
                window.departure_latest_utc,
                _source(window, "departure_latest_utc"),
            ),
        ]
    et = utc_to_et([d for _, d, _ in dated])
    milestones = [_dated(name, float(e), src) for (name, _, src), e in zip(dated, et, strict=True)]
    milestones += [
        Milestone(
            f"{fact.what} (published: {fact.published})",
            (fact.latest if fact.earliest is None else fact.earliest)[:4],
            fact.source,
        )
        for fact in PUBLISHED_PLAN
        if fact.kind == "date"
    ]
    return tuple(milestones)


def run_campaign(scenario: Scenario) -> CampaignResult:
    """Plan the campaign and fly its nominal relay, leg by leg.

    The schedule (:func:`msrsim.campaign.schedule.plan_schedule`: the SRL's launch period,
    the ERO's whole mission, the returns) -> the SRL's EDL on the first launch day (landing
    date and place) -> surface operations (MAV-ready date) -> the ascent (the Orbiting
    Sample's orbit and covariance) -> rendezvous and capture, containment -> the Earth
    return on the ERO's return cruise. These are each leg's nominal case and own Monte
    Carlo, for the timeline, the constraint checks, the legs' reports and the data
    products; the campaign Monte Carlo flies the coupled plan
    (:func:`msrsim.campaign.plan.plan_campaign`) trial by trial.
    """
    from msrsim.campaign.ascent import landing_from_edl, run_ascent_leg
    from msrsim.campaign.checks import campaign_checks
    from msrsim.campaign.earth_entry import run_return_legs
    from msrsim.campaign.edl import run_edl_leg
    from msrsim.campaign.ero import return_arrival, run_ero_leg
    from msrsim.campaign.launch import run_windows_leg
    from msrsim.campaign.plan import plan_campaign
    from msrsim.campaign.published import compare
    from msrsim.campaign.rendezvous import run_rendezvous_leg
    from msrsim.campaign.schedule import plan_schedule
    from msrsim.campaign.surface import run_surface_leg

    schedule = plan_schedule(scenario)
    windows_outcome, milestones, srl_period = run_windows_leg(scenario, LEGS[0], schedule)
    outcomes = {1: windows_outcome}
    ero_outcome, ero_milestones, mission = run_ero_leg(scenario, LEGS[1], schedule)
    edl_outcome, edl_milestones, edl = run_edl_leg(scenario, srl_period, LEGS[2])
    surface_outcome, surface_milestones, surface = run_surface_leg(
        scenario, LEGS[3], landing_et=edl.landing_et
    )
    latitude, longitude = landing_from_edl(edl)
    ready = surface.timeline.mav_ready_et  # the MAV flies once ready, and not before the
    if ready is not None:  # ERO waits in its search orbit (the schedule's earliest launch)
        ready = max(ready, schedule.mav_launch_earliest_et)
    ascent_outcome, ascent_milestones, ascent = run_ascent_leg(
        scenario,
        LEGS[4],
        mav_ready_et=ready,
        landing_latitude_deg=latitude,
        landing_longitude_deg=longitude,
    )
    rendezvous_outcomes, rendezvous_milestones, rendezvous = run_rendezvous_leg(
        scenario,
        LEGS[5],
        LEGS[6],
        os_release=ascent.hand_off,
        ero_arrival_et=mission.spiral_down.end_et,
        schedule=schedule,
    )
    returned, return_milestones, entry = run_return_legs(
        scenario, return_arrival(mission), LEGS[7], LEGS[8]
    )
    for outcome in (ero_outcome, edl_outcome, surface_outcome, ascent_outcome):
        outcomes[outcome.leg.number] = outcome
    outcomes.update({o.leg.number: o for o in (*rendezvous_outcomes, *returned)})
    milestones += (
        ero_milestones
        + edl_milestones
        + surface_milestones
        + ascent_milestones
        + rendezvous_milestones
        + return_milestones
    )
    legs = tuple(outcomes.get(leg.number, LegOutcome(leg, NOT_MODELLED)) for leg in LEGS)
    milestones = tuple(sorted(plan_milestones(scenario) + milestones, key=lambda m: m.utc))
    handoffs = dict(
        mission=mission, edl=edl, surface=surface, ascent=ascent, rendezvous=rendezvous,
        entry=entry,
    )  # fmt: skip
    return CampaignResult(
        scenario.scenario.name,
        milestones,
        legs,
        tuple(campaign_checks(scenario, **handoffs)),
        plan_campaign(scenario, schedule),
        handoffs,
        published=tuple(c.to_dict() for c in compare(schedule)),
    )
