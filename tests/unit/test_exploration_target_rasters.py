"""``exploration_target`` on real rasters: one read of the rasters, the base case equal to the engine's
estimate, the depth window against closed forms on top and thickness rasters, bad input named."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from conftest import EQUAL_AREA, ORIGIN_X, ORIGIN_Y
from shapely.geometry import Polygon, box

from rare_earth_plugin.core import tonnage
from rare_earth_plugin.core.exploration_target import exploration_target
from rare_earth_plugin.core.target_ranges import TargetRanges, Triangular
from rare_earth_plugin.core.tonnage import TonnageInputError, TonnageParams, estimate_tonnage

#: The whole 20 x 30 grid of 10 m cells: 6,000 m².
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


def test_rasters_are_read_once_whatever_the_draws(rasters, monkeypatch):
    grade_path, thickness_path, *_ = rasters
    calls = []
    real = tonnage.area_cells
    monkeypatch.setattr(tonnage, "area_cells", lambda *a, **k: calls.append(1) or real(*a, **k))
    exploration_target(WHOLE, grade_path, TonnageParams(thickness_raster=thickness_path), draws=50_000)
    assert len(calls) == 1


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
