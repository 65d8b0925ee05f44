"""Terrain under the landing maps: a packaged elevation grid, its shaded relief and contours.

A :class:`ReliefGrid` is a regular latitude-longitude grid of heights read from package data
(``msrsim/report/data/*.npz``: int16 metres, the two axes, and the product's source, vertical
datum and licence as strings). The maps draw it as a grey shaded relief (:func:`hillshade`)
under round-numbered contour lines; :meth:`ReliefGrid.window` cuts it to a map's extent so a
report carries only the part it shows.

Packaged grids
--------------
``uttr_relief.npz``: the Utah Test and Training Range and its surroundings, 39.30-41.30 N,
114.60-112.40 W every 0.02 deg (101 x 111 nodes), from SRTM30_PLUS (Becker et al. 2009,
Marine Geodesy 32:355; land heights are the USGS SRTM30 30-arc-second grid, metres above the
EGM96 geoid; public domain), resampled from its zoom-6 Web Mercator tiling (~1.9 km pixels)
by ``scripts/derive_uttr_relief.py``, which re-derives it and says how. Checked against the
FAA's published field elevations of Wendover (KENV) and Michael Army Airfield, Dugway
(KDPG) in ``tests/report/test_basemap.py``. Summits are lowered by the ~2 km averaging
(Deseret Peak, 3362 m, reads ~2800 m): a basemap, not a terrain model for flight.

``jezero_relief.npz``: Jezero crater, 17.96-18.92 N, 76.98-77.94 E every 0.02 deg (49 x 49
nodes), from MGS MOLA PEDR laser altimetry (Smith et al. 2001, JGR 106:23689; metres above
the MOLA areoid; public domain): the 10,107 ground shots of 57 orbits in the 1 x 1 deg box
about Perseverance's landing site, triangulated and interpolated linearly by
``scripts/derive_jezero_relief.py``, which says where the shots were read and how. Tracks
lie 1 km apart on average and up to 5.2 km where orbits are missing, so the grid resolves
the crater, its rim and the delta front, not features smaller than the track gap. Checked
against the published elevations of the landing site and the crater floor, and the rim's
position, in ``tests/report/test_basemap.py``. The shots end at 77.95 E: the eastern arc of
the 45 km rim circle (a seventh of it, up to 2.5 km past the grid's 77.94 E) and the map's
margin east of it have no relief.

References
----------
Burrough, P. A. & McDonnell, R. A. (1998), *Principles of Geographical Information Systems*,
Oxford University Press, ch. 8 (slope, aspect and analytical hillshading).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

UTAH_RELIEF = "uttr_relief.npz"
"""The packaged grid under the Earth-landing map."""
JEZERO_RELIEF = "jezero_relief.npz"
"""The packaged grid under the Mars-landing map."""
NO_RELIEF = "no packaged relief covers this range: boundary and scale only"
"""A landing map's credit where no packaged grid reaches it (a range other than Utah's)."""

SUN_AZIMUTH_DEG = 315.0
"""Cartographic convention: light from the north-west, so relief does not read inverted."""
SUN_ALTITUDE_DEG = 45.0
RELIEF_EXAGGERATION = 3.0
"""Vertical exaggeration of the drawn relief: the ~2 km grid flattens slopes, and a z-factor
of a few is usual for small-scale shaded relief (a display choice; heights are not scaled)."""


@dataclass(frozen=True)
class ReliefGrid:
    """Heights on a regular grid: ``elevation_m[i, j]`` at ``latitude_deg[i]``,
    ``east_longitude_deg[j]`` (both ascending, degrees), with the product's provenance."""

    name: str
    latitude_deg: np.ndarray
    east_longitude_deg: np.ndarray
    elevation_m: np.ndarray
    source: str
    datum: str
    licence: str

    def elevation_at(self, latitude_deg, east_longitude_deg) -> np.ndarray:
        """Bilinear interpolation of the heights (m) at the points; NaN outside the grid."""
        lat = np.asarray(latitude_deg, dtype=np.float64)
        lon = np.asarray(east_longitude_deg, dtype=np.float64)
        fi = np.interp(lat, self.latitude_deg, np.arange(self.latitude_deg.size),
                       left=np.nan, right=np.nan)  # fmt: skip
        fj = np.interp(lon, self.east_longitude_deg, np.arange(self.east_longitude_deg.size),
                       left=np.nan, right=np.nan)  # fmt: skip
        inside = np.isfinite(fi) & np.isfinite(fj)
        i0 = np.clip(np.floor(np.where(inside, fi, 0)).astype(int), 0, self.latitude_deg.size - 2)
        j0 = np.clip(
            np.floor(np.where(inside, fj, 0)).astype(int), 0, self.east_longitude_deg.size - 2
        )
        ti, tj = np.where(inside, fi, 0) - i0, np.where(inside, fj, 0) - j0
        z = self.elevation_m
        value = (z[i0, j0] * (1 - ti) * (1 - tj) + z[i0, j0 + 1] * (1 - ti) * tj
                 + z[i0 + 1, j0] * ti * (1 - tj) + z[i0 + 1, j0 + 1] * ti * tj)  # fmt: skip
        return np.where(inside, value, np.nan)

    def window(self, lat_range, lon_range) -> ReliefGrid | None:
        """The part of the grid over ``lat_range`` x ``lon_range`` (deg), one node of margin
        on each side; None where the two do not overlap by at least 3 x 3 nodes."""
        rows = _span_index(self.latitude_deg, *lat_range)
        cols = _span_index(self.east_longitude_deg, *lon_range)
        if rows.stop - rows.start < 3 or cols.stop - cols.start < 3:
            return None
        return ReliefGrid(
            self.name,
            self.latitude_deg[rows],
            self.east_longitude_deg[cols],
            self.elevation_m[rows, cols],
            self.source,
            self.datum,
            self.licence,
        )

    def hillshade(self, radius_m: float, exaggeration: float = RELIEF_EXAGGERATION) -> np.ndarray:
        """:func:`hillshade` of the grid's heights times ``exaggeration``, its node spacing
        converted to metres on a sphere of ``radius_m`` (east spacing shrinking with the
        cosine of latitude)."""
        dy = math.radians(float(np.mean(np.diff(self.latitude_deg)))) * radius_m
        dx = (math.radians(float(np.mean(np.diff(self.east_longitude_deg)))) * radius_m
              * np.cos(np.radians(self.latitude_deg)))  # fmt: skip
        return hillshade(exaggeration * self.elevation_m, dx[:, None], dy)


def _span_index(axis: np.ndarray, low: float, high: float) -> slice:
    start = max(int(np.searchsorted(axis, min(low, high), side="right")) - 2, 0)
    stop = min(int(np.searchsorted(axis, max(low, high), side="left")) + 2, axis.size)
    return slice(start, max(start, stop))


def hillshade(elevation_m, dx_m, dy_m, azimuth_deg: float = SUN_AZIMUTH_DEG,
              altitude_deg: float = SUN_ALTITUDE_DEG) -> np.ndarray:  # fmt: skip
    """Analytical hillshading of a height grid (rows northward, columns eastward): the
    cosine of the angle between the surface normal and the direction to a distant sun at
    ``azimuth_deg`` (clockwise from north) and ``altitude_deg`` above the horizon, clipped
    at 0 (self-shadowed slopes black).

    ``cos i = cos Z cos S + sin Z sin S cos(A - phi)`` with ``Z`` the sun's zenith angle,
    ``S`` the slope, ``A`` the sun's azimuth and ``phi`` the azimuth of steepest descent
    (Burrough & McDonnell 1998, ch. 8); the gradient by second-order central differences
    (one-sided at the edges). ``dx_m`` may vary by row (broadcast against the grid).
    """
    z = np.asarray(elevation_m, dtype=np.float64)
    dz_dnorth = np.gradient(z, axis=0) / dy_m
    dz_deast = np.gradient(z, axis=1) / dx_m
    slope = np.arctan(np.hypot(dz_deast, dz_dnorth))
    descent_azimuth = np.arctan2(-dz_deast, -dz_dnorth)  # clockwise from north
    zenith = math.radians(90.0 - altitude_deg)
    azimuth = math.radians(azimuth_deg)
    shade = math.cos(zenith) * np.cos(slope) + math.sin(zenith) * np.sin(slope) * np.cos(
        azimuth - descent_azimuth
    )
    return np.clip(shade, 0.0, 1.0)


def contour_levels(elevation_m: np.ndarray, lines: int = 8) -> np.ndarray:
    """Round contour heights (m) strictly inside the grid's range, about ``lines`` of them:
    the lowest level lies above the flattest basin floor, where a contour would only trace
    noise."""
    from msrsim.report.plots import nice_levels

    low, high = float(np.nanmin(elevation_m)), float(np.nanmax(elevation_m))
    levels = nice_levels(low, high, bins=lines)
    return levels[(levels > low + 0.02 * (high - low)) & (levels < high)]


def save_relief(path, grid: ReliefGrid) -> None:
    """Write ``grid`` as :func:`load_relief` reads it: the heights rounded to whole metres
    (int16), the two axes and the four strings, compressed (``scripts/derive_*_relief.py``)."""
    elevation = np.rint(grid.elevation_m)
    if elevation.min() < np.iinfo(np.int16).min or elevation.max() > np.iinfo(np.int16).max:
        raise ValueError(f"{grid.name}: heights beyond int16 metres")
    np.savez_compressed(
        path,
        elevation_m=elevation.astype(np.int16),
        latitude_deg=np.asarray(grid.latitude_deg, dtype=np.float64),
        east_longitude_deg=np.asarray(grid.east_longitude_deg, dtype=np.float64),
        name=np.array(grid.name),
        source=np.array(grid.source),
        datum=np.array(grid.datum),
        licence=np.array(grid.licence),
    )


@lru_cache(maxsize=4)
def load_relief(filename: str = UTAH_RELIEF) -> ReliefGrid:
    """A packaged grid from ``msrsim/report/data`` (read once per process)."""
    data = resources.files("msrsim.report").joinpath("data", filename)
    with data.open("rb") as stream, np.load(stream, allow_pickle=False) as npz:
        grid = ReliefGrid(
            name=str(npz["name"]),
            latitude_deg=np.array(npz["latitude_deg"], dtype=np.float64),
            east_longitude_deg=np.array(npz["east_longitude_deg"], dtype=np.float64),
            elevation_m=np.array(npz["elevation_m"], dtype=np.float64),
            source=str(npz["source"]),
            datum=str(npz["datum"]),
            licence=str(npz["licence"]),
        )
    for array in (grid.latitude_deg, grid.east_longitude_deg, grid.elevation_m):
        array.flags.writeable = False  # shared by every caller through the cache
    return grid


def draw_relief(ax, grid: ReliefGrid, radius_m: float, lines: int = 8) -> np.ndarray | None:
    """Shaded relief (grey, under everything) and labelled contours of ``grid`` on a
    matplotlib longitude-latitude axes whose limits are set. Returns the contour levels
    drawn (m), or None where the grid does not reach the axes."""
    part = grid.window(ax.get_ylim(), ax.get_xlim())
    if part is None:
        return None
    lon, lat = part.east_longitude_deg, part.latitude_deg
    step_lon, step_lat = np.diff(lon).mean() / 2, np.diff(lat).mean() / 2
    ax.imshow(
        part.hillshade(radius_m),
        extent=(lon[0] - step_lon, lon[-1] + step_lon, lat[0] - step_lat, lat[-1] + step_lat),
        origin="lower",
        cmap="gray",
        vmin=0.0,
        vmax=1.0,
        alpha=0.55,
        interpolation="bilinear",
        aspect=ax.get_aspect(),  # imshow would otherwise reset the map's aspect
        zorder=0,
    )
    levels = contour_levels(part.elevation_m, lines)
    if levels.size:
        drawn = ax.contour(lon, lat, part.elevation_m, levels=levels, colors="saddlebrown",
                           linewidths=0.5, alpha=0.55, zorder=0.5)  # fmt: skip
        ax.clabel(drawn, fmt="%d m", fontsize=6, inline_spacing=2)
    return levels


def relief_caption(grid: ReliefGrid, levels: np.ndarray | None) -> str:
    """A figure's credit line for the relief :func:`draw_relief` drew (its ``levels``):
    the contour interval and the product's name; empty where nothing was drawn."""
    if levels is None or levels.size < 2:
        return ""
    return f"relief, {np.diff(levels).min():g} m contours: {grid.source.split(' (')[0]}"


def relief_traces(go, grid: ReliefGrid, lat_range, lon_range, radius_m: float,
                  lines: int = 8) -> list:  # fmt: skip
    """Plotly traces of the relief over a map of ``lat_range`` x ``lon_range`` (deg): a grey
    shaded-relief heatmap (hover: the height) and contour lines labelled in metres; none
    where the grid does not reach the map. Add them before the map's other traces."""
    part = grid.window(lat_range, lon_range)
    if part is None:
        return []
    lon = np.round(part.east_longitude_deg, 4).tolist()
    lat = np.round(part.latitude_deg, 4).tolist()
    height = np.rint(part.elevation_m).astype(int).tolist()
    levels = contour_levels(part.elevation_m, lines)
    step = float(np.diff(levels).min()) if levels.size > 1 else 100.0
    short = part.source.split(" (")[0]
    traces = [
        go.Heatmap(
            x=lon,
            y=lat,
            z=np.round(part.hillshade(radius_m), 3).tolist(),
            customdata=height,
            colorscale="Greys",
            reversescale=True,
            zmin=0.0,
            zmax=1.0,
            opacity=0.45,
            showscale=False,
            name=f"shaded relief ({short})",
            hovertemplate="%{customdata} m<extra>" + short + "</extra>",
        )
    ]
    if levels.size:
        traces.append(
            go.Contour(
                x=lon,
                y=lat,
                z=height,
                contours={"coloring": "none", "showlabels": True, "start": float(levels[0]),
                          "end": float(levels[-1]), "size": step,
                          "labelfont": {"size": 9, "color": "saddlebrown"}},
                line={"color": "rgba(139,69,19,0.55)", "width": 0.8},
                showscale=False,
                hoverinfo="skip",
                name=f"contours every {step:g} m",
                showlegend=False,
            )
        )  # fmt: skip
    return traces
