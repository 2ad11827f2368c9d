"""Issue 18 on Spark: ``auc_bins`` bins the scores in the per-score query (Spark's ROC AUC
path) as DuckDB's sorted stream does, and reports the same error bounds."""

from __future__ import annotations

import numpy as np
import pytest

import mlprobe as mp
from engines.spark_required import skip_without_spark

skip_without_spark()

from engines.test_engine_auc import SLICES, binary_frame  # noqa: E402
from engines.test_engine_metrics import assert_same  # noqa: E402


@pytest.mark.parametrize("bins", [None, 20])
def test_spark_binned_auc_and_bounds_match_duckdb(spark, bins: int | None) -> None:  # type: ignore[no-untyped-def]
    frame = binary_frame(11, 400, None)
    columns = {"target": "y", "predictions": "v1", "scores": "s", "auc_bins": bins}
    duck = mp.Probe.from_duckdb(frame, **columns)
    on_spark = mp.Probe.from_spark(spark.createDataFrame(frame), **columns)
    assert_same(
        duck.breakdown(slices=SLICES, metrics=["roc_auc"]),
        on_spark.breakdown(slices=SLICES, metrics=["roc_auc"]),
    )
    want = duck._backend.auc_error_bounds()
    got = on_spark._backend.auc_error_bounds()
    assert list(got["slice"]) == list(want["slice"])
    np.testing.assert_allclose(
        got[["bound", "rest_bound"]].to_numpy(float),
        want[["bound", "rest_bound"]].to_numpy(float),
        rtol=1e-12,
    )
    assert got.empty == (bins is None)
