"""The reference cases of ``msrsim validate`` (msrsim.validation.cases), run as the command
runs them: every figure within its stated tolerance, or a known discrepancy with its cause
that is still a discrepancy (a model change that fixes it must drop the label; one that
breaks a replay fails here)."""

import pytest

from msrsim.report.html import _Page, validation_data
from msrsim.validation.cases import CASES
from msrsim.validation.runner import FAIL, KNOWN, PASS, run_case, select


@pytest.mark.parametrize("name", list(CASES))
def test_reference_case(name):
    rows = run_case(CASES[name])
    assert rows and len(rows) == len(CASES[name].figures)
    for row in rows:
        f = row.figure
        print(f"{name} {f.key}: model {row.model:.6g}, published {f.published:.6g} "
              f"+/- {f.tolerance:.3g} {f.unit}: {row.status}")  # fmt: skip
        assert row.status != FAIL, (f.key, row.model, f.published, f.tolerance)
        if f.known_discrepancy:  # still outside: else the label is stale
            assert row.status == KNOWN, (f.key, row.model)
        assert f.source and f.tolerance_reason and f.tolerance > 0


def test_every_figure_is_sourced_and_every_case_checked():
    kinds = {case.kind for case in CASES.values()}
    assert kinds == {"earth_entry", "mars_edl", "windows", "mars24", "conjunctions"}
    assert {"stardust", "genesis", "msl", "mars2020"} <= set(CASES)


def test_an_unknown_case_is_named():
    with pytest.raises(ValueError, match="no reference case 'voyager'"):
        select(["stardust", "voyager"])


def test_the_report_section_lists_each_figure():
    data = validation_data(["genesis", "mars2020"])
    assert data["counts"] == {PASS: 3, KNOWN: 1, FAIL: 0}
    html = _Page().validation({}, {"validation": data})
    assert html.count("<tr>") + html.count('<tr class="rep">') == 1 + 4
    assert "Reconstruction of the Genesis Entry" in html and "known discrepancy" in html
