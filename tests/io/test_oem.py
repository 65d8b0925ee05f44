"""io.oem: CCSDS OEM (KVN 2.0) read back by an independent reader, ``ccsds-ndm``
(Egemen Imre's CCSDS Navigation Data Messages library, which parses KVN into the CCSDS
XML schema's data model), with the epochs parsed by astropy: the states come back to the
printed precision. Printed: positions 1e-6 km, velocities 1e-9 km/s, epochs 1e-6 s, so a
value reads back within half a unit of its last digit (0.5 mm, 0.5 um/s, 0.5 us) plus
the float64 round-off of the value itself (a few ulp: 3e-5 m at 1.5 AU)."""

import numpy as np
import pytest
from astropy.time import Time

from msrsim.campaign.products import Trajectory
from msrsim.core.bodies import AU_M
from msrsim.core.time import no_dubious_year_warnings
from msrsim.io.oem import oem_text, tdb_iso, write_oem

ccsds_ndm = pytest.importorskip("ccsds_ndm.ndm_io")

J2000_JD = 2451545.0


def _read(path):
    """(segments' metadata, epochs text, states (n, 6) in m and m/s) via ccsds-ndm."""
    oem = ccsds_ndm.NdmIo().from_path(str(path))
    metas, epochs, rows = [], [], []
    for seg in oem.body.segment:
        metas.append(seg.metadata)
        for sv in seg.data.state_vector:
            epochs.append(sv.epoch)
            rows.append([sv.x.value, sv.y.value, sv.z.value,
                         sv.x_dot.value, sv.y_dot.value, sv.z_dot.value])  # fmt: skip
    return oem, metas, epochs, np.array(rows) * 1e3


def _et(epochs, scale):
    """Epoch text to et by astropy (independent of msrsim.core.time)."""
    with no_dubious_year_warnings():
        tdb = Time(list(epochs), format="isot", scale=scale.lower()).tdb
        return ((tdb.jd1 - J2000_JD) + tdb.jd2) * 86400.0


def assert_same_states(t: Trajectory, epochs, states):
    """The reader's states equal the trajectory's to the printed precision."""
    r, v = states[:, :3], states[:, 3:]
    pos_tol = 0.5e-3 + 4 * np.spacing(np.abs(t.position_m))  # 0.5 mm + round-off
    vel_tol = 0.5e-6 + 4 * np.spacing(np.abs(t.velocity_m_s))  # 0.5 um/s + round-off
    assert np.all(np.abs(r - t.position_m) <= pos_tol), np.abs(r - t.position_m).max()
    assert np.all(np.abs(v - t.velocity_m_s) <= vel_tol), np.abs(v - t.velocity_m_s).max()
    # 0.5 us of rounding + et's own resolution (1.2e-7 s at 1e9 s) + astropy's two-part jd
    assert np.abs(_et(epochs, t.time_system) - t.et).max() < 1e-6


_COV_KEYS = ("x", "y", "z", "x_dot", "y_dot", "z_dot")


def _covariance(block) -> np.ndarray:
    """A ccsds-ndm covariance block as a full 6x6 matrix in m², m²/s, m²/s²."""
    m = np.empty((6, 6))
    for i, a in enumerate(_COV_KEYS):
        for j, b in enumerate(_COV_KEYS[: i + 1]):
            m[i, j] = m[j, i] = getattr(block, f"c{a}_{b}").value * 1e6
    return m


def assert_same_covariance(block, cov, time_system):
    """The block reads back as the covariance to its 12 printed significant digits."""
    np.testing.assert_allclose(_covariance(block), cov.matrix, rtol=1e-11, atol=0)
    assert abs(_et([block.epoch], time_system)[0] - cov.et) < 1e-6


def test_covariance_blocks_read_back_with_ccsds_ndm(tmp_path):
    t = _heliocentric()
    rng = np.random.default_rng(7)
    a = rng.standard_normal((6, 6)) * [1e3, 1e3, 1e3, 1.0, 1.0, 1.0]
    covs = (
        {"et": t.et[3], "matrix": a @ a.T, "comment": "first arc"},
        {"et": t.et[40], "matrix": 2.0 * a @ a.T},
        {"et": t.et[45], "matrix": 3.0 * a @ a.T},
    )
    t = Trajectory(**{**t.__dict__, "covariances": covs})
    oem, metas, _, _ = _read(write_oem(tmp_path / "c.oem", t))
    per_segment = [list(seg.data.covariance_matrix) for seg in oem.body.segment]
    assert [len(blocks) for blocks in per_segment] == [1, 2]  # each in its arc's segment
    for block, cov in zip(per_segment[0] + per_segment[1], t.covariances, strict=True):
        assert block.cov_ref_frame == "ICRF"
        assert_same_covariance(block, cov, "TDB")
    assert "COMMENT first arc" in (tmp_path / "c.oem").read_text()


def test_covariance_off_the_arcs_is_refused():
    t = _heliocentric()
    with pytest.raises(ValueError, match="off its arcs"):
        Trajectory(**{**t.__dict__, "covariances": ({"et": 0.0, "matrix": np.eye(6)},)})
    with pytest.raises(ValueError, match="symmetric"):
        Trajectory(**{**t.__dict__, "covariances": (
            {"et": t.et[0], "matrix": np.triu(np.ones((6, 6)))},)})  # fmt: skip


def _heliocentric(arcs=(0, 30)):
    et = 9.0e8 + np.concatenate([np.arange(30), np.arange(29, 60)]) * 86400.0
    angle = 2 * np.pi * et / (365.25 * 86400.0)
    r = 1.5 * AU_M * np.column_stack([np.cos(angle), np.sin(angle), 0.01 * np.sin(3 * angle)])
    v = 24_130.0 * np.column_stack([-np.sin(angle), np.cos(angle), 0.03 * np.cos(3 * angle)])
    v[30:] += [12.3456789, -0.001, 0.5]  # an impulse at the arcs' common epoch
    return Trajectory(
        name="cruise", object_name="EARTH RETURN ORBITER", object_id="MSR-ERO", center="SUN",
        frame="ICRF", time_system="TDB", et=et, position_m=r, velocity_m_s=v,
        comment="a synthetic cruise", arcs=arcs,
    )  # fmt: skip


def test_tdb_epochs_agree_with_astropy():
    et = np.array([0.0, -43200.0, 1.0e9 + 0.1234562, 1062401298.5453815, -3.0e8])
    with no_dubious_year_warnings():
        ref = Time(J2000_JD, et / 86400.0, format="jd", scale="tdb")
        ref.precision = 6
        expected = ref.isot
    assert list(tdb_iso(et)) == list(expected)
    assert tdb_iso([0.0])[0] == "2000-01-01T12:00:00.000000"


def test_oem_reads_back_with_ccsds_ndm(tmp_path):
    t = _heliocentric()
    path = write_oem(tmp_path / "cruise.oem", t, creation_date="2026-11-24T00:00:00.000")
    oem, metas, epochs, states = _read(path)
    assert oem.header.originator == "MSRSIM"
    assert oem.header.creation_date == "2026-11-24T00:00:00.000"
    assert len(metas) == 2  # one segment per arc
    for meta, (a, b) in zip(metas, t.arc_slices(), strict=True):
        assert meta.object_name == "EARTH RETURN ORBITER" and meta.object_id == "MSR-ERO"
        assert (meta.center_name, meta.ref_frame, meta.time_system) == ("SUN", "ICRF", "TDB")
        assert meta.start_time == epochs[a] == meta.useable_start_time
        assert meta.stop_time == epochs[b - 1] == meta.useable_stop_time
        assert meta.interpolation == "HERMITE"
    assert metas[0].stop_time == metas[1].start_time  # the impulse
    assert_same_states(t, epochs, states)
    text = path.read_text()
    assert text.startswith("CCSDS_OEM_VERS = 2.0\n")
    assert "COMMENT a synthetic cruise" in text


def test_utc_epochs_and_geocentric_frame(tmp_path):
    et = 1062401298.5453815 + np.linspace(0.0, 400.0, 41)
    r = np.tile([6.5e6, 0.0, 0.0], (41, 1)) + np.outer(np.arange(41), [0.0, 1.1e3, 0.0])
    t = Trajectory(
        name="entry", object_name="EARTH ENTRY SYSTEM", object_id="MSR-EES", center="EARTH",
        frame="GCRF", time_system="UTC", et=et, position_m=r,
        velocity_m_s=np.tile([0.0, 11e3, 0.0], (41, 1)), interpolable=False,
    )  # fmt: skip
    _, metas, epochs, states = _read(write_oem(tmp_path / "entry.oem", t))
    assert (metas[0].center_name, metas[0].ref_frame, metas[0].time_system) == (
        "EARTH", "GCRF", "UTC",
    )  # fmt: skip
    assert metas[0].interpolation is None  # snapshots: no interpolation declared
    assert_same_states(t, epochs, states)


def test_refuses_frames_outside_the_standard():
    t = _heliocentric()
    with pytest.raises(ValueError, match="REF_FRAME"):
        oem_text(Trajectory(**{**t.__dict__, "frame": "MME2000"}))
    with pytest.raises(ValueError, match="CENTER_NAME"):
        oem_text(Trajectory(**{**t.__dict__, "center": "PHOBOS"}))


def test_export_oem_of_the_baseline_reads_back(tmp_path):
    """End to end: ``msrsim export oem`` on the baseline (its legs cached once per
    session), every file read back by ccsds-ndm to the printed precision."""
    from typer.testing import CliRunner

    from msrsim.campaign.products import TRAJECTORY_NAMES
    from msrsim.campaign.runner import campaign_legs
    from msrsim.cli import app
    from msrsim.scenario import baseline

    result = CliRunner().invoke(app, ["export", "oem", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    products = campaign_legs(baseline()).products  # the cache the command read
    for name in TRAJECTORY_NAMES:
        if name not in products:  # ero_rendezvous: only when a recorded trial captured
            continue
        t = products[name]
        oem, metas, epochs, states = _read(tmp_path / f"{name}.oem")
        assert len(metas) == len(t.arcs)
        assert {m.ref_frame for m in metas} == {t.frame}
        assert {m.time_system for m in metas} == {t.time_system}
        assert_same_states(t, epochs, states)
        read = [c for seg in oem.body.segment for c in seg.data.covariance_matrix]
        assert len(read) == len(t.covariances)
        for block, cov in zip(read, t.covariances, strict=True):
            assert_same_covariance(block, cov, t.time_system)
    # the legs' covariances: the OS at release, the EES at its entry interface
    assert len(products["os_orbit"].covariances) == 1
    assert len(products["ees_approach"].covariances) == 1
    one = CliRunner().invoke(
        app, ["export", "oem", "--out", str(tmp_path / "one"), "--trajectory", "os_orbit"]
    )
    assert one.exit_code == 0, one.output
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["os_orbit.oem"]


def test_export_oem_refuses_unknown_trajectory(tmp_path):
    from typer.testing import CliRunner

    from msrsim.cli import app

    result = CliRunner().invoke(
        app, ["export", "oem", "--out", str(tmp_path), "--trajectory", "ero_cruise"]
    )
    assert result.exit_code == 2
    assert "'ero_cruise' is not a trajectory" in result.output
