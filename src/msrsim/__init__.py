"""msrsim: a physics-based planner and simulator of the NASA/ESA Mars Sample Return relay.

Layers (imports point down): ``msrsim.core`` (constants, time, ephemeris, frames,
astrodynamics; nothing about MSR), ``msrsim.segments`` (one module per leg of the relay),
``msrsim.campaign`` (the legs chained), and the CLI, reports and I/O on top.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "load_scenario", "run_campaign"]


def __getattr__(name: str):
    """``msrsim.load_scenario`` and ``msrsim.run_campaign`` (:mod:`msrsim.api`), imported
    on first use so that ``import msrsim`` (and ``msrsim --help``) stays light."""
    if name in ("load_scenario", "run_campaign", "CampaignRun"):
        from msrsim import api

        return getattr(api, name)
    raise AttributeError(f"module 'msrsim' has no attribute {name!r}")
