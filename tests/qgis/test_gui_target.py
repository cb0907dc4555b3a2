"""The dock's Exploration target group: collapsed with our defaults, the depth window in every figure, the
selected area's target as ranges with the P90 convention and the caution."""

from __future__ import annotations

import numpy as np
import pytest
from gui_fixtures import DENSITY, THICKNESS, estimate_layer, set_inputs, wait_for_tasks
from qgis.core import QgsGeometry, QgsProject, QgsRasterLayer, QgsVectorLayer

from rare_earth_plugin.core.target_ranges import TargetRanges
from rare_earth_plugin.core.target_text import percentile_statement
from rare_earth_plugin.gui.areas_model import KIND_SURVEY
from rare_earth_plugin.gui.dock import ExplorerDock
from rare_earth_plugin.gui.target_inputs import DepthWindow
from rare_earth_plugin.settings import Settings

pytest_plugins = ["gui_fixtures"]


@pytest.fixture()
def east(dock, grade_grid, make_polygons, grid, qgis_iface, qtbot):
    """'east': 4 x 10 cells of 0.15 % (cells of 100 m²)."""
    set_inputs(dock, grade_grid, cutoff=0.1)
    uri = make_polygons([(grid.box(12, 5, 16, 15), "east")], name="mine")
    layer = QgsVectorLayer(uri, "my polygons", "ogr")
    [row] = estimate_layer(dock, layer, qgis_iface, qtbot)
    return row


def test_group_is_collapsed_with_the_defaults(dock, qtbot):
    dock.show()
    qtbot.wait(100)
    box = dock.target_inputs
    assert box.isCollapsed()
    options = box.options()
    assert options.ranges == TargetRanges() and options.draws == 10_000
    assert box.min_depth.value() is None and box.max_depth.value() is None


def test_selected_area_shows_its_target_and_the_depth_window_moves_every_figure(dock, east, qtbot):
    dock.select_area(east.key)
    qtbot.waitUntil(lambda: dock.result.target.target is not None, timeout=30000)
    target = dock.result.target.target
    volume = 40 * 100.0 * THICKNESS
    assert target.base.ore_tonnes == pytest.approx(volume * DENSITY, rel=1e-9)
    assert target.low.ore_tonnes == pytest.approx(volume * 0.8 * 2.5, rel=1e-9)
    text = dock.result.target.text()
    assert percentile_statement(target) in text and "P90–P10" in text and "not a Mineral Resource" in text
    assert "exceeded with 90 % and 10 % probability" in text  # the convention beside the figures, not only a tip
    assert "90 % probability" in dock.result.target.toolTip()

    dock.target_inputs.top_depth.setValue(4.0)
    dock.target_inputs.max_depth.set_value(10.0)
    dock.target_inputs.max_depth.changed.emit()  # as the check box does
    wait_for_tasks(qtbot, dock)
    qtbot.waitUntil(
        lambda: dock.model.row_for(east.key).result.ore_tonnes == pytest.approx(40 * 100.0 * 6.0 * DENSITY, rel=1e-9),
        timeout=30000,
    )  # [4, 14] cut at 10
    assert Settings.max_depth.get() == 10.0 and Settings.top_depth.get() == 4.0


def test_new_ranges_recompute_the_target_and_are_remembered(dock, east, qtbot):
    dock.select_area(east.key)
    qtbot.waitUntil(lambda: dock.result.target.target is not None, timeout=30000)
    dock.target_inputs.density.boxes[0].setValue(2.0)
    qtbot.waitUntil(
        lambda: (
            dock.result.target.target is not None
            and dock.result.target.target.low.ore_tonnes == pytest.approx(40 * 100.0 * THICKNESS * 0.8 * 2.0)
        ),
        timeout=30000,
    )
    assert Settings.target_density_range.get() == "2,2.6,2.7"


def test_the_top_of_ore_raster_is_remembered_in_the_settings(dock, grade_grid, qgis_iface) -> None:
    set_inputs(dock, grade_grid, cutoff=0.0)
    panel = dock.target_inputs
    panel.top_source.setCurrentIndex(panel.top_source.findData("raster"))
    panel.top_layer.setLayer(grade_grid.layer)  # any raster of the project stands for a top-of-ore raster
    again = ExplorerDock(qgis_iface, debounce_ms=0)  # a new session reads the settings
    try:
        restored = again.target_inputs
        assert restored.top_source.currentData() == "raster"
        assert restored.top_layer.currentLayer() is grade_grid.layer
        assert again.current_inputs().params.top_depth_raster == grade_grid.path
        panel.top_source.setCurrentIndex(panel.top_source.findData("constant"))
        restored.apply_window(DepthWindow.from_settings(), QgsProject.instance())
        assert restored.top_source.currentData() == "constant"
    finally:
        again.unload()
        again.deleteLater()


def test_the_depth_window_goes_with_the_project_and_comes_back_when_it_is_opened(
    dock, grade_grid, grid, make_raster, tmp_path, qtbot
) -> None:
    """Saved with a top-of-ore raster; the settings say otherwise (another project, a later session); File >
    New; Open: the dock shows the project's raster and window, and its estimate counts [4, 14] m cut at 10 m."""
    set_inputs(dock, grade_grid, cutoff=0.1)
    top_path = make_raster(np.full((20, 20), 4.0), name="top_of_ore.tif")
    project = QgsProject.instance()
    project.addMapLayer(QgsRasterLayer(top_path, "top of ore", "gdal"))
    panel = dock.target_inputs
    panel.top_layer.setLayer(project.mapLayersByName("top of ore")[0])
    panel.top_source.setCurrentIndex(panel.top_source.findData("raster"))
    panel.max_depth.set_value(10.0)
    panel.max_depth.changed.emit()  # as the check box does
    key = dock.finish_survey(QgsGeometry.fromWkt(grid.box(12, 5, 16, 15)))  # 40 cells of 0.15 %
    wait_for_tasks(qtbot, dock)
    path = str(tmp_path / "window.qgz")
    assert project.write(path)
    DepthWindow().to_settings()  # constant 0 m, no limits: the project's own window must win
    project.clear()
    assert DepthWindow.from_settings() == DepthWindow()  # clearing the project did not overwrite the settings
    assert project.read(path)
    wait_for_tasks(qtbot, dock)
    assert panel.top_source.currentData() == "raster" and panel.top_stack.currentWidget() is panel.top_layer
    assert panel.top_layer.currentLayer().source() == top_path and panel.max_depth.value() == 10.0
    assert dock.current_inputs().params.top_depth_raster == top_path
    [survey] = [row for row in dock.model.rows() if row.kind == KIND_SURVEY]
    assert survey.key == key
    assert survey.result.ore_tonnes == pytest.approx(40 * 100.0 * 6.0 * DENSITY, rel=1e-9)
