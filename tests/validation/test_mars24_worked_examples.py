"""Mars24 worked examples (NASA GISS, "Mars24 Sunclock -- Algorithm and Worked Examples").

The two published cases, reproduced to the digits the page prints: Ls to 1e-5 deg, MSD to
1e-5 sol, MTC to the whole second (the page truncates to seconds).
"""

import pytest

from msrsim.core.time import (
    coordinated_mars_time_hours,
    format_hours,
    mars_solar_date,
    solar_longitude_deg,
    utc_to_et,
)
from msrsim.validation.cases import MARS24_WORKED_EXAMPLES

WORKED_EXAMPLES = MARS24_WORKED_EXAMPLES  # UTC, Ls deg, MSD, MTC (examples A and B)


@pytest.mark.parametrize(("utc", "ls_deg", "msd", "mtc"), WORKED_EXAMPLES)
def test_mars24_worked_example(utc, ls_deg, msd, mtc):
    et = utc_to_et(utc)
    assert solar_longitude_deg(et)[0] == pytest.approx(ls_deg, abs=1e-5)
    assert mars_solar_date(et)[0] == pytest.approx(msd, abs=1e-5)
    assert format_hours(coordinated_mars_time_hours(et))[0] == mtc
