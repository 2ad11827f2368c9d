"""A table's label, prediction and score columns on an engine, checked once when a probe is built.

What the in-memory probe checks of its arrays (:mod:`mlprobe.core.intake`), asked of the
engine in a few queries: the task and classes (inferred as memory infers them), labels of
one type, probabilities in [0, 1] whose rows sum to 1, one score column per class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sqlglot import exp

from mlprobe.core.intake._outputs import PROBABILITY_TOLERANCE
from mlprobe.core.intake.labels import MAX_INFERRED_CLASSES, TASKS, Task, check_label_sets
from mlprobe.engines._counting import SqlSource, distinct_values
from mlprobe.engines.sql import ColumnKind, column_ref
from mlprobe.errors import DataError, ValidationError, missing_column_error

__all__ = [
    "MAX_CLASSES",
    "check_auc_bins",
    "check_label_types",
    "check_probability_range",
    "check_rows_sum_to_one",
    "check_score_count",
    "score_columns",
    "sorted_labels",
    "task_and_classes",
]

#: distinct labels fetched at most: a classification target with more is a mistake
MAX_CLASSES = 10_000


def check_auc_bins(auc_bins: Any) -> int | None:
    """``auc_bins=``: None, or a whole number of bins of at least 2."""
    if auc_bins is None:
        return None
    if isinstance(auc_bins, bool) or not isinstance(auc_bins, int | np.integer) or auc_bins < 2:
        raise ValidationError(
            "auc_bins: expected a whole number of score bins of at least 2 (e.g. 100_000: "
            f"each ROC AUC within its reported bound of the exact one), or None for the exact "
            f"ROC AUC; received {auc_bins!r}."
        )
    return int(auc_bins)


def check_label_types(
    target: str, predictions: Mapping[str, str], kinds: Mapping[str, ColumnKind]
) -> None:
    """Refuse text labels against number labels, as the in-memory probe does: SQL would
    cast one to the other where pandas never matches ``'1'`` with ``1``."""
    numeric = ("number", "float")
    for model, column in predictions.items():
        if (kinds.get(target) in numeric) != (kinds.get(column) in numeric):
            raise ValidationError(
                f"the predictions of model {model!r} can never match the target: the target "
                f"column {target!r} holds {kinds.get(target)} labels and the predictions column "
                f"{column!r} {kinds.get(column)} labels. Give both the same type before building "
                "the probe (e.g. a view that casts one)."
            )


def check_rows_sum_to_one(
    engine: Any, scores: Mapping[str, list[str]], kinds: Mapping[str, ColumnKind]
) -> None:
    """Refuse one-column-per-class scores whose rows do not sum to 1, as in memory (one scan)."""
    sets = [columns for columns in scores.values() if len(columns) > 1]
    if not sets:
        return
    worst = []
    for columns in sets:
        total: exp.Expression = exp.cast(
            column_ref(columns[0], kinds), exp.DataType.build("double")
        )
        for column in columns[1:]:
            right = exp.cast(column_ref(column, kinds), exp.DataType.build("double"))
            total = exp.Add(this=total, expression=right)
        worst.append(
            exp.Max(
                this=exp.Abs(this=exp.Sub(this=exp.paren(total), expression=exp.Literal.number(1)))
            )
        )
    [row] = engine.rows(exp.select(*worst, copy=False).from_(engine.source(), copy=False), [])
    for columns, off in zip(sets, row, strict=True):
        if off is not None and float(off) > PROBABILITY_TOLERANCE * len(columns):
            raise DataError(
                f"scores: each row's probabilities must sum to 1 over the classes, but the "
                f"columns {columns} are off by up to {float(off)!r}. Give one column per class "
                "(all of predict_proba's columns)."
            )


def check_probability_range(column: str, facts: Mapping[str, float]) -> None:
    """Refuse a scores column with values outside [0, 1], as the in-memory probe does."""
    low, high = facts.get("min"), facts.get("max")
    tolerance = PROBABILITY_TOLERANCE
    if low is not None and high is not None and (low < -tolerance or high > 1 + tolerance):
        outside = low if low < -tolerance else high
        raise DataError(
            f"scores: probabilities must lie in [0, 1], but {column} holds {float(outside)!r}. "
            "Pass predict_proba's output or the positive class's probability, not a decision "
            "score or a logit."
        )


def sorted_labels(values: set[Any]) -> list[Any]:
    """Labels in order: sorted, or by type name and text where they do not compare."""
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=lambda v: (type(v).__name__, str(v)))


def score_columns(scores: Any, models: list[str], columns: list[str]) -> dict[str, list[str]]:
    """``scores=`` as ``{model: [column, ...]}``, each column checked to exist."""
    if scores is None:
        return {}
    if isinstance(scores, Mapping):
        per_model = dict(scores)
    else:
        if len(models) > 1:
            raise ValidationError(
                "scores: with several models, give a dict {model name: score column(s)}; "
                "one set of columns cannot belong to all of them."
            )
        per_model = {models[0]: scores}
    out: dict[str, list[str]] = {}
    for model, value in per_model.items():
        if model not in models:
            raise ValidationError(
                f"scores: {model!r} is not a model of this probe; models: {models}."
            )
        names = [value] if isinstance(value, str) else value
        if (
            not isinstance(names, Sequence)
            or not names
            or not all(isinstance(c, str) for c in names)
        ):
            raise ValidationError(
                f"scores of {model!r}: on an engine, name the probability column(s): the positive "
                f"class's column (binary) or one per class; received {value!r}."
            )
        for column in names:
            if column not in columns:
                raise missing_column_error(column, columns, role="scores column")
        out[model] = list(names)
    return out


def check_score_count(scores: dict[str, list[str]], classes: list[Any]) -> dict[str, list[str]]:
    """``scores`` when each model has one column per class (or, binary, the positive's)."""
    k = len(classes)
    for model, names in scores.items():
        if len(names) != k and not (k == 2 and len(names) == 1):
            raise ValidationError(
                f"scores of {model!r}: expected one probability column per class, in the order "
                f"{classes} ({k} columns){', or the positive class only' if k == 2 else ''}; "
                f"received {len(names)}: {names}."
            )
    return scores


def task_and_classes(
    task: str | None,
    engine: SqlSource,
    label_columns: list[str],
    kinds: Mapping[str, ColumnKind],
    profile: Mapping[str, Mapping[str, float]],
) -> tuple[Task, list[Any]]:
    """The task (checked, or inferred as the in-memory probe does) and the class labels."""
    if task is not None and task not in TASKS:
        raise ValidationError(f"task must be one of {list(TASKS)} or None; received {task!r}.")
    numeric = all(kinds.get(c) in ("number", "float") for c in label_columns)
    if task == "regression" or (
        task is None and numeric and any(profile[c]["fractional"] > 0 for c in label_columns)
    ):
        if not numeric:
            text = [c for c in label_columns if kinds.get(c) not in ("number", "float")]
            raise ValidationError(
                f"task='regression' needs numbers, but the columns {text} do not hold numbers. "
                "Pass task='binary' or 'multiclass', or give numeric columns."
            )
        return "regression", []
    values: set[Any] = set()
    per_column: dict[str, set[Any]] = {}
    for column in label_columns:
        found = distinct_values(engine, column, {**kinds, column: "text"}, limit=MAX_CLASSES + 1)
        per_column[column] = set(found)
        values.update(found)
        if len(values) > MAX_CLASSES:
            raise ValidationError(
                f"task: {column!r} has more than {MAX_CLASSES} distinct values, too many for "
                "classes; pass task='regression' if these are quantities."
            )
    classes = sorted_labels(values)
    target, *predictions = label_columns
    check_label_sets(per_column[target], {c: per_column[c] for c in predictions}, named="in column")
    if task is None:
        if len(classes) <= 2:
            return "binary", classes
        if not numeric or len(classes) <= MAX_INFERRED_CLASSES:
            return "multiclass", classes
        raise ValidationError(
            f"task: cannot tell whether the {len(classes)} distinct integer values of the "
            "target and predictions are classes or quantities. Pass task='multiclass' or "
            "task='regression'."
        )
    if task == "binary" and len(classes) > 2:
        raise ValidationError(
            f"task='binary' but the target and predictions hold {len(classes)} classes "
            f"{classes[:10]}; pass task='multiclass'."
        )
    return task, classes
