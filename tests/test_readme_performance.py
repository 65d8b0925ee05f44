"""The README's performance table is the rendering of benchmarks/record.json."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("performance", ROOT / "scripts" / "performance.py")
performance = importlib.util.module_from_spec(spec)
spec.loader.exec_module(performance)


def test_the_readme_table_is_the_rendering_of_the_record():
    record = json.loads(performance.RECORD.read_text(encoding="utf-8"))
    text = performance.README.read_text(encoding="utf-8")
    assert performance.render(record) in text, "README performance table: make bench"


def test_a_drifted_figure_is_caught():
    record = json.loads(performance.RECORD.read_text(encoding="utf-8"))
    entry = record["benchmarks"]["entry"]
    entry["entries_per_core_s"] += 1
    assert performance.render(record) not in performance.README.read_text(encoding="utf-8")
