"""``rareearth:exportreport``: the PDF report of an area layer, with optional CSV and GeoPackage beside it.

Runs on the main thread (``FlagNoThreading``) because print layouts render there; estimating is fast enough
that this does not freeze QGIS for long, and ``qgis_process`` runs it headless.
"""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsFillSymbol,
    QgsMapLayer,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsSingleSymbolRenderer,
)

from ..areas import areas_from_layer
from ..core.exploration_target import few_draws_warning
from ..core.tonnage import TonnageInputError
from ..layers import ROLE_REGION, layer_by_role
from ..qgis_compat import NO_THREADING, SOURCE_VECTOR_POLYGON
from ..report.area_results import estimate_areas
from ..report.errors import ReportError
from ..report.export import ReportTargets, write_report
from ..report.layout_builder import ReportLayers
from ..report.meta import meta_from_settings
from .exploration_target import RangeChecks, add_target_parameters
from .raster_inputs import (
    GRADE,
    HELP_COMMON,
    RasterChecks,
    add_raster_parameters,
    cutoff_parameter,
    inputs_from_parameters,
)
from .report_statement import add_statement_parameters, target_options_from_parameters
from .tonnage_algorithm import INPUT, checked_input_crs

OUTPUT_PDF = "OUTPUT_PDF"
OUTPUT_CSV = "OUTPUT_CSV"
OUTPUT_GPKG = "OUTPUT_GPKG"
TITLE = "TITLE"
AUTHOR = "AUTHOR"
ORGANISATION = "ORGANISATION"
LOGO = "LOGO"
#: Areas loaded from a file by Processing carry QGIS's default opaque fill, which would hide the grade map.
AREA_OUTLINE = {"color": "0,0,0,0", "outline_color": "#08306b", "outline_width": "0.5"}


def _in_project(layer: QgsMapLayer, context: QgsProcessingContext) -> bool:
    project = context.project()
    return project is not None and project.mapLayer(layer.id()) is not None


class ExportReportAlgorithm(RangeChecks, RasterChecks, QgsProcessingAlgorithm):
    def name(self) -> str:
        return "exportreport"

    def displayName(self) -> str:  # noqa: N802 - QGIS API name
        return "Export report (PDF, CSV, GeoPackage)"

    def group(self) -> str:
        return "Reports"

    def groupId(self) -> str:  # noqa: N802 - QGIS API name
        return "reports"

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API name
        return (
            "<p>A PDF report of every polygon of the area layer: a summary page (maps, table of all "
            "areas, assumptions) and one page per area with its grade-tonnage chart and a table at "
            "standard cut-offs. The CSV and the GeoPackage hold the same figures. Files are replaced "
            "only when complete. The layout comes from resources/templates/report.qpt.</p>" + HELP_COMMON
        )

    def createInstance(self) -> ExportReportAlgorithm:  # noqa: N802 - QGIS API name
        return ExportReportAlgorithm()

    def flags(self):
        return super().flags() | NO_THREADING

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802, ARG002 - QGIS API
        self.addParameter(
            QgsProcessingParameterVectorLayer(INPUT, "Areas (zones or survey areas)", [SOURCE_VECTOR_POLYGON])
        )
        add_raster_parameters(self, cutoff_parameter())
        for key, label in ((TITLE, "Report title"), (AUTHOR, "Author"), (ORGANISATION, "Organisation")):
            self.addParameter(QgsProcessingParameterString(key, f"{label} (empty: the last one used)", optional=True))
        self.addParameter(
            QgsProcessingParameterFile(
                LOGO,
                "Logo image (PNG, JPEG or SVG; empty: the last one used)",
                optional=True,
                fileFilter="Images (*.png *.jpg *.jpeg *.svg)",
            )
        )
        add_target_parameters(self)
        add_statement_parameters(self)
        self.addParameter(QgsProcessingParameterFileDestination(OUTPUT_PDF, "Report (PDF)", "PDF files (*.pdf)"))
        self.addParameter(
            QgsProcessingParameterFileDestination(
                OUTPUT_CSV, "Results (CSV)", "CSV files (*.csv)", optional=True, createByDefault=False
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                OUTPUT_GPKG,
                "Areas with results (GeoPackage)",
                "GeoPackage (*.gpkg)",
                optional=True,
                createByDefault=False,
            )
        )

    def processAlgorithm(  # noqa: N802
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        inputs = inputs_from_parameters(self, parameters, context)
        options = target_options_from_parameters(self, parameters, context, inputs.params)
        layer = self.parameterAsVectorLayer(parameters, INPUT, context)
        grade = self.parameterAsRasterLayer(parameters, GRADE, context)
        outputs = {
            key: self.parameterAsFileOutput(parameters, key, context) for key in (OUTPUT_PDF, OUTPUT_CSV, OUTPUT_GPKG)
        }
        if layer is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, INPUT))
        checked_input_crs(layer.crs(), layer.name())
        if not _in_project(layer, context):  # the user's own layers keep their style
            layer.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple(AREA_OUTLINE)))
        try:
            targets = ReportTargets.checked(
                outputs[OUTPUT_PDF], outputs[OUTPUT_CSV] or None, outputs[OUTPUT_GPKG] or None
            )

            def skipped(message: str) -> None:  # a feature left out, named: not fatal to the report
                feedback.reportError(message, False)

            areas = areas_from_layer(layer, skipped=skipped)
            if not areas:  # the dock's "select at least one zone" means nothing here
                raise ReportError(f"INPUT: the layer '{layer.name()}' has no polygons to report")
            feedback.pushInfo(f"Estimating {len(areas)} area(s) from '{layer.name()}'")
            if warning := few_draws_warning(options.draws):
                feedback.pushWarning(warning)
            results = estimate_areas(
                areas,
                inputs,
                progress=lambda p: feedback.setProgress(0.8 * p),
                cancelled=feedback.isCanceled,
                target=options,
                skipped=skipped,
            )
            for result in results:  # as the other algorithms log them; the report prints them too
                for warning in result.figures.warnings:
                    feedback.pushWarning(f"{result.area.name}: {warning}")
            feedback.pushInfo("Writing the report")
            region = layer_by_role(context.project(), ROLE_REGION) if context.project() is not None else None
            meta = meta_from_settings(
                *(self.parameterAsString(parameters, key, context).strip() for key in (TITLE, AUTHOR, ORGANISATION)),
                logo=self.parameterAsFile(parameters, LOGO, context) or "",
            )
            write_report(results, inputs, ReportLayers([layer], grade, region), meta, targets, target_options=options)
        except (ReportError, TonnageInputError) as error:
            raise QgsProcessingException(str(error)) from None
        feedback.setProgress(100)
        return {
            OUTPUT_PDF: str(targets.pdf),
            OUTPUT_CSV: str(targets.csv) if targets.csv else None,
            OUTPUT_GPKG: str(targets.gpkg) if targets.gpkg else None,
        }
