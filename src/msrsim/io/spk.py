"""SPICE SPK files of the relay's trajectories, written through CSPICE (spiceypy).

An SPK (NAIF, "SPK Required Reading", https://naif.jpl.nasa.gov/pub/naif/toolkit_docs/C/
req/spk.html) is a DAF binary file of segments, each the states of one body about one
centre in one frame over one interval. msrsim writes data type 13 ("Hermite
interpolation, unequal time steps": the states and their epochs as given, interpolated
by a Hermite polynomial through the positions and velocities of a window of states),
with :func:`spiceypy.spkw13`, one segment per continuous arc of a
:class:`msrsim.campaign.products.Trajectory`, so no reader interpolates across an
impulse. Degree :data:`DEGREE` (windows of four states) or less on a short arc.

Units and frames as SPICE wants them: km and km/s; epochs in TDB seconds past J2000
(msrsim's ``et``, as is); ICRF and GCRF axes are SPICE's ``J2000`` frame (NAIF treats
J2000 and ICRF as one frame; they differ by the ~23 mas frame bias, ~30 km at 1.5 AU:
far under what these trajectories model). Centres: the Sun (10), Earth (399), Mars (499).

Object IDs: MSR has no NAIF-assigned IDs; :data:`NAIF_IDS` are msrsim's own (negative,
as for spacecraft), and the file's comment area lists them with the objects' names (a
user can bind names to them with a text kernel's ``NAIF_BODY_NAME``/``NAIF_BODY_CODE``).

Trajectories whose samples are snapshots too far apart to interpolate (the ERO's spirals,
``interpolable = False``) are left out: an SPK reader always interpolates.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["CENTERS", "DEGREE", "NAIF_IDS", "spk_segments", "write_spk"]

DEGREE = 7
"""Hermite degree of the type 13 segments: windows of (7 + 1) / 2 = 4 states."""

NAIF_IDS = {
    "MSR-ERO": -1401,
    "MSR-OS": -1402,
    "MSR-MAV": -1403,
    "MSR-SRL": -1404,
    "MSR-EES": -1405,
}
"""msrsim's own SPICE IDs of the relay's objects (by ``Trajectory.object_id``)."""

CENTERS = {"SUN": 10, "EARTH": 399, "MARS": 499}
"""NAIF IDs of the centres (SPK Required Reading, NAIF IDs)."""

_FRAMES = {"ICRF": "J2000", "GCRF": "J2000"}
_SEGMENT_ID_CHARS = 40


def spk_segments(trajectory) -> list[dict]:
    """The type 13 segments of ``trajectory`` (one per arc of at least two states):
    body, centre, frame, interval, segment id, degree, epochs (s) and states (km, km/s).
    ``ValueError`` for an object, centre or frame an SPK of msrsim cannot name."""
    t = trajectory
    if t.object_id not in NAIF_IDS:
        raise ValueError(f"{t.name}: object {t.object_id!r} has no SPICE ID ({sorted(NAIF_IDS)})")
    if t.center not in CENTERS:
        raise ValueError(f"{t.name}: centre {t.center!r} is not one of {sorted(CENTERS)}")
    if t.frame not in _FRAMES:
        raise ValueError(f"{t.name}: frame {t.frame!r} is not one of {sorted(_FRAMES)}")
    state = np.hstack([t.position_m, t.velocity_m_s]) / 1e3
    arcs = [(a, b) for a, b in t.arc_slices() if b - a >= 2]
    out = []
    for k, (a, b) in enumerate(arcs):
        tag = f" {k + 1}/{len(arcs)}" if len(arcs) > 1 else ""
        out.append(
            {
                "body": NAIF_IDS[t.object_id],
                "center": CENTERS[t.center],
                "frame": _FRAMES[t.frame],
                "first": float(t.et[a]),
                "last": float(t.et[b - 1]),
                "segment_id": (t.name[: _SEGMENT_ID_CHARS - len(tag)] + tag),
                "degree": min(DEGREE, 2 * (b - a) - 1),
                "epochs": t.et[a:b].copy(),
                "states": np.ascontiguousarray(state[a:b]),
            }
        )
    return out


def _comments(trajectories, skipped) -> list[str]:
    lines = [
        "SPK written by msrsim: the Mars Sample Return relay's trajectories.",
        "Data type 13 (Hermite, unequal steps), one segment per continuous arc.",
        "Frame J2000 (= ICRF axes), TDB, km and km/s. Object IDs (msrsim's own, not",
        "NAIF-assigned):",
    ]
    lines += [f"  {code}  {oid}" for oid, code in NAIF_IDS.items()]
    for t in trajectories:
        lines += [f"{t.name}: {t.object_name} ({NAIF_IDS[t.object_id]}) about {t.center}"]
    if skipped:
        lines += ["Not included (snapshots, not interpolable): " + ", ".join(skipped)]
    return [line[:80] for line in lines]


def write_spk(path, products: dict, names=None) -> dict:
    """Write the trajectories ``names`` of ``products`` (all by default) to the SPK file
    ``path`` (replaced atomically). Returns ``{"file", "segments", "trajectories",
    "skipped"}``: the trajectories written and those left out (not interpolable)."""
    import spiceypy

    path = Path(path)
    absent = [n for n in names or () if n not in products]
    if absent:
        raise ValueError(f"no trajectory {', '.join(absent)} among {', '.join(products)}")
    chosen = [products[n] for n in (names or products)]
    written = [t for t in chosen if t.interpolable]
    skipped = [t.name for t in chosen if not t.interpolable]
    segments = [s for t in written for s in spk_segments(t)]
    if not segments:
        raise ValueError("no interpolable trajectory to write: " + ", ".join(skipped))
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=".msrsim-spk-", suffix=".bsp", dir=folder)
    os.close(fd)
    os.unlink(tmp)  # CSPICE creates the file itself and refuses an existing one
    comments = _comments(written, skipped)
    try:
        handle = spiceypy.spkopn(tmp, "msrsim MSR relay", sum(len(c) + 1 for c in comments))
        try:
            for s in segments:
                spiceypy.spkw13(
                    handle, s["body"], s["center"], s["frame"], s["first"], s["last"],
                    s["segment_id"], s["degree"], len(s["epochs"]), s["states"], s["epochs"],
                )  # fmt: skip
            spiceypy.dafac(handle, comments)
        finally:
            spiceypy.spkcls(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {
        "file": str(path),
        "segments": len(segments),
        "trajectories": [t.name for t in written],
        "skipped": skipped,
    }
