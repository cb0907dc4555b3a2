"""`make bench` comb case (issue 10): a 10,000-tooth comb (40,002 vertices) over a 10,000 x 10,000 raster,
ours and exactextract, each in a fresh process; time and peak RSS, the median of a few runs (the machine may be
shared: medians, not minima). Then ours alone with the same comb over a 0.001 degree EPSG:4326 raster at
65-75 N, whose rows are re-spaced to equal area. Usage: bench_comb.py [runs]"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

_OURS = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from shapely import wkt
from rare_earth_plugin.core.tonnage import TonnageParams, estimate_tonnage
polygon = wkt.loads(open(sys.argv[3]).read())
start = time.perf_counter()
result = estimate_tonnage(polygon, sys.argv[2], TonnageParams(cutoff=0.0, thickness=1.0, density=1.0))
print(json.dumps({"seconds": time.perf_counter() - start, "covered_m2": result.covered_area_m2}))
"""


def comb(x0: float, y0: float, extent: float, teeth: int):
    """4 vertices per tooth plus the spine's 2: teeth hang over 95 % of the extent, half a period wide."""
    from shapely.geometry import Polygon

    period = extent / teeth
    top, bottom = y0 - 0.01 * extent, y0 - 0.96 * extent
    spine = y0 - 0.02 * extent
    coords = [(x0 + 0.1 * period, top)]
    for i in range(teeth):
        x = x0 + (i + 0.1) * period
        coords += [(x, bottom), (x + 0.5 * period, bottom), (x + 0.5 * period, spine)]
        coords.append((x + period, spine) if i < teeth - 1 else (x + 0.5 * period, top))
    return Polygon(coords)


def main() -> int:
    import bench

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    grade = bench.grade_raster(10000, smooth=True)
    polygon = comb(bench.ORIGIN[0], bench.ORIGIN[1], 10000 * bench.CELL, 10000)
    vertices = len(polygon.exterior.coords) - 1
    wkt_file = bench.BENCH / "comb.wkt"
    wkt_file.write_text(polygon.wkt)
    geojson = bench.write_geojson([polygon], "comb.geojson")
    ours = []
    for _ in range(runs):
        ours.append(_peak(sys.executable, ["-c", _OURS, str(ROOT), str(grade), str(wkt_file)]))
    python, reason = bench.exactextract_python()
    ee = []
    if python is not None:
        for _ in range(runs):
            ee.append(
                _peak(
                    str(python),
                    [str(ROOT / "scripts" / "bench_exactextract.py"), _job(bench, grade, geojson)],
                    {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
                )
            )
    print(
        f"comb: {vertices} vertices, {polygon.area / 1e6:.0f} km2 over 10,000 x 10,000 cells; runs {runs}, "
        f"medians; load average {os.getloadavg()[0]:.1f}"
    )
    peak = statistics.median(m for _, m in ours)
    print(
        f"  ours: {statistics.median(t for t, _ in ours):.1f} s, peak RSS {peak:.0f} MB"
        f" (runs: {', '.join(f'{t:.1f} s' for t, _ in ours)})"
    )
    if ee:
        print(
            f"  exactextract: {statistics.median(t for t, _ in ee):.1f} s, peak RSS "
            f"{statistics.median(m for _, m in ee):.0f} MB (runs: {', '.join(f'{t:.1f} s' for t, _ in ee)})"
        )
    else:
        print(f"  exactextract: not measured ({reason})")
    geographic = bench.grade_raster(10000, smooth=True, geographic=True)
    cell = bench.GEOGRAPHIC_CELL
    lon_lat = comb(bench.GEOGRAPHIC_ORIGIN[0], bench.GEOGRAPHIC_ORIGIN[1], 10000 * cell, 10000)
    lon_lat_file = bench.BENCH / "comb_4326.wkt"
    lon_lat_file.write_text(lon_lat.wkt)
    runs_4326 = [
        _peak(sys.executable, ["-c", _OURS, str(ROOT), str(geographic), str(lon_lat_file)]) for _ in range(runs)
    ]
    print(
        f"  ours, the same comb over 10,000 x 10,000 cells of {cell} degree (EPSG:4326, 65-75 N): "
        f"{statistics.median(t for t, _ in runs_4326):.1f} s, peak RSS "
        f"{statistics.median(m for _, m in runs_4326):.0f} MB (runs: {', '.join(f'{t:.1f} s' for t, _ in runs_4326)})"
    )
    return 0


def _job(bench, grade: Path, geojson: Path) -> str:
    job = bench.BENCH / "job_comb.json"
    job.write_text(json.dumps({"raster": str(grade), "polygons": str(geojson), "ops": ["sum", "count"], "runs": 1}))
    return str(job)


def _peak(python: str, args: list[str], env: dict | None = None) -> tuple[float, float]:
    """(seconds, peak RSS MB) of one fresh interpreter, started from a small shell so that the peak it
    reports is its own (Linux carries the parent's over at fork)."""
    code = (
        "import os, resource, subprocess, sys, json, time\n"
        "start = time.perf_counter()\n"
        "child = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - start\n"
        "if child.returncode: sys.exit(child.stderr[-800:])\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps({'out': child.stdout, 'wall': wall, 'peak': peak}))\n"
    )
    done = subprocess.run(
        ["/bin/sh", "-c", '"$@"; exit $?', "sh", "/usr/bin/python3", "-c", code, python, *args],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-800:])
    report = json.loads(done.stdout)
    inner = json.loads(report["out"])
    seconds = inner["seconds"] if "seconds" in inner else min(inner["times"])
    return seconds, report["peak"]


if __name__ == "__main__":
    sys.exit(main())
