"""The in-memory backend: a pandas table and the models' outputs as numpy arrays.

:class:`MemoryBackend` predicts once, encodes columns on first use, and
answers the backend questions (:class:`mlprobe.core.backend.Backend`) by
counting on those encoded arrays, masks and row samples included. It never
copies or changes the user's table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlprobe.core.analyses._row_sample import sample_rows
from mlprobe.core.analyses._slice_search import ArrayCells, CellCounts
from mlprobe.core.analyses.discovery import Loss, per_row_losses
from mlprobe.core.analyses.profiles import ColumnProfile, profile_column
from mlprobe.core.backend import ByGroups
from mlprobe.core.counting.grouping import Everything, Grouping, MaskSet, Partition
from mlprobe.core.intake._frames import to_pandas
from mlprobe.core.intake._outputs import collect_outputs
from mlprobe.core.intake.labels import Task
from mlprobe.core.intake.model_arrays import ModelArrays
from mlprobe.core.metrics import Metric
from mlprobe.core.slicing._discretize import ColumnBins, bin_column
from mlprobe.core.slicing._encoding import (
    CategoricalColumn,
    EncodedColumn,
    EncodedTable,
    NumericColumn,
    value_kind,
)
from mlprobe.core.slicing._mask_cache import MaskCache
from mlprobe.core.slicing._masks import evaluate
from mlprobe.core.slicing.groups import Bins, group_by
from mlprobe.core.slicing.predicates import (
    PREDICTION,
    TARGET,
    Predicate,
    check_no_reserved_columns,
    prediction_column,
)
from mlprobe.core.slicing.slices import Slice
from mlprobe.errors import DataError, ValidationError

__all__ = ["MemoryBackend"]


class MemoryBackend:
    """Rows in memory: a pandas table, encoded on first use, and each model's arrays.

    Parameters are those of :class:`mlprobe.Probe`, which builds it.
    """

    #: what a probe's repr says the rows are
    description = "memory"

    def __init__(
        self,
        data: Any,
        *,
        target: Any,
        model: Any = None,
        predictions: Any = None,
        scores: Any = None,
        task: str | None = None,
        features: Sequence[str] | None = None,
    ) -> None:
        frame = to_pandas(data, argument="data")
        check_no_reserved_columns(frame.columns)
        if len(frame) == 0:
            raise DataError("data has no rows; a probe needs at least one evaluated example.")
        outputs = collect_outputs(
            frame,
            target=target,
            model=model,
            predictions=predictions,
            scores=scores,
            task=task,
            features=features,
        )
        self._data = frame
        self._target_name = target if isinstance(target, str) else None
        self._labels = outputs.labels
        self._output_columns = set(outputs.used_columns)
        self._arrays: dict[str, ModelArrays] = outputs.models
        shared = self._virtual_columns()
        self._table = EncodedTable(frame, shared)
        # per model, '@prediction' is that model's '@prediction[name]' column
        self._model_tables = {
            name: self._table.with_virtual({**shared, PREDICTION: shared[prediction_column(name)]})
            for name in self._arrays
        }
        self._partitions: dict[tuple[Any, ...], tuple[Partition, list[Slice]]] = {}
        self._mask_cache = MaskCache()

    # --- what it holds ---------------------------------------------------------------------

    @property
    def data(self) -> pd.DataFrame:
        """The evaluation table (the user's own frame, not a copy)."""
        return self._data

    @property
    def task(self) -> Task:
        return self._labels.task

    @property
    def classes(self) -> list[Any]:
        return list(self._labels.classes)

    @property
    def models(self) -> list[str]:
        return list(self._arrays)

    @property
    def target_name(self) -> str | None:
        return self._target_name

    @property
    def n_rows(self) -> int:
        return len(self._data)

    def columns(self) -> list[str]:
        """The data's columns, then ``@target`` and the prediction columns."""
        names = [str(c) for c in self._data.columns] + [TARGET]
        if len(self._arrays) == 1:
            names.append(PREDICTION)
        return names + [prediction_column(m) for m in self._arrays]

    def describe_column(self, name: str) -> ColumnProfile:
        """A column's levels with their counts, or its range (``@prediction``: the first model's)."""
        table = self._model_tables[self.models[0]] if name == PREDICTION else self._table
        return profile_column(table.column(name, role="column"))

    def arrays(self, model: str) -> ModelArrays:
        """The metric code's arrays of one model."""
        return self._arrays[model]

    def has_scores(self, model: str) -> bool:
        return self._arrays[model].scores is not None

    def auc_error_bounds(self) -> pd.DataFrame:
        """Empty: the AUC in memory is exact."""
        return pd.DataFrame(columns=["model", "class", "slice", "bound", "rest_bound"])

    def nbytes(self) -> int:
        """Bytes of the arrays the probe holds of its own (not views of the user's data).

        This includes the masks of recently used slices (at most 64 MB, dropped
        least recently used first), which make asking about them again free.
        """
        own = self._table.nbytes() + self._labels.y_true.nbytes
        own += sum(arrays.nbytes() for arrays in self._arrays.values())
        own += sum(p.codes.nbytes for p, _ in self._partitions.values())
        return own + self._mask_cache.nbytes

    # --- encoded columns and masks ----------------------------------------------

    def _output_column(self, name: str, model: str | None = None) -> EncodedColumn:
        values = self._labels.y_true if model is None else self._labels.y_pred[model]
        if self._labels.is_classification:
            categories = pd.Index(self._labels.classes, dtype=object)
            return CategoricalColumn(name, values, categories, "sorted", value_kind(categories))
        return NumericColumn(name, values, None)

    def _virtual_columns(self) -> dict[str, EncodedColumn]:
        columns = {TARGET: self._output_column(TARGET)}
        for name in self._labels.y_pred:
            columns[prediction_column(name)] = self._output_column(prediction_column(name), name)
        return columns

    def mask(self, chosen: Slice, model: str | None) -> np.ndarray:
        """Bool mask of the rows of ``chosen`` (``model`` resolves ``@prediction``; a copy)."""
        return self._cached_mask(chosen.predicate, model).copy()

    def check_slice(self, chosen: Slice, model: str | None) -> None:
        """Refuse a slice that cannot be evaluated: its mask is computed (and kept, so that
        counting it next costs nothing), raising what evaluating it raises."""
        self._cached_mask(chosen.predicate, model)

    def _cached_mask(self, predicate: Predicate, model: str | None) -> np.ndarray:
        """The (read-only) mask of ``predicate``; ``model`` matters only for '@prediction'."""
        if PREDICTION not in predicate.columns():
            model = None
        # the JSON form tells 1 from True and 1.0, which predicate equality does not
        key = (model, json.dumps(predicate.to_dict(), sort_keys=True))
        table = self._table if model is None else self._model_tables[model]
        return self._mask_cache.get(key, lambda: evaluate(predicate, table))

    def _slice_masks(self, slices: list[Slice], model: str) -> list[np.ndarray]:
        return [self._cached_mask(s.predicate, model) for s in slices]

    def _group_by(self, by: str | Sequence[str], bins: Bins) -> tuple[Partition, list[Slice]]:
        columns = [by] if isinstance(by, str) else list(by)
        for c in columns:
            if not isinstance(c, str):
                raise ValidationError(f"by: expected column names; received {c!r}.")
        key = (
            tuple(columns),
            tuple(np.ravel(bins).tolist())
            if bins is not None and not isinstance(bins, int)
            else bins,
        )
        if key not in self._partitions:
            self._partitions[key] = group_by(self._table, columns, bins)
        return self._partitions[key]

    # --- the backend questions -------------------------------------------------------------

    def groups(self, columns: list[str], bins: Bins) -> list[Slice]:
        """The slices of ``by=columns``: one per group (numeric columns binned)."""
        return list(self._group_by(columns, bins)[1])

    def groupings(
        self, slices: list[Slice], by: ByGroups, models: list[str], metrics: Sequence[Metric]
    ) -> dict[str, Grouping]:
        """Per model, how rows fall into ``slices``: ``by``'s groups (the list's last
        entries) are one cached partition, so a call with only them counts in one pass."""
        own, by_masks = slices, []
        if by is not None:
            partition, by_slices = self._group_by(*by)
            if len(by_slices) == len(slices):
                return dict.fromkeys(models, partition)
            own, by_masks = slices[: len(slices) - len(by_slices)], partition.masks()
        return {m: MaskSet(self._slice_masks(own, m) + by_masks) for m in models}

    def paired_grouping(
        self, slices: list[Slice], by: ByGroups, a: str, b: str, metric: Metric
    ) -> Grouping:
        """How rows fall into the slices of a comparison (``@prediction[...]`` read as
        named; the joint tables come from both models' arrays)."""
        return self.groupings(slices, by, [a], [metric])[a]

    def one_group(self, chosen: Slice | None, model: str, metrics: Sequence[Metric]) -> Grouping:
        """All rows, or the rows of one slice, as one group."""
        if chosen is None:
            return Everything(self.n_rows)
        return MaskSet([self._cached_mask(chosen.predicate, model)])

    def confusion_table(self, chosen: Slice | None, model: str) -> np.ndarray:
        """The K x K counts (true, predicted) of a slice, or of all rows."""
        arrays = self._arrays[model]
        k = arrays.n_classes
        cells = arrays.cells if chosen is None else arrays.cells[self.mask(chosen, model)]
        return np.bincount(cells, minlength=k * k).reshape(k, k)

    def joint_table(self, chosen: Slice | None, a: str, b: str) -> np.ndarray:
        """The K x K x K counts (true, prediction of a, prediction of b) of a slice."""
        first, second = self._arrays[a], self._arrays[b]
        k = first.n_classes
        key = first.cells.astype(np.intp) * k + second.y_pred
        if chosen is not None:
            key = key[self.mask(chosen, a)]
        return np.bincount(key, minlength=k**3).reshape(k, k, k)

    # --- what needs the rows ---------------------------------------------------------------

    def rows(
        self, chosen: Slice | None, model: str, n: int, errors_first: bool, seed: int
    ) -> pd.DataFrame:
        """Up to ``n`` rows of a slice with the model's outputs, its errors first."""
        arrays = self._arrays[model]
        in_slice = np.ones(self.n_rows, dtype=bool) if chosen is None else self.mask(chosen, model)

        outputs: dict[str, np.ndarray] = {}
        if self._labels.is_classification:
            classes = np.asarray(self._labels.classes, dtype=object)
            wrong = ~arrays.correct
            rank = None
            outputs = {
                TARGET: classes[arrays.y_true],
                PREDICTION: classes[arrays.y_pred],
                "@correct": arrays.correct,
            }
            if arrays.scores is not None:
                rank = arrays.scores[np.arange(self.n_rows), arrays.y_pred.astype(np.intp)]
                outputs["@score"] = rank
        else:
            rank = np.abs(arrays.error)
            wrong = np.ones(self.n_rows, dtype=bool)
            outputs = {TARGET: arrays.y_true, PREDICTION: arrays.y_pred, "@error": arrays.error}
        if not errors_first:
            wrong = np.zeros(self.n_rows, dtype=bool)
            rank = None
        positions = sample_rows(in_slice, wrong, n=int(n), rank=rank, seed=seed)
        picked = self._data.iloc[positions]
        front = pd.DataFrame(
            {key: values[positions] for key, values in outputs.items()}, index=picked.index
        )
        return pd.concat([front, picked], axis=1)

    def loss_cells(
        self, model: str, features: Sequence[str] | None, bins: int, loss: Loss
    ) -> tuple[list[ColumnBins], CellCounts]:
        """The features cut into bins (``bins`` per number column) and the model's per-row
        ``loss``, counted with numpy (:class:`~mlprobe.core.analyses._slice_search.ArrayCells`)."""
        columns = [
            bin_column(self._table.column(f, role="features column"), bins=bins)
            for f in self._discovery_features(features)
        ]
        counts = ArrayCells(
            [c.codes for c in columns],
            [c.n_bins for c in columns],
            per_row_losses(self._arrays[model], loss),
        )
        return list(columns), counts

    def _discovery_features(self, features: Sequence[str] | None) -> list[str]:
        if features is None:
            outputs = self._output_columns
            chosen = [
                str(c)
                for c in self._data.columns
                if c not in outputs
                # instants and durations are left out by default: bins of them are not yet
                # conditions a suite can state
                and not pd.api.types.is_datetime64_any_dtype(self._data[c])
                and not pd.api.types.is_timedelta64_dtype(self._data[c])
            ]
        elif isinstance(features, str):
            chosen = [features]
        else:
            chosen = [str(f) for f in features]
        if not chosen:
            raise ValidationError(
                "features: no column to slice on; pass features=[...] with columns of the data."
            )
        return chosen
