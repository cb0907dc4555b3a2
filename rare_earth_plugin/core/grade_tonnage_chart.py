"""The grade-tonnage chart: ore tonnes (left axis) and mean grade of the ore (right axis) against cut-off.

Drawn on matplotlib axes the caller owns (a Qt canvas in the dock, an Agg figure in the report,
``plt.subplots`` in a notebook), from the engine's own results, so every chart of an area shows the same curve::

    results = grade_tonnage_curve(polygon, "treo_grade_pct.tif", chart_cutoffs("percent", 0.05), params)
    draw_grade_tonnage(figure.add_subplot(), results, "percent", 0.05)

Matplotlib is never imported here: the caller brings the axes, and cut-offs need no plotting library.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .display import ORE, unit_label
from .units import PPM, convert_grade, standard_cutoffs

if TYPE_CHECKING:
    from matplotlib.axes import Axes


class CurvePoint(Protocol):
    """The parts of ``core.tonnage.TonnageResult`` the chart reads (tonnes, grades in the curve's unit)."""

    cutoff: float
    ore_tonnes: float
    mean_grade: float


def chart_cutoffs(unit: str, current: float | None = None, steps: int = 40, reach: float = 1.5) -> list[float]:
    """Cut-offs for a smooth curve: ``steps`` even steps from 0 to ``reach`` times the highest standard (or
    ``current``) cut-off, plus the standard cut-offs and ``current``, so the curve passes exactly through the
    tabled figures and the marked cut-off."""
    standard = standard_cutoffs(unit)
    chosen = () if current is None else (current,)
    top = max(*standard, *chosen) * reach
    fine = [top * i / steps for i in range(steps + 1)]
    return sorted({round(c, 9) for c in (*standard, *fine, *chosen)})


@dataclass(frozen=True)
class ChartStyle:
    """What differs between the dock's small screen chart (the defaults) and a printed one.

    Label templates get their axis's unit as ``{unit}``; ``marker_label`` also gets ``{cutoff}`` and is
    left out when empty. Font sizes of None keep matplotlib's defaults.
    """

    ore_colour: str = "#1f5fa8"
    grade_colour: str = "#d9640f"
    marker_colour: str = "#777777"
    ore_linewidth: float = 1.8
    grade_linewidth: float = 1.8
    label_size: float | None = None
    tick_size: float | None = None
    cutoff_label: str = "Cut-off grade ({unit})"
    ore_label: str = "Ore ({unit})"
    grade_label: str = "Mean grade ({unit})"
    marker_label: str = ""
    coloured_ticks: bool = True
    grid: bool = False
    grade_from_zero: bool = False


DEFAULT_STYLE = ChartStyle()
#: Written across a chart without ore at any of its cut-offs.
NO_ORE = "No ore at any cut-off"


def _size(size: float | None, key: str = "fontsize") -> dict[str, Any]:
    return {} if size is None else {key: size}


def draw_grade_tonnage(
    axes: Axes,
    results: Sequence[CurvePoint],
    unit: str,
    cutoff: float,
    *,
    display_unit: str | None = None,
    style: ChartStyle = DEFAULT_STYLE,
) -> Axes:
    """Ore tonnes on ``axes`` and mean grade on a twin right axis (returned), ``cutoff`` marked.

    ``results`` and ``cutoff`` are in grade ``unit`` (the raster's); grades are shown in ``display_unit``
    (default ``unit``). A point without ore has no mean grade: the grade line stops there.
    """
    points = sorted(results, key=lambda point: point.cutoff)
    if not points:
        raise ValueError("results: a grade-tonnage chart needs at least one cut-off")
    shown = display_unit or unit
    label = unit_label(shown)
    grade = _grade_converter(unit, shown)
    cutoffs = [grade(point.cutoff) for point in points]
    ore = [ORE.convert(point.ore_tonnes) for point in points]
    grades = [grade(point.mean_grade) for point in points]
    right = axes.twinx()
    axes.plot(cutoffs, ore, color=style.ore_colour, linewidth=style.ore_linewidth)
    right.plot(cutoffs, grades, color=style.grade_colour, linewidth=style.grade_linewidth, linestyle="--")
    _label_axes(axes, right, label, style)
    _set_ranges(axes, right, cutoffs, grades, style)
    if not any(value > 0 for value in ore):  # an empty frame would look like a chart that failed to draw
        axes.text(0.5, 0.5, NO_ORE, transform=axes.transAxes, ha="center", va="center", color="0.35")
    # Mt in full, with separators: an offset "1e6" above the axis read as a million times less ore
    axes.yaxis.set_major_formatter(_plain_tick)
    if shown == PPM:
        axes.ticklabel_format(axis="x", style="plain")
    marked = grade(cutoff)
    if math.isfinite(marked):
        _mark_cutoff(axes, marked, cutoffs, ore, label, style)
    return right


def _plain_tick(value: float, _position: float | None = None) -> str:
    """A tick label as a reader takes it: 1,300,000 rather than 1.3 under an offset of 1e6."""
    return f"{value:,.12g}"


def _grade_converter(unit: str, shown: str) -> Callable[[float], float]:
    """Grades from ``unit`` to ``shown``, NaN for a missing one; the identity when the units agree, since
    converting to the same unit would still round."""

    def grade(value: float) -> float:
        if not math.isfinite(value):
            return math.nan
        return value if shown == unit else convert_grade(value, unit, shown)

    return grade


def _label_axes(axes: Axes, right: Axes, label: str, style: ChartStyle) -> None:
    """Axis titles and ticks, each side in its curve's colour when the style asks for it."""
    axes.set_xlabel(style.cutoff_label.format(unit=label), **_size(style.label_size))
    axes.set_ylabel(style.ore_label.format(unit=ORE.unit), color=style.ore_colour, **_size(style.label_size))
    right.set_ylabel(style.grade_label.format(unit=label), color=style.grade_colour, **_size(style.label_size))
    right.yaxis.set_label_position("right")
    if style.coloured_ticks:
        axes.tick_params(axis="y", colors=style.ore_colour)
        right.tick_params(axis="y", colors=style.grade_colour)
    for side in (axes, right):
        side.tick_params(**_size(style.tick_size, "labelsize"))


def _set_ranges(axes: Axes, right: Axes, cutoffs: list[float], grades: list[float], style: ChartStyle) -> None:
    """The cut-off axis spans the curve, ore starts at zero, and grade too when the style asks for it."""
    axes.set_xlim(cutoffs[0], cutoffs[-1])
    axes.set_ylim(bottom=0)
    finite = [value for value in grades if math.isfinite(value)]
    if not finite:  # no grade anywhere: matplotlib's default span would run to -0.04 %
        right.set_ylim(0, 1.0)
    elif style.grade_from_zero:
        right.set_ylim(0, max(finite) * 1.1 or 1.0)
    if style.grid:
        axes.grid(True, linewidth=0.3, alpha=0.6)


def _mark_cutoff(
    axes: Axes, marked: float, cutoffs: list[float], ore: list[float], label: str, style: ChartStyle
) -> None:
    """A dotted line at the cut-off (in the shown unit), with the style's label if it has one.

    The label runs along the line in the half of the axes the ore curve leaves free there, so it is read
    after the ore axis has its final range.
    """
    axes.axvline(marked, color=style.marker_colour, linewidth=0.8, linestyle=":")
    if not style.marker_label:
        return
    crossing = _interpolate(marked, cutoffs, ore) / (axes.get_ylim()[1] or 1.0)
    low = crossing >= 0.5
    axes.annotate(
        style.marker_label.format(cutoff=marked, unit=label),
        xy=(marked, 0.0 if low else 1.0),
        xycoords=axes.get_xaxis_transform(),
        xytext=(3, 3 if low else -3),
        textcoords="offset points",
        color=style.marker_colour,
        rotation=90,
        va="bottom" if low else "top",
        **_size(style.tick_size),
    )


def _interpolate(x: float, xs: Sequence[float], ys: Sequence[float]) -> float:
    """``ys`` at ``x`` along the polyline (``xs`` ascending), clamped to its ends."""
    if x <= xs[0]:
        return ys[0]
    for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
        if x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return ys[-1]
