"""The depth window: how much of a cell's mineralised interval lies between a minimum and a maximum depth.

Thickness alone cannot say "how much lies within 300 m of surface" or "below 50 m of cover"; with the depth to
the top of mineralisation it can: the interval [top, top + thickness] (metres below surface) is cut to
[min_depth, max_depth], and what is left is the thickness that counts.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .tonnage_types import TonnageParams


def counted_thickness(top, thickness, min_depth: float | None = None, max_depth: float | None = None) -> np.ndarray:
    """Length of the overlap of [top, top + thickness] with [min_depth, max_depth] (None: unbounded), >= 0.

    ``top`` and ``thickness`` are scalars or arrays that broadcast together; NaN stays NaN (missing data).
    """
    top = np.asarray(top, dtype=np.float64)
    upper = top
    lower = top + np.asarray(thickness, dtype=np.float64)
    if min_depth is not None:
        upper = np.maximum(upper, float(min_depth))
    if max_depth is not None:
        lower = np.minimum(lower, float(max_depth))
    length = lower - upper
    return np.where(length > 0.0, length, np.where(np.isnan(length), np.nan, 0.0))


def top_depth_text(params: TonnageParams) -> str:
    """The top of mineralisation as the outputs name it: "0 m", "12.5 m" or the top-depth raster's file name."""
    if params.top_depth_raster is not None:
        return os.path.basename(os.fspath(params.top_depth_raster))
    return f"{float(params.top_depth):g} m"


def depth_window_text(top: str, low: float | None, high: float | None) -> str:
    """The depth window in words (a target's ``target_text.window_text``, an estimate's warning), from the top
    of mineralisation (as ``top_depth_text`` names it) and the depth limits."""
    if low is None and high is None:
        limits = "all of the thickness counted (no depth limits)"
    elif high is None:
        limits = f"counted below {low:g} m depth"
    elif low is None:
        limits = f"counted to {high:g} m depth"
    else:
        limits = f"counted between {low:g} m and {high:g} m depth"
    return f"top of mineralisation {top} below surface; {limits}"
