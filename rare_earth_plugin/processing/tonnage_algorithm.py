"""What the per-polygon tonnage algorithms share: group, icon, input checks, the estimating loop, per-feature
error handling, and an output written only once every row is computed.

One polygon that cannot be estimated (empty geometry, a line, a geometry the engine rejects) must not cost the
user the whole batch: it is reported by name and written with empty result fields. Inputs that are wrong for
every feature (a missing raster, a bad band, a layer without CRS) stop the run once, with the message.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureRequest,
    QgsFeatureSink,
    QgsFields,
    QgsGeometry,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSource,
    QgsProcessingFeedback,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProperty,
    QgsProviderRegistry,
    QgsVectorFileWriter,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtGui import QIcon

from ..areas import given_name
from ..core.exploration_target import ExplorationTarget
from ..core.tonnage import TonnageCancelled, TonnageInputError, TonnageResult
from ..estimation import EstimateInputs, TargetDraws, crs_for_engine, curves_for_geometries
from ..paths import resource
from ..qgis_compat import SKIP_GEOMETRY_VALIDITY, SOURCE_VECTOR_POLYGON
from ..report.errors import ReportError
from ..report.export import input_files, refuse_inputs
from ..report.file_set import (
    by_sqlite_driver,
    check_not_locked,
    check_writable_folder,
    committed_rows,
    free_space_note,
    launders,
    listed,
    marked_name,
    nearly_full,
    open_vector,
    other_layers,
    real_file,
    sqlite_layer_name,
    sweep,
)
from . import shapefile_parts
from .added_table import AddedTable, ogr_file, ogr_table
from .raster_inputs import (
    HELP_COMMON,
    RasterChecks,
    add_raster_parameters,
    cutoff_parameter,
    inputs_from_parameters,
)
from .staged_feedback import naming_the_users_file

INPUT = "INPUT"
OUTPUT = "OUTPUT"
CANCELLED_INFO = "Cancelled: features not yet estimated are not in the output."
#: A destination that names a provider or a URL ("memory:", "postgres://..."), not a file: two letters or more
#: before the colon (one is a Windows drive).
_PROVIDER = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


def _layer_name(layer: QgsVectorLayer) -> str | None:
    """The name of a layer's table in its file: its "layername", else the table its "layerid" (or, with
    neither, the file's first layer) names; None when the file cannot tell."""
    parts = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source())
    if parts.get("layerName"):
        return str(parts["layerName"])
    source = open_vector(str(parts.get("path", "")))
    try:
        found = source.GetLayer(int(parts.get("layerId") or 0)) if source is not None else None
        return found.GetName() if found is not None else None
    finally:
        source = None


def _replaceable_inputs(
    destination: str, layer: QgsVectorLayer | None, inputs: EstimateInputs
) -> list[tuple[str, str]]:
    """The files a run reads that OUTPUT could replace: all of them for a file written anew; for a layer added to
    a GeoPackage (ogr:dbname=... table=...), only the input layer's own, and only when the table is that layer."""
    read = input_files([layer], inputs)
    if not destination.startswith("ogr:"):
        return read
    named = ogr_table(destination)
    own = _layer_name(layer) if layer is not None else None
    return read[:1] if named is not None and own is not None and named.casefold() == own.casefold() else []


def output_file(destination: str) -> str | None:
    """The file an OUTPUT destination writes (``parameterAsOutputLayer``'s string), or None for a memory layer,
    a database or anything else that is not plainly a file."""
    if destination.startswith("ogr:"):
        return ogr_file(destination)
    if _PROVIDER.match(destination):
        return None
    path = destination.split("|")[0]
    if not path:
        return None
    # QGIS writes a GeoPackage of the name with ".gpkg" added when no format has the name's extension
    # (QgsProcessingUtils' parseDestinationString): "zones" or "zones.foo" would write zones.gpkg anew unchecked
    extension = _EXTENSION.match(path)
    driver = QgsVectorFileWriter.driverForExtension(extension.group(1)) if extension else ""
    return _with_drivers_extension(path, driver) if driver else f"{path}.gpkg"


def _with_drivers_extension(path: str, driver: str) -> str:
    """``path`` as QGIS's file writer names it: with the first of the extensions it knows ``driver`` by added
    when the name has none of them (QGIS 3.22 writes "out.json" as "out.json.geojson" and "out.geojsonl" as
    "out.geojsonl.json")."""
    metadata = QgsVectorFileWriter.MetaData()
    if not QgsVectorFileWriter.driverMetadata(driver, metadata):
        return path
    extensions = metadata.ext.split()
    if not extensions or any(path.lower().endswith(f".{known.lower()}") for known in extensions):
        return path
    return f"{path}.{extensions[0]}"


#: The extension QGIS takes from a destination: all after its last dot.
_EXTENSION = re.compile(r"^.*\.(.*?)$")


def output_problem(destination: str, table: bool = False) -> str:
    """Why OUTPUT could not be written to the ``destination`` that ``parameterAsOutputLayer`` gives ('' when
    nothing is seen against it, or it is not a file): told before the run, whose rows are all computed before the
    file is made. ``table``: the output has no geometry."""
    path = output_file(destination)
    if path is None:
        return ""
    plain = not destination.startswith("ogr:")
    if plain and "|" in destination:  # QGIS would write a file of that whole name, "|layername=t.gpkg" and all
        return f"OUTPUT: '{destination}' is a layer's address, not a file name; {_add_layer(path)}"
    given = path if not plain else destination.split("|")[0]  # before QGIS's writer adds an extension
    if given.lower().endswith(".dbf"):  # QGIS would write "out.dbf.dbf" (a table) or "out.dbf.shp"
        return f"OUTPUT: {given}: give a table or layer the name of a .gpkg, .csv or .shp file (a .dbf is its part)"
    clash = shapefile_parts.clash(path)
    if clash:
        return (
            f"OUTPUT: writing {path} would delete {listed(clash)}: QGIS removes the files of a shapefile of that "
            "name whatever the case of their letters; give another name"
        )
    asked = None if plain else ogr_table(destination)
    if asked and launders(asked) and by_sqlite_driver(path):
        laundered = sqlite_layer_name(asked)
        named = laundered.replace('"', '\\"')
        return (
            f'OUTPUT: GDAL would name the table "{asked}" "{laundered}" in {path}, and QGIS could not load it by '
            f'the name given: give table="{named}", or add the layer to a .gpkg'
        )
    if table and path.lower().endswith(".fgb"):
        return (
            f"OUTPUT: a FlatGeobuf file holds only features with a geometry, and {path} would get a table; "
            "choose .gpkg or .csv"
        )
    try:
        return _place_problem(path) or _replace_problem(path, plain)
    except ReportError as error:
        return str(error)


#: How to add a layer to a GeoPackage instead of writing the file anew.
_ADD_LAYER = (
    "to add a layer to a GeoPackage give ogr:dbname='{quoted}' table=\"name\" (Save to GeoPackage… in the dialog)"
)


def _add_layer(path: str) -> str:
    """``_ADD_LAYER`` for the file ``path``, quoted as QGIS reads a data source URI."""
    return _ADD_LAYER.format(quoted=path.replace("\\", "\\\\").replace("'", "\\'"))


def _place_problem(path: str) -> str:
    """Whether a file can be made at ``path`` (``ReportError`` from the folder's write test): in the folder of
    the file a link names, which is the one replaced."""
    folder = str(real_file(path).parent)
    if os.path.exists(folder) and not os.path.isdir(folder):
        return f"OUTPUT: {folder} is a file, not a folder"
    if not os.path.isdir(folder):
        return f"OUTPUT: the folder of {path} does not exist"
    if os.path.isdir(path):
        return f"OUTPUT: {path} is a folder; give a file name"
    check_writable_folder(Path(folder), OUTPUT)
    return ""


def _replace_problem(path: str, plain: bool) -> str:
    """Whether the file at ``path`` may be replaced: not read-only, not holding other layers a plain path would
    delete (QGIS writes the file anew), not being written by another program (``ReportError``)."""
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return f"OUTPUT: {path} is read-only"
    others = other_layers(Path(path), Path(path).stem) if plain else []
    if others:
        database = path.lower().endswith((".gpkg", ".sqlite"))  # where a layer can be added instead
        return (
            f"OUTPUT: {path} holds other layers or tables ({listed(others)}), which writing the file anew would "
            f"delete; give a new file{f', or {_add_layer(path)}' if database else ''}"
        )
    check_not_locked(Path(path), OUTPUT)
    return ""


#: Formats QGIS writes as one file of the name given, which a file written beside it can replace whole.
_ONE_FILE = (".gpkg", ".geojson", ".geojsonl", ".json", ".fgb", ".csv", ".kml", ".sqlite")


def _staged(parameters: dict[str, Any], path: str | None) -> str | None:
    """Where to write the file ``path`` that OUTPUT names plainly (as a path, of a ``_ONE_FILE`` format) first:
    the same name (a GeoPackage names its layer by it) in a new hidden folder beside it (beside the file a link
    names: the link is kept and its file replaced), marked as the report's temporary files are, so that the next
    run or export there removes it should this process be killed (``file_set.sweep``). None for any other
    output, written in place."""
    value = parameters.get(OUTPUT)
    target = value.sink.staticValue() if isinstance(value, QgsProcessingOutputLayerDefinition) else value
    # not a name QGIS adds an extension to ("out.json" is written as "out.json.geojson"): staged under the name
    # written, the format would follow the added extension (GeoJSON for "out.geojsonl.json", not GeoJSONSeq)
    plain = isinstance(target, str) and path is not None and path in (target, f"{target}.gpkg")
    if path is None or not plain or not path.lower().endswith(_ONE_FILE):
        return None
    file = real_file(path)
    sweep(file.parent)
    folder = marked_name(file)
    folder.mkdir()
    return str(folder / Path(path).name)


def _redirected(value: Any, path: str) -> Any:
    """OUTPUT's value (a path, or a definition with its name and load options) writing to ``path`` instead."""
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        moved = QgsProcessingOutputLayerDefinition(value)
        moved.sink = QgsProperty.fromValue(path)
        return moved
    return path


def _moved_over(context: QgsProcessingContext, dest_id: str, written: str, path: str) -> str:
    """Move the file ``written`` over ``path`` (over the file it links to: the link is kept); the destination then
    names ``path``, also for loading it into the project when the run ends."""
    try:
        check_not_locked(Path(path), OUTPUT)  # taken by another program during the run
        os.replace(written, real_file(path))
    except ReportError as error:
        raise QgsProcessingException(str(error)) from None
    except OSError as error:
        raise QgsProcessingException(f"OUTPUT: cannot replace {path}: {error.strerror}") from None
    return _renamed(context, dest_id, dest_id.replace(written, path, 1))


def _renamed(context: QgsProcessingContext, dest_id: str, renamed: str) -> str:
    """``renamed`` in place of ``dest_id``, also as the layer loaded into the project when the run ends."""
    if renamed != dest_id and context.willLoadLayerOnCompletion(dest_id):
        layers = context.layersToLoadOnCompletion()
        layers[renamed] = layers.pop(dest_id)
        context.setLayersToLoadOnCompletion(layers)
    return renamed


def _holding_multiparts(wkb_type: QgsWkbTypes.Type, rows: list[QgsFeature]) -> QgsWkbTypes.Type:
    """``wkb_type``, or its multi-part type, every row's geometry made multi-part, when a row's geometry has
    several parts: a layer typed Polygon (a GeoPackage's may hold multi-polygons all the same) wrote a
    GeoPackage against its standard, which GDAL warned of, and a memory layer of both kinds."""
    if not QgsWkbTypes.isSingleType(wkb_type) or not any(
        row.hasGeometry() and row.geometry().isMultipart() for row in rows
    ):
        return wkb_type
    for row in rows:
        if row.hasGeometry() and not row.geometry().isMultipart():
            geometry = row.geometry()
            geometry.convertToMultiType()
            row.setGeometry(geometry)
    return QgsWkbTypes.multiType(wkb_type)


def _readable(dest_id: str, path: str) -> str:
    """``dest_id`` as QGIS opens it: a table without geometry in SQLite only by its layer's name (the file's
    plain path is "not a supported format" to QGIS 3.22, so the run's result would not load)."""
    if "|" in dest_id or dest_id.startswith("ogr:") or QgsVectorLayer(dest_id, "written", "ogr").isValid():
        return dest_id
    named = f"{dest_id}|layername={Path(path).stem}"
    return named if QgsVectorLayer(named, "written", "ogr").isValid() else dest_id


def _check_written(
    dest_id: str, path: str, rows: int, written: str | None = None, added: AddedTable | None = None
) -> None:
    """Raise when the file ``path`` (or ``written``, where it was written first) does not hold the ``rows``
    just written: a full disk fails a GeoPackage's commit as it closes, after every row was accepted, and QGIS
    would report success over a file without the layer; a shapefile's parts are measured against their headers
    (``shapefile_parts.cut_short``). A layer ``added`` to a GeoPackage in place has its committed rows counted
    too: QGIS 3.40 and later give the feature count GDAL keeps in the file, which claims the rows of a failed
    commit. Not counted: a format that cannot count, and a file written under another name (a table without
    geometry to a shapefile is a .dbf)."""
    layer = QgsVectorLayer(dest_id, "written", "ogr")
    missing = 0 if os.path.exists(written or path) else -1  # a file without the layer holds none
    count = layer.featureCount() if layer.isValid() else missing
    del layer  # its file closed again
    if added is not None and written is None and count == rows:  # in place: QGIS's count may be GDAL's cached one
        committed = committed_rows(path, added.table)
        if committed is not None:
            count = min(count, committed)
    shapefile = path.lower().endswith(".shp") and count in (rows, -1)  # a table: its .dbf alone, not counted
    short = shapefile_parts.cut_short(path, rows) if shapefile else ""
    if short:  # the count comes from the .shx: a .dbf a full disk cut short is found by its length
        raise QgsProcessingException(
            f"OUTPUT: {short} was cut short: not all {rows:,} rows could be written (is the disk full?)"
        )
    if count in (rows, -1):
        return
    raise QgsProcessingException(
        f"OUTPUT: only {max(count, 0):,} of the {rows:,} rows could be written to {path} (is the disk full?)"
        f"{_kept(path, written)}"
    )


def _kept(path: str, written: str | None) -> str:
    """What a failed write left of the earlier file: kept, where the rows went to a file beside it and there was
    one; else nothing to say."""
    return f"; {path} is left as it was" if written is not None and os.path.exists(path) else ""


def _write_failure(path: str | None, written: str | None, error: QgsProcessingException) -> str:
    """What a failed write tells the user: the file, whether the drive is full, whether the earlier file is kept,
    and GDAL's own words cut short (a full GeoPackage's are kilobytes of SQL naming the hidden staging file)."""
    reason = " ".join(str(error).split())
    if path is None:
        return reason
    if written is not None:
        reason = reason.replace(written, path)
    if len(reason) > _REASON_CHARS:
        reason = reason[:_REASON_CHARS].rstrip() + "…"
    folder = Path(path).absolute().parent
    full = "the disk is full" if nearly_full(folder) else "it could not be written"
    return f"OUTPUT: {path}: {full}{free_space_note(folder)}{_kept(path, written)} ({reason})"


#: How much of GDAL's message a failed write quotes.
_REASON_CHARS = 240


def _warn_shapefile(fields: QgsFields, rows: Sequence[QgsFeature], feedback: QgsProcessingFeedback) -> None:
    """Say what a shapefile loses (its .dbf holds names of 10 characters and texts of 254), which QGIS does
    silently: treo_t_base and treo_t_high both became treo_t_ba…, target_basis lost its end."""
    cut = [field.name() for field in fields if len(field.name()) > 10]
    if cut:
        feedback.pushWarning(
            "OUTPUT is a shapefile, whose field names have at most 10 characters: "
            f"{', '.join(cut)} are cut short (and renamed where two would clash); a GeoPackage keeps them"
        )
    if any(isinstance(value, str) and len(value) > 254 for row in rows for value in row.attributes()):
        feedback.pushWarning("OUTPUT is a shapefile, whose texts have at most 254 characters: longer ones are cut")


def _check_flatgeobuf(rows: Sequence[QgsFeature], path: str) -> None:
    """Refuse rows without a geometry for a FlatGeobuf file, which cannot hold them: GDAL dropped them and the
    count read back blamed a full disk."""
    bare = [
        given_name(row) or f"row {number:,}"
        for number, row in enumerate(rows, start=1)
        if not row.hasGeometry() or row.geometry().isEmpty()
    ]
    if bare:
        named = listed(bare)
        raise QgsProcessingException(
            f"OUTPUT: a FlatGeobuf file holds only features with a geometry, and {path} would get "
            f"{len(bare):,} without one ({named}); choose .gpkg or .csv, or leave those features out"
        )


def plugin_icon() -> QIcon:
    return QIcon(str(resource("icons", "rare_earth.svg")))


def feature_label(feature: QgsFeature) -> str:
    """How messages name a feature: its id, with its name (``areas.given_name``) when it has one."""
    name = given_name(feature)
    return f"feature {feature.id()} ({name})" if name else f"feature {feature.id()}"


def checked_input_crs(crs: QgsCoordinateReferenceSystem, layer_name: str) -> QgsCoordinateReferenceSystem:
    """``crs`` of the ``INPUT`` polygons when the engine understands it, else ``QgsProcessingException``."""
    try:
        crs_for_engine(crs, layer_name)
    except TonnageInputError as error:
        raise QgsProcessingException(f"{INPUT}: {error}") from None
    return crs


class TonnageAlgorithm(RasterChecks, QgsProcessingAlgorithm):
    """Base of the algorithms in the Tonnage group; subclasses set ``inputs`` through ``prepareAlgorithm``."""

    inputs: EstimateInputs
    #: Each algorithm's id, title, help (HTML, the common part follows), and its output's label and type.
    NAME = ""
    DISPLAY_NAME = ""
    HELP = ""
    OUTPUT_LABEL = ""
    OUTPUT_TYPE = SOURCE_VECTOR_POLYGON

    def name(self) -> str:
        return self.NAME

    def displayName(self) -> str:  # noqa: N802 - QGIS API name
        return self.DISPLAY_NAME

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API name
        return self.HELP + HELP_COMMON

    def cutoff_parameter(self) -> QgsProcessingParameterDefinition:
        """The one cut-off (the curve: a list of them)."""
        return cutoff_parameter()

    def extra_parameters(self) -> None:
        """Parameters of one algorithm, between the rasters and the output."""

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802, ARG002 - QGIS API
        self.addParameter(QgsProcessingParameterFeatureSource(INPUT, "Polygons", [SOURCE_VECTOR_POLYGON]))
        add_raster_parameters(self, self.cutoff_parameter())
        self.extra_parameters()
        self.addParameter(QgsProcessingParameterFeatureSink(OUTPUT, self.OUTPUT_LABEL, self.OUTPUT_TYPE))

    def group(self) -> str:
        return "Tonnage"

    def groupId(self) -> str:  # noqa: N802 - QGIS API name
        return "tonnage"

    def icon(self) -> QIcon:
        return plugin_icon()

    def createInstance(self) -> TonnageAlgorithm:  # noqa: N802 - QGIS API name
        return type(self)()

    def prepareAlgorithm(  # noqa: N802
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,  # noqa: ARG002 - QGIS API
    ) -> bool:
        # Runs on the thread that owns project layers: read them here, estimate from files later.
        self.inputs = inputs_from_parameters(self, parameters, context)
        destination = self.parameterAsOutputLayer(parameters, OUTPUT, context)
        problem = output_problem(destination, table=self.OUTPUT_TYPE != SOURCE_VECTOR_POLYGON)
        path = output_file(destination)
        try:
            if not problem and path is not None:
                layer = self.parameterAsVectorLayer(parameters, INPUT, context)
                refuse_inputs([(path, OUTPUT)], _replaceable_inputs(destination, layer, self.inputs))
        except ReportError as error:
            problem = str(error)
        if problem:
            raise QgsProcessingException(problem)
        return True

    def input_source(
        self, parameters: dict[str, Any], context: QgsProcessingContext
    ) -> tuple[QgsProcessingFeatureSource, QgsCoordinateReferenceSystem]:
        """The polygons of ``INPUT`` and their CRS, which the engine must understand."""
        source = self.parameterAsSource(parameters, INPUT, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, INPUT))
        layer = self.parameterAsVectorLayer(parameters, INPUT, context)
        name = layer.name() if layer is not None else str(parameters.get(INPUT))
        return source, checked_input_crs(source.sourceCrs(), name)

    def write_output(
        self,
        rows: Iterable[QgsFeature],
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
        fields: QgsFields,
        wkb_type: QgsWkbTypes.Type,
        crs: QgsCoordinateReferenceSystem,
    ) -> str:
        """Create OUTPUT and write ``rows`` once all are computed: a run stopped by an error (a raster that
        cannot be read part way through) leaves an existing OUTPUT file as it was, where QGIS would have
        replaced it with an empty one on creating the sink. The rows wait in memory: their values, and
        geometries shared with the input features' (20,000 polygons of 500 vertices: 170 MB more).

        A file that cannot be written is refused before the run (``output_problem``). A file of one of
        ``_ONE_FILE``'s formats is written in a folder of its own beside it (``_staged``), its rows counted
        back, and only then moved over the earlier file: a full disk leaves that file as it was. Others (a
        shapefile's set of files, a layer added to a GeoPackage) are written in place and counted back: a full
        disk is then an error, not a success, but the earlier file is gone, as with QGIS's own algorithms; a
        layer added anew to a GeoPackage, or a GeoPackage made anew for it, is taken out again (``AddedTable``)."""
        done = list(rows)
        wkb_type = _holding_multiparts(wkb_type, done)
        destination = self.parameterAsOutputLayer(parameters, OUTPUT, context)
        path = output_file(destination)
        if path is not None and path.lower().endswith(".shp"):
            _warn_shapefile(fields, done, feedback)
        if path is not None and path.lower().endswith(".fgb"):
            _check_flatgeobuf(done, path)
        written = _staged(parameters, path)
        added = AddedTable.before(destination, path)
        try:
            if written is not None:
                parameters = {**parameters, OUTPUT: _redirected(parameters[OUTPUT], written)}
            try:
                with naming_the_users_file(context, written, path):
                    dest_id = self._write_rows(done, parameters, context, feedback, (fields, wkb_type, crs))
            except QgsProcessingException as error:
                raise QgsProcessingException(_write_failure(path, written, error)) from None
            if path is not None:
                dest_id = _renamed(context, dest_id, _readable(dest_id, path))
                _check_written(dest_id, path, len(done), written, added)
                if written is not None:
                    dest_id = _moved_over(context, dest_id, written, path)
        except QgsProcessingException as error:
            undone = added.undo() if added is not None else ""
            raise QgsProcessingException(f"{error}; {undone}" if undone else str(error)) from None
        finally:
            if written is not None:
                shutil.rmtree(os.path.dirname(written), ignore_errors=True)
        return dest_id

    def _write_rows(
        self,
        rows: list[QgsFeature],
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
        layout: tuple[QgsFields, QgsWkbTypes.Type, QgsCoordinateReferenceSystem],
    ) -> str:
        """Create OUTPUT's sink (fields, geometry type, CRS), write ``rows`` and close it; its destination id."""
        sink, dest_id = self.parameterAsSink(parameters, OUTPUT, context, *layout)
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, OUTPUT))
        feedback.pushInfo(f"Writing {len(rows):,} rows to OUTPUT")  # 140,000 take 2 s, progress at 100 %
        for row in rows:
            if not sink.addFeature(row, QgsFeatureSink.Flag.FastInsert):
                raise QgsProcessingException(self.writeFeatureError(sink, parameters, OUTPUT))
        # Closed here, a GeoPackage commits its rows: on a full disk that fails, which QGIS does not report.
        del sink
        return dest_id

    def curves(
        self,
        source: QgsProcessingFeatureSource,
        crs: QgsCoordinateReferenceSystem,
        cutoffs: Sequence[float],
        feedback: QgsProcessingFeedback,
        target: TargetDraws | None = None,
    ) -> Iterator[tuple[QgsFeature, list[TonnageResult] | None, ExplorationTarget | None]]:
        """Each feature with its results at ``cutoffs`` and, with ``target``, its exploration target from the
        same read, in order (None for a feature the engine rejects, after a message), its warnings reported
        once. One batch pass: the engine reads the next features' rasters while it sums the current one; an
        error about the rasters stops the run."""
        pending: deque[QgsFeature] = deque()  # features handed to the engine, not yet answered

        def geometries() -> Iterator[QgsGeometry]:
            for feature in self.each_feature(source, feedback):
                pending.append(feature)
                yield feature.geometry()

        try:
            # the engine asks between tiles too (about 0.1 s of work apart): a cancel acts inside one polygon
            for estimate in curves_for_geometries(
                geometries(), crs, self.inputs, cutoffs, cancelled=feedback.isCanceled, target=target
            ):
                feature = pending.popleft()
                if isinstance(estimate, TonnageInputError):
                    feedback.reportError(f"{feature_label(feature)}: {estimate}; written with empty results.", False)
                    yield feature, None, None
                else:
                    results, area_target = estimate
                    self.push_warnings(feature, (w for r in results for w in r.warnings), feedback)
                    yield feature, results, area_target
        except TonnageCancelled:
            feedback.pushInfo(CANCELLED_INFO)
        except TonnageInputError as error:
            raise QgsProcessingException(str(error)) from None

    @staticmethod
    def each_feature(source: QgsProcessingFeatureSource, feedback: QgsProcessingFeedback) -> Iterator[QgsFeature]:
        """Features with progress, stopping between features when the user cancels.

        QGIS's invalid-geometry filter is skipped: the engine repairs an invalid polygon and says so, which
        beats aborting a whole batch (the default setting) or silently dropping the zone.
        """
        total = source.featureCount()
        step = 100.0 / total if total > 0 else 0.0
        features = source.getFeatures(QgsFeatureRequest(), SKIP_GEOMETRY_VALIDITY)
        for done, feature in enumerate(features):
            if feedback.isCanceled():
                feedback.pushInfo(CANCELLED_INFO)
                return
            yield feature
            feedback.setProgress((done + 1) * step)

    @staticmethod
    def push_warnings(feature: QgsFeature, warnings: Iterable[str], feedback: QgsProcessingFeedback) -> None:
        label = feature_label(feature)
        for warning in dict.fromkeys(warnings):  # the curve repeats a warning for every cut-off
            feedback.pushWarning(f"{label}: {warning}")
