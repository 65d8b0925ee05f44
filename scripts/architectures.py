"""The README's comparison of the architectures after 2022, produced from a ``compare`` run.

``python scripts/architectures.py`` runs :func:`msrsim.compare` on the five packaged
architectures (``SCENARIOS``, ``TRIALS`` coupled trials each, one seed: the first
scenario's), then writes

- ``docs/architectures.json``: each scenario's metrics as ``msrsim compare --json`` gives
  them, the paired differences, and each computed schedule set beside the scenario's own
  published plan (:func:`msrsim.campaign.published.compare`: met, or missed by how much);
- ``docs/img/architectures.svg``: one figure drawn from that file alone (matplotlib), the
  campaigns overlaid: P(success) with its 95 % interval, and each computed schedule on
  one time axis; its description holds the SHA-256 of the JSON it was drawn from;
- the README's block between ``<!-- architectures:start -->`` and
  ``<!-- architectures:end -->``, rendered from the JSON (:func:`render`).

``python scripts/architectures.py --from-record`` draws the figure and fills the README
again from the recorded JSON, without running anything.
``tests/test_readme_architectures.py`` fails when the README's block is not the rendering
of the recorded JSON, when the figure was not drawn from it, or when a scenario's computed
key dates no longer come out as recorded (the code or a scenario drifted: run this script
again).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "docs" / "architectures.json"
FIGURE = ROOT / "docs" / "img" / "architectures.svg"
README = ROOT / "README.md"
SCENARIOS = (
    "baseline-2022",
    "skycrane-2025",
    "commercial-lander-2025",
    "commercial-relay-3launch",
    "tianwen3",
)
TRIALS = 1000
START, END = "<!-- architectures:start -->", "<!-- architectures:end -->"
MILESTONES = (
    ("SRL launch period", "srl_launch_period"),
    ("ERO at Mars", "ero_mars_orbit_insertion"),
    ("SRL landing", "srl_landing"),
    ("MAV deadline", "mav_launch_deadline"),
    ("samples on Earth", "earth_arrival_planned"),
)
"""The key dates of each computed schedule: label, key of the compare metrics."""
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def key_dates(scenario) -> dict:
    """A scenario's computed key dates (as ``msrsim compare`` shows them) and its schedule
    beside its own published plan: each fact met, or missed by how much."""
    from msrsim.campaign.published import PUBLISHED_PLANS, compare
    from msrsim.campaign.schedule import plan_schedule
    from msrsim.comparison import _computed_dates  # the dates compare's table shows

    rows = compare(plan_schedule(scenario), PUBLISHED_PLANS[scenario.scenario.published_plan])
    return {
        "dates": _computed_dates(scenario),
        "published_plan": scenario.scenario.published_plan,
        "against_published": [
            {
                "what": r.what,
                "published": r.published,
                "computed": r.computed,
                "met": r.met,
                "outside": r.outside,
                "unit": r.unit,
            }
            for r in rows
        ],
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _verdict(row: dict) -> str:
    if row["met"]:
        return "met"
    if row["unit"] == "years":
        side = "short" if row["outside"] < 0 else "long"
        return f"**missed**, {abs(row['outside']):.2f} years {side}"
    side = "early" if row["outside"] < 0 else "late"
    return f"**missed**, {abs(row['outside']):.0f} {row['unit']} {side}"


def render(record: dict) -> str:
    """The README block from ``docs/architectures.json``."""
    labels = record["scenarios"]
    m = record["metrics"]
    head = "| | " + " | ".join(f"`{k}`" for k in labels) + " |"
    rule = "|---" * (len(labels) + 1) + "|"

    def row(name, cell):
        return f"| {name} | " + " | ".join(cell(m[k]) for k in labels) + " |"

    def dv(x):
        return "-" if x["mav_delta_v_margin_m_s"] is None else f"{x['mav_delta_v_margin_m_s']:.0f}"

    table = [
        head,
        rule,
        row(
            "P(success), 95 %",
            lambda x: (
                f"**{x['probability_of_success']:.3f}** "
                f"({x['probability_of_success_ci_low']:.3f}-{x['probability_of_success_ci_high']:.3f})"
            ),
        ),
        "| minus the first's (same trials) | - | "
        + " | ".join(
            f"{d['probability_of_success_difference']:+.3f}" for d in record["differences"]
        )
        + " |",
        row("tubes returned, mean", lambda x: f"{x['expected_tubes_returned']:.1f}"),
        row("Earth landing, median", lambda x: x["earth_landing_median"][:10]),
        row("MAV delta-v margin (m/s)", dv),
        row("published cost ($B)", lambda x: x["published_cost_billion_usd"] or "-"),
        *(row(name, lambda x, _k=key: x[_k]) for name, key in MILESTONES),
    ]
    plans = []
    for label in labels:
        facts = record["key_dates"][label]["against_published"]
        missed = [f for f in facts if not f["met"]]
        plans.append(
            f"- `{label}` ({record['key_dates'][label]['published_plan']}): "
            + "; ".join(
                f"{f['what']} {f['computed']} (published {f['published']}: {_verdict(f)})"
                for f in facts
            )
            + ("." if not missed else f". {len(missed)} of {len(facts)} missed.")
        )
    figure = FIGURE.relative_to(ROOT).as_posix()
    return f"""{START}
The architectures after 2022 side by side: `msrsim compare {" ".join(labels)}
--trials {record["trials"]:,}` (seed {record["seed"]}: trial i draws the same numbers in every
campaign). `python scripts/architectures.py` produced this table, the figure and
`docs/architectures.json`; a test fails when the README drifts from them or the computed
dates from the code.

{chr(10).join(table)}

Each computed schedule beside its own published plan (a date outside it is named with
the days by which it misses):

{chr(10).join(plans)}

![P(success) and the computed schedules of the five architectures]({figure})
{END}"""


def draw(record: dict) -> str:
    """The figure (SVG text) from ``docs/architectures.json`` alone: P(success) with its
    95 % interval beside each computed schedule on one time axis, one colour a scenario."""
    import datetime as dt

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = record["scenarios"]
    m = record["metrics"]
    with plt.rc_context({"svg.hashsalt": "msrsim", "svg.fonttype": "none", "font.size": 9}):
        fig, (left, right) = plt.subplots(
            1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1, 2.2]}
        )
        for k, label in enumerate(labels):
            x = m[label]
            p = x["probability_of_success"]
            err = [
                [p - x["probability_of_success_ci_low"]],
                [x["probability_of_success_ci_high"] - p],
            ]
            left.bar(k, p, color=PALETTE[k % 5], yerr=err, capsize=4)
            days = [dt.date.fromisoformat(x[key].split(" ")[0]) for _, key in MILESTONES]
            rows = [i + 0.08 * (k - 2) for i in range(len(MILESTONES))]  # equal dates apart
            right.plot(days, rows, "o:", color=PALETTE[k % 5], label=label)
        left.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
        left.set_ylim(0, 1)
        left.set_ylabel("P(samples land on Earth)")
        left.set_title(f"P(success), 95 % interval ({record['trials']:,} trials)")
        right.set_yticks(range(len(MILESTONES)), [name for name, _ in MILESTONES])
        right.invert_yaxis()
        right.grid(axis="x", alpha=0.3)
        right.set_title("Each computed schedule on one time axis")
        right.legend(fontsize=8, loc="upper right")
        fig.tight_layout()
        out = io.StringIO()
        description = (
            "drawn by scripts/architectures.py from docs/architectures.json sha256 "
            + _digest(json_text(record))
        )
        fig.savefig(out, format="svg", metadata={"Date": None, "Description": description})
        plt.close(fig)
    return out.getvalue()


def json_text(record: dict) -> str:
    return json.dumps(record, indent=1) + "\n"


def main() -> None:
    import msrsim

    comparison = msrsim.compare(list(SCENARIOS), trials=TRIALS, scheduler="synchronous")
    data = comparison.to_dict()
    record = {
        **data,
        "key_dates": {
            label: key_dates(run.scenario)
            for label, run in zip(comparison.labels, comparison.runs, strict=True)
        },
    }
    record = json.loads(json_text(record))  # as the file holds it
    RECORD.write_text(json_text(record), encoding="utf-8")
    write_figure_and_readme(record)
    print(f"wrote {RECORD}, {FIGURE} and the README's architectures block")


def write_figure_and_readme(record: dict) -> None:
    """Draw the figure and fill the README's block from ``record`` (the JSON's content)."""
    FIGURE.write_text(draw(record), encoding="utf-8")
    text = README.read_text(encoding="utf-8")
    block = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not block.search(text):
        sys.exit(f"{README}: no {START} ... {END} block to fill")
    README.write_text(block.sub(lambda _: render(record), text), encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--from-record"]:  # the figure and README again, no run
        write_figure_and_readme(json.loads(RECORD.read_text(encoding="utf-8")))
    else:
        main()
