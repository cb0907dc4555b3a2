"""Copy the staged plugin into a QGIS profile and enable it there (desktop QGIS and qgis_process).

Usage: install_plugin.py STAGED_DIR [--config-path ROOT] [--profile NAME]
ROOT is what QGIS_CUSTOM_CONFIG_PATH would be; without it the user's default QGIS 3 settings root is used.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

DEFAULT_ROOT = Path.home() / ".local" / "share" / "QGIS" / "QGIS3"


def enable_in_ini(ini: Path, plugin: str) -> None:
    """Set ``[PythonPlugins] plugin=true`` without disturbing the rest of a Qt INI file."""
    lines = ini.read_text(encoding="utf-8").splitlines() if ini.exists() else []
    entry = f"{plugin}=true"
    if "[PythonPlugins]" not in lines:
        lines += ["", "[PythonPlugins]", entry] if lines else ["[PythonPlugins]", entry]
    else:
        start = lines.index("[PythonPlugins]") + 1
        end = next((i for i in range(start, len(lines)) if lines[i].startswith("[")), len(lines))
        kept = [line for line in lines[start:end] if not line.startswith(f"{plugin}=")]
        lines = [*lines[:start], entry, *kept, *lines[end:]]
    ini.parent.mkdir(parents=True, exist_ok=True)
    ini.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("staged", type=Path)
    parser.add_argument("--config-path", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--profile", default="default")
    args = parser.parse_args()
    if not (args.staged / "metadata.txt").is_file():
        print(f"install: {args.staged} is not a staged plugin (no metadata.txt); run make stage", file=sys.stderr)
        return 1
    profile = args.config_path / "profiles" / args.profile
    target = profile / "python" / "plugins" / args.staged.name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(args.staged, target)
    enable_in_ini(profile / "QGIS" / "QGIS3.ini", args.staged.name)
    print(f"installed {args.staged.name} into {target.parent} (enabled)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
