"""Tests of a difference: slice vs rest, two models on the same rows, and many slices at once.

Examples
--------
>>> import numpy as np
>>> benjamini_hochberg(np.array([0.01, 0.04, 0.03, np.nan])).round(3).tolist()
[0.03, 0.04, 0.04, nan]
>>> round(float(mcnemar_p_value(np.array([25]), np.array([10]))[0]), 4)
0.0167
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "benjamini_hochberg",
    "mcnemar_p_value",
    "two_proportion_p_value",
    "z_test_p_value",
]


_erfc = np.frompyfunc(math.erfc, 1, 1)


def _two_sided_normal(z: np.ndarray) -> np.ndarray:
    """``P(|Z| >= |z|)`` for a standard normal Z; NaN stays NaN."""
    return np.asarray(_erfc(np.abs(np.asarray(z, dtype=np.float64)) / math.sqrt(2)), np.float64)


def two_proportion_p_value(
    successes_a: np.ndarray, trials_a: np.ndarray, successes_b: np.ndarray, trials_b: np.ndarray
) -> np.ndarray:
    """Two-sided pooled two-proportion z-test; NaN where a side has no trials.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(two_proportion_p_value(np.array([30]), np.array([100]),
    ...                                    np.array([50]), np.array([100]))[0]), 4)
    0.0039
    """
    trials_a = np.asarray(trials_a, dtype=np.float64)
    trials_b = np.asarray(trials_b, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (successes_a + successes_b) / (trials_a + trials_b)
        difference = successes_a / trials_a - successes_b / trials_b
        se = np.sqrt(pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b))
        z = np.abs(difference) / se
    p = _two_sided_normal(z)
    p = np.where((se == 0) & (difference == 0), 1.0, p)  # both sides all-success or all-fail
    return np.where((trials_a > 0) & (trials_b > 0), p, np.nan)


def z_test_p_value(difference: np.ndarray, standard_error: np.ndarray) -> np.ndarray:
    """Two-sided p-value of ``difference / standard_error`` against a standard normal."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.abs(difference) / standard_error
    p = _two_sided_normal(z)
    return np.where((standard_error == 0) & (difference == 0), 1.0, p)


def mcnemar_p_value(only_a_right: np.ndarray, only_b_right: np.ndarray) -> np.ndarray:
    """Exact two-sided McNemar test on the discordant pairs (a binomial test at 1/2).

    With no discordant pairs nothing differs, and the p-value is 1.
    """
    from scipy import stats  # imported here: scipy.stats is slow to import

    b = np.asarray(only_a_right, dtype=np.int64)
    c = np.asarray(only_b_right, dtype=np.int64)
    discordant = b + c
    smaller = np.minimum(b, c)
    p = 2 * stats.binom.cdf(smaller, np.maximum(discordant, 1), 0.5)
    return np.where(discordant == 0, 1.0, np.minimum(p, 1.0))


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN inputs stay NaN and are not counted."""
    p = np.asarray(p_values, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    valid = np.flatnonzero(np.isfinite(p))
    m = len(valid)
    if m == 0:
        return q
    order = valid[np.argsort(p[valid], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    return q
