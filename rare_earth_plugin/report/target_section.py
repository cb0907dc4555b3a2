"""The report's Exploration Targets, as JORC 2012 Clause 17 / the CRIRSCO template / KAZRC want them shown.

- Summary page: the areas table states each area's target as ranges (P90–P10), with the cautionary statement
  right above it.
- Area pages: the target as a statement with the caution beside it, and the distribution of contained TREO
  (exceedance curve, P90/P50/P10 marked); the map gives up the height they need.
- A closing page: all targets (P90–P10 and low–high cases), the caution, the basis of the target (inputs and
  their ranges, depth window, method), the exploration planned and its timeframe, the reporting code and the
  Competent Person.
The single base-case figures stay in the area pages' figure table, never as the headline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from qgis.core import (
    QgsExpressionContextUtils,
    QgsLayoutFrame,
    QgsLayoutItem,
    QgsLayoutItemLabel,
    QgsLayoutItemManualTable,
    QgsLayoutItemPage,
    QgsLayoutItemPicture,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsPrintLayout,
    QgsTextFormat,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor, QFont

from ..core import display
from ..core.exploration_target import CONVENTION, ExplorationTarget
from ..core.target_text import (
    CAUTION,
    basis_lines,
    case_statement,
    cutoff_text,
    no_target_reason,
    percentile_statement,
    rounded_range,
)
from ..core.units import PERCENT, convert_grade
from ..qgis_compat import LAYOUT_MM, PICTURE_RASTER, label_font, set_label_font
from .area_results import AreaResult
from .figures import AreaFigures, Column, unknown
from .target_chart import write_distribution_chart
from .target_options import TargetOptions
from .text_fit import fit_font, text_height_mm, text_width_mm
from .texts import ELLIPSIS

MM = LAYOUT_MM
CAUTION_COLOUR = QColor("#8b0000")
#: Height the area map gives up for the target block (mm), and where that block sits.
AREA_BLOCK_HEIGHT = 58.0
#: The same without the chart (no TREO in any draw): the statement and caution span the map's width.
TEXT_BLOCK_HEIGHT = 22.0
#: Where the area page's target block ends (mm from the page's top: above the footer).
AREA_BLOCK_BOTTOM = 190.0
#: The notes' height under the map (mm) when a target block follows, and how much more they may take from it.
NOTES_HEIGHT = 14.0
MAX_NOTES_GROWTH = 12.0
#: Between the statement and the caution (mm).
STACK_GAP = 1.0
CAPTION_HEIGHT = 8.0
SHORT_CAUTION = (
    "Exploration Target: conceptual in nature; insufficient exploration to estimate a Mineral "
    "Resource; uncertain whether further exploration will result in one."
)


def _text(value: object) -> str:
    return str(value)


def _range(low: float, high: float, quantity: display.Quantity) -> str:
    """Tonnes ``low``–``high`` in ``quantity``'s unit (Mt, kt); ends that show nothing there read as the base
    case beside them does: a range "< 0.000001" (Mt), a low end 0, not a sliver's 0.0000000000017."""
    low, high = quantity.convert(low), quantity.convert(high)
    if low == high == 0:  # none at all: "0", as the statement and the area page say, not "less than a tonne"
        return quantity.text(0.0)
    if quantity.shows_nothing(max(abs(low), abs(high))):
        return quantity.less_than_finest()
    return rounded_range(0.0 if quantity.shows_nothing(low) else low, high)


def _grade_range(target: ExplorationTarget, first: str, second: str) -> str:
    """The grades of two ends in % TREO; an end without ore (no grade) takes the other's, as the statements do."""
    grades = [convert_grade(getattr(target, name).mean_grade, target.grade_unit, PERCENT) for name in (first, second)]
    known = [grade for grade in grades if np.isfinite(grade)]
    return rounded_range(min(known), max(known)) if known else display.MISSING


def _none(target: ExplorationTarget) -> str:
    """Where a range holds no ore: "no data" for an area without data (no cell where every raster holds data:
    nothing is known), else "no ore"."""
    return "no ore" if target.has_data else "no data"


#: The area page's figures a target ranges: the target's figure and the page's quantity (Mt, kt).
_RANGED = {
    "ore_mt": ("ore_tonnes", display.ORE),
    "treo_kt": ("treo_tonnes", display.CONTAINED),
    "tree_kt": ("tree_tonnes", display.CONTAINED),
}


def figure_range(target: ExplorationTarget, key: str) -> str:
    """The P90–P10 range of an area page's figure ``key`` (``figures.FIGURE_ROWS``' keys); '' for a figure the
    target does not range (area, coverage, cut-off), "no ore" when the P10 holds none."""
    if key not in (*_RANGED, "mean_grade_pct"):
        return ""
    if not target.p10.ore_tonnes > 0:
        return _none(target)
    if key == "mean_grade_pct":
        return _grade_range(target, "p90", "p10")
    name, quantity = _RANGED[key]
    return _range(getattr(target.p90, name), getattr(target.p10, name), quantity)


def base_case_figures(target: ExplorationTarget, figures: AreaFigures) -> AreaFigures:
    """An area's figures with the target's base case (every input at its likely value) for its tonnes, grade
    and contained metal (none for an area without data: its zeros say nothing); area, coverage and cut-off as
    the estimate's."""
    if not target.has_data:
        return unknown(figures)
    base = target.base
    return replace(
        figures,
        ore_mt=display.ORE.convert(base.ore_tonnes),
        mean_grade_pct=convert_grade(base.mean_grade, target.grade_unit, PERCENT),
        treo_kt=display.CONTAINED.convert(base.treo_tonnes),
        tree_kt=display.CONTAINED.convert(base.tree_tonnes),
    )


#: The summary table with targets: ranges from P90 to P10, the low–high case of contained TREO beside them.
SUMMARY_COLUMNS: tuple[Column, ...] = (
    Column("name", "Area", _text, numeric=False),
    Column("kind", "Kind", _text, numeric=False),
    Column("area_km2", f"Area {display.AREA.unit}", display.AREA.text),
    Column("ore", "Ore Mt P90–P10", _text),
    Column("grade", "% TREO P90–P10", _text),
    Column("treo", "TREO kt P90–P10", _text),
    Column("treo_cases", "TREO kt low–high", _text),
    Column("coverage_pct", f"Data {display.COVERAGE.unit}", display.COVERAGE.text),
)
#: Widths (mm) of the summary's columns: with the cells' margins, the template's 180 mm table width.
SUMMARY_WIDTHS = (28, 22, 12, 25, 22, 25, 22, 8)


def summary_row(result: AreaResult) -> list[str]:
    """One area's row of ``SUMMARY_COLUMNS`` (its target as ranges)."""
    target, figures = result.target, result.figures
    if target is None:
        ranges = [display.MISSING] * 4
    elif not target.has_data:  # no figure at all, not zeros
        ranges = [_none(target), *[display.MISSING] * 3]
    elif not target.p10.ore_tonnes > 0:
        ranges = [
            _none(target),
            display.MISSING,
            "0",
            _range(target.low.treo_tonnes, target.high.treo_tonnes, display.CONTAINED),
        ]
    else:
        ranges = [
            _range(target.p90.ore_tonnes, target.p10.ore_tonnes, display.ORE),
            _grade_range(target, "p90", "p10"),
            _range(target.p90.treo_tonnes, target.p10.treo_tonnes, display.CONTAINED),
            _range(target.low.treo_tonnes, target.high.treo_tonnes, display.CONTAINED),
        ]
    return [
        figures.name,
        figures.kind,
        display.AREA.text(figures.area_km2),
        *ranges,
        display.COVERAGE.text(figures.coverage_pct),
    ]


def has_targets(results: Sequence[AreaResult]) -> bool:
    return any(result.target is not None for result in results)


def _font(size: float, bold: bool = False) -> QFont:
    font = QFont("Sans Serif")
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


def _label(
    layout: QgsPrintLayout,
    page: int,
    text: str,
    x: float,
    y: float,
    width: float,
    height: float,
    size: float = 7.0,
    bold: bool = False,
    colour: QColor | None = None,
    item_id: str = "",
) -> QgsLayoutItemLabel:
    label = QgsLayoutItemLabel(layout)
    label.setText(text)
    set_label_font(label, _font(size, bold), colour)
    label.setId(item_id)
    label.setVAlign(Qt.AlignmentFlag.AlignTop)
    label.setHAlign(Qt.AlignmentFlag.AlignLeft)  # justified text leaves gaps in narrow boxes
    layout.addLayoutItem(label)
    label.attemptResize(QgsLayoutSize(width, height, MM))
    label.attemptMove(QgsLayoutPoint(x, y, MM), page=page)
    return label


def _on_page(layout: QgsPrintLayout, page: int) -> list[QgsLayoutItem]:
    return [
        item
        for item in layout.items()
        if isinstance(item, QgsLayoutItem)
        and not isinstance(item, QgsLayoutItemPage)
        and item.page() == page
        and item.id()
    ]


def _item(layout: QgsPrintLayout, page: int, item_id: str) -> QgsLayoutItem | None:
    return next((item for item in _on_page(layout, page) if item.id() == item_id), None)


def add_summary_caution(
    layout: QgsPrintLayout, page: int, results: Sequence[AreaResult], overlapping: bool = False
) -> None:
    """The cautionary statement and the P90 convention as the areas table's caption (the table moves down);
    with ``overlapping`` areas, that their rows are not to be added up."""
    table = _item(layout, page, "areas_table")
    if table is None or not has_targets(results):
        return
    width, height = table.sizeWithUnits().width(), table.sizeWithUnits().height()
    x, top = table.pagePositionWithUnits().x(), table.pagePositionWithUnits().y()
    target = next(result.target for result in results if result.target is not None)
    _label(
        layout,
        page,
        f"{SHORT_CAUTION} P90–P10 of {target.draws:,} draws (P90: exceeded with 90 % "
        "probability); basis: the statement after the area pages"
        + ("; areas overlap: do not add up." if overlapping else "."),
        x,
        top,
        width,
        CAPTION_HEIGHT,
        size=6.3,
        bold=True,
        colour=CAUTION_COLOUR,
        item_id="target_caution",
    )
    table.attemptMove(QgsLayoutPoint(x, top + CAPTION_HEIGHT, MM), page=page)  # the caption heads the table
    table.attemptResize(QgsLayoutSize(width, height - CAPTION_HEIGHT, MM))


def add_area_target(layout: QgsPrintLayout, page: int, result: AreaResult, chart: Path) -> Path | None:
    """The area's target statement, the caution and the TREO distribution chart under a shorter map; with no
    TREO in any draw, a line saying so instead of an empty chart, and the map keeps more of its height.

    The notes, the statement and the caution are stacked at the heights their text needs (fonts shrunk only when
    they do not fit the page together): at fixed heights, five lines of notes ran over the statement, and a
    statement of five lines lost its last one."""
    target = result.target
    area_map = _item(layout, page, "area_map")
    if target is None or area_map is None:
        return None
    with_chart = has_distribution(target)
    given_up = AREA_BLOCK_HEIGHT if with_chart else TEXT_BLOCK_HEIGHT
    position, size = area_map.pagePositionWithUnits(), area_map.sizeWithUnits()
    bottom = position.y() + size.height()
    left, width = position.x(), size.width()
    notes = None
    for item in _on_page(layout, page):  # what sits under the map moves up with its bottom edge
        where = item.pagePositionWithUnits()
        if item is not area_map and bottom - 0.5 <= where.y() < bottom + 30.0 and where.x() < left + width:
            item.attemptMove(QgsLayoutPoint(where.x(), where.y() - given_up, MM), page=page)
            if item.id() == "area_notes" and isinstance(item, QgsLayoutItemLabel):
                notes = item
    area_map.attemptResize(QgsLayoutSize(width, size.height() - given_up, MM))
    caption = _item(layout, page, "area_cutoffs_caption")
    if isinstance(caption, QgsLayoutItemLabel):  # the curve and this table are the estimate's, not the target's
        caption.setText("At standard cut-offs (the assumptions' constant inputs, not the target's ranges):")
    block_top = bottom - given_up + 26.0
    if notes is not None:  # the notes take the lines they need, up to MAX_NOTES_GROWTH more, pushing the block down
        grown = min(max(_needed_height(notes, notes.currentText()) - NOTES_HEIGHT, 0.0), MAX_NOTES_GROWTH)
        notes.attemptResize(QgsLayoutSize(notes.sizeWithUnits().width(), NOTES_HEIGHT + grown, MM))
        fit_font(notes, notes.currentText())
        block_top = max(block_top, notes.pagePositionWithUnits().y() + NOTES_HEIGHT + grown + STACK_GAP)
    block_height = AREA_BLOCK_BOTTOM - block_top
    text_width = width * 0.48 if with_chart else width
    statement = _label(
        layout, page, area_statement(target), left, block_top, text_width, block_height, item_id="area_target"
    )
    caution = _label(
        layout,
        page,
        CAUTION,
        left,
        block_top,
        text_width,
        block_height,
        bold=True,
        colour=CAUTION_COLOUR,
        item_id="area_target_caution",
    )
    _stack(statement, caution, block_top, block_height, page)
    if not with_chart:
        return None
    picture = QgsLayoutItemPicture(layout)
    picture.setId("area_target_chart")
    layout.addLayoutItem(picture)
    picture.attemptResize(QgsLayoutSize(width - text_width - 2.0, block_height, MM))
    picture.attemptMove(QgsLayoutPoint(left + text_width + 2.0, block_top, MM), page=page)
    write_distribution_chart(target, chart, width - text_width - 2.0, block_height)
    picture.setPicturePath(str(chart), PICTURE_RASTER)
    return chart


def _needed_height(label: QgsLayoutItemLabel, text: str) -> float:
    """The box height (mm) ``label`` needs to show ``text`` whole at its font and width."""
    return text_height_mm(text, label_font(label), text_width_mm(label)) + 2.0 * label.marginY()


def _stack(first: QgsLayoutItemLabel, second: QgsLayoutItemLabel, top: float, height: float, page: int) -> None:
    """``first`` over ``second`` within ``height`` mm from ``top``, each as tall as its text needs and ``second``
    taking the rest; when both do not fit, the height is shared in proportion and their fonts shrink to fit."""
    needs = [_needed_height(label, label.text()) for label in (first, second)]
    room = height - STACK_GAP
    if sum(needs) > room:
        needs = [room * need / sum(needs) for need in needs]
    first.attemptResize(QgsLayoutSize(first.sizeWithUnits().width(), needs[0], MM))
    second.attemptMove(QgsLayoutPoint(second.pagePositionWithUnits().x(), top + needs[0] + STACK_GAP, MM), page=page)
    second.attemptResize(QgsLayoutSize(second.sizeWithUnits().width(), height - needs[0] - STACK_GAP, MM))
    for label in (first, second):
        fit_font(label, label.text())


def has_distribution(target: ExplorationTarget) -> bool:
    """Whether some draw has TREO above the cut-off: otherwise the distribution chart would be empty."""
    return bool(np.any(np.asarray(target.treo_draws) > 0))


def area_statement(target: ExplorationTarget) -> str:
    """The block on an area page: target first, then the cases and the convention (the caution follows)."""
    if not target.p10.ore_tonnes > 0:
        headline = f"No exploration target at this cut-off: {no_target_reason(target)}."
    else:
        headline = f"Exploration target (P90–P10): {percentile_statement(target, PERCENT)}."
    return "\n".join(
        (
            headline,
            f"Low–high case: {case_statement(target, PERCENT)}.",
            f"Cut-off {cutoff_text(target, PERCENT)}; {target.draws:,} draws, seed {target.seed}; {CONVENTION}.",
        )
    )


def _target_rows(results: Sequence[AreaResult]) -> list[list[list[str]]]:
    """Per area with a target, its two rows: P90–P10 and the low–high case."""
    areas = []
    for result in results:
        target = result.target
        if target is None:
            continue
        rows = []
        for label, first, second in (("P90–P10", "p90", "p10"), ("low–high case", "low", "high")):
            a, b = getattr(target, first), getattr(target, second)
            if not (a.ore_tonnes > 0 or b.ore_tonnes > 0):  # as the area page: no grade beside no tonnes
                zero = "0" if target.has_data else display.MISSING  # no data: no figure, not zeros
                rows.append([result.figures.name, label, _none(target), display.MISSING, zero, zero])
                continue
            rows.append(
                [
                    result.figures.name,
                    label,
                    _range(a.ore_tonnes, b.ore_tonnes, display.ORE),
                    _grade_range(target, first, second),
                    _range(a.treo_tonnes, b.treo_tonnes, display.CONTAINED),
                    _range(a.tree_tonnes, b.tree_tonnes, display.CONTAINED),
                ]
            )
        areas.append(rows)
    return areas


TARGET_COLUMNS: tuple[Column, ...] = (
    Column("name", "Area", _text, numeric=False),
    Column("basis", "Range", _text, numeric=False),
    Column("ore", "Ore Mt", _text),
    Column("grade", "Grade % TREO", _text),
    Column("treo", "TREO kt", _text),
    Column("tree", "TREE kt", _text),
)


#: Said after a statement item cut to fit the basis page.
SHORTENED = " (shortened to fit; the full text is in the export's parameters)"
#: The statement items typed by the user, of any length.
FREE_TEXTS = ("exploration_planned", "timeframe", "competent_person")


def _fitted_statement(options: TargetOptions, label: QgsLayoutItemLabel) -> str:
    """The statement items for ``label``'s box, free texts too long for it cut with "…" and said to be: every
    item is printed (a long plan would push the timeframe and the Competent Person out of the box)."""
    font = label_font(label)
    width = text_width_mm(label)
    height = label.rect().height() - 2.0 * label.marginY()

    def statement(limit: int) -> str:
        texts = {name: getattr(options, name).strip() for name in FREE_TEXTS}
        cut = {
            name: text if len(text) <= limit else text[:limit].rstrip() + ELLIPSIS + SHORTENED
            for name, text in texts.items()
        }
        return "\n".join(replace(options, **cut).statement_lines())

    def fits(text: str) -> bool:
        return text_height_mm(text, font, width) <= height

    longest = max(len(getattr(options, name).strip()) for name in FREE_TEXTS)
    whole = statement(longest)
    if fits(whole):
        return whole
    low, high = 0, longest - 1
    while low < high:  # the longest cut that fits
        middle = (low + high + 1) // 2
        if fits(statement(middle)):
            low = middle
        else:
            high = middle - 1
    return statement(low)


def add_basis_page(layout: QgsPrintLayout, results: Sequence[AreaResult], options: TargetOptions) -> int | None:
    """A closing page: every target as ranges with the caution beside them, the basis and the statement."""
    targets = [result.target for result in results if result.target is not None]
    if not targets:
        return None
    from .layout_builder import fit_rows  # the layout's own table filler (it imports this module)

    number = _new_page(layout, "Exploration target: statement and basis")
    areas = _target_rows(results)
    shown = fit_rows(_targets_table(layout, number, 92.0), areas, TARGET_COLUMNS, (40, 26), CONTINUED)
    _page_caution(layout, number)
    first = targets[0]
    basis = basis_lines(first, PERCENT)
    if any(t.ranges != first.ranges or t.draws != first.draws or t.seed != first.seed for t in targets):
        basis.append("(as for the first area; every area used the same inputs)")
    _label(layout, number, "Basis of the target", 10, 122, 165, 5, size=9, bold=True)
    _label(layout, number, "\n".join(basis), 10, 128, 165, 62, size=7.5, item_id="target_basis")
    _label(layout, number, "Statement", 180, 90, 107, 5, size=9, bold=True)
    statement = _label(layout, number, "[% @re_statement %]", 180, 96, 107, 64, size=7.5, item_id="target_statement")
    # through a variable: a "[% … %]" the user typed stays text, never an expression
    QgsExpressionContextUtils.setLayoutItemVariable(statement, "re_statement", _fitted_statement(options, statement))
    _footer(layout, number)
    _continue_table(layout, areas[shown:], fit_rows)
    return number


#: Where the basis page's table goes on with the areas it leaves out.
CONTINUED = "continued on the next page"


def _new_page(layout: QgsPrintLayout, title: str) -> int:
    """A page at the end of the layout, of the first page's size, with ``title`` and the report's title."""
    pages = layout.pageCollection()
    page = QgsLayoutItemPage(layout)
    page.setPageSize(pages.page(0).pageSize())
    pages.addPage(page)
    number = pages.pageCount() - 1
    _label(layout, number, title, 10, 8, 277, 9, size=15, bold=True, colour=QColor("#1f4e79"), item_id="target_title")
    _label(layout, number, "[% @re_title %]", 10, 17, 277, 5, size=8, item_id="target_subtitle")
    return number


def _targets_table(layout: QgsPrintLayout, page: int, height: float) -> QgsLayoutItemManualTable:
    """An empty table of targets, 165 mm wide and ``height`` mm tall, at the top left of ``page``."""
    table = QgsLayoutItemManualTable.create(layout)
    layout.addMultiFrame(table)
    frame = QgsLayoutFrame(layout, table)
    frame.attemptResize(QgsLayoutSize(165, height, MM))
    frame.attemptMove(QgsLayoutPoint(10, 25, MM), page=page)
    table.addFrame(frame)
    table.setContentTextFormat(QgsTextFormat.fromQFont(_font(7.0)))
    table.setHeaderTextFormat(QgsTextFormat.fromQFont(_font(7.0, bold=True)))
    table.setGridStrokeWidth(0.1)
    table.setGridColor(QColor("#999999"))
    table.setCellMargin(0.8)
    return table


def _page_caution(layout: QgsPrintLayout, page: int) -> None:
    """The cautionary statement and how to read the ranges, beside a table of targets."""
    _label(
        layout,
        page,
        CAUTION + "\n\n" + f"Ranges: P90–P10 of the Monte Carlo draws; {CONVENTION}; "
        "each figure's percentiles are taken separately (P90 tonnes and P90 grade need not come from one "
        "draw). Low–high case: every input at its low / high value. Areas may overlap (a licence and a "
        "cluster share ground): do not add rows up.",
        180,
        25,
        107,
        60,
        size=8,
        bold=True,
        colour=CAUTION_COLOUR,
        item_id="target_page_caution",
    )


def _footer(layout: QgsPrintLayout, page: int) -> None:
    _label(
        layout, page, "Page [% @layout_page %] of [% @layout_numpages %]", 260, 199, 27, 4, size=7, item_id="footer"
    ).setHAlign(Qt.AlignmentFlag.AlignRight)


def _continue_table(layout: QgsPrintLayout, areas: list[list[list[str]]], fit_rows: Callable[..., int]) -> None:
    """The targets the basis page's table left out, on pages of their own with the caution beside them: every
    area's target is stated as ranges however many areas there are."""
    while areas:
        page = _new_page(layout, "Exploration targets (continued)")
        shown = fit_rows(_targets_table(layout, page, 165.0), areas, TARGET_COLUMNS, (40, 26), CONTINUED)
        _page_caution(layout, page)
        _footer(layout, page)
        if shown == 0:  # rows no page holds (never with two rows an area): said in the note, not looped on
            break
        areas = areas[shown:]
