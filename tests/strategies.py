"""Hypothesis strategies shared by the tests.

``predicates()`` draws predicates over every node type, in the flat form that
``&`` / ``|`` and :func:`mlprobe.core.slicing.parser.parse_predicate` build (no ``And``
directly inside an ``And``, no ``Or`` directly inside an ``Or``), so
``parse_predicate(str(p)) == p`` holds for every draw.
"""

from __future__ import annotations

import functools
import operator

from hypothesis import strategies as st

from mlprobe.core.slicing.predicates import (
    COMPARISON_OPS,
    Between,
    Compare,
    IsIn,
    IsNull,
    Not,
    NotNull,
    Predicate,
    Scalar,
    prediction_column,
)

__all__ = ["column_names", "leaf_predicates", "predicates", "scalars"]

#: Names that print bare, in backticks, or as reserved @ names.
AWKWARD_NAMES = [
    "and",
    "OR",
    "Not",
    "in",
    "IS",
    "null",
    "Between",
    "true",
    "FALSE",
    "nan",
    "None",
    "inf",
    "@target",
    "@prediction",
    "@prediction[v2]",
    "@prediction[model a (2024)]",
    "@prediction[]",
    "@other",
    "@",
    "hours per week",
    "a`b",
    "`",
    "``",
    "1st",
    "x-y",
    "ünïcödé",
    "'quoted'",
    "line\nbreak",
]

#: Values that stress quoting, escaping and float printing.
AWKWARD_VALUES: list[Scalar] = [
    "O'Brien",
    'say "hi"',
    "back\\slash",
    "\\'",
    "",
    "line\nbreak\ttab",
    "ünïcödé ✓",
    "`",
    "null",
    "1",
    1e16,
    1e-05,
    -0.0,
    5e-324,
    1.7976931348623157e308,
    0.1,
    -2.5,
    -(2**63),
    10**30,
]


def column_names() -> st.SearchStrategy[str]:
    """Column names, including keywords, names needing backticks and reserved @ names."""
    model_names = st.text(
        alphabet=st.characters(exclude_characters="[]`"), min_size=1, max_size=6
    ).map(prediction_column)
    return st.one_of(
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True),
        st.sampled_from(AWKWARD_NAMES),
        st.text(min_size=1, max_size=8),
        model_names,
    )


def scalars() -> st.SearchStrategy[Scalar]:
    """Literal values: str (quotes, backslashes, unicode), int, finite float, bool."""
    return st.one_of(
        st.text(max_size=8),
        st.sampled_from(AWKWARD_VALUES),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
    )


def leaf_predicates(
    columns: st.SearchStrategy[str] | None = None,
    values: st.SearchStrategy[Scalar] | None = None,
) -> st.SearchStrategy[Predicate]:
    """Compare, IsIn, Between, IsNull and NotNull nodes."""
    columns = column_names() if columns is None else columns
    values = scalars() if values is None else values
    return st.one_of(
        st.builds(Compare, columns, st.sampled_from(sorted(COMPARISON_OPS)), values),
        st.builds(IsIn, columns, st.lists(values, max_size=4).map(tuple)),
        st.builds(Between, columns, values, values),
        st.builds(IsNull, columns),
        st.builds(NotNull, columns),
    )


def predicates(
    columns: st.SearchStrategy[str] | None = None,
    values: st.SearchStrategy[Scalar] | None = None,
    *,
    max_leaves: int = 10,
) -> st.SearchStrategy[Predicate]:
    """Predicate trees over all node types, combined as ``&``, ``|`` and ``~`` do.

    Parameters
    ----------
    columns, values
        Strategies for column names and literal values; default
        :func:`column_names` and :func:`scalars`. Pass narrower ones to draw
        predicates over the columns of a given table.
    max_leaves
        Upper bound on the number of leaf conditions.
    """

    def extend(children: st.SearchStrategy[Predicate]) -> st.SearchStrategy[Predicate]:
        groups = st.lists(children, min_size=2, max_size=4)
        return st.one_of(
            children.map(Not),
            groups.map(lambda ps: functools.reduce(operator.and_, ps)),
            groups.map(lambda ps: functools.reduce(operator.or_, ps)),
        )

    return st.recursive(leaf_predicates(columns, values), extend, max_leaves=max_leaves)
