"""Rendezvous of the Earth Return Orbiter with the Orbiting Sample: search, navigation,
guidance, capture, as one batched Monte Carlo flown on the nonlinear dynamics.

**Each trial in its own time.** :func:`fly_rendezvous` takes, per trial, the OS's true
release state (Mars-centred ICRF), its release epoch, the epoch its search starts (the
ERO's phasing ends) and its capture deadline: the hand-off of that trial's own ascent and
ERO. Trials are stepped together by *time since their own search start*; every epoch a
trial reports is its own. :func:`simulate_rendezvous` is the one-release form (one mean
state and covariance, common epochs): it draws the true states and calls
:func:`fly_rendezvous`.

**Truth.** Every trial flies the OS and the ERO as two Mars-centred states under J2, drag
and solar radiation pressure (:mod:`msrsim.core.orbit_propagation`, RK4 at 20 s steps).
The force model's epoch is each trial's own: the Sun's direction and distance (radiation
pressure, the OS's eclipses and the camera's Sun geometry) and Mars' pole are those of the
trial's epoch, refreshed every day of its flight (from release to the search start, then
each day after it), so trials released months apart see their own Sun. The OS's drag and
radiation-pressure coefficients are dispersed. The ERO waits in a circular search orbit in
the plane of what it knows of the OS (its prior), below it by the scenario's altitude
offset, a phase lag behind, at the trial's search start.

**Detection** (narrow-angle camera): the OS is seen when it is within the detection range,
sunlit (outside Mars' cylindrical shadow), at a Sun phase angle (Sun-OS-ERO) below the
limit, at least the exclusion angle from the Sun in the camera, and not against Mars (the
line of sight beyond the OS misses the planet). Within the range sensor's reach the close
range sensor gives angles and range whatever the light (assumption).

**Navigation.** An EKF (:mod:`msrsim.core.navigation`) estimates the relative state ``d =
X_OS - X_ERO`` (ICRF axes); the ERO knows its own state (ground tracking; its errors of
tens of metres cancel in the relative state). Prediction is nonlinear, by flying the
estimated OS with its nominal coefficients beside the ERO; the covariance is carried by
the Jacobian of that propagation (the exact derivative of one RK4 step over the 60 s
interval, :func:`msrsim.core.orbit_propagation.rk4_advance_tangent`, where the estimate
itself takes three steps of 20 s: the two maps' Jacobians differ by ~(n h)^4 / 5! ~ 1e-7
of an entry), so it holds the eccentricity, J2 and drag the linear models approximate.
The OS's drag and radiation-pressure coefficient errors (the truth's dispersion) are two
consider parameters (Schmidt-Kalman: in the covariance through their sensitivities,
carried by the same tangent; never estimated). Added
noise: the second-order EKF term of the point-mass gravity
(:func:`msrsim.core.navigation.second_order_noise`: a km-level along-track spread on a
curved orbit) and a white acceleration floor (Van Loan). Burns are subtracted as
commanded and their execution errors added to the velocity covariance. Measurements:
line-of-sight angles in the ERO's local frame (1-sigma ``angle_sigma_rad``, iterated EKF
update: precise angles with an uncertain range need the relinearisation) and, closer than
``range_sensor_max_m``, range.
The filter is initialised at first detection by intersecting the measured line of sight
with the sphere of the OS's orbital radius as the ERO knows it (its prior, propagated
from release): a position along the line of sight to within the radial spread of the
prior, the velocity of the known orbit turned to that position.

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
``final_pulse_interval_s``, to cross the capture plane at the OS. Each trial's schedule
(half and quarter revolutions, holds) is counted in the mean motion of its own known OS
orbit. Every two-impulse solution (transfer, hops, station keeping, final pulses) is
targeted with the Yamanaka-Ankersen transition matrix on the osculating orbit of the
*estimated* OS (the ascent's dispersion gives OS eccentricities to ~0.02, where a circular
model misses a 250 m hop by ~2e of its length, tens of metres) plus the J2 part of
Schweighart-Sedwick (its matrix less HCW at the same n), both of
:mod:`msrsim.core.relative_motion`; neglected: the coupling of eccentricity and J2, and
J2's short-period terms, which enter only through the osculating elements. Burns are
executed with proportional, fixed and pointing errors.

**Capture** (:mod:`msrsim.segments.capture`): the envelope is tested on the true state; a
failed attempt backs off to the last hold point (half-orbit transfer), waits
``retry_wait_s`` and comes again, up to the envelope's attempts, while the deadline allows.

**Numerical failures** are per-trial outcomes, never exceptions that stop the batch: a
covariance that is not positive definite (at the NEES, in a gain), a non-finite estimate
or a non-finite burn ends that trial with ``STATUS_NAVIGATION_LOST``, counted in the
result's ``status``.

**Random numbers** come from a :class:`msrsim.core.streams.TrialGenerator` (one row per
trial, each call its own stream): trial ``i`` draws the same numbers whether it flies
alone or among thousands, at any offset in any chunk (tested). Nothing else a trial does
depends on the other trials of its batch (its schedule, models and epochs are its own),
so its whole flight is the same in any batch.

**Speed.** The Python loop steps the batch by the measurement interval; each step runs
the burns due then (:func:`_steer`, compiled, over the few trials concerned; the capture
checks in numpy) and one compiled kernel (:func:`_step`: sensing, filter update,
bookkeeping, the flight of the truth, ERO and estimate with its Jacobian, the covariance
prediction) over the trials still flying; a finished trial costs nothing more. The
coast from release to the search start flies the truth and the prior at 20 s steps,
a day at a time (~1.3 ms per trial per day of coast on this machine).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numba import njit

from msrsim.core.bodies import MARS
from msrsim.core.kernel_args import kernel_input
from msrsim.core.navigation import (
    gain_row,
    joseph_row,
    los_angles_row,
    nees_row,
    predict_row,
    second_order_row,
    wrap_angle,
)
from msrsim.core.orbit_propagation import (
    DensityTable,
    force_model,
    propagate,
    rk4_advance,
    rk4_advance_tangent,
    tangent_work,
)
from msrsim.core.relative_motion import (
    hcw_stm,
    inertial_to_local,
    inertial_to_local_row,
    linear_stm,
    local_jacobian_inverse_row,
    local_to_inertial,
    osculating_elements,
    osculating_elements_row,
    point_mass_hessian_row,
    rtn_rotation,
    rtn_row,
    schweighart_sedwick_matrix,
    two_impulse,
    two_impulse_row,
    van_loan_noise,
    yamanaka_ankersen_row,
    yamanaka_ankersen_stm,
)
from msrsim.core.streams import TrialGenerator
from msrsim.segments.capture import FAIL_NONE, CaptureEnvelope, check_capture
from msrsim.segments.orbiting_sample import OrbitState, SphereBody

__all__ = [
    "STATUS_MESSAGES",
    "RendezvousPlan",
    "RendezvousResult",
    "fly_rendezvous",
    "passive_safety",
    "simulate_rendezvous",
]

STATUS_CAPTURED = 0
STATUS_NOT_DETECTED = 1
STATUS_ATTEMPTS_EXHAUSTED = 2
STATUS_DEADLINE = 3
STATUS_COLLISION = 4
STATUS_NAVIGATION_LOST = 5
STATUS_NOT_FLOWN = 6
STATUS_MESSAGES = {
    STATUS_CAPTURED: "captured",
    STATUS_NOT_DETECTED: "the OS was not detected within the search time",
    STATUS_ATTEMPTS_EXHAUSTED: "every capture attempt failed",
    STATUS_DEADLINE: "the deadline came before capture",
    STATUS_COLLISION: "came within the keep-out radius outside the final approach",
    STATUS_NAVIGATION_LOST: "the navigation filter diverged or failed numerically (a "
    "covariance not positive definite, a non-finite estimate or burn)",
    STATUS_NOT_FLOWN: "not flown: the trial had ended before this leg",
}

_TARGET, _FINAL, _CAPTURE = 0, 2, 3
_PHASE_FAR, _PHASE_HOPS, _PHASE_FINAL, _PHASE_RETRY = 0, 1, 2, 3
PHASE_NAMES = ("far_range_transfer", "hops", "final_approach", "retries")
NAV_PHASE_NAMES = ("tracking_before_transfer", *PHASE_NAMES)
_TOF_HALF, _TOF_REST, _TOF_QUARTER, _TOF_PULSE = 0, 1, 2, 3
"""Times of flight of a schedule entry: half a revolution, its second half after a
mid-course correction, a quarter (station keeping), one final-approach pulse."""
_PROPAGATION_STEP_S = 20.0
_JACOBIAN_STEP_S = 60.0
"""RK4 step whose tangent-linear carries the covariance (one step per 60 s interval)."""
_NOISE_BLOCK = 512
_BURN_BLOCK = 16
"""Burns' execution errors are drawn 16 burns at a time for every trial, as the first
trial to need the next block reaches it (so the draws never depend on the batch)."""
_MIN_SENSOR_RANGE_M = 1.0
"""Closer than this the OS fills the capture cone and no line of sight is taken."""
_CONSIDER = 2
"""Consider parameters of the filter: the fractional errors of the OS's drag and radiation-
pressure coefficients (never estimated; carried in the covariance)."""
_DIM = 6 + _CONSIDER
_SECOND_ORDER_COHERENCE_S = 300.0
"""Coherence time of the second-order term (:func:`second_order_noise`): the quadratic
error of a km-level along-track spread lasts as long as that spread (hours in the angles-
only phase), not one 60 s step. Measured on the 200-trial baseline (docs/models.md): the
step's own term (60 s) leaves the far angles-only phase ~6 % overconfident (NEES 6.4,
25 % of its steps above the region), 300 s brings it to 5.9 (97 % inside), 600 s is
conservative (5.6-5.7)."""
_DAY_S = 86400.0
_HISTORY_BLOCK = 512


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
    """One row per trial (SI, epochs ``et``, each trial's own); ``history_*`` are per
    step of the trials' own time since their search started (``history_t_s``)."""

    status: np.ndarray
    trial_release_et: np.ndarray
    """(n,) each trial's release epoch."""
    trial_search_start_et: np.ndarray
    """(n,) each trial's search start (its time origin)."""
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
    history_t_s: np.ndarray
    """(steps,) time since each trial's own search start of the history rows."""
    history_nees_mean: np.ndarray
    history_nees_count: np.ndarray
    history_nees: np.ndarray
    """(steps, n) each tracked trial's NEES (6 states; NaN where not tracking); (0, n)
    when the batch was flown without per-trial histories."""
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
    mean_motion_rad_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """(n,) the mean motion of each trial's known OS orbit (its schedule's clock)."""
    milestones_after_transfer_s: dict = field(default_factory=dict)
    """Nominal times of the approach after the far-range transfer starts, s, (n,) each."""

    @property
    def captured(self) -> np.ndarray:
        return self.status == STATUS_CAPTURED

    @property
    def total_delta_v_m_s(self) -> np.ndarray:
        return self.delta_v_m_s.sum(axis=1)

    @property
    def time_to_capture_s(self) -> np.ndarray:
        """From each trial's release to its capture (NaN where not captured)."""
        return self.capture_et - self.trial_release_et

    @property
    def release_et(self) -> float:
        """The release epoch common to every trial (ValueError where they differ: read
        ``trial_release_et``)."""
        return _common(self.trial_release_et, "trial_release_et")

    @property
    def search_start_et(self) -> float:
        """The search start common to every trial (ValueError where they differ: read
        ``trial_search_start_et``)."""
        return _common(self.trial_search_start_et, "trial_search_start_et")

    @property
    def history_et(self) -> np.ndarray:
        """Epochs of the history rows where every trial started its search together."""
        return self.search_start_et + self.history_t_s


def _common(values: np.ndarray, name: str) -> float:
    if values.size == 0 or np.any(values != values[0]):
        raise ValueError(f"the trials' epochs differ (or there are none): read {name}")
    return float(values[0])


def _trial_generator(seed, start: int, n: int) -> TrialGenerator:
    """The leg's :class:`TrialGenerator` for a ``SeedSequence`` (its own 64-bit state names
    the seed, so sequences that differ in entropy or spawn key never share draws) or an
    integer seed."""
    if isinstance(seed, np.random.SeedSequence):
        seed = int(seed.generate_state(1, np.uint64)[0])
    return TrialGenerator(int(seed), "rendezvous", start, n)


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


@njit(cache=True)
def _steer(rows, goal_y, tof_kind, phase, noise, tof_s, j2_part, a_known, burn_sigmas, mu,
           ero, xh, p, status, delta_v, nav_phase):  # fmt: skip
    """Two-impulse burns of the trials ``rows`` to the V-bar points ``goal_y`` over their
    times of flight, targeted on the estimated OS: Yamanaka-Ankersen on its osculating
    orbit plus the J2 part of Schweighart-Sedwick (SS less HCW at the model's n). Each is
    executed with its errors (``noise`` (m, 6) standard normals: magnitude, two pointing
    rotations, fixed error per axis), commanded in the estimate, and its execution
    covariance ``sf^2 dv dv^T + sp^2 (|dv|^2 I - dv dv^T) + sa^2 I`` added to the
    velocity's. A non-finite burn (a numerical failure of the targeting) ends its trial."""
    frac, point, fixed = burn_sigmas
    est = np.empty(6)
    loc = np.empty(6)
    c = np.empty((3, 3))
    stm = np.empty((6, 6))
    goal = np.zeros(3)
    zero = np.zeros(3)
    dep = np.empty(3)
    arr = np.empty(3)
    dv = np.empty(3)
    for q in range(rows.size):
        i = rows[q]
        for a in range(6):
            est[a] = ero[i, a] + xh[i, a]
        inertial_to_local_row(est, ero[i], c, loc)  # c: the estimate's RTN rotation
        a_os, e_os, nu_os = osculating_elements_row(est, mu)
        if not (math.isfinite(a_os) and a_os > 0.0 and math.isfinite(e_os) and e_os < 0.5):
            a_os, e_os, nu_os = a_known[i], 0.0, 0.0  # a diverged estimate: circular model
        yamanaka_ankersen_row(a_os, e_os, nu_os, tof_s[i, tof_kind[q]], mu, stm)
        for a in range(6):
            for b in range(6):
                stm[a, b] += j2_part[i, tof_kind[q], a, b]
        goal[1] = goal_y[q]
        two_impulse_row(loc[:3], loc[3:], goal, zero, stm, dep, arr)
        finite = True
        for a in range(3):  # local -> inertial (C^T)
            dv[a] = c[0, a] * dep[0] + c[1, a] * dep[1] + c[2, a] * dep[2]
            finite = finite and math.isfinite(dv[a])
        if not finite:
            status[i] = STATUS_NAVIGATION_LOST
            continue
        mag2 = dv[0] * dv[0] + dv[1] * dv[1] + dv[2] * dv[2]
        mag = math.sqrt(mag2)
        # pointing error: two small rotations about axes normal to the burn
        u = dv / mag if mag > 0.0 else np.zeros(3)
        ref = np.array([1.0, 0.0, 0.0]) if abs(u[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        e1 = np.cross(u, ref)
        norm = math.sqrt(e1[0] ** 2 + e1[1] ** 2 + e1[2] ** 2)
        e1 = e1 / norm if norm > 0.0 else np.zeros(3)  # no burn: no pointing
        e2 = np.cross(u, e1)
        pointing = point * mag
        for a in range(3):
            ero[i, 3 + a] += (
                dv[a] * (1.0 + frac * noise[q, 0])
                + pointing * (noise[q, 1] * e1[a] + noise[q, 2] * e2[a])
                + fixed * noise[q, 3 + a]
            )
            xh[i, 3 + a] -= dv[a]
            for b in range(3):
                outer = dv[a] * dv[b]
                eye = 1.0 if a == b else 0.0
                p[i, 3 + a, 3 + b] += (
                    frac * frac * outer + point * point * (mag2 * eye - outer) + fixed * fixed * eye
                )
        delta_v[i, phase[q]] += mag
        nav_phase[i] = 1 + phase[q]


def simulate_rendezvous(
    release: OrbitState,
    search_start_et: float,
    deadline_et: float,
    plan: RendezvousPlan,
    envelope: CaptureEnvelope,
    os_body: SphereBody,
    ero_body: SphereBody,
    n: int,
    seed: np.random.SeedSequence | int,
    *,
    trial_offset: int = 0,
    density: DensityTable | None = None,
    tumble_sigma_rad_s: float = 0.0,
    record: int = 12,
    progress=None,
    knowledge_covariance: np.ndarray | None = None,
) -> RendezvousResult:
    """Fly ``n`` trials of one release (see the module docstring): trials ``trial_offset
    .. trial_offset + n - 1`` of the leg's random streams.

    ``release.covariance`` is the dispersion of the OS's true orbit (the ascent's): each
    trial's true state is drawn from it (the first draw of its own stream), then
    :func:`fly_rendezvous` flies them all from ``release.et``, every search starting at
    ``search_start_et``. ``knowledge_covariance`` (6, 6, ICRF, at release) is the error of
    what the ERO knows of the OS once it is released (the MAV's telemetry, tracking);
    ``None`` takes the dispersion for the knowledge too. ``seed``: the leg's
    ``SeedSequence`` (or an integer seed)."""
    if search_start_et < release.et:
        raise ValueError("the search cannot start before the OS is released")
    if deadline_et <= search_start_et:
        raise ValueError("the capture deadline must come after the search starts")
    rng = _trial_generator(seed, trial_offset, n)
    dispersion, flight = rng.spawn(2)
    chol = np.linalg.cholesky(release.covariance + 1e-12 * np.eye(6))
    os_true = release.state + dispersion.standard_normal((n, 6)) @ chol.T
    knowledge = release.covariance if knowledge_covariance is None else knowledge_covariance
    return fly_rendezvous(
        os_true,
        np.full(n, release.et),
        np.full(n, float(search_start_et)),
        deadline_et,
        knowledge,
        plan,
        envelope,
        os_body,
        ero_body,
        flight,
        density=density,
        tumble_sigma_rad_s=tumble_sigma_rad_s,
        record=record,
        progress=progress,
    )


def _trial_draws(rng, n: int, attempts: int):
    """The draws of a batch, in a fixed order and width, so that no trial's numbers depend
    on the batch: initial standard normals (n, 11) (the drag and radiation-pressure
    coefficient fractions, the tumble's three axes, the knowledge error's six), the
    capture mechanism's uniforms (n, attempts), the generator of the burns' execution
    errors (each call the next 16 burns of every trial, (n, 16, 6)) and that of the
    measurement noise (each call the next 512 steps, (n, 512, 3))."""
    draw, sense = rng.spawn(2)
    init = draw.standard_normal((n, 2 + 3 + 6))
    burns = draw.spawn(1)[0]
    mech = draw.random((n, max(1, attempts)))
    return init, mech, burns, sense


class _Constants(NamedTuple):
    """The scalars of the step kernel (SI)."""

    dt: float
    search_max_s: float
    detection_range_m: float
    cos_max_phase: float
    cos_sun_exclusion: float
    angle_sigma: float
    range_sensor_max_m: float
    range_sigma_m: float
    range_sigma_fraction: float
    keep_out_m: float
    first_hold_m: float
    mars_radius_m: float
    min_sensor_range_m: float
    os_bc: float
    os_srp: float
    ero_bc: float
    ero_srp: float
    step_s: float
    jacobian_step_s: float
    second_order_factor: float
    consider_sigma: float
    mu: float
    j2: float
    j2_radius_m: float
    rotation_rate: float
    shadow_radius_m: float
    mean_radius_m: float


@njit(cache=True)
def _due(k, active, base, table):
    """Trials whose schedule ``table`` (n, L, 5: step offset, kind, index, time-of-flight
    kind, phase; offset -1 for none) has an entry ``k - base`` steps after their
    ``base`` step: (rows, entries)."""
    n, width = table.shape[0], table.shape[1]
    rows = np.empty(n, np.int64)
    entries = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        if not active[i] or base[i] < 0:
            continue
        rel = k - base[i]
        for e in range(width):
            if table[i, e, 0] == rel:
                rows[m] = i
                entries[m] = e
                m += 1
                break
    return rows[:m], entries[:m]


@njit(cache=True)
def _model(c, th, tl, pole, sun, psrp, bc, cra):
    """The force-model tuple of :func:`msrsim.core.orbit_propagation.rk4_advance`."""
    return (c.mu, c.j2, c.j2_radius_m, pole[0], pole[1], pole[2], c.rotation_rate,
            c.shadow_radius_m, c.mean_radius_m, th, tl, sun[0], sun[1], sun[2], psrp, bc,
            cra)  # fmt: skip


@njit(cache=True)
def _step(
    k, active, c, th, tl, os_true, ero, xh, prior, p, os_bc, os_srp, pole, sun, psrp,
    q_step, radial_sigma, v_sigma, min_track, final_start, last_step, noise, status,
    detected, detection_step, detection_range, trigger_step, final_step, in_final,
    nav_phase, min_dist, eps_row, phase_row, sigma_row, local_rows, estimate_rows,
):  # fmt: skip
    """One measurement interval of every trial still flying (``active`` at the step's
    start), after the step's burns: sensing, filter initialisation or update, NEES and
    bookkeeping, then the flight to the next step (truth, ERO, estimate at 20 s RK4 steps;
    the estimate's Jacobian; the prior until detection) and the covariance prediction.
    Returns the sum and count of this step's NEES."""
    dim = p.shape[1]
    consider = dim - 6
    cm = np.empty((3, 3))
    c2 = np.empty((3, 3))
    u_in = np.empty(3)
    xa = np.empty(dim)
    xi = np.empty(dim)
    h_ang = np.zeros((2, dim))
    h_rng = np.zeros((1, dim))
    jac = np.empty((2, 3))
    gain2 = np.empty((dim, 2))
    gain1 = np.empty((dim, 1))
    s_inv2 = np.empty((2, 2))
    s_inv1 = np.empty((1, 1))
    r_ang = np.zeros((2, 2))
    r_ang[0, 0] = c.angle_sigma * c.angle_sigma
    r_ang[1, 1] = r_ang[0, 0]
    r_rng = np.empty((1, 1))
    p_new = np.empty((dim, dim))
    phi = np.zeros((dim, dim))
    q = np.zeros((dim, dim))
    q6 = np.empty((6, 6))
    so = np.empty((6, 6))
    tinv = np.empty((6, 6))
    tq = np.empty((6, 6))
    hess = np.empty((3, 3, 3))
    est = np.empty(6)
    loc = np.empty(6)
    fly = np.empty((2, 6))
    tangent = np.empty((6, dim))
    work = tangent_work()
    w_gain = np.empty(2)
    w_joseph = np.empty(3 * 2 * dim)
    w_nees = np.empty(42)
    w_so = np.empty(36)
    w_predict = np.empty(dim * dim)
    err = np.empty(6)
    total = 0.0
    count = 0
    t = k * c.dt
    for i in range(os_true.shape[0]):
        if not active[i]:
            continue
        # ---- sensing ----------------------------------------------------------------------
        dx = os_true[i, 0] - ero[i, 0]
        dy = os_true[i, 1] - ero[i, 1]
        dz = os_true[i, 2] - ero[i, 2]
        rng_true = math.sqrt(dx * dx + dy * dy + dz * dz)
        ux, uy, uz = dx / rng_true, dy / rng_true, dz / rng_true
        rx, ry, rz = os_true[i, 0], os_true[i, 1], os_true[i, 2]
        sx, sy, sz = sun[i, 0], sun[i, 1], sun[i, 2]
        rs = rx * sx + ry * sy + rz * sz
        px, py, pz = rx - rs * sx, ry - rs * sy, rz - rs * sz
        lit = not (rs < 0.0 and px * px + py * py + pz * pz < c.mars_radius_m**2)
        us = ux * sx + uy * sy + uz * sz
        phase_ok = -us >= c.cos_max_phase  # Sun-OS-ERO angle within the limit
        sun_ok = us <= c.cos_sun_exclusion  # the Sun far enough from the line of sight
        b = rx * ux + ry * uy + rz * uz
        cc = rx * rx + ry * ry + rz * rz - c.mars_radius_m**2
        mars_behind = b < 0.0 and b * b >= cc
        close = rng_true <= c.range_sensor_max_m
        seen = rng_true >= c.min_sensor_range_m and (
            close
            or (lit and phase_ok and sun_ok and not mars_behind and rng_true <= c.detection_range_m)
        )
        rtn_row(ero[i], cm)
        lx = cm[0, 0] * dx + cm[0, 1] * dy + cm[0, 2] * dz
        ly = cm[1, 0] * dx + cm[1, 1] * dy + cm[1, 2] * dz
        lz = cm[2, 0] * dx + cm[2, 1] * dy + cm[2, 2] * dz
        az, el = los_angles_row(lx, ly, lz, jac)
        az += c.angle_sigma * noise[i, 0]
        el += c.angle_sigma * noise[i, 1]
        r_sig = max(c.range_sigma_m, c.range_sigma_fraction * rng_true)
        z_rng = rng_true + r_sig * noise[i, 2]
        if seen and (close or not detected[i]):  # the measured line of sight in ICRF
            ulx, uly, ulz = math.sin(az) * math.cos(el), math.cos(az) * math.cos(el), math.sin(el)
            for a in range(3):  # u_in = C^T u_loc
                u_in[a] = cm[0, a] * ulx + cm[1, a] * uly + cm[2, a] * ulz

        # ---- first detection: the line of sight meets the sphere of the known radius ---------
        if seen and not detected[i] and t <= c.search_max_s:
            shell2 = prior[i, 0] ** 2 + prior[i, 1] ** 2 + prior[i, 2] ** 2
            bb = ero[i, 0] * u_in[0] + ero[i, 1] * u_in[1] + ero[i, 2] * u_in[2]
            cq = ero[i, 0] ** 2 + ero[i, 1] ** 2 + ero[i, 2] ** 2 - shell2
            dist = -bb + math.sqrt(max(bb * bb - cq, 0.0))
            pos = np.empty(3)
            for a in range(3):
                pos[a] = ero[i, a] + dist * u_in[a]
            hp = np.empty(3)
            hp[0] = prior[i, 1] * prior[i, 5] - prior[i, 2] * prior[i, 4]
            hp[1] = prior[i, 2] * prior[i, 3] - prior[i, 0] * prior[i, 5]
            hp[2] = prior[i, 0] * prior[i, 4] - prior[i, 1] * prior[i, 3]
            hn = math.sqrt(hp[0] ** 2 + hp[1] ** 2 + hp[2] ** 2)
            rpn = math.sqrt(shell2)
            pn = math.sqrt(pos[0] ** 2 + pos[1] ** 2 + pos[2] ** 2)
            for a in range(3):
                hp[a] /= hn
            # velocity: the known orbit's, turned about its normal from the known position
            # to the line-of-sight one (keeps an eccentric orbit's radial velocity)
            rp = prior[i, :3] / rpn
            ru = pos / pn
            cr0 = rp[1] * ru[2] - rp[2] * ru[1]
            cr1 = rp[2] * ru[0] - rp[0] * ru[2]
            cr2 = rp[0] * ru[1] - rp[1] * ru[0]
            theta = math.atan2(
                hp[0] * cr0 + hp[1] * cr1 + hp[2] * cr2,
                rp[0] * ru[0] + rp[1] * ru[1] + rp[2] * ru[2],
            )
            ct, st = math.cos(theta), math.sin(theta)
            vp = prior[i, 3:]
            hv = hp[0] * vp[0] + hp[1] * vp[1] + hp[2] * vp[2]
            hxv0 = hp[1] * vp[2] - hp[2] * vp[1]
            hxv1 = hp[2] * vp[0] - hp[0] * vp[2]
            hxv2 = hp[0] * vp[1] - hp[1] * vp[0]
            xh[i, 3] = vp[0] * ct + hxv0 * st + hp[0] * hv * (1.0 - ct) - ero[i, 3]
            xh[i, 4] = vp[1] * ct + hxv1 * st + hp[1] * hv * (1.0 - ct) - ero[i, 4]
            xh[i, 5] = vp[2] * ct + hxv2 * st + hp[2] * hv * (1.0 - ct) - ero[i, 5]
            for a in range(3):
                xh[i, a] = pos[a] - ero[i, a]
            cos_g = abs(ru[0] * u_in[0] + ru[1] * u_in[1] + ru[2] * u_in[2])
            s_los = radial_sigma[i] / max(cos_g, 0.05)
            across = (dist * c.angle_sigma) ** 2
            p[i, :, :] = 0.0
            for a in range(3):
                for bq in range(3):
                    outer = u_in[a] * u_in[bq]
                    eye = 1.0 if a == bq else 0.0
                    p[i, a, bq] = s_los * s_los * outer + across * (eye - outer)
                p[i, 3 + a, 3 + a] = v_sigma[i] ** 2
            for a in range(6, dim):
                p[i, a, a] = c.consider_sigma**2
            detected[i] = True
            detection_step[i] = k
            detection_range[i] = rng_true
            seen = False  # this line of sight made the initial state: not used again
        upd = seen and detected[i]
        # re-acquisition: where the position is too uncertain for a linearised angle update
        # (after the blind spell of a failed capture), the close-range sensor's angles and
        # range fix the position directly (velocity and its covariance kept)
        if upd and close:
            tr = math.sqrt(p[i, 0, 0] + p[i, 1, 1] + p[i, 2, 2])
            if tr > 0.2 * math.sqrt(xh[i, 0] ** 2 + xh[i, 1] ** 2 + xh[i, 2] ** 2):
                across = (z_rng * c.angle_sigma) ** 2
                for a in range(3):
                    xh[i, a] = z_rng * u_in[a]
                    for bq in range(3):
                        outer = u_in[a] * u_in[bq]
                        eye = 1.0 if a == bq else 0.0
                        p[i, a, bq] = r_sig * r_sig * outer + across * (eye - outer)
                    for bq in range(3, dim):  # uncorrelated with everything else
                        p[i, a, bq] = 0.0
                        p[i, bq, a] = 0.0
                upd = False
        if upd:
            # iterated EKF on the angles (the consider parameters ride along at zero)
            for a in range(dim):
                xa[a] = xh[i, a] if a < 6 else 0.0
                xi[a] = xa[a]
            for _ in range(3):
                lx = cm[0, 0] * xi[0] + cm[0, 1] * xi[1] + cm[0, 2] * xi[2]
                ly = cm[1, 0] * xi[0] + cm[1, 1] * xi[1] + cm[1, 2] * xi[2]
                lz = cm[2, 0] * xi[0] + cm[2, 1] * xi[1] + cm[2, 2] * xi[2]
                p_az, p_el = los_angles_row(lx, ly, lz, jac)
                for a in range(2):
                    for bq in range(3):
                        h_ang[a, bq] = (
                            jac[a, 0] * cm[0, bq] + jac[a, 1] * cm[1, bq] + jac[a, 2] * cm[2, bq]
                        )
                nu0 = wrap_angle(az - p_az)
                nu1 = wrap_angle(el - p_el)
                for bq in range(3):
                    nu0 -= h_ang[0, bq] * (xa[bq] - xi[bq])
                    nu1 -= h_ang[1, bq] * (xa[bq] - xi[bq])
                gain_row(p[i], h_ang, r_ang, consider, gain2, s_inv2, 3, w_gain)
                for a in range(dim):
                    xi[a] = xa[a] + gain2[a, 0] * nu0 + gain2[a, 1] * nu1
            joseph_row(p[i], gain2, h_ang, r_ang, p_new, 3, w_joseph)
            p[i, :, :] = p_new
            for a in range(6):
                xh[i, a] = xi[a]
            if close:
                dn = math.sqrt(xh[i, 0] ** 2 + xh[i, 1] ** 2 + xh[i, 2] ** 2)
                for a in range(3):
                    h_rng[0, a] = xh[i, a] / dn
                r_rng[0, 0] = r_sig * r_sig
                gain_row(p[i], h_rng, r_rng, consider, gain1, s_inv1, 3, w_gain)
                for a in range(6):
                    xh[i, a] += gain1[a, 0] * (z_rng - dn)
                joseph_row(p[i], gain1, h_rng, r_rng, p_new, 3, w_joseph)
                p[i, :, :] = p_new

        # ---- bookkeeping, triggers ----------------------------------------------------------
        if detected[i]:
            for a in range(6):
                err[a] = (os_true[i, a] - ero[i, a]) - xh[i, a]
            eps = nees_row(err, p[i, :6, :6], w_nees)
            if math.isfinite(eps):
                total += eps
                count += 1
                eps_row[i] = eps
                phase_row[i] = nav_phase[i]
                sigma_row[i] = math.sqrt(p[i, 0, 0] + p[i, 1, 1] + p[i, 2, 2])
            elif status[i] < 0:  # a covariance that is not positive definite
                status[i] = STATUS_NAVIGATION_LOST
        if not in_final[i]:
            min_dist[i] = min(min_dist[i], rng_true)
            if detected[i] and rng_true < c.keep_out_m and trigger_step[i] >= 0:
                if status[i] != STATUS_NAVIGATION_LOST:
                    status[i] = STATUS_COLLISION
        for a in range(6):
            est[a] = ero[i, a] + xh[i, a]
        if i < local_rows.shape[0] and status[i] < 0:
            inertial_to_local_row(os_true[i], ero[i], c2, loc)
            local_rows[i, :] = loc
            inertial_to_local_row(est, ero[i], c2, loc)
            estimate_rows[i, :] = loc
        if detected[i] and trigger_step[i] < 0 and k - detection_step[i] >= min_track[i]:
            inertial_to_local_row(est, ero[i], c2, loc)
            if loc[1] >= c.first_hold_m - 0.75 * math.pi * abs(min(loc[0], 0.0)):
                trigger_step[i] = k + 1
                final_step[i] = k + 1 + final_start[i]
        if not detected[i] and t > c.search_max_s:
            status[i] = STATUS_NOT_DETECTED
        if status[i] < 0 and k >= last_step[i]:
            status[i] = STATUS_DEADLINE
        if status[i] >= 0:
            continue

        # ---- flight to the next step ----------------------------------------------------------
        # the truth, the ERO, the estimated OS, and until detection the prior; after it,
        # beside the estimate its Jacobian
        rk4_advance(os_true[i], c.dt, c.step_s,
                    _model(c, th, tl, pole[i], sun[i], psrp[i], os_bc[i], os_srp[i]))  # fmt: skip
        nominal = _model(c, th, tl, pole[i], sun[i], psrp[i], c.os_bc, c.os_srp)
        ero_model = _model(c, th, tl, pole[i], sun[i], psrp[i], c.ero_bc, c.ero_srp)
        if not detected[i]:
            rk4_advance(ero[i], c.dt, c.step_s, ero_model)
            rk4_advance(prior[i], c.dt, c.step_s, nominal)
            continue  # before detection the estimate is the ERO (xh = 0) and P unused
        for j in range(2):
            for a in range(6):
                fly[j, a] = est[a]
        rk4_advance(fly[0], c.dt, c.step_s, nominal)  # the estimate
        # the Jacobian, with the sensitivities to the drag and radiation-pressure
        # fractions (the consider parameters): the tangent-linear of a 60 s RK4 step
        for a in range(6):
            for j in range(dim):
                tangent[a, j] = 1.0 if a == j else 0.0
        rk4_advance_tangent(fly[1], c.dt, c.jacobian_step_s, nominal, tangent, work)
        rk4_advance(ero[i], c.dt, c.step_s, ero_model)
        for a in range(6):
            for j in range(dim):
                phi[a, j] = tangent[a, j]
        for a in range(6, dim):
            phi[a, a] = 1.0
        # process noise: the white floor (its model frame's matrix taken to ICRF by the
        # inverse of the local Jacobian at the new estimate) and the second-order term
        local_jacobian_inverse_row(fly[0], c2, tinv)  # [[C^T, 0], [L, C^T]]
        for a in range(6):
            for bq in range(6):
                v = 0.0
                for j in range(3 if a < 3 else 6):
                    v += tinv[a, j] * q_step[i, j, bq]
                tq[a, bq] = v
        for a in range(6):
            for bq in range(6):
                v = 0.0
                for j in range(3 if bq < 3 else 6):
                    v += tq[a, j] * tinv[bq, j]
                q6[a, bq] = v
        point_mass_hessian_row(est, c.mu, hess)  # at the estimate before the flight
        second_order_row(hess, p[i, :3, :3], c.dt, c.second_order_factor, so, w_so)
        for a in range(6):
            for bq in range(6):
                q[a, bq] = q6[a, bq] + so[a, bq]
        predict_row(p[i], phi, q, p_new, w_predict)
        p[i, :, :] = p_new
        finite = True
        for a in range(6):
            xh[i, a] = fly[0, a] - ero[i, a]
            finite = finite and math.isfinite(xh[i, a])
        for a in range(dim):
            for bq in range(dim):
                finite = finite and math.isfinite(p[i, a, bq])
        if not finite:  # a diverged filter ends its trial, never the batch
            status[i] = STATUS_NAVIGATION_LOST
    return total, count


def _per_trial(value, n: int, name: str) -> np.ndarray:
    """A scalar or (n,) input as (n,) float64, or a ValueError naming it."""
    out = np.asarray(value, np.float64)
    if out.ndim == 0:
        return np.full(n, float(out))
    if out.shape != (n,):
        raise ValueError(f"{name} has shape {out.shape}: expected a scalar or ({n},)")
    return out.copy()


def _schedule_tables(half, hold, pulse, legs, n_holds, retry_wait_steps):
    """Per-trial schedules of the approach after the far-range trigger, after the start of
    the final approach and after a failed capture, as (n, L, 5) int tables (step offset,
    kind, hold index, time-of-flight kind, phase; offset -1 for none). Each transfer has a
    mid-course correction halfway only on the far-range transfer (a hop stays a pure
    two-impulse radial hop, passively safe: see :func:`passive_safety`), and each hold is
    kept by retargeting the hold point every quarter revolution (station keeping). Also
    the offsets of the final approach's start and of a retry's length (n,)."""
    n = half.size
    quarter = np.maximum(1, half // 2)
    keeps = np.maximum(1, hold // quarter)
    main: list[np.ndarray] = []

    def entry(offset, kind, index, tof, phase, valid=True):
        row = np.empty((n, 5), np.int64)
        row[:, 0] = np.where(valid, offset, -1)
        row[:, 1], row[:, 2], row[:, 3], row[:, 4] = kind, index, tof, phase
        return row

    s = np.zeros(n, np.int64)
    for j in range(n_holds):
        phase = _PHASE_FAR if j == 0 else _PHASE_HOPS
        main.append(entry(s, _TARGET, j, _TOF_HALF, phase))
        if j == 0:
            main.append(entry(s + half // 2, _TARGET, j, _TOF_REST, phase))
        for m in range(int(keeps.max())):
            main.append(entry(s + half + m * quarter, _TARGET, j, _TOF_QUARTER, phase, m < keeps))
        s = s + half + keeps * quarter
    final = [entry(k * pulse, _FINAL, k, _TOF_PULSE, _PHASE_FINAL) for k in range(legs)]
    final.append(entry(legs * pulse, _CAPTURE, 0, _TOF_PULSE, _PHASE_FINAL))
    last = n_holds - 1
    retry_keeps = np.maximum(1, retry_wait_steps // quarter)
    retry = [
        entry(0, _TARGET, last, _TOF_HALF, _PHASE_RETRY),
        entry(half // 2, _TARGET, last, _TOF_REST, _PHASE_RETRY),
    ]
    retry += [
        entry(half + m * quarter, _TARGET, last, _TOF_QUARTER, _PHASE_RETRY, m < retry_keeps)
        for m in range(int(retry_keeps.max()))
    ]
    tables = tuple(np.ascontiguousarray(np.stack(t, axis=1)) for t in (main, final, retry))
    return (*tables, s, half + retry_keeps * quarter, keeps)


def fly_rendezvous(
    os_state: np.ndarray,
    release_et,
    search_start_et,
    deadline_et,
    knowledge_covariance: np.ndarray,
    plan: RendezvousPlan,
    envelope: CaptureEnvelope,
    os_body: SphereBody,
    ero_body: SphereBody,
    rng,
    *,
    density: DensityTable | None = None,
    tumble_sigma_rad_s: float = 0.0,
    record: int = 12,
    progress=None,
    history: bool = True,
    fly: np.ndarray | None = None,
) -> RendezvousResult:
    """Fly each trial's rendezvous from its own release (see the module docstring).

    Parameters
    ----------
    os_state
        (n, 6) each trial's true OS state at its release, Mars-centred ICRF (m, m/s).
    release_et
        (n,) or scalar: each trial's release epoch.
    search_start_et
        (n,) or scalar, ``>= release_et``: when each trial's ERO is in its search orbit
        and starts looking (its phasing ended). The OS coasts from release to then.
    deadline_et
        (n,) or scalar: the capture deadline (the ERO must leave); a trial whose deadline
        is not after its search start ends at once with ``STATUS_DEADLINE``.
    knowledge_covariance
        (6, 6) or (n, 6, 6), ICRF at release: the error of what the ERO knows of the OS
        after release. Each trial's prior is its true state plus a draw of it; the ERO's
        search orbit is set from that prior at the trial's search start (its similar
        conic, ``plan.search_altitude_offset_m`` lower, ``plan.search_phase_lag_rad``
        behind) and the filter starts from it.
    plan, envelope, os_body, ero_body
        Search, sensing and guidance; the capture envelope; the OS (its nominal drag and
        radiation-pressure coefficients, dispersed per trial by
        ``plan.os_coefficient_sigma_fraction``) and the ERO.
    rng
        A :class:`msrsim.core.streams.TrialGenerator` over these ``n`` trials (or any
        generator with ``spawn``, ``standard_normal`` and ``random`` drawing one row per
        trial): trial ``i``'s draws, hence its whole flight, do not depend on the batch.
    density
        Upper-atmosphere table (the default Mars table when ``None``).
    tumble_sigma_rad_s
        1-sigma per axis of the OS's tumble rate (Maxwell-distributed magnitude).
    record
        Trials (the first ``record``) whose local tracks are kept (``history_local``).
    progress
        ``progress(step, steps)`` every 200 steps.
    history
        Keep the (steps, n) per-trial histories (NEES, phase, position sigma) that
        :func:`msrsim.campaign.rendezvous.nees_summary` and the plots read; ``False``
        keeps only their per-step means (memory ~9 bytes a trial-step less).
    fly
        (n,) bool, trials to fly (``None``: all); the others come back
        ``STATUS_NOT_FLOWN`` (their inputs may be NaN) and still take their draws, so
        the flown ones are unchanged.

    Each trial's steps are counted from its own search start: it ends when captured,
    failed, lost, or at ``min(deadline, search start + plan.search_max_s + 40 of its
    revolutions)``.
    """
    os_true = np.array(os_state, np.float64)
    if os_true.ndim != 2 or os_true.shape[1] != 6:
        raise ValueError(f"os_state has shape {os_true.shape}: expected (n, 6)")
    n = os_true.shape[0]
    release = _per_trial(release_et, n, "release_et")
    start = _per_trial(search_start_et, n, "search_start_et")
    deadline = _per_trial(deadline_et, n, "deadline_et")
    flown = np.ones(n, bool) if fly is None else np.asarray(fly, bool).copy()
    if flown.shape != (n,):
        raise ValueError(f"fly has shape {flown.shape}: expected ({n},)")
    if getattr(rng, "size", n) != n:
        raise ValueError(f"rng draws {rng.size} trials: expected one row per trial ({n})")
    knowledge = np.asarray(knowledge_covariance, np.float64)
    if knowledge.shape not in ((6, 6), (n, 6, 6)):
        raise ValueError(f"knowledge_covariance has shape {knowledge.shape}: (6, 6) or (n, 6, 6)")
    finite = np.isfinite(os_true).all(axis=1) & np.isfinite(release) & np.isfinite(start)
    if np.any(flown & ~(finite & ~np.isnan(deadline))):
        raise ValueError("os_state, release_et, search_start_et, deadline_et: flown trials "
                         "need finite values (mark the others with fly=False)")  # fmt: skip
    if np.any(flown & (start < release)):
        i = int(np.flatnonzero(flown & (start < release))[0])
        raise ValueError(
            f"search_start_et[{i}] = {start[i]:.1f} is before release_et[{i}] = "
            f"{release[i]:.1f}: a search cannot start before its OS is released"
        )
    try:
        chol = np.linalg.cholesky(knowledge + 1e-12 * np.eye(6))
    except np.linalg.LinAlgError:
        raise ValueError("knowledge_covariance must be positive semi-definite") from None
    chol = np.broadcast_to(chol, (n, 6, 6))
    if not flown.all():  # stand-ins keep the not-flown rows' arithmetic finite
        if not flown.any():
            return _not_flown(n, release, start, plan, envelope, record)
        first = int(np.flatnonzero(flown)[0])
        os_true[~flown] = os_true[first]
        release, start = (
            np.where(flown, release, release[first]),
            np.where(flown, start, start[first]),
        )
        deadline = np.where(flown, deadline, deadline[first])
    given_release, given_start = (
        np.asarray(release_et, np.float64),
        np.asarray(search_start_et, np.float64),
    )

    init, mech_draw, draw_burns, sense = _trial_draws(rng, n, envelope.max_attempts)
    burn_noise: list[np.ndarray] = []  # block j: burns 16 j .. 16 j + 15 of every trial

    # -- initial states: the OS and what the ERO knows of it, flown to the search start -------
    dt = plan.measurement_interval_s
    fraction = plan.os_coefficient_sigma_fraction
    bc_nom, sr_nom = os_body.ballistic_coefficient_m2_kg, os_body.srp_area_to_mass_m2_kg
    bc_os = bc_nom * np.maximum(0.1, 1.0 + fraction * init[:, 0])
    srp_os = sr_nom * np.maximum(0.1, 1.0 + fraction * init[:, 1])
    tumble = tumble_sigma_rad_s * np.linalg.norm(init[:, 2:5], axis=1)
    prior = os_true + np.einsum("nij,nj->ni", chol, init[:, 5:11])
    known_at_release = prior.copy()
    lead = start - release
    pair = np.vstack([os_true, prior])
    flown_s = np.zeros(n)
    while np.any(lead - flown_s > 0.0):  # a day at a time, each trial in its own geometry
        step = np.clip(lead - flown_s, 0.0, _DAY_S)
        model = force_model(np.tile(release + flown_s, 2), density=density)
        bc = np.concatenate([bc_os, np.full(n, bc_nom)])
        srp = np.concatenate([srp_os, np.full(n, sr_nom)])
        pair = propagate(pair, np.tile(step, 2), model, bc, srp, _PROPAGATION_STEP_S)
        flown_s += step
    os_true, prior = np.ascontiguousarray(pair[:n]), np.ascontiguousarray(pair[n:])
    ero = np.ascontiguousarray(
        search_orbit_state(prior, plan.search_altitude_offset_m, plan.search_phase_lag_rad)
    )

    # -- each trial's models and schedule, from its own known orbit ---------------------------
    geometry = force_model(start, density=density)
    mu = MARS.gm.value
    r_known = np.linalg.norm(prior[:, :3], axis=1)
    h_vec = np.cross(prior[:, :3], prior[:, 3:])
    incl = np.arccos(
        np.clip(np.einsum("ij,ij->i", h_vec, geometry.pole) / np.linalg.norm(h_vec, axis=1), -1, 1)
    )
    # the schedule runs at the mean motion of the known orbit's radius; the error model
    # (SS) at its semi-major axis (the ascent's dispersion spreads them by tens of km)
    n_ss = np.array(
        [
            schweighart_sedwick_matrix(float(a), float(i))[1]
            for a, i in zip(r_known, incl, strict=True)
        ]
    )
    a_known = 1.0 / (2.0 / r_known - np.einsum("ij,ij->i", prior[:, 3:], prior[:, 3:]) / mu)
    a_known = np.where(np.isfinite(a_known) & (a_known > 0), a_known, r_known)
    ss_models = [
        schweighart_sedwick_matrix(float(a), float(i)) for a, i in zip(a_known, incl, strict=True)
    ]
    models = np.stack([m[0] for m in ss_models])
    n_model = np.array([m[1] for m in ss_models])
    q_step = np.ascontiguousarray(van_loan_noise(models, plan.process_noise_m2_s3, dt))
    period = 2.0 * math.pi / n_ss
    half = np.maximum(2, np.rint(0.5 * period / dt)).astype(np.int64)
    hold = np.maximum(1, np.rint(plan.hold_orbits * period / dt)).astype(np.int64)
    min_track = np.rint(plan.min_tracking_orbits * period / dt).astype(np.int64)
    pulse = max(1, int(round(plan.final_pulse_interval_s / dt)))
    y_last = plan.hold_points_m[-1]
    legs = max(1, int(math.ceil(abs(y_last) / (plan.final_approach_speed_m_s * pulse * dt))))
    main, final, retry, final_start, retry_length, keeps = _schedule_tables(
        half, hold, pulse, legs, len(plan.hold_points_m), int(round(envelope.retry_wait_s / dt))
    )
    quarter = np.maximum(1, half // 2)
    tof_steps = np.stack([half, half - half // 2, quarter, np.full(n, pulse)], axis=1)
    tof_s = (tof_steps * dt).ravel()
    j2_part = (
        linear_stm(np.repeat(models, 4, axis=0), tof_s) - hcw_stm(np.repeat(n_model, 4), tof_s)
    ).reshape(n, 4, 6, 6)
    arrivals = {
        f"arrival at hold point H{j + 1} ({y:g} m)": dt * (j * (half + keeps * quarter) + half)
        for j, y in enumerate(plan.hold_points_m)
    }
    arrivals["final approach starts"] = dt * final_start
    # the filter's initialisation at detection: the prior's radial spread along the line of
    # sight (position and along-track velocity errors, and a km floor), its velocity spread
    c_known = rtn_rotation(known_at_release[:, :3], known_at_release[:, 3:])[0]
    cov = chol @ np.swapaxes(chol, 1, 2)
    known_r = np.einsum("nij,njk,nik->ni", c_known, cov[:, :3, :3], c_known)
    known_v = np.einsum("nij,njk,nik->ni", c_known, cov[:, 3:, 3:], c_known)
    radial_sigma = np.sqrt(
        (7.0 * np.sqrt(known_r[:, 0])) ** 2 + (4.0 * np.sqrt(known_v[:, 1]) / n_ss) ** 2 + 1e6
    )
    v_sigma = np.maximum(3.0 * np.sqrt(known_v.max(axis=1)), 2.0 * n_ss * radial_sigma)
    horizon = np.minimum(deadline - start, plan.search_max_s + 40.0 * period)
    last_step = np.where(horizon > 0, np.ceil(horizon / dt) - 1, -1).astype(np.int64)

    c = _Constants(
        dt=dt, search_max_s=plan.search_max_s, detection_range_m=plan.detection_range_m,
        cos_max_phase=math.cos(plan.max_phase_angle_rad),
        cos_sun_exclusion=math.cos(plan.sun_exclusion_rad), angle_sigma=plan.angle_sigma_rad,
        range_sensor_max_m=plan.range_sensor_max_m, range_sigma_m=plan.range_sigma_m,
        range_sigma_fraction=plan.range_sigma_fraction, keep_out_m=plan.keep_out_radius_m,
        first_hold_m=plan.hold_points_m[0], mars_radius_m=MARS.equatorial_radius.value,
        min_sensor_range_m=_MIN_SENSOR_RANGE_M, os_bc=bc_nom, os_srp=sr_nom,
        ero_bc=ero_body.ballistic_coefficient_m2_kg, ero_srp=ero_body.srp_area_to_mass_m2_kg,
        step_s=_PROPAGATION_STEP_S, jacobian_step_s=_JACOBIAN_STEP_S,
        second_order_factor=max(1.0, _SECOND_ORDER_COHERENCE_S / dt),
        consider_sigma=fraction, mu=geometry.mu, j2=geometry.j2,
        j2_radius_m=geometry.j2_radius_m, rotation_rate=geometry.rotation_rate_rad_s,
        shadow_radius_m=geometry.shadow_radius_m, mean_radius_m=geometry.mean_radius_m,
    )  # fmt: skip
    th = np.ascontiguousarray(geometry.table_altitude_m, np.float64)
    tl = np.ascontiguousarray(geometry.table_log_density, np.float64)
    if not geometry.drag:
        bc_os[:] = 0.0
    if not geometry.srp:
        srp_os[:] = 0.0

    # -- per-trial bookkeeping -------------------------------------------------------------
    status = np.full(n, -1, dtype=np.int8)
    status[~flown] = STATUS_NOT_FLOWN
    status[flown & (last_step < 0)] = STATUS_DEADLINE
    detected = np.zeros(n, bool)
    detection_step = np.full(n, -1, np.int64)
    detection_range = np.full(n, np.nan)
    trigger_step = np.full(n, -1, np.int64)
    final_step = np.full(n, -1, np.int64)
    retry_step = np.full(n, -1, np.int64)
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
    nav_phase = np.zeros(n, dtype=np.int8)  # 0 before the transfer, 1 + burn phase after
    xh = np.zeros((n, 6))
    p = np.tile(np.eye(_DIM), (n, 1, 1))
    k_rec = min(record, n)

    tof_s = tof_steps * dt
    burn_sigmas = (plan.burn_sigma_fraction, plan.burn_pointing_sigma_rad, plan.burn_sigma_m_s)

    def steer(rows, goal_y, tof_kind, phase):
        """The burns of ``rows`` (:func:`_steer`), with each trial's next execution errors."""
        while len(burn_noise) * _BURN_BLOCK <= burns[rows].max(initial=0):
            burn_noise.append(draw_burns.standard_normal((n, _BURN_BLOCK, 6)))
        b = burns[rows]
        noise = np.empty((rows.size, 6))
        for j in np.unique(b // _BURN_BLOCK):
            sel = b // _BURN_BLOCK == j
            noise[sel] = burn_noise[j][rows[sel], b[sel] % _BURN_BLOCK]
        burns[rows] += 1
        tof_kind, phase = kernel_input(tof_kind, np.int64), kernel_input(phase, np.int64)
        _steer(rows, goal_y, tof_kind, phase, noise, tof_s, j2_part, a_known, burn_sigmas,
               mu, ero, xh, p, status, delta_v, nav_phase)  # fmt: skip

    def capture(rows, k):
        true_loc = inertial_to_local(os_true[rows], ero[rows])
        att = attempts[rows]
        check = check_capture(
            true_loc, tumble[rows], mech_draw[rows, np.minimum(att, mech_draw.shape[1] - 1)],
            envelope,
        )  # fmt: skip
        attempts[rows] += 1
        last_failure[rows] = check.failure
        lateral_miss[rows] = check.lateral_miss_m
        closing[rows] = check.closing_speed_m_s
        nav_err[rows] = np.linalg.norm((os_true[rows] - ero[rows] - xh[rows])[:, :3], axis=1)
        nav_sig[rows] = np.sqrt(np.trace(p[rows][:, :3, :3], axis1=1, axis2=2))
        ok = check.failure == FAIL_NONE
        ttp = check.time_to_plane_s[ok]
        capture_et[rows[ok]] = start[rows[ok]] + k * dt + np.where(np.isfinite(ttp), ttp, 0.0)
        status[rows[ok]] = STATUS_CAPTURED
        failed = rows[~ok]
        final_step[rows] = -1
        again = failed[attempts[failed] < envelope.max_attempts]
        status[failed[attempts[failed] >= envelope.max_attempts]] = STATUS_ATTEMPTS_EXHAUSTED
        retry_step[again] = k
        final_step[again] = k + retry_length[again]

    holds = np.asarray(plan.hold_points_m)

    def due(k, active, base, table):
        rows, entries = _due(k, active, base, table)
        return rows, table[rows, entries]

    def events(k, active):
        """The burns and capture checks due at step ``k``: the approach's and the final
        approach's burns (never due for the same trial at once) in one batch, the capture
        checks, then the burns of the retries that a failed capture starts at once."""
        rows_m, e_m = due(k, active, trigger_step, main)
        rows_f, e_f = due(k, active, final_step, final)
        cap = e_f[:, 1] == _CAPTURE
        rows, e = np.concatenate([rows_m, rows_f[~cap]]), np.concatenate([e_m, e_f[~cap]])
        if rows.size:
            pulse_ = e[:, 1] == _FINAL
            in_final[rows[pulse_]] = True
            goal_y = np.where(
                pulse_,
                y_last * (1.0 - (e[:, 2] + 1) / legs),
                holds[np.minimum(e[:, 2], holds.size - 1)],
            )
            steer(rows, goal_y, e[:, 3], e[:, 4])
        if cap.any():
            capture(rows_f[cap], k)
        rows, e = due(k, active, retry_step, retry)
        if rows.size:
            in_final[rows[e[:, 0] >= half[rows]]] = False  # waiting at the last hold again
            steer(rows, holds[e[:, 2]], e[:, 3], e[:, 4])

    # -- the flight, step by step in each trial's own time ---------------------------------
    max_steps = int(last_step.max()) + 1 if flown.any() else 0
    hist_mean: list[float] = []
    hist_count: list[int] = []
    blocks: dict[str, list[np.ndarray]] = {"eps": [], "phase": [], "sigma": [], "local": [],
                                           "estimate": []}  # fmt: skip
    scratch = (np.empty(n, np.float32), np.empty(n, np.int8), np.empty(n, np.float32))
    steps = 0
    day_now = -1
    meas = np.empty((_NOISE_BLOCK, n, 3))  # step-major: each step's (n, 3) is contiguous
    for k in range(max_steps):
        active = status < 0
        if not active.any():
            break
        steps = k + 1
        day = int(k * dt // _DAY_S)
        if day != day_now:  # the Sun and the pole at each trial's own epoch, daily
            geometry = force_model(start + k * dt, density=density)
            pole = np.ascontiguousarray(geometry.pole)
            sun = np.ascontiguousarray(geometry.sun_direction)
            pressure = np.ascontiguousarray(geometry.srp_pressure_n_m2)
            day_now = day
        row = k % _HISTORY_BLOCK
        if k % _NOISE_BLOCK == 0:
            meas = np.ascontiguousarray(sense.standard_normal((n, _NOISE_BLOCK, 3)).swapaxes(0, 1))
        if row == 0:
            if history:
                blocks["eps"].append(np.full((_HISTORY_BLOCK, n), np.nan, np.float32))
                blocks["phase"].append(np.full((_HISTORY_BLOCK, n), -1, np.int8))
                blocks["sigma"].append(np.full((_HISTORY_BLOCK, n), np.nan, np.float32))
            blocks["local"].append(np.full((_HISTORY_BLOCK, k_rec, 6), np.nan, np.float32))
            blocks["estimate"].append(np.full((_HISTORY_BLOCK, k_rec, 6), np.nan, np.float32))
        rows_out = (
            (blocks["eps"][-1][row], blocks["phase"][-1][row], blocks["sigma"][-1][row])
            if history
            else scratch
        )
        events(k, active)
        total, count = _step(
            k, active, c, th, tl, os_true, ero, xh, prior, p, bc_os, srp_os, pole, sun,
            pressure, q_step, radial_sigma, v_sigma, min_track, final_start, last_step,
            meas[k % _NOISE_BLOCK], status, detected, detection_step, detection_range,
            trigger_step, final_step, in_final, nav_phase, min_dist, *rows_out,
            blocks["local"][-1][row], blocks["estimate"][-1][row],
        )  # fmt: skip
        hist_mean.append(total / count if count else np.nan)
        hist_count.append(count)
        if progress is not None and k % 200 == 0:
            progress(k, max_steps)
    status[status < 0] = STATUS_DEADLINE  # (only where no step was left to fly)

    def stacked(name, empty_shape, dtype):
        parts = blocks[name]
        if not parts:
            return np.zeros(empty_shape, dtype)
        return np.concatenate(parts)[:steps]

    et_of = lambda s: np.where(s >= 0, start + s * dt, np.nan)  # noqa: E731
    return RendezvousResult(
        status=status,
        trial_release_et=np.broadcast_to(given_release, (n,)).copy(),
        trial_search_start_et=np.broadcast_to(given_start, (n,)).copy(),
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
        history_t_s=dt * np.arange(steps),
        history_nees_mean=np.array(hist_mean, np.float64),
        history_nees_count=np.array(hist_count, np.int32),
        history_nees=stacked("eps", (0, n), np.float32),
        history_phase=stacked("phase", (0, n), np.int8),
        history_position_sigma_m=stacked("sigma", (0, n), np.float32),
        history_local=stacked("local", (0, k_rec, 6), np.float32),
        history_local_estimate=stacked("estimate", (0, k_rec, 6), np.float32),
        hold_points_m=tuple(plan.hold_points_m),
        mean_motion_rad_s=n_ss,
        milestones_after_transfer_s=arrivals,
    )


def _not_flown(n, release, start, plan, envelope, record) -> RendezvousResult:
    """The result of a batch none of whose trials flies."""
    nan = np.full(n, np.nan)
    k_rec = min(record, n)
    return RendezvousResult(
        status=np.full(n, STATUS_NOT_FLOWN, np.int8), trial_release_et=release,
        trial_search_start_et=start, detection_et=nan, detection_range_m=nan.copy(),
        transfer_et=nan.copy(), capture_et=nan.copy(), delta_v_m_s=np.zeros((n, 4)),
        attempts=np.zeros(n, np.int16), last_failure=np.full(n, -1, np.int8),
        tumble_rate_rad_s=nan.copy(), lateral_miss_m=nan.copy(), closing_speed_m_s=nan.copy(),
        nav_position_error_m=nan.copy(), nav_position_sigma_m=nan.copy(),
        min_distance_m=np.full(n, np.inf), history_t_s=np.zeros(0),
        history_nees_mean=np.zeros(0), history_nees_count=np.zeros(0, np.int32),
        history_nees=np.zeros((0, n), np.float32), history_phase=np.zeros((0, n), np.int8),
        history_position_sigma_m=np.zeros((0, n), np.float32),
        history_local=np.zeros((0, k_rec, 6), np.float32),
        history_local_estimate=np.zeros((0, k_rec, 6), np.float32),
        hold_points_m=tuple(plan.hold_points_m), mean_motion_rad_s=nan.copy(),
    )  # fmt: skip


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
