"""The README's headline figures are produced by scripts/headline.py and still hold."""

import json

import pytest
from doc_scripts import load_script

headline = load_script("headline")


@pytest.fixture(scope="module")
def recorded():
    return json.loads(headline.HEADLINE.read_text(encoding="utf-8"))


def test_the_readme_block_is_the_rendering_of_the_recorded_run(recorded):
    text = headline.README.read_text(encoding="utf-8")
    assert headline.render(recorded) in text, "README headline block: run scripts/headline.py"


def test_the_first_trials_of_the_recorded_run_still_come_out_the_same(recorded):
    """Trials do not depend on the chunking, so the first trials of the recorded run can be
    flown alone: a change of any leg that changes one of them fails here."""
    from msrsim.campaign.chain import fly_chunk
    from msrsim.campaign.runner import campaign_legs
    from msrsim.scenario import baseline

    plan = campaign_legs(baseline()).plan
    assert plan.seed == recorded["seed"]
    out = fly_chunk(plan, 0, headline.CHECK_TRIALS)
    got = {"failure": out["failure"].tolist(), "tubes_returned": out["tubes_returned"].tolist()}
    assert got == recorded["first_trials"], "the code drifted: run scripts/headline.py again"
