"""On Spark, text compares as text and nullable columns count as in memory and on DuckDB.

Spark has no ordered categoricals: its strings compare by code point, as memory compares
unordered text. Skipped, with the reason, when pyspark or Java is missing.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp

_REQUIRED = os.environ.get("MLPROBE_REQUIRE_SPARK") == "1"
try:
    import pyspark  # noqa: F401
except ImportError:
    if _REQUIRED:
        raise
    pytest.skip("pyspark is not installed (pip install 'mlprobe[spark]')", allow_module_level=True)
if shutil.which("java") is None:
    if _REQUIRED:
        raise RuntimeError("MLPROBE_REQUIRE_SPARK=1 but no `java` is on PATH")
    pytest.skip("Spark needs Java, and no `java` is on PATH", allow_module_level=True)

from engines.test_engine_types import PREDICTIONS, assert_same_metric  # noqa: E402
from mlprobe.engines.duckdb_source import DuckDBSource  # noqa: E402
from mlprobe.engines.table_probe import TableProbe  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")

TEXT_VALUES = ["b", "B", "a", "ab", "é", "Z", ""]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 400
    text = rng.choice(np.array([*TEXT_VALUES, None], dtype=object), n)
    ints = pd.array(rng.integers(-3, 4, n), dtype="Int64")
    ints[rng.random(n) < 0.15] = pd.NA
    flags = pd.array(rng.random(n) < 0.4, dtype="boolean")
    flags[rng.random(n) < 0.15] = pd.NA
    strings = pd.array(rng.choice(TEXT_VALUES, n), dtype="string[pyarrow]")
    strings[rng.random(n) < 0.15] = pd.NA
    y = rng.choice(["cat", "dog"], n)
    return pd.DataFrame(
        {
            "u": text,
            "flag": rng.random(n) < 0.3,
            "i": ints,
            "b": flags,
            "s": strings,
            "y": y,
            "p": np.where(rng.random(n) < 0.7, y, np.where(y == "cat", "dog", "cat")),
        }
    )


@pytest.fixture(scope="module")
def probes(spark, frame: pd.DataFrame) -> list:  # type: ignore[no-untyped-def]
    from pyspark.sql import types as T

    schema = T.StructType(
        [
            T.StructField("u", T.StringType()),
            T.StructField("flag", T.BooleanType()),
            T.StructField("i", T.LongType()),
            T.StructField("b", T.BooleanType()),
            T.StructField("s", T.StringType()),
            T.StructField("y", T.StringType()),
            T.StructField("p", T.StringType()),
        ]
    )
    rows = [
        tuple(None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row)
        for row in frame.astype(object).itertuples(index=False)
    ]
    on_spark = mp.Probe.from_spark(
        spark.createDataFrame(rows, schema), target="y", predictions=PREDICTIONS
    )
    on_duckdb = TableProbe(DuckDBSource(frame), target="y", predictions=PREDICTIONS)
    return [on_duckdb, on_spark]


@pytest.mark.parametrize(
    "condition",
    [
        "u < 'b'",
        "u > 'B'",
        "u >= 'ab'",
        "not (u <= 'é')",
        "u between 'B' and 'ab'",
        "s < 'a'",
        "s > 'Z'",
        "i < 0",
        "not (i >= 1)",
        "i is null",
        "b == true",
        "not (b == false)",
        "b is null",
        "flag == true and s is not null",
    ],
)
def test_text_and_nullable_columns_count_the_same_on_memory_duckdb_and_spark(
    probes: list, frame: pd.DataFrame, condition: str
) -> None:
    memory = mp.Probe(frame, target="y", predictions=PREDICTIONS)
    for probe in probes:
        assert_same_metric(probe, memory, condition)
