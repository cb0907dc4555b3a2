"""The dock's grade-tonnage chart: ``core.grade_tonnage_chart`` on a Qt canvas, or a message in its place."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

try:
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
except ImportError:  # matplotlib < 3.5
    from matplotlib.backends.backend_qt5agg import FigureCanvasQTAgg

from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtWidgets import QSizePolicy

from ..core.grade_tonnage_chart import draw_grade_tonnage
from ..core.tonnage import TonnageResult

#: The chart's preferred height: readable axes at the dock's width; taller panes give it more (it expands).
CHART_HEIGHT = 160


class GradeTonnageChart(FigureCanvasQTAgg):
    def __init__(self, parent=None) -> None:
        self.figure = Figure(figsize=(4.0, 2.6), dpi=90, tight_layout=True)
        super().__init__(self.figure)
        self.setParent(parent)
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip(
            "Grade-tonnage curve: ore tonnes (left axis) and mean grade of the ore (right axis) at each cut-off"
        )
        self.show_message("Select an area to see its grade-tonnage curve")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API name
        """Not the figure's own 2.6 in: the result pane's need (figures and the whole chart) fits a 1000 px
        screen beside the table."""
        return QSize(super().sizeHint().width(), CHART_HEIGHT)

    def show_message(self, text: str) -> None:
        self.figure.clear()
        axes = self.figure.add_subplot(111)
        axes.set_axis_off()
        axes.text(0.5, 0.5, text, ha="center", va="center", wrap=True, color="#555555", transform=axes.transAxes)
        self.draw_idle()

    def plot(self, curve: Sequence[TonnageResult], unit: str, current_cutoff: float) -> None:
        if not curve:
            self.show_message("No curve for this area")
            return
        self.figure.clear()
        draw_grade_tonnage(self.figure.add_subplot(111), curve, unit, current_cutoff)
        self.draw_idle()
