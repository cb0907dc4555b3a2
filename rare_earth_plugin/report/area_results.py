"""Areas chosen for a report (features of zone or survey layers) and their estimates through the engine.

Features are copied out of their layers (geometry, CRS, name, kind) so estimating can run in a background task
without touching project layers. Every number comes from ``estimation.curve_for_geometry``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeatureRequest,
    QgsGeometry,
    QgsVectorLayer,
    QgsWkbTypes,
)

from .. import log
from ..core.exploration_target import ExplorationTarget
from ..core.grade_tonnage_chart import chart_cutoffs
from ..core.tonnage import PolygonInputError, TonnageCancelled, TonnageResult, reusing_open_rasters
from ..core.units import standard_cutoffs
from ..estimation import EstimateInputs, curve_for_geometry, target_for_geometry
from ..qgis_compat import POLYGON_GEOMETRY
from .errors import ReportError
from .figures import AreaFigures
from .target_options import TargetOptions

NAME_FIELDS = ("name", "Name", "NAME", "zone", "title")
KIND_FIELD = "kind"
#: The chart's even steps and how far past the highest standard (or chosen) cut-off it reaches.
CHART_STEPS = 24
CHART_REACH = 1.25


@dataclass(frozen=True)
class ReportArea:
    name: str
    kind: str
    geometry: QgsGeometry
    crs: QgsCoordinateReferenceSystem
    layer_id: str
    layer_name: str
    fid: int


@dataclass(frozen=True)
class AreaResult:
    area: ReportArea
    figures: AreaFigures  # at the chosen cut-off
    cutoff_table: tuple[AreaFigures, ...]  # at the standard cut-offs
    chart_curve: tuple[TonnageResult, ...]  # finer, for the chart; in the inputs' grade unit
    target: ExplorationTarget | None = None  # the ranges the report headlines (see target_section)


def _text(value: object) -> str:
    return "" if value is None or str(value) == "NULL" else str(value).strip()


def areas_from_layer(layer: QgsVectorLayer, feature_ids: Iterable[int] | None = None,
                     default_kind: str = "area") -> list[ReportArea]:
    """The polygon features of ``layer`` (all, or those in ``feature_ids``) as report areas.

    Names come from a ``name`` field (else the layer name and feature id), kinds from ``kind`` (else
    ``default_kind``).
    """
    if layer is None or not layer.isValid():
        raise ReportError("areas: the area layer is missing or cannot be read")
    if QgsWkbTypes.geometryType(layer.wkbType()) != POLYGON_GEOMETRY:
        raise ReportError(f"areas: layer '{layer.name()}' does not hold polygons")
    names = layer.fields().names()
    name_field = next((field for field in NAME_FIELDS if field in names), None)
    request = QgsFeatureRequest()
    if feature_ids is not None:
        request.setFilterFids(list(feature_ids))
    areas = []
    for feature in layer.getFeatures(request):
        geometry = feature.geometry()
        if geometry is None or geometry.isEmpty():
            continue
        name = _text(feature[name_field]) if name_field else ""
        kind = _text(feature[KIND_FIELD]) if KIND_FIELD in names else ""
        areas.append(ReportArea(name=name or f"{layer.name()} #{feature.id()}", kind=kind or default_kind,
                                geometry=QgsGeometry(geometry), crs=layer.crs(), layer_id=layer.id(),
                                layer_name=layer.name(), fid=feature.id()))
    return areas


def estimate_areas(areas: Sequence[ReportArea], inputs: EstimateInputs,
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
