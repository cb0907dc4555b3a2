"""The report's figures in reporting units (km², Mt, kt, % TREO) and the one way they are printed.

The engine's ``TonnageResult`` holds m² and tonnes in the grade unit of the raster; this module only rescales
units, it does no tonnage arithmetic. The PDF tables, the CSV and the GeoPackage all use ``COLUMNS``, so the
same area shows the same figures everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..core.units import PERCENT, convert_grade

NO_VALUE = "–"


class EngineResult(Protocol):
    """The parts of ``core.tonnage.TonnageResult`` the report reads."""

    polygon_area_m2: float
    ore_tonnes: float
    mean_grade: float
    treo_tonnes: float
    tree_tonnes: float
    data_coverage: float
    cutoff: float
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class AreaFigures:
    """One area at one cut-off; ``mean_grade_pct`` and ``cutoff_pct`` are NaN-safe floats in % TREO."""

    name: str
    kind: str
    area_km2: float
    ore_mt: float
    mean_grade_pct: float
    treo_kt: float
    tree_kt: float
    coverage_pct: float
    cutoff_pct: float
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_result(cls, name: str, kind: str, result: EngineResult, grade_unit: str) -> AreaFigures:
        return cls(
            name=name,
            kind=kind,
            area_km2=result.polygon_area_m2 / 1e6,
            ore_mt=result.ore_tonnes / 1e6,
            mean_grade_pct=convert_grade(result.mean_grade, grade_unit, PERCENT),
            treo_kt=result.treo_tonnes / 1e3,
            tree_kt=result.tree_tonnes / 1e3,
            coverage_pct=result.data_coverage * 100.0,
            cutoff_pct=convert_grade(result.cutoff, grade_unit, PERCENT),
            warnings=tuple(result.warnings),
        )


def _fixed(decimals: int) -> Callable[[Any], str]:
    def fmt(value: Any) -> str:
        if isinstance(value, str):
            return value
        number = float(value)
        return NO_VALUE if math.isnan(number) else f"{number:,.{decimals}f}"

    return fmt


@dataclass(frozen=True)
class Column:
    key: str  # AreaFigures attribute, CSV header and GeoPackage field name
    title: str  # header in the PDF
    format: Callable[[Any], str]
    numeric: bool = True


def _text(value: Any) -> str:
    return str(value)


COLUMNS: tuple[Column, ...] = (
    Column("name", "Area", _text, numeric=False),
    Column("kind", "Kind", _text, numeric=False),
    Column("area_km2", "Area km²", _fixed(2)),
    Column("ore_mt", "Ore Mt", _fixed(2)),
    Column("mean_grade_pct", "Mean grade % TREO", _fixed(3)),
    Column("treo_kt", "TREO kt", _fixed(1)),
    Column("tree_kt", "TREE kt", _fixed(1)),
    Column("coverage_pct", "Data coverage %", _fixed(1)),
)
#: The per-area table at standard cut-offs: the same formats, with the cut-off first.
CUTOFF_COLUMNS: tuple[Column, ...] = (
    Column("cutoff_pct", "Cut-off % TREO", _fixed(2)),
    *(column for column in COLUMNS if column.key in ("ore_mt", "mean_grade_pct", "treo_kt", "tree_kt")),
)
COLUMNS_BY_KEY = {column.key: column for column in (*COLUMNS, *CUTOFF_COLUMNS)}


def formatted(figures: AreaFigures, key: str) -> str:
    """``figures.<key>`` as printed in the report."""
    return COLUMNS_BY_KEY[key].format(getattr(figures, key))


def table_rows(rows: list[AreaFigures], columns: tuple[Column, ...] = COLUMNS) -> list[list[str]]:
    return [[column.format(getattr(row, column.key)) for column in columns] for row in rows]
