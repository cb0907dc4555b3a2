"""Exact cell coverage against shapely intersection areas and closed forms, each case both ways a window's edges
are summed: cut at every cell (few pieces) and cut at column lines only (many)."""

from __future__ import annotations

import numpy as np
import pytest
from rasterio.transform import Affine
from shapely.affinity import rotate, translate
from shapely.geometry import MultiPolygon, Point, Polygon, box

from rare_earth_plugin.core import coverage
from rare_earth_plugin.core.affine_ops import apply, compose
from rare_earth_plugin.core.coverage import CellCoverage, coverage_fractions


@pytest.fixture(autouse=True, params=["cut at cells", "cut at columns"])
def each_way(request, monkeypatch):
    monkeypatch.setattr(coverage, "CELL_PIECES", 1 << 40 if request.param == "cut at cells" else -1)


def identity(x, y):
    return x, y


def reference(geometry, shape):
    """Intersection area of the geometry with each unit cell, one by one (slow but obviously right)."""
    out = np.zeros(shape)
    for r in range(shape[0]):
        for c in range(shape[1]):
            out[r, c] = geometry.intersection(box(c, r, c + 1, r + 1)).area
    return out


def random_star(rng, centre, radius, n):
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(0.3, 1.0, n) * radius
    return Polygon(np.c_[centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)])


def assert_matches_shapely(geometry, shape):
    got = coverage_fractions(geometry, shape, identity)
    expected = reference(geometry, shape)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_random_polygons_match_shapely(seed):
    rng = np.random.default_rng(seed)
    polygon = random_star(rng, rng.uniform(-1, 9, 2), rng.uniform(2, 7), int(rng.integers(3, 25)))
    assert polygon.is_valid
    assert_matches_shapely(polygon, (8, 9))


@pytest.mark.parametrize("seed", range(6))
def test_polygons_with_integer_vertices_on_cell_corners_match_shapely(seed):
    rng = np.random.default_rng(100 + seed)
    polygon = random_star(rng, (5.0, 4.0), 5.0, 9)
    polygon = Polygon(np.round(np.asarray(polygon.exterior.coords)))
    polygon = polygon if polygon.is_valid else polygon.buffer(0)
    assert polygon.area > 0
    assert_matches_shapely(polygon, (9, 10))


def test_polygon_with_holes_and_multipolygon_match_shapely():
    shell = Point(5.2, 4.7).buffer(4.3, 16)
    holes = [Point(3.9, 4.1).buffer(1.2, 8), box(6.0, 3.0, 7.0, 6.5)]
    with_holes = Polygon(shell.exterior.coords, [h.exterior.coords for h in holes])
    multi = MultiPolygon([with_holes, box(10.25, 0.5, 11.75, 8.2), Point(1, 8).buffer(0.3, 6)])
    assert multi.is_valid
    assert_matches_shapely(multi, (10, 13))
    # A hole subtracts exactly: sum of fractions is the polygon's area.
    assert coverage_fractions(multi, (10, 13), identity).sum() == pytest.approx(multi.area, rel=1e-12)


def test_ring_orientation_does_not_matter():
    polygon = Polygon([(0.3, 0.2), (4.7, 1.1), (3.2, 4.6), (0.9, 3.3)], [[(1.5, 1.5), (2.5, 1.6), (2.0, 2.8)]])
    reversed_rings = Polygon(polygon.exterior.coords[::-1], [polygon.interiors[0].coords[::-1]])
    np.testing.assert_allclose(
        coverage_fractions(polygon, (5, 5), identity), coverage_fractions(reversed_rings, (5, 5), identity), atol=1e-14
    )
    total = coverage_fractions(reversed_rings, (5, 5), identity).sum()
    assert total == pytest.approx(polygon.area, rel=1e-12)


def test_axis_aligned_rectangle_closed_form():
    # Horizontal and vertical edges inside cells: fractions are products of the covered interval lengths.
    fractions = coverage_fractions(box(0.25, 1.5, 2.75, 2.0), (3, 3), identity)
    expected = np.zeros((3, 3))
    expected[1] = [0.75 * 0.5, 0.5, 0.75 * 0.5]
    np.testing.assert_allclose(fractions, expected, atol=1e-15)


def test_edges_lying_on_grid_lines_cover_whole_cells():
    fractions = coverage_fractions(box(1, 1, 3, 2), (3, 4), identity)
    expected = np.zeros((3, 4))
    expected[1, 1:3] = 1.0
    np.testing.assert_array_equal(fractions, expected)


def test_polygon_smaller_than_a_cell_gets_its_exact_share():
    tiny = Polygon([(2.40, 1.30), (2.45, 1.31), (2.41, 1.37)])
    fractions = coverage_fractions(tiny, (3, 4), identity)
    assert fractions[1, 2] == pytest.approx(tiny.area, rel=1e-9)
    assert fractions.sum() == pytest.approx(tiny.area, rel=1e-9)
    assert np.count_nonzero(fractions) == 1


def test_tiles_agree_with_the_whole_window():
    # Left carry: parts of the polygon left of a tile must still fill the tile's cells.
    rng = np.random.default_rng(7)
    polygon = random_star(rng, (20.0, 15.0), 16.0, 40)
    coverage = CellCoverage.from_geometry(polygon, identity)
    whole = coverage.fractions(0, 30, 0, 40)
    for r0, r1, c0, c1 in [(0, 7, 0, 13), (7, 22, 13, 29), (22, 30, 29, 40), (5, 6, 17, 18), (3, 25, 31, 33)]:
        np.testing.assert_allclose(coverage.fractions(r0, r1, c0, c1), whole[r0:r1, c0:c1], atol=1e-12)
    assert whole.sum() == pytest.approx(polygon.intersection(box(0, 0, 40, 30)).area, rel=1e-12)


def test_window_inside_a_large_polygon_is_fully_covered_and_outside_is_empty():
    coverage = CellCoverage.from_geometry(box(-100, -100, 100, 100), identity)
    np.testing.assert_array_equal(coverage.fractions(10, 14, 20, 25), np.ones((4, 5)))
    np.testing.assert_array_equal(coverage.fractions(200, 204, 0, 5), np.zeros((4, 5)))
    np.testing.assert_array_equal(coverage.fractions(0, 4, 150, 155), np.zeros((4, 5)))


def test_rotated_geotransform_matches_shapely_in_map_coordinates():
    transform = compose(compose(Affine.translation(500.0, 2000.0), Affine.rotation(25.0)), Affine.scale(10.0, -10.0))
    inverse = ~transform
    polygon = rotate(Point(560.0, 1940.0).buffer(38.0, 12), 10.0)
    fractions = coverage_fractions(polygon, (10, 14), lambda x, y: apply(inverse, x, y))
    for r in range(10):
        for c in range(14):
            cell = Polygon(
                [
                    apply(transform, c, r),
                    apply(transform, c + 1, r),
                    apply(transform, c + 1, r + 1),
                    apply(transform, c, r + 1),
                ]
            )
            assert fractions[r, c] == pytest.approx(polygon.intersection(cell).area / cell.area, abs=1e-10)
    footprint = Polygon(
        [apply(transform, 0, 0), apply(transform, 14, 0), apply(transform, 14, 10), apply(transform, 0, 10)]
    )
    assert fractions.sum() * 100.0 == pytest.approx(polygon.intersection(footprint).area, rel=1e-9)


def comb(teeth: int, height: float, lean: float = 0.0) -> Polygon:
    """A comb: a spine along the top and ``teeth`` teeth hanging ``height`` below it, each leaning by
    ``lean`` cells over its height (so its edges cross rows whole, and columns too when leaning)."""
    coords = [(0.3, 0.4)]
    for i in range(teeth):
        x = 0.3 + 1.7 * i
        coords += [(x + lean, 0.4 + height), (x + 0.9 + lean, 0.4 + height), (x + 0.9, 1.2)]
        coords.append((x + 1.7, 1.2) if i < teeth - 1 else (x + 0.9, 0.4))
    return Polygon(coords)


@pytest.mark.parametrize("lean", [0.0, 0.35, 2.6, -1.4])
def test_comb_teeth_spanning_many_rows_match_shapely(lean):
    polygon = comb(5, 17.3, lean)
    assert polygon.is_valid
    assert_matches_shapely(polygon, (20, 13))


@pytest.mark.parametrize("lean", [0.0, 3.3])
def test_comb_over_tiles_and_in_edge_chunks_matches_the_whole_window(lean):
    polygon = comb(30, 38.6, lean)
    coverage = CellCoverage.from_geometry(polygon, identity)
    whole = coverage.fractions(0, 41, 0, 56)
    for r0, r1, c0, c1 in [(0, 41, 0, 56), (3, 17, 9, 30), (17, 41, 30, 56), (0, 41, 44, 45)]:
        # max_pieces=7: many chunks of edges, each summed on its own
        np.testing.assert_allclose(coverage.fractions(r0, r1, c0, c1, max_pieces=7), whole[r0:r1, c0:c1], atol=1e-12)
    assert whole.sum() == pytest.approx(polygon.intersection(box(0, 0, 56, 41)).area, rel=1e-12)


def fine_comb(teeth: int, period: float, height: float, lean: float) -> Polygon:
    """Teeth narrower than a cell (several per cell when ``period`` < 1), leaning ``lean`` cells."""
    coords = [(0.3, 0.2)]
    for i in range(teeth):
        x = 0.3 + period * i
        coords += [(x, 1.1), (x + lean, 1.1 + height), (x + lean + 0.5 * period, 1.1 + height)]
        coords.append((x + 0.5 * period, 1.1))
    coords += [(0.3 + period * teeth, 1.1), (0.3 + period * teeth, 0.2)]
    return Polygon(coords)


@pytest.mark.parametrize("lean", [0.0, 9.7, -6.2])
def test_sub_cell_teeth_match_shapely_in_bands_and_chunks(lean):
    # Edges longer than a band are cut to its rows before the column cuts; sums over bands, column chunks and
    # edge chunks of a few pieces must still be each cell's intersection area.
    polygon = fine_comb(23, 0.37, 17.6, lean)
    assert polygon.is_valid
    shape = (20, 28)
    offset = translate(polygon, 7.0)
    expected = reference(offset, shape)
    coverage = CellCoverage.from_geometry(offset, identity)
    np.testing.assert_allclose(coverage.fractions(0, 20, 0, 28), expected, rtol=1e-9, atol=1e-12)
    for r0, r1, c0, c1 in [(0, 5, 0, 28), (5, 6, 3, 17), (6, 20, 11, 28), (2, 19, 0, 9)]:
        got = coverage.fractions(r0, r1, c0, c1, max_pieces=5)
        np.testing.assert_allclose(got, expected[r0:r1, c0:c1], rtol=1e-9, atol=1e-12)


def test_windows_worked_out_together_match_each_alone_and_shapely():
    """Rows of several whole-polygon windows of different sizes stacked and cut at once."""
    rng = np.random.default_rng(5)
    windows, polygons = [], []
    for k in range(7):
        polygon = random_star(rng, rng.uniform(-50, 50, 2), rng.uniform(1.5, 9), int(rng.integers(3, 30)))
        if k == 3:
            polygon = polygon.difference(polygon.centroid.buffer(0.8))
        xmin, ymin, xmax, ymax = polygon.bounds
        window = (int(np.floor(ymin)), int(np.ceil(ymax)), int(np.floor(xmin)), int(np.ceil(xmax)))
        windows.append((CellCoverage.from_geometry(polygon, identity), *window))
        polygons.append(polygon)
    together = coverage.fractions_together(windows)
    assert together is not None
    for (cover, r0, r1, c0, c1), polygon, got in zip(windows, polygons, together):
        np.testing.assert_allclose(got, cover.fractions(r0, r1, c0, c1, clip=False), atol=1e-12)
        expected = reference(translate(polygon, -c0, -r0), (r1 - r0, c1 - c0))
        np.testing.assert_allclose(got, expected, atol=1e-11)


@pytest.mark.parametrize("axes", ["rows", "columns", "both"])
@pytest.mark.parametrize("seed", range(4))
def test_factors_multiply_the_fractions_whether_folded_in_or_not(axes, seed):
    """Row and column factors (the ground area of projected cells) give the fractions times them, on windows
    holding the polygon whole (folded into the running sums, down the columns for column factors) and on
    windows cutting it; outlines on grid lines and with horizontal edges included."""
    rng = np.random.default_rng(40 + seed)
    shell = np.round(rng.uniform(0, 12, (9, 2)) * 2) / 2  # many horizontal edges and vertices on grid lines
    polygon = Polygon(shell).buffer(0)
    polygon = polygon.union(box(2, 3, 7, 5)).difference(box(3.0, 3.5, 4.0, 4.5))
    cover = CellCoverage.from_geometry(polygon, identity)
    for r0, r1, c0, c1 in [(0, 13, 0, 13), (-2, 15, -1, 14), (2, 9, 3, 10), (0, 6, 0, 13)]:
        plain = cover.fractions(r0, r1, c0, c1, clip=False)
        rows = rng.uniform(0.9, 1.1, r1 - r0) if axes in ("rows", "both") else None
        cols = rng.uniform(0.9, 1.1, c1 - c0) if axes in ("columns", "both") else None
        expected = plain * (1.0 if rows is None else rows[:, None]) * (1.0 if cols is None else cols[None, :])
        got = cover.fractions(r0, r1, c0, c1, clip=False, factors=(rows, cols))
        np.testing.assert_allclose(got, expected, atol=1e-12)


def test_rows_re_spaced_to_equal_area_match_the_ellipsoidal_share_of_each_cell():
    """Over coarse geographic rows near the pole (0.25 degree cells at 80-85 N), each cell's fraction is the
    ellipsoidal area of its intersection with the polygon (straight in lon/lat) over the cell's: the whole
    window, tiles with edges left of them, chunks of edges and windows worked out together alike."""
    import pyproj
    from rasterio.transform import from_origin

    from rare_earth_plugin.core.cellarea import EllipsoidalCellArea, polygon_area_m2

    wgs84 = pyproj.CRS.from_epsg(4326)
    rows = EllipsoidalCellArea(from_origin(0.0, 85.0, 0.25, 0.25), wgs84)
    row_areas = rows.row_areas(0, 20)

    def lon_lat(geometry):
        return Polygon(
            [(0.25 * c, 85.0 - 0.25 * r) for c, r in geometry.exterior.coords],
            [[(0.25 * c, 85.0 - 0.25 * r) for c, r in hole.coords] for hole in geometry.interiors],
        )

    def shares(polygon, shape):
        ground = lon_lat(polygon)
        out = np.zeros(shape)
        for r in range(shape[0]):
            for c in range(shape[1]):
                part = ground.intersection(lon_lat(box(c, r, c + 1, r + 1)))
                out[r, c] = 0.0 if part.is_empty else polygon_area_m2(part, wgs84) / row_areas[r]
        return out

    rng = np.random.default_rng(11)
    polygon = random_star(rng, (9.0, 8.0), 8.0, 23).difference(Point(9.2, 8.1).buffer(2.3))
    expected = shares(polygon, (20, 18))
    cover = CellCoverage.from_geometry(polygon, identity, rows)
    np.testing.assert_allclose(cover.fractions(0, 20, 0, 18), expected, atol=1e-9)
    for r0, r1, c0, c1 in [(0, 7, 0, 13), (7, 20, 13, 18), (3, 17, 5, 9)]:
        got = cover.fractions(r0, r1, c0, c1, max_pieces=6)
        np.testing.assert_allclose(got, expected[r0:r1, c0:c1], atol=1e-9)
    small = random_star(rng, (4.5, 14.0), 2.5, 9)
    windows = [(cover, 0, 20, 0, 18), (CellCoverage.from_geometry(small, identity, rows), 11, 17, 2, 8)]
    together = coverage.fractions_together(windows)
    assert together is not None
    np.testing.assert_allclose(together[0], expected, atol=1e-9)
    np.testing.assert_allclose(together[1], shares(small, (20, 18))[11:17, 2:8], atol=1e-9)


def test_cutting_at_cells_at_once_makes_the_pieces_of_cutting_at_columns_then_rows():
    """Segments rising and falling, ending on grid lines, through corners, beyond the window and with a NaN end:
    the same pieces in the same order along each segment, with cut points exactly on their lines."""
    rng = np.random.default_rng(4)
    ends = rng.uniform(-3.0, 12.0, (200, 4))
    ends[:40] = np.round(ends[:40])  # on grid lines and corners
    ends[40:50, 2] = ends[40:50, 0]  # vertical
    ends[50, 3] = np.nan
    x0, y0, x1, y1 = ends.T
    xa, ya, xb, yb, owner = coverage.split_at_grid_lines(x0, y0, x1, y1, 9)
    ya, xa, yb, xb, second = coverage.split_at_grid_lines(ya, xa, yb, xb, 7)
    got = coverage.split_at_cells(x0, y0, x1, y1, 9, 7)
    kept = (xa != xb) | (ya != yb)  # at a corner the two ways may differ by a piece of no length
    gkept = (got[0] != got[2]) | (got[1] != got[3])
    np.testing.assert_array_equal(got[4][gkept], owner[second][kept])
    for mine, theirs in zip(got[:4], (xa, ya, xb, yb)):
        np.testing.assert_allclose(mine[gkept], theirs[kept], rtol=0.0, atol=1e-12)
    on_line = got[0][gkept][1:][got[4][gkept][1:] == got[4][gkept][:-1]]
    on_row = got[1][gkept][1:][got[4][gkept][1:] == got[4][gkept][:-1]]
    assert np.all((on_line == np.round(on_line)) | (on_row == np.round(on_row)))


@pytest.mark.parametrize("pieces_at_a_time", [None, 7])
@pytest.mark.parametrize("seed", range(4))
def test_moments_of_each_cells_covered_part_equal_shapelys(seed, pieces_at_a_time, monkeypatch):
    """The first moments of each cell's part, about its centre, against shapely's area x centroid offset: a
    star with a hole, in a window the polygon runs out of on every side (edges left of it too)."""
    if pieces_at_a_time is not None:  # the edges cut a few at a time
        monkeypatch.setattr(coverage, "PIECES_PER_BAND", pieces_at_a_time)
    rng = np.random.default_rng(seed)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 14))
    radii = rng.uniform(3, 8, 14)
    polygon = Polygon(np.column_stack([10 + radii * np.cos(angles), 10 + radii * np.sin(angles)]))
    polygon = polygon.difference(box(9.2, 9.1, 11.6, 10.7))
    rings = [(np.asarray(polygon.exterior.coords), True)] + [(np.asarray(i.coords), False) for i in polygon.interiors]
    row0, row1, col0, col1 = 4, 17, 7, 20
    cells, down_at, across_at = CellCoverage(rings).moments(row0, row1, col0, col1)
    assert np.unique(cells).size == cells.size
    down, across = np.zeros((row1 - row0) * (col1 - col0)), np.zeros((row1 - row0) * (col1 - col0))
    down[cells], across[cells] = down_at, across_at  # the other cells have none
    down, across = down.reshape(row1 - row0, -1), across.reshape(row1 - row0, -1)
    for i in range(row1 - row0):
        for j in range(col1 - col0):
            part = polygon.intersection(box(col0 + j, row0 + i, col0 + j + 1, row0 + i + 1))
            expected_down = (part.centroid.y - (row0 + i + 0.5)) * part.area if part.area else 0.0
            expected_across = (part.centroid.x - (col0 + j + 0.5)) * part.area if part.area else 0.0
            assert down[i, j] == pytest.approx(expected_down, abs=1e-12)
            assert across[i, j] == pytest.approx(expected_across, abs=1e-12)
