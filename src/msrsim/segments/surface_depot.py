"""Where the tubes are and which are loaded: sites, the Three Forks depot, the selection.

Geometry on a sphere of Mars' mean radius (IAU WGCCRE 2015, 3389.5 km): at the scale of
Jezero's delta (kilometres) the ellipsoid changes distances by < 0.3 %.

The depot's layout is representative. Published (NASA PIA25682 [P]): ten tubes dropped in
a zigzag, 5-15 m apart, on flat ground near the base of the delta, in the drop order of
``three_forks_depot.csv``. Not published as numbers: the depot's coordinates and the
tubes' positions. :class:`DepotLayout` places tube ``k`` (drop order) ``step`` metres
along an axis and alternately ``offset`` metres left and right of it, so that
consecutive tubes lie ``sqrt(step^2 + (2 offset)^2)`` apart (10 m by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from msrsim.core.bodies import MARS
from msrsim.samples.catalog import Tube, load_catalog

MARS_RADIUS_M = MARS.mean_radius.value


@dataclass(frozen=True)
class MarsSite:
    """A place on Mars: planetocentric latitude and east longitude, degrees."""

    latitude_deg: float
    east_longitude_deg: float


def great_circle_between_m(a_lat_deg, a_lon_deg, b_lat_deg, b_lon_deg) -> np.ndarray:
    """Great-circle distance between points ``a`` and ``b`` (haversine), arrays broadcast."""
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(x, dtype=np.float64))
        for x in (a_lat_deg, a_lon_deg, b_lat_deg, b_lon_deg)
    )
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2.0 * MARS_RADIUS_M * np.arcsin(np.sqrt(h))


def great_circle_m(a: MarsSite, b_lat_deg, b_lon_deg) -> np.ndarray:
    """Great-circle distance from ``a`` to points ``(b_lat_deg, b_lon_deg)`` (haversine)."""
    return great_circle_between_m(a.latitude_deg, a.east_longitude_deg, b_lat_deg, b_lon_deg)


def site_distance_m(a: MarsSite, b: MarsSite) -> float:
    """Great-circle distance between two sites, metres."""
    return float(great_circle_m(a, b.latitude_deg, b.east_longitude_deg))


@dataclass(frozen=True)
class DepotLayout:
    """The Three Forks depot as laid out here (representative; module docstring).

    ``centre``: the depot's middle; not published as coordinates. ``axis_azimuth_deg``:
    direction of the zigzag's axis from north, clockwise. ``along_step_m`` and
    ``cross_offset_m``: 8 m and 3 m put consecutive tubes 10 m apart, the middle of the
    published 5-15 m (PIA25682 [P]).
    """

    centre: MarsSite
    axis_azimuth_deg: float = 90.0
    along_step_m: float = 8.0
    cross_offset_m: float = 3.0

    def __post_init__(self):
        spacing = math.hypot(self.along_step_m, 2 * self.cross_offset_m)
        if not 0 < spacing <= 100.0:
            raise ValueError(
                f"depot spacing {spacing:.1f} m (from along_step_m = {self.along_step_m}, "
                f"cross_offset_m = {self.cross_offset_m}) must be in (0, 100] m"
            )


def depot_positions_deg(layout: DepotLayout, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and east longitudes (deg) of ``count`` tubes in drop order.

    Local tangent plane about the centre: offsets of tens of metres on a 3,390 km sphere
    are placed to ~1e-5 m relative error, far below the published 5-15 m spacing.
    """
    k = np.arange(count, dtype=np.float64)
    along = (k - (count - 1) / 2.0) * layout.along_step_m
    cross = np.where(k % 2 == 0, 1.0, -1.0) * layout.cross_offset_m
    az = math.radians(layout.axis_azimuth_deg)
    east = along * math.sin(az) + cross * math.cos(az)
    north = along * math.cos(az) - cross * math.sin(az)
    lat0 = math.radians(layout.centre.latitude_deg)
    lat = layout.centre.latitude_deg + np.degrees(north / MARS_RADIUS_M)
    lon = layout.centre.east_longitude_deg + np.degrees(east / (MARS_RADIUS_M * math.cos(lat0)))
    return lat, lon


# --------------------------------------------------------------------------------------
# Selection
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SelectionPolicy:
    """Which tubes go into the Orbiting Sample, in which order.

    ``capacity_tubes``: 30, representative: the 2025 plan returned 30 tubes [S]; the
    capacity is not published as a specification. ``priority``: tube names loaded first,
    in this order; by default Sapphire Canyon (Cheyava Falls, "potential biosignature"),
    Silver Mountain ("first Noachian sample") and Comet Geyser (silica-cemented carbonate)
    from the catalog's notes and kinds -- a representative science ranking, not NASA's.
    ``include_witness``: witness tubes follow the priority list (they are needed to
    read contamination on Earth); ``False`` leaves them out. The rest follow in the order
    Perseverance sealed them. ``helicopters_top_up``: the helicopters also fetch depot
    tubes to fill the capacity when Perseverance delivers (the July 2022 plan flies them
    only as a backup, so ``False``).
    """

    capacity_tubes: int = 30
    priority: tuple[str, ...] = ("Sapphire Canyon", "Silver Mountain", "Comet Geyser")
    include_witness: bool = True
    helicopters_top_up: bool = False

    def __post_init__(self):
        if self.capacity_tubes < 1:
            raise ValueError(f"capacity_tubes = {self.capacity_tubes}: must be at least 1")


def rank_tubes(tubes: tuple[Tube, ...], policy: SelectionPolicy) -> tuple[Tube, ...]:
    """The candidate tubes (on the rover or in the depot) in loading order.

    Raises
    ------
    ValueError
        For a priority name that is not a tube in the catalog.
    """
    candidates = [t for t in tubes if t.now_at in ("rover", "depot")]
    if not policy.include_witness:
        candidates = [t for t in candidates if not t.is_witness]
    by_name = {t.name.lower(): t for t in candidates}
    missing = [p for p in policy.priority if p.lower() not in by_name]
    if missing:
        known = ", ".join(t.name for t in candidates)
        raise ValueError(f"priority tube(s) {missing} not among the candidates ({known})")
    first = [by_name[p.lower()] for p in policy.priority]
    rest = [t for t in candidates if t not in first]
    witness = [t for t in rest if t.is_witness]
    others = sorted((t for t in rest if not t.is_witness), key=lambda t: (t.sol or 0, t.tube_seq))
    return tuple(first + witness + others)


@dataclass(frozen=True)
class Manifest:
    """The tubes each courier can bring, in loading order, and what the rover aims at.

    ``rover_target``: how many of ``rover`` Perseverance hands over (the first ones);
    ``depot`` is the helicopters' queue, the order they fetch in. ``shared_rover_target``:
    how many of ``rover`` are among the first ``capacity`` of the whole ranking, what
    Perseverance hands over when the helicopters fly too (top-up, or sent because the
    rover is late), the depot filling the rest.
    """

    rover: tuple[Tube, ...]
    depot: tuple[Tube, ...]
    rover_target: int
    capacity: int
    top_up: bool
    shared_rover_target: int


def build_manifest(policy: SelectionPolicy, tubes: tuple[Tube, ...] | None = None) -> Manifest:
    """Split the ranking into the rover's and the depot's queues (catalog by default).

    Without top-up the rover brings the first ``capacity`` of its own tubes; with it (and
    when the helicopters are sent because the rover is late), the rover brings its tubes
    among the first ``capacity`` of the whole ranking.
    """
    ranked = rank_tubes(load_catalog() if tubes is None else tubes, policy)
    rover = tuple(t for t in ranked if t.now_at == "rover")
    depot = tuple(t for t in ranked if t.now_at == "depot")
    cap = policy.capacity_tubes
    shared = sum(1 for t in ranked[:cap] if t.now_at == "rover")
    target = shared if policy.helicopters_top_up else min(cap, len(rover))
    return Manifest(rover, depot, target, cap, policy.helicopters_top_up, shared)


def depot_tube_positions_deg(
    manifest: Manifest, layout: DepotLayout
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the depot queue's tubes (queue order), from their drop order."""
    count = max((t.depot_drop_order or 0) for t in manifest.depot) if manifest.depot else 0
    lat, lon = depot_positions_deg(layout, count)
    index = np.array([(t.depot_drop_order or 1) - 1 for t in manifest.depot], dtype=np.int64)
    return lat[index], lon[index]
