"""The scenario model: the baseline, provenance, and one clear line per problem."""

import tomllib

import pytest

from msrsim.scenario import (
    ScenarioError,
    baseline,
    baseline_text,
    load_scenario,
    parse_scenario,
)


def baseline_dict():
    return tomllib.loads(baseline_text())


def test_baseline_encodes_the_published_architecture():
    s = baseline()
    assert s.ero_launch.departure_earliest_utc.year == 2027
    assert s.ero_launch.vehicle.name == "Ariane 64"
    assert s.srl_launch.departure_earliest_utc.year == 2028
    assert s.ees.diameter_m == 1.25 and s.ees.parachute is False
    assert s.helicopters.count == 2 and s.mav.stages == 2


def test_every_baseline_value_has_a_provenance():
    missing = [path for path, _, prov in baseline().leaves() if prov is None]
    assert missing == []  # its [scenario] name and seed too: a copy loads back equal
    for path, _, prov in baseline().leaves():
        assert prov.source.strip(), f"{path} has an empty source"
        assert not prov.user, f"{path}: a packaged value cited as the user's"


def test_representative_values_are_flagged():
    s = baseline()
    assert s.orbiting_sample.provenance("capacity_tubes").representative
    assert not s.ees.provenance("diameter_m").representative


def test_bare_values_are_accepted_without_provenance():
    data = baseline_dict()
    data["mav"]["gross_liftoff_mass_kg"] = 420.0
    s = parse_scenario(data)
    assert s.mav.gross_liftoff_mass_kg == 420.0
    assert s.mav.provenance("gross_liftoff_mass_kg") is None


def problems_of(data):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "test.toml")
    return info.value.problems


def test_four_kinds_of_mistake_give_four_lines():
    data = baseline_dict()
    data["ero"]["launch_mass_kg"] = "heavy"  # wrong type
    data["mav"]["gross_liftoff_mass_kg"] = -400.0  # negative mass
    data["ees"]["colour"] = "red"  # unknown key
    data["srl_launch"]["departure_earliest_utc"] = "2061-06-01"  # past the ephemeris
    problems = problems_of(data)
    assert len(problems) == 4
    text = "\n".join(problems)
    assert "ero.launch_mass_kg = 'heavy': must be a number, not a string" in text
    assert "mav.gross_liftoff_mass_kg = -400.0: must be greater than 0" in text
    assert "ees.colour: unknown key (allowed here: diameter_m" in text
    assert "srl_launch.departure_earliest_utc = '2061-06-01': must be between 1899-07-" in text
    assert "DE421" in text


def test_cross_field_checks():
    data = baseline_dict()
    data["srl_launch"]["departure_latest_utc"] = "2028-01-01"
    data["mav"]["payload_mass_kg"] = 500.0
    text = "\n".join(problems_of(data))
    assert "departure_latest_utc = 2028-01-01 00:00:00 is before departure_earliest_utc" in text
    assert "payload_mass_kg = 500.0 must be less than gross_liftoff_mass_kg" in text


def test_missing_section_and_bad_provenance_table():
    data = baseline_dict()
    del data["mav"]
    data["ees"]["diameter_m"] = {"value": 1.25, "sauce": "typo"}
    text = "\n".join(problems_of(data))
    assert "mav: missing (required)" in text
    assert "unknown key(s) ['sauce'] beside 'value'" in text


def test_file_errors(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[mav\nstages = 2\n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(bad)


def test_scenario_is_frozen():
    with pytest.raises(Exception, match="frozen"):
        baseline().mav.stages = 3


def test_load_default_is_baseline(tmp_path):
    assert load_scenario() is baseline()
    copy = tmp_path / "copy.toml"
    copy.write_text(baseline_text())
    assert load_scenario(copy) == baseline()


def test_baseline_surface_sections():
    s = baseline()
    assert s.surface.depot.along_step_m == 8.0  # the nested [surface.depot] table
    assert s.helicopters.dust_season_ls_deg == [210.0, 300.0]
    assert s.surface.provenance("mav_launch_ls_deg").representative
    assert not s.surface.provenance("conjunction_elongation_deg").representative
    assert s.surface.depot.provenance("latitude_deg").representative


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("surface", "trials", 0, "surface.trials = 0: must be greater than or equal to 1"),
        (
            "perseverance",
            "route_tortuosity",
            0.8,
            "perseverance.route_tortuosity = 0.8: must be greater than or equal to 1",
        ),
        (
            "helicopters",
            "dust_season_ls_deg",
            [300.0, 210.0],
            "helicopters.dust_season_ls_deg: [300.0, 210.0] must be [start, end] with "
            "0 <= start < end <= 360",
        ),
        (
            "sample_transfer_arm",
            "working_time_per_sol_h",
            30.0,
            "sample_transfer_arm.working_time_per_sol_h = 30.0: must be less than or equal to",
        ),
        (
            "orbiting_sample",
            "priority_tubes",
            ["Cheyava"],
            "orbiting_sample.priority_tubes: ['Cheyava'] not among the tubes",
        ),
    ],
)
def test_bad_surface_values_name_the_field(section, key, value, message):
    data = baseline_dict()
    data[section][key] = value
    problems = problems_of(data)
    assert len(problems) == 1 and problems[0].startswith(message), problems


def test_depot_bound():
    data = baseline_dict()
    data["surface"]["depot"]["along_step_m"] = 80.0
    text = "\n".join(problems_of(data))
    assert "surface.depot.along_step_m = 80.0: must be less than or equal to 50" in text


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("ero", "mars_arrival_utc"),
        ("ero", "mars_departure_utc"),
        ("ero", "earth_arrival_utc"),
        ("surface", "srl_landing_utc"),
        ("surface", "mav_launch_deadline_utc"),
        ("rendezvous", "os_release_utc"),
        ("rendezvous", "search_start_utc"),
        ("reliability", "next_return_opportunity_days"),
        ("campaign", "samples_on_earth_year"),
    ],
)
def test_planned_dates_cannot_be_typed(section, key):
    # the campaign's dates are computed (campaign.schedule): a scenario that still types
    # one is refused, naming the field
    data = baseline_dict()
    data[section][key] = "2031-01-21" if key.endswith("_utc") else 780
    (problem,) = problems_of(data)
    assert problem.startswith(f"{section}.{key}: unknown key"), problem


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "min_surface_sols",
            -1,
            "schedule.min_surface_sols = -1: must be greater than or equal to 0",
        ),
        (
            "srl_arrival_excluded_ls_deg",
            [300.0, 200.0],
            "schedule.srl_arrival_excluded_ls_deg: [300.0, 200.0] must be [start, end] with",
        ),
        (
            "capture_and_containment_days",
            0.0,
            "schedule.capture_and_containment_days = 0.0: must be greater than 0",
        ),
    ],
)
def test_bad_schedule_rules_name_the_field(key, value, message):
    data = baseline_dict()
    data["schedule"][key] = value
    (problem,) = problems_of(data)
    assert problem.startswith(message), problem


def test_witness_priority_needs_witness_tubes():
    data = baseline_dict()
    data["orbiting_sample"]["priority_tubes"] = ["Witness 1"]
    assert parse_scenario(data).orbiting_sample.priority_tubes == ["Witness 1"]
    data["orbiting_sample"]["include_witness_tubes"] = False
    text = "\n".join(problems_of(data))
    assert "priority_tubes names witness tube(s) ['Witness 1']" in text


# --------------------------------------------------------------------------------------
# Issue 22, case 8: validation accepted NaN and inf (34 fields), true as 1 (22 fields),
# and the integer 20300101 as a date in 1970
# --------------------------------------------------------------------------------------


def _numeric_leaves():
    """Every number of the baseline as (dotted path, value): floats and whole numbers."""
    out = []

    def walk(node, prefix):
        for key, item in node.items():
            value = item["value"] if isinstance(item, dict) and "value" in item else item
            if isinstance(item, dict) and "value" not in item:
                walk(item, f"{prefix}{key}.")
            elif isinstance(value, int | float) and not isinstance(value, bool):
                out.append((f"{prefix}{key}", value))

    walk(baseline_dict(), "")
    return out


def _with(data, dotted, value):
    node = data
    *parents, last = dotted.split(".")
    for key in parents:
        node = node[key]
    if isinstance(node[last], dict) and "value" in node[last]:
        node[last]["value"] = value
    else:
        node[last] = value
    return data


NUMBERS = _numeric_leaves()


def test_every_number_of_the_baseline_is_checked():
    assert len(NUMBERS) > 200


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), True, False])
def test_every_numeric_field_refuses_nan_inf_and_booleans(bad):
    accepted = []
    for path, _ in NUMBERS:
        try:
            parse_scenario(_with(baseline_dict(), path, bad), "test.toml")
        except ScenarioError as exc:
            assert any(p.startswith(f"{path} = ") for p in exc.problems), (path, exc.problems)
        else:
            accepted.append(path)
    assert accepted == []


def test_a_whole_number_field_refuses_a_decimal_point():
    problems = problems_of(_with(baseline_dict(), "surface.lander_checkout_sols", 14.0))
    assert problems == [
        "surface.lander_checkout_sols = 14.0: must be a whole number, written without a "
        "decimal point"
    ]


def _date_leaves():
    import datetime as dt

    out = []

    def walk(node, prefix):
        for key, item in node.items():
            value = item["value"] if isinstance(item, dict) and "value" in item else item
            if isinstance(item, dict) and "value" not in item:
                walk(item, f"{prefix}{key}.")
            elif isinstance(value, dt.date):
                out.append(f"{prefix}{key}")

    walk(baseline_dict(), "")
    return out


@pytest.mark.parametrize("bad", [20300101, 1.9e9, "1700000000", "next tuesday", True])
def test_a_date_field_refuses_what_is_not_a_date(bad):
    dates = _date_leaves()
    assert dates  # the scenario has dates
    for path in dates:
        problems = problems_of(_with(baseline_dict(), path, bad))
        assert any(p.startswith(f"{path} = ") and "must be a date" in p for p in problems), (
            path,
            problems,
        )


def test_an_infinite_or_huge_lift_off_mass_is_refused():
    # Issue 22: an infinite lift-off mass passed the stack check.
    for value in (float("inf"), 1e300):
        problems = problems_of(_with(baseline_dict(), "mav.gross_liftoff_mass_kg", value))
        assert problems[0].startswith("mav.gross_liftoff_mass_kg = ")


def test_provenance_must_be_text_and_a_boolean():
    data = baseline_dict()
    data["ees"]["mass_kg"] = {"value": 100.0, "source": 3}
    assert problems_of(data) == ["ees: mass_kg.source must be a string, not an integer"]
    data = baseline_dict()
    data["ees"]["diameter_m"] = {"value": 1.25, "source": "x", "representative": "yes"}
    assert problems_of(data) == [
        "ees: diameter_m.representative must be true or false, not a string"
    ]


def test_scenario_show_json_is_strict_json():
    import json

    json.dumps(baseline().model_dump(mode="json"), allow_nan=False)


def test_a_problem_is_one_line_even_for_a_key_with_a_newline():
    data = baseline_dict()
    data["ees"]["bad\nkey"] = 1
    (problem,) = problems_of(data)
    assert "\n" not in problem and problem.startswith("ees.bad\\nkey: unknown key")


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"aeroshell_diameter_m": 0.6},
         "srl.edl: nose_radius_m = 1.125 is too large for a 0.6 m, 70.0 deg sphere-cone"),
        ({"nose_radius_m": 20.0}, "srl.edl: nose_radius_m = 20.0 is too large"),
        ({"heading_alignment_speed_m_s": 400.0},
         "srl.edl: heading_alignment_speed_m_s = 400 must exceed parachute_trigger_speed_m_s"),
        ({"parachute_trigger_speed_m_s": 1500.0},
         "srl.edl: heading_alignment_speed_m_s = 800 must exceed parachute_trigger_speed_m_s = 15"),
        ({"parachute_trigger": "range", "parachute_range_latest_speed_m_s": 430.0},
         "srl.edl: parachute_range_earliest_speed_m_s = 500 > parachute_trigger_speed_m_s = "
         "420 > parachute_range_latest_speed_m_s = 430: a range trigger's window"),
        ({"balance_mass_kg": 150.0, "balance_jettison_speed_m_s": 400.0},
         "srl.edl: balance_jettison_speed_m_s = 400 must exceed the earliest parachute deploy "
         "speed, 420 m/s"),
        ({"balance_mass_kg": 3000.0},
         "srl.edl: balance_mass_kg = 3000 with the heat shield and backshell must be less"),
    ],
)  # fmt: skip
def test_an_edl_the_models_cannot_fly_is_refused_naming_its_fields(changes, needle):
    # Issue 22 audit (leg errors that name no field): an aeroshell too small for its nose
    # was "edl: nose radius 1.125 m must be positive and at most the base radius 0.3 m",
    # a heading alignment below the parachute trigger "heading alignment must begin above
    # the stop speed", each valid by the scenario.
    data = baseline_dict()
    for key, value in changes.items():
        data["srl"]["edl"].setdefault(key, {"source": "test"})["value"] = value
    problems = problems_of(data)
    assert any(p.startswith(needle) for p in problems), problems


def test_the_baseline_nose_fits_with_room():
    e = baseline().srl.edl
    assert e.nose_radius_m < e.aeroshell_diameter_m / 2  # the check is not at its limit
