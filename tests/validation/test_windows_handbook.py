"""Porkchop optima against the NASA Earth-to-Mars mission design handbook 2026-2045.

Burke, L. M., Falck, R. D., McGuire, M. L., "Interplanetary Mission Design Handbook:
Earth-to-Mars Mission Opportunities 2026 to 2045", NASA/TM-2010-216764 (2010), Tables 2-5,
9 and 10: the least-C3 ballistic transfer of each type per opportunity (launch and arrival
dates, C3 km2/s2, arrival v-infinity km/s, DLA deg). Digits from a hand transcription of
the tables "as printed" that agrees with two others and with Table 1 of the handbook; the
2035-2039 tables are left out (their printed dates are known to be shifted by 63-81 days).

Tolerances:
- C3 of our optimum within 0.3 km2/s2 of the printed one (the issue's bar; measured at
  most 0.08: DE421 against the handbook's ephemeris, and our refined optimum against the
  handbook's grid);
- our C3 at the printed date pair within 0.1 km2/s2 of the printed C3 (the same cell);
- dates within 3 days, except the 2028 type II arrival: its optimum is flat (C3 varies by
  under 0.03 km2/s2 over a week of arrival dates), so the date is not a well-posed check;
- arrival v-infinity within 0.1 km/s; DLA within 1.5 deg (the handbook uses the mean
  equator of the launch date, msrsim EME2000: precession moves it ~0.4 deg by 2030).
"""

import math

import numpy as np
import pytest

from msrsim.core.time import DAY_S, utc_to_et
from msrsim.segments.windows import opportunity, optima, porkchop, refine_optimum
from msrsim.validation.cases import HANDBOOK as HANDBOOK_ROWS
from msrsim.validation.cases import HANDBOOK_FLAT_ARRIVAL

# opportunity, type, launch, arrival, C3, v_inf, DLA (Burke et al. 2010): the reference
# cases msrsim validate runs (msrsim.validation.cases)
HANDBOOK = list(HANDBOOK_ROWS)
FLAT_ARRIVAL = HANDBOOK_FLAT_ARRIVAL

_cache = {}


def best(year, kind):
    if year not in _cache:
        op = opportunity("earth", "mars", year)
        chop = porkchop("earth", "mars", op.departure_et, op.arrival_et)
        _cache[year] = {k: refine_optimum(chop, t) for k, t in optima(chop).items()}
    return _cache[year][kind]


@pytest.mark.parametrize(("year", "kind", "launch", "arrival", "c3", "v_inf", "dla"), HANDBOOK)
def test_optimum_matches_handbook(year, kind, launch, arrival, c3, v_inf, dla):
    ours = best(year, kind)
    assert ours.c3_m2_s2 / 1e6 == pytest.approx(c3, abs=0.3)
    assert ours.v_inf_arrival_m_s / 1e3 == pytest.approx(v_inf, abs=0.1)
    launch_et, arrival_et = utc_to_et([launch, arrival])
    # the handbook prints whole days: compare with the day ours falls on
    assert abs(ours.departure_et - launch_et) < 3.5 * DAY_S
    if (year, kind) not in FLAT_ARRIVAL:
        assert abs(ours.arrival_et - arrival_et) < 3.5 * DAY_S
    if dla is not None:
        assert math.degrees(ours.dla_rad) == pytest.approx(dla, abs=1.5)


@pytest.mark.parametrize(("year", "kind", "launch", "arrival", "c3", "v_inf", "dla"), HANDBOOK)
def test_handbook_cell_reproduced(year, kind, launch, arrival, c3, v_inf, dla):
    chop = porkchop("earth", "mars", utc_to_et(launch), utc_to_et(arrival))
    assert chop.transfer_type[0, 0, 0] == kind
    assert chop.c3_m2_s2[0, 0, 0] / 1e6 == pytest.approx(c3, abs=0.1)


def test_flat_arrival_really_is_flat():
    """The 2028 type II optimum: C3 over the week of arrivals between ours and the book's."""
    dep = utc_to_et("2028-11-30")
    arr = utc_to_et("2029-10-09")[0] + np.arange(0, 8) * DAY_S
    c3 = porkchop("earth", "mars", dep, arr).c3_m2_s2[0, :, 0] / 1e6
    assert np.ptp(c3) < 0.03


def test_near_180_band_is_what_the_handbook_leaves_out():
    """Without the band the 2026 type I optimum is a knife-edge at 179.9 deg, 0.6 below."""
    op = opportunity("earth", "mars", 2026)
    chop = porkchop("earth", "mars", op.departure_et, op.arrival_et)
    knife_edge = optima(chop, near_180_band_deg=0.0)[1]
    assert knife_edge.c3_m2_s2 / 1e6 < 11.11 - 0.5
    assert abs(math.degrees(chop.transfer_angle_rad.max()) - 180.0) < 180.0  # angles defined
    assert optima(chop)[1].c3_m2_s2 / 1e6 == pytest.approx(11.11, abs=0.3)
