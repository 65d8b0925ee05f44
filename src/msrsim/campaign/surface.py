"""Leg 4 of the campaign: surface operations, sol by sol.

Reads the scenario's ``perseverance``, ``helicopters``, ``sample_transfer_arm``,
``orbiting_sample``, ``srl`` and ``surface`` sections, converts them to SI once into a
:class:`msrsim.segments.surface.SurfacePlan`, and runs the nominal timeline (no random
event) and the Monte Carlo of :mod:`msrsim.segments.surface`.

The SRL's landing date and the MAV's launch deadline are the schedule's
(:func:`msrsim.campaign.schedule.plan_schedule`: the first launch day's arrival, and the
latest landing plus ``schedule.min_surface_sols``) unless given; in ``msrsim run`` the
landing is the EDL leg's touchdown.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from msrsim.campaign.chain import Failure, TrialTable, tube_bits
from msrsim.campaign.outcomes import Leg, LegOutcome, Milestone, dated
from msrsim.campaign.schedule import plan_schedule
from msrsim.campaign.summaries import spread
from msrsim.core.ephemeris import EphemerisRangeError
from msrsim.core.streams import TrialGenerator
from msrsim.core.time import MissionClock, et_to_utc_iso, solar_longitude_deg
from msrsim.scenario import Scenario
from msrsim.segments.lander_power import DustStorms, LanderPower, Rtg, SolarArray
from msrsim.segments.surface import (
    SOL_S,
    Helicopters,
    LanderAcquisition,
    MavLaunch,
    RelayOrbiter,
    RoverTraverse,
    SurfacePlan,
    SurfaceTimeline,
    SurfaceTrials,
    TransferArm,
    simulate_surface,
    surface_timeline,
)
from msrsim.segments.surface_depot import DepotLayout, MarsSite, SelectionPolicy, site_distance_m

MODELLED = "modelled (sol by sol; SRL landing date from the schedule)"
MODELLED_AFTER_EDL = "modelled (sol by sol; SRL landing from the EDL leg)"
STREAM = "surface"  # this leg's family of random streams (core.streams.TrialGenerator)
CHUNK = 50_000  # trials stepped together by run_surface (memory ~1 kB a trial)


@dataclass(frozen=True)
class SurfaceResult:
    """The surface leg of one scenario: its plan, the nominal timeline, the Monte Carlo."""

    plan: SurfacePlan
    timeline: SurfaceTimeline
    trials: SurfaceTrials
    seed: int


def surface_plan(
    scenario: Scenario,
    landing_et: float | None = None,
    *,
    deadline_et: float | None = None,
    rover_fails: bool | None = None,
) -> SurfacePlan:
    """The scenario's surface leg as a plan (SI, epochs in ``et``).

    ``landing_et`` and ``deadline_et`` replace the schedule's SRL landing (the first
    launch day's arrival) and MAV launch deadline, ``rover_fails`` the scenario's
    ``perseverance.fails_at_landing``, when given.
    """
    p, h, arm, os_, s = (
        scenario.perseverance,
        scenario.helicopters,
        scenario.sample_transfer_arm,
        scenario.orbiting_sample,
        scenario.surface,
    )
    if landing_et is None or deadline_et is None:
        schedule = plan_schedule(scenario)
        if landing_et is None:
            landing_et = schedule.srl_first_landing_et
        if deadline_et is None:
            deadline_et = schedule.mav_launch_deadline_et
    return SurfacePlan(
        landing_et=landing_et,
        lander=MarsSite(scenario.srl.target.latitude_deg, scenario.srl.target.east_longitude_deg),
        rover=RoverTraverse(
            start=MarsSite(p.start_latitude_deg, p.start_east_longitude_deg),
            tortuosity=p.route_tortuosity,
            drive_m_per_sol=p.drive_m_per_sol,
            drive_rate_sigma_fraction=p.drive_rate_sigma_fraction,
            anomaly_probability_per_sol=p.anomaly_probability_per_sol,
            anomaly_sols=p.anomaly_sols,
            failure_probability_per_sol=p.failure_probability_per_sol,
            fails_at_landing=p.fails_at_landing if rover_fails is None else rover_fails,
        ),
        arm=TransferArm(
            time_per_tube_s=arm.time_per_tube_h * 3600.0,
            working_time_per_sol_s=arm.working_time_per_sol_h * 3600.0,
        ),
        helicopters=Helicopters(
            count=h.count,
            range_per_flight_m=h.range_per_flight_m,
            ground_speed_m_s=h.ground_speed_m_s,
            recharge_sols=h.recharge_sols,
            deploy_sols=h.deploy_sols,
            dust_season_ls_deg=tuple(h.dust_season_ls_deg),
            wind_no_fly_probability_per_sol=h.wind_no_fly_probability_per_sol,
            loss_probability_per_flight=h.loss_probability_per_flight,
            send_when_rover_late=h.send_when_rover_late,
            rover_late_margin_sols=h.rover_late_margin_sols,
        ),
        depot=DepotLayout(
            MarsSite(s.depot.latitude_deg, s.depot.east_longitude_deg),
            axis_azimuth_deg=s.depot.axis_azimuth_deg,
            along_step_m=s.depot.along_step_m,
            cross_offset_m=s.depot.cross_offset_m,
        ),
        selection=SelectionPolicy(
            capacity_tubes=os_.capacity_tubes,
            priority=tuple(os_.priority_tubes),
            include_witness=os_.include_witness_tubes,
            helicopters_top_up=os_.helicopters_top_up,
        ),
        mav=MavLaunch(
            deadline_et=deadline_et,
            preparation_sols=s.mav_preparation_sols,
            launch_ls_window_deg=tuple(s.mav_launch_ls_deg),
        ),
        lander_checkout_sols=s.lander_checkout_sols,
        conjunction_elongation_deg=s.conjunction_elongation_deg,
        perseverance=MissionClock(
            "Mars 2020 Perseverance",
            p.landing_utc.isoformat(),
            p.landing_site.east_longitude_deg,
        ),
        power=lander_power(s.power),
        acquisition=lander_acquisition(s.acquisition),
        relay=(
            RelayOrbiter(s.relay.passes_per_sol, s.relay.pass_success_probability)
            if s.relay.enabled
            else None
        ),
    )


def lander_power(section) -> LanderPower | None:
    """``surface.power`` as the segment's :class:`LanderPower` (``None`` for ``"none"``)."""
    if section.source == "none":
        return None
    return LanderPower(
        source=section.source,
        rtg=Rtg(
            count=section.rtg_count,
            bol_power_w=section.rtg_bol_power_w,
            conversion_degradation_per_year=section.rtg_conversion_degradation_per_year,
            age_at_landing_years=section.rtg_age_at_landing_years,
        ),
        array=SolarArray(
            area_m2=section.array_area_m2,
            efficiency=section.array_efficiency,
            dust_factor_at_landing=section.array_dust_factor_at_landing,
            deposition_per_tau_sol=section.dust_deposition_per_tau_sol,
            cleaning_probability_per_sol=section.cleaning_probability_per_sol,
            cleaning_recovery_fraction=section.cleaning_recovery_fraction,
        ),
        dust=DustStorms(
            tau_aphelion=section.tau_aphelion,
            tau_perihelion=section.tau_perihelion,
            global_probability_per_mars_year=section.global_storm_probability_per_mars_year,
            onset_ls_deg=tuple(section.global_storm_onset_ls_deg),
            peak_tau=tuple(section.global_storm_peak_tau),
            rise_sols=section.global_storm_rise_sols,
            decay_sols=section.global_storm_decay_sols,
        ),
        battery_wh=section.battery_wh,
        keep_alive_w=section.keep_alive_w,
        arm_w=section.arm_w,
        acquisition_w=section.acquisition_w,
        helicopter_support_wh_per_flight=section.helicopter_support_wh_per_flight,
        work_reserve_fraction=section.work_reserve_fraction,
    )


def lander_acquisition(section) -> LanderAcquisition | None:
    """``surface.acquisition`` as a :class:`LanderAcquisition` (``None`` for the baseline:
    no samples of the lander's own and the rover as courier)."""
    if section.scoop_samples + section.drill_samples == 0 and section.rover_courier:
        return None
    return LanderAcquisition(
        scoop_samples=section.scoop_samples,
        scoop_sols_per_sample=section.scoop_sols_per_sample,
        drill_samples=section.drill_samples,
        drill_sols_per_sample=section.drill_sols_per_sample,
        hours_per_sol=section.hours_per_sol,
        failure_probability_per_attempt=section.failure_probability_per_attempt,
        rover_courier=section.rover_courier,
    )


def run_surface(
    scenario: Scenario,
    *,
    landing_et: float | None = None,
    deadline_et: float | None = None,
    rover_fails: bool | None = None,
    trials: int | None = None,
    seed: int | None = None,
) -> SurfaceResult:
    """The nominal timeline and ``trials`` Monte Carlo trials (``surface.trials``).

    Raises
    ------
    ValueError
        When the deadline is not after the landing, or leaves no sol for loading before
        the MAV's preparation (the message gives both dates).
    """
    plan = surface_plan(scenario, landing_et, deadline_et=deadline_et, rover_fails=rover_fails)
    prep = plan.mav.preparation_sols
    checkout = plan.lander_checkout_sols
    if plan.mav.deadline_et - plan.landing_et < (checkout + prep + 1) * SOL_S:
        landing, deadline = (d[:16] for d in et_to_utc_iso([plan.landing_et, plan.mav.deadline_et]))
        raise ValueError(
            f"the MAV launch deadline {deadline} must be at least {checkout + prep + 1} sols "
            f"(surface.lander_checkout_sols + mav_preparation_sols + 1) after the SRL "
            f"landing {landing}"
        )
    seed = scenario.scenario.seed if seed is None else seed
    n = scenario.surface.trials if trials is None else trials
    try:
        timeline = surface_timeline(plan)
    except EphemerisRangeError as exc:
        raise EphemerisRangeError(
            "the surface calendar runs from the SRL landing to about two years past the "
            f"MAV launch deadline, and leaves the ephemeris: {exc}"
        ) from None
    parts = [
        simulate_surface(plan, TrialGenerator(seed, STREAM, start, min(CHUNK, n - start)))
        for start in range(0, n, CHUNK)
    ]
    return SurfaceResult(plan, timeline, SurfaceTrials.concatenate(parts), seed)


def _utc(et: float | None) -> str | None:
    if et is None or not math.isfinite(et):
        return None
    return str(et_to_utc_iso(et)[0][:16])


def _sol_utc(result: SurfaceResult, sol: int | None) -> str | None:
    """The UTC start of a mission sol (sol 0 = the SRL's landing sol)."""
    return None if sol is None else _utc(float(result.timeline.calendar.start_et[sol]))


def _p01_median_p99(values: np.ndarray) -> list[float] | None:
    """1st percentile, median, 99th percentile (None for no value)."""
    if values.size == 0:
        return None
    return [round(float(q), 1) for q in np.percentile(values, [1, 50, 99])]


def summary(result: SurfaceResult) -> dict:
    """A JSON-ready digest in parts of flat ``{quantity_unit: value}`` (spreads as
    ``name_p01``, ``name_median``, ``name_p99``, as every leg's)."""
    plan, tl, mc = result.plan, result.timeline, result.trials
    cal = tl.calendar
    rover_tubes = sum(t.courier == "Perseverance" for t in tl.tubes_loaded)
    ready = mc.mav_ready_sol >= 0
    ready_et = mc.mav_ready_et[ready]
    ready_utc = (
        [str(d)[:10] for d in et_to_utc_iso(np.percentile(ready_et, [1, 50, 99]))]
        if ready_et.size
        else None
    )
    distance = site_distance_m(plan.rover.start, plan.lander)
    return {
        "nominal": {
            "srl_landing_utc": _utc(plan.landing_et),
            "srl_landing_ls_deg": round(float(solar_longitude_deg(plan.landing_et)[0]), 1),
            "perseverance_fails_at_landing": plan.rover.fails_at_landing,
            "perseverance_distance_to_lander_km": round(distance / 1e3, 2),
            "perseverance_route_km": round(distance * plan.rover.tortuosity / 1e3, 2),
            "perseverance_arrival_sol": tl.rover_arrival_sol,
            "perseverance_arrival_sol_start_utc": _sol_utc(result, tl.rover_arrival_sol),
            "tubes_loaded": len(tl.tubes_loaded),
            "tubes_from_perseverance": rover_tubes,
            "tubes_from_depot_by_helicopter": len(tl.tubes_loaded) - rover_tubes,
            "helicopter_flights": len(tl.flights),
            "helicopters_sent_rover_late_sol": tl.helicopters_sent_rover_late_sol,
            "loading_complete_sol": tl.loading_complete_sol,
            "mav_ready_sol": tl.mav_ready_sol,
            "mav_ready_utc": _utc(tl.mav_ready_et),
            "mav_ready_ls_deg": round(float(solar_longitude_deg(tl.mav_ready_et)[0]), 1)
            if tl.mav_ready_sol is not None
            else None,
            "mav_launch_deadline_utc": _utc(plan.mav.deadline_et),
            "mav_launch_deadline_sol": cal.deadline_sol,
            "meets_deadline": tl.meets_deadline,
            **(
                {
                    "lander_samples_loaded": tl.lander_samples_loaded,
                    "lander_lost_sol": tl.lander_lost_sol,
                }
                if plan.acquisition is not None or plan.power is not None
                else {}
            ),
            "solar_conjunctions_before_deadline_utc": [
                f"{_utc(c.start_et)} to {_utc(c.end_et)}"
                for c in cal.conjunctions
                if c.start_et < plan.mav.deadline_et
            ],
        },
        "monte_carlo": {
            "trials": int(mc.meets_deadline.size),
            "seed": result.seed,
            "probability_meets_deadline": round(mc.probability_meets_deadline, 4),
            "tubes_loaded_mean": round(float(mc.tubes_loaded.mean()), 2),
            **spread("tubes_loaded", _p01_median_p99(mc.tubes_loaded)),
            "probability_no_tubes": round(float(np.mean(mc.tubes_loaded == 0)), 4),
            "probability_perseverance_fails": round(float(np.mean(mc.rover_failed)), 4),
            "probability_cut_by_deadline": round(float(np.mean(mc.cut_by_deadline)), 4),
            "probability_helicopter_lost": round(float(np.mean(mc.helicopters_lost > 0)), 4),
            "helicopter_flights_mean": round(float(mc.helicopter_flights.mean()), 2),
            "probability_helicopters_sent": round(float(np.mean(mc.helicopters_deployed)), 4),
            "probability_helicopters_sent_rover_late": round(
                float(np.mean(mc.helicopters_sent_rover_late)), 4
            ),
            **spread("mav_ready_sol", _p01_median_p99(mc.mav_ready_sol[ready])),
            **spread("mav_ready_utc", ready_utc),
            **_lander_ops_summary(plan, mc),
        },
    }


def _lander_ops_summary(plan: SurfacePlan, mc: SurfaceTrials) -> dict:
    """The Monte Carlo's power, relay and own-sampling figures, where the plan has them."""
    out = {}
    if plan.power is not None:
        battery = mc.battery_min_wh[np.isfinite(mc.battery_min_wh)]
        out["lander_power_source"] = plan.power.source
        out["probability_lander_lost"] = round(float(np.mean(mc.lander_lost)), 4)
        out.update(spread("battery_min_wh", _p01_median_p99(battery)))
    if plan.acquisition is not None:
        out["lander_samples_loaded_mean"] = round(float(mc.lander_samples_loaded.mean()), 2)
    if plan.relay is not None:
        out["relay_commanded_sol_fraction"] = round(plan.relay.commanded_probability, 4)
    return out


def timeline_rows(result: SurfaceResult) -> dict[str, list[dict]]:
    """The nominal timeline as JSON-ready rows: activities, flights, tubes loaded."""
    tl = result.timeline

    def times(row) -> dict:
        return {"start_utc": _utc(row.start_et), "end_utc": _utc(row.end_et)}

    return {
        "activities": [
            {"name": a.name, "actor": a.actor, "start_sol": a.start_sol, "end_sol": a.end_sol}
            | times(a)
            for a in tl.activities
        ],
        "flights": [
            {
                "helicopter": f.helicopter,
                "sol": f.sol,
                "leg": f.leg,
                "tube": f.tube,
                "distance_m": round(f.distance_m, 1),
                "lost": f.lost,
            }
            | times(f)
            for f in tl.flights
        ],
        "tubes_loaded": [dataclasses.asdict(t) for t in tl.tubes_loaded],
    }


def run_surface_leg(
    scenario: Scenario, leg: Leg, landing_et: float | None = None, trials: int | None = None
) -> tuple[LegOutcome, tuple[Milestone, ...], SurfaceResult]:
    """Leg 4 of ``msrsim run``: its outcome, the milestones it dates, the full result."""
    result = run_surface(scenario, landing_et=landing_et, trials=trials)
    tl = result.timeline
    provenance = plan_schedule(scenario).provenance
    landing_source = (
        provenance["srl_launch_period"] + " (the first launch day's arrival)"
        if landing_et is None
        else "computed: SRL landing passed to the surface leg"
    )
    milestones = [
        dated("SRL landing", result.plan.landing_et, landing_source),
        dated(
            "MAV launch deadline", result.plan.mav.deadline_et, provenance["mav_launch_deadline"]
        ),
    ]
    if tl.mav_ready_sol is not None:
        milestones.append(
            dated(
                "MAV ready to launch (nominal surface timeline)",
                tl.mav_ready_et,
                "computed: surface operations leg",
            )
        )
    status = MODELLED if landing_et is None else MODELLED_AFTER_EDL
    return LegOutcome(leg, status, summary(result)), tuple(milestones), result


@dataclass(frozen=True)
class SurfaceLeg:
    """Leg 4 of the coupled campaign: each trial's surface work from its own touchdown.

    Perseverance drives from its start to the trial's own lander, the helicopters fly the
    depot tubes to it (when the rover fails, or is projected late), the Sample Transfer Arm
    loads the Orbiting Sample, sol by sol from the trial's own landing sol, with the
    conjunctions, dust season and MAV launch season of its own dates
    (:func:`msrsim.segments.surface.simulate_surface`). A trial with no tube by the MAV's
    deadline (the schedule's) ends there (:attr:`Failure.NO_TUBES_LOADED`); one whose
    lander's battery empties before its MAV leaves (``surface.power``), at
    :attr:`Failure.LANDER`.
    """

    family: ClassVar[str] = "surface"
    columns: ClassVar[dict[str, str]] = {
        "mav_ready_et": "f8",
        "tubes_loaded": "i2",
        "tube_mask": "u8",
        "rover_failed": "?",
        "rover_route_km": "f8",
        "helicopters_deployed": "?",
        "helicopter_flights": "i2",
        "surface_sols": "i4",
    }
    plan: SurfacePlan
    bit_of: dict
    """Each tube's bit in ``tube_mask`` (:func:`msrsim.campaign.chain.tube_bits`)."""

    def fly(self, table: TrialTable) -> None:
        rows = table.flying
        c = table.columns
        trials = simulate_surface(
            self.plan,
            table.random(self.family).take(rows),
            landing_et=c["touchdown_et"][rows],
            latitude_deg=c["touchdown_latitude_deg"][rows],
            east_longitude_deg=c["touchdown_longitude_deg"][rows],
        )
        bits = np.array([self.bit_of[name] for name in trials.tube_names], np.uint64)
        mask = np.bitwise_or.reduce(np.where(trials.loaded, bits[None, :], np.uint64(0)), axis=1)
        ready = np.asarray(trials.mav_ready_et, np.float64)
        table.add(
            rows,
            mav_ready_et=ready,
            tubes_loaded=trials.tubes_loaded,
            tube_mask=mask,
            rover_failed=trials.rover_failed,
            rover_route_km=trials.route_m / 1e3,
            helicopters_deployed=trials.helicopters_deployed,
            helicopter_flights=trials.helicopter_flights,
            surface_sols=trials.surface_sols,
        )
        table.end(rows, trials.lander_lost, Failure.LANDER)  # battery empty: MAV not kept warm
        table.end(rows, ~np.isfinite(ready), Failure.NO_TUBES_LOADED)


def plan_surface(scenario: Scenario, schedule) -> SurfaceLeg:
    """The coupled surface leg against the schedule's MAV launch deadline."""
    period = schedule.srl_launch_period
    plan = surface_plan(
        scenario,
        float(period.daily_arrival_et[0]),
        deadline_et=schedule.mav_launch_deadline_et,
    )
    names = [t.name for t in plan.tubes]
    return SurfaceLeg(plan, dict(zip(names, tube_bits(names), strict=True)))
