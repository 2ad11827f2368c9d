"""A probe over a table that stays in its engine: counts come back, the table never does.

``Probe.from_parquet``, ``Probe.from_duckdb`` and ``Probe.from_spark`` build a
:class:`~mlprobe.Probe` over a :class:`SqlBackend`. Its ``breakdown``, ``confusion``,
``metric`` (and so ``Suite.run``), ``compare``, ``flips`` and ``describe_column`` give the
same numbers as an in-memory :class:`~mlprobe.Probe` on the same rows: classification
metrics from per-slice confusion counts computed by SQL (joint true x a x b counts for the
paired comparisons; each slice's counts are kept, so asking again scans nothing), regression
and probability metrics from per-slice sums of row terms and exact rank statistics
(:mod:`mlprobe.engines._row_sums`). ``rows`` fetches a few rows of a slice, ordered and cut
in the engine (:mod:`mlprobe.engines._rows_sql`), so the explorer works here too. What
needs every row in Python (``mask``, ``data``) says so and names the alternative.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlglot import exp

from mlprobe.core.analyses._slice_search import CellCounts
from mlprobe.core.analyses.discovery import Loss
from mlprobe.core.analyses.profiles import ColumnProfile
from mlprobe.core.backend import ByGroups
from mlprobe.core.counting._row_terms import RowTerm
from mlprobe.core.counting.grouping import CountedGroups, Grouping, JointCounts
from mlprobe.core.intake.labels import Task
from mlprobe.core.intake.model_arrays import ModelArrays
from mlprobe.core.metrics import Metric, resolve_metric
from mlprobe.core.metrics._base import RowMeanMetric
from mlprobe.core.slicing._discretize import ColumnBins
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
    Compare,
    IsNull,
    Predicate,
    check_no_reserved_columns,
    col,
    prediction_column,
)
from mlprobe.core.slicing.slices import Slice
from mlprobe.engines._count_cache import CountCache
from mlprobe.engines._counting import (
    SqlSource,
    column_profile,
    column_quantiles,
    count_tables,
    distinct_values,
)
from mlprobe.engines._discovery_sql import engine_loss_cells
from mlprobe.engines._row_sums import RowQuery, SqlRows
from mlprobe.engines._row_terms_sql import ModelOutputs, RowTermSql
from mlprobe.engines._sql_describe import DescribedTable, describe_column
from mlprobe.engines._sql_intake import (
    check_auc_bins,
    check_label_types,
    check_probability_range,
    check_rows_sum_to_one,
    check_score_count,
    score_columns,
    sorted_labels,
    task_and_classes,
)
from mlprobe.engines._sql_sample import SampledTable, sample_rows
from mlprobe.engines._sql_values import plain_value
from mlprobe.engines.sql import ColumnKind, column_ref, compile_predicate
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
    auc_bins : int, optional
        ROC AUC from the scores cut into this many equal-width bins of [0, 1] (at least 2),
        with each value's error bound in :meth:`auc_error_bounds`; None (default): exact.
    """

    def __init__(
        self,
        engine: Any,
        *,
        target: str,
        predictions: str | Mapping[str, str],
        scores: Any = None,
        task: str | None = None,
        auc_bins: int | None = None,
    ) -> None:
        self._auc_bins = check_auc_bins(auc_bins)
        #: error bounds of binned ROC AUCs, per (model, class index), of the last call
        self._auc_bounds: dict[tuple[str, int], dict[str, np.ndarray]] = {}
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
        score_sets = score_columns(scores, list(named), columns)
        for column in {c for cs in score_sets.values() for c in cs}:
            if self._kinds.get(column) not in ("number", "float"):
                raise ValidationError(
                    f"scores column {column!r} holds {engine.types[column]} values; "
                    "expected class probabilities (numbers between 0 and 1)."
                )
        label_columns = [target, *dict.fromkeys(named.values())]
        profile = column_profile(
            engine, [*label_columns, *{c for cs in score_sets.values() for c in cs}], self._kinds
        )
        for column, facts in profile.items():
            if facts["missing"] > 0:
                role = "scores" if column not in label_columns else "target or prediction"
                raise DataError(
                    f"{role} column {column!r} has {int(facts['missing'])} missing value(s) "
                    "(NaN included); metrics need a value for every row: filter those rows "
                    "out first (e.g. a DuckDB view or dataframe.dropna())."
                )
        self._task, self._classes = task_and_classes(
            task, engine, label_columns, self._kinds, profile
        )
        if self._task != "regression":
            check_label_types(target, named, self._kinds)
        if self._task == "regression" and score_sets:
            raise ValidationError(
                "scores: a regression probe takes no class probabilities; drop scores=."
            )
        for column, facts in profile.items():
            if column not in label_columns:
                check_probability_range(column, facts)
        self._scores = check_score_count(score_sets, self._classes)
        check_rows_sum_to_one(engine, self._scores, self._kinds)
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
        #: each slice's counts, per label columns (the table does not change under the probe)
        self._count_cache = CountCache()
        self._profiles: dict[str, ColumnProfile] = {}

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

    def _count_tables(
        self, slices: Sequence[Slice], labels: list[str], aliases: Mapping[str, str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """:func:`~mlprobe.engines._counting.count_tables`, asking the engine only about the
        slices (and all rows) not counted yet by the same label columns."""
        keys = [_count_key(s, labels, aliases) for s in slices]
        everything = (tuple(labels), "all rows")
        cache = self._count_cache
        # held here, so that storing new tables (which may drop old ones) loses none of them
        known: dict[Any, np.ndarray | None] = {k: cache.get(k) for k in keys}
        missing = {k: s for k, s in zip(keys, slices, strict=True) if known[k] is None}
        overall_table = cache.get(everything)
        by_value, every_row = self._count_by_value(missing, labels)
        for k, table in by_value.items():
            known[k] = table
            cache.put(k, table)
            del missing[k]
        if overall_table is None and every_row is not None:  # all groups of a column
            overall_table = every_row
            cache.put(everything, every_row)
        if missing or overall_table is None:
            tables, overall_table = count_tables(
                self._engine,
                list(missing.values()),
                labels=labels,
                classes=self._classes,
                kinds=self._kinds,
                aliases=aliases,
            )
            cache.put(everything, overall_table)
            for k, table in zip(missing, tables, strict=True):
                known[k] = table
                cache.put(k, table)
        shape = (len(self._classes),) * len(labels)
        found = [known[k] for k in keys]
        stacked = (
            np.stack(found)  # type: ignore[arg-type]  # every key is known now
            if found
            else np.zeros((0, *shape), dtype=np.int64)
        )
        return stacked, np.array(overall_table)

    def _count_by_value(
        self, missing: Mapping[Any, Slice], labels: list[str]
    ) -> tuple[dict[Any, np.ndarray], np.ndarray | None]:
        """The tables of many ``column == value`` (or ``column is null``) slices of one data
        column -- the groups ``by=`` or "Add groups" make -- from one ``GROUP BY column``
        scan instead of a conditional sum per slice (40 groups of 5e7 rows: 1 s, not 9 s).
        Also all rows' table (the sum of a column's groups), or None when nothing was counted."""
        per_column: dict[str, list[tuple[Any, Any]]] = {}
        for key, chosen in missing.items():
            node = chosen.predicate
            if isinstance(node, Compare) and node.op == "eq":
                if _fits_kind(self._kinds.get(node.column), node.value):  # else: refused later
                    per_column.setdefault(node.column, []).append((key, node.value))
            elif isinstance(node, IsNull):
                per_column.setdefault(node.column, []).append((key, None))
        found: dict[Any, np.ndarray] = {}
        every_row: np.ndarray | None = None
        k = len(self._classes)
        position = {label: i for i, label in enumerate(self._classes)}
        for column, wanted in per_column.items():
            kind = self._kinds.get(column)
            if len(wanted) < MIN_VALUE_GROUPS or kind not in ("text", "number", "float", "bool"):
                continue
            value = column_ref(column, self._kinds)
            query = (
                exp.select(
                    value,
                    *(exp.column(c, quoted=True) for c in labels),
                    exp.Count(this=exp.Star()),
                )
                .from_(self._engine.source(), copy=False)
                .group_by(value.copy(), *(exp.column(c, quoted=True) for c in labels), copy=False)
            )
            tables: dict[Any, np.ndarray] = {}
            for row in self._engine.rows(query, []):
                table = tables.setdefault(row[0], np.zeros((k,) * len(labels), dtype=np.int64))
                cell = tuple(position[plain_value(v, integral=True)] for v in row[1:-1])
                table[cell] += int(row[-1])
            empty = np.zeros((k,) * len(labels), dtype=np.int64)
            for key, level in wanted:
                found[key] = tables.get(level, empty)
            every_row = sum(tables.values(), empty.copy())
        return found, every_row

    def _rows(
        self,
        slices: Sequence[Slice],
        aliases: Mapping[str, str],
        wanted: list[tuple[Any, str]],
        tables: np.ndarray,
        overall: np.ndarray,
    ) -> SqlRows:
        labels = None
        if self._task != "regression":  # rows per true class: the first axis of the tables
            k = len(self._classes)
            per_slice = tables.reshape(len(slices), k, k ** (tables.ndim - 2)).sum(axis=2)
            labels = (per_slice, overall.reshape(k, -1).sum(axis=1))
        query = RowQuery(
            self._engine,
            slices,
            RowTermSql(self._outputs, self._kinds),
            self._kinds,
            aliases,
            wanted,
            labels=labels,
            auc_bins=self._auc_bins,
            auc_bounds=self._auc_bounds,
        )
        return SqlRows(query)

    def auc_error_bounds(self) -> pd.DataFrame:
        """With ``auc_bins``: how far each binned ROC AUC may be from the exact one, for the
        groups of the latest call that computed it per model and class: columns ``model``,
        ``class``, ``slice`` (``"overall"`` first), ``bound`` (the group's) and
        ``rest_bound`` (the rest of the rows'). The bound is the share of the group's
        positive-negative pairs that fall in one bin, halved; NaN without positives or
        negatives. Empty without ``auc_bins``."""
        parts = []
        for (model, class_index), found in self._auc_bounds.items():
            names = ["overall", *found["names"]]
            parts.append(
                pd.DataFrame(
                    {
                        "model": model,
                        "class": [self._classes[class_index]] * len(names),
                        "slice": names,
                        "bound": np.concatenate([found["overall"], found["slices"]]),
                        "rest_bound": np.concatenate([[np.nan], found["complement"]]),
                    }
                )
            )
        columns = ["model", "class", "slice", "bound", "rest_bound"]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)

    def _counts(
        self, slices: Sequence[Slice], model: str, metrics: Sequence[Metric] = ()
    ) -> CountedGroups:
        aliases = self._aliases(model)
        tables, overall = self._count_tables(slices, self._labels(model), aliases)
        wanted = [(t, model) for m in metrics for t in m.row_terms()]
        return CountedGroups(tables, overall, self._rows(slices, aliases, wanted, tables, overall))

    def _joint_counts(
        self, slices: Sequence[Slice], a: str, b: str, metric: Metric
    ) -> CountedGroups:
        aliases = self._aliases(a)
        tables, overall = self._count_tables(slices, self._labels(a, b), aliases)
        wanted = [(t, m) for t in metric.row_terms() for m in (a, b)]
        if isinstance(metric, RowMeanMetric):  # paired: the per-row differences b - a
            wanted += [(RowTerm(metric.quantity, p, versus=a), b) for p in (1, 2)]
        rows = self._rows(slices, aliases, wanted, tables, overall)
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
        present = sorted_labels({v for v in values if v is not None})
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
        rows are (``by``'s groups are slices like the others here).

        Several models are counted in one scan when they can be: the joint counts (true,
        each model's prediction) hold every model's table (summed over the other models'
        axes), and they are kept for a later comparison of the models.
        """
        self._count_models_together(slices, models)
        return {m: self._counts(slices, m, metrics) for m in models}

    def _count_models_together(self, slices: list[Slice], models: list[str]) -> None:
        """Count the slices for all ``models`` in one scan and keep each model's tables
        (when the joint table is small and no slice reads a model's own '@prediction')."""
        k = len(self._classes)
        if (
            len(models) < 2
            or self._task == "regression"
            or k ** (len(models) + 1) > MAX_JOINT_CELLS
            or any(PREDICTION in s.columns() for s in slices)
        ):
            return
        labels = [self._labels(m) for m in models]
        aliases = self._aliases(models[0])
        keys = [[_count_key(s, m_labels, aliases) for s in slices] for m_labels in labels]
        if all(self._count_cache.get(key) is not None for row in keys for key in row):
            return
        joint_labels = [self._target, *(self._predictions[m] for m in models)]
        tables, overall = self._count_tables(slices, joint_labels, aliases)
        for j, (m_labels, m_keys) in enumerate(zip(labels, keys, strict=True)):
            others = tuple(2 + i for i in range(len(models)) if i != j)
            for key, table in zip(m_keys, tables, strict=True):
                self._count_cache.put(key, table.sum(axis=tuple(a - 1 for a in others)))
            everything = (tuple(m_labels), "all rows")
            self._count_cache.put(everything, overall.sum(axis=tuple(a - 1 for a in others)))

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
        """A column's levels with their counts, or its range: what memory gives, from one or
        two queries (kept: asking again about a column queries nothing).

        - Text, bool and categorical columns (and ``@target``, ``@prediction``,
          ``@prediction[model]`` of a classification): the levels with their counts, most
          frequent first, ties in the column's order as in memory (sorted values; an ordered
          categorical's declared levels; the classes' order for the labels), the missing
          values, ``ordered=True``. At most :data:`~mlprobe.engines._rows_sql.MAX_LEVELS`
          (1000) levels are listed: a column with more lists its 1000 most frequent, with
          exact counts (memory lists every level); the counts then sum to fewer than the
          present rows, which is how a caller tells. A column of mostly distinct values (an
          id, free text: over 50,000 distinct values among the first 100,000 rows) lists no
          level at all, only its missing values: counting 5e7 distinct values would take the
          engine tens of seconds and gigabytes, for levels no one picks from a list.
        - Numeric columns: missing values (NaN included), minimum and maximum (ints for
          integer columns, floats for float ones; memory holds a pandas nullable ``Int64``
          column as floats, so it gives floats there). Regression labels: floats, as memory.
        - Datetime columns: the range as pandas Timestamps, in the column's time zone when it
          has one (UTC when the engine does not know the zone), as memory.
        """
        profile = self._profiles.get(name)
        if profile is None:
            profile = self._describe(name)
            self._profiles[name] = profile
        return dataclasses.replace(profile, levels=list(profile.levels))

    def _label_source(self, name: str) -> str | None:
        """The column behind ``@target``, ``@prediction`` (the first model's) or
        ``@prediction[model]``; None for a data column."""
        if name == TARGET:
            return self._target
        if name == PREDICTION:
            return self._predictions[self.models[0]]
        for model, column in self._predictions.items():
            if name == prediction_column(model):
                return column
        return None

    def _describe(self, name: str) -> ColumnProfile:
        table = DescribedTable(
            self._engine,
            self._kinds,
            self._task,
            self._classes,
            self._n_rows,
            self.models[0],
            self.columns(),
        )
        return describe_column(table, name, self._label_source(name))

    def check_slice(self, chosen: Slice, model: str | None) -> None:
        """Refuse a slice this probe cannot evaluate, without scanning: the predicate is
        compiled to SQL, which raises what memory raises for an unknown column
        (:class:`~mlprobe.errors.ColumnNotFoundError`), a value of the wrong type or a value
        that is not a level of an ordered column (:class:`~mlprobe.errors.ValidationError`).
        Unlike memory it does not warn about a value the column never holds (that would take
        a scan)."""
        aliases = self._aliases(model if model is not None else self.models[0])
        compile_predicate(chosen.predicate, self._kinds, aliases=aliases)

    def mask(self, chosen: Slice, model: str | None) -> np.ndarray:
        """Refused: a mask is one bool per row of the table, which stays in the engine."""
        raise MlprobeError(
            f"mask() returns one bool per row of the table ({self._n_rows:,} rows here), which "
            "stays in the engine; fetching them would bring the whole table's worth of rows "
            "into Python. Instead: probe.rows(slice) shows rows of the slice, "
            "probe.breakdown(slices=[slice]), metric() or confusion() give its numbers, "
            "check_slice(slice) checks it; or load the table into pandas (e.g. "
            "pandas.read_parquet) and use mlprobe.Probe for masks."
        )

    def rows(
        self, chosen: Slice | None, model: str, n: int, errors_first: bool, seed: int
    ) -> pd.DataFrame:
        """Up to ``n`` rows of a slice with the model's outputs in front, ordered and cut in
        the engine (what equals memory and what differs:
        :func:`~mlprobe.engines._sql_sample.sample_rows`)."""
        table = SampledTable(
            self._engine,
            self._kinds,
            self._task,
            self._classes,
            self._target,
            self._predictions,
            self._scores,
            self._outputs,
            self._aliases(model),
        )
        return sample_rows(table, chosen, model, n, errors_first, seed)

    def loss_cells(
        self, model: str, features: Sequence[str] | None, bins: int, loss: Loss
    ) -> tuple[list[ColumnBins], CellCounts]:
        """The features' bins and the model's per-row ``loss``, counted by the engine: the
        in-memory bins and counts (:mod:`mlprobe.engines._discovery_sql`)."""
        return engine_loss_cells(
            self._engine,
            model,
            loss,
            task=self._task,
            kinds=self._kinds,
            outputs=self._outputs,
            features=features,
            bins=bins,
        )


#: cells of a joint table (true x each model's prediction) counted in one scan at most
MAX_JOINT_CELLS = 4096
#: this many ``column == value`` slices of one column are counted by one GROUP BY
MIN_VALUE_GROUPS = 8


def _fits_kind(kind: ColumnKind | None, value: Any) -> bool:
    """Whether ``value`` compares with a column of this kind as the same value (what
    :func:`~mlprobe.engines.sql.compile_predicate` checks; a mismatch is left to it to refuse)."""
    if kind == "text":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind in ("number", "float"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return False


def _count_key(chosen: Slice, labels: Sequence[str], aliases: Mapping[str, str]) -> tuple[Any, ...]:
    """A slice's key in the count cache: the label columns counted by, the column
    '@prediction' reads (when the slice uses it), and the predicate's JSON (which tells
    1 from True and 1.0)."""
    reads = aliases.get(PREDICTION) if PREDICTION in chosen.columns() else None
    return (tuple(labels), reads, json.dumps(chosen.predicate.to_dict(), sort_keys=True))
