"""Sums about each group's own center from sums of plain powers, when that is exact enough.

``sum over a group of (x - c) ** p * w`` expands into ``sum_k C(p, k) (-c) ** (p - k)
S_k`` with ``S_k = sum of x ** k * w``: sums every group (and every group's rest)
already has, so no second pass over the rows. The expansion cancels where a group's
center is far from 0 against its spread; :func:`expanded_sum_about` therefore also says,
per group, whether the largest of its terms is within :data:`MAX_CANCELLATION` times
the result. Callers make the second pass for the other groups only.

Examples
--------
>>> import numpy as np
>>> x = np.array([1.0, 2.0, 6.0])
>>> raw = lambda term: np.array([np.sum(x ** term.power)]) if term.power else np.array([3.0])
>>> total, exact = expanded_sum_about(RowTerm("target", 2, centered=True), raw, np.array([3.0]))
>>> total.tolist(), exact.tolist()
([14.0], [True])
"""

from __future__ import annotations

from collections.abc import Callable
from math import comb

import numpy as np

from mlprobe.core.counting._row_terms import RowTerm
from mlprobe.core.counting._row_values import NON_NEGATIVE

__all__ = ["MAX_CANCELLATION", "can_expand", "expanded_sum_about"]

#: the largest term of an expansion may be at most this many times its result (a
#: relative error of about this many ulps of the power sums; ~1e-14 in practice)
MAX_CANCELLATION = 64.0


def can_expand(term: RowTerm) -> bool:
    """A centered term of one model's rows whose expansion's size can be bounded: an even
    power, times nothing or a quantity that is never negative."""
    return (
        term.centered
        and term.versus is None
        and term.power >= 2
        and term.power % 2 == 0
        and (term.times is None or term.times in NON_NEGATIVE)
    )


def expanded_sum_about(
    term: RowTerm,
    raw: Callable[[RowTerm], np.ndarray],
    centers: np.ndarray,
    scale: Callable[[RowTerm], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per group, ``term`` about ``centers`` from plain power sums, and whether that is exact.

    Parameters
    ----------
    term : RowTerm
        A term :func:`can_expand` accepts.
    raw : callable
        Per-group sums of a plain term; ``RowTerm(quantity, 0, times=...)`` asks for the
        sum of ``times`` (or the group's size without it).
    centers : ndarray
        Each group's center.
    scale : callable, optional
        The same sums of rows the raw sums' rounding errors scale with, where that is more
        than ``raw``'s (a rest's sums are all rows' minus a group's: all rows' sums).

    Returns
    -------
    total : ndarray
        The expanded sums.
    exact : ndarray of bool
        Where the expansion cancels by at most :data:`MAX_CANCELLATION`.
    """
    power = term.power
    terms = [RowTerm(term.quantity, k, times=term.times) for k in range(power + 1)]
    sums = [raw(t) for t in terms]
    sizes = sums if scale is None else [scale(t) for t in terms]
    total = np.zeros(len(centers))
    size = np.zeros(len(centers))
    with np.errstate(invalid="ignore", over="ignore"):
        for k, s_k in enumerate(sums):
            weight = comb(power, k) * centers ** (power - k)
            sign = -1.0 if (power - k) % 2 else 1.0
            total += sign * weight * s_k
            # sum of |x| ** k * w: S_k for even k, at most sqrt(S_{k-1} S_{k+1}) for odd k
            bound = sizes[k] if k % 2 == 0 else np.sqrt(np.abs(sizes[k - 1] * sizes[k + 1]))
            size += np.abs(weight) * bound
        exact = (total > 0) & (size <= MAX_CANCELLATION * total)
    if term.times is None and scale is None:
        exact |= sums[0] == 0  # no rows: nothing to sum
    return total, exact
