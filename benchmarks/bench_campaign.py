"""Campaign Monte Carlo execution: 1,000,000 trials on a 2-worker LocalCluster.

Run ``python benchmarks/bench_campaign.py [N] [--chunks 50000,100000,250000] [--workers 2]``.
Measures the execution engine (:func:`msrsim.campaign.execution.run_chunks`) on a
representative synthetic trial model: 31 columns, 12 Bernoulli failures, 6 normal
dispersions and a lookup into a cached leg table of 10,000 rows
(:func:`msrsim.campaign.cache.cached_table`), every chunk written to a Parquet dataset.
For each chunk size it prints the wall time (cluster start-up included), trials/s and the
peak resident memory of the whole process tree (this process, the scheduler and the
workers: RSS summed over the tree, sampled every 20 ms; shared library pages are counted
once per process, so this is an upper bound), then the same model in this process alone
(``scheduler="synchronous"``). Target (issue 10): 1,000,000 trials under 2 minutes and
2 GB on this 2-core machine.

The trial model is an argument (:func:`benchmark` takes any chunk function): swap
:func:`synthetic_model` for the campaign's own.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

from msrsim.campaign.cache import cached_table
from msrsim.campaign.execution import run_chunks
from msrsim.campaign.streams import TrialStreams
from msrsim.scenario import baseline

SEED = 20260
LEG_ROWS = 10_000
STREAMS = ("failures", "dispersions", "leg_rows", "tubes")
# Twelve failure probabilities (launches, cruises, EDL, arm, MAV, capture, seal, entry...).
P_FAIL = np.array([0.02, 0.02, 0.01, 0.03, 0.04, 0.02, 0.01, 0.05, 0.03, 0.01, 0.005, 0.01])
NOMINAL_DAYS = np.array([220.0, 240.0, 30.0, 420.0, 60.0, 390.0])
SIGMA_DAYS = np.array([5.0, 8.0, 3.0, 40.0, 12.0, 6.0])


def leg_table() -> dict[str, np.ndarray]:
    """A stand-in for one leg's Monte Carlo results: 10,000 rows, 6 columns."""
    rng = np.random.default_rng(1)
    return {
        "dv_m_s": rng.normal(4200.0, 60.0, LEG_ROWS),
        "mass_kg": rng.normal(2100.0, 25.0, LEG_ROWS),
        "apoapsis_km": rng.normal(343.0, 5.0, LEG_ROWS),
        "periapsis_km": rng.normal(300.0, 4.0, LEG_ROWS),
        "inclination_deg": rng.normal(25.0, 0.05, LEG_ROWS),
        "reached_orbit": rng.random(LEG_ROWS) < 0.97,
    }


def synthetic_model(start: int, n: int, *, seed: int, leg: dict[str, np.ndarray]) -> dict:
    """Trials ``start .. start+n-1`` of a campaign-shaped model with no physics."""
    streams = TrialStreams(seed, STREAMS)
    failed = streams.bernoulli("failures", start, n, P_FAIL)  # (n, 12)
    days = NOMINAL_DAYS + SIGMA_DAYS * streams.normal("dispersions", start, n, 6)  # (n, 6)
    row = streams.row_index("leg_rows", start, n, len(leg["dv_m_s"]))[:, 0]
    tubes_loaded = 10 + streams.categorical("tubes", start, n, [0.1, 0.2, 0.3, 0.4])[:, 0]
    picked = {name: values[row] for name, values in leg.items()}
    total_days = days.sum(axis=1)
    any_failed = failed.any(axis=1)
    first_failure = np.where(any_failed, failed.argmax(axis=1), -1)
    success = ~any_failed & picked["reached_orbit"] & (total_days < 1450.0)
    out = {f"failed_{j:02d}": failed[:, j] for j in range(failed.shape[1])}
    out |= {f"days_{j}": days[:, j] for j in range(days.shape[1])}
    out |= {"leg_row": row, **picked}
    out |= {
        "total_days": total_days,
        "first_failure": first_failure,
        "tubes_returned": np.where(success, tubes_loaded, 0),
        "success": success,
    }
    return out


class TreeMemory:
    """Peak RSS summed over this process and its descendants, sampled in a thread."""

    def __init__(self, interval_s: float = 0.02):
        self.interval_s = interval_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval_s)

    def __enter__(self):
        self.peak = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def benchmark(chunk_fn, n_trials: int, chunk_size: int, *, workers: int | None, scheduler=None):
    """One run into a temporary Parquet directory; (result, peak tree RSS in bytes)."""
    with tempfile.TemporaryDirectory() as tmp, TreeMemory() as memory:
        result = run_chunks(
            chunk_fn,
            n_trials,
            chunk_size=chunk_size,
            out_dir=Path(tmp) / "run",
            scheduler=scheduler,
            workers=workers,
            metadata={"seed": SEED, "model": getattr(chunk_fn, "__name__", "synthetic")},
        )
    return result, memory.peak


def digest(table) -> str:
    """SHA-256 over every column's values: compares runs without keeping their tables."""
    h = hashlib.sha256()
    for name in table.column_names:
        h.update(name.encode())
        h.update(np.ascontiguousarray(table.column(name).to_numpy()).tobytes())
    return h.hexdigest()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--chunks", default="50000,100000,250000")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    chunk_sizes = [int(c) for c in args.chunks.split(",")]

    with tempfile.TemporaryDirectory() as cache_root:
        t = time.perf_counter()
        leg = cached_table(baseline(), "bench-leg", leg_table, cache_root)
        miss = time.perf_counter() - t
        t = time.perf_counter()
        leg = cached_table(baseline(), "bench-leg", leg_table, cache_root)
        hit = time.perf_counter() - t
    chunk_fn = functools.partial(synthetic_model, seed=SEED, leg=leg)
    columns = len(chunk_fn(0, 10)) + 1  # + trial
    print(
        f"campaign execution benchmark: {args.n:,} trials, {columns} columns, "
        f"{os.cpu_count()} CPUs; leg table cache: miss {miss:.2f} s, hit {hit * 1e3:.0f} ms"
    )

    reference = None
    for chunk_size in chunk_sizes:
        result, peak = benchmark(chunk_fn, args.n, chunk_size, workers=args.workers)
        # Digest, then drop the table, so that the next run's peak does not include it.
        found = digest(result.table)
        result = result.__class__(**{**result.__dict__, "table": None})
        if reference is None:
            reference = found
        assert found == reference, "results depend on the chunk size"
        print(
            f"  LocalCluster {result.workers} workers, chunk {chunk_size:>7,}: "
            f"{result.wall_s:6.1f} s  {result.trials_per_s:>10,.0f} trials/s  "
            f"peak tree RSS {peak / 2**20:6.0f} MiB  (cluster start-up "
            f"{result.extra['startup_s']:.1f} s)"
        )
    result, peak = benchmark(
        chunk_fn, args.n, chunk_sizes[0], workers=None, scheduler="synchronous"
    )
    assert digest(result.table) == reference, "synchronous differs from the cluster"
    print(
        f"  synchronous (1 process),  chunk {chunk_sizes[0]:>7,}: {result.wall_s:6.1f} s  "
        f"{result.trials_per_s:>10,.0f} trials/s  peak RSS {peak / 2**20:6.0f} MiB"
    )
    print("  all runs bit-identical")


if __name__ == "__main__":
    main(sys.argv[1:])
