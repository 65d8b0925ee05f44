"""The Earth Return Orbiter's mission, phase by phase, and its propellant budget.

The phases, each flown by its own model and each starting from the mass the previous one
left:

1. **Launch** on the launcher's excess speed (the most it can give the orbiter's mass).
2. **Outbound electric cruise**, Earth to Mars (:func:`msrsim.segments.cruise.fly_cruise`,
   Sims-Flanagan, the insertion's propellant charged to its objective so the optimiser
   trades xenon against bipropellant).
3. **Mars orbit insertion**, a finite chemical burn into the capture ellipse
   (:func:`msrsim.segments.spiral.orbit_insertion`).
4. **Spiral down** to the rendezvous orbit, Q-law steering with coasting, ``J2`` and
   eclipses (:func:`msrsim.segments.spiral.spiral`).
5. **Operations at Mars** in the rendezvous orbit until the departure date (the
   rendezvous itself is another leg); no propellant is charged here.
6. **Spiral up** to escape (tangential thrust, ``J2`` and eclipses).
7. **Return electric cruise**, Mars escape to Earth, the arrival excess speed bounded by
   the entry speed the capsule is built for.

The budget charges each phase to its propellant (xenon for the electric phases,
bipropellant for the insertion) and compares the use plus a reserve with the loads.

Simplified, and stated: the insertion reaches the rendezvous plane (inclination and node)
directly, so the spirals steer in their plane only; the orbit's node is held in the Mars
equatorial frame of the arrival epoch (its drift with ``J2``, about a degree a day at 500
km, is a rendezvous-phasing matter); station keeping, attitude control and the rendezvous
manoeuvres at Mars are not charged (a few tens of m/s against the spirals' km/s); the
patched conics join at the planets' centres: the spirals account for the gravity wells.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np

from msrsim.core.bodies import DAY_S, MARS
from msrsim.core.lowthrust import ElectricPropulsion, SimsFlanaganResult
from msrsim.segments.cruise import Cruise, fly_cruise, mars_capture, reaches
from msrsim.segments.spiral import (
    STATUS_REACHED,
    OrbitInsertion,
    SpiralResult,
    edelbaum_delta_v,
    orbit_insertion,
    periapsis_state,
    spiral,
)

__all__ = [
    "EroMission",
    "EroPlan",
    "MarsArrival",
    "Phase",
    "PropellantBudget",
    "fly_ero_mission",
    "fly_insertion",
    "fly_outbound",
    "fly_spiral_down",
    "fly_spiral_up",
    "fly_to_rendezvous_orbit",
]

YEAR_S = 365.25 * DAY_S


@dataclass(frozen=True)
class EroPlan:
    """What the ERO's mission is asked to do (SI; epochs ``et``, s past J2000 TDB)."""

    launch_mass_kg: float
    launch_v_infinity_max_m_s: float
    propulsion: ElectricPropulsion
    launch_et: float
    mars_arrival_et: float
    mars_departure_et: float
    earth_arrival_et: float
    segments_per_year: int
    arrival_v_infinity_max_m_s: float
    return_v_infinity_max_m_s: float
    insertion_thrust_n: float
    insertion_isp_s: float
    capture_periapsis_altitude_m: float
    capture_apoapsis_altitude_m: float
    inclination_rad: float
    raan_rad: float
    rendezvous_altitude_m: float
    coast_effectivity: float
    xenon_load_kg: float
    bipropellant_load_kg: float
    reserve_fraction: float
    captured_mass_kg: float = 0.0
    """Mass taken on at Mars (the Orbiting Sample), carried by the spiral up and home."""


@dataclass(frozen=True)
class Phase:
    """One phase of the mission: when, which propellant, masses and delta-v."""

    name: str
    start_et: float
    end_et: float
    propellant: str
    mass_start_kg: float
    mass_end_kg: float
    delta_v_m_s: float

    @property
    def propellant_kg(self) -> float:
        return self.mass_start_kg - self.mass_end_kg

    @property
    def days(self) -> float:
        return (self.end_et - self.start_et) / DAY_S


@dataclass(frozen=True)
class PropellantBudget:
    """One propellant: loaded, used, the reserve required on the use, what is left over."""

    propellant: str
    load_kg: float
    used_kg: float
    reserve_kg: float

    @property
    def margin_kg(self) -> float:
        """Left after the use and its reserve; negative when the load does not close."""
        return self.load_kg - self.used_kg - self.reserve_kg

    @property
    def closes(self) -> bool:
        return self.margin_kg >= 0.0


@dataclass(frozen=True)
class EroMission:
    """The flown mission: each phase's own result, the phase table and the budget."""

    plan: EroPlan
    outbound: Cruise
    insertion: OrbitInsertion
    spiral_down: SpiralResult
    spiral_up: SpiralResult
    inbound: Cruise
    phases: tuple[Phase, ...]
    budgets: tuple[PropellantBudget, ...]
    edelbaum_down_m_s: float
    """Edelbaum's delta-v between circles of the capture ellipse's semi-major axis and the
    rendezvous radius: a yardstick for the descent from the eccentric capture orbit (which
    can do better, braking near periapsis where it pays most)."""
    edelbaum_up_m_s: float
    """Edelbaum's delta-v from the rendezvous orbit to escape (the circular speed)."""

    @property
    def dry_mass_kg(self) -> float:
        """Launch mass less both propellant loads (structure, payload, EES, unusable)."""
        return self.plan.launch_mass_kg - sum(b.load_kg for b in self.budgets)

    @property
    def feasible(self) -> bool:
        """Every phase reached its goal on time and every propellant budget closes (a
        cruise reaches its target when its match point closes,
        :func:`msrsim.segments.cruise.reaches`, proven optimal or not)."""
        return (
            self.spiral_down.status == STATUS_REACHED
            and self.spiral_up.status == STATUS_REACHED
            and self.spiral_down.end_et <= self.plan.mars_departure_et
            and reaches(self.outbound.transfer)
            and reaches(self.inbound.transfer)
            and all(b.closes for b in self.budgets)
        )

    @property
    def in_orbit_et(self) -> float:
        """When the ERO is in its rendezvous (search) orbit: the end of the spiral down."""
        return float(self.spiral_down.end_et)

    @property
    def escape_et(self) -> float:
        """When the ERO escapes Mars: the end of the spiral up."""
        return float(self.spiral_up.end_et)

    @property
    def operations_days(self) -> float:
        """Days in the rendezvous orbit between the end of the descent and the departure."""
        return (self.plan.mars_departure_et - self.spiral_down.end_et) / DAY_S


def _segments(plan: EroPlan, start_et: float, end_et: float) -> int:
    return max(4, round((end_et - start_et) / YEAR_S * plan.segments_per_year))


PHASE_INPUTS = {
    "outbound cruise": "ero.launch_mass_kg, ero.solar_array_area_m2, ero.electric_propulsion",
    "Mars orbit insertion": "ero.insertion_thrust_n, ero.insertion_specific_impulse_s, "
    "ero.capture_periapsis_altitude_km, ero.capture_apoapsis_altitude_km",
    "spiral down": "ero.electric_propulsion, ero.spiral_coast_effectivity",
    "spiral up": "ero.electric_propulsion, the Mars departure and Earth arrival dates",
    "return cruise": "ero.electric_propulsion, the Earth arrival date",
}
"""The scenario inputs that shape each flown phase (named when a phase cannot be flown)."""


@contextlib.contextmanager
def _phase(name: str):
    """A phase that cannot be flown with its inputs: a ValueError on one line naming the
    phase, the reason and the scenario inputs behind it (a solver that gives up on
    physically impossible inputs included); a singular matrix stays an internal error."""
    try:
        yield
    except (ValueError, RuntimeError, ArithmeticError) as exc:
        if isinstance(exc, np.linalg.LinAlgError) or str(exc).startswith("the ERO's "):
            raise
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(
            f"the ERO's {name} cannot be flown ({reason}); its inputs: {PHASE_INPUTS[name]}"
        ) from None


def _spiral_or_fail(result: SpiralResult, what: str) -> SpiralResult:
    if result.status != STATUS_REACHED:
        raise ValueError(f"the {what} did not reach its goal: {result.message}")
    return result


@dataclass(frozen=True)
class MarsArrival:
    """The mission to its rendezvous orbit: outbound cruise, insertion, spiral down."""

    outbound: Cruise
    insertion: OrbitInsertion
    spiral_down: SpiralResult


@_phase("Mars orbit insertion")
def fly_insertion(plan: EroPlan, transfer: SimsFlanaganResult) -> OrbitInsertion:
    """The chemical Mars orbit insertion at the end of an outbound ``transfer``."""
    radius = MARS.equatorial_radius.value
    return orbit_insertion(
        float(np.linalg.norm(transfer.arrival_v_infinity_m_s)),
        transfer.final_mass_kg,
        plan.insertion_thrust_n,
        plan.insertion_isp_s,
        radius + plan.capture_periapsis_altitude_m,
        radius + plan.capture_apoapsis_altitude_m,
    )


@_phase("spiral down")
def fly_spiral_down(plan: EroPlan, insertion: OrbitInsertion) -> SpiralResult:
    """The Q-law spiral from the capture ellipse, starting as the insertion burn ends
    (half the burn after the arrival epoch), to the rendezvous orbit."""
    radius = MARS.equatorial_radius.value
    r0, v0 = periapsis_state(
        radius + plan.capture_periapsis_altitude_m,
        radius + plan.capture_apoapsis_altitude_m,
        plan.inclination_rad,
        plan.raan_rad,
        0.0,
    )
    return _spiral_or_fail(
        spiral(
            plan.mars_arrival_et + 0.5 * insertion.burn_s,
            r0,
            v0,
            insertion.mass_after_kg,
            plan.propulsion,
            direction="down",
            target_radius_m=radius + plan.rendezvous_altitude_m,
            steering="qlaw",
            coast_effectivity=plan.coast_effectivity,
        ),
        "spiral down to the rendezvous orbit",
    )


@_phase("spiral up")
def fly_spiral_up(plan: EroPlan, start_et: float, mass_kg: float) -> SpiralResult:
    """The tangential spiral from the rendezvous orbit to escape, starting at
    ``start_et`` with ``mass_kg`` (the Orbiting Sample included)."""
    r_rv = MARS.equatorial_radius.value + plan.rendezvous_altitude_m
    r1, v1 = periapsis_state(r_rv, r_rv, plan.inclination_rad, plan.raan_rad, 0.0)
    return _spiral_or_fail(
        spiral(start_et, r1, v1, mass_kg, plan.propulsion, direction="up"),
        "spiral up to escape",
    )


@_phase("outbound cruise")
def fly_outbound(plan: EroPlan, initial_guess: SimsFlanaganResult | None = None) -> Cruise:
    """The outbound electric cruise of ``plan``, the insertion charged to its objective."""
    return fly_cruise(
        "earth",
        "mars",
        plan.launch_et,
        plan.mars_arrival_et,
        plan.launch_mass_kg,
        plan.propulsion,
        departure_v_infinity_max_m_s=plan.launch_v_infinity_max_m_s,
        arrival_v_infinity_max_m_s=plan.arrival_v_infinity_max_m_s,
        capture=mars_capture(
            plan.capture_periapsis_altitude_m,
            plan.capture_apoapsis_altitude_m,
            plan.insertion_isp_s,
        ),
        segments=_segments(plan, plan.launch_et, plan.mars_arrival_et),
        initial_guess=initial_guess,
    )


def fly_to_rendezvous_orbit(
    plan: EroPlan, progress=None, outbound_guess: SimsFlanaganResult | None = None
) -> MarsArrival:
    """Phases 2 to 4: the outbound cruise (started from ``outbound_guess`` if given), the
    insertion, the spiral down. ``progress(done, 5)`` is called as each ends."""
    done = progress or (lambda _done, _total: None)
    with _phase("outbound cruise"):
        outbound = fly_outbound(plan, outbound_guess)
    done(1, 5)
    with _phase("Mars orbit insertion"):
        insertion = fly_insertion(plan, outbound.transfer)
    done(2, 5)
    with _phase("spiral down"):
        down = fly_spiral_down(plan, insertion)
    done(3, 5)
    return MarsArrival(outbound, insertion, down)


def fly_ero_mission(
    plan: EroPlan,
    progress=None,
    arrival: MarsArrival | None = None,
    inbound_guess: SimsFlanaganResult | None = None,
) -> EroMission:
    """Fly every phase of the ERO's mission in order and draw up its budget.

    ``arrival`` gives phases 2 to 4 already flown for ``plan`` (the planner flies them to
    find the departure date); ``inbound_guess`` a neighbouring return cruise to start its
    optimiser from. ``progress(done, total)``, if given, is called as each of
    the five flown phases ends. Raises ValueError naming the phase when one cannot be
    flown (a spiral that does not reach its orbit, an insertion the engine cannot make, an
    escape after the Earth date).
    """
    done = progress or (lambda _done, _total: None)
    if arrival is None:
        arrival = fly_to_rendezvous_orbit(plan, progress)
    else:
        done(3, 5)
    outbound, insertion, down = arrival.outbound, arrival.insertion, arrival.spiral_down
    insertion_end = plan.mars_arrival_et + 0.5 * insertion.burn_s
    if down.end_et > plan.mars_departure_et:
        raise ValueError(
            f"the spiral down ends {(down.end_et - plan.mars_departure_et) / DAY_S:.0f} days "
            "after the Mars departure date: move the departure later or the arrival earlier"
        )
    with _phase("spiral up"):
        up = fly_spiral_up(plan, plan.mars_departure_et, down.final_mass_kg + plan.captured_mass_kg)
    done(4, 5)
    if up.end_et >= plan.earth_arrival_et - 60 * DAY_S:
        raise ValueError("the spiral up ends less than 60 days before the Earth arrival date")
    with _phase("return cruise"):
        inbound = fly_cruise(
            "mars",
            "earth",
            up.end_et,
            plan.earth_arrival_et,
            up.final_mass_kg,
            plan.propulsion,
            arrival_v_infinity_max_m_s=plan.return_v_infinity_max_m_s,
            segments=_segments(plan, up.end_et, plan.earth_arrival_et),
            initial_guess=inbound_guess,
        )
    done(5, 5)
    out, back = outbound.transfer, inbound.transfer
    phases = (
        Phase(
            "outbound cruise", plan.launch_et, plan.mars_arrival_et - 0.5 * insertion.burn_s,
            "xenon", out.initial_mass_kg, out.final_mass_kg, out.delta_v_m_s,
        ),
        Phase(
            "Mars orbit insertion", plan.mars_arrival_et - 0.5 * insertion.burn_s, insertion_end,
            "bipropellant", insertion.mass_before_kg, insertion.mass_after_kg,
            insertion.finite_delta_v_m_s,
        ),
        Phase(
            "spiral down", down.start_et, down.end_et, "xenon",
            down.initial_mass_kg, down.final_mass_kg, down.delta_v_m_s,
        ),
        Phase(
            "operations at Mars", down.end_et, plan.mars_departure_et, "none",
            down.final_mass_kg, down.final_mass_kg, 0.0,
        ),
        Phase(
            "spiral up", up.start_et, up.end_et, "xenon",
            up.initial_mass_kg, up.final_mass_kg, up.delta_v_m_s,
        ),
        Phase(
            "return cruise", up.end_et, plan.earth_arrival_et, "xenon",
            back.initial_mass_kg, back.final_mass_kg, back.delta_v_m_s,
        ),
    )  # fmt: skip
    budgets = tuple(
        PropellantBudget(
            name,
            load,
            used := sum(p.propellant_kg for p in phases if p.propellant == name),
            plan.reserve_fraction * used,
        )
        for name, load in (
            ("xenon", plan.xenon_load_kg),
            ("bipropellant", plan.bipropellant_load_kg),
        )
    )
    radius, mu = MARS.equatorial_radius.value, MARS.gm.value
    a_capture = radius + 0.5 * (
        plan.capture_periapsis_altitude_m + plan.capture_apoapsis_altitude_m
    )
    r_rv = radius + plan.rendezvous_altitude_m
    return EroMission(
        plan=plan,
        outbound=outbound,
        insertion=insertion,
        spiral_down=down,
        spiral_up=up,
        inbound=inbound,
        phases=phases,
        budgets=budgets,
        edelbaum_down_m_s=float(edelbaum_delta_v(math.sqrt(mu / a_capture), math.sqrt(mu / r_rv))),
        edelbaum_up_m_s=math.sqrt(mu / r_rv),
    )
