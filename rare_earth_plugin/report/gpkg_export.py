"""The areas with their result fields as a GeoPackage layer, written atomically.

Field names and values are the CSV's (``csv_export.CSV_FIELDS``, full precision), so the two files can be
compared directly; geometries keep their layer's CRS when all areas share one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from qgis.core import (
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsFeature,
    QgsFields,
    QgsGeometry,
    QgsVectorFileWriter,
    QgsWkbTypes,
)

from ..qgis_compat import new_field
from .area_results import AreaResult
from .atomic import atomic_output
from .csv_export import CSV_FIELDS
from .errors import ReportError
from .figures import COLUMNS_BY_KEY

LAYER_NAME = "report_areas"


def _fields() -> QgsFields:
    fields = QgsFields()
    for key in CSV_FIELDS:
        column = COLUMNS_BY_KEY.get(key)
        numeric = column is not None and column.numeric
        fields.append(new_field(key, "double" if numeric else "string"))
    return fields


def _value(value: object) -> object:
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, tuple):
        return "; ".join(value)
    return value


def write_gpkg(results: Sequence[AreaResult], target: Path) -> Path:
    """One multipolygon feature per result, in the CRS of the first area (others are reprojected)."""
    if not results:
        raise ReportError("GeoPackage: no area to write")
    crs = results[0].area.crs
    fields = _fields()
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = LAYER_NAME
    options.fileEncoding = "UTF-8"
    context = QgsCoordinateTransformContext()
    with atomic_output(target, "GeoPackage file") as temporary:
        temporary.unlink()  # GDAL creates the file itself
        writer = QgsVectorFileWriter.create(str(temporary), fields, QgsWkbTypes.MultiPolygon, crs, context,
                                            options)
        if writer.hasError() != QgsVectorFileWriter.NoError:
            message = writer.errorMessage()
            del writer
            raise ReportError(f"GeoPackage file '{target}': {message}")
        for result in results:
            geometry = QgsGeometry(result.area.geometry)
            if result.area.crs != crs:
                geometry.transform(QgsCoordinateTransform(result.area.crs, crs, context))
            geometry.convertToMultiType()
            feature = QgsFeature(fields)
            feature.setGeometry(geometry)
            feature.setAttributes([_value(getattr(result.figures, key)) for key in CSV_FIELDS])
            if not writer.addFeature(feature):
                message = writer.errorMessage()
                del writer
                raise ReportError(f"GeoPackage file '{target}': cannot write area "
                                  f"'{result.area.name}' ({message})")
        del writer  # closes the file before it is moved into place
    return target
