"""ROC AUC per group from rows sorted by score: the Mann–Whitney statistic and DeLong's
placement values.

A group's rank statistics are five numbers (:class:`AucCounts`): twice the
Mann–Whitney U (ties count half), the numbers of positives ``P`` and negatives
``N``, and the sums of squared placement values DeLong, DeLong & Clarke-Pearson
(1988) need for the variance, kept in whole "half-counts": per positive
``(2 * negatives below + negatives tied) ** 2``, per negative
``(2 * positives above + positives tied) ** 2``. An engine computes the same
five numbers from per-score counts, so every backend gets the same interval.

Examples
--------
>>> import numpy as np
>>> s = np.array([0.1, 0.4, 0.35, 0.8]); y = np.array([False, False, True, True])
>>> counts = grouped_rank_counts(np.argsort(s), np.zeros(4, int), 1, s, y)
>>> float(counts.auc[0]), counts.twice_u.tolist(), counts.positive_squares.tolist()
(0.75, [6.0], [20.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "AucCounts",
    "AucCrossSums",
    "correlation_matrix",
    "grouped_auc",
    "grouped_rank_counts",
    "placement_numerators",
]


@dataclass(frozen=True)
class AucCounts:
    """Rank statistics of one class vs the rest, per group (arrays of shape (G,)).

    Attributes
    ----------
    twice_u : twice the Mann–Whitney U, ``sum over positives of (2b + t)``
        (``b`` negatives scored below, ``t`` negatives tied with the positive)
    n_positive, n_negative : numbers of positives and negatives
    positive_squares : ``sum over positives of (2b + t) ** 2``
    negative_squares : ``sum over negatives of (2a + t) ** 2``
        (``a`` positives scored above, ``t`` positives tied)
    """

    twice_u: np.ndarray
    n_positive: np.ndarray
    n_negative: np.ndarray
    positive_squares: np.ndarray
    negative_squares: np.ndarray

    @property
    def auc(self) -> np.ndarray:
        """``U / (P N)``; NaN without positives or negatives."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.twice_u / 2 / (self.n_positive * self.n_negative)

    def placement_variances(self) -> tuple[np.ndarray, np.ndarray]:
        """DeLong's ``S10`` and ``S01``: the sample variances of the positives' placement
        values (the share of negatives below each positive, ties half) and of the
        negatives' (the share of positives above each); NaN below 2 of the kind."""
        p, n = self.n_positive, self.n_negative
        auc = self.auc
        with np.errstate(invalid="ignore", divide="ignore"):
            s10 = (self.positive_squares / (4 * n * n) - p * auc**2) / (p - 1)
            s01 = (self.negative_squares / (4 * p * p) - n * auc**2) / (n - 1)
        return (
            np.where((p > 1) & (n > 0), np.maximum(s10, 0.0), np.nan),
            np.where((n > 1) & (p > 0), np.maximum(s01, 0.0), np.nan),
        )

    def delong_degrees_of_freedom(self) -> np.ndarray:
        """Degrees of freedom for DeLong's variance: the count of the rarer kind.

        With few positives (or negatives) DeLong's variance is itself uncertain;
        Satterthwaite's formula on ``S10 / P + S01 / N`` lets the commoner kind's
        term dominate when its placements vary more, and then under-covers
        (91% at 10 positives in 100 rows), so the rarer kind's count is used.
        """
        return np.minimum(self.n_positive, self.n_negative)

    @classmethod
    def stack(cls, parts: list[AucCounts]) -> AucCounts:
        """The groups of ``parts``, one after another."""
        if not parts:
            return cls(*(np.zeros(0) for _ in range(5)))
        return cls(
            *(
                np.concatenate([getattr(part, name) for part in parts])
                for name in (
                    "twice_u",
                    "n_positive",
                    "n_negative",
                    "positive_squares",
                    "negative_squares",
                )
            )
        )

    def delong_variance(self) -> np.ndarray:
        """DeLong's variance of the AUC: ``S10 / P + S01 / N``; NaN below 2 positives or negatives."""
        s10, s01 = self.placement_variances()
        return s10 / self.n_positive + s01 / self.n_negative


def grouped_rank_counts(
    rows: np.ndarray, groups: np.ndarray, n_groups: int, scores: np.ndarray, positive: np.ndarray
) -> AucCounts:
    """Rank statistics per group, ties counted half.

    Parameters
    ----------
    rows : ndarray of int
        Row numbers sorted by (group, score).
    groups : ndarray of int
        The group of each entry of ``rows`` (non-decreasing).
    scores, positive : ndarray
        Score and bool "is positive" of every row of the table.
    """
    if len(rows) == 0:
        zeros = np.zeros(n_groups)
        return AucCounts(zeros, zeros, zeros, zeros, zeros)
    sorted_scores = scores[rows]
    is_positive = positive[rows].astype(np.float64)
    new_run = np.ones(len(rows), dtype=bool)
    new_run[1:] = (groups[1:] != groups[:-1]) | (sorted_scores[1:] != sorted_scores[:-1])
    starts = np.flatnonzero(new_run)
    run_group = groups[starts]
    run_pos = np.add.reduceat(is_positive, starts)
    run_len = np.diff(np.append(starts, len(rows))).astype(np.float64)
    run_neg = run_len - run_pos
    n_pos = np.bincount(run_group, weights=run_pos, minlength=n_groups)
    n_neg = np.bincount(run_group, weights=run_neg, minlength=n_groups)
    # negatives below / positives up to each run, within its group
    first_run = np.ones(len(starts), dtype=bool)
    first_run[1:] = run_group[1:] != run_group[:-1]
    neg_before = _within_group_cumsum(run_neg, first_run) - run_neg
    pos_through = _within_group_cumsum(run_pos, first_run)
    pos_above = n_pos[run_group] - pos_through
    twice_below = 2 * neg_before + run_neg
    twice_above = 2 * pos_above + run_pos
    return AucCounts(
        np.bincount(run_group, weights=run_pos * twice_below, minlength=n_groups),
        n_pos,
        n_neg,
        np.bincount(run_group, weights=run_pos * twice_below**2, minlength=n_groups),
        np.bincount(run_group, weights=run_neg * twice_above**2, minlength=n_groups),
    )


def _within_group_cumsum(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting where ``first`` is True."""
    total = np.cumsum(values)
    offsets = np.where(first, total - values, 0.0)
    return total - np.maximum.accumulate(np.where(first, offsets, -np.inf)).clip(min=0)


def grouped_auc(
    rows: np.ndarray, groups: np.ndarray, n_groups: int, scores: np.ndarray, positive: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC AUC per group by the Mann–Whitney statistic, ties given average ranks.

    Returns
    -------
    auc, n_positive, n_negative : ndarray, shape (n_groups,)

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([0.1, 0.4, 0.35, 0.8]); y = np.array([False, False, True, True])
    >>> auc, _, _ = grouped_auc(np.argsort(s), np.zeros(4, int), 1, s, y)
    >>> float(auc[0])
    0.75
    """
    counts = grouped_rank_counts(rows, groups, n_groups, scores, positive)
    return counts.auc, counts.n_positive, counts.n_negative


def placement_numerators(scores: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Each row's placement value in whole half-counts, over all rows given.

    A positive's is ``2b + t`` (``b`` negatives scored below it, ``t`` tied with
    it); a negative's ``2a + t`` (``a`` positives scored above it, ``t`` tied):
    the per-row terms whose sums :class:`AucCounts` keeps.

    Examples
    --------
    >>> import numpy as np
    >>> placement_numerators(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1], bool)).tolist()
    [4.0, 2.0, 2.0, 4.0]
    """
    negatives = np.sort(scores[~positive])
    positives = np.sort(scores[positive])
    below = np.searchsorted(negatives, scores, "left") + np.searchsorted(negatives, scores, "right")
    n_pos = len(positives)
    above = 2 * n_pos - np.searchsorted(positives, scores, "left")
    above = above - np.searchsorted(positives, scores, "right")
    return np.where(positive, below, above).astype(np.float64)


@dataclass(frozen=True)
class AucCrossSums:
    """Per true class ``y``, sums of the rows' placement numerators of every class.

    The covariance of one-vs-rest AUCs (:meth:`covariance`) needs, for each
    true class ``y`` (shape (K,)): ``rows[y]``, ``sums[y, a]`` = the sum of
    class ``a``'s :func:`placement_numerators` over rows of class ``y``, and
    ``products[y, a, b]`` = the sum of their products for classes ``a`` and
    ``b``. Memory computes them with numpy, an engine with one query.
    """

    rows: np.ndarray
    sums: np.ndarray
    products: np.ndarray

    @classmethod
    def from_numerators(cls, numerators: np.ndarray, y_true: np.ndarray) -> AucCrossSums:
        """From per-row numerators (shape (K, rows)) and true class indices."""
        k = len(numerators)
        rows = np.bincount(y_true, minlength=k).astype(np.float64)
        sums = np.zeros((k, k))
        products = np.zeros((k, k, k))
        for y in range(k):
            block = numerators[:, y_true == y]
            sums[y] = block.sum(axis=1)
            products[y] = block @ block.T
        return cls(rows, sums, products)

    def covariance(self) -> np.ndarray:
        """Covariance matrix (K, K) of the classes' one-vs-rest AUCs, rows drawn at random.

        Each AUC is a two-sample U-statistic; its influence on row ``i`` is
        ``(v_a(i) - AUC_a) / P_a`` for a positive of class ``a`` and
        ``(v_a(i) - AUC_a) / N_a`` for a negative (``v``: its placement value,
        DeLong 1988), so ``Cov(AUC_a, AUC_b) = sum over rows of the product of
        the two influences``. The diagonal is DeLong's variance (without the
        ``n - 1`` corrections). NaN where a class has no positive or negative.
        """
        k = len(self.rows)
        total = self.rows.sum()
        positives = self.rows
        negatives = total - positives
        is_own = np.eye(k, dtype=bool)  # [y, a]: rows of class y are positives of a
        # [y, a]: the placement's denominator (2 x the other kind's count) and the weight
        with np.errstate(invalid="ignore", divide="ignore"):
            placement_scale = 2 * np.where(is_own, negatives[None, :], positives[None, :])
            weight = np.where(is_own, positives[None, :], negatives[None, :])
            auc = np.diagonal(self.sums) / (placement_scale.diagonal() * positives)
            mean_part = self.sums / placement_scale  # sum of v_a over rows of class y
            product_part = self.products / (
                placement_scale[:, :, None] * placement_scale[:, None, :]
            )
            centered = (
                product_part
                - auc[None, None, :] * mean_part[:, :, None]
                - auc[None, :, None] * mean_part[:, None, :]
                + self.rows[:, None, None] * auc[None, :, None] * auc[None, None, :]
            )
            per_class = centered / (weight[:, :, None] * weight[:, None, :])
        return per_class.sum(axis=0)


def correlation_matrix(covariance: np.ndarray) -> np.ndarray:
    """Correlations of a covariance matrix: 1 on the diagonal, within [-1, 1], and 0 where a
    variance is 0 or NaN (a class without spread is uncorrelated with the others).

    Examples
    --------
    >>> correlation_matrix(np.array([[4.0, 2.0, 1.0], [2.0, 4.0, 0.0], [1.0, 0.0, 0.0]]))
    array([[1. , 0.5, 0. ],
           [0.5, 1. , 0. ],
           [0. , 0. , 1. ]])
    """
    scale = np.sqrt(np.diagonal(covariance))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = covariance / np.outer(scale, scale)
    correlation = np.clip(np.nan_to_num(correlation, nan=0.0, posinf=0.0, neginf=0.0), -1, 1)
    np.fill_diagonal(correlation, 1.0)
    return correlation
