"""Trajectories as data products: each flown path of the relay as time-tagged states.

:func:`trajectories` turns the legs' full results (``CampaignResult.handoffs``) into
:class:`Trajectory` records, ready for :mod:`msrsim.io.oem` (CCSDS OEM) and
:mod:`msrsim.io.czml` (Cesium). Each is a plain record: epochs ``et`` (s past J2000 TDB),
positions (m) and velocities (m/s) about one centre in one CCSDS reference frame, and the
indices where each continuous arc starts (an impulsive manoeuvre starts a new arc at the
same epoch, with the velocity after it; an OEM writes one segment per arc).

How each is made (the models of the legs themselves; nothing is fitted), in relay order
(a chemical ERO, which flies no Sims-Flanagan cruise or spiral, has no ``ero_*_cruise``
or ``ero_mars_orbit``):

* ``ero_outbound_cruise``, ``ero_return_cruise``: the Sims-Flanagan transfer as the
  optimiser flew it (:mod:`msrsim.core.lowthrust`): Kepler arcs (:func:`msrsim.core.conics.
  propagate`) between the segments' midpoint impulses, the forward half flown from the
  departure and the backward half from the arrival, joined at the match point (its
  mismatch is the transfer's, ``mismatch_position_m``, centimetres to metres), so the
  cruise starts at Earth's centre and ends at Mars's (patched conics: the spirals and the
  insertion account for the planets' gravity wells). Heliocentric, ICRF axes, TDB. The
  continuous-thrust check (``continuous_check``) is a different path that misses the
  arrival by the cost of the impulsive transcription; it is not the optimised trajectory.
* ``ero_mars_orbit``: the spirals down and up as the spiral kernel recorded them
  (``SpiralResult.history_state``, every 6 h by default), rotated from the spiral's
  equatorial frame to ICRF. Snapshots several orbits apart: not for interpolation (the
  OEM says so and declares no interpolation). The months in the rendezvous orbit between
  the spirals are not included (the rendezvous leg tracks the ERO relative to the OS).
* ``srl_approach``: the Sample Retrieval Lander's approach hyperbola to Mars (two-body,
  Mars's GM) from its targeted entry-interface state, built as ``ees_approach`` below.
  Mars-centred ICRF, TDB.
* ``srl_entry``: the lander's nominal guided entry, interface to parachute deployment
  (3-DOF lifting flight in the Mars-fixed frame) converted to Mars-centred ICRF with
  :func:`msrsim.core.frames.mars_fixed_to_icrf` (IAU 2015 rotation of Mars). TDB.
* ``mav_ascent``: the nominal ascent (the design's nominal history), toss to release,
  from the MCI0 frame (Mars body-fixed axes frozen at the toss) to Mars-centred ICRF.
* ``os_orbit``: the Orbiting Sample from the rendezvous leg's release state, propagated
  (:func:`msrsim.core.orbit_propagation.propagate`: J2, drag, radiation pressure, the
  rendezvous leg's density table and the OS's ballistic figures) for at least five
  revolutions and until the median capture epoch.
* ``ero_rendezvous``: the ERO from the start of its search to capture: the relative
  track of the first recorded trial that captured (the rendezvous leg's local frame about
  the OS) placed about the nominal OS orbit (:func:`msrsim.core.relative_motion.
  local_to_inertial`). Mars-centred ICRF, TDB. Absent when no recorded trial captured.
* ``ees_approach``: the Earth Entry System's approach hyperbola (two-body, Earth's GM)
  from its targeted entry-interface state, the last three days before entry, sampled
  densely near the interface; with the delivery covariance where the entry leg has one.
  Geocentric, GCRF (ICRF axes at the geocentre), UTC.
* ``ees_entry``: the nominal entry to the ground (the footprint's nominal flight history,
  Earth-fixed ITRS in the flight kernel) converted to GCRF with
  :func:`msrsim.core.frames.itrs_to_icrf` (UT1 = UTC, no polar motion: that function's
  approximations, up to ~420 m at the equator). UTC.

:func:`save_products` / :func:`load_products` keep them in the scenario's cache folder
(one Parquet file per trajectory, its metadata in the schema metadata), so an export
never flies the legs again.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from msrsim.segments.ero_chemical import ChemicalEroMission

__all__ = [
    "MAX_POINTS",
    "PRODUCTS_VERSION",
    "TRAJECTORY_NAMES",
    "Covariance",
    "Trajectory",
    "load_products",
    "save_products",
    "trajectories",
]

MAX_POINTS = 5000
"""At most this many states per trajectory (decimated per arc, ends kept)."""

PRODUCTS_VERSION = "2"
"""Format of the cached product files."""

CRUISE_STEP_S = 86400.0
"""Sampling of the cruises' Kepler arcs (a day: 1e-3 of a heliocentric period)."""

OS_STEP_S = 60.0
"""Sampling of the Orbiting Sample's orbit (about 120 samples a revolution at 3,890 km)."""

OS_MIN_REVOLUTIONS = 5
TRAJECTORY_NAMES = (
    "ero_outbound_cruise",
    "ero_mars_orbit",
    "srl_approach",
    "srl_entry",
    "mav_ascent",
    "os_orbit",
    "ero_rendezvous",
    "ero_return_cruise",
    "ees_approach",
    "ees_entry",
)
"""What :func:`trajectories` gives, in relay order."""
APPROACH_S = 3.0 * 86400.0
"""The approach hyperbola's span before the entry interface."""


@dataclass(frozen=True)
class Covariance:
    """A 6x6 state covariance (m², m²/s, m²/s²; position then velocity) at ``et``, in the
    axes and about the centre of the trajectory that holds it; ``comment`` says where it
    comes from."""

    et: float
    matrix: np.ndarray
    comment: str = ""

    def __post_init__(self):
        m = np.array(self.matrix, np.float64).reshape(6, 6)
        if not (math.isfinite(self.et) and np.all(np.isfinite(m))):
            raise ValueError("a covariance's epoch and matrix must be finite")
        if not np.allclose(m, m.T, rtol=1e-9, atol=1e-12 * max(1.0, np.abs(m).max())):
            raise ValueError("a covariance must be symmetric")
        object.__setattr__(self, "et", float(self.et))
        object.__setattr__(self, "matrix", 0.5 * (m + m.T))

    def to_dict(self) -> dict:
        return {"et": self.et, "matrix": self.matrix.tolist(), "comment": self.comment}


@dataclass(frozen=True)
class Trajectory:
    """One object's time-tagged states about one centre (SI; ``et`` s past J2000 TDB).

    ``frame`` is the CCSDS reference-frame name of the axes (``ICRF``, ``GCRF``);
    ``time_system`` the scale the epochs are to be *written* in (``TDB`` or ``UTC``; the
    record always holds ``et``). ``arcs`` are the indices where each continuous arc starts
    (``(0,)`` for one arc): epochs increase strictly inside an arc; an arc may start at the
    epoch where the previous one ended (an impulse: the same position, the velocity after
    it). ``interpolable`` is false when the samples are too far apart to interpolate
    (snapshots several orbits apart).
    """

    name: str
    object_name: str
    object_id: str
    center: str
    frame: str
    time_system: str
    et: np.ndarray
    position_m: np.ndarray
    velocity_m_s: np.ndarray
    comment: str = ""
    arcs: tuple[int, ...] = (0,)
    interpolable: bool = True
    extra: dict = field(default_factory=dict)
    """Small JSON-ready facts about the product (mismatches, sources), for tests and docs."""
    covariances: tuple = ()
    """State covariances the leg computed, as :class:`Covariance` records (epochs inside
    the trajectory's span); an OEM writes each in its segment's covariance block."""

    def __post_init__(self):
        et = np.ascontiguousarray(self.et, np.float64).reshape(-1)
        r = np.ascontiguousarray(self.position_m, np.float64).reshape(-1, 3)
        v = np.ascontiguousarray(self.velocity_m_s, np.float64).reshape(-1, 3)
        if not (et.size == r.shape[0] == v.shape[0]) or et.size == 0:
            raise ValueError(
                f"trajectory {self.name!r}: {et.size} epochs, {r.shape[0]} positions, "
                f"{v.shape[0]} velocities: need the same number, at least one"
            )
        arcs = tuple(int(i) for i in self.arcs)
        if arcs[0] != 0 or any(b <= a for a, b in zip(arcs, arcs[1:], strict=False)):
            raise ValueError(f"trajectory {self.name!r}: arcs {arcs} must start at 0, increase")
        for a, b in self.arc_slices_of(arcs, et.size):
            if np.any(np.diff(et[a:b]) <= 0.0):
                raise ValueError(f"trajectory {self.name!r}: epochs must increase in an arc")
        if any(et[i] < et[i - 1] for i in arcs[1:]):
            raise ValueError(f"trajectory {self.name!r}: an arc starts before the last ends")
        if self.time_system not in ("TDB", "UTC"):
            raise ValueError(f"time_system = {self.time_system!r}: must be 'TDB' or 'UTC'")
        for name, value in (("et", et), ("position_m", r), ("velocity_m_s", v)):
            if not np.all(np.isfinite(value)):
                raise ValueError(f"trajectory {self.name!r}: {name} must be finite")
        object.__setattr__(self, "et", et)
        object.__setattr__(self, "position_m", r)
        object.__setattr__(self, "velocity_m_s", v)
        object.__setattr__(self, "arcs", arcs)
        covs = tuple(c if isinstance(c, Covariance) else Covariance(**c) for c in self.covariances)
        spans = self.arc_slices_of(arcs, et.size)
        for c in covs:
            if not any(et[a] <= c.et <= et[b - 1] for a, b in spans):
                raise ValueError(f"trajectory {self.name!r}: a covariance's epoch is off its arcs")
        object.__setattr__(self, "covariances", covs)

    @staticmethod
    def arc_slices_of(arcs, n: int) -> list[tuple[int, int]]:
        bounds = [*arcs, n]
        return [(bounds[i], bounds[i + 1]) for i in range(len(arcs))]

    def arc_slices(self) -> list[tuple[int, int]]:
        """``(start, stop)`` index pairs of each continuous arc."""
        return self.arc_slices_of(self.arcs, self.et.size)

    @property
    def start_et(self) -> float:
        return float(self.et[0])

    @property
    def stop_et(self) -> float:
        return float(self.et[-1])


# ---------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------


def _join(name, pieces, **meta) -> Trajectory:
    """A trajectory of arcs ``pieces`` [(et, r, v), ...], decimated to :data:`MAX_POINTS`."""
    total = sum(p[0].size for p in pieces)
    keep_every = max(1, math.ceil(total / MAX_POINTS))
    ets, rs, vs, arcs, start = [], [], [], [], 0
    for et, r, v in pieces:
        idx = np.arange(0, et.size, keep_every)
        if idx[-1] != et.size - 1:
            idx = np.append(idx, et.size - 1)
        ets.append(et[idx])
        rs.append(r[idx])
        vs.append(v[idx])
        arcs.append(start)
        start += idx.size
    return Trajectory(
        name=name,
        et=np.concatenate(ets),
        position_m=np.concatenate(rs),
        velocity_m_s=np.concatenate(vs),
        arcs=tuple(arcs),
        **meta,
    )


def _kepler_arc(t_start, r, v, t_end, mu, step_s):
    """Samples of the conic through ``(r, v)`` at ``t_start``, from ``t_start`` to
    ``t_end`` (either way round), about every ``step_s``; returned in increasing time."""
    from msrsim.core.conics import propagate

    k = max(2, math.ceil(abs(t_end - t_start) / step_s) + 1)
    times = np.linspace(t_start, t_end, k)
    rr, vv = propagate(np.tile(r, (k, 1)), np.tile(v, (k, 1)), times - t_start, mu)
    if t_end < t_start:
        return times[::-1], rr[::-1], vv[::-1]
    return times, rr, vv


def sims_flanagan_arcs(transfer, step_s: float = CRUISE_STEP_S) -> list[tuple]:
    """The Sims-Flanagan transfer's own path: Kepler arcs between its midpoint impulses.

    The forward half flies from the departure state (with its v-infinity), the backward
    half from the arrival state, exactly as the transcription does
    (:class:`msrsim.core.lowthrust._Problem`): impulse ``i`` at ``segment_et[i]`` from the
    mass before it, ``mass_kg[i]``, along the throttle vector ``thrust_n[i] / T_i``. The
    arc holding the match point is the forward solution up to it and the backward one
    after it. Returns ``[(et, r, v), ...]`` per arc, each in increasing time.
    """
    from msrsim.core.lowthrust import _impulse

    t = transfer
    n, dt, mu = len(t.segment_et), t.segment_s, t.mu
    c = t.propulsion.exhaust_speed_m_s
    nf = n // 2
    t0, tf = t.departure_et, t.arrival_et
    t_match = t0 + nf * dt

    def impulse(i):
        thrust = float(t.available_thrust_n[i])
        u = t.thrust_n[i] / thrust if thrust > 0.0 else np.zeros(3)
        dv = np.empty(3)
        _impulse(u, thrust, float(t.mass_kg[i]), dt, c, dv)
        return dv

    forward = []
    r, v, ts = t.r_departure_m, t.v_departure_body_m_s + t.departure_v_infinity_m_s, t0
    for i in range(nf):
        et, rr, vv = _kepler_arc(ts, r, v, t.segment_et[i], mu, step_s)
        forward.append((et, rr, vv))
        r, v, ts = rr[-1], vv[-1] + impulse(i), float(t.segment_et[i])
    head = _kepler_arc(ts, r, v, t_match, mu, step_s)
    backward = []
    r, v, ts = t.r_arrival_m, t.v_arrival_body_m_s + t.arrival_v_infinity_m_s, tf
    for i in range(n - 1, nf - 1, -1):
        et, rr, vv = _kepler_arc(ts, r, v, t.segment_et[i], mu, step_s)
        backward.append((et, rr, vv))
        r, v, ts = rr[0], vv[0] - impulse(i), float(t.segment_et[i])
    tail = _kepler_arc(ts, r, v, t_match, mu, step_s)
    middle = tuple(np.concatenate([a, b[1:]]) for a, b in zip(head, tail, strict=True))
    return [*forward, middle, *backward[::-1]]


def _cruise(name, cruise, label) -> Trajectory:
    t = cruise.transfer
    pieces = sims_flanagan_arcs(t)
    end = pieces[-1]
    return _join(
        name,
        pieces,
        object_name="EARTH RETURN ORBITER",
        object_id="MSR-ERO",
        center="SUN",
        frame="ICRF",
        time_system="TDB",
        comment=(
            f"ERO {label} electric cruise, {cruise.departure_body} to {cruise.arrival_body}: "
            f"the Sims-Flanagan transfer as optimised ({len(t.segment_et)} segments, "
            "impulses at their midpoints, one OEM segment per Kepler arc between impulses). "
            "Patched conics: starts and ends at the planets' centres; match-point mismatch "
            f"{t.mismatch_position_m:.3g} m. DE421 planets."
        ),
        extra={
            "mismatch_position_m": t.mismatch_position_m,
            "arrival_error_m": float(np.linalg.norm(end[1][-1] - t.r_arrival_m)),
        },
    )


def _spiral_arc(sp):
    from msrsim.segments.spiral import equatorial_frame

    if sp.history_state is None:
        raise ValueError("the spiral holds no recorded states (history_state): fly it again")
    to_icrf = equatorial_frame(sp.start_et)  # rows: the frame's axes in ICRF
    et = sp.start_et + sp.history_t_s
    state = sp.history_state
    if sp.duration_s > sp.history_t_s[-1]:
        et = np.append(et, sp.end_et)
        state = np.vstack([state, np.concatenate([sp.final_r_m, sp.final_v_m_s])])
    return et, state[:, :3] @ to_icrf, state[:, 3:] @ to_icrf


def _mars_orbit(mission) -> Trajectory:
    down, up = mission.spiral_down, mission.spiral_up
    record_h = float(np.median(np.diff(down.history_t_s))) / 3600.0
    return _join(
        "ero_mars_orbit",
        [_spiral_arc(down), _spiral_arc(up)],
        object_name="EARTH RETURN ORBITER",
        object_id="MSR-ERO",
        center="MARS",
        frame="ICRF",
        time_system="TDB",
        comment=(
            "ERO electric spirals at Mars: down from the capture orbit to the rendezvous "
            f"orbit, then up to escape (J2, eclipses). Snapshots every {record_h:g} h of the "
            "spiral kernel's own states, several orbits apart: do not interpolate. The "
            "months in the rendezvous orbit between the spirals are not included."
        ),
        interpolable=False,
    )


def _ascent(ascent) -> Trajectory:
    from msrsim.segments.ascent import HISTORY_COLUMNS, mci0_to_icrf_matrix

    col = {name: i for i, name in enumerate(HISTORY_COLUMNS)}
    rows = ascent.design.nominal.history[0]
    rows = rows[np.isfinite(rows[:, 0])]
    keep = np.r_[True, np.diff(rows[:, col["time_s"]]) > 0.0]
    rows = rows[keep]
    to_icrf = mci0_to_icrf_matrix(ascent.site.et)
    r = rows[:, [col["x_m"], col["y_m"], col["z_m"]]] @ to_icrf.T
    v = rows[:, [col["vx_m_s"], col["vy_m_s"], col["vz_m_s"]]] @ to_icrf.T
    return _join(
        "mav_ascent",
        [(ascent.site.et + rows[:, col["time_s"]], r, v)],
        object_name="MARS ASCENT VEHICLE",
        object_id="MSR-MAV",
        center="MARS",
        frame="ICRF",
        time_system="TDB",
        comment=(
            "MAV nominal ascent, toss to Orbiting Sample release (two-stage solid, 3-DOF), "
            "from the launch-epoch Mars-fixed axes (MCI0) to ICRF. Inertial velocity."
        ),
    )


def _propagate_os(rendezvous, times: np.ndarray) -> np.ndarray:
    """States (n, 6) of the Orbiting Sample at ``times`` (increasing, from its release
    epoch): the release state propagated with J2, drag and radiation pressure
    (:func:`msrsim.core.orbit_propagation.propagate`, the rendezvous leg's density table
    and the OS's ballistic figures), the Sun's direction refreshed daily."""
    from msrsim.core.orbit_propagation import force_model, propagate

    release, body = rendezvous.release, rendezvous.os_body
    states = np.empty((times.size, 6))
    state, t_now = np.asarray(release.state, np.float64), release.et
    model, model_et = None, -np.inf
    for i, t in enumerate(times):
        if t > t_now:
            if t_now - model_et >= 86400.0:
                model_et = t_now
                model = force_model(model_et, density=rendezvous.density)
            state = propagate(
                state[None], t - t_now, model, body.ballistic_coefficient_m2_kg,
                body.srp_area_to_mass_m2_kg,
            )[0]  # fmt: skip
            t_now = t
        states[i] = state
    return states


def _os_orbit(rendezvous) -> Trajectory:
    from msrsim.core.bodies import MARS

    release = rendezvous.release
    state = np.asarray(release.state, np.float64)
    r0 = float(np.linalg.norm(state[:3]))
    energy = 0.5 * float(state[3:] @ state[3:]) - MARS.gm.value / r0
    period = 2.0 * math.pi * math.sqrt((-MARS.gm.value / (2.0 * energy)) ** 3 / MARS.gm.value)
    end = release.et + OS_MIN_REVOLUTIONS * period
    capture = rendezvous.median_capture_et
    if capture is not None:
        end = max(end, capture)
    span = end - release.et
    step = max(OS_STEP_S, span / (MAX_POINTS - 1))
    times = release.et + np.linspace(0.0, span, max(2, math.ceil(span / step) + 1))
    states = _propagate_os(rendezvous, times)
    capture_text = "the median capture" if capture is not None else "no capture"
    return _join(
        "os_orbit",
        [(times, states[:, :3], states[:, 3:])],
        object_name="ORBITING SAMPLE",
        object_id="MSR-OS",
        center="MARS",
        frame="ICRF",
        time_system="TDB",
        comment=(
            "Orbiting Sample after release: the rendezvous leg's release state propagated "
            f"with J2, drag and radiation pressure (RK4, 20 s steps), at least "
            f"{OS_MIN_REVOLUTIONS} revolutions and until {capture_text}. Covariance at "
            "release: the ascent's dispersed release states."
        ),
        extra={"period_s": period},
        covariances=(
            Covariance(
                release.et,
                release.covariance,
                "Orbiting Sample release state (the MAV ascent's Monte Carlo)",
            ),
        ),
    )


def _ero_rendezvous(rendezvous) -> Trajectory | None:
    """The ERO from its search start to capture: the relative track (the OS's local
    frame, ``RendezvousResult.history_local``) of the first recorded trial that captured,
    placed about the nominal OS orbit (:func:`_propagate_os`) by
    :func:`msrsim.core.relative_motion.local_to_inertial`. None when no recorded trial
    captured."""
    from msrsim.core.relative_motion import local_to_inertial

    res = rendezvous.result
    local = np.asarray(res.history_local, np.float64)
    if local.size == 0:
        return None
    recorded = np.flatnonzero(res.captured[: local.shape[1]])
    if recorded.size == 0:
        return None
    k = int(recorded[0])
    times = res.trial_search_start_et[k] + res.history_t_s
    ok = np.all(np.isfinite(local[:, k]), axis=1) & (times <= res.capture_et[k])
    ok &= times >= rendezvous.release.et
    if np.count_nonzero(ok) < 2:
        return None
    idx = np.flatnonzero(ok)
    idx = idx[:: max(1, math.ceil(idx.size / MAX_POINTS))]
    times = times[idx]
    ero = local_to_inertial(_propagate_os(rendezvous, times), local[idx, k])
    return _join(
        "ero_rendezvous",
        [(times, ero[:, :3], ero[:, 3:])],
        object_name="EARTH RETURN ORBITER",
        object_id="MSR-ERO",
        center="MARS",
        frame="ICRF",
        time_system="TDB",
        comment=(
            f"ERO search, approach and capture: Monte Carlo trial {k}'s true relative track "
            "about the Orbiting Sample placed about the nominal OS orbit (the trial's own OS "
            "orbit differs by its release dispersion)."
        ),
        extra={"trial": k},
    )


_VEHICLES = {
    "EES": {
        "object_name": "EARTH ENTRY SYSTEM",
        "object_id": "MSR-EES",
        "center": "EARTH",
        "frame": "GCRF",
        "time_system": "UTC",
        "label": "EES",
        "axes": "GCRF: ICRF axes at the geocentre",
    },
    "SRL": {
        "object_name": "SAMPLE RETRIEVAL LANDER",
        "object_id": "MSR-SRL",
        "center": "MARS",
        "frame": "ICRF",
        "time_system": "TDB",
        "label": "SRL",
        "axes": "Mars-centred ICRF",
    },
}
"""The two vehicles that enter an atmosphere: their OEM names, centre, axes, time scale."""


def _vehicle_meta(vehicle: str) -> dict:
    return {k: v for k, v in _VEHICLES[vehicle].items() if k not in ("label", "axes")}


def delivery_covariance(approach, errors, mu: float) -> np.ndarray:
    """The 6x6 covariance (SI) of the entry-interface state at the nominal entry epoch
    from the delivery errors (1-sigma B-plane components and arrival time, independent),
    linearised: ``P = J diag(sigma^2) J^T`` with ``J = [dx/dB_T, dx/dB_R, -dx/dt]``.

    The B-plane columns are central differences (steps of a tenth of a sigma) of
    :func:`msrsim.core.conics.approach_state`, the function that carries each dispersed
    delivery to the interface (:func:`msrsim.segments.approach.delivery_states`); the time
    column is the state's rate (velocity, two-body acceleration ``-mu r / |r|^3``): a
    capsule that arrives ``dt`` late is, at the nominal epoch, ``dt`` of its path short.
    """
    from msrsim.core.conics import approach_state

    radius = float(np.linalg.norm(approach.entry_position_m))
    columns = []
    for name, sigma in (("b_t_m", errors.b_t_m), ("b_r_m", errors.b_r_m)):
        h = max(sigma, 1.0) * 0.1
        states = []
        for sign in (1.0, -1.0):
            b = {"b_t_m": approach.b_t_m, "b_r_m": approach.b_r_m}
            b[name] += sign * h
            r, v, _ = approach_state(approach.v_infinity_m_s, b["b_t_m"], b["b_r_m"], radius, mu)
            states.append(np.concatenate([r[0], v[0]]))
        columns.append((states[0] - states[1]) / (2.0 * h))
    r0, v0 = approach.entry_position_m, approach.entry_velocity_m_s
    accel = -mu * r0 / np.linalg.norm(r0) ** 3
    columns.append(-np.concatenate([v0, accel]))
    jac = np.column_stack(columns)
    sigma = np.array([errors.b_t_m, errors.b_r_m, errors.time_s])
    return jac @ np.diag(sigma**2) @ jac.T


def _approach(name: str, vehicle: str, approach, mu: float, covariance=None) -> Trajectory:
    """The approach hyperbola (two-body about the arrival planet) of ``approach``, the last
    :data:`APPROACH_S` before its entry interface, denser towards the interface."""
    from msrsim.core.conics import propagate

    a = approach
    tau = np.concatenate([np.geomspace(APPROACH_S, 1.0, 600), [0.0]])
    k = tau.size
    r0, v0 = np.tile(a.entry_position_m, (k, 1)), np.tile(a.entry_velocity_m_s, (k, 1))
    r, v = propagate(r0, v0, -tau, mu)
    spec = _VEHICLES[vehicle]
    covs = ()
    if covariance is not None:
        covs = (
            Covariance(
                a.entry_et,
                covariance,
                "entry-interface state from the delivery errors (B-plane, arrival time), "
                "linearised",
            ),
        )
    return _join(
        name,
        [(a.entry_et - tau, r, v)],
        **_vehicle_meta(vehicle),
        comment=(
            f"{spec['label']} approach hyperbola (two-body) to the targeted entry interface, "
            f"the last 3 days, samples denser towards the interface. {spec['axes']}."
            + (" Covariance at the interface: the delivery errors, linearised." if covs else "")
        ),
        covariances=covs,
    )


def _flight(name: str, vehicle: str, entry_et: float, history, to_icrf, how: str) -> Trajectory:
    """A nominal flight history (Earth- or Mars-fixed, :data:`msrsim.core.flight.
    HISTORY_COLUMNS`) from its interface epoch ``entry_et``, in inertial axes by
    ``to_icrf(et, r, v)``."""
    from msrsim.core.flight import HISTORY_COLUMNS

    col = {c: i for i, c in enumerate(HISTORY_COLUMNS)}
    rows = history[0]
    rows = rows[np.isfinite(rows[:, 0])]
    rows = rows[np.r_[True, np.diff(rows[:, 0]) > 0.0]]
    et = entry_et + rows[:, col["time_s"]]
    r, v = to_icrf(
        et,
        rows[:, [col["x_m"], col["y_m"], col["z_m"]]],
        rows[:, [col["vx_m_s"], col["vy_m_s"], col["vz_m_s"]]],
    )
    return _join(
        name,
        [(et, r, v)],
        **_vehicle_meta(vehicle),
        comment=f"{_VEHICLES[vehicle]['label']} {how} Inertial velocity.",
        extra={"final_altitude_m": float(rows[-1, col["altitude_m"]])},
    )


def _entry(entry) -> Trajectory:
    from msrsim.core.frames import itrs_to_icrf

    return _flight(
        "ees_entry", "EES", entry.approach.entry_et, entry.footprint.nominal.flight.history,
        itrs_to_icrf,
        "nominal entry, interface to the ground (3-DOF ballistic flight in the Earth-fixed "
        "frame) converted to GCRF (IAU 2006/2000A via ERFA, UT1 = UTC, no polar motion).",
    )  # fmt: skip


def _srl_entry(edl) -> Trajectory:
    from msrsim.core.frames import mars_fixed_to_icrf

    return _flight(
        "srl_entry", "SRL", edl.approach.entry_et, edl.nominal.entry.history,
        mars_fixed_to_icrf,
        "nominal guided entry, interface to parachute deployment (3-DOF lifting flight in "
        "the Mars-fixed frame) converted to Mars-centred ICRF (IAU 2015 rotation of Mars).",
    )  # fmt: skip


def _ees_delivery(entry) -> np.ndarray | None:
    from msrsim.core.bodies import EARTH

    if entry.delivery is None:
        return None
    return delivery_covariance(entry.approach, entry.delivery, EARTH.gm.value)


def trajectories(handoffs: dict) -> dict[str, Trajectory]:
    """Every trajectory of the relay from the legs' full results (``CampaignResult.
    handoffs``), by name, in relay order."""
    from msrsim.core.bodies import EARTH, MARS

    mission, edl, entry = handoffs["mission"], handoffs["edl"], handoffs["entry"]
    electric = not isinstance(mission, ChemicalEroMission)  # a chemical ERO's arcs: none
    out = [
        *(
            [_cruise("ero_outbound_cruise", mission.outbound, "outbound"), _mars_orbit(mission)]
            if electric
            else []
        ),
        _approach("srl_approach", "SRL", edl.approach, MARS.gm.value),
        _srl_entry(edl),
        _ascent(handoffs["ascent"]),
        _os_orbit(handoffs["rendezvous"]),
        _ero_rendezvous(handoffs["rendezvous"]),
        *([_cruise("ero_return_cruise", mission.inbound, "return")] if electric else []),
        _approach("ees_approach", "EES", entry.approach, EARTH.gm.value, _ees_delivery(entry)),
        _entry(entry),
    ]
    return {t.name: t for t in out if t is not None}


# ---------------------------------------------------------------------------------------
# Cache: one Parquet file per trajectory
# ---------------------------------------------------------------------------------------

_COLUMNS = ("et", "x_m", "y_m", "z_m", "vx_m_s", "vy_m_s", "vz_m_s")
_META_KEY = b"msrsim.trajectory"


def _metadata(t: Trajectory) -> dict:
    return {
        "version": PRODUCTS_VERSION,
        "name": t.name,
        "object_name": t.object_name,
        "object_id": t.object_id,
        "center": t.center,
        "frame": t.frame,
        "time_system": t.time_system,
        "comment": t.comment,
        "arcs": list(t.arcs),
        "interpolable": t.interpolable,
        "extra": t.extra,
        "covariances": [c.to_dict() for c in t.covariances],
    }


def save_products(folder, products: dict[str, Trajectory], scenario: str = "") -> list[str]:
    """Write each trajectory as ``folder/<name>.parquet``, a cache entry with its checksum
    record (:func:`msrsim.campaign.cache.write_entry`, for ``scenario``'s fingerprint);
    returns the names."""
    import pyarrow as pa

    from msrsim.campaign.cache import write_entry
    from msrsim.campaign.execution import _parquet_bytes

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for t in products.values():
        values = (t.et, *t.position_m.T, *t.velocity_m_s.T)
        table = pa.table(dict(zip(_COLUMNS, values, strict=True)))
        meta = json.dumps(_metadata(t), default=float).encode("utf-8")
        table = table.replace_schema_metadata({_META_KEY: meta})
        write_entry(folder / f"{t.name}.parquet", _parquet_bytes(table), scenario)
    return list(products)


def load_products(folder, names, scenario: str = "") -> dict[str, Trajectory]:
    """Read back what :func:`save_products` wrote: ``ValueError`` if a product is missing,
    damaged, of another shape, or does not match its checksum record."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from msrsim.campaign.cache import read_entry

    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"products: expected a list of names, got {type(names).__name__}")
    out = {}
    for name in names:
        data = read_entry(Path(folder) / f"{name}.parquet", scenario)
        if data is None:
            raise ValueError(f"product {name}: missing, damaged or written by other code")
        table = pq.read_table(pa.BufferReader(data))
        meta = json.loads((table.schema.metadata or {})[_META_KEY])
        if meta.pop("version") != PRODUCTS_VERSION:
            raise ValueError(f"product {name}: another format version")
        cols = {c: table.column(c).to_numpy() for c in _COLUMNS}
        out[name] = Trajectory(
            et=cols["et"],
            position_m=np.column_stack([cols["x_m"], cols["y_m"], cols["z_m"]]),
            velocity_m_s=np.column_stack([cols["vx_m_s"], cols["vy_m_s"], cols["vz_m_s"]]),
            **{**meta, "arcs": tuple(meta["arcs"])},
        )
    return out
