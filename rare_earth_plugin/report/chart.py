"""The grade-tonnage chart of one area as a PNG for the print layout, grades in % TREO like the tables.

Matplotlib's object API with the Agg canvas is used (never ``pyplot``), so charts render headless, in any
thread, without touching the backend QGIS chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..core.grade_tonnage_chart import ChartStyle, CurvePoint, draw_grade_tonnage
from ..core.units import PERCENT

CHART_DPI = 200
MM_PER_INCH = 25.4
#: Small print sizes, a grid to read values off and the chosen cut-off named on the page.
REPORT_STYLE = ChartStyle(
    ore_colour="#1f4e79",
    grade_colour="#c0504d",
    marker_colour="#555555",
    ore_linewidth=1.6,
    grade_linewidth=1.4,
    label_size=7,
    tick_size=6,
    cutoff_label="Cut-off grade, {unit} TREO",
    ore_label="Ore above cut-off, {unit}",
    grade_label="Mean grade above cut-off, {unit} TREO",
    marker_label="report cut-off {cutoff:g} {unit}",
    coloured_ticks=False,
    grid=True,
    grade_from_zero=True,
)


def write_chart(
    curve: Sequence[CurvePoint], grade_unit: str, cutoff: float, target: Path, width_mm: float, height_mm: float
) -> Path:
    """``curve`` and ``cutoff`` in ``grade_unit`` (the raster's), drawn in % TREO; returns ``target``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH), dpi=CHART_DPI)
    FigureCanvasAgg(figure)
    draw_grade_tonnage(figure.add_subplot(1, 1, 1), curve, grade_unit, cutoff, display_unit=PERCENT, style=REPORT_STYLE)
    figure.tight_layout(pad=0.4)
    figure.savefig(str(target), dpi=CHART_DPI, format="png")
    return target
