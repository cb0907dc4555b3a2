"""A failed write leaves the earlier file and no debris; a successful one replaces it whole."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rare_earth_plugin.report.atomic import atomic_output, check_writable_folder
from rare_earth_plugin.report.errors import ReportError


def test_success_replaces_target_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "report.pdf"
    target.write_text("old")
    with atomic_output(target) as temporary:
        assert temporary.parent == tmp_path and temporary.suffix == ".pdf"
        temporary.write_text("new")
    assert target.read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["report.pdf"]


def test_failure_keeps_earlier_file_and_removes_temporary(tmp_path):
    target = tmp_path / "report.pdf"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("export failed")
    assert target.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["report.pdf"]


def test_empty_output_is_an_error_not_a_report(tmp_path):
    target = tmp_path / "report.csv"
    with pytest.raises(ReportError, match="nothing was written"), atomic_output(target, "CSV file"):
        pass
    assert not target.exists()
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True,
                    reason="root may write in read-only folders")
def test_unwritable_folder_is_named(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ReportError, match="cannot write in the folder"):
            check_writable_folder(folder)
        with pytest.raises(ReportError, match="locked"), atomic_output(folder / "r.pdf"):
            pass
    finally:
        folder.chmod(0o700)


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(ReportError, match="cannot write in the folder"):
        check_writable_folder(tmp_path / "nope")


def test_new_file_gets_ordinary_permissions_and_replacement_keeps_them(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    umask = os.umask(0o022)
    try:
        with atomic_output(target) as temporary:
            temporary.write_text("a")
        assert target.stat().st_mode & 0o777 == 0o644
        target.chmod(0o640)
        with atomic_output(target) as temporary:
            temporary.write_text("b")
        assert target.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(umask)
