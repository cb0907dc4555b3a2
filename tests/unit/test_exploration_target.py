"""Exploration targets from cells: cases and percentiles against closed forms and an independent numeric
integration of the product of triangular variates; the fast per-draw sums against brute force."""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

from rare_earth_plugin.core import target_sums
from rare_earth_plugin.core.exploration_target import (
    CONVENTION,
    target_from_cells,
    target_plan,
)
from rare_earth_plugin.core.target_ranges import RangeError, TargetRanges, Triangular
from rare_earth_plugin.core.target_sums import AreaSums, DrawSet
from rare_earth_plugin.core.target_text import no_target_reason
from rare_earth_plugin.core.tonnage import TonnageInputError, TonnageParams


@dataclass
class Cells:
    """Hand-made stand-in for ``tonnage.area_cells``'s result."""

    area_m2: np.ndarray
    grade: np.ndarray
    thickness: np.ndarray
    top: np.ndarray
    density: np.ndarray
    polygon_area_m2: float = 0.0
    data_coverage: float = 1.0
    warnings: tuple = ()
    grade_unit: str = "percent"
    min_depth: float | None = None
    max_depth: float | None = None
    cutoff: float = 0.0
    treo_to_tree: float = 1 / 1.2
    reach: float = 1.0


def cells(n=100, grade=0.2, thickness=30.0, top=0.0, density=2.6, area=2500.0, **kwargs) -> Cells:
    full = [
        np.full(n, float(value)) if np.ndim(value) == 0 else np.asarray(value, dtype=float)
        for value in (area, grade, thickness, top, density)
    ]
    return Cells(*full, polygon_area_m2=float(full[0].sum()), **kwargs)


CONSTANT = TonnageParams(thickness=30.0, density=2.6)


def linear_sums(draws: DrawSet, weight, grade, reach=1.0):
    """Per draw: Σ weight and Σ weight x grade over the cells reaching its threshold, from one tile."""
    sums = AreaSums(draws)
    sums.add_linear(weight, grade, reach)
    return sums.totals(1.0)


def draw_sums(draws: DrawSet, weight, grade, thickness, top, min_depth, max_depth, reach=1.0):
    """Per draw: tonnes and tonnes x grade per unit density multiplier, from one tile."""
    sums = AreaSums(draws)
    sums.add_window(weight, grade, thickness, top, min_depth, max_depth, reach)
    return sums.totals(draws.t)


def overlap(top, thickness, low, high):
    """Independent closed form of the counted thickness: overlap of [top, top+thickness] and [low, high]."""
    low = -math.inf if low is None else low
    high = math.inf if high is None else high
    return max(0.0, min(top + thickness, high) - max(top, low))


# ------------------------------------------------------------------------------------------------ cases


def test_cases_scale_exactly_with_density_and_thickness_on_a_constant_grade():
    c = cells(n=40, grade=0.2, thickness=30.0, area=2500.0, cutoff=0.05)
    target = target_from_cells(c, CONSTANT, draws=2000, seed=1)
    volume = 40 * 2500.0 * 30.0
    for case, d, t, f in ((target.low, 2.5, 0.8, 0.85), (target.base, 2.6, 1.0, 1.0), (target.high, 2.7, 1.2, 1.15)):
        assert case.ore_tonnes == pytest.approx(volume * d * t, rel=1e-12)
        assert case.mean_grade == pytest.approx(0.2 * f, rel=1e-12)
        assert case.treo_tonnes == pytest.approx(volume * d * t * 0.2 * f / 100, rel=1e-12)
        assert case.tree_tonnes == pytest.approx(case.treo_tonnes / 1.2, rel=1e-12)


def test_grade_factor_moves_cells_across_the_fixed_cutoff():
    # 0.09 % reaches a 0.1 % cut-off only when the grade factor exceeds 1/0.9; 0.12 % falls below at f < 0.833.
    c = cells(n=2, grade=[0.09, 0.12], area=100.0, thickness=10.0, cutoff=0.1)
    target = target_from_cells(c, TonnageParams(thickness=10.0), draws=100_000, seed=3)
    one = 100.0 * 10.0
    assert target.low.ore_tonnes == pytest.approx(one * 0.8 * 2.5)  # 0.12 x 0.85 = 0.102 only
    assert target.base.ore_tonnes == pytest.approx(one * 2.6)
    assert target.high.ore_tonnes == pytest.approx(2 * one * 1.2 * 2.7)  # 0.09 x 1.15 = 0.1035 joins
    assert target.high.mean_grade == pytest.approx((0.09 + 0.12) / 2 * 1.15)
    # Closed form: P(F > 1/0.9) for F ~ Tri(0.85, 1, 1.15) = (1.15 - x)^2 / ((1.15 - 0.85)(1.15 - 1)).
    x = 0.1 / 0.09
    expected = (1.15 - x) ** 2 / (0.3 * 0.15)
    assert target.p50.mean_grade == pytest.approx(0.12, rel=0.02)
    # One-cell draws hold at most 0.447 t TREO, two-cell draws at least 0.467 t: the share above the first
    # is the share of draws in which the low-grade cell joins.
    treo_one_max = one * 2.7 * 1.2 * 0.12 * 1.15 / 100
    sigma = math.sqrt(expected * (1 - expected) / 100_000)
    assert abs(target.exceedance(treo_one_max) - expected) < 5 * sigma
    assert target.no_ore_share == 0.0


def test_no_cell_above_the_cutoff_gives_zero_tonnes_and_no_grade():
    c = cells(n=5, grade=0.01, cutoff=0.5)
    target = target_from_cells(c, CONSTANT, draws=500, seed=1)
    assert target.high.ore_tonnes == 0 and math.isnan(target.high.mean_grade)
    assert target.p10.ore_tonnes == 0 and math.isnan(target.p10.mean_grade)
    assert target.no_ore_share == 1.0
    assert json.dumps(target.to_dict())  # NaN became None


def test_ore_above_the_cutoff_but_below_the_window_is_said_to_lie_outside_it():
    """Rich cells whose ore starts at 50 m, counted to 40 m: no draw has ore, and the reason names the window (it
    said 'no cell reaches the cut-off', which they all do)."""
    c = cells(n=5, grade=0.5, thickness=10.0, top=50.0, cutoff=0.1, max_depth=40.0)
    params = TonnageParams(thickness_raster="t.tif", top_depth_raster="top.tif", max_depth=40.0, cutoff=0.1)
    target = target_from_cells(c, params, draws=500, seed=1)
    assert target.no_ore_share == 1.0 and target.high.ore_tonnes == 0 and target.reaches_cutoff
    assert no_target_reason(target) == "no draw has ore above the cut-off within the depth window"


@pytest.mark.parametrize(
    "grade, thickness, reaches",
    [(0.5, 0.0, True), (0.01, 10.0, False), ([0.01, 0.5], [10.0, 0.0], True), ([0.01, 0.08], 10.0, True)],
)
def test_a_target_knows_whether_any_cell_reaches_the_cutoff(grade, thickness, reaches):
    """Zero thickness under rich cells read 'no cell reaches the cut-off'. A grade of 0.08 reaches the cut-off of
    0.09 in the draws whose grade factor is above 1.125 (the default range goes to 1.15)."""
    c = cells(n=2, grade=grade, thickness=thickness, cutoff=0.09)
    params = TonnageParams(thickness_raster="t.tif", cutoff=0.09)
    target = target_from_cells(c, params, draws=300, seed=1)
    assert target.reaches_cutoff is reaches


def test_density_raster_is_scaled_by_the_range_around_its_likely_value():
    density = np.linspace(2.4, 2.8, 50)
    c = cells(n=50, density=density, grade=0.3)
    params = TonnageParams(thickness=30.0, density_raster="density.tif")
    target = target_from_cells(c, params, TargetRanges(density=Triangular(2.0, 2.5, 3.0)), draws=100, seed=2)
    base = float((2500.0 * 30.0 * density).sum())
    assert target.density_is_factor
    assert target.base.ore_tonnes == pytest.approx(base)
    assert target.low.ore_tonnes == pytest.approx(base * 0.8 * 0.8)  # density x 2.0/2.5, thickness x 0.8
    assert target.high.ore_tonnes == pytest.approx(base * 1.2 * 1.2)


def test_engine_factors_multiply_under_the_ranges():
    c = cells(n=10, grade=0.2, thickness=40.0, cutoff=0.3)
    target = target_from_cells(
        c, TonnageParams(thickness=40.0, thickness_factor=0.5, grade_factor=2.0), draws=100, seed=1
    )
    assert target.base.ore_tonnes == pytest.approx(10 * 2500.0 * 20.0 * 2.6)
    assert target.base.mean_grade == pytest.approx(0.4)


# ------------------------------------------------------------------------------------------ depth window


@pytest.mark.parametrize(
    "top, thickness, low, high",
    [
        (20.0, 50.0, None, 60.0),  # base 70 m reaches past the window's bottom
        (20.0, 50.0, 30.0, None),  # cover of 30 m removed
        (40.0, 25.0, 45.0, 70.0),  # both limits cut
        (80.0, 10.0, None, 75.0),  # wholly below the window
        (0.0, 100.0, 10.0, 300.0),
    ],
)
def test_depth_window_cases_match_the_closed_form(top, thickness, low, high):
    c = cells(n=3, grade=0.2, thickness=thickness, top=top, area=400.0, min_depth=low, max_depth=high)
    target = target_from_cells(c, TonnageParams(thickness=thickness), draws=1000, seed=5)
    for case, d, t in ((target.low, 2.5, 0.8), (target.base, 2.6, 1.0), (target.high, 2.7, 1.2)):
        counted = overlap(top, thickness * t, low, high)
        assert case.ore_tonnes == pytest.approx(3 * 400.0 * counted * d, rel=1e-12, abs=1e-9)


def test_depth_window_on_varying_top_and_thickness_cells():
    rng = np.random.default_rng(11)
    top, thickness = rng.uniform(0, 120, 200), rng.uniform(0, 80, 200)
    c = cells(
        n=200,
        grade=rng.uniform(0.05, 0.3, 200),
        thickness=thickness,
        top=top,
        area=625.0,
        min_depth=15.0,
        max_depth=100.0,
        cutoff=0.1,
    )
    target = target_from_cells(c, TonnageParams(thickness=1.0), draws=100, seed=5)
    for case, d, t, f in ((target.low, 2.5, 0.8, 0.85), (target.high, 2.7, 1.2, 1.15)):
        tonnes = [625.0 * overlap(a, b * t, 15.0, 100.0) * d for a, b in zip(top, thickness)]
        ore = [w for w, g in zip(tonnes, c.grade) if g * f >= 0.1]
        assert case.ore_tonnes == pytest.approx(sum(ore), rel=1e-12)


@pytest.mark.parametrize("seed", [3, 6, 11])
def test_draws_without_ore_in_a_window_hold_exactly_none(seed):
    """Ramps that enter the window and leave it cancel in the sums: a draw without ore must read 0 t and no grade,
    not the rounding left over (the low case here read 1.8e-12 t at grade 0, and no draw counted as empty)."""
    rng = np.random.default_rng(seed)
    n = 64
    grade, thickness, top = rng.uniform(0.09, 0.115, n), rng.uniform(5, 60, n), rng.uniform(0, 150, n)
    c = cells(n=n, grade=grade, thickness=thickness, top=top, area=100.0, min_depth=30.0, max_depth=100.0, cutoff=0.1)
    target = target_from_cells(c, TonnageParams(thickness=1.0), draws=10_000, seed=seed)
    assert target.low.ore_tonnes == 0.0 and math.isnan(target.low.mean_grade)  # 0.85 x every grade < 0.1
    plan = target_plan(TonnageParams(thickness=1.0, cutoff=0.1), None, 10_000, seed)
    t, f = plan.t[:-3, None], plan.f[:-3, None]  # per draw (rows) and cell (columns), by numpy alone
    counted = np.clip(np.minimum(top + thickness * t, 100.0) - np.maximum(top, 30.0), 0.0, None)
    weight = counted * (grade * f >= 0.1)
    ore = weight.sum(axis=1)
    assert target.no_ore_share == np.count_nonzero(ore == 0) / ore.size > 0
    has_ore = ore > 0
    grades = (weight * grade).sum(axis=1)[has_ore] / ore[has_ore] * f[has_ore, 0]
    expected = np.quantile(grades, [0.1, 0.5, 0.9])
    assert [target.p90.mean_grade, target.p50.mean_grade, target.p10.mean_grade] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("window", [(None, None), (20.0, None), (None, 90.0), (30.0, 90.0), (200.0, 210.0)])
def test_fast_draw_sums_equal_brute_force(window):
    rng = np.random.default_rng(7)
    n, draws = 1500, 600
    weight, grade = rng.uniform(0, 5, n), rng.uniform(0, 0.3, n)
    thickness, top = rng.uniform(0, 60, n), rng.uniform(0, 120, n)
    thickness[:40] = 0.0
    t = rng.uniform(0.5, 1.6, draws)
    theta = 0.1 / rng.uniform(0.8, 1.2, draws)
    ore, metal = draw_sums(DrawSet(t, theta), weight, grade, thickness, top, *window)
    for j in range(0, draws, 7):
        counted = np.array([overlap(a, b * t[j], *window) for a, b in zip(top, thickness)])
        ok = grade >= theta[j]
        assert ore[j] == pytest.approx(float((weight * counted)[ok].sum()), rel=1e-9, abs=1e-9)
        assert metal[j] == pytest.approx(float((weight * counted * grade)[ok].sum()), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("huge", [1e12, 1e20, 3e38])
@pytest.mark.parametrize("window", [(None, 8.0), (2.0, 8.0), (2.0, 2.01)])
def test_a_cell_far_thicker_than_the_window_leaves_the_others_their_tonnes(huge, window):
    """One cell of 1e20 m (a fill value a raster does not declare) under a depth window counts only the window's
    height, but as a rise and a fall of area x 1e20 that cancel it left every other cell's tonnes to rounding:
    every case and percentile read 0 t where the estimate gave 15.6 Mt. Cells whose ore fills the window in
    every draw now count its height, whatever their thickness; the others are checked draw by draw."""
    rng = np.random.default_rng(5)
    n, draws = 400, 2000
    weight, grade = rng.uniform(50, 150, n), rng.uniform(0.05, 0.3, n)
    thickness, top = rng.uniform(0, 12, n), rng.uniform(0, 9, n)
    thickness[:3], top[:3] = huge, (0.0, 1.0, 3.0)
    t = rng.uniform(0.8, 1.2, draws)
    theta = 0.1 / rng.uniform(0.85, 1.15, draws)
    ore, metal = draw_sums(DrawSet(t, theta), weight, grade, thickness, top, *window)
    low = -np.inf if window[0] is None else window[0]
    counted = np.clip(np.minimum(top + thickness * t[:, None], window[1]) - np.maximum(top, low), 0.0, None)
    ok = grade >= theta[:, None]
    assert (ore > 0).all()
    assert ore == pytest.approx((weight * counted * ok).sum(axis=1), rel=1e-9)
    assert metal == pytest.approx((weight * counted * ok * grade).sum(axis=1), rel=1e-9)


def test_a_target_over_a_fill_value_thickness_in_a_window_equals_the_closed_form():
    """The check's case: 101 cells of 100 m2 at 10 m, one at 1e20 m, counted from 2 to 8 m: 101 x 100 x 6 m
    x the density, in every case and draw (the thickness factor's 0.8-1.2 leaves every cell filling the
    window)."""
    thickness = np.full(101, 10.0)
    thickness[0] = 1e20
    c = cells(n=101, grade=0.5, thickness=thickness, area=100.0, min_depth=2.0, max_depth=8.0, cutoff=0.1)
    target = target_from_cells(c, TonnageParams(thickness=1.0), draws=1000, seed=1)
    for case, density in ((target.low, 2.5), (target.base, 2.6), (target.high, 2.7)):
        assert case.ore_tonnes == pytest.approx(101 * 100 * 6.0 * density, rel=1e-12)
    assert target.no_ore_share == 0.0 and target.p90.ore_tonnes > 101 * 100 * 6.0 * 2.5


@pytest.mark.parametrize("window", [(None, 90.0), (30.0, 90.0)])
def test_draw_sums_stay_exact_beyond_46341_draws(window):
    """Draws x draws passes 2**31 at 46,341 draws: the window's dominance sums then overflowed int32 and a
    DRAWS of 100,000 gave a base case 0.8 % high (1,000,000: 2.7 %)."""
    rng = np.random.default_rng(3)
    n, draws = 200, 60_000
    weight, grade = rng.uniform(0, 5, n), rng.uniform(0, 0.3, n)
    thickness, top = rng.uniform(10, 60, n), rng.uniform(0, 120, n)
    t = rng.uniform(0.5, 1.6, draws)
    theta = 0.1 / rng.uniform(0.8, 1.2, draws)
    ore, metal = draw_sums(DrawSet(t, theta), weight, grade, thickness, top, *window)
    counted = np.clip(
        np.minimum(top + thickness * t[:, None], window[1]) - np.maximum(top, window[0] or -np.inf), 0.0, None
    )
    ok = grade >= theta[:, None]
    assert ore == pytest.approx((weight * counted * ok).sum(axis=1), rel=1e-9, abs=1e-9)
    assert metal == pytest.approx((weight * counted * ok * grade).sum(axis=1), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("window", [(None, None), (30.0, 90.0)])
@pytest.mark.parametrize("cells_at_a_time", [None, 256])
def test_sums_binned_per_tile_add_up_across_tiles_to_brute_force(window, cells_at_a_time, monkeypatch):
    """An area streamed as tiles of different kinds (all or most cells above every threshold, summed under a
    mask; a few, binned with the rest; few cells above the lowest threshold; float32 grades; ramps of every
    kind), whose per-count bins are summed over the tiles and turned into per-draw sums once, against the
    per-cell evaluation of every draw; also with every tile summed in several slices."""
    if cells_at_a_time is not None:
        monkeypatch.setattr(target_sums, "_SLICE", cells_at_a_time)
    rng = np.random.default_rng(12)
    t, theta = rng.uniform(0.5, 1.6, 700), 0.1 / rng.uniform(0.8, 1.2, 700)
    draws = DrawSet(t, theta)
    sums = AreaSums(draws)
    tiles = []
    kinds = ((0.13, 0.3, "float64"), (0.0, 0.13, "float32"), (0.0, 0.1, "float64"), (0.05, 0.3, "float32"))
    for low, high, dtype in kinds:
        n = 900
        tile = (
            rng.uniform(0, 5, n),
            rng.uniform(low, high, n).astype(dtype),
            rng.uniform(1, 60, n),
            rng.uniform(0, 120, n),
        )
        tiles.append(tile)
        if window == (None, None):
            sums.add_linear(tile[0] * tile[2], tile[1], 1.0)
        else:
            sums.add_window(*tile, *window, 1.0)
    ore, metal = sums.totals(draws.t)
    weight, grade, thickness, top = (np.concatenate(parts) for parts in zip(*tiles))
    grade = grade.astype(np.float64)
    for j in range(0, draws.size, 5):
        counted = np.array([overlap(a, b * t[j], *window) for a, b in zip(top, thickness)])
        ok = grade >= theta[j]
        assert ore[j] == pytest.approx(float((weight * counted)[ok].sum()), rel=1e-9)
        assert metal[j] == pytest.approx(float((weight * counted * grade)[ok].sum()), rel=1e-9)


# ------------------------------------------------------------------------------------------- percentiles


def triangular_cdf(x: np.ndarray, a: float, c: float, b: float) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    out = np.where(x <= c, (x - a) ** 2 / ((b - a) * (c - a)), 1 - (b - x) ** 2 / ((b - a) * (b - c)))
    return np.clip(np.where(x <= a, 0.0, np.where(x >= b, 1.0, out)), 0.0, 1.0)


def grid(a: float, b: float, points: int) -> tuple[np.ndarray, float]:
    step = (b - a) / points
    return a + step * (np.arange(points) + 0.5), step


def product_cdf(z: float, triangles: list[tuple[float, float, float]]) -> float:
    """P(X1 ... Xk <= z) for independent triangulars: midpoint-rule integration of the others' densities
    times the last one's CDF (numerical differences of the CDF as densities, no sampling)."""
    *others, last = triangles
    points = 1500 if len(others) > 1 else 20_000
    mesh = np.ones(1)
    weights = np.ones(1)
    for a, c, b in others:
        x, step = grid(a, b, points)
        density = triangular_cdf(x + step / 2, a, c, b) - triangular_cdf(x - step / 2, a, c, b)
        mesh = np.multiply.outer(mesh, x).ravel()
        weights = np.multiply.outer(weights, density).ravel()
    return float((weights * triangular_cdf(z / mesh, *last)).sum())


def product_quantile(p: float, triangles) -> float:
    low = math.prod(t[0] for t in triangles)
    high = math.prod(t[2] for t in triangles)
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if product_cdf(mid, triangles) < p else (low, mid)
    return (low + high) / 2


DRAWS = 200_000


def test_percentiles_match_the_numeric_distribution_of_the_product():
    c = cells(n=10, grade=0.2, thickness=30.0, area=1000.0)  # no cut-off effect
    target = target_from_cells(c, CONSTANT, draws=DRAWS, seed=42)
    volume = 10 * 1000.0 * 30.0
    ore = [(2.5, 2.6, 2.7), (0.8, 1.0, 1.2)]
    treo = [*ore, (0.85, 1.0, 1.15)]
    for name, p in (("p90", 0.10), ("p50", 0.50), ("p10", 0.90)):
        figures = getattr(target, name)
        sigma = math.sqrt(p * (1 - p) / DRAWS)
        # The simulated quantile, put through the independent CDF, must give back p within sampling error.
        assert abs(product_cdf(figures.ore_tonnes / volume, ore) - p) < 5 * sigma
        assert abs(product_cdf(figures.treo_tonnes / (volume * 0.2 / 100), treo) - p) < 5 * sigma
        assert figures.ore_tonnes == pytest.approx(volume * product_quantile(p, ore), rel=0.01)
    assert target.p90.ore_tonnes < target.p50.ore_tonnes < target.p10.ore_tonnes  # P90 exceeded most often
    assert target.p50.mean_grade == pytest.approx(0.2, rel=0.01)


def test_an_area_without_data_gives_no_figures_where_a_barren_one_gives_zero_tonnes():
    """An area outside the rasters gave 0 t in to_dict and the files' fields, like a barren area."""
    from rare_earth_plugin.core.target_fields import TARGET_FIELDS, target_values

    nothing = target_from_cells(cells(n=0, data_coverage=0.0), CONSTANT, draws=500, seed=1)
    assert not nothing.has_data
    assert target_values(nothing) == [None] * len(TARGET_FIELDS)
    told = nothing.to_dict()
    assert all(value is None for case in ("low", "base", "high", "p90", "p50", "p10") for value in told[case].values())
    assert told["data_coverage"] == 0.0
    assert told["no_ore_share"] is None and told["reaches_cutoff"] is None  # not "no ore" either
    barren = target_from_cells(cells(n=5, grade=0.01, cutoff=0.5), CONSTANT, draws=500, seed=1)
    assert barren.has_data
    values = dict(zip(TARGET_FIELDS, target_values(barren)))
    assert [values[f"ore_t_{case}"] for case in ("low", "base", "high", "p90", "p50", "p10")] == [0.0] * 6
    assert barren.to_dict()["p50"]["ore_tonnes"] == 0.0


def test_the_density_a_target_draws_from_is_the_one_judged(make_raster):
    """A range in kg/m³ beside a constant of 2.6 was not warned; a constant of 2,600 that a range of 2.5-2.7
    replaced was. The constant is judged where the target draws from its own range."""
    from conftest import ORIGIN_X, ORIGIN_Y
    from shapely.geometry import box

    from rare_earth_plugin.core.exploration_target import exploration_target

    grade = make_raster(np.full((10, 10), 0.2))
    zone = box(ORIGIN_X, ORIGIN_Y - 50.0, ORIGIN_X + 50.0, ORIGIN_Y)
    kg = TargetRanges(density=Triangular(2500.0, 2600.0, 2700.0))
    plain = TargetRanges(density=Triangular(2.5, 2.6, 2.7))

    def told(density, ranges):
        found = exploration_target(zone, grade, TonnageParams(thickness=10.0, density=density), ranges, draws=200)
        return [w for w in found.warnings if "more than any ore's" in w]

    (warning,) = told(2.6, kg)
    assert warning.startswith("The density range reaches 2,700 t/m³") and "kg/m³" in warning
    assert told(2600.0, plain) == []
    (warning,) = told(2600.0, None)  # the range is the constant's own: it is judged
    assert warning.startswith("The density of 2,600 t/m³")
    assert told(2.6, None) == [] and told(2.6, plain) == []


def test_the_same_seed_gives_the_same_figures():
    c = cells(n=30, grade=np.linspace(0.05, 0.2, 30), cutoff=0.1, top=np.linspace(0, 40, 30), max_depth=50.0)
    first = target_from_cells(c, CONSTANT, draws=3000, seed=9).to_dict()
    assert target_from_cells(c, CONSTANT, draws=3000, seed=9).to_dict() == first
    assert target_from_cells(c, CONSTANT, draws=3000, seed=10).to_dict()["p50"] != first["p50"]
    assert first["convention"] == CONVENTION and first["draws"] == 3000 and first["seed"] == 9


# ------------------------------------------------------------------------------------------------ input


@pytest.mark.parametrize(
    "text, message",
    [
        ("2.5,2.6", "density range: give three numbers"),
        ("2.5,x,2.7", "density range: 'x' is not a number"),
        ("2.7,2.6,2.5", "density range: give low ≤ likely ≤ high"),
        ("0,2.6,2.7", "density range: the low value must be above 0"),
        ("nan,2.6,2.7", "density range: every value must be a finite number"),
        ("2500,2600,1e7", "density range: values above 1e\\+06 are not plausible"),
        ("2_5,2_6,2_7", "density range: .2_5. is not a number"),  # float() read it as 25
    ],
)
def test_bad_range_text_names_the_range(text, message):
    with pytest.raises(RangeError, match=message):
        TargetRanges.parse(density=text)


def test_a_thickness_factor_of_zero_throughout_is_refused_and_one_reaching_above_it_is_taken():
    """0,0,0 gave 0 t in every draw, and the log blamed the cut-off."""
    with pytest.raises(RangeError, match=r"thickness factor range: the high value must be above 0"):
        TargetRanges.parse(thickness_factor="0,0,0")
    assert TargetRanges.parse(thickness_factor="0,0,0.5").thickness_factor.high == 0.5


@pytest.mark.parametrize("density", [0.05, 0.15, 0.3, 2.0, 3.1])
def test_the_base_case_keeps_any_constant_density_when_no_range_is_given(density):
    """A constant density of 0.1 t/m³ or less was silently replaced by 2.5 / 2.6 / 2.7 (base case 52 x the
    estimate at 0.05): the default range is centred on the constant, whatever it is."""
    c = cells(n=10, grade=0.2, thickness=30.0, area=1000.0, density=density)
    target = target_from_cells(c, TonnageParams(thickness=30.0, density=density), draws=50, seed=1)
    assert target.base.ore_tonnes == pytest.approx(10 * 1000.0 * 30.0 * density, rel=1e-12)
    assert target.ranges.density.low < density < target.ranges.density.high


def test_a_zero_constant_density_is_refused_for_a_target_not_replaced():
    with pytest.raises(TonnageInputError, match="density: a target needs a density above 0"):
        target_from_cells(cells(n=2, density=0.0), TonnageParams(thickness=30.0, density=0.0))


@pytest.mark.parametrize("factor", [1e-30, 1e-50, 1e-300])
@pytest.mark.parametrize("cutoff", [0.1, 1e300])
def test_extreme_grade_factors_and_cutoffs_count_exactly(factor, cutoff):
    """Thresholds beyond float32's range (cut-off / factor) are counted by binary search (a grade factor of
    1e-50 raised ZeroDivisionError); a draw's ore equals the numpy sum over its cells."""
    rng = np.random.default_rng(4)
    grade = rng.uniform(0, 0.3, 50)
    c = cells(n=50, grade=grade, thickness=1.0, area=1.0, density=1.0, cutoff=cutoff)
    params = TonnageParams(thickness=1.0, density=1.0, cutoff=cutoff)
    ranges = TargetRanges(Triangular(1.0, 1.0, 1.0), Triangular(1.0, 1.0, 1.0), Triangular(factor, 1.0, 1.15))
    target = target_from_cells(c, params, ranges, draws=200, seed=3)
    plan = target_plan(params, ranges, 200, 3)
    ore = [(grade * f >= cutoff).sum() for f in plan.f[-3:]]
    assert [target.low.ore_tonnes, target.base.ore_tonnes, target.high.ore_tonnes] == ore


def test_missing_range_text_takes_the_default():
    assert TargetRanges.parse("", None, " ") == TargetRanges()
    assert TargetRanges.parse(grade_factor="0.9, 1, 1.1").grade_factor == Triangular(0.9, 1.0, 1.1)


@pytest.mark.parametrize(
    "draws, seed, message",
    [(0, 1, "draws"), (10.5, 1, "draws"), (True, 1, "draws"), (100, -1, "seed"), (100, "x", "seed")],
)
def test_bad_draws_or_seed_are_named(draws, seed, message):
    with pytest.raises(TonnageInputError, match=message):
        target_from_cells(cells(n=2), CONSTANT, draws=draws, seed=seed)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"area": [1.0, 1.0, 1.0, -1e17]}, "cells.area_m2: holds negative values"),
        ({"thickness": [30.0, -1.0, 30.0, 30.0]}, "cells.thickness: holds negative values"),
        ({"density": [2.6, 2.6, -2.6, 2.6]}, "cells.density: holds negative values"),
        ({"grade": [0.2, np.nan, 0.2, 0.2]}, "cells.grade: holds NaN or infinite values"),
        ({"top": [0.0, np.inf, 0.0, 0.0]}, "cells.top: holds NaN or infinite values"),
        ({"grade": [0.2, 0.2, 0.2]}, "cells: area_m2, grade, thickness, top and density differ in length"),
    ],
)
def test_cells_of_a_callers_own_that_the_engine_would_never_give_are_named(change, message):
    """A negative area once cancelled the others in the sums (ore 0 t instead of 7.8 t): such cells are refused by
    the field that holds them."""
    with pytest.raises(TonnageInputError, match=re.escape(message)):
        target_from_cells(cells(n=4, **change), CONSTANT, draws=50, seed=1)


def test_ranges_given_as_three_numbers_are_taken_and_others_named():
    as_numbers = TargetRanges((2.5, 2.6, 2.7), [0.8, 1, 1.2], (0.85, 1.0, 1.15))
    expected = target_from_cells(cells(n=4), CONSTANT, TargetRanges(), draws=50, seed=1)
    assert target_from_cells(cells(n=4), CONSTANT, as_numbers, draws=50, seed=1) == expected
    for ranges, message in (
        (TargetRanges(density=(2.5, 2.6)), "density range: give a Triangular"),  # was an AttributeError
        (TargetRanges(grade_factor="0.9,1,1.1"), "grade factor range: give a Triangular"),
        (TargetRanges(density=Triangular(True, 2.6, 2.7)), "density range: not numbers"),  # was read as 1.0
    ):
        with pytest.raises(TonnageInputError, match=message):
            target_from_cells(cells(n=4), CONSTANT, ranges, draws=50, seed=1)


def test_draws_that_overflow_in_part_give_infinite_figures_with_the_warning():
    """A grade next to float64's limit (undeclared nodata) overflows the contained TREO of the high draws only:
    the percentiles' ranking raised a ValueError from bincount; P10 is now infinite and warned, to_dict None."""
    c = cells(n=1, grade=1.7e308 / 2.6, thickness=1.0, area=1.0, density=2.6)
    target = target_from_cells(c, TonnageParams(thickness=1.0, density=2.6), draws=1000, seed=1)
    assert math.isfinite(target.p50.ore_tonnes) and math.isfinite(target.p90.treo_tonnes * 100)
    assert target.p10.treo_tonnes == math.inf and target.high.treo_tonnes == math.inf
    assert any("overflow" in warning for warning in target.warnings)
    data = json.loads(json.dumps(target.to_dict(), allow_nan=False))
    assert data["p10"]["treo_tonnes"] is None and data["p90"]["ore_tonnes"] == target.p90.ore_tonnes


def test_a_percentile_at_a_rank_beside_an_infinite_draw_is_that_draw():
    """11 draws, one infinite: the 10th percentile is the 2nd ranked draw exactly; 0 x inf read NaN."""
    from rare_earth_plugin.core.exploration_target import _quantiles

    values = np.array([*np.arange(1.0, 11.0), np.inf])
    with np.errstate(all="raise"):  # no warning either
        assert list(_quantiles(values, [0.1, 0.5, 0.9, 1.0])) == [2.0, 6.0, 10.0, np.inf]


def test_overflowed_draws_have_no_grade_rather_than_zero():
    """Finite metal over infinite ore read a grade of 0 % in the high case and the percentiles."""
    c = cells(n=2, grade=[0.26, 1e300], thickness=1.0, area=1.0, density=2.6)
    c.thickness[1] = 1e10  # this cell's tonnes x grade overflow in every draw, its tonnes in none
    target = target_from_cells(c, TonnageParams(thickness=1.0, density=2.6), draws=300, seed=1)
    for figures in (target.low, target.base, target.high, target.p90, target.p50, target.p10):
        assert figures.mean_grade != 0.0  # NaN (unknown) or the real grade
    big = cells(n=1, grade=0.26, thickness=1.0, area=1.6e308 / 2.6, density=2.6)  # the high draws' ore overflows
    target = target_from_cells(big, TonnageParams(thickness=1.0, density=2.6), draws=300, seed=1)
    assert target.high.ore_tonnes == np.inf and math.isnan(target.high.mean_grade)
    assert math.isfinite(target.base.ore_tonnes) and target.base.mean_grade == pytest.approx(0.26)
    assert 0.26 * 0.85 < target.p90.mean_grade < target.p10.mean_grade < 0.26 * 1.15  # the draws' own grades


def test_zero_width_ranges_give_one_value():
    ranges = TargetRanges(Triangular(2.6, 2.6, 2.6), Triangular(1, 1, 1), Triangular(1, 1, 1))
    target = target_from_cells(cells(n=4), CONSTANT, ranges, draws=50, seed=1)
    assert target.p90.ore_tonnes == pytest.approx(target.p10.ore_tonnes) == pytest.approx(target.base.ore_tonnes)


def test_linear_sums_without_a_window_equal_brute_force():
    rng = np.random.default_rng(8)
    per_factor, grade = rng.uniform(0, 50, 3000), rng.uniform(0, 0.3, 3000)
    grade[:300] = 0.1  # ties at a threshold
    t, theta = rng.uniform(0.8, 1.2, 800), 0.1 / rng.uniform(0.85, 1.15, 800)
    theta[:5] = 0.1
    ore, metal = linear_sums(DrawSet(t, theta), per_factor, grade)
    for j in range(0, 800, 3):
        ok = grade >= theta[j]
        assert ore[j] == pytest.approx(per_factor[ok].sum(), rel=1e-10)
        assert metal[j] == pytest.approx((per_factor * grade)[ok].sum(), rel=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "above, below, heavy",
    [
        (0.9, 0.05, False),  # most cells above every threshold: the whole tile less the others
        (0.9, 0.05, True),  # ... but the others weigh more than they do: those above summed by themselves
        (1.0, 0.0, False),  # every cell above every threshold
        (0.1, 0.6, False),  # most cells below the highest threshold: only those between picked out
        (0.0, 1.0, False),  # no cell reaches any threshold
        (0.0, 0.0, False),  # every cell between the thresholds
    ],
)
def test_linear_sums_by_every_route_equal_brute_force(dtype, above, below, heavy):
    """Whatever share of the cells lies above every draw's threshold, below every one or between them, each
    draw's sums are those of its own cells (rel 1e-12: no digits lost to a difference)."""
    rng = np.random.default_rng(21)
    theta = 0.05 / rng.uniform(0.85, 1.15, 700)
    size = 4000
    kind = rng.choice(3, size, p=[above, below, 1.0 - above - below])
    grade = np.where(
        kind == 0,
        rng.uniform(0.06, 0.3, size),
        np.where(kind == 1, rng.uniform(0.0, 0.04, size), rng.uniform(theta.min(), theta.max(), size)),
    ).astype(dtype)
    weight = rng.uniform(0.5, 2.0, size)
    if heavy:
        weight[kind != 0] *= 1e6
    ore, metal = linear_sums(DrawSet(np.ones(theta.size), theta), weight, grade)
    g = grade.astype(np.float64)
    for j in range(theta.size):
        ok = g >= theta[j]
        assert ore[j] == pytest.approx(weight[ok].sum(), rel=1e-12, abs=1e-300)
        assert metal[j] == pytest.approx((weight * g)[ok].sum(), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spread", [0.0, 1e-9, 0.3])
def test_draw_binning_equals_a_binary_search_per_entry(dtype, spread):
    """The bucketed counting in ``DrawSet.reached`` and the sums binned by it against ``searchsorted`` per entry:
    ties, grades equal to a threshold or one ulp beside it, far outside the thresholds, and all thresholds
    (nearly) equal."""
    rng = np.random.default_rng(11)
    theta = 0.1 + spread * rng.uniform(-1, 1, 500)
    theta[:50] = theta[50]  # ties
    draws = DrawSet(np.ones(theta.size), theta)
    thresholds = np.sort(theta).astype(dtype)
    grade = np.concatenate(
        [
            thresholds,
            np.nextafter(thresholds, np.inf),
            np.nextafter(thresholds, -np.inf),
            rng.uniform(0.05, 0.15, 2000).astype(dtype),
            np.array([0.0, -5.0, 1e30, 3.4e38], dtype=dtype),
        ]
    )
    weight = rng.uniform(0.5, 2.0, grade.size)
    exact = np.searchsorted(np.sort(theta), grade.astype(np.float64), side="right")
    np.testing.assert_array_equal(draws.reached(grade, 1.0), exact)
    sums = linear_sums(draws, weight, grade)[0]
    for j in range(theta.size):
        assert sums[j] == pytest.approx(weight[grade.astype(np.float64) >= theta[j]].sum(), rel=1e-12)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 100, 10_000, 10_001, 10_003])
@pytest.mark.parametrize("outlier", [None, 1e12, -1e12])
def test_percentiles_equal_numpys_linear_quantiles(size, outlier):
    """Ties, and one value far from the others (all but it in one bucket of the ranking); to the last bit, also
    where a position's fraction is 0.5 or more (numpy interpolates from the upper end there)."""
    from rare_earth_plugin.core.exploration_target import EXCEEDANCE, _quantiles

    values = np.random.default_rng(size).gamma(2.0, 3.0, size)
    values[: size // 3] = values[0]  # ties
    if outlier is not None:
        values[-1] = outlier
    probabilities = list(EXCEEDANCE.values())
    np.testing.assert_array_equal(_quantiles(values, probabilities), np.quantile(values, probabilities))


def test_percentiles_of_a_span_of_denormals():
    """A span below 1e-306 overflowed the ranking's scale to inf: a ValueError from bincount."""
    from rare_earth_plugin.core.exploration_target import EXCEEDANCE, _quantiles

    values = np.random.default_rng(1).integers(0, 50, 1000) * 5e-324
    probabilities = list(EXCEEDANCE.values())
    np.testing.assert_array_equal(_quantiles(values, probabilities), np.quantile(values, probabilities))


def test_a_subnormal_thickness_factor_under_a_window_raises_no_numpy_warning():
    """A thickness factor range of 0 / 5e-324 / 5e-324 is taken (it reaches above 0); with a maximum depth the
    test for cells reaching it divided by 5e-324 and numpy warned of an overflow. The figures are 0 t."""
    c = cells(n=1, grade=0.5, thickness=10.0, top=5.0, area=1000.0, min_depth=8.0, max_depth=12.0, cutoff=0.1)
    ranges = TargetRanges(thickness_factor=Triangular(0.0, 5e-324, 5e-324))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        target = target_from_cells(c, TonnageParams(thickness=1.0), ranges, draws=100, seed=1)
    assert target.base.ore_tonnes == 0.0 and target.high.ore_tonnes == 0.0
