"""The scenario's landing range (``ees.landing_range``): the packaged Siziwang Banner
boundary, and the Earth-entry leg counting landings inside the scenario's own range."""

import math

import numpy as np
import pytest

import msrsim
from msrsim.scenario import ScenarioError
from msrsim.segments.landing_range import RANGES, UTTR, landing_range

SIZIWANG = landing_range("siziwang")

# Published points (degrees N, degrees E). The banner seat Ulan Hua, 41 deg 31'59" N,
# 111 deg 42'24" E (Wikipedia, "Dorbod Banner", infobox); the tianwen3 scenario's
# representative target; the atlas's own centroid of the banner (DataV.GeoAtlas 150929
# "centroid", 42.2948 N 111.5807 E, GCJ-02, ~0.5 km from WGS 84). Outside: Hohhot
# (40.842 N, 111.749 E, 80 km south of the banner, Wikipedia), Erenhot on the Mongolian
# border (43.653 N, 111.977 E, Wikipedia), Stardust's touchdown in Utah (40.365 N,
# 113.521 W, NASA/JPL 2006).
INSIDE_SIZIWANG = np.array([[41.5331, 111.7067], [42.0, 111.5], [42.2948, 111.5807]])
OUTSIDE_SIZIWANG = np.array([[40.842, 111.749], [43.653, 111.977], [40.365, -113.52083]])


def test_the_packaged_ranges_load_with_their_sources():
    assert set(RANGES) == {"uttr", "siziwang"}
    assert landing_range("uttr") is UTTR
    assert "150929" in SIZIWANG.source and "GCJ-02" in SIZIWANG.source
    assert "no licence stated" in SIZIWANG.source
    assert 50 <= SIZIWANG.latitude_deg.size <= 300  # simplified to a few hundred vertices


def test_siziwang_area_matches_the_published_area():
    # The banner spans 25,513 km2 (Wikipedia, "Dorbod Banner", from the banner's
    # government); the atlas's ring encloses 24,166 km2 before simplification (5.3 % less:
    # a web map's generalised line, and the published figure's own survey). 7 % holds both;
    # the 0.25 km simplification changes the area by < 0.1 %.
    assert SIZIWANG.area_km2 == pytest.approx(25_513.0, rel=0.07)


def test_siziwang_extent_matches_the_banner():
    # ~41.2-43.4 N (south of Ulan Hua to the Mongolian border) and from ~110.3 E in the
    # west to its eastern tip near 113.0 E (the banner's map, Wikipedia); 0.1 deg (~10 km).
    assert SIZIWANG.latitude_deg.min() == pytest.approx(41.2, abs=0.1)
    assert SIZIWANG.latitude_deg.max() == pytest.approx(43.4, abs=0.1)
    assert SIZIWANG.east_longitude_deg.min() == pytest.approx(110.3, abs=0.1)
    assert SIZIWANG.east_longitude_deg.max() == pytest.approx(113.0, abs=0.1)


def test_points_inside_and_outside_each_range():
    assert SIZIWANG.contains(*INSIDE_SIZIWANG.T).all()
    assert not SIZIWANG.contains(*OUTSIDE_SIZIWANG.T).any()
    assert not UTTR.contains(*INSIDE_SIZIWANG.T).any()
    assert UTTR.contains(40.365, -113.52083)


def test_a_bad_range_name_is_one_line_naming_field_value_and_names():
    with pytest.raises(ScenarioError) as info:
        msrsim.load_scenario("tianwen3", overrides={"ees.landing_range": "mojave"})
    message = str(info.value)
    assert "\n" not in message
    assert "ees.landing_range" in message and "'mojave'" in message
    assert "'uttr'" in message and "'siziwang'" in message
    with pytest.raises(ValueError, match="landing_range = 'mojave': must be one of 'uttr'"):
        landing_range("mojave")


def test_scenarios_choose_their_range():
    assert msrsim.load_scenario().ees.landing_range == "uttr"
    assert msrsim.load_scenario("tianwen3").ees.landing_range == "siziwang"


def test_the_tianwen3_entry_leg_counts_landings_in_its_own_range():
    # A Mars return arriving mid-2031 (the tianwen3 plan's Earth arrival) with a 3 km/s
    # excess velocity at 20 deg declination; the capsule aimed at 42.0 N, 111.5 E. Its
    # footprint (tens of km) lies well inside the ~200 km banner, so every landing counts
    # as inside; the same landings are outside the UTTR, which the leg no longer reads.
    from msrsim.campaign.earth_entry import ReturnArrival, run_earth_entry
    from msrsim.core.time import utc_to_et

    scenario = msrsim.load_scenario("tianwen3")
    dec, ra = math.radians(20.0), math.radians(100.0)
    v_inf = 3000.0 * np.array(
        [math.cos(dec) * math.cos(ra), math.cos(dec) * math.sin(ra), math.sin(dec)]
    )
    et = float(np.ravel(utc_to_et("2031-07-15T00:00:00"))[0])
    result = run_earth_entry(scenario, ReturnArrival(et, v_inf, "test"), trials=16, seed=1)
    landed = result.footprint.entries.flight.status == 0
    lat = np.degrees(result.footprint.entries.landing_latitude_rad[landed])
    lon = np.degrees(result.footprint.entries.landing_longitude_rad[landed])
    assert landed.sum() >= 15
    assert result.landing_range is SIZIWANG
    assert result.inside_range[landed].all()
    assert not UTTR.contains(lat, lon).any()
