"""Issue 14 (part 7), on Spark: every public question gives the same answer, or the same refusal,
on Spark as in memory, for random tables and random slices.

The tables, slices, argument sets and comparisons are those of ``test_backends_agree.py`` (the
DuckDB run); each drawn table becomes a Spark DataFrame of an explicit schema (text, bigint,
double and boolean columns; missing values as nulls, NaN floats kept as NaN, which mlprobe reads
as missing). Spark local mode takes ~0.1-1 s a query, so each question draws few examples on one
Spark session. Skipped, with the reason, when pyspark or Java is missing; ``.ci/run`` installs
both.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import mlprobe as mp
from engines.spark_required import skip_without_spark
from mlprobe.core.slicing.predicates import Predicate

skip_without_spark()

from engines.test_backends_agree import (  # noqa: E402
    ARGUMENTS,
    PREDICTIONS,
    QUESTIONS,
    assert_answers_alike,
)

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


def spark_frame(spark: Any, frame: pd.DataFrame) -> Any:
    """``frame`` (as ``test_backends_agree.tables`` draws it) as a Spark DataFrame."""
    from pyspark.sql import types as T

    kinds = {
        "t": T.StringType(),
        "i": T.LongType(),
        "f": T.DoubleType(),
        "b": T.BooleanType(),
        "y": T.StringType(),
        "v1": T.StringType(),
        "v2": T.StringType(),
    }
    schema = T.StructType([T.StructField(c, kinds[c]) for c in frame.columns])

    def value(v: Any, column: str) -> Any:
        if column == "f":  # NaN stays NaN: the engine must read it as missing
            return float(v)
        if pd.isna(v):  # None, NaN (pandas 3 reads missing text as NaN) or pd.NA
            return None
        return v.item() if isinstance(v, np.generic) else v

    rows = [
        tuple(value(v, c) for v, c in zip(row, frame.columns, strict=True))
        for row in frame.astype(object).itertuples(index=False)
    ]
    return spark.createDataFrame(rows, schema)


@pytest.mark.parametrize("question", sorted(QUESTIONS))
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(**ARGUMENTS)
def test_spark_answers_as_memory(  # type: ignore[no-untyped-def]
    spark,
    question: str,
    frame: pd.DataFrame,
    slices: list[Predicate],
    by: Any,
    metrics: list[str],
    model: str | None,
    support: int,
) -> None:
    assert_answers_alike(
        lambda f: mp.Probe.from_spark(spark_frame(spark, f), target="y", predictions=PREDICTIONS),
        question,
        frame,
        slices,
        by,
        metrics,
        model,
        support,
    )
