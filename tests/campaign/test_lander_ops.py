"""The scenario's surface.power, surface.acquisition and surface.relay: defaults that leave
the baseline as it was, their conversion to the surface plan, their errors, and the
coupled leg ending a trial whose lander's battery empties at Failure.LANDER."""

import numpy as np
import pytest

from msrsim.campaign.chain import Failure, TrialTable, tube_bits
from msrsim.campaign.surface import SurfaceLeg, surface_plan
from msrsim.core.time import utc_to_et
from msrsim.scenario import ScenarioError, load_scenario

LANDING = float(utc_to_et("2029-01-01")[0])
DEADLINE = float(utc_to_et("2031-06-01")[0])


def test_the_baseline_has_no_power_model_sampling_or_relay():
    plan = surface_plan(load_scenario("baseline"), LANDING, deadline_et=DEADLINE)
    assert plan.power is None and plan.acquisition is None and plan.relay is None


def test_sections_convert_to_the_plan():
    overrides = {
        "surface.power.source": "solar",
        "surface.power.array_area_m2": 12.5,
        "surface.power.global_storm_peak_tau": [5.0, 9.0],
        "surface.acquisition.rover_courier": False,
        "surface.acquisition.drill_samples": 1,
        "surface.relay.enabled": True,
        "surface.relay.passes_per_sol": 3.0,
    }
    plan = surface_plan(load_scenario("baseline", overrides), LANDING, deadline_et=DEADLINE)
    assert plan.power.source == "solar" and plan.power.array.area_m2 == 12.5
    assert plan.power.dust.peak_tau == (5.0, 9.0)
    assert plan.acquisition.drill_samples == 1 and not plan.acquisition.rover_courier
    assert plan.relay.passes_per_sol == 3.0


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("surface.power.source", "fusion", "surface.power.source"),
        ("surface.power.global_storm_peak_tau", [9.0, 4.0], "0 < low <= high <= 15"),
        ("surface.acquisition.failure_probability_per_attempt", 1.0, "less than 1"),
        ("surface.relay.passes_per_sol", 0.0, "surface.relay.passes_per_sol = 0.0"),
    ],
)
def test_bad_values_name_the_field(key, value, message):
    with pytest.raises(ScenarioError, match=message):
        load_scenario("baseline", {key: value})


def test_a_lander_lost_to_a_storm_ends_its_trial_at_lander_failure():
    # A solar lander waiting through a dust season (MAV launch only at Ls 0-30) with a
    # certain global storm of peak tau 10-11: every trial is lost (segments test), and the
    # coupled leg ends each at Failure.LANDER, not at NO_TUBES_LOADED.
    overrides = {
        "surface.power.source": "solar",
        "surface.power.array_area_m2": 8.0,
        "surface.power.global_storm_probability_per_mars_year": 1.0,
        "surface.power.global_storm_peak_tau": [10.0, 11.0],
        "surface.mav_launch_ls_deg": [0.0, 30.0],
    }
    scenario = load_scenario("baseline", overrides)
    plan = surface_plan(scenario, LANDING, deadline_et=DEADLINE)
    names = [t.name for t in plan.tubes]
    leg = SurfaceLeg(plan, dict(zip(names, tube_bits(names), strict=True)))
    schema = {"touchdown_et": "f8", "touchdown_latitude_deg": "f8"}
    schema |= {"touchdown_longitude_deg": "f8"} | SurfaceLeg.columns
    table = TrialTable(7, 0, 6, schema)
    table.columns["touchdown_et"][:] = LANDING
    table.columns["touchdown_latitude_deg"][:] = plan.lander.latitude_deg
    table.columns["touchdown_longitude_deg"][:] = plan.lander.east_longitude_deg
    leg.fly(table)
    assert (table.ended == Failure.LANDER).all()
    assert np.isnan(table.columns["mav_ready_et"]).all()


def _numeric_bounds(section_type) -> tuple[dict, dict]:
    """Each number of a section at its lower and at its upper bound (just inside an open
    one): two sets of values."""
    import annotated_types

    low, high = {}, {}
    for name, field in section_type.model_fields.items():
        if field.annotation not in (int, float):
            continue
        for rule in field.metadata:
            for attr in ("ge", "le", "gt", "lt"):
                bound = getattr(rule, attr, None)
                if isinstance(rule, annotated_types.BaseMetadata) and bound is not None:
                    step = {"ge": 0, "le": 0, "gt": 1, "lt": -1}[attr]
                    value = bound + step if field.annotation is int else bound + step * 1e-6
                    (low if attr in ("ge", "gt") else high)[name] = field.annotation(value)
    return low, high


@pytest.mark.parametrize("source", ["solar", "rtg"])
def test_power_values_at_their_bounds_fly(source):
    # Every number of surface.power at its lower bound together, then at its upper bound,
    # flies 16 trials of a lander waiting through a dust season: no exception, a finite
    # lowest battery charge, and the loss flag only where the battery went below zero.
    import dataclasses

    from msrsim.campaign.surface import lander_power
    from msrsim.core.streams import TrialGenerator
    from msrsim.scenario import LanderPowerSection
    from msrsim.segments.surface import simulate_surface

    scenario = load_scenario("baseline", {"surface.mav_launch_ls_deg": [0.0, 30.0]})
    plan = surface_plan(scenario, LANDING, deadline_et=DEADLINE)
    low, high = _numeric_bounds(LanderPowerSection)
    assert len(low) == len(high) > 15
    for values in (low, high):
        power = lander_power(LanderPowerSection(source=source, **values))
        out = simulate_surface(
            dataclasses.replace(plan, power=power), TrialGenerator(11, "surface", 0, 16)
        )
        assert np.isfinite(out.battery_min_wh).all(), values
        assert (out.lander_lost <= (out.battery_min_wh < 0)).all(), values
