"""Direct SQLite writes to a GDAL-made GeoPackage: GDAL reads them back (R-tree included), a lock held by
another process fails at once with a plain reason, a SIGKILL mid-write loses nothing committed, the -wal is
checkpointed, older tables get their missing fields. Checked with GDAL, an independent reader."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from osgeo import ogr, osr

from rare_earth_plugin import survey_gpkg
from rare_earth_plugin.survey_gpkg import GpkgWriteError, NewRow

FIELDS = (("name", "string"), ("created_utc", "string"), ("ore_t", "double"), ("grade_band", "int"))


def _make(path: Path, fields=FIELDS) -> Path:
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32643)
    layer = source.CreateLayer("survey_areas", srs, ogr.wkbMultiPolygon)
    kinds = {"string": ogr.OFTString, "double": ogr.OFTReal, "int": ogr.OFTInteger}
    for name, kind in fields:
        layer.CreateField(ogr.FieldDefn(name, kinds[kind]))
    source = None
    return path


def _square(x: float, name: str, **values) -> NewRow:
    geometry = ogr.CreateGeometryFromWkt(f"MULTIPOLYGON((({x} 0,{x + 10} 0,{x + 10} 10,{x} 10,{x} 0)))")
    return NewRow(bytes(geometry.ExportToIsoWkb()), (x, x + 10.0, 0.0, 10.0), {"name": name, **values})


def _read(path: Path) -> list[tuple[str, float]]:
    source = ogr.Open(str(path))
    layer = source.GetLayerByName("survey_areas")
    layer.SetSpatialFilterRect(-1, -1, 1e6, 1e6)  # through the R-tree the triggers filled
    rows = [(feature.GetField("name"), feature.GetGeometryRef().GetArea()) for feature in layer]
    source = None
    return rows


def test_rows_written_here_read_back_by_gdal_with_their_index(tmp_path):
    path = _make(tmp_path / "s.gpkg")
    fids = survey_gpkg.insert(path, "survey_areas", [_square(0, "a"), _square(100, "b", ore_t=1.5)])
    assert len(fids) == 2
    assert _read(path) == [("a", 100.0), ("b", 100.0)]
    survey_gpkg.update(path, "survey_areas", fids[0], {"name": "renamed", "ore_t": None})
    survey_gpkg.delete(path, "survey_areas", fids[1])
    assert _read(path) == [("renamed", 100.0)]


def test_changing_a_feature_that_is_not_there_is_an_error(tmp_path):
    path = _make(tmp_path / "s.gpkg")
    with pytest.raises(GpkgWriteError, match="no longer in the file"):
        survey_gpkg.update(path, "survey_areas", 42, {"ore_t": 1.0})
    with pytest.raises(GpkgWriteError, match="no longer in the file"):
        survey_gpkg.delete(path, "survey_areas", 42)


def test_a_lock_held_by_another_process_fails_at_once_in_plain_words(tmp_path, sqlite_lock):
    path = _make(tmp_path / "s.gpkg")
    survey_gpkg.insert(path, "survey_areas", [_square(0, "before")])
    with sqlite_lock(path):
        started = time.monotonic()
        with pytest.raises(GpkgWriteError, match="another program is using the file"):
            survey_gpkg.insert(path, "survey_areas", [_square(50, "during")])
        waited = time.monotonic() - started
    assert waited < 10 * survey_gpkg.BUSY_SECONDS  # not QGIS's 20 s
    survey_gpkg.insert(path, "survey_areas", [_square(50, "after")])
    assert [name for name, _ in _read(path)] == ["before", "after"]


def test_an_immutable_file_is_read_only_in_plain_words(tmp_path, immutable):
    path = _make(tmp_path / "s.gpkg")
    immutable(path)
    with pytest.raises(GpkgWriteError, match=r"read-only|cannot be opened"):
        survey_gpkg.insert(path, "survey_areas", [_square(0, "a")])


def test_a_full_disk_fails_in_plain_words_and_keeps_what_was_there(tmp_path, small_disk):
    disk = small_disk(400)
    path = _make(disk / "s.gpkg")
    survey_gpkg.insert(path, "survey_areas", [_square(0, "kept")])
    free = shutil.disk_usage(disk).free
    (disk / "filler").write_bytes(b"\0" * max(0, free - 2048))
    big = [_square(x * 20.0, "x" * 4000) for x in range(200)]
    with pytest.raises(GpkgWriteError, match="disk is full"):
        survey_gpkg.insert(path, "survey_areas", big)
    (disk / "filler").unlink()
    assert [name for name, _ in _read(path)] == ["kept"]


_KILLED = textwrap.dedent("""
    import sys, time
    from rare_earth_plugin import survey_gpkg
    with survey_gpkg.connect(sys.argv[1]) as db:  # killed inside the write: the transaction is open
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO survey_areas (name) VALUES ('half')")
        print("writing", flush=True)
        time.sleep(60)
""")


@pytest.mark.parametrize("journal", ["DELETE", "WAL"])
def test_sigkill_mid_write_keeps_every_committed_area(tmp_path, journal):
    path = _make(tmp_path / "s.gpkg")
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA journal_mode={journal}")
    survey_gpkg.insert(path, "survey_areas", [_square(0, "committed")])
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED, str(path)], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2]
    )
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    survey_gpkg.insert(path, "survey_areas", [_square(30, "next")])  # the next write recovers the journal
    assert [name for name, _ in _read(path)] == ["committed", "next"]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_after_each_write_the_gpkg_alone_holds_every_area(tmp_path):
    path = _make(tmp_path / "s.gpkg")
    keeper = sqlite3.connect(path, isolation_level=None)  # another reader keeps the WAL alive, as QGIS does
    keeper.execute("PRAGMA journal_mode=WAL")
    keeper.execute("SELECT count(*) FROM survey_areas").fetchone()
    try:
        for number in range(3):
            survey_gpkg.insert(path, "survey_areas", [_square(number * 20.0, f"area {number}")])
        copy = tmp_path / "copy" / "s.gpkg"
        copy.parent.mkdir()
        shutil.copyfile(path, copy)  # the .gpkg alone, as a user e-mails it
    finally:
        keeper.close()
    assert [name for name, _ in _read(copy)] == ["area 0", "area 1", "area 2"]


def test_an_older_table_gets_its_missing_fields(tmp_path):
    path = _make(tmp_path / "old.gpkg", fields=(("name", "string"),))
    assert survey_gpkg.migrate(path, "survey_areas", FIELDS) == ["created_utc", "ore_t", "grade_band"]
    assert survey_gpkg.migrate(path, "survey_areas", FIELDS) == []
    survey_gpkg.insert(path, "survey_areas", [_square(0, "a", created_utc="2025", ore_t=2.0, grade_band=1)])
    source = ogr.Open(str(path))
    feature = source.GetLayerByName("survey_areas").GetNextFeature()
    assert (feature.GetField("created_utc"), feature.GetField("ore_t"), feature.GetField("grade_band")) == (
        "2025",
        2.0,
        1,
    )


def test_a_file_without_the_layer_is_refused(tmp_path):
    path = tmp_path / "other.gpkg"
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    source.CreateLayer("something_else", None, ogr.wkbPoint)
    source.CreateLayer("survey_areas", None, ogr.wkbPoint)  # a name like ours, but points
    source = None
    with pytest.raises(GpkgWriteError, match="point geometries, not polygons"):
        survey_gpkg.migrate(path, "survey_areas", FIELDS)
    path = tmp_path / "other2.gpkg"
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    source.CreateLayer("something_else", None, ogr.wkbPoint)
    source = None
    with pytest.raises(GpkgWriteError, match="no 'survey_areas' layer"):
        survey_gpkg.migrate(path, "survey_areas", FIELDS)
    (tmp_path / "notes.gpkg").write_text("not a database")
    with pytest.raises(GpkgWriteError, match="not a readable GeoPackage"):
        survey_gpkg.migrate(tmp_path / "notes.gpkg", "survey_areas", FIELDS)
