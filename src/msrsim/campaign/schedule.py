"""The campaign's schedule: the dates every trial of the coupled campaign flies against.

:func:`plan_schedule` is computed once per scenario, before any trial: the SRL's launch
period (leg 1's porkchop and launch-period search), the ERO's whole mission flown from
its own plan (leg 2: cruise, insertion, spiral down to the search orbit, planned departure,
return cruise), the MAV's launch deadline, and the two Earth arrivals a trial can have:
the planned return, or the next Mars-Earth opportunity when the capture comes after the
planned departure and the ERO can wait. Each trial of
:mod:`msrsim.campaign.coupled` then flies its own dates inside this frame (its launch day,
its touchdown, its MAV launch, its capture) and says where it leaves it.

Each date keeps its provenance (``Schedule.provenance``): ``computed: ...`` for a date the
model found, ``scenario: ...`` for one still read from the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from msrsim.campaign.earth_entry import ReturnArrival
from msrsim.core.bodies import DAY_S
from msrsim.core.time import utc_to_et
from msrsim.scenario import Scenario
from msrsim.segments.ero import EroMission
from msrsim.segments.windows import LaunchPeriod

__all__ = ["Schedule", "plan_schedule"]


@dataclass(frozen=True)
class Schedule:
    """The planned frame of the campaign (epochs ``et``, s past J2000 TDB)."""

    srl_launch_period: LaunchPeriod
    """The SRL's launch period: one transfer per day (departure, arrival, type, C3)."""
    ero: EroMission
    """The ERO's mission, flown: its search orbit from ``ero.spiral_down.end_et`` on, its
    planned departure ``ero.plan.mars_departure_et``, its return cruise."""
    mav_launch_deadline_et: float
    """The last epoch the MAV may launch for the planned return."""
    nominal_return: ReturnArrival
    """Earth arrival of the planned return cruise."""
    delayed_return: ReturnArrival
    """Earth arrival when the ERO waits for the next return opportunity."""
    ero_extension_s: float
    """How long past its planned departure the ERO can stay at Mars."""
    provenance: dict[str, str] = field(default_factory=dict)

    @property
    def ero_in_search_orbit_et(self) -> float:
        return float(self.ero.spiral_down.end_et)

    @property
    def ero_mars_departure_et(self) -> float:
        return float(self.ero.plan.mars_departure_et)

    @property
    def ero_mars_arrival_et(self) -> float:
        return float(self.ero.plan.mars_arrival_et)

    @property
    def delay_s(self) -> float:
        """Earth arrival of the delayed return less that of the planned one."""
        return self.delayed_return.arrival_et - self.nominal_return.arrival_et

    @property
    def can_wait(self) -> bool:
        """Whether the ERO can stay for the next opportunity at all."""
        return self.ero_extension_s >= self.delay_s


def plan_schedule(scenario: Scenario, progress=None) -> Schedule:
    """The campaign's schedule for ``scenario`` (see the module docstring)."""
    from msrsim.campaign.ero import ero_plan, return_arrival
    from msrsim.campaign.launch import search_launch
    from msrsim.segments.ero import fly_ero_mission

    period = search_launch(scenario.srl_launch, scenario.srl.launch_mass_kg).launch_period
    if period is None:
        w = scenario.srl_launch
        raise ValueError(
            f"srl_launch: no launch period of {w.launch_period_days} days fits the window "
            f"{w.departure_earliest_utc.date()} to {w.departure_latest_utc.date()} within the "
            f"DLA limit of {w.dla_limit_deg} deg and the launcher's C3"
        )
    mission = fly_ero_mission(ero_plan(scenario), progress=progress)
    nominal = return_arrival(mission)
    r = scenario.reliability
    delayed = ReturnArrival(
        nominal.arrival_et + r.next_return_opportunity_days * DAY_S,
        np.asarray(nominal.v_infinity_m_s),
        "the next return opportunity, one synodic period after the planned return",
    )
    return Schedule(
        srl_launch_period=period,
        ero=mission,
        mav_launch_deadline_et=float(utc_to_et(scenario.surface.mav_launch_deadline_utc)[0]),
        nominal_return=nominal,
        delayed_return=delayed,
        ero_extension_s=r.ero_extension_days * DAY_S,
        provenance={
            "srl_launch_period": "computed: launch windows leg (porkchop, DLA, launcher C3)",
            "ero_mars_arrival": "scenario: ero.mars_arrival_utc",
            "ero_in_search_orbit": "computed: ERO leg (insertion and Q-law spiral down)",
            "ero_mars_departure": "scenario: ero.mars_departure_utc",
            "earth_arrival": "computed: ERO leg (electric return cruise to ero.earth_arrival_utc)",
            "mav_launch_deadline": "scenario: surface.mav_launch_deadline_utc",
            "delayed_return": "scenario: reliability.next_return_opportunity_days",
        },
    )
