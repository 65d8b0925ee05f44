"""What a scenario edit costs with the per-leg cache: CPU seconds and the legs flown.

Run ``python benchmarks/bench_leg_cache.py [--full]``. With the baseline's legs in the
cache (filled first, not timed), each case plans the campaign of an edited baseline
(:func:`msrsim.campaign.runner.campaign_legs`) and prints the process CPU time (user +
system: the machine is shared, wall time means little) and the entries computed (legs,
the coupled plan's legs, the schedule): a reliability figure judged after flight (none),
an EDL-only value, a rendezvous-only value, a value the schedule reads (all but the SRL's
launch period, launch and EDL, legs and plans), and with
``--full`` the baseline with no cache read (every leg flown: the cost before per-leg
caching of any edit). numba's kernels are compiled (and cached on disk) by the fill. The
figures (each case's CPU seconds and entries computed) go to the benchmark record
(``benchmarks/record.py``) as ``leg_cache``.
"""

from __future__ import annotations

import argparse
import sys
import time

from record import report

from msrsim.campaign import legcache, nominal
from msrsim.campaign import schedule as planner
from msrsim.campaign.runner import campaign_legs
from msrsim.scenario import baseline, load_scenario

CASES = [
    ("reliability edit (mav_success)", "reliability_edit", {"reliability.mav_success": 0.9}),
    ("EDL-only edit (srl.edl.parachute_max_mach)", "edl_edit",
     {"srl.edl.parachute_max_mach": 2.1}),
    ("rendezvous-only edit (rendezvous.detection_range_km)", "rendezvous_edit",
     {"rendezvous.detection_range_km": 600.0}),
    ("schedule edit (schedule.min_surface_sols)", "schedule_edit",
     {"schedule.min_surface_sols": 360}),
]  # fmt: skip
"""Each case: its name, its figures' key in the record, the scenario values it edits."""


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also fly every leg afresh")
    args = parser.parse_args(argv)
    computed: list[str] = []
    store = legcache.cached_leg

    def counted(name, key, compute, valid, **options):
        def flown():
            computed.append(name)
            return compute()

        return store(name, key, flown, valid, **options)

    legcache.cached_leg = counted  # the schedule's entry (plan_schedule imports it late)
    nominal.cached_leg = counted
    campaign_legs(baseline())  # the baseline's legs in the cache: not timed
    cases = [(name, key, load_scenario(None, changes), True) for name, key, changes in CASES]
    if args.full:
        cases.append(("no cache read (every leg flown)", "no_cache", baseline(), False))
    figures = {}
    for name, key, scenario, use_cache in cases:
        computed.clear()
        planner._MEMO.clear()  # as a new process: the schedule read from its entry
        t = time.process_time()
        campaign_legs(scenario, use_cache=use_cache)
        cpu = time.process_time() - t
        print(f"{name}: {cpu:.1f} CPU-s; computed {len(computed)}: {', '.join(computed) or '-'}")
        figures |= {f"{key}_cpu_s": round(cpu, 1), f"{key}_entries_computed": len(computed)}
    report("leg_cache", figures)


if __name__ == "__main__":
    main(sys.argv[1:])
