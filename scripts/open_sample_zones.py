"""Run by `make qgis` (qgis --code): load the sample zones through the plugin's own action."""

from qgis.utils import iface, plugins

plugins["rare_earth_plugin"].load_zones()
iface.mainWindow().showMaximized()
