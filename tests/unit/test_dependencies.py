"""dependencies.REQUIRED is exactly the third-party packages the plugin's modules import."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from rare_earth_plugin.dependencies import REQUIRED

PACKAGE = Path(__file__).resolve().parents[2] / "rare_earth_plugin"
#: Provided by QGIS itself (qgis, and PyQt through qgis.PyQt), so never missing where the plugin runs.
PROVIDED_BY_QGIS = {"qgis"}


def imported_top_level_names(source: str) -> set[str]:
    """Top-level names of every absolute import, wherever it is (module level, functions, try blocks)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def third_party_imports() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for name in imported_top_level_names(path.read_text(encoding="utf-8")):
            if name in sys.stdlib_module_names or name in PROVIDED_BY_QGIS or name == PACKAGE.name:
                continue
            found.setdefault(name, []).append(str(path.relative_to(PACKAGE)))
    return found


def test_required_packages_are_what_the_code_imports() -> None:
    imports = third_party_imports()
    assert set(REQUIRED) == set(imports), {
        "imported, not required": sorted(set(imports) - set(REQUIRED)),
        "required, never imported": sorted(set(REQUIRED) - set(imports)),
    }


def test_the_walk_sees_imports_inside_functions_and_try_blocks() -> None:
    source = (
        "import os\nfrom shapely import wkt\n"
        "def f():\n    import matplotlib.pyplot\n"
        "try:\n    from pyproj import CRS\nexcept ImportError:\n    pass\n"
        "from . import sibling\n"
    )
    assert imported_top_level_names(source) == {"os", "shapely", "matplotlib", "pyproj"}


def test_every_required_package_names_its_debian_package() -> None:
    assert all(deb.startswith("python3-") for deb in REQUIRED.values())
