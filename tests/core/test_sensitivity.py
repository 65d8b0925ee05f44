"""core.sensitivity against the Ishigami function, whose Sobol indices are known in closed
form (Ishigami and Homma 1990; a = 7, b = 0.1 on [-pi, pi]^3: Saltelli et al. 2008,
"Global Sensitivity Analysis: The Primer", sec. 4.5)."""

import math

import numpy as np
import pytest

from msrsim.core.sensitivity import sobol_indices

A, B = 7.0, 0.1


def ishigami(x):
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def closed_form():
    """First-order and total indices of the Ishigami function."""
    v1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_ishigami_indices_within_their_intervals():
    """2^12 base points (57,344 evaluations): each index within 0.03 of the closed form
    (the bootstrap half-widths here are ~0.01-0.03), and the ranking right."""
    first, total = closed_form()
    assert first == pytest.approx([0.3139, 0.4424, 0.0], abs=1e-4)  # the Primer's values
    assert total == pytest.approx([0.5576, 0.4424, 0.2437], abs=1e-4)
    pi = math.pi
    found = sobol_indices(ishigami, ["x1", "x2", "x3"], [-pi] * 3, [pi] * 3, samples=4096)
    s = found["output"]
    assert s.first == pytest.approx(first, abs=0.03)
    assert s.total == pytest.approx(total, abs=0.03)
    assert [row["input"] for row in s.ranked()] == ["x1", "x2", "x3"]


def test_bad_designs_are_refused():
    with pytest.raises(ValueError, match="power of two"):
        sobol_indices(ishigami, ["a", "b", "c"], [0] * 3, [1] * 3, samples=100)
    with pytest.raises(ValueError, match="lower < upper"):
        sobol_indices(ishigami, ["a", "b", "c"], [0] * 3, [1, 1, 0], samples=64)
    with pytest.raises(ValueError, match="not finite"):
        sobol_indices(lambda x: np.full(len(x), np.nan), ["a"], [0.0], [1.0], samples=64)
