"""Legs 6 and 7 in the campaign: the hand-off interface, outcomes, milestones, provenance."""

import numpy as np
import pytest

from msrsim.campaign.outcomes import LEGS
from msrsim.campaign.rendezvous import default_release, run_rendezvous, run_rendezvous_leg, summary
from msrsim.scenario import ScenarioError, baseline, parse_scenario


def _small(trials=3):
    s = baseline()
    return s.model_copy(
        update={
            "rendezvous": s.rendezvous.model_copy(update={"trials": trials}),
            "containment": s.containment.model_copy(update={"trials": 2000}),
        }
    )


def test_every_rendezvous_and_containment_value_has_provenance():
    s = baseline()
    for path, _value, prov in s.leaves():
        if path.startswith(("rendezvous.", "containment.")):
            assert prov is not None and prov.source, path


def test_leg_accepts_the_ascent_hand_off():
    s = _small()
    rel = default_release(s)
    # the ascent leg hands over (et, state (6,), covariance (6, 6)); a day later release
    outcomes, milestones, result = run_rendezvous_leg(
        s,
        LEGS[5],
        LEGS[6],
        os_release=(rel.et + 86400.0, rel.state, rel.covariance),
        ero_arrival_et=rel.et,
    )
    assert [o.leg.number for o in outcomes] == [6, 7]
    assert result.release.et == rel.et + 86400.0
    assert result.search_start_et == rel.et + 86400.0  # the later of arrival and release
    names = [m.name for m in milestones]
    assert "Orbiting Sample released in Mars orbit" not in names  # the ascent leg dates it
    assert names[-1] == "ERO captures the Orbiting Sample"
    parts = outcomes[0].summary
    assert 0.0 <= parts["capture"]["capture_probability"] <= 1.0
    assert outcomes[1].summary["containment"]["requirement_probability"] == 1e-6


def test_summary_is_json_ready_and_reproducible():
    import json

    s = _small(2)
    a = summary(run_rendezvous(s, seed=11))
    b = summary(run_rendezvous(s, seed=11))
    assert json.dumps(a, default=str) == json.dumps(b, default=str)
    assert a["orbiting_sample_orbit"]["orbital_lifetime_years"] > 100


def test_deadline_before_search_is_refused():
    s = _small()
    with pytest.raises(ValueError, match="planned departure .* is not after the search start"):
        run_rendezvous(s, ero_arrival_et=4e9)


def test_scenario_validation_names_field_value_and_range():
    import tomllib

    from msrsim.scenario import baseline_text

    data = tomllib.loads(baseline_text())
    data["rendezvous"]["search_orbit_altitude_offset_km"] = 5.0
    data["containment"]["heater_fault_probability"] = 2.0
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    text = " ".join(err.value.problems)
    assert "rendezvous.search_orbit_altitude_offset_km = 5.0" in text
    assert "containment.heater_fault_probability = 2.0" in text
    assert np.isfinite(1.0)


def test_ascent_hand_off_eccentric_os_orbits():
    """The ascent leg's dispersion (1-sigma ~14 km, ~29 m/s radial: OS eccentricities to
    ~0.03) handed to the rendezvous: the eccentric-orbit guidance (Yamanaka-Ankersen) keeps the
    hops off the keep-out. 300 ascent and 40 rendezvous trials (~6 s): measured capture
    0.975 and 1 keep-out entry (execution errors on the last hop); with the circular
    model 0.775 and 9 (the full 200-trial figures are in docs/models.md)."""
    from msrsim.campaign.ascent import run_ascent
    from msrsim.campaign.rendezvous import nees_summary
    from msrsim.segments.rendezvous import STATUS_COLLISION

    s = baseline()
    hand_off = run_ascent(s, trials=300).hand_off
    leg = run_rendezvous(s, hand_off, trials=40, containment_trials=1000)
    assert leg.capture_probability >= 0.9
    assert np.count_nonzero(leg.result.status == STATUS_COLLISION) <= 2
    # and the filter stays consistent on these eccentric orbits: measured ANEES 5.94
    # (region of 40 trials [4.98, 7.12]), 90 % of steps inside, 2 % above (was 6.38 and
    # 54 % inside with the Schweighart-Sedwick covariance and its model-error term)
    nees = nees_summary(leg.result)
    lo, hi = nees["anees_95pct_chi2_region"]
    assert lo <= nees["anees_weighted"] <= hi
    assert nees["steps_inside_95pct_chi2"] >= 0.85
    assert nees["steps_above_95pct_chi2"] <= 0.1


def test_navigation_filter_is_consistent_in_the_monte_carlo():
    """Issue 8: the filter is consistent, not only convergent, on the real simulation
    (nonlinear truth with J2, drag, SRP and dispersed OS coefficients; search, angles-only
    tracking, transfer, hops, final approach). 30 trials of the baseline (circular release,
    ~5 s): at each step the NEES averaged over the trials tracking then is chi-square
    (6 x trials dof) / trials; a consistent filter keeps ~95 % of the steps inside its
    95 % region. Measured: 90.2 % inside, 0.2 % above; ANEES 5.56 in the 30-trial region
    [4.83, 7.30]; per phase 85 % (angles-only tracking, conservative in its first
    half-hour), 94 %, 98 %, 96 % inside. Tolerances: 0.85 inside and 0.1 above in all,
    0.8 inside per phase (the 200-trial figures are in docs/models.md)."""
    from msrsim.campaign.rendezvous import nees_summary

    leg = run_rendezvous(_small(30), containment_trials=1000)
    nees = nees_summary(leg.result)
    lo, hi = nees["anees_95pct_chi2_region"]
    assert lo <= nees["anees_weighted"] <= hi
    assert nees["steps_inside_95pct_chi2"] >= 0.85
    assert nees["steps_above_95pct_chi2"] <= 0.1
    for phase in ("tracking_before_transfer", "far_range_transfer", "hops", "final_approach"):
        assert nees[f"{phase}_steps_inside_95pct_chi2"] >= 0.8, phase


@pytest.mark.slow
def test_baseline_monte_carlo_consistency_with_the_ascent_hand_off():
    """The 200-trial Monte Carlo of 'msrsim run' (the ascent's hand-off: OS eccentricities to
    ~0.05): measured ANEES 5.92 inside its 200-trial region [5.53, 6.49], 88.3 % of the
    steps inside (was 7.73 and 11 % with the Schweighart-Sedwick covariance), capture 0.975
    (unchanged)."""
    from msrsim.campaign.ascent import run_ascent
    from msrsim.campaign.rendezvous import nees_summary

    s = baseline()
    r = run_ascent(s)
    leg = run_rendezvous(s, r.hand_off, r.hand_off[0] - 86400.0, containment_trials=1000)
    assert leg.capture_probability >= 0.95
    nees = nees_summary(leg.result)
    lo, hi = nees["anees_95pct_chi2_region"]
    assert lo <= nees["anees_weighted"] <= hi
    assert nees["steps_inside_95pct_chi2"] >= 0.85


@pytest.mark.slow
def test_baseline_monte_carlo_capture_and_consistency():
    """The baseline's 200-trial Monte Carlo (docs/models.md): capture probability, filter
    consistency (ANEES inside its chi-square region), containment against the requirement."""
    from msrsim.campaign.rendezvous import nees_summary

    leg = run_rendezvous(baseline())
    assert leg.capture_probability >= 0.9  # measured 0.985 (Wilson 95 %: 0.957-0.995)
    nees = nees_summary(leg.result)
    # measured ANEES 5.94 in the 200-trial region [5.53, 6.49]; 96.3 % of steps inside
    # (was 4.33 and 11 % with the Schweighart-Sedwick covariance)
    lo, hi = nees["anees_95pct_chi2_region"]
    assert lo <= nees["anees_weighted"] <= hi
    assert nees["steps_inside_95pct_chi2"] >= 0.85
    ok = leg.result.captured
    assert np.all(leg.result.lateral_miss_m[ok] <= leg.envelope.lateral_radius_m)
    assert leg.containment.mean < leg.containment.model.requirement_probability  # 1.5e-7
    assert min(m.min_distance_m for m in leg.missed_burns) > leg.plan.keep_out_radius_m
