"""Context layers from QGIS's own world map (``resources/data/world_map.gpkg``), read without write access.

QGIS's OGR provider opens a GeoPackage for update and switches it to WAL mode, which rewrites a file that
belongs to the QGIS package (``dpkg -V`` flags it) and makes concurrent exports fail. GDAL opens it read-only
here and the features are copied into a memory layer, so nothing is ever written to it. A world map already
in WAL mode (as older versions left it) is read from a private copy, since SQLite would create -wal and -shm
files beside it even for a reader.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from osgeo import ogr
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
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


def _unreadable() -> ReportError:
    return ReportError(f"the QGIS world map ({world_map_path()}) cannot be read")


@contextmanager
def _world_table(name: str) -> Iterator[ogr.Layer]:
    """Layer ``name`` of the world map, opened read-only (from a private copy if the file is in WAL mode)."""
    path = world_map_path()
    copy_folder = None
    source = None
    try:
        if _in_wal_mode(path):
            copy_folder = work_folder()
            path = Path(shutil.copyfile(path, copy_folder / path.name))
        source = ogr.Open(str(path), 0)  # 0: read-only
        table = source.GetLayerByName(name) if source is not None else None
        if table is None:
            raise _unreadable()
        yield table
    except (RuntimeError, OSError):  # GDAL with exceptions enabled; a failed copy
        raise _unreadable() from None
    finally:
        source = None  # closes the file
        if copy_folder is not None:
            shutil.rmtree(copy_folder, ignore_errors=True)


def _near_side(shape: ogr.Geometry, near: QgsPointXY) -> ogr.Geometry | None:
    """The polygons of ``shape`` (lon/lat) with a corner less than 90° of arc from ``near``. A map centred on
    ``near`` in an azimuthal projection draws the point opposite it on the Earth as its whole rim: a country
    there would be drawn as a ring round the map, filling all of it."""
    polygons = (
        [shape]
        if ogr.GT_Flatten(shape.GetGeometryType()) == ogr.wkbPolygon
        else [shape.GetGeometryRef(i) for i in range(shape.GetGeometryCount())]
    )
    lon0, lat0 = np.radians(near.x()), np.radians(near.y())
    kept = ogr.Geometry(ogr.wkbMultiPolygon)
    for polygon in polygons:
        corners = np.radians(np.asarray(polygon.GetGeometryRef(0).GetPoints())[:, :2])
        lon, lat = corners[:, 0], corners[:, 1]
        cosine = np.sin(lat0) * np.sin(lat) + np.cos(lat0) * np.cos(lat) * np.cos(lon - lon0)
        if np.any(cosine > 0.0):
            kept.AddGeometry(polygon)
    return kept if kept.GetGeometryCount() else None


def world_layer(name: str, title: str, where: str | None, near: QgsPointXY | None = None) -> QgsVectorLayer:
    """A memory layer of the features of layer ``name`` matching the OGR SQL filter ``where`` (None: all); with
    ``near`` (lon/lat), only their polygons on the half of the Earth round it."""
    with _world_table(name) as table:
        if table.SetAttributeFilter(where) != 0:
            raise _unreadable()
        reference = table.GetSpatialRef()
        crs = (
            QgsCoordinateReferenceSystem.fromWkt(reference.ExportToWkt())
            if reference is not None
            else QgsCoordinateReferenceSystem("EPSG:4326")
        )
        features = []
        for row in table:
            shape = row.GetGeometryRef()
            if shape is not None and near is not None:
                shape = _near_side(shape, near)
            if shape is None:
                continue
            geometry = QgsGeometry()
            geometry.fromWkb(bytes(shape.ExportToIsoWkb()))
            feature = QgsFeature()
            feature.setGeometry(geometry)
            features.append(feature)
    layer = QgsVectorLayer("MultiPolygon", title, "memory")
    layer.setCrs(crs)
    if not features or not layer.dataProvider().addFeatures(features)[0]:
        raise _unreadable()
    layer.updateExtents()
    return layer


def country_at(lon: float, lat: float) -> str | None:
    """The world map's name of the country containing the point (WGS 84 degrees); None at sea."""
    with _world_table("countries") as table:
        point = ogr.CreateGeometryFromWkt(f"POINT ({lon!r} {lat!r})")
        table.SetSpatialFilter(point)
        for row in table:
            shape = row.GetGeometryRef()
            if shape is not None and shape.Contains(point):
                return row.GetField("NAME")
    return None
