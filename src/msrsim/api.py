"""msrsim's public Python API: what ``msrsim run`` does, as functions and a result object.

>>> import msrsim
>>> scenario = msrsim.load_scenario()                # the built-in baseline
>>> variant = msrsim.load_scenario(overrides={"schedule.min_surface_sols": 150})
>>> run = msrsim.run_campaign(scenario, trials=2000, seed=7)
>>> run.summary["probability_of_success"]            # doctest: +SKIP
>>> run.trials.to_pandas().groupby("failure").size() # the trial table, one row a trial
>>> run.schedule                                     # computed dates beside published ones

The command line (:mod:`msrsim.cli`) parses options, calls these and prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CampaignRun", "load_scenario", "run_campaign"]


def load_scenario(path: str | Path | None = None, overrides: Mapping[str, Any] | None = None):
    """Read and validate a scenario TOML file, or a packaged scenario by name (the built-in
    baseline when ``None``), following its ``extends``.

    ``overrides`` changes values by their dotted keys, as ``--set`` does:
    ``{"schedule.min_surface_sols": 150}`` (a value, or a ``{value, source,
    representative}`` table); a value without a source is shown as ``user: overrides``.
    Raises :class:`msrsim.scenario.ScenarioError` with one line per problem.
    """
    from msrsim.scenario import load_scenario as load

    return load(path, overrides)


@dataclass(frozen=True)
class CampaignRun:
    """One campaign: its planned and nominal legs, its trials and their digest.

    ``legs`` (:class:`msrsim.campaign.CampaignResult`): the timeline, the constraint
    checks, each leg's own summary and the coupled plan. ``trials``: a ``pyarrow.Table``,
    one row per trial (``trial``, the legs' hand-off columns, ``failure``, ``success``,
    ``tubes_returned``; docs/outputs.md lists them), or ``None`` when the run kept no
    table (``collect=False``). ``summary``: P(success) and its
    interval, the failure causes, the tubes, the dates. ``drivers``: the risk drivers.
    """

    scenario: Any
    legs: Any
    trials: Any
    summary: dict
    drivers: dict | None
    wall_s: float
    fingerprint: str
    sobol: dict | None = None
    """The Sobol indices of P(success) and the tubes to the hardware failure probabilities
    (:func:`msrsim.campaign.runner.sobol_drivers`), when asked for."""
    histograms: Any = None
    """The trials' distributions (:class:`msrsim.campaign.tally.TrialHistograms`), counted
    chunk by chunk: what the report draws, with or without the trial table."""

    @property
    def schedule(self) -> list[dict]:
        """The timeline: each milestone's date (UTC), Ls, Mars Year and its basis."""
        return [m.__dict__ for m in self.legs.milestones]

    def to_dict(self) -> dict:
        """What ``msrsim run --json`` prints and ``summary.json`` holds."""
        data = self.legs.to_dict()
        data["monte_carlo"] = self.summary
        data["risk_drivers"] = self.drivers
        if self.sobol is not None:
            data["sobol_drivers"] = self.sobol
        return data


def run_campaign(
    scenario=None,
    *,
    trials: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    out_dir: str | Path | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    resume: bool = False,
    drivers: bool = True,
    sobol: bool = False,
    progress=None,
    use_cache: bool = True,
    collect: bool = True,
    legs_ready=None,
    prefetch: bool = False,
) -> CampaignRun:
    """Plan the campaign, fly its legs, and run ``trials`` coupled trials.

    ``scenario``: a :class:`~msrsim.scenario.Scenario`, a path, or ``None`` (the baseline).
    ``trials``, ``seed``, ``chunk_size`` default to the scenario's ``campaign.trials``,
    ``scenario.seed``, ``campaign.chunk_size``. With ``out_dir`` each chunk of trials is a
    Parquet file written as it finishes (``resume=True`` finishes a killed run);
    ``scheduler`` is a Dask address, ``"synchronous"``, or ``None`` (a local cluster when
    there are several chunks). ``progress(stage, done, total)`` is told of each step:
    ``stage`` is ``'legs: <the leg being flown>'`` (``done`` of ``total`` steps of the
    nominal relay, :func:`msrsim.campaign.nominal.fly_nominal`), then ``'trials'``.
    ``drivers``: the one-at-a-time risk drivers; ``sobol``: also the global (Sobol)
    sensitivity to the hardware failure probabilities.

    The summary and the drivers are counted chunk by chunk as the chunks finish
    (:class:`msrsim.campaign.tally.CampaignTally`): the same numbers whatever the
    chunking or the workers. ``collect=False`` keeps no trial table (``trials`` is then
    ``None``; with ``out_dir`` every row is on disk), so memory does not grow with the
    trial count; ``sobol`` needs the table (it is collected then).

    ``legs_ready(legs)``, if given, is called once with the campaign's nominal relay
    (:class:`msrsim.campaign.CampaignResult`: timeline, constraint checks, legs) as soon as
    its legs are flown (before the coupled plans are made, its ``plan`` None then) or read
    from the cache, before the trials run: what a caller can show first.
    ``prefetch=True`` flies the legs off the relay's critical path in a second process
    when the schedule is to be planned (:mod:`msrsim.campaign.prefetch`): the same results,
    sooner on two CPUs or more.
    """
    import dataclasses

    from msrsim.campaign.cache import scenario_fingerprint
    from msrsim.campaign.runner import campaign_legs, run_monte_carlo, sobol_drivers
    from msrsim.campaign.tally import CampaignTally

    if scenario is None or isinstance(scenario, str | Path):
        scenario = load_scenario(scenario)
    n = scenario.campaign.trials if trials is None else int(trials)
    size = scenario.campaign.chunk_size if chunk_size is None else int(chunk_size)

    def report(stage):
        return None if progress is None else (lambda done, total: progress(stage, done, total))

    shown = []  # whether legs_ready was called while the legs were flown

    def flown(result) -> None:
        shown.append(True)
        legs_ready(result)

    legs = campaign_legs(
        scenario,
        use_cache=use_cache,
        progress=None
        if progress is None
        else (lambda what, done, total: progress(f"legs: {what}", done, total)),
        flown=None if legs_ready is None else flown,
        prefetch=prefetch,
    )
    if legs_ready is not None and not shown:  # read from the cache
        legs_ready(legs)
    plan = legs.plan if seed is None else dataclasses.replace(legs.plan, seed=int(seed))
    fingerprint = scenario_fingerprint(scenario)
    tally = CampaignTally(plan, drivers=drivers)
    collect = collect or sobol
    result = run_monte_carlo(
        plan,
        n,
        chunk_size=size,
        out_dir=None if out_dir is None else Path(out_dir) / "trials",
        scheduler=scheduler,
        workers=workers,
        resume=resume,
        progress=report("trials"),
        fingerprint=fingerprint,
        collect=collect,
        on_chunk=tally.add,
    )
    table = result.table
    summary = tally.summary()
    summary["wall_s"] = round(result.wall_s, 2)
    found = None
    if sobol:
        columns = {n: table.column(n).to_numpy(zero_copy_only=False) for n in table.column_names}
        found = sobol_drivers(columns, plan)
    return CampaignRun(
        scenario,
        legs,
        table,
        summary,
        tally.drivers() if drivers else None,
        result.wall_s,
        fingerprint,
        found,
        tally.histograms,
    )
