"""Sweep of the baseline's hardware failure probabilities: 64 points x 2,000 trials.

Run ``python benchmarks/bench_sweep.py [TRIALS] [--levels 8] [--physical N]``. Two failure
probabilities on an 8 x 8 grid (``msrsim.sweeps.sweep``): the trials are flown once and
judged again at each point. Prints the wall time of the sweep, the time of one point run in
full (its legs from the cache, its trials flown: what each point would cost otherwise) and
the ratio of 64 such runs to the sweep. Target (issue 19): 64 points x 2,000 trials in
minutes on this 2-core machine.

``--physical N`` then sweeps a physical value over N points, the OS detection range
(``rendezvous.detection_range_km``, which only the rendezvous leg and its plan read): each
point re-flies those two from the per-leg cache (:mod:`msrsim.campaign.legcache`) and its
trials; prints the process CPU time (user + system) a point.
"""

from __future__ import annotations

import argparse
import sys
import time

from record import report

from msrsim.api import run_campaign
from msrsim.campaign.runner import campaign_legs
from msrsim.scenario import baseline, load_scenario
from msrsim.sweeps import sweep


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trials", nargs="?", type=int, default=2_000)
    parser.add_argument("--levels", type=int, default=8)
    parser.add_argument("--physical", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    campaign_legs(baseline())  # the legs in the cache: not timed
    params = [
        f"reliability.mav_success=0.85:0.99:{args.levels}",
        f"reliability.ero_failure_per_year_at_mars=0.005:0.05:{args.levels}",
    ]
    t = time.perf_counter()
    result = sweep(None, params, trials=args.trials, scheduler="synchronous")
    swept = time.perf_counter() - t
    points = len(result.rows)
    t = time.perf_counter()
    run_campaign(load_scenario(None, {"reliability.mav_success": 0.9}), trials=args.trials,
                 scheduler="synchronous", drivers=False)  # fmt: skip
    one = time.perf_counter() - t
    print(f"sweep of {points} points x {args.trials:,} trials (judged again): {swept:.1f} s "
          f"({swept / points:.2f} s a point)")  # fmt: skip
    print(
        f"one point run in full (legs cached, trials flown): {one:.1f} s; "
        f"{points} of them: {points * one / 60:.1f} min ({points * one / swept:.0f}x the sweep)"
    )
    report(
        "sweep",
        {
            "points": points,
            "trials_per_point": args.trials,
            "seconds_per_point": round(swept / points, 2),
            "sweep_over_full_runs_speed": round(points * one / swept),
        },
    )
    if args.physical:
        cpu = time.process_time()
        result = sweep(None, [f"rendezvous.detection_range_km=500:800:{args.physical}"],
                       trials=args.trials, scheduler="synchronous")  # fmt: skip
        cpu = time.process_time() - cpu
        print(f"physical sweep of {len(result.rows)} points x {args.trials:,} trials "
              f"(detection range, the rendezvous leg and its plan re-flown a point): "
              f"{cpu:.1f} CPU-s ({cpu / len(result.rows):.1f} CPU-s a point)")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
