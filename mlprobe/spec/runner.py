"""Run slice and group tests against a probe: honest outcomes, one test's error never stops the others.

A slice test judges one metric on one slice; a group test judges the difference
(or ratio) of a metric between the groups of a column, from
:meth:`mlprobe.Probe.disparity`. Outcomes:

- ``passed`` / ``failed``: the observed value meets / misses the threshold (with
  ``confidence`` set: the whole interval clears it / misses it);
- ``inconclusive``: too few rows (below ``min_support``), a metric undefined on
  the slice, an interval straddling the threshold, or (with ``confidence`` set)
  no interval to judge by (NaN, e.g. a class absent from the slice; a
  zero-width interval is never taken at its word); for a group test, fewer than
  two groups left to compare (the others too small or the metric undefined
  there), or an undefined difference or ratio;
- ``error``: the test cannot run on this data (a missing column, an unknown
  metric or model, no baseline to compare with...), with the reason.

The runner uses only the probe's public API (``metric``, ``disparity``, ``task``,
``classes``), so any object that offers it can be tested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from mlprobe.core.arguments import CONFIDENCE
from mlprobe.core.evaluator import Evaluator
from mlprobe.core.metrics import resolve_metric
from mlprobe.core.number_format import format_level, format_measure
from mlprobe.errors import MlprobeError
from mlprobe.spec.group_test import AnyTest, GroupTest
from mlprobe.spec.slice_test import SliceTest, float_or_nan

__all__ = ["OUTCOMES", "TestOutcome", "disparity_row", "run_test"]

Outcome = Literal["passed", "failed", "inconclusive", "error"]
Kind = Literal["slice", "group"]
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "inconclusive", "error")


@dataclass(frozen=True)
class TestOutcome:
    """What happened when one test ran.

    For a group test (``kind == "group"``): ``metric`` reads e.g. ``"fpr difference"``,
    ``observed`` and the interval are the difference (or ratio) between the groups,
    ``n`` the rows of the groups compared, and ``slice`` what was compared
    (``"by race"``).
    """

    __test__ = False  # not a pytest test class

    id: str
    outcome: Outcome
    metric: str
    observed: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    threshold: float = math.nan
    n: int | None = None
    reason: str = ""
    slice: str = ""
    description: str = ""
    model: str | None = None
    kind: Kind = "slice"
    #: the direction of ``observed``: True higher is better, False lower, None unknown (an
    #: error before the metric was resolved); a group test's difference is lower-better, its
    #: ratio higher-better
    higher_is_better: bool | None = None
    #: the best value, for a metric judged by its distance to it (a bias: 0); else None
    ideal: float | None = None
    #: the sufficient counts behind ``observed`` (JSON-ready; see
    #: :func:`mlprobe.core.analyses.breakdown.sufficient_counts`), when asked for and the
    #: metric has them
    counts: dict[str, Any] | None = field(default=None, compare=False)


_fmt = format_measure


def _threshold(
    test: SliceTest, probe: Evaluator, model: str | None, higher_is_better: bool | None
) -> float:
    kind, amount = test.expectation, test.threshold_value
    if kind in ("at_least", "at_most"):
        return amount
    if higher_is_better is None:
        raise MlprobeError(
            f"{test.metric} has no better direction, so no change of it is "
            f"{'a drop' if kind == 'max_drop_from_baseline' else 'on a worse side'}: {kind} "
            "cannot judge it. Give the test a bound instead (at_least or at_most)."
        )
    if kind == "max_gap_to_overall":
        reference = probe.metric(test.metric, None, model=model)["value"]
        what = "the overall value"
    else:
        if test.baseline is None or test.baseline.value is None:
            raise MlprobeError(
                "max_drop_from_baseline needs a recorded baseline, and this test has none. "
                "Record one with suite.with_baselines(probe).save(path)."
            )
        reference, what = test.baseline.value, "the baseline"
    if math.isnan(reference):
        raise MlprobeError(f"{what} of {test.metric} is undefined, so no threshold can be set.")
    return reference - amount if higher_is_better else reference + amount


def _wants_higher(test: SliceTest, higher_is_better: bool | None) -> bool:
    if test.expectation == "at_least":
        return True
    if test.expectation == "at_most":
        return False
    return bool(higher_is_better)  # None only reaches here with a bound (see _threshold)


def run_test(
    test: AnyTest, probe: Evaluator, *, model: str | None = None, counts: bool = False
) -> TestOutcome:
    """Run one test; every failure to run becomes an ``error`` outcome, never an exception.

    ``counts=True`` also asks the probe for the sufficient counts behind a slice test's value
    (``probe.metric(..., counts=True)``) and keeps them in the outcome, for the run store.
    """
    if isinstance(test, GroupTest):
        return _run_group_test(test, probe, test.model or model)
    model = test.model or model
    base = TestOutcome(
        id=test.id,
        outcome="error",
        metric=test.metric,
        slice=str(test.slice),
        description=test.description,
        model=model,
    )
    try:
        resolved = resolve_metric(
            test.metric,
            task=probe.task,
            classes=probe.classes,
            has_scores=True,
            positive=probe.positive,
        )
        direction = resolved.higher_is_better
        base = replace(
            base,
            higher_is_better=None if resolved.ideal is not None else direction,
            ideal=None if resolved.ideal is None else float(resolved.ideal),
        )
        confidence = test.confidence or CONFIDENCE
        if counts:
            result = probe.metric(
                test.metric, test.slice, model=model, confidence=confidence, counts=True
            )
        else:
            result = probe.metric(test.metric, test.slice, model=model, confidence=confidence)
        threshold = _threshold(test, probe, model, direction)
    except MlprobeError as error:
        return replace(base, reason=str(error))
    except Exception as error:  # a broken probe or model: reported, and the suite goes on
        return replace(base, reason=f"{type(error).__name__}: {error}")
    observed, low, high, n = result["value"], result["ci_low"], result["ci_high"], int(result["n"])
    base = replace(
        base,
        observed=observed,
        ci_low=low,
        ci_high=high,
        threshold=threshold,
        n=n,
        counts=result.get("counts") if counts else None,
    )
    higher = _wants_higher(test, direction)
    expected = f"expected {'at least' if higher else 'at most'} {_fmt(threshold)}"
    seen = f"{test.metric} = {_fmt(observed)} [{_fmt(low)}, {_fmt(high)}] on {n} rows"
    if n < test.min_support:
        return replace(
            base,
            outcome="inconclusive",
            reason=f"only {n} rows in the slice, fewer than min_support = {test.min_support}",
        )
    if math.isnan(observed):
        return replace(
            base,
            outcome="inconclusive",
            reason=f"{test.metric} is undefined on this slice ({n} rows: e.g. none of the class "
            "it needs)",
        )
    meets = observed >= threshold if higher else observed <= threshold
    if test.confidence is not None and (math.isnan(low) or math.isnan(high) or not low < high):
        return replace(
            base,
            outcome="inconclusive",
            reason=f"{seen}: no {format_level(test.confidence)} interval on this slice "
            f"({n} rows: e.g. a "
            "class of the model absent from it), so the threshold cannot be judged with confidence",
        )
    if test.confidence is not None:
        clears = low >= threshold if higher else high <= threshold
        misses = high < threshold if higher else low > threshold
        if not clears and not misses:
            return replace(
                base,
                outcome="inconclusive",
                reason=f"{seen}: the {format_level(test.confidence)} interval straddles the "
                f"threshold ({expected})",
            )
        meets = clears
    return replace(base, outcome="passed" if meets else "failed", reason=f"{seen}; {expected}")


# --- group tests ---------------------------------------------------------------------------


def disparity_row(
    test: GroupTest, probe: Evaluator, model: str | None, *, confidence: float
) -> dict[str, Any]:
    """The probe's disparity row for ``test`` on ``model``, plus ``n``: the rows compared.

    Raises :class:`~mlprobe.errors.MlprobeError` when it cannot be computed (an unknown
    column, metric or model) or the probe has several models and none is named.
    """
    table = probe.disparity(
        list(test.columns),
        test.metric,
        bins=list(test.bins) if isinstance(test.bins, tuple) else test.bins,
        model=model,
        confidence=confidence,
        min_support=test.min_support,
    )
    if len(table) != 1:
        raise MlprobeError(
            f"this probe has several models {list(table['model'])}; name one with 'model:' in "
            f"the test, or run the suite on one model (e.g. model={table['model'].iloc[0]!r})."
        )
    row: dict[str, Any] = {str(key): value for key, value in table.iloc[0].items()}
    records: list[dict[str, Any]] = table.attrs.get("groups", [])  # per-group records
    row["n"] = sum(
        int(r["n"]) for r in records if r.get("model") == row["model"] and not r.get("excluded")
    )
    return row


def _group(name: object) -> str:
    """A group's name, bracketed when it has several conditions (``[age < 30 and sex == 'M']``)."""
    text = str(name)
    return f"[{text}]" if " and " in text else text


def _run_group_test(test: GroupTest, probe: Evaluator, model: str | None) -> TestOutcome:
    statistic = test.statistic
    base = TestOutcome(
        id=test.id,
        outcome="error",
        metric=f"{test.metric} {statistic}",
        threshold=test.threshold_value,
        slice=test.groups_text,
        description=test.description,
        model=model,
        kind="group",
        higher_is_better=statistic == "ratio",  # a ratio is better high, a difference low
    )
    try:
        row = disparity_row(test, probe, model, confidence=test.confidence or CONFIDENCE)
    except MlprobeError as error:
        return replace(base, reason=str(error))
    except Exception as error:  # a broken probe or model: reported, and the suite goes on
        return replace(base, reason=f"{type(error).__name__}: {error}")
    observed = float_or_nan(row[statistic])
    low, high = float_or_nan(row[f"{statistic}_ci_low"]), float_or_nan(row[f"{statistic}_ci_high"])
    groups, n = int(row["groups"]), int(row["n"])
    threshold = test.threshold_value
    base = replace(
        base,
        model=model if model is not None else row["model"],
        observed=observed,
        ci_low=low,
        ci_high=high,
        n=n,
    )
    listed = row.get("excluded")
    excluded = [str(e) for e in listed] if listed is not None else []
    left_out = f"; excluded: {', '.join(excluded)}" if excluded else ""
    if groups < 2:
        return replace(
            base,
            outcome="inconclusive",
            reason=f"fewer than 2 groups {test.groups_text} to compare ({groups} left){left_out}",
        )
    higher = statistic == "ratio"  # a ratio must stay above its bound, a difference below
    expected = f"expected {'at least' if higher else 'at most'} {_fmt(threshold)}"
    component = str(row.get("component") or test.metric)
    shown_metric = test.metric if component == test.metric else f"{test.metric} ({component})"
    between = (
        f"between {_group(row['max_group'])} ({_fmt(float_or_nan(row['max_value']))}) and "
        f"{_group(row['min_group'])} ({_fmt(float_or_nan(row['min_value']))}) over {groups} groups"
    )
    seen = f"{shown_metric} {statistic} = {_fmt(observed)} [{_fmt(low)}, {_fmt(high)}] {between}"
    if math.isnan(observed):
        why = ""
        if statistic == "ratio":
            why = (
                " (every group's value is 0)"
                if float_or_nan(row["max_value"]) == 0
                else " (a ratio needs a metric that is never negative)"
            )
        return replace(
            base,
            outcome="inconclusive",
            reason=f"{shown_metric} {statistic} is undefined{why} {between}{left_out}",
        )
    meets = observed >= threshold if higher else observed <= threshold
    if test.confidence is not None:
        if math.isnan(low) or math.isnan(high):
            return replace(
                base,
                outcome="inconclusive",
                reason=f"no {format_level(test.confidence)} interval of the {statistic}, so the "
                f"threshold cannot be judged with confidence ({expected}): {seen}{left_out}",
            )
        clears = low >= threshold if higher else high <= threshold
        misses = high < threshold if higher else low > threshold
        if not clears and not misses:
            return replace(
                base,
                outcome="inconclusive",
                reason=f"the {format_level(test.confidence)} interval of the {statistic} "
                f"straddles the threshold ({expected}): {seen}{left_out}",
            )
        meets = clears
    return replace(
        base,
        outcome="passed" if meets else "failed",
        reason=f"{seen}; {expected}{left_out}",
    )
