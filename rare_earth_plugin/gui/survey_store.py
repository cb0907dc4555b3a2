"""Survey areas in a GeoPackage layer ``survey_areas``, written at once so a crash or a closed project loses
nothing.

Edits go straight to the data provider (each call is its own committed write), never to an edit buffer that
only a later save would flush.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFields,
    QgsFillSymbol,
    QgsGeometry,
    QgsProject,
    QgsSingleSymbolRenderer,
    QgsVectorFileWriter,
    QgsVectorLayer,
    QgsWkbTypes,
)

from ..core.catalogue import SAMPLE_CRS
from ..core.tonnage import TonnageResult
from ..estimation import EstimateInputs
from ..layers import ROLE_PROPERTY
from ..qgis_compat import new_field
from ..settings import Settings

LAYER_NAME = "survey_areas"
FILE_NAME = "survey_areas.gpkg"
GROUP_NAME = "Survey areas"
ROLE_SURVEY = "survey_areas"
PROJECT_SCOPE = "rare_earth"
PROJECT_KEY = "survey/gpkg_path"
DEFAULT_NAME = "Survey area"

_FIELDS = (
    ("name", "string"), ("created_utc", "string"),
    ("grade_file", "string"), ("grade_band", "int"), ("grade_unit", "string"),
    ("cutoff", "double"), ("density", "double"), ("density_file", "string"),
    ("thickness_m", "double"), ("thickness_file", "string"),
    ("area_m2", "double"), ("ore_t", "double"), ("grade_mean", "double"),
    ("treo_t", "double"), ("tree_t", "double"), ("coverage", "double"),
)
_RESULT_FIELDS = {"area_m2": "polygon_area_m2", "ore_t": "ore_tonnes", "grade_mean": "mean_grade",
                  "treo_t": "treo_tonnes", "tree_t": "tree_tonnes", "coverage": "data_coverage"}


class SurveyStoreError(RuntimeError):
    """The GeoPackage cannot be created or written; the message names the file."""


def survey_fields() -> QgsFields:
    fields = QgsFields()
    for name, kind in _FIELDS:
        fields.append(new_field(name, kind))
    return fields


def default_path(project: QgsProject) -> Path:
    """The project's own choice, else beside the saved project, else the user's last choice or the profile."""
    stored, ok = project.readEntry(PROJECT_SCOPE, PROJECT_KEY, "")
    if ok and stored:
        return Path(stored)
    if project.fileName():
        return Path(project.absolutePath()) / FILE_NAME
    if Settings.survey_gpkg.get():
        return Path(Settings.survey_gpkg.get())
    return Path(QgsApplication.qgisSettingsDirPath()) / "rare_earth" / FILE_NAME


def find_layer(project: QgsProject) -> QgsVectorLayer | None:
    for layer in project.mapLayers().values():
        if layer.customProperty(ROLE_PROPERTY) == ROLE_SURVEY and isinstance(layer, QgsVectorLayer):
            return layer
    return None


def _number(value: float | None):
    """NULL for NaN, so an area without ore stores no mean grade rather than a fake number."""
    return None if value is None or value != value else float(value)


class SurveyStore:
    def __init__(self, project: QgsProject | None = None) -> None:
        self.project = project or QgsProject.instance()

    # The file and its layer ---------------------------------------------------------------------------------
    def path(self) -> Path:
        layer = find_layer(self.project)
        if layer is not None:
            return Path(layer.source().split("|")[0])
        return default_path(self.project)

    def set_path(self, path: Path) -> None:
        """Use another GeoPackage from now on (the old layer leaves the project; its file stays)."""
        layer = find_layer(self.project)
        if layer is not None:
            self.project.removeMapLayer(layer.id())
        self._remember(path)

    def _remember(self, path: Path) -> None:
        self.project.writeEntry(PROJECT_SCOPE, PROJECT_KEY, str(path))
        Settings.survey_gpkg.set(str(path))

    def layer(self, crs: QgsCoordinateReferenceSystem | None = None) -> QgsVectorLayer:
        """The survey layer in the project, creating the file (in ``crs``) and adding the layer as needed."""
        layer = find_layer(self.project)
        if layer is not None and layer.isValid():
            return layer
        path = self.path()
        if layer is not None:
            self.project.removeMapLayer(layer.id())
        if not self._has_layer(path):
            self._create(path, crs if crs is not None and crs.isValid() else
                         QgsCoordinateReferenceSystem(SAMPLE_CRS))
        layer = QgsVectorLayer(f"{path}|layername={LAYER_NAME}", GROUP_NAME, "ogr")
        if not layer.isValid():
            raise SurveyStoreError(f"Could not open the survey areas in {path}")
        layer.setCustomProperty(ROLE_PROPERTY, ROLE_SURVEY)
        layer.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple(
            {"color": "255,140,0,50", "outline_color": "230,90,0,255", "outline_width": "0.6"})))
        root = self.project.layerTreeRoot()
        group = root.findGroup(GROUP_NAME) or root.insertGroup(0, GROUP_NAME)
        self.project.addMapLayer(layer, False)
        group.addLayer(layer)
        self._remember(path)
        return layer

    @staticmethod
    def _has_layer(path: Path) -> bool:
        if not path.is_file():
            return False
        return QgsVectorLayer(f"{path}|layername={LAYER_NAME}", "probe", "ogr").isValid()

    def _create(self, path: Path, crs: QgsCoordinateReferenceSystem) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SurveyStoreError(f"Cannot create the folder for {path}: {error}") from error
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName = "GPKG"
        options.layerName = LAYER_NAME
        if path.exists():
            options.actionOnExistingFile = QgsVectorFileWriter.CreateOrOverwriteLayer
        writer = QgsVectorFileWriter.create(str(path), survey_fields(), QgsWkbTypes.MultiPolygon, crs,
                                            self.project.transformContext(), options)
        failed = writer.hasError() != QgsVectorFileWriter.NoError
        message = writer.errorMessage()
        del writer  # closes the file
        if failed:
            raise SurveyStoreError(f"Cannot create the survey areas layer in {path}: {message}")

    # Features -----------------------------------------------------------------------------------------------
    def next_name(self) -> str:
        layer = find_layer(self.project)
        numbers = [0]
        if layer is not None:
            for feature in layer.getFeatures():
                name = str(feature["name"] or "")
                tail = name[len(DEFAULT_NAME):].strip()
                if name.startswith(DEFAULT_NAME) and tail.isdigit():
                    numbers.append(int(tail))
            numbers.append(layer.featureCount())
        return f"{DEFAULT_NAME} {max(numbers) + 1}"

    def add(self, name: str, geometry: QgsGeometry, crs: QgsCoordinateReferenceSystem,
            inputs: EstimateInputs | None, storage_crs: QgsCoordinateReferenceSystem | None = None) -> int:
        """Write the area with the inputs it is estimated at; returns its feature id. Results come later.

        ``inputs`` is None while no usable inputs are chosen: the drawn area is kept all the same, with its
        input and result fields empty, rather than lost."""
        layer = self.layer(storage_crs)
        shape = QgsGeometry(geometry)
        if crs != layer.crs():
            shape.transform(QgsCoordinateTransform(crs, layer.crs(), self.project))
        shape.convertToMultiType()
        feature = QgsFeature(layer.fields())
        feature.setGeometry(shape)
        values = {"name": name, "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if inputs is not None:
            params = inputs.params
            values.update({
                "grade_file": inputs.grade_path, "grade_band": params.grade_band,
                "grade_unit": params.grade_unit, "cutoff": params.cutoff,
                "density": None if params.density_raster else params.density,
                "density_file": str(params.density_raster or ""), "thickness_m": params.thickness,
                "thickness_file": str(params.thickness_raster or ""),
            })
        for field_name, value in values.items():
            feature[field_name] = value
        ok, added = layer.dataProvider().addFeatures([feature])
        if not ok or not added:
            raise SurveyStoreError(f"Could not write the survey area to {self.path()}: "
                                   f"{'; '.join(layer.dataProvider().errors())}")
        self._refresh(layer)
        return added[0].id()

    def write_result(self, fid: int, result: TonnageResult) -> None:
        self._change(fid, {name: _number(getattr(result, attr)) for name, attr in _RESULT_FIELDS.items()})

    def rename(self, fid: int, name: str) -> None:
        self._change(fid, {"name": name})

    def delete(self, fid: int) -> None:
        layer = self.layer()
        if not layer.dataProvider().deleteFeatures([fid]):
            raise SurveyStoreError(f"Could not delete the survey area from {self.path()}")
        self._refresh(layer)

    def _change(self, fid: int, values: dict) -> None:
        layer = self.layer()
        changes = {layer.fields().indexOf(name): value for name, value in values.items()}
        if not layer.dataProvider().changeAttributeValues({fid: changes}):
            raise SurveyStoreError(f"Could not update the survey area in {self.path()}")
        self._refresh(layer)

    @staticmethod
    def _refresh(layer: QgsVectorLayer) -> None:
        layer.updateExtents()
        layer.triggerRepaint()
