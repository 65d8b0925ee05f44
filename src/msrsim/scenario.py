"""The scenario: every input of a campaign, validated, with where each value comes from.

A scenario is a TOML file. A value is written bare (``launch_mass_kg = 6800``) or with its
provenance (``launch_mass_kg = { value = 6800, source = "Airbus 2020" }``); a value that no
publication gives is marked ``representative = true`` and says why in ``source``. The
built-in baseline (``scenarios/baseline-2022.toml``, also named ``baseline``) gives every value
a provenance.

Units are in the field names (``_kg``, ``_km``, ``_deg``, ``_utc`` ...): the scenario is the
edge of the tool, and the legs convert to SI once when they read it.

A scenario may inherit: ``extends = "baseline"`` (a packaged scenario's name, or the path of
another scenario file, relative to this one) followed by only the values that differ.
Sections merge key by key, a value (an array too) replaces the parent's whole; chains of
``extends`` are followed, a cycle refused. Values can also be changed when a scenario is
loaded (``overrides``: ``msrsim ... --set schedule.min_surface_sols=150``). A value given
without a source, in a file or as an override, is the user's: its provenance is
``user: <file>`` (or ``user: --set``), never the source of the value it replaced.

Validation collects every problem of a file and reports each as one line naming the field,
the value and what is allowed (:class:`ScenarioError`).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
import tomllib
from collections.abc import Mapping
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

from msrsim.segments.landing_range import RANGES

BASELINE_NAME = "baseline"
PACKAGED_ALIASES = {"baseline": "baseline-2022"}
"""Other names of packaged scenarios, accepted wherever a packaged name is: ``baseline`` is
the architecture of July 2022 (``baseline-2022``), the default scenario."""
USER = "user"
"""The source of a value the user gave without one: ``user: <file>``, ``user: --set``."""
DEFAULT_SOURCE = "msrsim default"
"""The source of a value no file gives (the field's default)."""


@dataclass(frozen=True)
class Provenance:
    """Where a scenario value comes from; ``representative`` when no publication gives it."""

    source: str
    representative: bool = False

    @property
    def user(self) -> bool:
        """Whether the user gave the value without a source (``user: <where>``)."""
        return self.source == USER or self.source.startswith(USER + ": ")


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
        for key, field in cls.model_fields.items():
            if key not in data and not field.is_required() and _section_type(cls, key) is None:
                provenance[key] = Provenance(DEFAULT_SOURCE)
        model = handler(plain)
        model._provenance.update(provenance)
        return model

    def provenance(self, field: str) -> Provenance | None:
        """The provenance of ``field`` as the file gave it, or ``None``."""
        return self._provenance.get(field)


def _section_type(model: type[Section], name: str) -> type[Section] | None:
    """The section type of ``model``'s field ``name``; ``None`` for a value or no field."""
    annotation = getattr(model.model_fields.get(name), "annotation", None)
    return annotation if isinstance(annotation, type) and issubclass(annotation, Section) else None


# --------------------------------------------------------------------------------------
# The sections of a campaign
# --------------------------------------------------------------------------------------


def _cost_range(value: list[float]) -> list[float]:
    if value and (len(value) != 2 or not 0 < value[0] <= value[1]):
        raise ValueError(
            f"{value} must be empty or [low, high] in billions of US dollars, 0 < low <= high"
        )
    return value


class Meta(Section):
    name: Annotated[str, Field(max_length=200)] = "unnamed scenario"
    description: Annotated[str, Field(max_length=10_000)] = ""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    cost_range_busd: Annotated[
        list[Annotated[float, Field(gt=0, le=1000)]], AfterValidator(_cost_range)
    ] = []
    """The published cost range (billions of US dollars): metadata, not modelled; shown by
    ``msrsim compare`` with its source."""
    published_plan: Literal["nasa-esa-2022", "nasa-2025", "tianwen3", "commercial-relay-2025"] = (
        "nasa-esa-2022"
    )
    """The published plan the computed schedule is set beside
    (:data:`msrsim.campaign.published.PUBLISHED_PLANS`)."""


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
    cruise_propulsion: Literal["electric", "chemical"]
    """``electric``: the solar-electric ERO (:mod:`msrsim.segments.ero`); ``chemical``: an
    impulsive orbiter on ballistic arcs (:mod:`msrsim.segments.ero_chemical`), which reads
    ``chemical_propellant_load_kg`` and not the xenon, arrays or electric propulsion."""
    mars_orbit_insertion_propulsion: Literal["chemical"]
    chemical_propellant_load_kg: Annotated[float, Field(ge=0, le=50_000)] = 0.0
    """Bipropellant of a chemical ERO, for every burn at Mars (0 for an electric ERO)."""
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
        if self.cruise_propulsion == "chemical":
            if not 0.0 < self.chemical_propellant_load_kg < self.launch_mass_kg:
                raise ValueError(
                    f"chemical_propellant_load_kg = {self.chemical_propellant_load_kg:g} must "
                    f"be above 0 and less than launch_mass_kg = {self.launch_mass_kg:g} for a "
                    'chemical ERO (cruise_propulsion = "chemical")'
                )
        elif self.xenon_load_kg + self.bipropellant_load_kg >= self.launch_mass_kg:
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


TERMINAL_DESCENT_FIELDS = (
    "constant_velocity_height_m",
    "constant_velocity_speed_m_s",
    "final_gate_height_m",
    "final_deceleration_m_s2",
    "touchdown_height_m",
    "descent_propellant_kg",
)
"""The fields a sky crane or legged terminal descent must give (msrsim.segments.edl)."""


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
    parachute_trigger: Literal["speed", "range"] = "speed"
    """``speed``: the chute opens at ``parachute_trigger_speed_m_s`` (MSL); ``range``: where
    the range to the target falls to the nominal's range at that speed, between
    ``parachute_range_earliest_speed_m_s`` and ``parachute_range_latest_speed_m_s``
    (Mars 2020's range trigger, :class:`msrsim.segments.edl.RangeTrigger`)."""
    parachute_range_earliest_speed_m_s: Annotated[float, Field(gt=100, le=1500)] = 500.0
    parachute_range_latest_speed_m_s: Annotated[float, Field(gt=100, le=1500)] = 350.0
    balance_mass_kg: Annotated[float, Field(ge=0, le=5000)] = 0.0
    """Entry balance masses dropped before deploy, at ``balance_jettison_speed_m_s``
    (MSL's and Mars 2020's SUFR: six 25 kg masses); ``entry_mass_kg`` includes them."""
    balance_jettison_speed_m_s: Annotated[float, Field(gt=100, le=3000)] = 430.0
    heatshield_separation_delay_s: Annotated[float, Field(ge=0, le=200)]
    heatshield_mass_kg: Annotated[float, Field(ge=0, le=20_000)]
    backshell_separation_height_m: Annotated[float, Field(gt=100, le=10_000)]
    backshell_mass_kg: Annotated[float, Field(ge=0, le=20_000)]
    descent_thrust_n: Annotated[float, Field(gt=0, le=1e6)]
    descent_specific_impulse_s: Annotated[float, Field(gt=50, le=500)]
    touchdown_speed_m_s: Annotated[float, Field(gt=0, le=10)]
    terminal_descent: Literal["gravity_turn", "sky_crane", "legged"] = "gravity_turn"
    constant_velocity_height_m: Annotated[float, Field(gt=0, le=5000)] = 100.0
    constant_velocity_speed_m_s: Annotated[float, Field(gt=0, le=200)] = 20.0
    final_gate_height_m: Annotated[float, Field(ge=0, le=1000)] = 20.0
    final_deceleration_m_s2: Annotated[float, Field(gt=0, le=30)] = 5.0
    touchdown_height_m: Annotated[float, Field(ge=0, le=100)] = 0.0
    descent_propellant_kg: Annotated[float, Field(gt=0, le=20_000)] = 400.0
    descent_thrust_sigma_fraction: Annotated[float, Field(ge=0, le=0.5)] = 0.0
    descent_isp_sigma_fraction: Annotated[float, Field(ge=0, le=0.5)] = 0.0
    touchdown_speed_sigma_m_s: Annotated[float, Field(ge=0, le=5)] = 0.0
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
    def _terminal_descent(self):
        """A sky crane or legged descent names its phases; the gravity turn uses none."""
        if self.terminal_descent == "gravity_turn":
            return self
        needed = [n for n in TERMINAL_DESCENT_FIELDS if n not in self.model_fields_set]
        if needed:
            raise ValueError(
                f"terminal_descent = {self.terminal_descent!r} needs {', '.join(needed)} "
                "(the phases after the powered approach, docs/models.md)"
            )
        heights = (
            self.backshell_separation_height_m,
            self.constant_velocity_height_m,
            self.final_gate_height_m,
            self.touchdown_height_m,
        )
        if not heights[0] > heights[1] > heights[2] >= heights[3]:
            raise ValueError(
                f"backshell_separation_height_m = {heights[0]:g} > constant_velocity_height_m"
                f" = {heights[1]:g} > final_gate_height_m = {heights[2]:g} >= "
                f"touchdown_height_m = {heights[3]:g}: the descent's gates must come in order"
            )
        if self.terminal_descent == "legged" and self.touchdown_height_m != 0.0:
            raise ValueError(
                f"touchdown_height_m = {self.touchdown_height_m:g}: a legged lander touches "
                "down on its legs (0); the height is the sky crane's bridle and rover"
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
        if self.parachute_trigger == "range" and not (
            self.parachute_range_earliest_speed_m_s
            > self.parachute_trigger_speed_m_s
            > self.parachute_range_latest_speed_m_s
        ):
            raise ValueError(
                f"parachute_range_earliest_speed_m_s = {self.parachute_range_earliest_speed_m_s:g}"
                f" > parachute_trigger_speed_m_s = {self.parachute_trigger_speed_m_s:g} > "
                f"parachute_range_latest_speed_m_s = {self.parachute_range_latest_speed_m_s:g}: "
                "a range trigger's window must hold the nominal's deploy speed"
            )
        earliest = (
            self.parachute_range_earliest_speed_m_s
            if self.parachute_trigger == "range"
            else self.parachute_trigger_speed_m_s
        )
        if self.balance_mass_kg > 0 and not self.balance_jettison_speed_m_s > earliest:
            raise ValueError(
                f"balance_jettison_speed_m_s = {self.balance_jettison_speed_m_s:g} must exceed "
                f"the earliest parachute deploy speed, {earliest:g} m/s: the balance masses go "
                "before the chute opens"
            )
        if self.balance_mass_kg + self.heatshield_mass_kg + self.backshell_mass_kg >= (
            self.entry_mass_kg
        ):
            raise ValueError(
                f"balance_mass_kg = {self.balance_mass_kg:g} with the heat shield and backshell "
                f"must be less than entry_mass_kg = {self.entry_mass_kg:g}"
            )
        if self.heading_alignment_speed_m_s <= self.parachute_trigger_speed_m_s:
            raise ValueError(
                f"heading_alignment_speed_m_s = {self.heading_alignment_speed_m_s:g} must "
                f"exceed parachute_trigger_speed_m_s = {self.parachute_trigger_speed_m_s:g}: "
                "the guidance's heading alignment is flown from that speed down to the trigger"
            )
        return self


class LandingRegion(Section):
    """``srl.landing_region``: where a landing counts as safe, a circle on Mars (its centre
    planetocentric, its diameter on Mars' mean sphere). Left out: Jezero crater's rim, the
    values of :data:`msrsim.segments.jezero.JEZERO` (IAU/USGS Gazetteer)."""

    name: str = "Jezero crater"
    latitude_deg: Latitude = 18.38
    east_longitude_deg: EastLongitude = 77.58
    diameter_km: Annotated[float, Field(gt=0, le=3000)] = 45.0


class SampleRetrievalLander(Section):
    launch_mass_kg: Annotated[float, Field(gt=0, le=50_000)]
    target: Site
    edl: EntryDescentLanding
    landing_region: LandingRegion = LandingRegion()

    @model_validator(mode="after")
    def _target_in_region(self):
        from msrsim.segments.jezero import great_circle_km

        r = self.landing_region
        off = float(
            great_circle_km(
                r.latitude_deg, r.east_longitude_deg,
                self.target.latitude_deg, self.target.east_longitude_deg,
            )
        )  # fmt: skip
        if off >= r.diameter_km / 2.0:
            raise ValueError(
                f"srl.target = ({self.target.latitude_deg:g}, "
                f"{self.target.east_longitude_deg:g}) lies {off:.1f} km from the centre of "
                f"srl.landing_region ({r.name}), outside its {r.diameter_km / 2.0:g} km "
                "radius: aim inside the region"
            )
        return self


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
    stages: Annotated[int, Field(ge=1, le=2)]
    propellant: Literal["solid", "liquid"] = "solid"
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
    def _liquid_burns(self):
        """A liquid engine's burns hold their thrust whatever the propellant temperature."""
        if self.propellant == "liquid":
            for name in ("srm1", "srm2"):
                burn = getattr(self, name)
                for key, want in (
                    ("temperature_sensitivity_per_k", 0.0),
                    ("burn_rate_exponent", 0.0),
                    ("thrust_curve", "neutral"),
                ):
                    if getattr(burn, key) != want:
                        raise ValueError(
                            f"{name}.{key} = {getattr(burn, key)!r}: must be {want!r} for "
                            "propellant = 'liquid' (a throttled engine at constant thrust)"
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
    landing_range: Literal[tuple(RANGES)]  # type: ignore[valid-type]
    """The packaged range boundary (:data:`msrsim.segments.landing_range.RANGES`) whose
    inside the footprint, the trials' ``inside_range`` and the maps count and draw."""
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


def _tau_range(value: list[float]) -> list[float]:
    """A range of dust optical depth ``[low, high]``, 0 < low <= high <= 15."""
    if len(value) != 2 or not 0 < value[0] <= value[1] <= 15:
        raise ValueError(f"{value} must be [low, high] with 0 < low <= high <= 15 (tau)")
    return value


class LanderPowerSection(Section):
    """``surface.power``: the lander's power and loads (:mod:`msrsim.segments.lander_power`).
    ``source = "none"`` (the default, the baseline) runs the surface leg with no energy
    balance; the other values are read only for the source named (``rtg_*`` or
    ``array_*``, dust and storm values for ``solar``)."""

    source: Literal["none", "rtg", "solar"] = "none"
    rtg_count: Annotated[int, Field(ge=1, le=8)] = 1
    rtg_bol_power_w: Annotated[float, Field(gt=0, le=10_000)] = 110.0
    rtg_conversion_degradation_per_year: Annotated[float, Field(ge=0, le=0.5)] = 0.008
    rtg_age_at_landing_years: Annotated[float, Field(ge=0, le=30)] = 1.0
    array_area_m2: Annotated[float, Field(gt=0, le=500)] = 10.0
    array_efficiency: Annotated[float, Field(gt=0, le=0.5)] = 0.25
    array_dust_factor_at_landing: Annotated[float, Field(gt=0, le=1)] = 1.0
    dust_deposition_per_tau_sol: Annotated[float, Field(ge=0, le=0.1)] = 0.0015
    cleaning_probability_per_sol: Probability = 0.0
    cleaning_recovery_fraction: Probability = 0.5
    tau_aphelion: Annotated[float, Field(ge=0, le=5)] = 0.5
    tau_perihelion: Annotated[float, Field(ge=0, le=5)] = 0.9
    global_storm_probability_per_mars_year: Probability = 0.33
    global_storm_onset_ls_deg: LsWindow = [185.0, 265.0]
    global_storm_peak_tau: Annotated[list[float], AfterValidator(_tau_range)] = [4.0, 11.0]
    global_storm_rise_sols: Annotated[float, Field(ge=0, le=200)] = 7.0
    global_storm_decay_sols: Annotated[float, Field(gt=0, le=1000)] = 40.0
    battery_wh: Annotated[float, Field(gt=0, le=1e6)] = 2000.0
    keep_alive_w: Annotated[float, Field(ge=0, le=10_000)] = 60.0
    arm_w: Annotated[float, Field(gt=0, le=10_000)] = 100.0
    acquisition_w: Annotated[float, Field(ge=0, le=10_000)] = 150.0
    helicopter_support_wh_per_flight: Annotated[float, Field(ge=0, le=1e5)] = 50.0
    work_reserve_fraction: Probability = 0.5


class LanderAcquisitionSection(Section):
    """``surface.acquisition``: samples the lander takes with its own scoop and drill; no
    samples and ``rover_courier = true`` (the defaults) is the baseline."""

    scoop_samples: Annotated[int, Field(ge=0, le=100)] = 0
    scoop_sols_per_sample: Annotated[int, Field(ge=1, le=100)] = 2
    drill_samples: Annotated[int, Field(ge=0, le=100)] = 0
    drill_sols_per_sample: Annotated[int, Field(ge=1, le=100)] = 5
    hours_per_sol: Annotated[float, Field(gt=0, le=24.6)] = 4.0
    failure_probability_per_attempt: Annotated[float, Field(ge=0, lt=1)] = 0.1
    rover_courier: bool = True


class RelaySection(Section):
    """``surface.relay``: relay passes gating the lander's commanded work; ``enabled =
    false`` (the default) commands every sol."""

    enabled: bool = False
    passes_per_sol: Annotated[float, Field(gt=0, le=100)] = 2.0
    pass_success_probability: Probability = 0.9


class Surface(Section):
    """Leg 4: the surface rules (the SRL's landing and the MAV's deadline are planned,
    :mod:`msrsim.campaign.schedule`)."""

    lander_checkout_sols: Sols
    conjunction_elongation_deg: Annotated[float, Field(ge=0, le=10)]
    mav_preparation_sols: Sols
    mav_launch_ls_deg: LsWindow
    trials: Annotated[int, Field(ge=1, le=10_000_000)]
    depot: SurfaceDepot
    power: LanderPowerSection = LanderPowerSection()
    acquisition: LanderAcquisitionSection = LanderAcquisitionSection()
    relay: RelaySection = RelaySection()


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

    def locate(self, path: str) -> tuple[Section, str]:
        """The section holding the value at ``path`` (``srl_launch.departure_earliest_utc``)
        and the value's name in it; ``KeyError`` when ``path`` names no value."""
        *sections, name = path.split(".")
        section: Section = self
        for part in sections:
            section = getattr(section, part, None)
            if not isinstance(section, Section):
                raise KeyError(path)
        if name not in type(section).model_fields or _section_type(type(section), name):
            raise KeyError(path)
        return section, name


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
    model: type[Section] | None = Scenario
    for name in loc:
        model = _section_type(model, name)
        if model is None:
            return None
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


def load_scenario(
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    overrides_label: str = "overrides",
) -> Scenario:
    """Read and validate a scenario: a file, or a packaged scenario by name (the built-in
    baseline when ``path`` is ``None``), following its ``extends``.

    ``overrides`` changes values after the files are merged: ``{"schedule.min_surface_sols":
    150}`` (a dotted key, a value or a ``{value, source, representative}`` table; a whole
    table merges key by key). A value without a source is ``user: <overrides_label>``;
    problems that only the overrides cause are reported under ``overrides_label``
    (``--set`` at the command line).

    Raises
    ------
    ScenarioError
        With one line per problem (missing file, TOML syntax, a bad ``extends``, an unknown
        override key, or invalid values).
    """
    ref = BASELINE_NAME if path is None else str(path)
    if canonical_name(ref) == canonical_name(BASELINE_NAME) and not overrides:
        return baseline()
    if ref in packaged_names():
        origin, document = ref, _packaged_document(ref)
    else:
        origin, text, directory, identity = _read(Path(ref))
        document = _document(origin, text, directory, ((origin, identity),))
    if not overrides:
        return parse_scenario(document, origin)
    changes = _overrides_document(overrides, overrides_label)
    try:
        return parse_scenario(_merge(Scenario, document, changes), origin)
    except ScenarioError as exc:
        try:
            parse_scenario(document, origin)
        except ScenarioError:
            raise exc from None
        raise ScenarioError(overrides_label, exc.problems) from None


MAX_SCENARIO_BYTES = 1 << 20
"""A scenario file's largest size (the baseline, every value sourced, is about 60 KB)."""
MAX_EXTENDS = 16
"""The longest chain of ``extends`` followed."""


def _parse_toml(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(origin, [f"not valid TOML: {exc}"]) from None
    except RecursionError:
        raise ScenarioError(origin, ["not usable: arrays or tables nested too deeply"]) from None


def packaged_files() -> tuple[str, ...]:
    """The scenarios msrsim carries (``msrsim/scenarios/<name>.toml``), by file name."""
    folder = resources.files("msrsim.scenarios")
    return tuple(sorted(f.name[:-5] for f in folder.iterdir() if f.name.endswith(".toml")))


def packaged_names() -> tuple[str, ...]:
    """Every name a packaged scenario answers to: its file's, and its aliases
    (:data:`PACKAGED_ALIASES`)."""
    return tuple(sorted({*packaged_files(), *PACKAGED_ALIASES}))


def canonical_name(name: str) -> str:
    """The file name of the packaged scenario ``name`` (an alias resolved)."""
    return PACKAGED_ALIASES.get(name, name)


def packaged_text(name: str) -> str:
    """The text of the packaged scenario ``name`` (a file name or an alias)."""
    path = resources.files("msrsim.scenarios").joinpath(f"{canonical_name(name)}.toml")
    return path.read_text("utf-8")


def packaged_catalog() -> list[dict[str, Any]]:
    """One entry per packaged scenario file: its ``name``, ``aliases``, the scenario it
    ``extends`` (or ``None``), its title, description and published cost range."""
    rows = []
    for name in packaged_files():
        values = _packaged_document(name)["scenario"]
        parent = _parse_toml(packaged_text(name), name).get("extends")
        rows.append(
            {
                "name": name,
                "aliases": sorted(a for a, f in PACKAGED_ALIASES.items() if f == name),
                "extends": parent,
                "title": values.get("name", {}).get("value", ""),
                "description": values.get("description", {}).get("value", ""),
                "cost_range_busd": values.get("cost_range_busd", {}).get("value", []),
            }
        )
    return rows


def baseline_text() -> str:
    """The text of the built-in baseline scenario file."""
    return packaged_text(BASELINE_NAME)


@lru_cache(maxsize=8)
def _packaged_document(name: str) -> dict[str, Any]:
    """A packaged scenario's merged values (read-only: shared between calls)."""
    identity = f"packaged:{canonical_name(name)}"
    return _document(name, packaged_text(name), None, ((name, identity),))


@lru_cache(maxsize=1)
def baseline() -> Scenario:
    """The built-in baseline: the NASA/ESA architecture of July 2022."""
    return parse_scenario(_packaged_document(BASELINE_NAME), "baseline.toml")


def _read(path: Path) -> tuple[str, str, Path, str]:
    """A scenario file's ``(origin, text, directory, identity)``."""
    from msrsim.core.resources import InputFileError, read_text_file

    try:
        text = read_text_file(path, max_bytes=MAX_SCENARIO_BYTES, what="scenario file")
    except InputFileError as exc:
        raise ScenarioError(str(path), [str(exc).removeprefix(f"{path}: ")]) from None
    return str(path), text, path.parent, os.path.realpath(path)


def _document(
    origin: str, text: str, directory: Path | None, chain: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    """A scenario file's values merged over those of the scenario it ``extends``, each a
    ``{value, source, representative}`` table (a value without a source is the user's:
    ``user: <origin>``). ``directory``: where a parent's path is relative to (``None``
    for a packaged scenario, which extends packaged ones only); ``chain``: the
    ``(origin, identity)`` of the files read so far, this one last."""
    data = _parse_toml(text, origin)
    parent = data.pop("extends", None)
    document = _annotate(Scenario, data, f"{USER}: {origin}")
    if parent is None:
        return document
    names = packaged_names()
    if not isinstance(parent, str) or not parent.strip():
        shown = _kind_of(parent) if isinstance(parent, dict | list) else repr(parent)
        raise ScenarioError(origin, [
            f"extends = {_printable(shown)}: must be the name of a packaged scenario "
            f"({', '.join(names)}) or the path of a scenario file, as text"
        ])  # fmt: skip
    if parent in names:
        parent_origin, identity = parent, f"packaged:{canonical_name(parent)}"
        parent_text, parent_directory = packaged_text(parent), None
    elif directory is None:
        raise ScenarioError(origin, [
            f"extends = {parent!r}: not a packaged scenario ({', '.join(names)}); a packaged "
            "scenario extends only packaged ones"
        ])  # fmt: skip
    else:
        path = Path(parent).expanduser()
        path = path if path.is_absolute() else Path(os.path.normpath(directory / path))
        try:
            parent_origin, parent_text, parent_directory, identity = _read(path)
        except ScenarioError as exc:
            named = not parent.endswith(".toml") and "/" not in parent and "\\" not in parent
            hint = f" (nor a packaged scenario: {', '.join(names)})" if named else ""
            raise ScenarioError(origin, [
                f"extends = {_printable(repr(parent))}: {exc.origin}: {exc.problems[0]}{hint}"
            ]) from None  # fmt: skip
    seen = [i for _, i in chain]
    if identity in seen:
        loop = " -> ".join([o for o, _ in chain[seen.index(identity) :]] + [parent_origin])
        raise ScenarioError(origin, [f"extends = {parent!r}: a cycle ({_printable(loop)})"])
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError(origin, [
            f"extends = {parent!r}: more than {MAX_EXTENDS} scenarios extend one another"
        ])  # fmt: skip
    ancestors = _document(
        parent_origin, parent_text, parent_directory, (*chain, (parent_origin, identity))
    )
    return _merge(Scenario, ancestors, document)


def _provenanced(item: Any, source: str) -> Any:
    """A value as a ``{value, source, representative}`` table, ``source`` when it has none."""
    if isinstance(item, dict) and "value" in item:
        return item if "source" in item else {**item, "source": source}
    return {"value": item, "source": source}


def _annotate(model: type[Section], data: dict[str, Any], source: str) -> dict[str, Any]:
    """``data`` (a table of ``model``) with every value given a provenance table; unknown
    keys and values of the wrong kind are kept for validation to report."""
    out: dict[str, Any] = {}
    for key, item in data.items():
        section = _section_type(model, key)
        if section is not None:
            out[key] = _annotate(section, item, source) if isinstance(item, dict) else item
        elif key in model.model_fields:
            out[key] = _provenanced(item, source)
        else:
            out[key] = item
    return out


def _merge(model: type[Section], parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """``child`` over ``parent``: tables merge key by key, a value (an array too) replaces
    the parent's whole. Neither argument is changed."""
    out = dict(parent)
    for key, item in child.items():
        section = _section_type(model, key)
        if section is not None and isinstance(item, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(section, out[key], item)
        else:
            out[key] = item
    return out


# --------------------------------------------------------------------------------------
# Overrides (--set section.key=value)
# --------------------------------------------------------------------------------------

_KEY_RE = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*\Z")


def parse_override(text: str, label: str = "--set") -> tuple[str, Any]:
    """``"schedule.min_surface_sols=150"`` as ``("schedule.min_surface_sols", 150)``.

    The value is read as a TOML literal (``150``, ``2030-06-01``, ``[0, 180]``, ``true``,
    ``"text"``, ``{ value = 150, source = "..." }``); text that is not one is taken as a
    string (``--set ees.atmosphere_model=us76``).
    """
    key, sep, literal = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(label, [
            f"{_printable(repr(text))}: must be section.key=value "
            "(e.g. schedule.min_surface_sols=150)"
        ])  # fmt: skip
    literal = literal.strip()
    try:
        parsed = tomllib.loads(f"v = {literal}")
    except (tomllib.TOMLDecodeError, RecursionError):
        return key.strip(), literal
    return key.strip(), parsed["v"] if set(parsed) == {"v"} else literal


def _override_layer(key: Any, value: Any, source: str) -> dict[str, Any]:
    """One override as a document: ``{section: {name: {value, source}}}``."""
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise ValueError(
            f"{_printable(repr(key))}: not a key (section.key, e.g. schedule.min_surface_sols)"
        )
    parts = key.split(".")
    model: type[Section] = Scenario
    for depth, part in enumerate(parts):
        where = ".".join(parts[: depth + 1])
        if part not in model.model_fields:
            raise ValueError(
                f"{where}: unknown key (allowed here: {', '.join(model.model_fields)})"
            )
        section = _section_type(model, part)
        if depth == len(parts) - 1:
            if section is None:
                layer = _provenanced(value, source)
            elif isinstance(value, dict):
                layer = _annotate(section, value, source)
            else:
                layer = value
        elif section is None:
            raise ValueError(f"{key}: {where} is a value, not a table")
        else:
            model = section
    for part in reversed(parts):
        layer = {part: layer}
    return layer


def _overrides_document(overrides: Mapping[str, Any], label: str) -> dict[str, Any]:
    """The overrides as one document, each value the user's (``user: <label>``)."""
    if not isinstance(overrides, Mapping):
        raise TypeError(f"overrides: expected a mapping, got {type(overrides).__name__}")
    document: dict[str, Any] = {}
    problems = []
    for key, value in overrides.items():
        try:
            document = _merge(Scenario, document, _override_layer(key, value, f"{USER}: {label}"))
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ScenarioError(label, problems)
    return document


# --------------------------------------------------------------------------------------
# Writing a scenario: TOML that loads back equal, JSON by --set key, a new variant
# --------------------------------------------------------------------------------------


def date_text(value: _dt.datetime) -> str:
    """A date at midnight as ``2030-06-01``, another epoch in ISO 8601 to the microsecond."""
    midnight = value.tzinfo is None and value.time() == _dt.time()
    return value.date().isoformat() if midnight else value.isoformat()


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r}: a scenario value is finite")
        return repr(value)
    if isinstance(value, str):
        # a JSON string is a TOML basic string, but for DEL, which TOML wants escaped
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, _dt.datetime):
        return date_text(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"{type(value).__name__} {value!r} has no TOML form")


def _toml_entry(value: Any, provenance: Provenance | None) -> str:
    if provenance is None:
        return _toml_value(value)
    flag = ", representative = true" if provenance.representative else ""
    return f"{{ value = {_toml_value(value)}, source = {_toml_value(provenance.source)}{flag} }}"


def scenario_toml(scenario: Scenario, header: str = "") -> str:
    """The scenario as a whole TOML file, every value with its provenance, that loads back
    equal (values and provenance; a value without a provenance is written bare, and
    loads back as the user's). ``header``: comment lines on top."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]

    def table(section: Section, prefix: str) -> None:
        fields = type(section).model_fields
        values = [n for n in fields if _section_type(type(section), n) is None]
        if values:
            lines.extend(["", f"[{prefix}]"] if lines else [f"[{prefix}]"])
            lines.extend(
                f"{n} = {_toml_entry(getattr(section, n), section.provenance(n))}" for n in values
            )
        for name in fields:
            if name not in values:
                table(getattr(section, name), f"{prefix}.{name}" if prefix else name)

    table(scenario, "")
    return "\n".join(lines) + "\n"


def scenario_json(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Every value by the key ``--set`` takes (``srl_launch.departure_earliest_utc``):
    ``{value, source, representative}``, dates as ISO 8601 text. Given back as
    ``overrides`` it reproduces the scenario."""
    return {
        path: {
            "value": date_text(value) if isinstance(value, _dt.datetime) else value,
            "source": prov.source if prov else None,
            "representative": prov.representative if prov else None,
        }
        for path, value, prov in scenario.leaves()
    }


def variant_text(name: str, parent: str) -> str:
    """A new scenario file that inherits every value of ``parent`` (``msrsim scenario
    init``), with a hint of how to change them."""
    import shlex

    shown = json.dumps(parent, ensure_ascii=False)
    return f"""\
# {name}: every value of {shown}, but those given below.
#
# Give a value under its table, bare or with its source. A bare value is shown as "user"
# in `msrsim scenario show` and in the report, e.g.:
#
#   [srl_launch]
#   departure_earliest_utc = 2030-06-01
#   departure_latest_utc = {{ value = 2030-08-31, source = "trade study, May 2024" }}
#
#   [schedule]
#   min_surface_sols = 150
#
# Tables merge key by key; an array replaces the whole array. Every key and its current
# value and source: msrsim scenario show {shlex.quote(parent)}
# To try a value without editing: --set schedule.min_surface_sols=150

extends = {shown}

[scenario]
name = {json.dumps(name, ensure_ascii=False)}
description = {json.dumps(f"{parent}, with the values below changed", ensure_ascii=False)}
"""
