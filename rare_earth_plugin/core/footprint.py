"""Where a finer auxiliary raster holds data within a tile's grade cells: what a grade cell counts where the
raster's data end inside it."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from rasterio.transform import Affine
from rasterio.warp import reproject

from . import affine_ops
from .coverage import CellCoverage

#: Maps pixel coordinates (columns, rows) of one grid to another's (a source window's to the tile's, or back).
ToTile = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

#: The most each side of a grade cell is cut into to find where in it the data and the polygon lie together,
#: and how finely a grade cell is sampled where a raster's cells do not lie along its rows and columns.
MAX_REFINEMENT = 16
#: The most parts a side of a grade cell is cut into so that their lines hold an aligned raster's cells' lines.
MAX_ALIGNED_REFINEMENT = 64
#: Parts of cells worked out at once (about 8 MB for each array).
SAMPLED_CELLS = 1 << 20
#: How finely, in turn, a cell is sampled for its value until some sample holds data (a sliver 1/256 of a cell
#: wide may still be missed: its share is left without a value, as missing data).
SAMPLINGS = (MAX_REFINEMENT, 4 * MAX_REFINEMENT, 16 * MAX_REFINEMENT)


class DataFootprint:
    """A finer raster's values and validity (1 where it holds data) round one tile as read, and where the warper
    places them.

    ``share`` is the share of each grade cell that holds data; where it lies within a cell is asked of
    ``share_in``, on the cells cut into ``refinement`` x ``refinement`` (about the raster's own cells): a cell
    the polygon covers in part counts the part of its covered part that holds data, which neither share alone
    says (the polygon may lie beside the data, inside it, or in a hole of it).

    GDAL's average is exact only where the raster's cells lie along the grade grid's rows and columns. Over a
    rotated or reprojected raster (``sampled``) it found 0 in a cell 0.32 of which holds data, and 1 beside it (a
    data edge at 45 degrees). There the shares are the coverage of the boundary of the cells with data, brought
    onto the tile, as a polygon's; and a cell with data that the average left without a value takes it at the
    centres of its ``MAX_REFINEMENT`` x ``MAX_REFINEMENT`` parts that hold data (the average's value stands
    elsewhere: sampling every edge cell of a raster with scattered gaps took a minute)."""

    def __init__(self, tile_transform: Affine, shape: tuple[int, int], refinement: int, sampled: bool):
        self.tile_transform = tile_transform
        self.shape = shape
        self.sampled = sampled
        self.refinement = MAX_REFINEMENT if sampled else refinement
        self._placed: list[_Placement] = []
        self.share = np.zeros(shape)

    def add(
        self,
        source: np.ndarray,
        warp: dict[str, Any],
        cells: tuple[int, int, int, int],
        maps: tuple[ToTile, ToTile] | None = None,
        alone: bool = False,
    ) -> None:
        """One source window's values (NaN: no data) placed by ``warp`` on the tile's cells (row0, row1, col0,
        col1); ``maps``: its pixel coordinates to the tile's and back, where they are not ``warp``'s affine
        transforms (another CRS). ``alone``: the only window those cells draw on (it holds them all), so where it
        holds data throughout, every one of them holds data wholly, with nothing to work out."""
        valid = ~np.isnan(source)
        placement = _Placement(source if self.sampled else None, valid.view(np.uint8), warp, cells)
        placement.whole = alone and bool(valid.all())
        if self.sampled:
            straight = maps is None  # one CRS: the affine transforms keep runs of cell sides straight
            if maps is None:
                to_tile = affine_ops.compose(~self.tile_transform, warp["src_transform"])
                from_tile = ~to_tile
                maps = (
                    lambda cols, rows: affine_ops.apply(to_tile, cols, rows),
                    lambda cols, rows: affine_ops.apply(from_tile, cols, rows),
                )
            if not placement.whole:  # its outline: the costly part
                placement.outline = _boundary(valid, maps[0], straight)
            placement.from_tile = maps[1]
        self._placed.append(placement)

    def measure(self, values: np.ndarray, mean: Callable[[], np.ndarray] | None = None) -> None:
        """Work out ``share``; ``values`` then hold data exactly where the cells do: none where they hold none,
        and where they hold some, ``values``, else ``mean()`` (the raster's mean over each cell, asked only when
        some cell needs it), else the mean of its values at the centres of the cell's parts (``sampled``: the
        average left some without one). Forget what was read where every cell is whole or empty."""
        share = self.share = self.share_in(0, self.shape[0], 0, self.shape[1], 1)
        values[share == 0.0] = np.nan
        gaps = (share > 0.0) & np.isnan(values)
        if mean is not None and gaps.any():
            filled = mean()
            values[gaps] = filled[gaps]
            gaps &= np.isnan(values)
            if self.sampled and gaps.any():  # GDAL's mean over a reprojected coarser raster misses many
                _from_neighbours(values, gaps)
        if self.sampled and gaps.any():
            self._sample(values, gaps)
        if not ((share > 0.0) & (share < 1.0)).any():
            self._placed = []

    def _sample(self, values: np.ndarray, cells: np.ndarray) -> None:
        """``values`` of ``cells``: the mean of the raster's values at the centres of their k x k parts that hold
        data; cells with data only between the centres (a sliver along a side) are sampled again, more finely."""
        rows, cols = np.nonzero(cells)
        for k in SAMPLINGS:
            centres = (np.arange(k) + 0.5) / k
            for placement in self._placed:
                r0, r1, c0, c1 = placement.cells
                mine = np.flatnonzero((rows >= r0) & (rows < r1) & (cols >= c0) & (cols < c1))
                for chunk in np.array_split(mine, max(1, math.ceil(mine.size * k * k / SAMPLED_CELLS))):
                    if not chunk.size:
                        continue
                    x = (cols[chunk][:, None, None] + centres[None, None, :]) + np.zeros((1, k, 1))
                    y = (rows[chunk][:, None, None] + centres[None, :, None]) + np.zeros((1, 1, k))
                    found = placement.values_at(x.ravel(), y.ravel()).reshape(chunk.size, k * k)
                    have = np.count_nonzero(~np.isnan(found), axis=1)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        mean = np.nansum(found, axis=1) / have
                    at = (rows[chunk], cols[chunk])
                    values[at] = np.where(np.isnan(values[at]) & (have > 0), mean, values[at])
            left = np.isnan(values[rows, cols])
            rows, cols = rows[left], cols[left]
            if not rows.size:
                return

    @property
    def partial(self) -> bool:
        """Whether some cell holds data in part."""
        return bool(self._placed)

    def share_in(self, row0: int, row1: int, col0: int, col1: int, factor: int) -> np.ndarray:
        """The share holding data of each cell of the tile's rows ``row0:row1`` and columns ``col0:col1``, each
        cell cut into ``factor`` x ``factor``."""
        return self.share_of_parts(row0 * factor, row1 * factor, col0 * factor, col1 * factor, factor)

    def share_of_parts(self, row0: int, row1: int, col0: int, col1: int, factor: int) -> np.ndarray:
        """The share holding data of each part of the tile's cells cut into ``factor`` x ``factor``, of the parts'
        rows ``row0:row1`` and columns ``col0:col1`` (counted in parts). Each placement answers for the cells it
        was read for (its window holds their surroundings); where several do, the largest share."""
        out = np.zeros((row1 - row0, col1 - col0))
        step = Affine.scale(1.0 / factor)
        for placement in self._placed:
            r0, r1, c0, c1 = (end * factor for end in placement.cells)
            a0, a1, b0, b1 = max(row0, r0), min(row1, r1), max(col0, c0), min(col1, c1)
            if a0 >= a1 or b0 >= b1:
                continue
            part = out[a0 - row0 : a1 - row0, b0 - col0 : b1 - col0]
            if placement.whole:
                part[...] = 1.0
                continue
            if self.sampled:
                assert placement.outline is not None
                outline = placement.outline.within_rows(a0 // factor, -(-a1 // factor), factor)
                placed = outline.fractions(a0, a1, b0, b1)
            else:
                placed = np.full(part.shape, np.nan)
                at = affine_ops.compose(self.tile_transform, affine_ops.compose(step, Affine.translation(b0, a0)))
                reproject(placement.valid, placed, src_nodata=None, dst_transform=at, **placement.warp)
            np.fmax(part, placed, out=part)
        return np.minimum(out, 1.0, out=out)


def _from_neighbours(values: np.ndarray, gaps: np.ndarray) -> None:
    """``values`` of the ``gaps`` (cells with data whose centre has none, of a raster coarser than them) from
    the cells round each that have one: their data reach in from there. Sampling each at 16 x 16 points through
    PROJ took 26 times as long as the whole estimate had. ``gaps`` is left marking those still without one."""
    rows, cols = np.nonzero(gaps)
    padded = np.pad(values, 1, constant_values=np.nan)
    around = np.stack([padded[rows + 1 + dr, cols + 1 + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)])
    have = np.count_nonzero(~np.isnan(around), axis=0)
    found = have > 0
    with np.errstate(invalid="ignore"):
        values[rows[found], cols[found]] = np.nansum(around[:, found], axis=0) / have[found]
    gaps[rows[found], cols[found]] = False


@dataclass
class _Placement:
    """A source window as read and where it goes: its validity, the warp's arguments but the destination grid,
    the tile's cells it answers for (row0, row1, col0, col1); ``sampled``, its values (NaN: no data), the
    outline of its data on the tile's cells, and the map from the tile's pixel coordinates to its own."""

    source: np.ndarray | None
    valid: np.ndarray
    warp: dict[str, Any]
    cells: tuple[int, int, int, int]
    outline: CellCoverage | None = None
    from_tile: ToTile | None = None
    whole: bool = False  # data throughout, and the only window of its cells

    def values_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The values of the source cells holding points of the tile (pixel coordinates): NaN off the window."""
        assert self.from_tile is not None and self.source is not None
        col, row = (np.floor(np.asarray(v, dtype=np.float64)) for v in self.from_tile(x, y))
        height, width = self.source.shape
        inside = (col >= 0) & (row >= 0) & (col < width) & (row < height)  # NaN: outside
        found = np.full(col.shape, np.nan)
        found[inside] = self.source[row[inside].astype(np.intp), col[inside].astype(np.intp)]
        return found


def _boundary(valid: np.ndarray, to_tile: ToTile, straight: bool) -> CellCoverage:
    """The boundary of a source window's cells with data, as edges on the tile's cells. Each cell's edges run
    round it one way (shared edges cancel); runs along a row or a column are one edge where they stay
    ``straight`` (one CRS), else each cell's side is one. Sides that do not map (beyond the projection's
    domain) are left out."""
    padded = np.pad(valid, 1)
    inside = padded[1:-1, 1:-1]
    ends: list[tuple[np.ndarray, ...]] = []
    sides = ((True, padded[:-2, 1:-1], padded[2:, 1:-1]), (False, padded[1:-1, :-2], padded[1:-1, 2:]))
    for rows_first, before, after in sides:
        for side, offset in ((inside & ~before, 0), (inside & ~after, 1)):
            line, first, last = _runs(side if rows_first else side.T, straight)
            if rows_first:  # top (west to east) and bottom (east to west) sides
                x0, x1 = (first, last) if offset == 0 else (last, first)
                ends.append((x0, line + offset, x1, line + offset))
            else:  # left (south to north, up the rows) and right (north to south) sides
                y0, y1 = (last, first) if offset == 0 else (first, last)
                ends.append((line + offset, y0, line + offset, y1))
    x0, y0, x1, y1 = (np.concatenate(column).astype(np.float64) for column in zip(*ends))
    mapped = [np.asarray(v, dtype=np.float64) for v in (*to_tile(x0, y0), *to_tile(x1, y1))]
    finite = np.logical_and.reduce([np.isfinite(v) for v in mapped])
    tx0, ty0, tx1, ty1 = (v[finite] for v in mapped)
    return CellCoverage.from_edges(tx0, ty0, tx1, ty1)


def _runs(side: np.ndarray, merged: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells of ``side`` as (row, first column, column past the last) of each run along a row (``merged``),
    or of each cell."""
    if not merged:
        line, first = np.nonzero(side)
        return line, first, first + 1
    padded = np.pad(side, ((0, 0), (1, 1)))
    line, first = np.nonzero(side & ~padded[:, :-2])
    _, last = np.nonzero(side & ~padded[:, 2:])
    return line, first, last + 1
