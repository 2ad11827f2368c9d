"""Row groupings, and per-group counts and sums in one pass each.

A :class:`Partition` gives every row one group code (the groups of a ``by=``
column, or crossed columns): its counts are one ``np.bincount`` over
``code * width + key``. A :class:`MaskSet` holds slices that may overlap:
each is counted with one bincount pass (no row selection). :class:`Everything`
is the one group of all rows.

Both return arrays with the group as first axis, so metric code downstream
does not care which kind it got.

Examples
--------
>>> import numpy as np
>>> part = Partition(np.array([0, 1, 1, 0, 1]), 2)
>>> part.count(np.array([0, 1, 1, 1, 0]), 2).tolist()
[[1, 1], [1, 2]]
>>> masks = MaskSet([np.array([True, True, False, False, False])])
>>> masks.sum(np.array([1.0, 2.0, 3.0, 4.0, 5.0])).tolist()
[3.0]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from mlprobe.core.counting._atoms import SliceAtoms
from mlprobe.core.counting._row_terms import RowTerm
from mlprobe.core.slicing._bitplanes import counts_in_planes, pack_rows
from mlprobe.core.slicing._encoding import smallest_int_dtype
from mlprobe.core.statistics._sorted_scores import RunTotals
from mlprobe.core.statistics._subset_ranks import subset_and_rest
from mlprobe.core.statistics.ranks import AucCounts, AucCrossSums
from mlprobe.errors import MlprobeError

__all__ = [
    "CountedGroups",
    "Everything",
    "Grouping",
    "JointCounts",
    "MaskSet",
    "Partition",
    "RowSource",
]

#: ``f(deviations, rows) -> per-row values``; ``rows`` indexes other per-row arrays.
RowFunction = Callable[[np.ndarray, Any], np.ndarray]


class Partition:
    """Each row in exactly one of ``n_groups`` groups (``codes`` in ``0 .. n_groups-1``)."""

    def __init__(self, codes: np.ndarray, n_groups: int) -> None:
        self.codes = codes
        self.n_groups = n_groups

    def count(self, keys: np.ndarray, width: int) -> np.ndarray:
        """``out[g, k]`` = rows of group g with ``keys == k`` (keys in ``0 .. width-1``)."""
        combined = self.codes.astype(np.intp)
        combined *= width
        combined += keys
        return np.bincount(combined, minlength=self.n_groups * width).reshape(self.n_groups, width)

    def sizes(self) -> np.ndarray:
        """Rows per group."""
        return np.bincount(self.codes, minlength=self.n_groups)

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Per-group sum of ``values`` (float)."""
        return np.bincount(self.codes, weights=values, minlength=self.n_groups)

    def sum_about(
        self, values: np.ndarray, centers: np.ndarray, function: RowFunction
    ) -> np.ndarray:
        """Per-group sum of ``function(values - centers[g], rows)`` over the group's rows.

        A second pass over the rows, for spreads that sums of powers would lose
        to cancellation; ``rows`` selects the group's rows of any other per-row array.
        """
        deviation = values - centers[self.codes]
        return np.bincount(
            self.codes, weights=function(deviation, slice(None)), minlength=self.n_groups
        )

    def masks(self) -> list[np.ndarray]:
        """One bool mask per group (for the slow paths only)."""
        return [self.codes == g for g in range(self.n_groups)]

    def complement(self) -> MaskSet:
        """The rows outside each group."""
        return MaskSet([~m for m in self.masks()])

    def split_ranks(self, totals: RunTotals) -> tuple[AucCounts, AucCounts]:
        """Per group: rank statistics of its rows and of the rest, over one global sort."""
        codes = self.codes[totals.sorted.order]
        positions = np.argsort(codes, kind="stable")
        return subset_and_rest(totals, positions, codes[positions], self.n_groups)


class MaskSet:
    """Slices that may overlap, one bool mask each."""

    def __init__(self, masks: Sequence[np.ndarray]) -> None:
        self.mask_list = list(masks)
        self.n_groups = len(self.mask_list)
        self._atoms: SliceAtoms | None = None

    def count(self, keys: np.ndarray, width: int) -> np.ndarray:
        """``out[s, k]`` = rows of slice s with ``keys == k``."""
        # one pass per slice with no row selection: keys of the slice's rows shift
        # up by ``width``, and the upper half of the bincount is the slice's counts
        dtype = smallest_int_dtype(2 * width)
        keys = keys.astype(dtype, copy=False)
        step = dtype.type(width)
        out = np.zeros((self.n_groups, width), dtype=np.int64)
        for s, mask in enumerate(self.mask_list):
            shifted = mask.view(np.int8).astype(dtype, copy=False) * step
            shifted += keys
            out[s] = np.bincount(shifted, minlength=2 * width)[width:]
        return out

    def count_planes(self, planes: np.ndarray) -> np.ndarray:
        """``out[s, k]`` = rows of slice s in plane k (packed bits, see bitplanes)."""
        out = np.zeros((self.n_groups, len(planes)), dtype=np.int64)
        for s, mask in enumerate(self.mask_list):
            out[s] = counts_in_planes(pack_rows(mask), planes)
        return out

    def sizes(self) -> np.ndarray:
        """Rows per slice."""
        return np.array([np.count_nonzero(m) for m in self.mask_list], dtype=np.int64)

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Per-slice sum of ``values`` (float): one pass over the rows per 20 slices, by the
        rows' membership patterns (:class:`~mlprobe.core.counting._atoms.SliceAtoms`)."""
        if self._atoms is None:
            self._atoms = SliceAtoms(self.mask_list)
        return self._atoms.sum(values)

    def sum_about(
        self, values: np.ndarray, centers: np.ndarray, function: RowFunction
    ) -> np.ndarray:
        """Per-slice sum of ``function(values - centers[s], rows)`` over the slice's rows."""
        return np.array(
            [
                function(values[m] - c, m).sum()
                for m, c in zip(self.mask_list, centers, strict=True)
            ],
            dtype=np.float64,
        )

    def masks(self) -> list[np.ndarray]:
        """The masks."""
        return self.mask_list

    def complement(self) -> MaskSet:
        """The rows outside each slice."""
        return MaskSet([~m for m in self.mask_list])

    def split_ranks(self, totals: RunTotals) -> tuple[AucCounts, AucCounts]:
        """Per slice: rank statistics of its rows and of the rest, over one global sort.

        Each slice's rows are its positions in that sort (no sort of their own); the
        smaller of the slice and its rest is read, and the other follows from all rows'.
        """
        order = totals.sorted.order
        mine, rest = [], []
        for mask in self.mask_list:
            in_order = mask[order]
            larger = 2 * np.count_nonzero(in_order) > len(order)
            if larger:
                np.logical_not(in_order, out=in_order)
            read, other = subset_and_rest(totals, np.flatnonzero(in_order))
            mine.append(other if larger else read)
            rest.append(read if larger else other)
        return AucCounts.stack(mine), AucCounts.stack(rest)


class Everything:
    """One group holding every row: the ``overall`` row of a breakdown."""

    n_groups = 1

    def __init__(self, n_rows: int) -> None:
        self.n_rows = n_rows

    def count(self, keys: np.ndarray, width: int) -> np.ndarray:
        """``out[0, k]`` = rows with ``keys == k``."""
        return np.bincount(keys, minlength=width)[None, :]

    def sizes(self) -> np.ndarray:
        """``[n_rows]``."""
        return np.array([self.n_rows], dtype=np.int64)

    def sum(self, values: np.ndarray) -> np.ndarray:
        """``[values.sum()]``."""
        return np.array([values.sum()], dtype=np.float64)

    def sum_about(
        self, values: np.ndarray, centers: np.ndarray, function: RowFunction
    ) -> np.ndarray:
        """``[sum(function(values - centers[0], all rows))]``."""
        return np.array([function(values - centers[0], slice(None)).sum()], dtype=np.float64)

    def masks(self) -> list[np.ndarray]:
        """One all-True mask."""
        return [np.ones(self.n_rows, dtype=bool)]

    def complement(self) -> MaskSet:
        """No rows."""
        return MaskSet([np.zeros(self.n_rows, dtype=bool)])

    def split_ranks(self, totals: RunTotals) -> tuple[AucCounts, AucCounts]:
        """All rows' rank statistics, and those of no rows."""
        return totals.all_rows(), AucCounts(*(np.zeros(1) for _ in range(5)))


class RowSource(Protocol):
    """Sums over rows that live elsewhere (e.g. in a SQL engine), for the groups of a
    :class:`CountedGroups`: what the metric code would otherwise compute from arrays."""

    def sums(self, term: RowTerm, model: str, centers: np.ndarray | None) -> np.ndarray:
        """Per-group sum of ``term`` for ``model`` (``centers`` per group for centered terms)."""
        ...

    def auc(self, model: str, class_index: int) -> AucCounts:
        """Per group: the rank statistics of one class vs the rest (AUC and DeLong's sums)."""
        ...

    def auc_cross_sums(self, model: str) -> AucCrossSums:
        """All rows' placement sums of every class by true class (:class:`AucCrossSums`)."""
        ...

    def overall(self) -> RowSource:
        """The same, for all rows as one group."""
        ...

    def complement(self) -> RowSource:
        """The same, for the rows outside each group."""
        ...


class CountedGroups:
    """Groups whose confusion counts were counted elsewhere (e.g. by a SQL engine).

    ``tables`` has shape (G, K, K) (classification) or (G,) (row counts, for
    regression); ``overall`` holds all rows. Sums and ranks come from ``rows``
    when given; without it only count-based statistics are available.
    """

    def __init__(
        self, tables: np.ndarray, overall: np.ndarray, rows: RowSource | None = None
    ) -> None:
        self.tables = np.asarray(tables, dtype=np.int64)
        self.overall_table = np.asarray(overall, dtype=np.int64)
        self.n_groups = len(self.tables)
        self.rows = rows

    def count(self, keys: np.ndarray, width: int) -> np.ndarray:
        """The counted tables, flattened to ``(G, width)`` (``keys`` are not needed)."""
        return self.tables.reshape(self.n_groups, width)

    def sizes(self) -> np.ndarray:
        """Rows per group."""
        return self.tables.reshape(self.n_groups, -1).sum(axis=1)

    def overall(self) -> CountedGroups:
        """All rows as one group."""
        rows = self.rows.overall() if self.rows is not None else None
        return CountedGroups(self.overall_table[None], self.overall_table, rows)

    def complement(self) -> CountedGroups:
        """The rows outside each group."""
        rows = self.rows.complement() if self.rows is not None else None
        return CountedGroups(self.overall_table[None] - self.tables, self.overall_table, rows)

    def _source(self) -> RowSource:
        if self.rows is None:
            raise MlprobeError(
                "this metric needs the rows (sums or ranks), which this probe does not hold; "
                "use count-based metrics (accuracy, recall[c], f1, ...) or an in-memory Probe."
            )
        return self.rows

    def named_sum(self, term: RowTerm, model: str) -> np.ndarray:
        """Per-group sum of ``term`` for ``model``, from the row source."""
        return self._source().sums(term, model, None)

    def named_sum_about(self, term: RowTerm, model: str, centers: np.ndarray) -> np.ndarray:
        """Per-group sum of a centered ``term`` about ``centers``, from the row source."""
        return self._source().sums(term, model, centers)

    def auc(self, model: str, class_index: int) -> AucCounts:
        """Per-group rank statistics of one class, from the row source."""
        return self._source().auc(model, class_index)

    def auc_cross_sums(self, model: str) -> AucCrossSums:
        """All rows' placement sums of every class by true class, from the row source."""
        return self._source().auc_cross_sums(model)

    def _no_rows(self, *_: Any) -> Any:
        raise MlprobeError(
            "this metric needs the rows themselves (a custom per-row metric), which stay in the "
            "engine; use a built-in metric, or load the rows into pandas and use mlprobe.Probe."
        )

    sum = sum_about = split_ranks = masks = _no_rows


class JointCounts(CountedGroups):
    """Counted (true, prediction of a, prediction of b) tables of two models: shape (G, K, K, K).

    As a grouping of model a it answers a's K x K tables (summed over b) and
    the joint tables that paired comparisons read.
    """

    def __init__(
        self, joint: np.ndarray, overall: np.ndarray, rows: RowSource | None = None
    ) -> None:
        self.joint = np.asarray(joint, dtype=np.int64)
        self.overall_joint = np.asarray(overall, dtype=np.int64)
        super().__init__(self.joint.sum(axis=-1), self.overall_joint.sum(axis=-1), rows)

    def count(self, keys: np.ndarray, width: int) -> np.ndarray:
        """a's tables for width K², the joint tables for width K³."""
        if width == self.overall_joint.size:
            return self.joint.reshape(self.n_groups, width)
        return super().count(keys, width)

    def overall(self) -> JointCounts:
        """All rows as one group."""
        rows = self.rows.overall() if self.rows is not None else None
        return JointCounts(self.overall_joint[None], self.overall_joint, rows)

    def complement(self) -> JointCounts:
        """The rows outside each group."""
        rows = self.rows.complement() if self.rows is not None else None
        return JointCounts(self.overall_joint[None] - self.joint, self.overall_joint, rows)


Grouping = Partition | MaskSet | Everything | CountedGroups
