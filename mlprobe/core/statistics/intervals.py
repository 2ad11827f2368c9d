"""Confidence intervals: Wilson for proportions, skewness-corrected t for means, and
posterior-predictive resampling of count tables for user-defined table metrics.

(Balanced accuracy and F1 scores have their own posteriors: :mod:`table_posteriors`;
ROC AUC has DeLong's: :mod:`mlprobe.core.metrics.scores`.)

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

from mlprobe.core.statistics._moments import PowerSums

__all__ = [
    "N_RESAMPLES",
    "implied_standard_error",
    "mean_interval",
    "mover_difference",
    "normal_interval",
    "resample_tables",
    "t_value",
    "wilson_interval",
    "z_value",
]

#: Resampled tables per slice for user-defined table metrics.
N_RESAMPLES = 1000
#: Prior count spread evenly over a table's cells before its tables are resampled (Perks' prior).
TABLE_PRIOR = 1.0
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


def t_value(confidence: float, degrees_of_freedom: np.ndarray) -> np.ndarray:
    """Two-sided Student t quantile for ``confidence``; NaN below 1 degree of freedom."""
    from scipy import stats  # imported here: scipy.stats is slow to import

    df = np.asarray(degrees_of_freedom, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(df >= 1, stats.t.ppf(0.5 + confidence / 2, np.maximum(df, 1)), np.nan)


def implied_standard_error(low: np.ndarray, high: np.ndarray, confidence: float) -> np.ndarray:
    """The standard error a normal interval ``[low, high]`` at ``confidence`` would have."""
    return (np.asarray(high) - np.asarray(low)) / (2 * z_value(confidence))


def mean_interval(
    sums: PowerSums,
    confidence: float,
    *,
    bounds: tuple[float, float] = (-np.inf, np.inf),
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Interval of a mean from per-group power sums: Student t, corrected for skewness and tails.

    Hall (1992), "On the removal of skewness by transformation" (JRSS B 54):
    the studentized mean ``T`` is transformed by
    ``g(T) = T + a T**2 + a**2 T**3 / 3 + gamma / (6 n)`` with ``a = gamma / (3 sqrt(n))``
    (``gamma`` the sample skewness), a monotone map whose inverse is closed form.
    A right-skewed loss (absolute or squared errors, log loss) gets an interval
    that reaches further up than down, as the mean's sampling distribution does.
    The t quantile's degrees of freedom come from the sample kurtosis
    (:meth:`PowerSums.degrees_of_freedom`): ``n - 1`` for normal data, fewer for
    heavy tails, whose spread a sample underestimates. NaN below 2 rows.

    Returns
    -------
    mean, low, high, standard_error : ndarray, shape (G,)

    Examples
    --------
    >>> import numpy as np
    >>> from mlprobe.core.statistics._moments import PowerSums
    >>> mean, low, high, se = mean_interval(PowerSums.of([0.1, 0.2, 0.2, 0.4, 1.5]), 0.95)
    >>> bool(high[0] - mean[0] > mean[0] - low[0])   # reaches further up
    True
    """
    n = np.asarray(sums.n, dtype=np.float64)
    mean = sums.mean()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        se = np.sqrt(sums.variance() / n)
        # |gamma| beyond sqrt(n) cannot come from n rows: it is rounding
        skew = np.clip(sums.skewness(), -np.sqrt(n), np.sqrt(n))
        t = t_value(confidence, sums.degrees_of_freedom())
        a = skew / (3 * np.sqrt(n))

        def inverse(y: np.ndarray) -> np.ndarray:
            y = y - skew / (6 * n)
            curved = (np.cbrt(1 + 3 * a * y) - 1) / np.where(a == 0, 1.0, a)
            return np.where(np.abs(a) > 1e-12, curved, y)

        low = mean - inverse(t) * se
        high = mean - inverse(-t) * se
    low, high = np.clip(low, *bounds), np.clip(high, *bounds)
    defined = n > 1
    return (
        mean,
        np.where(defined, low, np.nan),
        np.where(defined, high, np.nan),
        np.where(defined, se, np.nan),
    )


Statistic = Callable[[np.ndarray], np.ndarray]


def resample_tables(
    tables: np.ndarray,
    statistic: Statistic,
    confidence: float,
    n_resamples: int = N_RESAMPLES,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentile interval and standard error of ``statistic`` from posterior draws of the table.

    For a metric mlprobe knows nothing about (a user's function of the table),
    each group's table is redrawn ``n_resamples`` times: cell shares from the
    Dirichlet posterior with :data:`TABLE_PRIOR` spread over the K x K cells
    (one pseudo-row in all), times the table's total (a Bayesian bootstrap of
    the table: the cells are then not whole numbers). Unlike redrawing from the
    observed shares (the row bootstrap), an
    all-correct or one-class table does not redraw to itself, so the interval
    never collapses to a point. The generator is seeded by the table itself: a
    slice gets the same interval in every call, whatever else is in the call.
    A group gets NaN when the statistic is undefined on its table or in most redraws.

    Parameters
    ----------
    tables : ndarray of int, shape (G, K, K)
    statistic : callable
        Maps an array of tables ``(..., K, K)`` to values ``(...)``;
        NaN for an undefined value.

    Returns
    -------
    low, high, standard_error : ndarray, shape (G,)

    Examples
    --------
    >>> import numpy as np
    >>> tables = np.array([[[3, 0], [0, 0]], [[0, 0], [0, 0]]])
    >>> share = lambda t: t[..., 0, 0] / t.sum(axis=(-2, -1))
    >>> low, high, se = resample_tables(tables, share, 0.95)
    >>> bool(low[0] < 1.0 == high[0]), bool(np.isnan(low[1]))
    (True, True)
    """
    out = np.full((3, len(tables)), np.nan)
    tail = (1 - confidence) / 2
    for g, table in enumerate(tables):
        total = int(table.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            observed = statistic(table[None].astype(np.float64))[0]
        if total == 0 or not np.isfinite(observed):  # nothing to say about an undefined value
            continue
        prior = table.ravel() + TABLE_PRIOR / table.size
        rng = np.random.default_rng([_SEED, *table.ravel().astype(np.int64).tolist()])
        draws = rng.dirichlet(prior, size=n_resamples) * total
        with np.errstate(invalid="ignore", divide="ignore"):
            values = statistic(draws.reshape(n_resamples, *table.shape))
        finite = values[np.isfinite(values)]
        if len(finite) < n_resamples / 2:  # undefined in most redraws: no honest interval
            continue
        low, high = np.quantile(finite, [tail, 1 - tail])
        out[:, g] = min(low, observed), max(high, observed), finite.std(ddof=1)
    return out[0], out[1], out[2]


def mover_difference(
    a: np.ndarray,
    a_low: np.ndarray,
    a_high: np.ndarray,
    b: np.ndarray,
    b_low: np.ndarray,
    b_high: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Interval of ``a - b`` for independent estimates, from their own intervals (MOVER).

    Zou & Donner (2008); for two proportions with Wilson intervals this is Newcombe's
    hybrid score interval (his method 10).

    >>> low, high = mover_difference(
    ...     np.array([0.5]), np.array([0.4]), np.array([0.6]),
    ...     np.array([0.3]), np.array([0.25]), np.array([0.36]),
    ... )
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.0834, 0.3118)
    """
    difference = a - b
    low = difference - np.sqrt((a - a_low) ** 2 + (b_high - b) ** 2)
    high = difference + np.sqrt((a_high - a) ** 2 + (b - b_low) ** 2)
    return low, high
