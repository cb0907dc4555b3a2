"""The one bridge from QGIS objects (layers, geometries, CRSs) to the pure-Python tonnage engine.

The Processing algorithms, the dock and the report builder all estimate through here, so a figure is the same
wherever a user reads it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING, Optional, Protocol, Union

from qgis.core import (
    QgsAbstractGeometry,
    QgsCoordinateReferenceSystem,
    QgsGeometry,
    QgsMapLayer,
    QgsRasterLayer,
    QgsWkbTypes,
)

if TYPE_CHECKING:
    from .areas import Area
from .core.exploration_target import ExplorationTarget, curves_and_targets
from .core.target_ranges import TargetRanges
from .core.tonnage import (
    PolygonInputError,
    TonnageInputError,
    TonnageParams,
    TonnageResult,
    estimate_tonnage,
    grade_tonnage_curve,
    grade_tonnage_curves,
)
from .qgis_compat import POLYGON_GEOMETRY, WKT_PREFERRED


@dataclass(frozen=True)
class EstimateInputs:
    """What a user chose: raster file paths and constants, ready to turn into ``TonnageParams``."""

    grade_path: str
    params: TonnageParams


def raster_path(layer: QgsMapLayer | None, parameter: str) -> str:
    """The GDAL file behind a raster layer; the engine reads files, not QGIS providers."""
    if layer is None:
        raise TonnageInputError(f"{parameter}: no raster layer chosen")
    if not isinstance(layer, QgsRasterLayer) or layer.providerType() != "gdal":
        raise TonnageInputError(f"{parameter}: layer '{layer.name()}' is not a GDAL raster file")
    return layer.source()


#: The names GDAL gives a GeoPackage layer stored without a CRS (srs_id 0 and -1): QGIS reads them as valid CRSs.
_UNDEFINED_CRS_NAMES = ("undefined geographic srs", "undefined cartesian srs")


def has_no_crs(crs: QgsCoordinateReferenceSystem) -> bool:
    """No CRS, or the placeholder of a file stored without one."""
    if not crs.isValid():
        return True
    wkt = crs.toWkt()
    name = wkt[wkt.find('"') + 1 : wkt.find('"', wkt.find('"') + 1)] if '"' in wkt else ""
    return name.strip().lower() in _UNDEFINED_CRS_NAMES


def crs_for_engine(crs: QgsCoordinateReferenceSystem, layer_name: str | None = None) -> str:
    """An identifier pyproj understands: the EPSG code when there is one, WKT2 otherwise."""
    if has_no_crs(crs):
        layer = f"layer '{layer_name}'" if layer_name else "the polygon layer"
        raise TonnageInputError(
            f"{layer} has no CRS: set it (Layer Properties > Source > Assigned Coordinate "
            "Reference System) so its coordinates can be placed on the grade raster"
        )
    authid = crs.authid()
    if authid.upper().startswith("EPSG:"):
        return authid
    return crs.toWkt(WKT_PREFERRED)


def geometry_wkt(geometry: QgsGeometry) -> str:
    """Plain 2-D polygon WKT: curves segmentized, Z and M dropped."""
    if geometry is None or geometry.isNull() or geometry.isEmpty():
        raise TonnageInputError("the area has an empty geometry")
    if QgsWkbTypes.geometryType(geometry.wkbType()) != POLYGON_GEOMETRY:
        raise PolygonInputError("the area is not a polygon")
    curved = QgsWkbTypes.isCurvedType(geometry.wkbType())
    shape = _segmentized(geometry.constGet()) if curved else geometry.constGet().clone()
    shape.dropZValue()
    shape.dropMValue()
    return shape.asWkt(17)


#: The share of its area a curved polygon may lose to the straight segments that replace its arcs: about the
#: engine's own error.
CURVE_AREA_ERROR = 1e-8


def _segmentized(shape: QgsAbstractGeometry) -> QgsAbstractGeometry:
    """``shape`` with its arcs as straight segments that leave at most ``CURVE_AREA_ERROR`` of its area out.
    A segment cutting at most d off its arc loses 2/3 d of area per unit of arc length, so d is set from the
    area per unit of perimeter. QGIS's default (a segment per 1° of arc) lost 5e-5 of a circle's area."""
    coarse = shape.segmentize()  # the default: for the area, which a curve polygon gives as 0 in QGIS 3.22
    area, perimeter = coarse.area(), coarse.perimeter()
    if not (area > 0 and perimeter > 0):
        return coarse
    most = CURVE_AREA_ERROR * area / perimeter
    return shape.segmentize(most, QgsAbstractGeometry.SegmentationToleranceType.MaximumDifference)


def estimate_geometry(
    geometry: QgsGeometry,
    crs: QgsCoordinateReferenceSystem,
    inputs: EstimateInputs,
    cancelled: Callable[[], bool] | None = None,
) -> TonnageResult:
    return estimate_tonnage(
        geometry_wkt(geometry),
        inputs.grade_path,
        params=inputs.params,
        polygon_crs=crs_for_engine(crs),
        cancelled=cancelled,
    )


def curve_for_geometry(
    geometry: QgsGeometry,
    crs: QgsCoordinateReferenceSystem,
    inputs: EstimateInputs,
    cutoffs: Sequence[float],
    cancelled: Callable[[], bool] | None = None,
) -> list[TonnageResult]:
    return grade_tonnage_curve(
        geometry_wkt(geometry),
        inputs.grade_path,
        cutoffs,
        params=inputs.params,
        polygon_crs=crs_for_engine(crs),
        cancelled=cancelled,
    )


class TargetDraws(Protocol):
    """What an exploration target needs beyond the estimate's inputs (the report's and dock's options have it)."""

    @property
    def ranges(self) -> TargetRanges: ...
    @property
    def draws(self) -> int: ...
    @property
    def seed(self) -> int: ...


#: One area's results at the cut-offs and, when asked for, its exploration target; or why the engine cannot use it.
Estimate = Union[tuple[list[TonnageResult], Optional[ExplorationTarget]], TonnageInputError]


def curves_for_geometries(
    geometries: Iterable[QgsGeometry],
    crs: QgsCoordinateReferenceSystem,
    inputs: EstimateInputs,
    cutoffs: Sequence[float],
    cancelled: Callable[[], bool] | None = None,
    target: TargetDraws | None = None,
) -> Iterator[Estimate]:
    """``curve_for_geometry`` for many areas through the engine's batch pass (reads run ahead across areas),
    with each area's exploration target from the same read when ``target`` is given.

    An area the engine cannot use yields its ``TonnageInputError``; a problem with the rasters raises."""

    def polygons() -> Iterator[str | TonnageInputError]:
        for geometry in geometries:
            try:
                yield geometry_wkt(geometry)
            except TonnageInputError as error:
                yield error

    polygon_crs = crs_for_engine(crs)
    if target is None:
        curves = grade_tonnage_curves(
            polygons(), inputs.grade_path, cutoffs, params=inputs.params, polygon_crs=polygon_crs, cancelled=cancelled
        )
        with contextlib.closing(curves):
            for curve in curves:
                yield curve if isinstance(curve, TonnageInputError) else (curve, None)
        return
    yield from curves_and_targets(
        polygons(),
        inputs.grade_path,
        cutoffs,
        inputs.params,
        target.ranges,
        target.draws,
        target.seed,
        polygon_crs,
        cancelled=cancelled,
    )


def curves_for_areas(
    areas: Iterable[Area],
    inputs: EstimateInputs,
    cutoffs: Sequence[float],
    cancelled: Callable[[], bool] | None = None,
    target: TargetDraws | None = None,
) -> Iterator[tuple[Area, Estimate]]:
    """Each area with its ``Estimate`` (results at ``cutoffs``, its target when ``target`` is given, or the
    ``TonnageInputError`` that concerns it alone), in order, through the engine's batch pass: one batch per run
    of areas in the same CRS, each closed when done, on an error and when the caller stops early (cancel).
    Problems with the rasters raise; a cancel raises ``TonnageCancelled``."""

    def crs_id(area: Area) -> str:
        return area.crs.authid() or area.crs.toWkt()

    for _crs, run in groupby(areas, key=crs_id):
        group = list(run)
        batch = curves_for_geometries(
            (area.geometry for area in group), group[0].crs, inputs, cutoffs, cancelled=cancelled, target=target
        )
        with contextlib.closing(batch):
            yield from zip(group, batch)
