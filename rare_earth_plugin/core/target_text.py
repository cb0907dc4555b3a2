"""How an Exploration Target reads wherever it is shown (dock, report, Processing log): ranges rounded to two
significant figures (three when two would print both ends alike), never one headline number, with the
cautionary statement and the basis of the target in the words of the reporting codes.
"""

from __future__ import annotations

import math

from .depth_window import depth_window_text
from .display import MISSING, half_up, unit_label
from .exploration_target import CONVENTION, ExplorationTarget, TargetFigures
from .target_ranges import TargetRanges
from .units import convert_grade

#: JORC 2012 Clause 17 / CRIRSCO template / KAZRC wording, in substance; shown next to the figures.
CAUTION = (
    "Cautionary statement: the potential quantity and grade of this Exploration Target are conceptual "
    "in nature; there has been insufficient exploration to estimate a Mineral Resource, and it is "
    "uncertain whether further exploration will result in the estimation of a Mineral Resource."
)
REPORTING_CODES = ("JORC 2012", "KAZRC", "CRIRSCO template")


def code_in_prose(code: str) -> str:
    """A reporting code as a sentence names it: "under the CRIRSCO template", "under KAZRC"."""
    return "the CRIRSCO template" if code.startswith("CRIRSCO") else code


RANGE_DASH = "–"
#: A statement of an area without data (no cell where every raster holds data): its zero tonnes say nothing of
#: its ore.
NO_DATA = "no data in the area"


def _decimals(value: float, figures: int) -> int:
    """Decimals that show ``value`` with ``figures`` significant figures (negative: round to tens...), counted
    on the value as rounded: 9.96 to two figures is 10, not 10.0, and 0.0996 is 0.10, not 0.100."""
    if value == 0 or not math.isfinite(value):
        return 0
    decimals = figures - 1 - math.floor(math.log10(abs(value)))
    rounded = float(half_up(value, decimals))
    return figures - 1 - math.floor(math.log10(abs(rounded))) if rounded else decimals


#: From this size a figure is written as a power of ten (only figures that overflowed a sum reach it, warned).
_HUGE = 1e15


def _format(value: float, decimals: int) -> str:
    rounded = float(half_up(value, decimals))
    if abs(rounded) >= _HUGE:  # not 300 digits of a figure that means nothing
        return f"{rounded:.2g}"
    return f"{rounded:,.{max(decimals, 0)}f}"


def rounded_range(low: float, high: float) -> str:
    """``low–high`` at the precision a target supports: each end to two significant figures (three when two
    would print both ends alike); one number when they are equal."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return MISSING
    low, high = min(low, high), max(low, high)
    if low == high:
        return rounded(low)
    for figures in (2, 3):
        ends = [(value, _decimals(value, figures)) for value in (low, high)]
        first, second = (_format(value, decimals) for value, decimals in ends)
        if len({float(half_up(value, decimals)) for value, decimals in ends}) == 2:
            return f"{first}{RANGE_DASH}{second}"
    return second


def rounded(value: float) -> str:
    """One figure of a target (a percentile marked on a chart) to two significant figures."""
    return _format(value, _decimals(value, 2)) if math.isfinite(value) else MISSING


def tonnes_unit(top: float) -> tuple[float, str]:
    """Divisor and unit for tonnages up to ``top``: the largest of Mt and kt in which ``top`` as shown (two
    significant figures) is at least 1, else t: 999,700 t reads 1.0 Mt, not 1,000 kt, and 994,000 t (0.99 in
    Mt) 990 kt, not 0.99 Mt."""
    for divisor, unit in ((1e6, "Mt"), (1e3, "kt")):
        value = top / divisor if math.isfinite(top) else 0.0
        if float(half_up(value, _decimals(value, 2))) >= 1.0:
            return divisor, unit
    return 1.0, "t"


def tonnes_range(low: float, high: float) -> str:
    """Tonnes as ``320–460 Mt`` (Mt from 1 Mt, kt from 1 kt, else t), both ends in one unit."""
    top = max(abs(low), abs(high)) if math.isfinite(low) and math.isfinite(high) else 0.0
    divisor, unit = tonnes_unit(top)
    return f"{rounded_range(low / divisor, high / divisor)} {unit}"


def grade_range(low: float, high: float, unit: str, shown_unit: str | None = None) -> str:
    """Grades in ``unit`` shown in ``shown_unit`` (default ``unit``), e.g. ``0.18–0.23 % TREO``."""
    shown = shown_unit or unit
    return (
        f"{rounded_range(convert_grade(low, unit, shown), convert_grade(high, unit, shown))} {unit_label(shown)} TREO"
    )


def _statement(first: TargetFigures, second: TargetFigures, unit: str, shown_unit: str | None) -> str:
    if not (first.ore_tonnes > 0 or second.ore_tonnes > 0):
        return "no ore above the cut-off"
    # An end without a grade (a case without ore) takes the other end's; a percentile's grade is of the draws
    # with ore, so it stands even where that percentile of tonnes is 0.
    # with ore but no grade at either end (figures that overflowed): the grade reads "–"
    grades = [item.mean_grade for item in (first, second) if math.isfinite(item.mean_grade)] or [math.nan]
    return (
        f"{tonnes_range(first.ore_tonnes, second.ore_tonnes)} at "
        f"{grade_range(min(grades), max(grades), unit, shown_unit)}, containing "
        f"{tonnes_range(first.treo_tonnes, second.treo_tonnes)} TREO"
    )


def no_target_reason(target: ExplorationTarget) -> str:
    """Why there is no target at the cut-off when the P10 holds no ore: no cell reaches the cut-off, those that do
    hold no ore (in the depth window, or at all), or too few draws have any."""
    with_ore = 100.0 * (1.0 - target.no_ore_share)
    if not with_ore > 0:
        if not target.has_data:  # no cell at all: nothing is known of the ore, not "none"
            return (
                "the area holds no data (no cell where the grade and the other rasters hold data: outside them, "
                "or nodata throughout)"
            )
        if not target.reaches_cutoff:
            return "no cell reaches the cut-off in any draw"
        if target.windowed:
            return "no draw has ore above the cut-off within the depth window"
        return "the cells above the cut-off hold no ore (their thickness or density is 0)"
    where = " within the depth window" if target.windowed else ""
    return f"only {with_ore:.2g} % of the draws have ore above the cut-off{where}, so the P90–P10 range holds no ore"


#: Said after a P90–P10 statement whose ends are one value: a single figure is no Exploration Target.
NO_SPREAD = (
    " (one value, not a range: every draw gave the same figures; give ranges with low < high, and 1,000 draws or more)"
)


def percentile_statement(target: ExplorationTarget, shown_unit: str | None = None) -> str:
    """``320–460 Mt at 0.18–0.23 % TREO, containing 0.6–1.0 Mt TREO`` from P90 to P10; said to be one value
    when the draws do not spread (ranges of one value each, or a single draw)."""
    if not target.has_data:
        return NO_DATA
    statement = _statement(target.p90, target.p10, target.grade_unit, shown_unit)
    spread = target.p90.ore_tonnes != target.p10.ore_tonnes or target.p90.treo_tonnes != target.p10.treo_tonnes
    one_value = not spread and 0 < target.p10.ore_tonnes < math.inf  # not of no ore, nor of overflowed sums
    return statement + NO_SPREAD if one_value else statement


def case_statement(target: ExplorationTarget, shown_unit: str | None = None) -> str:
    """The same from the low case to the high case."""
    return _statement(target.low, target.high, target.grade_unit, shown_unit) if target.has_data else NO_DATA


def cutoff_text(target: ExplorationTarget, shown_unit: str | None = None) -> str:
    shown = shown_unit or target.grade_unit
    return f"{convert_grade(target.cutoff, target.grade_unit, shown):g} {unit_label(shown)} TREO"


def convention_text(target: ExplorationTarget) -> str:
    return f"P90–P10 of {target.draws:,} Monte Carlo draws (seed {target.seed}, inputs independent); {CONVENTION}."


def window_text(target: ExplorationTarget) -> str:
    """The depth window in words: the top of mineralisation and the depths counted."""
    return depth_window_text(target.top_depth, target.min_depth, target.max_depth)


def ranges_lines(ranges: TargetRanges, density_is_factor: bool) -> list[str]:
    """The three inputs (low / likely / high), saying which defaults are ours."""

    def note(value, default) -> str:
        return " (our default)" if value == default else ""

    default = TargetRanges()
    density = (
        f"Bulk density: density raster scaled by {ranges.density.text()} / {ranges.density.likely:g} "
        f"(range {ranges.density.text()} t/m³){note(ranges.density, default.density)}"
        if density_is_factor
        else f"Bulk density: {ranges.density.text()} t/m³{note(ranges.density, default.density)}"
    )
    return [
        density,
        f"Thickness factor: {ranges.thickness_factor.text()} on the thickness source"
        f"{note(ranges.thickness_factor, default.thickness_factor)}",
        f"Grade factor: {ranges.grade_factor.text()} on every grade, before the fixed cut-off"
        f"{note(ranges.grade_factor, default.grade_factor)}",
    ]


def basis_lines(target: ExplorationTarget, shown_unit: str | None = None) -> list[str]:
    """The basis of the target: inputs and ranges (triangular low / likely / high), window and method."""
    return [
        "Inputs, triangular (low / likely / high), drawn independently:",
        *ranges_lines(target.ranges, target.density_is_factor),
        f"Cut-off: {cutoff_text(target, shown_unit)}, fixed",
        f"Depth window: {window_text(target)}",
        f"Method: low / base / high cases with every input at its low / likely / high value; P90 / P50 / P10 "
        f"from {target.draws:,} draws (seed {target.seed}); {CONVENTION}; each figure's percentiles taken "
        "separately",
    ]


def target_summary(target: ExplorationTarget, shown_unit: str | None = None) -> str:
    """The target as a statement: ranges first (P90–P10, then low–high cases), the convention, the caution."""
    return "\n".join(
        (
            f"Exploration target: {percentile_statement(target, shown_unit)} (P90–P10)",
            f"Low–high case: {case_statement(target, shown_unit)}",
            f"Cut-off {cutoff_text(target, shown_unit)}; {convention_text(target)}",
            CAUTION,
        )
    )
