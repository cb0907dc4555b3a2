"""The results as CSV: one row per area, full-precision numbers in the report's units, UTF-8 with a BOM.

The BOM makes spreadsheet programs read non-Latin area names correctly; numbers keep full precision so the
CSV can be checked against the engine, and NaN (no ore above cut-off) is an empty cell.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

from ..core.exploration_target import ExplorationTarget
from ..core.target_fields import TARGET_FIELDS, TEXT_FIELDS, target_values, text_values
from .atomic import atomic_output
from .figures import COLUMNS, AreaFigures

CSV_FIELDS: tuple[str, ...] = (*(column.key for column in COLUMNS), "cutoff_pct", "warnings")
#: The exploration-target fields after those, named and valued as in ``rareearth:explorationtarget``.
TARGET_CSV_FIELDS: tuple[str, ...] = (*TARGET_FIELDS, *TEXT_FIELDS)


def csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, tuple):
        return "; ".join(value)
    return value


def write_csv(rows: Sequence[AreaFigures], target: Path,
              targets: Sequence[ExplorationTarget | None] | None = None) -> Path:
    """Write ``rows`` to ``target`` atomically; returns ``target``. With ``targets`` (one per row), the
    exploration-target fields follow."""
    with atomic_output(target, "CSV file") as temporary, \
            temporary.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(CSV_FIELDS + (TARGET_CSV_FIELDS if targets is not None else ()))
        for number, row in enumerate(rows):
            extra = [] if targets is None else \
                [csv_value(value) for value in target_values(targets[number]) + text_values(targets[number])]
            writer.writerow([csv_value(getattr(row, field)) for field in CSV_FIELDS] + extra)
    return target
