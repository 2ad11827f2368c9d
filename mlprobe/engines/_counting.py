"""Confusion counts of many slices in one scan: conditional aggregation grouped by (true, predicted).

For a batch of slices, one query::

    SELECT t, p, COUNT(*), SUM(CASE WHEN <slice 1> THEN 1 ELSE 0 END), ...
    FROM source GROUP BY t, p

returns every slice's K x K table (rows: true class, columns: predicted). The
counts feed the same metric and interval code as the in-memory engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from sqlglot import exp

from mlprobe.core.slicing.slices import Slice
from mlprobe.engines.sql import ColumnKind, Parameters, column_ref, compile_predicate
from mlprobe.errors import DataError

__all__ = [
    "BATCH",
    "SqlSource",
    "column_profile",
    "column_quantiles",
    "count_query",
    "count_tables",
    "distinct_values",
]

#: slices per query: keeps query plans small (Spark) and each query one scan
BATCH = 50


class SqlSource(Protocol):
    """What the counting needs from an engine."""

    dialect: str
    description: str

    @property
    def where(self) -> str:
        """Where the rows are, for a probe's repr (\"DuckDB (eval.parquet)\")."""
        ...

    types: dict[str, str]
    #: the engine's exact, linearly interpolated quantile aggregate (numpy's default method)
    quantile_function: str

    def kinds(self) -> dict[str, ColumnKind]: ...

    def source(self) -> exp.Expression: ...

    def rows(self, query: exp.Expression, params: list[Any]) -> list[tuple[Any, ...]]: ...


def count_query(
    source: exp.Expression,
    slices: Sequence[Slice],
    *,
    labels: Sequence[str],
    kinds: Mapping[str, ColumnKind],
    aliases: Mapping[str, str],
) -> tuple[exp.Select, list[Any]]:
    """The query counting ``slices`` by the label columns (true, predicted, ...), and its parameters.

    Examples
    --------
    >>> from mlprobe.core.slicing.slices import Slice
    >>> query, params = count_query(
    ...     exp.to_table("t"), [Slice.parse("age >= 60")], labels=["y", "p"],
    ...     kinds={"age": "number", "y": "text", "p": "text"}, aliases={},
    ... )
    >>> query.sql("duckdb")
    'SELECT "y", "p", COUNT(*) AS n, SUM(CASE WHEN "age" >= ? THEN 1 ELSE 0 END) AS s0 FROM t GROUP BY "y", "p"'
    >>> params
    [60]
    """
    params = Parameters()
    columns: list[Any] = [exp.column(c, quoted=True) for c in labels]
    columns.append(exp.alias_(exp.Count(this=exp.Star()), "n"))
    for i, s in enumerate(slices):
        condition = compile_predicate(s.predicate, kinds, aliases=aliases, params=params)
        case = exp.Case(
            ifs=[exp.If(this=condition.expression, true=exp.Literal.number(1))],
            default=exp.Literal.number(0),
        )
        columns.append(exp.alias_(exp.Sum(this=case), f"s{i}"))
    query = exp.select(*columns, copy=False).from_(source, copy=False)
    if labels:
        query = query.group_by(*(exp.column(c, quoted=True) for c in labels), copy=False)
    return query, params.values


def count_tables(
    engine: SqlSource,
    slices: Sequence[Slice],
    *,
    labels: Sequence[str],
    classes: Sequence[Any],
    kinds: Mapping[str, ColumnKind],
    aliases: Mapping[str, str],
) -> tuple[np.ndarray, np.ndarray]:
    """``(tables, overall)``: per slice a K x K (x K ...) count table over the ``labels``
    columns (true, predicted, [a second model's predicted]), and the table of all rows.

    With no ``labels``, the row count of each slice (shape (S,)) and of all rows.
    """
    k = len(classes)
    position = {label: i for i, label in enumerate(classes)}
    shape = (k,) * len(labels)
    tables = np.zeros((len(slices), *shape), dtype=np.int64)
    overall = np.zeros(shape, dtype=np.int64)
    starts = range(0, max(len(slices), 1), BATCH)
    for start in starts:
        batch = slices[start : start + BATCH]
        query, params = count_query(
            engine.source(), batch, labels=labels, kinds=kinds, aliases=aliases
        )
        for row in engine.rows(query, params):
            cell_values, n, counts = row[: len(labels)], row[len(labels)], row[len(labels) + 1 :]
            if any(v is None for v in cell_values):
                raise DataError(
                    f"the columns {list(labels)} have missing values; every evaluated row needs "
                    "a true label and predictions."
                )
            cell = tuple(position[_label(v)] for v in cell_values)
            if start == 0:
                overall[cell] += int(n)
            for s, count in enumerate(counts):
                tables[(start + s, *cell)] += int(count or 0)
    return tables, overall


def distinct_values(
    engine: SqlSource, column: str, kinds: Mapping[str, ColumnKind], *, limit: int | None = None
) -> list[Any]:
    """The distinct values of a column (None for missing), as Python values; at most ``limit``."""
    query = (
        exp.select(exp.alias_(column_ref(column, kinds), "v"))
        .distinct()
        .from_(engine.source(), copy=False)
    )
    if limit is not None:
        query = query.limit(limit)
    return [_label(row[0]) for row in engine.rows(query, [])]


def column_profile(
    engine: SqlSource, columns: Sequence[str], kinds: Mapping[str, ColumnKind]
) -> dict[str, dict[str, float]]:
    """Per column, in one scan: ``missing`` values (NaN included), and for numeric columns
    ``fractional`` values (not whole numbers), ``mean``, ``min`` and ``max``."""
    aggregates: list[exp.Expression] = []
    names: list[tuple[str, str]] = []
    for column in columns:
        kind = kinds.get(column, "text")  # a type mlprobe does not slice: only its missing values
        value = column_ref(column, {column: kind})
        missing = exp.Is(this=value, expression=exp.null())
        parts = {"missing": _count_if(missing)}
        if kind in ("number", "float"):
            whole = exp.Floor(this=value.copy())
            parts["fractional"] = _count_if(exp.NEQ(this=value.copy(), expression=whole))
            double = exp.cast(value.copy(), exp.DataType.build("double"))
            parts["mean"] = exp.Avg(this=double)
            parts["min"] = exp.Min(this=double.copy())
            parts["max"] = exp.Max(this=double.copy())
        for key, aggregate in parts.items():
            aggregates.append(aggregate)
            names.append((column, key))
    [row] = engine.rows(exp.select(*aggregates, copy=False).from_(engine.source(), copy=False), [])
    out: dict[str, dict[str, float]] = {c: {} for c in columns}
    for (column, key), value in zip(names, row, strict=True):
        out[column][key] = float("nan") if value is None else float(value)
    return out


def column_quantiles(
    engine: SqlSource,
    column: str,
    kinds: Mapping[str, ColumnKind],
    probabilities: Sequence[float],
) -> list[float]:
    """Exact quantiles of a column's present values, interpolated as ``numpy.quantile``."""
    levels = exp.Array(expressions=[exp.Literal.number(float(p)) for p in probabilities])
    quantile = exp.Anonymous(
        this=engine.quantile_function,
        expressions=[exp.cast(column_ref(column, kinds), exp.DataType.build("double")), levels],
    )
    [(values,)] = engine.rows(exp.select(quantile).from_(engine.source(), copy=False), [])
    return [float(v) for v in values]


def _count_if(condition: exp.Expression) -> exp.Expression:
    case = exp.Case(
        ifs=[exp.If(this=condition, true=exp.Literal.number(1))], default=exp.Literal.number(0)
    )
    return exp.Sum(this=case)


def _label(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
