"""Jezero crater on a map: its published geography, rim clearance of landing points, and
the local 99 % landing ellipse on Mars' mean sphere.

Geometry is on a sphere of Mars' mean radius (3389.5 km, IAU WGCCRE 2015): great-circle
distances (haversine) and a local east-north plane for the ellipse. Landing points of
:class:`msrsim.segments.edl.EdlResult` are planetodetic (normal to the IAU ellipsoid);
the published coordinates of Jezero are planetocentric (IAU/USGS Gazetteer, Mars 2000
frame); at 18 deg N they differ by 0.2 deg (~12 km), so landing latitudes are converted
(``tan(phi_c) = (1 - f)^2 tan(phi_d)``) before anything is measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from msrsim.core.bodies import MARS

MARS_MEAN_RADIUS_M = MARS.mean_radius.value  # 3389.5 km (IAU WGCCRE 2015)
MARS_FLATTENING = 1.0 - MARS.polar_radius.value / MARS.equatorial_radius.value
ELLIPSE_PROBABILITY = 0.99
CHI2_2DOF_99 = -2.0 * math.log(1.0 - ELLIPSE_PROBABILITY)  # 9.21: chi-square, 2 dof, 99 %


@dataclass(frozen=True)
class JezeroMap:
    """Published geography of Jezero crater (planetocentric latitude, east longitude, deg).

    The crater rim is drawn as a circle of the nomenclature diameter about the centre: the
    real rim is irregular (breached by Neretva Vallis to the west and by the outlet to the
    east), so the clearance to this circle is an estimate to about a kilometre.
    """

    crater_latitude_deg: float
    crater_longitude_deg: float
    crater_diameter_km: float
    landing_site_name: str
    landing_latitude_deg: float
    landing_longitude_deg: float
    source: str

    @property
    def crater_radius_km(self) -> float:
        return self.crater_diameter_km / 2.0


JEZERO = JezeroMap(
    crater_latitude_deg=18.38,
    crater_longitude_deg=77.58,
    crater_diameter_km=45.0,
    landing_site_name="Octavia E. Butler Landing",
    landing_latitude_deg=18.4447,
    landing_longitude_deg=77.4508,
    source=(
        "Jezero: centre 18.38 N, 77.58 E, diameter 45.0 km, IAU/USGS Gazetteer of Planetary "
        "Nomenclature (planetocentric, east; as quoted by Wikipedia 'Jezero (crater)'; older "
        "Gazetteer-derived copies give 18.855 N, 77.519 E, 49 km); 45 km agrees with NASA/JPL's "
        "'28-mile-wide' crater. Perseverance touchdown (Octavia E. Butler Landing, named by "
        "NASA 2021-03-05): 18.4447 N, 77.4508 E (NASA/JPL; Wikipedia 'Octavia E. Butler "
        "Landing' gives 18.44 N, 77.45 E)"
    ),
)
"""Jezero crater and Perseverance's landing site; see :attr:`JezeroMap.source`."""


def planetocentric_latitude_deg(planetodetic_latitude_rad) -> np.ndarray:
    """Planetocentric latitude (deg) of points on Mars' IAU ellipsoid from planetodetic."""
    phi = np.asarray(planetodetic_latitude_rad, dtype=np.float64)
    return np.degrees(np.arctan((1.0 - MARS_FLATTENING) ** 2 * np.tan(phi)))


def great_circle_km(lat1_deg, lon1_deg, lat2_deg, lon2_deg) -> np.ndarray:
    """Great-circle distance (km) on the sphere of Mars' mean radius (haversine)."""
    p1, p2 = np.radians(lat1_deg), np.radians(lat2_deg)
    dlon = np.radians(np.asarray(lon2_deg, dtype=np.float64) - lon1_deg)
    h = np.sin((p2 - p1) / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2.0) ** 2
    return 2.0 * MARS_MEAN_RADIUS_M / 1e3 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def circle_deg(lat_deg: float, lon_deg: float, radius_km: float, points: int = 361):
    """Latitudes and longitudes (deg) of the small circle ``radius_km`` about a point."""
    az = np.linspace(0.0, 2.0 * math.pi, points)
    d = radius_km * 1e3 / MARS_MEAN_RADIUS_M
    p1, l1 = math.radians(lat_deg), math.radians(lon_deg)
    p2 = np.arcsin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * np.cos(az))
    l2 = l1 + np.arctan2(
        np.sin(az) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * np.sin(p2)
    )
    return np.degrees(p2), np.degrees(l2)


def rim_clearance_km(latitudes_deg, longitudes_deg, site: JezeroMap = JEZERO) -> np.ndarray:
    """Distance (km) from each point to the crater rim circle: positive inside the crater.

    ``radius - great-circle distance to the centre``: the crater's radius at the centre, 0
    on the rim, negative outside.
    """
    distance = great_circle_km(
        site.crater_latitude_deg, site.crater_longitude_deg, latitudes_deg, longitudes_deg
    )
    return site.crater_radius_km - distance


@dataclass(frozen=True)
class LocalEllipse:
    """A probability ellipse of landing points in the local east-north plane (deg, km)."""

    centre_latitude_deg: float
    centre_longitude_deg: float
    semi_major_km: float
    semi_minor_km: float
    major_axis_azimuth_deg: float  # from north, towards east, in [0, 180)
    probability: float

    def outline_deg(self, points: int = 361):
        """Latitudes and longitudes (deg) of the outline (local plane on the sphere)."""
        phi = np.linspace(0.0, 2.0 * math.pi, points)
        az = math.radians(self.major_axis_azimuth_deg)
        along, across = self.semi_major_km * np.cos(phi), self.semi_minor_km * np.sin(phi)
        east = along * math.sin(az) + across * math.cos(az)
        north = along * math.cos(az) - across * math.sin(az)
        r_km = MARS_MEAN_RADIUS_M / 1e3
        lat = self.centre_latitude_deg + np.degrees(north / r_km)
        lon = self.centre_longitude_deg + np.degrees(
            east / (r_km * math.cos(math.radians(self.centre_latitude_deg)))
        )
        return lat, lon


def landing_ellipse_local(
    latitudes_deg, longitudes_deg, probability: float = ELLIPSE_PROBABILITY
) -> LocalEllipse:
    """The ``probability`` ellipse from the east-north covariance of points on Mars' sphere.

    Offsets from the mean point in the local plane (``east = R cos(lat0) dlon``,
    ``north = R dlat``), their covariance's eigenvectors, and semi-axes ``sqrt(k lambda)``
    with ``k = -2 ln(1 - p)`` (chi-square with 2 degrees of freedom; 9.21 at 99 %).
    """
    lat = np.asarray(latitudes_deg, dtype=np.float64)
    lon = np.asarray(longitudes_deg, dtype=np.float64)
    lat0, lon0 = float(lat.mean()), float(lon.mean())
    r_km = MARS_MEAN_RADIUS_M / 1e3
    east = r_km * math.cos(math.radians(lat0)) * np.radians(lon - lon0)
    north = r_km * np.radians(lat - lat0)
    values, vectors = np.linalg.eigh(np.cov(np.stack([east, north])))
    scale = -2.0 * math.log(1.0 - probability)
    major = vectors[:, 1]
    return LocalEllipse(
        centre_latitude_deg=lat0,
        centre_longitude_deg=lon0,
        semi_major_km=float(math.sqrt(scale * max(values[1], 0.0))),
        semi_minor_km=float(math.sqrt(scale * max(values[0], 0.0))),
        major_axis_azimuth_deg=float(math.degrees(math.atan2(major[0], major[1])) % 180.0),
        probability=probability,
    )


def landing_points_deg(batch):
    """Planetocentric latitudes and east longitudes (deg) of the batch's landed trials."""
    landed = np.asarray(batch.landed, dtype=bool)
    lat = planetocentric_latitude_deg(np.asarray(batch.landing_latitude_rad)[landed])
    lon = np.degrees(np.asarray(batch.landing_longitude_rad)[landed])
    return lat, lon


@dataclass(frozen=True)
class EllipseClearance:
    """How the landing footprint sits in the crater (km)."""

    ellipse: LocalEllipse
    point_clearance_km: np.ndarray  # each landed trial's distance to the rim (+ inside)
    ellipse_clearance_km: float  # the least clearance of the ellipse's outline
    miss_km: np.ndarray  # each landed trial's distance from the target

    @property
    def ellipse_inside(self) -> bool:
        return self.ellipse_clearance_km > 0.0


def ellipse_clearance(
    batch, site: JezeroMap, target_latitude_deg: float, target_longitude_deg: float
) -> EllipseClearance:
    """The 99 % ellipse of the batch, its and each landing's rim clearance, the misses."""
    lat, lon = landing_points_deg(batch)
    ellipse = landing_ellipse_local(lat, lon)
    e_lat, e_lon = ellipse.outline_deg()
    return EllipseClearance(
        ellipse=ellipse,
        point_clearance_km=rim_clearance_km(lat, lon, site),
        ellipse_clearance_km=float(rim_clearance_km(e_lat, e_lon, site).min()),
        miss_km=great_circle_km(target_latitude_deg, target_longitude_deg, lat, lon),
    )
