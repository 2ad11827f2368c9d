"""Accept the tables users bring: pandas, or polars / pyarrow converted to pandas.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"a": [1]})
>>> to_pandas(frame, argument="data") is frame
True
>>> to_pandas([1, 2], argument="data")
Traceback (most recent call last):
...
mlprobe.errors.ValidationError: 'data' must be a pandas DataFrame (polars and pyarrow tables are converted); received list. ...
"""

from __future__ import annotations

import pandas as pd

from mlprobe.errors import ValidationError

__all__ = ["to_pandas"]


def to_pandas(data: object, *, argument: str) -> pd.DataFrame:
    """Return ``data`` as a pandas DataFrame, without copying a pandas one."""
    if isinstance(data, pd.DataFrame):
        return data
    module = type(data).__module__.split(".")[0]
    if module == "polars" and hasattr(data, "to_pandas"):
        return data.to_pandas()
    if module == "pyarrow" and hasattr(data, "to_pandas"):
        return data.to_pandas()
    raise ValidationError(
        f"{argument!r} must be a pandas DataFrame (polars and pyarrow tables are converted); "
        f"received {type(data).__name__}. Build one with pandas.DataFrame(...)."
    )
