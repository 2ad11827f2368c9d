"""Predicates: a small closed set of node types that say which rows a slice holds.

Build them with :func:`col` and the operators ``== != < <= > >=``, ``&``, ``|``
and ``~``; or with :meth:`Column.isin`, :meth:`Column.between`,
:meth:`Column.isnull` and :meth:`Column.notnull`.

The node set is closed on purpose: a predicate is plain data, it converts to
and from JSON-ready dicts through a fixed registry (never code), prints as the
expression language that :func:`mlprobe.core.slicing.parser.parse_predicate` reads,
and compiles to SQL with a simple tree walk.

Semantics follow SQL's, minus its third truth value: a comparison on a missing
value is False, and ``~`` negates that False, so ``~(col("x") >= 3)`` does
*not* select rows where ``x`` is missing. Use :meth:`Column.isnull` for those.

Examples
--------
>>> p = (col("age") >= 60) & (col("sex") == "Female")
>>> str(p)
"age >= 60 and sex == 'Female'"
>>> p.to_dict()
{'and': [{'column': 'age', 'ge': 60}, {'column': 'sex', 'eq': 'Female'}]}
>>> predicate_from_dict(p.to_dict()) == p
True
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeAlias

from mlprobe.errors import ValidationError, did_you_mean

__all__ = [
    "COMPARISON_OPS",
    "PREDICTION",
    "TARGET",
    "And",
    "Between",
    "Column",
    "Compare",
    "IsIn",
    "IsNull",
    "Not",
    "NotNull",
    "Or",
    "Predicate",
    "Scalar",
    "check_no_reserved_columns",
    "col",
    "predicate_from_dict",
    "prediction_column",
]

Scalar: TypeAlias = str | int | float | bool

#: Reserved column name for the true label (or value) of each row.
TARGET = "@target"
#: Reserved column name for the prediction of the model under evaluation.
PREDICTION = "@prediction"

CompareOp = Literal["eq", "ne", "lt", "le", "gt", "ge"]
#: Comparison operators: dict key -> expression symbol.
COMPARISON_OPS: dict[str, str] = {
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_RESERVED_WORDS = frozenset({"and", "or", "not", "in", "is", "null", "between", "true", "false"})


def prediction_column(model: str) -> str:
    """Return the reserved column name for a named model's prediction.

    Examples
    --------
    >>> prediction_column("v2")
    '@prediction[v2]'
    """
    return f"{PREDICTION}[{model}]"


def check_no_reserved_columns(columns: Iterable[object]) -> None:
    """Refuse data columns named like the probe's own (``@target``, ``@prediction``,
    ``@prediction[model]``): a slice could never tell the column from the label.

    Examples
    --------
    >>> check_no_reserved_columns(["age", "@score"])
    >>> check_no_reserved_columns(["@target"])
    Traceback (most recent call last):
    ...
    mlprobe.errors.ValidationError: data: the column '@target' has a name mlprobe reserves ...
    """
    for name in columns:
        if isinstance(name, str) and (
            name in (TARGET, PREDICTION) or re.fullmatch(r"@prediction\[.*\]", name)
        ):
            raise ValidationError(
                f"data: the column {name!r} has a name mlprobe reserves for the probe's "
                f"labels ({TARGET}, {PREDICTION}, {PREDICTION}[<model>]), so no slice could "
                "tell the two apart; rename it, e.g. "
                f"data.rename(columns={{{name!r}: {name[1:]!r}}})."
            )


def _check_column(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise ValidationError(
            f"column name must be a non-empty str; received {name!r} "
            f"({type(name).__name__}). Pass the column's name, e.g. col('age')."
        )
    return name


def _check_scalar(value: object, *, where: str) -> Scalar:
    # numpy scalars become Python scalars so dicts stay JSON-ready
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        with contextlib.suppress(TypeError, ValueError):
            value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            raise ValidationError(
                f"{where} received NaN. A comparison on a missing value is always False; "
                "select missing values with col(name).isnull() or 'name is null'."
            )
        if math.isinf(value):
            raise ValidationError(f"{where} received {value!r}; use a finite number.")
        return value
    if value is None:
        raise ValidationError(
            f"{where} received None. Select missing values with col(name).isnull() "
            "or 'name is null'."
        )
    raise ValidationError(
        f"{where} takes a str, int, float or bool; received {value!r} "
        f"({type(value).__name__}). Convert it to one of those first."
    )


def quote_name(name: str) -> str:
    """Return ``name`` as the expression language spells it: bare or in backticks.

    Examples
    --------
    >>> quote_name("age"), quote_name("hours per week"), quote_name("@target")
    ('age', '`hours per week`', '@target')
    """
    if name.startswith("@") and (
        name in (TARGET, PREDICTION) or re.fullmatch(r"@prediction\[[^\[\]`]+\]", name)
    ):
        return name
    if _IDENTIFIER.match(name) and name.lower() not in _RESERVED_WORDS:
        return name
    return "`" + name.replace("`", "``") + "`"


def format_value(value: Scalar) -> str:
    """Return a literal as the expression language spells it.

    Examples
    --------
    >>> format_value("O'Brien"), format_value(True), format_value(2.5)
    ("'O\\\\'Brien'", 'true', '2.5')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    # int.__repr__ / float.__repr__, not repr(): an IntEnum member would print as <E.A: 1>
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return float.__repr__(value)
    return repr(value)


class Predicate:
    """Base class of predicate nodes; combine with ``&``, ``|`` and ``~``."""

    __slots__ = ()
    #: precedence when printed: or < and < not < leaf
    _precedence: ClassVar[int] = 3

    def __and__(self, other: Predicate) -> Predicate:
        _check_operand(other, "&")
        return And((*_flatten(self, And), *_flatten(other, And)))

    def __or__(self, other: Predicate) -> Predicate:
        _check_operand(other, "|")
        return Or((*_flatten(self, Or), *_flatten(other, Or)))

    def __invert__(self) -> Predicate:
        return Not(self)

    # immutable: copies are the object itself (pandas deep-copies DataFrame.attrs on every
    # operation, and breakdown tables carry their slices there)
    def __copy__(self) -> Predicate:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Predicate:
        return self

    def __bool__(self) -> bool:
        raise TypeError(
            "a predicate has no truth value: combine predicates with & | ~ "
            "(not with and / or / not), and wrap each comparison in parentheses: "
            "(col('a') > 1) & (col('b') == 'x')."
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the predicate as plain, JSON-ready data."""
        raise NotImplementedError

    def columns(self) -> frozenset[str]:
        """Return the names of the columns the predicate reads."""
        raise NotImplementedError

    def _text(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self._text()

    def _child_text(self, child: Predicate) -> str:
        text = child._text()
        return f"({text})" if child._precedence <= self._precedence else text


def _check_operand(other: object, symbol: str) -> None:
    if not isinstance(other, Predicate):
        raise ValidationError(
            f"'{symbol}' combines predicates; received {other!r} ({type(other).__name__}). "
            "Build both sides with col(...), e.g. (col('a') > 1) & (col('b') == 'x')."
        )


def _flatten(p: Predicate, kind: type[And] | type[Or]) -> tuple[Predicate, ...]:
    return p.children if isinstance(p, kind) else (p,)


@dataclass(frozen=True, slots=True)
class Compare(Predicate):
    """``column <op> value`` with op one of eq, ne, lt, le, gt, ge."""

    column: str
    op: CompareOp
    value: Scalar

    def __post_init__(self) -> None:
        _check_column(self.column)
        if self.op not in COMPARISON_OPS:
            raise ValidationError(
                f"comparison operator must be one of {sorted(COMPARISON_OPS)}; "
                f"received {self.op!r}.{did_you_mean(str(self.op), COMPARISON_OPS)}"
            )
        object.__setattr__(
            self, "value", _check_scalar(self.value, where=f"comparison on {self.column!r}")
        )

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, self.op: self.value}

    def columns(self) -> frozenset[str]:
        return frozenset({self.column})

    def _text(self) -> str:
        symbol = COMPARISON_OPS[self.op]
        return f"{quote_name(self.column)} {symbol} {format_value(self.value)}"


@dataclass(frozen=True, slots=True)
class IsIn(Predicate):
    """``column in [v1, v2, ...]``; an empty list selects no row."""

    column: str
    values: tuple[Scalar, ...]

    def __post_init__(self) -> None:
        _check_column(self.column)
        if isinstance(self.values, str | bytes) or not isinstance(self.values, Iterable):
            raise ValidationError(
                f"isin on {self.column!r} takes a list of values; received {self.values!r}. "
                "Wrap a single value in a list: isin(['a'])."
            )
        checked = tuple(_check_scalar(v, where=f"isin on {self.column!r}") for v in self.values)
        object.__setattr__(self, "values", tuple(dict.fromkeys(checked)))

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "in": list(self.values)}

    def columns(self) -> frozenset[str]:
        return frozenset({self.column})

    def _text(self) -> str:
        inner = ", ".join(format_value(v) for v in self.values)
        return f"{quote_name(self.column)} in [{inner}]"


@dataclass(frozen=True, slots=True)
class Between(Predicate):
    """``low <= column <= high`` (both ends inclusive)."""

    column: str
    low: Scalar
    high: Scalar

    def __post_init__(self) -> None:
        _check_column(self.column)
        where = f"between on {self.column!r}"
        object.__setattr__(self, "low", _check_scalar(self.low, where=where))
        object.__setattr__(self, "high", _check_scalar(self.high, where=where))

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "between": [self.low, self.high]}

    def columns(self) -> frozenset[str]:
        return frozenset({self.column})

    def _text(self) -> str:
        return (
            f"{quote_name(self.column)} between {format_value(self.low)} "
            f"and {format_value(self.high)}"
        )


@dataclass(frozen=True, slots=True)
class IsNull(Predicate):
    """``column is null``: the rows where the value is missing."""

    column: str

    def __post_init__(self) -> None:
        _check_column(self.column)

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "is_null": True}

    def columns(self) -> frozenset[str]:
        return frozenset({self.column})

    def _text(self) -> str:
        return f"{quote_name(self.column)} is null"


@dataclass(frozen=True, slots=True)
class NotNull(Predicate):
    """``column is not null``: the rows where the value is present."""

    column: str

    def __post_init__(self) -> None:
        _check_column(self.column)

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "not_null": True}

    def columns(self) -> frozenset[str]:
        return frozenset({self.column})

    def _text(self) -> str:
        return f"{quote_name(self.column)} is not null"


def _check_children(children: object, kind: str) -> tuple[Predicate, ...]:
    if isinstance(children, Predicate) or not isinstance(children, Iterable):
        raise ValidationError(f"{kind} takes a list of predicates; received {children!r}.")
    children = tuple(children)
    if len(children) < 2:
        raise ValidationError(
            f"{kind} needs at least two predicates; received {len(children)}. "
            "Use the predicate itself when there is only one."
        )
    for child in children:
        _check_operand(child, kind)
    return children


@dataclass(frozen=True, slots=True)
class And(Predicate):
    """All children hold; nested ``and`` nodes are flattened into one."""

    children: tuple[Predicate, ...]
    _precedence: ClassVar[int] = 1

    def __post_init__(self) -> None:
        children = _check_children(self.children, "and")
        object.__setattr__(self, "children", tuple(c for p in children for c in _flatten(p, And)))

    def to_dict(self) -> dict[str, Any]:
        return {"and": [c.to_dict() for c in self.children]}

    def columns(self) -> frozenset[str]:
        return frozenset().union(*(c.columns() for c in self.children))

    def _text(self) -> str:
        return " and ".join(self._child_text(c) for c in self.children)


@dataclass(frozen=True, slots=True)
class Or(Predicate):
    """At least one child holds; nested ``or`` nodes are flattened into one."""

    children: tuple[Predicate, ...]
    _precedence: ClassVar[int] = 0

    def __post_init__(self) -> None:
        children = _check_children(self.children, "or")
        object.__setattr__(self, "children", tuple(c for p in children for c in _flatten(p, Or)))

    def to_dict(self) -> dict[str, Any]:
        return {"or": [c.to_dict() for c in self.children]}

    def columns(self) -> frozenset[str]:
        return frozenset().union(*(c.columns() for c in self.children))

    def _text(self) -> str:
        return " or ".join(self._child_text(c) for c in self.children)


@dataclass(frozen=True, slots=True)
class Not(Predicate):
    """The child does not hold (a missing-value comparison stays excluded)."""

    child: Predicate
    _precedence: ClassVar[int] = 2

    def __post_init__(self) -> None:
        _check_operand(self.child, "not")

    def to_dict(self) -> dict[str, Any]:
        return {"not": self.child.to_dict()}

    def columns(self) -> frozenset[str]:
        return self.child.columns()

    def _text(self) -> str:
        # "not" binds tighter than and/or, so a compound child needs parentheses
        text = self.child._text()
        return f"not ({text})" if isinstance(self.child, And | Or | Between) else f"not {text}"


class Column:
    """A column reference that builds predicates; see :func:`col`.

    ``==`` and ``!=`` return predicates, so a Column is not hashable.
    """

    __slots__ = ("name",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, name: str) -> None:
        self.name = _check_column(name)

    def __repr__(self) -> str:
        return f"col({self.name!r})"

    def __eq__(self, value: object) -> Predicate:  # type: ignore[override]
        return Compare(self.name, "eq", value)  # type: ignore[arg-type]

    def __ne__(self, value: object) -> Predicate:  # type: ignore[override]
        return Compare(self.name, "ne", value)  # type: ignore[arg-type]

    def __lt__(self, value: Scalar) -> Predicate:
        return Compare(self.name, "lt", value)

    def __le__(self, value: Scalar) -> Predicate:
        return Compare(self.name, "le", value)

    def __gt__(self, value: Scalar) -> Predicate:
        return Compare(self.name, "gt", value)

    def __ge__(self, value: Scalar) -> Predicate:
        return Compare(self.name, "ge", value)

    def isin(self, values: Iterable[Scalar]) -> Predicate:
        """Rows whose value is one of ``values``."""
        return IsIn(self.name, values)  # type: ignore[arg-type]

    def between(self, low: Scalar, high: Scalar) -> Predicate:
        """Rows with ``low <= value <= high``."""
        return Between(self.name, low, high)

    def isnull(self) -> Predicate:
        """Rows whose value is missing."""
        return IsNull(self.name)

    def notnull(self) -> Predicate:
        """Rows whose value is present."""
        return NotNull(self.name)

    def __bool__(self) -> bool:
        raise TypeError(f"{self!r} has no truth value; compare it, e.g. {self!r} == 'x'.")


def col(name: str) -> Column:
    """Refer to a column by name, to build a predicate.

    Use ``col("@target")`` for the true label and ``col("@prediction")`` for
    the prediction of the model being evaluated (``col("@prediction[v2]")`` for
    a named model), for example to slice one cell of a confusion matrix.

    Examples
    --------
    >>> str((col("age") >= 60) | col("race").isin(["Black", "Other"]))
    "age >= 60 or race in ['Black', 'Other']"
    >>> str(~(col("@target") == ">50K") & col("capital_gain").isnull())
    "not @target == '>50K' and capital_gain is null"
    """
    return Column(name)


# ---------------------------------------------------------------------------
# from plain data: a fixed registry of keys, never code

_LEAF_KEYS: dict[str, str] = {
    **{op: "compare" for op in COMPARISON_OPS},
    "in": "in",
    "between": "between",
    "is_null": "is_null",
    "not_null": "not_null",
}
_NODE_KEYS = ("and", "or", "not")


def predicate_from_dict(data: object, *, path: str = "slice") -> Predicate:
    """Build a predicate from the plain data :meth:`Predicate.to_dict` returns.

    Unknown keys, wrong types and malformed nodes raise
    :class:`~mlprobe.errors.ValidationError` naming the path of the field.

    Examples
    --------
    >>> str(predicate_from_dict({"or": [{"column": "a", "lt": 1}, {"column": "b", "is_null": True}]}))
    'a < 1 or b is null'
    >>> predicate_from_dict({"column": "a", "gte": 1})
    Traceback (most recent call last):
    ...
    mlprobe.errors.ValidationError: slice: unknown key 'gte'. Did you mean 'gt' or 'ge'? ...
    """
    if not isinstance(data, Mapping):
        raise ValidationError(
            f"{path}: expected a mapping such as {{'column': 'age', 'ge': 60}}; "
            f"received {data!r} ({type(data).__name__})."
        )
    keys = set(data)
    node_keys = keys & set(_NODE_KEYS)
    if node_keys:
        if len(keys) != 1:
            raise ValidationError(
                f"{path}: a {'/'.join(sorted(node_keys))} node takes no other keys; "
                f"received keys {sorted(map(str, keys))}."
            )
        (key,) = node_keys
        body = data[key]
        if key == "not":
            return Not(predicate_from_dict(body, path=f"{path}.not"))
        if not isinstance(body, Sequence) or isinstance(body, str) or len(body) < 2:
            raise ValidationError(
                f"{path}.{key}: expected a list of at least two predicates; received {body!r}."
            )
        children = tuple(
            predicate_from_dict(child, path=f"{path}.{key}[{i}]") for i, child in enumerate(body)
        )
        return And(children) if key == "and" else Or(children)
    if "column" not in keys:
        unknown = sorted(map(str, keys))
        hint = did_you_mean(unknown[0], ("column", *_NODE_KEYS)) if unknown else ""
        raise ValidationError(
            f"{path}: expected 'column' with one operator, or one of 'and', 'or', 'not'; "
            f"received keys {unknown}.{hint}"
        )
    column = data["column"]
    if not isinstance(column, str) or not column:
        raise ValidationError(f"{path}.column: expected a column name (str); received {column!r}.")
    ops = keys - {"column"}
    unknown_ops = sorted(map(str, ops - set(_LEAF_KEYS)))
    if unknown_ops:
        raise ValidationError(
            f"{path}: unknown key {unknown_ops[0]!r}.{did_you_mean(unknown_ops[0], _LEAF_KEYS)}"
            f" Valid operators: {', '.join(_LEAF_KEYS)}."
        )
    if len(ops) != 1:
        raise ValidationError(
            f"{path}: expected exactly one operator beside 'column'; received {sorted(ops)}. "
            "Combine conditions with {'and': [...]}."
        )
    (op,) = ops
    arg = data[op]
    where = f"{path}.{op}"
    try:
        kind = _LEAF_KEYS[op]
        if kind == "compare":
            return Compare(column, op, arg)
        if kind == "in":
            if not isinstance(arg, Sequence) or isinstance(arg, str):
                raise ValidationError(f"expected a list of values; received {arg!r}")
            return IsIn(column, tuple(arg))
        if kind == "between":
            if not isinstance(arg, Sequence) or isinstance(arg, str) or len(arg) != 2:
                raise ValidationError(f"expected a list [low, high]; received {arg!r}")
            return Between(column, arg[0], arg[1])
        if arg is not True:
            raise ValidationError(f"expected true; received {arg!r}")
        return IsNull(column) if kind == "is_null" else NotNull(column)
    except ValidationError as error:
        raise ValidationError(f"{where}: {error}") from None
