"""The one bridge from QGIS objects (layers, geometries, CRSs) to the pure-Python tonnage engine.

The Processing algorithms, the dock and the report builder all estimate through here, so a figure is the same
wherever a user reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from qgis.core import QgsCoordinateReferenceSystem, QgsGeometry, QgsMapLayer, QgsRasterLayer, QgsWkbTypes

from .core.exploration_target import ExplorationTarget, exploration_target, target_from_cells
from .core.target_ranges import TargetRanges
from .core.tonnage import (
    PolygonInputError,
    TonnageInputError,
    TonnageParams,
    TonnageResult,
    area_cells,
    estimate_tonnage,
    grade_tonnage_curve,
    grade_tonnage_curves,
)


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


def crs_for_engine(crs: QgsCoordinateReferenceSystem) -> str:
    """An identifier pyproj understands: the EPSG code when there is one, WKT2 otherwise."""
    if not crs.isValid():
        raise TonnageInputError("the polygon layer has no valid CRS")
    authid = crs.authid()
    if authid.upper().startswith("EPSG:"):
        return authid
    return crs.toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED)


def geometry_wkt(geometry: QgsGeometry) -> str:
    """Plain 2-D polygon WKT: curves segmentized, Z and M dropped."""
    if geometry is None or geometry.isNull() or geometry.isEmpty():
        raise TonnageInputError("the area has an empty geometry")
    if QgsWkbTypes.geometryType(geometry.wkbType()) != QgsWkbTypes.PolygonGeometry:
        raise PolygonInputError("the area is not a polygon")
    shape = geometry.constGet().segmentize() if QgsWkbTypes.isCurvedType(geometry.wkbType()) \
        else geometry.constGet().clone()
    shape.dropZValue()
    shape.dropMValue()
    return shape.asWkt(17)


def estimate_geometry(geometry: QgsGeometry, crs: QgsCoordinateReferenceSystem,
                      inputs: EstimateInputs, cancelled: Callable[[], bool] | None = None) -> TonnageResult:
    return estimate_tonnage(geometry_wkt(geometry), inputs.grade_path, params=inputs.params,
                            polygon_crs=crs_for_engine(crs), cancelled=cancelled)


def curve_for_geometry(geometry: QgsGeometry, crs: QgsCoordinateReferenceSystem, inputs: EstimateInputs,
                       cutoffs: Sequence[float], cancelled: Callable[[], bool] | None = None
                       ) -> list[TonnageResult]:
    return grade_tonnage_curve(geometry_wkt(geometry), inputs.grade_path, cutoffs, params=inputs.params,
                               polygon_crs=crs_for_engine(crs), cancelled=cancelled)


def curves_for_geometries(geometries: Iterable[QgsGeometry], crs: QgsCoordinateReferenceSystem,
                          inputs: EstimateInputs, cutoffs: Sequence[float],
                          cancelled: Callable[[], bool] | None = None
                          ) -> Iterator[list[TonnageResult] | TonnageInputError]:
    """``curve_for_geometry`` for many areas through the engine's batch pass (reads run ahead across areas).

    An area the engine cannot use yields its ``TonnageInputError``; a problem with the rasters raises."""
    def polygons() -> Iterator[str | TonnageInputError]:
        for geometry in geometries:
            try:
                yield geometry_wkt(geometry)
            except TonnageInputError as error:
                yield error

    return grade_tonnage_curves(polygons(), inputs.grade_path, cutoffs, params=inputs.params,
                                polygon_crs=crs_for_engine(crs), cancelled=cancelled)


def target_for_geometry(geometry: QgsGeometry, crs: QgsCoordinateReferenceSystem, inputs: EstimateInputs,
                        ranges: TargetRanges, draws: int, seed: int,
                        cancelled: Callable[[], bool] | None = None) -> ExplorationTarget:
    """The exploration target of one area (cases and P90/P50/P10), the rasters read once; ``cancelled`` is
    asked between tiles, as for an estimate."""
    if cancelled is None:
        return exploration_target(geometry_wkt(geometry), inputs.grade_path, inputs.params, ranges, draws=draws,
                                  seed=seed, polygon_crs=crs_for_engine(crs))
    cells = area_cells(geometry_wkt(geometry), inputs.grade_path, inputs.params, crs_for_engine(crs),
                       cancelled=cancelled)
    return target_from_cells(cells, inputs.params, ranges, draws, seed)
