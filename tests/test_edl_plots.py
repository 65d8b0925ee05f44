"""report.edl_plots: EDL figures on Jezero, rim clearance, and the published geography.

The EDL is the baseline SRL's (leg 3, campaign.edl.run_edl): aimed at the target near the
Three Forks depot (scenario baseline: 18.45 N, 77.45 E; depot 18.45 N, 77.445 E) on
Jezero's floor, its chute qualified to Mach 2.2 and 750 Pa.

Geography checked against published values:

* Jezero crater: centre 18.38 N, 77.58 E (planetocentric, east), diameter 45.0 km: IAU/USGS
  Gazetteer of Planetary Nomenclature, as quoted by Wikipedia "Jezero (crater)"
  (18.3793 N, 77.5793 E); NASA/JPL describe it as "28-mile-wide" (45 km). Older copies of
  the Gazetteer entry gave 18.855 N, 77.519 E and 49 km.
* Perseverance's touchdown, Octavia E. Butler Landing (named by NASA on 2021-03-05):
  18.4447 N, 77.4508 E (NASA/JPL; Wikipedia "Octavia E. Butler Landing": 18.44 N, 77.45 E).
"""

import dataclasses
import math

import numpy as np
import pytest

from msrsim.campaign.edl import run_edl
from msrsim.campaign.launch import search_launch
from msrsim.report.edl_plots import edl_plots
from msrsim.scenario import baseline
from msrsim.segments.jezero import (
    JEZERO,
    MARS_MEAN_RADIUS_M,
    circle_deg,
    ellipse_clearance,
    great_circle_km,
    landing_ellipse_local,
    planetocentric_latitude_deg,
    rim_clearance_km,
)

TARGET = (18.45, 77.45)  # scenario baseline [srl.target]
DEPOT = (18.45, 77.445)  # scenario baseline [surface.depot]


@pytest.fixture(scope="module")
def flown():
    """The baseline SRL's nominal (with history) and 300 dispersed landings at Jezero."""
    scenario = baseline()
    period = search_launch(scenario.srl_launch, scenario.srl.launch_mass_kg).launch_period
    result = run_edl(scenario, period, trials=300)
    return result.nominal, result.guided


def test_the_geography_matches_the_published_values():
    assert JEZERO.crater_latitude_deg == pytest.approx(18.38, abs=0.005)
    assert JEZERO.crater_longitude_deg == pytest.approx(77.58, abs=0.005)
    assert JEZERO.crater_diameter_km == pytest.approx(45.0, abs=0.5)
    assert JEZERO.landing_latitude_deg == pytest.approx(18.4447, abs=1e-4)
    assert JEZERO.landing_longitude_deg == pytest.approx(77.4508, abs=1e-4)
    assert "Gazetteer" in JEZERO.source and "Octavia E. Butler" in JEZERO.source
    # Perseverance landed on the crater floor, ~8 km west-north-west of the centre
    assert 5.0 < great_circle_km(18.38, 77.58, 18.4447, 77.4508) < 10.0
    assert rim_clearance_km(18.4447, 77.4508) > 10.0


def test_rim_clearance_is_the_radius_at_the_centre_zero_on_the_rim_negative_outside():
    site = JEZERO
    centre = rim_clearance_km(site.crater_latitude_deg, site.crater_longitude_deg, site)
    assert centre == pytest.approx(22.5, abs=1e-12)
    rim_lat, rim_lon = circle_deg(site.crater_latitude_deg, site.crater_longitude_deg, 22.5, 73)
    assert np.abs(rim_clearance_km(rim_lat, rim_lon, site)).max() < 1e-9
    out_lat, out_lon = circle_deg(site.crater_latitude_deg, site.crater_longitude_deg, 30.0, 73)
    assert rim_clearance_km(out_lat, out_lon, site) == pytest.approx(-7.5, abs=1e-9)
    # a point due north by 10 km: clearance 12.5 km, by the arc length on the mean sphere
    north = site.crater_latitude_deg + math.degrees(10e3 / MARS_MEAN_RADIUS_M)
    assert rim_clearance_km(north, site.crater_longitude_deg, site) == pytest.approx(12.5)


def test_planetocentric_latitude_and_the_local_ellipse():
    # on the ellipsoid tan(phi_c) = (b / a)^2 tan(phi_d), IAU radii 3396.19 and 3376.2 km:
    # 44.6618 deg at 45 deg
    expected = math.degrees(math.atan((3376.2 / 3396.19) ** 2))
    assert planetocentric_latitude_deg(math.radians(45.0)) == pytest.approx(expected, abs=1e-12)
    assert planetocentric_latitude_deg(0.0) == 0.0
    # points spread 2 km (1 sigma) east and 1 km north: 99 % semi-axes sqrt(9.21) x sigma
    rng = np.random.default_rng(1)
    east, north = 2.0 * rng.standard_normal(200_000), rng.standard_normal(200_000)
    r_km = MARS_MEAN_RADIUS_M / 1e3
    lat = 18.4 + np.degrees(north / r_km)
    lon = 77.5 + np.degrees(east / (r_km * math.cos(math.radians(18.4))))
    e = landing_ellipse_local(lat, lon)
    assert e.semi_major_km == pytest.approx(2.0 * math.sqrt(9.2103), rel=0.01)
    assert e.semi_minor_km == pytest.approx(math.sqrt(9.2103), rel=0.01)
    assert min(e.major_axis_azimuth_deg, 180.0 - e.major_axis_azimuth_deg) == pytest.approx(
        90.0, abs=1.0
    )


def test_the_figures_are_written(flown, tmp_path):
    nominal, batch = flown
    assert batch.landed.all()
    stats = ellipse_clearance(batch, JEZERO, *TARGET)
    assert stats.ellipse_inside  # an MSL-class ellipse fits on Jezero's floor
    assert np.median(stats.miss_km) < 10.0
    paths = edl_plots(
        nominal,
        batch,
        tmp_path / "edl",
        target_latitude_deg=TARGET[0],
        target_longitude_deg=TARGET[1],
        depot_latitude_deg=DEPOT[0],
        depot_longitude_deg=DEPOT[1],
        max_deploy_mach=2.2,
        max_deploy_dynamic_pressure_pa=750.0,
    )
    assert [p.name for p in paths] == [
        "edl_profile.png",
        "edl_ellipse_map.png",
        "edl_distributions.png",
    ]
    for p in paths:
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 20_000


def test_the_profile_needs_a_history(flown, tmp_path):
    from msrsim.report.edl_plots import edl_profile

    nominal, _ = flown
    bare = dataclasses.replace(nominal, entry=dataclasses.replace(nominal.entry, history=None))
    with pytest.raises(ValueError, match="history_samples"):
        edl_profile(bare, tmp_path / "x.png")


def _drawn_texts(monkeypatch, batch, site, tmp_path) -> str:
    """The suptitle, axes titles and legend labels of the landing map drawn for ``site``."""
    import msrsim.report.edl_plots as edl_plots_module

    seen = []
    save = edl_plots_module.save_figure

    def keep(fig, plt, path, **options):
        seen.append(fig._suptitle.get_text())
        for ax in fig.axes:
            seen.append(ax.get_title())
            seen.extend(ax.get_legend_handles_labels()[1])
        return save(fig, plt, path, **options)

    monkeypatch.setattr(edl_plots_module, "save_figure", keep)
    edl_plots_module.edl_ellipse_map(batch, site, tmp_path / "map.png", *TARGET, *DEPOT)
    return " | ".join(seen)


def test_the_map_names_the_scenarios_landing_region(flown, monkeypatch, tmp_path):
    """srl.landing_region other than Jezero (Tianwen-3's Utopia): the map is of that region,
    without Perseverance's landing or the depot, which are in Jezero."""
    _, batch = flown
    jezero = _drawn_texts(monkeypatch, batch, JEZERO, tmp_path)
    assert "footprint in Jezero: the 99 % ellipse is inside the rim" in jezero
    assert "Perseverance" in jezero and "Three Forks depot" in jezero
    region = dataclasses.replace(JEZERO, crater_diameter_km=80.0, landing_site_name="Test plain")
    other = _drawn_texts(monkeypatch, batch, region, tmp_path)
    assert "footprint in Test plain: the 99 % ellipse is inside the region's edge" in other
    assert "Test plain landing region (80 km circle)" in other
    assert "Jezero" not in other and "Perseverance" not in other and "depot" not in other
