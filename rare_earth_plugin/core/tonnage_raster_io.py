"""Raster I/O for the engine: paths checked and opened, datasets kept open per thread between estimates (and
reopened when their file changes or they have cached enough), CRSs parsed per thread, and the auxiliary
(thickness, density, top-depth) rasters brought onto the grade raster's tiles."""

from __future__ import annotations

import atexit
import contextlib
import functools
import math
import os
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pyproj
import rasterio
from rasterio.enums import ColorInterp, MaskFlags, Resampling
from rasterio.errors import RasterioError

try:  # GDAL's errors as rasterio raises them outside reads (a failed transform): not RasterioErrors
    from rasterio._err import CPLE_BaseError
except ImportError:  # pragma: no cover - a rasterio that moved them
    CPLE_BaseError = RasterioError  # type: ignore[misc, assignment, unused-ignore]
from rasterio.transform import Affine
from rasterio.warp import calculate_default_transform, reproject
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from . import affine_ops
from .band_unit import holds_data, physical_factor
from .crs_units import angular_unit_factor
from .footprint import MAX_ALIGNED_REFINEMENT, MAX_REFINEMENT, DataFootprint, ToTile
from .geometry import _pole_around, _transformer, crs_from_wkt
from .limits import EngineLimits
from .proj_threads import per_thread
from .raster_files import (
    files_signature,
    folders_state,
    present_files,
    present_unchanged,
    raster_files,
    watched_names,
)
from .tonnage_types import PathInput, TonnageInputError


def _real_dtype(name: str, role: str, path: str) -> np.dtype:
    """The band's numpy type, refused unless it holds real numbers: GDAL's complex integers (CInt16, CInt32)
    have no numpy type at all, so the name is checked before numpy parses it. 64-bit integers are refused too:
    rasterio 1.3 reads GDAL's Int64 bands as uint64 without their nodata (-9999 becomes 1.8e19)."""
    try:
        dtype = np.dtype(name)
    except TypeError:
        dtype = None
    if dtype is None or not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)):
        raise TonnageInputError(f"{role}: {path} holds {name} values, not real numbers")
    if dtype.kind in "iu" and dtype.itemsize == 8:
        raise TonnageInputError(
            f"{role}: {path} holds 64-bit integers, which cannot be read reliably; convert it to 64-bit floats "
            "first, e.g. gdal_translate -ot Float64 in.tif out.tif"
        )
    return dtype


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


def band_scale_offset(info: _RasterInfo, band: int, role: str) -> tuple[float, float]:
    """The band's scale and offset (1 and 0 when unset), which turn its stored values into physical ones; a
    non-finite one (NaN or infinite in the file's metadata) would turn every value into NaN or infinity."""
    scale, offset = info.scales[band - 1], info.offsets[band - 1]
    scale = 1.0 if scale is None else float(scale)
    offset = 0.0 if offset is None else float(offset)
    if not (math.isfinite(scale) and math.isfinite(offset)):
        raise TonnageInputError(
            f"{role}: {info.name} band {band} has a scale of {scale:g} and an offset of {offset:g} in its metadata; "
            "both must be finite numbers (fix them, e.g. gdal_edit -scale / -offset)"
        )
    return scale, offset


def raster_problem(path: PathInput, role: str) -> str:
    """Why the file at ``path`` cannot be read as a raster ('' when it can), in the words an estimate would use:
    told before a run, where QGIS would say only that the layer was not found."""
    try:
        _open_raster(_path_text(path, role), role).close()
    except TonnageInputError as error:
        return str(error)
    return ""


def _open_raster(name: str, role: str):
    try:
        src = rasterio.open(name)
    except (RasterioError, OSError) as exc:
        raise TonnageInputError(f"{role}: cannot read {name} as a raster ({exc})") from exc
    if src.count == 0:
        src.close()
        raise TonnageInputError(f"{role}: {name} has no raster bands")
    if src.gcps[0] and src.transform == Affine.identity():
        src.close()
        raise TonnageInputError(
            f"{role}: {name} is placed by ground control points only, not on a grid; warp it onto one first "
            "(Raster > Projections > Warp, or gdalwarp)"
        )
    if src.transform == Affine.identity():  # what GDAL gives for a file without a geotransform
        src.close()
        raise TonnageInputError(
            f"{role}: {name} is not georeferenced (it has no geotransform, so its cells have no position or "
            "size); georeference it first (Layer > Georeferencer, or gdal_translate -a_ullr)"
        )
    determinant = src.transform.determinant
    if not (math.isfinite(determinant) and determinant != 0 and all(map(math.isfinite, src.transform[:6]))):
        src.close()
        raise TonnageInputError(
            f"{role}: {name} has a geotransform of zero or non-finite cell size ({tuple(src.transform[:6])}), "
            "so its cells have no area; fix its georeferencing"
        )
    crs = _dataset_crs(src)
    if crs is not None and crs.is_engineering:
        src.close()
        raise TonnageInputError(
            f"{role}: {name} has a local engineering CRS ({crs.name}) whose units are not metres; "
            "the engine takes a raster without a CRS on the earth to be in metres"
        )
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
    colorinterp: tuple
    units: tuple

    @classmethod
    def of(cls, dataset) -> _RasterInfo:
        return cls(**{item.name: getattr(dataset, item.name) for item in fields(cls)})

    def longitude_span(self, crs: pyproj.CRS) -> tuple[float, float]:
        """(west, turn) of a geographic raster (``crs``, its pyproj view): its columns lie in [west, west + turn),
        0..360, say, or past 180, so longitudes a whole turn away are the same ground."""
        corners_x, _ = affine_ops.apply(
            self.transform, np.array([0, self.width, 0, self.width]), np.array([0, 0, self.height, self.height])
        )
        return float(np.min(corners_x)), 2.0 * math.pi / angular_unit_factor(crs)


@dataclass(frozen=True)
class _BandMask:
    """Where a band's values are missing besides its nodata and NaN: GDAL's mask when it is more than the nodata
    (internal, per-dataset, per-band or alpha), and an alpha band that mask leaves out: GDAL's mask ignores the
    alpha band of a band that declares a nodata, and a floating-point alpha band altogether."""

    band: int
    gdal_mask: bool
    alpha: int | None  # 1-based

    @classmethod
    def of(cls, info: _RasterInfo, band: int) -> _BandMask:
        flags = info.mask_flag_enums[band - 1]
        alpha = next(
            (number for number, kind in enumerate(info.colorinterp, 1) if kind == ColorInterp.alpha and number != band),
            None,
        )
        gdal_alpha = MaskFlags.alpha in flags
        # A band's own mask (a .msk made per band) has no flag at all; the nodata is read by value.
        gdal_mask = MaskFlags.all_valid not in flags and list(flags) != [MaskFlags.nodata]
        return cls(band, gdal_mask, None if gdal_alpha else alpha)

    def valid(self, dataset, window: Window) -> np.ndarray | None:
        """False where the band's value is masked out; None when nothing is."""
        valid = dataset.read_masks(self.band, window=window) != 0 if self.gdal_mask else None
        if self.alpha is not None:
            opaque = dataset.read(self.alpha, window=window) != 0
            valid = opaque if valid is None else valid & opaque
        return valid


def _remembered_block_bytes() -> int:
    """Decompressed bytes of the blocks a source remembers having read: half of GDAL's default block cache (5 %
    of the memory), so that the blocks remembered are still in it; 32 MB where the memory is not known."""
    try:
        return int(0.025 * os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows), or no such name
        return 32 << 20


_REMEMBERED_BLOCK_BYTES = _remembered_block_bytes()


class _ReopeningSource:
    """A dataset read block by block: reopened after every ``EngineLimits.cache_budget`` bytes (see there)."""

    def __init__(self, dataset, files: list[str], role: str, watched: bool):
        self.dataset = dataset
        self.info = _RasterInfo.of(dataset)
        self.files, self.watched = files, watched
        # The folders before the files: a change between the two shows in the folders.
        self.folders_ns = self.opened_ns = time.time_ns()
        self.folders = folders_state(files)
        self.signature = files_signature(files, role)
        self.present = present_files(files, self.signature)
        self.crs = _dataset_crs(dataset)  # pyproj's view, parsed once per open raster
        self._read_bytes = 0
        #: (band, block row, block column) of the blocks read since the dataset was opened, oldest first.
        self._blocks: dict[tuple[int, int, int], None] = {}

    def racy(self, granularity_ns: int) -> bool:
        """Modified within the timestamp granularity before it was opened: it may have changed unseen."""
        times = [max(entry[2], entry[3]) for _, entry in self.present]
        return bool(times) and self.opened_ns - max(times) < granularity_ns

    def changed(self, role: str, granularity_ns: int) -> bool:
        """Whether a file changed on disk since the dataset was opened. While the files' folders are as they
        were (and were already older than a timestamp tick when seen, so a later change cannot share their
        timestamp), no sidecar appeared or went: only the files present are looked at (2 or 3 stats instead of
        40 lookups, a tenth of a small polygon's estimate)."""
        seen = time.time_ns()
        folders = folders_state(self.files)
        settled = (
            folders == self.folders
            and bool(folders)
            and None not in folders
            and self.folders_ns - max(max(entry[1:]) for entry in folders) >= max(granularity_ns, _TICK_NS)
        )
        if settled:
            return not present_unchanged(self.present, role)
        if files_signature(self.files, role) != self.signature:
            return True
        self.folders, self.folders_ns = folders, seen
        return False

    def count(self, nbytes: int, budget: int) -> None:
        self._read_bytes += nbytes
        if self._read_bytes >= budget:
            reopened = rasterio.open(self.info.name)  # if this fails, the open dataset stays usable
            self.dataset, old = reopened, self.dataset
            old.close()
            self._read_bytes = 0
            self._blocks.clear()

    def _block_keys(self, band: int, window: Window) -> list[tuple[int, int, int]]:
        block_h, block_w = self.info.block_shapes[band - 1]
        row0, col0 = int(window.row_off), int(window.col_off)
        rows = range(row0 // block_h, (row0 + int(window.height) - 1) // block_h + 1)
        cols = range(col0 // block_w, (col0 + int(window.width) - 1) // block_w + 1)
        return [(band, row, col) for row in rows for col in cols]

    def cached(self, band: int, window: Window) -> bool:
        """Whether every block of ``window`` was read lately from this dataset, so that reading it copies from
        GDAL's block cache instead of decompressing (a tenth of the time, for a small window)."""
        return all(key in self._blocks for key in self._block_keys(band, window))

    def note_read(self, band: int, window: Window) -> None:
        """Remember the blocks of a window read, forgetting the oldest beyond ``_REMEMBERED_BLOCK_BYTES``."""
        block_h, block_w = self.info.block_shapes[band - 1]
        block_bytes = block_h * block_w * np.dtype(self.info.dtypes[band - 1]).itemsize
        for key in self._block_keys(band, window):
            self._blocks.pop(key, None)
            self._blocks[key] = None
        while len(self._blocks) * block_bytes > _REMEMBERED_BLOCK_BYTES and len(self._blocks) > 1:
            del self._blocks[next(iter(self._blocks))]


class _RasterSession:
    """The datasets one estimate reads, one batch reads, or, inside ``reusing_open_rasters()``, many estimates
    of a thread read."""

    def __init__(self, recheck: bool = True) -> None:
        self.sources: dict[str, _ReopeningSource] = {}
        self.replaced: list[_ReopeningSource] = []  # a batch's reader may still be reading them
        #: Whether a dataset's files are checked again on every use; a batch reads its rasters as they were
        #: when it opened them (its reader thread reads ahead anyway), so it need not stat them per polygon.
        self.recheck = recheck

    def get(self, path: PathInput, role: str, limits: EngineLimits) -> _ReopeningSource:
        name = _path_text(path, role)
        source = self.sources.pop(name, None)
        if source is not None and self.recheck:
            try:
                stale = source.changed(role, limits.timestamp_granularity_ns)
            except TonnageInputError:
                self.replaced.append(source)
                raise
            if stale or source.racy(limits.timestamp_granularity_ns):  # changed, or maybe
                self.replaced.append(source)
                source = None
        if source is None:
            files, watched = raster_files(name, role)
            files_signature(files, role)  # the sidecars are checked before GDAL reads them too
            dataset = _open_raster(name, role)
            # Files only the driver knows of (a header): already read, so safe to watch. Sidecars are watched as
            # such already: one removed later is a change, not a missing file.
            known = set(watched_names(files))
            files += [item for item in dataset.files if item not in known and os.path.isfile(item)]
            source = _ReopeningSource(dataset, files, role, watched)
        self.sources[name] = source
        return source

    def trim(self, keep: int) -> None:
        """Close all but the ``keep`` most recently used datasets, those replaced, and those with files that
        cannot be watched (remote, in memory), which a later estimate could not tell had changed."""
        for source in self.replaced:
            source.dataset.close()
        self.replaced.clear()
        for name in [name for name, source in self.sources.items() if not source.watched]:
            self.sources.pop(name).dataset.close()
        while len(self.sources) > keep:
            oldest = next(iter(self.sources))
            self.sources.pop(oldest).dataset.close()

    def close(self) -> None:
        for source in [*self.sources.values(), *self.replaced]:
            source.dataset.close()
        self.sources.clear()
        self.replaced.clear()


_THREAD = threading.local()
#: Folder timestamps advance in clock ticks (a few ms on Linux): a folder seen within one of its last change may
#: change again with the same timestamp, whatever ``EngineLimits.timestamp_granularity_ns`` says of files.
_TICK_NS = 50_000_000


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
        crs = _user_crs(value) if _hashable(value) else pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError as exc:
        raise TonnageInputError(f"polygon_crs: not a CRS pyproj understands ({value!r})") from exc
    if crs.is_geocentric:
        raise TonnageInputError(
            f"polygon_crs: {crs.name} is geocentric (x, y, z from the earth's centre), not a map's CRS; give the "
            "polygon in a geographic or projected CRS"
        )
    if crs.is_vertical and not (crs.is_geographic or crs.is_projected):
        raise TonnageInputError(
            f"polygon_crs: {crs.name} is a vertical CRS (heights only), not a map's CRS; give the polygon in a "
            "geographic or projected CRS"
        )
    return crs


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _dataset_crs(src) -> pyproj.CRS | None:
    """pyproj's view of the raster's CRS; None for a local frame in metres: no CRS, or a metric engineering (mine
    grid) CRS, which has no datum to place it on the earth either (other units are refused on opening)."""
    if not src.crs:
        return None
    crs = crs_from_wkt(src.crs.to_wkt())
    if crs.is_engineering and all(axis.unit_conversion_factor == 1.0 for axis in crs.axis_info):
        return None
    return crs


#: The frame two local rasters (see ``_dataset_crs``) are taken to share, for GDAL's warper, which needs a CRS.
_LOCAL_FRAME = 'LOCAL_CS["local grid",UNIT["metre",1],AXIS["Easting",EAST],AXIS["Northing",NORTH]]'


#: Points along each edge of the grid over a tile whose positions in another raster give the window it draws on.
_EDGE_POINTS = 21
#: Source cells added around that window: the widest kernel the warp uses (bilinear over a source finer in places
#: than where its cell size is measured reaches two cells out) and a cell of slack for the curvature between the
#: points.
_KERNEL_MARGIN = 3


#: How close (in parts) a line of the raster's cells is taken to lie on a line of the parts.
_ON_LINE = 1e-6


class _AuxiliaryRaster:
    """A thickness, density or top-depth raster brought onto the grade raster's tiles (same grid: read;
    else warp), as physical values (value x scale + offset)."""

    def __init__(
        self,
        rasters: _RasterSession,
        path: PathInput,
        role: str,
        grade_src: _RasterInfo,
        grade_crs: pyproj.CRS | None,
        limits: EngineLimits,
    ):
        self.role, self.path = role, _path_text(path, role)
        self.reader = rasters.get(path, role, limits)
        self.budget = limits.cache_budget
        self.src = self.reader.info
        local = self.reader.crs is None
        if grade_crs is not None and local:
            raise TonnageInputError(
                f"{role}: {self.path} has no CRS (or only a local engineering one), so it cannot be matched to "
                "the grade raster"
            )
        if grade_crs is None and not local:
            raise TonnageInputError(
                f"{role}: {self.path} has a CRS but the grade raster {grade_src.name} has "
                "none, so they cannot be matched: give the grade raster its CRS"
            )
        if local and self.src.crs and grade_src.crs and self.src.crs.to_wkt() != grade_src.crs.to_wkt():
            raise TonnageInputError(
                f"{role}: {self.path} and the grade raster {grade_src.name} are on different local (engineering) "
                "CRSs, which cannot be matched"
            )
        dtype = _real_dtype(self.src.dtypes[0], role, self.path)
        self.same_grid = self.src.transform == grade_src.transform and (local or self.src.crs == grade_src.crs)
        self.nodata = self.src.nodata
        if self.nodata is None and np.issubdtype(dtype, np.floating):
            self.nodata = float("nan")
        unit, self.warning = physical_factor(self.src.units[0], role, self.path)
        scale, offset = band_scale_offset(self.src, 1, role)
        self.scale, self.offset = unit * scale, unit * offset
        self.mask = _BandMask.of(self.src, 1)
        self.resampling = Resampling.bilinear
        self.pad = 0
        #: How finely a grade cell is cut to find where its data lie (see ``DataFootprint``).
        self.refinement = 1
        self.aligned = True
        self.max_source_cells = limits.tile_cells
        if not self.same_grid:
            # Text, so that the reader thread makes its own transformer (see proj_threads); local: one frame.
            self.wkt = "" if local else self.src.crs.to_wkt()
            self.grade_wkt = "" if local else grade_src.crs.to_wkt()
            self.warp_crs = (_LOCAL_FRAME, _LOCAL_FRAME) if local else (self.src.crs, grade_src.crs)
            self.turn, self.west, self.wraps = 0.0, 0.0, False
            if self.reader.crs is not None and self.reader.crs.is_geographic:
                self.west, self.turn = self.src.longitude_span(self.reader.crs)
                self.wraps = _whole_turn(self.src.transform, self.src.width, self.turn)
            # this raster's cells in the grade grid's cells (one CRS), and whether they lie along its rows and
            # columns, rotated with it or not (see ``DataFootprint``)
            in_grade_cells = affine_ops.compose(~grade_src.transform, self.src.transform)
            self.aligned = self.wkt == self.grade_wkt and _north_up(in_grade_cells, _ON_LINE)
            own, grade_cell = self._resolution_in(grade_src), min(abs(grade_src.res[0]), abs(grade_src.res[1]))
            #: Missing cells put round a window read (see ``_warp_into``): beyond the bilinear kernel's reach,
            #: or, averaged, more than a grade cell's width.
            self.pad = 2
            self.refinement = self._refinement(in_grade_cells)
            # finer, however little: each grade cell averages the cells with data within it, weighed by the area
            # they share (GDAL's bilinear widens its kernel when it shrinks a raster: 5 m cells under 10 m were
            # smeared into the neighbouring grade cells)
            if own < (1.0 - _ON_LINE) * grade_cell:
                self.resampling = Resampling.average
                self.pad = math.ceil(1.5 * grade_cell / own) + 2  # a rotated grade cell reaches further

    def _refinement(self, in_grade_cells: Affine) -> int:
        """How finely a grade cell is cut to find where its data lie (see ``DataFootprint``): where this raster's
        cells lie along the grade grid's rows and columns (on a rotated grade grid, rotated with it), the fewest
        parts whose lines hold its cells' lines (``in_grade_cells``: its grid in the grade grid's cells) too (up to
        ``MAX_ALIGNED_REFINEMENT``), so that each part holds data wholly or not at all; else
        ``MAX_REFINEMENT`` (about its own cells cut only 4 x 4 a 3 m raster under 10 m cells: 2e-4 of a holed
        polygon's tonnes; 16 x 16, 1e-5)."""
        if self.aligned:
            cells = in_grade_cells
            lines = [cells.a, cells.e, cells.c, cells.f]  # (a placement a whole turn of longitude away: as near)
            for parts in range(1, MAX_ALIGNED_REFINEMENT + 1):
                if all(abs(parts * line - round(parts * line)) <= _ON_LINE for line in lines):
                    return parts
        return MAX_REFINEMENT

    def _resolution_in(self, grade_src: _RasterInfo) -> float:
        """This raster's cell size in the grade raster's CRS units, where the grade raster lies; over the whole of
        this raster where that cannot be measured (a whole-world raster's mean over its extent in a local
        projection is many times its cells there: 217 km for 0.18 degree cells)."""
        if self.wkt == self.grade_wkt:
            return min(abs(self.src.res[0]), abs(self.src.res[1]))
        try:  # also the test that this raster's cells transform at all (a wrong CRS)
            transform, _, _ = calculate_default_transform(
                self.src.crs, grade_src.crs, self.src.width, self.src.height, *self.src.bounds
            )
        except (RasterioError, CPLE_BaseError) as exc:
            raise TonnageInputError(
                f"{self.role}: {self.path} cannot be brought onto the grade raster {grade_src.name}: its cells do "
                f"not transform into the grade raster's CRS ({exc}); is its CRS the right one?"
            ) from exc
        local = self._resolution_at(grade_src)
        return min(abs(transform.a), abs(transform.e)) if local is None else local

    def _resolution_at(self, grade_src: _RasterInfo) -> float | None:
        """The sides of this raster's cell under the grade raster's centre, in the grade raster's CRS; None when
        the centre does not transform."""
        x, y = affine_ops.apply(grade_src.transform, 0.5 * grade_src.width, 0.5 * grade_src.height)
        x, y = _transformer(self.grade_wkt, self.wkt).transform(x, y, errcheck=False)
        if not (math.isfinite(x) and math.isfinite(y)):
            return None
        col, row = affine_ops.apply(~self.src.transform, x, y)
        cols, rows = np.array([col, col + 1.0, col]), np.array([row, row, row + 1.0])
        corners = affine_ops.apply(self.src.transform, cols, rows)
        gx, gy = (np.asarray(v) for v in _transformer(self.wkt, self.grade_wkt).transform(*corners, errcheck=False))
        sides = np.hypot(gx[1:] - gx[0], gy[1:] - gy[0])
        return float(sides.min()) if np.isfinite(sides).all() and sides.min() > 0 else None

    @property
    def averaged(self) -> bool:
        """Whether this raster is finer than the grade grid, whose cells then average it."""
        return self.resampling == Resampling.average

    def read(self, window: Window, tile_transform) -> tuple[np.ndarray, DataFootprint | None]:
        """Physical values on the tile grid as float64, NaN where missing, nodata, masked or negative; and for a
        finer raster (``averaged``) where within the tile's cells it holds data (else None)."""
        shape = (int(window.height), int(window.width))
        footprint = None if self.same_grid else DataFootprint(tile_transform, shape, self.refinement, not self.aligned)
        try:
            if self.same_grid:
                values = self._read_same_grid(window)
            else:
                values = np.full(shape, np.nan, dtype=np.float64)
                self._warp_into(values, tile_transform, footprint)
            if footprint is not None:
                mean = None if self.averaged else functools.partial(self._mean, shape, tile_transform)
                footprint.measure(values, mean)
        except (RasterioError, OSError) as exc:
            raise TonnageInputError(f"{self.role}: cannot read {self.path} ({exc})") from exc
        self.reader.count(values.nbytes, self.budget)
        return values, footprint

    def _mean(self, shape: tuple[int, int], tile_transform) -> np.ndarray:
        """This raster's mean over each cell of the tile, where it holds data. A raster not finer than the grade
        cells is bilinear at their centres; a cell its data reach whose centre has none takes this, and counts
        that part (``DataFootprint.measure``), where bilinear counted it as none and one half a cell past the
        data's edge as whole (a data edge 30 m into 100 m cells was 7.5e-4 of the tonnes off, and a nodata hole
        of a 330 m raster 3 % too large); sampling such cells of a reprojected raster took 26 times as long."""
        mean = np.full(shape, np.nan)
        self._warp_into(mean, tile_transform, resampling=Resampling.average)
        return mean

    def _warp_into(
        self,
        values: np.ndarray,
        tile_transform,
        footprint: DataFootprint | None = None,
        at: tuple[int, int] = (0, 0),
        resampling: Resampling | None = None,
    ) -> None:
        """Fill ``values`` (a tile on the grade grid, all NaN, or its part from row and column ``at``) from this
        raster on its own grid, and tell ``footprint``, when given, where its data lie.

        The source window is read and masked exactly as on the grade grid (nodata, NaN, internal, per-dataset or
        per-band mask, alpha; physical values, negative ones missing) and only then warped, as an array whose only
        nodata is NaN: GDAL's warper would pass over an alpha band of a single band it is given and, from 3.10 on,
        over any mask once a nodata is declared. Where a tile draws on several windows or placements (see
        ``_source_windows``), each fills the cells the others leave missing. A tile whose source windows would
        exceed ``max_source_cells`` is warped in halves.

        A grade cell averages the cells with data within it, so at the edge of the data (nodata, or the raster's
        end) its value is that of the part with data. For the footprint each window is read with missing cells
        put round it (beyond the raster's end the warper would otherwise average only the cells there are: a
        grade cell reached 10 % was counted whole).
        """
        windows = self._source_windows(tile_transform, *values.shape)
        height, width = values.shape
        cells = sum(int(window.width) * int(window.height) for window, _ in windows)
        if cells > self.max_source_cells and height * width > 1:
            whole = slice(None)
            if height >= width:
                half, step, ats = height // 2, Affine.translation(0, height // 2), (at, (at[0] + height // 2, at[1]))
                halves = [(slice(None, half), whole), (slice(half, None), whole)]
            else:
                half, step, ats = width // 2, Affine.translation(width // 2, 0), (at, (at[0], at[1] + width // 2))
                halves = [(whole, slice(None, half)), (whole, slice(half, None))]
            for cut, placed_at, part_at in zip(halves, (tile_transform, affine_ops.compose(tile_transform, step)), ats):
                self._warp_into(values[cut], placed_at, footprint, part_at, resampling)
            return
        single = len(windows) == 1 and len(windows[0][1]) == 1
        for window, shifts in windows:
            if footprint is not None:  # missing cells round it (see above)
                pad = self.pad
                window = Window(
                    window.col_off - pad, window.row_off - pad, window.width + 2 * pad, window.height + 2 * pad
                )
            source = self._read_around(window) if self.wraps else self._read_same_grid(window)
            placed = window_transform(window, self.src.transform)
            for shift in shifts:
                kwargs = {
                    "src_transform": affine_ops.compose(Affine.translation(shift, 0), placed),
                    "src_crs": self.warp_crs[0],
                    "dst_crs": self.warp_crs[1],
                    "dst_nodata": np.nan,
                    "resampling": resampling or self.resampling,
                }
                warped = values if single else np.full_like(values, np.nan)
                reproject(source, warped, src_nodata=np.nan, dst_transform=tile_transform, **kwargs)
                if not single:
                    np.copyto(values, warped, where=np.isnan(values))
                if footprint is not None:
                    # the footprint's cells are the whole tile's, whichever half this is
                    whole_tile = footprint.tile_transform
                    maps = self._maps(kwargs["src_transform"], whole_tile) if footprint.sampled else None
                    shares = {**kwargs, "resampling": Resampling.average}  # of the validity: its share
                    footprint.add(source, shares, (at[0], at[0] + height, at[1], at[1] + width), maps, single)

    def _maps(self, src_transform: Affine, tile_transform: Affine) -> tuple[ToTile, ToTile] | None:
        """Pixel coordinates of a source window placed at ``src_transform`` to the tile's and back, where this
        raster's CRS is not the grade raster's (else None: affine)."""
        if self.wkt == self.grade_wkt:
            return None
        wkt, grade_wkt = self.wkt, self.grade_wkt
        inverse_tile, inverse_src = ~tile_transform, ~src_transform

        def to_tile(cols: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            x, y = affine_ops.apply(src_transform, cols, rows)
            x, y = _transformer(wkt, grade_wkt).transform(x, y, errcheck=False)
            return affine_ops.apply(inverse_tile, np.asarray(x), np.asarray(y))

        def from_tile(cols: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            x, y = affine_ops.apply(tile_transform, cols, rows)
            x, y = _transformer(grade_wkt, wkt).transform(x, y, errcheck=False)
            return affine_ops.apply(inverse_src, np.asarray(x), np.asarray(y))

        return to_tile, from_tile

    def _source_windows(self, tile_transform, height: int, width: int) -> list[tuple[Window, list[float]]]:
        """The windows of this raster the tile's cells draw on (a margin for the resampling kernel included),
        from a grid of points over the tile, each with the longitude shifts that place it where the warper looks
        for it; none when the tile lies outside the raster.

        One window, unshifted, but for a geographic raster whose columns lie a whole turn from the longitudes PROJ
        gives (in (-180, 180], or the grade raster's own): 0..360, say, or past 180. The points' longitudes are
        made continuous over the tile, then brought into the raster's span [west, west + turn): a window at each
        end when the tile crosses the raster's west edge, placed at each longitude the warper may see for it (two
        where the tile crosses 180). A raster that spans a whole turn has no edge there but a seam: one window,
        whose columns may run past either edge (see ``_read_around``), so that the kernel finds neighbours across
        it; round a pole inside the tile, the whole turn up to the pole, which the points may miss."""
        cols, rows = np.meshgrid(np.linspace(0, width, _EDGE_POINTS), np.linspace(0, height, _EDGE_POINTS))
        x, y = affine_ops.apply(tile_transform, cols.ravel(), rows.ravel())
        if self.grade_wkt != self.wkt:
            x, y = _transformer(self.grade_wkt, self.wkt).transform(x, y, errcheck=False)
        finite = np.isfinite(x) & np.isfinite(y)
        x, y = np.asarray(x)[finite], np.asarray(y)[finite]
        if not x.size:
            return []
        spans, jumps = np.zeros(1), np.zeros(1)  # whole turns taken off: into the raster's span; PROJ's jumps
        if self.turn:
            pole = self._pole_in(tile_transform, height, width) if self.wraps else None
            if pole is not None:  # every longitude PROJ gives and the pole's row
                x, y = np.append(x, [-0.5 * self.turn, 0.5 * self.turn]), np.append(y, [pole, pole])
            # From the tile's first point (round a pole: from 0, PROJ's longitudes as they are): made continuous.
            jump = np.round((x - (x[0] if pole is None else 0.0)) / self.turn)
            x = x - jump * self.turn
            spans, jumps = np.unique(np.floor((x - self.west) / self.turn)), np.unique(jump)
            if self.wraps:
                spans = spans[:1]
        windows = []
        for span in spans:
            col, row = affine_ops.apply(~self.src.transform, x - span * self.turn, y)
            col0, col1 = math.floor(col.min()) - _KERNEL_MARGIN, math.ceil(col.max()) + _KERNEL_MARGIN
            if not self.wraps:
                col0, col1 = max(col0, 0), min(col1, self.src.width)
            row0 = max(math.floor(row.min()) - _KERNEL_MARGIN, 0)
            row1 = min(math.ceil(row.max()) + _KERNEL_MARGIN, self.src.height)
            if col0 < col1 and row0 < row1:
                shifts = [float((span + taken) * self.turn) for taken in jumps]
                windows.append((Window(col0, row0, col1 - col0, row1 - row0), shifts))
        return windows

    def _pole_in(self, tile_transform, height: int, width: int) -> float | None:
        """The latitude (in this raster's units) of a pole inside the tile on the grade grid, if any: its cells
        then take every longitude."""
        cols, rows = np.array([0, width, width, 0, 0]), np.array([0, 0, height, height, 0])
        corners = np.column_stack(affine_ops.apply(tile_transform, cols, rows))
        return _pole_around(corners, crs_from_wkt(self.grade_wkt), crs_from_wkt(self.wkt))

    def _read_around(self, window: Window) -> np.ndarray:
        """The window's values on a raster that spans a whole turn: columns past either edge are read from the
        other side, a turn away."""
        width = self.src.width
        c0, c1 = int(window.col_off), int(window.col_off + window.width)
        edges = [c0, *range((c0 // width + 1) * width, c1, width), c1]
        return np.hstack(
            [
                self._read_same_grid(Window(a % width, window.row_off, b - a, window.height))
                for a, b in zip(edges[:-1], edges[1:])
            ]
        )

    def _read_same_grid(self, window: Window) -> np.ndarray:
        """The window's physical values; cells beyond this raster's extent (a smaller raster), nodata, masked or
        negative are missing (NaN)."""
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
        valid = self.mask.valid(source, inner)
        if valid is not None:
            part[~valid] = np.nan
        if self.scale != 1.0 or self.offset != 0.0:
            part = part * self.scale + self.offset
        part[~holds_data(part)] = np.nan  # before any warp: an undeclared nodata (-9999, 3.4e38) is not averaged in
        if inner.width == width and inner.height == height:
            return part
        values = np.full((height, width), np.nan)
        values[rr0 - r0 : rr1 - r0, cc0 - c0 : cc1 - c0] = part
        return values


def _north_up(transform: Affine, tolerance: float = 0.0) -> bool:
    """Whether a grid's rows and columns run along its CRS's axes (not rotated or sheared), to ``tolerance``."""
    return abs(transform.b) <= tolerance and abs(transform.d) <= tolerance


def _whole_turn(transform: Affine, width: int, turn: float) -> bool:
    """Whether a north-up geographic raster's columns span a whole turn, its west edge being its east edge: to a
    thousandth of a cell, as cell sizes are often written with few digits (0.08333333 for 1/12 degree)."""
    return _north_up(transform) and abs(abs(transform.a) * width - turn) <= 1e-3 * abs(transform.a)


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
