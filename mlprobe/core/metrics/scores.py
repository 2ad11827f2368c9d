"""Metrics from class probabilities: ROC AUC, log loss, Brier score."""

from __future__ import annotations

import numpy as np

from mlprobe.core.group_stats import GroupStats
from mlprobe.core.intervals import normal_interval
from mlprobe.core.metrics._base import Metric, MetricValues, RowMeanMetric

__all__ = ["Brier", "LogLoss", "RocAuc"]


class LogLoss(RowMeanMetric):
    """Mean ``-log p(true class)``."""

    name = quantity = "log_loss"
    higher_is_better = False
    bounds = (0.0, np.inf)

    def rows(self, stats: GroupStats) -> np.ndarray:
        return stats.arrays.log_loss_rows


class Brier(RowMeanMetric):
    """Mean squared error of the probabilities."""

    name = quantity = "brier"
    higher_is_better = False
    bounds = (0.0, np.inf)

    def rows(self, stats: GroupStats) -> np.ndarray:
        return stats.arrays.brier_rows


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
        aucs, ses = [], []
        for c in self.class_indices:
            auc, n_pos, n_neg = stats.auc(c)
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
