"""Two models on the same rows: per-slice deltas, paired tests, verdicts, and flips.

Pairing matters: both models saw the same rows, so their errors are
correlated and an unpaired test would miss real changes.

- Count metrics are compared on the joint table (true class x prediction of a
  x prediction of b). Accuracy, error rate and recall of a class use the exact
  conditional McNemar test on the rows that flipped (for recall, the rows of
  the class); other table metrics the sign-flip test
  (:func:`mlprobe.core.statistics.significance.sign_flip_p_value`), whose variance comes
  from the rows the models disagree on. The delta's interval is the delta
  method on the joint table, never narrower than one row flipping.
- Means of per-row losses use the per-row differences: a paired t interval
  and test corrected for skewness.
- Other metrics (ROC AUC, RMSE, R2, custom row metrics) fall back to an
  unpaired normal test on their standard errors, which is conservative when
  the models' errors are correlated.

Slices below ``min_support`` get the verdict "too few rows", no p- or q-value,
and stay out of the Benjamini–Hochberg family, which holds the overall row
and every other slice.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from mlprobe.core.counting._group_stats import GroupStats
from mlprobe.core.counting._row_terms import RowTerm
from mlprobe.core.counting.grouping import Grouping
from mlprobe.core.intake.model_arrays import ModelArrays
from mlprobe.core.metrics import Metric
from mlprobe.core.metrics._base import ProportionMetric, RowMeanMetric
from mlprobe.core.metrics._impact import CHUNK_CELLS, DRAWS, PRIOR
from mlprobe.core.metrics.classification import Accuracy, ErrorRate, Recall, TableMetric
from mlprobe.core.slicing.slices import Slice
from mlprobe.core.statistics._moments import PowerSums
from mlprobe.core.statistics.intervals import implied_standard_error, mean_interval, normal_interval
from mlprobe.core.statistics.significance import (
    benjamini_hochberg,
    cell_variance,
    mcnemar_p_value,
    share_gradient,
    sign_flip_p_value,
    skew_corrected_t_p_value,
    z_test_p_value,
)

__all__ = ["VERDICTS", "compare_table", "flips_from_joint", "flips_table"]

VERDICTS = ("improved", "regressed", "no detectable change", "too few rows", "higher", "lower")


def _on_tables(metric: Metric, tables: np.ndarray) -> np.ndarray:
    if isinstance(metric, ProportionMetric):
        successes, trials = metric.parts(tables)
        with np.errstate(invalid="ignore", divide="ignore"):
            return successes / trials
    assert isinstance(metric, TableMetric)
    return metric.statistic(tables)


def _joint_tables(a: ModelArrays, b: ModelArrays, stats: GroupStats) -> np.ndarray:
    """Counts per group of (true, prediction of a, prediction of b): shape (G, K, K, K)."""
    k = a.n_classes
    key = a.cells.astype(np.intp) * k + b.y_pred
    return stats.grouping.count(key, k**3).reshape(-1, k, k, k)


def _paired_counts(
    metric: Metric, a: ModelArrays, b: ModelArrays, stats: GroupStats, confidence: float
) -> tuple[np.ndarray, ...]:
    joint = _joint_tables(a, b, stats).astype(np.float64)
    k = a.n_classes
    table_a, table_b = joint.sum(axis=-1), joint.sum(axis=-2)
    value_a, value_b = _on_tables(metric, table_a), _on_tables(metric, table_b)

    def statistic(tables: np.ndarray) -> np.ndarray:
        return _on_tables(metric, tables)

    low, high = _paired_delta_interval(statistic, joint, value_b - value_a, confidence)
    true, pa, pb = np.indices((k, k, k))
    rows: np.ndarray | None = None
    if isinstance(metric, Accuracy | ErrorRate):
        rows = np.ones((k, k, k), dtype=bool)
    elif isinstance(metric, Recall):
        rows = true == metric.index
    if rows is not None:  # exact McNemar on the rows whose right/wrong decides the metric
        a_right = rows & (pa == true) & (pb != true)
        b_right = rows & (pb == true) & (pa != true)
        p_value = mcnemar_p_value(joint[:, a_right].sum(axis=1), joint[:, b_right].sum(axis=1))
    elif getattr(metric, "scale_free", True):
        p_value = sign_flip_p_value(statistic, joint)
    else:  # a user's function of raw counts: the interval's own normal test
        p_value = z_test_p_value(value_b - value_a, implied_standard_error(low, high, confidence))
    undefined = ~np.isfinite(value_a) | ~np.isfinite(value_b)
    return value_a, value_b, low, high, np.where(undefined, np.nan, p_value)


def _paired_delta_interval(
    statistic: Callable[[np.ndarray], np.ndarray],
    joint: np.ndarray,
    delta: np.ndarray,
    confidence: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Delta-method interval of ``statistic(b's table) - statistic(a's table)`` on the joint table.

    Each row's contribution is its change in b's metric minus its change in
    a's (gradients at each model's own table); the variance is theirs over the
    rows, plus that of one row flipping the most the metric allows, so that
    two models that agree on every row of a slice still get an interval.
    """
    n_groups, k = joint.shape[0], joint.shape[-1]
    n = joint.sum(axis=(1, 2, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        gradients = []
        for table in (joint.sum(axis=-1), joint.sum(axis=-2)):
            shares = table.reshape(n_groups, k * k) / n[:, None]
            gradients.append(share_gradient(statistic, shares, (k, k)).reshape(n_groups, k, k))
        true, pa, pb = np.indices((k, k, k))
        change = gradients[1][:, true, pb] - gradients[0][:, true, pa]  # (G, K, K, K)
        shares = (joint / n[:, None, None, None]).reshape(n_groups, k**3)
        variance = cell_variance(shares, change.reshape(n_groups, k**3)) / n
        one_flip = (np.abs(change).max(axis=(1, 2, 3)) / n) ** 2
        se = np.sqrt(np.maximum(variance, 0.0) + one_flip)
    return normal_interval(delta, se, confidence)


def _paired_rows(
    metric: RowMeanMetric, a: GroupStats, b: GroupStats, confidence: float
) -> tuple[np.ndarray, ...]:
    value_a = metric.compute(a, confidence).value
    value_b = metric.compute(b, confidence).value

    def difference() -> np.ndarray:
        return metric.rows(b) - metric.rows(a)

    n = a.sizes().astype(np.float64)
    versus = a.arrays.name
    sums = PowerSums(
        n,
        *(
            b.sum(RowTerm(metric.quantity, power, versus=versus), _powered(difference, power))
            for power in (1, 2, 3, 4)
        ),
    )
    mean, low, high, se = mean_interval(sums, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):  # empty slices
        skew_of_mean = sums.skewness() / np.sqrt(n)
    p_value = skew_corrected_t_p_value(mean, se, sums.degrees_of_freedom(), skew_of_mean)
    return value_a, value_b, low, high, np.where(n > 1, p_value, np.nan)


def _powered(values: Callable[[], np.ndarray], power: int) -> Callable[[], np.ndarray]:
    return lambda: values() ** power


def _unpaired(
    metric: Metric, a: GroupStats, b: GroupStats, confidence: float
) -> tuple[np.ndarray, ...]:
    values_a = metric.compute(a, confidence)
    values_b = metric.compute(b, confidence)
    se = np.hypot(values_a.standard_error, values_b.standard_error)
    delta = values_b.value - values_a.value
    low, high = normal_interval(delta, se, confidence)
    return values_a.value, values_b.value, low, high, z_test_p_value(delta, se)


def _compare_groups(
    metric: Metric, a: ModelArrays, b: ModelArrays, grouping: Grouping, confidence: float
) -> tuple[np.ndarray, ...]:
    stats_a, stats_b = GroupStats(grouping, a), GroupStats(grouping, b)
    if isinstance(metric, ProportionMetric | TableMetric):
        return (stats_a.sizes(), *_paired_counts(metric, a, b, stats_a, confidence))
    if isinstance(metric, RowMeanMetric):
        return (stats_a.sizes(), *_paired_rows(metric, stats_a, stats_b, confidence))
    return (stats_a.sizes(), *_unpaired(metric, stats_a, stats_b, confidence))


def compare_table(
    a: ModelArrays,
    b: ModelArrays,
    slices: Sequence[Slice],
    grouping: Grouping,
    metric: Metric,
    *,
    confidence: float,
    min_support: int,
) -> pd.DataFrame:
    """Per slice (``overall`` first): values under a and b, delta = b - a, test, verdict."""
    overall = GroupStats(grouping, a).overall().grouping
    parts = [
        _compare_groups(metric, a, b, overall, confidence),
        _compare_groups(metric, a, b, grouping, confidence),
    ]
    n, value_a, value_b, low, high, p_value = (np.concatenate(c) for c in zip(*parts, strict=True))
    delta = value_b - value_a
    p_value = np.where(n >= min_support, p_value, np.nan)  # too few rows: not tested
    # one family: the overall row and every slice with enough rows, so that on two
    # equally good models a verdict anywhere in the table is as rare as 1 - confidence
    q_value = benjamini_hochberg(p_value)
    if metric.ideal is not None:  # e.g. a bias: from +0.1 to -2 is worse, not better
        better = np.abs(value_b - metric.ideal) < np.abs(value_a - metric.ideal)
        changes = ("improved", "regressed")
    elif metric.higher_is_better is None:  # a selection rate: neither way is better
        better, changes = delta > 0, ("higher", "lower")
    else:
        better = delta > 0 if metric.higher_is_better else delta < 0
        changes = ("improved", "regressed")
    alpha = 1 - confidence
    verdict = np.where(
        n < min_support,
        "too few rows",
        np.where(q_value < alpha, np.where(better, *changes), "no detectable change"),
    )
    impact, impact_low, impact_high = _contributions(
        metric, n, delta, low, high, a, b, grouping, overall, confidence
    )
    frame = pd.DataFrame(
        {
            "slice": ["overall", *(s.name for s in slices)],
            "n": n,
            "metric": metric.name,
            "value_a": value_a,
            "value_b": value_b,
            "delta": delta,
            "delta_ci_low": low,
            "delta_ci_high": high,
            "impact": impact,
            "impact_ci_low": impact_low,
            "impact_ci_high": impact_high,
            "p_value": p_value,
            "q_value": q_value,
            "verdict": verdict,
            "is_overall": np.arange(len(n)) == 0,
        }
    )
    frame.attrs["models"] = (a.name, b.name)
    frame.attrs["slices"] = {s.name: s for s in slices}
    return frame


def _contributions(
    metric: Metric,
    n: np.ndarray,
    delta: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    a: ModelArrays,
    b: ModelArrays,
    grouping: Grouping,
    overall: Grouping,
    confidence: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per slice, how much of the change on all rows (b - a) comes from it: the change of b's
    overall value if b performed on the slice's rows as a does. Additive metrics: exactly
    ``share * delta``, with the delta's interval scaled alike (a partition's impacts add up to
    the overall delta). Ratios of confusion counts: recomputed from both models' tables, with
    an equal-tailed interval from Jeffreys-posterior draws of each true class's joint rates of
    (a's prediction, b's prediction), in the slice and in the rest. Other metrics: NaN. The
    overall row: NaN."""
    impact, impact_low, impact_high = (np.full(len(n), np.nan) for _ in range(3))
    if metric.additive:
        share = n[1:] / n[0]
        impact[1:], impact_low[1:], impact_high[1:] = (
            share * delta[1:],
            share * low[1:],
            share * high[1:],
        )
    elif isinstance(metric, ProportionMetric | TableMetric) and a.task != "regression":
        impact[1:], impact_low[1:], impact_high[1:] = _table_contributions(
            metric, a, b, grouping, overall, confidence
        )
    return impact, impact_low, impact_high


def _table_contributions(
    metric: ProportionMetric | TableMetric,
    a: ModelArrays,
    b: ModelArrays,
    grouping: Grouping,
    overall: Grouping,
    confidence: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """b's value on all rows minus its value were b to do on each slice as a does (from the
    joint (true, a, b) counts, which every backend gives), with its interval."""
    slices = _joint_tables(a, b, GroupStats(grouping, a)).astype(np.float64)
    everything = _joint_tables(a, b, GroupStats(overall, a)).astype(np.float64)[0]
    all_b = everything.sum(axis=-2)
    as_a = all_b[None] - slices.sum(axis=-2) + slices.sum(axis=-1)
    value = _on_tables(metric, all_b[None])[0] - _on_tables(metric, as_a)
    low, high = np.full(len(slices), np.nan), np.full(len(slices), np.nan)
    rng = np.random.default_rng(0)  # seeded: a slice gets the same interval in every call
    alpha = (1 - confidence) / 2
    k = slices.shape[-1]
    per_chunk = max(1, CHUNK_CELLS // (DRAWS * k**3))
    for start in range(0, len(slices), per_chunk):
        part = slice(start, start + per_chunk)
        draws = _contribution_draws(metric, slices[part], everything[None] - slices[part], rng)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN draws: NaN, said below
            low[part], high[part] = np.nanquantile(draws, [alpha, 1 - alpha], axis=0)
    known = np.isfinite(value)
    low = np.where(known, np.minimum(low, value), np.nan)
    high = np.where(known, np.maximum(high, value), np.nan)
    return value, low, high


def _contribution_draws(
    metric: ProportionMetric | TableMetric,
    slice_joint: np.ndarray,
    rest_joint: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draws of ``f(b's table on all rows) - f(b's table with the slice as a)``: each true
    class's joint rates of (a, b) predictions drawn from their Jeffreys (Dirichlet ½)
    posteriors, in the slice and in the rest, times the observed class totals. Shape
    (DRAWS, groups)."""

    def rates(joint: np.ndarray) -> np.ndarray:
        cells = joint.reshape(*joint.shape[:-2], -1)  # (groups, K, K*K): per true class
        gamma = rng.standard_gamma(np.broadcast_to(cells + PRIOR, (DRAWS, *cells.shape)))
        drawn = gamma / gamma.sum(axis=-1, keepdims=True)
        return drawn.reshape(DRAWS, *joint.shape)

    k = slice_joint.shape[-1]
    slice_rows = slice_joint.sum(axis=(-2, -1))[..., None, None]
    rest_rows = rest_joint.sum(axis=(-2, -1))[..., None, None]
    mine = slice_rows * rates(slice_joint)  # (DRAWS, groups, K, K, K)
    rest_b = (rest_rows * rates(rest_joint)).sum(axis=-2)
    all_b = mine.sum(axis=-2) + rest_b
    as_a = mine.sum(axis=-1) + rest_b
    with np.errstate(invalid="ignore", divide="ignore"):
        drawn = _on_tables(metric, all_b.reshape(-1, k, k)) - _on_tables(
            metric, as_a.reshape(-1, k, k)
        )
    return np.asarray(drawn).reshape(DRAWS, -1)


def flips_table(a: ModelArrays, b: ModelArrays, mask: np.ndarray | None) -> pd.DataFrame:
    """2 x 2 counts: rows right/wrong under ``a`` (index) by right/wrong under ``b`` (columns)."""
    right_a, right_b = a.correct, b.correct
    if mask is not None:
        right_a, right_b = right_a[mask], right_b[mask]
    code = (~right_a).astype(np.intp) * 2 + (~right_b)
    return _flips_frame(np.bincount(code, minlength=4).reshape(2, 2), a.name, b.name)


def flips_from_joint(joint: np.ndarray, a: str, b: str) -> pd.DataFrame:
    """The flips table from a (true, prediction of a, prediction of b) count table."""
    k = joint.shape[0]
    true, pa, pb = np.indices((k, k, k))
    wrong_a, wrong_b = (pa != true).astype(np.intp), (pb != true).astype(np.intp)
    counts = np.bincount((wrong_a * 2 + wrong_b).ravel(), weights=joint.ravel(), minlength=4)
    return _flips_frame(counts.astype(np.int64).reshape(2, 2), a, b)


def _flips_frame(counts: np.ndarray, a: str, b: str) -> pd.DataFrame:
    outcome = ["correct", "wrong"]
    return pd.DataFrame(counts, index=pd.Index(outcome, name=a), columns=pd.Index(outcome, name=b))
