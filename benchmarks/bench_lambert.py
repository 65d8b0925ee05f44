"""Throughput of msrsim.core.lambert against lamberthub's izzo2015, on a porkchop grid.

Run ``python benchmarks/bench_lambert.py``. It builds an Earth -> Mars departure x arrival
grid (500 x 500 direct transfers), solves it with :func:`msrsim.core.lambert.solve_lambert`
and with lamberthub's ``izzo2015`` called in a numba ``@njit`` loop (one core, its default
tolerances), and prints compile times, solves per second, their ratio and the largest
relative difference between the two answers; then the time and peak memory of a
1000 x 1000 grid. Compile times are real ones: numba caches to a fresh temporary folder.
"""

import os
import tempfile

os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench_lambert_numba_")

import math  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
from lamberthub import izzo2015  # noqa: E402

from msrsim.core.lambert import STATUS_OK, solve_lambert, solve_lambert_grid  # noqa: E402

AU_M = 1.495978707e11
DAY_S = 86400.0
MU_SUN = 1.32712440018e20
EARTH_RADIUS_M, EARTH_PERIOD_S = 1.0 * AU_M, 365.256 * DAY_S
MARS_RADIUS_M, MARS_PERIOD_S = 1.523679 * AU_M, 686.980 * DAY_S
MARS_INCLINATION = math.radians(1.85)
MARS_LEAD = math.radians(44.0)  # Mars ahead of Earth at t = 0: a Hohmann-like window
REPEATS = 5


def circular_orbit(radius, period, inclination, phase, epochs):
    """Positions on a circular orbit whose node is the x axis, shape (len(epochs), 3)."""
    angle = phase + 2.0 * np.pi * epochs / period
    return np.stack(
        [
            radius * np.cos(angle),
            radius * np.sin(angle) * math.cos(inclination),
            radius * np.sin(angle) * math.sin(inclination),
        ],
        axis=1,
    )


def grid_problems(n_dep, n_arr):
    """Earth -> Mars Lambert problems on a departure x arrival grid, flattened.

    Departures every day-ish over 400 days, arrivals over 450-950 days (so every time of
    flight is positive), on circular orbits (Mars inclined 1.85 deg). Row ``i * n_arr + j``
    is departure ``i`` to arrival ``j``; this is the function to swap for the ephemeris.

    Returns
    -------
    r1, r2 : numpy.ndarray, shape (n_dep * n_arr, 3)
        Earth at departure and Mars at arrival (m).
    tof : numpy.ndarray, shape (n_dep * n_arr,)
        Times of flight (s).
    mu : float
        Gravitational parameter of the Sun (m^3/s^2).
    """
    departures = np.linspace(0.0, 400.0, n_dep) * DAY_S
    arrivals = np.linspace(450.0, 950.0, n_arr) * DAY_S
    earth = circular_orbit(EARTH_RADIUS_M, EARTH_PERIOD_S, 0.0, 0.0, departures)
    mars = circular_orbit(MARS_RADIUS_M, MARS_PERIOD_S, MARS_INCLINATION, MARS_LEAD, arrivals)
    r1 = np.repeat(earth, n_arr, axis=0)
    r2 = np.tile(mars, (n_dep, 1))
    tof = (arrivals[None, :] - departures[:, None]).ravel()
    return r1, r2, tof, MU_SUN


@numba.njit
def lamberthub_loop(r1, r2, tof, mu, v1, v2):
    """lamberthub's izzo2015 over the problems, serially, defaults but for M = 0."""
    for k in range(r1.shape[0]):
        first, second = izzo2015(mu, r1[k], r2[k], tof[k], 0, True, True, 35, 1e-5, 1e-7)
        for axis in range(3):
            v1[k, axis] = first[axis]
            v2[k, axis] = second[axis]


def best_time(function, repeats=REPEATS):
    """Shortest wall time of ``repeats`` calls, and the last result."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def max_relative_difference(ours, theirs):
    return float(np.max(np.linalg.norm(ours - theirs, axis=1) / np.linalg.norm(theirs, axis=1)))


def main():
    threads = numba.get_num_threads()
    print(f"numba {numba.__version__}, {threads} threads")
    r1, r2, tof, mu = grid_problems(500, 500)
    n = len(tof)
    their_v1, their_v2 = np.empty((n, 3)), np.empty((n, 3))

    # compile (cold cache), on a few problems
    compile_ours = timed(lambda: solve_lambert(r1[:8], r2[:8], tof[:8], mu))
    compile_ours += timed(lambda: solve_lambert_grid(r1[:2], r2[:2], tof[:4].reshape(2, 2), mu))
    compile_theirs = timed(lambda: lamberthub_loop(r1[:8], r2[:8], tof[:8], mu, their_v1, their_v2))
    print(f"compile: ours {compile_ours:.2f} s (both kernels), ", end="")
    print(f"lamberthub loop {compile_theirs:.2f} s")
    print(f"threading layer: {numba.threading_layer()}")

    # warm runs on the full 500 x 500 grid
    t_theirs, _ = best_time(lambda: lamberthub_loop(r1, r2, tof, mu, their_v1, their_v2))
    t_ours, sol = best_time(lambda: solve_lambert(r1, r2, tof, mu))
    numba.set_num_threads(1)
    t_ours_one, _ = best_time(lambda: solve_lambert(r1, r2, tof, mu))
    numba.set_num_threads(threads)
    r_dep, r_arr, tof_grid = r1[::500], r2[:500], tof.reshape(500, 500)
    t_grid, _ = best_time(lambda: solve_lambert_grid(r_dep, r_arr, tof_grid, mu))

    assert np.all(sol.status == STATUS_OK)
    diff = max(
        max_relative_difference(sol.v1[:, 0], their_v1),
        max_relative_difference(sol.v2[:, 0], their_v2),
    )
    print(f"\n500 x 500 grid, {n} direct transfers, best of {REPEATS}:")
    for label, seconds in (
        ("lamberthub izzo2015, @njit loop, 1 thread", t_theirs),
        (f"msrsim solve_lambert, {threads} threads", t_ours),
        ("msrsim solve_lambert, 1 thread", t_ours_one),
        (f"msrsim solve_lambert_grid, {threads} threads", t_grid),
    ):
        print(f"  {label:44s} {n / seconds / 1e6:6.2f} M solves/s")
    print(f"  ratio ours / lamberthub: {t_theirs / t_ours:.2f} ({threads} threads), ", end="")
    print(f"{t_theirs / t_ours_one:.2f} (1 thread)")
    print(f"  max relative difference in v1, v2: {diff:.2e}")

    print("\n1000 x 1000 grid:")
    r1, r2, tof, mu = grid_problems(1000, 1000)
    n = len(tof)
    r_dep, r_arr, tof_grid = r1[::1000], r2[:1000], tof.reshape(1000, 1000)
    for name, solve in (
        ("solve_lambert (flat)", lambda: solve_lambert(r1, r2, tof, mu)),
        ("solve_lambert_grid", lambda: solve_lambert_grid(r_dep, r_arr, tof_grid, mu)),
    ):
        seconds, _ = best_time(solve, repeats=3)
        tracemalloc.start()
        solve()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  {name:22s} {seconds:.3f} s ({n / seconds / 1e6:.2f} M solves/s), "
              f"peak allocated in the call {peak / 2**20:.1f} MiB")  # fmt: skip
    print(f"  (inputs, allocated before: flat r1, r2, tof "
          f"{(r1.nbytes + r2.nbytes + tof.nbytes) / 2**20:.0f} MiB; "
          f"grid {(r_dep.nbytes + r_arr.nbytes + tof_grid.nbytes) / 2**20:.0f} MiB)")  # fmt: skip
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"  process peak RSS {peak_rss:.0f} MiB (includes numba/LLVM and the 500 x 500 runs)")


if __name__ == "__main__":
    main()
