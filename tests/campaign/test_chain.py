"""The coupled chain (campaign.chain) and its digest (campaign.runner) on synthetic legs.

The legs here have no physics: each writes the hand-off columns from its own random
streams, so the tests check the chain's bookkeeping (declared columns, trials ended at a
leg and not flown further, hardware failures in relay order, chunk independence, the
tornado's common random numbers) exactly and fast. The real legs are tested in
tests/campaign/test_coupled.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from msrsim.campaign.chain import (
    HARDWARE_EVENTS,
    CoupledPlan,
    Failure,
    TrialTable,
    fly_chunk,
)
from msrsim.campaign.runner import (
    monte_carlo_summary,
    risk_drivers,
    run_monte_carlo,
    wilson_interval,
)
from msrsim.core.bodies import DAY_S
from msrsim.core.time import SOL_S
from msrsim.samples.catalog import load_catalog

T0 = 9.8e8
TUBES = tuple(t.name for t in load_catalog())


@dataclass(frozen=True)
class Landing:
    """Lands every trial 0-10 days after T0; ``unsafe`` of them outside the crater."""

    family: ClassVar[str] = "landing"
    columns: ClassVar[dict[str, str]] = {
        "touchdown_et": "f8",
        "deploy_in_box": "?",
        "landing_miss_km": "f8",
    }
    unsafe: float = 0.0

    def fly(self, table: TrialTable) -> None:
        rows = table.flying
        u = table.random(self.family).take(rows).random((rows.size, 2))
        table.add(rows, touchdown_et=T0 + 10 * DAY_S * u[:, 0], deploy_in_box=True,
                  landing_miss_km=5.0 * u[:, 1])  # fmt: skip
        table.end(rows, u[:, 1] < self.unsafe, Failure.SRL_LANDING)


@dataclass(frozen=True)
class Surface:
    """Loads 20 tubes 100 days after touchdown (trials that flew the landing)."""

    family: ClassVar[str] = "surface"
    columns: ClassVar[dict[str, str]] = {
        "mav_launch_et": "f8",
        "tubes_loaded": "i2",
        "tube_mask": "u8",
        "rover_failed": "?",
        "visits": "i2",
    }
    surface_days: float = 100.0

    def fly(self, table: TrialTable) -> None:
        rows = table.flying
        mask = np.bitwise_or.reduce(np.uint64(1) << np.arange(20, dtype=np.uint64))
        table.add(rows, mav_launch_et=table.columns["touchdown_et"][rows]
                  + self.surface_days * DAY_S, tubes_loaded=20, tube_mask=mask,
                  rover_failed=False, visits=1)  # fmt: skip


@dataclass(frozen=True)
class Capture:
    """Captures 1-40 days after the MAV launch; ``miss`` never capture; the return."""

    family: ClassVar[str] = "capture"
    columns: ClassVar[dict[str, str]] = {
        "capture_et": "f8",
        "ero_departure_et": "f8",
        "earth_arrival_et": "f8",
        "earth_landing_et": "f8",
        "late_return": "?",
        "inside_range": "?",
    }
    miss: float = 0.0
    departure_et: float = T0 + 200 * DAY_S

    def fly(self, table: TrialTable) -> None:
        rows = table.flying
        u = table.random(self.family).take(rows).random((rows.size, 2))
        capture = table.columns["mav_launch_et"][rows] + (1 + 39 * u[:, 0]) * DAY_S
        table.add(rows, capture_et=capture, ero_departure_et=self.departure_et,
                  earth_arrival_et=self.departure_et + 400 * DAY_S,
                  earth_landing_et=self.departure_et + 400 * DAY_S, late_return=False,
                  inside_range=u[:, 1] > 0.1)  # fmt: skip
        table.end(rows, u[:, 1] < self.miss, Failure.CAPTURE)


def _plan(p=None, **legs) -> CoupledPlan:
    probability = {name: 0.0 for name in HARDWARE_EVENTS} | (p or {})
    return CoupledPlan(
        seed=11,
        legs=(
            legs.get("landing", Landing()),
            legs.get("surface", Surface()),
            legs.get("capture", Capture()),
        ),  # fmt: skip
        failure_probability=probability,
        ero_mars_arrival_et=T0 - 300 * DAY_S,
        tube_names=TUBES,
        priority_tubes=TUBES[:3],
    )


@pytest.mark.parametrize(
    "event, cause",
    [("ero_launch", Failure.ERO_LAUNCH), ("mav", Failure.MAV), ("ees_entry", Failure.EES_ENTRY)],
)
def test_a_certain_hardware_failure_is_the_cause(event, cause):
    out = fly_chunk(_plan({event: 1.0}), 0, 300)
    assert not out["success"].any() and (out["failure"] == cause).all()
    assert (out["tubes_returned"] == 0).all()


def test_failure_rates_match_their_probabilities():
    # the ERO launch takes 10 %, then the MAV 20 % of the rest: 4 sigma at 200,000 < 0.004
    out = fly_chunk(_plan({"ero_launch": 0.1, "mav": 0.2}), 0, 200_000)
    assert np.mean(out["failure"] == Failure.ERO_LAUNCH) == pytest.approx(0.1, abs=0.004)
    assert np.mean(out["failure"] == Failure.MAV) == pytest.approx(0.9 * 0.2, abs=0.004)
    assert np.mean(out["success"]) == pytest.approx(0.72, abs=0.004)


def test_the_lander_hazard_grows_with_each_trials_own_sols_on_the_surface():
    """1e-3 per sol over each trial's 100 days (97.3 sols): 9.3 %; over 300 days, 25 %."""
    for days in (100.0, 300.0):
        out = fly_chunk(_plan({"lander": 1e-3}, surface=Surface(days)), 0, 100_000)
        sols = days * DAY_S / SOL_S
        assert np.mean(out["failure"] == Failure.LANDER) == pytest.approx(
            1 - (1 - 1e-3) ** sols, abs=0.004
        )


def test_a_trial_ended_by_a_leg_is_not_flown_further_and_says_where():
    out = fly_chunk(_plan(landing=Landing(unsafe=0.3)), 0, 10_000)
    ended = out["failure"] == Failure.SRL_LANDING
    assert np.mean(ended) == pytest.approx(0.3, abs=0.02)
    # the later legs did not fly it: their columns keep the declared fill
    assert np.isnan(out["mav_launch_et"][ended]).all() and (out["visits"][ended] == -1).all()
    assert np.isnan(out["capture_et"][ended]).all() and np.isfinite(out["capture_et"][~ended]).all()
    # an earlier hardware failure is the cause even where the landing would have failed
    out = fly_chunk(_plan({"srl_launch": 1.0}, landing=Landing(unsafe=0.3)), 0, 1000)
    assert (out["failure"] == Failure.SRL_LAUNCH).all()


def test_legs_cannot_share_a_random_stream_family():
    table = TrialTable(1, 0, 10)
    table.random("landing")
    with pytest.raises(ValueError, match="already in use"):
        table.random("landing")


def test_trials_do_not_depend_on_the_chunking():
    plan = _plan({name: 0.05 for name in HARDWARE_EVENTS} | {"lander": 1e-4},
                 landing=Landing(unsafe=0.1), capture=Capture(miss=0.05))  # fmt: skip
    whole = fly_chunk(plan, 0, 10_000)
    parts = [fly_chunk(plan, s, 1000) for s in range(0, 10_000, 1000)]
    for name, column in whole.items():
        np.testing.assert_array_equal(column, np.concatenate([p[name] for p in parts]), name)
    table = run_monte_carlo(plan, 10_000, chunk_size=3_333, scheduler="synchronous").table
    np.testing.assert_array_equal(table.column("success").to_numpy(), whole["success"])


def test_wilson_interval_against_published_values():
    # Brown, Cai and DasGupta (2001): 50 of 100 gives 0.4038-0.5962; 0 of 20, 0-0.1611
    assert wilson_interval(50, 100) == pytest.approx((0.4038, 0.5962), abs=1e-4)
    assert wilson_interval(0, 20) == pytest.approx((0.0, 0.1611), abs=1e-4)


def test_summary_counts_tubes_sets_years_and_causes():
    plan = _plan({"mav": 0.25})
    out = fly_chunk(plan, 0, 40_000)
    summary = monte_carlo_summary(out, plan)
    assert summary["probability_of_success"] == pytest.approx(0.75, abs=0.01)
    low, high = summary["probability_of_success_ci_low"], summary["probability_of_success_ci_high"]
    assert low < summary["probability_of_success"] < high
    assert list(summary["failure_causes"]) == ["mav"]
    mean, lo, hi = (summary[f"expected_tubes_returned{s}"] for s in ("", "_ci_low", "_ci_high"))
    assert mean == pytest.approx(0.75 * 20, abs=0.2) and lo < mean < hi
    assert summary["probability_at_least_n_tubes"]["20"] == summary["probability_of_success"]
    assert summary["probability_selected_set_returned"] == summary["probability_of_success"]
    assert summary["earth_landing_year"] == {"2032": summary["probability_of_success"]}
    assert summary["probability_outside_range_if_success"] == pytest.approx(0.1, abs=0.01)


def test_the_tornado_equals_flying_the_changed_probability_again():
    """Hardware draws do not touch the physics, so judging the flown trials again with a
    doubled probability is exactly a new run with it (common random numbers)."""
    p = {"mav": 0.2, "ees_release": 0.01, "lander": 1e-4}
    plan = _plan(p, capture=Capture(miss=0.1))
    out = fly_chunk(plan, 0, 20_000)
    drivers = risk_drivers(out, plan)
    rows = {r["driver"]: r for r in drivers["drivers"]}
    doubled = fly_chunk(dataclasses.replace(plan, failure_probability={
        **plan.failure_probability, "mav": 0.4}), 0, 20_000)  # fmt: skip
    assert rows["mav failure probability"]["cases"]["x2"] == pytest.approx(
        np.mean(doubled["success"]), abs=1e-12
    )
    ranked = drivers["drivers"]
    assert ranked[0]["driver"] == "mav failure probability"
    assert [r["swing"] for r in ranked] == sorted((r["swing"] for r in ranked), reverse=True)
    # the capture's own failure removed: P + P(capture) P(success | past the capture)
    capture = rows["no capture failures"]
    past = out["success"].mean() + np.mean(out["failure"] == Failure.CAPTURE) * (
        np.mean(out["success"][(out["failure"] == 0) | (out["failure"] == Failure.MISSED_RETURN)
                               | (out["failure"] >= Failure.ERO_AT_MARS_OR_RETURN)
                               & (out["failure"] != Failure.TRANSFER_ARM)
                               & (out["failure"] != Failure.SRL_LAUNCH_PERIOD_MISSED)])
    )  # fmt: skip
    assert capture["cases"]["removed"] == pytest.approx(past, abs=1e-6)
    assert capture["tubes_swing"] > 0


@pytest.mark.parametrize(
    "plan",
    [_plan({"mav": 1.0}), _plan(landing=Landing(unsafe=1.0)), _plan(capture=Capture(miss=1.0))],
    ids=["hardware", "landing", "capture"],
)
def test_a_leg_that_never_succeeds_gives_a_digest_and_drivers(plan):
    # Issue 22: the risk drivers raised IndexError when a leg never succeeded. A certain
    # failure, of hardware or of a leg's physics: P(success) 0, every figure finite (strict
    # JSON), the mode that ends every trial has no "removed" estimate (no trial went past
    # it), each hardware driver is still judged.
    import json

    out = fly_chunk(plan, 0, 500)
    summary = monte_carlo_summary(out, plan)
    drivers = risk_drivers(out, plan)
    json.dumps([summary, drivers], allow_nan=False)
    assert summary["probability_of_success"] == 0.0 and drivers["probability_of_success"] == 0.0
    assert len(drivers["drivers"]) >= len(plan.failure_probability)
    assert all(np.isfinite(r["swing"]) for r in drivers["drivers"])
