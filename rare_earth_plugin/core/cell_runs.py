"""Cells grouped into bands of whole rows, so that work on a few scattered cells of a tile (its edge cells)
covers small windows, not the tile."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def bands(rows: np.ndarray, cols: np.ndarray, most: int) -> Iterator[tuple[int, int]]:
    """Runs ``lo:hi`` of cells given in row-major order (their ``rows`` and ``cols``), whole rows each, whose
    bounding box holds at most ``most`` cells (or a single row)."""
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    lows, highs = np.minimum.reduceat(cols, starts), np.maximum.reduceat(cols, starts)
    first, low, high = 0, lows[0], highs[0]
    for i in range(1, starts.size):
        joined_low, joined_high = min(low, lows[i]), max(high, highs[i])
        if (rows[starts[i]] - rows[starts[first]] + 1) * (joined_high - joined_low + 1) > most:
            yield int(starts[first]), int(starts[i])
            first, low, high = i, lows[i], highs[i]
        else:
            low, high = joined_low, joined_high
    yield int(starts[first]), int(rows.size)
