"""The breakdown table: metrics with intervals per (slice, model), slice vs rest tests.

Rows: first one ``overall`` row per model, then one row per slice and model.
Columns: ``slice``, ``model``, ``n``, ``share``; for each metric ``m`` the
columns ``m``, ``m_ci_low``, ``m_ci_high``; then ``gap`` (the first metric on
the slice minus on the rest of the rows), ``impact`` with ``impact_ci_low`` and ``impact_ci_high`` (how much
the first metric on all rows would change if the slice performed like the rest:
:mod:`mlprobe.core.metrics._impact`), ``excess_errors`` (the slice's wrong predictions
beyond the rest's error rate; classification), ``p_value`` (slice vs rest),
``q_value`` (Benjamini–Hochberg over the slices of the call, per model, so a
model's q-values do not depend on which other models are shown) and
``low_support`` (``n < min_support``), ``own_predictions`` (the slice's conditions
fix this model's own prediction, e.g. a confusion cell or "the rows it got wrong") and
``is_overall`` (the all-rows rows: read it, not the name, to tell them apart).
A low-support slice keeps its values and intervals but gets NaN ``p_value`` and
``q_value`` and is left out of the Benjamini–Hochberg family, so that its noise
cannot lower other slices' q-values. So does a slice defined by the model's own
predictions: its gap to the rest holds by construction (the rows a model got wrong
have a high error rate), so testing it would present a tautology as a finding.
Which test and interval each metric uses: ``docs/statistics.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlprobe.core.arguments import CONFIDENCE, MIN_SUPPORT
from mlprobe.core.counting._group_stats import GroupStats
from mlprobe.core.counting.grouping import Grouping
from mlprobe.core.intake.model_arrays import ModelArrays
from mlprobe.core.metrics import Metric, MetricValues
from mlprobe.core.slicing.predicates import PREDICTION, prediction_column
from mlprobe.core.slicing.slices import Slice
from mlprobe.core.statistics.significance import benjamini_hochberg
from mlprobe.errors import ValidationError

__all__ = [
    "OVERALL",
    "PRIORITY_COLUMNS",
    "BreakdownRequest",
    "breakdown_table",
    "metric_summary",
    "overall_rows",
    "priorities_table",
    "sufficient_counts",
]

#: Name of the row that holds all rows.
OVERALL = "overall"


@dataclass(frozen=True)
class BreakdownRequest:
    """What to compute: the slices, each model's grouping of rows into them, and how."""

    slices: Sequence[Slice]
    groupings: Mapping[str, Grouping]
    metrics: Sequence[Metric]
    confidence: float = CONFIDENCE
    min_support: int = MIN_SUPPORT


def _metric_columns(metric: Metric, values: MetricValues) -> dict[str, np.ndarray]:
    return {
        metric.name: values.value,
        f"{metric.name}_ci_low": values.low,
        f"{metric.name}_ci_high": values.high,
    }


def breakdown_table(request: BreakdownRequest, models: Mapping[str, ModelArrays]) -> pd.DataFrame:
    """Compute the breakdown of ``request`` for every model in ``models``."""
    confidence, min_support = request.confidence, request.min_support  # checked by the facade
    overall_parts = []
    slice_parts = []
    for name, arrays in models.items():
        overall, per_slice = _model_columns(request, name, arrays, confidence, min_support)
        overall_parts.append(overall)
        slice_parts.append(per_slice)
    columns = _assemble(overall_parts, slice_parts)
    columns["low_support"] = columns["n"] < min_support
    columns["own_predictions"] = columns.pop("own_predictions")  # last, after low_support
    # the overall rows are known by this flag, not by their name: a slice may be called 'overall'
    columns["is_overall"] = np.arange(len(columns["n"])) < len(models)
    frame = pd.DataFrame(columns, copy=False)
    frame.attrs["slices"] = {s.name: s for s in request.slices}
    frame.attrs["metrics"] = [m.name for m in request.metrics]
    frame.attrs["confidence"] = confidence
    frame.attrs["directions"] = {m.name: metric_direction(m) for m in request.metrics}
    return frame


def metric_direction(metric: Metric) -> dict[str, Any]:
    """Which way is better: ``{"higher_is_better": bool, "ideal": float or None}``.

    With an ``ideal`` (a bias, best at 0) the distance to it is what counts.
    """
    return {"higher_is_better": metric.higher_is_better, "ideal": metric.ideal}


def _model_columns(
    request: BreakdownRequest, name: str, arrays: ModelArrays, confidence: float, min_support: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The columns of one model: its overall row, and its row of each slice."""
    stats = GroupStats(request.groupings[name], arrays)
    overall = stats.overall()
    n_groups = stats.n_groups
    top: dict[str, np.ndarray] = {
        "slice": np.array([OVERALL], dtype=object),
        "model": np.array([name], dtype=object),
        "n": overall.sizes(),
    }
    body: dict[str, np.ndarray] = {
        "slice": np.array([s.name for s in request.slices], dtype=object),
        "model": np.full(n_groups, name, dtype=object),
        "n": stats.sizes(),
    }
    for columns in (top, body):
        columns["share"] = columns["n"] / arrays.n_rows
    first_values: MetricValues | None = None
    for metric in request.metrics:
        top.update(_metric_columns(metric, metric.compute(overall, confidence)))
        values = metric.compute(stats, confidence)
        body.update(_metric_columns(metric, values))
        first_values = first_values or values
    assert first_values is not None
    first = request.metrics[0]
    rest = first.compute(stats.rest(), confidence)
    body["gap"] = first_values.value - rest.value
    impact = first.impact(stats, confidence)
    body["impact"], body["impact_ci_low"], body["impact_ci_high"] = (
        impact.value,
        impact.low,
        impact.high,
    )
    body["excess_errors"] = excess_errors(stats)
    # below min_support, or defined by this model's own predictions, a slice is shown but not
    # tested: no p-value, and not in the BH family
    own = _own_predictions(request.slices, name)
    tested = (body["n"] >= min_support) & ~own
    body["p_value"] = np.where(tested, first.p_value_vs(first_values, rest), np.nan)
    body["q_value"] = benjamini_hochberg(body["p_value"])
    for key in IMPACT_COLUMNS:
        top[key] = np.full(1, np.nan)
    body["own_predictions"], top["own_predictions"] = own, np.zeros(1, dtype=bool)
    return top, body


#: the columns a slice has and the overall row has not (NaN there)
IMPACT_COLUMNS = (
    "gap",
    "impact",
    "impact_ci_low",
    "impact_ci_high",
    "excess_errors",
    "p_value",
    "q_value",
)


def excess_errors(stats: GroupStats) -> np.ndarray:
    """Per slice, its wrong predictions beyond what the rest's error rate would make of its
    rows: ``errors - n * rest error rate`` (classification; NaN for regression)."""
    if stats.arrays.task == "regression":
        return np.full(stats.n_groups, np.nan)
    tables, rest = stats.tables(), stats.rest().tables()

    def errors(t: np.ndarray) -> np.ndarray:
        return t.sum(axis=(-2, -1)) - np.diagonal(t, axis1=-2, axis2=-1).sum(axis=-1)

    rest_n = rest.sum(axis=(-2, -1)).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(rest_n > 0, errors(rest) / rest_n, np.nan)
    return errors(tables) - tables.sum(axis=(-2, -1)) * rate


def overall_rows(frame: pd.DataFrame) -> np.ndarray:
    """One bool per row of a breakdown or comparison: is it an all-rows row?

    Read from the ``is_overall`` column, so a slice named ``overall`` is a slice
    like any other; a frame without the column (built by hand) falls back to the
    name.

    Examples
    --------
    >>> overall_rows(pd.DataFrame({"slice": ["overall", "overall"], "is_overall": [True, False]}))
    array([ True, False])
    """
    if "is_overall" in frame:
        return frame["is_overall"].to_numpy(dtype=bool)
    return (frame["slice"].astype(str) == OVERALL).to_numpy()


def _own_predictions(slices: Sequence[Slice], model: str) -> np.ndarray:
    """Per slice: whether its conditions name ``model``'s own prediction (``@prediction``,
    each model's own, or ``@prediction[model]``)."""
    own = {PREDICTION, prediction_column(model)}
    return np.array([bool(own & set(s.columns())) for s in slices], dtype=bool)


def _assemble(
    overall_parts: list[dict[str, np.ndarray]], slice_parts: list[dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """Overall rows (one per model) first, then slice-major rows (each slice, each model)."""
    columns = {}
    for key in slice_parts[0]:
        top = [part[key] for part in overall_parts]
        body = np.stack([part[key] for part in slice_parts], axis=1).ravel()
        columns[key] = np.concatenate([*top, body])
    return columns


def metric_summary(
    metric: Metric, stats: GroupStats, confidence: float, *, counts: bool = False
) -> dict[str, Any]:
    """One metric on the first (only) group of ``stats``: ``{"value", "ci_low", "ci_high", "n"}``.

    With ``counts=True`` also ``"counts"``: the sufficient counts behind the value, JSON-ready
    (:func:`sufficient_counts`), or None for a metric that has none.
    """
    values = metric.compute(stats, confidence)
    summary: dict[str, Any] = {
        "value": float(values.value[0]),
        "ci_low": float(values.low[0]),
        "ci_high": float(values.high[0]),
        "n": int(stats.sizes()[0]),
    }
    if counts:
        summary["counts"] = sufficient_counts(values)
    return summary


def _plain_number(value: float) -> int | float | None:
    """A count as an int when it is whole, else a float; None for NaN or infinity."""
    number = float(value)
    if not np.isfinite(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def sufficient_counts(values: MetricValues, group: int = 0) -> dict[str, Any] | None:
    """The counts a metric's value of one group comes from, as plain JSON-ready data.

    ``{"successes": s, "trials": t}`` for a share of rows (accuracy, recall...),
    ``{"table": [[...], ...]}`` (the K x K confusion counts, true class by row) for a metric
    of the confusion table (F1, balanced accuracy...), ``{"power_sums": [n, s1, s2, s3, s4]}``
    (sums of the row quantity's first four powers) for a mean over rows (MAE, MSE, log loss);
    None for a metric with no such counts (AUC, R²). A metric with several kinds gives them all.

    Examples
    --------
    >>> import numpy as np
    >>> from mlprobe.core.metrics import MetricValues
    >>> one = np.array([0.5])
    >>> sufficient_counts(MetricValues(one, one, one, one, np.array([3.0]), np.array([6.0])))
    {'successes': 3, 'trials': 6}
    """
    out: dict[str, Any] = {}
    if values.successes is not None and values.trials is not None:
        out["successes"] = _plain_number(values.successes[group])
        out["trials"] = _plain_number(values.trials[group])
    if values.tables is not None:
        table = np.asarray(values.tables[group], dtype=np.float64)
        out["table"] = [[_plain_number(cell) for cell in row] for row in table]
    if values.moments is not None:
        sums = values.moments
        out["power_sums"] = [
            _plain_number(part[group]) for part in (sums.n, sums.s1, sums.s2, sums.s3, sums.s4)
        ]
    return out or None


#: the columns of a priorities table
PRIORITY_COLUMNS = [
    "slice",
    "model",
    "n",
    "share",
    "metric",
    "value",
    "gap",
    "impact",
    "impact_ci_low",
    "impact_ci_high",
    "benefit",
    "benefit_ci_low",
    "benefit_ci_high",
    "excess_errors",
    "q_value",
    "low_support",
]


def priorities_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The slices of a breakdown, the one whose fix buys the most of its first metric first.

    ``benefit`` is the impact turned the metric's better way (``impact`` for higher-is-better
    metrics, ``-impact`` for losses; for a metric with an ideal value, how much closer to it
    the overall value gets), with its interval; slices without a known impact come last.
    """
    metric = frame.attrs["metrics"][0]
    direction = frame.attrs["directions"][metric]
    if direction["ideal"] is None and direction["higher_is_better"] is None:
        raise ValidationError(
            f"metric: {metric} has no better direction, so fixing a slice buys nothing on it "
            "(no value is better than another). Rank by a metric with one (e.g. recall or "
            "fpr), read its impact in a breakdown, or compare groups with disparity()."
        )
    is_overall = overall_rows(frame)
    rows = frame[~is_overall]
    overall = frame[is_overall].set_index("model")[metric]
    now = rows["model"].map(overall).to_numpy(dtype=np.float64)
    ends = [
        rows[c].to_numpy(dtype=np.float64) for c in ("impact", "impact_ci_low", "impact_ci_high")
    ]
    if direction["ideal"] is not None:
        ideal = float(direction["ideal"])
        gains = [np.abs(now - ideal) - np.abs(now + end - ideal) for end in ends]
        # the closest the interval gets to the ideal is the best benefit within it
        crosses = (now + ends[1] - ideal) * (now + ends[2] - ideal) <= 0
        best = np.where(crosses, np.abs(now - ideal), np.maximum(gains[1], gains[2]))
        benefit, low, high = gains[0], np.minimum(gains[1], gains[2]), best
    else:
        sign = 1.0 if direction["higher_is_better"] else -1.0
        benefit = sign * ends[0]
        low, high = np.sort(np.stack([sign * ends[1], sign * ends[2]]), axis=0)
    out = pd.DataFrame(
        {
            "slice": rows["slice"].to_numpy(),
            "model": rows["model"].to_numpy(),
            "n": rows["n"].to_numpy(),
            "share": rows["share"].to_numpy(),
            "metric": metric,
            "value": rows[metric].to_numpy(),
            "gap": rows["gap"].to_numpy(),
            "impact": ends[0],
            "impact_ci_low": ends[1],
            "impact_ci_high": ends[2],
            "benefit": benefit,
            "benefit_ci_low": low,
            "benefit_ci_high": high,
            "excess_errors": rows["excess_errors"].to_numpy(),
            "q_value": rows["q_value"].to_numpy(),
            "low_support": rows["low_support"].to_numpy(),
        },
        columns=PRIORITY_COLUMNS,
    )
    order = np.lexsort((np.arange(len(out)), -np.nan_to_num(benefit, nan=-np.inf)))
    out = out.iloc[order].reset_index(drop=True)
    out.attrs.update(frame.attrs)
    return out
