"""User-registered metrics: from confusion counts (fast) or from rows (slow)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np

from mlprobe.core.counting._group_stats import GroupStats
from mlprobe.core.metrics._base import Metric, MetricValues
from mlprobe.core.metrics.classification import TableMetric
from mlprobe.core.statistics.intervals import resample_tables
from mlprobe.errors import MlprobeError

__all__ = ["CountsMetric", "RowsMetric"]

#: Row resamples per group for metrics computed from rows.
N_ROW_RESAMPLES = 200


class CountsMetric(TableMetric):
    """A user function of one K x K confusion table (true on axis 0)."""

    bounds = (-np.inf, np.inf)
    scale_free = False  # a user function may read raw counts: no linearized test

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        tables = stats.tables()
        low, high, se = resample_tables(tables, self.statistic, confidence)
        return MetricValues(self.statistic(tables), low, high, se, tables=tables)

    def __init__(
        self, name: str, function: Callable[[np.ndarray], float], higher_is_better: bool | None
    ) -> None:
        self.name = name
        self.function = function
        self.higher_is_better = higher_is_better

    def statistic(self, tables: np.ndarray) -> np.ndarray:
        k = tables.shape[-1]
        flat = tables.reshape(-1, k, k)
        values = np.array([_call(self.function, t, self.name) for t in flat], dtype=np.float64)
        return values.reshape(tables.shape[:-2])


class RowsMetric(Metric):
    """A user function ``(y_true, y_pred) -> float`` on each group's rows.

    Slow by nature (one call per group and per resample); intervals from a
    seeded row bootstrap with :data:`N_ROW_RESAMPLES` resamples.
    """

    def __init__(
        self,
        name: str,
        function: Callable[[np.ndarray, np.ndarray], float],
        higher_is_better: bool | None,
    ) -> None:
        self.name = name
        self.function = function
        self.higher_is_better = higher_is_better

    def compute(self, stats: GroupStats, confidence: float) -> MetricValues:
        arrays = stats.arrays
        decode = (
            (lambda codes: np.asarray(arrays.classes, dtype=object)[codes])
            if arrays.classes
            else (lambda values: values)
        )
        y_true, y_pred = decode(arrays.y_true), decode(arrays.y_pred)
        alpha = (1 - confidence) / 2
        out = np.full((4, stats.n_groups), np.nan)
        for g, mask in enumerate(stats.masks()):
            rows = np.flatnonzero(mask)
            if len(rows) == 0:
                continue
            out[0, g] = _call(self.function, (y_true[rows], y_pred[rows]), self.name)
            # seeded by the rows themselves: a slice gets the same interval in every call
            digest = hashlib.blake2b(rows.astype(np.int64).tobytes(), digest_size=8).digest()
            rng = np.random.default_rng([len(rows), int.from_bytes(digest, "little")])
            draws = [
                _call(self.function, (y_true[pick], y_pred[pick]), self.name)
                for pick in (rng.choice(rows, len(rows)) for _ in range(N_ROW_RESAMPLES))
            ]
            finite = np.asarray(draws, dtype=np.float64)
            finite = finite[np.isfinite(finite)]
            if len(finite) > 1:
                out[1, g], out[2, g] = np.quantile(finite, [alpha, 1 - alpha])
                out[3, g] = finite.std(ddof=1)
        return MetricValues(out[0], out[1], out[2], out[3])


def _call(function: Callable[..., float], args: Any, name: str) -> float:
    try:
        value = function(*args) if isinstance(args, tuple) else function(args)
        return float(value)
    except Exception as error:  # a user function's failure, reported with its name
        raise MlprobeError(
            f"custom metric {name!r} raised {type(error).__name__}: {error}"
        ) from error
