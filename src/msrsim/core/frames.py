"""Reference frames: ICRF, planet-fixed frames, planetodetic coordinates and local frames.

All kernels are plain numpy / pyerfa and batch-first: epochs are ``(n,)`` arrays of ``et``
(float64 seconds past J2000 TDB), vectors ``(n, 3)`` and rotation matrices ``(n, 3, 3)``. A
scalar epoch or a single ``(3,)`` vector is promoted to a batch of one, and a batch of one
broadcasts against a batch of ``n``; outputs always carry the leading batch axis. Units are
SI (m, m/s, rad) throughout. Every matrix ``M`` returned here maps *components* from the
source frame to the target frame, ``x_target = M @ x_source``.

Frames
------
ICRF
    The inertial frame of the ephemeris (the axes of DE4xx and of the GCRS). Positions handed
    to a planet-fixed transform must be relative to that planet's centre.
Planet-fixed (e.g. Mars IAU body-fixed)
    From the IAU WGCCRE pole (``alpha0``, ``delta0``) and prime meridian ``W`` [IAU2009]_.
ITRS (Earth-fixed)
    From the IAU 2006/2000A CIO-based transformation of the IERS Conventions [IERS2010]_ via
    ERFA ``c2t06a`` [ERFA]_, with UT1 = UTC and zero polar motion (no IERS data offline; see
    :func:`itrs_matrix` for what that costs).
Planetodetic / planetocentric coordinates
    Latitude normal to the body's reference ellipsoid (planetodetic, "geodetic" on Earth) or
    from the centre (planetocentric, spherical); longitude is east-positive on every body.
    For Mars this is the IAU/MOLA planetocentric-east convention; the west-positive
    planetographic longitude of older Mars products (and of Mars24) is not used here.
Local frames
    ENU at a planetodetic site, RTN (radial, transverse, normal) and LVLH in the CCSDS/ISS
    convention (+z nadir, +y along the negative orbit normal) [CCSDS500]_ [Vallado2013]_.

References
----------
.. [IAU2009] Archinal, B. A., et al., "Report of the IAU Working Group on Cartographic
   Coordinates and Rotational Elements: 2009", Celest. Mech. Dyn. Astr. 109:101-135 (2011),
   Sect. 2, Fig. 1 and Table 1.
.. [NAIFPCK] NAIF, "PCK Required Reading" (SPICE Toolkit documentation), section "Models for
   the Sun, Planets, and Satellites": the body-fixed matrix ``[W]_3 [pi/2 - delta0]_1
   [pi/2 + alpha0]_3``.
.. [IERS2010] Petit, G., Luzum, B. (eds.), IERS Conventions (2010), IERS Technical Note 36,
   Chapter 5, eq. (5.1) and Sect. 5.4.
.. [ERFA] ERFA (Essential Routines for Fundamental Astronomy), the BSD derivative of IAU SOFA,
   via pyerfa: ``c2t06a``, ``tttai``, ``taiutc``, ``gc2gde``, ``gd2gce``.
.. [Fukushima2006] Fukushima, T., "Transformation from Cartesian to geodetic coordinates
   accelerated by Halley's method", J. Geodesy 79:689-693 (2006) (the ``gc2gde`` algorithm).
.. [EPSG7-2] IOGP Publication 373-7-2, "Geomatics Guidance Note 7, part 2: Coordinate
   Conversions & Transformations including Formulas", method 9602 (geographic/geocentric
   conversions).
.. [Vallado2013] Vallado, D. A., "Fundamentals of Astrodynamics and Applications", 4th ed.,
   Microcosm Press (2013), Sects. 3.2-3.4 (site coordinates, SEZ/ENU, RSW).
.. [CCSDS500] CCSDS 500.0-G-4, "Navigation Data - Definitions and Conventions", Green Book
   (2019), local orbital frames (RTN/RSW and LVLH).
"""

from __future__ import annotations

import math

import erfa
import numpy as np

from msrsim.core.bodies import DAY_S, EARTH, JULIAN_CENTURY_DAYS, MARS, Body, RotationModel
from msrsim.core.time import J2000_JD, no_dubious_year_warnings

__all__ = [
    "J2000_JD",
    "body_fixed_matrix",
    "body_fixed_to_icrf",
    "body_rotation_angles",
    "body_spin_rate",
    "cartesian_to_geodetic",
    "cartesian_to_planetocentric",
    "cartesian_to_spherical",
    "ellipsoid_radius",
    "enu_matrix",
    "geocentric_flight_state",
    "horizon_velocity",
    "geodetic_to_cartesian",
    "icrf_to_body_fixed",
    "icrf_to_itrs",
    "icrf_to_mars_fixed",
    "itrs_matrix",
    "itrs_to_icrf",
    "lvlh_matrix",
    "mars_fixed_matrix",
    "mars_fixed_to_icrf",
    "planetocentric_to_cartesian",
    "planetocentric_to_planetodetic_latitude",
    "planetodetic_to_planetocentric_latitude",
    "rotate",
    "rotate_inverse",
    "rtn_matrix",
    "spherical_to_cartesian",
    "OBLIQUITY_J2000_RAD",
    "icrf_to_ecliptic_matrix",
    "equator_pole",
]


_TWO_PI = 2.0 * math.pi
_HALF_PI = 0.5 * math.pi
_CENTURY_S = DAY_S * JULIAN_CENTURY_DAYS


# ---------------------------------------------------------------------------------------------
# Array helpers
# ---------------------------------------------------------------------------------------------


def _epochs(et: np.ndarray | float) -> np.ndarray:
    """Epochs as a float64 ``(n,)`` array (a scalar becomes ``(1,)``)."""
    out = np.atleast_1d(np.asarray(et, dtype=np.float64))
    if out.ndim != 1:
        raise ValueError(f"epochs must be a scalar or a 1-D array, got shape {out.shape}")
    return out


def _vectors(x: np.ndarray, name: str = "vector") -> np.ndarray:
    """Vectors as a float64 ``(n, 3)`` array (a single ``(3,)`` vector becomes ``(1, 3)``)."""
    out = np.asarray(x, dtype=np.float64)
    if out.ndim == 1:
        out = out[np.newaxis, :]
    if out.ndim != 2 or out.shape[1] != 3:
        raise ValueError(f"{name} must have shape (3,) or (n, 3), got {np.shape(x)}")
    return out


def _angles(*xs: np.ndarray | float) -> tuple[np.ndarray, ...]:
    """Broadcast scalars / 1-D arrays to a common float64 ``(n,)`` shape."""
    arrs = [np.atleast_1d(np.asarray(x, dtype=np.float64)) for x in xs]
    for a in arrs:
        if a.ndim != 1:
            raise ValueError(f"expected scalars or 1-D arrays, got shape {a.shape}")
    return tuple(np.broadcast_arrays(*arrs))


def _unit(x: np.ndarray, name: str) -> np.ndarray:
    """Row-normalise ``(n, 3)`` vectors; raise on a zero vector instead of returning NaN."""
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    if np.any(norm == 0.0) or not np.all(np.isfinite(norm)):
        raise ValueError(f"{name} has a zero or non-finite length; the frame is undefined")
    return x / norm


def _rot_x(angle: np.ndarray) -> np.ndarray:
    """Frame rotation about x by ``angle``: ``(n,) -> (n, 3, 3)`` (passive, right-handed)."""
    c, s = np.cos(angle), np.sin(angle)
    m = np.zeros((angle.shape[0], 3, 3))
    m[:, 0, 0] = 1.0
    m[:, 1, 1] = c
    m[:, 1, 2] = s
    m[:, 2, 1] = -s
    m[:, 2, 2] = c
    return m


def _rot_z(angle: np.ndarray) -> np.ndarray:
    """Frame rotation about z by ``angle``: ``(n,) -> (n, 3, 3)`` (passive, right-handed)."""
    c, s = np.cos(angle), np.sin(angle)
    m = np.zeros((angle.shape[0], 3, 3))
    m[:, 0, 0] = c
    m[:, 0, 1] = s
    m[:, 1, 0] = -s
    m[:, 1, 1] = c
    m[:, 2, 2] = 1.0
    return m


def rotate(m: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Apply rotation matrices to vectors, ``y_i = M_i x_i``.

    Parameters
    ----------
    m : (n, 3, 3) or (3, 3) array_like
        Rotation matrices (source -> target components).
    x : (n, 3) or (3,) array_like
        Vectors in the source frame. A batch of one broadcasts against a batch of ``n``.

    Returns
    -------
    (n, 3) ndarray
        The vectors' components in the target frame.
    """
    m = np.asarray(m, dtype=np.float64)
    m = m[np.newaxis] if m.ndim == 2 else m
    return np.einsum("...ij,...j->...i", m, _vectors(x))


def rotate_inverse(m: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Apply the transposes (inverses) of rotation matrices, ``y_i = M_i^T x_i``.

    Parameters
    ----------
    m : (n, 3, 3) or (3, 3) array_like
        Rotation matrices (source -> target components).
    x : (n, 3) or (3,) array_like
        Vectors in the *target* frame of ``m``.

    Returns
    -------
    (n, 3) ndarray
        The vectors' components in the source frame of ``m``.
    """
    m = np.asarray(m, dtype=np.float64)
    m = m[np.newaxis] if m.ndim == 2 else m
    return np.einsum("...ji,...j->...i", m, _vectors(x))


def _z_cross(omega: float, x: np.ndarray) -> np.ndarray:
    """``(0, 0, omega) x x`` for ``(n, 3)`` vectors."""
    out = np.empty_like(x)
    out[:, 0] = -omega * x[:, 1]
    out[:, 1] = omega * x[:, 0]
    out[:, 2] = 0.0
    return out


# ---------------------------------------------------------------------------------------------
# IAU body-fixed frames (Mars)
# ---------------------------------------------------------------------------------------------


def _rotation_model(body: Body) -> RotationModel:
    if body.rotation is None:
        raise ValueError(f"{body.name} has no IAU rotation model (Body.rotation is None)")
    return body.rotation


def body_rotation_angles(
    et: np.ndarray | float, body: Body = MARS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IAU pole right ascension, declination and prime-meridian angle of a body.

    Implements the linear WGCCRE model of ``body.rotation`` [IAU2009]_ (Table 1; for Mars the
    2009 values as in NAIF ``pck00010``): ``alpha0 = alpha0_0 + a T``, ``delta0 = delta0_0 + b
    T``, ``W = W_0 + w d``, with ``T`` in Julian centuries and ``d`` in days of TDB past J2000.

    Parameters
    ----------
    et : (n,) array_like or float
        Epochs, seconds past J2000 TDB.
    body : Body, optional
        Any body with a ``rotation`` model (default :data:`MARS`).

    Returns
    -------
    alpha0, delta0, w : (n,) ndarray
        ICRF right ascension and declination of the north pole and the prime-meridian angle
        (reduced to ``[0, 2 pi)``), radians.
    """
    rot = _rotation_model(body)
    et = _epochs(et)
    t_cy = et / _CENTURY_S
    d = et / DAY_S
    alpha0 = rot.ra0_rad + rot.ra_rate_rad_per_century * t_cy  # eq. (Archinal 2011, Table 1)
    delta0 = rot.dec0_rad + rot.dec_rate_rad_per_century * t_cy  # eq. (Archinal 2011, Table 1)
    # eq. (Archinal 2011, Table 1): W = W0 + w d; reduce the large product first.
    w = np.mod(np.mod(rot.w_rate_rad_per_day * d, _TWO_PI) + rot.w0_rad, _TWO_PI)
    return alpha0, delta0, w


def body_spin_rate(body: Body = MARS) -> float:
    """Spin rate ``dW/dt`` of a body's IAU prime meridian, rad/s (TDB seconds)."""
    return _rotation_model(body).w_rate_rad_per_day / DAY_S


def body_fixed_matrix(et: np.ndarray | float, body: Body = MARS) -> np.ndarray:
    """Rotation matrices ICRF -> IAU body-fixed frame.

    ``R = Rz(W) Rx(pi/2 - delta0) Rz(pi/2 + alpha0)`` [IAU2009]_ (Fig. 1) [NAIFPCK]_, where
    ``Rx``, ``Rz`` are right-handed frame rotations.

    Parameters
    ----------
    et : (n,) array_like or float
        Epochs, seconds past J2000 TDB.
    body : Body, optional
        Any body with a ``rotation`` model (default :data:`MARS`).

    Returns
    -------
    (n, 3, 3) ndarray
        ``r_fixed = R @ r_icrf``. Row 3 is the body's north pole in ICRF, row 1 the direction
        of the prime meridian on the equator.
    """
    alpha0, delta0, w = body_rotation_angles(et, body)
    # eq. (Archinal 2011, Fig. 1): R = Rz(W) Rx(90 deg - delta0) Rz(90 deg + alpha0)
    return _rot_z(w) @ _rot_x(_HALF_PI - delta0) @ _rot_z(_HALF_PI + alpha0)


def icrf_to_body_fixed(
    et: np.ndarray | float,
    r: np.ndarray,
    v: np.ndarray | None = None,
    body: Body = MARS,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Transform body-centred ICRF position (and velocity) to the IAU body-fixed frame.

    The velocity includes the transport term of the body's spin,
    ``v_fixed = R v - omega x (R r)`` with ``omega = (0, 0, dW/dt)`` in the fixed frame. The
    drift of the pole (``d alpha0/dt``, ``d delta0/dt``, about 6e-13 rad/s for Mars) is
    neglected in the velocity: it is ~1e-8 of the spin term (~2e-6 m/s at Mars' surface,
    ~6e-4 m/s at 1e9 m).

    Parameters
    ----------
    et : (n,) array_like or float
        Epochs, seconds past J2000 TDB.
    r : (n, 3) or (3,) array_like
        Position relative to the body's centre, ICRF axes, m (or any direction vector).
    v : (n, 3) or (3,) array_like, optional
        Velocity relative to the body's centre, ICRF axes, m/s.
    body : Body, optional
        Any body with a ``rotation`` model (default :data:`MARS`).

    Returns
    -------
    r_fixed : (n, 3) ndarray
        Position in the body-fixed frame, m.
    v_fixed : (n, 3) ndarray
        Velocity relative to the rotating frame, m/s (only if ``v`` is given).
    """
    m = body_fixed_matrix(et, body)
    r_fixed = rotate(m, r)
    if v is None:
        return r_fixed
    v_fixed = rotate(m, v) - _z_cross(body_spin_rate(body), r_fixed)  # eq. (v' = Rv - w x r')
    return r_fixed, v_fixed


def body_fixed_to_icrf(
    et: np.ndarray | float,
    r: np.ndarray,
    v: np.ndarray | None = None,
    body: Body = MARS,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Transform IAU body-fixed position (and velocity) to body-centred ICRF.

    Inverse of :func:`icrf_to_body_fixed`: ``r = R^T r_fixed`` and
    ``v = R^T (v_fixed + omega x r_fixed)`` (pole drift neglected in the velocity, see there).

    Parameters
    ----------
    et : (n,) array_like or float
        Epochs, seconds past J2000 TDB.
    r : (n, 3) or (3,) array_like
        Position in the body-fixed frame, m.
    v : (n, 3) or (3,) array_like, optional
        Velocity relative to the rotating body-fixed frame, m/s.
    body : Body, optional
        Any body with a ``rotation`` model (default :data:`MARS`).

    Returns
    -------
    r_icrf : (n, 3) ndarray
        Body-centred position, ICRF axes, m.
    v_icrf : (n, 3) ndarray
        Body-centred inertial velocity, ICRF axes, m/s (only if ``v`` is given).
    """
    m = body_fixed_matrix(et, body)
    r_fixed = _vectors(r, "r")
    r_icrf = rotate_inverse(m, r_fixed)
    if v is None:
        return r_icrf
    v_inertial_fixed = _vectors(v, "v") + _z_cross(body_spin_rate(body), r_fixed)
    return r_icrf, rotate_inverse(m, v_inertial_fixed)  # eq. (v = R^T (v' + w x r'))


def mars_fixed_matrix(et: np.ndarray | float) -> np.ndarray:
    """Rotation matrices ICRF -> Mars IAU body-fixed; :func:`body_fixed_matrix` for Mars."""
    return body_fixed_matrix(et, MARS)


def icrf_to_mars_fixed(
    et: np.ndarray | float, r: np.ndarray, v: np.ndarray | None = None
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Mars-centred ICRF -> Mars body-fixed; :func:`icrf_to_body_fixed` for Mars."""
    return icrf_to_body_fixed(et, r, v, MARS)


def mars_fixed_to_icrf(
    et: np.ndarray | float, r: np.ndarray, v: np.ndarray | None = None
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Mars body-fixed -> Mars-centred ICRF; :func:`body_fixed_to_icrf` for Mars."""
    return body_fixed_to_icrf(et, r, v, MARS)


# ---------------------------------------------------------------------------------------------
# Earth: GCRS/ICRF axes <-> ITRS
# ---------------------------------------------------------------------------------------------


def _earth_time_arguments(et: np.ndarray) -> tuple[np.ndarray, ...]:
    """Two-part TT and UT1 Julian dates for ``c2t06a`` from TDB seconds past J2000.

    TT is taken equal to TDB: the periodic TDB - TT (< 1.7 ms, IERS Conventions 2010 Ch. 10)
    moves Earth's rotation angle by < 1.2e-7 rad (< 0.8 m at the equator). UTC comes from TT
    with ERFA's leap-second table (``tttai``, ``taiutc``) and UT1 is set equal to UTC.
    ERFA's "dubious year" warning (epochs past its leap-second table, where the last known
    TAI-UTC is kept) is silenced.
    """
    tt1 = np.full(et.shape, J2000_JD)
    tt2 = et / DAY_S
    tai1, tai2 = erfa.tttai(tt1, tt2)
    with no_dubious_year_warnings():
        utc1, utc2 = erfa.taiutc(tai1, tai2)
    return tt1, tt2, utc1, utc2


def itrs_matrix(et: np.ndarray | float) -> np.ndarray:
    """Rotation matrices GCRS (ICRF axes) -> ITRS (Earth-fixed).

    IAU 2006/2000A precession-nutation, CIO based, ``[ITRS] = W^T R^T Q^T [GCRS]`` [IERS2010]_
    (eq. 5.1), computed by ERFA ``c2t06a`` [ERFA]_, vectorised over epochs.

    Approximations (no IERS Earth-orientation data offline):

    * UT1 = UTC. ``|UT1 - UTC| < 0.9 s`` by definition, an Earth-rotation-angle error below
      0.9 s x 7.29e-5 rad/s = 6.6e-5 rad: up to ~420 m at the equator, ~2.8 km at GEO radius.
    * Polar motion zero. ``|(x_p, y_p)|`` stays below ~0.6 arcsec (2.9e-6 rad): up to ~15-20 m
      at Earth's surface.
    * TT = TDB (periodic difference < 1.7 ms, < 0.8 m at the equator).
    * No celestial-pole offsets ``dX, dY`` (< 1 mas, < 3 cm).
    * UTC from ERFA's built-in leap-second table: past the table's end the last TAI-UTC is
      kept (a future leap second would add 1 s, ~465 m); before 1960 ERFA takes TAI-UTC = 0
      (an error of order 1 s there). ERFA's "dubious year" warnings are silenced.

    Parameters
    ----------
    et : (n,) array_like or float
        Epochs, seconds past J2000 TDB.

    Returns
    -------
    (n, 3, 3) ndarray
        ``r_itrs = M @ r_gcrs``.
    """
    tt1, tt2, ut1, ut2 = _earth_time_arguments(_epochs(et))
    return erfa.c2t06a(tt1, tt2, ut1, ut2, 0.0, 0.0)  # eq. (IERS 2010, 5.1); x_p = y_p = 0


def _earth_rate() -> float:
    if EARTH.rotation_rate is None:  # pragma: no cover - EARTH defines it
        raise ValueError("EARTH.rotation_rate is not defined")
    return EARTH.rotation_rate.value


def icrf_to_itrs(
    et: np.ndarray | float, r: np.ndarray, v: np.ndarray | None = None
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Transform geocentric ICRF (GCRS axes) position (and velocity) to ITRS.

    ``r_itrs = M r`` with ``M`` from :func:`itrs_matrix`; ``v_itrs = M v - omega x r_itrs``
    with ``omega = (0, 0, 7.292115e-5 rad/s)`` (``EARTH.rotation_rate``, IERS 2010 Table 1.1).
    The rates of precession-nutation and polar motion (< 1e-7 of the spin) are neglected.

    Parameters
    ----------
    et : (n,) array_like or float
        Epochs, seconds past J2000 TDB.
    r : (n, 3) or (3,) array_like
        Geocentric position, ICRF/GCRS axes, m.
    v : (n, 3) or (3,) array_like, optional
        Geocentric velocity, ICRF/GCRS axes, m/s.

    Returns
    -------
    r_itrs : (n, 3) ndarray
        Earth-fixed position, m.
    v_itrs : (n, 3) ndarray
        Velocity relative to the rotating Earth, m/s (only if ``v`` is given).
    """
    m = itrs_matrix(et)
    r_itrs = rotate(m, r)
    if v is None:
        return r_itrs
    return r_itrs, rotate(m, v) - _z_cross(_earth_rate(), r_itrs)  # eq. (v' = Mv - w x r')


def itrs_to_icrf(
    et: np.ndarray | float, r: np.ndarray, v: np.ndarray | None = None
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Transform ITRS position (and velocity) to geocentric ICRF (GCRS axes).

    Inverse of :func:`icrf_to_itrs`: ``r = M^T r_itrs``, ``v = M^T (v_itrs + omega x r_itrs)``.

    Parameters
    ----------
    et : (n,) array_like or float
        Epochs, seconds past J2000 TDB.
    r : (n, 3) or (3,) array_like
        Earth-fixed position, m.
    v : (n, 3) or (3,) array_like, optional
        Velocity relative to the rotating Earth, m/s.

    Returns
    -------
    r_icrf : (n, 3) ndarray
        Geocentric position, ICRF/GCRS axes, m.
    v_icrf : (n, 3) ndarray
        Geocentric inertial velocity, m/s (only if ``v`` is given).
    """
    m = itrs_matrix(et)
    r_itrs = _vectors(r, "r")
    r_icrf = rotate_inverse(m, r_itrs)
    if v is None:
        return r_icrf
    v_inertial = _vectors(v, "v") + _z_cross(_earth_rate(), r_itrs)
    return r_icrf, rotate_inverse(m, v_inertial)  # eq. (v = M^T (v' + w x r'))


# ---------------------------------------------------------------------------------------------
# Planetodetic and planetocentric coordinates
# ---------------------------------------------------------------------------------------------


def _ellipsoid(body: Body) -> tuple[float, float]:
    return body.equatorial_radius.value, body.flattening


def cartesian_to_geodetic(r: np.ndarray, body: Body) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Body-fixed Cartesian position to planetodetic latitude, longitude and altitude.

    Latitude is measured from the equator to the ellipsoid normal ("geodetic" on Earth,
    "planetodetic" elsewhere); longitude is east-positive; altitude is the height above the
    body's reference ellipsoid (``equatorial_radius``, ``flattening``) along that normal.
    Computed by ERFA ``gc2gde`` [ERFA]_, Fukushima's non-iterative Halley method
    [Fukushima2006]_, valid for any oblate ellipsoid from deep inside to far outside it.
    Accuracy (measured against :func:`geodetic_to_cartesian`): altitude to ~1e-15 of ``|r|``,
    latitude to ~1e-15 rad near the surface and up to ~3e-10 rad (a few mm) for Mars at
    1e3-1e4 km altitude, where the single Halley step is least converged.

    Parameters
    ----------
    r : (n, 3) or (3,) array_like
        Body-fixed position, m.
    body : Body
        The body whose ellipsoid is used (e.g. :data:`EARTH` for WGS 84, :data:`MARS` for the
        IAU 2015 3396.19 x 3376.20 km ellipsoid).

    Returns
    -------
    lat : (n,) ndarray
        Planetodetic latitude, rad, in ``[-pi/2, pi/2]``.
    lon : (n,) ndarray
        East longitude, rad, in ``(-pi, pi]``.
    alt : (n,) ndarray
        Height above the ellipsoid, m.
    """
    a, f = _ellipsoid(body)
    lon, lat, alt = erfa.gc2gde(a, f, _vectors(r, "r"))
    return lat, lon, alt


def geodetic_to_cartesian(
    lat: np.ndarray | float, lon: np.ndarray | float, alt: np.ndarray | float, body: Body
) -> np.ndarray:
    """Planetodetic latitude, east longitude and altitude to body-fixed Cartesian position.

    ``x = (N + h) cos(lat) cos(lon)``, ``y = (N + h) cos(lat) sin(lon)``,
    ``z = ((1 - e^2) N + h) sin(lat)`` with ``N = a / sqrt(1 - e^2 sin^2 lat)`` [EPSG7-2]_
    (method 9602), computed by ERFA ``gd2gce`` [ERFA]_.

    Parameters
    ----------
    lat, lon : (n,) array_like or float
        Planetodetic latitude and east longitude, rad.
    alt : (n,) array_like or float
        Height above the ellipsoid, m.
    body : Body
        The body whose ellipsoid is used.

    Returns
    -------
    (n, 3) ndarray
        Body-fixed position, m.
    """
    a, f = _ellipsoid(body)
    lat, lon, alt = _angles(lat, lon, alt)
    return erfa.gd2gce(a, f, lon, lat, alt)  # eq. (EPSG 9602)


def cartesian_to_spherical(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cartesian vectors to (planetocentric) latitude, east longitude and radius.

    Parameters
    ----------
    r : (n, 3) or (3,) array_like
        Vectors (any frame), m.

    Returns
    -------
    lat : (n,) ndarray
        Latitude from the x-y plane, rad, in ``[-pi/2, pi/2]``.
    lon : (n,) ndarray
        Longitude from +x towards +y (east-positive), rad, in ``(-pi, pi]``.
    radius : (n,) ndarray
        Length of the vector, m.
    """
    r = _vectors(r, "r")
    rho = np.hypot(r[:, 0], r[:, 1])
    lat = np.arctan2(r[:, 2], rho)  # eq. (lat = atan2(z, sqrt(x^2 + y^2)))
    lon = np.arctan2(r[:, 1], r[:, 0])  # eq. (lon = atan2(y, x))
    return lat, lon, np.hypot(rho, r[:, 2])


def spherical_to_cartesian(
    lat: np.ndarray | float, lon: np.ndarray | float, radius: np.ndarray | float
) -> np.ndarray:
    """Latitude, east longitude and radius to Cartesian vectors.

    Parameters
    ----------
    lat, lon : (n,) array_like or float
        Latitude and east longitude, rad.
    radius : (n,) array_like or float
        Distance from the origin, m.

    Returns
    -------
    (n, 3) ndarray
        ``radius * (cos lat cos lon, cos lat sin lon, sin lat)``.
    """
    lat, lon, radius = _angles(lat, lon, radius)
    clat = np.cos(lat)
    return radius[:, np.newaxis] * np.stack(
        (clat * np.cos(lon), clat * np.sin(lon), np.sin(lat)), axis=-1
    )


def ellipsoid_radius(lat: np.ndarray | float, body: Body) -> np.ndarray:
    """Radius of a body's reference ellipsoid at planetocentric latitude ``lat``.

    ``r = a b / sqrt(b^2 cos^2 lat + a^2 sin^2 lat)`` for equatorial radius ``a`` and polar
    radius ``b = a (1 - f)``.

    Parameters
    ----------
    lat : (n,) array_like or float
        Planetocentric latitude, rad.
    body : Body
        The body whose ellipsoid is used.

    Returns
    -------
    (n,) ndarray
        Ellipsoid radius, m.
    """
    a, f = _ellipsoid(body)
    b = a * (1.0 - f)
    (lat,) = _angles(lat)
    return a * b / np.hypot(b * np.cos(lat), a * np.sin(lat))  # eq. (polar ellipse equation)


def cartesian_to_planetocentric(
    r: np.ndarray, body: Body
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Body-fixed position to planetocentric latitude, east longitude and radial altitude.

    The altitude here is measured along the radius vector: ``|r|`` minus the ellipsoid radius
    at the same planetocentric latitude (:func:`ellipsoid_radius`). It differs from the
    ellipsoid-normal height of :func:`cartesian_to_geodetic` at second order in the
    flattening.

    Parameters
    ----------
    r : (n, 3) or (3,) array_like
        Body-fixed position, m.
    body : Body
        The body whose ellipsoid is used.

    Returns
    -------
    lat, lon : (n,) ndarray
        Planetocentric latitude and east longitude, rad.
    alt : (n,) ndarray
        Radial height above the ellipsoid, m.
    """
    lat, lon, radius = cartesian_to_spherical(r)
    return lat, lon, radius - ellipsoid_radius(lat, body)


def planetocentric_to_cartesian(
    lat: np.ndarray | float, lon: np.ndarray | float, alt: np.ndarray | float, body: Body
) -> np.ndarray:
    """Planetocentric latitude, east longitude and radial altitude to body-fixed position.

    Inverse of :func:`cartesian_to_planetocentric`.

    Parameters
    ----------
    lat, lon : (n,) array_like or float
        Planetocentric latitude and east longitude, rad.
    alt : (n,) array_like or float
        Radial height above the ellipsoid, m.
    body : Body
        The body whose ellipsoid is used.

    Returns
    -------
    (n, 3) ndarray
        Body-fixed position, m.
    """
    lat, lon, alt = _angles(lat, lon, alt)
    return spherical_to_cartesian(lat, lon, ellipsoid_radius(lat, body) + alt)


def planetodetic_to_planetocentric_latitude(lat: np.ndarray | float, body: Body) -> np.ndarray:
    """Planetocentric latitude of the ellipsoid-surface point of planetodetic latitude ``lat``.

    ``tan(lat_c) = (1 - f)^2 tan(lat_d)`` on the surface (altitude zero) [Vallado2013]_
    (Sect. 3.2).

    Parameters
    ----------
    lat : (n,) array_like or float
        Planetodetic latitude, rad.
    body : Body
        The body whose ellipsoid is used.

    Returns
    -------
    (n,) ndarray
        Planetocentric latitude, rad.
    """
    _, f = _ellipsoid(body)
    (lat,) = _angles(lat)
    b_over_a_sq = (1.0 - f) ** 2
    return np.arctan2(b_over_a_sq * np.sin(lat), np.cos(lat))  # eq. (tan c = (1-f)^2 tan d)


def planetocentric_to_planetodetic_latitude(lat: np.ndarray | float, body: Body) -> np.ndarray:
    """Planetodetic latitude of the ellipsoid-surface point of planetocentric latitude ``lat``.

    Inverse of :func:`planetodetic_to_planetocentric_latitude` (surface points only).

    Parameters
    ----------
    lat : (n,) array_like or float
        Planetocentric latitude, rad.
    body : Body
        The body whose ellipsoid is used.

    Returns
    -------
    (n,) ndarray
        Planetodetic latitude, rad.
    """
    _, f = _ellipsoid(body)
    (lat,) = _angles(lat)
    b_over_a_sq = (1.0 - f) ** 2
    return np.arctan2(np.sin(lat), b_over_a_sq * np.cos(lat))  # eq. (tan d = tan c / (1-f)^2)


# ---------------------------------------------------------------------------------------------
# Local frames
# ---------------------------------------------------------------------------------------------


def enu_matrix(lat: np.ndarray | float, lon: np.ndarray | float) -> np.ndarray:
    """Rotation matrices body-fixed -> local East-North-Up at a planetodetic site.

    Rows are ``E = (-sin lon, cos lon, 0)``, ``N = (-sin lat cos lon, -sin lat sin lon,
    cos lat)`` and ``U = (cos lat cos lon, cos lat sin lon, sin lat)`` [Vallado2013]_
    (Sect. 3.4). With planetodetic latitude, Up is the ellipsoid normal; with planetocentric
    latitude, Up is radial.

    Parameters
    ----------
    lat, lon : (n,) array_like or float
        Latitude and east longitude of the site, rad.

    Returns
    -------
    (n, 3, 3) ndarray
        ``x_enu = M @ x_fixed``.
    """
    lat, lon = _angles(lat, lon)
    slat, clat = np.sin(lat), np.cos(lat)
    slon, clon = np.sin(lon), np.cos(lon)
    m = np.empty((lat.shape[0], 3, 3))
    m[:, 0] = np.stack((-slon, clon, np.zeros_like(lon)), axis=-1)  # eq. (E)
    m[:, 1] = np.stack((-slat * clon, -slat * slon, clat), axis=-1)  # eq. (N)
    m[:, 2] = np.stack((clat * clon, clat * slon, slat), axis=-1)  # eq. (U)
    return m


def horizon_velocity(
    latitude_rad, longitude_rad, speed_m_s, flight_path_angle_rad, azimuth_rad
) -> np.ndarray:
    """Body-fixed velocity (n, 3) from a speed, flight-path angle (from the local
    horizontal, negative descending) and azimuth (from north, clockwise) in the ENU frame
    of :func:`enu_matrix` at (latitude, longitude)."""
    lat, lon, speed, fpa, az = np.broadcast_arrays(
        *(
            np.atleast_1d(np.asarray(x, dtype=np.float64))
            for x in (latitude_rad, longitude_rad, speed_m_s, flight_path_angle_rad, azimuth_rad)
        )
    )
    local = speed[:, None] * np.stack(
        [np.cos(fpa) * np.sin(az), np.cos(fpa) * np.cos(az), np.sin(fpa)], axis=-1
    )
    return np.einsum("nji,nj->ni", enu_matrix(lat, lon), local)


def geocentric_flight_state(
    latitude_rad,
    longitude_rad,
    radius_m,
    speed_m_s,
    flight_path_angle_rad,
    azimuth_rad,
    spin_rad_s: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Body-fixed position and velocity relative to the rotating body, shape (n, 3), from
    an inertial speed, flight-path angle and azimuth about the geocentric horizontal at a
    planetocentric place and radius, the way entry states are published (e.g. for POST):
    ``v_rel = v_inertial - w x r`` with ``w`` the spin about +z.
    """
    v = horizon_velocity(latitude_rad, longitude_rad, speed_m_s, flight_path_angle_rad, azimuth_rad)
    lat, lon, radius = np.broadcast_arrays(
        *(
            np.atleast_1d(np.asarray(x, dtype=np.float64))
            for x in (latitude_rad, longitude_rad, radius_m)
        )
    )
    r = radius[:, None] * np.stack(
        [np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1
    )
    r = np.broadcast_to(r, v.shape)
    return r, v - np.cross([0.0, 0.0, spin_rad_s], r)


def rtn_matrix(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotation matrices inertial -> RTN (radial, transverse, normal) from a state.

    ``R = r/|r|``, ``N = (r x v)/|r x v|``, ``T = N x R`` [CCSDS500]_ [Vallado2013]_ (the RSW
    frame of Sect. 3.3). T is along the velocity for a circular orbit.

    Parameters
    ----------
    r, v : (n, 3) or (3,) array_like
        Position and velocity relative to the central body, any inertial frame.

    Returns
    -------
    (n, 3, 3) ndarray
        ``x_rtn = M @ x_inertial`` (rows R, T, N). Raises ``ValueError`` for ``r = 0`` or
        ``r`` parallel to ``v`` (the orbit plane is undefined).
    """
    r, v = np.broadcast_arrays(_vectors(r, "r"), _vectors(v, "v"))
    u_r = _unit(r, "r")
    u_n = _unit(np.cross(r, v), "r x v")
    u_t = np.cross(u_n, u_r)  # eq. (T = N x R)
    return np.stack((u_r, u_t, u_n), axis=1)


def lvlh_matrix(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotation matrices inertial -> LVLH, CCSDS/ISS convention.

    ``+z`` towards nadir (``-r/|r|``), ``+y`` along the negative orbit normal
    (``-(r x v)/|r x v|``), ``+x = y x z`` completing the right-handed triad (along the
    velocity for a circular orbit, equal to RTN's T) [CCSDS500]_.

    Parameters
    ----------
    r, v : (n, 3) or (3,) array_like
        Position and velocity relative to the central body, any inertial frame.

    Returns
    -------
    (n, 3, 3) ndarray
        ``x_lvlh = M @ x_inertial`` (rows x, y, z). Raises ``ValueError`` for a degenerate
        state, as :func:`rtn_matrix`.
    """
    r, v = np.broadcast_arrays(_vectors(r, "r"), _vectors(v, "v"))
    u_z = -_unit(r, "r")  # eq. (z = -r/|r|)
    u_y = -_unit(np.cross(r, v), "r x v")  # eq. (y = -h/|h|)
    u_x = np.cross(u_y, u_z)  # eq. (x = y x z)
    return np.stack((u_x, u_y, u_z), axis=1)


# ---------------------------------------------------------------------------------------------
# Ecliptic and body equators
# ---------------------------------------------------------------------------------------------

OBLIQUITY_J2000_RAD = 84381.406 / 3600.0 * math.pi / 180.0
"""Mean obliquity of the ecliptic at J2000, 84381.406 arcsec (IAU 2006, Capitaine et al. 2003)."""


def icrf_to_ecliptic_matrix() -> np.ndarray:
    """Rotation ICRF -> mean ecliptic and equinox of J2000, ``Rx(eps0)``, shape (3, 3).

    The frame bias between ICRF and the J2000 mean equator (< 0.03 arcsec) is neglected.
    """
    c, s = math.cos(OBLIQUITY_J2000_RAD), math.sin(OBLIQUITY_J2000_RAD)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, s], [0.0, -s, c]])


def equator_pole(et: np.ndarray | float, body: Body) -> np.ndarray:
    """Unit north pole of a body's equator in ICRF, shape (n, 3).

    The IAU pole for bodies with a rotation model (Mars: [IAU2009]_); for the Earth the ICRF
    z axis (the EME2000 equator of the mission-design handbooks; precession to date, about
    0.014 deg per year, is left out).
    """
    et = _epochs(et)
    if body.rotation is None:
        if body.naif_id != EARTH.naif_id:
            raise ValueError(f"{body.name} has no rotation model, so no equator")
        return np.broadcast_to(np.array([0.0, 0.0, 1.0]), (et.size, 3)).copy()
    alpha0, delta0, _ = body_rotation_angles(et, body)
    return spherical_to_cartesian(delta0, alpha0, np.ones_like(alpha0))
