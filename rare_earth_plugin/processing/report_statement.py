"""``rareearth:exportreport``'s statement parameters (EXPLORATION_PLANNED, TIMEFRAME, REPORTING_CODE,
COMPETENT_PERSON): an unset one takes the user's remembered choice, a set one is remembered; "none" clears a text
(an empty one cannot: it is the same as unset)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingParameterEnum,
    QgsProcessingParameterString,
)

from ..core.target_text import REPORTING_CODES
from ..core.tonnage import TonnageParams
from ..report.target_options import TargetOptions, options_from_settings, options_to_settings
from .exploration_target import target_parameters
from .raster_inputs import is_set

EXPLORATION_PLANNED = "EXPLORATION_PLANNED"
TIMEFRAME = "TIMEFRAME"
REPORTING_CODE = "REPORTING_CODE"
COMPETENT_PERSON = "COMPETENT_PERSON"
#: What a text parameter is given to leave its item unstated (and forget the remembered one).
CLEARED = "none"
_UNSET = f'empty: the last one given; "{CLEARED}" to leave it out'


def add_statement_parameters(alg: QgsProcessingAlgorithm) -> None:
    alg.addParameter(
        QgsProcessingParameterString(
            EXPLORATION_PLANNED,
            f"Exploration planned to test the target ({_UNSET})",
            optional=True,
            multiLine=True,
        )
    )
    alg.addParameter(
        QgsProcessingParameterString(TIMEFRAME, f"Timeframe of that exploration ({_UNSET})", optional=True)
    )
    alg.addParameter(
        QgsProcessingParameterEnum(
            REPORTING_CODE, "Reporting code (empty: the last one chosen)", list(REPORTING_CODES), optional=True
        )
    )
    alg.addParameter(QgsProcessingParameterString(COMPETENT_PERSON, f"Competent Person ({_UNSET})", optional=True))


def target_options_from_parameters(
    alg: QgsProcessingAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext, params: TonnageParams
) -> TargetOptions:
    """Ranges, draws and seed from the parameters; the statement from the parameters given, the settings
    for the others; what was given is remembered for next time."""
    ranges, draws, seed = target_parameters(alg, parameters, context, params)
    remembered = options_from_settings()

    def text(name: str, fallback: str) -> str:
        if not is_set(parameters.get(name)):
            return fallback
        given = alg.parameterAsString(parameters, name, context)
        return "" if given.strip().casefold() == CLEARED else given

    code = (
        REPORTING_CODES[alg.parameterAsEnum(parameters, REPORTING_CODE, context)]
        if is_set(parameters.get(REPORTING_CODE))
        else remembered.reporting_code
    )
    options = TargetOptions(
        ranges=ranges,
        draws=draws,
        seed=seed,
        exploration_planned=text(EXPLORATION_PLANNED, remembered.exploration_planned),
        timeframe=text(TIMEFRAME, remembered.timeframe),
        reporting_code=code,
        competent_person=text(COMPETENT_PERSON, remembered.competent_person),
    )
    options_to_settings(
        TargetOptions(
            ranges=remembered.ranges,
            draws=remembered.draws,
            seed=remembered.seed,
            exploration_planned=options.exploration_planned,
            timeframe=options.timeframe,
            reporting_code=options.reporting_code,
            competent_person=options.competent_person,
        )
    )
    return options
