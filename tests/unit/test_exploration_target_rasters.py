"""``exploration_target`` on real rasters: one read of the rasters, the base case equal to the engine's
estimate, the depth window against closed forms on top and thickness rasters, bad input named."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyproj
import pytest
import rasterio
from conftest import EQUAL_AREA, ORIGIN_X, ORIGIN_Y, write_geotiff
from rasterio.transform import from_origin
from shapely.geometry import Polygon, box

from rare_earth_plugin.core import tonnage
from rare_earth_plugin.core.exploration_target import curves_and_targets, exploration_target, target_from_cells
from rare_earth_plugin.core.limits import EngineLimits
from rare_earth_plugin.core.target_ranges import TargetRanges, Triangular
from rare_earth_plugin.core.tonnage import TonnageInputError, TonnageParams, area_cells, estimate_tonnage

#: The whole 20 x 30 grid of 10 m cells: 60,000 m².
WHOLE = box(ORIGIN_X, ORIGIN_Y - 200, ORIGIN_X + 300, ORIGIN_Y)
CELL = 100.0


@pytest.fixture
def rasters(make_raster):
    rng = np.random.default_rng(4)
    grade = rng.uniform(0.02, 0.25, (20, 30)).astype("float32")
    thickness = np.tile(np.linspace(10, 80, 30), (20, 1)).astype("float32")
    top = np.tile(np.linspace(0, 190, 20)[:, None], (1, 30)).astype("float32")
    return make_raster(grade), make_raster(thickness), make_raster(top), grade, thickness, top


def test_base_case_equals_the_engine_and_other_cases_equal_the_engine_with_factors(rasters):
    grade_path, thickness_path, top_path, *_ = rasters
    params = TonnageParams(
        cutoff=0.1, thickness_raster=thickness_path, top_depth_raster=top_path, max_depth=150.0, density=2.6
    )
    target = exploration_target(WHOLE, grade_path, params, draws=2000, seed=1)
    for case, density, tf, gf in (
        (target.low, 2.5, 0.8, 0.85),
        (target.base, 2.6, 1.0, 1.0),
        (target.high, 2.7, 1.2, 1.15),
    ):
        engine = estimate_tonnage(
            WHOLE,
            grade_path,
            TonnageParams(
                cutoff=0.1,
                thickness_raster=thickness_path,
                top_depth_raster=top_path,
                max_depth=150.0,
                density=density,
                thickness_factor=tf,
                grade_factor=gf,
            ),
        )
        assert case.ore_tonnes == pytest.approx(engine.ore_tonnes, rel=1e-9)
        assert case.treo_tonnes == pytest.approx(engine.treo_tonnes, rel=1e-9)
        assert case.mean_grade == pytest.approx(engine.mean_grade, rel=1e-9)
    assert target.p90.ore_tonnes < target.p50.ore_tonnes < target.p10.ore_tonnes


def test_depth_window_matches_the_closed_form_on_top_and_thickness_rasters(rasters):
    grade_path, thickness_path, top_path, _grade, thickness, top = rasters
    params = TonnageParams(thickness_raster=thickness_path, top_depth_raster=top_path, min_depth=40.0, max_depth=120.0)
    target = exploration_target(WHOLE, grade_path, params, draws=100, seed=1)
    for case, density, tf in ((target.low, 2.5, 0.8), (target.high, 2.7, 1.2)):
        top64, base = top.astype(float), top.astype(float) + thickness.astype(float) * tf
        counted = np.clip(np.minimum(base, 120.0) - np.maximum(top64, 40.0), 0.0, None)
        assert case.ore_tonnes == pytest.approx(float((CELL * counted * density).sum()), rel=1e-9)


def test_rasters_are_read_once_whatever_the_draws(rasters, recorded_reads):
    grade_path, thickness_path, *_ = rasters
    params = TonnageParams(thickness_raster=thickness_path)
    small_tiles = EngineLimits(tile_cells=64)  # a dozen tiles: the draws are summed as they stream past
    estimate_tonnage(WHOLE, grade_path, params, limits=small_tiles)
    estimate_reads = list(recorded_reads)
    recorded_reads.clear()
    exploration_target(WHOLE, grade_path, params, draws=50_000, limits=small_tiles)
    assert len(estimate_reads) > 5
    assert recorded_reads == estimate_reads


@pytest.mark.parametrize("window", [{}, {"max_depth": 150.0}, {"min_depth": 40.0, "max_depth": 120.0}])
@pytest.mark.parametrize("depth", ["constant", "rasters"])
def test_a_target_summed_tile_by_tile_equals_one_sum_over_all_cells(rasters, window, depth):
    """The draws' sums add up across tiles: many small tiles give the figures of one pass over all cells (the
    sums themselves are checked against brute force in test_exploration_target)."""
    grade_path, thickness_path, top_path, *_ = rasters
    sources = (
        {"thickness": 35.0, "top_depth": 20.0}
        if depth == "constant"
        else {"thickness_raster": thickness_path, "top_depth_raster": top_path}
    )
    params = TonnageParams(cutoff=0.1, **sources, **window)
    streamed = exploration_target(WHOLE, grade_path, params, draws=3000, seed=9, limits=EngineLimits(tile_cells=64))
    whole = target_from_cells(area_cells(WHOLE, grade_path, params), params, draws=3000, seed=9)
    for name in ("low", "base", "high", "p90", "p50", "p10"):
        for key, value in vars(getattr(whole, name)).items():
            assert getattr(getattr(streamed, name), key) == pytest.approx(value, rel=1e-9), (name, key)
    np.testing.assert_allclose(streamed.treo_draws, whole.treo_draws, rtol=1e-9)


def test_constant_thickness_window_cases_match_the_closed_form(make_raster):
    """A constant thickness and top depth in a window: every cell counts overlap(top, h * tf) metres."""
    grade = np.full((20, 30), 0.2, dtype="float32")
    params = TonnageParams(cutoff=0.1, thickness=50.0, top_depth=30.0, min_depth=40.0, max_depth=70.0)
    target = exploration_target(WHOLE, make_raster(grade), params, draws=500, seed=3)
    for case, density, tf in ((target.low, 2.5, 0.8), (target.base, 2.6, 1.0), (target.high, 2.7, 1.2)):
        counted = max(0.0, min(30.0 + 50.0 * tf, 70.0) - 40.0)  # 30 m, 30 m and 30 m: the window is full
        assert case.ore_tonnes == pytest.approx(60_000.0 * counted * density, rel=1e-12)
    shallow = TonnageParams(cutoff=0.1, thickness=50.0, top_depth=30.0, min_depth=40.0, max_depth=100.0)
    target = exploration_target(WHOLE, make_raster(grade), shallow, draws=500, seed=3)
    for case, density, tf in ((target.low, 2.5, 0.8), (target.base, 2.6, 1.0), (target.high, 2.7, 1.2)):
        counted = max(0.0, min(30.0 + 50.0 * tf, 100.0) - 40.0)  # 30, 40 and 50 m
        assert case.ore_tonnes == pytest.approx(60_000.0 * counted * density, rel=1e-12)


def test_a_float32_grade_at_the_cut_off_is_ore_in_the_base_case_as_in_the_estimate(make_raster):
    """0.7 stored as float32 is 0.69999999; compared in the raster's own type it reaches a cut-off of 0.7."""
    path = make_raster(np.full((20, 30), 0.7, dtype="float32"))
    params = TonnageParams(cutoff=0.7, thickness=10.0, density=2.6)
    target = exploration_target(WHOLE, path, params, draws=100, seed=1)
    assert estimate_tonnage(WHOLE, path, params).ore_tonnes == pytest.approx(60_000.0 * 10.0 * 2.6)
    assert target.base.ore_tonnes == pytest.approx(60_000.0 * 10.0 * 2.6, rel=1e-12)


def test_curves_and_targets_give_each_area_its_own_curve_and_target_from_one_read(rasters, recorded_reads):
    grade_path, thickness_path, *_ = rasters
    params = TonnageParams(cutoff=0.1, thickness_raster=thickness_path)
    halves = [
        box(ORIGIN_X, ORIGIN_Y - 200, ORIGIN_X + 150, ORIGIN_Y),
        box(ORIGIN_X + 150, ORIGIN_Y - 100, ORIGIN_X + 300, ORIGIN_Y),
    ]
    bad = Polygon([(ORIGIN_X, ORIGIN_Y), (ORIGIN_X + 10, ORIGIN_Y), (ORIGIN_X + 20, ORIGIN_Y)])  # no area
    items = list(curves_and_targets([halves[0], bad, halves[1]], grade_path, [0.05, 0.15], params, draws=400, seed=2))
    reads = len(recorded_reads)
    assert isinstance(items[1], TonnageInputError)
    for polygon, item in zip(halves, (items[0], items[2])):
        curve, target = item
        alone = exploration_target(polygon, grade_path, params, draws=400, seed=2)
        assert [r.cutoff for r in curve] == [0.05, 0.15]
        assert curve[1].ore_tonnes == pytest.approx(
            estimate_tonnage(polygon, grade_path, replace(params, cutoff=0.15)).ore_tonnes
        )
        assert target.base == alone.base
        assert target.p50 == alone.p50
    recorded_reads.clear()
    list(tonnage.grade_tonnage_curves(halves, grade_path, [0.1], params))
    assert reads == len(recorded_reads)


def test_area_cells_refuses_an_area_too_large_to_list(rasters):
    grade_path, thickness_path, *_ = rasters
    with pytest.raises(TonnageInputError, match="area_cells"):
        area_cells(
            WHOLE, grade_path, TonnageParams(thickness_raster=thickness_path), limits=EngineLimits(area_cells_max=100)
        )


def test_bad_ranges_are_named_before_any_raster_is_read(rasters):
    grade_path, *_ = rasters
    with pytest.raises(TonnageInputError, match="grade factor range"):
        exploration_target(
            WHOLE, grade_path, TonnageParams(thickness=10.0), TargetRanges(grade_factor=Triangular(1.2, 1.0, 0.9))
        )
    with pytest.raises(TonnageInputError, match="grade raster"):
        exploration_target(WHOLE, "/nonexistent.tif", TonnageParams(thickness=10.0))


def test_ppm_grades_density_raster_and_a_geographic_polygon_agree_with_the_engine(make_raster):
    rng = np.random.default_rng(9)
    grade = make_raster((rng.uniform(200, 2500, (20, 30))).astype("float32"))  # ppm
    density = make_raster(rng.uniform(2.3, 2.9, (20, 30)).astype("float32"))
    transformer = pyproj.Transformer.from_crs(EQUAL_AREA, "EPSG:4326", always_xy=True)  # the grid CRS
    ring = [
        transformer.transform(x, y)
        for x, y in [
            (ORIGIN_X + 15, ORIGIN_Y - 15),
            (ORIGIN_X + 280, ORIGIN_Y - 35),
            (ORIGIN_X + 250, ORIGIN_Y - 190),
            (ORIGIN_X + 30, ORIGIN_Y - 170),
        ]
    ]
    polygon = Polygon(ring)
    params = TonnageParams(cutoff=1000.0, grade_unit="ppm", thickness=12.0, density_raster=density)
    ranges = TargetRanges(density=Triangular(2.4, 2.6, 2.8))
    target = exploration_target(polygon, grade, params, ranges, draws=3000, seed=2, polygon_crs="EPSG:4326")
    for case, factor, tf, gf in (
        (target.low, 2.4 / 2.6, 0.8, 0.85),
        (target.base, 1.0, 1.0, 1.0),
        (target.high, 2.8 / 2.6, 1.2, 1.15),
    ):
        engine = estimate_tonnage(
            polygon,
            grade,
            TonnageParams(
                cutoff=1000.0, grade_unit="ppm", thickness=12.0 * tf * factor, density_raster=density, grade_factor=gf
            ),
            polygon_crs="EPSG:4326",
        )
        assert case.ore_tonnes == pytest.approx(engine.ore_tonnes, rel=1e-9)
        assert case.mean_grade == pytest.approx(engine.mean_grade, rel=1e-9)
        assert case.treo_tonnes == pytest.approx(engine.treo_tonnes, rel=1e-9)  # ppm: grade / 1e6
    assert target.density_is_factor and target.grade_unit == "ppm"


@pytest.mark.parametrize(
    ("stored", "dtype", "scale", "offset", "cutoff", "factor"),
    [
        (0.7, "float32", None, None, 0.63, 0.9),  # float32 0.7 x 0.9 is 0.62999999 in float64
        (0.7, "float32", None, None, 0.77, 1.1),
        (0.7, "float32", None, None, 0.7, 1.0),
        (0.7, "float64", None, None, 0.63, 0.9),
        (60, "int16", 0.001, 0.01, 0.07, 1.0),  # 60 x 0.001 + 0.01 is 0.06999999999999999 in float64
        (60, "int16", 0.001, 0.01, 0.063, 0.9),
    ],
)
def test_a_grade_at_the_cut_off_but_for_rounding_is_ore_in_the_estimate_and_the_target(
    tmp_path, stored, dtype, scale, offset, cutoff, factor
):
    """Every cell holds exactly cutoff / factor (as a person reads the raster): all ore, in the estimate with the
    grade factor and in the target's case with that factor alike."""
    path = write_geotiff(
        tmp_path / "g.tif", np.full((20, 30), stored, dtype=dtype), from_origin(ORIGIN_X, ORIGIN_Y, 10, 10)
    )
    if scale is not None:
        with rasterio.open(path, "r+") as dst:
            dst.scales, dst.offsets = (scale,), (offset,)
    expected = 60_000.0 * 10.0 * 2.6
    estimate = estimate_tonnage(WHOLE, path, TonnageParams(cutoff=cutoff, thickness=10.0, grade_factor=factor))
    assert estimate.ore_tonnes == pytest.approx(expected)
    ranges = TargetRanges(Triangular(2.6, 2.6, 2.6), Triangular(1, 1, 1), Triangular(factor, factor, factor))
    target = exploration_target(WHOLE, path, TonnageParams(cutoff=cutoff, thickness=10.0), ranges, draws=10, seed=1)
    assert target.base.ore_tonnes == pytest.approx(expected)
    assert target.p50.ore_tonnes == pytest.approx(expected)


@pytest.mark.parametrize("below", [1e-5, 1e-6])
def test_a_grade_below_the_cut_off_by_more_than_rounding_is_not_ore(tmp_path, below):
    path = write_geotiff(
        tmp_path / "g.tif",
        np.full((20, 30), 0.7 * (1 - below), dtype="float32"),
        from_origin(ORIGIN_X, ORIGIN_Y, 10, 10),
    )
    params = TonnageParams(cutoff=0.7, thickness=10.0)
    assert estimate_tonnage(WHOLE, path, params).ore_tonnes == 0.0
    assert exploration_target(WHOLE, path, params, draws=10, seed=1).base.ore_tonnes == 0.0


@pytest.mark.parametrize(
    ("params", "ranges", "named"),
    [
        (TonnageParams(cutoff=None, thickness=1.0), None, "cutoff"),
        (TonnageParams(cutoff="abc", thickness=1.0), None, "cutoff"),
        (TonnageParams(density="x", thickness=1.0), None, "density"),
        (TonnageParams(density=[2.6], thickness=1.0), None, "density"),
        ({"cutoff": 0.1}, None, "params"),
        (TonnageParams(thickness=1.0), ((2.5, 2.6, 2.7), (1, 1, 1), (1, 1, 1)), "ranges"),
    ],
)
def test_bad_parameters_of_a_target_are_named_not_raised_raw(rasters, params, ranges, named):
    grade_path, *_ = rasters
    for call in (
        lambda: exploration_target(WHOLE, grade_path, params, ranges, draws=10),
        lambda: list(curves_and_targets([WHOLE], grade_path, [0.1], params, ranges, draws=10)),
    ):
        with pytest.raises(TonnageInputError, match=named):
            call()


def test_a_cached_plan_does_not_let_a_bad_draw_count_through(rasters):
    grade_path, *_ = rasters
    params = TonnageParams(thickness=1.0)
    exploration_target(WHOLE, grade_path, params, draws=1, seed=1)  # cached for (1, 1); True == 1 as a key
    for draws, seed in ((True, 1), (1, True)):
        with pytest.raises(TonnageInputError, match="draws" if draws is True else "seed"):
            exploration_target(WHOLE, grade_path, params, draws=draws, seed=seed)


def test_a_target_states_the_polygon_area_coverage_and_warnings_its_estimate_states(make_raster):
    """The target's pass sums no cut-off of its own (``feed_sink``) but finds what the estimate finds: a polygon
    half outside the raster, over cells without data."""
    grade = np.random.default_rng(5).uniform(0.02, 0.25, (20, 30)).astype("float32")
    grade[:5, :10] = np.nan
    path = make_raster(grade)
    polygon = box(ORIGIN_X - 150, ORIGIN_Y - 120, ORIGIN_X + 210, ORIGIN_Y + 40)
    params = TonnageParams(cutoff=0.1, thickness=5.0)
    estimate = estimate_tonnage(polygon, path, params)
    target = exploration_target(polygon, path, params, draws=500, seed=3)
    assert estimate.data_coverage < 0.5 and len(estimate.warnings) == 2
    assert target.polygon_area_m2 == estimate.polygon_area_m2
    assert target.data_coverage == estimate.data_coverage
    assert target.warnings == estimate.warnings
    assert target.base.ore_tonnes == pytest.approx(estimate.ore_tonnes, rel=1e-12)
