"""Throughput of msrsim.core.lambert against lamberthub's izzo2015, on a porkchop grid.

Run ``python benchmarks/bench_lambert.py`` (or ``make bench``). It builds the 2028
Earth -> Mars departure x arrival grid from DE421 (500 x 500 direct transfers), solves it
with :func:`msrsim.core.lambert.solve_lambert` and with lamberthub's ``izzo2015`` called in
a numba ``@njit`` loop (one core, its default tolerances), and prints compile times, solves
per second, their ratio and the largest relative difference between the two answers; then
the time and peak memory of a 1000 x 1000 grid, Lambert alone and as a whole porkchop
(ephemeris included). Compile times are real ones: numba caches to a fresh temporary
folder.
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
from record import report  # noqa: E402

from msrsim.core.bodies import SUN  # noqa: E402
from msrsim.core.ephemeris import get_ephemeris  # noqa: E402
from msrsim.core.frames import icrf_to_ecliptic_matrix  # noqa: E402
from msrsim.core.lambert import STATUS_OK, solve_lambert, solve_lambert_grid  # noqa: E402
from msrsim.segments.windows import opportunity, porkchop  # noqa: E402

REPEATS = 5
OPPORTUNITY = ("earth", "mars", 2028)


def grid_epochs(n_dep, n_arr):
    """Departure and arrival epochs spanning the 2028 Earth->Mars opportunity (DE421)."""
    op = opportunity(*OPPORTUNITY)
    departures = np.linspace(op.departure_et[0], op.departure_et[-1], n_dep)
    arrivals = np.linspace(op.arrival_et[0], op.arrival_et[-1], n_arr)
    return departures, arrivals


def grid_problems(n_dep, n_arr):
    """Earth -> Mars Lambert problems on the 2028 departure x arrival grid, flattened.

    Earth at departure and Mars at arrival from DE421, in the J2000 ecliptic (as
    :func:`msrsim.segments.windows.porkchop` solves them). Row ``i * n_arr + j`` is
    departure ``i`` to arrival ``j``; cells with arrival before departure are dropped from
    neither side (both solvers flag or raise on them, so the grid starts 90 days later).

    Returns
    -------
    r1, r2 : numpy.ndarray, shape (n_dep * n_arr, 3)
        Earth at departure and Mars at arrival (m).
    tof : numpy.ndarray, shape (n_dep * n_arr,)
        Times of flight (s).
    mu : float
        Gravitational parameter of the Sun (m^3/s^2).
    """
    departures, arrivals = grid_epochs(n_dep, n_arr)
    eph = get_ephemeris()
    to_ecliptic = icrf_to_ecliptic_matrix()
    earth = eph.position("earth", departures, "sun") @ to_ecliptic.T
    mars = eph.position("mars", arrivals, "sun") @ to_ecliptic.T
    r1 = np.repeat(earth, n_arr, axis=0)
    r2 = np.tile(mars, (n_dep, 1))
    tof = (arrivals[None, :] - departures[:, None]).ravel()
    return r1, r2, tof, SUN.gm.value


@numba.njit
def lamberthub_loop(r1, r2, tof, mu, v1, v2):
    """lamberthub's izzo2015 over the problems, serially, defaults but for M = 0."""
    for k in range(r1.shape[0]):
        try:
            first, second = izzo2015(mu, r1[k], r2[k], tof[k], 0, True, True, 35, 1e-5, 1e-7)
        except Exception:  # near-180-degree cells: lamberthub raises, msrsim flags a status
            first = second = np.full(3, np.nan)
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

    both = (sol.status[:, 0] == STATUS_OK) & np.isfinite(their_v1[:, 0])
    diff = max(
        max_relative_difference(sol.v1[both, 0], their_v1[both]),
        max_relative_difference(sol.v2[both, 0], their_v2[both]),
    )
    print(
        f"  cells solved: msrsim {np.count_nonzero(sol.status[:, 0] == STATUS_OK)}, "
        f"lamberthub {np.count_nonzero(np.isfinite(their_v1[:, 0]))}, both {both.sum()}"
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
    departures, arrivals = grid_epochs(1000, 1000)
    porkchop("earth", "mars", departures[:4], arrivals[:4])  # warm the caches
    tracemalloc.start()
    start = time.perf_counter()
    chop = porkchop("earth", "mars", departures, arrivals)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  full porkchop (DE421 states, Lambert, C3, DLA, RLA, v-inf, entry speed, types):"
          f" {seconds:.3f} s, peak allocated {peak / 2**20:.0f} MiB, "
          f"{np.count_nonzero(chop.status == STATUS_OK)} cells solved")  # fmt: skip
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"  process peak RSS {peak_rss:.0f} MiB (includes numba/LLVM and the 500 x 500 runs)")
    report(
        "lambert",
        {
            "peer": "lamberthub izzo2015 (@njit loop, 1 thread)",
            "msrsim_over_lamberthub_speed_1_thread": round(t_theirs / t_ours_one, 2),
            "msrsim_over_lamberthub_speed_all_threads": round(t_theirs / t_ours, 2),
            "solves_per_s_500x500": round(250_000 / t_ours),
            "max_relative_difference_v": float(f"{diff:.2e}"),
            "porkchop_1000x1000_s": round(seconds, 3),
            "peak_rss_mib": round(peak_rss),
        },
    )


if __name__ == "__main__":
    main()
