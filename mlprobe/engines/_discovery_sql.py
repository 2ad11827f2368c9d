"""Slice discovery where the rows stay: bins, cell counts and row overlaps computed by SQL.

The search itself (:func:`mlprobe.core.analyses._slice_search.search_slices`) and
the statistics after it are the in-memory ones; this module answers what they
ask of the rows, each answer one scan:

- **bins** (:func:`engine_bins`): a text, bool or categorical column keeps its
  most frequent levels (``GROUP BY``, ties in the column's order); a number
  column is cut at the same points as in memory: its distinct values when there
  are at most ``bins`` (found by stepping ``MIN(x) FILTER (WHERE x > previous)``,
  all columns at once), else its exact "lower" quantiles (:class:`EngineNumbers`);
  the values next to the cuts, which make conditions readable (``x == 0``, round
  edges), come in one more scan for all columns.
- **cells** (:class:`SqlCells`): per level of the search, one
  ``GROUP BY GROUPING SETS`` query over the rows' bin codes gives, for every
  set of columns, the rows and the loss sums of every cell.
- **overlaps**: how many rows two slices share, for the rule that drops a slice
  holding exactly the rows of a better one.

So discovery on DuckDB or Spark returns the in-memory result: the same bins,
the same evaluated slices, counts equal, loss sums equal up to the order in
which floating-point sums are added.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from sqlglot import exp

from mlprobe.core.analyses._slice_search import CellSums, LossTotals, SliceKey
from mlprobe.core.analyses.discovery import Loss
from mlprobe.core.slicing._discretize import (
    MAX_LEVELS,
    ColumnBins,
    categorical_bins,
    dates_not_binned,
    most_frequent_levels,
    number_cuts,
    numeric_bins_at,
)
from mlprobe.core.slicing.predicates import TARGET, prediction_column
from mlprobe.engines._counting import SqlSource
from mlprobe.engines._row_terms_sql import ModelOutputs, RowTermSql
from mlprobe.engines.sql import ColumnKind, Parameters, column_ref, compile_predicate
from mlprobe.errors import ValidationError, missing_column_error

__all__ = [
    "EngineNumbers",
    "SqlCells",
    "discovery_features",
    "engine_bins",
    "engine_loss_cells",
    "loss_sql",
]

#: sets of columns counted per query (keeps Spark's plans and DuckDB's hash tables small)
SETS_PER_QUERY = 64


def _select(engine: SqlSource, columns: list[exp.Expression], params: list[Any]) -> tuple[Any, ...]:
    [row] = engine.rows(exp.select(*columns, copy=False).from_(engine.source(), copy=False), params)
    return row


def _filtered(
    aggregate: exp.Expression, condition: exp.Expression | exp.Condition
) -> exp.Expression:
    return exp.Filter(this=aggregate, expression=exp.Where(this=condition))


def _double(value: exp.Expression) -> exp.Expression:
    return exp.cast(value, exp.DataType.build("double"))


class EngineNumbers:
    """:class:`~mlprobe.core.slicing._discretize.NumberSummary` of a number column in an engine.

    Exact "lower" quantiles without sorting the column: for the order statistic
    ``x[j]`` (``j = floor(p * (n - 1))``, as ``numpy.quantile(method="lower")``),
    the engine's exact interpolated quantile at ``(j + 0.5) / (n - 1)`` lies in
    ``[x[j], x[j + 1])``, so ``x[j]`` is the largest value not above it.
    """

    def __init__(
        self, engine: SqlSource, value: exp.Expression, few: list[float] | None, limit: int
    ) -> None:
        self._engine = engine
        self._value = value
        self._few = few
        self._limit = limit

    def few_values(self, limit: int) -> list[float] | None:
        if limit != self._limit:  # the distinct values were stepped for another limit
            raise ValueError(f"distinct values were found up to {self._limit}, not {limit}")
        return self._few

    def _present(self, above: float | None) -> exp.Condition:
        present = exp.Not(this=exp.Is(this=self._value.copy(), expression=exp.null()))
        if above is None:
            return present
        return exp.and_(
            present, exp.GT(this=self._value.copy(), expression=exp.Literal.number(above))
        )

    def lower_quantiles(self, levels: Sequence[float], above: float | None) -> list[float]:
        [n] = _select(
            self._engine, [_filtered(exp.Count(this=exp.Star()), self._present(above))], []
        )
        n = int(n or 0)
        if n == 0:
            return []
        if n == 1:
            return [self.smallest_above(-math.inf if above is None else above)] * len(levels)
        positions = [math.floor(float(p) * (n - 1)) for p in levels]
        middles = exp.Array(
            expressions=[exp.Literal.number((j + 0.5) / (n - 1)) for j in positions]
        )
        quantile = exp.Anonymous(
            this=self._engine.quantile_function,
            expressions=[_double(self._value.copy()), middles],
        )
        [(points,)] = [_select(self._engine, [_filtered(quantile, self._present(above))], [])]
        found = self._step([float(q) for q in points], exp.LTE, exp.Max, above)
        if any(math.isnan(v) for v in found):  # an interpolated point below every value
            # (subnormal neighbours such as 0 and 5e-324): the smallest value is the one below
            smallest = self.smallest_above(-math.inf if above is None else above)
            found = [smallest if math.isnan(v) else v for v in found]
        for _ in range(len(levels) + 1):  # one step mends a midpoint that rounded (adjacent floats)
            below, up_to = self._ranks(found, above)
            late = [lt > j for lt, j in zip(below, positions, strict=True)]
            early = [le <= j for le, j in zip(up_to, positions, strict=True)]
            if not any(late) and not any(early):
                return found
            previous = self._step(found, exp.LT, exp.Max, above)
            following = self._step(found, exp.GT, exp.Min, above)
            found = [
                p if is_late else (f if is_early else v)
                for v, p, f, is_late, is_early in zip(
                    found, previous, following, late, early, strict=True
                )
            ]
        raise RuntimeError("the engine's quantiles do not converge to order statistics")

    def _step(
        self,
        points: Sequence[float],
        compare: type[exp.Expression],
        aggregate: type[exp.Expression],
        above: float | None,
    ) -> list[float]:
        """Per point, the largest (or smallest) present value that compares so with it."""
        columns = [self._stepped(point, compare, aggregate, above) for point in points]
        return [math.nan if v is None else float(v) for v in _select(self._engine, columns, [])]

    def _stepped(
        self,
        point: float,
        compare: type[exp.Expression],
        aggregate: type[exp.Expression],
        above: float | None,
    ) -> exp.Expression:
        """``aggregate(x) FILTER (WHERE x compare point)`` over the present values."""
        return _filtered(
            aggregate(this=_double(self._value.copy())), self._compared(point, compare, above)
        )

    def _compared(
        self, point: float, compare: type[exp.Expression], above: float | None
    ) -> exp.Condition:
        """The present values (above ``above``) that compare so with ``point``."""
        value = _double(self._value.copy())
        return exp.and_(
            self._present(above), compare(this=value, expression=exp.Literal.number(point))
        )

    def _ranks(self, values: Sequence[float], above: float | None) -> tuple[list[int], list[int]]:
        """Per value ``v``: how many present values are below it, and how many up to it."""

        columns = [
            _filtered(exp.Count(this=exp.Star()), self._compared(v, compare, above))
            for v in values
            for compare in (exp.LT, exp.LTE)
        ]
        row = [int(v or 0) for v in _select(self._engine, columns, [])]
        return row[0::2], row[1::2]

    def largest_below(self, points: Sequence[float]) -> list[float]:
        """One scan: ``MAX(x) FILTER (WHERE x < point)`` per point (no filter for ``inf``)."""
        return _largest_below(self._engine, [(self, points)])[0]

    def largest_below_columns(self, points: Sequence[float]) -> list[exp.Expression]:
        """The aggregates of :meth:`largest_below`, to answer in a scan with others."""
        return [
            _filtered(exp.Max(this=_double(self._value.copy())), self._present(None))
            if point == math.inf
            else self._stepped(point, exp.LT, exp.Max, None)
            for point in points
        ]

    def smallest_above(self, value: float) -> float:
        condition = self._present(None if value == -math.inf else value)
        [low] = _select(
            self._engine, [_filtered(exp.Min(this=_double(self._value)), condition)], []
        )
        return float(low)


def _largest_below(
    engine: SqlSource, asks: Sequence[tuple[EngineNumbers, Sequence[float]]]
) -> list[list[float]]:
    """:meth:`EngineNumbers.largest_below` of several columns in one scan."""
    columns = [c for numbers, points in asks for c in numbers.largest_below_columns(points)]
    if not columns:
        return [[] for _ in asks]
    row = iter(math.nan if v is None else float(v) for v in _select(engine, columns, []))
    return [[next(row) for _ in points] for _, points in asks]


def _few_values(
    engine: SqlSource, values: Mapping[str, exp.Expression], limit: int
) -> dict[str, list[float] | None]:
    """Per column, its sorted distinct present values when at most ``limit``, else None:
    ``limit + 1`` scans at most, each stepping every open column to its next value."""
    found: dict[str, list[float]] = {name: [] for name in values}
    open_columns = list(values)
    for _ in range(limit + 1):
        if not open_columns:
            break
        steps = []
        for name in open_columns:
            value = _double(values[name].copy())
            if found[name]:
                last = exp.Literal.number(found[name][-1])
                steps.append(
                    _filtered(exp.Min(this=value), exp.GT(this=value.copy(), expression=last))
                )
            else:
                steps.append(exp.Min(this=value))
        row = _select(engine, steps, [])
        still = []
        for name, step in zip(open_columns, row, strict=True):
            if step is not None:
                found[name].append(float(step))
                still.append(name)
        open_columns = still
    return {name: (None if len(v) > limit else v) for name, v in found.items()}


def engine_bins(
    engine: SqlSource,
    features: Sequence[str],
    *,
    kinds: Mapping[str, ColumnKind],
    aliases: Mapping[str, str],
    categorical: set[str],
    bins: int,
    max_levels: int,
) -> list[ColumnBins]:
    """The bins of each feature, as :func:`mlprobe.core.slicing._discretize.bin_column` cuts
    them in memory. ``aliases`` name the data column behind a reserved name (``@target``);
    ``categorical`` lists features binned per level (text, bool, categoricals, labels)."""
    sources = {f: aliases.get(f, f) for f in features}
    values = {f: column_ref(sources[f], kinds) for f in features}
    missing = _select(
        engine,
        [
            exp.Sum(
                this=exp.Case(
                    ifs=[
                        exp.If(
                            this=exp.Is(this=values[f].copy(), expression=exp.null()),
                            true=exp.Literal.number(1),
                        )
                    ],
                    default=exp.Literal.number(0),
                )
            )
            for f in features
        ],
        [],
    )
    has_nulls = {f: bool(m) for f, m in zip(features, missing, strict=True)}
    numeric = [f for f in features if f not in categorical]
    few = _few_values(engine, {f: values[f] for f in numeric}, bins) if numeric else {}
    numbers = {f: EngineNumbers(engine, values[f], few[f], bins) for f in numeric}
    cuts = {f: number_cuts(numbers[f], bins) for f in numeric}
    # what every column's conditions ask (the values next to its cuts): one scan for all
    asked = [f for f in numeric if cuts[f].asks]
    below = dict(
        zip(asked, _largest_below(engine, [(numbers[f], cuts[f].asks) for f in asked]), strict=True)
    )
    binned = []
    for feature in features:
        if feature in categorical:
            levels = _top_levels(engine, values[feature], kinds.get(sources[feature]), max_levels)
            binned.append(categorical_bins(feature, levels, has_nulls[feature]))
        else:
            column = numeric_bins_at(
                feature, cuts[feature], below.get(feature, []), has_nulls[feature]
            )
            binned.append(column.bins)
    return binned


def _top_levels(
    engine: SqlSource, value: exp.Expression, kind: ColumnKind | None, max_levels: int
) -> list[Any]:
    """The ``max_levels`` most frequent present values (ties: the first in the column's
    order), in the column's order: the engine's own order of the values (code points for
    text, the declared order of an ENUM), as in memory."""
    count = exp.Count(this=exp.Star())
    query = (
        exp.select(exp.alias_(value, "v"), exp.alias_(count, "n"), copy=False)
        .from_(engine.source(), copy=False)
        .where(exp.Not(this=exp.Is(this=value.copy(), expression=exp.null())), copy=False)
        .group_by(exp.column("v"), copy=False)
        .order_by(exp.Ordered(this=exp.column("n"), desc=True), exp.column("v"), copy=False)
        .limit(max_levels + 1, copy=False)
    )
    ranked = engine.rows(query, [])
    # every level when they fit; else the most frequent, as most_frequent_levels keeps them
    counts = [int(n) for _, n in ranked]
    if len(ranked) > max_levels:
        kept = most_frequent_levels(counts, max_levels)  # the first max_levels: ranked by count
        ranked = [ranked[i] for i in kept]
    ordered = _in_column_order(engine, value, [v for v, _ in ranked])
    return [_plain(v, kind) for v in ordered]


def _in_column_order(engine: SqlSource, value: exp.Expression, levels: list[Any]) -> list[Any]:
    """``levels`` in the column's order, as the engine sorts the column."""
    if len(levels) <= 1:
        return levels
    params = Parameters()
    query = (
        exp.select(exp.alias_(value, "v"), copy=False)
        .distinct()
        .from_(engine.source(), copy=False)
        .where(exp.In(this=value.copy(), expressions=[params.bind(v) for v in levels]), copy=False)
        .order_by(exp.column("v"), copy=False)
    )
    return [row[0] for row in engine.rows(query, params.values)]


def _plain(value: Any, kind: ColumnKind | None) -> Any:
    """A level as memory names it: Python values, floats of a float column kept as floats."""
    if isinstance(value, np.generic):
        value = value.item()
    if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, float) and value.is_integer() and kind != "float":
        return int(value)
    return value


class SqlCells:
    """:class:`~mlprobe.core.analyses._slice_search.CellCounts` of an engine's rows.

    Parameters
    ----------
    engine : SqlSource
    columns : list of ColumnBins
        The features' bins (:func:`engine_bins`).
    loss : callable
        Builds the per-row loss as SQL, binding its values to the given parameters.
    is_proportion : bool
        Losses are 0/1: one sum serves all four powers.
    kinds, aliases
        As for :func:`~mlprobe.engines.sql.compile_predicate`.
    """

    def __init__(
        self,
        engine: SqlSource,
        columns: Sequence[ColumnBins],
        loss: Callable[[Parameters], exp.Expression],
        *,
        is_proportion: bool,
        kinds: Mapping[str, ColumnKind],
        aliases: Mapping[str, str],
    ) -> None:
        self._engine = engine
        self._columns = list(columns)
        self.n_bins = [c.n_bins for c in columns]
        self._loss = loss
        self._binary = is_proportion
        self._kinds = kinds
        self._aliases = aliases
        self._totals: LossTotals | None = None

    def _coded(self, params: Parameters) -> exp.Expression:
        """The rows as bin codes ``b0, b1, ...`` (-1: in no bin) and the loss ``e``."""
        codes: list[Any] = []  # aliased expressions
        for i, column in enumerate(self._columns):
            ifs = [
                exp.If(
                    this=compile_predicate(
                        condition, self._kinds, aliases=self._aliases, params=params
                    ).expression,
                    true=exp.Literal.number(b),
                )
                for b, condition in enumerate(column.conditions)
            ]
            code: exp.Expression = (
                exp.Case(ifs=ifs, default=exp.Literal.number(-1)) if ifs else exp.Literal.number(-1)
            )
            codes.append(exp.alias_(code, f"b{i}"))
        codes.append(exp.alias_(self._loss(params), "e"))
        inner = exp.select(*codes, copy=False).from_(self._engine.source(), copy=False)
        return inner.subquery("coded")

    def _powers(self) -> list[exp.Expression]:
        e = exp.column("e")
        if self._binary:
            return [exp.Sum(this=e)]
        product: exp.Expression = e.copy()
        sums: list[exp.Expression] = [exp.Sum(this=e.copy())]
        for _ in range(3):
            product = exp.Mul(this=exp.paren(product), expression=e.copy())
            sums.append(exp.Sum(this=product.copy()))
        return sums

    def _spread(self, row: Sequence[Any]) -> tuple[float, float, float, float]:
        if self._binary:
            s = float(row[0] or 0)
            return s, s, s, s
        return tuple(float(v or 0) for v in row)  # type: ignore[return-value]

    def totals(self) -> LossTotals:
        """The losses of all rows: one scan, then kept (the search asks several times)."""
        if self._totals is None:
            self._totals = self._count_totals()
        return self._totals

    def _count_totals(self) -> LossTotals:
        params = Parameters()
        e = exp.column("e")
        query = exp.select(
            exp.Count(this=exp.Star()), exp.Max(this=e), *self._powers(), copy=False
        ).from_(self._coded(params), copy=False)
        [row] = self._engine.rows(query, params.values)
        return LossTotals(int(row[0]), self._spread(row[2:]), float(row[1] or 0.0))

    def cells(self, column_sets: Sequence[tuple[int, ...]]) -> Iterator[CellSums]:
        for start in range(0, len(column_sets), SETS_PER_QUERY):
            yield from self._cells(column_sets[start : start + SETS_PER_QUERY])

    def _cells(self, column_sets: Sequence[tuple[int, ...]]) -> Iterator[CellSums]:
        used = sorted({c for columns in column_sets for c in columns})
        params = Parameters()
        names = [exp.column(f"b{c}") for c in used]
        sets = exp.GroupingSets(
            expressions=[
                exp.Tuple(expressions=[exp.column(f"b{c}") for c in columns])
                for columns in column_sets
            ]
        )
        query = exp.select(*names, exp.Count(this=exp.Star()), *self._powers(), copy=False).from_(
            self._coded(params), copy=False
        )
        query.set("group", exp.Group(grouping_sets=[sets]))
        where = {columns: i for i, columns in enumerate(column_sets)}
        shapes = [tuple(self.n_bins[c] + 1 for c in columns) for columns in column_sets]
        out = [tuple(np.zeros(math.prod(shape)) for _ in range(5)) for shape in shapes]
        position = {c: i for i, c in enumerate(used)}
        for row in self._engine.rows(query, params.values):
            codes = row[: len(used)]
            present = tuple(c for c in used if codes[position[c]] is not None)
            i = where[present]
            cell = 0
            for c, size in zip(present, shapes[i], strict=True):
                code = int(codes[position[c]])
                cell = cell * size + (size - 1 if code < 0 else code)
            sums = out[i]
            sums[0][cell] = int(row[len(used)])
            for array, value in zip(sums[1:], self._spread(row[len(used) + 1 :]), strict=True):
                array[cell] = value
        for sums in out:
            yield (sums[0].astype(np.int64), sums[1], sums[2], sums[3], sums[4])

    def shared(self, pairs: Sequence[tuple[SliceKey, SliceKey]]) -> tuple[list[int], list[float]]:
        if not pairs:
            return [], []
        params = Parameters()

        def inside(key: SliceKey) -> exp.Condition:
            return exp.and_(
                *(
                    exp.EQ(this=exp.column(f"b{c}"), expression=exp.Literal.number(b))
                    for c, b in key
                )
            )

        def both(a: SliceKey, b: SliceKey, value: exp.Expression) -> exp.Expression:
            return exp.Sum(
                this=exp.Case(
                    ifs=[exp.If(this=exp.and_(inside(a), inside(b)), true=value)],
                    default=exp.Literal.number(0),
                )
            )

        sums = [
            both(a, b, value)
            for a, b in pairs
            for value in (exp.Literal.number(1), exp.column("e"))
        ]
        query = exp.select(*sums, copy=False).from_(self._coded(params), copy=False)
        [row] = self._engine.rows(query, params.values)
        return [int(v or 0) for v in row[0::2]], [float(v or 0.0) for v in row[1::2]]


#: column kinds slice discovery bins by default (timestamps are left out, as in memory)
SEARCHED_KINDS = ("text", "bool", "number", "float")


def discovery_features(
    features: Sequence[str] | str | None,
    *,
    columns: Sequence[str],
    kinds: Mapping[str, ColumnKind | None],
    outputs: ModelOutputs,
) -> list[str]:
    """The columns to search: ``features`` checked, or every column that is not the target,
    a prediction or a score and holds text, bools or numbers."""
    aliases = _output_aliases(outputs)
    if features is None:
        used = {outputs.target, *outputs.predictions.values()}
        used |= {c for names in outputs.scores.values() for c in names}
        chosen = [c for c in columns if c not in used and kinds.get(c) in SEARCHED_KINDS]
    else:
        chosen = [features] if isinstance(features, str) else [str(f) for f in features]
    if not chosen:
        raise ValidationError(
            "features: no column to slice on; pass features=[...] with columns of the data."
        )
    for feature in chosen:
        if feature in aliases:
            continue
        if feature not in kinds:
            raise missing_column_error(feature, [*columns, *aliases], role="features column")
        if kinds[feature] == "timestamp":
            raise dates_not_binned(feature)
        if kinds[feature] not in SEARCHED_KINDS:
            raise ValidationError(
                f"features: {feature!r} holds values slice discovery cannot bin; leave it out "
                "of features=, or add a text or numeric column derived from it."
            )
    return chosen


def _output_aliases(outputs: ModelOutputs) -> dict[str, str]:
    """Reserved names a feature may use: ``@target`` and ``@prediction[model]``."""
    return {
        TARGET: outputs.target,
        **{prediction_column(m): c for m, c in outputs.predictions.items()},
    }


def loss_sql(
    loss: Loss, model: str, outputs: ModelOutputs, kinds: Mapping[str, ColumnKind]
) -> Callable[[Parameters], exp.Expression]:
    """The per-row ``loss`` of ``model`` as SQL (``wrong``: 1 where prediction != target)."""
    if loss.quantity == "wrong":

        def wrong(params: Parameters) -> exp.Expression:
            same = exp.EQ(
                this=column_ref(outputs.predictions[model], kinds),
                expression=column_ref(outputs.target, kinds),
            )
            return exp.Case(
                ifs=[exp.If(this=same, true=exp.Literal.number(0.0))],
                default=exp.Literal.number(1.0),
            )

        return wrong
    terms = RowTermSql(outputs, kinds)
    return lambda params: exp.cast(
        terms.quantity(loss.quantity, model, params), exp.DataType.build("double")
    )


def engine_loss_cells(
    engine: SqlSource,
    model: str,
    loss: Loss,
    *,
    task: str,
    kinds: Mapping[str, ColumnKind],
    outputs: ModelOutputs,
    features: Sequence[str] | None,
    bins: int,
) -> tuple[list[ColumnBins], SqlCells]:
    """The features cut into bins as memory cuts them, and the model's per-row ``loss``,
    counted by the engine (:class:`SqlCells`)."""
    chosen = discovery_features(features, columns=list(engine.types), kinds=kinds, outputs=outputs)
    aliases = _output_aliases(outputs)
    categorical = {
        f
        for f in chosen
        if (f in aliases and task != "regression")
        or kinds.get(aliases.get(f, f)) in ("text", "bool")
        or aliases.get(f, f) in getattr(kinds, "categorical", ())
    }
    columns = engine_bins(
        engine,
        chosen,
        kinds=kinds,
        aliases=aliases,
        categorical=categorical,
        bins=bins,
        max_levels=MAX_LEVELS,
    )
    counts = SqlCells(
        engine,
        columns,
        loss_sql(loss, model, outputs, kinds),
        is_proportion=loss.is_proportion,
        kinds=kinds,
        aliases=aliases,
    )
    return columns, counts
