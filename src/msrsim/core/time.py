"""Time scales: UTC and TDB seconds past J2000 (``et``), and Mars time per Mars24.

Inside msrsim every epoch is ``et``: float64 seconds past J2000 (2000-01-01 12:00:00) in
TDB. UTC, calendar text and Mars time are converted here, at the edges.

UTC <-> TDB goes through astropy (ERFA underneath: leap seconds, TT = TAI + 32.184 s, and
TDB - TT from ``erfa.dtdb`` at the geocentre). No IERS table is ever downloaded: leap
seconds come from the table that astropy ships; an epoch past its last entry is assumed to
have no further leap second.

Mars time follows the Mars24 algorithm of NASA GISS, "Mars24 Sunclock -- Algorithm and
Worked Examples" (Allison, M., McEwen, M., "A post-Pathfinder evaluation of areocentric
solar coordinates with improved timing recipes for Mars seasonal/diurnal climate
studies", Planet. Space Sci. 48:215-235 (2000), with the updated coefficients of the
GISS page). Step labels (A-6, B-1, ..., C-5) are those of the GISS page.

Mars years follow Clancy et al. (2000) as extended by Piqueux et al. (2015): Mars Year 1
began at Ls = 0 on 1955-04-11.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from msrsim.core.bodies import DAY_S

J2000_JD = 2451545.0  # TDB Julian date of J2000, the origin of et
SOL_PER_DAY = 1.0 / 1.027491252  # Mars24 C-2: Earth days per sol = 1.027491252
SOL_S = 1.027491252 * 86400.0  # the mean solar day on Mars, s (88,775.244 s; Mars24 C-2)

ArrayLike = float | np.ndarray | Iterable[float]


class TimeInputError(ValueError):
    """A time given by a user could not be understood."""


@lru_cache(maxsize=1)
def _astropy_time():
    """Import astropy's Time lazily with downloads switched off (no network at run time)."""
    from astropy.time import Time
    from astropy.utils import iers

    iers.conf.auto_download = False
    iers.conf.auto_max_age = None
    return Time


@contextmanager
def no_dubious_year_warnings():
    """Silence ERFA's "dubious year" warning for epochs past its leap-second table.

    msrsim assumes no further leap second after the table's last entry (module docstring).
    """
    from erfa import ErfaWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*dubious year", category=ErfaWarning)
        yield


def _as_et(et: ArrayLike) -> np.ndarray:
    return np.atleast_1d(np.asarray(et, dtype=np.float64))


def utc_to_et(utc: Any) -> np.ndarray:
    """UTC to TDB seconds past J2000.

    Parameters
    ----------
    utc : str, datetime, numpy.datetime64, astropy Time, or a sequence of those
        ISO 8601 text (``"2028-07-15"``, ``"2028-07-15T12:00:00"``, a trailing ``Z`` is
        accepted), naive datetimes taken as UTC, or aware ones converted to UTC.

    Returns
    -------
    numpy.ndarray
        ``et``, shape ``(n,)``.

    Raises
    ------
    TimeInputError
        When the text is not a date, with the offending value in the message.
    """
    Time = _astropy_time()
    if isinstance(utc, Time):
        t = utc
    else:
        values = [utc] if isinstance(utc, str | _dt.datetime | _dt.date) else list(np.ravel(utc))
        values = [_normalise_utc_value(v) for v in values]
        with no_dubious_year_warnings():
            t = Time(values, scale="utc")
    with no_dubious_year_warnings():
        tdb = t.tdb
    et = ((tdb.jd1 - J2000_JD) + tdb.jd2) * DAY_S
    return np.atleast_1d(np.asarray(et, dtype=np.float64))


def _normalise_utc_value(value: Any) -> Any:
    if isinstance(value, np.str_):  # an element of an array: the user's text (its repr in
        value = str(value)  # a message is then theirs, not "np.str_(...)")
    if isinstance(value, str):
        text = value.strip()
        text = text[:-1] if text.endswith(("Z", "z")) else text
        try:
            value = _dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise TimeInputError(
                f"{value!r} is not a UTC date ({exc}; expected ISO 8601 such as "
                "2028-07-15 or 2028-07-15T12:00:00)"
            ) from None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[us]").item()
    raise TimeInputError(f"{value!r} is not a UTC date (expected ISO 8601 text or a datetime)")


def et_to_utc_time(et: ArrayLike):
    """TDB seconds past J2000 to an astropy ``Time`` in UTC (for output at the edges)."""
    Time = _astropy_time()
    et = _as_et(et)
    days = et / DAY_S
    whole = np.floor(days)
    with no_dubious_year_warnings():
        return Time(J2000_JD + whole, days - whole, format="jd", scale="tdb").utc


def et_to_utc_iso(et: ArrayLike, precision: int = 0) -> np.ndarray:
    """TDB seconds past J2000 to ISO 8601 UTC text (``2028-07-15T12:00:00``), shape ``(n,)``."""
    t = et_to_utc_time(et)
    t.precision = precision
    with no_dubious_year_warnings():
        return np.atleast_1d(t.isot)


def et_to_utc_datetime(et: ArrayLike) -> list[_dt.datetime]:
    """TDB seconds past J2000 to naive UTC datetimes (microsecond resolution)."""
    with no_dubious_year_warnings():
        return list(np.atleast_1d(et_to_utc_time(et).to_datetime()))


def et_to_jd_tt(et: ArrayLike) -> np.ndarray:
    """TDB seconds past J2000 to days past J2000 in TT (Mars24 A-6, ``Delta t_J2000``).

    TT = TDB - (TDB - TT), the periodic term of ``erfa.dtdb`` at the geocentre (< 1.7 ms).
    """
    import erfa

    et = _as_et(et)
    days = et / DAY_S
    tdb_minus_tt_s = erfa.dtdb(J2000_JD, days, 0.0, 0.0, 0.0, 0.0)
    return days - tdb_minus_tt_s / DAY_S


def jd_tt_to_et(delta_t_j2000_tt: ArrayLike) -> np.ndarray:
    """Days past J2000 in TT to TDB seconds past J2000 (inverse of :func:`et_to_jd_tt`)."""
    import erfa

    days = _as_et(delta_t_j2000_tt)
    return (days + erfa.dtdb(J2000_JD, days, 0.0, 0.0, 0.0, 0.0) / DAY_S) * DAY_S


# --------------------------------------------------------------------------------------
# Mars24 (Allison and McEwen 2000; NASA GISS worked examples)
# --------------------------------------------------------------------------------------

_PBS_AMPLITUDE_DEG = np.array([0.0071, 0.0057, 0.0039, 0.0037, 0.0021, 0.0020, 0.0018])
_PBS_PERIOD_YR = np.array([2.2353, 2.7543, 1.1177, 15.7866, 2.1354, 2.4694, 32.8493])
_PBS_PHASE_DEG = np.array([49.409, 168.173, 191.837, 21.736, 15.704, 95.528, 49.095])
MARS_YEAR_OFFSET = 24  # Mars Year at J2000 (Ls 270.4 + ...): MY 24 began 1998-07-14


def _equation_of_center_deg(dt_days: np.ndarray) -> np.ndarray:
    """Mars24 B-3 and B-4: nu - M, the equation of centre with planetary perturbations."""
    mean_anomaly = np.radians(19.3871 + 0.52402073 * dt_days)  # B-1
    pbs = np.sum(  # B-3
        _PBS_AMPLITUDE_DEG
        * np.cos(np.radians(0.985626 * dt_days[:, None] / _PBS_PERIOD_YR + _PBS_PHASE_DEG)),
        axis=1,
    )
    return (  # B-4
        (10.691 + 3.0e-7 * dt_days) * np.sin(mean_anomaly)
        + 0.623 * np.sin(2 * mean_anomaly)
        + 0.050 * np.sin(3 * mean_anomaly)
        + 0.005 * np.sin(4 * mean_anomaly)
        + 0.0005 * np.sin(5 * mean_anomaly)
        + pbs
    )


def _unwrapped_ls_deg(dt_days: np.ndarray) -> np.ndarray:
    """Areocentric solar longitude without the modulo: B-2 plus B-4 (B-5 before ``mod 360``)."""
    fictitious_mean_sun = 270.3871 + 0.524038496 * dt_days  # B-2
    return fictitious_mean_sun + _equation_of_center_deg(dt_days)  # B-5


def solar_longitude_deg(et: ArrayLike) -> np.ndarray:
    """Areocentric solar longitude Ls in degrees, [0, 360) (Mars24 B-5)."""
    return np.mod(_unwrapped_ls_deg(et_to_jd_tt(et)), 360.0)


def mars_year(et: ArrayLike) -> np.ndarray:
    """Mars Year (Clancy et al. 2000; Piqueux et al. 2015): MY 1 began at Ls 0 in April 1955."""
    return (np.floor(_unwrapped_ls_deg(et_to_jd_tt(et)) / 360.0) + MARS_YEAR_OFFSET).astype(
        np.int64
    )


def et_of_solar_longitude(mars_year_number: ArrayLike, ls_deg: ArrayLike) -> np.ndarray:
    """Epoch (``et``) at which Mars Year ``mars_year_number`` reaches solar longitude ``ls_deg``.

    Inverts the monotonic unwrapped Ls of Mars24 by Newton iteration (rate from B-2 plus the
    derivative of the leading B-4 term); converges to 1e-9 deg in a few steps.
    """
    year = np.atleast_1d(np.asarray(mars_year_number, dtype=np.float64))
    target = (year - MARS_YEAR_OFFSET) * 360.0 + np.atleast_1d(np.asarray(ls_deg, float))
    dt = (target - 270.3871) / 0.524038496
    for _ in range(50):
        err = _unwrapped_ls_deg(dt) - target
        mean_anomaly = np.radians(19.3871 + 0.52402073 * dt)
        rate = 0.524038496 + 10.691 * np.cos(mean_anomaly) * np.radians(0.52402073)
        rate += 1.246 * np.cos(2 * mean_anomaly) * np.radians(0.52402073)
        dt = dt - err / rate
        if np.all(np.abs(err) < 1e-10):
            break
    return jd_tt_to_et(dt)


def mars_solar_date(et: ArrayLike) -> np.ndarray:
    """Mars Sol Date (Mars24 C-2): the count of mean solar days at the prime meridian."""
    dt = et_to_jd_tt(et)
    return (dt - 4.5) / 1.027491252 + 44796.0 - 0.00096  # C-2


def et_of_mars_solar_date(msd: ArrayLike) -> np.ndarray:
    """Inverse of :func:`mars_solar_date`."""
    msd = np.atleast_1d(np.asarray(msd, dtype=np.float64))
    return jd_tt_to_et((msd - 44796.0 + 0.00096) * 1.027491252 + 4.5)


def coordinated_mars_time_hours(et: ArrayLike) -> np.ndarray:
    """Coordinated Mars Time, mean solar time at the prime meridian, hours (Mars24 C-3)."""
    return np.mod(24.0 * mars_solar_date(et), 24.0)


def equation_of_time_deg(et: ArrayLike) -> np.ndarray:
    """Mars equation of time (true minus mean solar time) in degrees (Mars24 C-1)."""
    dt = et_to_jd_tt(et)
    ls = np.radians(_unwrapped_ls_deg(dt))
    return (  # C-1
        2.861 * np.sin(2 * ls)
        - 0.071 * np.sin(4 * ls)
        + 0.002 * np.sin(6 * ls)
        - _equation_of_center_deg(dt)
    )


def local_mean_solar_time_hours(et: ArrayLike, east_longitude_deg: ArrayLike) -> np.ndarray:
    """Local mean solar time (Mars24 C-4), for an east-positive planetocentric longitude."""
    lon = np.asarray(east_longitude_deg, dtype=np.float64)
    return np.mod(coordinated_mars_time_hours(et) + lon / 15.0, 24.0)


def local_true_solar_time_hours(et: ArrayLike, east_longitude_deg: ArrayLike) -> np.ndarray:
    """Local true solar time (Mars24 C-5): LMST plus the equation of time."""
    return np.mod(
        local_mean_solar_time_hours(et, east_longitude_deg) + equation_of_time_deg(et) / 15.0,
        24.0,
    )


def subsolar_longitude_deg(et: ArrayLike) -> np.ndarray:
    """East longitude of the sub-solar point, [0, 360).

    Mars24 C-6 gives the west longitude ``15 MTC + EOT + 180 deg``; east is its negative.
    """
    west = 15.0 * coordinated_mars_time_hours(et) + equation_of_time_deg(et) + 180.0  # C-6
    return np.mod(-west, 360.0)


def solar_declination_deg(et: ArrayLike) -> np.ndarray:
    """Planetographic declination of the Sun (Mars24 D-1)."""
    ls = np.radians(solar_longitude_deg(et))
    return np.degrees(np.arcsin(0.42565 * np.sin(ls))) + 0.25 * np.sin(ls)  # D-1


def format_hours(hours: ArrayLike) -> list[str]:
    """Decimal hours to ``HH:MM:SS`` text, seconds truncated as Mars24 prints them."""
    total = np.floor(np.atleast_1d(np.asarray(hours, dtype=np.float64)) * 3600.0 + 1e-6)
    total = total.astype(np.int64) % 86400
    return [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in total]


# --------------------------------------------------------------------------------------
# Mission sols
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MissionClock:
    """A lander's mission-sol count: sol 0 is the landing sol, sols change at local midnight.

    Sols are counted in local mean solar time at ``east_longitude_deg``, the convention of
    the Mars Exploration Rovers, Curiosity and Perseverance.
    """

    name: str
    landing_utc: str
    east_longitude_deg: float

    @property
    def landing_et(self) -> float:
        return float(utc_to_et(self.landing_utc)[0])

    def _local_msd(self, et: ArrayLike) -> np.ndarray:
        return mars_solar_date(et) + self.east_longitude_deg / 360.0

    def sol(self, et: ArrayLike) -> np.ndarray:
        """Mission sol number at ``et`` (negative before the landing sol)."""
        first = np.floor(self._local_msd(self.landing_et))
        return (np.floor(self._local_msd(et)) - first).astype(np.int64)

    def sol_start_et(self, sol: ArrayLike) -> np.ndarray:
        """Epoch of local mean midnight that begins mission sol ``sol``."""
        first = np.floor(self._local_msd(self.landing_et))
        local_msd = first + np.atleast_1d(np.asarray(sol, dtype=np.float64))
        return et_of_mars_solar_date(local_msd - self.east_longitude_deg / 360.0)


PERSEVERANCE_CLOCK = MissionClock(
    name="Mars 2020 Perseverance",
    # Touchdown confirmed on Earth 2021-02-18 20:55 UTC (NASA); landing site 77.45 E.
    landing_utc="2021-02-18T20:55:00",
    east_longitude_deg=77.45,
)


@dataclass(frozen=True)
class MarsTime:
    """Mars time at a batch of epochs (and, with a longitude, local solar times)."""

    et: np.ndarray
    mars_solar_date: np.ndarray
    coordinated_mars_time_hours: np.ndarray
    solar_longitude_deg: np.ndarray
    mars_year: np.ndarray
    equation_of_time_deg: np.ndarray
    subsolar_longitude_deg: np.ndarray
    east_longitude_deg: float | None = None
    local_mean_solar_time_hours: np.ndarray | None = None
    local_true_solar_time_hours: np.ndarray | None = None


def mars_time(et: ArrayLike, east_longitude_deg: float | None = None) -> MarsTime:
    """All Mars24 quantities at ``et``; local times too when a longitude is given."""
    et = _as_et(et)
    local = east_longitude_deg is not None
    return MarsTime(
        et=et,
        mars_solar_date=mars_solar_date(et),
        coordinated_mars_time_hours=coordinated_mars_time_hours(et),
        solar_longitude_deg=solar_longitude_deg(et),
        mars_year=mars_year(et),
        equation_of_time_deg=equation_of_time_deg(et),
        subsolar_longitude_deg=subsolar_longitude_deg(et),
        east_longitude_deg=east_longitude_deg,
        local_mean_solar_time_hours=(
            local_mean_solar_time_hours(et, east_longitude_deg) if local else None
        ),
        local_true_solar_time_hours=(
            local_true_solar_time_hours(et, east_longitude_deg) if local else None
        ),
    )
