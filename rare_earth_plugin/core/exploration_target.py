"""Exploration Targets as JORC 2012 Clause 17, the CRIRSCO template and KAZRC require: ranges, not one number.

From the cells of an area (``tonnage.area_cells``, the rasters read once) and three independent triangular
inputs (``target_ranges``): a low case (every input at its low value), a base case (likely) and a high case
(high), and from a seeded Monte Carlo the P90, P50 and P10 of ore tonnes, mean grade and contained TREO/TREE.
P90 is the value exceeded with 90 % probability (the 10th percentile of the draws), P10 the value exceeded
with 10 % probability; each quantity's percentiles are taken separately (P90 tonnes and P90 grade need not
come from the same draw). The cut-off stays fixed while the grade factor moves every grade, so the tonnage
above the cut-off changes non-linearly, as it does in reality.

The ranges' factors multiply on top of the parameters' own ``thickness_factor`` and ``grade_factor``, so the
base case with the default ranges equals ``estimate_tonnage(params)`` when the density range's likely value
is the constant density.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from . import tonnage
from .depth_window import counted_thickness
from .geometry import PolygonInput
from .target_ranges import RangeError, TargetRanges, Triangular, default_density
from .target_sums import dot, draw_sums, linear_sums, ramps
from .tonnage import PathInput, TonnageInputError, TonnageParams
from .units import grade_fraction

DEFAULT_DRAWS = 10_000
MAX_DRAWS = 1_000_000
#: Any fixed number would do; this one is the date of the Ministry's statement (2 April 2025).
DEFAULT_SEED = 20250402
#: The probabilities of exceedance reported, and the percentile of the draws each one is.
EXCEEDANCE = {"p90": 0.10, "p50": 0.50, "p10": 0.90}
CONVENTION = "P90 is the value exceeded with 90 % probability, P10 the value exceeded with 10 % probability"
METHOD = (
    "low / base / high cases: every input at its low / likely / high value; P90 / P50 / P10: "
    "percentiles of a seeded Monte Carlo (numpy PCG64) with density, thickness factor and grade factor "
    "drawn independently from triangular distributions, the cut-off fixed while the grade factor "
    "scales every grade; rasters read once per area, every draw summed exactly over the cells"
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
    no_ore_share: float = 0.0  # share of draws without any cell above the cut-off

    def exceedance(self, tonnes: float) -> float:
        """The share of draws whose contained TREO exceeds ``tonnes``."""
        if self.treo_draws.size == 0:
            return math.nan
        return float(np.count_nonzero(self.treo_draws > tonnes)) / self.treo_draws.size

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (None for NaN); the draws themselves are left out."""

        def figures(item: TargetFigures) -> dict[str, float | None]:
            return {key: _plain(value) for key, value in vars(item).items()}

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
            "no_ore_share": self.no_ore_share,
            "warnings": list(self.warnings),
            "convention": CONVENTION,
            "method": METHOD,
        }


def _plain(value: float) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def exploration_target(
    polygon: PolygonInput,
    grade_raster: PathInput,
    params: TonnageParams | None = None,
    ranges: TargetRanges | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    polygon_crs: Any = None,
) -> ExplorationTarget:
    """The exploration target of ``polygon``: three cases and P90/P50/P10; the same seed, the same figures.

    The rasters are read once (``tonnage.area_cells``), whatever the number of draws. Without ``ranges``
    the defaults apply, the density range centred on a constant density (``default_density``). Bad ranges, draws or
    seed raise ``TonnageInputError`` naming the parameter."""
    params = params if params is not None else TonnageParams()
    if ranges is None:
        ranges = TargetRanges(density=default_density(None if params.density_raster else params.density))
    checked = _checked(ranges, draws, seed)
    cells = tonnage.area_cells(polygon, grade_raster, params, polygon_crs)
    return target_from_cells(cells, params, checked, draws, seed)


def _checked(ranges: TargetRanges | None, draws: int, seed: int) -> TargetRanges:
    try:
        checked = (ranges if ranges is not None else TargetRanges()).checked()
    except RangeError as error:
        raise TonnageInputError(str(error)) from None
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or not 1 <= draws <= MAX_DRAWS:
        raise TonnageInputError(f"draws: give a whole number from 1 to {MAX_DRAWS:,}, got {draws!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TonnageInputError(f"seed: give a whole number >= 0, got {seed!r}")
    return checked


def target_from_cells(
    cells: AreaCellsLike,
    params: TonnageParams,
    ranges: TargetRanges | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> ExplorationTarget:
    """``exploration_target`` from cells already read (any object with ``AreaCellsLike``'s attributes)."""
    ranges = _checked(ranges, draws, seed)
    density_is_factor = params.density_raster is not None
    # Tonnes per metre of counted thickness per unit of the density draw.
    if density_is_factor:
        weight = np.asarray(cells.area_m2, dtype=np.float64) * np.asarray(cells.density, dtype=np.float64)
        density = ranges.density.scaled(ranges.density.likely)
    else:
        weight = np.asarray(cells.area_m2, dtype=np.float64)
        density = ranges.density
    grade = np.asarray(cells.grade, dtype=np.float64)
    if params.grade_factor != 1.0:
        grade = grade * float(params.grade_factor)
    thickness = np.asarray(cells.thickness, dtype=np.float64) * float(params.thickness_factor)
    window = (cells.min_depth, cells.max_depth)
    windowed = window != (None, None)
    top = np.broadcast_to(np.asarray(cells.top, dtype=np.float64), grade.shape)  # used only when windowed
    per_factor = weight * thickness  # without a window, tonnes are linear in the thickness factor
    fraction = grade_fraction(cells.grade_unit)
    cutoff = float(cells.cutoff)

    per_factor_grade = per_factor * grade

    def case(pick: str) -> TargetFigures:
        d, t, f = (getattr(item, pick) for item in (density, ranges.thickness_factor, ranges.grade_factor))
        ore = (grade * f >= cutoff).astype(np.float64)
        if windowed:
            tonnes = weight * counted_thickness(top, thickness * t, *window)
            ore_sum, metal_sum = float(dot(tonnes, ore)), float(dot(tonnes * grade, ore))
        else:
            ore_sum, metal_sum = float(dot(per_factor, ore)) * t, float(dot(per_factor_grade, ore)) * t
        return _figures(ore_sum * d, metal_sum * d * f, fraction, cells.treo_to_tree)

    rng = np.random.Generator(np.random.PCG64(seed))
    d = density.sample(rng, draws)
    t = ranges.thickness_factor.sample(rng, draws)
    f = ranges.grade_factor.sample(rng, draws)
    theta = cutoff / f
    if windowed:
        ore_sum, metal_sum = draw_sums(ramps(weight, grade, thickness, top, *window), t, theta)
    else:
        ore_sum, metal_sum = linear_sums(per_factor, grade, t, theta)
    ore = d * ore_sum
    metal = d * f * metal_sum  # tonnes x grade
    has_ore = ore > 0
    treo = metal * fraction
    probabilities = list(EXCEEDANCE.values())
    ore_q = np.quantile(ore, probabilities)
    treo_q = np.quantile(treo, probabilities)
    grade_q = (
        np.quantile(metal[has_ore] / ore[has_ore], probabilities)
        if has_ore.any()
        else np.full(len(probabilities), math.nan)
    )
    percentiles = [
        TargetFigures(
            ore_tonnes=float(ore_q[k]),
            mean_grade=float(grade_q[k]),
            treo_tonnes=float(treo_q[k]),
            tree_tonnes=float(treo_q[k]) * cells.treo_to_tree,
        )
        for k in range(len(probabilities))
    ]

    top_depth = (
        os.path.basename(os.fspath(params.top_depth_raster))
        if params.top_depth_raster is not None
        else f"{float(params.top_depth):g} m"
    )
    return ExplorationTarget(
        low=case("low"),
        base=case("likely"),
        high=case("high"),
        p90=percentiles[0],
        p50=percentiles[1],
        p10=percentiles[2],
        ranges=ranges,
        density_is_factor=density_is_factor,
        draws=int(draws),
        seed=int(seed),
        grade_unit=cells.grade_unit,
        cutoff=cutoff,
        min_depth=cells.min_depth,
        max_depth=cells.max_depth,
        top_depth=str(top_depth),
        polygon_area_m2=float(cells.polygon_area_m2),
        data_coverage=float(cells.data_coverage),
        warnings=tuple(cells.warnings),
        treo_draws=treo,
        no_ore_share=float(1.0 - has_ore.mean()),
    )


def _figures(tonnes: float, metal: float, fraction: float, treo_to_tree: float) -> TargetFigures:
    treo = metal * fraction
    return TargetFigures(
        ore_tonnes=tonnes,
        mean_grade=metal / tonnes if tonnes > 0 else math.nan,
        treo_tonnes=treo,
        tree_tonnes=treo * treo_to_tree,
    )
