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

from collections.abc import Callable, Sequence
from statistics import NormalDist

import numpy as np

__all__ = [
    "N_RESAMPLES",
    "delta_interval",
    "normal_interval",
    "resample_tables",
    "table_intervals",
    "wilson_interval",
    "z_value",
]

#: Resampled tables per slice for count-derived metrics without a closed form.
N_RESAMPLES = 1000
#: Tables with at least this many rows get delta-method intervals instead of resampling.
DELTA_FROM = 1000
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


Statistic = Callable[[np.ndarray], np.ndarray]


def table_intervals(
    tables: np.ndarray,
    statistics: Sequence[Statistic],
    confidence: float,
    *,
    n_resamples: int = N_RESAMPLES,
    delta_from: int = DELTA_FROM,
    bounds: Sequence[tuple[float, float]] | None = None,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Intervals and standard errors of several statistics of count tables, per group.

    Tables with at least ``delta_from`` rows use the delta method on the
    multinomial cell shares (fast and, at that size, as good as resampling);
    smaller tables are resampled with :func:`resample_tables`, drawing once per
    table for all statistics. ``bounds`` (one ``(low, high)`` per statistic,
    default ``(0, 1)``) clip the delta-method intervals.

    Returns
    -------
    list of (low, high, standard_error), one per statistic, each of shape (G,)

    Examples
    --------
    >>> import numpy as np
    >>> share = lambda t: t[..., 0] / t.sum(axis=-1)
    >>> [(low, high, se)] = table_intervals(np.array([[3000, 1000]]), [share], 0.95)
    >>> round(float(low[0]), 3), round(float(high[0]), 3)
    (0.737, 0.763)
    """
    totals = tables.sum(axis=tuple(range(1, tables.ndim)))  # also for zero groups
    # results[s] holds rows (low, high, standard error) of statistic s, one column per group
    results = np.full((len(statistics), 3, len(tables)), np.nan)
    large = np.flatnonzero(totals >= delta_from)
    if len(large):
        limits = bounds if bounds is not None else [(0.0, 1.0)] * len(statistics)
        for result, statistic, limit in zip(results, statistics, limits, strict=True):
            result[:, large] = delta_interval(tables[large], statistic, confidence, bounds=limit)
    small = np.flatnonzero((totals > 0) & (totals < delta_from))
    for g in small:
        resampled = _resample_one(tables[g], statistics, confidence, n_resamples)
        results[:, :, g] = np.asarray(resampled)
    return [(low, high, se) for low, high, se in results]


def delta_interval(
    tables: np.ndarray,
    statistic: Statistic,
    confidence: float,
    *,
    bounds: tuple[float, float] = (0.0, 1.0),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normal interval of ``statistic`` by the delta method on multinomial cell shares.

    ``statistic`` must depend on the shares only (scale-free), as ratios of
    counts do. Its gradient is taken by central differences on the non-empty
    cells; empty cells carry no variance under the multinomial.
    """
    n_groups = len(tables)
    cell_shape = tables.shape[1:]
    counts = tables.reshape(n_groups, -1).astype(np.float64)
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / total
    n_cells = shares.shape[1]
    step = 1e-4 * shares  # relative steps keep non-empty cells non-empty
    eye = np.eye(n_cells)
    up = shares[:, None, :] + step[:, :, None] * eye
    down = shares[:, None, :] - step[:, :, None] * eye
    with np.errstate(invalid="ignore", divide="ignore"):
        value = statistic(shares.reshape(n_groups, *cell_shape))
        f_up = statistic(up.reshape(n_groups * n_cells, *cell_shape)).reshape(n_groups, n_cells)
        f_down = statistic(down.reshape(n_groups * n_cells, *cell_shape)).reshape(n_groups, n_cells)
        gradient = np.where(shares > 0, (f_up - f_down) / (2 * step), 0.0)
        mean_gradient = (shares * gradient).sum(axis=1)
        variance = ((shares * gradient**2).sum(axis=1) - mean_gradient**2) / total[:, 0]
    se = np.sqrt(np.maximum(variance, 0.0))
    z = z_value(confidence)
    return np.clip(value - z * se, *bounds), np.clip(value + z * se, *bounds), se


def _resample_one(
    table: np.ndarray, statistics: Sequence[Statistic], confidence: float, n_resamples: int
) -> list[tuple[float, float, float]]:
    """Percentile intervals of each statistic from one set of resampled copies of ``table``."""
    flat = table.reshape(-1).astype(np.int64)
    total = int(flat.sum())
    rng = np.random.default_rng([_SEED, *flat.tolist()])
    draws = rng.multinomial(total, flat / total, size=n_resamples).reshape(
        n_resamples, *table.shape
    )
    alpha = (1 - confidence) / 2
    out = []
    for statistic in statistics:
        values = statistic(draws)
        finite = values[np.isfinite(values)]
        if len(finite) < n_resamples / 2:  # undefined in most resamples: no honest interval
            out.append((np.nan, np.nan, np.nan))
            continue
        low, high = np.quantile(finite, [alpha, 1 - alpha])
        out.append((float(low), float(high), float(finite.std(ddof=1))))
    return out


def resample_tables(
    tables: np.ndarray,
    statistic: Statistic,
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
    [result] = table_intervals(
        tables, [statistic], confidence, n_resamples=n_resamples, delta_from=np.iinfo(np.int64).max
    )
    return result
