"""Coupled campaign Monte Carlo: baseline trials per second, per leg, and on a local cluster.

Run ``python benchmarks/bench_campaign.py [N] [--chunks 250,500] [--workers 2]``. Every
trial flies the whole relay from its own previous leg
(:func:`msrsim.campaign.chain.fly_chunk` on the baseline's plan from
:func:`msrsim.campaign.runner.campaign_legs`; planning is cached and not timed). It
prints each leg's share of one chunk in this process (where the time goes), then for each
chunk size the wall time on a local Dask cluster (start-up included), trials/s, trials/s
per core and the peak resident memory of the whole process tree (this process, the
scheduler and the workers: RSS summed over the tree, sampled every 20 ms), then the same
run in this process alone. Every run must give bit-identical trials. Target (issue 16):
10^5 coupled trials under 10 minutes and 2 GB on this 2-core machine.
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
from record import report

from msrsim.campaign.chain import TrialTable, fly_chunk
from msrsim.campaign.execution import run_chunks
from msrsim.campaign.runner import campaign_legs
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


def leg_times(plan, n: int) -> dict[str, float]:
    """Seconds each leg takes on one chunk of ``n`` trials, in this process."""
    schema = {name: dtype for leg in plan.legs for name, dtype in leg.columns.items()}
    table = TrialTable(plan.seed, 0, n, schema)
    times = {}
    for leg in plan.legs:
        t = time.perf_counter()
        leg.fly(table)
        times[type(leg).__name__] = time.perf_counter() - t
    return times


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=2_000)
    parser.add_argument("--chunks", default="250,500")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    chunk_sizes = [int(c) for c in args.chunks.split(",")]

    t = time.perf_counter()
    plan = campaign_legs(baseline()).plan
    chunk_fn = functools.partial(fly_chunk, plan)
    print(
        f"coupled campaign benchmark: {args.n:,} baseline trials, {os.cpu_count()} CPUs; "
        f"plan ready in {time.perf_counter() - t:.1f} s (cache)"
    )
    chunk_fn(0, 4)  # compile every kernel before timing
    times = leg_times(plan, chunk_sizes[0])
    total = sum(times.values())
    print(f"  one chunk of {chunk_sizes[0]} in this process: {total:.1f} s "
          f"({total / chunk_sizes[0] * 1e3:.1f} ms a trial)")  # fmt: skip
    for name, seconds in times.items():
        print(f"    {name:<16} {seconds:7.2f} s  {100 * seconds / total:5.1f} %")
    row = sum(np.asarray(v).itemsize for v in chunk_fn(0, 4).values()) + 8  # + trial number
    print(f"  a trial's row in the trial table: {row} bytes ({row * 1e5 / 2**20:.0f} MiB at 10^5)")

    reference = None
    for chunk_size in chunk_sizes:
        result, peak = benchmark(chunk_fn, args.n, chunk_size, workers=args.workers)
        found = digest(result.table)
        result = result.__class__(**{**result.__dict__, "table": None})
        if reference is None:
            reference = found
        assert found == reference, "results depend on the chunk size"
        print(
            f"  LocalCluster {result.workers} workers, chunk {chunk_size:>5,}: "
            f"{result.wall_s:7.1f} s  {result.trials_per_s:8.1f} trials/s "
            f"({result.trials_per_s / result.workers:6.1f} per core)  "
            f"peak tree RSS {peak / 2**20:6.0f} MiB  (start-up {result.extra['startup_s']:.1f} s)"
        )
    result, peak = benchmark(chunk_fn, args.n, chunk_sizes[0], workers=None,
                             scheduler="synchronous")  # fmt: skip
    assert digest(result.table) == reference, "synchronous differs from the cluster"
    print(
        f"  synchronous (1 process),  chunk {chunk_sizes[0]:>5,}: {result.wall_s:7.1f} s  "
        f"{result.trials_per_s:8.1f} trials/s  peak RSS {peak / 2**20:6.0f} MiB"
    )
    print("  all runs bit-identical")
    rate = result.trials_per_s
    print(f"  at this rate 10^5 coupled trials take {1e5 / rate / 60 / 2:.0f} min on 2 cores")
    report(
        "campaign",
        {
            "trials": args.n,
            "ms_per_trial_one_process": round(total / chunk_sizes[0] * 1e3, 2),
            "trials_per_s_synchronous": round(rate, 1),
            "peak_rss_mib_synchronous": round(peak / 2**20),
            "trial_row_bytes": row,
        },
    )


if __name__ == "__main__":
    main(sys.argv[1:])
