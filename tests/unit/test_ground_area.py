"""Ground (ellipsoidal) areas in every CRS: the engine against pyproj.Geod on the same ground."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
from rasterio.transform import from_origin
from shapely.geometry import MultiPolygon, Polygon, box

from rare_earth_plugin.core.affine_ops import apply, compose
from rare_earth_plugin.core.cellarea import polygon_area_m2
from rare_earth_plugin.core.geometry import densify_coords
from rare_earth_plugin.core.tonnage import TonnageInputError, TonnageParams, estimate_tonnage

WGS84 = pyproj.Geod(ellps="WGS84")
PARAMS = TonnageParams(thickness=10.0, density=2.5)


def ground_square(lon: float, lat: float, side: float, step: float = 5.0) -> np.ndarray:
    """A square of ``side`` metres on the ground (in a local azimuthal equidistant plane), densified every
    ``step`` metres, as lon/lat vertices."""
    local = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=WGS84 +units=m")
    half = side / 2
    corners = np.array([(-half, -half), (half, -half), (half, half), (-half, half), (-half, -half)])
    dense = densify_coords(corners, step)
    to_geo = pyproj.Transformer.from_crs(local, "EPSG:4326", always_xy=True)
    return np.column_stack(to_geo.transform(dense[:, 0], dense[:, 1]))


def geod_area(lonlat: np.ndarray) -> float:
    return abs(WGS84.polygon_area_perimeter(lonlat[:, 0], lonlat[:, 1])[0])


def raster_around(make_raster, crs: str, xy: np.ndarray, cell: float, value: float = 0.2):
    """A constant-grade raster in ``crs`` whose cells of ``cell`` units cover the points with a margin."""
    x0, y1 = xy[:, 0].min() - 3 * cell, xy[:, 1].max() + 3 * cell
    cols = math.ceil((xy[:, 0].max() + 3 * cell - x0) / cell)
    rows = math.ceil((y1 - (xy[:, 1].min() - 3 * cell)) / cell)
    return make_raster(np.full((rows, cols), value), transform=from_origin(x0, y1, cell, cell), crs=crs)


CASES = [
    ("EPSG:3857", 76.4, 50.0, 50.0),  # Web Mercator: map areas 2.42 x the ground near 50 N
    ("EPSG:3857", 20.0, 78.0, 200.0),
    ("EPSG:3413", -45.0, 75.0, 50.0),  # NSIDC polar stereographic north
    ("EPSG:3031", 0.0, -80.0, 50.0),  # Antarctic polar stereographic
    ("EPSG:32661", 30.0, 85.0, 100.0),  # UPS north
    ("EPSG:32643", 70.5, 50.0, 50.0),  # UTM 43N some 320 km west of its meridian
    ("EPSG:3034", 10.0, 62.0, 50.0),  # Lambert conformal conic (Europe)
    ("EPSG:2154", 2.0, 47.0, 25.0),  # Lambert 93
    ("EPSG:2227", -122.0, 37.5, 150.0),  # California zone 3, US survey feet
    ("EPSG:4326", 76.4, 50.0, 0.0005),  # geographic: exact already
]


@pytest.mark.parametrize(("crs", "lon", "lat", "cell"), CASES)
def test_one_square_km_on_the_ground_counts_as_one_in_any_crs(make_raster, crs, lon, lat, cell):
    lonlat = ground_square(lon, lat, 1000.0)
    ground = geod_area(lonlat)
    xy = np.column_stack(
        pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lonlat[:, 0], lonlat[:, 1])
    )
    path = raster_around(make_raster, crs, xy, cell)
    result = estimate_tonnage(Polygon(xy), path, PARAMS)
    assert result.polygon_area_m2 == pytest.approx(ground, rel=1e-7)
    assert result.covered_area_m2 == pytest.approx(ground, rel=1e-6)
    assert result.ore_tonnes == pytest.approx(ground * 10.0 * 2.5, rel=1e-6)
    assert result.data_coverage == pytest.approx(1.0, abs=1e-6)
    assert result.warnings == ()
    # The same ground given in lon/lat.
    again = estimate_tonnage(Polygon(lonlat), path, PARAMS, polygon_crs="EPSG:4326")
    assert again.ore_tonnes == pytest.approx(ground * 10.0 * 2.5, rel=1e-6)


@pytest.mark.parametrize(
    ("crs", "lon", "lat"),
    [("EPSG:3857", 76.4, 50.0), ("EPSG:3413", -45.0, 75.0), ("EPSG:32643", 70.5, 50.0), ("EPSG:2154", 2.0, 47.0)],
)
def test_each_whole_km_cell_has_its_geodesic_area_to_1e_6(make_raster, crs, lon, lat):
    """Whole 1 km cells of a 30 x 30 km grid against Geod on their (densified) outlines: the interpolated
    areal scale is off by well under 1e-6 anywhere in the grid."""
    to_crs = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    to_geo = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    cx, cy = to_crs.transform(lon, lat)
    cell = 1000.0
    x0, y1 = math.floor(cx / cell) * cell - 15 * cell, math.floor(cy / cell) * cell + 15 * cell
    path = make_raster(np.full((30, 30), 1.0), transform=from_origin(x0, y1, cell, cell), crs=crs)
    worst = 0.0
    for row, col in [(0, 0), (0, 29), (29, 0), (29, 29), (15, 15), (7, 22), (22, 3)]:
        left, top = x0 + col * cell, y1 - row * cell
        square = densify_coords(
            np.array([(left, top), (left + cell, top), (left + cell, top - cell), (left, top - cell), (left, top)]),
            10.0,
        )
        lonlat = np.column_stack(to_geo.transform(square[:, 0], square[:, 1]))
        expected = geod_area(lonlat)
        inner = Polygon(square)
        got = estimate_tonnage(inner, path, TonnageParams(thickness=1.0, density=1.0)).ore_area_m2
        worst = max(worst, abs(got / expected - 1.0))
    assert worst < 1e-6


def test_equal_area_and_near_meridian_grids_use_one_cell_area(make_raster):
    """No per-cell work where the areal scale does not vary (EPSG:3035 is equal-area)."""
    from rare_earth_plugin.core.cellarea import ProjectedCellArea

    laea = pyproj.CRS.from_epsg(3035)
    ground = ProjectedCellArea(from_origin(4_000_000, 3_000_000, 10, 10), laea, 0, 8000, 0, 8000)
    assert ground.constant == pytest.approx(100.0, rel=1e-12)
    utm = pyproj.CRS.from_epsg(32643)
    # UTM: the scale varies with easting only, so only a column factor is applied.
    ground = ProjectedCellArea(from_origin(600_000, 5_600_000, 10, 10), utm, 0, 8000, 0, 8000)
    assert ground.constant is None and ground.row_factor is None and ground.col_factor is not None


@pytest.mark.parametrize(("crs", "lon", "lat"), [("EPSG:3857", 76.4, 50.0), ("EPSG:3031", 60.0, -75.0)])
def test_a_rotated_grid_interpolates_in_both_directions(make_raster, crs, lon, lat):
    """100 km on the ground over a grid of 1 km cells rotated by 25 degrees: not separable."""
    from rasterio.transform import Affine

    from rare_earth_plugin.core.cellarea import ProjectedCellArea

    lonlat = ground_square(lon, lat, 100_000.0, step=100.0)
    ground = geod_area(lonlat)
    xy = np.column_stack(
        pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lonlat[:, 0], lonlat[:, 1])
    )
    cx, cy = xy[:, 0].mean(), xy[:, 1].mean()
    size = 1.6 * (xy[:, 0].max() - xy[:, 0].min())
    cells = 160
    transform = compose(
        compose(Affine.translation(cx, cy), Affine.rotation(25.0)),
        compose(Affine.translation(-size / 2, size / 2), Affine.scale(size / cells, -size / cells)),
    )
    path = make_raster(np.full((cells, cells), 0.2), transform=transform, crs=crs)
    assert ProjectedCellArea(transform, pyproj.CRS.from_user_input(crs), 0, cells, 0, cells).samples is not None
    result = estimate_tonnage(Polygon(xy), path, PARAMS)
    assert result.ore_area_m2 == pytest.approx(ground, rel=1e-6)
    assert result.polygon_area_m2 == pytest.approx(ground, rel=1e-7)
    assert result.warnings == ()


def cell_geod_area(transform, crs: str, row: int, col: int) -> float:
    """Geod area of one cell's outline, densified in the raster's CRS (its edges are straight there)."""
    dc, dr = np.array([0, 1, 1, 0, 0]), np.array([0, 0, 1, 1, 0])
    corners = np.column_stack(apply(transform, col + dc, row + dr))
    size = max(abs(transform.a), abs(transform.e))
    square = densify_coords(corners, size / 50.0)
    to_geo = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return geod_area(np.column_stack(to_geo.transform(square[:, 0], square[:, 1])))


@pytest.mark.parametrize(
    ("crs", "west", "south", "east", "north", "cell"),
    [
        ("EPSG:3857", 20.0, 70.0, 21.0, 76.0, 1000.0),  # was +2.4e-6 (linear between 160 samples)
        ("+proj=merc +lat_ts=70 +ellps=WGS84", 20.0, 75.0, 30.0, 82.0, 1000.0),  # was +7.7e-6
        ("EPSG:3857", 20.0, 70.0, 40.0, 78.0, 2000.0),  # was +4.9e-6
        ("EPSG:3857", 20.0, 80.0, 21.0, 85.0, 1000.0),  # was +9.4e-6
        ("EPSG:3857", 20.0, -85.0, 20.01, 85.0, 1000.0),  # the whole height of Web Mercator: 40,000 rows
        ("EPSG:3413", -80.0, 60.0, -20.0, 84.0, 2000.0),  # was -2.4e-6
    ],
)
def test_each_cell_of_a_large_window_has_its_geodesic_area_to_1e_6(crs, west, south, east, north, cell):
    """Cells across large high-latitude windows against Geod on their outlines: the interpolated areal scale
    stays within 1e-6 however far apart the first samples are."""
    from rare_earth_plugin.core.cellarea import ProjectedCellArea

    lon, lat = np.meshgrid(np.linspace(west, east, 40), np.linspace(south, north, 40))
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon.ravel(), lat.ravel())
    transform = from_origin(min(x), max(y), cell, cell)
    rows, cols = math.ceil((max(y) - min(y)) / cell), math.ceil((max(x) - min(x)) / cell)
    ground = ProjectedCellArea(transform, pyproj.CRS.from_user_input(crs), 0, rows, 0, cols)
    picks = np.linspace(0, rows - 1, 23).astype(int), np.linspace(0, cols - 1, 7).astype(int)
    worst = 0.0
    for row in picks[0]:
        frac = np.ones((1, cols))
        ground.scale_window(frac, int(row), 0)
        for col in picks[1]:
            expected = cell_geod_area(transform, crs, int(row), int(col))
            worst = max(worst, abs(frac[0, col] * ground.unit / expected - 1.0))
    assert worst < 1e-6


POLES = [("EPSG:3413", 0.0), ("EPSG:3995", 0.0), ("EPSG:3031", 0.0), ("EPSG:32661", 2_000_000.0)]


@pytest.mark.parametrize(("crs", "pole"), POLES)
@pytest.mark.parametrize("offset", [0.5, 0.0, 0.25])
def test_a_square_around_a_pole_counts_its_geodesic_area(make_raster, crs, pole, offset):
    """A 180 km square centred on the pole of a polar stereographic grid, whichever point of a cell the pole
    is (a sample's lon/lat Jacobian broke there and the polygon was refused)."""
    cell, half = 1000.0, 100_000.0
    n = int(2 * half / cell) + 2
    corner = pole - half - offset * cell
    transform = from_origin(corner, pole + half + offset * cell, cell, cell)
    path = make_raster(np.full((n, n), 1.0), transform=transform, crs=crs)
    square = densify_coords(np.array([(-9e4, -9e4), (9e4, -9e4), (9e4, 9e4), (-9e4, 9e4), (-9e4, -9e4)]) + pole, 100.0)
    to_geo = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    expected = geod_area(np.column_stack(to_geo.transform(square[:, 0], square[:, 1])))
    result = estimate_tonnage(Polygon(square), path, TonnageParams(thickness=1.0, density=1.0))
    assert result.ore_area_m2 == pytest.approx(expected, rel=1e-6)
    assert result.polygon_area_m2 == pytest.approx(expected, rel=1e-7)
    assert result.warnings == ()


def polar_cap_area(lat: float) -> float:
    """Closed form: the WGS84 ellipsoid's area poleward of latitude ``lat`` (degrees)."""
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    e = math.sqrt(e2)

    def q(s: float) -> float:
        return s / (1 - e2 * s * s) + math.atanh(e * s) / e

    b2 = (a * (1 - f)) ** 2
    return math.pi * b2 * (q(1.0) - q(math.sin(math.radians(abs(lat)))))


@pytest.mark.parametrize(("crs", "lat"), [("EPSG:3413", 89.0), ("EPSG:3031", -89.0), ("EPSG:32661", 89.3)])
def test_a_polar_cap_counts_its_closed_form_area(make_raster, crs, lat):
    """The parallel ``lat`` (a circle in polar stereographic) with 20,000 vertices over a 1 km grid: the cap's
    closed-form area, less the inscribed polygon's known deficit (2 pi / N)^2 / 6."""
    count = 20_000
    lon = np.linspace(-180.0, 180.0, count + 1)
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, np.full(lon.size, lat))
    xy = np.column_stack([x, y])
    path = raster_around(make_raster, crs, xy, 1000.0, value=1.0)
    expected = polar_cap_area(lat) * (1.0 - (2 * math.pi / count) ** 2 / 6)
    result = estimate_tonnage(Polygon(xy), path, TonnageParams(thickness=1.0, density=1.0))
    assert result.ore_area_m2 == pytest.approx(expected, rel=1e-6)
    assert result.polygon_area_m2 == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("crs", "south", "north", "cell"),
    [
        ("EPSG:3413", 88.0, 90.0, 1000.0),  # were 1.0e-4 short: 1.4-degree chords cut the parallels' circles
        ("EPSG:3413", 70.0, 75.0, 5000.0),
        ("EPSG:3995", 60.0, 90.0, 8000.0),
        ("EPSG:5041", 85.0, 90.0, 2000.0),
        ("EPSG:3031", -90.0, -80.0, 4000.0),
    ],
)
def test_a_cap_or_band_drawn_in_lonlat_counts_its_closed_form_area(make_raster, crs, south, north, cell):
    """box(-180, south, 180, north) in EPSG:4326 over a polar stereographic grid: the ellipsoidal zone's closed
    form, in tonnes and in ``polygon_area_m2``."""
    expected = abs(polar_cap_area(south if north > 0 else north) - polar_cap_area(north if north > 0 else south))
    ring = lonlat_box(-180.0, south, 180.0, north)
    to_crs = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    path = raster_around(make_raster, crs, np.column_stack(to_crs.transform(ring[:, 0], ring[:, 1])), cell, 1.0)
    polygon = Polygon([(-180, south), (180, south), (180, north), (-180, north)])
    result = estimate_tonnage(polygon, path, TonnageParams(thickness=1.0, density=1.0), polygon_crs="EPSG:4326")
    assert result.ore_area_m2 == pytest.approx(expected, rel=1e-6)
    assert result.polygon_area_m2 == pytest.approx(expected, rel=1e-7)


def lonlat_box(west: float, south: float, east: float, north: float) -> np.ndarray:
    corners = np.array([(west, south), (east, south), (east, north), (west, north), (west, south)])
    return densify_coords(corners, 0.005)


EAST_OF_170 = (from_origin(170.0, 62.0, 0.01, 0.01), (300, 2000))  # longitudes 170 to 190
WHOLE_TURN = (from_origin(-180.0, 62.0, 0.05, 0.05), (60, 7200))  # -180 to 180


@pytest.mark.parametrize(
    ("grid", "box", "polygon_crs"),
    [
        (EAST_OF_170, (-179.0, 60.0, -175.0, 61.0), "EPSG:4326"),  # was 0 t, "does not overlap"
        (EAST_OF_170, (-179.0, 60.0, -175.0, 61.0), None),
        (EAST_OF_170, (175.0, 60.0, 185.0, 61.0), "EPSG:4326"),
        (WHOLE_TURN, (175.0, 60.0, 185.0, 61.0), "EPSG:4326"),  # was 50 % coverage
        (WHOLE_TURN, (-185.0, 60.0, -175.0, 61.0), None),
        (WHOLE_TURN, (178.0, 60.0, 182.0, 60.3), "EPSG:32660"),  # UTM 60N across the antimeridian
        (EAST_OF_170, (178.0, 60.0, 182.0, 60.3), "EPSG:32660"),
        (WHOLE_TURN, (176.0, 60.0, 184.0, 60.5), "EPSG:3832"),  # PDC Mercator
    ],
)
def test_a_polygon_across_the_antimeridian_counts_its_ground_on_a_geographic_raster(
    make_raster, grid, box, polygon_crs
):
    transform, shape = grid
    path = make_raster(np.full(shape, 1.0), transform=transform, crs="EPSG:4326")
    lonlat = lonlat_box(*box)
    expected = geod_area(lonlat)
    if polygon_crs in (None, "EPSG:4326"):
        xy = lonlat
    else:
        to_crs = pyproj.Transformer.from_crs("EPSG:4326", polygon_crs, always_xy=True)
        xy = np.column_stack(to_crs.transform(lonlat[:, 0], lonlat[:, 1]))
    result = estimate_tonnage(Polygon(xy), path, TonnageParams(thickness=1.0, density=1.0), polygon_crs=polygon_crs)
    assert result.polygon_area_m2 == pytest.approx(expected, rel=1e-6)
    assert result.ore_area_m2 == pytest.approx(expected, rel=1e-6)
    assert result.data_coverage == pytest.approx(1.0, abs=1e-6)
    assert result.warnings == ()


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:32660", "EPSG:32601", "EPSG:3832", "EPSG:3413"])
def test_a_lonlat_part_wider_than_half_a_turn_is_refused_over_every_raster_crs(make_raster, crs):
    """175..185 E written with vertices at 175 and -175 is literally 350 degrees wide: every raster CRS read it
    differently (35 x the ground, 0.035 x, or the short way round); now each refuses it and says how to write it."""
    ring = lonlat_box(175.0, 60.0, 185.0, 61.0)
    to_crs = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    path = raster_around(
        make_raster,
        crs,
        np.column_stack(to_crs.transform(ring[:, 0], ring[:, 1])),
        0.05 if crs == "EPSG:4326" else 5000.0,
    )
    wrapped = Polygon([(175, 60), (-175, 60), (-175, 61), (175, 61)])
    with pytest.raises(TonnageInputError, match=r"spans 350 degrees of longitude .*past 180"):
        estimate_tonnage(wrapped, path, PARAMS, polygon_crs="EPSG:4326")


def test_parts_on_both_sides_of_the_antimeridian_are_each_narrow_and_accepted(make_raster):
    parts = [lonlat_box(-179.0, 60.0, -178.0, 61.0), lonlat_box(178.0, 60.0, 179.0, 61.0)]
    path = make_raster(np.full(*WHOLE_TURN[1:], 1.0), transform=WHOLE_TURN[0], crs="EPSG:4326")
    result = estimate_tonnage(
        MultiPolygon([Polygon(p) for p in parts]), path, TonnageParams(thickness=1.0, density=1.0)
    )
    assert result.ore_area_m2 == pytest.approx(sum(geod_area(p) for p in parts), rel=1e-6)


def test_a_band_across_where_the_raster_map_tears_is_refused_not_torn(make_raster):
    """A whole-turn band over PDC Mercator (its map edge at 30 W): the edges cannot be followed there."""
    path = make_raster(np.full((100, 100), 1.0), transform=from_origin(-2e7, 9e6, 4e5, 4e5), crs="EPSG:3832")
    band = Polygon([(-180, 60), (180, 60), (180, 61), (-180, 61)])
    with pytest.raises(TonnageInputError, match="projection tears"):
        estimate_tonnage(band, path, PARAMS, polygon_crs="EPSG:4326")


def zone_area(phi: np.ndarray) -> np.ndarray:
    """WGS84 area (m2) between the equator and latitude ``phi`` (radians), per radian of longitude."""
    a, f = 6378137.0, 1 / 298.257223563
    e2, b = f * (2 - f), a * (1 - f)
    e, s = math.sqrt(e2), np.sin(phi)
    return b * b / 2 * (s / (1 - e2 * s * s) + np.arctanh(e * s) / e)


@pytest.mark.parametrize(
    ("lat", "cell", "tolerance"),
    [(70.0, 0.05, 1e-10), (45.0, 0.001, 1e-10), (-60.0, 0.01, 1e-10), (70.0, 1.0, 1e-10), (88.0, 2.0, 1e-9)],
)
def test_a_slanted_edge_in_lon_lat_over_a_geographic_raster_covers_its_closed_form(make_raster, lat, cell, tolerance):
    """Half a cell cut by its diagonal (straight in longitude and latitude) and a thin slanted sliver across
    three cells: covered areas against the zone-area integral (Gauss-Legendre), not against Geod. Rows are
    re-spaced to equal area, which bends such an edge within a row (3.9e-4 of the triangle at 70 N): its share of
    a cell is taken at its area centroid (2e-6 of the triangle off at 70 N with 1 degree rows before, 3e-5 at 88 N
    with 2 degree rows)."""
    transform = from_origin(10.0, lat + 4 * cell, cell, cell)
    path = make_raster(np.ones((12, 12)), transform=transform, crs="EPSG:4326")
    lon0, top = 10.0 + 4 * cell, lat
    nodes, weights = np.polynomial.legendre.leggauss(60)
    u = 0.5 * cell * (nodes + 1.0)  # longitude offset, degrees

    def between(lower_deg: np.ndarray, upper_deg: np.ndarray) -> float:
        """Area between two latitude curves over the longitudes u (degrees)."""
        strip = zone_area(np.radians(upper_deg)) - zone_area(np.radians(lower_deg))
        return float(np.sum(weights * strip) * 0.5 * math.radians(cell))

    triangle = Polygon([(lon0, top), (lon0 + cell, top), (lon0, top - cell)])
    expected = between(top - cell + u, np.full(u.shape, top))
    got = estimate_tonnage(triangle, path, TonnageParams(thickness=1.0, density=1.0))
    assert got.covered_area_m2 == pytest.approx(expected, rel=tolerance)
    # measured by its cells when on the grid; the reference itself loses 1e-11 to cancellation
    assert got.polygon_area_m2 == pytest.approx(expected, rel=max(tolerance, 1e-10))


@pytest.mark.parametrize("top", [89.99, 62.0, -10.0])
def test_a_large_lon_lat_polygon_measures_its_zone_integral(top):
    """A quadrilateral with two meridian sides and two slanted ones 16-20 degrees long, straight in longitude and
    latitude as a geographic raster sees them: polygon_area_m2 against the zone-area integral (400-point
    Gauss-Legendre over longitude), not against Geod (3.6e-7 off near the pole before)."""
    lon0, lon1, span = 12.0, 27.0, 18.0
    nodes, weights = np.polynomial.legendre.leggauss(400)

    def upper(lon):
        return top - 0.05 * span - 0.2 * span * (lon - lon0) / (lon1 - lon0)

    def lower(lon):
        return top - 0.93 * span + 0.33 * span * (lon - lon0) / (lon1 - lon0)

    lon = lon0 + 0.5 * (lon1 - lon0) * (nodes + 1.0)
    strip = zone_area(np.radians(upper(lon))) - zone_area(np.radians(lower(lon)))
    expected = float(np.sum(weights * strip) * 0.5 * math.radians(lon1 - lon0))
    quad = Polygon([(lon0, upper(lon0)), (lon1, upper(lon1)), (lon1, lower(lon1)), (lon0, lower(lon0))])
    assert polygon_area_m2(quad, pyproj.CRS.from_epsg(4326)) == pytest.approx(expected, rel=1e-12)
    holed = Polygon(quad.exterior.coords, [[(15.0, upper(15.0) - 1), (16.0, upper(16.0) - 1), (15.5, upper(15.5) - 3)]])
    hole = Polygon(holed.interiors[0].coords)
    assert polygon_area_m2(holed, pyproj.CRS.from_epsg(4326)) == pytest.approx(
        expected - polygon_area_m2(hole, pyproj.CRS.from_epsg(4326)), rel=1e-12
    )


@pytest.mark.parametrize("top", [90.5, 90.0 + 1 / 24])
def test_a_grid_whose_first_row_reaches_past_the_pole_counts_that_row_to_the_pole(make_raster, top):
    """A global grid registered at cell centres starts half a cell beyond 90 N: its first row holds the ground
    from its lower edge to the pole (it had almost none, so a box up to the pole lost that strip)."""
    cell = 2 * (top - 90.0)
    shape = (math.ceil(12.0 / cell), math.ceil(40.0 / cell))  # to 78 N, 10 W to 30 E
    path = make_raster(np.ones(shape), transform=from_origin(-10.0, top, cell, cell), crs="EPSG:4326")
    lat_edge = np.radians(top - cell)
    expected = math.radians(20.0) * float(zone_area(np.radians(90.0)) - zone_area(np.radians(80.0)))
    got = estimate_tonnage(box(0.0, 80.0, 20.0, 90.0), path, TonnageParams(thickness=1.0, density=1.0))
    assert got.covered_area_m2 == pytest.approx(expected, rel=1e-12)
    assert not got.warnings
    first_row = math.radians(20.0) * float(zone_area(np.radians(90.0)) - zone_area(lat_edge))
    assert first_row > 0.0


@pytest.mark.parametrize(
    ("epsg", "centre"), [("EPSG:32661", (2e6, 2e6)), ("EPSG:32761", (2e6, 2e6)), ("EPSG:3413", (0, 0))]
)
def test_a_polygon_drawn_round_a_pole_in_a_polar_crs_holds_its_cap_over_a_geographic_raster(make_raster, epsg, centre):
    """A 400 km square round the pole (and the same with a 100 km square hole round it) drawn in a polar
    projection: in lon/lat its ring goes once round the pole, so it is closed through the pole (79 % of the area
    was lost before). Against Geod on the outline densified to 20 m chords."""
    north = epsg != "EPSG:32761"
    top = 90.0 if north else -80.0
    path = make_raster(
        np.ones((20, 720), dtype=np.uint8), transform=from_origin(-180.0, top, 0.5, 0.5), crs="EPSG:4326"
    )
    to_lon_lat = pyproj.Transformer.from_crs(epsg, "EPSG:4326", always_xy=True)
    geod = pyproj.Geod(ellps="WGS84")

    def square(half: float) -> np.ndarray:
        cx, cy = centre
        return np.array(
            [(cx - half, cy - half), (cx + half, cy - half), (cx + half, cy + half), (cx - half, cy + half)]
        )

    def geod_area(corners: np.ndarray) -> float:
        t = np.linspace(0.0, 1.0, 20_000, endpoint=False)[:, None]
        dense = np.concatenate([corners[i] + (corners[(i + 1) % 4] - corners[i]) * t for i in range(4)])
        return abs(geod.polygon_area_perimeter(*to_lon_lat.transform(dense[:, 0], dense[:, 1]))[0])

    for polygon, expected in [
        (Polygon(square(2e5)), geod_area(square(2e5))),
        (Polygon(square(2e5), [square(5e4)]), geod_area(square(2e5)) - geod_area(square(5e4))),
    ]:
        result = estimate_tonnage(polygon, path, PARAMS, polygon_crs=epsg)
        assert result.covered_area_m2 == pytest.approx(expected, rel=1e-7)
        assert result.polygon_area_m2 == pytest.approx(expected, rel=1e-7)
        assert not result.warnings


@pytest.mark.parametrize(("lon", "lat", "size"), [(76.4, 45.0, 1e-7), (-120.0, -60.0, 1e-9), (10.0, 0.0, 1e-8)])
def test_a_tiny_lon_lat_polygon_keeps_its_digits(lon, lat, size):
    """A square of 1e-9 to 1e-7 degrees: its coordinates are taken relative to its first vertex before they
    turn into radians (6e-8 of its area was lost to rounding before). Against dlon x the integral of the area
    density a^2 (1 - e2) cos(lat) / (1 - e2 sin^2 lat)^2 over its latitudes (Gauss-Legendre)."""
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    square = box(lon, lat, lon + size, lat + size)
    width, height = (lon + size) - lon, (lat + size) - lat  # the sides the coordinates hold, exactly
    nodes, weights = np.polynomial.legendre.leggauss(8)
    phi = np.radians(lat) + 0.5 * np.radians(height) * (nodes + 1.0)
    density = a * a * (1 - e2) * np.cos(phi) / (1 - e2 * np.sin(phi) ** 2) ** 2
    expected = np.radians(width) * float(weights @ density) * 0.5 * np.radians(height)
    assert polygon_area_m2(square, pyproj.CRS.from_epsg(4326)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("west", "south", "east", "north"), [(0.0, 45.0, 40.0, 70.0), (-100.0, -60.0, -40.0, -20.0)])
def test_a_continental_lon_lat_box_over_web_mercator_measures_its_zone_area(west, south, east, north):
    """A lon/lat box is a rectangle in Web Mercator whose long parallels ``Geod`` sees as geodesics between the
    pieces they are cut into: with 256 pieces per extent 40 x 25 degrees were 9.6e-7 off the closed form."""
    expected = math.radians(east - west) * float(zone_area(np.radians(north)) - zone_area(np.radians(south)))
    to_mercator = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    (x0, x1), (y0, y1) = to_mercator.transform([west, east], [south, north])
    assert polygon_area_m2(box(x0, y0, x1, y1), pyproj.CRS.from_epsg(3857)) == pytest.approx(expected, rel=3e-8)


def map_geod_area(polygon: Polygon, crs: str) -> float:
    """Ground area of a polygon with straight edges in ``crs`` (densified), by pyproj.Geod."""
    dense = densify_coords(np.asarray(polygon.exterior.coords), polygon.length / 4000)
    lon, lat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(dense[:, 0], dense[:, 1])
    return geod_area(np.column_stack([lon, lat]))


@pytest.mark.parametrize("rotation", [0.0, 25.0])
@pytest.mark.parametrize(
    ("crs", "lon", "lat"),
    [("EPSG:3857", 20.0, 60.0), ("EPSG:3857", 20.0, 80.0), ("EPSG:3031", 0.0, -65.0), ("EPSG:32633", 29.0, 60.0)],
)
@pytest.mark.parametrize("band", [(0.5, 1.0), (0.0, 0.5), (0.9, 1.0), (0.05, 0.35)])
def test_strips_through_1_km_cells_count_the_ground_under_their_part_of_each_cell(
    make_raster, crs, lon, lat, band, rotation
):
    """Strips along a row of 1 km cells, covering part of each: a part was counted at its cell centre's areal
    scale, 1.4e-4 off in Web Mercator at 60 N (the north and south halves of a row the other way round)."""
    from rasterio.transform import Affine

    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    x, y = round(x, -3), round(y, -3)
    transform = compose(
        compose(Affine.translation(x, y), Affine.rotation(rotation)), Affine(1000, 0, -10_000, 0, -1000, 10_000)
    )
    path = make_raster(np.full((20, 20), 0.2), transform=transform, crs=crs)
    low, high = band
    for along_rows in (True, False):  # a strip across part of a row of cells, and across part of a column
        corners = (
            [(-5.0, low), (5.0, low), (5.0, high), (-5.0, high)]
            if along_rows
            else [(low, -5.0), (high, -5.0), (high, 5.0), (low, 5.0)]
        )
        strip = Polygon([apply(transform, 10.0 + a, 10.0 - b) for a, b in corners])
        expected = map_geod_area(strip, crs)
        result = estimate_tonnage(strip, path, PARAMS)
        assert result.ore_area_m2 == pytest.approx(expected, rel=1e-7), along_rows
        assert result.polygon_area_m2 == pytest.approx(expected, rel=1e-7)


def test_small_polygons_in_every_row_of_5_km_mercator_cells_count_their_ground(make_raster):
    """A triangle inside two rows of 5 km cells at 70 N, in each row from the raster's top: the area's change
    across the end cells of each 32 km region of ground areas was taken half, leaving 1.6e-5 to 2e-4."""
    x, y = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(20.0, 70.0)
    transform = from_origin(round(x, -3), round(y, -3), 5000.0, 5000.0)
    path = make_raster(np.full((30, 12), 0.2), transform=transform, crs="EPSG:3857")
    for row in range(0, 28):
        corners = [(2.3, row + 0.05), (9.7, row + 0.4), (5.2, row + 1.95)]
        triangle = Polygon([apply(transform, col, r) for col, r in corners])
        result = estimate_tonnage(triangle, path, PARAMS)
        assert result.ore_area_m2 == pytest.approx(map_geod_area(triangle, "EPSG:3857"), rel=5e-7), row


@pytest.mark.parametrize("lat", [60.0, -45.0, 80.0])
@pytest.mark.parametrize("grid", ["rotated", "sheared"])
@pytest.mark.parametrize("band", [(0.5, 1.0), (0.0, 0.5), (0.05, 0.35)])
def test_strips_through_rotated_geographic_cells_count_the_ground_under_their_part_of_each_cell(
    make_raster, lat, grid, band
):
    """Strips across part of a row (or a column) of 0.05 degree cells of a rotated or sheared geographic grid:
    a part was counted at the area per square degree at its cell's centre, 1e-6 to 5e-6 off (a row holds more
    ground towards the equator)."""
    from rasterio.transform import Affine

    tilt = Affine.rotation(25.0) if grid == "rotated" else Affine.shear(0.0, 20.0)
    transform = compose(compose(Affine.translation(30.0, lat), tilt), Affine(0.05, 0, -0.5, 0, -0.05, 0.5))
    path = make_raster(np.full((20, 20), 0.2), transform=transform, crs="EPSG:4326")
    low, high = band
    for along_rows in (True, False):
        corners = (
            [(-5.0, low), (5.0, low), (5.0, high), (-5.0, high)]
            if along_rows
            else [(low, -5.0), (high, -5.0), (high, 5.0), (low, 5.0)]
        )
        strip = Polygon([apply(transform, 10.0 + a, 10.0 - b) for a, b in corners])
        expected = map_geod_area(strip, "EPSG:4326")
        result = estimate_tonnage(strip, path, PARAMS)
        assert result.ore_area_m2 == pytest.approx(expected, rel=1e-7), along_rows
        assert result.polygon_area_m2 == pytest.approx(expected, rel=1e-7)


def test_a_large_polygon_on_a_projection_of_a_geodetic_crs_in_grads(make_raster):
    """EPSG:27572 (NTF (Paris) / Lambert zone II) has its geodetic CRS in grads: a polygon too wide for the fit
    of the areal scale went to ``Geod`` in grads read as degrees, 11 % too large (and "9.9 % of the polygon lies
    outside the grade raster")."""
    crs = "EPSG:27572"
    x0, y0 = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(2.5, 47.0)
    transform = from_origin(x0 - 60_000.0, y0 + 60_000.0, 1000.0, 1000.0)
    path = make_raster(np.full((120, 120), 0.2), transform=transform, crs=crs)
    polygon = box(x0 - 29_876.6, y0 - 29_922.3, x0 + 29_944.5, y0 + 29_988.9)
    dense = densify_coords(np.asarray(polygon.exterior.coords), 20.0)
    to_degrees = pyproj.Transformer.from_crs(crs, "+proj=longlat +ellps=clrk80ign +no_defs", always_xy=True)
    lon, lat = to_degrees.transform(dense[:, 0], dense[:, 1])
    expected = abs(pyproj.Geod(ellps="clrk80ign").polygon_area_perimeter(lon, lat)[0])
    result = estimate_tonnage(polygon, path, PARAMS)
    assert result.polygon_area_m2 == pytest.approx(expected, rel=1e-8)
    assert result.ore_area_m2 == pytest.approx(expected, rel=1e-7)
    assert result.data_coverage == pytest.approx(1.0) and not result.warnings


def test_a_polygon_across_two_datum_transformations_is_transformed_with_one(make_raster):
    """PROJ takes the best ED50 to WGS 84 transformation for each point; where the areas of use of two of them
    meet (10.38 E, 45.15 N) its positions jump 1.5 m, and a lon/lat box across that line was refused as a
    tear. One transformation for the whole box gives the area of its two halves, each taken on its own."""
    from rasterio.transform import Affine

    path = make_raster(np.full((300, 300), 0.2), transform=Affine(0.01, 0, 8.5, 0, -0.01, 46.5), crs="EPSG:4230")
    whole = estimate_tonnage(box(10.33, 45.0, 10.43, 45.3), path, PARAMS, polygon_crs="EPSG:4326")
    halves = [
        estimate_tonnage(half, path, PARAMS, polygon_crs="EPSG:4326").polygon_area_m2
        for half in (box(10.33, 45.0, 10.379, 45.3), box(10.381, 45.0, 10.43, 45.3))
    ]
    middle = estimate_tonnage(box(10.379, 45.0, 10.381, 45.3), path, PARAMS, polygon_crs="EPSG:4326")
    assert whole.polygon_area_m2 == pytest.approx(sum(halves) + middle.polygon_area_m2, rel=1e-6)
    assert whole.ore_area_m2 == pytest.approx(whole.polygon_area_m2, rel=1e-7) and not whole.warnings


def test_one_transformation_whose_area_of_use_runs_across_the_antimeridian(make_raster):
    """Pulkovo 1942 to WGS 84 changes transformation at 41.19 N; the one holding a box across that line at 100 E
    has an area of use from 19.57 E across the antimeridian to 168.97 W, which the box's longitudes lie in."""
    from rasterio.transform import Affine

    path = make_raster(np.full((300, 300), 0.2), transform=Affine(0.002, 0, 99.7, 0, -0.002, 41.5), crs="EPSG:4284")
    whole = estimate_tonnage(box(99.9, 41.1, 100.1, 41.3), path, PARAMS, polygon_crs="EPSG:4326")
    parts = [
        estimate_tonnage(part, path, PARAMS, polygon_crs="EPSG:4326").polygon_area_m2
        for part in (box(99.9, 41.1, 100.1, 41.189), box(99.9, 41.189, 100.1, 41.191), box(99.9, 41.191, 100.1, 41.3))
    ]
    assert whole.polygon_area_m2 == pytest.approx(sum(parts), rel=1e-6)
