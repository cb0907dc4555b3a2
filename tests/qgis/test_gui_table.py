"""The areas table: chosen features, recompute on input change, cancel, sorting, selection, rename/delete."""

from __future__ import annotations

import threading

import pytest
from gui_fixtures import (
    DENSITY,
    HIGH,
    LOW,
    THICKNESS,
    estimate_layer,
    set_inputs,
    wait_for_tasks,
)
from qgis.core import QgsCoordinateReferenceSystem, QgsGeometry, QgsVectorLayer
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QApplication

from rare_earth_plugin import survey_store
from rare_earth_plugin.areas import Area
from rare_earth_plugin.core.tonnage import TonnageResult
from rare_earth_plugin.gui import estimate_task
from rare_earth_plugin.gui.areas_model import KIND_FEATURE, SORT_ROLE, AreaRow, AreasModel, AreasSortProxy

pytest_plugins = ["gui_fixtures"]  # the dock, grid and settings fixtures


@pytest.fixture()
def chosen(dock, grade_grid, make_polygons, grid, qgis_iface, qtbot):
    """Two polygons: 'west' on 0.05 % cells (6 x 10 cells), 'east' on 0.15 % cells (4 x 10 cells)."""
    set_inputs(dock, grade_grid, cutoff=0.0)
    uri = make_polygons([(grid.box(2, 5, 8, 15), "west"), (grid.box(12, 5, 16, 15), "east")], name="mine")
    layer = QgsVectorLayer(uri, "my polygons", "ogr")
    rows = {row.name: row for row in estimate_layer(dock, layer, qgis_iface, qtbot)}
    assert set(rows) == {"west", "east"} and all(row.kind == KIND_FEATURE for row in rows.values())
    return layer, rows


def _all_messages(bar) -> list[str]:
    return [text for texts in bar.messages.values() for text in texts]


def _tonnes(cells: int) -> float:
    return cells * 100.0 * THICKNESS * DENSITY


def test_selected_features_are_estimated(chosen) -> None:
    _layer, rows = chosen
    assert rows["west"].result.ore_tonnes == pytest.approx(_tonnes(60), rel=1e-9)
    assert rows["east"].result.ore_tonnes == pytest.approx(_tonnes(40), rel=1e-9)
    assert rows["east"].result.mean_grade == pytest.approx(HIGH)
    assert rows["west"].result.treo_tonnes == pytest.approx(_tonnes(60) * LOW / 100, rel=1e-6)  # float32 grid


def test_changing_the_cutoff_recomputes_the_table(dock, chosen, qtbot) -> None:
    dock.inputs.cutoff.setValue(0.1)
    qtbot.waitUntil(lambda: all(r.result.cutoff == pytest.approx(0.1) for r in dock.model.rows()), timeout=30000)
    rows = {row.name: row for row in dock.model.rows()}
    assert rows["west"].result.ore_tonnes == 0.0
    assert rows["east"].result.ore_tonnes == pytest.approx(_tonnes(40), rel=1e-9)
    proxy = dock.table.proxy
    west = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data() == "west")
    assert proxy.index(west, AreasModel.ORE).data() == "0"
    assert proxy.index(west, AreasModel.GRADE).data() == "–"


def test_cancel_keeps_the_earlier_figures(dock, chosen, qtbot, monkeypatch) -> None:
    before = {row.key: row.result for row in dock.model.rows()}
    gate = threading.Event()
    started = threading.Event()
    real = estimate_task.curves_for_areas

    def held(*args, **kwargs):
        started.set()
        gate.wait(30)
        yield from real(*args, **kwargs)

    monkeypatch.setattr(estimate_task, "curves_for_areas", held)
    dock.inputs.cutoff.setValue(0.1)
    dock.recompute_all()
    assert dock.cancel_button.isVisibleTo(dock)
    qtbot.waitUntil(started.is_set, timeout=30000)
    dock.cancel_button.click()
    gate.set()
    wait_for_tasks(qtbot, dock)
    assert {row.key: row.result for row in dock.model.rows()} == before
    assert not dock.cancel_button.isVisibleTo(dock)


def test_sorting_compares_numbers_not_text() -> None:
    model = AreasModel()
    for number, tonnes in enumerate((9.8e6, 10.5e6, 2.0e6)):
        result = TonnageResult(1e6, 1e6, 1e6, 1e6, tonnes, 0.1, 0.0, 0.0, 1.0, 0.0)
        area = Area(f"a{number}", KIND_FEATURE, QgsGeometry(), QgsCoordinateReferenceSystem(), "layer", number)
        model.upsert(AreaRow(area, result))
    proxy = AreasSortProxy()
    proxy.setSourceModel(model)
    proxy.sort(AreasModel.ORE, Qt.SortOrder.DescendingOrder)
    assert [proxy.index(r, AreasModel.ORE).data() for r in range(3)] == ["10.5", "9.80", "2.00"]
    assert proxy.index(0, AreasModel.ORE).data(SORT_ROLE) == 10.5e6


def test_click_selects_zooms_and_shows_the_area(dock, chosen, qgis_canvas, qtbot) -> None:
    layer, rows = chosen
    layer.removeSelection()
    view = dock.table.view
    proxy = dock.table.proxy
    east = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data() == "east")
    rect = view.visualRect(proxy.index(east, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert layer.selectedFeatureIds() == [rows["east"].key[1]]
    assert qgis_canvas.extent().contains(rows["east"].area.geometry.boundingBox())
    assert dock.result.title.text() == "east"
    qtbot.waitUntil(lambda: bool(dock.result.curve), timeout=30000)
    dock.result.copy_button.click()
    lines = QApplication.clipboard().text().splitlines()
    assert lines[0].split("\t")[:4] == ["Area", "Cut-off (%)", "Area (km²)", "Ore (Mt)"]
    first = lines[1].split("\t")
    assert (
        first[0] == "east" and float(first[1]) == 0.0 and float(first[3]) == pytest.approx(_tonnes(40) / 1e6, abs=0.005)
    )
    assert len(lines) == 1 + len(dock.result.curve)


def test_rename_and_delete_write_through(dock, grade_grid, qtbot) -> None:
    set_inputs(dock, grade_grid, cutoff=0.0)
    x0, top, cell = grade_grid.x0, grade_grid.y0, grade_grid.cell
    first = dock.finish_survey(
        QgsGeometry.fromWkt(f"POLYGON(({x0} {top},{x0 + 5 * cell} {top},{x0 + 5 * cell} {top - 5 * cell},{x0} {top}))")
    )
    second = dock.finish_survey(
        QgsGeometry.fromWkt(
            f"POLYGON(({x0} {top - 6 * cell},{x0 + 5 * cell} {top - 6 * cell},{x0} {top - 9 * cell},"
            f"{x0} {top - 6 * cell}))"
        )
    )
    wait_for_tasks(qtbot, dock)
    dock.rename_area(first, "Trench A")
    dock.remove_area(second)
    reopened = QgsVectorLayer(f"{dock.store.path()}|layername={survey_store.LAYER_NAME}", "disk", "ogr")
    assert [(f.id(), f["name"]) for f in reopened.getFeatures()] == [(first[1], "Trench A")]
    assert dock.model.row_for(second) is None and dock.model.row_for(first).name == "Trench A"
    # The next default name is one no area on disk carries.
    assert dock.store.next_name() == "Survey area 2"


def test_errors_are_said_in_plain_words(dock, grade_grid, qgis_iface, qtbot) -> None:
    messages = qgis_iface.messageBar()
    messages.clear_messages()
    dock.recompute_all()
    assert any("No grade raster chosen" in text for text in _all_messages(messages))
    set_inputs(dock, grade_grid, cutoff=0.0)
    far = grade_grid.x0 + 50_000
    key = dock.finish_survey(
        QgsGeometry.fromWkt(
            f"POLYGON(({far} {grade_grid.y0},{far + 100} {grade_grid.y0},{far} {grade_grid.y0 - 100},"
            f"{far} {grade_grid.y0}))"
        )
    )
    wait_for_tasks(qtbot, dock)
    row = dock.model.row_for(key)
    notes = (row.error or "") + " ".join(row.result.warnings if row.result else ())
    assert "overlap" in notes or "outside" in notes
    assert any(row.name in text for text in _all_messages(messages))
