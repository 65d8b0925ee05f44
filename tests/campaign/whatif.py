""" "What if" scenarios for the campaign tests: the baseline's text with a few values moved,
as a user would edit a copy of it."""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

from msrsim.scenario import Scenario, baseline_text, load_scenario, parse_scenario

EDITABLE = {
    "departure_earliest": "departure_earliest_utc = { value = 2028-06-01",
    "departure_latest": "departure_latest_utc = { value = 2028-08-31",
    "arrival_earliest": 'arrival_earliest_utc = { value = 2029-01-01, source = "the span '
    "searched for the SRL",
    "arrival_latest": 'arrival_latest_utc = { value = 2031-06-30, source = "the span '
    "searched for the SRL",
    "xenon_load": "xenon_load_kg = { value = 3050.0,",
    "min_surface_sols": "min_surface_sols = { value = 355,",
}
"""The baseline lines :func:`scenario_text` can edit: the SRL's launch window (its
departure and arrival spans, ``srl_launch``), the ERO's xenon load (kg) and the least
surface time (sols, ``schedule``)."""

SRL_2030 = dict(
    departure_earliest="2030-06-01", departure_latest="2030-08-31",
    arrival_earliest="2031-01-01", arrival_latest="2033-06-30",
)  # fmt: skip
"""Summer 2030, off the 2031 window: long (type IV) arcs, landing late 2032."""

SRL_2031 = dict(
    departure_earliest="2031-01-01", departure_latest="2031-04-30",
    arrival_earliest="2031-05-01", arrival_latest="2033-06-30",
)  # fmt: skip
"""The 2031 window (types I and II): landing mid-2031."""


def scenario_text(**values: str) -> str:
    """The baseline's text with the :data:`EDITABLE` values replaced (as written in TOML)."""
    text = baseline_text()
    for key, value in values.items():
        old = EDITABLE[key]
        assert text.count(old) == 1, old
        current = old.split("value = ")[1].split(",")[0]
        text = text.replace(old, old.replace(f"value = {current}", f"value = {value}"))
    return text


FEW_TRIALS = {
    "srl.edl.trials": 10, "mav.trials": 10, "ees.footprint_trials": 10, "surface.trials": 3,
    "rendezvous.trials": 3, "containment.trials": 3,
}  # fmt: skip
"""The fewest Monte Carlo trials each leg allows: for tests that need a scenario's nominal
relay, schedule or coupled plans (none of which reads these), not its legs' own spreads."""


def scenario_from(text: str, overrides: dict | None = None) -> Scenario:
    """The scenario of ``text``, with ``overrides`` (``--set`` names) applied when given."""
    if not overrides:
        return parse_scenario(tomllib.loads(text), "what-if.toml")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "what-if.toml"
        path.write_text(text)
        return load_scenario(path, overrides)
