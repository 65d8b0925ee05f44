"""The README's comparison of the architectures is produced by scripts/architectures.py
from a real ``compare`` run, and still holds."""

import hashlib
import json

import pytest
from doc_scripts import load_script

architectures = load_script("architectures")


@pytest.fixture(scope="module")
def recorded():
    return json.loads(architectures.RECORD.read_text(encoding="utf-8"))


def test_the_record_is_a_compare_run_of_the_five_architectures(recorded):
    assert tuple(recorded["scenarios"]) == architectures.SCENARIOS
    assert recorded["trials"] == architectures.TRIALS
    assert set(recorded["metrics"]) == set(architectures.SCENARIOS)
    for label, m in recorded["metrics"].items():
        low, p, high = (
            m["probability_of_success_ci_low"],
            m["probability_of_success"],
            m["probability_of_success_ci_high"],
        )
        assert 0.0 < low < p < high < 1.0, label
    assert [d["scenario"] for d in recorded["differences"]] == list(architectures.SCENARIOS[1:])


def test_the_readme_block_is_the_rendering_of_the_recorded_run(recorded):
    text = architectures.README.read_text(encoding="utf-8")
    assert architectures.render(recorded) in text, "README: run scripts/architectures.py"


def test_the_figure_was_drawn_from_the_recorded_run(recorded):
    svg = architectures.FIGURE.read_text(encoding="utf-8")
    digest = hashlib.sha256(architectures.json_text(recorded).encode("utf-8")).hexdigest()
    assert f"docs/architectures.json sha256 {digest}" in svg, "run scripts/architectures.py"
    for label in architectures.SCENARIOS:
        assert label in svg


@pytest.mark.parametrize("label", architectures.SCENARIOS)
def test_the_computed_key_dates_still_come_out_as_recorded(recorded, label):
    """The schedule is planned alone (seconds, no leg flown): a change of the planner or of
    the scenario that moves a key date or a published-plan verdict fails here."""
    from msrsim.api import load_scenario

    got = architectures.key_dates(load_scenario(label))
    assert got == recorded["key_dates"][label], "the code drifted: run scripts/architectures.py"
    dates = {k: recorded["metrics"][label][k] for k in got["dates"]}
    assert dates == got["dates"]
