"""Rare Earth Explorer: a QGIS plugin for rare-earth exploration zones and exact tonnage estimates."""


def classFactory(iface):  # noqa: N802 - QGIS looks the entry point up by this name
    from .plugin import RareEarthPlugin

    return RareEarthPlugin(iface)
