"""Observation geometry from the ephemeris: angles between bodies, conjunctions, intervals.

Solar elongation is the angle at an observer between the Sun and a target; for Mars seen
from Earth it is the Sun-Earth-Mars angle whose small values (solar conjunction) cut
communications with Mars missions for about two weeks every 26 months. Geometric
directions (no light time, no aberration): they move the angle by < 0.01 deg.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from msrsim.core.ephemeris import get_ephemeris


def angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle in radians between vectors ``a`` and ``b`` (n, 3), accurate near 0 and pi.

    Uses ``atan2(|a x b|, a . b)`` (Kahan), not ``acos`` of the cosine.
    """
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    dot = np.einsum("...i,...i->...", a, b)
    return np.arctan2(cross, dot)


def solar_elongation(target: str, et, observer: str = "earth") -> np.ndarray:
    """Sun-observer-target angle in radians at epochs ``et``."""
    eph = get_ephemeris()
    to_sun = eph.position("sun", et, observer)
    to_target = eph.position(target, et, observer)
    return angle_between(to_sun, to_target)


@dataclass(frozen=True)
class Interval:
    """A span of epochs ``[start_et, end_et]`` with the extreme value reached inside it."""

    start_et: float
    end_et: float
    extreme_et: float
    extreme_value: float


def intervals_below(et: np.ndarray, values: np.ndarray, threshold: float) -> list[Interval]:
    """Spans of a sampled series where ``values < threshold``, each with its minimum.

    Crossings are placed by linear interpolation between samples; the minimum by a
    parabola through the lowest sample and its neighbours. Spans cut by the ends of the
    series start or end there.
    """
    et = np.asarray(et, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    below = values < threshold
    if not below.any():
        return []
    edges = np.diff(below.astype(np.int8))
    starts = list(np.flatnonzero(edges == 1) + 1)
    ends = list(np.flatnonzero(edges == -1))
    if below[0]:
        starts.insert(0, 0)
    if below[-1]:
        ends.append(len(values) - 1)
    spans = []
    for i0, i1 in zip(starts, ends, strict=True):
        spans.append(
            Interval(
                start_et=_crossing(et, values, i0 - 1, threshold) if i0 > 0 else et[0],
                end_et=_crossing(et, values, i1, threshold) if i1 < len(et) - 1 else et[-1],
                **_parabolic_minimum(et, values, i0, i1),
            )
        )
    return spans


def _crossing(et: np.ndarray, values: np.ndarray, i: int, threshold: float) -> float:
    """Epoch where the segment between samples ``i`` and ``i + 1`` crosses ``threshold``."""
    fraction = (threshold - values[i]) / (values[i + 1] - values[i])
    return float(et[i] + fraction * (et[i + 1] - et[i]))


def _parabolic_minimum(et: np.ndarray, values: np.ndarray, i0: int, i1: int) -> dict:
    k = i0 + int(np.argmin(values[i0 : i1 + 1]))
    if 0 < k < len(values) - 1:
        y0, y1, y2 = values[k - 1 : k + 2]
        curvature = y0 - 2 * y1 + y2
        if curvature > 0:
            offset = 0.5 * (y0 - y2) / curvature  # vertex of the parabola, in steps
            step = et[k + 1] - et[k]
            return {
                "extreme_et": float(et[k] + offset * step),
                "extreme_value": float(y1 - 0.25 * (y0 - y2) * offset),
            }
    return {"extreme_et": float(et[k]), "extreme_value": float(values[k])}
