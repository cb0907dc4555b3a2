"""The results as CSV: one row per area, full-precision numbers in the report's units, UTF-8 with a BOM.

The BOM makes spreadsheet programs read non-Latin area names correctly; numbers keep full precision so the
CSV can be checked against the engine, and NaN (no ore above cut-off) is an empty cell. Text that a spreadsheet
would evaluate as a formula gets a leading apostrophe (OWASP's advice on CSV injection); only the CSV does,
the PDF and the GeoPackage show names as they are. The first row's last cell says how the PDF rounds.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

from ..core.exploration_target import ExplorationTarget
from ..core.result_fields import Schema, finite_or_null
from ..core.target_fields import TARGET_SCHEMA, target_values, text_values
from .figures import COLUMNS, AreaFigures

#: The CSV's and the GeoPackage's fields: each table column, the cut-off and the warnings.
REPORT_SCHEMA: Schema = (
    *((column.key, "double" if column.numeric else "string") for column in COLUMNS),
    ("cutoff_pct", "double"),
    ("warnings", "string"),
)
CSV_FIELDS: tuple[str, ...] = tuple(name for name, _kind in REPORT_SCHEMA)
#: The exploration-target fields after those, named and valued as in ``rareearth:explorationtarget``.
TARGET_CSV_FIELDS: tuple[str, ...] = tuple(name for name, _kind in TARGET_SCHEMA)
#: The last column: on the first row, how these numbers differ from the PDF's (``core.display``'s rounding).
NOTE_FIELD = "note"
ROUNDING_NOTE = (
    "Full precision, as computed. The PDF and the dock round ore and contained TREO/TREE to 3 "
    "significant figures (to the tonne), areas to 0.01 km² and grades to 0.001 % (10 ppm); round likewise "
    "before quoting."
)
#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """``text`` as a spreadsheet shows it literally: a leading apostrophe before a formula character."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_value(value: object) -> object:
    """Numbers in full precision (untouched, even when negative), text neutralised."""
    value = finite_or_null(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (int, bool)):
        return value
    if isinstance(value, tuple):
        value = "; ".join(value)
    return neutralised(str(value)) if value is not None else ""


def write_csv(
    rows: Sequence[AreaFigures], path: Path, targets: Sequence[ExplorationTarget | None] | None = None
) -> Path:
    """Write ``rows`` to ``path`` (a new file), flushed and synced to the disk; returns ``path``. With
    ``targets`` (one per row), the exploration-target fields follow."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(CSV_FIELDS + (TARGET_CSV_FIELDS if targets is not None else ()) + (NOTE_FIELD,))
        for number, row in enumerate(rows):
            extra = (
                []
                if targets is None
                else [csv_value(value) for value in target_values(targets[number]) + text_values(targets[number])]
            )
            note = ROUNDING_NOTE if number == 0 else ""
            writer.writerow([csv_value(getattr(row, field)) for field in CSV_FIELDS] + extra + [note])
        stream.flush()
        os.fsync(stream.fileno())
    return Path(path)
