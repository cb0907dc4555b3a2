"""Wiring between QGIS and the plugin: actions, toolbar, menu, Processing provider. No logic lives here.

``__init__`` must not touch ``iface``: ``qgis_process`` builds the plugin with ``classFactory(None)`` and only
calls ``initProcessing()``. ``unload()`` undoes everything ``initGui()`` did, so a reload leaves no duplicates.
"""

from __future__ import annotations

from qgis.core import Qgis, QgsApplication
from qgis.PyQt.QtCore import Qt, QTimer
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction

from . import log
from .dependencies import install_hint, missing_packages
from .paths import resource

MENU = "&Rare Earth"


class RareEarthPlugin:
    def __init__(self, iface) -> None:
        self.iface = iface
        self.provider = None
        self.toolbar = None
        self.dock = None
        self.actions: list[QAction] = []
        self.dock_actions: list[QAction] = []
        self.missing = missing_packages()

    # Processing -------------------------------------------------------------------------------------------
    def initProcessing(self) -> None:  # noqa: N802 - QGIS API name
        log.attach_handler()
        if self.missing or self.provider is not None:
            return
        from .processing.provider import RareEarthProvider

        self.provider = RareEarthProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    # GUI --------------------------------------------------------------------------------------------------
    def initGui(self) -> None:  # noqa: N802 - QGIS API name
        self.initProcessing()
        self.toolbar = self.iface.addToolBar("Rare Earth")
        self.toolbar.setObjectName("RareEarthToolbar")
        self._add_action("Load Qaraganda exploration zones", QIcon(str(resource("icons", "rare_earth.svg"))),
                         self.load_zones)
        if not self.missing:
            self._add_dock()
            self._add_action("Export report…", QgsApplication.getThemeIcon("/mActionSaveAsPDF.svg"),
                             self.export_report)
        else:
            message = install_hint(self.missing)
            log.logger.warning(message)
            self.iface.messageBar().pushMessage("Rare Earth", message, Qgis.MessageLevel.Warning, 0)

    def _add_action(self, text: str, icon: QIcon, slot) -> QAction:
        action = QAction(icon, text, self.iface.mainWindow())
        action.triggered.connect(slot)
        self.toolbar.addAction(action)
        self.iface.addPluginToMenu(MENU, action)
        self.actions.append(action)
        return action

    def _add_dock(self) -> None:
        """The explorer dock: right side by default; its object name lets QGIS restore the user's place."""
        from .gui.dock import ExplorerDock

        self.dock = ExplorerDock(self.iface)
        self.dock.toggle_action.setIcon(QIcon(str(resource("icons", "rare_earth.svg"))))
        self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock_actions = [self.dock.toggle_action, self.dock.draw_action, self.dock.estimate_action]
        for action in self.dock_actions:
            self.toolbar.addAction(action)
            self.iface.addPluginToMenu(MENU, action)

    def export_report(self) -> None:
        from .report.export_dialog import ExportReportDialog

        inputs = self.dock.current_inputs() if self.dock is not None else None
        dialog = ExportReportDialog(parent=self.iface.mainWindow(), message_bar=self.iface.messageBar(),
                                    inputs=inputs)
        dialog.exec()

    def load_zones(self) -> None:
        from .layers import SampleDataError, load_sample_layers

        try:
            layers = load_sample_layers()
        except SampleDataError as error:
            log.logger.error(str(error))
            self.iface.messageBar().pushMessage("Rare Earth", str(error), Qgis.MessageLevel.Critical, 0)
            return
        if self.dock is not None:
            self.dock.use_sample(layers)
            self.dock.show()
        # QGIS zooms to the first layers of an empty project after this slot returns; zoom after it.
        QTimer.singleShot(0, lambda: self._zoom_to_zones(layers.zones))

    def _zoom_to_zones(self, zones) -> None:
        canvas = self.iface.mapCanvas()
        extent = canvas.mapSettings().layerExtentToOutputExtent(zones, zones.extent())
        extent.scale(1.1)
        canvas.setExtent(extent)
        canvas.refresh()

    def unload(self) -> None:
        for action in self.dock_actions:
            self.iface.removePluginMenu(MENU, action)
        self.dock_actions.clear()
        if self.dock is not None:  # its actions, map tool and signal connections go with it
            self.dock.unload()
            self.iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
            self.dock = None
        for action in self.actions:
            self.iface.removePluginMenu(MENU, action)
            action.triggered.disconnect()
            action.deleteLater()
        self.actions.clear()
        if self.toolbar is not None:
            self.toolbar.deleteLater()
            self.toolbar = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        log.detach_handler()
