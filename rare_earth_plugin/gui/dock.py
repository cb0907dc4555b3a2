"""The "Rare Earth Explorer" dock: inputs, the areas table, the selected area's figures and chart, and the
survey-area drawing. It gathers geometries and paths in the main thread, estimates in QgsTasks and shows the
results when they come back; figures come from ``estimation`` only.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsDistanceArea,
    QgsGeometry,
    QgsProject,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.gui import QgsCollapsibleGroupBox, QgsDockWidget
from qgis.PyQt.QtCore import QSize, Qt, QTimer
from qgis.PyQt.QtGui import QKeySequence
from qgis.PyQt.QtWidgets import (
    QAction,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .. import log
from ..areas import AreaKey, areas_from_layer, sketch_area
from ..core import display
from ..core.catalogue import SAMPLE_CRS
from ..core.grade_tonnage_chart import chart_cutoffs
from ..core.tonnage import TonnageInputError
from ..estimation import EstimateInputs
from ..layers import ROLE_ZONES, SampleLayers, layer_by_role
from ..qgis_compat import POLYGON_GEOMETRY
from ..settings import Settings, migrate_custom_properties
from ..survey_store import SurveyStore, SurveyStoreError, find_layer, find_pending
from .areas_model import KIND_FEATURE, KIND_SURVEY, KIND_ZONE, AreaRow, AreasModel
from .areas_table import AreasTable
from .cutoff_legend import mark_cutoff
from .estimate_task import EstimateTask
from .inputs_panel import InputsPanel, InputsState
from .map_tool import SurveyAreaTool
from .result_panel import ResultPanel
from .target_inputs import DepthWindow, TargetInputs
from .task_slots import TaskSlots

OBJECT_NAME = "RareEarthExplorerDock"
TITLE = "Rare Earth Explorer"
DEBOUNCE_MS = 300
RETRY_MS = 30_000
#: How much wider than the area the map shows when an area is chosen: enough to see its neighbours.
ZOOM_CONTEXT = 2.0
SKETCH_KEY: AreaKey = ("sketch", 0)
SKETCH_TITLE = "Survey area being drawn"
#: The task slots: the whole table at the current inputs, the selected area's curve, the sketch.
TABLE, CURVE, LIVE = "table", "curve", "live"


def _is_polygon_layer(layer) -> bool:
    return isinstance(layer, QgsVectorLayer) and layer.isValid() and layer.geometryType() == POLYGON_GEOMETRY


#: The dock's first width (QGIS restores the user's later) and its narrowest: the table's Name, Ore, Grade and
#: TREO columns fit the first, the map keeps most of a 1366 px screen.
DOCK_WIDTH, DOCK_MIN_WIDTH = 400, 300


#: The inputs pane scrolls beyond this height (fold it away for more room): at 1600 x 1000 the result pane
#: below keeps its figures and the whole chart beside TABLE_ROWS rows of the table.
INPUTS_CAP = 130
#: Rows the areas table shows whole before the result pane gets more than its minimum.
TABLE_ROWS = 4
RESULT_MIN = 120


def pane_sizes(height: int, inputs_need: int, areas_floor: int, areas_need: int, result_need: int) -> list[int]:
    """The panes' heights for ``height`` px: the inputs their need up to INPUTS_CAP, the table TABLE_ROWS rows
    (``areas_floor``), the result pane its figures and whole chart (``result_need``), the table its other rows
    (``areas_need``), and what is left the chart. Short of room the result pane gives way (it scrolls)."""
    inputs = min(inputs_need, INPUTS_CAP)
    left = height - inputs - areas_floor
    result = max(min(result_need, left), RESULT_MIN)
    more_rows = max(min(areas_need - areas_floor, left - result), 0)
    return [inputs, areas_floor + more_rows, max(result, left - more_rows)]


class _Panels(QSplitter):
    """The dock's panes, sized by ``sizing`` (height -> heights) whenever the dock's size changes, until the user
    drags a handle: only then is the dock's real height known (QGIS restores it after the dock is built)."""

    def __init__(self, sizing: Callable[[int], list[int]]) -> None:
        super().__init__(Qt.Orientation.Vertical)
        self._sizing = sizing
        self.user_sized = False
        self.splitterMoved.connect(self._dragged)

    def _dragged(self, *_args) -> None:
        self.user_sized = True

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API name
        return QSize(DOCK_WIDTH, super().sizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API name
        super().resizeEvent(event)
        if not self.user_sized:
            self.setSizes(self._sizing(self.height() - self.handleWidth() * (self.count() - 1)))


def _scrolling(widget: QWidget, minimum_height: int) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setMinimumHeight(minimum_height)
    return area


class ExplorerDock(QgsDockWidget):
    def __init__(self, iface, parent: QWidget | None = None, debounce_ms: int = DEBOUNCE_MS) -> None:
        """``debounce_ms``: how long inputs and the sketch must rest before an estimate starts (0 in tests)."""
        super().__init__(TITLE, parent if parent is not None else iface.mainWindow())
        self.setObjectName(OBJECT_NAME)
        self.iface = iface
        self.canvas = iface.mapCanvas()
        self.project = QgsProject.instance()
        self.store = SurveyStore(self.project)
        self.debounce_ms = debounce_ms
        self.slots = TaskSlots(QgsApplication.taskManager().addTask, self)
        self.selected: AreaKey | None = None
        self._restoring = False
        self._unit_warning = ""

        self.draw_action = QAction(QgsApplication.getThemeIcon("/mActionCapturePolygon.svg"), "Draw survey area", self)
        self.draw_action.setCheckable(True)
        self.draw_action.setIconText("Draw")
        self.draw_action.setToolTip(
            "Draw a survey area on the map: click vertices, right or double click to "
            "finish, Backspace removes the last vertex, Esc cancels"
        )
        self.estimate_action = QAction(
            QgsApplication.getThemeIcon("/mIconSelected.svg"), "Estimate selected features", self
        )
        self.estimate_action.setIconText("Estimate selected")
        self.estimate_action.setToolTip("Add the selected polygons of the active layer to the table and estimate them")
        self.recompute_action = QAction(QgsApplication.getThemeIcon("/mActionRefresh.svg"), "Recompute", self)
        self.recompute_action.setToolTip("Estimate every area again at the current inputs (F5 in this panel)")
        self.recompute_action.setShortcut(QKeySequence("F5"))
        self.recompute_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.recompute_action)
        self.toggle_action = self.toggleViewAction()
        self.toggle_action.setText(TITLE)
        self.toggle_action.setToolTip("Show or hide the Rare Earth Explorer panel")

        self.inputs = InputsPanel()
        self.target_inputs = TargetInputs()
        self.model = AreasModel(self)
        self.table = AreasTable(self.model)
        self.result = ResultPanel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setFormat("Estimating… %p%")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running estimates; the figures shown so far stay")
        self.survey_label = QLabel()
        self.survey_label.setWordWrap(True)
        self.survey_button = QPushButton("Change…")
        self.survey_button.setToolTip("Choose the GeoPackage that stores the survey areas")
        self._build_layout()

        self.tool = SurveyAreaTool(self.canvas)
        self.tool.setAction(self.draw_action)
        # Input changes: a missing input is only worth a message when there are areas to estimate.
        self.recompute_timer = self._timer(lambda: self.recompute_all(report=bool(self.model.rows())))
        self.live_timer = self._timer(self._live_estimate)
        self.retry_timer = QTimer(self)  # unsaved survey areas: tried again quietly until they are saved
        self.retry_timer.setInterval(RETRY_MS)
        self.retry_timer.timeout.connect(lambda: self.retry_saving(quiet=True))
        self._connect()
        self._restore_inputs()
        self._set_busy(False)
        if self.model.rows():  # a reloaded plugin finds the zones: their figures follow at once
            self.recompute_timer.start()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API name
        """Shown squeezed to its minimum (a first start, no saved width): open at the designed width."""
        super().showEvent(event)
        QTimer.singleShot(0, self._widen)

    def _widen(self) -> None:
        window = self.parentWidget()
        if self.width() <= DOCK_MIN_WIDTH and not self.isFloating() and isinstance(window, QMainWindow):
            window.resizeDocks([self], [DOCK_WIDTH], Qt.Orientation.Horizontal)

    # Construction -------------------------------------------------------------------------------------------
    def _timer(self, slot) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(self.debounce_ms)
        timer.timeout.connect(slot)
        return timer

    def _build_layout(self) -> None:
        inputs_box = QgsCollapsibleGroupBox("Inputs")  # folds away once set, leaving room for the chart
        inputs_box.setSaveCollapsedState(False)  # kept in the plugin's settings instead
        inputs_box.setCollapsed(Settings.inputs_collapsed.get())
        inputs_box.collapsedStateChanged.connect(Settings.inputs_collapsed.set)
        inputs_layout = QVBoxLayout(inputs_box)
        inputs_layout.addWidget(self.inputs)
        inputs_layout.addWidget(self.target_inputs)

        areas = QWidget()
        areas_layout = QVBoxLayout(areas)
        areas_layout.setContentsMargins(0, 0, 0, 0)
        actions = QHBoxLayout()
        for action, style in (
            (self.draw_action, Qt.ToolButtonStyle.ToolButtonTextBesideIcon),
            (self.estimate_action, Qt.ToolButtonStyle.ToolButtonTextBesideIcon),
            (self.recompute_action, Qt.ToolButtonStyle.ToolButtonIconOnly),
        ):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(style)
            button.setAutoRaise(True)
            actions.addWidget(button)
        actions.addStretch(1)
        areas_layout.addLayout(actions)
        areas_layout.addWidget(self.table, 1)
        busy = QHBoxLayout()
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.cancel_button)
        areas_layout.addLayout(busy)
        survey = QHBoxLayout()
        survey.addWidget(self.survey_label, 1)
        survey.addWidget(self.survey_button)
        areas_layout.addLayout(survey)

        # Each part scrolls rather than pushing its minimum height onto the main window: the dock fits a
        # 1366 x 768 laptop screen beside the map, and grows with the screen.
        self.panels = _Panels(self._pane_sizes)
        self.panels.addWidget(_scrolling(inputs_box, 60))
        self.panels.addWidget(_scrolling(areas, 120))
        self.panels.addWidget(_scrolling(self.result, RESULT_MIN))
        self.panels.setChildrenCollapsible(False)
        self.panels.setStretchFactor(1, 3)  # once the user has dragged a handle
        self.panels.setStretchFactor(2, 2)
        self.setWidget(self.panels)
        self.setMinimumWidth(DOCK_MIN_WIDTH)

    def _pane_sizes(self, height: int) -> list[int]:
        """``pane_sizes`` on what the panes' contents need at the dock's width."""
        inputs_box, areas = (self.panels.widget(index).widget() for index in range(2))
        table_rest = areas.sizeHint().height() - self.table.view.sizeHint().height()  # buttons, survey file
        return pane_sizes(
            height,
            inputs_box.sizeHint().height(),
            table_rest + self.table.rows_height(TABLE_ROWS),
            table_rest + self.table.rows_height(max(self.model.rowCount(), TABLE_ROWS)),
            self.result.preferred_height(self.panels.width()),
        )

    def _connections(self):
        """Every signal this dock listens to outside itself, so ``unload`` can undo exactly these."""
        return (
            (self.project.readProject, self._project_read),
            (self.project.removeAll, self._project_clearing),  # first signal of File > New or Open
            (self.project.cleared, self._project_cleared),
            (self.project.writeProject, self.store.project_writing),
            (self.project.projectSaved, self._project_saved),
            (self.project.layersAdded, self._layers_added),
            (self.project.layersWillBeRemoved, self._layers_removed),
        )

    def _connect(self) -> None:
        for signal, slot in self._connections():
            signal.connect(slot)
        self.inputs.changed.connect(self._inputs_changed)
        self.target_inputs.window_changed.connect(self._inputs_changed)  # the depth window moves every figure
        self.target_inputs.ranges_changed.connect(self._target_ranges_changed)
        self.table.areaSelected.connect(self.select_area)
        self.table.renameRequested.connect(self._rename_requested)
        self.table.removeRequested.connect(self._remove_requested)
        self.cancel_button.clicked.connect(self.cancel_estimates)
        self.survey_button.clicked.connect(self.choose_survey_file)
        self.draw_action.toggled.connect(self._draw_toggled)
        self.estimate_action.triggered.connect(self.estimate_selected)
        self.recompute_action.triggered.connect(lambda: self.recompute_all())
        self.tool.sketchChanged.connect(self.live_timer.start)
        self.tool.finished.connect(self.finish_survey)
        self.tool.cancelled.connect(self._sketch_cancelled)
        self.tool.message.connect(lambda text: self._push(text, Qgis.MessageLevel.Info))
        self.slots.busyChanged.connect(self._set_busy)
        self.slots.progressChanged.connect(lambda value: self.progress.setValue(int(value)))

    def unload(self) -> None:
        """Undo everything outside the dock: signals, tasks, the map tool and its rubber band."""
        for signal, slot in self._connections():
            with contextlib.suppress(TypeError):
                signal.disconnect(slot)
        self.recompute_timer.stop()
        self.live_timer.stop()
        self.slots.cancel_all()
        if self.canvas.mapTool() is self.tool:
            self.canvas.unsetMapTool(self.tool)
        self.tool.clean_up()
        self.retry_timer.stop()

    def is_busy(self) -> bool:
        """Estimates running or about to start (a debounce timer pending)."""
        return self.slots.busy() or self.recompute_timer.isActive() or self.live_timer.isActive()

    # Messages -----------------------------------------------------------------------------------------------
    def _push(self, text: str, level=Qgis.MessageLevel.Warning) -> None:
        log.notify(self.iface.messageBar(), text, level)

    def current_inputs(self, report: bool = False) -> EstimateInputs | None:
        try:
            return self.target_inputs.with_window(self.inputs.inputs())
        except TonnageInputError as error:
            if report:
                self._push(str(error))
            return None

    # Inputs and persistence ---------------------------------------------------------------------------------
    def _inputs_changed(self) -> None:
        if self._restoring:
            return
        state, window = self.inputs.state(), self.target_inputs.window()
        for kept in (state, window):
            kept.to_settings()
            kept.write_project(self.project)
        self.model.set_unit(state.grade_unit)
        self.model.set_inputs(self.current_inputs())  # figures of other inputs show as stale until replaced
        self._show_selected()
        self._follow_cutoff()
        warning = self.inputs.unit_warning()
        if warning and warning != self._unit_warning:
            self._push(warning)
        self._unit_warning = warning
        self.recompute_timer.start()

    def _follow_cutoff(self) -> None:
        """The grade layer's legend marks the dock's cut-off."""
        layer = self.inputs.grade_layer.currentLayer()
        if mark_cutoff(layer, self.inputs.cutoff.value()):
            view = self.iface.layerTreeView() if hasattr(self.iface, "layerTreeView") else None
            if view is not None:
                view.refreshLayerSymbology(layer.id())

    def use_sample(self, sample: SampleLayers) -> None:
        """After "Load Qaraganda exploration zones": estimate from the sample grade and thickness rasters."""
        self._sync_layers()
        self.inputs.use_sample(sample.grade, sample.thickness)

    def _restore_inputs(self) -> None:
        """The project's inputs (else the user's settings) without treating them as a change, and the areas."""
        migrate_custom_properties(self.project)  # layer roles of a project saved before 0.2
        self._restoring = True
        try:
            self.inputs.apply_state(InputsState.read_project(self.project) or InputsState.from_settings())
            window = DepthWindow.read_project(self.project) or DepthWindow.from_settings()
            self.target_inputs.apply_window(window, self.project)
        finally:
            self._restoring = False
        self.model.set_unit(self.inputs.unit())
        self.model.set_inputs(self.current_inputs())
        self._sync_layers()
        self._show_survey_path()

    def _project_read(self, *_args) -> None:
        self._restore_inputs()
        if self.store.refused:
            self._push(
                f"This project names '{self.store.refused}' for its survey areas, outside its folder: "
                f"new areas go to {self.store.path()} (Change… to choose a file).",
                Qgis.MessageLevel.Info,
            )
        self.recompute_all()

    def _project_clearing(self) -> None:
        """All layers go (File > New or Open): the combos empty, and nothing of it is a user's choice to keep
        or worth a message. Until the project is cleared, or the event loop runs again."""
        self._restoring = True
        QTimer.singleShot(0, self._project_cleared_or_settled)

    def _project_cleared_or_settled(self) -> None:
        self._restoring = False

    def _project_cleared(self) -> None:
        self._restoring = False
        self.recompute_timer.stop()
        self.cancel_estimates()
        self.tool.reset()
        self.model.clear()
        self.selected = None
        self.result.clear()
        self.store.new_session()  # a new project gets its own survey areas
        self._show_survey_path()

    # Rows ---------------------------------------------------------------------------------------------------
    def _rows_of(self, layer: QgsVectorLayer, kind: str, fids=None) -> list[AreaRow]:
        return [AreaRow(area) for area in areas_from_layer(layer, fids, default_kind=kind, kind_field=None)]

    def _sync_layers(self) -> list[AreaRow]:
        """Zones and survey areas of the project in the table; returns the rows that were not there yet."""
        new_rows = []
        for layer, kind in (
            (layer_by_role(self.project, ROLE_ZONES), KIND_ZONE),
            (find_layer(self.project), KIND_SURVEY),
            (find_pending(self.project), KIND_SURVEY),
        ):
            if not _is_polygon_layer(layer):
                continue
            rows = self._rows_of(layer, kind)
            present = {row.key for row in rows}
            gone = [r.key for r in self.model.rows() if r.key[0] == layer.id() and r.key not in present]
            self.model.remove(gone)
            for row in rows:
                if self.model.row_for(row.key) is None:
                    new_rows.append(row)
                self.model.upsert(row)
        return new_rows

    def _layers_added(self, _layers) -> None:
        new_rows = self._sync_layers()
        if new_rows:
            self._estimate(new_rows, "Rare Earth: estimating new areas")

    def _layers_removed(self, layer_ids) -> None:
        for layer_id in layer_ids:
            self.model.remove_layer(layer_id)
            if self.selected is not None and self.selected[0] == layer_id:
                self.selected = None
                self.result.clear()

    # Estimates ----------------------------------------------------------------------------------------------
    def recompute_all(self, report: bool = True) -> None:
        """Re-estimate every row at the current inputs; the previous run is cancelled, its figures stay."""
        self.recompute_timer.stop()
        inputs = self.current_inputs(report=report)
        self.model.set_inputs(inputs)
        if inputs is None:
            self.slots.cancel(TABLE)
            self.slots.cancel(CURVE)
            self._show_selected()
            return
        self._estimate(self.model.rows(), "Rare Earth: estimating the areas table", inputs, slot=TABLE)
        if self.selected is not None:
            self._start_curve(self.selected, inputs)

    def _estimate(
        self,
        rows,
        description: str,
        inputs: EstimateInputs | None = None,
        persist: bool = False,
        slot: str | None = None,
    ) -> EstimateTask | None:
        inputs = inputs or self.current_inputs()
        if inputs is None or not rows:
            return None
        task = EstimateTask(description, [row.area for row in rows], inputs, self._estimates_done, persist=persist)
        return self.slots.start(task, slot)

    def cancel_estimates(self) -> None:
        """The Cancel button: stop every running estimate; figures of other inputs stay, marked stale."""
        self.recompute_timer.stop()
        for task in self.slots.cancel_all():
            if task.persist:
                self._push("Estimate cancelled: the survey area is saved without figures.", Qgis.MessageLevel.Info)
        self._show_selected()

    def _set_busy(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        if not running:
            self.progress.setValue(0)

    def _estimates_done(self, task: EstimateTask, ok: bool) -> None:
        """A finished run: a survey area's figures are saved whatever the inputs are now, but the table takes
        them only while they are still of the current inputs."""
        if not ok:
            return
        if task.persist:
            self._store_results(task)
        if self.current_inputs() != task.inputs:
            return  # the inputs changed meanwhile: a newer run brings the figures
        self._tell_notes(self._show_outcome(task))
        outcome = task.outcome
        if self.selected in outcome.results or self.selected in outcome.errors:
            self._show_selected()

    def _store_results(self, task: EstimateTask) -> None:
        """Save each estimated survey area's figures; a failed write is shown and the others still go."""
        for area in task.areas:
            result = task.outcome.results.get(area.key)
            if result is not None:
                try:
                    self.store.write_result(area.key, result)
                except SurveyStoreError as error:
                    self._push(str(error), Qgis.MessageLevel.Critical)

    def _show_outcome(self, task: EstimateTask) -> list[str]:
        """Put the run's figures and errors in the table; a note for each warning and error, by area name."""
        notes = []
        for key, result in task.outcome.results.items():
            self.model.set_result(key, result, inputs=task.inputs)
            row = self.model.row_for(key)
            notes += [f"{row.name if row else key}: {warning}" for warning in result.warnings]
        for key, error in task.outcome.errors.items():
            self.model.set_result(key, None, error, inputs=task.inputs)
            row = self.model.row_for(key)
            notes.append(f"{row.name if row else key}: {error}")
        return notes

    def _tell_notes(self, notes: list[str]) -> None:
        """The first note in the message bar with a count of the others, which go to the log only: a run over
        many areas would otherwise stack a message per area."""
        if notes:
            more = f" (and {len(notes) - 1} more notes in the log)" if len(notes) > 1 else ""
            self._push(notes[0] + more)
            for note in notes[1:]:
                log.logger.warning(note)

    # Selection, figures and the curve -----------------------------------------------------------------------
    def _layer(self, key: AreaKey) -> QgsVectorLayer | None:
        layer = self.project.mapLayer(key[0])
        return layer if isinstance(layer, QgsVectorLayer) else None

    def select_area(self, key: AreaKey, zoom: bool = True) -> None:
        """Select the feature, zoom to it with its surroundings and flash it, then show its figures and chart.

        ``zoom=False`` for an area just drawn: the user is already looking at it."""
        row = self.model.row_for(key)
        if row is None:
            return
        previous = self._layer(self.selected) if self.selected is not None else None
        layer = self._layer(key)
        if previous is not None and previous is not layer:
            previous.removeSelection()
        if layer is not None:
            layer.selectByIds([key[1]])
            if zoom:
                self._zoom_to(layer, key[1])
            self.canvas.flashFeatureIds(layer, [key[1]])
        if self.selected != key:
            self.selected = key
            self._show_selected()
            inputs = self.current_inputs()
            if inputs is not None:
                self._start_curve(key, inputs)

    def _zoom_to(self, layer: QgsVectorLayer, fid: int) -> None:
        feature = layer.getFeature(fid)
        if not feature.hasGeometry():
            return
        extent = self.canvas.mapSettings().layerExtentToOutputExtent(layer, feature.geometry().boundingBox())
        extent.scale(ZOOM_CONTEXT)
        self.canvas.setExtent(extent)
        self.canvas.refresh()

    def _show_selected(self) -> None:
        row = self.model.row_for(self.selected) if self.selected else None
        if row is not None:
            unit = row.inputs.params.grade_unit if row.inputs is not None else self.inputs.unit()
            self.result.show_area(row.name, row.result, unit, row.error, stale=self.model.is_stale(row))

    def _target_ranges_changed(self) -> None:
        """New ranges change only the selected area's target (its curve comes along in the same task)."""
        inputs = self.current_inputs()
        if self.selected is not None and inputs is not None:
            self._start_curve(self.selected, inputs)

    def _start_curve(self, key: AreaKey, inputs: EstimateInputs) -> None:
        row = self.model.row_for(key)
        if row is None:
            return
        cutoffs = chart_cutoffs(inputs.params.grade_unit, inputs.params.cutoff)
        try:
            target = self.target_inputs.options()
        except TonnageInputError as error:
            target = None
            self.result.target.show_message(str(error))
        self.slots.start(
            EstimateTask(
                f"Rare Earth: grade-tonnage curve of {row.name}", [row.area], inputs, self._curve_done, cutoffs, target
            ),
            CURVE,
        )

    def _curve_done(self, task: EstimateTask, ok: bool) -> None:
        key = task.areas[0].key
        if not ok or key != self.selected:
            return
        if key in task.outcome.errors:
            self.result.show_curve_error(task.outcome.errors[key])
        elif key in task.outcome.curves:
            self.result.show_curve(task.outcome.curves[key], task.inputs.params.grade_unit, task.inputs.params.cutoff)
        target = task.outcome.targets.get(key)
        if isinstance(target, str):
            self.result.target.show_message(target)
        elif target is not None:
            self.result.target.show_target(target)

    # Drawing ------------------------------------------------------------------------------------------------
    def _draw_toggled(self, checked: bool) -> None:
        if checked:
            if self.current_inputs() is None:
                self._push("Choose a grade raster under Inputs to see figures while drawing.", Qgis.MessageLevel.Info)
            self.canvas.setMapTool(self.tool)
            problem = self.store.check()  # before anything is drawn
            if problem:
                self._warn_unsaved(f"{problem}. Areas you draw are kept in this session until they can be saved.")
        elif self.canvas.mapTool() is self.tool:
            self.canvas.unsetMapTool(self.tool)

    def _canvas_crs(self) -> QgsCoordinateReferenceSystem:
        return self.canvas.mapSettings().destinationCrs()

    def _live_estimate(self) -> None:
        geometry = self.tool.sketch_geometry()
        if geometry is None:
            return
        area = QgsDistanceArea()
        area.setSourceCrs(self._canvas_crs(), self.project.transformContext())
        ellipsoid = self.project.ellipsoid()
        area.setEllipsoid(ellipsoid if ellipsoid and ellipsoid != "NONE" else "EPSG:7030")
        size = display.km2(area.measureArea(geometry))
        inputs = self.current_inputs()
        if self.result.name != SKETCH_TITLE:  # the selected area's figures must not stand under the sketch's title
            self.result.show_area(
                SKETCH_TITLE, None, inputs.params.grade_unit if inputs else self.inputs.unit(), curve_pending=False
            )
        self.result.title.setText(f"{SKETCH_TITLE}: about {size} km²")
        if inputs is None:
            return
        sketch = sketch_area(SKETCH_KEY, SKETCH_TITLE, geometry, self._canvas_crs())
        try:
            target = self.target_inputs.options()  # the sketch's target too: read again, cancelled alike
        except TonnageInputError:
            target = None
        # One live estimate at a time, the newest: the one before is cancelled and never shown.
        self.slots.start(
            EstimateTask("Rare Earth: live estimate", [sketch], inputs, self._live_done, target=target),
            LIVE,
            counted=False,
        )

    def _live_done(self, task: EstimateTask, ok: bool) -> None:
        if not ok or not self.tool.vertices:
            return
        result = task.outcome.results.get(SKETCH_KEY)
        self.result.show_area(
            SKETCH_TITLE,
            result,
            task.inputs.params.grade_unit,
            task.outcome.errors.get(SKETCH_KEY, ""),
            curve_pending=False,
        )
        target = task.outcome.targets.get(SKETCH_KEY)
        if isinstance(target, str):
            self.result.target.show_message(target)
        elif target is not None:
            self.result.target.show_target(target)
        else:
            self.result.target.show_message("")

    def _sketch_cancelled(self) -> None:
        """Esc: the sketch and its figures go; the panel shows the selected area again, or nothing."""
        self.live_timer.stop()
        self.slots.cancel(LIVE)
        if self.model.row_for(self.selected) if self.selected else None:
            self._show_selected()  # its figures, and its curve and target again (the sketch replaced them)
            inputs = self.current_inputs()
            if inputs is not None:
                self._start_curve(self.selected, inputs)
        else:
            self.selected = None
            self.result.clear()

    def finish_survey(self, geometry: QgsGeometry) -> AreaKey | None:
        """Store the drawn polygon at once (figures follow from a task) and select it in the table."""
        self.live_timer.stop()
        self.slots.cancel(LIVE)
        if not geometry.isGeosValid():
            geometry = geometry.makeValid()
            if QgsWkbTypes.geometryType(geometry.wkbType()) != POLYGON_GEOMETRY:
                geometry.convertGeometryCollectionToSubclass(POLYGON_GEOMETRY)
            if geometry.isEmpty():
                self._push("The drawn area has no inside (its edges fold onto each other): draw it again.")
                return None
            self._push("The drawn area crossed itself and was repaired into valid polygons.", Qgis.MessageLevel.Info)
        inputs = self.current_inputs(report=True)
        grade = self.inputs.grade_layer.currentLayer()
        if self.store.pending_count():
            self.retry_saving(quiet=True)  # the file may take the earlier areas now
        storage_crs = (
            grade.crs() if grade is not None and grade.crs().isValid() else QgsCoordinateReferenceSystem(SAMPLE_CRS)
        )
        try:
            stored = self.store.add(self.store.next_name(), geometry, self._canvas_crs(), inputs, storage_crs)
        except SurveyStoreError as error:
            self._push(str(error), Qgis.MessageLevel.Critical)
            return None
        layer, fid = stored.layer, stored.fid
        if stored.unsaved_reason:
            name = layer.getFeature(fid)["name"]
            self._warn_unsaved(f"{name} is kept in this session only, not saved yet. {stored.unsaved_reason}.")
        self._show_survey_path()
        key = (layer.id(), fid)
        rows = self._rows_of(layer, KIND_SURVEY, [fid])
        for row in rows:
            self.model.upsert(row)
        self._estimate(rows, "Rare Earth: estimating the new survey area", inputs, persist=True)
        self.table.select_key(key)
        self.select_area(key, zoom=False)
        return key

    # Chosen features ----------------------------------------------------------------------------------------
    def estimate_selected(self) -> None:
        layer = self.iface.activeLayer()
        if not _is_polygon_layer(layer):
            self._push("Make a polygon layer active and select some of its features first.", Qgis.MessageLevel.Info)
            return
        if not layer.selectedFeatureCount():
            self._push(f"No features are selected in '{layer.name()}'.", Qgis.MessageLevel.Info)
            return
        kind = (
            KIND_SURVEY
            if layer is find_layer(self.project)
            else KIND_ZONE
            if layer is layer_by_role(self.project, ROLE_ZONES)
            else KIND_FEATURE
        )
        rows = self._rows_of(layer, kind, layer.selectedFeatureIds())
        for row in rows:
            self.model.upsert(row)
        if self.current_inputs(report=True) is not None:
            self._estimate(rows, f"Rare Earth: estimating {len(rows)} selected features")

    # Rename and delete --------------------------------------------------------------------------------------
    def _rename_requested(self, key: AreaKey) -> None:
        row = self.model.row_for(key)
        if row is None or row.kind != KIND_SURVEY:
            return
        name, ok = QInputDialog.getText(self, "Rename survey area", "Name", text=row.name)
        if ok and name.strip():
            self.rename_area(key, name.strip())

    def rename_area(self, key: AreaKey, name: str) -> None:
        try:
            self.store.rename(key, name)
        except SurveyStoreError as error:
            self._push(str(error), Qgis.MessageLevel.Critical)
            return
        self.model.set_name(key, name)
        if key == self.selected:
            self._show_selected()

    def _remove_requested(self, key: AreaKey) -> None:
        row = self.model.row_for(key)
        if row is None:
            return
        if row.kind == KIND_SURVEY:
            question = f"Delete '{row.name}' from {self.store.path().name}?"
            if QMessageBox.question(self, "Delete survey area", question) != QMessageBox.StandardButton.Yes:
                return
        self.remove_area(key)

    def remove_area(self, key: AreaKey) -> None:
        """Survey areas leave their GeoPackage; chosen features only leave the table."""
        row = self.model.row_for(key)
        if row is None:
            return
        if row.kind == KIND_SURVEY:
            try:
                self.store.delete(key)
            except SurveyStoreError as error:
                self._push(str(error), Qgis.MessageLevel.Critical)
                return
        blocked = self.table.blockSignals(True)  # the next row becomes current: no zoom to it
        try:
            self.model.remove([key])
        finally:
            self.table.blockSignals(blocked)
        if key == self.selected:
            self.selected = None
            self.result.clear()

    # The survey GeoPackage ----------------------------------------------------------------------------------
    def _show_survey_path(self) -> None:
        path = self.store.path()
        unsaved = self.store.pending_count()
        breakable = str(path).replace(os.sep, os.sep + "\u200b")  # a long path wraps instead of widening the dock
        self.survey_label.setText(f"Survey areas: {breakable}" + (f" ({unsaved} not saved yet)" if unsaved else ""))
        self.survey_label.setToolTip(str(path))

    def _project_saved(self) -> None:
        """After the first save the survey areas are beside the project (``SurveyStore.project_writing``)."""
        self.store.project_saved()
        self._show_survey_path()

    def _warn_unsaved(self, text: str) -> None:
        """Message bar with Retry and Save elsewhere, and the log: the area is safe in the session."""
        item = self.iface.messageBar().createMessage(log.MESSAGE_TITLE, text)
        for label, slot in (("Retry", self.retry_saving), ("Save elsewhere…", self.choose_survey_file)):
            button = QPushButton(label)
            button.clicked.connect(slot)
            item.layout().addWidget(button)
        self.iface.messageBar().pushWidget(item, Qgis.MessageLevel.Warning, 0)  # stays: it has buttons to use
        log.log_at(Qgis.MessageLevel.Warning, text)
        if self.store.pending_count():
            self.retry_timer.start()

    def retry_saving(self, quiet: bool = False) -> bool:
        """Write the session's unsaved survey areas to the GeoPackage; True when none is left unsaved.
        ``quiet``: the timer's and the next drawing's attempts, which only log a failure."""
        try:
            saved = self.store.save_pending()
        except SurveyStoreError as error:
            if quiet:
                log.logger.info("Unsaved survey areas still not saved: %s", error, exc_info=True)
            else:
                self._warn_unsaved(f"{error}. The areas stay in this session.")
            self._show_survey_path()
            return False
        self.retry_timer.stop()
        if saved:
            self._push(f"{saved} survey area(s) saved to {self.store.path()}.", Qgis.MessageLevel.Success)
            rows = self._sync_layers()
            self._estimate(rows, "Rare Earth: estimating the saved survey areas", persist=True)
        self._show_survey_path()
        return True

    def choose_survey_file(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self,
            "GeoPackage for survey areas",
            str(self.store.path()),
            "GeoPackage (*.gpkg)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if name:
            self.use_survey_file(Path(name).with_suffix(".gpkg"))

    def use_survey_file(self, path: Path) -> None:
        """A file the user chose: used from now on, and the session's unsaved areas are saved into it."""
        self.store.set_path(path)
        if path.is_file() or self.store.pending_count():
            try:
                self.store.layer()
            except SurveyStoreError as error:
                self._push(str(error), Qgis.MessageLevel.Critical)
        self._show_survey_path()
        if self.store.pending_count() and find_layer(self.project) is not None:
            self.retry_saving()
