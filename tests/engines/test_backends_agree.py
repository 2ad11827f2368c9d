"""Issue 14 (part 7): every public question gives the same answer, or the same refusal, on every
backend, for random tables and random slices.

Hypothesis draws a table (text with missing values, integers, floats with NaN, booleans; binary
or three-class labels; two models), slices over its columns (including values a column lacks
and comparisons of the wrong type), and an argument set; the in-memory probe and the DuckDB
probe must then return equal frames or raise the same error class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import leaf_predicates, predicates

import mlprobe as mp
from mlprobe.core.slicing.predicates import Predicate
from mlprobe.errors import MlprobeError

pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

COLUMNS = ["t", "i", "f", "b"]
VALUES = st.one_of(
    st.sampled_from(["a", "b", "c", "zz", ""]),
    st.integers(-2, 5),
    st.sampled_from([0.5, 1.0, 2.5, -1.0]),
    st.booleans(),
)


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(20, 120))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    labels = draw(st.sampled_from([["no", "yes"], ["cat", "dog", "eel"]]))
    y = rng.choice(labels, n)
    flip = rng.random((2, n)) < np.array([[0.2], [0.35]])
    frame = pd.DataFrame(
        {
            "t": rng.choice(np.array(["a", "b", "c", None], dtype=object), n),
            "i": pd.array(rng.integers(0, 4, n), dtype="Int64"),
            "f": rng.normal(size=n).round(1),
            "b": rng.random(n) < 0.5,
            "y": y,
            "v1": np.where(flip[0], rng.choice(labels, n), y),
            "v2": np.where(flip[1], rng.choice(labels, n), y),
        }
    )
    frame.loc[rng.random(n) < 0.1, "f"] = np.nan
    frame.loc[rng.random(n) < 0.1, "i"] = pd.NA
    return frame


def _slices() -> st.SearchStrategy[list[Predicate]]:
    leaves = leaf_predicates(st.sampled_from(COLUMNS), VALUES)
    trees = predicates(st.sampled_from(COLUMNS), VALUES, max_leaves=3)
    return st.lists(st.one_of(leaves, trees), min_size=0, max_size=3)


def _outcome(call: Callable[[], Any]) -> Any:
    try:
        return ("ok", call())
    except MlprobeError as error:
        return ("refused", type(error).__name__, str(error))


def _assert_same(memory: Any, engine: Any) -> None:
    assert memory[0] == engine[0], (memory, engine)
    if memory[0] == "refused":  # the same error class; the wording may name more on one side
        assert memory[1] == engine[1], (memory, engine)
        return
    a, b = memory[1], engine[1]
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        np.testing.assert_allclose(list(a.values()), list(b.values()), rtol=1e-9, atol=1e-12)
    else:
        assert [s.name for s in a] == [s.name for s in b]


QUESTIONS: dict[str, Callable[[mp.Probe, list[Predicate], dict[str, Any]], Any]] = {
    "breakdown": lambda p, s, kw: p.breakdown(
        by=kw["by"], slices=s, metrics=kw["metrics"], model=kw["model"], min_support=kw["support"]
    ),
    "compare": lambda p, s, kw: p.compare(
        "v1", "v2", by=kw["by"], slices=s, metric=kw["metrics"][0], min_support=kw["support"]
    ),
    "metric": lambda p, s, kw: p.metric(
        kw["metrics"][0], s[0] if s else None, model=kw["model"] or "v1"
    ),
    "confusion": lambda p, s, kw: p.confusion(s[0] if s else None, model=kw["model"] or "v2"),
    "flips": lambda p, s, kw: p.flips("v1", "v2", slice=s[0] if s else None),
    "groups": lambda p, s, kw: p.groups(kw["by"] or "t"),
    "disparity": lambda p, s, kw: p.disparity(
        kw["by"] or "t", kw["metrics"], model=kw["model"], min_support=kw["support"]
    ),
}


#: what hypothesis draws for one question (shared with the Spark module, test_spark_agrees.py)
ARGUMENTS: dict[str, st.SearchStrategy[Any]] = {
    "frame": tables(),
    "slices": _slices(),
    "by": st.sampled_from([None, "t", "i", "b", ["t", "b"], "@target", "nope"]),
    "metrics": st.sampled_from(
        [
            ["accuracy"],
            ["recall[yes]", "accuracy"],
            ["macro_f1"],
            ["balanced_accuracy"],
            ["fpr[yes]", "selection_rate[yes]"],
            ["fnr"],  # no positive class among 'no', 'yes': refused alike
        ]
    ),
    "model": st.sampled_from([None, "v1", "v3"]),
    "support": st.sampled_from([0, 5, 30]),
}

PREDICTIONS = {"v1": "v1", "v2": "v2"}


def assert_answers_alike(
    engine_probe: Callable[[pd.DataFrame], mp.Probe],
    question: str,
    frame: pd.DataFrame,
    slices: list[Predicate],
    by: Any,
    metrics: list[str],
    model: str | None,
    support: int,
) -> None:
    """The in-memory probe and ``engine_probe(frame)`` answer ``question`` alike."""
    memory = mp.Probe(frame, target="y", predictions=PREDICTIONS)
    engine = engine_probe(frame)
    arguments = {"by": by, "metrics": metrics, "model": model, "support": support}
    named = [mp.Slice(None, p) for p in slices]
    ask = QUESTIONS[question]
    _assert_same(
        _outcome(lambda: ask(memory, named, arguments)),
        _outcome(lambda: ask(engine, named, arguments)),
    )


@pytest.mark.parametrize("question", sorted(QUESTIONS))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(**ARGUMENTS)
def test_every_backend_answers_alike(
    question: str,
    frame: pd.DataFrame,
    slices: list[Predicate],
    by: Any,
    metrics: list[str],
    model: str | None,
    support: int,
) -> None:
    assert_answers_alike(
        lambda f: mp.Probe.from_duckdb(f, target="y", predictions=PREDICTIONS),
        question,
        frame,
        slices,
        by,
        metrics,
        model,
        support,
    )
