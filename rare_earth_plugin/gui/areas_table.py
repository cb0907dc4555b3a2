"""The sortable areas table with rename/remove buttons and the same actions in a context menu."""

from __future__ import annotations

from qgis.PyQt.QtCore import QItemSelectionModel, Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .areas_model import KEY_ROLE, KIND_FEATURE, KIND_SURVEY, AreaKey, AreasModel, AreasSortProxy

#: Columns as shown, left to right (the model's order stays the contract of its column constants).
VISUAL_ORDER = (
    AreasModel.NAME,
    AreasModel.ORE,
    AreasModel.GRADE,
    AreasModel.TREO,
    AreasModel.AREA,
    AreasModel.COVERAGE,
    AreasModel.KIND,
)
NAME_WIDTH = 110
NUMBER_COLUMNS = (AreasModel.ORE, AreasModel.GRADE, AreasModel.TREO, AreasModel.AREA, AreasModel.COVERAGE)


class AreasTable(QWidget):
    #: The user picked a row (click or keyboard).
    areaSelected = pyqtSignal(object)  # noqa: N815 - Qt signal naming
    renameRequested = pyqtSignal(object)  # noqa: N815
    removeRequested = pyqtSignal(object)  # noqa: N815

    def __init__(self, model: AreasModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = AreasSortProxy(self)
        self.proxy.setSourceModel(model)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(AreasModel.NAME, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        # The main figures first, so Name, Ore, Grade and TREO show at the dock's first width; the rest scroll.
        for visual, logical in enumerate(VISUAL_ORDER):
            header.moveSection(header.visualIndex(logical), visual)
        header.setSectionResizeMode(AreasModel.NAME, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(AreasModel.NAME, NAME_WIDTH)  # long names elide; the tooltip and a drag show all
        metrics = self.view.fontMetrics()
        for column in NUMBER_COLUMNS:  # as wide as the longest figure three significant digits give
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, metrics.horizontalAdvance("000,000") + 16)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setMinimumHeight(90)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.view.clicked.connect(self._clicked)
        self._selected_by_press: AreaKey | None = None

        self.rename_button = QPushButton("Rename…")
        self.rename_button.setToolTip("Rename the selected survey area (saved to its GeoPackage at once)")
        self.remove_button = QPushButton("Delete")
        self.remove_button.setToolTip(
            "Delete the selected survey area from its GeoPackage, or take a chosen "
            "feature off the table (the feature itself stays)"
        )
        self.rename_button.clicked.connect(lambda: self._request(self.renameRequested))
        self.remove_button.clicked.connect(lambda: self._request(self.removeRequested))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.rename_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def rows_height(self, rows: int) -> int:
        """Height of the view showing ``rows`` rows whole, with its header, frame and horizontal scroll bar (the
        columns after TREO scroll at the dock's first width): what the dock's panes are sized by."""
        view = self.view
        return (
            view.horizontalHeader().sizeHint().height()
            + rows * view.verticalHeader().defaultSectionSize()
            + view.horizontalScrollBar().sizeHint().height()
            + 2 * view.frameWidth()
        )

    def current_key(self) -> AreaKey | None:
        index = self.view.currentIndex()
        return index.data(KEY_ROLE) if index.isValid() else None

    def select_key(self, key: AreaKey) -> None:
        """Highlight the row of ``key`` without emitting ``areaSelected``: the caller acts on it itself."""
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(KEY_ROLE) == key:
                blocked = self.blockSignals(True)
                try:
                    self.view.selectionModel().setCurrentIndex(
                        index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
                    )
                finally:
                    self.blockSignals(blocked)
                self.view.scrollTo(index)
                return

    def _current_changed(self, current, _previous) -> None:
        self._update_buttons()
        if current.isValid():
            if QApplication.mouseButtons() != Qt.MouseButton.NoButton:
                self._selected_by_press = current.data(KEY_ROLE)
            self._emit_selected(current)

    def _clicked(self, index) -> None:
        """A click on the current row zooms and flashes again; a click that changed rows already did."""
        if index.data(KEY_ROLE) == self._selected_by_press:
            self._selected_by_press = None
            return
        self._emit_selected(index)

    def _emit_selected(self, index) -> None:
        key = index.data(KEY_ROLE) if index.isValid() else None
        if key is not None:
            self.areaSelected.emit(key)

    def _update_buttons(self) -> None:
        row = self.model.row_for(self.current_key()) if self.current_key() else None
        self.rename_button.setEnabled(row is not None and row.kind == KIND_SURVEY)
        self.remove_button.setEnabled(row is not None and row.kind in (KIND_SURVEY, KIND_FEATURE))
        self.remove_button.setText("Remove from table" if row is not None and row.kind == KIND_FEATURE else "Delete")

    def _request(self, signal) -> None:
        key = self.current_key()
        if key is not None:
            signal.emit(key)

    def _context_menu(self, position) -> None:
        index = self.view.indexAt(position)
        if not index.isValid():
            return
        self.view.setCurrentIndex(index)
        menu = QMenu(self)
        for button, signal in ((self.rename_button, self.renameRequested), (self.remove_button, self.removeRequested)):
            action = menu.addAction(button.text())
            action.setEnabled(button.isEnabled())
            action.triggered.connect(lambda _checked=False, s=signal: self._request(s))
        menu.exec(self.view.viewport().mapToGlobal(position))
