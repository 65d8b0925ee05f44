"""Earth entry from a given interface state: a flown capsule replayed, or any capsule.

``msrsim entry`` normally aims the capsule's approach from the return's arrival (legs 8
and 9, :mod:`msrsim.campaign.earth_entry`). Given the interface itself (planetodetic
place, altitude, speed, flight-path angle, azimuth and epoch, inertial or relative, about
the geodetic or the geocentric horizontal), it flies that state instead: the nominal
through the atmosphere of the epoch and place, and a footprint of interface, density,
wind and vehicle dispersions about it (:func:`msrsim.segments.entry.footprint`). This is
how the reconstructed entries of flown capsules are replayed (:mod:`msrsim.validation`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from msrsim.campaign.earth_entry import (
    EntryOverrides,
    _scaled,
    capsule_of,
    footprint_part,
    nominal_entry_part,
)
from msrsim.core.atmosphere.earth import EARTH_WIND_DISPERSION
from msrsim.core.time import et_to_utc_iso
from msrsim.scenario import Scenario
from msrsim.segments.entry import (
    Capsule,
    EntryInterface,
    Footprint,
    VehicleDispersions,
    entry_atmosphere,
    footprint,
    interface_states,
)


@dataclass(frozen=True)
class InterfaceEntryResult:
    """A capsule flown from a given interface: its footprint and what it was flown with."""

    interface: EntryInterface
    entry_et: float
    capsule: Capsule
    footprint: Footprint
    atmosphere_source: str
    ground_altitude_m: float
    seed: int


def check_interface(interface: EntryInterface) -> None:
    """One-line errors naming the option, the value and the allowed range."""
    limits = (
        ("latitude_deg", "--entry-latitude-deg", -90.0, 90.0),
        ("east_longitude_deg", "--entry-longitude-deg", -360.0, 360.0),
        ("azimuth_deg", "--entry-azimuth-deg", -360.0, 360.0),
    )
    for field, option, low, high in limits:
        value = getattr(interface, field)
        if not (math.isfinite(value) and low <= value <= high):
            raise ValueError(f"{option} = {value}: must be between {low:g} and {high:g}")


def run_interface_entry(
    scenario: Scenario,
    interface: EntryInterface,
    entry_et: float,
    *,
    trials: int | None = None,
    seed: int | None = None,
    overrides: EntryOverrides | None = None,
    wind_profile=None,
    ground_altitude_m: float | None = None,
    progress=None,
) -> InterfaceEntryResult:
    """Fly the scenario's capsule (with any figure overridden) from ``interface`` at
    ``entry_et``, and its footprint of ``trials`` dispersed entries.

    The atmosphere is the scenario's model (``ees.atmosphere_model``) above the interface
    point at the entry epoch; the ground is ``ground_altitude_m`` (default the scenario's
    landing ground, ``ees.landing_ground_altitude_m``).
    """
    check_interface(interface)
    ees = scenario.ees
    capsule = capsule_of(scenario, overrides or EntryOverrides())
    atmosphere = entry_atmosphere(
        ees.atmosphere_model,
        entry_et,
        interface.latitude_deg,
        interface.east_longitude_deg,
        wind_profile=wind_profile,
    )
    seed = scenario.scenario.seed if seed is None else seed
    state_rng, flight_rng = np.random.default_rng(seed).spawn(2)
    n = ees.footprint_trials if trials is None else trials
    ground = ees.landing_ground_altitude_m if ground_altitude_m is None else ground_altitude_m
    fp = footprint(
        capsule,
        interface_states(interface),
        interface_states(interface, n, state_rng),
        atmosphere,
        flight_rng,
        vehicle=VehicleDispersions(ees.drag_sigma_fraction, ees.mass_sigma_fraction),
        winds=_scaled(EARTH_WIND_DISPERSION, ees.wind_sigma_scale),
        ground_altitude_m=ground,
        history_samples=2000,
        progress=progress,
    )
    return InterfaceEntryResult(interface, entry_et, capsule, fp, atmosphere.source, ground, seed)


def interface_summary(result: InterfaceEntryResult) -> dict:
    """A JSON-ready digest in parts (as :func:`msrsim.campaign.earth_entry.summary`)."""
    i, fp = result.interface, result.footprint
    return {
        "entry_interface": {
            "epoch_utc": et_to_utc_iso(result.entry_et)[0][:19],
            "latitude_deg": i.latitude_deg,
            "east_longitude_deg": i.east_longitude_deg,
            "altitude_km": i.altitude_m / 1e3,
            ("inertial" if i.inertial else "relative") + "_speed_m_s": i.speed_m_s,
            "flight_path_angle_deg": i.flight_path_angle_deg,
            "azimuth_deg": i.azimuth_deg,
            "horizon": i.horizon,
        },
        "nominal_entry": nominal_entry_part(fp, result.atmosphere_source)
        | {
            "landing_latitude_deg": round(math.degrees(fp.nominal.landing_latitude_rad[0]), 4),
            "landing_east_longitude_deg": round(
                math.degrees(fp.nominal.landing_longitude_rad[0]), 4
            ),
        },
        "footprint": footprint_part(fp, result.seed),
    }
