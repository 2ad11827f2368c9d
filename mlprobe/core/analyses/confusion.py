"""A K x K confusion count table as the labelled DataFrame users see, counts or shares.

Examples
--------
>>> import numpy as np
>>> confusion_frame(np.array([[3, 1], [0, 4]]), ["a", "b"], normalize="true")
predicted     a     b
true
a          0.75  0.25
b          0.00  1.00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlprobe.errors import ValidationError

__all__ = ["NORMALIZE", "check_normalize", "confusion_frame"]

NORMALIZE = (None, "true", "pred", "all")


def check_normalize(normalize: object) -> None:
    """Refuse anything but None, "true", "pred" or "all", naming the argument."""
    if normalize not in NORMALIZE:
        raise ValidationError(
            f"normalize must be None, 'true', 'pred' or 'all'; received {normalize!r}."
        )


def confusion_frame(
    table: np.ndarray, classes: Sequence[Any], *, normalize: str | None = None
) -> pd.DataFrame:
    """Counts (or shares of each true class, predicted class, or all rows) with class labels."""
    check_normalize(normalize)
    values: np.ndarray = table
    with np.errstate(invalid="ignore", divide="ignore"):
        if normalize == "true":
            values = table / table.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            values = table / table.sum(axis=0, keepdims=True)
        elif normalize == "all":
            values = table / table.sum()
    labels = pd.Index(list(classes), dtype=object)
    return pd.DataFrame(values, index=labels.rename("true"), columns=labels.rename("predicted"))
