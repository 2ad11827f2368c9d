"""One model's encoded outputs, and the per-row arrays metrics are summed from.

Everything here is computed at most once per model and kept; metrics then
only count and sum per group.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from mlprobe.core.intake.labels import Task
from mlprobe.core.slicing._bitplanes import key_planes
from mlprobe.core.slicing._encoding import smallest_int_dtype
from mlprobe.core.statistics._sorted_scores import SortedScores

__all__ = ["ModelArrays"]


@dataclass(eq=False)
class ModelArrays:
    """Target and one model's predictions (and scores) as arrays ready to count.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
    classes : list
        Class labels; codes index into it. Empty for regression.
    y_true, y_pred : ndarray
        Codes (classification) or float values (regression).
    scores : ndarray of shape (n, K), optional
        Class probabilities, columns in ``classes`` order.
    """

    name: str
    task: Task
    classes: list[Any]
    y_true: np.ndarray
    y_pred: np.ndarray
    scores: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.y_true)

    @property
    def n_classes(self) -> int:
        """K."""
        return len(self.classes)

    def nbytes(self) -> int:
        """Bytes of the arrays this object holds, but the shared ``y_true``."""
        sorts = self.__dict__.get("_sorted_scores", {})
        return sum(
            value.nbytes
            for key, value in vars(self).items()
            if isinstance(value, np.ndarray) and key != "y_true"
        ) + sum(s.nbytes() for s in sorts.values())

    @cached_property
    def cells(self) -> np.ndarray:
        """``y_true * K + y_pred``: the confusion cell of each row."""
        k = self.n_classes
        dtype = smallest_int_dtype(k * k)
        return self.y_true.astype(dtype) * k + self.y_pred.astype(dtype)

    @cached_property
    def cell_planes(self) -> np.ndarray | None:
        """Rows of each confusion cell as packed bits (None for large K x n, see bitplanes)."""
        return key_planes(self.cells, self.n_classes * self.n_classes)

    @cached_property
    def correct(self) -> np.ndarray:
        """Bool per row: the prediction equals the target."""
        return self.y_true == self.y_pred

    # --- scores ---------------------------------------------------------------

    def _need_scores(self) -> np.ndarray:
        if self.scores is None:  # callers check first; this guards misuse
            raise RuntimeError("this model has no scores")
        return self.scores

    @cached_property
    def log_loss_rows(self) -> np.ndarray:
        """``-log p(true class)`` per row, probabilities clipped at machine epsilon."""
        scores = self._need_scores()
        eps = np.finfo(np.float64).eps
        p_true = scores[np.arange(self.n_rows), self.y_true.astype(np.intp)]
        return -np.log(np.clip(p_true, eps, 1 - eps))

    @cached_property
    def brier_rows(self) -> np.ndarray:
        """Squared error of the probabilities per row.

        Binary: ``(p(positive) - [y is positive])**2`` (as scikit-learn);
        multiclass: the sum of that over all classes.
        """
        scores = self._need_scores()
        if self.task == "binary":
            positive = self.n_classes - 1
            return (scores[:, positive] - (self.y_true == positive)) ** 2
        onehot = np.zeros_like(scores)
        onehot[np.arange(self.n_rows), self.y_true.astype(np.intp)] = 1.0
        return ((scores - onehot) ** 2).sum(axis=1)

    def sorted_scores(self, class_index: int) -> SortedScores:
        """The rows sorted once by the score of one class (stable), with their positive
        flags (``y_true == class_index``) and ties; cached per class."""
        cache: dict[int, SortedScores] = self.__dict__.setdefault("_sorted_scores", {})
        if class_index not in cache:
            scores = self._need_scores()[:, class_index]
            cache[class_index] = SortedScores.of(scores, self.y_true == class_index)
        return cache[class_index]

    def score_order(self, class_index: int) -> np.ndarray:
        """Rows sorted by the score of one class (stable), cached per class."""
        return self.sorted_scores(class_index).order

    # --- regression -----------------------------------------------------------

    @cached_property
    def error(self) -> np.ndarray:
        """``prediction - target`` per row (positive: over-prediction)."""
        return self.y_pred - self.y_true

    @cached_property
    def centered_target(self) -> np.ndarray:
        """The target minus its overall mean (keeps moment sums well conditioned)."""
        return self.y_true - self.y_true.mean() if self.n_rows else self.y_true
