"""Regression metrics from per-group sums of errors and their powers.

The error of a row is ``prediction - target``: a positive mean error means
the model over-predicts.
"""

from __future__ import annotations

import numpy as np

from mlprobe.core.group_stats import GroupStats
from mlprobe.core.intervals import normal_interval
from mlprobe.core.metrics._base import Metric, MetricValues, RowMeanMetric

__all__ = ["MAE", "MSE", "R2", "RMSE", "MeanError"]


class MAE(RowMeanMetric):
    """Mean absolute error."""

    name = key = "mae"
    higher_is_better = False
    bounds = (0.0, np.inf)

    def rows(self, stats: GroupStats) -> np.ndarray:
        return np.abs(stats.arrays.error)


class MSE(RowMeanMetric):
    """Mean squared error."""

    name = key = "mse"
    higher_is_better = False
    bounds = (0.0, np.inf)

    def rows(self, stats: GroupStats) -> np.ndarray:
        return stats.arrays.error**2


class MeanError(RowMeanMetric):
    """Mean of ``prediction - target`` (bias)."""

    name = key = "mean_error"
    higher_is_better = False  # used only for direction of change; see compare()

    def rows(self, stats: GroupStats) -> np.ndarray:
        return stats.arrays.error


class RMSE(Metric):
    """Root mean squared error; interval from the MSE interval's endpoints."""

    name = "rmse"
    higher_is_better = False
    bounds = (0.0, np.inf)

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        mse = MSE().compute(stats, confidence)
        value = np.sqrt(mse.value)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = mse.standard_error / (2 * value)
        return MetricValues(value, np.sqrt(mse.low), np.sqrt(mse.high), se)


class R2(Metric):
    """Coefficient of determination within the group, ``1 - SSE / SST``.

    Interval by the delta method on the means of ``e**2`` and ``(y - mean)**2``.
    NaN when the group's target is constant (as the variance is then 0).
    """

    name = "r2"
    bounds = (-np.inf, 1.0)

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        arrays = stats.arrays
        e2 = lambda: arrays.error**2  # noqa: E731
        y = lambda: arrays.centered_target  # noqa: E731
        n = stats.sizes().astype(np.float64)
        s = {
            "e2": stats.sum("mse", e2),
            "e4": stats.sum("mse^2", lambda: e2() ** 2),
            "y": stats.sum("y", y),
            "y2": stats.sum("y^2", lambda: y() ** 2),
            "y3": stats.sum("y^3", lambda: y() ** 3),
            "y4": stats.sum("y^4", lambda: y() ** 4),
            "e2y": stats.sum("e2*y", lambda: e2() * y()),
            "e2y2": stats.sum("e2*y^2", lambda: e2() * y() ** 2),
        }
        with np.errstate(invalid="ignore", divide="ignore"):
            m = s["y"] / n
            mean_a = s["e2"] / n  # a = e^2
            mean_b = s["y2"] / n - m**2  # b = (y - m)^2
            var_a = s["e4"] / n - mean_a**2
            mean_b2 = (s["y4"] - 4 * m * s["y3"] + 6 * m**2 * s["y2"]) / n - 3 * m**4
            var_b = mean_b2 - mean_b**2
            mean_ab = (s["e2y2"] - 2 * m * s["e2y"]) / n + m**2 * mean_a
            cov_ab = mean_ab - mean_a * mean_b
            value = 1 - mean_a / mean_b
            variance = (
                var_a / mean_b**2 + mean_a**2 * var_b / mean_b**4 - 2 * mean_a * cov_ab / mean_b**3
            ) / n
            value = np.where(mean_b > 0, value, np.nan)
        se = np.where(n > 1, np.sqrt(np.maximum(variance, 0.0)), np.nan)
        low, high = normal_interval(value, se, confidence, bounds=self.bounds)
        return MetricValues(value, low, high, se)
