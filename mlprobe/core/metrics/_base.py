"""What a metric is: a name, a direction, and values with intervals per group."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlprobe.core.group_stats import GroupStats
from mlprobe.core.intervals import normal_interval, wilson_interval
from mlprobe.core.row_terms import RowTerm
from mlprobe.core.significance import two_proportion_p_value, z_test_p_value

__all__ = ["Metric", "MetricValues", "ProportionMetric", "RowMeanMetric"]


@dataclass(frozen=True, eq=False)
class MetricValues:
    """A metric's value per group, with its interval and standard error.

    ``successes`` and ``trials`` are set for proportions (so tests can pool them).
    """

    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    standard_error: np.ndarray
    successes: np.ndarray | None = None
    trials: np.ndarray | None = None


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
        """Two-sided p-value that groups of ``a`` and ``b`` differ in this metric."""
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
    """The mean of a per-row quantity; normal interval from its sum of squares."""

    #: the per-row quantity's name (one of ``row_terms.QUANTITIES``), for engines
    quantity: str = ""

    def rows(self, stats: GroupStats) -> np.ndarray:
        """The per-row quantity averaged by this metric."""
        raise NotImplementedError

    def row_terms(self) -> tuple[RowTerm, ...]:
        return RowTerm(self.quantity), RowTerm(self.quantity, power=2)

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        n = stats.sizes().astype(np.float64)
        term, square = self.row_terms()
        total = stats.sum(term, lambda: self.rows(stats))
        squares = stats.sum(square, lambda: self.rows(stats) ** 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / n
            variance = np.maximum(squares - n * mean**2, 0.0) / (n - 1)
            se = np.sqrt(variance / n)
        se = np.where(n > 1, se, np.nan)
        low, high = normal_interval(mean, se, confidence, bounds=self.bounds)
        return MetricValues(mean, low, high, se)
