"""core.bodies: the constants agree with the relations their sources give."""

import math

import pytest

from msrsim.core.bodies import EARTH, MARS, body


def test_mars_j2_from_normalised_c20():
    # MRO120D: fully normalised C20 = -8.750220925e-4; J2 = -sqrt(5) C20 (Kaula 1966).
    assert MARS.j2.value == pytest.approx(-math.sqrt(5) * -8.750220925e-4, rel=1e-6)


def test_mars_flattening_matches_iau():
    # IAU 2015: a = 3396.19 km, c = 3376.20 km, 1/f = 169.89.
    assert 1.0 / MARS.flattening == pytest.approx(169.89, abs=0.01)


def test_earth_wgs84_flattening():
    assert 1.0 / EARTH.flattening == pytest.approx(298.257223563, rel=1e-12)


def test_mars_sidereal_day():
    # 350.89198226 deg/day gives the published sidereal day of 24.6229 h.
    assert 2 * math.pi / MARS.rotation_rate.value / 3600 == pytest.approx(24.6229, abs=1e-4)


def test_lookup():
    assert body("MARS") is MARS
    with pytest.raises(KeyError, match="known bodies"):
        body("pluto")
