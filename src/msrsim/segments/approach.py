"""Earth approach: B-plane targeting of the entry, capsule release, the orbiter's divert.

The return transfer (a ballistic Lambert arc, :mod:`msrsim.segments.windows`) fixes the
hyperbolic excess velocity at Earth, ``v_inf``. What remains free is where the approach
asymptote pierces the B-plane (:mod:`msrsim.core.conics`) and when: the aiming point's
distance ``b`` from Earth's centre sets the flight-path angle at the entry interface, its
angle ``theta`` in the plane and the arrival epoch (Earth's rotation) set where the capsule
lands. :func:`target_approach` solves for ``theta`` and the epoch so that the nominal
capsule, flown through the atmosphere by :mod:`msrsim.segments.entry`, lands on the
target, the way Stardust, Genesis and OSIRIS-REx were targeted (Desai et al., J. Spacecr.
Rockets 45(6), 2008): first a geometric scan of entry points over one day, then Newton
iterations on flown trajectories.

Release and divert follow the ESA plan for MSR (ESA 2023): the orbiter releases the Earth
Entry System about three days out, on the entry trajectory, then diverts onto a flyby
whose perigee clears the atmosphere. The divert is the smallest impulse at its epoch that
raises the perigee to the required altitude; the chance that the orbiter itself hits
Earth comes from a Monte Carlo of its execution errors plus the chance the burn never
happens.

Simplifications, stated: the approach is a two-body Earth-centred conic (over three days
the Moon and Sun move the aim point by some kilometres, which a real campaign's last
trajectory corrections absorb); ``v_inf`` is held fixed while the arrival epoch moves by
hours (a change of order cm/s in the heliocentric arc); ICRF axes stand for GCRS; the
B-plane ``T`` axis is referred to the ICRF pole (EME2000 convention).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from msrsim.core.bodies import DAY_S, EARTH, SUN, Body
from msrsim.core.conics import (
    approach_state,
    impact_parameter,
    periapsis_radius_of_state,
    propagate,
)
from msrsim.core.ephemeris import get_ephemeris
from msrsim.core.flight import AtmosphereTable
from msrsim.core.frames import (
    cartesian_to_geodetic,
    ellipsoid_radius,
    geodetic_to_cartesian,
    icrf_to_ecliptic_matrix,
    itrs_matrix,
)
from msrsim.core.lambert import STATUS_OK, solve_lambert
from msrsim.segments.entry import Capsule, fly_entry, local_offsets_m
from msrsim.segments.windows import Transfer

MU_EARTH = EARTH.gm.value
IMPACT_ALTITUDE_M = 100e3
"""A perigee below this altitude (the Karman line) counts as hitting Earth: at ~11 km/s a
spacecraft passing lower is captured by drag."""


def arrival_v_infinity(transfer: Transfer, max_revs: int = 1, departure_body: str = "mars",
                       arrival_body: str = "earth") -> np.ndarray:  # fmt: skip
    """The hyperbolic excess velocity (ICRF, m/s) at the arrival body of a transfer.

    Re-solves the transfer's Lambert problem and picks, among its arcs, the one whose
    ``|v_inf|`` matches the transfer's (the arcs of one type share the type number).
    """
    eph = get_ephemeris()
    dep = eph.state(departure_body, np.array([transfer.departure_et]), "sun")
    arr = eph.state(arrival_body, np.array([transfer.arrival_et]), "sun")
    to_ecliptic = icrf_to_ecliptic_matrix()
    sol = solve_lambert(
        dep.r @ to_ecliptic.T,
        arr.r @ to_ecliptic.T,
        np.array([transfer.tof_s]),
        SUN.gm.value,
        max_revs=max_revs,
    )
    v_inf = sol.v2[0] @ to_ecliptic - arr.v[0]
    speeds = np.where(sol.status[0] == STATUS_OK, np.linalg.norm(v_inf, axis=1), np.nan)
    if not np.any(np.isfinite(speeds)):
        raise ValueError("the transfer's Lambert problem has no solution")
    best = int(np.nanargmin(np.abs(speeds - transfer.v_inf_arrival_m_s)))
    return v_inf[best]


@dataclass(frozen=True)
class EntryTarget:
    """What the approach aims at: a flight-path angle at an interface, a landing point."""

    flight_path_angle_deg: float
    interface_altitude_m: float
    latitude_deg: float
    east_longitude_deg: float
    ground_altitude_m: float = 0.0


@dataclass(frozen=True)
class Approach:
    """A targeted approach: aim point, entry epoch and state, and the flown landing."""

    v_infinity_m_s: np.ndarray
    b_t_m: float
    b_r_m: float
    entry_et: float
    entry_position_m: np.ndarray
    """ICRF (GCRS axes), geocentric."""
    entry_velocity_m_s: np.ndarray
    periapsis_radius_m: float
    landing_latitude_deg: float
    landing_east_longitude_deg: float
    miss_m: float
    arrival_shift_s: float
    """Entry epoch minus the transfer's nominal arrival epoch."""

    @property
    def b_plane_angle_deg(self) -> float:
        return math.degrees(math.atan2(self.b_r_m, self.b_t_m))


@dataclass(frozen=True)
class Arrival:
    """The planet arrived at and how a batch of entries is flown down on it.

    ``to_fixed(et)`` gives the (k, 3, 3) rotations ICRF -> planet-fixed; ``land(r, v)``
    flies planet-fixed entry states (n, 3) to the ground and returns their planetodetic
    latitudes and longitudes (rad), raising ValueError when the nominal does not land.
    """

    body: Body
    to_fixed: Callable[[np.ndarray], np.ndarray]
    land: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

    def fixed_states(self, et, r_icrf, v_icrf):
        """Planet-fixed positions and planet-relative velocities of ICRF states at epochs."""
        m = self.to_fixed(np.broadcast_to(np.asarray(et, np.float64), (len(r_icrf),)))
        r = np.einsum("nij,nj->ni", m, r_icrf)
        w = np.array([0.0, 0.0, self.body.rotation_rate.value])
        return r, np.einsum("nij,nj->ni", m, v_icrf) - np.cross(w, r)


def _land_capsule(capsule: Capsule, atmosphere: AtmosphereTable, ground_altitude_m, r, v):
    from msrsim.core.flight import STATUS_ESCAPED, STATUS_LANDED, STATUS_MESSAGES

    landed = fly_entry(capsule, r, v, atmosphere, ground_altitude_m=ground_altitude_m)
    status = int(landed.flight.status[0])
    if status != STATUS_LANDED:
        hint = (
            " (the angle is held at the interface: from a higher interface the same angle "
            "is shallower lower down, so a steeper one is needed)"
            if status == STATUS_ESCAPED
            else ""
        )
        raise ValueError(
            f"the nominal capsule does not land ({STATUS_MESSAGES[status]}){hint}; its "
            "inputs: ees: entry_flight_path_angle_deg, entry_interface_altitude_km, mass_kg, "
            "diameter_m, half_angle_deg, nose_radius_m, subsonic_drag_coefficient (or their "
            "options)"
        )
    return landed.landing_latitude_rad, landed.landing_longitude_rad


def earth_arrival(capsule: Capsule, atmosphere: AtmosphereTable, ground_altitude_m: float):
    """Arrival at Earth (ITRS through ERFA) with a ballistic capsule flown to the ground
    (picklable)."""
    return Arrival(
        EARTH, itrs_matrix, functools.partial(_land_capsule, capsule, atmosphere, ground_altitude_m)
    )


def _interface_radius(target: EntryTarget, body: Body) -> float:
    lat = math.radians(target.latitude_deg)
    return float(np.ravel(ellipsoid_radius(lat, body))[0]) + target.interface_altitude_m


def _downrange_angle(arrival: Arrival, r_fixed, v_fixed) -> float:
    """Central angle (rad) from the interface to where the nominal entry lands."""
    lat, lon = arrival.land(r_fixed, v_fixed)
    b = geodetic_to_cartesian(lat[:1], lon[:1], 0.0, arrival.body)[0]
    a = r_fixed[0]
    return math.atan2(np.linalg.norm(np.cross(a, b)), float(a @ b))


def _scan(arrival, v_inf, b, radius, nominal_et, downrange_rad, site_unit, span_s, step_s,
          step_rad):  # fmt: skip
    """Predicted miss (rad of arc) of every (epoch shift, B-plane angle) on a grid."""
    theta = np.arange(0.0, 2.0 * math.pi, step_rad)
    shifts = np.arange(-span_s, span_s + step_s / 2, step_s)
    mu = arrival.body.gm.value
    r, v, _ = approach_state(v_inf, b * np.cos(theta), b * np.sin(theta), radius, mu)
    m = arrival.to_fixed(nominal_et + shifts)  # (k, 3, 3)
    r_f = np.einsum("kij,nj->kni", m, r)
    w = np.array([0.0, 0.0, arrival.body.rotation_rate.value])
    v_f = np.einsum("kij,nj->kni", m, v) - np.cross(w, r_f)
    up = r_f / np.linalg.norm(r_f, axis=-1, keepdims=True)
    along = v_f - np.sum(v_f * up, axis=-1, keepdims=True) * up
    along /= np.linalg.norm(along, axis=-1, keepdims=True)
    landing = math.cos(downrange_rad) * up + math.sin(downrange_rad) * along
    miss = np.arccos(np.clip(landing @ site_unit, -1.0, 1.0))
    return shifts, theta, miss


def target_approach(
    v_infinity_m_s,
    nominal_arrival_et: float,
    arrival: Arrival,
    target: EntryTarget,
    *,
    span_hours: float = 12.0,
    tolerance_m: float = 10.0,
    max_iterations: int = 12,
) -> Approach:
    """Aim the approach so the nominal capsule enters at the angle and lands on the target.

    ``b`` follows from the flight-path angle (:func:`msrsim.core.conics.impact_parameter`);
    the B-plane angle and the entry epoch (within ``span_hours`` of the nominal arrival)
    are found by a scan of predicted landing points (entry point moved downrange by the arc
    one flown trajectory covers), then refined by Newton's method on flown landings
    (finite-difference Jacobian, three trajectories a pass) until the miss is below
    ``tolerance_m``. Of the (usually two) solutions a day, the one nearest the nominal
    arrival is kept.
    """
    v_inf = np.asarray(v_infinity_m_s, dtype=np.float64)
    speed = float(np.linalg.norm(v_inf))
    mu = arrival.body.gm.value
    radius = _interface_radius(target, arrival.body)
    b = float(impact_parameter(speed, radius, math.radians(target.flight_path_angle_deg), mu))
    lat, lon = math.radians(target.latitude_deg), math.radians(target.east_longitude_deg)
    site_unit = np.array(
        [math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)]
    )

    def entry(theta, shift):
        theta, shift = np.atleast_1d(theta), np.atleast_1d(shift)
        r, v, _ = approach_state(v_inf, b * np.cos(theta), b * np.sin(theta), radius, mu)
        return r, v, nominal_arrival_et + shift

    r0, v0, et0 = entry(0.0, 0.0)
    downrange = _downrange_angle(arrival, *arrival.fixed_states(et0, r0, v0))
    shifts, thetas, miss = _scan(
        arrival,
        v_inf,
        b,
        radius,
        nominal_arrival_et,
        downrange,
        site_unit,
        span_hours * 3600.0,
        300.0,
        math.radians(1.0),
    )
    best_theta = np.argmin(miss, axis=1)
    row_miss = miss[np.arange(shifts.size), best_theta]
    local = np.r_[
        False, (row_miss[1:-1] <= row_miss[:-2]) & (row_miss[1:-1] <= row_miss[2:]), False
    ] & (row_miss < math.radians(3.0))
    if not np.any(local):
        raise ValueError(
            f"no approach within {span_hours:g} h of the nominal arrival reaches "
            f"({target.latitude_deg:g}, {target.east_longitude_deg:g}) at a flight-path angle "
            f"of {target.flight_path_angle_deg:g} deg: the site lies outside the band of "
            "entry points this approach asymptote allows"
        )
    k = int(np.flatnonzero(local)[np.argmin(np.abs(shifts[local]))])
    x = np.array([thetas[best_theta[k]], shifts[k]])
    steps = np.array([1e-4, 10.0])  # rad, s: finite-difference steps

    def landings(points):
        r, v, et = entry(points[:, 0], points[:, 1])
        landed = arrival.land(*arrival.fixed_states(et, r, v))
        east, north = local_offsets_m(*landed, lat, lon, arrival.body)
        return np.stack([east, north], axis=1), landed

    for _ in range(max_iterations):
        trial = np.array([x, x + [steps[0], 0.0], x + [0.0, steps[1]]])
        offsets, landed = landings(trial)
        miss_m = float(np.hypot(*offsets[0]))
        if miss_m <= tolerance_m:
            break
        jacobian = np.stack(
            [(offsets[1] - offsets[0]) / steps[0], (offsets[2] - offsets[0]) / steps[1]], axis=1
        )
        x = x - np.linalg.solve(jacobian, offsets[0])
    else:
        raise ValueError(f"approach targeting did not converge (miss {miss_m:.0f} m)")
    r, v, et = entry(x[0], x[1])
    return Approach(
        v_infinity_m_s=v_inf,
        b_t_m=b * math.cos(x[0]),
        b_r_m=b * math.sin(x[0]),
        entry_et=float(et[0]),
        entry_position_m=r[0],
        entry_velocity_m_s=v[0],
        periapsis_radius_m=float(periapsis_radius_of_state(r, v, mu)[0]),
        landing_latitude_deg=math.degrees(landed[0][0]),
        landing_east_longitude_deg=math.degrees(landed[1][0]),
        miss_m=miss_m,
        arrival_shift_s=float(x[1]),
    )


@dataclass(frozen=True)
class DeliveryErrors:
    """1-sigma errors of the capsule's delivery: B-plane components and arrival time."""

    b_t_m: float
    b_r_m: float
    time_s: float


CORRIDOR_SIGMAS = 6.0
"""How many 1-sigma B-plane errors must fit between the aim point and the impact parameter
whose conic only grazes the entry interface (a delivery beyond it misses the atmosphere):
one delivery in 10^9 gets farther."""


def skip_corridor_m(approach: Approach, mu: float) -> float:
    """B-plane distance from the aim point out to the impact parameter whose conic reaches
    the entry interface radius at its periapsis (no farther aim enters at all)."""
    radius = float(np.linalg.norm(approach.entry_position_m))
    v_inf = float(np.linalg.norm(approach.v_infinity_m_s))
    grazing = float(impact_parameter(v_inf, radius, 0.0, mu))
    return grazing - math.hypot(approach.b_t_m, approach.b_r_m)


def require_delivery_corridor(approach: Approach, errors: DeliveryErrors, mu: float, field: str):
    """Refuse (ValueError naming ``field``) B-plane errors whose :data:`CORRIDOR_SIGMAS`
    do not fit in the approach's :func:`skip_corridor_m`: dispersed deliveries would pass
    above the atmosphere, which the entry's Monte Carlo does not fly."""
    corridor = skip_corridor_m(approach, mu)
    sigma = max(errors.b_t_m, errors.b_r_m)
    if CORRIDOR_SIGMAS * sigma >= corridor:
        raise ValueError(
            f"{field} = {sigma / 1e3:g}: the aim point is {corridor / 1e3:.0f} km in the "
            "B-plane from an approach that only grazes the entry interface, and "
            f"{CORRIDOR_SIGMAS:g} sigma of delivery error must fit in it (at most "
            f"{corridor / CORRIDOR_SIGMAS / 1e3:.1f} km): wider deliveries miss the atmosphere"
        )


def delivery_states(approach: Approach, errors: DeliveryErrors, n: int, rng, arrival: Arrival):
    """Planet-fixed entry states of ``n`` capsules delivered with ``errors`` (normal).

    Each sample moves the aim point and the arrival epoch and is carried by its own conic
    to the interface radius; ``rng=None`` gives ``n`` copies of the nominal state. Sample
    ``k`` reads row ``k`` of one (n, 3) block of normals (chunking does not change it).
    The errors are the planner's to bound (:func:`require_delivery_corridor`): a sample
    that misses the atmosphere is a ValueError saying so.
    """
    sigma = np.array([errors.b_t_m, errors.b_r_m, errors.time_s])
    d_t, d_r, d_time = (
        rng.standard_normal((n, 3)) * sigma if rng is not None else np.zeros((n, 3))
    ).T
    radius = float(np.linalg.norm(approach.entry_position_m))
    corridor = skip_corridor_m(approach, arrival.body.gm.value)
    b = np.hypot(approach.b_t_m + d_t, approach.b_r_m + d_r)
    missed = int(np.count_nonzero(b > math.hypot(approach.b_t_m, approach.b_r_m) + corridor))
    if missed:
        raise ValueError(
            f"{missed} of {n} dispersed deliveries pass above the entry interface (B-plane "
            f"errors of {errors.b_t_m / 1e3:g} km 1-sigma against a {corridor / 1e3:.0f} km "
            "corridor)"
        )
    r, v, _ = approach_state(approach.v_infinity_m_s, approach.b_t_m + d_t,
                             approach.b_r_m + d_r, radius, arrival.body.gm.value)  # fmt: skip
    return arrival.fixed_states(approach.entry_et + d_time, r, v)


def entry_conditions(approach: Approach, arrival: Arrival) -> dict:
    """Planetodetic place, inertial speed, flight-path angle and azimuth at the interface."""
    r, v = approach.entry_position_m[None], approach.entry_velocity_m_s[None]
    m = arrival.to_fixed(np.array([approach.entry_et]))[0]
    lat, lon, alt = cartesian_to_geodetic(r @ m.T, arrival.body)
    radial = float(r[0] @ v[0]) / float(np.linalg.norm(r[0]))
    speed = float(np.linalg.norm(v[0]))
    # inertial velocity in planet-fixed axes, for the azimuth from local north
    vf = m @ v[0]
    east = np.array([-math.sin(lon[0]), math.cos(lon[0]), 0.0])
    north = np.array(
        [
            -math.sin(lat[0]) * math.cos(lon[0]),
            -math.sin(lat[0]) * math.sin(lon[0]),
            math.cos(lat[0]),
        ]
    )
    return {
        "latitude_deg": math.degrees(lat[0]),
        "east_longitude_deg": math.degrees(lon[0]),
        "altitude_m": float(alt[0]),
        "inertial_speed_m_s": speed,
        "inertial_flight_path_angle_deg": math.degrees(math.asin(radial / speed)),
        "inertial_azimuth_deg": math.degrees(math.atan2(vf @ east, vf @ north)) % 360.0,
    }


@dataclass(frozen=True)
class Divert:
    """The orbiter's divert after releasing the capsule (SI; epochs as ``et``)."""

    release_et: float
    divert_et: float
    delta_v_m_s: np.ndarray
    """ICRF impulse."""
    perigee_altitude_m: float
    """Perigee altitude reached (above the equatorial radius)."""
    position_m: np.ndarray
    velocity_m_s: np.ndarray
    """State just before the burn (ICRF)."""

    @property
    def delta_v_magnitude_m_s(self) -> float:
        return float(np.linalg.norm(self.delta_v_m_s))


def _perigee_altitude(r, v) -> np.ndarray:
    return periapsis_radius_of_state(r, v, MU_EARTH) - EARTH.equatorial_radius.value


def plan_divert(
    approach: Approach,
    release_before_entry_days: float,
    divert_delay_s: float,
    perigee_altitude_m: float,
    departure_et: float | None = None,
) -> Divert:
    """The smallest impulse, ``divert_delay_s`` after release, raising perigee as required.

    The minimum-norm impulse ``dv`` with ``h_p(v + dv) = h_p*`` is parallel to the gradient
    of the perigee altitude at ``v + dv`` (a Lagrange condition); it is found by fixed-point
    iteration: direction from the gradient (central differences), length by bisection.
    The release must precede the entry, follow the return's departure from Mars
    (``departure_et``, when given), and the divert must come before the entry: otherwise a
    ``ValueError`` naming ``release_before_entry_days``.
    """
    if not 0.0 < release_before_entry_days:
        raise ValueError(
            f"release_before_entry_days = {release_before_entry_days}: the release must "
            "precede the entry"
        )
    release_et = approach.entry_et - release_before_entry_days * DAY_S
    if departure_et is not None and not release_et > departure_et:
        raise ValueError(
            f"release_before_entry_days = {release_before_entry_days:g} puts the release "
            f"{(departure_et - release_et) / DAY_S:,.0f} days before the ERO leaves Mars "
            f"(the return cruise lasts {(approach.entry_et - departure_et) / DAY_S:,.0f} days)"
        )
    divert_et = release_et + divert_delay_s
    if divert_et >= approach.entry_et:
        raise ValueError(
            f"the divert ({divert_delay_s / 3600:g} h after the release) must come before the "
            f"entry, {release_before_entry_days:g} days after the release"
        )
    r, v = propagate(
        approach.entry_position_m,
        approach.entry_velocity_m_s,
        divert_et - approach.entry_et,
        MU_EARTH,
    )

    def altitude(dv):
        return float(_perigee_altitude(r, v + dv)[0])

    dv = np.zeros(3)
    for _ in range(20):
        eps = 1e-3
        grad = np.array(
            [(altitude(dv + eps * e) - altitude(dv - eps * e)) / (2 * eps) for e in np.eye(3)]
        )
        direction = grad / np.linalg.norm(grad)
        lo, hi = 0.0, 1.0
        while altitude(hi * direction) < perigee_altitude_m:
            hi *= 2.0
            if hi > 1e4:
                raise ValueError("no divert below 10 km/s reaches the perigee asked for")
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if altitude(mid * direction) < perigee_altitude_m else (lo, mid)
        new = hi * direction
        if np.linalg.norm(new - dv) < 1e-6:
            dv = new
            break
        dv = new
    return Divert(
        release_et=release_et,
        divert_et=divert_et,
        delta_v_m_s=dv,
        perigee_altitude_m=altitude(dv),
        position_m=r[0],
        velocity_m_s=v[0],
    )


@dataclass(frozen=True)
class DivertErrors:
    """Execution errors of the divert burn (1-sigma) and the chance it does not happen."""

    magnitude_fraction: float
    pointing_deg: float
    failure_probability: float


@dataclass(frozen=True)
class ImpactRisk:
    """The chance that the orbiter hits Earth after releasing the capsule."""

    probability: float
    executed_hits: int
    samples: int
    failure_probability: float
    upper_bound_95: float
    perigee_altitude_m: np.ndarray


def orbiter_impact_risk(divert: Divert, errors: DivertErrors, n: int, rng) -> ImpactRisk:
    """Monte Carlo of the divert's execution errors; a failed burn leaves it on impact.

    ``P = p_fail + (1 - p_fail) k / n`` with ``k`` of ``n`` executed burns leaving perigee
    below :data:`IMPACT_ALTITUDE_M`; the 95 % upper bound takes ``k / n`` at its one-sided
    Clopper-Pearson limit (``3 / n`` when ``k = 0``, the rule of three).
    """
    from scipy.stats import beta

    dv = divert.delta_v_m_s
    magnitude = np.linalg.norm(dv)
    scale = 1.0 + rng.normal(0.0, errors.magnitude_fraction, n)
    # pointing: a small rotation of the burn direction about a random perpendicular axis
    tilt = np.radians(rng.normal(0.0, errors.pointing_deg, n))
    phase = rng.uniform(0.0, 2.0 * math.pi, n)
    u = dv / magnitude
    p1 = np.cross(u, [0.0, 0.0, 1.0])
    p1 /= np.linalg.norm(p1)
    p2 = np.cross(u, p1)
    direction = np.cos(tilt)[:, None] * u + np.sin(tilt)[:, None] * (
        np.cos(phase)[:, None] * p1 + np.sin(phase)[:, None] * p2
    )
    burns = (magnitude * scale)[:, None] * direction
    altitude = _perigee_altitude(divert.position_m[None], divert.velocity_m_s[None] + burns)
    hits = int(np.count_nonzero(altitude < IMPACT_ALTITUDE_M))
    p_fail = errors.failure_probability
    upper = float(beta.ppf(0.95, hits + 1, n - hits)) if hits < n else 1.0
    return ImpactRisk(
        probability=p_fail + (1.0 - p_fail) * hits / n,
        executed_hits=hits,
        samples=n,
        failure_probability=p_fail,
        upper_bound_95=p_fail + (1.0 - p_fail) * upper,
        perigee_altitude_m=altitude,
    )
