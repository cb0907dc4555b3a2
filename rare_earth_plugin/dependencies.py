"""Which of the Python packages the engine needs are missing, and how to install them.

QGIS must start even when they are missing, so this module imports nothing but the standard library.
"""

from __future__ import annotations

import importlib.util

#: import name -> Debian/Ubuntu package that provides it (linked against the same GDAL/GEOS/PROJ as QGIS).
#: Exactly the third-party packages the plugin's modules import (tests/unit/test_dependencies.py checks it).
REQUIRED = {
    "numpy": "python3-numpy",
    "rasterio": "python3-rasterio",
    "shapely": "python3-shapely",
    "pyproj": "python3-pyproj",
    "matplotlib": "python3-matplotlib",
    "osgeo": "python3-gdal",
}


def missing_packages() -> list[str]:
    return [name for name in REQUIRED if not _importable(name)]


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a broken install, or a finder refusing it
        return False


def install_hint(missing: list[str]) -> str:
    debs = " ".join(REQUIRED[name] for name in missing)
    return (
        f"Rare Earth Explorer needs the Python package(s) {', '.join(missing)}. "
        f"On Debian/Ubuntu install them with: sudo apt install {debs} (then restart QGIS). "
        "Tonnage estimates and reports are disabled until then."
    )
