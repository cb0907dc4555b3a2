"""A drawn survey area is never lost, whatever the GeoPackage does: locked by another process, read-only,
on a full disk, an older schema, or named by a project file where it must not write. Checked on disk with a
fresh reader (GDAL through QGIS) and in the dock as the user sees it."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from gui_fixtures import set_inputs, wait_for_tasks
from osgeo import ogr, osr
from qgis.core import QgsCoordinateReferenceSystem, QgsGeometry, QgsProject, QgsVectorLayer

from rare_earth_plugin import survey_store
from rare_earth_plugin.core.tonnage import TonnageResult
from rare_earth_plugin.gui.areas_model import KIND_SURVEY
from rare_earth_plugin.layers import ROLE_PROPERTY
from rare_earth_plugin.settings import NAMESPACE
from rare_earth_plugin.survey_store import SurveyStore, SurveyStoreError

pytest_plugins = ["gui_fixtures"]  # the dock, grid and settings fixtures

UTM = QgsCoordinateReferenceSystem("EPSG:32643")


def _square(grid, col: float, size: float = 4) -> QgsGeometry:
    x0, top, cell = grid.x0, grid.y0, grid.cell
    x, y = x0 + col * cell, top - 2 * cell
    return QgsGeometry.fromWkt(
        f"POLYGON(({x} {y},{x + size * cell} {y},{x + size * cell} {y - size * cell},{x} {y - size * cell},{x} {y}))"
    )


def _on_disk(path: Path) -> list[str]:
    layer = QgsVectorLayer(f"{path}|layername={survey_store.LAYER_NAME}", "fresh", "ogr")
    assert layer.isValid(), path
    return [feature["name"] for feature in layer.getFeatures()]


def _bar_text(iface) -> str:
    item = iface.messageBar().currentItem()
    return item.text() if item is not None else ""


@pytest.fixture()
def drawn(dock, grade_grid, qtbot):
    """The dock with one area saved, so the GeoPackage exists; returns (dock, grid, path)."""
    set_inputs(dock, grade_grid, cutoff=0.1)
    assert dock.finish_survey(_square(grade_grid, 1)) is not None
    wait_for_tasks(qtbot, dock)
    path = dock.store.path()
    assert _on_disk(path) == ["Survey area 1"]
    return dock, grade_grid, path


def test_a_locked_geopackage_neither_freezes_qgis_nor_loses_the_area(drawn, sqlite_lock, qgis_iface, qtbot):
    dock, grid, path = drawn
    with sqlite_lock(path):
        started = time.monotonic()
        key = dock.finish_survey(_square(grid, 8))
        waited = time.monotonic() - started
        assert key is not None and waited < 5.0  # was 20 s on the GUI thread, then the area was gone
        pending = survey_store.find_pending(QgsProject.instance())
        assert pending is not None and key[0] == pending.id()
        assert dock.model.row_for(key).name == "Survey area 2" and dock.model.row_for(key).kind == KIND_SURVEY
        assert "locked" in _bar_text(qgis_iface) and "not saved" in dock.survey_label.text()
        wait_for_tasks(qtbot, dock)
        assert dock.model.row_for(key).result is not None  # estimated like any area
        assert not dock.retry_saving()  # still locked: kept, and said again
        assert survey_store.find_pending(QgsProject.instance()) is not None
    assert dock.retry_saving()
    wait_for_tasks(qtbot, dock)
    assert _on_disk(path) == ["Survey area 1", "Survey area 2"]
    assert survey_store.find_pending(QgsProject.instance()) is None
    assert [row.name for row in dock.model.rows() if row.kind == KIND_SURVEY] == ["Survey area 1", "Survey area 2"]


def test_a_read_only_geopackage_keeps_the_area_and_saves_it_elsewhere(drawn, immutable, qgis_iface, tmp_path):
    dock, grid, path = drawn
    immutable(path)
    assert "read-only" in dock.store.check()
    key = dock.finish_survey(_square(grid, 8))
    assert key is not None and key[0] == survey_store.find_pending(QgsProject.instance()).id()
    message = _bar_text(qgis_iface)
    assert "read-only" in message and not message.rstrip().endswith(":")
    elsewhere = tmp_path / "elsewhere.gpkg"
    dock.use_survey_file(elsewhere)  # "Save elsewhere…"
    assert _on_disk(elsewhere) == ["Survey area 2"]
    assert _on_disk(path) == ["Survey area 1"]
    assert survey_store.find_pending(QgsProject.instance()) is None


def test_a_full_disk_keeps_the_area_in_the_session(small_disk, dock, grade_grid, qtbot):
    # small_disk first: set up before the dock, so it is unmounted only after the dock has let its file go
    disk = small_disk(1024)
    path = disk / "areas.gpkg"
    dock.use_survey_file(path)
    set_inputs(dock, grade_grid, cutoff=0.1)
    assert dock.finish_survey(_square(grade_grid, 1)) is not None
    wait_for_tasks(qtbot, dock)
    (disk / "filler").write_bytes(b"\0" * shutil.disk_usage(disk).free)
    wait_for_tasks(qtbot, dock)
    big = QgsGeometry.fromWkt(_many_vertices(grade_grid))  # a polygon larger than the space left
    key = dock.finish_survey(big)
    assert key is not None and key[0] == survey_store.find_pending(QgsProject.instance()).id()
    wait_for_tasks(qtbot, dock)
    (disk / "filler").unlink()
    assert dock.retry_saving()
    assert _on_disk(path) == ["Survey area 1", "Survey area 2"]


def _many_vertices(grid, count: int = 20000) -> str:
    import math

    cx, cy, radius = grid.x0 + 100, grid.y0 - 100, 60.0
    ring = [
        (cx + radius * math.cos(2 * math.pi * k / count), cy + radius * math.sin(2 * math.pi * k / count))
        for k in range(count)
    ]
    ring.append(ring[0])
    return "POLYGON((" + ",".join(f"{x} {y}" for x, y in ring) + "))"


def _old_file(path: Path, fields=("name",)) -> Path:
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32643)
    layer = source.CreateLayer(survey_store.LAYER_NAME, srs, ogr.wkbMultiPolygon)
    for name in fields:
        layer.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    source = None
    return path


def test_an_older_schema_is_migrated_and_results_really_written(dock, grade_grid, tmp_path, qtbot):
    path = _old_file(tmp_path / "old.gpkg")
    dock.use_survey_file(path)
    set_inputs(dock, grade_grid, cutoff=0.1)
    key = dock.finish_survey(_square(grade_grid, 10))
    assert key is not None and survey_store.find_pending(QgsProject.instance()) is None
    wait_for_tasks(qtbot, dock)
    layer = QgsVectorLayer(f"{path}|layername={survey_store.LAYER_NAME}", "fresh", "ogr")
    feature = next(layer.getFeatures())
    assert feature["created_utc"] and feature["ore_t"] == pytest.approx(dock.model.row_for(key).result.ore_tonnes)


def test_an_older_schema_that_cannot_be_changed_is_refused_before_drawing(dock, tmp_path, immutable):
    path = _old_file(tmp_path / "old.gpkg")
    immutable(path)
    dock.use_survey_file(path)
    problem = dock.store.check()
    assert "lacks fields" in problem and str(path) in problem


def test_write_result_never_reports_success_while_writing_nothing(drawn):
    dock, _grid, path = drawn
    layer = survey_store.find_layer(QgsProject.instance())
    result = TonnageResult(
        polygon_area_m2=1.0,
        covered_area_m2=1.0,
        ore_area_m2=1.0,
        ore_volume_m3=1.0,
        ore_tonnes=2.0,
        mean_grade=0.1,
        treo_tonnes=3.0,
        tree_tonnes=2.5,
        data_coverage=1.0,
        cutoff=0.1,
    )
    with pytest.raises(SurveyStoreError):
        dock.store.write_result((layer.id(), 999), result)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM survey_areas").fetchone()[0] == 1


def test_a_project_cannot_point_the_store_anywhere(qgis_new_project, clean_settings, tmp_path):
    project_file = tmp_path / "work" / "site.qgz"
    project_file.parent.mkdir()
    qgis_new_project.setFileName(str(project_file))
    store = SurveyStore(qgis_new_project)
    outside = tmp_path / "elsewhere" / "made" / "areas.gpkg"
    for stored in (str(outside), str(project_file.parent / "areas.txt"), "../escape.gpkg"):
        qgis_new_project.writeEntry(NAMESPACE, survey_store.PROJECT_KEY, stored)
        assert store.path() == project_file.parent / "site_survey_areas.gpkg", stored
    qgis_new_project.writeEntry(NAMESPACE, survey_store.PROJECT_KEY, "data/areas.gpkg")
    (project_file.parent / "data").mkdir()
    assert store.path() == project_file.parent / "data" / "areas.gpkg"
    survey_store.trust_path(outside)  # chosen in the dialog: allowed from now on
    qgis_new_project.writeEntry(NAMESPACE, survey_store.PROJECT_KEY, str(outside))
    assert store.path() == outside
    with pytest.raises(SurveyStoreError, match="does not exist"):
        store.layer()  # no folder is created for a path a project named
    assert not (tmp_path / "elsewhere").exists()


def test_unsaved_projects_do_not_share_survey_areas(qgis_new_project, clean_settings):
    store = SurveyStore(qgis_new_project)
    first = store.path()
    store.add("Survey area 1", QgsGeometry.fromWkt("POLYGON((0 0,10 0,10 10,0 0))"), UTM, None, UTM)
    qgis_new_project.clear()
    store.new_session()
    assert store.path() != first and store.next_name() == "Survey area 1"
    shutil.rmtree(first.parent, ignore_errors=True)


def test_first_save_moves_the_session_areas_beside_the_project(dock, grade_grid, qgis_new_project, tmp_path, qtbot):
    qgis_new_project.removeEntry(NAMESPACE, survey_store.PROJECT_KEY)
    dock.store.new_session()
    set_inputs(dock, grade_grid, cutoff=0.1)
    assert dock.finish_survey(_square(grade_grid, 1)) is not None
    wait_for_tasks(qtbot, dock)
    session_file = dock.store.path()
    assert session_file == dock.store.session_path() and _on_disk(session_file) == ["Survey area 1"]

    project_file = tmp_path / "site" / "site.qgz"
    project_file.parent.mkdir()
    assert qgis_new_project.write(str(project_file))
    beside = project_file.parent / "site_survey_areas.gpkg"
    assert dock.store.path() == beside and _on_disk(beside) == ["Survey area 1"]
    assert not session_file.exists()
    assert str(beside) in dock.survey_label.text().replace("\u200b", "")
    assert dock.finish_survey(_square(grade_grid, 8)) is not None  # later areas go there too
    wait_for_tasks(qtbot, dock)
    assert _on_disk(beside) == ["Survey area 1", "Survey area 2"]

    reopened = QgsProject()
    assert reopened.read(str(project_file))
    layer = survey_store.find_layer(reopened)
    assert layer is not None and layer.isValid() and Path(layer.source().split("|")[0]) == beside
    assert SurveyStore(reopened).configured_path() == beside
    reopened.clear()


def test_a_foreign_table_with_our_name_is_never_overwritten(dock, grade_grid, tmp_path):
    path = tmp_path / "theirs.gpkg"
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    table = source.CreateLayer(survey_store.LAYER_NAME, None, ogr.wkbNone)  # attributes only
    table.CreateField(ogr.FieldDefn("note", ogr.OFTString))
    row = ogr.Feature(table.GetLayerDefn())
    row.SetField("note", "their data")
    table.CreateFeature(row)
    source = None
    dock.use_survey_file(path)
    assert "not a polygon layer" in dock.store.check()
    key = dock.finish_survey(_square(grade_grid, 1))
    assert key is not None and key[0] == survey_store.find_pending(QgsProject.instance()).id()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT note FROM survey_areas").fetchall() == [("their data",)]


def test_a_survey_layer_a_project_points_elsewhere_is_never_written(qgis_new_project, clean_settings, tmp_path):
    project_file = tmp_path / "work" / "site.qgz"
    project_file.parent.mkdir()
    qgis_new_project.setFileName(str(project_file))
    (tmp_path / "system").mkdir()
    outside = _old_file(tmp_path / "system" / "areas.gpkg", fields=("name", "created_utc"))
    before = outside.read_bytes()
    layer = QgsVectorLayer(f"{outside}|layername={survey_store.LAYER_NAME}", "planted", "ogr")
    layer.setCustomProperty(ROLE_PROPERTY, survey_store.ROLE_SURVEY)
    qgis_new_project.addMapLayer(layer)
    store = SurveyStore(qgis_new_project)
    stored = store.add("x", QgsGeometry.fromWkt("POLYGON((0 0,10 0,10 10,0 0))"), UTM, None, UTM)
    assert not stored.unsaved_reason
    assert store.path() == project_file.parent / "site_survey_areas.gpkg"
    assert _on_disk(store.path()) == ["x"] and outside.read_bytes() == before
    qgis_new_project.removeAllMapLayers()


def test_unsaved_areas_are_saved_by_the_next_drawing_or_the_retry_timer(drawn, sqlite_lock, qtbot):
    dock, grid, path = drawn
    with sqlite_lock(path):
        dock.finish_survey(_square(grid, 8))
        assert dock.retry_timer.isActive()
        dock.retry_timer.timeout.emit()  # the timer fires while still locked: nothing lost, still pending
        assert dock.store.pending_count() == 1
    dock.finish_survey(_square(grid, 14))
    wait_for_tasks(qtbot, dock)
    assert _on_disk(path) == ["Survey area 1", "Survey area 2", "Survey area 3"]
    assert dock.store.pending_count() == 0 and not dock.retry_timer.isActive()
