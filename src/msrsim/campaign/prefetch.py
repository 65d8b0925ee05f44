"""A second process that makes the relay's cache entries off its critical path, while this
process flies the relay in order (:func:`msrsim.campaign.nominal.nominal_legs`).

On a first run the schedule's ERO planning (rules 2 to 6 of
:mod:`msrsim.campaign.schedule`: tens of Sims-Flanagan optimisations and Q-law spirals, on
one core) holds up every leg that takes the schedule; the SRL's launch and EDL take only
the launch period (the cache entry ``"launch_period"``), and so does the EDL's coupled
plan; the Earth return takes only the ERO's mission, not the surface, ascent and
rendezvous flown before it. :func:`start` starts one process that reads or makes the entries
of :data:`AHEAD`, in that order, through the legs cache
(:func:`msrsim.campaign.nominal.fill_entry`): whichever process comes to an entry first
makes it under the entry's lock, and the other waits for it and reads it
(:func:`msrsim.campaign.legcache.cached_leg`). Every entry is made once, by the same code
from the same inputs, so the results are those of one process flying them all (tested
to the bit); only the order of the work changes. The helper runs numba's kernels on one
thread (their trials are independent of each other: the same numbers on any count), so
the relay keeps a core.

The helper never reports: an entry it cannot make (a scenario that cannot be flown) it
leaves to the relay, which makes it and says what is wrong.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

__all__ = ["AHEAD", "Prefetch", "start"]

AHEAD = ("launch_period", "windows", "edl", "plan_srl_edl", "return", "plan_ascent")
"""The entries the helper makes, in its order: the SRL's launch and EDL, and the EDL's
coupled plan (aimed approaches, the heaviest plan), while the relay plans the ERO's
mission; then (the schedule in) the Earth return while the relay flies the surface, the
ascent and the rendezvous, then the ascent's plan."""


class Prefetch:
    """The helper process; :meth:`stop` ends it (the relay has every entry by then)."""

    def __init__(self, process: subprocess.Popen):
        self._process = process

    def stop(self) -> None:
        """End the helper: called once the relay has every entry (the helper has then
        nothing left to make), or when the relay fails (what it was making is not stored:
        an entry is written whole or not at all)."""
        if self._process.poll() is None:
            self._process.terminate()
        self._process.wait()


def start(scenario, keys: dict[str, str], *, cpus: int | None = None) -> Prefetch | None:
    """Start the helper for ``scenario`` (``keys``: its entries' keys,
    :func:`msrsim.campaign.legcache.leg_keys`) when it pays: with at least two CPUs
    (``cpus``, default this machine's), the schedule to plan (the long serial step it
    runs beside) and an entry of :data:`AHEAD` not stored yet; None otherwise.

    The helper is ``python -m msrsim.campaign.prefetch`` (this interpreter, this msrsim
    first on its path, the scenario and the entries on its stdin, its output discarded,
    ``NUMBA_NUM_THREADS=1``), not a multiprocessing child: it imports nothing of the
    caller's main module."""
    from msrsim.campaign.legcache import leg_path

    cpus = (os.cpu_count() or 1) if cpus is None else cpus
    names = [name for name in AHEAD if name in keys and not leg_path(name, keys[name]).exists()]
    if cpus < 2 or "schedule" not in keys or not names:
        return None
    if leg_path("schedule", keys["schedule"]).exists():
        return None
    return _spawn(scenario, names)


def _spawn(scenario, names: list[str]) -> Prefetch:
    """The helper started on ``names``."""
    package_root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    env = {
        **os.environ,
        "PYTHONPATH": package_root if not path else package_root + os.pathsep + path,
        "NUMBA_NUM_THREADS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "msrsim.campaign.prefetch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    with process.stdin:
        process.stdin.write(pickle.dumps((scenario, names, os.getpid())))
    return Prefetch(process)


def _work(scenario, names, parent: int) -> None:
    """The helper's body: each entry of ``names`` read or made, in order, while the
    process ``parent`` that started it lives."""
    from msrsim.campaign.legcache import leg_keys
    from msrsim.campaign.nominal import fill_entry

    keys = leg_keys(scenario)
    done: dict = {}
    for name in names:
        if os.getppid() != parent:  # the relay has gone: nothing waits for the rest
            return
        try:
            fill_entry(scenario, name, keys, done)
        except Exception:  # noqa: BLE001 - the relay makes this entry and reports why not
            return


if __name__ == "__main__":
    _work(*pickle.loads(sys.stdin.buffer.read()))
