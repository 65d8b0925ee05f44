"""The HTML mission report: ``msrsim run --out DIR`` writes it, ``msrsim report DIR``
rebuilds it from the saved files alone, and headless Chromium renders it offline with
every section and plot, no console error and no network request."""

from __future__ import annotations

import json
import re
import shutil
import time
from importlib import resources
from pathlib import Path

import pytest
from browser import TITLE_GEOMETRY, assert_titles_clear, offline_page
from typer.testing import CliRunner

from msrsim.cli import app
from msrsim.report.html import FIGURE_CAPTIONS, SECTIONS

TRIALS = 100
MISSING = 'class="missing"'


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A small run with its report. The legs' summaries are cached per test session
    (tests/conftest.py); the report's figures need their full results, which come from
    this process's last flight of the same scenario or from flying them again."""
    out = tmp_path_factory.mktemp("report") / "run"
    start = time.perf_counter()
    result = invoke("run", "--trials", str(TRIALS), "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    print(
        f"msrsim run --trials {TRIALS} --out with the report: {time.perf_counter() - start:.1f} s"
    )
    return out


def test_run_out_writes_the_report_beside_the_data(run_dir):
    assert (run_dir / "trials" / "_manifest.json").is_file()
    figures = sorted(p.stem for p in (run_dir / "figures").glob("*.png"))
    assert figures == sorted(FIGURE_CAPTIONS)  # every leg's figures, each with a caption
    data = json.loads((run_dir / "report_data.json").read_text())
    assert data["monte_carlo"]["trials"] == TRIALS
    assert len(data["edl"]["landing_latitude_deg"]) <= 3000
    assumptions = data["assumptions"]
    assert any(a["representative"] for a in assumptions)
    assert all(a["source"] for a in assumptions if a["representative"])
    assert not any(a["user"] for a in assumptions)  # the baseline cites every value
    page = (run_dir / "report.html").read_text()
    for key, _ in SECTIONS:
        assert f'id="section-{key}"' in page
    assert MISSING not in page
    # the baseline's parachute opens outside its qualification box in most EDL trials:
    # flagged at the top of the page and in the EDL section
    assert page.count('<p class="warn">Parachute outside its qualification box') == 2
    # each landing map's caption names its relief's source, datum and licence
    edl = page.split('id="section-edl"')[1].split("</section>")[0]
    assert "MGS MOLA PEDR laser altimetry" in edl and "MOLA areoid" in edl
    assert "public domain" in edl and "derive_jezero_relief.py" in edl
    # self-contained: no external script, style sheet, font or image
    lowered = page.lower()
    for fetch in ("<script src=", "<link ", "@import", "url(http", 'src="http'):
        assert fetch not in lowered, fetch
    assert lowered.count("<img ") == len(figures)
    inline = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,', page)
    assert len(inline) == len(figures)


def test_summary_json_follows_its_published_schema(run_dir):
    jsonschema = pytest.importorskip("jsonschema")
    schema_file = resources.files("msrsim.report") / "summary.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    summary = json.loads((run_dir / "summary.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(summary)
    # and the schema is not vacuous: a broken summary fails it
    broken = {**summary, "monte_carlo": {**summary["monte_carlo"], "probability_of_success": 1.5}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(broken)


def test_report_rebuilds_from_the_saved_files_alone(run_dir, tmp_path, monkeypatch):
    import msrsim.campaign.runner as runner

    def no_flight(*args, **kwargs):
        raise AssertionError("msrsim report must not fly the legs")

    monkeypatch.setattr(runner, "fly_nominal", no_flight)
    monkeypatch.setattr(runner, "campaign_legs", no_flight)
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    (copy / "report.html").unlink()
    result = invoke("report", str(copy))
    assert result.exit_code == 0, result.output
    page = (copy / "report.html").read_text()
    assert MISSING not in page and page.count('class="plotly-graph-div"') >= 11

    # a run written with --no-report: what summary.json and trials/ hold, the rest marked
    (copy / "report_data.json").unlink()
    shutil.rmtree(copy / "figures")
    result = invoke("report", str(copy))
    assert result.exit_code == 0, result.output
    page = (copy / "report.html").read_text()
    for key in ("summary", "timeline", "montecarlo", "risk"):
        section = page.split(f'id="section-{key}"')[1].split("</section>")[0]
        assert MISSING not in section, key
    assert page.count(MISSING) == len(SECTIONS) - 4  # the legs, assumptions, figures


def test_report_of_a_directory_without_a_run_is_a_user_error(tmp_path):
    result = invoke("report", str(tmp_path))
    assert result.exit_code == 2
    assert "summary.json" in result.output


def test_the_report_renders_in_headless_chromium_offline(chromium, run_dir, tmp_path):
    with offline_page(chromium, run_dir / "report.html") as seen:
        page, url = seen.page, seen.url
        sections = page.evaluate(
            "() => [...document.querySelectorAll('main > section')].map(s => s.id)"
        )
        plots = page.evaluate(
            """() => [...document.querySelectorAll('.plotly-graph-div')].map(g => ({
                id: g.id,
                section: g.closest('section').id,
                svg: g.querySelectorAll('svg.main-svg').length,
                points: (g.data || []).map(t => Math.max(0, ...['x', 'y', 'z']
                    .map(k => (t[k] && t[k].length) || 0))),
            }))"""
        )
        images = page.evaluate(
            "() => [...document.images].map(i => [i.alt, i.complete, i.naturalWidth])"
        )
        titles = page.evaluate(TITLE_GEOMETRY)
        maps = page.evaluate(
            """() => [...document.querySelectorAll(
                    '#section-edl .plotly-graph-div, #section-entry .plotly-graph-div')]
                .filter(g => (g.layout.title.text || '').includes('landings'))
                .map(g => ({
                    title: g.layout.title.text,
                    shapes: (g.layout.shapes || []).length,
                    scale: (g.layout.annotations || []).map(a => a.text)
                        .filter(t => / km$/.test(t)),
                    outline: g.data.filter(t => /rim|Range/.test(t.name || '')).length,
                    relief: g.data.filter(t => t.type === 'heatmap' || t.type === 'contour')
                        .map(t => t.type),
                }))"""
        )
        page.screenshot(path=str(tmp_path / "report_top.png"))
        page.screenshot(path=str(tmp_path / "report_full.png"), full_page=True)
    print(f"screenshots: {tmp_path / 'report_top.png'}, {tmp_path / 'report_full.png'}")

    assert seen.errors == []
    assert seen.requests == [url], "the report must make no network request"
    assert sections == [f"section-{key}" for key, _ in SECTIONS]
    drawn = {p["section"] for p in plots}
    for key in ("timeline", "porkchops", "edl", "surface", "ascent", "rendezvous", "entry",
                "montecarlo", "risk"):  # fmt: skip
        assert f"section-{key}" in drawn, key
    for plot in plots:
        assert plot["svg"] > 0, plot["id"]
        assert plot["points"] and all(n > 0 for n in plot["points"]), plot
    assert len(images) == len(FIGURE_CAPTIONS)
    for alt, complete, width in images:
        assert complete and width > 0, alt
    assert (tmp_path / "report_top.png").stat().st_size > 10_000
    assert len(titles) == len(plots)
    assert_titles_clear(titles)
    # the two landing maps: a scale bar (three lines and its length), the outline of the
    # crater rim / the range, and under them the packaged elevation grid's shaded relief
    # and contours (MOLA laser altimetry at Jezero, SRTM30_PLUS in Utah)
    assert len(maps) == 2, maps
    for m in maps:
        assert m["shapes"] >= 3 and len(m["scale"]) == 1 and m["outline"] == 1, m
        assert m["relief"] == ["heatmap", "contour"], m
    assert sorted("Utah" in m["title"] for m in maps) == [False, True], maps
