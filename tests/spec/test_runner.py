"""Tests of the runner and of Suite.with_baselines on real probes.

The frame of ``conftest.py`` has exact v1 accuracies: group a 0.9 (200 rows),
b 0.6 (100), c 0.5 (10), d 0.75 (40 rows, no positives); overall 275/350.
Model v2 is always right. Observed values are checked against
``probe.metric(...)`` directly, never against numbers copied from a run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import mlprobe as mp
from mlprobe import Baseline, Slice, SliceTest, Suite
from mlprobe.spec import TestOutcome, run_test

A, B, C, D = (Slice.parse(f"g == '{g}'") for g in "abcd")


def make(test_id: str = "t", slice: Slice | str = A, **fields: Any) -> SliceTest:
    fields.setdefault("metric", "accuracy")
    if not any(k in fields for k in mp.spec.EXPECTATIONS):
        fields["at_least"] = 0.5
    return SliceTest(id=test_id, slice=slice, **fields)


def run(test: SliceTest, probe: Any, model: str | None = "v1") -> TestOutcome:
    return run_test(test, probe, model=model)


def expected(probe: mp.Probe, test: SliceTest, model: str = "v1") -> dict[str, float]:
    return probe.metric(test.metric, test.slice, model=model, confidence=test.confidence or 0.95)


def assert_observed(
    outcome: TestOutcome, probe: mp.Probe, test: SliceTest, model: str = "v1"
) -> None:
    truth = expected(probe, test, model)
    assert outcome.observed == truth["value"]
    assert (outcome.ci_low, outcome.ci_high) == (truth["ci_low"], truth["ci_high"])
    assert outcome.n == truth["n"]


class WrappedProbe:
    """A probe-like object: the real probe's API, with ``metric`` replaceable."""

    def __init__(self, probe: mp.Probe, metric: Any = None) -> None:
        self._probe = probe
        self._metric = metric

    task = property(lambda self: self._probe.task)
    classes = property(lambda self: self._probe.classes)
    models = property(lambda self: self._probe.models)
    positive = property(lambda self: self._probe.positive)

    def metric(self, *args: Any, **kwargs: Any) -> dict[str, float]:
        if self._metric is None:
            return self._probe.metric(*args, **kwargs)
        result: dict[str, float] = self._metric(self._probe, *args, **kwargs)
        return result


# --- each expectation kind ------------------------------------------------------------


@pytest.mark.parametrize(("threshold", "outcome"), [(0.85, "passed"), (0.95, "failed")])
def test_at_least(probe: mp.Probe, threshold: float, outcome: str) -> None:
    test = make(at_least=threshold)
    result = run(test, probe)
    assert result.outcome == outcome
    assert result.threshold == threshold
    assert_observed(result, probe, test)
    assert f"expected at least {threshold}" in result.reason
    assert "accuracy = 0.9 [0.8506, 0.9343] on 200 rows" in result.reason


@pytest.mark.parametrize(("threshold", "outcome"), [(0.15, "passed"), (0.05, "failed")])
def test_at_most(probe: mp.Probe, threshold: float, outcome: str) -> None:
    test = make(metric="error_rate", at_most=threshold)
    result = run(test, probe)
    assert result.outcome == outcome
    assert result.threshold == threshold
    assert_observed(result, probe, test)
    assert f"expected at most {threshold}" in result.reason


def test_at_most_on_a_metric_where_higher_is_better(probe: mp.Probe) -> None:
    """at_most means at most, whatever the metric's direction."""
    assert run(make(at_most=0.95), probe).outcome == "passed"
    assert run(make(at_most=0.85), probe).outcome == "failed"


@pytest.mark.parametrize(
    ("metric", "slice", "gap", "outcome"),
    [
        ("accuracy", B, 0.1, "failed"),  # 0.6 < overall - 0.1
        ("accuracy", B, 0.2, "passed"),  # 0.6 >= overall - 0.2
        ("accuracy", A, 0.0, "passed"),  # better than overall
        ("error_rate", B, 0.1, "failed"),  # 0.4 > overall + 0.1
        ("error_rate", B, 0.2, "passed"),  # 0.4 <= overall + 0.2
        ("error_rate", A, 0.0, "passed"),  # lower error than overall
    ],
)
def test_max_gap_to_overall(
    probe: mp.Probe, metric: str, slice: Slice, gap: float, outcome: str
) -> None:
    test = make(slice=slice, metric=metric, max_gap_to_overall=gap)
    result = run(test, probe)
    overall = probe.metric(metric, None, model="v1")["value"]
    higher_is_better = metric == "accuracy"
    assert result.threshold == pytest.approx(overall - gap if higher_is_better else overall + gap)
    assert result.outcome == outcome
    assert_observed(result, probe, test)
    assert ("expected at least" if higher_is_better else "expected at most") in result.reason


def test_max_gap_uses_the_overall_value_of_the_model_run(probe: mp.Probe) -> None:
    test = make(slice=B, max_gap_to_overall=0.0)
    assert run(test, probe, model="v2").threshold == probe.metric("accuracy", model="v2")["value"]
    assert run(test, probe, model="v1").threshold == probe.metric("accuracy", model="v1")["value"]


@pytest.mark.parametrize(
    ("metric", "baseline", "drop", "outcome"),
    [
        ("accuracy", 0.95, 0.1, "passed"),  # 0.9 >= 0.95 - 0.1
        ("accuracy", 0.95, 0.02, "failed"),  # 0.9 < 0.95 - 0.02
        ("accuracy", 0.8, 0.0, "passed"),  # improved
        ("error_rate", 0.05, 0.1, "passed"),  # 0.1 <= 0.05 + 0.1
        ("error_rate", 0.05, 0.02, "failed"),  # 0.1 > 0.05 + 0.02
        ("error_rate", 0.2, 0.0, "passed"),  # improved
    ],
)
def test_max_drop_from_baseline(
    probe: mp.Probe, metric: str, baseline: float, drop: float, outcome: str
) -> None:
    test = make(
        metric=metric,
        max_drop_from_baseline=drop,
        baseline=Baseline(baseline, 200, "v0", "2026-01-01"),
    )
    result = run(test, probe)
    assert result.threshold == pytest.approx(
        baseline - drop if metric == "accuracy" else baseline + drop
    )
    assert result.outcome == outcome
    assert_observed(result, probe, test)


@pytest.mark.parametrize("baseline", [None, Baseline(None, 40, "v1", "2026-01-01")])
def test_max_drop_without_a_baseline_is_an_error(
    probe: mp.Probe, baseline: Baseline | None
) -> None:
    result = run(make(max_drop_from_baseline=0.1, baseline=baseline), probe)
    assert result.outcome == "error"
    assert "needs a recorded baseline" in result.reason
    assert "with_baselines" in result.reason


def test_undefined_overall_value_is_an_error(probe: mp.Probe) -> None:
    def metric(real: mp.Probe, name: str, slice: Any = None, **kwargs: Any) -> dict[str, float]:
        result = real.metric(name, slice, **kwargs)
        return {**result, "value": float("nan")} if slice is None else result

    result = run(make(max_gap_to_overall=0.1), WrappedProbe(probe, metric))
    assert result.outcome == "error"
    assert "the overall value of accuracy is undefined" in result.reason


# --- confidence -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "kind", "threshold", "outcome"),
    [
        ("accuracy", "at_least", 0.80, "passed"),  # interval [0.851, 0.934] clears 0.80
        ("accuracy", "at_least", 0.95, "failed"),  # misses entirely
        ("accuracy", "at_least", 0.89, "inconclusive"),  # straddles
        ("error_rate", "at_most", 0.20, "passed"),  # [0.066, 0.149] under 0.20
        ("error_rate", "at_most", 0.05, "failed"),
        ("error_rate", "at_most", 0.12, "inconclusive"),
    ],
)
def test_confidence(
    probe: mp.Probe, metric: str, kind: str, threshold: float, outcome: str
) -> None:
    test = make(metric=metric, confidence=0.95, **{kind: threshold})
    result = run(test, probe)
    assert result.outcome == outcome
    assert_observed(result, probe, test)
    if outcome == "inconclusive":
        assert "the 95% interval straddles the threshold" in result.reason
        # without confidence the point estimate decides
        assert run(make(metric=metric, **{kind: threshold}), probe).outcome == "passed"


def test_confidence_level_sets_the_interval(probe: mp.Probe) -> None:
    """A lower level narrows the interval until it clears the threshold."""
    wide = make(at_least=0.87, confidence=0.99)
    narrow = make(at_least=0.87, confidence=0.5)
    assert run(wide, probe).outcome == "inconclusive"
    assert run(narrow, probe).outcome == "passed"
    assert_observed(run(narrow, probe), probe, narrow)
    assert "the 99% interval straddles" in run(wide, probe).reason


def test_confidence_with_max_gap_to_overall(probe: mp.Probe) -> None:
    # b (0.6, interval [0.50, 0.69]) against overall 0.786 - gap
    assert run(make(slice=B, max_gap_to_overall=0.05, confidence=0.95), probe).outcome == "failed"
    assert (
        run(make(slice=B, max_gap_to_overall=0.2, confidence=0.95), probe).outcome == "inconclusive"
    )
    assert run(make(slice=B, max_gap_to_overall=0.3, confidence=0.95), probe).outcome == "passed"


def test_interval_is_reported_without_confidence_too(probe: mp.Probe) -> None:
    test = make(at_least=0.85)
    result = run(test, probe)
    truth = probe.metric("accuracy", A, model="v1", confidence=0.95)
    assert (result.ci_low, result.ci_high) == (truth["ci_low"], truth["ci_high"])


# --- inconclusive and error outcomes --------------------------------------------------


def test_too_few_rows_is_inconclusive_with_the_counts(probe: mp.Probe) -> None:
    result = run(make(slice=C, at_least=0.1), probe)
    assert result.outcome == "inconclusive"
    assert result.reason == "only 10 rows in the slice, fewer than min_support = 30"
    assert result.n == 10
    assert result.observed == probe.metric("accuracy", C, model="v1")["value"]
    lowered = run(make(slice=C, at_least=0.1, min_support=10), probe)
    assert lowered.outcome == "passed"
    assert run(make(min_support=500), probe).reason == (
        "only 200 rows in the slice, fewer than min_support = 500"
    )


def test_min_support_comes_before_the_interval(probe: mp.Probe) -> None:
    result = run(make(slice=C, at_least=0.99, confidence=0.95), probe)
    assert result.outcome == "inconclusive"
    assert "only 10 rows" in result.reason


def test_empty_slice_is_inconclusive(probe: mp.Probe) -> None:
    result = run(make(slice="g == 'a' and x < 0", min_support=0), probe)
    assert result.outcome == "inconclusive"
    assert result.n == 0
    assert "undefined" in result.reason


def test_undefined_metric_is_inconclusive(probe: mp.Probe) -> None:
    test = make(slice=D, metric="recall[1]", at_least=0.5)
    result = run(test, probe)
    assert result.outcome == "inconclusive"
    assert result.n == 40
    assert "recall[1] is undefined on this slice (40 rows" in result.reason
    assert probe.metric("recall[1]", D, model="v1")["n"] == 40


def test_missing_column_is_an_error_naming_it(frame: pd.DataFrame) -> None:
    """A column the new data lacks: the suite was written against other data."""
    new_data = mp.Probe(frame.drop(columns="x"), target="y", predictions="v1")
    result = run(make(slice="x >= 3"), new_data, model=None)
    assert result.outcome == "error"
    assert "slice column 'x' is not in the data" in result.reason
    assert (result.observed != result.observed) and result.n is None  # nothing measured


def test_misspelt_column_gets_a_suggestion(probe: mp.Probe) -> None:
    result = run(make(slice="gg == 'a'"), probe)
    assert result.outcome == "error"
    assert "'gg'" in result.reason and "Did you mean 'g'?" in result.reason


def test_unknown_metric_is_an_error(probe: mp.Probe) -> None:
    result = run(make(metric="acuracy"), probe)
    assert result.outcome == "error"
    assert "unknown metric 'acuracy'" in result.reason


def test_metric_the_task_lacks_is_an_error(probe: mp.Probe) -> None:
    result = run(make(metric="mae"), probe)
    assert result.outcome == "error"
    assert "'mae'" in result.reason


@pytest.mark.parametrize("where", ["test", "run"])
def test_unknown_model_is_an_error(probe: mp.Probe, where: str) -> None:
    test = make(model="v9") if where == "test" else make()
    result = run(test, probe, model="v1" if where == "test" else "v9")
    assert result.outcome == "error"
    assert "unknown model 'v9'" in result.reason
    assert result.model == "v9"


def test_several_models_without_a_model_is_an_error(probe: mp.Probe) -> None:
    result = run(make(), probe, model=None)
    assert result.outcome == "error"
    assert "several models" in result.reason and "v1" in result.reason


def test_single_model_needs_no_model(single_probe: mp.Probe) -> None:
    test = make(at_least=0.85)
    result = run(test, single_probe, model=None)
    assert result.outcome == "passed"
    assert result.observed == single_probe.metric("accuracy", A)["value"]


def test_the_test_model_overrides_the_run_model(probe: mp.Probe) -> None:
    test = make(slice=B, model="v2", at_least=0.9)
    result = run(test, probe, model="v1")
    assert result.model == "v2"
    assert result.outcome == "passed"
    assert_observed(result, probe, test, model="v2")
    assert run(make(slice=B, at_least=0.9), probe, model="v1").outcome == "failed"


def test_non_mlprobe_exception_becomes_an_error_outcome(probe: mp.Probe) -> None:
    def broken(real: mp.Probe, *args: Any, **kwargs: Any) -> dict[str, float]:
        raise RuntimeError("the model server is down")

    result = run(make(), WrappedProbe(probe, broken))
    assert result.outcome == "error"
    assert result.reason == "RuntimeError: the model server is down"


def test_an_object_without_the_probe_api_gives_errors_not_exceptions() -> None:
    result = run(make(), object())
    assert result.outcome == "error"
    assert result.reason.startswith("AttributeError")


def test_keyboard_interrupt_is_not_swallowed(probe: mp.Probe) -> None:
    def interrupted(real: mp.Probe, *args: Any, **kwargs: Any) -> dict[str, float]:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(make(), WrappedProbe(probe, interrupted))


def test_any_object_with_the_probe_api_can_be_tested(probe: mp.Probe) -> None:
    test = make(at_least=0.85)
    assert run(test, WrappedProbe(probe)) == run(test, probe)


def test_outcome_carries_the_test_details(probe: mp.Probe) -> None:
    test = make(
        "older-a",
        slice=Slice("group a", mp.col("g") == "a"),
        description="why it matters",
        at_least=0.85,
    )
    result = run(test, probe)
    assert (result.id, result.metric, result.slice) == ("older-a", "accuracy", "g == 'a'")
    assert (result.description, result.model) == ("why it matters", "v1")


# --- a whole suite --------------------------------------------------------------------


def test_one_error_does_not_stop_the_others(probe: mp.Probe) -> None:
    suite = Suite(
        "mixed",
        [
            make("first", at_least=0.85),
            make("missing-column", slice="zz == 1"),
            make("unknown-metric", metric="nope"),
            make("too-small", slice=C),
            make("failing", slice=B, at_least=0.9),
            make("last", slice=B, at_least=0.5),
        ],
    )
    result = suite.run(probe, model="v1")
    assert [o.id for o in result.items] == [t.id for t in suite]
    assert [o.outcome for o in result.items] == [
        "passed",
        "error",
        "error",
        "inconclusive",
        "failed",
        "passed",
    ]
    assert result.counts() == {"passed": 2, "failed": 1, "inconclusive": 1, "error": 2}
    assert not result.passed


def test_suite_run_passes_the_model_down(probe: mp.Probe) -> None:
    suite = Suite("s", [make(slice=B, at_least=0.9)])
    assert suite.run(probe, model="v2").passed
    assert not suite.run(probe, model="v1").passed
    assert suite.run(probe, model="v2").suite_name == "s"


def test_a_suite_loaded_from_a_file_runs(probe: mp.Probe, tmp_path: Path) -> None:
    path = tmp_path / "s.mlprobe.yaml"
    path.write_text(
        "mlprobe: 1\nname: groups\ntests:\n"
        "  - id: a-accuracy\n    slice: {column: g, eq: a}\n    metric: accuracy\n"
        "    expect: {at_least: 0.85}\n"
        "  - id: b-gap\n    slice: {column: g, in: [b]}\n    metric: error_rate\n"
        "    expect: {max_gap_to_overall: 0.1}\n",
        encoding="utf-8",
    )
    result = Suite.load(path).run(probe, model="v1")
    assert [o.outcome for o in result.items] == ["passed", "failed"]


# --- with_baselines -------------------------------------------------------------------


def test_with_baselines_records_value_n_model_and_date(probe: mp.Probe) -> None:
    everyone = Slice.parse("x >= 0")
    suite = Suite(
        "s",
        [
            make("all", slice=everyone, max_drop_from_baseline=0.01),
            make("b", slice=B, metric="error_rate", max_drop_from_baseline=0.01),
        ],
        description="d",
        fixture="f",
    )
    recorded = suite.with_baselines(probe, model="v1")
    today = dt.date.today().isoformat()
    truth = probe.metric("accuracy", everyone, model="v1")
    assert truth["value"] == 275 / 350
    assert recorded["all"].baseline == Baseline(round(275 / 350, 6), 350, "v1", today)
    assert recorded["all"].baseline.value == 0.785714
    assert recorded["b"].baseline == Baseline(0.4, 100, "v1", today)
    assert (recorded.name, recorded.description, recorded.fixture) == ("s", "d", "f")
    # a copy: the suite itself is unchanged
    assert all(t.baseline is None for t in suite)
    assert recorded != suite
    # and the recorded suite passes on the data it was recorded on
    assert recorded.run(probe, model="v1").passed


def test_with_baselines_round_trips_through_a_file(probe: mp.Probe, tmp_path: Path) -> None:
    suite = Suite("s", [make("a", max_drop_from_baseline=0.01)])
    recorded = suite.with_baselines(probe, model="v1")
    assert Suite.load(recorded.save(tmp_path / "s.yaml")) == recorded
    line = f"baseline: {{value: 0.9, n: 200, model: v1, recorded: {dt.date.today().isoformat()}}}"
    assert line in (tmp_path / "s.yaml").read_text(encoding="utf-8")


def test_with_baselines_uses_the_test_model(probe: mp.Probe) -> None:
    suite = Suite("s", [make("a", slice=B, model="v2"), make("b", slice=B)])
    recorded = suite.with_baselines(probe, model="v1")
    assert (recorded["a"].baseline.model, recorded["a"].baseline.value) == ("v2", 1.0)
    assert (recorded["b"].baseline.model, recorded["b"].baseline.value) == ("v1", 0.6)


def test_with_baselines_names_the_only_model(single_probe: mp.Probe) -> None:
    recorded = Suite("s", [make()]).with_baselines(single_probe)
    assert recorded["t"].baseline.model == "model"


def test_with_baselines_undefined_value_is_none(probe: mp.Probe) -> None:
    recorded = Suite("s", [make("d", slice=D, metric="recall[1]")]).with_baselines(probe, "v1")
    assert recorded["d"].baseline == Baseline(None, 40, "v1", dt.date.today().isoformat())


def test_with_baselines_infinite_value_is_none(probe: mp.Probe) -> None:
    def infinite(real: mp.Probe, *args: Any, **kwargs: Any) -> dict[str, float]:
        return {**real.metric(*args, **kwargs), "value": float("inf")}

    recorded = Suite("s", [make()]).with_baselines(WrappedProbe(probe, infinite), "v1")
    assert recorded["t"].baseline.value is None
    recorded.dumps(json_format=True)  # and it can be saved


@pytest.mark.parametrize(
    ("test", "model", "fragment"),
    [
        (make("needs-x", slice="zz >= 1"), "v1", "slice column 'zz' is not in the data"),
        (make("bad-metric", metric="nope"), "v1", "unknown metric 'nope'"),
        (make("no-model"), None, "several models"),
        (make("bad-model", model="v9"), "v1", "unknown model 'v9'"),
    ],
)
def test_with_baselines_names_the_test_it_cannot_compute(
    probe: mp.Probe, test: SliceTest, model: str | None, fragment: str
) -> None:
    suite = Suite("s", [make("fine", model="v1"), test])
    with pytest.raises(mp.MlprobeError) as caught:
        suite.with_baselines(probe, model=model)
    message = str(caught.value)
    assert message.startswith(f"cannot record a baseline for test {test.id!r}: ")
    assert fragment in message


# --- on real data ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def adult_probe() -> mp.Probe:
    df = mp.datasets.load_adult()
    predicted = (df["education_num"] >= 13).map({True: ">50K", False: "<=50K"})
    return mp.Probe(df, target="income", predictions=predicted)


def test_design_example_on_adult(adult_probe: mp.Probe) -> None:
    suite = Suite.load(Path(__file__).parent / "golden" / "design-example.mlprobe.yaml")
    result = suite.run(adult_probe)
    women, young = result.items
    truth = adult_probe.metric("recall[>50K]", "age >= 60 and sex == 'Female'")
    assert women.observed == truth["value"] and women.n == truth["n"]
    assert women.outcome == ("passed" if truth["value"] >= 0.8 else "failed")
    young_truth = adult_probe.metric("error_rate", "age < 25", confidence=0.95)
    assert young.observed == young_truth["value"]
    if young_truth["ci_high"] <= 0.25:
        assert young.outcome == "passed"
    elif young_truth["ci_low"] > 0.25:
        assert young.outcome == "failed"
    else:
        assert young.outcome == "inconclusive"
    frame = result.outcomes
    assert list(frame["id"]) == ["older-women-recall", "young-error-rate"]


def test_a_test_with_confidence_on_a_slice_without_an_interval_is_inconclusive() -> None:
    import pandas as pd

    import mlprobe as mp
    from mlprobe.spec.runner import run_test

    # the slice holds one class only: balanced accuracy has a value but no honest interval
    frame = pd.DataFrame(
        {"g": ["a"] * 40 + ["b"] * 40, "y": [1] * 40 + [0, 1] * 20, "p": [1] * 40 + [0, 1] * 20}
    )
    probe = mp.Probe(frame, target="y", predictions="p")
    test = mp.SliceTest(
        id="one-class",
        slice="g == 'a'",
        metric="balanced_accuracy",
        at_least=0.9,
        confidence=0.95,
    )
    outcome = run_test(test, probe)
    assert outcome.outcome == "inconclusive"
    assert "no 95% interval" in outcome.reason and outcome.observed == 1.0
    passed = run_test(
        mp.SliceTest(id="b", slice="g == 'a'", metric="accuracy", at_least=0.9, confidence=0.95),
        probe,
    )
    assert passed.outcome == "passed" and 0 < passed.ci_low < 1.0  # 40 of 40, yet not certain
