"""``msrsim run``'s main job: the legs once (cached per scenario), then the campaign Monte
Carlo in chunks, its summary and its risk drivers.

* :func:`campaign_legs` runs every leg (:func:`msrsim.campaign.run_campaign`) or reads
  the last run of the same scenario from the cache (:mod:`msrsim.campaign.cache`: the
  legs' report as JSON, their outcome tables as Parquet, under the scenario's
  fingerprint, so changing any value reruns them).
* :func:`run_monte_carlo` flies the campaign trials (:mod:`msrsim.campaign.montecarlo`)
  through :func:`msrsim.campaign.execution.run_chunks`: in-process for one chunk, on a
  Dask LocalCluster or a given scheduler otherwise; with ``out_dir`` every chunk is a
  Parquet file written before it counts, and ``resume`` picks up a killed run.
* :func:`monte_carlo_summary` digests the trials: P(success) with its Wilson interval,
  the failure causes, the tubes returned (how many, which), the Earth landing dates and
  the margins; :func:`risk_drivers` ranks what most moves P(success) (a tornado on common
  random numbers: each failure probability halved and doubled, each leg's own failure
  mode removed).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math

import numpy as np

from msrsim.campaign.montecarlo import CampaignModel, Failure, simulate_trials
from msrsim.core.time import et_to_utc_iso

__all__ = [
    "LEGS_CACHE_VERSION",
    "RISK_TRIALS",
    "campaign_legs",
    "monte_carlo_summary",
    "risk_drivers",
    "run_monte_carlo",
    "wilson_interval",
]

LEGS_CACHE_VERSION = "2"
"""Bump when a leg's model changes what it gives the campaign (invalidates the cache)."""

RISK_TRIALS = 100_000
"""Trials of each tornado case (the first trials of the run's streams: common random
numbers, so the differences between cases are not sampling noise)."""


class _NotCached(LookupError):
    pass


def _not_cached():
    raise _NotCached


_WRONG_SHAPE = (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError)
"""What reading a cache entry of the wrong shape raises: the legs are flown again."""


def _from_cache(scenario, report):
    """The cached legs, or ``None`` (then they are flown again) when any part is missing,
    fails its checksum, was written by other code, or does not have the expected shape."""
    try:
        return _read_cached(scenario, report)
    except (*_WRONG_SHAPE, _NotCached):
        return None


def _read_cached(scenario, report):
    from msrsim.campaign import CampaignResult
    from msrsim.campaign.cache import cached_table, read_entry
    from msrsim.campaign.montecarlo import LEG_TABLES

    raw = read_entry(report, report.parent.name)
    if raw is None:
        return None
    data = json.loads(raw.decode("utf-8"))
    if data.get("version") != LEGS_CACHE_VERSION:
        return None
    tables = {
        name: cached_table(scenario, name, _not_cached, version=LEGS_CACHE_VERSION)
        for name in LEG_TABLES
    }
    from msrsim.campaign.products import load_products

    products = load_products(report.parent / "products", data["products"], report.parent.name)
    from msrsim.campaign.montecarlo import failure_probabilities

    scalars = data["model"]
    model = CampaignModel(
        **{
            **scalars,
            "tube_names": tuple(scalars["tube_names"]),
            # from the scenario, not the cache: the trial model's events may change
            "failure_probability": failure_probabilities(scenario),
        },
        tables=tables,
    )
    return dataclasses.replace(CampaignResult.from_dict(data["result"], model), products=products)


_FLOWN: dict[str, dict] = {}
"""The full results of the legs last flown in this process: {scenario fingerprint:
handoffs}, one entry (about 25 MB for the baseline)."""


def campaign_legs(scenario, *, use_cache: bool = True, full_results: bool = False):
    """Every leg of ``scenario`` (:func:`msrsim.campaign.run_campaign`), or their cached
    results when the same scenario (every value) ran before with this code's
    :data:`LEGS_CACHE_VERSION`. The tables the Monte Carlo draws from are those read back
    from the cache's Parquet files in both cases, so a first and a cached run agree.

    The cache keeps the legs' summaries and tables, not their full results
    (``CampaignResult.handoffs``, which the report's figures draw). ``full_results=True``
    asks for them: the ones flown last in this process for the same scenario, else the
    legs are flown again."""
    from msrsim.campaign import run_campaign
    from msrsim.campaign.cache import cache_dir, cached_table, scenario_fingerprint, write_entry

    fingerprint = scenario_fingerprint(scenario)
    folder = cache_dir() / fingerprint
    report = folder / "legs.json"
    if use_cache and report.exists():
        cached = _from_cache(scenario, report)
        if cached is not None and not full_results:
            return cached
        if cached is not None and fingerprint in _FLOWN:
            return dataclasses.replace(cached, handoffs=_FLOWN[fingerprint])
    result = run_campaign(scenario)
    model = result.model
    tables = {
        name: cached_table(scenario, name, lambda t=table: t, version=LEGS_CACHE_VERSION)
        for name, table in model.tables.items()
    }
    model = dataclasses.replace(model, tables=tables)
    scalars = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}
    del scalars["tables"]  # stored as Parquet beside
    from msrsim.campaign.products import load_products, save_products, trajectories

    names = save_products(folder / "products", trajectories(result.handoffs), fingerprint)
    products = load_products(folder / "products", names, fingerprint)
    text = json.dumps(
        {
            "version": LEGS_CACHE_VERSION,
            "model": scalars,
            "result": result.to_dict(),
            "products": names,
        },
        default=str,
    )
    write_entry(report, text.encode("utf-8"), fingerprint)
    _FLOWN.clear()
    _FLOWN[fingerprint] = result.handoffs
    return dataclasses.replace(result, model=model, products=products)


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (Wilson 1927; Brown, Cai and DasGupta,
    Statist. Sci. 16(2):101-133, 2001, recommend it over the Wald interval): 95 % by
    default."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def run_monte_carlo(
    model: CampaignModel,
    trials: int,
    *,
    scenario=None,
    chunk_size: int,
    out_dir=None,
    scheduler=None,
    workers: int | None = None,
    resume: bool = False,
    progress=None,
    fingerprint: str = "",
):
    """The campaign trials in chunks (:func:`msrsim.campaign.execution.run_chunks`).

    ``scheduler=None`` runs one chunk in-process and several on a Dask LocalCluster;
    ``"synchronous"`` always in-process; ``"tcp://host:port"`` on that cluster.
    ``model.fidelity == "full"`` flies every leg for each chunk (needs ``scenario``).
    """
    from msrsim.campaign.execution import run_chunks
    from msrsim.campaign.montecarlo import full_fidelity_chunk

    if scheduler is None and trials <= chunk_size:
        scheduler = "synchronous"
    if model.fidelity == "full":
        if scenario is None:
            raise ValueError("the full fidelity flies the legs: pass the scenario")
        chunk_fn = functools.partial(full_fidelity_chunk, scenario, model)
    else:
        chunk_fn = functools.partial(simulate_trials, model)
    return run_chunks(
        chunk_fn,
        trials,
        chunk_size=chunk_size,
        out_dir=out_dir,
        scheduler=scheduler,
        workers=workers,
        resume=resume,
        progress=progress,
        metadata={
            "seed": model.seed,
            "fidelity": model.fidelity,
            "scenario_fingerprint": fingerprint,
        },
    )


def _percentiles(values: np.ndarray, qs=(1, 50, 99), digits: int = 1) -> list[float] | None:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    return [round(float(v), digits) for v in np.percentile(values, qs)]


def _dates(values: np.ndarray) -> list[str] | None:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    return [d[:10] for d in et_to_utc_iso(np.percentile(values, [1, 50, 99]))]


def monte_carlo_summary(columns: dict[str, np.ndarray], model: CampaignModel) -> dict:
    """A JSON-ready digest of the campaign trials (``columns``: the run's table)."""
    success = np.asarray(columns["success"], dtype=bool)
    n = success.size
    k = int(np.count_nonzero(success))
    low, high = wilson_interval(k, n)
    failure = np.asarray(columns["failure"])
    causes = {
        Failure(code).name.lower(): round(float(np.mean(failure == code)), 6)
        for code in np.unique(failure)
        if code != Failure.NONE
    }
    tubes = np.asarray(columns["tubes_returned"])[success]
    mask = np.asarray(columns["tube_mask"], dtype=np.uint64)[success]
    from msrsim.campaign.montecarlo import tube_bits

    bits = tube_bits(model.tube_names)
    each = {
        name: round(float(np.mean((mask & bit) != 0)) * k / n, 4) if k else 0.0
        for name, bit in zip(model.tube_names, bits, strict=True)
    }
    return {
        "trials": n,
        "fidelity": model.fidelity,
        "probability_of_success": round(k / n, 6),
        "probability_of_success_95_ci": [round(low, 6), round(high, 6)],
        "failure_causes": dict(sorted(causes.items(), key=lambda kv: -kv[1])),
        "tubes_returned_if_success (1st pct, median, 99th pct)": _percentiles(
            tubes.astype(float), digits=0
        ),
        "tubes_returned_mean_if_success": round(float(np.mean(tubes)), 3) if k else None,
        "probability_each_tube_returns": dict(sorted(each.items(), key=lambda kv: -kv[1])),
        "earth_landing_utc (1st pct, median, 99th pct)": _dates(
            np.asarray(columns["earth_landing_et"], np.float64)
        ),
        "probability_late_return": round(float(np.mean(columns["late_return"])), 6),
        "probability_outside_range": round(float(np.mean(columns["outside_range"])), 6),
        "capture_margin_days (1st pct, median, 99th pct)": _percentiles(
            np.asarray(columns["capture_margin_days"], np.float64)
        ),
        "probability_rover_failed": round(float(np.mean(columns["rover_failed"])), 6),
    }


def _success_rate(model: CampaignModel, n: int) -> float:
    return float(np.mean(simulate_trials(model, 0, n)["success"]))


def _rows_where(table: dict[str, np.ndarray], column: str) -> dict[str, np.ndarray]:
    """The leg's rows where ``column`` is true (or finite): the leg conditioned on its own
    success, the other columns keeping their joint distribution."""
    values = table[column]
    keep = values.astype(bool) if values.dtype == bool else np.isfinite(values)
    return {name: v[keep] for name, v in table.items()}


def risk_drivers(model: CampaignModel, n: int = RISK_TRIALS) -> dict:
    """What most changes P(success), ranked: a tornado on the first ``n`` trials.

    Each hardware failure probability is halved and doubled (the trials reuse the same
    random numbers in every case, so each difference is the effect alone); each leg's own
    failure mode (an unsafe landing, no tube loaded by the MAV's deadline, an Orbiting
    Sample below a stable orbit, a capture that never succeeds) is removed by drawing only
    from the leg's successful rows (left out when no row of the leg succeeds: there is no
    successful outcome to draw).
    """
    base = _success_rate(model, n)
    rows = []
    for name, p in model.failure_probability.items():
        halved, doubled = (
            _success_rate(
                dataclasses.replace(
                    model, failure_probability={**model.failure_probability, name: scaled}
                ),
                n,
            )
            for scaled in (p / 2, min(1.0, 2 * p))
        )
        rows.append(
            {"driver": f"{name} failure probability", "cases": {"x0.5": halved, "x2": doubled}}
        )
    perfect = {
        "SRL lands safely every time": ("edl", "landed_safely"),
        "MAV always has tubes by its deadline": ("surface", "mav_ready_et"),
        "Orbiting Sample always in a stable orbit": ("ascent", "stable_orbit"),
        "capture always succeeds": ("rendezvous", "captured"),
    }
    for label, (table, column) in perfect.items():
        kept = _rows_where(model.tables[table], column)
        if not len(next(iter(kept.values()))):  # the leg never succeeds: nothing to draw
            continue
        tables = {**model.tables, table: kept}
        removed = _success_rate(dataclasses.replace(model, tables=tables), n)
        rows.append({"driver": label, "cases": {"as modelled": base, "always": removed}})
    for row in rows:
        values = list(row["cases"].values())
        row["swing"] = round(abs(values[1] - values[0]), 6)
        row["cases"] = {k: round(v, 6) for k, v in row["cases"].items()}
    rows.sort(key=lambda r: -r["swing"])
    return {"probability_of_success": round(base, 6), "trials": n, "drivers": rows}


def to_json_file(path, data: dict) -> None:
    """Write ``data`` as indented JSON (the run's summary beside its Parquet dataset)."""
    from pathlib import Path

    Path(path).write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
