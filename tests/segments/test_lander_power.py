"""segments.lander_power and its coupling to the surface leg: the insolation against a
closed form, the energy that gates the arm, storms that drain a solar lander, the lander's
own sampling and relay-gated commanding (hand calculations and distribution means)."""

import dataclasses
import math

import numpy as np
import pytest

from msrsim.core.streams import TrialGenerator
from msrsim.core.time import SOL_S, solar_longitude_deg, utc_to_et
from msrsim.segments.lander_power import (
    _TABLE_III,
    _TAU,
    _ZENITH_DEG,
    MARS_OBLIQUITY_DEG,
    DustStorms,
    LanderPower,
    Rtg,
    SolarArray,
    climatology_tau,
    daily_insolation_wh_m2,
    net_flux_function,
    sun_distance_au,
)
from msrsim.segments.surface import (
    Helicopters,
    LanderAcquisition,
    MavLaunch,
    RelayOrbiter,
    RoverTraverse,
    SurfacePlan,
    TransferArm,
    simulate_surface,
    surface_timeline,
)
from msrsim.segments.surface_depot import DepotLayout, MarsSite, SelectionPolicy

LANDER = MarsSite(18.45, 77.45)
NEXT_DOOR = MarsSite(18.4495, 77.45)  # 30 m south: Perseverance arrives on sol 0


def et(utc: str) -> float:
    return float(utc_to_et(utc)[0])


def plan_with(landing="2029-01-01", deadline="2031-06-01", ls_window=(0.0, 360.0), **kw):
    rover = RoverTraverse(
        start=NEXT_DOOR,
        anomaly_probability_per_sol=0.0,
        failure_probability_per_sol=0.0,
        drive_rate_sigma_fraction=0.0,
    )
    return SurfacePlan(
        landing_et=et(landing),
        lander=LANDER,
        rover=rover,
        arm=TransferArm(),
        helicopters=Helicopters(send_when_rover_late=False),
        depot=DepotLayout(MarsSite(18.45, 77.445)),
        selection=SelectionPolicy(),
        mav=MavLaunch(deadline_et=et(deadline), launch_ls_window_deg=ls_window),
        **kw,
    )


def test_net_flux_function_reproduces_table_iii_at_its_nodes():
    z, t = np.meshgrid(_ZENITH_DEG[:-1], _TAU, indexing="xy")
    assert np.allclose(net_flux_function(z, t) * 0.9, _TABLE_III, atol=1e-12)
    assert np.allclose(net_flux_function([0.0, 45.0, 89.0], 0.0), 1.0)  # no atmosphere
    # Beyond tau = 6 the tail keeps decreasing and stays positive.
    tail = net_flux_function(30.0, np.array([6.0, 8.0, 11.0]))
    assert np.all(np.diff(tail) < 0) and tail[-1] > 0


def test_clear_sky_insolation_equals_the_closed_form():
    # tau = 0: H = S / r^2 (sol / 2 pi) 2 (w0 sin(lat) sin(d) + cos(lat) cos(d) sin(w0)),
    # the textbook daily integral; quadrature to 1e-9 relative.
    for ls, lat in [(0.0, 0.0), (90.0, 18.45), (251.0, -30.0), (300.0, 60.0)]:
        d = math.asin(math.sin(math.radians(MARS_OBLIQUITY_DEG)) * math.sin(math.radians(ls)))
        p = math.radians(lat)
        w0 = math.acos(max(-1.0, min(1.0, -math.tan(p) * math.tan(d))))
        flux = 1361.0 / float(sun_distance_au(ls)) ** 2
        closed = flux * SOL_S / math.pi * (
            w0 * math.sin(p) * math.sin(d) + math.cos(p) * math.cos(d) * math.sin(w0)
        ) / 3600.0  # fmt: skip
        assert float(daily_insolation_wh_m2(ls, lat, 0.0)) == pytest.approx(closed, rel=1e-9)


def test_polar_night_gets_nothing_and_dust_only_takes_away():
    assert float(daily_insolation_wh_m2(90.0, -80.0, 0.5)) == 0.0
    h = daily_insolation_wh_m2(0.0, 18.45, np.array([0.0, 0.5, 1.0, 3.0, 8.0]))
    assert np.all(np.diff(h) < 0)


def test_climatology_peaks_at_perihelion_season():
    assert float(climatology_tau(250.0, 0.5, 0.9)) == pytest.approx(0.9)
    assert float(climatology_tau(70.0, 0.5, 0.9)) == pytest.approx(0.5)


def test_energy_left_after_keep_alive_paces_the_arm():
    # An RTG of 60 W (no converter loss, fuelled at landing: -0.79 %/yr, 59.95 W over these
    # sols), 50 W kept alive all sol, the arm at 100 W: 9.95 W x 24.66 h = 245.4 Wh a sol,
    # 2.454 h of arm work; 22 tubes of 4 h need 88 h: 35.9, so 36 sols of work from the
    # end of checkout (sol 14), the last tube on sol 49; without a power model one tube a
    # sol, the last on sol 35. The arm's row starts at the first tube loaded.
    rtg = Rtg(bol_power_w=60.0, conversion_degradation_per_year=0.0, age_at_landing_years=0.0)
    power = LanderPower("rtg", rtg=rtg, keep_alive_w=50.0, arm_w=100.0)
    free = surface_timeline(plan_with())
    gated = surface_timeline(plan_with(power=power))
    span = [
        next(a for a in tl.activities if a.name.startswith("Sample Transfer Arm"))
        for tl in (free, gated)
    ]
    assert (span[0].start_sol, span[0].end_sol) == (14, 35)
    assert (span[1].start_sol, span[1].end_sol) == (15, 49)  # 2 x 2.454 h >= 4 h on sol 15
    assert len(gated.tubes_loaded) == 22 and gated.lander_lost_sol is None


def _storm_plan(source: str, **dust):
    # Landing at Ls 64; the MAV may launch only in Ls [0, 30): it waits through a dust
    # season in which a global storm (certain here, peak tau 10-11) blots out the Sun.
    storms = DustStorms(global_probability_per_mars_year=1.0, peak_tau=(10.0, 11.0), **dust)
    power = LanderPower(source, array=SolarArray(area_m2=8.0), dust=storms, battery_wh=2000.0)
    return plan_with(ls_window=(0.0, 30.0), power=power)


def test_a_global_storm_drains_a_solar_lander_but_not_an_rtg_one():
    n = 64
    solar = simulate_surface(_storm_plan("solar"), TrialGenerator(3, "surface", 0, n))
    rtg = simulate_surface(_storm_plan("rtg"), TrialGenerator(3, "surface", 0, n))
    assert rtg.lander_lost.sum() == 0 and np.isfinite(rtg.mav_ready_et).all()
    assert solar.lander_lost.all() and np.isnan(solar.mav_ready_et).all()
    # Nominal run (no storm): the same solar lander survives the dust season.
    tl = surface_timeline(_storm_plan("solar"))
    assert tl.lander_lost_sol is None and tl.mav_ready_sol is not None
    assert float(solar_longitude_deg(tl.mav_ready_et)[0]) < 30.0


def test_storm_losses_happen_in_the_storm_season_and_replay_per_trial():
    plan = _storm_plan("solar", rise_sols=7.0)
    batch = simulate_surface(plan, TrialGenerator(5, "surface", 0, 8))
    one = simulate_surface(plan, TrialGenerator(5, "surface", 6, 1))
    assert one.battery_min_wh[0] == batch.battery_min_wh[6]
    assert one.lander_lost[0] == batch.lander_lost[6]
    tl = surface_timeline(plan, rng=TrialGenerator(5, "surface", 6, 1))
    lost = next(a for a in tl.activities if a.name.startswith("Lander lost"))
    assert 185.0 <= float(solar_longitude_deg(lost.start_et)[0]) <= 300.0


def test_lander_samples_without_a_courier_hand_calculation():
    # Checkout 14 sols; one scoop (2 sols) then one drill sample (5 sols), no failure, every
    # sol commanded: sols 14-15 and 16-20; nothing from Perseverance or the depot.
    acq = LanderAcquisition(
        scoop_samples=1, drill_samples=1, failure_probability_per_attempt=0.0, rover_courier=False
    )
    tl = surface_timeline(plan_with(acquisition=acq))
    assert tl.lander_samples_loaded == 2 and tl.tubes_loaded == ()
    assert tl.loading_complete_sol == 20 and tl.rover_arrival_sol is None
    row = next(a for a in tl.activities if a.name.startswith("Lander scoops"))
    assert (row.start_sol, row.end_sol) == (14, 20)
    assert tl.mav_ready_sol == 31  # 10 sols of preparation, launch allowed all year


def test_retries_and_relay_passes_stretch_sampling_by_their_means():
    # Failures: each sample takes a geometric number of attempts, mean 1 / (1 - p) = 2,
    # so 2 x (2 + 5) = 14 sols on average, the last on sol 14 + 14 - 1 = 27.
    n = 4000
    acq = LanderAcquisition(
        scoop_samples=1, drill_samples=1, failure_probability_per_attempt=0.5, rover_courier=False
    )
    out = simulate_surface(plan_with(acquisition=acq), TrialGenerator(1, "surface", 0, n))
    assert out.loading_complete_sol.mean() == pytest.approx(27.0, abs=0.5)  # SE 0.12
    # Relay: 1 pass a sol, 50 % usable: a sol is commanded with p = 1 - exp(-0.5) = 0.393;
    # 10 one-sol scoops need 10 / p = 25.4 sols on average (negative binomial).
    relay = RelayOrbiter(passes_per_sol=1.0, pass_success_probability=0.5)
    p = relay.commanded_probability
    assert p == pytest.approx(-math.expm1(-0.5))
    acq = dataclasses.replace(
        acq, scoop_samples=10, drill_samples=0, scoop_sols_per_sample=1,
        failure_probability_per_attempt=0.0,
    )  # fmt: skip
    out = simulate_surface(
        plan_with(acquisition=acq, relay=relay), TrialGenerator(2, "surface", 0, n)
    )
    assert out.loading_complete_sol.mean() == pytest.approx(13 + 10 / p, abs=0.5)  # SE 0.1
    assert (out.lander_samples_loaded == 10).all()


def test_bad_power_input_names_the_field():
    with pytest.raises(ValueError, match="source = 'fusion'"):
        LanderPower("fusion")
    with pytest.raises(ValueError, match="failure_probability_per_attempt = 1.0"):
        LanderAcquisition(failure_probability_per_attempt=1.0)
