"""Classification metrics from K x K confusion counts, vectorized over groups.

The values come from :mod:`mlprobe.core.statistics._table_values` (NaN where undefined,
never 0); each metric class adds its interval and its test against the rest.

Examples
--------
>>> import numpy as np
>>> right, rows = Accuracy().parts(np.array([[5, 1], [2, 2]]))
>>> int(right), int(rows)
(7, 10)
"""

from __future__ import annotations

import numpy as np

from mlprobe.core.counting._group_stats import GroupStats
from mlprobe.core.metrics._base import (
    Metric,
    MetricValues,
    ProportionMetric,
    additive_metric_impact,
)
from mlprobe.core.metrics._impact import Impact, table_impact
from mlprobe.core.statistics._table_posteriors import (
    balanced_accuracy_interval,
    f1_interval,
    macro_f1_interval,
)
from mlprobe.core.statistics._table_values import (
    _diagonal,
    balanced_accuracy,
    f1_per_class,
    macro_f1,
)
from mlprobe.core.statistics.intervals import implied_standard_error, resample_tables
from mlprobe.core.statistics.significance import permutation_moment_p_value

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


class Accuracy(ProportionMetric):
    """Share of rows predicted right."""

    name = "accuracy"
    additive = True

    def parts(self, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _diagonal(tables).sum(axis=-1), tables.sum(axis=(-2, -1))

    def impact(self, stats: GroupStats, confidence: float) -> Impact:
        """Additive: ``share * (rest - slice)``."""
        return additive_metric_impact(self, stats, confidence)


class ErrorRate(ProportionMetric):
    """Share of rows predicted wrong."""

    name = "error_rate"
    higher_is_better = False
    additive = True

    def parts(self, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        total = tables.sum(axis=(-2, -1))
        return total - _diagonal(tables).sum(axis=-1), total

    def impact(self, stats: GroupStats, confidence: float) -> Impact:
        """Additive: ``share * (rest - slice)``."""
        return additive_metric_impact(self, stats, confidence)


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
    """A metric of the confusion table that is not one ratio of counts.

    Interval: :meth:`interval` (by default, posterior-predictive tables:
    :func:`mlprobe.core.statistics.intervals.resample_tables`; built-in metrics have exact
    posteriors, see :mod:`mlprobe.core.statistics._table_posteriors`). The interval always
    holds the observed value. Test against the rest: the gap's variance under
    random assignment of rows to the slice
    (:func:`mlprobe.core.statistics.significance.permutation_moment_p_value`), which
    ``statistic`` allows when it depends on cell shares only (``scale_free``).
    A group whose interval is NaN (e.g. a class absent from it) gets no test.
    """

    bounds = (0.0, 1.0)
    #: depends on cell shares only (ratios of counts)
    scale_free = True

    def statistic(self, tables: np.ndarray) -> np.ndarray:
        """Values of the metric for tables of shape (..., K, K)."""
        raise NotImplementedError

    def interval(self, tables: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) per table of shape (G, K, K)."""
        low, high, _ = resample_tables(tables, self.statistic, confidence)
        return low, high

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        tables = stats.tables()
        with np.errstate(invalid="ignore", divide="ignore"):
            value = self.statistic(tables)
        low, high = self.interval(tables, confidence)
        known = np.isfinite(value) & np.isfinite(low) & np.isfinite(high)
        low = np.where(known, np.minimum(low, value), np.nan)
        high = np.where(known, np.maximum(high, value), np.nan)
        se = implied_standard_error(low, high, confidence)
        return MetricValues(value, low, high, se, tables=tables)

    def impact(self, stats: GroupStats, confidence: float) -> Impact:
        """The slice's rows at the rest's rates ``P(predicted | true)``, the metric recomputed."""
        return table_impact(
            self.statistic,
            stats.tables(),
            stats.rest().tables(),
            stats.overall().tables()[0],
            confidence,
        )

    def p_value_vs(self, a: MetricValues, b: MetricValues) -> np.ndarray:
        if not self.scale_free or a.tables is None or b.tables is None:
            return super().p_value_vs(a, b)
        p = permutation_moment_p_value(self.statistic, a.tables, b.tables)
        return np.where(np.isfinite(a.low), p, np.nan)


class BalancedAccuracy(TableMetric):
    """Mean per-class recall; interval from the recalls' Beta posteriors (Brodersen et al. 2010)."""

    name = "balanced_accuracy"

    def statistic(self, tables: np.ndarray) -> np.ndarray:
        return balanced_accuracy(tables)

    def interval(self, tables: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        return balanced_accuracy_interval(tables, confidence)


class MacroF1(TableMetric):
    """Mean per-class F1; interval from the classes' F1 posteriors, corrected for shared errors."""

    name = "macro_f1"

    def statistic(self, tables: np.ndarray) -> np.ndarray:
        return macro_f1(tables)

    def interval(self, tables: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        return macro_f1_interval(tables, confidence)


class F1(TableMetric):
    """F1 of one class; Jeffreys interval of ``TP / (TP + FP + FN)``, mapped to F1."""

    def __init__(self, label: object, index: int) -> None:
        self.label = label
        self.index = index
        self.name = f"f1[{label}]"

    def statistic(self, tables: np.ndarray) -> np.ndarray:
        return f1_per_class(tables)[..., self.index]

    def interval(self, tables: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        return f1_interval(tables, self.index, confidence)
