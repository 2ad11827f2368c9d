"""Find the slices where a model fails: SliceLine's search, then honest statistics and pruning.

The search (:mod:`mlprobe.core.analyses._slice_search`) ranks conjunctions of binned
columns by impact, gap or SliceLine's score. This module turns the best of them into a
table a person can act on: each slice with its error, interval, gap to the
rest, impact, p-value and Benjamini–Hochberg q-value over every slice the search
evaluated (the family the shown slices were selected from: a slice's raw
``p_value`` is post-selection and means little alone; its ``q_value``
accounts for the search), and — unless asked not to — without redundant slices: a
slice whose last condition does not make it significantly worse than its
parent is replaced by the parent, and a slice whose rows or loss lie mostly in a
better-ranked one (a refinement, the same rows under another coding, a diluted
version) is folded into it and listed in its ``also`` column.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlprobe.core.analyses._slice_search import (
    CellCounts,
    SearchResult,
    SliceKey,
    search_slices,
    sliceline_score,
)
from mlprobe.core.arguments import CONFIDENCE
from mlprobe.core.intake.model_arrays import ModelArrays
from mlprobe.core.metrics._impact import additive_impact
from mlprobe.core.slicing._discretize import ColumnBins
from mlprobe.core.slicing.predicates import Predicate
from mlprobe.core.slicing.slices import Slice
from mlprobe.core.statistics._moments import PowerSums
from mlprobe.core.statistics.intervals import mean_interval, wilson_interval
from mlprobe.core.statistics.significance import (
    benjamini_hochberg,
    pooled_mean_p_value,
    two_proportion_p_value,
)
from mlprobe.errors import ValidationError, did_you_mean, find_stack_level
from mlprobe.progress import progress_bar

__all__ = [
    "DISCOVERY_COLUMNS",
    "LOSSES",
    "DiscoveryRequest",
    "Loss",
    "choose_loss",
    "default_min_support",
    "discover_slices",
    "per_row_losses",
    "run_discovery",
]

DISCOVERY_COLUMNS = [
    "slice",
    "n",
    "metric",
    "value",
    "overall",
    "gap",
    "ci_low",
    "ci_high",
    "impact",
    "impact_ci_low",
    "impact_ci_high",
    "excess_errors",
    "p_value",
    "q_value",
    "score",
    "also",
]
#: a refinement must be worse than its parent at this level to be kept
REDUNDANCY_LEVEL = 0.05
#: the search keeps this many times top_k candidates, so that pruning and folding still
#: leave top_k
POOL_FACTOR = 8
#: a slice is folded into a better-ranked one, listed under its ``also``, when its rows, or its
#: loss (its errors), lie in that one beyond chance by more than this. The measure, for rows:
#: (share of its rows in the better slice - that slice's share of all rows) / (1 - that share);
#: for loss the same with loss sums. 1 for a refinement or the same rows, 0 for no more overlap
#: than a random slice would have: a slice of 90% of the rows (or of the errors) does not
#: swallow every other, while a wider slice whose errors are mostly the better slice's (that
#: failure, diluted) is folded into it
MAX_OVERLAP = 0.5
#: candidates are compared for overlap in at most this many batches (one count each)
MAX_FOLD_BATCHES = 32


@dataclass(frozen=True)
class DiscoveryRequest:
    """What to search: binned columns, their per-row losses' counts and the search settings."""

    columns: Sequence[ColumnBins]
    counts: CellCounts
    metric: str
    is_proportion: bool  # losses are 0/1 (error rate): Wilson intervals, proportion tests
    max_conditions: int
    min_support: int
    top_k: int
    alpha: float
    confidence: float = CONFIDENCE
    prune: bool = True
    rank_by: str = "impact"
    #: slices holding more than this share of the rows are not returned (None: any size)
    max_share: float | None = None


def discover_slices(
    request: DiscoveryRequest, progress: Callable[[int], object] | None = None
) -> tuple[pd.DataFrame, SearchResult]:
    """The ranked failing slices (best first) and the raw search result."""
    pool = request.top_k * POOL_FACTOR if request.prune else request.top_k
    n_rows = request.counts.totals().n_rows
    max_size = n_rows if request.max_share is None else int(request.max_share * n_rows)
    found = search_slices(
        request.counts,
        rank_by=request.rank_by,
        max_size=max_size,
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
    chosen = _ranked(chosen, found)
    also: dict[int, list[int]] = {}
    if request.prune:
        # beyond the exact top of the pool, the other slices the search evaluated, best
        # first: folding may leave fewer than top_k distinct places among the pool alone
        seen = set(chosen)
        eligible = (found.scores > 0) & (found.sizes <= max_size)
        rest = _ranked([int(i) for i in np.flatnonzero(eligible) if i not in seen], found)
        chosen, also = _fold_overlapping([*chosen, *rest], found, request.counts, request.top_k)
        chosen = _first_k_with_ties(chosen, found, request.top_k)
    return _table(chosen, found, stats, request, also), found


def _ranked(positions: Sequence[int], found: SearchResult) -> list[int]:
    """Best score first; equal scores: the smaller slice first (the same loss on fewer rows
    says more precisely where it is), then the shorter description."""
    return sorted(
        (int(i) for i in positions),
        key=lambda i: (-found.scores[i], found.sizes[i], len(found.key(i)), found.key(i)),
    )


def _fold_overlapping(
    chosen: list[int], found: SearchResult, counts: CellCounts, k: int
) -> tuple[list[int], dict[int, list[int]]]:
    """Keep slices in rank order, folding each that overlaps a kept one beyond chance by more
    than :data:`MAX_OVERLAP` into it (as an alternative description). A refinement of a kept
    slice is folded without counting; the others are compared in batches (one count of shared
    rows each, at most :data:`MAX_FOLD_BATCHES`). Stops once ``k`` are kept."""
    kept: list[int] = []
    folded: dict[int, list[int]] = {}
    totals = counts.totals()
    n_rows, total = totals.n_rows, totals.sums[0]
    size = max(2 * k, 8)
    batch: list[int] = []
    batches = 0

    def refines(b: int) -> int | None:
        conditions = set(found.key(b))
        return next((a for a in kept if set(found.key(a)) <= conditions), None)

    def decide(batch: list[int]) -> None:
        pairs = [(a, b) for j, b in enumerate(batch) for a in [*kept, *batch[:j]]]
        rows, losses = counts.shared([(found.key(a), found.key(b)) for a, b in pairs])
        overlap = {
            (a, b): max(
                _overlap(n, int(found.sizes[a]), int(found.sizes[b]), n_rows),
                _overlap(loss, float(found.error_sums[a]), float(found.error_sums[b]), total),
            )
            for (a, b), n, loss in zip(pairs, rows, losses, strict=True)
        }
        for b in batch:
            into = refines(b)
            if into is None:
                into = next((a for a in kept if overlap.get((a, b), 0.0) > MAX_OVERLAP), None)
            if into is not None:
                folded.setdefault(into, []).append(b)
            elif len(kept) < k or found.scores[b] >= found.scores[kept[-1]]:  # ties at k
                kept.append(b)

    for candidate in chosen:
        if len(kept) >= k and found.scores[candidate] < found.scores[kept[-1]]:
            break
        into = refines(candidate)
        if into is not None:
            folded.setdefault(into, []).append(candidate)
            continue
        batch.append(candidate)
        if len(batch) == size:
            decide(batch)
            batch, batches = [], batches + 1
            if batches >= MAX_FOLD_BATCHES:
                return kept, folded
    if batch:
        decide(batch)
    return kept, folded


class _Stats:
    """Per evaluated slice: mean loss, interval, gap and p-value against the rest; q-values."""

    def __init__(self, found: SearchResult, request: DiscoveryRequest) -> None:
        self.found = found
        totals = request.counts.totals()
        self.n_rows = totals.n_rows
        self.total = totals.sums[0]
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
                rest_interval = wilson_interval(rest_sums, rest_n, request.confidence)
                self.excess = sums - n * rest_value  # errors beyond the rest's rate
            else:
                inside = self.power_sums(np.arange(len(n)))
                everything = PowerSums(
                    np.array([float(self.n_rows)]), *(np.array([s]) for s in totals.sums)
                )
                self.p_value = pooled_mean_p_value(inside, everything.minus(inside))
                _, self.low, self.high, _ = mean_interval(inside, request.confidence)
                _, rest_low, rest_high, _ = mean_interval(
                    everything.minus(inside), request.confidence
                )
                rest_interval = (rest_low, rest_high)
                self.excess = np.full(len(n), np.nan)
            self.impact = additive_impact(
                self.value, rest_value, n / self.n_rows, (self.low, self.high), rest_interval
            )
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


def _overlap(shared: float, in_a: float, in_b: float, everything: float) -> float:
    """How far beyond chance b's rows (or loss) lie in a (see :data:`MAX_OVERLAP`)."""
    share_a = in_a / everything if everything > 0 else 1.0
    if in_b <= 0 or share_a >= 1:
        return 1.0 if in_b <= 0 and shared >= 0 and in_a > 0 else 0.0
    return (shared / in_b - share_a) / (1 - share_a)


def _first_k_with_ties(chosen: list[int], found: SearchResult, k: int) -> list[int]:
    if len(chosen) <= k:
        return chosen
    kth = found.scores[chosen[k - 1]]
    return [i for i in chosen if found.scores[i] >= kth]


def _slice_of(key: SliceKey, columns: Sequence[ColumnBins]) -> Slice:
    conditions: list[Predicate] = [columns[c].conditions[b] for c, b in key]
    predicate = conditions[0]
    for condition in conditions[1:]:
        predicate = predicate & condition  # '&' flattens nested conjunctions
    return Slice(None, predicate)


def _table(
    chosen: list[int],
    found: SearchResult,
    stats: _Stats,
    request: DiscoveryRequest,
    also: dict[int, list[int]],
) -> pd.DataFrame:
    sliceline = sliceline_score(
        found.sizes,
        found.error_sums,
        n_rows=stats.n_rows,
        mean_error=stats.overall,
        alpha=request.alpha,
    )
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
        "impact": [float(stats.impact.value[i]) for i in chosen],
        "impact_ci_low": [float(stats.impact.low[i]) for i in chosen],
        "impact_ci_high": [float(stats.impact.high[i]) for i in chosen],
        "excess_errors": [float(stats.excess[i]) for i in chosen],
        "q_value": [float(stats.q_value[i]) for i in chosen],
        "score": sliceline[chosen].tolist() if chosen else [],
        "also": [
            [str(_slice_of(found.key(j), request.columns)) for j in also.get(i, [])] for i in chosen
        ],
    }
    frame = pd.DataFrame(rows, columns=DISCOVERY_COLUMNS)
    frame.attrs["metric"] = request.metric
    frame.attrs["evaluated"] = len(found)
    frame.attrs["complete"] = found.complete
    frame.attrs["rank_by"] = request.rank_by
    return frame


#: per-row losses by task: name -> (the row quantity, needs scores, is a 0/1 proportion);
#: ``wrong`` is 1 where the prediction is not the target, else a :data:`~mlprobe.core.counting.
#: row_terms.QUANTITIES` name
LOSSES = {
    "binary": {
        "error_rate": ("wrong", False, True),
        "log_loss": ("log_loss", True, False),
        "brier": ("brier", True, False),
    },
    "multiclass": {
        "error_rate": ("wrong", False, True),
        "log_loss": ("log_loss", True, False),
        "brier": ("brier", True, False),
    },
    "regression": {
        "absolute_error": ("abs_error", False, False),
        "squared_error": ("squared_error", False, False),
    },
}


@dataclass(frozen=True)
class Loss:
    """The per-row loss a search ranks slices by."""

    #: the metric's name (``error_rate``, ``log_loss``, ...)
    name: str
    #: the row quantity (see :data:`LOSSES`)
    quantity: str
    #: 0/1 losses: Wilson intervals and two-proportion tests
    is_proportion: bool


def choose_loss(task: str, metric: str | None, has_scores: bool) -> Loss:
    """The per-row loss named ``metric`` (the task's first by default), checked.

    >>> choose_loss("regression", None, has_scores=False)
    Loss(name='absolute_error', quantity='abs_error', is_proportion=False)
    """
    choices = LOSSES[task]
    name = metric if metric is not None else next(iter(choices))
    if name not in choices:
        raise ValidationError(
            f"metric: {name!r} is not a per-row loss for a {task} probe."
            f"{did_you_mean(str(name), list(choices))} Choose one of {list(choices)}."
        )
    quantity, needs_scores, is_proportion = choices[name]
    if needs_scores and not has_scores:
        raise ValidationError(
            f"metric: {name!r} needs class probabilities; build the probe with a model that has "
            "predict_proba, or pass scores=, or use metric='error_rate'."
        )
    return Loss(name, quantity, is_proportion)


def per_row_losses(arrays: ModelArrays, loss: Loss) -> np.ndarray:
    """A model's per-row ``loss`` as a float array."""
    values = {
        "wrong": lambda: (~arrays.correct).astype(np.float64),
        "log_loss": lambda: arrays.log_loss_rows,
        "brier": lambda: arrays.brier_rows,
        "abs_error": lambda: np.abs(arrays.error),
        "squared_error": lambda: arrays.error**2,
    }[loss.quantity]()
    return np.asarray(values, dtype=np.float64)


def default_min_support(n_rows: int, min_support: int | None) -> int:
    """``min_support``, or by default 30 rows or 0.5% of them, whichever is more."""
    return max(30, n_rows // 200) if min_support is None else max(min_support, 1)


def run_discovery(
    request: DiscoveryRequest, progress: bool | Callable[[int, int], object] | None
) -> pd.DataFrame:
    """:func:`discover_slices` with its progress shown (a bar, or ``progress(done, total)``)
    and a warning when the user interrupts it."""
    total = sum(
        math.comb(len(request.columns), level) for level in range(1, request.max_conditions + 1)
    )
    if callable(progress):
        report = progress
        table, found = discover_slices(request, lambda done: report(done, total))
    else:
        with progress_bar(total, "searching slices", show=progress) as tick:
            table, found = discover_slices(request, tick)
    if not found.complete:
        warnings.warn(
            f"find_slices was interrupted after {found.combinations_evaluated} of {total} "
            "sets of columns; these are the best slices found so far.",
            RuntimeWarning,
            stacklevel=find_stack_level(),
        )
    return table
