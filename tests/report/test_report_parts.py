"""The report's small rules, without a run: round contour levels, the unit of a time
spread, the scale bar's length, title wrapping, the parachute flag, the Mars CZML of the
report's neighbours in io (see tests/io)."""

from __future__ import annotations

import numpy as np
import pytest

from msrsim.report.html import (
    PARACHUTE_FLAG_FRACTION,
    parachute_flag,
    time_unit,
    wrap_title,
)
from msrsim.report.plots import nice_levels, scale_bar_km


@pytest.mark.parametrize(
    ("low", "high"), [(15.27, 75.27), (32.79, 92.79), (0.4, 3.1), (1200.0, 9000.0)]
)
def test_contour_levels_are_round(low, high):
    levels = nice_levels(low, high)
    assert levels[0] <= low < levels[1] and levels[-1] <= high and levels.size >= 5
    step = levels[1] - levels[0]
    np.testing.assert_allclose(np.diff(levels), step)
    mantissa = step / 10.0 ** np.floor(np.log10(step))
    assert min(abs(mantissa - m) for m in (1.0, 2.0, 2.5, 5.0)) < 1e-9
    np.testing.assert_allclose(levels / step, np.round(levels / step), atol=1e-9)  # 15, 20


def test_time_spread_units():
    assert time_unit(30.0) == ("seconds", 1.0)  # the baseline's Earth landings: 30 s apart
    assert time_unit(1800.0) == ("minutes", 60.0)
    assert time_unit(20 * 3600.0) == ("hours", 3600.0)
    assert time_unit(10 * 86400.0) == ("days", 86400.0)


def test_scale_bar_is_round_and_fits():
    assert scale_bar_km(48.0) == 10.0  # Jezero's map: the crater and its surroundings
    assert scale_bar_km(170.0) == 20.0  # the Utah map
    assert scale_bar_km(1.0) == 0.5
    for width in np.geomspace(2.0, 800.0, 30):
        assert scale_bar_km(width) <= width / 4.0


def test_titles_wrap_to_the_figure():
    text = "EES landings in Utah: P(outside the range | landed) = 0.0271 of 10,000 entries"
    assert wrap_title(text, 1300) == [text]
    lines = wrap_title(text, 640)
    assert len(lines) == 2 and " ".join(lines) == text
    assert all(len(line) * 8.6 <= 640 - 40 for line in lines)
    assert wrap_title("", 640) == []


def test_parachute_flag_shows_only_above_its_threshold():
    box = {"max_mach": 2.2, "max_dynamic_pressure_pa": 750.0}
    loud = parachute_flag({"parachute_outside_box_fraction": 0.647, "parachute_box": box})
    assert 'class="warn"' in loud and "64.7%" in loud and "Mach ≤ 2.2" in loud
    quiet = {"parachute_outside_box_fraction": PARACHUTE_FLAG_FRACTION, "parachute_box": box}
    assert parachute_flag(quiet) == ""
    assert parachute_flag({}) == ""  # report data written before the flag existed
