"""The published plan of the NASA/ESA campaign (architecture of July 2022), beside the
computed schedule.

Each published fact is a statement by an agency (or a news agency reporting one), with its
source and grade as in the project's reference sheet ([P] agency page or caption, [S] news
or secondary write-up of an agency statement), and the span it allows: a season or a year
for a date, a range for a duration ("two years": 1.5 to 2.5). :func:`compare` sets each
beside the date or duration the schedule computed and says by how much a computed value
falls outside the span (0 inside). The published plan is a fixed record of what was said,
not a scenario input: a "what if" scenario is compared with the same plan. Other
architectures have their own records (:data:`NASA_2025_PLAN`, :data:`TIANWEN3_PLAN`,
:data:`COMMERCIAL_RELAY_PLAN`),
chosen by ``scenario.published_plan`` (:data:`PUBLISHED_PLANS`).

Where the computed value is an input (the ERO's launch day, the SRL's launch season), the
row says so: the comparison then checks the scenario, not the model.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass

from msrsim.core.bodies import DAY_S
from msrsim.core.time import et_to_utc_iso, utc_to_et

__all__ = [
    "COMMERCIAL_RELAY_PLAN",
    "NASA_2025_PLAN",
    "PUBLISHED_PLAN",
    "PUBLISHED_PLANS",
    "TIANWEN3_PLAN",
    "PublishedFact",
    "ScheduleComparison",
    "compare",
]

YEAR_DAYS = 365.25


@dataclass(frozen=True)
class PublishedFact:
    """One published statement about the campaign's schedule.

    ``kind`` is ``"date"`` (``earliest``/``latest`` are ISO dates bounding it) or
    ``"years"`` (``earliest``/``latest`` bound a duration in years); ``computed`` names the
    schedule's value it is compared with (:func:`computed_values`).
    """

    key: str
    what: str
    published: str
    kind: str
    earliest: str | float | None
    latest: str | float | None
    computed: str
    source: str


# AFP and AP reported NASA's and ESA's briefing of 2022-07-27 on the revised architecture
# (Perseverance as the primary courier, two Sample Recovery Helicopters); PIA25892 and
# ESA's "Entry capsule towards Earth" caption (2023-04) are the agencies' own pages.
PUBLISHED_PLAN: tuple[PublishedFact, ...] = (
    PublishedFact(
        "ero_launch", "ERO launch", "fall 2027", "date", "2027-09-22", "2027-12-21",
        "ero_launch",
        "NASA release 2022-07-27 [P via S]; 'Launch is planned in 2027', PIA25892 [P]",
    ),
    PublishedFact(
        "srl_launch", "SRL launch", "summer 2028", "date", "2028-06-20", "2028-09-22",
        "srl_launch_period",
        "'take off from Earth in the summer of 2028', AFP 2022-07-27 [S]; NASA release "
        "2022-07-27 [P via S]",
    ),
    PublishedFact(
        "ero_mars_orbit_insertion", "ERO Mars orbit insertion", "2029", "date",
        "2029-01-01", "2029-12-31", "ero_mars_arrival",
        "'entering into Mars orbit in 2029', NASA/ESA PIA25892 (2023-04-06) [P]",
    ),
    PublishedFact(
        "srl_arrival", "SRL arrives at Mars", "mid-2030", "date", "2030-04-01", "2030-09-30",
        "srl_landing",
        "'reach Mars in mid-2030', AFP 2022-07-27 [S]; 'mid' read as April to September",
    ),
    PublishedFact(
        "srl_cruise", "SRL's cruise to Mars", "about two years", "years", 1.5, 2.5,
        "srl_cruise_years",
        "summer 2028 to mid-2030 (AFP 2022-07-27 [S]); 'about two' read as 1.5 to 2.5",
    ),
    PublishedFact(
        "samples_off_mars", "Samples launched off Mars (MAV)", "by 2031", "date", None,
        "2031-12-31", "mav_launch_deadline",
        "'as many as 30 samples would be blasting off Mars by 2031', AP 2022-07-27 [S]",
    ),
    PublishedFact(
        "ero_to_capture", "ERO: launch to the end of rendezvous and capture",
        "three years", "years", 2.5, 3.5, "ero_launch_to_departure_years",
        "'three years to reach Mars and perform its rendezvous and capture mission', ESA "
        "'Entry capsule towards Earth' (2023-04) [P]; read as 2.5 to 3.5, to the departure "
        "from the operational orbit",
    ),
    PublishedFact(
        "ero_return", "ERO: operational orbit to Earth", "a further two years", "years",
        1.5, 2.5, "ero_departure_to_earth_years",
        "'a further two years to fly from its operational orbit around Mars up to escape "
        "altitude and make its way back to Earth', ESA (2023-04) [P]; read as 1.5 to 2.5",
    ),
    PublishedFact(
        "samples_on_earth", "Samples on Earth", "2033", "date", "2033-01-01", "2033-12-31",
        "earth_arrival",
        "NASA release 2022-07-27 [P via S]; 'arriving on Earth by 2033', AP 2022-07-27 [S]",
    ),
)  # fmt: skip


# Tianwen-3: Sun Zezhou's 2022 update (Planetary Society, A. Jones, 2022-09-15 [S]) and
# Liu Jizhong at the Tiandu conference (2024-09-05, reported by SpaceNews and others [S]).
# "Around" a month is read as that month with one either side.
TIANWEN3_PLAN: tuple[PublishedFact, ...] = (
    PublishedFact(
        "ero_launch", "Orbiter-returner launch (Long March 5)", "late 2028", "date",
        "2028-09-01", "2028-12-31", "ero_launch",
        "'two Long March 5 launches ... late 2028', Liu Jizhong 2024-09-05 [S]",
    ),
    PublishedFact(
        "srl_launch", "Lander-ascender launch (Long March 5)", "late 2028", "date",
        "2028-09-01", "2028-12-31", "srl_launch_period",
        "'two Long March 5 launches ... late 2028', Liu Jizhong 2024-09-05 [S]",
    ),
    PublishedFact(
        "srl_landing", "Landing", "around September 2029", "date", "2029-08-01",
        "2029-10-31", "srl_landing",
        "Sun Zezhou 2022 via Planetary Society 2022-09-15 [S]; 'around' read as +/- a month",
    ),
    PublishedFact(
        "ascent", "Ascent from Mars (by the MAV deadline)", "2030", "date", "2030-01-01",
        "2030-12-31", "mav_launch_deadline",
        "ascent in 2030, Sun Zezhou 2022 via Planetary Society 2022-09-15 [S]",
    ),
    PublishedFact(
        "mars_departure", "Departure from Mars orbit", "around October 2030", "date",
        "2030-09-01", "2030-11-30", "ero_mars_departure",
        "Sun Zezhou 2022 via Planetary Society 2022-09-15 [S]; 'around' read as +/- a month",
    ),
    PublishedFact(
        "samples_on_earth", "Samples on Earth", "around July 2031", "date", "2031-06-01",
        "2031-08-31", "earth_arrival",
        "'return a sample to Earth in July 2031', Planetary Society 2022-09-15 [S]",
    ),
)  # fmt: skip

# NASA's two options of January 2025 (NASA's 2025-01-07 statement, reported by news
# agencies [S]): launches "around 2030-2031", samples on Earth 2035-2039 depending on
# funding. No other date was published.
NASA_2025_PLAN: tuple[PublishedFact, ...] = (
    PublishedFact(
        "ero_launch", "ERO launch", "around 2030-2031", "date", "2030-01-01", "2031-12-31",
        "ero_launch", "launches around 2030-2031 reported of NASA's 2025-01-07 options [S]",
    ),
    PublishedFact(
        "srl_launch", "SRL launch", "around 2030-2031", "date", "2030-01-01", "2031-12-31",
        "srl_launch_period",
        "launches around 2030-2031 reported of NASA's 2025-01-07 options [S]",
    ),
    PublishedFact(
        "samples_on_earth", "Samples on Earth", "2035-2039", "date", "2035-01-01",
        "2039-12-31", "earth_arrival",
        "samples on Earth 2035-2039 depending on funding, NASA 2025-01-07 (news reports [S])",
    ),
)  # fmt: skip

# Rocket Lab's three-launch proposal (2025): telecom orbiter first, a lander with its MAV,
# a return orbiter; "samples returned from Mars by 2031" (The Register 2025-03-12 [S],
# rocketlabusa.com/missions/mars-sample-return [P]). No launch or landing date published.
COMMERCIAL_RELAY_PLAN: tuple[PublishedFact, ...] = (
    PublishedFact(
        "samples_on_earth", "Samples on Earth", "as early as 2031", "date", "2031-01-01",
        "2031-12-31", "earth_arrival",
        "'samples returned from Mars by 2031', Rocket Lab via The Register 2025-03-12 [S]",
    ),
)  # fmt: skip

PUBLISHED_PLANS: dict[str, tuple[PublishedFact, ...]] = {
    "nasa-esa-2022": PUBLISHED_PLAN,
    "nasa-2025": NASA_2025_PLAN,
    "tianwen3": TIANWEN3_PLAN,
    "commercial-relay-2025": COMMERCIAL_RELAY_PLAN,
}
"""The published plans a scenario is compared with (``scenario.published_plan``)."""


def computed_values(schedule) -> dict[str, tuple[float, float, bool]]:
    """The schedule's values the published facts are compared with: ``(first, last,
    is_input)``, epochs (``et``) for dates, years for durations; ``first`` and ``last``
    differ where the value is a span (the SRL's launch period, its arrivals)."""
    period = schedule.srl_launch_period
    mission = schedule.ero
    year_s = YEAR_DAYS * DAY_S
    cruise = (period.daily_arrival_et - period.daily_departure_et) / year_s
    launch = mission.plan.launch_et
    return {
        "ero_launch": (launch, launch, schedule.ero_launch_period is None),
        "srl_launch_period": (period.open_et, period.close_et, False),
        "ero_mars_arrival": (schedule.ero_mars_arrival_et, schedule.ero_mars_arrival_et, False),
        "srl_landing": (schedule.srl_first_landing_et, schedule.srl_latest_landing_et, False),
        "srl_cruise_years": (float(cruise.min()), float(cruise.max()), False),
        "mav_launch_deadline": (
            schedule.mav_launch_deadline_et, schedule.mav_launch_deadline_et, False,
        ),
        "ero_launch_to_departure_years": (
            (schedule.ero_mars_departure_et - launch) / year_s,
            (schedule.ero_mars_departure_et - launch) / year_s,
            False,
        ),
        "ero_departure_to_earth_years": (
            (schedule.nominal_return.arrival_et - schedule.ero_mars_departure_et) / year_s,
            (schedule.nominal_return.arrival_et - schedule.ero_mars_departure_et) / year_s,
            False,
        ),
        "ero_mars_departure": (
            schedule.ero_mars_departure_et, schedule.ero_mars_departure_et, False,
        ),
        "earth_arrival": (
            schedule.nominal_return.arrival_et, schedule.nominal_return.arrival_et, False,
        ),
    }  # fmt: skip


@dataclass(frozen=True)
class ScheduleComparison:
    """One published fact beside the computed schedule."""

    key: str
    what: str
    published: str
    computed: str
    outside: float
    """How far the computed value lies outside the published span: days for a date, years
    for a duration; negative before (below) it, positive after (above), 0 inside."""
    unit: str
    met: bool
    computed_is_input: bool
    source: str

    def to_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        """One line: what, published, computed, and by how much a miss misses."""
        verdict = "met" if self.met else f"missed by {self.outside:+.1f} {self.unit}"
        note = " (an input)" if self.computed_is_input else ""
        return f"{self.what}: published {self.published}, computed {self.computed}{note}: {verdict}"


def _day(et: float) -> str:
    return et_to_utc_iso(et)[0][:10]


def _et(day: str) -> float:
    return float(utc_to_et(_dt.datetime.fromisoformat(day))[0])


def _outside(first: float, last: float, lo: float | None, hi: float | None) -> float:
    """How far ``[first, last]`` reaches outside ``[lo, hi]`` (the larger excursion)."""
    below = 0.0 if lo is None else min(first - lo, 0.0)
    above = 0.0 if hi is None else max(last - hi, 0.0)
    return below if -below >= above else above


def compare(schedule, plan: tuple[PublishedFact, ...] = PUBLISHED_PLAN) -> list[ScheduleComparison]:
    """Every published fact of ``plan`` (:data:`PUBLISHED_PLAN` by default; a scenario's
    is ``PUBLISHED_PLANS[scenario.scenario.published_plan]``) beside the schedule's value."""
    values = computed_values(schedule)
    rows = []
    for fact in plan:
        first, last, is_input = values[fact.computed]
        if fact.kind == "date":
            lo = None if fact.earliest is None else _et(fact.earliest)
            hi = None if fact.latest is None else _et(fact.latest) + DAY_S - 1.0
            outside = _outside(first, last, lo, hi) / DAY_S
            shown = _day(first) if first == last else f"{_day(first)} to {_day(last)}"
            unit = "days"
        else:
            outside = _outside(first, last, fact.earliest, fact.latest)
            shown = f"{first:.2f}" if first == last else f"{first:.2f} to {last:.2f}"
            shown += " years"
            unit = "years"
        rows.append(
            ScheduleComparison(
                fact.key, fact.what, fact.published, shown, round(outside, 2), unit,
                outside == 0.0, is_input, fact.source,
            )
        )  # fmt: skip
    return rows
