"""How figures read everywhere (dock, clipboard, report, CSV, demo): units, decimals, the missing-value mark.

One policy, so the same area shows the same numbers wherever it appears. Decimals follow what the estimate can
support: three significant figures of ore and contained TREO (conceptual targets) down to a tonne, 0.01 km²,
0.001 % grade (= 10 ppm). The CSV and GeoPackage keep full precision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from .units import PERCENT, PPM, UNIT_LABELS

if TYPE_CHECKING:  # annotations only: reading figures needs no rasterio
    from .tonnage import TonnageResult

#: Printed where there is no number: no ore (so no mean grade), no result yet, NaN.
MISSING = "–"

#: What ``plain_text`` takes out of a user's text: control characters (a tab or carriage return becomes a space,
#: a line break stays), and Unicode's direction embeddings, overrides and isolates (LRE-RLO, LRI-PDI), which are
#: invisible and can show the words and figures after them in reverse order ("2.5 Mt" as "tM 5.2").
_NOT_PRINTED = {
    **dict.fromkeys([*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]),
    ord("\t"): " ",
    ord("\r"): " ",
    ord("\n"): "\n",
}


def plain_text(text: str) -> str:
    """A user's free text as printed beside figures (``_NOT_PRINTED``); right-to-left scripts still read as
    written, which needs no controls."""
    return str(text).replace("\r\n", "\n").translate(_NOT_PRINTED)


def number(value: float | None, decimals: int) -> str:
    """``value`` with thousands separators, or ``MISSING`` for None, NaN and infinity."""
    if value is None or not math.isfinite(value):
        return MISSING
    return f"{value:,.{decimals}f}"


def _digits(value: float, figures: int) -> int:
    """Decimal places (negative: tens, hundreds…) that keep ``figures`` significant figures of ``value`` ≠ 0."""
    return figures - 1 - math.floor(math.log10(abs(value)))


def half_up(value: float, decimals: int) -> Decimal:
    """``value`` rounded half up at ``decimals`` places (negative: tens, hundreds…) as it reads, its shortest
    repr: half a tonne is 5e-07 Mt and 0.0005 kt, one just below half and one just above in binary; both round
    up, so every unit agrees. A value with more digits than a figure shows (1e30 to 2 decimals) is kept whole."""
    exact = Decimal(repr(float(value)))
    try:
        return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return exact


def significant(value: float, figures: int) -> str:
    """``value`` rounded half up to ``figures`` significant figures, with thousands separators: 26,829.66 ->
    "26,800", 388.9 -> "389", 0.6512 -> "0.651", 0.1255 -> "0.126" (as in every unit)."""
    digits = _digits(value, figures)
    rounded = half_up(value, digits)
    if rounded and math.floor(math.log10(abs(rounded))) > math.floor(math.log10(abs(value))):
        digits -= 1  # 999.6 rounds up to 1,000: one digit fewer after the point
    return f"{rounded:,.{max(digits, 0)}f}"


def decimals_for(low: float, high: float, figures: int = 3) -> int:
    """Decimal places that show the larger end of ``[low, high]`` to ``figures`` significant figures (a colour
    bar from 0 to 0.237076 reads "0 … 0.237"); 0 for an empty or non-finite range."""
    largest = max(abs(low), abs(high)) if math.isfinite(low) and math.isfinite(high) else 0.0
    if largest == 0.0:
        return 0
    return max(_digits(largest, figures), 0)


@dataclass(frozen=True)
class Quantity:
    """A figure as users read it: ``unit``, ``decimals``, and ``shown = engine value × 10**power``.

    A power of ten rather than a factor: dividing by 1e6 (not multiplying by 1e-6) keeps round engine values
    round in the full-precision CSV.
    """

    unit: str
    decimals: int
    power: int = 0
    #: When set, shown to this many significant figures instead (``decimals`` then only caps nothing): the
    #: usual for conceptual targets, whose tonnes are not known to more digits.
    significant: int = 0
    #: With ``significant``: the most decimals shown (a tonne, in Mt or kt). A smaller figure, a sliver of a
    #: cell, reads "< 0.000001" rather than 0.00000000000167.
    finest: int | None = None

    def convert(self, engine_value: float) -> float:
        """The engine's value (m², t, 0-1 fraction, grade unit) in this quantity's unit."""
        if self.power < 0:
            return engine_value / 10**-self.power
        return engine_value * 10**self.power

    def text(self, value: float | None, spreadsheet: bool = False) -> str:
        """``value`` already in this quantity's unit, as printed; ``spreadsheet``: a number a spreadsheet reads
        (no "< 0.000001", which is text to it)."""
        if self.significant and value is not None and math.isfinite(value):
            if value == 0:  # no significant figures: "0", the same in every unit (not "0.00" Mt beside "0.0" kt)
                return "0"
            if spreadsheet or self.finest is None or _digits(value, self.significant) <= self.finest:
                return significant(value, self.significant)
            rounded = half_up(value, self.finest)
            return self.less_than_finest() if rounded == 0 else f"{rounded:,.{self.finest}f}"
        if not spreadsheet and value is not None and value > 0 and half_up(value, self.decimals) == 0:
            return f"< {10.0**-self.decimals:.{max(self.decimals, 0)}f}"  # 100 m² is not "0.00" km²
        return number(value, self.decimals)

    def shows_nothing(self, value: float) -> bool:
        """Whether ``value`` rounds to 0 at the finest decimals shown (less than half a tonne, in Mt or kt)."""
        return self.finest is not None and half_up(abs(value), self.finest) == 0

    def less_than_finest(self) -> str:
        """What a figure that shows nothing reads: "< 0.000001" (Mt)."""
        return f"< {10.0 ** -(self.finest or 0):.{self.finest or 0}f}"

    def engine_text(self, engine_value: float | None, spreadsheet: bool = False) -> str:
        return self.text(None if engine_value is None else self.convert(engine_value), spreadsheet)


AREA = Quantity("km²", 2, -6)  # from m²
ORE = Quantity("Mt", 2, -6, significant=3, finest=6)  # from t
CONTAINED = Quantity("kt", 1, -3, significant=3, finest=3)  # TREO and TREE, from t
COVERAGE = Quantity("%", 1, 2)  # from a 0-1 fraction
#: Mean grades: 3 decimals in %, whole numbers in ppm (the same precision: 0.001 % = 10 ppm).
GRADE = {PERCENT: Quantity(UNIT_LABELS[PERCENT], 3), PPM: Quantity(UNIT_LABELS[PPM], 0)}
#: Standard cut-offs (0.02 %, 0.05 %, ... 0.20 %); a cut-off the user types prints with ``GRADE`` precision.
CUTOFF = {PERCENT: Quantity(UNIT_LABELS[PERCENT], 2), PPM: Quantity(UNIT_LABELS[PPM], 0)}


def unit_label(unit: str) -> str:
    """The label users see for a grade unit ("%", "ppm"); an unknown unit shows as itself."""
    return UNIT_LABELS.get(unit, unit)


def km2(area_m2: float | None) -> str:
    return AREA.engine_text(area_m2)


def mt(tonnes: float | None) -> str:
    return ORE.engine_text(tonnes)


def kt(tonnes: float | None) -> str:
    return CONTAINED.engine_text(tonnes)


def coverage(fraction: float | None) -> str:
    return COVERAGE.engine_text(fraction)


def grade(value: float | None, unit: str) -> str:
    return GRADE[unit].text(value)


def cutoff(value: float | None, unit: str) -> str:
    return CUTOFF[unit].text(value)


def figures_table(name: str, results: Sequence[TonnageResult], unit: str) -> str:
    """The dock's figures for the clipboard: tab-separated rows with a header, one per cut-off; no thousands
    separators, so spreadsheets read numbers (a sliver's 0.00000000000167 too, not "< 0.000001"). Cut-offs keep
    grade precision: the curve's fine steps and a typed cut-off need it."""
    label = unit_label(unit)
    header = (
        "Area",
        f"Cut-off ({label})",
        f"Area ({AREA.unit})",
        f"Ore ({ORE.unit})",
        f"Mean grade ({label})",
        f"TREO ({CONTAINED.unit})",
        f"TREE ({CONTAINED.unit})",
        f"Data coverage ({COVERAGE.unit})",
    )
    lines = ["\t".join(header)]
    for result in results:
        cells = (
            name,
            GRADE[unit].text(result.cutoff, spreadsheet=True),
            AREA.engine_text(result.polygon_area_m2, spreadsheet=True),
            ORE.engine_text(result.known("ore_tonnes"), spreadsheet=True),
            GRADE[unit].text(result.known("mean_grade"), spreadsheet=True),
            CONTAINED.engine_text(result.known("treo_tonnes"), spreadsheet=True),
            CONTAINED.engine_text(result.known("tree_tonnes"), spreadsheet=True),
            COVERAGE.engine_text(result.data_coverage, spreadsheet=True),
        )
        lines.append("\t".join(cell.replace(",", "") for cell in cells))
    return "\n".join(lines) + "\n"
