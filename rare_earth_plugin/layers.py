"""Loading the Qaraganda sample layers into a project as one group, styled from ``resources/styles``.

Used by the toolbar action, the dock and the headless demo, so all three see the same layers. Layers carry a
``rare_earth/role`` custom property so other code finds them without relying on names users may change.
"""

from __future__ import annotations

from dataclasses import dataclass

from qgis.core import (
    Qgis,
    QgsLayerTreeGroup,
    QgsMapLayer,
    QgsMapLayerProxyModel,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)

from .core import catalogue
from .paths import resource, sample_data
from .settings import NAMESPACE

GROUP_NAME = "Qaraganda exploration zones (synthetic)"
ROLE_PROPERTY = f"{NAMESPACE}/role"
GROUP_PROPERTY = f"{NAMESPACE}/sample_group"

ROLE_ZONES = "zones"
ROLE_GRADE = "grade"
ROLE_THICKNESS = "thickness"
ROLE_REGION = "region"

SYNTHETIC_NOTE = (
    "Synthetic sample data of the Rare Earth Explorer plugin, calibrated to public figures for "
    "Kuirektykol (Qaraganda region); positions are illustrative, not surveyed."
)


@dataclass(frozen=True)
class _LayerSpec:
    role: str
    title: str
    file: str
    layer: str | None  # GeoPackage layer name; None for rasters
    style: str


_SPECS = (
    _LayerSpec(ROLE_ZONES, "Exploration zones", catalogue.ZONES_FILE, catalogue.ZONES_LAYER, "zones.qml"),
    _LayerSpec(ROLE_GRADE, "TREO grade (%)", catalogue.GRADE_FILE, None, "treo_grade_pct.qml"),
    _LayerSpec(ROLE_THICKNESS, "Mineralised thickness (m)", catalogue.THICKNESS_FILE, None, "thickness_m.qml"),
    _LayerSpec(
        ROLE_REGION, "Qaraghandy region", catalogue.REGION_FILE, catalogue.REGION_LAYER, "qaraghandy_region.qml"
    ),
)


class SampleDataError(RuntimeError):
    """A sample file is missing or unreadable; the message names it."""


@dataclass(frozen=True)
class SampleLayers:
    group: QgsLayerTreeGroup
    zones: QgsVectorLayer
    grade: QgsRasterLayer
    thickness: QgsRasterLayer
    region: QgsVectorLayer


def _open(spec: _LayerSpec) -> QgsMapLayer:
    path = sample_data(spec.file)
    if not path.is_file():
        raise SampleDataError(f"Sample data file not found: {path}")
    if spec.layer is None:
        layer: QgsMapLayer = QgsRasterLayer(str(path), spec.title, "gdal")
    else:
        layer = QgsVectorLayer(f"{path}|layername={spec.layer}", spec.title, "ogr")
    if not layer.isValid():
        raise SampleDataError(f"Could not open sample data file {path}")
    style = resource("styles", spec.style)
    if style.is_file():
        layer.loadNamedStyle(str(style))
    metadata = layer.metadata()
    metadata.setAbstract(f"{SYNTHETIC_NOTE} File: {path.name}.")
    layer.setMetadata(metadata)
    layer.setCustomProperty(ROLE_PROPERTY, spec.role)
    return layer


def raster_layer_filter():
    """``Qgis.LayerFilter`` on QGIS >= 3.34, the proxy model's own enum before."""
    return getattr(Qgis, "LayerFilter", QgsMapLayerProxyModel).RasterLayer


def find_group(project: QgsProject) -> QgsLayerTreeGroup | None:
    for group in project.layerTreeRoot().findGroups(True):
        if group.customProperty(GROUP_PROPERTY):
            return group
    return None


def layer_by_role(project: QgsProject, role: str) -> QgsMapLayer | None:
    for layer in project.mapLayers().values():
        if layer.customProperty(ROLE_PROPERTY) == role:
            return layer
    return None


def load_sample_layers(project: QgsProject | None = None) -> SampleLayers:
    """Add the sample group to ``project`` (the current one by default); a second call reuses it."""
    project = project or QgsProject.instance()
    group = find_group(project)
    layers = {spec.role: layer_by_role(project, spec.role) for spec in _SPECS}
    if group is None or any(layer is None for layer in layers.values()):
        if group is not None:
            group.parent().removeChildNode(group)
        for layer in layers.values():
            if layer is not None:
                project.removeMapLayer(layer.id())
        layers = {spec.role: _open(spec) for spec in _SPECS}
        group = project.layerTreeRoot().insertGroup(0, GROUP_NAME)
        group.setCustomProperty(GROUP_PROPERTY, True)
        for spec in _SPECS:  # top-to-bottom drawing order: zones over rasters over the region
            project.addMapLayer(layers[spec.role], False)
            group.addLayer(layers[spec.role])
        group.findLayer(layers[ROLE_THICKNESS].id()).setItemVisibilityChecked(False)
    return SampleLayers(
        group=group,
        zones=layers[ROLE_ZONES],
        grade=layers[ROLE_GRADE],
        thickness=layers[ROLE_THICKNESS],
        region=layers[ROLE_REGION],
    )
