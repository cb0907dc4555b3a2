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
from dataclasses import dataclass, field
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsColorRampLegendNodeSettings,
    QgsColorRampShader,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsExpressionContextUtils,
    QgsFeature,
    QgsFillSymbol,
    QgsLayoutFrame,
    QgsLayoutItem,
    QgsLayoutItemLegend,
    QgsLayoutItemManualTable,
    QgsLayoutItemMap,
    QgsLayoutItemMapGrid,
    QgsLayoutItemPage,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutTable,
    QgsLayoutTableColumn,
    QgsMapLayer,
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
    QgsUnitTypes,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QPointF, Qt
from qgis.PyQt.QtXml import QDomDocument

from ..core import catalogue
from ..core.tonnage import TonnageParams
from ..estimation import EstimateInputs
from ..paths import resource, sample_data
from ..qgis_compat import band_min_max, null_rectangle
from .area_results import AreaResult
from .chart import write_chart
from .errors import ReportError
from .figures import COLUMNS, CUTOFF_COLUMNS, Column, formatted, table_rows
from .naming import unique_stems
from .texts import DISCLAIMER, ReportMeta, assumptions_text

TEMPLATE = resource("templates", "report.qpt")
SUMMARY_PAGE = 0
AREA_PAGE = 1
#: Lambert conformal conic fitted to Kazakhstan (40-56 N, 46-88 E), for an undistorted overview map.
KAZAKHSTAN_LCC = "+proj=lcc +lat_1=45 +lat_2=51 +lat_0=48 +lon_0=67 +datum=WGS84 +units=m +no_defs"
WORLD_MAP = "/resources/data/world_map.gpkg"
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
    """A layout and the private project that owns its layers: keep both alive until the export is done."""

    layout: QgsPrintLayout
    project: QgsProject
    chart_paths: list[Path] = field(default_factory=list)


def _items(layout: QgsPrintLayout, item_id: str, page: int | None = None) -> list[QgsLayoutItem]:
    return [item for item in layout.items()
            if isinstance(item, QgsLayoutItem) and not isinstance(item, QgsLayoutItemPage)
            and item.id() == item_id and (page is None or item.page() == page)]


def _item(layout: QgsPrintLayout, item_id: str, page: int, kind: type):
    found = [item for item in _items(layout, item_id, page) if isinstance(item, kind)]
    if not found:
        raise ReportError(f"report template: no {kind.__name__[len('QgsLayoutItem'):] or kind.__name__} "
                          f"item with id '{item_id}' on page {page + 1} of {TEMPLATE.name}")
    return found[0]


def _table(layout: QgsPrintLayout, item_id: str, page: int) -> QgsLayoutItemManualTable:
    frame = _item(layout, item_id, page, QgsLayoutFrame)
    table = frame.multiFrame()
    if not isinstance(table, QgsLayoutItemManualTable):
        raise ReportError(f"report template: item '{item_id}' is not a manual table")
    return table


def _fill_table(table: QgsLayoutItemManualTable, columns: Sequence[Column], rows: list[list[str]],
                widths: Sequence[float] = ()) -> None:
    headers = []
    for column in columns:
        header = QgsLayoutTableColumn(column.title)
        header.setHAlignment(Qt.AlignmentFlag.AlignRight if column.numeric else Qt.AlignmentFlag.AlignLeft)
        headers.append(header)
    table.setHeaders(headers)
    table.setIncludeTableHeader(True)
    contents = []
    for row in rows:
        cells = []
        for column, text in zip(columns, row):
            cell = QgsTableCell(text)
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
        if isinstance(item, QgsLayoutItem) and not isinstance(item, QgsLayoutItemPage) \
                and item.page() == AREA_PAGE:
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
        raise ReportError(f"report template {TEMPLATE.name} must have 2 pages (summary, area), "
                          f"it has {pages.pageCount()}")
    xml = _area_page_xml(layout)
    prototype = pages.page(AREA_PAGE)
    for _ in range(count - 1):
        page = QgsLayoutItemPage(layout)
        page.setPageSize(prototype.pageSize())
        pages.addPage(page)
        top = pages.page(pages.pageCount() - 1).pos().y()
        document = _with_new_uuids(xml)
        layout.addItemsFromXml(document.documentElement(), document, QgsReadWriteContext(),
                               QPointF(0, top + 1), True)


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
    function = QgsColorRampShader(stats.minimumValue, stats.maximumValue,
                                  QgsStyle.defaultStyle().colorRamp("Viridis"), QgsColorRampShader.Interpolated)
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
    if isinstance(function, QgsColorRampShader) \
            and function.colorRampType() == QgsColorRampShader.Interpolated:
        settings = QgsColorRampLegendNodeSettings(function.legendSettings())
        settings.setUseContinuousLegend(True)
        function.setLegendSettings(settings)


def _world_layer(name: str, title: str, subset: str, style: dict[str, str],
                 project: QgsProject) -> QgsVectorLayer:
    layer = QgsVectorLayer(f"{QgsApplication.pkgDataPath()}{WORLD_MAP}|layername={name}", title, "ogr")
    if not layer.isValid():
        raise ReportError(f"the QGIS world map ({QgsApplication.pkgDataPath()}{WORLD_MAP}) cannot be read")
    layer.setSubsetString(subset)
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
    return _world_layer("states_provinces", "Qaraghandy region", "\"name\" = 'Qaraghandy'",
                        {"color": "255,127,0,60", "outline_color": "#d95f02", "outline_width": "0.4"},
                        project)


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


def _extent(results: Sequence[AreaResult], crs: QgsCoordinateReferenceSystem, project: QgsProject,
            margin: float) -> QgsRectangle:
    extent = null_rectangle()
    for result in results:
        box = result.area.geometry.boundingBox()
        if result.area.crs != crs:
            box = QgsCoordinateTransform(result.area.crs, crs, project).transformBoundingBox(box)
        extent.combineExtentWith(box)
    grow = max(extent.width(), extent.height(), 500.0) * margin
    return QgsRectangle(extent.xMinimum() - grow, extent.yMinimum() - grow,
                        extent.xMaximum() + grow, extent.yMaximum() + grow)


def _nice_step(span: float, lines: int = 5) -> float:
    """1, 2 or 5 times a power of ten, giving about ``lines`` grid lines across ``span``."""
    raw = span / lines
    power = 10 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= raw)


def utm_crs(extent: QgsRectangle, crs: QgsCoordinateReferenceSystem, project: QgsProject) \
        -> QgsCoordinateReferenceSystem:
    """The WGS 84 / UTM zone of the extent's centre (the coordinates field crews read from GPS)."""
    centre = QgsCoordinateTransform(crs, QgsCoordinateReferenceSystem("EPSG:4326"), project).transform(
        extent.center())
    zone = min(60, max(1, int((centre.x() + 180.0) // 6) + 1))
    return QgsCoordinateReferenceSystem(f"EPSG:{(32600 if centre.y() >= 0 else 32700) + zone}")


def _set_grid(map_item: QgsLayoutItemMap, project: QgsProject) -> None:
    if map_item.grids().size() == 0:
        return
    grid = map_item.grids().grid(0)
    crs = utm_crs(map_item.extent(), map_item.crs(), project)
    grid.setCrs(crs)
    extent = QgsCoordinateTransform(map_item.crs(), crs, project).transformBoundingBox(map_item.extent())
    step = _nice_step(max(extent.width(), extent.height()))
    grid.setUnits(QgsLayoutItemMapGrid.MapUnit)
    grid.setIntervalX(step)
    grid.setIntervalY(step)
    grid.setName(f"{crs.description()} grid, {step:g} m")


def _link_scalebar(scalebar: QgsLayoutItemScaleBar, map_item: QgsLayoutItemMap) -> None:
    scalebar.setLinkedMap(map_item)
    scalebar.applyDefaultSize(QgsUnitTypes.DistanceKilometers)
    scalebar.setUnitLabel("km")
    scalebar.update()


def _prepare_map(map_item: QgsLayoutItemMap, layers: list[QgsMapLayer], crs: QgsCoordinateReferenceSystem,
                 extent: QgsRectangle) -> None:
    map_item.setCrs(crs)
    map_item.setLayers(layers)
    map_item.setKeepLayerSet(True)
    map_item.zoomToExtent(extent)


def _link_north_arrow(layout: QgsPrintLayout, item_id: str, page: int, map_item: QgsLayoutItemMap) -> None:
    for arrow in _items(layout, item_id, page):
        if isinstance(arrow, QgsLayoutItemPicture):
            arrow.setLinkedMap(map_item)


def _fill_summary(layout: QgsPrintLayout, results: Sequence[AreaResult], map_layers: list[QgsMapLayer],
                  project: QgsProject, region: QgsVectorLayer) -> None:
    crs = results[0].area.crs
    main_map = _item(layout, "main_map", SUMMARY_PAGE, QgsLayoutItemMap)
    _prepare_map(main_map, map_layers, crs, _extent(results, crs, project, 0.08))
    _set_grid(main_map, project)
    _link_north_arrow(layout, "north_arrow", SUMMARY_PAGE, main_map)
    for scalebar in _items(layout, "scalebar", SUMMARY_PAGE):
        _link_scalebar(scalebar, main_map)

    overview = _item(layout, "overview_map", SUMMARY_PAGE, QgsLayoutItemMap)
    countries = _world_layer("countries", "Neighbouring countries", "\"NAME\" <> 'Kazakhstan'",
                             {"color": "#eeeeee", "outline_color": "#aaaaaa", "outline_width": "0.15"},
                             project)
    kazakhstan = _world_layer("countries", "Kazakhstan", "\"NAME\" = 'Kazakhstan'",
                              {"color": "#f6efd9", "outline_color": "#555555", "outline_width": "0.3"},
                              project)
    lcc = QgsCoordinateReferenceSystem.fromProj(KAZAKHSTAN_LCC)
    country_box = QgsCoordinateTransform(kazakhstan.crs(), lcc, project).transformBoundingBox(
        kazakhstan.extent())
    country_box.scale(1.05)
    _prepare_map(overview, [region, kazakhstan, countries], lcc, country_box)
    overview.setBackgroundColor(Qt.GlobalColor.white)
    if overview.overviews().size():
        frame = overview.overviews().overview(0)
        frame.setLinkedMap(main_map)
        frame.setEnabled(True)

    for legend in _items(layout, "legend", SUMMARY_PAGE):
        if isinstance(legend, QgsLayoutItemLegend):
            legend.setLinkedMap(main_map)
            legend.setAutoUpdateModel(False)
            root = legend.model().rootGroup()
            root.clear()
            for layer in map_layers:
                root.addLayer(layer)
            legend.updateLegend()

    table = _table(layout, "areas_table", SUMMARY_PAGE)
    rows = table_rows([result.figures for result in results], COLUMNS)
    _fill_table(table, COLUMNS, rows, SUMMARY_WIDTHS)
    _fit_summary_rows(table, rows)


def _fit_summary_rows(table: QgsLayoutItemManualTable, rows: list[list[str]]) -> None:
    """A frame clips rows that do not fit; keep the ones that do and say where the others are, rather than
    silently dropping areas from the summary."""
    table.setWrapBehavior(QgsLayoutTable.WrapText)
    room = table.frame(0).rect().height()
    shown = len(rows)  # table rows, the note included once there is one
    while shown > 1 and table.totalHeight() > room:
        shown -= 1
        hidden = len(rows) - (shown - 1)
        note = f"… and {hidden} more area{'s' if hidden > 1 else ''}: see their pages and the CSV"
        _fill_table(table, COLUMNS, [*rows[:shown - 1], [note] + [""] * (len(COLUMNS) - 1)], SUMMARY_WIDTHS)


#: Widths (mm) of the summary table's name and kind columns; the numeric columns share the rest.
SUMMARY_WIDTHS = (34, 27)


def _fill_area_page(layout: QgsPrintLayout, page: int, result: AreaResult, map_layers: list[QgsMapLayer],
                    project: QgsProject, params: TonnageParams, chart: Path) -> None:
    figures = result.figures
    notes = [f"Source: layer '{result.area.layer_name}', feature {result.area.fid}."]
    if math.isnan(figures.mean_grade_pct):
        notes.append("No cell reaches the cut-off: no ore, so no mean grade.")
    notes.extend(figures.warnings)
    variables = {"re_area_name": figures.name, "re_area_kind": figures.kind,
                 "re_area_notes": "\n".join(notes)}
    for item in layout.items():
        if isinstance(item, QgsLayoutItem) and not isinstance(item, QgsLayoutItemPage) \
                and item.page() == page:
            QgsExpressionContextUtils.setLayoutItemVariables(item, variables)

    area_map = _item(layout, "area_map", page, QgsLayoutItemMap)
    highlight = _highlight_layer(result, project)
    _prepare_map(area_map, [highlight, *map_layers], result.area.crs,
                 _extent([result], result.area.crs, project, 0.2))
    _link_north_arrow(layout, "area_north_arrow", page, area_map)
    for scalebar in _items(layout, "area_scalebar", page):
        _link_scalebar(scalebar, area_map)

    figure_column = Column("figure", "Figure", str, numeric=False)
    value_column = Column("value", f"At cut-off {formatted(figures, 'cutoff_pct')} % TREO", str)
    rows = [[next(c.title for c in (*COLUMNS, *CUTOFF_COLUMNS) if c.key == key), formatted(figures, key)]
            for key in FIGURE_ROWS]
    _fill_table(_table(layout, "area_figures", page), (figure_column, value_column), rows, (60,))
    _fill_table(_table(layout, "area_cutoffs", page), CUTOFF_COLUMNS,
                table_rows(list(result.cutoff_table), CUTOFF_COLUMNS))

    picture = _item(layout, "area_chart", page, QgsLayoutItemPicture)
    size = picture.sizeWithUnits()
    write_chart(result.chart_curve, params.grade_unit, params.cutoff, chart, size.width(), size.height())
    picture.setPicturePath(str(chart), QgsLayoutItemPicture.FormatRaster)


def build_report_layout(results: Sequence[AreaResult], inputs: EstimateInputs, layers: ReportLayers,
                        meta: ReportMeta, work_dir: Path, template: Path = TEMPLATE) -> BuiltReport:
    """The filled layout: summary page, then one page per result in order. Charts go to ``work_dir``."""
    if not results:
        raise ReportError("areas: no area chosen; select at least one zone or survey area")
    project = QgsProject()
    project.setCrs(results[0].area.crs)
    layout = QgsPrintLayout(project)
    layout.setName("Rare Earth report")
    layout.loadFromTemplate(_open_template(template), QgsReadWriteContext())
    _add_area_pages(layout, len(results))

    meta = meta.filled()
    crs = results[0].area.crs
    crs_text = f"{crs.authid()} – {crs.description()}" if crs.authid() else crs.description()
    variables = {
        "re_title": meta.title, "re_date": meta.date, "re_author": meta.author,
        "re_organisation": meta.organisation, "re_disclaimer": DISCLAIMER,
        "re_assumptions": assumptions_text(inputs.params, inputs.grade_path, crs_text),
    }
    QgsExpressionContextUtils.setLayoutVariables(layout, variables)

    area_layers = [_clone(layer, project) for layer in layers.area_layers]
    grade = _clone(layers.grade, project)
    _colour_grades(grade)
    _continuous_legend(grade)
    region = _region_layer(layers.region, project)
    map_layers = [*area_layers, grade, region]
    _fill_summary(layout, results, map_layers, project, region)
    unlabelled = [_clone(layer, project) for layer in area_layers]
    for layer in unlabelled:  # a neighbour's label in the middle of an area page misleads
        layer.setLabelsEnabled(False)
    page_layers = [*unlabelled, grade, region]
    built = BuiltReport(layout=layout, project=project)
    for number, (result, stem) in enumerate(zip(results, unique_stems(r.area.name for r in results))):
        chart = work_dir / f"chart_{number + 1:03d}_{stem}.png"
        _fill_area_page(layout, AREA_PAGE + number, result, page_layers, project, inputs.params, chart)
        built.chart_paths.append(chart)
    layout.refresh()
    return built
