"""Rendezvous Monte Carlo: trials per second and memory at 200 and 2000 trials, one core.

Run ``python benchmarks/bench_rendezvous.py [--sizes 200,2000] [--spread-days 60]``.
Flies the baseline's rendezvous (search, EKF navigation, guidance, capture) with
:mod:`msrsim.segments.rendezvous` in this process (one core): first the one-release path
(:func:`~msrsim.segments.rendezvous.simulate_rendezvous`, what ``msrsim rendezvous`` and
the leg tables run: every trial released at the scenario's epoch) at each size, then the
per-trial path (:func:`~msrsim.segments.rendezvous.fly_rendezvous`, what the coupled
campaign runs: each trial its own release state and epoch, spread over ``--spread-days``,
its search a day later) at the largest size, once with the per-step histories and once
without. For each: wall and CPU time, trials/s, the marginal CPU time per trial between
the smallest and the largest size (the batch's fixed costs taken out), the peak of
traced allocations (tracemalloc: numpy arrays, not the kernels' small scratch), the
capture probability and the filter's ANEES. The numba kernels' compilation (or loading
from their cache) is timed apart, on a first 3-trial call.

Issue 16 asks for a few ms per trial: before this kernel (commit d35837e, the per-step
numpy loop) the same 200- and 2000-trial runs took 90 and 49 ms of CPU per trial on this
shared 2-core machine (report of the change); the figures are printed here for the new
code only, as the old one no longer exists in the tree.
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc

import numpy as np
from record import report

from msrsim.campaign.rendezvous import (
    default_release,
    nees_summary,
    rendezvous_inputs,
)
from msrsim.campaign.schedule import plan_schedule
from msrsim.core.bodies import DAY_S
from msrsim.core.streams import TrialGenerator
from msrsim.scenario import baseline
from msrsim.segments.rendezvous import fly_rendezvous, simulate_rendezvous


def measured(fn):
    """(result, wall s, CPU s, peak traced MiB) of ``fn()``."""
    tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, wall, cpu, peak


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def row(label: str, n: int, result, wall: float, cpu: float, peak: float) -> str:
    ok = result.captured
    lo, hi = wilson(int(ok.sum()), n)
    anees = float("nan")
    if result.history_nees.size:
        anees = nees_summary(result)["anees_weighted"]
    return (
        f"{label:<34s} {n:>6d} {wall:>8.1f} {cpu:>8.1f} {n / cpu:>9.0f} {cpu / n * 1e3:>9.2f} "
        f"{peak:>8.0f}   {ok.mean():.3f} ({lo:.3f}-{hi:.3f})  {anees:>6.2f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,2000", help="batch sizes, comma-separated")
    parser.add_argument("--spread-days", type=float, default=60.0,
                        help="spread of the per-trial release epochs")  # fmt: skip
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    s = baseline()
    r = s.rendezvous
    plan, envelope, os_body, ero_body, density = rendezvous_inputs(s)
    schedule = plan_schedule(s)  # the dates, as msrsim.campaign.rendezvous.run_rendezvous
    release = default_release(s, schedule)
    start = max(schedule.ero_in_search_orbit_et, release.et)
    deadline = schedule.ero_mars_departure_et
    common = dict(density=density, tumble_sigma_rad_s=math.radians(r.os_tumble_rate_sigma_deg_s))

    def one_release(n: int, seed: int = 20330101):
        leg_seed = np.random.SeedSequence(seed, spawn_key=(6,))
        return simulate_rendezvous(
            release, start, deadline, plan, envelope, os_body, ero_body, n, leg_seed, **common
        )

    _, first, _, _ = measured(lambda: one_release(3, 1))
    print(f"first call (3 trials: numba kernels compiled or loaded from cache): {first:.1f} s")
    header = (
        f"{'path':<34s} {'trials':>6s} {'wall s':>8s} {'CPU s':>8s} {'trials/s':>9s} "
        f"{'ms/trial':>9s} {'peak MiB':>8s}   P(capture) (Wilson 95 %)  ANEES"
    )
    print(header)
    print("-" * len(header))
    cpu_of = {}
    for n in sizes:
        result, wall, cpu, peak = measured(lambda n=n: one_release(n))
        cpu_of[n] = cpu
        print(row("one release (simulate_rendezvous)", n, result, wall, cpu, peak))
    n = max(sizes)
    rng = np.random.default_rng(7)
    states = release.state + rng.standard_normal((n, 6)) @ np.linalg.cholesky(release.covariance).T
    released = release.et + rng.uniform(0.0, args.spread_days, n) * DAY_S
    searching = released + DAY_S
    for history in (True, False):
        result, wall, cpu, peak = measured(
            lambda h=history: fly_rendezvous(
                states,
                released,
                searching,
                searching + 60 * DAY_S,
                release.covariance,
                plan,
                envelope,
                os_body,
                ero_body,
                TrialGenerator(20330101, "rendezvous", 0, n),
                history=h,
                **common,
            )  # fmt: skip
        )
        label = f"per trial (fly_rendezvous){'' if history else ', no history'}"
        print(row(label, n, result, wall, cpu, peak))
        if not history:
            report(
                "rendezvous",
                {
                    "trials": n,
                    "trials_per_core_s": round(n / cpu, 1),
                    "peak_allocated_mib": round(peak / 2**20),
                },
            )
    if len(sizes) > 1:
        lo, hi = min(sizes), max(sizes)
        marginal = (cpu_of[hi] - cpu_of[lo]) / (hi - lo)
        print(
            f"\nmarginal CPU per trial, {lo} -> {hi} trials (one release): "
            f"{marginal * 1e3:.2f} ms; fixed cost of a batch {cpu_of[lo] - marginal * lo:.2f} s"
        )


if __name__ == "__main__":
    main()
