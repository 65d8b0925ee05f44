"""``msrsim run``'s main job: plan and fly the legs once (cached per scenario and code),
then the coupled campaign Monte Carlo in chunks, its summary and its risk drivers.

* :func:`campaign_legs` plans the campaign and flies its nominal relay
  (:func:`msrsim.campaign.nominal.fly_nominal`), or reads the last result for the same scenario
  and the same code from the cache (:mod:`msrsim.campaign.cache`: the legs' report as JSON,
  their trajectories, and the coupled plan, under a fingerprint of every scenario value
  and of the package's own files, so an edit of either replans).
* :func:`run_monte_carlo` flies the coupled trials (:func:`msrsim.campaign.chain.
  fly_chunk`: each trial flies the relay from its own previous leg) through
  :func:`msrsim.campaign.execution.run_chunks`: in-process for one chunk, on a Dask
  LocalCluster or a given scheduler otherwise; with ``out_dir`` every chunk is a Parquet
  file written before it counts, and ``resume`` picks up a killed run.
* :func:`monte_carlo_summary` digests the trials: P(success) with its Wilson interval,
  the failure causes, the tubes returned (expected number, at least N, the selected set,
  each tube), the Earth landing dates and years, the margins;
  :func:`risk_drivers` ranks what most moves P(success) and the expected tubes.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import pickle

import numpy as np

from msrsim.campaign.chain import (
    RELAY_ORDER,
    CoupledPlan,
    Failure,
    fly_chunk,
    judged,
    outcome,
    tube_bits,
)
from msrsim.campaign.nominal import fly_nominal, handoffs_of, nominal_legs
from msrsim.campaign.outcomes import CampaignResult, as_labelled_by
from msrsim.campaign.plan import JUDGED_AFTER_FLIGHT, failure_probabilities
from msrsim.campaign.summaries import spread
from msrsim.core.bodies import DAY_S
from msrsim.core.time import et_to_utc_datetime, et_to_utc_iso

__all__ = [
    "campaign_legs",
    "legs_fingerprint",
    "monte_carlo_summary",
    "rejudged",
    "risk_drivers",
    "run_monte_carlo",
    "sobol_drivers",
    "wilson_interval",
]

_PLAN_FILE = "plan.pickle"


_WRONG_SHAPE = (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError,
                EOFError, ImportError, pickle.UnpicklingError)  # fmt: skip
"""What reading a cache entry of the wrong shape raises: the legs are flown again."""


def _from_cache(folder, fingerprint: str):
    """The cached legs and plan in ``folder``, or None (then they are computed again) when
    any part is missing, fails its checksum, was written by other code or for another
    scenario (:func:`msrsim.campaign.cache.read_entry`), or does not have the expected
    shape."""
    from msrsim.campaign.cache import read_entry
    from msrsim.campaign.products import load_products

    try:
        raw, pickled = (
            read_entry(folder / "legs.json", fingerprint),
            read_entry(folder / _PLAN_FILE, fingerprint),
        )
        if raw is None or pickled is None:
            return None
        data = json.loads(raw.decode("utf-8"))
        plan = pickle.loads(pickled)  # our own file, checked against its checksum and code
        products = load_products(folder / "products", data["products"], fingerprint)
        result = CampaignResult.from_dict(data["result"], plan)
    except _WRONG_SHAPE:
        return None
    if not isinstance(plan, CoupledPlan):
        return None
    return dataclasses.replace(result, products=products)


def legs_fingerprint(scenario) -> str:
    """The legs cache's key: the scenario's fingerprint without the hardware failure
    probabilities (they judge the trials after their flight: an edit of one flies no leg
    again, and the cached plan takes the scenario's; :data:`msrsim.campaign.plan.
    JUDGED_AFTER_FLIGHT`)."""
    from msrsim.campaign.cache import scenario_fingerprint

    return scenario_fingerprint(scenario, {"reliability": JUDGED_AFTER_FLIGHT})


def campaign_legs(
    scenario, *, use_cache: bool = True, full_results: bool = False, progress=None, flown=None
):
    """The campaign of ``scenario`` planned and its nominal relay flown
    (:func:`msrsim.campaign.nominal.fly_nominal`), or read from the cache when the same scenario
    ran before with the same code.

    Two levels of cache: this entry (the legs' summaries, trajectories and the coupled
    plan, keyed on :func:`legs_fingerprint`), and on a miss each leg's own entry
    (:mod:`msrsim.campaign.legcache`: keyed on the values that leg reads and its
    upstream entries), so an edit re-flies only the legs downstream of what changed and
    replans the rest from their entries. ``full_results=True`` asks for the legs' full
    results too (``CampaignResult.handoffs``, which the report's figures draw), read from
    the legs' entries. ``use_cache=False`` reads neither (and stores both).
    ``progress(what, done, total)`` is told of each leg read or flown
    (:func:`msrsim.campaign.nominal.nominal_legs`) or of this entry's read. ``flown(result)``:
    as :func:`msrsim.campaign.nominal.fly_nominal`, when the legs are flown (not read)."""
    from msrsim.campaign.cache import cache_dir, write_entry
    from msrsim.campaign.products import load_products, save_products, trajectories

    fingerprint = legs_fingerprint(scenario)
    folder = cache_dir() / fingerprint
    if use_cache:
        cached = _from_cache(folder, fingerprint)
        if cached is not None:  # flown for another scenario of the same values, perhaps
            cached = as_labelled_by(cached, scenario)
            if cached.plan is not None:  # the scenario's own failure probabilities
                judged = failure_probabilities(scenario)
                plan = dataclasses.replace(cached.plan, failure_probability=judged)
                cached = dataclasses.replace(cached, plan=plan)
            if progress is not None:
                progress("read from the cache", 1, 1)
            if not full_results:
                return cached
            legs = nominal_legs(scenario, progress=progress)
            return dataclasses.replace(cached, handoffs=handoffs_of(legs))
    result = fly_nominal(scenario, use_cache=use_cache, progress=progress, flown=flown)
    names = save_products(folder / "products", trajectories(result.handoffs), fingerprint)
    products = load_products(folder / "products", names, fingerprint)
    text = json.dumps({"result": result.to_dict(), "products": names}, default=str)
    write_entry(folder / _PLAN_FILE, pickle.dumps(result.plan, protocol=5), fingerprint)
    write_entry(folder / "legs.json", text.encode("utf-8"), fingerprint)
    return dataclasses.replace(result, products=products)


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
    plan: CoupledPlan,
    trials: int,
    *,
    chunk_size: int,
    out_dir=None,
    scheduler=None,
    workers: int | None = None,
    resume: bool = False,
    progress=None,
    fingerprint: str = "",
):
    """The coupled campaign trials in chunks (:func:`msrsim.campaign.execution.run_chunks`).

    ``scheduler=None`` runs one chunk in-process and several on a Dask LocalCluster;
    ``"synchronous"`` always in-process; ``"tcp://host:8786"`` on that cluster.
    """
    from msrsim.campaign.execution import run_chunks

    if scheduler is None and trials <= chunk_size:
        scheduler = "synchronous"
    return run_chunks(
        functools.partial(fly_chunk, plan),
        trials,
        chunk_size=chunk_size,
        out_dir=out_dir,
        scheduler=scheduler,
        workers=workers,
        resume=resume,
        progress=progress,
        metadata={"seed": plan.seed, "scenario_fingerprint": fingerprint},
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


def _mean_interval(values: np.ndarray, z: float = 1.959964) -> list[float]:
    """The mean and its 95 % normal interval (the trials are independent)."""
    mean = float(np.mean(values))
    half = z * float(np.std(values, ddof=1)) / math.sqrt(values.size) if values.size > 1 else 0.0
    return [round(mean, 4), round(mean - half, 4), round(mean + half, 4)]


def _bits(names, wanted) -> np.uint64:
    index = {name: bit for name, bit in zip(names, tube_bits(names), strict=True)}
    return np.bitwise_or.reduce(np.array([index[w] for w in wanted] or [0], np.uint64))


def monte_carlo_summary(columns: dict[str, np.ndarray], plan: CoupledPlan) -> dict:
    """A JSON-ready digest of the coupled trials (``columns``: the run's trial table)."""
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
    tubes = np.asarray(columns["tubes_returned"], np.float64)
    mask = np.asarray(columns["tube_mask"], dtype=np.uint64)
    returned = np.where(success, mask, np.uint64(0))
    bits = tube_bits(plan.tube_names)
    each = {
        name: round(float(np.mean((returned & bit) != 0)), 4)
        for name, bit in zip(plan.tube_names, bits, strict=True)
        if np.any((returned & bit) != 0)
    }
    selected = _bits(plan.tube_names, plan.priority_tubes)
    at_least = {
        str(m): round(float(np.mean(tubes >= m)), 6)
        for m in (1, 5, 10, 15, 20, 25, 30)
        if m <= max(1, int(tubes.max(initial=0)))
    }
    landing = np.asarray(columns["earth_landing_et"], np.float64)
    landed = success & np.isfinite(landing)
    years = [d.year for d in et_to_utc_datetime(landing[landed])] if landed.any() else []
    by_year = {
        str(y): round(c / n, 6) for y, c in zip(*np.unique(years, return_counts=True), strict=True)
    }
    capture = np.asarray(columns["capture_et"], np.float64)
    departure = np.asarray(columns["ero_departure_et"], np.float64)
    tubes_mean = _mean_interval(tubes)
    return {
        "trials": n,
        "probability_of_success": round(k / n, 6),
        "probability_of_success_ci_low": round(low, 6),
        "probability_of_success_ci_high": round(high, 6),
        "failure_causes": dict(sorted(causes.items(), key=lambda kv: -kv[1])),
        "expected_tubes_returned": tubes_mean[0],
        "expected_tubes_returned_ci_low": tubes_mean[1],
        "expected_tubes_returned_ci_high": tubes_mean[2],
        "probability_at_least_n_tubes": at_least,
        "probability_selected_set_returned": round(
            float(np.mean(success & ((returned & selected) == selected))), 6
        ),
        "selected_set": list(plan.priority_tubes),
        **spread("tubes_returned_if_success", _percentiles(tubes[success], digits=0)),
        "probability_each_tube_returns": dict(sorted(each.items(), key=lambda kv: -kv[1])),
        **spread("earth_landing_utc", _dates(np.where(success, landing, np.nan))),
        "earth_landing_year": by_year,
        "probability_late_return": round(float(np.mean(success & columns["late_return"])), 6),
        "probability_outside_range_if_success": round(
            float(np.mean(columns["inside_range"][success] == 0)) if k else 0.0, 6
        ),
        **spread("capture_margin_days", _percentiles((departure - capture) / DAY_S)),
        **spread(
            "srl_landing_miss_km", _percentiles(np.asarray(columns["landing_miss_km"], np.float64))
        ),
        **spread("mav_launch_utc", _dates(np.asarray(columns["mav_launch_et"], np.float64))),
        "probability_rover_failed": round(float(np.mean(columns["rover_failed"])), 6),
    }


def _rates(columns, plan: CoupledPlan, failure_probability, hardware) -> tuple[float, float]:
    failure = outcome(columns, hardware, failure_probability, plan.ero_mars_arrival_et)
    success = failure == Failure.NONE
    return float(np.mean(success)), float(np.mean(np.where(success, columns["tubes_loaded"], 0)))


def _hardware_draws(columns: dict[str, np.ndarray], plan: CoupledPlan) -> dict:
    """The hardware uniforms of each trial in ``columns``, by its trial number (chunks are
    contiguous runs of trials)."""
    from msrsim.campaign.chain import hardware_uniforms

    n = len(columns["success"])
    trials = np.asarray(columns["trial"]) if "trial" in columns else np.arange(n)
    hardware = {k: np.empty(n) for k in hardware_uniforms(plan.seed, 0, 1)}
    breaks = np.flatnonzero(np.diff(trials) != 1) + 1
    for run in np.split(np.arange(n), breaks):
        if run.size:
            draws = hardware_uniforms(plan.seed, int(trials[run[0]]), run.size)
            for k, v in draws.items():
                hardware[k][run] = v
    return hardware


def rejudged(columns: dict[str, np.ndarray], plan: CoupledPlan) -> dict:
    """The flown trials in ``columns`` judged again with ``plan``'s failure probabilities
    (their physics does not depend on them): what a run of ``plan`` gives, without a
    flight."""
    return judged(columns, _hardware_draws(columns, plan), plan)


def sobol_drivers(
    columns: dict[str, np.ndarray], plan: CoupledPlan, *, factor: float = 2.0,
    samples: int = 1024, seed: int = 0,
) -> dict:  # fmt: skip
    """Global sensitivity of P(success) and the expected tubes returned to every hardware
    failure probability at once: each uncertain log-uniformly between its value divided
    and multiplied by ``factor`` (the tornado's range, all varied together), Sobol first
    and total indices (:func:`msrsim.core.sensitivity.sobol_indices`, SALib). Each point
    judges the same flown trials again with its probabilities (their physics does not
    depend on them: common random numbers), so ``samples * (d + 2)`` points cost no
    flight. The physical failure modes and the scenario's other representative values
    need the legs flown again per point: not included."""
    from msrsim.core.sensitivity import sobol_indices

    hardware = _hardware_draws(columns, plan)
    names = [n for n, p in plan.failure_probability.items() if p > 0.0]
    centre = np.log([plan.failure_probability[n] for n in names])
    lower = centre - math.log(factor)
    upper = np.minimum(centre + math.log(factor), 0.0)  # a probability stays <= 1

    def evaluate(points):
        out = np.array([
            _rates(columns, plan, {**plan.failure_probability,
                                   **dict(zip(names, np.exp(x), strict=True))}, hardware)
            for x in points
        ])  # fmt: skip
        return {"probability_of_success": out[:, 0], "expected_tubes_returned": out[:, 1]}

    found = sobol_indices(evaluate, names, lower, upper, samples=samples, seed=seed)
    return {
        "factor": factor,
        "samples": samples,
        "points": samples * (len(names) + 2),
        "trials": len(columns["success"]),
        **{output: s.ranked() for output, s in found.items()},
    }


def risk_drivers(columns: dict[str, np.ndarray], plan: CoupledPlan) -> dict:
    """What most changes P(success) and the expected tubes returned, ranked by the swing of
    P(success).

    Each hardware failure probability is halved and doubled and the same flown trials are
    judged again (their physics does not depend on it: common random numbers, exact).
    Each physical failure mode (a launch period missed, an unsafe landing, no tube by the
    MAV's deadline, an Orbiting Sample below a stable orbit, no capture, a missed return,
    a capsule that does not land) is removed by giving the trials it ended the outcome of
    the trials that went past it: ``P + P(mode) P(success | past it)``, an estimate that
    assumes the trials it ended would have fared downstream like the others.
    """
    n = len(columns["success"])
    hardware = _hardware_draws(columns, plan)
    base = _rates(columns, plan, plan.failure_probability, hardware)
    rows = []
    for name, p in plan.failure_probability.items():
        cases = {
            label: _rates(columns, plan, {**plan.failure_probability, name: scaled}, hardware)
            for label, scaled in (("x0.5", p / 2), ("x2", min(1.0, 2 * p)))
        }
        rows.append({"driver": f"{name} failure probability", "cases": cases})
    failure = np.asarray(columns["failure"])
    order = {why: i for i, why in enumerate(RELAY_ORDER)}
    rank = np.array([order.get(Failure(c), -1) for c in failure])
    tubes = np.where(failure == 0, np.asarray(columns["tubes_loaded"], np.float64), 0.0)
    physical = np.unique(np.asarray(columns["ended"]))
    for code in physical[physical != 0]:
        why = Failure(int(code))
        ended_here = failure == why
        past = (failure == 0) | (rank > order[why])
        if not past.any():
            continue
        share = float(np.mean(ended_here))
        p_past = float(np.mean(failure[past] == 0))
        t_past = float(np.mean(tubes[past]))
        removed = (base[0] + share * p_past, base[1] + share * t_past)
        label = f"no {why.name.lower().replace('_', ' ')} failures"
        rows.append({"driver": label, "cases": {"as modelled": base, "removed": removed}})
    for row in rows:
        (p0, t0), (p1, t1) = row["cases"].values()
        row["swing"] = round(abs(p1 - p0), 6)
        row["tubes_swing"] = round(abs(t1 - t0), 4)
        row["cases"] = {k: round(v[0], 6) for k, v in row["cases"].items()}
    rows.sort(key=lambda r: (-r["swing"], -r["tubes_swing"]))
    return {
        "probability_of_success": round(base[0], 6),
        "expected_tubes_returned": round(base[1], 4),
        "trials": n,
        "drivers": rows,
    }


def to_json_file(path, data: dict) -> None:
    """Write ``data`` as indented JSON (the run's summary beside its Parquet dataset)."""
    from pathlib import Path

    Path(path).write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
