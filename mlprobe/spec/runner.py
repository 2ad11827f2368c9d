"""Run slice tests against a probe: honest outcomes, one test's error never stops the others.

Outcomes:

- ``passed`` / ``failed``: the observed value meets / misses the threshold (with
  ``confidence`` set: the whole interval clears it / misses it);
- ``inconclusive``: too few rows (below ``min_support``), a metric undefined on
  the slice, an interval straddling the threshold, or (with ``confidence`` set)
  no interval to judge by (NaN, e.g. a class absent from the slice; a
  zero-width interval is never taken at its word);
- ``error``: the test cannot run on this data (a missing column, an unknown
  metric or model, no baseline to compare with...), with the reason.

The runner uses only the probe's public API (``metric``, ``task``, ``classes``),
so any object that offers it can be tested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from mlprobe.core.arguments import CONFIDENCE
from mlprobe.core.evaluator import Evaluator
from mlprobe.core.metrics import resolve_metric
from mlprobe.errors import MlprobeError
from mlprobe.spec.slice_test import SliceTest

__all__ = ["OUTCOMES", "TestOutcome", "run_test"]

Outcome = Literal["passed", "failed", "inconclusive", "error"]
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "inconclusive", "error")


@dataclass(frozen=True)
class TestOutcome:
    """What happened when one test ran."""

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


def _fmt(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.4g}"


def _threshold(
    test: SliceTest, probe: Evaluator, model: str | None, higher_is_better: bool
) -> float:
    kind, amount = test.expectation, test.threshold_value
    if kind in ("at_least", "at_most"):
        return amount
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


def _wants_higher(test: SliceTest, higher_is_better: bool) -> bool:
    if test.expectation == "at_least":
        return True
    if test.expectation == "at_most":
        return False
    return higher_is_better


def run_test(test: SliceTest, probe: Evaluator, *, model: str | None = None) -> TestOutcome:
    """Run one test; every failure to run becomes an ``error`` outcome, never an exception."""
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
        direction = resolve_metric(
            test.metric, task=probe.task, classes=probe.classes, has_scores=True
        ).higher_is_better
        confidence = test.confidence or CONFIDENCE
        result = probe.metric(test.metric, test.slice, model=model, confidence=confidence)
        threshold = _threshold(test, probe, model, direction)
    except MlprobeError as error:
        return replace(base, reason=str(error))
    except Exception as error:  # a broken probe or model: reported, and the suite goes on
        return replace(base, reason=f"{type(error).__name__}: {error}")
    observed, low, high, n = result["value"], result["ci_low"], result["ci_high"], int(result["n"])
    base = replace(base, observed=observed, ci_low=low, ci_high=high, threshold=threshold, n=n)
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
            reason=f"{seen}: no {test.confidence:.0%} interval on this slice ({n} rows: e.g. a "
            "class of the model absent from it), so the threshold cannot be judged with confidence",
        )
    if test.confidence is not None:
        clears = low >= threshold if higher else high <= threshold
        misses = high < threshold if higher else low > threshold
        if not clears and not misses:
            return replace(
                base,
                outcome="inconclusive",
                reason=f"{seen}: the {test.confidence:.0%} interval straddles the threshold "
                f"({expected})",
            )
        meets = clears
    return replace(base, outcome="passed" if meets else "failed", reason=f"{seen}; {expected}")
