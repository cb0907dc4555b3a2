"""Regressions found in the release review: each test failed before its fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import processing
import pytest
from conftest import GRID_CRS
from gui_fixtures import wait_for_tasks
from osgeo import ogr
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFillSymbol,
    QgsGeometry,
    QgsProcessingException,
    QgsProject,
    QgsVectorLayer,
)

from rare_earth_plugin import survey_store
from rare_earth_plugin.core import catalogue
from rare_earth_plugin.gui.export_dialog import ExportReportDialog
from rare_earth_plugin.layers import load_sample_layers
from rare_earth_plugin.paths import sample_data
from rare_earth_plugin.processing import export_report

pytest_plugins = ["gui_fixtures"]  # the dock, grid and settings fixtures


def test_area_drawn_before_any_grade_raster_is_kept_not_a_traceback(dock, grid, qtbot) -> None:
    assert dock.current_inputs() is None  # nothing chosen under Inputs
    key = dock.finish_survey(QgsGeometry.fromWkt(grid.box(1, 1, 5, 4)))
    assert key is not None
    reopened = QgsVectorLayer(f"{dock.store.path()}|layername={survey_store.LAYER_NAME}", "reopened", "ogr")
    [feature] = list(reopened.getFeatures())
    stored = QgsGeometry(feature.geometry())  # kept in the default CRS: back to the grid's to measure it
    stored.transform(
        QgsCoordinateTransform(reopened.crs(), QgsCoordinateReferenceSystem(GRID_CRS), QgsProject.instance())
    )
    assert stored.area() == pytest.approx(4 * 3 * grid.cell**2)
    assert not feature["grade_file"] and not feature["ore_t"]
    wait_for_tasks(qtbot, dock)


def test_report_dialog_skips_a_layer_whose_file_is_gone(qgis_new_project, tmp_path, qtbot) -> None:
    project = QgsProject.instance()
    load_sample_layers(project)
    copy = tmp_path / "moved.gpkg"
    shutil.copy(sample_data(catalogue.ZONES_FILE), copy)
    broken = QgsVectorLayer(f"{copy}|layername={catalogue.ZONES_LAYER}", "moved zones", "ogr")
    project.addMapLayer(broken)
    project_file = tmp_path / "project.qgz"
    assert project.write(str(project_file))
    project.clear()
    copy.unlink()
    assert project.read(str(project_file))
    assert any(not layer.isValid() for layer in project.mapLayers().values())
    dialog = ExportReportDialog(project)  # raised ReportError from its constructor before
    qtbot.addWidget(dialog)
    names = [dialog.tree.topLevelItem(i).text(0) for i in range(dialog.tree.topLevelItemCount())]
    assert "moved zones" not in names and len(names) == 1


def test_report_dialog_combos_list_only_rasters(qgis_new_project, qtbot) -> None:
    project = QgsProject.instance()
    sample = load_sample_layers(project)
    dialog = ExportReportDialog(project)
    qtbot.addWidget(dialog)
    assert dialog.grade.currentLayer() is sample.grade
    listed = {dialog.grade.layer(i) for i in range(dialog.grade.count())}
    assert sample.zones not in listed and sample.thickness in listed


def _no_crs_polygons(tmp_path: Path, wkt: str) -> str:
    path = tmp_path / "no_crs.shp"  # no .prj: the layer has no CRS
    source = ogr.GetDriverByName("ESRI Shapefile").CreateDataSource(str(path))
    layer = source.CreateLayer("no_crs", None, ogr.wkbPolygon)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
    layer.CreateFeature(feature)
    source = None
    return str(path)


def test_report_of_a_layer_without_crs_names_the_input(
    rare_earth_provider, make_raster, grid, tmp_path, feedback
) -> None:
    grade = make_raster(np.full((10, 10), 0.2))
    areas = _no_crs_polygons(tmp_path, grid.box(1, 1, 3, 3))
    assert not QgsVectorLayer(areas, "no crs", "ogr").crs().isValid()
    with pytest.raises(QgsProcessingException) as raised:
        processing.run(
            "rareearth:exportreport",
            {"INPUT": areas, "GRADE": grade, "THICKNESS": 1, "OUTPUT_PDF": str(tmp_path / "r.pdf")},
            feedback=feedback,
        )
    message = " ".join([str(raised.value), *feedback.errors])
    assert "INPUT: layer 'no_crs' has no CRS" in message  # the layer QGIS names after its file
    assert not (tmp_path / "r.pdf").exists()


def test_report_from_a_file_draws_areas_as_outlines_over_the_grades(
    rare_earth_provider, make_raster, make_polygons, grid, tmp_path, monkeypatch
) -> None:
    """QGIS's default style for a layer Processing loads from a path is an opaque fill hiding the grades."""
    grade = make_raster(np.full((10, 10), 0.2))
    zones = make_polygons([(grid.box(1, 1, 5, 4), "block")])
    fill_alphas = []
    real_write = export_report.write_report

    def spy(results, inputs, layers, meta, targets, **options):
        fill_alphas.extend(layer.renderer().symbol().color().alpha() for layer in layers.area_layers)
        return real_write(results, inputs, layers, meta, targets)

    monkeypatch.setattr(export_report, "write_report", spy)
    processing.run(
        "rareearth:exportreport",
        {"INPUT": zones, "GRADE": grade, "THICKNESS": 1, "OUTPUT_PDF": str(tmp_path / "r.pdf")},
    )
    assert (tmp_path / "r.pdf").is_file()
    assert fill_alphas == [0]


def test_report_keeps_the_style_of_a_project_layer(
    rare_earth_provider, make_raster, make_polygons, grid, tmp_path, monkeypatch, qgis_new_project
) -> None:
    grade = make_raster(np.full((10, 10), 0.2))
    zones = QgsVectorLayer(make_polygons([(grid.box(1, 1, 5, 4), "block")]), "zones", "ogr")
    zones.renderer().setSymbol(QgsFillSymbol.createSimple({"color": "255,0,0,255"}))
    QgsProject.instance().addMapLayer(zones)
    monkeypatch.setattr(export_report, "write_report", lambda *args, **options: [])
    processing.run(
        "rareearth:exportreport",
        {"INPUT": zones, "GRADE": grade, "THICKNESS": 1, "OUTPUT_PDF": str(tmp_path / "r.pdf")},
    )
    assert zones.renderer().symbol().color().alpha() == 255


def test_report_names_each_feature_it_leaves_out_or_warns_about(
    rare_earth_provider, make_raster, make_polygons, grid, tmp_path, feedback
) -> None:
    """A feature without geometry vanished from exportreport without a word, and the areas' own warnings (outside
    the raster, repaired) reached the PDF and CSV but not the log, as they do in the other algorithms."""
    zones = make_polygons(
        [
            (grid.box(1, 1, 5, 4), "good"),
            (None, "no geometry"),
            (grid.box(30, 30, 33, 33), "far away"),
        ]
    )
    grade = make_raster(np.full((10, 10), 0.2))
    processing.run(
        "rareearth:exportreport",
        {"INPUT": zones, "GRADE": grade, "THICKNESS": 1, "OUTPUT_PDF": str(tmp_path / "r.pdf")},
        feedback=feedback,
    )
    assert any(message.startswith("no geometry: the feature has no geometry") for message in feedback.errors)
    assert any(message.startswith("far away: The polygon does not overlap") for message in feedback.warnings)
    assert (tmp_path / "r.pdf").is_file()
