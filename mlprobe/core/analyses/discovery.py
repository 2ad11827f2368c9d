"""Find the slices where a model fails: SliceLine's search, then honest statistics and pruning.

The search (:mod:`mlprobe.core.analyses.slice_search`) ranks conjunctions of binned
columns by SliceLine's score. This module turns the best of them into a
table a person can act on: each slice with its error, interval, gap to the
rest, p-value and Benjamini–Hochberg q-value over every slice the search
evaluated (the family the shown slices were selected from: a slice's raw
``p_value`` is post-selection and means little alone; its ``q_value``
accounts for the search), and — unless asked not to — without redundant refinements: a
slice whose last condition does not make it significantly worse than its
parent is replaced by the parent, and of slices holding exactly the same rows
(two codings of one attribute) only the best-ranked is kept.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlprobe.core.analyses.slice_search import SearchResult, SliceKey, search_slices
from mlprobe.core.arguments import CONFIDENCE
from mlprobe.core.intake.model_arrays import ModelArrays
from mlprobe.core.slicing.discretize import BinnedColumn
from mlprobe.core.slicing.predicates import Predicate
from mlprobe.core.slicing.slices import Slice
from mlprobe.core.statistics.intervals import mean_interval, wilson_interval
from mlprobe.core.statistics.moments import PowerSums
from mlprobe.core.statistics.significance import (
    benjamini_hochberg,
    pooled_mean_p_value,
    two_proportion_p_value,
)
from mlprobe.errors import ValidationError, did_you_mean

__all__ = ["DISCOVERY_COLUMNS", "LOSSES", "DiscoveryRequest", "discover_slices", "per_row_losses"]

DISCOVERY_COLUMNS = [
    "slice",
    "n",
    "metric",
    "value",
    "overall",
    "gap",
    "ci_low",
    "ci_high",
    "p_value",
    "q_value",
    "score",
]
#: a refinement must be worse than its parent at this level to be kept
REDUNDANCY_LEVEL = 0.05
#: the search keeps this many times top_k candidates, so that pruning still leaves top_k
POOL_FACTOR = 4


@dataclass(frozen=True)
class DiscoveryRequest:
    """What to search: binned columns, per-row losses and the search settings."""

    columns: Sequence[BinnedColumn]
    losses: np.ndarray
    metric: str
    is_proportion: bool  # losses are 0/1 (error rate): Wilson intervals, proportion tests
    max_conditions: int
    min_support: int
    top_k: int
    alpha: float
    confidence: float = CONFIDENCE
    prune: bool = True


def discover_slices(
    request: DiscoveryRequest, progress: Callable[[int], object] | None = None
) -> tuple[pd.DataFrame, SearchResult]:
    """The ranked failing slices (best first) and the raw search result."""
    pool = request.top_k * POOL_FACTOR if request.prune else request.top_k
    found = search_slices(
        [c.codes for c in request.columns],
        [c.n_bins for c in request.columns],
        request.losses,
        alpha=request.alpha,
        k=pool,
        max_l=request.max_conditions,
        min_sup=request.min_support,
        progress=progress,
    )
    stats = _Stats(found, request)
    chosen = list(found.top)
    if request.prune:
        chosen = _prune_redundant(chosen, found, stats)
    chosen = sorted(chosen, key=lambda i: (-found.scores[i], len(found.key(i)), found.key(i)))
    if request.prune:
        chosen = _distinct_rows(chosen, found, request.columns)
        chosen = _first_k_with_ties(chosen, found, request.top_k)
    return _table(chosen, found, stats, request), found


class _Stats:
    """Per evaluated slice: mean loss, interval, gap and p-value against the rest; q-values."""

    def __init__(self, found: SearchResult, request: DiscoveryRequest) -> None:
        self.found = found
        losses = request.losses
        self.n_rows = len(losses)
        self.total = float(losses.sum())
        self.overall = self.total / self.n_rows if self.n_rows else math.nan
        n = np.asarray(found.sizes, dtype=np.float64)
        sums = np.asarray(found.error_sums, dtype=np.float64)
        rest_n = self.n_rows - n
        rest_sums = self.total - sums
        with np.errstate(invalid="ignore", divide="ignore"):
            self.value = sums / n
            rest_value = rest_sums / rest_n
            self.gap = self.value - rest_value
            if request.is_proportion:
                self.p_value = two_proportion_p_value(sums, n, rest_sums, rest_n)
                self.low, self.high = wilson_interval(sums, n, request.confidence)
            else:
                inside = self.power_sums(np.arange(len(n)))
                everything = PowerSums.of(losses)
                self.p_value = pooled_mean_p_value(inside, everything.minus(inside))
                _, self.low, self.high, _ = mean_interval(inside, request.confidence)
        self.q_value = benjamini_hochberg(self.p_value)
        self.is_proportion = request.is_proportion
        self.sums, self.n = sums, n

    def power_sums(self, positions: np.ndarray) -> PowerSums:
        """The losses' power sums of the evaluated slices at ``positions``."""
        found = self.found
        return PowerSums(
            np.asarray(found.sizes, dtype=np.float64)[positions],
            *(
                np.asarray(values, dtype=np.float64)[positions]
                for values in (
                    found.error_sums,
                    found.square_sums,
                    found.cube_sums,
                    found.fourth_sums,
                )
            ),
        )


def _prune_redundant(chosen: list[int], found: SearchResult, stats: _Stats) -> list[int]:
    """Replace each refinement that is not significantly worse than a parent by that parent."""
    kept: set[int] = set(chosen)
    # deepest first, so a parent brought in can itself give way to its own parent
    for position in sorted(chosen, key=lambda i: -len(found.key(i))):
        pending = [position]
        while pending:
            current = pending.pop()
            if current not in kept or len(found.key(current)) < 2:
                continue
            parent = _weakest_parent(current, found.key(current), found, stats)
            if parent is not None:
                kept.discard(current)
                if found.scores[parent] > 0 and parent not in kept:
                    kept.add(parent)
                    pending.append(parent)
    return list(kept)


def _weakest_parent(position: int, key: SliceKey, found: SearchResult, stats: _Stats) -> int | None:
    """A parent the slice is not significantly worse than (the best-scoring one), else None."""
    candidates = []
    for dropped in range(len(key)):
        parent = found.position(key[:dropped] + key[dropped + 1 :])
        if (
            parent is not None
            and not _worse_than_siblings(stats, position, parent) < REDUNDANCY_LEVEL
        ):
            candidates.append(parent)
    if not candidates:
        return None
    return max(candidates, key=lambda i: stats.value[i])


def _worse_than_siblings(stats: _Stats, position: int, parent: int) -> float:
    """One-sided p-value that the slice's loss is above that of the parent's other rows."""
    n, total = stats.n[position], stats.sums[position]
    other_n = stats.n[parent] - n
    other_sum = stats.sums[parent] - total
    if other_n <= 0:
        return 1.0  # the condition removes no row of the parent: it adds nothing
    if stats.is_proportion:
        two_sided = float(
            two_proportion_p_value(
                np.array([total]), np.array([n]), np.array([other_sum]), np.array([other_n])
            )[0]
        )
    else:  # mean losses: the pooled t-test
        inside = stats.power_sums(np.array([position]))
        others = stats.power_sums(np.array([parent])).minus(inside)
        two_sided = float(pooled_mean_p_value(inside, others)[0])
    if math.isnan(two_sided):
        return 1.0
    worse = total / n > other_sum / other_n
    return two_sided / 2 if worse else 1 - two_sided / 2


def _distinct_rows(
    chosen: list[int], found: SearchResult, columns: Sequence[BinnedColumn]
) -> list[int]:
    """Drop a slice that holds exactly the rows of a better-ranked one (e.g. two codings of a column)."""
    seen: set[tuple[int, bytes]] = set()
    kept = []
    for position in chosen:
        mask = np.ones(len(columns[0].codes), dtype=bool)
        for column, bin_ in found.key(position):
            mask &= columns[column].codes == bin_
        rows = (int(found.sizes[position]), hashlib.blake2b(np.packbits(mask).tobytes()).digest())
        if rows not in seen:
            seen.add(rows)
            kept.append(position)
    return kept


def _first_k_with_ties(chosen: list[int], found: SearchResult, k: int) -> list[int]:
    if len(chosen) <= k:
        return chosen
    kth = found.scores[chosen[k - 1]]
    return [i for i in chosen if found.scores[i] >= kth]


def _slice_of(key: SliceKey, columns: Sequence[BinnedColumn]) -> Slice:
    conditions: list[Predicate] = [columns[c].conditions[b] for c, b in key]
    predicate = conditions[0]
    for condition in conditions[1:]:
        predicate = predicate & condition  # '&' flattens nested conjunctions
    return Slice(None, predicate)


def _table(
    chosen: list[int], found: SearchResult, stats: _Stats, request: DiscoveryRequest
) -> pd.DataFrame:
    rows = {
        "slice": [_slice_of(found.key(i), request.columns) for i in chosen],
        "n": [int(found.sizes[i]) for i in chosen],
        "metric": request.metric,
        "value": [float(stats.value[i]) for i in chosen],
        "overall": stats.overall,
        "gap": [float(stats.gap[i]) for i in chosen],
        "ci_low": [float(stats.low[i]) for i in chosen],
        "ci_high": [float(stats.high[i]) for i in chosen],
        "p_value": [float(stats.p_value[i]) for i in chosen],
        "q_value": [float(stats.q_value[i]) for i in chosen],
        "score": [float(found.scores[i]) for i in chosen],
    }
    frame = pd.DataFrame(rows, columns=DISCOVERY_COLUMNS)
    frame.attrs["metric"] = request.metric
    frame.attrs["evaluated"] = len(found)
    frame.attrs["complete"] = found.complete
    return frame


#: per-row losses by task: name -> (needs scores, is a 0/1 proportion)
LOSSES = {
    "binary": {"error_rate": (False, True), "log_loss": (True, False), "brier": (True, False)},
    "multiclass": {"error_rate": (False, True), "log_loss": (True, False), "brier": (True, False)},
    "regression": {"absolute_error": (False, False), "squared_error": (False, False)},
}


def per_row_losses(arrays: ModelArrays, metric: str | None) -> tuple[str, np.ndarray, bool]:
    """``(name, losses, is_proportion)`` of a model's per-row loss (see :data:`LOSSES`)."""
    choices = LOSSES[arrays.task]
    name = metric if metric is not None else next(iter(choices))
    if name not in choices:
        raise ValidationError(
            f"metric: {name!r} is not a per-row loss for a {arrays.task} probe."
            f"{did_you_mean(str(name), list(choices))} Choose one of {list(choices)}."
        )
    needs_scores, is_proportion = choices[name]
    if needs_scores and arrays.scores is None:
        raise ValidationError(
            f"metric: {name!r} needs class probabilities; build the probe with a model that has "
            "predict_proba, or pass scores=, or use metric='error_rate'."
        )
    losses = {
        "error_rate": lambda: (~arrays.correct).astype(np.float64),
        "log_loss": lambda: arrays.log_loss_rows,
        "brier": lambda: arrays.brier_rows,
        "absolute_error": lambda: np.abs(arrays.error),
        "squared_error": lambda: arrays.error**2,
    }[name]()
    return name, np.asarray(losses, dtype=np.float64), is_proportion
