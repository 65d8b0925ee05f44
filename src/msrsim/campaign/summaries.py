"""Helpers the legs share to digest Monte Carlo results for reports and JSON."""

from __future__ import annotations

import numpy as np

from msrsim.core.time import et_to_utc_iso

SPREAD_SUFFIXES = ("_p01", "_median", "_p99")
"""The names of a spread's 1st percentile, median and 99th percentile (``name_p01`` ...)."""


def spread(name: str, values: list | None) -> dict:
    """``{name_p01: .., name_median: .., name_p99: ..}`` (``None`` each when no value),
    the one convention of every leg's summary."""
    values = values or [None] * len(SPREAD_SUFFIXES)
    return {name + suffix: v for suffix, v in zip(SPREAD_SUFFIXES, values, strict=True)}


def percentiles(x, scale: float = 1.0, digits: int = 2) -> list[float]:
    """1st percentile, median and 99th percentile, scaled and rounded."""
    return [round(float(q), digits) for q in np.percentile(x, [1, 50, 99]) * scale]


def approach_summary(approach) -> dict:
    """The aim of a targeted approach (:class:`msrsim.segments.approach.Approach`)."""
    return {
        "entry_interface_utc": et_to_utc_iso(approach.entry_et)[0][:19],
        "v_infinity_km_s": round(float(np.linalg.norm(approach.v_infinity_m_s)) / 1e3, 4),
        "b_plane_b_t_km": round(approach.b_t_m / 1e3, 3),
        "b_plane_b_r_km": round(approach.b_r_m / 1e3, 3),
        "b_plane_angle_deg": round(approach.b_plane_angle_deg, 3),
        "arrival_shift_from_transfer_min": round(approach.arrival_shift_s / 60.0, 2),
        "nominal_landing_miss_m": round(approach.miss_m, 2),
    }
