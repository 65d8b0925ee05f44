"""Landing ranges: the ground a capsule may come down on, as a boundary polygon.

The packaged ranges (:data:`RANGES`, chosen by ``ees.landing_range``): ``"uttr"``, the Utah
Test and Training Range's South Range (approximate, from Executive Order 8579; NASA's and
ESA's capsules), and ``"siziwang"``, the administrative boundary of Siziwang (Dorbod)
Banner, Inner Mongolia, the Shenzhou and Chang'e-5 landing region (DataV.GeoAtlas, adcode
150929, taken from GCJ-02 to WGS 84 and simplified by ``scripts/derive_siziwang_boundary.py``).
Each file's first comment line is its source.

A range is a closed polygon of geodetic latitude and east longitude (WGS 84, degrees),
read from package data with its source. Whether a point lies inside is decided on the
equirectangular plane about the range's centre (longitudes scaled by the cosine of the
centre latitude), by the even-odd rule (matplotlib's ``Path.contains_points``); over a
range some 200 km across, the plane's distortion is far below the width of a boundary
drawn from published coordinates.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources

import numpy as np


@dataclass(frozen=True)
class LandingRange:
    """A named boundary polygon (degrees), its source and how well it is known."""

    name: str
    latitude_deg: np.ndarray
    east_longitude_deg: np.ndarray
    source: str

    @cached_property
    def _path(self):
        from matplotlib.path import Path

        return Path(np.column_stack(self._plane(self.latitude_deg, self.east_longitude_deg)))

    def _plane(self, latitude_deg, east_longitude_deg):
        scale = math.cos(math.radians(float(np.mean(self.latitude_deg))))
        return np.asarray(east_longitude_deg, np.float64) * scale, np.asarray(
            latitude_deg, np.float64
        )

    def contains(self, latitude_deg, east_longitude_deg) -> np.ndarray:
        """True where the points lie inside the boundary."""
        x, y = self._plane(latitude_deg, east_longitude_deg)
        points = np.column_stack([np.ravel(x), np.ravel(y)])
        return self._path.contains_points(points).reshape(np.shape(x))

    @property
    def area_km2(self) -> float:
        """Area enclosed (shoelace formula on the local plane, Earth mean radius)."""
        x, y = self._plane(self.latitude_deg, self.east_longitude_deg)
        k = math.radians(6371.0088)
        return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) * k * k


def load_range(filename: str, name: str) -> LandingRange:
    """A range from a CSV of ``latitude_deg,east_longitude_deg`` rows in package data.

    Comment lines start with ``#``; the first of them is the source.
    """
    text = resources.files("msrsim.segments").joinpath("data", filename).read_text("utf-8")
    comments = [line[1:].strip() for line in text.splitlines() if line.startswith("#")]
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    return LandingRange(
        name=name,
        latitude_deg=np.array([float(r["latitude_deg"]) for r in rows]),
        east_longitude_deg=np.array([float(r["east_longitude_deg"]) for r in rows]),
        source=" ".join(comments),
    )


RANGES: dict[str, tuple[str, str]] = {
    "uttr": ("uttr_boundary.csv", "Utah Test and Training Range (South Range, approximate)"),
    "siziwang": ("siziwang_boundary.csv", "Siziwang Banner landing area, Inner Mongolia"),
}
"""Each packaged range's key (the scenario's ``ees.landing_range``): its file and name."""


@cache
def landing_range(key: str) -> LandingRange:
    """The packaged range ``key`` (one of :data:`RANGES`)."""
    if key not in RANGES:
        raise ValueError(f"landing_range = {key!r}: must be one of {', '.join(map(repr, RANGES))}")
    return load_range(*RANGES[key])


UTTR = landing_range("uttr")
