"""The MAV's steering, found by optimisation: the launch azimuth, the pitch programme, the
coast and SRM2's attitude that reach the target orbit with the largest margin.

**Launch azimuth** (Vallado, "Fundamentals of Astrodynamics and Applications", 4th ed.,
2013, sect. 6.4.1, eqs. 6-19 and 6-20)::

    sin(beta_I) = cos(i) / cos(lat),                                                 (1)
    tan(beta_R) = (v sin(beta_I) - w R cos(lat)) / (v cos(beta_I))                   (2)

``beta_I`` the inertial azimuth of the orbit's ground track at the site's latitude
(ascending pass, north-east), ``beta_R`` the azimuth to fly from the rotating ground so
that the site's eastward speed ``w R cos(lat)`` is accounted for, ``v`` the orbital speed.
An inclination below the site's latitude cannot be reached directly (a dog-leg); (1)
then has no solution and the due-east azimuth is the start.

**Optimisation.** A solid motor burns to depletion, so a two-stage solid reaches an exact
orbit only by spending its surplus: here the surplus is left on the ground as SRM2
propellant not loaded (:class:`~msrsim.segments.ascent.AscentPlan`'s
``srm2_load_fraction``), and the best steering is the one that needs the least: the
problem is::

    minimise f (SRM2 load fraction) over x = (delta, el_b, t_coast, theta2, psi2, beta, f)
    subject to  r = r_target,  v_r = 0,  v_h = sqrt(GM / r_target),  i = i_target   (3)

``delta`` the pitch-over angle, ``el_b`` the programme's burnout elevation (eq. 1 of
:mod:`msrsim.segments.ascent`), ``t_coast`` the coast, ``theta2, psi2`` SRM2's attitude,
``beta`` the launch azimuth, within the scenario's programme limits (bounds). The
constraints (3), at release and osculating, say "circular at the target radius" smoothly
(periapsis and apoapsis radii have a cone point at e = 0, which stalls a gradient method).
Solved in three steps on scaled variables, gradients by forward differences of the nominal
flight (about 1.5 ms each): a least-squares solve of (3) over every variable, the load
included (bounded by 1), from three pitch-overs (a feasible start; if none exists the
vehicle cannot reach the orbit), SLSQP (Kraft, DFVLR-FB 88-28, 1988, through scipy) for
the least load, and a least-squares polish of (3) at that load.
The margin is the propellant left off, in kg and as ideal delta-v (the full load's minus
the flown load's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares, minimize

from msrsim.core.bodies import MARS
from msrsim.segments.ascent import (
    DEFAULT_STEPS,
    AscentAtmosphere,
    AscentPlan,
    AscentResult,
    AscentVehicle,
    LaunchSite,
    classical_elements,
    fly_ascent,
)

__all__ = [
    "AscentDesign",
    "AscentTarget",
    "PitchLimits",
    "design_ascent",
    "launch_azimuth",
]

DEG = math.pi / 180.0


def launch_azimuth(
    inclination_rad: float,
    latitude_rad: float,
    orbital_speed_m_s: float,
    spin_rad_s: float = MARS.rotation_rate.value,
    radius_m: float = MARS.equatorial_radius.value,
) -> tuple[float, float]:
    """Inertial and rotating-ground launch azimuths (rad from north), eqs. (1) and (2).

    Ascending pass (north-eastward). Where ``i < |lat|`` the orbit cannot be reached
    directly and due east (pi/2) is returned for both.
    """
    ratio = math.cos(inclination_rad) / math.cos(latitude_rad)
    if abs(ratio) > 1.0:
        return math.pi / 2.0, math.pi / 2.0
    beta_i = math.asin(ratio)  # eq. (1)
    v_rot = spin_rad_s * radius_m * math.cos(latitude_rad)
    beta_r = math.atan2(
        orbital_speed_m_s * math.sin(beta_i) - v_rot, orbital_speed_m_s * math.cos(beta_i)
    )  # eq. (2)
    return beta_i, beta_r


@dataclass(frozen=True)
class AscentTarget:
    """The orbit to reach: circular altitude above ``reference_radius_m`` and inclination
    (rad) to Mars's equator (osculating, at release)."""

    altitude_m: float
    inclination_rad: float
    reference_radius_m: float = MARS.mean_radius.value


@dataclass(frozen=True)
class PitchLimits:
    """Bounds of the steering parameters (rad, s), the scenario's programme limits."""

    pitch_kick_rad: tuple[float, float] = (1.0 * DEG, 40.0 * DEG)
    burnout_elevation_rad: tuple[float, float] = (-20.0 * DEG, 60.0 * DEG)
    coast_s: tuple[float, float] = (30.0, 1500.0)
    srm2_pitch_rad: tuple[float, float] = (-30.0 * DEG, 30.0 * DEG)
    srm2_yaw_rad: tuple[float, float] = (-30.0 * DEG, 30.0 * DEG)
    azimuth_window_rad: float = 30.0 * DEG
    """Half-width of the azimuth search about eq. (2)'s value."""
    min_srm2_load_fraction: float = 0.3


@dataclass(frozen=True)
class AscentDesign:
    """The optimised steering and what it achieves."""

    plan: AscentPlan
    nominal: AscentResult
    target: AscentTarget
    converged: bool
    message: str
    evaluations: int
    residual_km_deg: np.ndarray
    """(3,): periapsis and apoapsis altitude misses (km) and inclination miss (deg)."""
    margin_propellant_kg: float
    margin_delta_v_m_s: float
    azimuth_inertial_rad: float
    azimuth_rotating_rad: float


_SCALE = np.array([10 * DEG, 10 * DEG, 100.0, 10 * DEG, 10 * DEG, 10 * DEG, 0.1])


def _plan_of(base: AscentPlan, z: np.ndarray) -> AscentPlan:
    x = z * _SCALE
    return base.replace(
        pitch_kick_rad=float(x[0]),
        burnout_elevation_rad=float(x[1]),
        coast_s=float(x[2]),
        srm2_pitch_rad=float(x[3]),
        srm2_yaw_rad=float(x[4]),
        launch_azimuth_rad=float(x[5]),
        srm2_load_fraction=float(x[6]),
    )


def _z_of(plan: AscentPlan) -> np.ndarray:
    x = np.array(
        [
            plan.pitch_kick_rad,
            plan.burnout_elevation_rad,
            plan.coast_s,
            plan.srm2_pitch_rad,
            plan.srm2_yaw_rad,
            plan.launch_azimuth_rad,
            plan.srm2_load_fraction,
        ]
    )
    return x / _SCALE


def _misses(result: AscentResult, target: AscentTarget) -> np.ndarray:
    """The smooth targets of a circular orbit at release: radius miss (km), radial speed and
    horizontal-speed miss from circular (10 m/s), inclination miss (0.1 deg).

    ``e = 0`` and ``a = r_target`` hold exactly when ``r = r_target``, ``v_r = 0`` and
    ``v_h = sqrt(GM / r_target)``; unlike periapsis and apoapsis radii (which have a cone
    point at ``e = 0``), these are smooth in the steering, as SLSQP needs.
    """
    r = result.position_m[0]
    v = result.velocity_m_s[0]
    rn = float(np.linalg.norm(r))
    v_r = float(r @ v) / rn
    v_h = float(np.linalg.norm(v - v_r * r / rn))
    goal = target.reference_radius_m + target.altitude_m
    el = classical_elements(r, v)
    miss = np.array(
        [
            (rn - goal) / 1e3,
            v_r / 10.0,
            (v_h - math.sqrt(MARS.gm.value / goal)) / 10.0,
            (el["inclination_rad"][0] - target.inclination_rad) / (0.1 * DEG),
        ]
    )
    if result.status[0] != 0:  # fell back to the ground
        miss[0] -= 1000.0
    return miss


def _orbit_misses(result: AscentResult, target: AscentTarget) -> np.ndarray:
    """Periapsis and apoapsis altitude misses (km) and inclination miss (deg)."""
    el = classical_elements(result.position_m, result.velocity_m_s)
    goal = target.reference_radius_m + target.altitude_m
    return np.array(
        [
            (el["periapsis_radius_m"][0] - goal) / 1e3,
            (el["apoapsis_radius_m"][0] - goal) / 1e3,
            (el["inclination_rad"][0] - target.inclination_rad) / DEG,
        ]
    )


def _unreachable(vehicle: AscentVehicle, target: AscentTarget, final: np.ndarray) -> str:
    return (
        f"no steering within the pitch programme limits reaches the "
        f"{target.altitude_m / 1e3:.0f} km, {target.inclination_rad / DEG:.1f} deg orbit: "
        f"the closest misses periapsis by {final[0]:+.1f} km, apoapsis by {final[1]:+.1f} km "
        f"and inclination by {final[2]:+.3f} deg (ideal delta-v "
        f"{vehicle.ideal_delta_v_m_s():.0f} m/s; more propellant, less inert mass, a lower "
        "orbit or wider pitch limits)"
    )


def design_ascent(
    vehicle: AscentVehicle,
    site: LaunchSite,
    atmosphere: AscentAtmosphere,
    target: AscentTarget,
    base: AscentPlan,
    limits: PitchLimits = PitchLimits(),
    *,
    steps=DEFAULT_STEPS,
    tolerance_km: float = 0.05,
    max_iterations: int = 200,
) -> AscentDesign:
    """Solve the optimisation problem of the module docstring, starting from ``base`` (whose
    toss, vertical rise, pitch-over duration and release delay are kept).

    ``tolerance_km`` bounds the periapsis and apoapsis misses of the result (the polish
    step meets the targets to about 1e-8 km); the inclination is met to 0.01 deg or better.

    Raises
    ------
    ValueError
        When no steering within the limits reaches the target (naming the misses): the
        vehicle lacks the performance for that orbit, or the limits are too tight.
    """
    r_orbit = target.reference_radius_m + target.altitude_m
    speed = math.sqrt(MARS.gm.value / r_orbit)
    beta_i, beta_r = launch_azimuth(target.inclination_rad, site.latitude_rad, speed)
    lo = np.array(
        [
            limits.pitch_kick_rad[0],
            limits.burnout_elevation_rad[0],
            limits.coast_s[0],
            limits.srm2_pitch_rad[0],
            limits.srm2_yaw_rad[0],
            beta_r - limits.azimuth_window_rad,
            limits.min_srm2_load_fraction,
        ]
    )
    hi = np.array(
        [
            limits.pitch_kick_rad[1],
            limits.burnout_elevation_rad[1],
            limits.coast_s[1],
            limits.srm2_pitch_rad[1],
            limits.srm2_yaw_rad[1],
            beta_r + limits.azimuth_window_rad,
            1.0,
        ]
    )
    evaluations = 0
    cache: dict[bytes, np.ndarray] = {}

    def misses(z):
        nonlocal evaluations
        key = np.round(z, 12).tobytes()
        if key not in cache:
            evaluations += 1
            flown = fly_ascent(vehicle, _plan_of(base, z), site, atmosphere, steps=steps)
            cache[key] = _misses(flown, target)
            if len(cache) > 64:
                cache.pop(next(iter(cache)))
        return cache[key]

    zlo, zhi = lo / _SCALE, hi / _SCALE
    start = base.replace(launch_azimuth_rad=beta_r, srm2_load_fraction=1.0)
    z0 = np.clip(_z_of(start), zlo, zhi)

    def solve_targets(z_from, free, kick=None, budget=300):
        """Least squares on the four targets over the ``free`` variables."""
        guess = z_from[free].copy()
        if kick is not None:
            guess[0] = np.clip(kick, zlo[0], zhi[0])

        def fit(zf):
            z = z_from.copy()
            z[free] = zf
            return misses(z)

        sol = least_squares(
            fit,
            guess,
            bounds=(zlo[free], zhi[free]),
            x_scale="jac",
            diff_step=1e-7,
            xtol=1e-12,
            ftol=1e-12,
            gtol=1e-12,
            max_nfev=budget,
        )
        z = z_from.copy()
        z[free] = sol.x
        return z, float(np.max(np.abs(sol.fun)))

    # 1. a feasible start: the targets by least squares over every variable, the SRM2 load
    #    included (it sets the energy); from three pitch-overs, a short try each, then on
    #    from the closest. No solution with a load up to 1: the orbit is out of reach.
    every, steering = np.arange(7), np.arange(6)
    z0[6] = 0.9 / _SCALE[6]
    z_start, worst = None, np.inf
    for kick in (0.6 * zhi[0], 15 * DEG / _SCALE[0], 5 * DEG / _SCALE[0]):
        z, w = solve_targets(z0, every, kick, budget=40)
        if w < worst:
            z_start, worst = z, w
        if worst < 1e-3:
            break
    if worst >= 1e-3:
        z_start, worst = solve_targets(z_start, every, budget=300)
    if worst > 1e-3:
        final = _orbit_misses(
            fly_ascent(vehicle, _plan_of(base, z_start), site, atmosphere, steps=steps), target
        )
        raise ValueError(_unreachable(vehicle, target, final))
    # 2. the largest margin: the least SRM2 load that still reaches the orbit
    result = minimize(
        lambda z: z[6],
        z_start,
        jac=lambda z: np.eye(7)[6],
        method="SLSQP",
        bounds=list(zip(zlo, zhi, strict=True)),
        constraints=[{"type": "eq", "fun": misses}],
        options={"maxiter": max_iterations, "ftol": 1e-9, "eps": 1e-7},
    )
    # 3. polish the targets at that load (SLSQP meets equalities only to its tolerance)
    z_best, worst = solve_targets(np.clip(result.x, zlo, zhi), steering)
    if worst > 1e-3 or z_best[6] > z_start[6]:
        z_best = z_start
    final = _orbit_misses(
        fly_ascent(vehicle, _plan_of(base, z_best), site, atmosphere, steps=steps), target
    )
    plan = _plan_of(base, z_best)
    converged = bool(np.max(np.abs(final[:2])) <= tolerance_km and abs(final[2]) <= 0.01)
    if not converged:
        raise ValueError(_unreachable(vehicle, target, final))
    nominal = fly_ascent(vehicle, plan, site, atmosphere, steps=steps, history_trajectories=1)
    left = vehicle.srm2.propellant_mass_kg * (1.0 - plan.srm2_load_fraction)
    margin_dv = vehicle.ideal_delta_v_m_s(1.0) - vehicle.ideal_delta_v_m_s(plan.srm2_load_fraction)
    return AscentDesign(
        plan,
        nominal,
        target,
        converged,
        str(result.message),
        evaluations,
        final,
        left,
        margin_dv,
        beta_i,
        beta_r,
    )
