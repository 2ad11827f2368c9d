"""The breakdown table: metrics with intervals per (slice, model), slice vs rest tests.

Rows: first one ``overall`` row per model, then one row per slice and model.
Columns: ``slice``, ``model``, ``n``, ``share``; for each metric ``m`` the
columns ``m``, ``m_ci_low``, ``m_ci_high``; then ``gap`` (the first metric on
the slice minus on the rest of the rows), ``p_value`` (slice vs rest),
``q_value`` (Benjamini–Hochberg over all slice rows of the call) and
``low_support`` (``n < min_support``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlprobe.core.group_stats import GroupStats
from mlprobe.core.grouping import Grouping
from mlprobe.core.metrics import Metric, MetricValues
from mlprobe.core.model_arrays import ModelArrays
from mlprobe.core.significance import benjamini_hochberg
from mlprobe.core.slices import Slice
from mlprobe.errors import ValidationError

__all__ = ["OVERALL", "BreakdownRequest", "breakdown_table", "check_confidence"]

#: Name of the row that holds all rows.
OVERALL = "overall"


def check_confidence(confidence: object) -> float:
    """Return ``confidence`` if it is a level strictly between 0 and 1."""
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not 0 < confidence < 1
    ):
        raise ValidationError(
            f"confidence must be a number between 0 and 1 (e.g. 0.95); received {confidence!r}."
        )
    return float(confidence)


def _check_min_support(min_support: object) -> int:
    if (
        isinstance(min_support, bool)
        or not isinstance(min_support, int | np.integer)
        or min_support < 0
    ):
        raise ValidationError(
            f"min_support must be a whole number of rows >= 0 (e.g. 30); received {min_support!r}."
        )
    return int(min_support)


@dataclass(frozen=True)
class BreakdownRequest:
    """What to compute: the slices, each model's grouping of rows into them, and how."""

    slices: Sequence[Slice]
    groupings: Mapping[str, Grouping]
    metrics: Sequence[Metric]
    confidence: float = 0.95
    min_support: int = 30


def _metric_columns(metric: Metric, values: MetricValues) -> dict[str, np.ndarray]:
    return {
        metric.name: values.value,
        f"{metric.name}_ci_low": values.low,
        f"{metric.name}_ci_high": values.high,
    }


def breakdown_table(request: BreakdownRequest, models: Mapping[str, ModelArrays]) -> pd.DataFrame:
    """Compute the breakdown of ``request`` for every model in ``models``."""
    confidence = check_confidence(request.confidence)
    min_support = _check_min_support(request.min_support)
    first = request.metrics[0]
    overall_parts: list[dict[str, np.ndarray]] = []
    slice_parts: list[dict[str, np.ndarray]] = []
    for name, arrays in models.items():
        stats = GroupStats(request.groupings[name], arrays)
        overall = stats.overall()
        n_total = arrays.n_rows
        overall_columns: dict[str, np.ndarray] = {
            "slice": np.array([OVERALL], dtype=object),
            "model": np.array([name], dtype=object),
            "n": overall.sizes(),
        }
        slice_columns: dict[str, np.ndarray] = {
            "slice": np.array([s.name for s in request.slices], dtype=object),
            "model": np.full(stats.n_groups, name, dtype=object),
            "n": stats.sizes(),
        }
        first_values: MetricValues | None = None
        for metric in request.metrics:
            overall_columns.update(_metric_columns(metric, metric.compute(overall, confidence)))
            values = metric.compute(stats, confidence)
            slice_columns.update(_metric_columns(metric, values))
            if metric is first:
                first_values = values
        assert first_values is not None
        rest = first.compute(stats.rest(), confidence)
        slice_columns["gap"] = first_values.value - rest.value
        slice_columns["p_value"] = first.p_value_vs(first_values, rest)
        for columns in (overall_columns, slice_columns):
            columns["share"] = columns["n"] / n_total if n_total else columns["n"] * np.nan
        overall_parts.append(overall_columns)
        slice_parts.append(slice_columns)
    frame = _assemble(overall_parts, slice_parts)
    is_slice = np.arange(len(frame)) >= len(overall_parts)
    q = np.full(len(frame), np.nan)
    q[is_slice] = benjamini_hochberg(frame["p_value"].to_numpy()[is_slice])
    frame["q_value"] = q
    frame["low_support"] = frame["n"] < min_support
    order = ["slice", "model", "n", "share"]
    for metric in request.metrics:
        order += [metric.name, f"{metric.name}_ci_low", f"{metric.name}_ci_high"]
    order += ["gap", "p_value", "q_value", "low_support"]
    frame = frame[order]
    frame.attrs["slices"] = {s.name: s for s in request.slices}
    frame.attrs["metrics"] = [m.name for m in request.metrics]
    frame.attrs["confidence"] = confidence
    return frame


def _assemble(
    overall_parts: list[dict[str, np.ndarray]], slice_parts: list[dict[str, np.ndarray]]
) -> pd.DataFrame:
    """Overall rows (one per model) first, then slice-major rows (each slice, each model)."""
    columns = {}
    for key in slice_parts[0]:
        top = [p.get(key, np.full(1, np.nan)) for p in overall_parts]
        body = np.stack([p[key] for p in slice_parts], axis=1).ravel()
        columns[key] = np.concatenate([*top, body])
    return pd.DataFrame(columns)
