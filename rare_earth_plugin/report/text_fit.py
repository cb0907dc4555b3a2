"""Text fitted to a layout item's box, measured as QGIS lays it out: one-line labels cut with "…", table cells
wrapped to their column in a few lines, and the height of wrapped text (so a long name or statement cannot run
off its slot, out of its cell or push lines out of its box)."""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import QgsLayoutItemLabel, QgsLayoutUtils
from qgis.PyQt.QtCore import QRectF, Qt
from qgis.PyQt.QtGui import QFont, QFontMetricsF

from ..qgis_compat import label_font, set_label_font
from .texts import ELLIPSIS, one_line

#: Layout text is laid out at this many font pixels per millimetre (QgsLayoutUtils' FONT_WORKAROUND_SCALE).
FONT_PIXELS_PER_MM = 10.0
#: Text is fitted this much (mm) narrower than its box: screen and PDF font metrics differ a little, and a line
#: measured to the last tenth of a millimetre could still wrap when printed.
TEXT_ALLOWANCE_MM = 1.0
#: Lines a table cell of set width may take: a long name is cut with "…" on its last line (its area page and
#: the CSV give it whole), so the other areas keep their rows.
CELL_LINES = 3


def text_width_mm(label: QgsLayoutItemLabel) -> float:
    """The width a label's text is fitted to: its box less its margins and ``TEXT_ALLOWANCE_MM``."""
    return label.rect().width() - 2.0 * label.marginX() - TEXT_ALLOWANCE_MM


def elided(text: str, font: QFont, width_mm: float) -> str:
    """``text`` on one line, cut with "…" to ``width_mm`` as the layout measures ``font``: a long name or title
    stays in its slot instead of running off the page or over the item below it."""
    line = one_line(text)
    if QgsLayoutUtils.textWidthMM(font, line) <= width_mm:
        return line
    cut = _longest_start(line, lambda start: QgsLayoutUtils.textWidthMM(font, start.rstrip() + ELLIPSIS) <= width_mm)
    return line[:cut].rstrip() + ELLIPSIS


def fit_line_font(label: QgsLayoutItemLabel, text: str, smallest: float) -> None:
    """Shrink ``label``'s font (0.25 pt a step, down to ``smallest``) until ``text`` fits its width on one line:
    a long area name or title is read whole in a smaller type before any of it is cut."""
    width = text_width_mm(label)
    line = one_line(text)
    _shrink_until(label, smallest, lambda font: QgsLayoutUtils.textWidthMM(font, line) <= width)


def cell_lines(text: str, font: QFont, width_mm: float, max_lines: int = CELL_LINES) -> str:
    """``text`` wrapped to ``width_mm`` as the layout measures ``font``, at spaces and, for a word too long for
    the width, inside it; at most ``max_lines`` lines, the last cut with "…". A table wraps its cells at spaces
    only, so a long name without one (``Kuirektykol_North_Extension``) was clipped by its column, and a long
    one with spaces took as many lines as it needed, leaving no room for the other areas' rows."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            joined = f"{line} {word}" if line else word
            if QgsLayoutUtils.textWidthMM(font, joined) <= width_mm:
                line = joined
                continue
            if line:
                lines.append(line)
            while len(word) > 1 and QgsLayoutUtils.textWidthMM(font, word) > width_mm:
                cut = _longest_start(word, lambda start: QgsLayoutUtils.textWidthMM(font, start) <= width_mm, least=1)
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    if len(lines) > max_lines:
        lines[max_lines - 1] = elided(" ".join(lines[max_lines - 1 :]), font, width_mm)
    return "\n".join(lines[:max_lines])


def _longest_start(text: str, fits: Callable[[str], bool], least: int = 0) -> int:
    """The length of the longest start of ``text``, shorter than all of it, that ``fits`` (by binary search, as
    ``fits`` holds for the shorter starts of one that does); ``least`` when none does."""
    low, high = least, len(text) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle]):
            low = middle
        else:
            high = middle - 1
    return low


def text_height_mm(text: str, font: QFont, width_mm: float) -> float:
    """Height of ``text`` wrapped at word ends to ``width_mm``, as a layout label draws it."""
    metrics = QFontMetricsF(QgsLayoutUtils.scaledFontPixelSize(font))
    box = QRectF(0.0, 0.0, width_mm * FONT_PIXELS_PER_MM, 1e9)
    return metrics.boundingRect(box, Qt.TextFlag.TextWordWrap, text).height() / FONT_PIXELS_PER_MM


#: The smallest font (points) ``fit_font`` shrinks a label's text to.
SMALLEST_POINTS = 5.0


def fit_font(label: QgsLayoutItemLabel, text: str, smallest: float = SMALLEST_POINTS) -> bool:
    """Shrink ``label``'s font (0.25 pt a step, down to ``smallest``) until ``text`` fits its box: a block of
    lines that grows with the inputs (assumptions with a depth window and a target's ranges) keeps its last
    lines rather than losing them off the box's foot. Whether it fits."""
    width = text_width_mm(label)
    height = label.rect().height() - 2.0 * label.marginY()
    return _shrink_until(label, smallest, lambda font: text_height_mm(text, font, width) <= height)


def _shrink_until(label: QgsLayoutItemLabel, smallest: float, fits: Callable[[QFont], bool]) -> bool:
    """Shrink ``label``'s font 0.25 pt a step, down to ``smallest``, until ``fits`` holds for it; whether it
    does at the size kept."""
    font = label_font(label)
    size = font.pointSizeF()
    while size - 0.25 >= smallest and not fits(font):
        size -= 0.25
        font.setPointSizeF(size)
    if size != label_font(label).pointSizeF():
        set_label_font(label, font)
    return fits(font)
