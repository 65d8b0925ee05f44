"""Concurrent misses of one cache entry (msrsim.campaign.cache.entry_lock): the entry is
computed once; the process that missed it while another computed it waits and reads it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

from msrsim.campaign.cache import entry_lock
from msrsim.campaign.legcache import cached_leg, leg_path

KEY = "0" * 64


def test_a_second_miss_waits_for_the_first_computation_and_reads_it(tmp_path):
    started, release = threading.Event(), threading.Event()
    calls = []

    def first():
        calls.append("first")
        started.set()
        assert release.wait(30)
        return {"flown by": "first"}

    def second():
        calls.append("second")
        return {"flown by": "second"}

    results = {}
    holder = threading.Thread(
        target=lambda: results.setdefault(
            "a", cached_leg("ero", KEY, first, bool, directory=tmp_path)
        )
    )
    holder.start()
    assert started.wait(30)
    waiter = threading.Thread(
        target=lambda: results.setdefault(
            "b", cached_leg("ero", KEY, second, bool, directory=tmp_path)
        )
    )
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive()  # waiting on the lock, not computing its own
    release.set()
    holder.join(30)
    waiter.join(30)
    assert calls == ["first"]
    assert results == {"a": {"flown by": "first"}, "b": {"flown by": "first"}}
    # a refresh computes anew under the lock, whatever is stored
    refreshed = cached_leg("ero", KEY, second, bool, refresh=True, directory=tmp_path)
    assert refreshed == {"flown by": "second"} and calls == ["first", "second"]


def test_a_killed_holder_releases_the_lock(tmp_path):
    path = leg_path("ero", KEY, tmp_path)
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        from msrsim.campaign.cache import entry_lock
        with entry_lock({str(path)!r}):
            print("held", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.stdout == "held\n" and done.returncode == -9
    acquired = threading.Event()

    def take():
        with entry_lock(path):
            acquired.set()

    taker = threading.Thread(target=take, daemon=True)
    taker.start()
    assert acquired.wait(10)
