"""What a plain loop of estimates keeps between calls (per-CRS objects, ground cell areas) never serves a value
made for another CRS or grid: each estimate of a loop against pyproj.Geod on its own ground."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from rasterio.transform import from_origin
from shapely.geometry import Polygon

from rare_earth_plugin.core.geometry import densify_coords
from rare_earth_plugin.core.tonnage import TonnageParams, estimate_tonnage

PARAMS = TonnageParams(cutoff=0.0, thickness=1.0, density=1.0)
X0, Y0 = 500_000.0, 5_600_000.0  # valid map coordinates in both UTM 43N and Web Mercator


def geod_area(square: np.ndarray, crs: str) -> float:
    """Ground area of a straight-edged square of map coordinates in ``crs``."""
    dense = densify_coords(square, 1.0)
    lon, lat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(dense[:, 0], dense[:, 1])
    return abs(pyproj.Geod(ellps="WGS84").polygon_area_perimeter(lon, lat)[0])


def test_same_grid_numbers_in_other_crss_and_cell_sizes_never_share_ground_areas(make_raster):
    rasters = [
        (crs, cell, make_raster(np.full((300, 300), 0.2), transform=from_origin(X0, Y0, cell, cell), crs=crs))
        for crs in ("EPSG:32643", "EPSG:3857")
        for cell in (10.0, 20.0)
    ]
    for offset in (500.0, 1500.0):  # twice round the loop, another polygon each time
        corners = [(offset, -offset), (offset + 1000, -offset), (offset + 1000, -offset - 900), (offset, -offset - 900)]
        square = np.array([(X0 + dx, Y0 + dy) for dx, dy in [*corners, corners[0]]])
        for crs, _, path in rasters:
            result = estimate_tonnage(Polygon(square), path, PARAMS)
            expected = geod_area(square, crs)
            assert result.polygon_area_m2 == pytest.approx(expected, rel=1e-7)
            assert result.ore_area_m2 == pytest.approx(expected, rel=1e-6)
