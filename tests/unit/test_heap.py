"""The engine keeps freed tile arrays in the C heap: after its first estimate, arrays made and freed the way a pass's
tiles are cost no page faults, where a fresh process without it faults every page in again. Each case runs in a
fresh interpreter, since the thresholds are the process's."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from rare_earth_plugin.core import heap

ROOT = Path(__file__).resolve().parents[2]
GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

#: Six 1 MB arrays made and freed ten times, as a pass's tiles do: the page faults of the last nine rounds.
CHURN = """
import resource, numpy as np
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
rounds = []
for _ in range(10):
    before = faults()
    arrays = [np.ones(131072) for _ in range(6)]
    del arrays
    rounds.append(faults() - before)
print(sum(rounds[1:]))
"""

FIRST_ESTIMATE = """
import numpy as np, rasterio
from rasterio.transform import from_origin
from shapely.geometry import box
from rare_earth_plugin.core.tonnage import TonnageParams, estimate_tonnage
path = {path!r}
with rasterio.open(path, "w", driver="GTiff", width=50, height=50, count=1, dtype="float32", crs="EPSG:32643",
                   transform=from_origin(500000, 5600000, 10, 10)) as dst:
    dst.write(np.full((1, 50, 50), 0.2, dtype="float32"))
estimate_tonnage(box(500100, 5599600, 500300, 5599800), path, TonnageParams(thickness=1.0))
"""


def _faults(prelude: str, env: dict[str, str] | None = None) -> int:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("MALLOC_")}
    clean.pop("GLIBC_TUNABLES", None)
    run = subprocess.run(
        [sys.executable, "-c", prelude + CHURN],
        cwd=ROOT,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return int(run.stdout.split()[-1])


@pytest.mark.skipif(not GLIBC, reason="glibc's thresholds")
def test_after_the_first_estimate_freed_tile_arrays_are_reused_without_page_faults(tmp_path):
    pages = 9 * 6 * (1 << 20) // 4096  # every page of the last nine rounds
    assert _faults("") > pages // 2  # without the engine: glibc hands the arrays back and faults them in again
    assert _faults(FIRST_ESTIMATE.format(path=str(tmp_path / "grade.tif"))) < pages // 20


@pytest.mark.skipif(not GLIBC, reason="glibc's thresholds")
def test_the_users_own_malloc_settings_are_left_alone(tmp_path):
    prelude = FIRST_ESTIMATE.format(path=str(tmp_path / "grade.tif"))
    pages = 9 * 6 * (1 << 20) // 4096
    assert _faults(prelude, {"MALLOC_TRIM_THRESHOLD_": "131072"}) > pages // 2


def test_set_once_per_process_and_never_outside_glibc(monkeypatch):
    monkeypatch.setattr(heap, "_done", False)
    monkeypatch.setattr(heap.platform, "system", lambda: "Windows")
    assert heap.keep_freed_memory() is False
    monkeypatch.setattr(heap, "_done", False)
    monkeypatch.setattr(heap.platform, "system", lambda: "Linux")
    monkeypatch.setattr(heap.platform, "libc_ver", lambda: ("musl", "1.2"))
    assert heap.keep_freed_memory() is False
    assert heap.keep_freed_memory() is False  # and not asked again


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt")
def test_glibc_takes_the_values(monkeypatch):
    monkeypatch.setattr(heap, "_done", False)
    for name in heap._USER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    assert heap.keep_freed_memory() is True
    assert heap.keep_freed_memory() is False
