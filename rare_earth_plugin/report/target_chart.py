"""The distribution of an area's contained TREO as a PNG: the share of Monte Carlo draws exceeding each
tonnage (an exceedance curve, falling from 100 % to 0 %), with P90, P50 and P10 marked where the curve
crosses 90 %, 50 % and 10 %. Matplotlib's object API on an Agg canvas, as for the grade-tonnage chart."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.exploration_target import ExplorationTarget
from ..core.target_text import rounded, tonnes_unit
from .chart import CHART_DPI, MM_PER_INCH

CURVE_COLOUR = "#1f4e79"
MARK_COLOUR = "#c0504d"


def write_distribution_chart(target: ExplorationTarget, path: Path, width_mm: float, height_mm: float) -> Path:
    """The chart of a target with TREO in some draw (``target_section.has_distribution``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH), dpi=CHART_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    draws = np.sort(target.treo_draws)
    divisor, unit = tonnes_unit(max(target.p90.treo_tonnes, target.p10.treo_tonnes))  # as the statement
    exceeded = 100.0 * (1.0 - np.arange(1, draws.size + 1) / draws.size)
    axes.step(draws / divisor, exceeded, where="post", color=CURVE_COLOUR, linewidth=1.4)
    for name, share in (("p90", 90), ("p50", 50), ("p10", 10)):
        value = getattr(target, name).treo_tonnes / divisor
        axes.plot([value], [share], "o", color=MARK_COLOUR, markersize=3)
        axes.axhline(share, color="#bbbbbb", linewidth=0.5, linestyle=":")
        axes.annotate(
            f"{name.upper()} {rounded(value)} {unit}",
            (value, share),
            xytext=(4, 2),
            textcoords="offset points",
            fontsize=6,
            color=MARK_COLOUR,
        )
    for case in (target.low, target.high):
        axes.axvline(case.treo_tonnes / divisor, color="#888888", linewidth=0.6, linestyle="--")
    axes.text(
        0.99,
        0.97,
        "dashed: low / high case",
        transform=axes.transAxes,
        ha="right",
        va="top",
        fontsize=5.5,
        color="#666666",
    )
    axes.set_ylim(0, 100)
    axes.set_xlabel(f"Contained TREO, {unit}", fontsize=7)
    axes.set_ylabel("Draws exceeding, %", fontsize=7)
    axes.set_title(f"Contained TREO, {target.draws:,} draws", fontsize=7)
    axes.tick_params(labelsize=6)
    axes.grid(True, linewidth=0.3, color="#dddddd")
    figure.tight_layout(pad=0.4)
    figure.savefig(str(path), dpi=CHART_DPI, format="png")
    return path
