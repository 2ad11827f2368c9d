"""Rows as packed bits: count the rows of a slice in each confusion cell with popcounts.

A slice's confusion counts are ``|slice ∩ cell c|`` for every cell c. With the
slice and each cell packed 64 rows to a word, that is an AND and a popcount
per word: 1/64 of the memory traffic of a pass over one byte per row.

Examples
--------
>>> import numpy as np
>>> keys = np.array([0, 1, 1, 2, 0, 1], dtype=np.uint8)
>>> planes = key_planes(keys, 3)
>>> counts_in_planes(pack_rows(np.array([True, True, False, True, False, True])), planes).tolist()
[1, 2, 1]
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_PLANE_BYTES", "counts_in_planes", "key_planes", "pack_rows"]

#: bit planes are used only while they take at most this much memory
MAX_PLANE_BYTES = 64 * 2**20


def pack_rows(mask: np.ndarray) -> np.ndarray:
    """A bool row mask packed into uint64 words (zero-padded at the end)."""
    packed = np.packbits(mask)
    padding = (-len(packed)) % 8
    if padding:
        packed = np.concatenate([packed, np.zeros(padding, dtype=np.uint8)])
    return packed.view(np.uint64)


def key_planes(keys: np.ndarray, width: int) -> np.ndarray | None:
    """``planes[k]`` = packed rows where ``keys == k``; None when they would take too much memory."""
    words = (len(keys) + 63) // 64
    if width * words * 8 > MAX_PLANE_BYTES:
        return None
    planes = np.empty((width, words), dtype=np.uint64)
    for k in range(width):
        planes[k] = pack_rows(keys == k)
    return planes


def counts_in_planes(packed_mask: np.ndarray, planes: np.ndarray) -> np.ndarray:
    """Rows of the packed mask in each plane (int64, one count per plane)."""
    return np.bitwise_count(planes & packed_mask).sum(axis=1, dtype=np.int64)
