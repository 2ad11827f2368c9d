"""Search the lattice of conjunctions for the slices with the highest SliceLine score.

A slice is a conjunction of at most ``max_l`` conditions on distinct binned
columns. For each set of columns, one count over the combined bin codes gives
the size and error sums of *every* conjunction over those columns at once
(:class:`CellCounts`: ``np.bincount`` in memory, ``GROUP BY GROUPING SETS`` on
an engine), so the search costs a pass over the rows per level, not per slice.
Sets of columns are visited level by level; a set is skipped when one of its
subsets has no slice that could still improve the top-k (the SliceLine upper
bound on the score of any refinement, from the slice's size and error, is not
above the k-th best score once the whole level is counted). The pruning never
drops a slice that would be in the top-k, so the result is the exact top-k of
the lattice (ties at the k-th score included, as in SliceLine), and it depends
only on the counts: every backend evaluates the same slices.

Score (Sagadeeva & Boehm, SIGMOD 2021), with ``ē`` the mean error of all ``n`` rows::

    score = alpha * ((error_sum / size) / ē - 1) - (1 - alpha) * (n / size - 1)

Examples
--------
>>> import numpy as np
>>> codes = [np.array([0, 0, 1, 1, 1, 0]), np.array([0, 1, 0, 1, 0, 1])]
>>> errors = np.array([1.0, 0, 0, 0, 0, 1])
>>> found = search_slices(ArrayCells(codes, [2, 2], errors), alpha=0.9, k=1, max_l=2, min_sup=2)
>>> found.key(found.top[0]), int(found.sizes[found.top[0]]), float(found.error_sums[found.top[0]])
(((0, 0),), 3, 2.0)
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

__all__ = [
    "RANKINGS",
    "ArrayCells",
    "CellCounts",
    "CellSums",
    "LossTotals",
    "SearchResult",
    "rank_scores",
    "rank_upper_bound",
    "search_slices",
    "sliceline_score",
]

#: a slice: ((column index, bin), ...) in increasing column order
SliceKey = tuple[tuple[int, int], ...]


def sliceline_score(
    sizes: np.ndarray, error_sums: np.ndarray, *, n_rows: int, mean_error: float, alpha: float
) -> np.ndarray:
    """SliceLine's score of slices of ``sizes`` rows holding ``error_sums`` of error."""
    with np.errstate(divide="ignore", invalid="ignore"):
        score = alpha * ((error_sums / sizes) / mean_error - 1) - (1 - alpha) * (n_rows / sizes - 1)
    return np.where(sizes > 0, score, -np.inf)


def _score_upper_bound(
    sizes: np.ndarray,
    error_sums: np.ndarray,
    *,
    max_error: float,
    n_rows: int,
    mean_error: float,
    alpha: float,
    min_sup: int,
) -> np.ndarray:
    """The highest score any refinement of these slices can reach (SliceLine's bound).

    A refinement has ``min_sup <= s <= size`` rows and at most
    ``min(error_sum, s * max_error)`` error; the score is monotone between the
    three probe points, so its maximum over ``s`` is at one of them.
    """
    points = np.stack(
        [
            np.full(len(sizes), float(min_sup)),
            np.maximum(error_sums / max_error, min_sup)
            if max_error > 0
            else np.full(len(sizes), float(min_sup)),
            sizes.astype(np.float64),
        ]
    )
    points = np.minimum(points, np.maximum(sizes, 1))
    errors = np.minimum(points * max_error, error_sums)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = (alpha * (errors / mean_error - points) - (1 - alpha) * (n_rows - points)) / points
    return np.nan_to_num(scores, nan=-np.inf).max(axis=0)


#: what the search ranks slices by (see :func:`rank_scores`)
RANKINGS = ("impact", "gap", "sliceline")


def rank_scores(
    rank_by: str,
    sizes: np.ndarray,
    error_sums: np.ndarray,
    *,
    n_rows: int,
    total: float,
    alpha: float,
) -> np.ndarray:
    """Scores of slices by ``rank_by`` (higher ranks first; only positive scores enter).

    ``impact``: how much the mean loss of all rows would fall if the slice's rows had the
    rest's mean loss, ``(sum - size * rest mean) / n_rows``; ``gap``: the slice's mean loss
    minus the rest's; ``sliceline``: SliceLine's score (:func:`sliceline_score`).

    >>> rank_scores("impact", np.array([10]), np.array([6.0]), n_rows=100, total=15.0, alpha=1)
    array([0.05])
    """
    sizes = np.asarray(sizes, dtype=np.float64)
    if rank_by == "sliceline":
        return sliceline_score(
            sizes, error_sums, n_rows=n_rows, mean_error=total / n_rows, alpha=alpha
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        rest_mean = np.where(n_rows > sizes, (total - error_sums) / (n_rows - sizes), 0.0)
        if rank_by == "impact":
            score = (error_sums - sizes * rest_mean) / n_rows
        else:
            score = error_sums / sizes - rest_mean
    return np.where(sizes > 0, score, -np.inf)


def rank_upper_bound(
    rank_by: str,
    sizes: np.ndarray,
    error_sums: np.ndarray,
    *,
    max_error: float,
    n_rows: int,
    total: float,
    alpha: float,
    min_sup: int,
) -> np.ndarray:
    """The highest score by ``rank_by`` that any refinement of these slices can reach.

    A refinement holds ``min_sup <= s <= size`` rows and ``e <= error_sum`` of loss (losses
    are not negative). Its impact is at most ``e / n_rows <= error_sum / n_rows``; its gap at
    most ``min(max_error, error_sum / min_sup) - (total - error_sum) / (n_rows - min_sup)``.
    """
    if rank_by == "sliceline":
        return _score_upper_bound(
            sizes.astype(np.float64),
            error_sums,
            max_error=max_error,
            n_rows=n_rows,
            mean_error=total / n_rows,
            alpha=alpha,
            min_sup=min_sup,
        )
    if rank_by == "impact":
        return error_sums / n_rows
    fewest = max(min_sup, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rest_low = np.where(n_rows > fewest, (total - error_sums) / (n_rows - fewest), 0.0)
    return np.minimum(max_error, error_sums / fewest) - rest_low


@dataclass(frozen=True)
class _Block:
    """The evaluated slices of one set of columns: flat cell numbers in its shape."""

    columns: tuple[int, ...]
    shapes: tuple[int, ...]
    cells: np.ndarray
    offset: int


@dataclass
class SearchResult:
    """Every slice the search evaluated with at least ``min_sup`` rows, and the top-k.

    ``sizes``, ``error_sums``, ``square_sums``, ``cube_sums``, ``fourth_sums`` and ``scores``
    are parallel
    arrays over the evaluated slices; :meth:`key` names a position, and
    :meth:`position` finds a key. ``top`` lists the positions of the top-k
    (best first, ties broken by position: level, then column and bin order).
    ``complete`` is False when the search was interrupted.
    """

    sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    error_sums: np.ndarray = field(default_factory=lambda: np.zeros(0))
    square_sums: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cube_sums: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fourth_sums: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    top: list[int] = field(default_factory=list)
    complete: bool = True
    combinations_evaluated: int = 0
    blocks: list[_Block] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sizes)

    def key(self, position: int) -> SliceKey:
        """The ``((column, bin), ...)`` of an evaluated slice."""
        offsets = [b.offset for b in self.blocks]
        block = self.blocks[bisect.bisect_right(offsets, position) - 1]
        bins = np.unravel_index(int(block.cells[position - block.offset]), block.shapes)
        return tuple((c, int(b)) for c, b in zip(block.columns, bins, strict=True))

    def position(self, key: SliceKey) -> int | None:
        """Where the slice ``key`` is, or None when it was not evaluated."""
        columns = tuple(c for c, _ in key)
        block = self._by_columns().get(columns)
        if block is None:
            return None
        cell = int(np.ravel_multi_index(tuple(b for _, b in key), block.shapes))
        i = int(np.searchsorted(block.cells, cell))
        if i < len(block.cells) and block.cells[i] == cell:
            return block.offset + i
        return None

    def _by_columns(self) -> dict[tuple[int, ...], _Block]:
        cache: dict[tuple[int, ...], _Block] | None = self.__dict__.get("_columns_index")
        if cache is None:
            cache = {b.columns: b for b in self.blocks}
            self.__dict__["_columns_index"] = cache
        return cache


class _TopK:
    """The k best scores seen so far (all ties at the k-th kept)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.entries: list[tuple[float, int]] = []  # (score, position in the result)

    def threshold(self) -> float:
        """Score a new slice must beat to enter (``-inf`` until k slices are in)."""
        if len(self.entries) < self.k:
            return -np.inf
        return self.entries[self.k - 1][0]

    def offer(self, scores: np.ndarray, positions: np.ndarray) -> None:
        keep = (scores > 0) & (scores >= self.threshold())
        if not keep.any():
            return
        merged = self.entries + list(
            zip(scores[keep].tolist(), positions[keep].tolist(), strict=True)
        )
        merged.sort(key=lambda entry: (-entry[0], entry[1]))
        if len(merged) > self.k:
            kth = merged[self.k - 1][0]
            merged = [e for e in merged if e[0] >= kth]
        self.entries = merged


#: rows and the sums of the losses' first four powers in every cell of a set of columns
CellSums = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class LossTotals:
    """The per-row losses of all rows: count, sums of the first four powers, largest."""

    n_rows: int
    sums: tuple[float, float, float, float]
    maximum: float

    @property
    def mean(self) -> float:
        """Mean loss (0 without rows)."""
        return self.sums[0] / self.n_rows if self.n_rows else 0.0


class CellCounts(Protocol):
    """How the rows and their losses fall into the cells of sets of binned columns.

    A cell of columns ``(c1, c2)`` is a pair of bins; cells are numbered in C
    order over ``shape = (n_bins[c1] + 1, n_bins[c2] + 1)``, the last position of
    each axis holding the rows in no bin of that column.
    """

    @property
    def n_bins(self) -> Sequence[int]:
        """Bins per column."""
        ...

    def totals(self) -> LossTotals:
        """The losses of all rows."""
        ...

    def cells(self, column_sets: Sequence[tuple[int, ...]]) -> Iterator[CellSums]:
        """Per set of columns, in order, ``(sizes, sum, sum of squares, of cubes, of
        fourth powers)`` over its cells (flat arrays of ``prod(shape)``)."""
        ...

    def shared(self, pairs: Sequence[tuple[SliceKey, SliceKey]]) -> tuple[list[int], list[float]]:
        """Per pair of slices, the rows in both and the sum of their losses."""
        ...


class ArrayCells:
    """:class:`CellCounts` of bin codes and losses held as numpy arrays.

    Parameters
    ----------
    codes : list of int arrays
        Bin of each row per column (``-1``: in no bin of that column).
    n_bins : list of int
        Number of bins per column.
    errors : float array
        Per-row loss (0/1 or any non-negative number).
    """

    def __init__(self, codes: Sequence[np.ndarray], n_bins: Sequence[int], errors: np.ndarray):
        self.n_bins = list(n_bins)
        self._errors = np.asarray(errors, dtype=np.float64)
        shapes = [int(b) + 1 for b in n_bins]
        self._codes = [
            np.where(c < 0, shape - 1, c).astype(np.int32)
            for c, shape in zip(codes, shapes, strict=True)
        ]
        binary = bool(np.all((self._errors == 0) | (self._errors == 1)))
        self._error_codes = self._errors.astype(np.int32) if binary else None
        self._totals: LossTotals | None = None

    def totals(self) -> LossTotals:
        """The losses of all rows (computed once: the search asks several times)."""
        if self._totals is None:
            errors = self._errors
            sums = tuple(float(np.sum(errors**p)) for p in range(1, 5))
            maximum = float(errors.max()) if len(errors) else 0.0
            self._totals = LossTotals(len(errors), sums, maximum)  # type: ignore[arg-type]
        return self._totals

    def cells(self, column_sets: Sequence[tuple[int, ...]]) -> Iterator[CellSums]:
        for columns in column_sets:  # one set at a time: memory stays one set's cells
            shape = [self.n_bins[c] + 1 for c in columns]
            yield _cell_sums(
                [self._codes[c] for c in columns], shape, self._errors, self._error_codes
            )

    def shared(self, pairs: Sequence[tuple[SliceKey, SliceKey]]) -> tuple[list[int], list[float]]:
        masks: dict[SliceKey, np.ndarray] = {}
        for key in {k for pair in pairs for k in pair}:
            masks[key] = self._mask(key)
        both = [masks[a] & masks[b] for a, b in pairs]
        return (
            [int(np.count_nonzero(m)) for m in both],
            [float(self._errors[m].sum()) for m in both],
        )

    def _mask(self, key: SliceKey) -> np.ndarray:
        mask = np.ones(len(self._errors), dtype=bool)
        for column, bin_ in key:
            mask &= self._codes[column] == bin_
        return mask


def search_slices(
    counts: CellCounts,
    *,
    alpha: float,
    k: int,
    rank_by: str = "sliceline",
    max_size: int | None = None,
    max_l: int,
    min_sup: int,
    progress: Callable[[int], object] | None = None,
) -> SearchResult:
    """Exact top-k SliceLine search over binned columns.

    Parameters
    ----------
    counts : CellCounts
        The binned columns and per-row losses, counted in memory or by an engine.
    rank_by : {"sliceline", "impact", "gap"}
        What the top-k is of (:func:`rank_scores`); the pruning uses that ranking's bound.
    max_size : int, optional
        Slices with more rows are searched through (their refinements may qualify) but do
        not enter the top-k.
    progress : callable, optional
        Called with the number of column sets done after each one.

    A ``KeyboardInterrupt`` ends the search early: the result holds what was
    found so far, with ``complete = False``.
    """
    totals = counts.totals()
    n_rows, mean_error, max_error = totals.n_rows, totals.mean, totals.maximum
    result = SearchResult()
    top = _TopK(k)
    if n_rows == 0 or mean_error <= 0:
        return result
    shapes = [int(b) + 1 for b in counts.n_bins]  # one extra bin for "in no bin"
    parts: dict[str, list[np.ndarray]] = {
        "sizes": [],
        "errors": [],
        "squares": [],
        "cubes": [],
        "fourths": [],
        "scores": [],
    }
    # per level: column set -> bool array over its cells, True where refinements may still win
    alive: dict[tuple[int, ...], np.ndarray] = {}
    offset = 0
    try:
        for level in range(1, max_l + 1):
            column_sets = [
                columns
                for columns in itertools.combinations(range(len(shapes)), level)
                if level == 1 or _subsets_alive(columns, alive)
            ]
            counted: list[tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]] = []
            for columns, sums in zip(column_sets, counts.cells(column_sets), strict=True):
                sizes, error_sums, square_sums, cube_sums, fourth_sums = sums
                shape = tuple(shapes[c] for c in columns)
                cells = _valid_cells(list(shape), sizes, min_sup)
                if level > 1:
                    cells = cells[_parents_alive(cells, columns, list(shape), alive)]
                scores = rank_scores(
                    rank_by,
                    sizes[cells],
                    error_sums[cells],
                    n_rows=n_rows,
                    total=totals.sums[0],
                    alpha=alpha,
                )
                result.blocks.append(_Block(columns, shape, cells, offset))
                parts["sizes"].append(sizes[cells])
                parts["errors"].append(error_sums[cells])
                parts["squares"].append(square_sums[cells])
                parts["cubes"].append(cube_sums[cells])
                parts["fourths"].append(fourth_sums[cells])
                parts["scores"].append(scores)
                eligible = (
                    scores
                    if max_size is None
                    else np.where(sizes[cells] <= max_size, scores, -np.inf)
                )
                top.offer(eligible, np.arange(offset, offset + len(cells)))
                offset += len(cells)
                counted.append((columns, cells, sizes, error_sums))
                result.combinations_evaluated += 1
                if progress is not None:
                    progress(result.combinations_evaluated)
            if level == max_l:
                break
            # which cells may still lead to the top-k: judged once the whole level is in, so
            # the slices evaluated depend on the counts only, not on the order of counting
            alive = {}
            for columns, cells, sizes, error_sums in counted:
                bound = rank_upper_bound(
                    rank_by,
                    sizes[cells],
                    error_sums[cells],
                    max_error=max_error,
                    n_rows=n_rows,
                    total=totals.sums[0],
                    alpha=alpha,
                    min_sup=min_sup,
                )
                promising = (error_sums[cells] > 0) & (bound > 0) & (bound >= top.threshold())
                if promising.any():
                    flags = np.zeros(len(sizes), dtype=bool)
                    flags[cells[promising]] = True
                    alive[columns] = flags
            if not alive:
                break
    except KeyboardInterrupt:
        result.complete = False
    if parts["sizes"]:
        result.sizes = np.concatenate(parts["sizes"]).astype(np.int64)
        result.error_sums = np.concatenate(parts["errors"]).astype(np.float64)
        result.square_sums = np.concatenate(parts["squares"]).astype(np.float64)
        result.cube_sums = np.concatenate(parts["cubes"]).astype(np.float64)
        result.fourth_sums = np.concatenate(parts["fourths"]).astype(np.float64)
        result.scores = np.concatenate(parts["scores"])
    result.blocks = result.blocks[: len(parts["sizes"])]  # an interrupt may leave one unfilled
    result.top = [position for _, position in top.entries]
    return result


def _cell_sums(
    codes: list[np.ndarray],
    shape: list[int],
    errors: np.ndarray,
    error_codes: np.ndarray | None,
) -> CellSums:
    """Rows and sums of the errors' first four powers in every cell of a set of columns."""
    combined, size = _combined_codes(codes, shape)
    if error_codes is not None:  # 0/1 errors: one count over (cell, error) gives all three
        combined *= 2
        combined += error_codes
        counts = np.bincount(combined, minlength=2 * size).reshape(size, 2)
        wrong = counts[:, 1].astype(np.float64)
        return counts.sum(axis=1), wrong, wrong, wrong, wrong
    sizes = np.bincount(combined, minlength=size)
    return (
        sizes,
        np.bincount(combined, weights=errors, minlength=size),
        np.bincount(combined, weights=errors * errors, minlength=size),
        np.bincount(combined, weights=errors**3, minlength=size),
        np.bincount(combined, weights=errors**4, minlength=size),
    )


def _combined_codes(codes: list[np.ndarray], shapes: list[int]) -> tuple[np.ndarray, int]:
    """One code per row for the cell of a set of columns (codes already in ``0..shape-1``)."""
    size = int(np.prod(shapes))
    if size * 2 >= 2**31:
        raise MemoryError(f"{size} cells: too many bins for one set of columns")
    combined = codes[0].copy()
    for column_codes, shape in zip(codes[1:], shapes[1:], strict=True):
        combined *= shape
        combined += column_codes
    return combined, size


def _valid_cells(shapes: list[int], sizes: np.ndarray, min_sup: int) -> np.ndarray:
    """Cells with enough rows that lie in a real bin of every column."""
    in_bins = np.ones(shapes, dtype=bool)
    for axis, shape in enumerate(shapes):
        index: list[slice | int] = [slice(None)] * len(shapes)
        index[axis] = shape - 1
        in_bins[tuple(index)] = False
    return np.flatnonzero(in_bins.ravel() & (sizes >= max(min_sup, 1)))


def _subsets_alive(columns: tuple[int, ...], alive: dict[tuple[int, ...], np.ndarray]) -> bool:
    return all(sub in alive for sub in itertools.combinations(columns, len(columns) - 1))


def _parents_alive(
    cells: np.ndarray,
    columns: tuple[int, ...],
    shapes: list[int],
    alive: dict[tuple[int, ...], np.ndarray],
) -> np.ndarray:
    """For each cell, whether every parent (one condition dropped) may still lead to the top-k."""
    bins = np.unravel_index(cells, shapes)
    keep = np.ones(len(cells), dtype=bool)
    for dropped in range(len(columns)):
        parent = tuple(c for i, c in enumerate(columns) if i != dropped)
        parent_shapes = [s for i, s in enumerate(shapes) if i != dropped]
        parent_bins = tuple(b for i, b in enumerate(bins) if i != dropped)
        keep &= alive[parent][np.ravel_multi_index(parent_bins, parent_shapes)]
    return keep
