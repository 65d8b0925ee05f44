"""How long a new user waits: ``msrsim run`` cold, first and warm, and ``msrsim --help``.

Run ``python benchmarks/bench_first_run.py [--trials N]``. Each case is ``msrsim run`` on the
built-in baseline in its own subprocess, with its own cache folders made empty for the
benchmark (numba's on-disk cache through ``NUMBA_CACHE_DIR``, the plan and legs through
``MSRSIM_CACHE_DIR``), as the README's Quick start describes them:

- cold: the install step of ``make run`` (``--trials 10``, both caches empty: every numba
  kernel compiled, every leg flown);
- first: ``msrsim run`` (the scenario's trials) after it, numba's cache filled by the cold
  case and the legs cache empty (what a new user waits after ``make run``'s install);
- warm: the same again, both caches filled.

For each: the CPU seconds of the process and every process it waited for (user + system,
from ``wait4``; its helper process included), the wall seconds, and the wall and CPU
seconds (the helper's so far included) until the first results
(the nominal timeline, printed once the legs are flown, before the Monte Carlo) appear on
its stdout, a pseudo-terminal (into a pipe ``msrsim run`` prints its whole report at the
end). Linux (``/proc``, ``pty``). ``--help`` is timed as the best of five runs (wall and
CPU). The machine the benchmarks run on is shared, so CPU seconds are the figures to
compare; wall seconds are recorded beside them.
"""

from __future__ import annotations

import argparse
import os
import pty
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from record import report

FIRST_RESULTS = b"Timeline:"
"""What begins ``msrsim run``'s first results in its output."""


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (None if it is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _cpu_of(pid: int) -> float:
    """The CPU seconds (user + system) process ``pid`` has used so far, those of the
    children it has waited for, and those of its live descendants (``msrsim run``'s helper
    process, :mod:`msrsim.campaign.prefetch`) (Linux ``/proc``; 0 elsewhere)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = fields
    tree, ticks = [pid], 0
    while tree:
        node = tree.pop()
        if node in stats:
            ticks += sum(int(f) for f in stats[node][11:15])  # utime, stime, cutime, cstime
            tree += [p for p, fields in stats.items() if int(fields[1]) == node]  # ppid
    return ticks / os.sysconf("SC_CLK_TCK")


def timed_run(args: list[str], env: dict[str, str]) -> dict:
    """``msrsim <args>`` in a subprocess, its stdout a terminal (a pseudo-terminal: where
    ``msrsim run`` prints its first results as soon as they exist): its wall and CPU
    seconds, and those until the first results appeared."""
    command = [sys.executable, "-m", "msrsim", *args]
    master, terminal = pty.openpty()
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=terminal, stderr=subprocess.DEVNULL
    )
    os.close(terminal)
    first_wall = first_cpu = None
    seen = b""
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        seen = seen[-len(FIRST_RESULTS) :] + chunk  # a mark split between two reads
        if first_wall is None and FIRST_RESULTS in seen:
            first_wall = time.perf_counter() - start
            first_cpu = _cpu_of(process.pid)
    os.close(master)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed ({os.waitstatus_to_exitcode(status)})")
    if first_wall is None:
        raise SystemExit(f"{' '.join(command)}: no {FIRST_RESULTS!r} in its output")
    return {
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "wall_s": round(wall, 1),
        "first_results_cpu_s": round(first_cpu, 1),
        "first_results_wall_s": round(first_wall, 1),
    }


def timed_help(env: dict[str, str], repeats: int = 5) -> dict:
    """``msrsim --help``: the best wall and CPU seconds of ``repeats`` runs."""
    walls, cpus = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "msrsim", "--help"], env=env, stdout=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(process.pid, 0)
        walls.append(time.perf_counter() - start)
        cpus.append(usage.ru_utime + usage.ru_stime)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit("msrsim --help failed")
    return {"help_wall_s": round(min(walls), 2), "help_cpu_s": round(min(cpus), 2)}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=None, help="first/warm trials")
    args = parser.parse_args(argv)
    trials = [] if args.trials is None else ["--trials", str(args.trials)]
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="msrsim-bench-") as scratch:
        numba_dir = Path(scratch, "numba")
        legs_cold, legs_first = Path(scratch, "legs-cold"), Path(scratch, "legs-first")
        env = {**os.environ, "NUMBA_CACHE_DIR": str(numba_dir)}
        figures |= timed_help(env)
        cases = (
            ("cold", ["run", "--trials", "10"], legs_cold),
            ("first", ["run", *trials], legs_first),
            ("warm", ["run", *trials], legs_first),
        )
        for name, run_args, legs in cases:
            case = timed_run(run_args, {**env, "MSRSIM_CACHE_DIR": str(legs)})
            figures |= {f"{name}_{key}": value for key, value in case.items()}
            print(f"  {name}: {case}", flush=True)
    figures["trials"] = "scenario's" if args.trials is None else args.trials
    report("first_run", figures)


if __name__ == "__main__":
    main(sys.argv[1:])
