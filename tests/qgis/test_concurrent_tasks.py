"""Estimates in QgsTasks running at once, as when a user draws an area while the table recomputes.

On QGIS 3.40 this crashed the process in pyproj while a CRS cached by one task thread was used by another
(tests/unit/test_thread_safety.py checks the rule behind the fix). Each task must give the closed-form tonnes.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import GRID_CRS
from qgis.core import QgsApplication, QgsTask

from rare_earth_plugin.core.tonnage import TonnageParams, estimate_tonnage

TASKS = 4
ROUNDS = 8


def test_concurrent_estimate_tasks_agree_with_the_closed_form(make_raster, grid, qtbot) -> None:
    grade = make_raster(np.full((30, 30), 0.3))
    thickness = make_raster(np.full((30, 30), 4.0), name="thickness.tif")
    polygon = grid.box(2, 3, 12, 9)  # 10 x 6 cells of 10 m
    params = TonnageParams(thickness_raster=thickness, density=2.5)
    expected = 10 * 6 * 100.0 * 4.0 * 2.5
    results: dict[int, list[float]] = {}
    errors: list[str] = []

    def work(_task: QgsTask, index: int) -> int:
        # Raster and polygon CRSs both go through the engine's CRS handling on this task's thread.
        tonnes = [estimate_tonnage(polygon, grade, params, polygon_crs=GRID_CRS).ore_tonnes for _ in range(ROUNDS)]
        results[index] = tonnes
        return index

    def finished(exception, _result=None) -> None:
        if exception is not None:
            errors.append(repr(exception))

    tasks = [QgsTask.fromFunction(f"estimate {i}", work, i, on_finished=finished) for i in range(TASKS)]
    manager = QgsApplication.taskManager()
    for task in tasks:
        manager.addTask(task)
    qtbot.waitUntil(lambda: len(results) + len(errors) == TASKS and manager.countActiveTasks() == 0, timeout=60_000)
    assert not errors
    for tonnes in results.values():
        assert tonnes == pytest.approx([expected] * ROUNDS, rel=1e-9)
