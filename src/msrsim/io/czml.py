"""A CZML document of the relay for Cesium: the ERO, the Orbiting Sample and the EES.

CZML (Cesium Language, https://github.com/AnalyticalGraphicsInc/czml-writer/wiki) is a
list of JSON packets: a document packet (``id = "document"``, ``version``, the ``clock``)
then one packet per object with a sampled ``position`` (``cartesian`` as
``[t, x, y, z, ...]``, seconds after the packet's ``epoch``, metres), its
``interpolationAlgorithm`` (LAGRANGE), ``referenceFrame``, ``availability``, a
``path``, a ``point`` and a ``label``.

Cesium's ``INERTIAL`` frame is Earth-centred ICRF, so every state is moved to the
geocentre with DE421 (:mod:`msrsim.core.ephemeris`): heliocentric cruises less Earth's
heliocentric position, Mars-centred states plus Mars's geocentric position. The animation
is the relay as seen from Earth: the Mars-orbit phases sit on Mars's own path (the orbit
radii, thousands of km, are invisible at the interplanetary scale unless one zooms in).

A second document, :func:`mars_czml_document`, holds the Mars-centred objects (the SRL's
arrival, the ERO's spirals and rendezvous, the MAV ascent and the OS's orbit) in Mars's
body-fixed frame, for a Cesium viewer whose globe is Mars: at Mars, not a dot 1-2.6 AU
away.

Objects (from :func:`msrsim.campaign.products.trajectories`):

* ``ERO``: the outbound cruise, the spirals at Mars (snapshots every few hours: Cesium's
  interpolation between them is a cartoon of the spiral), the return cruise;
* ``OS``: the MAV ascent (the OS rides it) and the Orbiting Sample's orbit;
* ``EES``: the approach hyperbola and the entry to the ground.

Time: the packets' epochs are UTC (:func:`msrsim.core.time.et_to_utc_iso`); the sample
offsets are ``et`` differences (TDB seconds, within 2 ms of SI seconds on the UTC/TAI
time line, with no leap second assumed after ERFA's table, as everywhere in msrsim).
Positions are written to 1 m, offsets to 1 ms. Where an object's trajectories do not
join (the ERO between its arrival at Mars and its spiral down, during its months in the
rendezvous orbit, and after its spiral up), its ``availability`` has gaps and Cesium does
not draw it there.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = [
    "CZML_VERSION",
    "MARS_OBJECTS",
    "OBJECTS",
    "czml_document",
    "geocentric_icrf",
    "mars_czml_document",
    "mars_fixed",
    "write_czml",
    "write_mars_czml",
]

CZML_VERSION = "1.0"

OBJECTS = {
    "ERO": {
        "name": "Earth Return Orbiter",
        "trajectories": ("ero_outbound_cruise", "ero_mars_orbit", "ero_return_cruise"),
        "rgba": [255, 200, 0, 255],
        "resolution_s": 86400.0,
    },
    "OS": {
        "name": "Orbiting Sample",
        "trajectories": ("mav_ascent", "os_orbit"),
        "rgba": [255, 80, 80, 255],
        "resolution_s": 60.0,
    },
    "EES": {
        "name": "Earth Entry System",
        "trajectories": ("ees_approach", "ees_entry"),
        "rgba": [80, 200, 255, 255],
        "resolution_s": 10.0,
    },
}
"""Each animated object: its label, the trajectories it flies, colour, path resolution."""

MARS_OBJECTS = {
    "SRL": {
        "name": "Sample Retrieval Lander",
        "trajectories": ("srl_approach", "srl_entry"),
        "rgba": [120, 220, 120, 255],
        "resolution_s": 10.0,
    },
    "ERO": {
        "name": "Earth Return Orbiter",
        "trajectories": ("ero_mars_orbit", "ero_rendezvous"),
        "rgba": [255, 200, 0, 255],
        "resolution_s": 600.0,
    },
    "OS": {
        "name": "Orbiting Sample",
        "trajectories": ("mav_ascent", "os_orbit"),
        "rgba": [255, 80, 80, 255],
        "resolution_s": 60.0,
    },
}
"""The Mars document's objects (:func:`mars_czml_document`), Mars-centred trajectories."""

_INERTIAL_FRAMES = ("ICRF", "GCRF")


def geocentric_icrf(trajectory) -> np.ndarray:
    """Positions (n, 3) of a trajectory moved to Earth's centre, ICRF axes (DE421)."""
    from msrsim.core.ephemeris import get_ephemeris

    t = trajectory
    if t.frame not in _INERTIAL_FRAMES:
        raise ValueError(f"{t.name}: frame {t.frame!r} is not inertial ICRF axes")
    if t.center == "EARTH":
        return t.position_m.copy()
    eph = get_ephemeris()
    if t.center == "SUN":
        return t.position_m - eph.position("earth", t.et, "sun")
    if t.center == "MARS":
        return t.position_m + eph.position("mars", t.et, "earth")
    raise ValueError(f"{t.name}: centre {t.center!r}: this writer knows SUN, MARS, EARTH")


def _iso(et) -> list[str]:
    from msrsim.core.time import et_to_utc_iso

    return [f"{s}Z" for s in et_to_utc_iso(np.asarray(et, np.float64), precision=3)]


def mars_fixed(trajectory) -> np.ndarray:
    """Positions (n, 3) of a Mars-centred ICRF trajectory in Mars's IAU body-fixed frame
    (:func:`msrsim.core.frames.icrf_to_mars_fixed`, the IAU 2015 rotation model)."""
    from msrsim.core.frames import icrf_to_mars_fixed

    t = trajectory
    if t.center != "MARS" or t.frame not in _INERTIAL_FRAMES:
        raise ValueError(f"{t.name}: centre {t.center!r}, frame {t.frame!r}: need MARS, ICRF")
    return icrf_to_mars_fixed(t.et, t.position_m)


def _object_packet(
    key: str, spec: dict, parts: list, positions=geocentric_icrf, frame: str = "INERTIAL"
) -> dict:
    et = np.concatenate([t.et for t in parts])
    r = np.concatenate([positions(t) for t in parts])
    order = np.argsort(et, kind="stable")
    et, r = et[order], r[order]
    keep = np.r_[True, np.diff(et) > 0.0]  # an impulse repeats its epoch: one sample
    et, r = et[keep], r[keep]
    et0 = float(et[0])
    samples = np.column_stack([np.round(et - et0, 3), np.round(r)]).ravel()
    spans = sorted((float(t.et[a]), float(t.et[b - 1])) for t in parts for a, b in t.arc_slices())
    merged: list[list[float]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    ends = _iso([x for span in merged for x in span])
    availability = [f"{ends[2 * i]}/{ends[2 * i + 1]}" for i in range(len(merged))]
    colour = {"rgba": spec["rgba"]}
    return {
        "id": key,
        "name": spec["name"],
        "description": "; ".join(f"{t.name}: {t.comment}" for t in parts),
        "availability": availability[0] if len(availability) == 1 else availability,
        "position": {
            "epoch": _iso([et0])[0],
            "interpolationAlgorithm": "LAGRANGE",
            "interpolationDegree": 5,
            "referenceFrame": frame,
            "cartesian": samples.tolist(),
        },
        "path": {
            "show": True,
            "width": 2.0,
            "leadTime": 0.0,
            "trailTime": float(et[-1] - et0),
            "resolution": spec["resolution_s"],
            "material": {"solidColor": {"color": colour}},
        },
        "point": {"pixelSize": 8.0, "color": colour},
        "label": {
            "text": key,
            "font": "14pt sans-serif",
            "fillColor": colour,
            "pixelOffset": {"cartesian2": [12.0, 0.0]},
        },
    }


def _document(products, objects, name, multiplier, description, positions, frame):
    packets = []
    for key, spec in objects.items():
        parts = [products[n] for n in spec["trajectories"] if n in products]
        if parts:
            packets.append(_object_packet(key, spec, parts, positions, frame))
    if not packets:
        raise ValueError(f"no trajectory of {sorted(objects)} among {sorted(products)}")
    names = {n for spec in objects.values() for n in spec["trajectories"]}
    used = [t for t in products.values() if t.name in names]
    start, stop = _iso([min(t.start_et for t in used), max(t.stop_et for t in used)])
    document = {
        "id": "document",
        "name": name,
        "version": CZML_VERSION,
        "clock": {
            "interval": f"{start}/{stop}",
            "currentTime": start,
            "multiplier": float(multiplier),
            "range": "LOOP_STOP",
            "step": "SYSTEM_CLOCK_MULTIPLIER",
        },
    }
    if description:
        document["description"] = description
    return [document, *packets]


def czml_document(
    products: dict, *, name: str = "Mars Sample Return relay", multiplier: float = 86400.0
) -> list[dict]:
    """The CZML packets (a JSON-ready list) of the relay's trajectories ``products``
    (:func:`msrsim.campaign.products.trajectories`); objects whose trajectories are all
    missing are left out. ``multiplier``: simulated seconds per real second (a day)."""
    return _document(products, OBJECTS, name, multiplier, "", geocentric_icrf, "INERTIAL")


MARS_DESCRIPTION = (
    "Mars-centred: positions in Mars's IAU body-fixed frame (referenceFrame FIXED), metres. "
    "Load it in a Cesium viewer whose globe is Mars (Cesium.Ellipsoid.MARS), not Earth."
)


def mars_czml_document(
    products: dict, *, name: str = "Mars Sample Return at Mars", multiplier: float = 600.0
) -> list[dict]:
    """The Mars document: :data:`MARS_OBJECTS` (the SRL's approach and entry, the ERO's
    spirals and its rendezvous track, the MAV ascent and the OS's orbit) about Mars.

    Cesium knows two frames, ``FIXED`` (the central body's body-fixed frame) and
    ``INERTIAL`` (ICRF, turned to fixed with *Earth's* rotation), so a Mars-centred
    document can only be drawn right on a Mars globe in ``FIXED``: the positions are
    Mars-centred ICRF turned into Mars's IAU body-fixed frame (:func:`mars_fixed`), where
    the SRL lands on Jezero and the MAV lifts off from it; orbits then trace Mars's
    rotation under them, as Earth orbits do in a FIXED Earth document. ``multiplier``:
    ten minutes a second."""
    return _document(
        products, MARS_OBJECTS, name, multiplier, MARS_DESCRIPTION, mars_fixed, "FIXED"
    )


def write_czml(path, products: dict, **kwargs) -> Path:
    """Write :func:`czml_document` as JSON to ``path`` (``.czml``); returns the path."""
    path = Path(path)
    path.write_text(json.dumps(czml_document(products, **kwargs)), encoding="utf-8")
    return path


def write_mars_czml(path, products: dict, **kwargs) -> Path:
    """Write :func:`mars_czml_document` as JSON to ``path``; returns the path."""
    path = Path(path)
    path.write_text(json.dumps(mars_czml_document(products, **kwargs)), encoding="utf-8")
    return path
