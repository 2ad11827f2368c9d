"""What the explorer reads of a table that stays in its engine: a column's profile, a few rows.

Both answers are small and come from one or two queries, never from fetching the table:

- :func:`level_counts`: a column's values with their counts, most frequent first (ties in
  the column's order: sorted values, or an ordered categorical's declared levels), and its
  missing values, from one ``GROUP BY`` with ``ORDER BY ... LIMIT``.
- :func:`distinct_in_prefix`: how many distinct values the first rows hold (a ``LIMIT``
  read of the first row groups), to spare a ``GROUP BY`` of tens of millions of groups.
- :func:`value_range`: missing values, minimum and maximum, in one scan.
- :func:`sample_query`: up to ``n`` rows of a slice, ordered in the engine (``ORDER BY ...
  LIMIT n``, a top-n the engine keeps while it scans).

Values are bound parameters; every identifier is quoted by sqlglot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from mlprobe.engines._counting import SqlSource
from mlprobe.engines.sql import ColumnKind, Parameters, column_ref

__all__ = [
    "MANY_DISTINCT",
    "MAX_LEVELS",
    "PREFIX_ROWS",
    "SampleQuery",
    "distinct_in_prefix",
    "level_counts",
    "missing_count",
    "value_range",
]

#: levels a profile lists at most: the most frequent ones (the builder offers 1000 to type)
MAX_LEVELS = 1000
#: rows read to tell a column of mostly distinct values (an id, free text) from a category
PREFIX_ROWS = 100_000
#: that many distinct values among the first :data:`PREFIX_ROWS` rows: too many to count all
MANY_DISTINCT = 50_000


def _value(name: str = "v") -> exp.Expression:
    return exp.column(name, quoted=True)


def level_counts(
    engine: SqlSource,
    column: str,
    kinds: dict[str, ColumnKind],
    *,
    limit: int | None,
    declared: Sequence[Any] | None = None,
) -> tuple[list[tuple[Any, int]], int]:
    """``(levels, n_missing)``: up to ``limit`` values with their counts, most frequent first.

    Ties come in the column's order: its declared levels when ``declared`` is given (an
    ordered categorical), else sorted values (text by code point, False before True). One
    query: the grouped counts, ordered and cut in the engine.
    """
    params = Parameters()
    value = column_ref(column, kinds)
    counted = (
        exp.select(exp.alias_(value, "v", quoted=True), exp.alias_(exp.Count(this=exp.Star()), "n"))
        .from_(engine.source(), copy=False)
        .group_by(value.copy(), copy=False)
    )
    order = [
        exp.Ordered(this=exp.Is(this=_value(), expression=exp.null()), desc=True),
        exp.Ordered(this=exp.column("n"), desc=True),
    ]
    if declared:
        position = exp.Case(
            ifs=[
                exp.If(
                    this=exp.EQ(this=_value(), expression=params.bind(level)),
                    true=exp.Literal.number(i),
                )
                for i, level in enumerate(declared)
            ],
            default=exp.Literal.number(len(declared)),
        )
        order.append(exp.Ordered(this=position))
    order.append(exp.Ordered(this=_value()))
    query = (
        exp.select(_value(), exp.column("n"))
        .from_(counted.subquery("levels"), copy=False)
        .order_by(*order, copy=False)
    )
    if limit is not None:
        query = query.limit(limit + 1, copy=False)  # one more: the missing values' group
    rows = engine.rows(query, params.values)
    n_missing = int(rows[0][1]) if rows and rows[0][0] is None else 0
    levels = [(v, int(n)) for v, n in rows if v is not None]
    return (levels if limit is None else levels[:limit]), n_missing


def distinct_in_prefix(
    engine: SqlSource, column: str, kinds: dict[str, ColumnKind], rows: int = PREFIX_ROWS
) -> int:
    """Distinct present values among the first ``rows`` rows the engine reads (cheap: a
    ``LIMIT`` stops the scan after the first row groups)."""
    first = (
        exp.select(exp.alias_(column_ref(column, kinds), "v", quoted=True))
        .from_(engine.source(), copy=False)
        .limit(rows, copy=False)
    )
    query = exp.select(exp.Count(this=exp.Distinct(expressions=[_value()]))).from_(
        first.subquery("prefix"), copy=False
    )
    [(count,)] = engine.rows(query, [])
    return int(count)


def missing_count(engine: SqlSource, column: str, kinds: dict[str, ColumnKind]) -> int:
    """Rows whose value is missing (NaN included), in one scan."""
    value = column_ref(column, kinds)
    missing = exp.Sub(this=exp.Count(this=exp.Star()), expression=exp.Count(this=value))
    [(count,)] = engine.rows(exp.select(missing).from_(engine.source(), copy=False), [])
    return int(count)


def value_range(
    engine: SqlSource, column: str, kinds: dict[str, ColumnKind], *, as_text: bool = False
) -> tuple[int, Any, Any]:
    """``(n_missing, minimum, maximum)`` of the present values, in one scan.

    ``as_text`` fetches the extremes as text (DuckDB's nanosecond timestamps, which its
    Python client would round to microseconds).
    """
    value = column_ref(column, kinds)
    missing = exp.Sub(this=exp.Count(this=exp.Star()), expression=exp.Count(this=value))
    low: exp.Expression = exp.Min(this=value.copy())
    high: exp.Expression = exp.Max(this=value.copy())
    if as_text:
        text = exp.DataType.build("varchar")
        low, high = exp.cast(low, text), exp.cast(high, text)
    query = exp.select(missing, low, high).from_(engine.source(), copy=False)
    [(n_missing, minimum, maximum)] = engine.rows(query, [])
    return int(n_missing), minimum, maximum


@dataclass
class SampleQuery:
    """``SELECT <front>, <every column>, <keys> FROM source [WHERE slice] ORDER BY keys LIMIT n``.

    Build it in the order the SQL reads (front columns, then the ordering keys, which are
    selected too, then the condition), all with :attr:`params`, so that the placeholders'
    values come in text order. ``order`` holds (key expression, descending) pairs; the keys are selected after
    the table's columns and ordered by position, so no name of the user's can clash with
    them, and :meth:`run` drops them.
    """

    engine: SqlSource
    columns: list[str]
    params: Parameters
    front: list[tuple[str, exp.Expression]]
    condition: exp.Expression | None
    order: list[tuple[exp.Expression, bool]]
    n: int

    def query(self) -> exp.Select:
        """The query (its placeholders' values are :attr:`params`)."""
        selected: list[Any] = [
            exp.alias_(expression, name, quoted=True) for name, expression in self.front
        ]
        selected += [exp.column(c, quoted=True) for c in self.columns]
        first_key = len(selected) + 1
        selected += [exp.alias_(key, f"k{i}", quoted=True) for i, (key, _) in enumerate(self.order)]
        query = exp.select(*selected, copy=False).from_(self.engine.source(), copy=False)
        if self.condition is not None:
            query = query.where(self.condition, copy=False)
        ordered = [
            exp.Ordered(this=exp.Literal.number(first_key + i), desc=descending)
            for i, (_, descending) in enumerate(self.order)
        ]
        if ordered:
            query = query.order_by(*ordered, copy=False)
        return query.limit(self.n, copy=False)

    def run(self) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The column names (front, then the table's) and the fetched rows, keys dropped."""
        names = [name for name, _ in self.front] + list(self.columns)
        width = len(names)
        rows = self.engine.rows(self.query(), self.params.values)
        return names, [row[:width] for row in rows]
