"""Run the toy campaign into a directory, slowly, so that a test can kill it part-way.

``python -m campaign_kill_driver OUT N CHUNK SLEEP_S [--resume] [--workers W]
[--ctrl-c-in-scatter]`` (with tests/campaign on the path): in this process, or on a
LocalCluster of W workers with ``--workers``. Exits 130 when interrupted by SIGINT or
SIGTERM. ``--ctrl-c-in-scatter`` presses Ctrl-C (SIGINT to the process group) from inside
the scheduler while it ships the chunk function to the workers, and holds that shipment
until the closing cluster has removed a worker: the moment at which an interrupted run
used to print distributed's tracebacks.
"""

from __future__ import annotations

import functools
import os
import signal
import sys

from campaign_toy import toy_chunk

from msrsim.campaign.execution import run_chunks

# Ctrl-C as a user's terminal delivers it: Python's own handler, even where pytest itself
# was started with SIGINT ignored (a shell's background job), which the driver inherits
signal.signal(signal.SIGINT, signal.default_int_handler)


def _ctrl_c_in_scatter() -> None:
    import asyncio

    from distributed.scheduler import Scheduler

    replicate = Scheduler.replicate

    async def interrupted(self, *args, **kwargs):
        os.killpg(os.getpgrp(), signal.SIGINT)
        for _ in range(400):  # until the cluster, closing, removes a worker (20 s at most)
            if any(w not in self.workers for w in kwargs.get("workers") or ()):
                break
            await asyncio.sleep(0.05)
        return await replicate(self, *args, **kwargs)

    Scheduler.replicate = interrupted


SEED = 11


def main(argv: list[str]) -> int:
    out, n, chunk, sleep_s = argv[0], int(argv[1]), int(argv[2]), float(argv[3])
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else None
    if "--ctrl-c-in-scatter" in argv:
        _ctrl_c_in_scatter()
    try:  # a Ctrl-C the moment "ready" is out (the test's delay 0) is the driver's too
        print("ready", flush=True)  # imports done: the run (and its cluster's start-up) begins
        run_chunks(
            functools.partial(toy_chunk, seed=SEED, sleep_s=sleep_s),
            n,
            chunk_size=chunk,
            out_dir=out,
            scheduler=None if workers else "synchronous",
            workers=workers,
            resume="--resume" in argv,
            metadata={"seed": SEED, "fingerprint": "toy"},
        )
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
