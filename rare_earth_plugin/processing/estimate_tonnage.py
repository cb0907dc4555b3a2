"""``rareearth:estimatetonnage``: ore tonnes, mean grade and contained TREO/TREE for every input polygon."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsFeature,
    QgsFields,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingUtils,
)

from ..core.tonnage import TonnageResult
from ..qgis_compat import SOURCE_VECTOR_POLYGON, new_field
from .raster_inputs import HELP_COMMON, add_raster_parameters, cutoff_parameter
from .tonnage_algorithm import INPUT, OUTPUT, TonnageAlgorithm, finite_or_null

#: Output field -> the TonnageResult attribute it holds.
RESULT_FIELDS = {
    "area_m2": "polygon_area_m2",
    "ore_t": "ore_tonnes",
    "grade_mean": "mean_grade",
    "treo_t": "treo_tonnes",
    "tree_t": "tree_tonnes",
    "coverage": "data_coverage",
}


def result_fields() -> QgsFields:
    fields = QgsFields()
    for name in RESULT_FIELDS:
        fields.append(new_field(name, "double"))
    return fields


def result_values(result: TonnageResult | None) -> list[float | None]:
    if result is None:
        return [None] * len(RESULT_FIELDS)
    return [finite_or_null(getattr(result, attribute)) for attribute in RESULT_FIELDS.values()]


class EstimateTonnageAlgorithm(TonnageAlgorithm):
    def name(self) -> str:
        return "estimatetonnage"

    def displayName(self) -> str:  # noqa: N802 - QGIS API name
        return "Estimate tonnage in polygons"

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API name
        return (
            "<p>For every polygon of the input layer: polygon area (area_m2, m²), ore tonnes at or above the "
            "cut-off (ore_t), tonnage-weighted mean grade of that ore (grade_mean, in the grade unit; empty "
            "when there is no ore), contained oxide and metal (treo_t, tree_t, tonnes) and the fraction of "
            "the polygon with data (coverage, 0-1). The input fields are kept; a result name the input "
            "already uses gets a suffix (ore_t_2).</p>"
            "<p>A polygon that cannot be estimated (empty or not a polygon) is reported and written with "
            "empty results.</p>" + HELP_COMMON
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802, ARG002 - QGIS API
        self.addParameter(QgsProcessingParameterFeatureSource(
            INPUT, "Polygons", [SOURCE_VECTOR_POLYGON]))
        add_raster_parameters(self, cutoff_parameter())
        self.addParameter(QgsProcessingParameterFeatureSink(
            OUTPUT, "Tonnage", SOURCE_VECTOR_POLYGON))

    def processAlgorithm(self, parameters: dict[str, Any], context: QgsProcessingContext,  # noqa: N802
                         feedback: QgsProcessingFeedback) -> dict[str, Any]:
        source, crs = self.input_source(parameters, context)
        fields = QgsProcessingUtils.combineFields(source.fields(), result_fields())
        sink, dest_id = self.output_sink(parameters, context, fields, source.wkbType(), crs)
        for feature, results in self.curves(source, crs, (self.inputs.params.cutoff,), feedback):
            out = QgsFeature(fields)
            out.setGeometry(feature.geometry())
            result = results[0] if results is not None else None
            out.setAttributes(feature.attributes() + result_values(result))
            self.write(sink, out, parameters)
        return {OUTPUT: dest_id}
