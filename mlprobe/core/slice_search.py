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
>>> found.keys[0], found.sizes[0], found.error_sums[0]
(((0, 0),), 3, 2.0)
"""

from __future__ import annotations

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


@dataclass
class SearchResult:
    """Every slice the search evaluated with at least ``min_sup`` rows, and the top-k.

    ``keys``, ``sizes``, ``error_sums``, ``square_sums`` and ``scores`` are
    parallel; ``top`` indexes the top-k (best first, ties broken by level,
    then column and bin order). ``complete`` is False when the search was
    interrupted.
    """

    keys: list[SliceKey] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    error_sums: list[float] = field(default_factory=list)
    square_sums: list[float] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    top: list[int] = field(default_factory=list)
    complete: bool = True
    combinations_evaluated: int = 0

    def index(self) -> dict[SliceKey, int]:
        """Position of each evaluated slice by its key."""
        return {key: i for i, key in enumerate(self.keys)}


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
    squares = errors * errors
    # per level: column set -> bool array over its cells, True where refinements may still win
    alive: dict[tuple[int, ...], np.ndarray] = {}
    shapes = [int(b) + 1 for b in n_bins]  # one extra bin for "in no bin"
    done = 0
    try:
        for level in range(1, max_l + 1):
            next_alive: dict[tuple[int, ...], np.ndarray] = {}
            for columns in itertools.combinations(range(len(codes)), level):
                if level > 1 and not _subsets_alive(columns, alive):
                    continue
                cell_codes, size = _combined_codes(
                    [codes[c] for c in columns], [shapes[c] for c in columns]
                )
                sizes = np.bincount(cell_codes, minlength=size)
                error_sums = np.bincount(cell_codes, weights=errors, minlength=size)
                square_sums = np.bincount(cell_codes, weights=squares, minlength=size)
                cells = _valid_cells([shapes[c] for c in columns], sizes, min_sup)
                if level > 1:
                    cells = cells[
                        _parents_alive(cells, columns, [shapes[c] for c in columns], alive)
                    ]
                scores = sliceline_score(
                    sizes[cells],
                    error_sums[cells],
                    n_rows=n_rows,
                    mean_error=mean_error,
                    alpha=alpha,
                )
                start = len(result.keys)
                bins = np.array(np.unravel_index(cells, [shapes[c] for c in columns])).T
                result.keys += [tuple(zip(columns, map(int, b), strict=True)) for b in bins]
                result.sizes += sizes[cells].tolist()
                result.error_sums += error_sums[cells].tolist()
                result.square_sums += square_sums[cells].tolist()
                result.scores += scores.tolist()
                top.offer(scores, np.arange(start, start + len(cells)))
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
                        flags = np.zeros(size, dtype=bool)
                        flags[cells[promising]] = True
                        next_alive[columns] = flags
                result.combinations_evaluated += 1
                done += 1
                if progress is not None:
                    progress(done)
            alive = next_alive
            if not alive:
                break
    except KeyboardInterrupt:
        result.complete = False
    result.top = [position for _, position in top.entries]
    return result


def _combined_codes(codes: list[np.ndarray], shapes: list[int]) -> tuple[np.ndarray, int]:
    """One code per row for the cell of a set of columns (the last bin: in no bin)."""
    size = int(np.prod(shapes))
    dtype = np.dtype(np.int32 if size < 2**31 else np.int64)
    combined: np.ndarray = np.zeros(len(codes[0]), dtype=dtype)
    for column_codes, shape in zip(codes, shapes, strict=True):
        combined *= shape
        combined += np.where(column_codes < 0, shape - 1, column_codes).astype(dtype, copy=False)
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
