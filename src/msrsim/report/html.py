"""The HTML mission report of ``msrsim run --out DIR`` and ``msrsim report DIR``.

``DIR`` holds, after a run with its report:

* ``trials/``: the campaign Monte Carlo, a Parquet dataset (one row a trial; columns in
  docs/outputs.md);
* ``summary.json``: the run's digest (schema: ``report/summary.schema.json``);
* ``figures/*.png``: the matplotlib figures of every leg, for papers;
* ``report_data.json``: what the interactive plots draw, decimated (at most
  :data:`MAX_POINTS` points a cloud): porkchops, landings at Jezero and on the range, surface
  schedule and tube manifest, ascent profile, rendezvous tracks, entry corridor, Monte
  Carlo histograms, the scenario's values with their provenance;
* ``report.html``: one self-contained file: plotly.js inline once, the PNGs inline as
  base64, no font or script from the network, so it opens offline.

:func:`write_report` needs the legs' full results (``CampaignResult.handoffs``);
:func:`build_report` rebuilds ``report.html`` from ``DIR``'s files alone (the timeline,
checks, Monte Carlo digest and risk drivers come from ``summary.json``, the rest from
``report_data.json`` and ``figures/``).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import math
from pathlib import Path

import numpy as np

from msrsim.campaign.summaries import SPREAD_SUFFIXES
from msrsim.core.bodies import EARTH, MARS
from msrsim.core.resources import atomic_write, read_text_file
from msrsim.report.basemap import (
    JEZERO_RELIEF,
    NO_RELIEF,
    RELIEF_EXAGGERATION,
    load_relief,
    relief_traces,
)

__all__ = [
    "MAX_POINTS",
    "SECTIONS",
    "build_report",
    "draw_figures",
    "report_data",
    "write_report",
]

REPORT_DATA_VERSION = 1
MAX_POINTS = 3000
"""Points of a scatter cloud kept in ``report_data.json`` (a seeded random subset)."""
MIN_BAR_DAYS = 12.0
"""Shortest bar drawn on the campaign timeline (an ascent lasts minutes)."""
PORKCHOP_CELLS = 120
"""Grid cells kept along each porkchop axis (every k-th date)."""
PORKCHOP_SPAN_KM2_S2 = 60.0
"""C3 above the least by more than this is drawn in the top colour."""
VIRIDIS_R = ("#fde725", "#b5de2b", "#6ece58", "#35b779", "#1f9e89", "#26828e", "#31688e",
             "#3e4989", "#482878", "#440154", "#440154")  # fmt: skip
"""Viridis reversed (matplotlib's stops, yellow at the least C3)."""
PARACHUTE_FLAG_FRACTION = 0.05
"""The report flags a parachute deployed outside its qualification box (Mach, dynamic
pressure) in more than this fraction of the EDL Monte Carlo's trials."""

SECTIONS = (
    ("summary", "Campaign at a glance"),
    ("timeline", "Campaign timeline"),
    ("porkchops", "Launch windows"),
    ("edl", "Mars landing at Jezero"),
    ("surface", "Surface operations and tube manifest"),
    ("ascent", "Mars ascent"),
    ("rendezvous", "Rendezvous and capture"),
    ("entry", "Earth entry and landing"),
    ("montecarlo", "Campaign Monte Carlo"),
    ("risk", "Risk drivers"),
    ("validation", "Validation against flown missions"),
    ("assumptions", "Assumptions"),
    ("figures", "Figures"),
)
"""Each section's id (``section-<key>`` in the page) and title, in page order."""

FIGURE_CAPTIONS = {
    "campaign_geometry": "Earth-Mars distance, solar conjunctions, launch windows, Mars season",
    "porkchop_ero": "ERO launch window (ballistic reference): porkchop and launch period",
    "porkchop_srl": "SRL launch window: porkchop and launch period",
    "ero_trajectory": "ERO cruises seen from the north ecliptic pole",
    "ero_thrust_power": "ERO thrust, power and mass",
    "ero_spirals": "ERO spirals at Mars",
    "edl_profile": "SRL nominal entry profile",
    "edl_ellipse_map": "SRL landings and 99 % ellipse in Jezero",
    "edl_distributions": "SRL EDL distributions",
    "surface_timeline": "Surface operations (nominal Gantt)",
    "surface_monte_carlo": "Surface Monte Carlo",
    "ascent_profile": "MAV nominal ascent",
    "ascent_distributions": "MAV release orbits",
    "rendezvous_relative_trajectory": "Rendezvous: V-bar / R-bar approach",
    "rendezvous_passive_safety": "Rendezvous: passive safety",
    "rendezvous_navigation": "Rendezvous: navigation",
    "rendezvous_distributions": "Rendezvous and containment distributions",
    "entry_footprint": "EES footprint on the landing range",
    "entry_profile": "EES nominal entry profile",
    "entry_distributions": "EES entry distributions",
}


# --------------------------------------------------------------------------------------
# Writing: figures, data, page
# --------------------------------------------------------------------------------------


def _launch_searches(scenario):
    """The launch windows' porkchops; the SRL's with the schedule's launch period (the ERO's
    period is a ballistic reference: it flies electric)."""
    import dataclasses

    from msrsim.campaign.launch import search_launch
    from msrsim.campaign.schedule import plan_schedule

    srl = search_launch(scenario.srl_launch, scenario.srl.launch_mass_kg)
    return {
        "ero": search_launch(scenario.ero_launch, scenario.ero.launch_mass_kg),
        "srl": dataclasses.replace(srl, launch_period=plan_schedule(scenario).srl_launch_period),
    }


def draw_figures(scenario, handoffs: dict, directory, windows=None) -> list[Path]:
    """Every leg's matplotlib figures as PNG files in ``directory`` (created)."""
    from msrsim.report.ascent_plots import ascent_plots
    from msrsim.report.edl_plots import edl_plots
    from msrsim.report.entry_plots import entry_plots
    from msrsim.report.ero_plots import ero_plots
    from msrsim.report.plots import campaign_geometry, porkchop_plot
    from msrsim.report.rendezvous_plots import rendezvous_plots
    from msrsim.report.surface_plots import surface_plots

    directory = Path(directory)
    if directory.is_symlink():
        raise ValueError(f"{directory} is a symbolic link: msrsim never writes through a link")
    directory.mkdir(parents=True, exist_ok=True)
    windows = windows or _launch_searches(scenario)
    drawn = [campaign_geometry(scenario, directory / "campaign_geometry.png")]
    for name, found in windows.items():
        drawn.append(
            porkchop_plot(
                found.porkchop,
                directory / f"porkchop_{name}.png",
                optima=found.optima,
                launch_period=found.launch_period,
            )
        )
    drawn += ero_plots(handoffs["mission"], directory)
    edl, e, depot = handoffs["edl"], scenario.srl.edl, scenario.surface.depot
    drawn += edl_plots(
        edl.nominal,
        edl.guided,
        directory,
        target_latitude_deg=scenario.srl.target.latitude_deg,
        target_longitude_deg=scenario.srl.target.east_longitude_deg,
        depot_latitude_deg=depot.latitude_deg,
        depot_longitude_deg=depot.east_longitude_deg,
        max_deploy_mach=e.parachute_max_mach,
        max_deploy_dynamic_pressure_pa=e.parachute_max_dynamic_pressure_pa,
        site=edl.region,
    )
    drawn += surface_plots(handoffs["surface"], directory)
    drawn += ascent_plots(handoffs["ascent"], directory)
    drawn += rendezvous_plots(handoffs["rendezvous"], directory)
    drawn += entry_plots(handoffs["entry"], directory)
    return drawn


def _r(values, digits: int = 4) -> list:
    """A JSON-ready list: rounded floats, None for NaN or infinity."""
    arr = np.asarray(values, dtype=np.float64).ravel()
    return [round(float(v), digits) if math.isfinite(v) else None for v in arr]


def _subset(n: int, keep: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most ``keep`` of ``n`` points (seeded, sorted)."""
    if n <= keep:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, keep, replace=False))


def _utc(et) -> list[str]:
    from msrsim.core.time import et_to_utc_iso

    return [s[:16] for s in et_to_utc_iso(np.atleast_1d(np.asarray(et, np.float64)))]


def _porkchop_data(found) -> dict:
    chop = found.porkchop
    c3 = chop.c3_m2_s2 / 1e6
    finite = np.where(np.isfinite(c3), c3, np.inf)
    slot = np.argmin(finite, axis=2)
    least = np.take_along_axis(c3, slot[..., None], axis=2)[..., 0]
    tof = chop.tof_s / 86400.0  # (departures, arrivals): the same for every arc
    i = np.unique(
        np.linspace(0, least.shape[0] - 1, min(PORKCHOP_CELLS, least.shape[0])).astype(int)
    )
    j = np.unique(
        np.linspace(0, least.shape[1] - 1, min(PORKCHOP_CELLS, least.shape[1])).astype(int)
    )
    least, tof = least[np.ix_(i, j)], tof[np.ix_(i, j)]
    lowest = float(np.nanmin(least)) if np.isfinite(least).any() else 0.0
    # the useful part of the colours: higher C3 clipped to its top (masking the cells
    # instead drew the band's edge as a staircase of grid cells)
    least = np.minimum(least, lowest + PORKCHOP_SPAN_KM2_S2)
    period = found.launch_period
    return {
        "departure_body": chop.departure_body,
        "arrival_body": chop.arrival_body,
        "departure_utc": _utc(chop.departure_et[i]),
        "arrival_utc": _utc(chop.arrival_et[j]),
        # rows: arrival dates, columns: departure dates (plotly's z[y][x])
        "c3_km2_s2": [_r(row, 3) for row in least.T],
        "tof_days": [_r(row, 1) for row in tof.T],
        "optima": [
            {
                "transfer_type": int(kind),
                "departure_utc": _utc(t.departure_et)[0],
                "arrival_utc": _utc(t.arrival_et)[0],
                "c3_km2_s2": round(t.c3_m2_s2 / 1e6, 3),
            }
            for kind, t in found.optima.items()
        ],
        "launch_period": None
        if period is None
        else {
            "open_utc": _utc(period.open_et)[0],
            "close_utc": _utc(period.close_et)[0],
            "days": int(period.days),
            "max_c3_km2_s2": round(period.max_c3_m2_s2 / 1e6, 3),
        },
    }


def _edl_data(scenario, edl) -> dict:
    from msrsim.campaign.edl import landing_place
    from msrsim.segments.jezero import (
        JEZERO,
        circle_deg,
        ellipse_clearance,
        landing_points_deg,
    )

    lat, lon = landing_points_deg(edl.guided)
    target = scenario.srl.target
    region = edl.region  # the landing region (Jezero's rim by default)
    stats = ellipse_clearance(edl.guided, region, target.latitude_deg, target.east_longitude_deg)
    e_lat, e_lon = stats.ellipse.outline_deg(181)
    r_lat, r_lon = circle_deg(
        region.crater_latitude_deg, region.crater_longitude_deg, region.crater_radius_km, 181
    )
    keep = _subset(lat.size)
    return {
        "trials": int(lat.size),
        "landing_latitude_deg": _r(lat[keep], 5),
        "landing_longitude_deg": _r(lon[keep], 5),
        "ellipse_latitude_deg": _r(e_lat, 5),
        "ellipse_longitude_deg": _r(e_lon, 5),
        "ellipse_axes_km": [
            round(2 * stats.ellipse.semi_major_km, 2),
            round(2 * stats.ellipse.semi_minor_km, 2),
        ],
        "ellipse_clearance_km": round(float(stats.ellipse_clearance_km), 2),
        "rim_latitude_deg": _r(r_lat, 5),
        "rim_longitude_deg": _r(r_lon, 5),
        "crater_latitude_deg": region.crater_latitude_deg,
        "region_name": landing_place(region),
        "region_is_jezero": region == JEZERO,
        "target": [target.latitude_deg, target.east_longitude_deg],
        "perseverance_landing": [JEZERO.landing_latitude_deg, JEZERO.landing_longitude_deg],
        "perseverance_landing_name": JEZERO.landing_site_name,
        "depot": [scenario.surface.depot.latitude_deg, scenario.surface.depot.east_longitude_deg],
        "parachute_outside_box_fraction": round(float(np.mean(~edl.guided.deploy_in_box)), 4),
        "parachute_box": {
            "max_mach": scenario.srl.edl.parachute_max_mach,
            "max_dynamic_pressure_pa": scenario.srl.edl.parachute_max_dynamic_pressure_pa,
        },
    }


def _surface_data(surface, monte_carlo: dict) -> dict:
    from msrsim.campaign.surface import timeline_rows
    from msrsim.samples.catalog import load_catalog

    rows = timeline_rows(surface)
    loaded = {t["name"]: t for t in rows["tubes_loaded"]}
    chance = monte_carlo.get("probability_each_tube_returns") or {}
    tubes = [
        {
            "seq": t.tube_seq,
            "name": t.name,
            "kind": t.kind,
            "where_collected": t.location,
            "sealed_date": t.sealed_date,
            "now_at": t.now_at + (f" #{t.depot_drop_order}" if t.depot_drop_order else ""),
            "loaded_nominal": t.name in loaded,
            "courier": loaded[t.name]["courier"] if t.name in loaded else None,
            "probability_returns": chance.get(t.name),
        }
        for t in load_catalog()
    ]
    return {"activities": rows["activities"], "flights": rows["flights"], "tubes": tubes}


def _ascent_data(ascent) -> dict:
    from msrsim.campaign.ascent import trajectory_rows

    rows = trajectory_rows(ascent)
    keys = ("time_s", "phase", "altitude_km", "speed_m_s", "mach", "dynamic_pressure_pa",
            "flight_path_angle_deg", "thrust_n", "mass_kg")  # fmt: skip
    return {key: [row.get(key) for row in rows] for key in keys}


def _rendezvous_data(leg) -> dict:
    tracks = leg.result.history_local
    step = max(1, tracks.shape[0] // 400)
    trials = [
        {
            "v_bar_km": _r(tracks[::step, k, 1] / 1e3, 4),
            "r_bar_km": _r(tracks[::step, k, 0] / 1e3, 4),
        }
        for k in range(min(tracks.shape[1], 12))
    ]
    nominal = leg.nominal_track
    return {
        "nominal": {
            "v_bar_km": _r(nominal[:, 1] / 1e3, 4),
            "r_bar_km": _r(nominal[:, 0] / 1e3, 4),
        },
        "trials": trials,
        "hold_points_km": _r(np.asarray(leg.result.hold_points_m) / 1e3, 4),
        "capture_probability": round(float(np.mean(leg.result.captured)), 4),
    }


def _entry_data(entry) -> dict:
    from msrsim.report.entry_plots import _ellipse_outline, _track

    fp = entry.footprint
    _, _, rows, col = _track(fp.nominal.flight.history[0])
    speed = np.linalg.norm(rows[:, [col["vx_m_s"], col["vy_m_s"], col["vz_m_s"]]], axis=1)
    step = max(1, rows.shape[0] // 600)
    landed = fp.entries.flight.status == 0
    lat = np.degrees(fp.entries.landing_latitude_rad[landed])
    lon = np.degrees(fp.entries.landing_longitude_rad[landed])
    keep = _subset(lat.size)
    e_lat, e_lon = _ellipse_outline(fp.ellipse)
    t_lat, t_lon, _, _ = _track(fp.nominal.flight.history[0])
    tstep = max(1, t_lat.size // 300)
    rng_ = entry.landing_range
    return {
        "corridor": {
            "time_s": _r(rows[::step, col["time_s"]], 2),
            "altitude_km": _r(rows[::step, col["altitude_m"]] / 1e3, 3),
            "speed_km_s": _r(speed[::step] / 1e3, 4),
            "deceleration_g": _r(rows[::step, col["deceleration_g"]], 3),
            "heat_flux_w_cm2": _r(
                (
                    rows[::step, col["convective_heat_flux_w_m2"]]
                    + rows[::step, col["radiative_heat_flux_w_m2"]]
                )
                / 1e4,
                2,
            ),  # fmt: skip
        },
        "trials": int(landed.size),
        "landing_latitude_deg": _r(lat[keep], 5),
        "landing_longitude_deg": _r(lon[keep], 5),
        "ellipse_latitude_deg": _r(e_lat, 5),
        "ellipse_longitude_deg": _r(e_lon, 5),
        "ellipse_axes_km": [
            round(2 * fp.ellipse.semi_major_m / 1e3, 2),
            round(2 * fp.ellipse.semi_minor_m / 1e3, 2),
        ],
        "ground_track_latitude_deg": _r(t_lat[::tstep], 5),
        "ground_track_longitude_deg": _r(t_lon[::tstep], 5),
        "target": [entry.target.latitude_deg, entry.target.east_longitude_deg],
        "range_name": rng_.name,
        "range_source": rng_.source,
        "range_latitude_deg": _r(np.r_[rng_.latitude_deg, rng_.latitude_deg[:1]], 5),
        "range_longitude_deg": _r(np.r_[rng_.east_longitude_deg, rng_.east_longitude_deg[:1]], 5),
        "probability_outside_range": round(float(np.mean(~entry.inside_range)), 5),
        "landed": int(np.count_nonzero(landed)),
        "probability_outside_range_if_landed": (
            round(float(np.mean(~entry.inside_range[landed])), 5) if landed.any() else None
        ),
    }


def _histogram(counted, bins: int = 40, integer: bool = False, scale=None) -> dict | None:
    """``bins`` bins over the span of ``counted`` (a :class:`msrsim.campaign.tally.
    BinnedCounts`), its values mapped by ``scale`` first; each of its fine bins counted
    at its centre."""
    values, weights = counted.centres()
    if values.size == 0:
        return None
    if scale is not None:
        values = scale(values)
    if integer:
        lo, hi = math.floor(values.min()), math.ceil(values.max())
        edges = np.arange(lo - 0.5, hi + 1.5, max(1, math.ceil((hi - lo + 1) / bins)))
    else:
        lo, hi = float(values.min()), float(values.max())
        edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
    counts, edges = np.histogram(values, bins=edges, weights=weights)
    return {"edges": _r(edges, 6), "counts": [int(c) for c in counts], "n": int(weights.sum())}


def monte_carlo_histograms(histograms) -> dict:
    """Histograms of the trials table's main columns (``report_data.json["monte_carlo"]``)
    from their counts (:class:`msrsim.campaign.tally.TrialHistograms`, gathered chunk by
    chunk: a run of any size); a continuous quantity's fine bins (``RESOLUTION`` there)
    are counted at their centres.

    Dates are in a unit that fits their spread (:func:`time_unit`: seconds, minutes, hours
    or days) after the earliest of the trials (``earth_landing_seconds_after``,
    ``mav_launch_days_after``), with that date given (``*_origin_utc``), so the bins stay
    plain numbers.
    """
    from msrsim.campaign.chain import Failure

    binned = histograms.binned
    out: dict = {
        "trials": histograms.trials,
        "successes": histograms.successes,
        "outcome": {Failure(c).name.lower(): int(k) for c, k in enumerate(histograms.outcome) if k},
        "tubes_returned_if_success": _histogram(binned["tubes_returned_if_success"], integer=True),
        "capture_margin_days": _histogram(binned["capture_margin_days"]),
        "edl_miss_km": _histogram(binned["landing_miss_km"]),
        "capture_attempts": _histogram(binned["capture_attempts"], integer=True),
        "helicopter_flights": _histogram(binned["helicopter_flights"], integer=True),
    }
    for name in ("earth_landing_et", "mav_launch_et"):
        et, _ = binned[name].centres()
        key = name.removesuffix("_et")
        if et.size:
            origin = float(et.min())
            unit, scale = time_unit(float(et.max()) - origin)
            out[f"{key}_{unit}_after"] = _histogram(
                binned[name], scale=lambda x, o=origin, s=scale: (x - o) / s
            )
            out[f"{key}_origin_utc"] = _utc(origin)[0]
    return out


def time_unit(span_s: float) -> tuple[str, float]:
    """The unit (name, seconds) a spread of ``span_s`` seconds reads best in: seconds
    under 3 minutes, minutes under 3 hours, hours under 3 days, else days."""
    for unit, scale in (("seconds", 1.0), ("minutes", 60.0), ("hours", 3600.0)):
        if span_s < 3.0 * scale * (60.0 if unit != "hours" else 24.0):
            return unit, scale
    return "days", 86400.0


def _basis(source: str) -> str:
    """A milestone's basis as HTML: ``representative`` and ``user`` as flags."""
    for flag, css in (("representative", "flag"), ("user", "flag user")):
        if source.startswith(flag + ": "):
            return f'<span class="{css}">{flag}</span> ' + _e(source[len(flag) + 2 :])
    return _e(source)


def assumptions(scenario) -> list[dict]:
    """Every scenario value with its provenance (``representative`` flagged, and ``user``
    when the user gave it without a source)."""
    rows = []
    for path, value, prov in scenario.leaves():
        try:
            json.dumps(value)
        except TypeError:
            value = str(value)
        rows.append(
            {
                "field": path,
                "value": value,
                "source": prov.source if prov else None,
                "representative": bool(prov.representative) if prov else False,
                "user": bool(prov.user) if prov else False,
            }
        )
    return rows


def report_data(scenario, result, histograms, summary: dict, windows=None) -> dict:
    """Everything the interactive plots draw (``report_data.json``), from the legs' full
    results (``result.handoffs``), the trials' histograms (:class:`msrsim.campaign.tally.
    TrialHistograms`) and the run's summary."""
    from importlib.metadata import version

    from msrsim.campaign.cache import scenario_fingerprint

    if result.handoffs is None:
        raise ValueError(
            "the report needs the legs' full results: campaign_legs(full_results=True)"
        )
    h = result.handoffs
    windows = windows or _launch_searches(scenario)
    return {
        "version": REPORT_DATA_VERSION,
        "msrsim": version("msrsim"),
        "scenario": scenario.scenario.name,
        "scenario_fingerprint": scenario_fingerprint(scenario),
        "generated_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "porkchops": {name: _porkchop_data(found) for name, found in windows.items()},
        "edl": _edl_data(scenario, h["edl"]),
        "surface": _surface_data(h["surface"], summary.get("monte_carlo", {})),
        "ascent": _ascent_data(h["ascent"]),
        "rendezvous": _rendezvous_data(h["rendezvous"]),
        "entry": _entry_data(h["entry"]),
        "monte_carlo": monte_carlo_histograms(histograms),
        "assumptions": assumptions(scenario),
        "validation": validation_data(),
    }


def validation_data(names=None) -> dict:
    """The reference cases (:mod:`msrsim.validation`) run with the models of this run:
    the fast ones by default (the porkchop optima are in ``msrsim validate``)."""
    from msrsim.validation.cases import CASES
    from msrsim.validation.runner import validate, validation_summary

    if names is None:
        names = [name for name, case in CASES.items() if case.cost == "fast"]
    return validation_summary(validate(names))


def write_report(out_dir, scenario, result, histograms, summary: dict) -> Path:
    """``figures/*.png``, ``report_data.json`` and ``report.html`` in ``out_dir`` (which
    already holds ``summary.json``); ``result`` must carry the legs' full results."""
    out_dir = Path(out_dir)
    windows = _launch_searches(scenario)
    data = report_data(scenario, result, histograms, summary, windows)
    draw_figures(scenario, result.handoffs, out_dir / "figures", windows)
    atomic_write(out_dir / "report_data.json", (_json(data) + "\n").encode("utf-8"))
    return build_report(out_dir, summary=summary, data=data)


def _json(data) -> str:
    """Strict JSON (a non-finite number is a failure of msrsim, never written as NaN)."""
    try:
        return json.dumps(data, allow_nan=False)
    except ValueError as exc:
        raise RuntimeError(f"report data holds a non-finite number ({exc})") from None


MAX_INPUT_BYTES = 512 << 20
"""The largest summary.json or report_data.json ``msrsim report`` reads (a run's are a few
MB: the interactive plots are decimated)."""


MAX_FIGURE_BYTES = 64 << 20
"""A figure larger than this is not inlined (msrsim's are a few hundred KB)."""


def _read_json(path: Path, what: str) -> dict:
    """A JSON object from a regular file of bounded size; ``ValueError`` naming the file
    otherwise (not a regular file, too large, not UTF-8, not JSON, not an object)."""
    text = read_text_file(path, max_bytes=MAX_INPUT_BYTES, what=what)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{path}: not valid JSON ({_first_line(exc)})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a {what} written by msrsim run (not a JSON object)")
    return data


_JSON_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "number": (int, float),
    "integer": int,
    "boolean": bool,
    "null": type(None),
}


def _check_summary_shape(path: Path, summary: dict) -> None:
    """The top level of a summary.json against its published schema
    (``report/summary.schema.json``): the required keys, and the type of each."""
    from importlib import resources

    schema = json.loads(
        resources.files("msrsim.report").joinpath("summary.schema.json").read_text("utf-8")
    )
    missing = [key for key in schema.get("required", ()) if key not in summary]
    if missing:
        raise ValueError(f"{path}: not a summary written by msrsim run (no {', '.join(missing)})")
    for key, rule in schema.get("properties", {}).items():
        kinds = rule.get("type")
        if key not in summary or kinds is None:
            continue
        kinds = [kinds] if isinstance(kinds, str) else kinds
        value = summary[key]
        if not any(
            isinstance(value, _JSON_TYPES[k]) and not (k != "boolean" and isinstance(value, bool))
            for k in kinds
        ):
            raise ValueError(
                f"{path}: {key} must be of JSON type {' or '.join(kinds)}, as msrsim run writes it"
            )


def _first_line(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0]


# --------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------


def _load_data(out_dir: Path) -> dict:
    data = _load_run_data(out_dir)
    validation = out_dir / "validation.json"  # msrsim validate --out DIR: every case
    if validation.exists() or validation.is_symlink():
        data["validation"] = _read_json(validation, "validation file")
    return data


def _load_run_data(out_dir: Path) -> dict:
    path = out_dir / "report_data.json"
    if path.exists() or path.is_symlink():
        return _read_json(path, "report data file")
    data: dict = {}
    trials = out_dir / "trials"
    if trials.is_dir():  # a run written with --no-report: the Monte Carlo at least
        from msrsim.campaign.execution import iter_results
        from msrsim.campaign.tally import TrialHistograms

        try:
            histograms = TrialHistograms()
            for table in iter_results(trials):  # chunk by chunk: a run of any size
                histograms.add(
                    {n: table.column(n).to_numpy(zero_copy_only=False) for n in table.column_names}
                )
            data["monte_carlo"] = monte_carlo_histograms(histograms)
        except (ValueError, OSError, KeyError, TypeError) as exc:
            raise ValueError(f"{trials}: the trials cannot be read ({_first_line(exc)})") from None
    return data


def build_report(out_dir, *, summary: dict | None = None, data: dict | None = None) -> Path:
    """Write ``out_dir/report.html`` from ``summary.json``, ``report_data.json`` and
    ``figures/*.png`` (the sections whose data is missing say so)."""
    out_dir = Path(out_dir)
    if summary is None:
        path = out_dir / "summary.json"
        if not path.exists():
            raise FileNotFoundError(f"{path}: not found (write it with msrsim run --out DIR)")
        summary = _read_json(path, "run summary")
        _check_summary_shape(path, summary)
    if data is None:
        data = _load_data(out_dir)
    order = list(FIGURE_CAPTIONS)
    figures_dir = out_dir / "figures"
    figures = sorted(
        (
            p
            for p in (figures_dir.glob("*.png") if not figures_dir.is_symlink() else ())
            if p.is_file() and not p.is_symlink() and p.stat().st_size <= MAX_FIGURE_BYTES
        ),
        key=lambda p: (order.index(p.stem) if p.stem in order else len(order), p.name),
    )
    page = _Page()
    try:
        text = page.render(summary, data, figures)
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
        raise ValueError(
            f"{out_dir}: summary.json or report_data.json is not shaped as msrsim run writes "
            f"them ({type(exc).__name__}: {_first_line(exc)})"
        ) from None
    target = out_dir / "report.html"
    atomic_write(target, text.encode("utf-8"))
    return target


_CSS = """
:root { --ink:#1d2433; --muted:#5b6475; --line:#d8dde6; --accent:#b8442c; --bg:#f7f8fa; }
* { box-sizing: border-box; }
body { margin:0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans",
  sans-serif; color: var(--ink); background: var(--bg); line-height: 1.45; }
header { background: #20283a; color: #fff; padding: 18px 32px 12px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0; color: #c9d0dc; font-size: 13px; }
nav { position: sticky; top: 0; z-index: 10; background: #fff; border-bottom: 1px solid var(--line);
  padding: 6px 32px; font-size: 13px; display: flex; flex-wrap: wrap; gap: 2px 16px; }
nav a { color: var(--ink); text-decoration: none; white-space: nowrap; }
nav a:hover { color: var(--accent); }
main { padding: 8px 32px 40px; max-width: 1500px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin: 18px 0;
  padding: 14px 20px; }
section h2 { margin: 0 0 8px; font-size: 19px; }
p.note { color: var(--muted); font-size: 13px; margin: 4px 0 8px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 170px; }
.card .v { font-size: 22px; font-weight: 600; }
.card .k { font-size: 12px; color: var(--muted); }
table { border-collapse: collapse; font-size: 12.5px; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left;
  vertical-align: top; }
th { background: #eef1f5; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.rep td { background: #fff7e6; }
.flag { background: #f0b429; color: #3b2a00; border-radius: 3px; padding: 0 5px;
  font-size: 11px; }
.flag.user { background: #9ad0f5; color: #00324f; }
.bad { color: #b00020; font-weight: 600; } .ok { color: #1b7f3b; }
.scroll { max-height: 480px; overflow: auto; border: 1px solid var(--line); }
.plot { width: 100%; min-height: 420px; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
@media (max-width: 1000px) { .grid2 { grid-template-columns: 1fr; } }
figure { margin: 10px 0 22px; } figure img { max-width: 100%; border: 1px solid var(--line); }
figcaption { font-size: 13px; color: var(--muted); }
.missing { color: var(--muted); font-style: italic; }
p.warn { background: #fdecea; border-left: 4px solid #b00020; color: #5f0010; padding: 6px 12px;
  font-weight: 600; margin: 6px 0 10px; }
"""

FULL_WIDTH_PX = 1300
"""About how wide a full-width plot is drawn on a 1400 px page; half in a two-column row."""
HALF_WIDTH_PX = 640
MARS_MEAN_RADIUS_KM = MARS.mean_radius.value / 1e3
"""IAU WGCCRE 2015: the Jezero map's scale."""
EARTH_MEAN_RADIUS_KM = EARTH.mean_radius.value / 1e3
"""IUGG mean radius of WGS 84: the Utah map's scale (within 0.2 % of the ellipsoid's
parallel at 40 N)."""


def parachute_flag(d: dict) -> str:
    """A visible warning when the SRL's parachute opened outside its qualification box in
    more than :data:`PARACHUTE_FLAG_FRACTION` of the EDL Monte Carlo (else nothing)."""
    fraction = d.get("parachute_outside_box_fraction")
    if fraction is None or fraction <= PARACHUTE_FLAG_FRACTION:
        return ""
    box = d.get("parachute_box") or {}
    limits = (
        f" (Mach ≤ {box['max_mach']:g}, dynamic pressure ≤ {box['max_dynamic_pressure_pa']:g} Pa)"
        if box
        else ""
    )
    return (
        f'<p class="warn">Parachute outside its qualification box{_e(limits)} in '
        f"{fraction:.1%} of the SRL's EDL trials (flag above "
        f"{PARACHUTE_FLAG_FRACTION:.0%}): the EDL design does not meet its parachute "
        "limits.</p>"
    )


TITLE_TOP_PX = 46
"""Where a title is placed below the figure's top (its text reaches ~14 px higher): under
plotly's toolbar, whose buttons fill the top 27 px."""
TITLE_LINE_PX = 20
TITLE_CHAR_PX = 8.6
"""Mean width of a character of a 15 px title (system-ui / DejaVu Sans), to wrap it."""


def lay_out(fig, height: int, width: int = FULL_WIDTH_PX) -> None:
    """The report's look of a plotly figure ``height`` px tall and about ``width`` px wide:
    its title wrapped (:func:`wrap_title`) and placed under plotly's toolbar, the top
    margin grown to hold it (and any subplot titles)."""
    lines = wrap_title(fig.layout.title.text or "", width)
    subplot_titles = any(a.yref == "paper" and (a.y or 0) >= 1.0
                         for a in fig.layout.annotations or ())  # fmt: skip
    top = TITLE_TOP_PX + TITLE_LINE_PX * len(lines) + (30 if subplot_titles else 14)
    fig.update_layout(
        height=height,
        title={
            "text": "<br>".join(lines),
            "x": 0.0,
            "xanchor": "left",
            "xref": "container",
            "pad": {"l": 12},
            "y": 1.0 - TITLE_TOP_PX / height,
            "yanchor": "top",
            "yref": "container",
            "font": {"size": 15},
        },
        margin={"l": 60, "r": 20, "t": top, "b": 50},
        template="plotly_white",
        font={"family": "system-ui, DejaVu Sans, sans-serif", "size": 12},
    )


def wrap_title(text: str, width_px: int) -> list[str]:
    """``text`` in lines that fit a figure ``width_px`` wide (at least 30 characters)."""
    import textwrap

    return textwrap.wrap(text, max(30, int((width_px - 40) / TITLE_CHAR_PX))) if text else []


_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]}
_COLOURS = {
    "ERO": "#1f77b4",
    "SRL": "#2ca02c",
    "Surface": "#8c564b",
    "MAV / OS": "#d62728",
    "EES": "#9467bd",
    "Windows": "#7f7f7f",
}


def _e(value) -> str:
    return html.escape(str(value))


def _table(header: list[str], rows: list[list], numeric: set[int] = frozenset(),
           row_class=None) -> str:  # fmt: skip
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for k, row in enumerate(rows):
        cls = f' class="{row_class(k)}"' if row_class and row_class(k) else ""
        cells = "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _days(start: str, end: str) -> float:
    a, b = (_dt.datetime.fromisoformat(s) for s in (start, end))
    return (b - a).total_seconds() / 86400.0


def _span(values: list, pad: float = 0.15) -> list[float]:
    finite = [v for v in values if v is not None]
    return [min(finite) - pad, max(finite) + pad]


def _add_landings(fig, go, d: dict, alpha: float) -> None:
    """The dispersed landings and their 99 % ellipse, on a map of either planet."""
    fig.add_trace(
        go.Scatter(
            x=d["landing_longitude_deg"],
            y=d["landing_latitude_deg"],
            mode="markers",
            marker={"size": 3, "color": f"rgba(60,60,60,{alpha})"},
            name=f"landings ({len(d['landing_latitude_deg'])} of {d['trials']})",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=d["ellipse_longitude_deg"],
            y=d["ellipse_latitude_deg"],
            mode="lines",
            line={"color": "red", "width": 2},
            name="99 % ellipse {} × {} km".format(*d["ellipse_axes_km"]),
        )
    )


def _relief_note(relief, detail: str = "") -> str:
    """The caption's sentence on a map's shaded relief: how it is drawn, its source, and
    ``detail`` (escaped) on what the grid resolves."""
    return (
        f"Shaded relief (lit from the north-west, heights exaggerated {RELIEF_EXAGGERATION:g} "
        f"times) and contours: {_e(relief.source)}; {_e(relief.datum)}; {_e(relief.licence)}"
        f"{_e(detail)}."
    )


def _add_scale_bar(fig, lon_range, lat_range, radius_km: float) -> None:
    """A scale bar (km along the parallel, on a sphere of ``radius_km``) in the lower left
    of a longitude-latitude map of ``lon_range``, ``lat_range`` (deg), and a north arrow."""
    (x0, x1), (y0, y1) = lon_range, lat_range
    lat = 0.5 * (y0 + y1)
    from msrsim.report.plots import scale_bar_km

    km_per_deg = math.radians(1.0) * radius_km * math.cos(math.radians(lat))
    length = scale_bar_km((x1 - x0) * km_per_deg)
    bx, by = x0 + 0.05 * (x1 - x0), y0 + 0.07 * (y1 - y0)
    ex, tick = bx + length / km_per_deg, 0.015 * (y1 - y0)
    line = {"color": "black", "width": 3}
    fig.add_shape(type="line", x0=bx, x1=ex, y0=by, y1=by, line=line)
    for x in (bx, ex):
        fig.add_shape(type="line", x0=x, x1=x, y0=by - tick, y1=by + tick, line=line)
    fig.add_annotation(x=0.5 * (bx + ex), y=by + tick, text=f"{length:g} km", showarrow=False,
                       yanchor="bottom", font={"size": 12})  # fmt: skip
    fig.add_annotation(x=x1 - 0.04 * (x1 - x0), y=y1 - 0.14 * (y1 - y0), ax=0, ay=40,
                       text="N", showarrow=True, arrowhead=2, arrowwidth=2,
                       yanchor="bottom")  # fmt: skip


def timeline_bars(summary: dict) -> list[dict]:
    """The campaign's spans (row, name, start, end UTC) from the run's summary: the ERO's
    phases, the launch windows, the SRL's cruise, surface operations, the ascent, the
    rendezvous, the capsule's last days."""
    by_name = {m["name"]: m["utc"] for m in summary.get("milestones", []) if len(m["utc"]) > 4}

    def first(prefix: str):
        return next((utc for name, utc in by_name.items() if name.startswith(prefix)), None)

    bars = []

    def bar(row, name, start, end):
        if start and end and end >= start:
            bars.append({"row": row, "name": name, "start_utc": start, "end_utc": end})

    bar("Windows", "ERO launch window", first("ERO launch window opens"),
        first("ERO launch window closes"))  # fmt: skip
    bar("Windows", "SRL launch window", first("SRL launch window opens"),
        first("SRL launch window closes"))  # fmt: skip
    legs = {leg["number"]: leg for leg in summary.get("legs", [])}
    for name, phase in (legs.get(2, {}).get("summary", {}).get("phases") or {}).items():
        bar("ERO", name, phase.get("start_utc"), phase.get("end_utc"))
    srl = legs.get(1, {}).get("summary", {}).get("srl", {})
    if "launch_period_open_utc" in srl:
        bar("Windows", "SRL launch period", srl["launch_period_open_utc"],
            srl["launch_period_close_utc"])  # fmt: skip
    bar("SRL", "cruise to Mars", first("SRL launch period opens"), first("SRL entry interface"))
    bar("SRL", "entry, descent, landing", first("SRL entry interface"), first("SRL touchdown"))
    bar("Surface", "surface operations to MAV ready", first("SRL landing"),
        first("MAV ready to launch"))  # fmt: skip
    bar("Surface", "wait for launch", first("MAV ready to launch"), first("MAV launch from"))
    bar("MAV / OS", "ascent", first("MAV launch from"), first("Orbiting Sample released"))
    bar("MAV / OS", "search and capture", first("ERO detects"), first("ERO captures"))
    bar("EES", "release to entry", first("EES released"), first("EES entry interface"))
    bar("EES", "entry and landing", first("EES entry interface"), first("EES lands"))
    return bars


class _Page:
    """Builds the HTML: one plotly.js inline, then each section."""

    def __init__(self):
        self.plots = 0

    # plotly helpers -----------------------------------------------------------------
    def plot(self, fig, height: int = 460, width: int = FULL_WIDTH_PX) -> str:
        """The figure as an HTML fragment; ``width``: about how wide it is drawn (px), so
        that its title wraps before reaching the toolbar's corner."""
        import plotly.io as pio

        self.plots += 1
        lay_out(fig, height, width)
        return pio.to_html(
            fig,
            include_plotlyjs=False,
            full_html=False,
            div_id=f"plot-{self.plots}",
            config=_CONFIG,
            default_width="100%",
            default_height=f"{height}px",
        )

    # sections -----------------------------------------------------------------------
    def render(self, summary: dict, data: dict, figures: list[Path]) -> str:
        from plotly.offline import get_plotlyjs

        builders = {
            "summary": self.summary,
            "timeline": self.timeline,
            "porkchops": self.porkchops,
            "edl": self.edl,
            "surface": self.surface,
            "ascent": self.ascent,
            "rendezvous": self.rendezvous,
            "entry": self.entry,
            "montecarlo": self.montecarlo,
            "risk": self.risk,
            "validation": self.validation,
            "assumptions": self.assumptions,
            "figures": lambda s, d: self.figures(figures),
        }
        body = []
        for key, title in SECTIONS:
            try:
                inner = builders[key](summary, data)
            except (KeyError, TypeError, ValueError, IndexError):
                inner = None
            if inner is None:
                inner = (
                    '<p class="missing">Not in this directory\'s saved files (write the report '
                    "with <code>msrsim run --out DIR</code>).</p>"
                )
            body.append(f'<section id="section-{key}"><h2>{_e(title)}</h2>{inner}</section>')
        nav = "".join(f'<a href="#section-{k}">{_e(t)}</a>' for k, t in SECTIONS)
        mc = summary.get("monte_carlo") or {}
        scenario = summary.get("scenario", "")
        subtitle = (
            f"msrsim {_e(data.get('msrsim', ''))} &middot; scenario {_e(scenario)} &middot; "
            f"{_e(format(mc.get('trials', 0), ','))} coupled campaign trials"
            + (
                f" &middot; generated {_e(data['generated_utc'])}"
                if "generated_utc" in data
                else ""
            )
        )
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>msrsim report: {_e(scenario)}</title><style>{_CSS}</style>"
            f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
            f"<header><h1>Mars Sample Return campaign report</h1><p>{subtitle}</p></header>"
            f"<nav>{nav}</nav><main>{''.join(body)}</main></body></html>\n"
        )

    def summary(self, summary: dict, data: dict) -> str:
        mc = summary["monte_carlo"]
        low, high = mc["probability_of_success_ci_low"], mc["probability_of_success_ci_high"]
        tubes = [mc.get(f"tubes_returned_if_success{s}") for s in SPREAD_SUFFIXES]
        landing = [mc.get(f"earth_landing_utc{s}") for s in SPREAD_SUFFIXES]
        cards = [
            ("P(samples home)", f"{mc['probability_of_success']:.3f}",
             f"95 %: {low:.3f} to {high:.3f}"),
            ("tubes returned (expected)",
             f"{mc.get('expected_tubes_returned') or 0:.1f}",
             "over all trials; median "
             + ("-" if tubes[1] is None else f"{tubes[1]:.0f}") + " if home"),
            ("Earth landing (median)", landing[1], "UTC, if home"),
            ("P(late return)", mc.get("probability_late_return"), "next opportunity"),
            ("P(outside range | home)", mc.get("probability_outside_range_if_success"),
             "capsule off the landing range, among trials that reach Earth"),
        ]  # fmt: skip
        html_cards = "".join(
            f'<div class="card"><div class="k">{_e(k)}</div><div class="v">{_e(v)}</div>'
            f'<div class="k">{_e(n)}</div></div>'
            for k, v, n in cards
        )
        return parachute_flag(data.get("edl") or {}) + f'<div class="cards">{html_cards}</div>'

    def legs_and_checks(self, summary: dict) -> str:
        legs = _table(
            ["#", "leg", "element", "status"],
            [[_e(g["number"]), _e(g["name"]), _e(g["element"]), _e(g["status"])]
             for g in summary.get("legs", [])],
        )  # fmt: skip
        checks = _table(
            ["check", "value", "limit", "unit", "ok", "basis"],
            [
                [_e(c["name"]), _e(c["value"]), _e(c["limit"]), _e(c["unit"]),
                 '<span class="ok">yes</span>' if c["ok"] else '<span class="bad">NO</span>',
                 _e(c.get("basis", ""))]
                for c in summary.get("checks", [])
            ],
            numeric={1, 2},
        )  # fmt: skip
        published = _table(
            ["fact", "published", "computed", "verdict", "source"],
            [
                [_e(p["what"]), _e(p["published"]),
                 _e(p["computed"] + (" (an input)" if p["computed_is_input"] else "")),
                 '<span class="ok">within</span>' if p["met"]
                 else f'<span class="bad">outside by {p["outside"]:+g} {_e(p["unit"])}</span>',
                 _e(p["source"])]
                for p in summary.get("published_plan", [])
            ],
        )  # fmt: skip
        return (
            f'<div class="grid2"><div><h3>The relay, leg by leg</h3>{legs}</div>'
            f"<div><h3>Constraint checks on the nominal timeline</h3>{checks}</div></div>"
            f"<h3>The computed schedule beside the published plan (scenario.published_plan)</h3>"
            f"{published}"
        )

    def timeline(self, summary: dict, data: dict) -> str:
        import plotly.graph_objects as go

        bars = timeline_bars(summary)
        if not bars:
            return None
        fig = go.Figure()
        rows = list(dict.fromkeys(b["row"] for b in bars))
        for row in rows:
            mine = [b for b in bars if b["row"] == row]
            fig.add_trace(
                go.Bar(
                    name=row,
                    y=[row] * len(mine),
                    base=[b["start_utc"] for b in mine],
                    x=[
                        max(_days(b["start_utc"], b["end_utc"]), MIN_BAR_DAYS) * 86400e3
                        for b in mine
                    ],
                    orientation="h",
                    marker_color=[
                        "#ff7f0e" if "period" in b["name"] else _COLOURS.get(row) for b in mine
                    ],
                    marker_line={"color": "white", "width": 1},
                    text=[b["name"] for b in mine],
                    textposition="inside",
                    insidetextanchor="middle",
                    customdata=[[b["name"], b["start_utc"], b["end_utc"]] for b in mine],
                    hovertemplate="%{customdata[0]}<br>%{customdata[1]} to %{customdata[2]}"
                    "<extra>" + row + "</extra>",
                )
            )
        dated = [m for m in summary.get("milestones", []) if len(m["utc"]) > 4]
        fig.add_trace(
            go.Scatter(
                name="milestones",
                x=[m["utc"] for m in dated],
                y=["Milestones"] * len(dated),
                mode="markers",
                marker={"symbol": "diamond", "size": 9, "color": "#222"},
                customdata=[[m["name"], m["source"]] for m in dated],
                hovertemplate="%{customdata[0]}<br>%{x}<br>%{customdata[1]}<extra></extra>",
            )
        )
        fig.update_layout(
            barmode="overlay",
            uniformtext={"minsize": 10, "mode": "hide"},
            title="From the ERO's launch to the capsule's landing (hover for dates and sources)",
            xaxis={"type": "date", "title": "UTC"},
            yaxis={"categoryorder": "array", "categoryarray": ["Milestones", *rows][::-1]},
            showlegend=False,
        )
        table = _table(
            ["milestone", "UTC", "Ls deg", "Mars Year", "basis / source"],
            [
                [_e(m["name"]), _e(m["utc"]),
                 _e("" if m.get("solar_longitude_deg") is None else m["solar_longitude_deg"]),
                 _e("" if m.get("mars_year") is None else m["mars_year"]),
                 _basis(m["source"])]
                for m in summary.get("milestones", [])
            ],
            numeric={2, 3},
        )  # fmt: skip
        return (
            self.plot(fig, 430)
            + '<p class="note">Bars: spans computed by the legs (the ERO\'s phases from its '
            f"own leg; spans shorter than {MIN_BAR_DAYS:g} days drawn that wide, their hover "
            "gives the true dates). Diamonds: every dated milestone.</p>"
            + f'<h3>Milestones</h3><div class="scroll" style="max-height:360px">{table}</div>'
            + self.legs_and_checks(summary)
        )

    def porkchops(self, summary: dict, data: dict) -> str:
        import plotly.graph_objects as go

        from msrsim.report.plots import nice_levels

        chops = data["porkchops"]
        parts = []
        titles = {
            "ero": "Earth Return Orbiter (ballistic reference)",
            "srl": "Sample Retrieval Lander",
        }
        for name, chop in chops.items():
            finite = [v for row in chop["c3_km2_s2"] for v in row if v is not None]
            low, top = min(finite), max(finite)  # top: the clip of _porkchop_data
            ticks = [float(v) for v in nice_levels(low, low + 0.85 * (top - low), 8)]
            step = ticks[1] - ticks[0]
            # a smooth colour field (the clipped C3 has no holes, so no staircase of masked
            # cells), white above the last contour level
            f = (ticks[-1] - ticks[0]) / (top - ticks[0])
            scale = [[f * k / 10, c] for k, c in enumerate(VIRIDIS_R)] + [
                [f, "white"],
                [1, "white"],
            ]
            fig = go.Figure(
                go.Contour(
                    x=chop["departure_utc"],
                    y=chop["arrival_utc"],
                    z=chop["c3_km2_s2"],
                    customdata=chop["tof_days"],
                    colorscale=scale,
                    zmin=ticks[0],
                    zmax=top,
                    contours={"coloring": "heatmap", "showlabels": True, "start": ticks[0],
                              "end": ticks[-1], "size": step / 2},
                    colorbar={"title": "C3 km²/s²", "tickvals": ticks},
                    line={"width": 0.5},
                    connectgaps=False,
                    hovertemplate="depart %{x}<br>arrive %{y}<br>C3 %{z:.2f} km²/s²"
                    "<br>TOF %{customdata:.0f} d<extra></extra>",
                    name="C3",
                )
            )  # fmt: skip
            opt = chop["optima"]
            middle = chop["departure_utc"][len(chop["departure_utc"]) // 2]
            fig.add_trace(
                go.Scatter(
                    x=[o["departure_utc"] for o in opt],
                    y=[o["arrival_utc"] for o in opt],
                    mode="markers+text",
                    marker={"symbol": "star", "size": 14, "color": "black",
                            "line": {"color": "white", "width": 1}},
                    text=[f"type {o['transfer_type']}: C3 {o['c3_km2_s2']}" for o in opt],
                    # labels point inwards, so none runs off the plot's edge
                    textposition=["top left" if o["departure_utc"] > middle else "top right"
                                  for o in opt],
                    cliponaxis=False,
                    name="least C3 of each type",
                )
            )  # fmt: skip
            period = chop.get("launch_period")
            label = ""
            if period:
                fig.add_vrect(
                    x0=period["open_utc"], x1=period["close_utc"], fillcolor="orange",
                    opacity=0.25, line_width=0,
                )  # fmt: skip
                label = (
                    f": {period['days']}-day launch period {period['open_utc'][:10]} to "
                    f"{period['close_utc'][:10]}, C3 ≤ {period['max_c3_km2_s2']} km²/s²"
                )
            fig.update_layout(
                title=f"{titles.get(name, name)}{label}",
                xaxis={"type": "date", "title": f"departure from {chop['departure_body']}"},
                yaxis={"type": "date", "title": f"arrival at {chop['arrival_body']}"},
                showlegend=False,
            )
            parts.append(self.plot(fig, 520))
        return (
            '<p class="note">Least launch C3 of the ballistic transfers (DE421, Izzo Lambert), '
            "coarsened for the page; the orange band is the launch period the campaign flies; "
            "stars: the least-C3 transfer of each type. Full-resolution porkchops are among "
            "the figures.</p>" + "".join(parts)
        )

    def edl(self, summary: dict, data: dict) -> str:
        import plotly.graph_objects as go

        d = data["edl"]
        jezero = d.get("region_is_jezero", True)  # reports written before regions: Jezero
        place, edge = d.get("region_name", "Jezero"), "rim" if jezero else "region's edge"
        clearance = d["ellipse_clearance_km"]
        lon_range = _span(d["rim_longitude_deg"], 0.05)
        lat_range = _span(d["rim_latitude_deg"], 0.05)
        relief = load_relief(JEZERO_RELIEF)
        fig = go.Figure(relief_traces(go, relief, lat_range, lon_range,
                                      MARS_MEAN_RADIUS_KM * 1e3))  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=d["rim_longitude_deg"],
                y=d["rim_latitude_deg"],
                mode="lines",
                line={"color": "saddlebrown", "width": 2},
                fill="toself",
                fillcolor="rgba(31,119,180,0.05)",
                name=f"{place} rim" if jezero else f"{place} (landing region)",
            )
        )
        _add_landings(fig, go, d, 0.45)
        markers = [("target", d["target"], "cross", "black")]
        if jezero:  # Perseverance's landing and its depot are in Jezero
            markers += [
                (d["perseverance_landing_name"], d["perseverance_landing"], "star", "gold"),
                ("Three Forks depot", d["depot"], "square", "deepskyblue"),
            ]
        for label, (lat, lon), symbol, colour in markers:
            fig.add_trace(
                go.Scatter(
                    x=[lon],
                    y=[lat],
                    mode="markers",
                    name=label,
                    marker={
                        "symbol": symbol,
                        "size": 12,
                        "color": colour,
                        "line": {"color": "black", "width": 1},
                    },
                )
            )
        _add_scale_bar(fig, lon_range, lat_range, MARS_MEAN_RADIUS_KM)
        fig.update_layout(
            title=f"SRL landings in {place}: 99 % ellipse {abs(clearance)} km "
            f"{'inside' if clearance > 0 else 'outside'} the {edge} at its nearest",
            xaxis={"title": "east longitude, deg", "range": lon_range},
            yaxis={"title": "planetocentric latitude, deg", "scaleanchor": "x",
                   "scaleratio": 1.0 / math.cos(math.radians(d["crater_latitude_deg"])),
                   "range": lat_range},
            legend={"x": 1.02, "y": 1},
        )  # fmt: skip
        return (
            parachute_flag(d)
            + self.plot(fig, 620)
            + '<p class="note">Guided landings of the SRL\'s EDL Monte Carlo (a subset), the 99 % '
            + (
                "ellipse, the crater rim as a circle of the published diameter (IAU/USGS), "
                "Perseverance's landing site and the sample depot; scale along the parallel. "
                if jezero
                else "ellipse and the scenario's landing region (srl.landing_region) as a "
                "circle; scale along the parallel. "
            )
            + (
                _relief_note(
                    relief,
                    "; the laser tracks lie about 1 km apart (up to 5 km) and the grid ends at "
                    f"{relief.east_longitude_deg[-1]:.2f} E, east of which the map has no relief",
                )
                if jezero
                else "No packaged relief covers this region."
            )
            + " Zoom in with the mouse.</p>"
        )

    def surface(self, summary: dict, data: dict) -> str:
        import plotly.graph_objects as go

        d = data["surface"]
        acts = [a for a in d["activities"] if a.get("start_utc") and a.get("end_utc")]
        fig = go.Figure()
        actors = list(dict.fromkeys(a["actor"] for a in acts))
        for actor in actors:
            mine = [a for a in acts if a["actor"] == actor]
            fig.add_trace(
                go.Bar(
                    name=actor,
                    y=[actor] * len(mine),
                    base=[a["start_utc"] for a in mine],
                    x=[max(_days(a["start_utc"], a["end_utc"]), 0.3) * 86400e3 for a in mine],
                    orientation="h",
                    opacity=0.85,
                    customdata=[[a["name"], a["start_utc"], a["end_utc"], a["start_sol"],
                                 a["end_sol"]] for a in mine],
                    hovertemplate="%{customdata[0]}<br>%{customdata[1]} to %{customdata[2]}"
                    "<br>sols %{customdata[3]} to %{customdata[4]}<extra>%{y}</extra>",
                )
            )  # fmt: skip
        fig.update_layout(
            barmode="overlay",
            title="Surface operations, nominal timeline (no random event)",
            xaxis={"type": "date", "title": "UTC"},
            yaxis={"categoryorder": "array", "categoryarray": actors[::-1]},
            showlegend=False,
        )
        tubes = d["tubes"]
        loaded = sum(t["loaded_nominal"] for t in tubes)
        table = _table(
            ["#", "name", "kind", "where collected", "sealed", "now at", "loaded (nominal)",
             "courier", "P(returns)"],
            [
                [_e(t["seq"]), _e(t["name"]), _e(t["kind"]), _e(t["where_collected"] or ""),
                 _e(t["sealed_date"] or ""), _e(t["now_at"]),
                 "yes" if t["loaded_nominal"] else "", _e(t["courier"] or ""),
                 _e("" if t["probability_returns"] is None else t["probability_returns"])]
                for t in tubes
            ],
            numeric={0, 8},
        )  # fmt: skip
        return (
            self.plot(fig, 380)
            + f"<h3>Tube manifest: {len(tubes)} tubes, {loaded} loaded in the nominal timeline"
            "</h3>"
            + '<p class="note">The Perseverance tube catalog (names, kinds, where collected, '
            "where they are now; the Three Forks depot in drop order), the tubes the nominal "
            "surface timeline loads into the Orbiting Sample, and each tube's chance to reach "
            "Earth over the campaign Monte Carlo.</p>" + f'<div class="scroll">{table}</div>'
        )

    def ascent(self, summary: dict, data: dict) -> str:
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        d = data["ascent"]
        fig = make_subplots(rows=1, cols=2, subplot_titles=("altitude", "inertial speed"))
        phases = list(dict.fromkeys(d["phase"]))
        for k, phase in enumerate(phases):
            idx = [i for i, p in enumerate(d["phase"]) if p == phase]
            colour = ["#d62728", "#7f7f7f", "#1f77b4", "#2ca02c", "#9467bd"][k % 5]
            for col, key in ((1, "altitude_km"), (2, "speed_m_s")):
                fig.add_trace(
                    go.Scatter(x=[d["time_s"][i] for i in idx], y=[d[key][i] for i in idx],
                               mode="lines+markers", marker={"size": 3}, name=phase,
                               legendgroup=phase, showlegend=col == 1,
                               line={"color": colour}),
                    row=1, col=col,
                )  # fmt: skip
        fig.update_xaxes(title_text="time since the toss, s")
        fig.update_yaxes(title_text="altitude above the ellipsoid, km", row=1, col=1)
        fig.update_yaxes(title_text="m/s", row=1, col=2)
        fig.update_layout(title="The MAV's nominal ascent, by phase")
        return self.plot(fig, 440)

    def rendezvous(self, summary: dict, data: dict) -> str:
        import plotly.graph_objects as go

        d = data["rendezvous"]
        fig = go.Figure()
        for k, t in enumerate(d["trials"]):
            fig.add_trace(go.Scatter(x=t["v_bar_km"], y=t["r_bar_km"], mode="lines",
                                     line={"color": "rgba(31,119,180,0.45)", "width": 1},
                                     name="Monte Carlo trials", legendgroup="mc",
                                     showlegend=k == 0))  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=d["nominal"]["v_bar_km"],
                y=d["nominal"]["r_bar_km"],
                mode="lines",
                line={"color": "black", "width": 2},
                name="nominal (no errors)",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=d["hold_points_km"],
                y=[0.0] * len(d["hold_points_km"]),
                mode="markers",
                marker={"symbol": "square", "color": "red"},
                name="hold points",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[0],
                y=[0],
                mode="markers",
                name="Orbiting Sample",
                marker={"symbol": "star", "size": 14, "color": "black"},
            )
        )
        fig.update_layout(
            title="ERO approach to the Orbiting Sample in its LVLH frame "
            f"(capture probability {d['capture_probability']})",
            xaxis={"title": "V-bar, along-track, km"},
            yaxis={"title": "R-bar, radial (up), km"},
        )  # fmt: skip
        return (
            self.plot(fig, 480)
            + '<p class="note">Zoom in on the origin for the close range; the figures below '
            "show passive safety and navigation.</p>"
        )

    def entry(self, summary: dict, data: dict) -> str:
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        d = data["entry"]
        c = d["corridor"]
        corridor = make_subplots(specs=[[{"secondary_y": True}]])
        corridor.add_trace(
            go.Scatter(
                x=c["speed_km_s"],
                y=c["altitude_km"],
                mode="lines",
                name="altitude",
                line={"color": "#9467bd", "width": 2},
                customdata=list(
                    zip(c["time_s"], c["deceleration_g"], c["heat_flux_w_cm2"], strict=True)
                ),
                hovertemplate="%{x:.2f} km/s, %{y:.1f} km<br>t = "
                "%{customdata[0]} s<br>%{customdata[1]} g, "
                "%{customdata[2]} W/cm²<extra></extra>",
            )
        )
        corridor.add_trace(go.Scatter(x=c["speed_km_s"], y=c["deceleration_g"], mode="lines",
                                      name="deceleration, g",
                                      line={"color": "#d62728", "dash": "dot"}),
                           secondary_y=True)  # fmt: skip
        corridor.update_layout(title="Nominal EES entry: altitude against speed (Earth-relative)")
        corridor.update_xaxes(title_text="speed, km/s", autorange="reversed")
        corridor.update_yaxes(title_text="altitude, km", secondary_y=False)
        corridor.update_yaxes(title_text="deceleration, g", secondary_y=True, tickmode="auto",
                              rangemode="tozero", showgrid=False)  # fmt: skip
        corridor.update_yaxes(rangemode="tozero", secondary_y=False)

        lon_range = _span(d["range_longitude_deg"] + d["landing_longitude_deg"])
        lat_range = _span(d["range_latitude_deg"] + d["landing_latitude_deg"])
        relief = load_relief()
        terrain = relief_traces(go, relief, lat_range, lon_range, EARTH.mean_radius.value)
        fig = go.Figure(terrain)
        fig.add_trace(
            go.Scatter(
                x=d["range_longitude_deg"],
                y=d["range_latitude_deg"],
                mode="lines",
                fill="toself",
                fillcolor="rgba(44,160,44,0.10)",
                line={"color": "green"},
                name=d["range_name"],
            )
        )
        _add_landings(fig, go, d, 0.4)
        fig.add_trace(
            go.Scatter(
                x=d["ground_track_longitude_deg"],
                y=d["ground_track_latitude_deg"],
                mode="lines",
                line={"color": "#1f77b4"},
                name="nominal ground track",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[d["target"][1]],
                y=[d["target"][0]],
                mode="markers",
                marker={"symbol": "cross", "size": 12, "color": "black"},
                name="target",
            )
        )
        _add_scale_bar(fig, lon_range, lat_range, EARTH_MEAN_RADIUS_KM)
        if d.get("probability_outside_range_if_landed") is not None:
            outside = (f"P(outside the range | landed) = "
                       f"{d['probability_outside_range_if_landed']} of {d['landed']:,} landed "
                       "entries (entry leg's Monte Carlo)")  # fmt: skip
        else:
            outside = f"P(outside the range) = {d['probability_outside_range']}"
        fig.update_layout(
            title=f"EES landings, {d['range_name']}: {outside}",
            xaxis={"title": "east longitude, deg", "range": lon_range, "constrain": "domain"},
            yaxis={"title": "geodetic latitude, deg", "scaleanchor": "x", "constrain": "domain",
                   "scaleratio": 1.0 / math.cos(math.radians(d["target"][0])),
                   "range": lat_range},
            legend={"x": 1.02, "y": 1.0, "xanchor": "left", "font": {"size": 10}},
        )  # fmt: skip
        return (
            f'<div class="grid2"><div>{self.plot(corridor, 460, HALF_WIDTH_PX)}</div>'
            f"<div>{self.plot(fig, 460, HALF_WIDTH_PX)}</div></div>"
            + f'<p class="note">Range boundary: {_e(d["range_source"])}; scale along the '
            f"parallel. {_relief_note(relief) if terrain else _e(NO_RELIEF)}</p>"
        )

    def montecarlo(self, summary: dict, data: dict) -> str:
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        d = data["monte_carlo"]
        landing_key = next((k for k in d if k.startswith("earth_landing_") and
                            k.endswith("_after")), "earth_landing_hours_after")  # fmt: skip
        landing_unit = landing_key.removeprefix("earth_landing_").removesuffix("_after")
        panels = [
            ("outcome", "outcome of each trial", None),
            ("tubes_returned_if_success", "tubes returned (successes)", "tubes"),
            (landing_key, "Earth landing", f"{landing_unit} after "
             + d.get("earth_landing_origin_utc", "")),
            ("capture_margin_days", "capture margin before ERO departure", "days"),
            ("edl_miss_km", "SRL landing miss", "km"),
            ("mav_launch_days_after", "MAV launch", "days after "
             + d.get("mav_launch_origin_utc", "")[:10]),
        ]  # fmt: skip
        fig = make_subplots(rows=2, cols=3, subplot_titles=[p[1] for p in panels],
                            vertical_spacing=0.2)  # fmt: skip
        for k, (key, _, unit) in enumerate(panels):
            row, col = divmod(k, 3)
            if key == "outcome":
                ranked = sorted(d["outcome"].items(), key=lambda kv: -kv[1])
                fig.add_trace(
                    go.Bar(x=[v / d["trials"] for _, v in ranked],
                           y=[n.replace("_", " ").replace("none", "success") for n, _ in ranked],
                           orientation="h", marker_color=["#2ca02c" if n == "none" else "#d62728"
                                                          for n, _ in ranked],
                           hovertemplate="%{y}: %{x:.4f}<extra></extra>"),
                    row=1, col=1,
                )  # fmt: skip
                fig.update_yaxes(autorange="reversed", row=1, col=1)
                fig.update_xaxes(title_text="fraction of trials", row=1, col=1)
                continue
            h = d.get(key)
            if not h:
                continue
            edges = h["edges"]
            centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)]
            widths = [b - a for a, b in zip(edges[:-1], edges[1:], strict=True)]
            fig.add_trace(go.Bar(x=centres, y=h["counts"], width=widths, marker_color="#1f77b4",
                                 hovertemplate="%{x}: %{y} trials<extra></extra>"),
                          row=row + 1, col=col + 1)  # fmt: skip
            fig.update_xaxes(title_text=unit, row=row + 1, col=col + 1)
            fig.update_yaxes(title_text="trials", row=row + 1, col=col + 1)
            if key == "tubes_returned_if_success":  # integers, a few values: room around
                fig.update_xaxes(dtick=1, range=[edges[0] - 2, edges[-1] + 2],
                                 row=row + 1, col=col + 1)  # fmt: skip
        fig.update_layout(showlegend=False, bargap=0.02,
                          title=f"{d['trials']:,} campaign trials, {d['successes']:,} bring "
                          "samples home")  # fmt: skip
        mc = summary.get("monte_carlo") or {}
        rows = [[_e(k.replace("_", " ")), _e(v)] for k, v in mc.items()
                if not isinstance(v, dict)]  # fmt: skip
        return (
            self.plot(fig, 640)
            + '<p class="note">From the run\'s trials table (trials/, Parquet; columns in '
            "docs/outputs.md).</p>" + _table(["quantity", "value"], rows, numeric={1})
        )

    def risk(self, summary: dict, data: dict) -> str:
        import plotly.graph_objects as go

        drivers = summary.get("risk_drivers")
        if not drivers:
            return None
        base = drivers["probability_of_success"]
        rows = drivers["drivers"][::-1]
        fig = go.Figure()
        for k, colour in ((0, "#1f77b4"), (1, "#ff7f0e")):
            fig.add_trace(
                go.Bar(
                    y=[r["driver"] for r in rows],
                    x=[list(r["cases"].values())[k] - base for r in rows],
                    base=base,
                    orientation="h",
                    marker_color=colour,
                    customdata=[list(r["cases"])[k] for r in rows],
                    hovertemplate="%{y}<br>%{customdata}: P(success) %{x:.4f}<extra></extra>",
                    name="x0.5 / as modelled" if k == 0 else "x2 / always",
                )
            )
        fig.add_vline(x=base, line_color="black", line_width=1)
        fig.update_layout(
            barmode="overlay",
            title=f"What moves P(success) = {base} most ({drivers['trials']:,} trials each, "
            "common random numbers)",
            xaxis={"title": "P(samples home)"},
        )
        height = max(380, 28 * len(rows) + 120)
        plot = self.plot(fig, height)
        return plot + (
            '<p class="note">Each hardware failure probability halved (blue) and doubled '
            "(orange); each leg's own failure mode removed (orange: always succeeds).</p>"
        )

    def validation(self, summary: dict, data: dict) -> str:
        v = data["validation"]
        rows = v["rows"]
        table = _table(
            ["case", "quantity", "model", "published", "difference", "tolerance", "unit",
             "status", "source"],
            [
                [_e(r["case"]), _e(r["label"]), f"{r['model']:.6g}", f"{r['published']:.6g}",
                 f"{r['difference']:+.3g}", f"{r['tolerance']:.3g}", _e(r["unit"]),
                 _e(r["status"]) + (f"<br><small>{_e(r['known_discrepancy'])}</small>"
                                    if "known_discrepancy" in r else ""),
                 f"<small>{_e(r['source'])}<br><i>tolerance: {_e(r['tolerance_reason'])}"
                 "</i></small>"]
                for r in rows
            ],
            numeric={2, 3, 4, 5},
            row_class=lambda k: "rep" if rows[k]["status"] != "pass" else "",
        )  # fmt: skip
        counts = v["counts"]
        return (
            '<p class="note">The models of this run replaying flown missions and published '
            "tables (<code>msrsim validate</code> runs every case, the porkchop optima "
            f"included): {counts['pass']} figures pass, {counts['known discrepancy']} are "
            f"known discrepancies (cause stated), {counts['fail']} fail.</p>"
            + f'<div class="scroll" style="max-height:640px">{table}</div>'
        )

    def assumptions(self, summary: dict, data: dict) -> str:
        rows = data["assumptions"]
        rep = sum(r["representative"] for r in rows)
        user = sum(bool(r.get("user")) for r in rows)
        table = _table(
            ["field", "value", "source", ""],
            [
                [f"<code>{_e(r['field'])}</code>", _e(json.dumps(r["value"])),
                 _e(r["source"] or "-"),
                 " ".join(flag for flag, on in (
                     ('<span class="flag">representative</span>', r["representative"]),
                     ('<span class="flag user">user</span>', r.get("user"))) if on)]
                for r in rows
            ],
            row_class=lambda k: "rep" if rows[k]["representative"] else "",
        )  # fmt: skip
        users = (
            f'; the {user} flagged <span class="flag user">user</span> were given without a '
            "source, in the scenario file or by --set"
            if user
            else ""
        )
        return (
            f'<p class="note">Every value of the scenario ({len(rows)}), with its source; '
            f'the {rep} flagged <span class="flag">representative</span> are not published '
            f"for MSR and were chosen to stand in for it{users}.</p>"
            + f'<div class="scroll" style="max-height:640px">{table}</div>'
        )

    def figures(self, figures: list[Path]) -> str:
        if not figures:
            return None
        parts = []
        for path in figures:
            text = base64.b64encode(path.read_bytes()).decode("ascii")
            caption = FIGURE_CAPTIONS.get(path.stem, path.stem.replace("_", " "))
            parts.append(
                f'<figure id="figure-{_e(path.stem)}"><img alt="{_e(caption)}" '
                f'src="data:image/png;base64,{text}"><figcaption>{_e(caption)} '
                f"(<code>figures/{_e(path.name)}</code>)</figcaption></figure>"
            )
        return (
            '<p class="note">The matplotlib figures of every leg, also saved as PNG files in '
            "figures/ beside this page.</p>" + "".join(parts)
        )
