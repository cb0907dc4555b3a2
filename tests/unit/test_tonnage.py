"""Tonnage engine: closed-form expectations for tonnes, grade, TREO/TREE, coverage and warnings."""

from __future__ import annotations

import json
import math
import os
import time
import types
from dataclasses import asdict, replace

import numpy as np
import pyproj
import pytest
import rasterio
from conftest import EQUAL_AREA, ORIGIN_X, ORIGIN_Y, random_star
from rasterio.transform import Affine, from_origin
from shapely.geometry import MultiPolygon, Polygon, box

from rare_earth_plugin.core import affine_ops, tonnage
from rare_earth_plugin.core.cellarea import EllipsoidalCellArea
from rare_earth_plugin.core.geometry import densify_coords, map_polygon_coords
from rare_earth_plugin.core.limits import EngineLimits
from rare_earth_plugin.core.tonnage import (
    TonnageInputError,
    TonnageParams,
    TonnageResult,
    estimate_tonnage,
    grade_tonnage_curve,
)
from rare_earth_plugin.core.tonnage_types import ORE_FIGURES

DENSITY = 2.6
THICKNESS = 12.0


def local_box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A box in metres relative to the top-left corner of the fixture grid (y downwards, as rows)."""
    return box(ORIGIN_X + x0, ORIGIN_Y - y1, ORIGIN_X + x1, ORIGIN_Y - y0)


@pytest.fixture
def two_grade_raster(make_raster):
    """20 rows x 30 cols of 10 m: columns 0-14 hold 0.0625 %, columns 15-29 hold 0.25 %."""
    grade = np.full((20, 30), 0.0625)
    grade[:, 15:] = 0.25
    return make_raster(grade)


def params(**kwargs) -> TonnageParams:
    kwargs.setdefault("thickness", THICKNESS)
    kwargs.setdefault("density", DENSITY)
    return TonnageParams(**kwargs)


def test_uniform_grade_closed_form(make_raster):
    path = make_raster(np.full((20, 30), 0.25))
    polygon = local_box(13.0, 21.5, 187.0, 96.5)  # cuts through cells on every side
    area = 174.0 * 75.0
    result = estimate_tonnage(polygon, path, params())
    tonnes = area * THICKNESS * DENSITY
    assert result.polygon_area_m2 == pytest.approx(area, rel=1e-7)  # Geod, after PROJ's inverse (~1e-9)
    assert result.covered_area_m2 == pytest.approx(area, rel=1e-12)
    assert result.ore_area_m2 == pytest.approx(area, rel=1e-12)
    assert result.ore_volume_m3 == pytest.approx(area * THICKNESS, rel=1e-12)
    assert result.ore_tonnes == pytest.approx(tonnes, rel=1e-12)
    assert result.mean_grade == pytest.approx(0.25, rel=1e-12)
    assert result.treo_tonnes == pytest.approx(tonnes * 0.25 / 100, rel=1e-12)
    assert result.tree_tonnes == pytest.approx(tonnes * 0.25 / 100 / 1.20, rel=1e-12)
    assert result.data_coverage == pytest.approx(1.0)
    assert result.warnings == ()


def test_cutoff_keeps_only_cells_at_or_above_it(two_grade_raster):
    polygon = local_box(100.0, 10.0, 230.0, 50.0)  # 50 m on the low side, 80 m on the high side of x = 150
    low, high = 50.0 * 40.0, 80.0 * 40.0
    everything = estimate_tonnage(polygon, two_grade_raster, params(cutoff=0.0))
    ore = estimate_tonnage(polygon, two_grade_raster, params(cutoff=0.25))  # equal to the grade counts
    unit = THICKNESS * DENSITY
    assert everything.ore_tonnes == pytest.approx((low + high) * unit, rel=1e-12)
    # Tonnage-weighted mean grade, not the plain mean of the two cell values.
    assert everything.mean_grade == pytest.approx((low * 0.0625 + high * 0.25) / (low + high), rel=1e-12)
    assert ore.ore_area_m2 == pytest.approx(high, rel=1e-12)
    assert ore.treo_tonnes == pytest.approx(high * unit * 0.25 / 100, rel=1e-12)
    assert ore.covered_area_m2 == pytest.approx(low + high, rel=1e-12)
    nothing = estimate_tonnage(polygon, two_grade_raster, params(cutoff=0.3))
    assert nothing.ore_tonnes == 0.0 and math.isnan(nothing.mean_grade) and nothing.treo_tonnes == 0.0


def test_curve_keeps_order_and_equals_single_estimates(two_grade_raster):
    polygon = Polygon(
        [(ORIGIN_X + 12, ORIGIN_Y - 9), (ORIGIN_X + 281, ORIGIN_Y - 33), (ORIGIN_X + 170, ORIGIN_Y - 188)]
    )
    for cutoffs in ([0.2, 0.0, 0.25, 0.0625, 0.1], list(np.linspace(0.3, 0.0, 13))):
        curve = grade_tonnage_curve(polygon, two_grade_raster, cutoffs, params())
        assert [r.cutoff for r in curve] == pytest.approx(cutoffs)
        for cutoff, result in zip(cutoffs, curve):
            single = estimate_tonnage(polygon, two_grade_raster, params(cutoff=cutoff))
            assert result.ore_tonnes == pytest.approx(single.ore_tonnes, rel=1e-12, abs=1e-9)
            assert result.treo_tonnes == pytest.approx(single.treo_tonnes, rel=1e-12, abs=1e-9)
    ordered = grade_tonnage_curve(polygon, two_grade_raster, [0.0, 0.1, 0.3], params())
    assert ordered[0].ore_tonnes > ordered[1].ore_tonnes > ordered[2].ore_tonnes == 0.0
    assert ordered[1].mean_grade == pytest.approx(0.25)


def test_ppm_grades(make_raster):
    path = make_raster(np.full((10, 10), 700, dtype=np.uint16), nodata=0)
    polygon = local_box(5.0, 5.0, 65.0, 45.0)
    result = estimate_tonnage(polygon, path, params(grade_unit="ppm", cutoff=500))
    tonnes = 60.0 * 40.0 * THICKNESS * DENSITY
    assert result.ore_tonnes == pytest.approx(tonnes)
    assert result.treo_tonnes == pytest.approx(tonnes * 700 / 1e6)
    assert result.mean_grade == pytest.approx(700.0)


def test_float32_grade_reaches_an_equal_cutoff(make_raster):
    path = make_raster(np.full((4, 4), 0.7, dtype=np.float32))
    result = estimate_tonnage(local_box(0, 0, 40, 40), path, params(cutoff=0.7))
    assert result.ore_area_m2 == pytest.approx(1600.0)


@pytest.mark.parametrize(
    "stored, scale, offset, cutoff",
    [(0.35, 2.0, 0.0, 0.7), (0.0025, 100.0, 0.0, 0.25), (0.0007, 100.0, 0.0, 0.07), (0.35, 1.0, 0.35, 0.7)],
)
def test_a_scaled_float32_grade_reaches_the_cutoff_it_equals_but_for_the_storage_rounding(
    make_raster, stored, scale, offset, cutoff
):
    """A float32 0.35 scaled by 2 is the float32 0.7: ore as that unscaled file is, not 0 (the allowance was
    float64's for any scaled raster); one float32 unit below the cut-off's own float32 is still not ore."""
    path = make_raster(np.full((4, 4), stored, dtype=np.float32))
    below = make_raster(
        np.full(
            (4, 4),
            np.nextafter(np.float32(stored), np.float32(0)) - 4 * np.finfo(np.float32).eps * stored,
            dtype=np.float32,
        )
    )
    for raster in (path, below):
        with rasterio.open(raster, "r+") as dataset:
            dataset.scales, dataset.offsets = (scale,), (offset,)
    assert float(np.float32(stored)) * scale + offset < cutoff  # the physical grade misses it by the rounding only
    result = estimate_tonnage(local_box(0, 0, 40, 40), path, params(cutoff=cutoff))
    assert result.ore_area_m2 == pytest.approx(1600.0)
    assert estimate_tonnage(local_box(0, 0, 40, 40), below, params(cutoff=cutoff)).ore_area_m2 == 0.0


def test_polygon_smaller_than_a_cell_gets_its_exact_share(make_raster):
    path = make_raster(np.full((5, 5), 0.25))
    tiny = Polygon(
        [(ORIGIN_X + 21.0, ORIGIN_Y - 22.0), (ORIGIN_X + 24.5, ORIGIN_Y - 22.5), (ORIGIN_X + 22.0, ORIGIN_Y - 27.0)]
    )
    result = estimate_tonnage(tiny, path, params())
    assert result.ore_tonnes == pytest.approx(tiny.area * THICKNESS * DENSITY, rel=1e-9)


def test_holes_and_multipolygons(make_raster):
    path = make_raster(np.full((20, 30), 0.25))
    shell = local_box(10.0, 10.0, 150.0, 150.0)
    hole = local_box(33.3, 41.7, 77.7, 99.9)
    multi = MultiPolygon([Polygon(shell.exterior.coords, [hole.exterior.coords]), local_box(200.5, 20.5, 250.5, 120.5)])
    result = estimate_tonnage(multi.wkt, path, params())
    # Map coordinates near 5.5e6 m leave about 1e-11 relative of round-off.
    # Planar area on the equal-area grid vs the engine's ellipsoidal area: equal to PROJ's rounding (3e-10 on PROJ 9.7).
    assert result.ore_area_m2 == pytest.approx(multi.area, rel=1e-9)
    assert result.polygon_area_m2 == pytest.approx(multi.area, rel=1e-9)


def test_nodata_and_nan_lower_coverage_with_a_warning(make_raster):
    grade = np.full((20, 30), 0.25)
    grade[2:4, 2:7] = -9999.0  # 10 cells = 1000 m2
    grade[10, 10] = np.nan  # 100 m2
    path = make_raster(grade, nodata=-9999.0)
    polygon = local_box(0.0, 0.0, 200.0, 150.0)
    result = estimate_tonnage(polygon, path, params())
    covered = 200.0 * 150.0 - 1100.0
    assert result.covered_area_m2 == pytest.approx(covered)
    assert result.ore_tonnes == pytest.approx(covered * THICKNESS * DENSITY)
    assert result.data_coverage == pytest.approx(covered / 30000.0)
    assert f"Only {100 * covered / 30000:.1f} % of the polygon has grade data" in result.warnings


FILL_VALUES = [3.4028235e38, -3.4028235e38, 1.70141e38, 9.969209968386869e36, 1e30, -9999.0, -0.01]


def test_undeclared_fill_values_and_negative_grades_are_missing_not_data(make_raster):
    """Undeclared, float32's largest (3.4e38) was a grade of 3.4e38 % and ore where it was no data (+41 % tonnes
    with 40 % of the cells filled, coverage 1.0, no warning), and a negative grade read as a cell without ore:
    each counts as missing, in the grade, thickness or density raster alike."""
    grade = np.full((20, 30), 0.25, dtype=np.float32)
    for row, value in enumerate(FILL_VALUES):
        grade[row, 0:10] = value  # 10 cells = 1000 m2 each, none declared
    polygon = local_box(0.0, 0.0, 300.0, 200.0)
    whole = 300.0 * 200.0
    covered = whole - 1000.0 * len(FILL_VALUES)
    result = estimate_tonnage(polygon, make_raster(grade), params())
    assert result.covered_area_m2 == pytest.approx(covered)
    assert result.ore_tonnes == pytest.approx(covered * THICKNESS * DENSITY)
    assert result.mean_grade == pytest.approx(0.25)
    assert f"Only {100 * covered / whole:.1f} % of the polygon has grade data" in result.warnings
    plain = make_raster(np.full((20, 30), 0.25, dtype=np.float32))
    for role in ("thickness_raster", "density_raster"):
        values = np.where(grade == np.float32(0.25), np.float32(7.0), grade)
        given = {"thickness": None} if role == "thickness_raster" else {}
        result = estimate_tonnage(polygon, plain, params(**given, **{role: make_raster(values)}))
        assert result.covered_area_m2 == pytest.approx(covered), role
        other = DENSITY if role == "thickness_raster" else THICKNESS
        assert result.ore_tonnes == pytest.approx(covered * 7.0 * other), role
    just_below = grade.copy()
    just_below[:, :] = np.float32(9.9e29)  # the largest values that are still data
    assert estimate_tonnage(polygon, make_raster(just_below), params()).data_coverage == pytest.approx(1.0)


def test_a_scaled_grade_that_is_negative_once_scaled_is_missing(make_raster):
    """Int16 grades stored as (grade + 0.5) / 0.01: a stored 0 is a grade of -0.5 %, not data."""
    from osgeo import gdal

    stored = np.full((20, 30), 75, dtype=np.int16)  # 0.25 %
    stored[0:2, :] = 0  # -0.5 % once scaled: 60 cells
    path = make_raster(stored)
    dataset = gdal.Open(str(path), gdal.GA_Update)
    dataset.GetRasterBand(1).SetScale(0.01)
    dataset.GetRasterBand(1).SetOffset(-0.5)
    dataset = None
    result = estimate_tonnage(local_box(0.0, 0.0, 300.0, 200.0), path, params())
    covered = 300.0 * 200.0 - 6000.0
    assert result.covered_area_m2 == pytest.approx(covered)
    assert result.ore_tonnes == pytest.approx(covered * THICKNESS * DENSITY)
    assert result.mean_grade == pytest.approx(0.25)


def test_a_scaled_grade_whose_nodata_overflows_when_scaled_warns_nothing(make_raster):
    """Scaled before its nodata is left out, a nodata of -1.8e308 x 10 raised numpy's overflow warning."""
    import warnings

    from osgeo import gdal

    stored = np.full((20, 30), 0.025)
    stored[0, :] = -1.7976931348623157e308
    path = make_raster(stored, nodata=-1.7976931348623157e308)
    dataset = gdal.Open(str(path), gdal.GA_Update)
    dataset.GetRasterBand(1).SetScale(10.0)
    dataset = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = estimate_tonnage(local_box(0.0, 0.0, 300.0, 200.0), path, params())
    assert result.mean_grade == pytest.approx(0.25)
    assert result.covered_area_m2 == pytest.approx(300.0 * 200.0 - 3000.0)


def test_values_no_deposit_has_are_warned_with_the_unit_they_are_probably_in(make_raster):
    """A ppm raster read as percent (15,000 %), a density raster in kg/m³ (2,600) and a thickness in millimetres
    (10,000) gave figures 100 to 10,000 times too large without a word, the coverage and grades looking normal."""
    polygon = local_box(0.0, 0.0, 300.0, 200.0)
    plain = np.full((20, 30), 0.25, dtype=np.float32)

    def told(grade=plain, **given) -> tuple[str, ...]:
        return estimate_tonnage(polygon, make_raster(grade), params(**given)).warnings

    assert not [w for w in told() if "more than" in w]  # plausible values: nothing said
    ppm = np.full((20, 30), 700.0, dtype=np.float32)
    ppm[5, 5] = 15000.0
    (warning,) = [w for w in told(ppm) if "more than 100 %" in w]
    assert "up to 15,000 %" in warning and "Choose ppm as its unit" in warning
    assert not [w for w in told(ppm, grade_unit="ppm") if "more than" in w]
    assert [w for w in told(np.full((20, 30), 2e6, dtype=np.float32), grade_unit="ppm") if "up to 2e+06 ppm" in w]
    kg = make_raster(np.full((20, 30), 2600.0, dtype=np.float32))
    (warning,) = [w for w in told(density_raster=kg) if "densities up to 2,600 t/m³" in w]
    assert str(kg) in warning and "kg/m³" in warning
    assert [w for w in told(density=2600.0) if w.startswith("The density of 2,600 t/m³ is more than any ore's")]
    mm = make_raster(np.full((20, 30), 10000.0, dtype=np.float32))
    (warning,) = [w for w in told(thickness=None, thickness_raster=mm) if "thicknesses up to 10,000 m" in w]
    assert str(mm) in warning and "millimetres" in warning
    assert [w for w in told(thickness=12000.0) if w.startswith("The thickness of 12,000 m is more than 1,000 m")]
    assert not [w for w in told(thickness=1000.0, density=6.0) if "more than" in w]  # the bounds themselves


def test_a_grade_factor_lifting_grades_above_all_of_the_rock_is_warned(make_raster):
    """Grades of 90 % times a grade factor of 1.2 counted 108 % of the rock as TREO without a word (each alone is
    possible); a grade factor that keeps them within 100 %, or a raster already above it, says nothing more."""
    polygon = local_box(0.0, 0.0, 300.0, 200.0)
    grade = np.full((20, 30), 30.0, dtype=np.float32)
    grade[3, 4] = 90.0
    path = make_raster(grade)

    def told(factor: float, unit: str = "percent") -> list[str]:
        warnings = estimate_tonnage(polygon, path, params(grade_factor=factor, grade_unit=unit)).warnings
        return [warning for warning in warnings if "grade factor" in warning]

    (warning,) = told(1.2)
    assert "grade factor of 1.2 lifts grades up to 90 % to 108 %, more than 100 %" in warning
    assert told(1.1) == [] and told(100 / 90) == [] and told(0.5) == []
    assert told(10_000.0, "ppm") == []  # 90 ppm x 10,000: 900,000 ppm, 90 %
    (warning,) = told(12_000.0, "ppm")
    assert "to 1.08e+06 ppm" in warning


def test_polygon_partly_and_wholly_outside_the_raster(make_raster):
    path = make_raster(np.full((20, 30), 0.25))
    partly = local_box(-50.0, 100.0, 50.0, 300.0)  # 50 x 100 m of 100 x 200 m inside
    result = estimate_tonnage(partly, path, params())
    assert result.covered_area_m2 == pytest.approx(5000.0)
    assert result.polygon_area_m2 == pytest.approx(20000.0)
    assert result.data_coverage == pytest.approx(0.25)
    assert any("75.0 % of the polygon lies outside" in w for w in result.warnings)
    outside = estimate_tonnage(local_box(1000.0, 1000.0, 1100.0, 1100.0), path, params())
    assert outside.ore_tonnes == 0.0 and outside.covered_area_m2 == 0.0 and outside.data_coverage == 0.0
    assert any("does not overlap" in w for w in outside.warnings)
    data = outside.to_dict()  # no data: no figures of ore, not zeros that would say it holds none
    assert not outside.has_data and isinstance(data["warnings"], list)
    assert all(data[name] is None for name in ORE_FIGURES) and math.isnan(outside.known("ore_tonnes"))
    assert json.loads(json.dumps(data))["data_coverage"] == 0.0 and data["polygon_area_m2"] > 0


def test_invalid_polygon_is_repaired_with_a_warning(make_raster):
    path = make_raster(np.full((20, 30), 0.25))
    bow_tie = Polygon(
        [(ORIGIN_X, ORIGIN_Y), (ORIGIN_X + 100, ORIGIN_Y - 100), (ORIGIN_X + 100, ORIGIN_Y), (ORIGIN_X, ORIGIN_Y - 100)]
    )
    result = estimate_tonnage(bow_tie, path, params())
    assert result.ore_area_m2 == pytest.approx(5000.0)  # two triangles of 2,500 m2
    assert any("repaired" in w for w in result.warnings)


def densified(polygon, step):
    return map_polygon_coords(polygon, lambda xy: densify_coords(xy, step))


def test_same_ground_in_other_crs_gives_the_same_tonnes(two_grade_raster):
    utm_polygon = Polygon(
        [
            (ORIGIN_X + 17, ORIGIN_Y - 11),
            (ORIGIN_X + 283, ORIGIN_Y - 41),
            (ORIGIN_X + 240, ORIGIN_Y - 193),
            (ORIGIN_X + 33, ORIGIN_Y - 150),
        ],
        [[(ORIGIN_X + 100, ORIGIN_Y - 60), (ORIGIN_X + 160, ORIGIN_Y - 70), (ORIGIN_X + 120, ORIGIN_Y - 120)]],
    )
    base = estimate_tonnage(utm_polygon, two_grade_raster, params(cutoff=0.1))
    assert base.ore_tonnes > 0
    for epsg in (4326, 3857, 32643):
        transformer = pyproj.Transformer.from_crs(EQUAL_AREA, epsg, always_xy=True)

        def move(xy, transformer=transformer):
            return np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

        other = map_polygon_coords(densified(utm_polygon, 0.5), move)
        result = estimate_tonnage(other, two_grade_raster, params(cutoff=0.1), polygon_crs=f"EPSG:{epsg}")
        assert result.ore_tonnes == pytest.approx(base.ore_tonnes, rel=1e-4)
        assert result.polygon_area_m2 == pytest.approx(base.polygon_area_m2, rel=1e-4)


def test_geographic_raster_uses_ellipsoidal_cell_areas(make_raster):
    step = 0.001
    transform = from_origin(76.4, 50.0, step, step)
    path = make_raster(np.full((40, 50), 0.25), transform=transform, crs="EPSG:4326")
    polygon = box(76.4 + 10 * step, 50.0 - 30 * step, 76.4 + 40 * step, 50.0 - 5 * step)  # whole cells
    result = estimate_tonnage(polygon, path, params())
    area = EllipsoidalCellArea(transform, pyproj.CRS.from_epsg(4326)).row_areas(5, 30).sum() * 30
    assert result.ore_area_m2 == pytest.approx(area, rel=1e-12)
    assert result.polygon_area_m2 == pytest.approx(area, rel=1e-7)
    assert result.ore_tonnes == pytest.approx(area * THICKNESS * DENSITY, rel=1e-12)
    assert result.warnings == ()
    # The same ground drawn in UTM gives the same area to well within 1e-4.
    utm = pyproj.Transformer.from_crs(4326, 32643, always_xy=True)
    utm_polygon = map_polygon_coords(
        densified(polygon, step / 20), lambda xy: np.column_stack(utm.transform(xy[:, 0], xy[:, 1]))
    )
    again = estimate_tonnage(utm_polygon, path, params(), polygon_crs="EPSG:32643")
    assert again.ore_area_m2 == pytest.approx(area, rel=1e-5)


@pytest.mark.parametrize("south, north", [(50.0, 50.5), (50.5, 51.0), (50.2, 50.9), (-40.7, -40.1)])
def test_part_of_a_coarse_geographic_cell_counts_its_true_area(make_raster, south, north):
    """A 1-degree cell holds about 1 % more area near its equatorward edge: a part of it counts its own
    ellipsoidal area, not its share of the cell in square degrees."""
    top = math.ceil(north)
    transform = from_origin(76.0, top, 1.0, 1.0)
    path = make_raster(np.full((3, 3), 0.25), transform=transform, crs="EPSG:4326")
    polygon = box(76.0, south, 77.5, north)  # one and a half cells wide, part of a row (or two)
    # Independent reference: pyproj's geodesic area, with the parallels followed by 20,000 short geodesics.
    lons = np.linspace(76.0, 77.5, 20_001)
    exact = abs(
        pyproj.Geod(ellps="WGS84").polygon_area_perimeter(
            np.r_[lons, lons[::-1]], np.r_[np.full(lons.size, south), np.full(lons.size, north)]
        )[0]
    )
    result = estimate_tonnage(polygon, path, params())
    assert result.ore_area_m2 == pytest.approx(exact, rel=1e-9)
    assert result.polygon_area_m2 == pytest.approx(exact, rel=1e-9)
    assert result.data_coverage == pytest.approx(1.0, abs=1e-9)
    assert result.warnings == ()


def geodesic_box_area(west: float, south: float, east: float, north: float) -> float:
    """pyproj's geodesic area of a lon/lat box, its parallels followed by 20,000 short geodesics."""
    lons = np.linspace(west, east, 20_001)
    return abs(
        pyproj.Geod(ellps="WGS84").polygon_area_perimeter(
            np.r_[lons, lons[::-1]], np.r_[np.full(lons.size, south), np.full(lons.size, north)]
        )[0]
    )


@pytest.mark.parametrize(
    "transform, rows, south, north, inside",
    [
        # Reaching a pole: the rows next to the raster's first row lie partly beyond it.
        (from_origin(76.0, 89.7, 1.0, 1.0), 10, 85.2, 90.0, (85.2, 89.7)),
        (Affine(1.0, 0.0, 76.0, 0.0, 1.0, -89.7), 9, -90.0, -84.6, (-89.7, -84.6)),  # south-up
        (from_origin(76.0, -80.2, 1.0, 1.0), 9, -90.0, -84.6, (-89.2, -84.6)),
        (from_origin(76.0, 50.0, 1.0, 1.0), 10, 30.0, 70.0, (40.0, 50.0)),  # far beyond the first and last rows
    ],
)
def test_a_polygon_beyond_the_rows_of_a_geographic_raster_covers_its_part_inside(
    make_raster, transform, rows, south, north, inside
):
    path = make_raster(np.full((rows, 3), 0.25), transform=transform, crs="EPSG:4326")
    result = estimate_tonnage(box(76.0, south, 77.5, north), path, params())
    assert result.covered_area_m2 == pytest.approx(geodesic_box_area(76.0, inside[0], 77.5, inside[1]), rel=1e-9)
    assert result.ore_area_m2 == pytest.approx(result.covered_area_m2, rel=1e-12)


def test_south_up_geographic_raster_across_the_equator_equals_north_up(make_raster):
    grade = np.random.default_rng(3).uniform(0.0, 0.3, (12, 8))
    north_up = make_raster(grade, transform=from_origin(10.0, 3.0, 0.5, 0.5), crs="EPSG:4326")
    south_up = make_raster(grade[::-1], transform=Affine(0.5, 0.0, 10.0, 0.0, 0.5, -3.0), crs="EPSG:4326")
    polygon = Polygon([(10.3, -4.2), (13.7, -2.1), (12.9, 4.4), (10.6, 2.2)])  # beyond the rows at both ends
    expected = grade_tonnage_curve(polygon, north_up, [0.0, 0.1, 0.2], params())
    got = grade_tonnage_curve(polygon, south_up, [0.0, 0.1, 0.2], params())
    for a, b in zip(got, expected):
        assert a.ore_tonnes > 0 and "outside the grade raster" in a.warnings[0]
        assert asdict(replace(a, warnings=())) == pytest.approx(asdict(replace(b, warnings=())), rel=1e-9)
    whole = estimate_tonnage(box(10.0, -3.0, 14.0, 3.0), south_up, params())
    assert whole.covered_area_m2 == pytest.approx(geodesic_box_area(10.0, -3.0, 14.0, 3.0), rel=1e-9)


def test_equal_area_rows_of_an_edge_far_beyond_the_raster():
    """An edge reaching far beyond a geographic raster's rows (a polygon in the wrong CRS) counts only inside
    them, as the same polygon does with its edges cut at the raster's first and last rows; rows past a pole keep
    their order."""
    from rare_earth_plugin.core.coverage import CellCoverage

    cells = EllipsoidalCellArea(from_origin(76.0, 50.0, 1e-3, 1e-3), pyproj.CRS.from_epsg(4326))

    def fractions(polygon: Polygon) -> np.ndarray:
        to_cells = lambda x, y: affine_ops.apply(~cells.transform, x, y)  # noqa: E731
        return CellCoverage.from_geometry(polygon, to_cells, cells).fractions(0, 10, 0, 3)

    far = fractions(Polygon([(76.0, -80.0), (76.002, 80.0), (76.001, 49.9955)]))
    # the same triangle cut at the raster's top and bottom (rows 0 and 10) with the same straight edges
    lat = np.array([50.0, 49.99])
    lon_a = 76.0 + 0.002 * (lat + 80.0) / 160.0
    lon_c = 76.001 + (76.0 - 76.001) * (lat - 49.9955) / (-80.0 - 49.9955)
    lon_b = 76.001 + (76.002 - 76.001) * (lat - 49.9955) / (80.0 - 49.9955)
    upper = Polygon([(lon_a[0], 50.0), (lon_b[0], 50.0), (76.001, 49.9955)])
    inside = Polygon([(lon_a[0], 50.0), (76.001, 49.9955), (lon_c[1], 49.99), (lon_a[1], 49.99)])
    np.testing.assert_allclose(far, fractions(upper.union(inside)), rtol=0.0, atol=1e-9)
    assert 0.0 < far.sum() < 30.0
    polar = EllipsoidalCellArea(from_origin(0.0, 89.7, 1.0, 1.0), pyproj.CRS.from_epsg(4326))
    positions = polar.equal_area_rows(np.linspace(-3.0, 1.0, 81))
    assert np.all(np.diff(positions) >= 0.0)
    assert np.all(positions >= np.floor(np.linspace(-3.0, 1.0, 81)) - 1e-12)


def test_thickness_raster_on_the_same_grid_weights_tonnes_and_grade(make_raster):
    grade = np.array([[0.25, 0.0625]])
    thickness = np.array([[10.0, 30.0]])
    grade_path = make_raster(grade)
    thickness_path = make_raster(thickness)
    result = estimate_tonnage(local_box(0, 0, 20, 10), grade_path, TonnageParams(thickness_raster=thickness_path))
    assert result.ore_volume_m3 == pytest.approx(100 * 10 + 100 * 30)
    assert result.ore_tonnes == pytest.approx(4000 * 2.6)
    assert result.mean_grade == pytest.approx((10 * 0.25 + 30 * 0.0625) / 40)


def test_thickness_and_density_rasters_on_other_grids_and_crs(make_raster, two_grade_raster):
    polygon = local_box(21.0, 17.0, 263.0, 171.0)
    expected = estimate_tonnage(polygon, two_grade_raster, params(thickness=7.5, density=2.4, cutoff=0.1))
    coarse = make_raster(np.full((15, 20), 7.5), transform=from_origin(ORIGIN_X - 35, ORIGIN_Y + 25, 20, 20))
    to_wgs = pyproj.Transformer.from_crs(EQUAL_AREA, 4326, always_xy=True)
    west, north = to_wgs.transform(ORIGIN_X - 100, ORIGIN_Y + 100)
    density = make_raster(
        np.full((40, 60), 2.4, dtype=np.float32), crs="EPSG:4326", transform=from_origin(west, north, 0.0001, 0.0001)
    )
    result = estimate_tonnage(
        polygon, two_grade_raster, TonnageParams(thickness_raster=coarse, density_raster=density, cutoff=0.1)
    )
    assert result.ore_tonnes == pytest.approx(expected.ore_tonnes, rel=1e-6)
    assert result.ore_volume_m3 == pytest.approx(expected.ore_volume_m3, rel=1e-9)
    assert result.treo_tonnes == pytest.approx(expected.treo_tonnes, rel=1e-6)
    assert result.data_coverage == pytest.approx(1.0)


def test_thickness_nodata_is_not_smeared_and_lowers_coverage(make_raster, two_grade_raster):
    thickness = np.full((20, 30), 5.0)
    thickness[:, :10] = -1.0  # nodata over the first 100 m
    path = make_raster(thickness, nodata=-1.0)
    result = estimate_tonnage(local_box(50, 0, 150, 100), two_grade_raster, TonnageParams(thickness_raster=path))
    assert result.covered_area_m2 == pytest.approx(5000.0)
    assert result.ore_volume_m3 == pytest.approx(5000.0 * 5.0)  # no cell mixes 5 m with the nodata value
    assert any("grade and thickness data" in w for w in result.warnings)


def test_tiled_processing_matches_a_single_tile(make_raster, recorded_reads):
    rng = np.random.default_rng(3)
    grade = rng.uniform(0.0, 0.3, (64, 80))
    single = make_raster(grade)
    tiled = make_raster(grade, tiled=True, block=16)
    angles = np.linspace(0, 2 * np.pi, 300, endpoint=False)
    radius = 230 + 60 * np.sin(7 * angles)
    polygon = Polygon(np.c_[ORIGIN_X + 400 + radius * np.cos(angles), ORIGIN_Y - 320 + radius * np.sin(angles)])
    cutoffs = [0.0, 0.05, 0.1, 0.2]
    expected = grade_tonnage_curve(polygon, single, cutoffs, params())
    windows = recorded_reads
    for path in (single, tiled):
        windows.clear()
        curve = grade_tonnage_curve(polygon, path, cutoffs, params(), limits=EngineLimits(tile_cells=100))
        assert len(windows) > 10 and max(int(w.width) * int(w.height) for w in windows) <= 100
        for got, want in zip(curve, expected):
            assert got.ore_tonnes == pytest.approx(want.ore_tonnes, rel=1e-12)
            assert got.treo_tonnes == pytest.approx(want.treo_tonnes, rel=1e-12)
    assert expected[0].ore_area_m2 == pytest.approx(polygon.area, rel=1e-12)


def test_result_to_dict_is_json_ready(two_grade_raster):
    result = estimate_tonnage(local_box(0, 0, 100, 100), two_grade_raster, params())
    data = json.loads(json.dumps(result.to_dict()))
    assert data["ore_tonnes"] == pytest.approx(result.ore_tonnes)
    assert set(data) == set(TonnageResult.__dataclass_fields__)
    overflowed = replace(result, treo_tonnes=math.inf, mean_grade=math.nan)  # warned as an overflow
    data = json.loads(json.dumps(overflowed.to_dict(), allow_nan=False))  # inf was left in: not JSON
    assert data["treo_tonnes"] is None and data["mean_grade"] is None


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(density=-1.0), "density"),
        (dict(thickness=float("nan")), "thickness"),
        (dict(cutoff=-0.1), "cutoff"),
        (dict(thickness=None), "thickness"),
        (dict(thickness_raster="t.tif"), "thickness"),
        (dict(grade_unit="g/t"), "grade_unit"),
        (dict(grade_band=2), "grade_band"),
    ],
)
def test_bad_parameters_are_named(two_grade_raster, kwargs, words):
    with pytest.raises(TonnageInputError, match=words):
        estimate_tonnage(local_box(0, 0, 10, 10), two_grade_raster, params(**kwargs))


def test_bad_inputs_name_the_file(tmp_path, make_raster, two_grade_raster):
    polygon = local_box(0, 0, 10, 10)
    missing = tmp_path / "missing.tif"
    with pytest.raises(TonnageInputError, match=r"missing\.tif"):
        estimate_tonnage(polygon, missing, params())
    text = tmp_path / "notes.tif"
    text.write_text("not a raster")
    with pytest.raises(TonnageInputError, match=r"notes\.tif"):
        estimate_tonnage(polygon, text, params())
    with pytest.raises(TonnageInputError, match=r"thickness raster.*missing\.tif"):
        estimate_tonnage(polygon, two_grade_raster, TonnageParams(thickness_raster=missing))
    no_crs = make_raster(np.ones((3, 3)), crs=None, name="no_crs.tif")
    with pytest.raises(TonnageInputError, match=r"no_crs\.tif.*no CRS"):
        estimate_tonnage(polygon, no_crs, params(), polygon_crs="EPSG:32643")
    with pytest.raises(TonnageInputError, match="empty"):
        estimate_tonnage("POLYGON EMPTY", two_grade_raster, params())
    with pytest.raises(TonnageInputError, match="polygon_crs"):
        estimate_tonnage(polygon, two_grade_raster, params(), polygon_crs="EPSG:999999")
    with pytest.raises(TonnageInputError, match="cutoffs"):
        grade_tonnage_curve(polygon, two_grade_raster, [0.1, -1.0], params())


def test_reopening_to_bound_the_block_cache_changes_nothing(make_raster):
    rng = np.random.default_rng(5)
    grade = rng.uniform(0.0, 0.3, (64, 80)).astype(np.float32)
    thickness = make_raster(rng.uniform(1.0, 9.0, (64, 80)), tiled=True, block=16)
    path = make_raster(grade, tiled=True, block=16)
    polygon = Polygon(
        [
            (ORIGIN_X + 5, ORIGIN_Y - 5),
            (ORIGIN_X + 777, ORIGIN_Y - 33),
            (ORIGIN_X + 701, ORIGIN_Y - 612),
            (ORIGIN_X + 40, ORIGIN_Y - 590),
        ]
    )
    with_raster = TonnageParams(thickness_raster=thickness)
    expected = grade_tonnage_curve(polygon, path, [0.0, 0.1], with_raster)
    reopening = EngineLimits(tile_cells=256, cache_budget=1024)  # reopen after every tile or so
    got = grade_tonnage_curve(polygon, path, [0.0, 0.1], with_raster, limits=reopening)
    for a, b in zip(got, expected):
        assert a.to_dict() == pytest.approx(b.to_dict(), rel=1e-12)


def test_a_raster_rewritten_in_place_is_read_again(make_raster):
    polygon = box(ORIGIN_X, ORIGIN_Y - 100, ORIGIN_X + 100, ORIGIN_Y)
    path = make_raster(np.full((10, 10), 0.1, dtype=np.float32), name="rewritten.tif")
    with tonnage.reusing_open_rasters():
        assert estimate_tonnage(polygon, path, params()).mean_grade == pytest.approx(0.1)
        make_raster(np.full((10, 10), 0.3, dtype=np.float32), name="rewritten.tif")  # at once
        assert estimate_tonnage(polygon, path, params()).mean_grade == pytest.approx(0.3)
    # Outside a reusing block, from the thread's cache, as in a plain loop.
    assert estimate_tonnage(polygon, path, params()).mean_grade == pytest.approx(0.3)
    make_raster(np.full((10, 10), 0.5, dtype=np.float32), name="rewritten.tif")
    assert estimate_tonnage(polygon, path, params()).mean_grade == pytest.approx(0.5)


def test_a_rewrite_within_the_timestamp_granularity_is_seen(make_raster, monkeypatch):
    """On a file system with whole-second times (FAT: 2 s) a rewrite of the same size within the same tick
    leaves inode, size, mtime and ctime as they were: a file that recent when opened is opened again."""
    real_stat = os.stat

    def coarse_stat(path, *args, **kwargs):
        info = real_stat(path, *args, **kwargs)
        whole = 2_000_000_000
        return types.SimpleNamespace(
            st_mode=info.st_mode,
            st_ino=info.st_ino,
            st_size=info.st_size,
            st_mtime_ns=info.st_mtime_ns // whole * whole,
            st_ctime_ns=info.st_ctime_ns // whole * whole,
        )

    polygon = box(ORIGIN_X, ORIGIN_Y - 100, ORIGIN_X + 100, ORIGIN_Y)
    path = make_raster(np.full((10, 10), 0.1, dtype=np.float32), name="coarse.tif")
    monkeypatch.setattr(tonnage.os, "stat", coarse_stat)
    assert estimate_tonnage(polygon, path, params()).mean_grade == pytest.approx(0.1)
    make_raster(np.full((10, 10), 0.3, dtype=np.float32), name="coarse.tif")
    assert estimate_tonnage(polygon, path, params()).mean_grade == pytest.approx(0.3)


def test_a_plain_loop_opens_settled_rasters_once(make_raster, monkeypatch):
    grade = make_raster(np.full((10, 10), 0.2, dtype=np.float32))
    old = time.time_ns() - 10_000_000_000
    os.utime(grade, ns=(old, old))
    opened = []
    real_open = tonnage.rasterio.open

    def counting_open(*args, **kwargs):
        opened.append(args[0])
        return real_open(*args, **kwargs)

    monkeypatch.setattr(tonnage.rasterio, "open", counting_open)
    polygon = box(ORIGIN_X, ORIGIN_Y - 100, ORIGIN_X + 100, ORIGIN_Y)
    # ctime cannot be set back: allow for it with a granularity below its age
    settled = EngineLimits(timestamp_granularity_ns=0)
    for _ in range(20):
        assert estimate_tonnage(polygon, grade, params(), limits=settled).mean_grade == pytest.approx(0.2)
    assert len(opened) == 1


def test_rasters_stay_open_only_inside_a_reusing_block(make_raster, monkeypatch):
    opened = []
    real_open = tonnage.rasterio.open

    def counting_open(*args, **kwargs):
        dataset = real_open(*args, **kwargs)
        opened.append(dataset)
        return dataset

    grade = make_raster(np.full((10, 10), 0.2, dtype=np.float32))
    thickness = make_raster(np.full((10, 10), 3.0, dtype=np.float32))
    monkeypatch.setattr(tonnage.rasterio, "open", counting_open)
    polygon = box(ORIGIN_X, ORIGIN_Y - 100, ORIGIN_X + 100, ORIGIN_Y)
    with_raster = TonnageParams(thickness_raster=thickness)
    expected = estimate_tonnage(polygon, grade, with_raster)
    assert len(opened) == 2 and not any(dataset.closed for dataset in opened)  # kept by this thread
    tonnage.close_cached_rasters()
    assert all(dataset.closed for dataset in opened)
    settled = EngineLimits(timestamp_granularity_ns=0)  # files just written are otherwise reopened each time
    with tonnage.reusing_open_rasters():
        for _ in range(5):
            assert estimate_tonnage(polygon, grade, with_raster, limits=settled) == expected
        assert len(opened) == 4 and not any(dataset.closed for dataset in opened[2:])
    assert all(dataset.closed for dataset in opened)


def test_one_virtual_file_as_grade_and_thickness():
    """Paths GDAL reads but the OS cannot stat (/vsimem, URLs) are opened once per estimate and shared."""
    from rasterio.io import MemoryFile

    with MemoryFile() as memory:
        with memory.open(
            driver="GTiff",
            width=4,
            height=4,
            count=1,
            dtype="float64",
            crs=EQUAL_AREA,
            transform=from_origin(ORIGIN_X, ORIGIN_Y, 10.0, 10.0),
        ) as dataset:
            dataset.write(np.full((1, 4, 4), 2.0))
        polygon = box(ORIGIN_X, ORIGIN_Y - 40, ORIGIN_X + 40, ORIGIN_Y)
        result = estimate_tonnage(polygon, memory.name, TonnageParams(thickness_raster=memory.name, density=1.0))
    assert result.ore_tonnes == pytest.approx(1600.0 * 2.0)
    assert result.mean_grade == pytest.approx(2.0)


def test_batch_equals_one_by_one_in_order_with_bad_polygons_in_their_place(make_raster):
    rng = np.random.default_rng(11)
    grade = make_raster(rng.uniform(0.0, 0.3, (64, 80)), tiled=True, block=16)
    polygons = [random_star(rng, (0, 700), (0, 560), (20, 160), 9) for _ in range(12)]
    caller_error = TonnageInputError("feature 7: not a polygon")
    batch = [*polygons[:3], "POLYGON EMPTY", *polygons[3:6], caller_error, *polygons[6:]]
    several = EngineLimits(tile_cells=300)  # several tiles per polygon: reads run ahead across them
    got = list(tonnage.grade_tonnage_curves(batch, grade, [0.0, 0.1], params(), limits=several))
    assert len(got) == len(batch)
    assert isinstance(got[3], TonnageInputError) and "empty" in str(got[3]).lower()
    assert got[7] is caller_error
    expected = [grade_tonnage_curve(polygon, grade, [0.0, 0.1], params(), limits=several) for polygon in polygons]
    for mine, want in zip([item for item in got if not isinstance(item, TonnageInputError)], expected):
        assert [r.to_dict() for r in mine] == [r.to_dict() for r in want]


def test_batch_raises_for_a_bad_raster(tmp_path):
    with pytest.raises(TonnageInputError, match="file not found"):
        list(tonnage.grade_tonnage_curves([box(0, 0, 1, 1)], tmp_path / "missing.tif", [0.0], params()))


def test_a_one_strip_raster_is_still_read_in_bounded_tiles(tmp_path, recorded_reads):
    grade = np.random.default_rng(4).uniform(0.0, 0.3, (60, 50))
    path = tmp_path / "one_strip.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=50,
        height=60,
        count=1,
        dtype="float64",
        crs="EPSG:32643",
        transform=from_origin(ORIGIN_X, ORIGIN_Y, 10.0, 10.0),
        blockysize=60,
    ) as dst:
        dst.write(grade[None])
    with rasterio.open(path) as src:
        block_h, block_w = src.block_shapes[0]
    assert block_h * block_w > 500  # one block holds more than the tile budget set below
    polygon = box(ORIGIN_X + 3, ORIGIN_Y - 587, ORIGIN_X + 496, ORIGIN_Y - 4)
    expected = estimate_tonnage(polygon, path, params())
    recorded_reads.clear()
    got = estimate_tonnage(polygon, path, params(), limits=EngineLimits(tile_cells=500))
    sizes = [int(window.width) * int(window.height) for window in recorded_reads]
    assert max(sizes) <= 500 and len(sizes) > 1
    assert got.to_dict() == pytest.approx(expected.to_dict(), rel=1e-12)


def test_cancel_stops_inside_one_large_polygon_between_tiles(make_raster, recorded_reads):
    grade = make_raster(np.full((200, 200), 0.2, dtype=np.float32), tiled=True, block=16)
    polygon = local_box(0, 0, 2000, 2000)
    reads = recorded_reads
    small = EngineLimits(tile_cells=256)
    whole = len(list(tonnage.grade_tonnage_curve(polygon, grade, [0.0], params(), limits=small))) and len(reads)
    assert whole > 100
    asked = iter(range(10**6))
    reads.clear()
    with pytest.raises(tonnage.TonnageCancelled):
        estimate_tonnage(polygon, grade, params(), limits=small, cancelled=lambda: next(asked) >= 5)
    assert len(reads) < 5 + 2 * small.read_ahead_tiles  # stopped within the read-ahead, not at the end
    reads.clear()
    with pytest.raises(tonnage.TonnageCancelled):
        list(
            tonnage.grade_tonnage_curves(
                [polygon, polygon], grade, [0.0], params(), limits=small, cancelled=lambda: True
            )
        )
    with pytest.raises(tonnage.TonnageCancelled):
        tonnage.area_cells(polygon, grade, params(), cancelled=lambda: True)


def test_cancel_is_asked_while_a_polygon_of_many_vertices_is_prepared(make_raster, recorded_reads, monkeypatch):
    """A lon/lat polygon of a million vertices took 3 s to follow into the raster's CRS before the first tile,
    and cancel was first asked then: it is asked between blocks of edges (here of 64) and stops before any read."""
    from rare_earth_plugin.core import geometry

    monkeypatch.setattr(geometry, "_CHECKED_EDGES", 64)
    grade = make_raster(np.full((200, 200), 0.2, dtype=np.float32))
    ring = densify_coords(np.asarray(local_box(100, 100, 1900, 1900).exterior.coords), 5.0)  # 1,440 edges
    lon, lat = pyproj.Transformer.from_crs(EQUAL_AREA, "EPSG:4326", always_xy=True).transform(ring[:, 0], ring[:, 1])
    asked = []

    def cancelled() -> bool:
        asked.append(len(recorded_reads))
        return len(asked) >= 3

    with pytest.raises(tonnage.TonnageCancelled):
        estimate_tonnage(Polygon(zip(lon, lat)), grade, params(), polygon_crs="EPSG:4326", cancelled=cancelled)
    assert asked == [0, 0, 0]


def test_a_polygon_of_many_vertices_gives_what_the_same_outline_with_few_gives(make_raster, monkeypatch):
    """Rings kept from the bounds for the edges (small polygons) or taken again (above the kept vertices): the
    same figures, with a hole and two parts."""
    from rare_earth_plugin.core import tonnage_tiles

    rng = np.random.default_rng(8)
    path = make_raster(rng.uniform(0.05, 0.3, (60, 70)))
    shell = random_star(rng, (349.0, 351.0), (299.0, 301.0), (150.0, 240.0), 40)
    polygon = MultiPolygon(
        [
            shell.difference(box(ORIGIN_X + 330.0, ORIGIN_Y - 320.0, ORIGIN_X + 370.0, ORIGIN_Y - 280.0)),
            box(ORIGIN_X + 620.0, ORIGIN_Y - 580.0, ORIGIN_X + 690.0, ORIGIN_Y - 500.0),
        ]
    )
    kept = estimate_tonnage(polygon, path, TonnageParams(cutoff=0.1, thickness=10.0))
    monkeypatch.setattr(tonnage_tiles, "_KEPT_VERTICES", 10)
    taken_again = estimate_tonnage(polygon, path, TonnageParams(cutoff=0.1, thickness=10.0))
    assert asdict(taken_again) == pytest.approx(asdict(kept), rel=1e-12)
    assert kept.ore_tonnes > 0


@pytest.mark.parametrize(
    ("window", "words"),
    [
        (dict(top_depth=50.0, max_depth=30.0), "(top of mineralisation 50 m below surface; counted to 30 m depth)"),
        (dict(min_depth=5000.0), "(top of mineralisation 0 m below surface; counted below 5000 m depth)"),
        (
            dict(top_depth=20.0, min_depth=5.0, max_depth=10.0),
            "(top of mineralisation 20 m below surface; counted between 5 m and 10 m depth)",
        ),
    ],
)
@pytest.mark.parametrize("thickness_raster", [False, True])
def test_a_depth_window_that_holds_none_of_the_mineralisation_is_warned(make_raster, window, words, thickness_raster):
    """A top of mineralisation at 50 m with a maximum depth of 30 m gave 0 t without a word, as if the area held
    no ore; a window that holds some of it, or a thickness of 0 (told on its own), says nothing of the window."""
    polygon = local_box(0.0, 0.0, 300.0, 200.0)
    grade = make_raster(np.full((20, 30), 0.25))
    thickness = {"thickness": None, "thickness_raster": make_raster(np.full((20, 30), 10.0))}
    given = thickness if thickness_raster else {"thickness": 10.0}
    result = estimate_tonnage(polygon, grade, params(**given, **window))
    assert result.ore_tonnes == 0.0
    (warning,) = [w for w in result.warnings if "depth window" in w]
    assert warning.startswith("No mineralisation lies within the depth window") and words in warning
    held = estimate_tonnage(polygon, grade, params(**given, top_depth=25.0, max_depth=30.0))
    assert held.ore_tonnes > 0 and not [w for w in held.warnings if "depth window" in w]
    zero = estimate_tonnage(polygon, grade, params(thickness=0.0, **window))
    assert not [w for w in zero.warnings if "depth window" in w] and "The thickness is 0" in zero.warnings[0]
