"""What a column holds, for choosing how to slice it: its levels with counts, or its range.

A profile is read off the encoded column with one ``np.bincount`` (levels) or
one ``nanmin``/``nanmax`` (numbers); it never scans the user's frame again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlprobe.core.slicing._encoding import CategoricalColumn, EncodedColumn

__all__ = ["ColumnProfile", "profile_column"]

ProfileKind = Literal["categorical", "numeric", "datetime"]


@dataclass(frozen=True)
class ColumnProfile:
    """A summary of one column.

    Attributes
    ----------
    name : str
    kind : {"categorical", "numeric", "datetime"}
    n_rows, n_missing : int
    levels : list of (value, count)
        Categorical columns: every value with its number of rows, most
        frequent first (ties in the column's order). Empty for numbers.
    minimum, maximum : float, datetime or None
        Numeric and datetime columns: the range of the present values
        (None when every value is missing).
    ordered : bool
        Whether ``<`` and ``>`` mean something for this column.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlprobe.core.slicing._encoding import encode_column
    >>> profile = profile_column(encode_column(pd.Series(["b", "a", "b", None]), name="g"))
    >>> profile.kind, profile.levels, profile.n_missing
    ('categorical', [('b', 2), ('a', 1)], 1)
    >>> profile_column(encode_column(pd.Series([3.5, 1.0]), name="x")).maximum
    3.5
    """

    name: str
    kind: ProfileKind
    n_rows: int
    n_missing: int
    levels: list[tuple[Any, int]]
    minimum: Any = None
    maximum: Any = None
    ordered: bool = True

    @property
    def n_levels(self) -> int:
        """Number of distinct present values (categorical columns)."""
        return len(self.levels)


def profile_column(column: EncodedColumn) -> ColumnProfile:
    """Summarise an encoded column (see :class:`ColumnProfile`)."""
    if isinstance(column, CategoricalColumn):
        codes = column.codes
        present = codes[codes >= 0]
        counts = np.bincount(present, minlength=len(column.categories))
        order = np.argsort(-counts, kind="stable")
        levels = [(_plain(column.categories[i]), int(counts[i])) for i in order if counts[i] > 0]
        return ColumnProfile(
            column.name,
            "categorical",
            len(codes),
            len(codes) - len(present),
            levels,
            ordered=column.order != "none",
        )
    null = column.null
    values = column.values[~null] if column.has_nulls else column.values
    kind: ProfileKind = "datetime" if column.is_datetime else "numeric"
    low = high = None
    if len(values):
        low, high = values.min(), values.max()
        if kind == "datetime":
            low, high = _timestamp(low, column.tz), _timestamp(high, column.tz)
        else:
            low, high = _plain(low), _plain(high)
    return ColumnProfile(
        column.name, kind, len(column.values), int(null.sum()), [], minimum=low, maximum=high
    )


def _timestamp(value: np.datetime64, tz: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp if tz is None else stamp.tz_localize("UTC").tz_convert(tz)


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones (for widgets and JSON)."""
    return value.item() if isinstance(value, np.generic) else value
