"""The results as CSV: one row per area, full-precision numbers in the report's units, UTF-8 with a BOM.

The BOM makes spreadsheet programs read non-Latin area names correctly; numbers keep full precision so the
CSV can be checked against the engine, and NaN (no ore above cut-off) is an empty cell.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

from .atomic import atomic_output
from .figures import COLUMNS, AreaFigures

CSV_FIELDS: tuple[str, ...] = (*(column.key for column in COLUMNS), "cutoff_pct", "warnings")


def csv_value(value: object) -> object:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, tuple):
        return "; ".join(value)
    return value


def write_csv(rows: Sequence[AreaFigures], target: Path) -> Path:
    """Write ``rows`` to ``target`` atomically; returns ``target``."""
    with atomic_output(target, "CSV file") as temporary, \
            temporary.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(CSV_FIELDS)
        for row in rows:
            writer.writerow([csv_value(getattr(row, field)) for field in CSV_FIELDS])
    return target
