"""Containment: the chain of barriers between Mars material and Earth's biosphere.

"Containment assurance requires breaking the chain of contact with Mars: the exterior of
the sample container must not be contaminated with Mars material. The sample container
and its seals must be designed to survive Earth impacts ..., and the Earth entry vehicle
must be designed to withstand the thermal and structural rigors of Earth atmosphere
entry" (Planetary protection for Mars Sample Return, abstract). In the 2022 architecture
the CCRS captures the Orbiting Sample, closes it in a primary containment vessel, seals
and sterilises the vessel's seam (the boundary between the Mars-exposed and Earth-clean
sides), moves it into a clean zone and a secondary containment vessel inside the Earth
Entry System (NASA PIA25860 [P]; Aerospace America 2023 [S]).

**Two paths** to the biosphere, each a chain of barriers that must all fail:

1. *Seam path* (the chain not broken): a viable Mars particle on the primary vessel's seam
   survives sterilisation, and then the secondary vessel and the EES both fail at Earth::

       P_seam = [p_fault (1 - p_detect) + (1 - p_fault) (1 - exp(-N 10^-LR))]
                x P_EES x p_SCV|EES                                                 (1)

   ``N`` the expected number of viable Mars particles on the seam, ``p_fault`` a heater
   fault that leaves the seam unsterilised, ``p_detect`` that the fault is seen (then the
   seam is sterilised again), ``LR`` the log10 reduction of the heat cycle.
2. *Sample path*: the EES fails, and with it the secondary vessel, the primary vessel
   and the sample tubes' seals::

       P_sample = P_EES x p_SCV|EES x p_PCV|SCV x p_tubes|PCV                       (2)

   ``P_EES = p_entry + (1 - p_entry) P_impact``: a failure at entry, or at impact, where
   ``P_impact = P(v > capability) + p_hard p_fail|hard``: the touchdown speed (normal)
   above the EES's capability (normal; stress-strength interference), or a hard surface
   instead of the soft lake bed.

**Sterilisation** by the braze heat cycle: first-order inactivation with the D-value model
of dry-heat microbial reduction (NASA's approach; Paik, Sherry and Stern, Appl. Microbiol.
18(5):901-905, 1969, give D(125 C) = 17.07 min for B. subtilis var. niger spores on
stainless steel)::

    LR = t / D(T),   D(T) = k D_ref 10^((T_ref - min(T, T_credit)) / z)               (3)

``k`` the resistance factor of the most heat-resistant spores (Bacillus sp. ATCC 29669:
30 times B. atrophaeus, Schubert and Beaudet, SAE Int. J. Aerosp. 1(1):40-46, 2009), ``z``
the temperature rise that divides D by ten, and ``T_credit`` the highest temperature for
which credit is taken (lethality data exist to ~170 C; the braze melts above 500 C,
Bar-Cohen et al., JPL/SPIE). ``P(survive) = 1 - exp(-N 10^-LR)`` (Poisson survivors).

**Monte Carlo over the uncertain inputs** (epistemic): each trial draws the seam
temperature and time, ``D_ref``, ``z``, ``N``, the barrier probabilities (log-normal about
their scenario values) and the touchdown speed and capability, then evaluates (1) and (2)
in closed form, so a probability of 1e-9 is resolved without 1e9 trials. The result is the
distribution of ``P_release = P_seam + P_sample`` (rare-event sum) over the trials, its
mean and percentiles, judged against the scenario's requirement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

__all__ = ["ContainmentModel", "ContainmentResult", "containment_monte_carlo", "log_reduction"]


@dataclass(frozen=True)
class ContainmentModel:
    """The barrier model's inputs (SI except temperatures in deg C; sigmas 1-sigma)."""

    requirement_probability: float
    seam_temperature_c: float
    seam_temperature_sigma_c: float
    seam_hold_s: float
    seam_hold_sigma_fraction: float
    reference_temperature_c: float
    d_value_reference_s: float
    resistance_factor: float
    d_value_sigma_ln: float
    z_value_c: float
    z_value_sigma_c: float
    credited_temperature_max_c: float
    seam_particles_mean: float
    seam_particles_sigma_ln: float
    heater_fault_probability: float
    fault_detection_probability: float
    entry_failure_probability: float
    touchdown_speed_m_s: float
    touchdown_speed_sigma_m_s: float
    impact_capability_m_s: float
    impact_capability_sigma_m_s: float
    hard_surface_probability: float
    failure_given_hard_surface: float
    secondary_breach_given_ees_failure: float
    primary_breach_given_secondary_breach: float
    tube_seal_breach_given_primary_breach: float
    barrier_sigma_ln: float


@dataclass(frozen=True)
class ContainmentResult:
    """Per trial (n,): the path probabilities and their inputs."""

    model: ContainmentModel
    p_release: np.ndarray
    p_seam_path: np.ndarray
    p_sample_path: np.ndarray
    p_seam_unsterile: np.ndarray
    p_ees_failure: np.ndarray
    log_reduction: np.ndarray

    @property
    def mean(self) -> float:
        return float(np.mean(self.p_release))

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.p_release, q))

    @property
    def meets_requirement(self) -> bool:
        """The mean probability of release (over the uncertain inputs) meets the requirement."""
        return self.mean <= self.model.requirement_probability

    @property
    def fraction_meeting(self) -> float:
        """Share of trials whose probability of release meets the requirement."""
        return float(np.mean(self.p_release <= self.model.requirement_probability))


def log_reduction(
    temperature_c, hold_s, d_ref_s, t_ref_c, z_c, resistance=1.0, credit_max_c=np.inf
):
    """Eq. (3): log10 reduction of a hold at ``temperature_c`` for ``hold_s``."""
    t = np.minimum(np.asarray(temperature_c, np.float64), credit_max_c)
    d = resistance * np.asarray(d_ref_s) * 10.0 ** ((t_ref_c - t) / np.asarray(z_c))
    return np.asarray(hold_s) / d


def _trial_normals(seed: np.random.SeedSequence, n: int, k: int, chunk: int = 65536) -> np.ndarray:
    """Standard normals (n, k), row i from the generator of its chunk of ``chunk`` rows,
    drawn row by row, so results do not depend on how the trials are split into calls
    (a run of m < n trials gets the first m rows)."""
    out = np.empty((n, k))
    for start in range(0, n, chunk):
        rows = min(chunk, n - start)
        gen = np.random.default_rng(
            np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, start // chunk))
        )
        out[start : start + rows] = gen.standard_normal((rows, k))
    return out


def containment_monte_carlo(
    model: ContainmentModel,
    n: int,
    seed: np.random.SeedSequence,
    touchdown_speeds_m_s: np.ndarray | None = None,
) -> ContainmentResult:
    """Evaluate eqs. (1)-(3) for ``n`` draws of the uncertain inputs.

    ``touchdown_speeds_m_s`` (from the Earth entry leg's footprint Monte Carlo) replaces
    the scenario's normal touchdown speed, resampled trial by trial."""
    m = model
    z = _trial_normals(seed, n, 12)
    temp = m.seam_temperature_c + m.seam_temperature_sigma_c * z[:, 0]
    hold = m.seam_hold_s * np.maximum(0.0, 1.0 + m.seam_hold_sigma_fraction * z[:, 1])
    d_ref = m.d_value_reference_s * np.exp(m.d_value_sigma_ln * z[:, 2])
    zc = np.maximum(1.0, m.z_value_c + m.z_value_sigma_c * z[:, 3])
    lr = log_reduction(
        temp,
        hold,
        d_ref,
        m.reference_temperature_c,
        zc,
        m.resistance_factor,
        m.credited_temperature_max_c,
    )
    particles = m.seam_particles_mean * np.exp(
        m.seam_particles_sigma_ln * z[:, 4] - 0.5 * m.seam_particles_sigma_ln**2
    )
    survive = -np.expm1(-particles * 10.0 ** (-np.minimum(lr, 300.0)))
    s = m.barrier_sigma_ln

    def barrier(p, col):
        return np.clip(p * np.exp(s * z[:, col] - 0.5 * s * s), 0.0, 1.0)

    fault = barrier(m.heater_fault_probability, 5)
    unsterile = fault * (1.0 - m.fault_detection_probability) + (1.0 - fault) * survive  # eq. (1)
    if touchdown_speeds_m_s is not None and np.size(touchdown_speeds_m_s):
        speeds = np.asarray(touchdown_speeds_m_s, np.float64)
        idx = np.minimum((ndtr(z[:, 6]) * speeds.size).astype(int), speeds.size - 1)
        v = speeds[idx]
    else:
        v = m.touchdown_speed_m_s + m.touchdown_speed_sigma_m_s * z[:, 6]
    # stress-strength: the capability is normal about its value, so P(v > capability)
    p_impact = (
        ndtr((v - m.impact_capability_m_s) / m.impact_capability_sigma_m_s)
        + barrier(m.hard_surface_probability, 7) * m.failure_given_hard_surface
    )
    entry = barrier(m.entry_failure_probability, 8)
    ees = np.clip(entry + (1.0 - entry) * p_impact, 0.0, 1.0)
    scv = barrier(m.secondary_breach_given_ees_failure, 9)
    pcv = barrier(m.primary_breach_given_secondary_breach, 10)
    tubes = barrier(m.tube_seal_breach_given_primary_breach, 11)
    seam_path = unsterile * ees * scv  # eq. (1)
    sample_path = ees * scv * pcv * tubes  # eq. (2)
    return ContainmentResult(
        model, seam_path + sample_path, seam_path, sample_path, unsterile, ees, lr
    )
