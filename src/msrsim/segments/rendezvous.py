"""Rendezvous of the Earth Return Orbiter with the Orbiting Sample: search, navigation,
guidance, capture, as one batched Monte Carlo flown on the nonlinear dynamics.

**Truth.** Every trial flies the OS and the ERO as two Mars-centred states under J2, drag
and solar radiation pressure (:mod:`msrsim.core.orbit_propagation`, RK4 at 20 s steps),
all trials stepped together at the measurement interval. The OS starts from its release
state drawn from the hand-off covariance; its drag and radiation-pressure coefficients are
dispersed. The ERO waits in a circular search orbit in the OS's mean plane, below it by the
scenario's altitude offset, starting a phase lag behind the OS's mean position.

**Detection** (narrow-angle camera): the OS is seen when it is within the detection range,
sunlit (outside Mars' cylindrical shadow), at a Sun phase angle (Sun-OS-ERO) below the
limit, at least the exclusion angle from the Sun in the camera, and not against Mars (the
line of sight beyond the OS misses the planet). Within the range sensor's reach the close
range sensor gives angles and range whatever the light (assumption).

**Navigation.** An EKF (:mod:`msrsim.core.navigation`) estimates the relative state ``d =
X_OS - X_ERO`` (ICRF axes); the ERO knows its own state (ground tracking; its errors of
tens of metres cancel in the relative state). Prediction is nonlinear, by flying the
estimated OS with its nominal coefficients beside the ERO; the covariance is carried by
the Jacobian of that same propagation (finite differences: six displaced copies of the
estimate flown in the batch), so it holds the eccentricity, J2 and drag the linear models
approximate. The OS's drag and radiation-pressure coefficient errors (the truth's
dispersion) are two consider parameters (Schmidt-Kalman: in the covariance through their
sensitivities, two more copies with doubled coefficients; never estimated). Added noise:
the second-order EKF term of the point-mass gravity
(:func:`msrsim.core.navigation.second_order_noise`: a km-level along-track spread on a
curved orbit) and a white acceleration floor (Van Loan). Burns are subtracted as
commanded and their execution errors added to the velocity covariance. Measurements:
line-of-sight angles in the ERO's local frame (1-sigma ``angle_sigma_rad``, iterated EKF
update: precise angles with an uncertain range need the relinearisation) and, closer than
``range_sensor_max_m``, range.
The filter is initialised at first detection by intersecting the measured line of sight
with the sphere of the OS's mean orbital radius (its prior, propagated from release): a
position along the line of sight to within the radial spread of the prior, the velocity
of the known orbit turned to that position.

**Guidance** (in the OS's local frame, V-bar = along-track): the ERO drifts forward from its
lower orbit (phasing by altitude difference: ``3 pi |dh|`` of along-track a revolution);
once it has tracked for ``min_tracking_orbits`` and its estimated along-track position
reaches ``y_H1 - 3 pi |dh| / 4`` (where a Hohmann-like half-orbit transfer from ``dh``
lands on the first hold point) it flies a two-impulse transfer to the first V-bar hold
point, a mid-course correction halfway, and stops there. It then hops along V-bar between
hold points by half-orbit two-impulse transfers (nominally radial burns, which are
passively safe: a missed stop burn brings the ERO back to where the hop began), with a
mid-course correction, holding ``hold_orbits`` at each. From the last hold point it closes
along V-bar at the final approach speed with one targeted pulse every
``final_pulse_interval_s``, to cross the capture plane at the OS. Every two-impulse
solution (transfer, hops, station keeping, final pulses) is targeted with the
Yamanaka-Ankersen transition matrix on the osculating orbit of the *estimated* OS (the
ascent's dispersion gives OS eccentricities to ~0.02, where a circular model misses a
250 m hop by ~2e of its length, tens of metres) plus the J2 part of Schweighart-Sedwick
(its matrix less HCW at the same n), both of :mod:`msrsim.core.relative_motion`; neglected:
the coupling of eccentricity and J2, and J2's short-period terms, which enter only
through the osculating elements. Burns are executed with
proportional, fixed and pointing errors.

**Capture** (:mod:`msrsim.segments.capture`): the envelope is tested on the true state; a
failed attempt backs off to the last hold point (half-orbit transfer), waits
``retry_wait_s`` and comes again, up to the envelope's attempts, while the deadline allows.

Random numbers: every trial has its own generators, spawned from the leg's
``SeedSequence`` by trial index, so a trial's draws do not depend on how many trials run
beside it or how they are chunked (tested).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from msrsim.core.bodies import MARS
from msrsim.core.navigation import (
    ekf_predict,
    ekf_update,
    iekf_update,
    los_angles,
    nees,
    second_order_noise,
)
from msrsim.core.orbit_propagation import DensityTable, force_model, propagate
from msrsim.core.relative_motion import (
    hcw_stm,
    inertial_to_local,
    linear_stm,
    local_jacobian,
    local_to_inertial,
    osculating_elements,
    point_mass_hessian,
    rtn_rotation,
    schweighart_sedwick_matrix,
    two_impulse,
    van_loan_noise,
    yamanaka_ankersen_stm,
)
from msrsim.segments.capture import FAIL_NONE, CaptureEnvelope, check_capture
from msrsim.segments.orbiting_sample import OrbitState, SphereBody

__all__ = [
    "STATUS_MESSAGES",
    "RendezvousPlan",
    "RendezvousResult",
    "passive_safety",
    "simulate_rendezvous",
]

STATUS_CAPTURED = 0
STATUS_NOT_DETECTED = 1
STATUS_ATTEMPTS_EXHAUSTED = 2
STATUS_DEADLINE = 3
STATUS_COLLISION = 4
STATUS_NAVIGATION_LOST = 5
STATUS_MESSAGES = {
    STATUS_CAPTURED: "captured",
    STATUS_NOT_DETECTED: "the OS was not detected within the search time",
    STATUS_ATTEMPTS_EXHAUSTED: "every capture attempt failed",
    STATUS_DEADLINE: "the deadline came before capture",
    STATUS_COLLISION: "came within the keep-out radius outside the final approach",
    STATUS_NAVIGATION_LOST: "the navigation filter diverged",
}

_TARGET, _FINAL, _CAPTURE = 0, 2, 3
_PHASE_FAR, _PHASE_HOPS, _PHASE_FINAL, _PHASE_RETRY = 0, 1, 2, 3
PHASE_NAMES = ("far_range_transfer", "hops", "final_approach", "retries")
NAV_PHASE_NAMES = ("tracking_before_transfer", *PHASE_NAMES)
_PROPAGATION_STEP_S = 20.0
_NOISE_BLOCK = 512
_MAX_BURNS = 400
_MIN_SENSOR_RANGE_M = 1.0
"""Closer than this the OS fills the capture cone and no line of sight is taken."""
_CONSIDER = 2
"""Consider parameters of the filter: the fractional errors of the OS's drag and radiation-
pressure coefficients (never estimated; carried in the covariance)."""
_SECOND_ORDER_COHERENCE_S = 300.0
"""Coherence time of the second-order term (:func:`second_order_noise`): the quadratic
error of a km-level along-track spread lasts as long as that spread (hours in the angles-
only phase), not one 60 s step. Measured on the 200-trial baseline (docs/models.md): the
step's own term (60 s) leaves the far angles-only phase ~6 % overconfident (NEES 6.4,
25 % of its steps above the region), 300 s brings it to 5.9 (97 % inside), 600 s is
conservative (5.6-5.7)."""
_FD_STATE = np.array([1.0, 1.0, 1.0, 1e-3, 1e-3, 1e-3])
"""Finite-difference steps (m, m/s) of the propagation's Jacobian: its second-order
error is ~step / r ~ 3e-7 of an entry, far above round-off (~1e-9 m at 4000 km)."""


@dataclass(frozen=True)
class RendezvousPlan:
    """Search, sensing and guidance settings (SI)."""

    search_altitude_offset_m: float
    search_phase_lag_rad: float
    search_max_s: float
    detection_range_m: float
    max_phase_angle_rad: float
    sun_exclusion_rad: float
    angle_sigma_rad: float
    range_sensor_max_m: float
    range_sigma_m: float
    range_sigma_fraction: float
    measurement_interval_s: float
    process_noise_m2_s3: float
    min_tracking_orbits: float
    hold_points_m: tuple[float, ...]
    hold_orbits: float
    final_approach_speed_m_s: float
    final_pulse_interval_s: float
    keep_out_radius_m: float
    burn_sigma_fraction: float
    burn_sigma_m_s: float
    burn_pointing_sigma_rad: float
    os_coefficient_sigma_fraction: float = 0.1

    def __post_init__(self):
        if self.search_altitude_offset_m >= 0:
            raise ValueError("the search orbit must lie below the OS (negative altitude offset)")
        if any(h >= 0 for h in self.hold_points_m) or list(self.hold_points_m) != sorted(
            self.hold_points_m
        ):
            raise ValueError("hold points must be behind the OS (negative) and approach it")


@dataclass(frozen=True)
class RendezvousResult:
    """One row per trial (SI, epochs ``et``); ``history_*`` are per step."""

    status: np.ndarray
    release_et: float
    search_start_et: float
    detection_et: np.ndarray
    detection_range_m: np.ndarray
    transfer_et: np.ndarray
    capture_et: np.ndarray
    delta_v_m_s: np.ndarray
    """(n, 4): far-range transfer, hops, final approach, retries."""
    attempts: np.ndarray
    last_failure: np.ndarray
    tumble_rate_rad_s: np.ndarray
    lateral_miss_m: np.ndarray
    closing_speed_m_s: np.ndarray
    nav_position_error_m: np.ndarray
    """True relative position error of the estimate at the (last) capture attempt."""
    nav_position_sigma_m: np.ndarray
    min_distance_m: np.ndarray
    """Closest approach outside the final approach."""
    history_et: np.ndarray
    history_nees_mean: np.ndarray
    history_nees_count: np.ndarray
    history_nees: np.ndarray
    """(steps, n) each tracked trial's NEES (6 states; NaN where not tracking)."""
    history_phase: np.ndarray
    """(steps, n) each trial's phase while tracking (index into ``NAV_PHASE_NAMES``; -1
    where not tracking): angles-only tracking before the transfer, then the phase of its
    last burn."""
    history_position_sigma_m: np.ndarray
    """(steps, n) sqrt of the trace of the position covariance (NaN before detection)."""
    history_local: np.ndarray
    """(steps, k, 6) true local state of the ERO about the OS for the first k trials."""
    history_local_estimate: np.ndarray
    hold_points_m: tuple[float, ...] = field(default=())
    mean_motion_rad_s: float = 0.0
    milestones_after_transfer_s: dict = field(default_factory=dict)
    """Nominal epochs of the approach after the far-range transfer starts, s."""

    @property
    def captured(self) -> np.ndarray:
        return self.status == STATUS_CAPTURED

    @property
    def total_delta_v_m_s(self) -> np.ndarray:
        return self.delta_v_m_s.sum(axis=1)

    @property
    def time_to_capture_s(self) -> np.ndarray:
        """From release to capture (NaN where not captured)."""
        return self.capture_et - self.release_et


def _per_trial_generators(seed: np.random.SeedSequence, n: int, offset: int = 0):
    """Two generators per trial (initial and burn draws; measurement noise), spawned by
    trial index so that trial i draws the same numbers in any batch."""
    out = []
    for i in range(offset, offset + n):
        child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, i))
        a, b = child.spawn(2)
        out.append((np.random.default_rng(a), np.random.default_rng(b)))
    return out


def search_orbit_state(
    os_mean: np.ndarray, altitude_offset_m: float, phase_lag_rad: float
) -> np.ndarray:
    """The ERO's search orbit for each OS state (6,) or (n, 6): the OS's orbit, the same
    shape and apse line, scaled down by the altitude offset (position x s, velocity /
    sqrt(s): a similar conic), the ERO a phase lag behind (the OS's state flown back
    lag / n on its conic)."""
    from msrsim.core.conics import propagate as kepler

    mu = MARS.gm.value
    x = np.atleast_2d(os_mean)
    r, v = x[:, :3], x[:, 3:]
    a = 1.0 / (2.0 / np.linalg.norm(r, axis=1) - np.einsum("ij,ij->i", v, v) / mu)
    rr, vv = kepler(r, v, -phase_lag_rad / np.sqrt(mu / a**3), mu)
    scale = ((a + altitude_offset_m) / a)[:, None]
    out = np.concatenate([rr * scale, vv / np.sqrt(scale)], axis=1)
    return out[0] if np.ndim(os_mean) == 1 else out


def _execute(dv: np.ndarray, noise: np.ndarray, plan: RendezvousPlan) -> np.ndarray:
    """Executed burns: magnitude error, pointing error (two small rotations), fixed error.
    ``noise`` (n, 6) standard normals."""
    mag = np.linalg.norm(dv, axis=1)
    u = np.divide(dv, mag[:, None], out=np.zeros_like(dv), where=mag[:, None] > 0)
    a = np.where(np.abs(u[:, 0]) < 0.9, 1.0, 0.0)
    ref = np.stack([a, 1.0 - a, np.zeros_like(a)], axis=1)
    e1 = np.cross(u, ref)
    norm = np.linalg.norm(e1, axis=1)[:, None]
    e1 = np.divide(e1, norm, out=np.zeros_like(e1), where=norm > 0)  # no burn: no pointing
    e2 = np.cross(u, e1)
    pointing = plan.burn_pointing_sigma_rad * mag
    return (
        dv * (1.0 + plan.burn_sigma_fraction * noise[:, 0:1])
        + (pointing * noise[:, 1])[:, None] * e1
        + (pointing * noise[:, 2])[:, None] * e2
        + plan.burn_sigma_m_s * noise[:, 3:6]
    )


def _burn_covariance(dv: np.ndarray, plan: RendezvousPlan) -> np.ndarray:
    """Velocity covariance (n, 3, 3) of the execution errors of commanded burns ``dv``."""
    mag2 = np.einsum("ij,ij->i", dv, dv)
    outer = np.einsum("ni,nj->nij", dv, dv)
    eye = np.eye(3)
    return (
        plan.burn_sigma_fraction**2 * outer
        + plan.burn_pointing_sigma_rad**2 * (mag2[:, None, None] * eye - outer)
        + plan.burn_sigma_m_s**2 * eye
    )


def simulate_rendezvous(
    release: OrbitState,
    search_start_et: float,
    deadline_et: float,
    plan: RendezvousPlan,
    envelope: CaptureEnvelope,
    os_body: SphereBody,
    ero_body: SphereBody,
    n: int,
    seed: np.random.SeedSequence,
    *,
    trial_offset: int = 0,
    density: DensityTable | None = None,
    tumble_sigma_rad_s: float = 0.0,
    record: int = 12,
    progress=None,
    knowledge_covariance: np.ndarray | None = None,
) -> RendezvousResult:
    """Fly ``n`` trials from the OS's release to capture (see the module docstring).

    ``release.covariance`` is the dispersion of the OS's true orbit (the ascent's);
    ``knowledge_covariance`` (6, 6, ICRF, at release) the error of what the ERO knows of it
    once the OS is released (the MAV's telemetry, tracking): each trial's prior is its true
    state plus a draw of it, the ERO's search orbit is set from that prior, and the filter
    starts from it. ``None`` takes the dispersion for the knowledge too."""
    if search_start_et < release.et:
        raise ValueError("the search cannot start before the OS is released")
    if deadline_et <= search_start_et:
        raise ValueError("the capture deadline must come after the search starts")
    dt = plan.measurement_interval_s
    gens = _per_trial_generators(seed, n, trial_offset)
    init = np.array([g[0].standard_normal(6 + 2 + 3 + 6) for g in gens])
    burn_noise = np.array([g[0].standard_normal((_MAX_BURNS, 6)) for g in gens])
    mech_draw = np.array([g[0].random(max(1, envelope.max_attempts)) for g in gens])

    # -- initial states -----------------------------------------------------------------
    chol = np.linalg.cholesky(release.covariance + 1e-12 * np.eye(6))
    os_true = release.state + init[:, :6] @ chol.T
    fraction = plan.os_coefficient_sigma_fraction
    bc_os = os_body.ballistic_coefficient_m2_kg * np.maximum(0.1, 1.0 + fraction * init[:, 6])
    srp_os = os_body.srp_area_to_mass_m2_kg * np.maximum(0.1, 1.0 + fraction * init[:, 7])
    tumble = tumble_sigma_rad_s * np.linalg.norm(init[:, 8:11], axis=1)
    model = force_model(release.et, density=density)
    lead = search_start_et - release.et
    knowledge = release.covariance if knowledge_covariance is None else knowledge_covariance
    knowledge = np.asarray(knowledge, np.float64).reshape(6, 6)
    prior = os_true + init[:, 11:17] @ np.linalg.cholesky(knowledge + 1e-12 * np.eye(6)).T
    mean = release.state[None, :].copy()
    if lead > 0:
        both = propagate(
            np.vstack([os_true, prior, mean]),
            lead,
            model,
            np.concatenate([bc_os, np.full(n + 1, os_body.ballistic_coefficient_m2_kg)]),
            np.concatenate([srp_os, np.full(n + 1, os_body.srp_area_to_mass_m2_kg)]),
            _PROPAGATION_STEP_S,
        )
        os_true, prior, mean = both[:n], both[n : 2 * n], both[2 * n :]
    prior_now = prior
    ero = search_orbit_state(prior, plan.search_altitude_offset_m, plan.search_phase_lag_rad)

    # -- the linear model of the estimation error ---------------------------------------
    a_ref = float(np.linalg.norm(mean[0, :3]))
    h_vec = np.cross(mean[0, :3], mean[0, 3:])
    pole = model.pole
    incl = math.acos(float(np.clip(h_vec @ pole / np.linalg.norm(h_vec), -1, 1)))
    a_ss, n_ss, _ = schweighart_sedwick_matrix(a_ref, incl)
    # each trial's model turns at the mean motion of its own known orbit (the ascent's
    # dispersion spreads semi-major axes by tens of km: a few % of n), sharing the
    # inclination; the schedule uses the release's mean orbit
    mu = MARS.gm.value
    a_known = 1.0 / (
        2.0 / np.linalg.norm(prior[:, :3], axis=1)
        - np.einsum("ij,ij->i", prior[:, 3:], prior[:, 3:]) / mu
    )
    a_known = np.where(np.isfinite(a_known) & (a_known > 0), a_known, a_ref)
    keys = np.round(a_known, -1)  # 10 m bins: one matrix exponential per distinct orbit
    uniq, inverse = np.unique(keys, return_inverse=True)
    ss_models = [schweighart_sedwick_matrix(float(a), incl) for a in uniq]
    models = [m[0] for m in ss_models]
    q_step = np.stack([van_loan_noise(m, plan.process_noise_m2_s3, dt) for m in models])[inverse]
    period = 2.0 * math.pi / n_ss
    half = max(2, int(round(0.5 * period / dt)))
    hold = max(1, int(round(plan.hold_orbits * period / dt)))
    min_track = int(round(plan.min_tracking_orbits * period / dt))
    pulse = max(1, int(round(plan.final_pulse_interval_s / dt)))
    j2_cache: dict[int, np.ndarray] = {}

    def phi_of(rows: np.ndarray, est_os: np.ndarray, steps: int) -> np.ndarray:
        """Targeting transition matrices over ``steps`` for trials ``rows`` about their
        estimated OS states: Yamanaka-Ankersen on the estimate's osculating orbit plus
        the J2 part of Schweighart-Sedwick (SS less HCW at the model's n)."""
        if steps not in j2_cache:
            j2_cache[steps] = np.stack(
                [
                    linear_stm(m, steps * dt)[0] - hcw_stm(nm, steps * dt)[0]
                    for m, nm, _ in ss_models
                ]
            )[inverse]
        a_os, e_os, nu_os = osculating_elements(est_os)
        sane = np.isfinite(a_os) & (a_os > 0) & np.isfinite(e_os) & (e_os < 0.5)
        a_os = np.where(sane, a_os, a_known[rows])  # a diverged estimate: circular model
        e_os, nu_os = np.where(sane, e_os, 0.0), np.where(sane, nu_os, 0.0)
        return yamanaka_ankersen_stm(a_os, e_os, nu_os, steps * dt) + j2_cache[steps][rows]

    # main schedule after the transfer trigger: (step offset, kind, hold index, tof steps,
    # phase); each transfer has a mid-course correction halfway, and each hold is kept by
    # retargeting the hold point every quarter revolution (station keeping)
    quarter = max(1, half // 2)
    keeps = max(1, hold // quarter)
    main: list[tuple[int, int, int, int, int]] = []
    s = 0
    for j, _y in enumerate(plan.hold_points_m):
        phase = _PHASE_FAR if j == 0 else _PHASE_HOPS
        main.append((s, _TARGET, j, half, phase))
        if j == 0:  # mid-course correction of the far-range transfer only: a hop stays a
            # pure two-impulse radial hop, passively safe (see passive_safety)
            main.append((s + half // 2, _TARGET, j, half - half // 2, phase))
        main += [(s + half + m * quarter, _TARGET, j, quarter, phase) for m in range(keeps)]
        s += half + keeps * quarter
    final_start_offset = s
    arrivals = {
        f"arrival at hold point H{j + 1} ({y:g} m)": dt * (j * (half + keeps * quarter) + half)
        for j, y in enumerate(plan.hold_points_m)
    }
    arrivals["final approach starts"] = dt * final_start_offset
    y_last = plan.hold_points_m[-1]
    legs = max(1, int(math.ceil(abs(y_last) / (plan.final_approach_speed_m_s * pulse * dt))))
    final = [(k * pulse, _FINAL, k, pulse, _PHASE_FINAL) for k in range(legs)]
    final.append((legs * pulse, _CAPTURE, 0, 0, _PHASE_FINAL))
    last = len(plan.hold_points_m) - 1
    retry_keeps = max(1, int(round(envelope.retry_wait_s / dt)) // quarter)
    retry = [
        (0, _TARGET, last, half, _PHASE_RETRY),
        (half // 2, _TARGET, last, half - half // 2, _PHASE_RETRY),
    ]
    retry += [
        (half + m * quarter, _TARGET, last, quarter, _PHASE_RETRY) for m in range(retry_keeps)
    ]
    retry_length = half + retry_keeps * quarter

    # -- per-trial bookkeeping ---------------------------------------------------------------
    status = np.full(n, -1, dtype=np.int8)
    detected = np.zeros(n, bool)
    detection_step = np.full(n, -1)
    detection_range = np.full(n, np.nan)
    trigger_step = np.full(n, -1)
    final_step = np.full(n, -1)
    retry_step = np.full(n, -1)
    attempts = np.zeros(n, dtype=np.int16)
    last_failure = np.full(n, -1, dtype=np.int8)
    burns = np.zeros(n, dtype=np.int32)
    delta_v = np.zeros((n, 4))
    capture_et = np.full(n, np.nan)
    lateral_miss = np.full(n, np.nan)
    closing = np.full(n, np.nan)
    nav_err = np.full(n, np.nan)
    nav_sig = np.full(n, np.nan)
    min_dist = np.full(n, np.inf)
    in_final = np.zeros(n, bool)
    xh = np.zeros((n, 6))
    dim = 6 + _CONSIDER
    p_cc = fraction**2 * np.eye(_CONSIDER)
    p = np.tile(np.eye(dim), (n, 1, 1))
    p[:, 6:, 6:] = p_cc

    horizon = min(deadline_et - search_start_et, plan.search_max_s + 40.0 * period)
    steps = int(math.ceil(horizon / dt))
    hist_nees = np.full(steps, np.nan)
    hist_count = np.zeros(steps, dtype=np.int32)
    hist_eps = np.full((steps, n), np.nan, dtype=np.float32)
    hist_phase = np.full((steps, n), -1, dtype=np.int8)
    nav_phase = np.zeros(n, dtype=np.int8)  # 0 before the transfer, 1 + burn phase after
    hist_sigma = np.full((steps, n), np.nan, dtype=np.float32)
    k_rec = min(record, n)
    hist_local = np.full((steps, k_rec, 6), np.nan, dtype=np.float32)
    hist_est = np.full((steps, k_rec, 6), np.nan, dtype=np.float32)
    meas_noise = np.zeros((n, _NOISE_BLOCK, 3))
    known = OrbitState(release.et, release.state, knowledge).covariance_rtn_diag
    radial_sigma = math.sqrt(
        (7.0 * math.sqrt(known[0])) ** 2 + (4.0 * math.sqrt(known[4]) / n_ss) ** 2 + 1000.0**2
    )
    v_sigma = max(3.0 * math.sqrt(max(known[3:])), 2.0 * n_ss * radial_sigma)
    sigma_angle = plan.angle_sigma_rad
    model_day = -1

    for k in range(steps):
        t = search_start_et + k * dt
        day = int(k * dt // 86400.0)
        if day != model_day:
            model = force_model(t, density=density)
            model_day = day
            sun = model.sun_direction
        if k % _NOISE_BLOCK == 0:
            meas_noise = np.array([g[1].standard_normal((_NOISE_BLOCK, 3)) for g in gens])
        active = status < 0
        if not active.any():
            steps = k
            break

        # ---- events: burns and capture checks --------------------------------------------
        for base, schedule in ((trigger_step, main), (final_step, final), (retry_step, retry)):
            rel = k - base
            for off, kind, idx, tof, phase in schedule:
                rows = np.flatnonzero(active & (base >= 0) & (rel == off))
                if rows.size == 0:
                    continue
                est_os = ero[rows] + xh[rows]
                loc = inertial_to_local(est_os, ero[rows])
                if kind == _CAPTURE:
                    true_loc = inertial_to_local(os_true[rows], ero[rows])
                    att = attempts[rows]
                    check = check_capture(
                        true_loc,
                        tumble[rows],
                        mech_draw[rows, np.minimum(att, mech_draw.shape[1] - 1)],
                        envelope,
                    )
                    attempts[rows] += 1
                    last_failure[rows] = check.failure
                    lateral_miss[rows] = check.lateral_miss_m
                    closing[rows] = check.closing_speed_m_s
                    err = (os_true[rows] - ero[rows] - xh[rows])[:, :3]
                    nav_err[rows] = np.linalg.norm(err, axis=1)
                    nav_sig[rows] = np.sqrt(np.trace(p[rows][:, :3, :3], axis1=1, axis2=2))
                    ok = check.failure == FAIL_NONE
                    capture_et[rows[ok]] = t + np.where(
                        np.isfinite(check.time_to_plane_s[ok]), check.time_to_plane_s[ok], 0.0
                    )
                    status[rows[ok]] = STATUS_CAPTURED
                    failed = rows[~ok]
                    final_step[rows] = -1
                    again = failed[attempts[failed] < envelope.max_attempts]
                    status[failed[attempts[failed] >= envelope.max_attempts]] = (
                        STATUS_ATTEMPTS_EXHAUSTED
                    )
                    retry_step[again] = k
                    final_step[again] = k + retry_length
                    continue
                if kind == _TARGET:
                    if schedule is retry and off >= half:
                        in_final[rows] = False
                    goal = np.zeros((rows.size, 3))
                    goal[:, 1] = plan.hold_points_m[idx]
                    dv_loc, _ = two_impulse(
                        loc[:, :3], loc[:, 3:], goal, np.zeros_like(goal), phi_of(rows, est_os, tof)
                    )
                else:  # _FINAL: one pulse towards the next waypoint on V-bar
                    goal = np.zeros((rows.size, 3))
                    goal[:, 1] = y_last * (1.0 - (idx + 1) / legs)
                    dv_loc, _ = two_impulse(
                        loc[:, :3], loc[:, 3:], goal, np.zeros_like(goal), phi_of(rows, est_os, tof)
                    )
                    in_final[rows] = True
                c = _rtn(est_os)
                dv = np.einsum("nji,nj->ni", c, dv_loc)  # local -> inertial (C^T)
                noise = burn_noise[rows, np.minimum(burns[rows], _MAX_BURNS - 1)]
                burns[rows] += 1
                ero[rows, 3:] += _execute(dv, noise, plan)
                xh[rows, 3:] -= dv
                p[rows, 3:6, 3:6] += _burn_covariance(dv, plan)
                delta_v[rows, phase] += np.linalg.norm(dv, axis=1)
                nav_phase[rows] = 1 + phase

        # ---- sensing -------------------------------------------------------------------------
        d_true = os_true[:, :3] - ero[:, :3]
        rng_true = np.linalg.norm(d_true, axis=1)
        u = d_true / rng_true[:, None]
        r_os = os_true[:, :3]
        rs = r_os @ sun
        lit = ~(
            (rs < 0)
            & (np.linalg.norm(r_os - rs[:, None] * sun, axis=1) < MARS.equatorial_radius.value)
        )
        phase_ok = np.arccos(np.clip(-(u @ sun), -1, 1)) <= plan.max_phase_angle_rad
        sun_ok = np.arccos(np.clip(u @ sun, -1, 1)) >= plan.sun_exclusion_rad
        b = np.einsum("ij,ij->i", r_os, u)
        c_ = np.einsum("ij,ij->i", r_os, r_os) - MARS.equatorial_radius.value**2
        mars_behind = (b < 0) & (b * b >= c_)
        close = rng_true <= plan.range_sensor_max_m
        blind = rng_true < _MIN_SENSOR_RANGE_M
        seen = (
            active
            & ~blind
            & (
                close
                | (lit & phase_ok & sun_ok & ~mars_behind & (rng_true <= plan.detection_range_m))
            )
        )
        c_ero = _rtn(ero)
        noise = meas_noise[:, k % _NOISE_BLOCK]
        z_ang = los_angles(np.einsum("nij,nj->ni", c_ero, d_true))[0] + sigma_angle * noise[:, :2]
        r_sig = np.maximum(plan.range_sigma_m, plan.range_sigma_fraction * rng_true)
        z_rng = rng_true + r_sig * noise[:, 2]

        new = seen & ~detected & (k * dt <= plan.search_max_s)
        if new.any():
            rows = np.flatnonzero(new)
            az, el = z_ang[rows, 0], z_ang[rows, 1]
            u_loc = np.stack([np.sin(az) * np.cos(el), np.cos(az) * np.cos(el), np.sin(el)], axis=1)
            u_in = np.einsum("nji,nj->ni", c_ero[rows], u_loc)
            shell = np.linalg.norm(prior_now[rows, :3], axis=1)
            re = ero[rows, :3]
            bb = np.einsum("ij,ij->i", re, u_in)
            cc = np.einsum("ij,ij->i", re, re) - shell**2
            dist = -bb + np.sqrt(np.maximum(bb * bb - cc, 0.0))
            pos = re + dist[:, None] * u_in
            hp = np.cross(prior_now[rows, :3], prior_now[rows, 3:])
            hp /= np.linalg.norm(hp, axis=1)[:, None]
            # velocity: the known orbit's, turned about its normal from the known position
            # to the line-of-sight one (keeps an eccentric orbit's radial velocity)
            rp = prior_now[rows, :3] / np.linalg.norm(prior_now[rows, :3], axis=1)[:, None]
            ru = pos / np.linalg.norm(pos, axis=1)[:, None]
            theta = np.arctan2(
                np.einsum("ij,ij->i", hp, np.cross(rp, ru)), np.einsum("ij,ij->i", rp, ru)
            )
            vp = prior_now[rows, 3:]
            vel = (
                vp * np.cos(theta)[:, None]
                + np.cross(hp, vp) * np.sin(theta)[:, None]
                + hp * (np.einsum("ij,ij->i", hp, vp) * (1.0 - np.cos(theta)))[:, None]
            )
            xh[rows] = np.concatenate([pos - re, vel - ero[rows, 3:]], axis=1)
            rhat = pos / np.linalg.norm(pos, axis=1)[:, None]
            cos_g = np.abs(np.einsum("ij,ij->i", rhat, u_in))
            s_los = radial_sigma / np.maximum(cos_g, 0.05)
            outer = np.einsum("ni,nj->nij", u_in, u_in)
            pp = np.zeros((rows.size, 6, 6))
            pp[:, :3, :3] = s_los[:, None, None] ** 2 * outer + ((dist * sigma_angle) ** 2)[
                :, None, None
            ] * (np.eye(3) - outer)
            pp[:, 3:, 3:] = v_sigma**2 * np.eye(3)
            p[rows] = 0.0
            p[rows, :6, :6] = pp
            p[rows, 6:, 6:] = p_cc
            detected[rows] = True
            detection_step[rows] = k
            detection_range[rows] = rng_true[rows]
            seen = seen & ~new
        upd = seen & detected
        # re-acquisition: where the position is too uncertain for a linearised angle update
        # (after the blind spell of a failed capture), the close-range sensor's angles and
        # range fix the position directly (velocity and its covariance kept)
        reinit = (
            upd
            & close
            & (
                np.sqrt(np.trace(p[:, :3, :3], axis1=1, axis2=2))
                > 0.2 * np.linalg.norm(xh[:, :3], axis=1)
            )
        )
        if reinit.any():
            rows = np.flatnonzero(reinit)
            az, el = z_ang[rows, 0], z_ang[rows, 1]
            u_loc = np.stack([np.sin(az) * np.cos(el), np.cos(az) * np.cos(el), np.sin(el)], axis=1)
            u_in = np.einsum("nji,nj->ni", c_ero[rows], u_loc)
            xh[rows, :3] = z_rng[rows, None] * u_in
            outer = np.einsum("ni,nj->nij", u_in, u_in)
            p[rows, :3, 3:] = 0.0
            p[rows, 3:, :3] = 0.0
            p[rows, :3, :3] = (r_sig[rows] ** 2)[:, None, None] * outer + (
                (z_rng[rows] * sigma_angle) ** 2
            )[:, None, None] * (np.eye(3) - outer)
            upd = upd & ~reinit
        if upd.any():
            rows = np.flatnonzero(upd)
            c_rows = c_ero[rows]

            def measure(x, c_rows=c_rows):
                ang, jac = los_angles(np.einsum("nij,nj->ni", c_rows, x[:, :3]))
                h = np.zeros((x.shape[0], 2, dim))
                h[:, :, :3] = jac @ c_rows
                return ang, h

            # the consider parameters ride along at zero (their estimate stays nominal)
            r_ang = np.eye(2) * sigma_angle**2
            xa, p[rows], _ = iekf_update(
                np.pad(xh[rows], ((0, 0), (0, _CONSIDER))), p[rows], z_ang[rows], measure,
                r_ang, angular=True, consider=_CONSIDER,
            )  # fmt: skip
            xh[rows] = xa[:, :6]
            rr = rows[close[rows]]
            if rr.size:
                dn = np.linalg.norm(xh[rr, :3], axis=1)
                hr = np.zeros((rr.size, 1, dim))
                hr[:, 0, :3] = xh[rr, :3] / dn[:, None]
                xa, p[rr], _ = ekf_update(
                    np.pad(xh[rr], ((0, 0), (0, _CONSIDER))), p[rr], (z_rng[rr] - dn)[:, None],
                    hr, (r_sig[rr] ** 2)[:, None, None], consider=_CONSIDER,
                )  # fmt: skip
                xh[rr] = xa[:, :6]

        # ---- bookkeeping, triggers --------------------------------------------------------------
        tracking = active & detected
        if tracking.any():
            rows = np.flatnonzero(tracking)
            e = (os_true[rows] - ero[rows]) - xh[rows]
            eps = nees(e, p[rows][:, :6, :6])
            hist_nees[k] = float(np.mean(eps))
            hist_count[k] = rows.size
            hist_eps[k, rows] = eps
            hist_phase[k, rows] = nav_phase[rows]
            hist_sigma[k, rows] = np.sqrt(np.trace(p[rows][:, :3, :3], axis1=1, axis2=2))
        outside = active & ~in_final
        min_dist[outside] = np.minimum(min_dist[outside], rng_true[outside])
        status[
            active
            & ~in_final
            & detected
            & (rng_true < plan.keep_out_radius_m)
            & (trigger_step >= 0)
        ] = STATUS_COLLISION
        if k_rec:
            live = (status[:k_rec] < 0)[:, None]
            hist_local[k] = np.where(live, inertial_to_local(os_true[:k_rec], ero[:k_rec]), np.nan)
            hist_est[k] = np.where(
                live, inertial_to_local(ero[:k_rec] + xh[:k_rec], ero[:k_rec]), np.nan
            )
        waiting = active & detected & (trigger_step < 0) & (k - detection_step >= min_track)
        if waiting.any():
            rows = np.flatnonzero(waiting)
            loc = inertial_to_local(ero[rows] + xh[rows], ero[rows])
            y_trig = plan.hold_points_m[0] - 0.75 * math.pi * np.abs(np.minimum(loc[:, 0], 0.0))
            go = rows[loc[:, 1] >= y_trig]
            trigger_step[go] = k + 1
            final_step[go] = k + 1 + final_start_offset
        status[active & ~detected & (k * dt > plan.search_max_s)] = STATUS_NOT_DETECTED
        if progress is not None and k % 200 == 0:
            progress(k, steps)

        # ---- propagation -----------------------------------------------------------------------
        if k == steps - 1:
            break
        # the truth, the ERO, the estimated OS and the prior, and beside the estimate its
        # finite-difference copies: six displaced states and two with the OS's drag and
        # radiation-pressure coefficients doubled (the sensitivity to the consider
        # parameters, both forces being linear in their coefficient)
        est_os = ero + xh
        copies = np.repeat(est_os[:, None, :], 6 + _CONSIDER, axis=1)
        copies[:, np.arange(6), np.arange(6)] += _FD_STATE
        bc_nom, sr_nom = os_body.ballistic_coefficient_m2_kg, os_body.srp_area_to_mass_m2_kg
        bc_fd = np.full((n, 6 + _CONSIDER), bc_nom)
        sr_fd = np.full((n, 6 + _CONSIDER), sr_nom)
        bc_fd[:, 6], sr_fd[:, 7] = 2.0 * bc_nom, 2.0 * sr_nom
        stack = np.vstack([os_true, ero, est_os, prior, copies.reshape(-1, 6)])
        bc = np.concatenate(
            [bc_os, np.full(n, ero_body.ballistic_coefficient_m2_kg), np.full(2 * n, bc_nom)]
            + [bc_fd.ravel()]
        )
        sr = np.concatenate(
            [srp_os, np.full(n, ero_body.srp_area_to_mass_m2_kg), np.full(2 * n, sr_nom)]
            + [sr_fd.ravel()]
        )
        stack = propagate(stack, dt, model, bc, sr, _PROPAGATION_STEP_S)
        os_true, ero, est_new, prior = (
            stack[:n],
            stack[n : 2 * n],
            stack[2 * n : 3 * n],
            stack[3 * n : 4 * n],
        )
        prior_now = prior
        xh = est_new - ero
        # covariance: the Jacobian of this very propagation (J2, drag, SRP, any
        # eccentricity) by finite differences, the consider sensitivities, white
        # acceleration noise, and the second-order term of the point-mass gravity
        diff = (stack[4 * n :].reshape(n, 6 + _CONSIDER, 6) - est_new[:, None, :]).swapaxes(1, 2)
        phi = np.zeros((n, dim, dim))
        phi[:, :6, :6] = diff[:, :, :6] / _FD_STATE
        phi[:, :6, 6:] = diff[:, :, 6:]
        phi[:, 6:, 6:] = np.eye(_CONSIDER)
        jac1_inv = np.linalg.inv(local_jacobian(est_new))
        q = np.zeros((n, dim, dim))
        hess = point_mass_hessian(est_os[:, :3])
        q[:, :6, :6] = jac1_inv @ q_step @ np.swapaxes(jac1_inv, 1, 2) + second_order_noise(
            hess, p[:, :3, :3], dt, _SECOND_ORDER_COHERENCE_S
        )
        p = ekf_predict(p, phi, q)
        lost = ~(np.isfinite(xh).all(axis=1) & np.isfinite(p).all(axis=(1, 2)))
        if lost.any():  # a diverged filter ends its trial, never the batch
            status[lost & (status < 0)] = STATUS_NAVIGATION_LOST
            xh[lost] = 0.0
            p[lost] = np.eye(dim)

    status[status < 0] = STATUS_DEADLINE
    et_of = lambda s: np.where(s >= 0, search_start_et + s * dt, np.nan)  # noqa: E731
    return RendezvousResult(
        status=status,
        release_et=release.et,
        search_start_et=search_start_et,
        detection_et=et_of(detection_step),
        detection_range_m=detection_range,
        transfer_et=et_of(trigger_step),
        capture_et=capture_et,
        delta_v_m_s=delta_v,
        attempts=attempts,
        last_failure=last_failure,
        tumble_rate_rad_s=tumble,
        lateral_miss_m=lateral_miss,
        closing_speed_m_s=closing,
        nav_position_error_m=nav_err,
        nav_position_sigma_m=nav_sig,
        min_distance_m=min_dist,
        history_et=search_start_et + dt * np.arange(steps),
        history_nees_mean=hist_nees[:steps],
        history_nees_count=hist_count[:steps],
        history_nees=hist_eps[:steps],
        history_phase=hist_phase[:steps],
        history_position_sigma_m=hist_sigma[:steps],
        history_local=hist_local[:steps],
        history_local_estimate=hist_est[:steps],
        hold_points_m=tuple(plan.hold_points_m),
        mean_motion_rad_s=n_ss,
        milestones_after_transfer_s=arrivals,
    )


def _rtn(states: np.ndarray) -> np.ndarray:
    return rtn_rotation(np.ascontiguousarray(states[:, :3]), np.ascontiguousarray(states[:, 3:]))[0]


@dataclass(frozen=True)
class MissedBurn:
    """The free drift after one missed burn of the nominal approach."""

    name: str
    min_distance_m: float
    min_distance_linear_m: float
    local_track: np.ndarray
    """(m, 6) true local state of the ERO about the OS over the drift."""


def passive_safety(
    os_state: np.ndarray,
    et: float,
    plan: RendezvousPlan,
    orbits: float = 2.0,
    density: DensityTable | None = None,
    os_body: SphereBody | None = None,
    ero_body: SphereBody | None = None,
    sample_s: float = 60.0,
) -> tuple[list[MissedBurn], np.ndarray]:
    """Fly the nominal approach from the far-range trigger to the last hold point without
    errors (nonlinear; targeted from the true state with the Monte Carlo's model), and for
    each burn the drift over ``orbits`` revolutions if that burn (and all after it) were
    missed. Returns the missed burns and the nominal local track (m, 6)."""
    model = force_model(et, density=density)
    a_ref = float(np.linalg.norm(os_state[:3]))
    h_vec = np.cross(os_state[:3], os_state[3:])
    incl = math.acos(float(np.clip(h_vec @ model.pole / np.linalg.norm(h_vec), -1, 1)))
    a_ss, n_ss, _ = schweighart_sedwick_matrix(a_ref, incl)
    period = 2 * math.pi / n_ss
    half_s = 0.5 * period
    hold_s = plan.hold_orbits * period
    dh = plan.search_altitude_offset_m
    y0 = plan.hold_points_m[0] - 0.75 * math.pi * abs(dh)
    start = np.array([dh, y0, 0.0, 0.0, -1.5 * n_ss * dh, 0.0])
    bc = (
        [0.0, 0.0]
        if os_body is None
        else [os_body.ballistic_coefficient_m2_kg, ero_body.ballistic_coefficient_m2_kg]
    )
    sr = (
        [0.0, 0.0]
        if os_body is None
        else [os_body.srp_area_to_mass_m2_kg, ero_body.srp_area_to_mass_m2_kg]
    )
    pair = np.vstack([os_state, local_to_inertial(os_state, start)[0]])

    def fly(pair, seconds):
        m = max(1, int(round(seconds / sample_s)))
        track = [inertial_to_local(pair[0], pair[1])[0]]
        for _ in range(m):
            pair = propagate(pair, seconds / m, model, bc, sr, _PROPAGATION_STEP_S)
            track.append(inertial_to_local(pair[0], pair[1])[0])
        return pair, np.array(track)

    def burn(pair, dv_loc):
        c = _rtn(pair[:1])[0]
        out = pair.copy()
        out[1, 3:] += c.T @ dv_loc
        return out

    nominal = [inertial_to_local(pair[0], pair[1])[0][None]]
    missed: list[MissedBurn] = []
    quarter_s = 0.5 * half_s
    keeps = max(1, int(round(hold_s / quarter_s)))

    def model_stm(os_now, t):
        # as the Monte Carlo targets: Yamanaka-Ankersen on the OS's osculating orbit plus
        # the J2 part of Schweighart-Sedwick
        a_os, e_os, nu_os = osculating_elements(os_now)
        return yamanaka_ankersen_stm(a_os, e_os, nu_os, t) + (
            linear_stm(a_ss, t) - hcw_stm(n_ss, t)
        )

    def target(pair, y, tof):
        loc = inertial_to_local(pair[0], pair[1])[0]
        dv, _ = two_impulse(
            loc[:3], loc[3:], np.array([0.0, y, 0.0]), np.zeros(3), model_stm(pair[0], tof)[0]
        )
        return loc, dv[0]

    def record_missed(label, pair, loc):
        _, drift = fly(pair, orbits * period)
        lin = model_stm(pair[0], np.linspace(0, orbits * period, 400)) @ loc
        missed.append(
            MissedBurn(
                label,
                float(np.min(np.linalg.norm(drift[:, :3], axis=1))),
                float(np.min(np.linalg.norm(lin[:, :3], axis=1))),
                drift,
            )
        )

    for j, y in enumerate(plan.hold_points_m):
        name_to = f"H{j + 1} ({y:g} m)"
        # departure (missed: the ERO stays on its drift or its hold)
        loc, dv = target(pair, y, half_s)
        record_missed(f"departure to {name_to}", pair, loc)
        pair, track = fly(burn(pair, dv), 0.5 * half_s)
        nominal.append(track[1:])
        if j == 0:  # mid-course correction of the far-range transfer
            loc, dv = target(pair, y, 0.5 * half_s)
            pair = burn(pair, dv)
        pair, track = fly(pair, 0.5 * half_s)
        nominal.append(track[1:])
        # arrival (missed: the transfer goes on, a radial hop returns to its start)
        loc, dv = target(pair, y, quarter_s)
        record_missed(f"arrival at {name_to}", pair, loc)
        for _ in range(keeps):  # station keeping at the hold point
            loc, dv = target(pair, y, quarter_s)
            pair, track = fly(burn(pair, dv), quarter_s)
            nominal.append(track[1:])
    return missed, np.vstack(nominal)
