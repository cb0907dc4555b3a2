"""Exact tonnage sums of many Monte Carlo draws at once, added up tile by tile as an area's cells stream past.

A draw scales thickness by ``t`` and grade by ``f`` (and density by a multiplier applied by the caller); a cell
is ore in a draw when its grade reaches ``theta = cutoff / f``. Per cell, the counted thickness within the
depth window is piecewise linear in ``t``::

    counted_i(t) = h_i * (clip(t, t1_i, t2_i) - t1_i)      t1_i: the factor where the ore reaches the window,
                                                          t2_i: where it fills it (inf without a maximum depth)

so the sum over cells is a sum of ramps ``s * (t - b)^+`` (``+w*h`` at ``t1``, ``-w*h`` at ``t2``). A cell whose
ore fills the window at every draw's ``t`` counts the window's height instead (``AreaSums._add_filled``): its two
ramps would cancel, leaving rounding of the size of its thickness. A ramp counts
in a draw when its breakpoint ``b < t`` and its cell's grade ``g >= theta``. Ramps are split by what the draws'
range decides for them: always counted, decided by grade only or by thickness only (each binned by how many
draws it counts in) or by both (a two-dimensional dominance sum, done exactly by a binary decomposition of the
draws, ``_dominance``). The bins are sums, so they add up across tiles; the cumulative step that turns them into
per-draw sums is done once per area (``AreaSums.totals``), and memory is bounded by a tile whatever the area.
No sampling of cells, no approximation: every draw's sums equal the per-cell evaluation up to floating-point
rounding.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .tonnage_sums import at_least

#: Buckets per sorted value in ``_Counter``: more leave fewer cells in a bucket with a value (one comparison)
#: or several (a binary search), at the cost of a larger table (16 x 10,003 draws: 160,051 entries), at most
#: ``_MAX_BUCKETS`` whatever the draws.
_BUCKETS_PER_VALUE = 16
_MAX_BUCKETS = 1 << 18
#: Draws up to which ``_dominance``'s per-level orderings are kept with the draws (16 bytes a draw a level).
_KEEP_LEVELS = 1 << 17
#: Cells summed at a time: a slice's arrays stay in the processor's cache from one step to the next (the 10 m
#: bench zone's 1.4 million cells took 1.6 times as long in one piece).
_SLICE = 1 << 18
#: Rounding of a cumulative sum of n terms, per term and unit of their absolute sum (a bound with margin).
_ROUNDING = 4.0 * float(np.finfo(np.float64).eps)


class _Counter:
    """``searchsorted(values, x, side="right")`` (how many of the sorted ``values`` each x reaches) by a table
    lookup instead of a binary search per x, which costs 50-90 ns over 10,000 values (a mispredicted branch a
    level).

    Any monotone map of x to a bucket index will do: every x in a bucket no value maps to reaches the same values
    (if x >= v for a value v, x's bucket >= v's, and the other way round), so the table holds its count; an x
    in a bucket one value maps to reaches the values of the lower buckets, and that value when x >= it (one
    comparison); the few x in a bucket of several values are counted by binary search. The map is evaluated
    the same way for the values and for x, so rounding cannot break the argument: the counts are exact. Values
    whose map would overflow float32 (a cut-off or factor of 1e40, say) are counted by binary search alone."""

    def __init__(self, values: np.ndarray):
        self.values = values
        low, high = (float(values[0]), float(values[-1])) if values.size else (0.0, 0.0)
        # with bucket 0 below all values and the last one above them
        self.buckets = min(_BUCKETS_PER_VALUE * max(values.size, 1), _MAX_BUCKETS) + 3
        span = high - low if high > low else max(abs(low), 1.0)
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            self.scale = np.float32((self.buckets - 3) / span)
            self.origin = np.float32(low - 1.0 / float(self.scale)) if self.scale > 0 else np.float32(np.nan)
        self.mapped = bool(np.isfinite(self.scale) and self.scale > 0 and np.isfinite(self.origin))
        if not self.mapped:
            return
        per_bucket = np.bincount(self._bucket(values), minlength=self.buckets)
        below = np.cumsum(per_bucket) - per_bucket
        #: Per bucket: the count of its x when no value maps to it, else ~(the index of its first value) (< 0).
        self.code = np.where(per_bucket == 0, below, ~below).astype(np.int32)  # int32: half the cache lines
        self.crowded = per_bucket > 1

    def _bucket(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            position = np.subtract(x, self.origin, dtype=np.float32)  # float32 halves the memory traffic
            position *= self.scale  # far above every value: inf, then the top bucket
            np.minimum(position, self.buckets - 1.0, out=position)
            # Truncated: a floor for positions >= 0; far below every value (or NaN, never given) a negative
            # int32 or its minimum, which ``counts`` takes as bucket 0 (no value reached).
            return position.astype(np.int32)

    def counts(self, x: np.ndarray) -> np.ndarray:
        """Per x, how many values it reaches."""
        if not self.mapped:
            return np.searchsorted(self.values, x, side="right")
        bucket = self._bucket(x)
        count = self.code.take(bucket, mode="clip")
        near = np.flatnonzero(count < 0)
        if near.size:
            first = ~count.take(near)
            x_near = x.take(near)
            found = first + (x_near >= self.values.take(first))
            crowded = np.flatnonzero(self.crowded.take(bucket.take(near), mode="clip"))
            if crowded.size:
                found[crowded] = np.searchsorted(self.values, x_near.take(crowded), side="right")
            count[near] = found
        return count


class DrawSet:
    """The draws' thickness factors ``t`` and grade thresholds ``theta``, with the orderings and counters every
    tile's sums use, made once for an area (or for many areas sharing the draws)."""

    def __init__(self, t: np.ndarray, theta: np.ndarray):
        self.t = np.asarray(t, dtype=np.float64)
        self.theta = np.asarray(theta, dtype=np.float64)
        self.size = self.t.size
        self.by_theta = np.argsort(self.theta, kind="stable")  # ascending: the first k have theta <= g
        self.by_t = np.argsort(-self.t, kind="stable")  # descending: the first k have t > b
        #: Each draw's position in those orders, to bring sums per position back to the draws.
        self.theta_rank = _inverse(self.by_theta)
        self.t_rank = _inverse(self.by_t)
        self.t_sorted = np.sort(self.t)
        self._t_counter: _Counter | None = None  # made when first needed: only a depth window needs it
        self._theta_counters: dict[float, _Counter] = {}
        self._bounds: dict[tuple[float, np.dtype], tuple[np.floating, np.floating]] = {}
        self._levels: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _theta_counter(self, reach: float) -> _Counter:
        """The thresholds lowered as the engine lowers a cut-off (``tonnage_tiles.cutoff_reach``), so a grade
        at a draw's threshold but for rounding reaches it, as in the estimate."""
        if reach not in self._theta_counters:
            self._theta_counters[reach] = _Counter(self.theta[self.by_theta] * reach)
        return self._theta_counters[reach]

    def thresholds(self, reach: float) -> np.ndarray:
        """The sorted thresholds as grades are compared with them."""
        return self._theta_counter(reach).values

    def bounds(self, reach: float, dtype: np.dtype) -> tuple[np.floating, np.floating]:
        """The lowest and the highest threshold as grades of ``dtype`` are compared with them (``at_least``),
        kept: worked out per tile and per cell type they cost as much as a small area's sums."""
        key = (reach, dtype)
        if key not in self._bounds:
            thresholds = self.thresholds(reach)
            self._bounds[key] = (at_least(thresholds[0], dtype), at_least(thresholds[-1], dtype))
        return self._bounds[key]

    def reached(self, grade: np.ndarray, reach: float) -> np.ndarray:
        """Per grade, how many draws' thresholds it reaches."""
        return self._theta_counter(reach).counts(grade)

    def exceeded(self, breakpoint: np.ndarray) -> np.ndarray:
        """Per breakpoint, how many draws' thickness factors lie above it."""
        if self._t_counter is None:
            self._t_counter = _Counter(self.t_sorted)
        return self.size - self._t_counter.counts(breakpoint)

    def level(self, level: int) -> tuple[np.ndarray, np.ndarray]:
        """``_dominance``'s sorted keys and draws at one level (they depend on the draws only)."""
        if level in self._levels:
            return self._levels[level]
        keys = (np.arange(self.size, dtype=np.int64) >> level) * self.size + self.theta_rank[self.by_t]
        perm = np.argsort(keys, kind="stable")
        found = (keys[perm], self.by_t[perm])
        if self.size <= _KEEP_LEVELS:
            self._levels[level] = found
        return found


def _slices(size: int) -> list[slice]:
    return [slice(start, start + _SLICE) for start in range(0, size, _SLICE)]


def _inverse(order: np.ndarray) -> np.ndarray:
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank


class AreaSums:
    """One area's sums over every draw, added tile by tile.

    Linear sums (``add_linear``): per draw ``j``, ``Σ weight`` and ``Σ weight * grade`` over the cells whose
    grade reaches ``theta_j``, which the caller's per-draw factor multiplies. Ramps (``add_window``, whose cells
    starting in the window are linear sums): ``Σ s``, ``Σ s b``, ``Σ s g`` and ``Σ s g b`` over the ramps
    that count in draw ``j``.

    Entries are binned by how many draws they count in (the first c draws of the draws ordered by threshold, or
    by decreasing thickness factor), which a tile does with a bincount; ``totals`` turns the bins into per-draw
    sums once per area. Entries counting in every draw go to the top bin."""

    def __init__(self, draws: DrawSet):
        self.draws = draws
        self.linear = _Bins(2, draws.size)  # by threshold
        #: By threshold: cells whose ore fills the depth window in every draw, which count its height whatever t.
        self.filled: _Bins | None = None
        self.ramps: _Bins | None = None  # by threshold: the ramps counting in every draw or decided by grade only
        self.ramps_by_t: _Bins | None = None  # by decreasing t: the ramps decided by thickness only
        self.ramps_per_draw: np.ndarray | None = None  # per draw: the ramps decided by both (``_dominance``)
        #: Σ|s| and Σ|s b| over every ramp: the scale of the rounding left in a draw's ore where ramps cancel.
        self.ramp_size = np.zeros(2)

    def add_linear(self, weight: np.ndarray, grade: np.ndarray, reach: float) -> None:
        """``weight`` and ``weight * grade`` of every cell whose grade reaches the draw's threshold."""
        for part in _slices(grade.size):
            self._add_linear(weight[part], grade[part], reach)

    def _add_linear(self, weight: np.ndarray, grade: np.ndarray, reach: float, bins: _Bins | None = None) -> None:
        """Cells above every threshold are summed once, those between the lowest and the highest binned by how
        many thresholds they reach (only they need a count), those below every threshold left out.

        When most cells are above every threshold their sums are the whole tile's less the others' (two passes
        instead of picking them out), unless the others weigh as much, when the difference could lose digits.
        Cells are picked by index (``flatnonzero``, ``take``): a boolean mask picks them several times slower."""
        bottom, top = self.draws.bounds(reach, grade.dtype)
        rich = grade >= top
        rich_count = np.count_nonzero(rich)
        always = None
        if 2 * rich_count >= grade.size:
            picked = np.flatnonzero(~rich)
            g, w = grade.take(picked), weight.take(picked)
            always = _whole_less_part(weight, grade, w, g)
            picked = np.flatnonzero(g >= bottom)
            if picked.size < g.size:
                g, w = g.take(picked), w.take(picked)
        else:
            picked = np.flatnonzero((grade < top) & (grade >= bottom))
            g, w = grade.take(picked), weight.take(picked)
        if always is None and rich_count:
            picked = np.flatnonzero(rich)
            w_rich = weight.take(picked)
            always = (w_rich.sum(), dot(w_rich, grade.take(picked)))
        bins = self.linear if bins is None else bins
        if always is not None:
            bins.add_to_all(always)
        if g.size:
            bins.add(self.draws.reached(g, reach), (w, w * g))

    def add_window(
        self,
        weight: np.ndarray,
        grade: np.ndarray,
        thickness: np.ndarray,
        top: np.ndarray | float,
        min_depth: float | None,
        max_depth: float | None,
        reach: float,
    ) -> None:
        """The ramps of cells of ``weight`` tonnes per metre whose counted thickness is that of ``[top, top +
        thickness * t]`` cut to ``[min_depth, max_depth]`` (see the module's docstring)."""
        for part in _slices(grade.size):
            top_part = top[part] if isinstance(top, np.ndarray) and top.ndim else top
            self._add_window(weight[part], grade[part], thickness[part], top_part, min_depth, max_depth, reach)

    def _add_window(
        self,
        weight: np.ndarray,
        grade: np.ndarray,
        thickness: np.ndarray,
        top: np.ndarray | float,
        min_depth: float | None,
        max_depth: float | None,
        reach: float,
    ) -> None:
        low = -np.inf if min_depth is None else float(min_depth)
        high = np.inf if max_depth is None else float(max_depth)
        counts = thickness > 0
        starts_above_bottom = np.maximum(top, low) < high
        if np.ndim(top) or not starts_above_bottom:  # one constant top: one answer for every cell
            counts &= starts_above_bottom
        if max_depth is not None:
            counts = self._add_filled(weight, grade, thickness, top, low, high, counts, reach)
        slope = weight * thickness
        from_top = counts if min_depth is None else counts & (top >= low)  # the ore starts in the window: b = 0
        if from_top.all():
            self._add_linear(slope, grade, reach)
        else:
            self._add_linear(slope[from_top], grade[from_top], reach)
        cells = (grade, thickness, top, slope)
        if min_depth is not None:  # ramps up where the ore reaches the minimum depth
            self._ramps(low, 1.0, counts & (top < low), cells, reach)
        if max_depth is not None:  # ramps down where it passes the maximum depth in some draw
            with np.errstate(over="ignore", divide="ignore"):  # a factor of 5e-324: inf, no cell that deep
                deep = thickness > (high - top) / self.draws.t_sorted[-1]  # but for rounding, where b < the highest t
            if deep.any():
                self._ramps(high, -1.0, counts & deep, cells, reach)

    def _add_filled(
        self,
        weight: np.ndarray,
        grade: np.ndarray,
        thickness: np.ndarray,
        top: np.ndarray | float,
        low: float,
        high: float,
        counts: np.ndarray,
        reach: float,
    ) -> np.ndarray:
        """Sum apart the cells of ``counts`` whose ore reaches the window's bottom ``high`` even at the lowest
        thickness factor: they count the window's height below their top, ``weight * (high - max(top, low))``,
        in every draw that their grade reaches. As ramps, a rise and a fall of ``weight * thickness`` that
        cancel, one cell of 1e20 m left the others' tonnes to rounding and every draw read 0 t. The cells left,
        to be summed as ramps."""
        with np.errstate(over="ignore"):  # a thickness of 1e308 times a factor above 1: inf, which fills it
            filled = counts & (thickness * self.draws.t_sorted[0] >= high - top)
        picked = np.flatnonzero(filled)
        if picked.size == 0:
            return counts
        if self.filled is None:
            self.filled = _Bins(2, self.draws.size)
        start = np.maximum(top if np.ndim(top) == 0 else np.take(top, picked), low)
        held = weight.take(picked) * (high - start)
        self._add_linear(held, grade.take(picked), reach, self.filled)
        return counts & ~filled

    def _ramps(
        self,
        depth: float,
        sign: float,
        where: np.ndarray,
        cells: tuple[np.ndarray, np.ndarray, np.ndarray | float, np.ndarray],
        reach: float,
    ) -> None:
        """The ramps at ``b = (depth - top) / thickness`` of the cells ``where`` (grade, thickness, top, slope;
        those below every threshold or above every factor left out), each ``sign * slope``: split by what the
        draws' range decides for each."""
        grade, thickness, top, slope = cells
        draws = self.draws
        lowest, highest = draws.bounds(reach, grade.dtype)
        pick = np.flatnonzero(where)
        pick = pick[grade.take(pick) >= lowest]
        b = (depth - (top if np.ndim(top) == 0 else np.take(top, pick))) / thickness.take(pick)
        live = b < draws.t_sorted[-1]  # the others count in no draw
        pick, b = pick[live], b[live]
        if pick.size == 0:
            return
        g = grade.take(pick)
        s = sign * slope.take(pick)
        weights = np.stack([s, s * b, s * g, s * g * b])
        self.ramp_size += np.abs(weights[:2]).sum(axis=1)
        early = b < draws.t_sorted[0]  # below every draw's factor
        rich = g >= highest  # above every draw's threshold
        if self.ramps is None:
            self.ramps = _Bins(4, draws.size)
        self.ramps.add_to_all(weights[:, early & rich].sum(axis=1))
        grade_only = np.flatnonzero(early & ~rich)
        if grade_only.size:
            self.ramps.add(draws.reached(g[grade_only], reach), weights[:, grade_only])
        thickness_only = np.flatnonzero(~early & rich)
        if thickness_only.size:
            if self.ramps_by_t is None:
                self.ramps_by_t = _Bins(4, draws.size)
            self.ramps_by_t.add(draws.exceeded(b[thickness_only]), weights[:, thickness_only])
        both = np.flatnonzero(~early & ~rich)
        if both.size:
            found = _dominance(draws, b[both], g[both], weights[:, both], reach)
            self.ramps_per_draw = found if self.ramps_per_draw is None else self.ramps_per_draw + found

    def totals(self, scale: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Per draw, in draw order: ``scale`` x the linear sums plus the ramps' ``t Σ s - Σ s b`` and
        ``t Σ s g - Σ s g b`` (with a window: tonnes and tonnes x grade per unit density multiplier)."""
        draws = self.draws
        (linear,) = self.linear.per_draw(draws.theta_rank)
        ore, metal = scale * linear.real, scale * linear.imag
        if self.filled is not None:
            (filled,) = self.filled.per_draw(draws.theta_rank)
            ore += filled.real
            metal += filled.imag
        if self.ramps is None and self.ramps_by_t is None and self.ramps_per_draw is None:
            return ore, metal
        ramps = np.zeros((2, draws.size), dtype=np.complex128)  # (Σ s, Σ s b), (Σ s g, Σ s g b) as in _Bins
        if self.ramps is not None:
            ramps += self.ramps.per_draw(draws.theta_rank)
        if self.ramps_by_t is not None:
            ramps += self.ramps_by_t.per_draw(draws.t_rank)
        if self.ramps_per_draw is not None:
            ramps.real += self.ramps_per_draw[0::2]
            ramps.imag += self.ramps_per_draw[1::2]
        ore = ore + draws.t * ramps[0].real - ramps[0].imag
        metal = metal + draws.t * ramps[1].real - ramps[1].imag
        # Where a draw's ramps cancel (ore that enters the window and leaves it, or none at all) their sums leave
        # rounding, about 1e-12 of the largest, that would read as ore at a made-up grade: below the bound of
        # that rounding a draw holds no ore.
        noise = _ROUNDING * (draws.size + 64) * (draws.t_sorted[-1] * self.ramp_size[0] + self.ramp_size[1])
        empty = np.abs(ore) <= noise
        if empty.any():
            ore[empty] = 0.0
            metal[empty] = 0.0
        return ore, metal


class _Bins:
    """Rows of sums binned by how many draws of an order an entry counts in (bin c: those counting in the first
    c draws), the rows paired as the real and imaginary parts of complex numbers: numpy's cumulative sum runs at
    the latency of an addition (4 ns an element) whatever the element's width, so a pair costs what a row would.
    """

    def __init__(self, rows: int, draws: int):
        self.pairs = np.zeros((rows // 2, draws + 1), dtype=np.complex128)

    def _row(self, row: int) -> np.ndarray:
        pair = self.pairs[row // 2]
        return pair.imag if row % 2 else pair.real

    def add(self, count: np.ndarray, weights: Sequence[np.ndarray] | np.ndarray) -> None:
        """Each row of ``weights`` to its row at each entry's ``count``."""
        for row, values in enumerate(weights):
            bins = self._row(row)
            bins += np.bincount(count, weights=values, minlength=self.pairs.shape[1])

    def add_to_all(self, sums: Sequence[float] | np.ndarray) -> None:
        """Per row, the sum of entries counting in every draw."""
        for row, value in enumerate(sums):
            self._row(row)[-1] += value

    def per_draw(self, rank: np.ndarray) -> np.ndarray:
        """``out[pair, j]``: the sums of the entries counting in draw j, at position ``rank[j]`` of the order."""
        summed = np.cumsum(self.pairs[:, ::-1], axis=1)  # summed[:, k]: bins D - k to D, D the top bin
        return summed.take(self.pairs.shape[1] - 2 - rank, axis=1)  # bins above position rank: D - 1 - rank


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """A dot product without BLAS, whose threads would fight the engine's reader thread (einsum is
    single-threaded)."""
    return float(np.einsum("i,i->", a, b, dtype=np.float64))


def _whole_less_part(weight: np.ndarray, grade: np.ndarray, w: np.ndarray, g: np.ndarray) -> tuple[float, float] | None:
    """``Σ weight`` and ``Σ weight * grade`` over all cells less those over a part (``w``, ``g``), or None
    when the part weighs more than half of the whole (the difference would lose more than a bit)."""
    whole, part = (weight.sum(), dot(weight, grade)), (w.sum(), dot(w, g))
    if part[0] <= 0.5 * whole[0] and abs(part[1]) <= 0.5 * abs(whole[1]):
        return whole[0] - part[0], whole[1] - part[1]
    return None


def _dominance(draws: DrawSet, b: np.ndarray, g: np.ndarray, weights: np.ndarray, reach: float) -> np.ndarray:
    """``out[:, j] = Σ weights[:, i]`` over the ramps with ``b_i < t_j`` and ``g_i >= theta_j``.

    Draws in decreasing ``t`` are positions 0..D-1; ramp i counts in the first ``q_i`` of them. That prefix is
    the union of one aligned block of size 2^L for every bit L set in ``q_i``. Within each block the draws
    are ordered by ``theta``, so the ramp counts in a leading run of the block (those with ``theta <= g_i``):
    add its weight at the run's start, subtract it at its end, and one cumulative sum per level gives every
    draw its total. O((ramps + draws) log draws) time, O(ramps + draws) memory.
    """
    size = draws.size
    count = draws.exceeded(b).astype(np.int64)  # int64: a block's key, block x draws, passes 2**31 at 46,341 draws
    below = draws.reached(g, reach).astype(np.int64)  # draws with theta <= g
    out = np.zeros((weights.shape[0], size))
    level = 0
    while (1 << level) <= size:
        has = ((count >> level) & 1).astype(bool)
        if has.any():
            keys, target = draws.level(level)
            block = (count[has] >> level) - 1
            start = block << level
            end = np.searchsorted(keys, block * size + below[has], side="left")
            for k in range(weights.shape[0]):
                w = weights[k, has]
                diff = np.bincount(start, w, minlength=size + 1) - np.bincount(end, w, minlength=size + 1)
                out[k, target] += np.cumsum(diff[:size])
        level += 1
    return out
