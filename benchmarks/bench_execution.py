"""Execution that fits the size: when a local Dask cluster pays, and the parent's memory.

Run ``python benchmarks/bench_execution.py [--sizes 100000,1000000,10000000]
[--before 100000,1000000] [--workers 2] [--repeats 2]``.

1. **The threshold.** One coupled baseline trial's CPU time in this process ``t``
   (:func:`msrsim.campaign.chain.fly_chunk` on the plan of
   :func:`msrsim.campaign.runner.campaign_legs`, kernels compiled first), and the wall time
   a local cluster of ``--workers`` adds before it flies at full speed ``S``: a run of two
   tiny chunks on a fresh cluster (start-up, each worker's import of msrsim and first
   load of the numba kernels, the plan shipped) less the trials' own share. The cluster
   finishes ``n`` trials sooner than this process when ``n t (1 - 1/w) > S``: from
   ``2 S / t`` trials on 2 workers. ``S`` is wall time on whatever else the machine runs;
   the figure is the smallest of ``--repeats`` starts, and ``S / t`` (with ``t`` in wall
   time, measured alongside) is what ``msrsim.campaign.runner.CLUSTER_OVERHEAD_TRIALS``
   holds: a ratio of two times taken together, less sensitive to the machine's load.
2. **The parent's memory.** ``msrsim run``'s parent path at each trial count of
   ``--sizes``, each in a fresh process: the baseline's legs read from the cache (what the
   command imports and holds), then :func:`msrsim.campaign.execution.run_chunks` in chunks
   of the scenario's size (500) with every chunk written to a Parquet dataset and counted
   by :class:`msrsim.campaign.tally.CampaignTally` (``collect=False``), then the summary
   and the risk drivers: its peak RSS (``ru_maxrss``) and CPU seconds. Flying 10^7 real
   trials takes about 3 x 10^5 CPU seconds, so the chunks here are *replayed*: rows of 500
   really flown trials, given each chunk's trial numbers (the tally draws the hardware
   by them); the workers' memory is one chunk whatever the count, the parent's is what
   is measured. ``--before`` runs the path as it was (the whole trial table collected,
   then digested) for comparison.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from record import report

TEMPLATE_TRIALS = 500


def replay(template: dict, start: int, n: int) -> dict:
    """Chunk ``start .. start + n - 1`` made of the template's rows, in turn."""
    rows = np.arange(start, start + n) % len(template["success"])
    return {name: values[rows] for name, values in template.items()}


def child(n: int, mode: str, template_path: str, chunk_size: int) -> None:
    """One parent run (in this fresh process); prints its figures as JSON."""
    import pyarrow.parquet as pq

    from msrsim.campaign.execution import run_chunks
    from msrsim.campaign.runner import campaign_legs, monte_carlo_summary, risk_drivers
    from msrsim.campaign.tally import CampaignTally
    from msrsim.scenario import baseline

    plan = campaign_legs(baseline()).plan
    table = pq.read_table(template_path)
    template = {c: table.column(c).to_numpy(zero_copy_only=False) for c in table.column_names}
    del table
    cpu = time.process_time()
    fn = functools.partial(replay, template)
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        if mode == "stream":
            tally = CampaignTally(plan)
            run_chunks(fn, n, chunk_size=chunk_size, out_dir=Path(tmp) / "trials",
                       scheduler="synchronous", collect=False, on_chunk=tally.add)  # fmt: skip
            summary, drivers, state = tally.summary(), tally.drivers(), tally.nbytes
        else:  # before: the whole table held, then digested
            result = run_chunks(fn, n, chunk_size=chunk_size, out_dir=Path(tmp) / "trials",
                                scheduler="synchronous")  # fmt: skip
            columns = {
                c: result.table.column(c).to_numpy(zero_copy_only=False)
                for c in result.table.column_names
            }
            summary, drivers = monte_carlo_summary(columns, plan), risk_drivers(columns, plan)
            state = result.table.nbytes
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({
        "trials": n, "mode": mode, "peak_rss_mib": round(peak, 1),
        "cpu_s": round(time.process_time() - cpu, 1), "state_bytes": int(state),
        "p_success": summary["probability_of_success"], "drivers": len(drivers["drivers"]),
    }))  # fmt: skip


def threshold(plan, workers: int, repeats: int) -> dict:
    from msrsim.campaign.chain import fly_chunk
    from msrsim.campaign.execution import run_chunks

    fn = functools.partial(fly_chunk, plan)
    fn(0, 4)  # every kernel compiled (or loaded) before timing
    m = 100
    cpu, wall = time.process_time(), time.perf_counter()
    fn(0, m)
    trial_cpu_s = (time.process_time() - cpu) / m
    trial_wall_s = (time.perf_counter() - wall) / m
    k = 4
    starts = []
    for _ in range(repeats):
        result = run_chunks(fn, 2 * k, chunk_size=k, workers=workers, collect=False)
        assert result.workers == workers, result.scheduler
        # two chunks of k trials on two workers: k trials' time is the work
        starts.append((result.wall_s - k * trial_wall_s, result.extra["startup_s"]))
    overhead_s, startup_s = min(starts)
    busy = 1.0 - 1.0 / workers
    return {
        "trial_cpu_s": round(trial_cpu_s, 4),
        "trial_wall_s": round(trial_wall_s, 4),
        "workers": workers,
        "cluster_overhead_s": round(overhead_s, 1),
        "cluster_startup_s": round(startup_s, 1),
        "cluster_overheads_s": [round(s, 1) for s, _ in starts],
        "cluster_overhead_trials": round(overhead_s / trial_wall_s),
        "local_cluster_pays_from_trials": math.ceil(overhead_s / (trial_wall_s * busy)),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--before", default="100000,1000000")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--child", nargs=3, metavar=("N", "MODE", "TEMPLATE"))
    args = parser.parse_args(argv)
    if args.child:
        child(int(args.child[0]), args.child[1], args.child[2], args.chunk_size)
        return

    import pyarrow as pa
    import pyarrow.parquet as pq

    from msrsim.campaign.chain import fly_chunk
    from msrsim.campaign.runner import campaign_legs
    from msrsim.scenario import baseline

    plan = campaign_legs(baseline()).plan
    figures = threshold(plan, args.workers, args.repeats)
    print(f"execution benchmark, {os.cpu_count()} CPUs: {figures}")
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.parquet"
        pq.write_table(pa.table(fly_chunk(plan, 0, TEMPLATE_TRIALS)), template)
        runs = [(int(n), "stream") for n in args.sizes.split(",") if n]
        runs += [(int(n), "before") for n in args.before.split(",") if n]
        for n, mode in runs:
            command = [sys.executable, __file__, "--chunk-size", str(args.chunk_size),
                       "--child", str(n), mode, str(template)]  # fmt: skip
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            found = json.loads(out.strip().splitlines()[-1])
            print(f"  {mode:>6} {n:>12,} trials: peak RSS {found['peak_rss_mib']:7.1f} MiB, "
                  f"{found['cpu_s']:8.1f} CPU s, state {found['state_bytes']:,} B")  # fmt: skip
            key = f"{mode}_{n:.0e}".replace("+0", "").replace("+", "")
            figures[f"{key}_peak_rss_mib"] = found["peak_rss_mib"]
            figures[f"{key}_cpu_s"] = found["cpu_s"]
            figures[f"{key}_state_bytes"] = found["state_bytes"]
    report("execution", figures)


if __name__ == "__main__":
    main(sys.argv[1:])
