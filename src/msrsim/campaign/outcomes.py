"""What the relay's legs report: the legs in order, dated milestones, each leg's outcome
and the campaign's nominal result.

A leg that is not modelled is reported as such; the campaign never fills a gap with a
typed-in result.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from msrsim.campaign.checks import Check
from msrsim.core.time import et_to_utc_iso, mars_year, solar_longitude_deg

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


def source_of(section, name: str) -> str:
    """Where a scenario value comes from, as a milestone's basis."""
    prov = section.provenance(name)
    if prov is None:
        return "scenario"
    return ("representative: " if prov.representative else "") + prov.source


SCENARIO_DATES: dict[str, str] = {
    "ERO launch window opens": "ero_launch.departure_earliest_utc",
    "ERO launch window closes": "ero_launch.departure_latest_utc",
    "SRL launch window opens": "srl_launch.departure_earliest_utc",
    "SRL launch window closes": "srl_launch.departure_latest_utc",
    "ERO launch": "ero.launch_utc",
}
"""The milestones whose basis is the source of a scenario value (by its dotted key)."""


def scenario_basis(scenario, milestone: str) -> str:
    """The basis of a :data:`SCENARIO_DATES` milestone: its scenario value's source."""
    return source_of(*scenario.locate(SCENARIO_DATES[milestone]))


def as_labelled_by(result: CampaignResult, scenario) -> CampaignResult:
    """``result`` with ``scenario``'s name and the sources of the dates it takes from it.

    The legs' cache is keyed by the values that change a flight, not by the scenario's name
    or any value's source (:func:`msrsim.campaign.cache.scenario_fingerprint`): a variant
    that renames the baseline, or gives a value with the same number its own source, reads
    the baseline's legs and shows its own labels.
    """
    milestones = tuple(
        dataclasses.replace(m, source=scenario_basis(scenario, m.name))
        if m.name in SCENARIO_DATES
        else m
        for m in result.milestones
    )
    return dataclasses.replace(result, scenario_name=scenario.scenario.name, milestones=milestones)


def dated(name: str, et: float, source: str) -> Milestone:
    """A milestone at epoch ``et`` with its Mars season."""
    return Milestone(
        name,
        et_to_utc_iso(et)[0][:16],
        source,
        round(float(solar_longitude_deg(et)[0]), 2),
        int(mars_year(et)[0]),
    )
