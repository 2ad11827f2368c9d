"""Evaluate a predicate on an :class:`~mlprobe.core.slicing._encoding.EncodedTable` into a row mask.

Missing values follow SQL's ``WHERE``: a comparison on a missing value is
*unknown*; ``and``/``or``/``not`` combine unknowns by Kleene's logic, and a
row is selected only when the whole predicate is *true*. So
``not (x >= 3)`` leaves out the rows where ``x`` is missing, exactly as a
database would; ``x is null`` selects them.

Every leaf compares codes or numbers, never strings row by row.

Examples
--------
>>> import pandas as pd
>>> from mlprobe.core.slicing._encoding import EncodedTable
>>> from mlprobe.core.slicing.predicates import col
>>> table = EncodedTable(pd.DataFrame({"x": [1.0, None, 5.0], "s": ["a", "b", None]}))
>>> evaluate(~(col("x") >= 3), table).tolist()
[True, False, False]
>>> evaluate((col("s") == "a") | col("x").isnull(), table).tolist()
[True, True, False]
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from mlprobe.core.slicing._dates import read_date
from mlprobe.core.slicing._encoding import (
    CategoricalColumn,
    EncodedColumn,
    EncodedTable,
    NumericColumn,
)
from mlprobe.core.slicing.predicates import (
    COMPARISON_OPS,
    And,
    Between,
    Compare,
    IsIn,
    IsNull,
    Not,
    NotNull,
    Or,
    Predicate,
    Scalar,
    format_value,
)
from mlprobe.errors import UnknownValueWarning, ValidationError, did_you_mean, find_stack_level

__all__ = ["evaluate"]

# (is_true, is_false): a row that is neither is unknown. "is_false" is only
# computed where a "not" above needs it (None otherwise), which saves a pass.
Truth = tuple[np.ndarray, np.ndarray | None]


def evaluate(predicate: Predicate, table: EncodedTable) -> np.ndarray:
    """Return the bool mask of the rows where ``predicate`` is true."""
    if not isinstance(predicate, Predicate):
        raise ValidationError(
            f"expected a predicate built with col(...) or Slice.parse; received {predicate!r} "
            f"({type(predicate).__name__})."
        )
    return _truth(predicate, table, need_false=False)[0]


def _truth(p: Predicate, table: EncodedTable, *, need_false: bool) -> Truth:
    if isinstance(p, And | Or):
        parts = [_truth(c, table, need_false=need_false) for c in p.children]
        true_parts = [t for t, _ in parts]
        is_true = (np.logical_and if isinstance(p, And) else np.logical_or).reduce(true_parts)
        if not need_false:
            return is_true, None
        false_parts = [f for _, f in parts if f is not None]
        return is_true, (np.logical_or if isinstance(p, And) else np.logical_and).reduce(
            false_parts
        )
    if isinstance(p, Not):
        is_true, is_false = _truth(p.child, table, need_false=True)
        return is_false, is_true  # type: ignore[return-value]
    column = table.column(p.column)  # type: ignore[attr-defined]
    if isinstance(p, IsNull | NotNull):
        null = column.null
        return (null, ~null) if isinstance(p, IsNull) else (~null, null)
    holds = _leaf(p, column)
    if not need_false:
        return holds, None
    if not column.has_nulls:
        return holds, ~holds
    return holds, ~holds & ~column.null


def _leaf(p: Predicate, column: EncodedColumn) -> np.ndarray:
    """Mask of rows where the leaf holds; False on missing values."""
    if isinstance(column, CategoricalColumn):
        return _categorical_leaf(p, column)
    return _numeric_leaf(p, column)


# --- categorical columns: compare codes ------------------------------------


def _check_kind(column: CategoricalColumn, value: Scalar, p: Predicate) -> None:
    expected = {"text": str, "bool": bool, "number": int | float}.get(column.kind)
    if expected is None:
        return
    ok = isinstance(value, expected) and not (column.kind == "number" and isinstance(value, bool))
    if not ok:
        sample = ", ".join(format_value(v) for v in column.categories[:3].tolist())
        raise ValidationError(
            f"in {p}: column {column.name!r} holds {column.kind} values ({sample}, ...), "
            f"but the slice compares it to {format_value(value)} ({type(value).__name__}). "
            f"Write the value as the column holds it, e.g. {column.name} == {sample.split(', ')[0]}."
        )


def _lookup(column: CategoricalColumn, selected: np.ndarray) -> np.ndarray:
    """Mask of rows whose code is selected; ``selected`` has one flag per category."""
    table = np.zeros(len(column.categories) + 1, dtype=bool)  # last slot: code -1
    table[:-1] = selected
    return table[column.codes]


_FEW_CODES = 4


def _warn_unknown(
    column: CategoricalColumn,
    values: list[Scalar],
    p: Predicate,
    consequence: str = "no row matches it",
) -> None:
    """Warn that values of a condition never occur in the column (a typo, most often)."""
    if not values:
        return
    levels = [str(c) for c in column.categories.tolist()]
    hints = "".join(did_you_mean(str(v), levels) for v in values)
    shown = ", ".join(format_value(v) for v in values)
    warnings.warn(
        f"in {p}: {shown} {'is' if len(values) == 1 else 'are'} not among the values of "
        f"column {column.name!r} in this data, so {consequence}.{hints}",
        UnknownValueWarning,
        stacklevel=find_stack_level(),
    )


def _categorical_leaf(p: Predicate, column: CategoricalColumn) -> np.ndarray:
    n_categories = len(column.categories)
    if isinstance(p, IsIn):
        for v in p.values:
            _check_kind(column, v, p)
        positions = column.categories.get_indexer(pd.Index(list(p.values), dtype=object))
        _warn_unknown(column, [v for v, i in zip(p.values, positions, strict=True) if i < 0], p)
        found = positions[positions >= 0]
        if len(found) <= _FEW_CODES:  # a few equalities beat a table lookup per row
            holds = np.zeros(len(column.codes), dtype=bool)
            for code in found:
                holds |= column.codes == code
            return holds
        selected = np.zeros(n_categories, dtype=bool)
        selected[found] = True
        return _lookup(column, selected)
    if isinstance(p, Compare) and p.op in ("eq", "ne"):
        _check_kind(column, p.value, p)
        code = column.code_of(p.value)
        if code < 0:
            consequence = "no row matches it" if p.op == "eq" else "every row with a value does"
            _warn_unknown(column, [p.value], p, consequence)
        if p.op == "eq":
            return column.codes == code if code >= 0 else np.zeros(len(column.codes), bool)
        return (column.codes != code) & (column.codes >= 0)
    # order comparisons: a range of category positions
    if column.order == "none" or column.kind == "mixed":
        raise ValidationError(
            f"in {p}: column {column.name!r} holds values of mixed types that have no order; "
            "use == or in [...] instead."
        )
    ranks = np.arange(n_categories)
    if isinstance(p, Between):
        _check_kind(column, p.low, p)
        _check_kind(column, p.high, p)
        selected = (_rank_compare(column, ranks, "ge", p.low, p)) & _rank_compare(
            column, ranks, "le", p.high, p
        )
    elif isinstance(p, Compare):
        _check_kind(column, p.value, p)
        selected = _rank_compare(column, ranks, p.op, p.value, p)
    else:  # pragma: no cover - the node set is closed
        raise TypeError(f"unknown predicate node {type(p).__name__}")
    return _lookup(column, selected)


def _rank_compare(
    column: CategoricalColumn, ranks: np.ndarray, op: str, value: Scalar, p: Predicate
) -> np.ndarray:
    """Flags per category: does ``category <op> value`` hold, by the column's order."""
    position = column.code_of(value)
    if column.order == "declared" and position < 0:
        raise ValidationError(
            f"in {p}: {format_value(value)} is not a level of the ordered column "
            f"{column.name!r}; its levels are {list(column.categories)}."
        )
    if position >= 0:
        left, right = position, position + 1
    else:
        left = right = int(np.searchsorted(column.categories.to_numpy(), value))
    return {
        "lt": ranks < left,
        "le": ranks < right,
        "gt": ranks >= right,
        "ge": ranks >= left,
    }[op]


# --- numeric columns: compare numbers ----------------------------------------


def _number(column: NumericColumn, value: Scalar, p: Predicate) -> Any:
    if column.is_datetime:
        zone = None if column.tz is None else str(column.tz)
        return read_date(value, where=p, column=column.name, zone=zone).to_datetime64()
    if isinstance(value, str):
        raise ValidationError(
            f"in {p}: column {column.name!r} is numeric, but the slice compares it to the text "
            f"{format_value(value)}. Write the number without quotes, e.g. {column.name} >= 3."
        )
    if isinstance(value, bool | np.bool_):  # True is not 1 row of a count, as on the engines
        raise ValidationError(
            f"in {p}: column {column.name!r} is numeric, but the slice compares it to "
            f"{format_value(value)} (bool). Write a number, e.g. {column.name} == 1."
        )
    return value


def _numeric_leaf(p: Predicate, column: NumericColumn) -> np.ndarray:
    values = column.values
    if isinstance(p, IsIn):
        wanted = [_number(column, v, p) for v in p.values]
        if not wanted:
            return np.zeros(len(values), dtype=bool)
        return np.isin(values, np.asarray(wanted))
    if isinstance(p, Between):
        low, high = _number(column, p.low, p), _number(column, p.high, p)
        return (values >= low) & (values <= high)
    if isinstance(p, Compare):
        value = _number(column, p.value, p)
        if p.op == "ne":
            holds = values != value
            return holds & ~column.null if column.has_nulls else holds
        return {
            "eq": np.equal,
            "lt": np.less,
            "le": np.less_equal,
            "gt": np.greater,
            "ge": np.greater_equal,
        }[p.op](values, value)
    raise TypeError(  # pragma: no cover - the node set is closed
        f"unknown predicate node {type(p).__name__}; expected one of {sorted(COMPARISON_OPS)}"
    )
