"""Collect what a probe evaluates: the target and each model's predictions and scores.

This module turns the user's arguments (column names, arrays, estimators,
dicts of them) into plain numpy arrays with checked lengths, and the
:class:`ModelArrays` every metric reads. It calls ``predict`` (and
``predict_proba``) once per model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlprobe.core.intake.labels import Labels, encode_labels
from mlprobe.core.intake.model_arrays import ModelArrays
from mlprobe.errors import DataError, ValidationError, missing_column_error

__all__ = ["DEFAULT_MODEL", "ProbeOutputs", "aligned_to", "check_probabilities", "collect_outputs"]

#: The name of the model when a single one is given.
DEFAULT_MODEL = "model"


class ProbeOutputs:
    """The encoded labels and per-model arrays of one probe."""

    def __init__(
        self, labels: Labels, scores: Mapping[str, np.ndarray | None], used_columns: set[str]
    ):
        self.labels = labels
        self.used_columns = used_columns
        self.models: dict[str, ModelArrays] = {
            name: ModelArrays(
                name, labels.task, labels.classes, labels.y_true, y_pred, scores.get(name)
            )
            for name, y_pred in labels.y_pred.items()
        }


def _column_or_array(value: Any, data: pd.DataFrame, *, argument: str, used: set[str]) -> pd.Series:
    n = len(data)
    if isinstance(value, str):
        if value not in data.columns:
            raise missing_column_error(value, data.columns, role=f"{argument} column")
        column = data[value]
        if isinstance(column, pd.DataFrame):
            raise DataError(
                f"{argument} column {value!r} names {column.shape[1]} columns of the data; "
                "give the columns unique names."
            )
        used.add(value)
        return column.reset_index(drop=True)
    if isinstance(value, pd.Series):
        series = aligned_to(value, data.index, argument=argument).reset_index(drop=True)
    elif (
        isinstance(value, tuple | list)
        and len(value) != n
        and len(value) > 0
        and all(isinstance(v, str) for v in value)
    ):
        raise ValidationError(
            f"{argument}: expected one column name (a str) or one value per row; received a "
            f"{type(value).__name__} of {len(value)} names {list(value)[:4]}. Name a single "
            "column"
            + (" (several models: a dict {name: column})." if "prediction" in argument else ".")
        )
    else:
        array = np.asarray(value)
        if array.ndim != 1:
            raise ValidationError(
                f"{argument}: expected a column name or a 1-d array-like with one value per "
                f"row; received {type(value).__name__} of shape {array.shape}."
            )
        series = pd.Series(array)
    if len(series) != n:
        raise DataError(
            f"{argument} has {len(series)} values but the data has {n} rows; "
            "give one value per row of data, in the same order."
        )
    return series


def aligned_to(values: Any, index: pd.Index, *, argument: str) -> Any:
    """A pandas Series or DataFrame reordered to ``index`` by its own index labels.

    pandas inputs carry an index, and a shuffled or filtered Series matched by
    position would pair each row with another row's value: they are aligned on
    it instead. Their index must hold exactly the data's labels (each once);
    anything else is an error, not a guess.
    """
    if values.index.equals(index):
        return values
    if len(values) != len(index):
        return values  # the caller reports the length mismatch
    if not (values.index.is_unique and index.is_unique):
        raise DataError(
            f"{argument}: its index differs from the data's and has repeated labels, so its "
            "rows cannot be matched to the data's; give it the data's index, or pass "
            "values.to_numpy() to match by position."
        )
    missing = index.difference(values.index)
    if len(missing):
        extra = values.index.difference(index)
        raise DataError(
            f"{argument}: pandas values are matched to the data's rows by index, but "
            f"{len(missing)} of the data's index labels (e.g. {list(missing[:3])}) are not in "
            f"its index, which has {len(extra)} others (e.g. {list(extra[:3])}). Give it the "
            "data's index (e.g. values.set_axis(data.index)), or pass values.to_numpy() to "
            "match by position."
        )
    return values.reindex(index)


def _check_names(mapping: Mapping[Any, Any], argument: str) -> None:
    if not mapping:
        raise ValidationError(f"{argument}: received an empty dict; give at least one model.")
    for name in mapping:
        if not isinstance(name, str) or not name or "[" in name or "]" in name:
            raise ValidationError(
                f"{argument}: model names must be non-empty str without brackets; "
                f"received {name!r}. Use names such as 'v1' and 'v2'."
            )


def _predict(estimator: Any, features: pd.DataFrame, name: str) -> np.ndarray:
    if not callable(getattr(estimator, "predict", None)):
        raise ValidationError(
            f"model {name!r}: expected an estimator with a predict method; received "
            f"{type(estimator).__name__}. Pass predictions= instead if you have them already."
        )
    try:
        predicted = np.asarray(estimator.predict(features))
    except Exception as error:
        raise DataError(
            f"model {name!r}: predict() failed on the features "
            f"{list(map(str, features.columns))[:10]}: {type(error).__name__}: {error}. "
            "Pass features= to choose the columns the model was trained on."
        ) from error
    return predicted.ravel() if predicted.ndim == 2 and predicted.shape[1] == 1 else predicted


def _proba(
    estimator: Any, features: pd.DataFrame, classes: list[Any], name: str
) -> np.ndarray | None:
    if not callable(getattr(estimator, "predict_proba", None)):
        return None
    model_classes = list(getattr(estimator, "classes_", []))
    try:
        proba = np.asarray(estimator.predict_proba(features), dtype=np.float64)
    except Exception:  # e.g. SVC(probability=False) defines the method but raises
        return None
    if proba.ndim != 2 or proba.shape[1] != len(model_classes):
        return None
    return align_scores(proba, model_classes, classes, argument=f"model {name!r} predict_proba")


def align_scores(
    proba: np.ndarray, columns: Sequence[Any], classes: list[Any], *, argument: str
) -> np.ndarray:
    """Reorder probability columns labelled ``columns`` into the probe's class order."""
    position = {label: i for i, label in enumerate(classes)}
    out = np.zeros((proba.shape[0], len(classes)), dtype=np.float64)
    for j, label in enumerate(columns):
        plain = label.item() if isinstance(label, np.generic) else label
        if plain not in position:
            raise ValidationError(
                f"{argument}: the class {plain!r} is not among the probe's classes {classes}."
            )
        out[:, position[plain]] = proba[:, j]
    check_probabilities(out, [f"column {label!r}" for label in classes], argument=argument)
    return out


def _scores_array(value: Any, data: pd.DataFrame, classes: list[Any], used: set[str]) -> np.ndarray:
    if isinstance(value, str):  # binary: the positive class's column
        value = [value]
    names: list[str] = []
    if (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) > 0
        and all(isinstance(c, str) for c in value)
    ):
        for column in value:
            if column not in data.columns:
                raise missing_column_error(column, data.columns, role="scores column")
        used.update(value)
        names = list(value)
        columns = data[names]
        if any(not pd.api.types.is_numeric_dtype(columns[c].dtype) for c in names):
            raise DataError(
                f"scores: the columns {names} must hold probabilities (numbers in [0, 1]); "
                f"received dtypes {[str(columns[c].dtype) for c in names]}."
            )
        array = columns.to_numpy(dtype=np.float64)
    else:
        if isinstance(value, pd.Series | pd.DataFrame):
            value = aligned_to(value, data.index, argument="scores")
        array = np.asarray(value, dtype=np.float64)
    k = len(classes)
    if array.ndim == 2 and array.shape[1] == 1 and k == 2:
        array = array[:, 0]
    if array.ndim == 1 and k == 2 and len(array) == len(data):
        check_probabilities(array[:, None], names or [f"the probability of {classes[1]!r}"])
        array = np.column_stack([1 - array, array])
    if array.shape != (len(data), k):
        raise DataError(
            f"scores: expected {len(data)} rows x {k} columns (one probability per class, in "
            f"the order {classes}); received shape {array.shape}."
        )
    check_probabilities(array, names or [f"column {j} ({c!r})" for j, c in enumerate(classes)])
    return array


#: how far a probability may stray outside [0, 1], or a row's sum from 1 (float rounding)
PROBABILITY_TOLERANCE = 1e-6


def check_probabilities(
    array: np.ndarray, columns: Sequence[str], *, argument: str = "scores"
) -> None:
    """Refuse scores that are not probabilities: missing, outside [0, 1], or rows not summing to 1.

    A metric of such scores (log loss, Brier, calibration) would be a number
    with no meaning, computed without complaint.
    """
    missing = np.isnan(array)
    if missing.any():
        row, col = np.argwhere(missing)[0]
        raise DataError(
            f"{argument}: {int(missing.sum())} missing value(s), the first in {columns[col]} at "
            f"row {row}; every row needs its probabilities."
        )
    outside = (array < -PROBABILITY_TOLERANCE) | (array > 1 + PROBABILITY_TOLERANCE)
    if outside.any():
        row, col = np.argwhere(outside)[0]
        raise DataError(
            f"{argument}: probabilities must lie in [0, 1], but {columns[col]} holds "
            f"{float(array[row, col])!r} at row {row} ({int(outside.sum())} value(s) outside). Pass "
            "predict_proba's output or the positive class's probability, not a decision score "
            "or a logit."
        )
    if array.shape[1] == 1:  # one class's probability: nothing to sum
        return
    sums = array.sum(axis=1)
    off = np.abs(sums - 1) > PROBABILITY_TOLERANCE * array.shape[1]
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise DataError(
            f"{argument}: each row's probabilities must sum to 1 over the classes, but row {row} "
            f"sums to {float(sums[row])!r} ({int(off.sum())} row(s) off). Give one column per class "
            "(all of predict_proba's columns)."
        )


def collect_outputs(
    data: pd.DataFrame,
    *,
    target: Any,
    model: Any,
    predictions: Any,
    scores: Any,
    task: str | None,
    features: Sequence[str] | None,
) -> ProbeOutputs:
    """Read the target, predict or read predictions, encode labels, align scores."""
    if (model is None) == (predictions is None):
        raise ValidationError(
            "Probe: pass exactly one of model= (an estimator, or a dict of them) and "
            f"predictions= (a column name or array, or a dict of them); received "
            f"{'both' if model is not None else 'neither'}."
        )
    used: set[str] = set()
    target_values = _column_or_array(target, data, argument="target", used=used)
    estimators: dict[str, Any] = {}
    predicted: dict[str, pd.Series] = {}
    if predictions is not None:
        given = predictions if isinstance(predictions, Mapping) else {DEFAULT_MODEL: predictions}
        _check_names(given, "predictions")
        for name, value in given.items():
            predicted[name] = _column_or_array(
                value, data, argument=f"predictions of {name!r}", used=used
            )
    score_columns: set[str] = set()
    if isinstance(scores, str):
        score_columns = {scores}
    elif isinstance(scores, Sequence):
        score_columns = {c for c in scores if isinstance(c, str)}
    if model is not None:
        estimators = dict(model) if isinstance(model, Mapping) else {DEFAULT_MODEL: model}
        _check_names(estimators, "model")
        excluded = used | score_columns
        for name, estimator in estimators.items():
            predicted[name] = _column_or_array(
                _predict(estimator, _feature_frame(data, features, excluded, estimator), name),
                data,
                argument=f"model {name!r} predictions",
                used=set(),
            )
    labels = encode_labels(target_values, predicted, task, known_classes=_known_classes(estimators))
    model_scores: dict[str, np.ndarray | None] = dict.fromkeys(labels.y_pred)
    if labels.is_classification:
        if scores is not None:
            if not isinstance(scores, Mapping) and len(labels.y_pred) > 1:
                raise ValidationError(
                    "scores: with several models, give a dict {model name: scores}; "
                    "one array cannot belong to all of them."
                )
            only_model = next(iter(labels.y_pred))
            per_model = scores if isinstance(scores, Mapping) else {only_model: scores}
            for name, value in per_model.items():
                if name not in labels.y_pred:
                    raise ValidationError(
                        f"scores: {name!r} is not a model of this probe; models: {list(labels.y_pred)}."
                    )
                model_scores[name] = _scores_array(value, data, labels.classes, used)
        elif estimators:
            for name, estimator in estimators.items():
                frame = _feature_frame(data, features, excluded, estimator)
                model_scores[name] = _proba(estimator, frame, labels.classes, name)
    elif scores is not None:
        raise ValidationError(
            "scores: a regression probe takes no class probabilities; drop scores=."
        )
    return ProbeOutputs(labels, model_scores, used)


def _known_classes(estimators: Mapping[str, Any]) -> list[Any]:
    """The classes the estimators were fit on (``classes_``), rows or not: their
    ``predict_proba`` has a column for each."""
    known: list[Any] = []
    for estimator in estimators.values():
        classes = np.asarray(getattr(estimator, "classes_", []))
        if classes.ndim == 1:  # multi-output estimators hold a list of arrays: not ours
            known.extend(classes.tolist())
    return known


def _feature_frame(
    data: pd.DataFrame, features: Sequence[str] | None, excluded: set[str], estimator: Any
) -> pd.DataFrame:
    """The columns handed to ``predict``: ``features``, else what the estimator was fit on,
    else every column but the target, predictions and scores."""
    if features is None:
        fitted = getattr(estimator, "feature_names_in_", None)
        if fitted is not None:
            features = [str(c) for c in fitted]
        else:
            return data[[c for c in data.columns if c not in excluded]]
    if isinstance(features, str):
        features = [features]
    for column in features:
        if column not in data.columns:
            raise missing_column_error(column, data.columns, role="features column")
    return data[list(features)]
