"""Global sensitivity: Sobol indices of a model's outputs to its uncertain inputs.

A thin layer over SALib (Herman and Usher, JOSS 2(9):97, 2017): Saltelli's sampling with
Sobol sequences (Saltelli et al., Comput. Phys. Commun. 181:259-270, 2010) and the
first-order and total indices with bootstrap confidence intervals. Inputs are uniform on
``[lower, upper]``; a model that wants a log-uniform input takes its logarithm as the
input. Validated on the Ishigami function, whose indices are known in closed form
(tests/core/test_sensitivity.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["SobolIndices", "sobol_indices"]


@dataclass(frozen=True)
class SobolIndices:
    """First-order (``first``) and total (``total``) Sobol indices of one output, per input,
    with the half-widths of their 95 % bootstrap intervals (``*_ci``)."""

    names: tuple[str, ...]
    first: np.ndarray
    first_ci: np.ndarray
    total: np.ndarray
    total_ci: np.ndarray

    def ranked(self) -> list[dict]:
        """One row per input, by total index, largest first."""
        order = np.argsort(-self.total, kind="stable")
        return [
            {
                "input": self.names[i],
                "first_order": round(float(self.first[i]), 4),
                "first_order_ci": round(float(self.first_ci[i]), 4),
                "total": round(float(self.total[i]), 4),
                "total_ci": round(float(self.total_ci[i]), 4),
            }
            for i in order
        ]


def sobol_indices(
    evaluate: Callable[[np.ndarray], np.ndarray],
    names: Sequence[str],
    lower: Sequence[float],
    upper: Sequence[float],
    *,
    samples: int = 512,
    seed: int = 0,
) -> dict[str, SobolIndices]:
    """Sobol indices of each output of ``evaluate`` to inputs uniform on
    ``[lower, upper]``.

    ``evaluate(x)`` takes the input points (m, d) and returns the outputs (m,) or
    (m, k) with ``k`` named outputs as a dict ``{name: (m,)}``. ``samples`` is the base
    sample (a power of two): the model is evaluated ``samples * (d + 2)`` times.
    """
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    names = tuple(names)
    lower = np.asarray(lower, np.float64)
    upper = np.asarray(upper, np.float64)
    if not (len(names) == lower.size == upper.size) or np.any(upper <= lower):
        raise ValueError("sobol_indices: one name and one interval lower < upper per input")
    if samples < 2 or samples & (samples - 1):
        raise ValueError(f"sobol_indices: samples must be a power of two, got {samples}")
    problem = {
        "num_vars": len(names),
        "names": list(names),
        "bounds": [[float(a), float(b)] for a, b in zip(lower, upper, strict=True)],
    }
    points = sample.sample(problem, samples, calc_second_order=False, scramble=True, seed=seed)
    outputs = evaluate(points)
    if not isinstance(outputs, dict):
        outputs = {"output": np.asarray(outputs)}
    indices = {}
    for output, values in outputs.items():
        values = np.asarray(values, np.float64)
        if not np.all(np.isfinite(values)):
            raise ValueError(f"sobol_indices: the model's {output} is not finite everywhere")
        found = analyze.analyze(
            problem, values, calc_second_order=False, conf_level=0.95, seed=seed
        )
        indices[output] = SobolIndices(
            names,
            np.asarray(found["S1"]),
            np.asarray(found["S1_conf"]),
            np.asarray(found["ST"]),
            np.asarray(found["ST_conf"]),
        )
    return indices
