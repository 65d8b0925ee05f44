"""The coupled campaign on the baseline, end to end: ``msrsim run`` killed by a real
signal and resumed; the same trials on 1 and 2 Dask workers and any chunking."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from msrsim.campaign.runner import campaign_legs, run_monte_carlo
from msrsim.cli import app
from msrsim.scenario import baseline

TRIALS, CHUNK = 150, 25


@pytest.fixture(scope="module")
def legs():
    """The baseline's legs, flown once and cached for the session (the subprocess below
    reads the same cache: $MSRSIM_CACHE_DIR is set by tests/conftest.py)."""
    return campaign_legs(baseline())


def test_a_killed_run_resumes_to_the_uninterrupted_result(legs, tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "msrsim.cli", "run", "--trials", str(TRIALS),
               "--chunk-size", str(CHUNK), "--scheduler", "synchronous", "--out", str(out),
               "--no-report", "--json"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240.0
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if len(list(out.glob("trials/chunk-*.parquet"))) >= 2:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the run ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)  # a real signal, no chance to clean up
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    done = len(list(out.glob("trials/chunk-*.parquet")))
    assert 2 <= done < TRIALS // CHUNK
    result = CliRunner().invoke(app, command[3:] + ["--resume"])
    assert result.exit_code == 0, result.output
    resumed = pq.read_table(out / "trials").sort_by("trial")
    whole = run_monte_carlo(legs.plan, TRIALS, chunk_size=TRIALS, scheduler="synchronous")
    assert resumed.num_rows == TRIALS
    assert resumed.column("trial").to_pylist() == list(range(TRIALS))
    for name in whole.table.column_names:
        np.testing.assert_array_equal(
            resumed.column(name).to_numpy(zero_copy_only=False),
            whole.table.column(name).to_numpy(zero_copy_only=False),
            err_msg=name,
        )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["monte_carlo"]["trials"] == TRIALS


def test_the_baseline_campaign_is_identical_on_1_and_2_workers_and_any_chunking(legs):
    # the coupled trials on the baseline's plan: in this process in chunks of 30, on a
    # local Dask cluster of 1 worker in chunks of 50 and of 2 workers in chunks of 25:
    # bit-identical columns
    n = 100
    runs = [
        run_monte_carlo(legs.plan, n, chunk_size=30, scheduler="synchronous"),
        run_monte_carlo(legs.plan, n, chunk_size=50, workers=1),
        run_monte_carlo(legs.plan, n, chunk_size=25, workers=2),
    ]
    assert [r.workers for r in runs[1:]] == [1, 2]
    first = runs[0].table
    for other in runs[1:]:
        assert other.table.column_names == first.column_names
        for name in first.column_names:  # NaN where no landing: compared as equal
            np.testing.assert_array_equal(
                other.table.column(name).to_numpy(zero_copy_only=False),
                first.column(name).to_numpy(zero_copy_only=False),
                err_msg=name,
            )
