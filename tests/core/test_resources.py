"""core.resources: atomic writes keep a file's permissions and never follow a link."""

from __future__ import annotations

import os
import stat

import pytest

from msrsim.core.resources import atomic_write


def _mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield 0o027
    os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_new_file_gets_the_permissions_open_would_give(tmp_path, umask_027):
    # atomic_write wrote every product 0o600 (mkstemp's own mode): a run's summary.json,
    # report.html and chunks could not be read by the people the directory is shared with.
    target = tmp_path / "summary.json"
    atomic_write(target, b"{}")
    with open(tmp_path / "plain.json", "w") as f:
        f.write("{}")
    assert _mode(target) == _mode(tmp_path / "plain.json") == 0o640
    assert target.read_bytes() == b"{}"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_replaced_file_keeps_its_permissions(tmp_path, umask_027):
    target = tmp_path / "report.html"
    target.write_text("old")
    target.chmod(0o604)
    atomic_write(target, lambda f: f.write(b"new"))
    assert _mode(target) == 0o604 and target.read_text() == "new"


def test_a_link_at_the_name_is_replaced_never_followed(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("precious")
    precious.chmod(0o600)
    link = tmp_path / "summary.json"
    link.symlink_to(precious)
    atomic_write(link, b"{}")
    assert not link.is_symlink() and link.read_bytes() == b"{}"
    assert precious.read_text() == "precious" and _mode(precious) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.txt", "summary.json"]
