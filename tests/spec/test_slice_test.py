"""Tests of SliceTest and Baseline: validation, properties, plain data."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from suite_strategies import examples, slice_tests

import mlprobe as mp
from mlprobe import Baseline, Slice, SliceTest, col
from mlprobe.spec import EXPECTATIONS


def make(**changes: object) -> SliceTest:
    fields: dict[str, object] = {
        "id": "older-women-recall",
        "slice": Slice.parse("age >= 60 and sex == 'Female'"),
        "metric": "recall[>50K]",
        "at_least": 0.8,
    }
    fields.update(changes)
    return SliceTest(**fields)  # type: ignore[arg-type]


def test_defaults() -> None:
    test = make()
    assert (test.min_support, test.confidence, test.description) == (30, None, "")
    assert (test.baseline, test.tags, test.model) == (None, (), None)
    assert (test.expectation, test.threshold_value) == ("at_least", 0.8)


@pytest.mark.parametrize("kind", EXPECTATIONS)
def test_each_expectation(kind: str) -> None:
    test = make(**{"at_least": None, kind: 1})
    assert test.expectation == kind
    assert test.threshold_value == 1.0
    assert isinstance(test.threshold_value, float)
    assert test.to_dict()["expect"] == {kind: 1.0}


def test_slice_may_be_given_as_text() -> None:
    assert make(slice="age >= 60").slice == Slice.parse("age >= 60")
    assert make(slice="age >= 60").slice.predicate == (col("age") >= 60)


def test_tags_become_a_tuple() -> None:
    assert make(tags=["a", "b"]).tags == ("a", "b")
    assert make(tags=iter(["x"])).tags == ("x",)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"id": "has space"}, "'id' must be letters, digits"),
        ({"id": ""}, "'id' must be letters, digits"),
        ({"id": "-leading"}, "'id' must be letters, digits"),
        ({"id": "ünï"}, "'id' must be letters, digits"),
        ({"id": "a\n"}, "'id' must be letters, digits"),
        ({"id": 3}, "'id' must be letters, digits"),
        ({"slice": 3}, "'slice' must be a Slice or an expression string; received int"),
        ({"slice": "age >>= 1"}, "unknown operator '>>='"),
        ({"metric": ""}, "'metric' must be a metric name"),
        ({"metric": None}, "'metric' must be a metric name"),
        ({"at_least": None}, r"give exactly one of at_least, .*; received none"),
        ({"at_most": 0.9}, r"give exactly one of .*; received \['at_least', 'at_most'\]"),
        ({"at_least": "0.8"}, "at_least: expected a finite number; received '0.8'"),
        ({"at_least": True}, "at_least: expected a finite number; received True"),
        ({"at_least": math.nan}, "at_least: expected a finite number; received nan"),
        ({"at_least": math.inf}, "at_least: expected a finite number; received inf"),
        ({"at_least": 10**400}, "at_least: expected a finite number"),
        (
            {"at_least": None, "max_gap_to_overall": -0.1},
            "max_gap_to_overall: expected a number >= 0.0; received -0.1",
        ),
        (
            {"at_least": None, "max_drop_from_baseline": -1},
            "max_drop_from_baseline: expected a number >= 0.0",
        ),
        ({"min_support": -1}, "'min_support' must be a whole number >= 0; received -1"),
        ({"min_support": 2.0}, "'min_support' must be a whole number"),
        ({"min_support": True}, "'min_support' must be a whole number"),
        ({"confidence": 0}, "'confidence' must be None or between 0 and 1"),
        ({"confidence": 1}, "'confidence' must be None or between 0 and 1"),
        ({"confidence": 1.5}, "'confidence' must be None or between 0 and 1"),
        ({"confidence": "0.9"}, "'confidence' must be None or between 0 and 1"),
        ({"confidence": math.nan}, "'confidence' must be None or between 0 and 1"),
        ({"tags": "smoke"}, "'tags' must be a list of str; received 'smoke'"),
        ({"tags": 3}, "'tags' must be a list of str"),
        ({"tags": ["a", ""]}, "'tags' must be non-empty strs"),
        ({"tags": ["a", 1]}, "'tags' must be non-empty strs"),
        ({"model": ""}, "'model' must be None or a model name"),
        ({"model": 2}, "'model' must be None or a model name"),
        ({"description": None}, "'description' must be a str"),
        ({"baseline": {"value": 0.8}}, "'baseline' must be None or a Baseline"),
    ],
)
def test_invalid_arguments(changes: dict[str, object], match: str) -> None:
    with pytest.raises(mp.MlprobeError, match=match):
        make(**changes)


def test_errors_name_the_test() -> None:
    with pytest.raises(mp.MlprobeError, match="SliceTest 'older-women-recall': 'metric'"):
        make(metric="")


def test_to_dict_key_order_and_omitted_defaults() -> None:
    assert list(make().to_dict()) == ["id", "slice", "metric", "expect"]
    full = make(
        description="why",
        min_support=50,
        confidence=0.9,
        model="v2",
        tags=("a",),
        baseline=Baseline(0.84, 812, "v2", "2026-11-28"),
    ).to_dict()
    assert list(full) == [
        "id",
        "description",
        "slice",
        "metric",
        "expect",
        "min_support",
        "confidence",
        "model",
        "tags",
        "baseline",
    ]
    assert full["slice"] == Slice.parse("age >= 60 and sex == 'Female'").to_dict()
    assert full["baseline"] == {"value": 0.84, "n": 812, "model": "v2", "recorded": "2026-11-28"}
    assert full["tags"] == ["a"]
    # min_support=30 is the default and is not written
    assert "min_support" not in make(min_support=30).to_dict()
    assert make(min_support=0).to_dict()["min_support"] == 0


def test_slice_is_exactly_slice_to_dict() -> None:
    s = Slice("older women", (col("age") >= 60) & (col("sex") == "Female"))
    assert make(slice=s).to_dict()["slice"] == s.to_dict()


@examples(30)
@given(test=slice_tests())
def test_from_dict_inverts_to_dict(test: SliceTest) -> None:
    assert SliceTest.from_dict(test.to_dict()) == test


def test_from_dict_accepts_a_slice_without_a_name() -> None:
    test = SliceTest.from_dict(
        {
            "id": "t",
            "slice": {"column": "age", "ge": 60},
            "metric": "accuracy",
            "expect": {"at_most": 0.2},
        }
    )
    assert test.slice == Slice.parse("age >= 60")


def test_from_dict_errors_carry_the_path_once() -> None:
    data = make().to_dict()
    data["slice"] = {"column": "age", "ge": 1, "le": 2}
    with pytest.raises(mp.ValidationError) as caught:
        SliceTest.from_dict(data, path="tests[5]")
    assert str(caught.value).startswith("tests[5].slice: expected exactly one operator")
    data = make().to_dict()
    data["expect"] = {"at_least": math.nan}
    with pytest.raises(mp.ValidationError, match=r"^tests\[5\]: SliceTest 'older-women-recall'"):
        SliceTest.from_dict(data, path="tests[5]")


def test_with_baseline_returns_a_copy() -> None:
    test = make()
    baseline = Baseline(0.8, 100, "model", "2026-01-02")
    recorded = test.with_baseline(baseline)
    assert recorded.baseline == baseline and test.baseline is None
    assert recorded.with_baseline(None) == test


def test_slice_tests_are_frozen_and_hashable_by_value() -> None:
    test = make(tags=["a"])
    with pytest.raises(AttributeError):
        test.metric = "accuracy"  # type: ignore[misc]
    assert make(tags=["a"]) == test
    assert hash(make(tags=["a"])) == hash(test)


def test_slice_test_is_not_collected_by_pytest() -> None:
    """Named Test*, but a data class: TestOutcome opts out; SliceTest does not start with Test."""
    assert not SliceTest.__name__.startswith("Test")


# --- Baseline -------------------------------------------------------------------------


def test_baseline_to_dict_omits_unset_fields() -> None:
    assert Baseline(0.5).to_dict() == {"value": 0.5}
    assert Baseline(None).to_dict() == {"value": None}
    assert Baseline(0.5, 3, "v2", "2026-11-28").to_dict() == {
        "value": 0.5,
        "n": 3,
        "model": "v2",
        "recorded": "2026-11-28",
    }


def test_baseline_from_dict() -> None:
    data = {"value": 0.84, "n": 812, "model": "v2", "recorded": "2026-11-28"}
    assert Baseline.from_dict(data) == Baseline(0.84, 812, "v2", "2026-11-28")
    assert Baseline.from_dict({"value": 0.1}) == Baseline(0.1)
    # a loader that makes dates of dates (yaml.safe_load) still gives text
    data["recorded"] = dt.date(2026, 11, 28)  # type: ignore[assignment]
    assert Baseline.from_dict(data).recorded == "2026-11-28"


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"value": math.nan}, "'value': expected a finite number"),
        ({"value": math.inf}, "'value': expected a finite number"),
        ({"value": "0.8"}, "'value': expected a finite number"),
        ({"value": True}, "'value': expected a finite number"),
        ({"n": -1}, "'n' must be None or a whole number >= 0"),
        ({"n": 2.0}, "'n' must be None or a whole number >= 0"),
        ({"n": True}, "'n' must be None or a whole number >= 0"),
        ({"model": 2}, "'model' must be None or a str"),
        ({"recorded": "yesterday"}, "'recorded' must be None or an ISO date"),
        ({"recorded": "2026-02-30"}, "'recorded' must be None or an ISO date"),
        ({"recorded": "20261128"}, "'recorded' must be None or an ISO date"),
        ({"recorded": "２０２６-11-28"}, "'recorded' must be None or an ISO date"),
    ],
)
def test_baseline_refuses_what_a_file_cannot_hold(changes: dict[str, object], match: str) -> None:
    fields: dict[str, object] = {"value": 0.8, "n": 10, "model": "v1", "recorded": "2026-11-28"}
    fields.update(changes)
    with pytest.raises(mp.ValidationError, match=match):
        Baseline(**fields)  # type: ignore[arg-type]


def test_baseline_value_becomes_a_float() -> None:
    assert Baseline(1).value == 1.0 and isinstance(Baseline(1).value, float)
    assert Baseline(1) == Baseline(1.0)


def test_baseline_accepts_a_date_object() -> None:
    assert Baseline(0.5, recorded=dt.date(2026, 1, 2)).recorded == "2026-01-02"  # type: ignore[arg-type]
