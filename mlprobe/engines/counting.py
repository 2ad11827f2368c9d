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

from mlprobe.core.slices import Slice
from mlprobe.engines.sql import ColumnKind, Parameters, column_ref, compile_predicate
from mlprobe.errors import DataError

__all__ = ["BATCH", "SqlSource", "count_query", "count_tables"]

#: slices per query: keeps query plans small (Spark) and each query one scan
BATCH = 50


class SqlSource(Protocol):
    """What the counting needs from an engine."""

    dialect: str
    description: str
    types: dict[str, str]

    def kinds(self) -> dict[str, ColumnKind]: ...

    def source(self) -> exp.Expression: ...

    def rows(self, query: exp.Expression, params: list[Any]) -> list[tuple[Any, ...]]: ...


def count_query(
    source: exp.Expression,
    slices: Sequence[Slice],
    *,
    target: str,
    prediction: str,
    kinds: Mapping[str, ColumnKind],
    aliases: Mapping[str, str],
) -> tuple[exp.Select, list[Any]]:
    """The query counting ``slices`` by (true, predicted), and its parameters.

    Examples
    --------
    >>> from mlprobe.core.slices import Slice
    >>> query, params = count_query(
    ...     exp.to_table("t"), [Slice.parse("age >= 60")], target="y", prediction="p",
    ...     kinds={"age": "number", "y": "text", "p": "text"}, aliases={},
    ... )
    >>> query.sql("duckdb")
    'SELECT "y", "p", COUNT(*) AS n, SUM(CASE WHEN "age" >= ? THEN 1 ELSE 0 END) AS s0 FROM t GROUP BY "y", "p"'
    >>> params
    [60]
    """
    params = Parameters()
    columns: list[Any] = [
        exp.column(target, quoted=True),
        exp.column(prediction, quoted=True),
        exp.alias_(exp.Count(this=exp.Star()), "n"),
    ]
    for i, s in enumerate(slices):
        condition = compile_predicate(s.predicate, kinds, aliases=aliases, params=params)
        case = exp.Case(
            ifs=[exp.If(this=condition.expression, true=exp.Literal.number(1))],
            default=exp.Literal.number(0),
        )
        columns.append(exp.alias_(exp.Sum(this=case), f"s{i}"))
    query = (
        exp.select(*columns)
        .from_(source)
        .group_by(exp.column(target, quoted=True), exp.column(prediction, quoted=True))
    )
    return query, params.values


def count_tables(
    engine: SqlSource,
    slices: Sequence[Slice],
    *,
    target: str,
    prediction: str,
    classes: Sequence[Any],
    kinds: Mapping[str, ColumnKind],
    aliases: Mapping[str, str],
) -> tuple[np.ndarray, np.ndarray]:
    """``(tables, overall)``: per slice a K x K count table, and the table of all rows."""
    k = len(classes)
    position = {label: i for i, label in enumerate(classes)}
    tables = np.zeros((len(slices), k, k), dtype=np.int64)
    overall = np.zeros((k, k), dtype=np.int64)
    batches = [slices[i : i + BATCH] for i in range(0, len(slices), BATCH)] or [[]]
    for start, batch in zip(range(0, max(len(slices), 1), BATCH), batches, strict=True):
        query, params = count_query(
            engine.source(),
            batch,
            target=target,
            prediction=prediction,
            kinds=kinds,
            aliases=aliases,
        )
        for row in engine.rows(query, params):
            true, predicted, n, *counts = row
            if true is None or predicted is None:
                raise DataError(
                    f"the target {target!r} or the prediction {prediction!r} has missing values; "
                    "every evaluated row needs both."
                )
            i, j = position[_label(true)], position[_label(predicted)]
            if start == 0:
                overall[i, j] += int(n)
            for s, count in enumerate(counts):
                tables[start + s, i, j] += int(count or 0)
    return tables, overall


def distinct_values(engine: SqlSource, column: str, kinds: Mapping[str, ColumnKind]) -> list[Any]:
    """The distinct values of a column (None for missing), as Python values."""
    query = exp.select(exp.alias_(column_ref(column, kinds), "v")).distinct().from_(engine.source())
    return [_label(row[0]) for row in engine.rows(query, [])]


def _label(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
