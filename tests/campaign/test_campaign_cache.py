"""The per-scenario cache of leg Monte Carlo results: keyed by every scenario value (and
nothing else), stored atomically as Parquet, recomputed when damaged or outdated."""

from __future__ import annotations

import datetime as dt
import tomllib

import numpy as np
import pytest

from msrsim.campaign import cache
from msrsim.campaign.cache import cache_dir, cached_table, scenario_fingerprint
from msrsim.scenario import Section, baseline, baseline_text, parse_scenario


@pytest.fixture(scope="module")
def scenario():
    return baseline()


def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(seconds=1)
    if isinstance(value, list):
        return [_changed(value[0]), *value[1:]] if value else [1.0]
    raise TypeError(type(value))


def _with(section: Section, path: list[str], value) -> Section:
    """A copy of ``section`` with the value at ``path`` replaced (no validation)."""
    head = path[0]
    if len(path) == 1:
        return section.model_copy(update={head: value})
    return section.model_copy(update={head: _with(getattr(section, head), path[1:], value)})


NOT_FLOWN = {"scenario.name", "scenario.description", "scenario.cost_range_busd",
             "campaign.trials", "campaign.chunk_size"}  # fmt: skip
"""Values no leg reads: labels, the published cost (metadata), and the coupled Monte
Carlo's size (passed like --trials)."""


def test_every_value_a_leg_reads_changes_the_fingerprint(scenario):
    base = scenario_fingerprint(scenario)
    seen = {base}
    leaves = scenario.leaves()
    assert len(leaves) > 100
    for path, value, _ in leaves:
        fingerprint = scenario_fingerprint(_with(scenario, path.split("."), _changed(value)))
        if path in NOT_FLOWN:
            assert fingerprint == base, path
        else:
            assert fingerprint not in seen, path
        seen.add(fingerprint)
    assert scenario_fingerprint(baseline()) == base  # and it is stable


def _strip(data):
    """The TOML document with every ``{value, source, representative}`` made bare."""
    if isinstance(data, dict):
        if "value" in data and set(data) <= {"value", "source", "representative"}:
            return data["value"]
        return {k: _strip(v) for k, v in data.items()}
    return data


def test_provenance_does_not_enter_the_fingerprint(scenario):
    bare = parse_scenario(_strip(tomllib.loads(baseline_text())))
    assert any(p is not None for _, _, p in scenario.leaves())
    # (a value the file leaves to its default is labelled so, bare or not)
    assert all(p is None or p.source == "msrsim default" for _, _, p in bare.leaves())
    assert scenario_fingerprint(bare) == scenario_fingerprint(scenario)


def test_version_enters_the_fingerprint(scenario, monkeypatch):
    base = scenario_fingerprint(scenario)
    monkeypatch.setattr(cache, "__version__", "999.0")
    assert scenario_fingerprint(scenario) != base


def test_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("MSRSIM_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("MSRSIM_CACHE_DIR")
    monkeypatch.setattr(cache.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "msrsim"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "msrsim"


class Compute:
    def __init__(self, n=10_000):
        self.calls = 0
        self.n = n

    def __call__(self):
        self.calls += 1
        rng = np.random.default_rng(1)
        return {
            "dv_m_s": rng.normal(4000, 50, self.n),
            "ok": rng.random(self.n) < 0.9,
            "tubes": rng.integers(0, 30, self.n),
        }


def test_cached_table_hit_miss_and_invalidation(scenario, tmp_path, monkeypatch):
    monkeypatch.setenv("MSRSIM_CACHE_DIR", str(tmp_path))
    compute = Compute()
    first = cached_table(scenario, "ascent", compute)
    second = cached_table(scenario, "ascent", compute)
    assert compute.calls == 1
    expected = Compute()()
    for name in expected:
        np.testing.assert_array_equal(first[name], expected[name])
        np.testing.assert_array_equal(second[name], first[name])
        assert second[name].dtype == expected[name].dtype
    folder = tmp_path / scenario_fingerprint(scenario)
    assert sorted(p.name for p in folder.iterdir()) == [
        "ascent.parquet",
        "ascent.parquet.sha256.json",
        "scenario.json",
    ]

    # Another scenario value: another folder, computed again.
    other = _with(
        scenario, ["mav", "gross_liftoff_mass_kg"], scenario.mav.gross_liftoff_mass_kg + 1
    )
    cached_table(other, "ascent", compute)
    assert compute.calls == 2
    # Another model version: recomputed, then cached under it.
    cached_table(scenario, "ascent", compute, version="2")
    cached_table(scenario, "ascent", compute, version="2")
    assert compute.calls == 3
    # A damaged file: recomputed and rewritten.
    (folder / "ascent.parquet").write_bytes(b"garbage")
    again = cached_table(scenario, "ascent", compute, version="2")
    assert compute.calls == 4
    np.testing.assert_array_equal(again["dv_m_s"], expected["dv_m_s"])
    cached_table(scenario, "ascent", compute, version="2")
    assert compute.calls == 4
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temp files left


def test_cached_table_explicit_directory_and_errors(scenario, tmp_path):
    compute = Compute(5)
    cached_table(scenario, "edl", compute, tmp_path)
    assert (tmp_path / scenario_fingerprint(scenario) / "edl.parquet").exists()
    with pytest.raises(ValueError, match="cached table name"):
        cached_table(scenario, "../evil", compute, tmp_path)
    with pytest.raises(ValueError, match="differ in length"):
        cached_table(scenario, "bad", lambda: {"a": np.zeros(3), "b": np.zeros(4)}, tmp_path)
    with pytest.raises(ValueError, match="1-D"):
        cached_table(scenario, "bad", lambda: {"a": np.zeros((3, 2))}, tmp_path)


def test_the_legs_fingerprint_leaves_out_only_the_judged_reliability(scenario):
    """The legs cache's fingerprint: every hardware failure probability left out (they
    judge the flown trials), every other value in (the scrub probability and the ERO's
    extension are flown: the launch leg, the schedule)."""
    from msrsim.campaign.plan import JUDGED_AFTER_FLIGHT, failure_probabilities

    exclude = {"reliability": JUDGED_AFTER_FLIGHT}
    base = scenario_fingerprint(scenario, exclude)
    reliability = {p for p, _, _ in scenario.leaves() if p.startswith("reliability.")}
    assert {f"reliability.{k}" for k in JUDGED_AFTER_FLIGHT} < reliability
    for path, value, _ in scenario.leaves():
        if not path.startswith("reliability."):
            continue
        changed = scenario_fingerprint(_with(scenario, path.split("."), _changed(value)), exclude)
        assert (changed == base) == (path.split(".")[1] in JUDGED_AFTER_FLIGHT), path
    # and they are exactly what failure_probabilities reads: changing any other value of
    # [reliability] leaves the probabilities as they were
    probabilities = failure_probabilities(scenario)
    for path, value, _ in scenario.leaves():
        if path.startswith("reliability.") and path.split(".")[1] not in JUDGED_AFTER_FLIGHT:
            changed = _with(scenario, path.split("."), _changed(value))
            assert failure_probabilities(changed) == probabilities, path


def test_a_reliability_edit_flies_no_leg_and_judges_with_its_own_figures(monkeypatch):
    """Issue 21: editing one reliability value re-flies no leg; the plan read from the
    cache carries the edited scenario's failure probabilities."""
    from msrsim.campaign import runner
    from msrsim.scenario import load_scenario

    runner.campaign_legs(baseline())  # the baseline's legs in the cache

    def no_flight(scenario):
        raise AssertionError("a leg was flown again")

    monkeypatch.setattr(runner, "fly_nominal", no_flight)
    edited = load_scenario(None, {"reliability.mav_success": 0.9})
    legs = runner.campaign_legs(edited)
    assert legs.plan.failure_probability["mav"] == pytest.approx(0.1)
    assert runner.campaign_legs(baseline()).plan.failure_probability["mav"] == pytest.approx(0.05)
