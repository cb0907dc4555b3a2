"""The result fields every output writes: one schema (name, kind) for the Processing outputs, the survey store,
the report's CSV and its GeoPackage (the exploration target's is ``target_fields.TARGET_SCHEMA``), and the one
rule that turns NaN into NULL. Field names are a public contract: they stay as they are. Kinds are
``qgis_compat.new_field``'s ("double", "string", "int", "int64").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .tonnage_types import TonnageResult

#: An output's fields, in order: (name, kind).
Schema = tuple[tuple[str, str], ...]

#: Result field -> the ``TonnageResult`` attribute it holds (rareearth:estimatetonnage, the survey store).
RESULT_ATTRIBUTES: dict[str, str] = {
    "area_m2": "polygon_area_m2",
    "ore_t": "ore_tonnes",
    "grade_mean": "mean_grade",
    "treo_t": "treo_tonnes",
    "tree_t": "tree_tonnes",
    "coverage": "data_coverage",
}
RESULT_SCHEMA: Schema = tuple((name, "double") for name in RESULT_ATTRIBUTES)
#: The figures of one cut-off (rareearth:gradetonnagecurve rows).
CURVE_RESULTS = ("ore_t", "grade_mean", "treo_t", "tree_t")
CURVE_SCHEMA: Schema = (
    ("feature_id", "int64"),
    ("name", "string"),
    ("cutoff", "double"),
    *((name, "double") for name in CURVE_RESULTS),
)


def finite_or_null(value: Any) -> Any:
    """NaN or infinity (e.g. the mean grade where there is no ore) becomes None (NULL), not a number that looks
    like data; any other value is returned as it is."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def result_values(result: TonnageResult | None, names: Sequence[str] = tuple(RESULT_ATTRIBUTES)) -> list[float | None]:
    """The values of the result fields ``names``: None for NaN and for every figure of ore of an area without
    data (``TonnageResult.known``: its zeros would say nothing), all None without a result."""
    if result is None:
        return [None] * len(names)
    return [finite_or_null(result.known(RESULT_ATTRIBUTES[name])) for name in names]
