"""segments.entry: entry states and landing ellipses (the leg itself lands with issue 9)."""

import math

import numpy as np
import pytest

from msrsim.core.bodies import EARTH
from msrsim.core.frames import cartesian_to_geodetic, enu_matrix, geodetic_to_cartesian
from msrsim.segments.entry import (
    Capsule,
    EntryInterface,
    entry_states,
    fly_entry,
    footprint,
    interface_states,
    landing_ellipse,
    local_offsets_m,
    standard_atmosphere_table,
    target_interface,
)


def test_inertial_to_relative_on_the_equator():
    # Heading due east on the equator, horizontal: the rotating Earth takes w R off.
    speed = 12_000.0
    r, v = entry_states(0.0, 0.3, 125e3, speed, 0.0, math.pi / 2, inertial=True)
    radius = EARTH.equatorial_radius.value + 125e3
    assert np.linalg.norm(v[0]) == pytest.approx(
        speed - EARTH.rotation_rate.value * radius, rel=1e-12
    )
    assert np.dot(r[0], v[0]) == pytest.approx(0.0, abs=1e-3 * np.linalg.norm(r[0]))


def test_relative_state_keeps_speed_and_angles():
    lat, lon, fpa, az = math.radians(40.0), math.radians(-120.0), math.radians(-8.2), 1.9
    r, v = entry_states(lat, lon, 125e3, 12_456.0, fpa, az, inertial=False)
    assert np.linalg.norm(v[0]) == pytest.approx(12_456.0, rel=1e-12)
    up = enu_matrix(lat, lon)[0, 2]
    assert math.asin(np.dot(v[0], up) / 12_456.0) == pytest.approx(fpa, abs=1e-12)
    back_lat, back_lon, back_alt = cartesian_to_geodetic(r, EARTH)
    assert back_alt[0] == pytest.approx(125e3, abs=1e-6)


def test_landing_ellipse_recovers_a_known_scatter():
    # 20,000 points with 10 km x 3 km 1-sigma axes, major axis at azimuth 30 deg: the 99 %
    # ellipse has semi-axes sqrt(9.21) sigma; recovered to 3 % (sampling) and 1 deg.
    rng = np.random.default_rng(9)
    centre_lat, centre_lon = math.radians(40.37), math.radians(-113.52)
    along, across = rng.normal(0, 10e3, 20_000), rng.normal(0, 3e3, 20_000)
    az = math.radians(30.0)
    east = along * math.sin(az) + across * math.cos(az)
    north = along * math.cos(az) - across * math.sin(az)
    enu = enu_matrix(centre_lat, centre_lon)[0]
    centre = geodetic_to_cartesian(centre_lat, centre_lon, 0.0, EARTH)[0]
    points = centre + np.stack([east, north, np.zeros_like(east)], axis=1) @ enu
    lat, lon, _ = cartesian_to_geodetic(points, EARTH)
    ellipse = landing_ellipse(lat, lon)
    k = math.sqrt(-2 * math.log(0.01))
    assert ellipse.semi_major_m == pytest.approx(k * 10e3, rel=0.03)
    assert ellipse.semi_minor_m == pytest.approx(k * 3e3, rel=0.03)
    assert math.degrees(ellipse.major_axis_azimuth_rad) == pytest.approx(30.0, abs=1.0)
    e, n = local_offsets_m(lat, lon, centre_lat, centre_lon)
    assert np.abs(e - east).max() < 50.0  # curvature of the surface over ~40 km


CAPSULE = Capsule(
    mass_kg=100.0, diameter_m=1.25, nose_radius_m=0.3125, half_angle_deg=60.0, subsonic_cd=0.9
)
INTERFACE = EntryInterface(41.48, -120.08, 125e3, 11_791.0, -10.0, 100.0, inertial=True)
UTTR = (40.37, -113.52)


@pytest.fixture(scope="module")
def atmosphere():
    return standard_atmosphere_table()


def test_targeting_lands_on_the_target(atmosphere):
    targeted = target_interface(CAPSULE, INTERFACE, *UTTR, atmosphere, ground_altitude_m=1300.0)
    r, v = interface_states(targeted)
    landed = fly_entry(CAPSULE, r, v, atmosphere, ground_altitude_m=1300.0)
    east, north = local_offsets_m(
        landed.landing_latitude_rad, landed.landing_longitude_rad, *np.radians(UTTR)
    )
    assert math.hypot(east[0], north[0]) < 100.0
    # the terminal speed of a 100 kg, CD 0.9, 1.25 m capsule at 1.3 km: sqrt(2 m g /
    # (rho CD A)) with rho(1.3 km) = 1.073 kg/m3 is 40.8 m/s, the published ~40 m/s
    assert landed.touchdown_speed_m_s[0] == pytest.approx(40.8, abs=1.0)


def test_footprint_is_reproducible_and_sensible():
    first = footprint(CAPSULE, INTERFACE, 200, np.random.default_rng(42), ground_altitude_m=1300.0)
    again = footprint(CAPSULE, INTERFACE, 200, np.random.default_rng(42), ground_altitude_m=1300.0)
    assert np.array_equal(first.entries.landing_latitude_rad, again.entries.landing_latitude_rad)
    assert np.all(first.entries.flight.status == 0)
    ell = first.ellipse
    assert 0 < ell.semi_minor_m <= ell.semi_major_m < 100e3
    nominal_g = first.nominal.flight.peak_deceleration_g[0]
    spread = first.entries.flight.peak_deceleration_g
    assert spread.min() < nominal_g * 1.05 and spread.max() > nominal_g * 0.95
