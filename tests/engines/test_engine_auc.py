"""Issue 18 (engines): exact ROC AUC from one sorted stream per class, the engine's own memory
limit, and the binned AUC (``auc_bins``) with its error bound.

DuckDB sorts narrow rows ``(score, positive, slice flags)`` once per class and numpy merges
them in batches (:mod:`mlprobe.engines._auc_merge`); the per-score query with running sums
(Spark's) stays as the other path. Both must give the in-memory numbers: values, intervals,
p-values, for slices with ties, one class only, no rows, more than 62 slices (two flag
columns), binary and multiclass (``roc_auc[c]`` and the macro mean).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.engines import _row_sums as row_sums
from mlprobe.errors import ValidationError

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

from engines.test_engine_metrics import assert_same  # noqa: E402

#: overlapping slices, an empty one, single rows, one with positives only, one with negatives only
SLICES = [
    "g in ['a']",
    "x > 0",
    "g == 'a' or x < 0",
    "x > 100",
    "id == 0",
    "id < 3",
    "@target == 1",
    "@target == 0 and x > 0",
    "not (g == 'b')",
]


def binary_frame(seed: int, n: int, decimals: int | None) -> pd.DataFrame:
    """A binary target, a score per row (rounded: ties), a weaker score on group 'c'."""
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b", "c"], n)
    y = (rng.random(n) < 0.35).astype(np.int64)
    logit = -0.5 + np.where(g == "c", 0.5, 2.0) * y + rng.normal(size=n)
    score = 1 / (1 + np.exp(-logit))
    if decimals is not None:
        score = score.round(decimals)
    score[:2] = [0.0, 1.0]
    return pd.DataFrame(
        {
            "g": g,
            "x": rng.normal(size=n).round(2),
            "id": np.arange(n),
            "y": y,
            "v1": (score > 0.5).astype(np.int64),
            "s": score,
        }
    )


def multiclass_frame(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    k = 3
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    proba = proba.round(3)
    proba /= proba.sum(axis=1, keepdims=True)
    frame = pd.DataFrame(
        {
            "g": rng.choice(["a", "b", "c"], n),
            "x": rng.normal(size=n).round(2),
            "id": np.arange(n),
            "y": y,
            "v1": proba.argmax(axis=1),
        }
    )
    for c in range(k):
        frame[f"p{c}"] = proba[:, c]
    return frame


@pytest.fixture(params=["sorted", "sorted-grouped", "per-score"])
def path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Which way the engine computes ROC AUC: the sorted stream (in batches of 5 rows, so
    tied runs cross them), the same grouped by score first, or the per-score query."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(row_sums, "STREAM_BATCH", 5)
        patch.setattr(row_sums, "GROUP_TIES", 0 if request.param == "sorted-grouped" else 10**9)
        if request.param == "per-score":
            patch.setattr("mlprobe.engines.duckdb_source.DuckDBSource.batches", None)
        yield request.param


@pytest.mark.parametrize("decimals", [2, None], ids=["ties", "continuous"])
def test_binary_auc_breakdowns_match_memory(path: str, decimals: int | None) -> None:
    frame = binary_frame(1, 600, decimals)
    memory = mp.Probe(frame, target="y", predictions="v1", scores=frame["s"].to_numpy())
    engine = mp.Probe.from_duckdb(frame, target="y", predictions="v1", scores="s")
    metrics = ["roc_auc", "roc_auc[0]", "log_loss"]
    for first in ("roc_auc", "roc_auc[0]"):
        chosen = [first, *(m for m in metrics if m != first)]
        assert_same(
            memory.breakdown(by="g", slices=SLICES, metrics=chosen),
            engine.breakdown(by="g", slices=SLICES, metrics=chosen),
        )
    assert memory.metric("roc_auc", "x > 0") == pytest.approx(
        engine.metric("roc_auc", "x > 0"), rel=1e-12, nan_ok=True
    )


def test_multiclass_auc_breakdowns_match_memory(path: str) -> None:
    frame = multiclass_frame(2, 500)
    columns = [f"p{c}" for c in range(3)]
    memory = mp.Probe(frame, target="y", predictions="v1", scores=frame[columns].to_numpy())
    engine = mp.Probe.from_duckdb(frame, target="y", predictions="v1", scores=columns)
    for metrics in (["roc_auc", "roc_auc[2]"], ["roc_auc[0]", "roc_auc"]):
        assert_same(
            memory.breakdown(by="g", slices=SLICES[:4], metrics=metrics),
            engine.breakdown(by="g", slices=SLICES[:4], metrics=metrics),
        )


def test_more_slices_than_one_flag_column_holds(path: str) -> None:
    """70 slices: two 64-bit flag columns in the sorted stream."""
    frame = binary_frame(3, 400, 2)
    slices = [f"id >= {i * 5} and id < {i * 5 + 40}" for i in range(70)]
    memory = mp.Probe(frame, target="y", predictions="v1", scores=frame["s"].to_numpy())
    engine = mp.Probe.from_duckdb(frame, target="y", predictions="v1", scores="s")
    assert_same(
        memory.breakdown(slices=slices, metrics=["roc_auc"]),
        engine.breakdown(slices=slices, metrics=["roc_auc"]),
    )


def test_parquet_auc_matches_memory(tmp_path: Any) -> None:
    frame = binary_frame(4, 2_000, None)
    file = tmp_path / "eval.parquet"
    frame.to_parquet(file)
    memory = mp.Probe(frame, target="y", predictions="v1", scores=frame["s"].to_numpy())
    engine = mp.Probe.from_parquet(file, target="y", predictions="v1", scores="s")
    assert_same(
        memory.breakdown(slices=SLICES, metrics=["roc_auc", "brier"]),
        engine.breakdown(slices=SLICES, metrics=["roc_auc", "brier"]),
    )
    assert_same(
        memory.breakdown(by="g", metrics=["roc_auc"]),
        engine.breakdown(by="g", metrics=["roc_auc"]),
    )


# --- the engine's own memory limit ------------------------------------------------------------


def _setting(connection: Any, name: str) -> str:
    return str(connection.execute(f"SELECT current_setting('{name}')").fetchone()[0])


def _as_duckdb_shows(limit: str) -> str:
    """A memory limit as DuckDB shows it (e.g. '1GB' -> '953.6 MiB')."""
    reference = duckdb.connect()
    reference.execute(f"SET memory_limit = '{limit}'")
    return _setting(reference, "memory_limit")


def test_the_engines_own_connection_gets_a_memory_limit_and_a_spill_folder() -> None:
    from mlprobe.engines.duckdb_source import DEFAULT_MEMORY_LIMIT, DuckDBSource

    frame = binary_frame(0, 50, 2)
    source = DuckDBSource(frame)
    assert DEFAULT_MEMORY_LIMIT == "1GB"
    assert _setting(source.connection, "memory_limit") == _as_duckdb_shows("1GB")
    spill = Path(_setting(source.connection, "temp_directory"))
    assert spill.name.startswith("mlprobe-duckdb-") and spill.is_dir()
    limited = DuckDBSource(frame, memory_limit="2GB")
    assert _setting(limited.connection, "memory_limit") == _as_duckdb_shows("2GB")
    probe = mp.Probe.from_duckdb(frame, target="y", predictions="v1", memory_limit="512MB")
    engine = probe._backend._engine  # type: ignore[attr-defined]
    assert _setting(engine.connection, "memory_limit") == _as_duckdb_shows("512MB")
    del source, limited  # the spill folder goes with its source
    gc.collect()
    assert not spill.exists()


def test_a_users_connection_keeps_its_settings() -> None:
    connection = duckdb.connect()
    before = {n: _setting(connection, n) for n in ("memory_limit", "temp_directory")}
    frame = binary_frame(0, 50, 2)
    probe = mp.Probe.from_duckdb(frame, target="y", predictions="v1", connection=connection)
    probe.breakdown(by="g")
    assert {n: _setting(connection, n) for n in before} == before
    with pytest.raises(ValidationError, match="memory_limit: applies to the connection"):
        mp.Probe.from_duckdb(
            frame, target="y", predictions="v1", connection=connection, memory_limit="2GB"
        )


@pytest.mark.parametrize("bad", ["lots", "2 GBs", 2, "", "1GB; DROP TABLE x"])
def test_a_bad_memory_limit_says_so(bad: Any) -> None:
    with pytest.raises(ValidationError, match="memory_limit: expected a size"):
        mp.Probe.from_duckdb(binary_frame(0, 20, 2), target="y", predictions="v1", memory_limit=bad)


def test_a_small_memory_limit_spills_and_gives_the_same_auc(tmp_path: Any) -> None:
    frame = binary_frame(5, 300_000, None)
    file = tmp_path / "eval.parquet"
    frame.to_parquet(file)
    kwargs: dict[str, Any] = {"target": "y", "predictions": "v1", "scores": "s"}
    roomy = mp.Probe.from_parquet(file, **kwargs).breakdown(slices=SLICES, metrics=["roc_auc"])
    tight = mp.Probe.from_parquet(file, memory_limit="20MB", **kwargs)
    assert_same(roomy, tight.breakdown(slices=SLICES, metrics=["roc_auc"]))


# --- auc_bins ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 1, -5, 2.5, True, "100"])
def test_bad_auc_bins_say_so(bad: Any) -> None:
    frame = binary_frame(0, 20, 2)
    with pytest.raises(ValidationError, match="auc_bins: expected a whole number"):
        mp.Probe.from_duckdb(frame, target="y", predictions="v1", scores="s", auc_bins=bad)


def test_auc_bins_in_memory_is_refused_clearly() -> None:
    frame = binary_frame(0, 20, 2)
    with pytest.raises(ValidationError, match="auc_bins: binned ROC AUC is an option of the"):
        mp.Probe(frame, target="y", predictions="v1", scores=frame["s"].to_numpy(), auc_bins=10)


def _binned(scores: np.ndarray, bins: int) -> np.ndarray:
    return np.clip(np.floor(scores * bins), 0, bins - 1) / bins


@pytest.mark.parametrize("bins", [2, 7, 50, 1000])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binned_auc_is_within_its_bound_of_the_exact_one(path: str, bins: int, seed: int) -> None:
    """The binned AUC is the exact AUC of the binned scores (ties half), and the exact AUC of
    the unbinned scores lies within the reported bound, for slices, rests and all rows."""
    frame = binary_frame(seed, 800, None)
    exact = mp.Probe.from_duckdb(frame, target="y", predictions="v1", scores="s")
    binned = mp.Probe.from_duckdb(
        frame, target="y", predictions="v1", scores="s", auc_bins=np.int64(bins)
    )
    of_bins = mp.Probe(
        frame, target="y", predictions="v1", scores=_binned(frame["s"].to_numpy(), bins)
    )
    slices = SLICES[:4] + SLICES[6:]
    want = exact.breakdown(slices=slices, metrics=["roc_auc"])
    got = binned.breakdown(slices=slices, metrics=["roc_auc"])
    assert_same(of_bins.breakdown(slices=slices, metrics=["roc_auc"]), got)
    bounds = binned._backend.auc_error_bounds()
    assert list(bounds.columns) == ["model", "class", "slice", "bound", "rest_bound"]
    # where users look: the breakdown's attrs
    pd.testing.assert_frame_equal(pd.DataFrame(got.attrs["auc_error_bounds"]), bounds)
    assert "auc_error_bounds" not in want.attrs  # exact: no bound
    assert bounds["slice"].tolist() == got["slice"].tolist()
    assert (bounds["class"] == 1).all() and (bounds["model"] == "model").all()
    defined = np.isfinite(want["roc_auc"].to_numpy())
    assert np.array_equal(defined, np.isfinite(bounds["bound"].to_numpy()))
    error = np.abs(got["roc_auc"].to_numpy() - want["roc_auc"].to_numpy())[defined]
    assert np.all(error <= bounds["bound"].to_numpy()[defined] + 1e-12)
    assert np.nanmax(bounds[["bound", "rest_bound"]].to_numpy()) <= 0.5
    if bins == 1000:  # few pairs share a bin of width 0.001
        assert bounds["bound"].iloc[0] < 0.01


def test_binned_rest_auc_is_within_its_bound() -> None:
    """The rest of a slice: its exact AUC (all rows but the slice's) within ``rest_bound``."""
    frame = binary_frame(7, 1_000, None)
    binned = mp.Probe.from_duckdb(frame, target="y", predictions="v1", scores="s", auc_bins=20)
    binned.breakdown(slices=["g == 'a'"], metrics=["roc_auc"])
    bound = binned._backend.auc_error_bounds()["rest_bound"].iloc[1]
    exact = mp.Probe.from_duckdb(frame, target="y", predictions="v1", scores="s")
    rest_exact = exact.metric("roc_auc", "not (g == 'a')")["value"]
    rest_binned = mp.Probe.from_duckdb(
        frame, target="y", predictions="v1", scores="s", auc_bins=20
    ).metric("roc_auc", "not (g == 'a')")["value"]
    assert 0 < bound < 0.5
    assert abs(rest_binned - rest_exact) <= bound + 1e-12


def test_without_auc_bins_no_bounds_are_reported() -> None:
    frame = binary_frame(0, 100, 2)
    probe = mp.Probe.from_duckdb(frame, target="y", predictions="v1", scores="s")
    probe.breakdown(by="g", metrics=["roc_auc"])
    assert probe._backend.auc_error_bounds().empty
