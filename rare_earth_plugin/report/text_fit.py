"""Text fitted to a layout item's box, measured as QGIS lays it out: one-line labels cut with "…", and the
height of wrapped text (so a long name or statement cannot run off its slot or push lines out of its box)."""

from __future__ import annotations

from qgis.core import QgsLayoutItemLabel, QgsLayoutUtils
from qgis.PyQt.QtCore import QRectF, Qt
from qgis.PyQt.QtGui import QFont, QFontMetricsF

from .texts import one_line

#: Layout text is laid out at this many font pixels per millimetre (QgsLayoutUtils' FONT_WORKAROUND_SCALE).
FONT_PIXELS_PER_MM = 10.0
#: Text is fitted this much (mm) narrower than its box: screen and PDF font metrics differ a little, and a line
#: measured to the last tenth of a millimetre could still wrap when printed.
TEXT_ALLOWANCE_MM = 1.0
ELLIPSIS = "…"


def text_width_mm(label: QgsLayoutItemLabel) -> float:
    """The width a label's text is fitted to: its box less its margins and ``TEXT_ALLOWANCE_MM``."""
    return label.rect().width() - 2.0 * label.marginX() - TEXT_ALLOWANCE_MM


def elided(text: str, font: QFont, width_mm: float) -> str:
    """``text`` on one line, cut with "…" to ``width_mm`` as the layout measures ``font``: a long name or title
    stays in its slot instead of running off the page or over the item below it."""
    line = one_line(text)
    if QgsLayoutUtils.textWidthMM(font, line) <= width_mm:
        return line
    low, high = 0, len(line)  # the longest start of the line that fits with the ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        if QgsLayoutUtils.textWidthMM(font, line[:middle].rstrip() + ELLIPSIS) <= width_mm:
            low = middle
        else:
            high = middle - 1
    return line[:low].rstrip() + ELLIPSIS


def text_height_mm(text: str, font: QFont, width_mm: float) -> float:
    """Height of ``text`` wrapped at word ends to ``width_mm``, as a layout label draws it."""
    metrics = QFontMetricsF(QgsLayoutUtils.scaledFontPixelSize(font))
    box = QRectF(0.0, 0.0, width_mm * FONT_PIXELS_PER_MM, 1e9)
    return metrics.boundingRect(box, Qt.TextFlag.TextWordWrap, text).height() / FONT_PIXELS_PER_MM
