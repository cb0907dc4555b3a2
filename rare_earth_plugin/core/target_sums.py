"""Exact tonnage sums of many Monte Carlo draws at once, from the cells of one area read once.

A draw scales thickness by ``t`` and grade by ``f`` (and density by a multiplier applied by the caller). Per
cell, the counted thickness within the depth window is piecewise linear in ``t``::

    counted_i(t) = h_i * (clip(t, t1_i, t2_i) - t1_i)      t1_i: the factor where the ore reaches the window,
                                                          t2_i: where it fills it (inf without a maximum depth)

so the sum over cells is a sum of ramps ``s * (t - b)^+`` (``+w*h`` at ``t1``, ``-w*h`` at ``t2``). A ramp counts
in a draw when its breakpoint ``b < t`` and its cell's grade ``g >= cutoff / f``. Ramps are split by what the
draws' range decides for them: always counted (one sum), decided by thickness only or by grade only (sorted
once, one ``searchsorted`` per draw) or by both (a two-dimensional dominance sum, done exactly by a binary
decomposition of the draws, ``_dominance``). No sampling of cells, no binning: every draw's sums equal the
per-cell evaluation up to floating-point rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Ramps:
    """Ramp breakpoints ``b``, slopes ``s`` (tonnes per unit factor per unit density multiplier) and the
    cell grades ``g``; one entry per ramp."""

    b: np.ndarray
    s: np.ndarray
    g: np.ndarray


def window_limits(
    top: np.ndarray, thickness: np.ndarray, min_depth: float | None, max_depth: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell: ``start`` (where counting begins), ``t1`` and ``t2`` (factors where the ore reaches the
    window and fills it); ``t1 = inf`` for a cell that never counts (no thickness, or the window above it)."""
    low = -np.inf if min_depth is None else float(min_depth)
    high = np.inf if max_depth is None else float(max_depth)
    start = np.maximum(top, low)
    counts = (thickness > 0) & (start < high)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(counts, (start - top) / thickness, np.inf)
        t2 = np.where(counts, (high - top) / thickness, np.inf) if np.isfinite(high) else np.full(top.shape, np.inf)
    return start, t1, t2


def ramps(
    weight: np.ndarray,
    grade: np.ndarray,
    thickness: np.ndarray,
    top: np.ndarray,
    min_depth: float | None,
    max_depth: float | None,
) -> Ramps:
    """The ramps of cells with tonnes-per-metre ``weight`` (area x density), before any factor."""
    _, t1, t2 = window_limits(top, thickness, min_depth, max_depth)
    slope = weight * thickness
    up = np.isfinite(t1) & (slope > 0)
    down = up & np.isfinite(t2)
    return Ramps(
        b=np.concatenate([t1[up], t2[down]]),
        s=np.concatenate([slope[up], -slope[down]]),
        g=np.concatenate([grade[up], grade[down]]),
    )


def linear_sums(
    per_factor: np.ndarray, grade: np.ndarray, t: np.ndarray, theta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``draw_sums`` without a depth window: tonnes are ``per_factor * t``, so only the grade threshold
    varies per cell. Cells above every draw's threshold are summed once; those between the lowest and the
    highest threshold are binned between the sorted thresholds, and a reversed cumulative sum gives each
    draw its total."""
    theta_low, theta_high = float(theta.min()), float(theta.max())
    always = grade >= theta_high
    band = (grade >= theta_low) & ~always
    base_ore = float(per_factor[always].sum())
    base_metal = float(dot(per_factor[always], grade[always]))
    ore = np.full(t.size, base_ore)
    metal = np.full(t.size, base_metal)
    if band.any():
        # Bin the band's cells between the sorted thresholds (cheaper than sorting the cells): a cell with
        # ``count`` thresholds at or below its grade is ore in the draws at sorted positions below ``count``.
        order = np.argsort(theta, kind="stable")
        count = np.searchsorted(theta[order], grade[band], side="right")
        weights = per_factor[band]
        for total, values in ((ore, weights), (metal, weights * grade[band])):
            binned = np.bincount(count, weights=values, minlength=t.size + 1)
            total[order] += np.cumsum(binned[::-1])[::-1][1:]  # position k: the cells with count > k
    return ore * t, metal * t


def draw_sums(r: Ramps, t: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per draw ``j``: ``Σ s (t_j - b)`` and ``Σ s g (t_j - b)`` over the ramps with ``b < t_j`` and
    ``g >= theta_j``."""
    t = np.asarray(t, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    ore = np.zeros(t.size)
    metal = np.zeros(t.size)
    if t.size == 0 or r.b.size == 0:
        return ore, metal
    t_low, t_high = float(t.min()), float(t.max())
    theta_low, theta_high = float(theta.min()), float(theta.max())
    live = (r.b < t_high) & (r.g >= theta_low)
    b, s, g = r.b[live], r.s[live], r.g[live]
    by_thickness = b >= t_low  # otherwise counted in every draw as far as thickness goes
    by_grade = g < theta_high
    weights = np.stack([s, s * b, s * g, s * g * b])

    def add(sums: np.ndarray) -> None:  # sums: (4, draws) of s, s*b, s*g, s*g*b
        ore[:] += t * sums[0] - sums[1]
        metal[:] += t * sums[2] - sums[3]

    always = ~by_thickness & ~by_grade
    add(weights[:, always].sum(axis=1)[:, None] * np.ones(t.size))
    thickness_only = by_thickness & ~by_grade
    if thickness_only.any():
        key, w = b[thickness_only], weights[:, thickness_only]
        order = np.argsort(key, kind="stable")
        cumulative = _prefix(w[:, order])
        add(cumulative[:, np.searchsorted(key[order], t, side="left")])  # ramps with b < t
    grade_only = ~by_thickness & by_grade
    if grade_only.any():
        key, w = g[grade_only], weights[:, grade_only]
        order = np.argsort(key, kind="stable")
        cumulative = _prefix(w[:, order])
        first = np.searchsorted(key[order], theta, side="left")  # ramps with g >= theta from here on
        add(cumulative[:, -1:] - cumulative[:, first])
    both = by_thickness & by_grade
    if both.any():
        add(_dominance(t, theta, b[both], g[both], weights[:, both]))
    return ore, metal


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """A dot product without BLAS, whose threads would fight the engine's reader thread (einsum is
    single-threaded)."""
    return float(np.einsum("i,i->", a, b))


def _prefix(weights: np.ndarray) -> np.ndarray:
    """Cumulative sums with a leading zero column: column k holds the sum of the first k entries."""
    out = np.zeros((weights.shape[0], weights.shape[1] + 1))
    np.cumsum(weights, axis=1, out=out[:, 1:])
    return out


def _dominance(t: np.ndarray, theta: np.ndarray, b: np.ndarray, g: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``out[:, j] = Σ weights[:, i]`` over the ramps with ``b_i < t_j`` and ``g_i >= theta_j``.

    Draws in decreasing ``t`` are positions 0..D-1; ramp i counts in the first ``q_i`` of them. That prefix is
    the union of one aligned block of size 2^L for every bit L set in ``q_i``. Within each block the draws
    are ordered by ``theta``, so the ramp counts in a leading run of the block (those with ``theta <= g_i``):
    add its weight at the run's start, subtract it at its end, and one cumulative sum per level gives every
    draw its total. O((ramps + draws) log draws) time, O(ramps + draws) memory.
    """
    draws = t.size
    order = np.argsort(-t, kind="stable")  # position -> draw, decreasing t
    count = draws - np.searchsorted(np.sort(t), b, side="right")  # draws with t > b
    by_theta = np.argsort(theta, kind="stable")
    rank = np.empty(draws, dtype=np.int64)
    rank[by_theta] = np.arange(draws)
    below = np.searchsorted(theta[by_theta], g, side="right").astype(np.int64)  # draws with theta <= g
    rank_at = rank[order]
    position = np.arange(draws, dtype=np.int64)
    out = np.zeros((weights.shape[0], draws))
    level = 0
    while (1 << level) <= draws:
        has = ((count >> level) & 1).astype(bool)
        if has.any():
            keys = (position >> level) * draws + rank_at
            perm = np.argsort(keys, kind="stable")
            block = (count[has] >> level) - 1
            start = block << level
            end = np.searchsorted(keys[perm], block * draws + below[has], side="left")
            target = order[perm]
            for k in range(weights.shape[0]):
                w = weights[k, has]
                diff = np.bincount(start, w, minlength=draws + 1) - np.bincount(end, w, minlength=draws + 1)
                out[k, target] += np.cumsum(diff[:draws])
        level += 1
    return out
