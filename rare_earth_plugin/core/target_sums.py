"""Exact tonnage sums of many Monte Carlo draws at once, added up tile by tile as an area's cells stream past.

A draw scales thickness by ``t`` and grade by ``f`` (and density by a multiplier applied by the caller); a cell
is ore in a draw when its grade reaches ``theta = cutoff / f``. Per cell, the counted thickness within the
depth window is piecewise linear in ``t``::

    counted_i(t) = h_i * (clip(t, t1_i, t2_i) - t1_i)      t1_i: the factor where the ore reaches the window,
                                                          t2_i: where it fills it (inf without a maximum depth)

so the sum over cells is a sum of ramps ``s * (t - b)^+`` (``+w*h`` at ``t1``, ``-w*h`` at ``t2``). A ramp counts
in a draw when its breakpoint ``b < t`` and its cell's grade ``g >= theta``. Ramps are split by what the draws'
range decides for them: always counted (one sum), decided by thickness only or by grade only (each ramp binned
by how many draws it counts in, one cumulative sum over the draws) or by both (a two-dimensional dominance
sum, done exactly by a binary decomposition of the draws, ``_dominance``). No sampling of cells, no
approximation: every draw's sums equal the per-cell evaluation up to floating-point rounding, and, being sums
over cells, they add up across tiles, so memory is bounded by a tile whatever the area.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .tonnage_sums import at_least

#: Buckets per sorted value in ``_Counter``: more make fewer cells need a binary search, at the cost of a larger
#: table (16 x 10,003 draws: 160,048 buckets), at most ``_MAX_BUCKETS`` (2.4 MB of tables) whatever the draws.
_BUCKETS_PER_VALUE = 16
_MAX_BUCKETS = 1 << 18
#: Draws up to which ``_dominance``'s per-level orderings are kept with the draws (16 bytes a draw a level).
_KEEP_LEVELS = 1 << 17


class _Counter:
    """Sums of weights binned by how many of the sorted ``values`` each x reaches (``searchsorted(values, x,
    side="right")``), in a few elementwise passes and one bincount per weight instead of a binary search per
    cell, which costs 30-50 ns a cell over 10,000 draws.

    Any monotone map of x to a bucket index will do: a bucket no value maps to holds only x with the same count
    (if x >= v for a value v, x's bucket >= v's, and the other way round), so its sums move to that count's bin
    whole; the few x in a bucket some value maps to are counted by binary search. The map is evaluated the same
    way for the values and for x, so rounding cannot break the argument: the sums are exact."""

    def __init__(self, values: np.ndarray):
        self.values = values
        low, high = (float(values[0]), float(values[-1])) if values.size else (0.0, 0.0)
        # with one bucket below and one above all values
        self.buckets = min(_BUCKETS_PER_VALUE * max(values.size, 1), _MAX_BUCKETS) + 3
        self.low = np.float32(low)
        span = high - low if high > low else max(abs(low), 1.0)
        self.scale = np.float32((self.buckets - 3) / span)
        where = self._bucket(values)
        self.exact = np.zeros(self.buckets + 1, dtype=bool)  # the last bucket gathers the x counted exactly
        self.exact[where] = True
        #: Each bucket's count (values in lower buckets); the exactly counted x are binned apart, so their
        #: bucket goes to a bin past the last count, left out.
        below = np.cumsum(np.bincount(where, minlength=self.buckets))
        self.count = np.concatenate([[0], below[:-1], [values.size + 1]])

    def _bucket(self, x: np.ndarray) -> np.ndarray:
        position = np.subtract(x, self.low, dtype=np.float32)  # float32 halves the memory traffic
        with np.errstate(over="ignore"):  # far above every value: inf, then the top bucket
            position *= self.scale
        position += 1.0
        np.fmax(position, 0.0, out=position)  # NaN, never given, would land in bucket 0 (no value reached)
        np.fmin(position, self.buckets - 1.0, out=position)
        return position.astype(np.intp)  # truncation of values >= 0: a floor

    def binned(self, x: np.ndarray, weights: Sequence[np.ndarray]) -> np.ndarray:
        """``out[row, c]``: the sum of ``weights[row]`` over the x that reach exactly c values."""
        size = self.values.size + 1
        if x.size * _BUCKETS_PER_VALUE < self.buckets:  # fewer x than buckets: the table would cost more
            count = np.searchsorted(self.values, x, side="right")
            return np.stack([np.bincount(count, weights=values, minlength=size) for values in weights])
        bucket = self._bucket(x)
        search = np.flatnonzero(self.exact[bucket])
        exact = np.searchsorted(self.values, x[search], side="right")
        bucket[search] = self.buckets
        out = np.empty((len(weights), size))
        for row, values in enumerate(weights):
            per_bucket = np.bincount(bucket, weights=values, minlength=self.buckets + 1)
            out[row] = np.bincount(self.count, weights=per_bucket, minlength=size + 1)[:size]
            out[row] += np.bincount(exact, weights=values[search], minlength=size)
        return out


class DrawSet:
    """The draws' thickness factors ``t`` and grade thresholds ``theta``, with the orderings and counters every
    tile's sums use, made once for an area (or for many areas sharing the draws)."""

    def __init__(self, t: np.ndarray, theta: np.ndarray):
        self.t = np.asarray(t, dtype=np.float64)
        self.theta = np.asarray(theta, dtype=np.float64)
        self.size = self.t.size
        self.by_theta = np.argsort(self.theta, kind="stable")  # ascending: the first k have theta <= g
        self.by_t = np.argsort(-self.t, kind="stable")  # descending: the first k have t > b
        self.t_sorted = np.sort(self.t)
        self._t_counter: _Counter | None = None  # made when first needed: only a depth window needs it
        self._theta_counters: dict[float, _Counter] = {}
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

    def by_grade(self, grade: np.ndarray, weights: Sequence[np.ndarray], reach: float) -> np.ndarray:
        """Per draw, the sums of ``weights`` over the entries whose grade reaches the draw's threshold."""
        return _prefix(self._theta_counter(reach).binned(grade, weights), self.by_theta)

    def by_thickness(self, breakpoint: np.ndarray, weights: Sequence[np.ndarray]) -> np.ndarray:
        """Per draw, the sums of ``weights`` over the entries whose breakpoint lies below the draw's factor."""
        if self._t_counter is None:
            self._t_counter = _Counter(self.t_sorted)
        below = self._t_counter.binned(breakpoint, weights)  # by how many factors are <= the breakpoint
        return _prefix(below[:, ::-1], self.by_t)  # by how many lie above it

    def reached(self, grade: np.ndarray, reach: float) -> np.ndarray:
        """Per grade, how many draws' thresholds it reaches."""
        return np.searchsorted(self.thresholds(reach), grade, side="right")

    def exceeded(self, breakpoint: np.ndarray) -> np.ndarray:
        """Per breakpoint, how many draws' thickness factors lie above it."""
        return self.size - np.searchsorted(self.t_sorted, breakpoint, side="right")

    def level(self, level: int) -> tuple[np.ndarray, np.ndarray]:
        """``_dominance``'s sorted keys and draws at one level (they depend on the draws only)."""
        if level in self._levels:
            return self._levels[level]
        rank = np.empty(self.size, dtype=np.int64)
        rank[self.by_theta] = np.arange(self.size)
        keys = (np.arange(self.size, dtype=np.int64) >> level) * self.size + rank[self.by_t]
        perm = np.argsort(keys, kind="stable")
        found = (keys[perm], self.by_t[perm])
        if self.size <= _KEEP_LEVELS:
            self._levels[level] = found
        return found


def window_limits(
    top: np.ndarray, thickness: np.ndarray, min_depth: float | None, max_depth: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: ``t1`` and ``t2``, the factors where the ore reaches the window and where it fills it;
    ``t1 = inf`` for a cell that never counts (no thickness, or the window above it), ``t2 = inf`` without a
    maximum depth."""
    low = -np.inf if min_depth is None else float(min_depth)
    high = np.inf if max_depth is None else float(max_depth)
    start = np.maximum(top, low)
    counts = (thickness > 0) & (start < high)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(counts, (start - top) / thickness, np.inf)
        t2 = np.where(counts, (high - top) / thickness, np.inf) if np.isfinite(high) else np.full(top.shape, np.inf)
    return t1, t2


def linear_sums(
    draws: DrawSet, weight: np.ndarray, grade: np.ndarray, reach: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Per draw ``j``: ``Σ weight`` and ``Σ weight * grade`` over the cells whose grade reaches ``theta_j``.

    Without a depth window tonnes are linear in the thickness factor, so only the grade threshold varies per
    cell: cells above every threshold are summed once, the others binned by how many thresholds they reach
    (no sorting, no binary search per cell)."""
    thresholds = draws.thresholds(reach)
    always = grade >= at_least(thresholds[-1], grade.dtype)  # einsum sums under a mask without copying it
    ore = np.full(draws.size, float(np.einsum("i,i->", weight, always)))
    metal = np.full(draws.size, float(np.einsum("i,i,i->", weight, grade, always, dtype=np.float64)))
    band = np.flatnonzero((grade >= at_least(thresholds[0], grade.dtype)) & ~always)
    if band.size:
        g, w = grade.take(band), weight.take(band)
        binned = draws.by_grade(g, (w, w * g), reach)
        ore += binned[0]
        metal += binned[1]
    return ore, metal


def draw_sums(
    draws: DrawSet,
    weight: np.ndarray,
    grade: np.ndarray,
    thickness: np.ndarray,
    top: np.ndarray,
    min_depth: float | None,
    max_depth: float | None,
    reach: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Per draw ``j``: tonnes and tonnes x grade per unit density multiplier, over the cells whose grade reaches
    ``theta_j``, each counting ``weight * counted_thickness(top, thickness * t_j, min_depth, max_depth)`` tonnes
    (``weight``: tonnes per metre, area x density).

    Each cell is a ramp up at ``t1`` and, with a maximum depth, a ramp down at ``t2`` (see the module's
    docstring): ``Σ s (t_j - b)`` and ``Σ s g (t_j - b)`` over the ramps with ``b < t_j``."""
    sums = np.zeros((4, draws.size))  # per draw: Σ s, Σ s b, Σ s g, Σ s g b over the counted ramps
    t1, t2 = window_limits(top, thickness, min_depth, max_depth)
    slope = weight * thickness
    can_count = (slope > 0) & (grade >= at_least(draws.thresholds(reach)[0], grade.dtype))
    t_high = float(draws.t_sorted[-1])
    for breakpoint, sign in ((t1, 1.0), (t2, -1.0)):
        live = np.flatnonzero(can_count & (breakpoint < t_high))  # inf never is
        if live.size:
            sums += sign * _ramp_sums(draws, breakpoint.take(live), slope.take(live), grade.take(live), reach)
    return draws.t * sums[0] - sums[1], draws.t * sums[2] - sums[3]


def _ramp_sums(draws: DrawSet, b: np.ndarray, s: np.ndarray, g: np.ndarray, reach: float) -> np.ndarray:
    """Σ s, Σ s b, Σ s g and Σ s g b per draw over the ramps with ``b < t_j`` and ``g >= theta_j``, split by
    what the draws' range decides for each: always counted (one sum, under a mask), decided by grade only or
    by thickness only (binned), or by both (``_dominance``)."""
    early = b < draws.t_sorted[0]  # below every draw's factor
    rich = g >= at_least(draws.thresholds(reach)[-1], g.dtype)  # above every draw's threshold
    always = early & rich
    sums = np.empty((4, draws.size))
    sums[0] = np.einsum("i,i->", s, always)
    sums[1] = np.einsum("i,i,i->", s, b, always)
    sums[2] = np.einsum("i,i,i->", s, g, always, dtype=np.float64)
    sums[3] = np.einsum("i,i,i,i->", s, g, b, always, dtype=np.float64)

    def weights(pick: np.ndarray) -> tuple[np.ndarray, ...]:  # b, g and the four weights of the picked ramps
        bp, sp, gp = b.take(pick), s.take(pick), g.take(pick)
        return bp, gp, sp, sp * bp, sp * gp, sp * gp * bp

    grade_only = np.flatnonzero(early & ~rich)
    if grade_only.size:
        _, gp, *w = weights(grade_only)
        sums += draws.by_grade(gp, w, reach)
    thickness_only = np.flatnonzero(~early & rich)
    if thickness_only.size:
        bp, _, *w = weights(thickness_only)
        sums += draws.by_thickness(bp, w)
    both = np.flatnonzero(~early & ~rich)
    if both.size:
        bp, gp, *w = weights(both)
        sums += _dominance(draws, bp, gp, np.stack(w), reach)
    return sums


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """A dot product without BLAS, whose threads would fight the engine's reader thread (einsum is
    single-threaded)."""
    return float(np.einsum("i,i->", a, b, dtype=np.float64))


def _prefix(per_count: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``out[:, order[p]]``: the sums of the entries that count in more than p draws, from the sums per count
    (``per_count[:, c]``: the entries that count in the draws at the first c positions of ``order``)."""
    out = np.empty((per_count.shape[0], order.size))
    out[:, order] = np.cumsum(per_count[:, ::-1], axis=1)[:, ::-1][:, 1:]
    return out


def _dominance(draws: DrawSet, b: np.ndarray, g: np.ndarray, weights: np.ndarray, reach: float) -> np.ndarray:
    """``out[:, j] = Σ weights[:, i]`` over the ramps with ``b_i < t_j`` and ``g_i >= theta_j``.

    Draws in decreasing ``t`` are positions 0..D-1; ramp i counts in the first ``q_i`` of them. That prefix is
    the union of one aligned block of size 2^L for every bit L set in ``q_i``. Within each block the draws
    are ordered by ``theta``, so the ramp counts in a leading run of the block (those with ``theta <= g_i``):
    add its weight at the run's start, subtract it at its end, and one cumulative sum per level gives every
    draw its total. O((ramps + draws) log draws) time, O(ramps + draws) memory.
    """
    size = draws.size
    count = draws.exceeded(b)
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
