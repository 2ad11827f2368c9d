"""Metrics from class probabilities: ROC AUC, log loss, Brier score."""

from __future__ import annotations

import numpy as np

from mlprobe.core.group_stats import GroupStats
from mlprobe.core.intervals import normal_interval
from mlprobe.core.metrics._base import Metric, MetricValues, RowMeanMetric

__all__ = ["Brier", "LogLoss", "RocAuc", "grouped_auc"]


class LogLoss(RowMeanMetric):
    """Mean ``-log p(true class)``."""

    name = key = "log_loss"
    higher_is_better = False
    bounds = (0.0, np.inf)

    def rows(self, stats: GroupStats) -> np.ndarray:
        return stats.arrays.log_loss_rows


class Brier(RowMeanMetric):
    """Mean squared error of the probabilities."""

    name = key = "brier"
    higher_is_better = False
    bounds = (0.0, np.inf)

    def rows(self, stats: GroupStats) -> np.ndarray:
        return stats.arrays.brier_rows


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


def _hanley_mcneil_se(auc: np.ndarray, n_pos: np.ndarray, n_neg: np.ndarray) -> np.ndarray:
    q1 = auc / (2 - auc)
    q2 = 2 * auc**2 / (1 + auc)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (
            n_pos * n_neg
        )
    return np.sqrt(np.maximum(variance, 0.0))


class RocAuc(Metric):
    """Area under the ROC curve: binary, one class vs rest, or the macro mean over classes.

    Standard errors by Hanley & McNeil (1982); the macro mean's treats the
    classes as independent.
    """

    bounds = (0.0, 1.0)

    def __init__(self, classes: list[int], name: str) -> None:
        self.class_indices = classes
        self.name = name

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        arrays = stats.arrays
        assert arrays.scores is not None
        aucs, ses = [], []
        for c in self.class_indices:
            rows, groups = stats.sorted_rows(arrays.score_order(c))
            auc, n_pos, n_neg = grouped_auc(
                rows, groups, stats.n_groups, arrays.scores[:, c], arrays.y_true == c
            )
            aucs.append(auc)
            ses.append(_hanley_mcneil_se(auc, n_pos, n_neg))
        auc_matrix, se_matrix = np.array(aucs), np.array(ses)
        with np.errstate(invalid="ignore"):
            defined = np.isfinite(auc_matrix)
            count = defined.sum(axis=0)
            value = np.where(defined, auc_matrix, 0).sum(axis=0) / count
            se = np.sqrt(np.where(defined, se_matrix**2, 0).sum(axis=0)) / count
        value = np.where(count > 0, value, np.nan)
        low, high = normal_interval(value, se, confidence, bounds=self.bounds)
        return MetricValues(value, low, high, se)
