"""The "Rare Earth Explorer" dock: inputs, the areas table, the selected area's figures and chart, and the
survey-area drawing. It gathers geometries and paths in the main thread, estimates in QgsTasks and shows the
results when they come back; figures come from ``estimation`` only.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsDistanceArea,
    QgsFeatureRequest,
    QgsGeometry,
    QgsProject,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.gui import QgsCollapsibleGroupBox, QgsDockWidget
from qgis.PyQt.QtCore import Qt, QTimer
from qgis.PyQt.QtWidgets import (
    QAction,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .. import log
from ..core import display
from ..core.catalogue import SAMPLE_CRS
from ..core.grade_tonnage_chart import chart_cutoffs
from ..core.tonnage import TonnageInputError
from ..estimation import EstimateInputs
from ..layers import ROLE_ZONES, SampleLayers, layer_by_role
from .areas_model import KIND_FEATURE, KIND_SURVEY, KIND_ZONE, AreaKey, AreaRow, AreasModel
from .areas_table import AreasTable
from .estimate_task import EstimateJob, EstimateTask
from .inputs_panel import InputsPanel, InputsState
from .map_tool import SurveyAreaTool
from .result_panel import ResultPanel
from .survey_store import SurveyStore, SurveyStoreError, find_layer

OBJECT_NAME = "RareEarthExplorerDock"
TITLE = "Rare Earth Explorer"
MESSAGE_TITLE = "Rare Earth"
DEBOUNCE_MS = 300
#: How much wider than the area the map shows when an area is chosen: enough to see its neighbours.
ZOOM_CONTEXT = 2.0
SKETCH_KEY: AreaKey = ("sketch", 0)


def _feature_name(layer: QgsVectorLayer, feature) -> str:
    index = layer.fields().lookupField("name")
    if index >= 0 and feature[index]:
        return str(feature[index])
    return f"{layer.name()} #{feature.id()}"


def _is_polygon_layer(layer) -> bool:
    return isinstance(layer, QgsVectorLayer) and layer.isValid() \
        and layer.geometryType() == QgsWkbTypes.PolygonGeometry


class ExplorerDock(QgsDockWidget):
    def __init__(self, iface, parent: QWidget | None = None) -> None:
        super().__init__(TITLE, parent if parent is not None else iface.mainWindow())
        self.setObjectName(OBJECT_NAME)
        self.iface = iface
        self.canvas = iface.mapCanvas()
        self.project = QgsProject.instance()
        self.store = SurveyStore(self.project)
        self.tasks: list[EstimateTask] = []
        self.table_task: EstimateTask | None = None
        self.live_task: EstimateTask | None = None
        self.curve_task: EstimateTask | None = None
        self.selected: AreaKey | None = None
        self._restoring = False

        self.draw_action = QAction(QgsApplication.getThemeIcon("/mActionCapturePolygon.svg"),
                                   "Draw survey area", self)
        self.draw_action.setCheckable(True)
        self.draw_action.setToolTip("Draw a survey area on the map: click vertices, right or double click to "
                                    "finish, Backspace removes the last vertex, Esc cancels")
        self.estimate_action = QAction(QgsApplication.getThemeIcon("/mIconSelected.svg"),
                                       "Estimate selected features", self)
        self.estimate_action.setToolTip("Add the selected polygons of the active layer to the table and "
                                        "estimate them")
        self.toggle_action = self.toggleViewAction()
        self.toggle_action.setText(TITLE)
        self.toggle_action.setToolTip("Show or hide the Rare Earth Explorer panel")

        self.inputs = InputsPanel()
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
        self.recompute_timer = self._timer(self.recompute_all)
        self.live_timer = self._timer(self._live_estimate)
        self._connect()
        self.inputs.apply_state(InputsState.read_project(self.project) or InputsState.from_settings())
        self.model.set_unit(self.inputs.unit())
        self._sync_layers()
        self._show_survey_path()
        self._set_busy()

    # Construction -------------------------------------------------------------------------------------------
    def _timer(self, slot) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(DEBOUNCE_MS)
        timer.timeout.connect(slot)
        return timer

    def _build_layout(self) -> None:
        inputs_box = QgsCollapsibleGroupBox("Inputs")  # folds away once set, leaving room for the chart
        inputs_box.setSettingGroup("rare_earth_inputs")
        inputs_box.setSaveCollapsedState(True)
        QVBoxLayout(inputs_box).addWidget(self.inputs)

        areas = QWidget()
        areas_layout = QVBoxLayout(areas)
        areas_layout.setContentsMargins(0, 0, 0, 0)
        actions = QHBoxLayout()
        for action in (self.draw_action, self.estimate_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
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

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(inputs_box)
        splitter.addWidget(areas)
        splitter.addWidget(self.result)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([230, 250, 520])
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 2)
        self.setWidget(splitter)
        self.setMinimumWidth(440)

    def _connections(self):
        """Every signal this dock listens to outside itself, so ``unload`` can undo exactly these."""
        manager = QgsApplication.taskManager()
        return (
            (self.project.readProject, self._project_read),
            (self.project.cleared, self._project_cleared),
            (self.project.layersAdded, self._layers_added),
            (self.project.layersWillBeRemoved, self._layers_removed),
            (manager.progressChanged, self._task_progress),
        )

    def _connect(self) -> None:
        for signal, slot in self._connections():
            signal.connect(slot)
        self.inputs.changed.connect(self._inputs_changed)
        self.table.areaSelected.connect(self.select_area)
        self.table.renameRequested.connect(self._rename_requested)
        self.table.removeRequested.connect(self._remove_requested)
        self.cancel_button.clicked.connect(self.cancel_estimates)
        self.survey_button.clicked.connect(self.choose_survey_file)
        self.draw_action.toggled.connect(self._draw_toggled)
        self.estimate_action.triggered.connect(self.estimate_selected)
        self.tool.sketchChanged.connect(self.live_timer.start)
        self.tool.finished.connect(self.finish_survey)
        self.tool.cancelled.connect(self._sketch_cancelled)
        self.tool.message.connect(lambda text: self._push(text, Qgis.MessageLevel.Info))

    def unload(self) -> None:
        """Undo everything outside the dock: signals, tasks, the map tool and its rubber band."""
        for signal, slot in self._connections():
            with contextlib.suppress(TypeError):
                signal.disconnect(slot)
        self.recompute_timer.stop()
        self.live_timer.stop()
        for task in list(self.tasks):
            task.on_done = None
            task.cancel()
        self.tasks.clear()
        if self.canvas.mapTool() is self.tool:
            self.canvas.unsetMapTool(self.tool)
        self.tool.clean_up()

    def is_busy(self) -> bool:
        """Estimates running or about to start (a debounce timer pending)."""
        return bool(self.tasks) or self.recompute_timer.isActive() or self.live_timer.isActive()

    # Messages -----------------------------------------------------------------------------------------------
    def _push(self, text: str, level=Qgis.MessageLevel.Warning, duration: int = 8) -> None:
        self.iface.messageBar().pushMessage(MESSAGE_TITLE, text, level, duration)
        serious = level in (Qgis.MessageLevel.Warning, Qgis.MessageLevel.Critical)
        (log.logger.warning if serious else log.logger.info)(text)

    def current_inputs(self, report: bool = False) -> EstimateInputs | None:
        try:
            return self.inputs.inputs()
        except TonnageInputError as error:
            if report:
                self._push(str(error))
            return None

    # Inputs and persistence ---------------------------------------------------------------------------------
    def _inputs_changed(self) -> None:
        if self._restoring:
            return
        state = self.inputs.state()
        state.to_settings()
        state.write_project(self.project)
        self.model.set_unit(state.grade_unit)
        self.recompute_timer.start()

    def use_sample(self, sample: SampleLayers) -> None:
        """After "Load Qaraganda exploration zones": estimate from the sample grade and thickness rasters."""
        self._sync_layers()
        self.inputs.use_sample(sample.grade, sample.thickness)

    def _project_read(self, *_args) -> None:
        self._restoring = True
        try:
            self.inputs.apply_state(InputsState.read_project(self.project) or InputsState.from_settings())
        finally:
            self._restoring = False
        self.model.set_unit(self.inputs.unit())
        self._sync_layers()
        self._show_survey_path()
        self.recompute_all()

    def _project_cleared(self) -> None:
        self.cancel_estimates()
        self.tool.reset()
        self.model.clear()
        self.selected = None
        self.result.clear()
        self._show_survey_path()

    # Rows ---------------------------------------------------------------------------------------------------
    def _rows_of(self, layer: QgsVectorLayer, kind: str, fids=None) -> list[AreaRow]:
        request = QgsFeatureRequest()
        if fids is not None:
            request.setFilterFids(list(fids))
        return [AreaRow((layer.id(), f.id()), _feature_name(layer, f), kind, QgsGeometry(f.geometry()),
                        layer.crs())
                for f in layer.getFeatures(request) if f.hasGeometry()]

    def _sync_layers(self) -> list[AreaRow]:
        """Zones and survey areas of the project in the table; returns the rows that were not there yet."""
        new_rows = []
        for layer, kind in ((layer_by_role(self.project, ROLE_ZONES), KIND_ZONE),
                            (find_layer(self.project), KIND_SURVEY)):
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
    def recompute_all(self) -> None:
        """Re-estimate every row at the current inputs; the previous run is cancelled, its figures stay."""
        self.recompute_timer.stop()
        inputs = self.current_inputs(report=True)
        if inputs is None:
            return
        if self.table_task is not None:
            self._cancel(self.table_task)
        self.table_task = self._estimate(self.model.rows(), "Rare Earth: estimating the areas table", inputs)
        if self.selected is not None:
            self._start_curve(self.selected, inputs)

    def _estimate(self, rows, description: str, inputs: EstimateInputs | None = None,
                  persist: bool = False) -> EstimateTask | None:
        inputs = inputs or self.current_inputs()
        if inputs is None or not rows:
            return None
        jobs = [EstimateJob.copy_of(row.key, row.geometry, row.crs, persist) for row in rows]
        return self._start(EstimateTask(description, jobs, inputs, self._estimates_done))

    def _start(self, task: EstimateTask) -> EstimateTask:
        self.tasks.append(task)
        QgsApplication.taskManager().addTask(task)
        self._set_busy()
        return task

    def _cancel(self, task: EstimateTask) -> None:
        task.on_done = self._discard
        task.cancel()

    def _discard(self, task: EstimateTask, _ok: bool) -> None:
        self._forget(task)

    def _forget(self, task: EstimateTask) -> None:
        if task in self.tasks:
            self.tasks.remove(task)
        for name in ("table_task", "live_task", "curve_task"):
            if getattr(self, name) is task:
                setattr(self, name, None)
        self._set_busy()

    def cancel_estimates(self) -> None:
        """The Cancel button: stop every running estimate; the table keeps the figures it shows."""
        for task in list(self.tasks):
            self._cancel(task)
            if any(job.persist for job in task.jobs):
                self._push("Estimate cancelled: the survey area is saved without figures.", Qgis.MessageLevel.Info)

    def _set_busy(self) -> None:
        running = bool(self.tasks)
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        if not running:
            self.progress.setValue(0)

    def _task_progress(self, task_id, progress: float) -> None:
        manager = QgsApplication.taskManager()
        if any(manager.taskId(task) == task_id for task in self.tasks if task is not self.live_task):
            self.progress.setValue(int(progress))

    def _estimates_done(self, task: EstimateTask, ok: bool) -> None:
        self._forget(task)
        if not ok:
            return
        outcome = task.outcome
        for job in task.jobs:
            result = outcome.results.get(job.key)
            if job.persist and result is not None:
                try:
                    self.store.write_result(job.key[1], result)
                except SurveyStoreError as error:
                    self._push(str(error), Qgis.MessageLevel.Critical)
        current = self.current_inputs()
        if current != task.inputs:
            return  # the inputs changed meanwhile: a newer run brings the figures
        notes = []
        for key, result in outcome.results.items():
            self.model.set_result(key, result)
            row = self.model.row_for(key)
            notes += [f"{row.name if row else key}: {warning}" for warning in result.warnings]
        for key, error in outcome.errors.items():
            self.model.set_result(key, None, error)
            row = self.model.row_for(key)
            notes.append(f"{row.name if row else key}: {error}")
        if notes:
            more = f" (and {len(notes) - 1} more notes in the log)" if len(notes) > 1 else ""
            self._push(notes[0] + more)
            for note in notes[1:]:
                log.logger.warning(note)
        if self.selected in outcome.results or self.selected in outcome.errors:
            self._show_selected()

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
            self.result.show_area(row.name, row.result, self.inputs.unit(), row.error)

    def _start_curve(self, key: AreaKey, inputs: EstimateInputs) -> None:
        row = self.model.row_for(key)
        if row is None:
            return
        if self.curve_task is not None:
            self._cancel(self.curve_task)
        cutoffs = chart_cutoffs(inputs.params.grade_unit, inputs.params.cutoff)
        job = EstimateJob.copy_of(key, row.geometry, row.crs)
        self.curve_task = self._start(EstimateTask(f"Rare Earth: grade-tonnage curve of {row.name}", [job],
                                                   inputs, self._curve_done, cutoffs))

    def _curve_done(self, task: EstimateTask, ok: bool) -> None:
        self._forget(task)
        key = task.jobs[0].key
        if not ok or key != self.selected:
            return
        if key in task.outcome.errors:
            self.result.show_curve_error(task.outcome.errors[key])
        elif key in task.outcome.curves:
            self.result.show_curve(task.outcome.curves[key], task.inputs.params.cutoff)

    # Drawing ------------------------------------------------------------------------------------------------
    def _draw_toggled(self, checked: bool) -> None:
        if checked:
            if self.current_inputs() is None:
                self._push("Choose a grade raster under Inputs to see figures while drawing.", Qgis.MessageLevel.Info)
            self.canvas.setMapTool(self.tool)
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
        self.result.title.setText(f"Drawing a survey area: about {size} km²")
        inputs = self.current_inputs()
        if inputs is None:
            return
        if self.live_task is not None:
            self._cancel(self.live_task)
        job = EstimateJob.copy_of(SKETCH_KEY, geometry, self._canvas_crs())
        task = EstimateTask("Rare Earth: live estimate", [job], inputs, self._live_done)
        self.live_task = self._start(task)

    def _live_done(self, task: EstimateTask, ok: bool) -> None:
        self._forget(task)
        if not ok or not self.tool.vertices:
            return
        result = task.outcome.results.get(SKETCH_KEY)
        self.result.show_area("Survey area being drawn", result, task.inputs.params.grade_unit,
                              task.outcome.errors.get(SKETCH_KEY, ""))

    def _sketch_cancelled(self) -> None:
        self.live_timer.stop()
        if self.live_task is not None:
            self._cancel(self.live_task)
        self._show_selected()

    def finish_survey(self, geometry: QgsGeometry) -> AreaKey | None:
        """Store the drawn polygon at once (figures follow from a task) and select it in the table."""
        self.live_timer.stop()
        if self.live_task is not None:
            self._cancel(self.live_task)
        if not geometry.isGeosValid():
            geometry = geometry.makeValid()
            if QgsWkbTypes.geometryType(geometry.wkbType()) != QgsWkbTypes.PolygonGeometry:
                geometry.convertGeometryCollectionToSubclass(QgsWkbTypes.PolygonGeometry)
            if geometry.isEmpty():
                self._push("The drawn area has no inside (its edges fold onto each other): draw it again.")
                return None
            self._push("The drawn area crossed itself and was repaired into valid polygons.", Qgis.MessageLevel.Info)
        inputs = self.current_inputs(report=True)
        grade = self.inputs.grade_layer.currentLayer()
        storage_crs = grade.crs() if grade is not None and grade.crs().isValid() \
            else QgsCoordinateReferenceSystem(SAMPLE_CRS)
        try:
            fid = self.store.add(self.store.next_name(), geometry, self._canvas_crs(), inputs, storage_crs)
        except SurveyStoreError as error:
            self._push(str(error), Qgis.MessageLevel.Critical, 0)
            return None
        layer = self.store.layer()
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
        kind = KIND_SURVEY if layer is find_layer(self.project) else \
            KIND_ZONE if layer is layer_by_role(self.project, ROLE_ZONES) else KIND_FEATURE
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
            self.store.rename(key[1], name)
        except SurveyStoreError as error:
            self._push(str(error), Qgis.MessageLevel.Critical, 0)
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
                self.store.delete(key[1])
            except SurveyStoreError as error:
                self._push(str(error), Qgis.MessageLevel.Critical, 0)
                return
        self.model.remove([key])
        if key == self.selected:
            self.selected = None
            self.result.clear()

    # The survey GeoPackage ----------------------------------------------------------------------------------
    def _show_survey_path(self) -> None:
        path = self.store.path()
        self.survey_label.setText(f"Survey areas: {path.name}")
        self.survey_label.setToolTip(str(path))

    def choose_survey_file(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self, "GeoPackage for survey areas", str(self.store.path()), "GeoPackage (*.gpkg)",
            options=QFileDialog.Option.DontConfirmOverwrite)
        if name:
            self.use_survey_file(Path(name).with_suffix(".gpkg"))

    def use_survey_file(self, path: Path) -> None:
        self.store.set_path(path)
        if path.is_file():
            try:
                self.store.layer()
            except SurveyStoreError as error:
                self._push(str(error), Qgis.MessageLevel.Critical, 0)
        self._show_survey_path()
