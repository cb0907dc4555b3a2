"""Inputs that fit a narrow dock: QGIS gives a dock about 360 px on a 1366 x 768 screen, and a form laid out
label beside field, or a combo as wide as its longest layer name, pushed fields off the dock's right edge."""

from __future__ import annotations

from typing import TypeVar

from qgis.gui import QgsMapLayerComboBox
from qgis.PyQt.QtWidgets import QComboBox, QFormLayout, QWidget

from ..layers import raster_layer_filter

#: Characters of a layer's name a combo asks room for; a longer name is cut with "…" (its tooltip has it whole).
COMBO_CHARACTERS = 12


def wrapping_form(parent: QWidget) -> QFormLayout:
    """A form whose fields grow with the dock, each under its label when the two do not fit side by side."""
    form = QFormLayout(parent)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    return form


#: The least width (px) a field of a dock's form shrinks to: a spin box still shows "10.00" and its arrows.
NARROWEST = 72

W = TypeVar("W", bound=QWidget)


def narrow(widget: W) -> W:
    """``widget`` able to shrink to ``NARROWEST`` (its size hint asks for room for its largest value or its
    clear button), a combo asking for the room of ``COMBO_CHARACTERS`` characters, not of its longest item."""
    if isinstance(widget, QComboBox):
        widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        widget.setMinimumContentsLength(COMBO_CHARACTERS)
    widget.setMinimumWidth(NARROWEST)
    return widget


def raster_combo(tooltip: str) -> QgsMapLayerComboBox:
    """The project's rasters, empty until chosen: a combo that picks the first raster by itself would change the
    inputs (and overwrite the project's) whenever a project loads its layers."""
    combo = QgsMapLayerComboBox()
    combo.setFilters(raster_layer_filter())
    combo.setAllowEmptyLayer(True)
    combo.setLayer(None)
    combo.setToolTip(tooltip)
    narrow(combo)
    return combo
