"""The architecture as import rules: core imports no QGIS; processing and report never import gui; nothing
imports plugin (it only wires). Read from the sources, so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "rare_earth_plugin"
QT_ROOTS = {"qgis", "PyQt5", "PyQt6", "processing"}


def _imports(source: Path) -> list[str]:
    """Absolute module names ``source`` imports (relative imports resolved against the package)."""
    parts = source.relative_to(PACKAGE.parent).with_suffix("").parts
    package = parts[:-1]
    names = []
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names += [module] if node.module else [f"{module}.{alias.name}" for alias in node.names]
    return names


def _sources(room: str = "") -> list[Path]:
    return sorted((PACKAGE / room).rglob("*.py"))


def _offenders(room: str, forbidden) -> list[str]:
    return [
        f"{source.relative_to(PACKAGE)}: {name}"
        for source in _sources(room)
        for name in _imports(source)
        if forbidden(name)
    ]


def test_core_imports_no_qgis() -> None:
    assert not _offenders("core", lambda name: name.split(".")[0] in QT_ROOTS)


@pytest.mark.parametrize("room", ["processing", "report", "core"])
def test_processing_report_and_core_never_import_gui(room) -> None:
    assert not _offenders(room, lambda name: name.startswith("rare_earth_plugin.gui"))


def test_nothing_imports_plugin() -> None:
    offenders = [
        o
        for o in _offenders("", lambda name: name.startswith("rare_earth_plugin.plugin"))
        if not o.startswith("__init__.py")
    ]  # classFactory is QGIS's entry point into plugin
    assert not offenders


def test_the_rule_sees_relative_imports() -> None:
    """The parser resolves ``from ..gui.x import y`` (the form the package uses); without this the tests above
    would pass on any tree."""
    names = _imports(PACKAGE / "gui" / "export_dialog.py")
    assert "rare_earth_plugin.layers" in names and "rare_earth_plugin.report.export" in names
    assert any(name.startswith("rare_earth_plugin.gui.") for name in _imports(PACKAGE / "gui" / "dock.py"))
    assert "rare_earth_plugin.plugin" in _imports(PACKAGE / "__init__.py")
