"""Re-derive msrsim's packaged elevation grid of the Utah Test and Training Range.

Source: SRTM30_PLUS (Becker, Sandwell et al. 2009, Marine Geodesy 32:355; Scripps
Institution of Oceanography), whose land heights are an exact copy of the USGS SRTM30
30-arc-second grid: metres above the EGM96 geoid, public domain ("All data are derived
from public domain sources and these data are also in the public domain", the product's
README). The copy read here is the zoom-6 slippy-map (TMS/XYZ, spherical Web Mercator)
tiling of SRTM30_PLUS in the public repository jaanga/terrain-srtm30-plus-data-tms-1-7
(commit 192e31ed02fae72b3f2391edcecc726754e62226, 2015-04-18): 256 x 256 RGBA PNG tiles
``6/{x}/{y}.png`` holding the height in metres as a signed 24-bit integer
``R + 256 G + 65536 B`` (two's complement; blue is 0 over land).

Derivation: the tiles x = 11..12, y = 23..24 are decoded, each pixel is placed at the
Web Mercator position of its centre, and the heights are interpolated bilinearly (in
longitude and Mercator northing) onto a regular 0.02 deg latitude-longitude grid
(39.30..41.30 N, 114.60..112.40 W; 101 x 111 nodes), rounded to whole metres and written
as int16 with the grid's axes and provenance to ``src/msrsim/report/data/uttr_relief.npz``.
A zoom-6 pixel is 0.022 deg of longitude (1.9 km) by ~0.017 deg of latitude at 40 N, so
the 0.02 deg grid keeps what the tiles hold and no more.

Usage (needs msrsim importable, numpy and Pillow)::

    PYTHONPATH=src python scripts/derive_uttr_relief.py TILE_ROOT [OUT.npz]

where ``TILE_ROOT`` holds ``6/11/23.png`` etc. (a checkout of the repository above).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

from msrsim.report.basemap import ReliefGrid, save_relief

ZOOM = 6
TILE_PX = 256
TILES_X = (11, 12)
TILES_Y = (23, 24)
LATITUDE_DEG = np.round(np.arange(39.30, 41.30 + 1e-9, 0.02), 2)
EAST_LONGITUDE_DEG = np.round(np.arange(-114.60, -112.40 + 1e-9, 0.02), 2)
SOURCE = (
    "SRTM30_PLUS (Becker et al. 2009, Marine Geodesy 32:355; Scripps Institution of "
    "Oceanography), land heights = USGS SRTM30 30-arc-second grid; read from the zoom-6 "
    "Web Mercator PNG tiles 6/11-12/23-24 of jaanga/terrain-srtm30-plus-data-tms-1-7 "
    "(commit 192e31e) and resampled bilinearly to a 0.02 deg grid by "
    "scripts/derive_uttr_relief.py"
)
DATUM = "metres above the EGM96 geoid (SRTM30 heights)"
LICENCE = "public domain (US government SRTM data; SRTM30_PLUS README: 'also in the public domain')"


def decode_tile(path: Path) -> np.ndarray:
    """Heights (m) of one tile: signed 24-bit ``R + 256 G + 65536 B``."""
    from PIL import Image

    rgba = np.asarray(Image.open(path).convert("RGBA"), dtype=np.int64)
    if rgba.shape != (TILE_PX, TILE_PX, 4):
        raise ValueError(f"{path}: a {rgba.shape} image, expected {TILE_PX} x {TILE_PX} RGBA")
    value = rgba[..., 0] + 256 * rgba[..., 1] + 65536 * rgba[..., 2]
    return np.where(value >= 2**23, value - 2**24, value).astype(np.float64)


def mosaic(root: Path) -> np.ndarray:
    """The tiles side by side: rows north to south, columns west to east."""
    rows = [
        np.hstack([decode_tile(root / str(ZOOM) / str(x) / f"{y}.png") for x in TILES_X])
        for y in TILES_Y
    ]
    return np.vstack(rows)


def mercator_pixel(latitude_deg, east_longitude_deg):
    """Fractional (row, column) in the mosaic of a point; pixel centres at whole numbers."""
    world = TILE_PX * 2**ZOOM
    column = (np.asarray(east_longitude_deg) + 180.0) / 360.0 * world
    phi = np.radians(np.asarray(latitude_deg))
    row = (1.0 - np.log(np.tan(phi) + 1.0 / np.cos(phi)) / math.pi) / 2.0 * world
    return row - TILES_Y[0] * TILE_PX - 0.5, column - TILES_X[0] * TILE_PX - 0.5


def resample(heights: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of the mosaic onto the output grid (rows south to north)."""
    lat, lon = np.meshgrid(LATITUDE_DEG, EAST_LONGITUDE_DEG, indexing="ij")
    row, column = mercator_pixel(lat, lon)
    r0, c0 = np.floor(row).astype(int), np.floor(column).astype(int)
    if (
        r0.min() < 0
        or c0.min() < 0
        or r0.max() + 1 >= heights.shape[0]
        or (c0.max() + 1 >= heights.shape[1])
    ):
        raise ValueError("the output grid reaches beyond the tiles read")
    tr, tc = row - r0, column - c0
    out = (
        heights[r0, c0] * (1 - tr) * (1 - tc)
        + heights[r0, c0 + 1] * (1 - tr) * tc
        + heights[r0 + 1, c0] * tr * (1 - tc)
        + heights[r0 + 1, c0 + 1] * tr * tc
    )
    if out.min() < 0.0 or out.max() > 4500.0:  # Utah's land lies between these
        raise ValueError(f"decoded heights {out.min():.0f}..{out.max():.0f} m are implausible")
    return out


def main(argv: list[str]) -> None:
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    root = Path(argv[1])
    out = (
        Path(argv[2])
        if len(argv) == 3
        else (Path(__file__).resolve().parents[1] / "src/msrsim/report/data/uttr_relief.npz")
    )
    relief = ReliefGrid(
        "Utah Test and Training Range and surroundings",
        LATITUDE_DEG,
        EAST_LONGITUDE_DEG,
        resample(mosaic(root)),
        SOURCE,
        DATUM,
        LICENCE,
    )
    save_relief(out, relief)
    print(f"{out}: {relief.elevation_m.shape}, {relief.elevation_m.min():.0f}.."
          f"{relief.elevation_m.max():.0f} m")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv)
