"""The Perseverance sample tubes: what each holds, when it was sealed, where it is now.

Data: ``data/perseverance_samples.csv``, every tube filed so far, from NASA's Mars 2020
sample pages and the PDS Analyst's Notebook (sequence numbers from the PDS designations
``M2020-<acquisition sol>-<tube sequence>``), and ``data/three_forks_depot.csv``, the drop
order and sol of the ten depot tubes. Both are copied from the project's reference sheet,
which names the sources row by row. Earth dates of sols come from
:data:`msrsim.core.time.PERSEVERANCE_CLOCK` (Mars24, local mean solar time at 77.45 E).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

PERSEVERANCE_TUBES_CARRIED = 43  # 38 sample tubes and 5 witness tubes [NASA, P]
LOCATIONS = ("rover", "depot")


@dataclass(frozen=True)
class Tube:
    """One sample tube as NASA catalogued it (``None`` where a field is not published)."""

    tube_seq: int
    name: str
    sample_number: int | None
    feature: str | None
    kind: str
    location: str | None
    campaign: str | None
    acquisition_sol: int | None
    sealed_sol: int | None
    sealed_date: str | None
    now_at: str
    depot_drop_order: int | None
    depot_drop_sol: int | None
    notes: str | None

    @property
    def is_witness(self) -> bool:
        return self.kind == "witness"

    @property
    def sol(self) -> int | None:
        """The sol the tube was sealed, else the sol it was acquired."""
        return self.sealed_sol if self.sealed_sol is not None else self.acquisition_sol

    @property
    def available_sol(self) -> int | None:
        """The last Perseverance sol before the tube can be handed to a lander.

        A depot tube lies at Three Forks from the sol it was dropped (``depot_drop_sol``);
        a tube the rover keeps exists as a sample from the sol it was sealed (the sol it
        was acquired where the sealing is not published: Bell Island, whose sealing was
        delayed, is then an earliest date). ``None`` where the catalog gives no sol.
        """
        if self.now_at == "depot" and self.depot_drop_sol is not None:
            return self.depot_drop_sol
        return self.sol


def _int(text: str) -> int | None:
    return int(text) if text.strip() else None


def _text(text: str) -> str | None:
    return text.strip() or None


def _read_csv(name: str) -> list[dict[str, str]]:
    raw = resources.files("msrsim.samples").joinpath("data", name).read_text("utf-8")
    lines = [line for line in raw.splitlines() if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


@lru_cache(maxsize=1)
def load_catalog() -> tuple[Tube, ...]:
    """All catalogued tubes, in tube-sequence order."""
    depot = {int(row["tube_seq"]): row for row in _read_csv("three_forks_depot.csv")}
    tubes = []
    for row in _read_csv("perseverance_samples.csv"):
        seq = int(row["tube_seq"])
        drop = depot.get(seq)
        tubes.append(
            Tube(
                tube_seq=seq,
                name=row["name"].strip(),
                sample_number=_int(row["number"]),
                feature=_text(row["feature"]),
                kind=row["kind"].strip(),
                location=_text(row["location"]),
                campaign=_text(row["campaign"]),
                acquisition_sol=_int(row["acquisition_sol"]),
                sealed_sol=_int(row["sealed_sol"]),
                sealed_date=_text(row["sealed_date"]),
                now_at=row["now_at"].strip(),
                depot_drop_order=int(drop["drop_order"]) if drop else None,
                depot_drop_sol=int(drop["drop_sol"]) if drop else None,
                notes=_text(row["notes"]),
            )
        )
    return tuple(sorted(tubes, key=lambda t: t.tube_seq))


def select(
    tubes: tuple[Tube, ...] | None = None,
    *,
    now_at: str | None = None,
    kind: str | None = None,
) -> tuple[Tube, ...]:
    """Tubes filtered by where they are now (``rover``/``depot``) and by kind substring.

    Raises
    ------
    ValueError
        For a ``now_at`` that is neither ``rover`` nor ``depot``.
    """
    tubes = load_catalog() if tubes is None else tubes
    if now_at is not None:
        if now_at not in LOCATIONS:
            raise ValueError(f"now_at = {now_at!r}: must be one of {', '.join(LOCATIONS)}")
        tubes = tuple(t for t in tubes if t.now_at == now_at)
    if kind is not None:
        tubes = tuple(t for t in tubes if kind.lower() in t.kind.lower())
    if now_at == "depot":
        tubes = tuple(sorted(tubes, key=lambda t: t.depot_drop_order or 0))
    return tubes


def sol_to_utc_date(sols) -> list[str]:
    """Earth UTC date (``YYYY-MM-DD``) at the start of each Perseverance mission sol."""
    import numpy as np

    from msrsim.core.time import PERSEVERANCE_CLOCK, et_to_utc_iso

    sols = np.atleast_1d(np.asarray(sols, dtype=np.int64))
    return [s[:10] for s in et_to_utc_iso(PERSEVERANCE_CLOCK.sol_start_et(sols))]
