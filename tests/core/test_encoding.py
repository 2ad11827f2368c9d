"""Encoding columns once: codes and categories, numbers and missing values, for each dtype."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlprobe.core.slicing._encoding import (
    CategoricalColumn,
    EncodedTable,
    NumericColumn,
    encode_column,
    smallest_int_dtype,
    value_kind,
)
from mlprobe.errors import ColumnNotFoundError, DataError


def _decoded(column: CategoricalColumn) -> list[object]:
    """Each row's category, None where missing."""
    return [None if c < 0 else column.categories[c] for c in column.codes.tolist()]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=3)), max_size=20))
def test_text_codes_decode_to_the_values_with_sorted_categories(values: list[str | None]) -> None:
    series = pd.Series(values, dtype=object)
    encoded = encode_column(series, name="s")
    assert isinstance(encoded, CategoricalColumn)
    assert _decoded(encoded) == values
    assert list(encoded.categories) == sorted(set(values) - {None})
    assert encoded.order == "sorted"
    np.testing.assert_array_equal(encoded.null, [v is None for v in values])
    assert encoded.has_nulls == (None in values)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=False)), max_size=20))
def test_float_columns_keep_their_values_and_mark_missing(values: list[float | None]) -> None:
    series = pd.Series(values, dtype=np.float64)
    encoded = encode_column(series, name="x")
    assert isinstance(encoded, NumericColumn)
    np.testing.assert_array_equal(encoded.null, series.isna().to_numpy())
    np.testing.assert_array_equal(encoded.values[~encoded.null], series.dropna().to_numpy())
    assert encoded.has_nulls == series.isna().any()


def test_numpy_numeric_columns_are_used_without_a_copy() -> None:
    frame = pd.DataFrame({"x": np.arange(5, dtype=np.float64), "n": np.arange(5)})
    for name in ("x", "n"):
        encoded = encode_column(frame[name], name=name)
        assert np.shares_memory(encoded.values, frame[name].to_numpy())
    assert EncodedTable(frame).nbytes() == 0  # nothing of its own for plain numbers


@pytest.mark.parametrize(
    ("series", "codes", "categories", "order"),
    [
        (pd.Series(["b", None, "a", "b"], dtype=object), [1, -1, 0, 1], ["a", "b"], "sorted"),
        (pd.Series(["b", None, "a", "b"]), [1, -1, 0, 1], ["a", "b"], "sorted"),  # pandas "str"
        (pd.Series(pd.array(["b", None, "a"], dtype="string")), [1, -1, 0], ["a", "b"], "sorted"),
        # an unordered categorical is re-sorted; its unused levels stay
        (
            pd.Series(pd.Categorical(["z", "a", None], ["z", "q", "a"])),
            [2, 0, -1],
            ["a", "q", "z"],
            "sorted",
        ),
        # an ordered categorical keeps its declared order
        (
            pd.Series(pd.Categorical(["hi", "lo", None], ["lo", "mid", "hi"], ordered=True)),
            [2, 0, -1],
            ["lo", "mid", "hi"],
            "declared",
        ),
        (pd.Series([True, False, True]), [1, 0, 1], [False, True], "sorted"),
        (
            pd.Series(pd.array([True, None, False], dtype="boolean")),
            [1, -1, 0],
            [False, True],
            "sorted",
        ),
    ],
    ids=["object", "str", "string", "category", "ordered", "bool", "boolean"],
)
def test_categorical_encodings(
    series: pd.Series, codes: list[int], categories: list[object], order: str
) -> None:
    encoded = encode_column(series, name="c")
    assert isinstance(encoded, CategoricalColumn)
    assert encoded.codes.tolist() == codes
    assert list(encoded.categories) == categories
    assert encoded.order == order
    assert encoded.codes.dtype == np.int8


def test_values_of_mixed_types_decode_and_are_marked_mixed() -> None:
    values = [2, "a", None, 2, 1.5]
    encoded = encode_column(pd.Series(values, dtype=object), name="m")
    assert isinstance(encoded, CategoricalColumn)
    assert _decoded(encoded) == values
    assert encoded.kind == "mixed"  # so masks refuse < and > on it


@pytest.mark.parametrize(
    ("series", "values", "null"),
    [
        (
            pd.Series(pd.array([1, None, 3], dtype="Int64")),
            [1.0, np.nan, 3.0],
            [False, True, False],
        ),
        (pd.Series(pd.array([1.5, None], dtype="Float64")), [1.5, np.nan], [False, True]),
        (pd.Series(np.array([1, 2], dtype=np.uint8)), [1, 2], [False, False]),
    ],
    ids=["Int64", "Float64", "uint8"],
)
def test_numeric_encodings(series: pd.Series, values: list[float], null: list[bool]) -> None:
    encoded = encode_column(series, name="x")
    assert isinstance(encoded, NumericColumn)
    np.testing.assert_array_equal(encoded.values, values)
    assert encoded.null.tolist() == null


def test_datetimes_are_numbers_with_nat_missing_and_time_zones_as_utc() -> None:
    naive = pd.Series(pd.to_datetime(["2020-01-01", None]))
    encoded = encode_column(naive, name="d")
    assert isinstance(encoded, NumericColumn) and encoded.is_datetime
    assert encoded.null.tolist() == [False, True]
    assert encoded.tz is None
    aware = pd.Series(
        pd.to_datetime(["2020-01-01 01:00", None], format="ISO8601").tz_localize("Europe/Paris")
    )
    encoded = encode_column(aware, name="d")  # used to raise TypeError from np.isnat
    assert isinstance(encoded, NumericColumn) and encoded.is_datetime
    assert str(encoded.tz) == "Europe/Paris"
    assert encoded.values[0] == np.datetime64("2020-01-01T00:00")  # held as UTC
    assert encoded.null.tolist() == [False, True]


def test_complex_numbers_are_a_data_error() -> None:
    with pytest.raises(DataError, match="'z' holds complex numbers"):
        encode_column(pd.Series([1 + 2j]), name="z")


def test_encoding_never_changes_the_series() -> None:
    frame = pd.DataFrame(
        {
            "c": pd.Categorical(["z", "a", None], ["z", "q", "a"]),
            "s": ["b", None, "a"],
            "b": pd.array([True, None, False], dtype="boolean"),
            "i": pd.array([1, None, 3], dtype="Int64"),
        }
    )
    before = frame.copy(deep=True)
    table = EncodedTable(frame)
    for name in frame.columns:
        table.column(name)
    pd.testing.assert_frame_equal(frame, before)


def test_table_encodes_each_column_once_and_shares_it_with_views() -> None:
    frame = pd.DataFrame({"sex": ["F", "M", "F"]})
    table = EncodedTable(frame)
    first = table.column("sex")
    assert table.column("sex") is first
    virtual = NumericColumn("@target", np.array([1.0, 2.0, 3.0]))
    view = table.with_virtual({"@target": virtual})
    assert view.column("sex") is first
    assert view.column("@target") is virtual
    assert view.names == ["sex", "@target"]


def test_unknown_and_duplicated_columns_are_clear_errors() -> None:
    table = EncodedTable(pd.DataFrame({"age": [1], "sex": ["F"]}))
    with pytest.raises(
        ColumnNotFoundError, match=r"'sexx' is not in the data. Did you mean 'sex'\?"
    ):
        table.column("sexx")
    twice = EncodedTable(pd.DataFrame([[1, 2]], columns=["a", "a"]))
    with pytest.raises(DataError, match="'a' names 2 columns"):
        twice.column("a")


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["a", "b"], "text"),
        ([1, 2.5, np.int64(3)], "number"),
        ([True, np.bool_(False)], "bool"),
        ([1, "a"], "mixed"),
        ([True, 1], "mixed"),
        ([], "empty"),
    ],
)
def test_value_kind(values: list[object], kind: str) -> None:
    assert value_kind(pd.Index(values, dtype=object)) == kind


@pytest.mark.parametrize(
    ("n_values", "dtype"), [(0, np.int8), (127, np.int8), (128, np.int16), (40_000, np.int32)]
)
def test_smallest_int_dtype_holds_every_code_and_minus_one(n_values: int, dtype: type) -> None:
    chosen = smallest_int_dtype(n_values)
    assert chosen == np.dtype(dtype)
    assert np.iinfo(chosen).max >= n_values - 1 and np.iinfo(chosen).min <= -1
