"""Issue 22 at the command line: never lose a user's file, never accept a corrupted or
impossible result, never a traceback. One test (at least) per case of the issue; the
engine-level cases are in tests/campaign/test_campaign_execution.py, the physics guards in
tests/segments/ (EDL, approach) and tests/core/test_conics.py, the validation in
tests/test_scenario.py, and the standing fuzz suite in tests/test_fuzz.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from msrsim.campaign.execution import DirectoryLock
from msrsim.cli import app
from msrsim.scenario import baseline_text

runner = CliRunner()
OWN_FILES = ("summary.json", "report.html", "report_data.json")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def _one_line_error(result, *needles: str) -> str:
    """The run ended with exit 2 and a single-line error naming each of ``needles``."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# --------------------------------------------------------------------------------------
# Data loss: --out
# --------------------------------------------------------------------------------------


def _user_directory(tmp_path: Path) -> Path:
    """A directory of the user's own, with files of the names a run writes."""
    mine = tmp_path / "mine"
    (mine / "figures").mkdir(parents=True)
    for name in OWN_FILES:
        (mine / name).write_text(f"my own {name}")
    (mine / "figures" / "porkchop_ero.png").write_bytes(b"my own figure")
    (mine / "notes.txt").write_text("keep me")
    return mine


def _unchanged(mine: Path) -> None:
    for name in OWN_FILES:
        assert (mine / name).read_text() == f"my own {name}"
    assert (mine / "figures" / "porkchop_ero.png").read_bytes() == b"my own figure"
    assert (mine / "notes.txt").read_text() == "keep me"


def test_run_out_refuses_a_directory_that_is_not_a_run(tmp_path):
    # Issue 22, case 1: the "not empty" check looked only at trials/ and the user's
    # summary.json, report.html, report_data.json and figures were overwritten (exit 0).
    mine = _user_directory(tmp_path)
    result = invoke("run", "--trials", "200", "--out", mine)
    _one_line_error(result, "is not empty", "holds no msrsim run", "--force")
    _unchanged(mine)
    assert not (mine / "trials").exists()
    # --resume does not make it a run either
    result = invoke("run", "--trials", "200", "--out", mine, "--resume")
    _one_line_error(result, "holds no msrsim run")
    _unchanged(mine)


@pytest.mark.parametrize("link", ["summary.json", "figures", "trials", "report.html"])
def test_run_out_never_writes_through_a_link(tmp_path, link):
    # Issue 22, case 2: DIR/summary.json -> elsewhere/precious.txt overwrote the target;
    # DIR/figures -> another/dir received 21 PNGs. Refused, even with --force.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    target = elsewhere if link in ("figures", "trials") else elsewhere / "precious.txt"
    (out / link).symlink_to(target)
    for extra in ((), ("--force",)):
        result = invoke("run", "--trials", "200", "--out", out, *extra)
        _one_line_error(result, f"{out / link} is a symbolic link")
    assert sorted(p.name for p in elsewhere.iterdir()) == ["precious.txt"]
    assert (elsewhere / "precious.txt").read_text() == "precious"


def test_run_out_is_locked_for_the_whole_command(tmp_path):
    # Issue 22, case 3 at the command line: a second run on a directory another run holds
    # is refused before it touches anything.
    out = tmp_path / "run"
    out.mkdir()
    with DirectoryLock(out):
        for extra in ((), ("--resume",), ("--force",)):
            result = invoke("run", "--trials", "200", "--out", out, *extra)
            _one_line_error(result, "another msrsim run is writing there", f"pid {os.getpid()}")
    assert sorted(p.name for p in out.iterdir()) == [".msrsim.lock"]


def test_run_out_force_keeps_other_files_and_replaces_an_earlier_run(tmp_path):
    # --force into the user's directory: msrsim's files are written (atomically), the
    # user's other files stay; a second --force replaces that run; --resume finishes it.
    mine = _user_directory(tmp_path)
    args = ("run", "--trials", "60", "--chunk-size", "20", "--scheduler", "synchronous",
            "--no-report", "--out", mine)  # fmt: skip
    first = invoke(*args, "--force", "--json")
    assert first.exit_code == 0, first.output
    assert (mine / "notes.txt").read_text() == "keep me"
    summary = json.loads((mine / "summary.json").read_text())
    assert summary["monte_carlo"]["trials"] == 60
    assert not [p for p in mine.rglob(".*.tmp")]
    # now it is a run: refused without --resume/--force, resumed with --resume
    again = invoke(*args)
    _one_line_error(again, "holds an msrsim run", "--resume", "--force")
    resumed = invoke(*args, "--resume", "--json")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.output)["monte_carlo"] == {
        **summary["monte_carlo"],
        "wall_s": json.loads(resumed.output)["monte_carlo"]["wall_s"],
    }
    # --force replaces the run: chunks of another chunking do not clash
    replaced = invoke(*args[:-3], "--chunk-size", "30", "--no-report", "--out", mine, "--force")
    assert replaced.exit_code == 0, replaced.output
    names = sorted(p.name for p in (mine / "trials").glob("chunk-*.parquet"))
    assert names == ["chunk-0000000000-0000000030.parquet", "chunk-0000000030-0000000060.parquet"]
    assert (mine / "notes.txt").read_text() == "keep me"


def test_resume_and_force_need_out_and_each_other_not():
    _one_line_error(invoke("run", "--resume"), "--resume and --force go with --out DIR")
    _one_line_error(invoke("run", "--force"), "--resume and --force go with --out DIR")


# --------------------------------------------------------------------------------------
# Options that set sizes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("--trials", "100000000000000000000"), ("--trials",)),
        (("--trials", "1e20"), ("--trials",)),
        (("--trials", "0"), ("--trials",)),
        (("--trials", "100000000", "--chunk-size", "1"), ("makes 100,000,000 chunks",)),
        (("--chunk-size", "100000000000"), ("--chunk-size",)),
        (("--workers", "100000"), ("--workers 100000: at most",)),
        (("--seed", "-1"), ("--seed",)),
    ],
)
def test_run_size_options_out_of_bounds_are_exit_2(args, needles):
    # Issue 22: --trials 1e20 raised MemoryError building the chunk list.
    result = invoke("run", *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output


def test_a_porkchop_too_big_for_memory_is_exit_2_with_the_estimate():
    # Issue 22: a 50-year porkchop at 0.05-day steps tried to allocate 994 GiB.
    result = invoke("windows", "earth-mars", "--departure-from", "2000-01-01",
                    "--departure-to", "2050-01-01", "--arrival-from", "2000-06-01",
                    "--arrival-to", "2050-06-01", "--step-days", "0.05")  # fmt: skip
    _one_line_error(result, "--step-days 0.05", "needs an estimated", "TiB of memory")


def test_run_scheduler_that_is_an_http_server_is_exit_2(monkeypatch):
    # Issue 22: --scheduler pointed at an HTTP server (3 EiB allocation, or minutes of
    # waiting on a silent one). A web server answers nothing until asked: refused within
    # the connect timeout, naming the option.
    import http.server
    import threading

    import msrsim.campaign.execution as execution

    monkeypatch.setattr(execution, "CONNECT_TIMEOUT_S", 0.5)
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        address = f"tcp://127.0.0.1:{server.server_address[1]}"
        result = invoke("run", "--trials", "2000", "--chunk-size", "1000", "--scheduler", address)
    finally:
        server.shutdown()
        server.server_close()
    _one_line_error(result, f"--scheduler {address}", "no answer in 0.5 s")


def test_run_scheduler_that_is_no_address_is_exit_2():
    result = invoke("run", "--trials", "2000", "--chunk-size", "1000", "--scheduler", "http://x")
    _one_line_error(result, "--scheduler http://x", "tcp://host:port")


# --------------------------------------------------------------------------------------
# Input files
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        (b'[scenario]\nname = "caf\xe9"\n', ("not UTF-8 text (byte 0xe9 at offset 22)",)),
        (b"x = " + b"[" * 500 + b"]" * 500 + b"\n", ("nested too deeply",)),
        (b"\xff\xfe[\x00", ("not UTF-8",)),
        (b"x" * (2 << 20), ("larger than the 1 MiB a scenario file may be",)),
    ],
    ids=["latin-1", "nested-500", "utf-16", "huge"],
)
def test_unusable_scenario_files_are_one_line_errors(tmp_path, content, needles):
    # Issue 22: a non-UTF-8 scenario raised UnicodeDecodeError, arrays nested 500 deep a
    # RecursionError.
    path = tmp_path / "s.toml"
    path.write_bytes(content)
    for command in (("scenario", "validate"), ("scenario", "show"), ("run",)):
        _one_line_error(invoke(*command, path), str(path), *needles)


def _fifo(tmp_path: Path) -> Path:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    return fifo


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifos_and_devices_as_inputs_are_refused_at_once(tmp_path):
    # Issue 22: FIFOs and /dev/zero as inputs hung.
    fifo = _fifo(tmp_path)
    _one_line_error(invoke("scenario", "validate", fifo), "is a FIFO, not a regular")
    _one_line_error(invoke("scenario", "validate", "/dev/zero"), "is a device")
    _one_line_error(invoke("scenario", "validate", tmp_path), "is a directory")
    result = invoke("entry", "--wind-profile", fifo, "--return-arc", "ballistic")
    _one_line_error(result, "is a FIFO, not a regular wind profile")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    shaped = {"scenario": "s", "milestones": [], "legs": [], "checks": [], "monte_carlo": {},
              "risk_drivers": None}  # fmt: skip
    (run_dir / "summary.json").write_text(json.dumps(shaped))
    (run_dir / "report_data.json").symlink_to("/dev/zero")
    _one_line_error(invoke("report", run_dir), "is a device")


def test_a_wind_profile_with_a_huge_field_is_exit_2(tmp_path):
    # Issue 22: a wind CSV with a huge field crashed (csv.Error).
    path = tmp_path / "winds.csv"
    path.write_text("altitude_km,east_m_s,north_m_s\n0," + "1" * 200_000 + ",0\n")
    result = invoke("entry", "--wind-profile", path, "--return-arc", "ballistic")
    _one_line_error(result, str(path), "not a CSV file", "field larger than field limit")
    path.write_text("altitude_km,east_m_s,north_m_s\n0,1e300,0\n10,0,0\n")
    result = invoke("entry", "--wind-profile", path, "--return-arc", "ballistic")
    _one_line_error(result, "within +-500 m/s")


@pytest.mark.parametrize(
    "summary",
    ["[]", '{"legs": 3}', '{"milestones": "x", "monte_carlo": 7}', "{", '"text"', "nan"],
)
def test_report_of_a_wrongly_shaped_summary_is_exit_2(tmp_path, summary):
    # Issue 22: `report DIR` on a wrongly shaped summary.json crashed with a traceback.
    (tmp_path / "summary.json").write_text(summary)
    result = invoke("report", tmp_path)
    _one_line_error(result, "summary")
    assert not (tmp_path / "report.html").exists()


# --------------------------------------------------------------------------------------
# Values that validate but cannot be flown; internal failures
# --------------------------------------------------------------------------------------


def _scenario_with(tmp_path: Path, replacements) -> Path:
    text = baseline_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "changed.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("thrust", ["5000.0", "1.0"])
def test_a_descent_engine_that_cannot_hold_the_lander_is_refused(tmp_path, thrust):
    # Issue 22, case 5: descent_thrust_n = 5000 (or 1.0) "landed" 50 of 50 trials.
    path = _scenario_with(
        tmp_path,
        [("descent_thrust_n = { value = 24480.0", f"descent_thrust_n = {{ value = {thrust}")],
    )
    result = invoke("edl", path, "--trials", "10")
    _one_line_error(result, "descent_thrust_n", "must exceed the lander's Mars weight")


def test_a_release_a_million_days_before_entry_is_refused(tmp_path):
    # Issue 22, case 6: release_before_entry_days = 1e6 printed a release in the year -705.
    path = _scenario_with(
        tmp_path,
        [
            (
                "release_before_entry_days = { value = 3.0",
                "release_before_entry_days = { value = 1e6",
            )
        ],
    )
    for command in ("entry", "run"):
        result = invoke(command, path)
        _one_line_error(result, "ees.release_before_entry_days = 1000000.0", "or equal to 30")


def test_an_internal_numerical_failure_is_exit_1_never_blamed_on_the_user(monkeypatch):
    # Issue 22, case 10 (the exit code): a singular matrix inside a leg was exit 2, "as if
    # the input were wrong". It is exit 1, reported in one line without a traceback.
    import msrsim.campaign.runner as runner_module

    def singular(*args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(runner_module, "campaign_legs", singular)
    result = runner.invoke(app, ["run", "--trials", "200"])
    assert result.exit_code != 2
    assert isinstance(result.exception, np.linalg.LinAlgError)
    from msrsim.cli import _internal_failure

    code = _internal_failure(result.exception)
    assert code == 1


def test_the_entry_point_reports_an_internal_failure_in_one_line(tmp_path):
    # The installed script: exit 1 and one line on stderr naming where msrsim failed;
    # MSRSIM_DEBUG=1 gives the traceback.
    code = (
        "import sys, numpy as np\n"
        "import msrsim.campaign.runner as r\n"
        "def boom(*a, **k):\n"
        "    raise np.linalg.LinAlgError('Singular matrix')\n"
        "r.campaign_legs = boom\n"
        "sys.argv = ['msrsim', 'run', '--trials', '200']\n"
        "from msrsim.cli import main\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MSRSIM_DEBUG"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env=env)  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "internal error" in lines[0] and "LinAlgError: Singular matrix" in lines[0]
    debug = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=300, env=env | {"MSRSIM_DEBUG": "1"})  # fmt: skip
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_json_output_never_holds_nan():
    from msrsim.cli import _json_text

    assert json.loads(_json_text({"x": 1.5})) == {"x": 1.5}
    with pytest.raises(RuntimeError, match="non-finite number"):
        _json_text({"x": float("nan")})


# --------------------------------------------------------------------------------------
# The cache
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content", [b"[]", b'{"version": "2", "model": 3}', b'{"version": "2"}', b"\x00\x01"]
)
def test_a_cache_legs_json_of_the_wrong_shape_is_recomputed(tmp_path, monkeypatch, content):
    # Issue 22: a cache legs.json of the wrong shape was never recomputed: every run failed
    # until it was removed. Whether it fails its checksum (no record, or a stale one) or
    # carries a valid record around a wrong shape, the legs are flown again.
    import pickle

    import msrsim.campaign.runner as runner_module
    from msrsim.campaign.cache import write_entry
    from msrsim.campaign.chain import CoupledPlan
    from msrsim.scenario import baseline

    monkeypatch.setenv("MSRSIM_CACHE_DIR", str(tmp_path))
    scenario = baseline()
    folder = tmp_path / runner_module.legs_fingerprint(scenario)
    folder.mkdir()
    flown = []

    class Flown(Exception):
        pass

    def fly(s, **options):
        flown.append(s)
        raise Flown

    monkeypatch.setattr(runner_module, "fly_nominal", fly)
    # a plan entry that reads back, so that legs.json alone is at fault
    plan = CoupledPlan(seed=1, legs=(), failure_probability={}, ero_mars_arrival_et=0.0,
                       tube_names=())  # fmt: skip
    write_entry(folder / "plan.pickle", pickle.dumps(plan), folder.name)
    (folder / "legs.json").write_bytes(content)  # no checksum record
    with pytest.raises(Flown):
        runner_module.campaign_legs(scenario)
    write_entry(folder / "legs.json", content, folder.name)  # a valid record, a wrong shape
    assert runner_module._from_cache(folder, folder.name) is None
    with pytest.raises(Flown):
        runner_module.campaign_legs(scenario)
    assert len(flown) == 2


def test_a_cache_entry_damaged_on_disk_is_recomputed(tmp_path):
    from msrsim.campaign.cache import cached_table, code_fingerprint, read_entry, write_entry

    path = tmp_path / "x.bin"
    write_entry(path, b"payload", "fp")
    assert read_entry(path, "fp") == b"payload"
    assert read_entry(path, "another scenario") is None
    path.write_bytes(b"paylaod")  # same size, other bytes
    assert read_entry(path, "fp") is None
    record = json.loads((tmp_path / "x.bin.sha256.json").read_text())
    assert record["code"] == code_fingerprint() and record["bytes"] == 7
    # a table whose file was flipped is computed again, with the same values
    calls = []

    def compute():
        calls.append(1)
        return {"a": np.arange(100.0)}

    cached_table({"s": 1}, "t", compute, tmp_path)
    parquet = next(tmp_path.rglob("t.parquet"))
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    parquet.write_bytes(bytes(data))
    again = cached_table({"s": 1}, "t", compute, tmp_path)
    assert len(calls) == 2 and np.array_equal(again["a"], np.arange(100.0))


def test_baseline_scenario_text_is_still_valid():
    # every bound added for issue 22 admits the published baseline
    data = tomllib.loads(baseline_text())
    from msrsim.scenario import parse_scenario

    parse_scenario(data)


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_the_entry_point_exits_130_when_interrupted(tmp_path, signum):
    # Issue 22, item 6: Ctrl-C (or SIGTERM) at any moment stops a command with exit 130,
    # here while the legs of a scenario run (a scenario of its own: nothing cached).
    import signal
    import time

    path = tmp_path / "s.toml"
    text = baseline_text().replace("value = 20330101,", "value = 7,")
    assert "value = 7," in text  # a seed of its own: nothing cached
    path.write_text(text)
    process = subprocess.Popen(
        [sys.executable, "-m", "msrsim", "run", str(path), "--trials", "200"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # Ctrl-C as a user's terminal delivers it, even where pytest was started in the
        # background with SIGINT ignored (which its children would inherit)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    time.sleep(8.0)
    process.send_signal(getattr(signal, signum))
    try:
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr


def test_an_ero_that_cannot_make_its_insertion_names_its_inputs(tmp_path):
    # Issue 22: leg errors that named no field ("ero: math domain error", a bare scipy
    # message). A 1 N insertion engine: exit 2, one line naming the phase and its inputs.
    old = "insertion_thrust_n = { value = 850.0"
    path = _scenario_with(tmp_path, [(old, "insertion_thrust_n = { value = 1.0")])
    needles = ("the ERO's Mars orbit insertion cannot be flown", "ero.insertion_thrust_n")
    _one_line_error(invoke("ero", path), *needles)
    result = invoke("ero", path, "--json")  # the same line as JSON's "error"
    assert result.exit_code == 2
    error = json.loads(result.output)["error"]
    assert "\n" not in error and all(needle in error for needle in needles)


@pytest.mark.parametrize(
    ("field", "old", "new", "needles"),
    [
        ("entry_flight_path_angle_deg", "-17.0", "-5.0",
         ("did not slow to the parachute trigger speed", "srl.edl: entry_flight_path_angle_deg")),
        ("heatshield_separation_delay_s", "20.0", "200.0",
         ("backshell-separation height", "heatshield_separation_delay_s")),
        ("touchdown_speed_m_s", "0.75", "0.000001",
         ("faster than the design touchdown speed", "touchdown_speed_m_s")),
    ],
)  # fmt: skip
def test_a_lander_that_cannot_land_names_its_inputs(tmp_path, field, old, new, needles):
    # Issue 22 audit (leg errors that name no field): "edl: the nominal lander does not
    # land: the entry did not slow to the parachute trigger speed" named no input.
    change = (f"{field} = {{ value = {old}", f"{field} = {{ value = {new}")
    result = invoke("edl", _scenario_with(tmp_path, [change]), "--trials", "10")
    _one_line_error(result, "the nominal lander does not land", *needles)


@pytest.mark.parametrize(
    ("command", "section", "field", "value"),
    [("entry", "[ees]", "delivery_b_plane_sigma_km", "200.0"),
     ("edl", "[srl.edl]", "delivery_b_plane_sigma_km", "100.0")],
)  # fmt: skip
def test_deliveries_wider_than_the_entry_corridor_name_the_field(
    tmp_path, command, section, field, value
):
    # Issue 22 audit (a bare solver message): a B-plane delivery error that validates but
    # sends capsules above the atmosphere stopped the leg with "the hyperbola does not reach
    # down to the radius asked for". Refused before any trial, naming the field.
    text = baseline_text()
    head, tail = text.split(section + "\n", 1)
    body, rest = tail.split("\n[", 1)
    old = body[body.index(f"{field} = {{ value = ") :].split(",", 1)[0]
    body = body.replace(old, f"{field} = {{ value = {value}")
    path = tmp_path / "wide.toml"
    path.write_text(head + section + "\n" + body + "\n[" + rest)
    extra = ("--return-arc", "ballistic") if command == "entry" else ()
    result = invoke(command, path, "--trials", "10", *extra)
    name = f"{'ees' if command == 'entry' else 'srl.edl'}.{field} = "
    _one_line_error(result, name, "miss the atmosphere")


def test_a_capsule_that_cannot_land_names_its_inputs(tmp_path):
    # Issue 22 audit: a 1 kg capsule of 1.25 m (valid values) was "the nominal capsule does
    # not land: it still flying at the time limit", naming no input.
    path = _scenario_with(tmp_path, [("mass_kg = { value = 100.0", "mass_kg = { value = 1.000001")])
    result = invoke("entry", path, "--trials", "10", "--return-arc", "ballistic")
    _one_line_error(result, "the nominal capsule does not land", "ees: ", "mass_kg")
