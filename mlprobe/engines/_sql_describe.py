"""A column's profile on an engine: its levels with their counts, or its range.

The engine side of ``describe_column`` (the explorer's slice builder reads it): what the
in-memory probe gives, from one or two queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlprobe.core.analyses.profiles import ColumnProfile
from mlprobe.core.slicing.predicates import PREDICTION, prediction_column
from mlprobe.engines._rows_sql import (
    MANY_DISTINCT,
    MAX_LEVELS,
    distinct_in_prefix,
    level_counts,
    missing_count,
    value_range,
)
from mlprobe.engines._sql_values import plain_value, profile_timestamp
from mlprobe.engines.sql import ColumnKind
from mlprobe.errors import ValidationError, missing_column_error

__all__ = ["DescribedTable", "describe_column"]


@dataclass(frozen=True)
class DescribedTable:
    """What describing a column needs to know of the probe's table."""

    engine: Any
    kinds: dict[str, ColumnKind]
    task: str
    classes: Sequence[Any]
    n_rows: int
    #: the first model's name: ``@prediction`` is its prediction column
    first_model: str
    #: every name a caller may describe (for the did-you-mean of an unknown one)
    columns: list[str]


def describe_column(table: DescribedTable, name: str, label: str | None) -> ColumnProfile:
    """A column's profile (levels with counts, or range) from one or two queries, as memory
    gives it; ``label`` is the column behind ``@target``/``@prediction``, else None (see
    :meth:`mlprobe.engines.sql_backend.SqlBackend.describe_column`)."""
    n = table.n_rows
    if label is not None and table.task != "regression":
        rows, _ = level_counts(table.engine, label, {label: "text", **table.kinds}, limit=None)
        position = {c: i for i, c in enumerate(table.classes)}
        counts = sorted(
            ((position[plain_value(v, integral=True)], count) for v, count in rows),
            key=lambda pair: (-pair[1], pair[0]),
        )
        levels = [(table.classes[i], count) for i, count in counts]
        # named as memory names it: '@prediction' is the first model's column
        shown = prediction_column(table.first_model) if name == PREDICTION else name
        return ColumnProfile(shown, "categorical", n, 0, levels)
    source = label if label is not None else name
    if name == PREDICTION:
        name = prediction_column(table.first_model)  # as memory names it
    if source not in table.engine.types:
        raise missing_column_error(name, table.columns, role="column")
    kind = table.kinds.get(source)
    if kind is None:
        raise ValidationError(
            f"name: column {name!r} holds {table.engine.types[source]} values, which "
            "mlprobe cannot slice or describe; describe a text, number, bool or date column."
        )
    categorical = source in getattr(table.kinds, "categorical", ())
    if kind in ("text", "bool") or categorical:
        declared = getattr(table.kinds, "levels", {}).get(source)
        many = (
            kind != "bool"
            and declared is None
            and distinct_in_prefix(table.engine, source, table.kinds) > MANY_DISTINCT
        )
        if many:
            return ColumnProfile(
                name, "categorical", n, missing_count(table.engine, source, table.kinds), []
            )
        rows, n_missing = level_counts(
            table.engine, source, table.kinds, limit=MAX_LEVELS, declared=declared
        )
        levels = [(plain_value(v, integral=kind == "number"), count) for v, count in rows]
        return ColumnProfile(name, "categorical", n, n_missing, levels)
    if kind == "timestamp":
        as_text = table.engine.dialect == "duckdb" and "_NS" in table.engine.types[source]
        n_missing, low, high = value_range(table.engine, source, table.kinds, as_text=as_text)
        zone = getattr(table.kinds, "zones", {}).get(source)
        return ColumnProfile(
            name,
            "datetime",
            n,
            n_missing,
            [],
            minimum=profile_timestamp(low, zone),
            maximum=profile_timestamp(high, zone),
        )
    n_missing, low, high = value_range(table.engine, source, table.kinds)
    integral = kind == "number" and label is None  # regression labels: floats, as memory
    return ColumnProfile(
        name,
        "numeric",
        n,
        n_missing,
        [],
        minimum=None if low is None else plain_value(low, integral=integral),
        maximum=None if high is None else plain_value(high, integral=integral),
    )
