"""A probe over a table that stays in its engine: counts come back, rows never do.

``Probe.from_parquet`` returns a :class:`TableProbe`. Its ``breakdown``,
``confusion``, ``metric`` (and so ``Suite.run``), ``compare`` and ``flips`` give
the same numbers as an in-memory :class:`~mlprobe.Probe` on the same rows, from
per-slice confusion counts computed by SQL (joint true x a x b counts for the
paired comparisons). What needs the rows themselves says so and names the
alternative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlprobe.core.breakdown import (
    BreakdownRequest,
    breakdown_table,
    check_confidence,
    metric_summary,
)
from mlprobe.core.comparison import compare_table, flips_from_joint
from mlprobe.core.confusion import check_normalize, confusion_frame
from mlprobe.core.group_stats import GroupStats
from mlprobe.core.grouping import CountedGroups, JointCounts
from mlprobe.core.labels import MAX_INFERRED_CLASSES, Task
from mlprobe.core.metrics import resolve_metric, resolve_metrics
from mlprobe.core.model_arrays import ModelArrays
from mlprobe.core.predicates import PREDICTION, TARGET, Predicate, col, prediction_column
from mlprobe.core.slices import Slice, as_slice
from mlprobe.engines.counting import SqlSource, count_tables, distinct_values
from mlprobe.engines.sql import ColumnKind
from mlprobe.errors import MlprobeError, ValidationError, did_you_mean, missing_column_error

__all__ = ["TableProbe"]

SliceLike = Slice | Predicate | str
DEFAULT_MODEL = "model"


class _CountedModel(ModelArrays):
    """A model known only by its counts: the metric code reads classes, task and row count."""

    def __init__(self, name: str, task: Task, classes: list[Any], n_rows: int) -> None:
        empty = np.zeros(0, dtype=np.int8)
        super().__init__(name, task, classes, empty, empty, None)
        self._n_rows = n_rows

    @property
    def n_rows(self) -> int:
        return self._n_rows


class TableProbe:
    """Breakdowns, confusion matrices and metrics of a table an engine scans.

    Build it with :meth:`mlprobe.Probe.from_parquet` (DuckDB) or
    :meth:`mlprobe.Probe.from_spark`.

    Parameters
    ----------
    engine : SqlSource
        Where the table lives: a :class:`~mlprobe.engines.duckdb_source.DuckDBSource` or a
        :class:`~mlprobe.engines.spark_source.SparkSource`.
    target : str
        The column of true labels.
    predictions : str or dict of str to str
        The prediction column, or columns by model name.
    task : {"binary", "multiclass"}, optional
        Inferred from the labels when None. Regression is not available on
        engines yet.
    """

    def __init__(
        self,
        engine: Any,
        *,
        target: str,
        predictions: str | Mapping[str, str],
        task: str | None = None,
    ) -> None:
        self._engine: SqlSource = engine
        self._kinds: dict[str, ColumnKind] = engine.kinds()
        columns = list(engine.types)
        if not isinstance(target, str):
            raise ValidationError(
                f"target: on an engine, name the target column; received {type(target).__name__}."
            )
        named = {DEFAULT_MODEL: predictions} if isinstance(predictions, str) else dict(predictions)
        if not named or not all(isinstance(v, str) for v in named.values()):
            raise ValidationError(
                "predictions: on an engine, give the prediction column's name, or a dict "
                f"{{model name: column name}}; received {predictions!r}."
            )
        for role, column in [
            ("target", target),
            *((f"predictions of {m!r}", c) for m, c in named.items()),
        ]:
            if column not in columns:
                raise missing_column_error(column, columns, role=f"{role} column")
        self._target = target
        self._predictions = named
        values = distinct_values(engine, target, {**self._kinds, target: "text"})
        for column in named.values():
            values += distinct_values(engine, column, {**self._kinds, column: "text"})
        if any(v is None for v in values):
            raise ValidationError(
                f"the target {target!r} or a prediction column has missing values; "
                "every evaluated row needs both."
            )
        self._classes = _sorted_labels(set(values))
        self._task = _task(task, self._classes, target)
        first = next(iter(named.values()))
        _, overall = count_tables(
            engine, [], labels=[target, first], classes=self._classes, kinds=self._kinds, aliases={}
        )
        self._n_rows = int(overall.sum())
        self._models = {m: _CountedModel(m, self._task, self._classes, self._n_rows) for m in named}

    # --- what the probe holds --------------------------------------------------------------

    @property
    def task(self) -> Task:
        """``"binary"`` or ``"multiclass"``."""
        return self._task

    @property
    def classes(self) -> list[Any]:
        """Class labels in the order of confusion matrices."""
        return list(self._classes)

    @property
    def models(self) -> list[str]:
        """Model names."""
        return list(self._models)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return self._n_rows

    @property
    def target_name(self) -> str:
        """The target column."""
        return self._target

    def __repr__(self) -> str:
        return (
            f"<mlprobe.TableProbe on {self._engine.description}: {self.n_rows} rows, "
            f"task={self.task!r}, models={self.models}, classes={self.classes}>"
        )

    # --- counting ----------------------------------------------------------------------------

    def _model(self, model: str | None, argument: str = "model") -> str:
        if model is None:
            if len(self._models) > 1:
                raise ValidationError(
                    f"{argument}: this probe has several models {self.models}; name one."
                )
            return self.models[0]
        if model not in self._models:
            raise ValidationError(
                f"{argument}: unknown model {model!r}.{did_you_mean(str(model), self.models)} "
                f"Models: {self.models}."
            )
        return model

    def _aliases(self, model: str) -> dict[str, str]:
        aliases = {TARGET: self._target, PREDICTION: self._predictions[model]}
        aliases.update({prediction_column(m): c for m, c in self._predictions.items()})
        return aliases

    def _counts(self, slices: Sequence[Slice], model: str) -> CountedGroups:
        tables, overall = count_tables(
            self._engine,
            slices,
            labels=[self._target, self._predictions[model]],
            classes=self._classes,
            kinds=self._kinds,
            aliases=self._aliases(model),
        )
        return CountedGroups(tables, overall)

    def _joint_counts(self, slices: Sequence[Slice], a: str, b: str) -> JointCounts:
        tables, overall = count_tables(
            self._engine,
            slices,
            labels=[self._target, self._predictions[a], self._predictions[b]],
            classes=self._classes,
            kinds=self._kinds,
            aliases=self._aliases(a),
        )
        return JointCounts(tables, overall)

    def groups(self, by: str | Sequence[str]) -> list[Slice]:
        """One slice per distinct value (or combination) of categorical ``by`` columns."""
        columns = [by] if isinstance(by, str) else list(by)
        per_column: list[list[Predicate]] = []
        for column in columns:
            if column not in self._kinds:
                raise missing_column_error(column, self._kinds, role="by column")
            values = distinct_values(self._engine, column, self._kinds)
            present = _sorted_labels({v for v in values if v is not None})
            if self._kinds[column] in ("number", "float") and len(present) > 10:
                raise ValidationError(
                    f"by: {column!r} has {len(present)} numeric values; on an engine, group numbers "
                    f"with slices=, e.g. ['{column} < 30', '{column} >= 30']."
                )
            conditions: list[Predicate] = [col(column) == v for v in present]
            if None in values:
                conditions.append(col(column).isnull())
            per_column.append(conditions)
        combos: list[Predicate] = per_column[0]
        for conditions in per_column[1:]:
            combos = [a & b for a in combos for b in conditions]
        return [Slice(None, p) for p in combos]

    # --- the questions -------------------------------------------------------------------------

    def breakdown(
        self,
        by: str | Sequence[str] | None = None,
        *,
        slices: Sequence[SliceLike] | None = None,
        metrics: Sequence[str] | str | None = None,
        model: str | Sequence[str] | None = None,
        confidence: float = 0.95,
        min_support: int = 30,
    ) -> pd.DataFrame:
        """The same table as :meth:`mlprobe.Probe.breakdown`, counted by the engine."""
        check_confidence(confidence)
        models = (
            self.models if model is None else ([model] if isinstance(model, str) else list(model))
        )
        models = [self._model(m) for m in models]
        chosen = [as_slice(s) for s in slices or []]
        if by is not None:
            chosen += self.groups(by)
        metric_objects = resolve_metrics(
            metrics, task=self._task, classes=self._classes, has_scores=False
        )
        groupings = {m: self._counts(chosen, m) for m in models}
        request = BreakdownRequest(chosen, groupings, metric_objects, confidence, min_support)
        return breakdown_table(request, {m: self._models[m] for m in models})

    def confusion(
        self,
        slice: SliceLike | None = None,
        *,
        model: str | None = None,
        normalize: str | None = None,
    ) -> pd.DataFrame:
        """The K x K confusion matrix of a slice (all rows by default)."""
        name = self._model(model)
        check_normalize(normalize)
        counted = self._counts([as_slice(slice)] if slice is not None else [], name)
        table = counted.tables[0] if slice is not None else counted.overall_table
        return confusion_frame(table, self._classes, normalize=normalize)

    def metric(
        self,
        metric: str,
        slice: SliceLike | None = None,
        *,
        model: str | None = None,
        confidence: float = 0.95,
    ) -> dict[str, float]:
        """One metric on one slice: ``{"value", "ci_low", "ci_high", "n"}`` (as ``Probe.metric``)."""
        name = self._model(model)
        metric_object = resolve_metric(
            metric, task=self._task, classes=self._classes, has_scores=False
        )
        counted = self._counts([as_slice(slice)] if slice is not None else [], name)
        grouping = counted if slice is not None else counted.overall()
        stats = GroupStats(grouping, self._models[name])
        return metric_summary(metric_object, stats, check_confidence(confidence))

    # --- what needs the rows -------------------------------------------------------------------

    def _needs_rows(self, what: str) -> MlprobeError:
        return MlprobeError(
            f"{what} needs the rows, which stay in the engine: load them into pandas "
            f"(e.g. pandas.read_parquet) and use mlprobe.Probe, or ask a breakdown, confusion "
            "or metric here."
        )

    def compare(
        self,
        a: str,
        b: str,
        *,
        by: str | Sequence[str] | None = None,
        slices: Sequence[SliceLike] | None = None,
        metric: str | None = None,
        confidence: float = 0.95,
        min_support: int = 30,
    ) -> pd.DataFrame:
        """Two models on the same rows, per slice (as :meth:`mlprobe.Probe.compare`).

        Counted as (true, prediction of a, prediction of b) tables, so the tests
        are paired: McNemar's for accuracy and error rate.
        """
        name_a, name_b = self._model(a, "a"), self._model(b, "b")
        if name_a == name_b:
            raise ValidationError(
                f"compare: a and b are both {name_a!r}; name two different models."
            )
        confidence = check_confidence(confidence)
        metric_object = resolve_metric(
            metric or "accuracy", task=self._task, classes=self._classes, has_scores=False
        )
        chosen = [as_slice(s) for s in slices or []] + (self.groups(by) if by is not None else [])
        if any(PREDICTION in s.columns() for s in chosen):
            raise ValidationError(
                "compare: slices on '@prediction' differ between the two models; "
                "name the model, e.g. '@prediction[v1]'."
            )
        return compare_table(
            self._models[name_a],
            self._models[name_b],
            chosen,
            self._joint_counts(chosen, name_a, name_b),
            metric_object,
            confidence=confidence,
            min_support=min_support,
        )

    def flips(self, a: str, b: str, *, slice: SliceLike | None = None) -> pd.DataFrame:
        """2 x 2 counts of rows right or wrong under model ``a`` and under model ``b``."""
        name_a, name_b = self._model(a, "a"), self._model(b, "b")
        chosen = [as_slice(slice)] if slice is not None else []
        joint = self._joint_counts(chosen, name_a, name_b)
        table = joint.joint[0] if chosen else joint.overall_joint
        return flips_from_joint(table, name_a, name_b)

    def rows(self, *args: Any, **kwargs: Any) -> Any:
        """Not on engines: row samples need the rows."""
        raise self._needs_rows("rows()")

    def mask(self, *args: Any, **kwargs: Any) -> Any:
        """Not on engines: a mask is per row."""
        raise self._needs_rows("mask()")

    def explore(self, *args: Any, **kwargs: Any) -> Any:
        """Not on engines: the explorer works on an in-memory Probe."""
        raise self._needs_rows("explore()")

    def find_slices(self, *args: Any, **kwargs: Any) -> Any:
        """Not on engines yet: discovery bins and counts the rows in memory."""
        raise self._needs_rows("find_slices()")


def _sorted_labels(values: set[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=lambda v: (type(v).__name__, str(v)))


def _task(task: str | None, classes: list[Any], target: str) -> Task:
    if any(isinstance(c, float) for c in classes):  # integral floats became ints already
        raise ValidationError(
            f"task: the target {target!r} holds fractional numbers, a regression target; "
            "regression is not available on engines yet: load the rows into pandas and use "
            "mlprobe.Probe."
        )
    if task is None:
        if len(classes) <= 2:
            return "binary"
        if all(isinstance(c, str | bool) for c in classes) or len(classes) <= MAX_INFERRED_CLASSES:
            return "multiclass"
        raise ValidationError(
            f"task: the target {target!r} has {len(classes)} distinct values; pass "
            "task='multiclass' (regression is not available on engines yet)."
        )
    if task == "regression":
        raise ValidationError(
            "task: regression is not available on engines yet; load the rows into pandas and use "
            "mlprobe.Probe, or break down a classification target."
        )
    if task not in ("binary", "multiclass"):
        raise ValidationError(
            f"task must be 'binary' or 'multiclass' on an engine; received {task!r}."
        )
    return task  # type: ignore[return-value]
