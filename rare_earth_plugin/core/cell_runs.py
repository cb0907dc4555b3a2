"""Scattered cells of a tile (its edge cells) grouped into small blocks, so that work on them covers windows
round them, not the tile."""

from __future__ import annotations

import numpy as np


def blocks(rows: np.ndarray, cols: np.ndarray, size: int) -> list[np.ndarray]:
    """The indices of the cells (``rows``, ``cols``) in each square block of ``size`` x ``size`` cells that holds
    any, in the order of the blocks (row-major)."""
    across = int(cols.max()) // size + 1
    key = (rows // size) * across + cols // size
    order = np.argsort(key, kind="stable")
    starts = np.flatnonzero(np.diff(key[order])) + 1
    return np.split(order, starts)
