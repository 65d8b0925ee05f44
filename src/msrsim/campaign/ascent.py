"""Leg 5: the Mars Ascent Vehicle puts the Orbiting Sample in orbit.

Reads the scenario's ``mav`` section (motors, stage masses, toss, pitch-programme limits,
dispersions) and the SRL's landing site, converts them to SI once, finds the steering that
reaches the target orbit with the largest margin (:mod:`msrsim.segments.ascent_guidance`),
flies the cold and warm propellant cases and the Monte Carlo
(:mod:`msrsim.segments.ascent`), and hands the rendezvous leg the Orbiting Sample's orbit:
its release epoch, the mean Mars-centred ICRF state and its 6x6 covariance.

The launch epoch: given by the caller (``msrsim run`` passes the surface leg's MAV-ready
epoch), or the nominal surface timeline's MAV-ready sol for a standalone run; on that sol
the MAV leaves at ``mav.launch_local_mean_solar_time_h`` (LMST at the lander).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from msrsim.campaign.chain import Failure, TrialTable
from msrsim.campaign.edl import landing_place, landing_region
from msrsim.campaign.outcomes import LegOutcome, dated
from msrsim.campaign.schedule import plan_schedule
from msrsim.campaign.summaries import percentiles, spread
from msrsim.core.atmosphere.mars import mars_gram_mean_profile
from msrsim.core.bodies import MARS
from msrsim.core.frames import mars_fixed_matrix, planetocentric_to_planetodetic_latitude
from msrsim.core.secular import SecularOrbit
from msrsim.core.solid_motor import SolidMotor
from msrsim.core.time import SOL_S, et_to_utc_iso, local_mean_solar_time_hours
from msrsim.scenario import Scenario
from msrsim.segments.ascent import (
    AscentAtmosphere,
    AscentDispersions,
    AscentMonteCarlo,
    AscentPlan,
    AscentResult,
    AscentVehicle,
    LaunchSite,
    ReleaseOrbits,
    classical_elements,
    delta_v_budget,
    draw_trials,
    fly_ascent,
    nominal_trials,
    release_orbits,
    simulate_ascent,
)
from msrsim.segments.ascent_guidance import (
    AscentDesign,
    AscentTarget,
    PitchLimits,
    design_ascent,
)

ASCENT_LEG = 5  # the spawn key of this leg's random stream under the scenario seed
ATMOSPHERE_STEP_M = 1000.0

DEG = math.pi / 180.0
MODELLED = "modelled (optimised steering, dispersed ascents)"

__all__ = [
    "AscentLegResult",
    "ascent_vehicle",
    "landing_from_edl",
    "launch_epoch",
    "run_ascent",
    "run_ascent_leg",
    "summary",
    "trajectory_rows",
]


@dataclass(frozen=True)
class AscentLegResult:
    """Everything leg 5 produces (SI; epochs in ``et``; frames named)."""

    vehicle: AscentVehicle
    site: LaunchSite
    design: AscentDesign
    cold: AscentResult
    warm: AscentResult
    cold_temperature_c: float
    warm_temperature_c: float
    monte_carlo: AscentMonteCarlo
    orbits: ReleaseOrbits
    release_et: float
    """Epoch of the nominal Orbiting Sample release (every trial's orbit is mapped to it)."""
    state_icrf: np.ndarray
    """(6,) mean Mars-centred ICRF position (m) and velocity (m/s) of the released OS."""
    covariance_icrf: np.ndarray
    """(6, 6) covariance of that state over the flown trials (m, m/s)."""
    nominal_elements: dict[str, float]
    """Osculating elements of the nominal release in MME (Mars mean equator, IAU vector)."""
    min_perigee_altitude_m: float
    probability_stable_orbit: float
    seed: int

    @property
    def launch_et(self) -> float:
        return self.site.et

    @property
    def hand_off(self) -> tuple[float, np.ndarray, np.ndarray]:
        """``(release epoch, mean ICRF state (6,), covariance (6, 6))`` for the rendezvous
        leg (``run_rendezvous(..., os_release=...)``)."""
        return self.release_et, self.state_icrf, self.covariance_icrf


def landing_from_edl(edl) -> tuple[float, float]:
    """Planetocentric latitude and east longitude (deg) of the EDL leg's nominal touchdown
    (:class:`msrsim.campaign.edl.EdlLegResult`), for ``landing_latitude_deg`` and
    ``landing_longitude_deg``."""
    from msrsim.core.frames import planetodetic_to_planetocentric_latitude

    lat = planetodetic_to_planetocentric_latitude(edl.nominal.landing_latitude_rad[0], MARS)
    return math.degrees(float(np.ravel(lat)[0])), math.degrees(
        float(edl.nominal.landing_longitude_rad[0])
    )


def ascent_vehicle(scenario: Scenario) -> AscentVehicle:
    """The scenario's MAV in SI."""
    mav = scenario.mav

    def motor(name, m):
        return SolidMotor(
            name,
            m.propellant_mass_kg,
            m.inert_mass_kg,
            m.vacuum_specific_impulse_s,
            m.burn_time_s,
            m.thrust_curve,
            m.nozzle_exit_diameter_m,
            m.exit_pressure_kpa * 1e3,
            m.burn_rate_exponent,
            m.temperature_sensitivity_per_k,
            m.reference_temperature_c,
        )

    return AscentVehicle(
        motor("SRM1", mav.srm1),
        motor("SRM2", mav.srm2),
        mav.stage1_structure_mass_kg,
        mav.stage2_structure_mass_kg,
        mav.payload_mass_kg,
        mav.diameter_m,
        stages=mav.stages,
    )


def base_plan(scenario: Scenario) -> AscentPlan:
    """The fixed part of the sequence and a starting steering for the optimiser."""
    mav, g = scenario.mav, scenario.mav.guidance
    return AscentPlan(
        toss_speed_m_s=mav.toss.speed_m_s,
        toss_to_ignition_s=mav.toss.ignition_delay_s,
        vertical_rise_s=g.vertical_rise_s,
        pitch_over_s=g.pitch_over_s,
        pitch_kick_rad=min(15.0, g.pitch_kick_max_deg) * DEG,
        burnout_elevation_rad=float(
            np.clip(15.0, g.burnout_elevation_min_deg, g.burnout_elevation_max_deg)
        )
        * DEG,
        launch_azimuth_rad=math.pi / 2,
        coast_s=float(np.clip(400.0, g.coast_min_s, g.coast_max_s)),
        srm2_pitch_rad=0.0,
        srm2_yaw_rad=0.0,
        srm2_load_fraction=1.0,
        release_delay_s=g.release_delay_s,
    )


def pitch_limits(scenario: Scenario) -> PitchLimits:
    g = scenario.mav.guidance
    return PitchLimits(
        pitch_kick_rad=(1.0 * DEG, g.pitch_kick_max_deg * DEG),
        burnout_elevation_rad=(
            g.burnout_elevation_min_deg * DEG,
            g.burnout_elevation_max_deg * DEG,
        ),
        coast_s=(g.coast_min_s, g.coast_max_s),
        srm2_pitch_rad=(-g.srm2_attitude_max_deg * DEG, g.srm2_attitude_max_deg * DEG),
        srm2_yaw_rad=(-g.srm2_attitude_max_deg * DEG, g.srm2_attitude_max_deg * DEG),
    )


def ascent_dispersions(scenario: Scenario) -> AscentDispersions:
    mav, d = scenario.mav, scenario.mav.dispersions
    return AscentDispersions(
        temperature_range_c=(mav.min_propellant_temperature_c, d.propellant_temperature_max_c),
        isp_sigma_fraction=d.isp_sigma_fraction,
        burn_time_sigma_fraction=d.burn_time_sigma_fraction,
        mass_sigma_fraction=d.mass_sigma_fraction,
        drag_sigma_fraction=d.drag_sigma_fraction,
        density_sigma_scale=d.density_sigma_scale,
        wind_sigma_scale=d.wind_sigma_scale,
        toss_speed_sigma_m_s=d.toss_speed_sigma_m_s,
        srm1_pointing_sigma_rad=d.srm1_pointing_sigma_deg * DEG,
        srm2_pointing_sigma_rad=d.srm2_pointing_sigma_deg * DEG,
    )


def launch_epoch(
    scenario: Scenario, mav_ready_et: float | None = None, east_longitude_deg: float | None = None
) -> float:
    """The toss: the first time at or after ``mav_ready_et`` (default: the nominal surface
    timeline's MAV-ready epoch, else a sol before the schedule's MAV launch deadline, and
    not before the schedule's earliest MAV launch) when the lander's local mean solar time
    is ``mav.launch_local_mean_solar_time_h``."""
    if mav_ready_et is None or not math.isfinite(mav_ready_et):
        from msrsim.campaign.surface import surface_plan
        from msrsim.segments.surface import surface_timeline

        schedule = plan_schedule(scenario)
        ready = surface_timeline(surface_plan(scenario)).mav_ready_et
        if ready is None or not math.isfinite(ready):
            ready = schedule.mav_launch_deadline_et - SOL_S
        mav_ready_et = max(float(ready), schedule.mav_launch_earliest_et)
    lon = (
        scenario.srl.target.east_longitude_deg if east_longitude_deg is None else east_longitude_deg
    )
    now = float(local_mean_solar_time_hours(mav_ready_et, lon)[0])
    wait_h = (scenario.mav.launch_local_mean_solar_time_h - now) % 24.0
    return mav_ready_et + wait_h / 24.0 * SOL_S


def launch_site(
    scenario: Scenario,
    et: float,
    latitude_deg: float | None = None,
    east_longitude_deg: float | None = None,
) -> LaunchSite:
    """The lander's pad (planetocentric latitude in, planetodetic for the flight)."""
    lat_c = scenario.srl.target.latitude_deg if latitude_deg is None else latitude_deg
    lon = (
        scenario.srl.target.east_longitude_deg if east_longitude_deg is None else east_longitude_deg
    )
    lat_d = float(np.ravel(planetocentric_to_planetodetic_latitude(math.radians(lat_c), MARS))[0])
    return LaunchSite(lat_d, math.radians(lon), scenario.srl.edl.ground_altitude_m, et)


def _temperature_case(vehicle, plan, site, atmosphere, temperature_c) -> AscentResult:
    trials = nominal_trials(vehicle, plan)
    trials = type(trials)(
        **{
            **trials.__dict__,
            "srm1_temperature_c": np.array([temperature_c]),
            "srm2_temperature_c": np.array([temperature_c]),
        }
    )
    return fly_ascent(vehicle, plan, site, atmosphere, trials, history_trajectories=1)


def run_ascent(
    scenario: Scenario,
    *,
    trials: int | None = None,
    seed: int | None = None,
    launch_et: float | None = None,
    mav_ready_et: float | None = None,
    landing_latitude_deg: float | None = None,
    landing_longitude_deg: float | None = None,
    progress=None,
) -> AscentLegResult:
    """Design the ascent, fly the temperature cases and the Monte Carlo.

    ``launch_et`` fixes the toss epoch; otherwise it follows from ``mav_ready_et``
    (:func:`launch_epoch`). ``landing_latitude_deg`` (planetocentric) and
    ``landing_longitude_deg`` replace the scenario's SRL target (e.g. the EDL leg's
    touchdown).

    Raises
    ------
    ValueError
        When the MAV cannot reach the target orbit (the message names the misses).
    """
    mav = scenario.mav
    if launch_et is None:
        launch_et = launch_epoch(scenario, mav_ready_et, landing_longitude_deg)
    site = launch_site(scenario, launch_et, landing_latitude_deg, landing_longitude_deg)
    vehicle = ascent_vehicle(scenario)
    profile = mars_gram_mean_profile(ATMOSPHERE_STEP_M)
    atmosphere = AscentAtmosphere.from_table(profile)
    target = AscentTarget(
        mav.target_orbit_altitude_km * 1e3, mav.target_orbit_inclination_deg * DEG
    )
    design = design_ascent(
        vehicle, site, atmosphere, target, base_plan(scenario), pitch_limits(scenario)
    )
    plan = design.plan
    low, high = mav.min_propellant_temperature_c, mav.dispersions.propellant_temperature_max_c
    cold = _temperature_case(vehicle, plan, site, atmosphere, low)
    warm = _temperature_case(vehicle, plan, site, atmosphere, high)
    seed = scenario.scenario.seed if seed is None else seed
    n = mav.trials if trials is None else trials
    sequence = np.random.SeedSequence(seed, spawn_key=(ASCENT_LEG,))
    mc = simulate_ascent(
        vehicle, plan, site, profile, ascent_dispersions(scenario), n, sequence, progress=progress
    )
    release_et = site.et + float(design.nominal.release_time_s[0])
    orbits = release_orbits(mc.result, release_et)
    flown = orbits.flown
    states = orbits.state_icrf[flown]
    mean = states.mean(axis=0) if states.size else np.full(6, np.nan)
    covariance = np.cov(states, rowvar=False) if states.shape[0] > 1 else np.full((6, 6), np.nan)
    nominal = release_orbits(design.nominal, release_et)
    stable = flown & (orbits.periapsis_altitude_m >= mav.min_perigee_altitude_km * 1e3)
    return AscentLegResult(
        vehicle,
        site,
        design,
        cold,
        warm,
        low,
        high,
        mc,
        orbits,
        release_et,
        mean,
        covariance,
        {k: float(v[0]) for k, v in nominal.elements_mme.items()},
        mav.min_perigee_altitude_km * 1e3,
        float(np.mean(stable)),
        seed,
    )


def _orbit_of(result: AscentResult, radius: float) -> dict:
    el = classical_elements(result.position_m, result.velocity_m_s)
    return {
        "periapsis_altitude_km": round(float(el["periapsis_radius_m"][0] - radius) / 1e3, 2),
        "apoapsis_altitude_km": round(float(el["apoapsis_radius_m"][0] - radius) / 1e3, 2),
        "semi_major_axis_km": round(float(el["semi_major_axis_m"][0]) / 1e3, 3),
        "eccentricity": round(float(el["eccentricity"][0]), 5),
        "inclination_deg": round(math.degrees(float(el["inclination_rad"][0])), 4),
    }


def _wrapped_deg(angle_rad: np.ndarray, about_rad: float) -> np.ndarray:
    return np.degrees(np.angle(np.exp(1j * (angle_rad - about_rad)))) + math.degrees(about_rad)


def summary(result: AscentLegResult) -> dict:
    """A JSON-ready digest in parts of flat ``{quantity_unit: value}``."""
    d, v = result.design, result.vehicle
    nominal = d.nominal
    radius = d.target.reference_radius_m
    budget = {k: float(x[0]) for k, x in delta_v_budget(nominal).items()}
    events = nominal.event_time_s[0]
    plan = d.plan
    mc = result.monte_carlo.result
    el = result.orbits.elements_mme
    flown = result.orbits.flown
    node0 = result.nominal_elements["raan_rad"]
    hp, ha = result.orbits.periapsis_altitude_m[flown], result.orbits.apoapsis_altitude_m[flown]
    sigma = np.sqrt(np.diag(result.covariance_icrf))
    parts = {
        "vehicle": {
            "liftoff_mass_kg": round(v.flown_liftoff_mass_kg(plan.srm2_load_fraction), 1),
            "full_load_liftoff_mass_kg": round(v.liftoff_mass_kg, 1),
            "stages": v.stages,
            "srm2_propellant_loaded_kg": round(
                v.srm2.propellant_mass_kg * plan.srm2_load_fraction, 2
            ),
            "ideal_delta_v_full_load_m_s": round(v.ideal_delta_v_m_s(), 1),
            "margin_srm2_propellant_kg": round(d.margin_propellant_kg, 2),
            "margin_delta_v_m_s": round(d.margin_delta_v_m_s, 1),
        },
        "nominal_ascent": {
            "launch_utc": et_to_utc_iso(result.launch_et)[0][:19],
            "launch_azimuth_deg": round(math.degrees(plan.launch_azimuth_rad), 3),
            "launch_azimuth_eq_2_deg": round(math.degrees(d.azimuth_rotating_rad), 3),
            "pitch_kick_deg": round(math.degrees(plan.pitch_kick_rad), 3),
            "burnout_elevation_deg": round(math.degrees(plan.burnout_elevation_rad), 3),
            "srm1_burnout_s": round(float(events[2]), 2),
            "coast_s": round(plan.coast_s, 2),
            "srm2_pitch_deg": round(math.degrees(plan.srm2_pitch_rad), 3),
            "srm2_yaw_deg": round(math.degrees(plan.srm2_yaw_rad), 3),
            "srm2_burnout_s": round(float(events[4]), 2),
            "release_s": round(float(events[5]), 2),
            "release_utc": et_to_utc_iso(result.release_et)[0][:19],
            "max_dynamic_pressure_kpa": round(float(nominal.max_dynamic_pressure_pa[0]) / 1e3, 3),
            "max_acceleration_g": round(float(nominal.max_acceleration_m_s2[0]) / 9.80665, 2),
            "target_altitude_km": round(d.target.altitude_m / 1e3, 2),
            "target_inclination_deg": round(math.degrees(d.target.inclination_rad), 3),
            **_orbit_of(nominal, radius),
            "raan_mme_deg": round(math.degrees(node0), 3),
            "optimiser_evaluations": d.evaluations,
        },
        "delta_v_budget_m_s": {
            **{k: round(x, 2) for k, x in budget.items() if k != "closure"},
            "closure": float(f"{budget['closure']:.3g}"),
        },
        "propellant_temperature": {
            "cold_c": result.cold_temperature_c,
            **{f"cold_{k}": x for k, x in _orbit_of(result.cold, radius).items()},
            "warm_c": result.warm_temperature_c,
            **{f"warm_{k}": x for k, x in _orbit_of(result.warm, radius).items()},
        },
        "monte_carlo": {
            "trials": int(flown.size),
            "seed": result.seed,
            "flown_to_release": int(flown.sum()),
            "probability_stable_orbit": round(result.probability_stable_orbit, 4),
            "min_perigee_altitude_km": round(result.min_perigee_altitude_m / 1e3, 1),
            "semi_major_axis_sigma_km": round(
                float(np.std(el["semi_major_axis_m"][flown])) / 1e3, 3
            ),
            "eccentricity_sigma": round(float(np.std(el["eccentricity"][flown])), 5),
            "inclination_sigma_deg": round(
                float(np.degrees(np.std(el["inclination_rad"][flown]))), 4
            ),
            "raan_sigma_deg": round(float(np.std(_wrapped_deg(el["raan_rad"][flown], node0))), 4),
            **spread("periapsis_altitude_km", percentiles(hp, 1e-3)),
            **spread("apoapsis_altitude_km", percentiles(ha, 1e-3)),
            **spread(
                "inclination_deg", percentiles(np.degrees(el["inclination_rad"][flown]), 1, 3)
            ),
            "position_sigma_icrf_km": [round(float(s) / 1e3, 3) for s in sigma[:3]],
            "velocity_sigma_icrf_m_s": [round(float(s), 3) for s in sigma[3:]],
            **spread("max_dynamic_pressure_kpa", percentiles(mc.max_dynamic_pressure_pa, 1e-3, 3)),
        },
    }
    return parts


def trajectory_rows(result: AscentLegResult, coast_every_s: float = 60.0) -> list[dict]:
    """The nominal trajectory as JSON-ready rows: every event, every ~5 s of the burns and
    every ``coast_every_s`` of the coast (time since the toss, altitude above the ellipsoid,
    inertial speed, air speed, Mach, dynamic pressure, inertial flight-path angle, thrust,
    mass)."""
    from msrsim.segments.ascent import HISTORY_COLUMNS, PHASE_NAMES

    col = {name: i for i, name in enumerate(HISTORY_COLUMNS)}
    rows = result.design.nominal.history[0]
    rows = rows[np.isfinite(rows[:, 0])]
    t = rows[:, col["time_s"]]
    phase = rows[:, col["phase"]].astype(int)
    keep = np.zeros(t.size, bool)
    keep[[0, -1]] = True
    keep[1:] |= phase[1:] != phase[:-1]  # the first row of each phase
    keep[:-1] |= phase[1:] != phase[:-1]  # and the last
    for p, every in ((1, 5.0), (2, coast_every_s), (3, 5.0)):
        inside = np.flatnonzero(phase == p)
        if inside.size:
            marks = np.floor((t[inside] - t[inside[0]]) / every)
            keep[inside[np.r_[True, np.diff(marks) > 0]]] = True
    out = []
    for row in rows[keep]:
        speed = float(np.linalg.norm(row[[col["vx_m_s"], col["vy_m_s"], col["vz_m_s"]]]))
        out.append(
            {
                "time_s": round(float(row[col["time_s"]]), 2),
                "phase": PHASE_NAMES[int(row[col["phase"]])],
                "altitude_km": round(float(row[col["altitude_m"]]) / 1e3, 3),
                "speed_m_s": round(speed, 2),
                "air_speed_m_s": round(float(row[col["air_speed_m_s"]]), 2),
                "mach": round(float(row[col["mach"]]), 3),
                "dynamic_pressure_pa": round(float(row[col["dynamic_pressure_pa"]]), 1),
                "flight_path_angle_deg": round(
                    math.degrees(float(row[col["flight_path_angle_rad"]])), 3
                ),
                "thrust_n": round(float(row[col["thrust_n"]]), 1),
                "mass_kg": round(float(row[col["mass_kg"]]), 3),
            }
        )
    return out


def run_ascent_leg(
    scenario: Scenario,
    leg,
    *,
    mav_ready_et: float | None = None,
    landing_latitude_deg: float | None = None,
    landing_longitude_deg: float | None = None,
    launch_et: float | None = None,
    trials: int | None = None,
):
    """Leg 5 of ``msrsim run``: its outcome, the milestones it dates, the full result."""

    result = run_ascent(
        scenario,
        trials=trials,
        launch_et=launch_et,
        mav_ready_et=mav_ready_et,
        landing_latitude_deg=landing_latitude_deg,
        landing_longitude_deg=landing_longitude_deg,
    )
    src = "computed: ascent leg (nominal)"
    milestones = (
        dated(f"MAV launch from {landing_place(landing_region(scenario))}", result.launch_et, src),
        dated("Orbiting Sample released in Mars orbit", result.release_et, src),
    )
    return LegOutcome(leg, MODELLED, summary(result)), milestones, result


_MAX_PASSES = 400
"""In-plane passes searched for one in the local-time window (a pass comes ~0.97 sol
after the last, ~40 min earlier in local time: every local time within ~40 passes)."""


def _node(normal: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """Node (rad) of orbit normals (n, 3) ICRF in an equatorial ``frame``."""
    h = normal @ frame.T
    return np.arctan2(h[:, 0], -h[:, 1])


def _rotate_z(vectors: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Each row of (n, 3) turned by ``angle`` (n,) about z."""
    c, s = np.cos(angle), np.sin(angle)
    x, y = vectors[:, 0], vectors[:, 1]
    return np.stack([c * x - s * y, s * x + c * y, vectors[:, 2]], axis=1)


@dataclass(frozen=True)
class AscentLeg:
    """Leg 5 of the coupled campaign: each trial's MAV launches from its own lander into
    the ERO's orbital plane, with its own dispersions.

    **When.** From the trial's MAV-ready epoch (not before the schedule's earliest
    launch), the MAV waits for the first pass of its site under the ERO's plane (the
    ERO's node drifts ~9 deg a day under J2: :class:`~msrsim.core.secular.SecularOrbit`)
    that falls within
    ``mav.launch_local_time_tolerance_h`` of ``mav.launch_local_mean_solar_time_h`` at the
    lander: the designed ascent (one steering, optimised once for the target orbit) then
    puts the Orbiting Sample in the ERO's plane, up to its dispersions. A launch into
    another plane would need hundreds of m/s of plane change per degree-day of node drift.

    **Where.** The ascent is flown in the Mars-fixed frame of the toss (MCI0); a trial's
    lander, east of the target by ``dlon``, turns its trajectory by ``dlon`` about the
    pole (exact on a rotationally symmetric Mars with a 1-D atmosphere). Its latitude
    offset (km, a few hundredths of a degree of launch azimuth) is neglected. Each trial's
    released state goes to ICRF through Mars's orientation at its own toss epoch.

    A trial's Orbiting Sample is in a stable orbit when the ascent flew to release and its
    periapsis is above ``mav.min_perigee_altitude_km``.
    """

    family: ClassVar[str] = "ascent"
    columns: ClassVar[dict[str, str]] = {
        "mav_launch_et": "f8",
        "os_release_et": "f8",
        "os_periapsis_altitude_km": "f8",
        "os_apoapsis_altitude_km": "f8",
        "os_inclination_deg": "f8",
        "stable_orbit": "?",
        **{f"os_r{k}_m": "f8" for k in range(3)},
        **{f"os_v{k}_m_s": "f8" for k in range(3)},
    }
    vehicle: AscentVehicle
    plan: AscentPlan
    site: LaunchSite
    profile: object
    dispersions: AscentDispersions
    release_normal_fixed: np.ndarray
    """Unit orbit normal of the designed ascent's release, in the Mars-fixed frame of the
    toss (MCI0)."""
    ero_orbit: SecularOrbit
    launch_lmst_h: float
    lmst_tolerance_h: float
    min_perigee_altitude_m: float
    earliest_launch_et: float = -math.inf
    """No launch before the ERO is ready for it (the schedule's ``mav_launch_earliest_et``)."""

    def in_plane_launch(self, ready_et: np.ndarray, longitude_deg: np.ndarray) -> np.ndarray:
        """The first in-plane launch at or after ``ready_et`` inside the local-time window."""
        orbit, frame = self.ero_orbit, self.ero_orbit.frame
        spin = MARS.rotation_rate.value - orbit.raan_rate_rad_s  # relative node rate
        shift = np.radians(longitude_deg) - self.site.longitude_rad
        normal = _rotate_z(np.tile(self.release_normal_fixed, (ready_et.size, 1)), shift)

        def gap(et):  # the ERO's node less the OS's, had it launched at et
            to_icrf = np.transpose(mars_fixed_matrix(et), (0, 2, 1))
            return orbit.raan_at(et) - _node(np.einsum("nij,nj->ni", to_icrf, normal), frame)

        et = ready_et + np.mod(gap(ready_et), 2.0 * np.pi) / spin
        for _ in range(2):  # Newton on the node gap (the pole's motion is second order)
            et = et + np.angle(np.exp(1j * gap(et))) / spin
        # local mean solar time runs at 24 h a sol (Mars24: linear in TT), so the passes'
        # local times follow from the first's: take the first inside the window
        period = 2.0 * np.pi / spin
        passes = np.arange(_MAX_PASSES)
        lmst = local_mean_solar_time_hours(et, longitude_deg)[:, None] + 24.0 * passes * (
            period / SOL_S
        )
        off = np.abs((lmst - self.launch_lmst_h + 12.0) % 24.0 - 12.0)
        et = et + period * np.argmax(off <= self.lmst_tolerance_h, axis=1)
        return et + np.angle(np.exp(1j * gap(et))) / spin

    def fly(self, table: TrialTable) -> None:
        rows = table.flying
        m = rows.size
        rng = table.random(self.family).take(rows)
        c = table.columns
        longitude = c["touchdown_longitude_deg"][rows]
        ready = np.maximum(c["mav_ready_et"][rows], self.earliest_launch_et)
        launch_et = self.in_plane_launch(ready, longitude)
        trials, atmosphere = draw_trials(self.dispersions, self.plan, self.profile, rng.spawn(4), m)
        result = fly_ascent(self.vehicle, self.plan, self.site, atmosphere, trials)
        shift = np.radians(longitude) - self.site.longitude_rad
        to_icrf = np.transpose(mars_fixed_matrix(launch_et), (0, 2, 1))
        r = np.einsum("nij,nj->ni", to_icrf, _rotate_z(result.position_m, shift))
        v = np.einsum("nij,nj->ni", to_icrf, _rotate_z(result.velocity_m_s, shift))
        elements = classical_elements(r @ self.ero_orbit.frame.T, v @ self.ero_orbit.frame.T)
        periapsis = elements["periapsis_radius_m"] - MARS.mean_radius.value
        flown = np.asarray(result.flown, dtype=bool)
        stable = flown & (periapsis >= self.min_perigee_altitude_m)
        keep = np.where(flown, 1.0, np.nan)
        table.add(
            rows,
            mav_launch_et=launch_et,
            os_release_et=launch_et + result.release_time_s * keep,
            os_periapsis_altitude_km=periapsis / 1e3 * keep,
            os_apoapsis_altitude_km=(elements["apoapsis_radius_m"] - MARS.mean_radius.value)
            / 1e3
            * keep,
            os_inclination_deg=np.degrees(elements["inclination_rad"]) * keep,
            stable_orbit=stable,
        )
        for k in range(3):
            table.add(rows, **{f"os_r{k}_m": r[:, k] * keep, f"os_v{k}_m_s": v[:, k] * keep})
        table.end(rows, ~stable, Failure.OS_ORBIT)


def plan_ascent(scenario: Scenario, schedule, ero_orbit: SecularOrbit) -> AscentLeg:
    """The coupled ascent leg: the steering designed once at the target site, launched
    into ``ero_orbit``'s plane (:func:`msrsim.campaign.plan.ero_waiting_orbit`)."""
    mav = scenario.mav
    spin = MARS.rotation_rate.value - ero_orbit.raan_rate_rad_s
    shift_h = abs((24.0 * (2.0 * math.pi / spin) / SOL_S + 12.0) % 24.0 - 12.0)
    if mav.launch_local_time_tolerance_h < shift_h / 2:
        raise ValueError(
            f"mav.launch_local_time_tolerance_h = {mav.launch_local_time_tolerance_h}: must be "
            f"at least {shift_h / 2:.2f} h (half the {shift_h:.2f} h that each in-plane pass "
            "moves in local time), or the MAV may never find its launch"
        )
    site = launch_site(scenario, ero_orbit.epoch_et)
    vehicle = ascent_vehicle(scenario)
    profile = mars_gram_mean_profile(ATMOSPHERE_STEP_M)
    target = AscentTarget(
        mav.target_orbit_altitude_km * 1e3, mav.target_orbit_inclination_deg * DEG
    )
    design = design_ascent(
        vehicle,
        site,
        AscentAtmosphere.from_table(profile),
        target,
        base_plan(scenario),
        pitch_limits(scenario),
    )
    nominal = design.nominal
    normal = np.cross(nominal.position_m[0], nominal.velocity_m_s[0])
    return AscentLeg(
        vehicle,
        design.plan,
        site,
        profile,
        ascent_dispersions(scenario),
        normal / np.linalg.norm(normal),
        ero_orbit,
        mav.launch_local_mean_solar_time_h,
        mav.launch_local_time_tolerance_h,
        mav.min_perigee_altitude_km * 1e3,
        schedule.mav_launch_earliest_et,
    )
