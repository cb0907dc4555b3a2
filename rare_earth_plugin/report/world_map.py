"""Context layers from QGIS's own world map (``resources/data/world_map.gpkg``), read without write access.

QGIS's OGR provider opens a GeoPackage for update and switches it to WAL mode, which rewrites a file that
belongs to the QGIS package (``dpkg -V`` flags it) and makes concurrent exports fail. GDAL opens it read-only
here and the features are copied into a memory layer, so nothing is ever written to it. A world map already
in WAL mode (as older versions left it) is read from a private copy, since SQLite would create -wal and -shm
files beside it even for a reader.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from osgeo import ogr
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsGeometry,
    QgsVectorLayer,
)

from .errors import ReportError
from .file_set import work_folder

WORLD_MAP = ("resources", "data", "world_map.gpkg")


def world_map_path() -> Path:
    return Path(QgsApplication.pkgDataPath(), *WORLD_MAP)


def _in_wal_mode(path: Path) -> bool:
    """SQLite's header: bytes 18 and 19 are 2 in WAL mode."""
    try:
        with open(path, "rb") as stream:
            return stream.read(20)[18:20] == b"\x02\x02"
    except OSError:
        return False


def world_layer(name: str, title: str, where: str) -> QgsVectorLayer:
    """A memory layer of the features of layer ``name`` matching the OGR SQL filter ``where``."""
    path = world_map_path()
    unreadable = ReportError(f"the QGIS world map ({path}) cannot be read")
    copy_folder = None
    source = None
    try:
        if _in_wal_mode(path):
            copy_folder = work_folder()
            path = Path(shutil.copyfile(path, copy_folder / path.name))
        source = ogr.Open(str(path), 0)  # 0: read-only
        table = source.GetLayerByName(name) if source is not None else None
        if table is None or table.SetAttributeFilter(where) != 0:
            raise unreadable
        reference = table.GetSpatialRef()
        crs = (
            QgsCoordinateReferenceSystem.fromWkt(reference.ExportToWkt())
            if reference is not None
            else QgsCoordinateReferenceSystem("EPSG:4326")
        )
        features = []
        for row in table:
            shape = row.GetGeometryRef()
            if shape is None:
                continue
            geometry = QgsGeometry()
            geometry.fromWkb(bytes(shape.ExportToIsoWkb()))
            feature = QgsFeature()
            feature.setGeometry(geometry)
            features.append(feature)
    except (RuntimeError, OSError):  # GDAL with exceptions enabled; a failed copy
        raise unreadable from None
    finally:
        source = None  # closes the file
        if copy_folder is not None:
            shutil.rmtree(copy_folder, ignore_errors=True)
    layer = QgsVectorLayer("MultiPolygon", title, "memory")
    layer.setCrs(crs)
    if not features or not layer.dataProvider().addFeatures(features)[0]:
        raise unreadable
    layer.updateExtents()
    return layer
