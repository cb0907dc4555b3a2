"""Grade-tonnage chart: ore tonnes and mean grade against cut-off on two y axes (matplotlib inside Qt)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.figure import Figure

try:
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
except ImportError:  # matplotlib < 3.5
    from matplotlib.backends.backend_qt5agg import FigureCanvasQTAgg

from qgis.PyQt.QtWidgets import QSizePolicy

from ..core.tonnage import TonnageResult
from ..core.units import PPM, standard_cutoffs
from .formatting import unit_label

ORE_COLOUR = "#1f5fa8"
GRADE_COLOUR = "#d9640f"


def chart_cutoffs(unit: str, current: float, steps: int = 40) -> list[float]:
    """The standard cut-offs, a finer even range up to 1.5 times the highest, and the user's own cut-off."""
    standard = standard_cutoffs(unit)
    top = max(max(standard), current) * 1.5
    fine = [top * i / steps for i in range(steps + 1)]
    return sorted({round(c, 9) for c in (*standard, *fine, current)})


class GradeTonnageChart(FigureCanvasQTAgg):
    def __init__(self, parent=None) -> None:
        self.figure = Figure(figsize=(4.0, 2.6), dpi=90, tight_layout=True)
        super().__init__(self.figure)
        self.setParent(parent)
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setToolTip("Grade-tonnage curve: ore tonnes (left axis) and mean grade of the ore (right axis) "
                        "at each cut-off")
        self.ore_axis = self.figure.add_subplot(111)
        self.grade_axis = self.ore_axis.twinx()
        self.show_message("Select an area to see its grade-tonnage curve")

    def show_message(self, text: str) -> None:
        for axis in (self.ore_axis, self.grade_axis):
            axis.clear()
            axis.set_axis_off()
        self.ore_axis.text(0.5, 0.5, text, ha="center", va="center", wrap=True, color="#555555",
                           transform=self.ore_axis.transAxes)
        self.draw_idle()

    def plot(self, curve: Sequence[TonnageResult], unit: str, current_cutoff: float) -> None:
        ore, grade = self.ore_axis, self.grade_axis
        for axis in (ore, grade):
            axis.clear()
            axis.set_axis_off()
        points = sorted(curve, key=lambda r: r.cutoff)
        if not points:
            self.show_message("No curve for this area")
            return
        label = unit_label(unit)
        cutoffs = [r.cutoff for r in points]
        ore.set_axis_on()
        grade.set_axis_on()
        ore.plot(cutoffs, [r.ore_tonnes / 1e6 for r in points], color=ORE_COLOUR, linewidth=1.8)
        grade.plot(cutoffs, [r.mean_grade if math.isfinite(r.mean_grade) else math.nan for r in points],
                   color=GRADE_COLOUR, linewidth=1.8, linestyle="--")
        ore.axvline(current_cutoff, color="#777777", linewidth=0.8, linestyle=":")
        ore.set_xlabel(f"Cut-off grade ({label})")
        ore.set_ylabel("Ore (Mt)", color=ORE_COLOUR)
        grade.set_ylabel(f"Mean grade ({label})", color=GRADE_COLOUR)
        grade.yaxis.set_label_position("right")
        ore.tick_params(axis="y", colors=ORE_COLOUR)
        grade.tick_params(axis="y", colors=GRADE_COLOUR)
        ore.set_xlim(cutoffs[0], cutoffs[-1])
        ore.set_ylim(bottom=0)
        if unit == PPM:
            ore.ticklabel_format(axis="x", style="plain")
        self.draw_idle()
