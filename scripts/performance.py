"""The README's performance table, produced from the benchmark record.

``make bench`` runs every ``benchmarks/bench_*.py`` with ``MSRSIM_BENCH_RECORD`` set, so
each merges its figures into ``benchmarks/record.json`` (``benchmarks/record.py``), then
runs this script, which rewrites the README's block between ``<!-- performance:start -->``
and ``<!-- performance:end -->`` from that file. ``python scripts/performance.py --check``
exits 1 when the README's block is not the rendering of the record, and
``tests/test_readme_performance.py`` fails then too: a README figure always comes from a
recorded run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "benchmarks" / "record.json"
README = ROOT / "README.md"
START, END = "<!-- performance:start -->", "<!-- performance:end -->"

ROWS = (
    ("entry", "entries_per_core_s", "Earth entry footprint (US76, every dispersion)",
     "entries per core-second"),
    ("entry", "seconds_on_2_cores_per_100k", "", "s for 100,000 entries on 2 cores"),
    ("entry", "peak_rss_mib", "", "MiB peak RSS"),
    ("entry", "msrsim_over_heyoka_speed", "entry kernel against heyoka (same physics)",
     "msrsim / heyoka trajectories per core-second"),
    ("entry", "msrsim_landing_error_max_m", "", "m largest landing error, msrsim"),
    ("entry", "heyoka_landing_error_max_m", "", "m largest landing error, heyoka"),
    ("entry", "msrsim_over_solve_ivp_speed", "", "x scipy solve_ivp one by one"),
    ("lambert", "msrsim_over_lamberthub_speed_1_thread", "Lambert grid against lamberthub",
     "x lamberthub, 1 thread"),
    ("lambert", "solves_per_s_500x500", "", "solves per second, all threads"),
    ("edl", "landings_per_s", "Mars EDL Monte Carlo", "landings per second"),
    ("edl", "peak_rss_mib", "", "MiB peak RSS"),
    ("ascent", "ascents_per_s", "Mars ascent Monte Carlo", "ascents per second"),
    ("rendezvous", "trials_per_core_s", "rendezvous and capture", "trials per core-second"),
    ("campaign", "trials_per_s_synchronous", "coupled campaign, one process",
     "trials per second"),
    ("campaign", "peak_rss_mib_synchronous", "", "MiB peak RSS"),
    ("sweep", "seconds_per_point", "two-parameter sweep", "s a point"),
)  # fmt: skip


def render(record: dict) -> str:
    """The README block from the record (the rows whose benchmark has been recorded)."""
    benches = record.get("benchmarks", {})
    lines = [
        START,
        "| benchmark | figure | value |",
        "|---|---|---|",
    ]
    for bench, key, title, label in ROWS:
        figures = benches.get(bench)
        if figures is None or key not in figures:
            continue
        lines.append(f"| {title} | {label} | {figures[key]:,} |")
    recorded = ", ".join(
        f"{name} ({f['machine']['cpu_count']} CPUs)" for name, f in benches.items()
    )
    lines.append("")
    lines.append(f"Recorded by `make bench` in `benchmarks/record.json`: {recorded}.")
    lines.append(END)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{README}: no {START} ... {END} block")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = head + render(record) + tail
    if "--check" in argv:
        if new != text:
            print("README performance table drifted from benchmarks/record.json: run "
                  "python scripts/performance.py", file=sys.stderr)  # fmt: skip
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
