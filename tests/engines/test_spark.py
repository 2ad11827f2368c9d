"""The Spark engine (local mode) counts exactly what numpy and DuckDB count.

Skipped, with the reason, when pyspark or Java is missing; ``.ci/run`` installs both.
"""

from __future__ import annotations

import gc
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlprobe as mp
from engines.spark_required import skip_without_spark
from mlprobe.core.slicing.predicates import Predicate
from mlprobe.core.slicing.slices import Slice
from mlprobe.errors import ValidationError

skip_without_spark()

from engines.test_duckdb import FLAG, FLOAT, INT, TEXT, _trees  # noqa: E402
from engines.test_engine_metrics import (  # noqa: E402
    RANK_SCORES,
    RANK_SLICES,
    REGRESSION_METRICS,
    SLICES,
    assert_same,
    assert_same_rank_counts,
    assert_wide_counts_match,
    rank_frame,
    rank_memory,
    regression_frame,
    score_frame,
    wide_count_arrays,
)

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return awkward_frame()


def awkward_frame() -> pd.DataFrame:
    """Quotes, injection text, unicode, empty and missing text, NaN floats, three classes."""
    rng = np.random.default_rng(1)
    n = 800
    text = rng.choice(["O'Brien", "x' OR '1'='1", "ünï ✓", "", "a", "b", None], n).astype(object)
    hours = rng.normal(40, 10, n).round(1)
    hours[rng.random(n) < 0.1] = np.nan
    y = rng.choice(["cat", "dog", "eel"], n)
    other = np.where(y == "cat", "dog", "cat")
    return pd.DataFrame(
        {
            TEXT: text,
            FLOAT: hours,
            INT: rng.integers(-5, 6, n),
            FLAG: rng.random(n) < 0.3,
            "y": y,
            "v1": np.where(rng.random(n) < 0.8, y, other),
            "v2": np.where(rng.random(n) < 0.7, y, other),
        }
    )


@pytest.fixture(scope="module")
def memory(frame: pd.DataFrame) -> mp.Probe:
    return mp.Probe(frame, target="y", predictions={"v1": "v1", "v2": "v2"})


@pytest.fixture(scope="module")
def engine(spark, frame: pd.DataFrame) -> mp.Probe:  # type: ignore[no-untyped-def]
    dataframe = spark.createDataFrame(
        frame.astype({TEXT: object}).replace({np.nan: None}).assign(**{FLOAT: frame[FLOAT]})
    )
    return mp.Probe.from_spark(dataframe, target="y", predictions={"v1": "v1", "v2": "v2"})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_trees(max_leaves=5), min_size=1, max_size=8))
def test_random_predicate_trees_count_the_same_on_spark(
    memory: mp.Probe, engine: mp.Probe, predicates: list[Predicate]
) -> None:
    slices = [Slice(f"s{i}", p) for i, p in enumerate(predicates)]
    counted = engine._backend._counts(  # type: ignore[attr-defined]
        slices, "v1"
    )
    for s, table in zip(slices, counted.tables, strict=True):
        expected = memory.confusion(s, model="v1").to_numpy()
        assert np.array_equal(table, expected), (
            f"{s.predicate}: spark {table.tolist()} numpy {expected.tolist()}"
        )


def test_breakdowns_comparisons_and_suites_match(memory: mp.Probe, engine: mp.Probe) -> None:
    metrics = ["accuracy", "macro_f1", "recall[dog]"]
    slices = ["`hours per week` >= 45", "`dot.count` in [1, 2]"]
    pd.testing.assert_frame_equal(
        engine.breakdown(by=FLAG, slices=slices, metrics=metrics),
        memory.breakdown(by=FLAG, slices=slices, metrics=metrics),
        check_exact=False,
        rtol=1e-12,
    )
    pd.testing.assert_frame_equal(
        engine.compare("v1", "v2", by=FLAG),
        memory.compare("v1", "v2", by=FLAG),
        check_exact=False,
        rtol=1e-12,
    )
    suite = mp.Suite(
        "spark", [mp.SliceTest(id="hours", slice=slices[0], metric="accuracy", at_least=0.7)]
    )
    pd.testing.assert_frame_equal(
        suite.run(engine, model="v2").outcomes, suite.run(memory, model="v2").outcomes
    )


def test_a_non_spark_object_is_refused() -> None:
    with pytest.raises(mp.DataError, match="expected a pyspark DataFrame"):
        mp.Probe.from_spark(pd.DataFrame({"y": [1]}), target="y", predictions="y")


def test_the_cli_runs_suites_on_spark(frame: pd.DataFrame, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from mlprobe.cli import main

    data = tmp_path / "eval.parquet"
    frame.to_parquet(data)
    suite = tmp_path / "s.mlprobe.yaml"
    mp.Suite(
        "s",
        [mp.SliceTest(id="hours", slice="`hours per week` >= 45", metric="accuracy", at_least=0.5)],
    ).save(suite)
    args = ["test", str(suite), "--data", str(data), "--target", "y", "--predictions", "v1"]
    assert main([*args, "--engine", "spark"]) == main(args) == 0
    out = capsys.readouterr().out
    assert "in a Spark DataFrame" in out
    assert len(re.findall(r"passed +hours +accuracy +0.84", out)) == 2  # the same on both engines


def _spark_frame(spark, frame: pd.DataFrame):  # type: ignore[no-untyped-def]
    """A Spark DataFrame of ``frame``, NaN kept as NaN in float columns (read as missing)."""
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    return spark.createDataFrame(frame.astype(dict.fromkeys(text, object)))


def test_regression_and_binned_by_match(spark) -> None:  # type: ignore[no-untyped-def]
    frame = regression_frame(7, 600)
    predictions = {"v1": "v1", "v2": "v2"}
    memory = mp.Probe(frame, target="y", predictions=predictions)
    engine = mp.Probe.from_spark(_spark_frame(spark, frame), target="y", predictions=predictions)
    assert engine.task == "regression"
    # one call per engine query shape (Spark local mode takes ~1 s a query): R2 first asks for
    # centered sums of the slices, of all rows and of the complements
    assert_same(
        memory.breakdown(by=["g", "x"], bins=2, slices=SLICES, metrics=REGRESSION_METRICS),
        engine.breakdown(by=["g", "x"], bins=2, slices=SLICES, metrics=REGRESSION_METRICS),
    )
    assert_same(
        memory.compare("v1", "v2", by="g", metric="mae"),
        engine.compare("v1", "v2", by="g", metric="mae"),
    )


def test_probability_metrics_match(spark) -> None:  # type: ignore[no-untyped-def]
    classes = ["cat", "dog", "eel"]
    frame = score_frame(8, 600, classes)
    columns = {m: [f"{m}_p{c}" for c in classes] for m in ("v1", "v2")}
    predictions = {"v1": "v1", "v2": "v2"}
    memory = mp.Probe(
        frame,
        target="y",
        predictions=predictions,
        scores={m: frame[cs].to_numpy() for m, cs in columns.items()},
    )
    engine = mp.Probe.from_spark(
        _spark_frame(spark, frame), target="y", predictions=predictions, scores=columns
    )
    metrics = ["roc_auc", "log_loss", "brier", "roc_auc[dog]"]
    assert_same(
        memory.breakdown(by="g", slices=SLICES, metrics=metrics),
        engine.breakdown(by="g", slices=SLICES, metrics=metrics),
    )
    assert_same(
        memory.compare("v1", "v2", slices=SLICES, metric="log_loss"),
        engine.compare("v1", "v2", slices=SLICES, metric="log_loss"),
    )


def test_auc_counts_match_memory(spark) -> None:  # type: ignore[no-untyped-def]
    """AucCounts of slices (overlapping, one-row, empty, without positives), complements and all
    rows: the same numbers as in memory, from one query per class."""
    frame = rank_frame(9, 500)
    engine = mp.Probe.from_spark(
        _spark_frame(spark, frame),
        target="y",
        predictions={"v1": "v1", "v2": "v2"},
        scores=RANK_SCORES,
    )
    assert_same_rank_counts(rank_memory(frame), engine, RANK_SLICES, [0, 2])


def test_auc_counts_past_64_bits_match(spark) -> None:  # type: ignore[no-untyped-def]
    """DeLong's sums past 2^63: Spark's BIGINT would overflow, its DOUBLE does not."""
    arrays = wide_count_arrays(3_000_000)
    score = (
        "CAST(CASE WHEN id % 2 = 1 THEN (CASE WHEN id % 3 = 0 THEN 0.5 ELSE 1 END) "
        "ELSE (CASE WHEN id % 3 = 2 THEN 0.5 ELSE 0 END) END AS DOUBLE)"
    )
    dataframe = (
        spark.range(len(arrays["id"]))
        .selectExpr("id", "id % 2 AS y", f"{score} AS s")
        .selectExpr("id", "y", "CAST(s > 0.5 AS BIGINT) AS v", "s")
    )
    engine = mp.Probe.from_spark(dataframe, target="y", predictions="v", scores="s")
    assert_wide_counts_match(engine, arrays)


# --- probes sharing a session (issue 12) -----------------------------------------------------


def test_probes_on_one_session_each_read_their_own_rows(spark) -> None:  # type: ignore[no-untyped-def]
    from engines.test_duckdb import _labels_frame

    frames = [_labels_frame(1, 200, 0.9), _labels_frame(2, 300, 0.6)]
    theirs = spark.createDataFrame(_labels_frame(4, 50, 0.2))  # the same columns, other rows
    for name in ("mlprobe_source", "mlprobe_view_0", "mlprobe_view_1"):  # names used before
        theirs.createOrReplaceTempView(name)
    probes = [
        mp.Probe.from_spark(spark.createDataFrame(f), target="y", predictions="p") for f in frames
    ]
    views = [p._backend._engine.view for p in probes]  # type: ignore[attr-defined]
    assert len(set(views)) == 2
    assert all(re.fullmatch("mlprobe_source_[0-9a-f]{32}", v) for v in views)
    for probe, frame in zip(probes, frames, strict=True):  # the first one too
        memory = mp.Probe(frame, target="y", predictions="p")
        pd.testing.assert_frame_equal(
            probe.breakdown(by="g", metrics=["accuracy"]),
            memory.breakdown(by="g", metrics=["accuracy"]),
            check_exact=False,
            rtol=1e-12,
        )
    for name in ("mlprobe_source", "mlprobe_view_0", "mlprobe_view_1"):
        assert spark.table(name).count() == 50  # still the user's
    assert all(spark.catalog.tableExists(v) for v in views)
    del probes, probe  # the loop variable holds the last one
    gc.collect()
    assert not any(spark.catalog.tableExists(v) for v in views)  # dropped with their probes
    assert spark.table("mlprobe_source").count() == 50
    for name in ("mlprobe_source", "mlprobe_view_0", "mlprobe_view_1"):
        spark.catalog.dropTempView(name)


def test_a_view_name_in_use_is_never_taken(spark, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import uuid

    import mlprobe.engines.sql as sql
    from mlprobe.engines.spark_source import SparkSource

    taken, fresh = uuid.UUID(int=1), uuid.UUID(int=2)
    spark.range(7).createOrReplaceTempView(f"mlprobe_source_{taken.hex}")
    draws = iter([taken, fresh])
    monkeypatch.setattr(sql.uuid, "uuid4", lambda: next(draws))
    source = SparkSource(spark.range(3))
    assert source.view == f"mlprobe_source_{fresh.hex}"
    assert spark.table(f"mlprobe_source_{taken.hex}").count() == 7
    spark.catalog.dropTempView(f"mlprobe_source_{taken.hex}")


def test_duplicate_names_and_bins_without_by_are_refused_as_in_memory(  # type: ignore[no-untyped-def]
    spark, tmp_path
) -> None:
    """Issue 12: engines accepted two slices of one name and ignored bins= without by=; a
    slice named 'overall' was taken for the row of all rows (now: the is_overall flag)."""
    frame = pd.DataFrame({"y": [0, 1] * 20, "p": [0, 1, 1, 0] * 10, "g": list("ab") * 20})
    frame.to_parquet(tmp_path / "t.parquet")
    probes = [
        mp.Probe(frame, target="y", predictions="p"),
        mp.Probe.from_parquet(tmp_path / "t.parquet", target="y", predictions="p"),
        mp.Probe.from_spark(_spark_frame(spark, frame), target="y", predictions="p"),
    ]
    twice = ["g == 'a'", mp.Slice("g == 'a'", mp.col("g") == "b")]
    for probe in probes:
        with pytest.raises(ValidationError, match="two slices are named \"g == 'a'\""):
            probe.breakdown(slices=twice)
        with pytest.raises(ValidationError, match="two slices are named"):
            probe.breakdown(by="g", slices=["g == 'a'"])
        with pytest.raises(ValidationError, match="bins: applies to by= columns"):
            probe.breakdown(bins=3)
    # a slice may be named 'overall': the all-rows rows are known by their flag (issue 14)
    named = [mp.Slice("overall", mp.col("g") == "a")]
    tables = [p.breakdown(slices=named) for p in probes]
    for table in tables:
        assert table["slice"].tolist() == ["overall", "overall"]
        assert table["is_overall"].tolist() == [True, False] and table["n"].tolist() == [40, 20]
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(tables[0], tables[2], check_exact=False, rtol=1e-9)
