"""core/ must import without QGIS (usable from a notebook) and never import it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "rare_earth_plugin" / "core"


def test_core_sources_do_not_import_qgis() -> None:
    offenders = []
    for source in CORE.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{source.name}: {n}" for n in names if n.split(".")[0] in {"qgis", "PyQt5", "PyQt6"}]
    assert not offenders


def test_core_imports_with_qgis_unavailable() -> None:
    modules = [f"rare_earth_plugin.core.{p.stem}" for p in CORE.glob("*.py") if p.stem != "__init__"]
    code = (
        "import sys; sys.modules['qgis'] = None\n"
        + "".join(f"import {m}\n" for m in modules)
        + "assert not any(k == 'qgis' or k.startswith('qgis.') for k, v in sys.modules.items() if v)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=CORE.parents[1], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
