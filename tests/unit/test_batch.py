"""The engine's batch pass: results as one by one, and no reader thread or open raster left behind."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pytest
import rasterio.errors
from conftest import ORIGIN_X, ORIGIN_Y, random_star
from shapely.geometry import MultiPolygon, Polygon, box

from rare_earth_plugin.core import tonnage, tonnage_tiles
from rare_earth_plugin.core.limits import EngineLimits
from rare_earth_plugin.core.tonnage import TonnageInputError, TonnageParams, grade_tonnage_curve, grade_tonnage_curves

PARAMS = TonnageParams(thickness=2.0, density=3.0)
SMALL = EngineLimits(tile_cells=256)  # several tiles per polygon
CUTOFFS = [0.0, 0.1, 0.2]


@pytest.fixture
def grade(make_raster):
    """64 x 80 random grades in 16 x 16 blocks; with the small tiles below, several tiles per polygon."""
    return make_raster(np.random.default_rng(7).uniform(0.0, 0.3, (64, 80)).astype(np.float32), tiled=True, block=16)


@pytest.fixture
def small_tiles() -> EngineLimits:
    return SMALL


@pytest.fixture
def opened(monkeypatch) -> list:
    """Every dataset the engine opens, to check that all of them are closed again."""
    datasets = []
    real_open = tonnage.rasterio.open

    def counting_open(*args, **kwargs):
        dataset = real_open(*args, **kwargs)
        datasets.append(dataset)
        return dataset

    monkeypatch.setattr(tonnage.rasterio, "open", counting_open)
    return datasets


def polygons(count: int) -> list:
    return [
        box(ORIGIN_X + 7 * i, ORIGIN_Y - 500 - 3 * i, ORIGIN_X + 300 + 5 * i, ORIGIN_Y - 20 - 2 * i)
        for i in range(count)
    ]


def dicts(curve) -> list:
    return [result.to_dict() for result in curve]


def readers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("rare-earth-read")]


def test_planning_the_next_polygons_never_touches_a_dataset_the_reader_may_reopen(grade, small_tiles, monkeypatch):
    """The reader reopens a dataset every ``_CACHE_BUDGET`` bytes, closing the old one, while the batch plans
    the next polygons: planning must work from what was read at opening."""
    rasters = tonnage._RasterSession()
    try:
        first = tonnage._job(rasters, polygons(1)[0], grade, PARAMS, None, np.array(CUTOFFS), SMALL)
        first.reader.dataset.close()  # as if the reader had just reopened it
        again = tonnage._job(rasters, polygons(1)[0], grade, PARAMS, None, np.array(CUTOFFS), SMALL)
        assert again.tiles == first.tiles and len(again.tiles) > 1
    finally:
        rasters.close()
    limits = replace(SMALL, cache_budget=1024)  # reopen after every tile or so
    batch = polygons(40)
    expected = [dicts(grade_tonnage_curve(polygon, grade, CUTOFFS, PARAMS, limits=limits)) for polygon in batch]
    assert [dicts(curve) for curve in grade_tonnage_curves(batch, grade, CUTOFFS, PARAMS, limits=limits)] == expected


def test_estimates_made_while_a_batch_waits_do_not_share_its_rasters(grade, small_tiles, opened):
    batch = grade_tonnage_curves(polygons(10), grade, CUTOFFS, PARAMS, limits=SMALL)
    first = next(batch)  # the batch now waits, its reader maybe still reading ahead
    alone = grade_tonnage_curve(polygons(1)[0], grade, CUTOFFS, PARAMS, limits=SMALL)
    assert dicts(alone) == dicts(first)
    tonnage.close_cached_rasters()  # the thread keeps the estimate's own dataset, never the batch's
    own = [dataset for dataset in opened if dataset.closed]
    assert len(own) == 1, "a single estimate outside a reusing block opens its own raster"
    with tonnage.reusing_open_rasters():
        for curve, polygon in zip(batch, polygons(10)[1:]):
            assert dicts(grade_tonnage_curve(polygon, grade, CUTOFFS, PARAMS, limits=SMALL)) == dicts(curve)
    assert all(dataset.closed for dataset in opened) and not readers()


def test_a_batch_left_half_way_stops_its_reader_and_closes_its_rasters(grade, small_tiles, opened):
    for index, _ in enumerate(grade_tonnage_curves(polygons(20), grade, CUTOFFS, PARAMS, limits=SMALL)):
        if index == 2:
            break
    assert opened and all(dataset.closed for dataset in opened) and not readers()
    batch = grade_tonnage_curves(polygons(20), grade, CUTOFFS, PARAMS, limits=SMALL)
    next(batch)
    assert readers()
    batch.close()
    assert all(dataset.closed for dataset in opened) and not readers()


@pytest.mark.parametrize(
    "where, error, raised",
    [
        ("_read_tile", rasterio.errors.RasterioError, TonnageInputError),  # on the reader thread
        ("add", MemoryError, MemoryError),  # while summing
    ],
)
def test_an_error_mid_batch_stops_it_cleanly_and_the_next_batch_works(
    grade, small_tiles, opened, monkeypatch, where, error, raised
):
    batch = polygons(12)
    expected = [dicts(grade_tonnage_curve(polygon, grade, CUTOFFS, PARAMS, limits=SMALL)) for polygon in batch]
    calls = iter(range(1_000_000))
    real = getattr(tonnage._Accumulator, where)

    def failing(self, *args):
        if next(calls) == 25:
            raise error("bad block")
        return real(self, *args)

    monkeypatch.setattr(tonnage._Accumulator, where, failing)
    with pytest.raises(raised, match="bad block"):
        list(grade_tonnage_curves(batch, grade, CUTOFFS, PARAMS, limits=SMALL))
    tonnage.close_cached_rasters()  # the single estimates' own, kept by this thread
    assert all(dataset.closed for dataset in opened) and not readers()
    monkeypatch.setattr(tonnage._Accumulator, where, real)
    assert [dicts(curve) for curve in grade_tonnage_curves(batch, grade, CUTOFFS, PARAMS, limits=SMALL)] == expected


def test_polygons_outside_the_raster_stream_without_reading_the_whole_input(grade, small_tiles):
    taken = []

    def far_away():
        for index in range(10_000):
            taken.append(index)
            yield box(0.0, 0.0, 10.0, 10.0)

    batch = grade_tonnage_curves(far_away(), grade, CUTOFFS, PARAMS, limits=SMALL)
    first = next(batch)
    assert "does not overlap" in first[0].warnings[0] and first[0].ore_tonnes == 0.0
    assert len(taken) < 100  # a bounded read-ahead, not the whole input
    batch.close()


def test_outside_inside_multipolygon_and_empty_batches(grade, small_tiles):
    inside = polygons(3)
    outside = box(0.0, 0.0, 10.0, 10.0)
    parts = MultiPolygon([inside[0], box(ORIGIN_X + 500, ORIGIN_Y - 600, ORIGIN_X + 700, ORIGIN_Y - 550)])
    batch = [outside, inside[0], outside, outside, parts, inside[1], outside, inside[2]]
    got = list(grade_tonnage_curves(batch, grade, CUTOFFS, PARAMS, limits=SMALL))
    assert [dicts(curve) for curve in got] == [
        dicts(grade_tonnage_curve(p, grade, CUTOFFS, PARAMS, limits=SMALL)) for p in batch
    ]
    assert got[4][0].ore_tonnes > got[1][0].ore_tonnes > 0.0
    assert list(grade_tonnage_curves([], grade, CUTOFFS, PARAMS, limits=SMALL)) == []


def test_the_same_raster_as_grade_and_thickness(make_raster, small_tiles):
    values = np.random.default_rng(8).uniform(0.5, 2.0, (32, 32))
    path = make_raster(values, tiled=True, block=16)
    whole = box(ORIGIN_X, ORIGIN_Y - 320, ORIGIN_X + 320, ORIGIN_Y)  # every cell, 100 m2 each
    (curve,) = grade_tonnage_curves([whole], path, [0.0], TonnageParams(thickness_raster=path, density=1.0))
    assert curve[0].ore_tonnes == pytest.approx(100.0 * values.sum(), rel=1e-12)
    assert curve[0].mean_grade == pytest.approx((values * values).sum() / values.sum(), rel=1e-12)


def test_two_threads_run_batches_at_once(grade, small_tiles, opened):
    batch = polygons(15)
    expected = [dicts(grade_tonnage_curve(polygon, grade, CUTOFFS, PARAMS, limits=SMALL)) for polygon in batch]
    got: dict[int, list] = {}

    def run(key: int) -> None:
        got[key] = [dicts(curve) for curve in grade_tonnage_curves(batch, grade, CUTOFFS, PARAMS, limits=SMALL)]

    threads = [threading.Thread(target=run, args=(key,)) for key in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == {key: expected for key in range(3)}
    tonnage.close_cached_rasters()
    assert all(dataset.closed for dataset in opened) and not readers()


def test_small_polygons_worked_out_together_match_one_by_one(make_raster, monkeypatch):
    """Single-tile polygons of a batch have their coverage worked out several at once (rows stacked): ragged
    ones, one with a hole, a multipolygon, one partly off the grid (worked out alone), all as one by one."""
    from shapely.geometry import Point

    grade = make_raster(np.random.default_rng(3).uniform(0.0, 0.3, (64, 80)).astype(np.float32))
    rng = np.random.default_rng(11)
    shapes = [random_star(rng, (60, 740), (60, 580), (10, 50), 12) for _ in range(30)]
    shapes.append(
        Point(ORIGIN_X + 300, ORIGIN_Y - 300).buffer(80).difference(Point(ORIGIN_X + 310, ORIGIN_Y - 290).buffer(30))
    )
    shapes.append(
        MultiPolygon(
            [
                box(ORIGIN_X + 5, ORIGIN_Y - 45, ORIGIN_X + 33, ORIGIN_Y - 7),
                box(ORIGIN_X + 600, ORIGIN_Y - 600, ORIGIN_X + 655, ORIGIN_Y - 555),
            ]
        )
    )
    shapes.append(box(ORIGIN_X - 40, ORIGIN_Y - 90, ORIGIN_X + 45, ORIGIN_Y - 10))  # partly off the grid
    groups = []
    together = tonnage_tiles.fractions_together
    monkeypatch.setattr(
        tonnage_tiles, "fractions_together", lambda windows: groups.append(len(windows)) or together(windows)
    )
    batch = [dicts(curve) for curve in grade_tonnage_curves(shapes, grade, CUTOFFS, PARAMS)]
    assert groups and max(groups) > 1
    for polygon, curve in zip(shapes, batch):
        alone = dicts(grade_tonnage_curve(polygon, grade, CUTOFFS, PARAMS))
        for got, expected in zip(curve, alone):
            assert got.keys() == expected.keys()
            for key, value in expected.items():
                assert got[key] == (pytest.approx(value, rel=1e-12, abs=1e-9) if isinstance(value, float) else value)


def test_the_shared_cover_workers_stop_and_start_again(make_raster):
    """Plugin unload stops the threads that work out single-tile estimates' cells; the next estimate works."""
    grade = make_raster(np.full((20, 20), 0.2, dtype=np.float32))
    polygon = box(ORIGIN_X + 15, ORIGIN_Y - 95, ORIGIN_X + 95, ORIGIN_Y - 15)
    first = grade_tonnage_curve(polygon, grade, CUTOFFS, PARAMS)
    assert any(thread.name.startswith("rare-earth-cover") for thread in threading.enumerate())
    tonnage.stop_workers()
    assert not any(thread.name.startswith("rare-earth-cover") for thread in threading.enumerate())
    assert dicts(grade_tonnage_curve(polygon, grade, CUTOFFS, PARAMS)) == dicts(first)


def test_an_estimate_whose_workers_were_stopped_under_it_still_works(make_raster, monkeypatch):
    """Plugin unload may stop the shared workers between an estimate's start and its tile."""
    grade = make_raster(np.full((20, 20), 0.2, dtype=np.float32))
    polygon = box(ORIGIN_X + 15, ORIGIN_Y - 95, ORIGIN_X + 95, ORIGIN_Y - 15)
    expected = dicts(grade_tonnage_curve(polygon, grade, CUTOFFS, PARAMS))
    stopped = ThreadPoolExecutor(max_workers=1)
    stopped.shutdown()
    monkeypatch.setattr(tonnage_tiles, "_cover_worker", lambda: stopped)
    assert dicts(grade_tonnage_curve(polygon, grade, CUTOFFS, PARAMS)) == expected


@pytest.mark.parametrize("worker_starts", [False, True])
def test_covered_cells_are_worked_out_by_whichever_thread_is_free_first(make_raster, monkeypatch, worker_starts):
    """A single-tile estimate's covered cells go to the shared worker while this thread reads; when the read is
    done before the worker took them up, this thread works them out itself, and the worker never does: the
    same figures either way, the cells worked out once."""
    grade = make_raster(np.random.default_rng(3).uniform(0.0, 0.3, (20, 20)).astype(np.float32))
    polygon = Polygon([(ORIGIN_X + 15, ORIGIN_Y - 95), (ORIGIN_X + 95, ORIGIN_Y - 15), (ORIGIN_X + 20, ORIGIN_Y - 30)])
    expected = dicts(grade_tonnage_curve(polygon, grade, CUTOFFS, PARAMS))
    calls = []

    class Worker:
        def submit(self, func, *args):
            future: Future = Future()
            if worker_starts:  # taken up at once, as a worker that woke before the read ended
                future.set_running_or_notify_cancel()
                calls.append("worker")
                future.set_result(func(*args))
            else:  # never taken up: the estimate cancels it (or, if it waited for it, fails in 5 s)
                stuck = AssertionError("the estimate waited for a worker that never started")
                timer = threading.Timer(
                    5.0, lambda: future.set_running_or_notify_cancel() and future.set_exception(stuck)
                )
                timer.daemon = True
                timer.start()
            return future

    def counted(job, window, covered=tonnage_tiles._Accumulator.covered):
        calls.append("covered")
        return covered(job, window)

    monkeypatch.setattr(tonnage_tiles, "_cover_worker", Worker)
    monkeypatch.setattr(tonnage_tiles._Accumulator, "covered", counted)
    assert dicts(grade_tonnage_curve(polygon, grade, CUTOFFS, PARAMS)) == expected
    assert calls == (["worker", "covered"] if worker_starts else ["covered"])


class _CountingWorker:
    """A cover worker that takes every job up at once, counting them."""

    def __init__(self):
        self.jobs = 0

    def submit(self, func, *args):
        self.jobs += 1
        future: Future = Future()
        future.set_running_or_notify_cancel()
        future.set_result(func(*args))
        return future


def _in_block(row: int, col: int) -> Polygon:
    """A triangle inside block (row, col) of the ``grade`` fixture's 16 x 16 blocks of 10 m cells."""
    x, y = ORIGIN_X + 160 * col, ORIGIN_Y - 160 * row
    return Polygon([(x + 12, y - 15), (x + 141, y - 33), (x + 60, y - 148)])


def test_a_window_whose_blocks_were_read_is_covered_by_this_thread(grade, make_raster, monkeypatch):
    """In a plain loop, a window whose blocks an earlier estimate read is a copy from GDAL's block cache, over
    before the worker would wake: this thread works out its cells without waking it. Blocks not read yet, or
    another raster to read, still go to the worker. The same figures either way."""
    worker = _CountingWorker()
    monkeypatch.setattr(tonnage_tiles, "_cover_worker", lambda: worker)
    settled = EngineLimits(timestamp_granularity_ns=0)  # files just written are otherwise reopened each time
    first = dicts(grade_tonnage_curve(_in_block(0, 0), grade, CUTOFFS, PARAMS, limits=settled))
    assert worker.jobs == 1
    assert dicts(grade_tonnage_curve(_in_block(0, 0), grade, CUTOFFS, PARAMS, limits=settled)) == first
    assert worker.jobs == 1
    grade_tonnage_curve(_in_block(1, 2), grade, CUTOFFS, PARAMS, limits=settled)
    assert worker.jobs == 2
    thickness = make_raster(np.full((64, 80), 2.0, dtype=np.float32), tiled=True, block=16)
    with_raster = TonnageParams(thickness_raster=thickness, density=3.0)
    for expected_jobs in (3, 4):
        grade_tonnage_curve(_in_block(0, 0), grade, CUTOFFS, with_raster, limits=settled)
        assert worker.jobs == expected_jobs


def test_the_blocks_remembered_are_the_latest_of_the_open_dataset(grade, monkeypatch):
    """A dataset remembers the blocks read within ``_REMEMBERED_BLOCK_BYTES`` (the oldest forgotten first) and
    forgets them all when reopened, whose cache starts empty."""
    from rare_earth_plugin.core import tonnage_raster_io

    worker = _CountingWorker()
    monkeypatch.setattr(tonnage_tiles, "_cover_worker", lambda: worker)
    monkeypatch.setattr(tonnage_raster_io, "_REMEMBERED_BLOCK_BYTES", 2 * 16 * 16 * 4)  # two float32 blocks
    settled = EngineLimits(timestamp_granularity_ns=0)

    def jobs_for(row: int, col: int, limits: EngineLimits = settled) -> int:
        before = worker.jobs
        grade_tonnage_curve(_in_block(row, col), grade, CUTOFFS, PARAMS, limits=limits)
        return worker.jobs - before

    assert [jobs_for(0, 0), jobs_for(0, 1), jobs_for(0, 0), jobs_for(0, 2)] == [1, 1, 0, 1]
    assert [jobs_for(0, 1), jobs_for(0, 0)] == [1, 1]  # (0, 1) was the oldest of the two, then (0, 0) was
    reopening = replace(settled, cache_budget=1)  # reopened after each read
    assert [jobs_for(2, 2, reopening), jobs_for(2, 2, reopening)] == [1, 1]


class _SlowSink:
    """A sink slow enough that a pass not waiting for it would end first; it notes each tile's Σ area x grade,
    the threads it ran on, whether two tiles were ever added at once, and can fail at a given tile."""

    def __init__(self, fail_at: int | None = None):
        self.tiles: list[float] = []
        self.threads: set[str] = set()
        self.running = 0
        self.overlapped = False
        self.fail_at = fail_at
        self.failed = threading.Event()
        self.lock = threading.Lock()

    def add(self, area, _unit, grade, *_) -> None:
        with self.lock:
            self.running += 1
            self.overlapped |= self.running > 1
        try:
            time.sleep(0.005)
            if len(self.tiles) == self.fail_at:
                self.failed.set()
                raise RuntimeError("sink failed")
            self.tiles.append(float(np.sum(area * grade)))
            self.threads.add(threading.current_thread().name)
        finally:
            with self.lock:
                self.running -= 1


def sink_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("rare-earth-sink")]


def test_a_sink_fed_on_its_own_thread_has_every_tile_in_order_before_its_area_is_yielded(grade, monkeypatch):
    """An area of several tiles feeds its sink on a thread of its own while the pass goes on; the sink still sees
    each tile once, in order, one at a time, and has them all when the area's curve is yielded."""
    batch = polygons(6)

    def run() -> list[tuple[list[float], set[str], bool]]:
        sinks: dict[int, _SlowSink] = {}

        def sink_for(number: int) -> _SlowSink:
            sinks[number] = _SlowSink()
            return sinks[number]

        seen = []
        for number, _ in enumerate(
            grade_tonnage_curves(batch, grade, CUTOFFS, PARAMS, limits=SMALL, sink_for=sink_for)
        ):
            sink = sinks[number]
            seen.append((list(sink.tiles), set(sink.threads), sink.overlapped))
        return seen

    fed = run()
    assert all(len(tiles) > 1 for tiles, _, _ in fed)
    assert all(threads and all(name.startswith("rare-earth-sink") for name in threads) for _, threads, _ in fed)
    assert not any(overlapped for _, _, overlapped in fed)
    monkeypatch.setattr(tonnage_tiles._SinkFeeder, "feed", lambda self, add, *args: add(*args))  # fed in the pass
    assert [tiles for tiles, _, _ in run()] == [tiles for tiles, _, _ in fed]
    assert not sink_threads()


def test_a_sink_failing_on_its_own_thread_stops_the_pass_with_its_error(grade, small_tiles, opened):
    with pytest.raises(RuntimeError, match="sink failed"):
        list(grade_tonnage_curves(polygons(4), grade, CUTOFFS, PARAMS, limits=SMALL, sink_for=lambda _: _SlowSink(2)))
    assert all(dataset.closed for dataset in opened) and not readers() and not sink_threads()
    with pytest.raises(RuntimeError, match="sink failed"):  # a pass that only feeds its sink, as a target's
        tonnage.feed_sink(polygons(1)[0], grade, _SlowSink(1), PARAMS, limits=SMALL)
    assert not readers() and not sink_threads()


def test_a_pass_cancelled_while_its_sink_is_fed_stops_with_no_tile_fed_after_it(grade, small_tiles):
    every = _SlowSink()
    list(grade_tonnage_curves(polygons(3), grade, CUTOFFS, PARAMS, limits=SMALL, sink_for=lambda _: every))
    sink = _SlowSink()
    batch = grade_tonnage_curves(
        polygons(3),
        grade,
        CUTOFFS,
        PARAMS,
        limits=SMALL,
        cancelled=lambda: len(sink.tiles) >= 2,
        sink_for=lambda _: sink,
    )
    with pytest.raises(tonnage.TonnageCancelled):
        list(batch)
    fed = len(sink.tiles)
    assert 2 <= fed < len(every.tiles) and all(name.startswith("rare-earth-sink") for name in sink.threads)
    assert not sink_threads()
    time.sleep(0.05)
    assert len(sink.tiles) == fed


def test_a_cut_off_given_twice_is_summed_once_and_answered_in_the_callers_order(grade, monkeypatch):
    """The sketch's estimate with its target asks for its cut-off twice (the target's and the curve's)."""
    polygon = polygons(1)[0]
    single = {cut: dicts(grade_tonnage_curve(polygon, grade, [cut], PARAMS))[0] for cut in (0.0, 0.1, 0.2)}
    summed = []
    real = tonnage_tiles._sums_above
    monkeypatch.setattr(tonnage_tiles, "_sums_above", lambda cuts, *args: summed.append(cuts.size) or real(cuts, *args))
    asked = [0.2, 0.1, 0.2, 0.0, 0.1, -0.0]
    curve = dicts(grade_tonnage_curve(polygon, grade, asked, PARAMS))
    assert set(summed) == {3}
    assert curve == [{**single[abs(cut)], "cutoff": cut} for cut in asked]


def test_a_sink_failing_as_the_pass_is_cancelled_is_not_hidden_by_the_cancel(grade, small_tiles):
    """The cancel is seen once the sink's tile has failed but before the pass asked for that tile: the caller gets
    the sink's error, as when the pass fed the sink itself."""
    sink = _SlowSink(fail_at=1)
    batch = grade_tonnage_curves(
        polygons(2),
        grade,
        CUTOFFS,
        PARAMS,
        limits=SMALL,
        cancelled=lambda: sink.failed.wait(0.05),
        sink_for=lambda _: sink,
    )
    with pytest.raises(RuntimeError, match="sink failed"):
        list(batch)
    assert not sink_threads() and not readers()
