"""segments.surface: traverse, helicopters, transfer arm, selection, calendar, Monte Carlo."""

import dataclasses
import math
import time

import numpy as np
import pytest

from msrsim.core.streams import TrialGenerator
from msrsim.core.time import (
    PERSEVERANCE_CLOCK,
    SOL_PER_DAY,
    local_mean_solar_time_hours,
    solar_longitude_deg,
    utc_to_et,
)
from msrsim.samples.catalog import load_catalog
from msrsim.segments.surface import (
    SOL_S,
    Helicopters,
    MavLaunch,
    RoverTraverse,
    SurfacePlan,
    SurfaceTrials,
    TransferArm,
    _calendar,
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


def all_year_mav(deadline: str) -> MavLaunch:
    """A MAV that may launch in any season (no wait for northern spring)."""
    return MavLaunch(deadline_et=et(deadline), launch_ls_window_deg=(0.0, 360.0))


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


# --------------------------------------------------------------------------------------
# Each trial from its own touchdown
# --------------------------------------------------------------------------------------


def scattered_touchdowns(n, seed=0, sigma_km=5.0, days=40.0):
    """Touchdowns scattered about the plan's: sigma_km around the lander, days around 2029-07."""
    rng = np.random.default_rng(seed)
    deg = math.degrees(sigma_km * 1e3 / MARS_RADIUS_M)
    return {
        "landing_et": et("2029-07-01") + rng.uniform(-days, days, n) * 86400.0,
        "latitude_deg": LANDER.latitude_deg + deg * rng.standard_normal(n),
        "east_longitude_deg": LANDER.east_longitude_deg
        + deg / math.cos(math.radians(LANDER.latitude_deg)) * rng.standard_normal(n),
    }


def test_each_trial_counts_its_own_sols_at_its_own_site():
    # Sol 0 holds the trial's landing and starts at local mean midnight at its site
    # (Mars24 LMST, an independent function of the epoch and longitude); the deadline sol
    # holds the deadline. A site 10 km further east starts its sols earlier by
    # 10 km / (2 pi R cos(lat)) of a sol: 43.9 s (0.0005 sol) at Jezero.
    touchdown = scattered_touchdowns(50, days=300.0)
    setup = prepare(make_plan(), **touchdown)
    starts = setup.sol_start_et(0)
    lmst = local_mean_solar_time_hours(starts, setup.lander_east_longitude_deg)
    assert np.all(np.minimum(lmst, 24.0 - lmst) < 1e-6)
    assert np.all((starts <= touchdown["landing_et"]) & (touchdown["landing_et"] < starts + SOL_S))
    deadline = make_plan().mav.deadline_et
    at = setup.sol_start_et(setup.deadline_sol)
    assert np.all((at <= deadline) & (deadline < setup.sol_start_et(setup.deadline_sol + 1)))
    east = math.degrees(10e3 / (MARS_RADIUS_M * math.cos(math.radians(LANDER.latitude_deg))))
    pair = prepare(make_plan(), et("2029-07-01T12:00"), LANDER.latitude_deg, [77.45, 77.45 + east])
    shift = pair.sol_start_et(0)[0] - pair.sol_start_et(0)[1]
    assert shift == pytest.approx(SOL_S * east / 360.0, abs=1e-3)
    assert shift == pytest.approx(43.9, abs=0.1)


def test_each_trials_calendar_equals_one_built_from_its_own_sol_starts():
    # The seasons and conjunctions come to each trial by Mars Sol Date arithmetic from
    # epochs found once; built instead from the trial's own sol starts (et), a
    # conjunction flag is "the sol touches a span" and a season flag is "Ls at mid-sol
    # (Mars24) is in the window" (the single-plan calendar's definitions): equal for
    # every trial and sol. Landings spread over ten months cross both seasons' edges.
    touchdown = scattered_touchdowns(12, seed=4, days=150.0)
    plan = make_plan(deadline="2031-01-01")
    setup = prepare(plan, **touchdown)
    for i in range(setup.n):
        cal = _calendar(setup, i)
        starts = cal.start_et
        mid = 0.5 * (starts[:-1] + starts[1:])
        conj = np.zeros(cal.sols, dtype=bool)
        for s in cal.conjunctions:
            conj |= (starts[:-1] < s.end_et) & (starts[1:] > s.start_et)
        ls = solar_longitude_deg(mid)
        assert np.array_equal(cal.conjunction, conj)
        assert np.array_equal(cal.dust_season, in_ls_window(ls, (210.0, 300.0)))
        assert np.array_equal(cal.launch_allowed, in_ls_window(ls, (0.0, 180.0)) & ~conj)
        assert conj.any() and cal.dust_season.any() and not cal.launch_allowed.all()


def test_a_batch_equals_each_trial_flown_alone_from_its_own_plan():
    # The scalar plan is the batch with equal inputs: trial i of a batch of scattered
    # touchdowns equals a one-trial run of a plan whose landing and lander are that
    # trial's, drawn from the same streams (TrialGenerator(seed, name, i, 1)).
    plan = make_plan(rover=RoverTraverse(start=SAPPHIRE_CANYON, failure_probability_per_sol=0.003))
    touchdown = scattered_touchdowns(40, seed=9, days=200.0)
    batch = monte_carlo(plan, 40, 21, **touchdown)
    for i in (0, 7, 13, 22, 39):
        alone = dataclasses.replace(
            plan,
            landing_et=touchdown["landing_et"][i],
            lander=MarsSite(touchdown["latitude_deg"][i], touchdown["east_longitude_deg"][i]),
        )
        one = monte_carlo(alone, 1, 21, start=i)
        for f in dataclasses.fields(batch):
            a = getattr(batch, f.name)
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a[i], getattr(one, f.name)[0], err_msg=f.name)


def test_trial_results_do_not_depend_on_the_batch():
    # Trial i gives the same outputs in a batch of 5000 as alone (batch of 1), row by row,
    # with touchdowns of its own; the rows checked include Perseverance failing, the
    # helicopters sent for a late rover and trials cut by the deadline.
    plan = make_plan(
        mav=all_year_mav("2030-01-20"),
        rover=RoverTraverse(start=SAPPHIRE_CANYON, failure_probability_per_sol=0.003),
    )
    touchdown = scattered_touchdowns(5000, seed=1, sigma_km=3.0)
    big = monte_carlo(plan, 5000, 77, **touchdown)
    rows = [
        int(np.flatnonzero(big.rover_failed)[0]),
        int(np.flatnonzero(big.helicopters_sent_rover_late)[0]),
        int(np.flatnonzero(big.cut_by_deadline & (big.tubes_loaded > 0))[0]),
        int(np.flatnonzero(big.meets_deadline & ~big.helicopters_deployed)[0]),
        4999,
    ]
    for i in rows:
        one = monte_carlo(plan, 1, 77, start=i, **{k: v[i : i + 1] for k, v in touchdown.items()})
        for f in dataclasses.fields(big):
            a = getattr(big, f.name)
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a[i], getattr(one, f.name)[0], err_msg=f.name)


def test_a_farther_touchdown_makes_perseverance_drive_longer():
    # Route = great circle (independent vector-angle formula) x tortuosity, per trial; a
    # certain rover arrives after ceil(route / rate) driving sols: the touchdown's miss
    # distance moves the arrival and the MAV-ready date with it.
    rover = certain_rover(drive_m_per_sol=100.0)
    plan = make_plan(rover=rover, mav=MavLaunch(et("2031-06-01"), launch_ls_window_deg=(0, 360)))
    lat = np.array([18.45, 18.40, 18.50, 18.35])
    lon = np.array([77.45, 77.40, 77.50, 77.55])
    mc = monte_carlo(plan, 4, 0, latitude_deg=lat, east_longitude_deg=lon)
    route = [
        1.5 * chord_distance_m(SAPPHIRE_CANYON, MarsSite(a, b))
        for a, b in zip(lat, lon, strict=True)
    ]
    np.testing.assert_allclose(mc.route_m, route, atol=1e-3)
    assert mc.rover_arrival_sol.tolist() == [math.ceil(r / 100.0) - 1 for r in route]
    order = np.argsort(route)
    assert np.all(np.diff(mc.mav_ready_et[order]) > 0)


def test_miss_distance_and_mav_ready_are_correlated():
    # 2,000 touchdowns scattered 5 km (1 sigma) about the target: the farther from
    # Perseverance, the later it arrives and the later the MAV is ready.
    heli = Helicopters(send_when_rover_late=False)
    plan = make_plan(mav=all_year_mav("2030-01-20"), heli=heli)
    touchdown = scattered_touchdowns(2000, seed=5, days=0.0)
    mc = monte_carlo(plan, 2000, 3, **touchdown)
    arrived = mc.rover_arrival_sol >= 0
    assert np.corrcoef(mc.route_m[arrived], mc.rover_arrival_sol[arrived])[0, 1] > 0.5
    ready = np.isfinite(mc.mav_ready_et)
    assert np.corrcoef(mc.route_m[ready], mc.mav_ready_et[ready])[0, 1] > 0.3


def test_a_later_landing_meets_the_conjunction_later_in_its_sols():
    # One batch, two landings 31 days apart: the May 2030 conjunction (from May 17) falls
    # 30 sols earlier in the later trial's own count, and the hand calculation of the
    # zero-failure case (route, working sols, one tube a sol) holds for each.
    start = MarsSite(18.35, 77.45)
    rover = certain_rover(start=start, tortuosity=1.5, drive_m_per_sol=100.0)
    mav = MavLaunch(et("2031-06-01"), preparation_sols=10, launch_ls_window_deg=(0, 360))
    plan = make_plan(landing="2030-03-15", rover=rover, mav=mav)
    landings = np.array([et("2030-03-15"), et("2030-04-15")])
    mc = monte_carlo(plan, 2, 0, landing_et=landings)
    setup = prepare(plan, landing_et=landings)
    for i in range(2):
        cal = _calendar(setup, i)
        working = [s for s in range(cal.sols) if not cal.conjunction[s]]
        arrival = working[89 - 1]
        handover = [s for s in working if s > arrival][:22]
        assert mc.rover_arrival_sol[i] == arrival
        assert mc.loading_complete_sol[i] == handover[-1]
        assert mc.mav_ready_et[i] == cal.start_et[cal.next_launch_sol[handover[-1] + 11]]
    first_conjunction_sol = [int(np.argmax(_calendar(setup, i).conjunction)) for i in range(2)]
    assert first_conjunction_sol[0] - first_conjunction_sol[1] == 30  # 31 d = 30.2 sols
    assert first_conjunction_sol[1] < mc.rover_arrival_sol[1]  # in both traverses


def test_a_trial_without_a_touchdown_is_not_flown():
    plan = make_plan()
    mc = monte_carlo(plan, 3, 0, landing_et=np.array([plan.landing_et, np.nan, plan.landing_et]))
    assert mc.tubes_loaded.tolist()[1] == 0 and math.isnan(mc.mav_ready_et[1])
    assert not mc.meets_deadline[1] and not mc.cut_by_deadline[1] and mc.meets_deadline[0]
    assert math.isnan(mc.landing_et[1]) and mc.deadline_sol[1] == -1
    with pytest.raises(ValueError, match="latitude_deg = 95.0"):
        monte_carlo(plan, 1, 0, latitude_deg=np.array([95.0]))


# --------------------------------------------------------------------------------------
# Helicopters sent when Perseverance is late
# --------------------------------------------------------------------------------------


def test_the_late_rover_projection_equals_hand_calculation():
    # A certain rover at r m/sol over route L: at any sol s its projection is s +
    # ceil((L - r s) / r) + 22 - 1 = ceil(L / r) + 21 (no conjunction before the
    # deadline), so it is late exactly when ceil(L / r) + 21 - last > margin; the
    # helicopters are then sent on the deploy sol (the first sol they can fly).
    rover = certain_rover(drive_m_per_sol=70.0)
    plan = make_plan(rover=rover, mav=all_year_mav("2030-01-20"))
    setup = prepare(plan)
    projected = math.ceil(float(setup.route_m[0]) / 70.0) + 21
    miss = projected - int(setup.last_loading_sol[0])
    assert miss > 0
    for margin, sent in ((miss - 1, True), (miss, False)):
        heli = certain_helicopters(rover_late_margin_sols=margin)
        tl = surface_timeline(dataclasses.replace(plan, helicopters=heli))
        assert (tl.helicopters_sent_rover_late_sol == 20) is sent
        assert bool(tl.flights) is sent
    # Sent: the depot's ten and the rover's best 20 of 22 (the first 30 of the whole
    # ranking): the depot tubes come first; the rover's, when it comes, as far as the
    # last loading sol allows.
    heli = certain_helicopters(rover_late_margin_sols=miss - 1)
    tl = surface_timeline(dataclasses.replace(plan, helicopters=heli))
    couriers = [t.courier for t in tl.tubes_loaded]
    assert couriers.count("helicopter") == 10
    assert couriers.count("Perseverance") == int(setup.last_loading_sol[0]) - tl.rover_arrival_sol
    assert tl.meets_deadline
    assert any(a.name.startswith("Helicopters sent") for a in tl.activities)


def test_a_slow_rover_sends_the_helicopters_and_meets_the_deadline_more_often():
    slow = RoverTraverse(start=SAPPHIRE_CANYON, drive_m_per_sol=70.0)
    plan = make_plan(rover=slow, mav=all_year_mav("2030-01-20"))
    held = dataclasses.replace(plan, helicopters=Helicopters(send_when_rover_late=False))
    mc, without = monte_carlo(plan, 2000, 4), monte_carlo(held, 2000, 4)
    assert mc.helicopters_sent_rover_late.mean() > 0.5
    assert not without.helicopters_sent_rover_late.any()
    assert mc.probability_meets_deadline > without.probability_meets_deadline + 0.3
    assert mc.tubes_loaded.max() <= plan.selection.capacity_tubes
    # Sent: the rover still drives; what it brings in time is loaded too. A few are sent
    # too late for any flight (the projection slips past the cut after sol ~110, when
    # the dust season from Ls 210 grounds them to the end).
    sent = mc.helicopters_sent_rover_late
    assert (mc.rover_tubes_loaded[sent] > 0).mean() > 0.15  # 0.26 measured
    assert (mc.depot_tubes_loaded[sent] > 0).mean() > 0.95
    assert np.all(mc.helicopters_deployed[sent] & (mc.helicopter_deploy_sol[sent] >= 20))


def test_a_fast_rover_never_sends_the_helicopters():
    fast = RoverTraverse(
        start=SAPPHIRE_CANYON, drive_m_per_sol=400.0, failure_probability_per_sol=0
    )
    mc = monte_carlo(make_plan(rover=fast, mav=all_year_mav("2030-01-20")), 2000, 4)
    assert not mc.helicopters_sent_rover_late.any() and not mc.helicopters_deployed.any()
    assert np.all(mc.helicopter_flights == 0) and np.all(mc.tubes_loaded == 22)


# --------------------------------------------------------------------------------------
# Tubes exist before they are loaded
# --------------------------------------------------------------------------------------


def test_an_srl_landing_in_2020_loads_no_tube():
    # Perseverance landed 2021-02-18 and sealed its first tube on sol 160 (2021-08): an
    # SRL that lands in 2020 with a deadline in June 2021 has nothing to load, rover or
    # helicopters, in the timeline and in every trial.
    mav = MavLaunch(et("2021-06-01"), launch_ls_window_deg=(0, 360))
    plan = make_plan(landing="2020-03-01", mav=mav)
    tl = surface_timeline(plan)
    assert tl.tubes_loaded == () and tl.mav_ready_sol is None and tl.flights == ()
    mc = monte_carlo(plan, 500, 1)
    assert np.all(mc.tubes_loaded == 0) and not mc.meets_deadline.any()
    assert np.all(np.isnan(mc.mav_ready_et))
    failed = monte_carlo(
        dataclasses.replace(plan, rover=certain_rover(fails_at_landing=True)), 50, 1
    )
    assert np.all(failed.tubes_loaded == 0) and np.all(failed.helicopter_flights == 0)


def test_a_tube_is_loaded_only_once_it_is_sealed():
    # SRL landing 2021-01-01, before Perseverance (2021-02-18); deadline 2022-01-15. The
    # rover drives from its own landing, then hands over each tube the sol after it is
    # sealed (dated from the catalog's sols by Perseverance's clock), up to the last
    # loading sol; the depot (dropped Dec 2022 - Jan 2023) is not there yet, so the
    # helicopters of a failed rover find nothing.
    mav = MavLaunch(et("2022-01-15"), launch_ls_window_deg=(0, 360))
    start = MarsSite(18.44, 77.45)  # where Perseverance landed
    plan = make_plan(landing="2021-01-01", mav=mav, rover=certain_rover(start=start))
    setup = prepare(plan)
    cal = _calendar(setup)
    last = int(setup.last_loading_sol[0])
    sealed_et = PERSEVERANCE_CLOCK.sol_start_et([t.sol + 1 for t in setup.manifest.rover])
    expected = {
        t.name
        for t, e in zip(setup.manifest.rover, sealed_et, strict=True)
        if e <= cal.start_et[last]
    }
    tl = surface_timeline(plan)
    assert {t.name for t in tl.tubes_loaded} == expected
    assert {"Witness 1", "Montagnac", "Salette"} <= expected and len(expected) < 22
    # Perseverance drives from the first sol that starts after its own landing.
    landed = int(np.searchsorted(cal.start_et, PERSEVERANCE_CLOCK.landing_et))
    assert landed == 48  # 48.9 days (47.6 sols) after the SRL landing
    assert tl.rover_arrival_sol == landed + math.ceil(float(setup.route_m[0]) / 120.0) - 1
    failed = dataclasses.replace(plan, rover=certain_rover(start=start, fails_at_landing=True))
    tl = surface_timeline(failed)
    assert tl.tubes_loaded == () and tl.flights == ()
