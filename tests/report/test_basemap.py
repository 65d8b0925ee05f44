"""report.basemap: the packaged Utah elevation grid against published heights and summit
positions, the hillshade against the geometry of a lit plane, and the relief on the Earth
landing map (PNG and plotly)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from msrsim.core.bodies import EARTH
from msrsim.core.flight import HISTORY_COLUMNS
from msrsim.core.frames import geodetic_to_cartesian
from msrsim.report.basemap import ReliefGrid, hillshade, load_relief, relief_traces
from msrsim.segments.landing_range import UTTR

FT = 0.3048

# FAA Airport Master Records (form 5010): field elevation, airport reference point
AIRFIELDS = {
    "Wendover KENV": (40.7187, -114.0308, 4237 * FT),
    "Michael Army Airfield, Dugway KDPG": (40.1994, -112.9372, 4349 * FT),
}
FIELD_TOLERANCE_M = 15.0  # SRTM30 over flat ground: a few m; the ~2 km cell averages a little

# USGS GNIS / NGS summits: the ~2 km grid lowers them, but its highest node nearby must sit on
# them, which checks that the tiles were placed right (one tile pixel is ~0.02 deg)
SUMMITS = {
    "Deseret Peak": (40.4594, -112.6264),
    "Ibapah Peak": (39.8282, -113.9196),
    "Pilot Peak": (41.0213, -114.0777),
}
SUMMIT_POSITION_DEG = 0.05


@pytest.fixture(scope="module")
def utah() -> ReliefGrid:
    return load_relief()


def test_the_packaged_grid_loads_with_its_provenance(utah):
    assert utah.elevation_m.shape == (utah.latitude_deg.size, utah.east_longitude_deg.size)
    assert np.all(np.diff(utah.latitude_deg) > 0) and np.all(np.diff(utah.east_longitude_deg) > 0)
    assert "SRTM30_PLUS" in utah.source and "derive_uttr_relief.py" in utah.source
    assert "EGM96" in utah.datum and "public domain" in utah.licence
    assert not utah.elevation_m.flags.writeable  # shared through the cache


def test_the_grid_covers_the_range_and_the_map_around_it(utah):
    margin = 0.3  # the Utah map's padding around the boundary
    assert utah.latitude_deg[0] <= UTTR.latitude_deg.min() - margin
    assert utah.latitude_deg[-1] >= UTTR.latitude_deg.max() + margin
    assert utah.east_longitude_deg[0] <= UTTR.east_longitude_deg.min() - margin
    assert utah.east_longitude_deg[-1] >= UTTR.east_longitude_deg.max() + margin
    # Utah's land: from the Great Salt Lake Desert (~1280 m) to the ranges (< 3700 m)
    assert 1200.0 < utah.elevation_m.min() < 1300.0 and utah.elevation_m.max() < 3700.0
    inside = UTTR.contains(*np.meshgrid(utah.latitude_deg, utah.east_longitude_deg, indexing="ij"))
    assert np.median(utah.elevation_m[inside]) == pytest.approx(1300.0, abs=50.0)


@pytest.mark.parametrize("name", sorted(AIRFIELDS))
def test_published_field_elevations(utah, name):
    lat, lon, published_m = AIRFIELDS[name]
    assert float(utah.elevation_at(lat, lon)) == pytest.approx(published_m, abs=FIELD_TOLERANCE_M)


@pytest.mark.parametrize("name", sorted(SUMMITS))
def test_summits_are_where_published(utah, name):
    lat, lon = SUMMITS[name]
    near = (np.abs(utah.latitude_deg[:, None] - lat) < 0.15) & (
        np.abs(utah.east_longitude_deg[None, :] - lon) < 0.15
    )
    i, j = np.unravel_index(np.argmax(np.where(near, utah.elevation_m, -np.inf)), near.shape)
    assert abs(utah.latitude_deg[i] - lat) <= SUMMIT_POSITION_DEG
    assert abs(utah.east_longitude_deg[j] - lon) <= SUMMIT_POSITION_DEG
    assert utah.elevation_m[i, j] > 2500.0


def test_elevation_at_interpolates_nodes_and_is_nan_outside(utah):
    i, j = 40, 57
    node = utah.elevation_at(utah.latitude_deg[i], utah.east_longitude_deg[j])
    assert float(node) == utah.elevation_m[i, j]
    mid = utah.elevation_at(
        0.5 * (utah.latitude_deg[i] + utah.latitude_deg[i + 1]), utah.east_longitude_deg[j]
    )
    assert float(mid) == pytest.approx(0.5 * (utah.elevation_m[i, j] + utah.elevation_m[i + 1, j]))
    assert np.isnan(utah.elevation_at([10.0, 40.0], [-113.0, 0.0])).all()


def test_window_cuts_with_a_margin_and_none_without_overlap(utah):
    part = utah.window((40.0, 40.5), (-113.8, -113.2))
    assert part.latitude_deg[0] < 40.0 < 40.5 < part.latitude_deg[-1]
    assert part.east_longitude_deg[0] < -113.8 < -113.2 < part.east_longitude_deg[-1]
    assert part.elevation_m.shape == (part.latitude_deg.size, part.east_longitude_deg.size)
    assert part.latitude_deg.size < 40 and part.source == utah.source
    assert utah.window((18.0, 19.0), (77.0, 78.0)) is None  # Jezero is not in Utah


@pytest.mark.parametrize(
    ("east_slope", "north_slope", "azimuth_deg", "altitude_deg"),
    [(0.0, 0.0, 315.0, 45.0), (0.3, -0.2, 315.0, 45.0), (-0.5, 0.1, 200.0, 30.0),
     (1.2, 0.7, 45.0, 60.0), (0.0, 2.0, 0.0, 20.0)],
)  # fmt: skip
def test_hillshade_of_a_plane_is_the_cosine_of_the_incidence(
    east_slope, north_slope, azimuth_deg, altitude_deg
):
    """Independent check: the dot product of the plane's unit normal and the unit vector
    to the sun, both built in east-north-up coordinates."""
    dx, dy = 120.0, 90.0
    north, east = np.meshgrid(np.arange(6) * dy, np.arange(7) * dx, indexing="ij")
    z = east_slope * east + north_slope * north
    normal = np.array([-east_slope, -north_slope, 1.0]) / math.hypot(east_slope, north_slope, 1)
    a, h = math.radians(azimuth_deg), math.radians(altitude_deg)
    sun = np.array([math.sin(a) * math.cos(h), math.cos(a) * math.cos(h), math.sin(h)])
    expected = max(float(normal @ sun), 0.0)
    shade = hillshade(z, dx, dy, azimuth_deg, altitude_deg)
    np.testing.assert_allclose(shade, expected, atol=1e-12)


def test_hillshade_spacing_follows_the_latitude(utah):
    """East spacing shrinks with cos(latitude): a grid shaded with the true spacing differs
    from one shaded as if it lay on the equator."""
    part = utah.window((40.0, 40.6), (-114.2, -113.6))
    radius = EARTH.mean_radius.value
    shade = part.hillshade(radius, exaggeration=1.0)
    assert 0.0 <= shade.min() < shade.max() <= 1.0
    equator = hillshade(part.elevation_m, math.radians(0.02) * radius, math.radians(0.02) * radius)
    assert np.abs(shade - equator).max() > 0.01


def test_relief_traces_for_the_plotly_map(utah):
    go = pytest.importorskip("plotly.graph_objects")
    traces = relief_traces(go, utah, (39.6, 41.0), (-114.1, -112.9), EARTH.mean_radius.value)
    heat, lines = traces
    assert heat.type == "heatmap" and "SRTM30_PLUS" in heat.name
    assert lines.type == "contour" and lines.contours.coloring == "none"
    assert np.shape(heat.z) == (len(heat.y), len(heat.x)) == np.shape(heat.customdata)
    assert 1400.0 <= lines.contours.start < lines.contours.end <= 3400.0
    assert "Range" not in heat.name + lines.name and "rim" not in heat.name + lines.name
    assert relief_traces(go, utah, (18.0, 19.0), (77.0, 78.0), 3389.5e3) == []


def _fake_entry_result(n: int = 200):
    """What ``footprint_map`` reads of an Earth entry, around the baseline's target."""
    rng = np.random.default_rng(1)
    lat0, lon0 = 40.37, -113.52
    lat = np.radians(lat0 + 0.05 * rng.standard_normal(n))
    lon = np.radians(lon0 + 0.08 * rng.standard_normal(n))
    col = {name: i for i, name in enumerate(HISTORY_COLUMNS)}
    track = np.full((1, 20, len(HISTORY_COLUMNS)), np.nan)
    track[0, :, col["time_s"]] = np.arange(20.0)
    xyz = geodetic_to_cartesian(
        np.radians(np.linspace(40.6, lat0, 20)), np.radians(np.linspace(-114.4, lon0, 20)),
        np.linspace(120e3, 0.0, 20), EARTH,
    )  # fmt: skip
    track[0, :, [col["x_m"], col["y_m"], col["z_m"]]] = xyz.T
    ellipse = SimpleNamespace(semi_major_m=15e3, semi_minor_m=5e3, major_axis_azimuth_rad=1.2,
                              centre_latitude_rad=math.radians(lat0),
                              centre_longitude_rad=math.radians(lon0))  # fmt: skip
    footprint = SimpleNamespace(
        entries=SimpleNamespace(flight=SimpleNamespace(status=np.zeros(n, np.int8)),
                                landing_latitude_rad=lat, landing_longitude_rad=lon),
        ellipse=ellipse, nominal=SimpleNamespace(flight=SimpleNamespace(history=track)),
    )  # fmt: skip
    return SimpleNamespace(
        footprint=footprint,
        landing_range=UTTR,
        target=SimpleNamespace(latitude_deg=lat0, east_longitude_deg=lon0),
        inside_range=UTTR.contains(np.degrees(lat), np.degrees(lon)),
    )


def test_the_footprint_png_draws_the_relief_and_a_scale_bar(tmp_path, monkeypatch):
    import msrsim.report.entry_plots as entry_plots

    drawn = {}
    real_relief, real_bar = entry_plots.draw_relief, entry_plots.add_scale_bar

    def relief(ax, grid, radius_m):
        drawn["levels"] = real_relief(ax, grid, radius_m)
        drawn["images"] = len(ax.images)
        return drawn["levels"]

    def bar(ax, radius_km, **kwargs):
        drawn["bar_km"] = real_bar(ax, radius_km, **kwargs)
        return drawn["bar_km"]

    monkeypatch.setattr(entry_plots, "draw_relief", relief)
    monkeypatch.setattr(entry_plots, "add_scale_bar", bar)
    path = entry_plots.footprint_map(_fake_entry_result(), tmp_path / "entry_footprint.png")
    assert path.stat().st_size > 20_000
    assert drawn["images"] == 1 and drawn["levels"].size >= 3
    assert drawn["bar_km"] == 20.0
