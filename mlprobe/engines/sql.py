"""Slice predicates compiled to SQL with sqlglot's expression builder: a tree walk, no string pasting.

Identifiers go through sqlglot with quoting, values become bound parameters
(``?``), and the result means what :mod:`mlprobe.core.slicing._masks` means:

- SQL's own three-valued logic is mlprobe's: a comparison on a missing value
  is unknown, ``and``/``or``/``not`` follow Kleene, and a row counts only when
  the whole condition is true (``CASE WHEN`` treats unknown as false). So
  ``not (x >= 3)`` leaves out rows where ``x`` is missing, in both.
- A float NaN is a missing value in mlprobe, an ordinary value in SQL engines:
  float columns are read through ``NULLIF(x, NaN)``.
- An empty ``in`` list is false for present values and unknown for missing
  ones, as in mlprobe's masks (``x <> x``), so ``not (x in [])`` keeps
  leaving out missing values.
- Ordered categories (a pandas ordered categorical: a DuckDB ENUM, or an ordered dictionary
  column of a Parquet file written by pandas) compare by their declared order, as in memory:
  ``c < 'mid'`` becomes ``c IN ('low')``. A value that is not a level is refused, as in memory.
  Other text compares as text (code point order) on every engine.
- Ordered categoricals of numbers (a pandas ordered categorical of ints or floats registered
  on DuckDB) compare by their declared order too, when the engine is told the levels.
- Timestamps compare with text literals read as dates (``t >= '2024-01-01'``), as in memory;
  on a column with a time zone, a literal without one is read in the column's zone (UTC when
  the engine does not know the zone). A DATE column is a timestamp at midnight, without a zone.
  On columns of instants whose zone no one knows (``ColumnKinds.instants``: Spark's
  TIMESTAMP), a literal without a zone is refused rather than read in some zone.

Examples
--------
>>> from mlprobe.core.slicing.predicates import col
>>> compiled = compile_predicate(
...     (col("age") >= 60) & ~col("sex").isin(["F", "x' OR '1'='1"]),
...     {"age": "number", "sex": "text"},
... )
>>> compiled.sql("duckdb")
'("age" >= ? AND NOT ("sex" IN (?, ?)))'
>>> compiled.params
[60, 'F', "x' OR '1'='1"]
"""

from __future__ import annotations

import datetime
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from sqlglot import exp

from mlprobe.core.slicing._dates import names_zone, read_date
from mlprobe.core.slicing.predicates import (
    And,
    Between,
    Compare,
    IsIn,
    IsNull,
    Not,
    NotNull,
    Or,
    Predicate,
    format_value,
)
from mlprobe.errors import ValidationError, missing_column_error

__all__ = [
    "ColumnKind",
    "ColumnKinds",
    "CompiledPredicate",
    "Parameters",
    "column_ref",
    "compile_predicate",
    "source_name",
]

#: how a column's values compare: "float" columns may hold NaN, read as missing
ColumnKind = Literal["text", "number", "float", "bool", "timestamp"]


class ColumnKinds(dict[str, ColumnKind]):
    """Column kinds, and what a kind alone does not say.

    ``levels``: the declared order of ordered categorical columns, of text or numbers (``<``
    compares by it; ``by=`` groups per level, in this order);
    ``categorical``: columns that were categoricals (ordered or not): ``by=`` groups them per
    value, never in bins, as in memory;
    ``zones``: the time zone of timestamp columns with one, when the engine knows it (naive
    literals are read in it, as in memory; in UTC otherwise);
    ``instants``: timestamp columns of instants whose zone is not known and cannot be assumed
    (Spark's TIMESTAMP): a literal must name its zone;
    ``spark_timestamps``: bind date literals as Spark needs them, so no session or process time
    zone reads them (``CAST(? AS TIMESTAMP_NTZ)`` with text, ``timestamp_micros(?)``).
    """

    def __init__(
        self,
        kinds: Mapping[str, ColumnKind] | None = None,
        *,
        levels: Mapping[str, tuple[Any, ...]] | None = None,
        categorical: Iterable[str] = (),
        zones: Mapping[str, str | None] | None = None,
        instants: Iterable[str] = (),
        spark_timestamps: bool = False,
    ) -> None:
        super().__init__(kinds or {})
        self.levels: dict[str, tuple[Any, ...]] = dict(levels or {})
        self.categorical: frozenset[str] = frozenset(categorical) | frozenset(self.levels)
        self.zones: dict[str, str | None] = dict(zones or {})
        self.instants: frozenset[str] = frozenset(instants)
        self.spark_timestamps = spark_timestamps


_OPERATORS: dict[str, type[exp.Expression]] = {
    "eq": exp.EQ,
    "ne": exp.NEQ,
    "lt": exp.LT,
    "le": exp.LTE,
    "gt": exp.GT,
    "ge": exp.GTE,
}


@dataclass
class Parameters:
    """Values bound to the ``?`` placeholders, in the order they appear in the SQL."""

    values: list[Any] = field(default_factory=list)

    def bind(self, value: Any) -> exp.Expression:
        self.values.append(value)
        return exp.Placeholder()


@dataclass(frozen=True)
class CompiledPredicate:
    """A boolean SQL expression and the values of its placeholders."""

    expression: exp.Expression
    params: list[Any]

    def sql(self, dialect: str) -> str:
        """The SQL text in ``dialect`` (e.g. "duckdb", "spark")."""
        return self.expression.sql(dialect)


def source_name(taken: Callable[[str], bool]) -> str:
    """A fresh name to register a probe's table under: ``mlprobe_source_<32 hex digits>``.

    Random (uuid4), so probes sharing a connection or session never collide; a name ``taken``
    says is in use (any table or view of the user's) is never chosen, so registering it can
    neither replace nor shadow anything.
    """
    while True:
        name = f"mlprobe_source_{uuid.uuid4().hex}"
        if not taken(name):
            return name


def column_ref(name: str, kinds: Mapping[str, ColumnKind]) -> exp.Expression:
    """A quoted column, read through ``NULLIF(x, NaN)`` when it holds floats."""
    if name not in kinds:
        raise missing_column_error(name, kinds, role="slice column")
    column = exp.column(name, quoted=True)
    if kinds[name] == "float":
        nan = exp.cast(exp.Literal.string("NaN"), exp.DataType.build("double"))
        return exp.Nullif(this=column, expression=nan)
    return column


def compile_predicate(
    predicate: Predicate,
    kinds: Mapping[str, ColumnKind],
    *,
    aliases: Mapping[str, str] | None = None,
    params: Parameters | None = None,
) -> CompiledPredicate:
    """Compile ``predicate`` over columns of the given kinds.

    ``aliases`` maps reserved names (``@target``, ``@prediction``) to table
    columns. ``params`` collects placeholder values across several predicates
    (one list for a whole query).
    """
    collected = params if params is not None else Parameters()
    start = len(collected.values)
    expression = _Compiler(kinds, aliases or {}, collected).visit(predicate)
    return CompiledPredicate(expression, collected.values[start:])


class _Compiler:
    def __init__(
        self, kinds: Mapping[str, ColumnKind], aliases: Mapping[str, str], params: Parameters
    ) -> None:
        self.kinds = kinds
        self.aliases = aliases
        self.params = params

    def visit(self, node: Predicate) -> exp.Expression:
        ordered = self._ordered(node)
        if ordered is not None:
            return ordered
        if isinstance(node, And):
            return exp.paren(exp.and_(*(self.visit(c) for c in node.children)), copy=False)
        if isinstance(node, Or):
            return exp.paren(exp.or_(*(self.visit(c) for c in node.children)), copy=False)
        if isinstance(node, Not):
            return exp.Not(this=exp.paren(self.visit(node.child), copy=False))
        if isinstance(node, Compare):
            column = self._column(node.column, node.value)
            operator = _OPERATORS[node.op]
            return operator(this=column, expression=self._bind(node, node.column, node.value))
        if isinstance(node, IsIn):
            if not node.values:
                return self._nothing(node.column)
            column = self._column(node.column, *node.values)
            return exp.In(
                this=column, expressions=[self._bind(node, node.column, v) for v in node.values]
            )
        if isinstance(node, Between):
            column = self._column(node.column, node.low, node.high)
            return exp.Between(
                this=column,
                low=self._bind(node, node.column, node.low),
                high=self._bind(node, node.column, node.high),
            )
        if isinstance(node, IsNull):
            return exp.Is(this=self._column(node.column), expression=exp.null())
        if isinstance(node, NotNull):
            return exp.Not(this=exp.Is(this=self._column(node.column), expression=exp.null()))
        raise ValidationError(f"cannot compile {type(node).__name__} to SQL")

    def _nothing(self, name: str) -> exp.Expression:
        """False, but unknown on a missing value, as in mlprobe's masks: ``x <> x``."""
        column = self._column(name)
        return exp.NEQ(this=column, expression=column.copy())

    def _ordered(self, node: Predicate) -> exp.Expression | None:
        """An order comparison on an ordered text column: ``x IN (levels before ...)``."""
        if not isinstance(node, Compare | Between) or (
            isinstance(node, Compare) and node.op in ("eq", "ne")
        ):
            return None
        column = self.aliases.get(node.column, node.column)
        levels = getattr(self.kinds, "levels", {}).get(column)
        if levels is None:
            return None
        bounds = [("ge", node.low), ("le", node.high)] if isinstance(node, Between) else []
        if isinstance(node, Compare):
            bounds = [(node.op, node.value)]
        self._column(node.column, *(v for _, v in bounds))  # the type check
        selected = set(range(len(levels)))
        for op, value in bounds:
            if value not in levels:
                raise ValidationError(
                    f"in {node}: {format_value(value)} is not a level of the ordered column "
                    f"{column!r}; its levels are {list(levels)}."
                )
            at = levels.index(value)
            selected &= {
                "lt": set(range(at)),
                "le": set(range(at + 1)),
                "gt": set(range(at + 1, len(levels))),
                "ge": set(range(at, len(levels))),
            }[op]
        if not selected:
            return self._nothing(node.column)
        return exp.In(
            this=self._column(node.column),
            expressions=[self.params.bind(levels[i]) for i in sorted(selected)],
        )

    def _bind(self, node: Predicate, name: str, value: Any) -> exp.Expression:
        """A placeholder for ``value``, read as a date on a timestamp column."""
        column = self.aliases.get(name, name)
        if self.kinds.get(column) != "timestamp":
            return self.params.bind(value)
        zones = getattr(self.kinds, "zones", {})
        instant = column in getattr(self.kinds, "instants", ())
        zoned = instant or column in zones
        stamp = _timestamp(node, column, value, zones.get(column), zoned)  # a date, or refused
        if instant and not names_zone(value):
            raise ValidationError(
                f"in {node}: column {column!r} holds instants (a Spark TIMESTAMP) whose time "
                f"zone the data does not keep, so {format_value(value)} could mean any zone's "
                "time. Write the zone in the date, e.g. '2024-01-01T00:00Z' or "
                "'2024-01-01 00:00+01:00'; or, for wall-clock times, give the column Spark's "
                "TIMESTAMP_NTZ type (spark.sql.timestampType=TIMESTAMP_NTZ before creating the "
                "DataFrame, or a cast)."
            )
        if not getattr(self.kinds, "spark_timestamps", False):
            return self.params.bind(stamp)
        if zoned:  # the instant, as microseconds since 1970 UTC: no time zone reads it
            micros = pd.Timestamp(stamp).value // 1000
            return exp.Anonymous(this="timestamp_micros", expressions=[self.params.bind(micros)])
        wall = stamp.isoformat(sep=" ", timespec="microseconds")  # naive: a wall-clock time
        return exp.cast(self.params.bind(wall), exp.DataType.build("timestamp_ntz"))

    def _column(self, name: str, *values: Any) -> exp.Expression:
        column = self.aliases.get(name, name)
        kind = self.kinds.get(column)
        for value in values:
            if kind is not None and not _fits(kind, value):
                raise ValidationError(
                    f"slice column {name!r} holds {kind} values; the slice compares it with "
                    f"{value!r} ({type(value).__name__}). Use a {kind} value."
                )
        return column_ref(column, self.kinds)


def _timestamp(
    node: Predicate, column: str, value: Any, zone: str | None, zoned: bool
) -> datetime.datetime:
    """A date literal as the engine compares it, read as in memory (``pd.Timestamp(text)``).

    ``zoned``: the column has a time zone (``zone``, or UTC when unknown): the instant, in UTC.
    """
    stamp = read_date(value, where=node, column=column, zone=(zone or "UTC") if zoned else None)
    if zoned:  # the instant, in UTC
        stamp = stamp.tz_localize("UTC")
    with warnings.catch_warnings():  # nanoseconds: engines keep microseconds
        warnings.simplefilter("ignore")
        result: datetime.datetime = stamp.to_pydatetime()
    return result


def _fits(kind: ColumnKind, value: Any) -> bool:
    if kind == "timestamp":
        return True  # checked when bound: text read as a date
    if kind == "text":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    return isinstance(value, int | float) and not isinstance(value, bool)
