"""ROC AUC per group from rows sorted by score: the Mann–Whitney statistic."""

from __future__ import annotations

import numpy as np

__all__ = ["grouped_auc"]


def grouped_auc(
    rows: np.ndarray, groups: np.ndarray, n_groups: int, scores: np.ndarray, positive: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC AUC per group by the Mann–Whitney statistic, ties given average ranks.

    Parameters
    ----------
    rows : ndarray of int
        Row numbers sorted by (group, score).
    groups : ndarray of int
        The group of each entry of ``rows`` (non-decreasing).
    scores, positive : ndarray
        Score and bool "is positive" of every row of the table.

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
    sizes = np.bincount(groups, minlength=n_groups)
    if len(rows) == 0:
        nan = np.full(n_groups, np.nan)
        return nan, np.zeros(n_groups), np.zeros(n_groups)
    sorted_scores = scores[rows]
    is_positive = positive[rows]
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    position = np.arange(1, len(rows) + 1, dtype=np.float64) - starts[groups]
    new_run = np.ones(len(rows), dtype=bool)
    new_run[1:] = (groups[1:] != groups[:-1]) | (sorted_scores[1:] != sorted_scores[:-1])
    run = np.cumsum(new_run) - 1
    average_rank = np.bincount(run, weights=position) / np.bincount(run)
    rank_sum = np.bincount(groups, weights=average_rank[run] * is_positive, minlength=n_groups)
    n_pos = np.bincount(groups, weights=is_positive, minlength=n_groups)
    n_neg = sizes - n_pos
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return auc, n_pos, n_neg
