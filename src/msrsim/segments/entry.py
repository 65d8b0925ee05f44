"""Earth entry of a ballistic sample-return capsule: one trajectory or a footprint.

The capsule is a spin-stabilised sphere-cone with no parachute (the MSR Earth Entry System:
1.25 m, 60 deg, ballistic, touching down near 40 m/s in soft ground; NASA PIA25986,
Corliss et al. 2019). Its flight from the entry interface to the ground is
:func:`msrsim.core.flight.fly` over the rotating oblate Earth (WGS 84, J2), with the drag
of :func:`msrsim.core.aero.sphere_cone_aerodynamics` and the Earth heating constants of
:func:`msrsim.core.aero.earth_heating`.

The entry interface is given as planetodetic latitude, longitude and altitude with a
speed, flight-path angle and azimuth, either inertial (as orbit determination gives them)
or relative to the rotating Earth; the conversion is exact for the velocity vector:
``v_rel = v_inertial - w x r``.

A footprint is the same call on a batch: entry states, density, drag and mass dispersed
with a seeded generator; the landing points' 99 % ellipse comes from their covariance in
the local east-north plane (chi-square with 2 degrees of freedom, 9.21).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from msrsim.core.aero import earth_heating, sphere_cone_aerodynamics
from msrsim.core.bodies import EARTH
from msrsim.core.flight import AtmosphereTable, FlightResult, Planet, flight_table, fly
from msrsim.core.frames import cartesian_to_geodetic, enu_matrix, geodetic_to_cartesian

EARTH_FLIGHT = Planet(
    gm=EARTH.gm.value,
    j2=EARTH.j2.value,
    j2_radius_m=EARTH.j2_reference_radius_m,
    equatorial_radius_m=EARTH.equatorial_radius.value,
    flattening=EARTH.flattening,
    spin_rad_s=EARTH.rotation_rate.value,
)


@dataclass(frozen=True)
class Capsule:
    """A sphere-cone capsule (SI); ``subsonic_cd`` is its drag below Mach 0.8."""

    mass_kg: float
    diameter_m: float
    nose_radius_m: float
    half_angle_deg: float
    subsonic_cd: float

    @property
    def reference_area_m2(self) -> float:
        return math.pi * self.diameter_m**2 / 4.0


@dataclass(frozen=True)
class EntryInterface:
    """Where and how a capsule enters (angles in degrees at this edge, SI otherwise)."""

    latitude_deg: float
    east_longitude_deg: float
    altitude_m: float
    speed_m_s: float
    flight_path_angle_deg: float
    azimuth_deg: float
    inertial: bool = True


def entry_states(
    latitude_rad, longitude_rad, altitude_m, speed_m_s, flight_path_angle_rad, azimuth_rad,
    *, inertial: bool = True,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Earth-fixed positions and velocities relative to the rotating Earth, shape (n, 3).

    Speed, flight-path angle (from the local horizontal, negative descending) and azimuth
    (from north, clockwise) are inertial when ``inertial`` (the rotating Earth's
    ``w x r`` is then subtracted) or already relative.
    """
    lat, lon, alt, speed, fpa, az = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(x, dtype=np.float64)) for x in
          (latitude_rad, longitude_rad, altitude_m, speed_m_s, flight_path_angle_rad,
           azimuth_rad))
    )  # fmt: skip
    r = geodetic_to_cartesian(lat, lon, alt, EARTH)
    enu = enu_matrix(lat, lon)  # rows: east, north, up
    local = np.stack(
        [speed * np.cos(fpa) * np.sin(az), speed * np.cos(fpa) * np.cos(az), speed * np.sin(fpa)],
        axis=-1,
    )
    v = np.einsum("nji,nj->ni", enu, local)
    if inertial:
        w = np.array([0.0, 0.0, EARTH.rotation_rate.value])
        v = v - np.cross(w, r)
    return r, v


@dataclass(frozen=True)
class EntryResult:
    """Outcomes of a batch of entries, SI inside, with landing points."""

    flight: FlightResult
    landing_latitude_rad: np.ndarray
    landing_longitude_rad: np.ndarray
    touchdown_speed_m_s: np.ndarray


def fly_entry(
    capsule: Capsule,
    position_m: np.ndarray,
    velocity_m_s: np.ndarray,
    atmosphere: AtmosphereTable,
    *,
    mass_scale=1.0,
    cd_scale=1.0,
    ground_altitude_m: float = 0.0,
    rtol: float = 1e-9,
    history_samples: int = 0,
) -> EntryResult:
    """Fly capsules from Earth-fixed entry states to the ground.

    ``rtol`` is the integrator's relative tolerance: 1e-9 for single trajectories; a
    footprint uses :data:`FOOTPRINT_RTOL` = 1e-7 (measured on dispersed atmospheres against
    1e-10: landing points within ~12 m, peak deceleration within ~1.5 %, a quarter of the
    cost).
    """
    aero = sphere_cone_aerodynamics(
        capsule.half_angle_deg,
        capsule.nose_radius_m,
        capsule.diameter_m,
        subsonic_cd=capsule.subsonic_cd,
    )
    result = fly(
        position_m, velocity_m_s, planet=EARTH_FLIGHT, atmosphere=atmosphere,
        aerodynamics=aero, heating=earth_heating(capsule.nose_radius_m),
        mass_kg=capsule.mass_kg * np.asarray(mass_scale, dtype=np.float64),
        reference_area_m2=capsule.reference_area_m2, nose_radius_m=capsule.nose_radius_m,
        cd_scale=cd_scale, rtol=rtol, ground_altitude_m=ground_altitude_m,
        history_samples=history_samples,
    )  # fmt: skip
    lat, lon, _ = cartesian_to_geodetic(result.position_m, EARTH)
    return EntryResult(result, lat, lon, np.linalg.norm(result.velocity_m_s, axis=1))


@dataclass(frozen=True)
class Ellipse:
    """A landing ellipse in the local east-north plane about its centre (SI, radians)."""

    centre_latitude_rad: float
    centre_longitude_rad: float
    semi_major_m: float
    semi_minor_m: float
    major_axis_azimuth_rad: float
    probability: float


def landing_ellipse(latitude_rad, longitude_rad, probability: float = 0.99) -> Ellipse:
    """The ``probability`` ellipse of landing points from their east-north covariance."""
    lat = np.asarray(latitude_rad, dtype=np.float64)
    lon = np.asarray(longitude_rad, dtype=np.float64)
    centre_lat, centre_lon = float(np.mean(lat)), float(np.mean(lon))
    east, north = local_offsets_m(lat, lon, centre_lat, centre_lon)
    cov = np.cov(np.stack([east, north]))
    values, vectors = np.linalg.eigh(cov)
    scale = -2.0 * math.log(1.0 - probability)  # chi-square, 2 dof: 9.21 at 0.99
    major = vectors[:, 1]
    return Ellipse(
        centre_latitude_rad=centre_lat,
        centre_longitude_rad=centre_lon,
        semi_major_m=float(math.sqrt(scale * values[1])),
        semi_minor_m=float(math.sqrt(scale * max(values[0], 0.0))),
        major_axis_azimuth_rad=float(math.atan2(major[0], major[1]) % math.pi),
        probability=probability,
    )


def local_offsets_m(latitude_rad, longitude_rad, centre_latitude_rad, centre_longitude_rad):
    """East and north offsets (m) of surface points from a centre, on the WGS 84 surface."""
    points = geodetic_to_cartesian(latitude_rad, longitude_rad, 0.0, EARTH)
    centre = geodetic_to_cartesian(centre_latitude_rad, centre_longitude_rad, 0.0, EARTH)
    enu = enu_matrix(centre_latitude_rad, centre_longitude_rad)[0]
    local = (points - centre) @ enu.T
    return local[:, 0], local[:, 1]


FOOTPRINT_RTOL = 1e-7


@dataclass(frozen=True)
class EntryDispersions:
    """1-sigma dispersions of a footprint (entry state at the interface, vehicle)."""

    flight_path_angle_deg: float = 0.01
    azimuth_deg: float = 0.01
    speed_m_s: float = 1.0
    drag_fraction: float = 0.03
    mass_fraction: float = 0.005


@dataclass(frozen=True)
class Footprint:
    """A dispersed batch of entries, its landing ellipse and the nominal trajectory."""

    entries: EntryResult
    ellipse: Ellipse
    nominal: EntryResult


def _grid() -> np.ndarray:
    return np.arange(-1000.0, 150_001.0, 1000.0)


def standard_atmosphere_table() -> AtmosphereTable:
    """US Standard Atmosphere 1976 from -1 to 150 km every kilometre, for the kernel."""
    from msrsim.core.atmosphere import tabulate
    from msrsim.core.atmosphere.earth import US76

    return flight_table(tabulate(US76, _grid()))


def interface_states(
    interface: EntryInterface, n: int = 1, rng=None, dispersions: EntryDispersions | None = None
):
    """Entry states of ``n`` trajectories, dispersed when ``rng`` is given."""

    def spread(sigma):
        return rng.normal(0.0, sigma, n) if rng is not None else np.zeros(n)

    d = dispersions or EntryDispersions()
    return entry_states(
        math.radians(interface.latitude_deg), math.radians(interface.east_longitude_deg),
        interface.altitude_m, interface.speed_m_s + spread(d.speed_m_s),
        np.radians(interface.flight_path_angle_deg + spread(d.flight_path_angle_deg)),
        np.radians(interface.azimuth_deg + spread(d.azimuth_deg)),
        inertial=interface.inertial,
    )  # fmt: skip


def target_interface(
    capsule: Capsule,
    interface: EntryInterface,
    target_latitude_deg: float,
    target_longitude_deg: float,
    atmosphere: AtmosphereTable,
    *,
    ground_altitude_m: float = 0.0,
    iterations: int = 4,
) -> EntryInterface:
    """Move the entry interface so that the nominal capsule lands on the target.

    Flies the nominal entry, measures the landing point's east and north miss from the
    target and shifts the interface point by the opposite offset (the flight path keeps
    its shape for small shifts); repeats. Converges to metres in three or four passes.
    """
    current = interface
    for _ in range(iterations):
        r, v = interface_states(current)
        landed = fly_entry(capsule, r, v, atmosphere, ground_altitude_m=ground_altitude_m)
        east, north = local_offsets_m(
            landed.landing_latitude_rad,
            landed.landing_longitude_rad,
            math.radians(target_latitude_deg),
            math.radians(target_longitude_deg),
        )
        lat0 = math.radians(current.latitude_deg)
        radius = EARTH.equatorial_radius.value
        current = dataclasses.replace(
            current,
            latitude_deg=current.latitude_deg - math.degrees(north[0] / radius),
            east_longitude_deg=current.east_longitude_deg
            - math.degrees(east[0] / (radius * math.cos(lat0))),
        )
    return current


def footprint(
    capsule: Capsule,
    interface: EntryInterface,
    n: int,
    rng: np.random.Generator,
    *,
    dispersions: EntryDispersions | None = None,
    ground_altitude_m: float = 0.0,
    history_samples: int = 0,
) -> Footprint:
    """``n`` dispersed entries (state, density, drag, mass) and their 99 % landing ellipse."""
    from msrsim.core.atmosphere import tabulate
    from msrsim.core.atmosphere.earth import EARTH_DENSITY_DISPERSION, US76

    d = dispersions or EntryDispersions()
    nominal_table = standard_atmosphere_table()
    r0, v0 = interface_states(interface)
    nominal = fly_entry(
        capsule,
        r0,
        v0,
        nominal_table,
        ground_altitude_m=ground_altitude_m,
        history_samples=history_samples,
    )
    state_rng, atmosphere_rng, vehicle_rng = rng.spawn(3)
    r, v = interface_states(interface, n, state_rng, d)
    dispersed = EARTH_DENSITY_DISPERSION.apply(tabulate(US76, _grid()), atmosphere_rng, n, _grid())
    cd_scale = 1.0 + vehicle_rng.normal(0.0, d.drag_fraction, n)
    mass_scale = 1.0 + vehicle_rng.normal(0.0, d.mass_fraction, n)
    entries = fly_entry(
        capsule,
        r,
        v,
        flight_table(dispersed),
        cd_scale=cd_scale,
        mass_scale=mass_scale,
        ground_altitude_m=ground_altitude_m,
        rtol=FOOTPRINT_RTOL,
    )
    landed = entries.flight.status == 0
    ellipse = landing_ellipse(
        entries.landing_latitude_rad[landed], entries.landing_longitude_rad[landed]
    )
    return Footprint(entries, ellipse, nominal)
