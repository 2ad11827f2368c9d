"""Regression and probability metrics on DuckDB equal the in-memory probe's, to rounding.

The engine sums named row terms (errors, squared errors, log losses, ...) and ranks scores
in SQL; the in-memory probe sums numpy arrays whose metrics are checked against scikit-learn
(tests/core). Equal tables here mean the SQL terms and the rank query are right. The helpers
``assert_same_breakdowns`` and friends are reused by the Spark tests.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlprobe as mp

pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

from mlprobe.core.counting._group_stats import GroupStats
from mlprobe.core.counting.grouping import MaskSet
from mlprobe.core.slicing.slices import as_slice
from mlprobe.core.statistics.ranks import AucCounts, grouped_rank_counts
from mlprobe.engines import _row_sums as row_sums

REGRESSION_METRICS = ["r2", "mae", "mse", "rmse", "mean_error"]
SCORE_METRICS = ["roc_auc", "log_loss", "brier", "accuracy"]
# an empty slice, a slice of a few rows, overlapping slices
SLICES = ["x > 1.5", "x > 100", "x > 2.4", "g == 'a' or x < 0"]


def assert_same(memory: pd.DataFrame, engine: pd.DataFrame) -> None:
    """Equal frames: same columns, rows, text; numbers equal to 1e-9 relative (sums differ in order).

    The impact's interval combines the slice's and the rest's interval endpoints (MOVER); where an
    endpoint is clipped at a bound (an MSE of 0 on a few rows), rounding moves it by up to 1e-8.
    """
    loose = [c for c in ("impact_ci_low", "impact_ci_high") if c in memory]
    pd.testing.assert_frame_equal(
        memory.drop(columns=loose),
        engine.drop(columns=loose),
        check_exact=False,
        rtol=1e-9,
        atol=1e-12,
    )
    pd.testing.assert_frame_equal(memory[loose], engine[loose], check_exact=False, atol=1e-7)


def assert_same_breakdowns(
    memory: mp.Probe,
    engine: mp.Probe,
    metrics: list[str],
    *,
    by: str = "g",
    extra_slices: tuple[str, ...] = (),
) -> None:
    """Each metric in turn first (the one that gets gap and p-value vs the rest)."""
    slices = [*SLICES, *extra_slices]
    for first in metrics:
        chosen = [first, *(m for m in metrics if m != first)]
        assert_same(
            memory.breakdown(by=by, slices=slices, metrics=chosen),
            engine.breakdown(by=by, slices=slices, metrics=chosen),
        )


def assert_same_comparisons(
    memory: mp.Probe, engine: mp.Probe, metrics: list[str], *, by: str = "g"
) -> None:
    for metric in metrics:
        assert_same(
            memory.compare("v1", "v2", by=by, slices=["x > 1.5"], metric=metric),
            engine.compare("v1", "v2", by=by, slices=["x > 1.5"], metric=metric),
        )


def regression_frame(seed: int, n: int) -> pd.DataFrame:
    """Targets far from 0 (centering matters), a constant-target group, ties and outliers."""
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b", "c", "const"], n)
    y = np.where(g == "const", 1e6 + 0.5, rng.normal(1e6, 3.0, n).round(2))
    x = rng.normal(size=n).round(1)
    v1 = y + rng.normal(0, 1, n).round(1)
    v2 = y + np.where(rng.random(n) < 0.05, 40.0, rng.normal(0.3, 1.5, n))
    return pd.DataFrame({"g": g, "x": x, "y": y, "v1": v1, "v2": v2})


def score_frame(seed: int, n: int, classes: list[Any]) -> pd.DataFrame:
    """Probabilities with ties, exact 0 and 1 (clipped by log loss), and a weak slice."""
    rng = np.random.default_rng(seed)
    k = len(classes)
    y = rng.integers(0, k, n)
    frame = pd.DataFrame({"g": rng.choice(["a", "b", "c"], n), "x": rng.normal(size=n).round(1)})
    for model, skill in (("v1", 2.0), ("v2", 1.0)):
        logits = (
            rng.normal(size=(n, k)) + skill * np.eye(k)[y] * (frame["g"] != "c").to_numpy()[:, None]
        )
        proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        proba = proba.round(2)  # ties
        proba[:3] = np.eye(k)[(y[:3] + 1) % k]  # confidently wrong: p(true) = 0
        proba[3:6] = np.eye(k)[y[3:6]]  # confidently right: p(true) = 1
        proba /= proba.sum(axis=1, keepdims=True)
        frame[model] = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
        for c, label in enumerate(classes):
            frame[f"{model}_p{label}"] = proba[:, c]
    frame["y"] = np.asarray(classes, dtype=object)[y]
    if all(isinstance(c, int) for c in classes):
        frame = frame.astype({"y": "int64", "v1": "int64", "v2": "int64"})
    return frame


def engine_of(frame: pd.DataFrame, **kwargs: Any) -> mp.Probe:
    return mp.Probe.from_duckdb(frame, **kwargs)


# --- regression -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def regression() -> pd.DataFrame:
    return regression_frame(0, 2_000)


def test_regression_breakdowns_metrics_and_comparisons_match(
    regression: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "regression.parquet"
    regression.to_parquet(path)
    predictions = {"v1": "v1", "v2": "v2"}
    memory = mp.Probe(regression, target="y", predictions=predictions)
    engine = mp.Probe.from_parquet(path, target="y", predictions=predictions)
    assert engine.task == "regression" and engine.classes == [] and engine.n_rows == 2_000
    assert_same_breakdowns(
        memory, engine, REGRESSION_METRICS, extra_slices=("@prediction[v2] > 1000001",)
    )
    assert_same_comparisons(memory, engine, REGRESSION_METRICS)
    r2 = engine.breakdown(by="g", metrics=["r2"]).set_index(["slice", "model"])["r2"]
    assert np.isnan(r2[("g == 'const'", "v1")])  # a constant target has no R2, as in memory
    for metric in REGRESSION_METRICS:
        for where in (None, "g == 'b'", "x > 100"):
            got = engine.metric(metric, where, model="v2")
            want = memory.metric(metric, where, model="v2")
            assert got.keys() == want.keys()
            np.testing.assert_allclose(list(got.values()), list(want.values()), rtol=1e-9)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40))
def test_regression_matches_on_tiny_tables(seed: int, n: int) -> None:
    """One-row groups, single-row tables, constant targets: NaN where memory has NaN."""
    frame = regression_frame(seed, n)
    memory = mp.Probe(frame, target="y", predictions={"v1": "v1", "v2": "v2"}, task="regression")
    engine = engine_of(frame, target="y", predictions={"v1": "v1", "v2": "v2"}, task="regression")
    assert_same_breakdowns(memory, engine, ["r2", "mae", "mean_error"])
    assert_same_comparisons(memory, engine, ["mae", "r2"])


def test_regression_task_is_inferred_as_in_memory() -> None:
    frame = pd.DataFrame({"y": [1, 2, 3, 40], "p": [1.5, 2.0, 3.0, 41.0], "q": [1, 2, 3, 4]})
    assert engine_of(frame, target="y", predictions="p").task == "regression"
    assert mp.Probe(frame, target="y", predictions="p").task == "regression"
    many = pd.DataFrame({"y": np.arange(30), "p": np.arange(30)})
    with pytest.raises(mp.ValidationError, match="task='multiclass' or task='regression'"):
        engine_of(many, target="y", predictions="p")
    assert engine_of(many, target="y", predictions="p", task="regression").task == "regression"
    assert engine_of(many, target="y", predictions="p", task="multiclass").task == "multiclass"


# --- probabilities ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("classes", "two_columns"),
    [(["<=50K", ">50K"], False), ([0, 1], True), (["cat", "dog", "eel"], True)],
    ids=["binary-positive-column", "binary-int-two-columns", "multiclass"],
)
def test_probability_metrics_match(classes: list[Any], two_columns: bool) -> None:
    frame = score_frame(1, 1_500, classes)
    positive_only = len(classes) == 2 and not two_columns
    columns = {
        m: [f"{m}_p{c}" for c in (classes[1:] if positive_only else classes)] for m in ("v1", "v2")
    }
    memory_scores = {
        m: frame[cs].to_numpy() if not positive_only else frame[cs[0]].to_numpy()
        for m, cs in columns.items()
    }
    predictions = {"v1": "v1", "v2": "v2"}
    memory = mp.Probe(frame, target="y", predictions=predictions, scores=memory_scores)
    engine = engine_of(frame, target="y", predictions=predictions, scores=columns)
    metrics = [*SCORE_METRICS, *(f"roc_auc[{c}]" for c in classes[-2:])]
    on_prediction = f"@prediction[v2] == {classes[0]!r}"
    assert_same_breakdowns(memory, engine, metrics, extra_slices=(on_prediction,))
    assert_same_comparisons(memory, engine, ["log_loss", "brier", "roc_auc"])


def test_auc_matches_sklearn_on_a_slice_with_ties() -> None:
    from sklearn.metrics import roc_auc_score

    frame = score_frame(2, 600, ["no", "yes"])
    engine = engine_of(frame, target="y", predictions="v1", scores="v1_pyes")
    inside = frame[frame["g"] == "b"]
    got = engine.metric("roc_auc", "g == 'b'")["value"]
    assert got == pytest.approx(roc_auc_score(inside["y"] == "yes", inside["v1_pyes"]), rel=1e-12)


def test_score_metrics_without_scores_and_bad_scores_say_so() -> None:
    frame = score_frame(3, 50, ["cat", "dog", "eel"])
    engine = engine_of(frame, target="y", predictions="v1")
    with pytest.raises(mp.ValidationError, match="scores"):
        engine.breakdown(metrics=["roc_auc"])
    with pytest.raises(mp.ValidationError, match=r"one probability column per class.*3 columns"):
        engine_of(frame, target="y", predictions="v1", scores=["v1_pcat", "v1_pdog"])
    with pytest.raises(mp.ValidationError, match="several models"):
        engine_of(frame, target="y", predictions={"a": "v1", "b": "v2"}, scores="v1_pcat")
    with pytest.raises(mp.ValidationError, match="'c' is not a model"):
        engine_of(frame, target="y", predictions={"a": "v1"}, scores={"c": "v1_pcat"})
    with pytest.raises(mp.ValidationError, match="scores column 'g' holds VARCHAR values"):
        engine_of(frame, target="y", predictions="v1", scores=["g", "v1_pdog", "v1_peel"])
    broken = frame.assign(v1_pcat=frame["v1_pcat"].where(frame.index != 7))
    with pytest.raises(mp.DataError, match=r"scores column 'v1_pcat' has 1 missing value"):
        engine_of(broken, target="y", predictions="v1", scores=["v1_pcat", "v1_pdog", "v1_peel"])


def test_bad_regression_input_says_so(regression: pd.DataFrame) -> None:
    gaps = regression.assign(y=regression["y"].where(regression.index % 100 != 0))
    with pytest.raises(mp.DataError, match=r"'y' has 20 missing value\(s\) \(NaN included\)"):
        engine_of(gaps, target="y", predictions="v1")
    with pytest.raises(mp.ValidationError, match="no class probabilities"):
        engine_of(regression, target="y", predictions="v1", scores="x")
    with pytest.raises(mp.ValidationError, match=r"needs numbers.*\['g'\]"):
        engine_of(regression, target="g", predictions="v1", task="regression")
    engine = engine_of(regression, target="y", predictions={"v1": "v1", "v2": "v2"})
    for call in (lambda: engine.confusion(model="v1"), lambda: engine.flips("v1", "v2")):
        with pytest.raises(mp.ValidationError, match="needs a classification probe"):
            call()


def test_a_regression_suite_runs_on_the_engine(regression: pd.DataFrame, tmp_path: Path) -> None:
    memory = mp.Probe(regression, target="y", predictions={"v1": "v1", "v2": "v2"})
    engine = engine_of(regression, target="y", predictions={"v1": "v1", "v2": "v2"})
    suite = mp.Suite(
        "regression",
        [
            mp.SliceTest(id="mae-a", slice="g == 'a'", metric="mae", at_most=1.0),
            mp.SliceTest(id="r2-b", slice="g == 'b'", metric="r2", at_least=0.99),
            mp.SliceTest(id="bias", slice="x > 0", metric="mean_error", max_gap_to_overall=0.5),
        ],
    )
    ours = suite.run(engine, model="v2").outcomes
    theirs = suite.run(memory, model="v2").outcomes
    pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-9)
    assert set(ours["outcome"]) <= {"passed", "failed", "inconclusive"}


# --- rank statistics (ROC AUC and DeLong's placement sums) ---------------------------------------

# overlapping slices, one-row slices, an empty slice, slices without positives (or negatives) of
# a class, and a slice of every row (its complement is empty)
RANK_SLICES = [
    "g == 'a'",
    "x > 0",
    "g == 'a' or x < 0",
    "x > 100",
    "id == 0",
    "id == 5",
    "id < 3",
    "@target == 'dog'",
    "@target != 'cat' and x > 0.5",
    "x > -100",
]


def rank_frame(seed: int, n: int) -> pd.DataFrame:
    """Three classes, scores rounded to 2 decimals (ties) and a row number to slice single rows."""
    return score_frame(seed, n, ["cat", "dog", "eel"]).assign(id=np.arange(n))


#: the score columns of ``rank_frame`` per model
RANK_SCORES = {m: [f"{m}_p{c}" for c in ("cat", "dog", "eel")] for m in ("v1", "v2")}


def rank_memory(frame: pd.DataFrame) -> mp.Probe:
    return mp.Probe(
        frame,
        target="y",
        predictions={"v1": "v1", "v2": "v2"},
        scores={m: frame[cs].to_numpy() for m, cs in RANK_SCORES.items()},
    )


def rank_probes(frame: pd.DataFrame) -> tuple[mp.Probe, mp.Probe]:
    engine = engine_of(frame, target="y", predictions={"v1": "v1", "v2": "v2"}, scores=RANK_SCORES)
    return rank_memory(frame), engine


def assert_same_rank_counts(
    memory: mp.Probe,
    engine: mp.Probe,
    slices: Sequence[str],
    class_indices: Sequence[int],
    *,
    model: str = "v1",
    batch: int | None = None,
    path: str = "sorted",
) -> None:
    """The engine's AucCounts of the slices, their complements and all rows equal the in-memory
    ones (``grouped_rank_counts``) field by field, exactly (integers below 2^53).

    ``path="sorted"``: DuckDB's one sorted stream per class for all slices
    (:mod:`mlprobe.engines._auc_merge`), also grouped by score first (``"sorted-grouped"``);
    ``"per-score"``: the per-score query with running sums that Spark runs, one per batch of
    slices and class."""
    chosen = [as_slice(s) for s in slices]
    stats = GroupStats(
        MaskSet([memory.mask(s, model=model) for s in chosen]), memory._backend.arrays(model)
    )
    source = engine._backend._engine
    run, stream, queries = source.rows, getattr(source, "batches", None), []
    if stream is None:  # Spark: the per-score query only
        path = "per-score"

    def rows(query: Any, params: list[Any]) -> list[tuple[Any, ...]]:
        if query.find(row_sums.exp.Window) is not None:
            queries.append(query)
        return run(query, params)

    def batches(query: Any, params: list[Any], size: int) -> Any:
        queries.append(query)
        return stream(query, params, min(size, 7))  # several batches, runs across them

    with pytest.MonkeyPatch.context() as patch:
        if batch is not None:
            patch.setattr(row_sums, "AUC_BATCH", batch)
        patch.setattr(source, "rows", rows)
        patch.setattr(source, "batches", None if path == "per-score" else batches, raising=False)
        patch.setattr(row_sums, "GROUP_TIES", 0 if path == "sorted-grouped" else 10**9)
        counted = engine._backend._counts(  # type: ignore[attr-defined]
            chosen, model
        )
        got = {
            (view, c): rows_of.auc(model, c)
            # the complement first: the query that answers it answers the other views too
            for c in class_indices
            for view, rows_of in (
                ("complement", counted.complement()),
                ("slices", counted),
                ("overall", counted.overall()),
            )
        }
    per_class = 1
    if path == "per-score":
        per_class = math.ceil(max(len(chosen), 1) / (batch or row_sums.AUC_BATCH))
    assert len(queries) == per_class * len(class_indices)
    for c in class_indices:
        for view, want in (
            ("complement", stats.rest().auc(c)),
            ("slices", stats.auc(c)),
            ("overall", stats.overall().auc(c)),
        ):
            assert isinstance(got[view, c], AucCounts)
            for field in dataclasses.fields(AucCounts):
                np.testing.assert_array_equal(
                    getattr(got[view, c], field.name),
                    getattr(want, field.name),
                    err_msg=f"{view} {field.name}, class {c}",
                )


PATHS = ["sorted", "sorted-grouped", "per-score"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("batch", [None, 3], ids=["one-batch", "batches-of-3"])
def test_auc_counts_match_memory(batch: int | None, path: str) -> None:
    memory, engine = rank_probes(rank_frame(5, 700))
    assert_same_rank_counts(memory, engine, RANK_SLICES, [0, 1, 2], batch=batch, path=path)
    assert_same_rank_counts(memory, engine, [], [1], model="v2", path=path)  # all rows only


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30))
def test_auc_counts_match_memory_on_tiny_tables(seed: int, n: int) -> None:
    """Single-row tables, classes with no rows, few distinct scores."""
    frame = rank_frame(seed, n)
    # the first row's predictions name the classes its target does not: all three are known
    frame.loc[0, ["v1", "v2"]] = [c for c in ("cat", "dog", "eel") if c != frame.at[0, "y"]]
    memory, engine = rank_probes(frame)
    for path in PATHS:
        assert_same_rank_counts(memory, engine, RANK_SLICES, [0, 2], batch=4, path=path)


def wide_count_arrays(n: int) -> dict[str, np.ndarray]:
    """Half the rows positive, three tied scores, positives mostly above negatives: at 3e6 rows
    DeLong's sums of all rows pass 2^63."""
    ids = np.arange(n)
    y = ids % 2
    scores = np.where(y == 1, np.array([0.5, 1.0, 1.0])[ids % 3], np.array([0, 0, 0.5])[ids % 3])
    return {"id": ids, "y": y, "v": (scores > 0.5).astype(np.int64), "s": scores}


WIDE_SLICES = ["id < 1000000", "id >= 2500000"]


def assert_wide_counts_match(engine: mp.Probe, arrays: dict[str, np.ndarray]) -> None:
    """Sums past 2^63 (the engine sums the squares in DOUBLE): equal to numpy's to rounding."""
    model = engine.models[0]
    masks = [arrays["id"] < 1_000_000, arrays["id"] >= 2_500_000]
    counted = engine._backend._counts(  # type: ignore[attr-defined]
        [as_slice(s) for s in WIDE_SLICES], model
    )
    order = np.argsort(arrays["s"], kind="stable")
    for view, group_masks, rows in (
        ("slices", masks, counted),
        ("complement", [~m for m in masks], counted.complement()),
        ("overall", [np.ones(len(order), dtype=bool)], counted.overall()),
    ):
        # each group's rows in score order, group after group
        sorted_rows = np.concatenate([order[m[order]] for m in group_masks])
        groups = np.concatenate([np.full(m.sum(), g) for g, m in enumerate(group_masks)])
        want = grouped_rank_counts(
            sorted_rows, groups, len(group_masks), arrays["s"], arrays["y"] == 1
        )
        got = rows.auc(model, 1)
        for field in dataclasses.fields(AucCounts):
            np.testing.assert_allclose(
                getattr(got, field.name), getattr(want, field.name), rtol=1e-12, err_msg=view
            )
    # the last view, all rows
    assert min(got.positive_squares[0], got.negative_squares[0]) > 2**63


def test_auc_counts_past_64_bits_match() -> None:
    arrays = wide_count_arrays(3_000_000)
    engine = engine_of(pd.DataFrame(arrays), target="y", predictions="v", scores="s")
    assert_wide_counts_match(engine, arrays)


# --- numeric by= --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def binned() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 3_000
    frame = pd.DataFrame(
        {
            "age": rng.integers(17, 90, n),
            "hours": rng.normal(40, 10, n).round(3),
            "few": rng.choice([1.0, 2.0, 3.5], n),
            "g": rng.choice(["a", "b"], n),
            "y": rng.choice(["no", "yes"], n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "hours"] = np.nan
    frame["v"] = np.where(rng.random(n) < 0.8, frame["y"], "no")
    return frame


@pytest.mark.parametrize(
    ("by", "bins"),
    [
        ("age", None),  # integral: quantile cuts rounded up
        ("hours", None),  # float with missing values: readable cuts and an "is null" group
        ("few", None),  # few values: a group per value, named as in memory (few == 1.0)
        ("hours", 3),
        ("age", [30, 60, 200]),  # an empty last bin is left out
        ("age", 1),
        ("hours", [-5, 0]),
        (["g", "age"], None),
        (["few", "hours"], [38]),  # crossed: only combinations that occur
    ],
)
def test_numeric_by_is_binned_as_in_memory(binned: pd.DataFrame, by: Any, bins: Any) -> None:
    memory = mp.Probe(binned, target="y", predictions="v")
    engine = engine_of(binned, target="y", predictions="v")
    assert [s.name for s in engine.groups(by, bins=bins)] == [
        s.name for s in memory.groups(by, bins=bins)
    ]
    assert_same(memory.breakdown(by=by, bins=bins), engine.breakdown(by=by, bins=bins))


def test_bad_bins_say_so(binned: pd.DataFrame) -> None:
    engine = engine_of(binned, target="y", predictions="v")
    with pytest.raises(mp.ValidationError, match="at least 1 bin"):
        engine.breakdown(by="age", bins=0)
    with pytest.raises(mp.ValidationError, match="increase strictly"):
        engine.breakdown(by="age", bins=[40, 30])
    with pytest.raises(mp.ColumnNotFoundError, match="Did you mean 'age'"):
        engine.breakdown(by="agee")
