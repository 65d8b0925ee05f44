"""Leg 4, surface operations: Perseverance as courier, helicopters as backup, sol by sol.

After the Sample Retrieval Lander (SRL) touches down, Perseverance drives to it and hands
its tubes to the Sample Transfer Arm (STA), which loads them into the Orbiting Sample
(OS). If Perseverance cannot deliver, or is projected to arrive too late, two Sample
Recovery Helicopters fetch the Three Forks depot tubes one per trip (NASA, July 2022
architecture [P via S]). The Mars Ascent Vehicle (MAV) is ready some sols after the last
tube is loaded, on the first sol its launch season allows.

Each Monte Carlo trial flies from its own touchdown: its landing epoch and site (arrays
with a leading trial axis) give its own sols (sol 0 = its landing sol, counted in local
mean solar time at its site, Mars24), Perseverance's route, the helicopters' hops, and
where the conjunctions, the dust season, the MAV's launch season, the deadline and the
sealing of each tube fall in its sol count. Those dates are found once per batch as
epochs (conjunction spans from the DE ephemeris, Ls crossings of each window by Mars24)
and turned into each trial's sol numbers by Mars Sol Date arithmetic, exact to float64
rounding (microseconds), not by a shared calendar. All trials are stepped together over
mission sols; each sol:

1. nothing is commanded during solar conjunction: Sun-Earth-Mars angle below a threshold
   (2 deg, the NASA command moratorium);
2. Perseverance, unless failed (a per-sol failure probability, or a switch) or in an
   anomaly (per-sol start probability, a fixed number of working sols lost), drives its
   rate toward the lander over ``great-circle distance x tortuosity``; once there, it
   hands tubes over to the STA (only tubes already sealed);
3. helicopters fly when Perseverance has failed before handing everything over, when it
   is projected late (``Helicopters.send_when_rover_late``), or always with top-up: each
   trip is lander -> tube -> lander in hops of at most the flight range, one hop per
   helicopter per sol, then recharge sols; no flight in the dust-storm Ls window or on a
   windy sol (per-sol probability); each flight can lose the helicopter (and its tube);
4. the STA loads waiting tubes at a fixed time per tube within its working time per sol.

Loading stops at each trial's last sol from which the MAV could still be ready by the
deadline. Random numbers come from a :class:`msrsim.core.streams.TrialGenerator` (one
row per trial): a drive-rate normal and a failure uniform per trial, and one ``(n, k)``
block of uniforms per sol, so trial ``i`` draws the same numbers in a batch of 1 or of
100,000.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from msrsim.core.geometry import Interval, intervals_below, solar_elongation
from msrsim.core.streams import TrialGenerator
from msrsim.core.time import (
    PERSEVERANCE_CLOCK,
    SOL_S,
    MissionClock,
    et_of_mars_solar_date,
    et_of_solar_longitude,
    mars_solar_date,
    mars_year,
    solar_longitude_deg,
)
from msrsim.samples.catalog import Tube, load_catalog
from msrsim.segments.lander_power import LanderPower, PowerState
from msrsim.segments.surface_depot import (
    DepotLayout,
    Manifest,
    MarsSite,
    SelectionPolicy,
    build_manifest,
    depot_tube_positions_deg,
    great_circle_between_m,
)

CONJUNCTION_STEP_S = 21600.0  # elongation sampled every 6 h: crossings placed to < 1 min
HORIZON_SOLS = 700  # sols past the deadline searched for a launch sol: a Mars year (669)
AT_DEPOT, IN_TRANSIT, AT_LANDER, LOADED, LOST, NOT_YET = 0, 1, 2, 3, 4, 5  # depot tubes

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

    ``send_when_rover_late``: the contingency a mission would fly when Perseverance is
    alive but late. From ``deploy_sols`` on, on each working sol before Perseverance
    reaches the lander, the team projects when its hand-over would end: the remaining
    route over its mean progress per working sol so far, plus the sols the arm needs for
    its tubes, with the conjunction sols ahead added; when that projection passes the last
    loading sol by more than ``rover_late_margin_sols`` (0, representative), the
    helicopters fetch the depot tubes while the rover keeps driving (the Orbiting Sample
    then takes the best ``capacity`` of the whole ranking, as with top-up). ``False``
    sends them only when Perseverance fails (the July 2022 plan's backup role).
    """

    count: int = 2
    range_per_flight_m: float = 700.0
    ground_speed_m_s: float = 5.0
    recharge_sols: int = 2
    deploy_sols: int = 20
    dust_season_ls_deg: tuple[float, float] = (210.0, 300.0)
    wind_no_fly_probability_per_sol: float = 0.1
    loss_probability_per_flight: float = 0.01
    send_when_rover_late: bool = True
    rover_late_margin_sols: int = 0

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
class LanderAcquisition:
    """Samples the lander takes itself, with its own scoop and drill (no courier needed).

    The scoop's samples come first, then the drill's; each takes ``*_sols_per_sample``
    working sols of ``hours_per_sol`` (commanded sols, with the energy for them) and an
    attempt fails with ``failure_probability_per_attempt``, after which the sample is tried
    again from the start. Acquired samples go straight into the sample container, beside
    the Orbiting Sample's catalogued tubes. ``rover_courier``: ``False`` for an
    architecture with no Perseverance courier (and no depot to fetch from); then only the
    lander's samples fly. Values: representative (Tianwen-3 plans a scoop and a 2 m drill
    taking at least 500 g, CNSA via news reports [S]; Phoenix's scoop and InSight's arm
    took a few sols a dig, Viking's surface sampler a sol).
    """

    scoop_samples: int = 0
    scoop_sols_per_sample: int = 2
    drill_samples: int = 0
    drill_sols_per_sample: int = 5
    hours_per_sol: float = 4.0
    failure_probability_per_attempt: float = 0.1
    rover_courier: bool = True

    def __post_init__(self):
        if min(self.scoop_samples, self.drill_samples) < 0:
            raise ValueError("scoop_samples and drill_samples must not be negative")
        if min(self.scoop_sols_per_sample, self.drill_sols_per_sample) < 1:
            raise ValueError("scoop_sols_per_sample and drill_sols_per_sample must be at least 1")
        _check_positive(self, "hours_per_sol")
        if not 0.0 <= self.failure_probability_per_attempt < 1.0:
            raise ValueError(
                f"failure_probability_per_attempt = {self.failure_probability_per_attempt}: "
                "must be in [0, 1)"
            )

    @property
    def samples(self) -> int:
        return self.scoop_samples + self.drill_samples


@dataclass(frozen=True)
class RelayOrbiter:
    """Relay passes over the lander, which gate the tactical cycle: a sol's ground-in-the-
    loop work (arm hand-over checks, helicopter flights, scooping and drilling) is done only
    on a sol that follows a usable pass (the previous sol's results down, its plan up).

    Usable passes per sol are Poisson with mean ``passes_per_sol`` times
    ``pass_success_probability``: a sol is commanded with probability ``1 - exp(-that)``.
    Without a relay section every sol is commanded (the baseline: the Mars Relay Network
    talks to Perseverance "at least twice a day, typically four to six times", NASA Mars
    2020 communications page [P]). Defaults (2 passes, 90 % usable): representative of one
    dedicated orbiter in a low orbit.
    """

    passes_per_sol: float = 2.0
    pass_success_probability: float = 0.9

    def __post_init__(self):
        _check_positive(self, "passes_per_sol")
        _check_probability(self, "pass_success_probability")

    @property
    def commanded_probability(self) -> float:
        return -math.expm1(-self.passes_per_sol * self.pass_success_probability)


@dataclass(frozen=True)
class SurfacePlan:
    """Everything the surface leg needs (SI, epochs in ``et``, angles named in degrees).

    ``lander_checkout_sols``: sols after landing before the STA works, 14, representative.
    ``conjunction_elongation_deg``: 2 deg, the threshold NASA gives for its Mars command
    moratoria ("when Mars is within 2 degrees of the Sun", 2019 and 2021 [S]); computed
    spans match the moratoria of 2021 (Oct 2-14) and 2023 (Nov 11-25) to a day.
    ``tubes``: the tube catalog (``msrsim.samples``). ``perseverance``: the rover's mission
    clock (landing 2021-02-18 20:55 UTC at 77.45 E), which dates the catalog's sols: a tube
    can be loaded only from the sol after the one it was sealed (a depot tube: dropped),
    and Perseverance drives only once it has landed.

    ``landing_et`` and ``lander`` are the nominal touchdown (the target); the Monte Carlo
    takes each trial's own (:func:`simulate_surface`).

    ``power``: the lander's power and loads (:mod:`msrsim.segments.lander_power`); ``None``
    (the baseline) leaves the arm its full working time and the lander alive whatever the
    season. ``acquisition``: the lander's own sampling; ``relay``: the relay passes that gate
    commanded work; ``None``: none, and every sol commanded.
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
    perseverance: MissionClock = PERSEVERANCE_CLOCK
    power: LanderPower | None = None
    acquisition: LanderAcquisition | None = None
    relay: RelayOrbiter | None = None


def _check_positive(obj, *names: str) -> None:
    for name in names:
        if not getattr(obj, name) > 0:
            raise ValueError(f"{name} = {getattr(obj, name)}: must be positive")


def _check_probability(obj, *names: str) -> None:
    for name in names:
        if not 0.0 <= getattr(obj, name) <= 1.0:
            raise ValueError(f"{name} = {getattr(obj, name)}: must be in [0, 1]")


# --------------------------------------------------------------------------------------
# Environment: conjunctions and seasons as epochs
# --------------------------------------------------------------------------------------


def mars_solar_conjunctions(
    start_et: float, end_et: float, threshold_rad: float, step_s: float = CONJUNCTION_STEP_S
) -> list[Interval]:
    """Spans where the Sun-Earth-Mars angle is below ``threshold_rad`` (DE ephemeris).

    The series is padded by 60 days each side so spans are never cut by its ends, and
    sampled at whole multiples of ``step_s`` past J2000, so that a span comes out the same
    whatever ``start_et`` and ``end_et`` a batch of trials asks for.
    """
    pad = 60 * 86400.0
    first, last = math.floor((start_et - pad) / step_s), math.ceil((end_et + pad) / step_s)
    et = np.arange(first, last + 1) * step_s
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


def ls_window_spans_et(window: tuple[float, float], start_et: float, end_et: float) -> np.ndarray:
    """Epoch spans ``[enter, exit)`` (k, 2) over which Ls is in ``window`` (as
    :func:`in_ls_window`), those that meet ``[start_et, end_et]``.

    Each crossing inverts Mars24's monotonic unwrapped Ls (``et_of_solar_longitude``, to
    1e-10 deg, a few microseconds), one crossing per call so that the result does not
    depend on the span asked for.
    """
    if window[1] - window[0] >= 360.0:
        return np.array([[start_et, end_et]])
    lo = window[0] % 360.0
    width = (window[1] % 360.0 - lo) % 360.0
    if width == 0.0:
        return np.empty((0, 2))
    years = range(int(mars_year(start_et)[0]) - 1, int(mars_year(end_et)[0]) + 1)
    spans = [
        (float(et_of_solar_longitude(y, lo)[0]), float(et_of_solar_longitude(y, lo + width)[0]))
        for y in years
    ]
    return np.array([s for s in spans if s[1] > start_et and s[0] < end_et]).reshape(-1, 2)


@dataclass(frozen=True)
class SurfaceEvents:
    """The dates that shape the sols of a batch of trials, over ``[start_et, end_et]``.

    ``conjunctions``: the spans when nothing is commanded; ``conjunction_msd``,
    ``dust_season_msd`` and ``launch_window_msd``: ``(k, 2)`` spans ``[start, end)`` as
    Mars Sol Dates (conjunctions, and the spans when Ls is in the helicopters' no-fly
    season or in the MAV's launch window).
    """

    start_et: float
    end_et: float
    conjunctions: tuple[Interval, ...]
    conjunction_msd: np.ndarray
    dust_season_msd: np.ndarray
    launch_window_msd: np.ndarray


def surface_events(plan: SurfacePlan, start_et: float, end_et: float) -> SurfaceEvents:
    """Conjunctions and Ls windows of ``plan`` between ``start_et`` and ``end_et``."""
    spans = mars_solar_conjunctions(start_et, end_et, math.radians(plan.conjunction_elongation_deg))

    def msd(et_spans) -> np.ndarray:
        et_spans = np.asarray(et_spans, dtype=np.float64).reshape(-1, 2)
        return mars_solar_date(et_spans.ravel()).reshape(-1, 2)

    return SurfaceEvents(
        start_et=start_et,
        end_et=end_et,
        conjunctions=tuple(spans),
        conjunction_msd=msd([(s.start_et, s.end_et) for s in spans]),
        dust_season_msd=msd(
            ls_window_spans_et(plan.helicopters.dust_season_ls_deg, start_et, end_et)
        ),
        launch_window_msd=msd(ls_window_spans_et(plan.mav.launch_ls_window_deg, start_et, end_et)),
    )


def _sol_spans(msd: np.ndarray, origin: np.ndarray, at_middle: bool) -> np.ndarray:
    """Spans of Mars Sol Dates ``(k, 2)`` as each trial's own sols ``(n, k, 2)``, ``[first,
    end)``.

    ``origin`` (n,): the Mars Sol Date at which each trial's sol 0 begins, so that sol
    ``j`` covers ``[origin + j, origin + j + 1)``. ``at_middle``: a sol is inside when its
    middle is (an Ls window, read at mid-sol); otherwise when it overlaps the span at all
    (a conjunction: no commanding on a sol that touches it).
    """
    x = msd[None, :, :] - origin[:, None, None]
    if at_middle:
        return np.ceil(x - 0.5).astype(np.int64)
    return np.stack([np.floor(x[..., 0]), np.ceil(x[..., 1])], axis=-1).astype(np.int64)


def _inside(sol, spans: np.ndarray) -> np.ndarray:
    """Whether ``sol`` lies in any span ``[first, end)`` of ``spans`` (..., k, 2); ``sol``
    broadcasts against the spans' leading axes (a trailing axis is added to it)."""
    sol = np.asarray(sol)[..., None]
    return ((spans[..., 0] <= sol) & (sol < spans[..., 1])).any(axis=-1)


def _next_true(flags: np.ndarray) -> np.ndarray:
    """For each index, the first index at or after it where ``flags`` holds (-1 if none)."""
    idx = np.where(flags, np.arange(flags.size), flags.size)
    nxt = np.minimum.accumulate(idx[::-1])[::-1]
    return np.where(nxt < flags.size, nxt, -1)


# --------------------------------------------------------------------------------------
# A batch of trials, each from its own touchdown
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurfaceSetup:
    """A batch of trials ready to fly: what they share, and each one's own touchdown.

    Arrays have a leading trial axis. Sol numbers are each trial's own (sol 0 = its
    landing sol); ``conjunction``, ``dust_season`` and ``launch_window`` are ``(n, k, 2)``
    spans ``[first, end)`` of those sols. ``flown``: trials with a finite touchdown (the
    others are not flown: nothing loaded). ``sol_origin_msd``: the Mars Sol Date at which
    each trial's sol 0 begins (local mean midnight at its site). ``rover_tube_sol`` and
    ``depot_tube_sol``: the first sol each tube of the manifest's queues exists (0 when it
    did at landing); ``rover_start_sol``: the first sol Perseverance is on Mars.
    """

    plan: SurfacePlan
    manifest: Manifest
    events: SurfaceEvents
    landing_et: np.ndarray
    lander_latitude_deg: np.ndarray
    lander_east_longitude_deg: np.ndarray
    flown: np.ndarray
    sol_origin_msd: np.ndarray
    route_m: np.ndarray
    depot_distance_m: np.ndarray
    hops: np.ndarray
    conjunction: np.ndarray
    dust_season: np.ndarray
    launch_window: np.ndarray
    deadline_sol: np.ndarray
    last_loading_sol: np.ndarray
    horizon_sol: np.ndarray
    rover_tube_sol: np.ndarray
    depot_tube_sol: np.ndarray
    rover_start_sol: np.ndarray

    @property
    def n(self) -> int:
        return self.landing_et.size

    def sol_start_et(self, sol) -> np.ndarray:
        """Epochs of the local mean midnights that begin each trial's sol ``sol`` (n,)."""
        return _each_distinct(et_of_mars_solar_date, self.sol_origin_msd + sol)


def _each_distinct(function, values: np.ndarray) -> np.ndarray:
    """``function`` (elementwise) of ``values``, evaluated once per distinct value: the
    time-scale conversions cost ~8 us an epoch (``erfa.dtdb``), and a batch flown from one
    touchdown repeats its epochs."""
    distinct, index = np.unique(values, return_inverse=True)
    return function(distinct)[index.reshape(values.shape)]


def _touchdowns(plan: SurfacePlan, landing_et, latitude_deg, east_longitude_deg):
    """The per-trial touchdown arrays (n,), the plan's where not given, and which are finite."""
    given = {
        "landing_et": plan.landing_et if landing_et is None else landing_et,
        "latitude_deg": plan.lander.latitude_deg if latitude_deg is None else latitude_deg,
        "east_longitude_deg": (
            plan.lander.east_longitude_deg if east_longitude_deg is None else east_longitude_deg
        ),
    }
    arrays = {k: np.atleast_1d(np.asarray(v, dtype=np.float64)) for k, v in given.items()}
    if any(a.ndim != 1 for a in arrays.values()):
        raise ValueError("landing_et, latitude_deg and east_longitude_deg must be (n,) arrays")
    try:
        landing, lat, lon = np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{k} {a.shape}" for k, a in arrays.items())
        raise ValueError(f"touchdown arrays of different lengths: {shapes}") from None
    flown = np.isfinite(landing) & np.isfinite(lat) & np.isfinite(lon)
    bad = flown & (np.abs(lat) > 90.0)
    if bad.any():
        raise ValueError(f"latitude_deg = {lat[bad][0]}: must be between -90 and 90")
    return (
        np.where(flown, landing, plan.landing_et),
        np.where(flown, lat, plan.lander.latitude_deg),
        np.where(flown, lon, plan.lander.east_longitude_deg),
        flown,
    )


def _tube_msd(tubes: tuple[Tube, ...], clock: MissionClock) -> np.ndarray:
    """Mars Sol Dates from which ``tubes`` can be loaded: the start of the Perseverance sol
    after the one each was sealed (dropped, for the depot's)."""
    missing = [t.name for t in tubes if t.available_sol is None]
    if missing:
        raise ValueError(f"tube(s) {missing}: the catalog gives no sol they were sealed")
    sols = np.array([t.available_sol + 1 for t in tubes], dtype=np.int64)
    return mars_solar_date(clock.sol_start_et(sols)) if sols.size else np.empty(0)


def prepare(
    plan: SurfacePlan, landing_et=None, latitude_deg=None, east_longitude_deg=None
) -> SurfaceSetup:
    """Each trial's sols, geometry and calendar from its touchdown (the plan's by default).

    ``landing_et`` (TDB s past J2000), ``latitude_deg`` (planetocentric) and
    ``east_longitude_deg``: (n,) arrays or scalars, broadcast together. A trial with a
    non-finite value is not flown (no touchdown upstream): it loads nothing.
    """
    landing, lat, lon, flown = _touchdowns(plan, landing_et, latitude_deg, east_longitude_deg)
    deadline = plan.mav.deadline_et
    start_et = float(landing.min()) - 2 * SOL_S
    end_et = max(deadline, float(landing.max())) + (HORIZON_SOLS + 2) * SOL_S
    events = surface_events(plan, start_et, end_et)
    shift = lon / 360.0
    origin = np.floor(_each_distinct(mars_solar_date, landing) + shift) - shift  # local midnight
    manifest = build_manifest(plan.selection, plan.tubes)
    d_lat, d_lon = depot_tube_positions_deg(manifest, plan.depot)
    depot_m = great_circle_between_m(lat[:, None], lon[:, None], d_lat[None, :], d_lon[None, :])
    hops = np.ceil(depot_m / plan.helicopters.range_per_flight_m).astype(np.int64)
    start = plan.rover.start
    route = great_circle_between_m(start.latitude_deg, start.east_longitude_deg, lat, lon)

    def first_sol_from(msd: np.ndarray) -> np.ndarray:  # the first sol starting at or after
        return np.maximum(np.ceil(msd[None, :] - origin[:, None]), 0).astype(np.int64)

    deadline_sol = np.floor(mars_solar_date(deadline) - origin).astype(np.int64)
    last = np.where(flown, deadline_sol - plan.mav.preparation_sols - 1, -1)
    clock = plan.perseverance
    return SurfaceSetup(
        plan=plan,
        manifest=manifest,
        events=events,
        landing_et=landing,
        lander_latitude_deg=lat,
        lander_east_longitude_deg=lon,
        flown=flown,
        sol_origin_msd=origin,
        route_m=route * plan.rover.tortuosity,
        depot_distance_m=depot_m,
        hops=np.maximum(hops, 1),
        conjunction=_sol_spans(events.conjunction_msd, origin, at_middle=False),
        dust_season=_sol_spans(events.dust_season_msd, origin, at_middle=True),
        launch_window=_sol_spans(events.launch_window_msd, origin, at_middle=True),
        deadline_sol=deadline_sol,
        last_loading_sol=np.maximum(last, -1),
        horizon_sol=deadline_sol + HORIZON_SOLS,
        rover_tube_sol=first_sol_from(_tube_msd(manifest.rover, clock)),
        depot_tube_sol=first_sol_from(_tube_msd(manifest.depot, clock)),
        rover_start_sol=first_sol_from(mars_solar_date(clock.landing_et))[:, 0],
    )


def _next_launch_sol(setup: SurfaceSetup, first: np.ndarray) -> np.ndarray:
    """Each trial's first sol at or after ``first`` (n,) when the MAV may launch (Ls in
    its window, no conjunction), before the trial's horizon; -1 if none.

    Exact without a calendar: that sol is ``first`` itself, the start of a launch-window
    span or the end of a conjunction span (the sol before it being barred by one or the
    other), so only those candidates are tested.
    """
    launch, conj = setup.launch_window, setup.conjunction
    cand = np.concatenate([first[:, None], launch[..., 0], conj[..., 1]], axis=1)
    ok = (cand >= first[:, None]) & (cand < setup.horizon_sol[:, None])
    ok &= _inside(cand, launch[:, None]) & ~_inside(cand, conj[:, None])
    best = np.where(ok, cand, np.iinfo(np.int64).max).min(axis=1)
    return np.where(ok.any(axis=1), best, -1)


@dataclass(frozen=True)
class SurfaceCalendar:
    """Per-sol conditions at one trial's lander; sol ``k`` is ``[start_et[k], start_et[k+1])``."""

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


def _calendar(setup: SurfaceSetup, i: int = 0) -> SurfaceCalendar:
    """Trial ``i``'s sols from landing to ``HORIZON_SOLS`` past the deadline, as arrays."""
    count = int(setup.horizon_sol[i])
    starts = et_of_mars_solar_date(setup.sol_origin_msd[i] + np.arange(count + 1))
    sols = np.arange(count)
    conj = _inside(sols, setup.conjunction[i])
    launch = _inside(sols, setup.launch_window[i]) & ~conj
    return SurfaceCalendar(
        start_et=starts,
        solar_longitude_deg=solar_longitude_deg(0.5 * (starts[:-1] + starts[1:])),
        conjunction=conj,
        conjunctions=tuple(
            c for c in setup.events.conjunctions if c.end_et > starts[0] and c.start_et < starts[-1]
        ),
        dust_season=_inside(sols, setup.dust_season[i]),
        launch_allowed=launch,
        next_launch_sol=_next_true(launch),
        deadline_sol=int(setup.deadline_sol[i]),
    )


def surface_calendar(plan: SurfacePlan) -> SurfaceCalendar:
    """The plan's nominal touchdown: its sols to ``HORIZON_SOLS`` past the deadline."""
    if plan.mav.deadline_et <= plan.landing_et:
        raise ValueError("the MAV launch deadline must come after the SRL landing")
    return _calendar(prepare(plan))


# --------------------------------------------------------------------------------------
# Random numbers
# --------------------------------------------------------------------------------------


class _Draws:
    """The random numbers of a batch of ``n`` trials, one row per trial.

    ``rng`` (a :class:`TrialGenerator` over the batch's trials) spawns three children: a
    standard normal per trial (drive rate), a uniform per trial (failure sol) and, call by
    call, one ``(n, columns)`` block of uniforms per sol (the ``j``-th call reads the
    stream of sol ``j``). ``rng=None`` draws nothing random: no anomaly, wind or loss, the
    mean drive rate, no failure.
    """

    def __init__(self, rng: TrialGenerator | None, n: int, columns: int, lander_ops: bool = False):
        self.n, self.columns = n, columns
        self.nominal = rng is None
        self._ops = self.power = None
        if rng is None:
            self.normals, self.uniforms, self._per_sol = np.zeros(n), np.ones(n), None
            return
        if rng.size != n:
            raise ValueError(f"rng draws for {rng.size} trials; the touchdown arrays have {n}")
        rate, failure, self._per_sol = rng.spawn(3)
        self.normals = rate.standard_normal(n)
        self.uniforms = failure.random(n)
        if lander_ops:  # two more children: the lander's per-sol block, its power's draws
            self._ops, self.power = rng.spawn(2)

    def next_sol(self) -> np.ndarray:
        """The uniforms of the next sol, ``(n, columns)``."""
        if self._per_sol is None:
            return np.ones((self.n, self.columns))
        return self._per_sol.random((self.n, self.columns))

    def next_lander_sol(self) -> np.ndarray:
        """The lander's uniforms of the next sol, ``(n, 2)``: relay pass, sampling attempt
        (ones, the favourable draw, in the nominal run)."""
        if self._ops is None:
            return np.ones((self.n, 2))
        return self._ops.random((self.n, 2))


# --------------------------------------------------------------------------------------
# The sol-by-sol engine
# --------------------------------------------------------------------------------------


class _State:
    """Per-trial state of a batch (mutated sol by sol)."""

    def __init__(self, setup: SurfaceSetup, draws: _Draws):
        rover, heli, m = setup.plan.rover, setup.plan.helicopters, setup.manifest
        n = setup.n
        # Lognormal factor of mean 1 and the given 1-sigma; the nominal run uses the mean.
        sigma = 0.0 if draws.nominal else math.sqrt(math.log1p(rover.drive_rate_sigma_fraction**2))
        self.rate = rover.drive_m_per_sol * np.exp(sigma * draws.normals - 0.5 * sigma**2)
        self.fail_sol = _failure_sol(draws.uniforms, rover)
        self.remaining = setup.route_m.copy()
        self.arrival_sol = np.full(n, -1, dtype=np.int64)
        self.anomaly_left = np.zeros(n, dtype=np.int64)
        self.worked = np.zeros(n, dtype=np.int64)  # working sols Perseverance was active
        self.rover_loaded = np.zeros(n, dtype=np.int64)
        self.rover_mask = np.zeros((n, len(m.rover)), dtype=bool)  # loaded, rover queue
        courier = setup.plan.acquisition is None or setup.plan.acquisition.rover_courier
        self.rover_goal = np.full(n, m.rover_target if courier else 0, dtype=np.int64)
        self.rover_left = _rover_left(self, setup, np.arange(n))
        self.credit = np.zeros(n)
        self.alive = np.ones((n, heli.count), dtype=bool)
        self.leg = np.zeros((n, heli.count), dtype=np.int8)  # 0 idle, 1 outbound, 2 back
        self.helicopters_alive = np.full(n, heli.count, dtype=np.int64)
        self.hops_left = np.zeros((n, heli.count), dtype=np.int64)
        self.ready = np.zeros((n, heli.count), dtype=np.int64)
        self.tube = np.full((n, heli.count), -1, dtype=np.int64)
        self.flights = np.zeros(n, dtype=np.int64)
        self.depot = np.where(setup.depot_tube_sol > 0, NOT_YET, AT_DEPOT).astype(np.int8)
        # Counts of depot tubes by status, kept in step with ``depot`` (cheaper than sums).
        self.count = np.stack([(self.depot == k).sum(axis=1) for k in range(NOT_YET + 1)])
        # Depot tubes that are not there before the last loading sol.
        self.never = (setup.depot_tube_sol > setup.last_loading_sol[:, None]).sum(axis=1)
        self.tasked_sol = np.full(n, -1, dtype=np.int64)  # helicopters first sent for tubes
        self.late_sol = np.full(n, -1, dtype=np.int64)  # ... because the rover is late
        self.done_sol = np.full(n, -1, dtype=np.int64)


def _rover_left(st: _State, setup: SurfaceSetup, rows: np.ndarray) -> np.ndarray:
    """Tubes of its goal Perseverance still has to hand over that exist in time."""
    rank = np.arange(len(setup.manifest.rover))
    goal = rank[None, :] < st.rover_goal[rows, None]
    in_time = setup.rover_tube_sol[rows] <= setup.last_loading_sol[rows, None]
    return (goal & in_time & ~st.rover_mask[rows]).sum(axis=1)


def _offerable(st: _State, setup: SurfaceSetup, rows: np.ndarray, s: int) -> np.ndarray:
    """Perseverance's tubes it can hand over on sol ``s`` (rows x rover queue)."""
    rank = np.arange(len(setup.manifest.rover))
    goal = rank[None, :] < st.rover_goal[rows, None]
    return goal & (setup.rover_tube_sol[rows] <= s) & ~st.rover_mask[rows]


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


def _depot_arrivals(st: _State, setup: SurfaceSetup, s: int, live: np.ndarray) -> None:
    """Depot tubes dropped at Three Forks by sol ``s`` become there to fetch."""
    rows, tubes = np.nonzero((st.depot == NOT_YET) & (setup.depot_tube_sol <= s) & live[:, None])
    _move(st, rows, tubes, AT_DEPOT)


def _rover_late(st: _State, setup: SurfaceSetup, s: int, working: np.ndarray) -> None:
    """The contingency: send the helicopters where Perseverance is projected too late.

    Projection on a working sol before arrival: ``ceil(remaining / rate)`` driving sols at
    the mean progress per working sol so far, plus ``ceil(tubes x time per tube / arm time
    per sol)`` loading sols, counted from sol ``s`` and lengthened by the conjunction sols
    they straddle; it is late when it ends more than ``rover_late_margin_sols`` after the
    trial's last loading sol.
    """
    heli, m, arm = setup.plan.helicopters, setup.manifest, setup.plan.arm
    if not heli.send_when_rover_late or heli.count == 0 or not m.depot or m.top_up:
        return
    if s < heli.deploy_sols:
        return
    candidate = working & (st.late_sol < 0) & (s < st.fail_sol) & (st.arrival_sol < 0)
    rows = np.flatnonzero(candidate & (st.rover_left > 0) & (st.worked > 0))
    if not rows.size:
        return
    remaining = st.remaining[rows]
    rate = (setup.route_m[rows] - remaining) / st.worked[rows]
    drive = np.where(rate > 0, np.ceil(remaining / np.where(rate > 0, rate, 1.0)), 1e9)
    load = np.ceil(st.rover_left[rows] * arm.time_per_tube_s / arm.working_time_per_sol_s - 1e-9)
    end = s + drive + load - 1.0
    for j in range(setup.conjunction.shape[1]):  # spans in time order, disjoint
        lo = np.maximum(setup.conjunction[rows, j, 0], s)
        hi = setup.conjunction[rows, j, 1]
        end += np.where((lo <= end) & (hi > lo), hi - lo, 0)
    late = rows[end - setup.last_loading_sol[rows] > heli.rover_late_margin_sols]
    st.late_sol[late] = s
    st.rover_goal[late] = np.minimum(st.rover_goal[late], m.shared_rover_target)
    st.rover_left[late] = _rover_left(st, setup, late)


def _rover_sol(st: _State, setup: SurfaceSetup, s: int, working, live, u: np.ndarray):
    """Drive or hand over. Returns the tubes offered to the STA this sol, the trials that
    drove and those that lost the sol to an anomaly."""
    rover = setup.plan.rover
    active = live & (s < st.fail_sol) & (st.rover_left > 0) & (s >= setup.rover_start_sol)
    acts = active & working
    starts = acts & (st.anomaly_left == 0) & (u[:, 0] < rover.anomaly_probability_per_sol)
    st.anomaly_left = np.where(starts, rover.anomaly_sols, st.anomaly_left)
    works = acts & (st.anomaly_left == 0)
    counting = np.where(active & (st.anomaly_left > 0), st.anomaly_left - 1, 0)
    st.anomaly_left = np.where(working, counting, st.anomaly_left)
    st.worked += acts
    there = st.arrival_sol >= 0
    drives = works & ~there
    st.remaining = np.where(drives, st.remaining - st.rate, st.remaining)
    st.arrival_sol = np.where(drives & (st.remaining <= 0.0), s, st.arrival_sol)
    offer = np.zeros(setup.n, dtype=np.int64)
    if s >= setup.plan.lander_checkout_sols:
        rows = np.flatnonzero(works & there)
        offer[rows] = _offerable(st, setup, rows, s).sum(axis=1)
    return offer, drives, acts & ~works


def _depot_target(st: _State, setup: SurfaceSetup, s: int) -> np.ndarray:
    """Depot tubes the helicopters should bring: the capacity Perseverance leaves, once
    they are sent (Perseverance failed or late, or top-up), else none."""
    m, acq = setup.manifest, setup.plan.acquisition
    if acq is not None and not acq.rover_courier:  # no courier, no depot to fetch from
        return np.zeros(setup.n, dtype=np.int64)
    failed = (s >= st.fail_sol) & (st.rover_left > 0)
    committed = np.where(failed, st.rover_loaded, st.rover_goal)
    wanted = np.clip(m.capacity - committed, 0, len(m.depot))
    return np.where(failed | (st.late_sol >= 0) | m.top_up, wanted, 0)


def _helicopter_sol(st: _State, setup: SurfaceSetup, s: int, flyable, live, u, log):
    """One sol of every helicopter: start trips, fly one hop each, lose or deliver."""
    heli = setup.plan.helicopters
    target = _depot_target(st, setup, s)
    if heli.count > 0 and setup.manifest.depot:
        st.tasked_sol = np.where((st.tasked_sol < 0) & live & (target > 0), s, st.tasked_sol)
    flyable = flyable & (target > 0)
    if not flyable.any():
        return
    calm = flyable & (u[:, 1] >= heli.wind_no_fly_probability_per_sol)
    for h in range(heli.count):
        can = st.alive[:, h] & (s >= st.ready[:, h]) & calm
        busy = st.count[IN_TRANSIT] + st.count[AT_LANDER] + st.count[LOADED]
        new = np.flatnonzero(can & (st.leg[:, h] == 0) & (busy < target) & (st.count[AT_DEPOT] > 0))
        j = np.argmax(st.depot[new] == AT_DEPOT, axis=1)  # the best-ranked tube still there
        _move(st, new, j, IN_TRANSIT)
        st.tube[new, h] = j
        st.leg[new, h] = 1
        st.hops_left[new, h] = setup.hops[new, j]
        fly = can & (st.leg[:, h] > 0)
        _fly_hop(st, setup, s, h, fly, u[:, 2 + h] < heli.loss_probability_per_flight, log)


def _fly_hop(st: _State, setup: SurfaceSetup, s: int, h: int, fly, lost, log):
    """Helicopter ``h`` flies one hop where ``fly``; ``lost`` ones crash."""
    heli = setup.plan.helicopters
    rows = np.flatnonzero(fly)
    tube, leg = st.tube[rows, h], st.leg[rows, h]
    crash = lost[rows]
    if log is not None and fly[0]:
        hop = setup.depot_distance_m[0, tube[0]] / setup.hops[0, tube[0]]
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
    st.hops_left[picked, h] = setup.hops[picked, st.tube[picked, h]]
    _move(st, home, st.tube[home, h], AT_LANDER)
    st.leg[home, h] = 0
    st.tube[home, h] = -1


def _move(st: _State, rows: np.ndarray, tubes: np.ndarray, status) -> None:
    """Set depot tubes ``(rows, tubes)`` to ``status``, keeping the counts in step."""
    np.subtract.at(st.count, (st.depot[rows, tubes], rows), 1)
    np.add.at(st.count, (np.broadcast_to(status, rows.shape), rows), 1)
    st.depot[rows, tubes] = status


def _arm_sol(st: _State, setup: SurfaceSetup, s: int, working, rover_offer, time_s) -> np.ndarray:
    """The STA loads waiting tubes (rover's first, then helicopter-delivered ones), with
    ``time_s`` of work this sol (scalar or per trial). Returns the seconds it worked (n,)."""
    arm = setup.plan.arm
    if s < setup.plan.lander_checkout_sols:
        return np.zeros(setup.n)
    waiting = rover_offer + st.count[AT_LANDER]
    credit = np.where(waiting > 0, st.credit + time_s, 0.0)
    count = np.minimum(np.floor(credit / arm.time_per_tube_s + 1e-9), waiting).astype(np.int64)
    count = np.where(working, count, 0)
    left = np.where(count == waiting, 0.0, credit - count * arm.time_per_tube_s)
    st.credit = np.where(working, left, st.credit)
    from_rover = np.minimum(count, rover_offer)
    rows = np.flatnonzero(from_rover > 0)
    offered = _offerable(st, setup, rows, s)
    best = offered & (np.cumsum(offered, axis=1) <= from_rover[rows, None])
    st.rover_mask[rows] |= best
    st.rover_loaded += from_rover
    st.rover_left -= from_rover
    rows = np.flatnonzero(count > from_rover)
    at_lander = st.depot[rows] == AT_LANDER
    first = at_lander & (np.cumsum(at_lander, axis=1) <= (count - from_rover)[rows, None])
    r, t = np.nonzero(first)
    _move(st, rows[r], t, LOADED)
    return np.where(working & (waiting > 0), time_s, 0.0)


def _finished(st: _State, setup: SurfaceSetup, s: int) -> np.ndarray:
    """Trials with nothing more to load: the rover is done or out, no trip can help."""
    rover_done = (st.rover_left == 0) | (s + 1 >= st.fail_sol)
    target = _depot_target(st, setup, s + 1)
    moving = (st.count[IN_TRANSIT] + st.count[AT_LANDER]) > 0
    there = st.count[AT_DEPOT] + st.count[NOT_YET] - st.never  # to fetch, now or in time
    stuck = (there == 0) | (st.helicopters_alive == 0)
    done = rover_done & ~moving & ((st.count[LOADED] >= target) | stuck)
    acq = setup.plan.acquisition
    return done if acq is None else done & (st.ops.samples >= acq.samples)


class _LanderSol:
    """The lander's own side of each sol, for a batch: its energy (``plan.power``), the
    commanded sols the relay passes allow (``plan.relay``) and its own sampling
    (``plan.acquisition``). With none of them every sol is commanded and the energy
    unbounded, so the engine runs as without this object."""

    def __init__(self, setup: SurfaceSetup, draws: _Draws):
        plan, n = setup.plan, setup.n
        self.plan = plan
        self.power = None
        if plan.power is not None:
            sols = int(setup.horizon_sol.max()) + 1
            origin = setup.sol_origin_msd
            self.power = PowerState(plan.power, origin, plan.lander.latitude_deg, sols, draws.power)
        self.samples = np.zeros(n, dtype=np.int64)  # acquired by the lander
        self.progress = np.zeros(n, dtype=np.int64)  # sols worked on the current one
        self.budget = np.full(n, np.inf)
        self.used = np.zeros(n)
        self.commanded = np.ones(n, dtype=bool)
        self.u = None

    @property
    def lost_sol(self) -> np.ndarray:
        return self.power.lost_sol if self.power is not None else np.full(self.samples.size, -1)

    def begin(self, s: int, u: np.ndarray) -> None:
        """Sol ``s``'s energy budget and commanded flags (``u``: the lander's uniforms)."""
        self.u = u
        self.used = np.zeros(self.samples.size)
        if self.power is not None:
            self.budget = self.power.budget_wh(s)
        if self.plan.relay is not None:
            self.commanded = u[:, 0] >= 1.0 - self.plan.relay.commanded_probability

    def arm_time_s(self):
        """The arm's working time this sol: all of it, or what the energy left allows."""
        full = self.plan.arm.working_time_per_sol_s
        if self.power is None:
            return full
        return np.minimum(full, self.budget / self.plan.power.arm_w * 3600.0)

    def spend(self, wh: np.ndarray) -> None:
        self.used = self.used + wh
        self.budget = self.budget - wh

    def can_fly(self) -> np.ndarray | bool:
        """Enough energy for every helicopter's flight support this sol."""
        if self.power is None:
            return True
        support = self.plan.power.helicopter_support_wh_per_flight
        return self.budget >= support * self.plan.helicopters.count

    def acquire(self, s: int, working: np.ndarray) -> np.ndarray:
        """One sol of scooping or drilling where commanded, powered and not done; returns
        the trials that worked at it (n,)."""
        acq = self.plan.acquisition
        if acq is None or acq.samples == 0 or s < self.plan.lander_checkout_sols:
            return np.zeros(working.shape, dtype=bool)
        energy = acq.hours_per_sol * (self.plan.power.acquisition_w if self.power else 0.0)
        works = working & self.commanded & (self.samples < acq.samples) & (self.budget >= energy)
        self.spend(np.where(works, energy, 0.0))
        self.progress += works
        need = np.where(
            self.samples < acq.scoop_samples, acq.scoop_sols_per_sample, acq.drill_sols_per_sample
        )
        attempt = works & (self.progress >= need)
        ok = attempt & (self.u[:, 1] >= acq.failure_probability_per_attempt)
        self.samples += ok
        self.progress = np.where(attempt, 0, self.progress)
        return works

    def close(self, s: int, active: np.ndarray) -> None:
        if self.power is not None:
            self.power.close_sol(s, self.used, active)


def _run(setup: SurfaceSetup, draws: _Draws, log=None) -> _State:
    """Step every trial from its landing sol until its loading is complete or cut off,
    then (with a power model) on to its MAV's launch sol, keeping its lander alive.

    With ``log`` (a dict of lists), trial 0's sols are recorded for a timeline.
    """
    heli = setup.plan.helicopters
    st = _State(setup, draws)
    ops = st.ops = _LanderSol(setup, draws)
    last = setup.last_loading_sol
    pending = bool((setup.depot_tube_sol > 0).any())
    s = -1
    for s in range(int(last.max()) + 1):
        u = draws.next_sol()
        ops.begin(s, draws.next_lander_sol())
        live = (s <= last) & (st.done_sol < 0) & (ops.lost_sol < 0)
        working = live & ~_inside(s, setup.conjunction)
        commanded = working & ops.commanded
        if pending:
            _depot_arrivals(st, setup, s, live)
        before = st.rover_loaded[0] + st.count[LOADED, 0]
        _rover_late(st, setup, s, working)
        offer, drove, anomaly = _rover_sol(st, setup, s, working, live, u)
        if s >= heli.deploy_sols:
            flyable = commanded & ~_inside(s, setup.dust_season) & ops.can_fly()
            flights = st.flights.copy()
            _helicopter_sol(st, setup, s, flyable, live, u, log)
            if ops.power is not None:
                support = setup.plan.power.helicopter_support_wh_per_flight
                ops.spend((st.flights - flights) * support)
        arm_s = _arm_sol(st, setup, s, commanded, offer, ops.arm_time_s())
        if ops.power is not None:
            ops.spend(arm_s * setup.plan.power.arm_w / 3600.0)
        acquiring = ops.acquire(s, working)
        ops.close(s, setup.flown)
        if log is not None:
            log["drive"].append(bool(drove[0]))
            log["anomaly"].append(bool(anomaly[0]))
            log["acquiring"].append(bool(acquiring[0]))
            log["loaded"].append(int(st.rover_loaded[0] + st.count[LOADED, 0] - before))
        st.done_sol = np.where(live & _finished(st, setup, s), s, st.done_sol)
        lost = (ops.lost_sol >= 0) & (st.done_sol < 0)
        st.done_sol = np.where(lost, ops.lost_sol, st.done_sol)
        if ((st.done_sol >= 0) | (s >= last)).all():
            break
    st.cut_by_deadline = (st.done_sol < 0) & setup.flown
    st.done_sol = np.where(st.done_sol < 0, last, st.done_sol)
    if ops.power is not None:  # the lander keeps the MAV warm until it leaves
        ready = _next_launch_sol(setup, st.done_sol + 1 + setup.plan.mav.preparation_sols)
        for k in range(s + 1, int(ready.max()) + 1):
            ops.begin(k, draws.next_lander_sol())
            ops.close(k, setup.flown & (k <= ready))
    return st


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurfaceTrials:
    """Outcomes of ``n`` trials (arrays with a leading trial axis; sols are each trial's
    own, sol 0 = its landing sol).

    ``loaded``: (n, tubes) flags over ``tube_names`` (the ranking: rover queue, then
    depot queue). ``mav_ready_et``: NaN where nothing was loaded or no launch sol came.
    ``rover_arrival_sol``: -1 where Perseverance never reached the lander.
    ``cut_by_deadline``: loading stopped at the last sol the deadline allows, with tubes
    still to come (the MAV then leaves with what it has). ``helicopters_deployed``: the
    helicopters were sent for depot tubes (from ``helicopter_deploy_sol``, -1 if never),
    ``helicopters_sent_rover_late`` by the late-rover contingency. ``deadline_sol``: the
    sol holding the MAV launch deadline; ``surface_sols``: the MAV-ready sol, or the
    deadline sol where the MAV is not ready. ``landing_et`` and ``route_m`` (Perseverance's
    route): each trial's touchdown as flown (NaN for a trial not flown).
    ``lander_samples_loaded``: samples the lander took itself (:class:`LanderAcquisition`).
    ``lander_lost``: the lander's battery emptied before its MAV left (then
    ``mav_ready_et`` is NaN); ``battery_min_wh``: the lowest charge at a sol's end up to the
    MAV's launch (NaN without a power model).
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
    helicopters_deployed: np.ndarray
    helicopters_sent_rover_late: np.ndarray
    helicopter_deploy_sol: np.ndarray
    deadline_sol: np.ndarray
    surface_sols: np.ndarray
    landing_et: np.ndarray
    route_m: np.ndarray
    lander_samples_loaded: np.ndarray
    lander_lost: np.ndarray
    battery_min_wh: np.ndarray

    @property
    def tubes_loaded(self) -> np.ndarray:
        return self.rover_tubes_loaded + self.depot_tubes_loaded + self.lander_samples_loaded

    @property
    def probability_meets_deadline(self) -> float:
        return float(np.mean(self.meets_deadline))

    @classmethod
    def concatenate(cls, parts: list[SurfaceTrials]) -> SurfaceTrials:
        """Batches of the same plan, one after the other."""
        first = parts[0]
        arrays = {
            name: np.concatenate([getattr(p, name) for p in parts])
            for name in cls.__dataclass_fields__
            if isinstance(getattr(first, name), np.ndarray)
        }
        return cls(tube_names=first.tube_names, deadline_et=first.deadline_et, **arrays)


def _trials(setup: SurfaceSetup, st: _State) -> SurfaceTrials:
    loaded_depot = st.depot == LOADED
    depot_loaded = loaded_depot.sum(axis=1)
    ops = st.ops
    ready = _next_launch_sol(setup, st.done_sol + 1 + setup.plan.mav.preparation_sols)
    lost = (ops.lost_sol >= 0) & ((ready < 0) | (ops.lost_sol <= ready)) & setup.flown
    loaded = st.rover_loaded + depot_loaded + ops.samples
    ready = np.where(setup.flown & (loaded > 0) & ~lost, ready, -1)
    ready_et = np.where(ready >= 0, setup.sol_start_et(np.maximum(ready, 0)), np.nan)
    m = setup.manifest
    return SurfaceTrials(
        tube_names=tuple(t.name for t in m.rover + m.depot),
        loaded=np.concatenate([st.rover_mask, loaded_depot], axis=1),
        rover_tubes_loaded=st.rover_loaded,
        depot_tubes_loaded=depot_loaded,
        rover_arrival_sol=st.arrival_sol,
        rover_failed=(st.fail_sol <= st.done_sol) & (st.rover_left > 0),
        loading_complete_sol=st.done_sol,
        cut_by_deadline=st.cut_by_deadline,
        mav_ready_sol=ready,
        mav_ready_et=ready_et,
        helicopter_flights=st.flights,
        helicopters_lost=(~st.alive).sum(axis=1),
        meets_deadline=(ready >= 0) & (ready_et <= setup.plan.mav.deadline_et),
        deadline_et=setup.plan.mav.deadline_et,
        helicopters_deployed=st.tasked_sol >= 0,
        helicopters_sent_rover_late=st.late_sol >= 0,
        helicopter_deploy_sol=st.tasked_sol,
        deadline_sol=np.where(setup.flown, setup.deadline_sol, -1),
        surface_sols=np.where(ready >= 0, ready, np.where(setup.flown, setup.deadline_sol, -1)),
        landing_et=np.where(setup.flown, setup.landing_et, np.nan),
        route_m=np.where(setup.flown, setup.route_m, np.nan),
        lander_samples_loaded=ops.samples,
        lander_lost=lost,
        battery_min_wh=(
            np.where(setup.flown, ops.power.min_soc_wh, np.nan)
            if ops.power is not None
            else np.full(setup.n, np.nan)
        ),
    )


def simulate_surface(
    plan: SurfacePlan,
    rng: TrialGenerator,
    landing_et=None,
    latitude_deg=None,
    east_longitude_deg=None,
) -> SurfaceTrials:
    """Monte Carlo of the surface leg: each trial from its own touchdown.

    Parameters
    ----------
    plan
        The leg's plan; its ``mav.deadline_et`` is the one deadline of every trial.
    rng
        A :class:`msrsim.core.streams.TrialGenerator` over the batch's trials (``rng.size``
        of them); three children are spawned from it. Trial ``i`` gets the same result in
        any batch, given its touchdown.
    landing_et, latitude_deg, east_longitude_deg
        Each trial's SRL touchdown (n,): epoch (TDB s past J2000), planetocentric
        latitude and east longitude (deg); the plan's nominal ones where ``None``. A
        trial with a non-finite value is not flown (nothing loaded, NaN MAV-ready epoch).
    """
    if landing_et is None and latitude_deg is None and east_longitude_deg is None:
        landing_et = np.full(rng.size, plan.landing_et)
    setup = prepare(plan, landing_et, latitude_deg, east_longitude_deg)
    draws = _Draws(rng, setup.n, 2 + plan.helicopters.count, _has_lander_ops(plan))
    return _trials(setup, _run(setup, draws))


def _has_lander_ops(plan: SurfacePlan) -> bool:
    """Whether the plan draws the lander's own random numbers (power, relay, sampling)."""
    return any(x is not None for x in (plan.power, plan.acquisition, plan.relay))


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
    helicopters_sent_rover_late_sol: int | None
    calendar: SurfaceCalendar
    lander_samples_loaded: int = 0
    lander_lost_sol: int | None = None


def surface_timeline(
    plan: SurfacePlan,
    rng: TrialGenerator | None = None,
    landing_et: float | None = None,
    latitude_deg: float | None = None,
    east_longitude_deg: float | None = None,
) -> SurfaceTimeline:
    """One trial told sol by sol: the nominal one (``rng=None``: no random event, the
    plan's touchdown), or a Monte Carlo trial replayed from its own one-trial view of the
    run's streams (``TrialGenerator(seed, name, start=i, n=1)``) and its touchdown."""
    setup = prepare(plan, landing_et, latitude_deg, east_longitude_deg)
    if setup.n != 1:
        raise ValueError(f"a timeline tells one trial; the touchdown gives {setup.n}")
    draws = _Draws(rng, 1, 2 + plan.helicopters.count, _has_lander_ops(plan))
    log = {"drive": [], "anomaly": [], "loaded": [], "flights": [], "acquiring": []}
    st = _run(setup, draws, log)
    out = _trials(setup, st)
    log["lost_sol"] = int(st.ops.lost_sol[0])
    cal = _calendar(setup)
    flights = _flights(setup, cal, log["flights"])
    ready = int(out.mav_ready_sol[0])
    late = int(st.late_sol[0])
    return SurfaceTimeline(
        activities=_activities(setup, cal, log, out, flights, late),
        flights=flights,
        tubes_loaded=_loaded_tubes(setup, out),
        rover_arrival_sol=int(st.arrival_sol[0]) if st.arrival_sol[0] >= 0 else None,
        loading_complete_sol=int(st.done_sol[0]),
        mav_ready_sol=ready if ready >= 0 else None,
        mav_ready_et=float(out.mav_ready_et[0]),
        meets_deadline=bool(out.meets_deadline[0]),
        helicopters_sent_rover_late_sol=late if late >= 0 else None,
        calendar=cal,
        lander_samples_loaded=int(out.lander_samples_loaded[0]),
        lander_lost_sol=int(st.ops.lost_sol[0]) if out.lander_lost[0] else None,
    )


def _flights(setup: SurfaceSetup, cal: SurfaceCalendar, records) -> tuple[Flight, ...]:
    heli, starts = setup.plan.helicopters, cal.start_et
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


def _activities(setup, cal, log, out: SurfaceTrials, flights, late: int) -> tuple[Activity, ...]:
    plan, landing = setup.plan, float(setup.landing_et[0])
    starts = cal.start_et

    def span(name, actor, a, b):
        begin = max(float(starts[a]), landing)  # sol 0 began before touchdown
        return Activity(name, actor, begin, float(starts[b + 1]), int(a), int(b))

    rows = [Activity("SRL landing", "SRL", landing, landing, 0, 0)]
    rows.append(span("Lander and STA checkout", "SRL", 0, max(plan.lander_checkout_sols - 1, 0)))
    drive = np.flatnonzero(log["drive"])
    if drive.size:
        rows.append(span("Perseverance drives to the lander", "Perseverance", 0, drive[-1]))
    rows += [span("Perseverance anomaly", "Perseverance", a, b) for a, b in _runs(log["anomaly"])]
    acquiring = np.flatnonzero(log["acquiring"])
    if acquiring.size:
        rows.append(span("Lander scoops and drills samples", "SRL", acquiring[0], acquiring[-1]))
    if out.lander_lost[0]:
        lost = log["lost_sol"]
        rows.append(span("Lander lost: battery empty", "SRL", lost, lost))
    loads = np.flatnonzero(log["loaded"])
    if loads.size:
        rows.append(span("Sample Transfer Arm loads tubes", "STA", loads[0], loads[-1]))
    if late >= 0:
        at = float(starts[late])
        rows.append(
            Activity("Helicopters sent: Perseverance projected late", "SRL", at, at, late, late)
        )
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
