"""The units of a CRS's axes, as the engine converts them: radians per unit of a geographic CRS, metres per unit
of a projected one (from the CRS's own axis definitions, so grads, feet and US survey feet count right)."""

from __future__ import annotations

import math

import pyproj


def angular_unit_factor(crs: pyproj.CRS) -> float:
    """Radians per unit of a geographic CRS's axes (degrees: pi/180)."""
    return _first_axis_factor(crs) or math.pi / 180.0


def linear_unit_factor(crs: pyproj.CRS) -> float:
    """Metres per unit of a projected CRS's first axis (1.0 when the CRS does not say)."""
    return _first_axis_factor(crs) or 1.0


def _first_axis_factor(crs: pyproj.CRS) -> float | None:
    axes = crs.axis_info
    factor = axes[0].unit_conversion_factor if axes else None
    return float(factor) if factor else None
