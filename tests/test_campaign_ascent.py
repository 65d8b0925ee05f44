"""Leg 5 of the campaign: the MAV's ascent from the scenario, and its hand-off orbit."""

import math

import numpy as np
import pytest

from msrsim.campaign.ascent import (
    MODELLED,
    landing_from_edl,
    launch_epoch,
    launch_site,
    run_ascent_leg,
)
from msrsim.campaign.outcomes import LEGS
from msrsim.core.bodies import MARS
from msrsim.core.time import local_mean_solar_time_hours
from msrsim.scenario import baseline
from msrsim.segments.ascent import classical_elements, mci0_to_icrf_matrix

TRIALS = 300


@pytest.fixture(scope="module")
def leg():
    return run_ascent_leg(baseline(), LEGS[4], trials=TRIALS)


def test_leg_outcome_and_milestones(leg):
    outcome, milestones, result = leg
    assert outcome.leg.number == 5 and outcome.status == MODELLED
    assert set(outcome.summary) == {
        "vehicle",
        "nominal_ascent",
        "delta_v_budget_m_s",
        "propellant_temperature",
        "monte_carlo",
    }
    assert [m.name for m in milestones] == [
        "MAV launch from Jezero",
        "Orbiting Sample released in Mars orbit",
    ]
    assert milestones[0].utc <= milestones[1].utc
    # toss to release: SRM1 ~70 s, a ~10 min coast, SRM2, release
    assert 300.0 < result.release_et - result.launch_et < 2000.0
    assert outcome.summary["monte_carlo"]["trials"] == TRIALS


def test_hand_off_state_and_covariance(leg):
    _, _, result = leg
    assert result.state_icrf.shape == (6,) and result.covariance_icrf.shape == (6, 6)
    cov = result.covariance_icrf
    np.testing.assert_allclose(cov, cov.T, rtol=0, atol=1e-9 * np.abs(cov).max())
    assert np.linalg.eigvalsh(cov).min() > -1e-9 * np.abs(cov).max()
    flown = result.orbits.flown
    states = result.orbits.state_icrf[flown]
    np.testing.assert_allclose(result.state_icrf, states.mean(axis=0))
    # the mean OS state sits near the 500 km orbit (1-sigma of a is tens of km)
    radius = np.linalg.norm(result.state_icrf[:3]) - MARS.mean_radius.value
    assert radius == pytest.approx(500e3, abs=60e3)
    assert 0.5 <= result.probability_stable_orbit <= 1.0


def test_icrf_state_is_the_flown_state_rotated(leg):
    _, _, result = leg
    nominal = result.design.nominal
    rotation = mci0_to_icrf_matrix(result.launch_et)
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-14)
    r_icrf = rotation @ nominal.position_m[0]
    v_icrf = rotation @ nominal.velocity_m_s[0]
    assert result.orbits.epoch_et == result.release_et
    el = classical_elements(nominal.position_m, nominal.velocity_m_s)
    # the MME frame and MCI0 share the IAU pole: the same inclination (to round-off)
    assert result.nominal_elements["inclination_rad"] == pytest.approx(
        float(el["inclination_rad"][0]), abs=1e-9
    )
    assert np.linalg.norm(r_icrf) == pytest.approx(np.linalg.norm(nominal.position_m[0]))
    assert np.linalg.norm(v_icrf) == pytest.approx(np.linalg.norm(nominal.velocity_m_s[0]))


def test_launch_at_the_scenario_local_time():
    s = baseline()
    ready = 9.9e8
    et = launch_epoch(s, ready)
    assert ready <= et < ready + 88775.244
    lmst = float(local_mean_solar_time_hours(et, s.srl.target.east_longitude_deg)[0])
    assert lmst == pytest.approx(s.mav.launch_local_mean_solar_time_h, abs=1e-6)


def test_landing_point_replaces_the_target():
    s = baseline()
    here = launch_site(s, 9.9e8)
    there = launch_site(s, 9.9e8, latitude_deg=18.5, east_longitude_deg=77.3)
    assert there.longitude_rad == pytest.approx(math.radians(77.3))
    assert there.latitude_rad > here.latitude_rad
    # planetodetic: ~0.2 deg poleward of the planetocentric 18.45 deg
    assert math.degrees(here.latitude_rad) == pytest.approx(18.45 + 0.21, abs=0.03)


def test_hand_off_is_an_orbit_state_for_the_rendezvous_leg(leg):
    from msrsim.segments.orbiting_sample import OrbitState

    _, _, result = leg
    et, state, covariance = result.hand_off
    handed = OrbitState(et, state, covariance)  # validates: finite, symmetric, PSD
    assert handed.et == result.release_et
    # the OS orbit's spread: position sigmas of km, velocity sigmas of m/s to tens of m/s
    sigma = np.sqrt(np.diag(handed.covariance))
    assert np.all(sigma[:3] > 100.0) and np.all(sigma[:3] < 1e5)
    assert np.all(sigma[3:] > 0.1) and np.all(sigma[3:] < 200.0)


def test_landing_from_edl_round_trips_to_the_launch_site():
    from types import SimpleNamespace

    s = baseline()
    site = launch_site(s, 9.9e8)
    edl = SimpleNamespace(
        nominal=SimpleNamespace(
            landing_latitude_rad=np.array([site.latitude_rad]),
            landing_longitude_rad=np.array([site.longitude_rad]),
        )
    )
    lat, lon = landing_from_edl(edl)
    assert lat == pytest.approx(s.srl.target.latitude_deg, abs=1e-9)
    assert lon == pytest.approx(s.srl.target.east_longitude_deg, abs=1e-9)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("srm1", "propellant_mass_kg"),
            400.0,
            "the motors, stage structures and payload add up to 572.0 kg but "
            "gross_liftoff_mass_kg = 400.0: they must agree within 10 %",
        ),
        (
            ("propellant_temperature_c",),
            -50.0,
            "propellant_temperature_c = -50.0 must lie between min_propellant_temperature_c "
            "= -40.0 and dispersions.propellant_temperature_max_c = 0.0",
        ),
        (
            ("guidance", "coast_min_s"),
            2000.0,
            "coast_min_s = 2000.0 must be less than coast_max_s = 1500.0",
        ),
        (
            ("srm2", "thrust_curve"),
            "flat",
            "mav.srm2.thrust_curve = 'flat': must be 'neutral', 'progressive', 'regressive' "
            "or 'boost_sustain'",
        ),
    ],
)
def test_mav_scenario_problems_name_field_and_value(path, value, message):
    import tomllib

    from msrsim.scenario import ScenarioError, baseline_text, parse_scenario

    data = tomllib.loads(baseline_text())
    table = data["mav"]
    for key in path[:-1]:
        table = table[key]
    table[path[-1]] = value
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "test.toml")
    assert any(message in line for line in info.value.problems), info.value.problems
