"""describe_column, rows, check_slice and mask on DuckDB, against the in-memory probe on the same rows.

What must be equal is equal (profiles; the columns, the errors-first order and the set of
rows wherever the rank is strict); where memory draws a random sample the engine draws a
seeded one of its own, so only its size and membership are checked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.errors import ColumnNotFoundError, MlprobeError, ValidationError

pytest.importorskip("duckdb")

N = 600


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, N)
    text = rng.choice(["b", "a", "c", "d"], N, p=[0.3, 0.3, 0.3, 0.1]).astype(object)
    text[rng.random(N) < 0.05] = None
    hours = rng.normal(40, 10, N).round(2)
    hours[rng.random(N) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "g": text,
            "size": pd.Categorical(
                rng.choice(["low", "mid", "high"], N),
                categories=["low", "mid", "high"],
                ordered=True,
            ),
            "shade": pd.Categorical(rng.choice(["red", "blue"], N)),
            "k": rng.integers(-3, 4, N),
            "hours": hours,
            "flag": rng.random(N) < 0.5,  # ties between False and True are possible
            "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, N), unit="D"),
            "when": (
                pd.Timestamp("2024-03-01", tz="Europe/Paris")
                + pd.to_timedelta(rng.integers(0, 10_000, N), unit="min")
            ),
            "y": y,
            "p": np.where(rng.random(N) < 0.75, y, 1 - y),
            # continuous scores: the confidence rank is strict
            "s": rng.random(N),
        }
    )


@pytest.fixture(scope="module")
def memory(frame: pd.DataFrame) -> mp.Probe:
    return mp.Probe(frame, target="y", predictions="p", scores="s")


@pytest.fixture(scope="module")
def engine(frame: pd.DataFrame) -> mp.Probe:
    return mp.Probe.from_duckdb(frame, target="y", predictions="p", scores="s")


# --- describe_column -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "column", ["g", "size", "shade", "k", "hours", "flag", "day", "when", "y", "s"]
)
def test_a_profile_equals_memory(memory: mp.Probe, engine: mp.Probe, column: str) -> None:
    assert engine.describe_column(column) == memory.describe_column(column)


@pytest.mark.parametrize("column", ["@target", "@prediction", "@prediction[model]"])
def test_a_label_profile_equals_memory(memory: mp.Probe, engine: mp.Probe, column: str) -> None:
    assert engine.describe_column(column) == memory.describe_column(column)


def test_ties_come_in_the_column_order_and_a_declared_order_wins() -> None:
    frame = pd.DataFrame(
        {
            "t": ["b", "a", "c", "a", "b", "c"],
            "o": pd.Categorical(
                ["z", "y", "z", "y", "x", "x"], categories=["z", "y", "x"], ordered=True
            ),
            "y": [1, 0, 1, 0, 1, 0],
        }
    )
    memory = mp.Probe(frame, target="y", predictions="y")
    engine = mp.Probe.from_duckdb(frame, target="y", predictions="y")
    assert engine.describe_column("t").levels == [("a", 2), ("b", 2), ("c", 2)]
    assert engine.describe_column("o").levels == [("z", 2), ("y", 2), ("x", 2)]
    for column in ("t", "o", "@target"):
        assert engine.describe_column(column) == memory.describe_column(column)


def test_profiles_on_parquet_equal_memory(frame: pd.DataFrame, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "eval.parquet"
    frame.to_parquet(path)
    memory = mp.Probe(pd.read_parquet(path), target="y", predictions="p", scores="s")
    engine = mp.Probe.from_parquet(path, target="y", predictions="p", scores="s")
    for column in ("g", "size", "k", "hours", "flag", "day", "when", "@target"):
        assert engine.describe_column(column) == memory.describe_column(column), column


def test_a_regression_label_profile_is_a_float_range(frame: pd.DataFrame) -> None:
    data = frame.assign(v=frame["k"] * 1.5, w=frame["k"] + 0.25)
    memory = mp.Probe(data, target="v", predictions="w")
    engine = mp.Probe.from_duckdb(data, target="v", predictions="w")
    for column in ("@target", "@prediction", "k"):
        assert engine.describe_column(column) == memory.describe_column(column)


def test_levels_are_bounded_and_an_id_column_lists_none() -> None:
    from mlprobe.engines._rows_sql import MAX_LEVELS, PREFIX_ROWS

    n = PREFIX_ROWS + 1_000
    frame = pd.DataFrame(
        {
            "id": [f"c{i:07d}" for i in range(n)],
            "few": [f"v{i % (MAX_LEVELS + 500):05d}" for i in range(n)],
            "y": np.arange(n) % 2,
        }
    )
    frame.loc[::10, "few"] = None
    engine = mp.Probe.from_duckdb(frame, target="y", predictions="y")
    ids = engine.describe_column("id")
    assert (ids.kind, ids.levels, ids.n_missing, ids.n_rows) == ("categorical", [], 0, n)
    few = engine.describe_column("few")
    memory = mp.Probe(frame, target="y", predictions="y").describe_column("few")
    assert few.n_missing == memory.n_missing
    assert few.levels == memory.levels[:MAX_LEVELS]  # the most frequent, exact counts
    assert sum(c for _, c in few.levels) < n - few.n_missing  # how a caller tells


def test_describe_refuses_an_unknown_column_as_memory(memory: mp.Probe, engine: mp.Probe) -> None:
    for probe in (memory, engine):
        with pytest.raises(ColumnNotFoundError, match="hourz"):
            probe.describe_column("hourz")


def test_a_profile_is_kept_and_handed_out_as_a_copy(engine: mp.Probe) -> None:
    first = engine.describe_column("g")
    first.levels.clear()
    assert engine.describe_column("g").levels


# --- rows ------------------------------------------------------------------------------------

SLICES = [None, "k >= 0", "g == 'a' and hours > 35", "@prediction == 1"]


def _keyed(rows: pd.DataFrame) -> list[tuple[object, ...]]:
    """The rows as tuples of the columns that tell them apart (row order kept)."""
    shown = rows[["g", "k", "hours", "s", "y", "p"]].astype(object)
    shown = shown.map(lambda v: "missing" if pd.isna(v) else str(v))
    return list(shown.itertuples(index=False, name=None))


@pytest.mark.parametrize("chosen", SLICES)
@pytest.mark.parametrize("n", [0, 7, 50, 10_000])
def test_rows_with_scores_equal_memory(
    memory: mp.Probe, engine: mp.Probe, chosen: str | None, n: int
) -> None:
    ours, theirs = engine.rows(chosen, n=n), memory.rows(chosen, n=n)
    assert list(ours.columns) == list(theirs.columns)
    assert list(ours.columns[:4]) == ["@target", "@prediction", "@correct", "@score"]
    assert (
        len(ours)
        == len(theirs)
        == min(
            n,
            int(
                memory.breakdown(slices=[chosen] if chosen else None, metrics=["accuracy"])[
                    "n"
                ].iloc[-1]
            ),
        )
    )
    # the confidence of the predicted class is continuous: the rank is strict, so the same
    # rows in the same order
    assert _keyed(ours) == _keyed(theirs)
    for column in ["@target", "@prediction", "@correct", "@score"]:
        assert ours[column].dtype == theirs[column].dtype, column
        assert ours[column].tolist() == theirs[column].tolist(), column


def test_rows_put_errors_first(engine: mp.Probe, memory: mp.Probe) -> None:
    rows = engine.rows("k >= 0", n=400)
    correct = rows["@correct"].to_numpy()
    assert not correct[: int((~correct).sum())].any()  # every error before every right row
    wrong = rows[~rows["@correct"]]
    assert wrong["@score"].is_monotonic_decreasing
    assert rows[rows["@correct"]]["@score"].is_monotonic_decreasing


def test_rows_of_an_empty_slice(engine: mp.Probe, memory: mp.Probe) -> None:
    ours, theirs = engine.rows("k > 100", n=5), memory.rows("k > 100", n=5)
    assert ours.empty and theirs.empty
    assert list(ours.columns) == list(theirs.columns)


def test_rows_without_scores_take_errors_first_then_a_seeded_sample(frame: pd.DataFrame) -> None:
    memory = mp.Probe(frame, target="y", predictions="p")
    engine = mp.Probe.from_duckdb(frame, target="y", predictions="p")
    ours, theirs = engine.rows("k >= 0", n=40), memory.rows("k >= 0", n=40)
    assert list(ours.columns) == list(theirs.columns) == [
        "@target", "@prediction", "@correct", *frame.columns
    ]  # fmt: skip
    assert len(ours) == 40 and not ours["@correct"].any()  # more than 40 errors in the slice
    in_slice = memory.rows("k >= 0", n=N)
    assert set(_keyed(ours)) <= set(_keyed(in_slice[~in_slice["@correct"]]))
    assert _keyed(engine.rows("k >= 0", n=40)) == _keyed(ours)  # the same call, the same rows
    assert _keyed(engine.rows("k >= 0", n=40, seed=1)) != _keyed(ours)
    everything = engine.rows("k >= 0", n=N, errors_first=False)
    assert sorted(_keyed(everything)) == sorted(_keyed(memory.rows("k >= 0", n=N)))


def test_rows_of_a_multiclass_probe_equal_memory(frame: pd.DataFrame) -> None:
    rng = np.random.default_rng(3)
    y = rng.choice(["cat", "dog", "eel"], N)
    scores = rng.dirichlet([1, 1, 1], N)
    predicted = np.array(["cat", "dog", "eel"])[scores.argmax(axis=1)]
    data = frame.drop(columns=["y", "p", "s"]).assign(
        y=y, p=predicted, s0=scores[:, 0], s1=scores[:, 1], s2=scores[:, 2]
    )
    memory = mp.Probe(data, target="y", predictions="p", scores=["s0", "s1", "s2"])
    engine = mp.Probe.from_duckdb(data, target="y", predictions="p", scores=["s0", "s1", "s2"])
    for chosen in (None, "@target == 'dog'", "g == 'b'"):
        ours, theirs = engine.rows(chosen, n=30), memory.rows(chosen, n=30)
        assert list(ours.columns) == list(theirs.columns)
        assert (
            ours.drop(columns=["day", "when", "size", "shade"])
            .reset_index(drop=True)
            .astype(str)
            .equals(
                theirs.drop(columns=["day", "when", "size", "shade"])
                .reset_index(drop=True)
                .astype(str)
            )
        )
    assert engine.describe_column("@target") == memory.describe_column("@target")


def test_rows_of_a_regression_probe_equal_memory(frame: pd.DataFrame) -> None:
    data = frame.assign(v=frame["hours"].fillna(0) * 2, w=frame["s"] * 100)
    memory = mp.Probe(data, target="v", predictions="w")
    engine = mp.Probe.from_duckdb(data, target="v", predictions="w")
    for chosen in (None, "g == 'c'", "@target > 80"):
        ours, theirs = engine.rows(chosen, n=25), memory.rows(chosen, n=25)
        assert list(ours.columns[:3]) == ["@target", "@prediction", "@error"]
        assert list(ours.columns) == list(theirs.columns)
        for column in ["@target", "@prediction", "@error"]:
            assert ours[column].dtype == np.float64
            np.testing.assert_array_equal(ours[column].to_numpy(), theirs[column].to_numpy())
        assert ours["@error"].abs().is_monotonic_decreasing


def test_rows_of_two_models_use_the_named_model(frame: pd.DataFrame) -> None:
    data = frame.assign(q=1 - frame["p"])
    memory = mp.Probe(data, target="y", predictions={"a": "p", "b": "q"})
    engine = mp.Probe.from_duckdb(data, target="y", predictions={"a": "p", "b": "q"})
    for model in ("a", "b"):
        ours, theirs = engine.rows(model=model, n=N), memory.rows(model=model, n=N)
        assert ours["@prediction"].tolist().count(1) == theirs["@prediction"].tolist().count(1)
        assert ours["@correct"].sum() == theirs["@correct"].sum()


# --- check_slice and mask --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("hourz > 3", ColumnNotFoundError),
        ("g == 3", ValidationError),
        ("k == 'x'", ValidationError),
        ("size < 'huge'", ValidationError),
    ],
)
def test_check_slice_raises_what_memory_raises(
    memory: mp.Probe, engine: mp.Probe, text: str, error: type[Exception]
) -> None:
    for probe in (memory, engine):
        with pytest.raises(error):
            probe.check_slice(text)


def test_check_slice_passes_a_good_slice(memory: mp.Probe, engine: mp.Probe) -> None:
    for probe in (memory, engine):
        chosen = probe.check_slice("g == 'a' and @prediction == 1 and day >= '2024-02-01'")
        assert chosen.name == "g == 'a' and @prediction == 1 and day >= '2024-02-01'"


def test_mask_is_refused_with_the_reason_and_what_to_do(engine: mp.Probe) -> None:
    with pytest.raises(MlprobeError) as raised:
        engine.mask("k >= 0")
    text = str(raised.value)
    assert f"{N:,} rows" in text and "stays in the engine" in text
    for alternative in ("rows(", "breakdown(", "pandas"):
        assert alternative in text


def test_counts_are_kept_and_asked_once(engine: mp.Probe, memory: mp.Probe) -> None:
    backend = engine._backend
    calls = []
    original = backend._engine.rows

    def counting(query, params):  # type: ignore[no-untyped-def]
        calls.append(query)
        return original(query, params)

    backend._engine.rows = counting  # type: ignore[method-assign]
    try:
        slices = ["k >= 1", "g == 'b'"]
        first = engine.breakdown(slices=slices, metrics=["accuracy"])
        asked = len(calls)
        again = engine.breakdown(slices=slices, metrics=["recall[1]", "accuracy"])
        assert len(calls) == asked  # the same slices: nothing asked again
        engine.breakdown(slices=[*slices, "k >= 2"], metrics=["accuracy"])
        assert len(calls) == asked + 1  # only the new slice
    finally:
        del backend._engine.rows
    expected = memory.breakdown(slices=slices, metrics=["accuracy", "recall[1]"])
    pd.testing.assert_frame_equal(first, memory.breakdown(slices=slices, metrics=["accuracy"]))
    pd.testing.assert_frame_equal(
        again, memory.breakdown(slices=slices, metrics=["recall[1]", "accuracy"])
    )
    assert set(expected.columns) >= set(again.columns)


def test_many_groups_of_one_column_are_counted_by_one_group_by() -> None:
    rng = np.random.default_rng(5)
    n = 2_000
    frame = pd.DataFrame(
        {
            "code": rng.choice([*range(9), None], n).astype(object),
            "word": rng.choice([f"w{i}" for i in range(10)], n),
            "y": rng.integers(0, 3, n),
        }
    )
    frame["code"] = frame["code"].astype("Int64")
    frame["p"] = np.where(rng.random(n) < 0.7, frame["y"], (frame["y"] + 1) % 3)
    memory = mp.Probe(frame, target="y", predictions="p")
    engine = mp.Probe.from_duckdb(frame, target="y", predictions="p")
    backend = engine._backend
    calls = []
    original = backend._engine.rows

    def counting(query, params):  # type: ignore[no-untyped-def]
        calls.append(query.sql("duckdb"))
        return original(query, params)

    backend._engine.rows = counting  # type: ignore[method-assign]
    try:
        slices = [*engine.groups("word"), *engine.groups("code")]
        calls.clear()
        ours = engine.breakdown(slices=slices, metrics=["accuracy", "recall[2]"])
    finally:
        del backend._engine.rows
    assert len(calls) == 2 and all("GROUP BY" in c and "CASE" not in c for c in calls)
    theirs = memory.breakdown(slices=slices, metrics=["accuracy", "recall[2]"])
    pd.testing.assert_frame_equal(ours, theirs)


def test_on_parquet_ties_break_by_the_row_s_position(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every row its own place: the same call gives the same rows, a seed reshuffles them,
    and only a column's read, not a hash of every numeric column."""
    n = 2_000
    frame = pd.DataFrame(
        {
            "id": [
                f"r{i}" for i in range(n)
            ],  # text: not in the old hash, so rows only differ here
            "k": np.zeros(n),
            "y": np.zeros(n, dtype=int),
            "p": np.zeros(n, dtype=int),
        }
    )
    frame.loc[::3, "p"] = 1  # a third wrong; all ranks tie (no scores, equal values)
    path = tmp_path / "ties.parquet"
    frame.to_parquet(path)
    engine = mp.Probe.from_parquet(path, target="y", predictions="p")
    assert engine._backend._engine.row_position == ("file_index", "file_row_number")
    first = engine.rows(None, n=10, seed=1)
    assert first["id"].tolist() == engine.rows(None, n=10, seed=1)["id"].tolist()
    assert (~first["@correct"]).all()  # errors first
    assert first["id"].tolist() != engine.rows(None, n=10, seed=2)["id"].tolist()


def test_a_column_named_like_duckdb_s_row_numbers_is_not_taken_for_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({"file_row_number": [1, 1, 2], "y": [0, 1, 0], "p": [0, 0, 0]})
    path = tmp_path / "named.parquet"
    frame.to_parquet(path)
    engine = mp.Probe.from_parquet(path, target="y", predictions="p")
    assert engine._backend._engine.row_position == ()
    assert len(engine.rows(None, n=3)) == 3
