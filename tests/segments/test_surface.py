"""segments.surface: traverse, helicopters, transfer arm, selection, calendar, Monte Carlo."""

import dataclasses
import math
import time

import numpy as np
import pytest

from msrsim.core.streams import TrialGenerator
from msrsim.core.time import SOL_PER_DAY, solar_longitude_deg, utc_to_et
from msrsim.samples.catalog import load_catalog
from msrsim.segments.surface import (
    SOL_S,
    Helicopters,
    MavLaunch,
    RoverTraverse,
    SurfacePlan,
    SurfaceTrials,
    TransferArm,
    in_ls_window,
    prepare,
    simulate_surface,
    surface_calendar,
    surface_timeline,
)
from msrsim.segments.surface_depot import (
    MARS_RADIUS_M,
    DepotLayout,
    MarsSite,
    SelectionPolicy,
    build_manifest,
    depot_positions_deg,
    great_circle_m,
    rank_tubes,
)

LANDER = MarsSite(18.45, 77.45)
SAPPHIRE_CANYON = MarsSite(18.49747434, 77.30514915)  # catalog note (PDS)
DEPOT_TUBES = {
    "Malay", "Mageik", "Crosswind Lake", "Roubion", "Coulettes",
    "Montdenier", "Bearwallow", "Skyland", "Atsa", "Amalik witness",
}  # fmt: skip


def et(utc: str) -> float:
    return float(utc_to_et(utc)[0])


def monte_carlo(plan, n, seed, start=0, **touchdown):
    """Trials ``start .. start + n - 1`` of the surface Monte Carlo under ``seed``."""
    return simulate_surface(plan, TrialGenerator(seed, "surface", start, n), **touchdown)


def make_plan(landing="2029-07-01", deadline="2030-09-01", rover=None, heli=None, **kw):
    """A baseline-like plan (the scenario's representative values)."""
    return SurfacePlan(
        landing_et=et(landing),
        lander=LANDER,
        rover=rover or RoverTraverse(start=SAPPHIRE_CANYON),
        arm=TransferArm(),
        helicopters=heli or Helicopters(),
        depot=kw.pop("depot", DepotLayout(MarsSite(18.45, 77.445))),
        selection=kw.pop("selection", SelectionPolicy()),
        mav=kw.pop("mav", MavLaunch(deadline_et=et(deadline))),
        **kw,
    )


def certain_rover(start=SAPPHIRE_CANYON, **kw):
    """Perseverance with no randomness: no anomaly, failure or rate dispersion."""
    base = dict(
        start=start,
        anomaly_probability_per_sol=0.0,
        failure_probability_per_sol=0.0,
        drive_rate_sigma_fraction=0.0,
    )
    return RoverTraverse(**(base | kw))


def certain_helicopters(**kw):
    base = dict(wind_no_fly_probability_per_sol=0.0, loss_probability_per_flight=0.0)
    return Helicopters(**(base | kw))


def chord_distance_m(a: MarsSite, b: MarsSite) -> float:
    """Great-circle distance from the angle between unit vectors (independent of haversine)."""

    def unit(s):
        lat, lon = math.radians(s.latitude_deg), math.radians(s.east_longitude_deg)
        return np.array(
            [math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)]
        )

    u, v = unit(a), unit(b)
    return MARS_RADIUS_M * math.atan2(np.linalg.norm(np.cross(u, v)), np.dot(u, v))


# --------------------------------------------------------------------------------------
# Geometry and selection
# --------------------------------------------------------------------------------------


def test_great_circle_agrees_with_vector_angle():
    # Two formulas of the same distance: agree to 1 mm over 9 km (float64 rounding).
    d = great_circle_m(LANDER, SAPPHIRE_CANYON.latitude_deg, SAPPHIRE_CANYON.east_longitude_deg)
    assert float(d) == pytest.approx(chord_distance_m(LANDER, SAPPHIRE_CANYON), abs=1e-3)


def test_depot_zigzag_respects_the_published_spacing():
    # PIA25682: ten tubes 5-15 m apart in a zigzag; the layout gives 10 m between
    # consecutive tubes (sqrt(8^2 + 6^2)), to 1 mm (tangent-plane placement).
    layout = DepotLayout(MarsSite(18.45, 77.445), axis_azimuth_deg=35.0)
    lat, lon = depot_positions_deg(layout, 10)
    steps = [
        chord_distance_m(MarsSite(lat[k], lon[k]), MarsSite(lat[k + 1], lon[k + 1]))
        for k in range(9)
    ]
    assert steps == pytest.approx([10.0] * 9, abs=1e-3)
    assert all(5.0 <= d <= 15.0 for d in steps)
    # The zigzag alternates sides: every other tube is on the same side of the axis.
    assert chord_distance_m(MarsSite(lat[0], lon[0]), MarsSite(lat[2], lon[2])) == pytest.approx(
        16.0, abs=1e-3
    )


def test_ranking_puts_priority_then_witness_tubes_first():
    ranked = rank_tubes(load_catalog(), SelectionPolicy())
    names = [t.name for t in ranked]
    assert names[:3] == ["Sapphire Canyon", "Silver Mountain", "Comet Geyser"]
    witness = [t.name for t in ranked if t.is_witness]
    assert names[3 : 3 + len(witness)] == witness
    rest = [t.sol for t in ranked[3 + len(witness) :]]
    assert rest == sorted(rest)
    no_witness = rank_tubes(load_catalog(), SelectionPolicy(include_witness=False))
    assert not any(t.is_witness for t in no_witness)
    with pytest.raises(ValueError, match="Cheyava"):
        rank_tubes(load_catalog(), SelectionPolicy(priority=("Cheyava",)))


def test_small_capacity_loads_the_priority_tubes():
    manifest = build_manifest(SelectionPolicy(capacity_tubes=4))
    assert manifest.rover_target == 4
    tl = surface_timeline(make_plan(rover=certain_rover(), selection=SelectionPolicy(4)))
    assert [t.name for t in tl.tubes_loaded] == [t.name for t in manifest.rover[:4]]
    assert tl.tubes_loaded[0].name == "Sapphire Canyon"


def test_top_up_loads_the_first_30_of_the_whole_ranking():
    # With top-up the Orbiting Sample takes the best 30 of all 32 candidates wherever they
    # are: the ranking's last two (the latest rover samples) stay behind, the helicopters
    # fetch all ten depot tubes.
    policy = SelectionPolicy(helicopters_top_up=True)
    plan = make_plan(rover=certain_rover(), selection=policy, heli=certain_helicopters())
    tl = surface_timeline(plan)
    ranked = rank_tubes(load_catalog(), policy)
    assert {t.name for t in tl.tubes_loaded} == {t.name for t in ranked[:30]}
    by_helicopter = {t.name for t in tl.tubes_loaded if t.courier == "helicopter"}
    assert by_helicopter == DEPOT_TUBES
    assert len(tl.flights) == 20


# --------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------


def test_sols_are_mean_solar_days_and_sol_zero_holds_the_landing():
    plan = make_plan()
    cal = surface_calendar(plan)
    # Mars24: a sol is 1.027491252 days; TT-TDB's periodic term changes it by < 2 ms.
    assert np.diff(cal.start_et) == pytest.approx(SOL_S, abs=2e-3)
    assert SOL_S == pytest.approx(86400.0 / SOL_PER_DAY, abs=1e-3)
    assert cal.start_et[0] <= plan.landing_et < cal.start_et[1]
    assert (
        cal.start_et[cal.deadline_sol] <= plan.mav.deadline_et < cal.start_et[cal.deadline_sol + 1]
    )


def test_calendar_marks_the_2030_conjunction_and_the_seasons():
    cal = surface_calendar(make_plan())
    conj = np.flatnonzero(cal.conjunction[: cal.deadline_sol])
    # 2-deg span of May 2030 (DE421: May 17 14:07 to Jun 2 03:23): 15.6 days = 15.2 sols,
    # touching 16 or 17 sols. The calendar runs on past the deadline into the July 2032 one.
    assert len(cal.conjunctions) == 2 and 16 <= conj.size <= 17
    assert np.all(np.diff(conj) == 1)
    mid = 0.5 * (cal.start_et[:-1] + cal.start_et[1:])
    np.testing.assert_allclose(cal.solar_longitude_deg[:5], solar_longitude_deg(mid[:5]), atol=1e-9)
    assert not cal.launch_allowed[cal.conjunction].any()
    assert np.array_equal(cal.dust_season, in_ls_window(cal.solar_longitude_deg, (210, 300)))


def test_ls_windows_wrap_through_360():
    ls = np.array([10.0, 100.0, 300.0, 350.0, 359.9, 0.0])
    assert in_ls_window(ls, (330.0, 30.0)).tolist() == [True, False, False, True, True, True]
    assert in_ls_window(ls, (0.0, 180.0)).tolist() == [True, True, False, False, False, True]


# --------------------------------------------------------------------------------------
# The deterministic cases against hand calculations
# --------------------------------------------------------------------------------------


def test_zero_failure_case_equals_hand_calculation():
    # Perseverance 0.1 deg of latitude south of the lander: D = R * 0.1 deg = 5,915.8 m;
    # route 1.5 D = 8,873.7 m; at 100 m per sol it needs ceil(88.7) = 89 driving sols.
    # Landing 2030-03-15 puts the May 2030 conjunction in the way: nothing moves then.
    # The arm (4 h per tube, 4 h per sol) then takes one tube per working sol from the sol
    # after arrival; 22 rover tubes; MAV ready 10 sols after the last, at once (launch
    # allowed all year here) unless that sol is in conjunction.
    start = MarsSite(18.35, 77.45)
    rover = certain_rover(start=start, tortuosity=1.5, drive_m_per_sol=100.0)
    mav = MavLaunch(
        deadline_et=et("2031-06-01"), preparation_sols=10, launch_ls_window_deg=(0, 360)
    )
    plan = make_plan(landing="2030-03-15", rover=rover, mav=mav)
    cal = surface_calendar(plan)
    route = MARS_RADIUS_M * math.radians(0.1) * 1.5
    driving_sols = math.ceil(route / 100.0)
    assert driving_sols == 89
    working = [s for s in range(cal.sols) if not cal.conjunction[s]]
    arrival = working[driving_sols - 1]
    assert cal.conjunction[:arrival].any()  # the conjunction did delay the traverse
    handover = [s for s in working if s > arrival][:22]
    ready = cal.next_launch_sol[handover[-1] + 1 + 10]

    tl = surface_timeline(plan)
    assert tl.rover_arrival_sol == arrival
    assert len(tl.tubes_loaded) == 22
    assert tl.loading_complete_sol == handover[-1]
    assert tl.mav_ready_sol == ready
    assert tl.mav_ready_et == cal.start_et[ready]
    assert tl.meets_deadline
    assert tl.flights == ()
    drive = next(a for a in tl.activities if a.name.startswith("Perseverance drives"))
    assert (drive.start_et, drive.end_sol) == (plan.landing_et, arrival)
    arm = next(a for a in tl.activities if a.name.startswith("Sample Transfer Arm"))
    assert (arm.start_sol, arm.end_sol) == (handover[0], handover[-1])


def test_helicopters_bring_the_depot_when_perseverance_fails():
    # Hand calculation: deployed on sol 20, each helicopter flies every 3rd sol (flight,
    # 2 recharge sols): out on sol 20, back on 23, out 26, ... two tubes per 6 sols, so
    # the 10 tubes are at the lander on sols 23, 29, 35, 41, 47 (two each) and the arm
    # loads one per sol: the last on sol 48. 2029-01 to 03: Ls 63-95, no dust season,
    # no conjunction.
    rover = certain_rover(fails_at_landing=True)
    plan = make_plan(landing="2029-01-01", rover=rover, heli=certain_helicopters())
    tl = surface_timeline(plan)
    assert tl.rover_arrival_sol is None
    assert {t.name for t in tl.tubes_loaded} == DEPOT_TUBES
    assert all(t.courier == "helicopter" for t in tl.tubes_loaded)
    assert len(tl.flights) == 20
    assert [f.sol for f in tl.flights] == [20 + 3 * (k // 2) for k in range(20)]
    assert [f.leg for f in tl.flights[::2]] == ["outbound", "return"] * 5
    for f in tl.flights:
        assert f.distance_m <= 700.0 and not f.lost
        assert f.end_et - f.start_et == pytest.approx(f.distance_m / 5.0, rel=1e-9)
    # Each tube goes out and back by the same helicopter; order follows the ranking.
    manifest = build_manifest(plan.selection)
    fetched = [f.tube for f in tl.flights if f.leg == "outbound"]
    assert fetched == [t.name for t in manifest.depot]
    assert tl.loading_complete_sol == 48
    assert tl.mav_ready_sol == cal_next(plan, 48 + 1 + 10)


def cal_next(plan, sol):
    return int(surface_calendar(plan).next_launch_sol[sol])


def test_a_far_depot_takes_hops_no_longer_than_the_range():
    # Depot 0.02 deg (1.18 km) east: each way needs ceil(1183 / 700) = 2 hops of ~592 m.
    rover = certain_rover(fails_at_landing=True)
    depot = DepotLayout(MarsSite(18.45, 77.45 + 0.02 / math.cos(math.radians(18.45))))
    plan = make_plan(landing="2029-01-01", rover=rover, heli=certain_helicopters(), depot=depot)
    setup = prepare(plan)
    assert np.all(setup.hops == 2)
    tl = surface_timeline(plan)
    assert len(tl.flights) == 40
    assert all(500.0 < f.distance_m <= 700.0 for f in tl.flights)


def test_no_flights_in_the_dust_season_or_conjunction():
    # Landing 2029-09-25 (Ls 192): the helicopters deploy at Ls 204.5, six degrees (ten
    # sols) before the no-fly season (Ls 210-300) and the May 2030 conjunction follows it.
    rover = certain_rover(fails_at_landing=True)
    plan = make_plan(landing="2029-09-25", rover=rover, heli=certain_helicopters())
    tl = surface_timeline(plan)
    cal = tl.calendar
    assert tl.flights
    assert not any(cal.dust_season[f.sol] or cal.conjunction[f.sol] for f in tl.flights)
    gaps = np.diff([f.sol for f in tl.flights])
    assert gaps.max() > 100  # the season stopped the campaign for months
    assert len(tl.tubes_loaded) == 10


def test_a_deadline_too_early_loads_nothing():
    # 60 sols to the deadline: the 13 km traverse needs ~110 sols, nothing is loaded
    # (helicopters held back for a failed rover only, as in the July 2022 plan).
    heli = Helicopters(send_when_rover_late=False)
    plan = make_plan(rover=certain_rover(), heli=heli, deadline="2029-09-01")
    tl = surface_timeline(plan)
    assert tl.tubes_loaded == () and tl.mav_ready_sol is None and not tl.meets_deadline
    assert math.isnan(tl.mav_ready_et)
    mc = monte_carlo(plan, 10, 0)
    assert mc.cut_by_deadline.all() and not mc.meets_deadline.any()


def test_baseline_like_case_delivers_on_a_plausible_date():
    # Perseverance ~9 km away (13 km of route): arrival about 110 sols after landing at
    # 120 m/sol; all 22 rover tubes loaded by ~sol 135; the MAV waits for northern spring
    # (launch Ls 0-180) and is ready before the September 2030 deadline.
    tl = surface_timeline(make_plan())
    route = chord_distance_m(SAPPHIRE_CANYON, LANDER) * 1.5
    assert tl.rover_arrival_sol == math.ceil(route / 120.0) - 1
    assert len(tl.tubes_loaded) == 22 and tl.tubes_loaded[0].name == "Sapphire Canyon"
    assert tl.loading_complete_sol == tl.rover_arrival_sol + 22
    assert et("2030-03-20") <= tl.mav_ready_et <= et("2030-09-01")  # Ls 0 is 2030-07
    assert 0.0 <= solar_longitude_deg(tl.mav_ready_et)[0] < 180.0
    assert tl.meets_deadline


# --------------------------------------------------------------------------------------
# Monte Carlo
# --------------------------------------------------------------------------------------


def test_monte_carlo_is_reproducible_and_chunk_independent():
    plan = make_plan()
    whole = monte_carlo(plan, 3000, 11)
    pieces = SurfaceTrials.concatenate(
        [monte_carlo(plan, min(700, 3000 - lo), 11, start=lo) for lo in range(0, 3000, 700)]
    )
    head = monte_carlo(plan, 1000, 11)
    other = monte_carlo(plan, 3000, 12)
    for f in dataclasses.fields(whole):
        a = getattr(whole, f.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, getattr(pieces, f.name), err_msg=f.name)
            np.testing.assert_array_equal(a[:1000], getattr(head, f.name)[:1000], err_msg=f.name)
    assert not np.array_equal(whole.rover_arrival_sol, other.rover_arrival_sol)


def test_a_trial_replays_as_a_timeline():
    plan = make_plan(rover=RoverTraverse(start=SAPPHIRE_CANYON, failure_probability_per_sol=0.005))
    mc = monte_carlo(plan, 400, 3)
    i = int(np.flatnonzero(mc.rover_failed & (mc.depot_tubes_loaded > 0))[0])
    tl = surface_timeline(plan, TrialGenerator(3, "surface", i, 1))
    assert len(tl.tubes_loaded) == mc.tubes_loaded[i]
    assert tl.loading_complete_sol == mc.loading_complete_sol[i]
    assert len(tl.flights) == mc.helicopter_flights[i] > 0


def test_rover_failure_fraction_matches_the_geometric_law():
    # Only the failure is random: Perseverance fails to deliver iff its failure sol falls
    # on or before the sol its last tube would be loaded (d = 131 here), probability
    # 1 - (1 - p)^(d + 1). 20,000 trials: binomial sigma ~0.003; tolerance 4 sigma.
    p = 0.002
    rover = certain_rover(failure_probability_per_sol=p)
    plan = make_plan(rover=rover)
    d = surface_timeline(make_plan(rover=certain_rover())).loading_complete_sol
    mc = monte_carlo(plan, 20_000, 5)
    expected = 1.0 - (1.0 - p) ** (d + 1)
    sigma = math.sqrt(expected * (1 - expected) / 20_000)
    assert np.mean(mc.rover_failed) == pytest.approx(expected, abs=4 * sigma)
    assert np.all(mc.tubes_loaded[~mc.rover_failed] == 22)


def test_anomalies_delay_arrival_by_the_negative_binomial_mean():
    # Anomalies only (q per working sol, a sols each), no conjunction before arrival:
    # arrival sol = K - 1 + a F with F ~ NegBin(K, 1 - q) anomalies before K driving sols,
    # E[F] = K q / (1 - q), Var[F] = K q / (1 - q)^2. 20,000 trials; 4 standard errors.
    q, a = 0.05, 3
    rover = certain_rover(anomaly_probability_per_sol=q, anomaly_sols=a)
    plan = make_plan(rover=rover)
    k = surface_timeline(make_plan(rover=certain_rover())).rover_arrival_sol + 1
    mc = monte_carlo(plan, 20_000, 8)
    mean = k - 1 + a * k * q / (1 - q)
    se = a * math.sqrt(k * q / (1 - q) ** 2 / 20_000)
    assert np.mean(mc.rover_arrival_sol) == pytest.approx(mean, abs=4 * se)


def test_helicopter_losses_bound_what_the_backup_brings():
    # Perseverance out at landing, 10 % loss per flight: 20 flights are needed, so the
    # two helicopters rarely survive all; lost helicopters mean fewer tubes (never more
    # than the depot's 10), and every trial with both lost and tubes missing exists.
    rover = certain_rover(fails_at_landing=True)
    heli = Helicopters(loss_probability_per_flight=0.1)
    plan = make_plan(landing="2029-01-01", rover=rover, heli=heli)
    mc = monte_carlo(plan, 5000, 2)
    assert mc.tubes_loaded.max() <= 10 and np.all(mc.rover_tubes_loaded == 0)
    assert np.all(mc.helicopters_lost <= 2)
    both_lost = mc.helicopters_lost == 2
    assert np.all(mc.tubes_loaded[both_lost] < 10)
    assert mc.tubes_loaded[~both_lost].mean() > mc.tubes_loaded[both_lost].mean()
    # A trial with no helicopter lost brings all ten.
    assert np.all(mc.tubes_loaded[mc.helicopters_lost == 0] == 10)


def test_100k_trials_timed():
    plan = make_plan()
    t0 = time.perf_counter()
    mc = monte_carlo(plan, 100_000, 20330101)
    elapsed = time.perf_counter() - t0
    q = np.percentile(mc.mav_ready_sol[mc.mav_ready_sol >= 0], [5, 50, 95])
    print(
        f"\n100,000 surface trials: {elapsed:.1f} s; P(meets deadline) = "
        f"{mc.probability_meets_deadline:.4f}; tubes loaded mean {mc.tubes_loaded.mean():.2f}; "
        f"MAV ready sol 5/50/95 % = {q}"
    )
    assert mc.tubes_loaded.shape == (100_000,)
