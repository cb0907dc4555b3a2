"""Depth window, thickness and grade factors, and the per-cell view (area_cells), against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ORIGIN_X, ORIGIN_Y
from shapely.geometry import box

from rare_earth_plugin.core.depth_window import counted_thickness
from rare_earth_plugin.core.tonnage import (
    AreaCells,
    TonnageInputError,
    TonnageParams,
    area_cells,
    estimate_tonnage,
    grade_tonnage_curve,
)

DENSITY = 2.6


def local_box(x0: float, y0: float, x1: float, y1: float):
    return box(ORIGIN_X + x0, ORIGIN_Y - y1, ORIGIN_X + x1, ORIGIN_Y - y0)


@pytest.mark.parametrize(
    ("top", "thickness", "lo", "hi", "expected"),
    [
        (0.0, 10.0, None, None, 10.0),
        (5.0, 10.0, None, 8.0, 3.0),  # cut below
        (5.0, 10.0, 7.0, None, 8.0),  # cut above
        (5.0, 10.0, 7.0, 9.0, 2.0),  # window inside the interval
        (5.0, 10.0, 0.0, 100.0, 10.0),  # interval inside the window
        (50.0, 10.0, 0.0, 30.0, 0.0),  # wholly below the window: never negative
        (0.0, 10.0, 20.0, 30.0, 0.0),  # wholly above it
        (5.0, 0.0, 0.0, 30.0, 0.0),
    ],
)
def test_counted_thickness_closed_forms(top, thickness, lo, hi, expected):
    assert float(counted_thickness(top, thickness, lo, hi)) == pytest.approx(expected, abs=1e-12)


def test_counted_thickness_is_vectorised_and_keeps_missing_data():
    top = np.array([0.0, 10.0, np.nan, 290.0])
    thickness = np.array([20.0, 20.0, 5.0, 30.0])
    got = counted_thickness(top, thickness, 5.0, 300.0)
    np.testing.assert_allclose(got[[0, 1, 3]], [15.0, 20.0, 10.0])
    assert np.isnan(got[2])


def constant_raster(make_raster, value=0.2, shape=(20, 30), **kwargs):
    return make_raster(np.full(shape, value), **kwargs)


def test_factors_and_window_on_a_constant_grade_follow_the_closed_form(make_raster):
    path = constant_raster(make_raster, 0.2)
    polygon = local_box(13.0, 21.5, 187.0, 96.5)
    area = 174.0 * 75.0
    base = dict(thickness=40.0, density=DENSITY, top_depth=10.0, cutoff=0.1)
    for tf, gf, lo, hi in [
        (1.0, 1.0, None, None),
        (0.8, 1.15, None, None),
        (1.2, 0.85, 20.0, 45.0),
        (1.0, 1.0, None, 30.0),
    ]:
        params = TonnageParams(**base, thickness_factor=tf, grade_factor=gf, min_depth=lo, max_depth=hi)
        upper, lower = max(10.0, lo or 0.0), min(10.0 + 40.0 * tf, hi if hi is not None else np.inf)
        tonnes = area * max(lower - upper, 0.0) * DENSITY
        result = estimate_tonnage(polygon, path, params)
        assert result.ore_tonnes == pytest.approx(tonnes, rel=1e-12)
        assert result.mean_grade == pytest.approx(0.2 * gf, rel=1e-12)
        assert result.treo_tonnes == pytest.approx(tonnes * 0.2 * gf / 100, rel=1e-12)


def test_grade_factor_applies_before_the_cutoff(make_raster):
    path = constant_raster(make_raster, 0.1)
    polygon = local_box(0.0, 0.0, 100.0, 100.0)
    low = TonnageParams(thickness=10.0, cutoff=0.1, grade_factor=0.85)
    high = TonnageParams(thickness=10.0, cutoff=0.1, grade_factor=1.15)
    assert estimate_tonnage(polygon, path, low).ore_tonnes == 0.0
    assert estimate_tonnage(polygon, path, high).ore_tonnes == pytest.approx(1e4 * 10.0 * 2.6, rel=1e-12)


def test_depth_window_on_top_and_thickness_rasters_per_cell(make_raster):
    rng = np.random.default_rng(3)
    shape = (12, 16)
    top = rng.uniform(0.0, 60.0, shape)
    thickness = rng.uniform(0.0, 80.0, shape)
    grade = rng.uniform(0.01, 0.3, shape)
    paths = [make_raster(a) for a in (grade, top, thickness)]
    polygon = local_box(0.0, 0.0, 160.0, 120.0)  # all cells, whole
    params = TonnageParams(
        thickness_raster=paths[2],
        top_depth_raster=paths[1],
        min_depth=20.0,
        max_depth=70.0,
        thickness_factor=1.1,
        cutoff=0.1,
    )
    counted = np.clip(np.minimum(top + 1.1 * thickness, 70.0) - np.maximum(top, 20.0), 0.0, None)
    tonnes = 100.0 * counted * 2.6
    ore = grade >= 0.1
    result = estimate_tonnage(polygon, paths[0], params)
    assert result.ore_tonnes == pytest.approx(tonnes[ore].sum(), rel=1e-12)
    assert result.ore_volume_m3 == pytest.approx(100.0 * counted[ore].sum(), rel=1e-12)
    assert result.treo_tonnes == pytest.approx((tonnes * grade)[ore].sum() / 100, rel=1e-12)
    curve = grade_tonnage_curve(polygon, paths[0], [0.0, 0.2], params)
    assert curve[1].ore_tonnes == pytest.approx(tonnes[grade >= 0.2].sum(), rel=1e-12)


def test_top_depth_nodata_lowers_coverage_like_thickness(make_raster):
    top = np.full((10, 10), 5.0)
    top[:, :5] = -9999.0
    grade = make_raster(np.full((10, 10), 0.2))
    top_path = make_raster(top, nodata=-9999.0)
    params = TonnageParams(thickness=10.0, top_depth_raster=top_path, max_depth=10.0)
    result = estimate_tonnage(local_box(0.0, 0.0, 100.0, 100.0), grade, params)
    assert result.data_coverage == pytest.approx(0.5)
    assert result.ore_tonnes == pytest.approx(5000.0 * 5.0 * 2.6, rel=1e-12)
    assert any("top depth" in w for w in result.warnings)


def test_area_cells_sums_equal_the_estimate_and_the_closed_form(make_raster):
    path = constant_raster(make_raster, 0.25)
    polygon = local_box(13.0, 21.5, 187.0, 96.5)
    area = 174.0 * 75.0
    params = TonnageParams(thickness=30.0, density=2.5, top_depth=5.0, max_depth=25.0, cutoff=0.2)
    cells = area_cells(polygon, path, params)
    assert isinstance(cells, AreaCells)
    assert cells.area_m2.sum() == pytest.approx(area, rel=1e-12)
    assert cells.polygon_area_m2 == pytest.approx(area, rel=1e-7)
    assert cells.data_coverage == pytest.approx(1.0)
    assert (cells.max_depth, cells.min_depth, cells.cutoff, cells.grade_unit) == (25.0, None, 0.2, "percent")
    for array in (cells.grade, cells.thickness, cells.top, cells.density):
        assert array.dtype == np.float64 and array.shape == cells.area_m2.shape
    for tf, gf in [(1.0, 1.0), (0.5, 0.85), (1.2, 1.15)]:
        counted = counted_thickness(cells.top, cells.thickness * tf, cells.min_depth, cells.max_depth)
        tonnes = cells.area_m2 * counted * cells.density
        ore = cells.grade * gf >= cells.cutoff
        closed = area * min(30.0 * tf, 20.0) * 2.5 if 0.25 * gf >= 0.2 else 0.0
        estimate = estimate_tonnage(
            polygon,
            path,
            TonnageParams(
                thickness=30.0,
                density=2.5,
                top_depth=5.0,
                max_depth=25.0,
                cutoff=0.2,
                thickness_factor=tf,
                grade_factor=gf,
            ),
        )
        assert tonnes[ore].sum() == pytest.approx(closed, rel=1e-12, abs=1e-9)
        assert estimate.ore_tonnes == pytest.approx(closed, rel=1e-12, abs=1e-9)


def test_area_cells_keep_only_valid_cells_with_physical_values(make_raster):
    grade = np.full((10, 10), 0.2)
    grade[0, :] = np.nan
    thickness = np.full((10, 10), 7.0)
    paths = make_raster(grade), make_raster(thickness)
    cells = area_cells(local_box(0.0, 0.0, 100.0, 100.0), paths[0], TonnageParams(thickness_raster=paths[1]))
    assert cells.area_m2.size == 90
    assert cells.data_coverage == pytest.approx(0.9)
    np.testing.assert_allclose(cells.thickness, 7.0)
    np.testing.assert_allclose(cells.top, 0.0)
    np.testing.assert_allclose(cells.density, 2.6)
    assert cells.warnings


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"top_depth": -1.0}, "top_depth"),
        ({"top_depth": float("nan")}, "top_depth"),
        ({"min_depth": float("inf")}, "min_depth"),
        ({"max_depth": -5.0}, "max_depth"),
        ({"max_depth": 0.0}, "max_depth: give a depth below the surface"),  # counted nothing, silently
        ({"min_depth": 50.0, "max_depth": 50.0}, "min_depth"),
        ({"thickness_factor": 0.0}, "thickness_factor"),
        ({"grade_factor": -1.0}, "grade_factor"),
        ({"grade_factor": float("nan")}, "grade_factor"),
    ],
)
def test_window_and_factor_parameters_are_validated(make_raster, kwargs, name):
    path = constant_raster(make_raster)
    with pytest.raises(TonnageInputError, match=name):
        estimate_tonnage(local_box(0.0, 0.0, 50.0, 50.0), path, TonnageParams(thickness=10.0, **kwargs))
