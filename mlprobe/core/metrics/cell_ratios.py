"""Metrics declared as a ratio of confusion cells: error types and rates of one class.

A metric ``sum(numerator cells) / sum(denominator cells)`` of the K x K confusion
table (true classes on axis 0, predicted on axis 1), whose numerator cells are
among its denominator cells, is a share of rows: it gets a Wilson interval and the
slice-vs-rest test of two proportions (Fisher's exact test on small counts), like
recall. The error-type metrics are declared this way, and so can a user's
(:func:`mlprobe.core.metrics.registry.register_metric` with ``numerator=`` and
``denominator=``).

For a class ``c``:

====================  ===================================  ====================
name                  share of ...                          better
====================  ===================================  ====================
``tpr[c]``            rows of ``c`` predicted ``c``         higher
``fnr[c]``            rows of ``c`` predicted otherwise     lower
``fpr[c]``            rows not ``c`` predicted ``c``        lower
``tnr[c]``            rows not ``c`` predicted otherwise    higher
``npv[c]``            rows predicted otherwise, not ``c``   higher
``selection_rate[c]`` all rows, predicted ``c``             neither
``prevalence[c]``     all rows, truly ``c``                 neither
====================  ===================================  ====================

Selection rate and prevalence have no better direction (``higher_is_better`` is None):
they are read as disparities between groups (:mod:`mlprobe.core.analyses.disparity`)
and against explicit bounds (``at_least`` / ``at_most``), not as failures. A comparison
of two models says "higher" or "lower" where it would say "improved" or "regressed";
``priorities`` and a test's ``max_drop_from_baseline`` or ``max_gap_to_overall`` (which
need a worse side) refuse them with the reason.

Examples
--------
>>> import numpy as np
>>> table = np.array([[50, 10], [5, 35]])  # true 0: 50 right, 10 predicted 1; true 1: ...
>>> fpr = error_type("fpr", ">50K", 1, 2)
>>> fpr.name, fpr.higher_is_better
('fpr[>50K]', False)
>>> successes, trials = fpr.parts(table)
>>> int(successes), int(trials)
(10, 60)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlprobe.core.metrics._base import ProportionMetric
from mlprobe.errors import ValidationError

__all__ = ["ERROR_TYPES", "CellRatio", "error_type"]


class CellRatio(ProportionMetric):
    """``sum(tables[numerator]) / sum(tables[denominator])``: a share of the denominator's rows.

    ``numerator`` and ``denominator`` are boolean K x K masks over (true, predicted)
    cells; every numerator cell must be a denominator cell. A table whose denominator
    cells hold no row (an FPR where every row is positive) has an undefined value (NaN).
    """

    def __init__(
        self,
        name: str,
        numerator: np.ndarray,
        denominator: np.ndarray,
        *,
        higher_is_better: bool | None = True,
    ) -> None:
        numerator = np.asarray(numerator, dtype=bool)
        denominator = np.asarray(denominator, dtype=bool)
        if numerator.shape != denominator.shape or numerator.ndim != 2:
            raise ValidationError(
                f"metric {name!r}: numerator and denominator must mark cells of the same "
                f"K x K table; received shapes {numerator.shape} and {denominator.shape}."
            )
        if (numerator & ~denominator).any():
            outside = [
                tuple(int(i) for i in cell) for cell in np.argwhere(numerator & ~denominator)
            ]
            raise ValidationError(
                f"metric {name!r}: numerator cells {outside} (true, predicted) are not in the "
                "denominator, so the value is not a share of rows. Add them to the "
                "denominator, or register a counts function (input='counts') for other ratios."
            )
        self.name = name
        self.numerator = numerator
        self.denominator = denominator
        self.higher_is_better = higher_is_better

    def parts(self, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return tables[..., self.numerator].sum(axis=-1), tables[..., self.denominator].sum(axis=-1)


def _cells(k: int, rule: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    true, predicted = np.indices((k, k))
    return rule(true, predicted)


#: family -> (numerator, denominator) as rules of (true, predicted, c), and whether higher is better
ERROR_TYPES: dict[
    str,
    tuple[
        Callable[[np.ndarray, np.ndarray, int], np.ndarray],
        Callable[[np.ndarray, np.ndarray, int], np.ndarray],
        bool | None,
    ],
] = {
    "tpr": (lambda t, p, c: (t == c) & (p == c), lambda t, p, c: t == c, True),
    "fnr": (lambda t, p, c: (t == c) & (p != c), lambda t, p, c: t == c, False),
    "fpr": (lambda t, p, c: (t != c) & (p == c), lambda t, p, c: t != c, False),
    "tnr": (lambda t, p, c: (t != c) & (p != c), lambda t, p, c: t != c, True),
    "npv": (lambda t, p, c: (t != c) & (p != c), lambda t, p, c: p != c, True),
    "selection_rate": (lambda t, p, c: p == c, lambda t, p, c: np.ones_like(t, bool), None),
    "prevalence": (lambda t, p, c: t == c, lambda t, p, c: np.ones_like(t, bool), None),
}


def error_type(family: str, label: object, index: int, n_classes: int) -> CellRatio:
    """The metric ``family[label]`` (one of :data:`ERROR_TYPES`) of class ``index`` of K."""
    numerator, denominator, higher = ERROR_TYPES[family]
    return CellRatio(
        f"{family}[{label}]",
        _cells(n_classes, lambda t, p: numerator(t, p, index)),
        _cells(n_classes, lambda t, p: denominator(t, p, index)),
        higher_is_better=higher,
    )
