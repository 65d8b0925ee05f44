"""core.geometry: solar elongation and intervals, against published Mars conjunction dates."""

import numpy as np
import pytest

from msrsim.core.geometry import angle_between, intervals_below, solar_elongation
from msrsim.core.time import et_to_utc_iso, utc_to_et


@pytest.fixture(scope="module")
def mars_elongation_deg():
    et = np.arange(utc_to_et("2019-01-01")[0], utc_to_et("2027-06-01")[0], 86400.0)
    return et, np.degrees(solar_elongation("mars", et))


def test_mars_solar_conjunctions_match_published_dates(mars_elongation_deg):
    # Mars solar conjunctions (NASA/JPL mission announcements; dates of minimum Sun-Earth-
    # Mars angle): 2019-09-02, 2021-10-08, 2023-11-18, 2026-01-09. Tolerance 2 days: the
    # published date is that of equal ecliptic longitude, which differs from the minimum
    # of the angle by hours.
    et, elongation = mars_elongation_deg
    spans = intervals_below(et, elongation, 3.0)
    found = [s[:10] for s in et_to_utc_iso([s.extreme_et for s in spans])]
    published = ["2019-09-02", "2021-10-08", "2023-11-18", "2026-01-09"]
    assert len(found) == len(published)
    for ours, ref in zip(found, published, strict=True):
        days = abs((np.datetime64(ours) - np.datetime64(ref)).astype(int))
        assert days <= 2, (ours, ref)
    # Each moratorium-scale span lasts roughly two to three weeks.
    durations = [(s.end_et - s.start_et) / 86400 for s in spans]
    assert all(12 < d < 30 for d in durations)


def test_mars_oppositions_match_published_dates(mars_elongation_deg):
    # Oppositions (US Naval Observatory): 2020-10-13, 2022-12-08, 2025-01-16, 2027-02-19.
    et, elongation = mars_elongation_deg
    spans = intervals_below(et, 180.0 - elongation, 10.0)
    found = [s[:10] for s in et_to_utc_iso([s.extreme_et for s in spans])]
    published = ["2020-10-13", "2022-12-08", "2025-01-16", "2027-02-19"]
    for ours, ref in zip(found, published, strict=True):
        assert abs((np.datetime64(ours) - np.datetime64(ref)).astype(int)) <= 1


def test_angle_between_is_accurate_near_zero_and_pi():
    a = np.array([[1.0, 0.0, 0.0]] * 3)
    b = np.array([[1.0, 1e-9, 0.0], [-1.0, 1e-9, 0.0], [0.0, 2.0, 0.0]])
    np.testing.assert_allclose(
        angle_between(a, b), [1e-9, np.pi - 1e-9, np.pi / 2], rtol=1e-12, atol=0
    )


def test_intervals_below_on_a_parabola():
    t = np.linspace(-10.0, 10.0, 201)
    values = (t - 0.123) ** 2
    (span,) = intervals_below(t, values, 4.0)
    assert span.start_et == pytest.approx(-1.877, abs=2e-3)
    assert span.end_et == pytest.approx(2.123, abs=2e-3)
    assert span.extreme_et == pytest.approx(0.123, abs=1e-9)  # exact for a parabola
    assert span.extreme_value == pytest.approx(0.0, abs=1e-12)
    assert intervals_below(t, values, -1.0) == []


def test_intervals_cut_by_the_ends():
    t = np.arange(10.0)
    spans = intervals_below(t, np.array([0, 0, 5, 5, 5, 5, 5, 5, 0, 0.0]), 1.0)
    assert [(s.start_et, s.end_et) for s in spans] == [(0.0, 1.2), (7.8, 9.0)]
