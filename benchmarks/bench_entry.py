"""Earth-entry footprint Monte Carlo: 100,000 capsules, time and memory, and solve_ivp.

Run ``python benchmarks/bench_entry.py [N]``. Flies N (default 100,000) dispersed entries of
a 1.25 m, 100 kg sphere-cone from 125 km at 11.8 km/s to the ground at the Utah Test and
Training Range with :func:`msrsim.segments.entry.footprint` (numba, both cores; interface,
density, wind, drag and mass dispersions, as ``msrsim entry`` flies them), and the
same physics one trajectory at a time with scipy's ``solve_ivp`` (DOP853, same rtol,
plain numpy right-hand side) on a sample, and prints the times, their ratio and the peak
memory. Target (issue 9): under 30 s and 2 GB for 100,000 on this 2-core machine.
"""

import math
import resource
import sys
import time
import tracemalloc

import numpy as np
from scipy.integrate import solve_ivp

from msrsim.core.aero import sphere_cone_aerodynamics
from msrsim.core.atmosphere.earth import EARTH_WIND_DISPERSION
from msrsim.segments.entry import (
    EARTH_FLIGHT,
    FOOTPRINT_RTOL,
    Capsule,
    EntryInterface,
    entry_atmosphere,
    footprint,
    interface_states,
    standard_atmosphere_table,
)

CAPSULE = Capsule(100.0, 1.25, 0.3125, 60.0, 0.9)
INTERFACE = EntryInterface(41.48, -120.08, 125e3, 11_791.0, -10.0, 100.0, inertial=True)
GROUND_M = 1300.0
SCIPY_SAMPLE = 20


def scipy_one_by_one(positions, velocities):
    """The same equations (drag, J2, rotating frame) for each trajectory with solve_ivp."""
    atm = standard_atmosphere_table()
    aero = sphere_cone_aerodynamics(60.0, 0.3125, 1.25, subsonic_cd=0.9)
    p = EARTH_FLIGHT
    omega = np.array([0.0, 0.0, p.spin_rad_s])
    area_over_mass = CAPSULE.reference_area_m2 / CAPSULE.mass_kg

    def altitude(r_vec):
        r = np.linalg.norm(r_vec)
        s = r_vec[2] / r
        e2 = p.flattening * (2 - p.flattening)
        return r - p.equatorial_radius_m * (1 - p.flattening) / math.sqrt(1 - e2 * (1 - s * s))

    def rhs(t, y):
        r_vec, v = y[:3], y[3:]
        r = np.linalg.norm(r_vec)
        z2 = (r_vec[2] / r) ** 2
        k = 1.5 * p.j2 * (p.j2_radius_m / r) ** 2
        g = (
            -p.gm
            / r**3
            * r_vec
            * np.array([1 + k * (1 - 5 * z2), 1 + k * (1 - 5 * z2), 1 + k * (3 - 5 * z2)])
        )
        acc = g - 2 * np.cross(omega, v) - np.cross(omega, np.cross(omega, r_vec))
        h = altitude(r_vec)
        if h < atm.altitude_m[-1]:
            rho = math.exp(np.interp(h, atm.altitude_m, atm.log_density))
            u = np.linalg.norm(v)
            mach = u / np.interp(h, atm.altitude_m, atm.speed_of_sound_m_s)
            cd = np.interp(mach, aero.mach, aero.cd_continuum)
            acc = acc - 0.5 * rho * u * cd * area_over_mass * v
        return np.concatenate([v, acc])

    def ground(t, y):
        return altitude(y[:3]) - GROUND_M

    ground.terminal = True
    for r0, v0 in zip(positions, velocities, strict=True):
        solve_ivp(
            rhs,
            (0.0, 3000.0),
            np.concatenate([r0, v0]),
            method="DOP853",
            rtol=FOOTPRINT_RTOL,
            atol=1e-3,
            events=ground,
        )


def run_footprint(n: int, seed: int):
    """The dispersed footprint of ``n`` capsules (interface states drawn here too)."""
    states = interface_states(INTERFACE, n, np.random.default_rng(seed))
    return footprint(
        CAPSULE,
        interface_states(INTERFACE),
        states,
        entry_atmosphere("us76"),
        np.random.default_rng(seed + 1),
        winds=EARTH_WIND_DISPERSION,
        ground_altitude_m=GROUND_M,
    )


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    run_footprint(16, 0)  # compile (or load the cache) outside the timing
    tracemalloc.start()
    start = time.perf_counter()
    fp = run_footprint(n, 2033)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    flight = fp.entries.flight
    print(
        f"footprint of {n} entries: {seconds:.1f} s ({n / seconds:.0f} trajectories/s), "
        f"peak allocated {peak / 2**20:.0f} MiB, process peak RSS {rss:.0f} MiB"
    )
    print(
        f"  landed {np.count_nonzero(flight.status == 0)}, median steps "
        f"{np.median(flight.steps):.0f}; 99 % ellipse {fp.ellipse.semi_major_m / 1e3:.1f} x "
        f"{fp.ellipse.semi_minor_m / 1e3:.2f} km; peak g median "
        f"{np.median(flight.peak_deceleration_g):.1f}, 99th pct "
        f"{np.percentile(flight.peak_deceleration_g, 99):.1f}"
    )
    r, v = interface_states(INTERFACE, SCIPY_SAMPLE, np.random.default_rng(1))
    start = time.perf_counter()
    scipy_one_by_one(r, v)
    per_trajectory = (time.perf_counter() - start) / SCIPY_SAMPLE
    print(
        f"solve_ivp one by one: {per_trajectory * 1e3:.0f} ms per trajectory "
        f"({SCIPY_SAMPLE} flown), {per_trajectory * n:.0f} s for {n} extrapolated; "
        f"msrsim is {per_trajectory * n / seconds:.0f}x faster"
    )


if __name__ == "__main__":
    main()
