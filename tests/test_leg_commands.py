"""The leg commands share the campaign's legs cache: by default each shows the campaign's
own leg, on its upstream legs' hand-offs (after ``msrsim run``, read from the cache without
flying anything); ``--standalone`` flies the typed-input leg; the output says which."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from msrsim.campaign import nominal
from msrsim.campaign import schedule as planner
from msrsim.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def run_json():
    result = invoke("run", "--trials", "10", "--json")  # the legs; the trials do not enter
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def flights(monkeypatch):
    """The legs flown (each leg's flight and the schedule's planner counted)."""
    flown: list[str] = []
    plan = planner._plan

    def counted_plan(*args, **kwargs):
        flown.append("schedule")
        return plan(*args, **kwargs)

    monkeypatch.setattr(planner, "_plan", counted_plan)
    monkeypatch.setattr(planner, "_MEMO", {})  # read from disk, as a new process would
    for name, fly in list(nominal.FLIGHTS.items()):

        def counted(*args, _name=name, _fly=fly):
            flown.append(_name)
            return _fly(*args)

        monkeypatch.setitem(nominal.FLIGHTS, name, counted)
    return flown


@pytest.mark.parametrize(
    ("command", "legs"),
    [("edl", [2]), ("surface", [3]), ("ascent", [4]), ("rendezvous", [5, 6]), ("entry", [7, 8])],
)
def test_after_run_a_leg_command_shows_the_campaigns_leg_flying_none(
    run_json, flights, command, legs
):
    result = invoke(command, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["mode"] == "campaign"
    for leg in legs:
        for part, values in run_json["legs"][leg]["summary"].items():
            assert data[part] == values, (command, part)
    assert flights == []


def test_ero_reads_the_cached_schedule(run_json, flights):
    result = invoke("ero", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["mode"] == "campaign"
    assert flights == []


def test_trials_refly_that_leg_alone_on_the_campaigns_hand_offs(run_json, flights):
    result = invoke("rendezvous", "--trials", "4", "--json")  # a count no other test asks
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["capture"]["trials"] == 4 and data["mode"] == "campaign"
    assert flights == ["rendezvous"]


def test_standalone_flies_the_typed_inputs_and_says_so(run_json, flights):
    result = invoke("rendezvous", "--standalone", "--trials", "3", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["mode"] == "standalone"
    assert "rendezvous" not in flights  # not the campaign's leg: flown outside the cache
    text = invoke("rendezvous", "--standalone", "--trials", "3").output
    assert "standalone: flown alone from typed inputs" in text
    text = invoke("edl").output
    assert "the campaign's leg, as msrsim run flies it" in text
