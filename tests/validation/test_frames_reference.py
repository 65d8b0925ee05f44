"""Cross-checks of :mod:`msrsim.core.frames` against independent references.

* Published geodetic conversions: EPSG Guidance Note 7-2 (WGS 84, method 9602) and Vallado
  (2013) Example 3-3, at their printed digits.
* Earth-fixed frame against astropy's GCRS -> ITRS (same epochs, UT1 = UTC forced, IERS
  downloads off): the residual is the polar motion we neglect.
* Mars rotation against the Mars24 algorithm (Allison & McEwen 2000, package ``marstime``):
  the Sun's direction from Mars, read from the JPL DE421 kernel with jplephem, rotated into
  the IAU Mars frame, gives the sub-solar longitude and the solar declination.

References
----------
.. [EPSG] IOGP Publication 373-7-2, "Geomatics Guidance Note 7, part 2: Coordinate
   Conversions & Transformations including Formulas", method 9602 example.
.. [Vallado2013] Vallado, D. A., "Fundamentals of Astrodynamics and Applications", 4th ed.
   (2013), Example 3-3.
.. [AM2000] Allison, M., McEwen, M., "A post-Pathfinder evaluation of areocentric solar
   coordinates with improved timing recipes for Mars seasonal/diurnal climate studies",
   Planet. Space Sci. 48:215-235 (2000).
.. [DE421] Folkner, W. M., Williams, J. G., Boggs, D. H., "The Planetary and Lunar Ephemeris
   DE 421", JPL IOM 343R-08-003 (2008).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from pathlib import Path

import erfa
import numpy as np
import pytest

from msrsim.core import frames as F
from msrsim.core.bodies import EARTH, MARS, SPEED_OF_LIGHT_M_S, Constant


def _dms(d: float, m: float, s: float) -> float:
    return math.radians(d + m / 60.0 + s / 3600.0)


def _wrap_deg(x: np.ndarray) -> np.ndarray:
    return (x + 180.0) % 360.0 - 180.0


# ---------------------------------------------------------------------------------------------
# Published geodetic examples
# ---------------------------------------------------------------------------------------------


def test_epsg_9602_wgs84_example():
    """EPSG GN 7-2, method 9602: 53 48 33.820 N, 2 07 46.380 E, h = 73.000 m on WGS 84 is
    X = 3771793.97, Y = 140253.34, Z = 5124304.35 m (printed to the cm)."""
    lat, lon, h = _dms(53, 48, 33.820), _dms(2, 7, 46.380), 73.0
    x = F.geodetic_to_cartesian(lat, lon, h, EARTH)[0]
    np.testing.assert_allclose(x, [3771793.97, 140253.34, 5124304.35], rtol=0, atol=0.005)
    la, lo, hh = F.cartesian_to_geodetic([3771793.97, 140253.34, 5124304.35], EARTH)
    # back to the printed 0.001 arcsec (3 cm) and mm-level height, within the input rounding
    assert abs(math.degrees(la[0] - lat)) * 3600 < 0.0005
    assert abs(math.degrees(lo[0] - lon)) * 3600 < 0.0005
    assert abs(hh[0] - h) < 0.01


def test_vallado_example_3_3():
    """Vallado (2013) Example 3-3: r_ECEF = (6524.834, 6862.875, 6448.296) km gives
    lat_gd = 34.352496 deg, lon = 46.4464 deg, h_ellp = 5085.22 km.

    Vallado's ellipsoid is a = 6378.1363 km, 1/f = 298.257223563. The exact answer is
    34.3524951 deg: his printed latitude is the output of an iteration stopped at ~1e-6 deg,
    so latitude is checked to one unit of its last printed digit (1e-6 deg ~ 0.2 m here) and
    longitude and height to half a unit.
    """
    vallado_earth = replace(
        EARTH,
        equatorial_radius=Constant(6378136.3, 0.0, "m", "Vallado 2013"),
        polar_radius=Constant(6378136.3 * (1 - 1 / 298.257223563), 0.0, "m", "Vallado 2013"),
    )
    lat, lon, h = F.cartesian_to_geodetic(
        np.array([6524.834, 6862.875, 6448.296]) * 1e3, vallado_earth
    )
    assert abs(math.degrees(lat[0]) - 34.352496) <= 1e-6
    assert abs(math.degrees(lon[0]) - 46.4464) <= 0.5e-4
    assert abs(h[0] / 1e3 - 5085.22) <= 0.005
    # the WGS 84 ellipsoid (a 0.7 m larger) rounds to the same printed values
    lat84, _, h84 = F.cartesian_to_geodetic(np.array([6524834.0, 6862875.0, 6448296.0]), EARTH)
    assert abs(math.degrees(lat84[0]) - 34.352496) <= 1e-6
    assert abs(h84[0] / 1e3 - 5085.22) <= 0.005


# ---------------------------------------------------------------------------------------------
# Earth-fixed frame against astropy
# ---------------------------------------------------------------------------------------------

# Neglected polar motion: |(x_p, y_p)| peaked at 0.600 arcsec over 1990-2026 (IERS 20 C04,
# June 1996), i.e. 18.6 m at the surface and 123 m at GEO radius; astropy uses the bundled IERS
# tables there and its 50-year mean pole past their end. TT = TDB adds < 0.8 m at the surface.
# Measured on this test's 40 epochs: 0.554 arcsec (17.1 m surface, 113 m GEO), velocity
# 0.008 / 0.011 m/s; 0.597 arcsec on another 60 random epochs. Bound: 0.8 arcsec.
POLAR_MOTION_BOUND_RAD = 0.8 / 3600.0 * math.pi / 180.0  # 0.8 arcsec


def _astropy_itrs(et: np.ndarray, r: np.ndarray) -> np.ndarray:
    from astropy import units as u
    from astropy.coordinates import GCRS, ITRS, CartesianRepresentation
    from astropy.time import Time
    from astropy.utils import iers
    from astropy.utils.exceptions import AstropyWarning

    with (
        iers.conf.set_temp("auto_download", False),
        iers.conf.set_temp("auto_max_age", None),
        warnings.catch_warnings(),
    ):
        # polar motion outside the bundled IERS table falls back to a mean pole (warning);
        # ERFA flags post-2028 UTC as "dubious year".
        warnings.simplefilter("ignore", AstropyWarning)
        warnings.simplefilter("ignore", erfa.ErfaWarning)
        t = Time(np.full(et.shape, F.J2000_JD), et / 86400.0, format="jd", scale="tdb")
        t.delta_ut1_utc = 0.0  # UT1 = UTC, as in msrsim
        gcrs = GCRS(CartesianRepresentation(r.T * u.m), obstime=t)
        itrs = gcrs.transform_to(ITRS(obstime=t))
        return itrs.cartesian.xyz.to_value(u.m).T


@pytest.mark.parametrize("radius", [EARTH.equatorial_radius.value, 42_164_000.0])
def test_itrs_against_astropy(radius):
    pytest.importorskip("astropy")
    rng = np.random.default_rng(2024)
    n = 40
    jd = rng.uniform(2447892.5, 2469807.5, n)  # 1990-01-01 .. 2050-01-01
    et = (jd - F.J2000_JD) * 86400.0
    r = rng.normal(size=(n, 3))
    r *= radius / np.linalg.norm(r, axis=1, keepdims=True)
    v = np.cross(rng.normal(size=(n, 3)), r)
    v *= 3000.0 / np.linalg.norm(v, axis=1, keepdims=True)

    ri, vi = F.icrf_to_itrs(et, r, v)
    ra = _astropy_itrs(et, r)
    dr = np.linalg.norm(ri - ra, axis=1)
    assert dr.max() < POLAR_MOTION_BOUND_RAD * radius  # 25 m surface, 164 m GEO

    # astropy's velocity is by finite differences in obstime (its shifted Times drop
    # delta_ut1_utc, so difference positions here with UT1 = UTC kept).
    h = 1.0
    va = (_astropy_itrs(et + h / 2, r + v * h / 2) - _astropy_itrs(et - h / 2, r - v * h / 2)) / h
    dv = np.linalg.norm(vi - va, axis=1)
    bound = POLAR_MOTION_BOUND_RAD * (3000.0 + EARTH.rotation_rate.value * radius) + 1e-4
    assert dv.max() < bound


# ---------------------------------------------------------------------------------------------
# Mars rotation against DE421 + Mars24
# ---------------------------------------------------------------------------------------------


def _de421():
    jplephem_spk = pytest.importorskip("jplephem.spk")
    skyfield_data = pytest.importorskip("skyfield_data")
    # the kernel file directly (get_skyfield_data_path() warns about the expired EOP file)
    path = Path(skyfield_data.__file__).parent / "data" / "de421.bsp"
    if not path.exists():
        pytest.skip("de421.bsp not found in skyfield_data")
    return jplephem_spk.SPK.open(str(path))


def _apparent_sun_from_mars(kernel, jd: np.ndarray) -> np.ndarray:
    """Mars-centred ICRF direction to the Sun, corrected for light time and aberration."""
    c = SPEED_OF_LIGHT_M_S

    def state(a: int, b: int, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, v = kernel[a, b].compute_and_differentiate(t)
        return p.T * 1e3, v.T * 1e3 / 86400.0  # km, km/day -> m, m/s

    p4, v4 = state(0, 4, jd)
    p499, v499 = state(4, 499, jd)
    mars, v_mars = p4 + p499, v4 + v499
    d = kernel[0, 10].compute(jd).T * 1e3 - mars
    for _ in range(2):  # light time: the Sun at emission
        lt = np.linalg.norm(d, axis=1) / c
        d = kernel[0, 10].compute(jd - lt / 86400.0).T * 1e3 - mars
    u = d / np.linalg.norm(d, axis=1, keepdims=True)
    # first-order stellar aberration from Mars' barycentric velocity (~24 km/s, ~17 arcsec)
    return u + v_mars / c - np.sum(u * v_mars, axis=1, keepdims=True) * u / c


def test_mars_rotation_against_mars24():
    """Sub-solar longitude and solar declination: IAU 2009 Mars frame vs Mars24.

    Measured over the test's 1500 dates in 1990-2050: the sub-solar east longitude agrees to
    0.011 deg at worst with a mean offset of 0.0017 deg (rms 0.0022 deg), so Mars24's
    prime-meridian tie equals W0 = 176.630 deg to ~0.1 km at the equator; without light time
    and aberration (~0.005 deg) the mean offset is 0.006 deg and the worst case 0.016 deg.
    The declination agrees to 0.024 deg once Mars24's planetographic value is compared with
    the planetographic latitude of the surface point under the Sun (the Mars-Sun line's
    planetocentric latitude converted on the IAU ellipsoid); compared directly with the
    planetocentric direction the difference reaches 0.25 deg, which is what the
    0.25 deg sin(Ls) term of Mars24's declination formula supplies. The remaining residuals
    are the truncation of Mars24's analytic series (equation of centre, planetary
    perturbations, constant obliquity 25.19 deg) against DE421.
    Tolerances: 0.025 deg in longitude, 0.05 deg in latitude.
    """
    marstime = pytest.importorskip("marstime")
    kernel = _de421()
    rng = np.random.default_rng(1)
    jd = np.sort(rng.uniform(2447892.5, 2469807.5, 1500))  # 1990-01-01 .. 2050-01-01 TDB
    et = (jd - F.J2000_JD) * 86400.0

    u_fixed = F.icrf_to_mars_fixed(et, _apparent_sun_from_mars(kernel, jd))
    lat_c, lon, _ = F.cartesian_to_spherical(u_fixed)

    # Mars24 takes days past J2000 TT; TT - TDB (< 2 ms) is negligible here.
    ott = et / 86400.0
    lon_m24 = 360.0 - marstime.subsolar_longitude(ott)  # Mars24 longitudes are west-positive
    dec_m24 = marstime.solar_declination(marstime.Mars_Ls(ott))  # planetographic

    dlon = _wrap_deg(np.degrees(lon) - lon_m24)
    assert np.max(np.abs(dlon)) < 0.025
    assert abs(np.mean(dlon)) < 0.005

    lat_g = np.degrees(F.planetocentric_to_planetodetic_latitude(lat_c, MARS))
    assert np.max(np.abs(lat_g - dec_m24)) < 0.05
    # and the planetographic/planetocentric distinction matters at this level
    assert np.max(np.abs(np.degrees(lat_c) - dec_m24)) > 0.2


def test_mars_pole_at_j2000_published():
    """The Mars north pole at J2000 is at alpha0 = 317.68143, delta0 = 52.88650 deg (ICRF),
    W = 176.630 deg (Archinal et al. 2011, Table 1)."""
    m = F.mars_fixed_matrix(0.0)[0]
    dec, ra, _ = F.cartesian_to_spherical(m[2])
    assert abs(math.degrees(ra[0]) % 360.0 - 317.68143) < 1e-9
    assert abs(math.degrees(dec[0]) - 52.88650) < 1e-9
    assert abs(math.degrees(F.body_rotation_angles(0.0, MARS)[2][0]) - 176.630) < 1e-9
