"""Run saved slice and group tests from plain Python tests, and word their outcomes for people.

:func:`assert_suite` runs a suite on a probe inside any test function and
fails with every failing test described; :func:`format_outcome` is the text
the pytest plugin and the command line show for one test.

Examples
--------
>>> import pandas as pd
>>> import mlprobe as mp
>>> df = pd.DataFrame({"g": ["a"] * 40 + ["b"] * 40, "y": [1, 0] * 40, "p": [1, 0] * 30 + [0] * 20})
>>> probe = mp.Probe(df, target="y", predictions="p")
>>> suite = mp.Suite("demo", [mp.SliceTest(id="b-accuracy", slice="g == 'b'", metric="accuracy",
...                                        at_least=0.9, description="b matters.")])
>>> assert_suite(suite, probe)
Traceback (most recent call last):
...
AssertionError: suite 'demo': 1 of 1 test did not pass (1 failed)
<BLANKLINE>
b-accuracy FAILED: accuracy = 0.75 [0.5981, 0.8581] on 40 rows; expected at least 0.9
  model:       model
  slice:       g == 'b'
  metric:      accuracy
  observed:    0.75, 95% interval [0.5981, 0.8581]
  threshold:   at least 0.9
  n:           40 rows (min_support 30)
  description: b matters.
"""

from __future__ import annotations

import math
import os
from typing import Any

from mlprobe.core.arguments import CONFIDENCE
from mlprobe.core.metrics import resolve_metric
from mlprobe.core.number_format import format_level, format_measure
from mlprobe.errors import MlprobeError
from mlprobe.spec import GroupTest, SliceTest, Suite, SuiteResult, TestOutcome
from mlprobe.terminal import escape

__all__ = ["assert_suite", "format_outcome", "threshold_text"]


def _fmt(value: float | None) -> str:
    return format_measure(value, missing="undefined")


def _higher_wanted(test: SliceTest, probe: Any) -> bool | None:
    """True when the metric must stay above the threshold; None when it cannot be told."""
    if test.expectation == "at_least":
        return True
    if test.expectation == "at_most":
        return False
    if probe is None:
        return None
    try:
        return resolve_metric(
            test.metric,
            task=probe.task,
            classes=probe.classes,
            has_scores=True,
            positive=probe.positive,
        ).higher_is_better
    except (MlprobeError, AttributeError):
        return None


def threshold_text(
    test: SliceTest | GroupTest, outcome: TestOutcome, probe: Any = None, *, short: bool = False
) -> str:
    """The threshold as a person reads it, e.g. ``"at least 0.78 (overall 0.83 - 0.05)"``.

    ``short`` gives the bound alone (``">= 0.78"``), for tables.

    Examples
    --------
    >>> import mlprobe as mp
    >>> t = mp.SliceTest(id="t", slice="a > 1", metric="accuracy", at_most=0.3)
    >>> o = mp.spec.TestOutcome("t", "failed", "accuracy", threshold=0.3)
    >>> threshold_text(t, o), threshold_text(t, o, short=True)
    ('at most 0.3', '<= 0.3')
    >>> g = mp.GroupTest(id="g", by="race", metric="fpr", min_ratio=0.8)
    >>> threshold_text(g, o), threshold_text(g, o, short=True)
    ('ratio at least 0.8', '>= 0.8')
    """
    if isinstance(test, GroupTest):
        above = test.expectation == "min_ratio"  # a ratio stays above its bound
        if short:
            return f"{'>=' if above else '<='} {_fmt(test.threshold_value)}"
        wanted = "at least" if above else "at most"
        return f"{test.statistic} {wanted} {_fmt(test.threshold_value)}"
    higher = _higher_wanted(test, probe)
    bound = outcome.threshold
    if math.isnan(bound) and test.expectation in ("at_least", "at_most"):
        bound = test.threshold_value
    baseline = test.baseline
    if (
        math.isnan(bound)
        and higher is not None
        and test.expectation == "max_drop_from_baseline"
        and baseline is not None
        and baseline.value is not None
    ):
        bound = (
            baseline.value - test.threshold_value
            if higher
            else baseline.value + test.threshold_value
        )
    if higher is None or math.isnan(bound):
        return f"{test.expectation} {_fmt(test.threshold_value)}"
    if short:
        return f"{'>=' if higher else '<='} {_fmt(bound)}"
    text = f"{'at least' if higher else 'at most'} {_fmt(bound)}"
    if test.expectation in ("at_least", "at_most"):
        return text
    amount, sign = test.threshold_value, "-" if higher else "+"
    if test.expectation == "max_gap_to_overall":
        reference = bound + amount if higher else bound - amount
        return f"{text} (overall {_fmt(reference)} {sign} {_fmt(amount)})"
    assert baseline is not None and baseline.value is not None  # bound is set only then
    recorded = ", ".join(
        x
        for x in (
            f"model {baseline.model}" if baseline.model else "",
            f"recorded {baseline.recorded}" if baseline.recorded else "",
        )
        if x
    )
    where = f" [{recorded}]" if recorded else ""
    return f"{text} (baseline {_fmt(baseline.value)}{where} {sign} {_fmt(amount)})"


def format_outcome(
    outcome: TestOutcome,
    test: SliceTest | GroupTest | None = None,
    *,
    probe: Any = None,
    suite: str | None = None,
) -> str:
    """Several lines describing one test's outcome: slice, metric, observed vs threshold, n, why.

    A group test shows the columns compared (``groups: by race``) where a slice test
    shows its slice, its difference or ratio as the observed value, and the rows of
    the groups compared as ``n``.

    ``test`` (the declaration) adds the threshold's wording, the interval level
    and ``min_support``; ``probe`` lets the wording of gap and baseline
    thresholds say which side is good. Control characters from the suite file
    or the data (terminal escape sequences) are shown as visible ``\\xNN``.
    """
    model = outcome.model
    if model is None and probe is not None and len(getattr(probe, "models", ())) == 1:
        model = probe.models[0]
    headline = f"{outcome.id} {outcome.outcome.upper()}"
    headline = escape(headline, multiline=False)
    lines = [f"{headline}: {escape(outcome.reason)}" if outcome.reason else headline]

    def add(label: str, value: str, *, multiline: bool = False) -> None:
        lines.append(f"  {label + ':':<12} {escape(value, multiline=multiline)}")

    if suite:
        add("suite", suite)
    if model is not None:
        add("model", model)
    group = isinstance(test, GroupTest) or outcome.kind == "group"
    if isinstance(test, SliceTest) and test.slice.name != outcome.slice:
        add("slice", f"{outcome.slice}  (named {test.slice.name!r})")
    elif group:
        add("groups", outcome.slice)
    else:
        add("slice", outcome.slice)
    add("metric", outcome.metric)
    if outcome.n is not None:
        level = (test.confidence if test is not None else None) or CONFIDENCE
        interval = ""
        if not (math.isnan(outcome.ci_low) and math.isnan(outcome.ci_high)):
            bounds = f"[{_fmt(outcome.ci_low)}, {_fmt(outcome.ci_high)}]"
            interval = f", {format_level(level)} interval {bounds}"
        add("observed", _fmt(outcome.observed) + interval)
        if test is not None:
            add("threshold", threshold_text(test, outcome, probe))
        elif not math.isnan(outcome.threshold):
            add("threshold", _fmt(outcome.threshold))
        if group:
            support = f" (min_support {test.min_support} per group)" if test is not None else ""
            add("n", f"{outcome.n} rows in the groups compared{support}")
        else:
            support = f" (min_support {test.min_support})" if test is not None else ""
            add("n", f"{outcome.n} rows{support}")
    if outcome.description:
        add("description", outcome.description, multiline=True)
    return "\n".join(lines)


def _not_passing(outcome: TestOutcome, strict: bool) -> bool:
    return outcome.outcome in ("failed", "error") or (strict and outcome.outcome == "inconclusive")


def assert_suite(
    suite: Suite | str | os.PathLike[str],
    probe: Any,
    *,
    model: str | None = None,
    strict: bool = False,
) -> SuiteResult:
    """Run a suite on ``probe``; raise ``AssertionError`` describing every test that did not pass.

    Parameters
    ----------
    suite : Suite or path
        A suite, or the path of a suite file.
    probe : Probe
        The evaluation table and model outputs to test.
    model : str, optional
        The model of a several-model probe, for tests that name none.
    strict : bool
        Also fail on inconclusive tests (too few rows, an undefined metric, an
        interval straddling the threshold).

    Returns
    -------
    SuiteResult
        When every test passed (or was inconclusive, unless ``strict``).
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this one
    if not isinstance(suite, Suite):
        suite = Suite.load(suite)
    result = suite.run(probe, model=model)
    bad = [o for o in result.items if _not_passing(o, strict)]
    if not bad:
        return result
    declared = {t.id: t for t in suite.tests}
    counts: dict[str, int] = {}
    for o in bad:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    tally = ", ".join(f"{v} {k}" for k, v in counts.items())
    total = len(result.items)
    head = (
        f"suite {escape(repr(suite.name))}: {len(bad)} of {total} test{'' if total == 1 else 's'} "
        f"did not pass ({tally})"
    )
    blocks = [format_outcome(o, declared.get(o.id), probe=probe) for o in bad]
    raise AssertionError("\n\n".join([head, *blocks]))
