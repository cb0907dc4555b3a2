"""The Processing algorithms against closed-form tonnages, QGIS zonal statistics and bad input."""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import processing
import pytest
from conftest import GRID_CRS, RecordingFeedback
from osgeo import gdal, ogr, osr
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingAlgRunnerTask,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildAlgorithm,
    QgsProcessingModelChildParameterSource,
    QgsProcessingModelOutput,
    QgsProcessingModelParameter,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorLayer,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
    QgsWkbTypes,
)

from rare_earth_plugin.core.units import TREO_TO_TREE, standard_cutoffs

ESTIMATE = "rareearth:estimatetonnage"
CURVE = "rareearth:gradetonnagecurve"
GRADE = 0.2  # %, constant grade of the simple grid
THICKNESS, DENSITY = 5.0, 2.5


def run(algorithm: str, feedback=None, **parameters: Any) -> list[dict[str, Any]]:
    """Run an algorithm into a memory layer; its rows as dicts in feature order."""
    result = processing.run(algorithm, {**parameters, "OUTPUT": "memory:"}, feedback=feedback)
    layer = result["OUTPUT"]
    return [dict(zip(layer.fields().names(), f.attributes())) for f in layer.getFeatures()]


def is_null(value: Any) -> bool:
    return value is None or (hasattr(value, "isNull") and value.isNull())


@pytest.fixture()
def constant_grade(make_raster) -> str:
    return make_raster(np.full((20, 20), GRADE))


@pytest.fixture()
def column_grade(make_raster) -> str:
    """Grade 0.10 % in column 0, rising by 0.01 % per column to the right."""
    return make_raster(np.tile(0.10 + 0.01 * np.arange(20), (20, 1)))


def test_provider_lists_both_algorithms_in_the_tonnage_group(rare_earth_provider) -> None:
    registry = QgsApplication.processingRegistry()
    for algorithm_id in (ESTIMATE, CURVE):
        algorithm = registry.algorithmById(algorithm_id)
        assert algorithm is not None, algorithm_id
        assert (algorithm.group(), algorithm.groupId()) == ("Tonnage", "tonnage")
        help_text = algorithm.shortHelpString()
        assert "exact fraction" in help_text and "exploration targets" in help_text
        flags = algorithm.flags()
        assert flags & QgsProcessingAlgorithm.FlagSupportsBatch
        assert not flags & QgsProcessingAlgorithm.FlagNoThreading
        assert not algorithm.icon().isNull()


@pytest.mark.parametrize("offset", [0.0, 0.5, 0.25], ids=["aligned", "half-cell", "quarter-cell"])
def test_square_on_constant_grade_gives_closed_form_tonnes(
    rare_earth_provider, make_polygons, grid, constant_grade, offset
) -> None:
    side = 5  # cells: 50 m x 50 m whatever the offset, since every covered fraction counts exactly
    zones = make_polygons([(grid.box(2 + offset, 3 + offset, 2 + offset + side, 3 + offset + side), "A")])
    [row] = run(ESTIMATE, INPUT=zones, GRADE=constant_grade, THICKNESS=THICKNESS, DENSITY=DENSITY)
    area = (side * grid.cell) ** 2
    ore = area * THICKNESS * DENSITY
    assert row["name"] == "A"
    assert row["area_m2"] == pytest.approx(area, rel=1e-9)
    assert row["ore_t"] == pytest.approx(ore, rel=1e-9)  # 31,250 t
    assert row["grade_mean"] == pytest.approx(GRADE, rel=1e-6)
    assert row["treo_t"] == pytest.approx(ore * GRADE / 100, rel=1e-6)
    assert row["tree_t"] == pytest.approx(ore * GRADE / 100 * TREO_TO_TREE, rel=1e-6)
    assert row["coverage"] == pytest.approx(1.0)


def test_cutoff_keeps_exact_fractions_of_partly_covered_cells(
    rare_earth_provider, make_polygons, grid, column_grade
) -> None:
    # Columns 0.5-6.5: half of column 0, whole columns 1-5, half of column 6; rows 0-4 whole.
    zones = make_polygons([(grid.box(0.5, 0, 6.5, 5), "strip")])
    [row] = run(ESTIMATE, INPUT=zones, GRADE=column_grade, CUTOFF=0.125, THICKNESS=THICKNESS, DENSITY=DENSITY)
    column_area = 5 * grid.cell * grid.cell
    ore_columns = {3: 1.0, 4: 1.0, 5: 1.0, 6: 0.5}  # grade 0.13-0.16 %: at or above the cut-off
    tonnes = {c: f * column_area * THICKNESS * DENSITY for c, f in ore_columns.items()}
    treo = sum(t * (0.10 + 0.01 * c) / 100 for c, t in tonnes.items())
    assert row["area_m2"] == pytest.approx(6 * column_area)
    assert row["ore_t"] == pytest.approx(sum(tonnes.values()), rel=1e-9)
    assert row["treo_t"] == pytest.approx(treo, rel=1e-6)
    assert row["grade_mean"] == pytest.approx(treo * 100 / sum(tonnes.values()), rel=1e-6)


def test_ppm_unit_and_density_and_thickness_rasters(rare_earth_provider, make_polygons, make_raster, grid) -> None:
    grade = make_raster(np.full((10, 10), 2000.0), name="ppm.tif")  # 2,000 ppm = 0.2 %
    thickness = make_raster(np.full((10, 10), 4.0), name="thickness.tif")
    density = make_raster(np.full((10, 10), 2.0), name="density.tif")
    zones = make_polygons([(grid.box(1, 1, 4, 3), "B")])
    [row] = run(
        ESTIMATE,
        INPUT=zones,
        GRADE=grade,
        GRADE_UNIT=1,
        CUTOFF=1000,
        THICKNESS_RASTER=thickness,
        DENSITY_RASTER=density,
    )
    ore = 3 * 2 * grid.cell**2 * 4.0 * 2.0
    assert row["ore_t"] == pytest.approx(ore)
    assert row["grade_mean"] == pytest.approx(2000.0)
    assert row["treo_t"] == pytest.approx(ore * 2000e-6)


def test_geographic_polygons_over_a_utm_raster_give_the_utm_tonnes(
    rare_earth_provider, make_polygons, grid, column_grade
) -> None:
    utm_wkts = [grid.box(0.5, 0.5, 7.5, 6.5), grid.box(8, 2, 15.3, 11)]
    to_wgs84 = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem(GRID_CRS), QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance()
    )
    wgs84_wkts = []
    for wkt in utm_wkts:
        geometry = QgsGeometry.fromWkt(wkt)
        geometry.densifyByCount(50)  # a straight UTM edge is not straight in degrees
        geometry.transform(to_wgs84)
        wgs84_wkts.append(geometry.asWkt(12))
    common = {"GRADE": column_grade, "CUTOFF": 0.12, "THICKNESS": THICKNESS, "DENSITY": DENSITY}
    utm = run(ESTIMATE, INPUT=make_polygons([(w, str(i)) for i, w in enumerate(utm_wkts)], name="utm"), **common)
    wgs84 = run(
        ESTIMATE,
        INPUT=make_polygons([(w, str(i)) for i, w in enumerate(wgs84_wkts)], name="wgs84", crs="EPSG:4326"),
        **common,
    )
    for a, b in zip(utm, wgs84):
        assert a["ore_t"] > 0
        for field in ("area_m2", "ore_t", "treo_t", "grade_mean"):
            assert b[field] == pytest.approx(a[field], rel=1e-4), field


def test_cell_aligned_polygons_agree_with_qgis_zonal_statistics(
    rare_earth_provider, make_polygons, make_raster, grid
) -> None:
    values = np.random.default_rng(7).uniform(0.01, 0.3, (30, 30))
    values[4:7, 10:14] = -9999.0  # nodata inside one polygon: neither side counts it
    grade = make_raster(values, nodata=-9999.0)
    zones = make_polygons(
        [
            (grid.box(0, 0, 30, 30), "all"),
            (grid.box(8, 2, 20, 9), "with nodata"),
            (
                "MULTIPOLYGON((("
                + _ring(grid, [(1, 20), (6, 20), (6, 22), (3, 22), (3, 27), (1, 27)])
                + ")),(("
                + _ring(grid, [(25, 25), (29, 25), (29, 29), (25, 29)])
                + ")))",
                "L and square",
            ),
        ]
    )
    ours = run(ESTIMATE, INPUT=zones, GRADE=grade, CUTOFF=0, THICKNESS=1, DENSITY=1)
    zonal = _zonal_count_and_sum(zones, grade)
    cell_area = grid.cell**2
    assert len(ours) == len(zonal) == 3
    for row, (count, total) in zip(ours, zonal):
        assert row["ore_t"] == pytest.approx(count * cell_area, rel=1e-9), row["name"]
        assert row["treo_t"] == pytest.approx(total * cell_area / 100, rel=1e-6), row["name"]
    assert ours[1]["coverage"] == pytest.approx(1 - 12 / 84)


def test_curve_has_a_row_per_feature_and_cutoff_and_never_gains_ore(
    rare_earth_provider, make_polygons, grid, column_grade
) -> None:
    zones = make_polygons([(grid.box(0.5, 0, 6.5, 5), "strip"), (grid.box(2, 2, 19, 19), "big")])
    rows = run(
        CURVE,
        INPUT=zones,
        GRADE=column_grade,
        CUTOFFS="0.3, 0, 0.125,0.05, 0.125",
        THICKNESS=THICKNESS,
        DENSITY=DENSITY,
    )
    cutoffs = [0.0, 0.05, 0.125, 0.3]  # sorted, repeats dropped
    assert [(r["name"], r["cutoff"]) for r in rows] == [(n, c) for n in ("strip", "big") for c in cutoffs]
    for name in ("strip", "big"):
        ore = [r["ore_t"] for r in rows if r["name"] == name]
        assert all(a >= b for a, b in zip(ore, ore[1:])), ore
        assert ore[-1] == 0  # no cell reaches 0.3 %
    strip = {r["cutoff"]: r for r in rows if r["name"] == "strip"}
    assert strip[0.125]["ore_t"] == pytest.approx(3.5 * 5 * grid.cell**2 * THICKNESS * DENSITY)
    assert strip[0.0]["ore_t"] == pytest.approx(6 * 5 * grid.cell**2 * THICKNESS * DENSITY)
    assert is_null(strip[0.3]["grade_mean"])
    estimate = run(ESTIMATE, INPUT=zones, GRADE=column_grade, CUTOFF=0.125, THICKNESS=THICKNESS, DENSITY=DENSITY)
    assert [r["ore_t"] for r in rows if r["cutoff"] == 0.125] == pytest.approx([r["ore_t"] for r in estimate])


def test_curve_defaults_to_standard_cutoffs_of_the_unit_and_names_by_id(
    rare_earth_provider, make_polygons, make_raster, grid
) -> None:
    grade = make_raster(np.full((10, 10), 700.0))
    zones = make_polygons([(grid.box(1, 1, 5, 5), 3.5)], fields=("value",))
    rows = run(CURVE, INPUT=zones, GRADE=grade, GRADE_UNIT=1, THICKNESS=1)
    assert [r["cutoff"] for r in rows] == pytest.approx(list(standard_cutoffs("ppm")))
    assert {r["name"] for r in rows} == {f"zones #{rows[0]['feature_id']}"}  # areas.feature_name
    ore = [r["ore_t"] for r in rows]
    assert ore[:4] == pytest.approx([16 * 100 * 2.6] * 4) and ore[4:] == [0, 0, 0]  # 700 ppm passes 700


def test_input_field_names_are_kept_when_results_clash(
    rare_earth_provider, make_polygons, grid, constant_grade
) -> None:
    zones = make_polygons([(grid.box(0, 0, 2, 2), -1.0)], fields=("ore_t",))
    [row] = run(ESTIMATE, INPUT=zones, GRADE=constant_grade, THICKNESS=1, DENSITY=1)
    assert row["ore_t"] == -1.0
    assert row["ore_t_2"] == pytest.approx(4 * grid.cell**2)


def test_bad_features_get_null_results_and_a_message_but_the_batch_goes_on(
    rare_earth_provider, grid, constant_grade, feedback
) -> None:
    layer = QgsVectorLayer(f"Polygon?crs={GRID_CRS}&field=name:string", "zones", "memory")
    features = []
    for name, wkt in [
        ("good", grid.box(0, 0, 2, 2)),
        ("empty", None),
        ("flat", "POLYGON((600000 5540000,600010 5540000,600020 5540000,600000 5540000))"),
        ("also good", grid.box(3, 3, 4, 4)),
        ("bowtie", "POLYGON((600000 5540000,600020 5539980,600020 5540000,600000 5539980,600000 5540000))"),
    ]:
        feature = QgsFeature(layer.fields())
        feature.setAttributes([name])
        if wkt is not None:
            feature.setGeometry(QgsGeometry.fromWkt(wkt))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    rows = run(ESTIMATE, feedback, INPUT=layer, GRADE=constant_grade, THICKNESS=1, DENSITY=1, CUTOFF=0.5)
    assert [r["name"] for r in rows] == ["good", "empty", "flat", "also good", "bowtie"]
    for row in rows[1:3]:
        assert all(is_null(row[f]) for f in ("area_m2", "ore_t", "grade_mean", "treo_t", "tree_t", "coverage"))
    assert rows[0]["ore_t"] == 0 and is_null(rows[0]["grade_mean"])  # 0.2 % is below the 0.5 % cut-off
    assert rows[3]["area_m2"] == pytest.approx(100)
    assert any("(empty)" in e for e in feedback.errors) and any("(flat)" in e for e in feedback.errors)
    # An invalid polygon is not dropped or fatal (QGIS's default filter would abort): repaired and said so.
    assert rows[4]["area_m2"] == pytest.approx(200)
    assert any("(bowtie)" in w and "repaired" in w for w in feedback.warnings)


def test_engine_warnings_reach_feedback_with_the_feature_name(
    rare_earth_provider, make_polygons, grid, constant_grade, feedback
) -> None:
    zones = make_polygons([(grid.box(15, 15, 25, 25), "half outside")])  # the raster is 20 x 20 cells
    [row] = run(ESTIMATE, feedback, INPUT=zones, GRADE=constant_grade, THICKNESS=1)
    assert row["coverage"] == pytest.approx(0.25)
    assert any("half outside" in w and "outside the grade raster" in w for w in feedback.warnings)


def test_cancel_stops_between_features(rare_earth_provider, make_polygons, grid, constant_grade, feedback) -> None:
    zones = make_polygons([(grid.box(i, i, i + 1, i + 1), str(i)) for i in range(5)])
    feedback.progressChanged.connect(lambda _progress: feedback.cancel())
    rows = run(ESTIMATE, feedback, INPUT=zones, GRADE=constant_grade, THICKNESS=1)
    # cancelled once the first feature was handed to the engine: it stops there, maybe before summing it
    assert [r["name"] for r in rows] in ([], ["0"])


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"THICKNESS": 1, "THICKNESS_RASTER": "GRADE_FILE"}, "THICKNESS_RASTER"),
        ({}, "THICKNESS_RASTER"),
    ],
)
def test_thickness_must_be_given_exactly_once(
    rare_earth_provider, make_polygons, grid, constant_grade, extra, named
) -> None:
    zones = make_polygons([(grid.box(0, 0, 2, 2), "A")])
    extra = {k: constant_grade if v == "GRADE_FILE" else v for k, v in extra.items()}
    parameters = {"INPUT": zones, "GRADE": constant_grade, "OUTPUT": "memory:", **extra}
    for algorithm_id in (ESTIMATE, CURVE):
        algorithm = QgsApplication.processingRegistry().createAlgorithmById(algorithm_id)
        ok, message = algorithm.checkParameterValues(parameters, QgsProcessingContext())
        assert not ok and "THICKNESS" in message and named in message
        with pytest.raises(QgsProcessingException, match=named):
            processing.run(algorithm_id, parameters)


@pytest.mark.parametrize("cutoffs", ["0, abc", "0.1, -0.05", "0.1,,0.2", "nan"])
def test_bad_cutoffs_are_refused_naming_the_parameter(
    rare_earth_provider, make_polygons, grid, constant_grade, cutoffs
) -> None:
    parameters = {
        "INPUT": make_polygons([(grid.box(0, 0, 2, 2), "A")]),
        "GRADE": constant_grade,
        "THICKNESS": 1,
        "CUTOFFS": cutoffs,
        "OUTPUT": "memory:",
    }
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(CURVE)
    ok, message = algorithm.checkParameterValues(parameters, QgsProcessingContext())
    assert not ok and message.startswith("CUTOFFS:")
    with pytest.raises(QgsProcessingException, match="CUTOFFS"):
        processing.run(CURVE, parameters)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"GRADE_BAND": 2}, "GRADE_BAND"),
        ({"GRADE": "/nonexistent/grade.tif"}, "GRADE"),
        ({"THICKNESS": None, "THICKNESS_RASTER": "/nonexistent/thickness.tif"}, "THICKNESS_RASTER"),
    ],
)
def test_bad_rasters_stop_the_run_once_naming_the_parameter(
    rare_earth_provider, make_polygons, grid, constant_grade, change, named, feedback
) -> None:
    zones = make_polygons([(grid.box(0, 0, 2, 2), str(i)) for i in range(3)])
    parameters = {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": "memory:", **change}
    for algorithm_id in (ESTIMATE, CURVE):
        feedback.errors.clear()
        with pytest.raises(QgsProcessingException):  # worded generally; the cause goes to feedback
            processing.run(algorithm_id, parameters, feedback=feedback)
        assert len([e for e in feedback.errors if re.search(rf"\b{named}\b", e)]) == 1, feedback.errors


def test_runs_as_a_step_of_a_processing_model(rare_earth_provider, make_polygons, grid, constant_grade) -> None:
    model = QgsProcessingModelAlgorithm("Tonnage model", "tests")
    for name, parameter in (
        ("zones", QgsProcessingParameterVectorLayer("zones", "Zones")),
        ("grade", QgsProcessingParameterRasterLayer("grade", "Grade")),
    ):
        model.addModelParameter(parameter, QgsProcessingModelParameter(name))
    child = QgsProcessingModelChildAlgorithm(ESTIMATE)
    child.setChildId("estimate")
    child.addParameterSources("INPUT", [QgsProcessingModelChildParameterSource.fromModelParameter("zones")])
    child.addParameterSources("GRADE", [QgsProcessingModelChildParameterSource.fromModelParameter("grade")])
    # What the modeler's dialog stores: every mandatory parameter, optional ones only when set.
    for name, value in (("THICKNESS", THICKNESS), ("DENSITY", DENSITY), ("GRADE_UNIT", 0), ("CUTOFF", 0.1)):
        child.addParameterSources(name, [QgsProcessingModelChildParameterSource.fromStaticValue(value)])
    output = QgsProcessingModelOutput("tonnage")
    output.setChildId("estimate")
    output.setChildOutputName("OUTPUT")
    child.setModelOutputs({"tonnage": output})
    model.addChildAlgorithm(child)
    model.updateDestinationParameters()
    valid, issues = model.validateChildAlgorithm("estimate")
    assert valid, issues
    zones = make_polygons([(grid.box(0, 0, 3, 2), "A")])
    result = processing.run(model, {"zones": zones, "grade": constant_grade, "estimate:tonnage": "memory:"})
    [feature] = result["estimate:tonnage"].getFeatures()
    assert feature["ore_t"] == pytest.approx(6 * grid.cell**2 * THICKNESS * DENSITY)


def test_runs_on_a_worker_thread_from_project_layers(
    rare_earth_provider, qgis_new_project, qtbot, make_polygons, grid, constant_grade
) -> None:
    """What the toolbox does: layers chosen from the project, the algorithm run as a background task."""
    project = QgsProject.instance()
    zones = QgsVectorLayer(make_polygons([(grid.box(1, 1, 4, 3), "A")]), "zones", "ogr")
    grade = QgsRasterLayer(constant_grade, "grade")
    project.addMapLayers([zones, grade])
    context = QgsProcessingContext()
    context.setProject(project)
    feedback = QgsProcessingFeedback()
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(ESTIMATE)
    parameters = {
        "INPUT": zones.id(),
        "GRADE": grade.id(),
        "THICKNESS": 1,
        "DENSITY": 1,
        "OUTPUT": QgsProcessing.TEMPORARY_OUTPUT,
    }
    done: dict[str, Any] = {}
    task = QgsProcessingAlgRunnerTask(algorithm, parameters, context, feedback)
    task.executed.connect(lambda ok, results: done.update(ok=ok, results=results))
    QgsApplication.taskManager().addTask(task)
    qtbot.waitUntil(lambda: "ok" in done, timeout=60_000)
    assert done["ok"]
    layer = context.getMapLayer(done["results"]["OUTPUT"])
    assert [f["ore_t"] for f in layer.getFeatures()] == pytest.approx([6 * grid.cell**2])


def test_sample_zones_with_the_thickness_raster(rare_earth_provider, sample_paths) -> None:
    rows = run(
        ESTIMATE,
        INPUT=sample_paths.zones,
        GRADE=sample_paths.grade,
        THICKNESS_RASTER=sample_paths.thickness,
        CUTOFF=0.1,
    )
    irgiz = next(r for r in rows if r["name"] == "Irgiz")
    assert irgiz["ore_t"] > 0 and irgiz["grade_mean"] >= 0.1 and irgiz["coverage"] == pytest.approx(1.0)
    assert irgiz["tree_t"] == pytest.approx(irgiz["treo_t"] * TREO_TO_TREE)


def _ring(grid, cells: list[tuple[float, float]]) -> str:
    points = [*cells, cells[0]]
    return ",".join(f"{grid.x(c)} {grid.y(r)}" for c, r in points)


def _zonal_count_and_sum(zones: str, grade: str) -> list[tuple[float, float]]:
    """COUNT and SUM of grade cells per polygon from QGIS's own zonal statistics (cell centres inside)."""
    registry = QgsApplication.processingRegistry()
    if registry.algorithmById("native:zonalstatisticsfb") is not None:
        result = processing.run(
            "native:zonalstatisticsfb",
            {
                "INPUT": zones,
                "INPUT_RASTER": grade,
                "RASTER_BAND": 1,
                "COLUMN_PREFIX": "z_",
                "STATISTICS": [0, 1],
                "OUTPUT": "memory:",
            },
        )
        layer = result["OUTPUT"]
    else:
        layer = QgsVectorLayer(zones, "zones", "ogr")
        processing.run(
            "native:zonalstatistics",
            {
                "INPUT_VECTOR": layer,
                "INPUT_RASTER": grade,
                "RASTER_BAND": 1,
                "COLUMN_PREFIX": "z_",
                "STATISTICS": [0, 1],
            },
        )
    rows = [(f["z_count"], f["z_sum"]) for f in layer.getFeatures()]
    assert all(math.isfinite(total) for _, total in rows)
    return rows


def test_dialog_defaults_grade_to_the_grade_layer_and_shows_a_readable_cutoff(
    qgis_new_project, rare_earth_provider
) -> None:
    from qgis.core import QgsApplication, QgsProject

    from rare_earth_plugin.layers import load_sample_layers

    sample = load_sample_layers(QgsProject.instance())
    algorithm = QgsApplication.processingRegistry().createAlgorithmById("rareearth:estimatetonnage")
    assert algorithm.parameterDefinition("GRADE").defaultValue() == sample.grade.id()  # not the thickness
    cutoff = algorithm.parameterDefinition("CUTOFF")
    assert cutoff.metadata()["widget_wrapper"]["decimals"] == 3


def test_thickness_message_uses_the_labels_the_dialog_shows() -> None:
    from rare_earth_plugin.processing.raster_inputs import check_thickness_choice

    text = check_thickness_choice({})
    assert "“Constant thickness (m)” (THICKNESS)" in text and "“Thickness raster (m)” (THICKNESS_RASTER)" in text


class _CancelWhenTheEngineAsks(RecordingFeedback):
    """Not cancelled when the features are listed; cancelled from the first check inside the estimate."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def isCanceled(self) -> bool:  # noqa: N802 - QGIS API name
        self.asked += 1
        return self.asked > 1


@pytest.mark.parametrize("algorithm", [ESTIMATE, CURVE, "rareearth:explorationtarget"])
def test_cancel_reaches_inside_one_polygon(rare_earth_provider, make_polygons, grid, constant_grade, algorithm) -> None:
    zones = make_polygons([(grid.box(0, 0, 10, 10), "one large area")])
    feedback = _CancelWhenTheEngineAsks()
    rows = run(algorithm, feedback, INPUT=zones, GRADE=constant_grade, THICKNESS=1)
    assert rows == []  # the one feature was listed, then the engine stopped before summing it
    assert feedback.asked >= 2
    assert any("Cancelled" in info for info in feedback.infos)


def _gpkg_without_crs(tmp_path, wkt: str) -> str:
    """A GeoPackage layer stored without a CRS: QGIS reads it as a valid 'Undefined geographic SRS'."""
    from osgeo import ogr

    path = tmp_path / "zones without crs.gpkg"
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = source.CreateLayer("zones without crs", None, ogr.wkbMultiPolygon)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.ForceToMultiPolygon(ogr.CreateGeometryFromWkt(wkt)))
    layer.CreateFeature(feature)
    source = None
    return f"{path}|layername=zones without crs"


@pytest.mark.parametrize("kind", ["memory", "gpkg"])
@pytest.mark.parametrize("algorithm", [ESTIMATE, CURVE])
def test_a_polygon_layer_without_crs_is_named(
    rare_earth_provider, grid, constant_grade, tmp_path, algorithm, kind
) -> None:
    if kind == "memory":
        layer: Any = QgsVectorLayer("Polygon?field=name:string", "zones without crs", "memory")
        feature = QgsFeature(layer.fields())
        feature.setAttributes(["A"])
        feature.setGeometry(QgsGeometry.fromWkt(grid.box(0, 0, 2, 2)))
        layer.dataProvider().addFeatures([feature])
        layer.setCrs(QgsCoordinateReferenceSystem())  # a memory layer's default would be EPSG:4326
        assert not layer.crs().isValid()
    else:
        layer = _gpkg_without_crs(tmp_path, grid.box(0, 0, 2, 2))
    with pytest.raises(QgsProcessingException) as raised:
        run(algorithm, INPUT=layer, GRADE=constant_grade, THICKNESS=1)
    message = str(raised.value)
    assert "has no CRS" in message and "zones without crs" in message and "INPUT" in message
    assert "area of use" not in message and "outside" not in message


@pytest.mark.parametrize("algorithm_id", [ESTIMATE, CURVE, "rareearth:explorationtarget"])
def test_a_run_stopped_part_way_leaves_an_existing_output_file_as_it_was(
    rare_earth_provider, make_polygons, grid, tmp_path, feedback, algorithm_id
) -> None:
    """QGIS replaces OUTPUT with an empty file when the sink is made: made only once every row is computed, a
    raster that cannot be read past its first tiles (a truncated copy) no longer costs the user the file."""
    import hashlib

    import rasterio
    from rasterio.transform import from_origin

    profile = {
        "driver": "GTiff",
        "width": 512,
        "height": 512,
        "count": 1,
        "dtype": "float32",
        "crs": GRID_CRS,
        "transform": from_origin(*grid.origin, grid.cell, grid.cell),
        "tiled": True,
        "blockxsize": 64,
        "blockysize": 64,
        "compress": "deflate",
    }
    good, broken = tmp_path / "grade.tif", tmp_path / "grade_truncated.tif"
    with rasterio.open(good, "w", **profile) as dst:
        dst.write(np.random.default_rng(1).uniform(0.0, 0.3, (1, 512, 512)).astype(np.float32))
    data = good.read_bytes()
    broken.write_bytes(data[: len(data) // 2])  # the tiles of the upper rows are whole, the lower ones gone
    zones = make_polygons([(grid.box(0, 0, 60, 30), "top"), (grid.box(0, 450, 60, 500), "bottom")])
    output = str(tmp_path / "results.gpkg")
    parameters = {"INPUT": zones, "GRADE": str(good), "THICKNESS": 10, "OUTPUT": output}
    processing.run(algorithm_id, parameters, feedback=feedback)
    rows_per_zone = len(standard_cutoffs("percent")) if algorithm_id == CURVE else 1
    assert f"Writing {2 * rows_per_zone} rows to OUTPUT" in feedback.infos  # once all are computed
    before = hashlib.sha256((tmp_path / "results.gpkg").read_bytes()).hexdigest()
    with pytest.raises(QgsProcessingException):
        processing.run(algorithm_id, {**parameters, "GRADE": str(broken)})
    assert hashlib.sha256((tmp_path / "results.gpkg").read_bytes()).hexdigest() == before
    assert QgsVectorLayer(output, "kept", "ogr").featureCount() == 2 * rows_per_zone


@pytest.mark.parametrize("algorithm_id", [ESTIMATE, CURVE, "rareearth:explorationtarget"])
def test_an_output_file_that_cannot_be_made_is_refused_before_the_run(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path, feedback, algorithm_id
) -> None:
    """The rows are computed before OUTPUT is made: a folder that does not exist was told only after the whole
    run (51 s for 20,000 polygons, against 2 s before). It is refused before any polygon is estimated."""
    zones = make_polygons([(grid.box(i, i, i + 1, i + 1), str(i)) for i in range(3)])
    progress: list[float] = []
    feedback.progressChanged.connect(progress.append)
    for output in (
        str(tmp_path / "missing" / "out.gpkg"),
        f"ogr:dbname='{tmp_path / 'missing' / 'out.gpkg'}' table=\"t\"",
    ):
        feedback.errors.clear()
        with pytest.raises(QgsProcessingException):  # worded generally; the cause goes to feedback
            processing.run(
                algorithm_id,
                {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": output},
                feedback=feedback,
            )
        assert any(re.search(r"OUTPUT: the folder of .*missing.* does not exist", e) for e in feedback.errors)
    assert progress == []
    assert not (tmp_path / "missing").exists()


def test_output_files_are_told_from_memory_layers_and_databases() -> None:
    from rare_earth_plugin.processing.tonnage_algorithm import output_file

    assert output_file("/data/out.gpkg") == "/data/out.gpkg"
    assert output_file("/data/out.gpkg|layername=zones") == "/data/out.gpkg"
    assert output_file("C:/data/out.shp") == "C:/data/out.shp"
    assert output_file("ogr:dbname='/data/my zones.gpkg' table=\"t\" (geom)") == "/data/my zones.gpkg"
    assert output_file('ogr:dbname="/data/z.gpkg" table="t"') == "/data/z.gpkg"
    for other in ("memory:", "memory:Tonnage", "postgres://dbname='x' table=\"t\"", "spatialite:dbname=x.sqlite"):
        assert output_file(other) is None


def test_output_problems_are_named_before_the_run(tmp_path) -> None:
    from rare_earth_plugin.processing.tonnage_algorithm import output_problem

    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "adir.gpkg").mkdir()
    assert output_problem(str(tmp_path / "out.gpkg")) == ""
    assert (
        output_problem(str(tmp_path / "afile" / "out.gpkg")) == f"OUTPUT: {tmp_path / 'afile'} is a file, not a folder"
    )
    assert (
        output_problem(str(tmp_path / "adir.gpkg")) == f"OUTPUT: {tmp_path / 'adir.gpkg'} is a folder; give a file name"
    )
    assert "does not exist" in output_problem(str(tmp_path / "missing" / "out.gpkg"))


@pytest.mark.parametrize("form", ["file", "layer in a GeoPackage"])
@pytest.mark.parametrize("algorithm_id", [ESTIMATE, CURVE, "rareearth:explorationtarget"])
def test_a_full_disk_is_an_error_and_keeps_an_earlier_file(
    rare_earth_provider, make_polygons, grid, constant_grade, small_disk, algorithm_id, form
) -> None:
    """A GeoPackage commits its rows as it is closed; on a full disk that failed after every row was accepted,
    and QGIS reported success over a file without the layer, the earlier file gone. A file is now written
    beside the earlier one first, which is left as it was; a layer added to a GeoPackage is written in place
    (QGIS empties it first), and the failure is told."""
    import hashlib

    disk = small_disk(300)
    few = make_polygons([(grid.box(0, 0, 1, 1), "one")], name="few")
    many = make_polygons(
        [(grid.box(i % 20, i // 100, i % 20 + 1, i // 100 + 1), f"zone {i}") for i in range(2000)], name="many"
    )
    file = disk / "out.gpkg"
    output = str(file) if form == "file" else f"ogr:dbname='{file}' table=\"results\""
    parameters = {"GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": output}
    processing.run(algorithm_id, {**parameters, "INPUT": few})
    before = hashlib.sha256(file.read_bytes()).hexdigest()
    rows = 2000 * (len(standard_cutoffs("percent")) if algorithm_id == CURVE else 1)
    if form == "file":
        told = rf"OUTPUT: only [\d,]+ of the {rows:,} rows could be written to {re.escape(str(file))} "
        told += r"\(is the disk full\?\); .* is left as it was"
    else:  # the disk filled up to 32 kB (a layer added takes less room than a second file), the file named
        free = os.statvfs(disk)
        (disk / "filler").write_bytes(bytes(max(free.f_bavail * free.f_frsize - 32_768, 0)))
        told = re.escape(str(file))
    with pytest.raises(QgsProcessingException, match=told):
        processing.run(algorithm_id, {**parameters, "INPUT": many})
    if form == "file":
        assert hashlib.sha256(file.read_bytes()).hexdigest() == before
    assert sorted(path.name for path in disk.iterdir() if path.name != "filler") == ["out.gpkg"]  # nothing beside


@pytest.mark.parametrize("free_kb", [16, 64, 160])
@pytest.mark.parametrize("algorithm_id", [ESTIMATE, "rareearth:explorationtarget"])
def test_a_layer_added_on_a_full_disk_is_taken_out_again(
    rare_earth_provider, make_polygons, grid, constant_grade, small_disk, algorithm_id, free_kb
) -> None:
    """A layer added to a GeoPackage is written in place: on a full disk that failed after QGIS made its table,
    an empty table was left beside the user's layers, and a GeoPackage made for it was left empty. What the run
    made is taken out again and the user told so; the user's layer is untouched. (How much room is left decides
    whether QGIS fails to make the table or to fill it: both are covered. QGIS 3.40 and later commit the table
    first, and count it by the feature count GDAL keeps beside it, which says 2,000 after the rows' commit
    failed: the rows themselves are counted.)"""
    disk = small_disk(400)
    many = make_polygons(
        [(grid.box(i % 20, i // 100, i % 20 + 1, i // 100 + 1), f"zone {i}") for i in range(2000)], name="many"
    )
    kept = disk / "kept.gpkg"
    shutil.copy(make_polygons([(grid.box(0, 0, 1, 1), "the user's")], name="users").split("|")[0], kept)
    (name,) = _layer_names(kept)
    free = os.statvfs(disk)
    (disk / "filler").write_bytes(bytes(max(free.f_bavail * free.f_frsize - free_kb * 1024, 0)))
    parameters = {"INPUT": many, "GRADE": constant_grade, "THICKNESS": 1, "DRAWS": 100}
    added = f"ogr:dbname='{kept}' table=\"results\" (geom)"
    with pytest.raises(QgsProcessingException, match=r"(?i)disk|full|space") as failed:
        processing.run(algorithm_id, {**parameters, "OUTPUT": added})
    # what is said of the file is what it holds: as it was, or (QGIS 3.40+ commit the table before its rows, and
    # the disk can be too full to take it out again) the table left, named, holding the rows said
    if f'the table "results" it made is left in {kept}' in str(failed.value):
        assert sorted(_layer_names(kept)) == sorted([name, "results"])
        said = re.search(r"only ([\d,]+) of", str(failed.value))
        with contextlib.closing(sqlite3.connect(f"file:{kept}?mode=ro", uri=True)) as connection:
            (held,) = connection.execute("SELECT COUNT(*) FROM results").fetchone()  # not QGIS's cached count
        assert held < 2000
        assert said is None or int(said.group(1).replace(",", "")) == held
    else:
        assert f"{kept} is left as it was" in str(failed.value)
        assert _layer_names(kept) == [name]
    users = QgsVectorLayer(f"{kept}|layername={name}", "kept", "ogr")
    assert users.featureCount() == 1
    del users
    fresh = disk / "fresh.gpkg"
    with pytest.raises(QgsProcessingException, match=rf"{re.escape(str(fresh))} was not left behind"):
        processing.run(algorithm_id, {**parameters, "OUTPUT": f"ogr:dbname='{fresh}' table=\"results\""})
    # beside the files: only kept.gpkg's -wal and -shm, which SQLite cannot fold back into it on the full disk
    assert {path.name for path in disk.iterdir()} - {"kept.gpkg-wal", "kept.gpkg-shm"} == {"filler", "kept.gpkg"}


def _layer_names(path: Path) -> list[str]:
    source = ogr.Open(str(path))
    try:
        return [source.GetLayer(index).GetName() for index in range(source.GetLayerCount())]
    finally:
        source = None


def test_qgis_messages_about_a_staged_output_name_the_users_file(qgis_app) -> None:
    from rare_earth_plugin.processing.staged_feedback import naming_the_users_file

    context, feedback = QgsProcessingContext(), RecordingFeedback()
    context.setFeedback(feedback)
    with naming_the_users_file(context, "/data/.out.gpkg.tmp/out.gpkg", "/data/out.gpkg"):
        context.feedback().reportError("Feature could not be written to /data/.out.gpkg.tmp/out.gpkg: full")
        context.feedback().pushWarning("/data/.out.gpkg.tmp/out.gpkg: field name cut")
    assert context.feedback() is feedback
    assert feedback.errors == ["Feature could not be written to /data/out.gpkg: full"]
    assert feedback.warnings == ["/data/out.gpkg: field name cut"]


@pytest.mark.parametrize("free_kb", [48, 64, 96])
def test_a_full_disk_names_the_users_file_not_the_staged_one(
    rare_earth_provider, make_polygons, grid, constant_grade, small_disk, free_kb
) -> None:
    """QGIS's sink tells of a row it cannot write itself, naming the file it writes: the hidden one beside the
    user's, which the log named on a full disk."""
    disk = small_disk(400)
    many = make_polygons(
        [(grid.box(i % 20, i // 100, i % 20 + 1, i // 100 + 1), f"zone {i}") for i in range(2000)], name="many"
    )
    free = os.statvfs(disk)
    (disk / "filler").write_bytes(bytes(max(free.f_bavail * free.f_frsize - free_kb * 1024, 0)))
    file, feedback = disk / "out.gpkg", RecordingFeedback()
    parameters = {"INPUT": many, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": str(file)}
    with pytest.raises(QgsProcessingException, match=re.escape(str(file))):
        processing.run(ESTIMATE, parameters, feedback=feedback)
    told = feedback.errors + feedback.warnings + feedback.infos
    assert not [message for message in told if "rare-earth" in message or f"{disk}/." in message]
    assert sorted(path.name for path in disk.iterdir()) == ["filler"]


def _copies(source: str, target: Path, layers: Sequence[str], driver: str) -> None:
    """A file of ``driver`` holding each of ``layers`` as a copy of the GeoPackage layer ``source``."""
    path, name = source.split("|layername=")
    options = gdal.VectorTranslateOptions(format=driver, layerName=layers[0], layers=[name])
    gdal.VectorTranslate(str(target), path, options=options)
    for layer in layers[1:]:
        options = gdal.VectorTranslateOptions(accessMode="update", layerName=layer, layers=[name])
        gdal.VectorTranslate(str(target), path, options=options)


@pytest.mark.parametrize("suffix", ["", ".foo"])
def test_an_output_without_a_format_s_extension_is_checked_as_the_geopackage_qgis_writes(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path, suffix
) -> None:
    """QGIS writes "x" or "x.foo" as a GeoPackage x.gpkg (x.foo.gpkg) anew: that file is checked, not the name
    as typed, which had let it delete the other layers of a GeoPackage, and the input's own file."""
    zones = make_polygons([(grid.box(0, 0, 1, 1), "one")])
    held = tmp_path / f"multi{suffix}.gpkg"
    _copies(zones, held, ["zones", "drillholes"], "GPKG")
    parameters = {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1}
    with pytest.raises(QgsProcessingException):
        processing.run(ESTIMATE, {**parameters, "OUTPUT": str(tmp_path / f"multi{suffix}")})
    assert _layer_names(held) == ["zones", "drillholes"]
    result = processing.run(ESTIMATE, {**parameters, "OUTPUT": str(tmp_path / f"fresh{suffix}")})
    assert result["OUTPUT"] == str(tmp_path / f"fresh{suffix}.gpkg")
    assert QgsVectorLayer(result["OUTPUT"], "written", "ogr").featureCount() == 1


@pytest.mark.parametrize("name", ["Zones.shp", "zones.SHP"])
def test_a_shapefile_output_does_not_delete_one_named_alike_in_another_case(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path, name
) -> None:
    """QGIS deletes the parts of a shapefile of the output's name whatever the case of their letters: Zones.shp
    deleted the input zones.shp."""
    folder = tmp_path / "shapes"
    folder.mkdir()
    _copies(make_polygons([(grid.box(0, 0, 1, 1), "one")]), folder / "zones.shp", ["zones"], "ESRI Shapefile")
    before = sorted(path.name for path in folder.iterdir())
    parameters = {"INPUT": str(folder / "zones.shp"), "GRADE": constant_grade, "THICKNESS": 1}
    with pytest.raises(QgsProcessingException):
        processing.run(ESTIMATE, {**parameters, "OUTPUT": str(folder / name)}, feedback=(told := RecordingFeedback()))
    assert any("would delete zones.dbf" in error for error in told.errors)
    assert sorted(path.name for path in folder.iterdir()) == before


def test_a_dbf_output_is_refused(rare_earth_provider, make_polygons, grid, constant_grade, tmp_path) -> None:
    """QGIS wrote a table named c.dbf as c.dbf.dbf, and the result named c.dbf.shp."""
    zones = make_polygons([(grid.box(0, 0, 1, 1), "one")])
    parameters = {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": str(tmp_path / "c.dbf")}
    with pytest.raises(QgsProcessingException):
        processing.run(CURVE, parameters, feedback=(told := RecordingFeedback()))
    assert any("c.dbf: give a table or layer the name of" in error for error in told.errors)
    assert not list(tmp_path.glob("c.dbf*"))


@pytest.mark.parametrize(("name", "driver"), [("book.xlsx", "XLSX"), ("places.kml", "LIBKML")])
def test_a_file_of_several_layers_is_not_written_anew(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path, name, driver
) -> None:
    """A workbook's other sheets, a KML's other folders, were deleted by a plain path over it, as a GeoPackage's
    other layers would have been but for the check."""
    if gdal.GetDriverByName(driver) is None:
        pytest.skip(f"GDAL has no {driver} driver here")
    zones = make_polygons([(grid.box(0, 0, 1, 1), "one")])
    held = tmp_path / name
    _copies(zones, held, [held.stem, "Budget"], driver)
    parameters = {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": str(held)}
    with pytest.raises(QgsProcessingException):
        processing.run(ESTIMATE, parameters, feedback=(told := RecordingFeedback()))
    assert any("holds other layers or tables (Budget)" in error for error in told.errors)
    assert _layer_names(held) == [held.stem, "Budget"]


def test_a_shapefile_a_full_disk_cuts_short_is_an_error(
    rare_earth_provider, make_polygons, grid, constant_grade, small_disk
) -> None:
    """QGIS counts a shapefile's features from its .shx: a .dbf a full disk cut short was reported a success."""
    disk = small_disk(400)
    zones = make_polygons([(grid.box(i, 0, i + 1, 1), f"zone {i}") for i in range(6)])
    parameters = {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": str(disk / "est.shp")}
    processing.run(ESTIMATE, parameters)
    free = os.statvfs(disk)
    (disk / "filler").write_bytes(bytes(free.f_bavail * free.f_frsize))
    told = r"est\.(dbf|shp|shx) was cut short: not all 6 rows|only \d of the 6 rows|disk is full"
    with pytest.raises(QgsProcessingException, match=told):
        processing.run("rareearth:explorationtarget", {**parameters, "DRAWS": 10})


def test_a_geopackage_another_program_holds_open_is_not_replaced(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path
) -> None:
    """Another program reading the earlier output in WAL mode, idle: replaced under it, its next edit went into the
    new file through the -wal they share (the new output showed that program's rows and the old figures)."""
    import hashlib
    import subprocess
    import sys

    zones = make_polygons([(grid.box(0, 0, 1, 1), "one")])
    file = tmp_path / "out.gpkg"
    parameters = {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": str(file)}
    processing.run(ESTIMATE, parameters)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_OPEN, str(file)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        before = hashlib.sha256(file.read_bytes()).hexdigest()
        with pytest.raises(QgsProcessingException):
            processing.run(ESTIMATE, parameters, feedback=(told := RecordingFeedback()))
        assert any(f"'{file}' is open in another program (python" in error for error in told.errors), told.errors
        assert hashlib.sha256(file.read_bytes()).hexdigest() == before
    finally:
        holder.kill()
        holder.wait()


#: A program that opens a GeoPackage in WAL mode, reads it, says "open" and waits.
HOLD_OPEN = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA journal_mode=WAL")
db.execute("SELECT count(*) FROM sqlite_master").fetchall()
print("open", flush=True)
time.sleep(120)
"""


def test_a_file_written_beside_is_loaded_under_its_own_name(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path
) -> None:
    """The rows go to a hidden folder first; the layer QGIS loads when the run ends is the file itself."""
    from qgis.core import QgsProcessingOutputLayerDefinition

    zones = make_polygons([(grid.box(0, 0, 1, 1), "one")])
    output = str(tmp_path / "results.gpkg")
    definition = QgsProcessingOutputLayerDefinition(output, QgsProject.instance())
    definition.destinationName = "My results"
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    parameters = {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": definition}
    result = processing.run(ESTIMATE, parameters, context=context)
    assert result["OUTPUT"] == output
    loaded = context.layersToLoadOnCompletion()
    assert list(loaded) == [output] and loaded[output].name == "My results"
    assert QgsVectorLayer(output, "written", "ogr").featureCount() == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["grade.tif", "results.gpkg", "zones.gpkg"]


@pytest.mark.parametrize("name", ["out.gpkg", "out.shp", "out.csv", "out.geojson", "ogr:multi.gpkg"])
@pytest.mark.parametrize("algorithm_id", [ESTIMATE, CURVE])
def test_outputs_of_every_format_pass_the_check_of_their_rows(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path, name, algorithm_id
) -> None:
    zones = make_polygons([(grid.box(i, i, i + 1, i + 1), str(i)) for i in range(3)])
    output = str(tmp_path / name)
    if name.startswith("ogr:"):  # a layer of its own in a GeoPackage that holds the zones too
        output = f"ogr:dbname='{zones.split('|')[0]}' table=\"results\" (geom)"
    result = processing.run(algorithm_id, {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": output})
    rows = 3 * (len(standard_cutoffs("percent")) if algorithm_id == CURVE else 1)
    written = result["OUTPUT"]
    if name == "out.shp" and algorithm_id == CURVE:  # a table without geometry: QGIS writes out.dbf alone
        written = str(tmp_path / "out.dbf")
    assert QgsVectorLayer(written, "written", "ogr").featureCount() == rows


@pytest.mark.parametrize("table", ["My Results", "UPPER", "résultats-2026", "o'k", "a#b"])
def test_a_layer_added_to_a_sqlite_file_is_named_as_gdal_names_it(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path, feedback, table
) -> None:
    """GDAL's SQLite driver names a layer "résultats-2026" as "résultats_2026": QGIS wrote it, could not load it
    by the name given, and the run failed after all its work with a message saying the file was left as it was,
    over the table it had made. Such a name is refused before the run, with the name to give; one that only
    differs in case is written and counted."""
    zones = make_polygons([(grid.box(i, i, i + 1, i + 1), str(i)) for i in range(3)])
    package = tmp_path / "kept.sqlite"
    gdal.VectorTranslate(str(package), zones.split("|")[0], options=gdal.VectorTranslateOptions(format="SQLite"))
    before = _layer_names(package)
    quoted = table.replace('"', '\\"')
    parameters = {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1}
    output = f"ogr:dbname='{package}' table=\"{quoted}\" (geom)"
    if any(mark in table for mark in "-#'"):
        laundered = table.lower().replace("-", "_").replace("#", "_").replace("'", "_")
        with pytest.raises(QgsProcessingException):
            processing.run(ESTIMATE, {**parameters, "OUTPUT": output}, feedback=feedback)
        told = f'OUTPUT: GDAL would name the table "{table}" "{laundered}" in {package}'
        assert any(error.startswith(told) for error in feedback.errors), feedback.errors
        assert any(f'give table="{laundered}"' in error for error in feedback.errors)
        assert _layer_names(package) == before
        processing.run(ESTIMATE, {**parameters, "OUTPUT": f"ogr:dbname='{package}' table=\"{laundered}\" (geom)"})
    else:
        result = processing.run(ESTIMATE, {**parameters, "OUTPUT": output})
        assert QgsVectorLayer(result["OUTPUT"], "written", "ogr").featureCount() == 3
        laundered = table.lower()
    assert _layer_names(package) == [*before, laundered]


@pytest.mark.parametrize("name", ["out.gpkg", "out.geojson", "memory:"])
def test_multi_polygons_in_a_polygon_layer_are_written_as_a_multi_polygon_layer(
    rare_earth_provider, grid, constant_grade, tmp_path, name
) -> None:
    """A GeoPackage layer typed Polygon may hold multi-polygons: written as it was typed, the output broke the
    GeoPackage standard (GDAL warned) and mixed types in the one layer."""
    source = tmp_path / "mixed.gpkg"
    srs = osr.SpatialReference()
    srs.SetFromUserInput(GRID_CRS)
    dataset = ogr.GetDriverByName("GPKG").CreateDataSource(str(source))
    layer = dataset.CreateLayer("mixed", srs, ogr.wkbPolygon)
    parts = [ogr.CreateGeometryFromWkt(grid.box(i, 0, i + 1, 1)) for i in (0, 2, 4)]
    whole = ogr.Geometry(ogr.wkbMultiPolygon)
    for part in parts[1:]:
        whole.AddGeometry(part)
    for geometry in (parts[0], whole):
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetGeometry(geometry)
        layer.CreateFeature(feature)
    dataset = layer = None
    output = name if name == "memory:" else str(tmp_path / name)
    parameters = {"INPUT": f"{source}|layername=mixed", "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": output}
    result = processing.run(ESTIMATE, parameters)["OUTPUT"]
    if name == "memory:":
        assert QgsWkbTypes.displayString(result.wkbType()) == "MultiPolygon"
        types = [QgsWkbTypes.displayString(feature.geometry().wkbType()) for feature in result.getFeatures()]
        assert types == ["MultiPolygon"] * 2
        return
    written = ogr.Open(output)
    try:
        layer = written.GetLayer(0)
        assert layer.GetGeomType() == ogr.wkbMultiPolygon
        geometries = [feature.GetGeometryRef().Clone() for feature in layer]  # a feature's own dies with it
        assert [geometry.GetGeometryType() for geometry in geometries] == [ogr.wkbMultiPolygon] * 2
        assert [geometry.GetGeometryCount() for geometry in geometries] == [1, 2]
        assert geometries[1].GetArea() == pytest.approx(2 * grid.cell**2)
    finally:
        written = None


def test_a_layer_added_to_a_geopackage_keeps_a_name_the_sqlite_driver_would_change(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path
) -> None:
    zones = make_polygons([(grid.box(i, i, i + 1, i + 1), str(i)) for i in range(3)])
    package = zones.split("|")[0]
    before = _layer_names(Path(package))
    output = f"ogr:dbname='{package}' table=\"a-b\" (geom)"
    result = processing.run(ESTIMATE, {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": output})
    assert QgsVectorLayer(result["OUTPUT"], "written", "ogr").featureCount() == 3
    assert _layer_names(Path(package)) == [*before, "a-b"]


def test_a_run_killed_while_it_wrote_leaves_nothing_after_the_next(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path
) -> None:
    """The hidden folder a file is first written in is marked as the report's temporary files are: the next run
    into that folder removes one whose process is gone."""
    import subprocess

    from rare_earth_plugin.report import file_set

    gone = subprocess.Popen(["true"])
    gone.wait()
    leftover = tmp_path / f".results.gpkg.{file_set.TEMP_MARK}-{file_set._HOST}-{gone.pid}-0badf00d.gpkg"
    leftover.mkdir()
    (leftover / "results.gpkg").write_bytes(b"half written")
    zones = make_polygons([(grid.box(0, 0, 1, 1), "one")])
    output = str(tmp_path / "results.gpkg")
    processing.run(ESTIMATE, {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": output})
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []
    assert QgsVectorLayer(output, "written", "ogr").featureCount() == 1


def _layers_of(path) -> list[str]:
    source = ogr.Open(str(path))
    names = sorted(source.GetLayer(i).GetName() for i in range(source.GetLayerCount()))
    source = None
    return names


@pytest.mark.parametrize("algorithm_id", [ESTIMATE, CURVE, "rareearth:explorationtarget"])
def test_files_an_output_would_destroy_are_refused_before_the_run(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path, feedback, algorithm_id
) -> None:
    """Each of these lost data while the run reported success: OUTPUT naming the input's own GeoPackage (every
    layer in it wiped), a plain path over a GeoPackage of other layers (QGIS writes the file anew), and a
    layer's address given as the file (a file of that whole name was left beside)."""
    import hashlib

    zones = make_polygons([(grid.box(0, 0, 1, 1), "one")], name="zones")
    package = tmp_path / "zones.gpkg"
    other = str(tmp_path / "package.gpkg")  # holding a layer "keep"
    os.replace(make_polygons([(grid.box(0, 0, 1, 1), "keep")], name="keep").split("|")[0], other)
    # and the input layer itself: named in another case, the input given as its file (its first layer) or by
    # layer id, or in a file whose name QGIS escapes (Save to GeoPackage… writes o\'k.gpkg)
    quoted = tmp_path / "o'k.gpkg"
    quoted.write_bytes(package.read_bytes())
    escaped = str(quoted).replace("'", "\\'")
    input_itself = "which this run reads"
    cases = [
        (zones, str(package), r"OUTPUT: .*zones\.gpkg is the file of the layer 'zones', which this run reads"),
        (zones, f"ogr:dbname='{package}' table=\"zones\"", r"is the file of the layer 'zones', which this run reads"),
        (
            zones,
            other,
            r"OUTPUT: .*package\.gpkg holds other layers or tables \(keep\), which writing the file anew would",
        ),
        (zones, f"{other}|layername=results", r"is a layer's address, not a file name; to add a layer .* ogr:dbname="),
        (zones, f"ogr:dbname='{package}' table=\"ZONES\" (geom)", input_itself),
        (str(package), f"ogr:dbname='{package}' table=\"zones\"", input_itself),
        (f"{package}|layerid=0", f"ogr:dbname='{package}' table=\"zones\"", input_itself),
        (f"{quoted}|layername=zones", f"ogr:dbname='{escaped}' table=\"zones\" (geom)", input_itself),
    ]
    before = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in tmp_path.glob("*.gpkg")}
    for source, output, told in cases:
        feedback.errors.clear()
        with pytest.raises(QgsProcessingException):
            processing.run(
                algorithm_id,
                {"INPUT": source, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": output},
                feedback=feedback,
            )
        assert any(re.search(told, error) for error in feedback.errors), (output, feedback.errors)
    assert {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in tmp_path.glob("*.gpkg")} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["grade.tif", "o'k.gpkg", "package.gpkg", "zones.gpkg"]
    # a layer added to that GeoPackage keeps the others; a plain path over a file of its own layer replaces it
    processing.run(
        algorithm_id,
        {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": f"ogr:dbname='{other}' table=\"results\""},
    )
    assert _layers_of(other) == ["keep", "results"]
    again = str(tmp_path / "results.gpkg")
    for _ in range(2):
        processing.run(algorithm_id, {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": again})
    assert _layers_of(again) == ["results"]


@pytest.mark.parametrize("output", ["out.gpkg", "ogr"])
def test_a_geopackage_another_program_is_writing_is_left_to_it(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path, feedback, output
) -> None:
    """Replaced under a program holding it locked, its changes went on into the replaced file and were lost, and
    the run said nothing."""
    import sqlite3

    zones = make_polygons([(grid.box(0, 0, 1, 1), "one")])
    file = tmp_path / "out.gpkg"
    processing.run(ESTIMATE, {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": str(file)})
    destination = str(file) if output == "out.gpkg" else f"ogr:dbname='{file}' table=\"more\""
    holder = sqlite3.connect(file)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("CREATE TABLE notes (text TEXT)")
        with pytest.raises(QgsProcessingException):
            processing.run(
                ESTIMATE,
                {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": destination},
                feedback=feedback,
            )
        holder.commit()
    finally:
        holder.close()
    assert any("locked" in error for error in feedback.errors), feedback.errors
    assert "notes" in [row[0] for row in sqlite3.connect(file).execute("SELECT name FROM sqlite_master")]


def test_a_table_goes_to_sqlite_and_a_flatgeobuf_is_refused_for_it(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path, feedback
) -> None:
    """The curve (no geometry) to .sqlite was written and then reported as "only 0 of the rows … (is the disk
    full?)"; to .fgb, which holds no table, the same false disk message after the whole run."""
    zones = make_polygons([(grid.box(0, 0, 1, 1), "one")])
    parameters = {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1}
    result = processing.run(CURVE, {**parameters, "OUTPUT": str(tmp_path / "curve.sqlite")})
    # the result opens as a layer (the plain path did not on QGIS 3.22), so it loads when the run ends; a layer
    # left alive by the refusal's traceback below would outlive QGIS and crash the interpreter's exit
    assert result["OUTPUT"] == f"{tmp_path / 'curve.sqlite'}|layername=curve"
    written = QgsVectorLayer(result["OUTPUT"], "curve", "ogr").featureCount()
    assert written == len(standard_cutoffs("percent"))
    with pytest.raises(QgsProcessingException):
        processing.run(CURVE, {**parameters, "OUTPUT": str(tmp_path / "curve.fgb")}, feedback=feedback)
    assert any("FlatGeobuf file holds only features with a geometry" in error for error in feedback.errors)
    assert not (tmp_path / "curve.fgb").exists()


def test_a_shapefile_output_says_what_it_cuts(rare_earth_provider, make_polygons, grid, constant_grade, tmp_path):
    """treo_t_base became treo_t_bas and target_basis lost its last words, silently."""
    zones = make_polygons([(grid.box(0, 0, 1, 1), "one")])
    feedback = RecordingFeedback()
    parameters = {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "DRAWS": 50}
    processing.run("rareearth:explorationtarget", {**parameters, "OUTPUT": str(tmp_path / "t.shp")}, feedback=feedback)
    assert any("field names have at most 10 characters" in w and "treo_t_base" in w for w in feedback.warnings)
    assert any("texts have at most 254 characters" in w for w in feedback.warnings)
    quiet = RecordingFeedback()
    processing.run("rareearth:explorationtarget", {**parameters, "OUTPUT": str(tmp_path / "t.gpkg")}, feedback=quiet)
    assert not any("shapefile" in w for w in quiet.warnings)


@pytest.mark.parametrize("suffix", [".gpkg", ".csv"])
def test_an_output_given_as_a_link_keeps_the_link_and_replaces_its_file(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path, suffix
) -> None:
    """A file written beside OUTPUT and moved over it replaced a link with a plain file, leaving the file the
    link named (in another folder) as it was: the link is kept, and the file it names gets the rows, staged in
    that file's folder, so the move stays within one file system."""
    mine, elsewhere = tmp_path / "mine", tmp_path / "shared"
    mine.mkdir()
    elsewhere.mkdir()
    real = elsewhere / f"results_2026{suffix}"
    link = mine / f"results{suffix}"
    link.symlink_to(real)  # to a file not yet made: the first run makes it
    parameters = {"INPUT": make_polygons([(grid.box(0, 0, 2, 2), "A")]), "GRADE": constant_grade, "THICKNESS": 1}
    processing.run(ESTIMATE, {**parameters, "OUTPUT": str(link)})
    assert link.is_symlink() and QgsVectorLayer(str(real), "real", "ogr").featureCount() == 1
    zones = make_polygons([(grid.box(0, 0, 2, 2), "A"), (grid.box(2, 2, 4, 4), "B")])
    result = processing.run(ESTIMATE, {**parameters, "INPUT": zones, "OUTPUT": str(link)})
    assert link.is_symlink() and link.resolve() == real
    assert [path.name for path in mine.iterdir()] == [link.name]
    assert [path.name for path in elsewhere.iterdir()] == [real.name]  # no staging folder left
    layer = QgsVectorLayer(result["OUTPUT"], "written", "ogr")
    assert layer.isValid() and sorted(feature["name"] for feature in layer.getFeatures()) == ["A", "B"]
    assert QgsVectorLayer(str(real), "real", "ogr").featureCount() == 2


@pytest.mark.parametrize("algorithm_id", [ESTIMATE, CURVE, "rareearth:explorationtarget", "rareearth:exportreport"])
@pytest.mark.parametrize("key", ["GRADE", "THICKNESS_RASTER", "DENSITY_RASTER", "TOP_DEPTH_RASTER"])
def test_a_raster_file_that_is_not_a_raster_is_named_as_such_before_the_run(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path, algorithm_id, key
) -> None:
    """QGIS's own check said "Could not load source layer for GRADE: grade.tif not found" of a file that is
    there but is not a raster (a download cut short, a renamed text file): the message now names the parameter
    and the file and says it cannot be read as a raster, before anything is estimated or written."""
    damaged = tmp_path / "damaged grade.tif"
    damaged.write_bytes(b"II*\x00" + b"\x00" * 60)  # a TIFF's first bytes, and nothing more
    parameters: dict[str, Any] = {
        "INPUT": make_polygons([(grid.box(0, 0, 2, 2), "A")]),
        "GRADE": constant_grade,
        "THICKNESS": 1,
        key: str(damaged),
    }
    if key == "THICKNESS_RASTER":
        del parameters["THICKNESS"]
    outputs = ["OUTPUT_PDF"] if algorithm_id == "rareearth:exportreport" else ["OUTPUT"]
    parameters.update({name: str(tmp_path / f"out_{name}.{name[-3:].lower()}") for name in outputs})
    if algorithm_id != "rareearth:exportreport":
        parameters["OUTPUT"] = str(tmp_path / "out.gpkg")
    feedback = RecordingFeedback()
    with pytest.raises(QgsProcessingException):
        processing.run(algorithm_id, parameters, feedback=feedback)
    message = " ".join(feedback.errors)
    assert key in message and f"cannot read {damaged} as a raster" in message, message
    assert "not found" not in message
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith("out")) == []


@pytest.mark.parametrize("extension", ["json", "geojsonl", "geojson", "gpkg"])
def test_an_output_named_with_an_extension_qgis_adds_to_is_written_as_qgis_names_it(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path, extension
) -> None:
    """QGIS 3.22 writes "out.json" as "out.json.geojson" (its GeoJSON writer knows only .geojson): the run
    computed every row, then failed with "cannot replace out.json: No such file or directory" and wrote
    nothing. The file is now the one QGIS's own algorithms write for that name, and a second run replaces it."""
    zones = make_polygons([(grid.box(0, 0, 2, 2), "A"), (grid.box(2, 2, 4, 4), "B")])
    native = processing.run(
        "native:buffer", {"INPUT": zones, "DISTANCE": 0, "OUTPUT": str(tmp_path / f"n.{extension}")}
    )
    for _ in range(2):
        result = processing.run(
            ESTIMATE,
            {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": str(tmp_path / f"out.{extension}")},
        )
        written = result["OUTPUT"].split("|")[0]
        assert os.path.basename(written) == "out" + os.path.basename(native["OUTPUT"].split("|")[0])[1:]
        layer = QgsVectorLayer(result["OUTPUT"], "written", "ogr")
        assert layer.isValid() and sorted(feature["name"] for feature in layer.getFeatures()) == ["A", "B"]
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith("out")) == [
        os.path.basename(written)
    ]


@pytest.mark.parametrize("algorithm_id", [ESTIMATE, "rareearth:explorationtarget"])
def test_a_flatgeobuf_output_refuses_areas_without_a_geometry_by_name(
    rare_earth_provider, make_polygons, grid, constant_grade, tmp_path, feedback, algorithm_id
) -> None:
    """A FlatGeobuf file cannot hold a feature without a geometry: GDAL dropped the row and the run blamed a full
    disk ("only 1 of the 2 rows could be written … is the disk full?"). It now names the areas, and an earlier
    file of that name is left as it was."""
    output = tmp_path / "results.fgb"
    processing.run(
        algorithm_id,
        {
            "INPUT": make_polygons([(grid.box(0, 0, 2, 2), "A")]),
            "GRADE": constant_grade,
            "THICKNESS": 1,
            "OUTPUT": str(output),
        },
    )
    before = output.read_bytes()
    zones = make_polygons([(grid.box(0, 0, 2, 2), "A"), (None, "Unmapped lease"), (None, "")], name="with_gaps")
    with pytest.raises(QgsProcessingException) as raised:
        processing.run(
            algorithm_id,
            {"INPUT": zones, "GRADE": constant_grade, "THICKNESS": 1, "OUTPUT": str(output)},
            feedback=feedback,
        )
    message = " ".join([str(raised.value), *feedback.errors])
    assert "FlatGeobuf file holds only features with a geometry" in message, message
    assert "2 without one (Unmapped lease, row 3)" in message and "disk" not in message
    assert output.read_bytes() == before


@pytest.mark.parametrize("algorithm_id", [ESTIMATE, CURVE])
def test_an_area_without_data_has_no_figures_of_ore_where_a_barren_one_reads_zero(
    rare_earth_provider, make_polygons, make_raster, grid, tmp_path, algorithm_id
) -> None:
    """An area outside the rasters read ore_t 0 and treo_t 0, a claim that it holds no ore, where nothing is known
    of it; the exploration target and the report already gave it no figures. Its figures of ore are NULL now;
    an area with data but no ore above the cut-off still reads 0."""
    grade = make_raster(np.full((20, 20), 0.01))  # below the cut-off everywhere
    zones = make_polygons([(grid.box(2, 2, 6, 6), "Barren"), (grid.box(40, 40, 44, 44), "Away")])
    cutoffs = {"CUTOFF": 0.05} if algorithm_id == ESTIMATE else {"CUTOFFS": "0.05,0.1"}
    result = processing.run(
        algorithm_id,
        {"INPUT": zones, "GRADE": grade, **cutoffs, "THICKNESS": 5, "OUTPUT": str(tmp_path / "out.gpkg")},
    )
    rows = list(QgsVectorLayer(result["OUTPUT"], "written", "ogr").getFeatures())
    assert sorted(row["name"] for row in rows) == sorted(["Barren", "Away"] * (1 if algorithm_id == ESTIMATE else 2))
    for row in rows:
        figures = [row[name] for name in ("ore_t", "grade_mean", "treo_t", "tree_t")]
        if row["name"] == "Away":
            assert all(is_null(value) for value in figures), figures
            if algorithm_id == ESTIMATE:
                assert row["coverage"] == 0.0 and row["area_m2"] > 0
        else:
            assert figures[0] == figures[2] == figures[3] == 0.0 and is_null(figures[1])
