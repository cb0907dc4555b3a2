"""Wiring between QGIS and the plugin: actions, toolbar, menu, Processing provider. No logic lives here.

``__init__`` must not touch ``iface``: ``qgis_process`` builds the plugin with ``classFactory(None)`` and only
calls ``initProcessing()``. ``unload()`` undoes everything ``initGui()`` did, so a reload leaves no duplicates.
"""

from __future__ import annotations

import sys

from qgis.core import Qgis, QgsApplication
from qgis.PyQt.QtCore import Qt, QTimer
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction

from . import log
from .dependencies import install_hint, missing_packages
from .paths import resource

MENU = "&Rare Earth"
#: Default keyboard shortcuts (Ctrl+Alt+E/D/X: not used by QGIS 3.22 or its core plugins), changeable in
#: Settings > Keyboard Shortcuts.
SHORTCUTS = {"panel": "Ctrl+Alt+E", "draw": "Ctrl+Alt+D", "export": "Ctrl+Alt+X"}


class RareEarthPlugin:
    def __init__(self, iface) -> None:
        self.iface = iface
        self.provider = None
        self.toolbar = None
        self.dock = None
        self.actions: list[QAction] = []
        self.dock_actions: list[QAction] = []
        self.registered: list[QAction] = []
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
        self._add_action(
            "Load Qaraganda exploration zones",
            QIcon(str(resource("icons", "load_zones.svg"))),
            self.load_zones,
            "Add the synthetic sample zones, grade and thickness rasters of the "
            "Qaraganda region to the project, styled, and show them in the Rare Earth panel",
        )
        if not self.missing:
            self._add_dock()
            self._add_action(
                "Export report…",
                QgsApplication.getThemeIcon("/mActionSaveAsPDF.svg"),
                self.export_report,
                "Write a PDF report (with CSV and GeoPackage) of chosen zones and survey areas",
                SHORTCUTS["export"],
            )
        else:
            # Critical: the engine cannot run, so the message stays until closed.
            log.notify(self.iface.messageBar(), install_hint(self.missing), Qgis.MessageLevel.Critical)

    def _add_action(self, text: str, icon: QIcon, slot, tooltip: str, shortcut: str = "") -> QAction:
        action = QAction(icon, text, self.iface.mainWindow())
        action.setToolTip(f"{tooltip} ({shortcut})" if shortcut else tooltip)
        action.triggered.connect(slot)
        self._register(action, shortcut)
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
        self.dock.estimate_action.setIcon(QIcon(str(resource("icons", "estimate_selected.svg"))))
        self.dock_actions = [self.dock.toggle_action, self.dock.draw_action, self.dock.estimate_action]
        for action, key in zip(self.dock_actions, ("panel", "draw", "")):
            if key:
                action.setToolTip(f"{action.toolTip()} ({SHORTCUTS[key]})")
            self._register(action, SHORTCUTS.get(key, ""))
        for action in self.dock_actions:
            self.toolbar.addAction(action)
            self.iface.addPluginToMenu(MENU, action)

    def _register(self, action: QAction, shortcut: str) -> None:
        """Shortcuts go through QGIS, so users see and change them in Settings > Keyboard Shortcuts."""
        if shortcut:
            self.iface.registerMainWindowAction(action, shortcut)
            self.registered.append(action)

    def export_report(self) -> None:
        from .gui.export_dialog import ExportReportDialog

        inputs = self.dock.current_inputs() if self.dock is not None else None
        dialog = ExportReportDialog(parent=self.iface.mainWindow(), message_bar=self.iface.messageBar(), inputs=inputs)
        dialog.exec()

    def load_zones(self) -> None:
        from .layers import SampleDataError, load_sample_layers

        try:
            layers = load_sample_layers()
        except SampleDataError as error:
            log.notify(self.iface.messageBar(), str(error), Qgis.MessageLevel.Critical)
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
        engine = sys.modules.get(f"{__package__}.core.tonnage")  # imported only when the packages are there
        if engine is not None:  # rasters it keeps open must close before GDAL shuts down with QGIS
            engine.close_all_cached_rasters()
            engine.stop_workers()
        for action in self.registered:
            self.iface.unregisterMainWindowAction(action)
        self.registered.clear()
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
