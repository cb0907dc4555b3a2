"""The dock's panes share its height by a rule (issue 12): the inputs capped, the table's first rows, then the
result pane's figures and whole chart, then the table's other rows, then the chart; checked on the rule and on
the dock at a laptop's and a 1000 px screen's height."""

from __future__ import annotations

import pytest

from rare_earth_plugin.gui.dock import INPUTS_CAP, RESULT_MIN, TABLE_ROWS, pane_sizes

pytest_plugins = ["gui_fixtures"]


@pytest.mark.parametrize(
    ("height", "expected"),
    [
        (1200, [INPUTS_CAP, 400, 1200 - INPUTS_CAP - 400]),  # every row, the chart grows
        (800, [INPUTS_CAP, 340, 330]),  # the whole result, then more rows
        (700, [INPUTS_CAP, 300, 270]),  # short: the result pane scrolls, the table keeps its rows
        (400, [INPUTS_CAP, 300, RESULT_MIN]),  # shorter than the floors: Qt squeezes, the result scrolls
    ],
)
def test_the_rule_fills_the_panes_in_order_of_need(height, expected) -> None:
    sizes = pane_sizes(height, inputs_need=250, areas_floor=300, areas_need=400, result_need=330)
    assert sizes == expected
    assert pane_sizes(height, inputs_need=80, areas_floor=300, areas_need=400, result_need=330)[0] == 80


def _dock_at(dock, qtbot, height: int) -> list[int]:
    dock.setFloating(True)  # a window of its own: the test's main window is never shown
    dock.resize(400, height)
    dock.show()
    qtbot.waitUntil(lambda: dock.panels.height() > height // 2)
    qtbot.wait(50)
    panels = dock.panels
    available = panels.height() - panels.handleWidth() * (panels.count() - 1)
    assert panels.sizes() == dock._pane_sizes(available)  # the rule, at the dock's real height
    return panels.sizes()


@pytest.mark.parametrize("height", [600, 830])  # the dock at 1366 x 768 and at 1600 x 1000
def test_the_dock_sizes_its_panes_by_the_rule_at_its_real_height(dock, qtbot, height) -> None:
    dock.result.show_area("Dos 2", None, "percent")
    _dock_at(dock, qtbot, height)
    view = dock.table.view
    assert view.viewport().height() >= TABLE_ROWS * view.verticalHeader().defaultSectionSize()
    chart = dock.result.chart
    if height == 830:  # room for the figures and the whole chart
        assert chart.visibleRegion().boundingRect().height() == chart.height() >= chart.minimumHeight()
    else:
        assert dock.panels.sizes()[2] < dock.result.preferred_height(dock.panels.width())


def test_a_handle_the_user_dragged_stays_where_it_was_put(dock, qtbot) -> None:
    _dock_at(dock, qtbot, 830)
    dock.panels.moveSplitter(60, 1)  # as a drag does: emits splitterMoved
    dragged = dock.panels.sizes()
    dock.panels.resize(dock.panels.width(), dock.panels.height() - 100)  # the window made shorter
    assert dock.panels.sizes()[0] == dragged[0] == 60


@pytest.mark.parametrize("width", [330, 360, 400])  # QGIS's docks at 1366 x 768 are about 360 px wide
def test_the_inputs_fit_the_docks_width_with_the_target_group_open(dock, qtbot, make_raster, width) -> None:
    """Opened, the target group made the inputs 488 px wide in a 348 px pane: the "to" depth, the ranges' high
    values and the seed were off its right edge, behind a sideways scroll bar; a raster with a long name widened
    the grade combo past the dock too."""
    import numpy as np
    from qgis.core import QgsProject, QgsRasterLayer

    long_name = "TREO grade, 2024 infill drilling, ordinary kriging, 10 m blocks, capped at 0.5 % (final)"
    layer = QgsRasterLayer(str(make_raster(np.full((4, 4), 0.1))), long_name)
    QgsProject.instance().addMapLayer(layer)
    dock.inputs.grade_layer.setLayer(layer)
    dock.target_inputs.setCollapsed(False)
    dock.setFloating(True)
    dock.resize(width, 700)
    dock.show()
    qtbot.waitUntil(lambda: dock.panels.width() > width // 2)
    qtbot.wait(50)
    inputs = dock.panels.widget(0)
    assert inputs.horizontalScrollBar().maximum() == 0, inputs.widget().minimumSizeHint().width()
    QgsProject.instance().removeMapLayer(layer.id())
