"""Every Qt name the plugin uses exists in PyQt6 (QGIS 4), checked statically since QGIS 4 is not packaged here;
every QGIS enum value it names is scoped (``Qgis.GeometryType.Polygon``, not ``QgsWkbTypes.PolygonGeometry``).

Our sources are parsed with ast; each attribute chain that starts at a name imported from ``qgis.PyQt.<module>``
(``Qt.AlignmentFlag.AlignLeft``, ``QMessageBox.StandardButton.Yes``, ``QTimer.singleShot``) is resolved against
PyQt6 in a separate /usr/bin/python3, so the process that runs QGIS never loads a second Qt. An unscoped enum
(``Qt.AlignLeft``), ``exec_`` or a QVariant type code fails: none of them exists in PyQt6.
"""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYQT_PREFIX = "qgis.PyQt."
#: Classes Qt 6 moved from QtWidgets to QtGui; QGIS 4's qgis.PyQt.QtWidgets still offers them, so Qt 5 code
#: importing them from QtWidgets keeps working (an assumption about QGIS 4's shim, stated in the README).
MOVED_TO_QTGUI = {"QAction", "QActionGroup", "QShortcut", "QUndoCommand", "QFileSystemModel"}

RESOLVER = """
import importlib, json, sys
MOVED = set(json.loads(sys.argv[1]))
missing = []
for module, path in json.load(sys.stdin):
    first, *rest = path.split(".")
    candidates = [module] + (["QtGui"] if module == "QtWidgets" and first in MOVED else [])
    for candidate in candidates:
        try:
            obj = getattr(importlib.import_module("PyQt6." + candidate), first)
            for part in rest:
                obj = getattr(obj, part)
            break
        except (ImportError, AttributeError):
            continue
    else:
        missing.append(f"qgis.PyQt.{module}: {path}")
print(json.dumps(missing))
"""


def imported_chains(source: str, prefix: str) -> set[tuple[str, str]]:
    """(module after ``prefix``, dotted name) for every name imported from ``prefix...`` and each attribute chain
    rooted at one (``Qt.AlignmentFlag.AlignLeft``)."""
    tree = ast.parse(source)
    imported: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(prefix):
            for alias in node.names:
                imported[alias.asname or alias.name] = (node.module[len(prefix) :], alias.name)
    found = {(module, name) for module, name in imported.values()}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts, base = [node.attr], node.value
            while isinstance(base, ast.Attribute):
                parts.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id in imported:
                module, name = imported[base.id]
                found.add((module, ".".join([name, *reversed(parts)])))
    return found


def qt_names(source: str) -> set[tuple[str, str]]:
    """(Qt module, dotted name) for every imported Qt name and attribute chain rooted at one."""
    return imported_chains(source, PYQT_PREFIX)


def unresolved_in_pyqt6(names: set[tuple[str, str]]) -> list[str]:
    out = subprocess.run(
        ["/usr/bin/python3", "-c", RESOLVER, json.dumps(sorted(MOVED_TO_QTGUI))],
        input=json.dumps(sorted(names)),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def pyqt6() -> None:
    probe = subprocess.run(["/usr/bin/python3", "-c", "import PyQt6.QtCore"], capture_output=True)
    if probe.returncode != 0:
        pytest.fail("PyQt6 is missing: make setup installs python3-pyqt6 (the Qt 6 name check needs it)")


def test_every_qt_name_of_the_plugin_exists_in_pyqt6(pyqt6: None) -> None:
    names: set[tuple[str, str]] = set()
    for path in sorted((ROOT / "rare_earth_plugin").rglob("*.py")):
        names |= qt_names(path.read_text(encoding="utf-8"))
    assert len(names) > 50, "the walk found too few Qt names: is the import prefix still qgis.PyQt?"
    assert unresolved_in_pyqt6(names) == []


def test_the_check_fails_on_qt5_only_names(pyqt6: None) -> None:
    sample = (
        "from qgis.PyQt.QtCore import Qt, QVariant\n"
        "from qgis.PyQt.QtWidgets import QDialog, QSizePolicy\n"
        "align = Qt.AlignLeft\n"
        "policy = QSizePolicy.Policy.Expanding\n"
        "kind = QVariant.Double\n"
        "QDialog().exec_()\n"
        "run = QDialog.exec_\n"
    )
    assert sorted(unresolved_in_pyqt6(qt_names(sample))) == [
        "qgis.PyQt.QtCore: QVariant.Double",
        "qgis.PyQt.QtCore: Qt.AlignLeft",
        "qgis.PyQt.QtWidgets: QDialog.exec_",
    ]


# --- QGIS enums -----------------------------------------------------------------------------------------------
QGIS_PREFIX = "qgis."
#: The one module that names the old (3.22) forms on purpose, each behind feature detection.
COMPAT = "qgis_compat.py"

QGIS_RESOLVER = """
import enum, importlib, json, sys
problems = []
for module, path, compat in json.load(sys.stdin):
    first, *rest = path.split(".")
    try:
        objects = [getattr(importlib.import_module("qgis." + module), first)]
        for part in rest:
            objects.append(getattr(objects[-1], part))
    except (ImportError, AttributeError):
        if not compat:  # only qgis_compat may name what this QGIS lacks (it checks first)
            problems.append(f"missing in this QGIS: {path}")
        continue
    value = objects[-1]
    is_enum = isinstance(value, enum.Enum) or (isinstance(value, int) and type(value) not in (int, bool))
    if not is_enum or len(objects) < 2:
        continue
    if objects[-2] is not type(value):
        problems.append(f"unscoped: {path} (use {type(value).__qualname__}.{rest[-1]})")
    elif isinstance(value, enum.Enum) and value.name and value.name != rest[-1] and not compat:
        problems.append(f"deprecated alias: {path} (now {type(value).__qualname__}.{value.name})")
print(json.dumps(problems))
"""


def qgis_enum_problems(sources: dict[str, str]) -> list[str]:
    """Unscoped or aliased QGIS enum values (and names this QGIS lacks) in ``{file name: source}``, resolved
    against the QGIS installed here by the system Python (no QgsApplication, no display)."""
    chains = sorted(
        {
            (module, name, file_name == COMPAT)
            for file_name, source in sources.items()
            for module, name in imported_chains(source, QGIS_PREFIX)
            if module in ("core", "gui", "analysis")
        }
    )
    out = subprocess.run(
        ["/usr/bin/python3", "-c", QGIS_RESOLVER], input=json.dumps(chains), capture_output=True, text=True, check=True
    )
    return sorted(set(json.loads(out.stdout)))


def test_every_qgis_enum_of_the_plugin_is_scoped() -> None:
    sources = {
        path.name: path.read_text(encoding="utf-8") for path in sorted((ROOT / "rare_earth_plugin").rglob("*.py"))
    }
    assert qgis_enum_problems(sources) == []


def test_the_qgis_enum_check_fails_on_unscoped_values() -> None:
    sample = (
        "from qgis.core import QgsTask, QgsWkbTypes, QgsVectorFileWriter\n"
        "flags = QgsTask.CanCancel\n"
        "scoped = QgsTask.Flag.CanCancel\n"
        "ok = QgsVectorFileWriter.WriterError.NoError\n"
        "gone = QgsWkbTypes.NoSuchThing\n"
    )
    problems = qgis_enum_problems({"sample.py": sample})
    assert [problem.split(" (")[0] for problem in problems] == [
        "missing in this QGIS: QgsWkbTypes.NoSuchThing",
        "unscoped: QgsTask.CanCancel",
    ]
