"""The ``msrsim`` command line.

Exit codes: 0 success; 1 a failure of msrsim itself (a short report on stderr, the
traceback only with ``MSRSIM_DEBUG=1``); 2 a user's input error (bad scenario, bad date,
bad option: one line naming the field or option, the value and what is allowed) or a
request that cannot be met (an ERO whose propellant does not close); 130 interrupted
(Ctrl-C or SIGTERM, at any moment; a run keeps its finished chunks). Every command takes
``--json``: its result as JSON on stdout, and an error as ``{"error": ...}`` there too.
Progress goes to stderr. Heavy modules (numpy, astropy) are imported inside the commands
so that ``msrsim --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from typer._click import ClickException, Context  # typer's own click, which it runs on
from typer.core import TyperGroup

_JSON_REQUESTED: ContextVar[bool] = ContextVar("msrsim_json", default=False)
"""Whether the command line being run asks for ``--json``."""


class _Commands(TyperGroup):
    """The ``msrsim`` group: notes whether ``--json`` was asked for, so that an error --
    an option that the parser refuses or an input msrsim refuses -- is printed as JSON."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        _JSON_REQUESTED.set("--json" in args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except ClickException as exc:
            if not _JSON_REQUESTED.get():
                raise
            _print_json({"error": exc.format_message()})
            raise typer.Exit(exc.exit_code) from None


HELP_SETTINGS = {"max_content_width": 120}
"""Help text reflowed to the terminal (at most 120 columns), never cut (click's own
formatter: option names in full, paragraphs wrapped once)."""

app = typer.Typer(
    name="msrsim",
    help="Plan and simulate the NASA/ESA Mars Sample Return campaign.\n\n"
    "Options mean the same in every command. --trials N (at least 3) and --seed S: the "
    "size and seed of the command's Monte Carlo (in the commands that draw at random). "
    "--plot DIR: "
    "draw the command's figures as PNG files into the folder DIR (created). --json: the "
    'result as JSON on stdout, an error as {"error": "..."} (exit 2). Progress (what is '
    "being flown, steps done, time left) goes to stderr when it is a terminal; --quiet "
    "turns it off, --progress sends it to a pipe or a log too. Spreads are the 1st "
    "percentile, median and 99th percentile (name_p01, name_median, name_p99); landing "
    "ellipses are given by their full axes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=_Commands,
    context_settings=HELP_SETTINGS,
)
scenario_app = typer.Typer(
    help="Check and show scenario files.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(scenario_app, name="scenario")
export_app = typer.Typer(
    help="Write the relay's trajectories as data products: CCSDS OEM files, a CZML "
    "document for Cesium. The legs are read from the cache when the scenario ran before.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(export_app, name="export")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


DATE = re.compile(r"\d{4}-\d\d-\d\d(?:T\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?")
"""A date or date-time as msrsim prints them (2030-08-26, 2030-08-26T12:00): one word,
never folded (a date and a time apart, 2030-08-26 12:00, may wrap between them)."""


class _Table(Table):
    """A table readable in a terminal of any width: light rules, so that the width goes to
    the values; a column never narrower than the longest date in it; and a word too long
    for its column folded onto the next line, never cut with an ellipsis."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("title_justify", "left")
        kwargs.setdefault("box", box.SIMPLE_HEAD)
        super().__init__(*args, **kwargs)

    def add_column(self, header="", *args, **kwargs) -> None:
        kwargs.setdefault("overflow", "fold")
        super().add_column(header, *args, **kwargs)

    def add_row(self, *cells, **kwargs) -> None:
        for column, cell in zip(self.columns, cells, strict=False):
            dates = DATE.findall(str(cell)) if isinstance(cell, str) else []
            if dates:
                column.min_width = max(column.min_width or 0, *map(len, dates))
        super().add_row(*cells, **kwargs)


USER_ERROR = 2
INTERNAL_ERROR = 1
INTERRUPTED = 130
MAX_TRIALS = 100_000_000
"""The most campaign trials one run may ask for (as the scenario's campaign.trials)."""
MAX_LEG_TRIALS = 10_000_000
"""The most trials of one leg's Monte Carlo (held in memory at once)."""
MIN_TRIALS = 3
"""The fewest trials of any Monte Carlo: a spread, an ellipse or a footprint needs three
(one gives no covariance; the entry footprint needs three capsules on the ground)."""


def _trials_option(help_text: str, most: int = MAX_LEG_TRIALS):
    """``--trials N``, at least :data:`MIN_TRIALS` in every command."""
    return Annotated[
        int | None,
        typer.Option("--trials", min=MIN_TRIALS, max=most, show_default=False, help=help_text),
    ]


def _plot_option(figures: str):
    """``--plot DIR``: the command's figures (``figures``) drawn as PNG files into DIR."""
    return Annotated[
        Path | None,
        typer.Option(
            "--plot",
            metavar="DIR",
            file_okay=False,
            show_default=False,
            help=f"Draw {figures} as PNG files into this folder (created).",
        ),
    ]


SeedOption = Annotated[
    int | None,
    typer.Option(
        "--seed", min=0, show_default=False, help="Random seed (scenario: scenario.seed)."
    ),
]

JsonOption = Annotated[
    bool,
    typer.Option(
        "--json", help='Print JSON on stdout instead of tables (an error as {"error": ...}).'
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", help="No progress on stderr.")]
ProgressOption = Annotated[
    bool,
    typer.Option(
        "--progress",
        help="Progress on stderr even when it is not a terminal (a pipe, a log): one line "
        "per step.",
    ),
]
ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        help="Scenario TOML file, or a packaged scenario's name (the built-in baseline when "
        "omitted).",
        show_default=False,
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="SECTION.KEY=VALUE",
        show_default=False,
        help="Change one scenario value (repeatable), written as in TOML: "
        "--set schedule.min_surface_sols=150, --set ero.launch_utc=2027-11-01, "
        "--set surface.mav_launch_ls_deg=[0,180]. Its source is 'user: --set'.",
    ),
]


def _out_dir_option(written: str):
    """``--out DIR``: a folder the command writes ``written`` into."""
    return Annotated[
        Path | None,
        typer.Option("--out", file_okay=False, show_default=False, help=written),
    ]


def _resume_option(help_text: str):
    """``--resume``: finish what an interrupted ``--out DIR`` left."""
    return Annotated[bool, typer.Option("--resume", help=help_text)]


@contextlib.contextmanager
def _interruptible(command: str, out_dir: Path | None, kept: str):
    """A long command's errors: a user's ValueError in one line (exit 2), Ctrl-C with
    what is kept on disk (exit 130)."""
    try:
        yield
    except ValueError as exc:
        _input_error(command, exc)
    except KeyboardInterrupt:
        err.print(f"interrupted: finished {kept} are kept" + (f" in {out_dir}" if out_dir else ""))
        raise typer.Exit(130) from None


SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        show_default=False,
        help="Dask scheduler address (tcp://host:8786), or 'synchronous' to stay in this "
        "process; default: this process, or a local cluster of --workers (default: the CPU "
        "count) when it finishes sooner (measured start-up against the trials' work).",
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        show_default=False,
        help="Workers of the local cluster (default: the CPU count).",
    ),
]


ForceOption = Annotated[
    bool, typer.Option("--force", help="With --out: write into a directory that is not empty.")
]


class DriversMode(StrEnum):
    """How ``msrsim run`` ranks what drives P(success)."""

    tornado = "tornado"
    sobol = "sobol"


def _json_requested() -> bool:
    """Whether the command line asks for ``--json`` (:class:`_Commands`)."""
    return _JSON_REQUESTED.get()


def _fail(origin: str, problems: list[str]) -> None:
    """Exit 2 with one line per problem: on stderr, or under ``--json`` as ``{"error":
    "origin: problem; ...", "problems": [...]}`` on stdout."""
    from rich.markup import escape

    lines = [f"{origin}: {problem}" for problem in problems]
    if _json_requested():
        _print_json({"error": "; ".join(lines), "problems": lines})
    else:
        for line in lines:
            err.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)
    raise typer.Exit(USER_ERROR)


def _is_internal(exc: ValueError) -> bool:
    """A ``ValueError`` that is a numerical failure of msrsim's own (a singular matrix, a
    math domain error), not a verdict on the user's input: exit 1, never blamed on them."""
    import numpy as np

    return isinstance(exc, np.linalg.LinAlgError) or str(exc) in (
        "math domain error",
        "math range error",
    )


def _input_error(command: str, exc: ValueError) -> None:
    """Exit 2 with the input error's message on one line; re-raise an internal failure."""
    if _is_internal(exc):
        raise exc
    _fail(command, [_reason(exc).removeprefix(f"{command}: ")])


def _load(path: str | None, overrides: list[str] | None = None):
    """The scenario at ``path`` (a file or a packaged name; the baseline when ``None``)
    with the ``--set`` changes; exit 2 with one line per problem."""
    from msrsim.scenario import ScenarioError, load_scenario, parse_override

    try:
        changes = dict(parse_override(text) for text in overrides or ())
        return load_scenario(path, changes, overrides_label="--set")
    except ScenarioError as exc:
        _fail(exc.origin, exc.problems)


def _json_text(data: Any) -> str:
    """``data`` as indented JSON; a non-finite number in it is a failure of msrsim (JSON has
    no NaN, and no result msrsim reports may be one)."""
    try:
        return json.dumps(data, indent=2, default=str, allow_nan=False) + "\n"
    except ValueError as exc:
        raise RuntimeError(f"a result holds a non-finite number ({exc})") from None


def _print_json(data: Any) -> None:
    sys.stdout.write(_json_text(data))


# --------------------------------------------------------------------------------------
# msrsim run
# --------------------------------------------------------------------------------------


@app.command()
def run(
    ctx: typer.Context,
    scenario: ScenarioArg = None,
    overrides: SetOption = None,
    trials: _trials_option(
        "Coupled campaign trials (scenario: campaign.trials).", MAX_TRIALS
    ) = None,
    out_dir: _out_dir_option(
        "Write trials/ (a Parquet dataset, one file a chunk), summary.json and the "
        "report (report.html, report_data.json, figures/*.png) here."
    ) = None,
    no_report: Annotated[
        bool,
        typer.Option("--no-report", help="With --out: skip the report (HTML, data, figures)."),
    ] = False,
    resume: _resume_option("Finish a run --out DIR that was interrupted.") = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="With --out: write into a directory that is not empty (an earlier run there "
            "is replaced; other files are kept, those of msrsim's names replaced).",
        ),
    ] = False,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    chunk_size: Annotated[
        int | None,
        typer.Option(
            "--chunk-size",
            min=1,
            max=10_000_000,
            show_default=False,
            help="Trials per chunk (scenario: campaign.chunk_size); results do not depend on it.",
        ),
    ] = None,
    seed: SeedOption = None,
    details: Annotated[
        bool, typer.Option("--details", help="Also print every leg's own summary.")
    ] = False,
    drivers_mode: Annotated[
        DriversMode,
        typer.Option(
            "--drivers",
            help="tornado: each failure probability halved and doubled in turn; sobol: also "
            "Sobol indices with all of them uncertain at once (same trials, no flight).",
        ),
    ] = DriversMode.tornado,
    plot: _plot_option("the campaign geometry (campaign_geometry.png)") = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    show_progress: ProgressOption = False,
) -> None:
    """Run the campaign: plan it, fly its legs, then the coupled Monte Carlo.

    Every trial flies the whole relay from its own previous leg: its launch day, its
    touchdown, its surface work, its MAV launch into the ERO's plane, its Orbiting
    Sample's orbit, its rendezvous, its return and its capsule's landing. Prints the
    timeline (computed dates beside the published ones), the constraint checks, the
    probability that samples come home with its 95 % interval, what fails, the tubes
    returned, the Earth landing dates and years, the margins and the risk drivers. The
    plan and the legs are cached per scenario and code; a run killed part-way with --out
    resumes with --resume and neither loses nor repeats a trial.
    """  # fmt: skip
    import dataclasses

    from msrsim.api import run_campaign
    from msrsim.campaign.runner import campaign_legs

    loaded = _load(scenario, overrides)
    n = loaded.campaign.trials if trials is None else trials
    size = loaded.campaign.chunk_size if chunk_size is None else chunk_size
    _check_run_options(n, size, workers, scheduler)
    output = _claim_out_dir(ctx, out_dir, resume, force)

    early = not as_json and _first_results_early()

    def legs_ready(planned) -> None:  # the first results, printed before the trials run
        if early:
            _print_nominal(planned, _with_campaign_row(planned.legs, n, None))

    try:
        with _interruptible("run", out_dir, "chunks"), _reporting(quiet, show_progress) as progress:
            run_result = run_campaign(
                loaded, trials=trials, seed=seed, chunk_size=chunk_size,
                out_dir=out_dir, scheduler=scheduler, workers=workers, resume=resume,
                progress=progress, sobol=drivers_mode == DriversMode.sobol, collect=False,
                legs_ready=legs_ready, prefetch=True,
            )  # fmt: skip
    except OSError as exc:  # an unreachable --scheduler, an --out that cannot be written
        where = f"--scheduler {scheduler}" if scheduler else f"--out {out_dir}"
        _fail("run", [f"{where}: {_reason(exc)}"])
    result, monte_carlo, drivers = run_result.legs, run_result.summary, run_result.drivers
    n = monte_carlo["trials"]
    legs = _with_campaign_row(result.legs, n, monte_carlo)
    report = run_result.to_dict()
    report["legs"] = dataclasses.replace(result, legs=legs).to_dict()["legs"]
    if out_dir is not None:
        try:
            output.write("summary.json", _json_text(report))
        except (OSError, ValueError) as exc:
            _fail("run --out", [f"{out_dir}: summary.json cannot be written ({_reason(exc)})"])
        if not no_report:
            from msrsim.report.html import write_report

            try:
                if result.handoffs is None:  # cached legs: their full results are needed
                    with _reporting(quiet, show_progress) as progress:
                        result = campaign_legs(
                            loaded, full_results=True, progress=_legs_progress(progress)
                        )
                write_report(out_dir, loaded, result, run_result.histograms, report)
            except (OSError, ValueError) as exc:
                if isinstance(exc, ValueError) and _is_internal(exc):
                    raise
                _fail("run --out", [f"{out_dir}: the report cannot be written ({_reason(exc)})"])
    if plot is not None:
        from msrsim.report.plots import campaign_geometry

        drawn = plot / "campaign_geometry.png"
        try:
            plot.mkdir(parents=True, exist_ok=True)
            campaign_geometry(loaded, drawn)
        except OSError as exc:
            _fail("run --plot", [f"{plot}: cannot be written ({_reason(exc)})"])
    if as_json:
        _print_json(report)
        return
    if not early:
        _print_nominal(result, legs)
    _print_outcome(legs, monte_carlo, drivers, details, run_result.sobol)
    if out_dir is not None:
        out.print(f"Written to {out_dir}: trials/ (Parquet, one file a chunk), summary.json"
                  + ("" if no_report else ", report.html, report_data.json, figures/"))  # fmt: skip
    if plot is not None:
        out.print(f"Drawn: {drawn}")


def _reason(exc: BaseException) -> str:
    """An exception's message on one line (an OSError as its reason, not its repr)."""
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror if not exc.filename else f"{exc.filename}: {exc.strerror}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _check_run_options(
    trials: int, chunk_size: int, workers: int | None, scheduler: str | None
) -> None:
    """Refuse (exit 2) a chunk or worker count this machine cannot hold, and a --scheduler
    that is not a reachable Dask scheduler (before any leg is flown)."""
    import os

    from msrsim.campaign.execution import MAX_CHUNKS, check_scheduler_address

    if scheduler is not None and scheduler != "synchronous":
        try:
            check_scheduler_address(scheduler)
        except ValueError as exc:
            _fail("run", [_reason(exc)])
        except OSError as exc:
            _fail("run", [f"--scheduler {scheduler}: {_reason(exc)}"])

    chunks = -(-trials // chunk_size)
    if chunks > MAX_CHUNKS:
        _fail("run", [f"--trials {trials} in --chunk-size {chunk_size} makes {chunks:,} "
                      f"chunks, more than the {MAX_CHUNKS:,} a run may have: a larger "
                      "--chunk-size"])  # fmt: skip
    most = 4 * (os.cpu_count() or 1)
    if workers is not None and workers > most:
        _fail("run", [f"--workers {workers}: at most {most} (4 x the {most // 4} CPUs here)"])


def _claim_out_dir(ctx: typer.Context, out_dir: Path | None, resume: bool, force: bool):
    """The --out directory, checked and locked until the command ends (None without --out);
    exit 2 when it cannot be used."""
    from msrsim.campaign.execution import OutputDirectory

    command = ctx.info_name or "run"
    if out_dir is None:
        if resume or force:
            _fail(command, ["--resume and --force go with --out DIR"])
        return None
    try:
        return ctx.with_resource(OutputDirectory(out_dir, resume=resume, force=force))
    except (ValueError, OSError) as exc:
        _fail(command, [_reason(exc)])


@app.command("compare")
def compare_command(
    ctx: typer.Context,
    scenarios: Annotated[
        list[str],
        typer.Argument(
            help="Two or more scenarios: TOML files or packaged names ('baseline'); "
            "--set changes every one of them.",
            show_default=False,
        ),
    ],
    overrides: SetOption = None,
    trials: _trials_option(
        "Coupled trials of each campaign (the first scenario's campaign.trials).", MAX_TRIALS
    ) = None,
    seed: SeedOption = None,
    out_dir: _out_dir_option(
        "Write each scenario's trials (DIR/<name>/trials, Parquet), compare.json "
        "and compare.html (the campaigns overlaid) here."
    ) = None,
    resume: _resume_option("Finish a comparison --out DIR that was interrupted.") = False,
    force: ForceOption = False,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    show_progress: ProgressOption = False,
) -> None:
    """Compare campaigns side by side: schedule, P(success), tubes, years, margins, drivers.

    Runs each scenario's campaign as msrsim run does (its own planned schedule, its legs
    cached) with one seed and one trial count, so that trial i of every campaign draws
    the same random numbers: the differences of P(success) from the first scenario are
    paired, with their 95 % interval (Newcombe's method 10).
    """  # fmt: skip
    from msrsim.comparison import compare, scenario_labels

    if len(scenarios) < 2:
        _fail("compare", [f"give at least two scenarios (got {len(scenarios)})"])
    loaded = [_load(s, overrides) for s in scenarios]
    labels = scenario_labels(scenarios)
    n = loaded[0].campaign.trials if trials is None else trials
    _check_run_options(n, loaded[0].campaign.chunk_size, workers, scheduler)
    output = _claim_out_dir(ctx, out_dir, resume, force)
    with _interruptible("compare", out_dir, "chunks"), _reporting(quiet, show_progress) as progress:
        comparison = compare(
            loaded, trials=trials, seed=seed, out_dir=out_dir, scheduler=scheduler,
            workers=workers, resume=resume, force=force, labels=labels,
            progress=None if progress is None
            else (lambda label, stage, *a: progress(f"{label} {stage}", *a)),
        )  # fmt: skip
    data = comparison.to_dict()
    if output is not None:
        from msrsim.report.compare_html import compare_report

        try:
            output.write("compare.json", _json_text(data))
            output.write("compare.html", compare_report(comparison))
        except OSError as exc:
            _fail("compare --out", [f"{out_dir}: cannot be written ({_reason(exc)})"])
    if as_json:
        _print_json(data)
        return
    rows = comparison.table()
    table = _Table(
        title=f"msrsim compare - {comparison.trials} trials each, seed {comparison.seed}"
    )
    # the metrics' JSON names as words, so that a narrow terminal wraps them between words
    labels = [row[0].replace("_", " ") for row in rows[1:]]
    longest_word = max(len(word) for label in labels for word in label.split())
    table.add_column(rows[0][0], min_width=longest_word)
    for column in rows[0][1:]:
        table.add_column(column)
    for label, row in zip(labels, rows[1:], strict=True):
        table.add_row(label, *row[1:])
    out.print(table)
    if out_dir is not None:
        out.print(f"Written to {out_dir}: compare.html, compare.json, <scenario>/trials/")


@app.command("sweep")
def sweep_command(
    ctx: typer.Context,
    scenario: ScenarioArg = None,
    overrides: SetOption = None,
    params: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            metavar="KEY=LO:HI[:N]",
            show_default=False,
            help="A scenario value to sweep (repeatable), named as --set names it: "
            "--param schedule.min_surface_sols=150:355:5 (N levels of a grid, 3 by default).",
        ),
    ] = None,
    design: Annotated[
        str, typer.Option("--design", help="grid, lhs (Latin hypercube) or sobol.")
    ] = "grid",
    samples: Annotated[
        int, typer.Option("--samples", min=2, max=10_000, help="Points of an lhs or sobol design.")
    ] = 16,
    trials: _trials_option(
        "Coupled trials at each point (scenario: campaign.trials).", MAX_TRIALS
    ) = None,
    seed: SeedOption = None,
    out_dir: _out_dir_option(
        "Write each point as it ends (points/), sweep.parquet, sweep.json, "
        "response.png and pareto.png here."
    ) = None,
    resume: _resume_option("Run only the points a killed sweep --out DIR left.") = False,
    force: ForceOption = False,
    pareto: Annotated[
        str,
        typer.Option(
            "--pareto",
            metavar="OUT:max|min,OUT:max|min",
            help="The two outputs of the Pareto plot and which way each is better.",
        ),
    ] = "probability_of_success:max,earth_landing_median_year:min",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    show_progress: ProgressOption = False,
) -> None:
    """Sweep scenario values: a campaign at every point of a grid, LHS or Sobol design.

    Each point is the scenario with the swept values (source 'user: sweep'), its campaign
    run as msrsim run runs it (its own planned schedule; legs cached per point), all on
    one seed. A point whose schedule cannot be planned is a row with its reason. With
    --out each point is written as it ends and --resume finishes a killed sweep without
    repeating a point; the table, a response plot and a Pareto plot are written there.
    """  # fmt: skip
    from msrsim.sweeps import OUTPUTS, Parameter, sweep

    if not params:
        _fail("sweep", ["give at least one --param KEY=LO:HI[:N]"])
    try:
        parsed = [Parameter.parse(text) for text in params]
        objectives = [part.split(":") for part in pareto.split(",")]
        if len(objectives) != 2 or any(
            len(o) != 2 or o[0] not in OUTPUTS or o[1] not in ("max", "min") for o in objectives
        ):
            raise ValueError(
                f"--pareto {pareto!r}: two OUT:max|min, OUT one of {', '.join(OUTPUTS)}"
            )
    except ValueError as exc:
        _fail("sweep", [_reason(exc)])
    from msrsim.scenario import parse_override

    _load(scenario, overrides)
    fixed = dict(parse_override(text) for text in overrides or ())
    output = _claim_out_dir(ctx, out_dir, resume, force)
    with (
        _interruptible("sweep", out_dir, "points"),
        _reporting(quiet, show_progress) as progress,
        _step(progress, "sweep points") as advance,
    ):
        result = sweep(
            scenario, parsed, design=design, samples=samples, trials=trials, seed=seed,
            out_dir=out_dir, resume=resume, scheduler=scheduler, workers=workers,
            progress=advance, overrides=fixed,
        )  # fmt: skip
    data = result.to_dict()
    if output is not None:
        import io

        import pyarrow.parquet as pq

        from msrsim.report.sweep_plots import pareto_plot, response_plot

        buffer = io.BytesIO()
        pq.write_table(result.table(), buffer)
        output.write("sweep.parquet", buffer.getvalue())
        output.write("sweep.json", _json_text(data))
        response_plot(result, out_dir / "response.png")
        (a, a_dir), (b, b_dir) = objectives
        pareto_plot(result, out_dir / "pareto.png", (a, a_dir == "max"), (b, b_dir == "max"))
    if as_json:
        _print_json(data)
        return
    table = _Table(title=f"msrsim sweep - {result.design}, {len(result.rows)} points "
                  f"({result.points_run} run now), {result.trials:,} trials each, seed "
                  f"{result.seed}", title_justify="left")  # fmt: skip
    columns = ["point", *(p.key for p in result.parameters), "probability_of_success",
               "expected_tubes_returned", "earth_landing_median_year", "error"]  # fmt: skip
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in result.rows:
        table.add_row(*(
            "-" if row.get(c) is None else f"{row[c]:.6g}" if isinstance(row[c], float)
            else str(row[c]) for c in columns
        ))  # fmt: skip
    out.print(table)
    if out_dir is not None:
        out.print(f"Written to {out_dir}: points/, sweep.parquet, sweep.json, response.png, "
                  "pareto.png")  # fmt: skip


@app.command("report")
def report_command(
    directory: Annotated[
        Path,
        typer.Argument(file_okay=False, help="A directory written by msrsim run --out DIR."),
    ],
    open_it: Annotated[
        bool, typer.Option("--open", help="Open the report in the default web browser.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Rebuild DIR/report.html from DIR's saved files alone (no leg is flown).

    Reads summary.json, report_data.json and figures/*.png (written by msrsim run --out
    DIR); a directory written with --no-report gets the timeline, checks, Monte Carlo and
    risk drivers, and its other sections say what is missing.
    """
    from msrsim.campaign.execution import DirectoryLock
    from msrsim.report.html import build_report

    if not (directory / "summary.json").is_file():
        _fail("report", [f"{directory}: no summary.json (write it with msrsim run --out DIR)"])
    try:
        with DirectoryLock(directory):
            path = build_report(directory)
    except (OSError, ValueError) as exc:
        if isinstance(exc, ValueError) and _is_internal(exc):
            raise
        _fail("report", [_reason(exc)])
    if as_json:
        _print_json({"report": str(path)})
    else:
        out.print(f"Report written to {path}")
    if open_it:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())


def _first_results_early() -> bool:
    """Whether ``msrsim run`` prints its first results (the nominal relay) as soon as the
    legs are flown, before the trials run: on a terminal, where someone waits for them.
    Into a pipe or a file the whole report comes at the end, so that a run that then fails
    (an unreachable --scheduler, an --out that cannot be written) prints its one-line
    error alone."""
    return out.is_terminal


def _with_campaign_row(legs, n: int, monte_carlo: dict | None) -> tuple:
    """The legs' outcomes with the campaign's row (leg 10): its ``n`` coupled trials and
    their summary (None before they run)."""
    from msrsim.campaign.outcomes import LEGS, LegOutcome

    row = LegOutcome(LEGS[9], f"modelled ({n} coupled trials)", monte_carlo)
    return tuple(row if o.leg.number == 10 else o for o in legs)


def _print_nominal(result, legs) -> None:
    """The first part of the campaign report, printed as soon as the legs are flown:
    timeline, legs, constraint checks, the published plan beside the computed one."""
    out.print(f"[bold]msrsim run[/] - {result.scenario_name}")
    table = _Table(
        title="Timeline: published, representative and computed dates", title_justify="left"
    )
    for column in ("milestone", "UTC", "Ls deg", "Mars Year", "basis"):
        table.add_column(column)
    for m in result.milestones:
        ls = f"{m.solar_longitude_deg:.1f}" if m.solar_longitude_deg is not None else ""
        my = str(m.mars_year) if m.mars_year is not None else ""
        basis = next(
            (b for b in ("computed", "representative", "user") if m.source.startswith(b)),
            "published",
        )
        table.add_row(m.name, m.utc, ls, my, basis)
    out.print(table)
    legs_table = _Table(title="The relay, leg by leg", title_justify="left")
    for column in ("#", "leg", "element", "answers", "status"):
        legs_table.add_column(column)
    for o in legs:
        legs_table.add_row(str(o.leg.number), o.leg.name, o.leg.element, o.leg.answers, o.status)
    out.print(legs_table)
    checks = _Table(title="Constraint checks on the nominal timeline", title_justify="left")
    for column in ("check", "value", "limit", "unit", "ok"):
        checks.add_column(column)
    for c in result.checks:
        checks.add_row(c.name, str(c.value), str(c.limit), c.unit,
                       "[green]yes[/]" if c.ok else "[red]NO[/]")  # fmt: skip
    out.print(checks)
    if result.published:
        published = _Table(
            title="The computed schedule beside the published plan (scenario.published_plan)",
            title_justify="left",
        )
        for column in ("fact", "published", "computed", "verdict"):
            published.add_column(column)
        for row in result.published:
            verdict = (
                "[green]within[/]" if row["met"]
                else f"[yellow]outside by {row['outside']:+g} {row['unit']}[/]"
            )  # fmt: skip
            note = " (an input)" if row["computed_is_input"] else ""
            published.add_row(row["what"], row["published"], row["computed"] + note, verdict)
        out.print(published)


def _print_outcome(
    legs, monte_carlo: dict, drivers: dict | None, details: bool, sobol=None
) -> None:
    """The rest of the campaign report, once the trials have run: each leg's own summary
    (``details``), the Monte Carlo, the risk drivers and the Sobol indices."""
    if details:
        for o in legs:
            if o.summary and o.leg.number != 10:
                _print_leg_summary(o)
    each = monte_carlo.get("probability_each_tube_returns") or {}
    ranked = list(each.items())
    shown = dict(monte_carlo)
    if ranked:
        shown["probability_each_tube_returns"] = (
            "most likely: " + ", ".join(f"{k} {v}" for k, v in ranked[:3])
            + "; least likely: " + ", ".join(f"{k} {v}" for k, v in ranked[-3:])
            + " (all in --json)"
        )  # fmt: skip
    _print_parts({"campaign Monte Carlo": shown})
    if drivers:
        tornado = _Table(
            title=f"Risk drivers: P(success) {drivers['probability_of_success']} moved by",
            title_justify="left",
        )
        for column in ("driver", "cases", "swing"):
            tornado.add_column(column)
        for row in drivers["drivers"]:
            tornado.add_row(row["driver"], _shown(row["cases"]), str(row["swing"]))
        out.print(tornado)
    if sobol:
        ranked = _Table(
            title=f"Sobol indices: each failure probability /{sobol['factor']:g} to "
            f"x{sobol['factor']:g}, all at once ({sobol['points']:,} points on the same "
            f"{sobol['trials']:,} trials; +/- the 95 % bootstrap half-width)",
            title_justify="left",
        )
        for column in ("failure probability", "P(success) first", "P(success) total",
                       "tubes first", "tubes total"):  # fmt: skip
            ranked.add_column(column)
        tubes = {r["input"]: r for r in sobol["expected_tubes_returned"]}
        for row in sobol["probability_of_success"]:
            t = tubes[row["input"]]
            ranked.add_row(
                row["input"],
                *(f"{r[k]:.3f} +/- {r[k + '_ci']:.3f}" for r in (row, t)
                  for k in ("first_order", "total")),
            )  # fmt: skip
        out.print(ranked)
    out.print("Sources of every value: msrsim scenario show")


def _grouped(summary: dict) -> dict:
    """The summary for reading: ``x``, ``x_ci_low``, ``x_ci_high`` as one row ``x (95 %
    ci)``, and ``x_p01``, ``x_median``, ``x_p99`` as ``x (1st pct, median, 99th pct)``."""
    from msrsim.campaign.summaries import SPREAD_SUFFIXES

    first, *others = SPREAD_SUFFIXES
    members = set()
    for key in summary:
        if key + "_ci_low" in summary:
            members |= {key + "_ci_low", key + "_ci_high"}
        if key.endswith(first):
            members |= {key.removesuffix(first) + s for s in others}
    shown = {}
    for key, value in summary.items():
        if key in members:
            continue
        if key + "_ci_low" in summary:
            ci = [summary[key + "_ci_low"], summary[key + "_ci_high"]]
            shown[f"{key} (95 % ci)"] = f"{value} ({ci[0]} to {ci[1]})"
        elif key.endswith(first):
            base = key.removesuffix(first)
            shown[f"{base} (1st pct, median, 99th pct)"] = [
                summary.get(base + s) for s in SPREAD_SUFFIXES
            ]
        else:
            shown[key] = value
    return shown


def _print_leg_summary(outcome) -> None:
    """One table per part of a leg's summary: key, value."""
    for part, values in outcome.summary.items():
        table = _Table(
            title=f"Leg {outcome.leg.number}, {outcome.leg.name}: {part.replace('_', ' ')}",
            title_justify="left",
            show_header=False,
        )
        table.add_column("quantity")
        table.add_column("value", justify="right")
        for key, value in _grouped(values).items():
            table.add_row(key.replace("_", " "), _shown(value))
        out.print(table)


def _shown(value) -> str:
    """A summary value for a table cell: lists joined, nested tables as ``key value`` pairs."""
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items())
    return str(value)


# --------------------------------------------------------------------------------------
# msrsim windows earth-mars / mars-earth
# --------------------------------------------------------------------------------------


def _date_option(what: str):
    return Annotated[
        str | None,
        typer.Option(
            metavar="UTC",
            show_default=False,
            help=f"{what}, a UTC date (2028-10-01, or 2028-10-01T12:00); give all four "
            "spans' ends, or --opportunity.",
        ),
    ]


def _windows(
    departure_body: str,
    arrival_body: str,
    opportunity_year: int | None,
    departure_from: str | None,
    departure_to: str | None,
    arrival_from: str | None,
    arrival_to: str | None,
    period_days: int,
    dla_limit_deg: float | None,
    max_revs: int,
    step_days: float,
    plot: Path | None,
    as_json: bool,
    progress,
) -> None:
    import math

    from msrsim.core.ephemeris import EphemerisRangeError
    from msrsim.core.resources import ResourceLimitError
    from msrsim.core.time import TimeInputError, et_to_utc_iso, utc_to_et
    from msrsim.segments.windows import OpportunityError, opportunity, search_window

    name = f"windows {departure_body}-{arrival_body}"
    dates = (departure_from, departure_to, arrival_from, arrival_to)
    try:
        if opportunity_year is not None:
            if any(d is not None for d in dates):
                _fail(name, ["give --opportunity or the four dates, not both"])
            op = opportunity(departure_body, arrival_body, opportunity_year)
            dep_span = (float(op.departure_et[0]), float(op.departure_et[-1]))
            arr_span = (float(op.arrival_et[0]), float(op.arrival_et[-1]))
        else:
            if any(d is None for d in dates):
                _fail(
                    name,
                    [
                        "give --opportunity YEAR, or all of --departure-from, "
                        "--departure-to, --arrival-from and --arrival-to"
                    ],
                )
            et = utc_to_et(list(dates))
            dep_span, arr_span = (float(et[0]), float(et[1])), (float(et[2]), float(et[3]))
            if dep_span[1] <= dep_span[0] or arr_span[1] <= arr_span[0]:
                _fail(name, ["each span must end after it starts"])
        with _step(progress, f"{name}: the porkchop grid and its optima"):
            result = search_window(
                departure_body,
                arrival_body,
                dep_span,
                arr_span,
                max_revs=max_revs,
                launch_period_days=period_days,
                dla_limit_rad=math.radians(dla_limit_deg) if dla_limit_deg is not None else None,
                step_days=step_days,
            )
    except (OpportunityError, TimeInputError, EphemerisRangeError) as exc:
        _fail(name, [str(exc)])
    except ResourceLimitError as exc:
        _fail(name, [f"--step-days {step_days:g} over these spans: {exc}"])
    except ValueError as exc:
        _input_error(name, exc)

    rows = []
    for kind, t in result.optima.items():
        dep, arr = et_to_utc_iso([t.departure_et, t.arrival_et])
        rows.append(
            {
                "transfer_type": kind,
                "departure_utc": dep[:16],
                "arrival_utc": arr[:16],
                "tof_days": round(t.tof_s / 86400.0, 1),
                "c3_km2_s2": round(t.c3_m2_s2 / 1e6, 3),
                "v_inf_arrival_km_s": round(t.v_inf_arrival_m_s / 1e3, 3),
                "dla_deg": round(math.degrees(t.dla_rad), 2),
                "rla_deg": round(math.degrees(t.rla_rad), 2),
                "arrival_declination_deg": round(math.degrees(t.arrival_declination_rad), 2),
                "entry_speed_km_s": round(t.entry_speed_m_s / 1e3, 3),
                "arrival_ls_deg": round(t.arrival_ls_deg, 1)
                if t.arrival_ls_deg is not None
                else None,
                "on_grid_edge": t.on_grid_edge,
            }
        )
    period = result.launch_period
    period_row = None
    if period is not None:
        opens, closes = et_to_utc_iso([period.open_et, period.close_et])
        period_row = {
            "days": period.days,
            "open_utc": opens[:10],
            "close_utc": closes[:10],
            "max_c3_km2_s2": round(period.max_c3_m2_s2 / 1e6, 3),
            "max_abs_dla_deg": round(math.degrees(float(abs(period.daily_dla_rad).max())), 2),
        }
    if plot is not None:
        from msrsim.report.plots import porkchop_plot

        drawn = plot / f"porkchop_{departure_body}_{arrival_body}.png"
        try:
            plot.mkdir(parents=True, exist_ok=True)
            porkchop_plot(result.porkchop, drawn, optima=result.optima, launch_period=period)
        except OSError as exc:
            _fail(f"{name} --plot", [f"{plot}: cannot be written ({_reason(exc)})"])
    if as_json:
        _print_json(
            {"optima": rows, "launch_period": period_row, "grid": list(result.porkchop.shape)}
        )
        return
    table = _Table(
        title=f"{departure_body.title()} to {arrival_body.title()}: least C3 of each "
        "transfer type (ballistic, DE421). C3 km2/s2; v-inf (arrival) and entry speed "
        "km/s; DLA and Ls (arrival) deg",
    )
    for column in ("type", "depart UTC", "arrive UTC", "TOF d", "C3", "v-inf", "DLA",
                   "entry", "Ls"):  # fmt: skip
        table.add_column(column, justify="right")
    for r in rows:
        edge = " (grid edge)" if r["on_grid_edge"] else ""
        table.add_row(
            str(r["transfer_type"]) + edge,
            r["departure_utc"].replace("T", " "),
            r["arrival_utc"].replace("T", " "),
            f"{r['tof_days']:.0f}",
            f"{r['c3_km2_s2']:.2f}",
            f"{r['v_inf_arrival_km_s']:.2f}",
            f"{r['dla_deg']:.1f}",
            f"{r['entry_speed_km_s']:.2f}",
            "" if r["arrival_ls_deg"] is None else f"{r['arrival_ls_deg']:.1f}",
        )
    out.print(table)
    label = "Launch period" if departure_body == "earth" else "Departure period"
    if period_row is None:
        out.print(f"{label}: no {period_days} consecutive days fit the spans and DLA limit")
    else:
        out.print(
            f"{label} ({period_row['days']} days): {period_row['open_utc']} to "
            f"{period_row['close_utc']}, C3 <= {period_row['max_c3_km2_s2']:.2f} km2/s2, "
            f"|DLA| <= {period_row['max_abs_dla_deg']:.1f} deg"
        )
    if plot is not None:
        out.print(f"Drawn: {drawn}")


class Direction(StrEnum):
    earth_mars = "earth-mars"
    mars_earth = "mars-earth"


@app.command("windows")
def windows_command(
    direction: Annotated[Direction, typer.Argument(help="earth-mars or mars-earth.")],
    opportunity_year: Annotated[
        int | None,
        typer.Option(
            "--opportunity",
            help="Year the departure window is centred in "
            "(earth-mars: 2026, 2028, 2031, ...; mars-earth: 2028, 2030, 2033, ...).",
            show_default=False,
            min=1900,
            max=2053,
        ),
    ] = None,
    departure_from: _date_option("First departure day searched") = None,
    departure_to: _date_option("Last departure day searched") = None,
    arrival_from: _date_option("First arrival day searched") = None,
    arrival_to: _date_option("Last arrival day searched") = None,
    period_days: Annotated[
        int,
        typer.Option(
            "--launch-period-days", min=1, max=120, help="Consecutive departure days sought."
        ),
    ] = 21,
    dla_limit_deg: Annotated[
        float | None,
        typer.Option(
            "--dla-limit-deg",
            min=0.0,
            max=90.0,
            help="Largest |DLA| allowed in the launch period.",
            show_default=False,
        ),
    ] = None,
    max_revs: Annotated[
        int,
        typer.Option(
            "--max-revs", min=0, max=3, help="Complete revolutions allowed (types III and up)."
        ),
    ] = 0,
    step_days: Annotated[
        float, typer.Option("--step-days", min=0.05, max=10.0, help="Grid step in days.")
    ] = 1.0,
    plot: _plot_option("the porkchop (porkchop_<from>_<to>.png)") = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    show_progress: ProgressOption = False,
) -> None:
    """Launch windows: porkchop, least-C3 transfer of each type, launch period.

    Give --opportunity YEAR, or the four spans --departure-from/--departure-to/
    --arrival-from/--arrival-to (UTC dates).
    """
    departure_body, arrival_body = direction.value.split("-")
    with _reporting(quiet, show_progress) as progress:
        _windows(
            departure_body,
            arrival_body,
            opportunity_year,
            departure_from,
            departure_to,
            arrival_from,
            arrival_to,
            period_days,
            dla_limit_deg,
            max_revs,
            step_days,
            plot,
            as_json,
            progress,
        )


# --------------------------------------------------------------------------------------
# msrsim entry
# --------------------------------------------------------------------------------------


class ReturnArc(StrEnum):
    ero = "ero"
    ballistic = "ballistic"


class AtmosphereModel(StrEnum):
    nrlmsis = "nrlmsis"
    us76 = "us76"


def _number_option(help_text: str, low: float = 0.0, high: float | None = None):
    return Annotated[
        float | None,
        typer.Option(min=low, max=high, help=help_text, show_default=False),
    ]


StandaloneOption = Annotated[
    bool,
    typer.Option(
        "--standalone",
        help="Fly this leg alone from the scenario's typed inputs, not on the campaign's "
        "hand-offs (implied by the options that set the leg's inputs directly).",
    ),
]
MODES = {
    "campaign": "the campaign's leg, as msrsim run flies it, on its upstream legs' hand-offs "
    "(the legs cache)",
    "standalone": "standalone: flown alone from typed inputs, not the campaign's hand-offs",
}


def _campaign_leg(command, scenario, overrides, name, *, trials, trials_field, seed, quiet,
                  show_progress):  # fmt: skip
    """``(scenario, result)``: the leg ``name`` of the scenario's campaign as ``msrsim run``
    flies it, on its upstream legs' hand-offs, each read from the legs cache or flown and
    stored there (:func:`msrsim.campaign.nominal.nominal_legs`); ``--trials`` and
    ``--seed`` stand for the scenario values they set."""
    from msrsim.campaign.nominal import nominal_legs

    changes = list(overrides or ())
    changes += [f"{trials_field}={trials}"] if trials is not None else []
    changes += [f"scenario.seed={seed}"] if seed is not None else []
    loaded = _load(scenario, changes)
    try:
        with _reporting(quiet, show_progress) as progress:
            legs = nominal_legs(loaded, upto=name, progress=_legs_progress(progress))
    except ValueError as exc:
        _input_error(command, exc)
    return loaded, legs[name][2]


def _standalone_leg(command, scenario, overrides, stage, fly, quiet, show_progress):
    """``(scenario, result)``: one leg flown alone from the scenario's typed inputs,
    ``fly(scenario, advance)``, its progress shown as ``stage``; a bad input exits 2."""
    loaded = _load(scenario, overrides)
    try:
        with (
            _reporting(quiet, show_progress) as progress,
            _step(progress, stage) as advance,
        ):
            return loaded, fly(loaded, advance)
    except ValueError as exc:
        _input_error(command, exc)


def _print_header(command: str, scenario_name: str, mode: str) -> None:
    out.print(f"[bold]msrsim {command}[/] - {scenario_name}")
    out.print(f"[dim]{MODES[mode]}[/]")


@app.command("entry")
def entry_command(
    scenario: ScenarioArg = None,
    overrides: SetOption = None,
    trials: _trials_option("Footprint Monte Carlo trials (scenario: ees.footprint_trials).") = None,
    seed: SeedOption = None,
    diameter_m: _number_option("Capsule diameter, m.", 0.05, 20.0) = None,
    nose_radius_m: _number_option("Nose radius, m.", 0.01, 20.0) = None,
    half_angle_deg: _number_option("Forebody half-angle, deg.", 5.0, 85.0) = None,
    mass_kg: _number_option("Entry mass, kg.", 1.0, 10_000.0) = None,
    subsonic_cd: _number_option("Drag coefficient below Mach 0.8.", 0.1, 3.0) = None,
    entry_speed_km_s: _number_option("Inertial speed at the interface, km/s.", 11.0, 20.0) = None,
    flight_path_angle_deg: _number_option(
        "Inertial flight-path angle at the interface, deg.", -30.0, -3.0
    ) = None,
    entry_altitude_km: _number_option("Entry interface altitude, km.", 60.0, 300.0) = None,
    entry_latitude_deg: _number_option(
        "Interface geodetic latitude, deg: with --entry-longitude-deg, --entry-azimuth-deg "
        "and --entry-utc, flies that interface state instead of aiming the return.",
        -90.0,
        90.0,
    ) = None,
    entry_longitude_deg: _number_option("Interface east longitude, deg.", -360.0, 360.0) = None,
    entry_azimuth_deg: _number_option(
        "Interface heading, deg clockwise from north.", -360.0, 360.0
    ) = None,
    entry_utc: Annotated[
        str | None,
        typer.Option("--entry-utc", show_default=False, help="Interface epoch, UTC (ISO 8601)."),
    ] = None,
    relative_speed: Annotated[
        bool,
        typer.Option(
            "--relative-speed",
            help="Speed, angle and azimuth are relative to the rotating Earth (default inertial).",
        ),
    ] = False,
    geocentric_angles: Annotated[
        bool,
        typer.Option(
            "--geocentric-angles",
            help="Angles about the geocentric horizontal (as POST reconstructions publish "
            "them); default geodetic.",
        ),
    ] = False,
    atmosphere: Annotated[
        AtmosphereModel | None,
        typer.Option(
            "--atmosphere",
            show_default=False,
            help="nrlmsis (date and place) or us76 (scenario: ees.atmosphere_model).",
        ),
    ] = None,
    wind_profile: Annotated[
        Path | None,
        typer.Option(
            "--wind-profile",
            dir_okay=False,
            show_default=False,
            help="Mean winds: a CSV of altitude_km,east_m_s,north_m_s rows.",
        ),
    ] = None,
    return_arc: Annotated[
        ReturnArc,
        typer.Option(
            "--return-arc",
            help="ero: the ERO's electric return cruise (as msrsim run); ballistic: the "
            "cheapest Lambert arc of the earth_return window (faster).",
        ),
    ] = ReturnArc.ero,
    plot: _plot_option("the footprint map, the entry profile and the distributions") = None,
    as_json: JsonOption = False,
    standalone: StandaloneOption = False,
    quiet: QuietOption = False,
    show_progress: ProgressOption = False,
) -> None:
    """Earth entry: approach targeting, EES release, ERO divert, entry and footprint.

    Flies the scenario's capsule (or one set by the options) from the return's approach
    to the ground in its landing range (ees.landing_range), then a Monte Carlo of delivery,
    atmosphere and vehicle dispersions. By default the campaign's leg, on the ERO's
    return arc (both from the legs cache when msrsim run flew them); the capsule,
    atmosphere, wind and return-arc options fly it standalone.
    """
    from msrsim.campaign.earth_entry import (
        EntryOverrides,
        ballistic_return,
        read_wind_profile,
        run_earth_entry,
        summary,
    )
    from msrsim.report.entry_plots import entry_plots

    typed = (diameter_m, nose_radius_m, half_angle_deg, mass_kg, subsonic_cd, entry_speed_km_s,
             flight_path_angle_deg, entry_altitude_km, atmosphere, wind_profile,
             entry_latitude_deg, entry_longitude_deg, entry_azimuth_deg, entry_utc)  # fmt: skip
    if not standalone and all(v is None for v in typed) and return_arc is ReturnArc.ero:
        loaded, result = _campaign_leg("entry", scenario, overrides, "return", trials=trials,
                                       trials_field="ees.footprint_trials", seed=seed,
                                       quiet=quiet,
                                       show_progress=show_progress)  # fmt: skip
        _report("entry", loaded.scenario.name, summary(result), plot, as_json,
                lambda: entry_plots(result, plot), "campaign")  # fmt: skip
        return
    loaded = _load(scenario, overrides)
    if atmosphere is not None:
        loaded = loaded.model_copy(
            update={"ees": loaded.ees.model_copy(update={"atmosphere_model": atmosphere.value})}
        )
    overrides = EntryOverrides(
        diameter_m=diameter_m,
        nose_radius_m=nose_radius_m,
        half_angle_deg=half_angle_deg,
        mass_kg=mass_kg,
        subsonic_drag_coefficient=subsonic_cd,
        entry_speed_m_s=None if entry_speed_km_s is None else entry_speed_km_s * 1e3,
        flight_path_angle_deg=flight_path_angle_deg,
        entry_altitude_km=entry_altitude_km,
    )
    replay = (entry_latitude_deg, entry_longitude_deg, entry_azimuth_deg, entry_utc)
    if any(x is not None for x in replay):
        _entry_replay(loaded, replay, overrides, relative_speed, geocentric_angles,
                      wind_profile, trials, seed, plot, as_json, quiet,
                      show_progress)  # fmt: skip
        return
    try:
        winds = None if wind_profile is None else read_wind_profile(wind_profile)
        with _reporting(quiet, show_progress) as progress:
            if return_arc is ReturnArc.ero:
                from msrsim.campaign.schedule import plan_schedule

                with _step(progress, "schedule: the ERO's mission and return") as advance:
                    arrival = plan_schedule(loaded, progress=advance).nominal_return
            else:
                from msrsim.campaign.launch import best_transfer, search_return

                with _step(progress, "the earth_return window's ballistic transfers"):
                    transfer = best_transfer(search_return(loaded.earth_return))
                if transfer is None:
                    _fail(
                        "entry", ["the scenario's earth_return window holds no ballistic transfer"]
                    )
                arrival = ballistic_return(transfer, loaded.earth_return.max_revs)
            with _step(progress, "Earth entry: the footprint Monte Carlo") as advance:
                result = run_earth_entry(
                    loaded,
                    arrival,
                    trials=trials,
                    seed=seed,
                    overrides=overrides,
                    wind_profile=winds,
                    progress=advance,
                )
    except ValueError as exc:
        _input_error("entry", exc)
    _report("entry", loaded.scenario.name, summary(result), plot, as_json,
            lambda: entry_plots(result, plot), "standalone")  # fmt: skip


def _entry_replay(loaded, replay, overrides, relative_speed, geocentric_angles, wind_profile,
                  trials, seed, plot, as_json, quiet, show_progress) -> None:  # fmt: skip
    """``msrsim entry`` from a given interface state (every replay option set)."""
    from msrsim.campaign.earth_entry import read_wind_profile
    from msrsim.campaign.interface_entry import interface_summary, run_interface_entry
    from msrsim.core.time import utc_to_et
    from msrsim.segments.entry import EntryInterface

    names = ("--entry-latitude-deg", "--entry-longitude-deg", "--entry-azimuth-deg",
             "--entry-utc", "--entry-speed-km-s")  # fmt: skip
    missing = [
        n for n, x in zip(names, (*replay, overrides.entry_speed_m_s), strict=True) if x is None
    ]
    if missing:
        _fail("entry", [f"an interface state also needs {', '.join(missing)}"])
    latitude, longitude, azimuth, utc = replay
    ees = loaded.ees
    try:
        entry_et = float(utc_to_et(utc)[0])
    except ValueError:
        _fail("entry", [f"--entry-utc = {utc!r}: not an ISO 8601 UTC date"])
    interface = EntryInterface(
        latitude_deg=latitude,
        east_longitude_deg=longitude,
        altitude_m=1e3 * (overrides.entry_altitude_km or ees.entry_interface_altitude_km),
        speed_m_s=overrides.entry_speed_m_s,
        flight_path_angle_deg=overrides.flight_path_angle_deg or ees.entry_flight_path_angle_deg,
        azimuth_deg=azimuth,
        inertial=not relative_speed,
        horizon="geocentric" if geocentric_angles else "geodetic",
    )
    try:
        winds = None if wind_profile is None else read_wind_profile(wind_profile)
        with (
            _reporting(quiet, show_progress) as progress,
            _step(progress, "Earth entry from the interface: footprint") as advance,
        ):
            result = run_interface_entry(
                loaded, interface, entry_et, trials=trials, seed=seed, overrides=overrides,
                wind_profile=winds, progress=advance,
            )  # fmt: skip
    except ValueError as exc:
        _input_error("entry", exc)
    from msrsim.report.entry_plots import replay_plots

    _report("entry", loaded.scenario.name, interface_summary(result), plot, as_json,
            lambda: replay_plots(result, plot), "standalone")  # fmt: skip


def _report(
    command: str,
    scenario_name: str,
    parts: dict,
    plot,
    as_json: bool,
    draw,
    mode: str,
    warnings=(),
) -> None:
    """Draw the figures when ``--plot`` is given (exit 2 if they cannot be written), then
    print the summary parts as JSON (``warnings`` as its ``warnings`` list) or as tables
    (each warning on stderr), saying whether the leg is the campaign's or flown standalone
    (``mode``, a key of :data:`MODES`)."""
    drawn = []
    if plot is not None:
        try:
            drawn = draw()
        except OSError as exc:
            _fail(f"{command} --plot", [f"{plot}: cannot be written ({_reason(exc)})"])
    if as_json:
        _print_json({"mode": mode} | parts | ({"warnings": list(warnings)} if warnings else {}))
        return
    _print_header(command, scenario_name, mode)
    _print_parts(parts)
    if drawn:
        out.print("Drawn: " + ", ".join(str(p) for p in drawn))
    _warn(command, warnings)


def _warn(command: str, warnings) -> None:
    """Each warning on stderr, loud."""
    from rich.markup import escape

    for warning in warnings:
        err.print(f"[bold yellow]warning:[/] {command}: {escape(warning)}", soft_wrap=True)


def _print_parts(parts: dict) -> None:
    """One key-value table per part of a summary (spreads and intervals grouped, see
    :func:`_grouped`)."""
    for part, values in parts.items():
        table = _Table(title=part.replace("_", " "), title_justify="left", show_header=False)
        table.add_column("quantity")
        table.add_column("value", justify="right")
        for key, value in _grouped(values).items():
            table.add_row(key.replace("_", " "), _shown(value))
        out.print(table)


# --------------------------------------------------------------------------------------
# msrsim ero
# --------------------------------------------------------------------------------------


@app.command("ero")
def ero_command(
    scenario: ScenarioArg = None,
    overrides: SetOption = None,
    plot: _plot_option("the cruises, thrust, power and mass, and the spirals") = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    show_progress: ProgressOption = False,
) -> None:
    """Earth Return Orbiter: electric cruises, Mars orbit insertion, spirals and budget.

    Flies the scenario's ERO from launch to Earth: the outbound electric cruise (Sims-
    Flanagan, greatest mass after insertion), the chemical insertion as a finite burn,
    the Q-law spiral down to the rendezvous orbit, the spiral up to escape and the return
    cruise; then the xenon and bipropellant budgets against the loads.
    """
    from msrsim.campaign.ero import mass_warnings, summary
    from msrsim.campaign.schedule import plan_schedule

    loaded = _load(scenario, overrides)
    try:  # the schedule flies the ERO's whole mission: the one msrsim run flies
        with (
            _reporting(quiet, show_progress) as progress,
            _step(progress, "schedule: the ERO's mission") as advance,
        ):
            mission = plan_schedule(loaded, progress=advance).ero
    except ValueError as exc:
        _input_error("ero", exc)
    from msrsim.report.ero_plots import ero_plots

    _report("ero", loaded.scenario.name, summary(mission), plot, as_json,
            lambda: ero_plots(mission, plot), "campaign",
            mass_warnings(loaded, mission))  # fmt: skip


# --------------------------------------------------------------------------------------
# msrsim edl
# --------------------------------------------------------------------------------------


@app.command("edl")
def edl_command(
    scenario: ScenarioArg = None,
    overrides: SetOption = None,
    trials: _trials_option("Landing Monte Carlo trials (scenario: srl.edl.trials).") = None,
    seed: SeedOption = None,
    plot: _plot_option("the entry profile, the ellipse on Jezero and the distributions") = None,
    as_json: JsonOption = False,
    standalone: StandaloneOption = False,
    quiet: QuietOption = False,
    show_progress: ProgressOption = False,
) -> None:
    """Mars entry, descent and landing of the SRL at Jezero, with its landing Monte Carlo.

    Aims the SRL's approach (first day of the launch period the schedule plans, as msrsim
    run) so the reference lands on the target, designs the Apollo final-phase guidance on
    it, and flies the dispersed entries guided and open loop through parachute,
    separations and powered descent. By default the campaign's leg (from the legs cache
    when msrsim run flew it).
    """
    from msrsim.campaign.edl import run_edl, summary
    from msrsim.campaign.schedule import plan_srl_launch_period
    from msrsim.report.edl_plots import edl_plots

    if standalone:
        loaded = _load(scenario, overrides)
        try:  # the launch period msrsim run plans (its first day), not the least-C3 one
            with _reporting(quiet, show_progress) as progress:
                with _step(progress, "schedule: the SRL's launch period"):
                    period = plan_srl_launch_period(loaded)
                with _step(progress, "SRL entry, descent and landing: design and Monte Carlo"):
                    result = run_edl(loaded, period, trials=trials, seed=seed)
        except ValueError as exc:
            _input_error("edl", exc)
    else:
        loaded, result = _campaign_leg("edl", scenario, overrides, "edl", trials=trials,
                                       trials_field="srl.edl.trials", seed=seed,
                                       quiet=quiet,
                                       show_progress=show_progress)  # fmt: skip

    e, depot = loaded.srl.edl, loaded.surface.depot
    _report("edl", loaded.scenario.name, summary(result), plot, as_json,
            lambda: edl_plots(
                result.nominal, result.guided, plot,
                target_latitude_deg=loaded.srl.target.latitude_deg,
                target_longitude_deg=loaded.srl.target.east_longitude_deg,
                depot_latitude_deg=depot.latitude_deg,
                depot_longitude_deg=depot.east_longitude_deg,
                max_deploy_mach=e.parachute_max_mach,
                max_deploy_dynamic_pressure_pa=e.parachute_max_dynamic_pressure_pa,
                site=result.region,
            ), "standalone" if standalone else "campaign")  # fmt: skip


# --------------------------------------------------------------------------------------
# msrsim ascent
# --------------------------------------------------------------------------------------


@app.command("ascent")
def ascent_command(
    scenario: ScenarioArg = None,
    overrides: SetOption = None,
    trials: _trials_option("Ascent Monte Carlo trials (scenario: mav.trials).") = None,
    seed: SeedOption = None,
    plot: _plot_option("the ascent profile, the delta-v budget and the orbit spreads") = None,
    as_json: JsonOption = False,
    standalone: StandaloneOption = False,
    quiet: QuietOption = False,
    show_progress: ProgressOption = False,
) -> None:
    """Mars ascent: the MAV from the toss to the Orbiting Sample's release in orbit.

    Finds the launch azimuth, pitch programme, coast and SRM2 attitude that reach the
    target orbit with the most margin, flies the cold and warm propellant cases, then a
    Monte Carlo of motor, mass, atmosphere, wind, toss and pointing dispersions. The launch
    is on the nominal surface timeline's MAV-ready sol. By default the campaign's leg, from
    the EDL's landing site and the surface timeline (from the legs cache when msrsim run
    flew them); standalone, from the scenario's target site.
    """
    from msrsim.campaign.ascent import run_ascent, summary, trajectory_rows

    if standalone:
        loaded, result = _standalone_leg(
            "ascent", scenario, overrides, "Mars ascent: design and Monte Carlo",
            lambda loaded, advance: run_ascent(loaded, trials=trials, seed=seed,
                                               progress=advance),
            quiet, show_progress,
        )  # fmt: skip
    else:
        loaded, result = _campaign_leg("ascent", scenario, overrides, "ascent", trials=trials,
                                       trials_field="mav.trials", seed=seed, quiet=quiet,
                                       show_progress=show_progress)  # fmt: skip
    mode = "standalone" if standalone else "campaign"
    rows = trajectory_rows(result)
    drawn = []
    if plot is not None:
        from msrsim.report.ascent_plots import ascent_plots

        try:
            drawn = ascent_plots(result, plot)
        except OSError as exc:
            _fail("ascent --plot", [f"{plot}: cannot be written ({exc.strerror})"])
    if as_json:
        _print_json({"mode": mode} | summary(result) | {"trajectory": rows})
        return
    _print_header("ascent", loaded.scenario.name, mode)
    table = _Table(title="Nominal trajectory (time since the toss)", title_justify="left")
    columns = (
        ("t s", "time_s", "{:.1f}"),
        ("phase", "phase", "{}"),
        ("alt km", "altitude_km", "{:.2f}"),
        ("v m/s", "speed_m_s", "{:.0f}"),
        ("Mach", "mach", "{:.2f}"),
        ("q Pa", "dynamic_pressure_pa", "{:.0f}"),
        ("fpa deg", "flight_path_angle_deg", "{:.2f}"),
        ("F N", "thrust_n", "{:.0f}"),
        ("m kg", "mass_kg", "{:.1f}"),
    )
    for label, _, _ in columns:
        table.add_column(label, justify="left" if label == "phase" else "right", no_wrap=True)
    for row in rows:
        table.add_row(*(form.format(row[key]) for _, key, form in columns))
    out.print(table)
    _print_parts(summary(result))
    if drawn:
        out.print("Drawn: " + ", ".join(str(p) for p in drawn))


# --------------------------------------------------------------------------------------
# msrsim rendezvous
# --------------------------------------------------------------------------------------


@app.command("rendezvous")
def rendezvous_command(
    scenario: ScenarioArg = None,
    overrides: SetOption = None,
    trials: _trials_option("Rendezvous Monte Carlo trials (scenario: rendezvous.trials).") = None,
    seed: SeedOption = None,
    plot: _plot_option(
        "the V-bar/R-bar trajectories, passive safety, navigation and the distributions"
    ) = None,
    as_json: JsonOption = False,
    standalone: StandaloneOption = False,
    quiet: QuietOption = False,
    show_progress: ProgressOption = False,
) -> None:
    """Rendezvous, capture and containment of the Orbiting Sample in Mars orbit.

    From the OS's release, the ERO searches with its narrow-angle camera, tracks with an
    EKF, phases, transfers and hops along V-bar to capture, all trials flown on J2, drag
    and radiation pressure; then the containment barriers' Monte Carlo against the
    break-the-chain requirement. By default the campaign's leg, from the ascent's release
    and the ERO's arrival in its search orbit (from the legs cache when msrsim run flew
    them); standalone, from the scenario's representative orbit and covariance.
    """
    from msrsim.campaign.rendezvous import run_rendezvous, summary
    from msrsim.report.rendezvous_plots import rendezvous_plots

    if standalone:
        loaded, result = _standalone_leg(
            "rendezvous", scenario, overrides, "rendezvous, capture and containment: Monte Carlo",
            lambda loaded, advance: run_rendezvous(loaded, trials=trials, seed=seed,
                                                   progress=advance),
            quiet, show_progress,
        )  # fmt: skip
    else:
        loaded, result = _campaign_leg("rendezvous", scenario, overrides, "rendezvous",
                                       trials=trials, trials_field="rendezvous.trials",
                                       seed=seed, quiet=quiet,
                                       show_progress=show_progress)  # fmt: skip
    _report("rendezvous", loaded.scenario.name, summary(result), plot, as_json,
            lambda: rendezvous_plots(result, plot),
            "standalone" if standalone else "campaign")  # fmt: skip


# --------------------------------------------------------------------------------------
# msrsim surface
# --------------------------------------------------------------------------------------


@app.command("surface")
def surface_command(
    scenario: ScenarioArg = None,
    overrides: SetOption = None,
    trials: _trials_option("Surface Monte Carlo trials (scenario: surface.trials).") = None,
    seed: SeedOption = None,
    rover_fails: Annotated[
        bool | None,
        typer.Option(
            "--rover-fails/--no-rover-fails",
            show_default=False,
            help="Perseverance cannot deliver from the SRL's landing on, so the helicopters "
            "fetch the depot tubes (scenario: perseverance.fails_at_landing).",
        ),
    ] = None,
    landing_utc: Annotated[
        str | None,
        typer.Option(
            "--landing-utc",
            show_default=False,
            help="SRL landing, UTC date (default: the schedule's first landing).",
        ),
    ] = None,
    deadline_utc: Annotated[
        str | None,
        typer.Option(
            "--deadline-utc",
            show_default=False,
            help="Latest MAV launch, UTC date (default: the schedule's MAV launch deadline).",
        ),
    ] = None,
    plot: _plot_option("the timeline (Gantt) and the Monte Carlo histograms") = None,
    as_json: JsonOption = False,
    standalone: StandaloneOption = False,
    quiet: QuietOption = False,
    show_progress: ProgressOption = False,
) -> None:
    """Surface operations, sol by sol: rover courier, helicopter backup, MAV readiness.

    Perseverance drives to the SRL, the Sample Transfer Arm loads its tubes, the
    helicopters fetch the depot's if Perseverance cannot, and the MAV is ready on a
    launch-season sol before the deadline. Prints the nominal timeline (no random event)
    and a Monte Carlo of drive rates, anomalies, failures, wind and helicopter losses.
    By default the campaign's leg, from the EDL leg's landing (from the legs cache when
    msrsim run flew it); the landing and deadline options fly it standalone.
    """
    from msrsim.campaign.surface import run_surface, summary, timeline_rows
    from msrsim.core.time import utc_to_et

    standalone = standalone or landing_utc is not None or deadline_utc is not None
    if standalone:
        loaded = _load(scenario, overrides)
        try:
            landing_et, deadline_et = (
                None if text is None else float(utc_to_et(text)[0])
                for text in (landing_utc, deadline_utc)
            )
            with (
                _reporting(quiet, show_progress) as progress,
                _step(progress, "surface operations: nominal sols and Monte Carlo"),
            ):
                result = run_surface(
                    loaded,
                    landing_et=landing_et,
                    deadline_et=deadline_et,
                    rover_fails=rover_fails,
                    trials=trials,
                    seed=seed,
                )
        except ValueError as exc:
            _input_error("surface", exc)
    else:
        changes = [*(overrides or ())]  # --rover-fails: the scenario value it stands for
        if rover_fails is not None:
            changes.append(f"perseverance.fails_at_landing={str(rover_fails).lower()}")
        loaded, result = _campaign_leg("surface", scenario, changes, "surface", trials=trials,
                                       trials_field="surface.trials", seed=seed,
                                       quiet=quiet, show_progress=show_progress)  # fmt: skip
    mode = "standalone" if standalone else "campaign"
    parts, rows = summary(result), timeline_rows(result)
    if plot is not None:
        from msrsim.report.surface_plots import surface_plots

        try:
            drawn = surface_plots(result, plot)
        except OSError as exc:
            _fail("surface --plot", [f"{plot}: cannot be written ({exc.strerror})"])
    if as_json:
        _print_json({"mode": mode} | parts | rows)
        return
    _print_header("surface", loaded.scenario.name, mode)
    _print_surface_timeline(rows)
    _print_parts(parts)
    if plot is not None:
        out.print("Drawn: " + ", ".join(str(p) for p in drawn))


def _print_surface_timeline(rows: dict) -> None:
    """The nominal timeline: activities (flights folded per helicopter), flights, tubes."""
    table = _Table(title="Nominal timeline (no random event)", title_justify="left")
    table.add_column("actor")
    table.add_column("activity")
    for column in ("from UTC", "to UTC", "sols"):
        table.add_column(column, no_wrap=True)
    flown: dict[str, list[dict]] = {}
    lines = []
    for a in rows["activities"]:
        if a["actor"].startswith("Helicopter "):
            flown.setdefault(a["actor"], []).append(a)
        else:
            lines.append((a["actor"], a["name"], a, a))
    lines += [
        (actor, f"{len(hops)} flights (below)", hops[0], hops[-1]) for actor, hops in flown.items()
    ]
    for actor, name, first, last in sorted(lines, key=lambda line: line[2]["start_utc"]):
        sols = str(first["start_sol"])
        if last["end_sol"] != first["start_sol"]:
            sols += f"-{last['end_sol']}"
        table.add_row(actor, name, first["start_utc"], last["end_utc"], sols)
    out.print(table)
    if rows["flights"]:
        flights = _Table(title="Helicopter flights", title_justify="left")
        for column in ("heli", "sol", "UTC", "leg", "tube", "distance m", "lost"):
            flights.add_column(column, no_wrap=column == "UTC")
        for f in rows["flights"]:
            flights.add_row(
                str(f["helicopter"]),
                str(f["sol"]),
                f["start_utc"],
                f["leg"],
                f["tube"],
                f"{f['distance_m']:.0f}",
                "lost" if f["lost"] else "",
            )
        out.print(flights)
    else:
        out.print("Helicopter flights: none (Perseverance delivers; --rover-fails sends them)")
    tubes = _Table(title=f"Tubes loaded ({len(rows['tubes_loaded'])})", title_justify="left")
    for column in ("#", "tube", "kind", "sealed sol", "courier"):
        tubes.add_column(column)
    for k, t in enumerate(rows["tubes_loaded"], start=1):
        sealed = "" if t["sealed_sol"] is None else str(t["sealed_sol"])
        tubes.add_row(str(k), t["name"], t["kind"], sealed, t["courier"])
    out.print(tubes)


# --------------------------------------------------------------------------------------
# Progress on stderr
# --------------------------------------------------------------------------------------


class _Lines:
    """Progress as plain lines on stderr, for a pipe or a log (``--progress``): a line
    when a stage starts, then at most one every ``every_s`` seconds and one at its end,
    each with the steps done, the time taken and an estimate of the time left."""

    def __init__(self, every_s: float = 5.0):
        self.every_s = every_s
        self.started: dict[str, float] = {}
        self.last: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        key = _stage_key(stage)
        first = key not in self.started
        if first:
            self.started[key] = now
        ended = total is not None and done >= total
        if not (first or ended or now - self.last.get(key, now) >= self.every_s):
            return
        self.last[key] = now
        elapsed = now - self.started[key]
        text = f"msrsim: {stage}"
        if ended and total == 1:
            text += f": done in {elapsed:.0f} s"
        elif total:
            text += f": {done:,}/{total:,} in {elapsed:.0f} s"
            if 0 < done < total:
                text += f", about {elapsed * (total - done) / done:.0f} s left"
        sys.stderr.write(text + "\n")
        sys.stderr.flush()


def _stage_key(stage: str) -> str:
    """The stage a report belongs to: ``'legs: Mars ascent'`` is the ``legs`` stage,
    flying its Mars ascent."""
    return stage.partition(": ")[0]


@contextlib.contextmanager
def _reporting(quiet: bool, forced: bool):
    """Yields ``progress(stage, done, total)``, which shows on stderr what is being done:
    one bar per stage (``stage`` is ``'legs: <the leg being flown>'``, ``'trials'``,
    ...), with the steps done, the time taken and an estimate of the time left (``total``
    None: steps unknown, the time taken only). On a terminal unless ``quiet``; as plain
    lines when ``forced`` (``--progress``) and stderr is not a terminal; else None."""
    if quiet or not (forced or err.is_terminal):
        yield None
        return
    if not err.is_terminal:
        yield _Lines()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int | None) -> None:
            key = _stage_key(stage)
            if key not in tasks:
                tasks[key] = bar.add_task(stage, total=total)
            bar.update(tasks[key], description=stage, completed=done, total=total)

        yield progress


@contextlib.contextmanager
def _step(progress, stage: str):
    """Yields ``advance(done, total)`` for one stage of ``progress`` (None when there is
    no progress); the stage is shown from the start, its steps unknown until told, and
    as done at the end when it never was told."""
    if progress is None:
        yield None
        return
    told = []

    def advance(done: int, total: int | None) -> None:
        told.append(done)
        progress(stage, done, total)

    progress(stage, 0, None)
    yield advance
    if not told:
        progress(stage, 1, 1)


def _legs_progress(progress):
    """``progress`` as :func:`msrsim.campaign.runner.campaign_legs` tells it: the legs
    stage, named by the leg being flown."""
    if progress is None:
        return None
    return lambda what, done, total: progress(f"legs: {what}", done, total)


# --------------------------------------------------------------------------------------
# msrsim mars-time
# --------------------------------------------------------------------------------------


@app.command("mars-time")
def mars_time_command(
    utc: Annotated[
        str | None,
        typer.Argument(help="UTC date-time, ISO 8601 (now when omitted).", show_default=False),
    ] = None,
    east_longitude_deg: Annotated[
        float | None,
        typer.Option(
            "--longitude-deg",
            help="East longitude for local solar times (deg).",
            min=-180.0,
            max=360.0,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Mars time (Mars24): MSD, MTC, Ls, Mars Year, local times, Perseverance sol."""
    import datetime as dt

    from msrsim.core.time import (
        PERSEVERANCE_CLOCK,
        TimeInputError,
        et_to_utc_iso,
        format_hours,
        mars_time,
        utc_to_et,
    )

    text = utc if utc is not None else dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat()
    try:
        et = utc_to_et(text)
    except TimeInputError as exc:
        _fail("mars-time", [str(exc)])
    mt = mars_time(et, east_longitude_deg)
    fields: dict[str, Any] = {
        "utc": et_to_utc_iso(et, precision=3)[0],
        "et_s": float(et[0]),
        "mars_solar_date": float(mt.mars_solar_date[0]),
        "coordinated_mars_time": format_hours(mt.coordinated_mars_time_hours)[0],
        "solar_longitude_deg": float(mt.solar_longitude_deg[0]),
        "mars_year": int(mt.mars_year[0]),
        "equation_of_time_deg": float(mt.equation_of_time_deg[0]),
        "subsolar_east_longitude_deg": float(mt.subsolar_longitude_deg[0]),
        "perseverance_sol": int(PERSEVERANCE_CLOCK.sol(et)[0]),
    }
    if east_longitude_deg is not None:
        fields["east_longitude_deg"] = east_longitude_deg
        fields["local_mean_solar_time"] = format_hours(mt.local_mean_solar_time_hours)[0]
        fields["local_true_solar_time"] = format_hours(mt.local_true_solar_time_hours)[0]
    if as_json:
        _print_json(fields)
        return
    table = _Table(title="Mars time (Mars24)", title_justify="left", show_header=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in fields.items():
        table.add_row(
            key.replace("_", " "), f"{value:.5f}" if isinstance(value, float) else str(value)
        )
    out.print(table)


# --------------------------------------------------------------------------------------
# msrsim scenario validate / show / init
# --------------------------------------------------------------------------------------


@scenario_app.command("validate")
def scenario_validate(
    path: Annotated[str, typer.Argument(help="Scenario TOML file (or a packaged name).")],
    overrides: SetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a scenario file; print one line per problem (exit code 2 if any)."""
    leaves = _load(path, overrides).leaves()
    user = sum(1 for _, _, prov in leaves if prov is not None and prov.user)
    if as_json:
        _print_json({"scenario": path, "valid": True, "values": len(leaves), "user_values": user})
        return
    out.print(f"{path}: valid ({len(leaves)} values, {user} given by the user)")


def _write_new(path: Path, text: str, command: str) -> None:
    """Write ``text`` to a new file at ``path``; exit 2 if it exists or cannot be written."""
    try:
        with open(path, "x", encoding="utf-8") as f:
            f.write(text)
    except FileExistsError:
        _fail(command, [f"{path} exists: not overwritten (give another name, or remove it)"])
    except OSError as exc:
        _fail(command, [f"{path}: cannot be written ({_reason(exc)})"])


@scenario_app.command("show")
def scenario_show(
    scenario: ScenarioArg = None,
    overrides: SetOption = None,
    as_toml: Annotated[
        bool,
        typer.Option(
            "--toml",
            help="Print the scenario resolved (extends and --set applied) as one TOML file, "
            "every value with its source: it loads back equal.",
        ),
    ] = False,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            dir_okay=False,
            show_default=False,
            help="With --toml: write it to this new file (never over an existing one).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print every value of a scenario with its source.

    A value given without a source (bare in a file, or by --set) shows as 'user: <file>'
    or 'user: --set'. --json keys each value by the name --set takes, dates as ISO 8601.
    """
    from datetime import datetime as dt

    from msrsim import __version__
    from msrsim.scenario import date_text, scenario_json, scenario_toml

    if as_json and (as_toml or out_file is not None):
        _fail("scenario show", ["--json and --toml are two outputs: give one"])
    if out_file is not None and not as_toml:
        _fail("scenario show", ["--out writes the --toml output: give --toml"])
    loaded = _load(scenario, overrides)
    name = scenario or "baseline"
    if as_json:
        _print_json(scenario_json(loaded))
        return
    if as_toml:
        changes = "".join(f" --set {o}" for o in overrides or ())
        text = scenario_toml(
            loaded,
            f"{loaded.scenario.name}: every value of {name}{changes}, resolved, with its "
            f"source\n(msrsim scenario show --toml, msrsim {__version__})",
        )
        if out_file is None:
            sys.stdout.write(text)
            return
        _write_new(out_file, text, "scenario show")
        out.print(f"wrote {out_file} ({len(loaded.leaves())} values)")
        return
    from rich.markup import escape
    from rich.text import Text

    title = f"Scenario: {name}" + "".join(f" --set {o}" for o in overrides or ())
    out.print(f"[bold]{escape(title)}[/]: each value under its section (--set SECTION.KEY=VALUE), "
              "then its source")  # fmt: skip
    grid = _Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)  # a key is never split
    grid.add_column(overflow="fold")
    section = None
    for path, value, prov in loaded.leaves():
        where, _, key = path.rpartition(".")
        if where != section:
            section = where
            grid.add_row(Text(f"[{where}]", style="bold"), "")
        if prov is None:
            source = Text("-", style="dim")
        elif prov.representative:
            source = Text.assemble(("representative", "yellow"), f": {prov.source}")
        elif prov.user:
            source = Text.assemble(("user", "cyan"), prov.source[len("user") :])
        else:
            source = Text(prov.source)
        shown = date_text(value) if isinstance(value, dt) else str(value)
        grid.add_row(f"  {key}", Text.assemble(shown, "\n", source))
    out.print(grid)


@scenario_app.command("init")
def scenario_init(
    name: Annotated[
        str,
        typer.Argument(help="The new scenario: NAME (writes NAME.toml here) or a path.toml."),
    ],
    parent: Annotated[
        str,
        typer.Option(
            "--from",
            help="The scenario it inherits from: a packaged name or a scenario file.",
        ),
    ] = "baseline",
    as_json: JsonOption = False,
) -> None:
    """Start a scenario that inherits every value of another (extends) and changes a few.

    Writes NAME.toml (never over an existing file) with `extends` and a commented example
    of how to change values; check it with msrsim scenario show NAME.toml.
    """
    import os

    from msrsim.scenario import packaged_names, variant_text

    path = Path(name if name.endswith(".toml") else f"{name}.toml")
    _load(parent)  # a scenario that cannot be loaded is not a parent
    if parent not in packaged_names():  # a path: from the new file's folder
        parent = Path(os.path.relpath(Path(parent).resolve(), path.resolve().parent)).as_posix()
    _write_new(path, variant_text(path.stem, parent), "scenario init")
    _load(str(path))
    if as_json:
        _print_json({"file": str(path), "extends": parent})
        return
    out.print(f"wrote {path}: every value of {parent}; change values there, or try "
              f"them first with msrsim scenario show {path} --set SECTION.KEY=VALUE")  # fmt: skip


# --------------------------------------------------------------------------------------
# msrsim export oem / czml
# --------------------------------------------------------------------------------------


def _trajectories(
    scenario: str | None, overrides: list[str] | None, quiet: bool, show_progress: bool
) -> dict:
    """The scenario's trajectories (:mod:`msrsim.campaign.products`), legs from the cache."""
    from msrsim.campaign.runner import campaign_legs

    loaded = _load(scenario, overrides)
    try:
        with _reporting(quiet, show_progress) as progress:
            return campaign_legs(loaded, progress=_legs_progress(progress)).products
    except ValueError as exc:
        _input_error("export", exc)


@export_app.command("oem")
def export_oem(
    scenario: ScenarioArg = None,
    overrides: SetOption = None,
    out_dir: Annotated[
        Path,
        typer.Option("--out", file_okay=False, help="Folder for the .oem files (created)."),
    ] = ...,
    names: Annotated[
        list[str] | None,
        typer.Option(
            "--trajectory",
            show_default=False,
            help="Only this trajectory (repeatable): ero_outbound_cruise, ero_mars_orbit, "
            "srl_approach, srl_entry, mav_ascent, os_orbit, ero_rendezvous, "
            "ero_return_cruise, ees_approach, ees_entry. Default: all.",
        ),
    ] = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    show_progress: ProgressOption = False,
) -> None:
    """Write one CCSDS OEM (KVN 2.0) file per trajectory.

    States in km and km/s: heliocentric or Mars-centred ICRF in TDB, Earth-centred GCRF in
    UTC; one segment per continuous arc; positions to 1 mm, velocities to 1 um/s, epochs
    to 1 us. Covariance blocks where the leg has one: the Orbiting Sample at release, the
    EES at its entry interface.
    """
    from msrsim.campaign.products import TRAJECTORY_NAMES
    from msrsim.io.oem import write_oem

    unknown = [n for n in names or () if n not in TRAJECTORY_NAMES]
    if unknown:
        _fail(
            "--trajectory",
            [f"{n!r} is not a trajectory (one of {', '.join(TRAJECTORY_NAMES)})" for n in unknown],
        )
    products = _trajectories(scenario, overrides, quiet, show_progress)
    absent = [n for n in names or () if n not in products]
    if absent:
        _fail(  # a chemical ERO's ballistic arcs are not products
            "--trajectory",
            [f"{n!r} is not flown by this scenario (it has {', '.join(products)})" for n in absent],
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = [
            (write_oem(out_dir / f"{name}.oem", products[name]), products[name])
            for name in (names or products)
        ]
    except OSError as exc:
        _fail(str(out_dir), [str(exc)])
    rows = [
        {
            "file": str(path),
            "trajectory": t.name,
            "center": t.center,
            "frame": t.frame,
            "time_system": t.time_system,
            "states": int(t.et.size),
            "segments": len(t.arcs),
            "covariances": len(t.covariances),
        }
        for path, t in written
    ]
    if as_json:
        _print_json(rows)
        return
    table = _Table(title=f"CCSDS OEM files in {out_dir} (<trajectory>.oem)", title_justify="left")
    for column in list(rows[0])[1:]:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(v) for v in list(row.values())[1:]))
    out.print(table)


@export_app.command("czml")
def export_czml(
    scenario: ScenarioArg = None,
    overrides: SetOption = None,
    out_file: Annotated[
        Path, typer.Option("--out", dir_okay=False, help="The .czml file to write.")
    ] = ...,
    multiplier: Annotated[
        float,
        typer.Option("--multiplier", min=1.0, help="Simulated seconds per second of play."),
    ] = 86400.0,
    mars_file: Annotated[
        Path | None,
        typer.Option(
            "--mars-out",
            dir_okay=False,
            show_default=False,
            help="The Mars document (default: beside --out, named <stem>_mars.czml).",
        ),
    ] = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    show_progress: ProgressOption = False,
) -> None:
    """Write two CZML documents for Cesium: the relay about Earth, and Mars's part at Mars.

    The first: the ERO, the OS and the EES in Earth-centred ICRF (Cesium's INERTIAL frame;
    Mars- and Sun-centred states moved to the geocentre with DE421), a clock over the
    relay. The second: the SRL's arrival, the ERO's spirals and rendezvous, the MAV ascent
    and the OS's orbit in Mars's body-fixed frame (FIXED), for a viewer whose globe is
    Mars (Cesium.Ellipsoid.MARS); played at ten minutes a second.
    """
    from msrsim.io.czml import write_czml, write_mars_czml

    mars_file = mars_file or out_file.with_name(f"{out_file.stem}_mars.czml")
    products = _trajectories(scenario, overrides, quiet, show_progress)
    try:
        for path in (out_file, mars_file):
            if path.parent != Path(""):
                path.parent.mkdir(parents=True, exist_ok=True)
        write_czml(out_file, products, multiplier=multiplier)
        write_mars_czml(mars_file, products)
    except OSError as exc:
        _fail(str(out_file), [str(exc)])
    summary = {
        "file": str(out_file),
        "bytes": out_file.stat().st_size,
        "mars_file": str(mars_file),
        "mars_bytes": mars_file.stat().st_size,
    }
    if as_json:
        _print_json(summary)
        return
    out.print(f"wrote {out_file} ({summary['bytes'] / 1e6:.2f} MB): ERO, OS, EES about Earth")
    out.print(
        f"wrote {mars_file} ({summary['mars_bytes'] / 1e6:.2f} MB): SRL, ERO, OS at Mars "
        "(Mars-fixed; open on a Mars globe)"
    )


@export_app.command("spk")
def export_spk(
    scenario: ScenarioArg = None,
    overrides: SetOption = None,
    out_file: Annotated[
        Path, typer.Option("--out", dir_okay=False, help="The SPK file to write (.bsp).")
    ] = ...,
    names: Annotated[
        list[str] | None,
        typer.Option(
            "--trajectory",
            show_default=False,
            help="Only this trajectory (repeatable; the names of export oem). Default: all.",
        ),
    ] = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    show_progress: ProgressOption = False,
) -> None:
    """Write a SPICE SPK (type 13, Hermite) of the relay's trajectories.

    One segment per continuous arc; frame J2000 (ICRF axes), TDB, km; centres Sun, Earth
    and Mars; object IDs msrsim's own (listed in the file's comments). The ERO's spiral
    snapshots are left out (not interpolable).
    """
    from msrsim.campaign.products import TRAJECTORY_NAMES
    from msrsim.io.spk import write_spk

    unknown = [n for n in names or () if n not in TRAJECTORY_NAMES]
    if unknown:
        _fail(
            "--trajectory",
            [f"{n!r} is not a trajectory (one of {', '.join(TRAJECTORY_NAMES)})" for n in unknown],
        )
    products = _trajectories(scenario, overrides, quiet, show_progress)
    try:
        if out_file.parent != Path(""):
            out_file.parent.mkdir(parents=True, exist_ok=True)
        summary = write_spk(out_file, products, names)
    except ValueError as exc:
        _fail("--trajectory", [str(exc)])
    except OSError as exc:
        _fail(str(out_file), [str(exc)])
    summary["bytes"] = out_file.stat().st_size
    if as_json:
        _print_json(summary)
        return
    left = f"; left out (snapshots): {', '.join(summary['skipped'])}" if summary["skipped"] else ""
    out.print(
        f"wrote {out_file} ({summary['bytes'] / 1e6:.2f} MB, {summary['segments']} segments): "
        f"{', '.join(summary['trajectories'])}{left}"
    )


# --------------------------------------------------------------------------------------
# msrsim samples
# --------------------------------------------------------------------------------------


@app.command()
def samples(
    at: Annotated[
        str | None,
        typer.Option("--at", help="Only tubes now at 'rover' or 'depot'.", show_default=False),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="Only tubes whose kind contains this text (igneous, sedimentary, witness, ...).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The Perseverance sample tubes, where they are, and when they were sealed."""
    from dataclasses import asdict

    from msrsim.samples.catalog import select, sol_to_utc_date

    try:
        tubes = select(now_at=at, kind=kind)
    except ValueError as exc:
        _fail("samples", [str(exc).replace("now_at", "--at")])
    dates = sol_to_utc_date([t.sol if t.sol is not None else 0 for t in tubes])
    if as_json:
        _print_json(
            [
                {**asdict(t), "sol_start_utc_date": d if t.sol is not None else None}
                for t, d in zip(tubes, dates, strict=True)
            ]
        )
        return
    title = f"Perseverance tubes ({len(tubes)})"
    table = _Table(title=title, title_justify="left")
    for column in ("seq", "name", "kind", "where collected", "sol", "UTC (sol start)", "now at"):
        table.add_column(column)
    for t, d in zip(tubes, dates, strict=True):
        where = t.now_at + (f" #{t.depot_drop_order}" if t.depot_drop_order else "")
        table.add_row(
            str(t.tube_seq),
            t.name,
            t.kind,
            t.location or "",
            str(t.sol) if t.sol is not None else "",
            d if t.sol is not None else "",
            where,
        )
    out.print(table)


# --------------------------------------------------------------------------------------
# msrsim validate
# --------------------------------------------------------------------------------------


@app.command("validate")
def validate_command(
    cases: Annotated[
        list[str] | None,
        typer.Argument(show_default=False, help="Reference cases to run (default: all)."),
    ] = None,
    as_json: JsonOption = False,
    out_dir: _out_dir_option("Also write validation.json and validation.csv here.") = None,
    quiet: QuietOption = False,
    show_progress: ProgressOption = False,
) -> None:  # fmt: skip
    """Replay flown missions and published tables through the models: model, published
    value, difference, tolerance and pass/fail for each figure (exit 1 if any fails).

    Cases: Stardust and Genesis entries (msrsim entry from their interface states), MSL
    and Mars 2020 EDL, the NASA handbook's porkchop optima, the Mars24 worked examples and
    Mars solar conjunctions; each figure's source and tolerance are in the JSON.
    """
    from msrsim.validation.runner import FAIL, select, validate, validation_summary

    try:
        chosen = [c.name for c in select(cases)]
    except ValueError as exc:
        _input_error("validate", exc)
    with (
        _reporting(quiet, show_progress) as progress,
        _step(progress, "reference cases") as advance,
    ):
        rows = validate(chosen, progress=advance)
    summary = validation_summary(rows)
    if out_dir is not None:
        try:
            _write_validation(out_dir, summary)
        except OSError as exc:
            _fail("validate --out", [f"{out_dir}: cannot be written ({exc.strerror})"])
    if as_json:
        _print_json(summary)
    else:
        table = _Table(title="msrsim validate", title_justify="left")
        for label in ("case", "quantity [unit]", "model", "published", "difference",
                      "tolerance", "status"):  # fmt: skip
            table.add_column(label, justify="left" if label in ("case", "quantity [unit]",
                             "status") else "right")  # fmt: skip
        colour = {"pass": "green", "fail": "red", "known discrepancy": "yellow"}
        for row in summary["rows"]:
            table.add_row(
                row["case"], f"{row['quantity']} [{row['unit']}]", f"{row['model']:.6g}",
                f"{row['published']:.6g}", f"{row['difference']:+.3g}",
                f"{row['tolerance']:.3g}", f"[{colour[row['status']]}]{row['status']}[/]",
            )  # fmt: skip
        out.print(table)
        counts = summary["counts"]
        out.print(", ".join(f"{n} {status}" for status, n in counts.items()))
        for row in summary["rows"]:
            if "known_discrepancy" in row:
                out.print(f"[yellow]{row['case']} {row['quantity']}[/]: "
                          f"{row['known_discrepancy']}")  # fmt: skip
    if summary["counts"][FAIL]:
        sys.stderr.write(
            f"msrsim validate: {summary['counts'][FAIL]} figure(s) outside their tolerance\n"
        )
        raise typer.Exit(1)


def _write_validation(directory: Path, summary: dict) -> None:
    """validation.json (everything) and validation.csv (one row per figure)."""
    import csv

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "validation.json").write_text(_json_text(summary))
    with open(directory / "validation.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(summary["rows"][0]) + ["known_discrepancy"],
                                extrasaction="ignore")  # fmt: skip
        writer.writeheader()
        writer.writerows(summary["rows"])


# --------------------------------------------------------------------------------------
# msrsim scenarios
# --------------------------------------------------------------------------------------


@app.command("scenarios")
def scenarios(as_json: JsonOption = False) -> None:
    """The packaged scenarios, one line each: name (aliases), what it extends, its title
    and published cost."""
    from msrsim.scenario import packaged_catalog

    rows = packaged_catalog()
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        aliases = f" (also {', '.join(row['aliases'])})" if row["aliases"] else ""
        parent = f" [extends {row['extends']}]" if row["extends"] else ""
        cost = row["cost_range_busd"]
        money = f"; published cost ${cost[0]:g}-{cost[1]:g} B" if cost else ""
        out.print(f"{row['name']}{aliases}{parent}: {row['title']}{money}", markup=False)


# --------------------------------------------------------------------------------------
# msrsim doctor
# --------------------------------------------------------------------------------------


@app.command()
def doctor(as_json: JsonOption = False) -> None:
    """Versions, ephemeris coverage and leap-second table: what this installation has."""
    from importlib.metadata import version

    from msrsim.core.ephemeris import get_ephemeris
    from msrsim.core.time import et_to_utc_iso

    eph = get_ephemeris()
    start, end = et_to_utc_iso(eph.coverage_et)
    import erfa

    info = {
        "msrsim": version("msrsim"),
        "python": sys.version.split()[0],
        **{
            pkg: version(pkg)
            for pkg in ("numpy", "scipy", "astropy", "pyerfa", "jplephem", "numba", "pydantic")
        },
        "ephemeris": str(eph.path),
        "ephemeris_coverage_utc": f"{start[:10]} .. {end[:10]}",
        "leap_seconds_table_expires": str(erfa.leap_seconds.expires.date()),
    }
    if as_json:
        _print_json(info)
        return
    table = _Table(title="msrsim doctor", title_justify="left", show_header=False)
    table.add_column("item")
    table.add_column("value", overflow="fold")
    for key, value in info.items():
        table.add_row(key, value)
    out.print(table)


def _internal_failure(exc: BaseException) -> int:
    """Report a failure of msrsim itself on stderr, briefly (exit code 1)."""
    import os
    import traceback

    if os.environ.get("MSRSIM_DEBUG"):
        traceback.print_exception(exc)
        return INTERNAL_ERROR
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "msrsim" in f.filename]
    where = ""
    if frames:
        last = frames[-1]
        module = Path(last.filename).with_suffix("").parts
        start = max(i for i, part in enumerate(module) if part == "msrsim")
        where = f" in {'.'.join(module[start:])}.{last.name}, line {last.lineno}"
    if isinstance(exc, MemoryError):
        what = "out of memory"
    else:
        what = f"{type(exc).__name__}: {_reason(exc)}"
    if len(what) > 300:
        what = what[:297] + "..."
    message = (
        f"msrsim: internal error{where}: {what}. This is a failure of msrsim, not of your "
        "input; please report it (MSRSIM_DEBUG=1 shows the traceback)."
    )
    sys.stderr.write(message + "\n")
    if _JSON_REQUESTED.get():
        sys.stdout.write(json.dumps({"error": message, "internal": True}) + "\n")
    return INTERNAL_ERROR


def main() -> None:
    """Entry point of the ``msrsim`` script: exit 0, 1 (msrsim failed, reported briefly),
    2 (the user's input) or 130 (interrupted)."""
    import signal

    def terminate(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminate)  # SIGTERM stops a command as Ctrl-C does
    try:
        app()
    except KeyboardInterrupt:  # typer maps one inside a command to 130 itself
        sys.stderr.write("interrupted\n")
        sys.exit(INTERRUPTED)
    except Exception as exc:
        if _interrupted(exc):
            sys.stderr.write("interrupted\n")
            sys.exit(INTERRUPTED)
        sys.exit(_internal_failure(exc))


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` stands for a Ctrl-C: a numba kernel interrupted by the signal
    returns a SystemError ("returned a result with an exception set") caused by it."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


if __name__ == "__main__":
    main()
