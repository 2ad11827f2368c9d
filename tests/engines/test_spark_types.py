"""On Spark, text compares as text and nullable columns count as in memory and on DuckDB.

Spark has no ordered categoricals: its strings compare by code point, as memory compares
unordered text. Timestamps compare with date literals as in memory, whatever the session's time
zone: TIMESTAMP_NTZ and DATE as naive datetimes; TIMESTAMP (instants of no known zone) with
literals that name their zone, and a literal without one is refused, naming the fix. Skipped,
with the reason, when pyspark or Java is missing.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from engines.spark_required import skip_without_spark
from mlprobe.errors import ValidationError

skip_without_spark()

from engines.test_engine_types import (  # noqa: E402
    DATE_CONDITIONS,
    DATES,
    PREDICTIONS,
    assert_same_metric,
    dates_frame,
)

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
    python_strings = pd.array(rng.choice(TEXT_VALUES, n), dtype="string[python]")
    python_strings[rng.random(n) < 0.15] = pd.NA
    y = rng.choice(["cat", "dog"], n)
    return pd.DataFrame(
        {
            "u": text,
            "flag": rng.random(n) < 0.3,
            "i": ints,
            "b": flags,
            "s": strings,
            "sp": python_strings,
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
            T.StructField("sp", T.StringType()),
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
    on_duckdb = mp.Probe.from_duckdb(frame, target="y", predictions=PREDICTIONS)
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
        "sp >= 'ab'",
        "not (sp < 'B') or sp is null",
    ],
)
def test_text_and_nullable_columns_count_the_same_on_memory_duckdb_and_spark(
    probes: list, frame: pd.DataFrame, condition: str
) -> None:
    memory = mp.Probe(frame, target="y", predictions=PREDICTIONS)
    for probe in probes:
        assert_same_metric(probe, memory, condition)


def test_grouping_by_text_and_nullable_columns_is_the_same_table(
    probes: list, frame: pd.DataFrame
) -> None:
    memory = mp.Probe(frame, target="y", predictions=PREDICTIONS)
    for probe in probes:
        for by in ("u", "b", "s", "sp", "flag", "i"):
            pd.testing.assert_frame_equal(
                probe.breakdown(by=by, metrics=["accuracy"]),
                memory.breakdown(by=by, metrics=["accuracy"]),
                check_dtype=False,
            )


# --- timestamps and dates ----------------------------------------------------------------------


def _times_frame(n: int = 300, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 4 * 24 * 60, n), "min")
    y = rng.choice(["cat", "dog"], n)
    return pd.DataFrame(
        {
            "t": pd.Series(stamps).mask(rng.random(n) < 0.1),
            "tz": pd.Series(stamps).dt.tz_localize("Europe/Paris").mask(rng.random(n) < 0.1),
            "tu": pd.Series(stamps).dt.tz_localize("UTC").mask(rng.random(n) < 0.1),
            "y": y,
            "p": np.where(rng.random(n) < 0.7, y, np.where(y == "cat", "dog", "cat")),
        }
    )


def _python(value: object) -> object:
    if pd.isna(value):  # type: ignore[call-overload]
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()  # naive stays naive (wall time); aware stays the instant
    return value.item() if hasattr(value, "item") else value


@pytest.fixture(scope="module")
def times() -> pd.DataFrame:
    return _times_frame()


@pytest.fixture(scope="module", params=["UTC", "America/New_York", "Asia/Kathmandu"])
def session_zone(spark, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Every timestamp test under several session time zones: no answer may depend on it."""
    before = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", request.param)
    yield request.param
    spark.conf.set("spark.sql.session.timeZone", before)


@pytest.fixture(scope="module")
def on_spark(spark, times: pd.DataFrame, session_zone: str) -> mp.Probe:  # type: ignore[no-untyped-def]
    from pyspark.sql import types as T

    schema = T.StructType(
        [
            T.StructField("t", T.TimestampNTZType()),  # wall-clock times, as naive pandas
            T.StructField("tz", T.TimestampType()),  # instants
            T.StructField("tu", T.TimestampType()),
            T.StructField("y", T.StringType()),
            T.StructField("p", T.StringType()),
        ]
    )
    rows = [tuple(_python(v) for v in row) for row in times.itertuples(index=False)]
    return mp.Probe.from_spark(
        spark.createDataFrame(rows, schema), target="y", predictions=PREDICTIONS
    )


@pytest.mark.parametrize(
    "condition",
    [
        "t >= '2024-01-01'",
        "t < '2024-01-02'",
        "t == '2024-01-02 05:00'",
        "t != '2024-01-02 05:00'",
        "t between '2024-01-02' and '2024-01-03 12:00'",
        "t in ['2024-01-01 00:00', '2024-01-03T23:30']",
        "t >= '2024-01-02 00:00+05:45'",  # a zone on a naive column: its UTC wall time
        "not (t > '2024-01-03 12:00')",
        "t is null",
        "tz >= '2024-01-02 00:00+00:00'",
        "tz < '2024-01-02T00:00+01:00'",
        "tz between '2024-01-01T12:00Z' and '2024-01-03 00:00-05:00'",
        "tz == '2024-01-02T05:00+01:00'",
        "tu >= '2024-01-02T00:00Z'",
        "not (tu < '2024-01-03 06:00+00:00')",
        "tu in ['2024-01-01T00:00Z', '2024-01-03 23:30+00:00']",
        "tz is not null and t < '2024-01-02'",
    ],
)
def test_timestamps_compare_as_in_memory_in_every_session_zone(
    on_spark: mp.Probe, times: pd.DataFrame, condition: str
) -> None:
    memory = mp.Probe(times, target="y", predictions=PREDICTIONS)
    assert on_spark._backend._kinds["t"] == on_spark._backend._kinds["tz"] == "timestamp"
    assert_same_metric(on_spark, memory, condition)


def test_timestamps_random_literals_compare_as_in_memory(
    on_spark: mp.Probe, times: pd.DataFrame
) -> None:
    memory = mp.Probe(times, target="y", predictions=PREDICTIONS)
    for date in DATES:
        for op in ("<", ">=", "=="):
            assert_same_metric(on_spark, memory, f"t {op} '{date}'")


def test_instants_refuse_a_date_without_a_zone(on_spark: mp.Probe, times: pd.DataFrame) -> None:
    memory = mp.Probe(times, target="y", predictions=PREDICTIONS)
    for condition in ("tz >= '2024-01-02'", "tu between '2024-01-01' and '2024-01-02T00:00Z'"):
        memory.metric("accuracy", condition)  # memory knows the zone: Europe/Paris, UTC
        with pytest.raises(ValidationError, match=r"column 't[zu]' holds instants.*TIMESTAMP_NTZ"):
            on_spark.metric("accuracy", condition)


def test_timestamps_refuse_as_in_memory(on_spark: mp.Probe, times: pd.DataFrame) -> None:
    memory = mp.Probe(times, target="y", predictions=PREDICTIONS)
    for probe in (memory, on_spark):
        with pytest.raises(ValidationError, match="holds datetimes; 3 is not a date"):
            probe.metric("accuracy", "t < 3")
        with pytest.raises(ValidationError, match="holds datetimes; 'soon' is not a date"):
            probe.metric("accuracy", "tz < 'soon'")
        for by in ("t", "tz"):
            with pytest.raises(ValidationError, match="holds datetimes, which cannot be grouped"):
                probe.breakdown(by=by)


def test_dates_are_timestamps_at_midnight_in_every_session_zone(
    spark,  # type: ignore[no-untyped-def]
    session_zone: str,
) -> None:
    from pyspark.sql import types as T

    memory_frame, as_dates = dates_frame()
    schema = T.StructType(
        [
            T.StructField("d", T.DateType()),
            T.StructField("y", T.StringType()),
            T.StructField("p", T.StringType()),
        ]
    )
    rows = [tuple(_python(v) for v in row) for row in as_dates.itertuples(index=False)]
    assert any(isinstance(row[0], datetime.date) for row in rows)
    on_spark = mp.Probe.from_spark(
        spark.createDataFrame(rows, schema), target="y", predictions=PREDICTIONS
    )
    memory = mp.Probe(memory_frame, target="y", predictions=PREDICTIONS)
    for condition in DATE_CONDITIONS:
        assert_same_metric(on_spark, memory, condition)
    for probe in (memory, on_spark):
        with pytest.raises(ValidationError, match="'d' holds datetimes, which cannot be grouped"):
            probe.breakdown(by="d")
