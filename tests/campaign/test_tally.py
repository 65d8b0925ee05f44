"""The campaign Monte Carlo digested chunk by chunk (campaign.tally) on the synthetic legs
of test_chain: the same summary and drivers as the whole table, whatever the chunking and
the order the chunks come in, resumed chunks included; percentiles within half a bin of
numpy's; a state that does not grow with the trial count; the scheduler picked by size."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from test_chain import Capture, Landing, _plan

from msrsim.campaign import tally as tally_module
from msrsim.campaign.chain import HARDWARE_EVENTS, fly_chunk
from msrsim.campaign.execution import run_chunks
from msrsim.campaign.runner import (
    CLUSTER_OVERHEAD_TRIALS,
    local_cluster_pays,
    monte_carlo_summary,
    risk_drivers,
)
from msrsim.campaign.tally import BinnedCounts, CampaignTally

PLAN = _plan({name: 0.05 for name in HARDWARE_EVENTS} | {"lander": 1e-4, "mav": 0.2},
             landing=Landing(unsafe=0.1), capture=Capture(miss=0.05))  # fmt: skip


@pytest.mark.parametrize("width", [0.01, 0.37, 600.0])
def test_percentiles_are_within_half_a_bin_of_numpys(width):
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(50.0, 20.0, 30_000), rng.exponential(300.0, 7)])
    counts = BinnedCounts(width)
    for part in np.array_split(values, 7):
        counts.add(part)
    qs = [0, 1, 12.5, 50, 99, 100]
    found = counts.percentiles(qs)
    np.testing.assert_allclose(found, np.percentile(values, qs), rtol=0, atol=width / 2 + 1e-9)
    assert counts.n == values.size


def test_integer_percentiles_and_counts_are_exact():
    values = np.random.default_rng(4).integers(0, 40, 10_001)
    counts = BinnedCounts(integer=True)
    counts.add(values[:5000])
    counts.add(values[5000:])
    qs = [1, 33.3, 50, 99]
    np.testing.assert_array_equal(counts.percentiles(qs), np.percentile(values, qs))
    assert counts.count_at_least(20) == np.count_nonzero(values >= 20)
    assert BinnedCounts(integer=True).percentiles([50]) is None


def test_a_wide_span_coarsens_the_same_whatever_the_order(monkeypatch):
    """Past MAX_BINS the width doubles: the counts and the width depend on the values
    only, not on the order they came in."""
    monkeypatch.setattr(tally_module, "MAX_BINS", 64)
    rng = np.random.default_rng(5)
    parts = [rng.uniform(-5.0, 5.0, 200), rng.uniform(0.0, 90.0, 50), rng.normal(0, 1, 100)]
    forward, backward = BinnedCounts(0.1), BinnedCounts(0.1)
    for part in parts:
        forward.add(part)
    for part in reversed(parts):
        backward.add(part)
    assert forward.width == backward.width == 0.1 * 2**4  # 95 / 0.1 = 950 base bins
    assert forward.counts.size <= 64
    assert forward.first == backward.first
    np.testing.assert_array_equal(forward.counts, backward.counts)
    values = np.concatenate(parts)
    np.testing.assert_allclose(
        forward.percentiles([5, 50, 95]), np.percentile(values, [5, 50, 95]), atol=0.8 + 1e-9
    )


def _tally_of(chunks, order=None):
    tally = CampaignTally(PLAN)
    for start, n in order or chunks:
        tally.add(fly_chunk(PLAN, start, n), start)
    return tally


def test_the_streamed_summary_and_drivers_equal_the_whole_tables_in_any_chunking():
    n = 12_000
    whole = fly_chunk(PLAN, 0, n)
    expected = (monte_carlo_summary(whole, PLAN), risk_drivers(whole, PLAN))
    assert expected[0]["failure_causes"] and expected[0]["earth_landing_year"]
    cuts = [(s, min(1777, n - s)) for s in range(0, n, 1777)]
    for order in (cuts, cuts[::-1], cuts[3:] + cuts[:3]):
        tally = _tally_of(cuts, order)
        assert (tally.summary(), tally.drivers()) == expected
    # the percentiles against numpy's on the whole table, within the stated resolution
    summary = expected[0]
    margin = (whole["ero_departure_et"] - whole["capture_et"]) / 86400.0
    exact = np.percentile(margin[np.isfinite(margin)], [1, 50, 99])
    found = [summary[f"capture_margin_days{s}"] for s in ("_p01", "_median", "_p99")]
    np.testing.assert_allclose(found, exact, atol=0.05 + 0.005)  # printed to 0.1 day


def test_run_chunks_feeds_every_chunk_resumed_ones_included(tmp_path):
    n, fn = 3000, functools.partial(fly_chunk, PLAN)
    expected = monte_carlo_summary(fly_chunk(PLAN, 0, n), PLAN)
    first = CampaignTally(PLAN, drivers=False)
    run = run_chunks(fn, n, chunk_size=700, out_dir=tmp_path / "t", scheduler="synchronous",
                     collect=False, on_chunk=first.add)  # fmt: skip
    assert run.table is None and first.summary() == expected
    again = CampaignTally(PLAN, drivers=False)
    resumed = run_chunks(fn, n, chunk_size=700, out_dir=tmp_path / "t", scheduler="synchronous",
                         collect=False, on_chunk=again.add, resume=True)  # fmt: skip
    assert resumed.chunks_resumed == resumed.chunks_total and again.summary() == expected


def test_the_tallys_state_does_not_grow_with_the_trial_count():
    """The parent's digest of 2,000 and of 200,000 trials holds the same arrays (counts
    over the values' span), where the table grows 100-fold (about 155 B a trial in
    ``msrsim run``)."""
    sizes = {}
    template = fly_chunk(PLAN, 0, 2000)
    for n in (2_000, 200_000):
        tally = CampaignTally(PLAN)
        for start in range(0, n, 2000):
            tally.add(template, start)  # the same rows: the state's size is the question
        sizes[n] = tally.nbytes
        assert tally.n == n
    assert sizes[200_000] == sizes[2_000] < 200_000


def test_a_local_cluster_is_used_only_when_it_pays():
    breakeven = 2 * CLUSTER_OVERHEAD_TRIALS  # two CPUs: the cluster's cost twice
    assert not local_cluster_pays(int(breakeven * 0.9), 100, cpus=2)
    assert local_cluster_pays(int(breakeven * 1.1) + 1, 100, cpus=2)
    assert not local_cluster_pays(10**8, 100, cpus=1)  # one CPU: never
    assert not local_cluster_pays(10**6, 10**6, cpus=16)  # one chunk: one worker busy


def test_the_streamed_digest_is_the_same_on_two_dask_workers():
    """Chunks come back from the workers in whatever order they finish: the same digest."""
    n, fn = 6000, functools.partial(fly_chunk, PLAN)
    whole = fly_chunk(PLAN, 0, n)
    tally = CampaignTally(PLAN)
    run = run_chunks(fn, n, chunk_size=500, workers=2, collect=False, on_chunk=tally.add)
    assert run.workers == 2 and run.table is None
    assert tally.summary() == monte_carlo_summary(whole, PLAN)
    assert tally.drivers() == risk_drivers(whole, PLAN)
