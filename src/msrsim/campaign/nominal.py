"""The campaign's nominal relay: the schedule planned, each leg's nominal case and own
Monte Carlo flown in relay order, for the timeline, the constraint checks, the legs'
reports and the data products (the coupled trials fly :mod:`msrsim.campaign.plan`)."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools

from msrsim.campaign.ascent import landing_from_edl, run_ascent_leg
from msrsim.campaign.checks import campaign_checks
from msrsim.campaign.earth_entry import run_return_legs
from msrsim.campaign.edl import run_edl_leg
from msrsim.campaign.ero import return_arrival, run_ero_leg
from msrsim.campaign.launch import run_windows_leg
from msrsim.campaign.legcache import LEG_INPUTS, cached_leg, leg_keys
from msrsim.campaign.outcomes import (
    LEGS,
    NOT_MODELLED,
    SCENARIO_DATES,
    CampaignResult,
    LegOutcome,
    Milestone,
    as_labelled_by,
    dated,
    scenario_basis,
)
from msrsim.campaign.plan import PLANS, plan_campaign
from msrsim.campaign.prefetch import start as start_prefetch
from msrsim.campaign.published import PUBLISHED_PLANS, compare
from msrsim.campaign.rendezvous import run_rendezvous_leg
from msrsim.campaign.schedule import plan_schedule, srl_launch_period
from msrsim.campaign.surface import run_surface_leg
from msrsim.core.time import utc_to_et
from msrsim.scenario import Scenario

__all__ = [
    "FLIGHTS",
    "fill_entry",
    "fly_nominal",
    "handoffs_of",
    "nominal_legs",
    "plan_milestones",
]


def plan_milestones(scenario: Scenario) -> tuple[Milestone, ...]:
    """The scenario's own dated milestones (its launch windows), with the Mars season (Ls,
    Mars Year) at each, and the published plan's dates (undated within their year, to be
    read beside the computed ones: :mod:`msrsim.campaign.published`)."""

    windows: list[tuple[str, _dt.datetime, str]] = [
        (name, getattr(*scenario.locate(SCENARIO_DATES[name])), scenario_basis(scenario, name))
        for name in (
            "ERO launch window opens",
            "ERO launch window closes",
            "SRL launch window opens",
            "SRL launch window closes",
        )
    ]
    et = utc_to_et([d for _, d, _ in windows])
    milestones = [dated(name, float(e), src) for (name, _, src), e in zip(windows, et, strict=True)]
    milestones += [
        Milestone(
            f"{fact.what} (published: {fact.published})",
            (fact.latest if fact.earliest is None else fact.earliest)[:4],
            fact.source,
        )
        for fact in PUBLISHED_PLANS[scenario.scenario.published_plan]
        if fact.kind == "date"
    ]
    return tuple(milestones)


def _windows(scenario: Scenario, launch_period):
    return run_windows_leg(scenario, LEGS[0], launch_period)


def _ero(scenario: Scenario, schedule):
    return run_ero_leg(scenario, LEGS[1], schedule)


def _edl(scenario: Scenario, windows):
    return run_edl_leg(scenario, windows[2], LEGS[2])


def _surface(scenario: Scenario, schedule, edl):
    del schedule  # read inside run_surface_leg (its provenance), through plan_schedule
    return run_surface_leg(scenario, LEGS[3], landing_et=edl[2].landing_et)


def _ascent(scenario: Scenario, schedule, edl, surface):
    latitude, longitude = landing_from_edl(edl[2])
    ready = surface[2].timeline.mav_ready_et  # the MAV flies once ready, and not before the
    if ready is not None:  # ERO waits in its search orbit (the schedule's earliest launch)
        ready = max(ready, schedule.mav_launch_earliest_et)
    return run_ascent_leg(
        scenario,
        LEGS[4],
        mav_ready_et=ready,
        landing_latitude_deg=latitude,
        landing_longitude_deg=longitude,
    )


def _rendezvous(scenario: Scenario, schedule, ero, ascent):
    return run_rendezvous_leg(
        scenario,
        LEGS[5],
        LEGS[6],
        os_release=ascent[2].hand_off,
        ero_arrival_et=ero[2].in_orbit_et,
        schedule=schedule,
    )


def _return(scenario: Scenario, ero):
    return run_return_legs(scenario, return_arrival(ero[2]), LEGS[7], LEGS[8])


FLIGHTS = {
    "windows": _windows, "ero": _ero, "edl": _edl, "surface": _surface, "ascent": _ascent,
    "rendezvous": _rendezvous, "return": _return,
}  # fmt: skip
"""Each leg's flight, ``fly(scenario, *upstream) -> (outcome(s), milestones, result)``,
taking the results of the entries :data:`msrsim.campaign.legcache.LEG_INPUTS` declares
upstream of it, in that order (and nothing else from the relay)."""


def _is_flight(value) -> bool:
    return isinstance(value, tuple) and len(value) == 3


def _is_plan(value) -> bool:  # a CoupledLeg
    return callable(getattr(value, "fly", None)) and hasattr(value, "columns")


def _is_period(value) -> bool:  # (LaunchPeriod, provenance)
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str)


def _entry(scenario: Scenario, name: str, key: str, upstream: list, refresh: bool):
    """The cache entry ``name`` (key ``key``) of ``scenario``: read, or made from the
    results of its ``upstream`` entries (in :data:`LEG_INPUTS`'s order) and stored."""
    if name == "schedule":
        return plan_schedule(scenario, use_cache=not refresh)
    if name == "launch_period":
        compute, valid = functools.partial(srl_launch_period, scenario), _is_period
    else:
        compute = functools.partial((FLIGHTS | PLANS)[name], scenario, *upstream)
        valid = _is_flight if name in FLIGHTS else _is_plan
    return cached_leg(name, key, compute, valid, refresh=refresh)


def fill_entry(scenario: Scenario, name: str, keys: dict, done: dict, *, refresh=False):
    """The entry ``name`` from ``done`` (entries by name), or read or made (with the
    entries upstream of it that ``done`` lacks) and added to it; ``keys``:
    :func:`msrsim.campaign.legcache.leg_keys`."""
    if name not in done:
        upstream = [fill_entry(scenario, u, keys, done, refresh=refresh)
                    for u in LEG_INPUTS[name].upstream]  # fmt: skip
        done[name] = _entry(scenario, name, keys[name], upstream, refresh)
    return done[name]


STEPS = {
    "schedule": "the schedule: SRL launch period, ERO mission, returns",
    "windows": "launch windows", "ero": "the ERO's mission",
    "edl": "SRL entry, descent and landing", "surface": "surface operations",
    "ascent": "Mars ascent",
    "rendezvous": "rendezvous, capture and containment", "return": "Earth return and entry",
    "plan_launch": "the coupled plan: launches", "plan_srl_edl": "the coupled plan: SRL EDL",
    "plan_surface": "the coupled plan: surface", "plan_ascent": "the coupled plan: ascent",
    "plan_rendezvous": "the coupled plan: rendezvous", "plan_return": "the coupled plan: return",
    "plan_entry": "the coupled plan: Earth entry",
}  # fmt: skip
"""What :func:`nominal_legs` reads or flies, by cache entry, as its ``progress`` names it."""


def nominal_legs(
    scenario: Scenario,
    *,
    use_cache: bool = True,
    upto: str | None = None,
    progress=None,
    flights_done=None,
    prefetch: bool = False,
) -> dict:
    """The schedule, every leg's ``(outcome(s), milestones, result)`` and every leg's
    coupled plan (:data:`msrsim.campaign.plan.PLANS`) by entry name, each read from its
    cache entry (:mod:`msrsim.campaign.legcache`) or flown and stored: an edit re-flies
    only the legs whose declared inputs it changes and those downstream.
    ``use_cache=False`` flies them all (and stores them); ``upto="edl"`` only that entry
    and those upstream of it (what a leg command shows). ``progress(what, done, total)``,
    if given, is told as each entry begins (:data:`STEPS`) and when all are done.
    ``flights_done(legs)``, if given, is called once every leg of the relay
    (:data:`FLIGHTS`) is in, before the coupled plans are made, with the entries so far.
    ``prefetch=True`` makes the entries off the relay's critical path in a second process
    where that pays (:mod:`msrsim.campaign.prefetch`): the same results, sooner."""
    keys = leg_keys(scenario, upto)
    entries = [name for name in FLIGHTS | PLANS if name in keys]
    total = len(entries) + 1
    tell = progress or (lambda _what, _done, _total: None)
    tell(STEPS["schedule"], 0, total)
    done: dict = {}
    helper = start_prefetch(scenario, keys) if prefetch and use_cache else None
    try:
        for name in ("launch_period", "schedule"):
            if name in keys:
                fill_entry(scenario, name, keys, done, refresh=not use_cache)
        for step, name in enumerate(entries, start=1):
            if flights_done is not None and name == next(iter(PLANS)):
                flights_done(dict(done))  # the entries are in relay order: flights, then plans
            tell(STEPS[name], step, total)
            fill_entry(scenario, name, keys, done, refresh=not use_cache)
    finally:
        if helper is not None:
            helper.stop()
    tell("all flown", total, total)
    return done


def handoffs_of(legs: dict) -> dict:
    """The legs' full results as :class:`~msrsim.campaign.outcomes.CampaignResult` keeps
    them (``handoffs``), from :func:`nominal_legs`."""
    return dict(
        mission=legs["ero"][2], edl=legs["edl"][2], surface=legs["surface"][2],
        ascent=legs["ascent"][2], rendezvous=legs["rendezvous"][2], entry=legs["return"][2],
    )  # fmt: skip


def fly_nominal(
    scenario: Scenario, *, use_cache: bool = True, progress=None, flown=None, prefetch=False
) -> CampaignResult:
    """Plan the campaign and fly its nominal relay, leg by leg.

    The schedule (:func:`msrsim.campaign.schedule.plan_schedule`: the SRL's launch period,
    the ERO's whole mission, the returns) -> the SRL's EDL on the first launch day (landing
    date and place) -> surface operations (MAV-ready date) -> the ascent (the Orbiting
    Sample's orbit and covariance) -> rendezvous and capture, containment -> the Earth
    return on the ERO's return cruise. These are each leg's nominal case and own Monte
    Carlo, for the timeline, the constraint checks, the legs' reports and the data
    products; each read from its own cache entry when its inputs are unchanged
    (:func:`nominal_legs`). The campaign Monte Carlo flies the coupled plan
    (:func:`msrsim.campaign.plan.plan_campaign`) trial by trial. ``progress``: as
    :func:`nominal_legs`. ``flown(result)``, if given, is called with the result (its
    ``plan`` still None) as soon as the relay's legs are flown, before the coupled plans
    are made: the timeline and the checks can be shown while the plans are made.
    ``prefetch``: as :func:`nominal_legs`.
    """
    relays = []

    def flights_done(done: dict) -> None:
        relays.append(_relay(scenario, done))
        if flown is not None:
            flown(relays[0])

    legs = nominal_legs(
        scenario,
        use_cache=use_cache,
        progress=progress,
        flights_done=flights_done,
        prefetch=prefetch,
    )
    relay = relays[0] if relays else _relay(scenario, legs)
    plan = plan_campaign(scenario, legs["schedule"], {name: legs[name] for name in PLANS})
    return dataclasses.replace(relay, plan=plan)


def _relay(scenario: Scenario, legs: dict) -> CampaignResult:
    """The nominal relay's result from :func:`nominal_legs`'s flights (its plan None)."""
    schedule = legs["schedule"]
    outcomes, milestones = {}, ()
    for name in FLIGHTS:
        leg_outcomes, leg_milestones, _ = legs[name]
        if isinstance(leg_outcomes, LegOutcome):
            leg_outcomes = (leg_outcomes,)
        outcomes.update({o.leg.number: o for o in leg_outcomes})
        milestones += tuple(leg_milestones)
    legs_flown = tuple(outcomes.get(leg.number, LegOutcome(leg, NOT_MODELLED)) for leg in LEGS)
    milestones = tuple(sorted(plan_milestones(scenario) + milestones, key=lambda m: m.utc))
    handoffs = handoffs_of(legs)
    result = CampaignResult(
        scenario.scenario.name,
        milestones,
        legs_flown,
        tuple(campaign_checks(scenario, **handoffs)),
        None,
        handoffs,
        published=tuple(
            c.to_dict()
            for c in compare(schedule, PUBLISHED_PLANS[scenario.scenario.published_plan])
        ),
    )
    return as_labelled_by(result, scenario)  # the sources of a leg flown for a variant
