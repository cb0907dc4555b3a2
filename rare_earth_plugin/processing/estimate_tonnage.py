"""``rareearth:estimatetonnage``: ore tonnes, mean grade and contained TREO/TREE for every input polygon."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from qgis.core import (
    QgsFeature,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingUtils,
)

from ..core.result_fields import RESULT_SCHEMA, result_values
from ..qgis_compat import new_fields
from .tonnage_algorithm import OUTPUT, TonnageAlgorithm


class EstimateTonnageAlgorithm(TonnageAlgorithm):
    NAME = "estimatetonnage"
    DISPLAY_NAME = "Estimate tonnage in polygons"
    HELP = (
        "<p>For every polygon of the input layer: polygon area (area_m2, m²), ore tonnes at or above the "
        "cut-off (ore_t), tonnage-weighted mean grade of that ore (grade_mean, in the grade unit; empty "
        "when there is no ore), contained oxide and metal (treo_t, tree_t, tonnes) and the fraction of "
        "the polygon with data (coverage, 0-1); a polygon without data (coverage 0) gets no figures of "
        "ore (empty, not 0). The input fields are kept; a result name the input already uses gets a "
        "suffix (ore_t_2).</p>"
        "<p>A polygon that cannot be estimated (empty or not a polygon) is reported and written with "
        "empty results.</p>"
    )
    OUTPUT_LABEL = "Tonnage"

    def processAlgorithm(  # noqa: N802
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        source, crs = self.input_source(parameters, context)
        fields = QgsProcessingUtils.combineFields(source.fields(), new_fields(RESULT_SCHEMA))

        def rows() -> Iterator[QgsFeature]:
            for feature, results, _ in self.curves(source, crs, (self.inputs.params.cutoff,), feedback):
                out = QgsFeature(fields)
                out.setGeometry(feature.geometry())
                result = results[0] if results is not None else None
                out.setAttributes(feature.attributes() + result_values(result))
                yield out

        return {OUTPUT: self.write_output(rows(), parameters, context, feedback, fields, source.wkbType(), crs)}
