"""The campaign's nominal relay: the schedule planned, each leg's nominal case and own
Monte Carlo flown in relay order, for the timeline, the constraint checks, the legs'
reports and the data products (the coupled trials fly :mod:`msrsim.campaign.plan`)."""

from __future__ import annotations

import datetime as _dt

from msrsim.campaign.ascent import landing_from_edl, run_ascent_leg
from msrsim.campaign.checks import campaign_checks
from msrsim.campaign.earth_entry import run_return_legs
from msrsim.campaign.edl import run_edl_leg
from msrsim.campaign.ero import return_arrival, run_ero_leg
from msrsim.campaign.launch import run_windows_leg
from msrsim.campaign.outcomes import (
    LEGS,
    NOT_MODELLED,
    SCENARIO_DATES,
    CampaignResult,
    LegOutcome,
    Milestone,
    dated,
    scenario_basis,
)
from msrsim.campaign.plan import plan_campaign
from msrsim.campaign.published import PUBLISHED_PLANS, compare
from msrsim.campaign.rendezvous import run_rendezvous_leg
from msrsim.campaign.schedule import plan_schedule
from msrsim.campaign.surface import run_surface_leg
from msrsim.core.time import utc_to_et
from msrsim.scenario import Scenario

__all__ = ["fly_nominal", "plan_milestones"]


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


def fly_nominal(scenario: Scenario) -> CampaignResult:
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
        ero_arrival_et=mission.in_orbit_et,
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
        published=tuple(
            c.to_dict()
            for c in compare(schedule, PUBLISHED_PLANS[scenario.scenario.published_plan])
        ),
    )
