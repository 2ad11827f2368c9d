"""Metrics from class probabilities: ROC AUC, log loss, Brier score."""

from __future__ import annotations

import numpy as np

from mlprobe.core.counting._group_stats import GroupStats
from mlprobe.core.metrics._base import Metric, MetricValues, PooledParts, RowMeanMetric
from mlprobe.core.metrics._impact import Impact
from mlprobe.core.statistics.intervals import implied_standard_error, t_value, wilson_interval
from mlprobe.core.statistics.ranks import correlation_matrix

__all__ = ["Brier", "LogLoss", "RocAuc", "auc_interval"]


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


def auc_interval(
    auc: np.ndarray,
    variance: np.ndarray,
    degrees_of_freedom: np.ndarray,
    n_positive: np.ndarray,
    n_negative: np.ndarray,
    confidence: float,
) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's interval on the logit scale (Qin & Hotilovac 2008), per group.

    The quantile is Student's t with the rarer kind's count as degrees of
    freedom (:meth:`AucCounts.delong_degrees_of_freedom`): with few of one
    kind, DeLong's variance is itself uncertain (about 10 positives: 91%
    coverage with a normal quantile). Where the AUC is 0 or 1 or DeLong's variance is undefined (one positive or
    one negative), the logit is infinite: the interval is then Wilson's for a
    proportion of ``min(positives, negatives)`` trials, which is as wide as the
    smaller class leaves room for and never a point.
    """
    trials = np.minimum(n_positive, n_negative)
    with np.errstate(invalid="ignore"):
        spread = t_value(confidence, degrees_of_freedom) * np.sqrt(variance)
    low, high = _logit_interval(auc, spread)
    regular = (auc > 0) & (auc < 1) & np.isfinite(spread) & (spread > 0)
    fallback_low, fallback_high = wilson_interval(auc * trials, trials, confidence)
    defined = np.isfinite(auc)
    low = np.where(regular, low, np.where(defined, fallback_low, np.nan))
    high = np.where(regular, high, np.where(defined, fallback_high, np.nan))
    return low, high


def _logit_interval(value: np.ndarray, spread: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``value -/+ spread`` on the logit scale (delta method), mapped back; NaN at 0 and 1."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        logit = np.log(value / (1 - value))
        half = spread / (value * (1 - value))
        low = 1 / (1 + np.exp(-(logit - half)))
        high = 1 / (1 + np.exp(-(logit + half)))
    inside = (value > 0) & (value < 1)
    return np.where(inside, low, np.nan), np.where(inside, high, np.nan)


def _design_effect(covariance: np.ndarray) -> float:
    """Variance of the sum of correlated estimates over the sum of their variances (1 if
    independent; the factor a test on independent components must be scaled by)."""
    finite = np.nan_to_num(covariance, nan=0.0)
    diagonal = float(np.trace(finite))
    return max(float(finite.sum()) / diagonal, 0.0) if diagonal > 0 else 1.0


def _satterthwaite(shares: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """Welch–Satterthwaite degrees of freedom of a sum of variance ``shares`` (K, G) whose
    parts have ``degrees`` (K, G); negative shares (negative correlations) count as 0."""
    parts = np.maximum(np.nan_to_num(shares), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return parts.sum(axis=0) ** 2 / (parts**2 / degrees).sum(axis=0)


class RocAuc(Metric):
    """Area under the ROC curve: binary, one class vs rest, or the macro mean over classes.

    Interval: DeLong's variance on the logit scale (:func:`auc_interval`). Test
    against the rest: a z-test whose DeLong components (``S10`` per positive,
    ``S01`` per negative) are pooled over slice and rest (the null: both alike),
    so a small slice with an AUC near 1 does not look certain.

    The macro mean's variance adds the classes' variances and their covariances:
    one-vs-rest AUCs share rows (a row well ranked for its own class is usually
    well ranked as a negative of the others), so they are correlated, and
    treating them as independent under-covers (90% at 1,000 rows on four
    classes). The correlations come from all rows' DeLong influence values
    (:meth:`mlprobe.core.statistics.ranks.AucCrossSums.covariance`), the same for every
    group, and scale each group's class variances; the degrees of freedom are
    Welch–Satterthwaite's over the classes. The test against the rest scales its
    pooled variance by the same correlations' design effect. The interval is
    NaN where a class has no positive or no negative row in the group (the mean
    would then be over fewer classes than on all rows).
    """

    def class_covariance(self, stats: GroupStats) -> np.ndarray:
        """Covariance (K, K) of this metric's classes' AUCs on all rows of ``stats``' model."""
        covariance = stats.auc_cross_sums().covariance()
        return covariance[np.ix_(self.class_indices, self.class_indices)]

    bounds = (0.0, 1.0)

    def __init__(self, classes: list[int], name: str) -> None:
        self.class_indices = classes
        self.name = name

    def impact(self, stats: GroupStats, confidence: float) -> Impact:
        """The slice's positives and negatives scored as the rest's are: every pair of rows
        then ranks as the rest's pairs do, so the overall AUC becomes the rest's. Interval:
        NaN (rest and all rows share rows, and their DeLong covariance is not computed yet)."""
        rest = self.compute(stats.rest(), confidence).value
        overall = self.compute(stats.overall(), confidence).value[0]
        nan = np.full(stats.n_groups, np.nan)
        return Impact(rest - overall, nan, nan.copy())

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        aucs, lows, highs, variances, class_degrees = [], [], [], [], []
        components: list[tuple[np.ndarray, np.ndarray]] = []
        k = len(self.class_indices)
        for c in self.class_indices:
            counts = stats.auc(c)
            auc = counts.auc
            variance = counts.delong_variance()
            degrees = counts.delong_degrees_of_freedom()
            low, high = auc_interval(
                auc, variance, degrees, counts.n_positive, counts.n_negative, confidence
            )
            variances.append(variance)
            class_degrees.append(degrees)
            aucs.append(auc)
            lows.append(low)
            highs.append(high)
            s10, s01 = counts.placement_variances()
            components += [(s10 / k**2, counts.n_positive), (s01 / k**2, counts.n_negative)]
        if k == 1:
            value, low, high = aucs[0], lows[0], highs[0]
            se = implied_standard_error(low, high, confidence)
            return MetricValues(value, low, high, se, pooled=PooledParts(value, tuple(components)))
        auc_matrix = np.array(aucs)
        # DeLong's standard error where it is defined; else the one the class's interval implies
        delong_se = np.sqrt(np.array(variances))
        class_se = np.where(
            (auc_matrix > 0) & (auc_matrix < 1) & (delong_se > 0),
            delong_se,
            implied_standard_error(np.array(lows), np.array(highs), confidence),
        )
        covariance = self.class_covariance(stats)
        with np.errstate(invalid="ignore", divide="ignore"):
            defined = np.isfinite(auc_matrix)
            count = defined.sum(axis=0)
            value = np.where(defined, auc_matrix, 0).sum(axis=0) / count
            value = np.where(count > 0, value, np.nan)
            # se_a * sum_b rho_ab se_b: each class's share of k^2 x the mean's variance
            shares = class_se * (correlation_matrix(covariance) @ np.nan_to_num(class_se))
            se = np.sqrt(shares.sum(axis=0)) / k
            every_class = defined.all(axis=0)
            degrees = _satterthwaite(shares, np.array(class_degrees))
            low, high = _logit_interval(value, t_value(confidence, degrees) * se)
        # at 0 or 1 every class is at that end: the widest class interval is honest
        edge = every_class & ~((value > 0) & (value < 1))
        low = np.where(edge, np.where(np.isnan(lows), np.inf, lows).min(axis=0), low)
        high = np.where(edge, np.where(np.isnan(highs), -np.inf, highs).max(axis=0), high)
        low, high = np.where(every_class, low, np.nan), np.where(every_class, high, np.nan)
        se = implied_standard_error(low, high, confidence)
        pooled = PooledParts(
            np.where(every_class, value, np.nan),
            tuple(components),
            design_effect=_design_effect(covariance),
        )
        return MetricValues(value, low, high, se, pooled=pooled)
