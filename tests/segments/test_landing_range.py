"""segments.landing_range: the Utah Test and Training Range boundary and point tests."""

import numpy as np
import pytest

from msrsim.segments.landing_range import UTTR, LandingRange


def test_known_points_inside_and_outside():
    # Stardust touched down at 40 deg 21.9' N, 113 deg 31.25' W (NASA/JPL, 2006) and the
    # Genesis team marked its target area near 40 deg 9' N, 113 deg 22' W (NASA, 2004),
    # both on the South Range; Salt Lake City, Wendover (the Nevada line) and the north
    # range across I-80 are not in this polygon.
    lat = np.array([40.365, 40.15, 40.76, 40.74, 41.0])
    lon = np.array([-113.52083, -113.3667, -111.89, -114.04, -113.3])
    assert UTTR.contains(lat, lon).tolist() == [True, True, False, False, False]


def test_area_is_that_of_the_south_range():
    # The whole 1940 range of Executive Order 8579 covers ~6,300 km2, close to the ~6,800
    # to 6,930 km2 (2,624-2,675 sq mi) quoted for UTTR's ground; the South Range part is
    # ~4,600 km2. 5 %: the conversion from survey townships is good to a kilometre or two.
    assert UTTR.area_km2 == pytest.approx(4610.0, rel=0.05)
    assert "APPROXIMATE" in UTTR.source and "8579" in UTTR.source


def test_a_unit_square_on_the_equator():
    square = LandingRange("test", np.array([0.0, 0.0, 1.0, 1.0]),
                          np.array([0.0, 1.0, 1.0, 0.0]), "test")  # fmt: skip
    assert square.area_km2 == pytest.approx(111.195**2, rel=0.01)
    assert square.contains([[0.5, 1.5]], [[0.5, 0.5]]).tolist() == [[True, False]]
