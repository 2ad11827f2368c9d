"""Intervals for metrics of confusion tables that are not a single ratio of counts.

Every interval here is an equal-tailed interval of a posterior under Jeffreys'
prior (1/2) on a proportion, so it never collapses to a point on an
all-correct or one-class table, and it is computed for all groups at once:

- **F1 of a class**: ``F1 = 2x / (1 + x)`` with ``x = TP / (TP + FP + FN)``; the
  Jeffreys interval of ``x`` is mapped through that increasing function.
- **Balanced accuracy**: Brodersen et al. (2010): each class's recall has a
  ``Beta(TP + 1/2, FN + 1/2)`` posterior, independent across classes (the
  class totals are fixed); the posterior of their mean is their convolution,
  computed on a grid.
- **Macro F1**: each class's F1 from its Beta posterior as above, convolved as
  if independent, then widened or narrowed about its center by the ratio of the
  delta-method variance of macro F1 to the sum of the per-class variances (the
  classes share errors: a false positive of one class is a false negative of
  another).

Balanced accuracy and macro F1 get a NaN interval where a class of the probe
has no true row in the group: the group's value then averages fewer classes
than the metric does on all rows, and no interval of it covers the latter.

Examples
--------
>>> import numpy as np
>>> low, high = f1_interval(np.array([[[3, 0], [0, 0]]]), 0, 0.95)   # 3 rows, all right
>>> round(float(low[0]), 3), float(high[0])
(0.634, 1.0)
>>> low, high = balanced_accuracy_interval(np.array([[[5, 0], [0, 5]]]), 0.95)
>>> round(float(low[0]), 3), float(high[0])
(0.724, 1.0)
"""

from __future__ import annotations

import numpy as np
from scipy import special

from mlprobe.core.statistics._table_values import balanced_accuracy, macro_f1
from mlprobe.core.statistics.significance import cell_variance

__all__ = [
    "JEFFREYS",
    "balanced_accuracy_interval",
    "f1_interval",
    "jeffreys_interval",
    "macro_f1_interval",
]

#: Jeffreys' prior: half a success and half a failure.
JEFFREYS = 0.5
#: grid cells on [0, 1] for one class's posterior when posteriors are convolved
GRID = 128
#: convolve on the grid when some class's posterior rests on fewer observations than this
#: (its Beta is then visibly skewed); above, a Beta with the mean's two moments is as good
GRID_BELOW = 40


def jeffreys_interval(
    successes: np.ndarray, failures: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed Jeffreys interval of ``successes / (successes + failures)``.

    As Brown, Cai & DasGupta (2001) advise, the low end is 0 with no success and
    the high end 1 with no failure. NaN with no trials.

    Examples
    --------
    >>> import numpy as np
    >>> low, high = jeffreys_interval(np.array([8.0]), np.array([2.0]), 0.95)
    >>> round(float(low[0]), 3), round(float(high[0]), 3)
    (0.497, 0.956)
    """
    s = np.asarray(successes, dtype=np.float64)
    f = np.asarray(failures, dtype=np.float64)
    tail = (1 - confidence) / 2
    low = special.betaincinv(s + JEFFREYS, f + JEFFREYS, tail)
    high = special.betaincinv(s + JEFFREYS, f + JEFFREYS, 1 - tail)
    low = np.where(s == 0, 0.0, low)
    high = np.where(f == 0, 1.0, high)
    trials = s + f
    return np.where(trials > 0, low, np.nan), np.where(trials > 0, high, np.nan)


def _f1_parts(tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per class: (TP, FP + FN), shape (G, K)."""
    tp = np.diagonal(tables, axis1=-2, axis2=-1).astype(np.float64)
    wrong = tables.sum(axis=-1) + tables.sum(axis=-2) - 2 * tp
    return tp, wrong


def _to_f1(x: np.ndarray) -> np.ndarray:
    return 2 * x / (1 + x)


def f1_interval(
    tables: np.ndarray, class_index: int, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Interval of one class's F1 per table (shape (G, K, K)); NaN where F1 is undefined."""
    tp, wrong = _f1_parts(tables)
    tp, wrong = tp[:, class_index], wrong[:, class_index]
    low, high = jeffreys_interval(tp, wrong, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = tp / (tp + wrong)
    return _to_f1(np.minimum(low, x)), _to_f1(np.maximum(high, x))


def balanced_accuracy_interval(
    tables: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior interval of balanced accuracy per table (Brodersen et al. 2010)."""
    tp = np.diagonal(tables, axis1=-2, axis2=-1).astype(np.float64)
    misses = tables.sum(axis=-1) - tp
    a, b = tp + JEFFREYS, misses + JEFFREYS
    mean = a / (a + b)
    variance = a * b / ((a + b) ** 2 * (a + b + 1))

    skewed = (a + b) < GRID_BELOW
    low, high = _mean_of_posteriors(
        mean, variance, (a, b, False), np.ones(len(tp)), skewed, confidence
    )
    return _holding(balanced_accuracy(tables), low, high, tables)


def macro_f1_interval(tables: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Posterior interval of macro F1 per table, corrected for the classes' shared errors."""
    tp, wrong = _f1_parts(tables)
    a, b = tp + JEFFREYS, wrong + JEFFREYS
    # moments of F1 = g(x), x ~ Beta(a, b), by the delta method about the posterior mean
    x = a / (a + b)
    slope = 2 / (1 + x) ** 2
    mean = _to_f1(x)
    variance = slope**2 * a * b / ((a + b) ** 2 * (a + b + 1))

    ratio = _shared_error_ratio(tables)
    skewed = (a + b) < GRID_BELOW
    low, high = _mean_of_posteriors(mean, variance, (a, b, True), ratio, skewed, confidence)
    return _holding(macro_f1(tables), low, high, tables)


def _holding(
    value: np.ndarray, low: np.ndarray, high: np.ndarray, tables: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The interval widened to hold the observed value; NaN where a class has no true row."""
    every_class = (tables.sum(axis=-1) > 0).all(axis=-1)
    known = every_class & np.isfinite(value)
    return (
        np.where(known, np.minimum(low, value), np.nan),
        np.where(known, np.maximum(high, value), np.nan),
    )


def _shared_error_ratio(tables: np.ndarray) -> np.ndarray:
    """Delta-method variance of macro F1 over the sum of its classes' own variances.

    Computed on the table with 1/(2K) added to each cell (so that it exists on
    all-correct tables); 1 where either variance is 0.
    """
    n_groups, k = tables.shape[0], tables.shape[-1]
    smoothed = tables.astype(np.float64) + JEFFREYS / k
    total = smoothed.sum(axis=(1, 2))
    shares = smoothed.reshape(n_groups, k * k) / total[:, None]
    tp = np.diagonal(smoothed, axis1=-2, axis2=-1) / total[:, None]
    actual = smoothed.sum(axis=-1) / total[:, None]
    predicted = smoothed.sum(axis=-2) / total[:, None]
    denominator = actual + predicted
    # gradient of F1_c = 2 TP_c / (actual_c + predicted_c) w.r.t. each cell share (i, j)
    d_tp = 2 / denominator  # on the diagonal cell (c, c)
    d_margin = -2 * tp / denominator**2  # per unit in row c or column c
    gradients = np.zeros((n_groups, k, k, k))  # (group, class, i, j)
    for c in range(k):
        gradients[:, c, c, :] += d_margin[:, c, None]
        gradients[:, c, :, c] += d_margin[:, c, None]
        gradients[:, c, c, c] += d_tp[:, c]
    flat_gradients = gradients.reshape(n_groups, k, k * k)

    joint = cell_variance(shares, flat_gradients.sum(axis=1))
    separate = cell_variance(shares[:, None, :], flat_gradients).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = joint / separate
    return np.where((separate > 0) & np.isfinite(ratio), ratio, 1.0)


#: Beta parameters (a, b) per group and class, and whether each value is ``2x / (1 + x)``
Posteriors = tuple[np.ndarray, np.ndarray, bool]


def _mean_of_posteriors(
    mean: np.ndarray,
    variance: np.ndarray,
    posteriors: Posteriors,
    variance_ratio: np.ndarray,
    skewed: np.ndarray,
    confidence: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Interval of the mean of K independent [0, 1] posteriors, per group.

    ``mean`` and ``variance`` (shape (G, K)) are each posterior's moments;
    ``posteriors`` their Beta parameters ``(a, b, as_f1)``: each class's value is
    ``x ~ Beta(a, b)``, or ``2x / (1 + x)`` with ``as_f1``.
    ``skewed`` (G, K) marks posteriors on few observations: a group with one
    is convolved on a grid (the skewed posteriors exactly, the others as
    normals); the others get a Beta with the mean's moments. The interval is
    then scaled about the mean's center by ``sqrt(variance_ratio)``.
    """
    k = mean.shape[1]
    center = mean.mean(axis=1)
    spread = variance.sum(axis=1) / k**2
    tail = (1 - confidence) / 2
    low, high = _beta_with_moments(center, spread, tail)
    wide = np.flatnonzero(skewed.any(axis=1))
    if len(wide):
        a, b, as_f1 = posteriors
        low[wide], high[wide] = _convolved_quantiles(
            (a[wide], b[wide], as_f1), mean[wide], variance[wide], skewed[wide], tail
        )
    scale = np.sqrt(variance_ratio)
    low = np.clip(center - scale * (center - low), 0.0, 1.0)
    high = np.clip(center + scale * (high - center), 0.0, 1.0)
    return low, high


def _beta_with_moments(
    mean: np.ndarray, variance: np.ndarray, tail: float
) -> tuple[np.ndarray, np.ndarray]:
    mean = np.clip(mean, 1e-12, 1 - 1e-12)
    variance = np.clip(variance, 1e-300, mean * (1 - mean) * (1 - 1e-9))
    size = mean * (1 - mean) / variance - 1
    a, b = mean * size, (1 - mean) * size
    return special.betaincinv(a, b, tail), special.betaincinv(a, b, 1 - tail)


def _beta_cell_masses(a: np.ndarray, b: np.ndarray, as_f1: bool) -> np.ndarray:
    """Mass of each grid cell on [0, 1] under ``Beta(a, b)`` (or its F1 image), shape (P, GRID).

    Inside, the density at the cell's center times its width (the midpoint
    rule: one exp per cell, where the distribution function would cost an
    incomplete beta function each); the two end cells, where a Beta with a
    parameter under 1 has an integrable pole, exactly.
    """
    edges = np.linspace(0.0, 1.0, GRID + 1)
    centers = (edges[:-1] + edges[1:]) / 2
    x, slope = (centers / (2 - centers), 2 / (2 - centers) ** 2) if as_f1 else (centers, 1.0)
    log_density = (
        (a[:, None] - 1) * np.log(x)
        + (b[:, None] - 1) * np.log1p(-x)
        - special.betaln(a, b)[:, None]
    )
    mass = np.exp(log_density) * slope / GRID
    inner = edges[[1, -2]]
    inner = inner / (2 - inner) if as_f1 else inner
    ends = special.betainc(a[:, None], b[:, None], inner)  # P(x <= first edge), P(x <= last)
    mass[:, 0], mass[:, -1] = ends[:, 0], 1 - ends[:, 1]
    return mass


def _convolved_quantiles(
    posteriors: Posteriors,
    mean: np.ndarray,
    variance: np.ndarray,
    exact: np.ndarray,
    tail: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles of the mean of K independent posteriors, by FFT convolution on a grid.

    ``exact`` (R, K) posteriors are their Betas; the others (many observations,
    near-normal, narrow) normals, which cost one distribution function per edge.
    """
    k = mean.shape[1]
    edges = np.linspace(0.0, 1.0, GRID + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(variance)[..., None]
        distribution = special.ndtr((edges - mean[..., None]) / sd)  # (R, K, GRID + 1)
    mass = np.diff(distribution, axis=-1)  # (R, K, GRID): mass per cell
    pairs = np.nonzero(exact)
    a, b, as_f1 = posteriors
    mass[pairs] = _beta_cell_masses(a[pairs], b[pairs], as_f1)
    mass = np.clip(mass, 0.0, None)
    mass /= np.maximum(mass.sum(axis=-1, keepdims=True), 1e-300)
    length = k * GRID
    spectrum = np.prod(np.fft.rfft(mass, n=length, axis=-1), axis=1)
    total = np.clip(np.fft.irfft(spectrum, n=length, axis=-1)[:, : k * (GRID - 1) + 1], 0.0, None)
    cumulative = np.cumsum(total, axis=-1)
    cumulative /= cumulative[:, -1:]
    # index s of the sum holds the cells' centers: (s + K/2) / GRID, i.e. a mean of (s + K/2) / (K GRID)
    centers = (np.arange(cumulative.shape[1]) + k / 2) / (k * GRID)

    def quantile(q: float) -> np.ndarray:
        above = np.minimum((cumulative < q).sum(axis=1), len(centers) - 1)  # first cdf >= q
        below = np.maximum(above - 1, 0)
        take = np.arange(len(cumulative))
        c_low, c_high = cumulative[take, below], cumulative[take, above]
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.where(c_high > c_low, (q - c_low) / (c_high - c_low), 1.0)
        return centers[below] + np.clip(step, 0.0, 1.0) * (centers[above] - centers[below])

    return quantile(tail), quantile(1 - tail)
