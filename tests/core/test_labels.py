"""Targets and predictions: the task, the sorted class list, and codes that decode back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlprobe.core.intake.labels import MAX_INFERRED_CLASSES, encode_labels
from mlprobe.errors import DataError, ValidationError

label_lists = st.one_of(
    st.lists(st.sampled_from(["cat", "dog", "eel", "ant", ""]), min_size=1, max_size=15),
    st.lists(st.integers(-5, 5), min_size=1, max_size=15),
    st.lists(st.booleans(), min_size=1, max_size=15),
)


@settings(max_examples=100, deadline=None)
@given(st.data(), label_lists)
def test_classes_are_the_sorted_union_and_codes_decode_back(data: st.DataObject, y: list) -> None:
    extra = {str: "zzz", int: 99}.get(type(y[0]))  # a class only predicted, never true
    pool = sorted(set(y)) + ([extra] if extra is not None else [])
    predictions = {
        name: data.draw(st.lists(st.sampled_from(pool), min_size=len(y), max_size=len(y)))
        for name in ("v1", "v2")
    }
    labels = encode_labels(np.array(y), {k: np.array(v) for k, v in predictions.items()})
    union = set(y).union(*predictions.values())
    assert labels.classes == sorted(union)
    assert labels.task == ("binary" if len(union) <= 2 else "multiclass")
    assert [labels.classes[c] for c in labels.y_true] == y
    for name, values in predictions.items():
        assert [labels.classes[c] for c in labels.y_pred[name]] == values
    # classes are plain Python values, never numpy scalars (they name metrics: recall[1])
    assert all(type(c) in (str, int, bool) for c in labels.classes)


@pytest.mark.parametrize(
    ("target", "prediction", "task"),
    [
        (["a", "b", "a"], ["a", "a", "b"], "binary"),
        (["a", "b", "c"], ["a", "a", "b"], "multiclass"),
        ([True, False], [True, True], "binary"),
        ([0, 1, 2], [0, 1, 1], "multiclass"),
        ([0.0, 1.0], [1.0, 1.0], "binary"),  # integral floats are class labels
        ([0.5, 1.5], [1.0, 1.0], "regression"),  # a fractional part means quantities
        ([3.0, 4.0], [3.25, 4.0], "regression"),
        (list(range(MAX_INFERRED_CLASSES)), list(range(MAX_INFERRED_CLASSES)), "multiclass"),
    ],
)
def test_task_inference(target: list, prediction: list, task: str) -> None:
    assert encode_labels(np.array(target), {"m": np.array(prediction)}).task == task


def test_many_distinct_integers_ask_for_the_task() -> None:
    many = np.arange(MAX_INFERRED_CLASSES + 1)
    with pytest.raises(
        ValidationError,
        match=r"21 distinct integer values.*Pass task='multiclass' or task='regression'",
    ):
        encode_labels(many, {"m": many})
    assert encode_labels(many, {"m": many}, task="regression").task == "regression"
    assert len(encode_labels(many, {"m": many}, task="multiclass").classes) == 21


def test_integral_float_labels_become_ints() -> None:
    labels = encode_labels(np.array([1.0, 0.0]), {"m": np.array([1, 1])})
    assert labels.classes == [0, 1]
    assert all(type(c) is int for c in labels.classes)


def test_regression_keeps_float_values_and_no_classes() -> None:
    labels = encode_labels(np.array([1, 2, 3]), {"m": np.array([1.5, 2, 2])}, task="regression")
    assert labels.classes == [] and not labels.is_classification
    assert labels.y_true.dtype == np.float64
    np.testing.assert_array_equal(labels.y_pred["m"], [1.5, 2.0, 2.0])


def test_category_and_string_dtypes_are_classes() -> None:
    target = pd.Series(pd.Categorical(["b", "a"], ["b", "a", "zz"]))
    labels = encode_labels(target, {"m": pd.Series(["a", "c"], dtype="string")})
    assert labels.classes == ["a", "b", "c"]  # the values, sorted; unused levels left out
    assert labels.y_true.tolist() == [1, 0] and labels.y_pred["m"].tolist() == [0, 2]


@pytest.mark.parametrize(
    ("target", "prediction", "message"),
    [
        (
            [1.0, np.nan, 2.0],
            [1, 2, 2],
            r"the target has 1 missing value\(s\) \(the first at row 1\)",
        ),
        (
            ["a", "b", None],
            ["a", "b", "b"],
            r"the target has 1 missing value\(s\) \(the first at row 2\)",
        ),
        (["a", "b"], [None, None], r"the predictions of model 'm' has 2 missing value\(s\)"),
    ],
)
def test_missing_labels_are_a_data_error(target: list, prediction: list, message: str) -> None:
    with pytest.raises(DataError, match=message):
        encode_labels(pd.Series(target), {"m": pd.Series(prediction)})


def test_nullable_integer_target_with_missing_values_is_a_data_error() -> None:
    with pytest.raises(DataError, match="missing value"):
        encode_labels(pd.Series(pd.array([1, None], dtype="Int64")), {"m": np.array([1, 1])})


@pytest.mark.parametrize(
    ("task", "target", "message"),
    [
        (
            "classification",
            ["a", "b"],
            r"task must be one of \['binary', 'multiclass', 'regression'\]",
        ),
        ("binary", ["a", "b", "c"], r"task='binary' but the target and predictions hold 3 classes"),
        ("regression", ["a", "b", "c"], r"task='regression' needs numbers"),
    ],
)
def test_a_task_that_does_not_fit_is_a_validation_error(
    task: str, target: list, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        encode_labels(np.array(target), {"m": np.array(target)}, task=task)


def test_codes_use_the_smallest_integer_dtype() -> None:
    labels = encode_labels(np.array(["a", "b"] * 10), {"m": np.array(["b", "a"] * 10)})
    assert labels.y_true.dtype == np.int8 and labels.y_pred["m"].dtype == np.int8


def test_known_classes_join_the_class_list_and_the_task() -> None:
    labels = encode_labels(
        np.array(["a", "b"]), {"m": np.array(["a", "a"])}, known_classes=np.array(["c", "a"])
    )
    assert labels.classes == ["a", "b", "c"] and labels.task == "multiclass"
    assert labels.y_true.tolist() == [0, 1]
    regression = encode_labels(np.array([0.5, 1.5]), {"m": np.array([1.0, 1.0])}, known_classes=[7])
    assert regression.task == "regression" and regression.classes == []
