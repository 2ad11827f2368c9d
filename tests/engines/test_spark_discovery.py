"""find_slices on Spark: the in-memory result, counted by Spark."""

from __future__ import annotations

import pytest

import mlprobe as mp
from engines.spark_required import skip_without_spark
from engines.test_engine_discovery import _assert_same, _probes, _table

skip_without_spark()


@pytest.mark.parametrize(
    ("task", "options"),
    [
        ("binary", {"max_conditions": 2}),
        ("binary", {"metric": "log_loss", "prune": False, "top_k": 6}),
        ("multiclass", {"metric": "brier", "bins": 4}),
        ("regression", {"metric": "squared_error", "max_conditions": 3}),
    ],
)
def test_find_slices_on_spark_equals_in_memory(spark, task: str, options: dict) -> None:  # type: ignore[no-untyped-def]
    frame, scores = _table(7, 600, task)
    memory, _ = _probes(frame, scores)
    text = frame.assign(region=frame["region"].astype(object), plan=frame["plan"].astype(str))
    engine = mp.Probe.from_spark(
        spark.createDataFrame(text), target="y", predictions="p", scores=scores.get("s")
    )
    in_memory = mp.Probe(
        text.drop(columns=[c for c in text.columns if c == "p" or c.startswith("s")]),
        target="y",
        predictions=frame["p"].to_numpy(),
        scores=memory._backend.arrays("model").scores,
    )
    _assert_same(
        in_memory.find_slices(progress=False, **options),
        engine.find_slices(progress=False, **options),
    )
