"""Impact: how much a metric on all rows would change if a slice performed like the rest.

The counterfactual keeps the slice's rows and their true labels and lets them
perform as the rest of the rows do. What "perform as" means depends on the
metric, and each metric class says which applies:

- **Additive metrics** (a mean over rows: accuracy, error rate, MAE, MSE, log loss,
  Brier, mean error): the slice's mean becomes the rest's, so the overall metric
  moves by exactly ``share * (rest - slice)`` = ``-share * gap``
  (:func:`additive_impact`). Its interval is ``share`` times the MOVER interval of
  the difference of two independent estimates (Zou & Donner 2008; for proportions
  this is Newcombe's hybrid score interval), from the slice's and the rest's own
  intervals (Wilson, or the skew-corrected t of means).
- **Ratio metrics of the confusion table** (precision, recall, F1, balanced accuracy,
  macro F1): the slice's rows of each true class get the rest's predictions rates
  ``P(predicted | true)``; the metric is recomputed on the rest's table plus those
  rows (:func:`table_impact`). For recall this is exactly the rest's recall. Interval:
  equal-tailed, from draws of both sides' rates from their Jeffreys (Dirichlet 1/2)
  posteriors, all slices at once.

Worked example: 1,000 rows, accuracy 0.85 overall; a slice of 200 rows at 0.70, the
other 800 at 0.8875. If the slice were as accurate as the rest, accuracy would be
0.8875: impact ``+0.0375`` = ``0.2 * (0.8875 - 0.70)``, and the slice has
``200 * (0.30 - 0.1125) = 37.5`` excess errors (errors beyond the rest's rate).

>>> import numpy as np
>>> impact = additive_impact(
...     np.array([0.70]), np.array([0.8875]), np.array([0.2]),
...     (np.array([0.64]), np.array([0.76])), (np.array([0.865]), np.array([0.908])),
... )
>>> round(float(impact.value[0]), 4), round(float(impact.low[0]), 4), round(float(impact.high[0]), 4)
(0.0375, 0.0247, 0.0502)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mlprobe.core.statistics.intervals import mover_difference

__all__ = ["Impact", "additive_impact", "no_impact", "table_impact"]

#: posterior draws per slice for the interval of a table metric's impact
DRAWS = 1000
#: draws x slices x cells held at once
CHUNK_CELLS = 4_000_000
#: Jeffreys' prior on each cell of a row of rates
PRIOR = 0.5


@dataclass(frozen=True, eq=False)
class Impact:
    """Per slice: the change of the overall metric, and its interval (NaN: not known)."""

    value: np.ndarray
    low: np.ndarray
    high: np.ndarray


def no_impact(n_groups: int) -> Impact:
    """NaN impact: the metric defines no counterfactual (yet)."""
    nan = np.full(n_groups, np.nan)
    return Impact(nan, nan.copy(), nan.copy())


def additive_impact(
    slice_value: np.ndarray,
    rest_value: np.ndarray,
    share: np.ndarray,
    slice_interval: tuple[np.ndarray, np.ndarray],
    rest_interval: tuple[np.ndarray, np.ndarray],
) -> Impact:
    """``share * (rest - slice)``, with ``share`` times the MOVER interval of the difference."""
    low, high = mover_difference(rest_value, *rest_interval, slice_value, *slice_interval)
    return Impact(share * (rest_value - slice_value), share * low, share * high)


def _counterfactual(rest: np.ndarray, slice_tables: np.ndarray) -> np.ndarray:
    """The rest's table plus the slice's rows of each true class at the rest's rates (a
    true class the rest does not have keeps the slice's own row)."""
    rest_rows = rest.sum(axis=-1, keepdims=True)
    slice_rows = slice_tables.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(rest_rows > 0, rest / rest_rows, 0.0)
    moved = np.where(rest_rows > 0, slice_rows * rates, slice_tables)
    return rest + moved


def table_impact(
    statistic: Callable[[np.ndarray], np.ndarray],
    slice_tables: np.ndarray,
    rest_tables: np.ndarray,
    overall_table: np.ndarray,
    confidence: float,
    seed: int = 0,
) -> Impact:
    """Impact of a metric of confusion tables (see the module docstring).

    ``statistic`` maps tables ``(..., K, K)`` (true x predicted) to values ``(...)``.
    """
    slice_tables = np.asarray(slice_tables, dtype=np.float64)
    rest_tables = np.asarray(rest_tables, dtype=np.float64)
    now = statistic(np.asarray(overall_table, dtype=np.float64)[None])[0]
    value = statistic(_counterfactual(rest_tables, slice_tables)) - now
    n_groups, k = len(slice_tables), slice_tables.shape[-1]
    low, high = np.full(n_groups, np.nan), np.full(n_groups, np.nan)
    rng = np.random.default_rng(seed)
    per_chunk = max(1, CHUNK_CELLS // (DRAWS * k * k))
    alpha = (1 - confidence) / 2
    for start in range(0, n_groups, per_chunk):
        part = slice(start, start + per_chunk)
        draws = _impact_draws(statistic, slice_tables[part], rest_tables[part], rng)
        with np.errstate(invalid="ignore"):
            low[part], high[part] = np.nanquantile(draws, [alpha, 1 - alpha], axis=0)
    empty = slice_tables.sum(axis=(-2, -1)) == 0
    low[empty] = high[empty] = np.where(np.isnan(value[empty]), np.nan, 0.0)
    return Impact(value, low, high)


def _rate_draws(tables: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draws of each true class's rates ``P(predicted | true)`` from their Jeffreys
    posteriors: shape (DRAWS, groups, K, K)."""
    gamma = rng.standard_gamma(np.broadcast_to(tables + PRIOR, (DRAWS, *tables.shape)))
    return gamma / gamma.sum(axis=-1, keepdims=True)


def _impact_draws(
    statistic: Callable[[np.ndarray], np.ndarray],
    slice_tables: np.ndarray,
    rest_tables: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draws of (metric of the counterfactual table) - (metric of today's table), both
    built from drawn rates and the observed class totals: shape (DRAWS, groups)."""
    slice_rows = slice_tables.sum(axis=-1, keepdims=True)
    rest_rows = rest_tables.sum(axis=-1, keepdims=True)
    slice_rates = _rate_draws(slice_tables, rng)
    rest_rates = _rate_draws(rest_tables, rng)
    today = slice_rows * slice_rates + rest_rows * rest_rates
    counterfactual_rates = np.where(rest_rows > 0, rest_rates, slice_rates)
    counterfactual = (slice_rows + rest_rows) * counterfactual_rates
    return statistic(counterfactual) - statistic(today)
