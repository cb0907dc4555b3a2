"""One result-field schema and one NaN -> NULL rule for every output."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from rare_earth_plugin.core.result_fields import (
    CURVE_RESULTS,
    CURVE_SCHEMA,
    RESULT_SCHEMA,
    finite_or_null,
    result_values,
)
from rare_earth_plugin.core.target_fields import TARGET_SCHEMA
from rare_earth_plugin.core.tonnage_types import TonnageResult


def test_field_names_stay_the_public_contract() -> None:
    assert [name for name, _ in RESULT_SCHEMA] == ["area_m2", "ore_t", "grade_mean", "treo_t", "tree_t", "coverage"]
    assert CURVE_SCHEMA == (
        ("feature_id", "int64"),
        ("name", "string"),
        ("cutoff", "double"),
        ("ore_t", "double"),
        ("grade_mean", "double"),
        ("treo_t", "double"),
        ("tree_t", "double"),
    )
    assert TARGET_SCHEMA[0] == ("ore_t_low", "double") and TARGET_SCHEMA[-2:] == (
        ("grade_unit", "string"),
        ("target_basis", "string"),
    )


def test_nan_and_infinity_become_null_and_nothing_else_does() -> None:
    assert finite_or_null(math.nan) is None and finite_or_null(np.float64("nan")) is None
    assert finite_or_null(math.inf) is None and finite_or_null(-math.inf) is None
    assert finite_or_null(0.0) == 0.0 and finite_or_null(-2.5) == -2.5 and finite_or_null(3) == 3
    assert finite_or_null("NaN") == "NaN" and finite_or_null(None) is None


def test_result_values_follow_the_schema() -> None:
    result = TonnageResult(
        polygon_area_m2=4.0,
        covered_area_m2=2.0,
        ore_area_m2=0.0,
        ore_volume_m3=0.0,
        ore_tonnes=0.0,
        mean_grade=math.nan,
        treo_tonnes=0.0,
        tree_tonnes=0.0,
        data_coverage=np.float32(0.5),
        cutoff=0.1,
    )
    assert result_values(result) == [4.0, 0.0, None, 0.0, 0.0, 0.5]
    assert result_values(result, CURVE_RESULTS) == [0.0, None, 0.0, 0.0]
    assert result_values(None, CURVE_RESULTS) == [None] * 4
    # no data: the zeros would say the area holds no ore; it gets no figures of ore, its area and coverage stay
    unknown = replace(result, covered_area_m2=0.0, data_coverage=0.0)
    assert result_values(unknown) == [4.0, None, None, None, None, 0.0]
