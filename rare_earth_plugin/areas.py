"""An area: one polygon feature copied out of its layer (geometry, CRS, name, kind), and the one rule that names
a feature. The dock's table, its estimate tasks, the report and Processing all take areas from here, so a
feature reads the same everywhere and estimating can run in a background task without touching the layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureRequest,
    QgsGeometry,
    QgsVectorLayer,
    QgsWkbTypes,
)

from .core.tonnage import TonnageInputError
from .qgis_compat import POLYGON_GEOMETRY

#: (layer id, feature id): an area is the feature it was copied from.
AreaKey = tuple[str, int]
#: Fields that name a feature, the first with a value wins.
NAME_FIELDS = ("name", "Name", "NAME", "zone", "title")
KIND_FIELD = "kind"


class AreaLayerError(TonnageInputError):
    """The layer cannot give areas (missing, unreadable, not polygons); the message names it."""


def _text(value: object) -> str:
    """A field value as text; None, QGIS's NULL (a NULL QVariant) and blanks are ''."""
    if value is None:
        return ""
    is_null = getattr(value, "isNull", None)
    if callable(is_null) and is_null():
        return ""
    text = str(value).strip()
    return "" if text == "NULL" else text


def given_name(feature: QgsFeature) -> str:
    """The first of ``NAME_FIELDS`` (``name``, ``Name``, ``NAME``, then ``zone``, ``title``) that the feature
    has a value in; NULL or blank counts as missing. '' when none has."""
    fields = feature.fields()
    for field in NAME_FIELDS:
        index = fields.indexOf(field)  # exact case: lookupField would match "name" to "NAME" too
        if index >= 0:
            text = _text(feature.attribute(index))
            if text:
                return text
    return ""


def feature_name(feature: QgsFeature, layer_name: str) -> str:
    """The feature's ``given_name``, else "``layer_name`` #fid"."""
    return given_name(feature) or f"{layer_name} #{feature.id()}"


@dataclass(frozen=True, eq=False)
class Area:
    name: str
    kind: str
    geometry: QgsGeometry
    crs: QgsCoordinateReferenceSystem
    layer_id: str
    fid: int
    layer_name: str = ""

    @property
    def key(self) -> AreaKey:
        return (self.layer_id, self.fid)

    def renamed(self, name: str) -> Area:
        return replace(self, name=name)

    def copy(self) -> Area:
        """An area whose geometry and CRS share nothing with this one (for a task on another thread)."""
        return replace(self, geometry=QgsGeometry(self.geometry), crs=QgsCoordinateReferenceSystem(self.crs))


def sketch_area(key: AreaKey, name: str, geometry: QgsGeometry, crs: QgsCoordinateReferenceSystem) -> Area:
    """An area that is in no layer yet (the polygon being drawn)."""
    return Area(
        name=name,
        kind="",
        geometry=QgsGeometry(geometry),
        crs=QgsCoordinateReferenceSystem(crs),
        layer_id=key[0],
        fid=key[1],
    )


def areas_from_layer(
    layer: QgsVectorLayer,
    feature_ids: Iterable[int] | None = None,
    default_kind: str = "area",
    kind_field: str | None = KIND_FIELD,
    skipped: Callable[[str], None] | None = None,
) -> list[Area]:
    """The polygon features of ``layer`` (all, or those in ``feature_ids``) with a geometry, as areas; each
    feature without one is named to ``skipped``, when given.

    Names follow ``feature_name``; kinds come from ``kind_field`` (None: not read) else ``default_kind``.
    Raises ``AreaLayerError`` for a missing or unreadable layer and for one that does not hold polygons."""
    if layer is None or not layer.isValid():
        raise AreaLayerError("areas: the area layer is missing or cannot be read")
    if QgsWkbTypes.geometryType(layer.wkbType()) != POLYGON_GEOMETRY:
        raise AreaLayerError(f"areas: layer '{layer.name()}' does not hold polygons")
    has_kind = kind_field is not None and layer.fields().indexOf(kind_field) >= 0
    request = QgsFeatureRequest()
    if feature_ids is not None:
        request.setFilterFids(list(feature_ids))
    areas = []
    for feature in layer.getFeatures(request):
        if not feature.hasGeometry() or feature.geometry().isEmpty():
            if skipped is not None:
                skipped(f"{feature_name(feature, layer.name())}: the feature has no geometry; left out")
            continue
        kind = _text(feature[kind_field]) if has_kind else ""
        areas.append(
            Area(
                name=feature_name(feature, layer.name()),
                kind=kind or default_kind,
                geometry=QgsGeometry(feature.geometry()),
                crs=QgsCoordinateReferenceSystem(layer.crs()),
                layer_id=layer.id(),
                fid=feature.id(),
                layer_name=layer.name(),
            )
        )
    return areas
