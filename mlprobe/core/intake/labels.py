"""Targets and predictions: infer the task, fix the class list, encode labels as codes.

The class list is the sorted union of the target's and every model's labels,
so each confusion table of a probe has the same K x K layout. Labels may be
str, int or bool; integral floats (``1.0``) are read as ints.

Examples
--------
>>> import numpy as np
>>> labels = encode_labels(np.array(["a", "b", "a"]), {"m": np.array(["a", "c", "a"])})
>>> labels.task, labels.classes, labels.y_true.tolist(), labels.y_pred["m"].tolist()
('multiclass', ['a', 'b', 'c'], [0, 1, 0], [0, 2, 0])
>>> encode_labels(np.array([0.5, 1.5]), {"m": np.array([1.0, 1.0])}).task
'regression'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlprobe.core.slicing._encoding import smallest_int_dtype
from mlprobe.errors import DataError, ValidationError

__all__ = [
    "MAX_INFERRED_CLASSES",
    "TASKS",
    "Labels",
    "Task",
    "check_label_sets",
    "encode_labels",
]

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[Task, ...] = ("binary", "multiclass", "regression")
#: Integer labels with more distinct values than this are not guessed to be classes.
MAX_INFERRED_CLASSES = 20


@dataclass(frozen=True, eq=False)
class Labels:
    """Encoded targets and predictions of one probe.

    For classification ``y_true`` and each ``y_pred[model]`` hold codes into
    ``classes``; for regression they hold float64 values and ``classes`` is
    empty.
    """

    task: Task
    classes: list[Any]
    y_true: np.ndarray
    y_pred: dict[str, np.ndarray]

    @property
    def is_classification(self) -> bool:
        """Whether the task is binary or multiclass classification."""
        return self.task != "regression"

    @property
    def n_classes(self) -> int:
        """K, the number of classes (0 for regression)."""
        return len(self.classes)


def _check_complete(values: pd.Series, what: str) -> None:
    missing = values.isna().to_numpy()
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise DataError(
            f"{what} has {int(missing.sum())} missing value(s) (the first at row {first}). "
            "Metrics need a label for every row: drop or fill those rows before building "
            "the Probe."
        )


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    )


def _all_integral(values: pd.Series) -> bool:
    array = values.to_numpy(dtype=np.float64)
    return bool(np.all(np.isfinite(array)) and np.all(array == np.round(array)))


def _infer_task(target: pd.Series, predictions: Mapping[str, pd.Series]) -> Task:
    series = [target, *predictions.values()]
    if not all(_is_numeric(s) for s in series):
        n_classes = len(_class_list(series))
        return "binary" if n_classes <= 2 else "multiclass"
    if not all(_all_integral(s) for s in series):
        return "regression"
    n_classes = len(_class_list(series))
    if n_classes <= 2:
        return "binary"
    if n_classes <= MAX_INFERRED_CLASSES:
        return "multiclass"
    raise ValidationError(
        f"task: cannot tell whether the {n_classes} distinct integer values of the target and "
        "predictions are classes or quantities. Pass task='multiclass' or task='regression'."
    )


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _class_list(series: list[pd.Series]) -> list[Any]:
    values = {_plain(v) for s in series for v in pd.unique(s.to_numpy())}
    try:
        return sorted(values)
    except TypeError:  # mixed types: group by type, then sort within
        return sorted(values, key=lambda v: (type(v).__name__, str(v)))


def _codes(values: pd.Series, classes: list[Any]) -> np.ndarray:
    # code each distinct value once, then map every row through those codes
    inverse, uniques = pd.factorize(values)
    position = {label: i for i, label in enumerate(classes)}
    codes_of_uniques = np.array([position[_plain(v)] for v in uniques], dtype=np.int64)
    return codes_of_uniques[inverse].astype(smallest_int_dtype(len(classes)))


def _check_labels_can_match(target: pd.Series, predictions: Mapping[str, pd.Series]) -> None:
    check_label_sets(
        {_plain(v) for v in pd.unique(target.to_numpy())},
        {name: {_plain(v) for v in pd.unique(p.to_numpy())} for name, p in predictions.items()},
    )


def check_label_sets(
    truth: set[Any], predictions: Mapping[str, set[Any]], *, named: str = "of model"
) -> None:
    """Refuse predictions whose labels can never equal the target's.

    Labels that differ only by type (the text ``'1'`` and the number ``1``) or
    that share no value at all make every prediction wrong and the class list
    twice as long: an accuracy of 0 that is an input mistake, not a finding.
    ``named`` says what the keys of ``predictions`` are ("of model", "in column").
    Disjoint sets are allowed when one side holds a single label (a tiny slice
    of data, or a model that predicts one class the data does not hold).

    Examples
    --------
    >>> check_label_sets({"a", "b"}, {"m": {"a", "c"}})
    >>> check_label_sets({0, 1}, {"m": {"0", "1"}})
    Traceback (most recent call last):
    ...
    mlprobe.errors.ValidationError: the predictions of model 'm' can never match the target: ...
    """
    as_text = {str(v) for v in truth}
    for name, predicted in predictions.items():
        # the same value as text and as a number ('1' and 1): never equal, always a mistake
        type_only = any(str(v) in as_text for v in predicted - truth)
        disjoint = not (predicted & truth) and (
            not ({type(v) for v in predicted} & {type(v) for v in truth})
            or (len(truth) > 1 and len(predicted) > 1)
        )
        if not (type_only or disjoint):
            continue
        raise ValidationError(
            f"the predictions {named} {name!r} can never match the target: the target's labels "
            f"are {_show(truth)} and the predictions' {_show(predicted)}"
            + (
                " (the same values as text and as numbers)."
                if type_only
                else " (no value in common)."
            )
            + " Convert one to the other's type (e.g. predictions.astype(str) or "
            "target.astype(int)), or map the labels, before building the Probe."
        )


def _show(labels: set[Any]) -> str:
    shown = sorted(labels, key=lambda v: (type(v).__name__, str(v)))[:6]
    more = ", ..." if len(labels) > 6 else ""
    return "[" + ", ".join(f"{v!r} ({type(v).__name__})" for v in shown) + more + "]"


def _regression_values(values: pd.Series, what: str) -> np.ndarray:
    if not _is_numeric(values):
        raise ValidationError(
            f"task='regression' needs numbers, but {what} holds {values.dtype} values. "
            "Pass task='binary' or 'multiclass', or give numeric labels."
        )
    return values.to_numpy(dtype=np.float64)


def encode_labels(
    target: Any,
    predictions: Mapping[str, Any],
    task: str | None = None,
    *,
    known_classes: Sequence[Any] = (),
) -> Labels:
    """Infer (or check) the task and encode the target and every model's predictions.

    Parameters
    ----------
    target : array-like
        True labels or values, one per row.
    predictions : mapping of str to array-like
        Each model's predictions, one per row.
    task : {"binary", "multiclass", "regression"} or None
        None infers it: text, bool and category labels and integers with at
        most :data:`MAX_INFERRED_CLASSES` values are classes; numbers with a
        fractional part mean regression.
    known_classes : sequence, optional
        Labels a model knows (its ``classes_``) though no row holds them; they
        join the class list, so that its probabilities have a column each.
    """
    if task is not None and task not in TASKS:
        raise ValidationError(f"task must be one of {list(TASKS)} or None; received {task!r}.")
    target_series = pd.Series(np.asarray(target) if not isinstance(target, pd.Series) else target)
    prediction_series = {
        name: values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
        for name, values in predictions.items()
    }
    _check_complete(target_series, "the target")
    for name, values in prediction_series.items():
        _check_complete(values, f"the predictions of model {name!r}")
    known = {"known classes": pd.Series(np.asarray(known_classes))} if len(known_classes) else {}
    resolved = (
        task if task is not None else _infer_task(target_series, {**prediction_series, **known})
    )
    if resolved == "regression":
        return Labels(
            "regression",
            [],
            _regression_values(target_series, "the target"),
            {
                name: _regression_values(values, f"the predictions of model {name!r}")
                for name, values in prediction_series.items()
            },
        )
    classes = _class_list([target_series, *prediction_series.values(), *known.values()])
    _check_labels_can_match(target_series, prediction_series)
    if resolved == "binary" and len(classes) > 2:
        raise ValidationError(
            f"task='binary' but the target and predictions hold {len(classes)} classes "
            f"({classes[:5]}...). Pass task='multiclass' or task=None."
        )
    return Labels(
        resolved,
        classes,
        _codes(target_series, classes),
        {name: _codes(values, classes) for name, values in prediction_series.items()},
    )
