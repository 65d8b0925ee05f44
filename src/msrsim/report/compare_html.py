"""``compare.html``: campaigns overlaid on common axes (``msrsim compare --out``).

One self-contained page (plotly.js inline, as the mission report): the side-by-side table,
P(success) with its intervals and the paired differences, the tubes returned, the Earth
landing dates, the key dates of each computed schedule on one time axis, the top risk
drivers. Each figure draws every scenario in the same colour throughout.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

from msrsim.core.time import et_to_utc_iso
from msrsim.report.html import _CONFIG, _CSS, _e, _table, lay_out

__all__ = ["compare_report"]

_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")

_MILESTONES = (
    ("SRL launch period", "srl_launch_period"),
    ("ERO Mars orbit insertion", "ero_mars_orbit_insertion"),
    ("SRL landing", "srl_landing"),
    ("MAV launch deadline", "mav_launch_deadline"),
    ("samples on Earth (planned)", "earth_arrival_planned"),
)
"""The schedule figure's milestones: label, key of :meth:`Comparison.metrics` (each
scenario's own schedule, whatever published plan it is set beside)."""


def _figure(fig, div: str, height: int = 420) -> str:
    import plotly.io as pio

    lay_out(fig, height)
    return pio.to_html(
        fig, include_plotlyjs=False, full_html=False, div_id=div, config=_CONFIG,
        default_width="100%", default_height=f"{height}px",
    )  # fmt: skip


def _column(run, name: str) -> np.ndarray:
    return run.trials.column(name).to_numpy(zero_copy_only=False)


def _success_figure(comparison) -> str:
    import plotly.graph_objects as go

    metrics = comparison.metrics()
    labels = list(comparison.labels)
    p = [metrics[k]["probability_of_success"] for k in labels]
    low = [metrics[k]["probability_of_success_ci_low"] for k in labels]
    high = [metrics[k]["probability_of_success_ci_high"] for k in labels]
    fig = go.Figure(
        go.Bar(
            x=labels, y=p, marker_color=list(_PALETTE[: len(labels)]),
            error_y={"type": "data", "symmetric": False,
                     "array": [h - v for h, v in zip(high, p, strict=True)],
                     "arrayminus": [v - lo for v, lo in zip(p, low, strict=True)]},
            hovertemplate="%{x}: %{y:.3f}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        title="P(success) with its 95 % interval (Wilson)",
        yaxis={"title": "probability that samples land on Earth", "range": [0, 1]},
    )
    return _figure(fig, "plot-success")


def _tubes_figure(comparison) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for k, (label, run) in enumerate(zip(comparison.labels, comparison.runs, strict=True)):
        tubes = _column(run, "tubes_returned").astype(int)
        counts = np.bincount(tubes, minlength=int(tubes.max(initial=0)) + 1) / max(tubes.size, 1)
        fig.add_trace(
            go.Bar(x=np.arange(counts.size), y=counts, name=label, marker_color=_PALETTE[k % 7],
                   opacity=0.75)
        )  # fmt: skip
    fig.update_layout(
        title="Tubes returned per trial (0: the relay failed)", barmode="group",
        xaxis={"title": "tubes returned"}, yaxis={"title": "fraction of trials"},
    )  # fmt: skip
    return _figure(fig, "plot-tubes")


def _landing_figure(comparison) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for k, (label, run) in enumerate(zip(comparison.labels, comparison.runs, strict=True)):
        et = _column(run, "earth_landing_et").astype(float)
        ok = _column(run, "success").astype(bool) & np.isfinite(et)
        if not ok.any():
            continue
        days = [d[:10] for d in et_to_utc_iso(et[ok])]
        fig.add_trace(
            go.Histogram(x=days, name=label, marker_color=_PALETTE[k % 7], opacity=0.7,
                         histnorm="probability")
        )  # fmt: skip
    fig.update_layout(
        title="Earth landing dates of the successful trials", barmode="overlay",
        xaxis={"title": "UTC"}, yaxis={"title": "fraction of successful trials"},
    )  # fmt: skip
    return _figure(fig, "plot-landing")


def _first_day(computed: str) -> str | None:
    """The first ISO date in a computed value (``2028-06-22 to 2028-07-12``)."""
    head = computed.split(" ")[0]
    try:
        _dt.date.fromisoformat(head)
    except ValueError:
        return None
    return head


def _schedule_figure(comparison) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    names = [m[0] for m in _MILESTONES]
    metrics = comparison.metrics()
    for k, label in enumerate(comparison.labels):
        days = [_first_day(metrics[label][key]) for _, key in _MILESTONES]
        fig.add_trace(
            go.Scatter(x=days, y=names, mode="markers+lines", name=label,
                       marker={"size": 11, "color": _PALETTE[k % 7]},
                       line={"color": _PALETTE[k % 7], "width": 1, "dash": "dot"})
        )  # fmt: skip
    fig.update_layout(
        title="Each computed schedule on one time axis", xaxis={"title": "UTC"},
        yaxis={"autorange": "reversed"},
    )  # fmt: skip
    return _figure(fig, "plot-schedule")


def _drivers_figure(comparison) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for k, (label, run) in enumerate(zip(comparison.labels, comparison.runs, strict=True)):
        drivers = (run.drivers or {}).get("drivers", [])[:5]
        fig.add_trace(
            go.Bar(y=[d["driver"] for d in drivers], x=[d["swing"] for d in drivers],
                   orientation="h", name=label, marker_color=_PALETTE[k % 7])
        )  # fmt: skip
    fig.update_layout(
        title="Top risk drivers: swing of P(success) (halved to doubled)", barmode="group",
        xaxis={"title": "swing of P(success)"}, yaxis={"autorange": "reversed"},
    )  # fmt: skip
    return _figure(fig, "plot-drivers", height=480)


def compare_report(comparison) -> str:
    """The comparison page as one HTML document (plotly.js inline)."""
    from plotly.offline import get_plotlyjs

    rows = comparison.table()
    table = _table(rows[0], [[_e(c) for c in row] for row in rows[1:]])
    sections = [
        ("Side by side", table),
        ("P(success)", _success_figure(comparison)),
        ("Tubes returned", _tubes_figure(comparison)),
        ("Earth landing", _landing_figure(comparison)),
        ("Schedules", _schedule_figure(comparison)),
        ("Risk drivers", _drivers_figure(comparison)),
    ]
    body = "".join(
        f'<section id="section-{k}"><h2>{_e(title)}</h2>{inner}</section>'
        for k, (title, inner) in enumerate(sections)
    )
    subtitle = (
        f"{_e(', '.join(comparison.labels))} &middot; {comparison.trials:,} coupled trials "
        f"each, seed {comparison.seed} (trial i draws the same numbers in every campaign)"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>msrsim compare: {_e(' vs '.join(comparison.labels))}</title>"
        f"<style>{_CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        f"<header><h1>Mars Sample Return campaigns compared</h1><p>{subtitle}</p></header>"
        f"<main>{body}</main></body></html>\n"
    )
