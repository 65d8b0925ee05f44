"""msrsim: a physics-based planner and simulator of the NASA/ESA Mars Sample Return relay.

Layers (imports point down): ``msrsim.core`` (constants, time, ephemeris, frames,
astrodynamics; nothing about MSR), ``msrsim.segments`` (one module per leg of the relay),
``msrsim.campaign`` (the legs chained), and the CLI, reports and I/O on top.
"""

__version__ = "0.1.0"
