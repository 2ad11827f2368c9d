"""Date literals in slices: read once, the same way by every backend.

Examples
--------
>>> read_date("2026-11-28 10:00", where="x >= ...", column="t", zone="Europe/Paris")
Timestamp('2026-11-28 09:00:00')
>>> read_date(2020, where="t >= 2020", column="t", zone=None)
Traceback (most recent call last):
...
mlprobe.errors.ValidationError: in t >= 2020: column 't' holds datetimes; 2020 is not a date. Write it as text, e.g. '2026-11-28'.
"""

from __future__ import annotations

import contextlib

import pandas as pd

from mlprobe.core.slicing.predicates import format_value
from mlprobe.errors import ValidationError

__all__ = ["names_zone", "read_date"]


def read_date(value: object, *, where: object, column: str, zone: str | None) -> pd.Timestamp:
    """A date literal compared with a datetime column, as a time-zone-naive Timestamp.

    Only text is read as a date (``pd.Timestamp(2020)`` would be 2020 ns after 1970).
    For a column with a time zone (``zone``), a literal without one is read in that
    zone; the result is then the instant in UTC, as the column's values are compared.
    A literal with a zone against a column without one is its UTC wall time, as
    numpy compares it.
    """
    stamp = None
    if isinstance(value, str):
        with contextlib.suppress(TypeError, ValueError):
            stamp = pd.Timestamp(value)
    if stamp is None or pd.isna(stamp):
        raise ValidationError(
            f"in {where}: column {column!r} holds datetimes; {format_value(value)} "  # type: ignore[arg-type]
            "is not a date. Write it as text, e.g. '2026-11-28'."
        )
    if zone is not None and stamp.tzinfo is None:
        stamp = stamp.tz_localize(zone)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    return stamp


def names_zone(value: object) -> bool:
    """Whether a date literal names its time zone (``'2024-01-01T00:00Z'``, ``'... +01:00'``).

    >>> names_zone("2024-01-01"), names_zone("2024-01-01 00:00+01:00")
    (False, True)
    """
    if not isinstance(value, str):
        return False
    try:
        return pd.Timestamp(value).tzinfo is not None
    except (TypeError, ValueError):
        return False
