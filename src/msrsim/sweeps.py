"""Parameter sweeps: ``msrsim sweep`` and :func:`sweep`.

A design of experiments over any numeric scenario values (``--param KEY=LO:HI[:N]``, the
names ``--set`` takes): a full grid, a Latin hypercube (McKay, Beckman and Conover 1979)
or a scrambled Sobol sequence (Owen 1998), from ``scipy.stats.qmc``. Every point is the
scenario with those values (source ``user: sweep``), its campaign run as ``msrsim run``
runs it (its own planned schedule; its legs from the cache when that point's inputs ran
before), all on one seed, so that the points differ only by their parameters. A point
whose schedule cannot be planned is a row with its one-line reason, not a failed sweep.
A sweep of hardware failure probabilities only flies the trials once and judges them again
at each point (the same numbers as a run of each point, in milliseconds a point).

With ``out_dir`` each finished point is written at once (``points/point-NNNNN.json``,
atomically) and ``resume=True`` runs only the points not yet there, so a sweep killed
part-way loses and repeats none. The table has one row per point: the parameters, then
the outputs by plain name.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from msrsim.api import run_campaign
from msrsim.scenario import load_scenario

__all__ = ["DESIGNS", "OUTPUTS", "Parameter", "SweepResult", "design_points", "sweep"]

DESIGNS = ("grid", "lhs", "sobol")

OUTPUTS = (
    "probability_of_success",
    "probability_of_success_ci_low",
    "probability_of_success_ci_high",
    "expected_tubes_returned",
    "probability_selected_set_returned",
    "earth_landing_median_year",
    "ero_xenon_margin_kg",
)
"""The outputs of each point (``None`` where its campaign could not be planned)."""


@dataclass(frozen=True)
class Parameter:
    """One swept value: its ``--set`` name, its range and, for a grid, its levels; an
    integer parameter (both bounds written without a decimal point) takes whole values."""

    key: str
    low: float
    high: float
    levels: int | None = None
    integer: bool = False

    @classmethod
    def parse(cls, text: str) -> Parameter:
        """``"schedule.min_surface_sols=150:355:5"`` (``KEY=LO:HI[:N]``)."""
        key, sep, spec = text.partition("=")
        parts = spec.split(":")
        if not sep or not key.strip() or len(parts) not in (2, 3):
            raise ValueError(f"--param {text!r}: must be KEY=LO:HI or KEY=LO:HI:N")
        try:
            low, high = float(parts[0]), float(parts[1])
            levels = int(parts[2]) if len(parts) == 3 else None
        except ValueError:
            raise ValueError(
                f"--param {text!r}: LO and HI must be numbers, N a whole number"
            ) from None
        if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
            raise ValueError(f"--param {text!r}: needs finite LO < HI")
        if levels is not None and not 2 <= levels <= 1000:
            raise ValueError(f"--param {text!r}: N must be between 2 and 1000")
        integer = all("." not in p and "e" not in p.lower() for p in parts[:2])
        return cls(key.strip(), low, high, levels, integer)

    def value(self, x: float):
        """The point's value: whole for an integer parameter, else to 12 significant
        digits (a grid's levels without float noise)."""
        return int(round(x)) if self.integer else float(f"{x:.12g}")


def design_points(
    parameters: Sequence[Parameter], design: str, samples: int, seed: int
) -> np.ndarray:
    """The points (m, d) of the design: ``grid`` (each parameter's ``N`` levels, 3 by
    default, every combination), ``lhs`` (``samples`` points) or ``sobol`` (``samples``, a
    power of two)."""
    from scipy.stats import qmc

    d = len(parameters)
    if d == 0:
        raise ValueError("sweep: give at least one --param")
    low = np.array([p.low for p in parameters])
    high = np.array([p.high for p in parameters])
    if design == "grid":
        axes = [np.linspace(p.low, p.high, p.levels or 3) for p in parameters]
        points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
    elif design == "lhs":
        unit = qmc.LatinHypercube(d, seed=seed).random(samples)
        points = qmc.scale(unit, low, high)
    elif design == "sobol":
        if samples < 2 or samples & (samples - 1):
            raise ValueError(f"--samples {samples}: a Sobol design takes a power of two")
        unit = qmc.Sobol(d, scramble=True, seed=seed).random_base2(int(math.log2(samples)))
        points = qmc.scale(unit, low, high)
    else:
        raise ValueError(f"--design {design!r}: one of {', '.join(DESIGNS)}")
    if len(points) > 10_000:
        raise ValueError(f"sweep: {len(points):,} points, more than 10,000")
    integer = np.array([p.integer for p in parameters])
    return np.where(integer, np.round(points), points)


@dataclass(frozen=True)
class SweepResult:
    """The sweep: its parameters, design and ``rows`` (one dict a point: ``point``, the
    parameters by key, the :data:`OUTPUTS`, ``error``)."""

    parameters: tuple[Parameter, ...]
    design: str
    seed: int
    trials: int
    rows: tuple[dict, ...]
    points_run: int
    """How many points this call ran (the others were read back on a resume)."""
    judged_again: bool = False
    """Whether the trials were flown once and judged again at each point (every swept
    value a hardware failure probability)."""

    def table(self):
        """The rows as a ``pyarrow.Table``."""
        import pyarrow as pa

        return pa.Table.from_pylist(list(self.rows))

    def to_dict(self) -> dict:
        return {
            "parameters": [p.__dict__ for p in self.parameters],
            "design": self.design,
            "seed": self.seed,
            "trials": self.trials,
            "judged_again": self.judged_again,
            "points": list(self.rows),
        }


def _outputs(s: dict, checks) -> dict:
    """A point's outputs from its campaign summary and nominal checks."""
    low, high = s["probability_of_success_ci_low"], s["probability_of_success_ci_high"]
    median_day = s["earth_landing_utc_median"]  # of the successful trials
    median_year = None if median_day is None else float(median_day[:4])
    xenon = next(
        (float(c.value) for c in checks if c.name == "ERO xenon left over its reserve"),
        None,
    )
    return {
        "probability_of_success": s["probability_of_success"],
        "probability_of_success_ci_low": low,
        "probability_of_success_ci_high": high,
        "expected_tubes_returned": s["expected_tubes_returned"],
        "probability_selected_set_returned": s["probability_selected_set_returned"],
        "earth_landing_median_year": median_year,
        "ero_xenon_margin_kg": xenon,
    }


def _point_file(out_dir: Path, k: int) -> Path:
    return out_dir / "points" / f"point-{k:05d}.json"


def sweep(
    scenario,
    parameters: Sequence[Parameter | str],
    *,
    design: str = "grid",
    samples: int = 16,
    trials: int | None = None,
    seed: int | None = None,
    out_dir: str | Path | None = None,
    resume: bool = False,
    scheduler: str | None = None,
    workers: int | None = None,
    progress=None,
    overrides: dict | None = None,
) -> SweepResult:
    """Run the campaign at every point of the design (see the module notes).

    ``scenario``: a path, a packaged name or ``None`` (the baseline); ``parameters``:
    :class:`Parameter` or their ``KEY=LO:HI[:N]`` text. ``overrides`` change the scenario
    at every point (``--set``). ``progress(done, total)`` is told as each point ends.
    """
    from msrsim.core.resources import atomic_write

    parameters = tuple(p if isinstance(p, Parameter) else Parameter.parse(p) for p in parameters)
    if scenario is not None and not isinstance(scenario, str | Path):
        raise ValueError("sweep: give the scenario as a path or a packaged name")
    path = scenario
    fixed = dict(overrides or {})
    base = load_scenario(path, fixed)
    n = base.campaign.trials if trials is None else int(trials)
    common_seed = base.scenario.seed if seed is None else int(seed)
    points = design_points(parameters, design, samples, common_seed)
    for p in parameters:  # every key must name a value before any point is flown
        load_scenario(path, {**fixed, p.key: p.value(p.low)}, overrides_label="--param")
    out = None if out_dir is None else Path(out_dir)
    if out is not None:
        (out / "points").mkdir(parents=True, exist_ok=True)
        design_file = out / "design.json"
        described = json.dumps(
            {"parameters": [p.__dict__ for p in parameters], "design": design,
             "samples": samples, "seed": common_seed, "trials": n,
             "scenario": str(scenario), "overrides": {k: str(v) for k, v in fixed.items()}},
            sort_keys=True,
        )  # fmt: skip
        if design_file.exists() and design_file.read_text() != described:
            raise ValueError(
                f"--out {out}: holds a sweep with another design, scenario, seed or trial "
                "count; resume it with the same options, or choose another directory"
            )
        atomic_write(design_file, described.encode())
    judge = _judge_only(parameters, path, fixed, n, common_seed, scheduler, workers)
    rows, ran = [], 0
    for k, x in enumerate(points):
        done_file = None if out is None else _point_file(out, k)
        if resume and done_file is not None and done_file.exists():
            rows.append(json.loads(done_file.read_text()))
            continue
        values = {p.key: p.value(v) for p, v in zip(parameters, x, strict=True)}
        row = {"point": k, **values}
        try:
            point = load_scenario(path, {**fixed, **values}, overrides_label="sweep")
            if judge is not None:
                row |= judge(point) | {"error": ""}
            else:
                run = run_campaign(
                    point, trials=n, seed=common_seed, scheduler=scheduler, workers=workers,
                    drivers=False,
                )  # fmt: skip
                row |= _outputs(run.summary, run.legs.checks) | {"error": ""}
        except ValueError as exc:  # ScenarioError too: the point cannot be planned
            row |= dict.fromkeys(OUTPUTS) | {"error": " ".join(str(exc).split())}
        ran += 1
        if done_file is not None:
            atomic_write(done_file, json.dumps(row, allow_nan=False).encode())
        rows.append(row)
        if progress is not None:
            progress(k + 1, len(points))
    return SweepResult(parameters, design, common_seed, n, tuple(rows), ran, judge is not None)


def _judge_only(parameters, path, fixed: dict, n: int, seed: int, scheduler, workers):
    """Where every swept value is a hardware failure probability (they judge the flown
    trials and change no flight: :data:`msrsim.campaign.plan.JUDGED_AFTER_FLIGHT`), the
    trials are flown once and each point judges them again
    (:func:`msrsim.campaign.runner.rejudged`): the same numbers as a run of the point,
    in milliseconds. Returns ``point scenario -> outputs``, or ``None`` otherwise."""
    import dataclasses

    from msrsim.campaign.plan import JUDGED_AFTER_FLIGHT, failure_probabilities
    from msrsim.campaign.runner import monte_carlo_summary, rejudged

    judged_keys = {f"reliability.{name}" for name in JUDGED_AFTER_FLIGHT}
    if not all(p.key in judged_keys for p in parameters):
        return None
    base = run_campaign(
        load_scenario(path, fixed), trials=n, seed=seed, scheduler=scheduler, workers=workers,
        drivers=False,
    )  # fmt: skip
    table = base.trials
    columns = {c: table.column(c).to_numpy(zero_copy_only=False) for c in table.column_names}
    flown = dataclasses.replace(base.legs.plan, seed=seed)

    def judge(point) -> dict:
        plan = dataclasses.replace(flown, failure_probability=failure_probabilities(point))
        return _outputs(monte_carlo_summary(rejudged(columns, plan), plan), base.legs.checks)

    return judge
