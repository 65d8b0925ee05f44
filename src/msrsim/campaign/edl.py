"""Leg 3: the Sample Retrieval Lander's entry, descent and landing at Jezero.

The SRL's Earth-Mars transfer (the first day of leg 1's launch period) fixes ``v_inf`` at
Mars; :func:`msrsim.segments.approach.target_approach` aims the approach (B-plane angle,
arrival epoch) so that the unguided reference EDL lands on the target; the Apollo
final-phase guidance is designed on that entry (:mod:`msrsim.core.guidance_design`); a
Monte Carlo then flies delivery, density and drag dispersions, guided and, for comparison,
unguided, to touchdown (:mod:`msrsim.segments.edl`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from msrsim.campaign.chain import Failure, TrialTable
from msrsim.campaign.outcomes import LegOutcome, dated
from msrsim.campaign.summaries import approach_summary, percentiles, spread
from msrsim.core.atmosphere.mars import (
    MARS_DENSITY_DISPERSION,
    MARS_WIND_DISPERSION,
    mars_gram_mean_profile,
)
from msrsim.core.bodies import MARS
from msrsim.core.flight import flight_table
from msrsim.core.frames import (
    geodetic_to_cartesian,
    planetocentric_to_planetodetic_latitude,
    planetodetic_to_planetocentric_latitude,
)
from msrsim.core.time import et_to_utc_iso
from msrsim.scenario import EntryDescentLanding, Scenario
from msrsim.segments.approach import (
    Approach,
    Arrival,
    DeliveryErrors,
    EntryTarget,
    arrival_v_infinity,
    delivery_states,
    entry_conditions,
    require_delivery_corridor,
    target_approach,
)
from msrsim.segments.edl import (
    EDL_HARD_LANDING,
    EDL_NO_PROPELLANT,
    Aeroshell,
    BalanceJettison,
    Descent,
    EdlResult,
    GuidanceSettings,
    Parachute,
    TerminalDescent,
    armed_range_trigger,
    design_edl_guidance,
    fly_edl,
    mars_arrival,
    reference_profile,
)
from msrsim.segments.entry import landing_ellipse, local_offsets_m
from msrsim.segments.jezero import (
    JEZERO,
    JezeroMap,
    ellipse_clearance,
    great_circle_km,
    landing_points_deg,
    planetocentric_latitude_deg,
    rim_clearance_km,
)
from msrsim.segments.windows import porkchop, transfer_at

ATMOSPHERE_STEP_M = 500.0
AIM_TOLERANCE_M = 200.0
"""How close each launch day's aimed nominal lands to the target in the coupled campaign:
far inside the kilometres its delivery errors and atmosphere spread the landings."""


@dataclass(frozen=True)
class EdlLegResult:
    """Everything leg 3 produces for one scenario (SI inside)."""

    approach: Approach
    conditions: dict
    nominal: EdlResult
    guided: EdlResult
    unguided: EdlResult
    target: EntryTarget
    guided_miss_m: np.ndarray
    unguided_miss_m: np.ndarray
    seed: int
    heatshield_separation_delay_s: float
    depot_latitude_deg: float
    """Three Forks depot (planetocentric), for the landings' distance to it."""
    depot_longitude_deg: float
    descent_phases: tuple[str, ...] = ("powered_descent",)
    """Names of the powered descent's phases (:meth:`Descent.phase_names`)."""
    region: JezeroMap = JEZERO
    """The landing region whose edge the landings and the ellipse are measured against."""

    @property
    def landing_et(self) -> float:
        """Epoch of the nominal touchdown."""
        return self.approach.entry_et + float(self.nominal.touchdown_time_s[0])


def srl_arrival_transfer(departure_et: float, arrival_et: float, transfer_type: int, max_revs):
    """The Earth-Mars arc of one launch-period day (least C3 among arcs of its type)."""
    chop = porkchop("earth", "mars", [departure_et], [arrival_et], max_revs=max_revs)
    same = np.flatnonzero(chop.transfer_type[0, 0] == transfer_type)
    if same.size == 0:
        raise ValueError("the launch period's transfer type has no arc on its first day")
    slot = int(same[np.nanargmin(chop.c3_m2_s2[0, 0, same])])
    return transfer_at(chop, 0, 0, slot)


def vehicle(scenario: Scenario) -> tuple[Aeroshell, Parachute, Descent]:
    """The scenario's aeroshell, parachute and descent figures in SI."""
    e = scenario.srl.edl
    return (
        Aeroshell(
            e.entry_mass_kg,
            e.aeroshell_diameter_m,
            e.nose_radius_m,
            e.half_angle_deg,
            e.hypersonic_drag_coefficient,
            e.lift_to_drag,
            BalanceJettison(e.balance_mass_kg, e.balance_jettison_speed_m_s)
            if e.balance_mass_kg > 0
            else None,
        ),
        Parachute(
            e.parachute_diameter_m,
            e.parachute_drag_coefficient,
            e.parachute_trigger_speed_m_s,
            e.parachute_max_mach,
            e.parachute_max_dynamic_pressure_pa,
        ),
        Descent(
            e.heatshield_separation_delay_s,
            e.heatshield_mass_kg,
            e.backshell_separation_height_m,
            e.backshell_mass_kg,
            e.descent_thrust_n,
            e.descent_specific_impulse_s,
            e.touchdown_speed_m_s,
            terminal_descent(e),
        ),
    )


def terminal_descent(e: EntryDescentLanding) -> TerminalDescent | None:
    """The scenario's sky crane or legged phases (``None``: the gravity turn to the ground)."""
    if e.terminal_descent == "gravity_turn":
        return None
    return TerminalDescent(
        e.terminal_descent,
        e.constant_velocity_height_m,
        e.constant_velocity_speed_m_s,
        e.final_gate_height_m,
        e.final_deceleration_m_s2,
        e.touchdown_height_m,
        e.descent_propellant_kg,
    )


def descent_dispersions(e: EntryDescentLanding, rng, n: int) -> dict:
    """Per-trial engine thrust and specific-impulse factors and touchdown-speed errors of a
    terminal descent (none for the gravity turn: its draws are not made)."""
    if e.terminal_descent == "gravity_turn":
        return {}
    draw = rng.standard_normal((n, 3))
    return dict(
        thrust_scale=1.0 + e.descent_thrust_sigma_fraction * draw[:, 0],
        isp_scale=1.0 + e.descent_isp_sigma_fraction * draw[:, 1],
        touchdown_speed_error_m_s=e.touchdown_speed_sigma_m_s * draw[:, 2],
    )


@dataclass(frozen=True)
class EdlSetup:
    """What every SRL entry of a scenario shares: the vehicle, the mean atmosphere, the
    target and the arrival the approach is aimed with (picklable)."""

    shell: Aeroshell
    chute: Parachute
    descent: Descent
    profile: object
    """The mean Mars-GRAM profile (:class:`~msrsim.core.atmosphere.TabulatedAtmosphere`)."""
    atmosphere: object
    """Its flight table."""
    bank_rad: float
    target: EntryTarget
    arrival: Arrival
    settings: GuidanceSettings
    delivery: DeliveryErrors
    region: JezeroMap = JEZERO
    """Where a landing counts as safe (:func:`landing_region`)."""


def landing_place(region: JezeroMap) -> str:
    """The timeline's name of where the SRL lands and the MAV leaves: Jezero, or the
    scenario's landing region."""
    return "Jezero" if region == JEZERO else region.landing_site_name


def landing_region(scenario: Scenario) -> JezeroMap:
    """The scenario's landing region (``srl.landing_region``) as a map circle: Jezero's
    rim (:data:`JEZERO`, with Perseverance's landing) when the scenario gives Jezero's
    values (its defaults), else a circle of the given diameter about its centre, with
    the SRL's target as the landing shown in it."""
    r = scenario.srl.landing_region
    here = (r.name, r.latitude_deg, r.east_longitude_deg, r.diameter_km)
    jezero = (JEZERO.crater_latitude_deg, JEZERO.crater_longitude_deg, JEZERO.crater_diameter_km)
    if here == ("Jezero crater", *jezero):
        return JEZERO
    given = (r.provenance(k) for k in ("latitude_deg", "diameter_km"))
    return JezeroMap(
        crater_latitude_deg=r.latitude_deg,
        crater_longitude_deg=r.east_longitude_deg,
        crater_diameter_km=r.diameter_km,
        landing_site_name=r.name,
        landing_latitude_deg=scenario.srl.target.latitude_deg,
        landing_longitude_deg=scenario.srl.target.east_longitude_deg,
        source="; ".join(p.source for p in given if p) or "srl.landing_region",
    )


def edl_setup(scenario: Scenario) -> EdlSetup:
    """The scenario's SRL entry in SI (planetodetic target, as flight and targeting use)."""
    e = scenario.srl.edl
    shell, chute, descent = vehicle(scenario)
    profile = mars_gram_mean_profile(ATMOSPHERE_STEP_M)
    atmosphere = flight_table(profile)
    bank = math.radians(e.reference_bank_deg)
    # the scenario's sites are planetocentric; flight and targeting are planetodetic
    latitude = math.degrees(
        float(
            np.ravel(
                planetocentric_to_planetodetic_latitude(
                    math.radians(scenario.srl.target.latitude_deg), MARS
                )
            )[0]
        )
    )
    target = EntryTarget(
        e.entry_flight_path_angle_deg,
        e.entry_interface_altitude_km * 1e3,
        latitude,
        scenario.srl.target.east_longitude_deg,
        e.ground_altitude_m,
    )
    arrival = mars_arrival(
        shell,
        chute,
        descent,
        atmosphere,
        initial_bank_rad=bank,
        heading_speed_m_s=e.heading_alignment_speed_m_s,
        ground_altitude_m=e.ground_altitude_m,
    )
    settings = GuidanceSettings(
        bank,
        e.heading_alignment_speed_m_s,
        e.guidance_start_g * 9.80665,
        e.overcontrol_gain,
        e.crossrange_deadband_rad_per_m_s,
    )
    sigma_b = e.delivery_b_plane_sigma_km * 1e3
    delivery = DeliveryErrors(sigma_b, sigma_b, e.delivery_time_sigma_s)
    return EdlSetup(
        shell, chute, descent, profile, atmosphere, bank, target, arrival, settings, delivery,
        landing_region(scenario),
    )  # fmt: skip


def aim(
    setup: EdlSetup,
    departure_et: float,
    arrival_et: float,
    transfer_type: int,
    max_revs,
    tolerance_m: float = 20.0,
):
    """The approach of one launch day's transfer, aimed so the nominal lands within
    ``tolerance_m`` of the target."""
    transfer = srl_arrival_transfer(departure_et, arrival_et, transfer_type, max_revs)
    v_inf = arrival_v_infinity(transfer, max_revs, "earth", "mars")
    return target_approach(
        v_inf, transfer.arrival_et, setup.arrival, setup.target, tolerance_m=tolerance_m
    )


def design_guidance(setup: EdlSetup, approach: Approach):
    """The Apollo final-phase guidance designed on ``approach``'s nominal entry."""
    r0, v0 = delivery_states(approach, DeliveryErrors(0.0, 0.0, 0.0), 1, None, setup.arrival)
    return design_edl_guidance(
        setup.shell,
        setup.chute,
        setup.atmosphere,
        r0,
        v0,
        setup.settings,
        setup.target.ground_altitude_m,
    )


def armed_chute(e: EntryDescentLanding, setup: EdlSetup, nominal: EdlResult) -> Parachute:
    """The chute the trials fly: the speed trigger's, or with ``parachute_trigger =
    "range"`` the range trigger armed on the guided nominal (its range to the target at
    its deploy speed)."""
    if e.parachute_trigger == "speed":
        return setup.chute
    t = setup.target
    target_m = geodetic_to_cartesian(
        math.radians(t.latitude_deg),
        math.radians(t.east_longitude_deg),
        t.ground_altitude_m,
        MARS,
    )
    speeds = (e.parachute_range_earliest_speed_m_s, e.parachute_range_latest_speed_m_s)
    return armed_range_trigger(setup.chute, nominal, speeds, target_m)


def dispersed_atmosphere(scenario: Scenario, setup: EdlSetup, atmosphere_rng, wind_rng, n: int):
    """The flight tables of ``n`` dispersed Mars atmospheres: density from
    ``atmosphere_rng``, and winds scaled by ``srl.edl.wind_sigma_scale`` from ``wind_rng``."""
    e = scenario.srl.edl
    profile = setup.profile
    dispersed = flight_table(
        MARS_DENSITY_DISPERSION.apply(profile, atmosphere_rng, n, profile.altitude_m)
    )
    if e.wind_sigma_scale > 0.0:
        east, north = MARS_WIND_DISPERSION.draw(wind_rng, n, profile.altitude_m)
        dispersed = dataclasses.replace(
            dispersed,
            wind_east_m_s=east * e.wind_sigma_scale,
            wind_north_m_s=north * e.wind_sigma_scale,
        )
    return dispersed


def run_edl(
    scenario: Scenario, launch_period, *, trials: int | None = None, seed: int | None = None
) -> EdlLegResult:
    """Target, guide and fly the SRL to the ground, with its landing Monte Carlo."""
    e = scenario.srl.edl
    setup = edl_setup(scenario)
    shell, chute, descent, bank = setup.shell, setup.chute, setup.descent, setup.bank_rad
    target, arrival = setup.target, setup.arrival
    approach = aim(
        setup,
        float(launch_period.daily_departure_et[0]),
        float(launch_period.daily_arrival_et[0]),
        int(launch_period.daily_transfer_type[0]),
        scenario.srl_launch.max_revs,
    )
    _require_corridor(setup, approach)
    r0, v0 = delivery_states(approach, DeliveryErrors(0.0, 0.0, 0.0), 1, None, arrival)
    guidance = design_guidance(setup, approach)
    seed = scenario.scenario.seed if seed is None else seed
    children = np.random.default_rng(seed).spawn(7)
    state_rng, atmosphere_rng, vehicle_rng, wind_rng = children[2:6]
    n = e.trials if trials is None else trials
    r, v = delivery_states(approach, setup.delivery, n, state_rng, arrival)
    dispersed = dispersed_atmosphere(scenario, setup, atmosphere_rng, wind_rng, n)
    cd_scale = 1.0 + e.drag_sigma_fraction * vehicle_rng.standard_normal(n)
    common = dict(initial_bank_rad=bank, ground_altitude_m=e.ground_altitude_m)
    engines = descent_dispersions(e, children[6], n)
    nominal = fly_edl(
        shell, chute, descent, r0, v0, setup.atmosphere, guidance=guidance,
        history_samples=5000, **common,
    )  # fmt: skip
    if e.parachute_trigger == "range":  # armed on that nominal, which it then opens
        chute = armed_chute(e, setup, nominal)
        nominal = fly_edl(
            shell, chute, descent, r0, v0, setup.atmosphere, guidance=guidance,
            history_samples=5000, **common,
        )  # fmt: skip
    guided = fly_edl(
        shell, chute, descent, r, v, dispersed, guidance=guidance, cd_scale=cd_scale, **common,
        **engines,
    )  # fmt: skip
    open_loop = reference_profile(shell, bank, e.heading_alignment_speed_m_s)
    unguided = fly_edl(
        shell, chute, descent, r, v, dispersed, guidance=open_loop, cd_scale=cd_scale, **common,
        **engines,
    )  # fmt: skip
    return EdlLegResult(
        approach,
        entry_conditions(approach, arrival),
        nominal,
        guided,
        unguided,
        target,
        miss_m(guided, target),
        miss_m(unguided, target),
        seed,
        e.heatshield_separation_delay_s,
        scenario.surface.depot.latitude_deg,
        scenario.surface.depot.east_longitude_deg,
        descent.phase_names(),
        setup.region,
    )


def miss_m(flown: EdlResult, target: EntryTarget) -> np.ndarray:
    """Distance of each touchdown from the target (m, local tangent plane)."""
    east, north = local_offsets_m(
        flown.landing_latitude_rad,
        flown.landing_longitude_rad,
        math.radians(target.latitude_deg),
        math.radians(target.east_longitude_deg),
        MARS,
    )
    return np.hypot(east, north)


def summary(result: EdlLegResult) -> dict:
    """A JSON-ready digest in parts of flat ``{quantity_unit: value}``."""
    nominal, guided = result.nominal, result.guided
    landed = guided.landed
    ellipse = landing_ellipse(
        guided.landing_latitude_rad[landed], guided.landing_longitude_rad[landed], body=MARS
    )
    clearance = ellipse_clearance(
        guided, result.region, result.target.latitude_deg, result.target.east_longitude_deg
    )
    lat, lon = landing_points_deg(guided)
    depot_km = great_circle_km(result.depot_latitude_deg, result.depot_longitude_deg, lat, lon)
    a = result.approach
    return {
        "approach": {
            **approach_summary(a),
            **{k: round(v, 4) for k, v in result.conditions.items()},
        },
        "nominal_edl": {
            "parachute_deploy_s": round(float(nominal.entry.time_s[0]), 1),
            "parachute_deploy_mach": round(float(nominal.deploy_mach[0]), 3),
            "parachute_deploy_dynamic_pressure_pa": round(
                float(nominal.deploy_dynamic_pressure_pa[0]), 1
            ),
            "parachute_deploy_height_km": round(float(nominal.deploy_height_m[0]) / 1e3, 2),
            "peak_deceleration_g": round(float(nominal.entry.peak_deceleration_g[0]), 2),
            "peak_convective_heat_flux_w_cm2": round(
                float(nominal.entry.peak_convective_heat_flux_w_m2[0]) / 1e4, 1
            ),
            "bank_reversals": int(nominal.entry.bank_reversals[0]),
            "heatshield_separation_s": round(
                float(nominal.entry.time_s[0]) + result.heatshield_separation_delay_s, 1
            ),
            "backshell_separation_s": round(
                float(nominal.touchdown_time_s[0] - nominal.powered_descent_s[0]), 1
            ),
            "powered_descent_s": round(float(nominal.powered_descent_s[0]), 1),
            **_phases(result.descent_phases, nominal),
            "propellant_kg": round(float(nominal.propellant_kg[0]), 1),
            "touchdown_s": round(float(nominal.touchdown_time_s[0]), 1),
            "touchdown_utc": et_to_utc_iso(result.landing_et)[0][:19],
            "landing_planetocentric_latitude_deg": round(
                math.degrees(
                    float(
                        np.ravel(
                            planetodetic_to_planetocentric_latitude(
                                nominal.landing_latitude_rad[0], MARS
                            )
                        )[0]
                    )
                ),
                5,
            ),
            "landing_east_longitude_deg": round(math.degrees(nominal.landing_longitude_rad[0]), 5),
        },
        "landing_monte_carlo": {
            "trials": int(landed.size),
            "seed": result.seed,
            "landed": int(landed.sum()),
            "deploy_in_box": int(guided.deploy_in_box.sum()),
            "ellipse_99_major_axis_km": round(2 * ellipse.semi_major_m / 1e3, 2),
            "ellipse_99_minor_axis_km": round(2 * ellipse.semi_minor_m / 1e3, 2),
            "ellipse_99_least_rim_clearance_km": round(clearance.ellipse_clearance_km, 2),
            "landings_outside_jezero_rim": int(np.count_nonzero(clearance.point_clearance_km < 0)),
            **spread("miss_guided_km", percentiles(result.guided_miss_m, 1e-3)),
            **spread("miss_unguided_km", percentiles(result.unguided_miss_m, 1e-3)),
            **spread("distance_to_depot_km", percentiles(depot_km)),
            **spread("peak_deceleration_g", percentiles(guided.entry.peak_deceleration_g)),
            **spread(
                "peak_convective_heat_flux_w_cm2",
                percentiles(guided.entry.peak_convective_heat_flux_w_m2, 1e-4, 1),
            ),
            **spread("deploy_mach", percentiles(guided.deploy_mach, 1.0, 3)),
            **spread("deploy_dynamic_pressure_pa", percentiles(guided.deploy_dynamic_pressure_pa)),
            **spread("propellant_kg", percentiles(guided.propellant_kg, 1.0, 1)),
            **(
                {}
                if result.descent_phases == ("powered_descent",)
                else {
                    **spread(
                        "touchdown_speed_m_s",
                        percentiles(guided.touchdown_speed_m_s[landed], 1.0, 3),
                    ),
                    "out_of_propellant": int(np.count_nonzero(guided.status == EDL_NO_PROPELLANT)),
                    "hard_landings": int(np.count_nonzero(guided.status == EDL_HARD_LANDING)),
                }
            ),
        },
    }


def _phases(names: tuple[str, ...], nominal: EdlResult) -> dict:
    """The nominal powered descent's phases (s), when it has more than one."""
    if len(names) == 1:
        return {}
    return {
        **{f"{n}_s": round(float(nominal.descent_phase_s[0, i]), 2) for i, n in enumerate(names)},
        "touchdown_speed_m_s": round(float(nominal.touchdown_speed_m_s[0]), 3),
    }


def run_edl_leg(scenario: Scenario, launch_period, leg):
    """Leg 3 of ``msrsim run``: its outcome, the milestones it dates, the full result."""

    result = run_edl(scenario, launch_period)
    src = "computed: EDL leg (first day of the SRL launch period)"
    milestones = (
        dated("SRL entry interface at Mars", result.approach.entry_et, src),
        dated(f"SRL touchdown at {landing_place(result.region)}", result.landing_et, src),
    )
    return (
        LegOutcome(leg, "modelled (guided entry, parachute, powered descent)", summary(result)),
        milestones,
        result,
    )


@dataclass(frozen=True)
class SrlEdlLeg:
    """Leg 3 of the coupled campaign: each trial's SRL enters on its own launch day's
    approach and flies guided to the ground.

    Planned once: one aimed approach per launch-period day (the day's transfer, B-plane
    targeted so the nominal lands on the target) and the guidance, designed on the first
    day's entry (the other days' entries differ by tens of m/s and a fraction of a degree,
    inside the dispersions it is built to fly). Per trial: the delivery errors (B-plane
    and arrival time) about its day's aim point, its own density and wind profile and drag,
    the guided flight to touchdown. A trial lands safely when it reached the ground inside
    Jezero's rim; its touchdown epoch is its own entry epoch (the day's, plus its arrival
    time error) plus its own flight time.
    """

    family: ClassVar[str] = "srl_edl"
    columns: ClassVar[dict[str, str]] = {
        "srl_entry_et": "f8",
        "touchdown_et": "f8",
        "touchdown_latitude_deg": "f8",
        "touchdown_longitude_deg": "f8",
        "landing_miss_km": "f8",
        "landed_safely": "?",
        "deploy_in_box": "?",
        "deploy_mach": "f8",
        "deploy_dynamic_pressure_pa": "f8",
        "descent_propellant_kg": "f8",
    }
    setup: EdlSetup
    approaches: tuple[Approach, ...]
    guidance: object
    drag_sigma_fraction: float
    wind_sigma_scale: float
    edl: EntryDescentLanding
    """The scenario's EDL section (its terminal-descent dispersions)."""
    chute: Parachute | None = None
    """The chute the trials fly when it is not the setup's (a range trigger, armed)."""

    def fly(self, table: TrialTable) -> None:
        rows = table.flying
        m = rows.size
        rng = table.random(self.family).take(rows)
        state_rng, atmosphere_rng, vehicle_rng, wind_rng, engine_rng = rng.spawn(5)
        day = table.columns["srl_launch_day"][rows].astype(np.int64)
        r, v = np.empty((m, 3)), np.empty((m, 3))
        entry_et = np.empty(m)
        for d in np.unique(day):
            sel = np.flatnonzero(day == d)
            approach = self.approaches[d]
            day_rng = state_rng.take(sel)
            r[sel], v[sel] = delivery_states(
                approach, self.setup.delivery, sel.size, day_rng, self.setup.arrival
            )
            # the arrival-time error delivery_states drew (its third normal), drawn again
            time_error = day_rng.restart().standard_normal((sel.size, 3))[:, 2]
            entry_et[sel] = approach.entry_et + self.setup.delivery.time_s * time_error
        s = self.setup
        atmosphere = flight_table(
            MARS_DENSITY_DISPERSION.apply(s.profile, atmosphere_rng, m, s.profile.altitude_m)
        )
        if self.wind_sigma_scale > 0.0:
            east, north = MARS_WIND_DISPERSION.draw(wind_rng, m, s.profile.altitude_m)
            atmosphere = dataclasses.replace(
                atmosphere,
                wind_east_m_s=east * self.wind_sigma_scale,
                wind_north_m_s=north * self.wind_sigma_scale,
            )
        cd_scale = 1.0 + self.drag_sigma_fraction * vehicle_rng.standard_normal(m)
        flown = fly_edl(
            s.shell, self.chute or s.chute, s.descent, r, v, atmosphere, guidance=self.guidance,
            cd_scale=cd_scale, initial_bank_rad=s.bank_rad,
            ground_altitude_m=s.target.ground_altitude_m,
            **descent_dispersions(self.edl, engine_rng, m),
        )  # fmt: skip
        landed = np.asarray(flown.landed, dtype=bool)
        latitude = planetocentric_latitude_deg(flown.landing_latitude_rad)
        longitude = np.degrees(np.asarray(flown.landing_longitude_rad))
        inside = rim_clearance_km(latitude, longitude, s.region) > 0.0
        safe = landed & inside
        table.add(
            rows,
            srl_entry_et=entry_et,
            touchdown_et=np.where(landed, entry_et + flown.touchdown_time_s, np.nan),
            touchdown_latitude_deg=np.where(landed, latitude, np.nan),
            touchdown_longitude_deg=np.where(landed, longitude, np.nan),
            landing_miss_km=np.where(landed, miss_m(flown, s.target) / 1e3, np.nan),
            landed_safely=safe,
            deploy_in_box=np.asarray(flown.deploy_in_box, dtype=bool),
            deploy_mach=np.asarray(flown.deploy_mach, np.float64),
            deploy_dynamic_pressure_pa=np.asarray(flown.deploy_dynamic_pressure_pa, np.float64),
            descent_propellant_kg=np.asarray(flown.propellant_kg, np.float64),
        )
        table.end(rows, ~safe, Failure.SRL_LANDING)


def _require_corridor(setup: EdlSetup, approach: Approach) -> None:
    require_delivery_corridor(
        approach, setup.delivery, MARS.gm.value, "srl.edl.delivery_b_plane_sigma_km"
    )


def plan_srl_edl(scenario: Scenario, launch_period) -> SrlEdlLeg:
    """The coupled EDL leg: an aimed approach for every day of the SRL's launch period
    (``(period, provenance)``, :func:`msrsim.campaign.schedule.srl_launch_period`)."""
    setup = edl_setup(scenario)
    period = launch_period[0]
    approaches = tuple(
        aim(
            setup,
            float(period.daily_departure_et[d]),
            float(period.daily_arrival_et[d]),
            int(period.daily_transfer_type[d]),
            scenario.srl_launch.max_revs,
            tolerance_m=AIM_TOLERANCE_M,
        )
        for d in range(period.days)
    )
    for approach in approaches:
        _require_corridor(setup, approach)
    e = scenario.srl.edl
    guidance = design_guidance(setup, approaches[0])
    chute = None
    if e.parachute_trigger == "range":  # armed on the first day's guided nominal
        r0, v0 = delivery_states(
            approaches[0], DeliveryErrors(0.0, 0.0, 0.0), 1, None, setup.arrival
        )
        nominal = fly_edl(
            setup.shell, setup.chute, setup.descent, r0, v0, setup.atmosphere,
            guidance=guidance, initial_bank_rad=setup.bank_rad,
            ground_altitude_m=setup.target.ground_altitude_m,
        )  # fmt: skip
        chute = armed_chute(e, setup, nominal)
    return SrlEdlLeg(
        setup, approaches, guidance, e.drag_sigma_fraction, e.wind_sigma_scale, e, chute
    )
