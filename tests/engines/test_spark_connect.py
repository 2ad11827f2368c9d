"""Probe.from_spark on a Spark Connect DataFrame gives the in-memory probe's tables.

The server is a local Spark context with the bundled Connect plugin (what PySpark's
``remote("local")`` starts, but on a free loopback port with a token, not on 15002); the client
is a gRPC ``pyspark.sql.connect`` session. No classic session may be running then (test_spark.py's
ends with its module). Skipped without pyspark's connect extra or Java, unless MLPROBE_REQUIRE_SPARK=1.
"""

from __future__ import annotations

import gc
import socket
import uuid

import pandas as pd
import pytest

import mlprobe as mp
from engines.spark_required import skip_without_spark
from mlprobe.core.slicing.predicates import IsIn, col

skip_without_spark(connect=True)

from sqlglot import exp  # noqa: E402

from engines.test_duckdb import FLAG, FLOAT, TEXT  # noqa: E402
from engines.test_spark import awkward_frame  # noqa: E402  (the same rows as classic Spark)

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")
MODELS = {"v1": "v1", "v2": "v2"}


@pytest.fixture(scope="module")
def connect():  # type: ignore[no-untyped-def]
    from pyspark import SparkContext
    from pyspark.sql import SparkSession
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    if SparkContext._active_spark_context is not None:
        pytest.fail("a classic SparkSession is running; the Connect server needs a new one")
    with socket.socket() as probe:  # a free port: runs in parallel do not collide
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = str(uuid.uuid4())
    server = (
        SparkSession.builder.master("local[1]")
        .appName("mlprobe-connect-server")
        .config("spark.plugins", "org.apache.spark.sql.connect.SparkConnectPlugin")
        .config("spark.connect.grpc.binding.address", "127.0.0.1")
        .config("spark.connect.grpc.binding.port", str(port))
        .config("spark.connect.authenticate.token", token)
        .config("spark.ui.enabled", "false")
        # tiny data: skip what pays off only on big data (JIT tiers, code generation)
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")  # if we start the JVM
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        .getOrCreate()
    )
    try:
        client = ConnectSession.builder.remote(f"sc://localhost:{port}/;token={token}").create()
        yield client
        client.stop()
    finally:
        server.stop()  # stops the Connect server with its Spark context


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return awkward_frame()


@pytest.fixture(scope="module")
def memory(frame: pd.DataFrame) -> mp.Probe:
    return mp.Probe(frame, target="y", predictions=MODELS)


@pytest.fixture(scope="module")
def engine(connect, frame: pd.DataFrame) -> mp.Probe:  # type: ignore[no-untyped-def]
    from pyspark.sql.connect import functions as F  # not pyspark.sql.functions: classic here

    dataframe = connect.createDataFrame(frame)  # Arrow: NaN arrives as NULL
    assert type(dataframe).__module__ == "pyspark.sql.connect.dataframe"
    # some missing hours (those flagged) become a real NaN, which mlprobe reads as missing too
    hours = F.col(FLOAT)
    nan = F.when(hours.isNull() & F.col(FLAG), F.lit(float("nan")))
    dataframe = dataframe.withColumn(FLOAT, nan.otherwise(hours))
    counts = dataframe.select(F.count_if(F.isnan(hours)), F.count_if(hours.isNull())).first()
    assert counts is not None and min(counts) > 0, counts
    return mp.Probe.from_spark(dataframe, target="y", predictions=MODELS)


SLICES = [
    "`hours per week` >= 45",
    "`dot.count` in [1, 2]",
    IsIn(TEXT, ("O'Brien", "x' OR '1'='1", "ünï ✓", 'say "hi"', "back\\slash")),
    col(FLOAT).isnull() | (col(TEXT) == ""),
]


def _same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=1e-9)


def test_the_probe_counts_on_spark_connect(engine: mp.Probe) -> None:
    assert "rows in a Spark DataFrame" in repr(engine)
    assert type(engine._backend._engine.session).__module__ == "pyspark.sql.connect.session"
    assert engine.n_rows == 800
    source = (
        engine._backend._engine
    )  # Spark Connect's errors are not py4j's; they become MlprobeError too
    with pytest.raises(mp.MlprobeError, match=r"Spark failed: AnalysisException: \[UNRESOLVED"):
        source.rows(exp.select(exp.column("no_such_column")).from_(source.source()), [])


def test_breakdowns_match(memory: mp.Probe, engine: mp.Probe) -> None:
    metrics = ["accuracy", "macro_f1", "recall[dog]"]
    for by in (FLAG, [TEXT, FLAG]):
        _same(
            engine.breakdown(by=by, slices=SLICES, metrics=metrics),
            memory.breakdown(by=by, slices=SLICES, metrics=metrics),
        )


def test_confusions_match(memory: mp.Probe, engine: mp.Probe) -> None:
    for s in [None, *SLICES]:
        _same(engine.confusion(s, model="v1"), memory.confusion(s, model="v1"))
    _same(engine.confusion(SLICES[2], model="v2"), memory.confusion(SLICES[2], model="v2"))


def test_comparisons_match(memory: mp.Probe, engine: mp.Probe) -> None:
    _same(engine.compare("v1", "v2", by=FLAG), memory.compare("v1", "v2", by=FLAG))
    _same(
        engine.compare("v1", "v2", by=TEXT, slices=SLICES[:2]),
        memory.compare("v1", "v2", by=TEXT, slices=SLICES[:2]),
    )


def test_probes_on_one_session_keep_to_their_own_views(connect) -> None:  # type: ignore[no-untyped-def]
    """Two probes on one Connect session read their own rows; the user's views stay theirs."""
    from engines.test_duckdb import _labels_frame

    frames = [_labels_frame(1, 200, 0.9), _labels_frame(2, 300, 0.6)]
    connect.createDataFrame(_labels_frame(4, 50, 0.2)).createOrReplaceTempView("mlprobe_source")
    probes = [
        mp.Probe.from_spark(connect.createDataFrame(f), target="y", predictions="p") for f in frames
    ]
    views = [p._backend._engine.view for p in probes]  # type: ignore[attr-defined]
    assert len(set(views)) == 2 and "mlprobe_source" not in views
    for probe, frame in zip(probes, frames, strict=True):
        memory = mp.Probe(frame, target="y", predictions="p")
        assert probe.n_rows == len(frame)
        assert probe.metric("accuracy") == pytest.approx(memory.metric("accuracy"), rel=1e-12)
    assert connect.table("mlprobe_source").count() == 50
    del probes, probe  # the loop variable holds the last one
    gc.collect()
    assert not any(connect.catalog.tableExists(v) for v in views)
    connect.catalog.dropTempView("mlprobe_source")
