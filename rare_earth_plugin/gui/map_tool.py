"""The "Draw survey area" map tool: click vertices (snapped like QGIS digitizing), right or double click to
finish, Backspace to take back the last vertex, Esc to cancel."""

from __future__ import annotations

from qgis.core import QgsGeometry, QgsPointXY
from qgis.gui import QgsMapMouseEvent, QgsMapTool, QgsRubberBand
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QColor, QKeyEvent

from ..qgis_compat import POLYGON_GEOMETRY

MIN_VERTICES = 3


class SurveyAreaTool(QgsMapTool):
    #: The sketch changed (vertex added, removed or the cursor moved): live figures may follow.
    sketchChanged = pyqtSignal()  # noqa: N815 - Qt signal naming
    #: A finished polygon in the canvas CRS.
    finished = pyqtSignal(QgsGeometry)
    #: The sketch was dropped (Esc, or the tool was switched off).
    cancelled = pyqtSignal()
    #: Something the user should read (e.g. too few vertices to finish).
    message = pyqtSignal(str)

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self.vertices: list[QgsPointXY] = []
        self.cursor_point: QgsPointXY | None = None
        self._swallow_release = False
        self.band = QgsRubberBand(canvas, POLYGON_GEOMETRY)
        self.band.setColor(QColor(230, 90, 0, 200))
        self.band.setFillColor(QColor(255, 140, 0, 60))
        self.band.setWidth(2)
        self.setCursor(Qt.CursorShape.CrossCursor)

    # Sketch -------------------------------------------------------------------------------------------------
    def sketch_geometry(self, with_cursor: bool = True) -> QgsGeometry | None:
        """The polygon drawn so far (with the cursor as its next vertex), None under three vertices."""
        points = list(self.vertices)
        if with_cursor and self.cursor_point is not None:
            points.append(self.cursor_point)
        if len(points) < MIN_VERTICES:
            return None
        return QgsGeometry.fromPolygonXY([[*points, points[0]]])

    def _redraw(self) -> None:
        points = list(self.vertices)
        if self.cursor_point is not None and points:
            points.append(self.cursor_point)
        self.band.reset(POLYGON_GEOMETRY)
        for number, point in enumerate(points):
            self.band.addPoint(point, number == len(points) - 1)
        self.sketchChanged.emit()

    def reset(self) -> None:
        self.vertices.clear()
        self.cursor_point = None
        self.band.reset(POLYGON_GEOMETRY)

    def _snapped(self, event: QgsMapMouseEvent) -> QgsPointXY:
        match = self.canvas().snappingUtils().snapToMap(event.pos())
        return QgsPointXY(match.point()) if match.isValid() else QgsPointXY(event.mapPoint())

    def _finish(self) -> None:
        geometry = self.sketch_geometry(with_cursor=False)
        if geometry is None:
            self.message.emit(f"A survey area needs at least {MIN_VERTICES} points: keep clicking.")
            return
        self.reset()
        self.finished.emit(geometry)

    # Events -------------------------------------------------------------------------------------------------
    def canvasMoveEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - QGIS API name
        if self.vertices:
            self.cursor_point = self._snapped(event)
            self._redraw()

    def canvasPressEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802, ARG002 - QGIS API name and signature
        self._swallow_release = False  # a new click: whatever double click came before is over

    def canvasReleaseEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - QGIS API name
        if self._swallow_release:  # the release that ends a double click
            self._swallow_release = False
            return
        if event.button() == Qt.MouseButton.LeftButton:
            self.vertices.append(self._snapped(event))
            self.cursor_point = None
            self._redraw()
        elif event.button() == Qt.MouseButton.RightButton:
            self._finish()

    def canvasDoubleClickEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - QGIS API name
        if event.button() == Qt.MouseButton.LeftButton:
            self._swallow_release = True
            self._finish()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - QGIS API name
        if event.key() in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete) and self.vertices:
            self.vertices.pop()
            self._redraw()
            event.accept()
        elif event.key() == Qt.Key.Key_Escape and self.vertices:
            self.reset()
            self.cancelled.emit()
            event.accept()
        else:
            event.ignore()

    def deactivate(self) -> None:
        if self.vertices:
            self.reset()
            self.cancelled.emit()
        super().deactivate()

    def clean_up(self) -> None:
        """Remove the rubber band from the canvas scene (the tool is going away)."""
        self.reset()
        self.canvas().scene().removeItem(self.band)
