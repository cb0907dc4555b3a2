"""Fixtures that write small synthetic GeoTIFFs with rasterio."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import Polygon

sys.modules["qgis"] = None  # the unit suite runs without QGIS: any import fails

UTM43 = "EPSG:32643"
#: A point of the Kuirektykol area in UTM 43N (about 50.0 N, 76.4 E).
ORIGIN_X, ORIGIN_Y = 600_000.0, 5_540_000.0
#: An equal-area CRS (Lambert azimuthal, centred near the site, same false origin as UTM 43N's coordinates
#: there): map area is ground area, so cell areas in closed forms are exact; the fixture grids use it.
EQUAL_AREA = "+proj=laea +lat_0=50 +lon_0=76.4 +x_0=600000 +y_0=5540000 +ellps=WGS84 +units=m +no_defs"


def random_star(
    rng: np.random.Generator,
    east: tuple[float, float],
    south: tuple[float, float],
    radii: tuple[float, float],
    vertices: int,
) -> Polygon:
    """A star-shaped polygon: its centre drawn ``east`` of ORIGIN_X and ``south`` of ORIGIN_Y (metres), then its
    vertices' angles (sorted) and distances from the centre."""
    x, y = ORIGIN_X + rng.uniform(*east), ORIGIN_Y - rng.uniform(*south)
    angles = np.sort(rng.uniform(0, 2 * np.pi, vertices))
    radius = rng.uniform(*radii, vertices)
    return Polygon(np.c_[x + radius * np.cos(angles), y + radius * np.sin(angles)])


def write_geotiff(
    path: Path,
    array: np.ndarray,
    transform,
    crs: str | None = EQUAL_AREA,
    nodata=None,
    tiled: bool = False,
    block: int = 16,
) -> Path:
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[None]
    profile = dict(
        driver="GTiff",
        width=array.shape[2],
        height=array.shape[1],
        count=array.shape[0],
        dtype=array.dtype.name,
        transform=transform,
        nodata=nodata,
    )
    if crs is not None:
        profile["crs"] = crs
    if tiled:
        profile.update(tiled=True, blockxsize=block, blockysize=block)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array)
    return path


@pytest.fixture
def make_raster(tmp_path: Path) -> Callable[..., Path]:
    """make_raster(array, transform=None, name=..., crs=..., nodata=..., tiled=..., block=...) -> path.

    The default transform is a 10 m equal-area grid whose top-left corner is (ORIGIN_X, ORIGIN_Y).
    """
    counter = iter(range(10_000))

    def make(array, transform=None, name: str | None = None, **kwargs) -> Path:
        transform = transform if transform is not None else from_origin(ORIGIN_X, ORIGIN_Y, 10.0, 10.0)
        path = tmp_path / (name or f"raster_{next(counter)}.tif")
        return write_geotiff(path, array, transform, **kwargs)

    return make


@pytest.fixture(autouse=True)
def _close_cached_rasters():
    """Each test starts and ends without datasets kept open by the engine's per-thread cache."""
    from rare_earth_plugin.core.tonnage import close_cached_rasters

    close_cached_rasters()
    yield
    close_cached_rasters()


@pytest.fixture
def recorded_reads(monkeypatch) -> list:
    """The windows the engine reads from the rasters, in order (the engine still reads them); clear it to start
    counting afresh. The one place that knows where the engine's read lives."""
    from rare_earth_plugin.core import tonnage

    windows: list = []
    real_read = tonnage._Accumulator.read

    def recording_read(self, window):
        windows.append(window)
        return real_read(self, window)

    monkeypatch.setattr(tonnage._Accumulator, "read", recording_read)
    return windows
