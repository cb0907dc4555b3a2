"""The README's layout table names every room and top-level module of the package, and nothing that is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "rare_earth_plugin"


def _layout_rows() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def _named() -> set[str]:
    names = set()
    for row in _layout_rows():
        first_cell = row.split("|")[1]
        for name in re.findall(r"`([^`]+)`", first_cell):
            names.add(name.removeprefix("rare_earth_plugin/").rstrip("/"))
    return names


def test_every_room_and_module_is_in_the_table() -> None:
    named = _named()
    rooms = {path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").is_file()}
    modules = {path.name for path in PACKAGE.glob("*.py") if path.name != "__init__.py"}
    assert not (rooms | modules) - named


def test_the_table_names_nothing_that_is_gone() -> None:
    for name in _named():
        if "/" not in name and not name.endswith(".py") and not (PACKAGE / name).exists():
            assert (ROOT / name).exists(), name
        elif name.endswith(".py"):
            assert (PACKAGE / name).is_file(), name
    assert "export dialog" not in next(r for r in _layout_rows() if "`rare_earth_plugin/report/`" in r)
