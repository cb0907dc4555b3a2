"""``rareearth:gradetonnagecurve``: a grade-tonnage table, one row per input polygon and cut-off.

A low-grade bulk-tonnage target has no single right cut-off, so users compare the whole curve; the engine
computes all cut-offs of a polygon in one pass over the rasters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterDefinition,
)

from ..areas import feature_name
from ..core.result_fields import CURVE_RESULTS, CURVE_SCHEMA, result_values
from ..core.units import PERCENT
from ..qgis_compat import SOURCE_VECTOR, WKB_NO_GEOMETRY, new_fields
from .raster_inputs import (
    CUTOFFS,
    cutoffs_from_parameters,
    cutoffs_parameter,
    parse_cutoffs,
)
from .tonnage_algorithm import OUTPUT, TonnageAlgorithm


class GradeTonnageCurveAlgorithm(TonnageAlgorithm):
    cutoffs: tuple[float, ...]

    NAME = "gradetonnagecurve"
    DISPLAY_NAME = "Grade-tonnage curve for polygons"
    HELP = (
        "<p>A table without geometry: for every input polygon (feature_id; name from its name, Name or NAME "
        "field, else zone or title, else 'layer #feature id') and every cut-off grade in CUTOFFS (sorted, "
        "in the grade unit), the ore "
        "tonnes at or above the cut-off (ore_t), their tonnage-weighted mean grade (grade_mean, empty "
        "when there is no ore) and contained oxide and metal (treo_t, tree_t, tonnes), all empty for a "
        "polygon without data. Ore tonnes never grow as the cut-off rises.</p>"
        "<p>A polygon that cannot be estimated is reported and gets one row per cut-off with empty "
        "results.</p>"
    )
    OUTPUT_LABEL = "Grade-tonnage curve"
    OUTPUT_TYPE = SOURCE_VECTOR

    def cutoff_parameter(self) -> QgsProcessingParameterDefinition:
        return cutoffs_parameter()

    def checkParameterValues(  # noqa: N802 - QGIS API name
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
    ) -> tuple[bool, str]:
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        try:  # the unit only picks the standard cut-offs for an empty list, so any unit checks the syntax
            parse_cutoffs(self.parameterAsString(parameters, CUTOFFS, context), PERCENT)
        except ValueError as error:
            return False, str(error)
        return True, ""

    def prepareAlgorithm(  # noqa: N802
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> bool:
        self.cutoffs = cutoffs_from_parameters(self, parameters, context)
        return super().prepareAlgorithm(parameters, context, feedback)

    def processAlgorithm(  # noqa: N802
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        source, crs = self.input_source(parameters, context)
        fields = new_fields(CURVE_SCHEMA)
        feedback.pushInfo(f"Cut-offs: {', '.join(f'{c:g}' for c in self.cutoffs)}")

        def rows() -> Iterator[QgsFeature]:
            for feature, results, _ in self.curves(source, crs, self.cutoffs, feedback):
                for index, cutoff in enumerate(self.cutoffs):
                    row = QgsFeature(fields)
                    values = result_values(results[index] if results is not None else None, CURVE_RESULTS)
                    row.setAttributes([feature.id(), feature_name(feature, source.sourceName()), cutoff, *values])
                    yield row

        dest_id = self.write_output(
            rows(), parameters, context, feedback, fields, WKB_NO_GEOMETRY, QgsCoordinateReferenceSystem()
        )
        return {OUTPUT: dest_id}
