"""The report tests' browser: Debian's Chromium."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium (no browser download); the test skips, saying why, without it."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip(
            "no Chromium found (Debian: apt-get install chromium; .ci/run installs it), "
            "so the report is not opened in a browser"
        )
    return path
