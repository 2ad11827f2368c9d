"""Predicates -> row masks: SQL's three-valued logic on missing values, for every column dtype.

Two references: a pure-Python Kleene evaluator over hypothesis-drawn small tables, and
pandas' own nullable ``boolean`` arrays (whose ``& | ~`` are Kleene's) for each dtype.
"""

from __future__ import annotations

import functools
import math
import operator
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import predicates

import mlprobe as mp
from mlprobe import Slice, col
from mlprobe.core.slicing._encoding import EncodedTable
from mlprobe.core.slicing._masks import evaluate
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
)
from mlprobe.errors import ColumnNotFoundError, ValidationError

# --- a reference implementation of SQL's three-valued logic, in plain Python ---------


class TypeMismatch(Exception):
    """The literal cannot be compared with the column (mlprobe raises ValidationError)."""


@dataclass(frozen=True)
class ColumnSpec:
    """How a reference column compares: kind of values, and the declared level order."""

    kind: str  # "number", "text" or "bool"
    levels: tuple[str, ...] | None = None  # an ordered categorical's declared order
    checked: bool = True  # False: no value to infer a type from, so no type check


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def _check_literal(spec: ColumnSpec, value: object, *, ordering: bool) -> None:
    if not spec.checked:
        return
    if spec.kind == "number" and isinstance(value, str | bool):  # True is not 1, as in SQL
        raise TypeMismatch
    if spec.kind == "text" and not isinstance(value, str):
        raise TypeMismatch
    if spec.kind == "bool" and not isinstance(value, bool):
        raise TypeMismatch
    if ordering and spec.levels is not None and value not in spec.levels:
        raise TypeMismatch  # < and > need a level of an ordered categorical


def _key(spec: ColumnSpec, value: Any) -> Any:
    return spec.levels.index(value) if spec.levels is not None else value


def check_types(p: Predicate, specs: dict[str, ColumnSpec]) -> None:
    """Raise TypeMismatch if any leaf compares a column with a literal of another type."""
    if isinstance(p, And | Or):
        for child in p.children:
            check_types(child, specs)
    elif isinstance(p, Not):
        check_types(p.child, specs)
    elif isinstance(p, Compare):
        _check_literal(specs[p.column], p.value, ordering=p.op not in ("eq", "ne"))
    elif isinstance(p, IsIn):
        for v in p.values:
            _check_literal(specs[p.column], v, ordering=False)
    elif isinstance(p, Between):
        _check_literal(specs[p.column], p.low, ordering=True)
        _check_literal(specs[p.column], p.high, ordering=True)


def kleene(p: Predicate, row: dict[str, Any], specs: dict[str, ColumnSpec]) -> bool | None:
    """True, False or None (unknown) for one row; ``None`` in ``row`` is a missing value."""
    if isinstance(p, And):
        parts = [kleene(c, row, specs) for c in p.children]
        return False if False in parts else None if None in parts else True
    if isinstance(p, Or):
        parts = [kleene(c, row, specs) for c in p.children]
        return True if True in parts else None if None in parts else False
    if isinstance(p, Not):
        inner = kleene(p.child, row, specs)
        return None if inner is None else not inner
    value = row[p.column]  # type: ignore[attr-defined]
    if isinstance(p, IsNull):
        return value is None
    if isinstance(p, NotNull):
        return value is not None
    if value is None:
        return None
    spec = specs[p.column]  # type: ignore[attr-defined]
    if isinstance(p, IsIn):
        return value in p.values
    if isinstance(p, Between):
        if spec.levels is not None:
            return _key(spec, p.low) <= _key(spec, value) <= _key(spec, p.high)
        return p.low <= value <= p.high
    assert isinstance(p, Compare)
    if p.op in ("eq", "ne") and spec.levels is not None and p.value not in spec.levels:
        return p.op == "ne"
    return _OPS[p.op](_key(spec, value), _key(spec, p.value))


def reference_mask(
    p: Predicate, rows: list[dict[str, Any]], specs: dict[str, ColumnSpec]
) -> list[bool]:
    """Rows where the predicate is true (unknown counts as not selected, as in SQL WHERE)."""
    return [kleene(p, row, specs) is True for row in rows]


# --- hypothesis tables ---------------------------------------------------------------

LEVELS = ("lo", "mid", "hi")  # declared order differs from the alphabetical one


@dataclass(frozen=True)
class Family:
    """Columns of one table: how to build each from Python values, and what they hold."""

    cells: dict[str, st.SearchStrategy[Any]]
    build: dict[str, Callable[[list[Any]], Any]]
    specs: dict[str, ColumnSpec]
    values: st.SearchStrategy[Any]


def _float_column(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


NUMERIC = Family(
    cells={
        "x": st.one_of(st.none(), st.sampled_from([-1.5, 0.0, 0.5, 2.0, 3.0])),
        "i": st.one_of(st.none(), st.integers(-1, 3)),
        "n": st.integers(-2, 3),
    },
    build={
        "x": _float_column,
        "i": lambda v: pd.array(v, dtype="Int64"),
        "n": lambda v: np.array(v, dtype=np.int64),
    },
    specs={"x": ColumnSpec("number"), "i": ColumnSpec("number"), "n": ColumnSpec("number")},
    values=st.one_of(st.integers(-2, 4), st.sampled_from([-1.5, 0.5, 2.0, 2.5]), st.booleans()),
)

_TEXT = ["a", "b", "", "ab", "B"]
TEXT = Family(
    cells={
        "s": st.one_of(st.none(), st.sampled_from(_TEXT)),
        "t": st.one_of(st.none(), st.sampled_from(_TEXT)),
        "c": st.one_of(st.none(), st.sampled_from(_TEXT)),
        "o": st.one_of(st.none(), st.sampled_from(LEVELS)),
    },
    build={
        "s": lambda v: pd.Series(v, dtype=object),
        "t": lambda v: pd.array(v, dtype="string"),
        "c": lambda v: pd.Categorical(v, categories=["zz", *_TEXT]),  # "zz" never occurs
        "o": lambda v: pd.Categorical(v, categories=list(LEVELS), ordered=True),
    },
    specs={
        "s": ColumnSpec("text"),
        "t": ColumnSpec("text"),
        "c": ColumnSpec("text"),
        "o": ColumnSpec("text", levels=LEVELS),
    },
    values=st.sampled_from([*_TEXT, *LEVELS, "zz", "c"]),
)

BOOL = Family(
    cells={"b": st.one_of(st.none(), st.booleans()), "bb": st.booleans()},
    build={"b": lambda v: pd.array(v, dtype="boolean"), "bb": lambda v: np.array(v, dtype=bool)},
    specs={"b": ColumnSpec("bool"), "bb": ColumnSpec("bool")},
    values=st.booleans(),
)

MIXED = Family(  # literals of either type: mismatches must raise, as the reference says
    cells={"x": NUMERIC.cells["x"], "s": TEXT.cells["s"]},
    build={"x": _float_column, "s": TEXT.build["s"]},
    specs={"x": ColumnSpec("number"), "s": ColumnSpec("text")},
    values=st.one_of(st.integers(-1, 3), st.sampled_from(["a", "b", ""])),
)


@st.composite
def tables(draw: st.DrawFn, family: Family) -> tuple[pd.DataFrame, list[dict[str, Any]], dict]:
    n = draw(st.integers(1, 8))
    columns = {
        name: draw(st.lists(cell, min_size=n, max_size=n)) for name, cell in family.cells.items()
    }
    frame = pd.DataFrame({name: family.build[name](values) for name, values in columns.items()})
    rows = [{name: columns[name][i] for name in columns} for i in range(n)]
    specs = dict(family.specs)
    for name, spec in specs.items():
        # a text column with no value (and no declared categories) has no type to check
        undeclared = not isinstance(frame[name].dtype, pd.CategoricalDtype)
        if spec.kind == "text" and undeclared and all(v is None for v in columns[name]):
            specs[name] = ColumnSpec("text", checked=False)
    return frame, rows, specs


def _check_against_reference(table: tuple, predicate: Predicate) -> None:
    frame, rows, specs = table
    try:
        check_types(predicate, specs)
    except TypeMismatch:
        with pytest.raises(ValidationError):
            Slice(None, predicate).mask(frame)
        return
    mask = Slice(None, predicate).mask(frame)
    assert mask.dtype == bool
    assert mask.tolist() == reference_mask(predicate, rows, specs), str(predicate)


def _family_test(family: Family) -> Callable[..., None]:
    @settings(max_examples=60, deadline=None)
    @given(
        tables(family),
        predicates(st.sampled_from(sorted(family.cells)), family.values, max_leaves=6),
    )
    def check(table: tuple, predicate: Predicate) -> None:
        _check_against_reference(table, predicate)

    return check


test_kleene_logic_on_numeric_columns = _family_test(NUMERIC)
test_kleene_logic_on_text_and_categorical_columns = _family_test(TEXT)
test_kleene_logic_on_bool_columns = _family_test(BOOL)
test_type_mismatches_raise_exactly_where_the_reference_says = _family_test(MIXED)


# --- the same semantics, with pandas' nullable booleans as the reference --------------


def pandas_reference(
    p: Predicate, frame: pd.DataFrame, literal: Callable[[Any], Any]
) -> np.ndarray:
    """Each leaf as a pandas ``boolean`` array (NA where the value is missing), combined
    with pandas' Kleene ``& | ~``; rows that end up NA are not selected."""

    def leaf_values(series: pd.Series) -> pd.Series:
        # unordered categories compare as their values; text as "string" so that None is NA
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype) and not dtype.ordered:
            numeric = pd.api.types.is_numeric_dtype(dtype.categories.dtype)
            return series.astype("Float64" if numeric else "string")
        return series.astype("string") if pd.api.types.is_object_dtype(dtype) else series

    def walk(node: Predicate) -> pd.Series:
        if isinstance(node, And):
            return functools.reduce(operator.and_, map(walk, node.children))
        if isinstance(node, Or):
            return functools.reduce(operator.or_, map(walk, node.children))
        if isinstance(node, Not):
            return ~walk(node.child)
        series = frame[node.column]  # type: ignore[attr-defined]
        if isinstance(node, IsNull):
            return series.isna().astype("boolean")
        if isinstance(node, NotNull):
            return series.notna().astype("boolean")
        values = leaf_values(series)
        if isinstance(node, IsIn):
            result = values.isin([literal(v) for v in node.values])
        elif isinstance(node, Between):
            result = values.between(literal(node.low), literal(node.high))
        else:
            assert isinstance(node, Compare)
            result = _OPS[node.op](values, literal(node.value))
        result = result.astype("boolean")
        result[series.isna().to_numpy()] = pd.NA
        return result

    return walk(p).fillna(False).to_numpy(dtype=bool)


def _templates(a: Any, b: Any) -> list[Predicate]:
    """Predicates over column ``v`` with literals a < b, negations and missing-value tests."""
    v = col("v")
    return [
        v == a,
        v != a,
        ~(v == a),
        v < b,
        v >= b,
        ~(v >= b),
        v.isin([a, b]),
        ~v.isin([a, b]),
        v.between(a, b),
        ~v.between(a, b),
        (v > a) | v.isnull(),
        ~((v > a) & (v <= b)),
        ~(v == a) | (v == b),
        ~(~(v < b)),
        v.notnull() & ~(v == b),
    ]


def _same(value: Any) -> Any:
    return value


DTYPE_CASES: list[tuple[str, Any, Any, Any, Callable[[Any], Any]]] = [
    # id, column values, literal a, literal b (a < b), literal as pandas compares it
    ("float64 with NaN", [1.0, np.nan, 3.0, 5.0, -2.0, 3.0], 1, 3.5, _same),
    ("int64", np.array([1, 4, 3, 5, -2, 3]), 1, 3.5, _same),
    ("nullable Int64", pd.array([1, None, 3, 5, -2, 3], dtype="Int64"), 1, 3, _same),
    (
        "nullable Float64",
        pd.array([1.5, None, 3.0, np.nan, -2.0, 3.0], dtype="Float64"),
        1.5,
        3,
        _same,
    ),
    ("object text", pd.Series(["b", None, "a", "c", "", "b"], dtype=object), "a", "b", _same),
    ("pandas default text", ["b", None, "a", "c", "", "b"], "a", "bb", _same),
    ("string dtype", pd.array(["b", None, "a", "c", "", "b"], dtype="string"), "", "b", _same),
    ("category", pd.Categorical(["b", None, "a", "c", "a", "b"]), "a", "b", _same),
    ("category of ints", pd.Categorical([3, None, 1, 2, 1, 10]), 1, 3, _same),
    (
        "ordered category",
        pd.Categorical(["lo", None, "hi", "mid", "lo", "hi"], ["lo", "mid", "hi"], ordered=True),
        "lo",
        "mid",
        _same,
    ),
    ("bool", np.array([True, False, True, True, False, False]), False, True, _same),
    (
        "nullable boolean",
        pd.array([True, None, False, True, None, False], dtype="boolean"),
        False,
        True,
        _same,
    ),
    (
        "datetime",
        pd.to_datetime(
            ["2019-05-01", None, "2020-01-01", "2021-03-04", "2020-06-30", "2020-01-02"]
        ),
        "2020-01-01",
        "2020-06-30",
        pd.Timestamp,
    ),
    (
        "datetime with time zone",
        pd.to_datetime(
            ["2019-05-01", None, "2020-01-01", "2021-03-04", "2020-06-30", "2020-01-01 00:30"],
            format="ISO8601",
        ).tz_localize("Europe/Paris"),
        "2020-01-01",
        "2020-06-30",
        lambda text: pd.Timestamp(text, tz="Europe/Paris"),
    ),
]


@pytest.mark.parametrize(
    ("values", "a", "b", "literal"), [c[1:] for c in DTYPE_CASES], ids=[c[0] for c in DTYPE_CASES]
)
def test_mask_matches_pandas_nullable_booleans(
    values: Any, a: Any, b: Any, literal: Callable
) -> None:
    frame = pd.DataFrame({"v": values, "other": range(len(values))})
    table = EncodedTable(frame)
    for predicate in _templates(a, b):
        expected = pandas_reference(predicate, frame, literal)
        np.testing.assert_array_equal(Slice(None, predicate).mask(frame), expected, str(predicate))
        np.testing.assert_array_equal(evaluate(predicate, table), expected, str(predicate))


# --- single behaviours -----------------------------------------------------------------


def test_comparison_on_a_missing_value_is_false_and_negation_keeps_it_out() -> None:
    frame = pd.DataFrame({"x": [1.0, None, 5.0], "s": ["a", None, "b"]})
    assert Slice(None, col("x") >= 3).mask(frame).tolist() == [False, False, True]
    assert Slice(None, ~(col("x") >= 3)).mask(frame).tolist() == [True, False, False]
    assert Slice(None, col("x") != 5).mask(frame).tolist() == [True, False, False]
    assert Slice(None, ~(col("s") == "a")).mask(frame).tolist() == [False, False, True]
    # "unknown or true" is true; "unknown and false" is false; only is null selects missing
    assert Slice(None, (col("x") > 3) | (col("s") == "a")).mask(frame).tolist() == [
        True,
        False,
        True,
    ]
    assert Slice(None, col("x").isnull()).mask(frame).tolist() == [False, True, False]
    assert Slice(None, ~col("x").notnull()).mask(frame).tolist() == [False, True, False]


def test_mask_and_its_negation_partition_the_rows_where_the_column_is_present() -> None:
    frame = pd.DataFrame({"x": [0.5, np.nan, 2.0, 7.0, np.nan]})
    s = Slice.parse("x between 1 and 5")
    inside, outside = s.mask(frame), (~s).mask(frame)
    assert not (inside & outside).any()
    np.testing.assert_array_equal(inside | outside, frame["x"].notna().to_numpy())


def test_ordered_category_compares_by_declared_order_not_alphabet() -> None:
    size = pd.Categorical(
        ["small", "large", "medium", None], ["small", "medium", "large"], ordered=True
    )
    frame = pd.DataFrame({"size": size})
    assert Slice.parse("size > 'small'").mask(frame).tolist() == [False, True, True, False]
    assert Slice.parse("size <= 'medium'").mask(frame).tolist() == [True, False, True, False]
    with pytest.raises(
        ValidationError, match=r"'huge' is not a level of the ordered column 'size'"
    ):
        Slice.parse("size < 'huge'").mask(frame)
    assert not Slice.parse("size == 'huge'").mask(frame).any()  # == on a non-level: no row


def test_unordered_text_compares_alphabetically() -> None:
    frame = pd.DataFrame({"c": pd.Categorical(["pear", "apple", "fig"], ["pear", "fig", "apple"])})
    assert Slice.parse("c < 'fig'").mask(frame).tolist() == [False, True, False]
    assert Slice.parse("c > 'b'").mask(frame).tolist() == [True, False, True]  # 'b' not a value


@pytest.mark.parametrize(
    ("frame", "expression"),
    [
        (pd.DataFrame({"sex": ["F", "M"]}), "sex == 1"),
        (pd.DataFrame({"sex": pd.Categorical(["F", "M"])}), "sex in ['F', 2]"),
        (pd.DataFrame({"sex": pd.array(["F", None], dtype="string")}), "sex > 0.5"),
        (pd.DataFrame({"sex": ["F", "M"]}), "sex == true"),
    ],
)
def test_text_column_compared_to_a_number_is_a_validation_error_naming_it(
    frame: pd.DataFrame, expression: str
) -> None:
    with pytest.raises(ValidationError, match=r"column 'sex' holds text values") as error:
        Slice.parse(expression).mask(frame)
    assert "sex == 'F'" in str(error.value)  # the fix, written with the column's own values


def test_numeric_column_compared_to_text_is_a_validation_error_naming_it() -> None:
    frame = pd.DataFrame({"age": [30, 61]})
    with pytest.raises(ValidationError, match=r"column 'age' is numeric.*'60'"):
        Slice.parse("age >= '60'").mask(frame)


def test_bool_column_takes_true_and_false_only() -> None:
    frame = pd.DataFrame({"smoker": [True, False, True]})
    assert Slice.parse("smoker == true").mask(frame).tolist() == [True, False, True]
    assert Slice.parse("smoker != true").mask(frame).tolist() == [False, True, False]
    with pytest.raises(ValidationError, match="'smoker' holds bool values"):
        Slice.parse("smoker == 1").mask(frame)


def test_unknown_column_is_a_column_not_found_error_with_a_hint() -> None:
    frame = pd.DataFrame({"age": [1], "sex": ["F"]})
    with pytest.raises(
        ColumnNotFoundError, match=r"'agee' is not in the data. Did you mean 'age'\?"
    ):
        Slice.parse("agee > 3").mask(frame)
    with pytest.raises(KeyError):  # also a KeyError, for code that catches that
        Slice.parse("Sex == 'F'").mask(frame)
    with pytest.raises(mp.MlprobeError, match="Available columns: 'age', 'sex'"):
        Slice.parse("zzz == 1").mask(frame)


def test_datetime_column_compares_to_a_date_written_as_text() -> None:
    frame = pd.DataFrame(
        {
            "d": pd.to_datetime(
                ["2019-12-31", "2020-01-01", None, "2020-01-02 08:00"], format="ISO8601"
            )
        }
    )
    assert Slice.parse("d >= '2020-01-01'").mask(frame).tolist() == [False, True, False, True]
    assert Slice.parse("not d >= '2020-01-01'").mask(frame).tolist() == [True, False, False, False]
    assert Slice.parse("d != '2020-01-01'").mask(frame).tolist() == [True, False, False, True]
    assert Slice.parse("d in ['2020-01-01']").mask(frame).tolist() == [False, True, False, False]


@pytest.mark.parametrize("literal", ["2020", "true", "1.5", "'not a date'", "''"])
def test_datetime_column_rejects_literals_that_are_not_dates(literal: str) -> None:
    # Regression: numbers were read as nanoseconds after 1970, so "d > 2020" held for every date.
    frame = pd.DataFrame({"d": pd.to_datetime(["2019-12-31", "2021-01-01"])})
    with pytest.raises(ValidationError, match=r"column 'd' holds datetimes; .* is not a date"):
        Slice.parse(f"d > {literal}").mask(frame)


def test_timezone_aware_datetimes_read_a_plain_date_in_the_column_zone() -> None:
    # Regression: a timezone-aware column raised TypeError from np.isnat.
    stamps = pd.to_datetime(
        ["2019-12-31 23:30", "2020-01-01 00:30", None], format="ISO8601"
    ).tz_localize("Europe/Paris")
    frame = pd.DataFrame({"d": stamps})
    assert Slice.parse("d >= '2020-01-01'").mask(frame).tolist() == [False, True, False]
    # an explicit offset is honoured: 2019-12-31 23:30 in Paris is 22:30 UTC
    assert Slice.parse("d >= '2019-12-31 22:00+00:00'").mask(frame).tolist() == [True, True, False]


def test_mixed_type_column_supports_equality_but_not_order() -> None:
    frame = pd.DataFrame({"m": pd.Series([1, "a", None, 2.5], dtype=object)})
    assert Slice.parse("m == 'a'").mask(frame).tolist() == [False, True, False, False]
    assert Slice.parse("m in [1, 2.5]").mask(frame).tolist() == [True, False, False, True]
    with pytest.raises(ValidationError, match="mixed types that have no order"):
        Slice.parse("m > 1").mask(frame)


def test_numeric_literals_beyond_the_column_range_do_not_overflow() -> None:
    frame = pd.DataFrame({"u": np.array([0, 7, 255], dtype=np.uint8), "n": [1, 2, 3]})
    assert Slice.parse("u < 300").mask(frame).all()
    assert Slice.parse("u > -1").mask(frame).all()
    assert not Slice(None, col("n") > 10**30).mask(frame).any()
    assert Slice(None, col("n").isin([10**30, 2])).mask(frame).tolist() == [False, True, False]


def test_mask_reads_polars_and_pyarrow_tables_like_pandas() -> None:
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"x": [1.0, None, 5.0], "s": ["a", "b", None]})
    s = Slice.parse("not (x > 2) or s == 'b'")
    expected = s.mask(frame)
    np.testing.assert_array_equal(s.mask(pl.from_pandas(frame)), expected)
    np.testing.assert_array_equal(s.mask(pa.Table.from_pandas(frame)), expected)
    assert expected.tolist() == [True, True, False]


def test_evaluate_rejects_what_is_not_a_predicate() -> None:
    with pytest.raises(ValidationError, match="expected a predicate"):
        evaluate("x > 1", EncodedTable(pd.DataFrame({"x": [1]})))  # type: ignore[arg-type]


def test_nan_literal_is_refused_before_any_row_is_read() -> None:
    with pytest.raises(ValidationError, match="isnull"):
        col("x") == math.nan  # noqa: B015


def test_a_value_absent_from_a_column_warns_with_a_suggestion() -> None:
    frame = pd.DataFrame({"sex": ["Female", "Male", None]})
    with pytest.warns(
        mp.UnknownValueWarning, match=r"'female' is not among .* Did you mean 'Female'"
    ):
        mask = mp.Slice.parse("sex == 'female'").mask(frame)
    assert not mask.any()
    with pytest.warns(mp.UnknownValueWarning, match="every row with a value does"):
        mask = mp.Slice.parse("sex != 'female'").mask(frame)
    assert mask.tolist() == [True, True, False]
    with pytest.warns(mp.UnknownValueWarning, match="'X' is not among"):
        mask = mp.Slice.parse("sex in ['Male', 'X']").mask(frame)
    assert mask.tolist() == [False, True, False]


def test_values_present_in_the_column_do_not_warn() -> None:
    frame = pd.DataFrame({"sex": ["Female", "Male"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mp.Slice.parse("sex in ['Female', 'Male'] and sex != 'Male'").mask(frame)


def test_in_with_many_levels_matches_the_lookup_path() -> None:
    levels = [f"l{i}" for i in range(12)]
    frame = pd.DataFrame({"x": levels * 3 + [None]})
    few = mp.col("x").isin(levels[:3])
    many = mp.col("x").isin(levels[:9])
    assert mp.Slice(None, few).mask(frame).sum() == 9
    assert mp.Slice(None, many).mask(frame).sum() == 27
    assert mp.Slice(None, ~many).mask(frame).sum() == 9  # the missing row stays out
