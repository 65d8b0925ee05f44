"""Property and consistency tests of :mod:`msrsim.core.frames`.

External cross-checks (astropy ITRS, DE421 + Mars24, published geodetic examples) live in
``tests/validation/test_frames_reference.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from msrsim.core import frames as F
from msrsim.core.bodies import DEG, EARTH, MARS, MOON

SETTINGS = settings(max_examples=60, deadline=None)

# Epochs: Mars 1950-2050; Earth 1972-2050 (ERFA's UTC needs >= 1960).
ET_MARS = st.floats(-1.6e9, 1.6e9, allow_nan=False)
ET_EARTH = st.floats(-8.8e8, 1.6e9, allow_nan=False)
UNIT = arrays(np.float64, 3, elements=st.floats(-1.0, 1.0, allow_nan=False)).filter(
    lambda x: np.linalg.norm(x) > 1e-3
)
LAT = st.floats(-math.pi / 2, math.pi / 2, allow_nan=False)
LON = st.floats(-math.pi, math.pi, allow_nan=False)
ALT = st.one_of(st.floats(-1.0e4, 1.0e5), st.floats(1.0e5, 1.0e8))  # -10 km .. 1e5 km
BODIES = st.sampled_from([EARTH, MARS])


def _vec(u: np.ndarray, norm: float) -> np.ndarray:
    return u / np.linalg.norm(u) * norm


def _assert_rotation(m: np.ndarray, tol: float = 1e-14) -> None:
    eye = np.broadcast_to(np.eye(3), m.shape)
    np.testing.assert_allclose(m @ np.swapaxes(m, -1, -2), eye, atol=tol)
    np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=tol)


# ---------------------------------------------------------------------------------------------
# Mars body-fixed
# ---------------------------------------------------------------------------------------------


@SETTINGS
@given(et=ET_MARS, u=UNIT, log_r=st.floats(3.0, 12.0), w=UNIT, speed=st.floats(0.0, 3e4))
def test_mars_fixed_round_trip(et, u, log_r, w, speed):
    r = _vec(u, 10.0**log_r)
    v = _vec(w, speed)
    rf, vf = F.icrf_to_mars_fixed(et, r, v)
    r2, v2 = F.mars_fixed_to_icrf(et, rf, vf)
    np.testing.assert_allclose(np.linalg.norm(rf), np.linalg.norm(r), rtol=1e-14)
    assert np.linalg.norm(r2[0] - r) <= 1e-13 * np.linalg.norm(r)
    omega = F.body_spin_rate(MARS)
    assert np.linalg.norm(v2[0] - v) <= 1e-13 * (speed + omega * np.linalg.norm(r)) + 1e-12
    r3 = F.mars_fixed_to_icrf(et, F.icrf_to_mars_fixed(et, r))
    np.testing.assert_array_equal(r3, r2)


@SETTINGS
@given(et=ET_MARS)
def test_mars_matrix_is_rotation(et):
    _assert_rotation(F.mars_fixed_matrix(et))


def test_mars_batch_equals_single():
    et = np.linspace(-1.5e9, 1.5e9, 7)
    rng = np.random.default_rng(3)
    r = rng.normal(size=(7, 3)) * 4e6
    v = rng.normal(size=(7, 3)) * 3e3
    rb, vb = F.icrf_to_mars_fixed(et, r, v)
    for i in range(7):
        ri, vi = F.icrf_to_mars_fixed(et[i], r[i], v[i])
        np.testing.assert_allclose(ri[0], rb[i], rtol=1e-15, atol=1e-9)
        np.testing.assert_allclose(vi[0], vb[i], rtol=1e-15, atol=1e-12)
    # one vector against many epochs broadcasts like the tiled vector
    np.testing.assert_allclose(
        F.icrf_to_mars_fixed(et, r[0]), F.icrf_to_mars_fixed(et, np.tile(r[0], (7, 1))), rtol=0
    )
    assert F.mars_fixed_matrix(0.0).shape == (1, 3, 3)


def test_mars_velocity_matches_derivative_of_rotation():
    """v_fixed of an inertially fixed point equals d(R r)/dt by central differences.

    Checks the sign and size of the omega x r term; the pole-drift term it neglects is
    ~1e-8 of it, below the 1e-7 tolerance.
    """
    et = np.array([-4e8, 0.0, 7.3e8])
    r = np.array([3.4e6, -1.2e6, 2.0e6])
    h = 1.0
    _, vf = F.icrf_to_mars_fixed(et, r, np.zeros(3))
    num = (F.icrf_to_mars_fixed(et + h, r) - F.icrf_to_mars_fixed(et - h, r)) / (2 * h)
    np.testing.assert_allclose(vf, num, rtol=1e-7, atol=1e-6)
    # a point at rest on the equator moves at omega * a in the inertial frame
    rf = np.array([MARS.equatorial_radius.value, 0.0, 0.0])
    _, vi = F.mars_fixed_to_icrf(et, rf, np.zeros(3))
    expected = 350.89198226 * DEG / 86400.0 * MARS.equatorial_radius.value  # ~241 m/s
    np.testing.assert_allclose(np.linalg.norm(vi, axis=1), expected, rtol=1e-14)


def test_mars_pole_and_prime_meridian_from_definition():
    """Pole and W at J2000 and in 2050 from the WGCCRE 2009 numbers (Archinal 2011, Table 1)."""
    for et in (0.0, 50 * 365.25 * 86400.0):
        t = et / (36525 * 86400.0)
        d = et / 86400.0
        a0 = math.radians(317.68143 - 0.1061 * t)
        d0 = math.radians(52.88650 - 0.0609 * t)
        w = math.radians((176.630 + 350.89198226 * d) % 360.0)
        m = F.mars_fixed_matrix(et)[0]
        pole = np.array([math.cos(d0) * math.cos(a0), math.cos(d0) * math.sin(a0), math.sin(d0)])
        np.testing.assert_allclose(m[2], pole, atol=1e-15)
        # W is measured along the body equator from the ascending node Q of the body equator
        # on the ICRF equator (at right ascension alpha0 + 90 deg) to the prime meridian.
        q = np.array([math.cos(a0 + math.pi / 2), math.sin(a0 + math.pi / 2), 0.0])
        w_meas = math.atan2(np.dot(np.cross(q, m[0]), m[2]), np.dot(q, m[0])) % (2 * math.pi)
        assert abs(w_meas - w) < 1e-10


def test_body_without_rotation_model_raises():
    with pytest.raises(ValueError, match="rotation model"):
        F.body_fixed_matrix(0.0, MOON)


# ---------------------------------------------------------------------------------------------
# Earth ITRS
# ---------------------------------------------------------------------------------------------


@SETTINGS
@given(et=ET_EARTH, u=UNIT, log_r=st.floats(5.0, 9.0), w=UNIT, speed=st.floats(0.0, 1.2e4))
def test_itrs_round_trip(et, u, log_r, w, speed):
    r = _vec(u, 10.0**log_r)
    v = _vec(w, speed)
    ri, vi = F.icrf_to_itrs(et, r, v)
    r2, v2 = F.itrs_to_icrf(et, ri, vi)
    assert np.linalg.norm(r2[0] - r) <= 1e-13 * np.linalg.norm(r)
    omega = EARTH.rotation_rate.value
    assert np.linalg.norm(v2[0] - v) <= 1e-13 * (speed + omega * np.linalg.norm(r)) + 1e-12


def test_itrs_matrix_batch_and_rotation():
    et = np.linspace(-8e8, 1.5e9, 9)
    m = F.itrs_matrix(et)
    assert m.shape == (9, 3, 3)
    _assert_rotation(m)
    for i in (0, 4, 8):
        np.testing.assert_allclose(F.itrs_matrix(et[i])[0], m[i], rtol=0, atol=1e-15)


def test_itrs_velocity_matches_derivative_of_rotation():
    """The nominal spin 7.292115e-5 rad/s reproduces d(M r)/dt to ~1e-7 (precession-nutation
    and the UT1/TT rate difference are the neglected part)."""
    et = np.array([-3e8, 1e8, 9e8])
    r = np.array([4.2e7, 1.0e6, -3.0e5])  # ~GEO
    _, vi = F.icrf_to_itrs(et, r, np.zeros(3))
    h = 0.5
    num = (F.icrf_to_itrs(et + h, r) - F.icrf_to_itrs(et - h, r)) / (2 * h)
    speed = EARTH.rotation_rate.value * np.linalg.norm(r)  # ~3 km/s
    assert np.max(np.linalg.norm(vi - num, axis=1)) < 1e-6 * speed


def test_itrs_equator_spin_direction():
    """An ICRF-fixed point drifts westward in ITRS (Earth turns eastward under it)."""
    r = np.array([7.0e6, 0.0, 0.0])
    ri = F.icrf_to_itrs(np.array([0.0, 60.0]), r)
    lon = np.arctan2(ri[:, 1], ri[:, 0])
    dlon = (lon[1] - lon[0] + math.pi) % (2 * math.pi) - math.pi
    np.testing.assert_allclose(dlon, -EARTH.rotation_rate.value * 60.0, rtol=1e-4)


# ---------------------------------------------------------------------------------------------
# Planetodetic / planetocentric coordinates
# ---------------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(lat=LAT, lon=LON, alt=ALT, body=BODIES)
def test_geodetic_round_trip(lat, lon, alt, body):
    x = F.geodetic_to_cartesian(lat, lon, alt, body)
    la, lo, al = F.cartesian_to_geodetic(x, body)
    rn = np.linalg.norm(x)
    # ERFA gc2gde (one Halley step) is good to ~3e-10 rad in latitude at worst (Mars, 1e3-1e4
    # km altitude), i.e. a few mm; altitude to ~1e-15 relative.
    assert abs(la[0] - lat) < 5e-10
    assert abs(al[0] - alt) < 2e-15 * rn + 1e-8
    if math.cos(lat) > 1e-9:
        dlon = (lo[0] - lon + math.pi) % (2 * math.pi) - math.pi
        assert abs(dlon) * math.cos(lat) < 1e-12
    x2 = F.geodetic_to_cartesian(la, lo, al, body)
    assert np.linalg.norm(x2 - x) < 5e-10 * rn + 1e-8


@SETTINGS
@given(lat=LAT, lon=LON, body=BODIES)
def test_surface_latitudes_centric_vs_detic(lat, lon, body):
    x = F.geodetic_to_cartesian(lat, lon, 0.0, body)
    lat_c, lon_c, radius = F.cartesian_to_spherical(x)
    np.testing.assert_allclose(
        lat_c, F.planetodetic_to_planetocentric_latitude(lat, body), rtol=0, atol=1e-13
    )
    np.testing.assert_allclose(
        F.planetocentric_to_planetodetic_latitude(lat_c, body), lat, rtol=0, atol=1e-13
    )
    np.testing.assert_allclose(radius, F.ellipsoid_radius(lat_c, body), rtol=1e-14)
    np.testing.assert_allclose(F.cartesian_to_planetocentric(x, body)[2], 0.0, atol=1e-7)


@SETTINGS
@given(lat=LAT, lon=LON, log_r=st.floats(-3.0, 12.0))
def test_spherical_round_trip(lat, lon, log_r):
    radius = 10.0**log_r
    x = F.spherical_to_cartesian(lat, lon, radius)
    la, lo, ra = F.cartesian_to_spherical(x)
    np.testing.assert_allclose(ra, radius, rtol=1e-15)
    assert abs(la[0] - lat) < 1e-15 + 1e-15 * abs(lat)
    if math.cos(lat) > 1e-12:
        dlon = (lo[0] - lon + math.pi) % (2 * math.pi) - math.pi
        assert abs(dlon) * math.cos(lat) < 1e-15
    np.testing.assert_allclose(F.spherical_to_cartesian(la, lo, ra), x, rtol=0, atol=1e-15 * radius)


@SETTINGS
@given(lat=LAT, lon=LON, alt=st.floats(-1.0e4, 1.0e8), body=BODIES)
def test_planetocentric_round_trip(lat, lon, alt, body):
    x = F.planetocentric_to_cartesian(lat, lon, alt, body)
    la, lo, al = F.cartesian_to_planetocentric(x, body)
    rn = np.linalg.norm(x)
    assert abs(al[0] - alt) < 2e-15 * rn + 1e-8
    np.testing.assert_allclose(F.planetocentric_to_cartesian(la, lo, al, body), x, atol=1e-15 * rn)


def test_geodetic_known_points_and_batch():
    for body in (EARTH, MARS):
        a = body.equatorial_radius.value
        c = body.polar_radius.value
        lat, lon, alt = F.cartesian_to_geodetic(
            np.array([[a, 0, 0], [0, a + 1e3, 0], [0, 0, c], [0, 0, -c - 5.0]]), body
        )
        np.testing.assert_allclose(lat, [0, 0, math.pi / 2, -math.pi / 2], atol=1e-15)
        np.testing.assert_allclose(lon[:2], [0, math.pi / 2], atol=1e-15)
        np.testing.assert_allclose(alt, [0, 1e3, 0, 5.0], atol=1e-6)
    # n = 1 vs n = N, and scalar lon/alt broadcast against an array of latitudes
    lats = np.linspace(-1.5, 1.5, 5)
    xb = F.geodetic_to_cartesian(lats, 0.3, 250.0, MARS)
    for i, la in enumerate(lats):
        np.testing.assert_allclose(
            F.geodetic_to_cartesian(la, 0.3, 250.0, MARS)[0], xb[i], rtol=1e-15
        )
    lb, _, hb = F.cartesian_to_geodetic(xb, MARS)
    np.testing.assert_allclose(lb, lats, atol=1e-15)
    np.testing.assert_allclose(hb, 250.0, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# Local frames
# ---------------------------------------------------------------------------------------------


@SETTINGS
@given(lat=LAT, lon=LON, body=BODIES)
def test_enu_orthonormal_and_axes(lat, lon, body):
    m = F.enu_matrix(lat, lon)
    _assert_rotation(m)
    # Up is the ellipsoid normal (direction of d r / d alt); East is d r / d lon.
    x0 = F.geodetic_to_cartesian(lat, lon, 0.0, body)
    up = F.geodetic_to_cartesian(lat, lon, 1.0, body) - x0
    np.testing.assert_allclose(up[0], m[0, 2], atol=1e-7)
    if math.cos(lat) > 1e-3:
        dl = 1e-7
        east = F.geodetic_to_cartesian(lat, lon + dl, 0.0, body) - x0
        np.testing.assert_allclose(east[0] / np.linalg.norm(east), m[0, 0], atol=1e-6)
    north = F.geodetic_to_cartesian(min(lat + 1e-7, math.pi / 2), lon, 0.0, body) - x0
    if np.linalg.norm(north) > 0 and math.cos(lat) > 1e-3:
        np.testing.assert_allclose(north[0] / np.linalg.norm(north), m[0, 1], atol=1e-6)


@SETTINGS
@given(u=UNIT, w=UNIT, log_r=st.floats(5.0, 12.0), speed=st.floats(1.0, 5e4))
def test_rtn_lvlh_orthonormal(u, w, log_r, speed):
    r = _vec(u, 10.0**log_r)
    v = _vec(w, speed)
    if np.linalg.norm(np.cross(u, w)) < 1e-3 * np.linalg.norm(u) * np.linalg.norm(w):
        return  # (nearly) radial motion: orbit plane ill defined
    rtn = F.rtn_matrix(r, v)
    lvlh = F.lvlh_matrix(r, v)
    _assert_rotation(rtn)
    _assert_rotation(lvlh)
    rl = F.rotate(rtn, r)[0]
    np.testing.assert_allclose(rl, [np.linalg.norm(r), 0, 0], atol=1e-14 * np.linalg.norm(r))
    vl = F.rotate(rtn, v)[0]
    assert abs(vl[2]) < 1e-12 * speed and vl[1] > 0  # v in the R-T plane, prograde
    # LVLH (CCSDS/ISS): x = T, y = -N, z = -R
    np.testing.assert_allclose(lvlh[0], np.stack((rtn[0, 1], -rtn[0, 2], -rtn[0, 0])), atol=1e-14)
    back = F.rotate_inverse(lvlh, F.rotate(lvlh, v))
    np.testing.assert_allclose(back, v[None], rtol=0, atol=1e-14 * speed)


def test_lvlh_circular_orbit_axes():
    r = np.array([7.0e6, 0.0, 0.0])
    v = np.array([0.0, 7.5e3, 0.0])
    np.testing.assert_allclose(F.lvlh_matrix(r, v)[0], [[0, 1, 0], [0, 0, -1], [-1, 0, 0]])
    np.testing.assert_allclose(F.rtn_matrix(r, v)[0], np.eye(3))


def test_local_frames_batch_and_degenerate():
    rng = np.random.default_rng(5)
    r = rng.normal(size=(6, 3)) * 7e6
    v = rng.normal(size=(6, 3)) * 7e3
    mb = F.rtn_matrix(r, v)
    for i in range(6):
        np.testing.assert_allclose(F.rtn_matrix(r[i], v[i])[0], mb[i], rtol=1e-15, atol=1e-16)
    assert F.enu_matrix(np.zeros(4), 0.5).shape == (4, 3, 3)
    with pytest.raises(ValueError, match="r x v"):
        F.rtn_matrix([7e6, 0, 0], [1.0, 0, 0])
    with pytest.raises(ValueError, match="zero"):
        F.lvlh_matrix([0.0, 0, 0], [1.0, 0, 0])
    with pytest.raises(ValueError, match="shape"):
        F.rotate(np.eye(3), np.zeros((2, 2)))


def test_geocentric_flight_state_keeps_inertial_speed_and_angles():
    # Adding w x r back gives the inertial velocity: its speed, its angle from the local
    # horizontal (normal to r) and its azimuth from north are the ones given, to round-off.
    lat, lon, fpa, az, w = 0.3, -1.2, math.radians(-8.2), math.radians(102.9), 7.29e-5
    r, v = F.geocentric_flight_state(lat, lon, 6503.14e3, 12_900.0, fpa, az, w)
    vi = v[0] + np.cross([0.0, 0.0, w], r[0])
    assert np.linalg.norm(vi) == pytest.approx(12_900.0, rel=1e-14)
    assert math.asin(vi @ r[0] / (np.linalg.norm(vi) * 6503.14e3)) == pytest.approx(fpa, abs=1e-13)
    east, north, _ = F.enu_matrix(lat, lon)[0]
    assert math.atan2(vi @ east, vi @ north) == pytest.approx(az, abs=1e-13)
