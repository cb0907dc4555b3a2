"""The estimate inputs: grade raster and unit, thickness, density and cut-off, kept in settings and project.

Constants go to ``QgsSettings`` so a new project starts from the user's last choice; layer choices are only
meaningful inside one project, so everything (layers by id) is also written to the project file.
"""

from __future__ import annotations

from dataclasses import dataclass

from qgis.core import QgsProject, QgsRasterLayer
from qgis.gui import QgsDoubleSpinBox, QgsMapLayerComboBox, QgsRasterBandComboBox
from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedWidget, QWidget

from ..core.band_unit import declared_unit, mismatch_warning
from ..core.tonnage import TonnageInputError, TonnageParams
from ..core.units import DEFAULT_DENSITY, GRADE_UNITS, PERCENT, PPM, UNIT_LABELS, convert_grade
from ..estimation import EstimateInputs, raster_path
from ..settings import Settings, read_project_inputs, write_project_inputs
from .narrow import narrow, raster_combo, wrapping_form

CONSTANT = "constant"
RASTER = "raster"


@dataclass
class InputsState:
    """Everything the panel shows, as plain values (layers by id) for settings and project entries."""

    grade_layer: str = ""
    grade_band: int = 1
    grade_unit: str = PERCENT
    cutoff: float = Settings.cutoff.default
    thickness_source: str = CONSTANT
    thickness: float = Settings.thickness.default
    thickness_layer: str = ""
    density_source: str = CONSTANT
    density: float = DEFAULT_DENSITY
    density_layer: str = ""

    @classmethod
    def from_settings(cls) -> InputsState:
        unit = Settings.grade_unit.get()
        return cls(
            grade_band=Settings.grade_band.get(),
            grade_unit=unit if unit in GRADE_UNITS else PERCENT,
            cutoff=Settings.cutoff.get(),
            thickness=Settings.thickness.get(),
            density=Settings.density.get(),
        )

    def to_settings(self) -> None:
        Settings.grade_band.set(self.grade_band)
        Settings.grade_unit.set(self.grade_unit)
        Settings.cutoff.set(self.cutoff)
        Settings.thickness.set(self.thickness)
        Settings.density.set(self.density)

    def write_project(self, project: QgsProject) -> None:
        write_project_inputs(project, self)

    @classmethod
    def read_project(cls, project: QgsProject) -> InputsState | None:
        """None when the project holds no inputs of ours (then settings apply)."""
        state = cls.from_settings()
        return state if read_project_inputs(project, state) else None


class InputsPanel(QWidget):
    """Emits ``changed`` when the user changes an input; ``inputs()`` turns the choice into engine inputs."""

    changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._applying = False
        form = wrapping_form(self)

        self.grade_layer = raster_combo("The raster of TREO grades to estimate from.")
        self.grade_band = narrow(QgsRasterBandComboBox())  # "Band 1: TREO grade, percent of rock mass" and longer
        self.grade_band.setToolTip("Band of the grade raster that holds the grade.")
        self.grade_unit = QComboBox()
        for unit in GRADE_UNITS:
            self.grade_unit.addItem(UNIT_LABELS[unit], unit)
        self.grade_unit.setToolTip("Unit of the grade raster values (0.1 % = 1,000 ppm = 1,000 g/t).")
        band_row = QHBoxLayout()
        band_row.addWidget(self.grade_band, 1)
        band_row.addWidget(self.grade_unit)
        form.addRow("Grade raster", self.grade_layer)
        form.addRow("Band / unit", band_row)
        self.unit_note = QLabel()
        self.unit_note.setWordWrap(True)
        self.unit_note.setStyleSheet("color: #b00020")
        self.unit_note.setVisible(False)
        form.addRow(self.unit_note)

        self.cutoff = narrow(QgsDoubleSpinBox())
        self.cutoff.setRange(0.0, 1e6)
        self.cutoff.setToolTip("Cells with a grade below the cut-off are not ore.")
        form.addRow("Cut-off grade", self.cutoff)

        self.thickness_source, self.thickness, self.thickness_layer, row = self._constant_or_raster(
            " m",
            (0.01, 10000.0),
            1,
            "Thickness of the mineralised body, metres.",
            "A raster of mineralised thickness in metres.",
        )
        form.addRow("Thickness", row)
        self.density_source, self.density, self.density_layer, row = self._constant_or_raster(
            " t/m³",
            (0.5, 10.0),
            2,
            "Dry bulk density of the ore, t/m³ (volcanic hosts: 2.4–2.8).",
            "A raster of dry bulk density in t/m³.",
        )
        form.addRow("Density", row)
        self.thickness.setShowClearButton(False)
        self.density.setClearValue(DEFAULT_DENSITY)
        self.cutoff.setClearValue(0.0)

        self.grade_layer.layerChanged.connect(self.grade_band.setLayer)
        self.grade_unit.currentIndexChanged.connect(self._unit_changed)
        self.grade_layer.layerChanged.connect(self._band_changed)
        self.grade_band.bandChanged.connect(self._band_changed)
        for signal in (
            self.grade_layer.layerChanged,
            self.grade_band.bandChanged,
            self.cutoff.valueChanged,
            self.thickness_source.currentIndexChanged,
            self.thickness.valueChanged,
            self.thickness_layer.layerChanged,
            self.density_source.currentIndexChanged,
            self.density.valueChanged,
            self.density_layer.layerChanged,
        ):
            signal.connect(self._emit_changed)
        self.grade_band.setLayer(self.grade_layer.currentLayer())
        self._unit = PERCENT
        self.apply_state(InputsState.from_settings())

    # Construction helpers -----------------------------------------------------------------------------------
    def _constant_or_raster(
        self, suffix: str, bounds: tuple[float, float], decimals: int, constant_tip: str, raster_tip: str
    ):
        source = QComboBox()
        source.addItem("Constant", CONSTANT)
        source.addItem("Raster", RASTER)
        source.setToolTip("Use one value everywhere, or read it cell by cell from a raster.")
        value = narrow(QgsDoubleSpinBox())
        value.setRange(*bounds)
        value.setDecimals(decimals)
        value.setSuffix(suffix)
        value.setToolTip(constant_tip)
        layer = raster_combo(raster_tip)
        stack = QStackedWidget()
        stack.addWidget(value)
        stack.addWidget(layer)
        source.currentIndexChanged.connect(stack.setCurrentIndex)
        row = QHBoxLayout()
        row.addWidget(source)
        row.addWidget(stack, 1)
        return source, value, layer, row

    # State --------------------------------------------------------------------------------------------------
    def _emit_changed(self, *_args) -> None:
        if not self._applying:
            self.changed.emit()

    def _unit_changed(self) -> None:
        """Keep the same physical cut-off when the unit changes (0.1 % becomes 1,000 ppm)."""
        unit = self.unit()
        cutoff = convert_grade(self.cutoff.value(), self._unit, unit)
        self._unit = unit
        applying, self._applying = self._applying, True
        self._style_cutoff(unit)
        self.cutoff.setValue(cutoff)
        self._applying = applying
        self._show_unit_warning()
        self._emit_changed()

    def declared_unit(self) -> str | None:
        """The grade unit the chosen band declares (GDAL unit type), if any."""
        layer = self.grade_layer.currentLayer()
        if layer is None or layer.providerType() != "gdal":
            return None
        return declared_unit(layer.source(), max(self.grade_band.currentBand(), 1))

    def unit_warning(self) -> str:
        """Why the chosen unit contradicts the band's own; '' when it does not."""
        layer = self.grade_layer.currentLayer()
        return mismatch_warning(self.declared_unit(), self.unit(), layer.name()) if layer is not None else ""

    def _band_changed(self, *_args) -> None:
        """A newly chosen band that declares its unit sets the unit combo to it (the user may still change it,
        with a warning)."""
        declared = self.declared_unit()
        if declared is not None and not self._applying and declared != self.unit():
            self.grade_unit.setCurrentIndex(self.grade_unit.findData(declared))
        self._show_unit_warning()

    def _show_unit_warning(self) -> None:
        text = self.unit_warning()
        self.unit_note.setText(text)
        self.unit_note.setVisible(bool(text))

    def _style_cutoff(self, unit: str) -> None:
        self.cutoff.setDecimals(0 if unit == PPM else 3)
        self.cutoff.setSingleStep(100.0 if unit == PPM else 0.01)
        self.cutoff.setSuffix(f" {UNIT_LABELS[unit]}")

    def unit(self) -> str:
        return self.grade_unit.currentData() or PERCENT

    def state(self) -> InputsState:
        def layer_id(combo: QgsMapLayerComboBox) -> str:
            layer = combo.currentLayer()
            return layer.id() if layer is not None else ""

        return InputsState(
            grade_layer=layer_id(self.grade_layer),
            grade_band=max(self.grade_band.currentBand(), 1),
            grade_unit=self.unit(),
            cutoff=self.cutoff.value(),
            thickness_source=self.thickness_source.currentData(),
            thickness=self.thickness.value(),
            thickness_layer=layer_id(self.thickness_layer),
            density_source=self.density_source.currentData(),
            density=self.density.value(),
            density_layer=layer_id(self.density_layer),
        )

    def apply_state(self, state: InputsState, project: QgsProject | None = None) -> None:
        """Show ``state`` without emitting ``changed`` per widget; layers that no longer exist stay unset."""
        project = project or QgsProject.instance()
        self._applying = True
        try:
            self.grade_unit.setCurrentIndex(max(self.grade_unit.findData(state.grade_unit), 0))
            self._unit = self.unit()
            self._style_cutoff(self._unit)
            self.cutoff.setValue(state.cutoff)
            self.grade_layer.setLayer(project.mapLayer(state.grade_layer) if state.grade_layer else None)
            self.grade_band.setLayer(self.grade_layer.currentLayer())
            self.grade_band.setBand(state.grade_band)
            self.thickness.setValue(state.thickness)
            self.density.setValue(state.density)
            for source, layer_combo, mode, layer_id in (
                (self.thickness_source, self.thickness_layer, state.thickness_source, state.thickness_layer),
                (self.density_source, self.density_layer, state.density_source, state.density_layer),
            ):
                layer = project.mapLayer(layer_id) if layer_id else None
                if layer is not None:
                    layer_combo.setLayer(layer)
                source.setCurrentIndex(max(source.findData(mode), 0))
        finally:
            self._applying = False
        self._show_unit_warning()

    def use_sample(self, grade: QgsRasterLayer, thickness: QgsRasterLayer) -> None:
        """The Qaraganda sample: TREO % grade, a thickness raster and the default density."""
        state = self.state()
        state.grade_layer, state.grade_band, state.grade_unit = grade.id(), 1, PERCENT
        state.thickness_source, state.thickness_layer = RASTER, thickness.id()
        state.density_source, state.density = CONSTANT, DEFAULT_DENSITY
        if state.cutoff <= 0.0:  # the zones' legend marks the default cut-off: start from it
            state.cutoff = Settings.cutoff.default
        self.apply_state(state)
        self.changed.emit()

    # Engine inputs ------------------------------------------------------------------------------------------
    def inputs(self) -> EstimateInputs:
        """Raises ``TonnageInputError`` with a plain message when a raster is missing or unusable."""
        if self.grade_layer.currentLayer() is None:
            raise TonnageInputError("No grade raster chosen: pick one under Inputs.")
        grade_path = raster_path(self.grade_layer.currentLayer(), "Grade raster")
        thickness_raster = density_raster = None
        thickness: float | None = self.thickness.value()
        if self.thickness_source.currentData() == RASTER:
            thickness_raster = raster_path(self.thickness_layer.currentLayer(), "Thickness raster")
            thickness = None
        if self.density_source.currentData() == RASTER:
            density_raster = raster_path(self.density_layer.currentLayer(), "Density raster")
        params = TonnageParams(
            cutoff=self.cutoff.value(),
            grade_unit=self.unit(),
            grade_band=max(self.grade_band.currentBand(), 1),
            density=self.density.value(),
            density_raster=density_raster,
            thickness=thickness,
            thickness_raster=thickness_raster,
        )
        params.validate()
        return EstimateInputs(grade_path=grade_path, params=params)
