"""Mars EDL Monte Carlo: 10,000 guided MSL-class landings, time and memory, and solve_ivp.

Run ``python benchmarks/bench_edl.py [N]``. Designs the entry guidance on the nominal MSL
entry, then flies N (default 10,000) dispersed entries (navigation and drag errors) from
the interface to touchdown with :func:`msrsim.segments.edl.fly_edl` (guided entry,
parachute, separations, powered descent; numba on both cores for the flight phases), and
the entry phase of a sample one trajectory at a time with scipy's ``solve_ivp`` (DOP853,
same rtol, plain numpy right-hand side, the bank held at its reference: solve_ivp has no
guidance loop, so this is the flight cost alone). Prints the times, the ratio and the
peak memory. Issue 5 asks for the figures on this 2-core machine.
"""

import math
import resource
import sys
import time
import tracemalloc

import numpy as np
from record import report
from scipy.integrate import solve_ivp

from msrsim.core.atmosphere.mars import mars_gram_mean_profile
from msrsim.core.bodies import MARS
from msrsim.core.flight import flight_table
from msrsim.segments.edl import (
    GALE_GROUND_ALTITUDE_M,
    MARS_FLIGHT,
    MSL_AEROSHELL,
    MSL_DESCENT,
    MSL_ENTRY,
    MSL_INTERFACE_RADIUS_M,
    MSL_PARACHUTE,
    GuidanceSettings,
    design_edl_guidance,
    fly_edl,
    inertial_entry_states,
)
from msrsim.segments.entry import landing_ellipse

SHELL, CHUTE, DESCENT = MSL_AEROSHELL, MSL_PARACHUTE, MSL_DESCENT
GROUND_M = GALE_GROUND_ALTITUDE_M
MSL = np.array(MSL_ENTRY)
BANK = math.radians(45.0)
SCIPY_SAMPLE = 10
ATMOSPHERE = flight_table(mars_gram_mean_profile(500.0))


def states(rows):
    return inertial_entry_states(rows, MSL_INTERFACE_RADIUS_M)


def guidance():
    r, v = states(MSL[None])
    return design_edl_guidance(
        SHELL,
        CHUTE,
        ATMOSPHERE,
        r,
        v,
        GuidanceSettings(BANK, 800.0, 1.96, 3.0, 1e-7),
        GROUND_M,
    )


def scipy_entry_one_by_one(r0, v0):
    """The entry phase (drag, lift at the reference bank, J2, rotating Mars) by solve_ivp."""
    p, aero = MARS_FLIGHT, SHELL.aerodynamics()
    omega = np.array([0.0, 0.0, p.spin_rad_s])
    a_over_m = SHELL.reference_area_m2 / SHELL.mass_kg

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
        h = r - p.equatorial_radius_m
        if h < ATMOSPHERE.altitude_m[-1]:
            rho = math.exp(np.interp(h, ATMOSPHERE.altitude_m, ATMOSPHERE.log_density))
            u = np.linalg.norm(v)
            mach = u / np.interp(h, ATMOSPHERE.altitude_m, ATMOSPHERE.speed_of_sound_m_s)
            drag = 0.5 * rho * u * u * np.interp(mach, aero.mach, aero.cd_continuum) * a_over_m
            up = r_vec / r - (r_vec / r @ (v / u)) * v / u
            up /= np.linalg.norm(up)
            acc += -drag * v / u + drag * SHELL.lift_to_drag * math.cos(BANK) * up
            acc += drag * SHELL.lift_to_drag * math.sin(BANK) * np.cross(v / u, up)
        return np.concatenate([v, acc])

    def trigger(t, y):
        return np.linalg.norm(y[3:]) - CHUTE.trigger_speed_m_s

    trigger.terminal = True
    for r, v in zip(r0, v0, strict=True):
        solve_ivp(
            rhs,
            (0.0, 2000.0),
            np.concatenate([r, v]),
            method="DOP853",
            rtol=1e-7,
            atol=1e-3,
            events=trigger,
        )


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    designed = guidance()
    rng = np.random.default_rng(2028)
    rows = MSL + rng.standard_normal((n, 5)) * [0.02, 0.02, 2.0, 0.05, 0.03]
    r, v = states(rows)
    cd_scale = 1.0 + 0.03 * rng.standard_normal(n)
    options = dict(guidance=designed, initial_bank_rad=BANK, ground_altitude_m=GROUND_M)
    fly_edl(SHELL, CHUTE, DESCENT, r[:16], v[:16], ATMOSPHERE, **options)  # compile / cache
    tracemalloc.start()
    start = time.perf_counter()
    flown = fly_edl(SHELL, CHUTE, DESCENT, r, v, ATMOSPHERE, cd_scale=cd_scale, **options)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ellipse = landing_ellipse(
        flown.landing_latitude_rad[flown.landed],
        flown.landing_longitude_rad[flown.landed],
        body=MARS,
    )
    print(
        f"EDL Monte Carlo of {n} landings: {seconds:.1f} s ({n / seconds:.0f} per second), "
        f"peak allocated {peak / 2**20:.0f} MiB, process peak RSS {rss:.0f} MiB"
    )
    print(
        f"  landed {flown.landed.sum()}, deploy in box {flown.deploy_in_box.mean():.2%}, "
        f"99 % ellipse {2 * ellipse.semi_major_m / 1e3:.1f} x "
        f"{2 * ellipse.semi_minor_m / 1e3:.1f} km, propellant median "
        f"{np.median(flown.propellant_kg):.0f} kg"
    )
    start = time.perf_counter()
    scipy_entry_one_by_one(r[:SCIPY_SAMPLE], v[:SCIPY_SAMPLE])
    per_entry = (time.perf_counter() - start) / SCIPY_SAMPLE
    print(
        f"solve_ivp, entry phase only, one by one: {per_entry * 1e3:.0f} ms per trajectory "
        f"({SCIPY_SAMPLE} flown), {per_entry * n:.0f} s for {n} extrapolated; msrsim's whole "
        f"EDL is {per_entry * n / seconds:.0f}x faster"
    )
    report(
        "edl",
        {
            "landings": n,
            "landings_per_s": round(n / seconds),
            "peak_allocated_mib": round(peak / 2**20),
            "peak_rss_mib": round(rss),
            "msrsim_over_solve_ivp_speed": round(per_entry * n / seconds),
        },
    )


if __name__ == "__main__":
    main()
