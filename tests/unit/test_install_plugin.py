"""scripts/install_plugin.py enables the plugin in a Qt INI without disturbing other settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from install_plugin import enable_in_ini  # noqa: E402


def test_enable_in_new_ini(tmp_path: Path) -> None:
    ini = tmp_path / "QGIS" / "QGIS3.ini"
    enable_in_ini(ini, "rare_earth_plugin")
    assert ini.read_text().splitlines() == ["[PythonPlugins]", "rare_earth_plugin=true"]


def test_enable_keeps_other_sections_and_replaces_old_value(tmp_path: Path) -> None:
    ini = tmp_path / "QGIS3.ini"
    ini.write_text("[General]\nlocale=en\n\n[PythonPlugins]\nother=true\nrare_earth_plugin=false\n\n[UI]\nx=1\n")
    enable_in_ini(ini, "rare_earth_plugin")
    enable_in_ini(ini, "rare_earth_plugin")
    lines = ini.read_text().splitlines()
    assert lines.count("rare_earth_plugin=true") == 1
    assert "rare_earth_plugin=false" not in lines
    assert {"locale=en", "other=true", "x=1", "[UI]", "[General]"} <= set(lines)
    assert lines.index("rare_earth_plugin=true") < lines.index("[UI]")


def test_install_copies_staged_plugin(tmp_path: Path) -> None:
    staged = tmp_path / "rare_earth_plugin"
    staged.mkdir()
    (staged / "metadata.txt").write_text("[general]\nname=x\n")
    root = tmp_path / "config"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "install_plugin.py"), str(staged), "--config-path", str(root)],
        check=True,
        capture_output=True,
    )
    profile = root / "profiles" / "default"
    assert (profile / "python" / "plugins" / "rare_earth_plugin" / "metadata.txt").is_file()
    assert "rare_earth_plugin=true" in (profile / "QGIS" / "QGIS3.ini").read_text()


def test_install_refuses_unstaged_folder(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "install_plugin.py"),
            str(tmp_path),
            "--config-path",
            str(tmp_path / "c"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert "make stage" in run.stderr
