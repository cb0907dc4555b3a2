"""The report's layout holds whatever the user's data say: areas that do not fit a table are counted, never cut
apart; long or multi-line names, titles and statement texts stay inside their slots, every statement item
printed; the location inset and its caption show where the areas are, anywhere on Earth."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import pyproj
import pytest
from conftest import report_layout
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsGeometry,
    QgsLayoutFrame,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemManualTable,
    QgsLayoutItemMap,
    QgsLayoutItemScaleBar,
    QgsLayoutUtils,
    QgsLegendRenderer,
    QgsPrintLayout,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)

from rare_earth_plugin.areas import areas_from_layer
from rare_earth_plugin.core.exploration_target import exploration_target
from rare_earth_plugin.core.tonnage import TonnageParams
from rare_earth_plugin.estimation import EstimateInputs, crs_for_engine, geometry_wkt
from rare_earth_plugin.layers import load_sample_layers
from rare_earth_plugin.qgis_compat import label_font
from rare_earth_plugin.report.export import export_pdf
from rare_earth_plugin.report.target_options import TargetOptions
from rare_earth_plugin.report.target_section import add_basis_page
from rare_earth_plugin.report.text_fit import text_height_mm
from rare_earth_plugin.report.texts import ReportMeta

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")
#: The labels of one line in the report: page titles and subtitles, the location caption.
ONE_LINE = ("title", "subtitle", "area_title", "area_subtitle", "target_subtitle", "overview_caption")
STATEMENT_ITEMS = (
    "Reported as an Exploration Target under",
    "Exploration planned to test the target:",
    "Timeframe:",
    "Competent Person:",
)
PLAN = " ".join(
    f"Drill {3 * i} reverse-circulation holes to 60 m on a 200 x 200 m grid across target block {i}, with "
    "assays by ICP-MS;"
    for i in range(1, 16)
)


@pytest.fixture()
def sample(qgis_app):
    project = QgsProject()
    layers = load_sample_layers(project)
    yield layers
    project.removeAllMapLayers()


@pytest.fixture(scope="module")
def target(qgis_app):
    """One real exploration target (a sample zone's), to stand for any number of areas."""
    project = QgsProject()
    layers = load_sample_layers(project)
    area = areas_from_layer(layers.zones)[0]
    params = TonnageParams(cutoff=0.05, thickness=20.0)
    found = exploration_target(
        geometry_wkt(area.geometry), layers.grade.source(), params, None, 200, 3, crs_for_engine(area.crs)
    )
    project.removeAllMapLayers()
    return found


@pytest.fixture()
def basis_page(qgis_app):
    """``make(results, options) -> (layout, page)``: a layout with the basis page, in a project of its own that
    outlives it (a test's locals are freed in order, and a layout freed after its project reads freed memory)."""
    made = []

    def make(results, options: TargetOptions):
        project = QgsProject()
        layout = QgsPrintLayout(project)
        layout.initializeDefaults()
        made.append((project, layout))
        return layout, add_basis_page(layout, results, options)

    yield make
    while made:
        project, layout = made.pop()
        del layout
        del project


def _page_items(layout: QgsPrintLayout, page: int, kind: type) -> list:
    return [item for item in layout.items() if isinstance(item, kind) and item.page() == page]


def _texts(table: QgsLayoutItemManualTable) -> list[list[str]]:
    return [[str(cell.content()) for cell in row] for row in table.tableContents()]


@pytest.mark.parametrize("count", [1, 8, 12, 30, 90])
@pytest.mark.parametrize("long_names", [False, True], ids=["short", "wrapped"])
def test_basis_table_keeps_each_areas_two_rows_together_and_goes_on_to_the_rest(count, long_names, target, basis_page):
    """Each page's table keeps an area's two rows together and says how many areas follow; the pages after the
    basis page hold the rest, so every area's target is stated (it used to stop at the first page's table)."""
    names = [f"Area {i:02d}" + (" of the northern licence" * (i % 4) if long_names else "") for i in range(count)]
    results = [SimpleNamespace(target=target, figures=SimpleNamespace(name=name)) for name in names]
    layout, first_page = basis_page(results, TargetOptions())
    listed = []
    for page in range(first_page, layout.pageCollection().pageCount()):
        [frame] = [f for f in _page_items(layout, page, QgsLayoutFrame) if f.multiFrame() is not None]
        table = frame.multiFrame()
        rows = _texts(table)
        assert table.totalHeight() <= frame.rect().height() + 1e-6  # nothing is clipped by the frame
        notes = [row for row in rows if row[0].startswith("…")]
        shown = rows[: len(rows) - len(notes)]
        assert len(shown) % 2 == 0 and len(shown) >= 2
        for first, second in zip(shown[::2], shown[1::2]):
            assert first[0] == second[0] and (first[1], second[1]) == ("P90–P10", "low–high case")
        listed.extend(row[0] for row in shown[::2])
        hidden = count - len(listed)
        if hidden:
            assert notes == [rows[-1]] and f"and {hidden} more area{'s' if hidden > 1 else ''}" in rows[-1][0]
            assert "continued on the next page" in rows[-1][0]
        else:
            assert notes == [] and page == layout.pageCollection().pageCount() - 1
        caution = [item for item in _page_items(layout, page, QgsLayoutItemLabel) if item.id() == "target_page_caution"]
        assert caution, page  # the caution beside the figures on every page of the table
    for cell, name in zip(listed, names, strict=True):
        text = " ".join(cell.split())  # wrapped in the column, in three lines at most
        assert cell.count("\n") <= 2 and (text == name or name.startswith(text.removesuffix("…")))
    if count >= 30:
        assert layout.pageCollection().pageCount() - first_page > 1


@pytest.mark.parametrize(
    ("plan", "timeframe", "person"),
    [
        ("12 diamond holes on a 400 m grid", "2027 field season", "A. Geologist, MAusIMM"),
        (PLAN, "2027", "Dr X"),
        (PLAN * 3, "Twelve to eighteen months from grant, subject to access and rig availability " * 4, "Dr X"),
        ("short", "soon", '<b>Dr</b> O\'Brien & "Smith" [% 1/0 %] ' * 30),
        ("line one\nline two\n" * 40, "", ""),
    ],
    ids=["ordinary", "long-plan", "long-plan-and-timeframe", "long-person", "many-lines"],
)
def test_statement_prints_every_item_inside_its_box(plan, timeframe, person, target, basis_page):
    options = TargetOptions(exploration_planned=plan, timeframe=timeframe, competent_person=person)
    layout, page = basis_page([SimpleNamespace(target=target, figures=SimpleNamespace(name="A"))], options)
    [label] = [item for item in _page_items(layout, page, QgsLayoutItemLabel) if item.id() == "target_statement"]
    text = label.currentText()
    whole = "\n".join(options.statement_lines())
    starts = [text.index(item) for item in STATEMENT_ITEMS]
    assert starts == sorted(starts)
    inner = label.rect().adjusted(label.marginX(), label.marginY(), -label.marginX(), -label.marginY())
    assert text_height_mm(text, label_font(label), inner.width()) <= inner.height()
    if text_height_mm(whole, label_font(label), inner.width() - 2.0) <= inner.height():
        assert text == whole  # a statement that fits (with room to spare) is printed as typed
    else:
        assert "…" in text and "shortened" in text


def _blocks(
    names: list[str], lon: float, lat: float, layer_name: str = "blocks", step: float = 0.03, crs: str = "EPSG:4326"
) -> QgsVectorLayer:
    """Squares of 0.02° in a row from lon/lat ``step`` degrees apart (under 0.02: each overlaps the next), one per
    name; ``crs``: a geographic CRS on WGS 84 (an authority code or WKT)."""
    layer = QgsVectorLayer("Polygon?field=name:string", layer_name, "memory")
    layer.setCrs(QgsCoordinateReferenceSystem(crs))
    features = []
    for number, name in enumerate(names):
        feature = QgsFeature(layer.fields())
        feature["name"] = name
        x = lon + step * number
        feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(x - 0.01, lat - 0.01, x + 0.01, lat + 0.01)))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def _grade_centre(layers) -> tuple[float, float]:
    centre = QgsCoordinateTransform(layers.grade.crs(), WGS84, QgsProject()).transform(layers.grade.extent().center())
    return centre.x(), centre.y()


def _pages(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return [" ".join(page.split()) for page in unicodedata.normalize("NFKC", text).split("\f")]


def _labels(layout: QgsPrintLayout, ids: tuple[str, ...]) -> list[QgsLayoutItemLabel]:
    return [item for item in layout.items() if isinstance(item, QgsLayoutItemLabel) and item.id() in ids]


def _check_table_cells(layout: QgsPrintLayout) -> int:
    """Every table's cells of set width wrapped in their column in three lines at most (a figure on one), not
    clipped by it, and its first areas shown; how many cells hold the 150-letter name."""
    long_name_cells = 0
    for table in {item.multiFrame() for item in layout.items() if isinstance(item, QgsLayoutFrame)}:
        if not isinstance(table, QgsLayoutItemManualTable):
            continue
        font = table.contentTextFormat().toQFont()
        rows = _texts(table)
        assert not rows[0][0].startswith("…")
        for row in rows:
            for text, width in zip(row, table.columnWidths()):
                lines = text.split("\n") if width > 0 else []
                assert len(lines) <= 3
                if re.fullmatch(r"[\d.,–\n-]*", text):
                    assert "\n" not in text
                    continue
                for line in lines:
                    assert QgsLayoutUtils.textWidthMM(font, line) <= width - 2 * table.cellMargin(), (text, width)
                if text.startswith("a" * 10):
                    assert text.replace("\n", "").rstrip("…") == "a" * (len(text) - text.count("\n") - 1)
                    long_name_cells += 1
    return long_name_cells


def test_long_names_titles_and_statement_stay_in_their_slots(sample, tmp_path):
    layers = sample
    names = ["a" * 150, "line1\nline2\ttab", *(f"Block {i:02d}" for i in range(12))]
    blocks = _blocks(names, *_grade_centre(layers), layer_name="Survey blocks of the licence package " * 4)
    inputs = EstimateInputs(layers.grade.source(), TonnageParams(cutoff=0.05, thickness=20.0))
    options = TargetOptions(
        draws=100,
        exploration_planned=PLAN,
        timeframe="Twelve to eighteen months from grant of the exploration licence, subject to access " * 2,
        competent_person='<b>Dr</b> O\'Brien & "Smith", MAusIMM (CP) — Member #123456',
    )
    title = "Very long report title for the Northern REE licence package phase II " * 3
    meta = ReportMeta(title=title, date="2026-01-01", author="A. Author", organisation="Org")
    _, built = report_layout(blocks, layers, inputs, tmp_path, meta, options)
    layout = built.layout
    labels = _labels(layout, ONE_LINE)
    assert {label.id() for label in labels} == set(ONE_LINE)
    for label in labels:  # one line, as wide as the label at most: nothing wraps onto the line below
        text = label.currentText()
        assert "\n" not in text and "\t" not in text, label.id()
        assert QgsLayoutUtils.textWidthMM(label_font(label), text) <= label.rect().width() - 2 * label.marginX()
    assert _check_table_cells(layout) >= 2  # the long name's cells: in the summary table and the basis table
    maps = {item.page(): item for item in layout.items() if isinstance(item, QgsLayoutItemMap)}
    legends = [item for item in layout.items() if isinstance(item, QgsLayoutItemLegend)]
    assert len(legends) == 1 + len(names)
    for legend in legends:  # the legend's content fits its box, and an area page's box lies on its map
        needed = QgsLegendRenderer(legend.model(), legend.legendSettings()).minimumSize()
        assert needed.width() <= legend.rect().width() + 0.01, legend.id()
        if legend.id() == "area_legend":
            area_map = maps[legend.page()]
            assert legend.pos().x() + legend.rect().width() <= area_map.pos().x() + area_map.rect().width()
            assert legend.pos().y() >= area_map.pos().y()

    scalebars = [item for item in layout.items() if isinstance(item, QgsLayoutItemScaleBar)]
    assert len(scalebars) == 1 + len(names)
    for scalebar in scalebars:  # its labels below the map grid's: the area pages' overlapped them
        linked, grid = scalebar.linkedMap(), scalebar.linkedMap().grids().grid(0)
        grid_labels = grid.annotationFrameDistance() + QgsLayoutUtils.fontHeightMM(
            grid.annotationTextFormat().toQFont()
        )
        top = scalebar.pos().y() + scalebar.boxContentSpace()
        assert top >= linked.pos().y() + linked.rect().height() + grid_labels, scalebar.id()

    pdf = export_pdf(built, tmp_path / "long.pdf")
    summary, *areas, basis, rest = [page for page in _pages(pdf) if page]  # rest: the targets' table goes on
    # the title cut ("…", which NFKC turns into "..."), the byline under it whole
    assert summary.startswith("Very long report title") and summary.count("Very long report title") < 3
    assert "... 2026-01-01 · A. Author · Org" in summary
    assert areas[0].startswith("a" * 40) and "line1 line2 tab" in areas[1]
    for item in STATEMENT_ITEMS:
        assert item in basis, item
    assert "Competent Person: <b>Dr</b>" in basis and "shortened" in basis
    # the basis table: the first areas, each with both its rows, then how many more there are
    shown = [name for name in names[2:] if f"{name} P90–P10" in basis]
    assert shown and shown == names[2 : 2 + len(shown)]
    assert all(f"{name} low–high case" in basis for name in shown)
    hidden = re.search(r"and (\d+) more areas:", basis)  # laid out in columns: the cell's second line apart
    assert hidden and 2 + len(shown) + int(hidden.group(1)) == len(names) and "continued on the next page" in basis
    assert rest.startswith("Exploration targets (continued)")
    assert all(f"{name} P90–P10" in rest for name in names[2 + len(shown) :])


def test_a_long_title_or_area_name_is_set_smaller_and_read_whole(sample, tmp_path):
    """A title or area name too long for the page's width at 16 pt is set in a smaller type, not cut, while it
    fits at 10 pt; the name of 150 letters in the test above is still cut."""
    layers = sample
    name = "IrgizNorthEastExtensionBlockAlpha_2024_RevisedOutline_v3_with_the_southern_lobe_included_final_v2"
    title = "Rare-earth exploration targets of the Kuirektykol licence, Karkaraly district, Qaraghandy region"
    inputs = EstimateInputs(layers.grade.source(), TonnageParams(cutoff=0.05, thickness=20.0))
    meta = ReportMeta(title=title, date="2026-01-01", author="A. Author", organisation="Org")
    _, built = report_layout(_blocks([name], *_grade_centre(layers)), layers, inputs, tmp_path, meta)
    for label in _labels(built.layout, ("title", "area_title")):
        size = label_font(label).pointSizeF()
        assert 10.0 <= size < 16.0, label.id()
        assert QgsLayoutUtils.textWidthMM(label_font(label), label.currentText()) <= label.rect().width()
    summary, area, *_ = [page for page in _pages(export_pdf(built, tmp_path / "titles.pdf")) if page]
    assert summary.startswith(title) and area.startswith(name)


def test_ordinary_texts_keep_their_template_expressions(sample, tmp_path):
    layers = sample
    blocks = _blocks(["Block 1", "Block 2"], *_grade_centre(layers))
    inputs = EstimateInputs(layers.grade.source(), TonnageParams(cutoff=0.05, thickness=20.0))
    _, built = report_layout(blocks, layers, inputs, tmp_path)
    texts = {label.id(): label.text() for label in _labels(built.layout, ("title", "area_title", "area_subtitle"))}
    assert texts == {
        "title": "[% @re_title %]",
        "area_title": "[% @re_area_name %]",
        "area_subtitle": "[% @re_area_kind %]   ·   [% @re_title %]   ·   [% @re_date %]",
    }


#: Places (lon, lat) round the world: Western Australia, the Aral Sea shore, central Chile (China on the far side
#: of the Earth), Fiji by the antimeridian (Mali opposite), the North Sea (no country), Iceland, the sample's
#: Qaraghandy region.
PLACES = {
    "pilbara": (120.33, -25.27),
    "aral": (60.27, 45.33),
    "chile": (-70.63, -33.43),
    "fiji": (179.93, -17.53),
    "north-sea": (3.13, 56.07),
    "iceland": (-18.93, 64.87),
    "qaraghandy": (76.37, 49.97),
}


@pytest.mark.parametrize(("lon", "lat"), PLACES.values(), ids=PLACES.keys())
def test_location_inset_and_caption_show_where_the_areas_are(lon, lat, sample, tmp_path):
    layers = sample
    blocks = _blocks(["Block"], lon, lat)
    inputs = EstimateInputs(layers.grade.source(), TonnageParams(cutoff=0.05, thickness=20.0))
    _, built = report_layout(blocks, layers, inputs, tmp_path)
    maps = {item.id(): item for item in built.layout.items() if isinstance(item, QgsLayoutItemMap)}
    overview, main = maps["overview_map"], maps["main_map"]
    # the inset is centred on the areas (pyproj, not QGIS, turns its centre into degrees)
    to_lonlat = pyproj.Transformer.from_crs(
        pyproj.CRS.from_wkt(overview.crs().toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED)),
        "EPSG:4326",
        always_xy=True,
    )
    centre_lon, centre_lat = to_lonlat.transform(overview.extent().center().x(), overview.extent().center().y())
    assert (centre_lon, centre_lat) == (pytest.approx(lon, abs=0.05), pytest.approx(lat, abs=0.05))
    # the red frame (the main map's extent) lies inside it, and small
    frame = overview.overviews().overview(0)
    assert frame.enabled() and frame.linkedMap() is main
    main_box = QgsCoordinateTransform(main.crs(), overview.crs(), QgsProject()).transformBoundingBox(main.extent())
    assert overview.extent().contains(main_box) and main_box.width() < overview.extent().width() / 4
    # no country covers the whole inset but the one the areas lie in (an azimuthal map draws the far side of the
    # Earth round its rim: a country there would be a ring round the map, filling it)
    whole = QgsGeometry.fromRect(overview.extent())
    for layer in overview.layers():
        to_map = QgsCoordinateTransform(layer.crs(), overview.crs(), QgsProject())
        centre = QgsGeometry.fromPointXY(QgsCoordinateTransform(WGS84, layer.crs(), QgsProject()).transform(lon, lat))
        for feature in layer.getFeatures():
            drawn = QgsGeometry(feature.geometry())
            drawn.transform(to_map)
            assert not drawn.contains(whole) or feature.geometry().contains(centre), layer.name()
    # the caption names the place by its coordinates, never a fixed country or region
    [caption] = _labels(built.layout, ("overview_caption",))
    found = re.fullmatch(
        r"Location: (\d+\.\d)° ([NS]), (\d+\.\d)° ([EW]) \(red frame: main map\)", caption.currentText()
    )
    assert found, caption.currentText()
    shown_lat = float(found.group(1)) * (1 if found.group(2) == "N" else -1)
    shown_lon = float(found.group(3)) * (1 if found.group(4) == "E" else -1)
    assert (shown_lon, shown_lat) == (pytest.approx(lon, abs=0.06), pytest.approx(lat, abs=0.06))
    # the sample's region is drawn and listed only near it
    drawn = {layer.name() for layer in main.layers()}
    assert ("Qaraghandy region" in drawn) == ((lon, lat) == PLACES["qaraghandy"]), drawn


#: A user's own CRS: longitude and latitude on WGS 84 (its flattening rounded, so QGIS does not take it for
#: OGC:CRS84) under a name of 600 characters, without an authority code.
LONG_NAMED_CRS = (
    'GEOGCRS["' + "Karkaraly licence survey datum, longitude and latitude on WGS 84, as set up " * 8 + '",'
    'DATUM["World Geodetic System 1984",ELLIPSOID["WGS 84",6378137,298.2572236]],'
    'CS[ellipsoidal,2],AXIS["longitude",east,ANGLEUNIT["degree",0.0174532925199433]],'
    'AXIS["latitude",north,ANGLEUNIT["degree",0.0174532925199433]]]'
)


@pytest.mark.parametrize("crs", ["EPSG:4326", LONG_NAMED_CRS], ids=["EPSG:4326", "own CRS, long name"])
def test_assumptions_of_many_inputs_fit_their_box_whole(sample, tmp_path, crs):
    """Overlapping areas of long names, long raster names and a depth window: the assumptions ran off their
    box's foot even in 5 pt (the overlap warning lost). They now fit: smaller print, then the pairs counted and
    the file names and the CRS cut short (a review's own CRS of a long name pushed the overlap line off)."""
    import shutil

    from rare_earth_plugin.report.text_fit import text_width_mm

    layers = sample
    lon, lat = _grade_centre(layers)
    names = [f"Northern licence block {n} of the Karkaraly group" for n in range(6)]
    blocks = _blocks(names, lon, lat, step=0.015, crs=crs)  # each overlaps the next
    assert crs == "EPSG:4326" or len(blocks.crs().description()) > 500  # not taken for a known CRS
    grade = tmp_path / ("treo_grade_of_the_karkaraly_licence_model_v12_final_" * 2 + ".tif")
    shutil.copy(layers.grade.source(), grade)
    params = TonnageParams(cutoff=0.05, thickness=20.0, top_depth=5.0, min_depth=10.0, max_depth=300.0)
    inputs = EstimateInputs(str(grade), params)
    options = TargetOptions(draws=100)
    _, built = report_layout(blocks, layers, inputs, tmp_path, options=options)
    [box] = _labels(built.layout, ("assumptions",))
    text = box.currentText()
    assert text.rstrip().endswith("their rows must not be added up") and "Depth window" in text
    assert text_height_mm(text, label_font(box), text_width_mm(box)) <= box.rect().height() - 2 * box.marginY()
    assert label_font(box).pointSizeF() >= 5.0
    assert blocks.crs().description()[:40] in text  # the CRS named, if cut short


def test_an_area_pages_notes_statement_and_caution_are_stacked_each_whole(sample, tmp_path):
    """Half outside the raster, with no ore at the cut-off: five lines of notes ran over the target statement, and
    an area outside the raster lost its statement's last line ("… P10 the value exceeded")."""
    from rare_earth_plugin.report.text_fit import text_width_mm

    layers = sample
    extent = layers.grade.extent()
    to_wgs84 = QgsCoordinateTransform(layers.grade.crs(), WGS84, QgsProject())
    east = to_wgs84.transform(extent.xMaximum(), extent.center().y())
    blocks = _blocks(["Half outside the raster", "Outside the raster"], east.x(), east.y(), step=0.2)
    inputs = EstimateInputs(layers.grade.source(), TonnageParams(cutoff=0.19, thickness=20.0))
    _, built = report_layout(blocks, layers, inputs, tmp_path, None, TargetOptions(draws=100))
    stacks = {}
    for label in _labels(built.layout, ("area_notes", "area_target", "area_target_caution")):
        stacks.setdefault(label.page(), {})[label.id()] = label
    assert len(stacks) == 2
    for page, labels in stacks.items():
        notes, statement, caution = (labels[key] for key in ("area_notes", "area_target", "area_target_caution"))
        assert notes.currentText().count("\n") >= 3, page  # the source, no grade, coverage and the warnings
        for label in (notes, statement, caution):  # each text whole inside its box
            needed = text_height_mm(label.currentText(), label_font(label), text_width_mm(label))
            assert needed <= label.rect().height() - 2 * label.marginY() + 0.01, (page, label.id())
        tops = [label.pagePositionWithUnits().y() for label in labels.values()]  # mm from the page's top
        ordered = sorted((top, top + label.rect().height()) for top, label in zip(tops, labels.values()))
        assert all(above[1] <= below[0] + 1e-6 for above, below in zip(ordered, ordered[1:])), page
        assert ordered[-1][1] <= 190.0 + 1e-6  # above the footer


def test_the_samples_region_is_drawn_on_the_area_pages_near_it_only(sample, tmp_path):
    """The region was drawn and listed on every area page once one area lay near it: an area 44° east of it, in
    Mongolia, listed "Qaraghandy region" in its legend."""
    layers = sample
    blocks = _blocks(["Home", "Far"], *PLACES["qaraghandy"], step=43.96)
    inputs = EstimateInputs(layers.grade.source(), TonnageParams(cutoff=0.05, thickness=20.0))
    _, built = report_layout(blocks, layers, inputs, tmp_path)
    maps = [item for item in built.layout.items() if isinstance(item, QgsLayoutItemMap)]
    pages = {
        built.layout.pageCollection().pageNumberForPoint(item.pos()): {layer.name() for layer in item.layers()}
        for item in maps
        if item.id() == "area_map"
    }
    drawn = [("Qaraghandy region" in names) for _, names in sorted(pages.items())]
    assert drawn == [True, False], pages
    [main] = [item for item in maps if item.id() == "main_map"]
    assert "Qaraghandy region" in {layer.name() for layer in main.layers()}
