"""Smoke test of the staged plugin through the real ``qgis_process`` command line, in a throw-away profile.

This is what a headless user or a server script does: nothing from the repository is on the path, only the
staged plugin folder (``make stage``) copied into a fresh profile by ``scripts/install_plugin.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from osgeo import ogr

REPO = Path(__file__).resolve().parents[2]
STAGED = REPO / "build" / "rare_earth_plugin"
PLUGIN = STAGED.name
ALGORITHMS = ("rareearth:estimatetonnage", "rareearth:gradetonnagecurve", "rareearth:explorationtarget")

pytestmark = pytest.mark.slow


def _qgis_process() -> str | None:
    # Debian 12's /usr/bin/qgis_process wrapper passes an option the 3.22 binary rejects; 3.40 has no .bin.
    binary = Path("/usr/bin/qgis_process.bin")
    return str(binary) if binary.is_file() else shutil.which("qgis_process")


class QgisProcess:
    def __init__(self, executable: str, config_path: Path, workdir: Path):
        self.executable, self.workdir = executable, workdir
        self.env = {**os.environ, "QGIS_CUSTOM_CONFIG_PATH": str(config_path), "QT_QPA_PLATFORM": "offscreen"}
        # Only the staged copy may be importable, not the repository's package.
        paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and Path(p).resolve() != REPO]
        self.env["PYTHONPATH"] = os.pathsep.join(paths)

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [self.executable, *args], cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=600
        )
        if check and done.returncode != 0:
            pytest.fail(f"qgis_process {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def run(self, algorithm: str, **parameters: Any) -> dict[str, Any]:
        arguments = [f"{name}={value}" for name, value in parameters.items()]
        done = self("--json", "run", algorithm, "--", *arguments)
        return json.loads(done.stdout)["results"]


@pytest.fixture(scope="module")
def qgis_process(tmp_path_factory) -> QgisProcess:
    executable = _qgis_process()
    if executable is None:
        pytest.skip("qgis_process is not installed (Debian: apt install qgis)")
    if not (STAGED / "metadata.txt").is_file():
        pytest.fail(f"{STAGED} is missing: run `make stage` first (`make qgis-tests` does)")
    config = tmp_path_factory.mktemp("qgis-profile")
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "install_plugin.py"), str(STAGED), "--config-path", str(config)],
        check=True,
        capture_output=True,
    )
    tool = QgisProcess(executable, config, tmp_path_factory.mktemp("qgis-process-work"))
    # QGIS 3.40 wants plugins enabled for qgis_process too; 3.22 already finds it enabled. Either may refuse.
    tool("plugins", "enable", PLUGIN, check=False)
    return tool


def read_rows(path: Path) -> list[dict[str, Any]]:
    source = ogr.Open(str(path))
    assert source is not None, f"no output at {path}"
    layer = source.GetLayer(0)
    return [feature.items() for feature in layer]


def test_list_shows_the_provider_and_both_algorithms(qgis_process) -> None:
    listing = json.loads(qgis_process("--json", "list").stdout)
    provider = listing["providers"].get("rareearth")
    assert provider is not None, f"provider rareearth not loaded; providers: {sorted(listing['providers'])}"
    assert provider["is_active"]
    assert set(ALGORITHMS) <= set(provider["algorithms"])


def test_run_on_synthetic_data_writes_the_closed_form_tonnes(
    qgis_process, make_raster, make_polygons, grid, tmp_path
) -> None:
    grade = make_raster(np.full((10, 10), 0.2))
    zones = make_polygons([(grid.box(1.5, 1, 5.5, 4), "block")])
    out = tmp_path / "estimate.gpkg"
    results = qgis_process.run(ALGORITHMS[0], INPUT=zones, GRADE=grade, THICKNESS=5, DENSITY=2.5, OUTPUT=out)
    assert Path(results["OUTPUT"]).resolve() == out.resolve()
    [row] = read_rows(out)
    ore = 4 * 3 * grid.cell**2 * 5 * 2.5
    assert row["name"] == "block"
    assert row["ore_t"] == pytest.approx(ore)
    assert row["treo_t"] == pytest.approx(ore * 0.2 / 100, rel=1e-6)

    table = tmp_path / "curve.gpkg"
    qgis_process.run(
        ALGORITHMS[1], INPUT=zones, GRADE=grade, THICKNESS=5, DENSITY=2.5, CUTOFFS="0,0.1,0.3", OUTPUT=table
    )
    rows = read_rows(table)
    assert [(r["name"], r["cutoff"]) for r in rows] == [("block", 0.0), ("block", 0.1), ("block", 0.3)]
    assert [r["ore_t"] for r in rows] == pytest.approx([ore, ore, 0.0])


def test_run_on_the_sample_zones(qgis_process, sample_paths, tmp_path) -> None:
    common = {"INPUT": sample_paths.zones, "GRADE": sample_paths.grade, "THICKNESS_RASTER": sample_paths.thickness}
    out = tmp_path / "zones_tonnage.gpkg"
    qgis_process.run(ALGORITHMS[0], **common, CUTOFF=0.1, OUTPUT=out)
    irgiz = next(r for r in read_rows(out) if r["name"] == "Irgiz")
    assert irgiz["ore_t"] > 0 and irgiz["grade_mean"] >= 0.1

    table = tmp_path / "zones_curve.gpkg"
    qgis_process.run(ALGORITHMS[1], **common, OUTPUT=table)
    curve = [r for r in read_rows(table) if r["name"] == "Irgiz"]
    assert len(curve) > 1 and curve[0]["ore_t"] > 0
    assert all(a["ore_t"] >= b["ore_t"] for a, b in zip(curve, curve[1:]))


def test_exploration_target_through_qgis_process(
    qgis_process, sample_paths, make_raster, make_polygons, grid, tmp_path
) -> None:
    grade = make_raster(np.full((10, 10), 0.2))
    zones = make_polygons([(grid.box(1, 1, 5, 4), "block")])
    out = tmp_path / "target.gpkg"
    qgis_process.run(
        "rareearth:explorationtarget",
        INPUT=zones,
        GRADE=grade,
        THICKNESS=10,
        TOP_DEPTH=5,
        MAX_DEPTH=14,
        DENSITY_RANGE="2.4,2.6,2.8",
        DRAWS=2000,
        SEED=3,
        OUTPUT=out,
    )
    [row] = read_rows(out)
    area = 4 * 3 * grid.cell**2
    # [5, 5 + 10 t] cut at 14 m: 8 m at t = 0.8, 9 m (capped) at t = 1 and 1.2.
    assert row["ore_t_low"] == pytest.approx(area * 8 * 2.4)
    assert row["ore_t_base"] == pytest.approx(area * 9 * 2.6)
    assert row["ore_t_high"] == pytest.approx(area * 9 * 2.8)
    assert row["ore_t_p90"] <= row["ore_t_p50"] <= row["ore_t_p10"]

    sample = tmp_path / "zones_target.gpkg"
    qgis_process.run(
        "rareearth:explorationtarget",
        INPUT=sample_paths.zones,
        GRADE=sample_paths.grade,
        THICKNESS_RASTER=sample_paths.thickness,
        CUTOFF=0.05,
        MAX_DEPTH=300,
        OUTPUT=sample,
    )
    irgiz = next(r for r in read_rows(sample) if r["name"] == "Irgiz")
    assert 0 < irgiz["treo_t_p90"] < irgiz["treo_t_p50"] < irgiz["treo_t_p10"]
