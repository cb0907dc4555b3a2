"""Shared fixtures for the QGIS tests: sample data paths, the registered provider, small synthetic grids.

Synthetic data is written to ``tmp_path`` as real files (GeoTIFF, GeoPackage) so the same inputs work for
``processing.run``, project layers and ``qgis_process``. The default grid is in an equal-area CRS, with
10 m cells, so expected tonnes follow from cell counts by hand.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from osgeo import gdal, ogr, osr
from qgis.core import QgsApplication, QgsProcessingFeedback

from rare_earth_plugin.core import catalogue
from rare_earth_plugin.paths import sample_data
from rare_earth_plugin.processing.provider import RareEarthProvider

gdal.UseExceptions()
ogr.UseExceptions()

#: Top-left corner of the synthetic grids and their cell size, m. Their CRS is equal-area (EASE-Grid 2.0, about
#: 48 N 6 E here), so that map areas are ground areas and closed forms hold exactly; the engine counts ground
#: areas in any CRS (tests/unit/test_ground_area.py).
GRID_ORIGIN = (600_000.0, 5_540_000.0)
GRID_CELL = 10.0
GRID_CRS = "EPSG:6933"


@dataclass(frozen=True)
class SamplePaths:
    zones: str  # a vector URI with the layer name
    grade: str
    thickness: str


@dataclass(frozen=True)
class Grid:
    """Where a synthetic raster lies, to place polygons on its cells."""

    origin: tuple[float, float]
    cell: float

    def x(self, col: float) -> float:
        return self.origin[0] + col * self.cell

    def y(self, row: float) -> float:
        return self.origin[1] - row * self.cell

    def box(self, col0: float, row0: float, col1: float, row1: float) -> str:
        """WKT of the rectangle between cell coordinates (col, row grow right and down)."""
        x0, x1, y0, y1 = self.x(col0), self.x(col1), self.y(row1), self.y(row0)
        return f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"


class RecordingFeedback(QgsProcessingFeedback):
    """Keeps what an algorithm reports, so tests can check that a problem was named."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.infos: list[str] = []

    def pushInfo(self, info: str) -> None:  # noqa: N802 - QGIS API name
        self.infos.append(info)
        super().pushInfo(info)

    def reportError(self, error: str, fatalError: bool = False) -> None:  # noqa: N802, N803 - QGIS API
        self.errors.append(error)
        super().reportError(error, fatalError)

    def pushWarning(self, warning: str) -> None:  # noqa: N802 - QGIS API name
        self.warnings.append(warning)
        super().pushWarning(warning)


@pytest.fixture(scope="session")
def sample_paths() -> SamplePaths:
    """The bundled sample data; tests that need it skip while it has not been generated."""
    zones = sample_data(catalogue.ZONES_FILE)
    if not zones.is_file():
        pytest.skip(f"sample data not generated yet ({zones} is missing; run make sample-data)")
    return SamplePaths(
        zones=f"{zones}|layername={catalogue.ZONES_LAYER}",
        grade=str(sample_data(catalogue.GRADE_FILE)),
        thickness=str(sample_data(catalogue.THICKNESS_FILE)),
    )


@pytest.fixture()
def rare_earth_provider(qgis_processing: None) -> Iterator[RareEarthProvider]:
    """The ``rareearth`` provider registered with Processing for one test, removed afterwards."""
    registry = QgsApplication.processingRegistry()
    provider = RareEarthProvider()
    assert registry.addProvider(provider)
    yield provider
    registry.removeProvider(provider)


@pytest.fixture()
def make_raster(tmp_path: Path) -> Callable[..., str]:
    """``make_raster(values, name=..., origin=..., cell=..., crs=..., nodata=None)`` -> GeoTIFF path.

    ``values`` is a 2-D array (rows from the top) or a 3-D one (bands, rows, cols), written as float32.
    """

    def make(
        values: Any,
        name: str = "grade.tif",
        origin: tuple[float, float] = GRID_ORIGIN,
        cell: float = GRID_CELL,
        crs: str = GRID_CRS,
        nodata: float | None = None,
    ) -> str:
        data = np.asarray(values, dtype=np.float32)
        bands = data if data.ndim == 3 else data[np.newaxis]
        path = tmp_path / name
        dataset = gdal.GetDriverByName("GTiff").Create(
            str(path), bands.shape[2], bands.shape[1], bands.shape[0], gdal.GDT_Float32
        )
        dataset.SetGeoTransform((origin[0], cell, 0.0, origin[1], 0.0, -cell))
        dataset.SetProjection(_srs(crs).ExportToWkt())
        for index, band_values in enumerate(bands, start=1):
            band = dataset.GetRasterBand(index)
            if nodata is not None:
                band.SetNoDataValue(nodata)
            band.WriteArray(band_values)
        dataset.FlushCache()
        dataset = None
        return str(path)

    return make


@pytest.fixture()
def make_polygons(tmp_path: Path) -> Callable[..., str]:
    """``make_polygons(rows, name=..., crs=GRID_CRS, fields=("name",))`` -> 'file.gpkg|layername=...'.

    ``rows`` are (WKT or None for no geometry, *field values); a field is a string unless its first value is
    a number.
    """

    def make(
        rows: Sequence[Sequence[Any]], name: str = "zones", crs: str = GRID_CRS, fields: Sequence[str] = ("name",)
    ) -> str:
        path = tmp_path / f"{name}.gpkg"
        source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
        layer = source.CreateLayer(name, _srs(crs), ogr.wkbMultiPolygon)
        for index, field in enumerate(fields):
            numeric = rows and isinstance(rows[0][index + 1], (int, float))
            layer.CreateField(ogr.FieldDefn(field, ogr.OFTReal if numeric else ogr.OFTString))
        for wkt, *values in rows:
            feature = ogr.Feature(layer.GetLayerDefn())
            if wkt is not None:
                feature.SetGeometry(ogr.ForceToMultiPolygon(ogr.CreateGeometryFromWkt(wkt)))
            for field, value in zip(fields, values):
                feature.SetField(field, value)
            layer.CreateFeature(feature)
        source = None
        return f"{path}|layername={name}"

    return make


@pytest.fixture()
def grid() -> Grid:
    return Grid(GRID_ORIGIN, GRID_CELL)


@pytest.fixture()
def feedback() -> RecordingFeedback:
    return RecordingFeedback()


def report_layout(layer: Any, layers: Any, inputs: Any, tmp_path: Path, meta: Any = None, options: Any = None):
    """``(results, built)``: ``layer``'s areas estimated as the report does (with targets when ``options``) and
    the report's layout filled with them over the sample grade and region (``layers``); dated 2026-01-01."""
    from rare_earth_plugin.areas import areas_from_layer
    from rare_earth_plugin.report.area_results import estimate_areas
    from rare_earth_plugin.report.layout_builder import ReportLayers, build_report_layout
    from rare_earth_plugin.report.texts import ReportMeta

    results = estimate_areas(areas_from_layer(layer), inputs, target=options)
    built = build_report_layout(
        results,
        inputs,
        ReportLayers([layer], layers.grade, layers.region),
        meta or ReportMeta(date="2026-01-01"),
        tmp_path,
        target_options=options,
    )
    return results, built


def _srs(crs: str) -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.SetFromUserInput(crs)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


@pytest.fixture(autouse=True, scope="session")
def _release_before_qgis_exits():
    """Before pytest-qgis shuts QGIS (and GDAL) down: close the datasets the engine keeps per thread, and
    collect cycles still holding QGIS objects (a report's QgsProject), which Python would otherwise free after
    exitQgis, crashing the exit now and then depending on when the garbage collector last ran."""
    yield
    from rare_earth_plugin.core.tonnage import close_all_cached_rasters

    close_all_cached_rasters()
    gc.collect()
