"""The campaign Monte Carlo: every leg's outcome and every element's failure, trial by trial.

A trial follows the relay from the ERO's launch to the capsule on the ground and ends at
the first thing that fails. Two kinds of draw decide it:

* **the legs' own dispersed outcomes**: a trial takes one row of each leg's own Monte Carlo
  (the SRL's guided landing, the surface operations, the ascent, the rendezvous and
  capture, the Earth entry). At the default fidelity the rows come from tables of
  ``campaign.leg_table_trials`` trials computed once per scenario and cached
  (:mod:`msrsim.campaign.cache`); each trial picks its row at random (sampling with
  replacement from the leg's empirical distribution). At ``fidelity="full"`` every chunk
  flies its own legs' Monte Carlos for exactly its trials, row ``i`` for trial ``i``.
* **hardware failures** the legs' physics does not cover (``[reliability]``): launches,
  cruise and insertion, the EDL hardware, the lander's survival per sol until the MAV
  leaves, the Sample Transfer Arm, the MAV, the ERO per year at Mars and on the way home,
  the capsule's release and entry. Each is a Bernoulli draw against the scenario's
  probability.

The contingencies of the architecture are followed: when Perseverance cannot deliver,
the helicopters fetch the depot tubes (inside the surface leg's rows); a failed capture
is retried (inside the rendezvous leg's rows); a capture after the ERO's planned
departure pushes the return to the next Mars-Earth opportunity (the schedule's delayed
return, :func:`msrsim.campaign.schedule.plan_schedule`) if the ERO can wait that long
(``reliability.ero_extension_days``), and the samples are lost if not; a capsule that
lands outside the range still returns its samples and is counted apart.

Simplified, and stated: the legs' rows are independent of each other except through the
dates the campaign passes on (the landing date feeds the surface leg's nominal plan, the
MAV-ready date and the ERO's arrival in its orbit set the capture date); a delayed
return lands one synodic period after the nominal landing, without flying the later
transfer; the containment leg's assurance is reported beside P(success), not folded into
it (a containment failure does not lose the samples).

Every random number comes from :class:`msrsim.core.streams.TrialStreams`: trial ``i``
sees the same numbers whatever chunk it is in, so the results do not depend on the
chunking or on the number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from msrsim.campaign.schedule import plan_schedule
from msrsim.core.bodies import DAY_S
from msrsim.core.time import SOL_S
from msrsim.scenario import Scenario

__all__ = [
    "Failure",
    "CampaignModel",
    "campaign_model",
    "full_fidelity_chunk",
    "simulate_trials",
]

YEAR_S = 365.25 * DAY_S


class Failure(IntEnum):
    """Why a trial did not bring samples home (0: it did)."""

    NONE = 0
    ERO_LAUNCH = 1
    ERO_CRUISE_OR_INSERTION = 2
    SRL_LAUNCH = 3
    SRL_LANDING = 4
    LANDER = 5
    NO_TUBES_LOADED = 6
    MAV = 7
    OS_ORBIT = 8
    CAPTURE = 9
    MISSED_RETURN = 10
    ERO_AT_MARS_OR_RETURN = 11
    EES_RELEASE = 12
    EES_ENTRY = 13
    TRANSFER_ARM = 14


HARDWARE_EVENTS = (
    "ero_launch",
    "ero_cruise",
    "srl_launch",
    "srl_edl",
    "parachute",
    "lander",
    "mav",
    "ero_at_mars",
    "ees_release",
    "ees_entry",
    "transfer_arm",
)
"""One uniform per trial for each, in this order, from the ``hardware`` stream."""

LEG_TABLES = ("edl", "surface", "ascent", "rendezvous", "entry")
"""One uniform per trial for each (its row), from the ``legs`` stream."""

STREAMS = ("hardware", "legs")


@dataclass(frozen=True)
class CampaignModel:
    """Everything a chunk of trials needs: scalars (SI, et) and the legs' outcome tables.

    ``tables[name]`` maps column names to arrays of one length (the leg's rows).
    ``failure_probability`` maps each :data:`HARDWARE_EVENTS` name to the chance it fails
    (the lander's and the ERO's are rates, per sol and per year).
    """

    seed: int
    tables: dict[str, dict[str, np.ndarray]]
    failure_probability: dict[str, float]
    ero_in_orbit_et: float
    ero_departure_et: float
    ero_mars_arrival_et: float
    ero_extension_s: float
    next_opportunity_s: float
    nominal_earth_landing_et: float
    tube_names: tuple[str, ...]
    fidelity: str = "default"
    handoff: dict = field(default_factory=dict)
    """The nominal hand-offs (JSON-ready) that ``fidelity="full"`` flies the legs from."""


def _hazard(rate: float, exposure) -> np.ndarray:
    """Probability of at least one failure over ``exposure`` units at ``rate`` per unit."""
    return -np.expm1(np.log1p(-rate) * np.asarray(exposure, dtype=np.float64))


def simulate_trials(model: CampaignModel, start: int, n: int) -> dict[str, np.ndarray]:
    """Trials ``start .. start + n - 1``: one vectorised pass, columns of length ``n``."""
    from msrsim.core.streams import TrialStreams

    streams = TrialStreams(model.seed, STREAMS)
    u = streams.uniform("hardware", start, n, len(HARDWARE_EVENTS))
    pick = streams.uniform("legs", start, n, len(LEG_TABLES))
    hw = {name: u[:, i] for i, name in enumerate(HARDWARE_EVENTS)}
    p = model.failure_probability
    rows = {}
    for i, name in enumerate(LEG_TABLES):
        size = len(next(iter(model.tables[name].values())))
        if model.fidelity == "full":
            rows[name] = np.arange(n) % size
        else:
            rows[name] = np.minimum((pick[:, i] * size).astype(np.int64), size - 1)
    edl = {k: v[rows["edl"]] for k, v in model.tables["edl"].items()}
    surface = {k: v[rows["surface"]] for k, v in model.tables["surface"].items()}
    ascent = {k: v[rows["ascent"]] for k, v in model.tables["ascent"].items()}
    rendezvous = {k: v[rows["rendezvous"]] for k, v in model.tables["rendezvous"].items()}
    entry = {k: v[rows["entry"]] for k, v in model.tables["entry"].items()}

    failure = np.zeros(n, dtype=np.int8)

    def fail(where: np.ndarray, why: Failure) -> None:
        failure[(failure == 0) & where] = why

    fail(hw["ero_launch"] < p["ero_launch"], Failure.ERO_LAUNCH)
    fail(hw["ero_cruise"] < p["ero_cruise"], Failure.ERO_CRUISE_OR_INSERTION)
    fail(hw["srl_launch"] < p["srl_launch"], Failure.SRL_LAUNCH)
    chute_bad = ~edl["deploy_in_box"] & (hw["parachute"] < p["parachute"])
    landed = edl["landed_safely"] & ~chute_bad & (hw["srl_edl"] >= p["srl_edl"])
    fail(~landed, Failure.SRL_LANDING)

    mav_ready = surface["mav_ready_et"]
    fail(~np.isfinite(mav_ready), Failure.NO_TUBES_LOADED)
    mav_launch = np.where(np.isfinite(mav_ready), mav_ready, np.nan)
    landing = surface["landing_et"]
    sols_on_surface = np.where(np.isfinite(mav_launch), (mav_launch - landing) / SOL_S, 0.0)
    fail(hw["lander"] < _hazard(p["lander"], sols_on_surface), Failure.LANDER)
    fail(hw["transfer_arm"] < p["transfer_arm"], Failure.TRANSFER_ARM)
    fail(hw["mav"] < p["mav"], Failure.MAV)
    fail(~ascent["stable_orbit"], Failure.OS_ORBIT)
    fail(~rendezvous["captured"], Failure.CAPTURE)

    release = mav_launch + ascent["release_after_launch_s"]
    search_start = np.maximum(release, model.ero_in_orbit_et)
    capture = search_start + rendezvous["capture_after_start_s"]
    margin_s = model.ero_departure_et - capture
    late = margin_s < 0.0
    can_wait = (-margin_s <= model.ero_extension_s) & (
        model.ero_extension_s >= model.next_opportunity_s
    )
    fail(late & ~can_wait, Failure.MISSED_RETURN)
    delay = np.where(late, model.next_opportunity_s, 0.0)
    years_exposed = (model.nominal_earth_landing_et + delay - model.ero_mars_arrival_et) / YEAR_S
    ero_lost = hw["ero_at_mars"] < _hazard(p["ero_at_mars"], years_exposed)
    fail(ero_lost, Failure.ERO_AT_MARS_OR_RETURN)
    fail(hw["ees_release"] < p["ees_release"], Failure.EES_RELEASE)
    fail((hw["ees_entry"] < p["ees_entry"]) | ~entry["landed"], Failure.EES_ENTRY)

    success = failure == 0
    tubes = np.where(success, surface["tubes_loaded"], 0).astype(np.int16)
    mask = np.where(success, surface["tube_mask"], 0).astype(np.uint64)
    earth = np.where(success, entry["landing_et"] + delay, np.nan)
    return {
        "success": success,
        "failure": failure,
        "tubes_returned": tubes,
        "tube_mask": mask,
        "earth_landing_et": earth,
        "late_return": success & late,
        "outside_range": success & ~entry["inside_range"],
        "srl_landing_et": np.where(landed, landing, np.nan),
        "rover_failed": surface["rover_failed"],
        "helicopter_flights": surface["helicopter_flights"].astype(np.int16),
        "mav_launch_et": mav_launch,
        "capture_et": np.where(rendezvous["captured"], capture, np.nan),
        "capture_margin_days": np.where(
            np.isfinite(capture) & rendezvous["captured"], margin_s / DAY_S, np.nan
        ),
        "capture_attempts": rendezvous["attempts"].astype(np.int8),
        "edl_miss_km": edl["miss_km"],
    }


# ---------------------------------------------------------------------------------------
# The legs' outcome tables: one row per trial of each leg's own Monte Carlo
# ---------------------------------------------------------------------------------------


def edl_table(result) -> dict[str, np.ndarray]:
    """Leg 3 (:class:`msrsim.campaign.edl.EdlLegResult`): each guided landing.

    A landing is safe when the vehicle reached the ground and lies inside Jezero's rim
    (the rim and the terrain beyond it are not certified for landing); its touchdown epoch
    is the entry epoch plus its own flight time.
    """
    from msrsim.segments.jezero import planetocentric_latitude_deg, rim_clearance_km

    g = result.guided
    lat = planetocentric_latitude_deg(np.asarray(g.landing_latitude_rad))
    inside = rim_clearance_km(lat, np.degrees(np.asarray(g.landing_longitude_rad))) > 0.0
    landed = np.asarray(g.landed, dtype=bool)
    return {
        "landed_safely": landed & inside,
        "deploy_in_box": np.asarray(g.deploy_in_box, dtype=bool),
        "miss_km": np.where(landed, result.guided_miss_m / 1e3, np.nan),
        "landing_et": result.approach.entry_et + np.asarray(g.touchdown_time_s, np.float64),
    }


def tube_bits(names) -> np.ndarray:
    """Each tube's bit in a ``tube_mask`` (uint64): its place in the catalog."""
    from msrsim.samples.catalog import load_catalog

    index = {t.name: i for i, t in enumerate(load_catalog())}
    if len(index) > 64:
        raise ValueError(f"{len(index)} catalogued tubes do not fit a 64-bit tube mask")
    return np.array([np.uint64(1) << np.uint64(index[name]) for name in names], np.uint64)


def surface_table(result) -> dict[str, np.ndarray]:
    """Leg 4 (:class:`msrsim.campaign.surface.SurfaceResult`): each surface trial."""
    t = result.trials
    bits = tube_bits(t.tube_names)
    mask = np.bitwise_or.reduce(np.where(t.loaded, bits[None, :], np.uint64(0)), axis=1)
    n = t.loaded.shape[0]
    return {
        "landing_et": np.full(n, result.plan.landing_et),
        "mav_ready_et": np.asarray(t.mav_ready_et, np.float64),
        "tubes_loaded": np.asarray(t.tubes_loaded, np.int16),
        "tube_mask": mask.astype(np.uint64),
        "rover_failed": np.asarray(t.rover_failed, dtype=bool),
        "helicopter_flights": np.asarray(t.helicopter_flights, np.int16),
    }


def entry_table(result) -> dict[str, np.ndarray]:
    """Leg 9 (:class:`msrsim.campaign.earth_entry.EarthEntryResult`): each capsule."""
    flight = result.footprint.entries.flight
    landed = flight.status == 0
    return {
        "landed": landed,
        "inside_range": np.asarray(result.inside_range, dtype=bool),
        "landing_et": result.approach.entry_et + np.asarray(flight.time_s, np.float64),
    }


def failure_probabilities(scenario: Scenario) -> dict[str, float]:
    """The ``[reliability]`` figures as chances of failure, keyed by hardware event."""
    r = scenario.reliability
    return {
        "ero_launch": 1.0 - r.ero_launch_success,
        "ero_cruise": 1.0 - r.ero_cruise_and_insertion_success,
        "srl_launch": 1.0 - r.srl_launch_success,
        "srl_edl": 1.0 - r.srl_edl_success,
        "parachute": r.parachute_out_of_box_failure,
        "lander": r.lander_failure_per_sol,
        "mav": 1.0 - r.mav_success,
        "ero_at_mars": r.ero_failure_per_year_at_mars,
        "ees_release": 1.0 - r.ees_release_success,
        "ees_entry": 1.0 - r.ees_entry_success,
        "transfer_arm": 1.0 - r.sample_transfer_arm_success,
    }


def ascent_table(result) -> dict[str, np.ndarray]:
    """Leg 5 (:class:`msrsim.campaign.ascent.AscentLegResult`): each dispersed ascent.

    A trial's Orbiting Sample is in a stable orbit when the ascent flew to release and its
    periapsis is above the scenario's minimum; it is released the nominal time after the
    MAV's launch.
    """
    orbits = result.orbits
    stable = np.asarray(orbits.flown, dtype=bool) & (
        np.asarray(orbits.periapsis_altitude_m) > result.min_perigee_altitude_m
    )
    return {
        "stable_orbit": stable,
        "release_after_launch_s": np.full(stable.size, result.release_et - result.launch_et),
    }


def rendezvous_table(result) -> dict[str, np.ndarray]:
    """Legs 6 (:class:`msrsim.campaign.rendezvous.RendezvousLegResult`): each rendezvous,
    with its time from the start of the search to capture (0 where it never came)."""
    r = result.result
    captured = np.asarray(r.captured, dtype=bool)
    after = np.where(captured, r.capture_et - r.search_start_et, 0.0)
    return {
        "captured": captured,
        "capture_after_start_s": np.asarray(after, np.float64),
        "attempts": np.asarray(r.attempts, np.int8),
    }


def campaign_model(
    scenario: Scenario, *, mission, edl, surface, ascent, rendezvous, entry
) -> CampaignModel:
    """The default-fidelity model: the legs' results as tables, the ERO's dates, the
    ``[reliability]`` figures."""
    r = scenario.reliability
    landing = entry.approach.entry_et + float(entry.footprint.nominal.flight.time_s[0])
    return CampaignModel(
        seed=scenario.scenario.seed,
        tables={
            "edl": edl_table(edl),
            "surface": surface_table(surface),
            "ascent": ascent_table(ascent),
            "rendezvous": rendezvous_table(rendezvous),
            "entry": entry_table(entry),
        },
        failure_probability=failure_probabilities(scenario),
        ero_in_orbit_et=mission.spiral_down.end_et,
        ero_departure_et=mission.plan.mars_departure_et,
        ero_mars_arrival_et=mission.plan.mars_arrival_et,
        ero_extension_s=r.ero_extension_days * DAY_S,
        next_opportunity_s=plan_schedule(scenario).delay_s,
        nominal_earth_landing_et=landing,
        tube_names=tuple(surface.trials.tube_names),
        handoff={
            "srl_landing_et": edl.landing_et,
            "mav_ready_et": surface.timeline.mav_ready_et,
            "os_release_et": ascent.hand_off[0],
            "os_state": ascent.hand_off[1].tolist(),
            "os_covariance": ascent.hand_off[2].tolist(),
            "earth_arrival_et": entry.arrival.arrival_et,
            "earth_v_infinity_m_s": np.asarray(entry.arrival.v_infinity_m_s).tolist(),
        },
    )


def _chunk_seed(seed: int, start: int) -> int:
    """The legs' seed for the full-fidelity chunk that starts at trial ``start``."""
    return int(np.random.SeedSequence(seed, spawn_key=(0xF1DE, start)).generate_state(1)[0])


def full_fidelity_chunk(scenario: Scenario, model: CampaignModel, start: int, n: int):
    """Trials ``start .. start + n - 1`` with every leg's physics flown for them.

    Each leg's own Monte Carlo runs ``n`` trials from the nominal hand-offs of
    ``model.handoff`` under a seed derived from the scenario's seed and ``start``, and
    trial ``i`` takes row ``i`` of each. Reproducible for a given chunk size (the legs
    draw per chunk); the default fidelity is the one independent of the chunking.
    """
    from msrsim.campaign.ascent import landing_from_edl, run_ascent
    from msrsim.campaign.earth_entry import ReturnArrival, run_earth_entry
    from msrsim.campaign.edl import run_edl
    from msrsim.campaign.launch import search_launch
    from msrsim.campaign.rendezvous import run_rendezvous
    from msrsim.campaign.surface import run_surface

    seed, h = _chunk_seed(model.seed, start), model.handoff
    period = search_launch(scenario.srl_launch, scenario.srl.launch_mass_kg).launch_period
    edl = run_edl(scenario, period, trials=n, seed=seed)
    surface = run_surface(scenario, landing_et=h["srl_landing_et"], trials=n, seed=seed)
    latitude, longitude = landing_from_edl(edl)
    ascent = run_ascent(
        scenario,
        trials=n,
        seed=seed,
        mav_ready_et=h["mav_ready_et"],
        landing_latitude_deg=latitude,
        landing_longitude_deg=longitude,
    )
    release = (h["os_release_et"], np.array(h["os_state"]), np.array(h["os_covariance"]))
    rendezvous = run_rendezvous(scenario, release, model.ero_in_orbit_et, trials=n, seed=seed)
    arrival = ReturnArrival(
        h["earth_arrival_et"], np.array(h["earth_v_infinity_m_s"]), "ERO electric return cruise"
    )
    entry = run_earth_entry(scenario, arrival, trials=n, seed=seed)
    tables = {
        "edl": edl_table(edl),
        "surface": surface_table(surface),
        "ascent": ascent_table(ascent),
        "rendezvous": rendezvous_table(rendezvous),
        "entry": entry_table(entry),
    }
    full = CampaignModel(**{**model.__dict__, "tables": tables, "fidelity": "full"})
    return simulate_trials(full, start, n)
