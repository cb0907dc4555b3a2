"""``rareearth:explorationtarget`` and the depth-window parameters of the tonnage algorithms, against closed
forms; bad ranges named by their parameter."""

from __future__ import annotations

import numpy as np
import processing
import pytest
from conftest import RecordingFeedback
from qgis.core import QgsProcessingException

from rare_earth_plugin.core.target_fields import TARGET_FIELDS

TARGET = "rareearth:explorationtarget"
ESTIMATE = "rareearth:estimatetonnage"


def run(algorithm: str, feedback=None, **parameters):
    result = processing.run(algorithm, {**parameters, "OUTPUT": "memory:"}, feedback=feedback)
    layer = result["OUTPUT"]
    return [dict(zip(layer.fields().names(), f.attributes())) for f in layer.getFeatures()]


@pytest.fixture()
def zone(make_polygons, grid):
    return make_polygons([(grid.box(2, 3, 7, 8), "A"), (None, "empty")])


def test_cases_scale_exactly_and_percentiles_are_ordered(rare_earth_provider, make_raster, zone, grid, feedback):
    grade = make_raster(np.full((20, 20), 0.2))
    rows = run(TARGET, feedback=feedback, INPUT=zone, GRADE=grade, THICKNESS=10.0, CUTOFF=0.05, DRAWS=5000, SEED=7)
    row, empty = rows
    volume = (5 * grid.cell) ** 2 * 10.0
    assert row["ore_t_low"] == pytest.approx(volume * 2.5 * 0.8, rel=1e-9)
    assert row["ore_t_base"] == pytest.approx(volume * 2.6, rel=1e-9)
    assert row["ore_t_high"] == pytest.approx(volume * 2.7 * 1.2, rel=1e-9)
    assert row["grade_high"] == pytest.approx(0.2 * 1.15, rel=1e-6)
    assert row["treo_t_high"] == pytest.approx(volume * 2.7 * 1.2 * 0.2 * 1.15 / 100, rel=1e-6)
    assert row["ore_t_low"] < row["ore_t_p90"] < row["ore_t_p50"] < row["ore_t_p10"] < row["ore_t_high"]
    assert row["treo_t_p90"] < row["treo_t_p50"] < row["treo_t_p10"]
    assert row["grade_unit"] == "percent" and "seed 7" in row["target_basis"]
    assert all(
        empty[name] is None or (hasattr(empty[name], "isNull") and empty[name].isNull()) for name in TARGET_FIELDS
    )
    assert any("empty" in error for error in feedback.errors)
    again = run(TARGET, INPUT=zone, GRADE=grade, THICKNESS=10.0, CUTOFF=0.05, DRAWS=5000, SEED=7)[0]
    assert again["ore_t_p50"] == row["ore_t_p50"]


def test_ranges_and_depth_window_parameters(rare_earth_provider, make_raster, zone, grid):
    grade = make_raster(np.full((20, 20), 0.2))
    top = make_raster(np.full((20, 20), 30.0), name="top.tif")
    [row, _] = run(
        TARGET,
        INPUT=zone,
        GRADE=grade,
        THICKNESS=50.0,
        TOP_DEPTH_RASTER=top,
        MAX_DEPTH=60.0,
        DENSITY_RANGE="2,2.5,3",
        THICKNESS_FACTOR_RANGE="0.5, 1, 2",
        GRADE_FACTOR_RANGE="",
        DRAWS=200,
    )
    area = (5 * grid.cell) ** 2
    # [30, 30 + 50 t] cut at 60 m: 25 m at t = 0.5, 30 m (full) at t = 1 and 2.
    assert row["ore_t_low"] == pytest.approx(area * 25.0 * 2.0, rel=1e-9)
    assert row["ore_t_base"] == pytest.approx(area * 30.0 * 2.5, rel=1e-9)
    assert row["ore_t_high"] == pytest.approx(area * 30.0 * 3.0, rel=1e-9)
    assert row["grade_low"] == pytest.approx(0.2 * 0.85, rel=1e-6)  # the default grade factor
    [estimate] = run(
        ESTIMATE, INPUT=zone, GRADE=grade, THICKNESS=50.0, DENSITY=2.0, TOP_DEPTH=30.0, MIN_DEPTH=40.0, MAX_DEPTH=60.0
    )[:1]
    assert estimate["ore_t"] == pytest.approx(area * 20.0 * 2.0, rel=1e-9)


def test_density_range_defaults_around_the_constant_density(rare_earth_provider, make_raster, zone, grid):
    grade = make_raster(np.full((20, 20), 0.2))
    [row, _] = run(TARGET, INPUT=zone, GRADE=grade, THICKNESS=10.0, DENSITY=3.0, DRAWS=100)
    volume = (5 * grid.cell) ** 2 * 10.0
    assert row["ore_t_base"] == pytest.approx(volume * 3.0)
    assert row["ore_t_low"] == pytest.approx(volume * 2.9 * 0.8)


def test_a_density_range_replaces_a_zero_constant_density(rare_earth_provider, make_raster, zone, grid):
    """DENSITY 0 (no constant density) with a DENSITY_RANGE was refused as if no range were given."""
    grade = make_raster(np.full((20, 20), 0.2))
    [row, _] = run(TARGET, INPUT=zone, GRADE=grade, THICKNESS=10.0, DENSITY=0.0, DENSITY_RANGE="2.4,2.6,2.9", DRAWS=100)
    volume = (5 * grid.cell) ** 2 * 10.0
    assert row["ore_t_base"] == pytest.approx(volume * 2.6)
    assert row["ore_t_high"] == pytest.approx(volume * 2.9 * 1.2)
    with pytest.raises(QgsProcessingException, match="density: a target needs a density above 0"):
        run(TARGET, INPUT=zone, GRADE=grade, THICKNESS=10.0, DENSITY=0.0, DRAWS=100)


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("DENSITY_RANGE", "2.5,2.6", "DENSITY_RANGE: give three numbers"),
        ("THICKNESS_FACTOR_RANGE", "a,b,c", "THICKNESS_FACTOR_RANGE: 'a' is not a number"),
        ("GRADE_FACTOR_RANGE", "1.2,1,0.8", "GRADE_FACTOR_RANGE: give low ≤ likely ≤ high"),
    ],
)
def test_bad_range_text_is_named(rare_earth_provider, make_raster, zone, name, text, message):
    grade = make_raster(np.full((20, 20), 0.2))
    with pytest.raises(QgsProcessingException, match=message):
        run(TARGET, INPUT=zone, GRADE=grade, THICKNESS=10.0, **{name: text})


def test_min_depth_must_be_above_max_depth(rare_earth_provider, make_raster, zone):
    grade = make_raster(np.full((20, 20), 0.2))
    with pytest.raises(QgsProcessingException, match="MIN_DEPTH: must be less than MAX_DEPTH"):
        run(ESTIMATE, INPUT=zone, GRADE=grade, THICKNESS=10.0, MIN_DEPTH=100.0, MAX_DEPTH=50.0)


@pytest.mark.parametrize(("draws", "warned"), [(3, True), (999, True), (1000, False)])
def test_few_draws_are_warned(rare_earth_provider, make_raster, zone, draws, warned):
    """DRAWS=3 was reported as P90-P10 ranges without a word: their percentiles move with the seed."""
    grade = make_raster(np.full((20, 20), 0.2))
    feedback = RecordingFeedback()
    run(TARGET, feedback=feedback, INPUT=zone, GRADE=grade, THICKNESS=10.0, DRAWS=draws)
    assert any(f"{draws:,} draws: the P90, P50 and P10" in warning for warning in feedback.warnings) == warned


@pytest.mark.parametrize("algorithm", [ESTIMATE, TARGET])
@pytest.mark.parametrize("depth", [0.0, -20.0])
def test_a_maximum_depth_at_or_above_the_surface_is_named(rare_earth_provider, make_raster, zone, algorithm, depth):
    """MAX_DEPTH=0 alone gave 0 t without a word (a target blamed the cut-off); depths are below the surface."""
    grade = make_raster(np.full((20, 20), 0.2))
    with pytest.raises(QgsProcessingException, match="MAX_DEPTH: give a depth below the surface"):
        run(algorithm, INPUT=zone, GRADE=grade, THICKNESS=10.0, MAX_DEPTH=depth)


@pytest.mark.parametrize("algorithm", [TARGET, "rareearth:exportreport"])
@pytest.mark.parametrize("seed", [2**31, 9_999_999_999])
def test_a_seed_qgis_cannot_hold_is_refused_not_run_as_zero(rare_earth_provider, make_raster, zone, algorithm, seed):
    """QGIS reads whole-number parameters as a 32-bit int: 2**31 was run as seed 0 and reported so."""
    grade = make_raster(np.full((20, 20), 0.2))
    with pytest.raises(QgsProcessingException, match="SEED"):
        run(algorithm, INPUT=zone, GRADE=grade, THICKNESS=10.0, SEED=seed)


def test_an_area_without_data_says_so_in_coverage(rare_earth_provider, make_raster, make_polygons, grid):
    """A zone outside the raster got ore_t_* = 0 like a barren zone, with nothing in the layer to tell them apart;
    its figures are NULL (no figure of its ore, as the help says), a barren zone's are 0 t."""
    grade = make_raster(np.where(np.arange(20) < 10, 0.2, 0.0)[None, :].repeat(20, axis=0))
    zones = make_polygons(
        [(grid.box(2, 3, 7, 8), "A"), (grid.box(30, 30, 35, 35), "outside"), (grid.box(12, 3, 17, 8), "barren")]
    )
    inside, outside, barren = run(TARGET, INPUT=zones, GRADE=grade, THICKNESS=10.0, CUTOFF=0.05, DRAWS=100)
    assert inside["coverage"] == pytest.approx(1.0) and inside["ore_t_base"] > 0
    assert outside["coverage"] == 0.0
    assert {name: outside[name] for name in TARGET_FIELDS} == dict.fromkeys(TARGET_FIELDS)
    assert barren["coverage"] == pytest.approx(1.0)
    assert [barren[f"ore_t_{case}"] for case in ("low", "base", "high", "p90", "p50", "p10")] == [0.0] * 6
