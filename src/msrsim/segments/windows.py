"""Launch windows: ballistic porkchops, optimum transfers and launch periods.

A porkchop is the grid of patched-conic transfers between two planets over a span of
departure dates and a span of arrival dates: each cell is a heliocentric Lambert arc
(:mod:`msrsim.core.lambert`, Izzo 2015) between the planets' centres (DE421), and the
departure and arrival hyperbolic excess velocities are the arc's velocities minus the
planets' (the patched-conic approximation: the planets' spheres of influence are points).

Quantities, as in the NASA/JPL interplanetary mission-design handbooks (Sergeyevsky et al.
1983, JPL Publication 82-43; George and Kos 1998, NASA/TM-1998-208533; Burke et al. 2010,
NASA/TM-2010-216764):

* ``C3 = |v_inf_departure|^2``, the launch energy;
* DLA, the declination of the departure asymptote from the departure body's equator
  (EME2000 for the Earth, the IAU equator for Mars), and RLA, its right ascension in the
  EME2000 equator (ICRF axes);
* arrival ``v_inf`` and the declination of the arrival asymptote in the arrival body's
  equator (IAU pole for Mars, EME2000 for the Earth);
* the inertial entry speed at the entry interface,
  ``v_entry = sqrt(v_inf^2 + 2 GM / (R_eq + h_EI))`` (energy conservation on the approach
  hyperbola);
* the transfer type: I (heliocentric transfer angle below 180 deg), II (above), and
  2M + I/II for arcs of M complete revolutions (III, IV for M = 1, ...).

"Prograde" means heliocentric motion counter-clockwise seen from the north ecliptic pole:
positions are rotated to the J2000 ecliptic before the Lambert solve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from msrsim.core.bodies import SUN, body
from msrsim.core.ephemeris import get_ephemeris
from msrsim.core.frames import equator_pole, icrf_to_ecliptic_matrix
from msrsim.core.lambert import STATUS_OK, solve_lambert_grid
from msrsim.core.resources import require_memory
from msrsim.core.time import DAY_S, solar_longitude_deg

ENTRY_INTERFACE_ALTITUDE_M = {"mars": 125_000.0, "earth": 125_000.0}
"""Default entry-interface altitudes: 125 km at Mars (MSL, Mars 2020) and at Earth."""


@dataclass(frozen=True)
class Porkchop:
    """A grid of ballistic transfers; arrays are (n_departure, n_arrival, n_slot), SI units.

    ``slot`` indexes the Lambert solutions of each cell (0: direct arc; 2M - 1 and 2M: the
    two arcs of M revolutions). Cells whose ``status`` is not 0 hold NaN.
    """

    departure_body: str
    arrival_body: str
    departure_et: np.ndarray
    arrival_et: np.ndarray
    revs: np.ndarray
    tof_s: np.ndarray
    status: np.ndarray
    c3_m2_s2: np.ndarray
    dla_rad: np.ndarray
    rla_rad: np.ndarray
    v_inf_arrival_m_s: np.ndarray
    arrival_declination_rad: np.ndarray
    entry_speed_m_s: np.ndarray
    transfer_angle_rad: np.ndarray
    transfer_type: np.ndarray
    arrival_ls_deg: np.ndarray | None

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.c3_m2_s2.shape


@dataclass(frozen=True)
class Transfer:
    """One ballistic transfer picked from a porkchop (SI units, epochs as ``et``)."""

    transfer_type: int
    departure_et: float
    arrival_et: float
    tof_s: float
    c3_m2_s2: float
    dla_rad: float
    rla_rad: float
    v_inf_arrival_m_s: float
    arrival_declination_rad: float
    entry_speed_m_s: float
    arrival_ls_deg: float | None
    on_grid_edge: bool = False
    """True when the cell lies on the edge of the grid searched: the true optimum of this
    type is then outside the spans given, and this is only the best inside them."""


def _declination_to_pole(v: np.ndarray, pole: np.ndarray) -> np.ndarray:
    """Declination (rad) of vectors (..., 3) from the equator whose north pole is ``pole``."""
    sine = np.einsum("...i,...i->...", v, pole) / np.linalg.norm(v, axis=-1)
    return np.arcsin(np.clip(sine, -1.0, 1.0))


PORKCHOP_BYTES_PER_ARC = 320
"""Peak memory of :func:`porkchop` per (departure, arrival, arc) cell: its Lambert
velocities, excess velocities, C3, DLA, RLA and arrival figures (measured with tracemalloc
on 184 x 366 grids of 1, 3 and 7 arcs: 270-292 bytes, rounded up)."""


def porkchop(
    departure_body: str,
    arrival_body: str,
    departure_et,
    arrival_et,
    *,
    max_revs: int = 0,
    entry_interface_altitude_m: float | None = None,
) -> Porkchop:
    """Ballistic transfers for every (departure, arrival) pair of two epoch grids.

    Parameters
    ----------
    departure_body, arrival_body : str
        ``"earth"`` or ``"mars"`` (any body of :mod:`msrsim.core.bodies` with an ephemeris).
    departure_et, arrival_et : array_like, shapes (m,) and (k,)
        Epochs (s past J2000 TDB). Pairs with arrival before departure are flagged.
    max_revs : int
        Complete heliocentric revolutions allowed (0: types I and II only).
    entry_interface_altitude_m : float, optional
        Altitude of the entry interface for the entry speed (125 km by default).
    """
    dep_et = np.atleast_1d(np.asarray(departure_et, dtype=np.float64))
    arr_et = np.atleast_1d(np.asarray(arrival_et, dtype=np.float64))
    arcs = 2 * max_revs + 1
    require_memory(
        float(dep_et.size) * arr_et.size * arcs * PORKCHOP_BYTES_PER_ARC,
        f"a porkchop of {dep_et.size:,} departure x {arr_et.size:,} arrival epochs "
        f"({arcs} arc{'s' if arcs > 1 else ''} each)",
        "a larger step or shorter spans",
    )
    eph = get_ephemeris()
    dep = eph.state(departure_body, dep_et, "sun")
    arr = eph.state(arrival_body, arr_et, "sun")
    to_ecliptic = icrf_to_ecliptic_matrix()
    tof = arr_et[None, :] - dep_et[:, None]
    sol = solve_lambert_grid(
        dep.r @ to_ecliptic.T,
        arr.r @ to_ecliptic.T,
        tof,
        SUN.gm.value,
        prograde=True,
        max_revs=max_revs,
    )
    ok = sol.status == STATUS_OK
    v1 = sol.v1 @ to_ecliptic  # back to ICRF: row vectors times the matrix
    v2 = sol.v2 @ to_ecliptic
    v_inf_dep = v1 - dep.v[:, None, None, :]
    v_inf_arr = v2 - arr.v[None, :, None, :]

    c3 = np.einsum("...i,...i->...", v_inf_dep, v_inf_dep)
    rla = np.mod(np.arctan2(v_inf_dep[..., 1], v_inf_dep[..., 0]), 2 * np.pi)  # EME2000
    dla = _declination_to_pole(
        v_inf_dep, equator_pole(dep_et, body(departure_body))[:, None, None, :]
    )
    target = body(arrival_body)
    pole = equator_pole(arr_et, target)[None, :, None, :]
    arrival_dec = _declination_to_pole(v_inf_arr, pole)
    v_inf_arr_speed = np.linalg.norm(v_inf_arr, axis=-1)
    h_ei = (
        entry_interface_altitude_m
        if entry_interface_altitude_m is not None
        else ENTRY_INTERFACE_ALTITUDE_M.get(arrival_body.lower(), 125_000.0)
    )
    entry = np.sqrt(
        v_inf_arr_speed**2 + 2.0 * target.gm.value / (target.equatorial_radius.value + h_ei)
    )

    angle = _transfer_angle(dep.r, arr.r, to_ecliptic)[:, :, None]
    direct_type = np.where(angle < np.pi, 1, 2)
    transfer_type = 2 * sol.revs[None, None, :] + direct_type

    def masked(x):
        return np.where(ok, x, np.nan)

    return Porkchop(
        departure_body=departure_body.lower(),
        arrival_body=arrival_body.lower(),
        departure_et=dep_et,
        arrival_et=arr_et,
        revs=sol.revs,
        tof_s=tof,
        status=sol.status,
        c3_m2_s2=masked(c3),
        dla_rad=masked(dla),
        rla_rad=masked(rla),
        v_inf_arrival_m_s=masked(v_inf_arr_speed),
        arrival_declination_rad=masked(arrival_dec),
        entry_speed_m_s=masked(entry),
        transfer_angle_rad=np.broadcast_to(angle, ok.shape).copy(),
        transfer_type=np.where(ok, transfer_type, 0),
        arrival_ls_deg=solar_longitude_deg(arr_et) if target.naif_id == 499 else None,
    )


def _transfer_angle(r_dep: np.ndarray, r_arr: np.ndarray, to_ecliptic: np.ndarray):
    """Heliocentric angle swept from departure to arrival, prograde, in [0, 2 pi)."""
    a = r_dep @ to_ecliptic.T
    b = r_arr @ to_ecliptic.T
    cross_z = a[:, None, 0] * b[None, :, 1] - a[:, None, 1] * b[None, :, 0]
    cross_norm = np.linalg.norm(np.cross(a[:, None, :], b[None, :, :]), axis=-1)
    dot = a @ b.T
    angle = np.arctan2(cross_norm, dot)
    return np.where(cross_z >= 0.0, angle, 2 * np.pi - angle)


def transfer_at(chop: Porkchop, i: int, j: int, slot: int) -> Transfer:
    """The transfer in cell ``(i, j, slot)`` of a porkchop."""
    return Transfer(
        transfer_type=int(chop.transfer_type[i, j, slot]),
        departure_et=float(chop.departure_et[i]),
        arrival_et=float(chop.arrival_et[j]),
        tof_s=float(chop.tof_s[i, j]),
        c3_m2_s2=float(chop.c3_m2_s2[i, j, slot]),
        dla_rad=float(chop.dla_rad[i, j, slot]),
        rla_rad=float(chop.rla_rad[i, j, slot]),
        v_inf_arrival_m_s=float(chop.v_inf_arrival_m_s[i, j, slot]),
        arrival_declination_rad=float(chop.arrival_declination_rad[i, j, slot]),
        entry_speed_m_s=float(chop.entry_speed_m_s[i, j, slot]),
        arrival_ls_deg=(float(chop.arrival_ls_deg[j]) if chop.arrival_ls_deg is not None else None),
        on_grid_edge=bool(i in (0, chop.shape[0] - 1) or j in (0, chop.shape[1] - 1)),
    )


NEAR_180_BAND_DEG = 3.0
"""Half-width of the band of transfer angles about 180 deg left out of optima and launch
periods. There the ballistic arc's plane is set by the planets' positions alone: it needs a
large plane change except when the arrival planet sits near the line of nodes, where C3
dips along a knife-edge one grid cell wide. The mission-design handbooks' contours leave
the band out; with 3 deg, the 2026 type I optimum of Burke et al. (2010) is reproduced
(11.10 against 11.11 km2/s2), with none, the knife-edge at 179.9 deg gives 10.45."""


def _outside_180_band(chop: Porkchop, band_deg: float) -> np.ndarray:
    distance = np.abs(np.degrees(chop.transfer_angle_rad) % 360.0 - 180.0)
    return distance >= band_deg


def optima(
    chop: Porkchop, quantity: str = "c3_m2_s2", near_180_band_deg: float = NEAR_180_BAND_DEG
) -> dict[int, Transfer]:
    """The cell of least ``quantity`` (C3 by default) for each transfer type in the grid,
    leaving out transfer angles within ``near_180_band_deg`` of 180 deg."""
    values = np.where(_outside_180_band(chop, near_180_band_deg), getattr(chop, quantity), np.inf)
    best: dict[int, Transfer] = {}
    for kind in np.unique(chop.transfer_type[chop.transfer_type > 0]):
        masked = np.where(chop.transfer_type == kind, values, np.inf)
        i, j, slot = np.unravel_index(np.argmin(masked), masked.shape)
        if np.isfinite(masked[i, j, slot]):
            best[int(kind)] = transfer_at(chop, i, j, slot)
    return dict(sorted(best.items()))


def refine_optimum(
    chop: Porkchop,
    transfer: Transfer,
    quantity: str = "c3_m2_s2",
    span_days: float = 2.0,
    step_days: float = 0.05,
) -> Transfer:
    """Re-grid a small box around an optimum to locate it to ``step_days``.

    An optimum on the edge of the grid (the true one lies outside the spans searched) is
    returned unchanged, as is one whose refined position falls on the edge of the box.
    """
    if transfer.on_grid_edge:
        return transfer
    offsets = np.arange(-span_days, span_days + step_days / 2, step_days) * DAY_S
    fine = porkchop(
        chop.departure_body,
        chop.arrival_body,
        transfer.departure_et + offsets,
        transfer.arrival_et + offsets,
        max_revs=int(chop.revs.max()),
    )
    refined = optima(fine, quantity).get(transfer.transfer_type)
    return transfer if refined is None or refined.on_grid_edge else refined


# --------------------------------------------------------------------------------------
# Opportunities and launch periods
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opportunity:
    """Departure and arrival spans that bracket one synodic opportunity."""

    departure_body: str
    arrival_body: str
    year: int
    opposition_et: float
    departure_et: np.ndarray
    arrival_et: np.ndarray


# Days from the Earth-Mars opposition to the centre of the ballistic departure window:
# for Earth->Mars Hohmann-like arcs Mars leads the Earth by ~44 deg at launch, for Mars->
# Earth the Earth trails Mars by ~75 deg; the Earth gains ~0.46 deg/day on Mars.
_WINDOW_CENTRE_DAYS = {("earth", "mars"): -95.0, ("mars", "earth"): -165.0}


class OpportunityError(ValueError):
    """No ballistic opportunity departs in the year asked for."""


def oppositions(start_et: float, end_et: float) -> np.ndarray:
    """Epochs of Mars oppositions (greatest Sun-Earth-Mars angle) between two epochs."""
    from msrsim.core.geometry import intervals_below, solar_elongation

    et = np.arange(start_et, end_et, DAY_S)
    elongation = np.degrees(solar_elongation("mars", et))
    return np.array([s.extreme_et for s in intervals_below(et, 180.0 - elongation, 20.0)])


def opportunity(
    departure_body: str,
    arrival_body: str,
    year: int,
    *,
    departure_span_days: float = 240.0,
    tof_days: tuple[float, float] = (90.0, 500.0),
    step_days: float = 1.0,
) -> Opportunity:
    """The Earth<->Mars opportunity whose departure window is centred in ``year``.

    Raises
    ------
    OpportunityError
        When no window is centred in ``year``, naming the years that have one.
    """
    from msrsim.core.time import et_to_utc_datetime, utc_to_et

    pair = (departure_body.lower(), arrival_body.lower())
    if pair not in _WINDOW_CENTRE_DAYS:
        raise OpportunityError(
            f"opportunities are defined for earth->mars and mars->earth, "
            f"not {departure_body}->{arrival_body}"
        )
    lo, hi = utc_to_et([f"{year - 2}-01-01", f"{year + 2}-12-31"])
    centres = oppositions(lo, hi) + _WINDOW_CENTRE_DAYS[pair] * DAY_S
    years = [d.year for d in et_to_utc_datetime(centres)]
    if year not in years:
        raise OpportunityError(
            f"no {pair[0]}->{pair[1]} opportunity departs in {year}; nearby ones depart in "
            + ", ".join(f"{d:%Y-%m}" for d in et_to_utc_datetime(centres))
        )
    centre = centres[years.index(year)]
    half = departure_span_days / 2 * DAY_S
    departure_et = np.arange(centre - half, centre + half + 1.0, step_days * DAY_S)
    arrival_et = np.arange(
        departure_et[0] + tof_days[0] * DAY_S,
        departure_et[-1] + tof_days[1] * DAY_S + 1.0,
        step_days * DAY_S,
    )
    return Opportunity(
        pair[0],
        pair[1],
        year,
        float(centre - _WINDOW_CENTRE_DAYS[pair] * DAY_S),
        departure_et,
        arrival_et,
    )


@dataclass(frozen=True)
class LaunchVehicle:
    """A launch vehicle's delivered mass against C3 (interpolated linearly)."""

    name: str
    c3_m2_s2: np.ndarray
    mass_kg: np.ndarray

    def delivered_mass_kg(self, c3_m2_s2) -> np.ndarray:
        """Mass the vehicle can send to ``c3``; NaN beyond the curve's last point."""
        c3 = np.asarray(c3_m2_s2, dtype=np.float64)
        mass = np.interp(c3, self.c3_m2_s2, self.mass_kg, right=np.nan)
        return np.where(c3 < self.c3_m2_s2[0], self.mass_kg[0], mass)


@dataclass(frozen=True)
class LaunchPeriod:
    """A run of consecutive launch days and the worst case over it (SI units)."""

    days: int
    open_et: float
    close_et: float
    max_c3_m2_s2: float
    daily_departure_et: np.ndarray
    daily_c3_m2_s2: np.ndarray
    daily_arrival_et: np.ndarray
    daily_dla_rad: np.ndarray
    daily_transfer_type: np.ndarray
    delivered_mass_kg: float | None = None
    spacecraft_mass_kg: float | None = None

    @property
    def mass_margin_kg(self) -> float | None:
        if self.delivered_mass_kg is None or self.spacecraft_mass_kg is None:
            return None
        return self.delivered_mass_kg - self.spacecraft_mass_kg


def _allowed_cells(
    chop: Porkchop,
    *,
    arrival_window_et: tuple[float, float] | None,
    arrival_allowed: np.ndarray | None,
    dla_limit_rad: float | None,
    transfer_types: tuple[int, ...] | None,
    max_c3_m2_s2: float | None,
    near_180_band_deg: float,
) -> np.ndarray:
    """The cells (n_departure, n_arrival, n_slot) a launch period may use."""
    allowed = np.isfinite(chop.c3_m2_s2) & _outside_180_band(chop, near_180_band_deg)
    if arrival_window_et is not None:
        lo, hi = arrival_window_et
        if lo == hi:
            column = np.zeros(chop.arrival_et.shape, dtype=bool)
            column[np.argmin(np.abs(chop.arrival_et - lo))] = True
        else:
            column = (chop.arrival_et >= lo) & (chop.arrival_et <= hi)
        allowed &= column[None, :, None]
    if arrival_allowed is not None:
        allowed &= np.asarray(arrival_allowed, dtype=bool)[None, :, None]
    if dla_limit_rad is not None:
        allowed &= np.abs(chop.dla_rad) <= dla_limit_rad
    if transfer_types is not None:
        allowed &= np.isin(chop.transfer_type, transfer_types)
    if max_c3_m2_s2 is not None:
        allowed &= chop.c3_m2_s2 <= max_c3_m2_s2
    return allowed


def launch_period(
    chop: Porkchop,
    days: int,
    *,
    arrival_window_et: tuple[float, float] | None = None,
    arrival_allowed: np.ndarray | None = None,
    dla_limit_rad: float | None = None,
    transfer_types: tuple[int, ...] | None = None,
    max_c3_m2_s2: float | None = None,
    vehicle: LaunchVehicle | None = None,
    spacecraft_mass_kg: float | None = None,
    near_180_band_deg: float = NEAR_180_BAND_DEG,
) -> LaunchPeriod | None:
    """The ``days`` consecutive departure days whose largest C3 is least.

    Each departure day takes its best arrival inside ``arrival_window_et`` (the whole grid
    when ``None``; a single arrival date when both ends are equal) and where
    ``arrival_allowed`` (one flag per arrival epoch, e.g. outside a season) is true, among
    cells of the allowed ``transfer_types`` with ``|DLA| <= dla_limit_rad`` and
    ``C3 <= max_c3_m2_s2``. Days are the grid's departure epochs (daily grids give days).
    Returns ``None`` when no run of ``days`` feasible days exists. Transfer angles within
    ``near_180_band_deg`` of 180 deg are left out (see :data:`NEAR_180_BAND_DEG`).
    """
    allowed = _allowed_cells(
        chop,
        arrival_window_et=arrival_window_et,
        arrival_allowed=arrival_allowed,
        dla_limit_rad=dla_limit_rad,
        transfer_types=transfer_types,
        max_c3_m2_s2=max_c3_m2_s2,
        near_180_band_deg=near_180_band_deg,
    )
    c3 = np.where(allowed, chop.c3_m2_s2, np.inf)
    flat = c3.reshape(c3.shape[0], -1)
    best = np.argmin(flat, axis=1)
    daily = flat[np.arange(flat.shape[0]), best]
    if days > daily.size:
        return None
    worst = np.lib.stride_tricks.sliding_window_view(daily, days).max(axis=1)
    start = int(np.argmin(worst))
    if not np.isfinite(worst[start]):
        return None
    sel = slice(start, start + days)
    j, slot = np.unravel_index(best[sel], c3.shape[1:])
    i = np.arange(start, start + days)
    delivered = float(vehicle.delivered_mass_kg(worst[start])) if vehicle is not None else None
    return LaunchPeriod(
        days=days,
        open_et=float(chop.departure_et[start]),
        close_et=float(chop.departure_et[start + days - 1]),
        max_c3_m2_s2=float(worst[start]),
        daily_departure_et=chop.departure_et[sel].copy(),
        daily_c3_m2_s2=daily[sel].copy(),
        daily_arrival_et=chop.arrival_et[j],
        daily_dla_rad=chop.dla_rad[i, j, slot],
        daily_transfer_type=chop.transfer_type[i, j, slot],
        delivered_mass_kg=delivered,
        spacecraft_mass_kg=spacecraft_mass_kg,
    )


@dataclass(frozen=True)
class EarliestArrivalPeriod:
    """:func:`earliest_arrival_period`'s answer: the period, or why there is none."""

    period: LaunchPeriod | None
    latest_arrival_et: float
    """The latest arrival any day of the period may take (NaN without a period)."""
    longest_run_days: int
    """The longest run of consecutive departure days with an allowed transfer at all."""


def earliest_arrival_period(
    chop: Porkchop,
    days: int,
    *,
    arrival_allowed: np.ndarray | None = None,
    dla_limit_rad: float | None = None,
    transfer_types: tuple[int, ...] | None = None,
    max_c3_m2_s2: float | None = None,
    vehicle: LaunchVehicle | None = None,
    spacecraft_mass_kg: float | None = None,
    near_180_band_deg: float = NEAR_180_BAND_DEG,
) -> EarliestArrivalPeriod:
    """The launch period of ``days`` consecutive days whose latest arrival is earliest.

    Each departure day's earliest allowed arrival is found (the same constraints as
    :func:`launch_period`); the run of ``days`` days whose largest such arrival is least
    sets the arrival date ``A`` that every day of the period can make. The period is then
    :func:`launch_period` with arrivals up to ``A``: each day flies its least-C3 transfer
    arriving on or before ``A``. It is the rule that leaves the most time at the
    destination on every launch day, for a mission whose work there has a fixed end.
    """
    constraints = dict(
        arrival_allowed=arrival_allowed,
        dla_limit_rad=dla_limit_rad,
        transfer_types=transfer_types,
        max_c3_m2_s2=max_c3_m2_s2,
        near_180_band_deg=near_180_band_deg,
    )
    allowed = _allowed_cells(chop, arrival_window_et=None, **constraints)
    any_arrival = allowed.any(axis=2)  # (departure, arrival)
    feasible_day = any_arrival.any(axis=1)
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], feasible_day, [0]]))))[::2]
    longest = int(runs.max()) if runs.size else 0
    if longest < days:
        return EarliestArrivalPeriod(None, math.nan, longest)
    first = np.where(feasible_day, np.argmax(any_arrival, axis=1), np.iinfo(np.int64).max)
    worst = np.lib.stride_tricks.sliding_window_view(first, days).max(axis=1)
    latest = float(chop.arrival_et[int(worst.min())])
    period = launch_period(
        chop,
        days,
        arrival_window_et=(float(chop.arrival_et[0]), latest),
        vehicle=vehicle,
        spacecraft_mass_kg=spacecraft_mass_kg,
        **constraints,
    )
    return EarliestArrivalPeriod(period, latest, longest)


def least_c3_transfer(
    chop: Porkchop,
    *,
    entry_speed_max_m_s: float | None = None,
    departure_after_et: float | None = None,
    near_180_band_deg: float = NEAR_180_BAND_DEG,
) -> Transfer | None:
    """The least-C3 transfer of a porkchop (any type), with the entry speed at the arrival
    body at most ``entry_speed_max_m_s`` and departing at or after ``departure_after_et``;
    ``None`` when no cell qualifies. Transfer angles near 180 deg are left out as in
    :func:`optima`."""
    allowed = np.isfinite(chop.c3_m2_s2) & _outside_180_band(chop, near_180_band_deg)
    if entry_speed_max_m_s is not None:
        allowed &= chop.entry_speed_m_s <= entry_speed_max_m_s
    if departure_after_et is not None:
        allowed &= (chop.departure_et >= departure_after_et)[:, None, None]
    c3 = np.where(allowed, chop.c3_m2_s2, np.inf)
    i, j, slot = np.unravel_index(np.argmin(c3), c3.shape)
    return transfer_at(chop, i, j, slot) if np.isfinite(c3[i, j, slot]) else None


@dataclass(frozen=True)
class WindowResult:
    """A leg's launch or return window: the porkchop searched and what was chosen in it."""

    porkchop: Porkchop
    optima: dict[int, Transfer]
    launch_period: LaunchPeriod | None


def daily_grid(start_et: float, end_et: float, step_days: float = 1.0) -> np.ndarray:
    """Epochs from ``start_et`` to ``end_et`` (inclusive) every ``step_days``."""
    return np.arange(start_et, end_et + 1.0, step_days * DAY_S)


def search_window(
    departure_body: str,
    arrival_body: str,
    departure_span_et: tuple[float, float],
    arrival_span_et: tuple[float, float],
    *,
    max_revs: int = 0,
    launch_period_days: int | None = None,
    dla_limit_rad: float | None = None,
    vehicle: LaunchVehicle | None = None,
    spacecraft_mass_kg: float | None = None,
    step_days: float = 1.0,
) -> WindowResult:
    """Porkchop over the spans, the optimum of each type, and the best launch period."""
    chop = porkchop(
        departure_body,
        arrival_body,
        daily_grid(*departure_span_et, step_days),
        daily_grid(*arrival_span_et, step_days),
        max_revs=max_revs,
    )
    best = {k: refine_optimum(chop, t) for k, t in optima(chop).items()}
    period = None
    if launch_period_days is not None:
        period = launch_period(
            chop,
            launch_period_days,
            dla_limit_rad=dla_limit_rad,
            vehicle=vehicle,
            spacecraft_mass_kg=spacecraft_mass_kg,
        )
    return WindowResult(chop, best, period)
