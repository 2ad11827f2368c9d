"""find_slices on DuckDB: the in-memory result, with the engine doing the counting."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import mlprobe as mp
from mlprobe.core.slicing._discretize import ArrayNumbers
from mlprobe.engines._discovery_sql import EngineNumbers
from mlprobe.engines.duckdb_source import DuckDBSource
from mlprobe.engines.sql import column_ref
from mlprobe.errors import MlprobeError


def _table(seed: int, n: int, task: str = "binary") -> tuple[pd.DataFrame, dict[str, str]]:
    """A table with text (missing values), categorical, bool, int, float (NaN), a column
    dominated by zeros, and a model's outputs in columns ``p`` (and ``s``)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "east", "west", None], n),
            "plan": pd.Categorical(rng.choice(["free", "pro", "team"], n)),
            "flag": rng.random(n) < 0.3,
            "age": rng.integers(18, 80, n),
            "tenure": rng.exponential(3, n).round(int(rng.integers(0, 3))),
            "gain": np.where(rng.random(n) < 0.85, 0, rng.integers(1, 500, n)),
            "few": rng.choice([1.5, 2.5, 7.0], n),
        }
    )
    frame.loc[rng.random(n) < 0.05, "tenure"] = np.nan
    hard = ((frame["region"] == "south") & (frame["age"] >= 60)).to_numpy()
    if task == "regression":
        y = rng.normal(10, 2, n)
        frame["y"] = y
        frame["p"] = y + rng.normal(0, np.where(hard, 3.0, 1.0))
        return frame, {}
    k = 2 if task == "binary" else 3
    y = rng.integers(0, k, n)
    wrong = rng.random(n) < np.where(hard, 0.45, 0.12)
    p = np.where(wrong, (y + 1) % k, y)
    frame["y"] = y
    frame["p"] = p
    if k == 2:
        frame["s"] = np.clip(np.where(p == 1, 0.7, 0.3) + rng.normal(0, 0.1, n), 0.01, 0.99)
        return frame, {"s": "s"}
    raw = rng.dirichlet(np.ones(k), n) + 2 * np.eye(k)[p]
    scores = raw / raw.sum(axis=1, keepdims=True)
    for c in range(k):
        frame[f"s{c}"] = scores[:, c]
    return frame, {"s": [f"s{c}" for c in range(k)]}  # type: ignore[dict-item]


def _probes(frame: pd.DataFrame, scores: dict[str, object]) -> tuple[mp.Probe, mp.Probe]:
    score_columns = scores.get("s")
    names = [score_columns] if isinstance(score_columns, str) else list(score_columns or [])
    data = frame.drop(columns=["p", *names])
    in_memory_scores = None
    if names:
        values = frame[names].to_numpy()
        in_memory_scores = np.c_[1 - values, values] if len(names) == 1 else values
    memory = mp.Probe(data, target="y", predictions=frame["p"].to_numpy(), scores=in_memory_scores)
    engine = mp.Probe.from_duckdb(frame, target="y", predictions="p", scores=score_columns)
    return memory, engine


def _assert_same(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    assert [str(s) for s in ours["slice"]] == [str(s) for s in theirs["slice"]]
    assert ours.attrs == theirs.attrs
    assert ours["n"].tolist() == theirs["n"].tolist()
    for column in ["value", "overall", "gap", "ci_low", "ci_high", "p_value", "q_value", "score"]:
        np.testing.assert_allclose(
            theirs[column].to_numpy(float), ours[column].to_numpy(float), rtol=1e-9, atol=1e-12
        )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    task=st.sampled_from(["binary", "multiclass", "regression"]),
    metric_choice=st.integers(0, 2),
    max_conditions=st.integers(1, 3),
    top_k=st.integers(1, 8),
    bins=st.integers(2, 6),
    alpha=st.sampled_from([0.6, 0.9, 0.95]),
    min_support=st.sampled_from([None, 1, 10]),
    prune=st.booleans(),
)
def test_find_slices_on_duckdb_equals_in_memory(
    seed: int,
    task: str,
    metric_choice: int,
    max_conditions: int,
    top_k: int,
    bins: int,
    alpha: float,
    min_support: int | None,
    prune: bool,
) -> None:
    frame, scores = _table(seed, int(np.random.default_rng(seed).integers(40, 600)), task)
    memory, engine = _probes(frame, scores)
    metrics = {"regression": ["absolute_error", "squared_error"]}.get(
        task, ["error_rate", "log_loss", "brier"]
    )
    options = dict(
        metric=metrics[metric_choice % len(metrics)],
        max_conditions=max_conditions,
        top_k=top_k,
        bins=bins,
        alpha=alpha,
        min_support=min_support,
        prune=prune,
        progress=False,
    )
    _assert_same(memory.find_slices(**options), engine.find_slices(**options))


def test_adult_slices_are_the_same_on_duckdb_and_in_memory() -> None:
    adult = mp.datasets.load_adult()
    rng = np.random.default_rng(1)
    y = (adult["income"] == ">50K").astype(int).to_numpy()
    wrong = rng.random(len(adult)) < np.where(adult["age"] < 30, 0.25, 0.12)
    p = np.where(wrong, 1 - y, y)
    s = np.clip(np.where(p == 1, 0.75, 0.25) + rng.normal(0, 0.1, len(adult)), 0.01, 0.99)
    frame = adult.drop(columns=["income"]).assign(y=y, p=p, s=s)
    memory, engine = _probes(frame, {"s": "s"})
    for options in [{}, {"metric": "log_loss", "top_k": 20, "prune": False}]:
        found = memory.find_slices(progress=False, **options)
        assert len(found) > 0
        _assert_same(found, engine.find_slices(progress=False, **options))


def test_features_may_name_the_target_and_a_model_s_predictions() -> None:
    frame, scores = _table(3, 400, "multiclass")
    memory, engine = _probes(frame, scores)
    options = dict(features=["@target", "@prediction[model]", "age"], progress=False, prune=False)
    _assert_same(memory.find_slices(**options), engine.find_slices(**options))


@pytest.mark.parametrize(
    "options",
    [
        {"metric": "accuracy"},
        {"metric": "log_lose"},
        {"features": ["nope"]},
        {"features": []},
        {"bins": 1},
        {"bins": True},
        {"top_k": 0},
        {"max_conditions": 0},
        {"alpha": 1.5},
    ],
)
def test_the_same_inputs_are_refused_with_the_same_error(options: dict[str, object]) -> None:
    frame, scores = _table(0, 200)
    memory, engine = _probes(frame, scores)
    with pytest.raises(MlprobeError) as in_memory:
        memory.find_slices(progress=False, **options)
    with pytest.raises(MlprobeError) as on_engine:
        engine.find_slices(progress=False, **options)
    assert type(on_engine.value) is type(in_memory.value)


def test_dates_are_refused_as_features_and_left_out_by_default() -> None:
    frame, scores = _table(0, 200)
    frame["when"] = pd.date_range("2024-01-01", periods=len(frame), freq="h")
    memory, engine = _probes(frame, scores)
    _assert_same(memory.find_slices(progress=False), engine.find_slices(progress=False))
    for probe in (memory, engine):
        with pytest.raises(MlprobeError, match="dates"):
            probe.find_slices(features=["when"], progress=False)


def test_a_probe_without_scores_cannot_rank_by_log_loss_anywhere() -> None:
    frame, _ = _table(0, 200)
    memory, engine = _probes(frame.drop(columns=["s"]), {})
    for probe in (memory, engine):
        with pytest.raises(MlprobeError, match="probabilities"):
            probe.find_slices(metric="log_loss", progress=False)


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.integers(-5, 5).map(float),
            st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
            st.sampled_from([0.1, 0.2, 0.30000000000000004, 1e-300, 2.5]),
        ),
        min_size=1,
        max_size=60,
    ),
    above_first=st.booleans(),
)
@example(values=[0.0, 5e-324, 5e-324], above_first=True)  # a midpoint below every value
@example(values=[0.0, -5e-324], above_first=False)  # a midpoint of adjacent floats rounds
@example(values=[1.0, 1.0000000000000002, 1.0, 3.0], above_first=False)
def test_engine_lower_quantiles_are_numpy_s_exactly(values: list[float], above_first: bool) -> None:
    present = np.asarray(values)
    levels = np.linspace(0, 1, 8)[1:-1].tolist()
    above = float(present.min()) if above_first else None
    source = DuckDBSource(pd.DataFrame({"x": present}))
    kinds = source.kinds()
    numbers = EngineNumbers(source, column_ref("x", kinds), None, 7)
    expected = ArrayNumbers(present).lower_quantiles(levels, above)
    assert numbers.lower_quantiles(levels, above) == expected
    if above is not None and (present > above).any():
        assert numbers.smallest_above(above) == ArrayNumbers(present).smallest_above(above)


def test_each_level_of_the_search_is_one_grouping_sets_query() -> None:
    frame, scores = _table(5, 2_000)
    _, engine = _probes(frame, scores)
    source = engine._backend._engine
    queries: list[str] = []
    original = source.rows

    def counted(query, params):  # type: ignore[no-untyped-def]
        queries.append(query.sql("duckdb"))
        return original(query, params)

    source.rows = counted
    found = engine.find_slices(max_conditions=2, progress=False)
    grouped = [q for q in queries if "GROUPING SETS" in q]
    assert 1 <= len(grouped) <= 2 and found.attrs["evaluated"] > 0
    # bins: distinct values stepped for all number columns at once (bins + 1 scans), a few
    # scans per number column (quantiles, their check), two per text column (levels, order);
    # then the totals, rows shared by candidates, and the two levels' counts
    n_numbers, n_text, bins = 4, 3, 10
    assert len(queries) <= (bins + 1) + 6 * n_numbers + 2 * n_text + 8


def test_sums_of_a_planted_failure_are_found_on_a_parquet_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    frame, _ = _table(11, 5_000)
    path = tmp_path / "eval.parquet"
    frame.to_parquet(path)
    engine = mp.Probe.from_parquet(path, target="y", predictions="p", scores="s")
    found = engine.find_slices(progress=False, top_k=3)
    described = [*found["slice"], *(mp.Slice.parse(t) for also in found["also"] for t in also)]
    assert any({"region", "age"} <= set(s.predicate.columns()) for s in described)
    assert math.isfinite(found["q_value"].iloc[0])
