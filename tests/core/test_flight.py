"""core.flight: the batched 3-DOF kernel against scipy's DOP853 and a conserved integral."""

import dataclasses
import math

import numba
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from msrsim.core.bodies import EARTH
from msrsim.core.flight import (
    STATUS_ESCAPED,
    STATUS_LANDED,
    STATUS_STEP_FAILURE,
    STATUS_TIME_LIMIT,
    Aerodynamics,
    AtmosphereTable,
    Heating,
    Planet,
    fly,
    spline_curvature,
)

PLANET = Planet(
    EARTH.gm.value,
    EARTH.j2.value,
    EARTH.j2_reference_radius_m,
    EARTH.equatorial_radius.value,
    EARTH.flattening,
    EARTH.rotation_rate.value,
)
ALT = np.arange(0.0, 150_001.0, 1000.0)
SCALE_HEIGHT = 7200.0
ATM = AtmosphereTable(
    ALT,
    np.log(1.225) - ALT / SCALE_HEIGHT,
    np.full(ALT.size, 300.0),
    np.zeros(ALT.size),
    np.zeros(ALT.size),
    8.1e-8,
)
AERO = Aerodynamics(
    np.array([0.0, 0.8, 1.2, 2.0, 5.0, 30.0]),
    np.array([0.7, 0.8, 1.1, 1.35, 1.45, 1.48]),
    2.05,
    0.81,
)
NO_RAD = Heating(
    1.7415e-4, 0.0, 1.22, 1.072e6, -1.88, -0.325, np.array([9e3, 16e3]), np.array([1.5, 2040.0])
)
MASS, AREA, NOSE = 45.8, math.pi * 0.81**2 / 4, 0.22


def fly_capsule(positions, velocities, **overrides):
    """:func:`fly` with the test capsule, atmosphere and planet unless overridden."""
    options = dict(
        planet=PLANET,
        atmosphere=ATM,
        aerodynamics=AERO,
        heating=NO_RAD,
        mass_kg=MASS,
        reference_area_m2=AREA,
        nose_radius_m=NOSE,
    )
    options.update(overrides)
    return fly(np.atleast_2d(positions), np.atleast_2d(velocities), **options)


def entry_state(speed=12.5e3, fpa_deg=-8.2, azimuth_deg=60.0, lat_deg=10.0):
    lat, az, fpa = map(math.radians, (lat_deg, azimuth_deg, fpa_deg))
    r = EARTH.equatorial_radius.value + 125e3
    pos = r * np.array([math.cos(lat), 0.0, math.sin(lat)])
    east = np.array([0.0, 1.0, 0.0])
    north = np.array([-math.sin(lat), 0.0, math.cos(lat)])
    up = pos / r
    horizontal = math.cos(az) * north + math.sin(az) * east
    vel = speed * (math.cos(fpa) * horizontal + math.sin(fpa) * up)
    return pos, vel


def reference_rhs(t, y, lift_to_drag=0.0, bank=0.0):
    """The same equations, written independently in plain numpy (radial altitude); with
    ``lift_to_drag``, lift rolled by ``bank`` about the velocity (positive to the right)."""
    gm, j2, rj, a, f, w = (
        PLANET.gm,
        PLANET.j2,
        PLANET.j2_radius_m,
        PLANET.equatorial_radius_m,
        PLANET.flattening,
        PLANET.spin_rad_s,
    )
    r_vec, v = y[:3], y[3:]
    r = np.linalg.norm(r_vec)
    z2 = (r_vec[2] / r) ** 2
    k = 1.5 * j2 * (rj / r) ** 2
    g = (
        -gm
        / r**3
        * r_vec
        * np.array([1 + k * (1 - 5 * z2), 1 + k * (1 - 5 * z2), 1 + k * (3 - 5 * z2)])
    )
    omega = np.array([0.0, 0.0, w])
    acc = g - 2 * np.cross(omega, v) - np.cross(omega, np.cross(omega, r_vec))
    s = r_vec[2] / r
    e2 = f * (2 - f)
    alt = r - a * (1 - f) / math.sqrt(1 - e2 * (1 - s * s))
    if alt <= ALT[-1]:
        rho = math.exp(np.interp(alt, ALT, ATM.log_density))
        u = np.linalg.norm(v)
        cd_c = np.interp(u / 300.0, AERO.mach, AERO.cd_continuum)
        kn = 8.1e-8 / rho / 0.81
        p = (
            0.0
            if kn <= 1e-3
            else 1.0
            if kn >= 10
            else math.sin(math.pi * (0.375 + math.log10(kn) / 8)) ** 2
        )
        cd = cd_c + (2.05 - cd_c) * p
        drag = 0.5 * rho * u * u * cd * AREA / MASS
        acc -= drag * v / u
        u_hat = v / u
        vertical = r_vec / r - (r_vec / r @ u_hat) * u_hat
        sine = np.linalg.norm(vertical)
        vertical /= sine
        side = np.cross(u_hat, vertical)
        lift = drag * lift_to_drag * (1.0 - p) * min(1.0, sine / 0.1)
        acc += lift * (math.cos(bank) * vertical + math.sin(bank) * side)
    return np.concatenate([v, acc])


def ground(t, y):
    r = np.linalg.norm(y[:3])
    s = y[2] / r
    e2 = PLANET.flattening * (2 - PLANET.flattening)
    return r - PLANET.equatorial_radius_m * (1 - PLANET.flattening) / math.sqrt(
        1 - e2 * (1 - s * s)
    )


ground.terminal = True
ground.direction = -1


def test_matches_scipy_dop853():
    # Both integrate eq. (1) with the same atmosphere and CD; scipy at rtol 1e-12. Measured:
    # touchdown 3 mm and 2 us apart after ~420 s of flight. Tolerances 0.1 m and 1 ms leave
    # room for the kernel's rtol 1e-10 across the kinks of the linear interpolations.
    pos, vel = entry_state()
    res = fly_capsule(pos, vel, rtol=1e-10)
    ref = solve_ivp(
        reference_rhs,
        (0, 3000),
        np.concatenate([pos, vel]),
        method="DOP853",
        rtol=1e-12,
        atol=1e-6,
        events=ground,
        max_step=5.0,
    )
    assert res.status[0] == STATUS_LANDED
    t_ref = ref.t_events[0][0]
    r_ref = ref.y_events[0][0][:3]
    assert res.time_s[0] == pytest.approx(t_ref, abs=1e-3)
    assert np.linalg.norm(res.position_m[0] - r_ref) < 0.1
    assert np.linalg.norm(res.velocity_m_s[0]) == pytest.approx(
        np.linalg.norm(ref.y_events[0][0][3:]), rel=1e-4
    )


def jacobi(pos, vel):
    """Energy in the rotating frame with J2 (conserved without drag)."""
    gm, j2, rj, w = PLANET.gm, PLANET.j2, PLANET.j2_radius_m, PLANET.spin_rad_s
    r = np.linalg.norm(pos, axis=-1)
    sin2 = (pos[..., 2] / r) ** 2
    potential = -gm / r * (1 - j2 * (rj / r) ** 2 * (1.5 * sin2 - 0.5))
    centrifugal = -0.5 * w**2 * (pos[..., 0] ** 2 + pos[..., 1] ** 2)
    return 0.5 * np.sum(vel**2, axis=-1) + potential + centrifugal


def test_vacuum_flight_conserves_the_jacobi_integral():
    # An atmosphere too thin to matter: the rotating-frame energy (Jacobi integral with J2)
    # is conserved along the whole ballistic arc to 1e-9 relative.
    thin = AtmosphereTable(
        ALT,
        np.full(ALT.size, -200.0),
        ATM.speed_of_sound_m_s,
        ATM.wind_east_m_s,
        ATM.wind_north_m_s,
        8.1e-8,
    )
    pos, vel = entry_state(speed=6.5e3, fpa_deg=-20.0)
    res = fly_capsule(pos, vel, atmosphere=thin, history_samples=5000)
    h = res.history[0]
    h = h[np.isfinite(h[:, 0])]
    energy = jacobi(h[:, 1:4], h[:, 4:7])
    assert np.ptp(energy) / abs(energy[0]) < 1e-9
    assert res.status[0] == STATUS_LANDED


def test_batch_equals_single_and_status_codes():
    pos, vel = entry_state()
    steep_pos, steep_vel = entry_state(fpa_deg=-30.0)
    skip_pos, skip_vel = entry_state(speed=11.5e3, fpa_deg=3.0)
    batch = fly_capsule(np.stack([pos, steep_pos, skip_pos]), np.stack([vel, steep_vel, skip_vel]))
    single = fly_capsule(steep_pos, steep_vel)
    assert list(batch.status) == [STATUS_LANDED, STATUS_LANDED, STATUS_ESCAPED]
    assert batch.peak_deceleration_g[1] == single.peak_deceleration_g[0]
    assert batch.peak_deceleration_g[1] > batch.peak_deceleration_g[0]  # steeper, harder
    short = fly_capsule(pos, vel, t_max_s=30.0)
    assert short.status[0] == STATUS_TIME_LIMIT and short.time_s[0] == pytest.approx(30.0)


def test_allen_eggers_peak_deceleration():
    # Allen and Eggers (NACA TR-1381, 1958): a ballistic entry in an exponential, non-
    # rotating atmosphere peaks at a = V_E^2 sin|gamma| / (2 e H) whatever the mass. The
    # kernel, run with spin and J2 off and a constant CD, agrees to 0.24 %; tolerance 1 %
    # (the formula's flat-planet, constant-gamma, no-gravity assumptions).
    planet = Planet(
        EARTH.gm.value, 0.0, EARTH.j2_reference_radius_m, EARTH.equatorial_radius.value, 0.0, 0.0
    )
    aero = Aerodynamics(np.array([0.0, 100.0]), np.array([1.5, 1.5]), 1.5, 0.81)
    speed, fpa = 11.0e3, -30.0
    pos, vel = entry_state(speed=speed, fpa_deg=fpa)
    res = fly_capsule(pos, vel, planet=planet, aerodynamics=aero)
    expected_g = speed**2 * math.sin(math.radians(-fpa)) / (2 * math.e * SCALE_HEIGHT) / 9.80665
    assert res.peak_deceleration_g[0] == pytest.approx(expected_g, rel=0.01)


def test_bad_vehicle_values_are_refused():
    pos, vel = entry_state()
    with pytest.raises(ValueError, match="mass_kg must be finite and positive"):
        fly_capsule(pos, vel, mass_kg=-1.0)


def test_a_non_finite_state_is_a_step_failure_of_its_own_trajectory():
    # The kernel divides without checks (numba's numpy error model): a NaN state flows into
    # the step's error estimate, and the step control gives up on that trajectory alone
    # (no exception, no table index from a NaN altitude); its neighbours fly on unchanged.
    pos, vel = entry_state()
    bad_pos = np.stack([pos, pos])
    bad_pos[0, 2] = np.nan
    batch = fly_capsule(bad_pos, np.stack([vel, vel]))
    single = fly_capsule(pos, vel)
    assert list(batch.status) == [STATUS_STEP_FAILURE, STATUS_LANDED]
    assert batch.time_s[1] == single.time_s[0]


def test_results_do_not_depend_on_the_thread_count():
    # A batch spanning several work blocks, flown on one thread and on two: bit-identical.
    rng = np.random.default_rng(5)
    states = [
        entry_state(fpa_deg=f, azimuth_deg=a)
        for f, a in zip(rng.uniform(-12.0, -6.0, 150), rng.uniform(0.0, 360.0, 150), strict=True)
    ]
    pos, vel = (np.array(x) for x in zip(*states, strict=True))
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = fly_capsule(pos, vel)
    finally:
        numba.set_num_threads(threads)
    many = fly_capsule(pos, vel)
    for field in dataclasses.fields(one):
        if field.name != "history":
            assert np.array_equal(getattr(one, field.name), getattr(many, field.name)), field.name


def test_per_trajectory_winds_equal_one_at_a_time():
    # Winds given per trajectory (n, n_levels) fly each trajectory exactly as its own row
    # given alone; a wind changes the landing point, a refused shape names the field.
    pos, vel = entry_state()
    east = np.stack([np.zeros(ALT.size), np.full(ALT.size, 25.0), np.linspace(-30, 30, ALT.size)])
    north = np.stack([np.zeros(ALT.size), np.full(ALT.size, -10.0), np.full(ALT.size, 5.0)])
    windy = dataclasses.replace(ATM, wind_east_m_s=east, wind_north_m_s=north)
    batch = fly_capsule(np.stack([pos] * 3), np.stack([vel] * 3), atmosphere=windy)
    for k in range(3):
        alone = fly_capsule(
            pos,
            vel,
            atmosphere=dataclasses.replace(ATM, wind_east_m_s=east[k], wind_north_m_s=north[k]),
        )
        assert np.array_equal(alone.position_m[0], batch.position_m[k])
    assert np.linalg.norm(batch.position_m[1] - batch.position_m[0]) > 500.0
    bad = dataclasses.replace(ATM, wind_east_m_s=east[:2])
    with pytest.raises(ValueError, match="wind_east_m_s must have 1 or 3 rows"):
        fly_capsule(np.stack([pos] * 3), np.stack([vel] * 3), atmosphere=bad)


@pytest.mark.parametrize("bank_deg", [0.0, 60.0, -120.0])
def test_lifting_flight_matches_scipy_dop853(bank_deg):
    # Lift of a capsule trimmed at L/D 0.24, rolled by a fixed bank: the kernel against the
    # independent numpy equations under DOP853 (rtol 1e-12), as for the ballistic case but
    # 1 m: lift up, the capsule glides 1,000 s and thousands of km (measured 0.36 m apart,
    # 1e-7 of the path). A right bank (positive) must turn the flight right, a lift-up bank
    # carry it farther.
    pos, vel = entry_state()
    lifting = dataclasses.replace(AERO, lift_to_drag=np.full(AERO.mach.size, 0.24))
    res = fly_capsule(pos, vel, rtol=1e-10, aerodynamics=lifting, bank_rad=math.radians(bank_deg))
    ref = solve_ivp(
        lambda t, y: reference_rhs(t, y, 0.24, math.radians(bank_deg)),
        (0, 3000),
        np.concatenate([pos, vel]),
        method="DOP853",
        rtol=1e-12,
        atol=1e-6,
        events=ground,
        max_step=5.0,
    )
    assert res.status[0] == STATUS_LANDED
    assert res.time_s[0] == pytest.approx(ref.t_events[0][0], abs=1e-3)
    assert np.linalg.norm(res.position_m[0] - ref.y_events[0][0][:3]) < 1.0
    ballistic = fly_capsule(pos, vel, rtol=1e-10)
    normal = np.cross(pos, vel)  # left of the flight
    side = (res.position_m[0] - ballistic.position_m[0]) @ normal / np.linalg.norm(normal)
    if bank_deg == 0.0:
        assert res.time_s[0] > ballistic.time_s[0]  # lift up: a longer flight
    else:
        assert np.sign(side) == -np.sign(bank_deg)  # a right bank lands to the right


def test_spline_curvature_matches_scipy_natural_cubic_spline():
    # The Thomas sweep against scipy's CubicSpline (natural ends, its own banded solver):
    # second derivatives at the knots of 50 rows on a non-uniform grid and of one row on
    # the entry grid, to 1e-12 of the largest (round-off; the system is well conditioned).
    from scipy.interpolate import CubicSpline

    rng = np.random.default_rng(3)
    uneven = np.sort(rng.uniform(0.0, 1.2e5, 40))
    for grid, rows in ((uneven, 50), (np.arange(0.0, 150_001.0, 1000.0), 1)):
        values = rng.standard_normal((rows, grid.size)).cumsum(axis=1)
        expected = CubicSpline(grid, values, axis=1, bc_type="natural")(grid, 2)
        got = spline_curvature(grid, values)
        assert np.abs(got - expected).max() <= 1e-12 * np.abs(expected).max()


def test_no_kernel_is_compiled_with_fastmath():
    """Reproducibility: with any fastmath flag (even ``contract`` alone, i.e. FMA) the code
    numba compiles in one process and the code it loads from its on-disk cache in the next
    gave different numbers (the baseline SRL's nominal deploy pressure 731.1 against 735.6
    Pa, measured), so a user's first run did not repeat. No compiled function of the core
    or segment layers may ask for it."""
    import importlib
    import pkgutil

    import numba.core.registry

    import msrsim.core
    import msrsim.segments

    fast = []
    for package in (msrsim.core, msrsim.segments):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if isinstance(value, numba.core.registry.CPUDispatcher):
                    if value.targetoptions.get("fastmath"):
                        fast.append(f"{info.name}.{name}")
    assert fast == []


def test_read_only_inputs_compile_no_second_kernel():
    """A hand-off read back from the cache arrives read-only (interface states, dispersed
    winds); either used to compile the whole kernel again (30-40 CPU-s, measured in a test
    session): one signature serves all."""
    from msrsim.core.flight import _fly_kernel

    pos, vel = entry_state()
    fly_capsule(pos, vel, t_max_s=5.0)
    frozen = np.stack([pos, pos])
    frozen.flags.writeable = False
    calm = np.zeros((2, ALT.size))
    calm.flags.writeable = False
    atm = dataclasses.replace(ATM, wind_east_m_s=calm, wind_north_m_s=calm)
    fly_capsule(frozen, np.stack([vel, vel]), atmosphere=atm, t_max_s=5.0)
    assert len(_fly_kernel.signatures) == 1
