"""The per-row values of a plain :class:`RowTerm` (no ``versus``, not centered), in memory.

Powers are taken by repeated multiplication, a few times faster than ``x ** 4``
(which calls ``pow`` per row); the results agree to rounding.

Examples
--------
>>> import numpy as np
>>> from mlprobe.core.intake.model_arrays import ModelArrays
>>> arrays = ModelArrays("m", "regression", [], np.array([1.0, 3.0]), np.array([2.0, 1.0]))
>>> row_values(arrays, RowTerm("error", 3)).tolist()
[1.0, -8.0]
>>> row_values(arrays, RowTerm("target", 2, times="abs_error")).tolist()
[1.0, 2.0]
"""

from __future__ import annotations

import numpy as np

from mlprobe.core.counting._row_terms import RowTerm
from mlprobe.core.intake.model_arrays import ModelArrays

__all__ = ["NON_NEGATIVE", "is_plain", "row_values"]

#: quantities that are never negative
NON_NEGATIVE = frozenset({"abs_error", "squared_error", "log_loss", "brier"})


def is_plain(term: RowTerm) -> bool:
    """A term of one model's own rows: no other model, no per-group center."""
    return term.versus is None and not term.centered and term.power >= 0


def _quantity(arrays: ModelArrays, name: str) -> np.ndarray:
    if name == "error":
        return arrays.error
    if name == "abs_error":
        return np.abs(arrays.error)
    if name == "squared_error":
        return arrays.error * arrays.error
    if name == "target":
        return arrays.centered_target
    if name == "log_loss":
        return arrays.log_loss_rows
    return arrays.brier_rows  # "brier"


def _power(values: np.ndarray, power: int) -> np.ndarray:
    if power == 0:
        return np.ones_like(values)
    result = values
    square = values
    power_left = power
    result_set = False
    while power_left:
        if power_left & 1:
            result = result * square if result_set else square
            result_set = True
        power_left >>= 1
        if power_left:
            square = square * square
    return result


def row_values(arrays: ModelArrays, term: RowTerm) -> np.ndarray:
    """``quantity ** power * times`` per row, for a plain term (:func:`is_plain`)."""
    values = _power(_quantity(arrays, term.quantity), term.power)
    if term.times is not None:
        values = values * _quantity(arrays, term.times)
    return values
