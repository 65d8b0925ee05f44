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

from msrsim.core.bodies import EARTH, MARS, SUN
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
    "Cruise",
    "ballistic_reference",
    "departure_v_infinity_limit",
    "entry_v_infinity_limit",
    "fly_cruise",
    "mars_capture",
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
