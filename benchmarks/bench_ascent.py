"""Mars ascent Monte Carlo: 10,000 dispersed MAV ascents, time and memory, and solve_ivp.

Run ``python benchmarks/bench_ascent.py [N]``. Designs the baseline ascent (optimised
steering), then draws and flies N (default 10,000) dispersed ascents from the toss to
the Orbiting Sample's release with :func:`msrsim.segments.ascent.simulate_ascent` (the
numba RK4 kernel, one trajectory per thread on both cores; per-trial motors, masses,
density and wind profiles, pointing errors), and a sample of the same trials one at a
time with scipy's ``solve_ivp`` (DOP853, rtol 1e-9, a plain numpy right-hand side of the
same equations, each phase integrated separately). Prints the times, the ratio, the
peak memory and the orbit spread. Issue 7 asks for the figures on this 2-core machine.
"""

import dataclasses
import math
import resource
import sys
import time
import tracemalloc

import numpy as np
from record import report
from scipy.integrate import solve_ivp

from msrsim.campaign.ascent import (
    ascent_dispersions,
    ascent_vehicle,
    base_plan,
    launch_epoch,
    launch_site,
    pitch_limits,
)
from msrsim.core.atmosphere.mars import mars_gram_mean_profile
from msrsim.scenario import baseline
from msrsim.segments.ascent import (
    MARS_ASCENT_PLANET,
    AscentAtmosphere,
    ascent_generators,
    burnt_mass,
    draw_trials,
    release_orbits,
    simulate_ascent,
)
from msrsim.segments.ascent_guidance import AscentTarget, design_ascent

SCIPY_SAMPLE = 10
DEG = math.pi / 180.0


def scipy_one_by_one(vehicle, plan, site, trials, atmosphere, count):
    """The first ``count`` trials, one solve_ivp per phase per trial."""
    gm, j2, rj2, a_eq, flat, w = MARS_ASCENT_PLANET
    frame = site.launch_frame(plan.launch_azimuth_rad)
    up, horizontal, cross = frame
    h_grid, sound, rt = (
        atmosphere.altitude_m,
        atmosphere.speed_of_sound_m_s,
        atmosphere.gas_constant_temperature,
    )
    area = vehicle.reference_area_m2
    for k in range(count):
        log_rho = atmosphere.log_density[k]
        wind_e, wind_n = atmosphere.wind_east_m_s[k], atmosphere.wind_north_m_s[k]
        s1 = dataclasses.replace(
            vehicle.srm1,
            vacuum_specific_impulse_s=vehicle.srm1.vacuum_specific_impulse_s
            * trials.srm1_isp_scale[k],
        )
        load = plan.srm2_load_fraction
        s2 = dataclasses.replace(
            vehicle.srm2,
            propellant_mass_kg=vehicle.srm2.propellant_mass_kg * load,
            vacuum_specific_impulse_s=vehicle.srm2.vacuum_specific_impulse_s
            * trials.srm2_isp_scale[k],
        )
        tb1 = float(s1.burn_time_at(trials.srm1_temperature_c[k])) * trials.srm1_burn_time_scale[k]
        tb2 = (
            float(vehicle.srm2.burn_time_at(trials.srm2_temperature_c[k]))
            * trials.srm2_burn_time_scale[k]
            * load
        )
        dry1 = (s1.inert_mass_kg + vehicle.stage1_structure_kg) * trials.mass_scale[k]
        dry2 = (s2.inert_mass_kg + vehicle.stage2_structure_kg) * trials.mass_scale[k]
        m0 = vehicle.payload_kg + dry2 + s2.propellant_mass_kg + dry1 + s1.propellant_mass_kg
        m_coast = m0 - s1.propellant_mass_kg - dry1
        cd_scale = trials.cd_scale[k]

        def rhs(
            t,
            y,
            motor,
            tb,
            m_start,
            direction,
            log_rho=log_rho,
            wind_e=wind_e,
            wind_n=wind_n,
            cd_scale=cd_scale,
        ):
            r, v = y[:3], y[3:6]
            rn = np.linalg.norm(r)
            zr2 = (r[2] / rn) ** 2
            c = 1.5 * j2 * rj2**2 / rn**2
            acc = -gm / rn**3 * r * np.array([1 + c * (1 - 5 * zr2)] * 2 + [1 + c * (3 - 5 * zr2)])
            s_lat = r[2] / rn
            alt = rn - a_eq * (1 - flat) / math.sqrt(1 - flat * (2 - flat) * (1 - s_lat**2))
            rho = p_amb = 0.0
            if alt < h_grid[-1]:
                rho = math.exp(np.interp(alt, h_grid, log_rho))
                p_amb = rho * np.interp(alt, h_grid, rt)
            mass = m_start
            if motor is not None:
                mass = m_start - float(burnt_mass(motor, t, tb))
                acc = acc + float(motor.thrust(t, p_amb, burn_time_s=tb)) / mass * direction(t)
            if rho > 0.0:
                rxy = math.hypot(r[0], r[1])
                east = np.array([-r[1], r[0], 0.0]) / rxy
                north = np.array([-s_lat * r[0] / rxy, -s_lat * r[1] / rxy, rxy / rn])
                u = (
                    v
                    - np.array([-w * r[1], w * r[0], 0.0])
                    - np.interp(alt, h_grid, wind_e) * east
                    - np.interp(alt, h_grid, wind_n) * north
                )
                un = np.linalg.norm(u)
                cd = np.interp(un / np.interp(alt, h_grid, sound), vehicle.cd_mach, vehicle.cd)
                acc = acc - 0.5 * rho * un * cd * cd_scale * area / mass * u
            return np.concatenate([v, acc])

        def programme(t, kk=k):
            t1 = plan.vertical_rise_s + plan.pitch_over_s
            if t < plan.vertical_rise_s:
                e = up
            elif t < t1:
                th = plan.pitch_kick_rad * (t - plan.vertical_rise_s) / plan.pitch_over_s
                e = math.cos(th) * up + math.sin(th) * horizontal
            else:
                tan_a = 1.0 / math.tan(plan.pitch_kick_rad)
                frac = (t - t1) / (vehicle.srm1.burn_time_s - t1)
                el = math.atan(tan_a + (math.tan(plan.burnout_elevation_rad) - tan_a) * frac)
                e = math.sin(el) * up + math.cos(el) * horizontal
            e1, e2 = trials.srm1_pointing_rad[kk]
            e = e + e1 * cross
            e = e + e2 * np.cross(cross, e)
            return e / np.linalg.norm(e)

        def run(y, duration, *args):
            return solve_ivp(
                rhs, (0.0, duration), y, method="DOP853", rtol=1e-9, atol=1e-6, args=args
            ).y[:, -1]

        r0 = site.position_m()
        y = np.concatenate([r0, np.cross([0, 0, w], r0) + trials.toss_speed_m_s[k] * up])
        y = run(y, plan.toss_to_ignition_s, None, 1.0, m0, None)
        y = run(y, tb1, s1, tb1, m0, programme)
        y = run(y, plan.coast_s, None, 1.0, m_coast, None)
        rn = y[:3] / np.linalg.norm(y[:3])
        nn = np.cross(y[:3], y[3:])
        nn /= np.linalg.norm(nn)
        cp, sp = math.cos(plan.srm2_pitch_rad), math.sin(plan.srm2_pitch_rad)
        cy, sy = math.cos(plan.srm2_yaw_rad), math.sin(plan.srm2_yaw_rad)
        e2 = cp * cy * np.cross(nn, rn) + cp * sy * nn + sp * rn
        a_axis = nn - (nn @ e2) * e2
        a_axis /= np.linalg.norm(a_axis)
        p1, p2 = trials.srm2_pointing_rad[k]
        e2 = e2 + p1 * a_axis + p2 * np.cross(e2, a_axis)
        e2 /= np.linalg.norm(e2)
        y = run(y, tb2, s2, tb2, m_coast, lambda t, e=e2: e)
        run(y, plan.release_delay_s, None, 1.0, m_coast - s2.propellant_mass_kg, None)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    s = baseline()
    site = launch_site(s, launch_epoch(s))
    vehicle = ascent_vehicle(s)
    profile = mars_gram_mean_profile(1000.0)
    target = AscentTarget(500e3, s.mav.target_orbit_inclination_deg * DEG)
    start = time.perf_counter()
    design = design_ascent(
        vehicle, site, AscentAtmosphere.from_table(profile), target, base_plan(s), pitch_limits(s)
    )
    design_s = time.perf_counter() - start
    plan, disp = design.plan, ascent_dispersions(s)
    simulate_ascent(vehicle, plan, site, profile, disp, 64, np.random.SeedSequence(1))  # warm
    tracemalloc.start()
    start = time.perf_counter()
    mc = simulate_ascent(vehicle, plan, site, profile, disp, n, np.random.SeedSequence(2031))
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    orbits = release_orbits(mc.result, site.et + float(design.nominal.release_time_s[0]))
    flown = orbits.flown
    print(
        f"ascent design (SLSQP, {design.evaluations} nominal flights): {design_s:.1f} s; "
        f"margin {design.margin_propellant_kg:.1f} kg of SRM2 propellant"
    )
    print(
        f"ascent Monte Carlo of {n} ascents (drawn and flown): {seconds:.2f} s "
        f"({n / seconds:.0f} per second), peak allocated {peak / 2**20:.0f} MiB, "
        f"process peak RSS {rss:.0f} MiB"
    )
    stable = np.mean(orbits.periapsis_altitude_m[flown] >= s.mav.min_perigee_altitude_km * 1e3)
    print(
        f"  flown {flown.sum()}, P(perigee >= {s.mav.min_perigee_altitude_km:g} km) "
        f"{stable:.3f}, "
        f"sigma a {np.std(orbits.elements_mme['semi_major_axis_m'][flown]) / 1e3:.1f} km, "
        f"sigma i {np.degrees(np.std(orbits.elements_mme['inclination_rad'][flown])):.3f} deg"
    )
    trials, atmosphere = draw_trials(
        disp, plan, profile, ascent_generators(np.random.SeedSequence(2031)), SCIPY_SAMPLE
    )
    start = time.perf_counter()
    scipy_one_by_one(vehicle, plan, site, trials, atmosphere, SCIPY_SAMPLE)
    per = (time.perf_counter() - start) / SCIPY_SAMPLE
    print(
        f"solve_ivp DOP853 one by one: {per * 1e3:.0f} ms per ascent ({SCIPY_SAMPLE} flown), "
        f"{per * n:.0f} s for {n} extrapolated; msrsim is {per * n / seconds:.0f}x faster"
    )
    report(
        "ascent",
        {
            "ascents": n,
            "ascents_per_s": round(n / seconds),
            "peak_allocated_mib": round(peak / 2**20),
            "peak_rss_mib": round(rss),
            "msrsim_over_solve_ivp_speed": round(per * n / seconds),
        },
    )


if __name__ == "__main__":
    main()
