"""Values of confusion-table metrics, vectorized over tables of shape ``(..., K, K)``.

Axis -2 is the true class, axis -1 the predicted class. Undefined values
(no rows, no predictions of a class...) are NaN, never 0.

Examples
--------
>>> import numpy as np
>>> table = np.array([[5, 1], [2, 2]])
>>> round(float(macro_f1(table)), 4), round(float(balanced_accuracy(table)), 4)
(0.6703, 0.6667)
"""

from __future__ import annotations

import numpy as np

__all__ = ["balanced_accuracy", "f1_per_class", "macro_f1"]


def _diagonal(tables: np.ndarray) -> np.ndarray:
    return np.diagonal(tables, axis1=-2, axis2=-1)


def f1_per_class(tables: np.ndarray) -> np.ndarray:
    """F1 of each class, ``2TP / (2TP + FP + FN)``; NaN for a class absent from truth and predictions."""
    tp = _diagonal(tables).astype(np.float64)
    actual = tables.sum(axis=-1)
    predicted = tables.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 2 * tp / (actual + predicted)


def macro_f1(tables: np.ndarray) -> np.ndarray:
    """Mean F1 over the classes present in the truth or the predictions (as scikit-learn)."""
    per_class = f1_per_class(tables)
    present = np.isfinite(per_class)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present, per_class, 0.0).sum(axis=-1) / present.sum(axis=-1)


def balanced_accuracy(tables: np.ndarray) -> np.ndarray:
    """Mean recall over the classes present in the truth (as scikit-learn)."""
    actual = tables.sum(axis=-1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = _diagonal(tables) / actual
        present = actual > 0
        return np.where(present, recall, 0.0).sum(axis=-1) / present.sum(axis=-1)
