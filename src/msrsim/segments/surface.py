"""Leg 4, surface operations: Perseverance as courier, helicopters as backup, sol by sol.

After the Sample Retrieval Lander (SRL) touches down, Perseverance drives to it and hands
its tubes to the Sample Transfer Arm (STA), which loads them into the Orbiting Sample
(OS). If Perseverance cannot deliver, two Sample Recovery Helicopters fetch the Three
Forks depot tubes one per trip (NASA, July 2022 architecture [P via S]). The Mars Ascent
Vehicle (MAV) is ready some sols after the last tube is loaded, on the first sol its
launch season allows.

The model steps mission sols (sol 0 = the SRL's landing sol, counted in local mean solar
time at the lander, Mars24) for all Monte Carlo trials at once (numpy arrays with a
leading trial axis). Each sol:

1. nothing is commanded during solar conjunction: Sun-Earth-Mars angle below a threshold
   (2 deg, the NASA command moratorium), from the DE ephemeris (``core.geometry``);
2. Perseverance, unless failed (a per-sol failure probability, or a switch) or in an
   anomaly (per-sol start probability, a fixed number of working sols lost), drives its
   rate toward the lander over ``great-circle distance x tortuosity``; once there, it
   hands tubes over to the STA;
3. helicopters fly when Perseverance has failed before handing everything over (or
   always, with top-up): each trip is lander -> tube -> lander in hops of at most the
   flight range, one hop per helicopter per sol, then recharge sols; no flight in the
   dust-storm Ls window or on a windy sol (per-sol probability); each flight can lose
   the helicopter (and the tube it carries);
4. the STA loads waiting tubes at a fixed time per tube within its working time per sol.

Loading stops at the last sol from which the MAV could still be ready by the deadline.
Random numbers: one block of uniforms per sol, ``(n, k)`` row by row from a generator
spawned for that sol, so trial ``i`` draws the same numbers whatever the chunking (and
the first ``m`` trials of ``n`` are those of a run of ``m``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from msrsim.core.geometry import Interval, intervals_below, solar_elongation
from msrsim.core.time import SOL_S, et_of_mars_solar_date, mars_solar_date, solar_longitude_deg
from msrsim.samples.catalog import Tube, load_catalog
from msrsim.segments.surface_depot import (
    DepotLayout,
    Manifest,
    MarsSite,
    SelectionPolicy,
    build_manifest,
    depot_tube_positions_deg,
    great_circle_m,
    site_distance_m,
)

CONJUNCTION_STEP_S = 21600.0  # elongation sampled every 6 h: crossings placed to < 1 min
AT_DEPOT, IN_TRANSIT, AT_LANDER, LOADED, LOST = 0, 1, 2, 3, 4


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoverTraverse:
    """Perseverance's drive to the lander and its reliability.

    ``start``: where Perseverance is when the SRL lands (an input of the scenario).
    ``tortuosity``: route length over great-circle distance, 1.5, representative: rover
    routes around hazards in Jezero are tens of percent longer than the straight line.
    ``drive_m_per_sol``: mean progress per working sol, 120 m, representative: the 2022
    "rapid traverse" to the delta averaged ~150 m per sol over ~5 km (NASA [S]) with
    driving on most sols. ``drive_rate_sigma_fraction``: 1-sigma of a lognormal per-trial
    factor on the rate, 0.2, representative (terrain and route knowledge).
    ``anomaly_probability_per_sol``: chance a working sol starts an anomaly (fault, safe
    mode), 0.02, representative. ``anomaly_sols``: working sols each one costs, 3,
    representative. ``failure_probability_per_sol``: chance per sol that Perseverance is
    lost as a courier, 1e-4, representative (about 6.5 % per Mars year for a rover past
    its prime mission). ``fails_at_landing``: the switch that sends the helicopters.
    """

    start: MarsSite
    tortuosity: float = 1.5
    drive_m_per_sol: float = 120.0
    drive_rate_sigma_fraction: float = 0.2
    anomaly_probability_per_sol: float = 0.02
    anomaly_sols: int = 3
    failure_probability_per_sol: float = 1e-4
    fails_at_landing: bool = False

    def __post_init__(self):
        _check_positive(self, "tortuosity", "drive_m_per_sol")
        _check_probability(self, "anomaly_probability_per_sol", "failure_probability_per_sol")
        if self.tortuosity < 1.0:
            raise ValueError(f"tortuosity = {self.tortuosity}: must be at least 1")


@dataclass(frozen=True)
class TransferArm:
    """The Sample Transfer Arm (2.5 m, 7 degrees of freedom, autonomous; ESA [S]).

    ``time_per_tube_s``: 4 h per tube (grasp, insert, image to confirm), representative.
    ``working_time_per_sol_s``: 4 h of arm work per sol, representative (daylight, power,
    and one ground check per hand-over): one tube per sol by default.
    """

    time_per_tube_s: float = 4 * 3600.0
    working_time_per_sol_s: float = 4 * 3600.0

    def __post_init__(self):
        _check_positive(self, "time_per_tube_s", "working_time_per_sol_s")


@dataclass(frozen=True)
class Helicopters:
    """The Sample Recovery Helicopters.

    ``count`` 2, ``range_per_flight_m`` 700 m and ``ground_speed_m_s`` 5 m/s: NASA SRH
    specs [P]; one tube a trip (payload ~280 g [S]). ``recharge_sols``: sols on the ground
    after each flight, 2, representative (Ingenuity flew every few sols on solar power).
    ``deploy_sols``: sols after landing before the first flight, 20, representative
    (release from the lander and checkout). ``dust_season_ls_deg``: no flights while Ls is
    in ``[start, end)``, (210, 300), representative: the peak of the southern-spring and
    solstice dust storms (global events began at Ls 185-265 in MY 25, 28, 34).
    ``wind_no_fly_probability_per_sol``: 0.1, representative. ``loss_probability_per_flight``:
    0.01, representative: Ingenuity flew 72 times before a flight broke its rotor.
    """

    count: int = 2
    range_per_flight_m: float = 700.0
    ground_speed_m_s: float = 5.0
    recharge_sols: int = 2
    deploy_sols: int = 20
    dust_season_ls_deg: tuple[float, float] = (210.0, 300.0)
    wind_no_fly_probability_per_sol: float = 0.1
    loss_probability_per_flight: float = 0.01

    def __post_init__(self):
        _check_positive(self, "range_per_flight_m", "ground_speed_m_s")
        _check_probability(self, "wind_no_fly_probability_per_sol", "loss_probability_per_flight")
        if self.count < 0 or self.recharge_sols < 0 or self.deploy_sols < 0:
            raise ValueError("count, recharge_sols and deploy_sols must not be negative")


@dataclass(frozen=True)
class MavLaunch:
    """When the MAV can leave.

    ``deadline_et``: latest MAV launch epoch (TDB s past J2000) that leaves the ERO time to
    capture the Orbiting Sample before its departure window (an input of the campaign).
    ``preparation_sols``: sols from the last tube loaded to launch readiness (OS closed,
    MAV conditioned and checked), 10, representative. ``launch_ls_window_deg``: the MAV
    launches only while Ls is in ``[start, end)``, (0, 180), representative: its
    propellant must stay above -40 C (NASA MSFC 2023 [S]), here stood for by the northern
    spring and summer, outside the dust-storm season.
    """

    deadline_et: float
    preparation_sols: int = 10
    launch_ls_window_deg: tuple[float, float] = (0.0, 180.0)


@dataclass(frozen=True)
class SurfacePlan:
    """Everything the surface leg needs (SI, epochs in ``et``, angles named in degrees).

    ``lander_checkout_sols``: sols after landing before the STA works, 14, representative.
    ``conjunction_elongation_deg``: 2 deg, the threshold NASA gives for its Mars command
    moratoria ("when Mars is within 2 degrees of the Sun", 2019 and 2021 [S]); computed
    spans match the moratoria of 2021 (Oct 2-14) and 2023 (Nov 11-25) to a day.
    ``tubes``: the tube catalog (``msrsim.samples``).
    """

    landing_et: float
    lander: MarsSite
    rover: RoverTraverse
    arm: TransferArm
    helicopters: Helicopters
    depot: DepotLayout
    selection: SelectionPolicy
    mav: MavLaunch
    lander_checkout_sols: int = 14
    conjunction_elongation_deg: float = 2.0
    tubes: tuple[Tube, ...] = field(default_factory=load_catalog)


def _check_positive(obj, *names: str) -> None:
    for name in names:
        if not getattr(obj, name) > 0:
            raise ValueError(f"{name} = {getattr(obj, name)}: must be positive")


def _check_probability(obj, *names: str) -> None:
    for name in names:
        if not 0.0 <= getattr(obj, name) <= 1.0:
            raise ValueError(f"{name} = {getattr(obj, name)}: must be in [0, 1]")


# --------------------------------------------------------------------------------------
# Environment: sols, seasons, conjunctions
# --------------------------------------------------------------------------------------


def mars_solar_conjunctions(
    start_et: float, end_et: float, threshold_rad: float, step_s: float = CONJUNCTION_STEP_S
) -> list[Interval]:
    """Spans where the Sun-Earth-Mars angle is below ``threshold_rad`` (DE ephemeris).

    The series is padded by 60 days each side so spans are never cut by its ends.
    """
    pad = 60 * 86400.0
    et = np.arange(start_et - pad, end_et + pad + step_s, step_s)
    spans = intervals_below(et, solar_elongation("mars", et), threshold_rad)
    return [s for s in spans if s.end_et > start_et and s.start_et < end_et]


def in_ls_window(ls_deg, window: tuple[float, float]) -> np.ndarray:
    """Whether Ls lies in ``[start, end)``, a window that may wrap through 360."""
    ls = np.mod(np.asarray(ls_deg, dtype=np.float64), 360.0)
    if window[1] - window[0] >= 360.0:
        return np.ones(ls.shape, dtype=bool)
    lo, hi = (w % 360.0 for w in window)
    if lo <= hi:
        return (ls >= lo) & (ls < hi)
    return (ls >= lo) | (ls < hi)


@dataclass(frozen=True)
class SurfaceCalendar:
    """Per-sol conditions at the lander; sol ``k`` spans ``[start_et[k], start_et[k + 1])``."""

    start_et: np.ndarray
    solar_longitude_deg: np.ndarray
    conjunction: np.ndarray
    conjunctions: tuple[Interval, ...]
    dust_season: np.ndarray
    launch_allowed: np.ndarray
    next_launch_sol: np.ndarray
    deadline_sol: int

    @property
    def sols(self) -> int:
        return self.solar_longitude_deg.size


def sol_starts_et(landing_et: float, east_longitude_deg: float, count: int) -> np.ndarray:
    """Local mean midnights beginning sols 0..count-1 (sol 0 holds the landing), Mars24."""
    shift = east_longitude_deg / 360.0
    first = np.floor(mars_solar_date(landing_et)[0] + shift)
    return et_of_mars_solar_date(first + np.arange(count) - shift)


def surface_calendar(plan: SurfacePlan) -> SurfaceCalendar:
    """The sols from landing to one Mars year past the deadline, with their conditions."""
    if plan.mav.deadline_et <= plan.landing_et:
        raise ValueError("the MAV launch deadline must come after the SRL landing")
    deadline_sol = int(math.ceil((plan.mav.deadline_et - plan.landing_et) / SOL_S)) + 1
    starts = sol_starts_et(plan.landing_et, plan.lander.east_longitude_deg, deadline_sol + 700)
    deadline_sol = int(np.searchsorted(starts, plan.mav.deadline_et, side="right")) - 1
    mid = 0.5 * (starts[:-1] + starts[1:])
    ls = solar_longitude_deg(mid)
    spans = mars_solar_conjunctions(
        float(starts[0]), float(starts[-1]), math.radians(plan.conjunction_elongation_deg)
    )
    conj = np.zeros(mid.size, dtype=bool)
    for s in spans:
        conj |= (starts[:-1] < s.end_et) & (starts[1:] > s.start_et)
    launch = in_ls_window(ls, plan.mav.launch_ls_window_deg) & ~conj
    return SurfaceCalendar(
        start_et=starts,
        solar_longitude_deg=ls,
        conjunction=conj,
        conjunctions=tuple(spans),
        dust_season=in_ls_window(ls, plan.helicopters.dust_season_ls_deg),
        launch_allowed=launch,
        next_launch_sol=_next_true(launch),
        deadline_sol=deadline_sol,
    )


def _next_true(flags: np.ndarray) -> np.ndarray:
    """For each index, the first index at or after it where ``flags`` holds (-1 if none)."""
    idx = np.where(flags, np.arange(flags.size), flags.size)
    nxt = np.minimum.accumulate(idx[::-1])[::-1]
    return np.where(nxt < flags.size, nxt, -1)


# --------------------------------------------------------------------------------------
# Random numbers
# --------------------------------------------------------------------------------------


class _Draws:
    """Per-trial and per-sol random numbers for trials ``[start, stop)``.

    ``rng`` spawns one generator per per-trial column and one seed per sol; sol ``s`` of
    trial ``i`` reads row ``i`` of that sol's ``(n, k)`` uniform block (PCG64 advanced by
    ``k i``), so a chunk draws exactly the rows a whole run would. ``rng=None`` draws
    nothing random: no anomaly, wind or loss, the mean drive rate, no failure.
    """

    def __init__(self, rng, n: int, sols: int, columns: int):
        self.columns = columns
        self.nominal = rng is None
        if rng is None:
            self.normals = np.zeros((n, 1))
            self.uniforms = np.ones((n, 1))
            self.sol_seeds = None
            return
        rate_rng, failure_rng, sol_rng = rng.spawn(3)
        if not isinstance(sol_rng.bit_generator, np.random.PCG64):
            raise TypeError("the surface Monte Carlo needs a PCG64 generator (default_rng)")
        self.normals = rate_rng.standard_normal((n, 1))
        self.uniforms = failure_rng.random((n, 1))
        self.sol_seeds = sol_rng.bit_generator.seed_seq.spawn(sols)

    def sol(self, s: int, start: int, stop: int) -> np.ndarray:
        if self.sol_seeds is None:
            return np.ones((stop - start, self.columns))
        bits = np.random.PCG64(self.sol_seeds[s]).advance(self.columns * start)
        return np.random.Generator(bits).random((stop - start, self.columns))


# --------------------------------------------------------------------------------------
# The sol-by-sol engine
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurfaceSetup:
    """What every trial shares: the calendar, the manifest, distances, flight hops."""

    plan: SurfacePlan
    calendar: SurfaceCalendar
    manifest: Manifest
    route_m: float
    depot_distance_m: np.ndarray
    hops: np.ndarray
    last_loading_sol: int


def prepare(plan: SurfacePlan) -> SurfaceSetup:
    """Calendar, manifest and geometry of a plan (shared by the nominal run and the MC)."""
    cal = surface_calendar(plan)
    manifest = build_manifest(plan.selection, plan.tubes)
    lat, lon = depot_tube_positions_deg(manifest, plan.depot)
    distance = great_circle_m(plan.lander, lat, lon)
    hops = np.ceil(distance / plan.helicopters.range_per_flight_m).astype(np.int64)
    last = cal.deadline_sol - plan.mav.preparation_sols - 1
    if last < 0:
        raise ValueError("the deadline leaves no sol for loading before MAV preparation")
    return SurfaceSetup(
        plan=plan,
        calendar=cal,
        manifest=manifest,
        route_m=site_distance_m(plan.rover.start, plan.lander) * plan.rover.tortuosity,
        depot_distance_m=np.atleast_1d(distance),
        hops=np.maximum(np.atleast_1d(hops), 1),
        last_loading_sol=last,
    )


class _State:
    """Per-trial state of one chunk (mutated sol by sol)."""

    def __init__(
        self, setup: SurfaceSetup, normals: np.ndarray, uniforms: np.ndarray, nominal: bool
    ):
        rover, heli = setup.plan.rover, setup.plan.helicopters
        n = normals.shape[0]
        # Lognormal factor of mean 1 and the given 1-sigma; the nominal run uses the mean.
        sigma = 0.0 if nominal else math.sqrt(math.log1p(rover.drive_rate_sigma_fraction**2))
        self.rate = rover.drive_m_per_sol * np.exp(sigma * normals[:, 0] - 0.5 * sigma**2)
        self.fail_sol = _failure_sol(uniforms[:, 0], rover)
        self.remaining = np.full(n, setup.route_m)
        self.arrival_sol = np.full(n, -1, dtype=np.int64)
        self.anomaly_left = np.zeros(n, dtype=np.int64)
        self.rover_loaded = np.zeros(n, dtype=np.int64)
        self.credit = np.zeros(n)
        self.alive = np.ones((n, heli.count), dtype=bool)
        self.leg = np.zeros((n, heli.count), dtype=np.int8)  # 0 idle, 1 outbound, 2 back
        self.helicopters_alive = np.full(n, heli.count, dtype=np.int64)
        self.hops_left = np.zeros((n, heli.count), dtype=np.int64)
        self.ready = np.zeros((n, heli.count), dtype=np.int64)
        self.tube = np.full((n, heli.count), -1, dtype=np.int64)
        self.flights = np.zeros(n, dtype=np.int64)
        self.depot = np.full((n, len(setup.manifest.depot)), AT_DEPOT, dtype=np.int8)
        # Counts of depot tubes by status, kept in step with ``depot`` (cheaper than sums).
        self.count = np.zeros((LOST + 1, n), dtype=np.int64)
        self.count[AT_DEPOT] = len(setup.manifest.depot)
        self.done_sol = np.full(n, -1, dtype=np.int64)


def _failure_sol(u: np.ndarray, rover: RoverTraverse) -> np.ndarray:
    """Sol Perseverance fails: geometric in the per-sol probability (huge if never).

    ``u`` in [0, 1); ``u = 1`` (the nominal run's draw) never fails.
    """
    never = np.iinfo(np.int64).max // 2
    if rover.fails_at_landing:
        return np.zeros(u.size, dtype=np.int64)
    p = rover.failure_probability_per_sol
    if p <= 0.0:
        return np.full(u.size, never, dtype=np.int64)
    if p >= 1.0:
        return np.zeros(u.size, dtype=np.int64)
    with np.errstate(divide="ignore"):
        sols = np.floor(np.log1p(-u) / math.log1p(-p))  # P(sol >= k) = (1 - p)^k
    return np.where(np.isfinite(sols), np.minimum(sols, never), never).astype(np.int64)


def _rover_sol(st: _State, setup: SurfaceSetup, s: int, working: bool, u: np.ndarray):
    """Drive or hand over. Returns the tubes offered to the STA this sol, the trials that
    drove and those that lost the sol to an anomaly."""
    rover = setup.plan.rover
    active = (s < st.fail_sol) & (st.rover_loaded < setup.manifest.rover_target)
    if not working:
        none = np.zeros_like(active)
        return np.zeros_like(st.rover_loaded), none, none
    starts = active & (st.anomaly_left == 0) & (u[:, 0] < rover.anomaly_probability_per_sol)
    st.anomaly_left = np.where(starts, rover.anomaly_sols, st.anomaly_left)
    works = active & (st.anomaly_left == 0)
    st.anomaly_left = np.where(active & (st.anomaly_left > 0), st.anomaly_left - 1, 0)
    there = st.arrival_sol >= 0
    drives = works & ~there
    st.remaining = np.where(drives, st.remaining - st.rate, st.remaining)
    st.arrival_sol = np.where(drives & (st.remaining <= 0.0), s, st.arrival_sol)
    offer = works & there & (s >= setup.plan.lander_checkout_sols)
    return (
        np.where(offer, setup.manifest.rover_target - st.rover_loaded, 0),
        drives,
        active & ~works,
    )


def _depot_target(st: _State, setup: SurfaceSetup, s: int) -> np.ndarray:
    """Depot tubes the helicopters should bring: capacity left by the rover, or none."""
    m = setup.manifest
    failed = (s >= st.fail_sol) & (st.rover_loaded < m.rover_target)
    committed = np.where(failed, st.rover_loaded, m.rover_target)
    wanted = np.clip(m.capacity - committed, 0, len(m.depot))
    return np.where(failed | m.top_up, wanted, 0)


def _helicopter_sol(st: _State, setup: SurfaceSetup, s: int, flyable: bool, u: np.ndarray, log):
    """One sol of every helicopter: start trips, fly one hop each, lose or deliver."""
    heli = setup.plan.helicopters
    target = _depot_target(st, setup, s)
    if not flyable or not target.any():
        return
    calm = u[:, 1] >= heli.wind_no_fly_probability_per_sol
    for h in range(heli.count):
        can = st.alive[:, h] & (s >= st.ready[:, h]) & calm & (target > 0)
        busy = st.count[IN_TRANSIT] + st.count[AT_LANDER] + st.count[LOADED]
        new = np.flatnonzero(can & (st.leg[:, h] == 0) & (busy < target) & (st.count[AT_DEPOT] > 0))
        j = np.argmax(st.depot[new] == AT_DEPOT, axis=1)  # the best-ranked tube still there
        _move(st, new, j, IN_TRANSIT)
        st.tube[new, h] = j
        st.leg[new, h] = 1
        st.hops_left[new, h] = setup.hops[j]
        fly = can & (st.leg[:, h] > 0)
        _fly_hop(st, setup, s, h, fly, u[:, 2 + h] < heli.loss_probability_per_flight, log)


def _fly_hop(st: _State, setup: SurfaceSetup, s: int, h: int, fly, lost, log):
    """Helicopter ``h`` flies one hop where ``fly``; ``lost`` ones crash."""
    heli = setup.plan.helicopters
    rows = np.flatnonzero(fly)
    tube, leg = st.tube[rows, h], st.leg[rows, h]
    crash = lost[rows]
    if log is not None and fly[0]:
        hop = setup.depot_distance_m[tube[0]] / setup.hops[tube[0]]
        log["flights"].append((h, s, int(leg[0]), int(tube[0]), float(hop), bool(crash[0])))
    st.flights[rows] += 1
    c, ok = rows[crash], rows[~crash]
    _move(st, c, tube[crash], np.where(leg[crash] == 1, AT_DEPOT, LOST))
    st.alive[c, h] = False
    st.helicopters_alive[c] -= 1
    st.leg[c, h] = 0
    st.tube[c, h] = -1
    st.hops_left[ok, h] -= 1
    st.ready[ok, h] = s + 1 + heli.recharge_sols
    landed = ok[st.hops_left[ok, h] == 0]
    outbound = st.leg[landed, h] == 1
    picked, home = landed[outbound], landed[~outbound]
    st.leg[picked, h] = 2  # the tube is picked up on the sol the helicopter lands by it
    st.hops_left[picked, h] = setup.hops[st.tube[picked, h]]
    _move(st, home, st.tube[home, h], AT_LANDER)
    st.leg[home, h] = 0
    st.tube[home, h] = -1


def _move(st: _State, rows: np.ndarray, tubes: np.ndarray, status) -> None:
    """Set depot tubes ``(rows, tubes)`` to ``status``, keeping the counts in step."""
    np.subtract.at(st.count, (st.depot[rows, tubes], rows), 1)
    np.add.at(st.count, (np.broadcast_to(status, rows.shape), rows), 1)
    st.depot[rows, tubes] = status


def _arm_sol(st: _State, setup: SurfaceSetup, s: int, working: bool, rover_offer):
    """The STA loads waiting tubes (rover's first, then helicopter-delivered ones)."""
    arm = setup.plan.arm
    waiting = rover_offer + st.count[AT_LANDER]
    if not working or s < setup.plan.lander_checkout_sols:
        return
    st.credit = np.where(waiting > 0, st.credit + arm.working_time_per_sol_s, 0.0)
    count = np.minimum(np.floor(st.credit / arm.time_per_tube_s + 1e-9), waiting).astype(int)
    st.credit = np.where(count == waiting, 0.0, st.credit - count * arm.time_per_tube_s)
    from_rover = np.minimum(count, rover_offer)
    st.rover_loaded += from_rover
    rows = np.flatnonzero(count > from_rover)
    at_lander = st.depot[rows] == AT_LANDER
    first = at_lander & (np.cumsum(at_lander, axis=1) <= (count - from_rover)[rows, None])
    r, t = np.nonzero(first)
    _move(st, rows[r], t, LOADED)


def _finished(st: _State, setup: SurfaceSetup, s: int) -> np.ndarray:
    """Trials with nothing more to load: the rover is done or out, no trip can help."""
    m = setup.manifest
    rover_done = (st.rover_loaded >= m.rover_target) | (s + 1 >= st.fail_sol)
    target = _depot_target(st, setup, s + 1)
    moving = (st.count[IN_TRANSIT] + st.count[AT_LANDER]) > 0
    stuck = (st.count[AT_DEPOT] == 0) | (st.helicopters_alive == 0)
    return rover_done & ~moving & ((st.count[LOADED] >= target) | stuck)


def _run(setup: SurfaceSetup, draws: _Draws, start: int, stop: int, log=None) -> _State:
    """Step trials ``[start, stop)`` from landing until loading is complete or cut off.

    With ``log`` (a dict of lists), trial ``start``'s sols are recorded for a timeline.
    """
    cal, heli = setup.calendar, setup.plan.helicopters
    st = _State(setup, draws.normals[start:stop], draws.uniforms[start:stop], draws.nominal)
    for s in range(setup.last_loading_sol + 1):
        working = not cal.conjunction[s]
        u = draws.sol(s, start, stop)
        before = st.rover_loaded[0] + np.count_nonzero(st.depot[0] == LOADED)
        offer, drove, anomaly = _rover_sol(st, setup, s, working, u)
        flyable = working and s >= heli.deploy_sols and not cal.dust_season[s]
        _helicopter_sol(st, setup, s, flyable, u, log)
        _arm_sol(st, setup, s, working, offer)
        if log is not None:
            after = st.rover_loaded[0] + np.count_nonzero(st.depot[0] == LOADED)
            log["drive"].append(bool(drove[0]))
            log["anomaly"].append(bool(anomaly[0]))
            log["loaded"].append(int(after - before))
        st.done_sol = np.where((st.done_sol < 0) & _finished(st, setup, s), s, st.done_sol)
        if (st.done_sol >= 0).all():
            break
    st.cut_by_deadline = st.done_sol < 0
    st.done_sol = np.where(st.cut_by_deadline, setup.last_loading_sol, st.done_sol)
    return st


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurfaceTrials:
    """Outcomes of ``n`` trials (arrays with a leading trial axis).

    ``loaded``: (n, tubes) flags over ``tube_names`` (the ranking: rover queue, then
    depot queue). ``mav_ready_et``: NaN where nothing was loaded or no launch sol came.
    ``rover_arrival_sol``: -1 where Perseverance never reached the lander.
    ``cut_by_deadline``: loading stopped at the last sol the deadline allows, with tubes
    still to come (the MAV then leaves with what it has).
    """

    tube_names: tuple[str, ...]
    loaded: np.ndarray
    rover_tubes_loaded: np.ndarray
    depot_tubes_loaded: np.ndarray
    rover_arrival_sol: np.ndarray
    rover_failed: np.ndarray
    loading_complete_sol: np.ndarray
    cut_by_deadline: np.ndarray
    mav_ready_sol: np.ndarray
    mav_ready_et: np.ndarray
    helicopter_flights: np.ndarray
    helicopters_lost: np.ndarray
    meets_deadline: np.ndarray
    deadline_et: float

    @property
    def tubes_loaded(self) -> np.ndarray:
        return self.rover_tubes_loaded + self.depot_tubes_loaded

    @property
    def probability_meets_deadline(self) -> float:
        return float(np.mean(self.meets_deadline))


def _trials(setup: SurfaceSetup, st: _State) -> SurfaceTrials:
    cal, m = setup.calendar, setup.manifest
    rover_rank = np.arange(len(m.rover))
    loaded = np.concatenate(
        [rover_rank[None, :] < st.rover_loaded[:, None], st.depot == LOADED], axis=1
    )
    depot_loaded = (st.depot == LOADED).sum(axis=1)
    first = st.done_sol + 1 + setup.plan.mav.preparation_sols
    ready = np.where(first < cal.sols, cal.next_launch_sol[np.minimum(first, cal.sols - 1)], -1)
    ready = np.where(st.rover_loaded + depot_loaded > 0, ready, -1)
    ready_et = np.where(ready >= 0, cal.start_et[np.maximum(ready, 0)], np.nan)
    return SurfaceTrials(
        tube_names=tuple(t.name for t in m.rover + m.depot),
        loaded=loaded,
        rover_tubes_loaded=st.rover_loaded,
        depot_tubes_loaded=depot_loaded,
        rover_arrival_sol=st.arrival_sol,
        rover_failed=(st.fail_sol <= st.done_sol) & (st.rover_loaded < m.rover_target),
        loading_complete_sol=st.done_sol,
        cut_by_deadline=st.cut_by_deadline,
        mav_ready_sol=ready,
        mav_ready_et=ready_et,
        helicopter_flights=st.flights,
        helicopters_lost=(~st.alive).sum(axis=1),
        meets_deadline=(ready >= 0) & (ready_et <= setup.plan.mav.deadline_et),
        deadline_et=setup.plan.mav.deadline_et,
    )


def _concat(parts: list[SurfaceTrials]) -> SurfaceTrials:
    first = parts[0]
    arrays = {
        name: np.concatenate([getattr(p, name) for p in parts])
        for name in SurfaceTrials.__dataclass_fields__
        if isinstance(getattr(first, name), np.ndarray)
    }
    return SurfaceTrials(tube_names=first.tube_names, deadline_et=first.deadline_et, **arrays)


def simulate_surface(
    plan: SurfacePlan, n: int, rng: np.random.Generator, chunk: int = 50_000
) -> SurfaceTrials:
    """Monte Carlo of the surface leg: ``n`` trials, stepped ``chunk`` trials at a time.

    ``rng`` (a PCG64 ``Generator``, e.g. ``numpy.random.default_rng(seed)``) spawns the
    streams; the result does not depend on ``chunk``.
    """
    setup = prepare(plan)
    draws = _Draws(rng, n, setup.last_loading_sol + 1, 2 + plan.helicopters.count)
    parts = [
        _trials(setup, _run(setup, draws, lo, min(lo + chunk, n))) for lo in range(0, n, chunk)
    ]
    return _concat(parts)


# --------------------------------------------------------------------------------------
# The nominal timeline
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    """One Gantt row: what, who, from when to when (et and sols)."""

    name: str
    actor: str
    start_et: float
    end_et: float
    start_sol: int
    end_sol: int


@dataclass(frozen=True)
class Flight:
    """One helicopter hop: ``leg`` is ``outbound`` (lander -> tube) or ``return``."""

    helicopter: int
    sol: int
    start_et: float
    end_et: float
    leg: str
    tube: str
    distance_m: float
    lost: bool


@dataclass(frozen=True)
class LoadedTube:
    """A tube in the Orbiting Sample, with the catalog's facts about it."""

    name: str
    kind: str
    sealed_sol: int | None
    courier: str


@dataclass(frozen=True)
class SurfaceTimeline:
    """One trial told sol by sol: the Gantt rows, the flights, the manifest, the MAV date."""

    activities: tuple[Activity, ...]
    flights: tuple[Flight, ...]
    tubes_loaded: tuple[LoadedTube, ...]
    rover_arrival_sol: int | None
    loading_complete_sol: int
    mav_ready_sol: int | None
    mav_ready_et: float
    meets_deadline: bool
    calendar: SurfaceCalendar


def surface_timeline(plan: SurfacePlan, rng=None, n: int = 1, trial: int = 0) -> SurfaceTimeline:
    """The nominal timeline (``rng=None``: no random event), or trial ``trial`` of a
    Monte Carlo of ``n`` trials drawn from ``rng`` (a fresh generator with the same seed
    as the run's replays that run's trial exactly)."""
    if not 0 <= trial < (n if rng is not None else 1):
        raise ValueError(f"trial = {trial}: must be in [0, {n}) (nominal: 0)")
    setup = prepare(plan)
    draws = _Draws(rng, max(n, 1), setup.last_loading_sol + 1, 2 + plan.helicopters.count)
    log = {"drive": [], "anomaly": [], "loaded": [], "flights": []}
    st = _run(setup, draws, trial, trial + 1, log)
    out = _trials(setup, st)
    flights = _flights(setup, log["flights"])
    ready = int(out.mav_ready_sol[0])
    return SurfaceTimeline(
        activities=_activities(setup, log, out, flights),
        flights=flights,
        tubes_loaded=_loaded_tubes(setup, out),
        rover_arrival_sol=int(st.arrival_sol[0]) if st.arrival_sol[0] >= 0 else None,
        loading_complete_sol=int(st.done_sol[0]),
        mav_ready_sol=ready if ready >= 0 else None,
        mav_ready_et=float(out.mav_ready_et[0]),
        meets_deadline=bool(out.meets_deadline[0]),
        calendar=setup.calendar,
    )


def _flights(setup: SurfaceSetup, records) -> tuple[Flight, ...]:
    heli, starts = setup.plan.helicopters, setup.calendar.start_et
    flights = []
    for h, s, leg, tube, hop, lost in records:
        noon = float(0.5 * (starts[s] + starts[s + 1]))  # flights at local mean noon
        flights.append(
            Flight(
                h + 1,
                s,
                noon,
                noon + hop / heli.ground_speed_m_s,
                "outbound" if leg == 1 else "return",
                setup.manifest.depot[tube].name,
                hop,
                lost,
            )
        )
    return tuple(flights)


def _loaded_tubes(setup: SurfaceSetup, out: SurfaceTrials) -> tuple[LoadedTube, ...]:
    m = setup.manifest
    queue = [(t, "Perseverance") for t in m.rover] + [(t, "helicopter") for t in m.depot]
    return tuple(
        LoadedTube(t.name, t.kind, t.sol, courier)
        for (t, courier), flag in zip(queue, out.loaded[0], strict=True)
        if flag
    )


def _runs(flags) -> list[tuple[int, int]]:
    """Contiguous runs ``(first, last)`` of true entries."""
    idx = np.flatnonzero(np.asarray(flags, dtype=bool))
    if idx.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(idx) > 1)
    return list(zip(idx[np.r_[0, cuts + 1]], idx[np.r_[cuts, idx.size - 1]], strict=True))


def _activities(setup, log, out: SurfaceTrials, flights) -> tuple[Activity, ...]:
    cal, plan = setup.calendar, setup.plan
    starts = cal.start_et

    def span(name, actor, a, b):
        begin = max(float(starts[a]), plan.landing_et)  # sol 0 began before touchdown
        return Activity(name, actor, begin, float(starts[b + 1]), int(a), int(b))

    rows = [Activity("SRL landing", "SRL", plan.landing_et, plan.landing_et, 0, 0)]
    rows.append(span("Lander and STA checkout", "SRL", 0, max(plan.lander_checkout_sols - 1, 0)))
    drive = np.flatnonzero(log["drive"])
    if drive.size:
        rows.append(span("Perseverance drives to the lander", "Perseverance", 0, drive[-1]))
    rows += [span("Perseverance anomaly", "Perseverance", a, b) for a, b in _runs(log["anomaly"])]
    loads = np.flatnonzero(log["loaded"])
    if loads.size:
        rows.append(span("Sample Transfer Arm loads tubes", "STA", loads[0], loads[-1]))
    rows += [
        Activity(
            f"Helicopter {f.helicopter} {f.leg} ({f.tube})",
            f"Helicopter {f.helicopter}",
            f.start_et,
            f.end_et,
            f.sol,
            f.sol,
        )
        for f in flights
    ]
    horizon = int(out.mav_ready_sol[0]) if out.mav_ready_sol[0] >= 0 else cal.deadline_sol
    rows += [
        span("Solar conjunction: no commanding", "Earth", a, b)
        for a, b in _runs(cal.conjunction[: horizon + 1])
    ]
    rows += [
        span("Dust-storm season: no flights", "Helicopters", a, b)
        for a, b in _runs(cal.dust_season[: horizon + 1])
    ]
    done = int(out.loading_complete_sol[0])
    if out.mav_ready_sol[0] >= 0:
        ready = int(out.mav_ready_sol[0])
        if ready > done + 1:
            rows.append(span("MAV preparation and launch wait", "MAV", done + 1, ready - 1))
        rows.append(
            Activity(
                "MAV ready to launch",
                "MAV",
                float(starts[ready]),
                float(starts[ready]),
                ready,
                ready,
            )
        )
    deadline = plan.mav.deadline_et
    rows.append(
        Activity(
            "MAV launch deadline", "MAV", deadline, deadline, cal.deadline_sol, cal.deadline_sol
        )
    )
    return tuple(sorted(rows, key=lambda a: (a.start_et, a.end_et)))
