"""The few QGIS APIs that changed between 3.22 (our minimum) and 3.40+/4.x, each picked by feature detection.

Newer QGIS deprecates the old forms (DeprecationWarning) and QGIS 4 (Qt 6) removes them; 3.22 lacks the new
ones. Everything else uses the scoped names directly.
"""

from __future__ import annotations

from collections.abc import Iterable

from qgis.core import Qgis, QgsField, QgsFields, QgsRasterBandStats, QgsRasterDataProvider, QgsRectangle
from qgis.PyQt.QtCore import QMetaType, QVariant

#: QgsField takes a QMetaType.Type from QGIS 3.38 (the QVariant.Type constructor is deprecated there, and
#: QVariant type codes do not exist in Qt 6).
FIELDS_TAKE_METATYPE = Qgis.QGIS_VERSION_INT >= 33800

_METATYPES = {"double": QMetaType.Type.Double, "string": QMetaType.Type.QString, "int": QMetaType.Type.Int,
              "int64": QMetaType.Type.LongLong}
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
    """Minimum and maximum of a band (Qgis.RasterBandStatistic flags from QGIS 3.36, int flags before)."""
    if hasattr(Qgis, "RasterBandStatistic"):
        wanted = Qgis.RasterBandStatistic.Min | Qgis.RasterBandStatistic.Max
    else:
        wanted = QgsRasterBandStats.Min | QgsRasterBandStats.Max
    return provider.bandStatistics(band, wanted)
