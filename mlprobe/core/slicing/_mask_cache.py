"""Masks of recently used predicates, kept so that asking again costs nothing.

Interactive use asks about the same slices over and over (a new slice joins
ten old ones; another metric is picked). Evaluating a predicate is a pass
over its columns; a cached mask is a dictionary lookup. The cache is bounded
in bytes and drops the least recently used masks first. Cached arrays are
read-only, so that no caller can change what others will read.

Examples
--------
>>> import numpy as np
>>> cache = MaskCache(max_bytes=10)
>>> calls = []
>>> def compute():
...     calls.append(1)
...     return np.array([True, False])
>>> a = cache.get(("x",), compute)
>>> b = cache.get(("x",), compute)
>>> len(calls), a is b, a.flags.writeable
(1, True, False)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np

__all__ = ["MaskCache"]

#: default bound: 64 MB of masks (64 slices of a million rows; none of 100 million)
DEFAULT_MAX_BYTES = 64 * 2**20


class MaskCache:
    """A least-recently-used store of bool masks, bounded by their total bytes."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._masks: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._bytes = 0

    def get(self, key: Hashable, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """The mask stored under ``key``, computing and storing it when absent."""
        mask = self._masks.get(key)
        if mask is not None:
            self._masks.move_to_end(key)
            return mask
        mask = compute()
        mask.flags.writeable = False
        if mask.nbytes <= self.max_bytes:
            self._masks[key] = mask
            self._bytes += mask.nbytes
            while self._bytes > self.max_bytes:
                _, dropped = self._masks.popitem(last=False)
                self._bytes -= dropped.nbytes
        return mask

    @property
    def nbytes(self) -> int:
        """Bytes of the masks held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._masks)
