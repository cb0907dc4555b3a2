"""Ore tonnes, tonnage-weighted grade and contained TREO/TREE inside a polygon over a grade raster.

Every cell counts with the exact fraction of its area the polygon covers (see ``coverage``), on true cell
areas (see ``cellarea``). The polygon's bounding window is read tile by tile and per-cell weights are summed
per cut-off as they stream past, so memory stays bounded and a whole grade-tonnage curve costs one pass.

This module is the public API. The parts behind it: ``tonnage_types`` (parameters, results, errors),
``tonnage_raster_io`` (opening, caching and reading rasters), ``tonnage_tiles`` (the tiling pipeline and a
polygon's pass) and ``tonnage_sums`` (the per-cut-off sums). Tuning goes through ``limits.EngineLimits``.
"""

from __future__ import annotations

import contextlib
import os  # noqa: F401 - tests patch os.stat through this module
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import rasterio  # noqa: F401 - tests patch rasterio.open through this module

from .geometry import PolygonInput
from .limits import DEFAULT_LIMITS, EngineLimits
from .tonnage_raster_io import _polygon_crs as _polygon_crs  # internals the tests reach through this module
from .tonnage_raster_io import _RasterSession as _RasterSession
from .tonnage_raster_io import (
    _session,
    close_all_cached_rasters,
    close_cached_rasters,
    reusing_open_rasters,
)
from .tonnage_raster_io import _user_crs as _user_crs
from .tonnage_tiles import CellSink, _pipeline, _run, stop_workers
from .tonnage_tiles import _Accumulator as _Accumulator
from .tonnage_tiles import _job as _job
from .tonnage_types import (
    Cancelled,
    PathInput,
    PolygonInputError,
    TonnageCancelled,
    TonnageInputError,
    TonnageParams,
    TonnageResult,
    _checked,
    checked_params,
)
from .tonnage_types import _PolygonError as _PolygonError

__all__ = [
    "AreaCells",
    "Cancelled",
    "CellSink",
    "PassSummary",
    "PathInput",
    "PolygonInputError",
    "TonnageCancelled",
    "TonnageInputError",
    "TonnageParams",
    "TonnageResult",
    "area_cells",
    "close_all_cached_rasters",
    "close_cached_rasters",
    "estimate_tonnage",
    "feed_sink",
    "grade_tonnage_curve",
    "grade_tonnage_curves",
    "reusing_open_rasters",
    "stop_workers",
]


def estimate_tonnage(
    polygon: PolygonInput,
    grade_raster: PathInput,
    params: TonnageParams | None = None,
    polygon_crs: Any = None,
    *,
    limits: EngineLimits = DEFAULT_LIMITS,
    cancelled: Cancelled = None,
) -> TonnageResult:
    """Tonnage of the cells inside ``polygon`` with grade >= ``params.cutoff``.

    ``cancelled``, when given, is asked before every tile (at most about 0.1 s of work apart); once it returns
    True the estimate raises ``TonnageCancelled``.
    """
    params = checked_params(params)
    return grade_tonnage_curve(
        polygon, grade_raster, [params.cutoff], params, polygon_crs, limits=limits, cancelled=cancelled
    )[0]


def grade_tonnage_curve(
    polygon: PolygonInput,
    grade_raster: PathInput,
    cutoffs: Sequence[float],
    params: TonnageParams | None = None,
    polygon_crs: Any = None,
    *,
    limits: EngineLimits = DEFAULT_LIMITS,
    cancelled: Cancelled = None,
    sink: CellSink | None = None,
) -> list[TonnageResult]:
    """One result per cut-off, in the given order, from a single pass over the rasters; ``sink``, when given,
    receives the covered cells of every tile of that pass."""
    params, cuts = _checked(params, cutoffs)
    with _session(limits) as rasters:
        job = _job(rasters, polygon, grade_raster, params, polygon_crs, cuts, limits, sink, cancelled)
        return _run(job, cancelled).results(cuts)


@dataclass(frozen=True)
class PassSummary:
    """What a pass that only feeds a sink finds about the polygon (as an estimate's result would state it)."""

    polygon_area_m2: float
    data_coverage: float
    warnings: tuple[str, ...]


def feed_sink(
    polygon: PolygonInput,
    grade_raster: PathInput,
    sink: CellSink,
    params: TonnageParams | None = None,
    polygon_crs: Any = None,
    *,
    limits: EngineLimits = DEFAULT_LIMITS,
    cancelled: Cancelled = None,
) -> PassSummary:
    """One pass over the rasters that hands every tile's covered cells to ``sink`` and sums nothing per cut-off
    (a sink that sums for itself would pay for those sums twice); the polygon area, data coverage and warnings
    of that pass."""
    params = checked_params(params)
    with _session(limits) as rasters:
        job = _job(rasters, polygon, grade_raster, params, polygon_crs, np.empty(0), limits, sink, cancelled)
        totals = _run(job, cancelled).totals
    return PassSummary(float(totals.polygon_area), float(totals.coverage()), tuple(totals.warnings))


@dataclass(frozen=True)
class AreaCells:
    """The covered cells of a polygon with valid data, one entry per cell in each 1-D float64 array, for
    callers that evaluate many variants of the parameters on one read of the rasters (exploration-target
    ranges, Monte Carlo).

    Per cell, with ``tf`` / ``gf`` the thickness and grade factors of a variant:
    tonnes = area_m2 * counted_thickness(top, thickness * tf, min_depth, max_depth) * density, ore where
    grade * gf >= cutoff * reach, contained = tonnes * grade * gf * grade_fraction(grade_unit). For any raster,
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
    reach: float = 1.0  # a grade is ore when it is at least cutoff x reach (see tonnage_tiles.cutoff_reach)


def area_cells(
    polygon: PolygonInput,
    grade_raster: PathInput,
    params: TonnageParams | None = None,
    polygon_crs: Any = None,
    *,
    limits: EngineLimits = DEFAULT_LIMITS,
    cancelled: Cancelled = None,
) -> AreaCells:
    """The cells ``estimate_tonnage`` would sum, read once through the same pipeline (see ``AreaCells``);
    ``params``' factors are not applied, its cut-off and depth window are passed on. An area of more than
    ``limits.area_cells_max`` cells raises ``TonnageInputError`` (the arrays would not fit in memory)."""
    params = checked_params(params)
    collector = _CellCollector(limits.area_cells_max)
    result = feed_sink(polygon, grade_raster, collector, params, polygon_crs, limits=limits, cancelled=cancelled)
    return AreaCells(
        area_m2=collector.joined("area_m2"),
        grade=collector.joined("grade"),
        thickness=collector.joined("thickness"),
        top=collector.joined("top"),
        density=collector.joined("density"),
        polygon_area_m2=result.polygon_area_m2,
        data_coverage=result.data_coverage,
        warnings=result.warnings,
        grade_unit=params.grade_unit,
        min_depth=None if params.min_depth is None else float(params.min_depth),
        max_depth=None if params.max_depth is None else float(params.max_depth),
        cutoff=float(params.cutoff),
        treo_to_tree=float(params.treo_to_tree),
        reach=collector.reach,
    )


class _CellCollector:
    """A ``CellSink`` that keeps every tile's cells, up to ``limit`` cells."""

    def __init__(self, limit: int):
        self.limit = limit
        self.count = 0
        self.reach = 1.0
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, area, unit, grade, thickness, top, density, reach) -> None:
        self.reach = reach
        self.count += area.size
        if self.count > self.limit:
            raise TonnageInputError(
                f"polygon: covers more than {self.limit:,} raster cells, too many to list cell by cell "
                "(area_cells); exploration_target and estimate_tonnage stream any size"
            )
        values = {"grade": grade, "thickness": thickness, "top": top, "density": density}
        part = {
            name: np.broadcast_to(np.asarray(value, dtype=np.float64), area.shape) for name, value in values.items()
        }
        part["area_m2"] = np.asarray(area, dtype=np.float64) * unit
        self.parts.append(part)

    def joined(self, name: str) -> np.ndarray:
        return np.concatenate([part[name] for part in self.parts]) if self.parts else np.empty(0)


def grade_tonnage_curves(
    polygons: Iterable[PolygonInput | TonnageInputError],
    grade_raster: PathInput,
    cutoffs: Sequence[float],
    params: TonnageParams | None = None,
    polygon_crs: Any = None,
    *,
    limits: EngineLimits = DEFAULT_LIMITS,
    cancelled: Cancelled = None,
    sink_for: Callable[[int], CellSink] | None = None,
) -> Generator[list[TonnageResult] | TonnageInputError, None, None]:
    """``grade_tonnage_curve`` for many polygons, yielded in order as each is done; ``sink_for(k)``, when
    given, makes the sink of the k-th polygon (counted from 0) as its pass is planned.

    The rasters stay open and the next polygon's blocks are read while the current one is summed, so a batch
    of small polygons costs little more than reading their windows. A polygon the engine cannot use yields
    its ``TonnageInputError`` instead of raising it, so one bad polygon does not stop the batch (an error
    given in place of a polygon passes through, keeping a caller's own failures in order); problems with the
    rasters or parameters raise.

    The batch opens its rasters for itself, never the thread's ``reusing_open_rasters`` ones, and reads them as
    they were when it opened them: its reader thread goes on reading them while the caller handles a result,
    maybe with estimates of its own. A batch left unfinished should be closed (``close()``, or dropping the last
    reference to it) to stop that thread.
    """
    params, cuts = _checked(params, cutoffs)
    rasters = _RasterSession(recheck=False)

    def jobs() -> Iterator[_Accumulator | TonnageInputError]:
        for number, polygon in enumerate(polygons):
            if isinstance(polygon, TonnageInputError):
                yield polygon
                continue
            try:
                sink = None if sink_for is None else sink_for(number)
                yield _job(rasters, polygon, grade_raster, params, polygon_crs, cuts, limits, sink, cancelled)
            except _PolygonError as error:
                yield TonnageInputError(str(error))

    try:
        # the reader stops before the rasters close
        with contextlib.closing(_pipeline(jobs(), limits, cancelled)) as done_jobs:
            for done in done_jobs:
                yield done if isinstance(done, TonnageInputError) else done.results(cuts)
    finally:
        rasters.close()
