"""The figures of ``msrsim sweep --out``: each output against each parameter, and the
Pareto front of two outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["pareto_front", "pareto_plot", "response_plot"]


def _values(rows, key) -> np.ndarray:
    return np.array([np.nan if r.get(key) is None else float(r[key]) for r in rows])


def response_plot(result, path: Path) -> Path:
    """P(success) (with its interval) and the expected tubes against each parameter."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, parameters = result.rows, result.parameters
    fig, axes = plt.subplots(2, len(parameters), figsize=(4.5 * len(parameters), 7),
                             squeeze=False, constrained_layout=True)  # fmt: skip
    p = _values(rows, "probability_of_success")
    low = _values(rows, "probability_of_success_ci_low")
    high = _values(rows, "probability_of_success_ci_high")
    tubes = _values(rows, "expected_tubes_returned")
    failed = np.isnan(p)
    for j, parameter in enumerate(parameters):
        x = _values(rows, parameter.key)
        top, bottom = axes[0, j], axes[1, j]
        top.errorbar(x[~failed], p[~failed], yerr=[p[~failed] - low[~failed],
                     high[~failed] - p[~failed]], fmt="o", ms=4, capsize=2)  # fmt: skip
        if failed.any():
            top.plot(x[failed], np.zeros(failed.sum()), "x", color="#b00020",
                     label="no schedule")  # fmt: skip
            top.legend(loc="best", fontsize=8)
        top.set_ylim(0, 1)
        top.set_ylabel("P(success), 95 % interval")
        bottom.plot(x[~failed], tubes[~failed], "s", ms=4, color="#2ca02c")
        bottom.set_ylabel("expected tubes returned")
        for ax in (top, bottom):
            ax.set_xlabel(parameter.key)
            ax.grid(alpha=0.3)
    fig.suptitle(f"Sweep ({result.design}, {len(rows)} points, {result.trials:,} trials each)")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def pareto_front(a: np.ndarray, b: np.ndarray, maximise_a: bool, maximise_b: bool):
    """Whether each point is on the Pareto front of the two objectives (not dominated by
    another point at least as good in both and better in one); NaN points are not."""
    sa = a if maximise_a else -a
    sb = b if maximise_b else -b
    ok = np.isfinite(sa) & np.isfinite(sb)
    front = np.zeros(a.size, bool)
    for i in np.flatnonzero(ok):
        better = ok & (sa >= sa[i]) & (sb >= sb[i]) & ((sa > sa[i]) | (sb > sb[i]))
        front[i] = not better.any()
    return front


def pareto_plot(result, path: Path, first: tuple[str, bool], second: tuple[str, bool]) -> Path:
    """Every point in the plane of two outputs (``(name, maximise)``), its front joined."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a, b = _values(result.rows, first[0]), _values(result.rows, second[0])
    front = pareto_front(a, b, first[1], second[1])
    fig, ax = plt.subplots(figsize=(7, 5), constrained_layout=True)
    ax.plot(a, b, "o", color="#9e9e9e", ms=5, label="points")
    order = np.argsort(a[front])
    ax.plot(a[front][order], b[front][order], "o-", color="#d62728", ms=6,
            label="Pareto front")  # fmt: skip
    ax.set_xlabel(f"{first[0]} ({'max' if first[1] else 'min'})")
    ax.set_ylabel(f"{second[0]} ({'max' if second[1] else 'min'})")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
