""" "Export report…": choose areas (features of polygon layers, ticked in a tree), rasters and the PDF file.

Estimating runs in a ``QgsTask`` (it reads rasters); the layout is built and written on the main thread when
the task finishes, because print layouts render there. Inputs default to the plugin settings.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsProject,
    QgsRasterLayer,
    QgsTask,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.gui import QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from .. import log
from ..areas import Area, areas_from_layer
from ..core.tonnage import TonnageInputError, TonnageParams
from ..core.units import UNIT_LABELS
from ..estimation import EstimateInputs, raster_path
from ..layers import ROLE_GRADE, ROLE_PROPERTY, ROLE_REGION, ROLE_THICKNESS, layer_by_role, raster_layer_filter
from ..qgis_compat import POLYGON_GEOMETRY
from ..report.area_results import estimate_areas
from ..report.errors import ReportError
from ..report.export import ReportTargets, write_report
from ..report.layout_builder import ReportLayers
from ..report.meta import meta_from_settings, remember
from ..report.naming import safe_file_stem
from ..report.target_options import options_from_settings
from ..report.texts import DEFAULT_TITLE, ReportMeta
from ..settings import Settings
from ..survey_store import find_layer

FID_ROLE = Qt.ItemDataRole.UserRole + 1


def proposed_pdf(project: QgsProject, title: str) -> Path:
    """A file name to start from: the title and today's date, in the last report folder, else the project's,
    else the home folder."""
    folder = Settings.report_folder.get() or project.homePath() or str(Path.home())
    stem = safe_file_stem(title or DEFAULT_TITLE, "report")
    return Path(folder) / f"{stem}_{datetime.date.today().isoformat()}.pdf"


def _kind(project: QgsProject, layer: QgsVectorLayer) -> str:
    """Features without a ``kind`` field: survey areas in the survey layer, plain areas elsewhere."""
    return "survey area" if layer is find_layer(project) else "area"


class ExportReportDialog(QDialog):
    def __init__(
        self, project: QgsProject | None = None, parent=None, message_bar=None, inputs: EstimateInputs | None = None
    ) -> None:
        """``inputs``: the dock's current inputs; the report then uses exactly what the dock shows."""
        super().__init__(parent)
        self.project = project or QgsProject.instance()
        self.preset = inputs
        self.message_bar = message_bar
        self.task: QgsTask | None = None
        self.setWindowTitle("Export report")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Areas (zones and survey areas)"])
        self._fill_tree()
        self.grade = QgsMapLayerComboBox()
        self.grade.setFilters(raster_layer_filter())
        self.thickness = QgsMapLayerComboBox()
        self.thickness.setFilters(raster_layer_filter())
        self.thickness.setAllowEmptyLayer(True)
        for combo, role in ((self.grade, ROLE_GRADE), (self.thickness, ROLE_THICKNESS)):
            if hasattr(combo, "setProject"):  # QGIS >= 3.24
                combo.setProject(self.project)
            elif self.project is not QgsProject.instance():
                combo.setAdditionalLayers(
                    [layer for layer in self.project.mapLayers().values() if isinstance(layer, QgsRasterLayer)]
                )
            layer = layer_by_role(self.project, role)
            if layer is not None:
                combo.setLayer(layer)
        self.output = QgsFileWidget()
        self.output.setStorageMode(QgsFileWidget.StorageMode.SaveFile)
        self.output.setFilter("PDF files (*.pdf)")
        self.output.setFilePath(str(proposed_pdf(self.project, Settings.title.get())))
        self.title = QLineEdit(Settings.title.get())
        self.title.setPlaceholderText(DEFAULT_TITLE)
        self.author = QLineEdit(Settings.author.get())
        self.author.setPlaceholderText("Name of the person responsible for the figures")
        self.organisation = QLineEdit(Settings.organisation.get())
        self.logo = QgsFileWidget()
        self.logo.setFilter("Images (*.png *.jpg *.jpeg *.svg)")
        self.logo.setFilePath(Settings.logo.get())
        self.tables = QCheckBox("Also write CSV and GeoPackage beside the PDF")
        self.tables.setChecked(True)
        form = QFormLayout()
        if self.preset is None:
            form.addRow("Grade raster (TREO)", self.grade)
            form.addRow(f"Thickness raster (empty: {Settings.thickness.get():g} m)", self.thickness)
        else:
            self._show_preset(form)
        form.addRow("Title", self.title)
        form.addRow("Author", self.author)
        form.addRow("Organisation", self.organisation)
        form.addRow("Logo (optional)", self.logo)
        form.addRow("PDF file", self.output)
        form.addRow(self.tables)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(640)
        self.tree.header().setStretchLastSection(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideNone)

    def _show_preset(self, form: QFormLayout) -> None:
        for layer in self.project.mapLayers().values():
            if isinstance(layer, QgsRasterLayer) and layer.source() == self.preset.grade_path:
                self.grade.setLayer(layer)  # the map shows the raster the figures come from
        params = self.preset.params
        thickness = Path(params.thickness_raster).name if params.thickness_raster else f"{params.thickness:g} m"
        density = Path(params.density_raster).name if params.density_raster else f"{params.density:g} t/m³"
        label = QLabel(
            f"Inputs from the Rare Earth Explorer dock: {Path(self.preset.grade_path).name} "
            f"(band {params.grade_band}), cut-off {params.cutoff:g} {UNIT_LABELS[params.grade_unit]}, "
            f"thickness {thickness}, density {density}."
        )
        label.setWordWrap(True)
        form.addRow(label)

    def _fill_tree(self) -> None:
        for layer in self.project.mapLayers().values():
            # A layer whose data is unavailable (moved file) cannot be reported on, nor stop the others.
            if (
                not isinstance(layer, QgsVectorLayer)
                or not layer.isValid()
                or layer.customProperty(ROLE_PROPERTY) == ROLE_REGION
                or QgsWkbTypes.geometryType(layer.wkbType()) != POLYGON_GEOMETRY
            ):
                continue
            parent = QTreeWidgetItem(self.tree, [layer.name()])
            parent.setData(0, Qt.ItemDataRole.UserRole, layer.id())
            parent.setFlags(parent.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsAutoTristate)
            for area in areas_from_layer(layer, default_kind=_kind(self.project, layer)):
                child = QTreeWidgetItem(parent, [f"{area.name} ({area.kind})"])
                child.setData(0, FID_ROLE, area.fid)
                child.setFlags(child.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                child.setCheckState(0, Qt.CheckState.Checked)
            parent.setExpanded(True)

    def selected(self) -> tuple[list[QgsVectorLayer], list[Area]]:
        layers, areas = [], []
        for index in range(self.tree.topLevelItemCount()):
            parent = self.tree.topLevelItem(index)
            fids = [
                parent.child(i).data(0, FID_ROLE)
                for i in range(parent.childCount())
                if parent.child(i).checkState(0) == Qt.CheckState.Checked
            ]
            layer = self.project.mapLayer(parent.data(0, Qt.ItemDataRole.UserRole))
            if fids and layer is not None:
                layers.append(layer)
                areas.extend(areas_from_layer(layer, fids, _kind(self.project, layer)))
        return layers, areas

    def inputs(self) -> EstimateInputs:
        if self.preset is not None:
            return self.preset
        thickness = self.thickness.currentLayer()
        params = TonnageParams(
            cutoff=Settings.cutoff.get(),
            grade_unit=Settings.grade_unit.get(),
            grade_band=Settings.grade_band.get(),
            density=Settings.density.get(),
            thickness=None if thickness is not None else Settings.thickness.get(),
            thickness_raster=raster_path(thickness, "thickness raster") if thickness is not None else None,
        )
        return EstimateInputs(raster_path(self.grade.currentLayer(), "grade raster"), params)

    def meta(self) -> ReportMeta:
        """What the user typed (blanks stay blank here; the report fills them)."""
        return ReportMeta(
            title=self.title.text().strip(),
            author=self.author.text().strip(),
            organisation=self.organisation.text().strip(),
            logo=self.logo.filePath().strip(),
        )

    def start(self) -> None:
        try:
            layers, areas = self.selected()
            if not areas:
                raise ReportError("areas: no area chosen; tick at least one zone or survey area")
            pdf = self.output.filePath()
            base = Path(pdf).with_suffix("") if pdf else None
            targets = ReportTargets.checked(
                pdf,
                f"{base}.csv" if base and self.tables.isChecked() else None,
                f"{base}.gpkg" if base and self.tables.isChecked() else None,
            )
            inputs = self.inputs()
            typed = self.meta()
            if typed.logo and not Path(typed.logo).is_file():
                raise ReportError(f"Logo: the image file '{typed.logo}' does not exist")
        except (ReportError, TonnageInputError) as error:
            QMessageBox.warning(self, "Export report", str(error))
            return
        remember(typed)
        Settings.report_folder.set(str(Path(targets.pdf).parent))
        meta = meta_from_settings(typed.title, typed.author, typed.organisation, typed.logo)
        report_layers = ReportLayers(layers, self.grade.currentLayer(), layer_by_role(self.project, ROLE_REGION))
        target_options = options_from_settings()  # the dock's Exploration target group keeps them there
        self.buttons.setEnabled(False)

        def run(task: QgsTask):
            return estimate_areas(
                areas, inputs, progress=task.setProgress, cancelled=task.isCanceled, target=target_options
            )

        def finished(error, results=None):
            self.buttons.setEnabled(True)
            self.task = None
            try:
                if error is not None:
                    raise error
                if results is None:
                    raise ReportError("the report export was cancelled")
                paths = write_report(results, inputs, report_layers, meta, targets, target_options=target_options)
            except Exception as problem:  # noqa: BLE001 - any failure of the task is shown, never raised into Qt
                log.logger.exception("Report export failed: %s", problem)
                QMessageBox.warning(self, "Export report", str(problem))
                return
            if self.message_bar is not None:
                log.notify(self.message_bar, f"Report written: {paths[0]}", Qgis.MessageLevel.Success)
            self.accept()

        self.task = QgsTask.fromFunction("Rare Earth report", run, on_finished=finished)
        QgsApplication.taskManager().addTask(self.task)
