"""What a metric is: a name, a direction, and values with intervals per group."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mlprobe.core.counting._group_stats import GroupStats
from mlprobe.core.counting._row_terms import RowTerm
from mlprobe.core.metrics._impact import Impact, additive_impact, no_impact, table_impact
from mlprobe.core.statistics._moments import PowerSums
from mlprobe.core.statistics.intervals import implied_standard_error, mean_interval, wilson_interval
from mlprobe.core.statistics.significance import (
    pooled_mean_p_value,
    skew_corrected_t_p_value,
    two_proportion_p_value,
    z_test_p_value,
)

__all__ = [
    "Metric",
    "MetricValues",
    "PooledParts",
    "ProportionMetric",
    "RowMeanMetric",
    "additive_metric_impact",
    "mean_p_value",
    "pooled_p_value",
]


@dataclass(frozen=True, eq=False)
class PooledParts:
    """A statistic on its test scale, with the variance components a pooled test needs.

    ``components`` are pairs ``(variance per unit, units)``: the statistic's
    variance is ``sum(variance / units)`` (e.g. DeLong's ``S10`` per positive and
    ``S01`` per negative). A slice-vs-rest test pools each component's
    per-unit variance over both sides, so that it does not rest on a small
    slice's own (possibly zero) estimate: see :func:`pooled_p_value`.
    ``design_effect`` scales that sum where components are correlated (the
    classes' AUCs of a macro mean).
    """

    value: np.ndarray
    components: tuple[tuple[np.ndarray, np.ndarray], ...]
    #: how much correlations between components add to their summed variance (1: none)
    design_effect: float = 1.0


def pooled_p_value(a: PooledParts, b: PooledParts) -> np.ndarray:
    """Two-sided test of ``a.value - b.value`` (disjoint rows) with pooled variance components.

    Each component's per-unit variance is the units-weighted mean of both
    sides' (the null: both sides alike), so a tiny slice borrows it from the
    rest; its variance is then ``pooled * (1/units_a + 1/units_b)``. The
    reference is Student's t with the fewest units of a component on either
    side, less one, as degrees of freedom: statistics such as the AUC of a
    30-row slice have heavier tails than a normal, and a z-test would make
    their extremes look rarer than they are.
    """
    variance = np.zeros(np.shape(a.value))
    fewest = np.full(np.shape(a.value), np.inf)
    for (var_a, units_a), (var_b, units_b) in zip(a.components, b.components, strict=True):
        with np.errstate(invalid="ignore", divide="ignore"):
            weight_a = np.where(np.isfinite(var_a), np.maximum(units_a - 1, 0), 0)
            weight_b = np.where(np.isfinite(var_b), np.maximum(units_b - 1, 0), 0)
            pooled = (np.nan_to_num(var_a) * weight_a + np.nan_to_num(var_b) * weight_b) / (
                weight_a + weight_b
            )
            variance = variance + pooled * (1 / units_a + 1 / units_b)
            fewest = np.minimum(fewest, np.minimum(units_a, units_b))
    variance = variance * (a.design_effect + b.design_effect) / 2
    return skew_corrected_t_p_value(a.value - b.value, np.sqrt(variance), fewest - 1)


@dataclass(frozen=True, eq=False)
class MetricValues:
    """A metric's value per group, with its interval and standard error.

    ``successes`` and ``trials`` are set for proportions (so tests can pool them),
    ``tables`` for metrics of confusion tables (so a test can use all rows' table),
    ``moments`` for means of row quantities: per-group ``(n, sum, sum of squares,
    sum of cubes)`` (so a test can use both groups' spread and skewness).
    """

    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    standard_error: np.ndarray
    successes: np.ndarray | None = None
    trials: np.ndarray | None = None
    tables: np.ndarray | None = None
    moments: PowerSums | None = None
    pooled: PooledParts | None = None


class Metric:
    """A metric computed per group from :class:`GroupStats`.

    Subclasses set ``name``, ``higher_is_better`` and implement :meth:`compute`.
    """

    name: str = ""
    #: which way is better; None: neither (a rate to read, not a score: selection rate,
    #: prevalence), so nothing is "improved", "regressed" or "worse" on it
    higher_is_better: bool | None = True
    #: the best value, for a metric where neither higher nor lower is better (a bias: 0);
    #: a change is then judged by the distance to it, and ``higher_is_better`` is unused
    ideal: float | None = None
    #: (low, high) range of possible values, for clipping intervals
    bounds: tuple[float, float] = (-np.inf, np.inf)
    #: a mean over rows: on a partition of the rows, the overall value is the groups' values
    #: weighted by their shares (so a slice's impact is exactly ``share * (rest - slice)``)
    additive: bool = False

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        """Values, intervals and standard errors for every group of ``stats``."""
        raise NotImplementedError

    def row_terms(self) -> tuple[RowTerm, ...]:
        """The sums over rows :meth:`compute` asks for first (an engine fetches them in one scan)."""
        return ()

    def impact(self, stats: GroupStats, confidence: float) -> Impact:
        """Per group: how much this metric on all rows would change if the group's rows
        performed like the rest's (:mod:`mlprobe.core.metrics._impact`); NaN where the
        metric defines no such counterfactual."""
        return no_impact(stats.n_groups)

    def p_value_vs(self, a: MetricValues, b: MetricValues) -> np.ndarray:
        """Two-sided p-value that groups of ``a`` and ``b`` (disjoint rows) differ in this metric.

        This default is a z-test with pooled variance components when the metric
        gives them (:func:`pooled_p_value`), else on the two standard errors its
        interval implies; metrics with a better test override it.
        """
        if a.pooled is not None and b.pooled is not None:
            return pooled_p_value(a.pooled, b.pooled)
        return z_test_p_value(a.value - b.value, np.hypot(a.standard_error, b.standard_error))

    def __repr__(self) -> str:
        return f"<metric {self.name}>"


class ProportionMetric(Metric):
    """``successes / trials`` read off the confusion table; Wilson intervals."""

    bounds = (0.0, 1.0)

    def parts(self, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(successes, trials) per table; tables have shape (..., K, K)."""
        raise NotImplementedError

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        successes, trials = self.parts(stats.tables())
        trials = trials.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = successes / trials
        low, high = wilson_interval(successes, trials, confidence)
        se = implied_standard_error(low, high, confidence)  # never 0, as Wald's is at 0 or n
        return MetricValues(value, low, high, se, successes.astype(np.float64), trials)

    def impact(self, stats: GroupStats, confidence: float) -> Impact:
        """The slice's rows at the rest's rates ``P(predicted | true)``, the ratio recomputed."""

        def statistic(tables: np.ndarray) -> np.ndarray:
            successes, trials = self.parts(tables)
            with np.errstate(invalid="ignore", divide="ignore"):
                return successes / trials

        return table_impact(
            statistic,
            stats.tables(),
            stats.rest().tables(),
            stats.overall().tables()[0],
            confidence,
        )

    def p_value_vs(self, a: MetricValues, b: MetricValues) -> np.ndarray:
        assert a.successes is not None and a.trials is not None
        assert b.successes is not None and b.trials is not None
        return two_proportion_p_value(a.successes, a.trials, b.successes, b.trials)


class RowMeanMetric(Metric):
    """The mean of a per-row quantity.

    Interval: Student t corrected for skewness (Hall 1992) with degrees of
    freedom from the kurtosis, from per-group sums of the quantity's first four
    powers (:func:`mlprobe.core.statistics.intervals.mean_interval`). Test against the
    rest: a t-test on all rows' pooled variance and kurtosis (the null: the slice's rows
    are like the others), :func:`mlprobe.core.statistics.significance.pooled_mean_p_value`.
    """

    #: the per-row quantity's name (one of ``row_terms.QUANTITIES``), for engines
    quantity: str = ""
    additive = True

    def rows(self, stats: GroupStats) -> np.ndarray:
        """The per-row quantity averaged by this metric."""
        raise NotImplementedError

    def row_terms(self) -> tuple[RowTerm, ...]:
        return tuple(RowTerm(self.quantity, power) for power in (1, 2, 3, 4))

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        sums = PowerSums(
            stats.sizes().astype(np.float64),
            *(
                stats.sum(term, _power_of(lambda: self.rows(stats), term.power))
                for term in self.row_terms()
            ),
        )
        mean, low, high, se = mean_interval(sums, confidence, bounds=self.bounds)
        return MetricValues(mean, low, high, se, moments=sums)

    def p_value_vs(self, a: MetricValues, b: MetricValues) -> np.ndarray:
        return mean_p_value(a, b)

    def impact(self, stats: GroupStats, confidence: float) -> Impact:
        """Additive: ``share * (rest - slice)``, with the MOVER interval."""
        return additive_metric_impact(self, stats, confidence)


def additive_metric_impact(metric: Metric, stats: GroupStats, confidence: float) -> Impact:
    """The impact of a mean over rows: the slice's mean becomes the rest's."""
    mine, rest = metric.compute(stats, confidence), metric.compute(stats.rest(), confidence)
    share = stats.sizes() / stats.arrays.n_rows
    return additive_impact(
        mine.value, rest.value, share, (mine.low, mine.high), (rest.low, rest.high)
    )


def _power_of(values: Callable[[], np.ndarray], power: int) -> Callable[[], np.ndarray]:
    return lambda: values() ** power


def mean_p_value(a: MetricValues, b: MetricValues) -> np.ndarray:
    """The pooled t-test of two disjoint groups' means (:func:`pooled_mean_p_value`)."""
    assert a.moments is not None and b.moments is not None
    return pooled_mean_p_value(a.moments, b.moments)
