"""Parameters every tonnage algorithm shares, and their conversion into the engine's ``EstimateInputs``.

The estimate, curve and report algorithms define and read grade, unit, density and thickness the same way,
so a model or a batch run can feed one algorithm's choices to another and get the same figures.
"""

from __future__ import annotations

import math
import os
from typing import Any

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingParameterBand,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProject,
)
from qgis.PyQt.QtCore import QVariant

from ..core.tonnage import TonnageInputError, TonnageParams
from ..core.tonnage_raster_io import raster_problem
from ..core.units import DEFAULT_DENSITY, GRADE_UNITS, UNIT_LABELS, standard_cutoffs
from ..estimation import EstimateInputs, raster_path
from ..layers import ROLE_GRADE, layer_by_role
from ..qgis_compat import NUMBER_DOUBLE

GRADE = "GRADE"
GRADE_BAND = "GRADE_BAND"
GRADE_UNIT = "GRADE_UNIT"
CUTOFF = "CUTOFF"
CUTOFFS = "CUTOFFS"
DENSITY = "DENSITY"
DENSITY_RASTER = "DENSITY_RASTER"
THICKNESS = "THICKNESS"
THICKNESS_RASTER = "THICKNESS_RASTER"
TOP_DEPTH = "TOP_DEPTH"
TOP_DEPTH_RASTER = "TOP_DEPTH_RASTER"
MIN_DEPTH = "MIN_DEPTH"
MAX_DEPTH = "MAX_DEPTH"

#: What the Processing dialog calls the parameters; messages name them so, with the id for scripts.
LABELS = {
    GRADE: "Grade raster (TREO)",
    GRADE_BAND: "Grade band",
    THICKNESS: "Constant thickness (m)",
    THICKNESS_RASTER: "Thickness raster (m)",
    DENSITY_RASTER: "Density raster (t/m³), replaces the constant density",
}


def label(name: str) -> str:
    """A parameter as the user sees it in messages: its label, then its id for scripts and qgis_process."""
    return f"“{LABELS[name]}” ({name})" if name in LABELS else name


def _project_layer(role: str) -> str | None:
    """The current project's layer of ``role`` (the loaded sample), so the dialog does not preselect the first
    raster it finds (the thickness raster, say) as the grade raster; None elsewhere."""
    layer = layer_by_role(QgsProject.instance(), role)
    return layer.id() if layer is not None else None


#: Enum options in the order of ``GRADE_UNITS`` (0 percent, 1 ppm): models and scripts store the index.
UNIT_OPTIONS = ["percent (%)", "ppm (g/t)"]

HELP_COMMON = (
    "<p>Every raster cell counts with the <b>exact fraction</b> of its area that the polygon covers (no "
    "centre-point sampling), polygons are reprojected into the grade raster's CRS, and geographic rasters "
    "use true ellipsoidal cell areas.</p>"
    "<p>Ore tonnes = covered area × thickness (m) × density (t/m³) for cells with grade ≥ cut-off; mean "
    "grade is tonnage-weighted, in the grade unit (percent or ppm; 0.1 % = 1,000 ppm = 1,000 g/t); TREO "
    "tonnes = ore tonnes × grade; TREE (metal) = TREO / 1.20. Give exactly one of a constant thickness or a "
    "thickness raster; a density raster, when given, replaces the constant density. Areas are in m², masses "
    "in tonnes.</p>"
    "<p>Depth window: with a depth to the top of mineralisation (TOP_DEPTH, or a TOP_DEPTH_RASTER) and a "
    "MIN_DEPTH / MAX_DEPTH below surface, a cell counts only the part of [top, top + thickness] inside "
    "[MIN_DEPTH, MAX_DEPTH] (empty: unbounded).</p>"
    "<p>Results are <b>exploration targets</b> (GKZ-style prognostic figures), not Mineral Resources.</p>"
)


def add_raster_parameters(alg: QgsProcessingAlgorithm, cutoff: QgsProcessingParameterDefinition | None = None) -> None:
    """Grade raster, band and unit, ``cutoff`` when given, density, thickness (a constant or a raster)."""
    alg.addParameter(QgsProcessingParameterRasterLayer(GRADE, LABELS[GRADE], _project_layer(ROLE_GRADE)))
    # Optional so that scripts and qgis_process may leave it out: QGIS 3.22 rejects a missing required band
    # even when it has a default.
    alg.addParameter(QgsProcessingParameterBand(GRADE_BAND, LABELS[GRADE_BAND], 1, GRADE, optional=True))
    alg.addParameter(QgsProcessingParameterEnum(GRADE_UNIT, "Grade unit", UNIT_OPTIONS, defaultValue=0))
    if cutoff is not None:
        alg.addParameter(cutoff)
    alg.addParameter(
        QgsProcessingParameterNumber(DENSITY, "Bulk density (t/m³)", NUMBER_DOUBLE, DEFAULT_DENSITY, minValue=0.0)
    )
    alg.addParameter(QgsProcessingParameterRasterLayer(DENSITY_RASTER, LABELS[DENSITY_RASTER], optional=True))
    alg.addParameter(
        QgsProcessingParameterNumber(THICKNESS, LABELS[THICKNESS], NUMBER_DOUBLE, optional=True, minValue=0.0)
    )
    alg.addParameter(QgsProcessingParameterRasterLayer(THICKNESS_RASTER, LABELS[THICKNESS_RASTER], optional=True))
    add_depth_window_parameters(alg)


def add_depth_window_parameters(alg: QgsProcessingAlgorithm) -> None:
    """Depth to the top of mineralisation (constant or raster) and the depth window counted (m below
    surface): the thickness counts only where [top, top + thickness] overlaps [MIN_DEPTH, MAX_DEPTH]."""
    alg.addParameter(
        QgsProcessingParameterNumber(
            TOP_DEPTH, "Depth to the top of mineralisation (m)", NUMBER_DOUBLE, 0.0, optional=True, minValue=0.0
        )
    )  # optional: models saved before it existed stay valid
    alg.addParameter(
        QgsProcessingParameterRasterLayer(
            TOP_DEPTH_RASTER, "Top-of-mineralisation depth raster (m), replaces the constant depth", optional=True
        )
    )
    for name, label in (
        (MIN_DEPTH, "Minimum depth counted (m below surface; empty: from surface)"),
        (MAX_DEPTH, "Maximum depth counted (m below surface; empty: no limit)"),
    ):
        alg.addParameter(QgsProcessingParameterNumber(name, label, NUMBER_DOUBLE, optional=True, minValue=0.0))


def cutoff_parameter() -> QgsProcessingParameterNumber:
    """One cut-off grade (CUTOFF), for ``add_raster_parameters(alg, cutoff_parameter())``."""
    parameter = QgsProcessingParameterNumber(
        CUTOFF, "Cut-off grade (in the grade unit)", NUMBER_DOUBLE, 0.0, minValue=0.0
    )
    parameter.setMetadata({"widget_wrapper": {"decimals": 3}})  # 0.050, not 0.050000
    return parameter


def cutoffs_parameter() -> QgsProcessingParameterString:
    """A comma-separated list of cut-offs (CUTOFFS); empty means the standard ones for the grade unit."""
    standard = "; ".join(
        f"{', '.join(f'{c:g}' for c in standard_cutoffs(unit))} {UNIT_LABELS[unit]}" for unit in GRADE_UNITS
    )
    return QgsProcessingParameterString(
        CUTOFFS, f"Cut-off grades, comma-separated (empty: {standard})", defaultValue="", optional=True
    )


def is_set(value: Any) -> bool:
    """Whether an optional parameter was given: unset ones arrive as missing, None, NULL or ''."""
    if value is None or (isinstance(value, QVariant) and value.isNull()):
        return False
    return not (isinstance(value, str) and not value.strip())


def check_thickness_choice(parameters: dict[str, Any]) -> str:
    """An error message unless exactly one of THICKNESS and THICKNESS_RASTER is given; '' when fine."""
    given = is_set(parameters.get(THICKNESS)) + is_set(parameters.get(THICKNESS_RASTER))
    if given == 1:
        return ""
    problem = "both are set" if given == 2 else "neither is set"
    return f"Give exactly one of {label(THICKNESS)} and {label(THICKNESS_RASTER)}: {problem}."


def check_raster_inputs(parameters: dict[str, Any], context: QgsProcessingContext) -> str:
    """Why the thickness choice, the depth window or a raster file cannot be used ('' when all can): told by
    ``checkParameterValues``, before the run."""
    return (
        check_thickness_choice(parameters) or check_depth_window(parameters) or check_raster_files(parameters, context)
    )


class RasterChecks:
    """Mixin for algorithms with the raster parameters: the thickness choice, the depth window and the raster
    files are checked before the run (``check_raster_inputs``; the dialog shows the message)."""

    def checkParameterValues(  # noqa: N802 - QGIS API name
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
    ) -> tuple[bool, str]:
        problem = check_raster_inputs(parameters, context)
        if problem:
            return False, problem
        return super().checkParameterValues(parameters, context)


#: The raster parameters, each checked before a run (``check_raster_files``).
RASTERS = (GRADE, THICKNESS_RASTER, DENSITY_RASTER, TOP_DEPTH_RASTER)


def check_raster_files(parameters: dict[str, Any], context: QgsProcessingContext) -> str:
    """Why a raster parameter given as a file that exists cannot be read ('' when each can): QGIS's own check
    said "Could not load source layer for GRADE: grade.tif not found" of a file that is there but damaged or
    not a raster. A project layer's id or name, or a file that is not there, is left to QGIS."""
    project = context.project()
    for name in RASTERS:
        value = parameters.get(name)
        if not isinstance(value, str) or not os.path.exists(value):
            continue
        if project is not None and (project.mapLayer(value) or project.mapLayersByName(value)):
            continue
        problem = raster_problem(value, label(name))
        if problem:
            return problem
    return ""


def check_depth_window(parameters: dict[str, Any]) -> str:
    """An error message when MAX_DEPTH ends the window at the surface, or MIN_DEPTH and MAX_DEPTH leave it empty;
    '' when fine."""
    low, high = (_given_depth(parameters, name) for name in (MIN_DEPTH, MAX_DEPTH))
    if high is not None and not high > 0:
        return f"{MAX_DEPTH}: give a depth below the surface (above 0 m), got {high:g} m: no ore would count"
    if low is None or high is None or low < high:
        return ""
    return f"{MIN_DEPTH}: must be less than {MAX_DEPTH} ({low:g} m >= {high:g} m)"


def _given_depth(parameters: dict[str, Any], name: str) -> float | None:
    """The depth ``name`` as given; None when unset (or an expression Processing evaluates later)."""
    try:
        return float(parameters[name])
    except (KeyError, TypeError, ValueError):
        return None


def grade_unit(alg: QgsProcessingAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext) -> str:
    return GRADE_UNITS[alg.parameterAsEnum(parameters, GRADE_UNIT, context)]


def parse_cutoffs(text: str, unit: str) -> tuple[float, ...]:
    """Comma-separated cut-offs, sorted and without repeats; empty text means the standard ones for ``unit``.

    Raises ``ValueError`` with a message naming CUTOFFS and the offending item.
    """
    items = [item.strip() for item in (text or "").split(",")]
    if not any(items):
        return standard_cutoffs(unit)
    values = set()
    for item in items:
        try:
            value = float(item)
        except ValueError:
            raise ValueError(f"{CUTOFFS}: '{item}' is not a number (give e.g. 0, 0.05, 0.1)") from None
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{CUTOFFS}: cut-offs must be finite and zero or more, got '{item}'")
        values.add(value)
    return tuple(sorted(values))


def cutoffs_from_parameters(
    alg: QgsProcessingAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext
) -> tuple[float, ...]:
    try:
        return parse_cutoffs(alg.parameterAsString(parameters, CUTOFFS, context), grade_unit(alg, parameters, context))
    except ValueError as error:
        raise QgsProcessingException(str(error)) from None


def inputs_from_parameters(
    alg: QgsProcessingAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext
) -> EstimateInputs:
    """Raster files and constants for the engine; bad input raises ``QgsProcessingException`` naming it.

    Reads CUTOFF when the algorithm has it (0 otherwise). Call it from ``prepareAlgorithm`` so that project
    layers are only read on the thread that owns them.
    """
    problem = check_thickness_choice(parameters)
    if problem:
        raise QgsProcessingException(problem)
    try:
        grade_path = _raster_file(alg, parameters, GRADE, context)
        band = alg.parameterAsInt(parameters, GRADE_BAND, context)
        band_count = alg.parameterAsRasterLayer(parameters, GRADE, context).bandCount()
        if not 1 <= band <= band_count:
            raise TonnageInputError(
                f"{label(GRADE_BAND)}: band {band} does not exist; the grade raster "
                f"'{grade_path}' has {band_count} band(s)"
            )
        params = TonnageParams(
            cutoff=(
                alg.parameterAsDouble(parameters, CUTOFF, context)
                if alg.parameterDefinition(CUTOFF) is not None
                else 0.0
            ),
            grade_unit=grade_unit(alg, parameters, context),
            grade_band=band,
            density=alg.parameterAsDouble(parameters, DENSITY, context),
            density_raster=_optional_raster_file(alg, parameters, DENSITY_RASTER, context),
            thickness=(
                alg.parameterAsDouble(parameters, THICKNESS, context) if is_set(parameters.get(THICKNESS)) else None
            ),
            thickness_raster=_optional_raster_file(alg, parameters, THICKNESS_RASTER, context),
            **depth_window_from_parameters(alg, parameters, context),
        )
        params.validate()  # once here, rather than once per feature inside the engine
    except (TonnageInputError, ValueError) as error:
        raise QgsProcessingException(str(error)) from None
    return EstimateInputs(grade_path=grade_path, params=params)


def depth_window_from_parameters(
    alg: QgsProcessingAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext
) -> dict[str, Any]:
    """``TonnageParams`` keywords of the depth window; an algorithm without these parameters gets none."""
    if alg.parameterDefinition(TOP_DEPTH) is None:
        return {}

    def optional(name: str) -> float | None:
        return alg.parameterAsDouble(parameters, name, context) if is_set(parameters.get(name)) else None

    window = {
        "top_depth": optional(TOP_DEPTH) or 0.0,
        "top_depth_raster": _optional_raster_file(alg, parameters, TOP_DEPTH_RASTER, context),
        "min_depth": optional(MIN_DEPTH),
        "max_depth": optional(MAX_DEPTH),
    }
    problem = check_depth_window({MIN_DEPTH: window["min_depth"], MAX_DEPTH: window["max_depth"]})
    if problem:
        raise TonnageInputError(problem)
    return window


def _raster_file(
    alg: QgsProcessingAlgorithm, parameters: dict[str, Any], name: str, context: QgsProcessingContext
) -> str:
    layer = alg.parameterAsRasterLayer(parameters, name, context)
    if layer is None and is_set(parameters.get(name)):
        raise TonnageInputError(f"{label(name)}: cannot open raster '{parameters.get(name)}'")
    return raster_path(layer, label(name))


def _optional_raster_file(
    alg: QgsProcessingAlgorithm, parameters: dict[str, Any], name: str, context: QgsProcessingContext
) -> str | None:
    return _raster_file(alg, parameters, name, context) if is_set(parameters.get(name)) else None
