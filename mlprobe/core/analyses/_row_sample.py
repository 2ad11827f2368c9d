"""A few rows of a slice to look at, the model's errors first.

Examples
--------
>>> import numpy as np
>>> in_slice = np.array([True, True, True, False, True])
>>> wrong = np.array([False, True, False, True, True])
>>> confidence = np.array([0.9, 0.6, 0.8, 0.99, 0.95])
>>> sample_rows(in_slice, wrong, n=3, rank=confidence).tolist()  # confident errors first
[4, 1, 0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["sample_rows"]


def sample_rows(
    in_slice: np.ndarray,
    wrong: np.ndarray,
    *,
    n: int,
    rank: np.ndarray | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Positions of up to ``n`` rows of the slice: wrong ones first, then right ones.

    Parameters
    ----------
    in_slice, wrong : bool ndarray
        Rows of the slice; rows the model got wrong.
    n : int
        How many rows at most.
    rank : ndarray, optional
        Within each group, rows with the highest ``rank`` come first (e.g. the
        model's confidence, so confident mistakes lead; or the absolute error).
        Without it, a seeded random sample in row order.
    seed : int
        Seed of the random sample: the same call gives the same rows.
    """
    rng = np.random.default_rng(seed)
    errors = np.flatnonzero(in_slice & wrong)
    chosen = _take(errors, n, rank, rng)
    if len(chosen) < n:
        rest = np.flatnonzero(in_slice & ~wrong)
        chosen = np.concatenate([chosen, _take(rest, n - len(chosen), rank, rng)])
    return chosen


def _take(
    positions: np.ndarray, k: int, rank: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray:
    if k <= 0 or len(positions) == 0:
        return positions[:0]
    if rank is None:
        if len(positions) <= k:
            return positions
        return np.sort(rng.choice(positions, size=k, replace=False))
    keys = rank[positions]
    if len(positions) > k:
        top = np.argpartition(-keys, k - 1)[:k]
        positions, keys = positions[top], keys[top]
    return positions[np.lexsort((positions, -keys))]
