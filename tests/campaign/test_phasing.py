"""The ERO's phasing from its waiting orbit to the search orbit (campaign.rendezvous)."""

import numpy as np
import pytest

from msrsim.campaign.rendezvous import ero_phasing
from msrsim.core.bodies import MARS
from msrsim.core.secular import SecularOrbit
from msrsim.segments.spiral import equatorial_frame, periapsis_state

ET0 = 1.0e9
MU = MARS.gm.value
A_OS = MARS.equatorial_radius.value + 500e3
OFFSET = -10e3
LAG = np.radians(10.0)


def _state(radius, inclination_deg, raan, u, frame):
    r, v = periapsis_state(radius, radius, np.radians(inclination_deg), raan, u)
    return np.hstack([r @ frame, v @ frame])


@pytest.fixture(scope="module")
def ero():
    frame = equatorial_frame(ET0)
    x = _state(A_OS + OFFSET, 25.0, 0.4, 1.0, frame)
    return SecularOrbit.from_state(x[:3], x[3:], ET0, frame), frame


def test_the_search_starts_after_the_drift_to_the_lag_point(ero):
    """An OS in the ERO's plane, the ERO at angle ``ahead`` behind it: the drift takes
    (ahead - lag) / dn, dn = n(a - 10 km) - n(a) ~ 3/2 n 10 km / a (to 1 %), plus the half
    orbit of the move to the search orbit."""
    orbit, frame = ero
    et = np.full(3, ET0 + 86400.0)
    e = orbit.state_at(et)
    raan, u = orbit.raan_at(et[0]), orbit.argument_of_latitude_at(et[0])
    ahead = np.radians([10.0, 40.0, 200.0])
    os_states = np.vstack([_state(A_OS, np.degrees(orbit.inclination_rad), raan, u + d, frame)
                           for d in ahead])  # fmt: skip
    out = ero_phasing(os_states, et, orbit, OFFSET, LAG)
    n = np.sqrt(MU / A_OS**3)
    dn = 1.5 * n * abs(OFFSET) / A_OS
    half = np.pi * np.sqrt((A_OS + OFFSET) ** 3 / MU)
    # the ERO's own position is its secular orbit's: take its actual lead from the states
    lead = np.arctan2(np.linalg.norm(np.cross(e[:, :3], os_states[:, :3]), axis=1),
                      np.einsum("ij,ij->i", e[:, :3], os_states[:, :3]))  # fmt: skip
    lead = np.where(ahead > np.pi, 2 * np.pi - lead, lead)
    expected = half + np.mod(lead - LAG, 2 * np.pi) / dn
    assert out.start_s == pytest.approx(expected, rel=0.01)
    assert out.plane_angle_rad == pytest.approx(0.0, abs=2e-3)  # the fitted node's noise
    assert np.all(out.delta_v_m_s < 1.0)  # same size, same plane: only the fit's residue


def test_a_plane_one_degree_off_costs_two_v_sin_half_a_degree(ero):
    orbit, frame = ero
    et = np.array([ET0 + 3 * 86400.0])
    raan, u = orbit.raan_at(et[0]), orbit.argument_of_latitude_at(et[0])
    tilted = _state(A_OS + OFFSET, np.degrees(orbit.inclination_rad) + 1.0, raan, u + 0.5, frame)
    out = ero_phasing(tilted[None, :], et, orbit, 0.0, LAG)
    assert np.isinf(out.start_s[0])  # no altitude offset: the ERO never drifts there
    v = np.sqrt(MU / (A_OS + OFFSET))
    assert out.plane_angle_rad[0] == pytest.approx(np.radians(1.0), abs=2e-3)
    assert out.delta_v_m_s[0] == pytest.approx(2 * v * np.sin(np.radians(0.5)), rel=0.01)


def test_the_os_coast_step_error_is_inside_the_search_lag():
    """The OS's coast while the ERO phases (RK4 at ``_COAST_STEP_S``) against the same
    force model at 5 s steps, on a 500 km, 25 deg orbit with the baseline's OS body and
    density: the figures of ``_COAST_STEP_S``'s docstring (0.2 km after a day, at most 80
    km after 20 days), well inside the search's 10-degree lag (~600 km)."""
    from msrsim.campaign import rendezvous as leg
    from msrsim.campaign.rendezvous import rendezvous_inputs
    from msrsim.core.orbit_propagation import force_model, propagate
    from msrsim.scenario import baseline

    _, _, os_body, _, density = rendezvous_inputs(baseline())
    frame = equatorial_frame(ET0)
    state = np.array([_state(A_OS, 25.0, raan, u, frame) for raan, u in [(0.4, 1.0), (2.0, 4.0)]])
    model = force_model(ET0, density=density)
    coefficients = (os_body.ballistic_coefficient_m2_kg, os_body.srp_area_to_mass_m2_kg)
    lag_m = A_OS * LAG
    for days, most_m in ((1.0, 500.0), (20.0, 80e3)):
        dt = np.full(2, days * 86400.0)
        fine = propagate(state, dt, model, *coefficients, 5.0)
        coast = propagate(state, dt, model, *coefficients, leg._COAST_STEP_S)
        error = np.linalg.norm(coast[:, :3] - fine[:, :3], axis=1)
        assert error.max() < most_m < 0.15 * lag_m, (days, error)
