"""Re-derive msrsim's packaged elevation grid of Jezero crater from MOLA laser altimetry.

Source: the Mars Orbiter Laser Altimeter's Precision Experiment Data Records (MGS MOLA
PEDR, Smith et al. 2001, JGR 106(E10):23689; NASA Planetary Data System, Geosciences Node;
US-government data, public domain): one row per laser shot with its areocentric east
longitude and latitude (the MOLA/IAU 2000 frame of the MEGDR grids) and its ``topography``,
the planetary radius minus the MOLA areoid's, in metres. The copy read here is the PEDR
extract (the PDS Geosciences Node's PEDR query, CSV) for the 1 x 1 deg box 17.94-18.94 N,
76.95-77.95 E around Perseverance's landing site, committed as
``data_cleaning/data/perseverance_topography.csv`` to the public repository
Ya7yo7/Data_literacy_in_space (commit 657000472e8f951459f7a239d606a82220b177d5,
2025-11-06; git blob 73949e4369d42698d19d877043f373d6fdaee60a, SHA-256
4d719330e6a88a7ae315123a95fa9d465b8949dbc57e6691d7b4c4483f980413): 10,108 shots of 57
MGS orbits (1999-2001). Only NASA's shot values are used, not that repository's code.

Derivation: the shots whose trigger channel ``c`` is 1 to 3 and whose attitude flag ``A``
is 0 are kept (the MOLA team's gridded products leave channel-4 returns out: IEGDR/MEGDR
documentation; ``c`` and ``A`` as described by the PEDR2TAB label ``MOLA.LBL``); they are
triangulated (Delaunay) in a local plane (east longitude scaled by cos 18.44 deg, latitude)
and the heights interpolated linearly on each triangle onto a regular 0.02 deg grid
(:data:`LATITUDE_DEG` x :data:`EAST_LONGITUDE_DEG`, 49 x 49 nodes, all inside the shots'
convex hull), rounded to whole metres and written as int16 with the grid's axes and
provenance to ``src/msrsim/report/data/jezero_relief.npz`` (``msrsim.report.basemap.
save_relief``). This is the "triangulate and
interpolate" gridding of GMT's ``triangulate``/``surface`` family on which the MOLA
gridded products rest, without their smoothing.

Resolution: along a track the shots are ~300 m apart (168 m footprints); the 57 tracks run
nearly north-south and lie 1.0 km apart on average across the box, but up to 5.2 km where
orbits are missing, so the grid's 0.02 deg (1.1-1.2 km) resolves the crater (45 km), its
rim and the western delta front, and smooths anything smaller than the local track gap: a
basemap, not a terrain model for landing. The box ends at 77.95 E, so the eastern arc of
the 45 km rim circle (a seventh of it, reaching 77.98 E) and the map's margin beyond it
have no relief.

Usage (needs msrsim importable, numpy and scipy)::

    PYTHONPATH=src python scripts/derive_jezero_relief.py PEDR_CSV [OUT.npz]

where ``PEDR_CSV`` is the file above (``git show 6570004:data_cleaning/data/
perseverance_topography.csv`` in a clone of that repository).
"""

from __future__ import annotations

import hashlib
import math
import sys
from pathlib import Path

import numpy as np

from msrsim.report.basemap import ReliefGrid, save_relief

PEDR_SHA256 = "4d719330e6a88a7ae315123a95fa9d465b8949dbc57e6691d7b4c4483f980413"
LATITUDE_DEG = np.round(np.arange(17.96, 18.92 + 1e-9, 0.02), 2)
EAST_LONGITUDE_DEG = np.round(np.arange(76.98, 77.94 + 1e-9, 0.02), 2)
PLANE_LATITUDE_DEG = 18.44
"""Latitude whose parallel scales east longitude in the triangulation's local plane."""
SOURCE = (
    "MGS MOLA PEDR laser altimetry (Smith et al. 2001, JGR 106:23689; NASA PDS Geosciences "
    "Node), 10,108 shots of 57 orbits in 17.94-18.94 N, 76.95-77.95 E, read from the PEDR "
    "extract committed to Ya7yo7/Data_literacy_in_space (commit 6570004, "
    "data_cleaning/data/perseverance_topography.csv), triangulated and interpolated "
    "linearly to a 0.02 deg grid by scripts/derive_jezero_relief.py"
)
DATUM = "metres above the MOLA areoid (PEDR topography: planetary radius minus areoid radius)"
LICENCE = "public domain (US government MGS MOLA data, NASA Planetary Data System)"


def read_shots(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitude, east longitude (deg) and height (m) of the ground returns kept."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != PEDR_SHA256:
        raise ValueError(f"{path}: SHA-256 {digest}, expected {PEDR_SHA256} (another file?)")
    lines = path.read_text().splitlines()
    header = [name.strip() for name in lines[0].split(",")]
    rows = [line.split(",") for line in lines[1:] if line.strip()]
    column = {name: header.index(name) for name in ("long_East", "lat_North", "topography",
                                                     "c", "A")}  # fmt: skip
    values = np.array([[float(row[column[name]]) for name in column] for row in rows])
    lon, lat, height, channel, attitude = values.T
    keep = (channel >= 1) & (channel <= 3) & (attitude == 0)
    return lat[keep], lon[keep], height[keep]


def grid(lat: np.ndarray, lon: np.ndarray, height: np.ndarray) -> np.ndarray:
    """Linear interpolation on the shots' Delaunay triangles at the grid's nodes (rows
    south to north); every node must fall inside the shots' convex hull."""
    from scipy.interpolate import LinearNDInterpolator

    scale = math.cos(math.radians(PLANE_LATITUDE_DEG))
    interpolate = LinearNDInterpolator(np.column_stack([lon * scale, lat]), height)
    node_lat, node_lon = np.meshgrid(LATITUDE_DEG, EAST_LONGITUDE_DEG, indexing="ij")
    out = interpolate(node_lon * scale, node_lat)
    if not np.isfinite(out).all():
        raise ValueError(f"{np.isnan(out).sum()} grid nodes fall outside the shots' hull")
    if out.min() < -3000.0 or out.max() > -1000.0:  # Jezero and its rim lie between these
        raise ValueError(f"gridded heights {out.min():.0f}..{out.max():.0f} m are implausible")
    return out


def main(argv: list[str]) -> None:
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    out = (
        Path(argv[2])
        if len(argv) == 3
        else (Path(__file__).resolve().parents[1] / "src/msrsim/report/data/jezero_relief.npz")
    )
    lat, lon, height = read_shots(Path(argv[1]))
    relief = ReliefGrid(
        "Jezero crater and its western rim",
        LATITUDE_DEG,
        EAST_LONGITUDE_DEG,
        grid(lat, lon, height),
        SOURCE,
        DATUM,
        LICENCE,
    )
    save_relief(out, relief)
    print(f"{out}: {relief.elevation_m.shape}, {relief.elevation_m.min():.0f}.."
          f"{relief.elevation_m.max():.0f} m from {lat.size} shots")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv)
