"""Search the lattice of conjunctions for the slices with the highest SliceLine score.

A slice is a conjunction of at most ``max_l`` conditions on distinct binned
columns. For each set of columns, one ``np.bincount`` over the combined bin
codes gives the size and error sum of *every* conjunction over those columns
at once, so the search costs a pass over the rows per set of columns, not per
slice. Sets of columns are visited level by level; a set is skipped when one
of its subsets has no slice that could still improve the top-k (the SliceLine
upper bound on the score of any refinement, from the slice's size and error,
is not above the k-th best score). The pruning never drops a slice that would
be in the top-k, so the result is the exact top-k of the lattice (ties at the
k-th score included, as in SliceLine).

Score (Sagadeeva & Boehm, SIGMOD 2021), with ``ē`` the mean error of all ``n`` rows::

    score = alpha * ((error_sum / size) / ē - 1) - (1 - alpha) * (n / size - 1)

Examples
--------
>>> import numpy as np
>>> codes = [np.array([0, 0, 1, 1, 1, 0]), np.array([0, 1, 0, 1, 0, 1])]
>>> errors = np.array([1.0, 0, 0, 0, 0, 1])
>>> found = search_slices(codes, [2, 2], errors, alpha=0.9, k=1, max_l=2, min_sup=2)
>>> found.key(found.top[0]), int(found.sizes[found.top[0]]), float(found.error_sums[found.top[0]])
(((0, 0),), 3, 2.0)
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["SearchResult", "search_slices", "sliceline_score"]

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


def search_slices(
    codes: Sequence[np.ndarray],
    n_bins: Sequence[int],
    errors: np.ndarray,
    *,
    alpha: float,
    k: int,
    max_l: int,
    min_sup: int,
    progress: Callable[[int], object] | None = None,
) -> SearchResult:
    """Exact top-k SliceLine search over binned columns.

    Parameters
    ----------
    codes : list of int arrays
        Bin of each row per column (``-1``: in no bin of that column).
    n_bins : list of int
        Number of bins per column.
    errors : float array
        Per-row error (0/1 or any non-negative loss).
    progress : callable, optional
        Called with the number of column sets done after each one.

    A ``KeyboardInterrupt`` ends the search early: the result holds what was
    found so far, with ``complete = False``.
    """
    n_rows = len(errors)
    mean_error = float(errors.mean()) if n_rows else 0.0
    max_error = float(errors.max()) if n_rows else 0.0
    result = SearchResult()
    top = _TopK(k)
    if n_rows == 0 or mean_error <= 0:
        return result
    binary = bool(np.all((errors == 0) | (errors == 1)))
    shapes = [int(b) + 1 for b in n_bins]  # one extra bin for "in no bin"
    filled = [
        np.where(c < 0, shape - 1, c).astype(np.int32)
        for c, shape in zip(codes, shapes, strict=True)
    ]
    error_codes = errors.astype(np.int32) if binary else None
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
            next_alive: dict[tuple[int, ...], np.ndarray] = {}
            for columns in itertools.combinations(range(len(codes)), level):
                if level > 1 and not _subsets_alive(columns, alive):
                    continue
                shape = tuple(shapes[c] for c in columns)
                sizes, error_sums, square_sums, cube_sums, fourth_sums = _cell_sums(
                    [filled[c] for c in columns], shape, errors, error_codes
                )
                cells = _valid_cells(list(shape), sizes, min_sup)
                if level > 1:
                    cells = cells[_parents_alive(cells, columns, list(shape), alive)]
                scores = sliceline_score(
                    sizes[cells],
                    error_sums[cells],
                    n_rows=n_rows,
                    mean_error=mean_error,
                    alpha=alpha,
                )
                result.blocks.append(_Block(columns, shape, cells, offset))
                parts["sizes"].append(sizes[cells])
                parts["errors"].append(error_sums[cells])
                parts["squares"].append(square_sums[cells])
                parts["cubes"].append(cube_sums[cells])
                parts["fourths"].append(fourth_sums[cells])
                parts["scores"].append(scores)
                top.offer(scores, np.arange(offset, offset + len(cells)))
                offset += len(cells)
                if level < max_l:
                    bound = _score_upper_bound(
                        sizes[cells].astype(np.float64),
                        error_sums[cells],
                        max_error=max_error,
                        n_rows=n_rows,
                        mean_error=mean_error,
                        alpha=alpha,
                        min_sup=min_sup,
                    )
                    promising = (error_sums[cells] > 0) & (bound > 0) & (bound >= top.threshold())
                    if promising.any():
                        flags = np.zeros(len(sizes), dtype=bool)
                        flags[cells[promising]] = True
                        next_alive[columns] = flags
                result.combinations_evaluated += 1
                if progress is not None:
                    progress(result.combinations_evaluated)
            alive = next_alive
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
    shape: tuple[int, ...],
    errors: np.ndarray,
    error_codes: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows and sums of the errors' first four powers in every cell of a set of columns."""
    combined, size = _combined_codes(codes, list(shape))
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
