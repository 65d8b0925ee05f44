"""What moves Mars 2020's replayed parachute deploy (issue 17; docs/models.md, "Deploy
conditions against Mars 2020"): the model opens at ~595 Pa, 10.3 km above Jezero against
the reconstruction's 520 Pa (O'Farrell et al., IEEE Aerospace 2022), a known discrepancy.

The write-up's measured claims, flown again through the case's own code path
(:func:`msrsim.validation.runner.run_case`): the deploy pressure is set by the aeroshell's
drag between Mach 1.5 and 3.5, and a drag there shaped like Phoenix's zero-incidence C_D (a
third-party digitisation of Edquist, Desai and Schoenenberger, J. Spacecr. Rockets 48(5),
2011: ~9 % below the hypersonic value from Mach 5 to 1.8) opens the chute lower, not
higher; a higher L/D in that band (msrsim flies the hypersonic 0.24 at every Mach) and the
guidance's representative heading-alignment speed move it towards the flight.
The replay resolves the pressure to ~10 Pa (its response to a 1 % drag change is not
smooth: 5 Pa rms about the trend, 10 Pa at most), hence the tolerances.
"""

import dataclasses

import numpy as np
import pytest

import msrsim.scenario
import msrsim.segments.edl
from msrsim.validation.cases import CASES
from msrsim.validation.runner import run_case

pytestmark = pytest.mark.slow

RESOLUTION_PA = 10.0
"""The replay's resolution in deploy pressure (the drag x0.95 to x1.10 in steps of 0.01:
-5.9 Pa per step, residuals 4.6 Pa rms, 10.3 Pa at most)."""


def _deploy(rows) -> dict[str, float]:
    return {row.figure.key: row.model for row in rows}


@pytest.mark.parametrize(
    ("mach_band", "factor", "pressure_pa", "height_km"),
    [
        # Phoenix's shape: ~8 % below msrsim's C_D(M) from Mach 5 to 1.5: opens lower
        ((1.5, 5.0), 0.92, 648.3, 9.31),
        # the deploy pressure is set by the drag between Mach 1.5 and 3.5 ...
        ((1.5, 3.5), 1.10, 534.8, 11.53),
        # ... not above (more drag there opens it, if anything, lower)
        ((3.5, 60.0), 1.10, 590.2, 10.41),
    ],
)
def test_the_supersonic_drag_sets_the_deploy_and_phoenix_shaped_drag_opens_it_lower(
    monkeypatch, mach_band, factor, pressure_pa, height_km
):
    trimmed = msrsim.segments.edl.Aeroshell.aerodynamics

    def scaled(self):
        aero = trimmed(self)
        band = (aero.mach >= mach_band[0]) & (aero.mach <= mach_band[1])
        return dataclasses.replace(
            aero, cd_continuum=aero.cd_continuum * np.where(band, factor, 1.0)
        )

    monkeypatch.setattr(msrsim.segments.edl.Aeroshell, "aerodynamics", scaled)
    flown = _deploy(run_case(CASES["mars2020"]))
    # the model as it stands: 595 Pa, 10.32 km; the flight 520 Pa, ~11 km
    assert flown["deploy_dynamic_pressure_pa"] == pytest.approx(pressure_pa, abs=RESOLUTION_PA)
    assert flown["deploy_height_km"] == pytest.approx(height_km, abs=0.2)


def test_heading_alignment_from_1100_m_s_opens_it_higher(monkeypatch):
    loaded = msrsim.scenario.load_scenario

    def with_heading_alignment(*args, **kwargs):
        scenario = loaded(*args, **kwargs)
        edl = scenario.srl.edl.model_copy(update={"heading_alignment_speed_m_s": 1100.0})
        srl = scenario.srl.model_copy(update={"edl": edl})
        return scenario.model_copy(update={"srl": srl})

    monkeypatch.setattr(msrsim.scenario, "load_scenario", with_heading_alignment)
    flown = _deploy(run_case(CASES["mars2020"]))
    # measured 568 Pa, 10.85 km (800 m/s, the representative setting: 595 Pa, 10.32 km)
    assert flown["deploy_dynamic_pressure_pa"] == pytest.approx(568.2, abs=RESOLUTION_PA)
    assert flown["deploy_height_km"] == pytest.approx(10.85, abs=0.2)


def test_a_higher_supersonic_lift_to_drag_opens_it_higher(monkeypatch):
    # msrsim flies MSL's hypersonic trim L/D 0.24 at every Mach; a trimmed 70 deg cone's L/D
    # changes with Mach (not found published): 0.30 below Mach 3, back to 0.24 by Mach 10
    trimmed = msrsim.segments.edl.Aeroshell.aerodynamics

    def lifting(self):
        aero = trimmed(self)
        ratio = np.interp(aero.mach, [3.0, 10.0], [0.30, 0.24])
        return dataclasses.replace(aero, lift_to_drag=ratio)

    monkeypatch.setattr(msrsim.segments.edl.Aeroshell, "aerodynamics", lifting)
    flown = _deploy(run_case(CASES["mars2020"]))
    # measured 548 Pa, 11.25 km (0.27 below Mach 3: 564 Pa; 0.21: 632 Pa)
    assert flown["deploy_dynamic_pressure_pa"] == pytest.approx(548.3, abs=RESOLUTION_PA)
    assert flown["deploy_height_km"] == pytest.approx(11.25, abs=0.2)
