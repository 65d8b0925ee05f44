"""CCSDS Orbit Ephemeris Messages (OEM), KVN, version 2.0.

CCSDS 502.0-B-2, "Orbit Data Messages", Blue Book, 2009 (sect. 5: the OEM; Annex A: the
reference frames and time systems; 7.5 the KVN syntax), whose OEM rules 502.0-B-3 (2023)
keeps for ``CCSDS_OEM_VERS = 2.0`` messages.

One message per trajectory, one segment (``META_START`` ... data) per continuous arc, so
no reader interpolates across an impulse. Each data line is
``epoch x y z x_dot y_dot z_dot`` in km and km/s. A trajectory that carries state
covariances (:class:`msrsim.campaign.products.Covariance`: the Orbiting Sample at release,
the EES at its entry interface) gets a covariance block (5.2.5) after the data of the
segment holding each epoch: the lower triangle in km², km²/s, km²/s², 12 significant
digits.

Printed precision (:data:`POSITION_DECIMALS`, :data:`VELOCITY_DECIMALS`,
:data:`EPOCH_DECIMALS`): positions to 1e-6 km (1 mm), velocities to 1e-9 km/s
(1 um/s), epochs to 1 us, fixed-point. A heliocentric position of 2.5e8 km then has 15
significant digits, within float64's 15.9: reading back gives the states to half a unit
of the last digit.

Epochs: ``TDB`` from ``et`` exactly (TDB has no leap seconds: J2000 TDB,
2000-01-01T12:00:00, plus ``et`` seconds on a plain calendar, numpy ``datetime64[us]``);
``UTC`` through :func:`msrsim.core.time.et_to_utc_iso` (astropy/ERFA with the leap-second
table). ``CREATION_DATE`` is UTC.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from pathlib import Path

import numpy as np

__all__ = [
    "COVARIANCE_DIGITS",
    "EPOCH_DECIMALS",
    "ORIGINATOR",
    "POSITION_DECIMALS",
    "REF_FRAMES",
    "VELOCITY_DECIMALS",
    "oem_text",
    "tdb_iso",
    "write_oem",
]

POSITION_DECIMALS = 6
"""km: 1 mm."""
VELOCITY_DECIMALS = 9
"""km/s: 1 um/s."""
EPOCH_DECIMALS = 6
"""Seconds: 1 us."""
COVARIANCE_DIGITS = 12
"""Significant digits of a covariance element."""
ORIGINATOR = "MSRSIM"
REF_FRAMES = ("EME2000", "GCRF", "ICRF", "ITRF2000", "ITRF-93", "ITRF-97", "MCI", "TOD")
"""The CCSDS 502.0-B-2 Annex A reference frames this writer accepts."""
CENTERS = ("SUN", "MARS", "EARTH", "MARS BARYCENTER", "SOLAR SYSTEM BARYCENTER")
INTERPOLATION_DEGREE = 7
"""Declared for Hermite interpolation (positions and velocities): 4 points a side."""

_J2000_TDB = np.datetime64("2000-01-01T12:00:00", "us")


def tdb_iso(et) -> np.ndarray:
    """``et`` (s past J2000 TDB) as TDB calendar text to the microsecond
    (``2029-11-01T03:04:05.123456``): J2000 plus ``et`` on a calendar without leap
    seconds, rounded to 1 us."""
    us = np.round(np.asarray(et, np.float64) * 1e6).astype(np.int64)
    return np.datetime_as_string(_J2000_TDB + us.astype("timedelta64[us]"), unit="us")


def _epochs(et: np.ndarray, time_system: str) -> np.ndarray:
    if time_system == "TDB":
        return tdb_iso(et)
    if time_system == "UTC":
        from msrsim.core.time import et_to_utc_iso

        return et_to_utc_iso(et, precision=EPOCH_DECIMALS)
    raise ValueError(f"time_system = {time_system!r}: this writer knows 'TDB' and 'UTC'")


def _comment_lines(text: str) -> list[str]:
    """``COMMENT`` lines of ``text`` (KVN: one line each, wrapped at ~100 characters)."""
    import textwrap

    out = []
    for paragraph in text.splitlines():
        out += [f"COMMENT {line}" for line in textwrap.wrap(paragraph, 100)]
    return out


def oem_text(
    trajectory,
    *,
    originator: str = ORIGINATOR,
    creation_date: str | None = None,
    comments: Iterable[str] = (),
) -> str:
    """One OEM (KVN, version 2.0) of a :class:`msrsim.campaign.products.Trajectory`.

    ``creation_date``: UTC text (now by default); ``comments``: header comment lines.
    Raises ``ValueError`` for a frame or centre outside :data:`REF_FRAMES` /
    :data:`CENTERS`.
    """
    t = trajectory
    if t.frame not in REF_FRAMES:
        raise ValueError(f"{t.name}: REF_FRAME {t.frame!r} is not one of {REF_FRAMES}")
    if t.center not in CENTERS:
        raise ValueError(f"{t.name}: CENTER_NAME {t.center!r} is not one of {CENTERS}")
    if creation_date is None:
        now = _dt.datetime.now(_dt.UTC).replace(tzinfo=None)
        creation_date = now.isoformat(timespec="milliseconds")
    epochs = _epochs(t.et, t.time_system)
    lines = ["CCSDS_OEM_VERS = 2.0"]
    lines += _comment_lines("\n".join(comments))
    lines += [f"CREATION_DATE = {creation_date}", f"ORIGINATOR = {originator}", ""]
    state = np.hstack([t.position_m / 1e3, t.velocity_m_s / 1e3])
    spans = t.arc_slices()
    home = {  # each covariance in the first segment whose span holds its epoch
        id(c): next(k for k, (a, b) in enumerate(spans) if t.et[a] <= c.et <= t.et[b - 1])
        for c in t.covariances
    }
    fmt = " ".join(
        ["{}"] + [f"{{:.{POSITION_DECIMALS}f}}"] * 3 + [f"{{:.{VELOCITY_DECIMALS}f}}"] * 3
    )
    for k, (a, b) in enumerate(spans):
        lines += ["META_START"]
        if k == 0 and t.comment:
            lines += _comment_lines(t.comment)
        lines += [
            f"OBJECT_NAME = {t.object_name}",
            f"OBJECT_ID = {t.object_id}",
            f"CENTER_NAME = {t.center}",
            f"REF_FRAME = {t.frame}",
            f"TIME_SYSTEM = {t.time_system}",
            f"START_TIME = {epochs[a]}",
            f"USEABLE_START_TIME = {epochs[a]}",
            f"USEABLE_STOP_TIME = {epochs[b - 1]}",
            f"STOP_TIME = {epochs[b - 1]}",
        ]
        if t.interpolable and b - a > 1:
            degree = min(INTERPOLATION_DEGREE, b - a - 1)
            lines += ["INTERPOLATION = HERMITE", f"INTERPOLATION_DEGREE = {degree}"]
        lines += ["META_STOP", ""]
        if len(t.arcs) > 1:
            lines += [f"COMMENT arc {k + 1} of {len(t.arcs)}"]
        lines += [fmt.format(epochs[i], *state[i]) for i in range(a, b)]
        lines += [""]
        mine = [c for c in t.covariances if home[id(c)] == k]
        if mine:
            lines += _covariance_lines(mine, t.time_system, t.frame)
    return "\n".join(lines)


def _covariance_lines(covariances, time_system: str, frame: str) -> list[str]:
    """A ``COVARIANCE_START`` ... ``COVARIANCE_STOP`` block (502.0-B-2 5.2.5): per matrix
    its ``EPOCH``, ``COV_REF_FRAME`` and the lower triangle, row by row, in km², km²/s and
    km²/s², to :data:`COVARIANCE_DIGITS` significant digits."""
    epochs = _epochs(np.array([c.et for c in covariances]), time_system)
    lines = ["COVARIANCE_START"]
    for epoch, c in zip(epochs, covariances, strict=True):
        if c.comment:
            lines += _comment_lines(c.comment)
        lines += [f"EPOCH = {epoch}", f"COV_REF_FRAME = {frame}"]
        km = c.matrix / 1e6
        lines += [
            " ".join(f"{km[i, j]:.{COVARIANCE_DIGITS - 1}e}" for j in range(i + 1))
            for i in range(6)
        ]
    lines += ["COVARIANCE_STOP", ""]
    return lines


def write_oem(path, trajectory, **kwargs) -> Path:
    """Write :func:`oem_text` of ``trajectory`` to ``path`` (``.oem``); returns the path."""
    path = Path(path)
    path.write_text(oem_text(trajectory, **kwargs), encoding="ascii")
    return path
