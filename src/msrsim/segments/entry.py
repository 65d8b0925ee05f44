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
from msrsim.core.atmosphere import DensityDispersion, TabulatedAtmosphere, WindDispersion
from msrsim.core.bodies import EARTH
from msrsim.core.flight import (
    STATUS_MESSAGES,
    AtmosphereTable,
    FlightResult,
    Planet,
    flight_table,
    fly,
)
from msrsim.core.frames import (
    cartesian_to_geodetic,
    enu_matrix,
    geodetic_to_cartesian,
    horizon_velocity,
)

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
    horizon: str = "geodetic"
    """Which horizontal the angles are measured from: ``"geodetic"`` (the ellipsoid's
    tangent plane) or ``"geocentric"`` (normal to the radius, as reconstructions flown with
    POST publish them; the two differ by up to 0.19 deg in flight-path angle)."""


HORIZONS = ("geodetic", "geocentric")


def entry_states(
    latitude_rad,
    longitude_rad,
    altitude_m,
    speed_m_s,
    flight_path_angle_rad,
    azimuth_rad,
    *,
    inertial: bool = True,
    horizon: str = "geodetic",
) -> tuple[np.ndarray, np.ndarray]:
    """Earth-fixed positions and velocities relative to the rotating Earth, shape (n, 3).

    The place is planetodetic (WGS 84). Speed, flight-path angle (from the local
    horizontal, negative descending) and azimuth (from north, clockwise) are inertial when
    ``inertial`` (the rotating Earth's ``w x r`` is then subtracted) or already relative;
    the horizontal is the ellipsoid's (``horizon="geodetic"``) or the plane normal to the
    radius vector (``"geocentric"``).
    """
    if horizon not in HORIZONS:
        raise ValueError(f"horizon {horizon!r} is not one of {HORIZONS}")
    lat, lon, alt, speed, fpa, az = np.broadcast_arrays(
        *(
            np.atleast_1d(np.asarray(x, dtype=np.float64))
            for x in (
                latitude_rad,
                longitude_rad,
                altitude_m,
                speed_m_s,
                flight_path_angle_rad,
                azimuth_rad,
            )
        )
    )
    r = geodetic_to_cartesian(lat, lon, alt, EARTH)
    if horizon == "geocentric":  # the latitude of the radius vector itself
        lat = np.arctan2(r[:, 2], np.hypot(r[:, 0], r[:, 1]))
    v = horizon_velocity(lat, lon, speed, fpa, az)
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
    atol_velocity_m_s: float = 1e-6,
    history_samples: int = 0,
) -> EntryResult:
    """Fly capsules from Earth-fixed entry states to the ground.

    ``rtol`` is the integrator's relative tolerance: 1e-9 for single trajectories; a
    footprint uses :data:`FOOTPRINT_RTOL` and :data:`FOOTPRINT_ATOL_VELOCITY_M_S`.
    """
    aero = sphere_cone_aerodynamics(
        capsule.half_angle_deg,
        capsule.nose_radius_m,
        capsule.diameter_m,
        subsonic_cd=capsule.subsonic_cd,
    )
    result = fly(
        position_m,
        velocity_m_s,
        planet=EARTH_FLIGHT,
        atmosphere=atmosphere,
        aerodynamics=aero,
        heating=earth_heating(capsule.nose_radius_m),
        mass_kg=capsule.mass_kg * np.asarray(mass_scale, dtype=np.float64),
        reference_area_m2=capsule.reference_area_m2,
        nose_radius_m=capsule.nose_radius_m,
        cd_scale=cd_scale,
        rtol=rtol,
        atol_velocity_m_s=atol_velocity_m_s,
        ground_altitude_m=ground_altitude_m,
        history_samples=history_samples,
    )
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


def landing_ellipse(latitude_rad, longitude_rad, probability: float = 0.99,
                    body=EARTH) -> Ellipse:  # fmt: skip
    """The ``probability`` ellipse of landing points from their east-north covariance on
    the body's ellipsoid (planetodetic latitudes)."""
    lat = np.asarray(latitude_rad, dtype=np.float64)
    lon = np.asarray(longitude_rad, dtype=np.float64)
    centre_lat, centre_lon = float(np.mean(lat)), float(np.mean(lon))
    east, north = local_offsets_m(lat, lon, centre_lat, centre_lon, body)
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


def local_offsets_m(latitude_rad, longitude_rad, centre_latitude_rad, centre_longitude_rad,
                    body=EARTH):  # fmt: skip
    """East and north offsets (m) of surface points from a centre, on the body's ellipsoid."""
    points = geodetic_to_cartesian(latitude_rad, longitude_rad, 0.0, body)
    centre = geodetic_to_cartesian(centre_latitude_rad, centre_longitude_rad, 0.0, body)
    enu = enu_matrix(centre_latitude_rad, centre_longitude_rad)[0]
    local = (points - centre) @ enu.T
    return local[:, 0], local[:, 1]


FOOTPRINT_RTOL = 1e-8
FOOTPRINT_ATOL_VELOCITY_M_S = 1e-3
"""The footprint's tolerances (DOP853). Measured on 2,000 dispersed US76 entries against
rtol 1e-12: landing points within 0.23 m (median) and 3.7 m (largest), peak deceleration
within 0.5 %, at 0.31 ms of one core per entry (benchmarks/bench_entry.py); the previous
Dormand-Prince 5(4) at rtol 1e-7 gave 0.77 m and 7.2 m at 0.55 ms. The velocity's
absolute tolerance matters only below ~100 m/s (the tolerance is ``atol + rtol |v|``),
where a tighter one buys nothing at the landing point."""

ENTRY_GRID_M = np.arange(0.0, 150_001.0, 1000.0)
"""Altitudes of the entry atmosphere tables: the ground to 150 km every kilometre."""

ATMOSPHERE_MODELS = ("nrlmsis", "us76")


def entry_atmosphere(
    model: str = "nrlmsis",
    et: float | None = None,
    latitude_deg: float = 0.0,
    east_longitude_deg: float = 0.0,
    wind_profile=None,
) -> TabulatedAtmosphere:
    """The nominal atmosphere of an entry, tabulated on :data:`ENTRY_GRID_M`.

    ``"nrlmsis"``: NRLMSIS 2.1 (pymsis) above the place at the epoch (moderate space
    weather); ``"us76"``: the US Standard Atmosphere 1976, the fast fallback that needs
    neither. ``wind_profile``: optional ``(altitude_m, east_m_s, north_m_s)`` arrays,
    interpolated onto the grid (held beyond their ends), for the same wind along every
    trajectory.
    """
    from msrsim.core.atmosphere import tabulate
    from msrsim.core.atmosphere.earth import US76, nrlmsis

    if model == "nrlmsis":
        if et is None:
            raise ValueError("the NRLMSIS entry atmosphere needs an epoch")
        table = nrlmsis(et, latitude_deg, east_longitude_deg, altitude_m=ENTRY_GRID_M)
    elif model == "us76":
        table = tabulate(US76, ENTRY_GRID_M, "US Standard Atmosphere 1976")
    else:
        raise ValueError(f"atmosphere model {model!r} is not one of {ATMOSPHERE_MODELS}")
    if wind_profile is None:
        return table
    altitude, east, north = (np.asarray(x, dtype=np.float64) for x in wind_profile)
    if (
        altitude.ndim != 1
        or np.any(np.diff(altitude) <= 0)
        or east.shape != altitude.shape
        or north.shape != altitude.shape
    ):
        raise ValueError(
            "a wind profile needs ascending altitudes and one east and one north wind per altitude"
        )
    if not (np.all(np.isfinite(east)) and np.all(np.isfinite(north))):
        raise ValueError("wind speeds must be finite")
    return table.with_winds(
        np.interp(ENTRY_GRID_M, altitude, east), np.interp(ENTRY_GRID_M, altitude, north)
    )


def standard_atmosphere_table() -> AtmosphereTable:
    """The kernel's table of the US Standard Atmosphere 1976 (:func:`entry_atmosphere`)."""
    return flight_table(entry_atmosphere("us76"))


@dataclass(frozen=True)
class InterfaceDispersions:
    """1-sigma errors of an entry state given at the interface (direct entry conditions)."""

    flight_path_angle_deg: float = 0.03
    azimuth_deg: float = 0.03
    speed_m_s: float = 2.0


@dataclass(frozen=True)
class VehicleDispersions:
    """1-sigma relative errors of the capsule's drag coefficient and mass."""

    drag_fraction: float = 0.03
    mass_fraction: float = 0.005


def interface_states(
    interface: EntryInterface, n: int = 1, rng=None, dispersions: InterfaceDispersions | None = None
):
    """Earth-fixed entry states of ``n`` capsules, dispersed when ``rng`` is given.

    Sample ``k`` reads row ``k`` of one (n, 3) block of normals, so the first ``m`` of
    ``n`` samples equal ``m`` drawn from the same generator state.
    """
    d = dispersions or InterfaceDispersions()
    sigma = np.array([d.speed_m_s, d.flight_path_angle_deg, d.azimuth_deg])
    errors = rng.standard_normal((n, 3)) * sigma if rng is not None else np.zeros((n, 3))
    return entry_states(
        math.radians(interface.latitude_deg),
        math.radians(interface.east_longitude_deg),
        interface.altitude_m,
        interface.speed_m_s + errors[:, 0],
        np.radians(interface.flight_path_angle_deg + errors[:, 1]),
        np.radians(interface.azimuth_deg + errors[:, 2]),
        inertial=interface.inertial,
        horizon=interface.horizon,
    )


@dataclass(frozen=True)
class Footprint:
    """A dispersed batch of entries, its landing ellipse and the nominal trajectory."""

    entries: EntryResult
    ellipse: Ellipse
    nominal: EntryResult
    drag_scale: np.ndarray
    mass_scale: np.ndarray


def footprint(
    capsule: Capsule,
    nominal_state: tuple[np.ndarray, np.ndarray],
    states: tuple[np.ndarray, np.ndarray],
    atmosphere: TabulatedAtmosphere,
    rng: np.random.Generator,
    *,
    vehicle: VehicleDispersions | None = None,
    density: DensityDispersion | None = None,
    winds: WindDispersion | None = None,
    ground_altitude_m: float = 0.0,
    history_samples: int = 0,
    chunk: int = 25_000,
    progress=None,
) -> Footprint:
    """Fly dispersed entries and find their 99 % landing ellipse.

    ``nominal_state`` (one Earth-fixed state) is flown through ``atmosphere`` as it is;
    each of the dispersed ``states`` through its own copy of ``atmosphere`` scaled by
    ``density`` (default: :data:`msrsim.core.atmosphere.earth.EARTH_DENSITY_DISPERSION`)
    and, when given, its own winds added to the mean by ``winds``, with its drag and mass
    scaled by ``vehicle`` errors. The batch is flown ``chunk``
    capsules at a time (memory stays bounded; ``progress(done, total)`` is called after
    each); ``rng`` feeds the atmosphere and the vehicle row by row, so the results do not
    depend on ``chunk``.
    """
    nominal = fly_entry(
        capsule,
        *nominal_state,
        flight_table(atmosphere),
        ground_altitude_m=ground_altitude_m,
        history_samples=history_samples,
    )
    if nominal.flight.status[0] != 0:
        raise ValueError(
            "the nominal capsule does not reach the ground: "
            f"{STATUS_MESSAGES[int(nominal.flight.status[0])]}"
        )
    entries, drag_scale, mass_scale = fly_dispersed(
        capsule, states, atmosphere, rng, vehicle=vehicle, density=density, winds=winds,
        ground_altitude_m=ground_altitude_m, chunk=chunk, progress=progress,
    )  # fmt: skip
    landed = entries.flight.status == 0
    if np.count_nonzero(landed) < 3:
        raise ValueError("fewer than three dispersed capsules reached the ground")
    ellipse = landing_ellipse(
        entries.landing_latitude_rad[landed], entries.landing_longitude_rad[landed]
    )
    return Footprint(entries, ellipse, nominal, drag_scale, mass_scale)


def fly_dispersed(
    capsule: Capsule,
    states: tuple[np.ndarray, np.ndarray],
    atmosphere: TabulatedAtmosphere,
    rng,
    *,
    vehicle: VehicleDispersions | None = None,
    density: DensityDispersion | None = None,
    winds: WindDispersion | None = None,
    ground_altitude_m: float = 0.0,
    chunk: int = 25_000,
    progress=None,
) -> tuple[EntryResult, np.ndarray, np.ndarray]:
    """Fly ``states`` each through its own dispersed atmosphere (see :func:`footprint`):
    the entries, and the drag and mass scales drawn. ``rng`` is a ``Generator`` (or a
    :class:`~msrsim.core.streams.TrialGenerator` with ``chunk`` at least the batch)."""
    from msrsim.core.atmosphere.earth import EARTH_DENSITY_DISPERSION

    vehicle = vehicle or VehicleDispersions()
    density = density or EARTH_DENSITY_DISPERSION
    n = len(states[0])
    atmosphere_rng, vehicle_rng, wind_rng = rng.spawn(3)
    errors = vehicle_rng.standard_normal((n, 2))
    drag_scale = 1.0 + vehicle.drag_fraction * errors[:, 0]
    mass_scale = 1.0 + vehicle.mass_fraction * errors[:, 1]
    parts = []
    for start in range(0, n, chunk):
        rows = slice(start, min(start + chunk, n))
        size = rows.stop - start
        table = flight_table(density.apply(atmosphere, atmosphere_rng, size, atmosphere.altitude_m))
        if winds is not None:
            east, north = winds.draw(wind_rng, size, atmosphere.altitude_m)
            table = dataclasses.replace(
                table,
                wind_east_m_s=east + table.wind_east_m_s,
                wind_north_m_s=north + table.wind_north_m_s,
            )
        parts.append(
            fly_entry(
                capsule,
                states[0][rows],
                states[1][rows],
                table,
                cd_scale=drag_scale[rows],
                mass_scale=mass_scale[rows],
                ground_altitude_m=ground_altitude_m,
                rtol=FOOTPRINT_RTOL,
                atol_velocity_m_s=FOOTPRINT_ATOL_VELOCITY_M_S,
            )
        )
        if progress is not None:
            progress(rows.stop, n)
    return _concatenate(parts), drag_scale, mass_scale


def _concatenate(parts: list[EntryResult]) -> EntryResult:
    """One result from the results of consecutive chunks."""
    if len(parts) == 1:
        return parts[0]
    flights = [p.flight for p in parts]
    fields = {
        f.name: (
            None
            if getattr(flights[0], f.name) is None
            else np.concatenate([getattr(x, f.name) for x in flights])
        )
        for f in dataclasses.fields(flights[0])
    }
    return EntryResult(
        flight=type(flights[0])(**fields),
        **{
            f.name: np.concatenate([getattr(p, f.name) for p in parts])
            for f in dataclasses.fields(EntryResult)
            if f.name != "flight"
        },
    )
