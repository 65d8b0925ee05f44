"""The relay's helper process (msrsim.campaign.prefetch): it starts only where it pays, and
the entries it makes are the ones the relay would make, read back by the relay."""

from __future__ import annotations

import pickle

import pytest

from msrsim.campaign import nominal, prefetch
from msrsim.campaign.launch import run_windows_leg
from msrsim.campaign.legcache import leg_keys, leg_path
from msrsim.campaign.outcomes import LEGS
from msrsim.campaign.schedule import srl_launch_period
from msrsim.scenario import load_scenario


@pytest.fixture
def empty_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("MSRSIM_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_it_starts_only_with_two_cpus_the_schedule_to_plan_and_work_to_do(empty_cache):
    scenario = load_scenario()
    keys = leg_keys(scenario)
    assert prefetch.start(scenario, keys, cpus=1) is None
    assert prefetch.start(scenario, leg_keys(scenario, "windows"), cpus=2) is None  # no schedule
    schedule = leg_path("schedule", keys["schedule"])
    schedule.parent.mkdir(parents=True)
    schedule.write_bytes(b"planned")  # the schedule is stored: nothing long to run beside
    assert prefetch.start(scenario, keys, cpus=2) is None
    schedule.unlink()
    for name in prefetch.AHEAD:  # every entry it would make is stored
        path = leg_path(name, keys[name])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"made")
    assert prefetch.start(scenario, keys, cpus=2) is None


def test_the_relay_reads_what_the_helper_made_equal_to_its_own(empty_cache, monkeypatch):
    # The helper, another process, makes the launch period and the launch windows leg under
    # the relay's keys; the relay then reads them (it would fail flying them) and they are
    # what this process makes, to the bit.
    scenario = load_scenario()
    helper = prefetch._spawn(scenario, ["launch_period", "windows"])
    assert helper._process.wait(timeout=300) == 0
    keys = leg_keys(scenario, "windows")
    assert all(leg_path(name, key).exists() for name, key in keys.items())

    def flown(*args):
        raise AssertionError("the relay flew an entry the helper had made")

    monkeypatch.setitem(nominal.FLIGHTS, "windows", flown)
    monkeypatch.setattr(nominal, "srl_launch_period", flown)
    read = nominal.nominal_legs(scenario, upto="windows")
    period = srl_launch_period(scenario)
    assert pickle.dumps(read["launch_period"]) == pickle.dumps(period)
    outcome, milestones, result = run_windows_leg(scenario, LEGS[0], period)
    assert read["windows"][0] == outcome and read["windows"][1] == milestones
    assert pickle.dumps(read["windows"][2]) == pickle.dumps(result)
