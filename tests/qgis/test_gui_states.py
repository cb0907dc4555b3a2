"""The dock says what is true: stale figures marked, one live estimate, Esc, delete, new project, reload."""

from __future__ import annotations

import pytest
from gui_fixtures import DENSITY, HIGH, THICKNESS, estimate_layer, set_inputs, wait_for_tasks
from qgis.core import QgsGeometry, QgsProject, QgsVectorLayer

from rare_earth_plugin.gui.areas_model import STALE_TIP, AreasModel
from rare_earth_plugin.gui.dock import LIVE, SKETCH_TITLE, ExplorerDock
from rare_earth_plugin.settings import NAMESPACE as PROJECT_SCOPE

pytest_plugins = ["gui_fixtures"]


@pytest.fixture()
def one_area(dock, grade_grid, make_polygons, grid, qgis_iface, qtbot):
    """One chosen polygon on the 0.15 % half: 4 x 10 cells."""
    set_inputs(dock, grade_grid, cutoff=0.0)
    layer = QgsVectorLayer(make_polygons([(grid.box(12, 5, 16, 15), "east")], name="mine"), "mine", "ogr")
    [row] = estimate_layer(dock, layer, qgis_iface, qtbot)
    return row


def _tooltip(model: AreasModel, row_index: int = 0) -> str:
    from qgis.PyQt.QtCore import Qt

    return model.data(model.index(row_index, AreasModel.ORE), Qt.ItemDataRole.ToolTipRole) or ""


def test_fresh_figures_match_a_hand_count_and_are_not_stale(dock, one_area) -> None:
    tonnes = 40 * 10.0 * 10.0 * THICKNESS * DENSITY  # 40 cells of 100 m² at HIGH grade
    assert one_area.result.ore_tonnes == pytest.approx(tonnes)
    assert one_area.result.mean_grade == pytest.approx(HIGH)
    assert not dock.model.is_stale(one_area) and _tooltip(dock.model) != STALE_TIP


def test_cancelled_recompute_leaves_the_old_figures_marked_stale(dock, one_area, qtbot) -> None:
    old_tonnes = one_area.result.ore_tonnes  # the row object is updated in place
    held = []
    launch, dock.slots._launch = dock.slots._launch, held.append  # tasks "run" until we end them
    dock.inputs.thickness.setValue(THICKNESS * 2)  # a new input: the old figures are of other inputs
    qtbot.waitUntil(lambda: bool(held))
    dock.cancel_estimates()
    for task in held:
        assert task.isCanceled()
        task.finished(False)  # what QGIS calls when a cancelled task returns
    dock.slots._launch = launch
    assert not dock.is_busy()
    [row] = dock.model.rows()
    assert row.result.ore_tonnes == pytest.approx(old_tonnes)  # kept, not lost
    assert dock.model.is_stale(row) and _tooltip(dock.model) == STALE_TIP
    dock.select_area(row.key, zoom=False)
    assert "earlier inputs" in dock.result.title.text() and not dock.result.copy_button.isEnabled()
    dock.recompute_all()  # F5: fresh figures at the new thickness
    wait_for_tasks(qtbot, dock)
    [row] = dock.model.rows()
    assert row.result.ore_tonnes == pytest.approx(2 * old_tonnes)
    assert not dock.model.is_stale(row)


def test_clearing_the_grade_raster_marks_the_figures_stale(dock, one_area, qtbot) -> None:
    dock.inputs.grade_layer.setLayer(None)
    wait_for_tasks(qtbot, dock)
    assert dock.current_inputs() is None
    assert dock.model.is_stale(dock.model.rows()[0])


def test_a_reloaded_dock_estimates_the_areas_it_finds(dock, one_area, grade_grid, qgis_iface, qtbot) -> None:
    layer = QgsProject.instance().mapLayer(one_area.key[0])
    from rare_earth_plugin.layers import ROLE_PROPERTY, ROLE_ZONES

    layer.setCustomProperty(ROLE_PROPERTY, ROLE_ZONES)  # the project's zones: a new dock lists them
    again = ExplorerDock(qgis_iface, debounce_ms=0)
    try:
        wait_for_tasks(qtbot, again)
        [row] = again.model.rows()
        assert row.result is not None and row.result.ore_tonnes == pytest.approx(one_area.result.ore_tonnes)
    finally:
        again.unload()
        again.deleteLater()


def test_one_live_estimate_at_a_time_and_esc_clears_the_sketch_figures(dock, grade_grid, grid, qtbot) -> None:
    set_inputs(dock, grade_grid, cutoff=0.0)
    wait_for_tasks(qtbot, dock)
    square = QgsGeometry.fromWkt(grid.box(12, 5, 16, 15))
    dock.tool.sketch_geometry = lambda: square  # what the map tool would hand over mid-drawing
    dock.tool.vertices = [object()] * 4
    dock._live_estimate()
    first = dock.slots.current(LIVE)
    dock._live_estimate()
    second = dock.slots.current(LIVE)
    assert first is not second and first.isCanceled() and not second.isCanceled()
    assert sum(1 for task in dock.slots.running() if task.description() == "Rare Earth: live estimate") <= 2
    wait_for_tasks(qtbot, dock)
    assert dock.result.title.text() == SKETCH_TITLE
    assert dock.result.result.ore_tonnes == pytest.approx(40 * 100.0 * THICKNESS * DENSITY)
    assert "Computing" not in " ".join(t.get_text() for t in dock.result.chart.figure.axes[0].texts)
    dock.tool.cancelled.emit()
    assert dock.result.title.text() == "No area selected" and dock.result.result is None


def test_deleting_an_area_keeps_the_map_where_it_is(dock, grade_grid, grid, qgis_canvas, qtbot) -> None:
    set_inputs(dock, grade_grid, cutoff=0.0)
    first = dock.finish_survey(QgsGeometry.fromWkt(grid.box(1, 1, 5, 4)))
    second = dock.finish_survey(QgsGeometry.fromWkt(grid.box(12, 12, 16, 16)))
    wait_for_tasks(qtbot, dock)
    dock.table.select_key(first)
    dock.select_area(first)
    before = qgis_canvas.extent()
    dock.remove_area(first)
    assert dock.model.row_for(second) is not None
    assert qgis_canvas.extent() == before


def test_new_project_has_no_popup_and_no_plugin_entries(dock, grade_grid, qgis_iface, qtbot) -> None:
    set_inputs(dock, grade_grid, cutoff=0.05)
    wait_for_tasks(qtbot, dock)
    messages = qgis_iface.messageBar()
    messages.clear_messages()
    project = QgsProject.instance()
    project.clear()  # File > New project
    wait_for_tasks(qtbot, dock)
    qtbot.wait(20)
    texts = [text for group in messages.messages.values() for text in group]
    assert not any("No grade raster" in text for text in texts)
    assert not project.subkeyList(PROJECT_SCOPE, "inputs") and not project.entryList(PROJECT_SCOPE, "inputs")


def test_a_superseded_live_estimate_stops_mid_area(dock, grade_grid, grid, qtbot, monkeypatch) -> None:
    """A slow read (each tile waits until the test lets it go, then takes 50 ms): the first sketch's task is
    cancelled between two of its tiles when the second sketch arrives, and only the second one's figures are
    shown."""
    import threading
    import time

    from rare_earth_plugin.core import limits as engine_limits
    from rare_earth_plugin.core import tonnage

    set_inputs(dock, grade_grid, cutoff=0.0)
    wait_for_tasks(qtbot, dock)
    reads: dict[int, int] = {}  # tiles of the engine's pass (20: the first sketch, 10: the second) -> read
    gate = threading.Event()
    real_read = tonnage._Accumulator.read

    def slow_read(self, window):
        reads[len(self.tiles)] = reads.get(len(self.tiles), 0) + 1
        if not gate.wait(30):  # held until the test has superseded the first sketch
            raise AssertionError("the test never released the read")
        time.sleep(0.05)  # and slow after that, as a large tile is
        return real_read(self, window)

    real_tiles = tonnage._Accumulator._tiles
    one_row_tiles = engine_limits.EngineLimits(tile_cells=4)  # every row of a 4-cell-wide polygon is a tile

    def small_tiles(self, *window):
        kept, self.limits = self.limits, one_row_tiles
        try:
            return list(real_tiles(self, *window))
        finally:
            self.limits = kept

    monkeypatch.setattr(tonnage._Accumulator, "read", slow_read)
    monkeypatch.setattr(tonnage._Accumulator, "_tiles", small_tiles)
    first_square = QgsGeometry.fromWkt(grid.box(12, 0, 16, 20))  # 20 rows: 20 tiles
    second_square = QgsGeometry.fromWkt(grid.box(12, 5, 16, 15))
    dock.tool.vertices = [object()] * 4
    dock.tool.sketch_geometry = lambda: first_square
    dock._live_estimate()
    first = dock.slots.current(LIVE)
    try:
        qtbot.waitUntil(lambda: bool(reads), timeout=30000)  # the first task is inside its area
        assert list(reads) == [20]
        dock.tool.sketch_geometry = lambda: second_square
        dock._live_estimate()
        second = dock.slots.current(LIVE)
        assert first.isCanceled() and not second.isCanceled()
    except BaseException:
        gate.set()
        raise
    try:
        assert dock.slots._callbacks.get(first) is None  # its callback is dropped: it can only stop, never show
        assert dock.slots.is_current(second, LIVE)
    finally:
        gate.set()
    wait_for_tasks(qtbot, dock)
    assert first.outcome.results == {}  # stopped before finishing its area
    assert reads[20] < 20  # mid-area: it never read most of its tiles
    assert dock.result.result.ore_tonnes == pytest.approx(40 * 100.0 * THICKNESS * DENSITY)  # the second's
    assert dock.result.title.text() == SKETCH_TITLE


def test_the_sketch_shows_its_exploration_target_and_esc_gives_the_selected_area_back(
    dock, one_area, grid, qtbot
) -> None:
    dock.select_area(one_area.key, zoom=False)
    wait_for_tasks(qtbot, dock)
    selected_target = dock.result.target.target
    assert selected_target is not None
    square = QgsGeometry.fromWkt(grid.box(12, 0, 16, 20))  # twice the selected area
    dock.tool.sketch_geometry = lambda: square
    dock.tool.vertices = [object()] * 4
    dock._live_estimate()
    assert dock.result.result is None  # the selected area's figures never stand under the sketch's title
    wait_for_tasks(qtbot, dock)
    sketch_target = dock.result.target.target
    assert dock.result.title.text() == SKETCH_TITLE and sketch_target is not None
    assert sketch_target.base.ore_tonnes == pytest.approx(80 * 100.0 * THICKNESS * DENSITY)
    dock.tool.cancelled.emit()  # Esc
    assert dock.result.title.text() == one_area.name
    assert dock.result.result.ore_tonnes == pytest.approx(one_area.result.ore_tonnes)
    wait_for_tasks(qtbot, dock)  # its curve and target come back, not "Computing…" forever
    assert dock.result.curve and dock.result.target.target is not None
    assert dock.result.target.target.base.ore_tonnes == pytest.approx(selected_target.base.ore_tonnes)
