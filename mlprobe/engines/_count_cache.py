"""Count tables of slices an engine already counted, kept so that asking again scans nothing.

The explorer asks about the same slices over and over: a new slice joins eleven old
ones, another metric is picked (classification metrics all come from the same counts),
a slice is selected (its confusion matrix, its metric in the save form). An engine
answers each by scanning the table -- about 0.3 s for one slice of 5e7 rows of Parquet,
2 s for twelve -- so :class:`~mlprobe.engines.sql_backend.SqlBackend` keeps each slice's
counts and asks the engine only for the slices it has not counted yet. This assumes the
table does not change while the probe lives, as the probe's row count and classes already
do.

The cache is bounded in bytes and drops the least recently used tables first; its arrays
are read-only, so no caller can change what others will read.

Examples
--------
>>> import numpy as np
>>> cache = CountCache(max_bytes=1_000)
>>> cache.put("a", np.arange(4))
>>> cache.get("a").tolist(), cache.get("b")
([0, 1, 2, 3], None)
>>> cache.get("a").flags.writeable
False
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

import numpy as np

__all__ = ["CountCache"]

#: default bound: 16 MB of count tables (a K x K table of 10 classes is 800 bytes)
DEFAULT_MAX_BYTES = 16 * 2**20


class CountCache:
    """A least-recently-used store of count arrays, bounded by their total bytes."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._tables: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._bytes = 0

    def get(self, key: Hashable) -> np.ndarray | None:
        """The (read-only) array stored under ``key``, or None."""
        table = self._tables.get(key)
        if table is not None:
            self._tables.move_to_end(key)
        return table

    def put(self, key: Hashable, table: np.ndarray) -> None:
        """Store a read-only copy of ``table`` under ``key`` (not at all when it alone is
        larger than the bound)."""
        stored = np.array(table, copy=True)
        stored.flags.writeable = False
        if stored.nbytes > self.max_bytes:
            return
        previous = self._tables.pop(key, None)
        if previous is not None:
            self._bytes -= previous.nbytes
        self._tables[key] = stored
        self._bytes += stored.nbytes
        while self._bytes > self.max_bytes:
            _, dropped = self._tables.popitem(last=False)
            self._bytes -= dropped.nbytes

    @property
    def nbytes(self) -> int:
        """Bytes of the tables held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._tables)
