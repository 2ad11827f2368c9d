"""Metric names -> metric objects, for a given task and class list.

Per-class metrics are spelt ``family[label]``, e.g. ``recall[>50K]``; the
label is matched against the class labels as text. On a binary task the bare
family name (``recall``, ``fpr``, ...) means the positive class: the probe's
``positive=``, else the class ``1`` or ``True`` (:func:`default_positive`).

Examples
--------
>>> resolve_metric("recall[>50K]", task="binary", classes=["<=50K", ">50K"], has_scores=False)
<metric recall[>50K]>
>>> resolve_metric("fpr", task="binary", classes=[0, 1], has_scores=False)
<metric fpr>
>>> resolve_metric("acuracy", task="binary", classes=[0, 1], has_scores=False)
Traceback (most recent call last):
...
mlprobe.errors.ValidationError: metrics: unknown metric 'acuracy'. Did you mean 'accuracy'? ...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from mlprobe.core.intake.labels import Task
from mlprobe.core.metrics import classification as cls
from mlprobe.core.metrics import regression as reg
from mlprobe.core.metrics import scores as sc
from mlprobe.core.metrics._base import Metric
from mlprobe.core.metrics.cell_ratios import ERROR_TYPES, CellRatio, error_type
from mlprobe.core.metrics.custom import CountsMetric, RowsMetric
from mlprobe.errors import ValidationError, did_you_mean

__all__ = [
    "available_metrics",
    "default_metrics",
    "default_positive",
    "register_metric",
    "resolve_metric",
    "resolve_metrics",
    "unregister_metric",
]

_CLASSIFICATION = ("binary", "multiclass")
_PER_CLASS = re.compile(r"(?P<family>[A-Za-z_][A-Za-z0-9_]*)\[(?P<label>.*)\]\Z", re.DOTALL)


@dataclass(frozen=True)
class _Entry:
    tasks: tuple[str, ...]
    build: Callable[[list[Any]], Metric]
    needs_scores: bool = False
    summary: str = ""


@dataclass(frozen=True)
class _FamilyEntry:
    #: (label, class index, number of classes) -> metric
    build: Callable[[Any, int, int], Metric]
    needs_scores: bool = False


def _auc(classes: list[Any]) -> Metric:
    indices = [len(classes) - 1] if len(classes) == 2 else list(range(len(classes)))
    return sc.RocAuc(indices, "roc_auc")


_BUILTIN: dict[str, _Entry] = {
    "accuracy": _Entry(_CLASSIFICATION, lambda c: cls.Accuracy()),
    "error_rate": _Entry(_CLASSIFICATION, lambda c: cls.ErrorRate()),
    "balanced_accuracy": _Entry(_CLASSIFICATION, lambda c: cls.BalancedAccuracy()),
    "macro_f1": _Entry(_CLASSIFICATION, lambda c: cls.MacroF1()),
    "roc_auc": _Entry(_CLASSIFICATION, _auc, needs_scores=True),
    "log_loss": _Entry(_CLASSIFICATION, lambda c: sc.LogLoss(), needs_scores=True),
    "brier": _Entry(_CLASSIFICATION, lambda c: sc.Brier(), needs_scores=True),
    "mae": _Entry(("regression",), lambda c: reg.MAE()),
    "mse": _Entry(("regression",), lambda c: reg.MSE()),
    "rmse": _Entry(("regression",), lambda c: reg.RMSE()),
    "mean_error": _Entry(("regression",), lambda c: reg.MeanError()),
    "r2": _Entry(("regression",), lambda c: reg.R2()),
}


def _error_type(family: str) -> _FamilyEntry:
    return _FamilyEntry(lambda label, i, k: error_type(family, label, i, k))


_FAMILIES: dict[str, _FamilyEntry] = {
    "precision": _FamilyEntry(lambda label, i, k: cls.Precision(label, i)),
    "recall": _FamilyEntry(lambda label, i, k: cls.Recall(label, i)),
    "f1": _FamilyEntry(lambda label, i, k: cls.F1(label, i)),
    **{family: _error_type(family) for family in ERROR_TYPES},
    "roc_auc": _FamilyEntry(
        lambda label, i, k: sc.RocAuc([i], f"roc_auc[{label}]"), needs_scores=True
    ),
}
_CUSTOM: dict[str, _Entry] = {}

_DEFAULTS: dict[str, tuple[str, ...]] = {
    "binary": ("accuracy", "balanced_accuracy", "macro_f1"),
    "multiclass": ("accuracy", "balanced_accuracy", "macro_f1"),
    "regression": ("mae", "rmse", "mean_error", "r2"),
}


def default_metrics(task: Task) -> list[str]:
    """The metrics a breakdown shows when none are named.

    Examples
    --------
    >>> default_metrics("regression")
    ['mae', 'rmse', 'mean_error', 'r2']
    """
    return list(_DEFAULTS[task])


def available_metrics(
    task: Task | None = None, classes: Sequence[Any] = (), positive: Any = None
) -> list[str]:
    """Every metric name valid for ``task`` (per-class names spelt out for ``classes``).

    With no task, every name, per-class ones spelt ``family[<class>]``. On a binary
    task with a positive class (``positive``, or ``1``/``True`` among ``classes``)
    the bare family names (``recall``, ``fpr``, ...) are listed too.

    Examples
    --------
    >>> available_metrics("binary", ["no", "yes"])[:4]
    ['accuracy', 'error_rate', 'balanced_accuracy', 'macro_f1']
    >>> "recall[<class>]" in available_metrics()
    True
    >>> "fpr" in available_metrics("binary", [0, 1]), "fpr" in available_metrics("binary", ["a", "b"])
    (True, False)
    """
    entries = {**_BUILTIN, **_CUSTOM}
    if task is None:
        return list(entries) + [f"{family}[<class>]" for family in _FAMILIES]
    if task not in _DEFAULTS:
        raise ValidationError(
            f"available_metrics: task must be one of {list(_DEFAULTS)} or None; received {task!r}."
        )
    names = [n for n, e in entries.items() if task in e.tasks]
    if task != "regression":
        names += [f"{family}[{label}]" for family in _FAMILIES for label in classes]
    if task == "binary" and (positive is not None or default_positive(classes) is not None):
        names += [family for family in _FAMILIES if family not in names]
    return names


def register_metric(
    name: str,
    function: Callable[..., float] | None = None,
    *,
    input: Literal["counts", "rows"] = "counts",
    numerator: Sequence[tuple[Any, Any]] | None = None,
    denominator: Sequence[tuple[Any, Any]] | None = None,
    higher_is_better: bool | None = True,
    tasks: Sequence[str] = ("binary", "multiclass"),
    overwrite: bool = False,
) -> None:
    """Register a custom metric under ``name``.

    Parameters
    ----------
    function : callable, optional
        With ``input="counts"``: ``f(table) -> float`` on one K x K confusion
        table (true classes on axis 0, classes in the probe's order); fast, and
        its interval comes from resampling the table. With ``input="rows"``:
        ``f(y_true, y_pred) -> float`` on each slice's labels; slow (one call
        per slice and per bootstrap resample) but works for any task.
    numerator, denominator : list of (true label, predicted label), optional
        Instead of ``function``: the metric is the rows in the ``numerator``
        cells of the confusion table over the rows in the ``denominator`` cells
        (every numerator cell must be a denominator cell: the value is a share of
        rows). Such a ratio gets a Wilson score interval and exact small-count
        tests, like ``recall``, instead of resampling. Labels are matched against
        the probe's classes (as text) when the metric is used.
    higher_is_better : bool or None
        Which way is better, used when comparing models and ranking slices; None for a
        rate with no better direction (as ``selection_rate``): comparisons then say
        "higher" or "lower", and what needs a worse side (``priorities``, a test's
        ``max_drop_from_baseline``) refuses it.
    tasks : sequence of str
        Tasks the metric applies to.

    Examples
    --------
    >>> register_metric("false_negatives", lambda t: t[1, 0], higher_is_better=False)
    >>> "false_negatives" in available_metrics("binary")
    True
    >>> unregister_metric("false_negatives")
    >>> register_metric("missed_rate", numerator=[(1, 0)], denominator=[(1, 0), (1, 1)],
    ...                 higher_is_better=False)
    >>> resolve_metric("missed_rate", task="binary", classes=[0, 1], has_scores=False)
    <metric missed_rate>
    >>> unregister_metric("missed_rate")
    """
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValidationError(
            f"register_metric: 'name' must be an identifier such as 'my_metric'; received {name!r}."
        )
    if (name in _BUILTIN or name in _FAMILIES) or (name in _CUSTOM and not overwrite):
        raise ValidationError(
            f"register_metric: a metric named {name!r} exists already. Choose another name"
            + (" or pass overwrite=True." if name in _CUSTOM else ".")
        )
    if higher_is_better not in (True, False, None):
        raise ValidationError(
            f"register_metric: 'higher_is_better' must be True, False or None (no better "
            f"direction); received {higher_is_better!r}."
        )
    if numerator is not None or denominator is not None:
        _CUSTOM[name] = _cell_ratio_entry(
            name, function, numerator, denominator, higher_is_better, tasks
        )
        return
    if not callable(function):
        raise ValidationError(
            f"register_metric: 'function' must be callable (or pass numerator= and "
            f"denominator= cells); received {function!r}."
        )
    if input not in ("counts", "rows"):
        raise ValidationError(
            f"register_metric: 'input' must be 'counts' or 'rows'; received {input!r}."
        )
    bad_tasks = [t for t in tasks if t not in _DEFAULTS]
    if bad_tasks or not tasks:
        raise ValidationError(
            f"register_metric: 'tasks' must list some of {list(_DEFAULTS)}; received {list(tasks)}."
        )
    if input == "counts" and "regression" in tasks:
        raise ValidationError(
            "register_metric: regression has no confusion counts; use input='rows'."
        )
    if input == "counts":
        build: Callable[[list[Any]], Metric] = lambda c: CountsMetric(  # noqa: E731
            name, function, higher_is_better
        )
    else:
        build = lambda c: RowsMetric(name, function, higher_is_better)  # noqa: E731
    _CUSTOM[name] = _Entry(tuple(tasks), build)


def _cell_ratio_entry(
    name: str,
    function: object,
    numerator: Sequence[tuple[Any, Any]] | None,
    denominator: Sequence[tuple[Any, Any]] | None,
    higher_is_better: bool | None,
    tasks: Sequence[str],
) -> _Entry:
    """The registry entry of a metric declared as a ratio of confusion cells (checked now)."""
    if function is not None:
        raise ValidationError(
            f"register_metric: {name!r} received both a function and numerator/denominator "
            "cells; pass one of them."
        )
    pairs = {"numerator": numerator, "denominator": denominator}
    for argument, cells in pairs.items():
        if cells is None or isinstance(cells, str) or len(list(cells)) == 0:
            raise ValidationError(
                f"register_metric: {argument!r} must list (true label, predicted label) cells, "
                f"e.g. [(0, 1)]; received {cells!r}."
            )
        for cell in cells:
            if not isinstance(cell, tuple | list) or len(cell) != 2:
                raise ValidationError(
                    f"register_metric: each {argument} cell is a (true label, predicted label) "
                    f"pair; received {cell!r}."
                )
    if "regression" in tasks or not tasks or any(t not in _CLASSIFICATION for t in tasks):
        raise ValidationError(
            "register_metric: a ratio of confusion cells applies to classification tasks "
            f"('binary', 'multiclass'); received tasks={list(tasks)}."
        )
    assert numerator is not None and denominator is not None
    as_text = {
        argument: {(str(t), str(p)) for t, p in cells or ()} for argument, cells in pairs.items()
    }
    outside = sorted(as_text["numerator"] - as_text["denominator"])
    if outside:
        raise ValidationError(
            f"register_metric: numerator cells {outside} of {name!r} are not denominator "
            "cells, so the value would not be a share of rows. Add them to the denominator, "
            "or register a counts function for other ratios."
        )

    def build(classes: list[Any]) -> Metric:
        def mask(cells: Sequence[tuple[Any, Any]]) -> np.ndarray:
            marked = np.zeros((len(classes), len(classes)), dtype=bool)
            for true, predicted in cells:
                marked[
                    _match_label(str(true), classes, name)[1],
                    _match_label(str(predicted), classes, name)[1],
                ] = True
            return marked

        return CellRatio(
            name, mask(numerator), mask(denominator), higher_is_better=higher_is_better
        )

    return _Entry(tuple(tasks), build)


def unregister_metric(name: str) -> None:
    """Remove a custom metric registered with :func:`register_metric`."""
    if name not in _CUSTOM:
        raise ValidationError(
            f"unregister_metric: no custom metric named {name!r}; "
            f"custom metrics: {sorted(_CUSTOM)}."
        )
    del _CUSTOM[name]


def _match_label(label_text: str, classes: Sequence[Any], name: str) -> tuple[Any, int]:
    for i, label in enumerate(classes):
        if str(label) == label_text:
            return label, i
    shown = ", ".join(str(c) for c in classes)
    raise ValidationError(
        f"metrics: {name!r} names the class {label_text!r}, which is not a class of this probe."
        f"{did_you_mean(label_text, [str(c) for c in classes])} Classes: {shown}."
    )


def default_positive(classes: Sequence[Any]) -> Any:
    """The positive class of a binary task when none is named: ``1`` or ``True``, else None.

    Examples
    --------
    >>> default_positive([0, 1]), default_positive([False, True]), default_positive(["no", "yes"])
    (1, True, None)
    """
    for label in classes:
        if isinstance(label, bool | np.bool_ | int | np.integer) and label == 1:
            return label
    return None


def _positive_class(name: str, classes: Sequence[Any], positive: Any) -> tuple[Any, int]:
    """The label and index a bare per-class name means on a binary task."""
    if positive is None:
        positive = default_positive(classes)
    if positive is None:
        shown = ", ".join(repr(c) for c in classes)
        raise ValidationError(
            f"metrics: {name!r} on a binary task means the positive class, and this probe has "
            f"none: its classes are {shown} (no 1 or True). Pass Probe(..., positive=...) "
            f"with one of them, or name the class, e.g. '{name}[{classes[-1]}]'."
        )
    for index, label in enumerate(classes):
        if label == positive or str(label) == str(positive):
            return label, index
    raise ValidationError(  # the facade checks positive= first; a direct caller may not
        f"metrics: positive class {positive!r} is not a class of this probe; "
        f"classes: {list(classes)}."
    )


def resolve_metric(
    name: str,
    *,
    task: Task,
    classes: Sequence[Any],
    has_scores: bool,
    positive: Any = None,
) -> Metric:
    """Return the metric object for ``name``, or raise an error that says what is valid.

    ``positive`` is the class a bare per-class name (``recall``, ``fpr``) means on a
    binary task; None: :func:`default_positive`.
    """
    if not isinstance(name, str):
        raise ValidationError(
            f"metrics: each metric is named by a str such as 'accuracy'; received {name!r}."
        )
    per_class = _PER_CLASS.match(name)
    entries = {**_BUILTIN, **_CUSTOM}
    if per_class and per_class["family"] in _FAMILIES:
        family = _FAMILIES[per_class["family"]]
        if task == "regression":
            raise ValidationError(
                f"metrics: {name!r} is a classification metric; this probe's task is regression. "
                f"Regression metrics: {', '.join(available_metrics('regression'))}."
            )
        _check_scores(name, family.needs_scores, has_scores)
        label, index = _match_label(per_class["label"], classes, name)
        return family.build(label, index, len(classes))
    if name in entries:
        entry = entries[name]
        if task not in entry.tasks:
            raise ValidationError(
                f"metrics: {name!r} does not apply to task {task!r}. Metrics for {task}: "
                f"{', '.join(available_metrics(task, classes)[:12])}..."
            )
        _check_scores(name, entry.needs_scores, has_scores)
        return entry.build(list(classes))
    if name in _FAMILIES and task == "binary":
        family = _FAMILIES[name]
        _check_scores(name, family.needs_scores, has_scores)
        label, index = _positive_class(name, classes, positive)
        metric = family.build(label, index, len(classes))
        metric.name = name
        return metric
    valid = available_metrics(task, classes)
    hint = did_you_mean(name, valid + list(_FAMILIES))
    if name in _FAMILIES:
        hint = (
            f" {name!r} is per class: write e.g. '{name}[{classes[-1] if classes else 'label'}]'."
        )
    raise ValidationError(
        f"metrics: unknown metric {name!r}.{hint} Valid for {task}: {', '.join(valid[:15])}"
        + (", ..." if len(valid) > 15 else ".")
    )


def _check_scores(name: str, needs_scores: bool, has_scores: bool) -> None:
    if needs_scores and not has_scores:
        raise ValidationError(
            f"metrics: {name!r} needs class probabilities, and this probe has none. Pass "
            "scores= (an n x K array or the probability columns) or a model with predict_proba."
        )


def resolve_metrics(
    names: Sequence[str] | str | None,
    *,
    task: Task,
    classes: Sequence[Any],
    has_scores: bool,
    positive: Any = None,
) -> list[Metric]:
    """Resolve a list of names (None: the task's defaults); duplicates are an error."""
    if names is None:
        names = default_metrics(task)
    elif isinstance(names, str):
        names = [names]
    names = list(names)
    if not names:
        raise ValidationError(
            "metrics: received an empty list; name at least one metric, or pass None for "
            f"the defaults ({', '.join(default_metrics(task))})."
        )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationError(f"metrics: {duplicates} listed more than once; list each once.")
    return [
        resolve_metric(n, task=task, classes=classes, has_scores=has_scores, positive=positive)
        for n in names
    ]
