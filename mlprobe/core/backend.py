"""Where a probe's rows live: the small interface a backend implements.

:class:`mlprobe.Probe` is one facade over any :class:`Backend`: it checks the
arguments, resolves models, slices and metrics once, and asks the backend
only what the backend alone can give: how rows fall into slices (a
:class:`~mlprobe.core.counting.grouping.Grouping` whose counts, sums and ranks the metric
code reads), confusion tables, column profiles, row samples, slice checks and the
binned losses slice search counts (:meth:`Backend.loss_cells`), and, where the rows are
at hand, masks. Every table, interval and test is then computed by
the same core code, so every backend gives the same numbers and the same
refusals.

Two backends ship: :class:`mlprobe.engines.memory.MemoryBackend` (pandas and numpy)
and :class:`mlprobe.engines.sql_backend.SqlBackend` (DuckDB and Spark, which
count where the data is). A new backend implements this protocol; what it
cannot do (e.g. a row sample) it refuses with an :class:`~mlprobe.errors.MlprobeError`
that says why and what to do instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from mlprobe.core.analyses._slice_search import CellCounts
from mlprobe.core.analyses.discovery import Loss
from mlprobe.core.analyses.profiles import ColumnProfile
from mlprobe.core.counting.grouping import Grouping
from mlprobe.core.intake.labels import Task
from mlprobe.core.intake.model_arrays import ModelArrays
from mlprobe.core.metrics import Metric
from mlprobe.core.slicing._discretize import ColumnBins
from mlprobe.core.slicing.groups import Bins
from mlprobe.core.slicing.slices import Slice

__all__ = ["Backend", "ByGroups"]

#: the ``by=`` columns and ``bins`` whose groups end a call's slice list, or None
ByGroups = tuple[list[str], Bins] | None


class Backend(Protocol):
    """The rows of a probe and the models' outputs, wherever they are.

    Arguments arrive checked: models are known names, slices are
    :class:`Slice` objects with unique names (the facade refuses duplicates
    before any counting), ``by`` columns are a list of names with ``@prediction``
    already spelt ``@prediction[model]``.
    """

    @property
    def description(self) -> str:
        """Where the rows are, for the probe's repr ("memory", "DuckDB over eval.parquet")."""
        ...

    @property
    def task(self) -> Task: ...

    @property
    def classes(self) -> list[Any]: ...

    @property
    def models(self) -> list[str]: ...

    @property
    def target_name(self) -> str | None: ...

    @property
    def n_rows(self) -> int: ...

    @property
    def data(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame (a backend whose rows stay elsewhere refuses)."""
        ...

    def columns(self) -> list[str]:
        """Columns a slice may use, then ``@target`` and the prediction columns."""
        ...

    def describe_column(self, name: str) -> ColumnProfile:
        """A column's levels with their counts, or its range."""
        ...

    def nbytes(self) -> int:
        """Bytes of the arrays the backend holds of its own."""
        ...

    def arrays(self, model: str) -> ModelArrays:
        """What the metric code needs of a model (task, classes; arrays where in memory)."""
        ...

    def has_scores(self, model: str) -> bool:
        """Whether the model has class probabilities."""
        ...

    def auc_error_bounds(self) -> pd.DataFrame:
        """How far each ROC AUC of the latest call may be from the exact one (an engine's
        ``auc_bins``): columns ``model``, ``class``, ``slice``, ``bound``, ``rest_bound``;
        empty where every AUC is exact."""
        ...

    def groups(self, columns: list[str], bins: Bins) -> list[Slice]:
        """The slices of ``by=columns``: one per value, or per bin of a numeric column."""
        ...

    def groupings(
        self, slices: list[Slice], by: ByGroups, models: list[str], metrics: Sequence[Metric]
    ) -> dict[str, Grouping]:
        """Per model, how the rows fall into ``slices`` (``metrics`` say which sums to fetch
        in the same scan). ``slices`` is the call's whole, checked list; when ``by`` is given,
        its last entries are :meth:`groups` of ``by`` (a backend may count them as one
        partition)."""
        ...

    def paired_grouping(
        self, slices: list[Slice], by: ByGroups, a: str, b: str, metric: Metric
    ) -> Grouping:
        """The same for a comparison of models ``a`` and ``b`` on the same rows."""
        ...

    def one_group(self, chosen: Slice | None, model: str, metrics: Sequence[Metric]) -> Grouping:
        """All rows (``chosen`` None) or one slice's rows, as one group."""
        ...

    def confusion_table(self, chosen: Slice | None, model: str) -> np.ndarray:
        """K x K counts (true class, predicted class)."""
        ...

    def joint_table(self, chosen: Slice | None, a: str, b: str) -> np.ndarray:
        """K x K x K counts (true class, prediction of ``a``, prediction of ``b``)."""
        ...

    def mask(self, chosen: Slice, model: str | None) -> np.ndarray:
        """One bool per row: in the slice or not (a backend whose rows stay elsewhere refuses)."""
        ...

    def check_slice(self, chosen: Slice, model: str | None) -> None:
        """Refuse a slice the backend cannot evaluate, cheaply, on every backend.

        Raises what evaluating the slice would: :class:`~mlprobe.errors.ColumnNotFoundError`
        for a column the data lacks, :class:`~mlprobe.errors.ValidationError` for a value
        of the wrong type (or not a level of an ordered column). ``model`` resolves
        ``@prediction`` (None: the slice does not use it, or any model will do). Memory
        evaluates the (cached) mask; an engine compiles the predicate to SQL and scans nothing.
        """
        ...

    def rows(
        self, chosen: Slice | None, model: str, n: int, errors_first: bool, seed: int
    ) -> pd.DataFrame:
        """Up to ``n`` rows of a slice with the model's outputs, its errors first."""
        ...

    def loss_cells(
        self, model: str, features: Sequence[str] | None, bins: int, loss: Loss
    ) -> tuple[list[ColumnBins], CellCounts]:
        """What slice discovery searches: the ``features`` (default: every column but the
        outputs, dates left out) cut into bins as
        :func:`~mlprobe.core.slicing._discretize.bin_column` cuts them, and the model's
        per-row ``loss`` counted by those bins."""
        ...
