"""Campaign Monte Carlo: 1,000,000 baseline campaigns on a 2-worker LocalCluster.

Run ``python benchmarks/bench_campaign.py [N] [--chunks 50000,100000,250000] [--workers 2]
[--full N_FULL]``. The trial model is the campaign's own at the default fidelity
(:func:`msrsim.campaign.montecarlo.simulate_trials` on the baseline's cached leg tables,
:func:`msrsim.campaign.runner.campaign_legs`; the legs are flown first if the cache is
cold, which is not timed), every chunk written to a Parquet dataset. For each chunk size it
prints the wall time (cluster start-up included), trials/s and the peak resident memory of
the whole process tree (this process, the scheduler and the workers: RSS summed over the
tree, sampled every 20 ms; shared library pages are counted once per process, so this is
an upper bound), then the same run in this process alone (``scheduler="synchronous"``),
then the rate of the full fidelity (every leg flown for each chunk) on ``N_FULL`` trials.
Target (issue 10): 1,000,000 trials under 2 minutes and 2 GB on this 2-core machine.
"""

from __future__ import annotations

import argparse
import dataclasses
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

from msrsim.campaign.execution import run_chunks
from msrsim.campaign.montecarlo import simulate_trials
from msrsim.campaign.runner import campaign_legs, run_monte_carlo
from msrsim.scenario import baseline


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
            metadata={"model": "campaign, default fidelity"},
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
    parser.add_argument("--full", type=int, default=200)
    args = parser.parse_args(argv)
    chunk_sizes = [int(c) for c in args.chunks.split(",")]

    t = time.perf_counter()
    legs = campaign_legs(baseline())
    model = legs.model
    chunk_fn = functools.partial(simulate_trials, model)
    columns = len(chunk_fn(0, 10)) + 1  # + trial
    print(
        f"campaign Monte Carlo benchmark: {args.n:,} baseline campaigns, {columns} columns, "
        f"{os.cpu_count()} CPUs; legs ready in {time.perf_counter() - t:.1f} s (cache)"
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
    full = run_monte_carlo(
        dataclasses.replace(model, fidelity="full"),
        args.full,
        scenario=baseline(),
        chunk_size=args.full,
        scheduler="synchronous",
    )
    print(
        f"  full fidelity (every leg flown), {args.full} trials in one chunk: "
        f"{full.wall_s:6.1f} s  {full.trials_per_s:8.1f} trials/s"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
