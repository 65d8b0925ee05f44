"""A chemical (impulsive) Earth Return Orbiter: ballistic cruises, burns at Mars.

The alternative to the electric ERO of :mod:`msrsim.segments.ero` (Tianwen-3's orbiter, a
commercial return orbiter): it flies ballistic (Lambert) transfers both ways and makes every
manoeuvre at Mars with its bipropellant main engine. Patched conics (Bate, Mueller and White
1971, sec. 8.3; Curtis 2014, sec. 8.6-8.9): the heliocentric arcs join the planets'
centres, the excess speeds of the arcs' ends are those of the hyperbolas at Mars.

Phases, each from the mass the previous one left (rocket equation, Tsiolkovsky:
``m1 = m0 exp(-dv / (g0 Isp))``):

1. **Outbound cruise**, ballistic, Earth to Mars (no propellant charged; trajectory
   corrections of a few m/s are not).
2. **Mars orbit insertion** into the capture ellipse, a finite burn centred on periapsis
   (:func:`msrsim.segments.spiral.orbit_insertion`: the impulsive ``dv`` of
   :func:`msrsim.core.lowthrust.capture_delta_v` and the gravity loss of the finite burn).
3. **Orbit lowering** from the capture ellipse to the circular waiting orbit where the
   Orbiting Sample is met: a burn at apoapsis moves the periapsis to the waiting radius, a
   burn there circularises (:func:`lowering_delta_v`, impulsive, vis-viva). Flown as
   impulses: a real orbiter splits them over several passes, each short against the
   orbit's period, so their gravity loss is small (stated, not modelled).
4. **Waiting** in the circular orbit until the departure (no propellant charged).
5. **Trans-Earth injection** from the circular orbit onto the return hyperbola
   (:func:`departure_delta_v`), with the Orbiting Sample aboard, flown as a finite burn
   along the velocity from the circular orbit until the orbit's energy is that of the
   hyperbola (:func:`finite_departure`): its gravity loss is the finite burn's ``g0 Isp
   ln(m0 / m1)`` less the impulsive ``dv``.
6. **Return cruise**, ballistic, Mars to Earth.

Simplified, and stated: the insertion reaches the waiting orbit's plane directly (a plane
change, when the arrival asymptote does not lie in it, is not charged); station keeping,
rendezvous manoeuvres and attitude control are not charged (tens of m/s against the
burns' km/s; the scenario's reserve covers them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from msrsim.core.bodies import DAY_S, G0_M_S2, MARS
from msrsim.segments.ero import Phase, PropellantBudget
from msrsim.segments.spiral import OrbitInsertion, orbit_insertion
from msrsim.segments.windows import Transfer

__all__ = [
    "ChemicalArrival",
    "ChemicalEroMission",
    "ChemicalEroPlan",
    "FiniteDeparture",
    "departure_delta_v",
    "arrive",
    "finite_departure",
    "fly_chemical_ero",
    "lowering_delta_v",
    "rocket_propellant_kg",
]


@dataclass(frozen=True)
class FiniteDeparture:
    """A finite burn from a circular orbit onto an escape hyperbola (SI)."""

    impulsive_delta_v_m_s: float
    finite_delta_v_m_s: float
    burn_s: float
    mass_after_kg: float

    @property
    def gravity_loss_m_s(self) -> float:
        return self.finite_delta_v_m_s - self.impulsive_delta_v_m_s


def finite_departure(
    v_infinity_m_s: float,
    mass_kg: float,
    thrust_n: float,
    isp_s: float,
    orbit_radius_m: float,
    mu: float = MARS.gm.value,
) -> FiniteDeparture:
    """Burn along the velocity from a circular orbit until the specific energy is
    ``v_inf^2 / 2`` (two-body motion, constant thrust, mass flow ``T / (g0 Isp)``,
    integrated with DOP853; the burn's length found by Brent's method).

    Raises ValueError when the engine cannot reach that energy with the mass carried.
    """
    c = G0_M_S2 * isp_s
    dv = float(departure_delta_v(v_infinity_m_s, mu, orbit_radius_m))
    target = 0.5 * v_infinity_m_s**2

    def rhs(_t, y):
        r, v = y[:3], y[3:6]
        acc = -mu * r / np.linalg.norm(r) ** 3 + thrust_n / y[6] * v / np.linalg.norm(v)
        return np.concatenate([v, acc, [-thrust_n / c]])

    y0 = np.array([orbit_radius_m, 0.0, 0.0, 0.0, math.sqrt(mu / orbit_radius_m), 0.0, mass_kg])

    def energy_gap(burn_s: float) -> float:
        y = solve_ivp(rhs, (0.0, burn_s), y0, method="DOP853", rtol=1e-10, atol=1e-9).y[:, -1]
        return 0.5 * y[3:6] @ y[3:6] - mu / np.linalg.norm(y[:3]) - target

    impulsive_burn = mass_kg * c / thrust_n * -math.expm1(-dv / c)
    longest = 0.999 * mass_kg * c / thrust_n  # (nearly) the whole spacecraft burnt
    hi = min(2.0 * impulsive_burn, longest)
    while energy_gap(hi) < 0.0:
        if hi >= longest:
            raise ValueError(
                f"no {thrust_n:g} N burn of {mass_kg:.0f} kg reaches v_inf {v_infinity_m_s:.0f} "
                "m/s from the waiting orbit"
            )
        hi = min(2.0 * hi, longest)
    burn = brentq(energy_gap, 0.5 * impulsive_burn, hi, xtol=1e-6, rtol=1e-12)
    after = mass_kg - burn * thrust_n / c
    return FiniteDeparture(dv, c * math.log(mass_kg / after), burn, after)


def departure_delta_v(v_infinity_m_s, mu: float, orbit_radius_m):
    """Impulsive burn from a circular orbit onto a hyperbola of excess speed ``v_inf``:
    ``sqrt(v_inf^2 + 2 mu / r) - sqrt(mu / r)`` (vis-viva at the burn point, Bate, Mueller
    and White 1971, eq. 1.6-4 and 8.3-5; Curtis 2014, eq. 8.40)."""
    r = np.asarray(orbit_radius_m, dtype=np.float64)
    return np.sqrt(np.square(v_infinity_m_s) + 2.0 * mu / r) - np.sqrt(mu / r)


def lowering_delta_v(mu: float, periapsis_radius_m, apoapsis_radius_m, circular_radius_m):
    """Two impulses from an ellipse ``(r_p, r_a)`` to the circle ``r_c`` (``r_c < r_a``):
    at apoapsis the periapsis is moved to ``r_c``, at the new periapsis the orbit is
    circularised (vis-viva; the apsidal transfer of Curtis 2014, sec. 6.3). Returns
    ``(dv_apoapsis, dv_periapsis)`` (m/s)."""
    rp, ra, rc = (np.asarray(x, dtype=np.float64) for x in (
        periapsis_radius_m, apoapsis_radius_m, circular_radius_m,
    ))  # fmt: skip

    def speed(r, a):
        return np.sqrt(mu * (2.0 / r - 1.0 / a))

    a_capture, a_transfer = 0.5 * (rp + ra), 0.5 * (rc + ra)
    first = np.abs(speed(ra, a_transfer) - speed(ra, a_capture))
    second = np.abs(speed(rc, a_transfer) - np.sqrt(mu / rc))
    return first, second


def rocket_propellant_kg(mass_kg, delta_v_m_s, isp_s: float):
    """Propellant for ``delta_v`` from ``mass_kg`` (Tsiolkovsky: ``m0 (1 - exp(-dv /
    (g0 Isp)))``)."""
    return np.asarray(mass_kg) * -np.expm1(-np.asarray(delta_v_m_s) / (G0_M_S2 * isp_s))


@dataclass(frozen=True)
class ChemicalEroPlan:
    """What the chemical ERO is asked to do (SI; epochs ``et``)."""

    launch_mass_kg: float
    propellant_load_kg: float
    thrust_n: float
    isp_s: float
    reserve_fraction: float
    outbound: Transfer
    """The ballistic Earth-Mars arc (its arrival excess speed sets the insertion)."""
    inbound: Transfer
    """The ballistic Mars-Earth arc (its departure C3 sets the trans-Earth injection)."""
    capture_periapsis_altitude_m: float
    capture_apoapsis_altitude_m: float
    waiting_altitude_m: float
    inclination_rad: float
    raan_rad: float
    captured_mass_kg: float = 0.0
    """Mass taken on at Mars (the Orbiting Sample), carried home."""

    @property
    def launch_et(self) -> float:
        return self.outbound.departure_et

    @property
    def mars_arrival_et(self) -> float:
        return self.outbound.arrival_et

    @property
    def mars_departure_et(self) -> float:
        return self.inbound.departure_et

    @property
    def earth_arrival_et(self) -> float:
        return self.inbound.arrival_et


@dataclass(frozen=True)
class ChemicalEroMission:
    """The flown chemical mission: its burns, the phase table and the budget."""

    plan: ChemicalEroPlan
    insertion: OrbitInsertion
    lowering_delta_v_m_s: tuple[float, float]
    departure_impulsive_delta_v_m_s: float
    departure_finite_delta_v_m_s: float
    departure_burn_s: float
    in_orbit_et: float
    """When the ERO is in its circular waiting orbit (after the lowering)."""
    phases: tuple[Phase, ...]
    budgets: tuple[PropellantBudget, ...]

    @property
    def escape_et(self) -> float:
        """The end of the trans-Earth injection (the ERO is on its return hyperbola)."""
        return self.plan.mars_departure_et + 0.5 * self.departure_burn_s

    @property
    def dry_mass_kg(self) -> float:
        return self.plan.launch_mass_kg - self.plan.propellant_load_kg

    @property
    def feasible(self) -> bool:
        """The budget closes and the ERO is in its waiting orbit before it must leave."""
        return (
            all(b.closes for b in self.budgets) and self.in_orbit_et <= self.plan.mars_departure_et
        )

    @property
    def operations_days(self) -> float:
        return (self.plan.mars_departure_et - self.in_orbit_et) / DAY_S

    @property
    def total_delta_v_m_s(self) -> float:
        return sum(p.delta_v_m_s for p in self.phases)


def _period(mu: float, a: float) -> float:
    return 2.0 * math.pi * math.sqrt(a**3 / mu)


@dataclass(frozen=True)
class ChemicalArrival:
    """Phases 2 and 3: the insertion and the lowering, to the waiting orbit (SI, et)."""

    insertion: OrbitInsertion
    lowering_delta_v_m_s: tuple[float, float]
    mass_in_orbit_kg: float
    in_orbit_et: float


def arrive(plan: ChemicalEroPlan) -> ChemicalArrival:
    """The insertion into the capture ellipse and the lowering to the waiting orbit, on
    the outbound arc (the return arc is not read). The ERO is in its waiting orbit half
    a capture orbit and half a transfer orbit after the insertion ends.

    Raises ValueError (one line, naming the inputs) when the insertion needs more
    propellant than the spacecraft has or the waiting orbit is not below the capture
    apoapsis.
    """
    mu, radius = MARS.gm.value, MARS.equatorial_radius.value
    rp = radius + plan.capture_periapsis_altitude_m
    ra = radius + plan.capture_apoapsis_altitude_m
    rc = radius + plan.waiting_altitude_m
    if not rc < ra:
        raise ValueError(
            f"the chemical ERO's waiting orbit ({plan.waiting_altitude_m / 1e3:.0f} km) must be "
            f"below its capture apoapsis (ero.capture_apoapsis_altitude_km = "
            f"{plan.capture_apoapsis_altitude_m / 1e3:g})"
        )
    try:
        ins = orbit_insertion(
            plan.outbound.v_inf_arrival_m_s, plan.launch_mass_kg, plan.thrust_n, plan.isp_s, rp, ra
        )
    except ValueError as exc:
        raise ValueError(
            f"the chemical ERO's Mars orbit insertion cannot be flown ({exc}); its inputs: "
            "ero.launch_mass_kg, ero.insertion_thrust_n, ero.insertion_specific_impulse_s, "
            "ero.capture_periapsis_altitude_km, ero.capture_apoapsis_altitude_km"
        ) from None
    low = tuple(float(x) for x in lowering_delta_v(mu, rp, ra, rc))
    m_low = ins.mass_after_kg - float(rocket_propellant_kg(ins.mass_after_kg, sum(low), plan.isp_s))
    insertion_end = plan.mars_arrival_et + 0.5 * ins.burn_s
    in_orbit = (
        insertion_end + 0.5 * _period(mu, 0.5 * (rp + ra)) + 0.5 * _period(mu, 0.5 * (rc + ra))
    )
    return ChemicalArrival(ins, low, m_low, in_orbit)


def fly_chemical_ero(
    plan: ChemicalEroPlan, arrival: ChemicalArrival | None = None
) -> ChemicalEroMission:
    """Fly the chemical ERO's phases in order and draw up its budget (``arrival``: phases
    2 and 3 already flown by :func:`arrive` for ``plan``'s outbound arc).

    Raises ValueError (one line, naming the inputs) when a burn needs more propellant than
    the spacecraft has or the waiting orbit is not below the capture apoapsis.
    """
    mu, radius = MARS.gm.value, MARS.equatorial_radius.value
    rc = radius + plan.waiting_altitude_m
    arrival = arrive(plan) if arrival is None else arrival
    ins, low = arrival.insertion, arrival.lowering_delta_v_m_s
    m0, m_low, in_orbit = plan.launch_mass_kg, arrival.mass_in_orbit_kg, arrival.in_orbit_et
    insertion_start = plan.mars_arrival_et - 0.5 * ins.burn_s
    insertion_end = plan.mars_arrival_et + 0.5 * ins.burn_s
    m_dep = m_low + plan.captured_mass_kg
    v_departure = math.sqrt(plan.inbound.c3_m2_s2)
    dv_dep = float(departure_delta_v(v_departure, mu, rc))
    try:
        tei = finite_departure(v_departure, m_dep, plan.thrust_n, plan.isp_s, rc)
    except ValueError as exc:
        raise ValueError(
            f"the chemical ERO's trans-Earth injection cannot be flown ({exc}); its inputs: "
            "ero.launch_mass_kg, ero.insertion_thrust_n, ero.insertion_specific_impulse_s"
        ) from None
    m_home, burn, dv_dep_finite = tei.mass_after_kg, tei.burn_s, tei.finite_delta_v_m_s
    departure, arrival = plan.mars_departure_et, plan.earth_arrival_et
    phases = (
        Phase("outbound cruise", plan.launch_et, insertion_start, "none", m0, m0, 0.0),
        Phase(
            "Mars orbit insertion", insertion_start, insertion_end, "bipropellant",
            ins.mass_before_kg, ins.mass_after_kg, ins.finite_delta_v_m_s,
        ),
        Phase(
            "orbit lowering", insertion_end, in_orbit, "bipropellant",
            ins.mass_after_kg, m_low, sum(low),
        ),
        Phase("operations at Mars", in_orbit, departure - 0.5 * burn, "none", m_low, m_low, 0.0),
        Phase(
            "trans-Earth injection", departure - 0.5 * burn, departure + 0.5 * burn,
            "bipropellant", m_dep, m_home, dv_dep_finite,
        ),
        Phase("return cruise", departure + 0.5 * burn, arrival, "none", m_home, m_home, 0.0),
    )  # fmt: skip
    used = sum(p.propellant_kg for p in phases if p.propellant == "bipropellant")
    budget = PropellantBudget(
        "bipropellant", plan.propellant_load_kg, used, plan.reserve_fraction * used
    )
    return ChemicalEroMission(
        plan=plan,
        insertion=ins,
        lowering_delta_v_m_s=low,
        departure_impulsive_delta_v_m_s=dv_dep,
        departure_finite_delta_v_m_s=dv_dep_finite,
        departure_burn_s=burn,
        in_orbit_et=in_orbit,
        phases=phases,
        budgets=(budget,),
    )
