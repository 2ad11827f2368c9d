"""Encode table columns once, into the arrays every predicate and count runs on.

A column becomes either a :class:`CategoricalColumn` (small integer codes into
a list of categories, ``-1`` for missing) or a :class:`NumericColumn` (the
numbers themselves, ``NaN``/``NaT`` for missing). Text is compared once per
category, never once per row.

Categories are kept in a meaningful order so that ``<`` and ``>`` work on
codes: the declared order of an ordered pandas categorical, otherwise sorted.

Examples
--------
>>> import pandas as pd
>>> encoded = encode_column(pd.Series(["b", None, "a", "b"]), name="letter")
>>> encoded.codes.tolist(), list(encoded.categories)
([1, -1, 0, 1], ['a', 'b'])
>>> encode_column(pd.Series([1.5, None]), name="x").null.tolist()
[False, True]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from mlprobe.errors import DataError, missing_column_error

__all__ = [
    "CategoricalColumn",
    "EncodedColumn",
    "EncodedTable",
    "NumericColumn",
    "encode_column",
    "smallest_int_dtype",
    "value_kind",
]

ValueKind = Literal["text", "number", "bool", "mixed", "empty"]
CategoryOrder = Literal["sorted", "declared", "none"]


def smallest_int_dtype(n_values: int) -> np.dtype:
    """Return the smallest signed integer dtype holding codes ``-1 .. n_values - 1``.

    Examples
    --------
    >>> smallest_int_dtype(100), smallest_int_dtype(1000)
    (dtype('int8'), dtype('int16'))
    """
    for dtype in (np.int8, np.int16, np.int32):
        if n_values <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def value_kind(values: pd.Index) -> ValueKind:
    """The type of the values: "text", "number", "bool", "mixed" or "empty"."""
    if len(values) == 0:
        return "empty"
    kinds = {
        "bool"
        if isinstance(v, bool | np.bool_)
        else "number"
        if isinstance(v, int | float | np.number)
        else "text"
        if isinstance(v, str)
        else "mixed"
        for v in values
    }
    only: ValueKind = kinds.pop()  # type: ignore[assignment]
    return only if not kinds else "mixed"


@dataclass(frozen=True, eq=False)
class CategoricalColumn:
    """Integer codes into ``categories``; ``-1`` marks a missing value.

    ``order`` says what ``<``/``>`` mean: ``"sorted"`` (categories are sorted
    values), ``"declared"`` (an ordered pandas categorical's level order), or
    ``"none"`` (values of mixed types, no order).
    """

    name: str
    codes: np.ndarray
    categories: pd.Index
    order: CategoryOrder
    kind: ValueKind

    @property
    def null(self) -> np.ndarray:
        """Bool array, True where the value is missing."""
        return self.codes < 0

    @cached_property
    def has_nulls(self) -> bool:
        """Whether any value is missing (computed once)."""
        return bool((self.codes < 0).any())

    def code_of(self, value: object) -> int:
        """Return the code of ``value``, or ``-1`` when it is not a category."""
        position = self.categories.get_indexer(pd.Index([value], dtype=object))[0]
        return int(position)


@dataclass(frozen=True, eq=False)
class NumericColumn:
    """Numbers (or datetimes) as a numpy array; ``null`` marks missing values."""

    name: str
    values: np.ndarray
    null_mask: np.ndarray | None = field(default=None)
    #: time zone of timezone-aware datetimes (``values`` then hold UTC), else None
    tz: Any = field(default=None)
    #: whole numbers held as floats (a nullable integer column: pandas Int64 with NA)
    integral: bool = field(default=False)

    @property
    def null(self) -> np.ndarray:
        """Bool array, True where the value is missing."""
        if self.null_mask is None:
            return np.zeros(len(self.values), dtype=bool)
        return self.null_mask

    @property
    def has_nulls(self) -> bool:
        """Whether any value is missing."""
        return self.null_mask is not None

    @property
    def is_datetime(self) -> bool:
        """Whether the values are datetimes."""
        return self.values.dtype.kind == "M"


EncodedColumn: TypeAlias = CategoricalColumn | NumericColumn


def _sorted_categories(uniques: pd.Index) -> tuple[pd.Index, np.ndarray | None, bool]:
    """Return categories in sorted order, the permutation applied, and whether sorting worked."""
    try:
        order = np.argsort(uniques.to_numpy(), kind="stable")
    except TypeError:  # mixed types cannot be ordered
        return uniques, None, False
    if np.array_equal(order, np.arange(len(order))):
        return uniques, None, True
    return uniques[order], order, True


def _recode(codes: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Map codes through the inverse of ``order``, keeping -1 as -1."""
    rank = np.empty(len(order) + 1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    rank[-1] = -1
    return rank[codes]


def _categorical(
    name: str, codes: np.ndarray, categories: pd.Index, order: CategoryOrder
) -> CategoricalColumn:
    codes = codes.astype(smallest_int_dtype(len(categories)), copy=False)
    return CategoricalColumn(name, codes, categories, order, value_kind(categories))


def _refuse_booleans_among_numbers(series: pd.Series, name: str) -> None:
    """Refuse a column holding both booleans and numbers: Python holds ``True == 1`` and
    ``False == 0``, so they would be counted as one value, silently."""
    kinds = {type(v) for v in series.dropna().to_numpy()}
    booleans = {k for k in kinds if issubclass(k, bool | np.bool_)}
    numbers = {k for k in kinds - booleans if issubclass(k, int | float | np.integer | np.floating)}
    if booleans and numbers:
        raise DataError(
            f"column {name!r} holds both booleans and numbers "
            f"({sorted(k.__name__ for k in booleans | numbers)}); True would count as 1 and "
            "False as 0. Give the column one type (e.g. data[col].astype(str)) before slicing it."
        )


def encode_column(series: pd.Series, *, name: str) -> EncodedColumn:
    """Encode one column; never modifies ``series``.

    Numeric columns of a numpy dtype are used without a copy.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = np.asarray(series.cat.codes)
        categories = pd.Index(dtype.categories)
        if dtype.ordered:
            return _categorical(name, codes, categories, "declared")
        categories, permutation, sortable = _sorted_categories(categories)
        if permutation is not None:
            codes = _recode(codes, permutation)
        return _categorical(name, codes, categories, "sorted" if sortable else "none")
    if pd.api.types.is_bool_dtype(dtype):
        if isinstance(dtype, np.dtype):
            codes = np.asarray(series).view(np.int8)
        else:  # nullable boolean
            codes = series.astype("Int8").fillna(-1).to_numpy(np.int8)
        return _categorical(name, codes, pd.Index([False, True], dtype=object), "sorted")
    if pd.api.types.is_timedelta64_dtype(dtype):
        raise DataError(
            f"column {name!r} holds time durations ({dtype}), which slices and by= cannot "
            "compare yet; convert them to numbers first, e.g. "
            f"data[{name!r}].dt.total_seconds()."
        )
    if pd.api.types.is_datetime64_any_dtype(dtype):
        tz = getattr(dtype, "tz", None)
        # timezone-aware: compare as UTC instants (numpy holds no time zone)
        values = (series.dt.tz_convert(None) if tz is not None else series).to_numpy()
        null = np.isnat(values)
        return NumericColumn(name, values, null if null.any() else None, tz)
    if pd.api.types.is_numeric_dtype(dtype):
        if isinstance(dtype, np.dtype):
            values = np.asarray(series)
        else:  # nullable Int64 / Float64 etc.
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        if values.dtype.kind == "f":
            null = np.isnan(values)
            integral = pd.api.types.is_integer_dtype(dtype)  # Int64 with NA, held as floats
            return NumericColumn(name, values, null if null.any() else None, integral=integral)
        if values.dtype.kind == "c":
            raise DataError(f"column {name!r} holds complex numbers, which cannot be sliced.")
        return NumericColumn(name, values, None)
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred == "date":  # datetime.date objects: each its midnight, as DATE on the engines
        values = pd.to_datetime(series).to_numpy(dtype="datetime64[ns]")
        null = np.isnat(values)
        return NumericColumn(name, values, null if null.any() else None, None)
    if inferred.startswith("mixed"):
        _refuse_booleans_among_numbers(series, name)
    try:
        codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
        return _categorical(name, codes, pd.Index(uniques, dtype=object), "sorted")
    except TypeError:  # unorderable mixed values: keep first-seen order
        codes, uniques = pd.factorize(series, sort=False, use_na_sentinel=True)
        return _categorical(name, codes, pd.Index(uniques, dtype=object), "none")


class EncodedTable:
    """A table's columns, encoded on first use and kept.

    Parameters
    ----------
    data : pandas.DataFrame
        The table; never modified or copied as a whole.
    virtual : mapping of str to EncodedColumn, optional
        Extra columns not in ``data`` (the probe puts ``@target`` and
        ``@prediction`` here). They shadow nothing: their names start with ``@``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = EncodedTable(pd.DataFrame({"sex": ["F", "M", "F"]}))
    >>> table.column("sex").codes.tolist()
    [0, 1, 0]
    >>> table.column("sexx")
    Traceback (most recent call last):
    ...
    mlprobe.errors.ColumnNotFoundError: slice column 'sexx' is not in the data. Did you mean 'sex'? ...
    """

    def __init__(
        self, data: pd.DataFrame, virtual: Mapping[str, EncodedColumn] | None = None
    ) -> None:
        self.data = data
        self.n_rows = len(data)
        self._virtual = dict(virtual or {})
        self._cache: dict[str, EncodedColumn] = {}
        self._owned_bytes: dict[str, int] = {}

    def with_virtual(self, virtual: Mapping[str, EncodedColumn]) -> EncodedTable:
        """Return a view sharing this table's encoded columns, with other virtual columns."""
        view = EncodedTable(self.data, virtual)
        view._cache = self._cache  # shared on purpose: encoding is per data column
        view._owned_bytes = self._owned_bytes
        return view

    @property
    def names(self) -> list[str]:
        """Data column names, then virtual ones."""
        return [str(c) for c in self.data.columns] + list(self._virtual)

    def column(self, name: str, *, role: str = "slice column") -> EncodedColumn:
        """Return the encoded column ``name``, encoding it on first use."""
        if name in self._virtual:
            return self._virtual[name]
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        if name not in self.data.columns:
            raise missing_column_error(name, self.names, role=role)
        series = self.data[name]
        if isinstance(series, pd.DataFrame):
            raise DataError(
                f"{role} {name!r} names {series.shape[1]} columns of the data; "
                "give the columns unique names."
            )
        encoded = encode_column(series, name=name)
        self._cache[name] = encoded
        self._owned_bytes[name] = _owned_bytes(encoded, series)
        return encoded

    def nbytes(self) -> int:
        """Bytes of the arrays this table created; views of the user's data count nothing."""
        return sum(self._owned_bytes.values())


def _owned_bytes(encoded: EncodedColumn, series: pd.Series) -> int:
    """Bytes of the encoded arrays that are not views of the column's own data."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        source: np.ndarray | None = np.asarray(series.array.codes)
    elif isinstance(series.dtype, np.dtype):
        source = series.to_numpy(copy=False)
    else:
        source = None
    arrays = (
        [encoded.codes]
        if isinstance(encoded, CategoricalColumn)
        else [encoded.values, encoded.null_mask]
    )
    return sum(
        a.nbytes
        for a in arrays
        if a is not None and (source is None or not np.shares_memory(a, source))
    )
