"""segments.entry: entry states, landing ellipses, targeting of the interface, footprints."""

import math

import numpy as np
import pytest

from msrsim.core.bodies import EARTH
from msrsim.core.frames import cartesian_to_geodetic, enu_matrix, geodetic_to_cartesian
from msrsim.segments.entry import (
    Capsule,
    EntryInterface,
    entry_atmosphere,
    entry_states,
    fly_entry,
    footprint,
    interface_states,
    landing_ellipse,
    local_offsets_m,
    standard_atmosphere_table,
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


@pytest.fixture(scope="module")
def atmosphere():
    return standard_atmosphere_table()


def test_touchdown_at_terminal_speed(atmosphere):
    r, v = interface_states(INTERFACE)
    landed = fly_entry(CAPSULE, r, v, atmosphere, ground_altitude_m=1300.0)
    # the terminal speed of a 100 kg, CD 0.9, 1.25 m capsule at 1.3 km: sqrt(2 m g /
    # (rho CD A)) with rho(1.3 km) = 1.073 kg/m3 is 40.8 m/s, the published ~40 m/s
    assert landed.touchdown_speed_m_s[0] == pytest.approx(40.8, abs=1.0)


def _footprint(n, seed, chunk=25_000):
    nominal = interface_states(INTERFACE)
    states = interface_states(INTERFACE, n, np.random.default_rng(seed))
    return footprint(
        CAPSULE,
        nominal,
        states,
        entry_atmosphere("us76"),
        np.random.default_rng(seed + 1),
        ground_altitude_m=1300.0,
        chunk=chunk,
    )


def test_footprint_is_reproducible_and_sensible():
    first = _footprint(200, 42)
    again = _footprint(200, 42)
    assert np.array_equal(first.entries.landing_latitude_rad, again.entries.landing_latitude_rad)
    assert np.all(first.entries.flight.status == 0)
    ell = first.ellipse
    assert 0 < ell.semi_minor_m <= ell.semi_major_m < 100e3
    nominal_g = first.nominal.flight.peak_deceleration_g[0]
    spread = first.entries.flight.peak_deceleration_g
    assert spread.min() < nominal_g * 1.05 and spread.max() > nominal_g * 0.95


def test_footprint_does_not_depend_on_chunking():
    whole = _footprint(120, 7)
    chunked = _footprint(120, 7, chunk=50)
    for name in ("peak_deceleration_g", "heat_load_j_m2", "time_s", "position_m"):
        assert np.array_equal(
            getattr(whole.entries.flight, name), getattr(chunked.entries.flight, name)
        ), name
    # sample k of a larger draw is sample k of a smaller one
    fewer = _footprint(40, 7)
    assert np.array_equal(fewer.entries.flight.time_s, whole.entries.flight.time_s[:40])


def test_entry_atmosphere_models_and_winds():
    us76 = entry_atmosphere("us76")
    assert us76.altitude_m[0] == 0.0 and us76.altitude_m[-1] == 150e3
    windy = entry_atmosphere(
        "us76", wind_profile=([0.0, 10e3, 20e3], [0.0, 30.0, 10.0], [5.0, 5.0, 5.0])
    )
    assert windy.wind_east_m_s[10] == pytest.approx(30.0)
    assert windy.wind_east_m_s[-1] == pytest.approx(10.0)  # held above the profile's top
    with pytest.raises(ValueError, match="epoch"):
        entry_atmosphere("nrlmsis")
    with pytest.raises(ValueError, match="not one of"):
        entry_atmosphere("jacchia")
    with pytest.raises(ValueError, match="ascending"):
        entry_atmosphere("us76", wind_profile=([10e3, 0.0], [0.0, 0.0], [0.0, 0.0]))


def test_a_tail_wind_carries_the_capsule_downrange():
    # A 20 m/s wind blowing along the approach heading during the ~6 min subsonic descent
    # moves the landing point downrange by about 20 m/s x the time spent below ~15 km.
    r, v = interface_states(INTERFACE)
    still = fly_entry(CAPSULE, r, v, standard_atmosphere_table(), ground_altitude_m=1300.0)
    heading = math.radians(INTERFACE.azimuth_deg)
    profile = ([0.0, 150e3], [20.0 * math.sin(heading)] * 2, [20.0 * math.cos(heading)] * 2)
    from msrsim.core.flight import flight_table

    windy = fly_entry(
        CAPSULE,
        r,
        v,
        flight_table(entry_atmosphere("us76", wind_profile=profile)),
        ground_altitude_m=1300.0,
    )
    east, north = local_offsets_m(
        windy.landing_latitude_rad,
        windy.landing_longitude_rad,
        still.landing_latitude_rad[0],
        still.landing_longitude_rad[0],
    )
    drift = east[0] * math.sin(heading) + north[0] * math.cos(heading)
    assert 20.0 * 200 < drift < 20.0 * still.flight.time_s[0]
