"""Every command as a user meets it, at 80 and at 200 columns: its tables and its help
never wider than the terminal, never cutting a word with an ellipsis, a date or an option
name; its ``--json`` output -- the result, and an error as ``{"error": ...}`` with exit
2 -- parseable JSON on stdout, whatever goes to stderr.

Each command runs once for its tables (what it prints is kept and drawn at both widths)
and once with ``--json``, on cheap options: a few trials, legs from the session's cache.
"""

import io
import json
import re
from collections import Counter
from dataclasses import dataclass

import pytest
import typer.main
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from msrsim import cli
from msrsim.cli import DATE, app

WIDTHS = (80, 200)
runner = CliRunner()


@dataclass(frozen=True)
class Case:
    """A command: its arguments for the tables (``{tmp}`` a fresh folder), for
    ``--json`` (added), for an error under ``--json``; the checks of its JSON result and
    of its printed text; the figures its ``--plot {tmp}/figures`` draws."""

    text: tuple[str, ...]
    json: tuple[str, ...]
    error: tuple[str, ...]
    check: object = None
    shows: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    whole: object = None
    """The printed tables' columns (index) whose words must never be split at either
    width: a narrow terminal wraps them between words."""


def _check_run(data):
    assert data["monte_carlo"]["trials"] == 10
    assert [leg["number"] for leg in data["legs"]] == list(range(1, 11))


def _check_edl(data):
    assert data["landing_monte_carlo"]["trials"] == 10
    assert 150.0 < data["nominal_edl"]["parachute_deploy_s"] < 320.0
    mc = data["landing_monte_carlo"]
    assert mc["ellipse_99_major_axis_km"] >= mc["ellipse_99_minor_axis_km"] > 0.0


def _check_ascent(data):
    assert data["monte_carlo"]["trials"] == 10
    assert data["nominal_ascent"]["periapsis_altitude_km"] == pytest.approx(500.0, abs=0.05)
    assert abs(data["delta_v_budget_m_s"]["closure"]) < 1e-4
    phases = [row["phase"] for row in data["trajectory"]]
    assert phases[0] == "toss" and phases[-1] == "release" and "SRM2" in phases


def _check_ero(data):
    assert set(data) == {
        "mode", "phases", "budget", "outbound_cruise", "mars_orbit_insertion", "spirals",
        "return_cruise",
    }  # fmt: skip
    assert data["budget"]["feasible"] is True
    assert data["budget"]["xenon_margin_kg"] >= 0 and data["budget"]["bipropellant_margin_kg"] >= 0


def _check_rendezvous(data):
    assert set(data) >= {"timeline", "navigation", "guidance", "capture", "containment"}
    assert data["capture"]["trials"] == 3
    assert data["containment"]["requirement_probability"] == 1e-6


def _check_entry(data):
    fp = data["footprint"]
    assert fp["trials"] == 10
    assert fp["ellipse_99_major_axis_km"] >= fp["ellipse_99_minor_axis_km"] > 0.0


def _check_surface(data):
    mc = data["monte_carlo"]
    assert mc["trials"] == 20
    assert not any(key.endswith(("_p05", "_p95")) for key in mc)  # one convention: 1/50/99
    assert mc["mav_ready_sol_p01"] <= mc["mav_ready_sol_median"] <= mc["mav_ready_sol_p99"]


BAD_SCENARIO = "no-such-scenario.toml"
CASES = {
    "run": Case(
        ("run", "--trials", "10", "--plot", "{tmp}/figures"),
        ("run", "--trials", "10", "--out", "{tmp}/run", "--no-report"),
        ("run", "--trials", "0"),
        _check_run,
        ("MSR baseline", "Constraint checks", "probability of success", "Risk drivers"),
        ("campaign_geometry.png",),
    ),
    "compare": Case(
        ("compare", "baseline", "baseline", "--trials", "10"),
        ("compare", "baseline", "baseline", "--trials", "10"),
        ("compare", "baseline"),
        lambda d: isinstance(d, dict) and d["trials"] == 10,
        whole=0,  # the metric names
    ),
    "sweep": Case(
        ("sweep", "--param", "reliability.mav_success=0.9:0.95:2", "--trials", "10"),
        ("sweep", "--param", "reliability.mav_success=0.9:0.95:2", "--trials", "10"),
        ("sweep", "--param", "nosuch.key=0:1"),
        lambda d: len(d["points"]) == 2,
    ),
    "report": Case(
        ("report", "{tmp}/run"),
        ("report", "{tmp}/run"),
        ("report", "{tmp}/nothing"),
        lambda d: d["report"].endswith("report.html"),
    ),
    "windows": Case(
        (
            "windows",
            "earth-mars",
            "--opportunity",
            "2028",
            "--step-days",
            "4",
            "--plot",
            "{tmp}/figures",
        ),
        (
            "windows",
            "mars-earth",
            "--departure-from",
            "2032-11-01",
            "--departure-to",
            "2033-04-01",
            "--arrival-from",
            "2033-05-01",
            "--arrival-to",
            "2033-12-31",
            "--step-days",
            "4",
        ),
        ("windows", "earth-mars", "--opportunity", "2028", "--departure-from", "2028-01-01"),
        lambda d: d["launch_period"]["days"] == 21 and len(d["optima"]) >= 1,
        ("Launch period",),
        ("porkchop_earth_mars.png",),
    ),  # fmt: skip
    "entry": Case(
        (
            "entry",
            "--trials",
            "10",
            "--return-arc",
            "ballistic",
            "--atmosphere",
            "us76",
            "--plot",
            "{tmp}/figures",
        ),
        ("entry", "--trials", "10", "--return-arc", "ballistic", "--atmosphere", "us76"),
        ("entry", "--flight-path-angle-deg", "5"),
        _check_entry,
        ("probability outside range",),
        ("entry_distributions.png", "entry_footprint.png", "entry_profile.png"),
    ),  # fmt: skip
    "ero": Case(
        ("ero", "--plot", "{tmp}/figures"),
        ("ero",),
        ("ero", BAD_SCENARIO),
        _check_ero,
        ("budget",),
        ("ero_spirals.png", "ero_thrust_power.png", "ero_trajectory.png"),
    ),
    "edl": Case(
        ("edl", "--trials", "10", "--plot", "{tmp}/figures"),
        ("edl", "--trials", "10"),
        ("edl", "--trials", "0"),
        _check_edl,
        ("ellipse 99 major axis km",),
        ("edl_distributions.png", "edl_ellipse_map.png", "edl_profile.png"),
    ),
    "ascent": Case(
        ("ascent", "--trials", "10", "--plot", "{tmp}/figures"),
        ("ascent", "--trials", "10"),
        ("ascent", "--seed", "-1"),
        _check_ascent,
        ("delta v budget", "Nominal trajectory"),
        ("ascent_distributions.png", "ascent_profile.png"),
    ),
    "rendezvous": Case(
        ("rendezvous", "--trials", "3", "--plot", "{tmp}/figures"),
        ("rendezvous", "--trials", "3"),
        ("rendezvous", BAD_SCENARIO),
        _check_rendezvous,
        ("capture",),
        (
            "rendezvous_distributions.png",
            "rendezvous_navigation.png",
            "rendezvous_passive_safety.png",
            "rendezvous_relative_trajectory.png",
        ),
    ),  # fmt: skip
    "surface": Case(
        ("surface", "--trials", "20", "--rover-fails", "--plot", "{tmp}/figures"),
        ("surface", "--trials", "20"),
        ("surface", "--landing-utc", "2031-02-30"),
        _check_surface,
        ("Helicopter flights", "1st pct, median, 99th pct"),
        ("surface_monte_carlo.png", "surface_timeline.png"),
    ),
    "mars-time": Case(
        ("mars-time", "2024-07-21T12:00:00", "--longitude-deg", "77.45"),
        ("mars-time", "2000-01-06T00:00:00"),
        ("mars-time", "2024-02-30"),
        lambda d: d["mars_year"] == 24 and "local_mean_solar_time" not in d,
    ),
    "samples": Case(
        ("samples",),
        ("samples", "--at", "depot"),
        ("samples", "--at", "orbit"),
        lambda d: {t["now_at"] for t in d} == {"depot"},
    ),  # fmt: skip
    "doctor": Case(
        ("doctor",),
        ("doctor",),
        ("doctor", "--nosuch"),
        lambda d: d["ephemeris_coverage_utc"].startswith("1899-07-2"),
    ),  # fmt: skip
    "scenario validate": Case(
        ("scenario", "validate", "baseline"),
        ("scenario", "validate", "baseline", "--set", "campaign.trials=20"),
        ("scenario", "validate", "baseline", "--set", "campaign.trials=-1"),
        lambda d: d["valid"] is True and d["user_values"] >= 1,
    ),
    "scenario show": Case(
        ("scenario", "show"),
        ("scenario", "show"),
        ("scenario", "show", BAD_SCENARIO),
        lambda d: isinstance(d, dict) and bool(d),
        ("departure_earliest_utc", "representative"),
    ),
    "scenario init": Case(
        ("scenario", "init", "{tmp}/text.toml"),
        ("scenario", "init", "{tmp}/json.toml"),
        ("scenario", "init", "{tmp}/x.toml", "--from", BAD_SCENARIO),
        lambda d: d["extends"] == "baseline",
    ),
    "export oem": Case(
        ("export", "oem", "--out", "{tmp}/oem", "--trajectory", "os_orbit"),
        ("export", "oem", "--out", "{tmp}/oem2", "--trajectory", "mav_ascent"),
        ("export", "oem", "--out", "{tmp}/oem3", "--trajectory", "nosuch"),
        lambda d: d[0]["trajectory"] == "mav_ascent",
    ),
    "validate": Case(
        ("validate", "mars24-2000-01-06"),
        ("validate", "mars24-2004-01-03"),
        ("validate", "nosuch"),
        lambda d: (
            d["counts"]["fail"] == 0 and {r["case"] for r in d["rows"]} == {"mars24-2004-01-03"}
        ),
    ),
    "scenarios": Case(
        ("scenarios",),
        ("scenarios",),
        ("scenarios", "--nosuch"),
        lambda d: {"baseline-2022", "skycrane-2025", "tianwen3"} <= {r["name"] for r in d},
    ),
    "export spk": Case(
        ("export", "spk", "--out", "{tmp}/a.bsp", "--trajectory", "os_orbit"),
        ("export", "spk", "--out", "{tmp}/b.bsp", "--trajectory", "mav_ascent"),
        ("export", "spk", "--out", "{tmp}/c.bsp", "--trajectory", "nosuch"),
        lambda d: isinstance(d, dict) and bool(d),
    ),
    "export czml": Case(
        ("export", "czml", "--out", "{tmp}/a.czml"),
        ("export", "czml", "--out", "{tmp}/b.czml"),
        ("export", "czml", "--out", "{tmp}/c.czml", "--multiplier", "0"),
        lambda d: d["bytes"] > 0,
    ),
}


def _args(args, tmp_path):
    return [a.replace("{tmp}", str(tmp_path)) for a in args]


def _drawn(printed, width: int) -> str:
    """What the command printed, drawn on a terminal ``width`` columns wide, uncropped
    (a table too wide for it shows as a line too long)."""
    console = Console(width=width, file=io.StringIO(), color_system=None, highlight=False)
    for objects, kwargs in printed:
        console.print(*objects, **{**kwargs, "crop": False})
    return console.file.getvalue()


CUT_DATE = re.compile(r"(?<![\w-])\d{4}-(?:\d\d?-?|\d\d-\d|\d\d-\d\dT[\d:]*)$")
"""A date's beginning at the end of a line: the date folded onto the next."""


def assert_readable(text: str, width: int) -> None:
    """No line wider than ``width``, no word cut with an ellipsis, no date folded."""
    lines = [line.rstrip() for line in text.splitlines()]
    for line, after in zip(lines, [*lines[1:], ""], strict=True):
        assert len(line) <= width, f"{len(line)} columns: {line!r}"
        words = line.split()
        cut = CUT_DATE.search(words[-1]) if words else None
        assert cut is None or DATE.fullmatch(cut.group()), f"a date cut: {line!r}"
        assert not re.match(r"\s*(T\d|:\d\d)", after), f"a time cut off: {after!r}"
    assert "…" not in text


def assert_words_whole(printed, column: int, text: str) -> None:
    """Every word of the printed tables' ``column`` is drawn whole in ``text``: each occurs
    there at least as often as in all the tables' cells (a word folded mid-way loses an
    occurrence)."""
    tables = [o for objects, _ in printed for o in objects if isinstance(o, Table)]
    assert tables
    cells = [str(cell) for table in tables for col in table.columns for cell in col._cells]
    drawn = Counter(text.split())
    for table in tables:
        for word in {w for cell in table.columns[column]._cells for w in str(cell).split()}:
            expected = sum(cell.split().count(word) for cell in cells)
            assert drawn[word] >= expected, f"{word!r} split: {drawn[word]} of {expected}"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run written with --out (the run case's JSON, with --progress): read by
    ``report``."""
    tmp = tmp_path_factory.mktemp("cli-output")
    result = runner.invoke(app, [*_args(CASES["run"].json, tmp), "--json", "--progress"])
    assert result.exit_code == 0, result.output
    return tmp, json.loads(result.stdout), result.stderr


@pytest.mark.parametrize("name", list(CASES))
def test_command_is_readable_and_its_json_parses(name, tmp_path, monkeypatch, request):
    case = CASES[name]
    if name in ("run", "report"):
        run_dir = request.getfixturevalue("run_dir")
        tmp_path = run_dir[0]
    printed = []
    monkeypatch.setattr(cli.out, "print", lambda *o, **k: printed.append((o, k)))
    result = runner.invoke(app, _args(case.text, tmp_path))
    assert result.exit_code == 0, result.output
    for width in WIDTHS:
        text = _drawn(printed, width)
        assert_readable(text, width)
        if case.whole is not None:
            assert_words_whole(printed, case.whole, text)
        for shown in case.shows:
            assert shown in " ".join(_drawn(printed, 200).split()), shown
    for figure in case.figures:
        png = (tmp_path / "figures" / figure).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000  # a figure, not a canvas

    if name == "run":  # --progress: on stderr, stdout clean JSON; the legs named
        data, progress = run_dir[1], run_dir[2].splitlines()
        assert any(line.startswith("msrsim: legs: ") for line in progress), progress
        assert progress[-1].startswith("msrsim: trials: 10/10 in "), progress
    else:
        data = json.loads(runner.invoke(app, [*_args(case.json, tmp_path), "--json"]).stdout)
    assert case.check(data) is not False

    error = runner.invoke(app, [*_args(case.error, tmp_path), "--json"])
    assert error.exit_code == 2, error.output
    assert set(json.loads(error.stdout)) >= {"error"}, error.stdout


def _commands(command=None, path=()):
    command = command or typer.main.get_command(app)
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))
    if not hasattr(command, "commands"):
        yield path, command


@pytest.mark.parametrize("width", WIDTHS)
def test_help_never_cuts_an_option_name_or_a_word(width):
    commands = list(_commands())
    assert len(commands) == len(CASES)  # every command has its case above
    for path, command in [((), typer.main.get_command(app)), *commands]:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": str(width)})
        assert result.exit_code == 0, result.output
        assert_readable(result.output, width)
        # every word whole, though a hyphenated one may wrap after a hyphen (built-/in)
        flat = re.sub(r"(?<=\w-) ", "", " ".join(result.output.split()))
        for param in command.params:
            for opt in (*param.opts, *param.secondary_opts):
                assert opt in result.output, (path, opt)
            for word in (getattr(param, "help", None) or "").split():
                assert word in flat, (path, param.name, word)
        for word in (command.help or "").split("\f")[0].split():
            assert word in flat, (path, word)
