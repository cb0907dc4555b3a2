"""``rareearth:explorationtarget``: an Exploration Target for every input polygon, as the reporting codes
quote one: low / base / high cases and P90 / P50 / P10 of ore tonnes, mean grade and contained TREO."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from qgis.core import (
    QgsFeature,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingUtils,
)

from ..core.exploration_target import DEFAULT_DRAWS, DEFAULT_SEED, MAX_DRAWS, MAX_SEED, few_draws_warning
from ..core.result_fields import finite_or_null
from ..core.target_fields import TARGET_SCHEMA, target_values, text_values
from ..core.target_ranges import (
    DEFAULT_DENSITY,
    DEFAULT_GRADE_FACTOR,
    DEFAULT_THICKNESS_FACTOR,
    RangeError,
    TargetRanges,
    default_density,
)
from ..core.target_text import CAUTION, case_statement, percentile_statement
from ..core.tonnage import TonnageParams
from ..qgis_compat import NUMBER_INTEGER, new_fields
from ..report.target_options import TargetOptions
from .raster_inputs import DENSITY, DENSITY_RASTER
from .tonnage_algorithm import OUTPUT, TonnageAlgorithm, feature_label

DENSITY_RANGE = "DENSITY_RANGE"
THICKNESS_FACTOR_RANGE = "THICKNESS_FACTOR_RANGE"
GRADE_FACTOR_RANGE = "GRADE_FACTOR_RANGE"
DRAWS = "DRAWS"
SEED = "SEED"
RANGE_PARAMETERS = (DENSITY_RANGE, THICKNESS_FACTOR_RANGE, GRADE_FACTOR_RANGE)


def add_target_parameters(alg: QgsProcessingAlgorithm) -> None:
    """The ranges (each "low,likely,high", empty: the default), DRAWS and SEED."""
    for name, label, default in (
        (DENSITY_RANGE, "Bulk density range, t/m³ (low,likely,high)", DEFAULT_DENSITY),
        (THICKNESS_FACTOR_RANGE, "Thickness factor range (low,likely,high)", DEFAULT_THICKNESS_FACTOR),
        (GRADE_FACTOR_RANGE, "Grade factor range (low,likely,high)", DEFAULT_GRADE_FACTOR),
    ):
        hint = "empty: ±0.1 around the constant density" if name == DENSITY_RANGE else "empty: default"
        alg.addParameter(QgsProcessingParameterString(name, f"{label}; {hint} {default.csv()}", optional=True))
    alg.addParameter(
        QgsProcessingParameterNumber(
            DRAWS, "Monte Carlo draws", NUMBER_INTEGER, DEFAULT_DRAWS, minValue=1, maxValue=MAX_DRAWS
        )
    )
    alg.addParameter(
        QgsProcessingParameterNumber(
            SEED,
            "Random seed (the same seed gives the same figures)",
            NUMBER_INTEGER,
            DEFAULT_SEED,
            minValue=0,
            maxValue=MAX_SEED,  # a larger one would be read as 0
        )
    )


def check_range_texts(alg: QgsProcessingAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext) -> str:
    """A message naming the range parameter whose text cannot be used, or the constant density that has no
    range (0, without a density range or raster); '' when all are fine."""
    texts = [alg.parameterAsString(parameters, name, context) for name in RANGE_PARAMETERS]
    try:
        TargetRanges.parse(*texts, names=RANGE_PARAMETERS)
        has_density = alg.parameterDefinition(DENSITY) is not None
        if has_density and not texts[0].strip() and not parameters.get(DENSITY_RASTER):
            default_density(alg.parameterAsDouble(parameters, DENSITY, context))
    except RangeError as error:
        return str(error)
    return ""


def target_parameters(
    alg: QgsProcessingAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext, params: TonnageParams
) -> tuple[TargetRanges, int, int]:
    """Ranges (the density default centred on a constant density), draws and seed; bad text raises
    ``QgsProcessingException`` naming the parameter."""
    texts = [alg.parameterAsString(parameters, name, context) for name in RANGE_PARAMETERS]
    try:
        # a density range given replaces the constant density, whatever it is (0 too)
        constant = None if params.density_raster or texts[0].strip() else params.density
        ranges = TargetRanges.parse(*texts, density_default=default_density(constant), names=RANGE_PARAMETERS)
    except RangeError as error:
        raise QgsProcessingException(str(error)) from None
    return ranges, alg.parameterAsInt(parameters, DRAWS, context), alg.parameterAsInt(parameters, SEED, context)


class RangeChecks:
    """Mixin for algorithms with the range parameters: bad range text is refused before the run (the dialog
    shows the message naming the parameter)."""

    def checkParameterValues(  # noqa: N802 - QGIS API name
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
    ) -> tuple[bool, str]:
        problem = check_range_texts(self, parameters, context)
        if problem:
            return False, problem
        return super().checkParameterValues(parameters, context)


#: The target's fields, then the share of the polygon where every raster holds data (as ``estimatetonnage``'s
#: ``coverage``): 0 for an area without data, whose zero tonnes say nothing of its ore.
OUTPUT_SCHEMA = (*TARGET_SCHEMA, ("coverage", "double"))


class ExplorationTargetAlgorithm(RangeChecks, TonnageAlgorithm):
    NAME = "explorationtarget"
    DISPLAY_NAME = "Exploration target (ranges, P90/P50/P10)"
    HELP = (
        "<p>An <b>Exploration Target</b> for every polygon (JORC 2012 Clause 17, CRIRSCO template, "
        "KAZRC): quoted as ranges, never one number. Bulk density, a thickness factor and a grade factor "
        "are triangular distributions given as <i>low,likely,high</i> (empty: our defaults "
        f"{DEFAULT_DENSITY.csv()} t/m³ – or ±0.1 t/m³ around another constant density –, "
        f"{DEFAULT_THICKNESS_FACTOR.csv()} and {DEFAULT_GRADE_FACTOR.csv()}). With a density raster "
        "the density range scales each cell by value / likely. The grade factor moves every grade "
        "before the fixed cut-off, so tonnes above the cut-off change non-linearly.</p>"
        "<p>Fields: ore_t_low/base/high, grade_low/base/high, treo_t_low/base/high (every input at its "
        "low / likely / high value) and ore_t_p90/p50/p10, grade_p90/p50/p10, treo_t_p90/p50/p10 from a "
        "seeded Monte Carlo (DRAWS draws, inputs independent; the same SEED gives the same figures). "
        "<b>P90 is the value exceeded with 90 % probability</b>, P10 the value exceeded with 10 %; each "
        "figure's percentiles are taken separately. Tonnes in t, grades in the grade unit (grade_unit); "
        "target_basis states the inputs; coverage is the share of the polygon where the grade and every other "
        "raster hold data (0: no data, so no figure of its ore).</p>"
        f"<p>{CAUTION}</p>"
    )
    OUTPUT_LABEL = "Exploration targets"

    def extra_parameters(self) -> None:
        add_target_parameters(self)

    def prepareAlgorithm(  # noqa: N802
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> bool:
        super().prepareAlgorithm(parameters, context, feedback)
        self.ranges, self.draws, self.seed = target_parameters(self, parameters, context, self.inputs.params)
        return True

    def processAlgorithm(  # noqa: N802
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        source, crs = self.input_source(parameters, context)
        fields = QgsProcessingUtils.combineFields(source.fields(), new_fields(OUTPUT_SCHEMA))
        feedback.pushInfo(
            f"{self.draws:,} draws, seed {self.seed}; density {self.ranges.density.text()}, "
            f"thickness factor {self.ranges.thickness_factor.text()}, grade factor "
            f"{self.ranges.grade_factor.text()} (triangular, independent). P90 is the value "
            "exceeded with 90 % probability."
        )
        if warning := few_draws_warning(self.draws):
            feedback.pushWarning(warning)
        options = TargetOptions(ranges=self.ranges, draws=self.draws, seed=self.seed)

        def rows() -> Iterator[QgsFeature]:
            for feature, _, target in self.curves(source, crs, (), feedback, target=options):
                if target is not None:
                    self.push_warnings(feature, target.warnings, feedback)
                    feedback.pushInfo(
                        f"{feature_label(feature)}: {percentile_statement(target)} (P90–P10); "
                        f"low–high case {case_statement(target)}"
                    )
                out = QgsFeature(fields)
                out.setGeometry(feature.geometry())
                coverage = None if target is None else finite_or_null(target.data_coverage)
                out.setAttributes(feature.attributes() + target_values(target) + text_values(target) + [coverage])
                yield out

        return {OUTPUT: self.write_output(rows(), parameters, context, feedback, fields, source.wkbType(), crs)}
