"""Exact fraction of every raster cell that a polygon covers, by signed-area accumulation.

Shapely 1.8 has no vectorised intersection, and intersecting cell boxes one by one is far too slow for
rasters of millions of cells. Font renderers solve the same problem exactly: each polygon edge is cut at every
cell boundary it crosses, each piece adds its signed trapezoid area to its own cell and the rest of its height
to the next cell, and a running sum along each row turns those contributions into exact covered fractions.
The work is proportional to the number of edge pieces plus the number of cells, and tiles (row strips x column
chunks) are independent, so memory stays bounded whatever the raster size.

Coordinates here are cell coordinates: ``col`` grows to the right and ``row`` downwards, and cell ``(r, c)``
is the unit square ``[c, c + 1] x [r, r + 1]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

import numpy as np
from shapely.geometry.base import BaseGeometry

from .geometry import polygon_rings

#: Fractions below this are round-off left by the running sum, not coverage.
COVERAGE_EPSILON = 1e-12


class RowSpacing(Protocol):
    """Rows whose area is not spread evenly over their height (a geographic raster's: more of it towards the
    equator). Edges stay straight in (col, row); a piece's height in a row counts in ``equal_area_rows``, and
    the distance to its cell's right edge is taken at its area centroid (``centroid_offset``)."""

    def equal_area_rows(self, rows: np.ndarray) -> np.ndarray: ...

    def centroid_offset(self, rows: np.ndarray, heights: np.ndarray | float) -> np.ndarray: ...


#: Row spacing seen from a window: the spacing, and the raster row of the window's row 0 (one for all edges, or
#: one per edge when windows are stacked).
_WindowRows = tuple[RowSpacing, "float | np.ndarray"]


class RefinedRows:
    """A grid's uneven rows (``RowSpacing``) seen on its rows cut into ``factor`` parts: inside each part, distance
    proportional to area, as the grid's own spacing has it inside each row."""

    def __init__(self, rows: RowSpacing, factor: int):
        self.rows, self.factor = rows, factor

    def _coarse(self, rows: np.ndarray) -> np.ndarray:
        return self.factor * self.rows.equal_area_rows(rows / self.factor)

    def equal_area_rows(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.float64)
        top = np.floor(rows)
        start, end = self._coarse(top), self._coarse(top + 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(end != start, (self._coarse(rows) - start) / (end - start), rows - top)
        return top + np.clip(share, 0.0, 1.0)

    def centroid_offset(self, rows: np.ndarray, heights: np.ndarray | float) -> np.ndarray:
        factor = self.factor
        return factor * self.rows.centroid_offset(np.asarray(rows) / factor, np.asarray(heights) / factor)


class CellCoverage:
    """Polygon edges in cell coordinates, ready to rasterize any window of the grid."""

    def __init__(self, rings: Iterable[tuple[np.ndarray, bool]], rows: RowSpacing | None = None):
        """``rings``: (vertices as an (n, 2) array of col, row; True for an exterior ring, False for a hole).

        Ring orientation does not matter: each ring's sign is set from its own signed area so that holes
        subtract. ``rows``: the grid's row spacing when its rows are not even in area.
        """
        self.rows = rows
        edges = (_ring_edges(np.asarray(xy, dtype=np.float64), exterior) for xy, exterior in rings)
        parts = [p for p in edges if p is not None]
        if len(parts) == 1:  # one ring (most polygons): no copy, which would briefly double its edges
            x0, y0, x1, y1, weight, *flat = parts[0]
        elif parts:
            x0, y0, x1, y1, weight, *flat = (np.concatenate(column) for column in zip(*parts))
        else:
            x0 = y0 = x1 = y1 = weight = np.empty(0)
            flat = [np.empty(0)] * 4
        self._set_edges((x0, y0, x1, y1, weight), flat)

    def _set_edges(self, sloped: tuple[np.ndarray, ...], flat: list[np.ndarray]) -> None:
        """The sloped edges (x0, y0, x1, y1, weight) and the horizontal ones (x0, y, x1, weight), which add
        nothing to a running sum along the rows but are the upright ones of a sum down the columns."""
        self._x0, self._y0, self._x1, self._y1, self._weight = sloped
        self._flat = flat
        self._ymin = np.minimum(self._y0, self._y1)
        self._ymax = np.maximum(self._y0, self._y1)
        self._xmin = np.minimum(self._x0, self._x1)
        self._xmax = np.maximum(self._x0, self._x1)
        #: The sloped edges in order of their top row, those tops, and the most rows an edge spans (made once
        #: ``within_rows`` is asked).
        self._by_top: tuple[np.ndarray, np.ndarray, float] | None = None

    @classmethod
    def from_geometry(
        cls,
        geometry: BaseGeometry,
        to_cells: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
        rows: RowSpacing | None = None,
    ) -> CellCoverage:
        """Rings of a (Multi)Polygon; ``to_cells(x, y) -> (col, row)`` maps map to cell coordinates."""
        return cls.from_rings(polygon_rings(geometry), to_cells, rows)

    @classmethod
    def from_rings(
        cls,
        rings: Iterable[tuple[np.ndarray, bool]],
        to_cells: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
        rows: RowSpacing | None = None,
    ) -> CellCoverage:
        """Rings given as (map coordinates, whether exterior), as ``polygon_rings`` gives them."""

        def cells() -> Iterator[tuple[np.ndarray, bool]]:
            """One at a time, so that each ring's coordinates are freed once its edges are made."""
            for xy, exterior in rings:
                col, row = to_cells(xy[:, 0], xy[:, 1])
                yield np.column_stack([col, row]), exterior

        return cls(cells(), rows)

    def refined(self, factor: int) -> CellCoverage:
        """The same polygon on the grid cut into ``factor`` x ``factor`` parts per cell: where within a cell its
        covered part lies (each part's covered share of its own area, uneven rows cut too)."""
        return self._part(slice(None), slice(None), factor)

    def within_rows(self, row0: int, row1: int, factor: int = 1) -> CellCoverage:
        """What a window of rows ``row0:row1`` needs of the edges, wherever its columns (those reaching into the
        rows; the edges are sorted by their top once), ``refined`` by ``factor``: small, where the whole holds
        many edges (the outline of a raster's scattered missing cells)."""
        if self._by_top is None:
            order = np.argsort(self._ymin, kind="stable")
            span = float((self._ymax - self._ymin).max()) if order.size else 0.0
            self._by_top = (order, self._ymin[order], span)
        order, tops, span = self._by_top
        chosen = order[np.searchsorted(tops, row0 - span) : np.searchsorted(tops, row1)]
        chosen = chosen[self._ymax[chosen] > row0]
        level = (self._flat[1] >= row0) & (self._flat[1] <= row1)
        return self._part(chosen, level, factor)

    def _part(self, chosen: np.ndarray | slice, level: np.ndarray | slice, factor: int) -> CellCoverage:
        """The ``chosen`` sloped edges and ``level`` horizontal ones, on the grid cut ``factor`` x ``factor``."""
        part = CellCoverage([], self.rows if factor == 1 or self.rows is None else RefinedRows(self.rows, factor))
        x0, y0, x1, y1 = (ends[chosen] * factor for ends in (self._x0, self._y0, self._x1, self._y1))
        fx0, fy, fx1, fweight = (values[level] for values in self._flat)
        part._set_edges((x0, y0, x1, y1, self._weight[chosen]), [fx0 * factor, fy * factor, fx1 * factor, fweight])
        return part

    @classmethod
    def from_edges(cls, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> CellCoverage:
        """Closed boundaries given as loose directed edges in cell coordinates, every region on the same side of
        its edges (the boundaries of a raster's cells with data, say), whichever side that is."""
        twice_area = float(np.sum(x0 * y1 - x1 * y0))
        sign = -np.sign(twice_area)  # as ``_ring_edges`` sets an exterior ring's
        sloped, flat = y0 != y1, y0 == y1
        coverage = cls([])
        coverage._set_edges(
            (x0[sloped], y0[sloped], x1[sloped], y1[sloped], np.full(int(np.count_nonzero(sloped)), sign)),
            [x0[flat], y0[flat], x1[flat], np.full(int(np.count_nonzero(flat)), sign)],
        )
        return coverage

    @property
    def is_empty(self) -> bool:
        return self._x0.size == 0

    def bounds(self) -> tuple[float, float, float, float]:
        """(col_min, row_min, col_max, row_max) of all edges."""
        if self.is_empty:
            return (0.0, 0.0, 0.0, 0.0)
        return (float(self._xmin.min()), float(self._ymin.min()), float(self._xmax.max()), float(self._ymax.max()))

    def fractions(
        self,
        row0: int,
        row1: int,
        col0: int,
        col1: int,
        clip: bool = True,
        max_pieces: int | None = None,
        factors: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
    ) -> np.ndarray:
        """Covered fraction of each cell of rows ``row0:row1`` and columns ``col0:col1`` (float64), times
        ``factors`` (per row and per column of the window; None for none).

        With ``clip=False`` the round-off of the running sum (about 1e-15) is left in place, which saves a
        pass for callers that threshold the result anyway (and factors are meant for them). ``max_pieces``
        bounds the edge pieces made at once (default ``PIECES_PER_BAND``). A window that holds the polygon
        whole folds a factor into its edges' contributions (the running sum along a row keeps the row's, down
        a column the column's) instead of multiplying every cell.
        """
        height, width = row1 - row0, col1 - col0
        if height <= 0 or width <= 0:
            return np.zeros((max(height, 0), max(width, 0)))
        row_factor, col_factor = factors
        # Edges above, below or right of the window add nothing; edges wholly left of it add their height in
        # each row to column 0, which needs no cutting (a comb's teeth left of a tile would otherwise be cut
        # at every row of it); only the edges reaching into the window are cut into pieces.
        folds = self.rows is None and (row_factor is not None or col_factor is not None)
        whole = folds and self._holds_all(row0, row1, col0, col1)
        left: np.ndarray  # annotated loosely: numpy 2's stubs type the two ways' shapes apart
        inside: np.ndarray
        if whole:  # every edge is cut, those on the window's left side too
            left, inside = np.empty(0, dtype=np.intp), np.arange(self._x0.size)
        else:
            rows = (self._ymax > row0) & (self._ymin < row1)
            left = np.flatnonzero(rows & (self._xmax <= col0))
            inside = np.flatnonzero(rows & (self._xmax > col0) & (self._xmin < col1))
        cells = self._cell_pieces(inside, height, width) <= CELL_PIECES
        whole = whole and cells
        if cells:
            x0, y0, x1, y1 = (ends[inside] - offset for ends, offset in self._ends(row0, col0))
            weight = self._weight[inside]
        if whole and col_factor is not None:  # no edge left of the window: the sum can run down the columns
            acc = self._down_the_columns((x0, y0, x1, y1, weight), row0, col0, height, width, col_factor)
            col_factor = None
        else:
            if cells:
                folded, row_factor = (row_factor, None) if whole else (None, row_factor)
                acc = _accumulate_cells(x0, y0, x1, y1, weight, height, width, folded, rows=self._window_rows(row0))
            else:
                limit = PIECES_PER_BAND if max_pieces is None else max_pieces
                acc = self._accumulate(inside, row0, col0, height, width, limit)
            if left.size:  # most windows have none: skip the dozen numpy calls of an empty difference array
                top, bottom = (self._in_window_rows(y[left], row0, height) for y in (self._y0, self._y1))
                acc[:, 0] += _row_heights(top, bottom, self._weight[left], height)
            np.cumsum(acc, axis=1, out=acc)
        if clip:
            np.clip(acc, 0.0, 1.0, out=acc)
            acc[acc < COVERAGE_EPSILON] = 0.0
        if row_factor is not None:
            acc *= row_factor[:, None]
        if col_factor is not None:
            acc *= col_factor[None, :]
        return acc

    def moments(self, row0: int, row1: int, col0: int, col1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """First moments of each partly covered cell's part about the cell's centre, in cells (the integrals of
        the row and of the column position less the centre's over the part): where in the cell its covered share
        lies. As (the cells, as flat row-major indices of the window; their moments down the rows; along the
        columns) for the cells that have any: those edges cross, and those a partial row band runs through (right
        of a horizontal edge inside a row). A cell covered whole or not at all has none.

        Exact for straight edges, as the fractions are: each piece adds the moments of its trapezoid to the
        cell's right edge to its cell, and the row band it spans to every cell right of it in its row (a moment
        about the row's centre only: about a column's centre a whole band has none), summed over the crossed
        cells of each row in order. A piece left of the window is moved onto its left side, where its trapezoid
        is the whole band. Edges are cut in chunks of about ``PIECES_PER_BAND`` pieces and their sums kept per
        crossed cell: the work and memory go with the crossed cells, not the window."""
        height, width = row1 - row0, col1 - col0
        chosen = np.flatnonzero((self._ymax > row0) & (self._ymin < row1) & (self._xmin < col1))
        sums: list[tuple[np.ndarray, np.ndarray]] = []  # per chunk: crossed cells, and (inside, band, across) of each
        for part in self._chunks(chosen, row0, height, width, PIECES_PER_BAND, at_rows=True):
            x0, y0, x1, y1 = (ends[part] - offset for ends, offset in self._ends(row0, col0))
            xa, ya, xb, yb, owner = split_at_cells(x0, y0, x1, y1, width, height)
            xa, xb = np.maximum(xa, 0.0), np.maximum(xb, 0.0)  # pieces are cut at the window's left side
            col = np.floor(0.5 * (xa + xb))
            row = np.floor(0.5 * (ya + yb))
            keep = np.flatnonzero((row >= 0.0) & (row < height) & (col < width))
            col, row, xa, ya, xb, yb = col[keep], row[keep], xa[keep], ya[keep], xb[keep], yb[keep]
            h = self._weight[part][owner[keep]] * (yb - ya)
            ua, ub = col + 1.0 - xa, col + 1.0 - xb  # to the cell's right edge
            va, vb = ya - row - 0.5, yb - row - 0.5  # from the cell's centre, down
            pa, pb = xa - col - 0.5, xb - col - 0.5  # from the cell's centre, right
            values = np.stack(
                [
                    h * (ua * va / 3.0 + (ua * vb + ub * va) / 6.0 + ub * vb / 3.0),
                    0.5 * h * (va + vb),
                    h * (0.125 - (pa * pa + pa * pb + pb * pb) / 6.0),
                ]
            )
            sums.append(_per_cell((row * width + col).astype(np.intp), values))
        cells, (inside, band, across) = _per_cell(
            np.concatenate([cells for cells, _ in sums]), np.concatenate([values for _, values in sums], axis=1)
        )
        if cells.size == 0:
            return cells, inside, across
        # the bands of the crossed cells left of each in its row: the running sum less its value at the row's start
        rows = cells // width
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        running = np.cumsum(band)
        after = running - np.repeat(running[starts] - band[starts], np.diff(np.r_[starts, cells.size]))
        down = after - band + inside
        # what a crossed cell carries on to the cells up to the next crossed one in its row: nothing, but for the
        # rounding, unless a horizontal edge inside the row leaves a partial band
        following = np.r_[cells[1:], 0]
        following[np.r_[starts[1:] - 1, cells.size - 1]] = (rows[np.r_[starts[1:] - 1, cells.size - 1]] + 1) * width
        carries = np.flatnonzero(np.abs(after) > _MOMENT_ROUNDING)
        lengths = following[carries] - cells[carries] - 1
        run = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        run_cells = np.repeat(cells[carries] + 1, lengths) + run
        return (
            np.concatenate([cells, run_cells]),
            np.concatenate([down, np.repeat(after[carries], lengths)]),
            np.concatenate([across, np.zeros(run_cells.size)]),
        )

    def _down_the_columns(
        self, edges: tuple[np.ndarray, ...], row0: int, col0: int, height: int, width: int, col_factor: np.ndarray
    ) -> np.ndarray:
        """Fractions times ``col_factor`` of a window holding every edge, by running sums down its columns: the
        sloped ``edges`` (in window coordinates) and the horizontal ones, each column's contributions multiplied
        by its factor."""
        x0, y0, x1, y1, weight = edges
        fx0, fy, fx1, fweight = self._flat
        if fx0.size:
            x0, x1 = np.concatenate([x0, fx0 - col0]), np.concatenate([x1, fx1 - col0])
            y0, y1 = np.concatenate([y0, fy - row0]), np.concatenate([y1, fy - row0])
            weight = np.concatenate([weight, fweight])
        acc = _accumulate_cells(x0, y0, x1, y1, weight, height, width, col_factor, down=True)
        return np.cumsum(acc, axis=0, out=acc)

    def _holds_all(self, row0: int, row1: int, col0: int, col1: int) -> bool:
        """Whether every edge lies in the window."""
        fx0, fy, fx1, _ = self._flat
        if fx0.size and not (
            min(fx0.min(), fx1.min()) >= col0
            and max(fx0.max(), fx1.max()) <= col1
            and row0 <= fy.min() <= fy.max() <= row1
        ):
            return False
        if self.is_empty:
            return False
        cmin, rmin, cmax, rmax = self.bounds()
        return col0 <= cmin and cmax <= col1 and row0 <= rmin and rmax <= row1

    def _window_rows(self, row0: int) -> _WindowRows | None:
        return None if self.rows is None else (self.rows, float(row0))

    def _in_window_rows(self, rows: np.ndarray, row0: int, height: int) -> np.ndarray:
        """Row positions in a window's coordinates, re-spaced if the rows need it (clamped to its rows)."""
        if self.rows is None:
            return rows - row0
        return self.rows.equal_area_rows(np.clip(rows, float(row0), float(row0 + height))) - row0

    def _ends(self, row0: int, col0: int) -> list[tuple[np.ndarray, int]]:
        return [(self._x0, col0), (self._y0, row0), (self._x1, col0), (self._y1, row0)]

    def _cell_pieces(self, inside: np.ndarray, height: int, width: int) -> float:
        """About how many pieces the edges ``inside`` make cut at every column and row line of the window."""
        across, down = self._xmax[inside] - self._xmin[inside], self._ymax[inside] - self._ymin[inside]
        return _cut_pieces(across, down, height, width)

    def _accumulate(
        self, inside: np.ndarray, row0: int, col0: int, height: int, width: int, max_pieces: int
    ) -> np.ndarray:
        """Per-cell signed contributions (before the running sum along rows) of the edges ``inside``.

        Edges are cut at column lines only, so each piece lies in one column (or wholly left or right of the
        window). Within its column a piece's share of each row it crosses is linear in the row number, so the
        rows it crosses whole go into two difference arrays (a constant and a per-row slope), and only its
        first and last rows are added cell by cell: the work is that of the column crossings plus the cells,
        however many rows the edges span (a comb's teeth would otherwise be cut at every row). Edges are
        gathered, moved to window coordinates and cut in chunks of about ``max_pieces`` pieces, so memory is
        the window's plus a chunk's whatever the polygon.
        """
        acc = np.zeros((height, width + 1))  # column ``width`` takes spill past the window, dropped at the end
        if inside.size:
            const = np.zeros((height + 1) * (width + 1))
            slope = np.zeros((height + 1) * (width + 1))
            rows = self._window_rows(row0)
            touched = [
                _add_column_pieces(
                    acc, const, slope, *self._window_edges(part, row0, col0, height), height, width, rows
                )
                for part in self._chunks(inside, row0, height, width, max_pieces)
            ]
            # The running sums down the rows only in the columns the difference arrays were written in: a
            # cumulative sum costs 5-10 ns a cell, and most columns of a large window have none.
            columns = np.unique(np.concatenate(touched))
            if columns.size:
                shape = (height + 1, width + 1)
                summed = np.cumsum(const.reshape(shape)[:, columns], axis=0)
                per_row = np.cumsum(slope.reshape(shape)[:, columns], axis=0)
                row_at = np.arange(height + 1, dtype=np.float64)
                if self.rows is not None:  # a whole row's share is taken at its area centroid
                    row_at += self.rows.centroid_offset(row_at + (row0 + 0.5), 1.0)
                per_row *= row_at[:, None]
                summed += per_row
                acc[:, columns] += summed[:height]
        return np.ascontiguousarray(acc[:, :width])

    def _window_edges(
        self, part: np.ndarray, row0: int, col0: int, height: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The edges ``part`` in window coordinates, cut to its rows, with their weights."""
        x0, y0, x1, y1 = _clip_to_rows(
            self._x0[part] - col0, self._y0[part] - row0, self._x1[part] - col0, self._y1[part] - row0, height
        )
        return x0, y0, x1, y1, self._weight[part]

    def _chunks(
        self, inside: np.ndarray, row0: int, height: int, width: int, max_pieces: int, at_rows: bool = False
    ) -> list[np.ndarray]:
        """``inside`` split into runs of about ``max_pieces`` pieces: an edge makes about as many as the columns
        it crosses within the window's rows (the part of its column span in those rows), plus two, and with
        ``at_rows`` (cut at the row lines too) as many more as the rows it crosses there."""
        ymin, ymax = self._ymin[inside], self._ymax[inside]
        spanned = np.minimum(ymax, float(row0 + height)) - np.maximum(ymin, float(row0))
        in_rows = spanned / (ymax - ymin)
        pieces = np.minimum((self._xmax[inside] - self._xmin[inside]) * in_rows, width + 1.0) + 2.0
        if at_rows:
            pieces += spanned
        pieces = np.where(np.isfinite(pieces), pieces, 2.0)
        chunk = np.floor_divide(np.cumsum(pieces) - pieces, max(int(max_pieces), 1)).astype(np.intp)
        return np.split(inside, np.flatnonzero(np.diff(chunk)) + 1)


def fractions_together(windows: list[tuple[CellCoverage, int, int, int, int]]) -> list[np.ndarray] | None:
    """``fractions(row0, row1, col0, col1, clip=False)`` of several polygons at once, each window holding its
    polygon whole: their rows stacked one under another in one array, the edges cut and summed by the numpy calls
    of one window (most of a small polygon's cost when made for each); None when the edges would make more than
    ``PIECES_PER_BAND`` pieces together."""
    heights = np.array([row1 - row0 for _, row0, row1, _, _ in windows])
    width = max(col1 - col0 for _, _, _, col0, col1 in windows)
    counts = [coverage._x0.size for coverage, *_ in windows]
    col_shift = np.repeat([float(col0) for *_, col0, _ in windows], counts)
    row_shift = np.repeat(np.cumsum(heights) - heights - [row0 for _, row0, *_ in windows], counts)
    x0, y0, x1, y1, weight = (
        np.concatenate([getattr(coverage, name) for coverage, *_ in windows])
        for name in ("_x0", "_y0", "_x1", "_y1", "_weight")
    )
    x0 -= col_shift
    x1 -= col_shift
    y0 += row_shift
    y1 += row_shift
    rows = int(heights.sum())
    if _cut_pieces(np.abs(x1 - x0), np.abs(y1 - y0), rows, width) > PIECES_PER_BAND:
        return None
    spacing = windows[0][0].rows  # one grid's windows
    acc = _accumulate_cells(
        x0, y0, x1, y1, weight, rows, width, rows=None if spacing is None else (spacing, -row_shift)
    )
    np.cumsum(acc, axis=1, out=acc)
    starts = np.cumsum(heights) - heights
    return [
        acc[start : start + height, : col1 - col0] for start, height, (*_, col0, col1) in zip(starts, heights, windows)
    ]


def coverage_fractions(
    geometry: BaseGeometry,
    shape: tuple[int, int],
    to_cells: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Covered fraction of every cell of a ``shape`` = (rows, cols) grid; convenience for small grids."""
    return CellCoverage.from_geometry(geometry, to_cells).fractions(0, shape[0], 0, shape[1])


def _ring_edges(xy: np.ndarray, exterior: bool) -> tuple[np.ndarray, ...] | None:
    if len(xy) < 3:
        return None
    if not np.array_equal(xy[0], xy[-1]):
        xy = np.vstack([xy, xy[:1]])
    x, y = xy[:, 0], xy[:, 1]
    # Shoelace in (col, row) coordinates; relative to the first vertex to keep precision far from the origin.
    xr, yr = x - x[0], y - y[0]
    twice_area = float(np.dot(xr[:-1], yr[1:]) - np.dot(xr[1:], yr[:-1]))
    if twice_area == 0.0 or not np.isfinite(twice_area):
        return None
    # An edge adds +dy to every cell right of it; a ring with positive shoelace area in (col, row) coordinates
    # then sums to -1 inside, so flip it (and flip holes the other way).
    sign = -np.sign(twice_area) * (1.0 if exterior else -1.0)
    x0, y0, x1, y1 = x[:-1], y[:-1], x[1:], y[1:]
    sloped = y0 != y1  # horizontal edges cover no height
    flat = ~sloped
    if flat.any():
        level = (x0[flat], y0[flat], x1[flat], np.full(int(np.count_nonzero(flat)), sign))
        x0, y0, x1, y1 = x0[sloped], y0[sloped], x1[sloped], y1[sloped]
    else:
        level = (np.empty(0), np.empty(0), np.empty(0), np.empty(0))
    return (x0, y0, x1, y1, np.full(x0.size, sign), *level)


#: Edge pieces a window may make at once (about 250 bytes each while they are summed, so about 32 MB).
PIECES_PER_BAND = 1 << 17
#: Up to this many pieces, edges are cut at the row lines as well (``_accumulate_cells``): a small polygon's
#: window then costs a third of the numpy calls of the general way, which are most of its estimate.
CELL_PIECES = 1 << 14
#: A row band's moment (in cells) left over where bands cancel: far below any partial band's.
_MOMENT_ROUNDING = 1e-12


def _cut_pieces(across: np.ndarray, down: np.ndarray, height: int, width: int) -> float:
    """About how many pieces edges spanning ``across`` columns and ``down`` rows make, cut at every column and
    row line of a window of ``height`` x ``width`` cells."""
    return float(np.minimum(across, width + 1.0).sum() + np.minimum(down, height + 1.0).sum()) + 2.0 * across.size


def _accumulate_cells(
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    weight: np.ndarray,
    height: int,
    width: int,
    factor: np.ndarray | None = None,
    down: bool = False,
    rows: _WindowRows | None = None,
) -> np.ndarray:
    """Per-cell signed contributions (before the running sum along rows) of edges in window coordinates, cut
    at every column and row line so that each piece lies in one cell: its trapezoid's area to the right cell
    edge goes to its cell, the rest of its height to the next cell (past the last column: dropped); pieces
    left of the window add their whole height to column 0, pieces outside its rows nothing.

    ``down``: the same with rows and columns swapped, for a running sum down the columns (pieces spill to the
    cell below; for windows holding every edge). ``factor`` (per row, or per column when ``down``) multiplies
    the contributions of each line the running sum follows, so the sum gives the fractions times it without a
    pass over the window. ``rows``: the rows' spacing when they are not even in area (not with ``down``)."""
    if down:  # swapping the axes mirrors the outline: the signs flip
        x0, y0, x1, y1, height, width, weight = y0, x0, y1, x1, width, height, -weight
    xa, ya, xb, yb, owner = split_at_cells(x0, y0, x1, y1, width, height)
    x_mid = 0.5 * (xa + xb)
    col = np.maximum(np.floor(x_mid), 0.0)
    row = np.floor(0.5 * (ya + yb))
    keep = np.flatnonzero((row >= 0.0) & (row < height) & (col < width))
    if keep.size == 0:  # bincount would give integers
        return np.zeros((width, height) if down else (height, width))
    row, col = row[keep], col[keep]
    edge = owner[keep]
    xa, ya, xb, yb, x_mid = xa[keep], ya[keep], xb[keep], yb[keep], x_mid[keep]
    if rows is None:
        height_in = weight[edge] * (yb - ya)
    else:
        height_in, x_mid = _respaced(rows, edge, xa, ya, xb, yb, x_mid)
        height_in *= weight[edge]
    if factor is not None:
        height_in *= factor[row.astype(np.intp)]
    inside = height_in * np.minimum(col + 1.0 - x_mid, 1.0)
    spill = height_in - inside
    # Cell (row, col) of this frame is (col, row) of the window when down: laid out so the window is row-major.
    if down:
        cell, step = (col * height + row).astype(np.intp), height  # past the last row: beyond the window
    else:
        cell, step = (row * width + col).astype(np.intp), 1
        spill[col == width - 1] = 0.0  # past the last column: dropped, not carried into the next row
    size = width * height
    acc = np.bincount(np.concatenate([cell, cell + step]), np.concatenate([inside, spill]), minlength=size + step)
    return acc[:size].reshape((width, height) if down else (height, width))


def _respaced(
    rows: _WindowRows,
    edge: np.ndarray,
    xa: np.ndarray,
    ya: np.ndarray,
    xb: np.ndarray,
    yb: np.ndarray,
    x_mid: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Heights of pieces that each lie in one row, counted in equal-area rows, and their columns at their area
    centroids (``x_mid``: at their middles); ``edge``: each piece's edge, for a per-edge window row 0."""
    spacing, first = rows
    if isinstance(first, np.ndarray):
        first = first[edge]
    top, bottom = ya + first, yb + first
    heights = spacing.equal_area_rows(bottom) - spacing.equal_area_rows(top)
    span = bottom - top
    with np.errstate(divide="ignore", invalid="ignore"):  # a piece of no height adds nothing
        along = np.where(span != 0.0, spacing.centroid_offset(0.5 * (top + bottom), span) / span, 0.0)
    return heights, x_mid + (xb - xa) * along


def _row_heights(y0: np.ndarray, y1: np.ndarray, weight: np.ndarray, height: int) -> np.ndarray:
    """Signed height (x weight) of edges inside each of rows 0..height-1, without cutting them.

    An edge's height in row r is c_r(y1) - c_r(y0) with c_r(y) = min(max(y - r, 0), 1): ones up to row
    floor(y), then its fraction; summed over edges by a difference array in O(edges + rows).
    """
    steps = np.zeros(height + 1)
    fractions = np.zeros(height + 1)
    for ends, sign in ((y1, 1.0), (y0, -1.0)):
        y = np.clip(ends, 0.0, float(height))
        whole = np.floor(y).astype(np.intp)
        w = sign * weight
        steps[0] += float(w.sum())
        if whole.size:
            _add_at(steps, whole, -w)
            _add_at(fractions, whole, w * (y - whole))
    return np.cumsum(steps)[:height] + fractions[:height]


def split_at_grid_lines(
    a0: np.ndarray, b0: np.ndarray, a1: np.ndarray, b1: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut segments at the grid lines a = k (k integer in [0, limit]) strictly between their ends.

    Returns the sub-segments (a0, b0, a1, b1) in order along each segment, and the index of the segment each
    came from. Crossing points lie exactly on their grid line, so neighbouring pieces share endpoints and the
    per-cell sums telescope; no sorting is needed because crossings are generated in order along the segment.
    A segment with a NaN end is kept whole (its ring is dropped later).
    """
    lo, hi, count = _lines_between(a0, a1, limit)
    points = count + 2
    owner = np.repeat(np.arange(a0.size), points)
    first = np.cumsum(points) - points
    step = np.arange(owner.size) - first[owner]  # 0 = start, 1..count = crossings, count + 1 = end
    rising = (a1 >= a0)[owner]
    k = np.where(rising, lo[owner] + (step - 1), hi[owner] - (step - 1))
    with np.errstate(divide="ignore", invalid="ignore"):  # t of a segment's ends is not used
        t = (k - a0[owner]) / (a1 - a0)[owner]
        pb = np.where(
            step == 0, b0[owner], np.where(step == points[owner] - 1, b1[owner], b0[owner] + t * (b1 - b0)[owner])
        )
    pa = np.where(step == 0, a0[owner], np.where(step == points[owner] - 1, a1[owner], k))
    inner = np.ones(owner.size, dtype=bool)
    inner[first + points - 1] = False  # a segment's end starts no piece
    start = np.flatnonzero(inner)
    return pa[start], pb[start], pa[start + 1], pb[start + 1], owner[start]


def _per_cell(cells: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``cells`` in order, and the sums of each row of ``values`` over each."""
    distinct, which = np.unique(cells, return_inverse=True)
    return distinct, np.stack([np.bincount(which, row, minlength=distinct.size) for row in values])


def split_at_cells(
    x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut segments at the column lines x = k (k in [0, width]) and the row lines y = k (k in [0, height])
    strictly between their ends, so that each piece lies in one cell: the pieces (x0, y0, x1, y1) in order along
    each segment, and the segment each came from.

    All cuts are made at once and put in order along their segments by one sort (cutting at columns and then
    the pieces at rows took twice the numpy calls, most of a small polygon's coverage). A cut lies exactly on its
    line (x = k or y = k), so the pieces of a cell's sides telescope; segments with a NaN end are kept whole.
    """
    size = x0.size
    on_columns, t_columns, k_columns = _crossings(x0, x1, width)
    on_rows, t_rows, k_rows = _crossings(y0, y1, height)
    owner = np.concatenate([np.arange(size), on_columns, on_rows])
    order = np.lexsort((np.concatenate([np.zeros(size), t_columns, t_rows]), owner))  # each segment's start first
    px = np.concatenate([x0, k_columns, x0[on_rows] + t_rows * (x1 - x0)[on_rows]])[order]
    py = np.concatenate([y0, y0[on_columns] + t_columns * (y1 - y0)[on_columns], k_rows])[order]
    owner = owner[order]
    last = np.ones(owner.size, dtype=bool)  # a segment's last point ends at the segment's end
    np.not_equal(owner[1:], owner[:-1], out=last[:-1])
    end_x = np.append(px[1:], 0.0)
    end_y = np.append(py[1:], 0.0)
    end_x[last], end_y[last] = x1[owner[last]], y1[owner[last]]
    return px, py, end_x, end_y, owner


def _crossings(a0: np.ndarray, a1: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The integer lines a = k (k in [0, limit]) strictly between each segment's ends: (segment, position along
    it from 0 to 1, k) of each crossing."""
    lo, _, count = _lines_between(a0, a1, limit)
    owner = np.repeat(np.arange(a0.size), count)
    k = (np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)) + lo[owner]
    return owner, (k - a0[owner]) / (a1 - a0)[owner], k


def _lines_between(a0: np.ndarray, a1: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per segment, the first and last integer line a = k in [0, limit] strictly between its ends, and how many
    there are (none for a segment with a NaN end)."""
    lo = np.maximum(np.floor(np.minimum(a0, a1)) + 1.0, 0.0)
    hi = np.minimum(np.ceil(np.maximum(a0, a1)) - 1.0, float(limit))
    count = np.maximum(hi - lo + 1.0, 0.0)
    return lo, hi, np.where(np.isfinite(count), count, 0.0).astype(np.intp)


def _clip_to_rows(
    x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, height: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edges cut to rows 0..height (none is horizontal), so that a long sloped edge is cut only at the column
    lines it crosses inside the window's rows, not at every column it spans in the whole polygon."""
    ya, yb = np.clip(y0, 0.0, float(height)), np.clip(y1, 0.0, float(height))
    dx, dy = x1 - x0, y1 - y0
    # An end inside the rows keeps its exact coordinates, so edges still meet where they met.
    xa = np.where(ya == y0, x0, x0 + dx * ((ya - y0) / dy))
    xb = np.where(yb == y1, x1, x0 + dx * ((yb - y0) / dy))
    return xa, ya, xb, yb


def _add_column_pieces(
    acc: np.ndarray,
    const: np.ndarray,
    slope: np.ndarray,
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    weight: np.ndarray,
    height: int,
    width: int,
    rows: _WindowRows | None = None,
) -> np.ndarray:
    """Add the edges' pieces (cut at column lines) to ``acc`` (first and last rows of each piece) and to the
    row-difference arrays ``const`` / ``slope`` (the rows between; flat, (height + 1) x (width + 1)); return
    the columns written in those. ``rows``: the rows' spacing when they are not even in area; the rows crossed
    whole are the caller's to re-space (their heights are whole either way)."""
    xa, ya, xb, yb, owner = split_at_grid_lines(x0, y0, x1, y1, width)
    w = weight[owner]
    # Upwards in rows (y grows): flip the pieces that go the other way, and their sign.
    down = yb < ya
    xa, xb = np.where(down, xb, xa), np.where(down, xa, xb)
    ya, yb = np.where(down, yb, ya), np.where(down, ya, yb)
    w = np.where(down, -w, w)
    keep = (yb > 0.0) & (ya < height) & (yb > ya) & (0.5 * (xa + xb) < width)
    xa, ya, xb, yb, w = xa[keep], ya[keep], xb[keep], yb[keep], w[keep]
    s = (xb - xa) / (yb - ya)  # dx per row; |s| <= 1 / (yb - ya) inside one column
    # Only the part inside the window's rows counts.
    lo, hi = np.maximum(ya, 0.0), np.minimum(yb, float(height))
    xa, xb = xa + s * (lo - ya), xa + s * (hi - ya)
    ya, yb = lo, hi
    # Pieces left of column 0 add their whole height to it.
    left = 0.5 * (xa + xb) <= 0.0
    xa, xb, s = np.where(left, 0.0, xa), np.where(left, 0.0, xb), np.where(left, 0.0, s)
    col = np.floor(0.5 * (xa + xb)).astype(np.intp)
    first = np.floor(ya).astype(np.intp)
    last = np.maximum(np.ceil(yb).astype(np.intp) - 1, first)
    stride = width + 1
    cells: list[np.ndarray] = []
    shares: list[np.ndarray] = []

    def partial(top: np.ndarray, bottom: np.ndarray, row: np.ndarray, which: np.ndarray) -> None:
        """A piece's own share of one row between ``top`` and ``bottom``: inside its cell, the rest spills."""
        x_mid = xa[which] + s[which] * (0.5 * (top + bottom) - ya[which])
        if rows is None:
            height_in_row = w[which] * (bottom - top)
        else:
            x_top = xa[which] + s[which] * (top - ya[which])
            height_in_row, x_mid = _respaced(rows, which, x_top, top, x_top + s[which] * (bottom - top), bottom, x_mid)
            height_in_row *= w[which]
        inside = height_in_row * (col[which] + 1.0 - x_mid)
        cell = row * stride + col[which]
        cells.extend((cell, cell + 1))
        shares.extend((inside, height_in_row - inside))

    one = first == last
    if one.any():
        partial(ya[one], yb[one], first[one], one)
    many = ~one
    if many.any():
        f, lr = first[many], last[many]
        partial(ya[many], f + 1.0, f, many)
        partial(lr.astype(np.float64), yb[many], lr, many)
    if cells:  # one bincount for all first and last rows
        _add_at(acc.reshape(-1), np.concatenate(cells), np.concatenate(shares))
    if many.any():
        whole = lr - f > 1  # rows f + 1 .. lr - 1, each crossed whole
        if whole.any():
            index = np.flatnonzero(many)[whole]
            f, lr = f[whole] + 1, lr[whole]
            wi, si, c = w[index], s[index], col[index]
            # inside share of row r: wi * (c + 1 - x(r + 0.5)) = k + l * r; the spill is wi - (k + l * r)
            k = wi * (c + 1.0 - xa[index] + si * (ya[index] - 0.5))
            slope_l = -wi * si
            start, stop = f * stride + c, lr * stride + c
            index = np.concatenate([start, stop, start + 1, stop + 1])
            _add_at(const, index, np.concatenate([k, -k, wi - k, k - wi]))
            _add_at(slope, index, np.concatenate([slope_l, -slope_l, -slope_l, slope_l]))
            return np.concatenate([c, c + 1])
    return np.empty(0, dtype=np.intp)


def _add_at(target: np.ndarray, index: np.ndarray, weights: np.ndarray) -> None:
    """``target[index] += weights`` with repeats summed, touching only the span of ``index``: a chunk of
    pieces then costs its own size, not the window's (np.add.at is many times slower than bincount)."""
    lo = int(index.min())
    span = np.bincount(index - lo, weights=weights)
    target[lo : lo + span.size] += span
