"""The README's performance table is the rendering of benchmarks/record.json."""

import json
from pathlib import Path

from doc_scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
performance = load_script("performance")


def test_the_readme_table_is_the_rendering_of_the_record():
    record = json.loads(performance.RECORD.read_text(encoding="utf-8"))
    text = performance.README.read_text(encoding="utf-8")
    assert performance.render(record) in text, "README performance table: make bench"


def test_a_drifted_figure_is_caught():
    record = json.loads(performance.RECORD.read_text(encoding="utf-8"))
    entry = record["benchmarks"]["entry"]
    entry["entries_per_core_s"] += 1
    assert performance.render(record) not in performance.README.read_text(encoding="utf-8")


def test_the_quick_start_table_is_the_rendering_of_the_record():
    record = json.loads(performance.RECORD.read_text(encoding="utf-8"))
    text = performance.README.read_text(encoding="utf-8")
    assert "first_run" in record["benchmarks"], "no first-run figures: make bench"
    assert performance.render_quickstart(record) in text, "README Quick start table: make bench"


def test_a_drifted_first_run_figure_is_caught():
    record = json.loads(performance.RECORD.read_text(encoding="utf-8"))
    record["benchmarks"]["first_run"]["first_first_results_wall_s"] += 0.1
    assert performance.render_quickstart(record) not in performance.README.read_text(
        encoding="utf-8"
    )


def test_every_benchmark_records_its_figures():
    """Each benchmarks/bench_*.py reports to the record, and make bench runs it."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    benches = makefile.split("BENCHES :=", 1)[1].splitlines()[0].split()
    scripts = sorted(
        p.stem.removeprefix("bench_") for p in (ROOT / "benchmarks").glob("bench_*.py")
    )
    assert sorted(benches) == scripts
    for name in scripts:
        source = (ROOT / "benchmarks" / f"bench_{name}.py").read_text(encoding="utf-8")
        assert "report(" in source, f"bench_{name}.py records nothing"


def test_models_md_quotes_the_recorded_entry_benchmark():
    """docs/models.md's Earth-entry speed paragraph gives the record's figures (a new
    `make bench` that moves them fails here until the paragraph is written again)."""
    entry = json.loads(performance.RECORD.read_text(encoding="utf-8"))["benchmarks"]["entry"]
    text = " ".join((ROOT / "docs" / "models.md").read_text(encoding="utf-8").split())
    quoted = [
        f"{entry['entries_per_core_s']:,} per core-second",
        f"i.e. {entry['seconds_on_2_cores_per_100k']:.1f} s on 2 cores",
        f"{entry['peak_rss_mib']} MiB peak RSS",
        f"{entry['heyoka_trajectories_per_core_s']:,} trajectories per core-second",
        f"msrsim's {entry['msrsim_trajectories_per_core_s']:,} at the footprint's tolerances",
        f"msrsim at {entry['msrsim_over_heyoka_speed']} of heyoka's speed",
        f"at {entry['msrsim_matched_over_heyoka_speed']} of heyoka's",
    ]
    missing = [q for q in quoted if q not in text]
    assert not missing, f"docs/models.md does not quote the record: {missing}"
