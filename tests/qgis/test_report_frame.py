"""Report maps for the user's data: CRS, extent, padding, scale bar unit and grid in any CRS and at any size.

Checked against pyproj (an independent transformation and geodesic library), never against the layout code.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyproj
import pytest
from conftest import report_layout
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsGeometry,
    QgsLayoutItem,
    QgsLayoutItemMap,
    QgsLayoutItemScaleBar,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)

from rare_earth_plugin.areas import areas_from_layer
from rare_earth_plugin.core.tonnage import TonnageParams
from rare_earth_plugin.estimation import EstimateInputs
from rare_earth_plugin.layers import load_sample_layers
from rare_earth_plugin.report import layout_builder, map_frame
from rare_earth_plugin.report.area_results import estimate_areas
from rare_earth_plugin.report.errors import ReportError
from rare_earth_plugin.report.export import ReportTargets, write_report
from rare_earth_plugin.report.layout_builder import ReportLayers
from rare_earth_plugin.report.target_options import TargetOptions
from rare_earth_plugin.report.texts import ReportMeta

GEOD = pyproj.Geod(ellps="WGS84")
LCC = "+proj=lcc +lat_1=45 +lat_2=51 +lat_0=48 +lon_0=67 +datum=WGS84 +units=m +no_defs"
#: (label, CRS, centre lon, lat): geographic, Web Mercator, UTM, a conic, and polar (north of UTM).
CRSS = [
    ("4326", "EPSG:4326", 76.4, 50.0),
    ("3857", "EPSG:3857", 76.4, 50.0),
    ("utm43", "EPSG:32643", 76.4, 50.0),
    ("conic", LCC, 76.4, 50.0),
    ("polar", "EPSG:4326", 40.0, 86.0),
    ("south", "EPSG:3857", -70.0, -33.0),
]
#: Square sides in metres: 1 ha, 1 km², 100 km², a 300 km region.
SIDES = [100.0, 1_000.0, 10_000.0, 300_000.0]


def _crs(text: str) -> QgsCoordinateReferenceSystem:
    return QgsCoordinateReferenceSystem.fromProj(text) if text.startswith("+") else QgsCoordinateReferenceSystem(text)


def _pyproj(crs: QgsCoordinateReferenceSystem) -> pyproj.CRS:
    return pyproj.CRS.from_wkt(crs.toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED))


def _square(lon: float, lat: float, side_m: float, crs_text: str) -> tuple[QgsGeometry, QgsCoordinateReferenceSystem]:
    """A square of ``side_m`` of ground centred at lon/lat, its corners found with pyproj.Geod, in ``crs``."""
    crs = _crs(crs_text)
    half = side_m / 2.0
    corners = []
    for az_ns, az_ew in ((180, 270), (180, 90), (0, 90), (0, 270)):
        mlon, mlat, _ = GEOD.fwd(lon, lat, az_ns, half)
        corners.append(GEOD.fwd(mlon, mlat, az_ew, half)[:2])
    to_crs = pyproj.Transformer.from_crs("EPSG:4326", _pyproj(crs), always_xy=True)
    ring = [to_crs.transform(x, y) for x, y in corners]
    wkt = "POLYGON((" + ",".join(f"{x!r} {y!r}" for x, y in [*ring, ring[0]]) + "))"
    return QgsGeometry.fromWkt(wkt), crs


def _ground_width(extent: QgsRectangle, crs: QgsCoordinateReferenceSystem) -> float:
    """Geodesic length of the extent's middle row, m (pyproj)."""
    to_lonlat = pyproj.Transformer.from_crs(_pyproj(crs), "EPSG:4326", always_xy=True)
    y = extent.center().y()
    points = [to_lonlat.transform(extent.xMinimum() + extent.width() * i / 20, y) for i in range(21)]
    return sum(GEOD.inv(*a, *b)[2] for a, b in zip(points, points[1:]))


def _ground_height(extent: QgsRectangle, crs: QgsCoordinateReferenceSystem) -> float:
    """Geodesic length of the extent's middle column, m (pyproj)."""
    to_lonlat = pyproj.Transformer.from_crs(_pyproj(crs), "EPSG:4326", always_xy=True)
    x = extent.center().x()
    points = [to_lonlat.transform(x, extent.yMinimum() + extent.height() * i / 20) for i in range(21)]
    return sum(GEOD.inv(*a, *b)[2] for a, b in zip(points, points[1:]))


def _scale_error(crs: QgsCoordinateReferenceSystem, lon: float, lat: float) -> float:
    forward = pyproj.Transformer.from_crs("EPSG:4326", _pyproj(crs), always_xy=True)
    back = pyproj.Transformer.from_crs(_pyproj(crs), "EPSG:4326", always_xy=True)
    x, y = forward.transform(lon, lat)
    unit = map_frame.metres_per_unit(crs)
    errors = []
    for dx, dy in ((100.0 / unit, 0.0), (0.0, 100.0 / unit)):
        errors.append(abs(GEOD.inv(*back.transform(x, y), *back.transform(x + dx, y + dy))[2] / 100.0 - 1.0))
    return max(errors)


@pytest.mark.parametrize("side", SIDES, ids=lambda s: f"{s:g}m")
@pytest.mark.parametrize(("label", "crs_text", "lon", "lat"), CRSS, ids=[c[0] for c in CRSS])
def test_area_page_map_is_true_to_scale_and_padded_in_ground_terms(label, crs_text, lon, lat, side, qgis_app):
    project = QgsProject()
    geometry, crs = _square(lon, lat, side, crs_text)
    area = SimpleNamespace(area=SimpleNamespace(geometry=geometry, crs=crs))
    shown_crs, extent = layout_builder._frame([area], project, 0.2)
    assert not shown_crs.isGeographic()
    assert _scale_error(shown_crs, lon, lat) < 0.03  # what the map shows as 1 km is 1 km of ground
    box = QgsCoordinateTransform(crs, shown_crs, project).transformBoundingBox(geometry.boundingBox())
    assert extent.contains(box)
    width = _ground_width(extent, shown_crs)
    # padding 0.2 of the box's larger side on each side, the side counted as at least 500 m of ground (a map
    # CRS whose grid north is not true north draws the square turned: its box is larger than the square)
    box_width, box_height = _ground_width(box, shown_crs), _ground_height(box, shown_crs)
    assert side <= max(box_width, box_height) * 1.01
    expected = max(box_width, box_height, map_frame.MIN_SPAN_M) * 0.4 + box_width
    assert width == pytest.approx(expected, rel=0.06)
    _unit, text = map_frame.scalebar_unit(width)
    assert text == ("m" if width < 5_000 else "km")
    step = map_frame.nice_step(width)
    assert 2 <= width / step <= 10


def test_crs_kept_when_true_to_scale_and_replaced_when_not(qgis_app):
    project = QgsProject()
    box = QgsRectangle(600_000, 5_530_000, 610_000, 5_540_000)
    assert map_frame.map_crs(_crs("EPSG:32643"), box, project).authid() == "EPSG:32643"
    geometry, mercator = _square(76.4, 50.0, 10_000.0, "EPSG:3857")  # 1 km of ground drawn 1.56 km long
    assert map_frame.map_crs(mercator, geometry.boundingBox(), project).authid() == "EPSG:32643"
    geometry, geographic = _square(61.0, 50.0, 10_000.0, "EPSG:4326")
    assert map_frame.map_crs(geographic, geometry.boundingBox(), project).authid() == "EPSG:32641"
    geometry, geographic = _square(10.0, -85.0, 10_000.0, "EPSG:4326")
    assert map_frame.map_crs(geographic, geometry.boundingBox(), project).authid() == map_frame.POLAR_SOUTH


@pytest.fixture()
def sample(qgis_app):
    project = QgsProject()
    layers = load_sample_layers(project)
    yield project, layers
    project.removeAllMapLayers()


def _blocks_4326(sample_layers, sides=(1_000.0, 100.0)) -> QgsVectorLayer:
    layer = QgsVectorLayer("Polygon?crs=EPSG:4326&field=name:string", "GPS blocks", "memory")
    centre = QgsCoordinateTransform(sample_layers.grade.crs(), _crs("EPSG:4326"), QgsProject()).transform(
        sample_layers.grade.extent().center()
    )
    features = []
    for number, side in enumerate(sides):
        feature = QgsFeature(layer.fields())
        feature["name"] = f"Block {number + 1}"
        feature.setGeometry(_square(centre.x() + 0.02 * number, centre.y(), side, "EPSG:4326")[0])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def test_report_of_a_4326_layer_draws_maps_at_the_blocks_scale(sample, tmp_path):
    _project, layers = sample
    blocks = _blocks_4326(layers)
    inputs = EstimateInputs(layers.grade.source(), TonnageParams(cutoff=0.05, thickness=25.0))
    _, built = report_layout(blocks, layers, inputs, tmp_path)
    maps = {item.id(): item for item in built.layout.items() if isinstance(item, QgsLayoutItemMap)}
    summary, pages = (
        maps["main_map"],
        [m for m in built.layout.items() if isinstance(m, QgsLayoutItemMap) and m.id() == "area_map"],
    )
    # the two blocks lie ~1.4 km apart: the summary spans a few km of ground, not thousands
    assert 1_500 < _ground_width(summary.extent(), summary.crs()) < 6_000
    # the map item widens the extent to its own shape: the shorter side is the padded one
    widths = sorted(
        min(_ground_width(page.extent(), page.crs()), _ground_height(page.extent(), page.crs())) for page in pages
    )
    assert widths == [pytest.approx(100 + 0.4 * 500, rel=0.06), pytest.approx(1_000 + 0.4 * 1_000, rel=0.06)]
    bars = {
        bar.linkedMap().id() if bar.linkedMap() else "": bar.unitLabel()
        for bar in built.layout.items()
        if isinstance(bar, QgsLayoutItemScaleBar)
    }
    assert set(bars.values()) == {"m"}
    grids = [page.grids().grid(0) for page in pages]
    assert [(grid.crs().authid(), grid.intervalX()) for grid in grids] == [("EPSG:32643", 100.0), ("EPSG:32643", 500.0)]


def _pdf_text(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    text = subprocess.run(
        ["pdftotext", *pages, "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(text.split())


def test_user_raster_report_has_no_synthetic_sentence_and_the_users_header(sample, tmp_path):
    _project, layers = sample
    own = tmp_path / "my_assays_grade.tif"  # the user's own file (a copy under another name)
    shutil.copy(layers.grade.source(), own)
    blocks = _blocks_4326(layers, sides=(1_000.0,))
    logo = tmp_path / "logo.svg"
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="14"><rect width="40" '
        'height="14" fill="#08306b"/></svg>'
    )
    inputs = EstimateInputs(str(own), TonnageParams(cutoff=0.05, thickness=25.0))
    results = estimate_areas(areas_from_layer(blocks), inputs)
    grade = layers.grade.clone()
    meta = ReportMeta(
        title="Block 1 target, Karkaraly",
        date="2026-01-01",
        author="A. Geologist",
        organisation="Steppe Minerals LLP",
        logo=str(logo),
    )
    [pdf] = write_report(results, inputs, ReportLayers([blocks], grade), meta, ReportTargets.checked(tmp_path / "r"))
    text = _pdf_text(pdf)
    assert "Synthetic sample data" not in text
    assert "Block 1 target, Karkaraly" in text and "A. Geologist" in text and "Steppe Minerals LLP" in text
    assert "survey area" not in text and "Band 1" not in text
    assert "nodata" in text  # the blank cells are explained


@pytest.mark.parametrize("name", ["logo.png", "logo.svg"])
def test_a_logo_that_is_not_an_image_is_named_and_nothing_written(sample, tmp_path, name):
    """A text file given as the logo printed a red cross in the report's header, without a word."""
    _project, layers = sample
    logo = tmp_path / name
    logo.write_text("not an image")
    inputs = EstimateInputs(layers.grade.source(), TonnageParams(cutoff=0.05, thickness=25.0))
    blocks = _blocks_4326(layers, sides=(1_000.0,))
    results = estimate_areas(areas_from_layer(blocks), inputs)
    meta = ReportMeta(date="2026-01-01", logo=str(logo))
    with pytest.raises(ReportError, match=f"logo: '{re.escape(str(logo))}' is not an image"):
        write_report(results, inputs, ReportLayers([blocks], layers.grade), meta, ReportTargets.checked(tmp_path / "r"))
    assert not (tmp_path / "r.pdf").exists()


def test_sample_report_keeps_the_synthetic_sentence_and_notes_overlaps(sample, tmp_path):
    _project, layers = sample
    inputs = EstimateInputs(
        layers.grade.source(), TonnageParams(cutoff=0.05, thickness_raster=layers.thickness.source())
    )
    results = estimate_areas(areas_from_layer(layers.zones), inputs)
    [pdf] = write_report(
        results,
        inputs,
        ReportLayers([layers.zones], layers.grade, layers.region),
        ReportMeta(date="2026-01-01"),
        ReportTargets.checked(tmp_path / "s"),
    )
    summary = _pdf_text(pdf, 1)
    assert "Synthetic sample data" in summary
    # the sample licence contains Irgiz (the zones' own geometry, see scripts/make_sample_data.py)
    assert "Overlapping areas" in summary and "must not be added up" in summary
    assert "Kuirektykol licence / Irgiz" in summary
    # no author or organisation given: left out of the header, not printed as a placeholder
    assert "not set" not in summary and "2026-01-01 ·" not in summary
    # the grade colour bar's labels carry three significant figures and the unit, not six decimals
    legend = re.findall(r"(\d+(?:\.\d+)?) %", summary)
    assert legend and all(len(value.replace(".", "").lstrip("0")) <= 3 for value in legend), legend


def _corner_rect(extent: QgsRectangle, corner_w: float, corner_h: float) -> QgsRectangle:
    return QgsRectangle(
        extent.xMinimum(),
        extent.yMinimum(),
        extent.xMinimum() + corner_w * extent.width(),
        extent.yMinimum() + corner_h * extent.height(),
    )


@pytest.mark.parametrize("seed", range(40))
def test_clear_of_corner_keeps_the_box_inside_and_out_of_the_corner(seed, qgis_app):
    rng = np.random.default_rng(seed)
    width, height = rng.uniform(1, 10_000), rng.uniform(1, 10_000)
    extent = QgsRectangle(100.0, 200.0, 100.0 + width, 200.0 + height)
    box_w, box_h = width * rng.uniform(0.05, 1.0), height * rng.uniform(0.05, 1.0)
    x, y = 100.0 + rng.uniform(0, width - box_w), 200.0 + rng.uniform(0, height - box_h)
    box = QgsRectangle(x, y, x + box_w, y + box_h)
    corner_w, corner_h = rng.uniform(0.1, 0.6), rng.uniform(0.1, 0.6)
    moved = map_frame.clear_of_corner(extent, box, corner_w, corner_h)
    tolerance = 1e-9 * max(width, height)
    grown = QgsRectangle(moved)
    grown.grow(tolerance)
    assert grown.contains(box)
    corner = _corner_rect(moved, corner_w, corner_h)
    clear = box.xMinimum() >= corner.xMaximum() - tolerance or box.yMinimum() >= corner.yMaximum() - tolerance
    assert clear, (moved.toString(), box.toString())
    assert moved.width() / moved.height() == pytest.approx(width / height)  # the map frame's shape
    if not _corner_rect(extent, corner_w, corner_h).intersects(box):
        assert moved == extent
    elif moved.width() > width * (1 + 1e-9):  # zoomed out only when no shift at this scale clears the corner
        assert box.width() > width * (1 - corner_w) and box.height() > height * (1 - corner_h)
    else:
        assert moved.width() == pytest.approx(width) and moved.height() == pytest.approx(height)


#: Squares of ground (m) reported with exploration targets: 1 ha, 1 km² (inside the sample grade), a region.
TARGET_SIDES = (100.0, 1_000.0, 300_000.0)


@pytest.mark.parametrize(("label", "crs_text", "lon", "lat"), CRSS, ids=[c[0] for c in CRSS])
def test_area_maps_with_targets_show_the_whole_area_clear_of_the_legend(label, crs_text, lon, lat, sample, tmp_path):
    """The target block shortens each area map; the area must still be whole on it and not under its legend."""
    _project, layers = sample
    if label == "utm43":  # one case right on the sample grade, so its target has a distribution chart
        centre = QgsCoordinateTransform(layers.grade.crs(), _crs("EPSG:4326"), QgsProject()).transform(
            layers.grade.extent().center()
        )
        lon, lat = centre.x(), centre.y()
    crs = _crs(crs_text)
    layer = QgsVectorLayer(f"Polygon?crs={crs.authid() or 'EPSG:4326'}&field=name:string", "squares", "memory")
    layer.setCrs(crs)
    squares = []
    for side in TARGET_SIDES:
        feature = QgsFeature(layer.fields())
        feature["name"] = f"{side:g} m"
        feature.setGeometry(_square(lon, lat, side, crs_text)[0])
        squares.append(feature)
    layer.dataProvider().addFeatures(squares)
    inputs = EstimateInputs(layers.grade.source(), TonnageParams(cutoff=0.05, thickness=25.0))
    options = TargetOptions(draws=200)
    results, built = report_layout(layer, layers, inputs, tmp_path, options=options)
    items = [
        item
        for item in built.layout.items()
        if isinstance(item, QgsLayoutItem) and item.id() in ("area_map", "area_legend", "area_target_chart")
    ]
    maps = sorted((i for i in items if i.id() == "area_map"), key=lambda item: item.page())
    legends = {item.page(): item for item in items if item.id() == "area_legend"}
    assert len(maps) == len(TARGET_SIDES)
    # a distribution chart where some draw holds TREO, a line instead of an empty chart elsewhere
    charts = {item.page() for item in items if item.id() == "area_target_chart"}
    assert charts == {
        m.page() for m, r in zip(maps, results) if r.target.treo_draws.size and r.target.treo_draws.max() > 0
    }
    if label == "utm43":
        assert maps[1].page() in charts
    for area_map, feature in zip(maps, squares):
        assert area_map.rect().height() < 128.0 - 20.0  # the target block took its share of the page
        extent, map_crs = area_map.extent(), area_map.crs()
        # the square's outline, densified, in the map's CRS by pyproj
        to_map = pyproj.Transformer.from_crs(_pyproj(crs), _pyproj(map_crs), always_xy=True)
        outline = feature.geometry().densifyByCount(50).asPolygon()[0]
        points = [to_map.transform(p.x(), p.y()) for p in outline]
        assert all(extent.contains(QgsPointXY(x, y)) for x, y in points), (feature["name"], label)
        # the legend's box, from layout millimetres to map units
        legend = legends[area_map.page()]
        per_mm_x = extent.width() / area_map.rect().width()
        per_mm_y = extent.height() / area_map.rect().height()
        left = extent.xMinimum() + (legend.pos().x() - area_map.pos().x()) * per_mm_x
        top = extent.yMaximum() - (legend.pos().y() - area_map.pos().y()) * per_mm_y
        under = QgsRectangle(
            left, top - legend.rect().height() * per_mm_y, left + legend.rect().width() * per_mm_x, top
        )
        assert legend.rect().width() > 20.0 and legend.rect().height() > 15.0
        assert not any(under.contains(QgsPointXY(x, y)) for x, y in points), (feature["name"], label)


@pytest.mark.parametrize(
    ("map_crs", "lon", "lat", "grid_crs"),
    [
        ("EPSG:5070", -100.0, 40.0, "EPSG:5070"),  # Albers over the USA: kept, so its own grid
        ("EPSG:3413", -40.0, 75.0, "EPSG:3413"),  # polar stereographic over Greenland
        ("EPSG:32643", 76.0, 50.0, "EPSG:32643"),  # UTM: as before
        ("EPSG:4326", 76.0, 50.0, "EPSG:32643"),  # degrees: the local UTM zone's grid
    ],
)
def test_the_map_grid_is_in_the_maps_own_crs_when_it_counts_in_metres(map_crs, lon, lat, grid_crs, qgis_app):
    """A map kept in the areas' conic or polar CRS got a UTM grid, tilted against its frame, its edge labels
    mixing eastings with northings and printed over each other."""
    from qgis.core import QgsLayoutItemMapGrid, QgsPrintLayout
    from qgis.PyQt.QtCore import QRectF

    project = QgsProject()
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    item = QgsLayoutItemMap(layout)
    layout.addLayoutItem(item)
    item.attemptSetSceneRect(QRectF(10, 10, 150, 150))
    item.grids().addGrid(QgsLayoutItemMapGrid("grid", item))
    geometry, crs = _square(lon, lat, 5_000.0, map_crs)
    item.setCrs(crs)
    item.setExtent(geometry.boundingBox())
    layout_builder._set_grid(item, project)
    grid = item.grids().grid(0)
    assert grid.crs().authid() == grid_crs
    assert 1_000 <= grid.intervalX() <= 5_000
