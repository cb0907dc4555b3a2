"""The depth window: how much of a cell's mineralised interval lies between a minimum and a maximum depth.

Thickness alone cannot say "how much lies within 300 m of surface" or "below 50 m of cover"; with the depth to
the top of mineralisation it can: the interval [top, top + thickness] (metres below surface) is cut to
[min_depth, max_depth], and what is left is the thickness that counts.
"""

from __future__ import annotations

import numpy as np


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
