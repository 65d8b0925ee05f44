"""Shared test settings: astropy never reaches for the network; property tests are
reproducible (hypothesis draws the same examples on every run; failures found while
developing are kept as explicit @example cases); the campaign's cache of leg results
lives in a fresh directory for each test session, so no test reads a stale cache (one
directory for all the workers of a pytest-xdist session, named by its run id, so that a
leg flown by one worker is read by the others: the cache's writes are atomic); BLAS
runs on one thread (set before numpy loads): the optimisers' small dense problems (SLSQP
in the Sims-Flanagan cruises) run several times faster so, and their iterates no longer
depend on the thread count. The fuzz suite's counts go in the terminal summary.

The order (:func:`pytest_collection_modifyitems`): the test that flies the baseline's
schedule and legs afresh (it must, to record what each reads) runs first, so that its
flight fills the session's cache and every later test of the baseline reads it instead of
flying the baseline a second time; the kernels' and segments' tests (tests/core,
tests/segments: they fly no campaign) come next, so that under ``make test``'s workers
(pytest-xdist, ``--dist loadscope``) the other worker has their work while the first
flies the baseline, rather than wait for its entries (:func:`msrsim.campaign.cache.
entry_lock`). The report tests, which open headless Chromium, share one worker
(:func:`pytest_xdist_make_scheduler`): one browser at a time."""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import tempfile  # noqa: E402

import pytest  # noqa: E402
from astropy.utils import iers  # noqa: E402
from hypothesis import settings  # noqa: E402

iers.conf.auto_download = False
settings.register_profile("msrsim", derandomize=True)
settings.load_profile("msrsim")


def _session_cache_dir() -> str:
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # set in each xdist worker
    if not run_id:
        return tempfile.mkdtemp(prefix="msrsim-test-cache-")
    path = os.path.join(tempfile.gettempdir(), f"msrsim-test-cache-{run_id}")
    os.makedirs(path, exist_ok=True)
    return path


os.environ["MSRSIM_CACHE_DIR"] = _session_cache_dir()


FLIES_THE_BASELINE_AFRESH = (
    "tests/campaign/test_leg_cache.py::test_each_leg_reads_only_its_declared_inputs"
)
FLY_NO_CAMPAIGN = ("tests/core/", "tests/segments/")


def pytest_collection_modifyitems(config, items):
    """The baseline's recorded flight first, then the tests that fly no campaign, then the
    rest, each group in its collected order (module docstring)."""

    def rank(item) -> int:
        if item.nodeid == FLIES_THE_BASELINE_AFRESH:
            return 0
        if item.nodeid.startswith(FLIES_THE_BASELINE_AFRESH.split("::")[0]):
            return 1  # its module stays together (one scope for --dist loadscope)
        return 2 if item.nodeid.startswith(FLY_NO_CAMPAIGN) else 3

    items.sort(key=rank)  # stable


ONE_WORKER = ("tests/report/",)
"""Test directories whose modules run on one worker under ``--dist loadscope``: the report
tests open headless Chromium, one browser at a time."""


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadscope`` with the modules of each :data:`ONE_WORKER` directory as one
    scope (one worker, one after the other); any other mode as pytest-xdist has it."""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            for directory in ONE_WORKER:
                if nodeid.startswith(directory):
                    return directory
            return super()._split_scope(nodeid)

    return Scheduling(config, log)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The fuzz suite's counts (tests/test_fuzz.py) in the summary of every run that ran
    it, so that CI's log shows them: cases, clean exit-0 results, clean exit-2 errors,
    tracebacks (the contract wants 0), per target."""
    report = getattr(config, "msrsim_fuzz_report", None)
    if not report:
        return
    totals = report["totals"]
    terminalreporter.section("fuzz (issue 22 contract)")
    terminalreporter.write_line(
        f"{totals['cases']} cases: {totals['ok']} exit 0 (finite output), "
        f"{totals['clean errors']} exit 2 (one line naming the field or option), "
        f"{totals['tracebacks']} tracebacks; {report['seconds']} s"
    )
    for target, counts in report["by target"].items():
        terminalreporter.write_line(
            f"  {target:<14} {counts['cases']:>5} cases {counts['ok']:>5} ok "
            f"{counts['clean errors']:>5} clean errors {counts['tracebacks']:>3} tracebacks"
        )
