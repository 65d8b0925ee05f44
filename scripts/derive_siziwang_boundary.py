"""Re-derive msrsim's packaged boundary of Siziwang (Dorbod) Banner, Inner Mongolia.

Source: the county-level boundary of Siziwang Banner (administrative code 150929) in
Alibaba Cloud DataV.GeoAtlas (https://datav.aliyun.com/portal/school/atlas/area_selector,
``areas_v3/bound/150929.json``; the atlas credits its boundaries to the AutoNavi/Amap
district service), as mirrored in the public repository tnnevol/gmap (file
``150929.json``, commit b248aaaefc0c13f6bd006a4dc2fa4530d2cfd9b5): one GeoJSON Feature,
a MultiPolygon of one 436-vertex ring. Neither the atlas nor the mirror states a licence:
the boundary is used here as a planning reference, not redistributed as a data set.

DataV.GeoAtlas coordinates are in GCJ-02, the obfuscated datum required of Chinese
online maps, which lies ~0.3-0.6 km from WGS 84 here. Derivation: the ring is taken
from GCJ-02 to WGS 84 by inverting the public GCJ-02 forward transform (the Krasovsky
ellipsoid formulae as published in googollee/eviltransform, MIT licence) by fixed-point
iteration to 1e-9 deg, simplified by Douglas-Peucker on the equirectangular plane about
the ring's mean latitude with a 0.25 km tolerance (a boundary drawn from a web atlas is
not known better), rounded to 1e-4 deg (~10 m) and written as
``src/msrsim/segments/data/siziwang_boundary.csv``.

Usage (numpy only)::

    python scripts/derive_siziwang_boundary.py 150929.json [OUT.csv]
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

TOLERANCE_KM = 0.25
EARTH_RADIUS_KM = 6371.0088
SOURCE = (
    "Siziwang (Dorbod) Banner, Inner Mongolia, administrative boundary (adcode 150929): from "
    "Alibaba Cloud DataV.GeoAtlas (areas_v3, boundaries credited to AutoNavi/Amap) as "
    "mirrored in github.com/tnnevol/gmap 150929.json (commit b248aaa); no licence stated by "
    "either (used as a planning reference); GCJ-02 taken to WGS 84 by inverting the "
    "eviltransform forward formulae, Douglas-Peucker simplified to 0.25 km by "
    "scripts/derive_siziwang_boundary.py. The banner is the Shenzhou and Chang'e-5 landing "
    "region, not a published landing-zone boundary."
)

_A = 6378245.0  # Krasovsky 1940 semi-major axis (m), as GCJ-02 uses
_EE = 0.00669342162296594323  # its first eccentricity squared


def _offset_deg(lat, lon):
    """The GCJ-02 offset (dlat, dlon in degrees) at a WGS 84 point (eviltransform)."""
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += common + (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * math.pi) + 320.0 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon += common + (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad) ** 2
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * np.sqrt(magic)) * math.pi)
    dlon = dlon * 180.0 / (_A / np.sqrt(magic) * np.cos(rad) * math.pi)
    return dlat, dlon


def gcj02_to_wgs84(lat, lon):
    """WGS 84 points whose GCJ-02 images are ``lat, lon`` (fixed-point iteration)."""
    wlat, wlon = np.array(lat, np.float64), np.array(lon, np.float64)
    for _ in range(50):
        dlat, dlon = _offset_deg(wlat, wlon)
        new_lat, new_lon = lat - dlat, lon - dlon
        done = max(np.max(np.abs(new_lat - wlat)), np.max(np.abs(new_lon - wlon))) < 1e-9
        wlat, wlon = new_lat, new_lon
        if done:
            return wlat, wlon
    raise RuntimeError("GCJ-02 inversion did not converge")


def douglas_peucker(x, y, tolerance):
    """Indices kept by Douglas-Peucker on the open polyline ``x, y``."""
    keep = np.zeros(x.size, bool)
    keep[[0, -1]] = True
    stack = [(0, x.size - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        dx, dy = x[j] - x[i], y[j] - y[i]
        span = math.hypot(dx, dy)
        px, py = x[i + 1 : j] - x[i], y[i + 1 : j] - y[i]
        dist = np.abs(dx * py - dy * px) / span if span > 0 else np.hypot(px, py)
        k = int(np.argmax(dist))
        if dist[k] > tolerance:
            keep[i + 1 + k] = True
            stack += [(i, i + 1 + k), (i + 1 + k, j)]
    return np.flatnonzero(keep)


def derive(geojson: Path) -> tuple[np.ndarray, np.ndarray]:
    """The simplified WGS 84 ring (latitude, east longitude in degrees), not closed."""
    features = json.loads(geojson.read_text("utf-8"))
    (feature,) = [f for f in features if f["properties"]["adcode"] == 150929]
    polygons = feature["geometry"]["coordinates"]
    ring = np.array(max((p[0] for p in polygons), key=len), np.float64)
    if np.array_equal(ring[0], ring[-1]):
        ring = ring[:-1]
    lat, lon = gcj02_to_wgs84(ring[:, 1], ring[:, 0])
    scale = math.radians(EARTH_RADIUS_KM)
    x = lon * math.cos(math.radians(float(lat.mean()))) * scale
    y = lat * scale
    # Split the closed ring at its farthest vertex from the first so both halves are open.
    far = int(np.argmax(np.hypot(x - x[0], y - y[0])))
    first = douglas_peucker(x[: far + 1], y[: far + 1], TOLERANCE_KM)
    idx = np.r_[0 : lat.size, 0]
    second = far + douglas_peucker(x[idx[far:]], y[idx[far:]], TOLERANCE_KM)
    kept = np.unique(np.r_[first, second[:-1]] % lat.size)
    return np.round(lat[kept], 4), np.round(lon[kept], 4)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("geojson", type=Path, help="DataV.GeoAtlas 150929.json")
    parser.add_argument("out", type=Path, nargs="?", default=Path(__file__).resolve().parents[1]
                        / "src/msrsim/segments/data/siziwang_boundary.csv")  # fmt: skip
    args = parser.parse_args()
    lat, lon = derive(args.geojson)
    rows = [f"# {SOURCE}", "latitude_deg,east_longitude_deg"]
    rows += [f"{a:.4f},{b:.4f}" for a, b in zip(lat, lon, strict=True)]
    args.out.write_text("\n".join(rows) + "\n", "utf-8")
    print(f"{args.out}: {lat.size} vertices")


if __name__ == "__main__":
    main()
