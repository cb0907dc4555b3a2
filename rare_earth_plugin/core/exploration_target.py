"""Exploration Targets as JORC 2012 Clause 17, the CRIRSCO template and KAZRC require: ranges, not one number.

From the cells of an area (``tonnage.area_cells``, the rasters read once) and three independent triangular
inputs (``target_ranges``): a low case (every input at its low value), a base case (likely) and a high case
(high), and from a seeded Monte Carlo the P90, P50 and P10 of ore tonnes, mean grade and contained TREO/TREE.
P90 is the value exceeded with 90 % probability (the 10th percentile of the draws), P10 the value exceeded
with 10 % probability; each quantity's percentiles are taken separately (P90 tonnes and P90 grade need not
come from the same draw). The cut-off stays fixed while the grade factor moves every grade, so the tonnage
above the cut-off changes non-linearly, as it does in reality.

The draws are summed tile by tile in the same pass over the rasters as the estimate (``TargetSums`` is the
engine's ``CellSink``), so a target costs one read and memory bounded by a tile, and a report or the dock
gets each area's curve and target from that one read (``curves_and_targets``).

The ranges' factors multiply on top of the parameters' own ``thickness_factor`` and ``grade_factor``, so the
base case with the default ranges equals ``estimate_tonnage(params)`` when the density range's likely value
is the constant density.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from . import tonnage
from .depth_window import counted_thickness, top_depth_text
from .geometry import PolygonInput
from .limits import DEFAULT_LIMITS, EngineLimits
from .plausible import density_range_warning, density_warning
from .target_ranges import RangeError, TargetRanges, Triangular, default_density
from .target_sums import AreaSums, DrawSet
from .tonnage import Cancelled, PathInput, TonnageInputError, TonnageParams, TonnageResult
from .tonnage_sums import OVERFLOW_WARNING, overflowed
from .tonnage_types import checked_params
from .units import grade_fraction

DEFAULT_DRAWS = 10_000
MAX_DRAWS = 1_000_000
#: Fewer draws than this give percentiles that move from seed to seed by more than the figures' two digits.
FEW_DRAWS = 1_000


def few_draws_warning(draws: int) -> str:
    """What to say of a target of ``draws`` draws ('' from ``FEW_DRAWS`` up): its P90-P10 are not yet stable."""
    if draws >= FEW_DRAWS:
        return ""
    return (
        f"{draws:,} draws: the P90, P50 and P10 of so few draws change with the seed by more than the figures "
        f"show; use at least {FEW_DRAWS:,} ({DEFAULT_DRAWS:,} is the default)"
    )


#: Any fixed number would do; this one is the date of the Ministry's statement (2 April 2025).
DEFAULT_SEED = 20250402
#: The largest seed the dock and Processing take: QGIS holds whole-number parameters in a 32-bit int.
MAX_SEED = 2**31 - 1
#: The probabilities of exceedance reported, and the percentile of the draws each one is.
EXCEEDANCE = {"p90": 0.10, "p50": 0.50, "p10": 0.90}
CONVENTION = "P90 is the value exceeded with 90 % probability, P10 the value exceeded with 10 % probability"
METHOD = (
    "low / base / high cases: every input at its low / likely / high value; P90 / P50 / P10: "
    "percentiles of a seeded Monte Carlo (numpy PCG64) with density, thickness factor and grade factor "
    "drawn independently from triangular distributions, the cut-off fixed while the grade factor "
    "scales every grade; rasters read once per area, every draw summed exactly over the cells as they stream past"
)


class AreaCellsLike(Protocol):
    """What ``tonnage.area_cells`` gives (read-only): covered valid cells as 1-D arrays, and the area's scalars."""

    @property
    def area_m2(self) -> np.ndarray: ...
    @property
    def grade(self) -> np.ndarray: ...  # physical, in grade_unit, before grade_factor
    @property
    def thickness(self) -> np.ndarray: ...  # before thickness_factor and the window
    @property
    def top(self) -> np.ndarray: ...
    @property
    def density(self) -> np.ndarray: ...
    @property
    def polygon_area_m2(self) -> float: ...
    @property
    def data_coverage(self) -> float: ...
    @property
    def warnings(self) -> tuple[str, ...]: ...
    @property
    def grade_unit(self) -> str: ...
    @property
    def min_depth(self) -> float | None: ...
    @property
    def max_depth(self) -> float | None: ...
    @property
    def cutoff(self) -> float: ...
    @property
    def treo_to_tree(self) -> float: ...
    @property
    def reach(self) -> float: ...  # a grade is ore when at least cutoff x reach (tonnage_tiles.cutoff_reach)


@dataclass(frozen=True)
class TargetFigures:
    """One case or one percentile: tonnes, and the mean grade in the raster's grade unit (NaN without ore)."""

    ore_tonnes: float
    mean_grade: float
    treo_tonnes: float
    tree_tonnes: float


@dataclass(frozen=True)
class ExplorationTarget:
    low: TargetFigures
    base: TargetFigures
    high: TargetFigures
    p90: TargetFigures
    p50: TargetFigures
    p10: TargetFigures
    ranges: TargetRanges
    density_is_factor: bool  # a density raster: the density range scales it by value / likely
    draws: int
    seed: int
    grade_unit: str
    cutoff: float
    min_depth: float | None
    max_depth: float | None
    top_depth: str  # "0 m", "12.5 m" or the top-depth raster's file name
    polygon_area_m2: float
    data_coverage: float
    warnings: tuple[str, ...] = ()
    #: Contained TREO (t) of every draw, in draw order: the distribution the report draws.
    treo_draws: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False, compare=False)
    no_ore_share: float = 0.0  # share of draws without ore above the cut-off
    #: Whether some cell's grade reaches the cut-off in some draw: with no ore anywhere, whether the grades are
    #: too low, or the cells that reach it hold no ore (no thickness or density, or none in the depth window).
    reaches_cutoff: bool = True

    @property
    def has_data(self) -> bool:
        """Whether some cell of the area held data: without any, its zero tonnes say nothing of its ore, and the
        outputs (``to_dict``, the files' fields) give no figures."""
        return self.data_coverage > 0

    @property
    def windowed(self) -> bool:
        """Whether a depth window (a minimum or a maximum depth) limited the thickness counted."""
        return self.min_depth is not None or self.max_depth is not None

    def exceedance(self, tonnes: float) -> float:
        """The share of draws whose contained TREO exceeds ``tonnes``."""
        if self.treo_draws.size == 0:
            return math.nan
        return float(np.count_nonzero(self.treo_draws > tonnes)) / self.treo_draws.size

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (None for NaN, and for every figure of an area without data); the draws
        themselves are left out."""

        def figures(item: TargetFigures) -> dict[str, float | None]:
            return {key: _plain(value) if self.has_data else None for key, value in vars(item).items()}

        def triangle(item: Triangular) -> dict[str, float]:
            return {"low": item.low, "likely": item.likely, "high": item.high}

        return {
            **{name: figures(getattr(self, name)) for name in ("low", "base", "high", "p90", "p50", "p10")},
            "ranges": {
                "density": triangle(self.ranges.density),
                "thickness_factor": triangle(self.ranges.thickness_factor),
                "grade_factor": triangle(self.ranges.grade_factor),
            },
            "density_is_factor": self.density_is_factor,
            "draws": self.draws,
            "seed": self.seed,
            "grade_unit": self.grade_unit,
            "cutoff": self.cutoff,
            "min_depth": self.min_depth,
            "max_depth": self.max_depth,
            "top_depth": self.top_depth,
            "polygon_area_m2": _plain(self.polygon_area_m2),
            "data_coverage": _plain(self.data_coverage),
            "no_ore_share": self.no_ore_share if self.has_data else None,  # no data: not "no ore"
            "reaches_cutoff": self.reaches_cutoff if self.has_data else None,
            "warnings": list(self.warnings),
            "convention": CONVENTION,
            "method": METHOD,
        }


def _plain(value: float) -> float | None:
    """A JSON-ready number: None for NaN, and for an infinite figure (the overflow warning says why)."""
    number = float(value)
    return number if math.isfinite(number) else None


def exploration_target(
    polygon: PolygonInput,
    grade_raster: PathInput,
    params: TonnageParams | None = None,
    ranges: TargetRanges | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    polygon_crs: Any = None,
    *,
    limits: EngineLimits = DEFAULT_LIMITS,
    cancelled: Cancelled = None,
) -> ExplorationTarget:
    """The exploration target of ``polygon``: three cases and P90/P50/P10; the same seed, the same figures.

    The rasters are read once, whatever the number of draws, and the draws summed as the tiles stream past.
    Without ``ranges`` the defaults apply, the density range centred on a constant density
    (``default_density``). Bad ranges, draws or seed raise ``TonnageInputError`` naming the parameter;
    ``cancelled`` is asked between tiles, as for an estimate."""
    params = params if params is not None else TonnageParams()
    sums = target_plan(params, ranges, draws, seed).sums()
    result = tonnage.feed_sink(polygon, grade_raster, sums, params, polygon_crs, limits=limits, cancelled=cancelled)
    return sums.target(result.polygon_area_m2, result.data_coverage, result.warnings)


def curves_and_targets(
    polygons: Iterable[PolygonInput | TonnageInputError],
    grade_raster: PathInput,
    cutoffs: Sequence[float],
    params: TonnageParams | None = None,
    ranges: TargetRanges | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    polygon_crs: Any = None,
    *,
    limits: EngineLimits = DEFAULT_LIMITS,
    cancelled: Cancelled = None,
) -> Iterator[tuple[list[TonnageResult], ExplorationTarget] | TonnageInputError]:
    """``tonnage.grade_tonnage_curves`` with each polygon's exploration target from the same read: the curve at
    ``cutoffs`` and the target at ``params.cutoff``, as ``exploration_target`` gives them (every area has the
    same draws). Errors, closing and cancelling as for ``grade_tonnage_curves``."""
    params = params if params is not None else TonnageParams()
    plan = target_plan(params, ranges, draws, seed)
    sinks: dict[int, TargetSums] = {}

    def sink_for(number: int) -> TargetSums:
        sinks[number] = plan.sums()
        return sinks[number]

    batch = tonnage.grade_tonnage_curves(
        polygons,
        grade_raster,
        [params.cutoff, *cutoffs],
        params,
        polygon_crs,
        limits=limits,
        cancelled=cancelled,
        sink_for=sink_for,
    )
    with contextlib.closing(batch):
        for number, item in enumerate(batch):
            if isinstance(item, TonnageInputError):
                sinks.pop(number, None)
                yield item
            else:
                first = item[0]
                target = sinks.pop(number).target(first.polygon_area_m2, first.data_coverage, first.warnings)
                yield item[1:], target


def _checked(ranges: TargetRanges, draws: int, seed: int) -> TargetRanges:
    if not isinstance(ranges, TargetRanges):
        raise TonnageInputError(
            f"ranges: give a TargetRanges (density, thickness factor, grade factor), got {ranges!r}"
        )
    try:
        checked = ranges.checked()
    except RangeError as error:
        raise TonnageInputError(str(error)) from None
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or not 1 <= draws <= MAX_DRAWS:
        raise TonnageInputError(f"draws: give a whole number from 1 to {MAX_DRAWS:,}, got {draws!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TonnageInputError(f"seed: give a whole number >= 0, got {seed!r}")
    return checked


class TargetPlan:
    """The draws of one target run, sampled once from the seed; the three cases ride along as the last three
    draws (every input at its low, likely, high value), so one set of sums serves all. Every area summed
    with the same plan gets the same draws, so its figures do not depend on the areas beside it."""

    CASES = ("low", "likely", "high")

    def __init__(self, params: TonnageParams, ranges: TargetRanges, draws: int, seed: int):
        """Made through ``target_plan``, which checks the inputs and fills in the default ranges first."""
        self.params, self.ranges = params, ranges
        self.draws, self.seed = int(draws), int(seed)
        #: A density raster is kept and the density range scales it by value / likely.
        self.density_is_factor = params.density_raster is not None
        density = self.ranges.density
        if self.density_is_factor:
            density = density.scaled(density.likely)
        rng = np.random.Generator(np.random.PCG64(seed))
        inputs = (density, self.ranges.thickness_factor, self.ranges.grade_factor)
        sampled = [item.sample(rng, draws) for item in inputs]  # in this order: the seed's figures stay put
        cases = [[float(getattr(item, case)) for case in self.CASES] for item in inputs]
        self.d, self.t, self.f = (np.concatenate([drawn, case]) for drawn, case in zip(sampled, cases))
        self.df = self.d * self.f
        with np.errstate(over="ignore"):  # a threshold beyond float64: inf, which no grade reaches
            self.draw_set = DrawSet(self.t, float(params.cutoff) / self.f)
        self.window = (params.min_depth, params.max_depth)
        self.windowed = params.windowed

    def sums(self) -> TargetSums:
        return TargetSums(self)


#: Plans of up to this many draws are kept (8 at most, a few MB each).
_CACHED_DRAWS = 100_000


@functools.lru_cache(maxsize=8)
def _cached_plan(params: TonnageParams, ranges: TargetRanges, draws: int, seed: int) -> TargetPlan:
    return TargetPlan(params, ranges, draws, seed)


def target_plan(params: TonnageParams, ranges: TargetRanges | None, draws: int, seed: int) -> TargetPlan:
    """The plan of these inputs, made once for a loop of targets with the same ranges, draws and seed (the draws,
    their orderings and counting tables cost a few milliseconds, as much as the sums of a large area); plans of
    more than ``_CACHED_DRAWS`` draws are made afresh, so the cache stays small. The inputs are checked first:
    the cache would take ``True`` for ``1``."""
    params = checked_params(params)
    if ranges is None:
        try:
            ranges = TargetRanges(density=default_density(None if params.density_raster else params.density))
        except RangeError as error:
            raise TonnageInputError(str(error)) from None
    ranges = _checked(ranges, draws, seed)
    if draws > _CACHED_DRAWS:
        return TargetPlan(params, ranges, draws, seed)
    try:
        return _cached_plan(params, ranges, draws, seed)
    except TypeError:  # an unhashable argument that passed the checks: made afresh
        return TargetPlan(params, ranges, draws, seed)


class TargetSums:
    """One area's sums over every draw, added tile by tile (a ``tonnage.CellSink``)."""

    def __init__(self, plan: TargetPlan):
        self.plan = plan
        #: Tonnes per unit density multiplier, and the same x grade before the grade factor f.
        self.sums = AreaSums(plan.draw_set)
        #: What the linear sums are multiplied by per draw: the thickness factor (tonnes are linear in it; times
        #: the thickness when it is a constant), or the counted thickness with a window over a constant
        #: thickness and top depth (every cell counts the same).
        self.scale: np.ndarray | float = 1.0
        #: m2 per unit of the areas added (the pass's cell area), applied to the sums once.
        self.unit: float | None = None
        self.reaches_cutoff = False  # looked for in each tile until found: one comparison, only while no cell does

    def add(self, area, unit, grade, thickness, top, density, reach) -> None:
        plan, params = self.plan, self.plan.params
        if self.unit is None:
            self.unit = float(unit)
        elif unit != self.unit:  # not from one pass: to the first one's unit
            area = area * (unit / self.unit)
        weight = area * density if plan.density_is_factor else area  # tonnes per metre per multiplier, in units
        if params.grade_factor != 1.0:
            grade = grade.astype(np.float64) * float(params.grade_factor)
        if params.thickness_factor != 1.0:
            thickness = thickness * float(params.thickness_factor)
        if not self.reaches_cutoff:
            lowest, _ = plan.draw_set.bounds(reach, grade.dtype)
            self.reaches_cutoff = bool(np.any(grade >= lowest))
        constant = np.ndim(thickness) == 0
        if plan.windowed and not (constant and np.ndim(top) == 0):
            self.scale = plan.t  # the cells whose ore starts in the window
            thickness = np.broadcast_to(np.asarray(thickness, dtype=np.float64), grade.shape)
            self.sums.add_window(weight, grade, thickness, top, *plan.window, reach)
        elif plan.windowed:
            self.scale = counted_thickness(float(top), float(thickness) * plan.t, *plan.window)
            self.sums.add_linear(weight, grade, reach)
        else:
            self.scale = plan.t * float(thickness) if constant else plan.t
            self.sums.add_linear(weight if constant else weight * thickness, grade, reach)

    def target(self, polygon_area_m2: float, data_coverage: float, warnings: tuple[str, ...]) -> ExplorationTarget:
        """The target, with the area's polygon area, data coverage and warnings (the estimate's of the same
        pass)."""
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is warned (``OVERFLOW_WARNING``)
            return self._target(polygon_area_m2, data_coverage, warnings)

    def _target(self, polygon_area_m2: float, data_coverage: float, warnings: tuple[str, ...]) -> ExplorationTarget:
        plan, params = self.plan, self.plan.params
        ore_all, metal_all = self.sums.totals(self.scale)
        unit = 1.0 if self.unit is None else self.unit
        ore_all *= plan.d * unit
        metal_all *= plan.df * unit  # tonnes x grade
        fraction = grade_fraction(params.grade_unit)
        treo_to_tree = float(params.treo_to_tree)
        count = plan.draws
        cases = [_figures(ore_all[count + k], metal_all[count + k], fraction, treo_to_tree) for k in range(3)]
        ore, metal = ore_all[:count], metal_all[:count]
        has_ore = ore > 0
        overflow = overflowed(ore_all, metal_all)
        # a draw whose figures overflowed has no grade (finite / inf read 0 %): the others' grades are ranked
        graded = has_ore & np.isfinite(ore) & np.isfinite(metal) if overflow else has_ore
        treo = metal * fraction
        probabilities = list(EXCEEDANCE.values())
        ore_q = _quantiles(ore, probabilities)
        treo_q = _quantiles(treo, probabilities)
        if graded.all():
            grade_q = _quantiles(metal / ore, probabilities)
        elif graded.any():
            grade_q = _quantiles(metal[graded] / ore[graded], probabilities)
        else:
            grade_q = [math.nan] * len(probabilities)
        percentiles = [
            TargetFigures(
                ore_tonnes=float(ore_q[k]),
                mean_grade=float(grade_q[k]),
                treo_tonnes=float(treo_q[k]),
                tree_tonnes=float(treo_q[k]) * treo_to_tree,
            )
            for k in range(len(probabilities))
        ]
        if overflow and OVERFLOW_WARNING not in warnings:
            warnings = (*warnings, OVERFLOW_WARNING)
        if not plan.density_is_factor:
            warnings = _density_said(warnings, params, plan.ranges.density)
        return ExplorationTarget(
            low=cases[0],
            base=cases[1],
            high=cases[2],
            p90=percentiles[0],
            p50=percentiles[1],
            p10=percentiles[2],
            ranges=plan.ranges,
            density_is_factor=plan.density_is_factor,
            draws=count,
            seed=plan.seed,
            grade_unit=params.grade_unit,
            cutoff=float(params.cutoff),
            min_depth=None if params.min_depth is None else float(params.min_depth),
            max_depth=None if params.max_depth is None else float(params.max_depth),
            top_depth=top_depth_text(params),
            polygon_area_m2=float(polygon_area_m2),
            data_coverage=float(data_coverage),
            warnings=warnings,
            treo_draws=treo,
            no_ore_share=np.count_nonzero(~has_ore) / count,
            reaches_cutoff=self.reaches_cutoff,
        )


def _density_said(warnings: tuple[str, ...], params: TonnageParams, density: Triangular) -> tuple[str, ...]:
    """The pass judged the constant density (``plausible``); a target draws from its density range instead,
    unless that range is the constant's own (``default_density``). So the range is judged, and a warning of a
    constant the target does not use is dropped: 2,600 beside a range of 2.5-2.7 t/m³ was warned, a range of
    2,500-2,700 beside 2.6 was not."""
    try:
        own = default_density(float(params.density))
    except RangeError:
        own = None
    if density == own:
        return warnings
    constant = density_warning(float(params.density), None)
    warnings = tuple(warning for warning in warnings if warning != constant)
    implausible = density_range_warning(density.high)
    return (*warnings, implausible) if implausible and implausible not in warnings else warnings


def target_from_cells(
    cells: AreaCellsLike,
    params: TonnageParams,
    ranges: TargetRanges | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> ExplorationTarget:
    """``exploration_target`` from cells already read (any object with ``AreaCellsLike``'s attributes; its
    cut-off, depth window, grade unit and TREO/TREE factor are used, ``params`` gives the factors, the
    constants and which inputs are rasters)."""
    params = replace(
        checked_params(params),
        cutoff=cells.cutoff,
        min_depth=cells.min_depth,
        max_depth=cells.max_depth,
        grade_unit=cells.grade_unit,
        treo_to_tree=cells.treo_to_tree,
    )
    sums = target_plan(params, ranges, draws, seed).sums()
    values = _checked_cells(cells)
    sums.add(
        values["area_m2"], 1.0, values["grade"], values["thickness"], values["top"], values["density"], cells.reach
    )
    return sums.target(cells.polygon_area_m2, cells.data_coverage, tuple(cells.warnings))


#: The per-cell quantities of ``AreaCellsLike``, and whether each must be >= 0.
_CELL_VALUES = {"area_m2": True, "grade": False, "thickness": True, "top": False, "density": True}


def _checked_cells(cells: AreaCellsLike) -> dict[str, np.ndarray]:
    """The cells' quantities as float64 arrays of one length, each finite and, for areas, thicknesses and
    densities, >= 0 (as the engine's pass gives them): a caller's own cells could otherwise hold a negative
    area that cancels the others in the sums."""
    values = {}
    for name, non_negative in _CELL_VALUES.items():
        try:
            value = np.asarray(getattr(cells, name), dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TonnageInputError(f"cells.{name}: not numbers ({exc})") from None
        if not np.isfinite(value).all():
            raise TonnageInputError(f"cells.{name}: holds NaN or infinite values (leave such cells out)")
        if non_negative and (value < 0).any():
            raise TonnageInputError(f"cells.{name}: holds negative values")
        values[name] = value
    try:
        shape = np.broadcast_shapes(*(value.shape for value in values.values()))
    except ValueError:
        raise TonnageInputError("cells: area_m2, grade, thickness, top and density differ in length") from None
    if len(shape) > 1:
        raise TonnageInputError(f"cells: give one value per cell (1-D arrays), got shape {shape}")
    return values


def _quantiles(values: np.ndarray, probabilities: list[float]) -> list[float]:
    """``np.quantile(values, probabilities)`` (its default linear interpolation) from the ranked values around
    each probability's position; at a rank, or between equal infinite values, that value (numpy gives NaN).
    The few figures are worked in Python floats (the same IEEE arithmetic as numpy's, without its per-call cost)."""
    last = values.size - 1
    positions = [probability * last for probability in probabilities]
    lower = [math.floor(position) for position in positions]
    ranked = _ranked(values, lower + [min(rank + 1, last) for rank in lower])
    figures = []
    for position, rank, below, above in zip(positions, lower, ranked, ranked[len(lower) :]):
        share = position - rank
        if share == 0 or below == above:  # an infinite (overflowed) neighbour or figure gives no NaN
            figures.append(below)
            continue
        step = above - below
        # numpy's own interpolation, from the nearer end (the same last bit as numpy.quantile)
        figures.append(above - step * (1.0 - share) if share >= 0.5 else below + step * share)
    return figures


#: Buckets of ``_ranked``: about 40 of 10,000 draws a bucket.
_RANK_BUCKETS = 256


def _ranked(values: np.ndarray, ranks: list[int]) -> list[float]:
    """``np.sort(values)[ranks]`` without sorting them all (a sort of 10,000 draws costs 0.5 ms, a partial sort
    30-80 µs a rank): the values are counted into buckets by a monotone map, and only the members of the buckets
    that hold the ranks are sorted, which puts them in the same order as among all values."""
    low, high = float(values.min()), float(values.max())
    if not low < high:  # one value, or NaN
        return [high] * len(ranks)
    scale = (_RANK_BUCKETS - 1) / (high - low)
    # an infinite span (overflowed draws), or one of denormals whose scale overflows: no bucket map
    if not (math.isfinite(high - low) and math.isfinite(scale)):
        return [float(value) for value in np.sort(values)[ranks]]
    bucket = np.subtract(values, low)
    bucket *= scale
    bucket = bucket.astype(np.intp)  # in 0 .. _RANK_BUCKETS - 1: the scale's rounding is far below one bucket
    counts = np.bincount(bucket, minlength=_RANK_BUCKETS)
    ends = np.cumsum(counts)
    homes = [int(home) for home in np.searchsorted(ends, ranks, side="right")]  # the bucket of each rank
    wanted = np.zeros(_RANK_BUCKETS, dtype=bool)
    wanted[homes] = True
    members = values[wanted.take(bucket)]
    members.sort()
    # the members are the wanted buckets' values in order: each bucket's first member, and its first rank
    first_member, first_rank, held = {}, {}, 0
    for home in sorted(set(homes)):
        first_member[home], first_rank[home] = held, int(ends[home] - counts[home])
        held += int(counts[home])
    picked = members[[rank - first_rank[home] + first_member[home] for rank, home in zip(ranks, homes)]]
    return [float(value) for value in picked]


def _figures(tonnes: float, metal: float, fraction: float, treo_to_tree: float) -> TargetFigures:
    treo = metal * fraction
    return TargetFigures(
        ore_tonnes=float(tonnes),
        mean_grade=float(metal / tonnes) if 0 < tonnes < math.inf and math.isfinite(metal) else math.nan,
        treo_tonnes=float(treo),
        tree_tonnes=float(treo * treo_to_tree),
    )
