"""The grade-tonnage chart of one area as a PNG for the print layout.

Matplotlib's object API with the Agg canvas is used (never ``pyplot``), so charts render headless, in any
thread, without touching the backend QGIS chose.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from .figures import AreaFigures

CHART_DPI = 200
MM_PER_INCH = 25.4
TONNAGE_COLOUR = "#1f4e79"
GRADE_COLOUR = "#c0504d"


def write_chart(curve: Sequence[AreaFigures], chosen_cutoff_pct: float, target: Path,
                width_mm: float, height_mm: float) -> Path:
    """Ore tonnage (left axis) and mean grade (right axis) against cut-off, the chosen cut-off marked."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH), dpi=CHART_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    cutoffs = [row.cutoff_pct for row in curve]
    axes.plot(cutoffs, [row.ore_mt for row in curve], color=TONNAGE_COLOUR, linewidth=1.6)
    axes.set_xlabel("Cut-off grade, % TREO", fontsize=7)
    axes.set_ylabel("Ore above cut-off, Mt", fontsize=7, color=TONNAGE_COLOUR)
    axes.set_xlim(min(cutoffs), max(cutoffs))
    axes.set_ylim(bottom=0)
    axes.grid(True, linewidth=0.3, alpha=0.6)
    grades = [row.mean_grade_pct for row in curve]
    right = axes.twinx()
    right.plot(cutoffs, grades, color=GRADE_COLOUR, linewidth=1.4, linestyle="--")
    right.set_ylabel("Mean grade above cut-off, % TREO", fontsize=7, color=GRADE_COLOUR)
    finite = [grade for grade in grades if math.isfinite(grade)]
    if finite:
        right.set_ylim(0, max(finite) * 1.1 or 1.0)
    for side in (axes, right):
        side.tick_params(labelsize=6)
    if math.isfinite(chosen_cutoff_pct):
        axes.axvline(chosen_cutoff_pct, color="#555555", linewidth=0.8, linestyle=":")
        axes.annotate(f"report cut-off {chosen_cutoff_pct:g} %", xy=(chosen_cutoff_pct, 0), xytext=(3, 3),
                      textcoords="offset points", fontsize=6, color="#555555", rotation=90, va="bottom")
    figure.tight_layout(pad=0.4)
    figure.savefig(str(target), dpi=CHART_DPI, format="png")
    return target
