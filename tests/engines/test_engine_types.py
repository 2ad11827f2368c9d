"""Column types beyond text and numbers count the same on DuckDB as in memory.

Ordered categoricals compare by their declared order (as pandas users expect), from a pandas
table (a DuckDB ENUM) and from Parquet written by pandas (DuckDB reads text; the order comes
from the file's Arrow schema). Unordered text compares as text. Timestamps with and without a
time zone compare with date literals; booleans and nullable dtypes (Int64, boolean with NA,
string[pyarrow], string[python]) count as in memory. DATE columns are timestamps at midnight;
ordered categoricals of numbers compare by their declared order too.
"""

from __future__ import annotations

import functools
import operator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlprobe as mp
from mlprobe.core.slicing.predicates import Between, Compare, IsIn, IsNull, Not, NotNull, Predicate
from mlprobe.core.slicing.slices import Slice
from mlprobe.errors import ValidationError

pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

from mlprobe.engines.duckdb_source import column_kind
from mlprobe.engines.sql import compile_predicate

LEVELS = ["low", "mid", "high"]  # declared order differs from text order
TEXT_VALUES = ["b", "B", "a", "ab", "é", "Z", ""]
DATES = [
    "2024-01-01",
    "2024-01-02 05:00",
    "2024-01-03T23:30",
    "2024-01-02 00:00+00:00",
    "2024-01-02T12:00Z",
    "2024-01-04 00:00:00-05:00",
    "2023-12-31",
    "2024-02-01",
]
PREDICTIONS = {"p": "p"}


def types_frame(n: int = 600, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ordered = pd.Categorical(rng.choice(LEVELS, n), categories=LEVELS, ordered=True)
    ordered[rng.random(n) < 0.1] = np.nan
    unordered = pd.Categorical(rng.choice(TEXT_VALUES, n), categories=TEXT_VALUES)
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 4 * 24 * 60, n), "min")
    naive = pd.Series(stamps).mask(rng.random(n) < 0.1)
    zoned = pd.Series(stamps).dt.tz_localize("Europe/Paris").mask(rng.random(n) < 0.1)
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
            "c": ordered,
            "u": unordered,
            "t": naive,
            "tz": zoned,
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
def frame() -> pd.DataFrame:
    return types_frame()


@pytest.fixture(scope="module")
def memory(frame: pd.DataFrame) -> mp.Probe:
    return mp.Probe(frame, target="y", predictions=PREDICTIONS)


@pytest.fixture(scope="module")
def parquet(frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("types")
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 2)):
        frame.iloc[rows].to_parquet(folder / f"part-{i}.parquet")
    return str(folder / "*.parquet")


@pytest.fixture(scope="module", params=["frame", "parquet"])
def engine(request: pytest.FixtureRequest, frame: pd.DataFrame, parquet: str) -> mp.Probe:
    if request.param == "frame":
        return mp.Probe.from_duckdb(frame, target="y", predictions=PREDICTIONS)
    return mp.Probe.from_parquet(parquet, target="y", predictions=PREDICTIONS)


def assert_same_counts(memory: mp.Probe, engine: mp.Probe, predicates: list[Predicate]) -> None:
    slices = [Slice(f"s{i}", p) for i, p in enumerate(predicates)]
    counted = engine._backend._counts(  # type: ignore[attr-defined]
        slices, "p"
    )
    for s, table in zip(slices, counted.tables, strict=True):
        expected = memory.confusion(s, model="p").to_numpy()
        assert np.array_equal(table, expected), (
            f"{s.predicate}: engine {table.tolist()} memory {expected.tolist()}"
        )


def assert_same_metric(engine: mp.Probe, memory: mp.Probe, condition: str) -> None:
    got, expected = engine.metric("accuracy", condition), memory.metric("accuracy", condition)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, nan_ok=True), (condition, key)


def _leaves() -> st.SearchStrategy[Predicate]:
    ops = st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"])
    text = st.one_of(st.sampled_from([*TEXT_VALUES, "absent"]), st.text(max_size=2))
    per_column: list[tuple[str, st.SearchStrategy]] = [
        ("c", st.sampled_from(LEVELS)),
        ("u", text),
        ("t", st.sampled_from(DATES)),
        ("tz", st.sampled_from(DATES)),
        ("i", st.integers(-4, 4)),
        ("s", text),
        ("sp", text),
    ]
    leaves = []
    for column, values in per_column:
        leaves += [
            st.builds(Compare, st.just(column), ops, values),
            st.builds(IsIn, st.just(column), st.lists(values, max_size=3).map(tuple)),
            st.builds(Between, st.just(column), values, values),
        ]
    for column in ("c", "u", "t", "tz", "flag", "i", "b", "s", "sp"):
        leaves += [st.builds(IsNull, st.just(column)), st.builds(NotNull, st.just(column))]
    for column in ("flag", "b"):
        leaves.append(
            st.builds(Compare, st.just(column), st.sampled_from(["eq", "ne"]), st.booleans())
        )
    return st.one_of(leaves)


def _trees() -> st.SearchStrategy[Predicate]:
    def extend(children: st.SearchStrategy[Predicate]) -> st.SearchStrategy[Predicate]:
        groups = st.lists(children, min_size=2, max_size=3)
        return st.one_of(
            children.map(Not),
            groups.map(lambda ps: functools.reduce(operator.and_, ps)),
            groups.map(lambda ps: functools.reduce(operator.or_, ps)),
        )

    return st.recursive(_leaves(), extend, max_leaves=5)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_trees(), min_size=1, max_size=5))
def test_random_trees_over_typed_columns_count_as_in_memory(
    memory: mp.Probe, engine: mp.Probe, predicates: list[Predicate]
) -> None:
    assert_same_counts(memory, engine, predicates)


@pytest.mark.parametrize(
    "condition",
    [
        "c < 'mid'",
        "c <= 'mid'",
        "c > 'low'",
        "c >= 'high'",
        "c < 'low'",
        "not (c < 'low')",
        "c > 'high'",
        "c between 'low' and 'mid'",
        "c between 'high' and 'low'",
        "not (c >= 'mid')",
    ],
)
def test_ordered_categoricals_compare_by_declared_order(
    memory: mp.Probe, engine: mp.Probe, frame: pd.DataFrame, condition: str
) -> None:
    assert_same_metric(engine, memory, condition)


def test_the_issue_example_counts_the_low_rows_only(
    memory: mp.Probe, engine: mp.Probe, frame: pd.DataFrame
) -> None:
    low = int((frame["c"] == "low").sum())
    assert memory.metric("accuracy", "c < 'mid'")["n"] == low
    assert engine.metric("accuracy", "c < 'mid'")["n"] == low


def test_a_value_that_is_not_a_level_is_refused_everywhere(
    memory: mp.Probe, engine: mp.Probe
) -> None:
    for condition in ("c < 'medium'", "c between 'low' and 'x'"):
        with pytest.raises(ValidationError, match="not a level of the ordered column 'c'"):
            memory.metric("accuracy", condition)
        with pytest.raises(ValidationError, match="not a level of the ordered column 'c'"):
            engine.metric("accuracy", condition)


def test_unordered_text_compares_as_text(memory: mp.Probe, engine: mp.Probe) -> None:
    for condition in (
        "u < 'b'",
        "u >= 'B'",
        "s > 'a'",
        "s <= 'é'",
        "u between 'B' and 'ab'",
        "sp < 'b'",
        "not (sp >= 'ab')",
    ):
        assert_same_metric(engine, memory, condition)


def test_timestamp_columns_are_sliceable(memory: mp.Probe, engine: mp.Probe) -> None:
    kinds = engine._backend._kinds
    assert kinds["t"] == "timestamp" and kinds["tz"] == "timestamp"
    for condition in (
        "t < '2024-01-02'",
        "tz < '2024-01-02'",  # read in the column's zone (Europe/Paris), as in memory
        "tz >= '2024-01-02 00:00+00:00'",
        "t is null",
        "not (tz > '2024-01-03 12:00')",
        "t in ['2024-01-01 00:00']",
    ):
        assert_same_metric(engine, memory, condition)


def test_timestamp_literals_must_be_dates(memory: mp.Probe, engine: mp.Probe) -> None:
    for probe in (memory, engine):
        with pytest.raises(ValidationError, match="holds datetimes"):
            probe.metric("accuracy", "t < 3")
        with pytest.raises(ValidationError, match="holds datetimes"):
            probe.metric("accuracy", "tz < 'soon'")


def test_grouping_by_a_timestamp_is_refused_as_in_memory(
    memory: mp.Probe, engine: mp.Probe
) -> None:
    for probe in (memory, engine):
        with pytest.raises(ValidationError, match="cannot be grouped yet"):
            probe.breakdown(by="t")


def test_grouping_by_nullable_columns_is_the_same_table(memory: mp.Probe, engine: mp.Probe) -> None:
    # Int64 with NA included: both name its groups by the integers it holds (i == -3)
    for by in ("b", "s", "sp", "flag", "i", "c", "u"):
        pd.testing.assert_frame_equal(
            engine.breakdown(by=by, metrics=["accuracy"]),
            memory.breakdown(by=by, metrics=["accuracy"]),
            check_dtype=False,
        )


@pytest.mark.parametrize(
    ("sql_type", "kind"),
    [
        ("TIMESTAMP", "timestamp"),
        ("TIMESTAMP_NS", "timestamp"),
        ("TIMESTAMP_MS", "timestamp"),
        ("TIMESTAMP WITH TIME ZONE", "timestamp"),
        ("TIMESTAMPTZ", "timestamp"),
        ("ENUM('low', 'mid', 'high')", "text"),
        ("DATE", "timestamp"),
        ("TIME", None),
    ],
)
def test_duckdb_types_are_classified(sql_type: str, kind: str | None) -> None:
    assert column_kind(sql_type) == kind


def test_order_comparisons_compile_to_level_lists() -> None:
    from mlprobe.core.slicing.predicates import col
    from mlprobe.engines.sql import ColumnKinds

    kinds = ColumnKinds({"c": "text"}, levels={"c": ("low", "mid", "high")})
    compiled = compile_predicate(col("c") < "high", kinds)
    assert compiled.sql("duckdb") == '"c" IN (?, ?)'
    assert compiled.params == ["low", "mid"]
    nothing = compile_predicate(col("c") < "low", kinds)
    assert nothing.sql("duckdb") == '"c" <> "c"' and nothing.params == []


def test_parquet_ordered_categoricals_keep_their_order_across_a_glob(tmp_path: Path) -> None:
    levels = ["zeta", "alpha", "mid"]
    data = pd.DataFrame(
        {
            "c": pd.Categorical(["zeta", "alpha", "mid", "alpha"], categories=levels, ordered=True),
            "y": ["a", "b", "a", "b"],
            "p": ["a", "a", "a", "b"],
        }
    )
    data.to_parquet(tmp_path / "one.parquet")
    engine = mp.Probe.from_parquet(tmp_path / "one.parquet", target="y", predictions=PREDICTIONS)
    memory = mp.Probe(data, target="y", predictions=PREDICTIONS)
    for condition in ("c < 'mid'", "c > 'zeta'", "c <= 'alpha'"):
        assert_same_metric(engine, memory, condition)
    assert engine.metric("accuracy", "c > 'zeta'")["n"] == 3


# --- DATE columns: a timestamp at midnight, without a zone -------------------------------------

DATE_CONDITIONS = [
    "d >= '2024-01-02'",
    "d < '2024-01-02'",
    "d == '2024-01-02'",
    "d == '2024-01-02 05:00'",  # no date is at 05:00
    "d != '2024-01-03'",
    "d between '2024-01-01' and '2024-01-02'",
    "d in ['2024-01-01', '2024-01-03 00:00']",
    "d > '2024-01-01T23:00-02:00'",  # a zone: its UTC wall time, as numpy compares
    "not (d <= '2024-01-02')",
    "d is null",
    "d is not null and p == 'cat'",
]


def dates_frame(n: int = 300, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same rows twice: dates as ``datetime64`` (memory) and as ``datetime.date`` (DATE)."""
    rng = np.random.default_rng(seed)
    days = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 4, n), "D"))
    days = days.mask(rng.random(n) < 0.1)
    y = rng.choice(["cat", "dog"], n)
    p = np.where(rng.random(n) < 0.7, y, np.where(y == "cat", "dog", "cat"))
    memory = pd.DataFrame({"d": days, "y": y, "p": p})
    as_dates = memory.assign(d=[None if pd.isna(v) else v.date() for v in days])
    return memory, as_dates


@pytest.fixture(scope="module")
def date_probes(tmp_path_factory: pytest.TempPathFactory) -> tuple[mp.Probe, list[mp.Probe]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    memory, as_dates = dates_frame()
    table = pa.Table.from_pandas(as_dates, preserve_index=False)
    assert table.schema.field("d").type == pa.date32()
    path = tmp_path_factory.mktemp("dates") / "dates.parquet"
    pq.write_table(table, path)
    engines = [
        mp.Probe.from_parquet(path, target="y", predictions=PREDICTIONS),
        mp.Probe.from_duckdb(table, target="y", predictions=PREDICTIONS),
    ]
    return mp.Probe(memory, target="y", predictions=PREDICTIONS), engines


def test_date_columns_are_timestamps_at_midnight(
    date_probes: tuple[mp.Probe, list[mp.Probe]],
) -> None:
    memory, engines = date_probes
    for engine in engines:
        assert (
            engine._backend._engine.types["d"] == "DATE"
            and engine._backend._kinds["d"] == "timestamp"
        )
        for condition in DATE_CONDITIONS:
            assert_same_metric(engine, memory, condition)


def test_date_columns_refuse_as_in_memory(
    date_probes: tuple[mp.Probe, list[mp.Probe]],
) -> None:
    memory, engines = date_probes
    for probe in (memory, *engines):
        with pytest.raises(ValidationError, match="holds datetimes; 2024 is not a date"):
            probe.metric("accuracy", "d >= 2024")
        with pytest.raises(ValidationError, match="'d' holds datetimes, which cannot be grouped"):
            probe.breakdown(by="d")


# --- ordered categoricals of numbers: their declared order, as in memory -------------------------

NUMBER_LEVELS = [10, 2, 33]  # declared order differs from numeric order
FLOAT_LEVELS = [2.5, 0.5, 1.5]


def numeric_categories_frame(n: int = 400, seed: int = 13) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ints = pd.Categorical(rng.choice(NUMBER_LEVELS, n), categories=NUMBER_LEVELS, ordered=True)
    ints[rng.random(n) < 0.1] = np.nan
    floats = pd.Categorical(rng.choice(FLOAT_LEVELS, n), categories=FLOAT_LEVELS, ordered=True)
    small = pd.Categorical(rng.choice([1, 2, 3], n), ordered=True)  # numeric = declared order
    many = pd.Categorical(rng.integers(0, 14, n))  # unordered: more values than by= groups
    y = rng.choice(["cat", "dog"], n)
    return pd.DataFrame(
        {
            "ci": ints,
            "cf": floats,
            "c3": small,
            "cm": many,
            "y": y,
            "p": np.where(rng.random(n) < 0.7, y, np.where(y == "cat", "dog", "cat")),
        }
    )


@pytest.fixture(scope="module")
def numeric_categories() -> tuple[mp.Probe, list[mp.Probe]]:
    import pyarrow as pa

    frame = numeric_categories_frame()
    memory = mp.Probe(frame, target="y", predictions=PREDICTIONS)
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    engines = [
        mp.Probe.from_duckdb(frame, target="y", predictions=PREDICTIONS),
        mp.Probe.from_duckdb(arrow, target="y", predictions=PREDICTIONS),
    ]
    return memory, engines


@pytest.mark.parametrize(
    "condition",
    [
        "ci < 2",
        "ci <= 2",
        "ci > 10",
        "ci >= 33",
        "ci between 10 and 2",
        "ci between 2 and 10",
        "not (ci < 33)",
        "ci == 2",
        "ci in [10, 33]",
        "ci is null",
        "cf < 1.5",
        "cf >= 0.5",
        "c3 < 3",
        "c3 between 1 and 2",
        "cm < 7",
        "cm >= 3.5",
    ],
)
def test_ordered_categoricals_of_numbers_compare_by_declared_order(
    numeric_categories: tuple[mp.Probe, list[mp.Probe]], condition: str
) -> None:
    memory, engines = numeric_categories
    for engine in engines:
        assert_same_metric(engine, memory, condition)


def test_the_declared_order_of_numbers_is_not_numeric_order(
    numeric_categories: tuple[mp.Probe, list[mp.Probe]],
) -> None:
    memory, engines = numeric_categories
    frame = numeric_categories_frame()
    expected = int((frame["ci"] == 10).sum())  # only 10 comes before 2
    for probe in (memory, *engines):
        assert probe.metric("accuracy", "ci < 2")["n"] == expected


def test_numbers_that_are_not_levels_are_refused_everywhere(
    numeric_categories: tuple[mp.Probe, list[mp.Probe]],
) -> None:
    memory, engines = numeric_categories
    for probe in (memory, *engines):
        for condition in ("ci < 3", "cf between 0.5 and 2.0"):
            with pytest.raises(ValidationError, match="is not a level of the ordered column"):
                probe.metric("accuracy", condition)
        with pytest.raises(ValidationError, match="'ci'"):
            probe.metric("accuracy", "ci < 'low'")


def test_categoricals_of_numbers_group_per_level_as_in_memory(
    numeric_categories: tuple[mp.Probe, list[mp.Probe]],
) -> None:
    memory, engines = numeric_categories
    for engine in engines:
        for by in ("ci", "cf", "c3", "cm", ["ci", "c3"]):
            pd.testing.assert_frame_equal(
                engine.breakdown(by=by, metrics=["accuracy"]),
                memory.breakdown(by=by, metrics=["accuracy"]),
                check_dtype=False,
            )
        for probe in (memory, engine):
            with pytest.raises(ValidationError, match="is categorical, so it is grouped by level"):
                probe.breakdown(by="ci", bins=2)


def test_parquet_keeps_no_order_for_numbers_so_they_compare_as_read_back(tmp_path: Path) -> None:
    """Parquet keeps the levels of text categoricals only: numbers come back plain (from
    pandas.read_parquet too), and compare and group as numbers, as in memory on them."""
    frame = numeric_categories_frame()
    frame.to_parquet(tmp_path / "numbers.parquet")
    engine = mp.Probe.from_parquet(
        tmp_path / "numbers.parquet", target="y", predictions=PREDICTIONS
    )
    # nullable: the integer column with missing values stays integral (Int64), as in the file
    read_back = pd.read_parquet(tmp_path / "numbers.parquet", dtype_backend="numpy_nullable")
    assert not isinstance(read_back["ci"].dtype, pd.CategoricalDtype)
    memory = mp.Probe(read_back, target="y", predictions=PREDICTIONS)
    for condition in ("ci < 3", "ci >= 10", "cf < 1.5", "cm < 7"):
        assert_same_metric(engine, memory, condition)
    for by in ("ci", "cm"):
        pd.testing.assert_frame_equal(
            engine.breakdown(by=by, metrics=["accuracy"]),
            memory.breakdown(by=by, metrics=["accuracy"]),
            check_dtype=False,
        )


def test_date_objects_in_memory_are_dates_at_midnight_too(
    date_probes: tuple[mp.Probe, list[mp.Probe]],
) -> None:
    """A pandas column of ``datetime.date`` objects (object dtype) compares as the engines'
    DATE does, not as unordered values; the frame itself is left as it was."""
    _, as_dates = dates_frame()
    before = as_dates.copy()
    objects = mp.Probe(as_dates, target="y", predictions=PREDICTIONS)
    _, engines = date_probes
    for condition in DATE_CONDITIONS:
        assert_same_metric(engines[0], objects, condition)
    with pytest.raises(ValidationError, match="holds datetimes; 2024 is not a date"):
        objects.metric("accuracy", "d >= 2024")
    pd.testing.assert_frame_equal(as_dates, before)
