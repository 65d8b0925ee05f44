"""The scenario: every input of a campaign, validated, with where each value comes from.

A scenario is a TOML file. A value is written bare (``launch_mass_kg = 6800``) or with its
provenance (``launch_mass_kg = { value = 6800, source = "Airbus 2020" }``); a value that no
publication gives is marked ``representative = true`` and says why in ``source``. The
built-in baseline (``scenarios/baseline.toml``) gives every value a provenance.

Units are in the field names (``_kg``, ``_km``, ``_deg``, ``_utc`` ...): the scenario is the
edge of the tool, and the legs convert to SI once when they read it.

Validation collects every problem of a file and reports each as one line naming the field,
the value and what is allowed (:class:`ScenarioError`).
"""

from __future__ import annotations

import datetime as _dt
import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

BASELINE_NAME = "baseline"


@dataclass(frozen=True)
class Provenance:
    """Where a scenario value comes from; ``representative`` when no publication gives it."""

    source: str
    representative: bool = False


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, origin: str, problems: list[str]):
        self.origin = origin
        self.problems = problems
        super().__init__(f"{origin}: " + "; ".join(problems))


# --------------------------------------------------------------------------------------
# Field types
# --------------------------------------------------------------------------------------


def _within_ephemeris(value: _dt.datetime) -> _dt.datetime:
    """A UTC epoch inside the ephemeris, as a naive UTC datetime."""
    from msrsim.core.ephemeris import get_ephemeris
    from msrsim.core.time import et_to_utc_iso, utc_to_et

    if value.tzinfo is not None:
        value = value.astimezone(_dt.UTC).replace(tzinfo=None)
    eph = get_ephemeris()
    lo, hi = eph.coverage_et
    et = float(utc_to_et(value)[0])
    if not lo + 86400.0 <= et <= hi - 86400.0:
        start, end = (s[:10] for s in et_to_utc_iso([lo + 86400.0, hi - 86400.0]))
        raise ValueError(f"must be between {start} and {end} (the {eph.name} ephemeris coverage)")
    return value


def _date_to_datetime(value: Any) -> Any:
    """A TOML date or date-time (or its ISO 8601 text) as a datetime; nothing else.

    An integer is refused rather than read as seconds since 1970 (``20300101`` would be
    1970-08-23), and so is any text that is not an ISO 8601 date.
    """
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("must be a date, YYYY-MM-DD (ISO 8601)") from None
    raise ValueError(f"must be a date, YYYY-MM-DD (a TOML date, unquoted), not {_kind_of(value)}")


def _kind_of(value: Any) -> str:
    """``an integer``, ``a boolean``, ``a table`` ...: the TOML kind of a parsed value."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, _dt.time):
        return "a time of day"
    return type(value).__name__


UtcDate = Annotated[
    _dt.datetime, BeforeValidator(_date_to_datetime), AfterValidator(_within_ephemeris)
]
Probability = Annotated[float, Field(ge=0, le=1)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
EastLongitude = Annotated[float, Field(ge=-180, le=360)]
Sols = Annotated[int, Field(ge=0, le=1000)]


def _ls_window(value: list[float]) -> list[float]:
    """An Ls window ``[start, end)``: two values in [0, 360], the start below the end."""
    if len(value) != 2 or not 0 <= value[0] < value[1] <= 360:
        raise ValueError(f"{value} must be [start, end] with 0 <= start < end <= 360 (Ls, deg)")
    return value


LsWindow = Annotated[list[float], AfterValidator(_ls_window)]


class Section(BaseModel):
    """A scenario table: unknown keys refused, values frozen, provenance kept aside.

    Types are strict (a boolean is not a number, a whole number field takes no ``14.0``, a
    string is not a number) and every number must be finite: TOML's ``nan`` and ``inf``
    are refused in every field.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, strict=True, allow_inf_nan=False
    )

    _provenance: dict[str, Provenance] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _split_provenance(cls, data: Any, handler):
        """Turn ``{value, source, representative}`` tables into bare values plus provenance."""
        if not isinstance(data, dict):
            return handler(data)
        plain: dict[str, Any] = {}
        provenance: dict[str, Provenance] = {}
        for key, item in data.items():
            if isinstance(item, dict) and "value" in item and key in cls.model_fields:
                extra = set(item) - {"value", "source", "representative"}
                if extra:
                    raise ValueError(
                        f"{key}: unknown key(s) {sorted(extra)} beside 'value' "
                        "(allowed: value, source, representative)"
                    )
                source = item.get("source", "")
                representative = item.get("representative", False)
                if not isinstance(source, str):
                    raise ValueError(f"{key}.source must be a string, not {_kind_of(source)}")
                if not isinstance(representative, bool):
                    raise ValueError(
                        f"{key}.representative must be true or false, not "
                        f"{_kind_of(representative)}"
                    )
                plain[key] = item["value"]
                provenance[key] = Provenance(source, representative)
            else:
                plain[key] = item
        model = handler(plain)
        model._provenance.update(provenance)
        return model

    def provenance(self, field: str) -> Provenance | None:
        """The provenance of ``field`` as the file gave it, or ``None``."""
        return self._provenance.get(field)


# --------------------------------------------------------------------------------------
# The sections of a campaign
# --------------------------------------------------------------------------------------


class Meta(Section):
    name: Annotated[str, Field(max_length=200)] = "unnamed scenario"
    description: Annotated[str, Field(max_length=10_000)] = ""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0


class Vehicle(Section):
    """A launch vehicle: mass delivered to escape against C3 (interpolated linearly)."""

    name: Annotated[str, Field(max_length=200)]
    c3_km2_s2: list[Annotated[float, Field(ge=-100, le=1000)]] = Field(min_length=2, max_length=200)
    delivered_mass_kg: list[Annotated[float, Field(gt=0, le=1e6)]] = Field(
        min_length=2, max_length=200
    )

    @model_validator(mode="after")
    def _curve(self):
        if len(self.c3_km2_s2) != len(self.delivered_mass_kg):
            raise ValueError(
                f"c3_km2_s2 has {len(self.c3_km2_s2)} points but delivered_mass_kg has "
                f"{len(self.delivered_mass_kg)}: they must pair up"
            )
        if any(b <= a for a, b in zip(self.c3_km2_s2, self.c3_km2_s2[1:], strict=False)):
            raise ValueError(f"c3_km2_s2 = {self.c3_km2_s2} must increase")
        return self


class TransferWindow(Section):
    """Dates a ballistic transfer may depart and arrive, and the arcs allowed."""

    departure_earliest_utc: UtcDate
    departure_latest_utc: UtcDate
    arrival_earliest_utc: UtcDate
    arrival_latest_utc: UtcDate
    max_revs: Annotated[int, Field(ge=0, le=3)] = 0

    @model_validator(mode="after")
    def _ordered(self):
        for first, second in (
            ("departure_earliest_utc", "departure_latest_utc"),
            ("arrival_earliest_utc", "arrival_latest_utc"),
            ("departure_earliest_utc", "arrival_latest_utc"),
        ):
            a, b = getattr(self, first), getattr(self, second)
            if b < a:
                raise ValueError(f"{second} = {b} is before {first} = {a}")
        return self


class LaunchWindow(TransferWindow):
    """A launch from Earth: the window, the launch period sought in it, the vehicle."""

    launch_period_days: Annotated[int, Field(ge=1, le=120)]
    dla_limit_deg: Annotated[float, Field(gt=0, le=90)]
    vehicle: Vehicle


class Reliability(Section):
    """Failure models of the elements that the legs' physics does not cover (hardware)."""

    ero_launch_success: Probability
    srl_launch_success: Probability
    ero_cruise_and_insertion_success: Probability
    ero_failure_per_year_at_mars: Probability
    srl_edl_success: Probability
    parachute_out_of_box_failure: Probability
    lander_failure_per_sol: Probability
    sample_transfer_arm_success: Probability
    mav_success: Probability
    ees_release_success: Probability
    ees_entry_success: Probability
    srl_launch_scrub_probability: Annotated[float, Field(ge=0, lt=1)]
    ero_extension_days: Annotated[float, Field(ge=0, le=3000)]


class Campaign(Section):
    """The campaign Monte Carlo's size (the published plan the computed schedule is
    compared with is :mod:`msrsim.campaign.published`, not an input)."""

    trials: Annotated[int, Field(ge=1, le=100_000_000)]
    chunk_size: Annotated[int, Field(ge=1, le=10_000_000)]


class ElectricPropulsionSystem(Section):
    """The ERO's solar-electric system: arrays, power processing, Hall thrusters."""

    specific_impulse_s: Annotated[float, Field(ge=500, le=10_000)]
    total_efficiency: Annotated[float, Field(gt=0, le=1)]
    max_input_power_kw: Annotated[float, Field(gt=0, le=500)]
    solar_cell_efficiency: Annotated[float, Field(gt=0, le=0.5)]
    array_packing_factor: Annotated[float, Field(gt=0, le=1)]
    power_margin: Annotated[float, Field(gt=0, le=1)]
    duty_cycle: Annotated[float, Field(gt=0, le=1)]


class EarthReturnOrbiter(Section):
    launch_mass_kg: Annotated[float, Field(gt=0, le=50_000)]
    solar_array_area_m2: Annotated[float, Field(gt=0, le=5000)]
    cruise_propulsion: Literal["electric"]
    mars_orbit_insertion_propulsion: Literal["chemical"]
    launch_utc: UtcDate
    cruise_segments_per_year: Annotated[int, Field(ge=4, le=60)]
    arrival_v_infinity_max_km_s: Annotated[float, Field(gt=0, le=10)]
    return_entry_speed_max_km_s: Annotated[float, Field(ge=11.2, le=16)]
    insertion_thrust_n: Annotated[float, Field(gt=0, le=100_000)]
    insertion_specific_impulse_s: Annotated[float, Field(ge=150, le=500)]
    capture_periapsis_altitude_km: Annotated[float, Field(ge=150, le=10_000)]
    capture_apoapsis_altitude_km: Annotated[float, Field(ge=150, le=100_000)]
    orbit_raan_deg: Annotated[float, Field(ge=0, lt=360)]
    spiral_coast_effectivity: Annotated[float, Field(ge=0, lt=1)]
    xenon_load_kg: Annotated[float, Field(gt=0, le=50_000)]
    bipropellant_load_kg: Annotated[float, Field(gt=0, le=50_000)]
    propellant_reserve_fraction: Annotated[float, Field(ge=0, le=0.5)]
    electric_propulsion: ElectricPropulsionSystem
    divert_delay_hours: Annotated[float, Field(ge=0, le=240)]
    divert_perigee_altitude_km: Annotated[float, Field(ge=100, le=1_000_000)]
    divert_magnitude_sigma_fraction: Annotated[float, Field(ge=0, le=0.5)]
    divert_pointing_sigma_deg: Annotated[float, Field(ge=0, le=30)]
    divert_failure_probability: Probability

    @model_validator(mode="after")
    def _capture_and_loads(self):
        if self.capture_apoapsis_altitude_km <= self.capture_periapsis_altitude_km:
            raise ValueError(
                f"capture_apoapsis_altitude_km = {self.capture_apoapsis_altitude_km} must be "
                f"above capture_periapsis_altitude_km = {self.capture_periapsis_altitude_km}"
            )
        if self.xenon_load_kg + self.bipropellant_load_kg >= self.launch_mass_kg:
            raise ValueError(
                f"xenon_load_kg + bipropellant_load_kg = "
                f"{self.xenon_load_kg + self.bipropellant_load_kg} must be less than "
                f"launch_mass_kg = {self.launch_mass_kg}"
            )
        return self


class Site(Section):
    """A place on Mars, planetocentric latitude and east longitude."""

    latitude_deg: Latitude
    east_longitude_deg: EastLongitude


class EntryDescentLanding(Section):
    """The SRL's entry, descent and landing: vehicle, guidance, parachute, descent, errors."""

    entry_mass_kg: Annotated[float, Field(gt=100, le=20_000)]
    aeroshell_diameter_m: Annotated[float, Field(gt=0.5, le=20)]
    nose_radius_m: Annotated[float, Field(gt=0, le=20)]
    half_angle_deg: Annotated[float, Field(gt=0, lt=90)]
    hypersonic_drag_coefficient: Annotated[float, Field(gt=0, le=3)]
    lift_to_drag: Annotated[float, Field(ge=0, le=0.6)]
    entry_interface_altitude_km: Annotated[float, Field(ge=80, le=300)]
    entry_flight_path_angle_deg: Annotated[float, Field(ge=-30, le=-5)]
    reference_bank_deg: Annotated[float, Field(ge=0, le=90)]
    guidance_start_g: Annotated[float, Field(gt=0, le=5)]
    heading_alignment_speed_m_s: Annotated[float, Field(gt=0, le=3000)]
    overcontrol_gain: Annotated[float, Field(gt=0, le=20)]
    crossrange_deadband_rad_per_m_s: Annotated[float, Field(ge=0, le=1e-4)]
    parachute_diameter_m: Annotated[float, Field(gt=1, le=60)]
    parachute_drag_coefficient: Annotated[float, Field(gt=0, le=2)]
    parachute_trigger_speed_m_s: Annotated[float, Field(gt=100, le=1500)]
    parachute_max_mach: Annotated[float, Field(gt=0.5, le=4)]
    parachute_max_dynamic_pressure_pa: Annotated[float, Field(gt=50, le=5000)]
    heatshield_separation_delay_s: Annotated[float, Field(ge=0, le=200)]
    heatshield_mass_kg: Annotated[float, Field(ge=0, le=20_000)]
    backshell_separation_height_m: Annotated[float, Field(gt=100, le=10_000)]
    backshell_mass_kg: Annotated[float, Field(ge=0, le=20_000)]
    descent_thrust_n: Annotated[float, Field(gt=0, le=1e6)]
    descent_specific_impulse_s: Annotated[float, Field(gt=50, le=500)]
    touchdown_speed_m_s: Annotated[float, Field(gt=0, le=10)]
    ground_altitude_m: Annotated[float, Field(ge=-9000, le=25_000)]
    delivery_b_plane_sigma_km: Annotated[float, Field(ge=0, le=100)]
    delivery_time_sigma_s: Annotated[float, Field(ge=0, le=600)]
    drag_sigma_fraction: Annotated[float, Field(ge=0, le=0.5)]
    wind_sigma_scale: Annotated[float, Field(ge=0, le=5)]
    trials: Annotated[int, Field(ge=10, le=1_000_000)]

    @model_validator(mode="after")
    def _masses(self):
        if self.heatshield_mass_kg + self.backshell_mass_kg >= self.entry_mass_kg:
            raise ValueError(
                f"heatshield_mass_kg + backshell_mass_kg = "
                f"{self.heatshield_mass_kg + self.backshell_mass_kg} must be less than "
                f"entry_mass_kg = {self.entry_mass_kg}"
            )
        from msrsim.core.bodies import MARS

        gravity = MARS.gm.value / MARS.mean_radius.value**2
        landed_kg = self.entry_mass_kg - self.heatshield_mass_kg - self.backshell_mass_kg
        if self.descent_thrust_n <= landed_kg * gravity:
            raise ValueError(
                f"descent_thrust_n = {self.descent_thrust_n:g} must exceed the lander's Mars "
                f"weight at backshell separation, {landed_kg * gravity:.0f} N ((entry_mass_kg "
                f"- heatshield_mass_kg - backshell_mass_kg) x {gravity:.3f} m/s2): a powered "
                "descent that cannot hold the lander up cannot land it"
            )
        return self

    @model_validator(mode="after")
    def _shape_and_guidance(self):
        most = self.aeroshell_diameter_m / 2 / math.cos(math.radians(self.half_angle_deg))
        if self.nose_radius_m > most:
            raise ValueError(
                f"nose_radius_m = {self.nose_radius_m} is too large for a "
                f"{self.aeroshell_diameter_m} m, {self.half_angle_deg} deg sphere-cone (at "
                f"most {most:.3f} m, where the nose meets the cone at the base)"
            )
        if self.heading_alignment_speed_m_s <= self.parachute_trigger_speed_m_s:
            raise ValueError(
                f"heading_alignment_speed_m_s = {self.heading_alignment_speed_m_s:g} must "
                f"exceed parachute_trigger_speed_m_s = {self.parachute_trigger_speed_m_s:g}: "
                "the guidance's heading alignment is flown from that speed down to the trigger"
            )
        return self


class SampleRetrievalLander(Section):
    launch_mass_kg: Annotated[float, Field(gt=0, le=50_000)]
    target: Site
    edl: EntryDescentLanding


class Perseverance(Section):
    """The rover, and its drive to the lander as the surface leg's courier."""

    landing_utc: UtcDate
    landing_site: Site
    landing_ellipse_major_km: Annotated[float, Field(gt=0, le=1000)]
    landing_ellipse_minor_km: Annotated[float, Field(gt=0, le=1000)]
    start_latitude_deg: Latitude
    start_east_longitude_deg: EastLongitude
    route_tortuosity: Annotated[float, Field(ge=1, le=5)]
    drive_m_per_sol: Annotated[float, Field(gt=0, le=1000)]
    drive_rate_sigma_fraction: Annotated[float, Field(ge=0, le=1)]
    anomaly_probability_per_sol: Annotated[float, Field(ge=0, lt=1)]
    anomaly_sols: Sols
    failure_probability_per_sol: Probability
    fails_at_landing: bool


class Helicopter(Section):
    count: Annotated[int, Field(ge=0, le=10)]
    mass_kg: Annotated[float, Field(gt=0, le=1000)]
    ground_speed_m_s: Annotated[float, Field(gt=0, le=340)]
    range_per_flight_m: Annotated[float, Field(gt=0, le=1e6)]
    flight_altitude_m: Annotated[float, Field(gt=0, le=10_000)]
    payload_kg: Annotated[float, Field(gt=0, le=1000)]
    recharge_sols: Sols
    deploy_sols: Sols
    dust_season_ls_deg: LsWindow
    wind_no_fly_probability_per_sol: Probability
    loss_probability_per_flight: Probability
    send_when_rover_late: bool
    rover_late_margin_sols: Annotated[int, Field(ge=-1000, le=1000)]


class SampleTransferArm(Section):
    length_m: Annotated[float, Field(gt=0, le=50)]
    degrees_of_freedom: Annotated[int, Field(ge=1, le=12)]
    time_per_tube_h: Annotated[float, Field(gt=0, le=100)]
    working_time_per_sol_h: Annotated[float, Field(gt=0, le=24.6)]  # a sol is 24.66 h


def _catalogued_tubes(names: list[str]) -> list[str]:
    """Names of tubes Perseverance carries or left in the depot (case-insensitive)."""
    from msrsim.samples.catalog import load_catalog

    known = {t.name.lower() for t in load_catalog() if t.now_at in ("rover", "depot")}
    unknown = [n for n in names if n.lower() not in known]
    if unknown:
        raise ValueError(f"{unknown} not among the tubes on the rover or in the depot")
    if len({n.lower() for n in names}) != len(names):
        raise ValueError(f"{names} names a tube twice")
    return names


class OrbitingSample(Section):
    capacity_tubes: Annotated[int, Field(ge=1, le=43)]
    diameter_m: Annotated[float, Field(gt=0, le=10)]
    max_sample_temperature_c: Annotated[float, Field(ge=-273.15, le=1000)]
    priority_tubes: Annotated[list[str], Field(max_length=43), AfterValidator(_catalogued_tubes)]
    include_witness_tubes: bool
    helicopters_top_up: bool

    @model_validator(mode="after")
    def _witness_wanted(self):
        from msrsim.samples.catalog import load_catalog

        witness = {t.name.lower() for t in load_catalog() if t.is_witness}
        named = [n for n in self.priority_tubes if n.lower() in witness]
        if named and not self.include_witness_tubes:
            raise ValueError(
                f"priority_tubes names witness tube(s) {named} but include_witness_tubes is false"
            )
        return self


class SolidRocketMotor(Section):
    """One MAV motor (msrsim.core.solid_motor): figures at its reference temperature."""

    propellant_mass_kg: Annotated[float, Field(gt=0, le=5000)]
    inert_mass_kg: Annotated[float, Field(gt=0, le=5000)]
    vacuum_specific_impulse_s: Annotated[float, Field(ge=150, le=330)]
    burn_time_s: Annotated[float, Field(ge=1, le=600)]
    thrust_curve: Literal["neutral", "progressive", "regressive", "boost_sustain"]
    nozzle_exit_diameter_m: Annotated[float, Field(gt=0.01, le=3)]
    exit_pressure_kpa: Annotated[float, Field(ge=0, le=500)]
    burn_rate_exponent: Annotated[float, Field(ge=0, lt=0.9)]
    temperature_sensitivity_per_k: Annotated[float, Field(ge=0, le=0.01)]
    reference_temperature_c: Annotated[float, Field(ge=-100, le=80)]


class MavToss(Section):
    """The lander's throw of the MAV just before SRM1 ignites."""

    speed_m_s: Annotated[float, Field(ge=0, le=20)]
    ignition_delay_s: Annotated[float, Field(ge=0, le=5)]


class MavGuidance(Section):
    """The fixed part of the flight sequence and the pitch programme's limits."""

    vertical_rise_s: Annotated[float, Field(ge=0, le=30)]
    pitch_over_s: Annotated[float, Field(gt=0, le=60)]
    pitch_kick_max_deg: Annotated[float, Field(gt=1, le=80)]
    burnout_elevation_min_deg: Annotated[float, Field(ge=-45, le=80)]
    burnout_elevation_max_deg: Annotated[float, Field(ge=-45, le=80)]
    coast_min_s: Annotated[float, Field(ge=0, le=5000)]
    coast_max_s: Annotated[float, Field(ge=0, le=5000)]
    srm2_attitude_max_deg: Annotated[float, Field(gt=0, le=60)]
    release_delay_s: Annotated[float, Field(ge=0, le=600)]

    @model_validator(mode="after")
    def _ranges(self):
        for low, high in (
            ("burnout_elevation_min_deg", "burnout_elevation_max_deg"),
            ("coast_min_s", "coast_max_s"),
        ):
            if getattr(self, low) >= getattr(self, high):
                raise ValueError(
                    f"{low} = {getattr(self, low)} must be less than {high} = {getattr(self, high)}"
                )
        return self


class MavDispersions(Section):
    """1-sigma errors of the ascent Monte Carlo (the temperature is uniform between the
    MAV's min_propellant_temperature_c and propellant_temperature_max_c)."""

    propellant_temperature_max_c: Annotated[float, Field(ge=-100, le=80)]
    isp_sigma_fraction: Annotated[float, Field(ge=0, le=0.1)]
    burn_time_sigma_fraction: Annotated[float, Field(ge=0, le=0.2)]
    mass_sigma_fraction: Annotated[float, Field(ge=0, le=0.2)]
    drag_sigma_fraction: Annotated[float, Field(ge=0, le=0.5)]
    density_sigma_scale: Annotated[float, Field(ge=0, le=5)]
    wind_sigma_scale: Annotated[float, Field(ge=0, le=5)]
    toss_speed_sigma_m_s: Annotated[float, Field(ge=0, le=5)]
    srm1_pointing_sigma_deg: Annotated[float, Field(ge=0, le=5)]
    srm2_pointing_sigma_deg: Annotated[float, Field(ge=0, le=5)]


class MarsAscentVehicle(Section):
    gross_liftoff_mass_kg: Annotated[float, Field(gt=0, le=20_000)]
    length_m: Annotated[float, Field(gt=0, le=100)]
    payload_mass_kg: Annotated[float, Field(gt=0, le=20_000)]
    sample_mass_kg: Annotated[float, Field(gt=0, le=1000)]
    stages: Annotated[int, Field(ge=1, le=3)]
    min_propellant_temperature_c: Annotated[float, Field(ge=-150, le=80)]
    target_orbit_altitude_km: Annotated[float, Field(ge=150, le=2000)]
    target_orbit_inclination_deg: Annotated[float, Field(ge=0, le=180)]
    diameter_m: Annotated[float, Field(gt=0.05, le=5)]
    stage1_structure_mass_kg: Annotated[float, Field(ge=0, le=20_000)]
    stage2_structure_mass_kg: Annotated[float, Field(ge=0, le=20_000)]
    propellant_temperature_c: Annotated[float, Field(ge=-100, le=80)]
    launch_local_mean_solar_time_h: Annotated[float, Field(ge=0, lt=24)]
    launch_local_time_tolerance_h: Annotated[float, Field(gt=0, le=12)]
    min_perigee_altitude_km: Annotated[float, Field(ge=50, le=2000)]
    trials: Annotated[int, Field(ge=10, le=10_000_000)]
    srm1: SolidRocketMotor
    srm2: SolidRocketMotor
    toss: MavToss
    guidance: MavGuidance
    dispersions: MavDispersions

    @model_validator(mode="after")
    def _payload_fits(self):
        if self.payload_mass_kg >= self.gross_liftoff_mass_kg:
            raise ValueError(
                f"payload_mass_kg = {self.payload_mass_kg} must be less than "
                f"gross_liftoff_mass_kg = {self.gross_liftoff_mass_kg}"
            )
        return self

    @property
    def stacked_mass_kg(self) -> float:
        """The sum of the motors, the stage structures and the payload."""
        return (
            self.srm1.propellant_mass_kg
            + self.srm1.inert_mass_kg
            + self.srm2.propellant_mass_kg
            + self.srm2.inert_mass_kg
            + self.stage1_structure_mass_kg
            + self.stage2_structure_mass_kg
            + self.payload_mass_kg
        )

    @model_validator(mode="after")
    def _stack_adds_up(self):
        if abs(self.stacked_mass_kg - self.gross_liftoff_mass_kg) > 0.1 * (
            self.gross_liftoff_mass_kg
        ):
            raise ValueError(
                f"the motors, stage structures and payload add up to "
                f"{self.stacked_mass_kg:.1f} kg but gross_liftoff_mass_kg = "
                f"{self.gross_liftoff_mass_kg}: they must agree within 10 %"
            )
        return self

    @model_validator(mode="after")
    def _temperatures(self):
        low = self.min_propellant_temperature_c
        high = self.dispersions.propellant_temperature_max_c
        if not low <= self.propellant_temperature_c <= high:
            raise ValueError(
                f"propellant_temperature_c = {self.propellant_temperature_c} must lie between "
                f"min_propellant_temperature_c = {low} and "
                f"dispersions.propellant_temperature_max_c = {high}"
            )
        return self


class EarthEntrySystem(Section):
    diameter_m: Annotated[float, Field(gt=0, le=20)]
    half_angle_deg: Annotated[float, Field(gt=0, lt=90)]
    parachute: bool
    touchdown_speed_m_s: Annotated[float, Field(gt=0, le=1000)]
    entry_to_landing_s: Annotated[float, Field(gt=0, le=86_400)]
    entry_interface_altitude_km: Annotated[float, Field(ge=60, le=300)]
    release_before_entry_days: Annotated[
        float,
        Field(
            gt=0,
            le=30,
            description="the ERO releases the capsule about 3 days out (ESA 2023); a month "
            "out, the Earth-centred approach conic would already run ten million km",
        ),
    ]
    landing_site_name: Annotated[str, Field(max_length=200)]
    landing_latitude_deg: Latitude
    landing_east_longitude_deg: EastLongitude
    landing_ground_altitude_m: Annotated[float, Field(ge=-500, le=5000)]
    mass_kg: Annotated[float, Field(gt=1, le=5000)]
    nose_radius_m: Annotated[float, Field(gt=0, le=20)]
    subsonic_drag_coefficient: Annotated[float, Field(gt=0, le=3)]
    entry_flight_path_angle_deg: Annotated[float, Field(ge=-30, le=-3)]
    atmosphere_model: Literal["nrlmsis", "us76"]
    delivery_b_plane_sigma_km: Annotated[float, Field(ge=0, le=1000)]
    delivery_time_sigma_s: Annotated[float, Field(ge=0, le=3600)]
    drag_sigma_fraction: Annotated[float, Field(ge=0, le=0.5)]
    mass_sigma_fraction: Annotated[float, Field(ge=0, le=0.5)]
    wind_sigma_scale: Annotated[float, Field(ge=0, le=5)]
    footprint_trials: Annotated[int, Field(ge=10, le=10_000_000)]

    @model_validator(mode="after")
    def _nose_fits(self):
        if self.nose_radius_m > self.diameter_m / 2 / math.cos(math.radians(self.half_angle_deg)):
            raise ValueError(
                f"nose_radius_m = {self.nose_radius_m} is too large for a "
                f"{self.diameter_m} m, {self.half_angle_deg} deg sphere-cone (at most "
                f"{self.diameter_m / 2 / math.cos(math.radians(self.half_angle_deg)):.3f} m)"
            )
        return self


class SurfaceDepot(Section):
    """The Three Forks depot as laid out by the surface leg (a zigzag about an axis)."""

    latitude_deg: Latitude
    east_longitude_deg: EastLongitude
    axis_azimuth_deg: Annotated[float, Field(ge=0, le=360)]
    along_step_m: Annotated[float, Field(ge=0, le=50)]
    cross_offset_m: Annotated[float, Field(ge=0, le=25)]

    @model_validator(mode="after")
    def _spaced(self):
        if self.along_step_m == 0 and self.cross_offset_m == 0:
            raise ValueError("along_step_m and cross_offset_m are both 0: tubes would coincide")
        return self


class Surface(Section):
    """Leg 4: the surface rules (the SRL's landing and the MAV's deadline are planned,
    :mod:`msrsim.campaign.schedule`)."""

    lander_checkout_sols: Sols
    conjunction_elongation_deg: Annotated[float, Field(ge=0, le=10)]
    mav_preparation_sols: Sols
    mav_launch_ls_deg: LsWindow
    trials: Annotated[int, Field(ge=1, le=10_000_000)]
    depot: SurfaceDepot


class Rendezvous(Section):
    """Legs 6: the OS's release orbit (until the ascent leg hands one over), the ERO's
    search, navigation, guidance and the CCRS capture envelope."""

    release_node_deg: Annotated[float, Field(ge=-360, le=360)]
    release_argument_of_latitude_deg: Annotated[float, Field(ge=-360, le=360)]
    release_radial_sigma_km: Annotated[float, Field(ge=0, le=100)]
    release_along_track_sigma_km: Annotated[float, Field(ge=0, le=1000)]
    release_cross_track_sigma_km: Annotated[float, Field(ge=0, le=100)]
    release_velocity_sigma_m_s: Annotated[float, Field(ge=0, le=100)]
    os_mass_kg: Annotated[float, Field(gt=0, le=100)]
    os_drag_coefficient: Annotated[float, Field(gt=0, le=5)]
    os_reflectivity_coefficient: Annotated[float, Field(ge=1, le=2)]
    os_coefficient_sigma_fraction: Annotated[float, Field(ge=0, le=0.5)]
    os_tumble_rate_sigma_deg_s: Annotated[float, Field(ge=0, le=360)]
    ero_mass_kg: Annotated[float, Field(gt=100, le=10000)]
    ero_area_m2: Annotated[float, Field(gt=0, le=1000)]
    upper_atmosphere_scale_height_km: Annotated[float, Field(ge=5, le=100)]
    upper_atmosphere_density_scale: Annotated[float, Field(gt=0, le=100)]
    search_orbit_altitude_offset_km: Annotated[float, Field(ge=-100, lt=0)]
    search_phase_lag_deg: Annotated[float, Field(ge=0, lt=360)]
    search_max_days: Annotated[float, Field(gt=0, le=60)]
    detection_range_km: Annotated[float, Field(gt=0, le=10000)]
    max_phase_angle_deg: Annotated[float, Field(gt=0, le=180)]
    sun_exclusion_angle_deg: Annotated[float, Field(ge=0, lt=90)]
    angle_sigma_urad: Annotated[float, Field(gt=0, le=10000)]
    range_sensor_max_km: Annotated[float, Field(gt=0, le=100)]
    range_sigma_m: Annotated[float, Field(gt=0, le=100)]
    range_sigma_fraction: Annotated[float, Field(ge=0, le=0.5)]
    measurement_interval_s: Annotated[float, Field(ge=10, le=600)]
    process_noise_m2_s3: Annotated[float, Field(ge=0, le=1e-6)]
    min_tracking_orbits: Annotated[float, Field(ge=0, le=50)]
    hold_points_m: Annotated[
        list[Annotated[float, Field(lt=0, ge=-100000)]], Field(min_length=1, max_length=6)
    ]
    hold_orbits: Annotated[float, Field(ge=0.25, le=10)]
    final_approach_speed_cm_s: Annotated[float, Field(gt=0, le=100)]
    final_pulse_interval_s: Annotated[float, Field(ge=10, le=3600)]
    keep_out_radius_m: Annotated[float, Field(gt=0, le=10000)]
    burn_magnitude_sigma_fraction: Annotated[float, Field(ge=0, le=0.2)]
    burn_sigma_mm_s: Annotated[float, Field(ge=0, le=100)]
    burn_pointing_sigma_deg: Annotated[float, Field(ge=0, le=10)]
    capture_lateral_radius_m: Annotated[float, Field(gt=0, le=10)]
    capture_min_closing_speed_cm_s: Annotated[float, Field(ge=0, le=100)]
    capture_max_closing_speed_cm_s: Annotated[float, Field(gt=0, le=100)]
    capture_max_lateral_speed_cm_s: Annotated[float, Field(gt=0, le=100)]
    capture_max_tumble_rate_deg_s: Annotated[float, Field(gt=0, le=360)]
    capture_mechanism_success_probability: Probability
    max_capture_attempts: Annotated[int, Field(ge=1, le=20)]
    retry_wait_orbits: Annotated[float, Field(ge=0.25, le=20)]
    trials: Annotated[int, Field(ge=1, le=100_000)]

    @model_validator(mode="after")
    def _ordered(self):
        if self.hold_points_m != sorted(self.hold_points_m):
            raise ValueError(
                f"hold_points_m = {self.hold_points_m} must approach the OS (ascending)"
            )
        if self.capture_min_closing_speed_cm_s >= self.capture_max_closing_speed_cm_s:
            raise ValueError(
                f"capture_min_closing_speed_cm_s = {self.capture_min_closing_speed_cm_s} must be "
                f"below capture_max_closing_speed_cm_s = {self.capture_max_closing_speed_cm_s}"
            )
        return self


class Containment(Section):
    """Leg 7: the barriers between Mars material and the biosphere, and the requirement."""

    requirement_probability: Annotated[float, Field(gt=0, le=1)]
    operations_days: Annotated[float, Field(ge=0, le=365)]
    seam_temperature_c: Annotated[float, Field(ge=0, le=2000)]
    seam_temperature_sigma_c: Annotated[float, Field(ge=0, le=500)]
    seam_hold_s: Annotated[float, Field(gt=0, le=1e6)]
    seam_hold_sigma_fraction: Annotated[float, Field(ge=0, le=1)]
    reference_temperature_c: Annotated[float, Field(ge=0, le=500)]
    d_value_reference_min: Annotated[float, Field(gt=0, le=1e6)]
    resistance_factor: Annotated[float, Field(ge=1, le=1e6)]
    d_value_sigma_ln: Annotated[float, Field(ge=0, le=5)]
    z_value_c: Annotated[float, Field(gt=0, le=200)]
    z_value_sigma_c: Annotated[float, Field(ge=0, le=100)]
    credited_temperature_max_c: Annotated[float, Field(ge=0, le=2000)]
    seam_particles_mean: Annotated[float, Field(ge=0, le=1e9)]
    seam_particles_sigma_ln: Annotated[float, Field(ge=0, le=5)]
    heater_fault_probability: Probability
    fault_detection_probability: Probability
    entry_failure_probability: Probability
    touchdown_speed_sigma_m_s: Annotated[float, Field(ge=0, le=100)]
    impact_capability_m_s: Annotated[float, Field(gt=0, le=1000)]
    impact_capability_sigma_m_s: Annotated[float, Field(gt=0, le=500)]
    hard_surface_probability: Probability
    failure_given_hard_surface: Probability
    secondary_breach_given_ees_failure: Probability
    primary_breach_given_secondary_breach: Probability
    tube_seal_breach_given_primary_breach: Probability
    barrier_sigma_ln: Annotated[float, Field(ge=0, le=5)]
    trials: Annotated[int, Field(ge=1, le=10_000_000)]


class ScheduleRules(Section):
    """The intentions and constraints the campaign's dates are planned from
    (:func:`msrsim.campaign.schedule.plan_schedule`); the dates themselves are computed."""

    srl_arrival_excluded_ls_deg: LsWindow
    min_surface_sols: Annotated[int, Field(ge=0, le=3000)]
    ero_search_orbit_lead_days: Annotated[float, Field(ge=0, le=1000)]
    capture_and_containment_days: Annotated[float, Field(gt=0, le=1000)]
    max_return_cruise_days: Annotated[float, Field(ge=100, le=2000)]


class Scenario(Section):
    """A whole campaign scenario."""

    scenario: Meta = Meta()
    ero_launch: LaunchWindow
    srl_launch: LaunchWindow
    earth_return: TransferWindow
    campaign: Campaign
    reliability: Reliability
    ero: EarthReturnOrbiter
    srl: SampleRetrievalLander
    perseverance: Perseverance
    helicopters: Helicopter
    sample_transfer_arm: SampleTransferArm
    orbiting_sample: OrbitingSample
    mav: MarsAscentVehicle
    ees: EarthEntrySystem
    surface: Surface
    rendezvous: Rendezvous
    containment: Containment
    schedule: ScheduleRules

    @model_validator(mode="after")
    def _divert_before_entry(self):
        if self.ero.divert_delay_hours >= 24.0 * self.ees.release_before_entry_days:
            raise ValueError(
                f"ero.divert_delay_hours = {self.ero.divert_delay_hours:g} must be less than "
                f"ees.release_before_entry_days = {self.ees.release_before_entry_days:g} days "
                "(the ERO diverts after releasing the capsule and before the capsule enters)"
            )
        return self

    @model_validator(mode="after")
    def _ero_launch_in_its_window(self):
        lo, hi = self.ero_launch.departure_earliest_utc, self.ero_launch.departure_latest_utc
        if not lo <= self.ero.launch_utc <= hi:
            raise ValueError(
                f"ero.launch_utc = {self.ero.launch_utc.date()} must be inside ero_launch's "
                f"departure window ({lo.date()} to {hi.date()})"
            )
        return self

    def leaves(self) -> list[tuple[str, Any, Provenance | None]]:
        """Every value as ``(dotted.path, value, provenance)``, in file order."""
        return list(_leaves(self, ""))


def _leaves(section: Section, prefix: str):
    for name in type(section).model_fields:
        value = getattr(section, name)
        path = f"{prefix}{name}"
        if isinstance(value, Section):
            yield from _leaves(value, path + ".")
        else:
            yield path, value, section.provenance(name)


# --------------------------------------------------------------------------------------
# Loading and error messages
# --------------------------------------------------------------------------------------


def _describe(error: dict[str, Any], data: Any) -> str:
    """One line for one pydantic error: ``field = value: what is allowed``."""
    loc = [str(p) for p in error["loc"]]
    path = _printable(".".join(loc))
    kind = error["type"]
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    message = message.replace("Input should be", "must be")
    if kind == "extra_forbidden":
        parent = _section_at(loc[:-1])
        allowed = ", ".join(parent.model_fields) if parent else ""
        return f"{path}: unknown key (allowed here: {allowed})"
    if kind == "missing":
        return f"{path}: missing (required)"
    if not loc:
        return message if data is None or isinstance(data, dict) else "the scenario: " + message
    value = error.get("input")
    message = _plain_type_message(kind, value, message)
    reason = _field_reason(loc)
    if reason and kind in _BOUND_ERRORS:
        message = f"{message} ({reason})"
    if isinstance(value, dict | list):
        return f"{path}: {message}"
    shown = value.isoformat() if isinstance(value, _dt.date) else repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{path} = {shown}: {message}"


_BOUND_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _plain_type_message(kind: str, value: Any, message: str) -> str:
    """What a strict type error means for a TOML value, said plainly."""
    if kind == "float_type" and isinstance(value, bool):
        return "must be a number, not a boolean (true/false)"
    if kind in ("int_type", "int_from_float") and isinstance(value, bool):
        return "must be a whole number, not a boolean (true/false)"
    if kind in ("int_type", "int_from_float") and isinstance(value, float):
        return "must be a whole number, written without a decimal point"
    if kind == "float_type":
        return f"must be a number, not {_kind_of(value)}"
    if kind == "int_type":
        return f"must be a whole number, not {_kind_of(value)}"
    if kind == "string_type":
        return f"must be a string, not {_kind_of(value)}"
    if kind == "bool_type":
        return f"must be true or false, not {_kind_of(value)}"
    if kind == "list_type":
        return f"must be an array, not {_kind_of(value)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a table, not {_kind_of(value)}"
    if kind == "finite_number":
        return "must be a finite number (nan and inf are not values)"
    return message


def _field_reason(loc: list[str]) -> str:
    """The ``description`` of the field at ``loc``: why its bounds are what they are."""
    model = _section_at(loc[:-1])
    field = model.model_fields.get(loc[-1]) if model is not None else None
    return (field.description or "") if field is not None else ""


def _printable(text: str, limit: int = 200) -> str:
    """``text`` on one line: control characters escaped, cut at ``limit`` characters."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _section_at(loc: list[str]) -> type[Section] | None:
    model: type[Section] = Scenario
    for name in loc:
        field = model.model_fields.get(name)
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, Section)):
            return None
        model = annotation
    return model


def parse_scenario(data: dict[str, Any], origin: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a dict (a parsed TOML document)."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(e, data) for e in exc.errors(include_url=False)]
        raise ScenarioError(origin, problems) from None
    except RecursionError:
        raise ScenarioError(origin, ["not usable: values nested too deeply"]) from None


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and validate a scenario file; the built-in baseline when ``path`` is ``None``.

    Raises
    ------
    ScenarioError
        With one line per problem (missing file, TOML syntax, or invalid values).
    """
    from msrsim.core.resources import InputFileError, read_text_file

    if path is None or str(path) == BASELINE_NAME:
        return baseline()
    path = Path(path)
    try:
        text = read_text_file(path, max_bytes=MAX_SCENARIO_BYTES, what="scenario file")
    except InputFileError as exc:
        raise ScenarioError(str(path), [str(exc).removeprefix(f"{path}: ")]) from None
    return parse_scenario(_parse_toml(text, str(path)), str(path))


MAX_SCENARIO_BYTES = 1 << 20
"""A scenario file's largest size (the baseline, every value sourced, is about 60 KB)."""


def _parse_toml(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(origin, [f"not valid TOML: {exc}"]) from None
    except RecursionError:
        raise ScenarioError(origin, ["not usable: arrays or tables nested too deeply"]) from None


def baseline_text() -> str:
    """The text of the built-in baseline scenario file."""
    return resources.files("msrsim.scenarios").joinpath("baseline.toml").read_text("utf-8")


@lru_cache(maxsize=1)
def baseline() -> Scenario:
    """The built-in baseline: the NASA/ESA architecture of July 2022."""
    return parse_scenario(_parse_toml(baseline_text(), "baseline.toml"), "baseline.toml")
