"""The campaign schedule with a chemical Earth Return Orbiter (``ero.cruise_propulsion =
"chemical"``), its leg digest and its waiting orbit.

The rules (docs/models.md, "The chemical ERO"), in place of the electric ERO's rules 2 to 6
of :mod:`msrsim.campaign.schedule` (rule 1, the SRL's launch period, is the same):

C1. **The ERO's launch period**, from the porkchop of ``ero_launch``: the run of
    ``launch_period_days`` days whose largest arrival excess speed is least (each day its
    transfer of least arrival excess speed; :func:`msrsim.segments.windows.launch_period`
    ranking by ``v_inf^2`` in place of C3): the insertion's propellant is what a chemical
    orbiter lacks. Among ballistic transfers whose C3 the launcher gives the ERO's launch
    mass, whose ``|DLA|`` is within the limit, whose arrival excess speed is at most
    ``ero.arrival_v_infinity_max_km_s`` and whose arrival is outside solar conjunction.
    The planned mission is the period's envelope: launched on its first day, at Mars on
    its latest arrival (every launch day is there by then), inserting at its largest
    arrival excess speed (the day that needs the most propellant).
C2. **Insertion and lowering** into the circular waiting orbit (the Orbiting Sample's
    altitude plus ``rendezvous.search_orbit_altitude_offset_km``, in its plane):
    :func:`msrsim.segments.ero_chemical.fly_chemical_ero`.
C3. **The earliest departure**: as the electric ERO's rule 3 (the MAV allowed
    ``schedule.min_surface_sols`` after the SRL's latest landing and
    ``schedule.ero_search_orbit_lead_days`` after the ERO is in its orbit, in its launch
    season, then ``schedule.capture_and_containment_days``).
C4. **The return**: of the Mars-Earth opportunities in turn, the first whose least-C3
    ballistic transfer departing on or after the earliest departure (entry speed at most
    ``ero.return_entry_speed_max_km_s``, flight at most ``schedule.max_return_cruise_days``)
    the propellant covers with its reserve; the ERO leaves on that transfer's day, and the
    MAV's deadline is that departure less the capture allowance, brought back into its
    launch season (the electric rule 5's :func:`msrsim.campaign.schedule._mav_window`).
C5. **The delayed return**: the least-C3 transfer of the next opportunity (same limits),
    with whether the propellant covers it (``Schedule.delayed_return_closes``).

The ERO's launch is computed (C1), not typed: ``ero.launch_utc`` is not read.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from msrsim.campaign.earth_entry import ReturnArrival, ballistic_return
from msrsim.campaign.schedule import (
    MARS_EARTH_MAX_REVS,
    RETURN_OPPORTUNITIES_TRIED,
    Schedule,
    _Clock,
    _day,
    _earliest_departure,
    _Inputs,
    _mav_window,
    _outside_conjunction,
    _srl_launch_period_of,
    launch_vehicle,
    window_span_et,
)
from msrsim.core.bodies import DAY_S
from msrsim.segments.cruise import departure_v_infinity_limit
from msrsim.segments.ero_chemical import (
    ChemicalEroMission,
    ChemicalEroPlan,
    arrive,
    fly_chemical_ero,
)
from msrsim.segments.windows import (
    LaunchPeriod,
    OpportunityError,
    Transfer,
    daily_grid,
    launch_period,
    least_c3_transfer,
    opportunity,
    porkchop,
    transfer_at,
)

__all__ = ["chemical_summary", "plan_chemical_schedule"]


def _ero_launch_period(inputs: _Inputs) -> tuple[LaunchPeriod, Transfer, str]:
    """Rule C1: the ERO's launch period and its envelope transfer (launched on the first
    day, at Mars by the latest arrival, at the period's largest arrival excess speed)."""
    window, ero = inputs.ero_launch, inputs.ero
    vehicle = launch_vehicle(window)
    v_launch = departure_v_infinity_limit(vehicle, ero.launch_mass_kg)
    chop = porkchop(
        "earth",
        "mars",
        daily_grid(*window_span_et(window, "departure")),
        daily_grid(*window_span_et(window, "arrival")),
        max_revs=window.max_revs,
    )
    v_max = ero.arrival_v_infinity_max_km_s * 1e3
    visible = _outside_conjunction(chop.arrival_et, inputs.conjunction_elongation_deg)
    usable = (
        (chop.c3_m2_s2 <= v_launch**2) & (chop.v_inf_arrival_m_s <= v_max) & visible[None, :, None]
    )
    # launch_period's "least C3" made the least arrival excess speed (squared): the
    # insertion's propellant, not the launcher's margin, is what a chemical orbiter lacks
    arrival = dataclasses.replace(
        chop, c3_m2_s2=np.where(usable, np.square(chop.v_inf_arrival_m_s), np.nan)
    )
    period = launch_period(
        arrival, window.launch_period_days, dla_limit_rad=math.radians(window.dla_limit_deg)
    )
    constraints = (
        f"C3 <= {v_launch**2 / 1e6:.1f} km2/s2 (the launcher for {ero.launch_mass_kg:g} kg), "
        f"|DLA| <= {window.dla_limit_deg:g} deg, arrival v_inf <= "
        f"ero.arrival_v_infinity_max_km_s = {ero.arrival_v_infinity_max_km_s:g} and outside "
        "solar conjunction"
    )
    if period is None:
        raise ValueError(
            f"ero_launch: no {window.launch_period_days}-day launch period of the chemical ERO "
            f"departing {window.departure_earliest_utc.date()} to "
            f"{window.departure_latest_utc.date()} and arriving "
            f"{window.arrival_earliest_utc.date()} to {window.arrival_latest_utc.date()} meets "
            f"{constraints}"
        )
    days = [_daily_transfer(chop, arrival, period, k) for k in range(period.days)]
    worst = max(days, key=lambda t: t.v_inf_arrival_m_s)
    latest = max(t.arrival_et for t in days)
    envelope = dataclasses.replace(
        worst,
        departure_et=period.open_et,
        arrival_et=latest,
        tof_s=latest - period.open_et,
        c3_m2_s2=max(t.c3_m2_s2 for t in days),
    )
    period = dataclasses.replace(
        period,
        max_c3_m2_s2=envelope.c3_m2_s2,
        daily_c3_m2_s2=np.array([t.c3_m2_s2 for t in days]),
        delivered_mass_kg=float(vehicle.delivered_mass_kg(envelope.c3_m2_s2)),
        spacecraft_mass_kg=ero.launch_mass_kg,
    )
    note = (
        f"computed: the {period.days}-day chemical ERO launch period whose largest arrival "
        f"v_inf ({worst.v_inf_arrival_m_s / 1e3:.2f} km/s, the insertion sized for it) is "
        f"least, among ballistic transfers with {constraints}; at Mars by {_day(latest)}"
    )
    return period, envelope, note


def _daily_transfer(chop, ranked, period: LaunchPeriod, k: int) -> Transfer:
    """The transfer the period's day ``k`` flies: its cell of ``chop``, found in the
    porkchop ``ranked`` the period was chosen on."""
    i = int(np.argmin(np.abs(chop.departure_et - period.daily_departure_et[k])))
    j = int(np.argmin(np.abs(chop.arrival_et - period.daily_arrival_et[k])))
    slot = int(np.nanargmin(np.abs(ranked.c3_m2_s2[i, j] - period.daily_c3_m2_s2[k])))
    return transfer_at(chop, i, j, slot)


class _ChemicalPlanner:
    """Rules C2 to C5 on one scenario's chemical ERO."""

    def __init__(self, inputs: _Inputs, outbound: Transfer):
        ero = inputs.ero
        self.inputs = inputs
        self.rules = inputs.rules
        self.interface_m = inputs.ees_entry_interface_altitude_km * 1e3
        self.entry_speed_max = ero.return_entry_speed_max_km_s * 1e3
        self.longest_s = inputs.rules.max_return_cruise_days * DAY_S
        self.template = ChemicalEroPlan(
            launch_mass_kg=ero.launch_mass_kg,
            propellant_load_kg=ero.chemical_propellant_load_kg,
            thrust_n=ero.insertion_thrust_n,
            isp_s=ero.insertion_specific_impulse_s,
            reserve_fraction=ero.propellant_reserve_fraction,
            outbound=outbound,
            inbound=outbound,  # not read until replaced by the return chosen (C4)
            capture_periapsis_altitude_m=ero.capture_periapsis_altitude_km * 1e3,
            capture_apoapsis_altitude_m=ero.capture_apoapsis_altitude_km * 1e3,
            waiting_altitude_m=1e3
            * (inputs.mav_target_orbit_altitude_km + inputs.search_orbit_altitude_offset_km),
            inclination_rad=math.radians(inputs.mav_target_orbit_inclination_deg),
            raan_rad=math.radians(ero.orbit_raan_deg),
            captured_mass_kg=inputs.os_mass_kg,
        )
        self.arrival = arrive(self.template)

    def opportunities(self, after_et: float, first_year: int):
        """Mars-Earth opportunities from ``first_year`` on: (year, least-C3 transfer
        departing at or after ``after_et`` within the entry speed and flight time
        limits), the transfer ``None`` when the opportunity has none."""
        for year in range(first_year, first_year + 2 * RETURN_OPPORTUNITIES_TRIED + 2):
            try:
                opp = opportunity("mars", "earth", year)
            except OpportunityError:
                continue
            chop = porkchop(
                "mars",
                "earth",
                opp.departure_et,
                opp.arrival_et,
                max_revs=MARS_EARTH_MAX_REVS,
                entry_interface_altitude_m=self.interface_m,
            )
            quick = (chop.tof_s <= self.longest_s).reshape(chop.tof_s.shape[:2] + (-1,))
            short = np.where(quick, chop.c3_m2_s2, np.nan)
            yield (
                year,
                least_c3_transfer(
                    dataclasses.replace(chop, c3_m2_s2=short),
                    entry_speed_max_m_s=self.entry_speed_max,
                    departure_after_et=after_et,
                ),
            )

    def fly(self, inbound: Transfer) -> ChemicalEroMission:
        plan = dataclasses.replace(self.template, inbound=inbound)
        return fly_chemical_ero(plan, self.arrival)

    def choose_return(self, earliest_et: float):
        """Rule C4: (year, mission) of the first opportunity whose return the propellant
        covers."""
        tried = []
        first = int(_day(earliest_et)[:4]) - 1
        for year, marker in self.opportunities(earliest_et, first):
            if marker is None:
                continue
            mission = self.fly(marker)
            if mission.budgets[0].closes:
                return year, mission
            tried.append(
                f"{year} (departing {_day(marker.departure_et)}, C3 "
                f"{marker.c3_m2_s2 / 1e6:.1f} km2/s2: short by "
                f"{-mission.budgets[0].margin_kg:.0f} kg)"
            )
            if len(tried) >= RETURN_OPPORTUNITIES_TRIED:
                break
        raise ValueError(
            f"ero: the chemical ERO's propellant (ero.chemical_propellant_load_kg = "
            f"{self.template.propellant_load_kg:g} with its reserve) covers the return of none "
            f"of the Mars-Earth opportunities departing on or after {_day(earliest_et)} "
            f"({'; '.join(tried) or 'none within the entry speed and flight time limits'})"
        )

    def delayed(self, mission: ChemicalEroMission, year: int):
        """Rule C5: (arrival, departure, closes, note) of the next opportunity's return."""
        nominal = mission.plan.inbound
        for later, marker in self.opportunities(nominal.departure_et + DAY_S, year + 1):
            if marker is None:
                continue
            flown = self.fly(marker)
            closes = flown.budgets[0].closes
            arrival = dataclasses.replace(
                ballistic_return(marker, MARS_EARTH_MAX_REVS),
                source="chemical ERO ballistic return, next opportunity",
            )
            note = (
                f"computed: the {later} opportunity's least-C3 ballistic return (departing "
                f"{_day(marker.departure_et)}, C3 {marker.c3_m2_s2 / 1e6:.1f} km2/s2; the "
                f"propellant {'covers' if closes else 'does not cover'} it with its reserve, "
                f"margin {flown.budgets[0].margin_kg:.0f} kg)"
            )
            return arrival, marker.departure_et, closes, note
        none = ReturnArrival(math.inf, np.full(3, np.nan), "no later return reached")
        return none, math.inf, False, "computed: none: no later opportunity within the limits"


def plan_chemical_schedule(inputs: _Inputs, progress) -> Schedule:
    """Rules 1 and C1 to C5 (the module docstring)."""
    clock = _Clock()
    rules = inputs.rules
    period, srl_note = _srl_launch_period_of(inputs)
    landing = float(np.max(period.daily_arrival_et))
    clock.lap("srl_launch_period")
    progress(1, 4)
    ero_period, outbound, ero_note = _ero_launch_period(inputs)
    planner = _ChemicalPlanner(inputs, outbound)
    clock.lap("ero_launch_period")
    progress(2, 4)
    in_orbit = planner.arrival.in_orbit_et  # C2: it does not depend on the return
    earliest = _earliest_departure(rules, inputs.mav_launch_ls_deg, landing, in_orbit)
    year, mission = planner.choose_return(earliest)
    clock.lap("ero_mission")
    progress(3, 4)
    delayed, delayed_departure, delayed_closes, delayed_note = planner.delayed(mission, year)
    clock.lap("delayed_return")
    progress(4, 4)
    mav_earliest, deadline, deadline_note = _mav_window(
        rules, inputs.mav_launch_ls_deg, landing, mission
    )
    inbound = mission.plan.inbound
    budget = mission.budgets[0]
    schedule = Schedule(
        srl_launch_period=period,
        ero=mission,
        mav_launch_deadline_et=deadline,
        nominal_return=ballistic_return(inbound, MARS_EARTH_MAX_REVS),
        delayed_return=delayed,
        ero_extension_s=inputs.ero_extension_days * DAY_S,
        provenance={
            "srl_launch_period": srl_note,
            "ero_launch": ero_note,
            "ero_mars_arrival": ero_note,
            "ero_in_search_orbit": "computed: the chemical insertion into the capture ellipse "
            "and the two lowering burns to the waiting orbit (ERO leg)",
            "mav_launch_earliest": "computed: the ERO in its waiting orbit plus "
            f"schedule.ero_search_orbit_lead_days = {rules.ero_search_orbit_lead_days:g}",
            "mav_launch_deadline": deadline_note,
            "ero_mars_departure": (
                f"computed: the least-C3 day of the {year} Mars-Earth opportunity on or after "
                f"the earliest departure ({_day(earliest)}): C3 {inbound.c3_m2_s2 / 1e6:.1f} "
                f"km2/s2, trans-Earth injection {mission.departure_finite_delta_v_m_s:.0f} m/s, "
                f"propellant margin {budget.margin_kg:.0f} kg"
            ),
            "earth_arrival": (
                f"computed: the arrival of that ballistic return ({inbound.tof_s / DAY_S:.0f} "
                f"days, entry {inbound.entry_speed_m_s / 1e3:.2f} km/s)"
            ),
            "delayed_return": delayed_note,
        },
        mav_launch_earliest_et=mav_earliest,
        delayed_departure_et=delayed_departure,
        delayed_return_closes=delayed_closes,
        planning_s=clock.laps(),
        ero_launch_period=ero_period,
    )
    problems = schedule.inconsistencies()
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValueError(f"schedule: the planned dates are out of order: {problems[0]}{more}")
    return schedule


def chemical_summary(mission: ChemicalEroMission) -> dict:
    """A JSON-ready digest of the chemical ERO: phases, budget, the burns."""
    plan, ins = mission.plan, mission.insertion
    budget = mission.budgets[0]

    def utc(et: float) -> str:
        return _day(et)

    return {
        "phases": {
            p.name: {
                "start_utc": utc(p.start_et),
                "end_utc": utc(p.end_et),
                "days": round(p.days, 1 if p.days > 1 else 4),
                "propellant_kg": round(p.propellant_kg, 1),
                "delta_v_m_s": round(p.delta_v_m_s, 1),
                "mass_end_kg": round(p.mass_end_kg, 1),
            }
            for p in mission.phases
        },
        "budget": {
            "launch_mass_kg": plan.launch_mass_kg,
            "dry_mass_kg": round(mission.dry_mass_kg, 1),
            "captured_mass_kg": plan.captured_mass_kg,
            "bipropellant_load_kg": budget.load_kg,
            "bipropellant_used_kg": round(budget.used_kg, 1),
            "bipropellant_reserve_kg": round(budget.reserve_kg, 1),
            "bipropellant_margin_kg": round(budget.margin_kg, 1),
            "total_delta_v_m_s": round(mission.total_delta_v_m_s, 1),
            "feasible": mission.feasible,
        },
        "outbound_arc": {
            "c3_km2_s2": round(plan.outbound.c3_m2_s2 / 1e6, 2),
            "arrival_v_infinity_km_s": round(plan.outbound.v_inf_arrival_m_s / 1e3, 3),
        },
        "mars_orbit_insertion": {
            "v_infinity_km_s": round(ins.v_infinity_m_s / 1e3, 3),
            "impulsive_delta_v_m_s": round(ins.impulsive_delta_v_m_s, 1),
            "finite_burn_delta_v_m_s": round(ins.finite_delta_v_m_s, 1),
            "gravity_loss_m_s": round(ins.gravity_loss_m_s, 1),
            "burn_min": round(ins.burn_s / 60.0, 1),
        },
        "orbit_lowering": {
            "apoapsis_burn_m_s": round(mission.lowering_delta_v_m_s[0], 1),
            "circularisation_m_s": round(mission.lowering_delta_v_m_s[1], 1),
        },
        "waiting_orbit": {
            "altitude_km": round(plan.waiting_altitude_m / 1e3, 1),
            "in_orbit_utc": utc(mission.in_orbit_et),
            "operations_days": round(mission.operations_days, 1),
        },
        "trans_earth_injection": {
            "v_infinity_km_s": round(math.sqrt(plan.inbound.c3_m2_s2) / 1e3, 3),
            "impulsive_delta_v_m_s": round(mission.departure_impulsive_delta_v_m_s, 1),
            "finite_burn_delta_v_m_s": round(mission.departure_finite_delta_v_m_s, 1),
            "burn_min": round(mission.departure_burn_s / 60.0, 1),
        },
        "return_arc": {
            "c3_km2_s2": round(plan.inbound.c3_m2_s2 / 1e6, 2),
            "tof_days": round(plan.inbound.tof_s / DAY_S, 1),
            "entry_speed_km_s": round(plan.inbound.entry_speed_m_s / 1e3, 3),
        },
    }
