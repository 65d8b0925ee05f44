"""The Sobol ranking of the hardware failure probabilities on the baseline's coupled
trials (campaign.runner.sobol_drivers), against the one-at-a-time tornado of the same
trials, and through ``msrsim run --drivers sobol``."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from msrsim.campaign.chain import fly_chunk
from msrsim.campaign.runner import campaign_legs, risk_drivers, sobol_drivers
from msrsim.cli import app
from msrsim.scenario import baseline

TRIALS = 400


@pytest.fixture(scope="module")
def flown():
    plan = campaign_legs(baseline()).plan
    columns = fly_chunk(plan, 0, TRIALS)
    columns["trial"] = np.arange(TRIALS)
    return columns, plan


def test_sobol_agrees_with_the_tornado_and_the_model_is_nearly_additive(flown):
    """Independent small failure chances multiply: P(success) is nearly additive in
    their logarithms, so the first-order indices sum to nearly 1 and each total index is
    its first-order one within the intervals; the largest total index is the tornado's
    largest swing."""
    columns, plan = flown
    found = sobol_drivers(columns, plan, samples=512)
    ranked = found["probability_of_success"]
    assert found["points"] == 512 * (len(plan.failure_probability) + 2)
    first = np.array([r["first_order"] for r in ranked])
    total = np.array([r["total"] for r in ranked])
    assert 0.85 < first.sum() < 1.1
    assert np.all(np.abs(total - first) < 0.05)
    tornado = risk_drivers(columns, plan)["drivers"]
    hardware = [d for d in tornado if d["driver"].endswith(" failure probability")]
    assert ranked[0]["input"] == hardware[0]["driver"].removesuffix(" failure probability")


def test_run_prints_the_sobol_ranking_when_asked():
    result = CliRunner().invoke(
        app, ["run", "--trials", "100", "--scheduler", "synchronous", "--drivers", "sobol",
              "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    sobol = data["sobol_drivers"]
    assert sobol["trials"] == 100 and sobol["factor"] == 2.0
    assert {r["input"] for r in sobol["probability_of_success"]} == set(baseline_probabilities())
    result = CliRunner().invoke(app, ["run", "--trials", "10", "--drivers", "morris"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def baseline_probabilities():
    from msrsim.campaign.plan import failure_probabilities

    return {k for k, p in failure_probabilities(baseline()).items() if p > 0}
