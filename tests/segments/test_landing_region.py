"""The landing region a Mars landing is judged safe in (scenario ``srl.landing_region``,
:func:`msrsim.campaign.edl.landing_region`): Jezero's rim by default, or a circle about
another site (Tianwen-3's Utopia Planitia area), measured on Mars' mean sphere.

Checked against the spherical law of cosines written out here (an independent formula
for the haversine the map uses) and against the published figures of the sites: Jezero
(IAU/USGS Gazetteer), Zhurong's touchdown (Liu et al., Nature Astronomy 2022).
"""

import math
import tomllib

import pytest

from msrsim.api import load_scenario
from msrsim.campaign.edl import landing_region
from msrsim.scenario import ScenarioError, baseline, baseline_text, parse_scenario
from msrsim.segments.jezero import JEZERO, rim_clearance_km

MEAN_RADIUS_KM = 3389.5  # IAU WGCCRE 2015


def law_of_cosines_km(lat1, lon1, lat2, lon2):
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return MEAN_RADIUS_KM * math.acos(min(1.0, c))


def test_the_baseline_lands_in_jezero():
    region = landing_region(baseline())
    assert region is JEZERO
    r = baseline().srl.landing_region
    assert (r.latitude_deg, r.east_longitude_deg, r.diameter_km) == (18.38, 77.58, 45.0)


def test_tianwen3_lands_in_utopia_at_zhurongs_site():
    s = load_scenario("tianwen3")
    region = landing_region(s)
    assert "Utopia" in region.landing_site_name
    # Zhurong: 25.066 N, 109.925 E at -4,099.4 m (Liu et al. 2022)
    assert (s.srl.target.latitude_deg, s.srl.target.east_longitude_deg) == (25.066, 109.925)
    assert s.srl.edl.ground_altitude_m == -4099.4
    assert s.srl.edl.terminal_descent == "legged"
    assert region.crater_radius_km == 30.0
    # the mission must ascend into an orbit inclined above the site's latitude
    assert s.mav.target_orbit_inclination_deg > s.srl.target.latitude_deg


@pytest.mark.parametrize(
    "lat, lon", [(25.066, 109.925), (25.5, 109.925), (25.066, 110.4), (24.0, 109.0), (26, 111)]
)
def test_the_clearance_is_the_radius_less_the_distance(lat, lon):
    region = landing_region(load_scenario("tianwen3"))
    expected = 30.0 - law_of_cosines_km(25.066, 109.925, lat, lon)
    got = float(rim_clearance_km(lat, lon, region))
    assert got == pytest.approx(expected, abs=1e-6)  # km: the two formulas agree


def test_a_target_outside_its_region_is_one_line():
    tree = tomllib.loads(baseline_text())
    tree["srl"]["target"]["latitude_deg"] = 25.066
    with pytest.raises(ScenarioError) as info:
        parse_scenario(tree, "test.toml")
    (problem,) = info.value.problems
    assert "srl.target = (25.066, 77.45)" in problem
    assert "outside its 22.5 km radius" in problem
