"""The dock's "Exploration target" group: the depth window, the three triangular ranges (low / likely / high),
the simulation and the statement items of the report; collapsed by default, our defaults filled in, every
choice remembered in the settings.

The depth window applies to every figure the dock shows (it is part of the engine's parameters); the ranges
only to the target of the selected area.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace

from qgis.core import QgsMapLayer, QgsProject
from qgis.gui import QgsCollapsibleGroupBox, QgsDoubleSpinBox, QgsSpinBox
from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.exploration_target import DEFAULT_SEED, MAX_DRAWS, MAX_SEED
from ..core.target_ranges import TargetRanges, Triangular
from ..core.target_text import REPORTING_CODES
from ..core.tonnage import TonnageInputError
from ..estimation import EstimateInputs, raster_path
from ..report.target_options import TargetOptions, options_from_settings, options_to_settings
from ..settings import Settings, read_project_inputs, write_project_inputs
from .inputs_panel import CONSTANT, RASTER
from .narrow import narrow, raster_combo, wrapping_form

TOP_DEPTH, MIN_DEPTH, MAX_DEPTH = Settings.top_depth, Settings.min_depth, Settings.max_depth
TOP_SOURCE, TOP_RASTER = Settings.top_source, Settings.top_raster


@dataclass
class DepthWindow:
    """The depth window as plain values, for the settings and the project (beside ``InputsState``). The
    top-of-ore raster goes by layer id (the project's layer) and by source (a new project's layer of that file).
    A limit < 0 means none."""

    top_source: str = CONSTANT
    top_depth: float = TOP_DEPTH.default
    top_layer: str = ""
    top_raster: str = ""
    min_depth: float = MIN_DEPTH.default
    max_depth: float = MAX_DEPTH.default

    @classmethod
    def from_settings(cls) -> DepthWindow:
        return cls(
            top_source=TOP_SOURCE.get(),
            top_depth=TOP_DEPTH.get(),
            top_raster=TOP_RASTER.get(),
            min_depth=MIN_DEPTH.get(),
            max_depth=MAX_DEPTH.get(),
        )

    def to_settings(self) -> None:
        TOP_SOURCE.set(self.top_source)
        TOP_DEPTH.set(self.top_depth)
        TOP_RASTER.set(self.top_raster)
        MIN_DEPTH.set(self.min_depth)
        MAX_DEPTH.set(self.max_depth)

    def write_project(self, project: QgsProject) -> None:
        write_project_inputs(project, self)

    @classmethod
    def read_project(cls, project: QgsProject) -> DepthWindow | None:
        """None when the project holds no depth window (saved before it had one: then settings apply)."""
        window = cls.from_settings()
        return window if read_project_inputs(project, window) else None

    def layer(self, project: QgsProject) -> QgsMapLayer | None:
        """The project's top-of-ore raster: the layer of that id, else the first that reads the same file."""
        by_id = project.mapLayer(self.top_layer) if self.top_layer else None
        if by_id is not None or not self.top_raster:
            return by_id
        return next((layer for layer in project.mapLayers().values() if layer.source() == self.top_raster), None)


class TriangleRow(QWidget):
    """Low, likely and high spin boxes in one row."""

    changed = pyqtSignal()

    def __init__(
        self,
        default: Triangular,
        bounds: tuple[float, float],
        decimals: int,
        suffix: str,
        tooltip: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.boxes = []
        for name, value in zip(("low", "likely", "high"), (default.low, default.likely, default.high)):
            box = narrow(QgsDoubleSpinBox())
            box.setRange(*bounds)
            box.setDecimals(decimals)
            box.setSingleStep(10**-decimals * 5)
            box.setSuffix(suffix)
            box.setClearValue(value)
            box.setToolTip(f"{tooltip} – {name} value (cleared: our default {value:g})")
            box.valueChanged.connect(self.changed)
            row.addWidget(box)
            self.boxes.append(box)

    def value(self) -> Triangular:
        return Triangular(*(box.value() for box in self.boxes))

    def set_value(self, value: Triangular) -> None:
        for box, number in zip(self.boxes, (value.low, value.likely, value.high)):
            box.blockSignals(True)
            box.setValue(number)
            box.blockSignals(False)


class DepthLimit(QWidget):
    """A depth with a "limit" check box: unchecked means unbounded."""

    changed = pyqtSignal()

    def __init__(
        self, label: str, default: float, tooltip: str, least: float = 0.0, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.enabled = QCheckBox(label)
        self.depth = narrow(QgsDoubleSpinBox())
        self.depth.setRange(least, 10_000.0)
        self.depth.setDecimals(1)
        self.depth.setSuffix(" m")
        self.depth.setValue(default)
        self.depth.setEnabled(False)
        for widget in (self.enabled, self.depth):
            widget.setToolTip(tooltip)
        self.enabled.toggled.connect(self.depth.setEnabled)
        self.enabled.toggled.connect(self.changed)
        self.depth.valueChanged.connect(self.changed)
        row.addWidget(self.enabled)
        row.addWidget(self.depth, 1)

    def value(self) -> float | None:
        return self.depth.value() if self.enabled.isChecked() else None

    def set_value(self, value: float | None) -> None:
        for widget in (self.enabled, self.depth):
            widget.blockSignals(True)
        self.enabled.setChecked(value is not None)
        self.depth.setEnabled(value is not None)
        if value is not None:
            self.depth.setValue(value)
        for widget in (self.enabled, self.depth):
            widget.blockSignals(False)


class TargetInputs(QgsCollapsibleGroupBox):
    """Emits ``window_changed`` when the depth window changes (every figure changes) and ``ranges_changed``
    when only the target's inputs do."""

    window_changed = pyqtSignal()
    ranges_changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Target and depth window", parent)
        self.setSaveCollapsedState(False)  # starts collapsed in every session: the defaults are filled in
        self.setCollapsed(True)
        form = wrapping_form(self)
        self.top_source = QComboBox()
        self.top_source.addItem("Constant", CONSTANT)
        self.top_source.addItem("Raster", RASTER)
        self.top_depth = narrow(QgsDoubleSpinBox())
        self.top_depth.setRange(0.0, 10_000.0)
        self.top_depth.setDecimals(1)
        self.top_depth.setSuffix(" m")
        self.top_depth.setClearValue(0.0)
        tip = "Depth below surface of the top of the mineralised body, m (constant or cell by cell)"
        self.top_layer = raster_combo(tip)
        self.top_stack = QStackedWidget()  # visibility toggles would be undone when the group expands
        self.top_stack.addWidget(self.top_depth)
        self.top_stack.addWidget(self.top_layer)
        for widget in (self.top_source, self.top_depth, self.top_layer):
            widget.setToolTip(tip)
        top_row = QHBoxLayout()
        top_row.addWidget(self.top_source)
        top_row.addWidget(self.top_stack, 1)
        form.addRow("Top of ore", top_row)
        self.min_depth = DepthLimit(
            "from", 0.0, "Count only the ore below this depth (e.g. under 50 m of cover); unchecked: from the surface"
        )
        self.max_depth = DepthLimit(
            "to",
            300.0,
            "Count only the ore above this depth (e.g. 300 m, the "
            "depth of the Jana Kazakhstan figure); unchecked: no limit",
            least=0.1,  # a window that ends at the surface counts nothing (the engine refuses it)
        )
        window = QVBoxLayout()  # one above the other: side by side they took 340 px of a 360 px dock
        window.addWidget(self.min_depth)
        window.addWidget(self.max_depth)
        form.addRow("Depths counted", window)

        default = TargetRanges()
        heading = QLabel("Ranges (our defaults): triangular low / likely / high")
        heading.setToolTip(
            "Density, thickness factor and grade factor are drawn independently; clear a box to "
            "get our default back. The cut-off stays fixed while the grade factor moves every "
            "grade."
        )
        heading.setWordWrap(True)
        form.addRow(heading)
        self.density = TriangleRow(
            default.density,
            (0.5, 10.0),
            2,
            "",
            "Bulk density, t/m³ (with a density raster: each cell scaled by value / likely)",
        )
        self.thickness_factor = TriangleRow(
            default.thickness_factor, (0.0, 10.0), 2, "", "Factor on the thickness source"
        )
        self.grade_factor = TriangleRow(
            default.grade_factor, (0.01, 10.0), 2, "", "Factor on every grade, before the fixed cut-off"
        )
        form.addRow("Density t/m³", self.density)
        form.addRow("Thickness ×", self.thickness_factor)
        form.addRow("Grade ×", self.grade_factor)
        self.draws = narrow(QgsSpinBox())
        self.draws.setRange(100, MAX_DRAWS)
        self.draws.setSingleStep(1000)
        self.draws.setClearValue(10_000)
        self.draws.setToolTip("Monte Carlo draws for P90 / P50 / P10")
        self.seed = narrow(QgsSpinBox())
        self.seed.setRange(0, MAX_SEED)
        self.seed.setClearValue(DEFAULT_SEED)
        self.seed.setToolTip("The same seed gives the same figures")
        simulation = QHBoxLayout()
        simulation.addWidget(self.draws, 1)
        simulation.addWidget(QLabel("seed"))
        simulation.addWidget(self.seed, 1)
        form.addRow("Draws", simulation)

        self.code = narrow(QComboBox())
        self.code.addItems(list(REPORTING_CODES))
        self.code.setToolTip("The reporting code the report's statement cites")
        self.person = QLineEdit()
        self.person.setPlaceholderText("name, professional body")
        self.person.setToolTip("The Competent Person who signs the report's statement")
        self.planned = QLineEdit()
        self.planned.setPlaceholderText("e.g. 12 diamond holes on a 400 m grid")
        self.planned.setToolTip("The exploration planned to test the target (stated in the report)")
        self.timeframe = QLineEdit()
        self.timeframe.setPlaceholderText("e.g. 2027 field season")
        form.addRow("Reporting code", self.code)
        form.addRow("Competent Person", self.person)
        form.addRow("Exploration planned", self.planned)
        form.addRow("Timeframe", self.timeframe)

        self.top_source.currentIndexChanged.connect(self._top_source_changed)
        for signal in (
            self.top_depth.valueChanged,
            self.top_layer.layerChanged,
            self.min_depth.changed,
            self.max_depth.changed,
        ):
            signal.connect(self._window_edited)
        for signal in (
            self.density.changed,
            self.thickness_factor.changed,
            self.grade_factor.changed,
            self.draws.valueChanged,
            self.seed.valueChanged,
        ):
            signal.connect(self._ranges_edited)
        for signal in (
            self.code.currentIndexChanged,
            self.person.editingFinished,
            self.planned.editingFinished,
            self.timeframe.editingFinished,
        ):
            signal.connect(self._save)
        self._load()

    # State --------------------------------------------------------------------------------------------------
    def _load(self) -> None:
        self.apply_options(options_from_settings())
        self.apply_window(DepthWindow.from_settings(), QgsProject.instance())

    def apply_options(self, options: TargetOptions) -> None:
        self.density.set_value(options.ranges.density)
        self.thickness_factor.set_value(options.ranges.thickness_factor)
        self.grade_factor.set_value(options.ranges.grade_factor)
        for box, value in ((self.draws, options.draws), (self.seed, options.seed)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self.code.setCurrentIndex(max(self.code.findText(options.reporting_code), 0))
        self.person.setText(options.competent_person)
        self.planned.setText(options.exploration_planned)
        self.timeframe.setText(options.timeframe)

    def window(self) -> DepthWindow:
        layer = self.top_layer.currentLayer()
        return DepthWindow(
            top_source=self.top_source.currentData() or CONSTANT,
            top_depth=self.top_depth.value(),
            top_layer=layer.id() if layer is not None else "",
            top_raster=layer.source() if layer is not None else "",
            min_depth=-1.0 if self.min_depth.value() is None else self.min_depth.value(),
            max_depth=-1.0 if self.max_depth.value() is None else self.max_depth.value(),
        )

    def apply_window(self, window: DepthWindow, project: QgsProject) -> None:
        """Show ``window`` without emitting ``window_changed``; a raster the project lacks stays unset."""
        for widget in (self.top_source, self.top_depth, self.top_layer):
            widget.blockSignals(True)
        try:
            self.top_depth.setValue(window.top_depth)
            self.top_layer.setLayer(window.layer(project))
            self.top_source.setCurrentIndex(max(self.top_source.findData(window.top_source), 0))
            self.top_stack.setCurrentIndex(1 if self.top_source.currentData() == RASTER else 0)
        finally:
            for widget in (self.top_source, self.top_depth, self.top_layer):
                widget.blockSignals(False)
        self.min_depth.set_value(window.min_depth if window.min_depth >= 0 else None)
        self.max_depth.set_value(window.max_depth if window.max_depth >= 0 else None)

    def _top_source_changed(self) -> None:
        self.top_stack.setCurrentIndex(1 if self.top_source.currentData() == RASTER else 0)
        self._window_edited()

    def _window_edited(self, *_args) -> None:
        """The dock keeps the window (settings and project) unless the change is a project being cleared."""
        self.window_changed.emit()

    def _ranges_edited(self, *_args) -> None:
        self._save()
        self.ranges_changed.emit()

    def _save(self, *_args) -> None:
        with contextlib.suppress(TonnageInputError):  # an unusable range is not remembered (the panel says why)
            options_to_settings(self.options())

    def options(self) -> TargetOptions:
        """The ranges and statement items; ``TonnageInputError`` names a range that cannot be used."""
        ranges = TargetRanges(self.density.value(), self.thickness_factor.value(), self.grade_factor.value())
        try:
            ranges = ranges.checked()
        except ValueError as error:
            raise TonnageInputError(str(error)) from None
        return TargetOptions(
            ranges=ranges,
            draws=self.draws.value(),
            seed=self.seed.value(),
            exploration_planned=self.planned.text(),
            timeframe=self.timeframe.text(),
            reporting_code=self.code.currentText(),
            competent_person=self.person.text(),
        )

    def with_window(self, inputs: EstimateInputs) -> EstimateInputs:
        """``inputs`` with the depth window; ``TonnageInputError`` when it is empty or its raster unusable."""
        top_raster = (
            raster_path(self.top_layer.currentLayer(), "Top-of-ore depth raster")
            if self.top_source.currentData() == RASTER
            else None
        )
        params = replace(
            inputs.params,
            top_depth=self.top_depth.value(),
            top_depth_raster=top_raster,
            min_depth=self.min_depth.value(),
            max_depth=self.max_depth.value(),
        )
        params.validate()
        return EstimateInputs(grade_path=inputs.grade_path, params=params)
