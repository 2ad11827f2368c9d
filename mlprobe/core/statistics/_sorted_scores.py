"""One score column sorted once, and all rows' rank statistics over that order.

:class:`SortedScores` is the sort a probe keeps per model and class: the rows
in score order, whether each is a positive, and the runs of tied scores.
:class:`RunTotals` adds, per run of that order, what every row's placement
value is and the suffix and prefix sums the rest of a slice needs
(:mod:`mlprobe.core.statistics._subset_ranks`), and all rows' rank statistics
(:class:`~mlprobe.core.statistics.ranks.AucCounts`). It is recomputed per call
(a few passes over the rows) rather than kept, as it takes 24 to 48 bytes per row.

Examples
--------
>>> import numpy as np
>>> s = np.array([0.1, 0.4, 0.35, 0.8]); y = np.array([False, False, True, True])
>>> totals = SortedScores.of(s, y).totals()
>>> float(totals.all_rows().auc[0]), totals.all_rows().positive_squares.tolist()
(0.75, [20.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlprobe.core.statistics.ranks import AucCounts

__all__ = ["RunTotals", "SortedScores"]


@dataclass(frozen=True, eq=False)
class SortedScores:
    """Rows in score order (stable), their positive flags and their runs of tied scores.

    Attributes
    ----------
    order : row numbers sorted by score (int32 below 2**31 rows)
    positive : bool per sorted position
    run_of : the run of tied scores of each sorted position (0, 1, ...), or None when no two
        scores are equal (every position is then its own run)
    """

    order: np.ndarray
    positive: np.ndarray
    run_of: np.ndarray | None

    @classmethod
    def of(cls, scores: np.ndarray, positive: np.ndarray) -> SortedScores:
        """Sort ``scores`` once; ``positive`` is the bool "is positive" of each row."""
        order = np.argsort(scores, kind="stable")
        ordered = scores[order]
        tied = ordered[1:] == ordered[:-1]
        run_of = None
        if tied.any():
            run_of = np.zeros(len(order), dtype=np.intp)
            np.cumsum(~tied, out=run_of[1:])
        if len(order) < 2**31:
            order = order.astype(np.int32)
        return cls(order, positive[order], run_of)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.order)

    def nbytes(self) -> int:
        """Bytes held."""
        runs = 0 if self.run_of is None else self.run_of.nbytes
        return self.order.nbytes + self.positive.nbytes + runs

    def totals(self) -> RunTotals:
        """All rows' placement values and sums per run (:class:`RunTotals`)."""
        return RunTotals.of(self)


@dataclass(frozen=True, eq=False)
class RunTotals:
    """Per run of tied scores, all rows' counts and placement sums (arrays of shape (R,)).

    In whole half-counts, as :class:`AucCounts`: a positive of run ``r`` has
    placement ``h = 2 * below + n``, a negative ``g = 2 * above + p``.

    Attributes
    ----------
    sorted : the sort these runs are of
    p, n : positives and negatives in the run (None without ties: ``sorted.positive``)
    below : negatives in earlier runs
    above : positives in later runs
    w : ``2 * (sum of p * h over later runs) + p * h`` of the run
    v : ``2 * (sum of n * g over earlier runs) + n * g`` of the run
        (without ties ``w`` and ``v`` are one array: ``v`` at positives, ``w`` at negatives,
        the only places they are read)
    counts : all rows' :class:`AucCounts` (one group)
    """

    sorted: SortedScores
    p: np.ndarray | None
    n: np.ndarray | None
    below: np.ndarray
    above: np.ndarray
    w: np.ndarray
    v: np.ndarray
    counts: AucCounts

    @classmethod
    def of(cls, scores: SortedScores) -> RunTotals:
        """The totals of a sort."""
        if scores.run_of is None:
            p = scores.positive.astype(np.float64)
            n = 1.0 - p
        else:
            starts = np.flatnonzero(np.diff(scores.run_of, prepend=-1))
            if len(starts):
                p = np.add.reduceat(scores.positive.astype(np.float64), starts)
            else:
                p = np.zeros(0)
            n = np.diff(np.append(starts, scores.n_rows)).astype(np.float64) - p
        n_pos, n_neg = float(p.sum()), float(n.sum())
        below = np.cumsum(n) - n
        above = n_pos - np.cumsum(p)
        h = 2 * below + n
        g = 2 * above + p
        ph, ng = p * h, n * g
        w = 2 * (ph.sum() - np.cumsum(ph)) + ph
        v = 2 * (np.cumsum(ng) - ng) + ng
        counts = AucCounts(
            np.array([ph.sum()]),
            np.array([n_pos]),
            np.array([n_neg]),
            np.array([np.einsum("i,i->", ph, h)]),
            np.array([np.einsum("i,i->", ng, g)]),
        )
        if scores.run_of is None:
            # v is read at positives only, w at negatives only: one array holds both
            w = np.where(scores.positive, v, w)
            return cls(scores, None, None, below, above, w, w, counts)
        return cls(scores, p, n, below, above, w, v, counts)

    def all_rows(self) -> AucCounts:
        """All rows' rank statistics, as one group."""
        return self.counts

    def placement_numerators(self) -> np.ndarray:
        """Each row's placement in whole half-counts, in row order: ``2 * below + n`` of its
        run for a positive, ``2 * above + p`` for a negative (as
        :func:`mlprobe.core.statistics.ranks.placement_numerators`, from the sort already
        made: no search per row).

        Examples
        --------
        >>> import numpy as np
        >>> s = SortedScores.of(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1], bool))
        >>> s.totals().placement_numerators().tolist()
        [4.0, 2.0, 2.0, 4.0]
        """
        order = self.sorted.order
        if self.p is None or self.n is None:  # no ties: every position is its own run
            p = self.sorted.positive.astype(np.float64)
            placed = np.where(self.sorted.positive, 2 * self.below + 1 - p, 2 * self.above + p)
        else:
            run = self.sorted.run_of
            assert run is not None
            h = 2 * self.below + self.n
            g = 2 * self.above + self.p
            placed = np.where(self.sorted.positive, h[run], g[run])
        out = np.empty(len(order), dtype=np.float64)
        out[order] = placed
        return out

    def run_counts(self, runs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positives and negatives of all rows in the given runs."""
        if self.p is None or self.n is None:
            p = self.sorted.positive[runs].astype(np.float64)
            return p, 1.0 - p
        return self.p[runs], self.n[runs]
