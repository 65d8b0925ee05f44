"""Positions and velocities of the Sun, Earth, Moon and Mars from a JPL DE kernel.

The default kernel is JPL DE421 (Folkner, W. M., Williams, J. G., Boggs, D. H., "The
Planetary and Lunar Ephemeris DE 421", JPL IOM 343R-08-003, 2008), as shipped by the
``skyfield-data`` package and read with ``jplephem`` (Chebyshev SPK type 2 segments). It
covers 1899-07-29 to 2053-10-09 and needs no network. Any other SPK file with the same
segments (DE430, DE440, ...) can be passed by path.

Vectors are geometric (no light time, no aberration), in the ICRF axes, in metres and
metres per second, for epochs in TDB seconds past J2000. Body centres are composed from
the kernel's segment chains: Earth = (0->3) + (3->399), Mars = (0->4) + (4->499), etc.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from msrsim.core.time import DAY_S, J2000_JD

KM = 1000.0

# NAIF IDs of the bodies msrsim needs, by the names users write.
NAIF_IDS: dict[str, int] = {
    "ssb": 0,
    "solar system barycenter": 0,
    "earth barycenter": 3,
    "earth-moon barycenter": 3,
    "mars barycenter": 4,
    "sun": 10,
    "moon": 301,
    "earth": 399,
    "mars": 499,
}


class EphemerisRangeError(ValueError):
    """An epoch lies outside the kernel's coverage."""


@dataclass(frozen=True)
class StateVectors:
    """Positions ``r`` (n, 3) in m and velocities ``v`` (n, 3) in m/s, ICRF axes."""

    r: np.ndarray
    v: np.ndarray


def default_kernel_path() -> Path:
    """Path of the DE421 kernel shipped by the ``skyfield-data`` package."""
    import skyfield_data

    return Path(skyfield_data.__file__).parent / "data" / "de421.bsp"


class Ephemeris:
    """A JPL SPK planetary ephemeris.

    Parameters
    ----------
    path : path-like, optional
        SPK file; the packaged DE421 by default.
    """

    def __init__(self, path: str | Path | None = None):
        from jplephem.spk import SPK

        self.path = Path(path) if path is not None else default_kernel_path()
        if not self.path.is_file():
            raise FileNotFoundError(f"ephemeris kernel not found: {self.path}")
        self._kernel = SPK.open(str(self.path))
        self._segments = {(s.center, s.target): s for s in self._kernel.segments}
        start = max(s.start_jd for s in self._kernel.segments)
        end = min(s.end_jd for s in self._kernel.segments)
        self.coverage_et = ((start - J2000_JD) * DAY_S, (end - J2000_JD) * DAY_S)
        self.name = self.path.stem.upper()

    def _chain(self, naif_id: int) -> list:
        """Segments from the barycentre to ``naif_id``, walking centre links back to 0."""
        chain = []
        target = naif_id
        while target != 0:
            seg = next((s for (c, t), s in self._segments.items() if t == target), None)
            if seg is None:
                raise KeyError(f"{self.name} has no segment for NAIF body {naif_id}")
            chain.append(seg)
            target = seg.center
        return chain

    def _check_range(self, et: np.ndarray) -> None:
        lo, hi = self.coverage_et
        bad = (et < lo) | (et > hi) | ~np.isfinite(et)
        if np.any(bad):
            from msrsim.core.time import et_to_utc_iso

            first = et[bad][0]
            shown = et_to_utc_iso(first)[0] if np.isfinite(first) else repr(first)
            start, end = et_to_utc_iso([lo, hi])
            raise EphemerisRangeError(
                f"epoch {shown} is outside the {self.name} coverage "
                f"{start[:16]} to {end[:16]} UTC ({np.count_nonzero(bad)} of {et.size} epochs)"
            )

    def _barycentric(self, naif_id: int, et: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Whole days plus a fraction keep jplephem's time argument at full precision.
        whole_days = np.floor(et / DAY_S)
        fraction = (et - whole_days * DAY_S) / DAY_S
        r = np.zeros((3, et.size))
        v = np.zeros((3, et.size))
        for seg in self._chain(naif_id):
            p, dp = seg.compute_and_differentiate(J2000_JD + whole_days, fraction)
            r += np.reshape(p, (3, -1))
            v += np.reshape(dp, (3, -1))
        return r, v

    def state(self, target: str, et, center: str = "ssb") -> StateVectors:
        """State of ``target`` relative to ``center`` at epochs ``et`` (s past J2000 TDB).

        Raises
        ------
        EphemerisRangeError
            If an epoch lies outside the kernel's coverage.
        KeyError
            For a body name that is not known.
        """
        et = np.atleast_1d(np.asarray(et, dtype=np.float64))
        self._check_range(et)
        rt, vt = self._barycentric(naif_id(target), et)
        rc, vc = self._barycentric(naif_id(center), et)
        return StateVectors(r=(rt - rc).T * KM, v=(vt - vc).T * (KM / DAY_S))

    def position(self, target: str, et, center: str = "ssb") -> np.ndarray:
        """Position (n, 3) in metres of ``target`` relative to ``center``."""
        return self.state(target, et, center).r


def naif_id(name: str | int) -> int:
    """NAIF ID of a body name (``"mars"``, ``"earth"``, ...) or pass an integer through."""
    if isinstance(name, int | np.integer):
        return int(name)
    try:
        return NAIF_IDS[name.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(NAIF_IDS))
        raise KeyError(f"unknown body {name!r}: known names are {known}") from None


@lru_cache(maxsize=4)
def get_ephemeris(path: str | None = None) -> Ephemeris:
    """A shared :class:`Ephemeris` for ``path`` (the packaged DE421 by default)."""
    return Ephemeris(path)


def state(target: str, et, center: str = "ssb") -> StateVectors:
    """State of ``target`` relative to ``center`` from the default kernel."""
    return get_ephemeris().state(target, et, center)
