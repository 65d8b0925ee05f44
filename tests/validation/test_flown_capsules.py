"""The entry model against flown sample-return capsules: Stardust (2006) and Genesis (2004).

Both capsules were tracked to the ground and their entries reconstructed; the published
peak decelerations are the best-estimated trajectories (6-DOF simulations fitted to the
navigation state at entry and to radar tracking; neither capsule carried an
accelerometer). The model flies the published entry state (inertial speed and
flight-path angle at the interface radius, converted to the rotating Earth) through
NRLMSIS 2.1 for the day and, as a check on the atmosphere's share, the US Standard
Atmosphere 1976. Peak deceleration of a ballistic entry depends on the entry speed and
angle, hardly on drag or nose radius (Allen and Eggers, NACA TR 1381, 1958), so it tests
the flight mechanics and the atmosphere; the tolerance is the issue's 5 %, inside the
reconstruction's own 3-sigma of +/-3.64 g (11 %) for Stardust.

Sources (values as printed):

* Stardust entry state and mass: radius 6503.14 km, 12.9 km/s and -8.2 deg inertial,
  46 kg; best-estimated peak deceleration 32.89 g (predicted 32.86 g, 3-sigma +/-3.64 g):
  Desai, P. N., and Qualls, G. D., "Stardust Entry Reconstruction", AIAA 2008-1198
  (NTRS 20080008567), secs. II and V. Final orbit determination -8.21 deg +/- 0.0017 deg:
  Desai, Lyons, Tooley and Kangas, J. Spacecr. Rockets 45(6), 2008, doi:10.2514/1.37090.
  Geometry: 0.8128 m, 60 deg, nose radius 0.2286 m: Mitcheltree, Wilmoth, Cheatwood,
  Brauckmann and Greene, "Aerodynamics of Stardust Sample Return Capsule", AIAA 97-2304
  (NTRS 20040105538). Entry azimuth 102.9 deg and the interface "20 km east of the coast,
  22 km south of the Oregon-California border" (about 41.8 N, 124.0 W; NASA/JPL, "Stardust's
  Final Hours", 2006); entry at 09:57 UTC, 15 January 2006.
* Stardust stagnation heating, the spread of published values (total, convective plus
  radiative): 705 W/cm2 (Rivell, NASA/TP-2006-213486, Table 20), 856 W/cm2 (ibid., Table 13),
  762 to 1000 W/cm2 (Parcero et al., NASA Planetary Mission Entry Vehicles Quick Reference
  Guide v4.1, NASA/SP-20230010341); heat load 23,730 J/cm2 (Rivell, Table 13).
* Genesis: 11.04 km/s and -8.0 deg inertial at 125 km (radius 6503.14 km), 205.6 kg,
  1.52 m, the Stardust aerodynamics; best-estimated peak deceleration 27.0 g (predicted
  27.2 g): Desai, Qualls and Schoenenberger, "Reconstruction of the Genesis Entry",
  J. Spacecr. Rockets 45(1), 2008 (NTRS 20080019649); final orbit determination -8.002 deg:
  Desai and Lyons, J. Spacecr. Rockets 45(1), 2008 (NTRS 20080020376). Entry at 15:52:47
  UTC, 8 September 2004. Not published in what we could read: its entry point and
  azimuth (Stardust's are used: both came in over the Oregon coast bound for the Utah
  range) and its nose radius (Stardust's proportion, 0.428 m; it does not enter peak g).

Entry flight-path angles and azimuths are referred to the geocentric horizontal, as in
the trajectory codes these reconstructions used (POST).
"""

import math

import numpy as np
import pytest

from msrsim.core.bodies import EARTH
from msrsim.core.flight import flight_table
from msrsim.core.frames import geocentric_flight_state
from msrsim.core.time import utc_to_et
from msrsim.segments.entry import Capsule, entry_atmosphere, fly_entry
from msrsim.validation.cases import CASES as REFERENCE

INTERFACE_RADIUS_M = 6503.14e3
OREGON_COAST = (41.8, -124.0)  # geocentric latitude, east longitude of the interface, deg
UTTR_GROUND_M = 1300.0


def _geocentric_entry(latitude_deg, longitude_deg, radius_m, speed_m_s, fpa_deg, azimuth_deg):
    """Earth-fixed state from an inertial speed and angles about the geocentric horizontal."""
    return geocentric_flight_state(
        math.radians(latitude_deg),
        math.radians(longitude_deg),
        radius_m,
        speed_m_s,
        math.radians(fpa_deg),
        math.radians(azimuth_deg),
        EARTH.rotation_rate.value,
    )


def _case(name):
    """Capsule, speed, angle, epoch and published peak g of a reference case (the inputs
    msrsim validate flies, msrsim.validation.cases)."""
    case = REFERENCE[name]
    i = case.inputs
    capsule = Capsule(mass_kg=i["mass_kg"], diameter_m=i["diameter_m"],
                      nose_radius_m=i["nose_radius_m"], half_angle_deg=i["half_angle_deg"],
                      subsonic_cd=1.0)  # fmt: skip
    peak = next(f.published for f in case.figures if f.key == "peak_deceleration_g")
    return capsule, i["inertial_speed_m_s"], i["flight_path_angle_deg"], i["entry_utc"], peak


CASES = {name: _case(name) for name in ("stardust", "genesis")}


def _fly(name: str, atmosphere: str, history_samples: int = 0):
    capsule, speed, fpa, utc, _ = CASES[name]
    r, v = _geocentric_entry(*OREGON_COAST, INTERFACE_RADIUS_M, speed, fpa, 102.9)
    # NRLMSIS above northern Nevada, where the capsules met their peak loads
    table = entry_atmosphere(atmosphere, float(utc_to_et(utc)[0]), 41.0, -116.0)
    return fly_entry(
        capsule,
        r,
        v,
        flight_table(table),
        ground_altitude_m=UTTR_GROUND_M,
        history_samples=history_samples,
    )


@pytest.mark.parametrize("atmosphere", ["nrlmsis", "us76"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_peak_deceleration_within_five_percent_of_the_reconstruction(name, atmosphere):
    published = CASES[name][-1]
    flown = _fly(name, atmosphere)
    assert flown.flight.status[0] == 0
    assert flown.flight.peak_deceleration_g[0] == pytest.approx(published, rel=0.05)


def test_stardust_heating_within_the_published_spread():
    flown = _fly("stardust", "nrlmsis", history_samples=4000)
    history = flown.flight.history[0]
    rows = np.isfinite(history[:, 0])
    total_w_cm2 = (history[rows, 9] + history[rows, 10]).max() / 1e4
    assert 705.0 <= total_w_cm2 <= 1000.0  # Rivell Table 20 to the QRG's upper value
    # radiation is a minor share at Stardust's speed (Olynick et al. 1999: about 10 %)
    share = flown.flight.peak_radiative_heat_flux_w_m2[0] / (total_w_cm2 * 1e4)
    assert 0.05 < share < 0.25
    # heat load against Rivell's Table 13 design trajectory (same 12.9 km/s and -8.2 deg,
    # a heavier capsule); 10 %: a design case, not the flight
    assert flown.flight.heat_load_j_m2[0] / 1e4 == pytest.approx(23_730.0, rel=0.10)
