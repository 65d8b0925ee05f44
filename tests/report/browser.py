"""Opening msrsim's HTML pages in headless Chromium, offline (the report tests)."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pytest

PLOTS_DRAWN = (
    "() => [...document.querySelectorAll('.plotly-graph-div')]"
    ".every(g => g.classList.contains('js-plotly-plot') && g._fullLayout)"
)
"""Every plotly figure of the page drawn (the JavaScript the tests wait for)."""

TITLE_GEOMETRY = """() => [...document.querySelectorAll('.plotly-graph-div')].map(g => {
    const box = g.getBoundingClientRect();
    const title = g.querySelector('.gtitle');
    const bar = g.querySelector('.modebar');
    const t = title ? title.getBoundingClientRect() : null;
    const m = bar ? bar.getBoundingClientRect() : null;
    const overlap = (a, b) => a && b && a.left < b.right && b.left < a.right
        && a.top < b.bottom && b.top < a.bottom;
    return {
        id: g.id,
        text: title ? title.textContent : '',
        inside: !!t && t.left >= box.left && t.right <= box.right && t.top >= box.top
            && t.bottom <= box.bottom,
        under_toolbar: overlap(t, m),
    };
})"""
"""Each plot's title: its text, whether it lies whole inside the figure, and whether it
overlaps plotly's toolbar (the mode bar, shown on hover at the figure's top right)."""


def assert_titles_clear(titles: list[dict]) -> None:
    """Every title (:data:`TITLE_GEOMETRY`) whole inside its figure, clear of the toolbar."""
    for t in titles:
        assert t["text"], t
        assert t["inside"], f"title cut off by its figure's edge: {t}"
        assert not t["under_toolbar"], f"title under the toolbar: {t}"


@contextlib.contextmanager
def offline_page(chromium: str, path):
    """The HTML file ``path`` loaded in headless Chromium with every plot drawn, any
    request but the file itself (and data: URLs) refused. Yields ``page`` with the
    ``requests`` made and the ``errors`` seen (page errors, console errors and warnings)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency")
    url = path.resolve().as_uri()
    seen = SimpleNamespace(url=url, requests=[], errors=[], page=None)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = seen.page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: seen.requests.append(r.url))
            page.on("pageerror", lambda exc: seen.errors.append(f"page error: {exc}"))
            page.on(
                "console",
                lambda m: (
                    seen.errors.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning")
                    else None
                ),
            )

            def only_the_document(route):
                if route.request.url == url or route.request.url.startswith("data:"):
                    route.continue_()
                else:
                    route.abort()

            page.route("**/*", only_the_document)
            page.goto(url, wait_until="load")
            page.wait_for_function(PLOTS_DRAWN, timeout=60_000)
            yield seen
        finally:
            browser.close()
