"""Resources are found in the repository and in the staged plugin; missing packages are named with a fix."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

from rare_earth_plugin import dependencies, paths

ROOT = Path(__file__).resolve().parents[2]


def test_paths_in_repository() -> None:
    assert paths.resource("icons", "rare_earth.svg") == ROOT / "resources" / "icons" / "rare_earth.svg"
    assert paths.sample_data("zones.gpkg") == ROOT / "sample_data" / "zones.gpkg"


def test_paths_in_staged_plugin(tmp_path: Path) -> None:
    staged = tmp_path / "rare_earth_plugin"
    staged.mkdir()
    shutil.copy(ROOT / "rare_earth_plugin" / "paths.py", staged / "paths.py")
    (staged / "resources").mkdir()
    (staged / "sample_data").mkdir()
    code = "import paths; print(paths.resources_dir()); print(paths.sample_data_dir())"
    out = subprocess.run([sys.executable, "-c", code], cwd=staged, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(staged / "resources"), str(staged / "sample_data")]


def test_missing_packages_named_with_apt_command(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in {"rasterio", "matplotlib"} else real(name, *a)
    )
    missing = dependencies.missing_packages()
    assert missing == ["rasterio", "matplotlib"]
    hint = dependencies.install_hint(missing)
    assert "rasterio" in hint and "apt install python3-rasterio python3-matplotlib" in hint
