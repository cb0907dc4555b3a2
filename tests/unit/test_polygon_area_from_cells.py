"""A polygon's area where its cells measure it (wholly on the grid, the cell area nearly constant across a cell)
and where they cannot: both against pyproj.Geod on its outline, densified in the raster's CRS."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
from rasterio.transform import from_origin
from shapely.geometry import Polygon

from rare_earth_plugin.core import tonnage_tiles
from rare_earth_plugin.core.geometry import densify_coords
from rare_earth_plugin.core.tonnage import TonnageParams, estimate_tonnage

WGS84 = pyproj.Geod(ellps="WGS84")
PARAMS = TonnageParams(thickness=1.0, density=1.0)


def ragged(rng: np.random.Generator, cx: float, cy: float, radius: float, vertices: int = 300) -> Polygon:
    """A star-shaped polygon with a jagged outline around (cx, cy)."""
    theta = np.linspace(0.0, 2 * np.pi, vertices, endpoint=False)
    r = radius * (1.0 + 0.3 * np.cos(3 * theta + rng.uniform(0, 6)) + 0.15 * rng.uniform(-1, 1, vertices))
    return Polygon(np.column_stack([cx + r * np.cos(theta), cy + r * np.sin(theta)]))


def ground_area(polygon: Polygon, crs: str | None, step: float) -> float:
    """Geod area of the outline densified every ``step`` map units (planar when there is no CRS)."""
    if crs is None:
        return polygon.area
    xy = densify_coords(np.asarray(polygon.exterior.coords), step)
    lon, lat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1])
    return abs(WGS84.polygon_area_perimeter(lon, lat)[0])


# (CRS, centre lon, lat, cell in map units, polygon radius in map units, whether the cells measure the polygon)
CASES = [
    ("EPSG:32643", 75.2, 50.0, 10.0, 300.0, True),  # UTM near its meridian
    ("EPSG:32643", 68.0, 50.0, 10.0, 150.0, False),  # 500 km off: the area changes 2.5e-7 per 10 m cell
    ("EPSG:32643", 68.0, 50.0, 1.0, 150.0, True),  # ... but only 2.5e-8 per 1 m cell
    ("EPSG:3857", 76.4, 50.0, 10.0, 400.0, False),  # Web Mercator: 3.7e-6 per cell
    ("EPSG:3035", 10.0, 52.0, 25.0, 900.0, True),  # equal-area: one cell area
    ("EPSG:4326", 76.4, 50.0, 0.0002, 0.01, True),  # geographic: each cell's share of its ellipsoidal area
    (None, 0.0, 0.0, 2.0, 90.0, True),  # no CRS: planar
]


@pytest.mark.parametrize(("crs", "lon", "lat", "cell", "radius", "measured"), CASES)
def test_the_polygon_area_is_its_geodesic_area_whichever_way_it_is_measured(
    make_raster, monkeypatch, crs, lon, lat, cell, radius, measured
):
    rng = np.random.default_rng(7)
    cx, cy = (
        (lon, lat)
        if crs in (None, "EPSG:4326")
        else pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    )
    cells = math.ceil(3 * radius / cell)
    transform = from_origin(cx - cells * cell / 2, cy + cells * cell / 2, cell, cell)
    path = make_raster(np.full((cells, cells), 0.2), transform=transform, crs=crs)
    calls = []
    original = tonnage_tiles.polygon_area_m2
    monkeypatch.setattr(tonnage_tiles, "polygon_area_m2", lambda *a: calls.append(a) or original(*a))
    for _ in range(4):
        polygon = ragged(rng, cx + rng.uniform(-0.2, 0.2) * radius, cy, radius * rng.uniform(0.3, 1.0))
        expected = ground_area(polygon, crs, cell / 20.0)
        result = estimate_tonnage(polygon, path, PARAMS)
        assert result.polygon_area_m2 == pytest.approx(expected, rel=2e-7)
        assert result.ore_area_m2 == pytest.approx(expected, rel=1e-6)
        assert result.data_coverage == pytest.approx(1.0, abs=1e-6)
    assert (not calls) == measured


def test_a_polygon_partly_off_the_grid_is_measured_whole(make_raster):
    """Its cells measure only the part on the grid: the polygon's own area is Geod's, and the coverage says so."""
    cx, cy = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32643", always_xy=True).transform(75.2, 50.0)
    path = make_raster(np.full((60, 60), 0.2), transform=from_origin(cx, cy + 300, 10.0, 10.0), crs="EPSG:32643")
    polygon = ragged(np.random.default_rng(3), cx, cy, 200.0)
    inside = polygon.intersection(Polygon([(cx, cy - 300), (cx + 600, cy - 300), (cx + 600, cy + 300), (cx, cy + 300)]))
    result = estimate_tonnage(polygon, path, PARAMS)
    assert result.polygon_area_m2 == pytest.approx(ground_area(polygon, "EPSG:32643", 0.5), rel=2e-7)
    assert result.data_coverage == pytest.approx(inside.area / polygon.area, rel=1e-5)
    assert any("outside the grade raster" in warning for warning in result.warnings)


@pytest.mark.parametrize(("lat", "cell"), [(70.0, 0.05), (45.0, 0.001)])
def test_a_polygon_across_a_geographic_rasters_west_edge_keeps_its_area(make_raster, lat, cell):
    """Split at the raster's seam, its parts lie a whole turn apart: each is densified at its own extent's step
    (at the whole's, 360 degrees wide, the area was off by 9.7e-4 at 70 N)."""
    path = make_raster(np.ones((30, 30)), transform=from_origin(10.0, lat, cell, cell), crs="EPSG:4326")
    corners = [(-4.5, -3.2), (10.3, -2.2), (9.1, 12.4), (-3.3, 10.5)]
    polygon = Polygon([(10.0 + px * cell, lat - py * cell) for px, py in corners])
    result = estimate_tonnage(polygon, path, PARAMS)
    assert result.polygon_area_m2 == pytest.approx(ground_area(polygon, "EPSG:4326", cell / 100), rel=1e-7)
