"""The README's performance tables, produced from the benchmark record.

``make bench`` runs every ``benchmarks/bench_*.py`` with ``MSRSIM_BENCH_RECORD`` set, so
each merges its figures into ``benchmarks/record.json`` (``benchmarks/record.py``), then
runs this script, which rewrites two blocks of the README from that file: the performance
table between ``<!-- performance:start -->`` and ``<!-- performance:end -->``
(:func:`render`), and the Quick start's cold/first/warm ``msrsim run`` table between
``<!-- quickstart:start -->`` and ``<!-- quickstart:end -->`` (:func:`render_quickstart`,
from ``benchmarks/bench_first_run.py``). ``python scripts/performance.py --check`` exits 1
when a block is not the rendering of the record, and ``tests/test_readme_performance.py``
fails then too: a README figure always comes from a recorded run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "benchmarks" / "record.json"
README = ROOT / "README.md"
START, END = "<!-- performance:start -->", "<!-- performance:end -->"
QUICK_START, QUICK_END = "<!-- quickstart:start -->", "<!-- quickstart:end -->"

ROWS = (
    ("entry", "entries_per_core_s", "Earth entry footprint (US76, every dispersion)",
     "entries per core-second"),
    ("entry", "seconds_on_2_cores_per_100k", "", "s for 100,000 entries on 2 cores"),
    ("entry", "peak_rss_mib", "", "MiB peak RSS"),
    ("entry", "msrsim_over_heyoka_speed", "entry kernel against heyoka (same physics)",
     "msrsim / heyoka trajectories per core-second"),
    ("entry", "msrsim_landing_error_max_m", "", "m largest landing error, msrsim"),
    ("entry", "heyoka_landing_error_max_m", "", "m largest landing error, heyoka"),
    ("entry", "msrsim_matched_over_heyoka_speed", "",
     "msrsim / heyoka, msrsim landing as close or closer (rtol 1e-9)"),
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
    ("execution", "local_cluster_pays_from_trials", "execution by size (streamed summary)",
     "trials from which a local cluster pays"),
    ("execution", "stream_1e5_peak_rss_mib", "", "MiB parent peak RSS, 10^5 trials"),
    ("execution", "stream_1e7_peak_rss_mib", "", "MiB parent peak RSS, 10^7 trials"),
    ("execution", "before_1e6_peak_rss_mib", "", "MiB, 10^6 trials with the table held"),
    ("sweep", "seconds_per_point", "two-parameter sweep", "s a point"),
    ("leg_cache", "edl_edit_cpu_s", "per-leg cache: a scenario edit replanned",
     "CPU-s, an EDL-only edit"),
    ("leg_cache", "rendezvous_edit_cpu_s", "", "CPU-s, a rendezvous-only edit"),
    ("leg_cache", "schedule_edit_cpu_s", "", "CPU-s, an edit the schedule reads"),
    ("first_run", "first_first_results_cpu_s", "`msrsim run`, first (empty legs cache)",
     "CPU-s to the first results"),
    ("first_run", "help_cpu_s", "`msrsim --help`", "CPU-s"),
)  # fmt: skip

QUICK_ROWS = (
    ("cold", "cold: the install step (`--trials 10`, empty numba and legs caches)"),
    ("first", "first: the scenario's trials, numba cache filled, empty legs cache"),
    ("warm", "warm: the scenario's trials, both caches filled"),
)
"""The Quick start's rows: the ``first_run`` figures' prefix, and what the run is."""


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


def render_quickstart(record: dict) -> str:
    """The Quick start's block from the record's ``first_run`` figures: each ``msrsim
    run`` case's CPU and wall seconds to its first results (the nominal timeline) and to
    its end, and ``msrsim --help``'s."""
    figures = record.get("benchmarks", {}).get("first_run")
    lines = [QUICK_START]
    if figures is not None:
        lines += [
            "| `msrsim run` | first results: CPU-s | wall s | whole run: CPU-s | wall s |",
            "|---|---|---|---|---|",
        ]
        for case, what in QUICK_ROWS:
            cells = (f"{figures[f'{case}_{key}']:,}" for key in (
                "first_results_cpu_s", "first_results_wall_s", "cpu_s", "wall_s"))  # fmt: skip
            lines.append(f"| {what} | {' | '.join(cells)} |")
        lines.append(
            f"| `msrsim --help` | | | {figures['help_cpu_s']} | {figures['help_wall_s']} |"
        )
        lines.append("")
        lines.append(
            f"Recorded by `make bench` (`benchmarks/bench_first_run.py`, "
            f"{figures['trials']} trials) on {figures['machine']['cpu_count']} CPUs."
        )
    lines.append(QUICK_END)
    return "\n".join(lines)


def _replaced(text: str, start: str, end: str, block: str) -> str:
    if start not in text or end not in text:
        raise SystemExit(f"{README}: no {start} ... {end} block")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + block + tail


def main(argv: list[str]) -> int:
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    text = README.read_text(encoding="utf-8")
    new = _replaced(text, START, END, render(record))
    new = _replaced(new, QUICK_START, QUICK_END, render_quickstart(record))
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
