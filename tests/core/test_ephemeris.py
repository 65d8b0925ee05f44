"""core.ephemeris against skyfield reading the same kernel, and astropy's analytic model."""

import numpy as np
import pytest
from astropy.coordinates import get_body_barycentric_posvel, solar_system_ephemeris
from astropy.time import Time
from skyfield.api import load, load_file

from msrsim.core.ephemeris import (
    EphemerisRangeError,
    default_kernel_path,
    get_ephemeris,
    naif_id,
    state,
)
from msrsim.core.time import utc_to_et

BODIES = ["sun", "earth", "moon", "mars"]


@pytest.fixture(scope="module")
def epochs():
    rng = np.random.default_rng(421)
    lo, hi = utc_to_et(["1950-01-01", "2050-01-01"])
    return np.sort(rng.uniform(lo, hi, 500))


@pytest.fixture(scope="module")
def skyfield_kernel():
    return load_file(str(default_kernel_path())), load.timescale(builtin=True)


@pytest.mark.parametrize("target", BODIES)
@pytest.mark.parametrize("center", ["ssb", "sun", "earth"])
def test_matches_skyfield_same_kernel(epochs, skyfield_kernel, target, center):
    # skyfield composes the same DE421 segments its own way and takes its epoch as one
    # float JD (resolution ~40 us there): at up to 30 km/s that is ~1.2 m; tolerance 5 m
    # and 1e-6 m/s.
    if target == center:
        return
    kernel, ts = skyfield_kernel
    t = ts.tdb_jd(2451545.0 + epochs / 86400.0)
    ref = kernel[target].at(t)  # barycentric
    if center != "ssb":
        ref = ref - kernel[center].at(t)
    ours = state(target, epochs, center)
    assert np.abs(ours.r - ref.position.m.T).max() < 5.0
    assert np.abs(ours.v - ref.velocity.km_per_s.T * 1e3).max() < 1e-6


# Measured differences of astropy's analytic 'builtin' ephemeris (ERFA epv00 for the Earth
# and Sun, plan94 for Mars, a truncated ELP for the Moon) from DE421 over 1950-2050, with
# margin: astropy documents 'builtin' as accurate to a few arcseconds only.
BUILTIN_TOLERANCE_KM = {"sun": 10.0, "earth": 20.0, "moon": 40.0, "mars": 40_000.0}
BUILTIN_TOLERANCE_M_S = {"sun": 1e-3, "earth": 1e-2, "moon": 0.3, "mars": 6.0}


@pytest.mark.parametrize("target", BODIES)
def test_close_to_astropy_builtin(epochs, target):
    t = Time(2451545.0, epochs / 86400.0, format="jd", scale="tdb")
    with solar_system_ephemeris.set("builtin"):
        r, v = get_body_barycentric_posvel(target, t)
    ours = state(target, epochs)
    dr = np.linalg.norm(ours.r - r.xyz.to_value("m").T, axis=1) / 1e3
    dv = np.linalg.norm(ours.v - v.xyz.to_value("m/s").T, axis=1)
    assert dr.max() < BUILTIN_TOLERANCE_KM[target]
    assert dv.max() < BUILTIN_TOLERANCE_M_S[target]


def test_velocity_is_derivative_of_position(epochs):
    # Central difference over +-300 s. Truncation ~ jerk h^2 / 6 ~ 2e-5 m/s; rounding: a
    # float64 et near 1e9 s resolves 1.2e-7 s, ~4 mm of Mars-Earth motion, /600 s ~ 1e-5 m/s.
    h = 300.0
    r_plus = state("mars", epochs + h, "earth").r
    r_minus = state("mars", epochs - h, "earth").r
    v = state("mars", epochs, "earth").v
    assert np.abs((r_plus - r_minus) / (2 * h) - v).max() < 1e-4


def test_geometry_is_physical(epochs):
    moon = np.linalg.norm(state("moon", epochs, "earth").r, axis=1) / 1e3
    assert 356_000 < moon.min() and moon.max() < 407_000  # lunar perigee/apogee extremes
    mars_sun = np.linalg.norm(state("mars", epochs, "sun").r, axis=1) / 1.495978707e11
    assert 1.38 < mars_sun.min() and mars_sun.max() < 1.67  # Mars perihelion/aphelion, AU


def test_coverage_and_range_error():
    eph = get_ephemeris()
    assert eph.name == "DE421"
    lo, hi = eph.coverage_et
    assert utc_to_et("1899-07-30")[0] > lo and utc_to_et("2053-10-08")[0] < hi
    with pytest.raises(EphemerisRangeError, match="outside the DE421 coverage 1899-07-2"):
        state("mars", [0.0, hi + 86400.0])
    with pytest.raises(EphemerisRangeError):
        state("mars", [np.nan])


def test_unknown_body_names_the_known_ones():
    with pytest.raises(KeyError, match="known names are"):
        naif_id("phobos")
    assert naif_id(499) == 499


def test_single_epoch_shape():
    s = state("earth", 0.0, "sun")
    assert s.r.shape == (1, 3) and s.v.shape == (1, 3)
