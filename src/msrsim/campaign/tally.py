"""The campaign Monte Carlo digested chunk by chunk: a state whose size does not grow with
the trial count.

:class:`CampaignTally` takes each finished chunk of the coupled trials
(:func:`msrsim.campaign.chain.fly_chunk`'s columns) as it comes back, keeps only counts,
and gives the run's summary (:meth:`CampaignTally.summary`, the keys of
:func:`msrsim.campaign.runner.monte_carlo_summary`) and its one-at-a-time risk drivers
(:meth:`CampaignTally.drivers`, those of :func:`msrsim.campaign.runner.risk_drivers`)
without the trial table ever being held: ``msrsim run`` at 10^8 trials keeps the same
few hundred kilobytes as at 10^3.

Everything it holds is an integer count, so the result is the same whatever the chunking,
the number of workers or the order in which chunks finish (integer sums are exact and
commutative). Probabilities, failure causes, the tubes (expected number with its interval,
"at least N", each tube, the selected set), the landing years and the drivers are exact:
the same numbers as the whole table gives. Percentiles of a continuous quantity come from
a fixed-bin histogram (:class:`BinnedCounts`): numpy's linear-interpolation percentile
(Hyndman and Fan, Am. Stat. 50(4):361-365, 1996, definition 7) evaluated on the bin
centres of the order statistics, so the estimate is within half a bin of the exact
percentile of the same trials: 0.005 day for the capture margin, 0.005 km for the landing
miss, 5 minutes for the dates (:data:`RESOLUTION`), below the digits the summary prints.
The tubes use bins of one: exact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from msrsim.campaign.chain import (
    RELAY_ORDER,
    CoupledPlan,
    Failure,
    hardware_uniforms,
    outcome,
    tube_bits,
)
from msrsim.campaign.summaries import spread
from msrsim.core.bodies import DAY_S

__all__ = [
    "RESOLUTION",
    "BinnedCounts",
    "CampaignTally",
    "TrialHistograms",
    "hardware_draws",
    "wilson_interval",
]

RESOLUTION = {
    "capture_margin_days": 0.01,
    "landing_miss_km": 0.01,
    "earth_landing_et": 600.0,
    "mav_launch_et": 600.0,
}
"""Bin width of each continuous quantity's histogram, in its own unit (days, km, s): a
percentile is within half of it of the exact one."""

MAX_BINS = 1 << 21
"""Bins a histogram may span (16 MiB of counts); a wider span doubles the bin width until
it fits, so memory stays bounded whatever the values (the width is then reported)."""

_AT_LEAST = (1, 5, 10, 15, 20, 25, 30)


class BinnedCounts:
    """Counts of values in bins of a fixed width, over the span the values occupy.

    Bin ``i`` holds ``[i w, (i + 1) w)``; with ``integer=True`` (integer values, ``w = 1``)
    bin ``i`` holds the value ``i`` and every statistic is exact. Each value's base bin is
    computed once (``floor(x / w)``); when the span passes :data:`MAX_BINS` the width
    doubles (bin ``i`` at width ``2^k w`` is base bin ``i >> k``), so the counts, and the
    final width, do not depend on the order in which values arrive. Non-finite values are
    not counted.
    """

    def __init__(self, width: float = 1.0, *, integer: bool = False):
        if integer and width != 1.0:
            raise ValueError(f"width = {width}: an integer histogram has bins of 1")
        self.base_width = float(width)
        self.integer = integer
        self.shift = 0
        self.first = 0  # the bin of counts[0]
        self.counts = np.zeros(0, np.int64)

    @property
    def width(self) -> float:
        return self.base_width * (1 << self.shift)

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def nbytes(self) -> int:
        return self.counts.nbytes

    def add(self, values) -> None:
        values = np.asarray(values, np.float64).ravel()
        values = values[np.isfinite(values)]
        if values.size == 0:
            return
        base = np.floor(values / self.base_width).astype(np.int64)
        lo, hi = int(base.min()), int(base.max())
        if self.counts.size:  # the span of what is held, in base bins
            lo = min(lo, self.first << self.shift)
            hi = max(hi, ((self.first + self.counts.size) << self.shift) - 1)
        while (hi >> self.shift) - (lo >> self.shift) + 1 > MAX_BINS:
            self._coarsen()
        index = base >> self.shift
        first = lo >> self.shift
        size = (hi >> self.shift) - first + 1
        if self.counts.size == 0:
            self.first, self.counts = first, np.zeros(size, np.int64)
        elif first != self.first or size != self.counts.size:
            grown = np.zeros(size, np.int64)
            at = self.first - first
            grown[at : at + self.counts.size] = self.counts
            self.first, self.counts = first, grown
        low = int(index.min())
        found = np.bincount(index - low)
        self.counts[low - self.first : low - self.first + found.size] += found

    def _coarsen(self) -> None:
        """Double the width: pairs of bins merged (bin ``i`` goes to ``i >> 1``)."""
        if self.counts.size:
            last = self.first + self.counts.size - 1
            first, size = self.first >> 1, (last >> 1) - (self.first >> 1) + 1
            merged = np.zeros(size, np.int64)
            np.add.at(merged, (np.arange(self.first, last + 1) >> 1) - first, self.counts)
            self.first, self.counts = first, merged
        self.shift += 1

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """The occupied bins' representative values and their counts."""
        occupied = np.flatnonzero(self.counts)
        index = (self.first + occupied).astype(np.float64)
        if self.integer and self.shift == 0:
            return index, self.counts[occupied]
        return (index + 0.5) * self.width, self.counts[occupied]

    def percentiles(self, qs) -> np.ndarray | None:
        """numpy's default (linear) percentiles ``qs`` (in %) of the counted values, on
        the bins' representative values; ``None`` when nothing was counted."""
        values, counts = self.centres()
        n = int(counts.sum())
        if n == 0:
            return None
        cumulative = np.cumsum(counts)
        rank = (n - 1) * np.asarray(qs, np.float64) / 100.0
        below = np.floor(rank).astype(np.int64)
        above = np.minimum(below + 1, n - 1)
        low = values[np.searchsorted(cumulative, below, side="right")]
        high = values[np.searchsorted(cumulative, above, side="right")]
        return low + (rank - below) * (high - low)

    def count_at_least(self, threshold: float) -> int:
        """How many counted values are at least ``threshold`` (exact for integers)."""
        values, counts = self.centres()
        return int(counts[values >= threshold].sum())


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (Wilson 1927; Brown, Cai and DasGupta,
    Statist. Sci. 16(2):101-133, 2001, recommend it over the Wald interval): 95 % by
    default."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def hardware_draws(columns: Mapping[str, np.ndarray], seed: int, start: int = 0) -> dict:
    """The hardware uniforms of each trial in ``columns``, by its trial number (the
    ``trial`` column, else ``start, start + 1, ...``; chunks are contiguous runs)."""
    n = len(columns["success"])
    trials = np.asarray(columns["trial"]) if "trial" in columns else np.arange(start, start + n)
    hardware = {k: np.empty(n) for k in hardware_uniforms(seed, 0, 1)}
    breaks = np.flatnonzero(np.diff(trials) != 1) + 1
    for run in np.split(np.arange(n), breaks):
        if run.size:
            draws = hardware_uniforms(seed, int(trials[run[0]]), run.size)
            for k, v in draws.items():
                hardware[k][run] = v
    return hardware


class TrialHistograms:
    """The trial table's distributions, chunk by chunk, without a plan: the outcome of
    every trial and the binned counts of the quantities the report draws (each an
    :class:`BinnedCounts` of :data:`RESOLUTION`'s width, the integers exact).

    ``binned``: ``capture_margin_days``, ``landing_miss_km``, ``earth_landing_et`` and
    ``mav_launch_et`` (every trial with a value), ``tubes_returned_if_success``,
    ``capture_attempts`` and ``helicopter_flights`` (those of the columns a chunk has).
    """

    INTEGER = ("tubes_returned_if_success", "capture_attempts", "helicopter_flights")

    def __init__(self) -> None:
        self.trials = 0
        self.successes = 0
        self.outcome = np.zeros(len(Failure), np.int64)  # trials by Failure code
        self.binned = {name: BinnedCounts(width) for name, width in RESOLUTION.items()}
        self.binned.update({name: BinnedCounts(integer=True) for name in self.INTEGER})

    @property
    def nbytes(self) -> int:
        return self.outcome.nbytes + sum(h.nbytes for h in self.binned.values())

    def add(self, columns: Mapping[str, np.ndarray]) -> None:
        """Count one chunk of trials (any chunk, in any order)."""
        success = np.asarray(columns["success"], bool)
        self.trials += success.size
        self.successes += int(np.count_nonzero(success))
        self.outcome += np.bincount(np.asarray(columns["failure"], np.int64),
                                    minlength=len(Failure))  # fmt: skip
        capture = np.asarray(columns["capture_et"], np.float64)
        departure = np.asarray(columns["ero_departure_et"], np.float64)
        tubes = np.asarray(columns["tubes_returned"])[success]
        found = {
            "capture_margin_days": (departure - capture) / DAY_S,
            "landing_miss_km": columns["landing_miss_km"],
            "earth_landing_et": columns["earth_landing_et"],
            "mav_launch_et": columns["mav_launch_et"],
            "tubes_returned_if_success": tubes,
            **{name: columns[name] for name in self.INTEGER[1:] if name in columns},
        }
        for name, values in found.items():
            self.binned[name].add(values)


def _rates(columns, plan: CoupledPlan, probability, hardware) -> tuple[int, int]:
    """Successes and tubes returned in all when ``probability`` judges the trials."""
    failure = outcome(columns, hardware, probability, plan.ero_mars_arrival_et)
    success = failure == Failure.NONE
    tubes = np.where(success, np.asarray(columns["tubes_loaded"], np.int64), 0)
    return int(np.count_nonzero(success)), int(tubes.sum())


def _cases(plan: CoupledPlan) -> list[dict]:
    """The tornado's cases: the plan's probabilities, then each hardware probability
    halved and doubled in turn (the order :meth:`CampaignTally.drivers` reads them)."""
    p = plan.failure_probability
    return [p] + [
        {**p, name: scaled}
        for name, value in p.items()
        for scaled in (value / 2, min(1.0, 2 * value))
    ]


class CampaignTally:
    """The counts that make the summary and the risk drivers of a campaign Monte Carlo,
    fed one chunk at a time (:meth:`add`); see the module docstring."""

    def __init__(self, plan: CoupledPlan, *, drivers: bool = True):
        self.plan = plan
        self.with_drivers = drivers
        self.histograms = TrialHistograms()
        self.ended_codes = np.zeros(len(Failure), bool)  # physics ended some trial there
        self.tubes_sum = 0
        self.tubes_squares = 0
        self.tubes = BinnedCounts(integer=True)  # every trial (0 when it failed)
        self.bits = tube_bits(plan.tube_names)
        self.each_tube = np.zeros(len(plan.tube_names), np.int64)
        self.selected_bits = np.bitwise_or.reduce(
            np.array([b for name, b in zip(plan.tube_names, self.bits, strict=True)
                      if name in plan.priority_tubes] or [0], np.uint64)
        )  # fmt: skip
        self.selected = 0
        self.years: dict[int, int] = {}
        self._year_starts: dict[int, float] = {}
        self.late = 0
        self.outside_range = 0
        self.rover_failed = 0
        self.earth_landing_if_success = BinnedCounts(RESOLUTION["earth_landing_et"])
        n_cases = len(plan.failure_probability) * 2 + 1
        self.case_counts = np.zeros((n_cases, 2), np.int64)  # successes, tubes
        # per physical mode: trials it ended, trials past it, successes and tubes of those
        self.modes = np.zeros((len(Failure), 4), np.int64)

    @property
    def nbytes(self) -> int:
        """The size of the arrays it holds (it does not grow with the trial count)."""
        arrays = [self.ended_codes, self.each_tube, self.case_counts, self.modes]
        held = [self.histograms, self.tubes, self.earth_landing_if_success, *arrays]
        return sum(a.nbytes for a in held) + 64 * len(self.years)

    @property
    def n(self) -> int:
        return self.histograms.trials

    @property
    def successes(self) -> int:
        return self.histograms.successes

    def add(self, columns: Mapping[str, np.ndarray], start: int = 0) -> None:
        """Count one chunk: the columns of trials ``start, start + 1, ...`` (or those of
        its ``trial`` column)."""
        self.histograms.add(columns)
        success = np.asarray(columns["success"], bool)
        failure = np.asarray(columns["failure"], np.int64)
        self.ended_codes[np.unique(np.asarray(columns["ended"], np.int64))] = True
        tubes = np.asarray(columns["tubes_returned"], np.int64)
        self.tubes_sum += int(tubes.sum())
        self.tubes_squares += int((tubes * tubes).sum())
        self.tubes.add(tubes)
        returned = np.where(success, np.asarray(columns["tube_mask"], np.uint64), np.uint64(0))
        for i, bit in enumerate(self.bits):
            self.each_tube[i] += int(np.count_nonzero(returned & bit))
        self.selected += int(
            np.count_nonzero(success & ((returned & self.selected_bits) == self.selected_bits))
        )
        landing = np.asarray(columns["earth_landing_et"], np.float64)
        self._count_years(landing[success & np.isfinite(landing)])
        self.late += int(np.count_nonzero(success & np.asarray(columns["late_return"], bool)))
        self.outside_range += int(
            np.count_nonzero(np.asarray(columns["inside_range"])[success] == 0)
        )
        self.rover_failed += int(np.count_nonzero(columns["rover_failed"]))
        self.earth_landing_if_success.add(landing[success])
        if self.with_drivers:
            self._count_drivers(columns, failure, start)

    def _count_years(self, landing: np.ndarray) -> None:
        """Successful landings by UTC calendar year (exact: each year's first second)."""
        if landing.size == 0:
            return
        from msrsim.core.time import et_to_utc_datetime, utc_to_et

        first, last = (d.year for d in et_to_utc_datetime([landing.min(), landing.max()]))
        missing = [y for y in range(first, last + 2) if y not in self._year_starts]
        if missing:
            starts = utc_to_et([f"{y}-01-01T00:00:00" for y in missing])
            self._year_starts.update(zip(missing, starts.tolist(), strict=True))
        years = np.arange(first, last + 2)
        edges = np.array([self._year_starts[y] for y in years])
        counts = np.bincount(np.searchsorted(edges, landing, side="right") - 1, minlength=1)
        for year, count in zip(years, counts, strict=False):
            if count:
                self.years[int(year)] = self.years.get(int(year), 0) + int(count)

    def _count_drivers(self, columns, failure: np.ndarray, start: int) -> None:
        plan = self.plan
        hardware = hardware_draws(columns, plan.seed, start)
        for i, probability in enumerate(_cases(plan)):
            self.case_counts[i] += _rates(columns, plan, probability, hardware)
        order = {why: i for i, why in enumerate(RELAY_ORDER)}
        rank = np.full(len(Failure), -1)
        rank[[int(w) for w in order]] = list(order.values())
        ranks = rank[failure]
        tubes = np.where(failure == 0, np.asarray(columns["tubes_loaded"], np.int64), 0)
        for why in RELAY_ORDER:
            past = (failure == 0) | (ranks > order[why])
            self.modes[why] += (
                int(np.count_nonzero(failure == why)),
                int(np.count_nonzero(past)),
                int(np.count_nonzero(failure[past] == 0)),
                int(tubes[past].sum()),
            )

    # ----------------------------------------------------------------------------------
    # The digests
    # ----------------------------------------------------------------------------------

    def _spread(self, name: str, digits: int = 1) -> list | None:
        found = self.histograms.binned[name].percentiles([1, 50, 99])
        return None if found is None else [round(float(v), digits) for v in found]

    @staticmethod
    def _dates(counts: BinnedCounts) -> list[str] | None:
        from msrsim.core.time import et_to_utc_iso

        found = counts.percentiles([1, 50, 99])
        return None if found is None else [d[:10] for d in et_to_utc_iso(found)]

    def _tubes_interval(self, z: float = 1.959964) -> list[float]:
        """The mean tubes returned and its 95 % normal interval (independent trials); the
        variance from the exact integer sums."""
        n, total = self.n, self.tubes_sum
        mean = total / n
        half = 0.0
        if n > 1:
            variance = (n * self.tubes_squares - total * total) / (n * (n - 1))
            half = z * math.sqrt(max(variance, 0.0)) / math.sqrt(n)
        return [round(mean, 4), round(mean - half, 4), round(mean + half, 4)]

    def summary(self) -> dict:
        """The JSON-ready digest (:func:`msrsim.campaign.runner.monte_carlo_summary`)."""
        if self.n == 0:
            raise ValueError("no trial was counted")
        n, k, plan = self.n, self.successes, self.plan
        low, high = wilson_interval(k, n)
        causes = {
            Failure(code).name.lower(): round(int(count) / n, 6)
            for code, count in enumerate(self.histograms.outcome)
            if code != Failure.NONE and count
        }
        each = {
            name: round(int(count) / n, 4)
            for name, count in zip(plan.tube_names, self.each_tube, strict=True)
            if count
        }
        most = max(1, int(self.tubes.percentiles([100])[0]))
        at_least = {str(m): round(self.tubes.count_at_least(m) / n, 6)
                    for m in _AT_LEAST if m <= most}  # fmt: skip
        tubes_mean = self._tubes_interval()
        return {
            "trials": n,
            "probability_of_success": round(k / n, 6),
            "probability_of_success_ci_low": round(low, 6),
            "probability_of_success_ci_high": round(high, 6),
            "failure_causes": dict(sorted(causes.items(), key=lambda kv: -kv[1])),
            "expected_tubes_returned": tubes_mean[0],
            "expected_tubes_returned_ci_low": tubes_mean[1],
            "expected_tubes_returned_ci_high": tubes_mean[2],
            "probability_at_least_n_tubes": at_least,
            "probability_selected_set_returned": round(self.selected / n, 6),
            "selected_set": list(plan.priority_tubes),
            **spread("tubes_returned_if_success", self._spread("tubes_returned_if_success", 0)),
            "probability_each_tube_returns": dict(sorted(each.items(), key=lambda kv: -kv[1])),
            **spread("earth_landing_utc", self._dates(self.earth_landing_if_success)),
            "earth_landing_year": {str(y): round(c / n, 6) for y, c in sorted(self.years.items())},
            "probability_late_return": round(self.late / n, 6),
            "probability_outside_range_if_success": round(self.outside_range / k, 6) if k else 0.0,
            **spread("capture_margin_days", self._spread("capture_margin_days")),
            **spread("srl_landing_miss_km", self._spread("landing_miss_km")),
            **spread("mav_launch_utc", self._dates(self.histograms.binned["mav_launch_et"])),
            "probability_rover_failed": round(self.rover_failed / n, 6),
        }

    def drivers(self) -> dict:
        """The one-at-a-time risk drivers (:func:`msrsim.campaign.runner.risk_drivers`)."""
        if not self.with_drivers:
            raise ValueError("this tally was made without the drivers (drivers=False)")
        n = self.n
        rates = self.case_counts / n
        base = (float(rates[0, 0]), float(rates[0, 1]))
        rows = []
        cases = iter(rates[1:])
        for name in self.plan.failure_probability:
            halved, doubled = next(cases), next(cases)
            rows.append({
                "driver": f"{name} failure probability",
                "cases": {"x0.5": tuple(map(float, halved)), "x2": tuple(map(float, doubled))},
            })  # fmt: skip
        for code in np.flatnonzero(self.ended_codes):
            if code == 0:
                continue
            why = Failure(int(code))
            ended_here, past, past_successes, past_tubes = (int(v) for v in self.modes[why])
            if not past:
                continue
            share = ended_here / n
            removed = (base[0] + share * (past_successes / past),
                       base[1] + share * (past_tubes / past))  # fmt: skip
            label = f"no {why.name.lower().replace('_', ' ')} failures"
            rows.append({"driver": label, "cases": {"as modelled": base, "removed": removed}})
        for row in rows:
            (p0, t0), (p1, t1) = row["cases"].values()
            row["swing"] = round(abs(p1 - p0), 6)
            row["tubes_swing"] = round(abs(t1 - t0), 4)
            row["cases"] = {k: round(v[0], 6) for k, v in row["cases"].items()}
        rows.sort(key=lambda r: (-r["swing"], -r["tubes_swing"]))
        return {
            "probability_of_success": round(base[0], 6),
            "expected_tubes_returned": round(base[1], 4),
            "trials": n,
            "drivers": rows,
        }
