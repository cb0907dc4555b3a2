"""Survey areas in a GeoPackage layer ``survey_areas``, written at once so a crash or a closed project loses
nothing, and never lost when the file cannot be written.

Writes go through ``survey_gpkg`` (SQLite with a short lock wait, the WAL checkpointed after each write), not
QGIS's provider, which waits 20 s on a locked file on the GUI thread. An area that cannot be written now
(locked, read-only, full disk, a file that is not ours) is kept in a memory layer "Survey areas (not saved)" of
the open session; ``save_pending`` writes it later, here or to another file.

Where the file is: beside the saved project (``<project>_survey_areas.gpkg``), else a folder of this session
in the profile, so projects never share areas. A project file may point the store only at a ``.gpkg`` inside
its own folder (a relative path) or at one the user chose in a dialog on this computer.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
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
)

from . import log, survey_gpkg
from .core.catalogue import SAMPLE_CRS
from .core.result_fields import RESULT_ATTRIBUTES, RESULT_SCHEMA, result_values
from .core.tonnage import TonnageResult
from .estimation import EstimateInputs
from .layers import ROLE_PROPERTY
from .qgis_compat import WKB_MULTIPOLYGON, new_fields
from .settings import NAMESPACE, Settings, read_project_entry, write_project_entry
from .survey_gpkg import GpkgWriteError, NewRow

LAYER_NAME = "survey_areas"
FILE_SUFFIX = "_survey_areas.gpkg"
FILE_NAME = "survey_areas.gpkg"
GROUP_NAME = "Survey areas"
PENDING_NAME = "Survey areas (not saved)"
ROLE_SURVEY = "survey_areas"
ROLE_PENDING = "survey_areas_unsaved"
PROJECT_KEY = "survey/gpkg_path"
DEFAULT_NAME = "Survey area"
UNSAVED_FOLDER = (NAMESPACE, "unsaved_projects")  # the one namespace, as in the settings

_FIELDS = (
    ("name", "string"),
    ("created_utc", "string"),
    ("grade_file", "string"),
    ("grade_band", "int"),
    ("grade_unit", "string"),
    ("cutoff", "double"),
    ("density", "double"),
    ("density_file", "string"),
    ("thickness_m", "double"),
    ("thickness_file", "string"),
    *RESULT_SCHEMA,
)


class SurveyStoreError(RuntimeError):
    """The GeoPackage cannot be created or written; the message names the file and says why."""


@dataclass(frozen=True)
class StoredArea:
    """Where a drawn area went: the GeoPackage layer, or the session's memory layer with the reason."""

    layer: QgsVectorLayer
    fid: int
    unsaved_reason: str = ""


def survey_fields() -> QgsFields:
    return new_fields(_FIELDS)


def _by_role(project: QgsProject, role: str) -> QgsVectorLayer | None:
    for layer in project.mapLayers().values():
        if layer.customProperty(ROLE_PROPERTY) == role and isinstance(layer, QgsVectorLayer):
            return layer
    return None


def find_layer(project: QgsProject) -> QgsVectorLayer | None:
    return _by_role(project, ROLE_SURVEY)


def find_pending(project: QgsProject) -> QgsVectorLayer | None:
    """The memory layer of areas not saved yet, if any."""
    return _by_role(project, ROLE_PENDING)


def _chosen() -> list[str]:
    return [line for line in Settings.survey_chosen.get().splitlines() if line]


def trust_path(path: Path) -> None:
    """Remember that the user chose ``path`` in a dialog: projects may then point the store at it."""
    text = os.path.normpath(str(Path(path).absolute()))
    chosen = [entry for entry in _chosen() if entry != text]
    Settings.survey_chosen.set("\n".join([text, *chosen][:50]))


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _wkb(geometry: QgsGeometry) -> bytes:
    return bytes(geometry.asWkb())


def _child(element, tag: str):
    child = element.firstChildElement(tag)
    if child.isNull():
        child = element.ownerDocument().createElement(tag)
        element.appendChild(child)
    return child


def _set_text(element, text: str) -> None:
    while element.hasChildNodes():
        element.removeChild(element.firstChild())
    element.appendChild(element.ownerDocument().createTextNode(text))


def _set_layer_source(document, layer_id: str, source: str) -> None:
    """The ``datasource`` of layer ``layer_id`` in a project document being written."""
    nodes = document.elementsByTagName("maplayer")
    for index in range(nodes.count()):
        element = nodes.at(index).toElement()
        if element.firstChildElement("id").text() == layer_id:
            _set_text(_child(element, "datasource"), source)


def _set_entry(document, value: str) -> None:
    """Our project entry in a document being written (properties may be serialised before we change them)."""
    properties = document.documentElement().firstChildElement("properties")
    if properties.isNull():
        return
    element = properties
    for tag in (NAMESPACE, *PROJECT_KEY.split("/")):
        element = _child(element, tag)
    element.setAttribute("type", "QString")
    _set_text(element, value)


class SurveyStore:
    def __init__(self, project: QgsProject | None = None) -> None:
        self.project = project or QgsProject.instance()
        self._session = secrets.token_hex(6)
        self.refused = ""  # why the project's own choice of file was not used
        self._moved_from: Path | None = None

    # The file and its layer ---------------------------------------------------------------------------------
    def new_session(self) -> None:
        """A new (blank) project: its survey areas go to a file of their own."""
        self._session = secrets.token_hex(6)
        self.refused = ""

    def _project_folder(self) -> Path | None:
        return Path(self.project.absolutePath()) if self.project.fileName() else None

    def session_path(self) -> Path:
        return Path(QgsApplication.qgisSettingsDirPath(), *UNSAVED_FOLDER, self._session, FILE_NAME)

    def default_path(self) -> Path:
        """Beside the saved project, else this session's own file in the profile."""
        folder = self._project_folder()
        if folder is not None:
            return folder / f"{Path(self.project.fileName()).stem}{FILE_SUFFIX}"
        return self.session_path()

    def _session_root(self) -> Path:
        return Path(QgsApplication.qgisSettingsDirPath(), *UNSAVED_FOLDER)

    def project_writing(self, document) -> Path | None:
        """While a project is written (``QgsProject.writeProject``): survey areas still in this session's
        profile folder are copied beside the project file, and the document being written names the copy.
        The session file is removed by ``project_saved`` once the project is on disk. Returns the new path."""
        current = self.path()
        if not self.project.fileName() or not _inside(current, self._session_root()) or not current.is_file():
            return None
        target = self.default_path()
        number = 1
        while target.exists():  # never over another file: the user's own, or another project's
            number += 1
            target = target.with_name(f"{Path(self.project.fileName()).stem}_{number}{FILE_SUFFIX}")
        try:
            survey_gpkg.copy(current, target)
        except GpkgWriteError as error:
            log.logger.exception(
                "The survey areas stay in %s: they cannot be copied beside the project (%s)", current, error
            )
            return None
        layer = find_layer(self.project)
        if layer is not None:
            layer.setDataSource(f"{target}|layername={LAYER_NAME}", layer.name(), "ogr")
            _set_layer_source(document, layer.id(), f"{self.project.writePath(str(target))}|layername={LAYER_NAME}")
        self._remember(target)
        _set_entry(document, read_project_entry(self.project, PROJECT_KEY)[0])
        self._moved_from = current
        log.logger.info("Survey areas moved beside the project: %s", target)
        return target

    def project_saved(self) -> None:
        """The project names the new file now: remove the session's copy."""
        current, self._moved_from = self._moved_from, None
        if current is None:
            return
        for leftover in (current, *(current.with_name(current.name + end) for end in ("-wal", "-shm"))):
            with contextlib.suppress(OSError):
                leftover.unlink()
        with contextlib.suppress(OSError):
            current.parent.rmdir()

    def configured_path(self) -> Path | None:
        """The project's entry if it is allowed: a .gpkg inside the project's folder or one the user chose."""
        stored, ok = read_project_entry(self.project, PROJECT_KEY)
        if not ok or not stored:
            return None
        path = Path(stored).expanduser()
        folder = self._project_folder()
        if not path.is_absolute():
            path = (folder / path) if folder is not None else None
        refusal = "a relative path in a project that is not saved" if path is None else self._refusal(path)
        if refusal:
            if self.refused != stored:
                log.logger.warning(
                    "The project names '%s' for its survey areas (%s); using %s instead.",
                    stored,
                    refusal,
                    self.default_path(),
                )
            self.refused = stored
            return None
        return Path(os.path.normpath(str(path)))

    def _refusal(self, path: Path) -> str:
        """Why the store must not write to ``path`` ('' if it may): the project file must not choose freely."""
        folder = self._project_folder()
        if path.suffix.lower() != ".gpkg":
            return "not a .gpkg file"
        if (
            (folder is not None and _inside(path, folder))
            or _inside(path, self._session_root())
            or os.path.normpath(str(path)) in _chosen()
        ):
            return ""
        return "outside the project's folder and not chosen by you"

    def _own_layer(self) -> QgsVectorLayer | None:
        """The project's survey layer if its file is one the store may write; a layer a project file points
        elsewhere is left alone (shown, never written)."""
        layer = find_layer(self.project)
        if layer is None:
            return None
        source = Path(layer.source().split("|")[0])
        refusal = self._refusal(source)
        if refusal:
            if self.refused != str(source):
                log.logger.warning(
                    "The project's survey layer is in %s (%s): new areas go to %s instead.",
                    source,
                    refusal,
                    self.default_path(),
                )
            self.refused = str(source)
            layer.setCustomProperty(ROLE_PROPERTY, "")
            return None
        return layer

    def path(self) -> Path:
        layer = self._own_layer()
        if layer is not None:
            return Path(layer.source().split("|")[0])
        return self.configured_path() or self.default_path()

    def set_path(self, path: Path, chosen: bool = True) -> None:
        """Use another GeoPackage from now on (the old layer leaves the project; its file stays)."""
        path = Path(path)
        if path.suffix.lower() != ".gpkg":
            path = path.with_name(path.name + ".gpkg")
        if chosen:
            trust_path(path)
        layer = find_layer(self.project)
        if layer is not None:
            self.project.removeMapLayer(layer.id())
        self._remember(path)

    def _remember(self, path: Path) -> None:
        folder = self._project_folder()
        text = os.path.relpath(path, folder) if folder is not None and _inside(path, folder) else str(path)
        write_project_entry(self.project, PROJECT_KEY, text)

    def _group(self):
        root = self.project.layerTreeRoot()
        return root.findGroup(GROUP_NAME) or root.insertGroup(0, GROUP_NAME)

    def layer(self, crs: QgsCoordinateReferenceSystem | None = None) -> QgsVectorLayer:
        """The survey layer in the project, creating the file (in ``crs``) and adding the layer as needed.

        An existing file is checked first, without waiting on another program's lock: fields it lacks are
        added; a file that cannot be read or fixed is a ``SurveyStoreError``."""
        layer = self._own_layer()
        if layer is not None and layer.isValid():
            return layer
        path = self.path()
        if layer is not None:
            self.project.removeMapLayer(layer.id())
        if self._has_layer(path):
            self._migrate(path)
        else:
            self._create(path, crs if crs is not None and crs.isValid() else QgsCoordinateReferenceSystem(SAMPLE_CRS))
        layer = QgsVectorLayer(f"{path}|layername={LAYER_NAME}", GROUP_NAME, "ogr")
        if not layer.isValid():
            raise SurveyStoreError(f"Could not open the survey areas in {path}")
        layer.setCustomProperty(ROLE_PROPERTY, ROLE_SURVEY)
        layer.setRenderer(
            QgsSingleSymbolRenderer(
                QgsFillSymbol.createSimple(
                    {"color": "255,140,0,50", "outline_color": "230,90,0,255", "outline_width": "0.6"}
                )
            )
        )
        self.project.addMapLayer(layer, False)
        self._group().addLayer(layer)
        self._remember(path)
        return layer

    def check(self) -> str:
        """'' if drawn areas can be saved now, else the reason in plain words (checked before drawing)."""
        try:
            layer = self.layer()
            survey_gpkg.check_usable(Path(layer.source().split("|")[0]))
        except SurveyStoreError as error:
            return str(error)
        except GpkgWriteError as error:
            return f"The survey areas cannot be saved in {self.path()}: {error}"
        return ""

    def _has_layer(self, path: Path) -> bool:
        if not path.is_file():
            return False
        try:
            with survey_gpkg.connect(path, write=False) as db:
                if survey_gpkg.table(db, LAYER_NAME) is not None:
                    return True
                taken = db.execute(
                    "SELECT count(*) FROM sqlite_master WHERE lower(name) = lower(?)", (LAYER_NAME,)
                ).fetchone()[0]
        except GpkgWriteError as error:
            raise SurveyStoreError(f"The survey areas file {path} cannot be read: {error}") from None
        if taken:  # a table of the user's own with our name: never overwritten
            raise SurveyStoreError(
                f"{path} has a table '{LAYER_NAME}' that is not a polygon layer; choose another file"
            )
        return False

    def _migrate(self, path: Path) -> None:
        try:
            added = survey_gpkg.migrate(path, LAYER_NAME, _FIELDS)
        except GpkgWriteError as error:
            raise SurveyStoreError(
                f"The survey areas layer in {path} lacks fields this plugin needs and "
                f"cannot be updated: {error}. Choose another file."
            ) from None
        if added:
            log.logger.info("Added the fields %s to the survey areas in %s", ", ".join(added), path)

    def _create(self, path: Path, crs: QgsCoordinateReferenceSystem) -> None:
        if path.exists():
            try:
                survey_gpkg.check_usable(path)
            except GpkgWriteError as error:
                raise SurveyStoreError(f"Cannot add the survey areas layer to {path}: {error}") from None
        elif path == self.session_path():  # only our own folder is ever created
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise SurveyStoreError(f"Cannot create the folder for {path}: {error.strerror}") from None
        elif not path.parent.is_dir():
            raise SurveyStoreError(f"The folder of {path} does not exist")
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName = "GPKG"
        options.layerName = LAYER_NAME
        if path.exists():
            options.actionOnExistingFile = QgsVectorFileWriter.ActionOnExistingFile.CreateOrOverwriteLayer
        writer = QgsVectorFileWriter.create(
            str(path), survey_fields(), WKB_MULTIPOLYGON, crs, self.project.transformContext(), options
        )
        failed = writer.hasError() != QgsVectorFileWriter.WriterError.NoError
        message = writer.errorMessage()
        del writer  # closes the file
        if failed:
            raise SurveyStoreError(
                f"Cannot create the survey areas layer in {path}: {(message or 'unknown error').splitlines()[0][:160]}"
            )

    # The session's unsaved areas ----------------------------------------------------------------------------
    def _pending_layer(self, crs: QgsCoordinateReferenceSystem) -> QgsVectorLayer:
        layer = find_pending(self.project)
        if layer is not None:
            return layer
        layer = QgsVectorLayer("MultiPolygon", PENDING_NAME, "memory")
        layer.setCrs(crs)
        layer.dataProvider().addAttributes(survey_fields().toList())
        layer.updateFields()
        layer.setCustomProperty(ROLE_PROPERTY, ROLE_PENDING)
        layer.setRenderer(
            QgsSingleSymbolRenderer(
                QgsFillSymbol.createSimple(
                    {
                        "color": "255,0,0,40",
                        "outline_color": "200,0,0,255",
                        "outline_width": "0.8",
                        "outline_style": "dash",
                    }
                )
            )
        )
        self.project.addMapLayer(layer, False)
        self._group().insertLayer(0, layer)
        return layer

    def _keep(
        self, feature_values: dict, geometry: QgsGeometry, crs: QgsCoordinateReferenceSystem, reason: str
    ) -> StoredArea:
        layer = self._pending_layer(crs)
        shape = QgsGeometry(geometry)
        if crs != layer.crs():
            shape.transform(QgsCoordinateTransform(crs, layer.crs(), self.project))
        feature = QgsFeature(layer.fields())
        feature.setGeometry(shape)
        for name, value in feature_values.items():
            feature[name] = value
        ok, added = layer.dataProvider().addFeatures([feature])
        if not ok or not added:  # a memory layer does not refuse; if it did, say so rather than lose quietly
            raise SurveyStoreError(f"The survey area could not be kept: {reason}")
        self._refresh(layer)
        log.logger.warning("Survey area '%s' kept in this session only: %s", feature_values.get("name"), reason)
        return StoredArea(layer, added[0].id(), reason)

    def pending_count(self) -> int:
        layer = find_pending(self.project)
        return layer.featureCount() if layer is not None else 0

    def save_pending(self) -> int:
        """Write the session's unsaved areas to the GeoPackage (all or none); returns how many."""
        pending = find_pending(self.project)
        if pending is None:
            return 0
        features = list(pending.getFeatures())
        layer = self.layer(pending.crs())
        rows = []
        for feature in features:
            shape = QgsGeometry(feature.geometry())
            if pending.crs() != layer.crs():
                shape.transform(QgsCoordinateTransform(pending.crs(), layer.crs(), self.project))
            values = {name: feature[name] for name, _kind in _FIELDS}
            rows.append(
                self._row(shape, {k: (None if v is None or str(v) == "NULL" else v) for k, v in values.items()})
            )
        self._insert(layer, rows)
        self.project.removeMapLayer(pending.id())
        return len(features)

    # Features -----------------------------------------------------------------------------------------------
    def next_name(self) -> str:
        numbers = [0]
        for layer in (find_layer(self.project), find_pending(self.project)):
            if layer is None:
                continue
            for feature in layer.getFeatures():
                name = str(feature["name"] or "")
                tail = name[len(DEFAULT_NAME) :].strip()
                if name.startswith(DEFAULT_NAME) and tail.isdigit():
                    numbers.append(int(tail))
            numbers.append(layer.featureCount())
        return f"{DEFAULT_NAME} {max(numbers) + 1}"

    @staticmethod
    def _row(shape: QgsGeometry, values: dict) -> NewRow:
        shape.convertToMultiType()
        box = shape.boundingBox()
        return NewRow(_wkb(shape), (box.xMinimum(), box.xMaximum(), box.yMinimum(), box.yMaximum()), values)

    def _insert(self, layer: QgsVectorLayer, rows: list[NewRow]) -> list[int]:
        path = Path(layer.source().split("|")[0])
        try:
            fids = survey_gpkg.insert(path, LAYER_NAME, rows)
        except GpkgWriteError as error:
            raise SurveyStoreError(f"The survey areas cannot be saved in {path}: {error}") from None
        self._refresh(layer, reload=True)
        return fids

    def add(
        self,
        name: str,
        geometry: QgsGeometry,
        crs: QgsCoordinateReferenceSystem,
        inputs: EstimateInputs | None,
        storage_crs: QgsCoordinateReferenceSystem | None = None,
    ) -> StoredArea:
        """Write the area with the inputs it is estimated at; results come later. Never loses the area: if
        the file cannot take it now, it is kept in the session's memory layer and the reason is returned.

        ``inputs`` is None while no usable inputs are chosen: the drawn area is kept all the same, with its
        input and result fields empty."""
        values = {"name": name, "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if inputs is not None:
            params = inputs.params
            values.update(
                {
                    "grade_file": inputs.grade_path,
                    "grade_band": params.grade_band,
                    "grade_unit": params.grade_unit,
                    "cutoff": params.cutoff,
                    "density": None if params.density_raster else params.density,
                    "density_file": str(params.density_raster or ""),
                    "thickness_m": params.thickness,
                    "thickness_file": str(params.thickness_raster or ""),
                }
            )
        try:
            layer = self.layer(storage_crs)
            shape = QgsGeometry(geometry)
            if crs != layer.crs():
                shape.transform(QgsCoordinateTransform(crs, layer.crs(), self.project))
            (fid,) = self._insert(layer, [self._row(shape, values)])
        except SurveyStoreError as error:
            return self._keep(values, geometry, crs, str(error))
        return StoredArea(layer, fid)

    def write_result(self, key: tuple[str, int], result: TonnageResult) -> None:
        self._change(key, dict(zip(RESULT_ATTRIBUTES, result_values(result))))

    def rename(self, key: tuple[str, int], name: str) -> None:
        self._change(key, {"name": name})

    def _target(self, key: tuple[str, int]) -> QgsVectorLayer:
        layer = self.project.mapLayer(key[0])
        if not isinstance(layer, QgsVectorLayer) or layer.customProperty(ROLE_PROPERTY) not in (
            ROLE_SURVEY,
            ROLE_PENDING,
        ):
            raise SurveyStoreError("The survey area is no longer in the project")
        source = Path(layer.source().split("|")[0])
        if layer.customProperty(ROLE_PROPERTY) == ROLE_SURVEY and self._refusal(source):
            raise SurveyStoreError(f"{source} is not written: {self._refusal(source)}")
        return layer

    def delete(self, key: tuple[str, int]) -> None:
        layer = self._target(key)
        if layer.customProperty(ROLE_PROPERTY) == ROLE_PENDING:
            layer.dataProvider().deleteFeatures([key[1]])
        else:
            path = Path(layer.source().split("|")[0])
            try:
                survey_gpkg.delete(path, LAYER_NAME, key[1])
            except GpkgWriteError as error:
                raise SurveyStoreError(f"Could not delete the survey area from {path}: {error}") from None
        self._refresh(layer, reload=True)

    def _change(self, key: tuple[str, int], values: dict) -> None:
        layer = self._target(key)
        if layer.customProperty(ROLE_PROPERTY) == ROLE_PENDING:
            changes = {layer.fields().indexOf(name): value for name, value in values.items()}
            if not layer.dataProvider().changeAttributeValues({key[1]: changes}):
                raise SurveyStoreError("Could not update the unsaved survey area")
        else:
            path = Path(layer.source().split("|")[0])
            try:
                survey_gpkg.update(path, LAYER_NAME, key[1], values)
            except GpkgWriteError as error:
                raise SurveyStoreError(f"Could not update the survey area in {path}: {error}") from None
        self._refresh(layer, reload=True)

    @staticmethod
    def _refresh(layer: QgsVectorLayer, reload: bool = False) -> None:
        if reload:
            layer.dataProvider().reloadData()
        layer.updateExtents()
        layer.triggerRepaint()
