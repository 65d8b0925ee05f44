"""io.czml: the relay's CZML document, validated by ``czml3`` (its pydantic models of the
CZML packets: the document preamble and clock, each packet's properties and their types,
intervals, colours, time-tagged cartesian samples with strictly increasing times), plus
what czml3 does not check: the frame Cesium is told, the geocentric conversion with
DE421, the availability gaps."""

import json

import numpy as np
import pytest

from msrsim.campaign.products import Trajectory
from msrsim.core.ephemeris import get_ephemeris
from msrsim.io.czml import (
    MARS_OBJECTS,
    OBJECTS,
    czml_document,
    geocentric_icrf,
    mars_czml_document,
    write_czml,
)

czml3 = pytest.importorskip("czml3")


def _traj(name, center, et, r, frame="ICRF", arcs=(0,)):
    return Trajectory(
        name=name, object_name=name.upper(), object_id=name, center=center, frame=frame,
        time_system="TDB", et=et, position_m=r, velocity_m_s=np.zeros_like(r),
        comment=f"synthetic {name}", arcs=arcs,
    )  # fmt: skip


@pytest.fixture(scope="module")
def products():
    eph = get_ephemeris()
    et = 8.8e8 + np.arange(20) * 86400.0
    earth = eph.position("earth", et, "sun")
    cruise = _traj("ero_outbound_cruise", "SUN", et, earth + np.outer(np.arange(20), [1e7, 0, 0]))
    et_mars = et[-1] + 3600.0 + np.array([0.0, 3600.0, 7200.0, 5e6, 5e6 + 3600.0])
    r_mars = np.tile([3.9e6, 0.0, 0.0], (5, 1))
    orbit = _traj("ero_mars_orbit", "MARS", et_mars, r_mars, arcs=(0, 3))
    et_os = 9.9e8 + np.arange(10) * 60.0
    os_orbit = _traj("os_orbit", "MARS", et_os, np.tile([0.0, 3.89e6, 0.0], (10, 1)))
    et_e = 1.06e9 + np.arange(10) * 10.0
    entry = _traj("ees_entry", "EARTH", et_e, np.tile([6.5e6, 0.0, 0.0], (10, 1)), "GCRF")
    return {t.name: t for t in (cruise, orbit, os_orbit, entry)}


def _validate(packets):
    """czml3's models of a CZML document, from the JSON text a viewer would load."""
    return czml3.Document.model_validate(json.loads(json.dumps(packets)))


def test_document_validates_with_czml3(products):
    packets = czml_document(products)
    doc = _validate(packets)
    assert [p.id for p in doc.packets] == ["document", "ERO", "OS", "EES"]
    assert doc.packets[0].version == "1.0" and doc.packets[0].clock is not None
    clock = packets[0]["clock"]
    assert clock["currentTime"] == clock["interval"].split("/")[0]
    for packet in packets[1:]:
        pos = packet["position"]
        assert pos["referenceFrame"] == "INERTIAL"  # Cesium's FIXED or INERTIAL (ICRF)
        assert pos["interpolationAlgorithm"] == "LAGRANGE"
        times = np.array(pos["cartesian"][::4])
        assert times[0] == 0.0 and np.all(np.diff(times) > 0)
        assert {"path", "point", "label", "availability"} <= set(packet)


def test_positions_are_geocentric_icrf(products):
    eph = get_ephemeris()
    cruise, orbit, entry = (products[n] for n in ("ero_outbound_cruise", "ero_mars_orbit",
                                                   "ees_entry"))  # fmt: skip
    # The cruise starts at Earth's centre: at the geocentre in Cesium's frame.
    r = geocentric_icrf(cruise)
    assert np.linalg.norm(r[0]) < 1e-3
    np.testing.assert_allclose(r[:, 0], np.arange(20) * 1e7, atol=1e-3)
    # Mars-centred: Mars's geocentric position (DE421) plus the orbit's radius vector.
    mars = eph.position("mars", orbit.et, "earth")
    np.testing.assert_allclose(geocentric_icrf(orbit) - mars, orbit.position_m, atol=1e-3)
    np.testing.assert_array_equal(geocentric_icrf(entry), entry.position_m)
    ero = czml_document(products)[1]
    samples = np.array(ero["position"]["cartesian"]).reshape(-1, 4)
    assert np.all(np.abs(samples[:20, 1:] - np.round(r)) == 0)  # written to 1 m


def test_availability_leaves_the_gaps(products):
    ero = czml_document(products)[1]
    # cruise, the first Mars arc, the second Mars arc (5e6 s later): three intervals
    assert len(ero["availability"]) == 3
    os_packet = czml_document(products)[2]
    assert isinstance(os_packet["availability"], str)


def test_refuses_non_inertial_frames(products):
    fixed = _traj("ees_entry", "EARTH", np.arange(3.0), np.ones((3, 3)), frame="ITRF2000")
    with pytest.raises(ValueError, match="not inertial"):
        czml_document({"ees_entry": fixed})
    with pytest.raises(ValueError, match="no trajectory"):
        czml_document({"other": products["os_orbit"]})
    assert set(OBJECTS) == {"ERO", "OS", "EES"}


def test_export_czml_of_the_baseline_validates(tmp_path):
    """End to end: ``msrsim export czml`` on the baseline (legs cached once per session)."""
    from typer.testing import CliRunner

    from msrsim.cli import app

    path = tmp_path / "relay.czml"
    result = CliRunner().invoke(app, ["export", "czml", "--out", str(path), "--json"])
    assert result.exit_code == 0, result.output
    doc = _validate(json.loads(path.read_text()))
    assert [p.id for p in doc.packets] == ["document", "ERO", "OS", "EES"]
    packets = json.loads(path.read_text())
    # the EES ends on the ground: within ~10 km of Earth's surface radius
    end = np.array(packets[3]["position"]["cartesian"][-3:])
    assert 6.35e6 < np.linalg.norm(end) < 6.39e6
    # the Mars document beside it: the SRL's arrival, the ERO, the OS, at Mars
    mars_path = tmp_path / "relay_mars.czml"
    assert json.loads(result.output)["mars_file"] == str(mars_path)
    mars = _validate(json.loads(mars_path.read_text()))
    assert [p.id for p in mars.packets] == ["document", "SRL", "ERO", "OS"]
    by_id = {p["id"]: p for p in json.loads(mars_path.read_text())}
    for key in ("SRL", "ERO", "OS"):
        assert by_id[key]["position"]["referenceFrame"] == "FIXED"
    # in Mars's fixed frame the SRL comes down over Jezero and the MAV lifts off from it:
    # the entry ends at parachute deployment, a few km up and downrange of the landing
    srl = np.array(by_id["SRL"]["position"]["cartesian"]).reshape(-1, 4)[:, 1:]
    lat, lon = _planetocentric(srl[-1])
    assert abs(lat - 18.44) < 0.5 and abs(lon - 77.45) < 1.0, (lat, lon)
    assert 3.39e6 < np.linalg.norm(srl[-1]) < 3.39e6 + 30e3
    mav = np.array(by_id["OS"]["position"]["cartesian"]).reshape(-1, 4)[:, 1:]
    lat, lon = _planetocentric(mav[0])
    assert abs(lat - 18.44) < 0.1 and abs(lon - 77.45) < 0.1, (lat, lon)
    # the ERO: spiral down, its rendezvous track, spiral up (three spans); in the middle
    # one it flies about the OS's orbit (3,890 km from Mars's centre)
    ero = by_id["ERO"]
    spans = [[np.datetime64(x.rstrip("Z")) for x in a.split("/")] for a in ero["availability"]]
    assert len(spans) == 3
    epoch = np.datetime64(ero["position"]["epoch"].rstrip("Z"))
    samples = np.array(ero["position"]["cartesian"]).reshape(-1, 4)
    offsets = [(t - epoch) / np.timedelta64(1, "s") for t in spans[1]]
    middle = samples[(samples[:, 0] >= offsets[0]) & (samples[:, 0] <= offsets[1]), 1:]
    assert len(middle) > 100
    assert np.all(np.abs(np.linalg.norm(middle, axis=1) - 3.89e6) < 60e3)


def _planetocentric(r):
    return (np.degrees(np.arcsin(r[2] / np.linalg.norm(r))),
            np.degrees(np.arctan2(r[1], r[0])) % 360.0)  # fmt: skip


def test_mars_document_validates_with_czml3(products):
    """The Mars document of Mars-centred trajectories: czml3 accepts it, Cesium is told
    FIXED, and a point at rest on Mars (Jezero, carried into ICRF by Mars's rotation over
    a day) stands still in it; trajectories about other centres are refused."""
    from msrsim.core.frames import mars_fixed_to_icrf

    et = 9.9e8 + np.arange(25) * 3600.0
    site = np.array([3.39e6 * np.cos(np.radians(18.44)), 0.0, 3.39e6 * np.sin(np.radians(18.44))])
    site = np.array([site[0] * np.cos(np.radians(77.45)), site[0] * np.sin(np.radians(77.45)),
                     site[2]])  # fmt: skip
    inertial = mars_fixed_to_icrf(et, np.tile(site, (et.size, 1)))
    assert np.ptp(inertial, axis=0).max() > 1e6  # it does move in ICRF
    lander = _traj("srl_entry", "MARS", et, inertial)
    packets = mars_czml_document({**products, "srl_entry": lander})
    doc = _validate(packets)
    assert [p.id for p in doc.packets] == ["document", "SRL", "ERO", "OS"]
    assert "Ellipsoid.MARS" in packets[0]["description"]
    srl = np.array(packets[1]["position"]["cartesian"]).reshape(-1, 4)
    assert packets[1]["position"]["referenceFrame"] == "FIXED"
    assert np.abs(srl[:, 1:] - np.round(site)).max() <= 1.0  # at rest, to the written 1 m
    with pytest.raises(ValueError, match="need MARS"):
        mars_czml_document({"os_orbit": products["ees_entry"]})
    assert set(MARS_OBJECTS) == {"SRL", "ERO", "OS"}


def test_write_czml_is_json(tmp_path, products):
    path = write_czml(tmp_path / "x.czml", products, multiplier=3600.0)
    assert json.loads(path.read_text())[0]["clock"]["multiplier"] == 3600.0
