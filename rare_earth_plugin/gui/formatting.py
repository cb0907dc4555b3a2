"""How figures read in the dock and on the clipboard: one place for units and decimals."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..core.tonnage import TonnageResult
from ..core.units import PPM, UNIT_LABELS

MISSING = "–"

#: Header of a copied table; the grade column is completed with the grade unit.
TABLE_HEADER = ("Area", "Cut-off", "Area (km²)", "Ore (Mt)", "Mean grade", "TREO (kt)", "TREE (kt)",
                "Data coverage (%)")


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def km2(area_m2: float | None) -> str:
    return f"{area_m2 / 1e6:,.2f}" if _finite(area_m2) else MISSING


def mt(tonnes: float | None) -> str:
    return f"{tonnes / 1e6:,.2f}" if _finite(tonnes) else MISSING


def kt(tonnes: float | None) -> str:
    return f"{tonnes / 1e3:,.1f}" if _finite(tonnes) else MISSING


def grade(value: float | None, unit: str) -> str:
    """3 decimals in %, whole numbers in ppm (the same precision: 0.001 % = 10 ppm)."""
    if not _finite(value):
        return MISSING
    return f"{value:,.0f}" if unit == PPM else f"{value:.3f}"


def coverage(fraction: float | None) -> str:
    return f"{fraction * 100:.1f}" if _finite(fraction) else MISSING


def unit_label(unit: str) -> str:
    return UNIT_LABELS.get(unit, unit)


def figures_table(name: str, results: Sequence[TonnageResult], unit: str) -> str:
    """Tab-separated rows with a header, one per cut-off; no thousands separators, so spreadsheets read
    numbers."""
    label = unit_label(unit)
    header = list(TABLE_HEADER)
    header[1] = f"Cut-off ({label})"
    header[4] = f"Mean grade ({label})"
    lines = ["\t".join(header)]
    for result in results:
        cells = (name, grade(result.cutoff, unit), km2(result.polygon_area_m2), mt(result.ore_tonnes),
                 grade(result.mean_grade, unit), kt(result.treo_tonnes), kt(result.tree_tonnes),
                 coverage(result.data_coverage))
        lines.append("\t".join(cell.replace(",", "") for cell in cells))
    return "\n".join(lines) + "\n"
