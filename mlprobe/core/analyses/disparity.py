"""Disparity: the largest gap in a metric between the groups of a column, with intervals.

One row per model: the groups compared (``component``: the metric whose groups are
named, for a summary of two), the worst and best group, ``difference``
(largest value minus smallest) and ``ratio`` (smallest over largest), each with an
interval, and ``p_value`` (a test that the groups differ at all). Groups under
``min_support`` rows, or where the metric is undefined (an FPR of a group without
negatives), are listed in ``excluded`` and left out of every number.

Named summaries: ``demographic_parity`` (the difference in selection rate) and
``equalized_odds`` (the larger of the differences in true and false positive rate;
its ratio the smaller of the two ratios), as fairlearn defines them.

**Intervals.** The groups' intervals are made simultaneous (Šidák: each at level
``confidence ** (1 / m)`` for ``m`` intervals), so that all hold together with
probability at least ``confidence``; when they do, the true largest and smallest values
lie within ``[max low, max high]`` and ``[min low, min high]``, hence

- difference in ``[max(0, max low - min high), max high - min low]``,
- ratio in ``[min low / max high, min(1, min high / max low)]``.

This holds at every group size and however many groups tie, where the interval of
the two observed extremes alone would not (picking the extremes inflates their gap:
with five equal groups the observed difference is never 0). The price is width: the
interval covers more often than ``confidence`` (the simulation table in
``docs/statistics.md``).

**Test.** For a share of rows (selection rate, FPR, recall, ...), the chi-square
test of homogeneity of the groups' successes and trials, made exact by a seeded
Monte Carlo over the tables with the same margins when an expected count is below 5.
For other metrics (F1, balanced accuracy, AUC, MAE, ...), each compared group is
tested against all other rows with the metric's own slice-vs-rest test (the one
``breakdown`` uses, calibrated at small sizes) and the smallest p-value is
Bonferroni-corrected: valid under any dependence between the tests, if conservative.
(Cochran's Q on the groups' own standard errors rejected alike groups of 30 rows
14-17% of the time at 5%: a small group's standard error moves with its value.)
``equalized_odds``: Bonferroni over its two tests.

Examples
--------
>>> import pandas as pd
>>> import mlprobe as mp
>>> df = pd.DataFrame({"g": ["a"] * 40 + ["b"] * 40,
...                    "y": [0, 1] * 40, "p": [0, 1] * 20 + [1, 1] * 20})
>>> row = mp.Probe(df, target="y", predictions="p").disparity("g", "fpr").iloc[0]
>>> row["min_group"], row["max_group"], float(row["difference"])
("g == 'a'", "g == 'b'", 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlprobe.core.arguments import CONFIDENCE, MIN_SUPPORT
from mlprobe.core.counting._group_stats import GroupStats
from mlprobe.core.counting.grouping import Grouping
from mlprobe.core.intake.model_arrays import ModelArrays
from mlprobe.core.metrics import Metric, MetricValues
from mlprobe.core.slicing.slices import Slice

__all__ = [
    "DISPARITY_COLUMNS",
    "SUMMARIES",
    "DisparityRequest",
    "disparity_table",
    "homogeneity_p_value",
    "stack_disparities",
]

#: named summaries: the metrics whose disparities they combine (binary tasks)
SUMMARIES: dict[str, tuple[str, ...]] = {
    "demographic_parity": ("selection_rate",),
    "equalized_odds": ("tpr", "fpr"),
}

DISPARITY_COLUMNS = [
    "model",
    "metric",
    "component",
    "groups",
    "min_group",
    "min_value",
    "max_group",
    "max_value",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "ratio",
    "ratio_ci_low",
    "ratio_ci_high",
    "p_value",
    "excluded",
]

#: Monte Carlo tables for the exact test of homogeneity (seeded: same answer every call)
EXACT_DRAWS = 19_999
#: below this expected count in a cell, the chi-square approximation is not trusted
EXACT_BELOW = 5.0
_SEED = 20_261_204


@dataclass(frozen=True)
class DisparityRequest:
    """The groups (one partition), each model's grouping of rows into them, and the metrics.

    ``metrics`` holds one metric, or the parts of a named summary (``label``).
    """

    label: str
    slices: Sequence[Slice]
    groupings: Mapping[str, Grouping]
    metrics: Sequence[Metric]
    confidence: float = CONFIDENCE
    min_support: int = MIN_SUPPORT


@dataclass(frozen=True)
class _Spread:
    """One metric's extremes over the compared groups, with simultaneous bounds."""

    metric: Metric
    min_index: int
    max_index: int
    value: np.ndarray
    difference: tuple[float, float, float]
    ratio: tuple[float, float, float]
    p_value: float


def disparity_table(request: DisparityRequest, models: Mapping[str, ModelArrays]) -> pd.DataFrame:
    """One row per model: the disparity of ``request``'s metric over its groups."""
    rows, groups = [], []
    for name, arrays in models.items():
        row, per_group = _model_disparity(request, name, arrays)
        rows.append(row)
        groups.append(per_group)
    frame = pd.DataFrame(rows, columns=DISPARITY_COLUMNS)
    # records, not a frame: pandas compares attrs when frames are concatenated
    frame.attrs["groups"] = pd.concat(groups, ignore_index=True).to_dict("records")
    frame.attrs["metric"] = request.label
    frame.attrs["metrics"] = [m.name for m in request.metrics]
    frame.attrs["confidence"] = request.confidence
    frame.attrs["min_support"] = request.min_support
    frame.attrs["directions"] = {
        m.name: {"higher_is_better": m.higher_is_better, "ideal": m.ideal} for m in request.metrics
    }
    return frame


def stack_disparities(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Disparity tables of several metrics (same groups, models, level) as one table.

    Rows keep their order (metric by metric, model by model); ``attrs["metric"]`` lists
    the metrics, ``attrs["groups"]`` each group's record with its ``metric`` named. Each
    row is its own question: the p-values are not adjusted across metrics.

    Examples
    --------
    >>> a = pd.DataFrame({"metric": ["fpr"]}); a.attrs = {"metric": "fpr", "metrics": ["fpr"],
    ...     "groups": [{"group": "g == 1"}], "directions": {"fpr": {}}, "confidence": 0.95}
    >>> b = pd.DataFrame({"metric": ["fnr"]}); b.attrs = {"metric": "fnr", "metrics": ["fnr"],
    ...     "groups": [{"group": "g == 1"}], "directions": {"fnr": {}}, "confidence": 0.95}
    >>> both = stack_disparities([a, b])
    >>> both["metric"].tolist(), both.attrs["metric"], both.attrs["groups"][1]
    (['fpr', 'fnr'], ['fpr', 'fnr'], {'metric': 'fnr', 'group': 'g == 1'})
    """
    if len(tables) == 1:
        return tables[0]
    frame = pd.concat([pd.DataFrame(t) for t in tables], ignore_index=True)
    first = tables[0].attrs
    frame.attrs = {key: value for key, value in first.items()}
    frame.attrs["metric"] = [t.attrs["metric"] for t in tables]
    frame.attrs["metrics"] = list(dict.fromkeys(m for t in tables for m in t.attrs["metrics"]))
    frame.attrs["directions"] = {k: v for t in tables for k, v in t.attrs["directions"].items()}
    frame.attrs["groups"] = [
        {"metric": t.attrs["metric"], **record} for t in tables for record in t.attrs["groups"]
    ]
    return frame


def _model_disparity(
    request: DisparityRequest, name: str, arrays: ModelArrays
) -> tuple[dict[str, object], pd.DataFrame]:
    stats = GroupStats(request.groupings[name], arrays)
    sizes = stats.sizes()
    names = [s.name for s in request.slices]
    values = [m.compute(stats, request.confidence) for m in request.metrics]
    reasons = np.full(len(names), "", dtype=object)
    reasons[sizes < request.min_support] = f"fewer than {request.min_support} rows"
    for metric, computed in zip(request.metrics, values, strict=True):
        undefined = ~np.isfinite(computed.value) & (reasons == "")
        reasons[undefined] = f"{metric.name} undefined"
    compared = np.flatnonzero(reasons == "")
    per_group = pd.DataFrame({"model": name, "group": names, "n": sizes})
    for metric, computed in zip(request.metrics, values, strict=True):
        per_group[metric.name] = computed.value
        per_group[f"{metric.name}_ci_low"] = computed.low
        per_group[f"{metric.name}_ci_high"] = computed.high
    per_group["excluded"] = reasons
    excluded = [f"{g} ({why})" for g, why in zip(names, reasons, strict=True) if why]
    row: dict[str, object] = {
        "model": name,
        "metric": request.label,
        "component": request.metrics[0].name,
        "groups": len(compared),
        "excluded": excluded,
    }
    if len(compared) < 2:
        row.update({key: np.nan for key in DISPARITY_COLUMNS if key not in row})
        row["min_group"] = row["max_group"] = None
        return row, per_group
    # Šidák: every compared group's interval of every metric holds at once
    simultaneous = request.confidence ** (1 / (len(compared) * len(request.metrics)))
    spreads = [
        _spread(
            metric,
            computed,
            metric.compute(stats, simultaneous),
            compared,
            _homogeneity(metric, computed, stats, compared, request.confidence),
        )
        for metric, computed in zip(request.metrics, values, strict=True)
    ]
    widest = max(spreads, key=lambda s: s.difference[0])
    row.update(
        {
            "component": widest.metric.name,
            "min_group": names[widest.min_index],
            "min_value": float(widest.value[widest.min_index]),
            "max_group": names[widest.max_index],
            "max_value": float(widest.value[widest.max_index]),
        }
    )
    # equalized odds: the larger difference (bounds too), the smaller ratio (fairlearn's)
    for key, part, pick in (("difference", "difference", max), ("ratio", "ratio", min)):
        triples = [getattr(s, part) for s in spreads]
        row[key] = pick(t[0] for t in triples)
        row[f"{key}_ci_low"] = pick(t[1] for t in triples)
        row[f"{key}_ci_high"] = pick(t[2] for t in triples)
    p_values = [s.p_value for s in spreads]
    row["p_value"] = min(1.0, len(p_values) * min(p_values))
    return row, per_group


def _homogeneity(
    metric: Metric,
    values: MetricValues,
    stats: GroupStats,
    compared: np.ndarray,
    confidence: float,
) -> float:
    """p-value that the compared groups share one value of ``metric`` (see the module)."""
    if values.successes is not None and values.trials is not None:
        return homogeneity_p_value(values, compared)
    rest = metric.compute(stats.rest(), confidence)
    against_rest = np.asarray(metric.p_value_vs(values, rest), dtype=np.float64)[compared]
    if not np.isfinite(against_rest).any():
        return float("nan")
    return float(min(1.0, len(compared) * np.nanmin(against_rest)))


def _spread(
    metric: Metric,
    values: MetricValues,
    simultaneous: MetricValues,
    compared: np.ndarray,
    p_value: float,
) -> _Spread:
    value = values.value
    low = np.where(np.isfinite(simultaneous.low), simultaneous.low, metric.bounds[0])
    high = np.where(np.isfinite(simultaneous.high), simultaneous.high, metric.bounds[1])
    low, high = np.minimum(low, value), np.maximum(high, value)
    among = value[compared]
    min_index = int(compared[np.argmin(among)])
    max_index = int(compared[np.argmax(among)])
    if max_index == min_index and len(compared) > 1:  # every group alike: still name two
        max_index = int(compared[-1])
    low_c, high_c = low[compared], high[compared]
    difference = (
        float(value[max_index] - value[min_index]),
        float(max(0.0, low_c.max() - high_c.min())),
        float(high_c.max() - low_c.min()),
    )
    if metric.bounds[0] >= 0:  # a ratio of non-negative values
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = (
                float(value[min_index] / value[max_index]) if value[max_index] > 0 else np.nan,
                float(low_c.min() / high_c.max()) if high_c.max() > 0 else np.nan,
                float(min(1.0, high_c.min() / low_c.max())) if low_c.max() > 0 else 1.0,
            )
    else:
        ratio = (np.nan, np.nan, np.nan)
    return _Spread(
        metric,
        min_index,
        max_index,
        value,
        difference,
        ratio,
        p_value,
    )


def homogeneity_p_value(values: MetricValues, compared: np.ndarray) -> float:
    """p-value that the compared groups share one proportion (``values`` of a share of rows).

    The chi-square test of homogeneity, exact (seeded Monte Carlo over the tables with
    the observed margins) when an expected count is below :data:`EXACT_BELOW`.

    Examples
    --------
    >>> import numpy as np
    >>> from mlprobe.core.metrics import MetricValues
    >>> v = MetricValues(np.array([0.2, 0.5]), np.zeros(2), np.ones(2), np.ones(2),
    ...                  successes=np.array([20.0, 50.0]), trials=np.array([100.0, 100.0]))
    >>> float(homogeneity_p_value(v, np.array([0, 1]))) < 1e-4
    True
    """
    from scipy import stats as scipy_stats

    assert values.successes is not None and values.trials is not None
    dof = len(compared) - 1
    successes = values.successes[compared].astype(np.int64)
    trials = values.trials[compared].astype(np.int64)
    total = successes.sum()
    if total == 0 or total == trials.sum():
        return 1.0  # every group all-success or all-failure: no difference
    observed = _chi_square(successes[None, :], trials, int(total))[0]
    share = total / trials.sum()
    expected = np.concatenate([trials * share, trials * (1 - share)])
    if expected.min() >= EXACT_BELOW:
        return float(scipy_stats.chi2.sf(observed, dof))
    rng = np.random.default_rng(_SEED)
    drawn = rng.multivariate_hypergeometric(trials, int(total), size=EXACT_DRAWS)
    as_extreme = (_chi_square(drawn, trials, int(total)) >= observed - 1e-9).sum()
    return float((1 + as_extreme) / (1 + EXACT_DRAWS))


def _chi_square(successes: np.ndarray, trials: np.ndarray, total: int) -> np.ndarray:
    """Pearson's statistic of G x 2 tables (rows of ``successes``) with fixed margins."""
    share = total / trials.sum()
    expected_yes, expected_no = trials * share, trials * (1 - share)
    yes = (successes - expected_yes) ** 2 / expected_yes
    no = ((trials - successes) - expected_no) ** 2 / expected_no
    result: np.ndarray = (yes + no).sum(axis=-1)
    return result
