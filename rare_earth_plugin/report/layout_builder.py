"""The print layout of the report, filled in from ``resources/templates/report.qpt``.

The template has two pages: the summary and one area page. Items are found by their ids (``main_map``,
``areas_table``, ``area_chart``...), so users may restyle or move anything in QGIS's layout designer; the area
page is copied once per further area. Texts in the template are expressions over ``@re_*`` variables, set here
on the layout (summary) and on each area page's items.

Layers are cloned into a private project: the user's project is never changed, and the report renders the same
from the dialog, from Processing and headless.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qgis.core import (
    QgsBasicNumericFormat,
    QgsColorRampLegendNodeSettings,
    QgsColorRampShader,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsExpressionContextUtils,
    QgsFeature,
    QgsFillSymbol,
    QgsGeometry,
    QgsLayerTreeLayer,
    QgsLayoutFrame,
    QgsLayoutItem,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemManualTable,
    QgsLayoutItemMap,
    QgsLayoutItemMapGrid,
    QgsLayoutItemPage,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLayoutTable,
    QgsLayoutTableColumn,
    QgsLegendRenderer,
    QgsLegendStyle,
    QgsMapLayer,
    QgsMapLayerLegendUtils,
    QgsPointXY,
    QgsPrintLayout,
    QgsProject,
    QgsRasterLayer,
    QgsRasterShader,
    QgsReadWriteContext,
    QgsRectangle,
    QgsSingleBandPseudoColorRenderer,
    QgsSingleSymbolRenderer,
    QgsStyle,
    QgsTableCell,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QPointF, Qt
from qgis.PyQt.QtGui import QColor, QImageReader
from qgis.PyQt.QtXml import QDomDocument

from ..core import catalogue, display
from ..core.target_ranges import TargetRanges
from ..core.tonnage import TonnageParams
from ..estimation import EstimateInputs
from ..paths import resource, sample_data, sample_data_dir
from ..qgis_compat import (
    LAYOUT_MM,
    LEGEND_GROUP,
    LEGEND_SUBGROUP,
    LEGEND_SYMBOL_LABEL,
    PICTURE_RASTER,
    PICTURE_SVG,
    SHADER_LINEAR,
    band_min_max,
    label_font,
    legend_font,
    set_label_font,
    set_legend_text_size,
)
from . import map_frame, target_section
from .area_results import AreaResult
from .chart import write_chart
from .errors import ReportError
from .figures import COLUMNS, CUTOFF_COLUMNS, Column, formatted, table_rows
from .naming import unique_stems
from .target_options import TargetOptions
from .text_fit import cell_lines, elided, fit_font, fit_line_font, text_width_mm
from .texts import ELLIPSIS, SAMPLE_NOTE, ReportMeta, assumptions_text, disclaimer, location_text
from .world_map import country_at, world_layer

TEMPLATE = resource("templates", "report.qpt")
SUMMARY_PAGE = 0
AREA_PAGE = 1
#: Ground width (m) the location inset spans at least: the areas' country and its neighbours (Kazakhstan is
#: 3,000 km wide), and how many times the main map's width, so that its red frame stays a mark on a wider map.
OVERVIEW_SPAN_M = 4_000_000.0
OVERVIEW_ZOOM_OUT = 4.0
HIGHLIGHT = {"color": "0,0,0,0", "outline_color": "#e31a1c", "outline_width": "0.9"}
_UUID = re.compile(r"\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}")
FIGURE_ROWS = ("area_km2", "ore_mt", "mean_grade_pct", "treo_kt", "tree_kt", "coverage_pct", "cutoff_pct")


@dataclass
class ReportLayers:
    """The user's layers to show; they are cloned, never modified."""

    area_layers: Sequence[QgsVectorLayer]
    grade: QgsRasterLayer
    region: QgsVectorLayer | None = None


@dataclass
class BuiltReport:
    """A layout and the private project that owns its layers: keep both alive until the export is done. Freed,
    the layout goes first (its fields in order), as it reads from the project."""

    layout: QgsPrintLayout
    project: QgsProject

    @classmethod
    def new(cls) -> BuiltReport:
        project = QgsProject()
        return cls(layout=QgsPrintLayout(project), project=project)


def _items(layout: QgsPrintLayout, item_id: str, page: int | None = None) -> list[QgsLayoutItem]:
    return [
        item
        for item in layout.items()
        if isinstance(item, QgsLayoutItem)
        and not isinstance(item, QgsLayoutItemPage)
        and item.id() == item_id
        and (page is None or item.page() == page)
    ]


def _item(layout: QgsPrintLayout, item_id: str, page: int, kind: type):
    found = [item for item in _items(layout, item_id, page) if isinstance(item, kind)]
    if not found:
        raise ReportError(
            f"report template: no {kind.__name__[len('QgsLayoutItem') :] or kind.__name__} "
            f"item with id '{item_id}' on page {page + 1} of {TEMPLATE.name}"
        )
    return found[0]


def _table(layout: QgsPrintLayout, item_id: str, page: int) -> QgsLayoutItemManualTable:
    frame = _item(layout, item_id, page, QgsLayoutFrame)
    table = frame.multiFrame()
    if not isinstance(table, QgsLayoutItemManualTable):
        raise ReportError(f"report template: item '{item_id}' is not a manual table")
    return table


def _fill_table(
    table: QgsLayoutItemManualTable, columns: Sequence[Column], rows: list[list[str]], widths: Sequence[float] = ()
) -> None:
    headers = []
    for column in columns:
        header = QgsLayoutTableColumn(column.title)
        header.setHAlignment(Qt.AlignmentFlag.AlignRight if column.numeric else Qt.AlignmentFlag.AlignLeft)
        headers.append(header)
    table.setHeaders(headers)
    table.setIncludeTableHeader(True)
    font = table.contentTextFormat().toQFont()
    room = [width - 2.0 * table.cellMargin() for width in widths]  # of set widths only, as QGIS wraps cells
    contents = []
    for row in rows:
        cells = []
        for index, (column, text) in enumerate(zip(columns, row)):
            fitted = index < len(room) and not column.numeric  # a figure is never broken across lines
            cell = QgsTableCell(cell_lines(text, font, room[index]) if fitted else text)
            cell.setHorizontalAlignment(Qt.AlignmentFlag.AlignRight if column.numeric else Qt.AlignmentFlag.AlignLeft)
            cells.append(cell)
        contents.append(cells)
    table.setTableContents(contents)
    table.setColumnWidths(list(widths) + [0.0] * (len(columns) - len(widths)))


def _open_template(path: Path) -> QDomDocument:
    document = QDomDocument()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ReportError(f"report template '{path}' cannot be read ({error.strerror})") from None
    if not document.setContent(text):
        raise ReportError(f"report template '{path}' is not a valid QGIS layout template (.qpt)")
    return document


def _area_page_xml(layout: QgsPrintLayout) -> str:
    """The items of the area page as XML, for pasting onto further pages (as the layout designer does)."""
    document = QDomDocument()
    root = document.createElement("Items")
    document.appendChild(root)
    context = QgsReadWriteContext()
    tables = []
    for item in layout.items():
        if isinstance(item, QgsLayoutItem) and not isinstance(item, QgsLayoutItemPage) and item.page() == AREA_PAGE:
            item.writeXml(root, document, context)
            if isinstance(item, QgsLayoutFrame) and item.multiFrame() not in tables:
                tables.append(item.multiFrame())
    for table in tables:
        table.writeXml(root, document, context)
    return document.toString()


def _with_new_uuids(xml: str) -> QDomDocument:
    """``xml`` with every item uuid replaced consistently: pasted items keep their uuids otherwise, and items
    sharing a uuid are moved back onto the first copy's page by the next layout refresh."""
    fresh: dict[str, str] = {}
    text = _UUID.sub(lambda match: fresh.setdefault(match.group(0), f"{{{uuid.uuid4()}}}"), xml)
    document = QDomDocument()
    document.setContent(text)
    return document


def _add_area_pages(layout: QgsPrintLayout, count: int) -> None:
    pages = layout.pageCollection()
    if pages.pageCount() != 2:
        raise ReportError(
            f"report template {TEMPLATE.name} must have 2 pages (summary, area), it has {pages.pageCount()}"
        )
    xml = _area_page_xml(layout)
    prototype = pages.page(AREA_PAGE)
    for _ in range(count - 1):
        page = QgsLayoutItemPage(layout)
        page.setPageSize(prototype.pageSize())
        pages.addPage(page)
        top = pages.page(pages.pageCount() - 1).pos().y()
        document = _with_new_uuids(xml)
        layout.addItemsFromXml(document.documentElement(), document, QgsReadWriteContext(), QPointF(0, top + 1), True)


def _clone(layer: QgsMapLayer, project: QgsProject) -> QgsMapLayer:
    copy = layer.clone()
    project.addMapLayer(copy)
    return copy


def _colour_grades(layer: QgsRasterLayer) -> None:
    """A grade raster opened from a file (qgis_process, Processing) renders grey: give it a colour ramp over
    its own value range, like the sample style. A raster the user styled keeps its style."""
    if layer.renderer() is None or layer.renderer().type() != "singlebandgray":
        return
    band = 1
    stats = band_min_max(layer.dataProvider(), band)
    function = QgsColorRampShader(
        stats.minimumValue, stats.maximumValue, QgsStyle.defaultStyle().colorRamp("Viridis"), SHADER_LINEAR
    )
    function.classifyColorRamp(5, band, layer.extent(), layer.dataProvider())
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(function)
    layer.setRenderer(QgsSingleBandPseudoColorRenderer(layer.dataProvider(), band, shader))


def _continuous_legend(layer: QgsRasterLayer) -> None:
    """One colour bar instead of a row per ramp stop, which would overflow the legend box."""
    renderer = layer.renderer()
    if not isinstance(renderer, QgsSingleBandPseudoColorRenderer) or renderer.shader() is None:
        return
    function = renderer.shader().rasterShaderFunction()
    if isinstance(function, QgsColorRampShader) and function.colorRampType() == SHADER_LINEAR:
        settings = QgsColorRampLegendNodeSettings(function.legendSettings())
        settings.setUseContinuousLegend(True)
        function.setLegendSettings(settings)


def _world_layer(
    name: str,
    title: str,
    subset: str | None,
    style: dict[str, str],
    project: QgsProject,
    near: QgsPointXY | None = None,
) -> QgsVectorLayer:
    layer = world_layer(name, title, subset, near)
    layer.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple(style)))
    project.addMapLayer(layer)
    return layer


def _region_layer(given: QgsVectorLayer | None, project: QgsProject) -> QgsVectorLayer:
    if given is not None and given.isValid():
        return _clone(given, project)
    path = sample_data(catalogue.REGION_FILE)
    layer = QgsVectorLayer(f"{path}|layername={catalogue.REGION_LAYER}", "Qaraghandy region", "ogr")
    if layer.isValid():
        layer.loadNamedStyle(str(resource("styles", "qaraghandy_region.qml")))
        project.addMapLayer(layer)
        return layer
    return _world_layer(
        "states_provinces",
        "Qaraghandy region",
        "\"name\" = 'Qaraghandy'",
        {"color": "255,127,0,60", "outline_color": "#d95f02", "outline_width": "0.4"},
        project,
    )


def _near_the_areas(layer: QgsVectorLayer, results: Sequence[AreaResult], project: QgsProject) -> bool:
    """Whether ``layer`` reaches the areas' surroundings (their box grown by its own size on every side), in
    degrees: the sample's region drawn and listed beside data in Australia would mislead."""
    areas = map_frame.combined_box([_box(result) for result in results], map_frame.WGS84, project)
    around = QgsRectangle(areas)
    around.grow(max(areas.width(), areas.height(), 0.1))
    try:
        extent = QgsCoordinateTransform(layer.crs(), map_frame.WGS84, project).transformBoundingBox(layer.extent())
    except QgsCsException:
        return False
    return extent.intersects(around)


def _highlight_layer(result: AreaResult, project: QgsProject) -> QgsVectorLayer:
    crs = result.area.crs.authid() or result.area.crs.toWkt()
    layer = QgsVectorLayer(f"Polygon?crs={crs}", f"Reported area: {result.area.name}", "memory")
    layer.setCrs(result.area.crs)
    feature = QgsFeature()
    feature.setGeometry(result.area.geometry)
    layer.dataProvider().addFeatures([feature])
    layer.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple(HIGHLIGHT)))
    project.addMapLayer(layer)
    return layer


def _box(result: AreaResult) -> tuple[QgsRectangle, QgsCoordinateReferenceSystem]:
    return result.area.geometry.boundingBox(), result.area.crs


def _frame(
    results: Sequence[AreaResult], project: QgsProject, margin: float
) -> tuple[QgsCoordinateReferenceSystem, QgsRectangle]:
    """The map CRS (true to scale at the areas) and the padded extent in it."""
    first = results[0].area
    boxes = [_box(result) for result in results]
    crs = map_frame.map_crs(first.crs, map_frame.combined_box(boxes, first.crs, project), project)
    return crs, map_frame.padded_extent(map_frame.combined_box(boxes, crs, project), crs, margin)


def _set_grid(map_item: QgsLayoutItemMap, project: QgsProject) -> None:
    """A grid of about five lines across in the map's own CRS when it counts in metres (a map kept in the areas'
    conic or polar CRS: a UTM grid over it was tilted, its labels colliding), else in the local UTM (or polar)
    CRS; its step in whole metres, labels in metres."""
    if map_item.grids().size() == 0:
        return
    grid = map_item.grids().grid(0)
    crs = map_item.crs()
    if crs.isGeographic() or map_frame.metres_per_unit(crs) != 1.0:
        centre = QgsCoordinateTransform(crs, map_frame.WGS84, project).transform(map_item.extent().center())
        crs = map_frame.local_crs(centre)
    grid.setCrs(crs)
    extent = QgsCoordinateTransform(map_item.crs(), crs, project).transformBoundingBox(map_item.extent())
    step = map_frame.nice_step(max(extent.width(), extent.height()))
    grid.setUnits(QgsLayoutItemMapGrid.GridUnit.MapUnit)
    grid.setIntervalX(step)
    grid.setIntervalY(step)
    grid.setName(f"{crs.description()} grid, {step:g} m")


def _link_scalebar(scalebar: QgsLayoutItemScaleBar, map_item: QgsLayoutItemMap) -> None:
    """Ground distances (the private project measures on the ellipsoid), in m or km by the map's width."""
    scalebar.setLinkedMap(map_item)
    width = map_item.extent().width() * map_frame.metres_per_unit(map_item.crs())
    unit, label = map_frame.scalebar_unit(width)
    scalebar.applyDefaultSize(unit)
    scalebar.setUnitLabel(label)
    scalebar.update()


def _prepare_map(
    map_item: QgsLayoutItemMap, layers: list[QgsMapLayer], crs: QgsCoordinateReferenceSystem, extent: QgsRectangle
) -> None:
    map_item.setCrs(crs)
    map_item.setLayers(layers)
    map_item.setKeepLayerSet(True)
    map_item.zoomToExtent(extent)


def _link_north_arrow(layout: QgsPrintLayout, item_id: str, page: int, map_item: QgsLayoutItemMap) -> None:
    for arrow in _items(layout, item_id, page):
        if isinstance(arrow, QgsLayoutItemPicture):
            arrow.setLinkedMap(map_item)


def _fill_legend(
    legend: QgsLayoutItemLegend,
    map_item: QgsLayoutItemMap,
    layers: list[QgsMapLayer],
    grade_unit: str,
    width_mm: float,
) -> None:
    """The layers' legend, the grade raster named with its unit and without GDAL's "Band 1: … (Gray)" row;
    every entry on one line and cut to fit ``width_mm``, the legend box's width."""
    legend.setLinkedMap(map_item)
    legend.setAutoUpdateModel(False)
    root = legend.model().rootGroup()
    root.clear()
    unit = display.unit_label(grade_unit)
    text_width = (
        width_mm
        - 2.0 * legend.boxSpace()
        - legend.symbolWidth()
        - legend.rstyle(LEGEND_SYMBOL_LABEL).margin(QgsLegendStyle.Side.Left)
    )
    title_font = legend_font(legend, LEGEND_SUBGROUP)
    for layer in layers:
        node = root.addLayer(layer)
        title = layer.name()
        if isinstance(layer, QgsRasterLayer):
            title = title if unit in title else f"{title} ({unit} TREO)"
            node.setName(title)
        node.setCustomProperty("legend/title-label", elided(title, title_font, text_width))
        legend.model().refreshLayerLegend(node)
        if isinstance(layer, QgsRasterLayer):
            nodes = legend.model().layerLegendNodes(node)
            keep = [
                index
                for index, item in enumerate(nodes)
                if not str(item.data(Qt.ItemDataRole.DisplayRole) or "").startswith("Band ")
            ]
            if len(keep) < len(nodes):
                QgsMapLayerLegendUtils.setLegendNodeOrder(node, keep)
                legend.model().refreshLayerLegend(node)
        _elide_entries(legend, node, text_width)
    legend.updateLegend()


def _elide_entries(legend: QgsLayoutItemLegend, node: QgsLayerTreeLayer, width_mm: float) -> None:
    """The layer's own legend entries (a category's label, say) on one line and cut to ``width_mm``."""
    font = legend_font(legend, LEGEND_SYMBOL_LABEL)
    entries = legend.model().layerLegendNodes(node)
    order = (
        QgsMapLayerLegendUtils.legendNodeOrder(node)
        if QgsMapLayerLegendUtils.hasLegendNodeOrder(node)
        else range(len(entries))
    )
    cut = False
    for original, entry in zip(order, entries):
        if entry.isEmbeddedInParent():
            continue  # it shows the layer's title, already cut
        text = str(entry.data(Qt.ItemDataRole.DisplayRole) or "")
        shown = elided(text, font, width_mm)
        if shown != text:
            QgsMapLayerLegendUtils.setLegendNodeUserLabel(node, original, shown)
            cut = True
    if cut:
        legend.model().refreshLayerLegend(node)


def _grade_suffix(layer: QgsRasterLayer, grade_unit: str) -> None:
    """The colour bar's end labels carry the unit ("0.25 %", not "0.25") and three significant figures
    ("0.237 %", not "0.237076 %")."""
    renderer = layer.renderer()
    if not isinstance(renderer, QgsSingleBandPseudoColorRenderer) or renderer.shader() is None:
        return
    function = renderer.shader().rasterShaderFunction()
    if isinstance(function, QgsColorRampShader):
        settings = QgsColorRampLegendNodeSettings(function.legendSettings())
        settings.setSuffix(f" {display.unit_label(grade_unit)}")
        number_format = QgsBasicNumericFormat()
        number_format.setNumberDecimalPlaces(display.decimals_for(function.minimumValue(), function.maximumValue()))
        number_format.setShowTrailingZeros(False)
        settings.setNumericFormat(number_format)
        function.setLegendSettings(settings)


def _copy_grid(source: QgsLayoutItemMap, target: QgsLayoutItemMap) -> None:
    """The summary map's grid style on another map (the template has one grid, on the summary map)."""
    if source.grids().size() == 0 or target.grids().size():
        return
    document = QDomDocument()
    root = document.createElement("grid")
    source.grids().grid(0).writeXml(root, document, QgsReadWriteContext())
    grid = QgsLayoutItemMapGrid("UTM grid", target)
    grid.readXml(root.firstChildElement(), document, QgsReadWriteContext())
    target.grids().addGrid(grid)


def _area_legend(
    layout: QgsPrintLayout, area_map: QgsLayoutItemMap, layers: list[QgsMapLayer], grade_unit: str
) -> QgsLayoutItemLegend:
    """A legend in the area map's lower left corner: what the red outline, colours and lines are."""
    legend = QgsLayoutItemLegend(layout)
    layout.addLayoutItem(legend)
    legend.setId("area_legend")
    legend.setTitle("")
    legend.setBackgroundEnabled(True)
    legend.setBackgroundColor(QColor(255, 255, 255, 225))
    legend.setFrameEnabled(True)
    legend.setBoxSpace(1.5)
    for style in (LEGEND_GROUP, LEGEND_SUBGROUP, LEGEND_SYMBOL_LABEL):
        set_legend_text_size(legend, style, 7.0)
    legend.setSymbolHeight(3.0)
    legend.setSymbolWidth(5.0)
    _fill_legend(legend, area_map, layers, grade_unit, area_map.rect().width() * AREA_LEGEND_SHARE)
    legend.setResizeToContents(True)
    # adjustBoxSize() waits for the first paint; the map needs the size now, to keep the area clear of it.
    size = QgsLegendRenderer(legend.model(), legend.legendSettings()).minimumSize()
    legend.attemptResize(QgsLayoutSize(size.width(), size.height(), LAYOUT_MM))
    legend.setZValue(area_map.zValue() + 1)
    legend.setReferencePoint(QgsLayoutItem.ReferencePoint.LowerLeft)
    corner = area_map.pos()
    legend.attemptMove(QgsLayoutPoint(corner.x() + 2.0, corner.y() + area_map.rect().height() - 2.0, LAYOUT_MM))
    return legend


def _keep_clear_of_legend(area_map: QgsLayoutItemMap, legend: QgsLayoutItemLegend, box: QgsRectangle) -> None:
    """Move (or zoom out) the area map so that the legend in its corner does not hide part of the area."""
    frame = area_map.rect()
    margin = 2.0 + LEGEND_GAP_MM  # the legend's offset from the frame, then a gap before the area
    corner_w = (legend.rect().width() + margin) / frame.width()
    corner_h = (legend.rect().height() + margin) / frame.height()
    area_map.zoomToExtent(map_frame.clear_of_corner(area_map.extent(), box, corner_w, corner_h))


def _fill_summary(
    layout: QgsPrintLayout,
    results: Sequence[AreaResult],
    map_layers: list[QgsMapLayer],
    project: QgsProject,
    region: QgsVectorLayer,
    grade_unit: str,
    overlapping: bool,
) -> None:
    main_map = _item(layout, "main_map", SUMMARY_PAGE, QgsLayoutItemMap)
    _prepare_map(main_map, map_layers, *_frame(results, project, 0.08))
    _set_grid(main_map, project)
    _link_north_arrow(layout, "north_arrow", SUMMARY_PAGE, main_map)
    for scalebar in _items(layout, "scalebar", SUMMARY_PAGE):
        _link_scalebar(scalebar, main_map)

    _fill_overview(layout, main_map, region, project)

    for legend in _items(layout, "legend", SUMMARY_PAGE):
        if isinstance(legend, QgsLayoutItemLegend):
            _fill_legend(legend, main_map, map_layers, grade_unit, legend.rect().width())

    table = _table(layout, "areas_table", SUMMARY_PAGE)
    if target_section.has_targets(results):  # the targets' ranges are the headline, never base figures
        columns, rows = target_section.SUMMARY_COLUMNS, [target_section.summary_row(r) for r in results]
        widths = target_section.SUMMARY_WIDTHS
        target_section.add_summary_caution(layout, SUMMARY_PAGE, results, overlapping)
    else:
        columns, rows = COLUMNS, table_rows([result.figures for result in results], COLUMNS)
        widths = SUMMARY_WIDTHS
    # with targets, every area's target is stated as ranges in the table that closes the report
    where = "see the statement pages" if target_section.has_targets(results) else ELSEWHERE
    fit_rows(table, [[row] for row in rows], columns, widths, where)


#: Where the areas a table leaves out are, said in its last row.
ELSEWHERE = "see their pages and the CSV"


def fit_rows(
    table: QgsLayoutItemManualTable,
    areas: Sequence[list[list[str]]],
    columns: Sequence[Column],
    widths: Sequence[float],
    where: str = ELSEWHERE,
) -> int:
    """Fill ``table`` with each area's rows, keeping the areas that fit its frame whole and saying how many
    others there are and ``where``, rather than a frame clipping rows silently or cutting an area's rows apart;
    how many areas it shows."""
    table.setWrapBehavior(QgsLayoutTable.WrapBehavior.WrapText)
    _fill_table(table, columns, [row for area in areas for row in area], widths)
    room = table.frame(0).rect().height()
    shown = len(areas)
    while shown > 0 and table.totalHeight() > room:
        shown -= 1
        hidden = len(areas) - shown
        note = f"… and {hidden} more area{'s' if hidden > 1 else ''}: {where}"
        kept = [row for area in areas[:shown] for row in area]
        _fill_table(table, columns, [*kept, [note] + [""] * (len(columns) - 1)], widths)
    return shown


def _fill_overview(
    layout: QgsPrintLayout, main_map: QgsLayoutItemMap, region: QgsVectorLayer, project: QgsProject
) -> None:
    """The location inset centred on the areas, wherever on Earth they lie: the country round them stands out,
    the red frame marks the main map, and the caption gives the areas' centre in degrees."""
    overview = _item(layout, "overview_map", SUMMARY_PAGE, QgsLayoutItemMap)
    centre = QgsCoordinateTransform(main_map.crs(), map_frame.WGS84, project).transform(main_map.extent().center())
    QgsExpressionContextUtils.setLayoutVariable(layout, "re_location", location_text(centre.x(), centre.y()))
    country = country_at(centre.x(), centre.y())
    quoted = "'" + (country or "").replace("'", "''") + "'"
    layers = [
        region,
        _world_layer(
            "countries",
            "Countries",
            f'"NAME" <> {quoted}' if country else None,
            {"color": "#eeeeee", "outline_color": "#aaaaaa", "outline_width": "0.15"},
            project,
            centre,
        ),
    ]
    if country:
        style = {"color": "#f6efd9", "outline_color": "#555555", "outline_width": "0.3"}
        layers.insert(1, _world_layer("countries", country, f'"NAME" = {quoted}', style, project, centre))
    crs = map_frame.location_crs(centre)
    main_box = QgsCoordinateTransform(main_map.crs(), crs, project).transformBoundingBox(main_map.extent())
    width = max(OVERVIEW_SPAN_M, OVERVIEW_ZOOM_OUT * max(main_box.width(), main_box.height()))
    height = width * overview.rect().height() / overview.rect().width()
    _prepare_map(overview, layers, crs, QgsRectangle(-width / 2, -height / 2, width / 2, height / 2))
    overview.setBackgroundColor(Qt.GlobalColor.white)
    if overview.overviews().size():
        frame = overview.overviews().overview(0)
        frame.setLinkedMap(main_map)
        frame.setEnabled(True)


#: Room (mm) left between the area map's legend and the area's outline.
LEGEND_GAP_MM = 2.0
#: The widest the area map's legend gets, as a share of the map's width: a long name is cut, not the map hidden.
AREA_LEGEND_SHARE = 0.5
#: Widths (mm) of the summary table's name and kind columns; the numeric columns share the rest.
SUMMARY_WIDTHS = (34, 27)


#: Labels of one line: a long or multi-line name or title in them is put on one line and cut to the label's width.
ONE_LINE_LABELS = ("title", "subtitle", "area_title", "area_subtitle", "overview_caption", "target_subtitle")
#: Of those, the page titles: a long one is set smaller, down to this size (points; the template's is 16), before
#: it is cut.
TITLE_LABELS = ("title", "area_title")
TITLE_SMALLEST_POINTS = 10.0


def _fit_one_line_labels(layout: QgsPrintLayout) -> None:
    """Cut the texts of ``ONE_LINE_LABELS`` that would wrap onto the item under them or run off the page (a title
    first set smaller)."""
    for item in layout.items():
        if (
            not isinstance(item, QgsLayoutItemLabel)
            or item.id() not in ONE_LINE_LABELS
            or item.mode() != QgsLayoutItemLabel.Mode.ModeFont
        ):
            continue
        text = item.currentText()
        if item.id() in TITLE_LABELS:
            fit_line_font(item, text, TITLE_SMALLEST_POINTS)
        shown = elided(text, label_font(item), text_width_mm(item))
        if shown != text:  # through a variable: a "[% … %]" in a name stays text, never an expression
            QgsExpressionContextUtils.setLayoutItemVariable(item, "re_one_line", shown)
            item.setText("[% @re_one_line %]")


def _no_grade_note(result: AreaResult, params: TonnageParams) -> str:
    """Why an area has no mean grade: no cell reaches the cut-off, the ore above it lies outside the depth window,
    or the cells above it hold no tonnes; or it has no data at all, which says nothing of its ore."""
    if not result.figures.coverage_pct > 0:
        return (
            "No data in the area (no cell where the grade and the other rasters hold data): nothing is known of "
            "its ore, so no figures."
        )
    if not result.reaches_cutoff:
        return "No cell reaches the cut-off: no ore, so no mean grade."
    if params.windowed:
        return "No ore above the cut-off within the depth window, so no mean grade."
    return "The cells above the cut-off hold no ore (their thickness or density is 0), so no mean grade."


def _fill_area_page(
    layout: QgsPrintLayout,
    page: int,
    result: AreaResult,
    map_layers: list[QgsMapLayer],
    project: QgsProject,
    params: TonnageParams,
    chart: Path,
) -> None:
    figures = result.figures
    notes = [f"Source: layer '{result.area.layer_name}', feature {result.area.fid}."]
    if math.isnan(figures.mean_grade_pct):
        notes.append(_no_grade_note(result, params))
    if result.figures.coverage_pct < 99.95:
        notes.append(
            f"Data (grade and the other rasters) cover {formatted(figures, 'coverage_pct')} % of the area: cells "
            "without data (blank on the map) count nothing."
        )
    notes.extend(figures.warnings)
    variables = {"re_area_name": figures.name, "re_area_kind": figures.kind, "re_area_notes": "\n".join(notes)}
    for item in layout.items():
        if isinstance(item, QgsLayoutItem) and not isinstance(item, QgsLayoutItemPage) and item.page() == page:
            QgsExpressionContextUtils.setLayoutItemVariables(item, variables)

    area_map = _item(layout, "area_map", page, QgsLayoutItemMap)
    # The target block shortens the map first: a map resized after its zoom keeps its scale and crops the area.
    target_section.add_area_target(layout, page, result, chart.with_name(f"target_{chart.name}"))
    highlight = _highlight_layer(result, project)
    crs, extent = _frame([result], project, 0.2)
    _prepare_map(area_map, [highlight, *map_layers], crs, extent)
    legend = _area_legend(layout, area_map, [highlight, *map_layers[len(map_layers) - 2 :]], params.grade_unit)
    _keep_clear_of_legend(area_map, legend, map_frame.combined_box([_box(result)], crs, project))
    _copy_grid(_item(layout, "main_map", SUMMARY_PAGE, QgsLayoutItemMap), area_map)
    _set_grid(area_map, project)
    _link_north_arrow(layout, "area_north_arrow", page, area_map)
    for scalebar in _items(layout, "area_scalebar", page):
        _link_scalebar(scalebar, area_map)

    _fill_table(_table(layout, "area_figures", page), *_figures_table(result))
    _fill_table(
        _table(layout, "area_cutoffs", page), CUTOFF_COLUMNS, table_rows(list(result.cutoff_table), CUTOFF_COLUMNS)
    )

    picture = _item(layout, "area_chart", page, QgsLayoutItemPicture)
    size = picture.sizeWithUnits()
    write_chart(result.chart_curve, params.grade_unit, params.cutoff, chart, size.width(), size.height())
    picture.setPicturePath(str(chart), PICTURE_RASTER)


def _figures_table(result: AreaResult) -> tuple[tuple[Column, ...], list[list[str]], tuple[float, ...]]:
    """Columns, rows and first widths of an area page's figures: with a target, its P90–P10 ranges come first and
    the base case beside them, so a single figure is never the page's headline; without, the estimate."""
    figures = result.figures
    titles = {column.key: column.title for column in (*COLUMNS, *CUTOFF_COLUMNS)}
    figure = Column("figure", "Figure", str, numeric=False)
    if result.target is None:
        value = Column("value", f"At cut-off {formatted(figures, 'cutoff_pct')} % TREO", str)
        return (figure, value), [[titles[key], formatted(figures, key)] for key in FIGURE_ROWS], (60.0,)
    columns = (figure, Column("target", "Exploration target P90–P10", str), Column("base", "Base case", str))
    # the target's base case (every input at its likely value), which a range's likely density or factor can
    # set apart from the estimate at the constant inputs: 234 Mt stood beside a high case of 130 Mt
    base_case = target_section.base_case_figures(result.target, figures)
    rows = []
    for key in FIGURE_ROWS:
        base = formatted(base_case, key)
        rows.append([titles[key], target_section.figure_range(result.target, key) or base, base])
    return columns, rows, (40.0, 47.0)


#: The logo's box at the summary page's top right (mm): right edge, top, width, height.
LOGO_BOX = (287.0, 5.0, 40.0, 14.0)


def _add_logo(layout: QgsPrintLayout, path: Path) -> None:
    """The organisation's logo in the summary header, kept in proportion inside ``LOGO_BOX``."""
    if not path.is_file():
        raise ReportError(f"logo: the image file '{path}' does not exist")
    svg = path.suffix.lower() == ".svg"
    if not (_is_svg(path) if svg else QImageReader(str(path)).canRead()):  # else a red cross in the header
        raise ReportError(f"logo: '{path}' is not an image QGIS can read; give a PNG, JPEG or SVG file")
    picture = QgsLayoutItemPicture(layout)
    layout.addLayoutItem(picture)
    picture.setId("logo")
    picture.setPicturePath(str(path), PICTURE_SVG if svg else PICTURE_RASTER)
    picture.setResizeMode(QgsLayoutItemPicture.ResizeMode.Zoom)
    picture.setPictureAnchor(QgsLayoutItem.ReferencePoint.UpperRight)
    right, top, width, height = LOGO_BOX
    picture.attemptResize(QgsLayoutSize(width, height, LAYOUT_MM))
    picture.attemptMove(QgsLayoutPoint(right - width, top, LAYOUT_MM))


def _is_svg(path: Path) -> bool:
    """Whether ``path`` starts as an SVG document does (an <svg element in its first kilobytes)."""
    try:
        with open(path, "rb") as file:
            return b"<svg" in file.read(4096)
    except OSError:
        return False


NODATA_NOTE = (
    "No data: cells without a grade or another raster's value (nodata, blank on the maps) count nothing; Data "
    "coverage is the share of each area where all hold data"
)


def is_sample_file(path: str | Path) -> bool:
    """True for a file of the plugin's synthetic sample data (in its folder, or a copy keeping its name)."""
    source = Path(str(path).split("|")[0])
    try:
        inside = source.resolve().is_relative_to(sample_data_dir().resolve())
    except OSError:
        inside = False
    return inside or source.name in {catalogue.GRADE_FILE, catalogue.THICKNESS_FILE}


def _disclaimer(inputs: EstimateInputs, reporting_code: str | None) -> str:
    """The cautionary statement under the targets' reporting code, opened by the synthetic-data sentence only
    when a sample file is an input."""
    params = inputs.params
    paths = (inputs.grade_path, params.thickness_raster, params.density_raster)
    text = disclaimer(reporting_code)
    return f"{SAMPLE_NOTE} {text}" if any(is_sample_file(path) for path in paths if path) else text


def _target_ranges(results: Sequence[AreaResult]) -> TargetRanges | None:
    """The ranges the areas' targets drew from (every area draws from the same), or None without targets."""
    return next((result.target.ranges for result in results if result.target is not None), None)


#: Areas up to which the summary looks for overlapping pairs (pairwise: 200 areas is far beyond one summary).
OVERLAP_CHECKED = 200
#: Characters a file name, and the areas' CRS, keep in assumptions too long for their box even in small print.
BRIEF_NAME = 28
BRIEF_CRS = 60


def _assumptions(
    inputs: EstimateInputs,
    crs_text: str,
    ranges: TargetRanges | None,
    pairs: Sequence[str],
    brief: bool = False,
) -> str:
    """The summary's assumptions block; ``brief``, for a box the whole text does not fit even in small print: the
    overlapping pairs counted, not named, and the file names and the CRS cut short."""
    if brief and len(crs_text) > BRIEF_CRS:
        crs_text = crs_text[: BRIEF_CRS - 1] + ELLIPSIS
    names = BRIEF_NAME if brief else None
    text = assumptions_text(inputs.params, inputs.grade_path, crs_text, ranges, name_length=names)
    return "\n".join((text, NODATA_NOTE, *_overlap_notes(pairs, named=0 if brief else 4)))


def _overlapping_pairs(results: Sequence[AreaResult], project: QgsProject) -> list[str]:
    """ "A / B" for each two areas sharing ground (up to ``OVERLAP_CHECKED`` areas: pairwise)."""
    if len(results) < 2 or len(results) > OVERLAP_CHECKED:
        return []
    crs = results[0].area.crs
    geometries = []
    for result in results:
        geometry = QgsGeometry(result.area.geometry)
        if result.area.crs != crs:
            geometry.transform(QgsCoordinateTransform(result.area.crs, crs, project))
        geometries.append(geometry)
    pairs = []
    for i, first in enumerate(geometries):
        for j in range(i + 1, len(geometries)):
            second = geometries[j]
            if first.boundingBoxIntersects(second) and first.intersection(second).area() > 1e-6 * min(
                first.area(), second.area()
            ):
                pairs.append(f"{results[i].area.name} / {results[j].area.name}")
    return pairs


def _overlap_notes(pairs: Sequence[str], named: int = 4) -> list[str]:
    """Areas sharing ground carry the same tonnes: say so beside the table, so nobody adds the rows up; the
    first ``named`` pairs by name (none: only how many)."""
    if not pairs:
        return []
    if named == 0:
        return [
            f"Overlapping areas ({len(pairs)} pair{'s' if len(pairs) > 1 else ''}) share ground: their rows "
            "must not be added up"
        ]
    shown = ", ".join(pairs[:named]) + (f" and {len(pairs) - named} more pairs" if len(pairs) > named else "")
    return [f"Overlapping areas ({shown}) share ground: their rows must not be added up"]


def build_report_layout(
    results: Sequence[AreaResult],
    inputs: EstimateInputs,
    layers: ReportLayers,
    meta: ReportMeta,
    work_dir: Path,
    template: Path = TEMPLATE,
    target_options: TargetOptions | None = None,
) -> BuiltReport:
    """The filled layout: summary page, then one page per result in order. Charts go to ``work_dir``."""
    if not results:
        raise ReportError("areas: no area chosen; select at least one zone or survey area")
    built = BuiltReport.new()
    # Bound in this order: should the filling fail, this frame's locals are freed in order, so the layout goes
    # before the project it reads from (freed after it, it would read freed memory).
    layout, project = built.layout, built.project
    project.setCrs(results[0].area.crs)
    project.setEllipsoid(map_frame.ELLIPSOID)  # scale bars measure ground distances in any map CRS
    layout.setName("Rare Earth report")
    layout.loadFromTemplate(_open_template(template), QgsReadWriteContext())
    _add_area_pages(layout, len(results))

    meta = meta.filled()
    crs = results[0].area.crs
    crs_text = f"{crs.authid()} – {crs.description()}" if crs.authid() else crs.description()
    pairs = _overlapping_pairs(results, project)
    ranges = _target_ranges(results)
    assumptions = _assumptions(inputs, crs_text, ranges, pairs)
    variables = {
        "re_title": meta.title,
        "re_date": meta.date,
        "re_author": meta.author,
        "re_organisation": meta.organisation,
        "re_byline": meta.byline(),
        "re_disclaimer": _disclaimer(
            inputs,
            target_options.code if target_options is not None and target_section.has_targets(results) else None,
        ),
        "re_assumptions": assumptions,
    }
    QgsExpressionContextUtils.setLayoutVariables(layout, variables)
    box = _item(layout, "assumptions", SUMMARY_PAGE, QgsLayoutItemLabel)
    font = label_font(box)
    if not fit_font(box, assumptions):  # too much even small: the brief form
        set_label_font(box, font)  # the shorter text from the template's size again
        assumptions = _assumptions(inputs, crs_text, ranges, pairs, brief=True)
        QgsExpressionContextUtils.setLayoutVariable(layout, "re_assumptions", assumptions)
        fit_font(box, assumptions)
    if meta.logo:
        _add_logo(layout, Path(meta.logo))

    area_layers = [_clone(layer, project) for layer in layers.area_layers]
    grade = _clone(layers.grade, project)
    _colour_grades(grade)
    _continuous_legend(grade)
    _grade_suffix(grade, inputs.params.grade_unit)
    region = _region_layer(layers.region, project)
    shown = [region] if _near_the_areas(region, results, project) else []  # not in the legend of data elsewhere
    map_layers = [*area_layers, grade, *shown]
    # past OVERLAP_CHECKED areas the pairs are not looked for: the caption says they may overlap
    overlapping = bool(pairs) or len(results) > OVERLAP_CHECKED
    _fill_summary(layout, results, map_layers, project, region, inputs.params.grade_unit, overlapping)
    unlabelled = [_clone(layer, project) for layer in area_layers]
    for layer in unlabelled:  # a neighbour's label in the middle of an area page misleads
        layer.setLabelsEnabled(False)
    for number, (result, stem) in enumerate(zip(results, unique_stems(r.area.name for r in results))):
        chart = work_dir / f"chart_{number + 1:03d}_{stem}.png"
        near = [region] if shown and _near_the_areas(region, [result], project) else []  # each page its own
        page_layers = [*unlabelled, grade, *near]
        _fill_area_page(layout, AREA_PAGE + number, result, page_layers, project, inputs.params, chart)
    target_section.add_basis_page(layout, results, target_options or TargetOptions())
    _fit_one_line_labels(layout)
    layout.refresh()
    return built
