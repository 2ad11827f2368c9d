"""Columns as a few bins, each bin a condition: the vocabulary of slice discovery.

Categories keep their levels (the most frequent ones when there are very
many); numbers are cut at quantiles into ``age >= 37 and age < 45`` ranges
(or kept as values when there are few); missing values get a bin of their
own. Every bin carries the predicate that selects exactly its rows, so a
discovered slice is an ordinary, editable :class:`Slice`.

Conditions read as people write them: a bin that holds a single value reads
``x == v`` (``capital_gain == 0``, not ``capital_gain < 114``), and an edge is
shown as the roundest number that keeps the same rows on each side
(:func:`readable_edge`: ``x < 100`` when no value lies in ``[100, 114)``).
The rows of every bin stay those of the quantile cuts.

Examples
--------
>>> import pandas as pd
>>> from mlprobe.core.slicing._encoding import encode_column
>>> binned = bin_column(encode_column(pd.Series([1.0, 5.0, 9.0, None, 7.0]), name="x"), bins=2)
>>> [str(c) for c in binned.conditions]
['x == 1', 'x >= 5', 'x is null']
>>> binned.codes.tolist()
[0, 1, 1, 2, 1]
>>> gains = pd.Series([0.0] * 8 + [114.0, 150.0, 2_174.0, 5_013.0, 7_688.0])
>>> [str(c) for c in bin_column(encode_column(gains, name="gain"), bins=3).conditions]
['gain == 0', 'gain >= 100']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
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
    "NumberCuts",
    "NumberSummary",
    "NumericBins",
    "bin_column",
    "categorical_bins",
    "check_bin_count",
    "most_frequent_levels",
    "number_cuts",
    "numeric_bins",
    "numeric_bins_at",
    "readable_edge",
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

    def largest_below(self, points: Sequence[float]) -> list[float]:
        """Per point, the largest present value less than it (NaN when none); a point may
        be ``math.inf`` (the largest value). All points at once: one scan on an engine."""
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

    def largest_below(self, points: Sequence[float]) -> list[float]:
        out = []
        for point in points:  # a few points (the cuts), each one vectorized pass
            below = self.present[self.present < point]
            out.append(float(below.max()) if len(below) else math.nan)
        return out


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


@dataclass(frozen=True)
class NumberCuts:
    """Where a number column is cut: at each of its few ``values``, or between ranges
    at ``cuts`` (values of the column above its ``minimum``)."""

    values: list[float] | None
    minimum: float
    cuts: list[float]

    @property
    def asks(self) -> list[float]:
        """The points whose :meth:`NumberSummary.largest_below` the conditions read:
        each cut, then ``inf`` (the maximum); none for a column cut at its values."""
        return [*self.cuts, math.inf] if self.cuts else []


def number_cuts(numbers: NumberSummary, bins: int) -> NumberCuts:
    """Where :func:`numeric_bins` cuts a number column: at each value when there are at
    most ``bins``, else at the quantiles (method "lower": every cut is a value of the
    column); a value holding most rows (zeros) gets a bin, the rest their quantiles."""
    distinct = numbers.few_values(bins)
    if distinct is not None:
        return NumberCuts(distinct, distinct[0] if distinct else math.nan, [])
    levels = np.linspace(0, 1, bins + 1)[1:-1].tolist()
    minimum = numbers.smallest_above(-math.inf)
    cuts = _cuts_above(numbers.lower_quantiles(levels, None), minimum)
    if not cuts:  # one value holds most rows (e.g. zeros): it, then the rest's quantiles
        second = numbers.smallest_above(minimum)
        rest_levels = np.linspace(0, 1, bins)[1:-1].tolist() if bins > 2 else []
        rest = numbers.lower_quantiles(rest_levels, minimum) if rest_levels else []
        cuts = sorted({second, *_cuts_above(rest, second)})
    return NumberCuts(None, minimum, cuts)


def numeric_bins(name: str, numbers: NumberSummary, bins: int, has_nulls: bool) -> NumericBins:
    """Bins of a number column: one per value when there are at most ``bins`` values,
    else ranges cut at the quantiles (:func:`number_cuts`), then missing values.

    A range bin that holds one value reads ``name == value``; the edges of the others
    read as :func:`readable_edge` rounds them. ``cuts`` stay the exact quantiles: the
    rows of each bin are those between its cuts, whatever its condition reads.

    Examples
    --------
    >>> counts = np.r_[np.zeros(70), np.arange(1, 4).repeat(10)]  # 0..3, mostly 0
    >>> [str(c) for c in numeric_bins("n", ArrayNumbers(counts), 2, False).bins.conditions]
    ['n == 0', 'n >= 1']
    >>> ages = np.array([20.0, 30.5, 37.2000001, 41.0, 52.0, 60.0])
    >>> [str(c) for c in numeric_bins("age", ArrayNumbers(ages), 2, False).bins.conditions]
    ['age < 37', 'age >= 37']
    """
    cuts = number_cuts(numbers, bins)
    below = numbers.largest_below(cuts.asks) if cuts.asks else []
    return numeric_bins_at(name, cuts, below, has_nulls)


def numeric_bins_at(
    name: str, cuts: NumberCuts, below: Sequence[float], has_nulls: bool
) -> NumericBins:
    """The bins of :func:`numeric_bins` from the column's cuts and ``below``: the answer
    of :meth:`NumberSummary.largest_below` to ``cuts.asks`` (so an engine may answer the
    asks of every column in one scan)."""
    conditions: list[Predicate]
    if cuts.values is not None:
        conditions = [col(name) == _plain_number(v) for v in cuts.values]
    else:
        conditions = _range_conditions(name, cuts.minimum, cuts.cuts, below)
    if has_nulls:
        conditions.append(col(name).isnull())
    return NumericBins(ColumnBins(name, conditions), cuts.values, cuts.cuts)


def _range_conditions(
    name: str, minimum: float, cuts: Sequence[float], below: Sequence[float]
) -> list[Predicate]:
    """The conditions of the bins between ``cuts``: ``below[j]`` is the largest value
    under ``cuts[j]``, and ``below[-1]`` the largest of all."""
    x = col(name)
    edges = [_plain_number(readable_edge(c, b)) for c, b in zip(cuts, below[:-1], strict=True)]
    lows = [minimum, *cuts]  # every bin's smallest value (cuts are values of the column)
    highs = below  # and its largest: the largest value under the next cut, or the maximum
    conditions: list[Predicate] = []
    for i, (low, high) in enumerate(zip(lows, highs, strict=True)):
        if low == high:  # a single value: say it
            conditions.append(x == _plain_number(low))
        elif i == 0:
            conditions.append(x < edges[0])
        elif i == len(cuts):
            conditions.append(x >= edges[-1])
        else:
            conditions.append((x >= edges[i - 1]) & (x < edges[i]))
    return conditions


def readable_edge(cut: float, below: float) -> float:
    """The roundest number (fewest significant digits) ``r`` in ``(below, cut]``: the edge
    ``x < r`` holds the rows of ``x < cut`` when ``below`` is the largest value under ``cut``.

    ``r`` also keeps the rows when compared in single precision (a ``float32`` column
    compares with ``float32(r)``), so the condition selects the same rows on any column
    and backend. ``cut`` itself when nothing rounder fits.

    Examples
    --------
    >>> readable_edge(114.0, 0.0), readable_edge(213.0, 155.0), readable_edge(1.0, 0.0)
    (100.0, 200.0, 1.0)
    >>> readable_edge(37.2000001, 36.9), readable_edge(37.2000001, 37.1)
    (37.0, 37.2)
    >>> readable_edge(37.2000001, 37.2)  # rounding would move the rows at 37.2: kept
    37.2000001
    >>> readable_edge(0.25, -3.5), readable_edge(-0.037, -0.5)
    (0.0, -0.04)
    """
    if not math.isfinite(cut):
        return cut
    low = -math.inf if math.isnan(below) else below

    def keeps_rows(r: float) -> bool:
        with np.errstate(over="ignore"):
            single = float(np.float32(r))
        return low < r <= cut and low < single

    if low < 0.0 <= cut and keeps_rows(0.0):
        return 0.0
    exact = Decimal(repr(cut))
    for digits in range(1, 18):
        step = Decimal(1).scaleb(exact.adjusted() - digits + 1)
        r = float(exact.quantize(step, rounding=ROUND_FLOOR))
        if keeps_rows(r):
            return r + 0.0  # no -0.0
    return cut


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
