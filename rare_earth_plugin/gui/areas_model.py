"""The rows of the areas table: zones, chosen polygon features and survey areas with their latest figures."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from qgis.PyQt.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from qgis.PyQt.QtGui import QBrush, QColor, QFont

from ..areas import Area, AreaKey
from ..core import display
from ..core.tonnage import TonnageResult
from ..core.units import PERCENT, convert_grade
from ..estimation import EstimateInputs

KIND_ZONE = "Zone"
KIND_SURVEY = "Survey area"
KIND_FEATURE = "Feature"

STALE_TIP = (
    "Figures of earlier inputs (grey): a new estimate is running, was cancelled, or the inputs are "
    "incomplete. Recompute (F5) refreshes them."
)
#: Role holding a cell's number, so sorting compares values, not text.
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
#: Role holding the row's ``AreaKey``.
KEY_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(eq=False)
class AreaRow:
    """An area in the table with its latest figures."""

    area: Area
    result: TonnageResult | None = None
    error: str = ""
    #: The inputs ``result`` was estimated at (its grade unit among them).
    inputs: EstimateInputs | None = None

    @property
    def key(self) -> AreaKey:
        return self.area.key

    @property
    def name(self) -> str:
        return self.area.name

    @property
    def kind(self) -> str:
        return self.area.kind


def _stale_look(role: int) -> QBrush | QFont:
    """Grey italics for figures of earlier inputs: the foreground brush, or the font."""
    if role == Qt.ItemDataRole.ForegroundRole:
        return QBrush(QColor("#8a8a8a"))
    font = QFont()
    font.setItalic(True)
    return font


#: Numbers align right, so their digits line up down a column.
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class AreasModel(QAbstractTableModel):
    NAME, KIND, AREA, ORE, GRADE, TREO, COVERAGE = range(7)
    #: The text columns: the row attribute each shows, and the roles that get it (only a name is editable).
    _LABELS: ClassVar[dict[int, tuple[str, tuple[int, ...]]]] = {
        NAME: ("name", (Qt.ItemDataRole.DisplayRole, SORT_ROLE, Qt.ItemDataRole.EditRole)),
        KIND: ("kind", (Qt.ItemDataRole.DisplayRole, SORT_ROLE)),
    }
    #: The number columns: the result field each shows, and its text but for the grade's (see ``_figure``).
    _RESULT_FIELDS: ClassVar[dict[int, str]] = {
        AREA: "polygon_area_m2",
        ORE: "ore_tonnes",
        GRADE: "mean_grade",
        TREO: "treo_tonnes",
        COVERAGE: "data_coverage",
    }
    _FIGURE_TEXT: ClassVar[dict[int, Callable[[float], str]]] = {
        AREA: display.km2,
        ORE: display.mt,
        TREO: display.kt,
        COVERAGE: display.coverage,
    }

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[AreaRow] = []
        self.unit = PERCENT
        self.inputs: EstimateInputs | None = None

    # Qt model API -------------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else 7

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        unit = display.unit_label(self.unit)
        if role == Qt.ItemDataRole.DisplayRole:
            return ("Name", "Type", "Area\n(km²)", "Ore\n(Mt)", f"Grade\n({unit})", "TREO\n(kt)", "Coverage\n(%)")[
                section
            ]
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                "Zone, feature or survey area name",
                "Where the area comes from",
                "Area of the polygon",
                "Ore tonnes above the cut-off, millions of tonnes",
                f"Tonnage-weighted mean TREO grade of the ore, {unit}",
                "Contained rare-earth oxides (TREO), thousands of tonnes",
                "Share of the polygon where the grade and the other rasters hold data",
            )[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == KEY_ROLE:
            return row.key
        stale = self.is_stale(row)
        if role in (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole):
            return _stale_look(role) if stale else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column, stale)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column >= self.AREA else None
        if column in self._LABELS:
            attribute, roles = self._LABELS[column]
            return getattr(row, attribute) if role in roles else None
        return self._figure(row, column, role)

    def _tooltip(self, row: AreaRow, column: int, stale: bool) -> str | None:
        """Why the row looks as it does: stale, failed or warned; on a plain name, where the area comes from."""
        if stale:
            return STALE_TIP
        if row.error:
            return row.error
        if column == self.NAME:
            return f"{row.name} ({row.kind})"
        return "\n".join(row.result.warnings) if row.result and row.result.warnings else None

    def _figure(self, row: AreaRow, column: int, role: int) -> float | str | None:
        """A number column: the value to sort on (no figure sorts lowest), or its text."""
        value = math.nan if row.result is None else row.result.known(self._RESULT_FIELDS[column])
        if role == SORT_ROLE:
            return value if math.isfinite(value) else -math.inf
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == self.GRADE:
            return display.grade(self._shown_grade(row, value), self.unit)
        return self._FIGURE_TEXT[column](value)

    def _shown_grade(self, row: AreaRow, value: float) -> float:
        """A grade of the row's estimate (in its inputs' unit) in the table's unit."""
        unit = row.inputs.params.grade_unit if row.inputs is not None else self.unit
        return convert_grade(value, unit, self.unit) if unit != self.unit and math.isfinite(value) else value

    # Rows ---------------------------------------------------------------------------------------------------
    def rows(self) -> list[AreaRow]:
        return list(self._rows)

    def row_for(self, key: AreaKey) -> AreaRow | None:
        return next((row for row in self._rows if row.key == key), None)

    def _index_of(self, key: AreaKey) -> int:
        return next((i for i, row in enumerate(self._rows) if row.key == key), -1)

    def upsert(self, row: AreaRow) -> None:
        """Add the row, or replace the one with the same key keeping its figures until new ones arrive."""
        position = self._index_of(row.key)
        if position < 0:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
            self._rows.append(row)
            self.endInsertRows()
            return
        old = self._rows[position]
        if row.result is None and not row.error:
            row.result, row.error = old.result, old.error
        self._rows[position] = row
        self._row_changed(position)

    def remove(self, keys) -> None:
        for key in list(keys):
            position = self._index_of(key)
            if position >= 0:
                self.beginRemoveRows(QModelIndex(), position, position)
                del self._rows[position]
                self.endRemoveRows()

    def remove_layer(self, layer_id: str) -> None:
        self.remove([row.key for row in self._rows if row.key[0] == layer_id])

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self.endResetModel()

    def set_name(self, key: AreaKey, name: str) -> None:
        position = self._index_of(key)
        if position >= 0:
            self._rows[position].area = self._rows[position].area.renamed(name)
            self._row_changed(position)

    def set_result(
        self, key: AreaKey, result: TonnageResult | None, error: str = "", inputs: EstimateInputs | None = None
    ) -> None:
        position = self._index_of(key)
        if position >= 0:
            self._rows[position].result = result
            self._rows[position].error = error
            self._rows[position].inputs = inputs
            self._row_changed(position)

    def set_inputs(self, inputs: EstimateInputs | None) -> None:
        """The dock's current inputs (None: incomplete); rows estimated at others show as stale."""
        if inputs != self.inputs:
            self.inputs = inputs
            if self._rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, self.columnCount() - 1))

    def is_stale(self, row: AreaRow) -> bool:
        """Figures shown that are not of the current inputs (older inputs, or inputs since cleared)."""
        return (row.result is not None or bool(row.error)) and row.inputs != self.inputs

    def stale_count(self) -> int:
        return sum(1 for row in self._rows if self.is_stale(row))

    def set_unit(self, unit: str) -> None:
        if unit != self.unit:
            self.unit = unit
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, self.GRADE, self.GRADE)

    def _row_changed(self, position: int) -> None:
        self.dataChanged.emit(self.index(position, 0), self.index(position, self.columnCount() - 1))


class AreasSortProxy(QSortFilterProxyModel):
    """Sorts by ``SORT_ROLE`` so 10.5 comes after 9.8, not before it."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
