"""Exact ROC AUC of many slices from one sorted stream of narrow rows.

The engine sorts the rows once by score (per class) and streams them back in batches:
``(score, positive, flags[, weight])``, where ``flags`` packs each slice's condition into
the bits of 64-bit integers (``SUM(CASE WHEN <slice g> THEN 2^g END)``) and ``weight`` is
the number of rows a pre-grouped row stands for. Scanning the stream once, with per-group
running counts carried from batch to batch, gives every group's
:class:`~mlprobe.core.statistics.ranks.AucCounts` (2U, positives, negatives and DeLong's
squared placement sums, ties counted half) for the slices, their complements and all rows,
exactly as :func:`~mlprobe.core.statistics.ranks.grouped_rank_counts` computes them in
memory (integer counts; squares summed in float64).

A run of tied scores may cross a batch boundary: the rows of the last score of a batch are
held back and processed with the next batch, so every run is counted whole.

Per run ``r`` of tied scores and group ``g`` with ``p`` positives, ``n`` negatives, ``b``
negatives and ``c`` positives below the run::

    2U   += p (2b + n)                   positive squares += p (2b + n)^2
    ties += p n                          negative squares += n (2(P - c - p) + p)^2

where ``P`` is the group's number of positives, known before the stream (counted with the
confusion tables). ``ties`` (tied positive-negative pairs) bounds the error of an AUC on
binned scores: it is within ``ties / (2 P N)`` of the AUC of the unbinned scores.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = ["MergeTotals", "merge_sorted"]

#: slices per 64-bit flag column (the sign bit is left alone)
FLAG_BITS = 62


@dataclass
class MergeTotals:
    """Sums over a sorted stream, per group (rows: the slices, then all rows).

    ``twice_u``, ``positive_squares``, ``negative_squares`` and ``ties`` have shape
    ``(2 G + 1,)``: the G slices, all rows, then the G complements.
    """

    twice_u: np.ndarray
    positive_squares: np.ndarray
    negative_squares: np.ndarray
    ties: np.ndarray


def _bits(flags: list[np.ndarray], n_slices: int) -> np.ndarray:
    """(G, rows) 0/1 of each slice's flag bit."""
    parts = []
    for column, flag in enumerate(flags):
        width = min(FLAG_BITS, n_slices - column * FLAG_BITS)
        unpacked = np.unpackbits(
            np.ascontiguousarray(flag, dtype="<i8").view(np.uint8).reshape(-1, 8),
            axis=1,
            bitorder="little",
        )
        parts.append(unpacked[:, :width].T)
    if not parts:
        return np.zeros((0, len(flags[0]) if flags else 0), dtype=np.uint8)
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


class _Accumulator:
    """Running counts and sums of each group across batches.

    Counts and running counts are int64 (numpy's cumulative sum of integers is several
    times faster than of floats, and exact); the squares are summed in float64, as in memory.
    """

    def __init__(self, n_slices: int, positives: np.ndarray) -> None:
        groups = 2 * n_slices + 1
        self.n_slices = n_slices
        #: positives per group (slices, all rows, complements)
        self.positives = np.rint(positives).astype(np.int64)
        self.below_negatives = np.zeros(groups, dtype=np.int64)
        self.below_positives = np.zeros(groups, dtype=np.int64)
        self.twice_u = np.zeros(groups, dtype=np.int64)
        self.ties = np.zeros(groups, dtype=np.int64)
        self.positive_squares = np.zeros(groups)
        self.negative_squares = np.zeros(groups)

    def add(
        self,
        scores: np.ndarray,
        positive: np.ndarray,
        flags: list[np.ndarray],
        weights: np.ndarray | None,
    ) -> None:
        """Rows sorted by score whose runs of tied scores are complete."""
        if len(scores) == 0:
            return
        g = self.n_slices
        weight = (
            np.ones(len(scores), dtype=np.int64) if weights is None else weights.astype(np.int64)
        )
        pos_weight = np.where(positive, weight, 0)
        neg_weight = weight - pos_weight
        new_run = np.empty(len(scores), dtype=bool)
        new_run[0] = True
        np.not_equal(scores[1:], scores[:-1], out=new_run[1:])
        starts = np.flatnonzero(new_run)
        whole = len(starts) == len(scores)  # no ties: each row is its run
        in_slice = _bits(flags, g)
        # per run: positives and negatives of each slice, of all rows, of each complement
        p = np.empty((2 * g + 1, len(starts)), dtype=np.int64)
        n = np.empty((2 * g + 1, len(starts)), dtype=np.int64)
        if g:
            if whole:
                np.multiply(in_slice, pos_weight, out=p[:g])
                np.multiply(in_slice, neg_weight, out=n[:g])
            else:
                p[:g] = np.add.reduceat(in_slice * pos_weight, starts, axis=1)
                n[:g] = np.add.reduceat(in_slice * neg_weight, starts, axis=1)
        p[g] = pos_weight if whole else np.add.reduceat(pos_weight, starts)
        n[g] = neg_weight if whole else np.add.reduceat(neg_weight, starts)
        np.subtract(p[g], p[:g], out=p[g + 1 :])
        np.subtract(n[g], n[:g], out=n[g + 1 :])
        # running counts through each run: of the slices and all rows, then the complements'
        neg_through = np.empty_like(n)
        pos_through = np.empty_like(p)
        np.cumsum(n[: g + 1], axis=1, out=neg_through[: g + 1])
        np.cumsum(p[: g + 1], axis=1, out=pos_through[: g + 1])
        np.subtract(neg_through[g], neg_through[:g], out=neg_through[g + 1 :])
        np.subtract(pos_through[g], pos_through[:g], out=pos_through[g + 1 :])
        # 2b + n, with b the negatives below the run
        twice_below = neg_through
        twice_below *= 2
        twice_below -= n
        twice_below += 2 * self.below_negatives[:, None]
        # 2a + p, with a the positives above the run: 2 (P - positives through) + p
        twice_above = pos_through
        twice_above *= -2
        twice_above += p
        twice_above += 2 * (self.positives - self.below_positives)[:, None]
        self.below_negatives += n.sum(axis=1)
        self.below_positives += p.sum(axis=1)
        self.ties += np.einsum("ij,ij->i", p, n)
        self.twice_u += np.einsum("ij,ij->i", p, twice_below)
        below = twice_below.astype(np.float64)
        weighted = p.astype(np.float64)
        weighted *= below
        self.positive_squares += np.einsum("ij,ij->i", weighted, below)
        above = twice_above.astype(np.float64, copy=False)
        np.multiply(n, above, out=weighted)
        self.negative_squares += np.einsum("ij,ij->i", weighted, above)


def merge_sorted(
    batches: Iterable[tuple[np.ndarray, np.ndarray, list[np.ndarray], np.ndarray | None]],
    n_slices: int,
    positives: np.ndarray,
) -> MergeTotals:
    """Rank sums of every group from batches of rows sorted by score.

    Parameters
    ----------
    batches : iterable of (scores, positive, flags, weights)
        Consecutive batches of the sorted stream: scores (float), positive (bool), the slice
        flag columns (int64, :data:`FLAG_BITS` slices each) and the rows' weights (None: 1).
    n_slices : int
        G, the number of slices.
    positives : ndarray, shape (G,) + (1,)
        Positives of each slice and of all rows (complements: all rows' minus the slice's).
    """
    totals = np.asarray(positives, dtype=np.float64)
    every = np.concatenate([totals, totals[n_slices] - totals[:n_slices]])
    accumulator = _Accumulator(n_slices, every)
    held: tuple[np.ndarray, np.ndarray, list[np.ndarray], np.ndarray | None] | None = None
    for scores, positive, flags, weights in batches:
        if held is not None:
            scores = np.concatenate([held[0], scores])
            positive = np.concatenate([held[1], positive])
            flags = [np.concatenate([a, b]) for a, b in zip(held[2], flags, strict=True)]
            if weights is not None and held[3] is not None:
                weights = np.concatenate([held[3], weights])
        if len(scores) == 0:
            continue
        # the last score's rows may continue in the next batch
        cut = int(np.searchsorted(scores, scores[-1], side="left"))
        accumulator.add(
            scores[:cut],
            positive[:cut],
            [f[:cut] for f in flags],
            None if weights is None else weights[:cut],
        )
        held = (
            scores[cut:],
            positive[cut:],
            [f[cut:] for f in flags],
            None if weights is None else weights[cut:],
        )
    if held is not None:
        accumulator.add(*held)
    return MergeTotals(
        accumulator.twice_u.astype(np.float64),
        accumulator.positive_squares,
        accumulator.negative_squares,
        accumulator.ties.astype(np.float64),
    )
