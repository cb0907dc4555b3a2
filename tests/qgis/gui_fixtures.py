"""Fixtures for the dock tests: isolated settings, a dock on the pytest-qgis canvas, a small grade grid.

The grid: 20 x 20 cells of 10 m in the equal-area GRID_CRS (conftest); grade 0.05 % in the left half and 0.15 %
in the right half, so ore tonnes above a cut-off follow by hand from the covered area x thickness x density.

Test modules load it with ``pytest_plugins`` and import its helpers, hence PYTEST_DONT_REWRITE (it is imported
before pytest could rewrite it; it asserts nothing that needs rewriting).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import GRID_CRS
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsSettings,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QPoint

from rare_earth_plugin import survey_store
from rare_earth_plugin.gui.dock import ExplorerDock
from rare_earth_plugin.gui.inputs_panel import CONSTANT
from rare_earth_plugin.settings import NAMESPACE

CELLS = 20
THICKNESS = 10.0
DENSITY = 2.6
LOW, HIGH = 0.05, 0.15


@dataclass
class GradeGrid:
    layer: QgsRasterLayer
    path: str
    x0: float
    y0: float  # top
    cell: float

    @property
    def extent(self) -> QgsRectangle:
        size = CELLS * self.cell
        return QgsRectangle(self.x0, self.y0 - size, self.x0 + size, self.y0)


@pytest.fixture()
def clean_settings() -> Iterator[None]:
    """The tests must not keep (or read) a user's Rare Earth settings."""
    QgsSettings().remove("rare_earth_plugin")
    yield
    QgsSettings().remove("rare_earth_plugin")


@pytest.fixture()
def grade_grid(make_raster, grid, qgis_new_project: QgsProject) -> GradeGrid:
    values = np.full((CELLS, CELLS), LOW)
    values[:, CELLS // 2 :] = HIGH
    path = make_raster(values, name="grade.tif")
    layer = QgsRasterLayer(path, "grade", "gdal")
    if not layer.isValid():
        pytest.fail(f"the test grid {path} did not open")
    qgis_new_project.addMapLayer(layer)
    return GradeGrid(layer, path, grid.origin[0], grid.origin[1], grid.cell)


def wait_for_tasks(qtbot, dock: ExplorerDock) -> None:
    qtbot.waitUntil(lambda: not dock.is_busy() and not QgsApplication.taskManager().countActiveTasks(), timeout=60000)


def estimate_layer(dock: ExplorerDock, layer: QgsVectorLayer, iface, qtbot) -> list:
    """Add ``layer`` to the project, choose all its features in the dock and wait for their rows."""
    QgsProject.instance().addMapLayer(layer)
    layer.selectAll()
    iface.setActiveLayer(layer)
    dock.estimate_selected()
    wait_for_tasks(qtbot, dock)
    return dock.model.rows()


@pytest.fixture()
def dock(qgis_iface, qgis_canvas, qgis_new_project, clean_settings, tmp_path: Path, qtbot) -> Iterator[ExplorerDock]:
    survey_store.trust_path(tmp_path / "survey_areas.gpkg")  # as if chosen in the dialog
    qgis_new_project.writeEntry(NAMESPACE, survey_store.PROJECT_KEY, str(tmp_path / "survey_areas.gpkg"))
    qgis_canvas.setDestinationCrs(QgsCoordinateReferenceSystem(GRID_CRS))
    widget = ExplorerDock(qgis_iface, debounce_ms=0)
    yield widget
    wait_for_tasks(qtbot, widget)
    widget.unload()
    widget.deleteLater()


def set_inputs(dock: ExplorerDock, grid: GradeGrid, cutoff: float) -> None:
    """The grid's grade, a constant thickness and density, and ``cutoff`` (in %)."""
    panel = dock.inputs
    panel.grade_layer.setLayer(grid.layer)
    panel.thickness_source.setCurrentIndex(panel.thickness_source.findData(CONSTANT))
    panel.thickness.setValue(THICKNESS)
    panel.density_source.setCurrentIndex(panel.density_source.findData(CONSTANT))
    panel.density.setValue(DENSITY)
    panel.cutoff.setValue(cutoff)


def show_extent(canvas, extent: QgsRectangle) -> None:
    canvas.setExtent(extent)
    canvas.refresh()


def pixel(canvas, x: float, y: float) -> QPoint:
    point = canvas.getCoordinateTransform().transform(QgsPointXY(x, y))
    return QPoint(round(point.x()), round(point.y()))


def map_point(canvas, position: QPoint) -> QgsPointXY:
    return canvas.getCoordinateTransform().toMapCoordinates(position.x(), position.y())
