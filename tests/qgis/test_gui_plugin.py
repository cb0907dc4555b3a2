"""The dock inside the plugin: sample inputs, project round trip, and unload/reload leaving nothing behind."""

from __future__ import annotations

import pytest
from gui_fixtures import (
    THICKNESS,
    set_inputs,
    wait_for_tasks,
)
from qgis.core import QgsApplication, QgsGeometry, QgsProject
from qgis.gui import QgsRubberBand
from qgis.PyQt.QtCore import QCoreApplication, QEvent
from qgis.PyQt.QtWidgets import QAction, QDockWidget, QToolBar

from rare_earth_plugin import layers, survey_store
from rare_earth_plugin.core import catalogue
from rare_earth_plugin.core.units import DEFAULT_DENSITY
from rare_earth_plugin.estimation import estimate_geometry
from rare_earth_plugin.gui.areas_model import KIND_SURVEY, KIND_ZONE
from rare_earth_plugin.gui.dock import OBJECT_NAME
from rare_earth_plugin.gui.inputs_panel import RASTER
from rare_earth_plugin.plugin import RareEarthPlugin
from rare_earth_plugin.settings import Settings

pytest_plugins = ["gui_fixtures"]  # the dock, grid and settings fixtures


def _flush_deletes() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _rubber_bands(canvas) -> int:
    return sum(isinstance(item, QgsRubberBand) for item in canvas.scene().items())


def test_unload_and_reload_leave_nothing_behind(
    qgis_iface, qgis_canvas, qgis_new_project, clean_settings, qtbot
) -> None:
    window = qgis_iface.mainWindow()
    bands_before = _rubber_bands(qgis_canvas)
    for _ in range(2):
        plugin = RareEarthPlugin(qgis_iface)
        plugin.initGui()
        assert len(window.findChildren(QDockWidget, OBJECT_NAME)) == 1
        texts = [action.text() for action in plugin.toolbar.actions()]
        assert texts.count("Draw survey area") == 1 and texts.count("Rare Earth Explorer") == 1
        plugin.dock.draw_action.trigger()
        assert qgis_canvas.mapTool() is plugin.dock.tool
        plugin.unload()
        _flush_deletes()
        assert not window.findChildren(QDockWidget, OBJECT_NAME)
        assert not window.findChildren(QToolBar, "RareEarthToolbar")
        assert not [
            a for a in window.findChildren(QAction) if a.text() in ("Draw survey area", "Estimate selected features")
        ]
        assert qgis_canvas.mapTool() is None
        assert _rubber_bands(qgis_canvas) == bands_before
        assert "rareearth" not in [p.id() for p in QgsApplication.processingRegistry().providers()]
    # Project signals reach no deleted dock.
    QgsProject.instance().clear()


def test_sample_zones_fill_the_inputs_and_the_table(
    qgis_iface, qgis_new_project, clean_settings, sample_paths, qtbot
) -> None:
    plugin = RareEarthPlugin(qgis_iface)
    plugin.initGui()
    try:
        plugin.load_zones()
        dock = plugin.dock
        project = QgsProject.instance()
        grade = layers.layer_by_role(project, layers.ROLE_GRADE)
        assert dock.inputs.grade_layer.currentLayer() is grade
        assert dock.inputs.thickness_source.currentData() == RASTER
        assert dock.inputs.thickness_layer.currentLayer() is layers.layer_by_role(project, layers.ROLE_THICKNESS)
        assert dock.inputs.density.value() == pytest.approx(DEFAULT_DENSITY)
        wait_for_tasks(qtbot, dock)
        zones = {row.name: row for row in dock.model.rows() if row.kind == KIND_ZONE}
        assert set(zones) == {zone.name for zone in catalogue.SAMPLE_ZONES}
        irgiz = zones["Irgiz"]
        direct = estimate_geometry(irgiz.area.geometry, irgiz.area.crs, dock.inputs.inputs())
        assert irgiz.result.ore_tonnes == pytest.approx(direct.ore_tonnes, rel=1e-9) and direct.ore_tonnes > 0
    finally:
        wait_for_tasks(qtbot, plugin.dock)
        plugin.unload()
        _flush_deletes()


def test_reopening_the_project_restores_inputs_and_areas(dock, grade_grid, tmp_path, qtbot) -> None:
    set_inputs(dock, grade_grid, cutoff=0.07)
    x0, top, cell = grade_grid.x0, grade_grid.y0, grade_grid.cell
    key = dock.finish_survey(
        QgsGeometry.fromWkt(f"POLYGON(({x0} {top},{x0 + 9 * cell} {top},{x0 + 9 * cell} {top - 9 * cell},{x0} {top}))")
    )
    dock.rename_area(key, "Ridge")
    wait_for_tasks(qtbot, dock)
    project = QgsProject.instance()
    path = str(tmp_path / "exploration.qgz")
    assert project.write(path)
    Settings.cutoff.set(0.5)  # the project's own inputs must win over the user's last choice
    project.clear()
    assert not dock.model.rows()
    assert project.read(path)
    wait_for_tasks(qtbot, dock)
    assert dock.inputs.cutoff.value() == pytest.approx(0.07)
    assert dock.inputs.grade_layer.currentLayer().source() == grade_grid.path
    assert dock.inputs.thickness.value() == THICKNESS
    surveys = [row for row in dock.model.rows() if row.kind == KIND_SURVEY]
    assert [row.name for row in surveys] == ["Ridge"]
    assert surveys[0].result is not None and surveys[0].result.cutoff == pytest.approx(0.07)
    assert survey_store.find_layer(project) is not None


def test_toolbar_icons_differ_and_actions_have_tooltips_and_shortcuts(
    qgis_iface, qgis_canvas, qgis_new_project, clean_settings, qtbot, monkeypatch
) -> None:
    registered = {}
    monkeypatch.setattr(
        qgis_iface,
        "registerMainWindowAction",
        lambda action, key: registered.__setitem__(action.text(), key),
        raising=False,
    )
    monkeypatch.setattr(qgis_iface, "unregisterMainWindowAction", lambda action: True, raising=False)
    plugin = RareEarthPlugin(qgis_iface)
    plugin.initGui()
    try:
        actions = [a for a in plugin.toolbar.actions() if not a.isSeparator()]
        images = [bytes(a.icon().pixmap(32, 32).toImage().constBits().asstring(32 * 32 * 4)) for a in actions]
        assert len(set(images)) == len(actions), [a.text() for a in actions]
        assert all(a.toolTip() and a.toolTip() != a.text() for a in actions)
        keys = {key for key in registered.values()}
        assert len(keys) == len(registered) >= 3
        assert all(
            key in action.toolTip() for action in actions for text, key in registered.items() if action.text() == text
        )
    finally:
        wait_for_tasks(qtbot, plugin.dock)
        plugin.unload()
        _flush_deletes()
