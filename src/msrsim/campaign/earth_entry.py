"""Legs 9 and 10: Earth approach, capsule release, orbiter divert, entry and landing.

Joins :mod:`msrsim.segments.approach` (B-plane targeting, release, divert) and
:mod:`msrsim.segments.entry` (the flight to the ground, the footprint Monte Carlo) on the
scenario's return (the ERO's electric return cruise, or a ballistic arc of the return
window), Earth Entry System and landing range.
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
from msrsim.core.atmosphere import WindDispersion
from msrsim.core.atmosphere.earth import EARTH_WIND_DISPERSION
from msrsim.core.bodies import EARTH
from msrsim.core.flight import flight_table
from msrsim.core.time import et_to_utc_iso
from msrsim.scenario import Scenario
from msrsim.segments.approach import (
    MU_EARTH,
    Approach,
    Arrival,
    DeliveryErrors,
    Divert,
    DivertErrors,
    EntryTarget,
    ImpactRisk,
    arrival_v_infinity,
    delivery_states,
    earth_arrival,
    entry_conditions,
    orbiter_impact_risk,
    plan_divert,
    require_delivery_corridor,
    target_approach,
)
from msrsim.segments.entry import (
    Capsule,
    Footprint,
    VehicleDispersions,
    entry_atmosphere,
    fly_dispersed,
    footprint,
)
from msrsim.segments.landing_range import LandingRange, landing_range
from msrsim.segments.windows import Transfer

DIVERT_TRIALS = 100_000


@dataclass(frozen=True)
class EntryOverrides:
    """Capsule and entry figures set directly (command line), in place of the scenario's."""

    diameter_m: float | None = None
    nose_radius_m: float | None = None
    half_angle_deg: float | None = None
    mass_kg: float | None = None
    subsonic_drag_coefficient: float | None = None
    entry_speed_m_s: float | None = None
    flight_path_angle_deg: float | None = None
    entry_altitude_km: float | None = None


@dataclass(frozen=True)
class ReturnArrival:
    """How the ERO arrives at Earth: the epoch and the hyperbolic excess velocity."""

    arrival_et: float
    v_infinity_m_s: np.ndarray
    """Excess velocity at Earth, ICRF axes (m/s)."""
    source: str
    """Which return arc it comes from (reported as the legs' status)."""
    departure_et: float | None = None
    """When the return arc leaves Mars (the capsule's release must follow it)."""


def ballistic_return(transfer: Transfer, max_revs: int) -> ReturnArrival:
    """The arrival of a ballistic (Lambert) return arc of the return window."""
    v_inf = arrival_v_infinity(transfer, max_revs)
    return ReturnArrival(
        transfer.arrival_et, v_inf, "ballistic return arc", departure_et=transfer.departure_et
    )


@dataclass(frozen=True)
class EarthEntryResult:
    """Everything the approach and entry legs produce for one scenario."""

    arrival: ReturnArrival
    capsule: Capsule
    target: EntryTarget
    approach: Approach
    conditions: dict
    divert: Divert
    impact_risk: ImpactRisk
    footprint: Footprint
    landing_range: LandingRange
    inside_range: np.ndarray
    atmosphere_source: str
    seed: int
    published: dict
    """Published figures to compare with: touchdown speed, time from entry to ground."""
    delivery: DeliveryErrors | None = None
    """The capsule's 1-sigma delivery errors the footprint was flown with."""


def capsule_of(scenario: Scenario, overrides: EntryOverrides = EntryOverrides()) -> Capsule:
    """The scenario's Earth Entry System, with any figure overridden."""
    ees = scenario.ees

    def pick(name, default):
        value = getattr(overrides, name)
        return default if value is None else value

    return Capsule(
        mass_kg=pick("mass_kg", ees.mass_kg),
        diameter_m=pick("diameter_m", ees.diameter_m),
        nose_radius_m=pick("nose_radius_m", ees.nose_radius_m),
        half_angle_deg=pick("half_angle_deg", ees.half_angle_deg),
        subsonic_cd=pick("subsonic_drag_coefficient", ees.subsonic_drag_coefficient),
    )


def _v_infinity(v_inf: np.ndarray, target: EntryTarget, speed):
    """The arrival ``v_inf`` (ICRF), rescaled to an entry speed when one is set."""
    if speed is None:
        return v_inf
    radius = EARTH.equatorial_radius.value + target.interface_altitude_m
    excess2 = speed**2 - 2.0 * MU_EARTH / radius
    if excess2 <= 0.0:
        raise ValueError(
            f"entry speed {speed:.0f} m/s is below the escape speed at the interface "
            f"({math.sqrt(2 * MU_EARTH / radius):.0f} m/s): the approach must be hyperbolic"
        )
    return v_inf / np.linalg.norm(v_inf) * math.sqrt(excess2)


WIND_PROFILE_MAX_BYTES = 16 << 20
"""A wind profile's largest size (a level every metre to 300 km is ~10 MB)."""


def read_wind_profile(path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A mean wind profile from a CSV of ``altitude_km,east_m_s,north_m_s`` rows (SI out).

    Raises ValueError naming the file and the problem.
    """
    import csv

    from msrsim.core.resources import read_text_file

    columns = ("altitude_km", "east_m_s", "north_m_s")
    text = read_text_file(path, max_bytes=WIND_PROFILE_MAX_BYTES, what="wind profile")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    try:
        rows = list(csv.DictReader(lines))
    except csv.Error as exc:
        raise ValueError(f"{path}: not a CSV file ({exc})") from None
    if not rows or any(c not in rows[0] for c in columns):
        raise ValueError(f"{path}: needs the columns {', '.join(columns)}")
    try:
        values = np.array([[float(row[c]) for c in columns] for row in rows])
    except (TypeError, ValueError):
        raise ValueError(f"{path}: every value must be a number") from None
    if not np.all(np.isfinite(values)) or np.any(np.diff(values[:, 0]) <= 0):
        raise ValueError(f"{path}: altitudes must ascend and every value be finite")
    if np.any(np.abs(values[:, 0]) > 1000.0) or np.any(np.abs(values[:, 1:]) > 500.0):
        raise ValueError(
            f"{path}: altitude_km must lie within +-1000 km and east_m_s, north_m_s within "
            "+-500 m/s (the strongest jet streams blow at ~100 m/s)"
        )
    return values[:, 0] * 1e3, values[:, 1], values[:, 2]


def entry_target(scenario: Scenario, overrides: EntryOverrides = EntryOverrides()) -> EntryTarget:
    """The capsule's entry angle and interface altitude, and the landing target."""
    ees = scenario.ees
    return EntryTarget(
        flight_path_angle_deg=(
            overrides.flight_path_angle_deg
            if overrides.flight_path_angle_deg is not None
            else ees.entry_flight_path_angle_deg
        ),
        interface_altitude_m=1e3
        * (
            overrides.entry_altitude_km
            if overrides.entry_altitude_km is not None
            else ees.entry_interface_altitude_km
        ),
        latitude_deg=ees.landing_latitude_deg,
        east_longitude_deg=ees.landing_east_longitude_deg,
        ground_altitude_m=ees.landing_ground_altitude_m,
    )


def aim_capsule(atmosphere_model: str, capsule: Capsule, target: EntryTarget, v_inf,
                arrival_et: float, wind_profile=None):  # fmt: skip
    """The approach aimed so the nominal capsule lands on ``target``, the arrival it was
    aimed with and the atmosphere of the entry's date and place (aimed through the
    atmosphere of the nominal arrival, then again through that of the entry epoch found)."""
    entry_et = arrival_et
    for _ in range(2):
        atmosphere = entry_atmosphere(
            atmosphere_model,
            entry_et,
            target.latitude_deg,
            target.east_longitude_deg,
            wind_profile=wind_profile,
        )
        arrival = earth_arrival(capsule, flight_table(atmosphere), target.ground_altitude_m)
        approach = target_approach(v_inf, arrival_et, arrival, target)
        entry_et = approach.entry_et
    return approach, arrival, atmosphere


def run_earth_entry(
    scenario: Scenario,
    arrival_state: ReturnArrival,
    *,
    trials: int | None = None,
    seed: int | None = None,
    overrides: EntryOverrides = EntryOverrides(),
    wind_profile=None,
    progress=None,
) -> EarthEntryResult:
    """Target, release, divert and fly the scenario's capsule home, with its footprint.

    ``wind_profile``: optional mean winds ``(altitude_m, east_m_s, north_m_s)``; the
    scenario's wind dispersion is added about them.
    """
    ees, ero = scenario.ees, scenario.ero
    capsule = capsule_of(scenario, overrides)
    most = capsule.diameter_m / 2 / math.cos(math.radians(capsule.half_angle_deg))
    if capsule.nose_radius_m > most:
        raise ValueError(
            f"nose radius {capsule.nose_radius_m} m (ees.nose_radius_m or --nose-radius-m) "
            f"is too large for a {capsule.diameter_m} m, {capsule.half_angle_deg} deg "
            f"sphere-cone (ees.diameter_m, ees.half_angle_deg or their options): at most "
            f"{most:.3f} m"
        )
    target = entry_target(scenario, overrides)
    v_inf = _v_infinity(arrival_state.v_infinity_m_s, target, overrides.entry_speed_m_s)
    approach, arrival, atmosphere = aim_capsule(
        ees.atmosphere_model, capsule, target, v_inf, arrival_state.arrival_et, wind_profile
    )
    sigma_b = ees.delivery_b_plane_sigma_km * 1e3
    errors = DeliveryErrors(sigma_b, sigma_b, ees.delivery_time_sigma_s)
    require_delivery_corridor(approach, errors, MU_EARTH, "ees.delivery_b_plane_sigma_km")
    try:  # before the footprint: a release the approach cannot hold fails at once
        divert = plan_divert(
            approach,
            ees.release_before_entry_days,
            ero.divert_delay_hours * 3600.0,
            ero.divert_perigee_altitude_km * 1e3,
            departure_et=arrival_state.departure_et,
        )
    except ValueError as exc:
        raise ValueError(f"ees.{exc}" if str(exc).startswith("release_") else str(exc)) from None
    seed = scenario.scenario.seed if seed is None else seed
    state_rng, atmosphere_rng, divert_rng = np.random.default_rng(seed).spawn(3)
    n = ees.footprint_trials if trials is None else trials
    fp = footprint(
        capsule,
        delivery_states(approach, errors, 1, None, arrival),
        delivery_states(approach, errors, n, state_rng, arrival),
        atmosphere,
        atmosphere_rng,
        vehicle=VehicleDispersions(ees.drag_sigma_fraction, ees.mass_sigma_fraction),
        winds=_scaled(EARTH_WIND_DISPERSION, ees.wind_sigma_scale),
        ground_altitude_m=target.ground_altitude_m,
        history_samples=2000,
        progress=progress,
    )
    risk = orbiter_impact_risk(
        divert,
        DivertErrors(
            ero.divert_magnitude_sigma_fraction,
            ero.divert_pointing_sigma_deg,
            ero.divert_failure_probability,
        ),
        DIVERT_TRIALS,
        divert_rng,
    )
    landed = fp.entries.flight.status == 0
    ground = landing_range(ees.landing_range)
    inside = landed & ground.contains(
        np.degrees(fp.entries.landing_latitude_rad), np.degrees(fp.entries.landing_longitude_rad)
    )
    return EarthEntryResult(
        arrival=arrival_state,
        capsule=capsule,
        target=target,
        approach=approach,
        conditions=entry_conditions(approach, arrival),
        delivery=errors,
        divert=divert,
        impact_risk=risk,
        footprint=fp,
        landing_range=ground,
        inside_range=inside,
        atmosphere_source=atmosphere.source,
        seed=seed,
        published={
            "touchdown_speed_m_s": ees.touchdown_speed_m_s,
            "entry_to_landing_s": ees.entry_to_landing_s,
        },
    )


def _scaled(winds: WindDispersion, scale: float) -> WindDispersion | None:
    """The wind dispersion with its sigmas times ``scale`` (None for no winds)."""
    if scale == 0.0:
        return None
    return dataclasses.replace(winds, sigma_m_s=winds.sigma_m_s * scale)


def summary(result: EarthEntryResult) -> dict:
    """A JSON-ready digest in parts of flat ``{quantity_unit: value}`` (spreads as
    ``name_p01``, ``name_median``, ``name_p99``)."""
    fp = result.footprint
    a, d, risk = result.approach, result.divert, result.impact_risk
    n = fp.entries.flight.status.size
    outside = int(np.count_nonzero(~result.inside_range))
    return {
        "approach": {"return_arc": result.arrival.source, **approach_summary(a)},
        "entry_interface": {
            key: round(value, 1 if key in ("altitude_m", "inertial_speed_m_s") else 4)
            for key, value in result.conditions.items()
        },
        "release_and_divert": {
            "ees_release_utc": et_to_utc_iso(d.release_et)[0][:19],
            "ero_divert_utc": et_to_utc_iso(d.divert_et)[0][:19],
            "ero_divert_delta_v_m_s": round(d.delta_v_magnitude_m_s, 3),
            "ero_flyby_perigee_altitude_km": round(d.perigee_altitude_m / 1e3, 1),
            "divert_failure_probability": risk.failure_probability,
            "ero_earth_impact_probability": risk.probability,
            "ero_earth_impact_probability_upper_95": float(f"{risk.upper_bound_95:.3g}"),
            "divert_monte_carlo_trials": risk.samples,
        },
        "nominal_entry": nominal_entry_part(fp, result.atmosphere_source)
        | {
            "published_touchdown_speed_m_s": result.published["touchdown_speed_m_s"],
            "published_entry_to_landing_s": result.published["entry_to_landing_s"],
        },
        "footprint": footprint_part(fp, result.seed)
        | {
            "landing_range": result.landing_range.name,
            "outside_range": outside,
            "probability_outside_range": outside / n,
        },
    }


def nominal_entry_part(fp: Footprint, atmosphere_source: str) -> dict:
    """The nominal trajectory's figures of a footprint (summary part)."""
    nominal = fp.nominal.flight
    return {
        "atmosphere": atmosphere_source,
        "peak_deceleration_g": round(float(nominal.peak_deceleration_g[0]), 2),
        "peak_convective_heat_flux_w_cm2": round(
            float(nominal.peak_convective_heat_flux_w_m2[0]) / 1e4, 1
        ),
        "peak_radiative_heat_flux_w_cm2": round(
            float(nominal.peak_radiative_heat_flux_w_m2[0]) / 1e4, 1
        ),
        "heat_load_j_cm2": round(float(nominal.heat_load_j_m2[0]) / 1e4, 0),
        "peak_dynamic_pressure_kpa": round(float(nominal.peak_dynamic_pressure_pa[0]) / 1e3, 2),
        "touchdown_speed_m_s": round(float(fp.nominal.touchdown_speed_m_s[0]), 2),
        "flight_time_s": round(float(nominal.time_s[0]), 1),
    }


def footprint_part(fp: Footprint, seed: int) -> dict:
    """The dispersed trajectories' figures of a footprint (summary part)."""
    flight = fp.entries.flight
    landed = flight.status == 0
    return {
        "trials": flight.status.size,
        "seed": seed,
        "landed": int(np.count_nonzero(landed)),
        "ellipse_99_major_axis_km": round(2 * fp.ellipse.semi_major_m / 1e3, 2),
        "ellipse_99_minor_axis_km": round(2 * fp.ellipse.semi_minor_m / 1e3, 2),
        "ellipse_major_axis_azimuth_deg": round(math.degrees(fp.ellipse.major_axis_azimuth_rad), 1),
        **spread("peak_deceleration_g", percentiles(flight.peak_deceleration_g[landed])),
        **spread(
            "peak_convective_heat_flux_w_cm2",
            percentiles(flight.peak_convective_heat_flux_w_m2[landed], 1e-4, 1),
        ),
        **spread(
            "peak_radiative_heat_flux_w_cm2",
            percentiles(flight.peak_radiative_heat_flux_w_m2[landed], 1e-4, 1),
        ),
        **spread("heat_load_j_cm2", percentiles(flight.heat_load_j_m2[landed], 1e-4, 0)),
        **spread("touchdown_speed_m_s", percentiles(fp.entries.touchdown_speed_m_s[landed])),
        **spread("flight_time_s", percentiles(flight.time_s[landed], 1.0, 1)),
    }


def _landing_place(scenario: Scenario, result: EarthEntryResult) -> str:
    """Where the timeline says the capsule lands: in the scenario's range
    (``ees.landing_range``) when the target lies in it, else at the scenario's named site
    (outside the range: the footprint's ``outside_range`` then counts every landing)."""
    site, t = scenario.ees.landing_site_name, result.target
    if bool(result.landing_range.contains(t.latitude_deg, t.east_longitude_deg)):
        return f"in the {result.landing_range.name}"
    return f"at {site}"


def run_return_legs(scenario: Scenario, arrival: ReturnArrival, approach_leg, entry_leg):
    """Legs 8 and 9 of ``msrsim run``: their outcomes and the milestones they date."""

    result = run_earth_entry(scenario, arrival)
    parts = summary(result)
    status = f"modelled ({arrival.source})"
    outcomes = (
        LegOutcome(
            approach_leg,
            status,
            {k: parts[k] for k in ("approach", "entry_interface", "release_and_divert")},
        ),
        LegOutcome(entry_leg, "modelled", {k: parts[k] for k in ("nominal_entry", "footprint")}),
    )
    src = "computed: Earth return legs"
    a, d = result.approach, result.divert
    landing_et = a.entry_et + float(result.footprint.nominal.flight.time_s[0])
    milestones = (
        dated("EES released", d.release_et, src),
        dated("ERO divert", d.divert_et, src),
        dated("EES entry interface", a.entry_et, src),
        dated(f"EES lands {_landing_place(scenario, result)}", landing_et, src),
    )
    return outcomes, milestones, result


@dataclass(frozen=True)
class EntryLeg:
    """Leg 9 of the coupled campaign: each trial's capsule enters on its own return.

    Planned once per return a trial can have (the planned one, and the next opportunity's
    when the ERO waits): the approach aimed so the nominal lands on the target, through the
    atmosphere of that entry's date and place. Per trial: the delivery errors about its
    return's aim point, its own density and wind profile, drag and mass, the flight to the
    ground. The landing epoch is the trial's own entry epoch plus its flight time; a
    capsule that does not reach the ground ends the trial (:attr:`Failure.EES_ENTRY`), one
    that lands outside the range still returns its samples (``inside_range`` says).
    """

    family: ClassVar[str] = "earth_entry"
    columns: ClassVar[dict[str, str]] = {
        "earth_entry_et": "f8",
        "earth_landing_et": "f8",
        "earth_landing_latitude_deg": "f8",
        "earth_landing_longitude_deg": "f8",
        "inside_range": "?",
    }
    capsule: Capsule
    approaches: tuple[Approach, ...]
    """The planned return's, and the delayed one's when the ERO can wait for it."""
    arrivals: tuple[Arrival, ...]
    atmospheres: tuple[object, ...]
    delivery: DeliveryErrors
    vehicle: VehicleDispersions
    winds: WindDispersion | None
    ground_altitude_m: float
    landing_range: LandingRange
    """The scenario's range (``ees.landing_range``): ``inside_range`` is inside it."""

    def fly(self, table: TrialTable) -> None:
        rows = table.flying
        options = table.random(self.family).spawn(2)
        late = table.columns["late_return"][rows]
        for k, rng in enumerate(options):
            sel = np.flatnonzero(late == bool(k))
            if sel.size == 0:
                continue
            rng = rng.take(rows[sel])
            state_rng, flight_rng = rng.spawn(2)
            approach = self.approaches[k]
            states = delivery_states(approach, self.delivery, sel.size, state_rng, self.arrivals[k])
            time_error = state_rng.restart().standard_normal((sel.size, 3))[:, 2]
            entries, _, _ = fly_dispersed(
                self.capsule, states, self.atmospheres[k], flight_rng, vehicle=self.vehicle,
                winds=self.winds, ground_altitude_m=self.ground_altitude_m, chunk=sel.size,
            )  # fmt: skip
            landed = entries.flight.status == 0
            latitude = np.degrees(entries.landing_latitude_rad)
            longitude = np.degrees(entries.landing_longitude_rad)
            entry_et = approach.entry_et + self.delivery.time_s * time_error
            table.add(
                rows[sel],
                earth_entry_et=entry_et,
                earth_landing_et=np.where(landed, entry_et + entries.flight.time_s, np.nan),
                earth_landing_latitude_deg=np.where(landed, latitude, np.nan),
                earth_landing_longitude_deg=np.where(landed, longitude, np.nan),
                inside_range=landed & self.landing_range.contains(latitude, longitude),
            )
            table.end(rows[sel], ~landed, Failure.EES_ENTRY)


def _aim_return(atmosphere_model: str, capsule: Capsule, target: EntryTarget, arrival):
    """:func:`aim_capsule` for one of the schedule's returns; a site the return's
    asymptote cannot reach is one line naming the return and the scenario's fields."""
    v_inf = _v_infinity(arrival.v_infinity_m_s, target, None)
    try:
        return aim_capsule(atmosphere_model, capsule, target, v_inf, arrival.arrival_et)
    except ValueError as exc:
        speed = float(np.linalg.norm(v_inf))
        declination = math.degrees(math.asin(float(v_inf[2]) / speed))
        raise ValueError(
            f"earth entry: the return planned to arrive {et_to_utc_iso(arrival.arrival_et)[0][:10]}"
            f" (v-infinity {speed / 1e3:.2f} km/s at declination {declination:.1f} deg) cannot "
            f"land at ees.landing_latitude_deg = {target.latitude_deg:g}: {exc} (ees."
            f"entry_flight_path_angle_deg = {target.flight_path_angle_deg:g}; a later return "
            "opportunity, or another site or angle, may reach it)"
        ) from exc


def plan_entry(scenario: Scenario, schedule) -> EntryLeg:
    """The coupled entry leg: the capsule aimed for the planned and the delayed returns."""
    ees = scenario.ees
    capsule = capsule_of(scenario)
    target = entry_target(scenario)
    returns = [schedule.nominal_return]
    if schedule.can_wait:  # else no trial takes the delayed return: it ends at its capture
        returns.append(schedule.delayed_return)
    aimed = [_aim_return(ees.atmosphere_model, capsule, target, arrival) for arrival in returns]
    sigma_b = ees.delivery_b_plane_sigma_km * 1e3
    errors = DeliveryErrors(sigma_b, sigma_b, ees.delivery_time_sigma_s)
    for approach, *_ in aimed:
        require_delivery_corridor(approach, errors, MU_EARTH, "ees.delivery_b_plane_sigma_km")
    return EntryLeg(
        capsule,
        tuple(a[0] for a in aimed),
        tuple(a[1] for a in aimed),
        tuple(a[2] for a in aimed),
        errors,
        VehicleDispersions(ees.drag_sigma_fraction, ees.mass_sigma_fraction),
        _scaled(EARTH_WIND_DISPERSION, ees.wind_sigma_scale),
        target.ground_altitude_m,
        landing_range(ees.landing_range),
    )
