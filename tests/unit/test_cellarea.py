"""Cell areas: geotransform determinant for projected rasters, ellipsoidal quadrangles for geographic ones."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
from rasterio.transform import Affine, from_origin
from shapely.geometry import Polygon, box

from rare_earth_plugin.core import cellarea
from rare_earth_plugin.core.affine_ops import compose
from rare_earth_plugin.core.cellarea import EllipsoidalCellArea, polygon_area_m2, projected_cell_area

WGS84 = pyproj.CRS.from_epsg(4326)


def authalic_surface_area(a: float, f: float) -> float:
    """Total surface of an ellipsoid of revolution, 2 pi a^2 (1 + (1 - e2)/e atanh(e))."""
    e2 = f * (2 - f)
    e = math.sqrt(e2)
    return 2 * math.pi * a * a * (1 + (1 - e2) / e * math.atanh(e))


def test_global_grid_sums_to_the_ellipsoid_surface():
    cells = EllipsoidalCellArea(from_origin(-180, 90, 1.0, 1.0), WGS84)
    areas = cells.row_areas(0, 180)
    expected = authalic_surface_area(6378137.0, 1 / 298.257223563)
    assert areas.sum() * 360 == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(5.10065621718e14, rel=1e-10)


def test_small_cell_matches_geodesic_area_of_its_densified_outline():
    # A 1 arc-second cell near Kuirektykol: the closed form must not lose digits to cancellation.
    step = 1 / 3600
    cells = EllipsoidalCellArea(from_origin(76.4, 50.0, step, step), WGS84)
    area = cells.row_areas(0, 1)[0]
    lon = np.linspace(76.4, 76.4 + step, 200)
    outline = np.r_[np.c_[lon, np.full(200, 50.0 - step)], np.c_[lon[::-1], np.full(200, 50.0)]]
    geodesic, _ = pyproj.Geod(ellps="WGS84").polygon_area_perimeter(outline[:, 0], outline[:, 1])
    assert area == pytest.approx(abs(geodesic), rel=1e-7)
    assert 600 < area < 700  # about 30.9 m x 19.9 m, far from 1/3600^2 "square degrees"


def test_cells_shrink_towards_the_pole():
    areas = EllipsoidalCellArea(from_origin(0, 80, 0.5, 0.5), WGS84).row_areas(0, 100)
    assert (np.diff(areas) > 0).all()  # rows go south, cells grow


def test_projected_cell_area_uses_the_determinant_and_unit():
    rotated = compose(Affine.rotation(30), Affine.scale(10, -20))
    assert projected_cell_area(rotated, pyproj.CRS.from_epsg(32643)) == pytest.approx(200.0)
    feet = pyproj.CRS.from_epsg(2227)  # California zone 3, US survey feet
    assert projected_cell_area(Affine.scale(1, -1), feet) == pytest.approx((1200 / 3937) ** 2)


def test_polygon_area_projected_and_geographic():
    # UTM 43N 500 km west of its meridian: a 100 m x 50 m map box is smaller on the ground (Geod, on its corners).
    lon, lat = pyproj.Transformer.from_crs(32643, 4326, always_xy=True).transform([0, 100, 100, 0], [0, 0, 50, 50])
    ground = abs(pyproj.Geod(ellps="WGS84").polygon_area_perimeter(lon, lat)[0])
    assert ground < 4990.0
    assert polygon_area_m2(box(0, 0, 100, 50), pyproj.CRS.from_epsg(32643)) == pytest.approx(ground, rel=1e-9)
    # A lon/lat rectangle: straight lon/lat edges, same area as its cells.
    rectangle = box(76.0, 49.5, 76.5, 50.0)
    cells = EllipsoidalCellArea(from_origin(76.0, 50.0, 0.5, 0.5), WGS84)
    assert polygon_area_m2(rectangle, WGS84) == pytest.approx(cells.row_areas(0, 1)[0], rel=1e-6)
    with_hole = Polygon(rectangle.exterior.coords, [box(76.1, 49.6, 76.2, 49.7).exterior.coords])
    assert polygon_area_m2(with_hole, WGS84) < polygon_area_m2(rectangle, WGS84)


@pytest.mark.parametrize(
    ("epsg", "lon", "lat"),
    [(32643, 75.1, 50.0), (32643, 78.5, 50.0), (3857, 75.1, 50.0), (3857, 20.0, 78.0), (3413, -45.0, 75.0)],
)
@pytest.mark.parametrize("size_deg", [0.002, 0.05, 0.15])
@pytest.mark.parametrize("block", [None, 7])
def test_polygon_area_in_projected_crs_matches_geod(epsg, lon, lat, size_deg, block, monkeypatch):
    """Small polygons (the fitted areal scale) and larger ones (Geod) alike: within 1e-7 of Geod's area of the
    same straight-edged map polygon, densified far beyond what the engine does; also when the ring is taken in
    blocks of 7 vertices or edges (as long rings are, to bound memory)."""
    if block is not None:
        monkeypatch.setattr(cellarea, "_AREA_BLOCK_VERTICES", block)
        monkeypatch.setattr(cellarea, "_AREA_BLOCK_EDGES", block)
    crs = pyproj.CRS.from_epsg(epsg)
    forward = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    angle = np.linspace(0.0, 2 * np.pi, 61)[:-1]
    lons = lon + size_deg * 1.3 * np.cos(angle)
    lats = lat + size_deg * (0.7 * np.sin(angle) + 0.3 * np.cos(3 * angle))
    x, y = forward.transform(lons, lats)
    polygon = Polygon(np.column_stack([x, y]))
    ring = np.asarray(polygon.exterior.coords)
    dense = np.vstack(
        [ring[i] + (ring[i + 1] - ring[i]) * t for i in range(len(ring) - 1) for t in np.linspace(0, 1, 200)[:-1]]
    )
    inverse = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    geo_lon, geo_lat = inverse.transform(dense[:, 0], dense[:, 1])
    expected = abs(crs.get_geod().polygon_area_perimeter(geo_lon, geo_lat)[0])
    assert polygon_area_m2(polygon, crs) == pytest.approx(expected, rel=1e-7)


def test_a_comb_over_a_geographic_raster_keeps_memory_bounded(make_raster):
    """400 teeth, each a meridian edge pair across 2,850 rows of a 0.005 degree raster at 66-80 N: their edges are
    not cut at every row they cross (2.3 million pieces, 320 MB peak before), and the covered area is the closed
    form of meridians and parallels, dlon x (zone area difference), in tiles whose rows have edges left of them."""
    import tracemalloc

    from rare_earth_plugin.core.tonnage import TonnageParams, estimate_tonnage

    rows, cols, cell, teeth = 3000, 400, 0.005, 400
    path = make_raster(
        np.ones((rows, cols), dtype=np.uint8),
        transform=from_origin(60.0, 80.0, cell, cell),
        crs="EPSG:4326",
        tiled=True,
        block=128,
    )
    period, top, bottom, spine = cols * cell / teeth, 80.0 - 0.1, 80.0 - 0.96 * rows * cell, 80.0 - 0.2
    ring = [(60.0 + 0.1 * period, top)]
    for i in range(teeth):
        x = 60.0 + (i + 0.1) * period
        ring += [(x, bottom), (x + 0.5 * period, bottom), (x + 0.5 * period, spine)]
        ring.append((x + period, spine) if i < teeth - 1 else (x + 0.5 * period, top))
    lon, lat = np.array(ring + ring[:1]).T
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    sin_lat = np.sin(np.radians(lat))
    zone = (
        (a * (1 - f)) ** 2 / 2 * (sin_lat / (1 - e2 * sin_lat**2) + np.arctanh(math.sqrt(e2) * sin_lat) / math.sqrt(e2))
    )
    expected = abs(float(np.sum(np.diff(lon) * zone[1:]))) * math.radians(1.0)
    tracemalloc.start()
    try:
        result = estimate_tonnage(Polygon(ring), path, TonnageParams(thickness=1.0, density=1.0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.covered_area_m2 == pytest.approx(expected, rel=1e-11)
    assert peak < 120e6
