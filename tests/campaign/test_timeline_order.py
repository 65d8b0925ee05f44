"""The run's timeline in the order things happen, for every packaged scenario.

The timeline (``msrsim run``, the report's timeline) lists the relay's dated milestones by
date; read along each chain of cause and effect -- the SRL from its launch to the samples'
landing on Earth, the ERO from its launch to its arrival at Earth, a launch within its
window, the MAV before its deadline -- no milestone may come before one it follows from.
(A milestone dated on the porkchop's day grid, the SRL's arrival at 00:00 of the day after
its flown touchdown, broke the first chain.)

Cheap: the baseline's legs as the other tests fly them (read from the session's cache), the
other scenarios' flown with the fewest Monte Carlo trials they allow (the nominal cases
date the milestones; the trials only spread them), and the coupled plans not made at all.
"""

import re
from itertools import pairwise

import pytest
from whatif import FEW_TRIALS

from msrsim.campaign.nominal import fly_nominal
from msrsim.scenario import BASELINE_NAME, canonical_name, load_scenario, packaged_names

CHAINS = {
    "the SRL to the samples on Earth": (
        "SRL launch period opens", "SRL arrives at Mars|SRL entry interface at Mars",
        "SRL touchdown at ", "SRL landing$", "MAV ready to launch", "MAV launch from ",
        "Orbiting Sample released", "ERO detects the Orbiting Sample",
        "ERO captures the Orbiting Sample", "ERO leaves the rendezvous orbit",
        "ERO escapes Mars", "EES released", "EES entry interface", "EES lands",
    ),
    "the ERO": (
        "ERO launch$", "ERO Mars orbit insertion", "ERO in the rendezvous orbit",
        "ERO detects the Orbiting Sample", "ERO captures the Orbiting Sample",
        "ERO leaves the rendezvous orbit", "ERO escapes Mars", "EES released", "ERO divert",
        "ERO arrives at Earth",
    ),
    "the ERO's launch in its window": (
        "ERO launch window opens", "ERO launch$", "ERO launch window closes",
    ),
    "the SRL's launch period in its window": (
        "SRL launch window opens", "SRL launch period opens", "SRL launch window closes",
    ),
    "the MAV before its deadline": ("MAV launch from ", "MAV launch deadline"),
}  # fmt: skip
"""Each chain's milestones (regular expressions matched at the start of the name), in the
order they must happen; a milestone may share its epoch with the one before it."""


class _Flown(Exception):
    """Raised by :func:`fly_nominal`'s ``flown`` hook: the relay is in, skip the plans."""


def _timeline(name: str):
    def stop(result):
        raise _Flown(result)

    with pytest.raises(_Flown) as flown:
        fly_nominal(
            load_scenario(name, None if name == canonical_name(BASELINE_NAME) else FEW_TRIALS),
            flown=stop,
        )
    return flown.value.args[0].milestones


SCENARIOS = sorted({canonical_name(name) for name in packaged_names()})


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_timeline_follows_cause_and_effect(name):
    dated = [m for m in _timeline(name) if len(m.utc) > 4]  # not the published years
    assert {m.name for m in dated} >= {"SRL launch period opens", "ERO launch", "EES released"}
    for m in dated:  # every dated milestone has its place in the order
        assert any(re.match(p, m.name) for chain in CHAINS.values() for p in chain), m.name
    for chain_name, chain in CHAINS.items():
        on = sorted(
            (step, m.utc, m.name)
            for m in dated
            for step, pattern in enumerate(chain)
            if re.match(pattern, m.name)
        )
        for (step, utc, what), (next_step, next_utc, then) in pairwise(on):
            if next_step > step:
                assert utc <= next_utc, f"{chain_name}: {what} {utc} after {then} {next_utc}"
