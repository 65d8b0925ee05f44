"""Run the toy campaign into a directory, slowly, so that a test can kill it part-way.

``python -m campaign_kill_driver OUT N CHUNK SLEEP_S [--resume] [--workers W]`` (with
tests/campaign on the path): in this process, or on a LocalCluster of W workers with
``--workers``. Exits 130 when interrupted by SIGINT or SIGTERM.
"""

from __future__ import annotations

import functools
import sys

from campaign_toy import toy_chunk

from msrsim.campaign.execution import run_chunks

SEED = 11


def main(argv: list[str]) -> int:
    out, n, chunk, sleep_s = argv[0], int(argv[1]), int(argv[2]), float(argv[3])
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else None
    print("ready", flush=True)  # imports done: the run (and its cluster's start-up) begins
    try:
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
