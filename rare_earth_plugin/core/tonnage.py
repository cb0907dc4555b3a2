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
from collections.abc import Iterable, Iterator, Sequence
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
from .tonnage_tiles import _Accumulator as _Accumulator
from .tonnage_tiles import _job as _job
from .tonnage_tiles import _pipeline, _run
from .tonnage_types import (
    Cancelled,
    PathInput,
    PolygonInputError,
    TonnageCancelled,
    TonnageInputError,
    TonnageParams,
    TonnageResult,
    _checked,
)
from .tonnage_types import _PolygonError as _PolygonError

__all__ = [
    "AreaCells",
    "Cancelled",
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
    "grade_tonnage_curve",
    "grade_tonnage_curves",
    "reusing_open_rasters",
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
    params = params if params is not None else TonnageParams()
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
    ``params``' factors are not applied, its cut-off and depth window are passed on."""
    params, cuts = _checked(params, [params.cutoff if params is not None else 0.0])
    with _session(limits) as rasters:
        job = _run(_job(rasters, polygon, grade_raster, params, polygon_crs, cuts, limits, collect=True), cancelled)
    cells = job.collected or []
    scale = job.cell_area

    def joined(name: str) -> np.ndarray:
        parts = [np.broadcast_to(np.asarray(getattr(c, name), dtype=np.float64), c.area.shape) for c in cells]
        return np.concatenate(parts) if parts else np.empty(0)

    totals = job.totals
    return AreaCells(
        area_m2=joined("area") * scale,
        grade=joined("grade"),
        thickness=joined("thickness"),
        top=joined("top"),
        density=joined("density"),
        polygon_area_m2=float(totals.polygon_area),
        data_coverage=float(totals.coverage()),
        warnings=tuple(totals.warnings),
        grade_unit=params.grade_unit,
        min_depth=None if params.min_depth is None else float(params.min_depth),
        max_depth=None if params.max_depth is None else float(params.max_depth),
        cutoff=float(params.cutoff),
        treo_to_tree=float(params.treo_to_tree),
    )


def grade_tonnage_curves(
    polygons: Iterable[PolygonInput | TonnageInputError],
    grade_raster: PathInput,
    cutoffs: Sequence[float],
    params: TonnageParams | None = None,
    polygon_crs: Any = None,
    *,
    limits: EngineLimits = DEFAULT_LIMITS,
    cancelled: Cancelled = None,
) -> Iterator[list[TonnageResult] | TonnageInputError]:
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
