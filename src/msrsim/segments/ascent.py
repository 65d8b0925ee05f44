"""Leg 5: the Mars Ascent Vehicle's flight from the lander to the Orbiting Sample's release.

A two-stage solid rocket (NASA PIA25278; Prince, Kibbey and Karp, "A Design for a
Two-Stage Solid Mars Ascent Vehicle", AIAA Propulsion and Energy Forum 2019, NTRS
20190030430) flown as a point mass (3-DOF) for batches of trajectories:

0. **Toss**: the lander's launch system throws the MAV upward (``toss_speed``) and SRM1
   ignites ``toss_to_ignition`` later (ballistic flight in between).
1. **SRM1 burn** with thrust-vector control, steered by an open-loop programme in the
   launch frame (the launch site's up ``U0`` and the direction ``H0`` of the launch
   azimuth, frozen in inertial space): vertical rise for ``t_v``, a pitch-over to
   ``delta`` from the vertical at a constant rate over ``t_k``, then the linear-tangent law
   (the optimal steering in a uniform field without drag; Bryson and Ho, "Applied Optimal
   Control", 1975, sect. 2.7)::

       tan(el) = tan(90 deg - delta) + (tan(el_b) - tan(90 deg - delta)) (t - t1) / (t_b1 - t1)  (1)

   with ``el`` the elevation of the thrust above the launch-frame horizontal, ``t1 = t_v +
   t_k`` and ``t_b1`` the design burn time (the law runs on past it if a cold motor burns
   longer). SRM1's inert mass and the stage-1 structure separate at burnout.
2. **Coast** for a fixed time (a timer from SRM1 burnout) to near apoapsis.
3. **SRM2 burn**, spin-stabilised: the thrust holds one inertial direction, set at ignition
   from the navigated state at elevation ``theta2`` above the local horizontal and ``psi2``
   out of the orbit plane (``e = cos th cos ps T + cos th sin ps N + sin th R`` in the RTN
   frame), less the spin-axis pointing error.
4. **Release** of the Orbiting Sample ``release_delay`` after SRM2 burnout.

Equations of motion in a Mars-centred inertial frame (the Mars IAU body-fixed axes frozen at
the toss, "MCI0")::

    r'' = g_J2(r) + (F / m) e - (1/2) rho |u| CD(M) A / m u,   u = r' - w x r - wind   (2)

``g_J2`` as in :mod:`msrsim.core.flight` (Vallado 2013, eq. 8-30); the air co-rotates with
Mars (``w x r``) plus the dispersed winds; thrust from :mod:`msrsim.core.solid_motor`
(``F = mdot c_vac - p_a A_e``); mass from the motors' burnt fraction (exact, not integrated);
altitude is the radial height above the IAU ellipsoid (as in the EDL leg).

**Delta-v budget.** Along the inertial velocity ``v`` (unit ``v_hat``), eq. (2) gives exactly::

    d|v|/dt = mdot c_vac / m - p_a A_e / m - (F / m)(1 - e . v_hat)
              - (D / m)(u_hat . v_hat) + g . v_hat                                   (3)

so ``|v_release| - |v_toss| = ideal - back-pressure - steering - drag - gravity`` with
``ideal = sum c_vac ln(m0 / mf)``, the losses the time integrals of the terms of (3). They are
integrated with the state, by the same Runge-Kutta steps, so the budget closes to the
integration error. The losses are about the inertial velocity (the launch site already
moves at ``w R cos(lat)``, about 230 m/s at Jezero): the vertical rise, when thrust is
nearly normal to that velocity, counts as steering loss.

**Integration**: classical 4th-order Runge-Kutta with a fixed number of steps per phase
(per-trajectory step sizes, so every phase boundary falls on a step and every node of the
thrust-curve tables on a step boundary). One trajectory per numba thread (``prange``;
batches under 16 run serially, where threads cost more than they save), work arrays
allocated once per trajectory, none in the step loop; the result does not depend on the
thread count. The right-hand side is a called function, not inlined: inlined into the
four Runge-Kutta stages it ran slower here (1.47 against 1.04 ms a trajectory on one
thread) and took the cold compile from 11 s to 72 s.
Validated against scipy's DOP853 at tight tolerance and analytic limits
(tests/segments/test_ascent.py). Orbits are osculating; the delta-v budget gravity term
is split into the loss while burning and the coast's climb (:func:`delta_v_budget`).

Simplified, and stated: no attitude dynamics (thrust along the commanded direction, no
lift, angle of attack not limited); the OS is released with the stage's state (no
separation impulse); altitude above the ellipsoid stands for height above the areoid in
the atmosphere tables (as in the EDL leg).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange

from msrsim.core.bodies import MARS
from msrsim.core.flight import ellipsoid_height, interp_clamped, j2_gravity
from msrsim.core.solid_motor import SolidMotor, burnt_fraction, thrust_curve_shape

__all__ = [
    "ASCENT_STATUS_MESSAGES",
    "DEFAULT_STEPS",
    "EVENT_NAMES",
    "HISTORY_COLUMNS",
    "LOSS_NAMES",
    "MARS_ASCENT_PLANET",
    "PHASE_NAMES",
    "SLENDER_BODY_CD",
    "AscentAtmosphere",
    "AscentDispersions",
    "AscentMonteCarlo",
    "AscentPlan",
    "AscentResult",
    "AscentTrials",
    "AscentVehicle",
    "LaunchSite",
    "ReleaseOrbits",
    "ascent_generators",
    "burnt_mass",
    "classical_elements",
    "delta_v_budget",
    "draw_trials",
    "fly_ascent",
    "mci0_to_icrf_matrix",
    "mme_matrix",
    "nominal_trials",
    "release_orbits",
    "simulate_ascent",
]

STATUS_FLOWN = 0
STATUS_GROUND = 1
ASCENT_STATUS_MESSAGES = {
    STATUS_FLOWN: "flown to the Orbiting Sample's release",
    STATUS_GROUND: "fell back to the ground",
}

MARS_ASCENT_PLANET = np.array(
    [
        MARS.gm.value,
        MARS.j2.value,
        MARS.j2_reference_radius_m,
        MARS.equatorial_radius.value,
        1.0 - MARS.polar_radius.value / MARS.equatorial_radius.value,
        MARS.rotation_rate.value,
    ]
)
"""Mars as the kernel takes it: GM, J2, J2 radius, equatorial radius, flattening, spin."""

SLENDER_BODY_CD = (
    np.array([0.0, 0.6, 0.8, 0.9, 1.0, 1.1, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 10.0]),
    np.array([0.30, 0.30, 0.32, 0.38, 0.52, 0.60, 0.58, 0.50, 0.42, 0.37, 0.33, 0.29, 0.27, 0.25]),
)
"""Zero-lift drag coefficient against Mach number of a slender rocket with a conical nose
(fineness about 5, on the body cross-section), power-on base drag: the shape of the
published curves of sounding rockets and slender missiles, subsonic 0.3, transonic peak
0.6 near Mach 1.1, falling to 0.25 by Mach 10 (Fleeman, "Tactical Missile Design", 2nd
ed., AIAA 2006, sect. 2.5; Hoerner, "Fluid-Dynamic Drag", 1965, ch. 16). Representative:
no MAV aerodynamic database is published."""

# kernel phases
_TOSS, _SRM1, _COAST, _SRM2, _RELEASE = 0, 1, 2, 3, 4
PHASE_NAMES = ("toss", "SRM1", "coast", "SRM2", "release")
EVENT_NAMES = ("toss", "SRM1 ignition", "SRM1 burnout", "SRM2 ignition", "SRM2 burnout", "release")
DEFAULT_STEPS = (8, 400, 240, 200, 10)
"""Runge-Kutta steps per phase; the SRM1 and SRM2 counts are multiples of 400 and 200 so that
every node of the thrust-curve tables (2 % + 5 % steps) falls on a step boundary."""

LOSS_NAMES = ("ideal", "back_pressure", "gravity", "drag", "steering")
HISTORY_COLUMNS = (
    "time_s",
    "x_m",
    "y_m",
    "z_m",
    "vx_m_s",
    "vy_m_s",
    "vz_m_s",
    "mass_kg",
    "altitude_m",
    "air_speed_m_s",
    "mach",
    "dynamic_pressure_pa",
    "thrust_n",
    "flight_path_angle_rad",
    "phase",
)
_NSTATE = 11  # r, v, then the five integrals of eq. (3)


@dataclass(frozen=True)
class AscentVehicle:
    """The MAV: two burns, the structure of each stage, the payload, the body (SI).

    ``stages = 2``: two stages (SRM1's inert mass and the stage-1 structure separate at its
    burnout). ``stages = 1``: one stage whose two burns share it, nothing separating: a
    dual-pulse solid motor, or a restartable liquid engine (a motor with no temperature
    sensitivity and a neutral curve); ``srm1`` and ``srm2`` are then its two burns and
    their inert masses fly to the end.
    """

    srm1: SolidMotor
    srm2: SolidMotor
    stage1_structure_kg: float
    stage2_structure_kg: float
    payload_kg: float
    diameter_m: float
    cd_mach: np.ndarray = field(default_factory=lambda: SLENDER_BODY_CD[0].copy())
    cd: np.ndarray = field(default_factory=lambda: SLENDER_BODY_CD[1].copy())
    stages: int = 2

    def __post_init__(self):
        if self.stages not in (1, 2):
            raise ValueError(f"stages = {self.stages}: the ascent flies one or two stages")

    @property
    def separated_mass_kg(self) -> float:
        """What separates at the first burn's burnout: SRM1's inert mass and the stage-1
        structure for two stages, nothing for one."""
        return self.srm1.inert_mass_kg + self.stage1_structure_kg if self.stages == 2 else 0.0

    @property
    def reference_area_m2(self) -> float:
        return math.pi * self.diameter_m**2 / 4.0

    @property
    def stage2_mass_kg(self) -> float:
        """Mass at SRM2 ignition (full SRM2 load)."""
        return self.payload_kg + self.stage2_structure_kg + self.srm2.total_mass_kg

    @property
    def liftoff_mass_kg(self) -> float:
        """Lift-off mass with SRM2 fully loaded (the design's capacity)."""
        return self.stage2_mass_kg + self.stage1_structure_kg + self.srm1.total_mass_kg

    def flown_liftoff_mass_kg(self, srm2_load_fraction: float = 1.0) -> float:
        """Lift-off mass as flown: SRM2 loaded to ``srm2_load_fraction`` (the mass the
        ascent kernel starts from, and the one reported)."""
        return self.liftoff_mass_kg - self.srm2.propellant_mass_kg * (1.0 - srm2_load_fraction)

    def ideal_delta_v_m_s(self, srm2_load_fraction: float = 1.0) -> float:
        """``sum c_vac ln(m0 / mf)`` of both burns (Tsiolkovsky), m/s; the first burn's
        separated mass (:attr:`separated_mass_kg`) dropped before the second."""
        m2 = self.srm2.propellant_mass_kg * srm2_load_fraction
        m0 = self.flown_liftoff_mass_kg(srm2_load_fraction)
        dv1 = self.srm1.vacuum_exhaust_speed_m_s * math.log(
            m0 / (m0 - self.srm1.propellant_mass_kg)
        )
        s2 = m0 - self.srm1.propellant_mass_kg - self.separated_mass_kg
        dv2 = self.srm2.vacuum_exhaust_speed_m_s * math.log(s2 / (s2 - m2))
        return dv1 + dv2


@dataclass(frozen=True)
class LaunchSite:
    """Where and when the MAV leaves: planetodetic latitude, east longitude (rad), height of
    the ground above the ellipsoid (m), epoch of the toss (``et``)."""

    latitude_rad: float
    longitude_rad: float
    altitude_m: float
    et: float

    def position_m(self) -> np.ndarray:
        """Body-fixed (and MCI0) position of the pad, (3,)."""
        from msrsim.core.frames import geodetic_to_cartesian

        return geodetic_to_cartesian(self.latitude_rad, self.longitude_rad, self.altitude_m, MARS)[
            0
        ]

    def launch_frame(self, azimuth_rad: float) -> np.ndarray:
        """Rows: ``U0`` (ellipsoid normal), ``H0`` (horizontal along the azimuth, from north
        through east), ``C0 = U0 x H0`` (cross-range)."""
        lat, lon = self.latitude_rad, self.longitude_rad
        up = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
        east = np.array([-math.sin(lon), math.cos(lon), 0.0])
        north = np.cross(up, east)
        h = math.cos(azimuth_rad) * north + math.sin(azimuth_rad) * east
        return np.array([up, h, np.cross(up, h)])


@dataclass(frozen=True)
class AscentPlan:
    """The flight sequence and the steering parameters (SI; angles in radians).

    ``srm2_load_fraction`` (<= 1) is the SRM2 propellant loaded for the mission: a solid
    motor's total impulse is tailored by offloading propellant, which also shortens its
    burn at the same thrust. The part not loaded is the vehicle's performance margin.
    """

    toss_speed_m_s: float
    toss_to_ignition_s: float
    vertical_rise_s: float
    pitch_over_s: float
    pitch_kick_rad: float
    burnout_elevation_rad: float
    launch_azimuth_rad: float
    coast_s: float
    srm2_pitch_rad: float
    srm2_yaw_rad: float
    srm2_load_fraction: float
    release_delay_s: float

    def replace(self, **changes) -> AscentPlan:
        import dataclasses

        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class AscentAtmosphere:
    """The atmosphere as the ascent kernel reads it: levels (m), ``ln rho`` and winds with
    one row or one per trajectory, speed of sound and ``R T`` (for ``p = rho R T``)."""

    altitude_m: np.ndarray
    log_density: np.ndarray
    speed_of_sound_m_s: np.ndarray
    gas_constant_temperature: np.ndarray
    wind_east_m_s: np.ndarray
    wind_north_m_s: np.ndarray

    @classmethod
    def from_table(cls, table, wind_east_m_s=None, wind_north_m_s=None) -> AscentAtmosphere:
        """From a :class:`msrsim.core.atmosphere.TabulatedAtmosphere` (one or n rows)."""
        zeros = np.zeros((1, table.altitude_m.size))
        return cls(
            np.ascontiguousarray(table.altitude_m, np.float64),
            np.ascontiguousarray(np.atleast_2d(table.log_density), np.float64),
            np.ascontiguousarray(table.speed_of_sound_m_s, np.float64),
            np.ascontiguousarray(table.gas_constant_j_kg_k * table.temperature_k, np.float64),
            zeros if wind_east_m_s is None else np.ascontiguousarray(np.atleast_2d(wind_east_m_s)),
            zeros
            if wind_north_m_s is None
            else np.ascontiguousarray(np.atleast_2d(wind_north_m_s)),
        )

    @classmethod
    def vacuum(cls) -> AscentAtmosphere:
        """No air at all (for analytic checks)."""
        h = np.array([-1e4, 2e5])
        return cls(
            h,
            np.full((1, 2), -np.inf),
            np.full(2, 200.0),
            np.zeros(2),
            np.zeros((1, 2)),
            np.zeros((1, 2)),
        )


@dataclass(frozen=True)
class AscentTrials:
    """Per-trajectory departures from the nominal (arrays of shape (n,), or (n, 2) for the
    pointing errors). :func:`nominal_trials` gives the undispersed values."""

    srm1_temperature_c: np.ndarray
    srm2_temperature_c: np.ndarray
    srm1_isp_scale: np.ndarray
    srm2_isp_scale: np.ndarray
    srm1_burn_time_scale: np.ndarray
    srm2_burn_time_scale: np.ndarray
    mass_scale: np.ndarray
    """Multiplies the inert and structure masses (propellant loads are weighed exactly)."""
    cd_scale: np.ndarray
    toss_speed_m_s: np.ndarray
    srm1_pointing_rad: np.ndarray
    srm2_pointing_rad: np.ndarray

    @property
    def n(self) -> int:
        return int(np.size(self.cd_scale))


def nominal_trials(vehicle: AscentVehicle, plan: AscentPlan, n: int = 1) -> AscentTrials:
    """``n`` copies of the nominal: reference temperatures, no dispersion."""
    one = np.ones(n)
    return AscentTrials(
        one * vehicle.srm1.reference_temperature_c,
        one * vehicle.srm2.reference_temperature_c,
        one.copy(),
        one.copy(),
        one.copy(),
        one.copy(),
        one.copy(),
        one.copy(),
        one * plan.toss_speed_m_s,
        np.zeros((n, 2)),
        np.zeros((n, 2)),
    )


@dataclass(frozen=True)
class AscentResult:
    """Per-trajectory outcomes of :func:`fly_ascent` (SI, MCI0 frame, times since toss)."""

    status: np.ndarray
    event_time_s: np.ndarray
    """(n, 6): toss, SRM1 ignition, SRM1 burnout, SRM2 ignition, SRM2 burnout, release."""
    phase_end_state: np.ndarray
    """(n, 5, 7): position, velocity and mass at the end of each phase."""
    initial_speed_m_s: np.ndarray
    losses_m_s: np.ndarray
    """(n, 5, 5): integrals of eq. (3) from the toss to the end of each phase - ideal,
    back-pressure, gravity, drag, steering."""
    max_dynamic_pressure_pa: np.ndarray
    max_acceleration_m_s2: np.ndarray
    site: LaunchSite
    history: np.ndarray | None
    """(n_hist, rows, len(HISTORY_COLUMNS)) for the first trajectories when asked."""

    @property
    def position_m(self) -> np.ndarray:
        """Release position (n, 3), MCI0."""
        return self.phase_end_state[:, 4, :3]

    @property
    def velocity_m_s(self) -> np.ndarray:
        """Release velocity (n, 3), MCI0."""
        return self.phase_end_state[:, 4, 3:6]

    @property
    def release_time_s(self) -> np.ndarray:
        return self.event_time_s[:, 5]

    @property
    def flown(self) -> np.ndarray:
        return self.status == STATUS_FLOWN


def delta_v_budget(result: AscentResult) -> dict[str, np.ndarray]:
    """The terms of eq. (3) from the toss to the release (m/s): ``achieved = |v_release| -
    |v_toss|`` and ``closure = ideal - (losses) - achieved`` (the integration error).

    Gravity is split into the loss while the motors burn (the toss to SRM1 burnout and
    SRM2's burn) and the coast's climb (speed traded for height between the burns, which
    a speed budget counts against gravity too).
    """
    total = result.losses_m_s[:, 4]
    ideal, back, gravity, drag, steering = total.T
    coast_climb = result.losses_m_s[:, 2, 2] - result.losses_m_s[:, 1, 2]
    coast_climb += result.losses_m_s[:, 4, 2] - result.losses_m_s[:, 3, 2]
    achieved = np.linalg.norm(result.velocity_m_s, axis=1) - result.initial_speed_m_s
    return {
        "ideal": ideal,
        "back_pressure_loss": back,
        "gravity_loss": gravity - coast_climb,
        "coast_climb": coast_climb,
        "drag_loss": drag,
        "steering_loss": steering,
        "achieved": achieved,
        "closure": ideal - back - gravity - drag - steering - achieved,
    }


def classical_elements(r, v, mu: float = MARS.gm.value) -> dict[str, np.ndarray]:
    """Osculating elements of states (n, 3) about ``mu``: semi-major axis (m), eccentricity,
    inclination, node, argument of periapsis, true anomaly (rad; node measured from the
    frame's x axis), periapsis and apoapsis radii (m) (Vallado 2013, algorithm 9)."""
    r = np.atleast_2d(np.asarray(r, np.float64))
    v = np.atleast_2d(np.asarray(v, np.float64))
    rn = np.linalg.norm(r, axis=1)
    vn2 = np.einsum("ij,ij->i", v, v)
    h = np.cross(r, v)
    hn = np.linalg.norm(h, axis=1)
    node = np.cross(np.array([0.0, 0.0, 1.0]), h)
    nn = np.linalg.norm(node, axis=1)
    evec = ((vn2 - mu / rn)[:, None] * r - np.einsum("ij,ij->i", r, v)[:, None] * v) / mu
    e = np.linalg.norm(evec, axis=1)
    energy = 0.5 * vn2 - mu / rn
    a = -mu / (2.0 * energy)
    inc = np.arccos(np.clip(h[:, 2] / hn, -1.0, 1.0))
    raan = np.mod(np.arctan2(node[:, 1], node[:, 0]), 2 * np.pi)
    safe_n = np.where(nn > 0, nn, 1.0)
    safe_e = np.where(e > 0, e, 1.0)
    argp = np.arccos(np.clip(np.einsum("ij,ij->i", node, evec) / (safe_n * safe_e), -1, 1))
    argp = np.where(evec[:, 2] < 0, 2 * np.pi - argp, argp)
    nu = np.arccos(np.clip(np.einsum("ij,ij->i", evec, r) / (safe_e * rn), -1, 1))
    nu = np.where(np.einsum("ij,ij->i", r, v) < 0, 2 * np.pi - nu, nu)
    p = hn * hn / mu
    return {
        "semi_major_axis_m": a,
        "eccentricity": e,
        "inclination_rad": inc,
        "raan_rad": raan,
        "argument_of_periapsis_rad": argp,
        "true_anomaly_rad": nu,
        "periapsis_radius_m": p / (1.0 + e),
        "apoapsis_radius_m": np.where(e < 1.0, p / np.maximum(1.0 - e, 1e-300), np.inf),
    }


# --------------------------------------------------------------------------------------
# The kernel
# --------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _burnt(tau, grid, s, cum):
    """``S(tau)`` of the motor's shape (exact for the piecewise-linear table)."""
    if tau <= 0.0:
        return 0.0
    if tau >= 1.0:
        return 1.0
    lo, hi = 0, grid.shape[0] - 1
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if grid[mid] <= tau:
            lo = mid
        else:
            hi = mid
    dt = tau - grid[lo]
    slope = (s[hi] - s[lo]) / (grid[hi] - grid[lo])
    return cum[lo] + s[lo] * dt + 0.5 * slope * dt * dt


@njit(cache=True)
def _rhs(t, y, out, phase, p, air, aero, motor, ctrl, diag):
    """Eq. (2) and the integrands of eq. (3) into ``out`` at phase time ``t``.

    ``motor`` = (m_start, m_propellant, burn time, c_vac, exit area, shape grid, s, cum,
    thrusting); ``ctrl`` = steering (see :func:`_direction`); ``diag`` receives altitude,
    air speed, Mach, dynamic pressure, thrust, mass.
    """
    gm, j2, rj2, a_eq, flat, w = p[0], p[1], p[2], p[3], p[4], p[5]
    alt_grid, log_rho, sound, rt, wind_e, wind_n, has_air = air
    mach_grid, cd_tab, area, cd_scale = aero
    m_start, m_prop, t_burn, c_vac, a_exit, sgrid, sval, scum, thrusting = motor
    x, yy, z, vx, vy, vz = y[0], y[1], y[2], y[3], y[4], y[5]
    r = math.sqrt(x * x + yy * yy + z * z)
    gx, gy, gz = j2_gravity(x, yy, z, gm, j2, rj2)
    # height above the ellipsoid (radial) and the air
    alt, s_lat = ellipsoid_height(x, yy, z, a_eq, flat)
    rho = 0.0
    p_amb = 0.0
    a_sound = sound[0]
    we = 0.0
    wn = 0.0
    n_lev = alt_grid.shape[0]
    if has_air and alt < alt_grid[n_lev - 1]:
        if alt <= alt_grid[0]:
            i, f = 0, 0.0
        else:
            step = (alt_grid[n_lev - 1] - alt_grid[0]) / (n_lev - 1)
            i = min(int((alt - alt_grid[0]) / step), n_lev - 2)
            while i > 0 and alt_grid[i] > alt:
                i -= 1
            while i < n_lev - 2 and alt_grid[i + 1] <= alt:
                i += 1
            f = (alt - alt_grid[i]) / (alt_grid[i + 1] - alt_grid[i])
        g = 1.0 - f
        rho = math.exp(log_rho[i] * g + log_rho[i + 1] * f)
        p_amb = rho * (rt[i] * g + rt[i + 1] * f)
        a_sound = sound[i] * g + sound[i + 1] * f
        we = wind_e[i] * g + wind_e[i + 1] * f
        wn = wind_n[i] * g + wind_n[i + 1] * f
    # air-relative velocity: co-rotating air plus wind (east, north at the point)
    rho_xy = math.sqrt(x * x + yy * yy)
    ex, ey = -yy / rho_xy, x / rho_xy
    nx, ny, nz = -s_lat * x / rho_xy, -s_lat * yy / rho_xy, rho_xy / r
    ux = vx + w * yy - (we * ex + wn * nx)
    uy = vy - w * x - (we * ey + wn * ny)
    uz = vz - wn * nz
    u = math.sqrt(ux * ux + uy * uy + uz * uz)
    # mass and thrust
    mdot = 0.0
    if thrusting:
        tau = t / t_burn
        mass = m_start - m_prop * _burnt(tau, sgrid, sval, scum)
        if tau < 1.0:
            mdot = m_prop / t_burn * interp_clamped(tau, sgrid, sval)
    else:
        mass = m_start
    thrust = max(mdot * c_vac - p_amb * a_exit, 0.0) if mdot > 0.0 else 0.0
    dx, dy, dz = _direction(t, y, phase, ctrl)
    # drag
    q_dyn = 0.5 * rho * u * u
    drag = 0.0
    if rho > 0.0 and u > 0.0:
        cd = interp_clamped(u / a_sound, mach_grid, cd_tab) * cd_scale
        drag = q_dyn * cd * area / mass
    ax = gx + thrust / mass * dx
    ay = gy + thrust / mass * dy
    az = gz + thrust / mass * dz
    if drag > 0.0:
        ax -= drag * ux / u
        ay -= drag * uy / u
        az -= drag * uz / u
    out[0], out[1], out[2] = vx, vy, vz
    out[3], out[4], out[5] = ax, ay, az
    # eq. (3) integrands along the inertial velocity
    v = math.sqrt(vx * vx + vy * vy + vz * vz)
    if v > 1e-9:
        hx, hy, hz = vx / v, vy / v, vz / v
    else:
        hx, hy, hz = dx, dy, dz
    cos_alpha = dx * hx + dy * hy + dz * hz
    out[6] = mdot * c_vac / mass
    out[7] = mdot * c_vac / mass - thrust / mass
    out[8] = -(gx * hx + gy * hy + gz * hz)
    out[9] = drag * (ux * hx + uy * hy + uz * hz) / u if drag > 0.0 else 0.0
    out[10] = thrust / mass * (1.0 - cos_alpha)
    diag[0] = alt
    diag[1] = u
    diag[2] = u / a_sound if rho > 0.0 else 0.0  # no Mach number above the air
    diag[3] = q_dyn
    diag[4] = thrust
    diag[5] = mass
    sx, sy, sz = ax - gx, ay - gy, az - gz  # sensed: thrust and drag
    diag[6] = math.sqrt(sx * sx + sy * sy + sz * sz)


@njit(cache=True, inline="always")
def _direction(t, y, phase, ctrl):
    """Thrust direction: SRM1's programme (eq. 1) in the launch frame, SRM2's held vector.

    ``ctrl`` = (U0 (3), H0 (3), C0 (3), t_v, t_k, delta, tan(el_b), t_b1 design,
    SRM1 pointing error (2), SRM2 direction (3)).
    """
    if phase == 1:
        t_v, t_k, delta, tan_b, t_b = ctrl[9], ctrl[10], ctrl[11], ctrl[12], ctrl[13]
        if t < t_v:
            cu, ch = 1.0, 0.0
        elif t < t_v + t_k:
            th = delta * (t - t_v) / t_k
            cu, ch = math.cos(th), math.sin(th)
        else:
            t1 = t_v + t_k
            tan_a = math.cos(delta) / max(math.sin(delta), 1e-12)  # tan(90 deg - delta)
            frac = (t - t1) / max(t_b - t1, 1e-9)
            el = math.atan(tan_a + (tan_b - tan_a) * frac)  # eq. (1)
            cu, ch = math.sin(el), math.cos(el)
        dx = cu * ctrl[0] + ch * ctrl[3] + ctrl[14] * ctrl[6]
        dy = cu * ctrl[1] + ch * ctrl[4] + ctrl[14] * ctrl[7]
        dz = cu * ctrl[2] + ch * ctrl[5] + ctrl[14] * ctrl[8]
        # second error component about the cross-range axis: C0 x e
        qx = ctrl[7] * dz - ctrl[8] * dy
        qy = ctrl[8] * dx - ctrl[6] * dz
        qz = ctrl[6] * dy - ctrl[7] * dx
        dx += ctrl[15] * qx
        dy += ctrl[15] * qy
        dz += ctrl[15] * qz
        norm = math.sqrt(dx * dx + dy * dy + dz * dz)
        return dx / norm, dy / norm, dz / norm
    if phase == 3:
        return ctrl[16], ctrl[17], ctrl[18]
    return 1.0, 0.0, 0.0


@njit(cache=True, inline="always")
def _srm2_direction(y, pitch, yaw, err1, err2, ctrl):
    """SRM2's inertial direction from the state at ignition (RTN), with pointing error."""
    x, yy, z, vx, vy, vz = y[0], y[1], y[2], y[3], y[4], y[5]
    r = math.sqrt(x * x + yy * yy + z * z)
    rx, ry, rz = x / r, yy / r, z / r
    hx, hy, hz = yy * vz - z * vy, z * vx - x * vz, x * vy - yy * vx
    hn = math.sqrt(hx * hx + hy * hy + hz * hz)
    if hn < 1e-12 * r * max(math.sqrt(vx * vx + vy * vy + vz * vz), 1e-300):
        # radial (or zero) velocity: no orbit plane; any normal to r serves
        hx, hy, hz = -ry, rx, 0.0
        hn = math.sqrt(hx * hx + hy * hy)
        if hn < 1e-12:
            hx, hy, hz, hn = 1.0, 0.0, 0.0, 1.0
    nx, ny, nz = hx / hn, hy / hn, hz / hn
    tx, ty, tz = ny * rz - nz * ry, nz * rx - nx * rz, nx * ry - ny * rx
    cp, sp, cy, sy = math.cos(pitch), math.sin(pitch), math.cos(yaw), math.sin(yaw)
    ex = cp * cy * tx + cp * sy * nx + sp * rx
    ey = cp * cy * ty + cp * sy * ny + sp * ry
    ez = cp * cy * tz + cp * sy * nz + sp * rz
    # error axes: the normal component orthogonal to e, and e x it
    dot = nx * ex + ny * ey + nz * ez
    ax, ay, az = nx - dot * ex, ny - dot * ey, nz - dot * ez
    an = math.sqrt(ax * ax + ay * ay + az * az)
    ax, ay, az = ax / an, ay / an, az / an
    bx, by, bz = ey * az - ez * ay, ez * ax - ex * az, ex * ay - ey * ax
    ex += err1 * ax + err2 * bx
    ey += err1 * ay + err2 * by
    ez += err1 * az + err2 * bz
    en = math.sqrt(ex * ex + ey * ey + ez * ez)
    ctrl[16], ctrl[17], ctrl[18] = ex / en, ey / en, ez / en


@njit(cache=True)
def _fly_one(k, y0, per, shared, p, air_all, aero_tab, shapes, steps, hist, out):
    """Fly trajectory ``k`` through the five phases (fixed-step RK4) into ``out``."""
    status, times, ends, speed0, losses, max_q, max_acc = out
    # Private copies of every array the right-hand side reads: _rhs is a real call (not
    # inlined: see the module docstring), and each call takes and drops a reference on its
    # array arguments; on arrays shared between threads those atomic counts would contend.
    alt_grid_all, log_rho_all, sound_all, rt_all, wind_e_all, wind_n_all, has_air = air_all
    log_rho = log_rho_all[k] if log_rho_all.shape[0] > 1 else log_rho_all[0]
    wind_e = wind_e_all[k] if wind_e_all.shape[0] > 1 else wind_e_all[0]
    wind_n = wind_n_all[k] if wind_n_all.shape[0] > 1 else wind_n_all[0]
    air = (
        alt_grid_all.copy(),
        log_rho.copy(),
        sound_all.copy(),
        rt_all.copy(),
        wind_e.copy(),
        wind_n.copy(),
        has_air,
    )
    mach_grid, cd_tab, area = aero_tab
    aero = (mach_grid.copy(), cd_tab.copy(), area, per[k, 0])
    g1, s1, c1 = shapes[0].copy(), shapes[1].copy(), shapes[2].copy()
    g2, s2, c2 = shapes[3].copy(), shapes[4].copy(), shapes[5].copy()
    p = p.copy()
    # per-trajectory: cd_scale, m0, mp1, tb1, cvac1, ae1, dry1, mp2, tb2, cvac2, ae2,
    # durations toss, coast, release, srm1 errors (2), srm2 errors (2)
    m0, mp1, tb1, cv1, ae1, dry1 = per[k, 1], per[k, 2], per[k, 3], per[k, 4], per[k, 5], per[k, 6]
    mp2, tb2, cv2, ae2 = per[k, 7], per[k, 8], per[k, 9], per[k, 10]
    durations = (per[k, 11], tb1, per[k, 12], tb2, per[k, 13])
    ctrl = np.empty(19)
    for i in range(9):
        ctrl[i] = shared[i]
    for i in range(5):
        ctrl[9 + i] = shared[9 + i]
    ctrl[14], ctrl[15] = per[k, 14], per[k, 15]
    ctrl[16], ctrl[17], ctrl[18] = 1.0, 0.0, 0.0
    pitch2, yaw2 = shared[14], shared[15]
    y = np.zeros(_NSTATE)
    tmp = np.empty(_NSTATE)
    k1 = np.empty(_NSTATE)
    k2 = np.empty(_NSTATE)
    k3 = np.empty(_NSTATE)
    k4 = np.empty(_NSTATE)
    diag = np.empty(7)
    for i in range(6):
        y[i] = y0[k, i]
    speed0[k] = math.sqrt(y[3] * y[3] + y[4] * y[4] + y[5] * y[5])
    ground = per[k, 18]
    t_total = 0.0
    times[k, 0] = 0.0
    row = 0
    record = hist.shape[0] > k
    status[k] = STATUS_FLOWN
    mass_now = m0
    for phase in range(5):
        n_steps = steps[phase]
        duration = durations[phase]
        if phase == _SRM1:
            motor = (mass_now, mp1, tb1, cv1, ae1, g1, s1, c1, True)
        elif phase == _SRM2:
            motor = (mass_now, mp2, tb2, cv2, ae2, g2, s2, c2, True)
            _srm2_direction(y, pitch2, yaw2, per[k, 16], per[k, 17], ctrl)
        else:
            motor = (mass_now, 1.0, 1.0, 0.0, 0.0, g1, s1, c1, False)
        h = duration / n_steps if n_steps > 0 else 0.0
        t = 0.0
        _rhs(0.0, y, k1, phase, p, air, aero, motor, ctrl, diag)
        if record and row == 0:
            _store(hist, k, row, t_total, y, diag, phase)
            row += 1
        for _ in range(n_steps):
            for i in range(_NSTATE):
                tmp[i] = y[i] + 0.5 * h * k1[i]
            _rhs(t + 0.5 * h, tmp, k2, phase, p, air, aero, motor, ctrl, diag)
            max_q[k] = max(max_q[k], diag[3])
            for i in range(_NSTATE):
                tmp[i] = y[i] + 0.5 * h * k2[i]
            _rhs(t + 0.5 * h, tmp, k3, phase, p, air, aero, motor, ctrl, diag)
            for i in range(_NSTATE):
                tmp[i] = y[i] + h * k3[i]
            _rhs(t + h, tmp, k4, phase, p, air, aero, motor, ctrl, diag)
            for i in range(_NSTATE):
                y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
            t += h
            _rhs(t, y, k1, phase, p, air, aero, motor, ctrl, diag)  # the next step's first stage
            max_q[k] = max(max_q[k], diag[3])
            max_acc[k] = max(max_acc[k], diag[6])
            if record and row < hist.shape[1]:
                _store(hist, k, row, t_total + t, y, diag, phase)
                row += 1
            if diag[0] < ground and (phase > 0 or t > 0.05):
                status[k] = STATUS_GROUND
                break
        t_total += t
        if phase == _SRM1:
            mass_now = mass_now - mp1 - dry1  # burnt out; stage 1 separates
        elif phase == _SRM2:
            mass_now = mass_now - mp2
        for i in range(6):
            ends[k, phase, i] = y[i]
        ends[k, phase, 6] = mass_now
        for i in range(5):
            losses[k, phase, i] = y[6 + i]
        times[k, phase + 1] = t_total
        if status[k] != STATUS_FLOWN:
            for later in range(phase + 1, 5):
                for i in range(7):
                    ends[k, later, i] = ends[k, phase, i]
                for i in range(5):
                    losses[k, later, i] = y[6 + i]
                times[k, later + 1] = t_total
            break


@njit(cache=True)
def _store(hist, k, row, t, y, diag, phase):
    hist[k, row, 0] = t
    for i in range(6):
        hist[k, row, 1 + i] = y[i]
    hist[k, row, 7] = diag[5]
    hist[k, row, 8] = diag[0]
    hist[k, row, 9] = diag[1]
    hist[k, row, 10] = diag[2]
    hist[k, row, 11] = diag[3]
    hist[k, row, 12] = diag[4]
    r = math.sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2])
    v = math.sqrt(y[3] * y[3] + y[4] * y[4] + y[5] * y[5])
    s = (y[0] * y[3] + y[1] * y[4] + y[2] * y[5]) / max(r * v, 1e-300)
    hist[k, row, 13] = math.asin(min(1.0, max(-1.0, s)))
    hist[k, row, 14] = phase


@njit(cache=True, parallel=True)
def _fly_kernel(y0, per, shared, p, air, aero, shapes, steps, hist, out):
    for k in prange(y0.shape[0]):
        _fly_one(k, y0, per, shared, p, air, aero, shapes, steps, hist, out)


@njit(cache=True)
def _fly_serial(y0, per, shared, p, air, aero, shapes, steps, hist, out):
    for k in range(y0.shape[0]):
        _fly_one(k, y0, per, shared, p, air, aero, shapes, steps, hist, out)


def _shape_tables(motor: SolidMotor):
    grid, s = thrust_curve_shape(motor.shape)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (s[1:] + s[:-1]) * np.diff(grid))])
    return np.ascontiguousarray(grid), np.ascontiguousarray(s), cum


def fly_ascent(
    vehicle: AscentVehicle,
    plan: AscentPlan,
    site: LaunchSite,
    atmosphere: AscentAtmosphere,
    trials: AscentTrials | None = None,
    *,
    planet: np.ndarray = MARS_ASCENT_PLANET,
    steps=DEFAULT_STEPS,
    history_trajectories: int = 0,
) -> AscentResult:
    """Fly a batch of ascents from the toss to the Orbiting Sample's release.

    Parameters
    ----------
    trials : AscentTrials, optional
        Per-trajectory dispersions (default: one nominal trajectory). The atmosphere may
        hold one row for all or one row per trajectory.
    planet : (6,) array
        GM, J2, J2 radius, equatorial radius, flattening, spin (:data:`MARS_ASCENT_PLANET`);
        zeroed terms give the analytic limits of the tests.
    steps : 5 ints
        Runge-Kutta steps per phase (toss, SRM1, coast, SRM2, release); 0 skips a phase.
    history_trajectories : int
        Record every step of the first trajectories (for plots and checks).
    """
    trials = nominal_trials(vehicle, plan) if trials is None else trials
    n = trials.n
    s1, s2 = vehicle.srm1, vehicle.srm2
    load = plan.srm2_load_fraction
    if not 0.0 < load <= 1.0 + 1e-12:
        raise ValueError(f"srm2_load_fraction = {load}: must be in (0, 1]")
    mass_scale = np.asarray(trials.mass_scale, np.float64)
    dry1 = (s1.inert_mass_kg + vehicle.stage1_structure_kg) * mass_scale
    dry2 = (s2.inert_mass_kg + vehicle.stage2_structure_kg) * mass_scale
    if vehicle.stages == 1:  # nothing separates: the first burn's dry mass flies on
        dry1, dry2 = np.zeros_like(dry1), dry2 + dry1
    mp1 = np.full(n, s1.propellant_mass_kg)
    mp2 = np.full(n, s2.propellant_mass_kg * load)
    m0 = vehicle.payload_kg + dry2 + mp2 + dry1 + mp1
    tb1 = s1.burn_time_at(trials.srm1_temperature_c) * trials.srm1_burn_time_scale
    tb2 = s2.burn_time_at(trials.srm2_temperature_c) * trials.srm2_burn_time_scale * load
    per = np.empty((n, 19))
    per[:, 0] = trials.cd_scale
    per[:, 1] = m0
    per[:, 2] = mp1
    per[:, 3] = tb1
    per[:, 4] = s1.vacuum_exhaust_speed_m_s * trials.srm1_isp_scale
    per[:, 5] = s1.exit_area_m2
    per[:, 6] = dry1
    per[:, 7] = mp2
    per[:, 8] = tb2
    per[:, 9] = s2.vacuum_exhaust_speed_m_s * trials.srm2_isp_scale
    per[:, 10] = s2.exit_area_m2
    per[:, 11] = plan.toss_to_ignition_s
    per[:, 12] = plan.coast_s
    per[:, 13] = plan.release_delay_s
    per[:, 14:16] = trials.srm1_pointing_rad
    per[:, 16:18] = trials.srm2_pointing_rad
    per[:, 18] = 0.0
    if not np.all(np.isfinite(per)) or np.any(per[:, [0, 1, 2, 3, 4, 7, 8, 9]] <= 0.0):
        raise ValueError("vehicle figures and dispersions must be finite and positive")
    frame = site.launch_frame(plan.launch_azimuth_rad)
    r_site = site.position_m()
    planet = np.asarray(planet, np.float64)
    w = planet[5]
    up = frame[0]
    y0 = np.empty((n, 6))
    y0[:, :3] = r_site
    y0[:, 3:] = np.array([-w * r_site[1], w * r_site[0], 0.0]) + np.outer(trials.toss_speed_m_s, up)
    ground = _kernel_altitude(r_site, planet) - 1.0
    per[:, 18] = ground
    shared = np.concatenate(
        [
            frame.ravel(),
            [
                plan.vertical_rise_s,
                plan.pitch_over_s,
                plan.pitch_kick_rad,
                math.tan(plan.burnout_elevation_rad),
                s1.burn_time_s,
                plan.srm2_pitch_rad,
                plan.srm2_yaw_rad,
            ],
        ]
    )
    has_air = bool(np.any(np.isfinite(atmosphere.log_density)))
    for name in ("log_density", "wind_east_m_s", "wind_north_m_s"):
        rows = getattr(atmosphere, name).shape[0]
        if rows not in (1, n):
            raise ValueError(f"atmosphere.{name} has {rows} rows: need 1 or {n}")
    air = (
        atmosphere.altitude_m,
        atmosphere.log_density,
        atmosphere.speed_of_sound_m_s,
        atmosphere.gas_constant_temperature,
        atmosphere.wind_east_m_s,
        atmosphere.wind_north_m_s,
        has_air,
    )
    aero = (
        np.ascontiguousarray(vehicle.cd_mach, np.float64),
        np.ascontiguousarray(vehicle.cd, np.float64),
        vehicle.reference_area_m2,
    )
    shapes = (*_shape_tables(s1), *_shape_tables(s2))
    steps = np.asarray(steps, np.int64)
    rows = int(steps.sum()) + 1
    hist = np.full((min(history_trajectories, n), rows, len(HISTORY_COLUMNS)), np.nan)
    out = (
        np.zeros(n, np.int8),
        np.zeros((n, 6)),
        np.zeros((n, 5, 7)),
        np.zeros(n),
        np.zeros((n, 5, 5)),
        np.zeros(n),
        np.zeros(n),
    )
    kernel = _fly_kernel if n >= 16 else _fly_serial  # threads cost more than one flight
    kernel(y0, per, shared, planet, air, aero, shapes, steps, hist, out)
    status, times, ends, speed0, losses, max_q, max_acc = out
    return AscentResult(
        status,
        times,
        ends,
        speed0,
        losses,
        max_q,
        max_acc,
        site,
        hist if history_trajectories > 0 else None,
    )


def _kernel_altitude(r, planet) -> float:
    """The kernel's altitude (radial height above the ellipsoid) of one position."""
    a_eq, flat = planet[3], planet[4]
    rn = float(np.linalg.norm(r))
    s = r[2] / rn
    e2 = flat * (2.0 - flat)
    return rn - a_eq * (1.0 - flat) / math.sqrt(1.0 - e2 * (1.0 - s * s))


def burnt_mass(motor: SolidMotor, t_s, burn_time_s) -> np.ndarray:
    """Propellant burnt ``t_s`` after ignition (kg), eq. (1) of :mod:`msrsim.core.solid_motor`."""
    return motor.propellant_mass_kg * burnt_fraction(np.asarray(t_s) / burn_time_s, motor.shape)


# --------------------------------------------------------------------------------------
# Dispersions and the Monte Carlo
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AscentDispersions:
    """1-sigma errors of the Monte Carlo (SI; angles in radians). The propellant
    temperature (both motors, which share the MAV's thermal enclosure) is uniform in
    ``temperature_range_c``; the rest are normal."""

    temperature_range_c: tuple[float, float]
    isp_sigma_fraction: float
    burn_time_sigma_fraction: float
    mass_sigma_fraction: float
    drag_sigma_fraction: float
    density_sigma_scale: float
    wind_sigma_scale: float
    toss_speed_sigma_m_s: float
    srm1_pointing_sigma_rad: float
    srm2_pointing_sigma_rad: float


_DRAW_STREAMS = 4  # vehicle, pointing, density, winds


def draw_trials(
    dispersions: AscentDispersions,
    plan: AscentPlan,
    profile,
    generators,
    n: int,
    density_dispersion=None,
    wind_dispersion=None,
) -> tuple[AscentTrials, AscentAtmosphere]:
    """Draw ``n`` trials from four generators (vehicle, pointing, density, winds).

    Each generator is read once, as one ``(n, k)`` block of standard normals (the uniform
    temperature is ``Phi`` of a normal), so drawing a Monte Carlo in consecutive chunks from
    the same generators gives the same trials as drawing it at once.
    """
    from scipy.special import ndtr

    from msrsim.core.atmosphere.mars import MARS_DENSITY_DISPERSION, MARS_WIND_DISPERSION

    vehicle_rng, pointing_rng, density_rng, wind_rng = generators
    d = dispersions
    z = vehicle_rng.standard_normal((n, 8))
    lo, hi = d.temperature_range_c
    temperature = lo + (hi - lo) * ndtr(z[:, 0])
    pointing = pointing_rng.standard_normal((n, 4))
    trials = AscentTrials(
        srm1_temperature_c=temperature,
        srm2_temperature_c=temperature.copy(),
        srm1_isp_scale=1.0 + d.isp_sigma_fraction * z[:, 1],
        srm2_isp_scale=1.0 + d.isp_sigma_fraction * z[:, 2],
        srm1_burn_time_scale=1.0 + d.burn_time_sigma_fraction * z[:, 3],
        srm2_burn_time_scale=1.0 + d.burn_time_sigma_fraction * z[:, 4],
        mass_scale=1.0 + d.mass_sigma_fraction * z[:, 5],
        cd_scale=np.maximum(1.0 + d.drag_sigma_fraction * z[:, 6], 0.05),
        toss_speed_m_s=np.maximum(plan.toss_speed_m_s + d.toss_speed_sigma_m_s * z[:, 7], 0.0),
        srm1_pointing_rad=d.srm1_pointing_sigma_rad * pointing[:, :2],
        srm2_pointing_rad=d.srm2_pointing_sigma_rad * pointing[:, 2:],
    )
    density = MARS_DENSITY_DISPERSION if density_dispersion is None else density_dispersion
    winds = MARS_WIND_DISPERSION if wind_dispersion is None else wind_dispersion
    h = profile.altitude_m
    dispersed = density.apply(profile, density_rng, n, h)
    log_rho = profile.log_density + d.density_sigma_scale * (
        dispersed.log_density - profile.log_density
    )
    east, north = winds.draw(wind_rng, n, h)
    import dataclasses

    table = dataclasses.replace(dispersed, log_density=log_rho)
    return trials, AscentAtmosphere.from_table(
        table, east * d.wind_sigma_scale, north * d.wind_sigma_scale
    )


def ascent_generators(seed_sequence: np.random.SeedSequence) -> list[np.random.Generator]:
    """The four generators of :func:`draw_trials`, children of one seed sequence."""
    return [np.random.default_rng(s) for s in seed_sequence.spawn(_DRAW_STREAMS)]


def _concatenate(parts: list[AscentResult]) -> AscentResult:
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    return AscentResult(
        *(
            np.concatenate([getattr(p, name) for p in parts])
            for name in (
                "status",
                "event_time_s",
                "phase_end_state",
                "initial_speed_m_s",
                "losses_m_s",
                "max_dynamic_pressure_pa",
                "max_acceleration_m_s2",
            )
        ),
        first.site,
        None,
    )


def _concatenate_trials(parts: list[AscentTrials]) -> AscentTrials:
    import dataclasses

    return AscentTrials(
        *(np.concatenate([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(parts[0]))
    )


@dataclass(frozen=True)
class AscentMonteCarlo:
    """The dispersed ascents: what was drawn and what was flown."""

    trials: AscentTrials
    result: AscentResult


def simulate_ascent(
    vehicle: AscentVehicle,
    plan: AscentPlan,
    site: LaunchSite,
    profile,
    dispersions: AscentDispersions,
    n: int,
    seed_sequence: np.random.SeedSequence,
    *,
    chunk: int = 5000,
    steps=DEFAULT_STEPS,
    progress=None,
) -> AscentMonteCarlo:
    """``n`` dispersed ascents, drawn and flown ``chunk`` at a time (the results do not
    depend on ``chunk``). ``profile`` is the mean
    :class:`~msrsim.core.atmosphere.TabulatedAtmosphere`; ``progress(done, total)`` is
    called after each chunk."""
    if n < 1:
        raise ValueError(f"trials = {n}: must be at least 1")
    generators = ascent_generators(seed_sequence)
    drawn, flown = [], []
    done = 0
    while done < n:
        m = min(chunk, n - done)
        trials, atmosphere = draw_trials(dispersions, plan, profile, generators, m)
        drawn.append(trials)
        flown.append(fly_ascent(vehicle, plan, site, atmosphere, trials, steps=steps))
        done += m
        if progress is not None:
            progress(done, n)
    return AscentMonteCarlo(_concatenate_trials(drawn), _concatenate(flown))


# --------------------------------------------------------------------------------------
# Release orbits: frames, a common epoch, statistics
# --------------------------------------------------------------------------------------


def mci0_to_icrf_matrix(et: float) -> np.ndarray:
    """Rotation MCI0 -> ICRF (the transpose of the Mars IAU matrix at the toss)."""
    from msrsim.core.frames import mars_fixed_matrix

    return mars_fixed_matrix(et)[0].T


def mme_matrix(et: float) -> np.ndarray:
    """Rotation ICRF -> Mars mean equator and IAU vector of date (MME): z along the IAU
    pole, x along the ascending node of Mars's equator on the ICRF equator."""
    from msrsim.core.frames import equator_pole

    pole = equator_pole(et, MARS)[0]
    x = np.cross([0.0, 0.0, 1.0], pole)
    x /= np.linalg.norm(x)
    return np.array([x, np.cross(pole, x), pole])


@dataclass(frozen=True)
class ReleaseOrbits:
    """The Orbiting Sample's orbits, all mapped to one epoch (two-body over the few
    seconds between each release and ``epoch_et``)."""

    epoch_et: float
    state_icrf: np.ndarray
    """(n, 6) Mars-centred ICRF position and velocity, m and m/s."""
    elements_mme: dict[str, np.ndarray]
    """Osculating elements in the MME frame (:func:`mme_matrix`)."""
    flown: np.ndarray
    periapsis_altitude_m: np.ndarray
    apoapsis_altitude_m: np.ndarray


def release_orbits(
    result: AscentResult, epoch_et: float | None = None, reference_radius_m: float | None = None
) -> ReleaseOrbits:
    """Each trajectory's released state at ``epoch_et`` (default: the first trajectory's
    release), in ICRF, with MME elements and periapsis/apoapsis altitudes above
    ``reference_radius_m`` (default: Mars's mean radius)."""
    from msrsim.core.conics import propagate

    site = result.site
    if epoch_et is None:
        epoch_et = site.et + float(result.release_time_s[0])
    dt = epoch_et - (site.et + result.release_time_s)
    r, v = propagate(result.position_m, result.velocity_m_s, dt, MARS.gm.value)
    to_icrf = mci0_to_icrf_matrix(site.et)
    r_icrf, v_icrf = r @ to_icrf.T, v @ to_icrf.T
    to_mme = mme_matrix(epoch_et)
    elements = classical_elements(r_icrf @ to_mme.T, v_icrf @ to_mme.T)
    radius = MARS.mean_radius.value if reference_radius_m is None else reference_radius_m
    return ReleaseOrbits(
        epoch_et,
        np.hstack([r_icrf, v_icrf]),
        elements,
        result.flown,
        elements["periapsis_radius_m"] - radius,
        elements["apoapsis_radius_m"] - radius,
    )
