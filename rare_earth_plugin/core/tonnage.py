"""Ore tonnes, tonnage-weighted grade and contained TREO/TREE inside a polygon over a grade raster.

Every cell counts with the exact fraction of its area the polygon covers (see ``coverage``), on true cell
areas (see ``cellarea``). The polygon's bounding window is read tile by tile and per-cell weights are summed
per cut-off as they stream past, so memory stays bounded and a whole grade-tonnage curve costs one pass.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import stat
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Union

import numpy as np
import pyproj
import rasterio
from rasterio.enums import MaskFlags, Resampling
from rasterio.errors import RasterioError
from rasterio.warp import calculate_default_transform, reproject
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from . import affine_ops
from .cellarea import EllipsoidalCellArea, ProjectedCellArea, polygon_area_m2, projected_cell_area
from .coverage import COVERAGE_EPSILON, CellCoverage
from .depth_window import counted_thickness
from .geometry import GeometryError, PolygonInput, crs_from_wkt, parse_polygon, transform_polygon
from .limits import DEFAULT_LIMITS, EngineLimits
from .polygon_checks import check_geographic_range
from .proj_threads import per_thread
from .units import DEFAULT_DENSITY, GRADE_UNITS, PERCENT, TREO_TO_TREE, grade_fraction

PathInput = Union[str, "os.PathLike[str]"]

#: Coverage below 1 by less than this is round-off between the polygon's area and the sum of its cells.
_COVERAGE_TOLERANCE = 1e-6


class TonnageInputError(ValueError):
    """Input the engine cannot use; the message names the file or parameter at fault."""


class TonnageCancelled(Exception):  # noqa: N818 - reads as what happened, like KeyboardInterrupt
    """The caller's ``cancelled()`` returned True: the estimate stopped between two tiles."""


Cancelled = Union[Callable[[], bool], None]


@dataclass(frozen=True)
class TonnageParams:
    """How to turn grades into tonnes. Exactly one of ``thickness`` / ``thickness_raster`` must be given;
    ``density_raster``, when given, replaces the constant ``density``."""

    cutoff: float = 0.0
    grade_unit: str = PERCENT
    grade_band: int = 1
    density: float = DEFAULT_DENSITY
    density_raster: PathInput | None = None
    thickness: float | None = None
    thickness_raster: PathInput | None = None
    treo_to_tree: float = TREO_TO_TREE
    #: Depth of the top of mineralisation below surface, m: a constant, or a raster that replaces it.
    top_depth: float = 0.0
    top_depth_raster: PathInput | None = None
    #: The depth window below surface, m (None: unbounded); see ``depth_window.counted_thickness``.
    min_depth: float | None = None
    max_depth: float | None = None
    #: Multiplies the thickness source (before the depth window) and every physical grade (before the
    #: cut-off comparison and in all grade and contained-metal sums): the ranges of an exploration target.
    thickness_factor: float = 1.0
    grade_factor: float = 1.0

    def validate(self) -> None:
        if self.grade_unit not in GRADE_UNITS:
            raise TonnageInputError(f"grade_unit: unknown unit {self.grade_unit!r} (use one of "
                                    f"{', '.join(GRADE_UNITS)})")
        _check_number("cutoff", self.cutoff)
        if self.density_raster is None:
            _check_number("density", self.density)
        if (self.thickness is None) == (self.thickness_raster is None):
            raise TonnageInputError("thickness: give exactly one of a constant thickness or a thickness "
                                    "raster")
        if self.thickness is not None:
            _check_number("thickness", self.thickness)
        _check_number("treo_to_tree", self.treo_to_tree)
        if self.top_depth_raster is None:
            _check_number("top_depth", self.top_depth)
        for name in ("min_depth", "max_depth"):
            if getattr(self, name) is not None:
                _check_number(name, getattr(self, name))
        if self.min_depth is not None and self.max_depth is not None \
                and not float(self.min_depth) < float(self.max_depth):
            raise TonnageInputError(f"min_depth: must be less than max_depth, got {self.min_depth!r} >= "
                                    f"{self.max_depth!r}")
        for name in ("thickness_factor", "grade_factor"):
            _check_number(name, getattr(self, name))
            if float(getattr(self, name)) <= 0:
                raise TonnageInputError(f"{name}: must be > 0, got {getattr(self, name)!r}")
        if isinstance(self.grade_band, bool) or not isinstance(self.grade_band, (int, np.integer)) \
                or self.grade_band < 1:
            raise TonnageInputError(f"grade_band: must be a band number from 1, got {self.grade_band!r}")


@dataclass(frozen=True)
class TonnageResult:
    polygon_area_m2: float
    covered_area_m2: float
    ore_area_m2: float
    ore_volume_m3: float
    ore_tonnes: float
    mean_grade: float  # tonnage-weighted, in the grade unit; NaN without ore
    treo_tonnes: float
    tree_tonnes: float
    data_coverage: float  # covered / polygon area, 0-1
    cutoff: float
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: floats, None for NaN, a list of warnings."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key == "warnings":
                out[key] = list(value)
            else:
                number = float(value)
                out[key] = None if math.isnan(number) else number
        return out


def estimate_tonnage(polygon: PolygonInput, grade_raster: PathInput, params: TonnageParams | None = None,
                     polygon_crs: Any = None, *, limits: EngineLimits = DEFAULT_LIMITS,
                     cancelled: Cancelled = None) -> TonnageResult:
    """Tonnage of the cells inside ``polygon`` with grade >= ``params.cutoff``.

    ``cancelled``, when given, is asked before every tile (at most about 0.1 s of work apart); once it returns
    True the estimate raises ``TonnageCancelled``.
    """
    params = params if params is not None else TonnageParams()
    return grade_tonnage_curve(polygon, grade_raster, [params.cutoff], params, polygon_crs, limits=limits,
                               cancelled=cancelled)[0]


def grade_tonnage_curve(polygon: PolygonInput, grade_raster: PathInput, cutoffs: Sequence[float],
                        params: TonnageParams | None = None, polygon_crs: Any = None, *,
                        limits: EngineLimits = DEFAULT_LIMITS, cancelled: Cancelled = None
                        ) -> list[TonnageResult]:
    """One result per cut-off, in the given order, from a single pass over the rasters."""
    params, cuts = _checked(params, cutoffs)
    with _session(limits) as rasters:
        job = _job(rasters, polygon, grade_raster, params, polygon_crs, cuts, limits)
        return _run(job, cancelled).results(cuts)


@dataclass(frozen=True)
class AreaCells:
    """The covered cells of a polygon with valid data, one entry per cell in each 1-D float64 array, for
    callers that evaluate many variants of the parameters on one read of the rasters (exploration-target
    ranges, Monte Carlo).

    Per cell, with ``tf`` / ``gf`` the thickness and grade factors of a variant:
    tonnes = area_m2 * counted_thickness(top, thickness * tf, min_depth, max_depth) * density, ore where
    grade * gf >= cutoff, contained = tonnes * grade * gf * grade_fraction(grade_unit). For any raster,
    ``estimate_tonnage`` with those factors equals these sums (to round-off).
    """

    area_m2: np.ndarray  # covered ground area of each cell
    grade: np.ndarray  # physical grade (value x scale + offset) in grade_unit, before grade_factor
    thickness: np.ndarray  # physical thickness source, before thickness_factor and the depth window
    top: np.ndarray  # depth to the top of mineralisation, m
    density: np.ndarray  # t/m3
    polygon_area_m2: float
    data_coverage: float
    warnings: tuple[str, ...]
    grade_unit: str
    min_depth: float | None
    max_depth: float | None
    cutoff: float
    treo_to_tree: float


def area_cells(polygon: PolygonInput, grade_raster: PathInput, params: TonnageParams | None = None,
               polygon_crs: Any = None, *, limits: EngineLimits = DEFAULT_LIMITS,
               cancelled: Cancelled = None) -> AreaCells:
    """The cells ``estimate_tonnage`` would sum, read once through the same pipeline (see ``AreaCells``);
    ``params``' factors are not applied, its cut-off and depth window are passed on."""
    params, cuts = _checked(params, [params.cutoff if params is not None else 0.0])
    with _session(limits) as rasters:
        job = _run(_job(rasters, polygon, grade_raster, params, polygon_crs, cuts, limits, collect=True),
                   cancelled)
    cells = job.collected or []
    scale = job.cell_area

    def joined(name: str) -> np.ndarray:
        parts = [np.broadcast_to(np.asarray(getattr(c, name), dtype=np.float64), c.area.shape) for c in cells]
        return np.concatenate(parts) if parts else np.empty(0)

    totals = job.totals
    return AreaCells(area_m2=joined("area") * scale, grade=joined("grade"), thickness=joined("thickness"),
                     top=joined("top"), density=joined("density"), polygon_area_m2=float(totals.polygon_area),
                     data_coverage=float(totals.coverage()), warnings=tuple(totals.warnings),
                     grade_unit=params.grade_unit,
                     min_depth=None if params.min_depth is None else float(params.min_depth),
                     max_depth=None if params.max_depth is None else float(params.max_depth),
                     cutoff=float(params.cutoff), treo_to_tree=float(params.treo_to_tree))


def grade_tonnage_curves(polygons: Iterable[PolygonInput | TonnageInputError], grade_raster: PathInput,
                         cutoffs: Sequence[float], params: TonnageParams | None = None,
                         polygon_crs: Any = None, *, limits: EngineLimits = DEFAULT_LIMITS,
                         cancelled: Cancelled = None) -> Iterator[list[TonnageResult] | TonnageInputError]:
    """``grade_tonnage_curve`` for many polygons, yielded in order as each is done.

    The rasters stay open and the next polygon's blocks are read while the current one is summed, so a batch
    of small polygons costs little more than reading their windows. A polygon the engine cannot use yields
    its ``TonnageInputError`` instead of raising it, so one bad polygon does not stop the batch (an error
    given in place of a polygon passes through, keeping a caller's own failures in order); problems with the
    rasters or parameters raise.

    The batch opens its rasters for itself, never the thread's ``reusing_open_rasters`` ones: its reader
    thread goes on reading them while the caller handles a result, maybe with estimates of its own. A batch
    left unfinished should be closed (``close()``, or dropping the last reference to it) to stop that thread.
    """
    params, cuts = _checked(params, cutoffs)
    rasters = _RasterSession()

    def jobs() -> Iterator[_Accumulator | TonnageInputError]:
        for polygon in polygons:
            if isinstance(polygon, TonnageInputError):
                yield polygon
                continue
            try:
                yield _job(rasters, polygon, grade_raster, params, polygon_crs, cuts, limits)
            except _PolygonError as error:
                yield TonnageInputError(str(error))

    try:
        # the reader stops before the rasters close
        with contextlib.closing(_pipeline(jobs(), limits, cancelled)) as done_jobs:
            for done in done_jobs:
                yield done if isinstance(done, TonnageInputError) else done.results(cuts)
    finally:
        rasters.close()


class PolygonInputError(TonnageInputError):
    """A problem with one polygon (not with the rasters or parameters): a batch or a report can skip it."""


_PolygonError = PolygonInputError


def _checked(params: TonnageParams | None, cutoffs: Sequence[float]) -> tuple[TonnageParams, np.ndarray]:
    params = params if params is not None else TonnageParams()
    params.validate()
    cuts = np.asarray(list(cutoffs), dtype=np.float64).ravel()
    if cuts.size == 0:
        raise TonnageInputError("cutoffs: give at least one cut-off")
    for value in cuts:
        _check_number("cutoffs", value)
    return params, cuts


def _job(rasters: _RasterSession, polygon: PolygonInput, grade_raster: PathInput, params: TonnageParams,
         polygon_crs: Any, cuts: np.ndarray, limits: EngineLimits = DEFAULT_LIMITS,
         collect: bool = False) -> _Accumulator:
    """A polygon's pass, prepared (polygon in raster cells, tiles listed) but not yet read."""
    try:
        geometry, warnings = parse_polygon(polygon)
    except GeometryError as exc:
        raise _PolygonError(str(exc)) from exc
    source = rasters.get(grade_raster, "grade raster", limits)
    if not 1 <= params.grade_band <= source.info.count:
        raise TonnageInputError(f"grade_band: {_name(grade_raster)} has {source.info.count} band(s), "
                                f"band {params.grade_band} does not exist")
    return _Accumulator(rasters, source, geometry, params, polygon_crs, np.sort(cuts), warnings, limits, collect)


def _run(job: _Accumulator, cancelled: Cancelled = None) -> _Accumulator:
    """One job's pass, read on a reader thread when it has several tiles."""
    if len(job.tiles) > 1:
        (done,) = _pipeline(iter([job]), job.limits, cancelled)
        return done  # type: ignore[return-value]
    for window in job.tiles:  # nothing to overlap; a reader thread would only add its start-up cost
        _check_cancelled(cancelled)
        job.add(window, job.read(window))
    return job.finish()


def _check_cancelled(cancelled: Cancelled) -> None:
    if cancelled is not None and cancelled():
        raise TonnageCancelled("the estimate was cancelled")


def _pipeline(jobs: Iterator[_Accumulator | TonnageInputError], limits: EngineLimits,
              cancelled: Cancelled = None) -> Iterator[_Accumulator | TonnageInputError]:
    """Sum the jobs' tiles in order while a reader thread reads the next ones, across job boundaries;
    yield each job once its last tile is summed (errors pass straight through).

    Decompression and numpy both release the GIL, so a pass takes about as long as the slower of the two
    instead of their sum. At most ``limits.read_ahead_tiles`` tiles, and ``read_ahead_jobs`` jobs (polygons
    outside the raster have no tile), wait in memory. Only the reader thread touches the datasets while it
    runs; jobs are planned from the rasters' ``info``.
    """
    entries = ((job, window) for item in jobs
               for job, window in ([(item, None)] if isinstance(item, TonnageInputError)
                                   else [*((item, window) for window in item.tiles), (item, None)]))
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rare-earth-read")
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
                ahead.append((job, window, None if window is None else reader.submit(job.read, window)))

        top_up()
        while ahead:
            _check_cancelled(cancelled)
            job, window, pending = ahead.popleft()
            if window is None:
                yield job if isinstance(job, TonnageInputError) else job.finish()
            else:
                data = pending.result()
                top_up()
                job.add(window, data)
            top_up()
    finally:  # after an error, or a batch left unfinished: drop the reads not started, wait for the running one
        reader.shutdown(wait=True, cancel_futures=True)


def _check_values(dtype: np.dtype, role: str, path: str) -> None:
    if not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)):
        raise TonnageInputError(f"{role}: {path} holds {dtype.name} values, not real numbers")


def _check_number(name: str, value: Any) -> None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TonnageInputError(f"{name}: not a number ({value!r})") from None
    if not math.isfinite(number) or number < 0:
        raise TonnageInputError(f"{name}: must be a finite number >= 0, got {value!r}")


def _name(path: PathInput) -> str:
    return os.fspath(path)


def _path_text(path: Any, role: str) -> str:
    """The path as text; bytes and other objects get a message naming the parameter."""
    try:
        name = os.fspath(path)
    except TypeError:
        raise TonnageInputError(f"{role}: not a file path ({path!r})") from None
    if isinstance(name, bytes):
        raise TonnageInputError(f"{role}: give the path as text, not bytes ({path!r})")
    if not name:
        raise TonnageInputError(f"{role}: the path is empty")
    return name


def _file_signature(name: str, role: str) -> tuple:
    """What identifies a local file's contents (inode, size, mtime, ctime); () for paths GDAL resolves itself
    (/vsi..., URLs). Refuses what is not a regular file or a directory (a FIFO would block the open forever)."""
    if "://" in name or name.startswith("/vsi"):
        return ()
    try:
        info = os.stat(name)
    except FileNotFoundError:
        raise TonnageInputError(f"{role}: file not found: {name}") from None
    except OSError as exc:
        raise TonnageInputError(f"{role}: cannot read {name} ({exc.strerror or exc})") from exc
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise TonnageInputError(f"{role}: {name} is not a regular file (a pipe, device or socket cannot be "
                                "read as a raster)")
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _open_raster(name: str, role: str):
    try:
        src = rasterio.open(name)
    except (RasterioError, OSError) as exc:
        raise TonnageInputError(f"{role}: cannot read {name} as a raster ({exc})") from exc
    if src.count == 0:
        src.close()
        raise TonnageInputError(f"{role}: {name} has no raster bands")
    return src


@dataclass(frozen=True)
class _RasterInfo:
    """What planning a pass needs to know of a raster, read once when it is opened: a batch plans the next
    polygons while its reader thread reads (and reopens) the dataset, which GDAL lets one thread use at a
    time."""

    name: str
    count: int
    width: int
    height: int
    transform: Any
    crs: Any
    res: tuple
    bounds: Any
    nodata: float | None
    dtypes: tuple
    nodatavals: tuple
    scales: tuple
    offsets: tuple
    mask_flag_enums: tuple
    block_shapes: list

    @classmethod
    def of(cls, dataset) -> _RasterInfo:
        return cls(**{item.name: getattr(dataset, item.name) for item in fields(cls)})


class _ReopeningSource:
    """A dataset read block by block: reopened after every ``EngineLimits.cache_budget`` bytes (see there)."""

    def __init__(self, dataset, signature: tuple):
        self.dataset = dataset
        self.info = _RasterInfo.of(dataset)
        self.signature = signature
        self.opened_ns = time.time_ns()
        self.crs = _dataset_crs(dataset)  # pyproj's view, parsed once per open raster
        self._read_bytes = 0

    def racy(self, granularity_ns: int) -> bool:
        """Modified within the timestamp granularity before it was opened: it may have changed unseen."""
        return bool(self.signature) and self.opened_ns - max(self.signature[2], self.signature[3]) < granularity_ns

    def count(self, nbytes: int, budget: int) -> None:
        self._read_bytes += nbytes
        if self._read_bytes >= budget:
            reopened = rasterio.open(self.info.name)  # if this fails, the open dataset stays usable
            self.dataset, old = reopened, self.dataset
            old.close()
            self._read_bytes = 0


class _RasterSession:
    """The datasets one estimate reads, one batch reads, or, inside ``reusing_open_rasters()``, many estimates
    of a thread read."""

    def __init__(self) -> None:
        self.sources: dict[str, _ReopeningSource] = {}
        self.replaced: list[_ReopeningSource] = []  # a batch's reader may still be reading them

    def get(self, path: PathInput, role: str, limits: EngineLimits) -> _ReopeningSource:
        name = _path_text(path, role)
        signature = _file_signature(name, role)
        source = self.sources.pop(name, None)
        if source is not None and (source.signature != signature  # changed on disk, or maybe
                                   or source.racy(limits.timestamp_granularity_ns)):
            self.replaced.append(source)
            source = None
        if source is None:
            source = _ReopeningSource(_open_raster(name, role), signature)
        self.sources[name] = source
        return source

    def trim(self, keep: int) -> None:
        """Close all but the ``keep`` most recently used datasets, and those replaced."""
        for source in self.replaced:
            source.dataset.close()
        self.replaced.clear()
        while len(self.sources) > keep:
            oldest = next(iter(self.sources))
            self.sources.pop(oldest).dataset.close()

    def close(self) -> None:
        for source in [*self.sources.values(), *self.replaced]:
            source.dataset.close()
        self.sources.clear()
        self.replaced.clear()


_THREAD = threading.local()


@contextlib.contextmanager
def reusing_open_rasters() -> Iterator[None]:
    """Keep rasters open between the estimates made in this block (in this thread), closing them at its end.

    Opening a raster costs about 2 ms, more than a small polygon's whole estimate, and an open dataset keeps
    its decompressed blocks cached, so a table, a batch or a report of many areas is several times faster
    inside this block. A file changed on disk meanwhile is reopened. Nested blocks share the outer one.
    """
    if getattr(_THREAD, "session", None) is not None:
        yield
        return
    _THREAD.session = _RasterSession()
    try:
        yield
    finally:
        session, _THREAD.session = _THREAD.session, None
        session.close()


@contextlib.contextmanager
def _session(limits: EngineLimits) -> Iterator[_RasterSession]:
    """The thread's reusing session, else the thread's small cache of recently used datasets.

    A plain loop of estimates over the same rasters then opens them once: opening costs more than a small
    polygon's whole estimate. Entries are checked against the file on every use (``_RasterSession.get``), so a
    file changed on disk is reopened; datasets are per thread, since GDAL and pyproj objects must not be shared
    between threads. ``close_cached_rasters()`` releases them (for a file to be deleted on Windows, say).
    """
    kept = getattr(_THREAD, "session", None)
    if kept is not None:
        yield kept
        return
    cache = getattr(_THREAD, "cache", None)
    if cache is None:
        cache = _RasterSession()
        # A thread Python did not start (a Qt worker of QgsTask) drops its thread state after each call, and
        # with it anything kept there, freed at a time GDAL does not expect: only Python's threads keep some.
        if not isinstance(threading.current_thread(), threading._DummyThread):
            _THREAD.cache = cache
            with _CACHES_LOCK:
                _CACHES.add(cache)
    try:
        yield cache
    except BaseException:
        cache.close()  # a failed read may leave a dataset in a bad state: start afresh
        raise
    finally:
        cache.trim(limits.kept_per_thread if getattr(_THREAD, "cache", None) is cache else 0)


def close_cached_rasters() -> None:
    """Close the datasets this thread keeps open between estimates."""
    cache = getattr(_THREAD, "cache", None)
    if cache is not None:
        cache.close()


_CACHES: weakref.WeakSet[_RasterSession] = weakref.WeakSet()
_CACHES_LOCK = threading.Lock()


@atexit.register
def close_all_cached_rasters() -> None:
    """Close the datasets every thread keeps (at exit: freed after GDAL shut down, they would crash it)."""
    with _CACHES_LOCK:
        caches = list(_CACHES)
    for cache in caches:
        cache.close()


def _user_crs(value: Any) -> pyproj.CRS:
    return per_thread(("user", value), lambda: pyproj.CRS.from_user_input(value))


def _polygon_crs(value: Any) -> pyproj.CRS:
    if isinstance(value, pyproj.CRS):  # the caller's thread made it: rebuild it here from its definition
        value = value.srs
    try:
        return _user_crs(value) if _hashable(value) else pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError as exc:
        raise TonnageInputError(f"polygon_crs: not a CRS pyproj understands ({value!r})") from exc


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _dataset_crs(src) -> pyproj.CRS | None:
    return crs_from_wkt(src.crs.to_wkt()) if src.crs else None


def _tile_edges(start: int, stop: int, block: int, step: int) -> list[int]:
    """Tile boundaries from start to stop, every ``step`` from the block edge at or before ``start``, so a step
    that is a multiple of ``block`` never reads a block twice."""
    base = (start // block) * block
    first = base + ((start - base) // step + 1) * step  # the first boundary after start
    return [start, *range(first, stop, step), stop] if first < stop else [start, stop]


class _AuxiliaryRaster:
    """A thickness, density or top-depth raster brought onto the grade raster's tiles (same grid: read;
    else warp), as physical values (value x scale + offset)."""

    def __init__(self, rasters: _RasterSession, path: PathInput, role: str, grade_src: _RasterInfo,
                 grade_crs: pyproj.CRS | None, limits: EngineLimits):
        self.role, self.path = role, _path_text(path, role)
        self.reader = rasters.get(path, role, limits)
        self.budget = limits.cache_budget
        self.src = self.reader.info
        if grade_crs is not None and self.src.crs is None:
            raise TonnageInputError(f"{role}: {self.path} has no CRS, so it cannot be matched to the grade "
                                    "raster")
        if grade_crs is None and self.src.crs is not None:
            raise TonnageInputError(f"{role}: {self.path} has a CRS but the grade raster {grade_src.name} has "
                                    "none, so they cannot be matched: give the grade raster its CRS")
        _check_values(np.dtype(self.src.dtypes[0]), role, self.path)
        self.same_grid = (self.src.transform == grade_src.transform and self.src.crs == grade_src.crs)
        self.nodata = self.src.nodata
        if self.nodata is None and np.issubdtype(np.dtype(self.src.dtypes[0]), np.floating):
            self.nodata = float("nan")
        self.scale = float(self.src.scales[0]) if self.src.scales[0] is not None else 1.0
        self.offset = float(self.src.offsets[0]) if self.src.offsets[0] is not None else 0.0
        flags = self.src.mask_flag_enums[0]
        self.read_masks = MaskFlags.per_dataset in flags or MaskFlags.alpha in flags
        self.resampling = Resampling.bilinear
        if not self.same_grid:
            finer = self._resolution_in(grade_src) < 0.5 * min(abs(grade_src.res[0]), abs(grade_src.res[1]))
            self.resampling = Resampling.average if finer else Resampling.bilinear
        self.grade_crs = grade_src.crs

    def _resolution_in(self, grade_src: _RasterInfo) -> float:
        if self.src.crs == grade_src.crs or grade_src.crs is None:
            return min(abs(self.src.res[0]), abs(self.src.res[1]))
        transform, _, _ = calculate_default_transform(self.src.crs, grade_src.crs, self.src.width,
                                                      self.src.height, *self.src.bounds)
        return min(abs(transform.a), abs(transform.e))

    def read(self, window: Window, tile_transform) -> np.ndarray:
        """Physical values on the tile grid as float64, NaN where missing, nodata, masked or negative."""
        try:
            if self.same_grid:
                values = self._read_same_grid(window)
            else:
                values = np.full((int(window.height), int(window.width)), np.nan, dtype=np.float64)
                reproject(rasterio.band(self.reader.dataset, 1), values, src_nodata=self.nodata,
                          dst_transform=tile_transform, dst_crs=self.grade_crs, dst_nodata=np.nan,
                          resampling=self.resampling)
        except (RasterioError, OSError) as exc:
            raise TonnageInputError(f"{self.role}: cannot read {self.path} ({exc})") from exc
        self.reader.count(values.nbytes, self.budget)
        if self.scale != 1.0 or self.offset != 0.0:
            values = values * self.scale + self.offset
        values[~(values >= 0)] = np.nan
        return values

    def _read_same_grid(self, window: Window) -> np.ndarray:
        """The window's values; cells beyond this raster's extent (a smaller raster) are missing."""
        height, width = int(window.height), int(window.width)
        r0, c0 = int(window.row_off), int(window.col_off)
        rr0, rr1 = max(r0, 0), min(r0 + height, self.src.height)
        cc0, cc1 = max(c0, 0), min(c0 + width, self.src.width)
        if rr0 >= rr1 or cc0 >= cc1:
            return np.full((height, width), np.nan)
        inner = Window(cc0, rr0, cc1 - cc0, rr1 - rr0)
        source = self.reader.dataset
        raw = source.read(1, window=inner)
        part = raw.astype(np.float64)
        if self.nodata is not None and not math.isnan(self.nodata):
            part[raw == self.nodata] = np.nan
        if self.read_masks:
            part[source.read_masks(1, window=inner) == 0] = np.nan
        if inner.width == width and inner.height == height:
            return part
        values = np.full((height, width), np.nan)
        values[rr0 - r0:rr1 - r0, cc0 - c0:cc1 - c0] = part
        return values


@dataclass(frozen=True)
class _TileData:
    """What the reader thread hands over for one tile: raw grades, the band mask, the other rasters' values
    (None: that quantity is a constant)."""

    grade: np.ndarray
    mask: np.ndarray | None
    thickness: np.ndarray | None
    density: np.ndarray | None
    top: np.ndarray | None


@dataclass(frozen=True)
class _Cells:
    """The covered cells of one tile with valid data (1-D), or scalars for constant quantities."""

    area: np.ndarray  # covered ground area, in units of ``cell_area`` m2
    grade: np.ndarray  # physical grade x grade_factor
    thickness: np.ndarray | float  # physical thickness, before thickness_factor and the window
    density: np.ndarray | float
    top: np.ndarray | float


class _Totals:
    """Sums over the cells whose grade reaches each of the sorted cut-offs."""

    def __init__(self, cutoffs: int):
        self.area = np.zeros(cutoffs)
        self.volume = np.zeros(cutoffs)
        self.tonnes = np.zeros(cutoffs)
        self.metal = np.zeros(cutoffs)  # sum of tonnes x grade (grade unit)
        self.polygon_area = 0.0
        self.inside_area = 0.0
        self.covered_area = 0.0
        self.zero_area = 0.0  # covered area with a thickness or density of 0
        self.warnings: list[str] = []

    def coverage(self) -> float:
        return min(self.covered_area / self.polygon_area, 1.0) if self.polygon_area > 0 else 0.0

    def result(self, rank: int, cutoff: float, fraction: float, treo_to_tree: float) -> TonnageResult:
        def above(values: np.ndarray) -> float:
            return float(values[rank])

        tonnes, metal = above(self.tonnes), above(self.metal)
        treo = metal * fraction
        return TonnageResult(
            polygon_area_m2=float(self.polygon_area), covered_area_m2=float(self.covered_area),
            ore_area_m2=above(self.area), ore_volume_m3=above(self.volume), ore_tonnes=tonnes,
            mean_grade=metal / tonnes if tonnes > 0 else float("nan"), treo_tonnes=treo,
            tree_tonnes=treo * treo_to_tree, data_coverage=float(self.coverage()), cutoff=cutoff,
            warnings=tuple(self.warnings))


class _Accumulator:
    """One pass over the polygon's window of the grade raster (and of the thickness / density / top-depth
    rasters): sums per cut-off, or, when ``collect`` is set, the covered cells themselves (``area_cells``)."""

    def __init__(self, rasters: _RasterSession, source: _ReopeningSource, geometry, params: TonnageParams,
                 polygon_crs: Any, sorted_cuts: np.ndarray,
                 warnings: list[str], limits: EngineLimits = DEFAULT_LIMITS, collect: bool = False):
        self.rasters, self.reader, self.limits = rasters, source, limits
        src = source.info
        self.params, self.path = params, _name(src.name)
        self.band = params.grade_band
        self.totals = _Totals(sorted_cuts.size)
        self.totals.warnings = warnings
        self.collected: list[_Cells] | None = [] if collect else None
        self.crs = source.crs
        if polygon_crs is not None:
            if self.crs is None:
                raise TonnageInputError(f"grade raster: {self.path} has no CRS, so the polygon cannot be "
                                        "transformed into it")
            try:
                given = _polygon_crs(polygon_crs)
                check_geographic_range(geometry, given)
                geometry = transform_polygon(geometry, given, self.crs)
            except GeometryError as exc:
                raise _PolygonError(str(exc)) from exc
        else:
            try:
                check_geographic_range(geometry, self.crs)
            except GeometryError as exc:
                raise _PolygonError(str(exc)) from exc
        if self.crs is None:
            warnings.append(f"The grade raster {self.path} has no CRS: its units are taken as metres")
        self.geometry = geometry
        dtype = np.dtype(src.dtypes[self.band - 1])
        _check_values(dtype, "grade raster", self.path)
        self.floating = np.issubdtype(dtype, np.floating)
        scale, offset = src.scales[self.band - 1], src.offsets[self.band - 1]
        self.grade_scale = 1.0 if scale is None else float(scale)
        self.grade_offset = 0.0 if offset is None else float(offset)
        self.grade_factor = 1.0 if collect else float(params.grade_factor)
        self.raw_grades = self.grade_scale == 1.0 and self.grade_offset == 0.0 and self.grade_factor == 1.0
        # Compare in the raster's own type so a stored 0.7 (float32) reaches a cut-off of 0.7.
        self.cuts = sorted_cuts.astype(dtype) if self.floating and self.raw_grades else sorted_cuts
        self.nodata = _band_nodata(src.nodatavals[self.band - 1], dtype)
        flags = src.mask_flag_enums[self.band - 1]
        self.read_masks = MaskFlags.per_dataset in flags or MaskFlags.alpha in flags
        geographic = self.crs is not None and self.crs.is_geographic
        self.ellipsoidal = EllipsoidalCellArea(src.transform, self.crs) if geographic else None
        self.cell_area = 1.0 if geographic else projected_cell_area(src.transform, self.crs)
        self.ground: ProjectedCellArea | None = None
        self.tolerance = _COVERAGE_TOLERANCE
        try:
            self._prepare()
        except ValueError as exc:  # from the cell and polygon areas: a polygon beyond the CRS's domain
            if isinstance(exc, TonnageInputError):
                raise
            raise _PolygonError(f"polygon: {exc}") from exc

    @property
    def src(self) -> _RasterInfo:
        """The grade raster's grid and bands (the dataset itself is for the reader only, which may reopen it)."""
        return self.reader.info

    def _prepare(self) -> None:
        params = self.params
        self.totals.polygon_area = polygon_area_m2(self.geometry, self.crs)
        inverse = ~self.src.transform
        if self.ellipsoidal is not None and self.ellipsoidal.north_up:
            ellipsoidal, height = self.ellipsoidal, self.src.height

            def to_cells(x, y):  # fractions of true area, not of square degrees
                return ellipsoidal.to_equal_area_cells(x, y, height)
        else:
            def to_cells(x, y):
                return affine_ops.apply(inverse, x, y)
        self.coverage = CellCoverage.from_geometry(self.geometry, to_cells)

        def auxiliary(path: PathInput | None, role: str) -> _AuxiliaryRaster | None:
            return None if path is None else _AuxiliaryRaster(self.rasters, path, role, self.src, self.crs,
                                                              self.limits)

        self.thickness = auxiliary(params.thickness_raster, "thickness raster")
        self.density = auxiliary(params.density_raster, "density raster")
        self.top = auxiliary(params.top_depth_raster, "top depth raster")
        self.windowed = params.min_depth is not None or params.max_depth is not None
        # Thickness (m) and tonnes per m2 of every cell when they are the same for all cells, else None.
        self.volume_per_area: float | None = None
        self.tonnes_per_area: float | None = None
        if self.thickness is None and (self.top is None or not self.windowed):
            self.volume_per_area = float(self._counted(float(params.thickness), float(params.top_depth)))
            if self.density is None:
                self.tonnes_per_area = self.volume_per_area * float(params.density)
        window = self._window(self.coverage)
        self.tiles = [] if window is None else list(self._tiles(*window))
        if window is not None and self.crs is not None and not self.crs.is_geographic:
            self.ground = ProjectedCellArea(self.src.transform, self.crs, *window)
            self.cell_area = self.ground.unit
            self.tolerance += 0.5 * self.ground.max_step

    def _counted(self, thickness, top):
        """Thickness that counts: the factored thickness cut to the depth window."""
        thickness = thickness * float(self.params.thickness_factor)
        if not self.windowed:
            return thickness
        return counted_thickness(top, thickness, self.params.min_depth, self.params.max_depth)

    def finish(self) -> _Accumulator:
        self._scale()
        self._warn()
        return self

    def results(self, cuts: np.ndarray) -> list[TonnageResult]:
        """One result per cut-off in the caller's order (the sums are over the sorted cut-offs)."""
        fraction = grade_fraction(self.params.grade_unit)
        results: list[TonnageResult] = [None] * cuts.size  # type: ignore[list-item]
        for rank, index in enumerate(np.argsort(cuts, kind="stable")):
            results[index] = self.totals.result(rank, float(cuts[index]), fraction, self.params.treo_to_tree)
        return results

    def _window(self, coverage: CellCoverage) -> tuple[int, int, int, int] | None:
        """(row0, row1, col0, col1) of the raster's cells the polygon may cover, None for none."""
        if coverage.is_empty:
            return None
        cmin, rmin, cmax, rmax = coverage.bounds()
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

    def _read_tile(self, window: Window) -> _TileData:
        source = self.reader.dataset
        grade = source.read(self.band, window=window)
        mask = source.read_masks(self.band, window=window) if self.read_masks else None
        self.reader.count(grade.nbytes, self.limits.cache_budget)
        tile_transform = window_transform(window, self.src.transform)

        def other(raster: _AuxiliaryRaster | None) -> np.ndarray | None:
            return None if raster is None else raster.read(window, tile_transform)

        return _TileData(grade, mask, other(self.thickness), other(self.density), other(self.top))

    def _cells(self, window: Window, data: _TileData) -> _Cells | None:
        """The tile's covered cells with valid data; adds their areas to the inside / covered totals."""
        coverage = self.coverage
        r0, c0 = int(window.row_off), int(window.col_off)
        r1, c1 = r0 + int(window.height), c0 + int(window.width)
        frac = coverage.fractions(r0, r1, c0, c1, clip=False)
        selected = frac > COVERAGE_EPSILON
        count = int(np.count_nonzero(selected))
        if count == 0:
            return None
        np.minimum(frac, 1.0, out=frac)
        if self.ground is not None:
            self.ground.scale_window(frac, r0, c0)
        if count == selected.size:  # a tile wholly inside the polygon: flat views, no copies

            def pick(values: np.ndarray) -> np.ndarray:
                return values.reshape(-1)
        else:

            def pick(values: np.ndarray) -> np.ndarray:
                return values[selected]

        area = pick(frac)
        if self.ellipsoidal is not None:
            area = area * pick(self.ellipsoidal.cell_areas(r0, r1, c0, c1))
        grade = pick(data.grade)
        valid = self._valid_grades(grade, None if data.mask is None else pick(data.mask))
        others = [None if values is None else pick(values) for values in (data.thickness, data.density, data.top)]
        for values in others:
            if values is not None:
                ok = ~np.isnan(values)
                valid = ok if valid is None else valid & ok
        self.totals.inside_area += float(area.sum())
        if valid is not None and not valid.all():
            area, grade = area[valid], grade[valid]
            others = [None if values is None else values[valid] for values in others]
        self.totals.covered_area += float(area.sum())
        if area.size == 0:
            return None
        if not self.raw_grades:
            grade = grade.astype(np.float64)
            if self.grade_scale != 1.0 or self.grade_offset != 0.0:
                grade = grade * self.grade_scale + self.grade_offset
            if self.grade_factor != 1.0:
                grade = grade * self.grade_factor
        params = self.params
        thickness, density, top = others
        for values in (thickness, density):
            if values is not None:
                zero = values == 0.0
                if zero.any():
                    self.totals.zero_area += float(area[zero].sum())
        return _Cells(area, grade,
                      float(params.thickness) if thickness is None else thickness,
                      float(params.density) if density is None else density,
                      float(params.top_depth) if top is None else top)

    def add(self, window: Window, data: _TileData) -> None:
        cells = self._cells(window, data)
        if cells is None:
            return
        if self.collected is not None:
            self.collected.append(cells)
            return
        area = cells.area
        totals = self.totals
        targets, values = [totals.area], [area]
        tonnes = area
        if self.volume_per_area is None:
            volume = area * self._counted(cells.thickness, cells.top)
            targets.append(totals.volume)
            values.append(volume)
            tonnes = volume * cells.density
        elif self.tonnes_per_area is None:
            tonnes = area * cells.density
        if tonnes is not area:
            targets.append(totals.tonnes)
            values.append(tonnes)
        sums, metal = _sums_above(self.cuts, cells.grade, values, tonnes)
        for total, value in zip(targets, sums):
            total += value
        totals.metal += metal

    def _valid_grades(self, grade: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
        valid = None
        if self.floating:
            valid = np.isfinite(grade)
        if self.nodata is not None:
            ok = grade != self.nodata
            valid = ok if valid is None else valid & ok
        if mask is not None:
            ok = mask != 0
            valid = ok if valid is None else valid & ok
        return valid

    def _scale(self) -> None:
        """Turn per-bin sums of fractions (x rasters) into m2, m3 and tonnes."""
        totals = self.totals
        cell = self.cell_area
        totals.area *= cell
        totals.inside_area *= cell
        totals.covered_area *= cell
        totals.zero_area *= cell
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

    def _warn(self) -> None:
        totals, params = self.totals, self.params
        for name, value, raster in (("thickness", params.thickness, self.thickness),
                                    ("density", params.density, self.density)):
            if raster is None and value is not None and float(value) == 0.0:
                totals.warnings.append(f"The {name} is 0, so every tonnage is 0")
        if totals.zero_area > 0 and totals.covered_area > 0:
            totals.warnings.append(f"{_percent(min(totals.zero_area / totals.covered_area, 1.0))} % of the "
                                   "covered area has a thickness or density of 0 in its raster")
        polygon = totals.polygon_area
        if polygon <= 0:
            return
        limit = polygon * (1.0 - self.tolerance)
        if totals.inside_area <= 0:
            totals.warnings.append(f"The polygon does not overlap the grade raster {self.path}")
            return
        if totals.inside_area < limit:
            outside = 1.0 - totals.inside_area / polygon
            totals.warnings.append(f"{_percent(outside)} % of the polygon lies outside the grade raster "
                                   f"{os.path.basename(self.path)}")
        if totals.covered_area < limit:
            sources = ["grade"]
            for raster, name in ((self.thickness, "thickness"), (self.density, "density"),
                                 (self.top, "top depth")):
                if raster is not None:
                    sources.append(name)
            what = " and ".join(sources) if len(sources) < 3 else ", ".join(sources[:-1]) + " and " + sources[-1]
            totals.warnings.append(f"Only {_percent(totals.covered_area / polygon)} % of the polygon has "
                                   f"{what} data")


#: Up to this many cut-offs a comparison and a dot product per cut-off beat binning with searchsorted.
_COMPARE_CUTOFFS = 8


def _sums_above(cuts: np.ndarray, grade: np.ndarray, values: list[np.ndarray], tonnes: np.ndarray
                ) -> tuple[list[np.ndarray], np.ndarray]:
    """Sums of each array in ``values``, and of tonnes x grade, over the cells whose grade reaches each sorted
    cut-off.

    Products and masks are summed by einsum without building them (a 2-million-cell tile would otherwise
    allocate, and page-fault in, tens of MB per cut-off) and without BLAS, whose threads would fight the
    reader thread."""
    if cuts.size > _COMPARE_CUTOFFS:
        bins = np.searchsorted(cuts, grade, side="right")  # how many cut-offs each grade reaches
        return ([_reverse_cumsum(np.bincount(bins, weights=value, minlength=cuts.size + 1)) for value in values],
                _reverse_cumsum(np.bincount(bins, weights=tonnes * grade, minlength=cuts.size + 1)))
    sums = [np.empty(cuts.size) for _ in values]
    metal = np.empty(cuts.size)
    for j, cut in enumerate(cuts):
        ore = grade >= cut
        if ore.all():  # the usual case at low cut-offs
            for total, value in zip(sums, values):
                total[j] = value.sum()
            metal[j] = np.einsum("i,i->", tonnes, grade, dtype=np.float64)
            continue
        weight = ore.astype(np.float64)
        for total, value in zip(sums, values):
            total[j] = np.einsum("i,i->", value, weight)
        metal[j] = np.einsum("i,i,i->", tonnes, grade, weight, dtype=np.float64)
    return sums, metal


def _reverse_cumsum(binned: np.ndarray) -> np.ndarray:
    """Per cut-off totals from per-bin sums: bin k holds the cells that reach exactly k cut-offs."""
    return np.cumsum(binned[::-1])[::-1][1:]


def _band_nodata(nodata: float | None, dtype: np.dtype):
    """The nodata value in the band's own type; None when there is none or the band cannot hold it."""
    if nodata is None or math.isnan(nodata):
        return None  # NaN is caught by the finiteness test
    if np.issubdtype(dtype, np.floating):
        return dtype.type(nodata)
    info = np.iinfo(dtype)
    if float(nodata).is_integer() and info.min <= nodata <= info.max:
        return dtype.type(int(nodata))
    return None


def _percent(fraction: float) -> str:
    """A percentage with enough decimals that a value just short of 100 does not print as 100.0."""
    value = fraction * 100.0
    for digits in (1, 2, 3, 4):
        text = f"{value:.{digits}f}"
        if float(text) not in (0.0, 100.0):
            return text
    return f"{value:.4f}"
