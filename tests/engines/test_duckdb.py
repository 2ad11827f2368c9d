"""The DuckDB engine counts exactly what numpy counts: random predicate trees, awkward names and values.

Every comparison is against the in-memory probe on the same rows, whose masks are themselves
tested against pandas; so a difference here is a compiler or engine bug.
"""

from __future__ import annotations

import functools
import gc
import operator
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlprobe as mp
from mlprobe.core.slicing.predicates import Between, Compare, IsIn, IsNull, Not, NotNull, Predicate
from mlprobe.core.slicing.slices import Slice

pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

from mlprobe.engines._counting import count_query
from mlprobe.engines.duckdb_source import DuckDBSource

TEXT = "a`b \"q\" 'name'"  # quotes and a backtick in a column name
FLOAT = "hours per week"
INT = "dot.count"
FLAG = "ünïcödé"
TEXT_VALUES = ["O'Brien", "x' OR '1'='1", "ünï ✓", "", "a", "b", 'say "hi"', "back\\slash"]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 3_000
    text = rng.choice([*TEXT_VALUES, None], n).astype(object)
    hours = rng.normal(40, 10, n).round(1)
    hours[rng.random(n) < 0.1] = np.nan
    y = rng.choice(["cat", "dog", "eel"], n)
    right = rng.random(n) < np.where(text == "a", 0.5, 0.85)
    other = np.where(y == "cat", "dog", "cat")
    return pd.DataFrame(
        {
            TEXT: text,
            FLOAT: hours,
            INT: rng.integers(-5, 6, n),
            FLAG: rng.random(n) < 0.3,
            "y": y,
            "v1": np.where(right, y, other),
            "v2": np.where(rng.random(n) < 0.8, y, other),
        }
    )


@pytest.fixture(scope="module")
def parquet(frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("eval")
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):  # a glob over files
        frame.iloc[rows].to_parquet(folder / f"part-{i}.parquet")
    return str(folder / "*.parquet")


@pytest.fixture(scope="module")
def memory(frame: pd.DataFrame) -> mp.Probe:
    return mp.Probe(frame, target="y", predictions={"v1": "v1", "v2": "v2"})


@pytest.fixture(scope="module")
def engine(parquet: str) -> mp.Probe:
    return mp.Probe.from_parquet(parquet, target="y", predictions={"v1": "v1", "v2": "v2"})


def _leaves() -> st.SearchStrategy[Predicate]:
    text_values = st.one_of(st.sampled_from([*TEXT_VALUES, "absent", "Z"]), st.text(max_size=3))
    numbers = st.one_of(
        st.integers(-7, 7), st.floats(-10, 70, allow_nan=False).map(lambda v: round(v, 1))
    )
    ops = st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"])
    per_column = [
        (TEXT, text_values),
        (FLOAT, numbers),
        (INT, numbers),
        ("y", st.sampled_from(["cat", "dog", "eel", "emu"])),
        ("@target", st.sampled_from(["cat", "dog", "eel"])),
        ("@prediction[v2]", st.sampled_from(["cat", "dog"])),
    ]
    leaves = []
    for column, values in per_column:
        leaves += [
            st.builds(Compare, st.just(column), ops, values),
            st.builds(IsIn, st.just(column), st.lists(values, max_size=3).map(tuple)),
            st.builds(Between, st.just(column), values, values),
        ]
    for column in (TEXT, FLOAT, INT, FLAG):
        leaves += [st.builds(IsNull, st.just(column)), st.builds(NotNull, st.just(column))]
    leaves.append(st.builds(Compare, st.just(FLAG), st.sampled_from(["eq", "ne"]), st.booleans()))
    return st.one_of(leaves)


def _trees(max_leaves: int = 6) -> st.SearchStrategy[Predicate]:
    def extend(children: st.SearchStrategy[Predicate]) -> st.SearchStrategy[Predicate]:
        groups = st.lists(children, min_size=2, max_size=3)
        return st.one_of(
            children.map(Not),
            groups.map(lambda ps: functools.reduce(operator.and_, ps)),
            groups.map(lambda ps: functools.reduce(operator.or_, ps)),
        )

    return st.recursive(_leaves(), extend, max_leaves=max_leaves)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_trees(), min_size=1, max_size=6))
def test_random_predicate_trees_count_the_same_on_duckdb_and_numpy(
    memory: mp.Probe, engine: mp.Probe, predicates: list[Predicate]
) -> None:
    slices = [Slice(f"s{i}", p) for i, p in enumerate(predicates)]
    counted = engine._backend._counts(  # type: ignore[attr-defined]
        slices, "v1"
    )
    for s, table in zip(slices, counted.tables, strict=True):
        expected = memory.confusion(s, model="v1").to_numpy()
        assert np.array_equal(table, expected), (
            f"{s.predicate}: duckdb {table.tolist()} numpy {expected.tolist()}"
        )
    assert np.array_equal(counted.overall_table, memory.confusion(model="v1").to_numpy())


def test_breakdowns_are_the_same_table(memory: mp.Probe, engine: mp.Probe) -> None:
    metrics = ["accuracy", "balanced_accuracy", "macro_f1", "recall[dog]", "precision[eel]"]
    slices = [
        "`hours per week` >= 45",
        f"`{TEXT.replace('`', '``')}` in ['a', 'b']",
        "not (`dot.count` > 0)",
    ]
    for by in (None, FLAG, [TEXT, FLAG]):
        expected = memory.breakdown(by=by, slices=slices, metrics=metrics)
        got = engine.breakdown(by=by, slices=slices, metrics=metrics)
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
        assert list(got.attrs["slices"]) == list(expected.attrs["slices"])


def test_confusion_metric_and_suites_match(
    memory: mp.Probe, engine: mp.Probe, tmp_path: Path
) -> None:
    chosen = mp.Slice.parse("`hours per week` is null or `dot.count` == 3", name="odd rows")
    for normalize in (None, "true", "pred", "all"):
        pd.testing.assert_frame_equal(
            engine.confusion(chosen, model="v2", normalize=normalize),
            memory.confusion(chosen, model="v2", normalize=normalize),
        )
    assert engine.metric("macro_f1", chosen, model="v1") == pytest.approx(
        memory.metric("macro_f1", chosen, model="v1")
    )
    suite = mp.Suite(
        "engines",
        [
            mp.SliceTest(id="odd", slice=chosen, metric="accuracy", at_least=0.7),
            mp.SliceTest(
                id="gap",
                slice=mp.Slice.parse(f"`{TEXT.replace('`', '``')}` == 'a'"),
                metric="recall[cat]",
                max_gap_to_overall=0.05,
            ),
        ],
    )
    ours = suite.run(engine, model="v1").outcomes
    theirs = suite.run(memory, model="v1").outcomes
    pd.testing.assert_frame_equal(ours, theirs)


@pytest.mark.parametrize("metric", ["accuracy", "macro_f1", "recall[eel]", "error_rate"])
def test_model_comparisons_and_flips_match(memory: mp.Probe, engine: mp.Probe, metric: str) -> None:
    slices = ["`hours per week` >= 45", "@target == 'eel'", "@prediction[v1] == 'dog'"]
    expected = memory.compare("v1", "v2", by=FLAG, slices=slices, metric=metric)
    got = engine.compare("v1", "v2", by=FLAG, slices=slices, metric=metric)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(engine.compare("v1", "v2"), memory.compare("v1", "v2"))
    for chosen in (None, "`dot.count` < 0"):
        pd.testing.assert_frame_equal(
            engine.flips("v1", "v2", slice=chosen), memory.flips("v1", "v2", slice=chosen)
        )
    with pytest.raises(mp.ValidationError, match="@prediction"):
        engine.compare("v1", "v2", slices=["@prediction == 'cat'"])


def test_a_pandas_table_works_too(frame: pd.DataFrame, memory: mp.Probe) -> None:
    probe = mp.Probe.from_duckdb(frame, target="y", predictions={"v1": "v1", "v2": "v2"})
    assert probe.n_rows == len(frame) and probe.classes == ["cat", "dog", "eel"]
    got = probe.breakdown(by=FLAG, metrics=["accuracy"], model="v2")
    pd.testing.assert_frame_equal(got, memory.breakdown(by=FLAG, metrics=["accuracy"], model="v2"))


def test_values_are_bound_parameters_never_sql() -> None:
    query, params = count_query(
        __import__("sqlglot").exp.to_table("t"),
        [Slice(None, mp.col("name") == "x' OR '1'='1"), Slice.parse('`we"ird` in []')],
        labels=["y", "p"],
        kinds={"name": "text", 'we"ird': "float", "y": "text", "p": "text"},
        aliases={},
    )
    sql = query.sql("duckdb")
    assert sql == (
        'SELECT "y", "p", COUNT(*) AS n, SUM(CASE WHEN "name" = ? THEN 1 ELSE 0 END) AS s0, '
        'SUM(CASE WHEN NULLIF("we""ird", CAST(\'NaN\' AS DOUBLE)) <> NULLIF("we""ird", '
        'CAST(\'NaN\' AS DOUBLE)) THEN 1 ELSE 0 END) AS s1 FROM t GROUP BY "y", "p"'
    )
    assert params == ["x' OR '1'='1"]
    assert "OR '1'" not in sql


def test_what_an_engine_cannot_do_says_so(engine: mp.Probe, parquet: str, tmp_path: Path) -> None:
    with pytest.raises(mp.MlprobeError, match="load the table into pandas"):
        engine.mask("`dot.count` > 0")
    with pytest.raises(mp.ColumnNotFoundError, match="Did you mean 'v1'"):
        mp.Probe.from_parquet(parquet, target="y", predictions="v11")
    with pytest.raises(mp.ColumnNotFoundError, match="Did you mean"):
        engine.breakdown(slices=["`hours per weak` > 3"])
    with pytest.raises(mp.ValidationError, match="holds float values"):
        engine.breakdown(slices=["`hours per week` == 'x'"])
    with pytest.raises(mp.DataError, match="no Parquet file"):
        mp.Probe.from_parquet(tmp_path / "missing.parquet", target="y", predictions="v1")
    with pytest.raises(mp.ColumnNotFoundError, match="scores column 'a'"):
        mp.Probe.from_parquet(parquet, target="y", predictions="v1", scores=["a", "b"])
    with pytest.raises(mp.ValidationError, match="task must be one of"):
        mp.Probe.from_parquet(parquet, target="y", predictions="v1", task="ranking")


# --- probes sharing a connection (issue 12) --------------------------------------------------


def _labels_frame(seed: int, n: int, accuracy: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.choice(["cat", "dog"], n)
    right = rng.random(n) < accuracy
    return pd.DataFrame(
        {
            "g": rng.choice(["a", "b"], n),
            "y": y,
            "p": np.where(right, y, np.where(y == "cat", "dog", "cat")),
        }
    )


def _registered(connection) -> set[str]:  # type: ignore[no-untyped-def]
    return {
        str(r[0]) for r in connection.execute("SELECT view_name FROM duckdb_views()").fetchall()
    }


def test_probes_on_one_connection_each_read_their_own_rows() -> None:
    import duckdb

    connection = duckdb.connect()
    frames = [_labels_frame(1, 300, 0.9), _labels_frame(2, 500, 0.6)]
    probes = [
        mp.Probe.from_duckdb(f, connection=connection, target="y", predictions="p") for f in frames
    ]
    memories = [mp.Probe(f, target="y", predictions="p") for f in frames]
    names = [p._backend._engine.view for p in probes]  # type: ignore[attr-defined]
    assert len(set(names)) == 2 and all(
        re.fullmatch("mlprobe_source_[0-9a-f]{32}", str(v)) for v in names
    )
    for probe, memory, frame in zip(probes, memories, frames, strict=True):  # the first one too
        assert probe.n_rows == len(frame)
        assert probe.metric("accuracy") == pytest.approx(memory.metric("accuracy"), rel=1e-12)
        pd.testing.assert_frame_equal(
            probe.breakdown(by="g", metrics=["accuracy"]),
            memory.breakdown(by="g", metrics=["accuracy"]),
            check_exact=False,
            rtol=1e-12,
        )
    assert probes[0].metric("accuracy")["value"] != probes[1].metric("accuracy")["value"]


def test_the_users_objects_on_the_connection_stay_intact() -> None:
    import duckdb

    connection = duckdb.connect()
    mine = _labels_frame(3, 400, 0.7)
    theirs = _labels_frame(4, 50, 0.2)  # the same columns: reading it would change the numbers
    connection.execute("CREATE TABLE mlprobe_source AS SELECT * FROM theirs")
    connection.execute("CREATE TEMP VIEW mlprobe_view_0 AS SELECT 1 AS x")
    connection.register("mlprobe_source_registered", theirs)
    before = connection.execute("SELECT * FROM mlprobe_source ORDER BY ALL").fetchall()
    probe = mp.Probe.from_duckdb(mine, connection=connection, target="y", predictions="p")
    assert probe.n_rows == len(mine)
    assert probe.metric("accuracy") == pytest.approx(
        mp.Probe(mine, target="y", predictions="p").metric("accuracy"), rel=1e-12
    )

    def intact() -> None:
        assert connection.execute("SELECT * FROM mlprobe_source ORDER BY ALL").fetchall() == before
        assert connection.execute("SELECT * FROM mlprobe_view_0").fetchall() == [(1,)]
        registered = connection.execute("SELECT count(*) FROM mlprobe_source_registered")
        assert registered.fetchone() == (50,)

    intact()  # visible by their names and unchanged, while the probe lives and after it is gone
    del probe
    gc.collect()
    intact()


def test_a_probes_registered_table_goes_with_it() -> None:
    import duckdb

    connection = duckdb.connect()
    connection.execute("CREATE TEMP VIEW users_view AS SELECT 1 AS x")
    before = _registered(connection)
    probe = mp.Probe.from_duckdb(
        _labels_frame(5, 100, 0.8), connection=connection, target="y", predictions="p"
    )
    name = probe._backend._engine.view  # type: ignore[attr-defined]
    assert _registered(connection) == {*before, name}
    del probe
    gc.collect()
    assert _registered(connection) == before
    connection.close()
    source = DuckDBSource(_labels_frame(5, 10, 0.8), connection=duckdb.connect())
    source.connection.close()
    del source  # unregistering on a closed connection is skipped, not raised
    gc.collect()


def test_a_name_in_use_is_never_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    import duckdb

    import mlprobe.engines.sql as sql

    taken, fresh = uuid.UUID(int=1), uuid.UUID(int=2)
    connection = duckdb.connect()
    connection.execute(f'CREATE TABLE "MLPROBE_SOURCE_{taken.hex.upper()}" AS SELECT 7 AS x')
    draws = iter([taken, fresh])
    monkeypatch.setattr(sql.uuid, "uuid4", lambda: next(draws))
    source = DuckDBSource(_labels_frame(6, 20, 0.5), connection=connection)
    assert source.view == f"mlprobe_source_{fresh.hex}"
    assert connection.execute(f"SELECT * FROM mlprobe_source_{taken.hex}").fetchall() == [(7,)]


def test_scores_outside_zero_one_are_refused_as_in_memory(tmp_path: Path) -> None:
    import mlprobe as mp
    from mlprobe.errors import DataError

    frame = pd.DataFrame({"y": [0, 1, 1, 0], "p": [0, 1, 0, 0], "s": [0.1, 2.5, 0.4, 0.2]})
    with pytest.raises(DataError, match=r"must lie in \[0, 1\], but s holds 2.5"):
        mp.Probe(frame, target="y", predictions="p", scores="s")
    frame.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(DataError, match=r"must lie in \[0, 1\], but s holds 2.5"):
        mp.Probe.from_parquet(tmp_path / "t.parquet", target="y", predictions="p", scores="s")


def test_labels_of_different_types_and_scores_not_summing_to_one_are_refused_as_in_memory(
    tmp_path: Path,
) -> None:
    import mlprobe as mp
    from mlprobe.errors import DataError, ValidationError

    text = pd.DataFrame({"y": ["0", "1", "1", "0"], "p": [0, 1, 0, 0]})
    text.to_parquet(tmp_path / "text.parquet")
    with pytest.raises(ValidationError, match="can never match the target"):
        mp.Probe(text, target="y", predictions="p")
    with pytest.raises(ValidationError, match="can never match the target"):
        mp.Probe.from_parquet(tmp_path / "text.parquet", target="y", predictions="p")
    scores = pd.DataFrame(
        {
            "y": ["a", "b", "c"],
            "p": ["a", "b", "b"],
            "s_a": [0.5, 0.2, 0.1],
            "s_b": [0.3, 0.7, 0.8],
            "s_c": [0.1, 0.1, 0.1],
        }
    )
    scores.to_parquet(tmp_path / "scores.parquet")
    columns = ["s_a", "s_b", "s_c"]
    with pytest.raises(DataError, match="must sum to 1"):
        mp.Probe(scores, target="y", predictions="p", scores=columns)
    with pytest.raises(DataError, match="must sum to 1"):
        mp.Probe.from_parquet(
            tmp_path / "scores.parquet", target="y", predictions="p", scores=columns
        )


def test_labels_with_no_value_in_common_are_refused_as_in_memory(tmp_path: Path) -> None:
    import mlprobe as mp
    from mlprobe.errors import ValidationError

    frame = pd.DataFrame({"y": ["<=50K", ">50K", ">50K"], "p": ["no", "yes", "no"]})
    frame.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(ValidationError, match="no value in common"):
        mp.Probe(frame, target="y", predictions="p")
    with pytest.raises(ValidationError, match=r"predictions in column 'p' .*no value in common"):
        mp.Probe.from_parquet(tmp_path / "t.parquet", target="y", predictions="p")


def test_an_interrupted_query_stays_an_interrupt() -> None:
    """Ctrl-C (DuckDB's InterruptException) is a KeyboardInterrupt, not a failure to report."""
    import threading

    import duckdb
    from sqlglot import exp

    connection = duckdb.connect()
    source = DuckDBSource(pd.DataFrame({"x": [1, 2, 3]}), connection=connection)
    slow = exp.select("count(*)").from_("range(10000000000) AS a(i)").where("i % 7 = 3")
    done = threading.Event()

    def press_ctrl_c() -> None:  # again and again: one press could land before the query starts
        while not done.wait(0.2):
            connection.interrupt()

    presser = threading.Thread(target=press_ctrl_c, daemon=True)
    presser.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            source.rows(slow, [])
    finally:
        done.set()
        presser.join()
    # a real failure still reads as mlprobe's, naming DuckDB's error
    with pytest.raises(mp.errors.MlprobeError, match=r"DuckDB failed: .*Error"):
        source.rows(exp.select("no_such_column").from_(source.source()), [])
