"""One model of an area and one rule for a feature's name, the same in the dock, Processing and the report."""

from __future__ import annotations

import math

import processing
import pytest
from conftest import GRID_CRS
from qgis.core import NULL, QgsFeature, QgsGeometry, QgsVectorLayer

from rare_earth_plugin.areas import AreaLayerError, areas_from_layer, feature_name, given_name
from rare_earth_plugin.processing.tonnage_algorithm import feature_label

#: (the layer's fields, a feature's values, the name every place must show); fid 1 each time.
CASES = [
    (("name",), ["Irgiz"], "Irgiz"),
    (("Name",), ["Dos 1"], "Dos 1"),
    (("NAME",), ["Dos 2"], "Dos 2"),
    (("value",), ["x"], "zones #1"),
    (("name",), [NULL], "zones #1"),
    (("name",), ["  "], "zones #1"),
    (("name", "zone"), [NULL, "Jana"], "Jana"),  # an empty name falls through to the next field
    (("title", "NAME"), ["second", "first"], "first"),  # the order of NAME_FIELDS, not of the layer
]


def _layer(fields, values, geometry: str | None = "POLYGON((0 0,10 0,10 10,0 0))") -> QgsVectorLayer:
    spec = "&".join(f"field={field}:string" for field in fields)
    layer = QgsVectorLayer(f"Polygon?crs={GRID_CRS}&{spec}", "zones", "memory")
    feature = QgsFeature(layer.fields())
    feature.setAttributes(list(values))
    if geometry is not None:
        feature.setGeometry(QgsGeometry.fromWkt(geometry))
    assert layer.dataProvider().addFeatures([feature])
    return layer


@pytest.mark.parametrize(("fields", "values", "expected"), CASES)
def test_one_name_rule(fields, values, expected) -> None:
    layer = _layer(fields, values)
    feature = next(layer.getFeatures())
    assert feature.id() == 1
    assert feature_name(feature, layer.name()) == expected
    [area] = areas_from_layer(layer)  # the dock's table and the report take areas from here
    assert (area.name, area.key, area.layer_name) == (expected, (layer.id(), 1), "zones")
    named = not expected.startswith("zones #")
    assert given_name(feature) == (expected if named else "")
    assert feature_label(feature) == (f"feature 1 ({expected})" if named else "feature 1")


@pytest.mark.parametrize(("fields", "values", "expected"), CASES[:5])
def test_processing_names_curve_rows_by_the_same_rule(
    rare_earth_provider, make_raster, fields, values, expected
) -> None:
    import numpy as np

    layer = _layer(fields, values, "POLYGON((600000 5540000,600020 5540000,600020 5539980,600000 5540000))")
    grade = make_raster(np.full((10, 10), 0.2))
    result = processing.run(
        "rareearth:gradetonnagecurve",
        {"INPUT": layer, "GRADE": grade, "THICKNESS": 1, "CUTOFFS": "0.1", "OUTPUT": "memory:"},
    )
    assert [f["name"] for f in result["OUTPUT"].getFeatures()] == [expected]


def test_kind_from_its_field_or_the_default_and_empty_features_left_out() -> None:
    layer = _layer(("name", "kind"), ["A", NULL])
    feature = QgsFeature(layer.fields())
    feature.setAttributes(["B", "licence"])
    feature.setGeometry(QgsGeometry.fromWkt("POLYGON((0 0,5 0,5 5,0 0))"))
    empty = QgsFeature(layer.fields())
    empty.setAttributes(["C", "zone"])
    layer.dataProvider().addFeatures([feature, empty])
    assert [(a.name, a.kind) for a in areas_from_layer(layer, default_kind="area")] == [("A", "area"), ("B", "licence")]
    assert [a.kind for a in areas_from_layer(layer, default_kind="Zone", kind_field=None)] == ["Zone", "Zone"]
    assert [a.fid for a in areas_from_layer(layer, [2])] == [2]


def test_a_copy_shares_no_geometry_and_a_line_layer_is_refused() -> None:
    [area] = areas_from_layer(_layer(("name",), ["A"]))
    copy = area.copy()
    copy.geometry.translate(100, 0)
    assert area.geometry.boundingBox().xMinimum() == 0
    lines = QgsVectorLayer(f"LineString?crs={GRID_CRS}", "roads", "memory")
    with pytest.raises(AreaLayerError, match="'roads' does not hold polygons"):
        areas_from_layer(lines)


def test_the_batch_of_areas_keeps_order_across_crss_and_closes_when_stopped(make_raster, monkeypatch) -> None:
    import numpy as np
    from qgis.core import QgsCoordinateReferenceSystem

    from rare_earth_plugin import estimation
    from rare_earth_plugin.areas import Area
    from rare_earth_plugin.core.tonnage import TonnageParams

    grade = make_raster(np.full((10, 10), 0.2))
    inputs = estimation.EstimateInputs(grade, TonnageParams(thickness=1.0, density=2.0, cutoff=0.1))
    grid_crs = QgsCoordinateReferenceSystem(GRID_CRS)
    square = "POLYGON((600000 5540000,600020 5540000,600020 5539980,600000 5539980,600000 5540000))"
    areas = [Area(f"a{i}", "", QgsGeometry.fromWkt(square), grid_crs, "l", i) for i in range(3)]
    areas.insert(1, Area("line", "", QgsGeometry.fromWkt("LINESTRING(0 0,1 1)"), grid_crs, "l", 9))
    batches, closed = [], []
    real = estimation.grade_tonnage_curves

    def recording(*args, **kwargs):
        batches.append(args[3] if len(args) > 3 else kwargs.get("polygon_crs"))
        try:
            yield from real(*args, **kwargs)
        finally:
            closed.append(True)

    monkeypatch.setattr(estimation, "grade_tonnage_curves", recording)
    pairs = list(estimation.curves_for_areas(areas, inputs, (0.1,)))
    assert [area.name for area, _ in pairs] == ["a0", "line", "a1", "a2"]
    assert isinstance(pairs[1][1], estimation.TonnageInputError)
    curve, target = pairs[0][1]
    assert curve[0].ore_tonnes == pytest.approx(400 * 1.0 * 2.0)  # 20 m x 20 m x 1 m x 2 t/m3
    assert target is None  # none asked for
    assert len(batches) == 1 and closed == [True]
    batches.clear(), closed.clear()
    stopped = estimation.curves_for_areas(areas, inputs, (0.1,))
    next(stopped)
    stopped.close()  # what a cancelled task does
    assert closed == [True]


def test_the_report_reads_each_area_once_with_its_target(make_raster, monkeypatch) -> None:
    """The curve, the table, the chart and the exploration target of every area come from one read of the
    rasters: the same windows as the estimate alone, not twice as many."""
    import numpy as np
    from qgis.core import QgsCoordinateReferenceSystem

    from rare_earth_plugin import estimation
    from rare_earth_plugin.areas import Area
    from rare_earth_plugin.core import tonnage_tiles
    from rare_earth_plugin.core.tonnage import TonnageParams
    from rare_earth_plugin.report.area_results import estimate_areas
    from rare_earth_plugin.report.target_options import TargetOptions

    grade = make_raster(np.random.default_rng(3).uniform(0.05, 0.3, (10, 10)))
    thickness = make_raster(np.full((10, 10), 5.0))
    inputs = estimation.EstimateInputs(grade, TonnageParams(thickness_raster=thickness, cutoff=0.1))
    grid_crs = QgsCoordinateReferenceSystem(GRID_CRS)
    squares = [
        f"POLYGON(({x} 5540000,{x + 40} 5540000,{x + 40} 5539960,{x} 5539960,{x} 5540000))" for x in (600000, 600050)
    ]
    areas = [Area(f"a{i}", "", QgsGeometry.fromWkt(wkt), grid_crs, "l", i) for i, wkt in enumerate(squares)]
    reads: list = []
    real = tonnage_tiles._Accumulator.read
    monkeypatch.setattr(
        tonnage_tiles._Accumulator, "read", lambda self, window: reads.append(window) or real(self, window)
    )
    alone = estimate_areas(areas, inputs)
    estimate_reads = list(reads)
    reads.clear()
    with_targets = estimate_areas(areas, inputs, target=TargetOptions(draws=500, seed=4))
    assert estimate_reads and reads == estimate_reads
    for plain, full in zip(alone, with_targets):
        assert plain.target is None and full.target is not None
        assert full.figures == plain.figures
        assert full.target.base.ore_tonnes == pytest.approx(full.figures.ore_mt * 1e6, rel=1e-9)


def test_an_error_midway_through_a_curve_task_leaves_the_areas_already_done(monkeypatch) -> None:
    """A raster error after the first area's curve: that curve stays, only the areas not done get the error."""
    from qgis.core import QgsCoordinateReferenceSystem

    from rare_earth_plugin.areas import Area
    from rare_earth_plugin.core.tonnage import TonnageInputError, TonnageParams, TonnageResult
    from rare_earth_plugin.estimation import EstimateInputs
    from rare_earth_plugin.gui import estimate_task

    crs = QgsCoordinateReferenceSystem(GRID_CRS)
    square = "POLYGON((600000 5540000,600020 5540000,600020 5539980,600000 5539980,600000 5540000))"
    areas = [Area(f"a{i}", "", QgsGeometry.fromWkt(square), crs, "l", i) for i in range(3)]
    curve = [TonnageResult(400.0, 400.0, 400.0, 400.0, 800.0, 0.2, 1.6, 1.3, 1.0, 0.1)]

    def failing(areas, *args, **kwargs):
        yield areas[0], (curve, None)
        raise TonnageInputError("grade raster: cannot read g.tif")

    monkeypatch.setattr(estimate_task, "curves_for_areas", failing)
    task = estimate_task.EstimateTask("t", areas, EstimateInputs("g.tif", TonnageParams(thickness=1.0)), None, [0.1])
    task.run()
    assert task.outcome.curves == {areas[0].key: curve}
    assert set(task.outcome.errors) == {areas[1].key, areas[2].key}


CIRCLE = "CIRCULARSTRING({x0} {y0}, {x1} {y0}, {x0} {y0})"


@pytest.mark.parametrize(
    ("wkt", "exact"),
    [
        # a circle of 100 m, and one of 0.001° (a geographic layer): pi r²
        (f"CURVEPOLYGON({CIRCLE.format(x0=500000, y0=5000000, x1=500200)})", math.pi * 100**2),
        (f"CURVEPOLYGON ZM({CIRCLE.format(x0='70 0 5 1', y0='', x1='70.002 0 5 1')})", math.pi * 0.001**2),
        # a 10 km square with one corner rounded by a quarter circle of 5 m: the arc is a tiny part of it
        (
            "CURVEPOLYGON(COMPOUNDCURVE((0 0,10000 0,10000 9995),"
            "CIRCULARSTRING(10000 9995,9998.535533905933 9998.535533905933,9995 10000),(9995 10000,0 10000,0 0)))",
            1e8 - 25 + math.pi * 25 / 4,
        ),
        # two circles of 1 m, and a ring of 3 m round a hole of 1 m
        (
            f"MULTISURFACE(CURVEPOLYGON({CIRCLE.format(x0=0, y0=0, x1=2)}),"
            f"CURVEPOLYGON({CIRCLE.format(x0=10, y0=0, x1=16)},{CIRCLE.format(x0=12, y0=0, x1=14)}))",
            math.pi * (1 + 9 - 1),
        ),
    ],
)
def test_curved_polygons_keep_their_area_to_the_engines_accuracy(wkt, exact):
    """QGIS's default segmentation (one segment per 1° of arc) made a circle 5e-5 too small, a thousand times the
    engine's own error; the segments are now fine enough for 1e-8, fewer where an arc is a small part of the
    area."""
    from shapely import wkt as shapely_wkt

    from rare_earth_plugin.estimation import CURVE_AREA_ERROR, geometry_wkt

    geometry = QgsGeometry.fromWkt(wkt.replace("CIRCULARSTRING( ", "CIRCULARSTRING("))
    assert not geometry.isNull(), wkt
    shape = shapely_wkt.loads(geometry_wkt(geometry))
    assert 0 < 1 - shape.area / exact < CURVE_AREA_ERROR  # segments inside the arcs: a little less
    polygons = getattr(shape, "geoms", [shape])
    rings = [ring for polygon in polygons for ring in (polygon.exterior, *polygon.interiors)]
    assert max(len(ring.coords) for ring in rings) < 50_000  # not millions
