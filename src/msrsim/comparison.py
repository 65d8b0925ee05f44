"""Campaigns side by side: ``msrsim compare`` and :func:`compare`.

Each scenario's campaign is run as ``msrsim run`` runs it (:func:`msrsim.api.run_campaign`:
its own planned schedule, its legs from the cache when the scenario ran before), all with
**one seed**, so that trial ``i`` of every scenario draws the same random numbers
(``core/streams``: streams keyed by name and trial number). The differences of P(success)
from the first scenario are then paired: their interval is Newcombe's method 10 for
paired proportions (:func:`paired_difference_interval`), narrower than two independent
Wilson intervals when the campaigns share most of their fortunes.

The metrics have plain names (``probability_of_success``, ``tubes_returned_median``, ...)
in the table, the JSON and the API.

>>> import msrsim
>>> result = msrsim.compare(["baseline", "what-if.toml"], trials=500)  # doctest: +SKIP
>>> result.table()                                                      # doctest: +SKIP
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from msrsim.api import CampaignRun, load_scenario, run_campaign
from msrsim.campaign.execution import OutputDirectory

__all__ = ["Comparison", "compare", "paired_difference_interval", "scenario_labels"]

Z95 = 1.959964


def paired_difference_interval(
    first: np.ndarray, second: np.ndarray, z: float = Z95
) -> tuple[float, float, float]:
    """The difference ``p1 - p2`` of two proportions measured on the same trials, and its
    interval: Newcombe's method 10 (the Wilson score intervals of each proportion, combined
    with the correlation of the pairs; R. G. Newcombe, "Improved confidence intervals for
    the difference between binomial proportions based on paired data", Stat. Med. 17,
    2635-2650, 1998). ``first``, ``second``: (n,) booleans, pair by pair."""
    from msrsim.campaign.runner import wilson_interval

    a_hit = np.asarray(first, dtype=bool)
    b_hit = np.asarray(second, dtype=bool)
    if a_hit.shape != b_hit.shape:
        raise ValueError("the two outcomes must pair trial by trial (same shape)")
    n = a_hit.size
    if n == 0:
        return 0.0, -1.0, 1.0
    a = int(np.count_nonzero(a_hit & b_hit))
    b = int(np.count_nonzero(a_hit & ~b_hit))
    c = int(np.count_nonzero(~a_hit & b_hit))
    d = n - a - b - c
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson_interval(a + b, n, z)
    l2, u2 = wilson_interval(a + c, n, z)
    denominator = (a + b) * (c + d) * (a + c) * (b + d)
    phi = (a * d - b * c) / math.sqrt(denominator) if denominator > 0 else 0.0
    below = (p1 - l1) ** 2 - 2.0 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2
    above = (u1 - p1) ** 2 - 2.0 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2
    theta = p1 - p2
    return theta, theta - math.sqrt(max(below, 0.0)), theta + math.sqrt(max(above, 0.0))


def scenario_labels(scenarios) -> list[str]:
    """A short, unique label per scenario: the file's stem, the packaged name, or the
    scenario's own name; repeats numbered (``baseline``, ``baseline-2``)."""
    labels: list[str] = []
    for s in scenarios:
        if s is None:
            label = "baseline"
        elif isinstance(s, str | Path):
            label = Path(s).stem
        else:
            label = "-".join(str(s.scenario.name).lower().split())[:40] or "scenario"
        base, k = label, 2
        while label in labels:
            label, k = f"{base}-{k}", k + 1
        labels.append(label)
    return labels


def _scenario(s):
    return load_scenario(s) if s is None or isinstance(s, str | Path) else s


@dataclass(frozen=True)
class Comparison:
    """Campaigns run on the same seed and trial count, in the order given.

    ``runs``: each scenario's :class:`~msrsim.api.CampaignRun`; ``labels``: their short
    names; ``differences``: per scenario after the first, P(success) minus the first's, on
    the same trials, with its 95 % interval (paired)."""

    labels: tuple[str, ...]
    runs: tuple[CampaignRun, ...]
    seed: int
    trials: int

    def _column(self, run: CampaignRun, name: str) -> np.ndarray:
        return run.trials.column(name).to_numpy(zero_copy_only=False)

    @cached_property
    def differences(self) -> list[dict]:
        first = self._column(self.runs[0], "success")
        rows = []
        for label, run in zip(self.labels[1:], self.runs[1:], strict=True):
            theta, low, high = paired_difference_interval(self._column(run, "success"), first)
            rows.append(
                {
                    "scenario": label,
                    "against": self.labels[0],
                    "probability_of_success_difference": round(theta, 6),
                    "probability_of_success_difference_95_ci": [round(low, 6), round(high, 6)],
                }
            )
        return rows

    def metrics(self) -> dict[str, dict]:
        """Per scenario label, its metrics by plain name."""
        return self._metrics

    @cached_property
    def _metrics(self) -> dict[str, dict]:
        out = {}
        for label, run in zip(self.labels, self.runs, strict=True):
            s = run.summary
            low, high = s["probability_of_success_ci_low"], s["probability_of_success_ci_high"]
            mean_tubes = s["expected_tubes_returned"]
            tubes_low = s["expected_tubes_returned_ci_low"]
            tubes_high = s["expected_tubes_returned_ci_high"]
            checks = {c.name: c for c in run.legs.checks}
            drivers = (run.drivers or {}).get("drivers", [])[:3]
            out[label] = {
                "scenario_name": run.scenario.scenario.name,
                **_published_cost(run.scenario),
                **_computed_dates(run.scenario),
                "probability_of_success": s["probability_of_success"],
                "probability_of_success_ci_low": low,
                "probability_of_success_ci_high": high,
                "expected_tubes_returned": mean_tubes,
                "expected_tubes_returned_ci_low": tubes_low,
                "expected_tubes_returned_ci_high": tubes_high,
                "tubes_returned_median_if_success": s["tubes_returned_if_success_median"],
                "probability_selected_set_returned": s["probability_selected_set_returned"],
                "earth_landing_median": s["earth_landing_utc_median"],
                "earth_landing_year": s["earth_landing_year"],
                "ero_xenon_margin_kg": _check_value(checks, "ERO xenon left over its reserve"),
                "ero_bipropellant_margin_kg": _check_value(
                    checks, "ERO bipropellant left over its reserve"
                ),
                "srl_launch_mass_margin_kg": _leg_value(run, 1, "srl", "mass_margin_kg"),
                "mav_delta_v_margin_m_s": _leg_value(run, 5, "vehicle", "margin_delta_v_m_s"),
                "checks_failed": [c.name for c in run.legs.checks if not c.ok],
                "top_risk_drivers": [{"driver": d["driver"], "swing": d["swing"]} for d in drivers],
            }
        return out

    def table(self) -> list[list[str]]:
        """The side-by-side table: a header row (``metric`` and the labels), then one row
        per metric, as text."""
        metrics = self.metrics()
        rows = [["metric", *self.labels]]
        names = list(next(iter(metrics.values())))
        differences = {d["scenario"]: d for d in self.differences}
        for name in names:
            rows.append([name, *(_text(metrics[label][name]) for label in self.labels)])
            if name == "probability_of_success_ci_high" and differences:
                rows.append(
                    [
                        f"probability_of_success minus {self.labels[0]}'s (same trials)",
                        "",
                        *(_difference_text(differences[label]) for label in self.labels[1:]),
                    ]
                )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """What ``msrsim compare --json`` prints and ``compare.json`` holds."""
        return {
            "scenarios": list(self.labels),
            "seed": self.seed,
            "trials": self.trials,
            "metrics": self.metrics(),
            "differences": self.differences,
        }


def _computed_dates(scenario) -> dict[str, str]:
    """The scenario's planned key dates (its schedule, cached), whatever published plan it
    is set beside: the SRL's launch period and landings, the ERO's arrival at Mars, the
    MAV's deadline, the planned Earth arrival (UTC days; a span as "first to last")."""
    from msrsim.campaign.published import computed_values
    from msrsim.campaign.schedule import plan_schedule
    from msrsim.core.time import et_to_utc_iso

    values = computed_values(plan_schedule(scenario))

    def shown(key: str) -> str:
        first, last, _ = values[key]
        days = et_to_utc_iso([first, last])
        return days[0][:10] if first == last else f"{days[0][:10]} to {days[1][:10]}"

    return {
        "srl_launch_period": shown("srl_launch_period"),
        "srl_landing": shown("srl_landing"),
        "ero_mars_orbit_insertion": shown("ero_mars_arrival"),
        "mav_launch_deadline": shown("mav_launch_deadline"),
        "earth_arrival_planned": shown("earth_arrival"),
    }


def _published_cost(scenario) -> dict:
    """The scenario's published cost range (metadata, not modelled) and its source."""
    meta = scenario.scenario
    cost = meta.cost_range_busd
    provenance = meta.provenance("cost_range_busd")
    return {
        "published_cost_billion_usd": f"{cost[0]:g}-{cost[1]:g}" if cost else None,
        "published_cost_source": provenance.source if cost and provenance else None,
    }


def _leg_value(run, number: int, part: str, key: str):
    """A value of a leg's own summary (``None`` where the leg does not report it)."""
    for outcome in run.legs.legs:
        if outcome.leg.number == number:
            return (outcome.summary.get(part) or {}).get(key)
    return None


def _check_value(checks: dict, name: str):
    check = checks.get(name)
    return None if check is None else check.value


def _text(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return "; ".join(f"{k} {_text(v)}" for k, v in value.items()) or "-"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return "; ".join(f"{v['driver']} ({v['swing']:.3g})" for v in value)
        return "; ".join(str(v) for v in value) or "none"
    return str(value)


def _difference_text(row: dict) -> str:
    low, high = row["probability_of_success_difference_95_ci"]
    return f"{row['probability_of_success_difference']:+.4f} [{low:+.4f}, {high:+.4f}]"


def compare(
    scenarios,
    *,
    trials: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    out_dir: str | Path | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    resume: bool = False,
    force: bool = False,
    progress=None,
    labels: list[str] | None = None,
) -> Comparison:
    """Run each scenario's campaign on one seed and trial count and set them side by side.

    ``scenarios``: paths, :class:`~msrsim.scenario.Scenario` objects, or ``None`` /
    ``"baseline"`` for the built-in baseline; at least two. ``trials`` and ``seed``
    default to the first scenario's ``campaign.trials`` and ``scenario.seed``. With
    ``out_dir`` each scenario's trials go to ``out_dir/<label>/trials`` (Parquet, one file
    a chunk; ``resume=True`` finishes a killed comparison, ``force=True`` replaces an
    earlier one's trials; each ``out_dir/<label>`` is claimed as
    :class:`~msrsim.campaign.execution.OutputDirectory` claims a run's).
    ``progress(label, stage, done, total)`` is told of each step. ``labels`` name the
    scenarios (default: :func:`scenario_labels`).
    """
    scenarios = list(scenarios)
    if len(scenarios) < 2:
        raise ValueError(f"compare needs at least two scenarios, got {len(scenarios)}")
    labels = scenario_labels(scenarios) if labels is None else list(labels)
    if len(set(labels)) != len(scenarios):
        raise ValueError(f"compare: one distinct label per scenario, got {labels}")
    loaded = [_scenario(s) for s in scenarios]
    n = loaded[0].campaign.trials if trials is None else int(trials)
    common_seed = loaded[0].scenario.seed if seed is None else int(seed)
    runs = []
    for label, scenario in zip(labels, loaded, strict=True):
        step = None if progress is None else (lambda *a, _l=label: progress(_l, *a))
        scenario_dir = None if out_dir is None else Path(out_dir) / label
        claim = (
            nullcontext()
            if scenario_dir is None
            else OutputDirectory(scenario_dir, resume=resume, force=force)
        )
        with claim:
            runs.append(
                run_campaign(
                    scenario,
                    trials=n,
                    seed=common_seed,
                    chunk_size=chunk_size,
                    out_dir=scenario_dir,
                    scheduler=scheduler,
                    workers=workers,
                    resume=resume,
                    progress=step,
                )
            )
    return Comparison(tuple(labels), tuple(runs), common_seed, n)
