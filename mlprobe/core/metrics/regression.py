"""Regression metrics from per-group sums of errors and their powers.

The error of a row is ``prediction - target``: a positive mean error means
the model over-predicts.
"""

from __future__ import annotations

import numpy as np

from mlprobe.core.counting._group_stats import GroupStats
from mlprobe.core.counting._row_terms import RowTerm
from mlprobe.core.metrics._base import (
    Metric,
    MetricValues,
    PooledParts,
    RowMeanMetric,
    mean_p_value,
)
from mlprobe.core.metrics._impact import Impact
from mlprobe.core.statistics._moments import PowerSums
from mlprobe.core.statistics.intervals import implied_standard_error, mover_difference, t_value

__all__ = ["MAE", "MSE", "R2", "RMSE", "MeanError"]


class MAE(RowMeanMetric):
    """Mean absolute error."""

    name = "mae"
    quantity = "abs_error"
    higher_is_better = False
    bounds = (0.0, np.inf)

    def rows(self, stats: GroupStats) -> np.ndarray:
        return np.abs(stats.arrays.error)


class MSE(RowMeanMetric):
    """Mean squared error."""

    name = "mse"
    quantity = "squared_error"
    higher_is_better = False
    bounds = (0.0, np.inf)

    def rows(self, stats: GroupStats) -> np.ndarray:
        return stats.arrays.error**2


class MeanError(RowMeanMetric):
    """Mean of ``prediction - target`` (bias)."""

    name = "mean_error"
    quantity = "error"
    higher_is_better = False
    ideal = 0.0  # closer to 0 is better, whichever the sign (see compare())

    def rows(self, stats: GroupStats) -> np.ndarray:
        return stats.arrays.error


class RMSE(Metric):
    """Root mean squared error; interval from the MSE interval's endpoints, test on the MSE."""

    name = "rmse"
    higher_is_better = False
    bounds = (0.0, np.inf)

    def row_terms(self) -> tuple[RowTerm, ...]:
        return MSE().row_terms()

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        mse = MSE().compute(stats, confidence)
        low, high = np.sqrt(mse.low), np.sqrt(mse.high)
        se = implied_standard_error(low, high, confidence)
        return MetricValues(np.sqrt(mse.value), low, high, se, moments=mse.moments)

    def p_value_vs(self, a: MetricValues, b: MetricValues) -> np.ndarray:
        return mean_p_value(a, b)  # equal RMSE is equal MSE

    def impact(self, stats: GroupStats, confidence: float) -> Impact:
        """The slice's squared errors as the rest's: ``sqrt(MSE_rest) - RMSE``. Interval: the
        MOVER interval of the MSE gap, mapped through that (monotone) change."""
        mse, share, gap_low, gap_high, _ = _mse_gap(stats, confidence)
        rest_mse = mse[1]

        def change(gap: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore"):
                return np.sqrt(rest_mse) - np.sqrt(np.maximum(rest_mse + share * gap, 0.0))

        gap = mse[0] - rest_mse
        return Impact(change(gap), change(gap_high), change(gap_low))


class R2(Metric):
    """Coefficient of determination within the group, ``1 - SSE / SST``.

    Interval on the scale of ``log(1 - R2) = log(SSE / SST)``, by the delta
    method on the means of ``e**2`` and ``(y - mean)**2``, mapped back: a ratio
    of two positive means is far closer to normal on the log scale, and the
    interval stays below 1. The t quantile has the degrees of freedom of the
    squared errors' variance estimate, from their kurtosis (as for MSE): heavy
    tailed errors otherwise give intervals that miss low. NaN where the group
    has no residual error at all (SSE = 0). Test against the rest: ``log(SSE /
    SST)`` with its per-row variance pooled over slice and rest (the null: both
    alike), on a t reference. The spread of the target is summed about each
    group's own mean (a second pass), since raw power sums lose it to
    cancellation when a group's values
    sit far from the overall mean. NaN when the group's target is constant (as
    the variance is then 0, up to the rounding of the group's mean).
    """

    name = "r2"
    bounds = (-np.inf, 1.0)

    SQUARED_ERROR, SQUARED_ERROR_2, SQUARED_ERROR_3, SQUARED_ERROR_4 = MSE().row_terms()
    TARGET = RowTerm("target")
    #: about each group's own mean: (y - m)^2, (y - m)^4, e^2 (y - m)^2
    D2 = RowTerm("target", 2, centered=True)
    D4 = RowTerm("target", 4, centered=True)
    E2_D2 = RowTerm("target", 2, centered=True, times="squared_error")

    def row_terms(self) -> tuple[RowTerm, ...]:
        return (*MSE().row_terms(), self.TARGET, self.D2, self.D4, self.E2_D2)

    def impact(self, stats: GroupStats, confidence: float) -> Impact:
        """The slice's squared errors as the rest's, its targets kept: ``R2`` rises by
        ``share * (MSE_slice - MSE_rest) / variance of the target`` (the variance read off all
        rows' MSE and R2). Interval: the MOVER interval of the MSE gap, scaled alike."""
        mse, share, gap_low, gap_high, overall_mse = _mse_gap(stats, confidence)
        overall_r2 = self.compute(stats.overall(), confidence).value[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = share * (1 - overall_r2) / overall_mse
        gap = mse[0] - mse[1]
        return Impact(scale * gap, scale * gap_low, scale * gap_high)

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        arrays = stats.arrays
        n = stats.sizes().astype(np.float64)
        sum_e2 = stats.sum(self.SQUARED_ERROR, lambda: arrays.error**2)
        sum_e4 = stats.sum(self.SQUARED_ERROR_2, lambda: (arrays.error**2) ** 2)
        squared_errors = PowerSums(
            n,
            sum_e2,
            sum_e4,
            stats.sum(self.SQUARED_ERROR_3, lambda: (arrays.error**2) ** 3),
            stats.sum(self.SQUARED_ERROR_4, lambda: (arrays.error**2) ** 4),
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            m = stats.sum(self.TARGET, lambda: arrays.centered_target) / n
        centers = np.nan_to_num(m)  # empty groups have no rows to center

        def y() -> np.ndarray:
            return arrays.centered_target

        sum_d2 = stats.sum_about(self.D2, y, centers, lambda d, rows: d**2)
        sum_d4 = stats.sum_about(
            self.D4, y, centers, lambda d, rows: (d * d) ** 2
        )  # no pow() per row
        sum_e2d2 = stats.sum_about(
            self.E2_D2, y, centers, lambda d, rows: arrays.error[rows] ** 2 * d**2
        )
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            mean_a = sum_e2 / n  # a = e^2
            mean_b = sum_d2 / n  # b = (y - m)^2
            var_a = sum_e4 / n - mean_a**2
            var_b = sum_d4 / n - mean_b**2
            cov_ab = sum_e2d2 / n - mean_a * mean_b
            value = 1 - mean_a / mean_b
            log_ratio = np.log(mean_a / mean_b)
            log_variance = (
                var_a / mean_a**2 + var_b / mean_b**2 - 2 * cov_ab / (mean_a * mean_b)
            ) / (n - 1)
            # a constant target leaves only the rounding error of its mean (at most ~n ulps)
            noise = (n * np.finfo(np.float64).eps * np.abs(m)) ** 2
            value = np.where(mean_b > noise, value, np.nan)
            degrees = squared_errors.degrees_of_freedom()
            half = t_value(confidence, degrees) * np.sqrt(np.maximum(log_variance, 0.0))
            low = 1 - np.exp(log_ratio + half)
            high = 1 - np.exp(log_ratio - half)
        known = np.isfinite(value) & (mean_a > 0) & (n > 2)
        low, high = np.where(known, low, np.nan), np.where(known, high, np.nan)
        se = implied_standard_error(low, high, confidence)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_row = log_variance * (n - 1)  # the variance of one row's linearized term
        pooled = PooledParts(np.where(known, log_ratio, np.nan), ((per_row, n),))
        return MetricValues(value, low, high, se, pooled=pooled)


def _mse_gap(
    stats: GroupStats, confidence: float
) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray, np.ndarray, np.ndarray, float]:
    """``((MSE of each slice, of its rest), share, MOVER interval of the gap, all rows' MSE)``."""
    mine, rest = MSE().compute(stats, confidence), MSE().compute(stats.rest(), confidence)
    low, high = mover_difference(mine.value, mine.low, mine.high, rest.value, rest.low, rest.high)
    overall = float(MSE().compute(stats.overall(), confidence).value[0])
    share = stats.sizes() / stats.arrays.n_rows
    return (mine.value, rest.value), share, low, high, overall
