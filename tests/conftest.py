"""Shared test settings: astropy never reaches for the network; property tests are
reproducible (hypothesis draws the same examples on every run; failures found while
developing are kept as explicit @example cases); the campaign's cache of leg results
lives in a fresh directory for each test session, so no test reads a stale cache; BLAS
runs on one thread (set before numpy loads): the optimisers' small dense problems (SLSQP
in the Sims-Flanagan cruises) run several times faster so, and their iterates no longer
depend on the thread count."""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import tempfile  # noqa: E402

from astropy.utils import iers  # noqa: E402
from hypothesis import settings  # noqa: E402

iers.conf.auto_download = False
settings.register_profile("msrsim", derandomize=True)
settings.load_profile("msrsim")

os.environ["MSRSIM_CACHE_DIR"] = tempfile.mkdtemp(prefix="msrsim-test-cache-")
