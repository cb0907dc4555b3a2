"""The engine's parameters, results and errors: what callers give and get back (see ``tonnage``)."""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Union

import numpy as np

from .units import DEFAULT_DENSITY, GRADE_UNITS, PERCENT, TREO_TO_TREE

PathInput = Union[str, "os.PathLike[str]"]


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

    @property
    def windowed(self) -> bool:
        """Whether a depth window (a minimum or a maximum depth) limits the thickness counted."""
        return self.min_depth is not None or self.max_depth is not None

    def validate(self) -> None:
        """Raise ``TonnageInputError`` naming the first parameter at fault, one parameter group at a time."""
        self._validate_grade()
        self._validate_material()
        self._validate_depth_window()
        self._validate_factors()

    def _validate_grade(self) -> None:
        """The grade raster's unit and band, and the cut-off in that unit."""
        if self.grade_unit not in GRADE_UNITS:
            raise TonnageInputError(
                f"grade_unit: unknown unit {self.grade_unit!r} (use one of {', '.join(GRADE_UNITS)})"
            )
        _check_number("cutoff", self.cutoff)
        if (
            isinstance(self.grade_band, bool)
            or not isinstance(self.grade_band, (int, np.integer))
            or self.grade_band < 1
        ):
            raise TonnageInputError(f"grade_band: must be a band number from 1, got {self.grade_band!r}")

    def _validate_material(self) -> None:
        """Density, thickness and the TREE factor; a constant is checked only where no raster replaces it."""
        if self.density_raster is None:
            _check_number("density", self.density)
        if (self.thickness is None) == (self.thickness_raster is None):
            raise TonnageInputError("thickness: give exactly one of a constant thickness or a thickness raster")
        if self.thickness is not None:
            _check_number("thickness", self.thickness)
        _check_number("treo_to_tree", self.treo_to_tree)

    def _validate_depth_window(self) -> None:
        """The top of mineralisation (unless a raster gives it) and a window whose ends, when both are given,
        are in order."""
        if self.top_depth_raster is None:
            _check_number("top_depth", self.top_depth)
        for name in ("min_depth", "max_depth"):
            if getattr(self, name) is not None:
                _check_number(name, getattr(self, name))
        if self.max_depth is not None and not float(self.max_depth) > 0:  # depths are below the surface
            raise TonnageInputError(
                f"max_depth: give a depth below the surface (above 0 m), got {self.max_depth!r}: a window that "
                "ends at the surface counts no ore"
            )
        if (
            self.min_depth is not None
            and self.max_depth is not None
            and not float(self.min_depth) < float(self.max_depth)
        ):
            raise TonnageInputError(
                f"min_depth: must be less than max_depth, got {self.min_depth!r} >= {self.max_depth!r}"
            )

    def _validate_factors(self) -> None:
        """The exploration-target range factors scale tonnes and grades, so each must be above zero."""
        for name in ("thickness_factor", "grade_factor"):
            _check_number(name, getattr(self, name))
            if float(getattr(self, name)) <= 0:
                raise TonnageInputError(f"{name}: must be > 0, got {getattr(self, name)!r}")


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

    @property
    def has_data(self) -> bool:
        """Whether some of the polygon held data in every raster: without any, its zero tonnes say nothing of
        its ore, and the outputs (``to_dict``, the files' fields, the report) give no figures."""
        return self.data_coverage > 0

    def known(self, name: str) -> float:
        """The figure ``name`` as every output shows it: NaN (no figure) for a figure of ore of an area without
        data (``ORE_FIGURES``)."""
        return math.nan if name in ORE_FIGURES and not self.has_data else float(getattr(self, name))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: floats, None for NaN or an infinite figure (warned as an overflow) and for
        every figure of ore of an area without data (``known``), a list of warnings."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key == "warnings":
                out[key] = list(value)
            else:
                number = self.known(key)
                out[key] = number if math.isfinite(number) else None
        return out


#: The figures of ``TonnageResult`` that say what ore an area holds: none for an area without data.
ORE_FIGURES = ("ore_area_m2", "ore_volume_m3", "ore_tonnes", "mean_grade", "treo_tonnes", "tree_tonnes")


class PolygonInputError(TonnageInputError):
    """A problem with one polygon (not with the rasters or parameters): a batch or a report can skip it."""


_PolygonError = PolygonInputError


def checked_params(params: Any) -> TonnageParams:
    """``params`` (None: the defaults) validated; anything but a ``TonnageParams`` is named, not raised raw."""
    if params is None:
        params = TonnageParams()
    elif not isinstance(params, TonnageParams):
        raise TonnageInputError(f"params: give a TonnageParams, got {type(params).__name__}")
    params.validate()
    return params


def _checked(params: TonnageParams | None, cutoffs: Sequence[float]) -> tuple[TonnageParams, np.ndarray]:
    params = checked_params(params)
    if isinstance(cutoffs, (str, bytes)) or not isinstance(cutoffs, Iterable):
        raise TonnageInputError(f"cutoffs: give a list of numbers, got {cutoffs!r}")
    values = list(cutoffs)
    if not values:
        raise TonnageInputError("cutoffs: give at least one cut-off")
    for value in values:  # each a number as the cut-off is (not "0.1", not a nested list)
        _check_number("cutoffs", value)
    return params, np.asarray(values, dtype=np.float64)


def _check_number(name: str, value: Any) -> None:
    # float(True) is 1.0 (a flag given for a number), and float("3.0") 3.0 for a text the engine would then
    # multiply by: only real numbers (Python's, numpy's) pass
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TonnageInputError(f"{name}: not a number ({value!r})")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TonnageInputError(f"{name}: not a number ({value!r})") from None
    if not math.isfinite(number) or number < 0:
        raise TonnageInputError(f"{name}: must be a finite number >= 0, got {value!r}")
