"""Columns as a few bins, each bin a condition: the vocabulary of slice discovery.

Categories keep their levels (the most frequent ones when there are very
many); numbers are cut at quantiles into ``age >= 37 and age < 45`` ranges
(or kept as values when there are few); missing values get a bin of their
own. Every bin carries the predicate that selects exactly its rows, so a
discovered slice is an ordinary, editable :class:`Slice`.

Examples
--------
>>> import pandas as pd
>>> from mlprobe.core.slicing._encoding import encode_column
>>> binned = bin_column(encode_column(pd.Series([1.0, 5.0, 9.0, None, 7.0]), name="x"), bins=2)
>>> [str(c) for c in binned.conditions]
['x < 5', 'x >= 5', 'x is null']
>>> binned.codes.tolist()
[0, 1, 1, 2, 1]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from mlprobe.core.slicing._encoding import (
    CategoricalColumn,
    EncodedColumn,
    smallest_int_dtype,
)
from mlprobe.core.slicing.predicates import Predicate, col
from mlprobe.errors import ValidationError

__all__ = [
    "ArrayNumbers",
    "BinnedColumn",
    "ColumnBins",
    "NumberSummary",
    "NumericBins",
    "bin_column",
    "categorical_bins",
    "check_bin_count",
    "most_frequent_levels",
    "numeric_bins",
]

#: categorical columns keep at most this many of their most frequent levels
MAX_LEVELS = 50


@dataclass(frozen=True, eq=False)
class ColumnBins:
    """A column's bins as conditions: what slice discovery searches, wherever the rows are.

    Attributes
    ----------
    name : str
    conditions : list of Predicate
        One per bin; no two hold the same row. Rows in no bin (a rare level
        dropped from a very high-cardinality column) are in no condition.
    """

    name: str
    conditions: list[Predicate]

    @property
    def n_bins(self) -> int:
        """Number of bins."""
        return len(self.conditions)


@dataclass(frozen=True, eq=False)
class BinnedColumn(ColumnBins):
    """A column cut into bins, with the bin of each row (in memory).

    Attributes
    ----------
    codes : ndarray of int
        The bin of each row, ``-1`` for rows in no bin; ``conditions[b]`` selects
        exactly the rows with ``codes == b``.
    """

    codes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))


class NumberSummary(Protocol):
    """What cutting a number column into bins asks of its present values.

    Answered with numpy in memory (:class:`ArrayNumbers`) and by a query on an
    engine, so every backend cuts a column at the same points.
    """

    def few_values(self, limit: int) -> list[float] | None:
        """The distinct present values, sorted, when there are at most ``limit``; else None."""
        ...

    def lower_quantiles(self, levels: Sequence[float], above: float | None) -> list[float]:
        """``numpy.quantile(values, levels, method="lower")`` of the present values
        (those greater than ``above`` when given)."""
        ...

    def smallest_above(self, value: float) -> float:
        """The smallest present value greater than ``value``."""
        ...


class ArrayNumbers:
    """:class:`NumberSummary` of an array of present values (no NaN)."""

    def __init__(self, present: np.ndarray) -> None:
        self.present = present.astype(np.float64, copy=False)

    def few_values(self, limit: int) -> list[float] | None:
        distinct = np.unique(self.present)
        return distinct.tolist() if len(distinct) <= limit else None

    def lower_quantiles(self, levels: Sequence[float], above: float | None) -> list[float]:
        values = self.present if above is None else self.present[self.present > above]
        if len(values) == 0:
            return []
        return np.quantile(values, np.asarray(levels), method="lower").tolist()

    def smallest_above(self, value: float) -> float:
        return float(self.present[self.present > value].min())


def bin_column(
    column: EncodedColumn, *, bins: int = 10, max_levels: int = MAX_LEVELS
) -> BinnedColumn:
    """Cut an encoded column into bins with their conditions (see the module docstring)."""
    check_bin_count(bins)
    if isinstance(column, CategoricalColumn):
        return _categorical_bins(column, max_levels)
    if column.is_datetime:
        raise dates_not_binned(column.name)
    values = column.values.astype(np.float64, copy=False)
    null = column.null
    present = values[~null] if column.has_nulls else values
    binned = numeric_bins(column.name, ArrayNumbers(present), bins, column.has_nulls)
    codes = np.full(len(values), -1, dtype=np.int64)
    edges = binned.cuts
    if binned.values is not None:
        codes[~null] = np.searchsorted(np.asarray(binned.values), values[~null])
    elif len(present):
        codes[~null] = np.searchsorted(np.asarray(edges), values[~null], side="right")
    if column.has_nulls:
        codes[null] = binned.bins.n_bins - 1
    return BinnedColumn(column.name, binned.bins.conditions, _small(codes, binned.bins.n_bins))


def check_bin_count(bins: object) -> int:
    """``bins`` of slice discovery, checked: a whole number >= 2."""
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ValidationError(f"bins: expected a whole number >= 2; received {bins!r}.")
    return bins


def dates_not_binned(name: str) -> ValidationError:
    """The error for a date column among the features of slice discovery."""
    return ValidationError(
        f"features: {name!r} holds dates, which slice discovery does not bin yet; "
        "leave it out of features=, or add a numeric column derived from it (e.g. days)."
    )


def _categorical_bins(column: CategoricalColumn, max_levels: int) -> BinnedColumn:
    codes = column.codes
    counts = np.bincount(codes[codes >= 0], minlength=len(column.categories))
    present = np.flatnonzero(counts)
    kept = most_frequent_levels(counts[present].tolist(), max_levels)
    present = present[kept]
    remap = np.full(len(column.categories) + 1, -1, dtype=np.int64)  # last slot: missing (-1)
    remap[present] = np.arange(len(present))
    bins = categorical_bins(
        column.name, [_plain(column.categories[int(i)]) for i in present], column.has_nulls
    )
    if column.has_nulls:
        remap[-1] = len(present)
    binned = remap[codes]  # code -1 (missing) reads the last slot
    return BinnedColumn(column.name, bins.conditions, _small(binned, bins.n_bins))


def most_frequent_levels(counts: Sequence[int], max_levels: int) -> list[int]:
    """Positions of the levels kept: all, or the ``max_levels`` most frequent (ties: the
    first), in their order.

    >>> most_frequent_levels([5, 9, 5, 1], 2)
    [0, 1]
    """
    if len(counts) <= max_levels:
        return list(range(len(counts)))
    order = np.argsort(-np.asarray(counts), kind="stable")[:max_levels]
    return sorted(int(i) for i in order)


def categorical_bins(name: str, levels: Sequence[object], has_nulls: bool) -> ColumnBins:
    """One bin per level (``name == level``), then one for missing values."""
    conditions: list[Predicate] = [col(name) == level for level in levels]
    if has_nulls:
        conditions.append(col(name).isnull())
    return ColumnBins(name, conditions)


@dataclass(frozen=True)
class NumericBins:
    """A number column's bins, and how rows fall into them: ``values`` (one bin per
    value) or the ``cuts`` between ranges."""

    bins: ColumnBins
    values: list[float] | None
    cuts: list[float]


def numeric_bins(name: str, numbers: NumberSummary, bins: int, has_nulls: bool) -> NumericBins:
    """Bins of a number column: one per value when there are at most ``bins`` values,
    else ranges cut at the quantiles (method "lower": every cut is a value of the column)."""
    distinct = numbers.few_values(bins)
    conditions: list[Predicate] = []
    cuts: list[float] = []
    if distinct is not None:
        conditions = [col(name) == _plain_number(v) for v in distinct]
    else:
        levels = np.linspace(0, 1, bins + 1)[1:-1].tolist()
        minimum = numbers.smallest_above(-math.inf)
        cuts = _cuts_above(numbers.lower_quantiles(levels, None), minimum)
        if not cuts:  # one value holds most rows (e.g. zeros): it, then the rest's quantiles
            second = numbers.smallest_above(minimum)
            rest_levels = np.linspace(0, 1, bins)[1:-1].tolist() if bins > 2 else []
            rest = numbers.lower_quantiles(rest_levels, minimum) if rest_levels else []
            cuts = sorted({second, *_cuts_above(rest, second)})
        edges = [_plain_number(c) for c in cuts]
        conditions = [col(name) < edges[0]]
        conditions += [(col(name) >= lo) & (col(name) < hi) for lo, hi in itertools.pairwise(edges)]
        conditions.append(col(name) >= edges[-1])
    if has_nulls:
        conditions.append(col(name).isnull())
    return NumericBins(ColumnBins(name, conditions), distinct, cuts)


def _cuts_above(quantiles: Sequence[float], minimum: float) -> list[float]:
    """Distinct cut points above the minimum (so that every bin holds rows)."""
    return sorted({float(q) for q in quantiles if q > minimum})


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
