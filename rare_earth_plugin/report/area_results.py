"""The estimates of the areas chosen for a report (``areas.areas_from_layer``) through the engine.

Every number comes from ``estimation``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import log
from ..areas import Area
from ..core.exploration_target import ExplorationTarget
from ..core.grade_tonnage_chart import chart_cutoffs
from ..core.tonnage import PolygonInputError, TonnageCancelled, TonnageResult, reusing_open_rasters
from ..core.units import standard_cutoffs
from ..estimation import EstimateInputs, curve_for_geometry, target_for_geometry
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


def estimate_areas(areas: Sequence[Area], inputs: EstimateInputs,
                   progress: Callable[[float], None] | None = None,
                   cancelled: Callable[[], bool] | None = None,
                   target: TargetOptions | None = None,
                   skipped: Callable[[str], None] | None = None) -> list[AreaResult]:
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
    results = []
    with reusing_open_rasters():
        for number, area in enumerate(areas):
            if cancelled is not None and cancelled():
                raise ReportError("the report export was cancelled")
            # One pass gives the headline (at the chosen cut-off), the table and the chart.
            try:
                headline, *curve = curve_for_geometry(area.geometry, area.crs, inputs,
                                                      (inputs.params.cutoff, *table_cuts, *chart_cuts),
                                                      cancelled=cancelled)
            except TonnageCancelled:
                raise ReportError("the report export was cancelled") from None
            except PolygonInputError as error:
                message = f"{area.name}: {error}; left out of the report"
                (skipped or log.logger.warning)(message)
                continue
            results.append(AreaResult(
                area=area,
                figures=AreaFigures.from_result(area.name, area.kind, headline, unit),
                cutoff_table=tuple(AreaFigures.from_result(area.name, area.kind, result, unit)
                                   for result in curve[: len(table_cuts)]),
                chart_curve=tuple(curve[len(table_cuts):]),
                target=None if target is None else target_for_geometry(
                    area.geometry, area.crs, inputs, target.ranges, target.draws, target.seed),
            ))
            if progress is not None:
                progress(100.0 * (number + 1) / len(areas))
    if not results:
        raise ReportError("areas: none of the chosen areas can be estimated (see the messages)")
    return results
