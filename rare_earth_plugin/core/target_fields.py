"""The exploration-target fields of the Processing output, the report's CSV and its GeoPackage: one list, so
a target reads the same in every file. Tonnes in t, grades in the grade unit of the inputs (``grade_unit``).
"""

from __future__ import annotations

from .exploration_target import ExplorationTarget
from .result_fields import Schema, finite_or_null

#: Field name -> (case or percentile of ``ExplorationTarget``, attribute of its ``TargetFigures``).
TARGET_FIELDS: dict[str, tuple[str, str]] = {
    **{f"ore_t_{case}": (case, "ore_tonnes") for case in ("low", "base", "high")},
    **{f"grade_{case}": (case, "mean_grade") for case in ("low", "base", "high")},
    **{f"treo_t_{case}": (case, "treo_tonnes") for case in ("low", "base", "high")},
    **{f"ore_t_{p}": (p, "ore_tonnes") for p in ("p90", "p50", "p10")},
    **{f"grade_{p}": (p, "mean_grade") for p in ("p90", "p50", "p10")},
    **{f"treo_t_{p}": (p, "treo_tonnes") for p in ("p90", "p50", "p10")},
}
#: Text fields after the numbers: the grade unit, and how the target was made (ranges, draws, seed, window).
TEXT_FIELDS = ("grade_unit", "target_basis")
TARGET_SCHEMA: Schema = (*((name, "double") for name in TARGET_FIELDS), *((name, "string") for name in TEXT_FIELDS))


def target_values(target: ExplorationTarget | None) -> list[float | None]:
    """Values in ``TARGET_FIELDS`` order; None for NaN (no ore), and for an area without a target or without
    data (whose zero tonnes would read as no ore)."""
    if target is None or not target.has_data:
        return [None] * len(TARGET_FIELDS)
    values = []
    for case, attribute in TARGET_FIELDS.values():
        values.append(finite_or_null(float(getattr(getattr(target, case), attribute))))
    return values


def basis_value(target: ExplorationTarget) -> str:
    """One line that says how the figures were made, for the text field ``target_basis``."""
    r = target.ranges
    # with a density raster the range scales each cell by value / likely: it is not a factor of 2.5
    density = "density raster x value/likely of" if target.density_is_factor else "density"
    window = (
        "none"
        if not target.windowed
        else f"{'' if target.min_depth is None else f'{target.min_depth:g}'}-"
        f"{'' if target.max_depth is None else f'{target.max_depth:g}'} m"
    )
    return (
        f"triangular low,likely,high: {density} {r.density.csv()} t/m3; thickness factor "
        f"{r.thickness_factor.csv()}; grade factor {r.grade_factor.csv()}; independent; cut-off "
        f"{target.cutoff:g} {target.grade_unit}; top {target.top_depth}; depth window {window}; "
        f"{target.draws} draws, seed {target.seed}; P90 = exceeded with 90 % probability; grade percentiles of "
        "the draws with ore"
    )


def text_values(target: ExplorationTarget | None) -> list[str | None]:
    if target is None:
        return [None] * len(TEXT_FIELDS)
    return [target.grade_unit, basis_value(target)]
