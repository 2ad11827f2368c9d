"""Classification metrics from K x K confusion counts, vectorized over groups.

Tables have shape ``(..., K, K)``: axis -2 is the true class, axis -1 the
predicted class. Undefined values (no rows, no predictions of a class...)
are NaN, never 0.

Examples
--------
>>> import numpy as np
>>> table = np.array([[5, 1], [2, 2]])
>>> round(float(macro_f1(table)), 4), round(float(balanced_accuracy(table)), 4)
(0.6703, 0.6667)
"""

from __future__ import annotations

import numpy as np

from mlprobe.core.group_stats import GroupStats
from mlprobe.core.metrics._base import Metric, MetricValues, ProportionMetric

__all__ = [
    "F1",
    "Accuracy",
    "BalancedAccuracy",
    "ErrorRate",
    "MacroF1",
    "Precision",
    "Recall",
    "TableMetric",
    "balanced_accuracy",
    "f1_per_class",
    "macro_f1",
]


def _diagonal(tables: np.ndarray) -> np.ndarray:
    return np.diagonal(tables, axis1=-2, axis2=-1)


def f1_per_class(tables: np.ndarray) -> np.ndarray:
    """F1 of each class, ``2TP / (2TP + FP + FN)``; NaN for a class absent from truth and predictions."""
    tp = _diagonal(tables).astype(np.float64)
    actual = tables.sum(axis=-1)
    predicted = tables.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 2 * tp / (actual + predicted)


def macro_f1(tables: np.ndarray) -> np.ndarray:
    """Mean F1 over the classes present in the truth or the predictions (as scikit-learn)."""
    per_class = f1_per_class(tables)
    present = np.isfinite(per_class)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present, per_class, 0.0).sum(axis=-1) / present.sum(axis=-1)


def balanced_accuracy(tables: np.ndarray) -> np.ndarray:
    """Mean recall over the classes present in the truth (as scikit-learn)."""
    actual = tables.sum(axis=-1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = _diagonal(tables) / actual
        present = actual > 0
        return np.where(present, recall, 0.0).sum(axis=-1) / present.sum(axis=-1)


class Accuracy(ProportionMetric):
    """Share of rows predicted right."""

    name = "accuracy"

    def parts(self, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _diagonal(tables).sum(axis=-1), tables.sum(axis=(-2, -1))


class ErrorRate(ProportionMetric):
    """Share of rows predicted wrong."""

    name = "error_rate"
    higher_is_better = False

    def parts(self, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        total = tables.sum(axis=(-2, -1))
        return total - _diagonal(tables).sum(axis=-1), total


class _PerClassProportion(ProportionMetric):
    family = ""

    def __init__(self, label: object, index: int) -> None:
        self.label = label
        self.index = index
        self.name = f"{self.family}[{label}]"


class Precision(_PerClassProportion):
    """Of the rows predicted as the class, the share that are the class."""

    family = "precision"

    def parts(self, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = self.index
        return tables[..., c, c], tables[..., :, c].sum(axis=-1)


class Recall(_PerClassProportion):
    """Of the rows of the class, the share predicted as the class."""

    family = "recall"

    def parts(self, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = self.index
        return tables[..., c, c], tables[..., c, :].sum(axis=-1)


class TableMetric(Metric):
    """A metric of the confusion table with no closed-form interval.

    Its interval comes from the table: resampled (multinomial) for small
    tables, by the delta method on the cell shares for large ones
    (see :func:`mlprobe.core.intervals.table_intervals`). ``statistic`` must
    then depend on the cell shares only, as ratios of counts do.
    """

    bounds = (0.0, 1.0)
    #: depends on cell shares only (ratios of counts); False forces resampling
    scale_free = True

    def statistic(self, tables: np.ndarray) -> np.ndarray:
        """Values of the metric for tables of shape (..., K, K)."""
        raise NotImplementedError

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        low, high, se = stats.table_intervals(self, confidence)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = self.statistic(stats.tables())
        return MetricValues(value, low, high, se)


class BalancedAccuracy(TableMetric):
    """Mean per-class recall."""

    name = "balanced_accuracy"

    def statistic(self, tables: np.ndarray) -> np.ndarray:
        return balanced_accuracy(tables)


class MacroF1(TableMetric):
    """Mean per-class F1."""

    name = "macro_f1"

    def statistic(self, tables: np.ndarray) -> np.ndarray:
        return macro_f1(tables)


class F1(TableMetric):
    """F1 of one class."""

    def __init__(self, label: object, index: int) -> None:
        self.label = label
        self.index = index
        self.name = f"f1[{label}]"

    def statistic(self, tables: np.ndarray) -> np.ndarray:
        return f1_per_class(tables)[..., self.index]
