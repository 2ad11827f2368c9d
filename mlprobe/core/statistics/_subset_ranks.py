"""Rank statistics of some rows, and of all the other rows, over one global sort.

A slice's rows in score order are its sorted positions in the global order
(:class:`~mlprobe.core.statistics._sorted_scores.SortedScores`), so its rank
statistics (:class:`~mlprobe.core.statistics.ranks.AucCounts`) come from
cumulative counts over those positions, with no sort of its own. The rows
outside it (its rest) need no pass of their own either: a rest row's placement
is all rows' placement minus the slice's, and each of the five statistics of
the rest expands into all rows' totals and sums over the slice's runs, with the
suffix sums of :class:`~mlprobe.core.statistics._sorted_scores.RunTotals`.
Writing ``p, n`` for a run's positives and negatives, ``h, g`` for all rows'
placements and ``*_s`` for the slice's::

    2U(rest)      = 2U(all) - sum n_s g - sum p_s h + 2U(slice)
    pos_sq(rest)  = pos_sq(all) - 2 sum n_s w + sum n_s (4 above + 2p) 2 below_s
                    + sum n_s^2 (4 above + p) - sum p_s (h - h_s)^2
    neg_sq(rest)  = neg_sq(all) - 2 sum p_s v + sum p_s (4 below + 2n) 2 above_s
                    + sum p_s^2 (4 below + n) - sum n_s (g - g_s)^2

The cost is that of the slice's rows, so callers pass the smaller of a slice
and its complement and swap the answers.

Examples
--------
>>> import numpy as np
>>> from mlprobe.core.statistics._sorted_scores import SortedScores
>>> s = np.array([0.1, 0.4, 0.35, 0.8, 0.5]); y = np.array([0, 0, 1, 1, 0], bool)
>>> totals = SortedScores.of(s, y).totals()
>>> mine, rest = subset_and_rest(totals, np.array([0, 1, 2]))  # sorted positions
>>> float(mine.auc[0]), float(rest.auc[0])
(0.5, 1.0)
"""

from __future__ import annotations

import numpy as np

from mlprobe.core.statistics._sorted_scores import RunTotals
from mlprobe.core.statistics.ranks import AucCounts

__all__ = ["subset_and_rest"]


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """``sum(a * b)`` in one pass, without BLAS: its threads stall when the other cores
    are busy (40 ms instead of 3 for a dot of 1e5 rows on two shared cores)."""
    return float(np.einsum("i,i->", a, b))


class _Groups:
    """Sums per group over runs whose groups do not decrease (or all in one group)."""

    def __init__(self, run_group: np.ndarray | None, n_groups: int) -> None:
        self.run_group = run_group
        self.n_groups = n_groups

    def sum(self, values: np.ndarray) -> np.ndarray:
        if self.run_group is None:
            return np.array([values.sum()], dtype=np.float64)
        return np.bincount(self.run_group, weights=values, minlength=self.n_groups)

    def dot(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.run_group is None:
            return np.array([_dot(a, b)], dtype=np.float64)
        return np.bincount(self.run_group, weights=a * b, minlength=self.n_groups)

    def spread(self, per_group: np.ndarray) -> np.ndarray | float:
        """Each run's value of a per-group array."""
        return per_group[0] if self.run_group is None else per_group[self.run_group]

    def cumsum(self, values: np.ndarray) -> np.ndarray:
        """Inclusive cumulative sum restarting at each group."""
        total = np.cumsum(values)
        if self.run_group is None or len(values) == 0:
            return total
        first = np.searchsorted(self.run_group, np.arange(self.n_groups))
        offsets = np.zeros(self.n_groups)
        present = first < len(values)
        offsets[present] = (total - values)[first[present]]
        result: np.ndarray = total - offsets[self.run_group]
        return result


def subset_and_rest(
    totals: RunTotals,
    positions: np.ndarray,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
) -> tuple[AucCounts, AucCounts]:
    """Rank statistics of the rows at sorted ``positions`` per group, and of their rests.

    Parameters
    ----------
    totals : RunTotals
        All rows' totals over the global sort.
    positions : ndarray of int
        Sorted positions of the groups' rows, increasing within each group.
    groups : ndarray of int, optional
        The group of each entry of ``positions`` (non-decreasing); None: one group.
    n_groups : int
        Number of groups.

    Returns
    -------
    subset, rest : AucCounts
        Of each group's rows, and of all rows but the group's.
    """
    scores = totals.sorted
    is_positive = scores.positive[positions]
    if groups is None and scores.run_of is None:
        return _distinct_subset_and_rest(totals, positions, is_positive)
    if scores.run_of is None:
        runs = positions
        p_s = is_positive.astype(np.float64)
        n_s = 1.0 - p_s
        run_group = groups
    else:
        run_ids = scores.run_of[positions]
        new_run = np.ones(len(run_ids), dtype=bool)
        new_run[1:] = run_ids[1:] != run_ids[:-1]
        if groups is not None:
            new_run[1:] |= groups[1:] != groups[:-1]
        starts = np.flatnonzero(new_run)
        runs = run_ids[starts]
        p_s = (
            np.add.reduceat(is_positive.astype(np.float64), starts) if len(starts) else np.zeros(0)
        )
        n_s = np.diff(np.append(starts, len(run_ids))).astype(np.float64) - p_s
        run_group = None if groups is None else groups[starts]
    by = _Groups(run_group, n_groups)
    n_pos, n_neg = by.sum(p_s), by.sum(n_s)
    below_s = by.cumsum(n_s) - n_s
    above_s = by.spread(n_pos) - by.cumsum(p_s)
    h_s = 2 * below_s + n_s
    g_s = 2 * above_s + p_s
    ph_s, ng_s = p_s * h_s, n_s * g_s
    twice_u = by.sum(ph_s)
    mine = AucCounts(twice_u, n_pos, n_neg, by.dot(ph_s, h_s), by.dot(ng_s, g_s))
    # all rows, at the slice's runs
    p, n = totals.run_counts(runs)
    below, above = totals.below[runs], totals.above[runs]
    h = 2 * below + n
    g = 2 * above + p
    every = totals.all_rows()
    rest_u = every.twice_u - by.dot(n_s, g) - by.dot(p_s, h) + twice_u
    dh, dg = h - h_s, g - g_s
    rest_pos = (
        every.positive_squares
        - 2 * by.dot(n_s, totals.w[runs])
        + by.dot(n_s * (4 * above + 2 * p), 2 * below_s)
        + by.dot(n_s * n_s, 4 * above + p)
        - by.dot(p_s * dh, dh)
    )
    rest_neg = (
        every.negative_squares
        - 2 * by.dot(p_s, totals.v[runs])
        + by.dot(p_s * (4 * below + 2 * n), 2 * above_s)
        + by.dot(p_s * p_s, 4 * below + n)
        - by.dot(n_s * dg, dg)
    )
    rest = AucCounts(rest_u, every.n_positive - n_pos, every.n_negative - n_neg, rest_pos, rest_neg)
    return mine, rest


def _distinct_subset_and_rest(
    totals: RunTotals, positions: np.ndarray, is_positive: np.ndarray
) -> tuple[AucCounts, AucCounts]:
    """:func:`subset_and_rest` of one group when no two scores are equal.

    Each row is then its own run: a positive's run holds no negative (``n = 0``)
    and a negative's no positive, so the sums split into one over the slice's
    positives and one over its negatives, indexed by their ranks in the slice.
    """
    at_positive = np.flatnonzero(is_positive)  # index in the slice
    at_negative = np.flatnonzero(~is_positive)
    n_pos, n_neg = len(at_positive), len(at_negative)
    positive_rows, negative_rows = positions[at_positive], positions[at_negative]
    # a positive's slice negatives below: its index in the slice less the positives before it
    below_s = (at_positive - np.arange(n_pos)).astype(np.float64)
    # a negative's slice negatives below (its rank among them) and slice positives above
    rank_s = np.arange(n_neg, dtype=np.float64)
    above_s = n_pos - (at_negative - rank_s)
    h_s, g_s = 2 * below_s, 2 * above_s
    h = 2 * totals.below[positive_rows]  # all rows' placements (no tied rows of the other kind)
    g = 2 * totals.above[negative_rows]
    positive_above = np.arange(n_pos - 1, -1, -1, dtype=np.float64)  # slice positives above
    twice_u = h_s.sum()
    mine = AucCounts(
        np.array([twice_u]),
        np.array([float(n_pos)]),
        np.array([float(n_neg)]),
        np.array([_dot(h_s, h_s)]),
        np.array([_dot(g_s, g_s)]),
    )
    every = totals.all_rows()
    dh, dg = h - h_s, g - g_s
    sum_g, sum_h = g.sum(), h.sum()
    rest_u = every.twice_u - sum_g - sum_h + twice_u
    # n_s = 1, p = 0 at a negative: 4 above + 2p = 4 above + p = 2g
    rest_pos = (
        every.positive_squares
        - 2 * totals.w[negative_rows].sum()
        + 4 * _dot(g, rank_s)
        + 2 * sum_g
        - _dot(dh, dh)
    )
    rest_neg = (
        every.negative_squares
        - 2 * totals.v[positive_rows].sum()
        + 4 * _dot(h, positive_above)
        + 2 * sum_h
        - _dot(dg, dg)
    )
    rest = AucCounts(
        rest_u,
        every.n_positive - n_pos,
        every.n_negative - n_neg,
        rest_pos,
        rest_neg,
    )
    return mine, rest
