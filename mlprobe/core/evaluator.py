"""What every probe answers, wherever its rows are: the interface suites, the CLI and users rely on.

:class:`mlprobe.Probe` satisfies :class:`Evaluator` whatever its backend (rows
in memory, in DuckDB or in Spark), so code written against it runs on any
probe; the explorer and the report are typed on :class:`ExplorableProbe`, which
adds columns, rows, masks and slice search, so that they sit below the facade.

Examples
--------
>>> import pandas as pd
>>> import mlprobe as mp
>>> probe = mp.Probe(pd.DataFrame({"g": ["a", "b"], "y": [1, 0]}), target="y", predictions="y")
>>> isinstance(probe, Evaluator)
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from mlprobe.core.analyses.profiles import ColumnProfile
from mlprobe.core.arguments import CONFIDENCE, MIN_SUPPORT
from mlprobe.core.intake.labels import Task
from mlprobe.core.slicing.groups import Bins
from mlprobe.core.slicing.predicates import Predicate
from mlprobe.core.slicing.slices import Slice

__all__ = ["Evaluator", "ExplorableProbe", "SliceLike"]

#: A slice, a predicate, or slice text for ``Slice.parse``.
SliceLike = Slice | Predicate | str


@runtime_checkable
class Evaluator(Protocol):
    """Slices, metrics with intervals, confusion matrices and model comparisons of a table."""

    @property
    def task(self) -> Task:
        """``"binary"``, ``"multiclass"`` or ``"regression"``."""
        ...

    @property
    def classes(self) -> list[Any]:
        """Class labels in the order of confusion matrices (empty for regression)."""
        ...

    @property
    def models(self) -> list[str]:
        """Model names."""
        ...

    @property
    def positive(self) -> Any:
        """Binary tasks: the class bare metric names (``recall``, ``fpr``) mean; None: none."""
        ...

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        ...

    @property
    def target_name(self) -> str | None:
        """The target column's name (None when the labels were given as an array)."""
        ...

    def groups(self, by: str | Sequence[str], *, bins: Bins = None) -> list[Slice]:
        """The slices ``breakdown(by=...)`` shows."""
        ...

    def breakdown(
        self,
        by: str | Sequence[str] | None = None,
        *,
        slices: Sequence[SliceLike] | None = None,
        bins: Bins = None,
        metrics: Sequence[str] | str | None = None,
        model: str | Sequence[str] | None = None,
        confidence: float = CONFIDENCE,
        min_support: int = MIN_SUPPORT,
    ) -> pd.DataFrame:
        """Metrics with intervals per slice and model, each slice against the rest."""
        ...

    def confusion(
        self,
        slice: SliceLike | None = None,
        *,
        model: str | None = None,
        normalize: str | None = None,
    ) -> pd.DataFrame:
        """The confusion matrix of a slice."""
        ...

    def metric(
        self,
        metric: str,
        slice: SliceLike | None = None,
        *,
        model: str | None = None,
        confidence: float = CONFIDENCE,
        counts: bool = False,
    ) -> dict[str, Any]:
        """One metric on one slice: ``{"value", "ci_low", "ci_high", "n"}``; with
        ``counts=True`` also ``"counts"``, the JSON-ready sufficient counts behind the value
        (or None). Only the run store asks for them, so an evaluator that records no runs
        may leave the argument out."""
        ...

    def compare(
        self,
        a: str,
        b: str,
        *,
        by: str | Sequence[str] | None = None,
        slices: Sequence[SliceLike] | None = None,
        bins: Bins = None,
        metric: str | None = None,
        confidence: float = CONFIDENCE,
        min_support: int = MIN_SUPPORT,
    ) -> pd.DataFrame:
        """Two models on the same rows, per slice, with paired tests and verdicts."""
        ...

    def flips(self, a: str, b: str, *, slice: SliceLike | None = None) -> pd.DataFrame:
        """Rows right or wrong under each of two models (2 x 2 counts)."""
        ...

    def disparity(
        self,
        by: str | Sequence[str],
        metric: str | Sequence[str],
        *,
        bins: Bins = None,
        model: str | Sequence[str] | None = None,
        confidence: float = CONFIDENCE,
        min_support: int = MIN_SUPPORT,
    ) -> pd.DataFrame:
        """The largest gap in ``metric`` between the groups of ``by``, per model, with intervals."""
        ...


@runtime_checkable
class ExplorableProbe(Evaluator, Protocol):
    """What the explorer and the report use of a probe, beyond :class:`Evaluator`: columns,
    rows, masks, priorities and slice search (a probe whose rows stay in an engine refuses a
    mask with the reason). Typing them on this protocol, not on :class:`mlprobe.Probe`, keeps the
    display layers below the facade."""

    @property
    def columns(self) -> list[str]:
        """Columns a slice may use, then ``@target`` and the prediction columns."""
        ...

    def describe_column(self, name: str) -> ColumnProfile:
        """A column's levels with their counts, or its range."""
        ...

    def available_metrics(self) -> list[str]:
        """Metric names this probe can compute."""
        ...

    def priorities(
        self,
        by: str | Sequence[str] | None = None,
        *,
        slices: Sequence[SliceLike] | None = None,
        bins: Bins = None,
        metric: str | None = None,
        model: str | Sequence[str] | None = None,
        confidence: float = ...,
        min_support: int = ...,
    ) -> pd.DataFrame:
        """Slices ranked by what fixing each buys of ``metric`` on all rows."""
        ...

    def mask(self, slice: SliceLike, *, model: str | None = None) -> np.ndarray:
        """One bool per row: in the slice or not."""
        ...

    def check_slice(self, slice: SliceLike, *, model: str | None = None) -> Slice:
        """The slice, checked to be countable here (unknown columns, wrong types), cheaply."""
        ...

    def rows(
        self,
        slice: SliceLike | None = None,
        *,
        model: str | None = None,
        n: int = 20,
        errors_first: bool = True,
        seed: int = 0,
    ) -> pd.DataFrame:
        """Up to ``n`` rows of a slice with the model's outputs, its errors first."""
        ...

    def find_slices(
        self,
        *,
        features: Sequence[str] | None = None,
        metric: str | None = None,
        model: str | None = None,
        max_conditions: int = 3,
        min_support: int | None = None,
        top_k: int = 10,
        bins: int = 10,
        alpha: float = 0.95,
        prune: bool = True,
        confidence: float = CONFIDENCE,
        progress: bool | Callable[[int, int], object] | None = None,
    ) -> pd.DataFrame:
        """The slices where the model fails most (see :meth:`mlprobe.Probe.find_slices`)."""
        ...
