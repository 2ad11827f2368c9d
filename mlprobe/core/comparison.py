"""Two models on the same rows: per-slice deltas, paired tests, verdicts, and flips.

Pairing matters: both models saw the same rows, so their errors are
correlated and an unpaired test would miss real changes. Count metrics are
compared on the joint table (true class x prediction of a x prediction of b),
resampled as a whole; accuracy and error rate use McNemar's exact test on the
rows that flipped. Means of per-row losses use the per-row differences. Other
metrics (ROC AUC, RMSE, R2, custom row metrics) fall back to an unpaired
normal test, which is conservative when the models' errors are correlated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mlprobe.core.group_stats import GroupStats
from mlprobe.core.grouping import Grouping
from mlprobe.core.intervals import DELTA_FROM, normal_interval, table_intervals
from mlprobe.core.metrics import Metric
from mlprobe.core.metrics._base import ProportionMetric, RowMeanMetric
from mlprobe.core.metrics.classification import Accuracy, ErrorRate, TableMetric
from mlprobe.core.model_arrays import ModelArrays
from mlprobe.core.row_terms import RowTerm
from mlprobe.core.significance import benjamini_hochberg, mcnemar_p_value, z_test_p_value
from mlprobe.core.slices import Slice

__all__ = ["VERDICTS", "compare_table", "flips_from_joint", "flips_table"]

VERDICTS = ("improved", "regressed", "no detectable change", "too few rows")


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
    joint = _joint_tables(a, b, stats)
    value_a = _on_tables(metric, joint.sum(axis=-1))
    value_b = _on_tables(metric, joint.sum(axis=-2))

    def delta(tables: np.ndarray) -> np.ndarray:
        return _on_tables(metric, tables.sum(axis=-2)) - _on_tables(metric, tables.sum(axis=-1))

    [(low, high, se)] = table_intervals(
        joint,
        [delta],
        confidence,
        bounds=[(-np.inf, np.inf)],
        delta_from=DELTA_FROM if getattr(metric, "scale_free", True) else np.iinfo(np.int64).max,
    )
    if isinstance(metric, Accuracy | ErrorRate):
        k = a.n_classes
        true, pa, pb = np.indices((k, k, k))
        a_right = (pa == true) & (pb != true)
        b_right = (pb == true) & (pa != true)
        p_value = mcnemar_p_value(joint[:, a_right].sum(axis=1), joint[:, b_right].sum(axis=1))
    else:
        p_value = z_test_p_value(value_b - value_a, se)
    return value_a, value_b, low, high, p_value


def _paired_rows(
    metric: RowMeanMetric, a: GroupStats, b: GroupStats, confidence: float
) -> tuple[np.ndarray, ...]:
    value_a = metric.compute(a, confidence).value
    value_b = metric.compute(b, confidence).value

    def difference() -> np.ndarray:
        return metric.rows(b) - metric.rows(a)

    n = a.sizes().astype(np.float64)
    versus = a.arrays.name
    total = b.sum(RowTerm(metric.quantity, versus=versus), difference)
    squares = b.sum(RowTerm(metric.quantity, 2, versus=versus), lambda: difference() ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        se = np.sqrt(np.maximum(squares - n * mean**2, 0.0) / (n - 1) / n)
    se = np.where(n > 1, se, np.nan)
    low, high = normal_interval(value_b - value_a, se, confidence)
    return value_a, value_b, low, high, z_test_p_value(value_b - value_a, se)


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
    q_value = np.full(len(n), np.nan)
    q_value[1:] = benjamini_hochberg(p_value[1:])
    q_value[0] = p_value[0]
    if metric.ideal is not None:  # e.g. a bias: from +0.1 to -2 is worse, not better
        better = np.abs(value_b - metric.ideal) < np.abs(value_a - metric.ideal)
    else:
        better = delta > 0 if metric.higher_is_better else delta < 0
    alpha = 1 - confidence
    verdict = np.where(
        n < min_support,
        "too few rows",
        np.where(
            q_value < alpha, np.where(better, "improved", "regressed"), "no detectable change"
        ),
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
            "p_value": p_value,
            "q_value": q_value,
            "verdict": verdict,
        }
    )
    frame.attrs["models"] = (a.name, b.name)
    frame.attrs["slices"] = {s.name: s for s in slices}
    return frame


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
