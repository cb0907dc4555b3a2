"""Per-cut-off sums of the covered cells as tiles stream past, and the results built from them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .tonnage_types import TonnageResult


@dataclass(frozen=True)
class _Cells:
    """The covered cells of one tile with valid data (1-D), or scalars for constant quantities."""

    area: np.ndarray  # covered ground area, in units of ``cell_area`` m2
    grade: np.ndarray  # physical grade (the raster's own type when it has no scale or offset)
    thickness: np.ndarray | float  # physical thickness, before thickness_factor and the window
    density: np.ndarray | float
    top: np.ndarray | float


class _Totals:
    """Sums over the cells whose grade reaches each of the sorted cut-offs."""

    def __init__(self, cutoffs: int):
        # Annotated loosely: numpy 2.2's stubs give zeros() a 1-D shape type that products then fail to match.
        self.area: np.ndarray = np.zeros(cutoffs)
        self.volume: np.ndarray = np.zeros(cutoffs)
        self.tonnes: np.ndarray = np.zeros(cutoffs)
        self.metal: np.ndarray = np.zeros(cutoffs)  # sum of tonnes x grade (grade unit)
        self.polygon_area = 0.0
        self.inside_area = 0.0
        self.covered_area = 0.0
        self.zero_area = 0.0  # covered area with a thickness or density of 0
        #: The largest grade, thickness and density of the cells with data (``plausible``): -inf before any.
        self.peaks = {"grade": -math.inf, "thickness": -math.inf, "density": -math.inf}
        self.warnings: list[str] = []

    def coverage(self) -> float:
        return min(self.covered_area / self.polygon_area, 1.0) if self.polygon_area > 0 else 0.0

    def result(self, rank: int, cutoff: float, fraction: float, treo_to_tree: float) -> TonnageResult:
        def above(values: np.ndarray) -> float:
            return float(values[rank])

        tonnes, metal = above(self.tonnes), above(self.metal)
        treo = metal * fraction
        return TonnageResult(
            polygon_area_m2=float(self.polygon_area),
            covered_area_m2=float(self.covered_area),
            ore_area_m2=above(self.area),
            ore_volume_m3=above(self.volume),
            ore_tonnes=tonnes,
            mean_grade=metal / tonnes if tonnes > 0 else float("nan"),
            treo_tonnes=treo,
            tree_tonnes=treo * treo_to_tree,
            data_coverage=float(self.coverage()),
            cutoff=cutoff,
            warnings=tuple(self.warnings),
        )


#: The warning for figures beyond floating point (a thickness of 1e308 m, or undeclared nodata of 3.4e38).
OVERFLOW_WARNING = (
    "The figures overflow (infinite): a thickness, density or grade this large is not physical; check the values "
    "and their units, and that each raster declares its nodata"
)


def overflowed(*values: np.ndarray | float) -> bool:
    """Whether any of the sums is infinite or NaN."""
    return not all(bool(np.isfinite(value).all()) for value in values)


def at_least(threshold: float, dtype: np.dtype) -> np.floating:
    """The smallest value of the grades' floating type at or above ``threshold``: ``grade >= at_least(t)`` is
    ``grade >= t`` exactly, whatever numpy's rules for comparing a float32 array with a float64 scalar (numpy 1
    compares in float32, numpy 2 in float64)."""
    kind = np.dtype(dtype) if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)
    with np.errstate(over="ignore"):  # beyond the type's range: inf, which no finite grade reaches
        value = kind.type(threshold)
    return np.nextafter(value, kind.type(np.inf)) if float(value) < threshold else value


#: Up to this many cut-offs a comparison and a dot product per cut-off beat binning with searchsorted.
_COMPARE_CUTOFFS = 8


def _sums_above(
    cuts: np.ndarray, grade: np.ndarray, values: list[np.ndarray], tonnes: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """Sums of each array in ``values``, and of tonnes x grade, over the cells whose grade reaches each sorted
    cut-off.

    Products and masks are summed by einsum without building them (a 2-million-cell tile would otherwise
    allocate, and page-fault in, tens of MB per cut-off) and without BLAS, whose threads would fight the
    reader thread."""
    if cuts.size > _COMPARE_CUTOFFS:
        bins = np.searchsorted(cuts, grade, side="right")  # how many cut-offs each grade reaches
        return (
            [_reverse_cumsum(np.bincount(bins, weights=value, minlength=cuts.size + 1)) for value in values],
            _reverse_cumsum(np.bincount(bins, weights=tonnes * grade, minlength=cuts.size + 1)),
        )
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


def _percent(fraction: float) -> str:
    """A percentage with enough decimals that a value just short of 100 (or just above 0) does not print as
    100.0 (0.0); exactly 100 or 0 prints as such."""
    value = fraction * 100.0
    if value in (0.0, 100.0):
        return f"{value:.1f}"
    for digits in (1, 2, 3, 4):
        text = f"{value:.{digits}f}"
        if float(text) not in (0.0, 100.0):
            return text
    return f"{value:.4f}"
