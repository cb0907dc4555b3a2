"""The dock's figures as a tab-separated table for the clipboard (numbers as ``core.display`` prints them)."""

from __future__ import annotations

from collections.abc import Sequence

from ..core import display
from ..core.tonnage import TonnageResult


def figures_table(name: str, results: Sequence[TonnageResult], unit: str) -> str:
    """Tab-separated rows with a header, one per cut-off; no thousands separators, so spreadsheets read
    numbers. Cut-offs keep grade precision: the curve's fine steps and a typed cut-off need it."""
    label = display.unit_label(unit)
    header = ("Area", f"Cut-off ({label})", f"Area ({display.AREA.unit})", f"Ore ({display.ORE.unit})",
              f"Mean grade ({label})", f"TREO ({display.CONTAINED.unit})", f"TREE ({display.CONTAINED.unit})",
              f"Data coverage ({display.COVERAGE.unit})")
    lines = ["\t".join(header)]
    for result in results:
        cells = (name, display.grade(result.cutoff, unit), display.km2(result.polygon_area_m2),
                 display.mt(result.ore_tonnes), display.grade(result.mean_grade, unit),
                 display.kt(result.treo_tonnes), display.kt(result.tree_tonnes),
                 display.coverage(result.data_coverage))
        lines.append("\t".join(cell.replace(",", "") for cell in cells))
    return "\n".join(lines) + "\n"
