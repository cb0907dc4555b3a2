"""Estimates run at once in several threads (the dock's QgsTasks) share no pyproj object and agree with a
closed form.

Sharing one cached pyproj CRS between QgsTask threads crashed QGIS 3.40 (tests/qgis/test_concurrent_tasks.py
runs real tasks); here plain threads check the rule itself: every pyproj object the engine uses in a thread was
made in that thread.
"""

from __future__ import annotations

import threading

import numpy as np
import pyproj
import pytest
from conftest import ORIGIN_X, ORIGIN_Y

from rare_earth_plugin.core import geometry, tonnage
from rare_earth_plugin.core.tonnage import TonnageParams, estimate_tonnage

THREADS = 6
ROUNDS = 5


def _run_in_threads(work) -> list:
    """``work(index)`` in THREADS threads started together; their results, re-raising the first error."""
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread and re-raised there
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def test_each_thread_gets_its_own_pyproj_objects() -> None:
    wkt = pyproj.CRS.from_epsg(32643).to_wkt()
    geographic = pyproj.CRS.from_epsg(4326).to_wkt()
    main = geometry.crs_from_wkt(wkt)
    assert geometry.crs_from_wkt(wkt) is main  # cached within a thread

    def objects(_: int) -> tuple[int, ...]:
        made = (geometry.crs_from_wkt(wkt), geometry._transformer(geographic, wkt), tonnage._user_crs("EPSG:32642"))
        assert geometry.crs_from_wkt(wkt) is made[0]
        return tuple(id(obj) for obj in made), made  # keep them alive so ids are not reused

    ids = [result[0] for result in _run_in_threads(objects)]
    flat = [i for group in ids for i in group]
    assert len(set(flat)) == len(flat), "a pyproj object was shared between threads"
    assert id(main) not in flat


def test_polygon_crs_made_by_another_thread_is_rebuilt() -> None:
    caller_made = pyproj.CRS.from_epsg(4326)
    seen = _run_in_threads(lambda _: tonnage._polygon_crs(caller_made))
    assert all(crs is not caller_made and crs == caller_made for crs in seen)


def test_concurrent_estimates_in_other_crss_match_the_closed_form(make_raster) -> None:
    """Threads estimating the same UTM box from polygons in geographic, Web Mercator and UTM coordinates."""
    grade = make_raster(np.full((40, 40), 0.2, dtype=np.float32), crs="EPSG:32643")  # 400 m x 400 m
    utm_box = (ORIGIN_X + 100.0, ORIGIN_Y - 300.0, ORIGIN_X + 300.0, ORIGIN_Y - 100.0)  # 200 m x 200 m
    polygons = []
    for crs in ("EPSG:32643", "EPSG:4326", "EPSG:3857"):
        to = pyproj.Transformer.from_crs("EPSG:32643", crs, always_xy=True)
        # a densified ring so the box stays the same ground box in any CRS
        x0, y0, x1, y1 = utm_box
        edge = np.linspace(0.0, 1.0, 50)
        xs = np.concatenate([x0 + (x1 - x0) * edge, np.full(50, x1), x1 - (x1 - x0) * edge, np.full(50, x0)])
        ys = np.concatenate([np.full(50, y0), y0 + (y1 - y0) * edge, np.full(50, y1), y1 - (y1 - y0) * edge])
        px, py = to.transform(xs, ys)
        ring = ", ".join(f"{float(x)!r} {float(y)!r}" for x, y in zip(px, py))
        polygons.append((f"POLYGON(({ring}, {float(px[0])!r} {float(py[0])!r}))", crs))
    params = TonnageParams(thickness=10.0, density=2.5)
    # the box's ground area on the ellipsoid (UTM's scale factor makes it ~0.06 % more than its map area here)
    lon, lat = pyproj.Transformer.from_crs("EPSG:32643", "EPSG:4326", always_xy=True).transform(
        [utm_box[0], utm_box[2], utm_box[2], utm_box[0]], [utm_box[1], utm_box[1], utm_box[3], utm_box[3]]
    )
    ground_m2 = abs(pyproj.Geod(ellps="WGS84").polygon_area_perimeter(lon, lat)[0])
    expected_tonnes = ground_m2 * 10.0 * 2.5

    def estimates(index: int) -> list[float]:
        out = []
        for round_ in range(ROUNDS):
            wkt, crs = polygons[(index + round_) % len(polygons)]
            out.append(estimate_tonnage(wkt, grade, params, polygon_crs=crs).ore_tonnes)
        return out

    for tonnes in _run_in_threads(estimates):
        assert tonnes == pytest.approx([expected_tonnes] * ROUNDS, rel=1e-4)
