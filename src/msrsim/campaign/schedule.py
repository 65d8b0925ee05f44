"""The campaign's schedule: the dates every trial of the coupled campaign flies against,
planned from the scenario's intentions and constraints.

:func:`plan_schedule` is computed once per scenario, before any trial. The scenario types
no date of the campaign but the ERO's launch day; it states the launch seasons, the
launchers, the constraints of ``[schedule]`` and the spacecraft, and the dates follow by
these rules (docs/models.md, "The campaign schedule"):

1. **The SRL's launch period.** Among the ballistic transfers of the ``srl_launch`` window
   whose C3 the launcher can give the SRL's launch mass, whose ``|DLA|`` is within the
   limit and whose arrival Ls, over the day before the arrival at Mars' centre (the
   entry comes hours before it), is outside ``schedule.srl_arrival_excluded_ls_deg`` and
   outside solar conjunction (``surface.conjunction_elongation_deg``), the run
   of ``launch_period_days`` days whose latest arrival is earliest
   (:func:`msrsim.segments.windows.earliest_arrival_period`): every launch day leaves the
   most time on the surface. Each day flies its least-C3 transfer arriving by that date.
2. **The ERO's Mars arrival.** Launched on ``ero.launch_utc``, the ERO arrives on the
   earliest day of ``ero_launch``'s arrival span, outside solar conjunction, whose
   optimised electric cruise reaches Mars and leaves the propellant the rest of its
   mission needs
   (:func:`msrsim.segments.cruise.earliest_arrival`: located on a coarse transcription of
   :data:`SEARCH_SEGMENTS_PER_YEAR` segments a year, then searched again near there at
   the scenario's ``ero.cruise_segments_per_year``). What the rest needs is what the
   later phases, flown once for a reference arrival, burn per kilogram in the capture
   orbit; the flown mission's own budget is the check, and the search is run again with
   its figures if the budget does not close. Then the insertion and the spiral down to
   the search orbit.
3. **The ERO's earliest departure** from its search orbit: the MAV must be allowed
   ``schedule.min_surface_sols`` after the SRL's latest landing and
   ``schedule.ero_search_orbit_lead_days`` after the ERO reaches its search orbit (it may
   not launch earlier: ``mav_launch_earliest_et``), on the first day after both inside
   the MAV's launch season (``surface.mav_launch_ls_deg``, Mars24 Ls); then
   ``schedule.capture_and_containment_days`` for the capture.
4. **The return.** The Earth arrival date of the least-C3 ballistic Mars-Earth transfer
   (types I and II, entry speed within ``ero.return_entry_speed_max_km_s``) of the first
   opportunity (:func:`msrsim.segments.windows.opportunity`) that the ERO's electric return
   cruise reaches, escaping as soon as it may (the spiral up flown from the earliest
   departure) or, where the cruise would last longer than
   ``schedule.max_return_cruise_days``, that long before the arrival (to within the error
   of the spiral up's duration as estimated before it is flown, per kilogram from the
   reference flight: a few days). The cruise is flown with the entry speed bounded.
5. **The departure and the MAV's deadline, backwards.** The ERO leaves its search orbit
   the spiral up's duration before that escape, and the MAV must launch by the departure
   less the capture allowance, brought back to the last sol of its launch season before
   that (``mav_launch_deadline_et``): the surface time is the least one when the return
   can be made at once, more when the ERO must wait for it.
6. **The delayed return**: the next opportunity's, flown the same way from an escape as
   much later as its arrival is (the spiral up and the cruise's length kept); none (an
   arrival at infinity) when no later opportunity is reached.

Why the departure is not set by a ballistic return window: the electric ERO leaves Mars at
escape with no excess speed, and from the least-C3 ballistic departure of a window its
cruise does not reach Earth by that window's arrival (the thrust cannot supply the ~2.4
km/s in the ~7 months); it must leave early and fly a long low-thrust arc to the window's
arrival (ESA's "a further two years ... back to Earth"). So the earliest departure follows
from when the capture can be done, and the deadline from the departure that the return
needs.

Each date keeps its provenance (``Schedule.provenance``): ``computed: ...`` with the rule
and the figures that set it.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np

from msrsim.campaign.earth_entry import ReturnArrival, ballistic_return
from msrsim.core.bodies import DAY_S
from msrsim.core.geometry import solar_elongation
from msrsim.core.lowthrust import ElectricPropulsion, SimsFlanaganResult
from msrsim.core.time import SOL_S, et_to_utc_iso, solar_longitude_deg, utc_to_et
from msrsim.scenario import LaunchWindow, Scenario, TransferWindow
from msrsim.segments.cruise import (
    Cruise,
    departure_v_infinity_limit,
    earliest_arrival,
    entry_v_infinity_limit,
    fly_cruise,
    mars_capture,
    reaches,
)
from msrsim.segments.ero import (
    EroMission,
    EroPlan,
    MarsArrival,
    fly_ero_mission,
    fly_insertion,
    fly_outbound,
    fly_spiral_down,
    fly_spiral_up,
)
from msrsim.segments.ero_chemical import ChemicalEroMission
from msrsim.segments.surface import ls_window_spans_et
from msrsim.segments.windows import (
    LaunchPeriod,
    LaunchVehicle,
    OpportunityError,
    Transfer,
    daily_grid,
    earliest_arrival_period,
    least_c3_transfer,
    opportunity,
    porkchop,
)

__all__ = [
    "SEARCH_SEGMENTS_PER_YEAR",
    "Schedule",
    "electric_propulsion",
    "launch_vehicle",
    "plan_schedule",
    "plan_srl_launch_period",
    "return_arrival",
    "srl_launch_period",
    "window_span_et",
]

SEARCH_SEGMENTS_PER_YEAR = 4.0
"""Sims-Flanagan segments a year of flight in the searches (a season each): the optimum's
mass is within ~0.2 % of the scenario's monthly transcription (4,732 against 4,738 kg in
the capture orbit for the baseline's former 2029-11-15 arrival) at a fifth of the cost."""
ARRIVAL_SEARCH_STEP_DAYS = 30.0
"""The ERO's arrival search tries a date every this many days before bisecting to a day:
short enough not to step over the span where both propellants close (the bipropellant
closes from some date on, as the arrival speed falls; the xenon until some date, as the
heavier orbiter needs more for its spirals and return)."""
MARS_EARTH_MAX_REVS = 0
"""Heliocentric revolutions of the Mars-Earth opportunities' porkchops (types I, II)."""
RETURN_OPPORTUNITIES_TRIED = 4
"""Mars-Earth opportunities tried, in order, for a return before the plan is refused."""
BUDGET_PASSES = 3
"""Searches for the ERO's arrival at the scenario's resolution, each with the later
phases' needs the previous flown mission showed, before the plan is refused."""
FINE_BRACKET_DAYS = 20.0
"""The search at the scenario's resolution starts this long before the coarse answer."""
FINE_STEP_DAYS = 10.0
"""... and tries a date every this many days before bisecting to a day."""
MIN_RETURN_CRUISE_DAYS = 60.0
"""The return cruise must last at least this long (``fly_ero_mission``'s own limit)."""


# --------------------------------------------------------------------------------------
# The scenario in SI, as the planner reads it
# --------------------------------------------------------------------------------------


def window_span_et(window: TransferWindow, which: str) -> tuple[float, float]:
    """A window's ``"departure"`` or ``"arrival"`` span as ``et``."""
    lo, hi = utc_to_et(
        [getattr(window, f"{which}_earliest_utc"), getattr(window, f"{which}_latest_utc")]
    )
    return float(lo), float(hi)


def launch_vehicle(window: LaunchWindow) -> LaunchVehicle:
    """A launch window's vehicle curve in SI."""
    v = window.vehicle
    return LaunchVehicle(v.name, np.asarray(v.c3_km2_s2) * 1e6, np.asarray(v.delivered_mass_kg))


def electric_propulsion(scenario: Scenario) -> ElectricPropulsion:
    """The ERO's solar-electric system from ``[ero]`` and ``[ero.electric_propulsion]``."""
    return _electric_propulsion(scenario.ero)


def _electric_propulsion(ero) -> ElectricPropulsion:
    ep = ero.electric_propulsion
    return ElectricPropulsion.from_arrays(
        ero.solar_array_area_m2,
        ep.solar_cell_efficiency,
        ep.array_packing_factor,
        isp_s=ep.specific_impulse_s,
        efficiency=ep.total_efficiency,
        max_input_power_w=ep.max_input_power_kw * 1e3,
        power_margin=ep.power_margin,
        duty_cycle=ep.duty_cycle,
    )


def return_arrival(mission: EroMission | ChemicalEroMission) -> ReturnArrival:
    """The ERO's arrival at Earth at the end of its return cruise (electric, or the
    chemical ERO's ballistic arc)."""
    if isinstance(mission, ChemicalEroMission):
        return ballistic_return(mission.plan.inbound, MARS_EARTH_MAX_REVS)
    back = mission.inbound.transfer
    return ReturnArrival(
        back.arrival_et, np.asarray(back.arrival_v_infinity_m_s), "ERO electric return cruise"
    )


@dataclass(frozen=True)
class _Inputs:
    """Every scenario value the planner reads, and nothing else: two scenarios with the
    same inputs have the same schedule (:data:`msrsim.campaign.legcache.LEG_INPUTS`
    declares them as the schedule's reads, the key of its cache entry; a test records
    what the planner reads and holds the two equal)."""

    srl_launch: LaunchWindow
    srl_launch_mass_kg: float
    ero_launch: LaunchWindow
    ero: object  # the scenario's EarthReturnOrbiter section
    mav_target_orbit_altitude_km: float
    mav_target_orbit_inclination_deg: float
    search_orbit_altitude_offset_km: float
    os_mass_kg: float
    ees_entry_interface_altitude_km: float
    ero_extension_days: float
    conjunction_elongation_deg: float
    mav_launch_ls_deg: tuple[float, float]
    rules: object  # the scenario's ScheduleRules section

    @classmethod
    def of(cls, scenario: Scenario) -> _Inputs:
        return cls(
            srl_launch=scenario.srl_launch,
            srl_launch_mass_kg=scenario.srl.launch_mass_kg,
            ero_launch=scenario.ero_launch,
            ero=scenario.ero,
            mav_target_orbit_altitude_km=scenario.mav.target_orbit_altitude_km,
            mav_target_orbit_inclination_deg=scenario.mav.target_orbit_inclination_deg,
            search_orbit_altitude_offset_km=scenario.rendezvous.search_orbit_altitude_offset_km,
            os_mass_kg=scenario.rendezvous.os_mass_kg,
            ees_entry_interface_altitude_km=scenario.ees.entry_interface_altitude_km,
            ero_extension_days=scenario.reliability.ero_extension_days,
            conjunction_elongation_deg=scenario.surface.conjunction_elongation_deg,
            mav_launch_ls_deg=tuple(scenario.surface.mav_launch_ls_deg),
            rules=scenario.schedule,
        )

    def ero_template(self) -> EroPlan:
        """The ERO's plan with every date but the launch still to be planned (set to the
        launch epoch until the planner fills them in)."""
        ero = self.ero
        launch = float(utc_to_et(ero.launch_utc)[0])
        return EroPlan(
            launch_mass_kg=ero.launch_mass_kg,
            launch_v_infinity_max_m_s=departure_v_infinity_limit(
                launch_vehicle(self.ero_launch), ero.launch_mass_kg
            ),
            propulsion=_electric_propulsion(ero),
            launch_et=launch,
            mars_arrival_et=launch,
            mars_departure_et=launch,
            earth_arrival_et=launch,
            segments_per_year=ero.cruise_segments_per_year,
            arrival_v_infinity_max_m_s=ero.arrival_v_infinity_max_km_s * 1e3,
            return_v_infinity_max_m_s=entry_v_infinity_limit(
                ero.return_entry_speed_max_km_s * 1e3, self.ees_entry_interface_altitude_km * 1e3
            ),
            insertion_thrust_n=ero.insertion_thrust_n,
            insertion_isp_s=ero.insertion_specific_impulse_s,
            capture_periapsis_altitude_m=ero.capture_periapsis_altitude_km * 1e3,
            capture_apoapsis_altitude_m=ero.capture_apoapsis_altitude_km * 1e3,
            inclination_rad=math.radians(self.mav_target_orbit_inclination_deg),
            raan_rad=math.radians(ero.orbit_raan_deg),
            rendezvous_altitude_m=1e3
            * (self.mav_target_orbit_altitude_km + self.search_orbit_altitude_offset_km),
            coast_effectivity=ero.spiral_coast_effectivity,
            xenon_load_kg=ero.xenon_load_kg,
            bipropellant_load_kg=ero.bipropellant_load_kg,
            reserve_fraction=ero.propellant_reserve_fraction,
            captured_mass_kg=self.os_mass_kg,
        )


# --------------------------------------------------------------------------------------
# The schedule
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """The planned frame of the campaign (epochs ``et``, s past J2000 TDB)."""

    srl_launch_period: LaunchPeriod
    """The SRL's launch period: one transfer per day (departure, arrival, type, C3)."""
    ero: EroMission | ChemicalEroMission
    """The ERO's mission, flown (electric or chemical, ``ero.cruise_propulsion``): its
    search orbit from ``ero.in_orbit_et`` on, its planned departure
    ``ero.plan.mars_departure_et``, its return cruise."""
    mav_launch_deadline_et: float
    """The last epoch the MAV may launch for the planned return."""
    nominal_return: ReturnArrival
    """Earth arrival of the planned return cruise."""
    delayed_return: ReturnArrival
    """Earth arrival when the ERO waits for the next return opportunity."""
    ero_extension_s: float
    """How long past its planned departure the ERO can stay at Mars."""
    provenance: dict[str, str] = field(default_factory=dict)
    mav_launch_earliest_et: float = -math.inf
    """The first epoch the MAV may launch: the ERO is then waiting in its search orbit."""
    delayed_departure_et: float = math.nan
    """When the ERO leaves its search orbit for the delayed return."""
    delayed_return_closes: bool = True
    """Whether the ERO's xenon covers the delayed return cruise with its reserve."""
    ero_arrival_refused_et: float = math.nan
    """The arrival the ERO's search refused a day before the planned one (NaN when the
    planned one opens the span searched)."""
    planning_s: dict[str, float] = field(default_factory=dict)
    """Wall time of each planning step (s), and ``total``."""
    ero_launch_period: LaunchPeriod | None = None
    """The chemical ERO's launch period (computed from ``ero_launch``'s porkchop); ``None``
    for the electric ERO, launched on ``ero.launch_utc``."""

    @property
    def ero_in_search_orbit_et(self) -> float:
        return float(self.ero.in_orbit_et)

    @property
    def ero_mars_departure_et(self) -> float:
        return float(self.ero.plan.mars_departure_et)

    @property
    def ero_mars_arrival_et(self) -> float:
        return float(self.ero.plan.mars_arrival_et)

    @property
    def srl_first_landing_et(self) -> float:
        """The SRL's arrival for a launch on the period's first day."""
        return float(self.srl_launch_period.daily_arrival_et[0])

    @property
    def srl_latest_landing_et(self) -> float:
        """The latest arrival over the launch period (the surface time is counted from it)."""
        return float(np.max(self.srl_launch_period.daily_arrival_et))

    @property
    def delay_s(self) -> float:
        """Earth arrival of the delayed return less that of the planned one."""
        return self.delayed_return.arrival_et - self.nominal_return.arrival_et

    @property
    def can_wait(self) -> bool:
        """Whether the ERO can stay for the next opportunity at all: long enough at Mars
        and with the xenon for that return."""
        return self.delayed_return_closes and self.ero_extension_s >= self.delay_s

    def dates(self) -> dict[str, float]:
        """The planned dates by name, in the order of the campaign (``et``)."""
        return {
            "ero_launch": self.ero.plan.launch_et,
            "srl_launch_period_opens": self.srl_launch_period.open_et,
            "srl_launch_period_closes": self.srl_launch_period.close_et,
            "ero_mars_arrival": self.ero_mars_arrival_et,
            "srl_first_landing": self.srl_first_landing_et,
            "srl_latest_landing": self.srl_latest_landing_et,
            "ero_in_search_orbit": self.ero_in_search_orbit_et,
            "mav_launch_earliest": self.mav_launch_earliest_et,
            "mav_launch_deadline": self.mav_launch_deadline_et,
            "ero_mars_departure": self.ero_mars_departure_et,
            "ero_escape": float(self.ero.escape_et),
            "earth_arrival": self.nominal_return.arrival_et,
            "delayed_ero_mars_departure": self.delayed_departure_et,
            "delayed_earth_arrival": self.delayed_return.arrival_et,
        }

    def inconsistencies(self) -> list[str]:
        """Each planned event that does not come after the one it depends on, one line
        each (empty for a consistent schedule)."""
        d = self.dates()
        order = (
            ("ero_launch", "ero_mars_arrival"),
            ("ero_mars_arrival", "ero_in_search_orbit"),
            ("ero_in_search_orbit", "mav_launch_earliest"),
            ("srl_launch_period_opens", "srl_launch_period_closes"),
            ("srl_launch_period_closes", "srl_first_landing"),
            ("srl_first_landing", "srl_latest_landing"),
            ("srl_latest_landing", "mav_launch_deadline"),
            ("mav_launch_earliest", "mav_launch_deadline"),
            ("mav_launch_deadline", "ero_mars_departure"),
            ("ero_mars_departure", "ero_escape"),
            ("ero_escape", "earth_arrival"),
            ("earth_arrival", "delayed_earth_arrival"),
            ("ero_mars_departure", "delayed_ero_mars_departure"),
        )
        return [
            f"{later} ({_when(d[later])}) is before {first} ({_when(d[first])})"
            for first, later in order
            if not d[later] >= d[first]
        ]


def _when(et: float) -> str:
    return _day(et) if math.isfinite(et) else str(et)


_MEMO: dict[str, Schedule] = {}
_MEMO_SIZE = 8


def plan_schedule(scenario: Scenario, progress=None, *, use_cache: bool = True) -> Schedule:
    """The campaign's schedule for ``scenario`` (the rules: the module docstring).

    Kept per planning input, in memory and on disk (the cache entry ``"schedule"`` of
    :mod:`msrsim.campaign.legcache`, keyed on the values :class:`_Inputs` holds and the
    code): scenarios that differ only in what the planner does not read (trial counts,
    the surface model, ...) share one. ``use_cache=False`` plans anew (and stores the
    result). ``progress(done, total)`` is called as each step ends.

    Raises
    ------
    ValueError
        One line naming the constraint that cannot be met and by how much, or the first
        planned event that would come before the one it depends on.
    """
    from msrsim.campaign.legcache import cached_leg, leg_keys

    key = leg_keys(scenario, "schedule")["schedule"]
    if use_cache and key in _MEMO:
        return _MEMO[key]

    def plan() -> Schedule:
        return _plan(_Inputs.of(scenario), progress or (lambda _done, _total: None))

    schedule = cached_leg(
        "schedule", key, plan, lambda v: isinstance(v, Schedule), refresh=not use_cache
    )
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = schedule
    return schedule


def plan_srl_launch_period(scenario: Scenario) -> LaunchPeriod:
    """Rule 1 alone: the SRL's launch period of :func:`plan_schedule` (seconds, not the
    whole schedule), for the commands that fly the SRL's legs by themselves.

    Raises
    ------
    ValueError
        One line naming the constraint that cannot be met.
    """
    return srl_launch_period(scenario)[0]


def srl_launch_period(scenario: Scenario) -> tuple[LaunchPeriod, str]:
    """Rule 1 alone, and its provenance: the schedule's ``srl_launch_period`` and
    ``provenance["srl_launch_period"]``, from the only values rule 1 reads (``srl_launch``,
    ``srl.launch_mass_kg``, ``schedule.srl_arrival_excluded_ls_deg``,
    ``surface.conjunction_elongation_deg``): the cache entry ``"launch_period"`` of
    :mod:`msrsim.campaign.legcache`, which the SRL's legs take instead of the whole schedule.

    Raises
    ------
    ValueError
        One line naming the constraint that cannot be met.
    """
    return _srl_launch_period(
        scenario.srl_launch,
        scenario.srl.launch_mass_kg,
        scenario.schedule.srl_arrival_excluded_ls_deg,
        scenario.surface.conjunction_elongation_deg,
    )


def _day(et: float) -> str:
    return et_to_utc_iso(et)[0][:10]


def _plan(inputs: _Inputs, progress) -> Schedule:
    if inputs.ero.cruise_propulsion == "chemical":
        from msrsim.campaign.ero_chemical import plan_chemical_schedule

        return plan_chemical_schedule(inputs, progress)
    clock = _Clock()
    rules = inputs.rules
    period, srl_note = _srl_launch_period_of(inputs)
    landing = float(np.max(period.daily_arrival_et))
    clock.lap("srl_launch_period")
    progress(1, 5)

    template = inputs.ero_template()
    ero = _EroPlanner(inputs, template, landing)
    search, downstream = ero.search_arrival()
    clock.lap("ero_arrival_search")
    progress(2, 5)
    mission, notes, search = ero.fly(search, downstream)
    clock.lap("ero_mission")
    progress(3, 5)
    nominal = return_arrival(mission)
    delayed, delayed_departure, delayed_closes, delayed_note = ero.delayed_return(mission)
    clock.lap("delayed_return")
    progress(4, 5)

    earliest, deadline, deadline_note = _mav_window(
        rules, inputs.mav_launch_ls_deg, landing, mission
    )
    provenance = {
        "srl_launch_period": srl_note,
        "ero_mars_arrival": notes["arrival"],
        "ero_in_search_orbit": "computed: Mars orbit insertion and the Q-law spiral down "
        "to the search orbit (ERO leg)",
        "mav_launch_earliest": "computed: the ERO in its search orbit plus "
        f"schedule.ero_search_orbit_lead_days = {rules.ero_search_orbit_lead_days:g}",
        "mav_launch_deadline": deadline_note,
        "ero_mars_departure": notes["departure"],
        "earth_arrival": notes["return"],
        "delayed_return": delayed_note,
    }
    progress(5, 5)
    schedule = Schedule(
        srl_launch_period=period,
        ero=mission,
        mav_launch_deadline_et=deadline,
        nominal_return=nominal,
        delayed_return=delayed,
        ero_extension_s=inputs.ero_extension_days * DAY_S,
        provenance=provenance,
        mav_launch_earliest_et=earliest,
        delayed_departure_et=delayed_departure,
        delayed_return_closes=delayed_closes,
        ero_arrival_refused_et=math.nan if search.refused_et is None else search.refused_et,
        planning_s=clock.laps(),
    )
    problems = schedule.inconsistencies()
    if problems:  # a timeline out of order is never flown, nor printed as planned
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValueError(f"schedule: the planned dates are out of order: {problems[0]}{more}")
    return schedule


class _Clock:
    def __init__(self):
        self._start = self._last = time.perf_counter()
        self._laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self._laps[name] = round(now - self._last, 2)
        self._last = now

    def laps(self) -> dict[str, float]:
        return self._laps | {"total": round(self._last - self._start, 2)}


# --------------------------------------------------------------------------------------
# Rule 1: the SRL's launch period
# --------------------------------------------------------------------------------------


def _srl_launch_period_of(inputs: _Inputs) -> tuple[LaunchPeriod, str]:
    return _srl_launch_period(
        inputs.srl_launch,
        inputs.srl_launch_mass_kg,
        inputs.rules.srl_arrival_excluded_ls_deg,
        inputs.conjunction_elongation_deg,
    )


def _srl_launch_period(
    window: LaunchWindow, mass: float, excluded, conjunction_deg: float
) -> tuple[LaunchPeriod, str]:
    vehicle = launch_vehicle(window)
    v_inf = departure_v_infinity_limit(vehicle, mass)
    chop = porkchop(
        "earth",
        "mars",
        daily_grid(*window_span_et(window, "departure")),
        daily_grid(*window_span_et(window, "arrival")),
        max_revs=window.max_revs,
    )
    # the entry comes hours before the arrival at Mars' centre: the whole day before it
    # must be outside the excluded season too
    outside = np.ones(chop.arrival_et.shape, dtype=bool)
    for et in (chop.arrival_et, chop.arrival_et - DAY_S):
        ls = solar_longitude_deg(et)
        outside &= ~((ls >= excluded[0]) & (ls < excluded[1]))
    visible = _outside_conjunction(chop.arrival_et, conjunction_deg)
    found = earliest_arrival_period(
        chop,
        window.launch_period_days,
        arrival_allowed=outside & visible,
        dla_limit_rad=math.radians(window.dla_limit_deg),
        max_c3_m2_s2=v_inf**2,
        vehicle=vehicle,
        spacecraft_mass_kg=mass,
    )
    constraints = (
        f"C3 <= {v_inf**2 / 1e6:.1f} km2/s2 (the launcher for {mass:g} kg), "
        f"|DLA| <= {window.dla_limit_deg:g} deg, arrival Ls outside "
        f"[{excluded[0]:g}, {excluded[1]:g}) and outside solar conjunction (Sun-Earth-Mars "
        f">= {conjunction_deg:g} deg)"
    )
    if found.period is None:
        raise ValueError(
            f"srl_launch: no {window.launch_period_days}-day launch period departing "
            f"{window.departure_earliest_utc.date()} to {window.departure_latest_utc.date()} "
            f"and arriving {window.arrival_earliest_utc.date()} to "
            f"{window.arrival_latest_utc.date()} meets {constraints}: the longest run of "
            f"feasible days is {found.longest_run_days}, "
            f"{window.launch_period_days - found.longest_run_days} short"
        )
    period = found.period
    return period, (
        f"computed: the {period.days}-day SRL launch period whose latest arrival "
        f"({_day(found.latest_arrival_et)}) is earliest, among ballistic transfers with "
        f"{constraints}"
    )


def _outside_conjunction(et, min_elongation_deg: float) -> np.ndarray:
    """Whether Mars is seen more than ``min_elongation_deg`` from the Sun (DE421): a
    critical event at Mars (an entry, an insertion) needs commanding and tracking."""
    return np.degrees(solar_elongation("mars", np.atleast_1d(et))) >= min_elongation_deg


MARS_YEAR_S = 686.98 * DAY_S
"""A Mars year (sidereal, 686.98 days): the span searched for the next launch season."""


def _launch_seasons(season_ls_deg, start_et: float, end_et: float) -> np.ndarray:
    """The MAV's launch seasons (Ls in ``surface.mav_launch_ls_deg``) that meet
    ``[start_et, end_et]``, as epoch spans ``[enter, exit)`` (k, 2)."""
    return ls_window_spans_et(tuple(season_ls_deg), start_et, end_et)


def _in_season_from(et: float, season_ls_deg) -> float:
    """The first epoch at or after ``et`` inside a MAV launch season."""
    spans = _launch_seasons(season_ls_deg, et, et + MARS_YEAR_S)
    inside = spans[(spans[:, 0] <= et) & (et < spans[:, 1])]
    if inside.size:
        return et
    later = spans[spans[:, 0] > et]
    return float(later[0, 0]) if later.size else math.inf


def _in_season_by(et: float, season_ls_deg) -> float:
    """The last launch sol that ends by ``et`` inside a MAV launch season (``et`` itself
    when it lies inside one): the surface model launches on whole sols in season."""
    spans = _launch_seasons(season_ls_deg, et - MARS_YEAR_S, et)
    inside = spans[(spans[:, 0] <= et) & (et < spans[:, 1])]
    if inside.size:
        return et
    earlier = spans[spans[:, 1] <= et]
    return float(earlier[-1, 1]) - SOL_S if earlier.size else -math.inf


def _earliest_departure(rules, season_ls_deg, landing_et: float, ero_ready_et: float) -> float:
    """Rules 3 and 4: the earliest the ERO may leave its search orbit: the MAV must be
    allowed ``schedule.min_surface_sols`` after the SRL's latest landing, and
    ``schedule.ero_search_orbit_lead_days`` after the ERO is in its search orbit, and may
    launch only in its season (``surface.mav_launch_ls_deg``); then
    ``schedule.capture_and_containment_days`` for the capture."""
    mav = max(
        landing_et + rules.min_surface_sols * SOL_S,
        ero_ready_et + rules.ero_search_orbit_lead_days * DAY_S,
    )
    return _in_season_from(mav, season_ls_deg) + rules.capture_and_containment_days * DAY_S


def _mav_window(
    rules, season_ls_deg, landing_et: float, mission: EroMission
) -> tuple[float, float, str]:
    """Rule 5: the MAV's earliest launch (the ERO waiting in its search orbit) and its
    deadline (the ERO's planned departure less the capture allowance, brought back to the
    end of the MAV's last launch season before it), and how the deadline was set."""
    earliest = float(mission.in_orbit_et) + rules.ero_search_orbit_lead_days * DAY_S
    allowance = rules.capture_and_containment_days * DAY_S
    by_departure = mission.plan.mars_departure_et - allowance
    deadline = _in_season_by(by_departure, season_ls_deg)
    season = (
        ""
        if deadline == by_departure
        else f", brought back {(by_departure - deadline) / SOL_S:.0f} sols to the end of the "
        f"MAV's launch season (surface.mav_launch_ls_deg = {list(season_ls_deg)})"
    )
    surface_sols = (deadline - landing_et) / SOL_S
    least = landing_et + rules.min_surface_sols * SOL_S
    if deadline <= max(least, earliest) + 1.0:
        binds = (
            f"the SRL's latest landing plus schedule.min_surface_sols = {rules.min_surface_sols}"
            if least >= earliest
            else "the ERO in its search orbit plus schedule.ero_search_orbit_lead_days "
            f"= {rules.ero_search_orbit_lead_days:g} (the surface time is then "
            f"{surface_sols:.0f} sols)"
        )
        return earliest, deadline, f"computed: {binds}{season}"
    return (
        earliest,
        deadline,
        (
            "computed: the ERO's planned departure (set by the return opportunity) less "
            f"schedule.capture_and_containment_days = {rules.capture_and_containment_days:g}"
            f"{season}: {surface_sols:.0f} sols after the SRL's latest landing (at least "
            f"schedule.min_surface_sols = {rules.min_surface_sols})"
        ),
    )


# --------------------------------------------------------------------------------------
# Rules 2 to 6: the ERO's mission
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Downstream:
    """What the ERO's phases after the insertion need, per kilogram in the capture orbit:
    their xenon (spiral down, spiral up, return cruise), and the spiral up's length per
    kilogram it lifts (thrust-limited spirals take time in proportion to the mass)."""

    xenon_per_kg: float
    spiral_up_s_per_kg: float

    @classmethod
    def of(cls, captured_kg, down, up, inbound: SimsFlanaganResult) -> _Downstream:
        xenon = (
            down.initial_mass_kg - down.final_mass_kg
            + up.initial_mass_kg - up.final_mass_kg
            + inbound.propellant_kg
        )  # fmt: skip
        return cls(xenon / captured_kg, up.duration_s / up.initial_mass_kg)


@dataclass(frozen=True)
class _Return:
    """A return chosen: the opportunity's ballistic marker and the electric cruise."""

    marker: Transfer
    opportunity_year: int
    cruise: Cruise


class _EroPlanner:
    """Rules 2 to 6 on one scenario's ERO."""

    def __init__(self, inputs: _Inputs, template: EroPlan, srl_landing_et: float):
        self.inputs = inputs
        self.template = template
        self.rules = inputs.rules
        self.landing = srl_landing_et
        self.season = inputs.mav_launch_ls_deg
        self.span = window_span_et(inputs.ero_launch, "arrival")
        self.entry_speed_max = inputs.ero.return_entry_speed_max_km_s * 1e3
        self.interface_m = inputs.ees_entry_interface_altitude_km * 1e3
        self.conjunction_deg = inputs.conjunction_elongation_deg

    # -- the budget -------------------------------------------------------------------

    def _margins(self, transfer: SimsFlanaganResult, downstream: _Downstream):
        """Xenon and bipropellant left over their reserves (kg) if the ERO arrives on
        ``transfer`` and the later phases burn what ``downstream`` says, and the insertion."""
        plan = dataclasses.replace(self.template, mars_arrival_et=transfer.arrival_et)
        insertion = fly_insertion(plan, transfer)
        grow = 1.0 + plan.reserve_fraction
        xenon = transfer.propellant_kg + downstream.xenon_per_kg * insertion.mass_after_kg
        return (
            plan.xenon_load_kg - grow * xenon,
            plan.bipropellant_load_kg - grow * insertion.propellant_kg,
            insertion,
        )

    def _search(self, downstream: _Downstream | None, start_et: float, per_year: float,
                step_days: float):  # fmt: skip
        """Rule 2's search from ``start_et`` at ``per_year`` segments a year; the
        downstream figures are flown for the first arrival reached when none are given.
        Returns (search, downstream)."""
        state = {"downstream": downstream, "best": -math.inf}
        plan = self.template

        def accept(transfer: SimsFlanaganResult) -> bool:
            if not reaches(transfer):
                return False
            if not _outside_conjunction(transfer.arrival_et, self.conjunction_deg)[0]:
                return False
            if state["downstream"] is None:
                state["downstream"] = self._reference(transfer)
            xenon, biprop, _ = self._margins(transfer, state["downstream"])
            state["best"] = max(state["best"], min(xenon, biprop))
            return xenon >= 0.0 and biprop >= 0.0

        search = earliest_arrival(
            "earth",
            "mars",
            plan.launch_et,
            (start_et, self.span[1]),
            plan.launch_mass_kg,
            plan.propulsion,
            accept=accept,
            segments_per_year=per_year,
            step_days=step_days,
            departure_v_infinity_max_m_s=plan.launch_v_infinity_max_m_s,
            arrival_v_infinity_max_m_s=plan.arrival_v_infinity_max_m_s,
            capture=mars_capture(
                plan.capture_periapsis_altitude_m,
                plan.capture_apoapsis_altitude_m,
                plan.insertion_isp_s,
            ),
        )
        if search is None:
            shortfall = (
                "no cruise reaches Mars"
                if state["downstream"] is None
                else f"a propellant short by {-state['best']:.0f} kg at best"
            )
            raise ValueError(
                f"ero: no electric cruise launched {_day(plan.launch_et)} reaches Mars "
                f"between {_day(start_et)} and {_day(self.span[1])} (ero_launch's arrival "
                f"span) leaving the propellant its mission needs with its reserve: "
                f"{shortfall}"
            )
        return search, state["downstream"]

    def search_arrival(self):
        """Rule 2, located: the earliest accepted arrival on the coarse transcription, and
        the downstream figures it used."""
        return self._search(None, self.span[0], SEARCH_SEGMENTS_PER_YEAR, ARRIVAL_SEARCH_STEP_DAYS)

    def _fine_search(self, downstream: _Downstream, around_et: float):
        """Rule 2 at the scenario's resolution, near the coarse answer: from
        :data:`FINE_BRACKET_DAYS` before it (further back while that first date is
        already accepted), stepping :data:`FINE_STEP_DAYS`, then bisecting to a day."""
        start = around_et
        while True:
            start = max(self.span[0], start - FINE_BRACKET_DAYS * DAY_S)
            search, _ = self._search(
                downstream, start, self.template.segments_per_year, FINE_STEP_DAYS
            )
            if search.refused_et is not None or start <= self.span[0]:
                return search

    def _reference(self, transfer: SimsFlanaganResult) -> _Downstream:
        """The later phases flown once after an arrival on ``transfer``: what they need
        per kilogram in the capture orbit."""
        plan = dataclasses.replace(self.template, mars_arrival_et=transfer.arrival_et)
        insertion = fly_insertion(plan, transfer)
        down = fly_spiral_down(plan, insertion)
        departure = _earliest_departure(self.rules, self.season, self.landing, down.end_et)
        up = fly_spiral_up(plan, departure, down.final_mass_kg + plan.captured_mass_kg)
        back = self._choose_return(plan, up.end_et, up.final_mass_kg)
        return _Downstream.of(insertion.mass_after_kg, down, up, back.cruise.transfer)

    # -- the dates --------------------------------------------------------------------

    def _opportunities(self, after_et: float):
        """Mars-Earth opportunities whose least-C3 arrival (entry speed within the
        limit) comes after ``after_et``, in order: (year, ballistic transfer)."""
        first = int(_day(after_et)[:4]) - 1
        for year in range(first, first + 2 * RETURN_OPPORTUNITIES_TRIED + 2):
            try:
                opp = opportunity("mars", "earth", year)
            except OpportunityError:
                continue
            chop = porkchop(
                "mars",
                "earth",
                opp.departure_et,
                opp.arrival_et,
                entry_interface_altitude_m=self.interface_m,
            )
            marker = least_c3_transfer(chop, entry_speed_max_m_s=self.entry_speed_max)
            if marker is not None and marker.arrival_et > after_et:
                yield year, marker

    def _return_cruise(self, plan, escape_et, arrival_et, mass_kg) -> Cruise:
        """The electric return at the scenario's resolution (on a coarser one the
        optimiser fails to start from the ballistic arc for these long returns)."""
        years = (arrival_et - escape_et) / (365.25 * DAY_S)
        return fly_cruise(
            "mars",
            "earth",
            escape_et,
            arrival_et,
            mass_kg,
            plan.propulsion,
            arrival_v_infinity_max_m_s=plan.return_v_infinity_max_m_s,
            segments=max(4, round(years * plan.segments_per_year)),
        )

    def _choose_return(self, plan, escape_et, mass_kg) -> _Return:
        """Rule 5: the first opportunity whose least-C3 arrival the electric return
        reaches, escaping at ``escape_et`` or, where that would make the cruise longer than
        ``schedule.max_return_cruise_days``, that long before the arrival."""
        longest = self.rules.max_return_cruise_days * DAY_S
        tried = []
        for year, marker in self._opportunities(escape_et + MIN_RETURN_CRUISE_DAYS * DAY_S):
            escape = max(escape_et, marker.arrival_et - longest)
            cruise = self._return_cruise(plan, escape, marker.arrival_et, mass_kg)
            if reaches(cruise.transfer):
                return _Return(marker, year, cruise)
            tried.append(f"{year} (arriving {_day(marker.arrival_et)})")
            if len(tried) >= RETURN_OPPORTUNITIES_TRIED:
                break
        raise ValueError(
            f"ero: the electric return from Mars escape on or after {_day(escape_et)} reaches "
            f"none of the Mars-Earth opportunities tried ({', '.join(tried) or 'none in reach'})"
            f" in at most schedule.max_return_cruise_days = "
            f"{self.rules.max_return_cruise_days:g} with an entry speed within "
            f"ero.return_entry_speed_max_km_s = {self.entry_speed_max / 1e3:g}"
        )

    # -- the flown mission --------------------------------------------------------------

    def fly(self, search, downstream: _Downstream):
        """Rules 2 to 5 at the scenario's resolution: the arrival searched again near the
        coarse answer, the mission flown; while its budget does not close (the later
        phases needing more than the reference said), the search runs again from there
        with the flown mission's figures. Returns (mission, provenance notes, the search)."""
        solves = search.solves
        for _ in range(BUDGET_PASSES):
            search = self._fine_search(downstream, search.arrival_et)
            solves += search.solves
            plan = dataclasses.replace(self.template, mars_arrival_et=search.arrival_et)
            outbound = fly_outbound(plan, search.transfer)
            insertion = fly_insertion(plan, outbound.transfer)
            mission, chosen = self._fly_from(plan, outbound, insertion, downstream)
            if mission.feasible:
                return mission, self._notes(search, chosen, solves), search
            if all(b.closes for b in mission.budgets):
                cruise = "outbound" if not reaches(mission.outbound.transfer) else "return"
                raise ValueError(
                    f"ero: the {cruise} cruise of the planned mission "
                    f"({_day(plan.launch_et)} -> {_day(plan.mars_arrival_et)} -> "
                    f"{_day(mission.plan.earth_arrival_et)}) does not reach its target "
                    f"at {plan.segments_per_year} segments a year"
                )
            downstream = _Downstream.of(
                mission.insertion.mass_after_kg,
                mission.spiral_down,
                mission.spiral_up,
                mission.inbound.transfer,
            )
            search = dataclasses.replace(search, arrival_et=search.arrival_et + DAY_S)
        short = ", ".join(
            f"{b.propellant} by {-b.margin_kg:.0f} kg" for b in mission.budgets if not b.closes
        )
        raise ValueError(
            f"ero: the propellant budget does not close after {BUDGET_PASSES} searches for "
            f"the Mars arrival ({short} at {_day(plan.mars_arrival_et)})"
        )

    def _fly_from(self, plan, outbound, insertion, downstream):
        """Rules 2 to 5 after the outbound cruise: the spiral down, the departure, the
        return chosen, the mission flown."""
        down = fly_spiral_down(plan, insertion)
        lift = down.final_mass_kg + plan.captured_mass_kg
        spiral_s = downstream.spiral_up_s_per_kg * lift
        earliest = _earliest_departure(self.rules, self.season, self.landing, down.end_et)
        chosen = self._choose_return(plan, earliest + spiral_s, lift)
        departure = max(earliest, chosen.cruise.transfer.departure_et - spiral_s)
        plan = dataclasses.replace(
            plan, mars_departure_et=departure, earth_arrival_et=chosen.marker.arrival_et
        )
        mission = fly_ero_mission(
            plan,
            arrival=MarsArrival(outbound, insertion, down),
            inbound_guess=chosen.cruise.transfer,
        )
        return mission, chosen

    def _notes(self, search, chosen: _Return, solves: int) -> dict[str, str]:
        refused = (
            f"a day earlier ({_day(search.refused_et)}) refused"
            if search.refused_et is not None
            else "the arrival span's first day"
        )
        escape_rule = (
            "as soon as the MAV deadline's least surface time and the capture allowance allow"
            if chosen.cruise.transfer.arrival_et - chosen.cruise.transfer.departure_et
            < self.rules.max_return_cruise_days * DAY_S - DAY_S
            else "late enough that the return cruise lasts schedule.max_return_cruise_days "
            f"= {self.rules.max_return_cruise_days:g}"
        )
        return {
            "departure": (
                f"computed: the spiral up (flown) before the escape for the return, {escape_rule}"
            ),
            "arrival": (
                f"computed: the earliest arrival whose electric cruise from the "
                f"{_day(self.template.launch_et)} launch reaches Mars leaving the propellant "
                f"the mission needs ({refused}; {solves} cruise optimisations at "
                f"{SEARCH_SEGMENTS_PER_YEAR:g} segments a year)"
            ),
            "return": (
                f"computed: the arrival of the least-C3 ballistic Mars-Earth transfer of the "
                f"{chosen.opportunity_year} opportunity (departing "
                f"{_day(chosen.marker.departure_et)}, C3 {chosen.marker.c3_m2_s2 / 1e6:.1f} "
                f"km2/s2, entry {chosen.marker.entry_speed_m_s / 1e3:.2f} km/s), flown by the "
                "ERO's electric return cruise from its escape"
            ),
        }

    def delayed_return(self, mission: EroMission):
        """Rule 6: the next opportunity, flown from an escape as much later as its arrival
        is; the opportunities after it in turn if the cruise does not reach. Returns
        (arrival, departure from the search orbit, xenon closes, note); an arrival at
        infinity when none of :data:`RETURN_OPPORTUNITIES_TRIED` is reached (the ERO
        cannot wait for a later return)."""
        plan = mission.plan
        up = mission.spiral_up
        nominal = plan.earth_arrival_et
        xenon = next(b for b in mission.budgets if b.propellant == "xenon")
        tried = []
        for year, marker in self._opportunities(nominal):
            delay = marker.arrival_et - nominal
            cruise = self._return_cruise(
                plan, up.end_et + delay, marker.arrival_et, up.final_mass_kg
            )
            if reaches(cruise.transfer):
                extra = cruise.transfer.propellant_kg - mission.inbound.transfer.propellant_kg
                closes = xenon.margin_kg - (1.0 + plan.reserve_fraction) * extra >= 0.0
                arrival = ReturnArrival(
                    marker.arrival_et,
                    np.asarray(cruise.transfer.arrival_v_infinity_m_s),
                    "ERO electric return cruise, next opportunity",
                )
                note = (
                    f"computed: the {year} opportunity's least-C3 arrival, flown by the "
                    f"electric return cruise from an escape {delay / DAY_S:.0f} days after the "
                    f"planned one (xenon {'within' if closes else 'beyond'} the budget's margin)"
                )
                return arrival, plan.mars_departure_et + delay, closes, note
            tried.append(str(year))
            if len(tried) >= RETURN_OPPORTUNITIES_TRIED:
                break
        none = ReturnArrival(math.inf, np.full(3, np.nan), "no later return reached")
        note = (
            "computed: none: the electric return cruise reaches none of the later "
            f"opportunities tried ({', '.join(tried)}) with the planned cruise's length"
        )
        return none, math.inf, False, note
