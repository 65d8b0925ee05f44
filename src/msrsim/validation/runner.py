"""Run the reference cases of :mod:`msrsim.validation.cases` through msrsim's code paths.

Each kind of case is flown the way its command flies it: an Earth entry from its
interface state by :func:`msrsim.campaign.interface_entry.run_interface_entry` (``msrsim
entry --entry-latitude-deg ...``); a Mars EDL by the phases of ``msrsim edl``
(:func:`msrsim.segments.edl.design_edl_guidance` on the entry state, then
:func:`msrsim.segments.edl.fly_edl` through the mean Mars-GRAM profile, with the entry
balance masses dropped at SUFR and the range trigger armed on the nominal where the case
gives them, as ``msrsim edl`` flies a scenario's); porkchop optima by
``msrsim windows``' search; Mars24 by ``msrsim mars-time``'s functions; conjunctions by the
surface leg's :func:`msrsim.segments.surface.mars_solar_conjunctions`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from msrsim.validation.cases import CASES, Case, Figure

PASS, FAIL, KNOWN = "pass", "fail", "known discrepancy"


@dataclass(frozen=True)
class Row:
    """One figure of one case: the model's value against the published one."""

    case: str
    title: str
    figure: Figure
    model: float

    @property
    def difference(self) -> float:
        return self.model - self.figure.published

    @property
    def within(self) -> bool:
        return bool(abs(self.difference) <= self.figure.tolerance)

    @property
    def status(self) -> str:
        if self.within:
            return PASS
        return KNOWN if self.figure.known_discrepancy else FAIL

    def as_dict(self) -> dict:
        f = self.figure
        return {
            "case": self.case,
            "quantity": f.key,
            "label": f.label,
            "unit": f.unit,
            "model": _rounded(self.model),
            "published": f.published,
            "difference": _rounded(self.difference),
            "tolerance": f.tolerance,
            "status": self.status,
            "tolerance_reason": f.tolerance_reason,
            "source": f.source,
            **({"known_discrepancy": f.known_discrepancy} if f.known_discrepancy else {}),
        }


def _rounded(x: float) -> float:
    return float(f"{x:.6g}")


def _earth_entry(case: Case) -> dict[str, float]:
    from msrsim.campaign.earth_entry import EntryOverrides
    from msrsim.campaign.interface_entry import run_interface_entry
    from msrsim.core.bodies import EARTH
    from msrsim.core.frames import cartesian_to_geodetic
    from msrsim.core.time import utc_to_et
    from msrsim.scenario import load_scenario
    from msrsim.segments.entry import EntryInterface

    i = case.inputs
    lat = math.radians(i["geocentric_latitude_deg"])
    lon = math.radians(i["east_longitude_deg"])
    unit = [math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)]
    r = i["radius_km"] * 1e3 * np.array([unit])
    geodetic_lat, _, altitude = cartesian_to_geodetic(r, EARTH)
    interface = EntryInterface(
        latitude_deg=math.degrees(float(geodetic_lat[0])),
        east_longitude_deg=i["east_longitude_deg"],
        altitude_m=float(altitude[0]),
        speed_m_s=i["inertial_speed_m_s"],
        flight_path_angle_deg=i["flight_path_angle_deg"],
        azimuth_deg=i["azimuth_deg"],
        inertial=True,
        horizon="geocentric",
    )
    scenario = load_scenario(None, {"ees.atmosphere_model": "nrlmsis"})
    result = run_interface_entry(
        scenario,
        interface,
        float(utc_to_et(i["entry_utc"])[0]),
        trials=10,
        overrides=EntryOverrides(
            diameter_m=i["diameter_m"],
            nose_radius_m=i["nose_radius_m"],
            half_angle_deg=i["half_angle_deg"],
            mass_kg=i["mass_kg"],
        ),
        ground_altitude_m=i["ground_altitude_m"],
    )
    f = result.footprint.nominal.flight
    return {
        "peak_deceleration_g": float(f.peak_deceleration_g[0]),
        "peak_total_heat_flux_w_cm2": float(
            f.peak_convective_heat_flux_w_m2[0] + f.peak_radiative_heat_flux_w_m2[0]
        )
        / 1e4,
        "heat_load_j_cm2": float(f.heat_load_j_m2[0]) / 1e4,
        "flight_time_s": float(f.time_s[0]),
    }


def _mars_edl(case: Case) -> dict[str, float]:
    from msrsim.core.atmosphere.mars import mars_gram_mean_profile
    from msrsim.core.flight import flight_table
    from msrsim.scenario import load_scenario
    from msrsim.segments.edl import (
        MSL_AEROSHELL,
        MSL_DESCENT,
        MSL_ENTRY,
        MSL_INTERFACE_RADIUS_M,
        MSL_PARACHUTE,
        BalanceJettison,
        GuidanceSettings,
        armed_range_trigger,
        design_edl_guidance,
        fly_edl,
        inertial_entry_states,
    )

    i = case.inputs
    e = load_scenario().srl.edl  # the guidance settings msrsim edl flies with
    balance = None
    if "balance_mass_kg" in i:  # jettisoned before deploy (SUFR)
        balance = BalanceJettison(i["balance_mass_kg"], i["balance_jettison_speed_m_s"])
    shell = dataclasses.replace(MSL_AEROSHELL, mass_kg=i["entry_mass_kg"], balance=balance)
    chute = dataclasses.replace(MSL_PARACHUTE, trigger_speed_m_s=i["parachute_trigger_speed_m_s"])
    ground = i["ground_altitude_m"]
    atmosphere = flight_table(mars_gram_mean_profile(500.0))
    row = np.array(MSL_ENTRY, dtype=np.float64)
    if "entry_fpa_deg" in i:
        row[3] = i["entry_fpa_deg"]
    r, v = inertial_entry_states(row[None], MSL_INTERFACE_RADIUS_M)
    if "entry_relative_speed_m_s" in i:  # the inertial speed that gives it at this place
        for _ in range(4):  # the planet's motion changes little with the speed: converges
            row[2] += i["entry_relative_speed_m_s"] - float(np.linalg.norm(v[0]))
            r, v = inertial_entry_states(row[None], MSL_INTERFACE_RADIUS_M)
    bank = math.radians(e.reference_bank_deg)
    settings = GuidanceSettings(
        bank,
        e.heading_alignment_speed_m_s,
        e.guidance_start_g * 9.80665,
        e.overcontrol_gain,
        e.crossrange_deadband_rad_per_m_s,
    )
    guidance = design_edl_guidance(shell, chute, atmosphere, r, v, settings, ground)
    flown = fly_edl(shell, chute, MSL_DESCENT, r, v, atmosphere, guidance=guidance,
                    initial_bank_rad=bank, ground_altitude_m=ground)  # fmt: skip
    if "range_trigger_speeds_m_s" in i:  # armed on this nominal, as msrsim edl arms it
        chute = armed_range_trigger(chute, flown, i["range_trigger_speeds_m_s"])
        flown = fly_edl(shell, chute, MSL_DESCENT, r, v, atmosphere, guidance=guidance,
                        initial_bank_rad=bank, ground_altitude_m=ground)  # fmt: skip
    return {
        "deploy_time_s": float(flown.entry.time_s[0]),
        "deploy_mach": float(flown.deploy_mach[0]),
        "deploy_dynamic_pressure_pa": float(flown.deploy_dynamic_pressure_pa[0]),
        "deploy_height_km": float(flown.deploy_height_m[0]) / 1e3,
        "touchdown_time_s": float(flown.touchdown_time_s[0]),
    }


def _windows(case: Case) -> dict[str, float]:
    import datetime as dt

    from msrsim.core.time import DAY_S, utc_to_et
    from msrsim.segments.windows import opportunity, optima, porkchop, refine_optimum

    year = case.inputs["year"]
    op = opportunity("earth", "mars", year)
    chop = porkchop("earth", "mars", op.departure_et, op.arrival_et)
    new_year = float(utc_to_et(dt.date(year, 1, 1).isoformat())[0])
    values = {}
    for kind, cell in optima(chop).items():
        best = refine_optimum(chop, cell)
        values |= {
            f"type{kind}_c3_km2_s2": best.c3_m2_s2 / 1e6,
            f"type{kind}_v_inf_km_s": best.v_inf_arrival_m_s / 1e3,
            # the handbook prints whole days: the day ours falls on
            f"type{kind}_launch_day": math.floor((best.departure_et - new_year) / DAY_S + 0.5),
            f"type{kind}_arrival_day": math.floor((best.arrival_et - new_year) / DAY_S + 0.5),
            f"type{kind}_dla_deg": math.degrees(best.dla_rad),
        }
    return values


def _mars24(case: Case) -> dict[str, float]:
    from msrsim.core.time import (
        coordinated_mars_time_hours,
        mars_solar_date,
        solar_longitude_deg,
        utc_to_et,
    )

    et = utc_to_et(case.inputs["utc"])
    return {
        "ls_deg": float(solar_longitude_deg(et)[0]),
        "msd": float(mars_solar_date(et)[0]),
        # whole seconds, truncated as the page prints them
        "mtc_s": float(math.floor(float(coordinated_mars_time_hours(et)[0]) * 3600.0)),
    }


def _conjunctions(case: Case) -> dict[str, float]:
    from msrsim.core.time import utc_to_et
    from msrsim.segments.surface import mars_solar_conjunctions

    published = case.inputs["published_utc"]
    start, end = utc_to_et(["2021-01-01", "2026-06-01"])
    spans = mars_solar_conjunctions(float(start), float(end), math.radians(2.0))
    values = {}
    for year, utc in published.items():
        target = float(utc_to_et(utc)[0])
        nearest = min(spans, key=lambda s: abs(s.extreme_et - target))
        values[f"conjunction_{year}_h"] = (nearest.extreme_et - target) / 3600.0
    return values


RUNNERS = {
    "earth_entry": _earth_entry,
    "mars_edl": _mars_edl,
    "windows": _windows,
    "mars24": _mars24,
    "conjunctions": _conjunctions,
}


def run_case(case: Case) -> list[Row]:
    """The rows of one case (every figure it is checked on)."""
    values = RUNNERS[case.kind](case)
    return [Row(case.name, case.title, f, values[f.key]) for f in case.figures]


def select(names=None) -> list[Case]:
    """The cases named (all when ``names`` is empty); ValueError naming an unknown one."""
    if not names:
        return list(CASES.values())
    unknown = [n for n in names if n not in CASES]
    if unknown:
        raise ValueError(
            f"no reference case {', '.join(map(repr, unknown))}; the cases: " + ", ".join(CASES)
        )
    return [CASES[n] for n in names]


def validate(names=None, progress=None) -> list[Row]:
    """Run the cases named (all by default): one :class:`Row` per figure.
    ``progress(done, total)`` is called after each case."""
    cases = select(names)
    rows = []
    for k, case in enumerate(cases, 1):
        rows += run_case(case)
        if progress is not None:
            progress(k, len(cases))
    return rows


def validation_summary(rows: list[Row]) -> dict:
    """JSON-ready: the rows and the count of each status."""
    counts = {s: sum(r.status == s for r in rows) for s in (PASS, KNOWN, FAIL)}
    return {"counts": counts, "rows": [r.as_dict() for r in rows]}
