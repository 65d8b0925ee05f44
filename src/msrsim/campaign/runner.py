"""``msrsim run``'s main job: plan and fly the legs once (cached per scenario and code),
then the coupled campaign Monte Carlo in chunks, its summary and its risk drivers.

* :func:`campaign_legs` plans the campaign and flies its nominal relay
  (:func:`msrsim.campaign.nominal.fly_nominal`), or reads the last result for the same scenario
  and the same code from the cache (:mod:`msrsim.campaign.cache`: the legs' report as JSON,
  their trajectories, and the coupled plan, under a fingerprint of every scenario value
  and of the package's own files, so an edit of either replans).
* :func:`run_monte_carlo` flies the coupled trials (:func:`msrsim.campaign.chain.
  fly_chunk`: each trial flies the relay from its own previous leg) through
  :func:`msrsim.campaign.execution.run_chunks`: in-process for a small run, on a Dask
  LocalCluster when it pays (:func:`local_cluster_pays`, measured) or on a given
  scheduler; with ``out_dir`` every chunk is a Parquet file written before it counts, and
  ``resume`` picks up a killed run; ``on_chunk`` digests each chunk as it comes
  (:class:`msrsim.campaign.tally.CampaignTally`), so no trial table need be held.
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

from msrsim.campaign.chain import CoupledPlan, Failure, fly_chunk, judged, outcome
from msrsim.campaign.nominal import fly_nominal, handoffs_of, nominal_legs
from msrsim.campaign.outcomes import CampaignResult, as_labelled_by
from msrsim.campaign.plan import JUDGED_AFTER_FLIGHT, failure_probabilities
from msrsim.campaign.tally import CampaignTally, hardware_draws, wilson_interval

__all__ = [
    "campaign_legs",
    "legs_fingerprint",
    "local_cluster_pays",
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
    scenario,
    *,
    use_cache: bool = True,
    full_results: bool = False,
    progress=None,
    flown=None,
    prefetch: bool = False,
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
    as :func:`msrsim.campaign.nominal.fly_nominal`, when the legs are flown (not read);
    ``prefetch``: as :func:`msrsim.campaign.nominal.nominal_legs`."""
    from msrsim.campaign.cache import cache_dir, entry_lock

    fingerprint = legs_fingerprint(scenario)
    folder = cache_dir() / fingerprint
    if use_cache:
        cached = _from_cache(folder, fingerprint)
        if cached is None:  # another process flying it: wait for it, then read its entry
            with entry_lock(folder / "legs.json"):
                cached = _from_cache(folder, fingerprint)
                if cached is None:
                    return _fly_and_store(
                        scenario, folder, fingerprint, use_cache, progress, flown, prefetch
                    )
        # flown for another scenario of the same values, perhaps
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
    with entry_lock(folder / "legs.json"):
        return _fly_and_store(scenario, folder, fingerprint, use_cache, progress, flown, prefetch)


def _fly_and_store(
    scenario, folder, fingerprint: str, use_cache: bool, progress, flown, prefetch=False
):
    """:func:`campaign_legs`'s miss: fly the relay, store the entry (under its lock)."""
    from msrsim.campaign.cache import write_entry
    from msrsim.campaign.products import load_products, save_products, trajectories

    result = fly_nominal(
        scenario, use_cache=use_cache, progress=progress, flown=flown, prefetch=prefetch
    )
    names = save_products(folder / "products", trajectories(result.handoffs), fingerprint)
    products = load_products(folder / "products", names, fingerprint)
    text = json.dumps({"result": result.to_dict(), "products": names}, default=str)
    write_entry(folder / _PLAN_FILE, pickle.dumps(result.plan, protocol=5), fingerprint)
    write_entry(folder / "legs.json", text.encode("utf-8"), fingerprint)
    return dataclasses.replace(result, products=products)


CLUSTER_OVERHEAD_TRIALS = 558
"""What a fresh local Dask cluster costs before its workers fly at full speed (its
start-up, each worker's import of msrsim and first load of the numba kernels, the plan
shipped), in trials: its wall time over one baseline trial's wall time in this process,
both measured together (benchmarks/bench_execution.py, ``execution.
cluster_overhead_trials`` in benchmarks/record.json: 39 s against 71 ms a trial on the
shared 2-CPU machine, 8 s of it the cluster's own start-up)."""


def local_cluster_pays(trials: int, chunk_size: int, cpus: int | None = None) -> bool:
    """Whether a local cluster of ``cpus`` workers (default: this machine's) finishes
    ``trials`` sooner than this process alone: ``trials (1 - 1/w) >``
    :data:`CLUSTER_OVERHEAD_TRIALS`, with ``w`` the workers that get a chunk (never more
    than the chunks). On 2 CPUs: from 1,116 trials on."""
    import os

    cpus = (os.cpu_count() or 1) if cpus is None else cpus
    busy = min(cpus, -(-trials // chunk_size))
    return busy > 1 and trials * (1.0 - 1.0 / busy) > CLUSTER_OVERHEAD_TRIALS


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
    collect: bool = True,
    on_chunk=None,
):
    """The coupled campaign trials in chunks (:func:`msrsim.campaign.execution.run_chunks`).

    ``scheduler=None`` picks by size: a local Dask cluster of ``workers`` processes when
    ``workers`` is given and there are several chunks, otherwise one of the CPU count only
    when it pays (:func:`local_cluster_pays`), else this process; ``"synchronous"`` always
    in-process; ``"tcp://host:8786"`` (or a ``distributed.Client``) on that cluster.
    ``on_chunk(columns, start)`` is given every finished chunk in this process
    (a :meth:`msrsim.campaign.tally.CampaignTally.add`); ``collect=False`` keeps no trial
    table (the result's ``table`` is ``None``), so memory does not grow with ``trials``.
    """
    from msrsim.campaign.execution import run_chunks

    if scheduler is None and (
        trials <= chunk_size or (workers is None and not local_cluster_pays(trials, chunk_size))
    ):
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
        collect=collect,
        on_chunk=on_chunk,
    )


def monte_carlo_summary(columns: dict[str, np.ndarray], plan: CoupledPlan) -> dict:
    """A JSON-ready digest of the coupled trials (``columns``: the run's trial table, or
    any part of it with its ``trial`` column): :meth:`msrsim.campaign.tally.CampaignTally.
    summary` of one chunk, so a run digested chunk by chunk gives the same numbers."""
    tally = CampaignTally(plan, drivers=False)
    tally.add(columns)
    return tally.summary()


def _rates(columns, plan: CoupledPlan, failure_probability, hardware) -> tuple[float, float]:
    failure = outcome(columns, hardware, failure_probability, plan.ero_mars_arrival_et)
    success = failure == Failure.NONE
    return float(np.mean(success)), float(np.mean(np.where(success, columns["tubes_loaded"], 0)))


def rejudged(columns: dict[str, np.ndarray], plan: CoupledPlan) -> dict:
    """The flown trials in ``columns`` judged again with ``plan``'s failure probabilities
    (their physics does not depend on them): what a run of ``plan`` gives, without a
    flight."""
    return judged(columns, hardware_draws(columns, plan.seed), plan)


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

    hardware = hardware_draws(columns, plan.seed)
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
    P(success) (:meth:`msrsim.campaign.tally.CampaignTally.drivers` of one chunk).

    Each hardware failure probability is halved and doubled and the same flown trials are
    judged again (their physics does not depend on it: common random numbers, exact).
    Each physical failure mode (a launch period missed, an unsafe landing, no tube by the
    MAV's deadline, an Orbiting Sample below a stable orbit, no capture, a missed return,
    a capsule that does not land) is removed by giving the trials it ended the outcome of
    the trials that went past it: ``P + P(mode) P(success | past it)``, an estimate that
    assumes the trials it ended would have fared downstream like the others.
    """
    tally = CampaignTally(plan)
    tally.add(columns)
    return tally.drivers()


def to_json_file(path, data: dict) -> None:
    """Write ``data`` as indented JSON (the run's summary beside its Parquet dataset)."""
    from pathlib import Path

    Path(path).write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
