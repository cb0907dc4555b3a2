"""The tiling pipeline: a polygon's pass over its window of the grade raster, planned as tiles, read on a reader
thread (overlapping the next tiles' reads with the current tile's sums) and summed per cut-off, the tiles' cells
handed to a sink (fed on a thread of its own when there are several tiles)."""

from __future__ import annotations

import functools
import math
import os
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, cast

import numpy as np
import pyproj
from rasterio.errors import RasterioError
from rasterio.transform import Affine
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from . import affine_ops
from .band_unit import grade_unit_warning, holds_data
from .cell_runs import blocks
from .cellarea import EllipsoidalCellArea, ProjectedCellArea, polygon_area_m2, projected_cell_area
from .coverage import COVERAGE_EPSILON, CellCoverage, fractions_together
from .crs_units import linear_unit_factor
from .depth_window import counted_thickness, depth_window_text, top_depth_text
from .footprint import MAX_ALIGNED_REFINEMENT, SAMPLED_CELLS, DataFootprint
from .geometry import (
    GeometryError,
    PolygonInput,
    into_longitude_span,
    parse_polygon,
    polygon_rings,
    transform_polygon,
)
from .heap import keep_freed_memory
from .limits import DEFAULT_LIMITS, EngineLimits
from .plausible import density_warning, factored_grade_warning, grade_warning, thickness_warning
from .polygon_checks import check_coordinate_range
from .proj_threads import per_thread
from .tonnage_raster_io import (
    _AuxiliaryRaster,
    _band_nodata,
    _BandMask,
    _name,
    _polygon_crs,
    _RasterInfo,
    _RasterSession,
    _real_dtype,
    _ReopeningSource,
    band_scale_offset,
)
from .tonnage_sums import OVERFLOW_WARNING, _Cells, _percent, _sums_above, _Totals, at_least, overflowed
from .tonnage_types import (
    Cancelled,
    PathInput,
    TonnageCancelled,
    TonnageInputError,
    TonnageParams,
    TonnageResult,
    _PolygonError,
)
from .units import grade_fraction

#: Coverage below 1 by less than this is round-off between the polygon's area and the sum of its cells.
_COVERAGE_TOLERANCE = 1e-6
#: A projected raster's ground cell areas are sampled for regions of about this many metres a side (a pass's
#: window snapped outwards to them) and kept per thread, so a loop over small polygons samples each region once.
_GROUND_REGION_M = 32_000.0
#: How far (relative) a partly covered cell's share of its ground area may differ from its covered share of the
#: cell (half the largest change of the ground cell area from one cell to the next) for the cells to measure the
#: polygon (``_Accumulator._cells_measure_polygon``): as close as the cells' own ground areas are interpolated.
_CELL_MEASURE_TOLERANCE = 1e-7
#: Vertices of a polygon whose rings' coordinates are kept from its bounds for its edges (16 bytes each).
_KEPT_VERTICES = 1 << 16
#: Cells of the rows of several small polygons' tiles stacked to work out their coverage together.
_TOGETHER_CELLS = 1 << 20
#: Threads working out plain estimates' covered cells, for all calling threads together.
_COVER_WORKERS = 4
#: A cell counts as wholly covered when its covered part is this share of it or more (the running sums' round-off).
_WHOLE_CELL = 1.0 - 1e-9
#: A part of a cell counts as covered, or holding data, in part between this share and 1 less it.
_PART_EDGE = 1e-9
#: How finely a part that both the polygon's edge and a data edge cross is cut again, and the blocks of such parts
#: worked out at once (parts along a zone's edge: a block of 16 x 16 parts holds a few dozen).
_PART_CUTS = 16
_PART_BLOCK = 16
#: Two pieces of a small part lie on one side of it when their centroids' directions from its centre are this
#: close (the cosine of 25 degrees), on opposite sides when this close to opposite.
_SAME_SIDE = 0.9
#: The most blocks of such parts an estimate works out (about 2 s); beyond, the product of the two shares stands
#: (a polygon of 2,000 spikes over a raster with scattered gaps would take 100 s for 4e-7 of its tonnes).
_PART_BLOCKS_MOST = 4096

#: A tile's covered cells: their ground areas (in units of ``cell_area``), how to pick them from its arrays, and
#: the tile.
_Covered = tuple[np.ndarray, Callable[[np.ndarray], np.ndarray], Window]


def cutoff_reach(dtype: np.dtype) -> float:
    """What a cut-off is multiplied by before grades are compared with it: a grade equal to the cut-off but for
    the rounding of its storage reaches it (a float32 0.7 is 0.69999999; 60 x 0.001 + 0.01 in float64 is
    0.06999999999999999), also after a grade factor; the band is one float32 unit (1.2e-7 relative) or four
    float64 units (9e-16), far below any grade's precision."""
    storage = np.dtype(dtype) if np.issubdtype(dtype, np.floating) and np.dtype(dtype).itemsize < 8 else np.float64
    eps = float(np.finfo(storage).eps)
    return 1.0 - (eps if storage != np.float64 else 4.0 * eps)


def _job(
    rasters: _RasterSession,
    polygon: PolygonInput,
    grade_raster: PathInput,
    params: TonnageParams,
    polygon_crs: Any,
    cuts: np.ndarray,
    limits: EngineLimits = DEFAULT_LIMITS,
    sink: CellSink | None = None,
    cancelled: Cancelled = None,
) -> _Accumulator:
    """A polygon's pass, prepared (polygon in raster cells, tiles listed) but not yet read; ``cancelled`` is
    asked between the steps of preparing it (a polygon of a million vertices takes seconds)."""
    keep_freed_memory()
    try:
        geometry, warnings = parse_polygon(polygon)
    except GeometryError as exc:
        raise _PolygonError(str(exc)) from exc
    source = rasters.get(grade_raster, "grade raster", limits)
    if not 1 <= params.grade_band <= source.info.count:
        raise TonnageInputError(
            f"grade_band: {_name(grade_raster)} has {source.info.count} band(s), "
            f"band {params.grade_band} does not exist"
        )
    distinct = np.unique(cuts) if cuts.size > 1 else cuts  # np.unique costs a small polygon's estimate 1-2 %
    return _Accumulator(rasters, source, geometry, params, polygon_crs, distinct, warnings, limits, sink, cancelled)


def _run(job: _Accumulator, cancelled: Cancelled = None) -> _Accumulator:
    """One job's pass, read on a reader thread when it has several tiles."""
    if len(job.tiles) > 1:
        (done,) = _pipeline(iter([job]), job.limits, cancelled)
        return done  # type: ignore[return-value]
    for window in job.tiles:
        # Another thread works out the covered cells while this one waits for GDAL (which releases the GIL). Not
        # the other way round: a reader thread would wait for the GIL to start its read until this thread's
        # numpy work was done.
        _check_cancelled(cancelled)
        if job.reads_from_cache(window):
            # A copy from GDAL's block cache ends before the worker wakes, and the worker, woken for nothing,
            # then contends for the GIL with this thread's own work on the cells (a small polygon's estimate
            # took 10 % longer).
            job.add(job.read(window), job.covered(window))
            continue
        try:
            pending = _cover_worker().submit(job.covered, window)
        except RuntimeError:  # the workers were stopped meanwhile (plugin unload): this thread does it
            data = job.read(window)
            job.add(data, job.covered(window))
            continue
        try:
            data = job.read(window)
        finally:
            started = not pending.cancel()
            covered = pending.result() if started else None
        if not started:  # the read was done before the worker woke up: this thread is free to do it
            covered = job.covered(window)
        job.add(data, covered)
    return job.finish()


_WORKER_LOCK = threading.Lock()
_WORKER: ThreadPoolExecutor | None = None


def _cover_worker() -> ThreadPoolExecutor:
    """The threads working out single-tile estimates' covered cells, shared by all calling threads (made once;
    idle, they cost nothing): a thread of its own per call would cost a tenth of a small polygon's estimate."""
    global _WORKER
    with _WORKER_LOCK:
        if _WORKER is None:
            _WORKER = ThreadPoolExecutor(max_workers=_COVER_WORKERS, thread_name_prefix="rare-earth-cover")
        return _WORKER


def stop_workers() -> None:
    """Stop the shared threads that work out covered cells (plugin unload); the next estimate starts them again."""
    global _WORKER
    with _WORKER_LOCK:
        worker, _WORKER = _WORKER, None
    if worker is not None:
        worker.shutdown(wait=True)


def _ground_areas(src: _RasterInfo, crs: Any, row0: int, row1: int, col0: int, col1: int) -> ProjectedCellArea:
    """Ground cell areas for a window of a projected raster: those of the ``_GROUND_REGION_M`` regions around it,
    made once per thread for a grid and CRS object (held with them, so its id is not reused while cached); the
    window's own where a region reaches beyond the CRS's domain."""
    transform, unit = src.transform, linear_unit_factor(crs)

    def snap(start: int, stop: int, step: float, size: int) -> tuple[int, int]:
        cells = max(int(_GROUND_REGION_M / max(step * unit, 1e-9)), 1)
        return (start // cells) * cells, min(-(-stop // cells) * cells, size)

    r0, r1 = snap(row0, row1, math.hypot(transform.b, transform.e), src.height)
    c0, c1 = snap(col0, col1, math.hypot(transform.a, transform.d), src.width)
    try:
        return per_thread(
            ("ground areas", transform, id(crs), r0, r1, c0, c1),
            lambda: (crs, ProjectedCellArea(transform, crs, r0, r1, c0, c1)),
        )[1]
    except ValueError:
        return ProjectedCellArea(transform, crs, row0, row1, col0, col1)


def _check_cancelled(cancelled: Cancelled) -> None:
    if cancelled is not None and cancelled():
        raise TonnageCancelled("the estimate was cancelled")


def _pipeline(
    jobs: Iterator[_Accumulator | TonnageInputError], limits: EngineLimits, cancelled: Cancelled = None
) -> Generator[_Accumulator | TonnageInputError, None, None]:
    """Sum the jobs' tiles in order while a reader thread reads the next ones, across job boundaries;
    yield each job once its last tile is summed (errors pass straight through).

    Decompression and numpy both release the GIL, so a pass takes about as long as the slower of the two
    instead of their sum. At most ``limits.read_ahead_tiles`` tiles, and ``read_ahead_jobs`` jobs (polygons
    outside the raster have no tile), wait in memory. Only the reader thread touches the datasets while it
    runs; jobs are planned from the rasters' ``info``.
    """
    entries = (
        (job, window)
        for item in jobs
        for job, window in (
            [(item, None)]
            if isinstance(item, TonnageInputError)
            else [*((item, window) for window in item.tiles), (item, None)]
        )
    )
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rare-earth-read")
    feeder = _SinkFeeder()
    try:
        ahead: deque = deque()

        def top_up() -> None:
            while len(ahead) < limits.read_ahead_jobs:
                windows = [window for _, window, _ in ahead if window is not None]
                cells = sum(int(window.width) * int(window.height) for window in windows)
                if windows and (len(windows) >= limits.read_ahead_tiles or cells >= limits.read_ahead_cells):
                    return
                entry = next(entries, None)
                if entry is None:
                    return
                job, window = entry
                read = None if window is None else reader.submit(cast(_Accumulator, job).read, window)
                ahead.append((job, window, read))

        top_up()
        while ahead:
            _check_cancelled(cancelled)
            job, window, pending = ahead.popleft()
            if window is None:
                feeder.wait()  # the job's sink has every tile
                yield job if isinstance(job, TonnageInputError) else job.finish()
            else:
                if job.whole_tile is not None and job.ready is None:
                    _cover_together([job, *(queued for queued, tile, _ in ahead if tile is not None)])
                covered = job.covered(window)  # while the reader may still be at this tile
                data = pending.result()
                top_up()
                # only a pass of several tiles that sums cut-offs besides has work to overlap the sink's with
                job.add(data, covered, feeder if len(job.tiles) > 1 and job.cuts.size else None)
            top_up()
    finally:  # after an error, or a batch left unfinished: drop the reads not started, wait for the running one
        reader.shutdown(wait=True, cancel_futures=True)
        feeder.close()


class _SinkFeeder:
    """Feeds the sink of a pass of several tiles on a thread of its own while the pass goes on to the next tile, so
    that the sink's work (an exploration target's draws) overlaps the pass's own (the next tile's coverage and
    sums) instead of adding to it: over a 1.4-million-cell area the target then added 1-8 % instead of 7-17 % to
    the report's pass, and -1 to +9 % instead of +9 to +21 % to a sketch's estimate (paired runs).

    One tile at a time: ``feed`` first waits for the tile before (the sink sees its tiles in order, and memory
    stays bounded), and a sink's error is raised by the next ``feed`` or ``wait``. A single tile, or a pass that
    only feeds its sink (``feed_sink``), has nothing to overlap: it feeds the sink itself (in paired runs of a
    target alone over 1.4 million cells, a thread of its own was 1-5 points slower)."""

    def __init__(self) -> None:
        self._thread: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def feed(self, add: Callable[..., None], *args: Any) -> None:
        self.wait()
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rare-earth-sink")
        self._pending = self._thread.submit(add, *args)

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and not pending.cancelled():  # cancelled: a tile never fed (the pass stopped)
            pending.result()

    def close(self) -> None:
        """Wait for a tile being fed (after an error too: the sink is not left half way through a tile), and raise
        its error if it failed: a sink's error is not hidden by a cancel, or by the caller closing the pass, that
        came before the pass asked for it."""
        if self._thread is not None:
            self._thread.shutdown(wait=True, cancel_futures=True)
        self.wait()


def _cover_together(jobs: list[_Accumulator]) -> None:
    """Work out together the fractions of the whole-polygon tiles of ``jobs`` (from the first, while the rows
    stacked stay within ``_TOGETHER_CELLS`` cells): a batch of small polygons then pays the numpy calls of
    cutting and summing their edges once for several (``fractions_together``)."""
    group: list[tuple[_Accumulator, Window]] = []
    rows = width = 0
    for job in jobs:
        window = job.whole_tile
        if window is None or job.ready is not None:
            continue
        if group and (rows + int(window.height)) * max(width, int(window.width) + 1) > _TOGETHER_CELLS:
            break
        group.append((job, window))
        rows, width = rows + int(window.height), max(width, int(window.width) + 1)
    if len(group) < 2:
        return
    windows = [
        (job.coverage, int(w.row_off), int(w.row_off + w.height), int(w.col_off), int(w.col_off + w.width))
        for job, w in group
    ]
    fractions = fractions_together(windows)
    for (job, _), frac in zip(group, fractions or []):
        job.ready = frac


def _partial(share: np.ndarray, edge: float = 0.0) -> np.ndarray:
    """Where a share is neither none nor whole (by more than ``edge``)."""
    return (share > edge) & (share < 1.0 - edge)


def _held_in_part(shares: list[np.ndarray], edge: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Where some of ``shares`` (of one set of cells or parts) is ``_partial``, and where two or more are."""
    count = np.add.reduce([_partial(share, edge).astype(np.intp) for share in shares])
    return count > 0, count > 1


def _lying_together(covered: np.ndarray, share: np.ndarray) -> np.ndarray:
    """The share of each small part (of a window of them) both covered and with data, from the two shares and
    the side of the part each piece lies on, the way its share grows across the window: pieces on the same side
    (within 25 degrees) lie one in the other, the lesser share; on opposite sides they lie apart, what the two
    shares leave over 1; else, across each other, their product. Exact where the polygon's edge runs along a
    raster's data edge (a zone drawn from a model's outline: the product counted a part's share times itself,
    5.6e-4 low)."""
    together = covered * share
    both = _partial(covered, _PART_EDGE) & _partial(share, _PART_EDGE)
    if not both.any():
        return together
    down, across = np.gradient(covered)
    data_down, data_across = np.gradient(share)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = (down * data_down + across * data_across) / (np.hypot(down, across) * np.hypot(data_down, data_across))
    nested = both & (cosine > _SAME_SIDE)
    apart = both & (cosine < -_SAME_SIDE)
    together[nested] = np.minimum(covered, share)[nested]
    together[apart] = np.maximum(covered + share - 1.0, 0.0)[apart]
    return together


def _tile_edges(start: int, stop: int, block: int, step: int) -> list[int]:
    """Tile boundaries from start to stop, every ``step`` from the block edge at or before ``start``, so a step
    that is a multiple of ``block`` never reads a block twice."""
    base = (start // block) * block
    first = base + ((start - base) // step + 1) * step  # the first boundary after start
    return [start, *range(first, stop, step), stop] if first < stop else [start, stop]


@dataclass(frozen=True)
class _TileData:
    """What the reader thread hands over for one tile: raw grades, where they are not masked out (None: nowhere),
    the other rasters' values (None: that quantity is a constant)."""

    grade: np.ndarray
    mask: np.ndarray | None
    thickness: np.ndarray | None
    density: np.ndarray | None
    top: np.ndarray | None
    #: Where the finer rasters among the others (averaged, see ``_AuxiliaryRaster._warp_into``) hold data
    #: within the cells: a cell counts the part of its covered part that holds every one's data.
    footprints: tuple[DataFootprint, ...] = ()


class CellSink(Protocol):
    """Receives every tile's covered cells with valid data as a pass streams past (``area_cells`` keeps them, an
    exploration target sums its draws over them), so that one read of the rasters serves the sums per cut-off
    and whatever else the caller needs, in bounded memory."""

    def add(
        self,
        area: np.ndarray,
        unit: float,
        grade: np.ndarray,
        thickness: np.ndarray | float,
        top: np.ndarray | float,
        density: np.ndarray | float,
        reach: float,
    ) -> None:
        """Covered ground area per cell in units of ``unit`` m2 (the same for every tile of a pass, so a sum can
        be multiplied by it once, not every cell), and physical grade (before ``grade_factor``; the raster's own
        type when it has no scale or offset) per cell; thickness (before ``thickness_factor`` and the depth window), top
        depth and density per cell, or one float for a constant; a grade is ore when it is at least
        ``cutoff * reach`` (``cutoff_reach``)."""


class _Accumulator:
    """One pass over the polygon's window of the grade raster (and of the thickness / density / top-depth
    rasters): sums per cut-off, and every tile's cells handed to ``sink`` when there is one."""

    def __init__(
        self,
        rasters: _RasterSession,
        source: _ReopeningSource,
        geometry,
        params: TonnageParams,
        polygon_crs: Any,
        sorted_cuts: np.ndarray,
        warnings: list[str],
        limits: EngineLimits = DEFAULT_LIMITS,
        sink: CellSink | None = None,
        cancelled: Cancelled = None,
    ):
        self.rasters, self.reader, self.limits = rasters, source, limits
        src = source.info
        self.params, self.path = params, _name(src.name)
        self.band = int(params.grade_band)  # rasterio takes a Python int, not numpy's
        self.sorted_cuts = sorted_cuts  # distinct
        self.totals = _Totals(sorted_cuts.size)
        self.totals.warnings = warnings
        self.sink = sink
        self.crs = source.crs
        checkpoint = None if cancelled is None else functools.partial(_check_cancelled, cancelled)
        geometry = self._in_raster_crs(geometry, polygon_crs, checkpoint)
        _check_cancelled(cancelled)
        if self.crs is None:
            local = " (only a local engineering one)" if src.crs else ""
            warnings.append(f"The grade raster {self.path} has no CRS{local}: its units are taken as metres")
        elif self.crs.is_geographic:  # longitudes a whole turn away from the raster's columns are the same ground
            geometry = into_longitude_span(geometry, *src.longitude_span(self.crs))
        self.geometry = geometry
        dtype = _real_dtype(src.dtypes[self.band - 1], "grade raster", self.path)
        self.floating = np.issubdtype(dtype, np.floating)
        self.grade_scale, self.grade_offset = band_scale_offset(src, self.band, "grade raster")
        self.grade_factor = float(params.grade_factor)
        self.raw_grades = self.grade_scale == 1.0 and self.grade_offset == 0.0
        #: Stored as unsigned integers, unscaled: every value is a grade (none negative, none a fill value).
        self.unsigned_grades = self.raw_grades and np.issubdtype(dtype, np.unsignedinteger)
        # a float32 0.35 scaled by 2 is the float32 0.7 (0.69999999): the storage's rounding, scaled or not
        self.reach = cutoff_reach(dtype if self.floating else np.dtype(np.float64))
        # The grades compared are the raster's own float type only when nothing scales them.
        compared = dtype if self.raw_grades and self.grade_factor == 1.0 else np.dtype(np.float64)
        self.cuts = np.array([at_least(cut * self.reach, compared) for cut in sorted_cuts])
        self.nodata = _band_nodata(src.nodatavals[self.band - 1], dtype)
        self.mask = _BandMask.of(src, self.band)
        geographic = self.crs is not None and self.crs.is_geographic
        self.ellipsoidal = EllipsoidalCellArea(src.transform, self.crs) if self.crs is not None and geographic else None
        self.cell_area = 1.0 if geographic else projected_cell_area(src.transform, self.crs)
        self.ground: ProjectedCellArea | None = None
        self.tolerance = _COVERAGE_TOLERANCE
        #: A small polygon's rings (map coordinates), kept from its bounds until its edges are made.
        self._rings: list[tuple[np.ndarray, bool]] | None = None
        try:
            self._prepare(checkpoint)
        except ValueError as exc:  # from the cell and polygon areas: a polygon beyond the CRS's domain
            if isinstance(exc, TonnageInputError):
                raise
            raise _PolygonError(str(exc) if isinstance(exc, GeometryError) else f"polygon: {exc}") from exc

    def _in_raster_crs(self, geometry, polygon_crs: Any, checkpoint: Callable[[], None] | None):
        """The polygon in the raster's CRS, its coordinates checked where the CRS can mean them (a projected
        raster's polygon given in its CRS: by ``_cell_bounds``, which finds its bounds anyway)."""
        self._check_map_range = polygon_crs is None and self.crs is not None and not self.crs.is_geographic
        if polygon_crs is None:
            try:
                if self.crs is not None and self.crs.is_geographic:
                    check_coordinate_range(geometry, self.crs)
            except GeometryError as exc:
                raise _PolygonError(str(exc)) from exc
            return geometry
        if self.crs is None:
            raise TonnageInputError(
                f"grade raster: {self.path} has no CRS, so the polygon cannot be transformed into it"
            )
        given = _polygon_crs(polygon_crs)
        try:
            check_coordinate_range(geometry, given)
            return transform_polygon(geometry, given, self.crs, checkpoint)
        except GeometryError as exc:
            raise _PolygonError(str(exc)) from exc
        except pyproj.exceptions.ProjError as exc:  # no path between the two (a local engineering CRS)
            raise TonnageInputError(
                f"polygon_crs: PROJ cannot transform '{given.name}' into the grade raster's CRS "
                f"'{self.crs.name}' ({exc}); give the polygons in a CRS tied to the earth, or in the raster's"
            ) from None

    @property
    def src(self) -> _RasterInfo:
        """The grade raster's grid and bands (the dataset itself is for the reader only, which may reopen it)."""
        return self.reader.info

    def _prepare(self, checkpoint: Callable[[], None] | None = None) -> None:
        params = self.params
        inverse = ~self.src.transform
        self._inverse = inverse
        self.bounds = self._cell_bounds(inverse)

        def auxiliary(path: PathInput | None, role: str) -> _AuxiliaryRaster | None:
            return None if path is None else _AuxiliaryRaster(self.rasters, path, role, self.src, self.crs, self.limits)

        self.thickness = auxiliary(params.thickness_raster, "thickness raster")
        self.density = auxiliary(params.density_raster, "density raster")
        self.top = auxiliary(params.top_depth_raster, "top depth raster")
        units = [grade_unit_warning(self.src.units[self.band - 1], params.grade_unit, self.path)]
        units += [raster.warning for raster in (self.thickness, self.density, self.top) if raster is not None]
        self.totals.warnings.extend(warning for warning in units if warning)
        self.windowed = params.windowed
        # Thickness (m) and tonnes per m2 of every cell when they are the same for all cells, else None.
        self.volume_per_area: float | None = None
        self.tonnes_per_area: float | None = None
        if self.thickness is None and (self.top is None or not self.windowed):
            # validate(): a constant thickness is given when there is no thickness raster
            self.volume_per_area = float(self._counted(float(params.thickness or 0.0), float(params.top_depth)))
            if self.density is None:
                self.tonnes_per_area = self.volume_per_area * float(params.density)
        #: Whether some cell's mineralisation reaches into the depth window (looked for until found); a constant
        #: thickness of 0 is told on its own.
        self.in_window = not self.windowed or (
            self.volume_per_area is not None and (self.volume_per_area > 0 or not float(params.thickness or 0.0))
        )
        window = self._window()
        self.tiles = [] if window is None else list(self._tiles(*window))
        if window is not None and self.crs is not None and not self.crs.is_geographic:
            self.ground = _ground_areas(self.src, self.crs, *window)
            self.cell_area = self.ground.unit
            self.tolerance += 0.5 * self.ground.max_step
        inside = self._on_grid()
        #: The one tile that holds the whole polygon, when there is one: a batch works out the covered cells of
        #: several such tiles together; and their fractions once worked out so.
        self.whole_tile: Window | None = self.tiles[0] if inside and len(self.tiles) == 1 else None
        self.ready: np.ndarray | None = None
        self._fine: dict[int, CellCoverage] = {}
        self._part_blocks = 0  # blocks of parts both edges cross, cut again (see ``_PART_BLOCKS_MOST``)
        self.area_from_cells = inside and self._cells_measure_polygon()
        if not self.area_from_cells:
            self.totals.polygon_area = polygon_area_m2(self.geometry, self.crs, checkpoint)

    def _on_grid(self) -> bool:
        """Whether the polygon lies wholly on the raster's grid."""
        if self.bounds is None:
            return False
        cmin, rmin, cmax, rmax = self.bounds
        return cmin >= 0 and rmin >= 0 and cmax <= self.src.width and rmax <= self.src.height

    def _cells_measure_polygon(self) -> bool:
        """Whether the polygon's area is the sum of its cells' covered ground areas: when it lies wholly on the
        grid and a cell's covered share is its share of the ground area to ``_CELL_MEASURE_TOLERANCE`` (no CRS,
        projected grids whose area varies that little across a cell, north-up geographic ones, whose shares
        follow lon/lat edges to about 1e-12). The pass sums those areas anyway; measuring the polygon again
        cost a small polygon's estimate a fifth of its time."""
        if self.ellipsoidal is not None:
            return self.ellipsoidal.north_up
        return self.ground is None or 0.5 * self.ground.max_step <= _CELL_MEASURE_TOLERANCE

    def _counted(self, thickness, top):
        """Thickness that counts: the factored thickness cut to the depth window."""
        thickness = thickness * float(self.params.thickness_factor)
        if not self.windowed:
            return thickness
        return counted_thickness(top, thickness, self.params.min_depth, self.params.max_depth)

    def finish(self) -> _Accumulator:
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is warned (``OVERFLOW_WARNING``)
            self._scale()
        self._warn()
        if overflowed(self.totals.volume, self.totals.tonnes, self.totals.metal):
            self.totals.warnings.append(OVERFLOW_WARNING)
        return self

    def results(self, cuts: np.ndarray) -> list[TonnageResult]:
        """One result per cut-off in the caller's order (the sums are over the distinct cut-offs, sorted: a
        cut-off given twice, as the sketch's estimate with its target asks for it, is summed once)."""
        fraction = grade_fraction(self.params.grade_unit)
        ranks = np.searchsorted(self.sorted_cuts, cuts)
        return [
            self.totals.result(int(rank), float(cut), fraction, self.params.treo_to_tree)
            for rank, cut in zip(ranks, cuts)
        ]

    @functools.cached_property
    def coverage(self) -> CellCoverage:
        """The polygon's edges in cell coordinates; made when first needed, so that a single-tile estimate
        makes them on the thread that works out the covered cells while the tile is read."""
        inverse = self._inverse
        # A north-up geographic raster's rows are re-spaced so that covered fractions are of true area, not of
        # square degrees.
        rows = self.ellipsoidal if self.ellipsoidal is not None and self.ellipsoidal.north_up else None
        rings, self._rings = self._rings or polygon_rings(self.geometry), None
        return CellCoverage.from_rings(rings, lambda x, y: affine_ops.apply(inverse, x, y), rows)

    def _cell_bounds(self, inverse: Affine) -> tuple[float, float, float, float] | None:
        """(col_min, row_min, col_max, row_max) of the polygon in cells, None when it has no edges. On a
        north-up grid the corners of its bounding box map to them (each axis alone, by the same arithmetic as
        its vertices), without making its edges. A small polygon's rings are kept for its edges: with shapely 1.8
        its bounds and then its coordinates cost as much as its coverage."""
        if inverse.b == 0.0 and inverse.d == 0.0:  # in floats: two numpy calls cost more than the arithmetic
            kept: list[tuple[np.ndarray, bool]] | None = []
            xmin = ymin = math.inf
            xmax = ymax = -math.inf
            vertices = 0
            for xy, exterior in polygon_rings(self.geometry):  # holes lie inside their shells
                if exterior and len(xy):
                    (x_low, y_low), (x_high, y_high) = xy.min(axis=0), xy.max(axis=0)
                    xmin, ymin = min(xmin, float(x_low)), min(ymin, float(y_low))
                    xmax, ymax = max(xmax, float(x_high)), max(ymax, float(y_high))
                vertices += len(xy)
                if kept is not None and vertices <= _KEPT_VERTICES:
                    kept.append((xy, exterior))
                else:  # a large polygon's coordinates are not held twice
                    kept = None
            if xmin > xmax:
                return None
            if self._check_map_range:
                check_coordinate_range(self.geometry, self.crs, (xmin, ymin, xmax, ymax))
            self._rings = kept
            (col_a, row_a), (col_b, row_b) = (
                affine_ops.apply(inverse, xmin, ymin),
                affine_ops.apply(inverse, xmax, ymax),
            )
            return (min(col_a, col_b), min(row_a, row_b), max(col_a, col_b), max(row_a, row_b))
        if self._check_map_range:
            check_coordinate_range(self.geometry, self.crs)
        if self.coverage.is_empty:
            return None
        return self.coverage.bounds()

    def _window(self) -> tuple[int, int, int, int] | None:
        """(row0, row1, col0, col1) of the raster's cells the polygon may cover, None for none."""
        if self.bounds is None:
            return None
        cmin, rmin, cmax, rmax = self.bounds
        col0, col1 = max(math.floor(cmin), 0), min(math.ceil(cmax), self.src.width)
        row0, row1 = max(math.floor(rmin), 0), min(math.ceil(rmax), self.src.height)
        if col0 >= col1 or row0 >= row1:
            return None
        return row0, row1, col0, col1

    def _tiles(self, row0: int, row1: int, col0: int, col1: int):
        block_h, block_w = self.src.block_shapes[self.band - 1]
        width = col1 - col0
        tile_cells = self.limits.tile_cells
        if width * block_h <= tile_cells or block_w >= self.src.width:
            col_step = max(block_w, width)
            row_step = max(1, tile_cells // (width * block_h)) * block_h
        else:
            col_step = max(1, tile_cells // (block_h * block_w)) * block_w
            row_step = block_h
        if row_step * min(col_step, width) > tile_cells:  # giant blocks (a one-strip TIFF): bound tiles anyway
            row_step = max(1, tile_cells // min(col_step, width))
        rows = _tile_edges(row0, row1, block_h, row_step)
        # A window whose full width fits one tile stays whole: cutting it at a block edge only adds overhead.
        cols = [col0, col1] if col_step >= width else _tile_edges(col0, col1, block_w, col_step)
        for r0, r1 in zip(rows[:-1], rows[1:]):
            for c0, c1 in zip(cols[:-1], cols[1:]):
                yield Window(c0, r0, c1 - c0, r1 - r0)

    def read(self, window: Window) -> _TileData:
        try:
            return self._read_tile(window)
        except (RasterioError, OSError) as exc:  # RasterioIOError is an OSError, not a RasterioError
            raise TonnageInputError(f"grade raster: cannot read {self.path} ({exc})") from exc

    def reads_from_cache(self, window: Window) -> bool:
        """Whether reading ``window`` copies blocks GDAL holds decompressed (with no other raster to read)."""
        others = (self.thickness, self.density, self.top)
        return all(raster is None for raster in others) and self.reader.cached(self.band, window)

    def _read_tile(self, window: Window) -> _TileData:
        source = self.reader.dataset
        grade = source.read(self.band, window=window)
        mask = self.mask.valid(source, window)
        self.reader.note_read(self.band, window)
        self.reader.count(grade.nbytes, self.limits.cache_budget)
        tile_transform = window_transform(window, self.src.transform)

        others, footprints = [], []
        for raster in (self.thickness, self.density, self.top):
            values, footprint = (None, None) if raster is None else raster.read(window, tile_transform)
            others.append(values)
            if footprint is not None:
                footprints.append(footprint)
        thickness, density, top = others
        return _TileData(grade, mask, thickness, density, top, tuple(footprints))

    def _cells(self, data: _TileData, covered: _Covered | None) -> _Cells | None:
        """The tile's covered cells with valid data; adds their areas to the inside / covered totals."""
        if covered is None:
            return None
        area, pick, window = covered
        raw = pick(data.grade)
        grade = raw
        if not self.raw_grades:
            with np.errstate(over="ignore", invalid="ignore"):  # a nodata of -1.8e308 scaled: left out below
                grade = raw.astype(np.float64) * self.grade_scale + self.grade_offset
        others = [None if values is None else pick(values) for values in (data.thickness, data.density, data.top)]
        valid = self._valid(raw, grade, None if data.mask is None else pick(data.mask), others)
        self.totals.inside_area += float(area.sum())
        if data.footprints:
            area = self._with_data(area, window, pick, data.footprints)
        if valid is not None and not valid.all():
            area, grade = area[valid], grade[valid]
            others = [None if values is None else values[valid] for values in others]
        self.totals.covered_area += float(area.sum())
        if area.size == 0:
            return None
        thickness, density, top = others
        self._count_zeros(area, thickness, density)
        self._note_peaks(grade, thickness, density)
        params = self.params
        return _Cells(
            area,
            grade,
            float(params.thickness or 0.0) if thickness is None else thickness,
            float(params.density) if density is None else density,
            float(params.top_depth) if top is None else top,
        )

    def covered(self, window: Window) -> _Covered | None:
        """The covered cells' ground areas (in units of ``cell_area``) and how to pick the same cells from any
        array of the tile; None when the polygon covers none of it. Needs no raster data, so it is worked out
        while the tile is read."""
        r0, c0 = int(window.row_off), int(window.col_off)
        r1, c1 = r0 + int(window.height), c0 + int(window.width)
        ground = self.ground
        frac, self.ready = self.ready, None
        if frac is None and ground is not None and ground.separable:  # the ground areas folded in, if it can
            frac = self.coverage.fractions(r0, r1, c0, c1, clip=False, factors=ground.factors(r0, r1, c0, c1))
        else:
            if frac is None:
                frac = self.coverage.fractions(r0, r1, c0, c1, clip=False)
            if ground is not None:
                ground.scale_window(frac, r0, c0)
        self._ground_of_parts(frac, r0, r1, c0, c1)
        # Not clamped to 1: the running sums' round-off (about 1e-15) is far below any figure's precision, and
        # a pass over the window is not.
        selected = frac > COVERAGE_EPSILON
        count = int(np.count_nonzero(selected))
        if count == 0:
            return None
        if count == selected.size:  # a tile wholly inside the polygon: flat views, no copies

            def pick(values: np.ndarray) -> np.ndarray:
                return values.reshape(-1)
        else:

            def pick(values: np.ndarray) -> np.ndarray:
                return values[selected]

        area = pick(frac)
        if self.ellipsoidal is not None:
            area = area * pick(self.ellipsoidal.cell_areas(r0, r1, c0, c1))
        return area, pick, window

    def _whole_cells(self, window: Window, pick: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """The ground area of each picked cell of the tile, in units of ``cell_area``, as if wholly covered."""
        r0, c0 = int(window.row_off), int(window.col_off)
        r1, c1 = r0 + int(window.height), c0 + int(window.width)
        whole = np.ones((r1 - r0, c1 - c0))
        if self.ground is not None:
            self.ground.scale_window(whole, r0, c0)
        if self.ellipsoidal is not None:
            whole = whole * self.ellipsoidal.cell_areas(r0, r1, c0, c1)
        return pick(whole)

    def _with_data(
        self,
        area: np.ndarray,
        window: Window,
        pick: Callable[[np.ndarray], np.ndarray],
        footprints: tuple[DataFootprint, ...],
    ) -> np.ndarray:
        """The covered ground of each picked cell that holds the finer rasters' data (``area``: all of it).

        A cell wholly covered counts the share of it with data (of several rasters: the least, which is theirs
        together when the others hold the cell whole), a cell wholly with data its covered part; a cell the
        polygon covers in part and the data hold in part (or that several rasters hold in part) counts the
        covered part with data, found on the cell cut into about the rasters' own cells."""
        whole = self._whole_cells(window, pick)
        shares = [pick(footprint.share) for footprint in footprints]
        share = functools.reduce(np.minimum, shares)
        edge, several = _held_in_part(shares)
        crossed = (edge & (area < whole * _WHOLE_CELL)) | several
        if self._parts_weigh:  # a share is of the cell's map area; where its ground is uneven, of its ground
            crossed |= edge
        crossed &= share > 0.0
        counted = np.minimum(area, share * whole)
        if crossed.any():
            height, width = int(window.height), int(window.width)
            cells = pick(np.arange(height * width).reshape(height, width))[crossed]
            counted[crossed] = whole[crossed] * self._covered_with_data(window, cells, footprints)
        return counted

    def _covered_with_data(
        self, window: Window, cells: np.ndarray, footprints: tuple[DataFootprint, ...]
    ) -> np.ndarray:
        """The share of each of the tile's ``cells`` (flat, row-major indices) both covered and with every
        footprint's data: the polygon's coverage of the cells cut into k x k, times the footprints' shares of
        the same parts; exact where the data follow the parts, as an aligned raster's do. A part that both the
        polygon's edge and a data edge cross (or two rasters' data edges) is cut again
        (``_covered_with_data_in_parts``): a 74 m strip along a raster of 25 m cells rotated 30 degrees was 1e-4
        to 4e-4 off from the product of the two shares, now 3e-6; a zone with its model in another CRS clipped to
        it, 2e-4, now 1e-6."""
        footprints = tuple(footprint for footprint in footprints if footprint.partial)
        k = math.lcm(*(footprint.refinement for footprint in footprints))  # the parts of each of them
        if k > MAX_ALIGNED_REFINEMENT:
            k = max(footprint.refinement for footprint in footprints)
        fine = self._fine_coverage(k)
        r0, c0, width = int(window.row_off), int(window.col_off), int(window.width)
        rows, cols = np.divmod(cells, width)
        counted = np.empty(cells.size)
        for block in blocks(rows, cols, max(1, math.isqrt(SAMPLED_CELLS) // (2 * k))):
            b0, b1 = int(rows[block].min()), int(rows[block].max()) + 1
            a0, a1 = int(cols[block].min()), int(cols[block].max()) + 1
            covered = fine.fractions((r0 + b0) * k, (r0 + b1) * k, (c0 + a0) * k, (c0 + a1) * k)
            parts = covered.copy()
            self._ground_of_fine_parts(parts, fine, r0 + b0, r0 + b1, c0 + a0, c0 + a1, k)
            shares = [footprint.share_in(b0, b1, a0, a1, k) for footprint in footprints]
            share = functools.reduce(np.multiply, shares)
            # parts that the polygon's edge and a data edge cross, or the data edges of two rasters
            edge, several = _held_in_part(shares, _PART_EDGE)
            both = (_partial(covered, _PART_EDGE) & edge) | several
            both &= (share > 0.0) & (covered > _PART_EDGE)
            part_rows, part_cols = np.nonzero(both)
            groups = blocks(part_rows, part_cols, _PART_BLOCK) if part_rows.size else []
            if groups and self._part_blocks + len(groups) <= _PART_BLOCKS_MOST:  # from the parts' own parts
                self._part_blocks += len(groups)
                at = ((r0 + b0) * k, (c0 + a0) * k, b0 * k, a0 * k)
                overlap = self._covered_with_data_in_parts(at, part_rows, part_cols, groups, footprints, k)
                share[both] = overlap / covered[both]  # of the covered piece: its ground as the piece's
            parts *= share
            per_cell = parts.reshape(b1 - b0, k, a1 - a0, k).sum(axis=(1, 3)) / (k * k)
            counted[block] = per_cell[rows[block] - b0, cols[block] - a0]
        return counted

    def _covered_with_data_in_parts(
        self,
        at: tuple[int, int, int, int],
        rows: np.ndarray,
        cols: np.ndarray,
        groups: list[np.ndarray],
        footprints: tuple[DataFootprint, ...],
        k: int,
    ) -> np.ndarray:
        """The map share of each part (``rows``, ``cols`` of a window of parts whose corner is part (row, col)
        ``at[:2]`` of the raster and ``at[2:]`` of the tile; ``groups`` of them by ``blocks``) both covered and
        with every footprint's data, from the part cut into ``_PART_CUTS`` x ``_PART_CUTS``: the product of the
        two shares of a part that both edges cross was 2e-4 low along a zone whose model in another CRS is
        clipped to it (the two pieces lie together, not apart)."""
        cuts = _PART_CUTS
        finer = self._fine_coverage(k * cuts)
        raster_row, raster_col, tile_row, tile_col = at
        overlap = np.empty(rows.size)
        for block in groups:
            p0, p1 = int(rows[block].min()), int(rows[block].max()) + 1
            q0, q1 = int(cols[block].min()), int(cols[block].max()) + 1
            pieces = finer.fractions(
                (raster_row + p0) * cuts, (raster_row + p1) * cuts, (raster_col + q0) * cuts, (raster_col + q1) * cuts
            )
            window = ((tile_row + p0) * cuts, (tile_row + p1) * cuts, (tile_col + q0) * cuts, (tile_col + q1) * cuts)
            for footprint in footprints:
                pieces = _lying_together(pieces, footprint.share_of_parts(*window, k * cuts))
            per_part = pieces.reshape(p1 - p0, cuts, q1 - q0, cuts).mean(axis=(1, 3))
            overlap[block] = per_part[rows[block] - p0, cols[block] - q0]
        return overlap

    @property
    def _parts_weigh(self) -> bool:
        """Whether the parts of a cell hold unequal ground (see ``_ground_of_parts``, ``_ground_of_fine_parts``)."""
        return self.ellipsoidal is not None or (self.ground is not None and self.ground.slopes_matter)

    @property
    def _equal_area_rows(self) -> bool:
        """Whether the grid is a north-up geographic one, whose rows are re-spaced to equal areas."""
        return self.ellipsoidal is not None and self.ellipsoidal.north_up

    def _ground_of_fine_parts(
        self, parts: np.ndarray, fine: CellCoverage, r0: int, r1: int, c0: int, c1: int, k: int
    ) -> None:
        """Turn ``parts``, the polygon's covered share of each part of the cells ``r0:r1``, ``c0:c1`` (of the
        raster) cut into k x k, into its share of the cells' ground, where the ground per cell changes across a
        cell enough to matter (as ``_ground_of_parts`` finds it; else left as it is). A part counts its ground
        relative to an even share of its cell's; a part covered in part, the ground under its covered piece (on
        a north-up geographic grid ``fine`` has its rows re-spaced to equal areas; else from the piece's first
        moments, as a cell's). Counted by map area, a data edge at 60.2 N in a 0.5 degree cell was 5e-4 off, in
        the northmost tenth of a 1 degree cell at 75 N 3e-2."""
        if self._equal_area_rows:
            assert self.ellipsoidal is not None
            edges = self.ellipsoidal.equal_area_rows(np.arange(r0 * k, r1 * k + 1) / k)
            parts *= (k * np.diff(edges))[:, None]
            return
        if not self._parts_weigh:
            return
        rows, cols = np.divmod(np.arange((r1 - r0) * (c1 - c0)), c1 - c0)
        down, across = self._slopes(r0, r1, c0, c1, rows, cols)
        if self.ground is not None:  # the slopes are of the cell's ground, not relative
            scale = np.ones((r1 - r0, c1 - c0))
            self.ground.scale_window(scale, r0, c0)
            down, across = down / scale.reshape(-1), across / scale.reshape(-1)
        down, across = down.reshape(r1 - r0, c1 - c0), across.reshape(r1 - r0, c1 - c0)
        pieces, piece_down, piece_across = fine.moments(r0 * k, r1 * k, c0 * k, c1 * k)
        piece_rows, piece_cols = np.divmod(pieces, (c1 - c0) * k)
        at = (piece_rows // k, piece_cols // k)
        parts[piece_rows, piece_cols] += (down[at] * piece_down + across[at] * piece_across) / k
        offsets = (np.arange(k) + 0.5) / k - 0.5  # of the parts' centres from their cell's, in cells
        shape = (r1 - r0, 1, c1 - c0, 1)
        weights = 1.0 + down.reshape(shape) * offsets[:, None, None] + across.reshape(shape) * offsets
        parts *= weights.reshape(parts.shape)

    def _fine_coverage(self, k: int) -> CellCoverage:
        """The polygon's coverage of the grid cut into k x k parts per cell (made once per k)."""
        fine = self._fine.get(k)
        if fine is None:
            fine = self._fine[k] = self.coverage.refined(k)
        return fine

    def _ground_of_parts(self, frac: np.ndarray, r0: int, r1: int, c0: int, c1: int) -> None:
        """Partly covered cells of the window count the ground under their part, not their share of the ground at
        the cell's centre, where the ground per cell changes across a cell enough to matter: on projected grids
        (``ProjectedCellArea.slopes``) and rotated or sheared geographic ones (``EllipsoidalCellArea.slopes``; a
        north-up one's rows are re-spaced to equal areas instead)."""
        if not self._parts_weigh or self._equal_area_rows:
            return
        cells, down, across = self.coverage.moments(r0, r1, c0, c1)
        rows, cols = np.divmod(cells, c1 - c0)
        slope_down, slope_across = self._slopes(r0, r1, c0, c1, rows, cols)
        frac[rows, cols] += slope_down * down + slope_across * across

    def _slopes(
        self, r0: int, r1: int, c0: int, c1: int, rows: np.ndarray, cols: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """How the ground changes per cell down the rows and along the columns at the cells ``rows``, ``cols`` of
        the window ``r0:r1``, ``c0:c1`` (counted from its corner), where ``_parts_weigh`` and the rows are not
        re-spaced: ``ProjectedCellArea.slopes`` (of a cell's ground, as ``covered`` scales it) or
        ``EllipsoidalCellArea.slopes`` (relative)."""
        if self.ground is not None and self.ground.slopes_matter:
            return self.ground.slopes(r0, r1, c0, c1, rows, cols)
        assert self.ellipsoidal is not None
        return self.ellipsoidal.slopes(rows + r0, cols + c0)

    def _valid(
        self, raw: np.ndarray, grade: np.ndarray, mask: np.ndarray | None, others: list[np.ndarray | None]
    ) -> np.ndarray | None:
        """Where the grade (``raw`` as stored, ``grade`` scaled) and every other raster hold data; None where all
        do."""
        valid = self._valid_grades(raw, grade, mask)
        for values in others:
            if values is not None:
                ok = ~np.isnan(values)
                valid = ok if valid is None else valid & ok
        return valid

    def _count_zeros(self, area: np.ndarray, thickness: np.ndarray | None, density: np.ndarray | None) -> None:
        """Add the area of cells whose thickness or density raster holds 0 (they weigh nothing: warned)."""
        for values in (thickness, density):
            if values is not None:
                zero = values == 0.0
                if zero.any():
                    self.totals.zero_area += float(area[zero].sum())

    def _note_peaks(self, grade: np.ndarray, thickness: np.ndarray | None, density: np.ndarray | None) -> None:
        """Keep the largest grade, and thickness and density where rasters give them (``plausible``)."""
        peaks = self.totals.peaks
        for name, values in (("grade", grade), ("thickness", thickness), ("density", density)):
            if values is not None:
                peaks[name] = max(peaks[name], float(values.max()))

    def add(self, data: _TileData, covered: _Covered | None, feeder: _SinkFeeder | None = None) -> None:
        """Add one tile's cells: those ``covered(window)`` found, with the ``data`` read for the window; the sink
        is fed through ``feeder`` when there is one."""
        cells = self._cells(data, covered)
        if cells is None:
            return
        if self.sink is not None:
            sink_cells = (
                cells.area,
                self.cell_area,
                cells.grade,
                cells.thickness,
                cells.top,
                cells.density,
                self.reach,
            )
            if feeder is None:
                self.sink.add(*sink_cells)
            else:
                feeder.feed(self.sink.add, *sink_cells)
            if self.cuts.size == 0:  # a pass that only feeds the sink
                return
        grade = cells.grade if self.grade_factor == 1.0 else cells.grade.astype(np.float64) * self.grade_factor
        area = cells.area
        totals = self.totals
        targets, values = [totals.area], [area]
        tonnes = area
        if self.volume_per_area is None:
            volume = area * self._counted(cells.thickness, cells.top)
            if not self.in_window:
                self.in_window = bool(volume.any())
            targets.append(totals.volume)
            values.append(volume)
            tonnes = volume * cells.density
        elif self.tonnes_per_area is None:
            tonnes = area * cells.density
        if tonnes is not area:
            targets.append(totals.tonnes)
            values.append(tonnes)
        sums, metal = _sums_above(self.cuts, grade, values, tonnes)
        for total, value in zip(targets, sums):
            total += value
        totals.metal += metal

    def _window_missed(self) -> str:
        """The warning for a depth window that holds none of the mineralisation of the cells with data: a top
        depth below the maximum depth, say, gave 0 t without a word."""
        params = self.params
        window = depth_window_text(top_depth_text(params), params.min_depth, params.max_depth)
        return (
            f"No mineralisation lies within the depth window ({window}): every tonnage is 0; check the top depth, "
            "the thickness and the depth limits"
        )

    def _valid_grades(self, raw: np.ndarray, grade: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
        """Where the grade holds data: its physical value is (``band_unit.holds_data``: a negative grade or a fill
        value of 3.4e38 is undeclared nodata, which counted as a cell without ore, or as ore of 1e38 %), and its
        stored one is neither the declared nodata nor masked."""
        valid = None if self.unsigned_grades else holds_data(grade)
        if self.nodata is not None:
            ok = raw != self.nodata
            valid = ok if valid is None else valid & ok
        if mask is not None:
            valid = mask if valid is None else valid & mask
        return valid

    def _scale(self) -> None:
        """Turn per-bin sums of fractions (x rasters) into m2, m3 and tonnes."""
        totals = self.totals
        cell = self.cell_area
        totals.area *= cell
        totals.inside_area *= cell
        totals.covered_area *= cell
        totals.zero_area *= cell
        if self.area_from_cells:
            totals.polygon_area = totals.inside_area
        if self.volume_per_area is not None:
            totals.volume = totals.area * self.volume_per_area
        else:
            totals.volume *= cell
        if self.tonnes_per_area is not None:
            totals.tonnes = totals.area * self.tonnes_per_area
            totals.metal *= cell * self.tonnes_per_area
        elif self.volume_per_area is not None:  # per-cell density, constant thickness
            totals.tonnes *= cell * self.volume_per_area
            totals.metal *= cell * self.volume_per_area
        else:
            totals.tonnes *= cell
            totals.metal *= cell

    def _warn_implausible(self) -> None:
        """Values no deposit has (``plausible``): a raster in another unit than the one it is read in."""
        peaks, params = self.totals.peaks, self.params
        thickness = peaks["thickness"] if self.thickness is not None else float(params.thickness or 0.0)
        density = peaks["density"] if self.density is not None else float(params.density)
        found = (
            grade_warning(peaks["grade"], params.grade_unit, self.path),
            factored_grade_warning(peaks["grade"], float(params.grade_factor), params.grade_unit),
            thickness_warning(thickness, None if self.thickness is None else self.thickness.path),
            density_warning(density, None if self.density is None else self.density.path),
        )
        self.totals.warnings.extend(warning for warning in found if warning)

    def _warn_no_tonnes(self) -> None:
        """Inputs that leave cells without tonnes: a thickness or density of 0, a depth window that holds none
        of the mineralisation."""
        totals, params = self.totals, self.params
        for name, value, raster in (
            ("thickness", params.thickness, self.thickness),
            ("density", params.density, self.density),
        ):
            if raster is None and value is not None and float(value) == 0.0:
                totals.warnings.append(f"The {name} is 0, so every tonnage is 0")
        if not self.in_window and self.cuts.size and totals.covered_area > totals.zero_area:
            totals.warnings.append(self._window_missed())
        if totals.zero_area > 0 and totals.covered_area > 0:
            totals.warnings.append(
                f"{_percent(min(totals.zero_area / totals.covered_area, 1.0))} % of the "
                "covered area has a thickness or density of 0 in its raster"
            )

    def _warn(self) -> None:
        totals = self.totals
        self._warn_no_tonnes()
        self._warn_implausible()
        polygon = totals.polygon_area
        if polygon <= 0:
            return
        limit = polygon * (1.0 - self.tolerance)
        if totals.inside_area <= 0:
            totals.warnings.append(f"The polygon does not overlap the grade raster {self.path}")
            return
        if totals.inside_area < limit:
            outside = 1.0 - totals.inside_area / polygon
            totals.warnings.append(
                f"{_percent(outside)} % of the polygon lies outside the grade raster {os.path.basename(self.path)}"
            )
        if totals.covered_area < limit:
            sources = ["grade"]
            for raster, name in ((self.thickness, "thickness"), (self.density, "density"), (self.top, "top depth")):
                if raster is not None:
                    sources.append(name)
            what = " and ".join(sources) if len(sources) < 3 else ", ".join(sources[:-1]) + " and " + sources[-1]
            totals.warnings.append(f"Only {_percent(totals.covered_area / polygon)} % of the polygon has {what} data")
