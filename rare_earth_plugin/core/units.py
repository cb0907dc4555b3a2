"""Grade units and oxide/metal conversion (see shared domain notes: 0.1 % = 1,000 ppm = 1,000 g/t)."""

from __future__ import annotations

PERCENT = "percent"
PPM = "ppm"
GRADE_UNITS: tuple[str, ...] = (PERCENT, PPM)

#: Fraction by mass that one grade unit stands for.
_FRACTION_PER_UNIT = {PERCENT: 1e-2, PPM: 1e-6}

#: Label shown to users for each unit.
UNIT_LABELS = {PERCENT: "%", PPM: "ppm"}

#: TREO/TREE is about 1.20 for a typical REE mix (1.17-1.23), so metal = oxide / 1.20.
TREO_TO_TREE = 1.0 / 1.20

#: Default bulk density of the Devonian felsic-intermediate volcanic hosts, t/m3 (range 2.5-2.7).
DEFAULT_DENSITY = 2.60


def grade_fraction(unit: str) -> float:
    """Mass fraction represented by a grade of 1 in ``unit``; raises ``KeyError`` for an unknown unit."""
    return _FRACTION_PER_UNIT[unit]


def convert_grade(value: float, from_unit: str, to_unit: str) -> float:
    return value * grade_fraction(from_unit) / grade_fraction(to_unit)


#: Cut-offs for grade-tonnage tables and charts (TREO %): envelope ~0.05 %, higher grade 0.10 % for this style.
STANDARD_CUTOFFS_PERCENT: tuple[float, ...] = (0.0, 0.02, 0.05, 0.07, 0.10, 0.15, 0.20)


def standard_cutoffs(unit: str) -> tuple[float, ...]:
    return tuple(convert_grade(c, PERCENT, unit) for c in STANDARD_CUTOFFS_PERCENT)
