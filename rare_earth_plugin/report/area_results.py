"""The estimates of the areas chosen for a report (``areas.areas_from_layer``) through the engine.

Every number comes from ``estimation``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import log
from ..areas import Area
from ..core.exploration_target import ExplorationTarget
from ..core.grade_tonnage_chart import chart_cutoffs
from ..core.tonnage import TonnageCancelled, TonnageInputError, TonnageResult
from ..core.units import standard_cutoffs
from ..estimation import EstimateInputs, curves_for_areas
from .errors import ReportError
from .figures import AreaFigures
from .target_options import TargetOptions

#: The chart's even steps and how far past the highest standard (or chosen) cut-off it reaches.
CHART_STEPS = 24
CHART_REACH = 1.25


@dataclass(frozen=True)
class AreaResult:
    area: Area
    figures: AreaFigures  # at the chosen cut-off
    cutoff_table: tuple[AreaFigures, ...]  # at the standard cut-offs
    chart_curve: tuple[TonnageResult, ...]  # finer, for the chart; in the inputs' grade unit
    target: ExplorationTarget | None = None  # the ranges the report headlines (see target_section)
    reaches_cutoff: bool = True  # some covered cell's grade reaches the cut-off (it may still hold no ore)


def _area_result(
    area: Area, curve: list[TonnageResult], table: int, inputs: EstimateInputs, target: ExplorationTarget | None
) -> AreaResult:
    """The headline (``curve[0]``), the table (the next ``table``) and the chart (the rest) of one area, with
    its target (from the same read of the rasters)."""
    unit = inputs.params.grade_unit
    headline, *rest = curve
    return AreaResult(
        area=area,
        figures=AreaFigures.from_result(area.name, area.kind, headline, unit),
        cutoff_table=tuple(AreaFigures.from_result(area.name, area.kind, result, unit) for result in rest[:table]),
        chart_curve=tuple(rest[table:]),
        target=target,
        reaches_cutoff=headline.ore_area_m2 > 0,
    )


def estimate_areas(
    areas: Sequence[Area],
    inputs: EstimateInputs,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    target: TargetOptions | None = None,
    skipped: Callable[[str], None] | None = None,
) -> list[AreaResult]:
    """Estimate every area; raises ``ReportError`` for an empty selection and ``TonnageInputError`` for bad
    rasters or parameters. An area the engine cannot use (no area, not a polygon) is left out, and
    ``skipped`` (else the log) gets a message naming it. ``progress`` receives 0-100; ``cancelled``
    returning True stops with ``ReportError``, within about a tile's work even inside a large area. With
    ``target``, each area also gets its exploration target."""
    if not areas:
        raise ReportError("areas: no area chosen; select at least one zone or survey area")
    unit = inputs.params.grade_unit
    table_cuts = standard_cutoffs(unit)
    chart_cuts = chart_cutoffs(unit, inputs.params.cutoff, steps=CHART_STEPS, reach=CHART_REACH)
    cuts = (inputs.params.cutoff, *table_cuts, *chart_cuts)  # one pass: the headline, the table, the chart
    results = []
    pairs = curves_for_areas(areas, inputs, cuts, cancelled=cancelled, target=target)
    try:
        with contextlib.closing(pairs):  # the batch stops at a cancel
            for number, (area, estimate) in enumerate(pairs):
                if cancelled is not None and cancelled():
                    raise ReportError("the report export was cancelled")
                if isinstance(estimate, TonnageInputError):  # about this area alone (raster problems raise)
                    (skipped or log.logger.warning)(f"{area.name}: {estimate}; left out of the report")
                    continue
                curve, area_target = estimate
                results.append(_area_result(area, curve, len(table_cuts), inputs, area_target))
                if progress is not None:
                    progress(100.0 * (number + 1) / len(areas))
    except TonnageCancelled:
        raise ReportError("the report export was cancelled") from None
    if not results:
        raise ReportError("areas: none of the chosen areas can be estimated (see the messages)")
    return results
