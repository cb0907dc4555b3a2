"""The zip that `make package` builds is what the official QGIS plugin repository accepts."""

from __future__ import annotations

import configparser
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_METADATA = (
    "name",
    "qgisMinimumVersion",
    "description",
    "about",
    "version",
    "author",
    "email",
    "repository",
    "tracker",
    "hasProcessingProvider",
)


def _metadata() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keep the camelCase keys QGIS reads
    parser.read(ROOT / "metadata.txt", encoding="utf-8")
    return parser["general"]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    """The zip built afresh by `make package` into a temporary build folder (never a stale one)."""
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        ["make", "--no-print-directory", "-s", "package", f"BUILD={build}"], cwd=ROOT, check=True, capture_output=True
    )
    path = build / f"rare_earth_plugin-{_metadata()['version']}.zip"
    with zipfile.ZipFile(path) as archive:
        yield archive


def test_metadata_has_what_the_repository_requires() -> None:
    metadata = _metadata()
    missing = [key for key in REQUIRED_METADATA if not metadata.get(key, "").strip()]
    assert not missing
    assert metadata["qgisMinimumVersion"] == "3.22"
    assert metadata["hasProcessingProvider"] == "yes"


def test_zip_has_one_top_folder_with_the_plugin_files(package: zipfile.ZipFile) -> None:
    names = package.namelist()
    assert {name.split("/")[0] for name in names} == {"rare_earth_plugin"}
    for required in (
        "__init__.py",
        "metadata.txt",
        "LICENSE",
        "plugin.py",
        "core/tonnage.py",
        "resources/icons/rare_earth.svg",
        "sample_data/zones.gpkg",
    ):
        assert f"rare_earth_plugin/{required}" in names, required


def test_zip_holds_no_bytecode_or_binaries_and_is_small(package: zipfile.ZipFile) -> None:
    forbidden = (".pyc", ".pyo", ".so", ".dll", ".dylib", ".exe", ".pyd")
    assert not [n for n in package.namelist() if "__pycache__" in n or n.endswith(forbidden)]
    assert not [n for n in package.namelist() if "/.git" in n or "/tests/" in n]
    assert sum(info.compress_size for info in package.infolist()) < 25 * 1024 * 1024


def test_metadata_icon_exists_in_package(package: zipfile.ZipFile) -> None:
    assert f"rare_earth_plugin/{_metadata()['icon']}" in package.namelist()
