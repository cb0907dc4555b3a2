"""Thickness, density and top-depth rasters finer than the grade cells, whose data end inside grade cells: each
cell counts the part both covered and with data, checked against shapely's intersection of the polygon with the
data's cells (constant values, so tonnes are that area times thickness times density)."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from conftest import EQUAL_AREA, ORIGIN_X, ORIGIN_Y, random_star
from rasterio import features
from rasterio.transform import Affine, from_origin
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.ops import unary_union

from rare_earth_plugin.core.affine_ops import apply, compose
from rare_earth_plugin.core.limits import DEFAULT_LIMITS, EngineLimits
from rare_earth_plugin.core.tonnage import TonnageParams, estimate_tonnage

FINE = 2.0  # the finer rasters' cells (m); the grade cells are 10 m
THICKNESS, DENSITY = 5.0, 2.5


def local_box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A box ``x0..x1`` east and ``y0..y1`` south of the grids' corner (metres)."""
    return box(ORIGIN_X + x0, ORIGIN_Y - y1, ORIGIN_X + x1, ORIGIN_Y - y0)


def footprint(valid: np.ndarray, transform) -> MultiPolygon:
    """The union of a raster's cells where ``valid``: where its data lie."""
    rows, cols = np.nonzero(valid)
    corners = ((0, 0), (1, 0), (1, 1), (0, 1))
    cells = [Polygon([apply(transform, c + i, r + j) for i, j in corners]) for r, c in zip(rows, cols)]
    return unary_union(cells)


@pytest.fixture
def grade(make_raster):
    """A 10 x 10 grade raster of 10 m cells, 0.2 % everywhere."""
    return make_raster(np.full((10, 10), 0.2), name="grade.tif")


def fine_raster(make_raster, valid: np.ndarray, value: float, how: str, name: str):
    """A raster of 2 m cells from the grids' corner holding ``value`` where ``valid``: elsewhere its nodata,
    a negative value not declared as nodata, or beyond its end (``valid`` then holds whole columns from 0)."""
    grid = from_origin(ORIGIN_X, ORIGIN_Y, FINE, FINE)
    if how == "end":
        columns = int(valid.all(axis=0).sum())
        return make_raster(np.full((valid.shape[0], columns), value), grid, name=name)
    if how == "nodata":
        return make_raster(np.where(valid, value, -1.0), grid, name=name, nodata=-1.0)
    return make_raster(np.where(valid, value, -9999.0), grid, name=name)  # negative, undeclared


def expected_tonnes(polygon: Polygon, *valids: np.ndarray) -> float:
    grid = from_origin(ORIGIN_X, ORIGIN_Y, FINE, FINE)
    data = polygon
    for valid in valids:
        data = data.intersection(footprint(valid, grid))
    return data.area * THICKNESS * DENSITY


def columns_to(x: float) -> np.ndarray:
    """Valid fine cells: the columns west of ``x`` m (50 x 50 cells, 100 m square)."""
    valid = np.zeros((50, 50), dtype=bool)
    valid[:, : int(x / FINE)] = True
    return valid


def rows_to(y: float) -> np.ndarray:
    valid = np.zeros((50, 50), dtype=bool)
    valid[: int(y / FINE), :] = True
    return valid


def hole(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    valid = np.ones((50, 50), dtype=bool)
    valid[int(y0 / FINE) : int(y1 / FINE), int(x0 / FINE) : int(x1 / FINE)] = False
    return valid


def rotated(polygon: Polygon, degrees: float) -> Polygon:
    return affinity.rotate(polygon, degrees, origin="centroid")


CASES = {
    # data end 6 m into a grade column; the polygon beside them, across the edge, inside them
    "beside the data": (columns_to(46.0), local_box(46.0, 0.0, 93.0, 100.0)),
    "across the edge": (columns_to(46.0), local_box(43.0, 0.0, 93.0, 100.0)),
    "inside the data": (columns_to(46.0), local_box(3.0, 3.0, 44.0, 97.0)),
    # a hole in the data whose edges lie inside grade cells; polygons inside it, across it, round it
    "inside a hole": (hole(24.0, 32.0, 58.0, 70.0), local_box(27.0, 35.0, 53.0, 65.0)),
    "across a hole": (hole(24.0, 32.0, 58.0, 70.0), local_box(41.0, 13.0, 77.0, 51.0)),
    "round a hole": (hole(24.0, 32.0, 58.0, 70.0), local_box(13.0, 17.0, 87.0, 83.0)),
    "rotated across the edge": (columns_to(46.0), rotated(local_box(21.0, 12.0, 63.0, 71.0), 23.0)),
    "rotated in a hole": (hole(24.0, 32.0, 58.0, 70.0), rotated(local_box(33.0, 38.0, 49.0, 62.0), 37.0)),
}


def _ways(case: str) -> list[str]:
    """How the data end: a raster's end only where whole columns hold data."""
    valid = CASES[case][0]
    return ["end", "nodata", "negative"] if (valid == valid[:1]).all() else ["nodata", "negative"]


@pytest.mark.parametrize(("case", "how"), [(case, how) for case in sorted(CASES) for how in _ways(case)])
def test_a_cell_counts_its_covered_part_with_data(make_raster, grade, case, how):
    valid, polygon = CASES[case]
    thickness = fine_raster(make_raster, valid, THICKNESS, how, "t.tif")
    result = estimate_tonnage(polygon, str(grade), TonnageParams(thickness_raster=str(thickness), density=DENSITY))
    expected = expected_tonnes(polygon, valid)
    assert result.ore_tonnes == pytest.approx(expected, rel=1e-9, abs=1e-6)
    assert result.covered_area_m2 == pytest.approx(expected / THICKNESS / DENSITY, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    "polygon",
    [local_box(0.0, 0.0, 100.0, 100.0), local_box(13.0, 7.0, 71.0, 89.0), rotated(local_box(9, 17, 77, 83), 31.0)],
    ids=["whole", "box", "rotated"],
)
def test_two_rasters_ending_on_crossing_lines_count_where_both_hold_data(make_raster, grade, polygon):
    """Thickness to 46 m east, density to 63 m south: a cell counts where both hold data, not the lesser of
    their shares as if one's data held the other's."""
    thickness_valid, density_valid = columns_to(46.0), rows_to(63.0)
    thickness = fine_raster(make_raster, thickness_valid, THICKNESS, "nodata", "t.tif")
    density = fine_raster(make_raster, density_valid, DENSITY, "nodata", "d.tif")
    params = TonnageParams(thickness_raster=str(thickness), density_raster=str(density))
    result = estimate_tonnage(polygon, str(grade), params)
    assert result.ore_tonnes == pytest.approx(expected_tonnes(polygon, thickness_valid, density_valid), rel=1e-9)


def test_a_finer_raster_on_another_grid_counts_the_covered_part_with_data(make_raster, grade):
    """Data on 3 m cells rotated by 20 degrees (not on the grade grid's parts): the covered part with data to
    within a small part of the cells the polygon and the data's edge both cross."""
    rotation = compose(from_origin(ORIGIN_X + 30.0, ORIGIN_Y + 5.0, 3.0, 3.0), from_origin(0, 0, 1, -1))
    grid = compose(compose(rotation, Affine.rotation(20.0)), from_origin(0, 0, 1, -1))
    valid = np.zeros((40, 40), dtype=bool)
    valid[3:25, 4:19] = True
    thickness = make_raster(np.where(valid, THICKNESS, -1.0), grid, name="t.tif", nodata=-1.0)
    polygon = rotated(local_box(17.0, 11.0, 61.0, 57.0), -14.0)
    data = polygon.intersection(footprint(valid, grid))
    assert 0.2 * polygon.area < data.area < 0.8 * polygon.area  # the data's edge runs through the polygon
    result = estimate_tonnage(polygon, str(grade), TonnageParams(thickness_raster=str(thickness), density=DENSITY))
    edge_cells = 100.0 * 0.005  # the part of the cells both edges cross (about a 10 m cell) that may be missed
    assert result.covered_area_m2 == pytest.approx(data.area, abs=edge_cells)


def test_a_geographic_grade_raster_weighs_the_parts_of_its_cells_by_their_ground(tmp_path, make_raster):
    """At 60 degrees north, 0.01 degree grade cells and 0.002 degree thickness cells whose data end 0.006 degree
    into a column: the polygon across that edge counts the ground (Geod, parallels densified) of the part with
    data."""
    grid = from_origin(20.0, 60.1, 0.01, 0.01)
    grade = make_raster(np.full((10, 10), 0.2), grid, name="g.tif", crs="EPSG:4326")
    fine = from_origin(20.0, 60.1, 0.002, 0.002)
    valid = np.zeros((50, 50), dtype=bool)
    valid[:, :23] = True  # to 20.046 east
    thickness = make_raster(np.where(valid, THICKNESS, -1.0), fine, name="t.tif", crs="EPSG:4326", nodata=-1.0)
    polygon = box(20.0415, 60.0133, 20.0871, 60.0917)
    result = estimate_tonnage(polygon, str(grade), TonnageParams(thickness_raster=str(thickness), density=DENSITY))
    lon = np.linspace(20.0415, 20.046, 200)
    lat = np.linspace(60.0133, 60.0917, 2000)
    ring_lon = np.r_[lon, np.full(lat.size, lon[-1]), lon[::-1], np.full(lat.size, lon[0])]
    ring_lat = np.r_[np.full(lon.size, lat[0]), lat, np.full(lon.size, lat[-1]), lat[::-1]]
    area = abs(pyproj.Geod(ellps="WGS84").polygon_area_perimeter(ring_lon, ring_lat)[0])
    assert result.covered_area_m2 == pytest.approx(area, rel=1e-6)


@pytest.mark.parametrize("degrees", [45.0, 63.0])
def test_a_rotated_finer_raster_s_data_edges_count_their_share(make_raster, grade, degrees):
    """GDAL's average over a raster rotated 45 degrees found no data in grade cells a third of which hold it (and
    so no value): the whole grid counts the data it holds to within sampling at 16 x 16 points per cell."""
    grid = compose(Affine.translation(ORIGIN_X + 50.37, ORIGIN_Y - 49.71), Affine.rotation(degrees))
    grid = compose(compose(grid, Affine.translation(-40.0, 40.0)), Affine.scale(0.5, -0.5))
    valid = np.zeros((160, 160), dtype=bool)
    valid[31:127, 17:141] = True
    thickness = make_raster(np.where(valid, THICKNESS, -1.0), grid, name="t.tif", nodata=-1.0)
    polygon = local_box(0.0, 0.0, 100.0, 100.0)
    data = polygon.intersection(footprint(valid, grid))
    result = estimate_tonnage(polygon, str(grade), TonnageParams(thickness_raster=str(thickness), density=DENSITY))
    assert result.covered_area_m2 == pytest.approx(data.area, rel=1e-4)


@pytest.mark.parametrize("tile_cells", [DEFAULT_LIMITS.tile_cells, 256, 16])
def test_a_finer_raster_in_another_crs_counts_the_ground_its_data_cover(make_raster, grade, tile_cells):
    """Thickness on a longitude/latitude grid (about 1.4 x 2.2 m cells) whose data end inside grade cells of the
    equal-area grid: its cells' corners taken into that CRS give the ground with data. Also in small tiles, whose
    windows of the raster are warped in halves (the halves' data were placed on the whole tile's cells: -56 to
    -91 %)."""
    to_grid = pyproj.Transformer.from_crs("EPSG:4326", EQUAL_AREA, always_xy=True)
    lon0, lat0 = pyproj.Transformer.from_crs(EQUAL_AREA, "EPSG:4326", always_xy=True).transform(ORIGIN_X, ORIGIN_Y)
    grid = from_origin(lon0 - 0.0001, lat0 + 0.0001, 0.00002, 0.00002)
    valid = np.zeros((60, 60), dtype=bool)
    valid[9:44, 12:47] = True
    thickness = make_raster(np.where(valid, THICKNESS, -1.0), grid, name="t.tif", crs="EPSG:4326", nodata=-1.0)
    rows, cols = np.nonzero(valid)
    corners = ((0, 0), (1, 0), (1, 1), (0, 1))
    cells = [Polygon([to_grid.transform(*apply(grid, c + i, r + j)) for i, j in corners]) for r, c in zip(rows, cols)]
    for polygon in (local_box(0.0, 0.0, 100.0, 100.0), rotated(local_box(7.0, 13.0, 31.0, 29.0), 17.0)):
        data = polygon.intersection(unary_union(cells))
        assert data.area > 100.0
        params = TonnageParams(thickness_raster=str(thickness), density=DENSITY)
        result = estimate_tonnage(polygon, str(grade), params, limits=EngineLimits(tile_cells=tile_cells))
        assert result.covered_area_m2 == pytest.approx(data.area, rel=1e-4)


def test_a_finer_raster_off_the_grade_grid_s_lines_counts_its_data_closely(make_raster, grade):
    """3 m cells 0.4 m west and 1.7 m south of the grade lines (no parts up to 64 x 64 hold their lines), data with
    a hole and scattered missing cells: parts of 16 x 16 per cell (4 x 4 counted 2e-4 of a holed polygon's
    tonnes wrong)."""
    grid = from_origin(ORIGIN_X - 0.4, ORIGIN_Y - 1.7, 3.0, 3.0)
    rng = np.random.default_rng(11)
    valid = rng.random((34, 34)) > 0.05
    valid[9:20, 12:23] = False
    thickness = make_raster(np.where(valid, THICKNESS, -1.0), grid, name="t.tif", nodata=-1.0)
    shell = rotated(local_box(6.0, 8.0, 91.0, 87.0), 9.0)
    polygon = Polygon(shell.exterior.coords, [rotated(local_box(55.0, 51.0, 71.0, 77.0), -21.0).exterior.coords])
    data = polygon.intersection(footprint(valid, grid))
    result = estimate_tonnage(polygon, str(grade), TonnageParams(thickness_raster=str(thickness), density=DENSITY))
    assert result.covered_area_m2 == pytest.approx(data.area, rel=5e-5)


def box_ground(west: float, south: float, east: float, north: float) -> float:
    """Ground area of a longitude/latitude box: its rectangle in the cylindrical equal-area projection of the
    ellipsoid (exact; Geod's geodesic sides would need densifying)."""
    cea = pyproj.Transformer.from_crs("EPSG:4326", "+proj=cea +ellps=WGS84", always_xy=True)
    (x0, x1), (y0, y1) = cea.transform([west, east], [south, north])
    return abs((x1 - x0) * (y1 - y0))


@pytest.mark.parametrize(
    ("grade_cell", "north", "rows_with_data"),
    [(0.5, 62.0, slice(0, 18)), (1.0, 80.0, slice(None, None, 10))],
    ids=["edge at 60.2 N in 0.5 degree cells", "northmost tenth of 1 degree cells at 70-80 N"],
)
def test_a_share_with_data_counts_its_ground_not_its_map_area(make_raster, grade_cell, north, rows_with_data):
    """A geographic grade raster and a 0.1 degree thickness raster whose data end inside its cells: the part
    with data holds the ground of its own latitudes, less than an even share of the cell's towards the pole
    (counted by map area: +5e-4 and +3e-2)."""
    cells = round(4.0 / grade_cell)
    grade = make_raster(np.full((cells, cells), 0.2), from_origin(10.0, north, grade_cell, grade_cell), crs="EPSG:4326")
    valid = np.zeros((40, 40), dtype=bool)
    valid[rows_with_data] = True
    grid = from_origin(10.0, north, 0.1, 0.1)
    thickness = make_raster(np.where(valid, THICKNESS, -1.0), grid, name="t.tif", crs="EPSG:4326", nodata=-1.0)
    rows = np.flatnonzero(valid[:, 0])
    expected = sum(box_ground(10.0, north - 0.1 * (r + 1), 14.0, north - 0.1 * r) for r in rows)
    polygon = box(9.0, north - 5.0, 15.0, north + 1.0)
    result = estimate_tonnage(polygon, str(grade), TonnageParams(thickness_raster=str(thickness), density=DENSITY))
    assert result.covered_area_m2 == pytest.approx(expected, rel=1e-9)


def test_a_share_with_data_on_a_mercator_grid_counts_its_ground(make_raster):
    """World Mercator 1 km grade cells at 60 N (the ground per cell changes 3e-4 across one) and 100 m thickness
    cells whose data end 0.45 km into a row of them: the data's ground, a longitude/latitude box."""
    mercator = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3395", always_xy=True)
    x0, y0 = (round(v, -3) for v in mercator.transform(10.0, 60.0))
    grade = make_raster(np.full((10, 10), 0.2), from_origin(x0, y0, 1000.0, 1000.0), crs="EPSG:3395")
    valid = np.zeros((100, 100), dtype=bool)
    valid[:45] = True
    grid = from_origin(x0, y0, 100.0, 100.0)
    thickness = make_raster(np.where(valid, THICKNESS, -1.0), grid, name="t.tif", crs="EPSG:3395", nodata=-1.0)
    back = pyproj.Transformer.from_crs("EPSG:3395", "EPSG:4326", always_xy=True)
    (west, east), (north, south) = back.transform([x0, x0 + 10_000.0], [y0, y0 - 4_500.0])
    polygon = box(x0 - 500.0, y0 - 10_500.0, x0 + 10_500.0, y0 + 500.0)
    result = estimate_tonnage(polygon, str(grade), TonnageParams(thickness_raster=str(thickness), density=DENSITY))
    assert result.covered_area_m2 == pytest.approx(box_ground(west, south, east, north), rel=1e-6)


def test_a_part_the_polygon_covers_in_part_counts_the_ground_of_its_covered_piece(make_raster):
    """1 degree grade cells at 70-72 N, 0.25 degree thickness cells with data west of 11.5 E, and a box inside one
    grade cell whose edges cut the parts: its data are exactly the western half of its ground (a part's covered
    share counted by map area weighed by the part's whole ground: +9e-4)."""
    grade = make_raster(np.full((2, 4), 0.2), from_origin(10.0, 72.0, 1.0, 1.0), crs="EPSG:4326")
    valid = np.zeros((8, 16), dtype=bool)
    valid[:, :6] = True  # to 11.5 E
    grid = from_origin(10.0, 72.0, 0.25, 0.25)
    thickness = make_raster(np.where(valid, THICKNESS, -1.0), grid, name="t.tif", crs="EPSG:4326", nodata=-1.0)
    polygon = box(11.1, 70.1, 11.9, 70.5)
    for tile_cells in (DEFAULT_LIMITS.tile_cells, 16):
        params = TonnageParams(thickness_raster=str(thickness), density=DENSITY)
        result = estimate_tonnage(polygon, str(grade), params, limits=EngineLimits(tile_cells=tile_cells))
        assert result.covered_area_m2 == pytest.approx(box_ground(11.1, 70.1, 11.5, 70.5), rel=1e-9)


def ground_of(shape) -> float:
    """Ground area of a lon/lat (Multi)Polygon whose edges are straight in longitude and latitude, as a grid's
    cells are: each edge cut into 200 pieces, measured in the cylindrical equal-area projection."""
    cea = pyproj.Transformer.from_crs("EPSG:4326", "+proj=cea +ellps=WGS84", always_xy=True)

    def ring(coords) -> list:
        xy = np.asarray(coords)
        steps = np.linspace(0.0, 1.0, 200, endpoint=False)
        dense = (xy[:-1, None, :] + steps[None, :, None] * (xy[1:, None, :] - xy[:-1, None, :])).reshape(-1, 2)
        return list(zip(*cea.transform(dense[:, 0], dense[:, 1])))

    parts = getattr(shape, "geoms", [shape])
    return sum(Polygon(ring(p.exterior.coords), [ring(h.coords) for h in p.interiors]).area for p in parts)


def test_a_finer_raster_rotated_with_its_grade_grid_counts_exactly(make_raster):
    """A geographic grade grid of 0.05 degree cells at 65 N, rotated 12 degrees and sheared, and a thickness raster
    on the same axes with 5 x 5 cells per grade cell and a hole: on parts whose lines hold its cells' lines (it
    was cut 16 x 16 as if rotated against the grade grid: +3.5e-4)."""
    turn = Affine.rotation(12.0)
    grade_grid = compose(compose(Affine.translation(10.0, 65.0), turn), Affine(0.05, 0.01, 0.0, 0.0, -0.05, 0.0))
    fine_grid = compose(grade_grid, Affine.scale(0.2))
    grade = make_raster(np.full((10, 10), 0.2), grade_grid, crs="EPSG:4326")
    valid = np.ones((50, 50), dtype=bool)
    valid[16:33, 12:26] = False
    thickness = make_raster(np.where(valid, THICKNESS, -1.0), fine_grid, name="t.tif", crs="EPSG:4326", nodata=-1.0)
    x, y = apply(grade_grid, 3.5, 4.6)
    polygon = box(x - 0.07, y - 0.06, x + 0.05, y + 0.08)
    corners = ((0, 0), (10, 0), (10, 10), (0, 10))
    extent = Polygon([apply(grade_grid, c, r) for c, r in corners])
    data = polygon.intersection(extent).intersection(footprint(valid, fine_grid))
    result = estimate_tonnage(polygon, str(grade), TonnageParams(thickness_raster=str(thickness), density=DENSITY))
    assert result.covered_area_m2 == pytest.approx(ground_of(data), rel=1e-7)


def test_a_model_in_another_crs_clipped_to_the_zone_counts_the_zone_s_data(make_raster):
    """A thickness model on a longitude/latitude grid (about 7 x 11 m cells) holding data in the cells whose
    centres lie in the zone, and the zone itself as the polygon over 50 m grade cells: the zone's edge runs
    through the model's edge cells, where the covered piece and the piece with data lie together (the product of
    their shares was 2e-4 low); with the polygon 20 m inside or 30 m outside the model's edge, exact."""
    grade = make_raster(np.full((50, 50), 0.2), from_origin(ORIGIN_X, ORIGIN_Y, 50.0, 50.0), name="g.tif")
    zone = random_star(np.random.default_rng(7), (1100, 1400), (1100, 1400), (500, 900), 40)
    to_lonlat = pyproj.Transformer.from_crs(EQUAL_AREA, "EPSG:4326", always_xy=True)
    to_grid = pyproj.Transformer.from_crs("EPSG:4326", EQUAL_AREA, always_xy=True)
    zone_lonlat = Polygon(np.column_stack(to_lonlat.transform(*np.asarray(zone.exterior.coords).T)))
    west, south, east, north = zone_lonlat.bounds
    grid = from_origin(west - 0.0005, north + 0.0005, 0.0001, 0.0001)
    shape = (int((north - south + 0.001) / 0.0001), int((east - west + 0.001) / 0.0001))
    valid = features.rasterize([zone_lonlat], out_shape=shape, transform=grid).astype(bool)
    thickness = make_raster(np.where(valid, THICKNESS, -1.0), grid, name="t.tif", crs="EPSG:4326", nodata=-1.0)
    rows, cols = np.nonzero(valid)
    corners = ((0, 0), (1, 0), (1, 1), (0, 1))
    cells = [Polygon([to_grid.transform(*apply(grid, c + i, r + j)) for i, j in corners]) for r, c in zip(rows, cols)]
    data = unary_union(cells)
    params = TonnageParams(thickness_raster=str(thickness), density=DENSITY)
    for polygon, tolerance in ((zone, 1e-5), (zone.buffer(-20.0), 1e-9), (zone.buffer(30.0), 1e-7)):
        result = estimate_tonnage(polygon, str(grade), params)
        assert result.covered_area_m2 == pytest.approx(polygon.intersection(data).area, rel=tolerance)


def test_a_zone_drawn_from_a_rotated_model_s_outline_counts_all_of_it(make_raster):
    """A thickness model of 12 m cells rotated 20 degrees, holding data in a disk with scattered gaps, and the zone
    drawn from its outline (the union of its cells with data, holes and all) over 50 m grade cells: the zone's
    edge runs along the data's edge in every part it crosses, so all the zone holds data (the product of the
    two shares of a part counted its share times itself: 5.6e-4 low); and with a density model clipped alike,
    where both hold data (the product of their shares, 2.5e-4 low)."""
    grade = make_raster(np.full((20, 20), 0.2), from_origin(ORIGIN_X, ORIGIN_Y, 50.0, 50.0), name="g.tif")
    grid = compose(Affine.translation(ORIGIN_X + 500.0, ORIGIN_Y - 500.0), Affine.rotation(20.0))
    grid = compose(grid, compose(Affine.translation(-360.0, 360.0), Affine.scale(12.0, -12.0)))
    rows, cols = np.indices((60, 60))
    valid = (rows - 29.5) ** 2 + (cols - 29.5) ** 2 < 27.0**2
    valid &= np.random.default_rng(3).random((60, 60)) > 0.03
    thickness = make_raster(np.where(valid, THICKNESS, -1.0), grid, name="t.tif", nodata=-1.0)
    density = make_raster(np.where(valid, DENSITY, -1.0), grid, name="d.tif", nodata=-1.0)
    outline = footprint(valid, grid)
    zone = max(getattr(outline, "geoms", [outline]), key=lambda part: part.area)
    for params in (
        TonnageParams(thickness_raster=str(thickness), density=DENSITY),
        TonnageParams(thickness_raster=str(thickness), density_raster=str(density)),
    ):
        result = estimate_tonnage(zone, str(grade), params)
        assert result.covered_area_m2 == pytest.approx(zone.area, rel=1e-6)


@pytest.mark.parametrize("cell", [5.0, 6.25, 9.0, 9.99])
def test_a_raster_up_to_twice_as_fine_is_averaged_not_smeared(make_raster, grade, cell):
    """A density raster finer than the grade cells, but at most twice as fine (5 m under 10 m, a common pair),
    was interpolated bilinearly, which GDAL widens when it shrinks a raster: a grade cell filled by four cells of
    3.0 among 2.0 read 2.56, and its neighbours took the rest. Each grade cell now holds the mean of the density
    cells over it, weighed by the area they share (shapely's intersection as the check)."""
    grid = from_origin(ORIGIN_X, ORIGIN_Y, cell, cell)
    count = int(np.ceil(100.0 / cell))
    columns, rows = np.meshgrid(np.arange(count), np.arange(count))
    hot = (columns + 0.5) * cell
    hot = (hot > 20.0) & (hot < 30.0) & ((rows + 0.5) * cell > 20.0) & ((rows + 0.5) * cell < 30.0)
    density = make_raster(np.where(hot, 3.0, 2.0), grid, name="d.tif")
    hot_cells = footprint(hot, grid)
    for row in range(1, 4):
        for column in range(1, 4):
            grade_cell = local_box(10.0 * column, 10.0 * row, 10.0 * column + 10.0, 10.0 * row + 10.0)
            params = TonnageParams(cutoff=0.0, thickness=1.0, density_raster=str(density))
            result = estimate_tonnage(grade_cell, str(grade), params)
            expected = 2.0 + grade_cell.intersection(hot_cells).area / grade_cell.area
            assert result.ore_tonnes / result.covered_area_m2 == pytest.approx(expected, rel=1e-9), (row, column)
