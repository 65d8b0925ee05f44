"""Mars entry, descent and landing of a lifting aeroshell: guided entry to touchdown.

The Mars Science Laboratory sequence (Way et al., "Mars Science Laboratory: Entry,
Descent, and Landing System Performance", IEEE Aerospace 2007; Mendeck and Craig, AIAA
2011-6639), flown by :func:`msrsim.core.flight.fly` over rotating Mars (J2) through a
tabulated atmosphere, phase by phase, for batches of trajectories:

1. **Guided entry** of the 70 deg sphere-cone at its trim L/D, steered by the Apollo
   final-phase law (:mod:`msrsim.core.entry_guidance`, designed on the nominal entry by
   :func:`msrsim.core.guidance_design.design_guidance`) to the parachute trigger speed.
   With :class:`BalanceJettison`, the entry balance masses are dropped at a set speed
   before the trigger and the vehicle flies on at zero lift ("straighten up and fly
   right", SUFR).
2. **Parachute** (disk-gap-band): deployed at the trigger, a planet-relative speed or,
   with :class:`RangeTrigger`, the range to the target (Mars 2020's); the deploy Mach number and
   dynamic pressure are checked against the qualification box (Mach 2.2, 750 Pa for
   MSL's 21.5 m chute; Sengupta et al.). Inflation is taken as instant.
3. **Heat-shield separation** a set time after deploy (mass drops), descent on the chute
   to the backshell-separation height above the ground.
4. **Powered descent** (:func:`powered_descent`): thrust opposite the velocity (gravity
   turn), throttled so that the stopping distance at the current speed equals the height
   left (``a = (v^2 - v_td^2) / (2 (h - h_td)) + g``, capped at full thrust), to the
   touchdown speed; propellant by the rocket equation. The horizontal drift adds to the
   landing point along the ground track. A landing counts only if the powered descent
   reaches the ground at no more than :data:`HARD_LANDING_FACTOR` times the design
   touchdown speed: an engine too weak to hold the lander up (thrust below its Mars weight)
   or to brake it within the height left crashes, and that trial is flagged
   (:data:`EDL_STATUS_MESSAGES`), never counted as landed.

Simplified, and stated: the altitude of the flight kernel is above the IAU ellipsoid and
stands for the height above the MOLA areoid of the atmosphere tables (they differ by up to
~2 km); the parachute opens at once with a constant drag coefficient; powered descent is
planar over a flat local ground and ignores winds.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, fields, replace

import numpy as np
from numba import njit

from msrsim.core.aero import base_drag_coefficient, sphere_cone_aerodynamics
from msrsim.core.bodies import G0_M_S2, MARS
from msrsim.core.entry_guidance import EntryGuidance, bank_profile
from msrsim.core.flight import (
    STATUS_LANDED,
    STATUS_STOP_SPEED,
    STATUS_TIME_LIMIT,
    AtmosphereTable,
    FlightResult,
    Heating,
    Planet,
    fly,
)
from msrsim.core.frames import (
    cartesian_to_geodetic,
    geocentric_flight_state,
    geodetic_to_cartesian,
    mars_fixed_matrix,
)
from msrsim.core.guidance_design import design_guidance
from msrsim.core.incidence import zero_incidence_drag_ratio
from msrsim.core.kernel_args import kernel_input
from msrsim.segments.approach import Arrival

MARS_FLIGHT = Planet(
    gm=MARS.gm.value,
    j2=MARS.j2.value,
    j2_radius_m=MARS.j2_reference_radius_m,
    equatorial_radius_m=MARS.equatorial_radius.value,
    flattening=1.0 - MARS.polar_radius.value / MARS.equatorial_radius.value,
    spin_rad_s=MARS.rotation_rate.value,
)
MARS_SURFACE_GRAVITY_M_S2 = MARS.gm.value / MARS.mean_radius.value**2

HARD_LANDING_FACTOR = 2.0
"""A touchdown faster than this many times the design touchdown speed is a crash (landing
gear and sky-crane bridles are sized with margins of this order on the design speed; MSL's
0.75 m/s design, Way et al. 2007)."""

EDL_LANDED = 0
EDL_NO_DEPLOY = 1
EDL_CHUTE_PHASE = 2
EDL_HARD_LANDING = 3
EDL_NO_PROPELLANT = 4
EDL_STATUS_MESSAGES = {
    EDL_LANDED: "landed",
    EDL_NO_DEPLOY: "the entry did not slow to the parachute trigger speed",
    EDL_CHUTE_PHASE: "the parachute phase did not reach the backshell-separation height",
    EDL_HARD_LANDING: "the powered descent hit the ground faster than the design touchdown "
    f"speed allows (x{HARD_LANDING_FACTOR:g}): too little descent thrust for the lander",
    EDL_NO_PROPELLANT: "the powered descent burnt its whole propellant load before touchdown",
}
"""Per-trajectory outcome codes of :class:`EdlResult` ``status``."""

EDL_STATUS_INPUTS = {
    EDL_NO_DEPLOY: "srl.edl: entry_flight_path_angle_deg, entry_interface_altitude_km, "
    "entry_mass_kg, aeroshell_diameter_m, hypersonic_drag_coefficient, lift_to_drag, "
    "reference_bank_deg, parachute_trigger_speed_m_s, ground_altitude_m",
    EDL_CHUTE_PHASE: "srl.edl: parachute_diameter_m, parachute_drag_coefficient, "
    "heatshield_separation_delay_s, backshell_separation_height_m, ground_altitude_m",
    EDL_HARD_LANDING: "srl.edl: descent_thrust_n, backshell_separation_height_m, "
    "touchdown_speed_m_s",
    EDL_NO_PROPELLANT: "srl.edl: descent_propellant_kg, descent_thrust_n, "
    "descent_specific_impulse_s, backshell_separation_height_m",
}
"""The scenario inputs behind each way the nominal lander can fail to land (named when it
does: the scenario cannot be flown)."""

MARS_CONVECTIVE_K = 1.9027e-4
"""Sutton-Graves constant of Mars' CO2 atmosphere, kg^0.5/m (Sutton and Graves, NASA TR
R-376, 1971, for 97 % CO2, 3 % N2; as used in Mars entry studies, e.g. Braun and Manning,
J. Spacecr. Rockets 44(2), 2007). Radiative heating is left out: below 6.5 km/s it is a
few W/cm2 at most at Mars."""


def mars_heating() -> Heating:
    """Convective stagnation heating at Mars (Sutton-Graves), no radiative term."""
    return Heating(MARS_CONVECTIVE_K, 0.0, 1.0, 0.0, 0.0, 0.0, np.array([1e5, 2e5]), np.zeros(2))


@dataclass(frozen=True)
class Aeroshell:
    """Entry vehicle: a 70 deg sphere-cone trimmed at an angle of attack (SI)."""

    mass_kg: float
    diameter_m: float
    nose_radius_m: float
    half_angle_deg: float
    hypersonic_drag_coefficient: float
    lift_to_drag: float
    balance: BalanceJettison | None = None
    """Entry balance masses dropped before deploy (SUFR); ``mass_kg`` includes them."""

    @property
    def reference_area_m2(self) -> float:
        return math.pi * self.diameter_m**2 / 4.0

    def aerodynamics(self):
        """CD(Mach): the modified-Newtonian forebody shape scaled so that forebody plus base
        drag (:func:`msrsim.core.aero.base_drag_coefficient`, from Mach 2 up) is the
        hypersonic CD at the table's top; constant L/D. Without the base term the
        forebody alone fell 10 % from the hypersonic CD to Mach 2 (CD 1.45 to 1.30)."""
        shape = sphere_cone_aerodynamics(
            self.half_angle_deg, self.nose_radius_m, self.diameter_m, subsonic_cd=1.0, gamma=1.3
        )
        # the nodes below Mach 2 hold the subsonic CD (which includes its base drag)
        base = np.where(shape.mach >= 2.0, base_drag_coefficient(shape.mach), 0.0)
        scale = (self.hypersonic_drag_coefficient - base[-1]) / shape.cd_continuum[-1]
        return replace(
            shape,
            cd_continuum=shape.cd_continuum * scale + base,
            lift_to_drag=np.full(shape.mach.size, self.lift_to_drag),
        )

    def zero_incidence_aerodynamics(self):
        """:meth:`aerodynamics` at zero angle of attack, as after SUFR: no lift, and the drag
        of the untrimmed body, CD(Mach) times the Newtonian ratio of the sphere-cone's drag
        at zero incidence to its drag at the trim angle of its L/D
        (:func:`msrsim.core.incidence.zero_incidence_drag_ratio`: 1.10 for MSL, trimmed
        at 15.6 deg; the ratio is taken at every Mach)."""
        trimmed = self.aerodynamics()
        ratio = zero_incidence_drag_ratio(
            math.radians(self.half_angle_deg),
            self.nose_radius_m,
            self.diameter_m / 2.0,
            self.lift_to_drag,
        )
        return replace(
            trimmed,
            cd_continuum=trimmed.cd_continuum * ratio,
            lift_to_drag=np.zeros(trimmed.mach.size),
        )


@dataclass(frozen=True)
class BalanceJettison:
    """Entry balance masses dropped before parachute deploy (SI).

    MSL and Mars 2020 fly their hypersonic entry trimmed at an angle of attack (L/D 0.24)
    by a centre-of-mass offset; before the parachute opens they eject six 25 kg tungsten
    entry balance masses, 150 kg in all, which brings the angle of attack to about zero:
    the "straighten up and fly right" (SUFR) manoeuvre (Nelessen et al., "Mars 2020 Entry,
    Descent, and Landing System Overview", IEEE Aerospace 2019, p. 3; Way et al. 2007 for
    MSL). Modelled as an instant drop of ``mass_kg`` when the planet-relative speed falls
    to ``speed_m_s``, after which the vehicle flies on unguided at zero incidence to the
    parachute trigger: no lift, and the drag of the untrimmed body
    (:meth:`Aeroshell.zero_incidence_aerodynamics`). The speed at which SUFR starts is not
    in the sources read here: it is representative (a few seconds before a deploy near
    400-450 m/s).
    """

    mass_kg: float
    speed_m_s: float


@dataclass(frozen=True)
class RangeTrigger:
    """Deploy on the range to the target, between two speeds (SI).

    Mars 2020 opened its parachute on the navigated range to the landing target, not on a
    planet-relative speed as MSL did: the parachute deploys where the remaining distance to
    the target equals the design distance, so a long or short entry opens early or late
    and the landing dispersion shrinks (Way, "On the use of a range trigger for the Mars
    Science Laboratory entry, descent, and landing", IEEE Aerospace 2011; Dutta and Way,
    "Comparison of the effects of velocity and range triggers on trajectory dispersions
    for the Mars 2020 mission", AIAA 2017, NTRS 20170000743). The chute opens when the
    great-circle range from the vehicle to ``target_m`` (planet-fixed, m) falls to
    ``range_m``, but not while the speed is above ``earliest_speed_m_s``; one that has not
    reached the range by ``latest_speed_m_s`` opens there (the velocity back-up).
    """

    target_m: tuple[float, float, float]
    range_m: float
    earliest_speed_m_s: float
    latest_speed_m_s: float

    def range_to_target_m(self, position_m) -> np.ndarray:
        """Great-circle range (m) from planet-fixed positions to the target, at the
        target's radius."""
        target = np.asarray(self.target_m, dtype=np.float64)
        radius = float(np.linalg.norm(target))
        r = np.asarray(position_m, dtype=np.float64)
        cos = np.sum(r * target, axis=-1) / (np.linalg.norm(r, axis=-1) * radius)
        return radius * np.arccos(np.clip(cos, -1.0, 1.0))


@dataclass(frozen=True)
class Parachute:
    """A supersonic disk-gap-band parachute and its deploy trigger and box (SI).

    ``trigger_speed_m_s`` is the deploy speed of a speed trigger, and the speed the entry
    guidance's reference ends at; ``range_trigger`` replaces the speed trigger by the
    range to the target (:class:`RangeTrigger`)."""

    diameter_m: float
    drag_coefficient: float
    trigger_speed_m_s: float
    max_deploy_mach: float
    max_deploy_dynamic_pressure_pa: float
    range_trigger: RangeTrigger | None = None

    @property
    def earliest_speed_m_s(self) -> float:
        """The highest speed at which the chute may open."""
        t = self.range_trigger
        return self.trigger_speed_m_s if t is None else t.earliest_speed_m_s

    @property
    def latest_speed_m_s(self) -> float:
        """The speed at which the chute opens at the latest."""
        t = self.range_trigger
        return self.trigger_speed_m_s if t is None else t.latest_speed_m_s

    @property
    def area_m2(self) -> float:
        return math.pi * self.diameter_m**2 / 4.0


HORIZONTAL_NULLING_S = 2.0
"""Time constant (s) with which a terminal descent's constant-velocity and touchdown phases
null the horizontal speed (MSL held ~zero horizontal velocity from the constant-velocity
phase on, Steltzner et al. 2006; the constant is representative)."""

TERMINAL_KINDS = ("sky_crane", "legged")


@dataclass(frozen=True)
class TerminalDescent:
    """The phases after the powered approach (SI): MSL's sky crane or a legged landing.

    MSL/Mars 2020 sequence (Steltzner et al., "Mars Science Laboratory Entry, Descent, and
    Landing System", IEEE Aerospace 2006; NASA Mars 2020 landing press kit, 2021): a
    powered approach from backshell separation to a constant-velocity gate, a
    constant-velocity descent, a constant deceleration to the touchdown speed
    (0.75 m/s) reached ~20 m up, then the sky crane: the rover hangs 7.6 m below the descent
    stage on its bridle and touches down ~12 s later, the stage still descending at
    0.75 m/s. A legged lander flies the same phases and touches down on its legs
    (Phoenix, InSight: ~2.4 m/s).

    ``final_height_m``: where the touchdown speed is reached (the sky crane's start,
    heights of the descent stage); ``touchdown_height_m``: the descent stage's height when
    the rover's wheels touch (bridle plus the rover's height below its attachment), 0 for
    a legged lander; ``propellant_kg``: the usable load.
    """

    kind: str
    constant_velocity_height_m: float
    constant_velocity_speed_m_s: float
    final_height_m: float
    final_deceleration_m_s2: float
    touchdown_height_m: float
    propellant_kg: float

    def __post_init__(self):
        if self.kind not in TERMINAL_KINDS:
            raise ValueError(f"terminal descent kind = {self.kind!r}: one of {TERMINAL_KINDS}")
        if not (
            self.constant_velocity_height_m > self.final_height_m >= self.touchdown_height_m >= 0
        ):
            raise ValueError(
                "terminal descent heights must fall: constant_velocity_height_m = "
                f"{self.constant_velocity_height_m:g} > final_height_m = "
                f"{self.final_height_m:g} >= touchdown_height_m = {self.touchdown_height_m:g} >= 0"
            )


@dataclass(frozen=True)
class Descent:
    """Separations and powered descent (SI); ``terminal`` adds the sky-crane or legged
    phases (without it the lander brakes straight to the touchdown speed at the ground)."""

    heatshield_separation_delay_s: float
    heatshield_mass_kg: float
    backshell_separation_height_m: float
    backshell_mass_kg: float
    thrust_n: float
    specific_impulse_s: float
    touchdown_speed_m_s: float
    terminal: TerminalDescent | None = None

    def gates(self) -> tuple[tuple[float, float, float], ...]:
        """(height m, speed m/s, design deceleration m/s2) of each gate, in order."""
        v_td, d = self.touchdown_speed_m_s, self.terminal
        if d is None:
            return ((0.0, v_td, 0.0),)
        return (
            (d.constant_velocity_height_m, d.constant_velocity_speed_m_s, 0.0),
            (d.final_height_m, v_td, d.final_deceleration_m_s2),
            (d.touchdown_height_m, v_td, 0.0),
        )

    @property
    def touchdown_height_m(self) -> float:
        """The height of the tracked body at touchdown (the descent stage's on a sky crane)."""
        return 0.0 if self.terminal is None else self.terminal.touchdown_height_m

    def phase_names(self) -> tuple[str, ...]:
        if self.terminal is None:
            return ("powered_descent",)
        last = "sky_crane" if self.terminal.kind == "sky_crane" else "touchdown_descent"
        return ("powered_approach", "constant_velocity", "constant_deceleration", last)


MSL_AEROSHELL = Aeroshell(3152.0, 4.5, 1.125, 70.0, 1.45, 0.24)
"""Mars Science Laboratory at entry: ~3,150 kg, 4.5 m 70 deg sphere-cone, L/D 0.24
(Schoenenberger et al. 2009, NTRS 20090025343), hypersonic CD 1.45 (beta 146 kg/m2)."""
MSL_PARACHUTE = Parachute(21.5, 0.615, 450.0, 2.2, 750.0)
"""21.5 m disk-gap-band (Sengupta et al.), CD 0.615 (Cruz et al. 2014), deployed near
450 m/s (NASA), qualified to Mach 2.2 and 750 Pa."""
MSL_DESCENT = Descent(20.0, 385.0, 2100.0, 740.0, 8 * 3060.0, 220.0, 0.75)
"""Heat shield off 20 s after deploy, backshell off at 2.1 km (NASA); eight 3.06 kN
engines, ~220 s, 0.75 m/s touchdown; separated masses representative."""
MSL_SKY_CRANE = TerminalDescent("sky_crane", 100.0, 20.0, 20.0, 5.0, 9.6, 390.0)
"""MSL/Mars 2020 sky crane: the touchdown speed 0.75 m/s reached ~20 m up, the rover 7.6 m
below the descent stage on its bridle (NASA Mars 2020 landing press kit, 2021 [S]) plus its
~2 m height below the attachment (Curiosity and Perseverance stand ~2.2 m); ~390 kg of
hydrazine in the descent stage. The constant-velocity gate (20 m/s at 100 m) and the 5 m/s2
constant deceleration are representative (MSL's sequence, Steltzner et al. 2006; its
numbers not found here); with them the lander passes 300 m at ~30 m/s, as Perseverance
did (NASA landing commentary, 2021-02-22 [S])."""
MSL_ENTRY = (-3.9186, 126.72, 6083.3, -15.4892, 93.2065)
"""Planetocentric latitude, east longitude (deg), inertial speed (m/s), flight-path angle
and azimuth (deg) at MSL's interface (Dutta and Braun 2014, via the NPCG toolbox; the
5.845 km/s relative speed they give is Way, Davis and Shidner's, AAS 13-420)."""
MSL_INTERFACE_RADIUS_M = 3522.2e3
"""MSL's entry interface radius (Way, Davis and Shidner, AAS 13-420)."""
GALE_GROUND_ALTITUDE_M = -4400.0
"""Gale's floor at Bradbury Landing, ~4.4 km below the Mars datum (MOLA)."""


def inertial_entry_states(rows, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Mars-fixed states at ``radius_m`` from rows of (lat deg, lon deg, inertial speed
    m/s, flight-path angle deg, azimuth deg) about the geocentric horizontal."""
    lat, lon, speed, fpa, az = np.atleast_2d(np.asarray(rows, dtype=np.float64)).T
    return geocentric_flight_state(
        np.radians(lat),
        np.radians(lon),
        radius_m,
        speed,
        np.radians(fpa),
        np.radians(az),
        MARS_FLIGHT.spin_rad_s,
    )


@dataclass(frozen=True)
class EdlResult:
    """Outcomes of a batch of EDL trajectories (SI; angles in radians)."""

    entry: FlightResult
    deploy_mach: np.ndarray
    deploy_dynamic_pressure_pa: np.ndarray
    deploy_height_m: np.ndarray
    deploy_in_box: np.ndarray
    parachute: FlightResult
    landing_latitude_rad: np.ndarray
    landing_longitude_rad: np.ndarray
    propellant_kg: np.ndarray
    powered_descent_s: np.ndarray
    touchdown_time_s: np.ndarray
    touchdown_speed_m_s: np.ndarray
    status: np.ndarray
    """One of :data:`EDL_STATUS_MESSAGES`' codes per trajectory."""
    descent_phase_s: np.ndarray | None = None
    """Time in each powered-descent phase, (n, phases) (:meth:`Descent.phase_names`)."""

    @property
    def landed(self) -> np.ndarray:
        """Trajectories that reached the ground at a survivable speed."""
        return self.status == EDL_LANDED


def _speed_of_sound(atmosphere: AtmosphereTable, altitude_m) -> np.ndarray:
    return np.interp(altitude_m, atmosphere.altitude_m, atmosphere.speed_of_sound_m_s)


def _density(atmosphere: AtmosphereTable, altitude_m) -> np.ndarray:
    """Density at each trajectory's altitude (its own row when dispersed), log-linear
    between levels and clamped at the ends, as the flight kernel reads it."""
    grid = atmosphere.altitude_m
    log_rho = np.broadcast_to(
        np.atleast_2d(atmosphere.log_density), (np.size(altitude_m), grid.size)
    )
    h = np.clip(np.asarray(altitude_m, dtype=np.float64), grid[0], grid[-1])
    i = np.clip(np.searchsorted(grid, h, side="right") - 1, 0, grid.size - 2)
    w = (h - grid[i]) / (grid[i + 1] - grid[i])
    rows = np.arange(h.size)
    return np.exp(log_rho[rows, i] * (1.0 - w) + log_rho[rows, i + 1] * w)


def _height(position_m: np.ndarray) -> np.ndarray:
    return cartesian_to_geodetic(position_m, MARS)[2]


@dataclass(frozen=True)
class DescentFlight:
    """A batch of powered descents from backshell separation to touchdown (SI).

    ``phase_s`` holds the time each trajectory spent in each phase (columns as the
    descent's :meth:`Descent.phase_names`); ``out_of_propellant`` flags those that burnt
    their whole load (they fall, and hit the ground at the speed they reached).
    """

    drift_m: np.ndarray
    propellant_kg: np.ndarray
    duration_s: np.ndarray
    touchdown_speed_m_s: np.ndarray
    phase_s: np.ndarray
    out_of_propellant: np.ndarray


MAX_DESCENT_STEPS = 200_000
"""Steps after which :func:`fly_powered_descent` gives up on a trajectory that has not
landed (10,000 s at the default step)."""


@njit(cache=True)
def _descent_kernel(h, x, vx, vz, m, m0, t, phase, dry, v_gate, gate_h, gate_a, thrust,
                    exhaust, terminal, load, ground, gravity, dt_s, max_steps):  # fmt: skip
    """:func:`fly_powered_descent`'s steps, trajectory by trajectory, in place: returns the
    most steps one took (``max_steps + 1`` when one was still flying after ``max_steps``).

    The arithmetic is that of the batch once flown in lock-step with numpy (each
    operation in the same order), so the results are the same to the bit: a trajectory
    that lands before the last one also has its propellant judged once more (``dry``), as
    the lock-step loop judged every trajectory at the top of each step.
    """
    n = h.size
    last = gate_h.size - 1
    taken = np.zeros(n, dtype=np.int64)
    for i in range(n):
        k = 0
        flying = h[i] > ground
        while flying:
            if taken[i] == max_steps:
                return max_steps + 1
            v_k = v_gate[i, k]
            speed = np.hypot(vx[i], vz[i])
            wanted = (speed**2 - v_k**2) / (2.0 * np.maximum(h[i] - gate_h[k], 1e-3)) + gravity
            hold = speed <= v_k * 1.0001
            if terminal:
                hold = hold or wanted - gravity < gate_a[k]
                wanted = np.minimum(wanted, gravity + (speed - v_k) / dt_s)
            dry[i] = dry[i] or m0[i] - m[i] >= load
            accel = gravity if hold else np.minimum(wanted, thrust[i] / m[i])
            accel = np.maximum(accel, 0.0)
            if hold:
                ux, uz = 0.0, 1.0
            elif speed > 0:
                ux, uz = -vx[i] / np.maximum(speed, 1e-9), -vz[i] / np.maximum(speed, 1e-9)
            else:
                ux, uz = 0.0, 1.0
            ax, az = accel * ux, accel * uz - gravity
            if terminal:
                if hold:
                    ax = -vx[i] / HORIZONTAL_NULLING_S
                burn = np.hypot(ax, az + gravity)
                if dry[i]:
                    ax, az = 0.0, -gravity
                accel = 0.0 if dry[i] else burn
            step = dt_s
            x[i] += step * (vx[i] + 0.5 * step * ax)
            h[i] += step * (vz[i] + 0.5 * step * az)
            vx[i] += step * ax
            vz[i] += step * az
            m[i] -= step * accel * m[i] / exhaust[i]
            t[i] += step
            if terminal:
                if k == 0:
                    now = 1 if hold else 0
                elif k == 1:
                    now = 1 if hold else 2
                else:
                    now = 3
                phase[i, now] += step
            if h[i] <= gate_h[k] and k < last:
                k += 1
            flying = h[i] > ground
            taken[i] += 1
    most = taken.max() if n else 0
    for i in range(n):
        if taken[i] < most:
            dry[i] = dry[i] or m0[i] - m[i] >= load
    return most


def fly_powered_descent(
    height_m,
    horizontal_m_s,
    descent_m_s,
    mass_kg,
    descent: Descent,
    gravity_m_s2: float = MARS_SURFACE_GRAVITY_M_S2,
    dt_s: float = 0.05,
    *,
    thrust_scale=1.0,
    isp_scale=1.0,
    touchdown_speed_error_m_s=0.0,
) -> DescentFlight:
    """Planar powered descent of a batch from backshell separation through the descent's
    gates (:meth:`Descent.gates`) to touchdown.

    In gate ``k`` (height ``h_k``, speed ``v_k``, design deceleration ``a_k``) the braking
    that reaches ``v_k`` at ``h_k`` is ``a = (v^2 - v_k^2) / (2 (h - h_k))``: it is flown
    (thrust opposite the velocity, ``a + g`` capped at full thrust) once it reaches
    ``a_k`` (at once when ``a_k = 0``: the powered approach); before that, and once the
    speed is down to ``v_k``, thrust holds the lander's weight and the speed stays
    constant (a constant-velocity phase) while a terminal descent also nulls the
    horizontal speed (time constant :data:`HORIZONTAL_NULLING_S`). The gate is passed at
    ``h_k``; touchdown is at :attr:`Descent.touchdown_height_m` (the sky crane's descent
    stage hangs the rover below it on the bridle). Explicit midpoint steps of ``dt_s``;
    mass by the rocket equation at ``c = g0 Isp``. An engine that cannot brake in the
    height left, or whose propellant runs out, reaches the ground faster, and that speed
    is what it hits with.

    ``thrust_scale``, ``isp_scale`` (per trajectory, default 1) disperse the engines;
    ``touchdown_speed_error_m_s`` is the terrain-relative velocity error of the last
    gates (the lander flies ``v_td + error`` believing it flies ``v_td``).
    """
    h = np.array(height_m, dtype=np.float64).reshape(-1)  # 1-d copies, flown in place
    vx = np.array(np.broadcast_to(horizontal_m_s, h.shape), dtype=np.float64)
    vz = -np.abs(np.array(np.broadcast_to(descent_m_s, h.shape), dtype=np.float64))
    m0 = np.array(mass_kg, dtype=np.float64) * np.ones_like(h)
    m = m0.copy()
    x = np.zeros_like(h)
    t = np.zeros_like(h)
    n = h.size
    gate_h, gate_v, gate_a = (kernel_input(column) for column in np.array(descent.gates()).T)
    v_gate = np.broadcast_to(gate_v, (n, gate_h.size)).copy()
    final = gate_v == descent.touchdown_speed_m_s
    error = np.broadcast_to(np.asarray(touchdown_speed_error_m_s, dtype=np.float64), (n,))
    v_gate[:, final] = np.maximum(
        v_gate[:, final] + error[:, None], 0.1 * descent.touchdown_speed_m_s
    )
    thrust = np.ascontiguousarray(
        descent.thrust_n * np.broadcast_to(np.asarray(thrust_scale, np.float64), (n,))
    )
    exhaust = np.ascontiguousarray(
        descent.specific_impulse_s
        * G0_M_S2
        * np.broadcast_to(np.asarray(isp_scale, np.float64), (n,))
    )
    terminal = descent.terminal is not None
    load = descent.terminal.propellant_kg if terminal else math.inf
    ground = descent.touchdown_height_m
    phase = np.zeros((n, len(descent.phase_names())))
    dry = np.zeros(n, dtype=bool)
    steps = _descent_kernel(
        h, x, vx, vz, m, m0, t, phase, dry, v_gate, gate_h, gate_a, thrust, exhaust,
        terminal, load, ground, gravity_m_s2, dt_s, MAX_DESCENT_STEPS,
    )  # fmt: skip
    if steps > MAX_DESCENT_STEPS:
        raise RuntimeError("powered descent did not reach the ground")
    if not terminal:
        phase[:, 0] = t
    return DescentFlight(x, m0 - m, t, np.hypot(vx, vz), phase, dry)


def powered_descent(
    height_m,
    horizontal_m_s,
    descent_m_s,
    mass_kg,
    descent: Descent,
    gravity_m_s2: float = MARS_SURFACE_GRAVITY_M_S2,
    dt_s: float = 0.05,
):
    """:func:`fly_powered_descent` as (horizontal distance m, propellant kg, duration s,
    speed at the ground m/s)."""
    f = fly_powered_descent(
        height_m, horizontal_m_s, descent_m_s, mass_kg, descent, gravity_m_s2, dt_s
    )
    return f.drift_m, f.propellant_kg, f.duration_s, f.touchdown_speed_m_s


def fly_edl(
    aeroshell: Aeroshell,
    parachute: Parachute,
    descent: Descent,
    position_m: np.ndarray,
    velocity_m_s: np.ndarray,
    atmosphere: AtmosphereTable,
    *,
    guidance: EntryGuidance | None,
    initial_bank_rad: float,
    ground_altitude_m: float,
    cd_scale=1.0,
    mass_scale=1.0,
    history_samples: int = 0,
    rtol: float = 1e-7,
    thrust_scale=1.0,
    isp_scale=1.0,
    touchdown_speed_error_m_s=0.0,
) -> EdlResult:
    """Fly a batch from the entry interface (planet-fixed states) to touchdown.

    ``thrust_scale``, ``isp_scale`` and ``touchdown_speed_error_m_s`` disperse the powered
    descent (:func:`fly_powered_descent`).

    ``rtol`` is the flight integrator's: 1e-7 as for Earth footprints (the bank is held
    over each step, so tighter tolerances buy no accuracy in the guided phase).
    """
    mass = aeroshell.mass_kg * np.asarray(mass_scale, dtype=np.float64)
    common = dict(
        planet=MARS_FLIGHT,
        atmosphere=atmosphere,
        heating=mars_heating(),
        cd_scale=cd_scale,
        ground_altitude_m=ground_altitude_m,
        rtol=rtol,
    )
    entry, mass = _fly_to_deploy(
        aeroshell,
        parachute,
        position_m,
        velocity_m_s,
        mass,
        common,
        guidance=guidance,
        initial_bank_rad=initial_bank_rad,
        history_samples=history_samples,
    )
    deployed = entry.status == STATUS_STOP_SPEED
    height = _height(entry.position_m)
    speed = np.linalg.norm(entry.velocity_m_s, axis=1)
    mach = speed / _speed_of_sound(atmosphere, height)
    q = 0.5 * _density(atmosphere, height) * speed**2
    in_box = (
        deployed
        & (mach <= parachute.max_deploy_mach)
        & (q <= parachute.max_deploy_dynamic_pressure_pa)
    )
    # on the chute: drag area of chute and capsule together (the chute's area as reference)
    chute = replace(aeroshell.aerodynamics(), lift_to_drag=None)
    chute = replace(
        chute,
        cd_continuum=np.full(
            chute.mach.size,
            parachute.drag_coefficient
            + aeroshell.hypersonic_drag_coefficient
            * aeroshell.reference_area_m2
            / parachute.area_m2,
        ),
        reference_length_m=parachute.diameter_m,
    )
    on_chute = dict(
        aerodynamics=chute,
        reference_area_m2=parachute.area_m2,
        nose_radius_m=aeroshell.nose_radius_m,
        **common,
    )
    first = fly(
        entry.position_m,
        entry.velocity_m_s,
        mass_kg=mass,
        t_max_s=descent.heatshield_separation_delay_s,
        **on_chute,
    )
    lighter = mass - descent.heatshield_mass_kg
    separation_height = ground_altitude_m + descent.backshell_separation_height_m
    second = fly(
        first.position_m,
        first.velocity_m_s,
        mass_kg=lighter,
        **{**on_chute, "ground_altitude_m": separation_height},
    )
    on_chute_ok = (first.status == STATUS_TIME_LIMIT) & (second.status == STATUS_LANDED)
    r, v = second.position_m, second.velocity_m_s
    up = r / np.linalg.norm(r, axis=1, keepdims=True)
    descent_speed = -np.sum(v * up, axis=1)
    horizontal = v - np.sum(v * up, axis=1, keepdims=True) * up
    horizontal_speed = np.linalg.norm(horizontal, axis=1)
    powered = fly_powered_descent(
        np.full(len(r), descent.backshell_separation_height_m),
        horizontal_speed,
        descent_speed,
        lighter - descent.backshell_mass_kg,
        descent,
        thrust_scale=thrust_scale,
        isp_scale=isp_scale,
        touchdown_speed_error_m_s=touchdown_speed_error_m_s,
    )
    drift, propellant = powered.drift_m, powered.propellant_kg
    duration, impact = powered.duration_s, powered.touchdown_speed_m_s
    along = horizontal / np.maximum(horizontal_speed, 1e-9)[:, None]
    landing = r + drift[:, None] * along
    lat, lon, _ = cartesian_to_geodetic(landing, MARS)
    return EdlResult(
        entry=entry,
        deploy_mach=mach,
        deploy_dynamic_pressure_pa=q,
        deploy_height_m=height - ground_altitude_m,
        deploy_in_box=in_box,
        parachute=second,
        landing_latitude_rad=lat,
        landing_longitude_rad=lon,
        propellant_kg=propellant,
        powered_descent_s=duration,
        touchdown_time_s=entry.time_s + first.time_s + second.time_s + duration,
        touchdown_speed_m_s=impact,
        status=np.select(
            [
                ~deployed,
                ~on_chute_ok,
                powered.out_of_propellant,
                impact > HARD_LANDING_FACTOR * descent.touchdown_speed_m_s,
            ],
            [EDL_NO_DEPLOY, EDL_CHUTE_PHASE, EDL_NO_PROPELLANT, EDL_HARD_LANDING],
            EDL_LANDED,
        ).astype(np.int8),
        descent_phase_s=powered.phase_s,
    )


RANGE_WINDOW_SAMPLES = 600
"""Accepted steps kept while a range trigger's window is flown (steps of at most 1 s:
ten minutes, far longer than any window between its two speeds)."""
RANGE_WINDOW_CHUNK = 2048
"""Trajectories flown at once through a range trigger's window (bounds the history's
memory, RANGE_WINDOW_SAMPLES x 12 floats each)."""


def _joined(first: FlightResult, then: FlightResult, went_on: np.ndarray) -> FlightResult:
    """One flight of two phases: ``then`` flown on from ``first``'s end where ``went_on``
    (times and heat loads add, peaks take the larger, the end state is ``then``'s)."""

    def pick(a, b):
        return np.where(went_on.reshape((-1,) + (1,) * (np.ndim(a) - 1)), b, a)

    history = None
    if first.history is not None and then.history is not None:
        later = then.history.copy()
        later[:, :, 0] += first.time_s[:, None]
        later[~went_on] = np.nan
        history = np.concatenate([first.history, later], axis=1)
    return FlightResult(
        status=pick(first.status, then.status),
        time_s=first.time_s + np.where(went_on, then.time_s, 0.0),
        position_m=pick(first.position_m, then.position_m),
        velocity_m_s=pick(first.velocity_m_s, then.velocity_m_s),
        **{
            name: pick(getattr(first, name), np.maximum(getattr(first, name), getattr(then, name)))
            for name in (
                "peak_deceleration_g",
                "peak_convective_heat_flux_w_m2",
                "peak_radiative_heat_flux_w_m2",
                "peak_dynamic_pressure_pa",
            )
        },
        heat_load_j_m2=first.heat_load_j_m2 + np.where(went_on, then.heat_load_j_m2, 0.0),
        steps=first.steps + np.where(went_on, then.steps, 0),
        bank_reversals=first.bank_reversals + np.where(went_on, then.bank_reversals, 0),
        bank_rad=pick(first.bank_rad, then.bank_rad),
        history=history,
    )


def _cut_at_range(flown: FlightResult, trigger: RangeTrigger) -> FlightResult:
    """A window flight (with history) ended where the range to the target first falls to
    the trigger's: the state linearly interpolated between the two steps about it (steps
    of at most 1 s, a few hundred metres at these speeds). Trajectories that never reach
    it keep their end (the back-up speed, or the ground)."""
    h = flown.history
    rng = trigger.range_to_target_m(h[:, :, 1:4])
    rng = np.where(np.isnan(h[:, :, 0]), np.inf, rng)
    below = rng <= trigger.range_m
    hit = below.any(axis=1)
    j = np.argmax(below, axis=1)
    rows = np.arange(h.shape[0])
    i = np.maximum(j - 1, 0)
    r0, r1 = rng[rows, i], rng[rows, j]
    span = np.where(j > 0, r0 - r1, 1.0)
    f = np.where(j > 0, np.clip((r0 - trigger.range_m) / np.where(span > 0, span, 1.0), 0, 1), 1)
    state = h[rows, i] * (1.0 - f[:, None]) + h[rows, j] * f[:, None]
    history = np.where(h[:, :, :1] > state[:, None, :1], np.nan, h)
    cut = hit & (state[:, 0] <= flown.time_s)
    return replace(
        flown,
        status=np.where(cut, STATUS_STOP_SPEED, flown.status).astype(flown.status.dtype),
        time_s=np.where(cut, state[:, 0], flown.time_s),
        position_m=np.where(cut[:, None], state[:, 1:4], flown.position_m),
        velocity_m_s=np.where(cut[:, None], state[:, 4:7], flown.velocity_m_s),
        history=np.where(cut[:, None, None], history, h),
    )


def _fly_to_deploy(
    aeroshell: Aeroshell,
    parachute: Parachute,
    position_m,
    velocity_m_s,
    mass,
    common: dict,
    *,
    guidance,
    initial_bank_rad,
    history_samples: int,
) -> tuple[FlightResult, np.ndarray]:
    """The entry from the interface to parachute deploy, and the mass at deploy.

    Phases, each flown on from the last where it reached its stop speed: the guided entry
    (to the SUFR speed with :attr:`Aeroshell.balance`, else to the trigger or the range
    trigger's earliest speed); without the balance masses at zero lift to that speed; with a
    range trigger, the window down to its latest speed, cut where the range falls to the
    trigger's. The window's heat load and peaks run a few seconds past a range deploy at
    most, where the speed is below 600 m/s (heating goes as v^3: negligible)."""
    shell = dict(reference_area_m2=aeroshell.reference_area_m2,
                 nose_radius_m=aeroshell.nose_radius_m, max_step_s=1.0, **common)  # fmt: skip
    aero = aeroshell.aerodynamics()
    balance = aeroshell.balance
    top = parachute.earliest_speed_m_s
    entry = fly(
        position_m, velocity_m_s, aerodynamics=aero, mass_kg=mass, bank_rad=initial_bank_rad,
        guidance=guidance, stop_speed_m_s=top if balance is None else balance.speed_m_s,
        history_samples=history_samples, **shell,
    )  # fmt: skip
    flown = dict(aerodynamics=aero, guidance=guidance)
    if balance is not None:
        mass = mass - balance.mass_kg
        flown = dict(aerodynamics=aeroshell.zero_incidence_aerodynamics(), guidance=None)
        went_on = entry.status == STATUS_STOP_SPEED
        straight = fly(
            entry.position_m, entry.velocity_m_s, mass_kg=mass, bank_rad=0.0,
            stop_speed_m_s=top, history_samples=history_samples, **flown, **shell,
        )  # fmt: skip
        entry = _joined(entry, straight, went_on)
    trigger = parachute.range_trigger
    if trigger is None:
        return entry, mass
    went_on = entry.status == STATUS_STOP_SPEED
    mass = np.broadcast_to(mass, went_on.shape)
    windows = []
    for lo in range(0, went_on.size, RANGE_WINDOW_CHUNK):
        part = slice(lo, lo + RANGE_WINDOW_CHUNK)
        window = fly(
            entry.position_m[part], entry.velocity_m_s[part], mass_kg=mass[part],
            bank_rad=entry.bank_rad[part], stop_speed_m_s=trigger.latest_speed_m_s,
            history_samples=RANGE_WINDOW_SAMPLES, **flown,
            **{**shell, "cd_scale": np.broadcast_to(common["cd_scale"], went_on.shape)[part],
               "atmosphere": _rows(common["atmosphere"], part, went_on.size)},
        )  # fmt: skip
        windows.append(_cut_at_range(window, trigger))
    joined = {
        f.name: np.concatenate([getattr(w, f.name) for w in windows])
        for f in fields(FlightResult)
        if f.name != "history"
    }
    window = FlightResult(
        **joined,
        history=np.concatenate([w.history for w in windows]) if history_samples else None,
    )
    return _joined(entry, window, went_on), mass


def _rows(atmosphere: AtmosphereTable, part: slice, n: int) -> AtmosphereTable:
    """The atmosphere of the trajectories in ``part`` (a dispersed table has a row each)."""
    changes = {}
    for name in ("log_density", "wind_east_m_s", "wind_north_m_s"):
        table = np.atleast_2d(np.asarray(getattr(atmosphere, name)))
        if table.shape[0] == n and n > 1:
            changes[name] = table[part]
    return replace(atmosphere, **changes) if changes else atmosphere


def armed_range_trigger(
    parachute: Parachute,
    nominal: EdlResult,
    speeds_m_s: tuple[float, float],
    target_m=None,
) -> Parachute:
    """``parachute`` with a range trigger armed on a nominal flown with its speed trigger:
    the target is ``target_m`` (planet-fixed, m; default the nominal's touchdown point) and
    the trigger range the nominal's range to it at deploy, so that the nominal opens where
    its speed trigger opened it; ``speeds_m_s`` = (earliest, latest) deploy speeds."""
    earliest, latest = speeds_m_s
    if not earliest > parachute.trigger_speed_m_s > latest:
        raise ValueError(
            f"range trigger speeds {earliest:g}, {latest:g} m/s must bracket the trigger "
            f"speed {parachute.trigger_speed_m_s:g} m/s (earliest above, latest below)"
        )
    if target_m is None:
        ground = nominal.parachute.position_m[0]
        target_m = geodetic_to_cartesian(
            nominal.landing_latitude_rad[0],
            nominal.landing_longitude_rad[0],
            _height(ground[None])[0],
            MARS,
        )[0]
    target = tuple(float(x) for x in np.ravel(target_m))
    probe = RangeTrigger(target, 0.0, earliest, latest)
    distance = float(probe.range_to_target_m(nominal.entry.position_m[0]))
    return replace(parachute, range_trigger=replace(probe, range_m=distance))


def reference_profile(aeroshell: Aeroshell, bank_rad: float, heading_speed_m_s: float):
    """The open-loop reference (bank held, lift up below the heading-alignment speed)."""
    return bank_profile(
        bank_rad, aeroshell.lift_to_drag, heading_speed_m_s, MARS_FLIGHT.equatorial_radius_m
    )


def _land_on_profile(aeroshell, parachute, descent, atmosphere, profile, bank, ground, r, v):
    flown = fly_edl(
        aeroshell,
        parachute,
        descent,
        r,
        v,
        atmosphere,
        guidance=profile,
        initial_bank_rad=bank,
        ground_altitude_m=ground,
    )
    if not flown.landed[0]:
        code = int(flown.status[0])
        raise ValueError(
            f"the nominal lander does not land: {EDL_STATUS_MESSAGES[code]}"
            + (
                f" (it hits the ground at {flown.touchdown_speed_m_s[0]:.1f} m/s)"
                if code == EDL_HARD_LANDING
                else ""
            )
            + f"; its inputs: {EDL_STATUS_INPUTS[code]}"
        )
    return flown.landing_latitude_rad, flown.landing_longitude_rad


def mars_arrival(
    aeroshell: Aeroshell,
    parachute: Parachute,
    descent: Descent,
    atmosphere: AtmosphereTable,
    *,
    initial_bank_rad: float,
    heading_speed_m_s: float,
    ground_altitude_m: float,
) -> Arrival:
    """Arrival at Mars (IAU body-fixed frame) with the whole EDL flown on the open-loop
    reference profile: what the approach is aimed with, so that the nominal lands on the
    target and the guidance designed on it aims at the same point. Picklable (the
    coupled campaign sends it to its workers)."""
    profile = reference_profile(aeroshell, initial_bank_rad, heading_speed_m_s)
    land = functools.partial(
        _land_on_profile,
        aeroshell,
        parachute,
        descent,
        atmosphere,
        profile,
        initial_bank_rad,
        ground_altitude_m,
    )
    return Arrival(MARS, mars_fixed_matrix, land)


@dataclass(frozen=True)
class GuidanceSettings:
    """Gains and phase settings of the entry guidance (SI, radians)."""

    reference_bank_rad: float
    heading_speed_m_s: float
    start_acceleration_m_s2: float
    overcontrol_gain: float
    deadband_per_speed_rad_s_m: float


def design_edl_guidance(
    aeroshell: Aeroshell,
    parachute: Parachute,
    atmosphere: AtmosphereTable,
    position_m,
    velocity_m_s,
    settings: GuidanceSettings,
    ground_altitude_m: float,
) -> EntryGuidance:
    """The Apollo final-phase guidance of an aeroshell for one nominal entry state."""
    designed, _ = design_guidance(
        position_m,
        velocity_m_s,
        reference_bank_rad=settings.reference_bank_rad,
        stop_speed_m_s=parachute.trigger_speed_m_s,
        heading_speed_m_s=settings.heading_speed_m_s,
        planet_radius_m=MARS_FLIGHT.equatorial_radius_m,
        planet=MARS_FLIGHT,
        atmosphere=atmosphere,
        aerodynamics=aeroshell.aerodynamics(),
        heating=mars_heating(),
        mass_kg=aeroshell.mass_kg,
        reference_area_m2=aeroshell.reference_area_m2,
        nose_radius_m=aeroshell.nose_radius_m,
        ground_altitude_m=ground_altitude_m,
    )
    return replace(
        designed,
        start_acceleration_m_s2=settings.start_acceleration_m_s2,
        overcontrol_gain=settings.overcontrol_gain,
        deadband_per_speed_rad_s_m=settings.deadband_per_speed_rad_s_m,
    )
