"""`make bench`: speed and memory of the tonnage engine against exactextract, QGIS zonal statistics and a bare read.

Cases (issue targets in brackets):
  a  one ragged polygon over 40 % of an 8,000 x 8,000 raster   [no slower than exactextract, <= 1.5 x bare read]
  b  1,000 small polygons (0.01-0.5 km2) over the same raster  [same]
  c  one 10 km2 polygon, median of 20 calls                    [< 100 ms]
  d  peak RSS of a process estimating a polygon over a 40,000 x 40,000 raster  [< 500 MB]
  e  exploration target (10,000 draws) on the sample zones vs their estimate   [< 0.5 s, < 10 % on 138 km2]
  f  case b in fresh processes: plain estimate_tonnage loop, batch, exactextract [loop <= 1.5 x, batch <= 1 x]
  g  the ground-area correction on UTM 43N, Web Mercator, polar stereographic  [UTM: no measurable slowdown]
Rasters are generated once under build/bench/ and reused. exactextract runs in its own venv (it brings its own
GEOS) through scripts/bench_exactextract.py. Results go to stdout and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import math
import os
import platform
import pstats
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window
from shapely.geometry import Polygon, mapping

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from bench_target import target_case  # noqa: E402
from qgis_headless import start_qgis  # noqa: E402

from rare_earth_plugin.core import affine_ops, tonnage  # noqa: E402
from rare_earth_plugin.core.limits import DEFAULT_LIMITS  # noqa: E402
from rare_earth_plugin.core.tonnage import TonnageParams, estimate_tonnage  # noqa: E402

TILE_CELLS = DEFAULT_LIMITS.tile_cells

BENCH = ROOT / "build" / "bench"
EE_VENV = BENCH / "exactextract-venv"
DOC = ROOT / "docs" / "benchmarks.md"
CRS = "EPSG:32643"
CELL = 10.0
ORIGIN = (500_000.0, 5_600_000.0)  # UTM 43N, near the Kuirektykol area
BLOCK = 256
SEED = 20250402
PARAMS = TonnageParams(cutoff=0.0, thickness=1.0, density=1.0)
RUNS = 3
INTERACTIVE_CALLS = 20
MEMORY_LIMIT_MB = 500.0
INTERACTIVE_LIMIT_S = 0.100
READ_FACTOR_LIMIT = 1.5
#: Rounds of ours and exactextract in turn in cases a and b (at least), the verdict the median of their ratios.
PAIRED_ROUNDS = 5
#: Bump when the generators change, so cached rasters are rebuilt.
DATA_VERSION = 1


# ---------------------------------------------------------------------------------------------- data


#: Top-left corner and cell (degrees) of the geographic rasters: 0.001 degree cells from 75 N down.
GEOGRAPHIC_ORIGIN, GEOGRAPHIC_CELL = (60.0, 75.0), 0.001


def grade_raster(size: int, smooth: bool, geographic: bool = False) -> Path:
    """Cached tiled DEFLATE float32 grade raster (TREO %); ``smooth=False`` gives one value per block;
    ``geographic``: the same values in EPSG:4326 at ``GEOGRAPHIC_ORIGIN``."""
    kind = f"{'field' if smooth else 'blocks'}{'_4326' if geographic else ''}"
    path = BENCH / f"grade_{size}_{kind}_v{DATA_VERSION}.tif"
    if path.exists():
        return path
    BENCH.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    tmp = path.with_suffix(".tmp.tif")
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326" if geographic else CRS,
        "transform": (
            from_origin(*GEOGRAPHIC_ORIGIN, GEOGRAPHIC_CELL, GEOGRAPHIC_CELL)
            if geographic
            else from_origin(*ORIGIN, CELL, CELL)
        ),
        "tiled": True,
        "blockxsize": BLOCK,
        "blockysize": BLOCK,
        "compress": "deflate",
        "nodata": -9999.0,
        "num_threads": "all_cpus",
        "bigtiff": "if_safer",
    }
    field_rows = _Field(np.random.default_rng(SEED), size)
    with rasterio.open(tmp, "w", **profile) as dst:
        for row0 in range(0, size, BLOCK):
            rows = min(BLOCK, size - row0)
            if smooth:
                values = field_rows.rows(row0, rows)
            else:
                centres = field_rows.block_values(row0 + rows // 2)
                values = np.repeat(np.broadcast_to(centres, (rows, centres.size)), BLOCK, axis=1)[:, :size]
            dst.write(values.astype(np.float32), 1, window=Window(0, row0, size, rows))
    tmp.rename(path)
    print(
        f"generated {path.relative_to(ROOT)} ({path.stat().st_size / 1e6:.0f} MB) "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return path


class _Field:
    """A smooth grade field from a few plane waves (a rank-2K product per strip, so generation is cheap) plus
    a little cell noise, so DEFLATE sees the mantissa noise real interpolated grids have."""

    def __init__(self, rng: np.random.Generator, size: int, modes: int = 16):
        extent = size * CELL
        wavelength = np.exp(rng.uniform(np.log(extent / 50), np.log(extent / 2), modes))
        angle = rng.uniform(0, np.pi, modes)
        self.kx = 2 * np.pi * np.cos(angle) / wavelength
        self.ky = 2 * np.pi * np.sin(angle) / wavelength
        self.phase = rng.uniform(0, 2 * np.pi, modes)
        amplitude = wavelength**0.8
        self.amplitude = amplitude / np.sqrt(0.5 * np.sum(amplitude**2))  # unit variance
        self.x = (np.arange(size) + 0.5) * CELL
        self.size = size
        self.rng = rng

    def rows(self, row0: int, count: int) -> np.ndarray:
        y = (np.arange(row0, row0 + count) + 0.5) * CELL
        ax = np.outer(self.x, self.kx) + self.phase  # (cols, modes)
        by = np.outer(y, self.ky)  # (rows, modes)
        # cos(a + b) = cos a cos b - sin a sin b
        left = np.hstack([np.cos(by) * self.amplitude, -np.sin(by) * self.amplitude])
        right = np.hstack([np.cos(ax), np.sin(ax)]).T
        smooth = left @ right
        noise = self.rng.standard_normal((count, self.size))
        return np.maximum(0.06 + 0.025 * smooth + 0.0005 * noise, 0.001)

    def block_values(self, row: int) -> np.ndarray:
        centres = np.arange(BLOCK // 2, self.size, BLOCK)
        y = (row + 0.5) * CELL
        x = (centres + 0.5) * CELL
        waves = np.cos(np.outer(x, self.kx) + self.ky * y + self.phase) @ self.amplitude
        return np.round(np.maximum(0.06 + 0.025 * waves, 0.001), 3)


def blob(
    rng: np.random.Generator,
    centre: tuple[float, float],
    area: float,
    vertices: int,
    harmonics: float,
    roughness: float,
) -> Polygon:
    """A star-shaped (hence simple) ragged polygon of exactly ``area`` m2."""
    theta = np.linspace(0.0, 2 * np.pi, vertices, endpoint=False)
    radius = np.ones(vertices)
    for h in range(2, 8):
        radius += harmonics / h * rng.uniform(-1, 1) * np.cos(h * theta + rng.uniform(0, 2 * np.pi))
    radius = np.maximum(radius + roughness * rng.uniform(-1, 1, vertices), 0.2)
    unit = Polygon(np.column_stack([radius * np.cos(theta), radius * np.sin(theta)]))
    scale = math.sqrt(area / unit.area)
    return Polygon(
        np.column_stack([centre[0] + scale * radius * np.cos(theta), centre[1] + scale * radius * np.sin(theta)])
    )


def raster_centre(size: int) -> tuple[float, float]:
    return ORIGIN[0] + size * CELL / 2, ORIGIN[1] - size * CELL / 2


def large_polygon(size: int) -> Polygon:
    extent = size * CELL
    return blob(np.random.default_rng(SEED + 1), raster_centre(size), 0.4 * extent * extent, 5000, 0.12, 0.05)


def small_polygons(size: int, count: int = 1000) -> list[Polygon]:
    rng = np.random.default_rng(SEED + 2)
    extent = size * CELL
    polygons = []
    for _ in range(count):
        centre = (ORIGIN[0] + rng.uniform(0.02, 0.98) * extent, ORIGIN[1] - rng.uniform(0.02, 0.98) * extent)
        area = math.exp(rng.uniform(math.log(0.01e6), math.log(0.5e6)))
        polygons.append(blob(rng, centre, area, int(rng.integers(24, 97)), 0.3, 0.1))
    return polygons


def interactive_polygon(size: int) -> Polygon:
    return blob(np.random.default_rng(SEED + 3), raster_centre(size), 10e6, 400, 0.2, 0.05)


def write_geojson(polygons: list[Polygon], name: str) -> Path:
    path = BENCH / name
    features = [{"type": "Feature", "properties": {"fid": i}, "geometry": mapping(p)} for i, p in enumerate(polygons)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def warm_cache(path: Path) -> None:
    """Read the whole file once so every tool starts from the same (warm) OS page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


# ---------------------------------------------------------------------------------------------- tools


def run_ours(
    path: Path, polygons: list[Polygon], profiler: cProfile.Profile | None = None, batch: bool = True
) -> list[tuple[float, float]]:
    """(covered area m2, sum of grade x covered area) per polygon: through the engine's batch entry point
    ``grade_tonnage_curves`` (rasters open once, reads running ahead across polygons), or with ``batch``
    false one ``estimate_tonnage`` call per polygon.

    Runs in a new thread, as the plugin's tasks do: the engine keeps open datasets per thread, so every run
    starts, like the other tools' runs, with the raster unopened and GDAL's block cache empty for it."""
    out: list[tuple[float, float]] = []
    errors: list[BaseException] = []

    def work() -> None:
        if profiler is not None:
            profiler.enable()
        try:
            if batch:
                results = [curve[0] for curve in tonnage.grade_tonnage_curves(polygons, path, [0.0], PARAMS)]
            else:
                results = [estimate_tonnage(polygon, path, PARAMS) for polygon in polygons]
            out.extend((result.covered_area_m2, result.treo_tonnes * 100.0) for result in results)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)
        finally:
            if profiler is not None:
                profiler.disable()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return out


def bare_read(path: Path, polygons: list[Polygon]) -> float:
    """Read each polygon's bounding window the way the engine does (block-aligned tiles of at most about
    TILE_CELLS cells, as tonnage._Accumulator._tiles cuts them) through one open dataset, as the engine keeps
    it open between calls; returns a checksum so the reads cannot be skipped."""
    with rasterio.open(path) as src:
        return sum(_read_window_of(src, polygon) for polygon in polygons)


def _read_window_of(src, polygon: Polygon) -> float:
    inverse = ~src.transform
    xmin, ymin, xmax, ymax = polygon.bounds
    c0, r0 = affine_ops.apply(inverse, xmin, ymax)
    c1, r1 = affine_ops.apply(inverse, xmax, ymin)
    col0, col1 = max(math.floor(c0), 0), min(math.ceil(c1), src.width)
    row0, row1 = max(math.floor(r0), 0), min(math.ceil(r1), src.height)
    block_h, block_w = src.block_shapes[0]
    width = col1 - col0
    if width * block_h <= TILE_CELLS or block_w >= src.width:
        col_step, row_step = max(block_w, width), max(1, TILE_CELLS // (width * block_h)) * block_h
    else:
        col_step, row_step = max(1, TILE_CELLS // (block_h * block_w)) * block_w, block_h
    rows = _edges(row0, row1, block_h, row_step)
    cols = _edges(col0, col1, block_w, col_step)
    checksum = 0.0
    for ra, rb in zip(rows[:-1], rows[1:]):
        for ca, cb in zip(cols[:-1], cols[1:]):
            checksum += float(src.read(1, window=Window(ca, ra, cb - ca, rb - ra))[0, 0])
    return checksum


def _edges(start: int, stop: int, block: int, step: int) -> list[int]:
    first = (start // block) * block + step
    return [start, *range(first, stop, step), stop] if first < stop else [start, stop]


class QgisZonal:
    """native:zonalstatisticsfb (cell-centre count and sum) on memory layers, in this process."""

    def __init__(self):
        self.app = start_qgis(BENCH / "qgis-profile")
        from qgis.core import Qgis

        self.version = Qgis.QGIS_VERSION

    def run(self, path: Path, polygons: list[Polygon]) -> tuple[float, list[tuple[float, float]]]:
        import processing
        from qgis.core import (
            QgsFeature,
            QgsGeometry,
            QgsProcessingContext,
            QgsProcessingFeedback,
            QgsRasterLayer,
            QgsVectorLayer,
        )

        layer = QgsVectorLayer(f"Polygon?crs={CRS}&field=fid:integer", "zones", "memory")
        features = []
        for i, polygon in enumerate(polygons):
            feature = QgsFeature(layer.fields())
            feature.setAttributes([i])
            feature.setGeometry(QgsGeometry.fromWkt(polygon.wkt))
            features.append(feature)
        layer.dataProvider().addFeatures(features)
        raster = QgsRasterLayer(str(path), "grade", "gdal")
        if not raster.isValid():
            raise RuntimeError(f"QGIS cannot open {path}")
        params = {
            "INPUT": layer,
            "INPUT_RASTER": raster,
            "RASTER_BAND": 1,
            "COLUMN_PREFIX": "zs_",
            "STATISTICS": [0, 1],
            "OUTPUT": "memory:",
        }
        context, feedback = QgsProcessingContext(), QgsProcessingFeedback()
        start = time.perf_counter()
        output = processing.run("native:zonalstatisticsfb", params, context=context, feedback=feedback)["OUTPUT"]
        seconds = time.perf_counter() - start
        if isinstance(output, str):
            output = context.getMapLayer(output)
        cell_area = CELL * CELL
        values = {
            f["fid"]: (float(f["zs_count"] or 0) * cell_area, float(f["zs_sum"] or 0) * cell_area)
            for f in output.getFeatures()
        }
        return seconds, [values[i] for i in range(len(polygons))]


def exactextract_python() -> tuple[Path | None, str]:
    """The isolated venv's interpreter, set up on first use; (None, reason) when exactextract cannot be had."""
    python = EE_VENV / "bin" / "python"
    steps = []
    if not python.exists():
        steps.append(["/usr/bin/python3", "-m", "venv", str(EE_VENV)])
    if steps or subprocess.run([str(python), "-c", "import exactextract, numpy"], capture_output=True).returncode:
        print(f"setting up {EE_VENV.relative_to(ROOT)} (pip install exactextract numpy)", flush=True)
        steps.append([str(EE_VENV / "bin" / "pip"), "install", "-q", "exactextract", "numpy"])
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            return None, f"could not install exactextract: {(done.stderr or done.stdout).strip()[-300:]}"
    return python, ""


def run_exactextract(python: Path, path: Path, polygons_file: Path, runs: int) -> dict:
    job = BENCH / f"job_{polygons_file.stem}.json"
    job.write_text(
        json.dumps({"raster": str(path), "polygons": str(polygons_file), "ops": ["sum", "count"], "runs": runs})
    )
    done = subprocess.run(
        [str(python), str(ROOT / "scripts" / "bench_exactextract.py"), str(job)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench_exactextract.py failed: {done.stderr.strip()[-800:]}")
    out = json.loads(done.stdout)
    cell_area = CELL * CELL
    rows = sorted(out["results"], key=lambda r: r["fid"])
    out["pairs"] = [(r["count"] * cell_area, r["sum"] * cell_area) for r in rows]
    return out


# ---------------------------------------------------------------------------------------------- cases


@dataclass
class Row:
    case: str
    ours: float | None = None
    exactextract: float | None = None
    qgis: float | None = None
    read: float | None = None
    target: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)


def best_of(runs: int, func: Callable[[], object]) -> tuple[float, object]:
    best, value = math.inf, None
    for _ in range(runs):
        start = time.perf_counter()
        value = func()
        best = min(best, time.perf_counter() - start)
    return best, value


def paired_ratio(ours: list[float], exactextract_runs: list[dict]) -> tuple[float, str]:
    """The median of the rounds' ratios of ours to exactextract (each round's pair run in turn, so that a change in
    the machine's speed meets both alike), and a note listing them."""
    ratios = [seconds / min(out["times"]) for seconds, out in zip(ours, exactextract_runs)]
    ratio = statistics.median(ratios)
    listed = ", ".join(f"{r:.2f}" for r in ratios)
    return ratio, f"ours / exactextract round by round: {listed} (median {ratio:.2f}, the verdict)"


def max_relative_difference(ours: list[tuple[float, float]], other: list[tuple[float, float]]) -> float:
    """Largest relative difference of the coverage-weighted mean grade (sum / area) per polygon. Areas are not
    compared: ours are ground areas, the other tools' map areas (UTM's scale differs from 1 by up to 1e-3)."""
    worst = 0.0
    for (area, total), (their_area, their_total) in zip(ours, other):
        if area > 0 and their_area > 0:
            mine, theirs = total / area, their_total / their_area
            worst = max(worst, abs(mine - theirs) / max(abs(mine), abs(theirs)))
    return worst


def throughput_case(
    label: str,
    path: Path,
    polygons: list[Polygon],
    geojson: Path,
    runs: int,
    qgis: QgisZonal | None,
    ee_python: Path | None,
    ee_reason: str,
) -> Row:
    row = Row(label, target=f"<= exactextract and <= {READ_FACTOR_LIMIT} x bare read")
    warm_cache(path)
    row.read, _ = best_of(runs, lambda: bare_read(path, polygons))
    # ours and exactextract in turn, so that a change in the machine's speed meets both alike
    ours_times: list[float] = []
    ee_runs: list[dict] = []
    ee_error = ee_reason if ee_python is None else None
    for _ in range(max(runs, PAIRED_ROUNDS)):
        seconds, ours = best_of(1, lambda: run_ours(path, polygons))
        ours_times.append(seconds)
        if ee_error is None:
            try:
                ee_runs.append(run_exactextract(cast(Path, ee_python), path, geojson, 1))
            except RuntimeError as exc:
                ee_error = str(exc)
    row.ours = min(ours_times)
    if len(polygons) == 1:
        main_thread, _ = best_of(runs, lambda: estimate_tonnage(polygons[0], path, PARAMS))
        row.notes.append(
            f"the same estimate called on the main thread instead of a worker thread: {fmt_seconds(main_thread)}"
        )
    if len(polygons) > 1:
        single, _ = best_of(runs, lambda: run_ours(path, polygons, batch=False))
        row.notes.append(
            f"ours is measured with the engine's batch entry point `grade_tonnage_curves` "
            f"(rasters opened once, reads running ahead across polygons); a plain loop of estimate_tonnage "
            f"calls instead, in a new thread (the thread's kept datasets): {fmt_seconds(single)}"
        )
    if qgis is not None:
        timings = [qgis.run(path, polygons) for _ in range(runs)]
        row.qgis = min(t for t, _ in timings)
        diff = max_relative_difference(ours, timings[0][1])
        row.notes.append(
            f"QGIS zonalstatisticsfb counts whole cells whose centre is inside: max relative "
            f"difference {diff:.2e} per polygon (expected, not an error)"
        )
    ratio = None
    if ee_error is not None:
        row.notes.append(f"exactextract not measured: {ee_error}")
    else:
        row.exactextract = min(min(out["times"]) for out in ee_runs)
        diff = max_relative_difference(ours, ee_runs[0]["pairs"])
        ok = diff <= 1e-6
        row.notes.append(
            f"coverage-weighted mean grade vs exactextract: max relative difference {diff:.2e} "
            f"({'OK' if ok else 'FAIL'}, limit 1e-6)"
        )
        ratio, rounds = paired_ratio(ours_times, ee_runs)
        row.notes.append(f"{rounds}; ours {', '.join(fmt_seconds(t) for t in ours_times)}")
        if not ok:
            row.met = False
    within_read = row.ours <= READ_FACTOR_LIMIT * row.read
    if row.met is None and (ratio is not None or not within_read):
        row.met = within_read and (ratio is None or ratio <= 1.0)
    return row  # met stays None (unknown) when only the missing exactextract figure could decide it


def interactive_case(path: Path) -> Row:
    polygon = interactive_polygon(8000)
    warm_cache(path)
    estimate_tonnage(polygon, path, PARAMS)  # first call pays imports and CRS parsing once per session
    times = []
    for _ in range(INTERACTIVE_CALLS):
        start = time.perf_counter()
        estimate_tonnage(polygon, path, PARAMS)
        times.append(time.perf_counter() - start)
    row = Row(
        "c: 10 km2 polygon, 10 m cells (median of 20)",
        ours=statistics.median(times),
        target=f"< {INTERACTIVE_LIMIT_S * 1000:.0f} ms",
    )
    row.read, _ = best_of(RUNS, lambda: bare_read(path, [polygon]))
    row.met = row.ours < INTERACTIVE_LIMIT_S
    row.notes.append("each call is a plain estimate_tonnage, as one redraw of a sketched area would make")
    row.notes.append(f"{INTERACTIVE_CALLS} calls: min {min(times) * 1e3:.1f} ms, max {max(times) * 1e3:.1f} ms")
    return row


_MEMORY_CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from shapely import wkt
from rare_earth_plugin.core.tonnage import TonnageParams, estimate_tonnage
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
polygon = wkt.loads(open(sys.argv[3]).read())
start = time.perf_counter()
result = estimate_tonnage(polygon, sys.argv[2], TonnageParams(thickness=1.0, density=1.0))
print(json.dumps({"seconds": time.perf_counter() - start, "baseline_kb": baseline,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "covered_m2": result.covered_area_m2, "polygon_m2": result.polygon_area_m2}))
"""


def memory_case(path: Path, env: dict[str, str] | None = None) -> tuple[float, dict]:
    """Peak RSS (MB) of a fresh interpreter running one estimate.

    Linux carries a process's peak RSS over from its parent at fork (this process holds hundreds of MB), so
    the interpreter is started from a small shell and reports its own ``ru_maxrss``."""
    polygon = large_polygon(40000)
    wkt_file = BENCH / "polygon_d.wkt"
    wkt_file.write_text(polygon.wkt)
    command = [
        "/bin/sh",
        "-c",
        '"$@"; exit $?',
        "sh",  # sh forks (not execs) the interpreter: a clean count
        sys.executable,
        "-c",
        _MEMORY_CHILD,
        str(ROOT),
        str(path),
        str(wkt_file),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ, **(env or {})))
    if done.returncode != 0:
        raise RuntimeError(f"memory child failed: {done.stderr.strip()[-800:]}")
    report = json.loads(done.stdout)
    return report["peak_kb"] / 1024.0, report


def profile_top(label: str, func: Callable[[cProfile.Profile], object], lines: int = 14) -> str:
    """Own-time profile of ``func(profiler)``, which enables the profiler in the thread doing the work."""
    profiler = cProfile.Profile()
    func(profiler)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("tottime").print_stats(lines)
    body = text.getvalue()
    start = body.find("   ncalls")
    report = f"### Profile of ours, {label} (sorted by own time)\n\n```\n{body[start:].rstrip()}\n```\n"
    (BENCH / f"profile_{label[0]}.txt").write_text(body)
    return report


# ---------------------------------------------------------------------------------------------- report


def machine(qgis_version: str, ee_version: str) -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    os_name = next(
        (
            line.split("=", 1)[1].strip('"')
            for line in Path("/etc/os-release").read_text().splitlines()
            if line.startswith("PRETTY_NAME=")
        ),
        platform.platform(),
    )
    import shapely

    return [
        f"- CPU: {model}, {os.cpu_count()} logical cores; RAM {mem_kb / 1024**2:.1f} GiB",
        f"- OS: {os_name} (kernel {platform.release()}); Python {platform.python_version()}",
        f"- QGIS {qgis_version}, GDAL {rasterio.__gdal_version__}, rasterio {rasterio.__version__}, "
        f"numpy {np.__version__}, shapely {shapely.__version__}; exactextract {ee_version}",
        f"- Date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}; load average at the "
        f"end {os.getloadavg()[0]:.1f} (other work on the machine makes times noisier)",
    ]


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "not measured"
    return f"{value * 1e3:.0f} ms" if value < 10 else f"{value:.1f} s"


def fmt_ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "-"


def _verdict(met: bool | None) -> str:
    return "unknown" if met is None else "yes" if met else "**NO**"


def table(rows: list[Row], memory: str) -> list[str]:
    lines = [
        "| case | ours | exactextract | QGIS zonalstatisticsfb | bare read | ours / exactextract | "
        "ours / bare read | target | met? |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.case} | {fmt_seconds(r.ours)} | {fmt_seconds(r.exactextract)} | "
            f"{fmt_seconds(r.qgis)} | {fmt_seconds(r.read)} | {fmt_ratio(r.ours, r.exactextract)} | "
            f"{fmt_ratio(r.ours, r.read)} | {r.target} | {_verdict(r.met)} |"
        )
    if memory:
        lines.append(memory)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="abcdefg", help="which cases to run (default: abcdefg)")
    parser.add_argument("--runs", type=int, default=RUNS, help="runs per measurement, best taken (default 3)")
    parser.add_argument("--no-doc", action="store_true", help=f"do not rewrite {DOC.relative_to(ROOT)}")
    args = parser.parse_args()
    started = time.perf_counter()

    grade = grade_raster(8000, smooth=True)
    qgis = QgisZonal() if set(args.cases) & set("ab") else None
    ee_python, ee_reason = exactextract_python() if set(args.cases) & set("abf") else (None, "not run")
    rows, profiles = throughput_rows(args.cases, args.runs, grade, qgis, ee_python, ee_reason)
    rows += other_rows(args.cases, args.runs, grade)
    memory_line, memory_notes = memory_row() if "d" in args.cases else ("", [])
    lines = table(rows, memory_line)
    notes = [note for r in rows for note in (f"{r.case.split(':')[0]}: {n}" for n in r.notes)] + memory_notes
    print("\n".join(["", *lines, "", *notes]))
    if qgis is not None:
        qgis_version = qgis.version
        tonnage.close_all_cached_rasters()  # before GDAL shuts down with QGIS
        qgis.app.exitQgis()
    else:
        qgis_version = _qgis_version()
    machine_lines = machine(qgis_version, _exactextract_version(ee_python))
    print("\n".join(["", *machine_lines]))
    print(f"\nbench took {time.perf_counter() - started:.0f} s")
    if not args.no_doc:
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(document(lines, notes, profiles, machine_lines))
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


def _exactextract_version(ee_python: Path | None) -> str:
    if ee_python is None:
        return "not installed"
    done = subprocess.run(
        [str(ee_python), "-c", "import exactextract; print(exactextract.__version__)"], capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def throughput_rows(
    cases: str, runs: int, grade: Path, qgis: QgisZonal | None, ee_python: Path | None, ee_reason: str
) -> tuple[list[Row], list[str]]:
    """Cases a, b (against every tool) and c, with a profile of each that misses its target."""
    rows: list[Row] = []
    profiles: list[str] = []
    for case, label, polygons in (
        ("a", "a: 1 ragged polygon, 40 % of 8,000 x 8,000", lambda: [large_polygon(8000)]),
        ("b", "b: 1,000 small polygons (0.01-0.5 km2)", lambda: small_polygons(8000)),
    ):
        if case not in cases:
            continue
        shapes = polygons()
        print(f"{case}: {len(shapes)} polygon(s), {sum(p.area for p in shapes) / 1e6:.0f} km2 in all", flush=True)
        geojson = write_geojson(shapes, f"polygons_{case}.geojson")
        rows.append(throughput_case(label, grade, shapes, geojson, runs, qgis, ee_python, ee_reason))
        if not rows[-1].met:
            profiles.append(profile_top(label, lambda prof, shapes=shapes: run_ours(grade, shapes, prof)))
    if "c" in cases:
        rows.append(interactive_case(grade))
        if not rows[-1].met:
            polygon = interactive_polygon(8000)
            profiles.append(profile_top("c: interactive", lambda prof: run_ours(grade, [polygon], prof)))
    return rows, profiles


def other_rows(cases: str, runs: int, grade: Path) -> list[Row]:
    """Cases e (exploration target), f (fresh processes: plain loop, batch, exactextract), g (ground areas)."""
    rows: list[Row] = []
    if "e" in cases:
        zone = blob(np.random.default_rng(SEED + 4), raster_centre(8000), 138e6, 600, 0.2, 0.05)
        rows.extend(target_case(Row, grade, zone))
    if "f" in cases:
        from bench_fresh import fresh_case

        rows.extend(fresh_case(runs))
    if "g" in cases:
        from bench_ground import ground_case

        rows.extend(ground_case())
    return rows


def memory_row() -> tuple[str, list[str]]:
    """Case d: its table line and notes."""
    huge = grade_raster(40000, smooth=False)
    peak, report = memory_case(huge)
    met = peak < MEMORY_LIMIT_MB
    line = (
        f"| d: peak RSS, polygon over 40,000 x 40,000 | {peak:.0f} MB "
        f"({report['seconds']:.0f} s) | - | - | - | - | - | < {MEMORY_LIMIT_MB:.0f} MB | "
        f"{'yes' if met else '**NO**'} |"
    )
    notes = [
        f"d: interpreter with the engine imported: {report['baseline_kb'] / 1024:.0f} MB "
        f"before the estimate; covered {report['covered_m2'] / 1e6:.0f} of "
        f"{report['polygon_m2'] / 1e6:.0f} km2"
    ]
    if not met:
        capped, _ = memory_case(huge, {"GDAL_CACHEMAX": "64"})
        notes.append(f"d: the same with GDAL_CACHEMAX=64 (MB): peak {capped:.0f} MB")
    return line, notes


def _qgis_version() -> str:
    from qgis.core import Qgis

    return Qgis.QGIS_VERSION


def document(lines: list[str], notes: list[str], profiles: list[str], machine_lines: list[str]) -> str:
    parts = [
        "# Benchmarks of the tonnage engine",
        "",
        "Made by `make bench` (scripts/bench.py). Rasters: 8,000 x 8,000 float32 TREO % grids, 10 m cells, "
        "UTM 43N, tiled 256 x 256, DEFLATE, a smooth seeded field with slight cell noise; the 40,000 x 40,000 "
        "raster for case d holds one value per block so it stays small on disk. Times are the best of 3 runs "
        "(cases a and b: of 5 rounds of ours and exactextract in turn, judged by the median of the rounds' "
        "ratios; case c: the median of 20 calls) with a warm OS cache; ours is the engine's batch entry point "
        "`grade_tonnage_curves` over the case's polygons (thickness 1 m, density 1 t/m3, cut-off 0; case c: "
        "plain `estimate_tonnage` calls). Each of our runs of cases a and b starts in a new thread with the "
        "raster unopened, so GDAL's block cache starts empty, as for the other tools.",
        "",
        *lines,
        "",
        "How the others were measured:",
        "",
        "- exactextract (PyPI wheel) in its own venv without system packages, `sum` and `count` (both "
        "coverage-weighted), computation time only (no interpreter start, imports or GeoJSON parsing). Its "
        "wheel brings GEOS but no GDAL, so scripts/bench_exactextract.py hands it the GeoTIFF through a small "
        "tile reader that decodes with libdeflate (as the system GDAL does) and keeps decoded tiles for the "
        "run (as GDAL's block cache would).",
        "- QGIS `native:zonalstatisticsfb` in-process on memory layers, count and sum of cells whose centre is "
        "inside (not coverage-weighted), time of `processing.run` only.",
        "- Bare read: rasterio reading only each polygon's bounding window in the engine's block-aligned "
        "tiles, through one dataset opened once per run: the I/O and decompression floor.",
        "- d: peak resident memory (its own `ru_maxrss`) of a fresh interpreter, started through a shell so it "
        "does not inherit this process's peak, that imports the engine and estimates one ragged polygon over "
        "40 % of the raster, with default GDAL settings.",
        "- f: each of ours (plain loop, batch) and exactextract in its own fresh interpreter, 5 rounds of "
        "processes run in turn (loop, batch, exactextract, and again), judged by the median of the rounds' "
        "ratios; computation time only (scripts/bench_fresh.py).",
        "- e: eight runs in turn (the dock's curve of the selected area, the report's curve and the sketch's "
        "estimate at the cut-off, each with and without its target from the same read, and the estimate and the "
        "target alone through the API), 41 rounds, judged by the median of the rounds' ratios "
        "(scripts/bench_target.py). The dock, report and sketch open their rasters per request, as the plugin "
        "does; the API calls keep them open.",
        "- g: one 30 km2 ground polygon (given in UTM 43N) over 3,000 x 3,000 rasters of 10 m ground cells in each "
        "CRS, best of 7 calls; the correction's cost is the time in polygon_area_m2, ProjectedCellArea set-up, its "
        "factors and scale_window on whichever thread they run, against the estimate's; also reported: the estimate "
        "against the same estimate with the correction switched off (map areas, as on an equal-area grid), best of 21 "
        "calls each taken in turns (scripts/bench_ground.py).",
        "",
        "Notes:",
        "",
        *(f"- {note}" for note in notes),
        "",
        "Machine:",
        "",
        *machine_lines,
        "",
    ]
    if profiles:
        parts += [
            "## Where the time goes (targets missed)",
            "",
            "cProfile of one run of ours, in the thread that calls the engine; time in a lock's `acquire` is "
            "that thread waiting for the engine's read-ahead thread (GDAL reading and decompressing).",
            "",
            *profiles,
        ]
    return "\n".join(parts)


if __name__ == "__main__":
    sys.exit(main())
