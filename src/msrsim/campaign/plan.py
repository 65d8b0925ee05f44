"""The coupled campaign's plan: every leg planned once per scenario, in relay order.

:func:`plan_campaign` turns a scenario and its schedule
(:func:`msrsim.campaign.schedule.plan_schedule`) into the :class:`~msrsim.campaign.chain.
CoupledPlan` that :func:`msrsim.campaign.chain.fly_chunk` flies, chunk by chunk, on any
worker (the plan is plain, picklable data).
"""

from __future__ import annotations

import numpy as np

from msrsim.campaign.ascent import plan_ascent
from msrsim.campaign.chain import CoupledPlan
from msrsim.campaign.earth_entry import plan_entry
from msrsim.campaign.edl import plan_srl_edl
from msrsim.campaign.ero import plan_return
from msrsim.campaign.launch import plan_launch
from msrsim.campaign.rendezvous import plan_rendezvous
from msrsim.campaign.schedule import Schedule
from msrsim.campaign.surface import plan_surface
from msrsim.core.bodies import MARS
from msrsim.core.secular import SecularOrbit
from msrsim.scenario import Scenario

__all__ = ["PLANS", "ero_waiting_orbit", "failure_probabilities", "plan_campaign"]


JUDGED_AFTER_FLIGHT = frozenset({
    "ero_launch_success", "ero_cruise_and_insertion_success", "srl_launch_success",
    "srl_edl_success", "parachute_out_of_box_failure", "lander_failure_per_sol",
    "mav_success", "ero_failure_per_year_at_mars", "ees_release_success", "ees_entry_success",
    "sample_transfer_arm_success",
})  # fmt: skip
"""The ``[reliability]`` values read only by :func:`failure_probabilities`: they judge the
flown trials (``chain.outcome``) and no leg's flight, so the legs cache leaves them out
and a cached plan takes the scenario's (:func:`msrsim.campaign.runner.campaign_legs`)."""


def failure_probabilities(scenario: Scenario) -> dict[str, float]:
    """The ``[reliability]`` figures as chances of failure, keyed by hardware event (the
    lander's and the ERO's are rates, per sol and per year)."""
    r = scenario.reliability
    return {
        "ero_launch": 1.0 - r.ero_launch_success,
        "ero_cruise": 1.0 - r.ero_cruise_and_insertion_success,
        "srl_launch": 1.0 - r.srl_launch_success,
        "srl_edl": 1.0 - r.srl_edl_success,
        "parachute": r.parachute_out_of_box_failure,
        "lander": r.lander_failure_per_sol,
        "mav": 1.0 - r.mav_success,
        "ero_at_mars": r.ero_failure_per_year_at_mars,
        "ees_release": 1.0 - r.ees_release_success,
        "ees_entry": 1.0 - r.ees_entry_success,
        "transfer_arm": 1.0 - r.sample_transfer_arm_success,
    }


def ero_waiting_orbit(schedule: Schedule) -> SecularOrbit:
    """The ERO's orbit from the end of its spiral down, flown on J2's secular rates (the
    spiral's states are in the Mars equatorial frame of its start); a chemical ERO's
    circular waiting orbit from the end of its lowering (its phase there is not modelled:
    at its ascending node)."""
    from msrsim.segments.ero_chemical import ChemicalEroMission
    from msrsim.segments.spiral import equatorial_frame, periapsis_state

    mission = schedule.ero
    if isinstance(mission, ChemicalEroMission):  # circular, at its node, from periapsis
        plan = mission.plan
        radius = MARS.equatorial_radius.value + plan.waiting_altitude_m
        r, v = periapsis_state(radius, radius, plan.inclination_rad, plan.raan_rad, 0.0)
        frame = equatorial_frame(plan.mars_arrival_et)
        return SecularOrbit.from_state(r @ frame, v @ frame, mission.in_orbit_et, frame)
    spiral = mission.spiral_down
    frame = equatorial_frame(spiral.start_et)
    return SecularOrbit.from_state(
        np.asarray(spiral.final_r_m) @ frame,
        np.asarray(spiral.final_v_m_s) @ frame,
        spiral.end_et,
        frame,
    )


def _plan_ascent(scenario: Scenario, schedule: Schedule):
    return plan_ascent(scenario, schedule, ero_waiting_orbit(schedule))


def _plan_rendezvous(scenario: Scenario, schedule: Schedule, returning):
    return plan_rendezvous(scenario, ero_waiting_orbit(schedule), returning.capture_deadline_et())


PLANS = {
    "plan_launch": plan_launch, "plan_srl_edl": plan_srl_edl, "plan_surface": plan_surface,
    "plan_ascent": _plan_ascent, "plan_return": plan_return,
    "plan_rendezvous": _plan_rendezvous, "plan_entry": plan_entry,
}  # fmt: skip
"""Each leg's plan, ``plan(scenario, *upstream)``, by its cache entry's name, taking the
entries :data:`msrsim.campaign.legcache.LEG_INPUTS` declares upstream of it: the schedule
(the launch and EDL plans its launch period alone), and the rendezvous plan the return
plan's capture deadline."""
_RELAY = ("plan_launch", "plan_srl_edl", "plan_surface", "plan_ascent", "plan_rendezvous",
          "plan_return", "plan_entry")  # fmt: skip


def plan_campaign(scenario: Scenario, schedule: Schedule, planned=None) -> CoupledPlan:
    """Every leg of ``scenario`` planned on ``schedule``, in relay order; ``planned``, the
    legs' plans by entry name (:data:`PLANS`) where they are already made (read from their
    cache entries by :func:`msrsim.campaign.nominal.nominal_legs`)."""
    from msrsim.campaign.legcache import LEG_INPUTS
    from msrsim.samples.catalog import load_catalog

    period = (schedule.srl_launch_period, schedule.provenance["srl_launch_period"])
    done = {"schedule": schedule, "launch_period": period, **(planned or {})}
    for name, plan in PLANS.items():
        if name not in done:
            done[name] = plan(scenario, *(done[u] for u in LEG_INPUTS[name].upstream))
    return CoupledPlan(
        seed=scenario.scenario.seed,
        legs=tuple(done[name] for name in _RELAY),
        failure_probability=failure_probabilities(scenario),
        ero_mars_arrival_et=schedule.ero_mars_arrival_et,
        tube_names=tuple(t.name for t in load_catalog()),
        priority_tubes=tuple(scenario.orbiting_sample.priority_tubes),
    )
