"""msrsim: a physics-based planner and simulator of the NASA/ESA Mars Sample Return relay.

Layers (imports point down): ``msrsim.core`` (constants, time, ephemeris, frames,
astrodynamics; nothing about MSR), ``msrsim.segments`` (one module per leg of the relay),
``msrsim.campaign`` (the legs chained), and the CLI, reports and I/O on top.
"""

import os as _os

# The schedule's optimisers (SLSQP, least squares) go through BLAS, whose threaded
# reductions sum in an order that depends on the thread count: one thread, so that the
# same scenario and seed give the same plan, hence the same trials, on any machine (the
# test suite and the README's figures rely on it). Set before numpy is first imported.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_name, "1")

__version__ = "0.1.0"

__all__ = ["__version__", "compare", "load_scenario", "run_campaign", "sweep"]


def __getattr__(name: str):
    """``msrsim.load_scenario``, ``msrsim.run_campaign`` (:mod:`msrsim.api`),
    ``msrsim.compare`` (:mod:`msrsim.comparison`) and ``msrsim.sweep``
    (:mod:`msrsim.sweeps`), imported on first use so that ``import msrsim`` (and ``msrsim
    --help``) stays light."""
    if name in ("load_scenario", "run_campaign", "CampaignRun"):
        from msrsim import api

        return getattr(api, name)
    if name == "compare":
        from msrsim.comparison import compare

        return compare
    if name == "sweep":
        from msrsim.sweeps import sweep

        return sweep
    raise AttributeError(f"module 'msrsim' has no attribute {name!r}")
