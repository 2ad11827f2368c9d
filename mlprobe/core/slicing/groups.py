"""``by=`` columns -> one group code per row, and a :class:`Slice` for each group.

Categorical columns give a group per level; numeric columns are binned
(``bins``: a count of quantile bins, or a list of cut points), or grouped by
value when they have few distinct values and no ``bins`` is given. Missing
values form their own group (``x is null``). Several columns are crossed,
keeping only the combinations that occur.

Examples
--------
>>> import pandas as pd
>>> from mlprobe.core.slicing._encoding import EncodedTable
>>> table = EncodedTable(pd.DataFrame({"age": [20, 35, 50, 65, None], "sex": list("FMFMF")}))
>>> partition, slices = group_by(table, ["age"], bins=[30, 60])
>>> [str(s) for s in slices]
['age < 30', 'age >= 30 and age < 60', 'age >= 60', 'age is null']
>>> partition.codes.tolist()
[0, 1, 1, 2, 3]
>>> _, crossed = group_by(table, ["sex", "age"], bins=[40])
>>> [str(s) for s in crossed][:2]
["sex == 'F' and age < 40", "sex == 'F' and age >= 40"]
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Sequence

import numpy as np

from mlprobe.core.counting.grouping import Partition
from mlprobe.core.slicing._encoding import (
    CategoricalColumn,
    EncodedTable,
    NumericColumn,
    smallest_int_dtype,
)
from mlprobe.core.slicing.predicates import And, Compare, IsNull, NotNull, Predicate
from mlprobe.core.slicing.slices import Slice
from mlprobe.errors import ValidationError

__all__ = [
    "DEFAULT_BINS",
    "MAX_VALUE_GROUPS",
    "bin_predicates",
    "check_bins",
    "group_by",
    "quantile_cuts",
]

#: Quantile bins for a numeric ``by`` column when ``bins`` is None.
DEFAULT_BINS = 5
#: A numeric column with at most this many distinct values is grouped by value.
MAX_VALUE_GROUPS = 10

Bins = int | Sequence[float] | None


def group_by(
    table: EncodedTable, by: Sequence[str], bins: Bins = None
) -> tuple[Partition, list[Slice]]:
    """Group the rows by the columns ``by``; groups with no rows are left out."""
    if not by:
        raise ValidationError("by: received an empty list; name at least one column.")
    codes = np.zeros(table.n_rows, dtype=np.int64)
    combos: list[tuple[int, ...]] = [()]  # the level of each column, per group code
    levels: list[list[Predicate]] = []
    for name in by:
        column_codes, column_levels = _column_groups(table, name, bins)
        width = len(column_levels)
        used, codes = _compress(codes * width + column_codes, len(combos) * width)
        combos = [(*combos[u // width], u % width) for u in used.tolist()]
        levels.append(column_levels)
    partition = Partition(codes.astype(smallest_int_dtype(len(combos))), len(combos))
    slices = [
        Slice(None, _conjunction([levels[j][i] for j, i in enumerate(combo)])) for combo in combos
    ]
    return partition, slices


def _conjunction(parts: list[Predicate]) -> Predicate:
    return functools.reduce(operator.and_, parts)  # & flattens nested "and"s


def _compress(codes: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Renumber codes to ``0 .. used-1``; return the used codes and the new codes."""
    if space <= 1 << 24:  # a lookup table is O(n); np.unique would sort
        used = np.flatnonzero(np.bincount(codes, minlength=space))
        renumber = np.zeros(space, dtype=np.int64)
        renumber[used] = np.arange(len(used))
        return used, renumber[codes]
    used, inverse = np.unique(codes, return_inverse=True)
    return used, inverse.astype(np.int64)


def _column_groups(
    table: EncodedTable, name: str, bins: Bins
) -> tuple[np.ndarray, list[Predicate]]:
    column = table.column(name, role="by column")
    if isinstance(column, CategoricalColumn):
        if bins is not None and column.kind == "number":
            raise ValidationError(
                f"bins: column {name!r} is categorical, so it is grouped by level, not binned. "
                "Convert it to numbers to bin it, or pass bins=None."
            )
        predicates: list[Predicate] = [
            Compare(name, "eq", value) for value in column.categories.tolist()
        ]
        return _with_null_group(column.codes, column.null, predicates, name)
    return _numeric_groups(column, name, bins)


def _with_null_group(
    codes: np.ndarray, null: np.ndarray, predicates: list[Predicate], name: str
) -> tuple[np.ndarray, list[Predicate]]:
    if not null.any():
        return codes, predicates
    codes = np.where(null, len(predicates), codes)
    return codes, [*predicates, IsNull(name)]


def _numeric_groups(
    column: NumericColumn, name: str, bins: Bins
) -> tuple[np.ndarray, list[Predicate]]:
    if column.is_datetime:
        raise ValidationError(
            f"by: column {name!r} holds datetimes, which cannot be grouped yet. Derive a column "
            "(e.g. the month as text) and group by that."
        )
    values = column.values
    present = values[~column.null] if column.has_nulls else values
    if bins is None:
        distinct = np.unique(present)
        if len(distinct) <= MAX_VALUE_GROUPS:
            codes = np.searchsorted(distinct, values)
            # a nullable integer column is held as floats: its groups are named by integers
            as_value = int if column.integral else (lambda v: v)
            predicates: list[Predicate] = [
                Compare(name, "eq", as_value(v.item())) for v in distinct
            ]
            return _with_null_group(codes, column.null, predicates, name)
        bins = DEFAULT_BINS
    cuts = _cut_points(present, bins, name)
    codes = np.searchsorted(np.asarray(cuts), values, side="right")
    return _with_null_group(codes, column.null, bin_predicates(name, cuts), name)


def _cut_points(values: np.ndarray, bins: int | Sequence[float], name: str) -> list[float]:
    bins = check_bins(bins, name)
    if isinstance(bins, int):
        if len(values) == 0 or bins == 1:
            return []
        quantiles = np.quantile(values, np.arange(1, bins) / bins)
        integral = values.dtype.kind in "iub" or bool(np.all(values == np.round(values)))
        return quantile_cuts(quantiles.tolist(), float(values.min()), integral)
    return bins


def check_bins(bins: object, name: str) -> int | list[float]:
    """``bins`` checked: a number of quantile bins (>= 1), or strictly increasing cut points."""
    if isinstance(bins, bool) or not isinstance(bins, int | Sequence | np.ndarray):
        raise ValidationError(
            f"bins: expected a number of bins or a list of cut points; received {bins!r}."
        )
    if isinstance(bins, int):
        if bins < 1:
            raise ValidationError(f"bins: expected at least 1 bin; received {bins}.")
        return bins
    cuts = list(bins)
    if not all(isinstance(c, int | float | np.number) and not isinstance(c, bool) for c in cuts):
        raise ValidationError(f"bins for {name!r}: cut points must be numbers; received {cuts!r}.")
    if any(b <= a for a, b in itertools.pairwise(cuts)):
        raise ValidationError(
            f"bins for {name!r}: cut points must increase strictly; received {cuts!r}."
        )
    return [c.item() if isinstance(c, np.generic) else c for c in cuts]


def quantile_cuts(quantiles: Sequence[float], minimum: float, integral: bool) -> list[float]:
    """Cut points from a column's inner quantiles: whole numbers rounded up for integral
    columns, else the fewest significant digits that keep them apart; no cut at the minimum.

    Examples
    --------
    >>> quantile_cuts([25.2, 37.0, 48.6], 17.0, True)
    [26, 37, 49]
    >>> quantile_cuts([0.12345, 0.5, 0.87654], 0.0, False)
    [0.123, 0.5, 0.877]
    """
    if integral:
        cuts = [float(np.ceil(q)) for q in quantiles]
    else:
        cuts = _readable_cuts(np.asarray(quantiles, dtype=np.float64), minimum)
    cuts = [c for c in cuts if c > minimum]  # a cut at the minimum leaves an empty bin
    return [int(c) if integral else c for c in sorted(set(cuts))]


def _readable_cuts(quantiles: np.ndarray, minimum: float) -> list[float]:
    """Quantiles rounded to the fewest significant digits (3 or more) that keep them apart.

    Three digits alone would merge all the cuts of values such as 1000.5 .. 1000.9.
    """
    wanted = len({float(q) for q in quantiles if q > minimum})
    cuts: list[float] = []
    for digits in range(3, 18):  # 17 significant digits print any float exactly
        cuts = [float(f"{q:.{digits}g}") for q in quantiles]
        if len({c for c in cuts if c > minimum}) >= wanted:
            break
    return cuts


def bin_predicates(name: str, cuts: list[float]) -> list[Predicate]:
    """One predicate per bin between the cut points (``x < c1``, ``c1 <= x < c2``, ...)."""
    if not cuts:
        return [NotNull(name)]
    predicates: list[Predicate] = [Compare(name, "lt", cuts[0])]
    for low, high in itertools.pairwise(cuts):
        predicates.append(And((Compare(name, "ge", low), Compare(name, "lt", high))))
    predicates.append(Compare(name, "ge", cuts[-1]))
    return predicates
