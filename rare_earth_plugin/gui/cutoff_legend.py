"""The grade layer's legend marks the cut-off the dock uses, and only that one.

A style with a fixed "(cut-off)" label contradicts the dock as soon as the user picks another cut-off; the
mark follows the choice instead, on the ramp entry equal to it (none when no entry is).
"""

from __future__ import annotations

import math

from qgis.core import QgsColorRampShader, QgsRasterLayer, QgsSingleBandPseudoColorRenderer

MARK = " (cut-off)"


def mark_cutoff(layer: QgsRasterLayer | None, cutoff: float) -> bool:
    """Move the mark to the entry at ``cutoff`` (in the layer's grade unit); True when the legend changed."""
    renderer = layer.renderer() if isinstance(layer, QgsRasterLayer) else None
    if not isinstance(renderer, QgsSingleBandPseudoColorRenderer) or renderer.shader() is None:
        return False
    function = renderer.shader().rasterShaderFunction()
    if not isinstance(function, QgsColorRampShader):
        return False
    items = function.colorRampItemList()
    changed = False
    for item in items:
        plain = item.label.replace(MARK, "")
        wanted = plain + MARK if math.isclose(item.value, cutoff, rel_tol=1e-9, abs_tol=1e-12) else plain
        if wanted != item.label:
            item.label, changed = wanted, True
    if changed:
        function.setColorRampItemList(items)
        layer.emitStyleChanged()
        layer.triggerRepaint()
    return changed
