"""The README's headline figures, produced from a run of the baseline campaign.

``python scripts/headline.py`` runs ``msrsim.run_campaign`` on the built-in baseline
(``TRIALS`` coupled trials, the scenario's seed), writes ``docs/headline.json`` and
rewrites the README's block between ``<!-- headline:start -->`` and
``<!-- headline:end -->``. ``tests/test_readme_headline.py`` fails when the README's block
is not the rendering of ``docs/headline.json``, or when the first ``CHECK_TRIALS`` trials
no longer come out as recorded there (the code drifted: run this script again).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADLINE = ROOT / "docs" / "headline.json"
README = ROOT / "README.md"
TRIALS = 2000
CHECK_TRIALS = 100
START, END = "<!-- headline:start -->", "<!-- headline:end -->"


def first_trials_digest(trials) -> dict:
    """What the first ``CHECK_TRIALS`` trials came out as: failure codes and tubes."""
    head = trials.slice(0, CHECK_TRIALS)
    return {
        "failure": [int(x) for x in head.column("failure").to_pylist()],
        "tubes_returned": [int(x) for x in head.column("tubes_returned").to_pylist()],
    }


def render(h: dict) -> str:
    """The README block from ``docs/headline.json``."""
    mc, drivers = h["monte_carlo"], h["risk_drivers"]
    low, high = mc["probability_of_success_ci_low"], mc["probability_of_success_ci_high"]
    tubes, tubes_low, tubes_high = (
        mc[f"expected_tubes_returned{s}"] for s in ("", "_ci_low", "_ci_high")
    )
    causes = ", ".join(
        f"{name.replace('_', ' ')} {100 * p:.1f} %"
        for name, p in list(mc["failure_causes"].items())[:5]
    )
    top = "; ".join(f"{d['driver']} (swing {d['swing']:.3f})" for d in drivers["drivers"][:3])
    dates = "\n".join(f"| {m['name']} | {m['utc'][:10]} | {m['basis']} |" for m in h["timeline"])
    years = ", ".join(f"{y}: {100 * p:.1f} %" for y, p in mc["earth_landing_year"].items())
    return f"""{START}
Over {mc["trials"]:,} coupled campaigns (each flying the whole relay from its own previous
leg; `python scripts/headline.py` produced these figures, and a test fails when the code
drifts from them) the samples come home with probability
**{mc["probability_of_success"]:.3f}** (95 %: {low:.3f}-{high:.3f}), bringing
{tubes:.1f} tubes on average ({tubes_low:.1f}-{tubes_high:.1f};
{mc["tubes_returned_if_success_median"]:.0f} in the median when
they come), the selected set with probability {mc["probability_selected_set_returned"]:.3f};
they land in {years}. What fails: {causes}. The largest risk drivers: {top}.

| milestone (nominal relay) | UTC | basis |
|---|---|---|
{dates}
{END}"""


def main() -> None:
    import msrsim

    run = msrsim.run_campaign(trials=TRIALS, scheduler="synchronous")
    data = run.to_dict()
    headline = {
        "trials": TRIALS,
        "seed": run.legs.plan.seed,
        "monte_carlo": data["monte_carlo"],
        "risk_drivers": data["risk_drivers"],
        "timeline": [
            {"name": m["name"], "utc": m["utc"], "basis": m["source"].split(":")[0]}
            for m in data["milestones"]
        ],
        "first_trials": first_trials_digest(run.trials),
    }
    headline["monte_carlo"].pop("wall_s", None)
    HEADLINE.write_text(json.dumps(headline, indent=1) + "\n", encoding="utf-8")
    text = README.read_text(encoding="utf-8")
    block = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not block.search(text):
        sys.exit(f"{README}: no {START} ... {END} block to fill")
    README.write_text(block.sub(lambda _: render(headline), text), encoding="utf-8")
    print(f"wrote {HEADLINE} and the README's headline block")


if __name__ == "__main__":
    main()
