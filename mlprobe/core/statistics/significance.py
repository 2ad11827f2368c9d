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
from collections.abc import Callable

import numpy as np

from mlprobe.core.statistics._moments import PowerSums

__all__ = [
    "EXACT_BELOW",
    "benjamini_hochberg",
    "cell_variance",
    "fisher_exact_p_value",
    "mcnemar_p_value",
    "permutation_moment_p_value",
    "pooled_mean_p_value",
    "share_gradient",
    "sign_flip_p_value",
    "skew_corrected_t_p_value",
    "two_proportion_p_value",
    "z_test_p_value",
]

#: Two proportions are compared with Fisher's exact test while an expected cell count of
#: their 2 x 2 table is below this; the pooled z-test is accurate above it.
EXACT_BELOW = 10.0


_erfc = np.frompyfunc(math.erfc, 1, 1)


def _two_sided_normal(z: np.ndarray) -> np.ndarray:
    """``P(|Z| >= |z|)`` for a standard normal Z; NaN stays NaN."""
    return np.asarray(_erfc(np.abs(np.asarray(z, dtype=np.float64)) / math.sqrt(2)), np.float64)


def two_proportion_p_value(
    successes_a: np.ndarray, trials_a: np.ndarray, successes_b: np.ndarray, trials_b: np.ndarray
) -> np.ndarray:
    """Two-sided test that two independent proportions are equal; NaN where a side has no trials.

    Fisher's exact test where an expected count of the 2 x 2 table is below
    :data:`EXACT_BELOW` (small slices, rare classes), else the pooled z-test
    (the score test, which is accurate there and does not lose power to
    conditioning).

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
    total = trials_a + trials_b
    with np.errstate(invalid="ignore", divide="ignore"):
        # the smallest expected cell: smaller row total times the smaller column share
        smallest_expected = (
            np.minimum(trials_a, trials_b)
            * np.minimum(successes_a + successes_b, total - successes_a - successes_b)
            / total
        )
    exact = np.flatnonzero((smallest_expected < EXACT_BELOW) & (trials_a > 0) & (trials_b > 0))
    if len(exact):
        p = np.array(p, dtype=np.float64, copy=True)
        p[exact] = fisher_exact_p_value(
            np.asarray(successes_a)[exact],
            trials_a[exact],
            np.asarray(successes_b)[exact],
            trials_b[exact],
        )
    return np.where((trials_a > 0) & (trials_b > 0), p, np.nan)


def fisher_exact_p_value(
    successes_a: np.ndarray, trials_a: np.ndarray, successes_b: np.ndarray, trials_b: np.ndarray
) -> np.ndarray:
    """Fisher's exact test, two-sided as in scipy: the tables at most as likely as the observed.

    Vectorized over groups (each group's hypergeometric support at once).

    Examples
    --------
    >>> import numpy as np
    >>> round(float(fisher_exact_p_value(np.array([0]), np.array([3]),
    ...                                  np.array([80]), np.array([100]))[0]), 4)
    0.01
    """
    from scipy import special

    a = np.asarray(successes_a, dtype=np.float64)
    n_a = np.asarray(trials_a, dtype=np.float64)
    n_b = np.asarray(trials_b, dtype=np.float64)
    k = a + np.asarray(successes_b, dtype=np.float64)
    total = n_a + n_b
    low = np.maximum(0.0, k - n_b)
    high = np.minimum(n_a, k)
    width = int(np.max(high - low, initial=0)) + 1
    support = low[:, None] + np.arange(width)[None, :]
    inside = support <= high[:, None]
    support = np.where(inside, support, low[:, None])

    def log_pmf(x: np.ndarray) -> np.ndarray:
        kk, na, nb, nn = (v[:, None] for v in (k, n_a, n_b, total))
        return (
            special.gammaln(kk + 1)
            - special.gammaln(x + 1)
            - special.gammaln(kk - x + 1)
            + special.gammaln(nn - kk + 1)
            - special.gammaln(na - x + 1)
            - special.gammaln(nb - kk + x + 1)
            - special.gammaln(nn + 1)
            + special.gammaln(na + 1)
            + special.gammaln(nb + 1)
        )

    log_p = log_pmf(support)
    observed = log_pmf(a[:, None])
    as_likely = inside & (log_p <= observed + 1e-7)
    p = np.where(as_likely, np.exp(log_p), 0.0).sum(axis=1)
    return np.minimum(p, 1.0)


def pooled_mean_p_value(a: PowerSums, b: PowerSums) -> np.ndarray:
    """Two-sided test that two disjoint groups' means differ, on the null's pooled moments.

    Under the null of a slice-vs-rest test (the slice's rows are like the
    others) both groups share one distribution, so its variance and kurtosis
    are estimated from all rows, as the pooled DeLong components of ROC AUC
    are: a small slice with no large loss would otherwise get a tiny variance
    of its own and a tiny p-value (Welch's test on squared errors of 30 rows
    gave p < 0.001 ten times too often for heavy tails). The difference of
    means over ``sqrt(s2 (1/n_a + 1/n_b))`` is referred to Student's t whose
    excess kurtosis ``6 / (df - 4)`` matches the difference's,
    ``G2 (1/n_a**3 + 1/n_b**3) / (1/n_a + 1/n_b)**2`` (``G2``: all rows' adjusted
    excess kurtosis): normal data get ``n_a + n_b - 2`` degrees of freedom,
    heavy tails fewer. The first-order skewness cancels in a two-sided test.
    NaN below 2 rows on a side.

    Examples
    --------
    >>> import numpy as np
    >>> from mlprobe.core.statistics._moments import PowerSums
    >>> small = PowerSums.of(np.full(30, 0.5))   # no spread of its own
    >>> rest = PowerSums.of(np.random.default_rng(0).exponential(1.0, 3000))
    >>> 0.001 < float(pooled_mean_p_value(small, rest)[0]) < 0.05
    True
    """
    both = PowerSums(a.n + b.n, a.s1 + b.s1, a.s2 + b.s2, a.s3 + b.s3, a.s4 + b.s4)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        shares = 1 / a.n + 1 / b.n
        se = np.sqrt(both.variance() * shares)
        excess = np.maximum(both.excess_kurtosis(), 0.0)
        tails = excess * (1 / a.n**3 + 1 / b.n**3) / shares**2
        df = np.minimum(4 + 6 / np.maximum(tails, 1e-12), a.n + b.n - 2)
    p = skew_corrected_t_p_value(a.mean() - b.mean(), se, df)
    return np.where((a.n > 1) & (b.n > 1), p, np.nan)


def skew_corrected_t_p_value(
    difference: np.ndarray,
    standard_error: np.ndarray,
    degrees_of_freedom: np.ndarray,
    skewness: np.ndarray | None = None,
) -> np.ndarray:
    """Two-sided p-value of ``T = difference / standard_error`` against Student's t.

    With ``skewness`` (of the estimate ``difference``), ``T`` is first mapped by
    Hall's (1992) transformation ``g(T) = ((1 + s T / 3)**3 - 1) / s``, which
    removes the first-order skewness of a studentized mean: a right-skewed loss
    otherwise makes a low slice mean look more surprising than it is.
    A zero standard error with a zero difference gives 1; with a non-zero one, 0.
    """
    from scipy import stats

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        t = np.asarray(difference, dtype=np.float64) / standard_error
        if skewness is not None:
            s = np.nan_to_num(np.asarray(skewness, dtype=np.float64), nan=0.0)
            s = np.clip(s, -1.0, 1.0)  # beyond this the expansion is no longer trustworthy
            curved = ((1 + s * t / 3) ** 3 - 1) / np.where(s == 0, 1.0, s)
            t = np.where(np.abs(s) > 1e-12, curved, t)
        p = 2 * stats.t.sf(np.abs(t), np.maximum(degrees_of_freedom, 1))
    p = np.where(np.isnan(t) & (standard_error == 0) & (difference == 0), 1.0, p)
    return np.where(np.asarray(degrees_of_freedom) >= 1, p, np.nan)


def permutation_moment_p_value(
    statistic: Callable[[np.ndarray], np.ndarray],
    tables: np.ndarray,
    rest_tables: np.ndarray,
) -> np.ndarray:
    """Slice vs rest test of a metric of count tables, under random assignment of rows.

    If the slice's rows were a random draw of the table's rows (the null: the
    model errs alike inside and outside), the slice's table is multivariate
    hypergeometric around the shares of all rows, with a covariance that is
    known exactly. The gap ``metric(slice) - metric(rest)`` is linearized there,
    so its null variance depends on all rows' table only: it is never 0 on a
    small or all-correct slice, as a variance estimated from the slice is.
    The reference is Student's t with ``min(n, N - n) - 1`` degrees of freedom:
    a metric of a small slice's table has heavier tails than a normal.

    ``statistic`` must depend on cell shares only (ratios of counts).
    ``tables`` and ``rest_tables`` have shape (G, K, K); their sum is all rows.
    """
    everything = (tables + rest_tables).astype(np.float64)
    n = tables.sum(axis=(1, 2)).astype(np.float64)
    total = everything.sum(axis=(1, 2))
    shape = everything.shape[1:]
    cells = int(np.prod(shape))
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = everything.reshape(len(everything), cells) / total[:, None]
        spread = cell_variance(shares, share_gradient(statistic, shares, shape))
        variance = spread * total**2 / (n * (total - n) * (total - 1))
        gap = statistic(tables.astype(np.float64)) - statistic(rest_tables.astype(np.float64))
    p = skew_corrected_t_p_value(gap, np.sqrt(variance), np.minimum(n, total - n) - 1)
    return np.where((n > 1) & (n < total - 1) & np.isfinite(gap), p, np.nan)


def sign_flip_p_value(
    statistic: Callable[[np.ndarray], np.ndarray], joint: np.ndarray
) -> np.ndarray:
    """Paired test that two models' metric of the same rows is equal: the McNemar idea, linearized.

    ``joint`` (shape (G, K, K, K)) counts rows by (true class, prediction of a,
    prediction of b). Under the null the two predictions of each row are
    exchangeable; swapping them at random flips the sign of the row's
    contribution to the difference, and the variance of the linearized
    difference under those swaps comes from the rows the models disagree on
    alone. For accuracy this is McNemar's z. The gradient is taken on the
    average of the two models' tables, where the null puts both.
    """
    k = joint.shape[-1]
    table_a = joint.sum(axis=-1).astype(np.float64)
    table_b = joint.sum(axis=-2).astype(np.float64)
    n = table_a.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = ((table_a + table_b) / 2).reshape(len(joint), k * k) / n[:, None]
        gradient = (
            share_gradient(statistic, shares, (k, k)).reshape(len(joint), k, k) / n[:, None, None]
        )
        true, pa, pb = np.indices((k, k, k))
        change = gradient[:, true, pb] - gradient[:, true, pa]  # (G, K, K, K): one row's b - a
        variance = (joint * change**2).sum(axis=(1, 2, 3))
        difference = statistic(table_b) - statistic(table_a)
    p = z_test_p_value(difference, np.sqrt(variance))
    return np.where(n > 0, p, np.nan)


def cell_variance(shares: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``Var(weights[X])`` for one draw X of a cell with probabilities ``shares`` (last axis).

    The per-row variance of a linearized statistic of a count table: divide by
    the number of rows for its variance (the delta method, and the null
    variances of the permutation and sign-flip tests, all rest on it).

    Examples
    --------
    >>> import numpy as np
    >>> float(cell_variance(np.array([0.5, 0.5]), np.array([1.0, 0.0])))
    0.25
    """
    mean = (shares * weights).sum(axis=-1, keepdims=True)
    return (shares * (weights - mean) ** 2).sum(axis=-1)


def share_gradient(
    statistic: Callable[[np.ndarray], np.ndarray], shares: np.ndarray, shape: tuple[int, ...]
) -> np.ndarray:
    """Gradient of a statistic of cell shares at ``shares`` (G, cells), by central differences.

    Entries where the statistic is undefined are 0.
    """
    groups, cells = shares.shape
    step = 1e-6
    eye = np.eye(cells) * step
    up = (shares[:, None, :] + eye).reshape(groups * cells, *shape)
    down = (shares[:, None, :] - eye).reshape(groups * cells, *shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        gradient = (statistic(up) - statistic(down)).reshape(groups, cells) / (2 * step)
    return np.where(np.isfinite(gradient), gradient, 0.0)


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
