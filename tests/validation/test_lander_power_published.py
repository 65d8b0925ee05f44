"""segments.lander_power against published figures: Appelbaum and Flood's Viking Lander 1
insolation, Opportunity's array energy against tau and dust factor, the MMRTG's output."""

import csv
import datetime as dt
from pathlib import Path

import numpy as np

from msrsim.core.time import solar_longitude_deg, utc_to_et
from msrsim.segments.lander_power import Rtg, daily_insolation_wh_m2

# Appelbaum and Flood (1990 update; NASA TM-102299), Table V: global daily insolation on a
# horizontal surface at Viking Lander 1 (22.3 N), Wh/m2 per sol, every 5 deg of Ls, for the
# optical depth VL1 measured (their Fig. 3, discretized to 5 deg), with their solar constant
# 1371 W/m2. Transcribed in github.com/georgeslabreche/mars (tests/testthat/data) [T],
# checked here against the table's own model: a test of our geometry and integration.
VL1_TAU = [
    0.65, 0.9, 0.75, 0.6, 0.65, 0.65, 0.55, 0.6, 0.5, 0.65, 0.7, 0.9, 0.7, 0.65, 0.6, 0.55,
    0.55, 0.55, 0.65, 0.7, 0.7, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.35, 0.5, 0.65, 0.65,
    0.7, 0.7, 0.75, 0.75, 0.75, 1.05, 1.2, 1.1, 1.0, 1.9, 2.5, 2.2, 2.1, 2.0, 1.8, 1.7, 1.6,
    1.45, 1.3, 1.15, 1.15, 1.45, 1.8, 2.5, 2.9, 2.6, 3.6, 3.2, 3.0, 2.6, 2.1, 1.6, 1.4, 1.35,
    1.25, 1.15, 1.25, 0.85, 1.0, 0.8,
]  # fmt: skip
VL1_HH = [
    3235.55, 3004.31, 3184.05, 3369.64, 3337.44, 3355.64, 3479.05, 3436.15, 3556.55,
    3401.26, 3356.93, 3166.38, 3373.19, 3435.43, 3501.02, 3570.56, 3587.63, 3607.55,
    3518.84, 3489.36, 3516.32, 3773.41, 3805.72, 3962.68, 3996.85, 4030.09, 4061.36,
    4059.58, 4180.68, 4001.66, 3825.77, 3827.9, 3761.45, 3746.31, 3662.37, 3628.46,
    3601.57, 3218.52, 3008.58, 3037.84, 3063.58, 2233.21, 1806.4, 1901.65, 1887.47,
    1873.79, 1923.13, 1915.99, 1914.11, 1953.44, 2005.04, 2071.72, 2032.57, 1790.83,
    1570.5, 1250.87, 1112.93, 1229.61, 934.92, 1067.77, 1159.09, 1339.56, 1606.36,
    1941.71, 2134.79, 2230.54, 2367.1, 2507.69, 2482.11, 2892.92, 2801.44, 3040.7,
]  # fmt: skip


def test_viking_lander_1_daily_insolation_matches_appelbaum_flood_table_v():
    # Tolerance 2.5 %: the table integrates hour by hour and rounds its Table III lookups;
    # our Gauss-Legendre integral of the bilinear table differs by at most 1.8 %.
    ls = np.arange(0.0, 360.0, 5.0)
    ours = daily_insolation_wh_m2(ls, 22.3, np.array(VL1_TAU), solar_constant_w_m2=1371.0)
    ratio = ours / np.array(VL1_HH)
    assert np.all(np.abs(ratio - 1) < 0.025), ls[np.argmax(np.abs(ratio - 1))]
    assert abs(np.median(ratio) - 1) < 0.005


def _opportunity():
    path = Path(__file__).parent / "data" / "opportunity_energy.csv"
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(lines))
    days = [dt.datetime.strptime(r["Date"], "%d-%b-%Y").isoformat() for r in rows]
    sol = np.array([int(r["Sol"]) for r in rows])
    wh = np.array([float(r["Wh"]) for r in rows])
    tau = np.array([float(r["TauFactor"]) for r in rows])
    dust = np.array([float(r["SADustFactor"] or "nan") for r in rows])
    ls = solar_longitude_deg(utc_to_et(days))
    return sol, ls, wh, tau, dust


def test_opportunity_array_energy_follows_season_tau_and_dust_factor():
    # Energy = (area x efficiency) x insolation(Ls, 1.95 S, tau) x dust factor. The one
    # scalar, area x efficiency, is fitted on MY 29-31 (sols < 3000, 133 weekly reports);
    # the 2012-2018 reports (MY 31-34, 264 of them, tau 0.27-1.85, dust factor 0.47-0.96)
    # are predicted. Opportunity drove on slopes (its array was not level) and reported
    # one sol a week: a median error under 8 % and a 90th percentile under 20 %.
    sol, ls, wh, tau, dust = _opportunity()
    model = daily_insolation_wh_m2(ls, -1.95, tau) * dust
    ok = np.isfinite(dust)
    fit = ok & (sol < 3000)
    area_eff = np.median(wh[fit] / model[fit])
    assert 0.15 < area_eff < 0.35  # 1.3 m2 of MER cells (NASA [P]) at 12-27 % net
    test = ok & (sol >= 3000)
    error = np.abs(wh[test] / (area_eff * model[test]) - 1)
    assert test.sum() > 250
    assert np.median(error) < 0.08
    assert np.percentile(error, 90) < 0.20


def test_opportunity_2018_storm_energy_collapse():
    # Sol 5100 (tau 0.64): 652 Wh; sol 5111 (tau 10.8): 22 Wh, 3.4 % (NASA [P]). The model,
    # at the same dust factor, keeps 7.7 %: past Table III's tau = 6 the exponential tail
    # is too generous and the storm's own dust on the array is not counted. The bound
    # below holds the collapse to an order of magnitude, not to the watt-hour.
    sol, ls, wh, tau, _ = _opportunity()
    i, j = np.flatnonzero(sol == 5100)[0], np.flatnonzero(sol == 5111)[0]
    h = daily_insolation_wh_m2(ls[[i, j]], -1.95, tau[[i, j]])
    kept = h[1] / h[0]
    observed = wh[j] / wh[i]
    assert 0.02 < kept < 0.10
    assert observed < kept < 3 * observed


def test_mmrtg_output_matches_the_design_figures():
    # NASA/DOE MMRTG fact sheet: about 125 W at the start of a mission, about 100 W after
    # 14 years; the converter's 0.8 %/yr is the scenario's value set from that pair, so
    # this checks the formula and its units (years, e-folding) to 3 W.
    mmrtg = Rtg(count=1, bol_power_w=125.0, conversion_degradation_per_year=0.008,
                age_at_landing_years=0.0)  # fmt: skip
    assert abs(float(mmrtg.power_w(0.0)) - 125.0) < 1e-9
    assert abs(float(mmrtg.power_w(14.0)) - 100.0) < 3.0
    # Fuel alone: half the power after one plutonium-238 half-life.
    fuel_only = Rtg(bol_power_w=110.0, conversion_degradation_per_year=0.0, age_at_landing_years=0)
    assert abs(float(fuel_only.power_w(87.7)) - 55.0) < 1e-9
