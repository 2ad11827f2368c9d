"""A probe over a table that stays in its engine: counts come back, rows never do.

``Probe.from_parquet`` and ``Probe.from_spark`` return a :class:`TableProbe`.
Its ``breakdown``, ``confusion``, ``metric`` (and so ``Suite.run``), ``compare``
and ``flips`` give the same numbers as an in-memory :class:`~mlprobe.Probe` on
the same rows: classification metrics from per-slice confusion counts computed
by SQL (joint true x a x b counts for the paired comparisons), regression and
probability metrics from per-slice sums of row terms and exact rank statistics
(:mod:`mlprobe.engines.row_sums`). What needs the rows themselves says so and
names the alternative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlglot import exp

from mlprobe.core.analyses.profiles import ColumnProfile
from mlprobe.core.backend import ByGroups
from mlprobe.core.counting.grouping import CountedGroups, Grouping, JointCounts
from mlprobe.core.counting.row_terms import RowTerm
from mlprobe.core.intake.labels import MAX_INFERRED_CLASSES, TASKS, Task, check_label_sets
from mlprobe.core.intake.model_arrays import ModelArrays
from mlprobe.core.intake.outputs import PROBABILITY_TOLERANCE
from mlprobe.core.metrics import Metric, resolve_metric
from mlprobe.core.metrics._base import RowMeanMetric
from mlprobe.core.slicing.groups import (
    DEFAULT_BINS,
    MAX_VALUE_GROUPS,
    Bins,
    bin_predicates,
    check_bins,
    quantile_cuts,
)
from mlprobe.core.slicing.predicates import (
    PREDICTION,
    TARGET,
    Predicate,
    check_no_reserved_columns,
    col,
    prediction_column,
)
from mlprobe.core.slicing.slices import Slice
from mlprobe.engines.counting import (
    SqlSource,
    column_profile,
    column_quantiles,
    count_tables,
    distinct_values,
)
from mlprobe.engines.row_sums import RowQuery, SqlRows
from mlprobe.engines.row_terms_sql import ModelOutputs, RowTermSql
from mlprobe.engines.sql import ColumnKind, column_ref
from mlprobe.errors import (
    DataError,
    MlprobeError,
    ValidationError,
    missing_column_error,
)

__all__ = ["SqlBackend"]

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


class SqlBackend:
    """Breakdowns, confusion matrices and metrics of a table an engine scans.

    Build it with :meth:`mlprobe.Probe.from_parquet` (DuckDB) or
    :meth:`mlprobe.Probe.from_spark`.

    Parameters
    ----------
    engine : SqlSource
        Where the table lives: a :class:`~mlprobe.engines.duckdb_source.DuckDBSource` or a
        :class:`~mlprobe.engines.spark_source.SparkSource`.
    target : str
        The column of true labels or values.
    predictions : str or dict of str to str
        The prediction column, or columns by model name.
    scores : str, list of str, or dict of model name to those, optional
        Class probability columns: the positive class's column (binary), or one
        column per class in the order of :attr:`classes`; a dict with several models.
    task : {"binary", "multiclass", "regression"}, optional
        Inferred from the columns when None, as :class:`mlprobe.Probe` does.
    """

    def __init__(
        self,
        engine: Any,
        *,
        target: str,
        predictions: str | Mapping[str, str],
        scores: Any = None,
        task: str | None = None,
    ) -> None:
        self._engine: SqlSource = engine
        self._kinds: dict[str, ColumnKind] = engine.kinds()
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
        columns = list(engine.types)
        check_no_reserved_columns(columns)
        for role, column in [
            ("target", target),
            *((f"predictions of {m!r}", c) for m, c in named.items()),
        ]:
            if column not in columns:
                raise missing_column_error(column, columns, role=f"{role} column")
        self._target = target
        self._predictions = named
        score_columns = _score_columns(scores, list(named), columns)
        for column in {c for cs in score_columns.values() for c in cs}:
            if self._kinds.get(column) not in ("number", "float"):
                raise ValidationError(
                    f"scores column {column!r} holds {engine.types[column]} values; "
                    "expected class probabilities (numbers between 0 and 1)."
                )
        label_columns = [target, *dict.fromkeys(named.values())]
        profile = column_profile(
            engine, [*label_columns, *{c for cs in score_columns.values() for c in cs}], self._kinds
        )
        for column, facts in profile.items():
            if facts["missing"] > 0:
                role = "scores" if column not in label_columns else "target or prediction"
                raise DataError(
                    f"{role} column {column!r} has {int(facts['missing'])} missing value(s) "
                    "(NaN included); metrics need a value for every row: filter those rows "
                    "out first (e.g. a DuckDB view or dataframe.dropna())."
                )
        self._task, self._classes = _task_and_classes(
            task, engine, label_columns, self._kinds, profile
        )
        if self._task != "regression":
            _check_label_types(target, named, self._kinds)
        if self._task == "regression" and score_columns:
            raise ValidationError(
                "scores: a regression probe takes no class probabilities; drop scores=."
            )
        for column, facts in profile.items():
            if column not in label_columns:
                _check_probability_range(column, facts)
        self._scores = _check_score_count(score_columns, self._classes)
        _check_rows_sum_to_one(engine, self._scores, self._kinds)
        self._outputs = ModelOutputs(
            target,
            named,
            self._scores,
            self._classes,
            target_mean=profile[target].get("mean", 0.0) if self._task == "regression" else 0.0,
        )
        _, overall = count_tables(
            engine, [], labels=[], classes=self._classes, kinds=self._kinds, aliases={}
        )
        self._n_rows = int(overall)
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

    # --- counting ----------------------------------------------------------------------------

    def _aliases(self, model: str) -> dict[str, str]:
        aliases = {TARGET: self._target, PREDICTION: self._predictions[model]}
        aliases.update({prediction_column(m): c for m, c in self._predictions.items()})
        return aliases

    def _labels(self, *models: str) -> list[str]:
        """The columns a confusion table counts by: target and predictions (none for regression)."""
        if self._task == "regression":
            return []
        return [self._target, *(self._predictions[m] for m in models)]

    def _rows(
        self, slices: Sequence[Slice], aliases: Mapping[str, str], wanted: list[tuple[Any, str]]
    ) -> SqlRows:
        query = RowQuery(
            self._engine,
            slices,
            RowTermSql(self._outputs, self._kinds),
            self._kinds,
            aliases,
            wanted,
        )
        return SqlRows(query)

    def _counts(
        self, slices: Sequence[Slice], model: str, metrics: Sequence[Metric] = ()
    ) -> CountedGroups:
        aliases = self._aliases(model)
        tables, overall = count_tables(
            self._engine,
            slices,
            labels=self._labels(model),
            classes=self._classes,
            kinds=self._kinds,
            aliases=aliases,
        )
        wanted = [(t, model) for m in metrics for t in m.row_terms()]
        return CountedGroups(tables, overall, self._rows(slices, aliases, wanted))

    def _joint_counts(
        self, slices: Sequence[Slice], a: str, b: str, metric: Metric
    ) -> CountedGroups:
        aliases = self._aliases(a)
        tables, overall = count_tables(
            self._engine,
            slices,
            labels=self._labels(a, b),
            classes=self._classes,
            kinds=self._kinds,
            aliases=aliases,
        )
        wanted = [(t, m) for t in metric.row_terms() for m in (a, b)]
        if isinstance(metric, RowMeanMetric):  # paired: the per-row differences b - a
            wanted += [(RowTerm(metric.quantity, p, versus=a), b) for p in (1, 2)]
        rows = self._rows(slices, aliases, wanted)
        if self._task == "regression":
            return CountedGroups(tables, overall, rows)
        return JointCounts(tables, overall, rows)

    def groups(self, columns: list[str], bins: Bins) -> list[Slice]:
        """The slices ``breakdown(by=...)`` shows: one per group, as :meth:`mlprobe.Probe.groups`.

        Text and bool columns give a group per value; numeric columns are grouped by
        value when they have at most 10 and no ``bins`` is given, else binned at
        exact quantiles computed by the engine (or at the cut points in ``bins``).
        Missing values form their own group; crossed columns keep the combinations
        that occur.
        """
        per_column = [self._column_groups(column, bins) for column in columns]
        combos: list[Predicate] = list(per_column[0][0])
        for conditions, _ in per_column[1:]:
            combos = [a & b for a in combos for b in conditions]
        chosen = [Slice(None, p) for p in combos]
        if len(columns) > 1 or any(maybe_empty for _, maybe_empty in per_column):
            sizes, _ = count_tables(
                self._engine,
                chosen,
                labels=[],
                classes=[],
                kinds=self._kinds,
                aliases=self._aliases(self.models[0]),
            )
            chosen = [s for s, n in zip(chosen, sizes, strict=True) if n > 0]
        return chosen

    def _group_source(self, column: str) -> tuple[str, str]:
        """A ``by`` column's name in the groups' conditions, and the data column behind it:
        itself, or the one a reserved name stands for (``@target``; ``@prediction`` of a
        single model, named ``@prediction[model]`` as in memory; ``@prediction[model]``)."""
        aliases = {
            TARGET: self._target,
            **{prediction_column(m): c for m, c in self._predictions.items()},
        }
        if column == PREDICTION and len(self._predictions) == 1:
            column = prediction_column(self.models[0])
        if column in aliases:
            return column, aliases[column]
        if column == PREDICTION:
            raise ValidationError(
                f"by: {PREDICTION!r} is ambiguous with several models; name one, e.g. "
                f"{prediction_column(self.models[0])!r}."
            )
        if column not in self._kinds:
            raise missing_column_error(column, self._kinds, role="by column")
        return column, column

    def _column_groups(self, column: str, bins: Bins) -> tuple[list[Predicate], bool]:
        """The groups of one column, and whether some of them may hold no rows."""
        column, source = self._group_source(column)
        kind = self._kinds[source]
        if kind == "timestamp":  # as in memory (mlprobe.core.slicing.groups)
            raise ValidationError(
                f"by: column {column!r} holds datetimes, which cannot be grouped yet. Derive a "
                "column (e.g. the month as text) and group by that."
            )
        numeric = kind in ("number", "float")
        # a categorical (from pandas or Arrow) is grouped per level, as in memory: never binned
        categorical = source in getattr(self._kinds, "categorical", ())
        if categorical and numeric and bins is not None:
            raise ValidationError(
                f"bins: column {column!r} is categorical, so it is grouped by level, not binned. "
                "Convert it to numbers to bin it, or pass bins=None."
            )
        limit = MAX_VALUE_GROUPS + 2 if numeric and not categorical else None  # null, one more
        values = distinct_values(self._engine, source, self._kinds, limit=limit)
        present = _sorted_labels({v for v in values if v is not None})
        if kind == "float":  # named as in memory: x == 3.0
            present = [float(v) for v in present]
        levels = getattr(self._kinds, "levels", {}).get(source)
        if levels is not None:  # ordered: in the declared order, as in memory
            present = [v for v in levels if v in set(present)]
        has_null = None in values
        if not numeric or categorical or (bins is None and len(present) <= MAX_VALUE_GROUPS):
            conditions: list[Predicate] = [col(column) == v for v in present]
            return [*conditions, *([col(column).isnull()] if has_null else [])], False
        checked = check_bins(DEFAULT_BINS if bins is None else bins, column)
        if isinstance(checked, int):
            profile = column_profile(self._engine, [source], self._kinds)[source]
            if not present or checked == 1:
                cuts: list[float] = []
            else:
                levels = [i / checked for i in range(1, checked)]
                quantiles = column_quantiles(self._engine, source, self._kinds, levels)
                integral = profile["fractional"] == 0
                cuts = quantile_cuts(quantiles, profile["min"], integral)
            has_null = has_null or profile["missing"] > 0
        else:
            cuts = checked
            has_null = has_null or bool(
                column_profile(self._engine, [source], self._kinds)[source]["missing"]
            )
        conditions = bin_predicates(column, cuts)
        return [*conditions, *([col(column).isnull()] if has_null else [])], True

    # --- the questions -------------------------------------------------------------------------

    # --- the backend questions ------------------------------------------------------------------

    def groupings(
        self, slices: list[Slice], by: ByGroups, models: list[str], metrics: Sequence[Metric]
    ) -> dict[str, Grouping]:
        """Per model, the slices' counts, with the metrics' sums and ranks fetched where the
        rows are (``by``'s groups are slices like the others here)."""
        return {m: self._counts(slices, m, metrics) for m in models}

    def paired_grouping(
        self, slices: list[Slice], by: ByGroups, a: str, b: str, metric: Metric
    ) -> Grouping:
        """The slices' (true, prediction of a, prediction of b) counts, so the tests are
        paired (McNemar's for accuracy)."""
        return self._joint_counts(slices, a, b, metric)

    def one_group(self, chosen: Slice | None, model: str, metrics: Sequence[Metric]) -> Grouping:
        """All rows, or one slice's rows, as one group."""
        counted = self._counts([chosen] if chosen is not None else [], model, metrics)
        return counted if chosen is not None else counted.overall()

    def confusion_table(self, chosen: Slice | None, model: str) -> np.ndarray:
        """The K x K counts of a slice, or of all rows."""
        counted = self._counts([chosen] if chosen is not None else [], model)
        return counted.tables[0] if chosen is not None else counted.overall_table

    def joint_table(self, chosen: Slice | None, a: str, b: str) -> np.ndarray:
        """The K x K x K counts (true, prediction of a, prediction of b) of a slice."""
        accuracy = resolve_metric(
            "accuracy", task=self._task, classes=self._classes, has_scores=False
        )
        joint = self._joint_counts([chosen] if chosen is not None else [], a, b, accuracy)
        assert isinstance(joint, JointCounts)
        return joint.joint[0] if chosen is not None else joint.overall_joint

    def arrays(self, model: str) -> ModelArrays:
        """The metric code's view of a model: task and classes (the rows stay in the engine)."""
        return self._models[model]

    def has_scores(self, model: str) -> bool:
        return model in self._scores

    def columns(self) -> list[str]:
        """The table's columns, then ``@target`` and the prediction columns."""
        names = [*self._engine.types, TARGET]
        if len(self._predictions) == 1:
            names.append(PREDICTION)
        return names + [prediction_column(m) for m in self._predictions]

    def nbytes(self) -> int:
        """0: the rows and their counts stay in the engine."""
        return 0

    # --- what needs the rows -------------------------------------------------------------------

    #: the rows stay in the engine
    holds_rows = False

    @property
    def description(self) -> str:
        """Where the rows are: the engine and its source."""
        return str(self._engine.where)

    def _needs_rows(self, what: str) -> MlprobeError:
        return MlprobeError(
            f"{what} needs the rows, which stay in the engine: load them into pandas "
            f"(e.g. pandas.read_parquet) and use mlprobe.Probe, or ask a breakdown, confusion "
            "or metric here."
        )

    @property
    def data(self) -> pd.DataFrame:
        raise self._needs_rows("data")

    def describe_column(self, name: str) -> ColumnProfile:
        raise self._needs_rows("describe_column()")

    def mask(self, chosen: Slice, model: str | None) -> np.ndarray:
        raise self._needs_rows("mask()")

    def rows(
        self, chosen: Slice | None, model: str, n: int, errors_first: bool, seed: int
    ) -> pd.DataFrame:
        raise self._needs_rows("rows()")

    def find_slices(self, model: str, **options: Any) -> pd.DataFrame:
        raise self._needs_rows("find_slices()")


def _check_label_types(
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


def _check_rows_sum_to_one(
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


def _check_probability_range(column: str, facts: Mapping[str, float]) -> None:
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


def _sorted_labels(values: set[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=lambda v: (type(v).__name__, str(v)))


def _score_columns(scores: Any, models: list[str], columns: list[str]) -> dict[str, list[str]]:
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


def _check_score_count(scores: dict[str, list[str]], classes: list[Any]) -> dict[str, list[str]]:
    k = len(classes)
    for model, names in scores.items():
        if len(names) != k and not (k == 2 and len(names) == 1):
            raise ValidationError(
                f"scores of {model!r}: expected one probability column per class, in the order "
                f"{classes} ({k} columns){', or the positive class only' if k == 2 else ''}; "
                f"received {len(names)}: {names}."
            )
    return scores


#: distinct labels fetched at most: a classification target with more is a mistake
MAX_CLASSES = 10_000


def _task_and_classes(
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
    classes = _sorted_labels(values)
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
