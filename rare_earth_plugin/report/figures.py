"""The report's figures in reporting units (km², Mt, kt, % TREO) and the columns of its tables.

The engine's ``TonnageResult`` holds m² and tonnes in the grade unit of the raster; this module only rescales
units (as ``core.display`` defines them for the dock too), it does no tonnage arithmetic. The PDF tables, the
CSV and the GeoPackage all use ``COLUMNS``, so the same area shows the same figures everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from ..core import display
from ..core.units import PERCENT, convert_grade


class EngineResult(Protocol):
    """The parts of ``core.tonnage.TonnageResult`` the report reads."""

    polygon_area_m2: float
    data_coverage: float
    cutoff: float
    warnings: tuple[str, ...]

    def known(self, name: str) -> float: ...


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
        """The figures of ``result``; an area without data has no tonnes, grade or contained metal
        (``TonnageResult.known``): the PDF, the CSV and the GeoPackage all leave them out."""
        return cls(
            name=name,
            kind=kind,
            area_km2=display.AREA.convert(result.polygon_area_m2),
            ore_mt=display.ORE.convert(result.known("ore_tonnes")),
            mean_grade_pct=convert_grade(result.known("mean_grade"), grade_unit, PERCENT),
            treo_kt=display.CONTAINED.convert(result.known("treo_tonnes")),
            tree_kt=display.CONTAINED.convert(result.known("tree_tonnes")),
            coverage_pct=display.COVERAGE.convert(result.data_coverage),
            cutoff_pct=convert_grade(result.cutoff, grade_unit, PERCENT),
            warnings=tuple(result.warnings),
        )


@dataclass(frozen=True)
class Column:
    key: str  # AreaFigures attribute, CSV header and GeoPackage field name
    title: str  # header in the PDF
    format: Callable[[Any], str]
    numeric: bool = True


def _text(value: Any) -> str:
    return str(value)


#: The figures an area without data has none of: its zeros would say nothing of its ore.
TONNAGE_KEYS = ("ore_mt", "mean_grade_pct", "treo_kt", "tree_kt")


#: The report shows grades in % TREO whatever the raster's unit (``AreaFigures`` holds them in %).
_GRADE = display.GRADE[PERCENT]
_CUTOFF = display.CUTOFF[PERCENT]

COLUMNS: tuple[Column, ...] = (
    Column("name", "Area", _text, numeric=False),
    Column("kind", "Kind", _text, numeric=False),
    Column("area_km2", f"Area {display.AREA.unit}", display.AREA.text),
    Column("ore_mt", f"Ore {display.ORE.unit}", display.ORE.text),
    Column("mean_grade_pct", f"Mean grade {_GRADE.unit} TREO", _GRADE.text),
    Column("treo_kt", f"TREO {display.CONTAINED.unit}", display.CONTAINED.text),
    Column("tree_kt", f"TREE {display.CONTAINED.unit}", display.CONTAINED.text),
    Column("coverage_pct", f"Data coverage {display.COVERAGE.unit}", display.COVERAGE.text),
)
#: The per-area table at standard cut-offs: the same formats, with the cut-off first.
CUTOFF_COLUMNS: tuple[Column, ...] = (
    Column("cutoff_pct", f"Cut-off {_CUTOFF.unit} TREO", _CUTOFF.text),
    *(column for column in COLUMNS if column.key in TONNAGE_KEYS),
)
COLUMNS_BY_KEY = {column.key: column for column in (*COLUMNS, *CUTOFF_COLUMNS)}


def unknown(figures: AreaFigures) -> AreaFigures:
    """``figures`` with no tonnes, grade or contained metal (NaN, printed "–"), for an area without data."""
    return replace(figures, **dict.fromkeys(TONNAGE_KEYS, math.nan))


def formatted(figures: AreaFigures, key: str) -> str:
    """``figures.<key>`` as printed in the report."""
    return COLUMNS_BY_KEY[key].format(getattr(figures, key))


def table_rows(rows: list[AreaFigures], columns: tuple[Column, ...] = COLUMNS) -> list[list[str]]:
    return [[column.format(getattr(row, column.key)) for column in columns] for row in rows]
