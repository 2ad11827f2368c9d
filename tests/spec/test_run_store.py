"""The run store (issue 17): every field round-trips, the schema is versioned and migrated,
writes are transactional, concurrent recorders lose nothing, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import mlprobe as mp
from mlprobe.spec import run_store
from mlprobe.spec.errors import RunStoreError
from mlprobe.spec.run_store import RunStore, data_fingerprint, definition_of, git_state


def _classification_probe() -> mp.Probe:
    rng = np.random.default_rng(7)
    n = 600
    frame = pd.DataFrame(
        {
            "g": rng.choice(["a", "b", "c"], n),
            "x": rng.normal(size=n),
            "y": rng.integers(0, 2, n),
        }
    )
    wrong = rng.random(n) < 0.2
    frame["p"] = np.where(wrong, 1 - frame["y"], frame["y"])
    frame["s"] = np.clip(frame["p"] * 0.7 + rng.random(n) * 0.3, 0, 1)
    return mp.Probe(frame, target="y", predictions="p", scores="s")


SUITE = mp.Suite(
    "store-suite",
    [
        mp.SliceTest(id="acc-a", slice="g == 'a'", metric="accuracy", at_least=0.7),
        mp.SliceTest(id="f1-b", slice="g == 'b'", metric="f1", at_least=0.5, confidence=0.9),
        mp.SliceTest(id="logloss", slice="x > 0", metric="log_loss", at_most=2.0),
        mp.SliceTest(id="auc-c", slice="g == 'c'", metric="auc", at_least=0.5),
        mp.SliceTest(id="tiny", slice="x > 3", metric="accuracy", at_least=0.5, min_support=50),
        mp.SliceTest(id="broken", slice="nope == 1", metric="accuracy", at_least=0.5),
        mp.GroupTest(id="g-fpr", by="g", metric="fpr", max_difference=0.2),
        mp.GroupTest(id="g-sel", by="g", metric="selection_rate", min_ratio=0.5),
    ],
)


def _raw(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url if "://" in url else f"sqlite:///{url}")
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def test_every_field_round_trips(store_url: str) -> None:
    probe = _classification_probe()
    result = SUITE.run(probe, record=store_url, version="v1")
    assert result.run_id == 1
    frame = mp.History(store_url).runs()
    assert list(frame.columns) == run_store_columns()
    assert len(frame) == len(SUITE.tests)
    rows, fingerprint = data_fingerprint(probe)
    for outcome, (_, row) in zip(result.items, frame.iterrows(), strict=True):
        test = SUITE[outcome.id]
        assert row["run_id"] == 1 and row["suite"] == "store-suite" and row["version"] == "v1"
        assert row["model"] == "model"
        assert row["recorded_at"].tzinfo is not None
        assert row["mlprobe_version"] == mp.__version__
        assert row["data_rows"] == rows == 600 and row["data_fingerprint"] == fingerprint
        assert row["test_id"] == outcome.id and row["kind"] == outcome.kind
        assert row["definition_hash"] == definition_of(test)[1]
        assert row["metric"] == outcome.metric and row["slice"] == outcome.slice
        assert row["outcome"] == outcome.outcome and row["reason"] == outcome.reason
        for name in ("observed", "ci_low", "ci_high", "threshold"):
            mine, stored = getattr(outcome, name), row[name]
            assert (math.isnan(mine) and math.isnan(stored)) or mine == stored, name
        assert row["confidence"] == (test.confidence or 0.95)
        assert (pd.isna(row["n"]) and outcome.n is None) or row["n"] == outcome.n
        assert row["higher_is_better"] is outcome.higher_is_better
        assert (math.isnan(row["ideal"]) and outcome.ideal is None) or row["ideal"] == outcome.ideal
        assert row["counts"] == outcome.counts
    by_id = frame.set_index("test_id")
    assert set(by_id.loc["acc-a", "counts"]) == {"successes", "trials"}
    assert np.asarray(by_id.loc["f1-b", "counts"]["table"]).shape == (2, 2)
    assert len(by_id.loc["logloss", "counts"]["power_sums"]) == 5
    assert by_id.loc["auc-c", "counts"] is None  # no sufficient counts: NULL
    assert by_id.loc["broken", "outcome"] == "error" and math.isnan(by_id.loc["broken", "observed"])
    assert by_id.loc["g-fpr", "higher_is_better"] is False  # a difference: lower is better
    assert by_id.loc["g-sel", "higher_is_better"] is True  # a ratio: higher is better
    # NaN is stored as NULL, never as a NaN float or text
    nulls = _raw(
        store_url,
        "SELECT observed, ci_low, ci_high, n, counts FROM mlprobe_outcomes WHERE test_id = 'broken'",
    )
    assert nulls == [(None, None, None, None, None)]


def run_store_columns() -> list[str]:
    from mlprobe.spec.history_store import RUN_COLUMNS

    return RUN_COLUMNS


def test_regression_counts_and_ideal(store_url: str) -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"g": rng.choice(["a", "b"], 300), "y": rng.normal(size=300)})
    frame["p"] = frame["y"] + rng.normal(scale=0.5, size=300)
    probe = mp.Probe(frame, target="y", predictions="p")
    suite = mp.Suite(
        "reg",
        [
            mp.SliceTest(id="mae-a", slice="g == 'a'", metric="mae", at_most=1.0),
            mp.SliceTest(id="bias-a", slice="g == 'a'", metric="mean_error", at_most=0.5),
        ],
    )
    suite.run(probe, record=store_url, version="v1")
    stored = mp.History(store_url).runs().set_index("test_id")
    sums = stored.loc["mae-a", "counts"]["power_sums"]
    assert sums[0] == stored.loc["mae-a", "n"]
    assert sums[1] / sums[0] == pytest.approx(stored.loc["mae-a", "observed"])
    assert stored.loc["bias-a", "ideal"] == 0.0 and stored.loc["bias-a", "higher_is_better"] is None
    assert stored.loc["mae-a", "higher_is_better"] is False


def test_metric_counts_leave_the_default_output_unchanged() -> None:
    probe = _classification_probe()
    plain = probe.metric("accuracy", "g == 'a'")
    assert set(plain) == {"value", "ci_low", "ci_high", "n"}
    counted = probe.metric("accuracy", "g == 'a'", counts=True)
    assert {k: counted[k] for k in plain} == plain
    assert counted["counts"]["trials"] == plain["n"]
    assert counted["counts"]["successes"] == round(plain["value"] * plain["n"])
    json.dumps(counted)  # JSON-ready
    with pytest.raises(mp.ValidationError, match="counts: expected True or False"):
        probe.metric("accuracy", counts="yes")  # type: ignore[arg-type]


def test_fingerprint_is_of_the_labels_and_the_same_on_every_backend(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    del duckdb
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"y": rng.integers(0, 3, 200), "p": rng.integers(0, 3, 200)})
    frame["q"] = frame["y"]
    frame["r"] = frame["y"] + rng.normal(size=200)
    memory = mp.Probe(frame, target="y", predictions="p")
    engine = mp.Probe.from_duckdb(frame, target="y", predictions="p")
    assert data_fingerprint(memory) == data_fingerprint(engine)
    # the predictions are not part of it: another model on the same rows compares
    assert data_fingerprint(mp.Probe(frame, target="y", predictions="q")) == data_fingerprint(
        memory
    )
    changed = frame.assign(y=np.where(np.arange(200) == 0, (frame["y"] + 1) % 3, frame["y"]))
    assert data_fingerprint(mp.Probe(changed, target="y", predictions="p")) != data_fingerprint(
        memory
    )
    assert data_fingerprint(mp.Probe(frame.iloc[:150], target="y", predictions="p"))[0] == 150
    # regression: target summary, same in memory and DuckDB, independent of the model
    regression = frame.assign(t=frame["r"] * 3.5 + 10, u=frame["r"] * 3.0 + 10.5)
    a = mp.Probe(regression, target="t", predictions="u")
    b = mp.Probe.from_duckdb(regression, target="t", predictions="u")
    c = mp.Probe(regression.assign(u=regression["t"] + 1), target="t", predictions="u")
    assert data_fingerprint(a) == data_fingerprint(b) == data_fingerprint(c)
    d = mp.Probe(regression.assign(t=regression["t"] * 1.01), target="t", predictions="u")
    assert data_fingerprint(d) != data_fingerprint(a)


def test_definition_hash_ignores_description_tags_and_baseline() -> None:
    test = mp.SliceTest(id="t", slice=mp.Slice.parse("g == 'a'", name="As"), metric="accuracy",
                        at_least=0.8)  # fmt: skip
    same = mp.SliceTest(id="t", slice="g == 'a'", metric="accuracy", at_least=0.8,
                        description="why", tags=["x"], baseline=mp.Baseline(0.9))  # fmt: skip
    assert definition_of(test) == definition_of(same)
    other = mp.SliceTest(id="t", slice="g == 'a'", metric="accuracy", at_least=0.85)
    assert definition_of(other)[1] != definition_of(test)[1]
    assert len(definition_of(test)[1]) == 16


# --- schema versions -----------------------------------------------------------------------------


def _url(store_url: str) -> str:
    return store_url if "://" in store_url else f"sqlite:///{store_url}"


def test_a_newer_store_is_refused(store_url: str) -> None:
    RunStore.open(store_url).close()
    engine = sa.create_engine(_url(store_url))
    with engine.begin() as connection:
        connection.execute(
            sa.update(run_store.meta)
            .where(run_store.meta.c.key == "schema_version")
            .values(value="2")
        )
    engine.dispose()
    shown = store_url if "://" not in store_url else sa.make_url(store_url).render_as_string(True)
    expected = (
        f"{shown}: written by a newer mlprobe (store schema 2); this mlprobe reads schema 1. "
        "Upgrade: pip install -U mlprobe"
    )
    with pytest.raises(RunStoreError) as caught:
        RunStore.open(store_url)
    assert str(caught.value) == expected
    with pytest.raises(RunStoreError) as caught:
        mp.History(store_url)
    assert str(caught.value) == expected


def test_an_older_store_is_migrated_in_one_transaction(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = _classification_probe()
    SUITE.run(probe, record=store_url, version="v1")  # a store of schema 1

    def add_note(connection: sa.Connection) -> None:
        connection.exec_driver_sql("ALTER TABLE mlprobe_runs ADD COLUMN note TEXT")

    def broken(connection: sa.Connection) -> None:
        connection.exec_driver_sql("ALTER TABLE mlprobe_runs ADD COLUMN half TEXT")
        raise sa.exc.OperationalError("step 3", {}, Exception("boom"))

    # schema "3" with a migration that fails half-way: nothing of it stays
    monkeypatch.setattr(run_store, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(run_store, "MIGRATIONS", {1: add_note, 2: broken})
    with pytest.raises(RunStoreError, match="cannot open the run store"):
        RunStore.open(store_url)
    columns = {
        c["name"] for c in sa.inspect(sa.create_engine(_url(store_url))).get_columns("mlprobe_runs")
    }
    assert "note" not in columns and "half" not in columns
    assert _raw(store_url, "SELECT value FROM mlprobe_meta WHERE key = 'schema_version'") == [
        ("1",)
    ]
    # schema 2, a migration that works: applied once, data kept, version written
    monkeypatch.setattr(run_store, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(run_store, "MIGRATIONS", {1: add_note})
    RunStore.open(store_url).close()
    RunStore.open(store_url).close()  # already at 2: nothing to do
    assert _raw(store_url, "SELECT value FROM mlprobe_meta WHERE key = 'schema_version'") == [
        ("2",)
    ]
    assert _raw(store_url, "SELECT id, note FROM mlprobe_runs") == [(1, None)]
    # no migration from an unknown older schema: a clear refusal
    monkeypatch.setattr(run_store, "SCHEMA_VERSION", 4)
    with pytest.raises(RunStoreError, match="no migration from schema 2"):
        RunStore.open(store_url)


def test_a_failed_write_leaves_nothing(store_url: str) -> None:
    probe = _classification_probe()
    result = SUITE.run(probe)
    with RunStore.open(store_url) as store:
        bad = mp.SuiteResult(result.suite_name, result.items)
        original = run_store.outcome_rows

        def rows_then_bad(*args: object, **kwargs: object) -> list[dict]:
            rows = original(*args, **kwargs)  # type: ignore[arg-type]
            rows[-1]["outcome"] = None  # NOT NULL: the insert of the outcomes fails
            return rows

        run_store.outcome_rows = rows_then_bad  # type: ignore[assignment]
        try:
            with pytest.raises(RunStoreError, match="nothing was written"):
                store.record(bad, suite=SUITE, probe=probe, version="v1")
        finally:
            run_store.outcome_rows = original
    assert _raw(store_url, "SELECT COUNT(*) FROM mlprobe_runs") == [(0,)]
    assert _raw(store_url, "SELECT COUNT(*) FROM mlprobe_outcomes") == [(0,)]


# --- concurrency ---------------------------------------------------------------------------------

RECORDER = textwrap.dedent(
    """
    import sys
    import mlprobe as mp
    from mlprobe.spec import TestOutcome
    from mlprobe.spec.run_store import RunStore

    store_url, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    suite = mp.Suite("race", [mp.SliceTest(id=f"t{i}", slice="g == 'a'", metric="accuracy",
                                           at_least=0.5) for i in range(5)])
    items = [TestOutcome(id=f"t{i}", outcome="passed", metric="accuracy", observed=0.9,
                         ci_low=0.8, ci_high=0.95, n=100, higher_is_better=True,
                         counts={"successes": 90, "trials": 100}) for i in range(5)]
    store = RunStore.open(store_url)
    for i in range(count):
        store.record(mp.SuiteResult("race", items), suite=suite, version=f"{name}-{i}",
                     fingerprint=(100, "f" * 16))
    store.close()
    """
)


def test_two_processes_recording_at_once_lose_nothing(store_url: str, tmp_path: Path) -> None:
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER)
    RunStore.open(store_url).close()
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), store_url, name, "100"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    assert _raw(store_url, "SELECT COUNT(*) FROM mlprobe_runs") == [(200,)]
    assert _raw(store_url, "SELECT COUNT(*) FROM mlprobe_outcomes") == [(1000,)]
    ids = [row[0] for row in _raw(store_url, "SELECT id FROM mlprobe_runs ORDER BY id")]
    assert ids == list(range(1, 201))
    assert len(mp.History(store_url).versions()) == 200


# --- errors ----------------------------------------------------------------------------------------


def test_record_needs_a_version_and_a_version_needs_record(tmp_path: Path) -> None:
    probe = _classification_probe()
    with pytest.raises(mp.ValidationError, match=r"record= needs version=.*--version"):
        SUITE.run(probe, record=tmp_path / "runs.db")
    with pytest.raises(mp.ValidationError, match="labels a recorded run, and no record="):
        SUITE.run(probe, version="v1")
    with pytest.raises(mp.ValidationError, match="version: expected the label"):
        SUITE.run(probe, record=tmp_path / "runs.db", version="  ")
    assert not (tmp_path / "runs.db").exists()


def test_bad_store_locations_are_named_with_the_fix(tmp_path: Path) -> None:
    probe = _classification_probe()
    with pytest.raises(RunStoreError, match=r"the folder '.*nowhere' does not exist; create it"):
        SUITE.run(probe, record=tmp_path / "nowhere" / "runs.db", version="v1")
    with pytest.raises(RunStoreError, match="is a folder; give the path of the store's file"):
        SUITE.run(probe, record=tmp_path, version="v1")
    text = tmp_path / "notes.txt"
    text.write_text("not a database, just some text that is long enough to look like a file\n" * 20)
    with pytest.raises(RunStoreError, match=r"cannot open the run store.*SQLite database"):
        RunStore.open(text)
    with pytest.raises(mp.ValidationError, match=r"record: expected the run store, a file path"):
        SUITE.run(probe, record=3, version="v1")  # type: ignore[arg-type]
    with pytest.raises(mp.ValidationError, match="is not a SQLAlchemy URL"):
        RunStore.open("nonsense://::::")


def test_reading_never_creates_a_store(tmp_path: Path) -> None:
    missing = tmp_path / "runs.db"
    with pytest.raises(RunStoreError, match="does not exist; no run store to read there"):
        mp.History(missing)
    assert not missing.exists()
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(RunStoreError, match="holds no mlprobe run store"):
        mp.History(tmp_path / "other.db")


def test_git_commit_and_branch_when_in_a_repository(tmp_path: Path) -> None:
    assert git_state(tmp_path) == (None, None)  # not a repository: None, never an error
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    env = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(
        ["git", *env, "-C", str(repo), "commit", "-q", "--allow-empty", "-m", "x"], check=True
    )
    commit, branch = git_state(repo)
    assert commit is not None and len(commit) == 40 and branch == "main"
