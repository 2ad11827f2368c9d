"""Sufficient statistics per group, computed on demand and kept for the call.

:class:`GroupStats` gives, for every group of a grouping and one model, the
K x K confusion counts and sums of per-row values. :class:`RestStats` gives
the same for "all rows but the group", by subtracting from the overall
statistics: the statistics are sums, so the rest costs nothing extra.

Examples
--------
>>> import numpy as np
>>> from mlprobe.core.counting.grouping import Partition
>>> from mlprobe.core.intake.model_arrays import ModelArrays
>>> arrays = ModelArrays("m", "binary", ["no", "yes"], np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]))
>>> stats = GroupStats(Partition(np.array([0, 0, 1, 1]), 2), arrays)
>>> stats.tables()[1].tolist()
[[1, 0], [1, 0]]
>>> stats.rest().tables()[1].tolist()
[[1, 0], [0, 1]]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlprobe.core.counting._centered_sums import can_expand, expanded_sum_about
from mlprobe.core.counting._row_terms import RowTerm
from mlprobe.core.counting._row_values import is_plain, row_values
from mlprobe.core.counting.grouping import (
    CountedGroups,
    Everything,
    Grouping,
    MaskSet,
    Partition,
    RowFunction,
)
from mlprobe.core.intake.model_arrays import ModelArrays
from mlprobe.core.statistics._sorted_scores import RunTotals
from mlprobe.core.statistics.ranks import AucCounts, AucCrossSums

__all__ = ["GroupStats", "RestStats"]


class GroupStats:
    """Per-group statistics of one model's rows."""

    def __init__(self, grouping: Grouping, arrays: ModelArrays) -> None:
        self.grouping = grouping
        self.arrays = arrays
        self._cache: dict[object, np.ndarray] = {}
        self._overall: GroupStats | None = None
        self._ranks: dict[int, tuple[AucCounts, AucCounts]] = {}
        #: all rows' rank totals per class, for this call (shared with the overall statistics)
        self._totals: dict[int, RunTotals] = {}

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return self.grouping.n_groups

    def _cached(self, key: object, compute: Callable[[], np.ndarray]) -> np.ndarray:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def sizes(self) -> np.ndarray:
        """Rows per group."""
        if self.arrays.n_classes:  # the confusion tables are counted anyway
            return self._cached("sizes", lambda: self.tables().sum(axis=(1, 2)))
        return self._cached("sizes", self.grouping.sizes)

    def tables(self) -> np.ndarray:
        """Confusion counts, shape (G, K, K): axis 1 true class, axis 2 predicted."""
        k = self.arrays.n_classes

        def compute() -> np.ndarray:
            if isinstance(self.grouping, MaskSet) and self.arrays.cell_planes is not None:
                # overlapping slices: an AND and a popcount per 64 rows and cell
                return self.grouping.count_planes(self.arrays.cell_planes).reshape(-1, k, k)
            return self.grouping.count(self.arrays.cells, k * k).reshape(-1, k, k)

        return self._cached("tables", compute)

    def sum(self, term: RowTerm, values: Callable[[], np.ndarray]) -> np.ndarray:
        """Per-group sum of the per-row array ``values()``, which ``term`` describes.

        Groups counted elsewhere (an engine) compute ``term`` where the rows are.
        """
        if isinstance(self.grouping, CountedGroups):
            counted = self.grouping
            return self._cached(term, lambda: counted.named_sum(term, self.arrays.name))
        grouping = self.grouping
        if is_plain(term):  # the term says what the rows are: powers by multiplication
            return self._cached(term, lambda: grouping.sum(row_values(self.arrays, term)))
        return self._cached(term, lambda: grouping.sum(values()))

    def _plain_sum(self, term: RowTerm) -> np.ndarray:
        """Per-group sum of a plain term; power 0 without ``times``: the group sizes."""
        if term.power == 0 and term.times is None:
            return self.sizes().astype(np.float64)
        return self.sum(term, lambda: row_values(self.arrays, term))

    def _expanded_about(
        self,
        term: RowTerm,
        values: Callable[[], np.ndarray],
        centers: np.ndarray,
        function: RowFunction,
        exact_pass: Callable[[np.ndarray], MaskSet],
        scale: Callable[[RowTerm], np.ndarray] | None = None,
    ) -> np.ndarray:
        """``sum_about`` from sums of plain powers (no pass over the rows), and a second pass
        over the rows of ``exact_pass(groups)`` for the groups where that would cancel."""
        total, exact = expanded_sum_about(term, self._plain_sum, centers, scale)
        redo = np.flatnonzero(~exact)
        if len(redo):
            total[redo] = exact_pass(redo).sum_about(values(), centers[redo], function)
        return total

    def sum_about(
        self,
        term: RowTerm,
        values: Callable[[], np.ndarray],
        centers: np.ndarray,
        function: RowFunction,
    ) -> np.ndarray:
        """Per-group sum of ``function(values() - centers[g], rows)`` (a second pass, not
        cached); ``term`` describes it, centered, for groups counted elsewhere."""
        if isinstance(self.grouping, CountedGroups):
            return self.grouping.named_sum_about(term, self.arrays.name, centers)
        if isinstance(self.grouping, MaskSet | Everything) and can_expand(term):
            masks = self.grouping.masks()
            return self._expanded_about(
                term, values, centers, function, lambda redo: MaskSet([masks[g] for g in redo])
            )
        return self.grouping.sum_about(values(), centers, function)

    def auc(self, class_index: int) -> AucCounts:
        """Per group: rank statistics of one class vs the rest (AUC, counts, DeLong's sums)."""
        if isinstance(self.grouping, CountedGroups):
            return self.grouping.auc(self.arrays.name, class_index)
        return self.split_ranks(class_index)[0]

    def split_ranks(self, class_index: int) -> tuple[AucCounts, AucCounts]:
        """Per group: rank statistics of its rows and of the rest's, from one sort of the
        class's scores (kept by the model's arrays) and cumulative counts over it."""
        if class_index not in self._ranks:
            grouping = self.grouping
            assert not isinstance(grouping, CountedGroups)
            self._ranks[class_index] = grouping.split_ranks(self._run_totals(class_index))
        return self._ranks[class_index]

    def _run_totals(self, class_index: int) -> RunTotals:
        """All rows' per-run sums over the class's kept sort, made once per call."""
        if class_index not in self._totals:
            self._totals[class_index] = self.arrays.sorted_scores(class_index).totals()
        return self._totals[class_index]

    def auc_cross_sums(self) -> AucCrossSums:
        """All rows' placement sums of every class by true class, for the covariance of the
        classes' one-vs-rest AUCs (:meth:`AucCrossSums.covariance`)."""
        if isinstance(self.grouping, CountedGroups):
            return self.grouping.auc_cross_sums(self.arrays.name)
        arrays = self.arrays
        cache = arrays.__dict__.setdefault("_auc_cross_sums", {})
        if not cache:
            # each class's placements from its sort (kept by the arrays): cumulative counts
            numerators = np.array(
                [self._run_totals(c).placement_numerators() for c in range(arrays.n_classes)]
            )
            cache["all"] = AucCrossSums.from_numerators(numerators, arrays.y_true)
        result: AucCrossSums = cache["all"]
        return result

    def masks(self) -> list[np.ndarray]:
        """One bool mask per group (slow paths only)."""
        return self.grouping.masks()

    def overall(self) -> GroupStats:
        """Statistics of all rows, as one group."""
        if self._overall is None:
            overall_of = getattr(self.grouping, "overall", None)
            grouping = overall_of() if callable(overall_of) else Everything(self.arrays.n_rows)
            self._overall = GroupStats(grouping, self.arrays)
            self._overall._totals = self._totals
            if isinstance(self.grouping, Partition) and self.arrays.n_classes:
                # the groups cover every row once: the overall table is their sum
                total = self.tables().sum(axis=0, keepdims=True)
                self._overall._cache["tables"] = total
        return self._overall

    def rest(self) -> RestStats:
        """Statistics of the rows outside each group."""
        return RestStats(self)


#: a rest's sum taken as all rows' minus the group's keeps at least ``1 - 1/this`` of a
#: double's digits (2**20: a relative error under 3e-10); beyond, it is summed directly
REST_CANCELLATION = 2.0**20


class RestStats(GroupStats):
    """Statistics of the complement of each group: overall minus the group."""

    def __init__(self, base: GroupStats) -> None:
        super().__init__(base.grouping, base.arrays)
        self.base = base
        self._complement_stats: GroupStats | None = None

    def sizes(self) -> np.ndarray:
        return self.base.overall().sizes()[0] - self.base.sizes()

    def tables(self) -> np.ndarray:
        return self.base.overall().tables()[0] - self.base.tables()

    def sum(self, term: RowTerm, values: Callable[[], np.ndarray]) -> np.ndarray:
        """All rows' sum minus the group's; where that subtraction would lose more than
        :data:`REST_CANCELLATION`'s share of the digits (a slice holding nearly all of a
        heavy-tailed sum, e.g. the 8th power of a few huge errors), the rest's own sum."""
        whole = self.base.overall().sum(term, values)[0]
        mine = self.base.sum(term, values)
        rest = whole - mine
        with np.errstate(invalid="ignore"):
            lost = np.abs(rest) * REST_CANCELLATION < np.maximum(np.abs(whole), np.abs(mine))
        if lost.any():
            direct = self._complement().sum(term, values)
            rest = np.where(lost, direct, rest)
        return rest

    def _complement(self) -> GroupStats:
        if self._complement_stats is None:
            self._complement_stats = GroupStats(self.base.grouping.complement(), self.arrays)
        return self._complement_stats

    def sum_about(
        self,
        term: RowTerm,
        values: Callable[[], np.ndarray],
        centers: np.ndarray,
        function: RowFunction,
    ) -> np.ndarray:
        if isinstance(self.grouping, CountedGroups) or not can_expand(term):
            return self._complement().sum_about(term, values, centers, function)
        overall = self.base.overall()
        return self._expanded_about(
            term,
            values,
            centers,
            function,
            self._complements,
            # a rest's sums are all rows' minus the group's: they err as much as all rows'
            scale=lambda plain: overall._plain_sum(plain),
        )

    def _complements(self, groups: np.ndarray) -> MaskSet:
        """The rows outside each of ``groups``."""
        grouping = self.base.grouping
        if isinstance(grouping, Partition):
            return MaskSet([grouping.codes != g for g in groups])
        masks = grouping.masks()
        return MaskSet([~masks[g] for g in groups])

    def auc(self, class_index: int) -> AucCounts:
        if isinstance(self.grouping, CountedGroups):
            return self._complement().auc(class_index)
        return self.base.split_ranks(class_index)[1]

    def masks(self) -> list[np.ndarray]:
        return self._complement().masks()

    def rest(self) -> RestStats:  # pragma: no cover - never needed
        raise NotImplementedError("the rest of the rest is the group itself")
