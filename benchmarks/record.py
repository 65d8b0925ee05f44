"""The standing benchmark record: every ``bench_*.py`` reports its figures here.

A benchmark calls :func:`report` with its name and a flat dict of figures (numbers and short
strings, the unit in each key). The figures are printed; when the environment variable
``MSRSIM_BENCH_RECORD`` names a JSON file (``make bench`` sets it to
``benchmarks/record.json``), they are also merged into that file under the benchmark's name,
with the machine they were measured on, so one file holds the last figures of every
benchmark. ``scripts/performance.py`` renders the README's performance table from it.

Time is measured as CPU seconds of the whole process (``time.process_time``: every thread,
numba's included), because the machines these run on are shared and their wall-clock
times mean little; a figure "per core-second" divides by those CPU seconds.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
from pathlib import Path

RECORD_ENV = "MSRSIM_BENCH_RECORD"


def peak_rss_mib() -> float:
    """The process's peak resident memory so far (MiB; Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def machine() -> dict:
    """What the figures were measured on."""
    return {
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
    }


def report(name: str, figures: dict) -> None:
    """Print ``figures`` and merge them into the record file under ``name`` (if set)."""
    for key, value in figures.items():
        print(f"  {name}.{key} = {value}")
    path = os.environ.get(RECORD_ENV)
    if not path:
        return
    record_path = Path(path)
    record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.exists() else {}
    record.setdefault("benchmarks", {})[name] = {**figures, "machine": machine()}
    record["benchmarks"] = dict(sorted(record["benchmarks"].items()))
    tmp = record_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    tmp.replace(record_path)
