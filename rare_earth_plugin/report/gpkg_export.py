"""The areas with their result fields as a GeoPackage layer, checked before it may replace an earlier one.

Field names and values are the CSV's (``csv_export.CSV_FIELDS``, full precision), so the two files can be
compared directly; geometries keep their layer's CRS when all areas share one. The file is left in SQLite's
rollback-journal mode (not WAL), so the one ``.gpkg`` carries everything when copied or e-mailed.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from qgis.core import (
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsFeature,
    QgsGeometry,
    QgsVectorFileWriter,
)

from ..core.result_fields import finite_or_null
from ..core.target_fields import TARGET_SCHEMA, target_values, text_values
from ..qgis_compat import WKB_MULTIPOLYGON, new_fields
from .area_results import AreaResult
from .csv_export import CSV_FIELDS, REPORT_SCHEMA
from .errors import ReportError
from .file_set import fsync_file

LAYER_NAME = "report_areas"


def _value(value: object) -> object:
    if isinstance(value, tuple):
        return "; ".join(value)
    return finite_or_null(value)


_SQL = re.compile(r"sqlite3_\w+|\b(?:INSERT|CREATE|UPDATE|SELECT|DELETE)\b")


def _short(message: str, limit: int = 120) -> str:
    """GDAL's message in a few words: it may quote a whole SQL statement, with every value, which says
    nothing to a user."""
    lines = (message or "").strip().splitlines()
    line = lines[0] if lines else "unknown error"
    if _SQL.search(line):
        return "a database write failed"
    return line if len(line) <= limit else f"{line[:limit]}…"


def check_gpkg(path: Path, layer: str, features: int) -> None:
    """Raise ``ReportError`` unless ``path`` passes SQLite's integrity check and holds ``features`` rows in
    ``layer``; switches it out of WAL mode so that no -wal file is needed beside it."""
    try:
        with contextlib.closing(sqlite3.connect(str(path), timeout=1.0, isolation_level=None)) as db:
            verdict = db.execute("PRAGMA integrity_check").fetchone()
            if verdict is None or verdict[0] != "ok":
                raise ReportError(f"the written GeoPackage is damaged ({_short(str(verdict))})")
            count = db.execute(f'SELECT count(*) FROM "{layer}"').fetchone()[0]
            if count != features:
                raise ReportError(f"the written GeoPackage holds {count} areas instead of {features}")
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                db.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise ReportError(f"the written GeoPackage cannot be read back ({_short(str(error))})") from None
    fsync_file(path)


def write_gpkg(results: Sequence[AreaResult], path: Path) -> Path:
    """One multipolygon feature per result, in the CRS of the first area (others are reprojected), written to
    ``path`` (which must not exist) and checked."""
    if not results:
        raise ReportError("GeoPackage: no area to write")
    crs = results[0].area.crs
    fields = new_fields(REPORT_SCHEMA + TARGET_SCHEMA)  # the exploration target as rareearth:explorationtarget
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = LAYER_NAME
    options.fileEncoding = "UTF-8"
    context = QgsCoordinateTransformContext()
    writer = QgsVectorFileWriter.create(str(path), fields, WKB_MULTIPOLYGON, crs, context, options)
    if writer.hasError() != QgsVectorFileWriter.WriterError.NoError:
        message = writer.errorMessage()
        del writer
        raise ReportError(_short(message))
    for result in results:
        geometry = QgsGeometry(result.area.geometry)
        if result.area.crs != crs:
            geometry.transform(QgsCoordinateTransform(result.area.crs, crs, context))
        geometry.convertToMultiType()
        feature = QgsFeature(fields)
        feature.setGeometry(geometry)
        feature.setAttributes(
            [_value(getattr(result.figures, key)) for key in CSV_FIELDS]
            + target_values(result.target)
            + text_values(result.target)
        )
        if not writer.addFeature(feature):
            message = writer.errorMessage()
            del writer
            raise ReportError(f"cannot write area '{result.area.name}' ({_short(message)})")
    del writer  # closes the file: only now is everything on disk
    check_gpkg(path, LAYER_NAME, len(results))
    return path
