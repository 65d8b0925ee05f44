"""The coupled campaign: every trial flies the relay from its own previous leg.

A chunk of trials is one :class:`TrialTable` (one row per trial, columns of arrays) that
flows through the legs in relay order. Each leg is a :class:`CoupledLeg`: planned once per
scenario (its vehicle, its targeting, its designed guidance: everything that does not
depend on a trial), then flown batched over the trials still in the relay, from the
columns the legs before it wrote, adding its own columns::

    launch -> SRL EDL -> surface -> ascent -> rendezvous -> Earth return -> Earth entry

A leg's physics can end a trial (a landing outside Jezero's rim, no tube by the MAV's
deadline, an Orbiting Sample below a stable orbit, no capture before the ERO must leave,
a capsule that does not land): :meth:`TrialTable.end` records where and why, and the
later legs do not fly that trial. Hardware failures the physics does not cover
(``[reliability]``: launches, the ERO's cruise, the EDL hardware, the lander per sol, the
Sample Transfer Arm, the MAV, the ERO per year, the capsule's release and entry) are
Bernoulli draws against the scenario's probabilities, applied after the physics by
:func:`outcome`, in relay order: the physics columns after a hardware failure show what
would have happened, and ``failure`` says where the trial ended. Because a trial's
physics does not depend on the hardware draws, changing a failure probability changes
only :func:`outcome`, so the risk drivers re-evaluate the same flown trials (common random
numbers, exact and free).

Random numbers: each leg draws from its own family of named streams
(:class:`msrsim.core.streams.TrialGenerator` named after the leg) and the hardware from
the ``hardware`` stream, so trial ``i`` gets the same numbers in any chunk, on any number
of workers, and no two legs share a draw (tested).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

import numpy as np

from msrsim.core.bodies import DAY_S
from msrsim.core.streams import TrialGenerator, TrialStreams
from msrsim.core.time import SOL_S

__all__ = [
    "CoupledLeg",
    "CoupledPlan",
    "Failure",
    "HARDWARE_EVENTS",
    "TrialTable",
    "fly_chunk",
    "hardware_uniforms",
    "outcome",
    "tube_bits",
]

YEAR_S = 365.25 * DAY_S


class Failure(IntEnum):
    """Where and why a trial did not bring samples home (0: it did)."""

    NONE = 0
    ERO_LAUNCH = 1
    ERO_CRUISE_OR_INSERTION = 2
    SRL_LAUNCH = 3
    SRL_LANDING = 4
    LANDER = 5
    NO_TUBES_LOADED = 6
    MAV = 7
    OS_ORBIT = 8
    CAPTURE = 9
    MISSED_RETURN = 10
    ERO_AT_MARS_OR_RETURN = 11
    EES_RELEASE = 12
    EES_ENTRY = 13
    TRANSFER_ARM = 14
    SRL_LAUNCH_PERIOD_MISSED = 15


RELAY_ORDER = (
    Failure.ERO_LAUNCH,
    Failure.ERO_CRUISE_OR_INSERTION,
    Failure.SRL_LAUNCH,
    Failure.SRL_LAUNCH_PERIOD_MISSED,
    Failure.SRL_LANDING,
    Failure.NO_TUBES_LOADED,
    Failure.LANDER,
    Failure.TRANSFER_ARM,
    Failure.MAV,
    Failure.OS_ORBIT,
    Failure.CAPTURE,
    Failure.MISSED_RETURN,
    Failure.ERO_AT_MARS_OR_RETURN,
    Failure.EES_RELEASE,
    Failure.EES_ENTRY,
)
"""The order in which a trial meets each way to fail: the first one ends it."""

HARDWARE_EVENTS = (
    "ero_launch",
    "ero_cruise",
    "srl_launch",
    "srl_edl",
    "parachute",
    "lander",
    "mav",
    "ero_at_mars",
    "ees_release",
    "ees_entry",
    "transfer_arm",
)
"""One uniform per trial for each, in this order, from the ``hardware`` stream."""


_FILL = {"f": np.nan, "i": -1, "u": 0, "b": False}


class TrialTable:
    """The hand-off table of one chunk: trials ``start .. start + n - 1``.

    ``columns`` maps names to arrays of length ``n`` (SI; epochs ``et``), one per column
    the legs declare (``schema``: name -> dtype), filled until a leg writes them with NaN,
    -1, 0 or False by dtype: so every chunk has the same columns, and a trial a leg did not
    fly keeps the fill. ``ended`` holds the :class:`Failure` at which the trial's physics
    stopped (0 while it goes on).
    """

    def __init__(self, seed: int, start: int, n: int, schema: Mapping[str, str] = {}):
        self.seed, self.start, self.n = int(seed), int(start), int(n)
        self.columns: dict[str, np.ndarray] = {
            name: np.full(self.n, _FILL[np.dtype(dtype).kind], dtype=dtype)
            for name, dtype in schema.items()
        }
        self.ended = np.zeros(self.n, dtype=np.int8)
        self.families: list[str] = []

    @property
    def flying(self) -> np.ndarray:
        """Rows still in the relay (indices)."""
        return np.flatnonzero(self.ended == 0)

    def random(self, family: str) -> TrialGenerator:
        """The leg's own random streams (one family per leg: asking twice is an error)."""
        if family in self.families:
            raise ValueError(f"random stream family {family!r} is already in use this chunk")
        self.families.append(family)
        return TrialGenerator(self.seed, family, self.start, self.n)

    def add(self, rows: np.ndarray, **columns) -> None:
        """Write each declared column's values for ``rows``."""
        for name, values in columns.items():
            if name not in self.columns:
                raise KeyError(f"column {name!r} is not declared by any leg")
            self.columns[name][rows] = values

    def end(self, rows: np.ndarray, where: np.ndarray, why: Failure) -> None:
        """End the trials ``rows[where]`` that are still flying, at ``why``."""
        hit = np.asarray(rows)[np.asarray(where, dtype=bool)]
        hit = hit[self.ended[hit] == 0]
        self.ended[hit] = why


class CoupledLeg(Protocol):
    """One leg of the relay, planned once per scenario, flown per chunk.

    A leg is a frozen dataclass (picklable: it travels to Dask workers) built by its
    module's ``plan_*`` function from the scenario and the :class:`~msrsim.campaign.
    schedule.Schedule`. ``fly`` reads the columns the earlier legs wrote for the rows
    still flying, draws from ``table.random(self.family)`` only, writes its declared
    ``columns`` and ends the trials its physics ends; with no trial left it returns.
    """

    family: str
    columns: Mapping[str, str]
    """The columns it writes: name -> numpy dtype."""

    def fly(self, table: TrialTable) -> None: ...


@dataclass(frozen=True)
class CoupledPlan:
    """Everything a chunk needs: the legs in relay order and the scalars of
    :func:`outcome` (SI, et)."""

    seed: int
    legs: tuple[CoupledLeg, ...]
    failure_probability: Mapping[str, float]
    ero_mars_arrival_et: float
    tube_names: tuple[str, ...]
    priority_tubes: tuple[str, ...] = ()
    schedule_summary: dict = field(default_factory=dict)


def tube_bits(names) -> np.ndarray:
    """Each tube's bit in a ``tube_mask`` (uint64): its place in the catalog."""
    from msrsim.samples.catalog import load_catalog

    index = {t.name: i for i, t in enumerate(load_catalog())}
    if len(index) > 64:
        raise ValueError(f"{len(index)} catalogued tubes do not fit a 64-bit tube mask")
    return np.array([np.uint64(1) << np.uint64(index[name]) for name in names], np.uint64)


def hardware_uniforms(seed: int, start: int, n: int) -> dict[str, np.ndarray]:
    """The hardware draws of trials ``start .. start + n - 1`` (one uniform per event)."""
    u = TrialStreams(seed, ("hardware",)).uniform("hardware", start, n, len(HARDWARE_EVENTS))
    return {name: u[:, i] for i, name in enumerate(HARDWARE_EVENTS)}


def _hazard(rate: float, exposure) -> np.ndarray:
    """Probability of at least one failure over ``exposure`` units at ``rate`` per unit."""
    exposure = np.nan_to_num(np.asarray(exposure, dtype=np.float64), nan=0.0)
    return -np.expm1(np.log1p(-min(rate, 1.0 - 1e-16)) * np.maximum(exposure, 0.0))


def outcome(
    columns: Mapping[str, np.ndarray],
    hardware: Mapping[str, np.ndarray],
    probability: Mapping[str, float],
    ero_mars_arrival_et: float,
) -> np.ndarray:
    """Each trial's :class:`Failure` (0: samples home) from its flown columns, its
    hardware draws and the failure probabilities, the first failure in relay order.

    The lander's hazard runs per sol from touchdown to the MAV's launch; the ERO's per year
    from its Mars arrival to the trial's own Earth arrival (a later return exposes it
    longer).
    """
    ended = np.asarray(columns["ended"])
    p, u = probability, hardware
    sols = (columns["mav_launch_et"] - columns["touchdown_et"]) / SOL_S
    years = (columns["earth_arrival_et"] - ero_mars_arrival_et) / YEAR_S
    chute_bad = ~np.asarray(columns["deploy_in_box"], bool) & (u["parachute"] < p["parachute"])
    reasons: dict[Failure, Callable[[], np.ndarray]] = {
        Failure.ERO_LAUNCH: lambda: u["ero_launch"] < p["ero_launch"],
        Failure.ERO_CRUISE_OR_INSERTION: lambda: u["ero_cruise"] < p["ero_cruise"],
        Failure.SRL_LAUNCH: lambda: u["srl_launch"] < p["srl_launch"],
        Failure.SRL_LANDING: lambda: chute_bad | (u["srl_edl"] < p["srl_edl"]),
        Failure.LANDER: lambda: u["lander"] < _hazard(p["lander"], sols),
        Failure.TRANSFER_ARM: lambda: u["transfer_arm"] < p["transfer_arm"],
        Failure.MAV: lambda: u["mav"] < p["mav"],
        Failure.ERO_AT_MARS_OR_RETURN: lambda: u["ero_at_mars"] < _hazard(p["ero_at_mars"], years),
        Failure.EES_RELEASE: lambda: u["ees_release"] < p["ees_release"],
        Failure.EES_ENTRY: lambda: u["ees_entry"] < p["ees_entry"],
    }
    failure = np.zeros(ended.size, dtype=np.int8)
    for why in RELAY_ORDER:
        hit = ended == why
        if why in reasons:
            hit = hit | reasons[why]()
        failure[(failure == 0) & hit] = why
    return failure


def fly_chunk(plan: CoupledPlan, start: int, n: int) -> dict[str, np.ndarray]:
    """Trials ``start .. start + n - 1`` flown through every leg: the trial table's
    columns, with ``failure``, ``success`` and ``tubes_returned``."""
    schema = {name: dtype for leg in plan.legs for name, dtype in leg.columns.items()}
    table = TrialTable(plan.seed, start, n, schema)
    for leg in plan.legs:
        if table.flying.size:
            leg.fly(table)
    columns = dict(table.columns)
    columns["ended"] = table.ended
    return judged(columns, hardware_uniforms(plan.seed, start, n), plan)


def judged(columns: Mapping[str, np.ndarray], hardware, plan: CoupledPlan) -> dict:
    """The flown ``columns`` with each trial's ``failure``, ``success`` and
    ``tubes_returned`` as ``plan``'s failure probabilities judge them (:func:`outcome`)."""
    failure = outcome(columns, hardware, plan.failure_probability, plan.ero_mars_arrival_et)
    success = failure == Failure.NONE
    tubes = np.where(success, columns["tubes_loaded"], 0).astype(np.int16)
    return {**columns, "failure": failure, "success": success, "tubes_returned": tubes}
