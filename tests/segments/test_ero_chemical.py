"""The chemical ERO's burns against published figures and closed forms."""

import math

import numpy as np
import pytest

from msrsim.core.bodies import MARS
from msrsim.core.time import utc_to_et
from msrsim.segments.ero_chemical import (
    departure_delta_v,
    finite_departure,
    lowering_delta_v,
    rocket_propellant_kg,
)
from msrsim.segments.spiral import orbit_insertion
from msrsim.segments.windows import porkchop

MU_MARS, R_MARS = MARS.gm.value, MARS.equatorial_radius.value


def test_departure_burn_matches_curtis_example_8_3():
    # Curtis, Orbital Mechanics for Engineering Students (2014), Example 8.3: a Hohmann
    # departure to Mars from a 300 km circular Earth orbit, v_inf 2.943 km/s (mu 398,600
    # km3/s2, R 6,378 km): delta-v 3.590 km/s. Inputs are given to 4 figures: 2 m/s.
    dv = departure_delta_v(2943.0, 398600e9, 6678e3)
    assert float(dv) == pytest.approx(3590.0, abs=2.0)


def test_lowering_from_a_circle_is_the_hohmann_transfer():
    # a "capture ellipse" that is a circle: the two burns are Hohmann's (Curtis eq. 6.2-6.3)
    r1, r2 = R_MARS + 5000e3, R_MARS + 400e3
    first, second = lowering_delta_v(MU_MARS, r1, r1, r2)
    dv1 = math.sqrt(MU_MARS / r1) * (1.0 - math.sqrt(2.0 * r2 / (r1 + r2)))
    dv2 = math.sqrt(MU_MARS / r2) * (math.sqrt(2.0 * r1 / (r1 + r2)) - 1.0)
    assert float(first) == pytest.approx(dv1, rel=1e-12)
    assert float(second) == pytest.approx(dv2, rel=1e-12)


def test_rocket_equation_round_trip():
    m0, dv, isp = 5000.0, 1234.5, 318.0
    used = float(rocket_propellant_kg(m0, dv, isp))
    assert 9.80665 * isp * math.log(m0 / (m0 - used)) == pytest.approx(dv, rel=1e-12)


def test_finite_departure_tends_to_the_impulse_and_loses_more_with_less_thrust():
    r = R_MARS + 490e3
    impulse = float(departure_delta_v(2500.0, MU_MARS, r))
    strong = finite_departure(2500.0, 2000.0, 1e7, 315.0, r)
    assert strong.finite_delta_v_m_s == pytest.approx(impulse, abs=0.01)
    losses = [finite_departure(2500.0, 2000.0, t, 315.0, r).gravity_loss_m_s for t in
              (20000.0, 4000.0, 1000.0)]  # fmt: skip
    assert 0.0 < losses[0] < losses[1] < losses[2]
    # the burn ends with the hyperbola's energy: its mass follows the finite delta-v
    weak = finite_departure(2500.0, 2000.0, 1000.0, 315.0, r)
    assert 2000.0 - weak.mass_after_kg == pytest.approx(
        float(rocket_propellant_kg(2000.0, weak.finite_delta_v_m_s, 315.0)), rel=1e-9
    )


def test_finite_departure_refuses_an_engine_that_cannot_escape():
    with pytest.raises(ValueError, match="reaches v_inf"):
        finite_departure(20000.0, 2000.0, 3000.0, 150.0, R_MARS + 400e3)


def _lambert_v_inf(departure_utc, arrival_utc):
    d, a = utc_to_et([departure_utc, arrival_utc])
    chop = porkchop("earth", "mars", np.array([d]), np.array([a]))
    return float(np.nanmin(chop.v_inf_arrival_m_s))


def test_mro_orbit_insertion_delta_v():
    # NASA, MRO mission timeline "Mars Orbit Insertion" [P]: "slow the orbiter by about
    # 1,000 meters per second", six 170 N engines, into a 300 x 45,000 km capture orbit.
    # The arrival v_inf is the Lambert arc's (launch 2005-08-12, MOI 2006-03-10; the
    # trajectory corrections are not flown); mass 2,180 kg (the launch mass: its
    # cruise propellant use is not published), Isp 318 s: "about" read as +/- 5 %.
    v_inf = _lambert_v_inf("2005-08-12T11:43", "2006-03-10T21:38")
    capture = orbit_insertion(v_inf, 2180.0, 1020.0, 318.0, R_MARS + 300e3, R_MARS + 45000e3)
    assert capture.finite_delta_v_m_s == pytest.approx(1000.0, rel=0.05)


def test_tianwen1_capture_burn_lasts_about_fifteen_minutes():
    # CNSA 2021-02-10 [S]: a 3,000 N engine fired "about 15 minutes" to capture the ~5 t
    # stack into a ~400 km x 10-day orbit. The stack's mass at arrival (after its deep-space
    # manoeuvre) and the engine's Isp are not published: 5,000 kg and 315 s, so the burn
    # may be a few minutes long; 12 to 20 minutes is accepted.
    v_inf = _lambert_v_inf("2020-07-23T04:41", "2021-02-10T11:52")
    a = (MU_MARS * (10 * 86400.0) ** 2 / (4 * math.pi**2)) ** (1 / 3)
    rp = R_MARS + 400e3
    capture = orbit_insertion(v_inf, 5000.0, 3000.0, 315.0, rp, 2 * a - rp)
    assert 12.0 <= capture.burn_s / 60.0 <= 20.0
