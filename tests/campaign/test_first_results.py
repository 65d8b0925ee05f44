"""First results before the trials: ``run_campaign(legs_ready=...)`` hands over the nominal
relay (timeline, legs, checks) once, before the Monte Carlo runs, whether the legs are
flown or read from the cache; ``fly_nominal(flown=...)`` hands it over before the coupled
plans are made, and it is the relay of the finished result."""

import dataclasses
import sys

import pytest
from typer.testing import CliRunner

from msrsim import api, cli
from msrsim.campaign import runner
from msrsim.campaign.nominal import fly_nominal
from msrsim.campaign.outcomes import CampaignResult
from msrsim.scenario import baseline


@pytest.fixture(scope="module")
def legs():
    """The baseline's legs, flown once for the session's cache."""
    return runner.campaign_legs(baseline())


def test_the_relay_is_handed_over_before_the_plans_and_is_the_result_s(legs):
    handed = []
    result = fly_nominal(baseline(), flown=handed.append)  # legs read from their entries
    assert len(handed) == 1
    relay = handed[0]
    assert isinstance(relay, CampaignResult)
    assert relay.plan is None and result.plan is not None
    assert dataclasses.replace(result, plan=None) == relay
    assert relay.milestones == legs.milestones
    assert relay.checks == legs.checks


@pytest.mark.parametrize("cached", [False, True])
def test_legs_ready_comes_once_and_before_the_trials(legs, monkeypatch, cached):
    events = []
    monte_carlo = runner.run_monte_carlo

    def recorded(*args, **kwargs):
        events.append("trials")
        return monte_carlo(*args, **kwargs)

    monkeypatch.setattr(runner, "run_monte_carlo", recorded)
    if not cached:  # the campaign's entry missed: the legs are "flown" (read per leg)
        monkeypatch.setattr(runner, "_from_cache", lambda folder, fingerprint: None)
    run = api.run_campaign(
        baseline(),
        trials=3,
        scheduler="synchronous",
        drivers=False,
        legs_ready=lambda relay: events.append(("legs", relay.milestones)),
    )
    assert events == [("legs", legs.milestones), "trials"]
    assert run.summary["trials"] == 3


def test_msrsim_run_prints_the_timeline_before_the_trials(legs, monkeypatch):
    seen = []
    monte_carlo = runner.run_monte_carlo

    def recorded(*args, **kwargs):
        sys.stdout.flush()  # the runner's stdout: what the command printed so far
        seen.append(sys.stdout.buffer.getvalue().decode())
        return monte_carlo(*args, **kwargs)

    monkeypatch.setattr(runner, "run_monte_carlo", recorded)
    outputs = {}
    for early in (True, False):  # on a terminal; into a pipe (the whole report at the end)
        monkeypatch.setattr(cli, "_first_results_early", lambda early=early: early)
        result = CliRunner().invoke(cli.app, ["run", "--trials", "3", "--scheduler", "synchronous"])
        assert result.exit_code == 0, result.output
        outputs[early] = result.output
    early, late = seen
    assert "Timeline:" in early and "Constraint checks" in early
    assert "campaign Monte Carlo" not in early
    assert late == ""
    nominal = [o.split("campaign Monte Carlo")[0] for o in outputs.values()]
    assert nominal[0] == nominal[1]  # the same report, only sooner
    assert outputs[True].count("Timeline:") == 1
    assert "campaign Monte Carlo" in outputs[True]
