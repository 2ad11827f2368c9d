"""What a metric is: a name, a direction, and values with intervals per group."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlprobe.core.group_stats import GroupStats
from mlprobe.core.intervals import mean_interval, wilson_interval
from mlprobe.core.row_terms import RowTerm
from mlprobe.core.significance import two_proportion_p_value, welch_p_value, z_test_p_value

__all__ = [
    "Metric",
    "MetricValues",
    "ProportionMetric",
    "RowMeanMetric",
    "mean_p_value",
    "moments_p_value",
]


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
    moments: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None


class Metric:
    """A metric computed per group from :class:`GroupStats`.

    Subclasses set ``name``, ``higher_is_better`` and implement :meth:`compute`.
    """

    name: str = ""
    higher_is_better: bool = True
    #: the best value, for a metric where neither higher nor lower is better (a bias: 0);
    #: a change is then judged by the distance to it, and ``higher_is_better`` is unused
    ideal: float | None = None
    #: (low, high) range of possible values, for clipping intervals
    bounds: tuple[float, float] = (-np.inf, np.inf)

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        """Values, intervals and standard errors for every group of ``stats``."""
        raise NotImplementedError

    def row_terms(self) -> tuple[RowTerm, ...]:
        """The sums over rows :meth:`compute` asks for first (an engine fetches them in one scan)."""
        return ()

    def p_value_vs(self, a: MetricValues, b: MetricValues) -> np.ndarray:
        """Two-sided p-value that groups of ``a`` and ``b`` (disjoint rows) differ in this metric.

        This default is a z-test on the two standard errors, which every metric's
        interval implies; metrics with a better test override it.
        """
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
            se = np.sqrt(value * (1 - value) / trials)
        low, high = wilson_interval(successes, trials, confidence)
        return MetricValues(value, low, high, se, successes.astype(np.float64), trials)

    def p_value_vs(self, a: MetricValues, b: MetricValues) -> np.ndarray:
        assert a.successes is not None and a.trials is not None
        assert b.successes is not None and b.trials is not None
        return two_proportion_p_value(a.successes, a.trials, b.successes, b.trials)


class RowMeanMetric(Metric):
    """The mean of a per-row quantity.

    Interval: Student t corrected for skewness (Hall 1992), from the per-group
    sums of the quantity, its square and its cube
    (:func:`mlprobe.core.intervals.mean_interval`). Test against the rest:
    Welch's t-test with the same skewness correction.
    """

    #: the per-row quantity's name (one of ``row_terms.QUANTITIES``), for engines
    quantity: str = ""

    def rows(self, stats: GroupStats) -> np.ndarray:
        """The per-row quantity averaged by this metric."""
        raise NotImplementedError

    def row_terms(self) -> tuple[RowTerm, ...]:
        return RowTerm(self.quantity), RowTerm(self.quantity, 2), RowTerm(self.quantity, 3)

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        n = stats.sizes().astype(np.float64)
        term, square, cube = self.row_terms()
        total = stats.sum(term, lambda: self.rows(stats))
        squares = stats.sum(square, lambda: self.rows(stats) ** 2)
        cubes = stats.sum(cube, lambda: self.rows(stats) ** 3)
        mean, low, high, se = mean_interval(
            n, total, squares, cubes, confidence, bounds=self.bounds
        )
        return MetricValues(mean, low, high, se, moments=(n, total, squares, cubes))

    def p_value_vs(self, a: MetricValues, b: MetricValues) -> np.ndarray:
        return mean_p_value(a, b)


def mean_p_value(a: MetricValues, b: MetricValues) -> np.ndarray:
    """Welch's t-test, skewness-corrected, of two groups' means (from their ``moments``)."""
    assert a.moments is not None and b.moments is not None
    return moments_p_value(a.moments, b.moments)


Moments = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def moments_p_value(a: Moments, b: Moments) -> np.ndarray:
    """Welch's t-test, skewness-corrected, from two groups' ``(n, sum, squares, cubes)``."""
    n_a, n_b = a[0], b[0]
    mean_a, variance_a, third_a = _central_moments(*a)
    mean_b, variance_b, third_b = _central_moments(*b)
    return welch_p_value(
        mean_a,
        variance_a,
        n_a,
        mean_b,
        variance_b,
        n_b,
        third_moment_a=third_a,
        third_moment_b=third_b,
    )


def _central_moments(
    n: np.ndarray, total: np.ndarray, squares: np.ndarray, cubes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, sample variance (n - 1) and third central moment (1/n) from power sums."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        variance = np.maximum(squares - n * mean**2, 0.0) / (n - 1)
        third = cubes / n - 3 * mean * squares / n + 2 * mean**3
    return mean, variance, third
