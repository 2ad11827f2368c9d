"""Values from an engine as the in-memory probe gives them (Python scalars, pandas Timestamps)."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plain_value", "profile_timestamp"]


def plain_value(value: Any, *, integral: bool) -> Any:
    """An engine's value as memory gives it: Python scalars; whole floats of an integer
    column (or a label) as ints; decimals as floats."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if integral and isinstance(value, float) and value.is_integer():
        return int(value)
    if not integral and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def profile_timestamp(value: Any, zone: str | None) -> pd.Timestamp | None:
    """A datetime (or date, or DuckDB's text of one) from the engine as memory's profile
    gives it: naive stays naive, an instant in the column's zone (UTC when unknown)."""
    if value is None:
        return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time())
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(zone or "UTC")
    return stamp
