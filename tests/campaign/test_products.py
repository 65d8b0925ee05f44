"""campaign.products: the relay's trajectories as data, checked against the legs' own
numbers (the Sims-Flanagan transcription's midpoints, DE421 planets at the cruise ends,
the OS's orbit radius, the ground at the end of the entry) and the Parquet cache."""

import math

import numpy as np
import pytest

from msrsim.campaign.products import (
    MAX_POINTS,
    TRAJECTORY_NAMES,
    Trajectory,
    _join,
    load_products,
    save_products,
    sims_flanagan_arcs,
)
from msrsim.core.bodies import AU_M, DAY_S, EARTH, G0_M_S2, MARS, SUN
from msrsim.core.lowthrust import ElectricPropulsion, solve_sims_flanagan

MU = SUN.gm.value


def _circular(radius_m, angle_rad):
    speed = math.sqrt(MU / radius_m)
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([radius_m * c, radius_m * s, 0.0]), np.array([-speed * s, speed * c, 0.0])


@pytest.fixture(scope="module")
def small_transfer():
    """1 AU to 1.5 AU in 240 days, 7 segments (odd: the backward half has one more)."""
    r0, v0 = _circular(AU_M, 0.0)
    rf, vf = _circular(1.5 * AU_M, math.radians(150.0))
    power = 1.0 * G0_M_S2 * 3000.0 / (2.0 * 0.6)  # 1 N everywhere (the input cap binds)
    prop = ElectricPropulsion(3000.0, 0.6, power, 1000.0 * power)
    return solve_sims_flanagan(r0, v0, rf, vf, 240 * DAY_S, MU, 1000.0, prop, segments=7)


def test_sims_flanagan_path_is_the_transcription(small_transfer):
    t = small_transfer
    assert t.converged, t.message
    arcs = sims_flanagan_arcs(t, step_s=5 * DAY_S)
    assert len(arcs) == len(t.segment_et) + 1  # one Kepler arc between impulses
    # Starts and ends exactly on the boundary states (flown from each end).
    np.testing.assert_array_equal(arcs[0][1][0], t.r_departure_m)
    np.testing.assert_array_equal(arcs[-1][1][-1], t.r_arrival_m)
    assert arcs[0][0][0] == t.departure_et and arcs[-1][0][-1] == t.arrival_et
    for k, s in enumerate(t.segment_et):
        # each impulse ends arc k and starts arc k + 1 at the transcription's midpoint
        # position: the same conics by two Kepler solvers (conics.propagate and the
        # transcription's kepler_step), so round-off only: 1 cm at 2e11 m is 5e-14
        # relative (measured 6.7 mm)
        assert arcs[k][0][-1] == s and arcs[k + 1][0][0] == s
        assert np.linalg.norm(arcs[k][1][-1] - t.segment_r_m[k]) < 1e-2
        assert np.linalg.norm(arcs[k + 1][1][0] - t.segment_r_m[k]) < 1e-2
        jump = np.linalg.norm(arcs[k + 1][2][0] - arcs[k][2][-1])
        # the impulse: c ln(m_before / m_after) (the rocket equation of the transcription)
        c = t.propulsion.exhaust_speed_m_s
        assert jump == pytest.approx(c * math.log(t.mass_kg[k] / t.mass_kg[k + 1]), rel=1e-6)
    for et, _, _ in arcs:
        assert np.all(np.diff(et) > 0)


def _orbit(n=50, center="MARS", frame="ICRF", time_system="TDB", arcs=(0,)):
    et = 9.9e8 + np.arange(n) * 60.0
    angle = et * 1e-3
    r = 3.89e6 * np.column_stack([np.cos(angle), np.sin(angle), np.zeros(n)])
    v = 3.89e3 * np.column_stack([-np.sin(angle), np.cos(angle), np.zeros(n)])
    return Trajectory(
        name="test_orbit", object_name="TEST", object_id="T-1", center=center, frame=frame,
        time_system=time_system, et=et, position_m=r, velocity_m_s=v, comment="synthetic",
        arcs=arcs,
    )  # fmt: skip


def test_trajectory_refuses_bad_records():
    good = _orbit()
    with pytest.raises(ValueError, match="epochs"):
        Trajectory(**{**good.__dict__, "et": good.et[::-1].copy()})
    with pytest.raises(ValueError, match="same number"):
        Trajectory(**{**good.__dict__, "position_m": good.position_m[:-1]})
    with pytest.raises(ValueError, match="time_system"):
        Trajectory(**{**good.__dict__, "time_system": "TAI"})
    with pytest.raises(ValueError, match="arcs"):
        Trajectory(**{**good.__dict__, "arcs": (1, 5)})
    # an impulse: an arc may start at the epoch where the last one ended
    et = np.array([0.0, 1.0, 1.0, 2.0])
    t = Trajectory(**{**good.__dict__, "et": et, "position_m": np.ones((4, 3)),
                      "velocity_m_s": np.ones((4, 3)), "arcs": (0, 2)})  # fmt: skip
    assert t.arc_slices() == [(0, 2), (2, 4)]


def test_join_decimates_each_arc_keeping_its_ends():
    n = 3 * MAX_POINTS
    et = np.arange(n, dtype=float)
    pieces = [(et, np.ones((n, 3)), np.ones((n, 3))), (et + n, np.ones((n, 3)), np.ones((n, 3)))]
    t = _join("x", pieces, object_name="X", object_id="X", center="SUN", frame="ICRF",
              time_system="TDB")  # fmt: skip
    assert t.et.size <= MAX_POINTS + 2
    assert len(t.arcs) == 2
    a, b = t.arc_slices()[1]
    assert t.et[a] == n and t.et[b - 1] == 2 * n - 1 and t.et[0] == 0 and t.et[a - 1] == n - 1


def test_products_round_trip_through_parquet(tmp_path):
    t = _orbit(arcs=(0, 20))
    t = Trajectory(**{**t.__dict__, "extra": {"period_s": 7365.9}, "interpolable": False})
    names = save_products(tmp_path, {t.name: t})
    back = load_products(tmp_path, names)[t.name]
    for name in ("et", "position_m", "velocity_m_s"):
        np.testing.assert_array_equal(getattr(back, name), getattr(t, name))
    for name in ("object_name", "object_id", "center", "frame", "time_system", "comment",
                 "arcs", "interpolable", "extra"):  # fmt: skip
        assert getattr(back, name) == getattr(t, name)
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary file


@pytest.fixture(scope="module")
def baseline_products():
    """The baseline's trajectories from its legs, flown once per session and cached
    (tests/campaign/test_campaign_run.py flies the same ones)."""
    from msrsim.campaign.runner import campaign_legs
    from msrsim.scenario import baseline

    return campaign_legs(baseline()).products


def test_baseline_products_are_sane(baseline_products):
    from msrsim.core.ephemeris import get_ephemeris
    from msrsim.core.frames import cartesian_to_geodetic, icrf_to_itrs

    p = baseline_products
    assert tuple(p) == TRAJECTORY_NAMES
    for t in p.values():
        assert 2 <= t.et.size <= MAX_POINTS + len(t.arcs), t.name
        for a, b in t.arc_slices():
            assert np.all(np.diff(t.et[a:b]) > 0), t.name
        assert np.all(np.diff(t.et) >= 0), t.name
    eph = get_ephemeris()
    for name, start, end in (("ero_outbound_cruise", "earth", "mars"),
                             ("ero_return_cruise", "mars", "earth")):  # fmt: skip
        t = p[name]
        assert (t.center, t.frame, t.time_system) == ("SUN", "ICRF", "TDB")
        # patched conics: from the departure planet's centre to the arrival planet's
        # (DE421), within the transfer's own match-point mismatch (+ 1 m of round-off)
        tol = t.extra["mismatch_position_m"] + 1.0
        assert np.linalg.norm(t.position_m[0] - eph.position(start, t.et[:1], "sun")[0]) < tol
        assert np.linalg.norm(t.position_m[-1] - eph.position(end, t.et[-1:], "sun")[0]) < tol
        assert len(t.arcs) > 10  # one arc per impulse
    # the OS's orbit: about 3,890 km from Mars's centre (~500 km altitude; J2 wobbles it)
    r_os = np.linalg.norm(p["os_orbit"].position_m, axis=1)
    assert np.all(np.abs(r_os - 3.89e6) < 30e3)
    assert p["os_orbit"].et[-1] - p["os_orbit"].et[0] >= 5 * p["os_orbit"].extra["period_s"]
    # the MAV leaves the surface and ends where the OS is released (same model, 1 km)
    asc = p["mav_ascent"]
    assert np.linalg.norm(asc.position_m[0]) < MARS.equatorial_radius.value + 5e3
    assert np.linalg.norm(asc.position_m[-1]) == pytest.approx(r_os[0], abs=20e3)
    # the spirals stay above Mars
    orbit = p["ero_mars_orbit"]
    assert not orbit.interpolable and len(orbit.arcs) == 2
    assert np.linalg.norm(orbit.position_m, axis=1).min() > MARS.equatorial_radius.value + 50e3
    # the EES: the approach ends where the entry starts, and the entry on the ground
    app, ent = p["ees_approach"], p["ees_entry"]
    assert (ent.center, ent.frame, ent.time_system) == ("EARTH", "GCRF", "UTC")
    assert app.et[-1] == ent.et[0]
    assert np.linalg.norm(app.position_m[-1] - ent.position_m[0]) < 1.0
    assert np.linalg.norm(app.velocity_m_s[-1] - ent.velocity_m_s[0]) < 1e-3
    r_itrs = icrf_to_itrs(ent.et[-1:], ent.position_m[-1:])
    altitude = cartesian_to_geodetic(r_itrs, EARTH)[2][0]
    assert -100.0 < altitude < 3000.0  # the Utah range lies 1.3-1.5 km up
    assert np.linalg.norm(app.position_m[0]) > 1e9  # three days out: ~1 million km


def test_cache_hit_reads_the_same_products(baseline_products):
    from msrsim.campaign.runner import campaign_legs
    from msrsim.scenario import baseline

    again = campaign_legs(baseline())
    assert again.handoffs is None  # from the cache: nothing flown
    for name, t in baseline_products.items():
        np.testing.assert_array_equal(again.products[name].position_m, t.position_m)
        np.testing.assert_array_equal(again.products[name].et, t.et)


def test_new_mars_products_join_their_legs(baseline_products):
    """The SRL's approach ends where its entry starts; the entry ends at parachute
    deployment, kilometres above Mars; the ERO's rendezvous track stays within the search
    orbit's offset of the OS's radius and ends at the OS; the legs' covariances travel."""
    p = baseline_products
    app, ent = p["srl_approach"], p["srl_entry"]
    assert (app.center, app.frame, app.time_system) == ("MARS", "ICRF", "TDB")
    assert app.et[-1] == ent.et[0]
    assert np.linalg.norm(app.position_m[-1] - ent.position_m[0]) < 1.0
    assert 1e3 < ent.extra["final_altitude_m"] < 20e3  # the parachute opens ~10 km up
    assert np.linalg.norm(app.position_m[0]) > 1e8  # three days out
    ero, os_orbit = p["ero_rendezvous"], p["os_orbit"]
    inside = ero.et <= os_orbit.et[-1]  # the OS's product ends at the median capture
    r_os = np.interp(ero.et[inside], os_orbit.et, np.linalg.norm(os_orbit.position_m, axis=1))
    assert inside.sum() > 100
    assert np.all(np.abs(np.linalg.norm(ero.position_m[inside], axis=1) - r_os) < 50e3)
    assert ero.et[0] >= os_orbit.et[0]  # from the search start, after the release
    (cov,) = os_orbit.covariances
    assert cov.et == os_orbit.et[0]
    sigma_km = np.sqrt(np.diag(cov.matrix)[:3]) / 1e3
    assert np.all((0.01 < sigma_km) & (sigma_km < 100.0))  # km-scale release dispersion
    assert np.linalg.eigvalsh(cov.matrix).min() > 0.0
    (delivery,) = p["ees_approach"].covariances
    assert delivery.et == p["ees_approach"].et[-1]  # at the entry interface


def test_delivery_covariance_matches_a_monte_carlo():
    """The linearised entry-interface covariance against 40,000 deliveries drawn as
    :func:`msrsim.segments.approach.delivery_states` draws them (B-plane and arrival-time
    normals, each carried by its conic to the interface), moved to the nominal epoch by
    Kepler propagation: standard deviations within 2 % (sampling: 0.4 %), correlations
    within 0.02 (the mapping is smooth over a few sigma)."""
    from types import SimpleNamespace

    from msrsim.campaign.products import delivery_covariance
    from msrsim.core.conics import approach_state, propagate
    from msrsim.segments.approach import DeliveryErrors

    mu = EARTH.gm.value
    v_inf = np.array([2500.0, -1800.0, 900.0])
    radius = EARTH.equatorial_radius.value + 125e3
    bt, br = 7.0e6, -2.0e6
    r0, v0, _ = approach_state(v_inf, bt, br, radius, mu)
    approach = SimpleNamespace(v_infinity_m_s=v_inf, b_t_m=bt, b_r_m=br,
                               entry_position_m=r0[0], entry_velocity_m_s=v0[0])  # fmt: skip
    errors = DeliveryErrors(3e3, 2e3, 0.2)  # both kinds of error count (~2 km each)
    linear = delivery_covariance(approach, errors, mu)

    n = 40_000
    d = np.random.default_rng(11).standard_normal((n, 3)) * [3e3, 2e3, 0.2]
    r, v, _ = approach_state(v_inf, bt + d[:, 0], br + d[:, 1], radius, mu)
    r, v = propagate(r, v, -d[:, 2], mu)  # arrives d late: at the nominal epoch, d short
    sample = np.cov(np.hstack([r, v]).T)
    s_lin, s_mc = np.sqrt(np.diag(linear)), np.sqrt(np.diag(sample))
    np.testing.assert_allclose(s_lin, s_mc, rtol=0.02)
    corr_lin = linear / np.outer(s_lin, s_lin)
    corr_mc = sample / np.outer(s_mc, s_mc)
    np.testing.assert_allclose(corr_lin, corr_mc, atol=0.02)
