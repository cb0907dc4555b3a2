"""Other people's data: scaled rasters, masks, invalid polygons, broken and odd files, against closed forms."""

from __future__ import annotations

import os
import re
import threading

import numpy as np
import pyproj
import pytest
import rasterio
from conftest import EQUAL_AREA, ORIGIN_X, ORIGIN_Y
from osgeo import gdal
from rasterio.transform import from_origin
from shapely.geometry import MultiPolygon, Polygon, box

from rare_earth_plugin.core.exploration_target import exploration_target
from rare_earth_plugin.core.limits import DEFAULT_LIMITS, EngineLimits
from rare_earth_plugin.core.tonnage import (
    TonnageInputError,
    TonnageParams,
    area_cells,
    estimate_tonnage,
    grade_tonnage_curve,
    grade_tonnage_curves,
)

gdal.UseExceptions()
GRID = from_origin(ORIGIN_X, ORIGIN_Y, 10.0, 10.0)


def local_box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return box(ORIGIN_X + x0, ORIGIN_Y - y1, ORIGIN_X + x1, ORIGIN_Y - y0)


def write(
    path, array, transform=GRID, crs=EQUAL_AREA, scale=None, offset=None, mask=None, alpha=None, nodata=None, **options
):
    array = np.asarray(array)
    count = 1 if alpha is None else 2
    profile = dict(
        driver="GTiff",
        width=array.shape[1],
        height=array.shape[0],
        count=count,
        dtype=array.dtype.name,
        transform=transform,
        nodata=nodata,
        **options,
    )
    if crs is not None:
        profile["crs"] = crs
    if alpha is not None:
        profile["alpha"] = "YES"
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
        if alpha is not None:
            dst.write(alpha.astype(array.dtype), 2)
        if scale is not None or offset is not None:
            dst.scales = (scale if scale is not None else 1.0,) * count
            dst.offsets = (offset if offset is not None else 0.0,) * count
        if mask is not None:
            dst.write_mask(mask)
    return str(path)


WHOLE = local_box(0.0, 0.0, 100.0, 100.0)  # the 10 x 10 cells of 100 m2


def test_scaled_integer_grades_are_physical_values(tmp_path):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 500, dtype=np.int16), scale=0.001)
    result = estimate_tonnage(WHOLE, grade, TonnageParams(thickness=10.0, cutoff=0.4))
    tonnes = 1e4 * 10.0 * 2.6
    assert result.mean_grade == pytest.approx(0.5)
    assert result.treo_tonnes == pytest.approx(tonnes * 0.5 / 100)
    assert estimate_tonnage(WHOLE, grade, TonnageParams(thickness=10.0, cutoff=0.6)).ore_tonnes == 0.0
    shifted = write(tmp_path / "o.tif", np.full((10, 10), 100, dtype=np.uint8), scale=0.01, offset=0.1)
    assert estimate_tonnage(WHOLE, shifted, TonnageParams(thickness=1.0)).mean_grade == pytest.approx(1.1)


def test_scaled_thickness_density_and_top_depth(tmp_path):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    thickness = write(tmp_path / "t.tif", np.full((10, 10), 120, dtype=np.int16), scale=0.1)  # 12 m
    density = write(tmp_path / "d.tif", np.full((10, 10), 60, dtype=np.uint8), scale=0.01, offset=2.0)  # 2.6
    top = write(tmp_path / "z.tif", np.full((10, 10), 40, dtype=np.uint8), scale=0.1)  # 4 m
    params = TonnageParams(thickness_raster=thickness, density_raster=density, top_depth_raster=top, max_depth=10.0)
    result = estimate_tonnage(WHOLE, grade, params)
    assert result.ore_volume_m3 == pytest.approx(1e4 * 6.0)  # 4 m to 10 m of the 4-16 m interval
    assert result.ore_tonnes == pytest.approx(1e4 * 6.0 * 2.6)


def half_mask() -> np.ndarray:
    mask = np.full((10, 10), 255, dtype=np.uint8)
    mask[:, :5] = 0
    return mask


def with_band_mask(path: str, mask: np.ndarray) -> str:
    """The raster given its band's own mask (a .msk sidecar without GMF_PER_DATASET): GDAL flags it with nothing."""
    gdal.SetConfigOption("GDAL_TIFF_INTERNAL_MASK", "NO")
    try:
        dataset = gdal.Open(path, gdal.GA_Update)
        band = dataset.GetRasterBand(1)
        band.CreateMaskBand(0)
        band.GetMaskBand().WriteArray(mask)
        del band, dataset  # closed: the mask is written
    finally:
        gdal.SetConfigOption("GDAL_TIFF_INTERNAL_MASK", None)
    with rasterio.open(path) as src:
        assert src.mask_flag_enums == ([],)
    return path


@pytest.mark.parametrize("role", ["thickness_raster", "density_raster", "top_depth_raster"])
@pytest.mark.parametrize(
    "kind",
    [
        "internal mask",
        "alpha",
        "other grid",
        "alpha, other grid",
        "alpha, other grid, small tiles",  # source windows larger than a tile: warped in parts
        "nodata and mask, other grid",
        "msk sidecar, other grid",
        "nodata, other grid",
        "NaN, other grid",
    ],
)
def test_masks_of_every_raster_lower_coverage_like_the_grades(tmp_path, role, kind):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    junk = np.full((10, 10), 50.0)
    junk[:, 5:] = 5.0  # 50 under the mask: junk that must not count
    path = tmp_path / "x.tif"
    if kind == "internal mask":
        other = write(path, junk, mask=half_mask())
    elif kind == "alpha":
        other = write(path, junk.astype(np.uint8), alpha=half_mask())
    else:  # a finer grid: warped onto the grade grid with its mask
        fine, mask = np.kron(junk, np.ones((2, 2))), np.kron(half_mask(), np.ones((2, 2), dtype=np.uint8))
        finer = from_origin(ORIGIN_X, ORIGIN_Y, 5.0, 5.0)
        if kind == "other grid":
            other = write(path, fine, transform=finer, mask=mask)
        elif kind.startswith("alpha, other grid"):
            other = write(path, fine.astype(np.uint8), transform=finer, alpha=mask)
        elif kind == "nodata and mask, other grid":  # GDAL 3.10+'s warper would see only the nodata
            other = write(path, fine, transform=finer, mask=mask, nodata=-1.0)
        elif kind == "msk sidecar, other grid":
            with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=False):
                other = write(path, fine, transform=finer)
                with rasterio.open(other, "r+") as dst:
                    dst.write_mask(mask)
            assert os.path.exists(other + ".msk")
        elif kind == "nodata, other grid":
            other = write(path, np.where(mask == 0, -9999.0, fine), transform=finer, nodata=-9999.0)
        else:
            other = write(path, np.where(mask == 0, np.nan, fine), transform=finer)
    values = {"thickness": 5.0, "density": 2.0, role: other}
    if role == "thickness_raster":
        values["thickness"] = None
    params = TonnageParams(**values)
    limits = EngineLimits(tile_cells=16) if kind.endswith("small tiles") else DEFAULT_LIMITS
    result = estimate_tonnage(WHOLE, grade, params, limits=limits)
    assert result.data_coverage == pytest.approx(0.5, abs=1e-6)
    assert result.covered_area_m2 == pytest.approx(5000.0, rel=1e-6)
    assert any("50.0 %" in w for w in result.warnings)
    expected = {
        "thickness_raster": 5000 * 5.0 * 2.0,
        "density_raster": 5000 * 5.0 * 5.0,
        "top_depth_raster": 5000 * 5.0 * 2.0,
    }[role]
    assert result.ore_tonnes == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("role", ["thickness_raster", "density_raster", "top_depth_raster"])
@pytest.mark.parametrize("ends", ["raster's end", "nodata", "mask"])
@pytest.mark.parametrize("origin", [0.0, 1.0])
def test_a_finer_raster_counts_the_part_of_each_grade_cell_with_its_data(tmp_path, role, ends, origin):
    """A raster of 2 m cells whose data, 46 m wide, ends 6 m into a column of 10 m grade cells (or starts 1 m into
    the first and ends 7 m into the fifth): each grade cell counts the share of it with data (the warper's
    average of the cells there are counted a cell reached 60 % whole)."""
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    value = {"thickness_raster": 5.0, "density_raster": 2.5, "top_depth_raster": 0.0}[role]
    grid = from_origin(ORIGIN_X + origin, ORIGIN_Y, 2.0, 2.0)
    data = np.full((50, 23), value)  # x from origin to origin + 46 m
    if ends == "raster's end":
        path = write(tmp_path / "x.tif", data, transform=grid)
    else:
        wide = np.full((50, 50), 99.0)
        wide[:, :23] = value
        valid = np.zeros((50, 50), dtype=np.uint8)
        valid[:, :23] = 255
        if ends == "nodata":
            path = write(tmp_path / "x.tif", np.where(valid > 0, wide, -1.0), transform=grid, nodata=-1.0)
        else:
            path = write(tmp_path / "x.tif", wide, transform=grid, mask=valid)
    values = {"thickness": 5.0, "density": 2.0, role: path}
    if role == "thickness_raster":
        values["thickness"] = None
    result = estimate_tonnage(WHOLE, grade, TonnageParams(**values))
    share = 46.0 / 100.0
    assert result.data_coverage == pytest.approx(share, rel=1e-9)
    assert result.covered_area_m2 == pytest.approx(share * 10_000.0, rel=1e-9)
    per_m2 = 5.0 * 2.5 if role == "density_raster" else 5.0 * 2.0
    assert result.ore_tonnes == pytest.approx(share * 10_000.0 * per_m2, rel=1e-9)
    assert result.mean_grade == pytest.approx(0.2, rel=1e-9)


def test_a_polygon_drawn_along_a_finer_raster_s_data_counts_it_all_once(tmp_path):
    """A thickness and a density model of 2 m cells clipped to the same zone, and the zone as the polygon, its
    edges inside 10 m grade cells: the covered part and the part with data are the same, and so are the two
    rasters' parts (multiplying them counted 40 % as 16 %, -3.7 % and -5.2 % of the tonnes)."""
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    grid = from_origin(ORIGIN_X + 13.0, ORIGIN_Y - 7.0, 2.0, 2.0)  # x 13..75, y 7..69 m from the corner
    thickness = write(tmp_path / "t.tif", np.full((31, 31), 5.0), transform=grid)
    density = write(tmp_path / "d.tif", np.full((31, 31), 2.5), transform=grid)
    zone = local_box(13.0, 7.0, 75.0, 69.0)
    for params in (
        TonnageParams(thickness_raster=thickness, density=2.5),
        TonnageParams(thickness_raster=thickness, density_raster=density),
    ):
        result = estimate_tonnage(zone, grade, params)
        assert result.covered_area_m2 == pytest.approx(62.0 * 62.0, rel=1e-9)
        assert result.ore_tonnes == pytest.approx(62.0 * 62.0 * 5.0 * 2.5, rel=1e-9)
        assert result.data_coverage == pytest.approx(1.0, rel=1e-9) and not result.warnings


@pytest.mark.parametrize("cell", [10.0, 5.0])  # the grade grid, and a finer one (warped onto it but for the grades)
@pytest.mark.parametrize("role", ["grade raster", "thickness_raster", "density_raster", "top_depth_raster"])
def test_a_band_s_own_mask_is_missing_data_on_every_raster(tmp_path, role, cell):
    """A per-band mask (no mask flag at all) hides junk like a per-dataset one: half the cells are masked."""
    fill = 0.2 if role == "grade raster" else 5.0
    junk = np.full((10, 10), 50.0)
    junk[:, 5:] = fill
    per_cell = np.ones((int(10 / cell),) * 2, dtype=np.uint8)
    grid = from_origin(ORIGIN_X, ORIGIN_Y, cell, cell)
    masked = with_band_mask(write(tmp_path / "x.tif", np.kron(junk, per_cell), grid), np.kron(half_mask(), per_cell))
    grade = masked if role == "grade raster" else write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    values = {"thickness": 5.0, "density": 2.0}
    if role != "grade raster":
        values[role] = masked
    if role == "thickness_raster":
        values["thickness"] = None
    result = estimate_tonnage(WHOLE, grade, TonnageParams(**values))
    assert result.data_coverage == pytest.approx(0.5, abs=1e-6)  # 50 of the 100 grade cells
    assert any("50.0 %" in w for w in result.warnings)
    assert result.mean_grade == pytest.approx(0.2, rel=1e-6)
    per_m2 = 5.0 * 5.0 if role == "density_raster" else 5.0 * 2.0
    assert result.ore_tonnes == pytest.approx(5000 * per_m2, rel=1e-6)


def test_overlapping_parts_count_as_their_union_and_say_so(tmp_path):
    grade = write(tmp_path / "g.tif", np.full((40, 40), 0.2))
    parts = MultiPolygon([local_box(0, 0, 200, 200), local_box(100, 100, 300, 300)])
    result = estimate_tonnage(parts, grade, TonnageParams(thickness=1.0, density=1.0))
    assert result.ore_area_m2 == pytest.approx(70_000.0, rel=1e-9)
    assert result.polygon_area_m2 == pytest.approx(70_000.0, rel=1e-7)
    assert any("union" in w for w in result.warnings)


def test_a_hole_outside_its_shell_is_dropped_not_an_island(tmp_path):
    grade = write(tmp_path / "g.tif", np.full((40, 40), 0.2))
    shell = local_box(0, 0, 100, 100)
    hole = local_box(200, 200, 250, 250)
    inside_hole = local_box(20, 20, 40, 40)
    polygon = Polygon(shell.exterior.coords, [hole.exterior.coords, inside_hole.exterior.coords])
    result = estimate_tonnage(polygon, grade, TonnageParams(thickness=1.0, density=1.0))
    assert result.ore_area_m2 == pytest.approx(10_000.0 - 400.0, rel=1e-9)
    assert any("outside their shell" in w for w in result.warnings)


def test_a_hole_of_one_part_does_not_cut_another_part(tmp_path):
    grade = write(tmp_path / "g.tif", np.full((40, 40), 0.2))
    first = Polygon(local_box(0, 0, 100, 100).exterior.coords, [local_box(150, 0, 250, 100).exterior.coords])
    second = local_box(150, 0, 250, 100)  # exactly where the first part's misplaced hole is
    result = estimate_tonnage(MultiPolygon([first, second]), grade, TonnageParams(thickness=1.0, density=1.0))
    assert result.ore_area_m2 == pytest.approx(20_000.0, rel=1e-9)


@pytest.mark.parametrize(
    ("wkt", "words"),
    [
        ("POLYGON((76 89, 77 89, 77 91, 76 91, 76 89))", "poles"),
        ("POLYGON((50 76, 51 76, 51 120, 50 120, 50 76))", "poles"),
        ("POLYGON((400 50, 401 50, 401 51, 400 51, 400 50))", "longitudes"),
    ],
)
def test_geographic_coordinates_beyond_their_range_are_refused(tmp_path, wkt, words):
    grade = write(
        tmp_path / "g.tif", np.full((10, 10), 0.2), crs="EPSG:4326", transform=from_origin(76.0, 92.0, 0.5, 0.5)
    )
    with pytest.raises(TonnageInputError, match=words):
        estimate_tonnage(wkt, grade, TonnageParams(thickness=1.0))
    projected = write(tmp_path / "p.tif", np.full((10, 10), 0.2))
    with pytest.raises(TonnageInputError, match=words):
        estimate_tonnage(wkt, projected, TonnageParams(thickness=1.0), polygon_crs="EPSG:4326")


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_projected_coordinates_outside_the_projection_are_refused_without_numpy_warnings(tmp_path):
    """A UTM polygon 50,000 km east: refused, and numpy's 'invalid value encountered in sin' no longer reached the
    user's log on the way."""
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))  # UTM 43N
    far = "POLYGON((5e7 5e6, 50001000 5e6, 50001000 5001000, 5e7 5001000, 5e7 5e6))"
    with pytest.raises(TonnageInputError, match=r"\(50000000, 5000000\) lies beyond the area where its CRS is defined"):
        estimate_tonnage(far, grade, TonnageParams(thickness=1.0))


# shapely 2.1 warns when the test itself builds the NaN ring; the engine's refusal is what is tested.
@pytest.mark.filterwarnings("ignore:invalid value encountered in linearrings:RuntimeWarning")
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("where", ["shell", "hole", "second part"])
def test_a_nan_or_infinite_vertex_is_refused(tmp_path, bad, where):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    x, y = ORIGIN_X, ORIGIN_Y
    ring = [(x + 10, y - 10), (x + 20, y - 10), (x + 20, bad)]
    if where == "shell":
        polygon = Polygon([(x, y), (x + 50, y), (x + 50, bad), (x, y - 50)])
    elif where == "hole":
        polygon = Polygon([(x, y), (x + 50, y), (x + 50, y - 50), (x, y - 50)], [ring])
    else:
        polygon = MultiPolygon([Polygon([(x, y), (x + 5, y), (x + 5, y - 5)]), Polygon(ring)])
    with pytest.raises(TonnageInputError, match="NaN or infinite"):
        estimate_tonnage(polygon, grade, TonnageParams(thickness=1.0))


def test_a_corrupt_tile_names_the_file(tmp_path):
    values = np.random.default_rng(1).uniform(0, 1, (256, 256))
    path = write(tmp_path / "corrupt.tif", values, tiled=True, blockxsize=64, blockysize=64, compress="deflate")
    with open(path, "r+b") as stream:
        stream.seek(os.path.getsize(path) // 2)
        stream.write(os.urandom(4000))
    polygon = local_box(0, 0, 2560, 2560)
    with pytest.raises(TonnageInputError, match=r"corrupt\.tif"):
        estimate_tonnage(polygon, path, TonnageParams(thickness=1.0))
    good = write(tmp_path / "good.tif", values)
    with pytest.raises(TonnageInputError, match=r"thickness raster.*corrupt\.tif"):
        estimate_tonnage(polygon, good, TonnageParams(thickness_raster=path))


def test_a_vrt_whose_source_is_missing_names_the_file(tmp_path):
    source = write(tmp_path / "source.tif", np.full((10, 10), 0.2))
    vrt = tmp_path / "mosaic.vrt"
    with rasterio.open(source) as src:
        crs_wkt = src.crs.to_wkt()
    vrt.write_text(f"""<VRTDataset rasterXSize="10" rasterYSize="10">
  <SRS>{crs_wkt.replace('"', "&quot;")}</SRS>
  <GeoTransform>{ORIGIN_X}, 10, 0, {ORIGIN_Y}, 0, -10</GeoTransform>
  <VRTRasterBand dataType="Float64" band="1">
    <SimpleSource><SourceFilename relativeToVRT="1">gone.tif</SourceFilename><SourceBand>1</SourceBand>
      <SrcRect xOff="0" yOff="0" xSize="10" ySize="10"/><DstRect xOff="0" yOff="0" xSize="10" ySize="10"/>
    </SimpleSource>
  </VRTRasterBand>
</VRTDataset>""")
    with pytest.raises(TonnageInputError, match=r"mosaic\.vrt"):
        estimate_tonnage(WHOLE, str(vrt), TonnageParams(thickness=1.0))
    with pytest.raises(TonnageInputError, match=r"thickness raster.*mosaic\.vrt"):
        estimate_tonnage(WHOLE, source, TonnageParams(thickness_raster=str(vrt)))


def test_a_smaller_thickness_raster_on_the_same_grid_is_missing_data_beyond_it(tmp_path):
    grade = write(tmp_path / "g.tif", np.full((20, 20), 0.2))
    thickness = write(tmp_path / "t.tif", np.full((10, 10), 3.0))
    result = estimate_tonnage(local_box(0, 0, 200, 200), grade, TonnageParams(thickness_raster=thickness))
    assert result.data_coverage == pytest.approx(0.25, abs=1e-6)
    assert result.ore_volume_m3 == pytest.approx(1e4 * 3.0, rel=1e-9)
    assert any("thickness" in w for w in result.warnings)


def test_a_grade_raster_without_crs_with_a_thickness_raster_that_has_one(tmp_path):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2), crs=None)
    thickness = write(tmp_path / "t.tif", np.full((10, 10), 3.0))
    with pytest.raises(TonnageInputError, match=r"t\.tif has a CRS but the grade raster"):
        estimate_tonnage(WHOLE, grade, TonnageParams(thickness_raster=thickness))
    alone = estimate_tonnage(WHOLE, grade, TonnageParams(thickness=3.0, density=1.0))
    assert alone.ore_tonnes == pytest.approx(3e4)
    assert any("no CRS" in w for w in alone.warnings)


MINE_GRID = 'LOCAL_CS["mine grid",UNIT["metre",1],AXIS["Easting",EAST],AXIS["Northing",NORTH]]'


@pytest.mark.parametrize("frame", [None, MINE_GRID])
def test_local_rasters_on_different_grids_share_one_frame(tmp_path, frame):
    """No CRS, or a metric engineering (mine-grid) one: units taken as metres, thickness warped by grid only."""
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2), crs=frame)
    fine = np.full((20, 20), 3.0)
    fine[:, :10] = np.nan  # the western half has no thickness
    thickness = write(tmp_path / "t.tif", fine, transform=from_origin(ORIGIN_X, ORIGIN_Y, 5.0, 5.0), crs=frame)
    result = estimate_tonnage(WHOLE, grade, TonnageParams(thickness_raster=thickness, density=2.0))
    assert result.polygon_area_m2 == pytest.approx(1e4)
    assert result.data_coverage == pytest.approx(0.5, abs=1e-9)
    assert result.ore_tonnes == pytest.approx(5000 * 3.0 * 2.0, rel=1e-9)
    assert any("no CRS" in w and "metres" in w for w in result.warnings)
    alone = estimate_tonnage(WHOLE, grade, TonnageParams(thickness=3.0, density=1.0))
    assert alone.ore_tonnes == pytest.approx(3e4)


def test_a_local_grade_raster_with_a_tagged_or_foreign_one_is_refused(tmp_path):
    tagged = write(tmp_path / "tagged.tif", np.full((10, 10), 3.0))
    mine = write(tmp_path / "mine.tif", np.full((10, 10), 0.2), crs=MINE_GRID)
    with pytest.raises(TonnageInputError, match=r"tagged\.tif has a CRS but the grade raster"):
        estimate_tonnage(WHOLE, mine, TonnageParams(thickness_raster=tagged))
    with pytest.raises(TonnageInputError, match=r"mine\.tif has no CRS \(or only a local engineering one\)"):
        estimate_tonnage(WHOLE, tagged, TonnageParams(thickness_raster=mine))
    other = write(tmp_path / "other.tif", np.full((10, 10), 3.0), crs=MINE_GRID.replace("mine grid", "pit grid"))
    with pytest.raises(TonnageInputError, match=r"other\.tif and the grade raster .* different local"):
        estimate_tonnage(WHOLE, mine, TonnageParams(thickness_raster=other))
    feet = write(tmp_path / "feet.tif", np.full((10, 10), 0.2), crs=MINE_GRID.replace('"metre",1', '"foot",0.3048'))
    with pytest.raises(TonnageInputError, match=r"grade raster: .*feet\.tif has a local engineering CRS .* not metres"):
        estimate_tonnage(WHOLE, feet, TonnageParams(thickness=1.0))


@pytest.mark.parametrize("batch", [False, True])
def test_polygons_in_a_local_crs_over_a_raster_tied_to_the_earth_get_a_message(tmp_path, batch):
    """PROJ has no path from a mine grid to the earth: its ProjError reached Processing as a traceback."""
    grade = write(tmp_path / "grade.tif", np.full((10, 10), 0.2))
    params = TonnageParams(thickness=1.0)
    with pytest.raises(TonnageInputError, match=r"polygon_crs: PROJ cannot transform 'mine grid' into the grade"):
        if batch:
            list(grade_tonnage_curves([WHOLE, WHOLE], grade, [0.0], params, polygon_crs=MINE_GRID))
        else:
            estimate_tonnage(WHOLE, grade, params, polygon_crs=MINE_GRID)


def test_bytes_paths_and_complex_rasters_get_messages(tmp_path):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    with pytest.raises(TonnageInputError, match="grade raster: give the path as text"):
        estimate_tonnage(WHOLE, os.fsencode(grade), TonnageParams(thickness=1.0))
    with pytest.raises(TonnageInputError, match="thickness raster: give the path as text"):
        estimate_tonnage(WHOLE, grade, TonnageParams(thickness_raster=os.fsencode(grade)))
    complex_path = write(tmp_path / "c.tif", np.full((10, 10), 1 + 2j, dtype=np.complex64))
    with pytest.raises(TonnageInputError, match=r"c\.tif holds complex64 values"):
        estimate_tonnage(WHOLE, complex_path, TonnageParams(thickness=1.0))
    with pytest.raises(TonnageInputError, match=r"density raster: .*c\.tif holds complex64"):
        estimate_tonnage(WHOLE, grade, TonnageParams(thickness=1.0, density_raster=complex_path))


@pytest.mark.parametrize("gdal_type", ["CInt16", "CInt32", "CFloat64"])
@pytest.mark.parametrize("role", ["grade raster", "thickness raster"])
def test_complex_integer_rasters_get_a_message_not_a_type_error(tmp_path, gdal_type, role):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    complex_path = str(tmp_path / "c.tif")
    gdal.Translate(complex_path, grade, outputType=gdal.GetDataTypeByName(gdal_type))
    with pytest.raises(TonnageInputError, match=rf"{role}: .*c\.tif holds complex\w* values, not real numbers"):
        if role == "grade raster":
            estimate_tonnage(WHOLE, complex_path, TonnageParams(thickness=1.0))
        else:
            estimate_tonnage(WHOLE, grade, TonnageParams(thickness_raster=complex_path))


@pytest.mark.parametrize("gdal_type", ["Int64", "UInt64"])  # rasterio 1.3 reads Int64 as uint64, nodata lost
@pytest.mark.parametrize("role", ["grade raster", "thickness raster", "density raster", "top depth raster"])
def test_64_bit_integer_rasters_are_refused_with_a_way_out(tmp_path, gdal_type, role):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    wide = str(tmp_path / "i.tif")
    values = write(tmp_path / "v.tif", np.where(np.arange(10)[:, None] < 3, -9999.0, 5.0) * np.ones((1, 10)))
    gdal.Translate(wide, values, outputType=gdal.GetDataTypeByName(gdal_type), noData=-9999)
    params = {
        "grade raster": TonnageParams(thickness=1.0),
        "thickness raster": TonnageParams(thickness_raster=wide),
        "density raster": TonnageParams(thickness=1.0, density_raster=wide),
        "top depth raster": TonnageParams(thickness=1.0, top_depth_raster=wide),
    }[role]
    with pytest.raises(TonnageInputError, match=rf"{role}: .*i\.tif holds 64-bit integers.*gdal_translate -ot Float64"):
        estimate_tonnage(WHOLE, wide if role == "grade raster" else grade, params)


def equal_area_at(lon: float, lat: float) -> str:
    return f"+proj=laea +lat_0={lat} +lon_0={lon} +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"


#: 2 km x 2 km round the centre of a 100 m grade grid in ``equal_area_at``: map area is ground area.
CENTRED = box(-1000.0, -1000.0, 1000.0, 1000.0)


def lonlat_raster(path, west: float, north: float, cell: float, shape: tuple[int, int], near: tuple[float, float]):
    """A WGS 84 raster holding 2 from longitude ``near[0]`` east to ``near[1]`` (degrees, a whole turn apart being
    the same) and 7, junk, elsewhere."""
    lon = west + cell * (np.arange(shape[1]) + 0.5)
    values = np.where((lon - near[0]) % 360.0 < near[1] - near[0], 2.0, 7.0) * np.ones((shape[0], 1))
    return write(path, values, transform=from_origin(west, north, cell, cell), crs="EPSG:4326")


@pytest.mark.parametrize("role", ["thickness_raster", "density_raster", "top_depth_raster"])
@pytest.mark.parametrize(
    "case",
    [
        "0..360 under 99 W",
        "0..360 under a grade in degrees at 99 W",
        "0..360 under a grade across 0",  # the raster's own west edge: a window at each end
        "179..181 E under a grade across 180",
    ],
)
def test_geographic_rasters_a_whole_turn_from_the_grade_cells_match_them(tmp_path, role, case):
    """PROJ gives the grade cells' longitudes in (-180, 180]: a raster numbered 0..360 or past 180 still holds
    them. The raster holds 2 at the grade cells' longitudes (as it numbers them) and 7 elsewhere."""
    grade_crs, polygon = equal_area_at(-99.0, 45.0), CENTRED
    if case == "179..181 E under a grade across 180":
        grade_crs = equal_area_at(180.0, -17.0)
        other = lonlat_raster(tmp_path / "x.tif", 179.0, -16.0, 0.01, (200, 200), (179.8, 180.2))
    elif case == "0..360 under a grade across 0":
        grade_crs = equal_area_at(0.0, 45.0)
        other = lonlat_raster(tmp_path / "x.tif", 0.0, 50.0, 0.1, (100, 3600), (355.0, 365.0))
    else:
        other = lonlat_raster(tmp_path / "x.tif", 0.0, 50.0, 1.0, (10, 360), (255.0, 265.0))
    if case == "0..360 under a grade in degrees at 99 W":
        grade_crs, polygon = "EPSG:4326", box(-99.4, 44.6, -98.6, 45.4)
        grade = write(tmp_path / "g.tif", np.full((100, 100), 0.2), from_origin(-99.5, 45.5, 0.01, 0.01), grade_crs)
    else:
        grade = write(tmp_path / "g.tif", np.full((30, 30), 0.2), from_origin(-1500.0, 1500.0, 100.0, 100.0), grade_crs)
    values = {"thickness": 1.0, "density": 1.0, role: other}
    if role == "thickness_raster":
        values["thickness"] = None
    elif role == "top_depth_raster":  # the top at 2 m of a 10 m layer: 3 m above 5 m (none below a top at 7 m)
        values.update(thickness=10.0, max_depth=5.0)
    # Small tiles: several per polygon, some drawing on two windows or placements, some warped in halves.
    result = estimate_tonnage(polygon, grade, TonnageParams(**values), limits=EngineLimits(tile_cells=64))
    per_m2 = 3.0 if role == "top_depth_raster" else 2.0
    assert result.data_coverage == pytest.approx(1.0, abs=1e-9)
    area = result.polygon_area_m2 if grade_crs == "EPSG:4326" else 4e6
    assert result.ore_tonnes == pytest.approx(area * per_m2, rel=1e-9)


def whole_turn_raster(path, values_at) -> str:
    """A WGS 84 raster of 0.1 degree cells from 180 W to 180 E (a whole turn: its west edge is its east edge) and
    from 70 N to the pole, holding ``values_at(longitude)`` at each cell's centre."""
    lon = -180.0 + 0.1 * (np.arange(3600) + 0.5)
    return write(
        path, values_at(lon) * np.ones((200, 1)), transform=from_origin(-180.0, 90.0, 0.1, 0.1), crs="EPSG:4326"
    )


def whole_turn_params(role: str, raster: str) -> TonnageParams:
    """The role's raster with the other values 1 (top depth: a 30 m layer mined to 25 m, so 25 - top is kept)."""
    values = {"thickness": 1.0, "density": 1.0, role: raster}
    if role == "thickness_raster":
        values["thickness"] = None
    elif role == "top_depth_raster":
        values.update(thickness=30.0, max_depth=25.0)
    return TonnageParams(**values)


def whole_turn_value(role: str, result) -> float:
    """The role's raster value the result was computed with (``whole_turn_params``)."""
    per_m2 = result.ore_tonnes / result.polygon_area_m2
    return 25.0 - per_m2 if role == "top_depth_raster" else per_m2


#: UTM 60N, where 180 E is 3 degrees east of the central meridian.
UTM_60N = "EPSG:32660"


@pytest.mark.parametrize("role", ["thickness_raster", "density_raster", "top_depth_raster"])
def test_a_geographic_raster_spanning_a_whole_turn_has_no_edge_at_its_seam(tmp_path, role):
    """Its columns beyond either edge are those on the other side: round the pole (every longitude in a tile)
    and under cells along 180 E, the kernel finds neighbours across the seam (it used to find an edge there:
    cells along 180 E went without data round the pole, and were given the edge cell's value under UTM)."""
    constant = whole_turn_raster(tmp_path / "c.tif", lambda lon: np.full(lon.shape, 2.0))
    # Polar stereographic cells of 1 km, the pole at the centre of one, off the points a tile is followed at.
    polar = write(
        tmp_path / "p.tif", np.full((201, 201), 0.2), from_origin(-1e5 - 500.0, 1e5 + 500.0, 1e3, 1e3), "EPSG:3413"
    )
    around = box(-40500.0, -60500.0, 60500.0, 40500.0)
    # Small tiles too: the pole inside one, the seam across several, tiles warped in halves.
    for limits in (DEFAULT_LIMITS, EngineLimits(tile_cells=4096)):
        result = estimate_tonnage(around, polar, whole_turn_params(role, constant), limits=limits)
        assert result.data_coverage == pytest.approx(1.0, abs=1e-9)
        assert result.warnings == ()
        assert whole_turn_value(role, result) == pytest.approx(2.0, abs=1e-7)

    # UTM 60N cells of 1 km across 180 E near 70.5 N, over a ramp continuous across the seam (steepest there).
    def ramp(lon):
        return 10.0 + 5.0 * np.sin(np.radians(lon))

    ramped = whole_turn_raster(tmp_path / "r.tif", ramp)
    to_lonlat = pyproj.Transformer.from_crs(UTM_60N, "EPSG:4326", always_xy=True)
    west, north = 590000.0, 7830000.0  # 180 E at 611.7 km east here
    grade = write(tmp_path / "u.tif", np.full((20, 40), 0.2), from_origin(west, north, 1000.0, 1000.0), UTM_60N)
    whole = estimate_tonnage(box(west, north - 2e4, west + 4e4, north), grade, whole_turn_params(role, constant))
    assert whole.data_coverage == pytest.approx(1.0, abs=1e-9) and whole.warnings == ()
    assert whole_turn_value(role, whole) == pytest.approx(2.0, abs=1e-7)
    for x in west + 1000.0 * np.arange(16, 28) + 500.0:  # the cells within 6 km of the seam, one by one
        y = north - 10500.0
        cell = estimate_tonnage(box(x - 500.0, y - 500.0, x + 500.0, y + 500.0), grade, whole_turn_params(role, ramped))
        assert cell.data_coverage == pytest.approx(1.0, abs=1e-9)
        # Bilinear error of the ramp: under 5 (pi / 1800)^2 / 8 = 2e-6 (the edge cell's value was 8e-4 to 3e-3 off).
        assert whole_turn_value(role, cell) == pytest.approx(ramp(to_lonlat.transform(x, y)[0]), abs=2e-6)


def test_a_fifo_given_as_a_raster_does_not_block(tmp_path):
    fifo = tmp_path / "pipe.tif"
    os.mkfifo(fifo)
    outcome: list = []

    def run() -> None:
        try:
            estimate_tonnage(WHOLE, str(fifo), TonnageParams(thickness=1.0))
        except TonnageInputError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(10.0)
    if worker.is_alive():  # unblock it before failing
        with open(fifo, "wb"):
            pass
        pytest.fail("the engine blocked on a FIFO")
    assert outcome and "not a regular file" in str(outcome[0]) and "pipe.tif" in str(outcome[0])


def test_zero_thickness_or_density_is_warned(tmp_path):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    assert any("thickness is 0" in w for w in estimate_tonnage(WHOLE, grade, TonnageParams(thickness=0.0)).warnings)
    assert any(
        "density is 0" in w for w in estimate_tonnage(WHOLE, grade, TonnageParams(thickness=2.0, density=0.0)).warnings
    )
    thickness = np.full((10, 10), 4.0)
    thickness[:3] = 0.0
    path = write(tmp_path / "t.tif", thickness)
    result = estimate_tonnage(WHOLE, grade, TonnageParams(thickness_raster=path))
    assert any("30.0 % of the covered area has a thickness or density of 0" in w for w in result.warnings)
    assert result.ore_volume_m3 == pytest.approx(7000.0 * 4.0)
    nothing = write(tmp_path / "none.tif", np.zeros((10, 10)))  # read "100.0000 %"
    result = estimate_tonnage(WHOLE, grade, TonnageParams(thickness_raster=nothing))
    assert "100.0 % of the covered area has a thickness or density of 0 in its raster" in result.warnings


def test_an_auxiliary_raster_whose_crs_is_wrong_is_named_not_a_gdal_traceback(tmp_path):
    """UTM coordinates tagged as lon/lat: GDAL's 'Too many points failed to transform' came out raw."""
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    wrong = write(tmp_path / "t.tif", np.full((10, 10), 5.0), crs="EPSG:4326")  # the grade grid's metres as degrees
    for role in ("thickness_raster", "density_raster", "top_depth_raster"):
        extra = {"thickness": 1.0} if role != "thickness_raster" else {}
        with pytest.raises(TonnageInputError, match=f"{role.replace('_', ' ')}: .*t.tif cannot be brought onto"):
            estimate_tonnage(WHOLE, grade, TonnageParams(**{role: wrong}, **extra))


def test_a_raster_placed_by_ground_control_points_only_is_refused_by_name(tmp_path):
    path = tmp_path / "gcp.tif"
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), 8, 8, 1, gdal.GDT_Float32)
    dataset.GetRasterBand(1).Fill(0.2)
    corners = [(0, 0, ORIGIN_X, ORIGIN_Y), (8, 0, ORIGIN_X + 80, ORIGIN_Y), (0, 8, ORIGIN_X, ORIGIN_Y - 80)]
    gcps = [gdal.GCP(x, y, 0.0, pixel, line) for pixel, line, x, y in corners]
    dataset.SetGCPs(gcps, pyproj.CRS(EQUAL_AREA).to_wkt())
    dataset = None
    with pytest.raises(TonnageInputError, match=r"grade raster: .*gcp\.tif is placed by ground control points only"):
        estimate_tonnage(WHOLE, str(path), TonnageParams(thickness=1.0))


def test_numpy_band_numbers_are_band_numbers_and_flags_are_not_numbers(tmp_path):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    expected = estimate_tonnage(WHOLE, grade, TonnageParams(thickness=1.0)).ore_tonnes
    for band in (np.int64(1), np.int32(1)):  # rasterio's read() took only a Python int: TypeError
        assert estimate_tonnage(WHOLE, grade, TonnageParams(thickness=1.0, grade_band=band)).ore_tonnes == expected
    for name in ("thickness", "density", "cutoff", "top_depth"):  # True was read as 1.0
        with pytest.raises(TonnageInputError, match=f"{name}: not a number"):
            estimate_tonnage(WHOLE, grade, TonnageParams(**{"thickness": 1.0, name: True}))


def test_numbers_given_as_text_are_named_not_multiplied(tmp_path):
    """density="3.0" passed the checks and failed later inside the target (TypeError), treo_to_tree="0.8" inside
    the estimate: a text is not a number, whatever it reads."""
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    for name, text in (("density", "3.0"), ("treo_to_tree", "0.8"), ("thickness", "2"), ("cutoff", "0.1")):
        params = TonnageParams(**{"thickness": 1.0, name: text})
        for run in (estimate_tonnage, exploration_target):
            with pytest.raises(TonnageInputError, match=f"{name}: not a number"):
                run(WHOLE, grade, params)


def test_a_geocentric_polygon_crs_is_named(tmp_path):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    with pytest.raises(TonnageInputError, match=r"polygon_crs: .* is geocentric"):
        estimate_tonnage(WHOLE, grade, TonnageParams(thickness=1.0), polygon_crs="EPSG:4978")


def _with_unit(path: str, unit: str) -> str:
    with rasterio.open(path, "r+") as dataset:
        dataset.units = (unit,)
    return path


@pytest.mark.parametrize(
    "role, unit, values, physical",
    [
        ("thickness_raster", "ft", 32.808399, 10.0),
        ("thickness_raster", "US survey foot", 32.80833333, 10.0),
        ("thickness_raster", "cm", 1000.0, 10.0),
        ("thickness_raster", " MM ", 10_000.0, 10.0),
        ("thickness_raster", "foot_us", 32.80833333, 10.0),
        ("thickness_raster", "m", 10.0, 10.0),
        ("density_raster", "kg/m3", 2600.0, 2.6),
        ("density_raster", "g/cm3", 2.6, 2.6),
    ],
)
def test_thickness_and_density_bands_in_other_units_are_converted_and_said_so(tmp_path, role, unit, values, physical):
    """A thickness band declaring feet was read as metres: 3.28 times the tonnes, without a word."""
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    raster = _with_unit(write(tmp_path / "r.tif", np.full((10, 10), values)), unit)
    constants = {"density": 2.6, "thickness": 10.0}
    del constants[role.split("_")[0]]
    result = estimate_tonnage(WHOLE, grade, TonnageParams(**{role: raster}, **constants))
    assert result.ore_tonnes == pytest.approx(10_000.0 * 10.0 * 2.6 * physical / (10.0 if role[0] == "t" else 2.6))
    converted = [w for w in result.warnings if "converted" in w]
    assert (len(converted) == 1 and f"is in {unit.strip()}:" in converted[0]) if values != physical else not converted


def test_an_unknown_band_unit_is_taken_as_metres_with_a_warning(tmp_path):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    raster = _with_unit(write(tmp_path / "r.tif", np.full((10, 10), 10.0)), "fathoms")
    result = estimate_tonnage(WHOLE, grade, TonnageParams(thickness_raster=raster))
    assert result.ore_tonnes == pytest.approx(10_000.0 * 10.0 * 2.6)
    assert any("declares its unit as 'fathoms': its values are taken as metres" in w for w in result.warnings)


@pytest.mark.parametrize(
    "declared, chosen, warned", [("ppm", "percent", True), ("%", "ppm", True), ("ppm", "ppm", False)]
)
def test_a_grade_band_declaring_another_unit_than_the_one_chosen_is_warned(tmp_path, declared, chosen, warned):
    """The engine (API, Processing, report) said nothing when a band in ppm was read as percent: 10,000 x TREO."""
    grade = _with_unit(write(tmp_path / "g.tif", np.full((10, 10), 1500.0)), declared)
    result = estimate_tonnage(WHOLE, grade, TonnageParams(thickness=1.0, grade_unit=chosen))
    assert any("declares its unit as" in warning for warning in result.warnings) is warned


def _geod_area(polygon, crs: str) -> float:
    from rare_earth_plugin.core.geometry import densify_coords

    dense = densify_coords(np.asarray(polygon.exterior.coords), 10.0)
    lon, lat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(dense[:, 0], dense[:, 1])
    return abs(pyproj.Geod(ellps="WGS84").polygon_area_perimeter(lon, lat)[0])


def test_web_mercator_coordinates_past_the_world_edge_are_refused_not_wrapped(tmp_path):
    """x = 30,000 km in EPSG:3857 is longitude 269.5, which PROJ wraps to -90.5: the polygon measured 3.3 m2."""
    mercator = write(
        tmp_path / "m.tif", np.full((10, 10), 0.2), transform=from_origin(0, 1000, 100, 100), crs="EPSG:3857"
    )
    beyond = box(3e7, 0, 3e7 + 1000, 1000)
    with pytest.raises(TonnageInputError, match="lies beyond the area where WGS 84 / Pseudo-Mercator is defined"):
        estimate_tonnage(beyond, mercator, TonnageParams(thickness=1.0))
    utm = write(tmp_path / "u.tif", np.full((10, 10), 0.2))
    with pytest.raises(TonnageInputError, match="lies beyond the area where WGS 84 / Pseudo-Mercator is defined"):
        estimate_tonnage(beyond, utm, TonnageParams(thickness=1.0), polygon_crs="EPSG:3857")


@pytest.mark.parametrize(
    "crs, polygon",
    [
        ("EPSG:3857", box(0, 2.5e7, 1000, 2.5e7 + 1000)),  # latitude 87.7: beyond the area of use, still a place
        ("EPSG:32643", box(-700_000, 5e6, -699_000, 5.001e6)),  # 12 degrees west of the zone's meridian
    ],
)
def test_places_outside_a_crs_area_of_use_that_it_reaches_are_measured(tmp_path, crs, polygon):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    result = estimate_tonnage(polygon, grade, TonnageParams(thickness=1.0), polygon_crs=crs)
    assert result.polygon_area_m2 == pytest.approx(_geod_area(polygon, crs), rel=1e-6)


def test_a_polygon_within_a_geotiff_crs_area_of_use_pays_no_round_trip(tmp_path, monkeypatch):
    """A GeoTIFF's WKT carries no area of use: every estimate took its polygon round its CRS (a quarter of a small
    polygon's estimate); the area of use now comes from the CRS's EPSG code."""
    from rare_earth_plugin.core import polygon_checks

    grade = write(
        tmp_path / "g.tif", np.full((10, 10), 0.2), transform=from_origin(500_000, 5_600_000, 10, 10), crs="EPSG:32643"
    )

    def refused(*_args):
        raise AssertionError("round trip asked for")

    monkeypatch.setattr(polygon_checks._CrsRange, "moved", refused)
    estimate_tonnage(box(500_010, 5_599_910, 500_090, 5_599_990), grade, TonnageParams(thickness=1.0))


def test_figures_beyond_floating_point_are_warned(tmp_path):
    """A thickness of 1e308 m gave infinite tonnes without a word, in the estimate and in the target."""
    from rare_earth_plugin.core.exploration_target import exploration_target

    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    huge = TonnageParams(thickness=1e308, density=2.0)
    result = estimate_tonnage(WHOLE, grade, huge)
    assert result.ore_tonnes == np.inf and any("overflow" in w for w in result.warnings)
    target = exploration_target(WHOLE, grade, huge, draws=100)
    assert any("overflow" in w for w in target.warnings)
    fine = estimate_tonnage(WHOLE, grade, TonnageParams(thickness=1e300, density=2.0))
    assert fine.ore_tonnes == pytest.approx(2e304, rel=1e-9) and not [w for w in fine.warnings if "overflow" in w]
    assert [w for w in fine.warnings if w.startswith("The thickness of 1e+300 m is more than")]  # if not infinite


def test_a_whole_world_raster_finer_than_the_grade_cells_is_averaged(tmp_path, monkeypatch):
    """A global thickness raster of 0.18 degree cells (20 km) under 50 km grade cells: its cell size taken over
    the whole world in the grade raster's Mercator was 217 km, so it was sampled bilinearly, not averaged."""
    from rasterio.enums import Resampling

    from rare_earth_plugin.core import tonnage_raster_io

    mercator = "EPSG:3832"
    x0, y0 = pyproj.Transformer.from_crs("EPSG:4326", mercator, always_xy=True).transform(170.0, -5.0)
    grade = write(tmp_path / "g.tif", np.full((6, 6), 0.2), from_origin(x0, y0, 50_000.0, 50_000.0), mercator)
    world = write(
        tmp_path / "t.tif", np.full((1000, 2000), 2.0, dtype=np.float32), from_origin(-180, 90, 0.18, 0.18), "EPSG:4326"
    )
    used = []
    real = tonnage_raster_io.reproject

    def recording(*args, **kwargs):
        used.append(kwargs["resampling"])
        return real(*args, **kwargs)

    monkeypatch.setattr(tonnage_raster_io, "reproject", recording)
    polygon = box(x0 + 10_000, y0 - 290_000, x0 + 290_000, y0 - 10_000)
    result = estimate_tonnage(polygon, grade, TonnageParams(thickness_raster=world, density=2.5))
    assert used and set(used) == {Resampling.average}
    assert result.data_coverage == pytest.approx(1.0) and result.ore_tonnes > 0


def test_a_vertical_polygon_crs_is_named_not_blamed_on_the_polygon(tmp_path):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    with pytest.raises(TonnageInputError, match=r"polygon_crs: .* is a vertical CRS"):
        estimate_tonnage(WHOLE, grade, TonnageParams(thickness=1.0), polygon_crs="EPSG:5703")


@pytest.mark.parametrize("role", ["grade", "thickness_raster", "density_raster"])
@pytest.mark.parametrize(
    "transform, said",
    [
        (rasterio.Affine(0.0, 0.0, ORIGIN_X, 0.0, 0.0, ORIGIN_Y), "zero or non-finite cell size"),
        (rasterio.Affine(10.0, 0.0, ORIGIN_X, 20.0, 0.0, ORIGIN_Y), "zero or non-finite cell size"),  # rows = columns
    ],
)
def test_a_raster_whose_cells_have_no_area_is_named(tmp_path, role, transform, said):
    """A geotransform of zero pixel size raised affine's TransformNotInvertibleError (grade) or a
    ZeroDivisionError (thickness)."""
    good = write(tmp_path / "good.tif", np.full((10, 10), 0.2))
    bad = write(tmp_path / "bad.tif", np.full((10, 10), 0.2), transform=transform)
    grade = bad if role == "grade" else good
    params = TonnageParams(thickness=1.0) if role != "thickness_raster" else TonnageParams(thickness_raster=bad)
    if role == "density_raster":
        params = TonnageParams(thickness=1.0, density_raster=bad)
    for run in (estimate_tonnage, exploration_target):
        with pytest.raises(TonnageInputError, match=f"{re.escape(str(bad))} has a geotransform of {said}"):
            run(WHOLE, grade, params)


@pytest.mark.parametrize("scale, offset", [(float("nan"), 0.0), (0.001, float("nan")), (float("inf"), 0.0)])
@pytest.mark.parametrize("role", ["grade", "thickness_raster"])
def test_a_non_finite_scale_or_offset_is_named_not_reported_as_an_overflow(tmp_path, scale, offset, role):
    """A NaN scale read as an overflow at 100 % coverage, an infinite one as ore at an infinite grade."""
    good = write(tmp_path / "good.tif", np.full((10, 10), 0.2))
    bad = write(tmp_path / "bad.tif", np.full((10, 10), 200, np.int16), scale=scale, offset=offset)
    grade, params = (
        (bad, TonnageParams(thickness=1.0)) if role == "grade" else (good, TonnageParams(thickness_raster=bad))
    )
    for run in (estimate_tonnage, exploration_target):
        with pytest.raises(TonnageInputError, match=f"{re.escape(str(bad))} band 1 has a scale of .* must be finite"):
            run(WHOLE, grade, params)


@pytest.mark.parametrize(
    "params, cutoffs, said",
    [
        ({"thickness": 1.0}, [0.1], "params: give a TonnageParams, got dict"),
        (None, "0.1", "cutoffs: give a list of numbers, got '0.1'"),
        (None, None, "cutoffs: give a list of numbers, got None"),
        (None, ["0.1", "0.2"], "cutoffs: not a number"),  # as TonnageParams(cutoff="0.1") is refused
        (None, [[0.1, 0.2]], "cutoffs: not a number"),  # not flattened into two cut-offs
        (None, [], "cutoffs: give at least one cut-off"),
    ],
)
def test_parameters_of_the_wrong_kind_are_named_not_raised_raw(tmp_path, params, cutoffs, said):
    grade = write(tmp_path / "g.tif", np.full((10, 10), 0.2))
    with pytest.raises(TonnageInputError, match=re.escape(said)):
        grade_tonnage_curve(WHOLE, grade, cutoffs, params or TonnageParams(thickness=1.0))
    if cutoffs == [0.1]:
        for run in (estimate_tonnage, exploration_target, area_cells):
            with pytest.raises(TonnageInputError, match=re.escape(said)):
                run(WHOLE, grade, params)
