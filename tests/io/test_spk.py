"""io.spk: SPK type 13 files written through CSPICE (spiceypy), read back by an independent
reader: jplephem's DAF reader (Brandon Rhodes' pure-Python reader of NAIF's DAF format,
not CSPICE) gives each segment's summary and raw array, the test decodes the type 13
layout itself (SPK Required Reading: states, epochs, epoch directory, window size - 1,
number of states) and interpolates with scipy's Krogh (Hermite) interpolator.

Tolerances: the stored states are the trajectory's, divided by 1e3 (km), so they come back
to 1e-15 relative; between the stored states, the independent Hermite and CSPICE's own
evaluation (``spkgeo``) are the same polynomial and agree to 1 mm (round-off of a degree-7
polynomial at 1e8 km); the Hermite through states a day apart on a heliocentric conic
follows the conic to 1 m."""

from __future__ import annotations

import json

import numpy as np
import pytest

from msrsim.campaign.products import Trajectory
from msrsim.core.bodies import MARS, SUN
from msrsim.core.conics import propagate
from msrsim.io.spk import CENTERS, NAIF_IDS, spk_segments, write_spk

daf_module = pytest.importorskip("jplephem.daf")
spiceypy = pytest.importorskip("spiceypy")
interpolate = pytest.importorskip("scipy.interpolate")


def _conic(name, object_id, center, mu, r0, v0, et0, step, n, arcs=(0,), interpolable=True):
    et = et0 + step * np.arange(n)
    r, v = propagate(np.tile(r0, (n, 1)), np.tile(v0, (n, 1)), et - et0, mu)
    return Trajectory(
        name=name, object_name=name.upper(), object_id=object_id, center=center,
        frame="ICRF", time_system="TDB", et=et, position_m=r, velocity_m_s=v, arcs=arcs,
        interpolable=interpolable,
    )  # fmt: skip


@pytest.fixture(scope="module")
def products():
    cruise = _conic("ero_outbound_cruise", "MSR-ERO", "SUN", SUN.gm.value,
                    [2.2e11, 0.0, 1e9], [0.0, 24.5e3, 300.0], 9.0e8, 86400.0, 60,
                    arcs=(0, 25))  # fmt: skip
    orbit = _conic("os_orbit", "MSR-OS", "MARS", MARS.gm.value, [3.89e6, 0.0, 0.0],
                   [0.0, 2500.0, 2000.0], 9.9e8, 60.0, 300)  # fmt: skip
    spiral = _conic("ero_mars_orbit", "MSR-ERO", "MARS", MARS.gm.value, [5e6, 0.0, 0.0],
                    [0.0, 2900.0, 0.0], 9.2e8, 21600.0, 10, interpolable=False)  # fmt: skip
    return {t.name: t for t in (cruise, orbit, spiral)}


def _read(path):
    """Every segment via jplephem's DAF reader: summary values and decoded type 13 data."""
    with open(path, "rb") as f:
        daf = daf_module.DAF(f)
        segments = []
        for name, values in daf.summaries():
            first, last, body, center, frame, kind, start, end = values
            data = np.asarray(daf.read_array(int(start), int(end)))
            n, window = int(data[-1]), int(data[-2]) + 1
            states = data[: 6 * n].reshape(n, 6)
            epochs = data[6 * n : 7 * n]
            segments.append(
                {"name": name.decode().strip(), "first": first, "last": last,
                 "body": int(body), "center": int(center), "frame": int(frame),
                 "type": int(kind), "window": window, "states": states, "epochs": epochs}
            )  # fmt: skip
        comments = daf.comments()
    return segments, comments


def _hermite(seg, et):
    """Type 13 at ``et`` by the spec: the ``window`` states nearest (half each side),
    Hermite through their positions and velocities (scipy's Krogh, repeated nodes)."""
    epochs, states, w = seg["epochs"], seg["states"], seg["window"]
    right = int(np.searchsorted(epochs, et))
    lo = min(max(right - w // 2, 0), epochs.size - w)
    t = epochs[lo : lo + w] - et
    nodes = np.repeat(t, 2)
    values = np.empty((2 * w, 3))
    values[0::2], values[1::2] = states[lo : lo + w, :3], states[lo : lo + w, 3:]
    poly = interpolate.KroghInterpolator(nodes, values)
    return poly(0.0), poly.derivative(0.0)


def test_segments_read_back_by_an_independent_reader(tmp_path, products):
    path = tmp_path / "relay.bsp"
    summary = write_spk(path, products)
    assert summary["trajectories"] == ["ero_outbound_cruise", "os_orbit"]
    assert summary["skipped"] == ["ero_mars_orbit"]  # snapshots: not interpolable
    segments, comments = _read(path)
    assert len(segments) == summary["segments"] == 3  # two arcs and one
    assert "-1401  MSR-ERO" in comments and "ero_mars_orbit" in comments
    cruise, orbit = products["ero_outbound_cruise"], products["os_orbit"]
    expected = [(cruise, a, b) for a, b in cruise.arc_slices()] + [(orbit, 0, orbit.et.size)]
    for seg, (t, a, b) in zip(segments, expected, strict=True):
        assert seg["type"] == 13 and seg["frame"] == 1  # J2000
        assert seg["body"] == NAIF_IDS[t.object_id] and seg["center"] == CENTERS[t.center]
        assert (seg["first"], seg["last"]) == (t.et[a], t.et[b - 1])
        assert seg["window"] == 4
        np.testing.assert_array_equal(seg["epochs"], t.et[a:b])
        np.testing.assert_allclose(seg["states"][:, :3] * 1e3, t.position_m[a:b], rtol=1e-15)
        np.testing.assert_allclose(seg["states"][:, 3:] * 1e3, t.velocity_m_s[a:b], rtol=1e-15)


def test_between_states_cspice_and_the_independent_hermite_agree(tmp_path, products):
    path = tmp_path / "relay.bsp"
    write_spk(path, products)
    segments, _ = _read(path)
    seg = segments[0]  # the first cruise arc: states a day apart
    t = products["ero_outbound_cruise"]
    mid = 0.5 * (seg["epochs"][:-1] + seg["epochs"][1:])
    spiceypy.furnsh(str(path))
    try:
        for et in mid:
            r, v = _hermite(seg, et)
            state, _ = spiceypy.spkgeo(seg["body"], et, "J2000", seg["center"])
            np.testing.assert_allclose(r, state[:3], rtol=0, atol=1e-6)  # km: 1 mm
            np.testing.assert_allclose(v, state[3:], rtol=0, atol=1e-12)  # km/s: 1 nm/s
            # and the interpolant follows the conic it was sampled from
            truth, _ = propagate(t.position_m[:1], t.velocity_m_s[:1], [et - t.et[0]],
                                 SUN.gm.value)  # fmt: skip
            assert np.linalg.norm(r * 1e3 - truth[0]) < 1.0
    finally:
        spiceypy.unload(str(path))


def test_refuses_what_an_spk_cannot_name(products):
    t = products["os_orbit"]
    with pytest.raises(ValueError, match="no SPICE ID"):
        spk_segments(Trajectory(**{**t.__dict__, "object_id": "X"}))
    with pytest.raises(ValueError, match="centre"):
        spk_segments(Trajectory(**{**t.__dict__, "center": "PHOBOS"}))
    with pytest.raises(ValueError, match="no trajectory ees_entry"):
        write_spk("unused.bsp", products, ["ees_entry"])
    with pytest.raises(ValueError, match="no interpolable"):
        write_spk("unused.bsp", {"s": products["ero_mars_orbit"]})


def test_export_spk_of_the_baseline_reads_back(tmp_path):
    """End to end: ``msrsim export spk`` on the baseline (legs cached once per session);
    every interpolable trajectory's states in the file, read by jplephem's DAF reader."""
    from typer.testing import CliRunner

    from msrsim.campaign.runner import campaign_legs
    from msrsim.cli import app
    from msrsim.scenario import baseline

    path = tmp_path / "msr.bsp"
    result = CliRunner().invoke(app, ["export", "spk", "--out", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    products = campaign_legs(baseline()).products
    assert report["skipped"] == ["ero_mars_orbit"]
    segments, _ = _read(path)
    by_name = {}
    for seg in segments:
        by_name.setdefault(seg["name"].split(" ")[0], []).append(seg)
    assert sorted(by_name) == sorted(report["trajectories"])
    for name, segs in by_name.items():
        t = products[name]
        states = np.vstack([s["states"] for s in segs]) * 1e3
        keep = np.concatenate([np.arange(a, b) for a, b in t.arc_slices() if b - a >= 2])
        np.testing.assert_allclose(states[:, :3], t.position_m[keep], rtol=1e-15, atol=1e-9)
        np.testing.assert_allclose(states[:, 3:], t.velocity_m_s[keep], rtol=1e-15, atol=1e-12)
