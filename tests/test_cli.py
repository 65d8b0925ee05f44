"""The msrsim command line: help, exit codes, JSON output."""

import datetime
import json
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from msrsim.campaign.published import PUBLISHED_PLAN
from msrsim.cli import app
from msrsim.scenario import baseline_text

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args))


def test_help_lists_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in (
        "run",
        "ero",
        "entry",
        "surface",
        "ascent",
        "rendezvous",
        "export",
        "report",
        "windows",
        "mars-time",
        "samples",
        "scenario",
        "doctor",
    ):
        assert command in result.output


def test_tables_group_spreads_and_intervals_back_for_reading():
    from msrsim.cli import _grouped

    shown = _grouped({
        "p": 0.9, "p_ci_low": 0.8, "p_ci_high": 0.95,
        "dv_m_s_p01": 1.0, "dv_m_s_median": 2.0, "dv_m_s_p99": 3.0,
        "none_p01": None, "none_median": None, "none_p99": None,
        "p_release_median": 1e-7, "capture_utc_median": "2032-01-01T00:00:00",
    })  # fmt: skip
    assert shown == {
        "p (95 % ci)": "0.9 (0.8 to 0.95)",
        "dv_m_s (1st pct, median, 99th pct)": [1.0, 2.0, 3.0],
        "none (1st pct, median, 99th pct)": [None, None, None],
        "p_release_median": 1e-7,
        "capture_utc_median": "2032-01-01T00:00:00",
    }


def test_surface_table_shows_its_spreads_grouped():
    result = _surface()
    assert result.exit_code == 0, result.output
    assert "mav ready sol (1st pct, median, 99th" in result.output  # the table wraps
    assert "p01" not in result.output and "p99" not in result.output


@pytest.fixture(scope="module")
def run_json():
    result = invoke("run", "--trials", "200", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_run_json(run_json):
    data = run_json
    assert len(data["legs"]) == 10
    dated = [m for m in data["milestones"] if m["mars_year"] is not None]
    assert dated[0]["utc"].startswith("2027-09-01") and dated[0]["mars_year"] == 39
    # the published plan's dates sit beside the computed ones, undated inside their year
    published = [m for m in data["milestones"] if "(published:" in m["name"]]
    assert {m["utc"] for m in published} == {"2027", "2028", "2029", "2030", "2031", "2033"}
    assert [m["utc"] for m in data["milestones"]] == sorted(m["utc"] for m in data["milestones"])


def test_mars_time_json_reproduces_worked_example():
    data = json.loads(invoke("mars-time", "2000-01-06T00:00:00", "--json").output)
    assert data["coordinated_mars_time"] == "23:59:39"
    assert abs(data["solar_longitude_deg"] - 277.18758) < 1e-5


def test_mars_time_local_and_sol():
    data = json.loads(
        invoke("mars-time", "2024-07-21T12:00:00", "--longitude-deg", "77.45", "--json").output
    )
    assert data["perseverance_sol"] == 1215  # Sapphire Canyon was sealed on sol 1215
    assert "local_true_solar_time" in data


def test_mars_time_bad_date_is_exit_2():
    result = invoke("mars-time", "2024-02-30")
    assert result.exit_code == 2
    assert "is not a UTC date" in result.output


def test_samples_depot_json():
    data = json.loads(invoke("samples", "--at", "depot", "--json").output)
    assert len(data) == 10 and data[0]["name"] == "Malay"
    assert data[0]["sol_start_utc_date"] == "2022-01-30"


def test_samples_bad_location_is_exit_2():
    result = invoke("samples", "--at", "orbit")
    assert result.exit_code == 2 and "--at = 'orbit'" in result.output


def test_scenario_show_and_validate(tmp_path):
    shown = json.loads(invoke("scenario", "show", "--json").output)
    assert shown["ees.diameter_m"]["value"] == 1.25
    assert shown["orbiting_sample.capacity_tubes"]["representative"] is True
    good = tmp_path / "good.toml"
    good.write_text(baseline_text())
    result = invoke("scenario", "validate", str(good))
    assert result.exit_code == 0 and "valid" in result.output


def test_scenario_validate_reports_four_problems(tmp_path):
    text = baseline_text()
    text = text.replace("launch_mass_kg = { value = 6750,", 'launch_mass_kg = { value = "x",')
    text = text.replace(
        "gross_liftoff_mass_kg = { value = 400.0,", "gross_liftoff_mass_kg = { value = -400.0,"
    )
    text = text.replace("[ees]\n", '[ees]\ncolour = "red"\n')
    text = text.replace(
        "departure_earliest_utc = { value = 2028-06-01,",
        "departure_earliest_utc = { value = 2099-06-01,",
    )
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    result = invoke("scenario", "validate", str(bad))
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 4
    assert "Traceback" not in result.output


@pytest.mark.skipif(shutil.which("msrsim") is None and not sys.executable, reason="no interpreter")
def test_entry_point_exit_codes(tmp_path):
    """The installed script as a user runs it: exit 0, 2 for bad input, no traceback."""
    cmd = [sys.executable, "-m", "msrsim.cli"]
    ok = subprocess.run([*cmd, "--help"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0
    bad = subprocess.run(
        [*cmd, "scenario", "validate", str(tmp_path / "missing.toml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert "no such file" in bad.stderr and "Traceback" not in bad.stderr


def test_run_plot_to_unwritable_place_is_exit_2(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    result = invoke("run", "--trials", "10", "--plot", str(blocker / "figures"))
    assert result.exit_code == 2 and "cannot be written" in result.output


def test_windows_earth_mars_opportunity_json_and_plot(tmp_path):
    result = invoke(
        "windows",
        "earth-mars",
        "--opportunity",
        "2028",
        "--dla-limit-deg",
        "40",
        "--plot",
        str(tmp_path),
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {row["transfer_type"] for row in data["optima"]} == {1, 2}
    assert data["launch_period"]["days"] == 21
    assert data["launch_period"]["max_abs_dla_deg"] <= 40
    assert (tmp_path / "porkchop_earth_mars.png").read_bytes()[:4] == b"\x89PNG"


def test_windows_with_explicit_spans_table():
    result = invoke(
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
    )
    assert result.exit_code == 0, result.output
    assert "Departure period (21 days)" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mars-earth", "--opportunity", "2031"], "no mars->earth opportunity departs in 2031"),
        (["earth-mars"], "give --opportunity YEAR, or all of"),
        (["earth-mars", "--opportunity", "2028", "--departure-from", "2028-01-01"], "not both"),
        (
            [
                "earth-mars",
                "--departure-from",
                "2028-13-01",
                "--departure-to",
                "2028-12-01",
                "--arrival-from",
                "2029-01-01",
                "--arrival-to",
                "2029-12-01",
            ],
            "is not a UTC date",
        ),
        (
            [
                "earth-mars",
                "--departure-from",
                "2060-01-01",
                "--departure-to",
                "2060-02-01",
                "--arrival-from",
                "2060-06-01",
                "--arrival-to",
                "2061-01-01",
            ],
            "outside the DE421",
        ),
    ],
)
def test_windows_user_errors_exit_2(args, message):
    result = invoke("windows", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_run_reports_the_windows_leg(run_json):
    leg = run_json["legs"][0]
    assert leg["status"] == "modelled (ballistic)"
    ret = leg["summary"]["earth_return_ballistic_reference"]
    assert ret["arrival_utc"].startswith("2033")
    assert 11.0 < ret["entry_speed_km_s"] < 13.0  # lunar-return-like entry speeds at Earth
    modelled = {leg["number"] for leg in run_json["legs"] if leg["status"] != "not modelled yet"}
    assert modelled == set(range(1, 11))


def test_run_monte_carlo_and_checks(run_json):
    mc = run_json["monte_carlo"]
    assert mc["trials"] == 200
    low, high = mc["probability_of_success_ci_low"], mc["probability_of_success_ci_high"]
    assert 0.3 < low < mc["probability_of_success"] < high < 0.95
    assert sum(mc["failure_causes"].values()) == pytest.approx(1 - mc["probability_of_success"])
    assert mc["earth_landing_utc_median"].startswith("2033")
    assert run_json["risk_drivers"]["drivers"][0]["swing"] > 0
    checks = {c["name"]: c for c in run_json["checks"]}
    assert checks["samples on Earth year (computed)"]["ok"]
    assert checks["ERO Mars orbit insertion year (computed)"]["ok"]
    assert all(c["ok"] for c in run_json["checks"]), [c for c in run_json["checks"] if not c["ok"]]


def test_run_sets_the_computed_schedule_beside_the_published_plan(run_json):
    """Each published fact beside the schedule's computed value (issue 16): the SRL's
    landing 13 days before "mid-2030" read as April, the ERO's launch-to-departure 0.09 year
    over ESA's three years, the rest within (docs/models.md)."""
    rows = {r["key"]: r for r in run_json["published_plan"]}
    assert set(rows) == {f.key for f in PUBLISHED_PLAN}
    missed = {k: r["outside"] for k, r in rows.items() if not r["met"]}
    assert missed == {"srl_arrival": pytest.approx(-13, abs=1), "ero_to_capture": 0.09}
    assert (
        rows["ero_launch"]["computed_is_input"]
        and not rows["samples_on_earth"]["computed_is_input"]
    )
    assert rows["samples_on_earth"]["computed"].startswith("2033-")


def test_run_out_writes_parquet_and_summary(tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "run"
    result = invoke("run", "--trials", "60", "--chunk-size", "20", "--scheduler",
                    "synchronous", "--out", str(out), "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pq.read_table(out / "trials")
    assert table.num_rows == 60 and table.column("trial").to_pylist() == list(range(60))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["monte_carlo"]["trials"] == 60
    again = invoke("run", "--trials", "60", "--out", str(out))
    assert again.exit_code == 2 and "--resume" in again.output


def test_run_flies_the_ero_and_returns_on_its_cruise(run_json):
    ero = run_json["legs"][1]["summary"]
    assert ero["budget"]["feasible"] is True
    assert ero["phases"]["Mars orbit insertion"]["start_utc"].startswith("2029")
    assert ero["phases"]["return cruise"]["end_utc"].startswith("2033")
    approach = run_json["legs"][7]
    assert approach["status"] == "modelled (ERO electric return cruise)"
    # the entry interface comes hours before the planned arrival at Earth's centre
    arrival = datetime.datetime.fromisoformat(ero["phases"]["return cruise"]["end_utc"])
    interface = datetime.datetime.fromisoformat(
        approach["summary"]["approach"]["entry_interface_utc"][:16]
    )
    assert datetime.timedelta(0) < arrival - interface < datetime.timedelta(days=1)
    names = [m["name"] for m in run_json["milestones"]]
    assert names.index("ERO in the rendezvous orbit") < names.index("ERO escapes Mars")


def test_run_reports_the_return_legs(run_json):
    approach, entry = run_json["legs"][7]["summary"], run_json["legs"][8]["summary"]
    assert approach["entry_interface"]["inertial_flight_path_angle_deg"] == -10.0
    assert approach["release_and_divert"]["ero_divert_delta_v_m_s"] > 0
    assert entry["footprint"]["trials"] == 10_000 and entry["footprint"]["landed"] == 10_000
    names = [m["name"] for m in run_json["milestones"]]
    assert names.index("EES released") < names.index("EES entry interface")
    assert any(name.startswith("EES lands in the Utah Test and Training Range") for name in names)


def _entry(*args):
    return invoke(
        "entry", "--trials", "200", "--atmosphere", "us76", "--return-arc", "ballistic", *args
    )


def test_entry_json_flies_the_scenario_capsule():
    result = _entry("--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["footprint"]["trials"] == 200 and data["footprint"]["landed"] == 200
    assert data["nominal_entry"]["atmosphere"].startswith("US Standard Atmosphere 1976")
    assert 30 < data["nominal_entry"]["peak_deceleration_g"] < 70
    assert 35 < data["nominal_entry"]["touchdown_speed_m_s"] < 48
    assert data["approach"]["nominal_landing_miss_m"] < 10


def test_entry_options_set_the_capsule_and_entry():
    data = json.loads(_entry("--flight-path-angle-deg", "-12", "--mass-kg", "50",
                             "--entry-speed-km-s", "12.5", "--diameter-m", "0.9",
                             "--nose-radius-m", "0.25", "--json").output)  # fmt: skip
    interface = data["entry_interface"]
    assert interface["inertial_flight_path_angle_deg"] == -12.0
    assert interface["inertial_speed_m_s"] == pytest.approx(12_500.0, abs=15.0)  # 125 km, local
    light = data["nominal_entry"]["touchdown_speed_m_s"]
    assert light < 40.0  # 50 kg on 0.9 m falls slower than 100 kg on 1.25 m


def test_entry_wind_profile(tmp_path):
    calm_all = json.loads(_entry("--json").output)
    profile = tmp_path / "winds.csv"
    profile.write_text("# a steady westerly\naltitude_km,east_m_s,north_m_s\n0,30,0\n150,30,0\n")
    result = _entry("--wind-profile", str(profile), "--json")
    assert result.exit_code == 0, result.output
    windy = json.loads(result.output)
    # targeting re-aims for the wind: same landing point, a different flight (a 30 m/s
    # westerly moves the flight time by ~0.05 s, under the summary's 0.1 s rounding: the
    # aim and the footprint show it)
    assert windy["approach"]["nominal_landing_miss_m"] < 10
    assert (windy["approach"], windy["footprint"]) != (calm_all["approach"], calm_all["footprint"])
    profile.write_text("altitude_km,east_m_s\n0,30\n")
    bad = _entry("--wind-profile", str(profile))
    assert bad.exit_code == 2 and "needs the columns" in bad.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--flight-path-angle-deg", "5"], "Invalid value"),
        (["--nose-radius-m", "2.0"], "ees.nose_radius_m or --nose-radius-m) is too large"),
        (["--entry-speed-km-s", "11.0"], "below the escape speed"),
        (["--flight-path-angle-deg", "-3.5"], "does not land"),
        (["--trials", "0"], "Invalid value"),
    ],
)
def test_entry_user_errors_exit_2(args, message):
    result = _entry(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_run_reports_the_surface_leg(run_json):
    leg = run_json["legs"][3]
    assert leg["name"] == "surface operations"
    assert leg["status"] == "modelled (sol by sol; SRL landing from the EDL leg)"
    assert leg["summary"]["monte_carlo"]["trials"] == 100_000  # scenario surface.trials
    assert leg["summary"]["nominal"]["tubes_loaded"] == 22
    names = [m["name"] for m in run_json["milestones"]]
    assert names.index("SRL landing") < names.index(
        "MAV ready to launch (nominal surface timeline)"
    )
    assert names.index("MAV launch deadline") < names.index("EES released")


def _surface(*args):
    return invoke("surface", "--trials", "500", *args)


def test_surface_json_nominal_timeline_and_monte_carlo():
    result = _surface("--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"mode", "nominal", "monte_carlo", "activities", "flights",
                         "tubes_loaded"}  # fmt: skip
    assert data["monte_carlo"]["trials"] == 500
    assert data["nominal"]["tubes_from_perseverance"] == 22 and data["flights"] == []
    assert [t["name"] for t in data["tubes_loaded"][:3]] == [
        "Sapphire Canyon",
        "Silver Mountain",
        "Comet Geyser",
    ]
    actors = {a["actor"] for a in data["activities"]}
    assert {"SRL", "Perseverance", "STA", "MAV"} <= actors
    assert [a["start_utc"] for a in data["activities"]] == sorted(
        a["start_utc"] for a in data["activities"]
    )


def test_surface_rover_fails_sends_the_helicopters():
    result = _surface("--rover-fails", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["flights"]) == 20
    assert {f["helicopter"] for f in data["flights"]} == {1, 2}
    assert all(f["distance_m"] <= 700.0 for f in data["flights"])  # the SRH's range
    assert data["nominal"]["tubes_from_depot_by_helicopter"] == 10
    assert {t["courier"] for t in data["tubes_loaded"]} == {"helicopter"}
    assert data["monte_carlo"]["probability_perseverance_fails"] == 1.0
    table = _surface("--rover-fails")
    assert "Helicopter flights" in table.output and "Malay" in table.output


def test_surface_dates_and_seed_change_the_answer():
    tight = ("--landing-utc", "2031-01-21", "--deadline-utc", "2031-07-01")
    base = json.loads(_surface(*tight, "--json").output)
    later = json.loads(
        _surface("--landing-utc", "2030-06-01", "--deadline-utc", "2031-07-01", "--json").output
    )
    assert later["nominal"]["srl_landing_utc"] == "2030-06-01T00:00"
    # A year more for the same traverse: more tubes (both make the deadline in every
    # trial, the helicopters fetching the depot where Perseverance is late).
    assert later["monte_carlo"]["tubes_loaded_mean"] > base["monte_carlo"]["tubes_loaded_mean"]
    assert (
        later["monte_carlo"]["probability_meets_deadline"]
        >= base["monte_carlo"]["probability_meets_deadline"]
    )  # a year more for the same traverse (both 1.0 with the late-rover helicopters)
    reseeded = json.loads(_surface(*tight, "--seed", "7", "--json").output)
    assert reseeded["monte_carlo"]["seed"] == 7
    assert reseeded["nominal"] == base["nominal"]  # the nominal timeline draws nothing
    assert reseeded["monte_carlo"] != base["monte_carlo"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--deadline-utc", "2030-01-01"], "deadline 2030-01-01T00:00 must be at least 25 sols"),
        (["--landing-utc", "2031-02-30"], "is not a UTC date"),
        (["--landing-utc", "2052-01-01", "--deadline-utc", "2053-01-01"], "outside the DE421"),
        (["--trials", "0"], "Invalid value"),
    ],
)
def test_surface_user_errors_exit_2(args, message):
    result = _surface(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_surface_bad_scenario_value_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(baseline_text().replace("trials = { value = 100000,", "trials = { value = -5,"))
    result = invoke("surface", str(bad))
    assert result.exit_code == 2
    assert "surface.trials = -5: must be greater than or equal to 1" in result.output


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "burn_time_s = { value = 70.0,",
            "burn_time_s = { value = -70.0,",
            "mav.srm1.burn_time_s = -70.0: must be greater than or equal to 1",
        ),
        (
            "target_orbit_altitude_km = { value = 500.0,",
            "target_orbit_altitude_km = { value = 1900.0,",
            "no steering within the pitch programme limits reaches the 1900 km",
        ),
    ],
)
def test_ascent_user_errors_exit_2(tmp_path, old, new, message):
    bad = tmp_path / "bad.toml"
    assert old in baseline_text()
    bad.write_text(baseline_text().replace(old, new))
    result = invoke("ascent", str(bad), "--trials", "10", "--standalone")
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_run_lands_the_srl_before_the_surface_leg(run_json):
    names = [m["name"] for m in run_json["milestones"]]
    assert names.index("SRL touchdown at Jezero") < names.index(
        "MAV ready to launch (nominal surface timeline)"
    )
    landing = next(m for m in run_json["milestones"] if m["name"] == "SRL landing")
    assert landing["source"] == "computed: SRL landing passed to the surface leg"


def test_ero_unflyable_scenario_is_exit_2(tmp_path):
    # an ERO arrival span that ends before any electric cruise from the 2027 launch can
    # reach Mars: the planner names the constraint, one line, no traceback
    text = baseline_text()
    old = 'arrival_latest_utc = { value = 2030-12-31, source = "the span searched for the ERO'
    assert old in text
    path = tmp_path / "early.toml"
    path.write_text(text.replace(old, old.replace("2030-12-31", "2029-03-01")))
    result = invoke("ero", str(path))
    assert result.exit_code == 2, result.output
    assert "ero: no electric cruise launched 2027-10-15 reaches Mars between" in result.output
    assert "Traceback" not in result.output


def test_rendezvous_bad_scenario_exits_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        baseline_text().replace(
            "search_orbit_altitude_offset_km = { value = -10.0",
            "search_orbit_altitude_offset_km = { value = 10.0",
        )
    )
    result = invoke("rendezvous", str(bad), "--trials", "3")
    assert result.exit_code == 2


def test_run_unreachable_scheduler_is_exit_2():
    # Dask gives up after its connect timeout (30 s by default; 1 s here)
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = invoke("run", "--trials", "200", "--chunk-size", "100", "--scheduler",
                        "tcp://127.0.0.1:1")  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "--scheduler tcp://127.0.0.1:1" in result.output and "Traceback" not in result.output
