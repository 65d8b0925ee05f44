"""Legs 6 and 7: rendezvous and capture of the Orbiting Sample, and its containment.

Reads the scenario's ``[rendezvous]`` and ``[containment]`` sections, converts them to SI
once, and runs :mod:`msrsim.segments.rendezvous` (search, navigation, guidance, capture
Monte Carlo on the nonlinear dynamics), the passive-safety check of the nominal approach,
the OS's orbital lifetime, and :mod:`msrsim.segments.containment` (the barrier Monte
Carlo). The OS's release comes from the ascent leg when it is given (epoch, mean state,
covariance); otherwise from the scenario's representative release orbit at the schedule's
MAV launch deadline. The ERO searches from its arrival in the search orbit and must capture
before its planned departure (:func:`msrsim.campaign.schedule.plan_schedule`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from msrsim.campaign.chain import Failure, TrialTable
from msrsim.campaign.outcomes import LegOutcome, dated
from msrsim.campaign.schedule import Schedule, plan_schedule
from msrsim.campaign.summaries import percentiles, spread
from msrsim.core.bodies import DAY_S, MARS
from msrsim.core.navigation import nees_bounds
from msrsim.core.orbit_propagation import (
    DensityTable,
    force_model,
    mars_density_table,
    propagate,
)
from msrsim.core.secular import SecularOrbit
from msrsim.core.time import et_to_utc_iso
from msrsim.scenario import Scenario
from msrsim.segments.capture import FAILURE_MESSAGES, CaptureEnvelope
from msrsim.segments.containment import ContainmentModel, ContainmentResult, containment_monte_carlo
from msrsim.segments.orbiting_sample import (
    OrbitState,
    SphereBody,
    covariance_from_rtn_sigmas,
    release_orbit,
)
from msrsim.segments.rendezvous import (
    NAV_PHASE_NAMES,
    STATUS_MESSAGES,
    MissedBurn,
    RendezvousPlan,
    RendezvousResult,
    fly_rendezvous,
    passive_safety,
    simulate_rendezvous,
)

RENDEZVOUS_SEED_KEY = 6
CONTAINMENT_SEED_KEY = 7
ERO_DRAG_COEFFICIENT = 2.2
ERO_REFLECTIVITY_COEFFICIENT = 1.3


@dataclass(frozen=True)
class RendezvousLegResult:
    """Everything legs 6 and 7 produce for one scenario (SI inside)."""

    release: OrbitState
    search_start_et: float
    deadline_et: float
    plan: RendezvousPlan
    envelope: CaptureEnvelope
    os_body: SphereBody
    lifetime_s: float
    result: RendezvousResult
    missed_burns: list[MissedBurn]
    nominal_track: np.ndarray
    containment: ContainmentResult
    seed: int
    density: DensityTable

    @property
    def capture_probability(self) -> float:
        return float(np.mean(self.result.captured))

    @property
    def median_capture_et(self) -> float | None:
        ok = self.result.captured
        return float(np.median(self.result.capture_et[ok])) if ok.any() else None


def rendezvous_inputs(scenario: Scenario):
    """The plan, capture envelope, OS and ERO bodies and density table, in SI."""
    r = scenario.rendezvous
    plan = RendezvousPlan(
        search_altitude_offset_m=r.search_orbit_altitude_offset_km * 1e3,
        search_phase_lag_rad=math.radians(r.search_phase_lag_deg),
        search_max_s=r.search_max_days * DAY_S,
        detection_range_m=r.detection_range_km * 1e3,
        max_phase_angle_rad=math.radians(r.max_phase_angle_deg),
        sun_exclusion_rad=math.radians(r.sun_exclusion_angle_deg),
        angle_sigma_rad=r.angle_sigma_urad * 1e-6,
        range_sensor_max_m=r.range_sensor_max_km * 1e3,
        range_sigma_m=r.range_sigma_m,
        range_sigma_fraction=r.range_sigma_fraction,
        measurement_interval_s=r.measurement_interval_s,
        process_noise_m2_s3=r.process_noise_m2_s3,
        min_tracking_orbits=r.min_tracking_orbits,
        hold_points_m=tuple(r.hold_points_m),
        hold_orbits=r.hold_orbits,
        final_approach_speed_m_s=r.final_approach_speed_cm_s * 1e-2,
        final_pulse_interval_s=r.final_pulse_interval_s,
        keep_out_radius_m=r.keep_out_radius_m,
        burn_sigma_fraction=r.burn_magnitude_sigma_fraction,
        burn_sigma_m_s=r.burn_sigma_mm_s * 1e-3,
        burn_pointing_sigma_rad=math.radians(r.burn_pointing_sigma_deg),
        os_coefficient_sigma_fraction=r.os_coefficient_sigma_fraction,
    )
    period = (
        2.0
        * math.pi
        * math.sqrt(
            (MARS.equatorial_radius.value + scenario.mav.target_orbit_altitude_km * 1e3) ** 3
            / MARS.gm.value
        )
    )
    envelope = CaptureEnvelope(
        lateral_radius_m=r.capture_lateral_radius_m,
        min_closing_speed_m_s=r.capture_min_closing_speed_cm_s * 1e-2,
        max_closing_speed_m_s=r.capture_max_closing_speed_cm_s * 1e-2,
        max_lateral_speed_m_s=r.capture_max_lateral_speed_cm_s * 1e-2,
        max_tumble_rate_rad_s=math.radians(r.capture_max_tumble_rate_deg_s),
        mechanism_success_probability=r.capture_mechanism_success_probability,
        max_attempts=r.max_capture_attempts,
        retry_wait_s=r.retry_wait_orbits * period,
    )
    os_body = SphereBody(
        r.os_mass_kg,
        scenario.orbiting_sample.diameter_m,
        r.os_drag_coefficient,
        r.os_reflectivity_coefficient,
    )
    ero_body = SphereBody(
        r.ero_mass_kg,
        2.0 * math.sqrt(r.ero_area_m2 / math.pi),
        ERO_DRAG_COEFFICIENT,
        ERO_REFLECTIVITY_COEFFICIENT,
    )
    density = mars_density_table(
        r.upper_atmosphere_scale_height_km * 1e3, r.upper_atmosphere_density_scale
    )
    return plan, envelope, os_body, ero_body, density


def default_release(scenario: Scenario, schedule: Schedule | None = None) -> OrbitState:
    """The scenario's representative release orbit with its RTN covariance: the MAV's
    target orbit (``mav.target_orbit_*``) at the schedule's MAV launch deadline (the latest
    planned release)."""
    r = scenario.rendezvous
    schedule = plan_schedule(scenario) if schedule is None else schedule
    return release_orbit(
        schedule.mav_launch_deadline_et,
        scenario.mav.target_orbit_altitude_km * 1e3,
        math.radians(scenario.mav.target_orbit_inclination_deg),
        math.radians(r.release_node_deg),
        math.radians(r.release_argument_of_latitude_deg),
        (
            r.release_radial_sigma_km * 1e3,
            r.release_along_track_sigma_km * 1e3,
            r.release_cross_track_sigma_km * 1e3,
        ),
        (r.release_velocity_sigma_m_s,) * 3,
    )


def containment_model(scenario: Scenario) -> ContainmentModel:
    """The scenario's barrier model in SI."""
    c = scenario.containment
    return ContainmentModel(
        requirement_probability=c.requirement_probability,
        seam_temperature_c=c.seam_temperature_c,
        seam_temperature_sigma_c=c.seam_temperature_sigma_c,
        seam_hold_s=c.seam_hold_s,
        seam_hold_sigma_fraction=c.seam_hold_sigma_fraction,
        reference_temperature_c=c.reference_temperature_c,
        d_value_reference_s=c.d_value_reference_min * 60.0,
        resistance_factor=c.resistance_factor,
        d_value_sigma_ln=c.d_value_sigma_ln,
        z_value_c=c.z_value_c,
        z_value_sigma_c=c.z_value_sigma_c,
        credited_temperature_max_c=c.credited_temperature_max_c,
        seam_particles_mean=c.seam_particles_mean,
        seam_particles_sigma_ln=c.seam_particles_sigma_ln,
        heater_fault_probability=c.heater_fault_probability,
        fault_detection_probability=c.fault_detection_probability,
        entry_failure_probability=c.entry_failure_probability,
        touchdown_speed_m_s=scenario.ees.touchdown_speed_m_s,
        touchdown_speed_sigma_m_s=c.touchdown_speed_sigma_m_s,
        impact_capability_m_s=c.impact_capability_m_s,
        impact_capability_sigma_m_s=c.impact_capability_sigma_m_s,
        hard_surface_probability=c.hard_surface_probability,
        failure_given_hard_surface=c.failure_given_hard_surface,
        secondary_breach_given_ees_failure=c.secondary_breach_given_ees_failure,
        primary_breach_given_secondary_breach=c.primary_breach_given_secondary_breach,
        tube_seal_breach_given_primary_breach=c.tube_seal_breach_given_primary_breach,
        barrier_sigma_ln=c.barrier_sigma_ln,
    )


def _as_release(os_release) -> OrbitState:
    if isinstance(os_release, OrbitState):
        return os_release
    et, state, covariance = os_release
    return OrbitState(float(et), np.asarray(state, np.float64), np.asarray(covariance, np.float64))


def run_rendezvous(
    scenario: Scenario,
    os_release=None,
    ero_arrival_et: float | None = None,
    *,
    trials: int | None = None,
    seed: int | None = None,
    containment_trials: int | None = None,
    touchdown_speeds_m_s: np.ndarray | None = None,
    progress=None,
    schedule: Schedule | None = None,
) -> RendezvousLegResult:
    """Legs 6 and 7 for one scenario.

    ``os_release`` is the ascent leg's hand-off ``(et, state (6,), covariance (6, 6))``
    (Mars-centred ICRF, m and m/s) or an :class:`OrbitState`: the true orbits are drawn
    from that dispersion, and the ERO's knowledge of each after release has the scenario's
    ``release_*_sigma`` errors. ``None`` takes the scenario's release orbit, whose sigmas
    are then both the dispersion and the knowledge. ``ero_arrival_et`` is when the ERO is
    in its search orbit (the search starts at the later of it and the release); ``None``
    takes the schedule's. The capture must come before the schedule's planned departure
    (``schedule``, planned here when not given)."""
    r = scenario.rendezvous
    schedule = plan_schedule(scenario) if schedule is None else schedule
    plan, envelope, os_body, ero_body, density = rendezvous_inputs(scenario)
    release = default_release(scenario, schedule) if os_release is None else _as_release(os_release)
    start = schedule.ero_in_search_orbit_et if ero_arrival_et is None else ero_arrival_et
    start = max(start, release.et)
    deadline = schedule.ero_mars_departure_et  # the ERO leaves then
    if deadline <= start:
        raise ValueError(
            f"the ERO's planned departure {et_to_utc_iso(deadline)[0][:10]} is not after "
            f"the search start {et_to_utc_iso(start)[0][:10]}: no time is left to capture"
        )
    seed = scenario.scenario.seed if seed is None else seed
    # the hand-off's covariance is the ascent's dispersion; what the ERO knows of the OS
    # once it is released (telemetry, tracking) is the scenario's release sigmas
    knowledge = None
    if os_release is not None:
        knowledge = covariance_from_rtn_sigmas(
            release.state,
            (
                r.release_radial_sigma_km * 1e3,
                r.release_along_track_sigma_km * 1e3,
                r.release_cross_track_sigma_km * 1e3,
            ),
            (r.release_velocity_sigma_m_s,) * 3,
        )
    result = simulate_rendezvous(
        release,
        start,
        deadline,
        plan,
        envelope,
        os_body,
        ero_body,
        r.trials if trials is None else trials,
        np.random.SeedSequence(seed, spawn_key=(RENDEZVOUS_SEED_KEY,)),
        density=density,
        tumble_sigma_rad_s=math.radians(r.os_tumble_rate_sigma_deg_s),
        progress=progress,
        knowledge_covariance=knowledge,
    )
    missed, nominal = passive_safety(
        release.state, release.et, plan, density=density, os_body=os_body, ero_body=ero_body
    )
    containment = containment_monte_carlo(
        containment_model(scenario),
        scenario.containment.trials if containment_trials is None else containment_trials,
        np.random.SeedSequence(seed, spawn_key=(CONTAINMENT_SEED_KEY,)),
        touchdown_speeds_m_s,
    )
    return RendezvousLegResult(
        release,
        start,
        deadline,
        plan,
        envelope,
        os_body,
        release.lifetime_s(os_body, density),
        result,
        missed,
        nominal,
        containment,
        seed,
        density,
    )


def _utc(et) -> str | None:
    return None if et is None or not np.isfinite(et) else et_to_utc_iso(et)[0][:16]


def _wilson(k: int, n: int, z: float = 1.96) -> list[float]:
    """Wilson score interval of a binomial proportion (95 %)."""
    if n == 0:
        return [0.0, 1.0]
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(centre - half, 4), round(centre + half, 4)]


def _share_inside(eps: np.ndarray, confidence: float) -> tuple[float, float, int]:
    """Steps (rows of ``eps`` (steps, n), NaN where a trial is not counted) whose average
    over the counted trials lies inside the two-sided chi-square region of that average
    (6 states, that step's number of trials): the share inside, the share above, steps."""
    counts = np.count_nonzero(np.isfinite(eps), axis=1)
    ok = counts > 0
    if not ok.any():
        return float("nan"), float("nan"), 0
    means = np.nansum(eps[ok], axis=1) / counts[ok]
    inside = above = 0
    for m in np.unique(counts[ok]):
        lo, hi = nees_bounds(6, int(m), confidence)
        sel = counts[ok] == m
        inside += int(np.count_nonzero((means[sel] >= lo) & (means[sel] <= hi)))
        above += int(np.count_nonzero(means[sel] > hi))
    steps = int(ok.sum())
    return inside / steps, above / steps, steps


def nees_summary(result: RendezvousResult, confidence: float = 0.95) -> dict:
    """Consistency of the navigation filter over the Monte Carlo (Bar-Shalom et al. 2001,
    sect. 5.4.2), in all and per phase.

    At each step the NEES averaged over the ``N`` trials tracking then is chi-square with
    ``6 N`` degrees of freedom over ``N``: the share of steps inside its two-sided region
    (expected ``confidence``) and the share above it (overconfident). The ANEES averages
    every tracked (trial, step); the steps of one trial are correlated (the filter's
    memory spans hours), the trials are not, so its chi-square region is taken with the
    trials as the independent samples (``6 N`` degrees of freedom, ``N`` trials), and its
    95 % interval from the spread of the trials' own averages is given beside it."""
    eps = np.asarray(result.history_nees, np.float64)
    phase = np.asarray(result.history_phase)
    tracked = np.isfinite(eps)
    if not tracked.any():
        return {"tracked_steps": 0}
    weights = tracked.sum(axis=0)
    runs = weights > 0
    anees = float(np.nansum(eps) / weights.sum())
    per_run = np.nansum(eps, axis=0)[runs] / weights[runs]
    w = weights[runs] / weights[runs].sum()
    k = int(runs.sum())
    se = math.sqrt(np.sum((w * (per_run - anees)) ** 2) * k / max(1, k - 1))
    lo, hi = nees_bounds(6, k, confidence)
    inside, above, steps = _share_inside(eps, confidence)
    out = {
        "tracked_steps": steps,
        "anees_expected": 6.0,
        "anees_weighted": round(anees, 3),
        "anees_95pct_chi2_region": [round(lo, 3), round(hi, 3)],
        "anees_95pct_interval_over_trials": [
            round(anees - 1.96 * se, 3),
            round(anees + 1.96 * se, 3),
        ],
        "steps_inside_95pct_chi2": round(inside, 3),
        "steps_above_95pct_chi2": round(above, 3),
    }
    for code, name in enumerate(NAV_PHASE_NAMES):
        sel = np.where(phase == code, eps, np.nan)
        if not np.isfinite(sel).any():
            continue
        share, over, n_steps = _share_inside(sel, confidence)
        out[f"{name}_steps"] = n_steps
        out[f"{name}_anees"] = round(float(np.nanmean(sel)), 3)
        out[f"{name}_steps_inside_95pct_chi2"] = round(share, 3)
        out[f"{name}_steps_above_95pct_chi2"] = round(over, 3)
    return out


def summary(leg: RendezvousLegResult) -> dict:
    """A JSON-ready digest in parts of flat ``{quantity_unit: value}``."""
    res, rel = leg.result, leg.release
    ok = res.captured
    n = ok.size
    r_km = float(np.linalg.norm(rel.state[:3])) / 1e3
    incl = math.degrees(
        math.acos(
            np.cross(rel.state[:3], rel.state[3:])[2]
            / np.linalg.norm(np.cross(rel.state[:3], rel.state[3:]))
        )
    )
    sigma = np.sqrt(rel.covariance_rtn_diag)
    orbit = {
        "release_utc": _utc(rel.et),
        "altitude_km": round(rel.altitude_m / 1e3, 2),
        "radius_km": round(r_km, 2),
        "inclination_to_icrf_equator_deg": round(incl, 3),
        "position_sigma_rtn_m": [round(float(x), 1) for x in sigma[:3]],
        "velocity_sigma_rtn_m_s": [round(float(x), 3) for x in sigma[3:]],
        "ballistic_coefficient_m2_kg": round(leg.os_body.ballistic_coefficient_m2_kg, 5),
        "density_at_altitude_kg_m3": float(
            f"{float(leg.density.density(r_km * 1e3 - MARS.mean_radius.value)):.3e}"
        ),
        "orbital_lifetime_years": float(f"{leg.lifetime_s / (365.25 * DAY_S):.4g}"),
    }

    def med(x):
        x = x[np.isfinite(x)]
        return float(np.median(x)) if x.size else None

    transfer = med(res.transfer_et)
    timeline = {
        "os_release_utc": _utc(rel.et),
        "search_starts_utc": _utc(leg.search_start_et),
        "detection_utc_median": _utc(med(res.detection_et)),
        "far_range_transfer_utc_median": _utc(transfer),
    }
    if transfer is not None:
        for name, offset in res.milestones_after_transfer_s.items():
            timeline[f"{name.replace(' ', '_')}_utc_median"] = _utc(
                transfer + float(np.median(offset))
            )
    timeline["capture_utc_median"] = _utc(leg.median_capture_et)
    timeline["capture_deadline_utc"] = _utc(leg.deadline_et)
    dv = res.delta_v_m_s[ok] if ok.any() else res.delta_v_m_s
    guidance = {
        "mean_motion_rad_s": float(f"{float(np.median(res.mean_motion_rad_s)):.6e}"),
        "hold_points_m": list(res.hold_points_m),
        **spread("delta_v_total_m_s", percentiles(dv.sum(axis=1))),
        **spread("delta_v_far_range_m_s", percentiles(dv[:, 0])),
        **spread("delta_v_hops_m_s", percentiles(dv[:, 1])),
        **spread("delta_v_final_approach_m_s", percentiles(dv[:, 2], 1.0, 3)),
        **spread("delta_v_retries_m_s", percentiles(dv[:, 3], 1.0, 3)),
        **spread(
            "closest_approach_outside_final_m",
            percentiles(
                np.where(np.isfinite(res.min_distance_m), res.min_distance_m, np.nan)[
                    np.isfinite(res.min_distance_m)
                ]
                if np.isfinite(res.min_distance_m).any()
                else [np.nan]
            ),
        ),
        "keep_out_radius_m": leg.plan.keep_out_radius_m,
    }
    for m in leg.missed_burns:
        guidance[f"missed_burn_{m.name.replace(' ', '_')}_min_distance_m"] = round(
            m.min_distance_m, 1
        )
    navigation = {
        **spread(
            "detection_range_km",
            percentiles(res.detection_range_m[np.isfinite(res.detection_range_m)], 1e-3, 1)
            if np.isfinite(res.detection_range_m).any()
            else None,
        ),
        **spread(
            "detection_after_search_start_h",
            percentiles(
                (res.detection_et - res.trial_search_start_et)[np.isfinite(res.detection_et)]
                / 3600.0,
                1.0,
                2,
            )
            if np.isfinite(res.detection_et).any()
            else None,
        ),
        **spread(
            "position_error_at_capture_m",
            percentiles(res.nav_position_error_m[np.isfinite(res.nav_position_error_m)], 1.0, 3)
            if np.isfinite(res.nav_position_error_m).any()
            else None,
        ),
        **nees_summary(res),
    }
    attempts = (
        np.bincount(res.attempts[ok], minlength=leg.envelope.max_attempts + 1)[1:]
        if ok.any()
        else []
    )
    causes = {}
    for code in np.unique(res.last_failure[res.last_failure > 0]):
        causes[FAILURE_MESSAGES[int(code)]] = int(np.count_nonzero(res.last_failure[~ok] == code))
    statuses = {
        STATUS_MESSAGES[int(s)]: int(np.count_nonzero(res.status == s))
        for s in np.unique(res.status)
    }
    capture = {
        "trials": int(n),
        "seed": leg.seed,
        "capture_probability": round(float(ok.mean()), 4),
        "capture_probability_95pct_interval": _wilson(int(ok.sum()), n),
        "captured_on_attempt": [int(a) for a in attempts],
        "outcomes": statuses,
        "last_failure_of_uncaptured": causes,
        **spread(
            "time_to_capture_days",
            percentiles(res.time_to_capture_s[ok] / DAY_S) if ok.any() else None,
        ),
        **spread(
            "lateral_miss_m", percentiles(res.lateral_miss_m[ok], 1.0, 3) if ok.any() else None
        ),
        **spread(
            "closing_speed_cm_s",
            percentiles(res.closing_speed_m_s[ok], 100.0, 2) if ok.any() else None,
        ),
        "capture_lateral_radius_m": leg.envelope.lateral_radius_m,
    }
    c = leg.containment
    containment = {
        "trials": int(c.p_release.size),
        "requirement_probability": c.model.requirement_probability,
        "p_release_mean": float(f"{c.mean:.3e}"),
        "p_release_median": float(f"{c.percentile(50):.3e}"),
        "p_release_95th_pct": float(f"{c.percentile(95):.3e}"),
        "meets_requirement_on_mean": bool(c.meets_requirement),
        "share_of_trials_meeting": round(c.fraction_meeting, 4),
        "seam_path_mean": float(f"{float(np.mean(c.p_seam_path)):.3e}"),
        "sample_path_mean": float(f"{float(np.mean(c.p_sample_path)):.3e}"),
        "p_seam_unsterilised_mean": float(f"{float(np.mean(c.p_seam_unsterile)):.3e}"),
        "p_ees_failure_mean": float(f"{float(np.mean(c.p_ees_failure)):.3e}"),
        **spread("seam_log_reduction", percentiles(c.log_reduction, 1.0, 1)),
    }
    return {
        "orbiting_sample_orbit": orbit,
        "timeline": timeline,
        "navigation": navigation,
        "guidance": guidance,
        "capture": capture,
        "containment": containment,
    }


def run_rendezvous_leg(
    scenario: Scenario,
    leg_rendezvous,
    leg_containment,
    os_release=None,
    ero_arrival_et: float | None = None,
    touchdown_speeds_m_s: np.ndarray | None = None,
    schedule: Schedule | None = None,
):
    """Legs 6 and 7 of ``msrsim run``: their outcomes, the milestones they date, the result."""

    result = run_rendezvous(
        scenario,
        os_release,
        ero_arrival_et,
        touchdown_speeds_m_s=touchdown_speeds_m_s,
        schedule=schedule,
    )
    parts = summary(result)
    source = "computed: rendezvous leg (median over the Monte Carlo)"
    milestones = []
    if os_release is None:  # otherwise the ascent leg dates the release
        milestones.append(
            dated(
                "Orbiting Sample released in Mars orbit",
                result.release.et,
                "representative: the MAV's target orbit at the planned MAV launch deadline",
            )
        )
    det = result.result.detection_et
    if np.isfinite(det).any():
        milestones.append(
            dated("ERO detects the Orbiting Sample", float(np.nanmedian(det)), source)
        )
    if result.median_capture_et is not None:
        milestones.append(
            dated("ERO captures the Orbiting Sample", result.median_capture_et, source)
        )
    outcomes = (
        LegOutcome(
            leg_rendezvous,
            "modelled (search, EKF navigation, YA/SS guidance, capture Monte Carlo)",
            {
                k: parts[k]
                for k in ("orbiting_sample_orbit", "timeline", "navigation", "guidance", "capture")
            },
        ),
        LegOutcome(
            leg_containment,
            "modelled (barrier chain Monte Carlo)",
            {"containment": parts["containment"]},
        ),
    )
    return outcomes, tuple(milestones), result


@dataclass(frozen=True)
class Phasing:
    """How each trial's ERO, waiting in its own orbit, comes to the start of its search
    (arrays, one per trial; SI)."""

    start_s: np.ndarray
    """From the OS's release to the start of the search."""
    plane_angle_rad: np.ndarray
    """Between the OS's orbital plane and the ERO's at the release."""
    delta_v_m_s: np.ndarray
    """The ERO's plane change and its move to the search orbit's size."""


def ero_phasing(
    os_states: np.ndarray,
    release_et: np.ndarray,
    ero_orbit: SecularOrbit,
    altitude_offset_m: float,
    phase_lag_rad: float,
) -> Phasing:
    """The ERO's way from its waiting orbit to the search orbit behind each trial's OS.

    At the release the ERO is where its own orbit has taken it
    (:class:`~msrsim.core.secular.SecularOrbit`): in its plane, at its phase. It turns its
    plane into the OS's (``2 v sin(theta / 2)``) and moves to the search orbit, the OS's
    size less the altitude offset (two burns half an orbit apart, ``v |da| / 2a``, the
    small-difference Hohmann; Vallado 2013, sec. 6.3), then drifts at the difference of
    the two mean motions (``3/2 n |dh| / a`` a second) until it is ``phase_lag_rad`` behind
    the OS, where the search starts. The two burns are added (an upper bound on a
    combined manoeuvre); the J2 rates the two orbits share cancel in the drift.
    """
    mu = MARS.gm.value
    r, v = os_states[:, :3], os_states[:, 3:]
    a_os = 1.0 / (2.0 / np.linalg.norm(r, axis=1) - np.einsum("ij,ij->i", v, v) / mu)
    ero = ero_orbit.state_at(release_et)
    h_os = np.cross(r, v)
    h_os /= np.linalg.norm(h_os, axis=1)[:, None]
    h_ero = ero_orbit.normal_at(release_et)
    plane = np.arccos(np.clip(np.einsum("ij,ij->i", h_os, h_ero), -1.0, 1.0))
    a_search = a_os + altitude_offset_m
    speed = np.sqrt(mu / a_search)
    resize = speed * np.abs(a_search - ero_orbit.semi_major_axis_m) / (2.0 * a_search)
    turn = 2.0 * speed * np.sin(plane / 2.0)
    # how far the OS leads the ERO, about the OS's orbit normal
    ahead = np.arctan2(
        np.einsum("ij,ij->i", np.cross(ero[:, :3], r), h_os),
        np.einsum("ij,ij->i", ero[:, :3], r),
    )
    drift = np.sqrt(mu / a_search**3) - np.sqrt(mu / a_os**3)  # rad/s, > 0 when below
    gain = np.where(drift > 0, np.mod(ahead - phase_lag_rad, 2 * np.pi),
                    np.mod(phase_lag_rad - ahead, 2 * np.pi))  # fmt: skip
    half_orbit = np.pi * np.sqrt(a_search**3 / mu)
    with np.errstate(divide="ignore"):  # no altitude offset: no drift, never there
        drift_s = np.where(gain > 0, gain / np.abs(drift), 0.0)
    return Phasing(half_orbit + drift_s, plane, resize + turn)


_COAST_STEP_S = 60.0
"""RK4 step of the OS's coast while the ERO phases. Against the same model flown at 5 s
(the baseline's released orbits, drag and radiation pressure on): ~0.2 km after a day,
~60 km (at most 80, along-track: the fixed step's energy drift) after 20 days; 20 s steps
would cut that to 0.3 km at three times the cost of the coast, a quarter of the whole
trial. The error moves where the OS is when the search starts, by less than a tenth of
the search's 10-degree (~600 km) lag, inside the 1,000 km detection range; what the ERO
knows is taken from this state, so navigation never sees it. Measured by
``tests/campaign/test_phasing.py``."""


@dataclass(frozen=True)
class RendezvousLeg:
    """Legs 6-7 of the coupled campaign: the ERO finds and captures each trial's own OS.

    From the trial's release (its own state and epoch, from the ascent), the ERO, where
    its own orbit has taken it, turns into the OS's plane, moves to the search orbit and
    drifts to its lag point (:func:`ero_phasing`); from then the search, navigation,
    guidance and capture are flown (:func:`msrsim.segments.rendezvous.fly_rendezvous`)
    until capture or the last capture that still makes a return (the return leg's
    deadline); a trial whose search could only start after it ends with
    :attr:`Failure.MISSED_RETURN`. The OS coasts meanwhile (J2, drag and radiation
    pressure at its nominal coefficients, the Sun at the release); what the ERO knows of
    it when the search starts is the trial's true state plus the scenario's release sigmas
    (RTN, in each trial's own frame): its orbit is taken as re-determined during the
    phasing. A trial searched for and never captured ends there (:attr:`Failure.CAPTURE`).
    """

    family: ClassVar[str] = "rendezvous"
    columns: ClassVar[dict[str, str]] = {
        "search_start_et": "f8",
        "phasing_days": "f8",
        "plane_change_deg": "f8",
        "ero_phasing_delta_v_m_s": "f8",
        "captured": "?",
        "capture_et": "f8",
        "capture_attempts": "i1",
        "rendezvous_delta_v_m_s": "f8",
        "rendezvous_status": "i1",
    }
    plan: RendezvousPlan
    envelope: CaptureEnvelope
    os_body: SphereBody
    ero_body: SphereBody
    density: DensityTable
    tumble_sigma_rad_s: float
    ero_orbit: SecularOrbit
    position_sigma_m: tuple[float, float, float]
    velocity_sigma_m_s: float
    capture_deadline_et: float

    def fly(self, table: TrialTable) -> None:
        rows = table.flying
        c = table.columns
        state = np.column_stack(
            [c[f"os_r{k}_m"][rows] for k in range(3)] + [c[f"os_v{k}_m_s"][rows] for k in range(3)]
        )
        release = c["os_release_et"][rows]
        p = self.plan
        phasing = ero_phasing(
            state, release, self.ero_orbit, p.search_altitude_offset_m, p.search_phase_lag_rad
        )
        start = release + phasing.start_s
        searched = np.isfinite(start) & (start < self.capture_deadline_et)
        start = np.where(searched, start, release)
        # the OS coasts (nominal drag and radiation pressure) while the ERO phases; the
        # ERO's knowledge of it at the search start is the release sigmas: its orbit is
        # re-determined during the phasing (the ERO's camera as the gap closes), not the
        # release knowledge flown blind for weeks (0.3 m/s would be ~1,500 km in 20 days)
        state = propagate(
            state, start - release, force_model(release, density=self.density),
            self.os_body.ballistic_coefficient_m2_kg, self.os_body.srp_area_to_mass_m2_kg,
            _COAST_STEP_S,
        )  # fmt: skip
        result = fly_rendezvous(
            state,
            start,
            start,
            self.capture_deadline_et,
            covariance_from_rtn_sigmas(state, self.position_sigma_m, self.velocity_sigma_m_s),
            p,
            self.envelope,
            self.os_body,
            self.ero_body,
            table.random(self.family).take(rows),
            density=self.density,
            tumble_sigma_rad_s=self.tumble_sigma_rad_s,
            record=0,
            history=False,
            fly=searched,
        )
        captured = np.asarray(result.captured, dtype=bool)
        table.add(
            rows,
            search_start_et=start,
            phasing_days=phasing.start_s / DAY_S,
            plane_change_deg=np.degrees(phasing.plane_angle_rad),
            ero_phasing_delta_v_m_s=phasing.delta_v_m_s,
            captured=captured,
            capture_et=np.where(captured, result.capture_et, np.nan),
            capture_attempts=np.asarray(result.attempts, np.int8),
            rendezvous_delta_v_m_s=result.total_delta_v_m_s + phasing.delta_v_m_s,
            rendezvous_status=np.asarray(result.status, np.int8),
        )
        # an OS released too late for any search before the last useful capture (a MAV
        # that waited for its launch season) is lost to the return, not to the capture
        table.end(rows, ~searched, Failure.MISSED_RETURN)
        table.end(rows, ~captured, Failure.CAPTURE)


def plan_rendezvous(
    scenario: Scenario, ero_orbit: SecularOrbit, capture_deadline_et: float
) -> RendezvousLeg:
    """The coupled rendezvous leg, the ERO waiting in ``ero_orbit`` until the last capture
    that still makes a return."""
    r = scenario.rendezvous
    plan, envelope, os_body, ero_body, density = rendezvous_inputs(scenario)
    return RendezvousLeg(
        plan,
        envelope,
        os_body,
        ero_body,
        density,
        math.radians(r.os_tumble_rate_sigma_deg_s),
        ero_orbit,
        (
            r.release_radial_sigma_km * 1e3,
            r.release_along_track_sigma_km * 1e3,
            r.release_cross_track_sigma_km * 1e3,
        ),
        r.release_velocity_sigma_m_s,
        capture_deadline_et,
    )
