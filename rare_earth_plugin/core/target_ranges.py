"""The uncertain inputs of an Exploration Target, each a triangular distribution (low, likely, high).

Defaults are ours (not from any code or guidance), documented wherever a target is shown and editable by the
user: bulk density 2.5 / 2.6 / 2.7 t/m³ (rhyolite 2.4-2.6, andesite 2.5-2.8), a thickness factor
0.8 / 1.0 / 1.2 on the thickness source and a grade factor 0.85 / 1.0 / 1.15 on every grade (about the ±20 %
grade bands of published targets).

With a constant density the density range replaces it; left unset, it is ±0.1 t/m³ around that constant
(±half of it below 0.2 t/m³).
With a density raster the range scales every cell by
``value / likely`` (the default: 0.962 / 1 / 1.038), so the raster's own pattern is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DENSITY_RANGE_NAME = "density range"
THICKNESS_FACTOR_NAME = "thickness factor range"
GRADE_FACTOR_NAME = "grade factor range"
#: The largest value a range takes (density in t/m³, factors).
RANGE_LIMIT = 1e6


class RangeError(ValueError):
    """A range the user gave that cannot be used; the message names it."""


@dataclass(frozen=True)
class Triangular:
    low: float
    likely: float
    high: float

    def checked(self, name: str, positive: bool = False) -> Triangular:
        """Itself, or ``RangeError`` naming ``name`` unless finite, >= 0 (> 0 if ``positive``), ordered and with a
        high value above 0."""
        values = (self.low, self.likely, self.high)
        try:
            if any(isinstance(value, (bool, np.bool_)) for value in values):  # float(True) is 1.0
                raise TypeError(values)
            numbers = tuple(float(value) for value in values)
        except (TypeError, ValueError):
            raise RangeError(f"{name}: not numbers ({values!r})") from None
        if not all(math.isfinite(value) for value in numbers):
            raise RangeError(f"{name}: every value must be a finite number, got {self.text()}")
        if numbers[0] < 0 or (positive and numbers[0] <= 0):
            raise RangeError(
                f"{name}: the low value must be {'above' if positive else 'at least'} 0, got {self.text()}"
            )
        if not numbers[0] <= numbers[1] <= numbers[2]:
            raise RangeError(f"{name}: give low ≤ likely ≤ high, got {self.text()}")
        if numbers[2] <= 0:  # a thickness factor of 0 throughout: every draw 0 t, blamed on the cut-off
            raise RangeError(f"{name}: the high value must be above 0 (no draw would count any ore), got {self.text()}")
        if numbers[2] > RANGE_LIMIT:  # the tonnes and grades it scales would overflow, and no input is near it
            raise RangeError(f"{name}: values above {RANGE_LIMIT:g} are not plausible, got {self.text()}")
        return Triangular(*numbers)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.low == self.high:  # numpy refuses a zero-width triangle
            return np.full(size, float(self.low))
        return rng.triangular(self.low, self.likely, self.high, size)

    def scaled(self, divisor: float) -> Triangular:
        return Triangular(self.low / divisor, self.likely / divisor, self.high / divisor)

    def text(self) -> str:
        """``low / likely / high`` as the user gave them, e.g. ``2.5 / 2.6 / 2.7``."""
        return " / ".join(
            f"{value:g}" if isinstance(value, (int, float)) else repr(value)
            for value in (self.low, self.likely, self.high)
        )

    def csv(self) -> str:
        """``low,likely,high``: the form the Processing parameters and the dock take."""
        return ",".join(f"{value:g}" for value in (self.low, self.likely, self.high))

    @classmethod
    def parse(cls, text: str | None, default: Triangular, name: str) -> Triangular:
        """``"low,likely,high"``; empty text gives ``default``. ``RangeError`` names ``name`` otherwise."""
        if text is None or not str(text).strip():
            return default
        items = [item.strip() for item in str(text).replace(";", ",").split(",")]
        if len(items) != 3:
            raise RangeError(f"{name}: give three numbers 'low,likely,high' (e.g. {default.csv()}), got '{text}'")
        values = []
        for item in items:
            try:
                if "_" in item:  # Python's float() reads 2_5 as 25: a typo, not a number a user writes
                    raise ValueError(item)
                values.append(float(item))
            except ValueError:
                raise RangeError(f"{name}: '{item}' is not a number (give e.g. {default.csv()})") from None
        return cls(*values)


DEFAULT_DENSITY = Triangular(2.5, 2.6, 2.7)
DEFAULT_THICKNESS_FACTOR = Triangular(0.8, 1.0, 1.2)
DEFAULT_GRADE_FACTOR = Triangular(0.85, 1.0, 1.15)


@dataclass(frozen=True)
class TargetRanges:
    """The three independent triangular inputs; ``checked()`` validates them, naming the one at fault."""

    density: Triangular = DEFAULT_DENSITY
    thickness_factor: Triangular = DEFAULT_THICKNESS_FACTOR
    grade_factor: Triangular = DEFAULT_GRADE_FACTOR

    def checked(
        self, names: tuple[str, str, str] = (DENSITY_RANGE_NAME, THICKNESS_FACTOR_NAME, GRADE_FACTOR_NAME)
    ) -> TargetRanges:
        """Validated copies; ``RangeError`` names the range at fault by ``names`` (e.g. parameter ids). A range
        given as three numbers ``(low, likely, high)`` is taken as its ``Triangular``."""
        return TargetRanges(
            _triangular(self.density, names[0]).checked(names[0], positive=True),
            _triangular(self.thickness_factor, names[1]).checked(names[1]),
            _triangular(self.grade_factor, names[2]).checked(names[2], positive=True),
        )

    @classmethod
    def parse(
        cls,
        density: str | None = None,
        thickness_factor: str | None = None,
        grade_factor: str | None = None,
        density_default: Triangular = DEFAULT_DENSITY,
        names: tuple[str, str, str] = (DENSITY_RANGE_NAME, THICKNESS_FACTOR_NAME, GRADE_FACTOR_NAME),
    ) -> TargetRanges:
        """Ranges from "low,likely,high" texts (empty: the default), checked."""
        return cls(
            Triangular.parse(density, density_default, names[0]),
            Triangular.parse(thickness_factor, DEFAULT_THICKNESS_FACTOR, names[1]),
            Triangular.parse(grade_factor, DEFAULT_GRADE_FACTOR, names[2]),
        ).checked(names)


def _triangular(value: object, name: str) -> Triangular:
    if isinstance(value, Triangular):
        return value
    if isinstance(value, (tuple, list)) and len(value) == 3:
        return Triangular(*value)
    raise RangeError(f"{name}: give a Triangular(low, likely, high) or three numbers, got {value!r}")


def default_density(constant: float | None = None) -> Triangular:
    """The density range used when none is given: 2.5 / 2.6 / 2.7 t/m³, i.e. ±0.1 t/m³ around the default
    2.60; around another constant density the user chose, the same ±0.1 t/m³, or ±half of it below 0.2 t/m³
    (so the base case keeps it whatever it is). A density of 0 has no range: ``RangeError``."""
    if constant is None or not math.isfinite(constant) or math.isclose(constant, DEFAULT_DENSITY.likely):
        return DEFAULT_DENSITY
    if constant <= 0:
        raise RangeError(
            f"density: a target needs a density above 0, got {constant:g} (every tonnage would be 0); "
            "give a density or a density range"
        )
    if constant < 0.2:
        return Triangular(constant / 2, float(constant), constant * 1.5)
    return Triangular(round(constant - 0.1, 6), float(constant), round(constant + 0.1, 6))
