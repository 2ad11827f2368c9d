"""What every probe answers, wherever its rows are: the interface suites, the CLI and users rely on.

:class:`mlprobe.Probe` (rows in memory) and the engine probes of
``Probe.from_parquet`` / ``Probe.from_spark`` (rows in DuckDB or Spark) both
satisfy :class:`Evaluator`, with the same signatures (a test pins them), so
code written against it runs on either.

Examples
--------
>>> import pandas as pd
>>> import mlprobe as mp
>>> probe = mp.Probe(pd.DataFrame({"g": ["a", "b"], "y": [1, 0]}), target="y", predictions="y")
>>> isinstance(probe, Evaluator)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from mlprobe.core.arguments import CONFIDENCE, MIN_SUPPORT
from mlprobe.core.groups import Bins
from mlprobe.core.labels import Task
from mlprobe.core.predicates import Predicate
from mlprobe.core.slices import Slice

__all__ = ["Evaluator", "SliceLike"]

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
    def n_rows(self) -> int:
        """Number of rows."""
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
    ) -> dict[str, float]:
        """One metric on one slice: ``{"value", "ci_low", "ci_high", "n"}``."""
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
