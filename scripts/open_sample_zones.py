"""Run by `make qgis` (qgis --code): load the sample zones through the plugin's own action."""

from qgis.utils import iface, plugins

plugins["rare_earth_plugin"].load_zones()
iface.mainWindow().setGeometry(0, 0, 1600, 1000)  # also under Xvfb, which has no window manager
