"""Drawing survey areas on the canvas: stored at once in the GeoPackage with the engine's figures."""

from __future__ import annotations

from datetime import datetime

import pytest
from gui_fixtures import (
    CELLS,
    DENSITY,
    HIGH,
    THICKNESS,
    map_point,
    pixel,
    set_inputs,
    show_extent,
    wait_for_tasks,
)
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsGeometry,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QEvent, QPointF, Qt
from qgis.PyQt.QtGui import QMouseEvent
from qgis.PyQt.QtWidgets import QApplication

from rare_earth_plugin import survey_store
from rare_earth_plugin.estimation import estimate_geometry
from rare_earth_plugin.gui.areas_model import KIND_SURVEY

pytest_plugins = ["gui_fixtures"]  # the dock, grid and settings fixtures


def _stored(dock) -> list:
    """The survey features as a fresh reader sees them on disk (what survives a crash)."""
    path = dock.store.path()
    layer = QgsVectorLayer(f"{path}|layername={survey_store.LAYER_NAME}", "reopened", "ogr")
    assert layer.isValid()
    return list(layer.getFeatures()), layer.crs()


def _click_polygon(qtbot, canvas, corners) -> list:
    """Left-click each corner on the canvas viewport; returns the map points the clicks stand for."""
    points = []
    for x, y in corners:
        position = pixel(canvas, x, y)
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=position)
        points.append(map_point(canvas, position))
    return points


@pytest.fixture()
def drawing(dock, grade_grid, qgis_canvas):
    set_inputs(dock, grade_grid, cutoff=0.1)
    show_extent(qgis_canvas, grade_grid.extent)
    dock.draw_action.trigger()
    assert qgis_canvas.mapTool() is dock.tool
    return dock, grade_grid, qgis_canvas


def test_drawn_area_is_stored_with_the_engine_estimate(drawing, qtbot) -> None:
    dock, grid, canvas = drawing
    x0, top, cell = grid.x0, grid.y0, grid.cell
    corners = [
        (x0 + 5 * cell, top - 4 * cell),
        (x0 + 15 * cell, top - 4 * cell),
        (x0 + 15 * cell, top - 12 * cell),
        (x0 + 5 * cell, top - 12 * cell),
    ]
    points = _click_polygon(qtbot, canvas, corners)
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.RightButton, pos=pixel(canvas, *corners[0]))
    wait_for_tasks(qtbot, dock)

    features, crs = _stored(dock)
    assert len(features) == 1
    feature = features[0]
    drawn = QgsGeometry.fromPolygonXY([[*points, points[0]]])
    stored = QgsGeometry(feature.geometry())  # the store keeps its own CRS: compare in the canvas's
    stored.transform(QgsCoordinateTransform(crs, canvas.mapSettings().destinationCrs(), QgsProject.instance()))
    assert stored.area() == pytest.approx(drawn.area(), rel=1e-5)  # straight edges bend slightly in another CRS
    assert feature["name"] == "Survey area 1"
    assert datetime.fromisoformat(feature["created_utc"]).utcoffset().total_seconds() == 0
    assert feature["grade_file"] == grid.path and feature["cutoff"] == pytest.approx(0.1)
    assert feature["thickness_m"] == THICKNESS and feature["density"] == DENSITY
    assert feature["grade_unit"] == "percent" and feature["grade_band"] == 1

    direct = estimate_geometry(feature.geometry(), crs, dock.inputs.inputs())
    assert feature["ore_t"] == pytest.approx(direct.ore_tonnes, rel=1e-9)
    assert feature["treo_t"] == pytest.approx(direct.treo_tonnes, rel=1e-9)
    assert feature["area_m2"] == pytest.approx(direct.polygon_area_m2, rel=1e-9)
    # By hand: only the right half (0.15 %) is above the 0.1 % cut-off.
    right_half = QgsRectangle(x0 + CELLS // 2 * cell, top - CELLS * cell, x0 + CELLS * cell, top)
    ore_area = drawn.intersection(QgsGeometry.fromRect(right_half)).area()
    assert feature["ore_t"] == pytest.approx(ore_area * THICKNESS * DENSITY, rel=1e-5)  # stored in another CRS
    assert feature["grade_mean"] == pytest.approx(HIGH, rel=1e-6)
    assert feature["coverage"] == pytest.approx(1.0)

    rows = [row for row in dock.model.rows() if row.kind == KIND_SURVEY]
    assert len(rows) == 1 and rows[0].result.ore_tonnes == pytest.approx(direct.ore_tonnes, rel=1e-9)
    assert dock.selected == rows[0].key
    shown = dock.result.labels["ore"].text()  # three significant figures of Mt
    assert shown.endswith(" Mt") and float(shown.split()[0].replace(",", "")) == pytest.approx(
        direct.ore_tonnes / 1e6, rel=5e-3
    )
    layer = survey_store.find_layer(QgsProject.instance())
    group = QgsProject.instance().layerTreeRoot().findGroup(survey_store.GROUP_NAME)
    assert group is not None and group.findLayer(layer.id()) is not None


def test_backspace_removes_a_vertex_and_escape_cancels(drawing, qtbot) -> None:
    dock, grid, canvas = drawing
    x0, top, cell = grid.x0, grid.y0, grid.cell
    _click_polygon(
        qtbot,
        canvas,
        [(x0 + 2 * cell, top - 2 * cell), (x0 + 8 * cell, top - 2 * cell), (x0 + 8 * cell, top - 8 * cell)],
    )
    assert len(dock.tool.vertices) == 3
    qtbot.keyClick(canvas, Qt.Key.Key_Backspace)
    assert len(dock.tool.vertices) == 2
    # Two vertices cannot finish: the tool says so and keeps drawing.
    with qtbot.waitSignal(dock.tool.message):
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.RightButton, pos=pixel(canvas, x0, top))
    assert len(dock.tool.vertices) == 2
    with qtbot.waitSignal(dock.tool.cancelled):
        qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert not dock.tool.vertices and dock.tool.band.numberOfVertices() == 0
    wait_for_tasks(qtbot, dock)
    assert not dock.store.path().exists() or not _stored(dock)[0]


def test_double_click_finishes_without_an_extra_vertex(drawing, qtbot) -> None:
    dock, grid, canvas = drawing
    x0, top, cell = grid.x0, grid.y0, grid.cell
    corners = [(x0 + 2 * cell, top - 2 * cell), (x0 + 8 * cell, top - 2 * cell), (x0 + 8 * cell, top - 8 * cell)]
    _click_polygon(qtbot, canvas, corners[:2])
    last = pixel(canvas, *corners[2])
    with qtbot.waitSignal(dock.tool.finished) as finished:
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=last)  # a double click: click, then double
        qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=last)
    assert finished.args[0].constGet().exteriorRing().numPoints() == 4  # 3 vertices, closed
    wait_for_tasks(qtbot, dock)
    assert len(_stored(dock)[0]) == 1


def test_live_estimate_while_drawing(drawing, qtbot) -> None:
    dock, grid, canvas = drawing
    x0, top, cell = grid.x0, grid.y0, grid.cell
    _click_polygon(qtbot, canvas, [(x0 + 12 * cell, top - 2 * cell), (x0 + 18 * cell, top - 2 * cell)])
    # QTest.mouseMove moves the system cursor, which offscreen has none: send the move event itself.
    position = pixel(canvas, x0 + 18 * cell, top - 8 * cell)
    QApplication.sendEvent(
        canvas.viewport(),
        QMouseEvent(
            QEvent.Type.MouseMove,
            QPointF(position),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        ),
    )
    assert dock.tool.cursor_point is not None
    qtbot.waitUntil(lambda: dock.result.title.text() == "Survey area being drawn", timeout=30000)
    assert dock.result.result is not None and dock.result.result.ore_tonnes > 0
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    wait_for_tasks(qtbot, dock)


@pytest.mark.parametrize("canvas_crs", ["EPSG:3857", "EPSG:4326", "EPSG:32643", "EPSG:6933"])
def test_estimate_does_not_depend_on_the_map_crs(dock, grade_grid, qgis_canvas, qtbot, canvas_crs) -> None:
    set_inputs(dock, grade_grid, cutoff=0.0)
    x0, top, cell = grade_grid.x0, grade_grid.y0, grade_grid.cell
    utm = QgsGeometry.fromRect(QgsRectangle(x0 + 3 * cell, top - 17 * cell, x0 + 16 * cell, top - 3 * cell))
    crs = QgsCoordinateReferenceSystem(canvas_crs)
    qgis_canvas.setDestinationCrs(crs)
    drawn = QgsGeometry(utm)
    drawn.transform(QgsCoordinateTransform(grade_grid.layer.crs(), crs, QgsProject.instance()))
    key = dock.finish_survey(drawn)
    wait_for_tasks(qtbot, dock)
    expected = 13 * 14 * cell * cell * THICKNESS * DENSITY
    assert dock.model.row_for(key).result.ore_tonnes == pytest.approx(expected, rel=1e-4)
    features, stored_crs = _stored(dock)
    assert stored_crs == grade_grid.layer.crs()
    assert features[0]["ore_t"] == pytest.approx(expected, rel=1e-4)


def test_self_crossing_area_is_repaired_and_said_so(dock, grade_grid, qgis_iface, qtbot) -> None:
    set_inputs(dock, grade_grid, cutoff=0.0)
    x0, top, cell = grade_grid.x0, grade_grid.y0, grade_grid.cell
    bowtie = QgsGeometry.fromWkt(
        f"POLYGON(({x0} {top},{x0 + 10 * cell} {top - 10 * cell},{x0 + 10 * cell} {top},"
        f"{x0} {top - 10 * cell},{x0} {top}))"
    )
    qgis_iface.messageBar().clear_messages()
    key = dock.finish_survey(bowtie)
    wait_for_tasks(qtbot, dock)
    assert any("repaired" in text for texts in qgis_iface.messageBar().messages.values() for text in texts)
    # Two triangles of a quarter of the 10 x 10 cell square each.
    assert dock.model.row_for(key).result.polygon_area_m2 == pytest.approx(50 * cell * cell, rel=1e-7)  # Geod
