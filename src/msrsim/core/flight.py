"""Point-mass (3-DOF) flight through a planet's atmosphere, for batches of trajectories.

Equations of motion in the planet-fixed, rotating frame (Vinh, Busemann and Culp,
"Hypersonic and Planetary Entry Flight Mechanics", 1980, ch. 2)::

    r'' = g(r) - 2 w x r' - w x (w x r) + a_aero                                   (1)

with ``g`` the gravity of an oblate planet to J2 (Vallado 2013, eq. 8-30), ``w`` the
planet's spin about +z, and ``a_aero = -(rho |u| CD A / (2 m)) u`` the drag acceleration
along the air-relative velocity ``u = r' - wind`` (a ballistic, spin-stabilised body: no
mean lift). CD depends on Mach number (a table) and on the flow regime through the
Knudsen number ``Kn = lambda / D``, bridged between free-molecular and continuum values
with the function of Wilmoth, Mitcheltree and Moss (J. Spacecr. Rockets 36(3), 1999)::

    CD = CD_cont(M) + (CD_fm - CD_cont(M)) * P(Kn),
    P = sin^2(pi (3/8 + log10(Kn) / 8)) for 1e-3 < Kn < 10, 0 below, 1 above.     (2)

A capsule trimmed at an angle of attack also has lift, ``L = (L/D)(M) D``, normal to
``u`` and rolled by the bank angle ``sigma`` about it (positive to the right of ``u``)::

    a_lift = L (cos(sigma) l_v + sin(sigma) u_hat x l_v),
    l_v = (r_hat - (r_hat . u_hat) u_hat) / |...|                                   (5)

``l_v`` the unit vector normal to ``u`` in the vertical plane, upward; L/D fades with the
bridging function (2) towards free-molecular flow (an assumption: no rarefied lift), and
within ~6 deg of vertical flight, where the bank is undefined (:data:`_VERTICAL_FADE`). The
bank is held, or set after every accepted step by :mod:`msrsim.core.entry_guidance`.

Stagnation-point heating: convective after Sutton and Graves (NASA TR R-376, 1971),
``q_c = k sqrt(rho / R_n) V^3`` (3); radiative after Tauber and Sutton (J. Spacecr.
Rockets 28(1), 1991), ``q_r = C R_n^a rho^b f(V)`` (4), with the planet's constants passed
in. Altitude is the radial height above the reference ellipsoid (it differs from the
ellipsoid-normal height by less than a metre below 200 km).

Atmosphere: the table's log density, speed of sound and winds are read through natural
cubic splines through its levels (Press et al., "Numerical Recipes", 3rd ed., sec. 3.3),
so the right-hand side is smooth between levels; linear interpolation put a kink in it at
every level, which the step control paid for in rejected and shortened steps. A log
density linear in altitude (an exponential atmosphere) is reproduced exactly.

Integration: DOP853, the Dormand-Prince 8(5,3) pair (Hairer, Norsett, Wanner, "Solving
ODEs I", II.10) with per-trajectory step control, the error measured against
``atol + rtol |r|`` for the position and ``atol + rtol |v|`` for the velocity; one
trajectory per numba thread, ground impact located by cubic Hermite interpolation on the
last step. Peaks (deceleration, heat fluxes, dynamic pressure) are the largest values at
the Runge-Kutta stages of the accepted steps, which sample each step's interior.

Speed: the right-hand side is written once, in the stage loop of :func:`_fly_one`, which
unpacks every array once per trajectory; the table look-ups it calls are leaf functions
(ordinary ``njit`` functions that call no other compiled function, which LLVM inlines),
and the helpers numba inlines itself (``inline="always"``) take scalars only: numba takes
and releases a reference (an atomic counter update) on every array handed to a function
it inlines, at every call, unless the pair falls in one basic block. The kernel is
compiled with ``error_model="numpy"`` (a division by zero gives a non-finite value, which
the step control turns into a step failure status, not an exception halfway through a
batch), without fastmath: with any fastmath flag (even ``contract`` alone) the code numba
compiles in a process and the code it loads from its on-disk cache in the next gave other
numbers (a Mars EDL nominal's deploy pressure 731.1 against 735.6 Pa), so a user's first
run would not repeat. The inputs reach the kernel read-only and contiguous
(:func:`msrsim.core.kernel_args.kernel_input`), so it compiles once whatever path they came
by. The work arrays are allocated once per block of trajectories, not
per trajectory or step. Each trajectory is computed alone, so the results do not depend on
the thread count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange
from scipy.integrate._ivp import dop853_coefficients as _dop853

from msrsim.core.entry_guidance import EntryGuidance, bank_update, no_guidance
from msrsim.core.kernel_args import kernel_input

STATUS_LANDED = 0
STATUS_TIME_LIMIT = 1
STATUS_STEP_FAILURE = 2
STATUS_ESCAPED = 3
STATUS_STOP_SPEED = 4
STATUS_MESSAGES = {
    STATUS_LANDED: "reached the ground",
    STATUS_TIME_LIMIT: "still flying at the time limit",
    STATUS_STEP_FAILURE: "step size fell below its floor (the state became non-finite?)",
    STATUS_ESCAPED: "left the atmosphere climbing (skip-out) and passed the escape altitude",
    STATUS_STOP_SPEED: "slowed to the stop speed (e.g. a parachute's deploy trigger)",
}

G0 = 9.80665
_MAX_STEPS = 200_000
# Dormand-Prince 8(5,3) tableau (Hairer, Norsett, Wanner, "Solving ODEs I", II.10, the code
# DOP853), as scipy ships its coefficients: stages 0-11 give the 8th-order solution, stage
# 12 is the derivative at it (first-same-as-last), E5 and E3 the 5th- and 3rd-order error
# estimators.
_STAGES = 12
_A = np.ascontiguousarray(_dop853.A[:_STAGES, :_STAGES])
_B = np.ascontiguousarray(_dop853.B)
_E5 = np.ascontiguousarray(_dop853.E5)
_E3 = np.ascontiguousarray(_dop853.E3)


@dataclass(frozen=True)
class Planet:
    """What the flight equations need of a planet (SI)."""

    gm: float
    j2: float
    j2_radius_m: float
    equatorial_radius_m: float
    flattening: float
    spin_rad_s: float


@dataclass(frozen=True)
class AtmosphereTable:
    """An atmosphere sampled on an ascending altitude grid, for the kernels.

    ``log_density`` and the winds are each (n_levels,) for one atmosphere shared by every
    trajectory, or (n, n_levels) for one per trajectory (dispersed). :func:`fly` reads
    them through natural cubic splines (in log density); above the grid the density is zero
    (vacuum), below it the lowest level is held.
    """

    altitude_m: np.ndarray
    log_density: np.ndarray
    speed_of_sound_m_s: np.ndarray
    wind_east_m_s: np.ndarray
    wind_north_m_s: np.ndarray
    mean_free_path_density_kg_m2: float
    """Product lambda * rho of the gas (hard-sphere scaling of the mean free path)."""


def flight_table(atmosphere) -> AtmosphereTable:
    """The kernel's table from a :class:`msrsim.core.atmosphere.TabulatedAtmosphere`."""
    zeros = np.zeros_like(atmosphere.altitude_m)
    east = atmosphere.wind_east_m_s
    north = atmosphere.wind_north_m_s
    return AtmosphereTable(
        altitude_m=atmosphere.altitude_m,
        log_density=atmosphere.log_density,
        speed_of_sound_m_s=atmosphere.speed_of_sound_m_s,
        wind_east_m_s=zeros if east is None else east,
        wind_north_m_s=zeros if north is None else north,
        mean_free_path_density_kg_m2=atmosphere.mean_free_path_density_kg_m2,
    )


@dataclass(frozen=True)
class Aerodynamics:
    """CD(Mach) in continuum flow, the free-molecular CD and, for a body trimmed at an
    angle of attack, its lift-to-drag ratio L/D(Mach) (None: ballistic, no lift)."""

    mach: np.ndarray
    cd_continuum: np.ndarray
    cd_free_molecular: float
    reference_length_m: float
    lift_to_drag: np.ndarray | None = None


@dataclass(frozen=True)
class Heating:
    """Stagnation-point heating constants of a planet's atmosphere (eqs. 3 and 4)."""

    sutton_graves_k: float
    radiative_c: float
    radiative_b: float
    radiative_a_coefficient: float
    radiative_a_velocity_exponent: float
    radiative_a_density_exponent: float
    radiative_velocity_m_s: np.ndarray
    radiative_f: np.ndarray
    radiative_a_max: float = 1.0


@dataclass(frozen=True)
class FlightResult:
    """Per-trajectory outcomes of :func:`fly` (SI)."""

    status: np.ndarray
    time_s: np.ndarray
    position_m: np.ndarray
    velocity_m_s: np.ndarray
    peak_deceleration_g: np.ndarray
    peak_convective_heat_flux_w_m2: np.ndarray
    peak_radiative_heat_flux_w_m2: np.ndarray
    heat_load_j_m2: np.ndarray
    peak_dynamic_pressure_pa: np.ndarray
    steps: np.ndarray
    bank_reversals: np.ndarray
    bank_rad: np.ndarray
    """Bank angle at the end (the initial bank when unguided)."""
    history: np.ndarray | None
    """(n, n_samples, 12) when asked for: t, x, y, z, vx, vy, vz, altitude, deceleration
    (g, sensed: drag and lift), convective and radiative heat flux (W/m2), bank angle
    (rad), at every accepted step; rows past the end are NaN."""


HISTORY_COLUMNS = (
    "time_s",
    "x_m",
    "y_m",
    "z_m",
    "vx_m_s",
    "vy_m_s",
    "vz_m_s",
    "altitude_m",
    "deceleration_g",
    "convective_heat_flux_w_m2",
    "radiative_heat_flux_w_m2",
    "bank_rad",
)


@njit(cache=True, error_model="numpy")
def interp_clamped(x, grid, values):
    """Linear interpolation of ``values`` on an ascending ``grid`` at a scalar ``x``
    (binary search), clamped at both ends: the kernels' table lookup (numba).

    A leaf (it calls no other compiled function), so it stays an ordinary function that
    LLVM inlines: its array arguments then cost no reference counting at the call, which
    numba's own inlining (``inline="always"``) of a function taking arrays does."""
    n = grid.shape[0]
    if x <= grid[0]:
        return values[0]
    if x >= grid[n - 1]:
        return values[n - 1]
    lo, hi = 0, n - 1
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if grid[mid] <= x:
            lo = mid
        else:
            hi = mid
    w = (x - grid[lo]) / (grid[hi] - grid[lo])
    return values[lo] * (1.0 - w) + values[hi] * w


@njit(cache=True, inline="always")
def j2_gravity(x, y, z, gm, j2, radius):
    """Point-mass plus ``J2`` gravity (m/s^2) at a body-centred position whose z axis is
    the pole (Vallado 2013, eq. 8-30): the kernels' gravity (numba, inlined)."""
    r2 = x * x + y * y + z * z
    zr2 = z * z / r2
    c = 1.5 * j2 * (radius * radius) / r2
    g = -gm / (r2 * math.sqrt(r2))
    return (
        g * x * (1.0 + c * (1.0 - 5.0 * zr2)),
        g * y * (1.0 + c * (1.0 - 5.0 * zr2)),
        g * z * (1.0 + c * (3.0 - 5.0 * zr2)),
    )


@njit(cache=True, inline="always")
def ellipsoid_height(x, y, z, a, f):
    """Radial height above the ellipsoid and the sine of the geocentric latitude."""
    r = math.sqrt(x * x + y * y + z * z)
    s = z / r
    e2 = f * (2.0 - f)
    radius = a * (1.0 - f) / math.sqrt(1.0 - e2 * (1.0 - s * s))
    return r - radius, s


@njit(cache=True, error_model="numpy")
def _air(alt, grid, log_rho, sound, wind_e, wind_n, c_rho, c_sound, c_east, c_north):
    """Density, speed of sound and wind components at altitude ``alt`` (one density row):
    natural cubic splines through the table's levels (log-density for the density), from
    the values and their second derivatives at the levels (:func:`spline_curvature`).
    Above the grid: vacuum; below it the lowest level is held. A leaf, like
    :func:`interp_clamped` (the cell search is written out here for that reason)."""
    n = grid.shape[0]
    top = grid[n - 1]
    if not alt <= top:  # above the table, or NaN (a failed state: no cell index from it)
        return 0.0, sound[n - 1], 0.0, 0.0
    if alt <= grid[0]:
        i, w = 0, 0.0
    else:
        # the cell: exact on a uniform grid, a few steps of correction otherwise
        i = min(int((alt - grid[0]) / ((top - grid[0]) / (n - 1))), n - 2)
        while i > 0 and grid[i] > alt:
            i -= 1
        while i < n - 2 and grid[i + 1] <= alt:
            i += 1
        w = (alt - grid[i]) / (grid[i + 1] - grid[i])
    v = 1.0 - w
    cell = grid[i + 1] - grid[i]
    cv = v * (v * v - 1.0) * cell * cell / 6.0  # Press et al., Numerical Recipes, eq. 3.3.3
    cw = w * (w * w - 1.0) * cell * cell / 6.0
    rho = math.exp(log_rho[i] * v + log_rho[i + 1] * w + c_rho[i] * cv + c_rho[i + 1] * cw)
    return (
        rho,
        sound[i] * v + sound[i + 1] * w + c_sound[i] * cv + c_sound[i + 1] * cw,
        wind_e[i] * v + wind_e[i + 1] * w + c_east[i] * cv + c_east[i + 1] * cw,
        wind_n[i] * v + wind_n[i + 1] * w + c_north[i] * cv + c_north[i + 1] * cw,
    )


def spline_curvature(grid: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Second derivatives at the knots of the natural cubic spline through ``values``
    (rows of one value per ``grid`` level), for :func:`_air` (Press et al., Numerical
    Recipes, 3rd ed., 2007, sec. 3.3: the tridiagonal system eq. 3.3.7, zero second
    derivative at both ends).

    Solved by the Thomas algorithm (Numerical Recipes sec. 2.4, ``tridag``; the system is
    diagonally dominant, so no pivoting): its factorisation depends on the grid alone and
    is made once, then both sweeps run level by level over every row at once (a dispersed
    batch has one row per trajectory). Agrees with scipy's banded LU solver to 1e-15
    (tested)."""
    x = np.asarray(grid, dtype=np.float64)
    y = np.atleast_2d(np.asarray(values, dtype=np.float64))
    m = x.size
    out = np.zeros_like(y)
    if m < 3:
        return out
    h = np.diff(x)
    d = np.ascontiguousarray(np.diff(y, axis=1).T)  # one row per cell, a column per row of y
    d /= h[:, None]  # slopes
    d = d[1:] - d[:-1]  # eq. 3.3.7, right-hand side: (m - 2, rows), each level contiguous
    off = h[1:-1] / 6.0  # the sub- and super-diagonal
    diag = (h[:-1] + h[1:]) / 3.0
    ratio = np.empty(m - 3)  # c'_i of the forward elimination
    pivot = np.empty(m - 2)
    pivot[0] = diag[0]
    for i in range(1, m - 2):
        ratio[i - 1] = off[i - 1] / pivot[i - 1]
        pivot[i] = diag[i] - off[i - 1] * ratio[i - 1]
    d[0] /= pivot[0]
    for i in range(1, m - 2):  # forward sweep
        d[i] -= off[i - 1] * d[i - 1]
        d[i] /= pivot[i]
    for i in range(m - 4, -1, -1):  # back substitution
        d[i] -= ratio[i] * d[i + 1]
    out[:, 1:-1] = d.T
    return out


@njit(cache=True, inline="always")
def _bridge(knudsen):
    """Wilmoth et al. (1999) bridging function, eq. (2)."""
    if knudsen <= 1e-3:
        return 0.0
    if knudsen >= 10.0:
        return 1.0
    s = math.sin(math.pi * (0.375 + math.log10(knudsen) / 8.0))  # eq. (2)
    return s * s


@njit(cache=True, inline="always")
def _air_velocity(x, y, z, r, sin_lat, vx, vy, vz, wind_east, wind_north):
    """Velocity relative to the air, ``u = r' - wind`` (east and north unit vectors at the
    point, geocentric), and its magnitude."""
    rho_xy = math.sqrt(x * x + y * y)
    ex, ey = -y / rho_xy, x / rho_xy
    cos_lat = rho_xy / r
    nx, ny, nz = -sin_lat * x / rho_xy, -sin_lat * y / rho_xy, cos_lat
    ux = vx - (wind_east * ex + wind_north * nx)
    uy = vy - (wind_east * ey + wind_north * ny)
    uz = vz - wind_north * nz
    return ux, uy, uz, math.sqrt(ux * ux + uy * uy + uz * uz)


@njit(cache=True, inline="always")
def _lift_direction(x, y, z, r, ux, uy, uz, u, cos_bank, sin_bank):
    """Unit lift direction of eq. (5) (the vertical-plane normal to ``u`` rotated by the
    bank about ``u``, positive to the right) and the fade factor near vertical flight."""
    ex_u, ey_u, ez_u = ux / u, uy / u, uz / u
    up = (x * ex_u + y * ey_u + z * ez_u) / r
    lx, ly, lz = x / r - up * ex_u, y / r - up * ey_u, z / r - up * ez_u
    norm = math.sqrt(lx * lx + ly * ly + lz * lz)  # sine of u from the vertical
    fade = min(1.0, norm / _VERTICAL_FADE)
    norm = max(norm, 1e-12)
    lx, ly, lz = lx / norm, ly / norm, lz / norm
    sx, sy, sz = ey_u * lz - ez_u * ly, ez_u * lx - ex_u * lz, ex_u * ly - ey_u * lx
    return (
        cos_bank * lx + sin_bank * sx,
        cos_bank * ly + sin_bank * sy,
        cos_bank * lz + sin_bank * sz,
        fade,
    )


@njit(cache=True, inline="always")
def _heat_fluxes(rho, speed, nose, heat, radiative_f):
    """Stagnation convective (eq. 3) and radiative (eq. 4) heat fluxes, W/m2, with
    ``radiative_f`` the table's f(V) at ``speed`` (0 below the table)."""
    k_sg, c_rad, b_rad, a_coef, a_vexp, a_rexp, a_max = heat
    if rho <= 0.0:
        return 0.0, 0.0
    q_conv = k_sg * math.sqrt(rho / nose) * (speed * speed * speed)  # eq. (3)
    q_rad = 0.0
    if radiative_f != 0.0:
        # the powers of eq. (4) through one logarithm each of rho and V (two logarithms
        # and two exponentials where four pow calls would take four of each)
        log_rho = math.log(rho)
        a = min(a_coef * math.exp(a_vexp * math.log(speed) + a_rexp * log_rho), a_max)
        q_rad = c_rad * math.exp(a * math.log(nose) + b_rad * log_rho) * radiative_f * 1e4
    return q_conv, q_rad


_VERTICAL_FADE = 0.1
"""Lift fades linearly to zero within ~6 deg of vertical flight, where the bank (measured
from the vertical plane) is undefined and a held bank would flip sides every step."""

# columns of the per-stage diagnostics kept for each stage of a step
_DECEL, _RHO, _SPEED, _QDYN, _ALT, _LD = 0, 1, 2, 3, 4, 5
_DIAG = 6


@njit(cache=True, error_model="numpy")  # not inlined: its max() stay out of prange
def _fly_one(k, r0, v0, scratch, p, atm, aero, vehicle, heat, guide, limits, history, out):
    """Fly trajectory ``k`` to its end and write its outcomes into the ``out`` arrays.

    ``scratch`` = (y, y5, tmp, kst, diag, ctrl): work arrays of shapes (6,), (6,), (6,),
    (13, 6), (13, 6) and (6,), reused from one trajectory to the next (each is written
    before it is read). ``guide`` = (initial banks, guidance tables, guidance parameters).
    ``limits`` = (t_max, rtol, atol_pos, atol_vel, escape altitude, ground altitude,
    stop speed, largest step).

    One DOP853 step of size ``h`` from ``y`` fills ``kst`` with the stage derivatives (stage
    0 the derivative at ``y``, stage 12 at the 8th-order solution ``y5``, first-same-as-
    last), and ``diag[s]`` with the sensed deceleration (g), density, speed, dynamic
    pressure, altitude and L/D at stage s. The right-hand side of eq. (1) is written out
    once, in the stage loop, with the table look-ups as leaf functions: every array is
    unpacked here, once per trajectory, and none is handed to a function numba inlines
    itself, which would take and release a reference on each (atomic updates) at every
    stage and cost more than the physics.
    """
    y, y5, tmp, kst, diag, ctrl = scratch
    bank0, g_tables, g_params = guide
    t_max, rtol, atol_pos, atol_vel, escape_alt, ground, stop_speed, max_step = limits
    (
        status,
        t_end,
        r_end,
        v_end,
        peak_g,
        peak_qc,
        peak_qr,
        heat_load,
        peak_q,
        steps,
        reversals,
        bank_end,
    ) = out
    gm, j2, rj2, a_eq, flat, w = p[0], p[1], p[2], p[3], p[4], p[5]
    j = k if atm[1].shape[0] > 1 else 0  # own density row, or the shared one
    jw = k if atm[3].shape[0] > 1 else 0  # own wind rows, or the shared ones
    grid, log_rho, sound, wind_e, wind_n = atm[0], atm[1][j], atm[2], atm[3][jw], atm[4][jw]
    lam_rho, c_rho, c_sound, c_east, c_north = atm[5], atm[6][j], atm[7], atm[8][jw], atm[9][jw]
    mach_grid, cd_cont, cd_fm, ref_len, ld_table, lifting = aero
    k_sg, c_rad, b_rad, a_coef, a_vexp, a_rexp, a_max, v_tab, f_tab = heat
    heat_constants = (k_sg, c_rad, b_rad, a_coef, a_vexp, a_rexp, a_max)
    radiative = c_rad > 0.0
    mass, area, cd_scale, nose = vehicle[0][k], vehicle[1][k], vehicle[2][k], vehicle[3][k]
    record = history.shape[1] > 1
    for i in range(3):
        y[i] = r0[k, i]
        y[3 + i] = v0[k, i]
    sigma = bank0[k]
    ctrl[0], ctrl[1], ctrl[2] = math.cos(sigma), math.sin(sigma), sigma
    ctrl[3] = 1.0 if sigma >= 0.0 else -1.0  # side of the lift
    ctrl[4] = 0.0  # guidance started
    ctrl[5] = 0.0  # bank reversals
    t = 0.0
    h = 0.1
    status[k] = STATUS_TIME_LIMIT
    first = 0  # stage 0 (the derivative at y) is evaluated once, then carried (FSAL)
    qc = qr = 0.0
    n_acc = 0
    for _ in range(_MAX_STEPS):
        if t >= t_max:
            break
        h = min(h, t_max - t)
        for stage in range(first, _STAGES + 1):
            if stage == 0:
                for i in range(6):
                    tmp[i] = y[i]
            elif stage < _STAGES:
                for i in range(6):
                    acc = 0.0
                    for m in range(stage):
                        acc += _A[stage, m] * kst[m, i]
                    tmp[i] = y[i] + h * acc
            else:
                for i in range(6):
                    acc = 0.0
                    for m in range(_STAGES):
                        acc += _B[m] * kst[m, i]
                    tmp[i] = y[i] + h * acc
                    y5[i] = tmp[i]
            # eq. (1) at tmp
            x, yy, z, vx, vy, vz = tmp[0], tmp[1], tmp[2], tmp[3], tmp[4], tmp[5]
            r = math.sqrt(x * x + yy * yy + z * z)
            gx, gy, gz = j2_gravity(x, yy, z, gm, j2, rj2)
            # Coriolis and centrifugal terms for w along +z, eq. (1)
            ax = gx + 2.0 * w * vy + w * w * x
            ay = gy - 2.0 * w * vx + w * w * yy
            az = gz
            alt, sin_lat = ellipsoid_height(x, yy, z, a_eq, flat)
            rho, a_sound, we, wn = _air(
                alt, grid, log_rho, sound, wind_e, wind_n, c_rho, c_sound, c_east, c_north
            )
            decel = 0.0
            q_dyn = 0.0
            ld = 0.0
            speed = math.sqrt(vx * vx + vy * vy + vz * vz)
            if rho > 0.0:
                ux, uy, uz, u = _air_velocity(x, yy, z, r, sin_lat, vx, vy, vz, we, wn)
                mach = u / a_sound
                bridge = _bridge(lam_rho / rho / ref_len)  # Knudsen number lambda / D
                cdc = interp_clamped(mach, mach_grid, cd_cont)
                cd = (cdc + (cd_fm - cdc) * bridge) * cd_scale  # eq. (2)
                q_dyn = 0.5 * rho * u * u
                drag = q_dyn * cd * area / mass
                ax -= drag * ux / u
                ay -= drag * uy / u
                az -= drag * uz / u
                decel = drag / G0
                if lifting:
                    # lift normal to u, rolled by the bank (eq. 5); no rarefied lift
                    ld = interp_clamped(mach, mach_grid, ld_table) * (1.0 - bridge)
                    lx, ly, lz, fade = _lift_direction(x, yy, z, r, ux, uy, uz, u, ctrl[0], ctrl[1])
                    lift = drag * ld * fade
                    ax += lift * lx
                    ay += lift * ly
                    az += lift * lz
                    decel = drag * math.sqrt(1.0 + ld * ld) / G0
            kst[stage, 0], kst[stage, 1], kst[stage, 2] = vx, vy, vz
            kst[stage, 3], kst[stage, 4], kst[stage, 5] = ax, ay, az
            diag[stage, _DECEL], diag[stage, _RHO], diag[stage, _SPEED] = decel, rho, speed
            diag[stage, _QDYN], diag[stage, _ALT], diag[stage, _LD] = q_dyn, alt, ld
        if first == 0:
            f0 = 0.0
            if radiative and diag[0, _SPEED] >= v_tab[0]:
                f0 = interp_clamped(diag[0, _SPEED], v_tab, f_tab)
            qc, qr = _heat_fluxes(diag[0, _RHO], diag[0, _SPEED], nose, heat_constants, f0)
            if record:
                _record(history, k, 0, 0.0, y, diag[0, _ALT], diag[0, _DECEL], qc, qr, ctrl[2])
            first = 1
        # the scaled error norm of DOP853 (Hairer et al., II.10, eq. 10.17), the position
        # scaled by atol_pos + rtol |r|, the velocity by atol_vel + rtol |v| (vector norms:
        # a tolerance per component would tighten without bound as it crosses zero)
        r2 = max(
            y[0] * y[0] + y[1] * y[1] + y[2] * y[2], y5[0] * y5[0] + y5[1] * y5[1] + y5[2] * y5[2]
        )
        v2 = max(
            y[3] * y[3] + y[4] * y[4] + y[5] * y[5], y5[3] * y5[3] + y5[4] * y5[4] + y5[5] * y5[5]
        )
        tol_pos = atol_pos + rtol * math.sqrt(r2)
        tol_vel = atol_vel + rtol * math.sqrt(v2)
        err5 = err3 = 0.0
        for i in range(6):
            e5 = 0.0
            e3 = 0.0
            for m in range(_STAGES + 1):
                e5 += _E5[m] * kst[m, i]
                e3 += _E3[m] * kst[m, i]
            tol = tol_pos if i < 3 else tol_vel
            err5 += (e5 / tol) ** 2
            err3 += (e3 / tol) ** 2
        err = 0.0 if err5 == 0.0 else h * err5 / math.sqrt((err5 + 0.01 * err3) * 6.0)
        if not math.isfinite(err):
            h *= 0.25
            if h < 1e-9:
                status[k] = STATUS_STEP_FAILURE
                break
            continue
        if err <= 1.0:
            new_alt = diag[_STAGES, _ALT]
            event = -1
            if new_alt <= ground:
                event = STATUS_LANDED
            elif diag[_STAGES, _SPEED] <= stop_speed:
                event = STATUS_STOP_SPEED
            if event >= 0:
                frac = _crossing(
                    y,
                    y5,
                    kst[0],
                    kst[_STAGES],
                    h,
                    event == STATUS_LANDED,
                    ground if event == STATUS_LANDED else stop_speed,
                    a_eq,
                    flat,
                )
                r_end[k, 0], r_end[k, 1], r_end[k, 2] = _hermite_position(
                    y, y5, kst[0], kst[_STAGES], h, frac
                )
                v_end[k, 0], v_end[k, 1], v_end[k, 2] = _hermite_velocity(
                    y, y5, kst[0], kst[_STAGES], h, frac
                )
                heat_load[k] += frac * h * (qc + qr)
                t_end[k] = t + frac * h
                status[k] = event
                n_acc += 1
                break
            # peaks over the stages of the accepted step (rejected steps skip the heating)
            stage_g = stage_qc = stage_qr = stage_q = 0.0
            new_qc = new_qr = 0.0
            for s in range(1, _STAGES + 1):
                spd = diag[s, _SPEED]
                f_s = 0.0
                if radiative and spd >= v_tab[0]:
                    f_s = interp_clamped(spd, v_tab, f_tab)
                new_qc, new_qr = _heat_fluxes(diag[s, _RHO], spd, nose, heat_constants, f_s)
                stage_g = max(stage_g, diag[s, _DECEL])
                stage_qc = max(stage_qc, new_qc)
                stage_qr = max(stage_qr, new_qr)
                stage_q = max(stage_q, diag[s, _QDYN])
            heat_load[k] += 0.5 * h * (qc + qr + new_qc + new_qr)  # trapezoid
            t += h
            for i in range(6):
                y[i] = y5[i]
                kst[0, i] = kst[_STAGES, i]
            qc, qr = new_qc, new_qr
            peak_g[k] = max(peak_g[k], stage_g)
            peak_qc[k] = max(peak_qc[k], stage_qc)
            peak_qr[k] = max(peak_qr[k], stage_qr)
            peak_q[k] = max(peak_q[k], stage_q)
            n_acc += 1
            bank_update(
                y,
                diag[_STAGES, _SPEED],
                diag[_STAGES, _DECEL] * G0,
                diag[_STAGES, _LD],
                h,
                ctrl,
                g_tables,
                g_params,
            )
            if record and n_acc < history.shape[1]:
                _record(history, k, n_acc, t, y, new_alt, diag[_STAGES, _DECEL], qc, qr, ctrl[2])
            # a skip-out climbs out of the atmosphere: a state that starts above the
            # escape altitude (an interface at 200 km) descends and is flown on
            if new_alt > escape_alt and y[0] * y[3] + y[1] * y[4] + y[2] * y[5] > 0.0:
                status[k] = STATUS_ESCAPED
                break
        factor = 0.9 * (1.0 / max(err, 1e-10)) ** 0.125  # 1 / (order + 1), order 7 of E5
        h *= min(10.0, max(0.2, factor))
        h = min(h, max_step)
    else:
        status[k] = STATUS_TIME_LIMIT
    if status[k] != STATUS_LANDED and status[k] != STATUS_STOP_SPEED:
        t_end[k] = t
        r_end[k, :] = y[:3]
        v_end[k, :] = y[3:]
    steps[k] = n_acc
    reversals[k] = int(ctrl[5])
    bank_end[k] = ctrl[2]


_BLOCK = 64
"""Trajectories per parallel work item; each item allocates its scratch arrays once."""


@njit(cache=True, parallel=True)
def _fly_kernel(r0, v0, p, atm, aero, vehicle, heat, guide, limits, history, out):
    n = r0.shape[0]
    for b in prange((n + _BLOCK - 1) // _BLOCK):
        scratch = (
            np.empty(6),
            np.empty(6),
            np.empty(6),
            np.empty((_STAGES + 1, 6)),
            np.empty((_STAGES + 1, _DIAG)),
            np.empty(6),
        )
        for k in range(b * _BLOCK, min(n, (b + 1) * _BLOCK)):
            _fly_one(k, r0, v0, scratch, p, atm, aero, vehicle, heat, guide, limits, history, out)


@njit(cache=True)
def _record(history, k, row, t, y, alt, decel, qc, qr, bank):
    history[k, row, 0] = t
    for i in range(6):
        history[k, row, 1 + i] = y[i]
    history[k, row, 7] = alt
    history[k, row, 8] = decel
    history[k, row, 9] = qc
    history[k, row, 10] = qr
    history[k, row, 11] = bank


@njit(cache=True, inline="always")
def _crossing(y0, y1, f0, f1, h, altitude, level, a_eq, flat):
    """Fraction of a step where the altitude (``altitude``) or else the speed falls to
    ``level``: bisection on the cubic Hermite of the step."""
    lo_f, hi_f = 0.0, 1.0
    for _ in range(60):
        mid = 0.5 * (lo_f + hi_f)
        if altitude:
            px, py, pz = _hermite_position(y0, y1, f0, f1, h, mid)
            value, _ = ellipsoid_height(px, py, pz, a_eq, flat)
        else:
            wx, wy, wz = _hermite_velocity(y0, y1, f0, f1, h, mid)
            value = math.sqrt(wx * wx + wy * wy + wz * wz)
        if value > level:
            lo_f = mid
        else:
            hi_f = mid
    return 0.5 * (lo_f + hi_f)


@njit(cache=True)
def _hermite(y0, y1, f0, f1, h, s, o):
    """Cubic Hermite of components o..o+2 at fraction ``s`` of a step (states, slopes)."""
    h00 = 2 * s**3 - 3 * s**2 + 1
    h10 = s**3 - 2 * s**2 + s
    h01 = -2 * s**3 + 3 * s**2
    h11 = s**3 - s**2
    a, b, c, d = h00, h10 * h, h01, h11 * h
    return (
        a * y0[o] + b * f0[o] + c * y1[o] + d * f1[o],
        a * y0[o + 1] + b * f0[o + 1] + c * y1[o + 1] + d * f1[o + 1],
        a * y0[o + 2] + b * f0[o + 2] + c * y1[o + 2] + d * f1[o + 2],
    )


@njit(cache=True)
def _hermite_position(y0, y1, f0, f1, h, s):
    """Position (x, y, z) at fraction ``s`` of a step."""
    return _hermite(y0, y1, f0, f1, h, s, 0)


@njit(cache=True)
def _hermite_velocity(y0, y1, f0, f1, h, s):
    """Velocity at fraction ``s`` of a step (the state's velocity part and its slope)."""
    return _hermite(y0, y1, f0, f1, h, s, 3)


def fly(
    position_m: np.ndarray,
    velocity_m_s: np.ndarray,
    *,
    planet: Planet,
    atmosphere: AtmosphereTable,
    aerodynamics: Aerodynamics,
    heating: Heating,
    mass_kg,
    reference_area_m2,
    nose_radius_m,
    cd_scale=1.0,
    t_max_s: float = 3600.0,
    rtol: float = 1e-9,
    atol_position_m: float = 1e-3,
    atol_velocity_m_s: float = 1e-6,
    escape_altitude_m: float | None = None,
    ground_altitude_m: float = 0.0,
    history_samples: int = 0,
    bank_rad=0.0,
    guidance: EntryGuidance | None = None,
    stop_speed_m_s: float = 0.0,
    max_step_s: float = 10.0,
) -> FlightResult:
    """Fly a batch of trajectories to the ground or to a stop speed (planet-fixed, SI).

    Parameters
    ----------
    position_m, velocity_m_s : (n, 3)
        Planet-fixed position and velocity (velocity relative to the rotating planet).
    mass_kg, reference_area_m2, nose_radius_m, cd_scale : float or (n,)
        Vehicle figures, per trajectory where arrays (``cd_scale`` multiplies CD, for
        aerodynamic dispersions).
    escape_altitude_m : float, optional
        A trajectory climbing (outward radial velocity) above this altitude is stopped as a
        skip-out (default: the top of the atmosphere table plus 10 km); one descending
        through it, as from an interface above the table, flies on.
    ground_altitude_m : float
        Height of the ground above the ellipsoid where the flight ends (terrain).
    history_samples : int
        Keep up to this many accepted steps per trajectory (for plots and checks).
    bank_rad : float or (n,)
        Bank angle of the lift vector (with ``aerodynamics.lift_to_drag``): held all the
        way without ``guidance``, the initial (pre-bank) value with it.
    guidance : EntryGuidance, optional
        Closed-loop bank guidance (:mod:`msrsim.core.entry_guidance`), updated after every
        accepted step; keep ``max_step_s`` near the guidance period (1 s).
    stop_speed_m_s : float
        End a trajectory when its planet-relative speed falls to this (located within the
        step), e.g. a parachute's deploy trigger.
    """
    r0 = kernel_input(position_m).reshape(-1, 3)
    v0 = kernel_input(velocity_m_s).reshape(-1, 3)
    n = r0.shape[0]
    if v0.shape != r0.shape:
        raise ValueError(f"velocity must have shape {r0.shape}, got {v0.shape}")

    def per_trajectory(name, value):
        arr = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()
        if not np.all(np.isfinite(arr)) or np.any(arr <= 0.0):
            raise ValueError(f"{name} must be finite and positive for every trajectory")
        return arr

    vehicle = (
        per_trajectory("mass_kg", mass_kg),
        per_trajectory("reference_area_m2", reference_area_m2),
        per_trajectory("cd_scale", cd_scale),
        per_trajectory("nose_radius_m", nose_radius_m),
    )

    def rows(name):
        table = kernel_input(np.atleast_2d(np.asarray(getattr(atmosphere, name), float)))
        if table.shape[0] not in (1, n) or table.shape[1] != np.size(atmosphere.altitude_m):
            raise ValueError(f"atmosphere.{name} must have 1 or {n} rows of one value per level")
        return table

    log_rho, wind_e, wind_n = rows("log_density"), rows("wind_east_m_s"), rows("wind_north_m_s")
    p = np.array(
        [
            planet.gm,
            planet.j2,
            planet.j2_radius_m,
            planet.equatorial_radius_m,
            planet.flattening,
            planet.spin_rad_s,
        ]
    )
    atm = (
        kernel_input(atmosphere.altitude_m),
        log_rho,
        kernel_input(atmosphere.speed_of_sound_m_s),
        wind_e,
        wind_n,
        float(atmosphere.mean_free_path_density_kg_m2),
    )
    atm = (*atm, *(spline_curvature(atm[0], table) for table in (log_rho, wind_e, wind_n)))
    atm = (*atm[:7], spline_curvature(atm[0], atm[2])[0], *atm[7:])
    lifting = aerodynamics.lift_to_drag is not None
    aero = (
        kernel_input(aerodynamics.mach),
        kernel_input(aerodynamics.cd_continuum),
        float(aerodynamics.cd_free_molecular),
        float(aerodynamics.reference_length_m),
        kernel_input(aerodynamics.lift_to_drag if lifting else aerodynamics.mach * 0.0),
        lifting,
    )
    bank0 = np.broadcast_to(np.asarray(bank_rad, dtype=np.float64), (n,)).copy()
    if not np.all(np.isfinite(bank0)):
        raise ValueError("bank_rad must be finite for every trajectory")
    packed = guidance.packed() if guidance is not None else no_guidance()
    guide = (bank0, *(kernel_input(part) for part in packed))
    heat = (
        float(heating.sutton_graves_k),
        float(heating.radiative_c),
        float(heating.radiative_b),
        float(heating.radiative_a_coefficient),
        float(heating.radiative_a_velocity_exponent),
        float(heating.radiative_a_density_exponent),
        float(heating.radiative_a_max),
        kernel_input(heating.radiative_velocity_m_s),
        kernel_input(heating.radiative_f),
    )
    escape = escape_altitude_m if escape_altitude_m is not None else float(atm[0][-1]) + 10_000.0
    history = np.full((n, max(history_samples, 1), len(HISTORY_COLUMNS)), np.nan)
    status = np.empty(n, np.int8)
    t_end = np.zeros(n)
    r_end = np.zeros((n, 3))
    v_end = np.zeros((n, 3))
    peaks = [np.zeros(n) for _ in range(5)]
    steps = np.zeros(n, np.int64)
    reversals = np.zeros(n, np.int64)
    bank_end = np.zeros(n)
    limits = (
        float(t_max_s),
        float(rtol),
        float(atol_position_m),
        float(atol_velocity_m_s),
        float(escape),
        float(ground_altitude_m),
        float(stop_speed_m_s),
        float(max_step_s),
    )
    out = (status, t_end, r_end, v_end, *peaks, steps, reversals, bank_end)
    _fly_kernel(r0, v0, p, atm, aero, vehicle, heat, guide, limits, history, out)
    return FlightResult(
        status=status,
        time_s=t_end,
        position_m=r_end,
        velocity_m_s=v_end,
        peak_deceleration_g=peaks[0],
        peak_convective_heat_flux_w_m2=peaks[1],
        peak_radiative_heat_flux_w_m2=peaks[2],
        heat_load_j_m2=peaks[3],
        peak_dynamic_pressure_pa=peaks[4],
        steps=steps,
        bank_reversals=reversals,
        bank_rad=bank_end,
        history=history if history_samples > 0 else None,
    )
