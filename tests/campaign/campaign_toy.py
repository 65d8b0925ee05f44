"""A synthetic campaign trial model for the execution-engine tests (no physics).

Four legs, each failing with its own probability; a dispersed duration per leg; a leg
outcome picked from a small "cached leg Monte Carlo" table; campaign success when no leg
failed and the total duration fits a deadline. ``sleep_s`` slows a chunk down for the
kill-and-resume test.
"""

from __future__ import annotations

import time

import numpy as np

from msrsim.core.streams import TrialStreams

STREAMS = ("failures", "durations", "leg_rows", "tubes")
P_FAIL = np.array([0.01, 0.03, 0.05, 0.02])
NOMINAL_DAYS = np.array([300.0, 200.0, 120.0, 400.0])
SIGMA_DAYS = np.array([10.0, 20.0, 15.0, 30.0])
DEADLINE_DAYS = 1080.0

# A stand-in for a leg's cached Monte Carlo results: 1,000 rows of (delta-v, mass).
_LEG = np.random.default_rng(7)
LEG_TABLE = {
    "dv_m_s": 4000.0 + 50.0 * _LEG.standard_normal(1000),
    "mass_kg": 2000.0 + 20.0 * _LEG.standard_normal(1000),
}


def toy_chunk(start: int, n: int, *, seed: int = 0, sleep_s: float = 0.0) -> dict:
    """Trials ``start .. start+n-1`` of the toy campaign."""
    if sleep_s:
        time.sleep(sleep_s)
    streams = TrialStreams(seed, STREAMS)
    failed = streams.bernoulli("failures", start, n, P_FAIL)
    days = NOMINAL_DAYS + SIGMA_DAYS * streams.normal("durations", start, n, len(NOMINAL_DAYS))
    row = streams.row_index("leg_rows", start, n, len(LEG_TABLE["dv_m_s"]))[:, 0]
    tubes = streams.categorical("tubes", start, n, [0.05, 0.15, 0.8])[:, 0] + 8
    total = days.sum(axis=1)
    success = ~failed.any(axis=1) & (total < DEADLINE_DAYS)
    out = {f"leg{j}_failed": failed[:, j] for j in range(failed.shape[1])}
    out |= {f"leg{j}_days": days[:, j] for j in range(days.shape[1])}
    out |= {
        "leg_row": row,
        "dv_m_s": LEG_TABLE["dv_m_s"][row],
        "mass_kg": LEG_TABLE["mass_kg"][row],
        "tubes": tubes,
        "total_days": total,
        "success": success,
    }
    return out
