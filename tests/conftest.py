"""Shared test settings: astropy never reaches for the network; property tests are
reproducible (hypothesis draws the same examples on every run; failures found while
developing are kept as explicit @example cases); the campaign's cache of leg results
lives in a fresh directory for each test session, so no test reads a stale cache."""

import os
import tempfile

from astropy.utils import iers
from hypothesis import settings

iers.conf.auto_download = False
settings.register_profile("msrsim", derandomize=True)
settings.load_profile("msrsim")

os.environ["MSRSIM_CACHE_DIR"] = tempfile.mkdtemp(prefix="msrsim-test-cache-")
