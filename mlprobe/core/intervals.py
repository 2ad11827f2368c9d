"""Confidence intervals: Wilson for proportions, normal for means, table resampling otherwise.

All functions are vectorized over a leading group axis and return ``NaN``
where a group has no rows to say anything about.

Examples
--------
>>> import numpy as np
>>> low, high = wilson_interval(np.array([8]), np.array([10]), 0.95)
>>> round(float(low[0]), 4), round(float(high[0]), 4)
(0.4902, 0.9433)
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import NormalDist

import numpy as np

__all__ = [
    "N_RESAMPLES",
    "normal_interval",
    "resample_tables",
    "wilson_interval",
    "z_value",
]

#: Resampled tables per slice for count-derived metrics without a closed form.
N_RESAMPLES = 1000
_SEED = 20261128


def z_value(confidence: float) -> float:
    """Two-sided normal quantile for ``confidence`` (1.96 for 0.95)."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(
    successes: np.ndarray, trials: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``successes / trials``; NaN where ``trials == 0``."""
    z = z_value(confidence)
    trials = np.asarray(trials, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = successes / trials
        denominator = 1 + z**2 / trials
        center = (p + z**2 / (2 * trials)) / denominator
        half = z * np.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / denominator
        # the exact ends: rounding would leave 0/n's low (n/n's high) a hair off 0 (1),
        # and the interval would miss the observed proportion
        low = np.where(successes == 0, 0.0, np.clip(center - half, 0.0, 1.0))
        high = np.where(successes == trials, 1.0, np.clip(center + half, 0.0, 1.0))
    return np.where(trials > 0, low, np.nan), np.where(trials > 0, high, np.nan)


def normal_interval(
    value: np.ndarray,
    standard_error: np.ndarray,
    confidence: float,
    *,
    bounds: tuple[float, float] = (-np.inf, np.inf),
) -> tuple[np.ndarray, np.ndarray]:
    """``value -/+ z * standard_error``, clipped to ``bounds``."""
    z = z_value(confidence)
    return (
        np.clip(value - z * standard_error, *bounds),
        np.clip(value + z * standard_error, *bounds),
    )


def resample_tables(
    tables: np.ndarray,
    statistic: Callable[[np.ndarray], np.ndarray],
    confidence: float,
    n_resamples: int = N_RESAMPLES,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentile interval and standard error of ``statistic`` by resampling count tables.

    Each group's table of counts (any shape after the group axis) is redrawn
    ``n_resamples`` times from a multinomial with the observed cell shares and
    the observed total: the row bootstrap, done on the counts. The generator
    is seeded by the table itself, so a slice gets the same interval in every
    call, whatever else is in the call.

    Parameters
    ----------
    tables : ndarray of int, shape (G, ...)
    statistic : callable
        Maps an array of tables ``(..., *table_shape)`` to values ``(...)``;
        NaN for an undefined value.

    Returns
    -------
    low, high, standard_error : ndarray, shape (G,)

    Examples
    --------
    >>> import numpy as np
    >>> tables = np.array([[30, 10], [0, 0]])
    >>> share = lambda t: t[..., 0] / t.sum(axis=-1)
    >>> low, high, se = resample_tables(tables, share, 0.95)
    >>> bool(low[0] < 0.75 < high[0]), bool(np.isnan(low[1]))
    (True, True)
    """
    n_groups = tables.shape[0]
    cell_shape = tables.shape[1:]
    flat = tables.reshape(n_groups, -1).astype(np.int64)
    alpha = (1 - confidence) / 2
    low = np.full(n_groups, np.nan)
    high = np.full(n_groups, np.nan)
    se = np.full(n_groups, np.nan)
    for g in range(n_groups):
        total = int(flat[g].sum())
        if total == 0:
            continue
        rng = np.random.default_rng([_SEED, *flat[g].tolist()])
        draws = rng.multinomial(total, flat[g] / total, size=n_resamples)
        values = statistic(draws.reshape(n_resamples, *cell_shape))
        finite = values[np.isfinite(values)]
        if len(finite) < n_resamples / 2:  # undefined in most resamples: no honest interval
            continue
        low[g], high[g] = np.quantile(finite, [alpha, 1 - alpha])
        se[g] = finite.std(ddof=1) if len(finite) > 1 else np.nan
    return low, high, se
