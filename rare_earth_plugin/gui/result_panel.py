"""Figures of the selected (or the being-drawn) area, its grade-tonnage chart and a copy button."""

from __future__ import annotations

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core import display
from ..core.tonnage import TonnageResult
from .chart import GradeTonnageChart
from .target_statement import TargetStatement

#: Lines of the target statement (P90–P10 and low–high ranges, the caution) at the dock's first width.
STATEMENT_LINES = 6


class ResultPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = ""
        self.unit = "percent"
        self.result: TonnageResult | None = None
        self.curve: list[TonnageResult] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("No area selected")
        self.title.setStyleSheet("font-weight: bold")
        self.title.setWordWrap(True)
        self.copy_button = QPushButton("Copy figures")
        self.copy_button.setToolTip(
            "Copy the figures (and the grade-tonnage curve) as a tab-separated table for a spreadsheet"
        )
        self.copy_button.clicked.connect(self.copy)
        self.copy_button.setEnabled(False)
        heading = QHBoxLayout()  # the button beside the title: the chart below keeps the height
        heading.addWidget(self.title, 1)
        heading.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(heading)
        self.target = TargetStatement(self)  # the area's target as ranges: the headline, above the base figures
        layout.addWidget(self.target)

        figures = QGridLayout()  # two columns of short figures: the chart below needs the height
        figures.setHorizontalSpacing(12)
        self.labels: dict[str, QLabel] = {}
        for index, (key, text, tip) in enumerate(
            (
                ("area", "Area", "Area of the polygon"),
                ("ore", "Ore", "Ore tonnes above the cut-off (three significant figures, to the tonne)"),
                ("grade", "Mean grade", "Tonnage-weighted mean grade of the ore"),
                ("treo", "TREO", "Contained rare-earth oxides (three significant figures, to the tonne)"),
                ("tree", "TREE", "Contained rare-earth elements (metal), TREO / 1.20"),
                ("coverage", "Data coverage", "Share of the polygon where the grade and the other rasters hold data"),
                ("cutoff", "Cut-off", "Cells below this grade are not ore"),
            )
        ):
            label = QLabel(display.MISSING)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setToolTip(tip)
            self.labels[key] = label
            row, column = index % 4, 2 * (index // 4)
            figures.addWidget(QLabel(text), row, column)
            figures.addWidget(label, row, column + 1)
        figures.setColumnStretch(1, 1)
        figures.setColumnStretch(3, 1)
        layout.addLayout(figures)
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #a05a00")
        self.notes.setVisible(False)  # its line only when there is a note
        layout.addWidget(self.notes)

        self.chart = GradeTonnageChart(self)
        layout.addWidget(self.chart, 1)

    def show_area(
        self,
        name: str,
        result: TonnageResult | None,
        unit: str,
        error: str = "",
        stale: bool = False,
        curve_pending: bool = True,
    ) -> None:
        """Show one area's figures; the curve waits for ``show_curve`` (``curve_pending``) or never comes (a
        sketch: its curve follows once it is finished). ``stale``: figures of other inputs, marked as such."""
        if name != self.name or not curve_pending:
            self.curve = []
            self.chart.show_message(
                "Computing the grade-tonnage curve…"
                if curve_pending
                else "The grade-tonnage curve follows when the area is finished"
            )
            self.target.show_message("Computing the exploration target…" if name else "")
        self.name, self.result, self.unit = name, result, unit
        title = name or "No area selected"
        if stale and result is not None:
            title += " (figures of earlier inputs: recomputing or cancelled)"
        self.title.setText(title)
        label = display.unit_label(unit)
        values = (
            {
                "area": f"{display.km2(result.polygon_area_m2)} km²",
                "ore": f"{display.mt(result.known('ore_tonnes'))} Mt",
                "cutoff": f"{display.grade(result.cutoff, unit)} {label}",
                "grade": f"{display.grade(result.known('mean_grade'), unit)} {label}",
                "treo": f"{display.kt(result.known('treo_tonnes'))} kt",
                "tree": f"{display.kt(result.known('tree_tonnes'))} kt",
                "coverage": f"{display.coverage(result.data_coverage)} %",
            }
            if result is not None
            else {}
        )
        for key, widget in self.labels.items():
            widget.setText(values.get(key, display.MISSING))
            widget.setEnabled(not stale)  # greyed: not the current inputs' figures
        self.notes.setText(error or ("\n".join(result.warnings) if result is not None else ""))
        self.notes.setVisible(bool(self.notes.text()))
        self.copy_button.setEnabled(result is not None and not stale)

    def preferred_height(self, width: int) -> int:
        """Height at ``width`` that shows the figures and the whole chart, counting a target statement of
        STATEMENT_LINES lines before there is one: choosing an area must not push the chart out of view."""
        statement = self.target.heightForWidth(width)
        reserve = STATEMENT_LINES * self.target.fontMetrics().lineSpacing()
        return self.heightForWidth(width) + max(reserve - statement, 0)

    def show_curve(self, curve: list[TonnageResult], unit: str, cutoff: float) -> None:
        """``unit``: the grade unit the curve was computed in, so the axis labels match its figures."""
        self.curve = list(curve)
        self.unit = unit
        self.chart.plot(self.curve, unit, cutoff)

    def show_curve_error(self, text: str) -> None:
        self.curve = []
        self.chart.show_message(text)

    def clear(self) -> None:
        self.name = ""
        self.show_area("", None, self.unit)
        self.chart.show_message("Select an area to see its grade-tonnage curve")

    def figures_text(self) -> str:
        rows = self.curve or ([self.result] if self.result is not None else [])
        return display.figures_table(self.name, rows, self.unit)

    def copy(self) -> None:
        QApplication.clipboard().setText(self.figures_text())
