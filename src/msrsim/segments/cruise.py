"""The Earth Return Orbiter's electric cruises: Earth to Mars and Mars to Earth.

Each cruise is a Sims-Flanagan low-thrust transfer (:mod:`msrsim.core.lowthrust`) between
the planets' centres (DE421, heliocentric, ICRF axes) for fixed dates, solved for the
greatest final mass, next to the ballistic (Lambert) transfer of the same dates from
:func:`msrsim.segments.windows.porkchop` for reference.

* **Outbound** (launch 2027, Mars 2029): the launcher gives a departure ``v_inf`` up to
  what it can deliver for the orbiter's mass (:func:`departure_v_infinity_limit` inverts
  the launcher's C3 curve); the arrival ``v_inf`` is free up to a bound and is paid for by
  the chemical Mars orbit insertion, which the objective charges (an impulsive capture at
  the periapsis of the arrival hyperbola: the mass *after* insertion is maximised, so the
  optimiser trades electric propellant against the Oberth-discounted chemical burn).
* **Inbound** (Mars 2031-32, Earth 2033): departure from Mars with ``v_inf = 0`` (the
  spiral out, :mod:`msrsim.segments.spiral`, ends at escape energy), Earth arrival ``v_inf``
  free up to a bound set by the entry speed the capsule tolerates.

The ERO's own figures are inputs (the scenario's ``[ero.electric_propulsion]`` through
:func:`msrsim.campaign.ero.electric_propulsion`); the segment never reads the scenario.

Simplified, and stated: patched conics at the planets' centres (the spirals and the
insertion account for the planets' gravity wells), no planetary gravity during the
cruise, thrust at the mean level of a duty cycle, the solar-array output falling as
``1 / r^2`` with no temperature or degradation model, fixed dates (no date optimisation).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from msrsim.core.bodies import DAY_S, EARTH, MARS, SUN
from msrsim.core.ephemeris import get_ephemeris
from msrsim.core.lowthrust import (
    ElectricPropulsion,
    ImpulsiveCapture,
    PropagationCheck,
    SimsFlanaganResult,
    check_propagation,
    solve_sims_flanagan,
)
from msrsim.segments.windows import LaunchVehicle, Transfer, porkchop, transfer_at

__all__ = [
    "ArrivalSearch",
    "Cruise",
    "ballistic_reference",
    "departure_v_infinity_limit",
    "earliest_arrival",
    "entry_v_infinity_limit",
    "fly_cruise",
    "mars_capture",
    "reaches",
]


@dataclass(frozen=True)
class Cruise:
    """A low-thrust cruise, its checks and the ballistic transfer of the same dates."""

    departure_body: str
    arrival_body: str
    transfer: SimsFlanaganResult
    impulsive_check: PropagationCheck
    continuous_check: PropagationCheck
    ballistic: Transfer
    solve_s: float


def departure_v_infinity_limit(vehicle: LaunchVehicle, mass_kg: float) -> float:
    """Largest departure ``v_inf`` (m/s) at which ``vehicle`` still delivers ``mass_kg``.

    The delivered mass falls with C3: the limit is the C3 where the curve (linear between
    its points) crosses ``mass_kg``; 0 when the vehicle cannot lift the mass at its
    lowest C3; ValueError when it can lift it beyond the curve's last point.
    """
    c3, mass = np.asarray(vehicle.c3_m2_s2, float), np.asarray(vehicle.mass_kg, float)
    if mass_kg > mass[0]:
        return 0.0
    if mass_kg < mass[-1]:
        raise ValueError(
            f"{vehicle.name} lifts {mass_kg} kg beyond its curve's last C3 "
            f"({c3[-1] / 1e6:.1f} km2/s2): extend the curve"
        )
    limit = float(np.interp(-mass_kg, -mass, c3))  # mass decreases along the curve
    return math.sqrt(max(limit, 0.0))


def ballistic_reference(
    departure_body: str,
    arrival_body: str,
    departure_et: float,
    arrival_et: float,
    max_revs: int = 2,
) -> Transfer:
    """The Lambert transfer of the same dates needing the least ``|v_inf|`` at both ends."""
    chop = porkchop(departure_body, arrival_body, [departure_et], [arrival_et], max_revs=max_revs)
    total = np.sqrt(chop.c3_m2_s2[0, 0]) + chop.v_inf_arrival_m_s[0, 0]
    return transfer_at(chop, 0, 0, int(np.nanargmin(total)))


def fly_cruise(
    departure_body: str,
    arrival_body: str,
    departure_et: float,
    arrival_et: float,
    initial_mass_kg: float,
    propulsion: ElectricPropulsion,
    *,
    departure_v_infinity_max_m_s: float = 0.0,
    arrival_v_infinity_max_m_s: float | None = None,
    capture: ImpulsiveCapture | None = None,
    segments: int = 30,
    initial_guess: SimsFlanaganResult | None = None,
) -> Cruise:
    """Optimise one cruise (greatest final mass, after ``capture`` if given) and check it.

    Parameters
    ----------
    departure_body, arrival_body : str
        ``"earth"`` or ``"mars"``.
    departure_et, arrival_et : float
        Fixed dates (s past J2000 TDB).
    initial_mass_kg : float
        Mass at departure (after launch, or after the spiral out of Mars).
    departure_v_infinity_max_m_s : float
        The launcher's excess speed (:func:`departure_v_infinity_limit`); 0 leaves on the
        planet's orbit (after an escape spiral).
    arrival_v_infinity_max_m_s : float or None
        Bound on the arrival excess speed; ``None`` leaves it free, 0 is a rendezvous.
    capture : ImpulsiveCapture, optional
        Chemical insertion at arrival charged to the objective.
    segments : int
        Sims-Flanagan segments (30 over two years: 24-day segments).
    initial_guess : SimsFlanaganResult, optional
        A neighbouring solution to start the optimiser from (the ballistic arc otherwise).
    """
    eph = get_ephemeris()
    dep = eph.state(departure_body, departure_et, "sun")
    arr = eph.state(arrival_body, arrival_et, "sun")
    start = time.perf_counter()
    transfer = solve_sims_flanagan(
        dep.r[0],
        dep.v[0],
        arr.r[0],
        arr.v[0],
        arrival_et - departure_et,
        SUN.gm.value,
        initial_mass_kg,
        propulsion,
        segments=segments,
        departure_v_infinity_max_m_s=departure_v_infinity_max_m_s,
        arrival_v_infinity_max_m_s=arrival_v_infinity_max_m_s,
        capture=capture,
        departure_et=departure_et,
        initial_guess=initial_guess,
    )
    solve_s = time.perf_counter() - start
    return Cruise(
        departure_body=departure_body,
        arrival_body=arrival_body,
        transfer=transfer,
        impulsive_check=check_propagation(transfer, "impulsive"),
        continuous_check=check_propagation(transfer, "continuous"),
        ballistic=ballistic_reference(departure_body, arrival_body, departure_et, arrival_et),
        solve_s=solve_s,
    )


def mars_capture(
    periapsis_altitude_m: float, apoapsis_altitude_m: float, isp_s: float
) -> ImpulsiveCapture:
    """Impulsive Mars orbit insertion into an ellipse given by its altitudes."""
    radius = MARS.equatorial_radius.value
    return ImpulsiveCapture(
        MARS.gm.value, radius + periapsis_altitude_m, radius + apoapsis_altitude_m, isp_s
    )


def entry_v_infinity_limit(entry_speed_m_s: float, interface_altitude_m: float) -> float:
    """Largest Earth arrival ``v_inf`` whose entry speed at the interface stays below
    ``entry_speed_m_s`` (energy conservation on the hyperbola)."""
    escape2 = 2.0 * EARTH.gm.value / (EARTH.equatorial_radius.value + interface_altitude_m)
    if entry_speed_m_s**2 <= escape2:
        raise ValueError(f"entry speed {entry_speed_m_s} m/s is below escape speed there")
    return math.sqrt(entry_speed_m_s**2 - escape2)


MATCH_POSITION_TOLERANCE_M = 1e3
"""Largest match-point position defect of a transfer that reaches its target: SLSQP's
tolerance is ~150 m at 1 AU; converged solutions here close to metres."""
MATCH_VELOCITY_TOLERANCE_M_S = 1e-2
"""Largest match-point velocity defect of a transfer that reaches its target."""


def reaches(transfer: SimsFlanaganResult) -> bool:
    """Whether a solution joins departure and arrival: its match-point defects within
    :data:`MATCH_POSITION_TOLERANCE_M` and :data:`MATCH_VELOCITY_TOLERANCE_M_S`. SLSQP may
    stop at its iteration limit on such a solution before proving it optimal; it is then
    a feasible, slightly suboptimal transfer."""
    return (
        transfer.mismatch_position_m <= MATCH_POSITION_TOLERANCE_M
        and transfer.mismatch_velocity_m_s <= MATCH_VELOCITY_TOLERANCE_M_S
    )


@dataclass(frozen=True)
class ArrivalSearch:
    """The earliest accepted arrival of a cruise, and what the search cost."""

    arrival_et: float
    transfer: SimsFlanaganResult
    refused_et: float | None
    """The latest arrival tried and refused, a day before ``arrival_et`` (``None`` when
    the span's first date was accepted)."""
    solves: int
    solve_s: float


def earliest_arrival(
    departure_body: str,
    arrival_body: str,
    departure_et: float,
    arrival_span_et: tuple[float, float],
    initial_mass_kg: float,
    propulsion: ElectricPropulsion,
    *,
    accept,
    segments_per_year: float,
    step_days: float = 60.0,
    departure_v_infinity_max_m_s: float = 0.0,
    arrival_v_infinity_max_m_s: float | None = None,
    capture: ImpulsiveCapture | None = None,
) -> ArrivalSearch | None:
    """The earliest arrival date, to the day, whose optimised cruise ``accept`` takes.

    Arrival dates are tried every ``step_days`` from the start of ``arrival_span_et`` until
    one is accepted, then the last step is bisected to a day. Each try is a Sims-Flanagan
    optimum (:func:`msrsim.core.lowthrust.solve_sims_flanagan`, ``segments_per_year``
    segments a year of flight) started from the nearest solution found so far;
    ``accept(transfer)`` judges it (e.g. :func:`reaches` and a propellant budget). The
    answer is the earliest date of an accepted arrival after a refused one a day before:
    a search, not a proof that no earlier date in the span is accepted. ``None`` when no
    date of the span is accepted.
    """
    eph = get_ephemeris()
    dep = eph.state(departure_body, departure_et, "sun")
    solves = 0
    start = time.perf_counter()

    def solve(arrival_et: float, guess: SimsFlanaganResult | None) -> SimsFlanaganResult:
        nonlocal solves
        solves += 1
        arr = eph.state(arrival_body, arrival_et, "sun")
        years = (arrival_et - departure_et) / (365.25 * DAY_S)
        return solve_sims_flanagan(
            dep.r[0],
            dep.v[0],
            arr.r[0],
            arr.v[0],
            arrival_et - departure_et,
            SUN.gm.value,
            initial_mass_kg,
            propulsion,
            segments=max(4, round(years * segments_per_year)),
            departure_v_infinity_max_m_s=departure_v_infinity_max_m_s,
            arrival_v_infinity_max_m_s=arrival_v_infinity_max_m_s,
            capture=capture,
            departure_et=departure_et,
            initial_guess=guess,
        )

    lo, hi = arrival_span_et
    grid = np.unique(np.append(np.arange(lo, hi, step_days * DAY_S), hi))
    guess: SimsFlanaganResult | None = None
    refused: float | None = None
    for arrival in grid:
        transfer = solve(float(arrival), guess)
        if accept(transfer):
            break
        if reaches(transfer):
            guess = transfer
        refused = float(arrival)
    else:
        return None
    accepted = float(arrival)
    while refused is not None and accepted - refused > 1.5 * DAY_S:
        mid = refused + round((accepted - refused) / (2 * DAY_S)) * DAY_S
        trial = solve(mid, transfer)
        if accept(trial):
            accepted, transfer = mid, trial
        else:
            refused = mid
    return ArrivalSearch(accepted, transfer, refused, solves, time.perf_counter() - start)
