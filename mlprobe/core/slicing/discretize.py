"""Columns as a few bins, each bin a condition: the vocabulary of slice discovery.

Categories keep their levels (the most frequent ones when there are very
many); numbers are cut at quantiles into ``age >= 37 and age < 45`` ranges
(or kept as values when there are few); missing values get a bin of their
own. Every bin carries the predicate that selects exactly its rows, so a
discovered slice is an ordinary, editable :class:`Slice`.

Examples
--------
>>> import pandas as pd
>>> from mlprobe.core.slicing.encoding import encode_column
>>> binned = bin_column(encode_column(pd.Series([1.0, 5.0, 9.0, None, 7.0]), name="x"), bins=2)
>>> [str(c) for c in binned.conditions]
['x < 5', 'x >= 5', 'x is null']
>>> binned.codes.tolist()
[0, 1, 1, 2, 1]
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from mlprobe.core.slicing.encoding import (
    CategoricalColumn,
    EncodedColumn,
    NumericColumn,
    smallest_int_dtype,
)
from mlprobe.core.slicing.predicates import Predicate, col
from mlprobe.errors import ValidationError

__all__ = ["BinnedColumn", "bin_column"]

#: categorical columns keep at most this many of their most frequent levels
MAX_LEVELS = 50


@dataclass(frozen=True, eq=False)
class BinnedColumn:
    """A column cut into bins.

    Attributes
    ----------
    name : str
    codes : ndarray of int
        The bin of each row, ``-1`` for rows in no bin (a rare level dropped
        from a very high-cardinality column).
    conditions : list of Predicate
        ``conditions[b]`` selects exactly the rows with ``codes == b``.
    """

    name: str
    codes: np.ndarray
    conditions: list[Predicate]

    @property
    def n_bins(self) -> int:
        """Number of bins."""
        return len(self.conditions)


def bin_column(
    column: EncodedColumn, *, bins: int = 10, max_levels: int = MAX_LEVELS
) -> BinnedColumn:
    """Cut an encoded column into bins with their conditions (see the module docstring)."""
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ValidationError(f"bins: expected a whole number >= 2; received {bins!r}.")
    if isinstance(column, CategoricalColumn):
        return _categorical_bins(column, max_levels)
    if column.is_datetime:
        raise ValidationError(
            f"features: {column.name!r} holds dates, which slice discovery does not bin yet; "
            "leave it out of features=, or add a numeric column derived from it (e.g. days)."
        )
    return _numeric_bins(column, bins)


def _categorical_bins(column: CategoricalColumn, max_levels: int) -> BinnedColumn:
    codes = column.codes
    counts = np.bincount(codes[codes >= 0], minlength=len(column.categories))
    present = np.flatnonzero(counts)
    if len(present) > max_levels:  # keep the most frequent levels, in the column's order
        present = np.sort(present[np.argsort(-counts[present], kind="stable")[:max_levels]])
    remap = np.full(len(column.categories) + 1, -1, dtype=np.int64)  # last slot: missing (-1)
    remap[present] = np.arange(len(present))
    column_ref = col(column.name)
    conditions: list[Predicate] = [column_ref == _plain(column.categories[int(i)]) for i in present]
    if column.has_nulls:
        remap[-1] = len(conditions)
        conditions.append(col(column.name).isnull())
    binned = remap[codes]  # code -1 (missing) reads the last slot
    return BinnedColumn(column.name, _small(binned, len(conditions)), conditions)


def _numeric_bins(column: NumericColumn, bins: int) -> BinnedColumn:
    values = column.values.astype(np.float64, copy=False)
    null = column.null
    present = values[~null] if column.has_nulls else values
    name = column.name
    distinct = np.unique(present)
    conditions: list[Predicate] = []
    codes = np.full(len(values), -1, dtype=np.int64)
    if len(distinct) <= bins:  # few values: one bin per value
        codes[~null] = np.searchsorted(distinct, values[~null])
        conditions = [col(name) == _plain_number(v) for v in distinct]
    else:
        cuts = _quantile_cuts(present, bins, distinct[0])
        if len(cuts) == 0:  # one value holds most rows (e.g. zeros): it, then the rest's quantiles
            rest = present[present > distinct[0]]
            cuts = np.unique(
                np.concatenate([[rest.min()], _quantile_cuts(rest, bins - 1, rest.min())])
            )
        codes[~null] = np.searchsorted(cuts, values[~null], side="right")
        edges = [_plain_number(c) for c in cuts]
        conditions = [col(name) < edges[0]]
        conditions += [(col(name) >= lo) & (col(name) < hi) for lo, hi in itertools.pairwise(edges)]
        conditions.append(col(name) >= edges[-1])
    if column.has_nulls:
        codes[null] = len(conditions)
        conditions.append(col(name).isnull())
    return BinnedColumn(name, _small(codes, len(conditions)), conditions)


def _quantile_cuts(values: np.ndarray, bins: int, minimum: float) -> np.ndarray:
    """Cut points at the inner quantiles, above the minimum (so that every bin holds rows)."""
    if bins < 2 or len(values) == 0:
        return np.zeros(0)
    quantiles = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1], method="lower")
    return np.unique(quantiles[quantiles > minimum])


def _small(codes: np.ndarray, n_bins: int) -> np.ndarray:
    """Codes in the smallest signed integer type that holds -1 .. n_bins - 1."""
    dtype = smallest_int_dtype(n_bins + 1)
    signed = np.dtype(dtype.str.replace("u", "i"))
    return codes.astype(signed if np.iinfo(signed).max >= n_bins else np.int64)


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _plain_number(value: float) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number
