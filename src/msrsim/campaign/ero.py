"""Leg 2: the Earth Return Orbiter's mission from launch to Earth, as the schedule flew it.

The ERO's dates are planned (:func:`msrsim.campaign.schedule.plan_schedule`: its Mars
arrival from the earliest cruise its propellant allows, its departure from the MAV's
deadline, its Earth arrival from the return opportunity), and its whole mission is flown
there from ``[ero]``, ``[ero.electric_propulsion]``, the launcher of ``[ero_launch]`` and
the Orbiting Sample's plane from ``[mav]``. This leg reports that mission; its return
cruise gives the Earth arrival that the approach and entry legs target
(:func:`return_arrival`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from msrsim.campaign.chain import Failure, TrialTable
from msrsim.campaign.outcomes import LegOutcome, dated, scenario_basis
from msrsim.campaign.schedule import (
    Schedule,
    electric_propulsion,
    plan_schedule,
    return_arrival,
)
from msrsim.core.bodies import DAY_S
from msrsim.core.time import et_to_utc_iso
from msrsim.scenario import Scenario
from msrsim.segments.ero import EroMission, EroPlan
from msrsim.segments.ero_chemical import ChemicalEroMission

__all__ = [
    "electric_propulsion",
    "ero_plan",
    "mass_warnings",
    "return_arrival",
    "run_ero_leg",
    "summary",
]


def ero_plan(scenario: Scenario) -> EroPlan:
    """The scenario's ERO mission in SI with its planned dates (the schedule's). The ERO
    spirals down to its search orbit, the Orbiting Sample's target altitude plus
    ``rendezvous.search_orbit_altitude_offset_km``, in the OS's plane
    (``mav.target_orbit_inclination_deg``, node ``ero.orbit_raan_deg``)."""
    return plan_schedule(scenario).ero.plan


def _utc(et: float) -> str:
    return et_to_utc_iso(et)[0][:16]


def _cruise_summary(cruise) -> dict:
    t = cruise.transfer
    km_s = lambda v: round(float(np.linalg.norm(v)) / 1e3, 3)  # noqa: E731
    return {
        "segments": int(t.throttle.size),
        "converged": t.converged,
        "solve_s": round(cruise.solve_s, 1),
        "departure_v_infinity_km_s": km_s(t.departure_v_infinity_m_s),
        "arrival_v_infinity_km_s": km_s(t.arrival_v_infinity_m_s),
        "electric_delta_v_m_s": round(t.delta_v_m_s, 1),
        "xenon_kg": round(t.propellant_kg, 1),
        "match_point_mismatch_m": round(t.mismatch_position_m, 2),
        "impulsive_check_miss_km": round(cruise.impulsive_check.position_error_m / 1e3, 3),
        "continuous_check_miss_km": round(cruise.continuous_check.position_error_m / 1e3, 0),
        "continuous_check_miss_m_s": round(cruise.continuous_check.velocity_error_m_s, 1),
        "ballistic_c3_km2_s2": round(cruise.ballistic.c3_m2_s2 / 1e6, 2),
        "ballistic_arrival_v_infinity_km_s": round(cruise.ballistic.v_inf_arrival_m_s / 1e3, 3),
    }


def summary(mission: EroMission | ChemicalEroMission) -> dict:
    """A JSON-ready digest: phases, budget, the cruises and the spirals against Edelbaum
    (a chemical ERO's: :func:`msrsim.campaign.ero_chemical.chemical_summary`)."""
    if isinstance(mission, ChemicalEroMission):
        from msrsim.campaign.ero_chemical import chemical_summary

        return chemical_summary(mission)
    ins, down, up = mission.insertion, mission.spiral_down, mission.spiral_up
    return {
        "phases": {
            p.name: {
                "start_utc": _utc(p.start_et),
                "end_utc": _utc(p.end_et),
                "days": round(p.days, 1 if p.days > 1 else 4),
                "propellant": p.propellant,
                "propellant_kg": round(p.propellant_kg, 1),
                "delta_v_m_s": round(p.delta_v_m_s, 1),
                "mass_end_kg": round(p.mass_end_kg, 1),
            }
            for p in mission.phases
        },
        "budget": {
            "launch_mass_kg": mission.plan.launch_mass_kg,
            "dry_mass_kg": round(mission.dry_mass_kg, 1),
            "captured_mass_kg": mission.plan.captured_mass_kg,
            "mass_at_earth_kg": round(mission.phases[-1].mass_end_kg, 1),
            **{
                f"{b.propellant}_{key}_kg": round(value, 1)
                for b in mission.budgets
                for key, value in (
                    ("load", b.load_kg),
                    ("used", b.used_kg),
                    ("reserve", b.reserve_kg),
                    ("margin", b.margin_kg),
                )
            },
            "feasible": mission.feasible,
        },
        "outbound_cruise": _cruise_summary(mission.outbound),
        "mars_orbit_insertion": {
            "v_infinity_km_s": round(ins.v_infinity_m_s / 1e3, 3),
            "impulsive_delta_v_m_s": round(ins.impulsive_delta_v_m_s, 1),
            "finite_burn_delta_v_m_s": round(ins.finite_delta_v_m_s, 1),
            "gravity_loss_m_s": round(ins.gravity_loss_m_s, 1),
            "burn_min": round(ins.burn_s / 60.0, 1),
            "bipropellant_kg": round(ins.propellant_kg, 1),
        },
        "spirals": {
            "down_days": round(down.duration_s / DAY_S, 1),
            "down_delta_v_m_s": round(down.delta_v_m_s, 1),
            "down_edelbaum_circular_m_s": round(mission.edelbaum_down_m_s, 1),
            "down_shadow_days": round(down.shadow_s / DAY_S, 1),
            "up_days": round(up.duration_s / DAY_S, 1),
            "up_delta_v_m_s": round(up.delta_v_m_s, 1),
            "up_edelbaum_to_escape_m_s": round(mission.edelbaum_up_m_s, 1),
            "up_shadow_days": round(up.shadow_s / DAY_S, 1),
            "operations_at_mars_days": round(mission.operations_days, 1),
        },
        "return_cruise": _cruise_summary(mission.inbound),
    }


def mass_warnings(scenario: Scenario, mission: EroMission) -> list[str]:
    """What the user should know of the ERO's masses: its dry mass is the launch mass less
    both loads (:attr:`msrsim.segments.ero.EroMission.dry_mass_kg`), so a load changed by
    the user while the launch mass is not changes the dry mass -- the spacecraft -- with
    it (less xenon, more structure). Empty when no load was changed that way."""
    ero = scenario.ero
    loads = [
        f"ero.{name}"
        for name in ("xenon_load_kg", "bipropellant_load_kg")
        if (given := ero.provenance(name)) is not None and given.user
    ]
    launch = ero.provenance("launch_mass_kg")
    if not loads or (launch is not None and launch.user):
        return []
    return [
        f"{' and '.join(loads)} changed with ero.launch_mass_kg kept at "
        f"{ero.launch_mass_kg:,.0f} kg: the dry mass, the launch mass less the loads, is "
        f"now {mission.dry_mass_kg:,.0f} kg; change ero.launch_mass_kg by as much as the "
        "loads to keep the spacecraft"
    ]


def run_ero_leg(scenario: Scenario, leg, schedule: Schedule | None = None):
    """Leg 2 of ``msrsim run``: its outcome, the milestones it dates, the mission (the
    schedule's, planned here when not given)."""

    schedule = plan_schedule(scenario) if schedule is None else schedule
    mission = schedule.ero
    src = "computed: ERO leg"
    if isinstance(mission, ChemicalEroMission):
        return _chemical_leg(scenario, leg, schedule)
    down, up = mission.spiral_down, mission.spiral_up
    prov = schedule.provenance
    milestones = (
        dated("ERO launch", mission.plan.launch_et, scenario_basis(scenario, "ERO launch")),
        dated("ERO Mars orbit insertion", mission.phases[1].start_et, prov["ero_mars_arrival"]),
        dated("ERO in the rendezvous orbit", down.end_et, src),
        dated("ERO leaves the rendezvous orbit", up.start_et, prov["ero_mars_departure"]),
        dated("ERO escapes Mars", up.end_et, src),
        dated("ERO arrives at Earth", mission.plan.earth_arrival_et, prov["earth_arrival"]),
    )
    status = "modelled (electric cruises, chemical insertion, spirals)"
    if not mission.feasible:
        status += "; budget does not close"
    return LegOutcome(leg, status, summary(mission)), milestones, mission


def _chemical_leg(scenario: Scenario, leg, schedule: Schedule):
    """:func:`run_ero_leg` for a chemical ERO: its launch is computed (the schedule's
    launch period), its arcs are ballistic."""
    mission, prov = schedule.ero, schedule.provenance
    plan = mission.plan
    milestones = (
        dated("ERO launch", plan.launch_et, prov["ero_launch"]),
        dated("ERO Mars orbit insertion", mission.phases[1].start_et, prov["ero_mars_arrival"]),
        dated("ERO in the rendezvous orbit", mission.in_orbit_et, prov["ero_in_search_orbit"]),
        dated("ERO leaves the rendezvous orbit", mission.phases[4].start_et,
              prov["ero_mars_departure"]),
        dated("ERO arrives at Earth", plan.earth_arrival_et, prov["earth_arrival"]),
    )  # fmt: skip
    status = "modelled (chemical: ballistic arcs, insertion, lowering, trans-Earth injection)"
    if not mission.feasible:
        status += "; budget does not close"
    return LegOutcome(leg, status, summary(mission)), milestones, mission


@dataclass(frozen=True)
class ReturnLeg:
    """Leg 8 of the coupled campaign: the ERO leaves Mars on the return it can still make.

    After its capture the ERO needs ``containment.operations_days`` (sealing, sterilising,
    transfer to the Earth Entry System) before it can leave. A trial ready by the planned
    departure flies the planned return cruise; one ready later waits for the next return
    opportunity when the ERO can stay that long (``reliability.ero_extension_days``) and
    is ready by then, and loses its samples otherwise (:attr:`Failure.MISSED_RETURN`).
    No random draw: the dates follow from the capture.
    """

    family: ClassVar[str] = "earth_return"
    columns: ClassVar[dict[str, str]] = {
        "ero_departure_et": "f8",
        "earth_arrival_et": "f8",
        "late_return": "?",
    }
    departure_et: float
    delayed_departure_et: float
    arrival_et: float
    delayed_arrival_et: float
    can_wait: bool
    operations_s: float

    def capture_deadline_et(self) -> float:
        """The last capture that still makes a return."""
        last = self.delayed_departure_et if self.can_wait else self.departure_et
        return last - self.operations_s

    def fly(self, table: TrialTable) -> None:
        rows = table.flying
        ready = table.columns["capture_et"][rows] + self.operations_s
        late = ready > self.departure_et
        makes_it = ~late | (self.can_wait & (ready <= self.delayed_departure_et))
        table.add(
            rows,
            ero_departure_et=np.where(late, self.delayed_departure_et, self.departure_et),
            earth_arrival_et=np.where(late, self.delayed_arrival_et, self.arrival_et),
            late_return=late & makes_it,
        )
        table.end(rows, ~makes_it, Failure.MISSED_RETURN)


def plan_return(scenario: Scenario, schedule) -> ReturnLeg:
    """The coupled return leg on the schedule's planned and delayed returns."""
    departure = schedule.ero_mars_departure_et
    delayed = schedule.delayed_departure_et
    if not math.isfinite(delayed):
        delayed = departure + schedule.delay_s
    return ReturnLeg(
        departure,
        delayed,
        schedule.nominal_return.arrival_et,
        schedule.delayed_return.arrival_et,
        schedule.can_wait,
        scenario.containment.operations_days * DAY_S,
    )
