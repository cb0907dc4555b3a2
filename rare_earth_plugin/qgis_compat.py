"""The few QGIS APIs that changed between 3.22 (our minimum) and 3.40+/4.x, each picked by feature detection.

Newer QGIS deprecates the old forms (DeprecationWarning) and QGIS 4 (Qt 6) removes them; 3.22 lacks the new
ones. Everything else uses the scoped names directly.
"""

from __future__ import annotations

from collections.abc import Iterable

from qgis.core import (
    Qgis,
    QgsColorRampShader,
    QgsCoordinateReferenceSystem,
    QgsField,
    QgsFields,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemPicture,
    QgsLegendStyle,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingFeatureSource,
    QgsProcessingParameterNumber,
    QgsRasterBandStats,
    QgsRasterDataProvider,
    QgsRectangle,
    QgsUnitTypes,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QMetaType, QVariant
from qgis.PyQt.QtGui import QColor, QFont

#: QgsField takes a QMetaType.Type from QGIS 3.38 (the QVariant.Type constructor is deprecated there, and
#: QVariant type codes do not exist in Qt 6).
FIELDS_TAKE_METATYPE = Qgis.QGIS_VERSION_INT >= 33800

_METATYPES = {
    "double": QMetaType.Type.Double,
    "string": QMetaType.Type.QString,
    "int": QMetaType.Type.Int,
    "int64": QMetaType.Type.LongLong,
}
_VARIANT_NAMES = {"double": "Double", "string": "String", "int": "Int", "int64": "LongLong"}
FIELD_KINDS = tuple(_METATYPES)


def new_field(name: str, kind: str) -> QgsField:
    """A field of ``kind`` ("double", "string", "int" or "int64")."""
    if FIELDS_TAKE_METATYPE:
        return QgsField(name, _METATYPES[kind])
    # QGIS < 3.38 runs on Qt 5 only, where QVariant.Type exists; looked up by name since Qt 6 has none.
    return QgsField(name, getattr(QVariant, _VARIANT_NAMES[kind]))


def new_fields(schema: Iterable[tuple[str, str]]) -> QgsFields:
    """The fields of a schema of (name, kind) pairs (``core.result_fields``)."""
    fields = QgsFields()
    for name, kind in schema:
        fields.append(new_field(name, kind))
    return fields


def null_rectangle() -> QgsRectangle:
    """An empty rectangle to grow with combineExtentWith (setNull from QGIS 3.34, setMinimal before)."""
    rectangle = QgsRectangle()
    if hasattr(rectangle, "setNull"):
        rectangle.setNull()
    else:
        rectangle.setMinimal()
    return rectangle


def band_min_max(provider: QgsRasterDataProvider, band: int) -> QgsRasterBandStats:
    """Minimum and maximum of a band. QGIS 3.40 deprecates the int ``stats`` overload, and sip picks it for any
    Qgis.RasterBandStatistic flags too (they are ints), so from 3.36 only the band is passed (all statistics,
    one pass as well); before, the int flags."""
    if hasattr(Qgis, "RasterBandStatistic"):
        return provider.bandStatistics(band)
    return provider.bandStatistics(band, QgsRasterBandStats.Stats.Min | QgsRasterBandStats.Stats.Max)


# --- QGIS enums: the scoped ``Qgis.*`` form where this QGIS has it (3.28-3.36 moved them there; QGIS 4 drops the
# old unscoped names), else the class-scoped form of 3.22. Elsewhere the plugin uses scoped names directly.
_HAS = {
    name: hasattr(Qgis, name)
    for name in (
        "GeometryType",
        "WkbType",
        "DistanceUnit",
        "LayoutUnit",
        "ProcessingSourceType",
        "ProcessingNumberParameterType",
        "ProcessingAlgorithmFlag",
        "ProcessingFeatureSourceFlag",
        "CrsWktVariant",
        "LegendComponent",
        "ShaderInterpolationMethod",
        "PictureFormat",
    )
}

POLYGON_GEOMETRY = Qgis.GeometryType.Polygon if _HAS["GeometryType"] else QgsWkbTypes.GeometryType.PolygonGeometry
WKB_MULTIPOLYGON = Qgis.WkbType.MultiPolygon if _HAS["WkbType"] else QgsWkbTypes.Type.MultiPolygon
WKB_NO_GEOMETRY = Qgis.WkbType.NoGeometry if _HAS["WkbType"] else QgsWkbTypes.Type.NoGeometry
METERS = Qgis.DistanceUnit.Meters if _HAS["DistanceUnit"] else QgsUnitTypes.DistanceUnit.DistanceMeters
KILOMETERS = Qgis.DistanceUnit.Kilometers if _HAS["DistanceUnit"] else QgsUnitTypes.DistanceUnit.DistanceKilometers
LAYOUT_MM = Qgis.LayoutUnit.Millimeters if _HAS["LayoutUnit"] else QgsUnitTypes.LayoutUnit.LayoutMillimeters
SOURCE_VECTOR_POLYGON = (
    Qgis.ProcessingSourceType.VectorPolygon
    if _HAS["ProcessingSourceType"]
    else QgsProcessing.SourceType.TypeVectorPolygon
)
#: Any vector layer, with or without geometry (tables too).
SOURCE_VECTOR = (
    Qgis.ProcessingSourceType.Vector if _HAS["ProcessingSourceType"] else QgsProcessing.SourceType.TypeVector
)
NUMBER_DOUBLE = (
    Qgis.ProcessingNumberParameterType.Double
    if _HAS["ProcessingNumberParameterType"]
    else QgsProcessingParameterNumber.Type.Double
)
NUMBER_INTEGER = (
    Qgis.ProcessingNumberParameterType.Integer
    if _HAS["ProcessingNumberParameterType"]
    else QgsProcessingParameterNumber.Type.Integer
)
NO_THREADING = (
    Qgis.ProcessingAlgorithmFlag.NoThreading
    if _HAS["ProcessingAlgorithmFlag"]
    else QgsProcessingAlgorithm.Flag.FlagNoThreading
)
SKIP_GEOMETRY_VALIDITY = (
    Qgis.ProcessingFeatureSourceFlag.SkipGeometryValidityChecks
    if _HAS["ProcessingFeatureSourceFlag"]
    else QgsProcessingFeatureSource.Flag.FlagSkipGeometryValidityChecks
)
WKT_PREFERRED = (
    Qgis.CrsWktVariant.Preferred if _HAS["CrsWktVariant"] else QgsCoordinateReferenceSystem.WktVariant.WKT_PREFERRED
)
LEGEND_GROUP = Qgis.LegendComponent.Group if _HAS["LegendComponent"] else QgsLegendStyle.Style.Group
LEGEND_SUBGROUP = Qgis.LegendComponent.Subgroup if _HAS["LegendComponent"] else QgsLegendStyle.Style.Subgroup
LEGEND_SYMBOL_LABEL = Qgis.LegendComponent.SymbolLabel if _HAS["LegendComponent"] else QgsLegendStyle.Style.SymbolLabel
SHADER_LINEAR = (
    Qgis.ShaderInterpolationMethod.Linear if _HAS["ShaderInterpolationMethod"] else QgsColorRampShader.Type.Interpolated
)
PICTURE_RASTER = Qgis.PictureFormat.Raster if _HAS["PictureFormat"] else QgsLayoutItemPicture.Format.FormatRaster
PICTURE_SVG = Qgis.PictureFormat.SVG if _HAS["PictureFormat"] else QgsLayoutItemPicture.Format.FormatSVG


def set_label_font(label: QgsLayoutItemLabel, font: QFont, colour: QColor | None = None) -> None:
    """Font (and colour) of a layout label: a text format from QGIS 3.24 (setFont/setFontColor are deprecated
    there), the font before."""
    if hasattr(label, "setTextFormat"):
        text_format = label.textFormat()
        text_format.setFont(font)
        text_format.setSize(font.pointSizeF())  # in points, the text format's default unit
        if colour is not None:
            text_format.setColor(colour)
        label.setTextFormat(text_format)
        return
    label.setFont(font)
    if colour is not None:
        label.setFontColor(colour)


def set_legend_text_size(legend: QgsLayoutItemLegend, component: object, size: float) -> None:
    """Point size of one legend component's text: its text format from QGIS 3.30, its font before."""
    style = legend.rstyle(component)
    if hasattr(style, "textFormat"):
        text_format = style.textFormat()
        text_format.setSize(size)
        style.setTextFormat(text_format)
        return
    font = style.font()
    font.setPointSizeF(size)
    style.setFont(font)


def label_font(label: QgsLayoutItemLabel) -> QFont:
    """A label's font: from its text format from QGIS 3.24 (``font()`` is deprecated there), its font before."""
    return label.textFormat().toQFont() if hasattr(label, "textFormat") else label.font()


def legend_font(legend: QgsLayoutItemLegend, component: object) -> QFont:
    """A legend component's font: from its text format from QGIS 3.30, its font before."""
    style = legend.rstyle(component)
    return style.textFormat().toQFont() if hasattr(style, "textFormat") else style.font()
