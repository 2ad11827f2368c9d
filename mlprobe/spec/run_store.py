"""The run store: every recorded suite run, one row per test outcome, in SQLite or any SQL database.

A store is a SQLite file by default (embedded, nothing to start) or any SQLAlchemy
URL (``postgresql+psycopg://user@host/db`` for a history a team shares). The schema
(:data:`SCHEMA_VERSION`) is written with SQLAlchemy Core; its version lives in
``mlprobe_meta`` and is migrated forward on open by the functions of
:data:`MIGRATIONS`; a store written by a newer mlprobe is refused.

Writes are transactional: a run and all its outcomes are written in one transaction,
or nothing is. SQLite runs in WAL mode with a busy timeout, and a write transaction
starts with ``BEGIN IMMEDIATE`` (it takes the write lock at once, waiting for it), so
several processes recording at once into one file queue up and lose nothing.

Examples
--------
>>> import pandas as pd, tempfile, os
>>> import mlprobe as mp
>>> probe = mp.Probe(pd.DataFrame({"g": ["a", "b"] * 50, "y": [0, 1] * 50}), target="y",
...                  predictions=[0, 1] * 50)
>>> suite = mp.Suite("s", [mp.SliceTest(id="a-acc", slice="g == 'a'", metric="accuracy",
...                                      at_least=0.8)])
>>> folder = tempfile.mkdtemp()
>>> result = suite.run(probe, record=os.path.join(folder, "runs.db"), version="v1")
>>> result.run_id
1
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from mlprobe._version import __version__
from mlprobe.core.arguments import CONFIDENCE
from mlprobe.errors import ValidationError
from mlprobe.spec.errors import RunStoreError
from mlprobe.spec.group_test import AnyTest, GroupTest

if TYPE_CHECKING:
    from mlprobe.core.evaluator import Evaluator
    from mlprobe.spec.result import SuiteResult
    from mlprobe.spec.runner import TestOutcome
    from mlprobe.spec.suite import Suite

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "RunStore",
    "StoreLocation",
    "data_fingerprint",
    "definition_of",
    "git_state",
    "locate",
    "metadata",
    "outcomes",
    "runs",
]

#: The version of the store schema this mlprobe writes and reads.
SCHEMA_VERSION = 1

#: SQLite: how long a writer waits for another's lock before giving up (milliseconds).
BUSY_TIMEOUT_MS = 60_000

#: How long ``git rev-parse`` may take before the commit is recorded as unknown (seconds).
GIT_TIMEOUT = 2.0

metadata = sa.MetaData()

meta = sa.Table(
    "mlprobe_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

runs = sa.Table(
    "mlprobe_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("suite", sa.Text, nullable=False),
    sa.Column("version", sa.Text, nullable=False),
    sa.Column("model", sa.Text, nullable=True),
    sa.Column("recorded_at", sa.Text, nullable=False),
    sa.Column("git_commit", sa.Text, nullable=True),
    sa.Column("git_branch", sa.Text, nullable=True),
    sa.Column("mlprobe_version", sa.Text, nullable=False),
    sa.Column("data_rows", sa.Integer, nullable=False),
    sa.Column("data_fingerprint", sa.Text, nullable=False),
    sa.Index("mlprobe_runs_suite_version", "suite", "version"),
)

outcomes = sa.Table(
    "mlprobe_outcomes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("mlprobe_runs.id"), nullable=False),
    sa.Column("test_id", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("definition_hash", sa.Text, nullable=False),
    sa.Column("definition", sa.Text, nullable=False),
    sa.Column("metric", sa.Text, nullable=False),
    sa.Column("slice", sa.Text, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("observed", sa.Double, nullable=True),
    sa.Column("ci_low", sa.Double, nullable=True),
    sa.Column("ci_high", sa.Double, nullable=True),
    sa.Column("confidence", sa.Double, nullable=False),
    sa.Column("threshold", sa.Double, nullable=True),
    sa.Column("n", sa.Integer, nullable=True),
    sa.Column("higher_is_better", sa.Boolean, nullable=True),
    sa.Column("ideal", sa.Double, nullable=True),
    sa.Column("counts", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Index("mlprobe_outcomes_test_id", "test_id"),
    sa.Index("mlprobe_outcomes_run_id", "run_id"),
)

#: Schema migrations: ``MIGRATIONS[v]`` turns a store of schema ``v`` into schema ``v + 1``,
#: inside the transaction that then records the new version. Schema 1 is the first, so
#: there is none yet; :meth:`RunStore.open` applies them in order.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}

_UPGRADE = "Upgrade: pip install -U mlprobe"


# --- where the store is ---------------------------------------------------------------------


@dataclass(frozen=True)
class StoreLocation:
    """A store's SQLAlchemy URL, how it is named in messages, and its file (SQLite paths)."""

    url: sa.URL
    shown: str
    path: Path | None


def locate(path_or_url: object, *, argument: str = "path_or_url") -> StoreLocation:
    """Check and resolve a store argument: a file path (SQLite) or a text with ``://``.

    Raises :class:`~mlprobe.errors.ValidationError` naming ``argument`` for anything else.
    """
    if isinstance(path_or_url, str) and "://" in path_or_url:
        try:
            url = sa.make_url(path_or_url)
        except (SQLAlchemyError, ValueError) as error:
            raise ValidationError(
                f"{argument}: {path_or_url!r} is not a SQLAlchemy URL ({error}); give e.g. "
                "'sqlite:///runs.db' or 'postgresql+psycopg://user@host/db', or a file path."
            ) from None
        shown = url.render_as_string(hide_password=True)
        database = url.database
        path = (
            Path(database)
            if url.get_backend_name() == "sqlite" and database not in (None, "", ":memory:")
            else None
        )
        return StoreLocation(url, shown, path)
    if isinstance(path_or_url, str | os.PathLike) and os.fspath(path_or_url).strip():
        path = Path(os.fspath(path_or_url))
        url = sa.URL.create("sqlite", database=str(path))
        return StoreLocation(url, os.fspath(path_or_url), path)
    raise ValidationError(
        f"{argument}: expected the run store, a file path such as 'runs.db' (SQLite) or a "
        f"SQLAlchemy URL such as 'postgresql+psycopg://user@host/db'; received {path_or_url!r}."
    )


def check_folder(location: StoreLocation) -> None:
    """Refuse a SQLite path whose folder is missing, or that names a folder."""
    path = location.path
    if path is None:
        return
    if path.is_dir():
        raise RunStoreError(
            f"{location.shown}: is a folder; give the path of the store's file, e.g. "
            f"{os.path.join(location.shown, 'runs.db')}."
        )
    folder = path.parent
    if not folder.is_dir():
        raise RunStoreError(
            f"{location.shown}: the folder {str(folder)!r} does not exist; create it first "
            f"(mkdir -p {folder}) or record into another path."
        )


def make_engine(location: StoreLocation, *, read_only: bool = False) -> Engine:
    """An engine for the store; SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` writes."""
    url = location.url
    if url.get_backend_name() != "sqlite":
        try:
            return sa.create_engine(url, pool_pre_ping=True)
        except (SQLAlchemyError, ImportError) as error:
            raise RunStoreError(
                f"{location.shown}: cannot use this database: {_one_line(error)}"
                + (
                    " (PostgreSQL needs its driver: pip install 'mlprobe[postgres]')"
                    if url.get_backend_name() == "postgresql"
                    else ""
                )
            ) from None
    if read_only and location.path is not None:
        # mode=rw: open the existing file, never create one
        url = sa.URL.create(
            "sqlite",
            database=f"file:{location.path}?mode=rw",
            query={"uri": "true"},
        )
    engine = sa.create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, poolclass=sa.pool.NullPool
    )

    @event.listens_for(engine, "connect")
    def _connect(connection: Any, _record: Any) -> None:
        connection.isolation_level = None  # transactions are begun below, not by the driver
        cursor = connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not read_only:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # take the write lock up front: a deferred transaction that reads and then writes
        # fails at once (SQLITE_BUSY, no waiting) when another process wrote in between
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _one_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(getattr(error, 'orig', None) or error).__name__}: {first}"


def stored_schema(connection: Connection) -> int | None:
    """The schema version of the store, or None when it holds no mlprobe tables yet."""
    if not sa.inspect(connection).has_table(meta.name):
        return None
    value = connection.execute(
        sa.select(meta.c.value).where(meta.c.key == "schema_version")
    ).scalar_one_or_none()
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise RunStoreError(
            f"the store's schema_version is {value!r}, not a number: the table {meta.name} "
            "was not written by mlprobe."
        ) from None


def newer_schema_error(shown: str, found: int) -> RunStoreError:
    """The refusal of a store written by a newer mlprobe."""
    return RunStoreError(
        f"{shown}: written by a newer mlprobe (store schema {found}); this mlprobe reads "
        f"schema {SCHEMA_VERSION}. {_UPGRADE}"
    )


# --- what is recorded -------------------------------------------------------------------------


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def definition_of(test: AnyTest) -> tuple[str, str]:
    """``(canonical JSON, hash)`` of what ``test`` measures and expects.

    In: the slice's conditions (not its display name) or the ``by`` columns and bins, the
    metric, the model, ``min_support``, ``confidence``, the expectation's kind and amount.
    Out: the description, tags and baseline, which change no number.

    Examples
    --------
    >>> from mlprobe.spec import SliceTest
    >>> t = SliceTest(id="t", slice="age >= 60", metric="accuracy", at_least=0.8)
    >>> definition_of(t)[0]
    '{"confidence":null,"expect":{"at_least":0.8},"kind":"slice","metric":"accuracy","min_support":30,"model":null,"slice":{"column":"age","ge":60}}'
    >>> definition_of(t)[1] == definition_of(t.__class__(**{**t.__dict__, "description": "x"}))[1]
    True
    """
    data: dict[str, Any] = {
        "metric": test.metric,
        "model": test.model,
        "min_support": test.min_support,
        "confidence": test.confidence,
        "expect": {test.expectation: test.threshold_value},
    }
    if isinstance(test, GroupTest):
        data["kind"] = "group"
        data["by"] = list(test.columns)
        data["bins"] = list(test.bins) if isinstance(test.bins, tuple) else test.bins
    else:
        data["kind"] = "slice"
        conditions = dict(test.slice.to_dict())
        conditions.pop("name", None)
        data["slice"] = conditions
    text = _canonical(data)
    return text, _digest(text)


def _significant(value: float, digits: int) -> float | None:
    if not math.isfinite(value):
        return None
    return float(f"{value:.{digits - 1}e}")


def data_fingerprint(probe: Evaluator) -> tuple[int, str]:
    """``(rows, fingerprint)`` of the evaluated labels: what must match for two runs to compare.

    The fingerprint is the first 16 hex digits of the sha256 of canonical JSON of the row
    count, the task and the target's summary -- never the predictions, which change with
    every version under test:

    - classification: the classes and how many rows hold each as their true label (the row
      sums of ``probe.confusion(model=...)``, counts every backend already keeps);
    - regression: the target's minimum and maximum (``describe_column("@target")``) and its
      sum of squares about its mean, ``n * mse / (1 - r2)`` of the first model (two metric
      calls on any backend), to 10 significant digits so that backends agree.

    It changes when rows are added or removed or labels change; like any summary it can
    miss a change that keeps every one of these numbers (e.g. two labels swapped between
    rows).
    """
    rows = int(probe.n_rows)
    parts: dict[str, Any] = {"rows": rows, "task": str(probe.task)}
    model = probe.models[0] if probe.models else None
    if probe.task == "regression":
        describe = getattr(probe, "describe_column", None)
        if describe is not None:
            profile = describe("@target")
            parts["range"] = [
                _significant(float(profile.minimum), 12) if profile.minimum is not None else None,
                _significant(float(profile.maximum), 12) if profile.maximum is not None else None,
            ]
        mse = probe.metric("mse", model=model)["value"]
        r2 = probe.metric("r2", model=model)["value"]
        spread = rows * float(mse) / (1 - float(r2)) if float(r2) != 1 else math.nan
        parts["sum_of_squares"] = _significant(spread, 10)
    else:
        table = probe.confusion(model=model)
        parts["classes"] = [str(label) for label in table.index]
        parts["target_counts"] = [round(float(v)) for v in table.to_numpy().sum(axis=1)]
    return rows, _digest(_canonical(parts))


def git_state(folder: str | os.PathLike[str] | None = None) -> tuple[str | None, str | None]:
    """``(commit, branch)`` of the git repository holding ``folder`` (default: the current
    directory); ``(None, None)`` outside one, without git, or when git takes longer than
    :data:`GIT_TIMEOUT`. A detached HEAD has no branch (None). Never raises."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD", "--abbrev-ref", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None, None
    lines = done.stdout.split()
    if done.returncode != 0 or len(lines) != 2:
        return None, None
    commit, branch = lines
    return commit, None if branch == "HEAD" else branch


def _real(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _test_of(outcome: TestOutcome, tests: Mapping[str, AnyTest]) -> AnyTest:
    test = tests.get(outcome.id) or tests.get(outcome.id.split("[", 1)[0])
    if test is None:
        raise ValidationError(
            f"RunStore.record: the result has an outcome of test {outcome.id!r}, which the "
            f"suite does not hold; record a result with the suite that produced it."
        )
    return test


def outcome_rows(result: SuiteResult, suite: Suite) -> list[dict[str, Any]]:
    """The ``mlprobe_outcomes`` rows of a result (without ``run_id``)."""
    tests = {t.id: t for t in suite.tests}
    rows = []
    for outcome in result.items:
        test = _test_of(outcome, tests)
        definition, digest = definition_of(test)
        rows.append(
            {
                "test_id": outcome.id,
                "kind": outcome.kind,
                "definition_hash": digest,
                "definition": definition,
                "metric": outcome.metric,
                "slice": outcome.slice,
                "outcome": outcome.outcome,
                "observed": _real(outcome.observed),
                "ci_low": _real(outcome.ci_low),
                "ci_high": _real(outcome.ci_high),
                "confidence": float(test.confidence or CONFIDENCE),
                "threshold": _real(outcome.threshold),
                "n": None if outcome.n is None else int(outcome.n),
                "higher_is_better": outcome.higher_is_better,
                "ideal": _real(outcome.ideal) if outcome.ideal is not None else None,
                "counts": None if outcome.counts is None else _canonical(outcome.counts),
                "reason": outcome.reason,
            }
        )
    return rows


def _label(value: object, argument: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            f"{argument}: expected the label of the model version this run is recorded under, "
            f"a non-empty str such as 'v7'; received {value!r}."
        )
    return value


# --- the store --------------------------------------------------------------------------------


class RunStore:
    """A run store open for recording. Create one with :meth:`open`."""

    def __init__(self, engine: Engine, location: StoreLocation) -> None:
        self.engine = engine
        self.location = location

    def __repr__(self) -> str:
        return f"<RunStore {self.location.shown}>"

    @classmethod
    def open(
        cls, path_or_url: str | os.PathLike[str], *, argument: str = "path_or_url"
    ) -> RunStore:
        """Open (creating or migrating) the store at a file path (SQLite) or SQLAlchemy URL.

        A SQLite file's folder must exist. A store written by a newer mlprobe is refused
        (:class:`~mlprobe.spec.errors.RunStoreError`); an older one is migrated in one
        transaction.
        """
        location = locate(path_or_url, argument=argument)
        check_folder(location)
        engine = make_engine(location)
        try:
            with engine.begin() as connection:
                found = stored_schema(connection)
                if found is None:
                    metadata.create_all(connection)
                    connection.execute(
                        sa.insert(meta),
                        [
                            {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                            {"key": "created_by", "value": __version__},
                        ],
                    )
                elif found > SCHEMA_VERSION:
                    raise newer_schema_error(location.shown, found)
                elif found < SCHEMA_VERSION:
                    migrate(connection, found)
        except RunStoreError as error:
            engine.dispose()
            if str(error).startswith(location.shown):
                raise
            raise RunStoreError(f"{location.shown}: {error}") from None
        except SQLAlchemyError as error:
            engine.dispose()
            raise RunStoreError(
                f"{location.shown}: cannot open the run store: {_one_line(error)}" + _hint(location)
            ) from None
        return cls(engine, location)

    def close(self) -> None:
        """Release the store's connections."""
        self.engine.dispose()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(
        self,
        result: SuiteResult,
        *,
        suite: Suite,
        probe: Evaluator | None = None,
        version: str,
        model: str | None = None,
        fingerprint: tuple[int, str] | None = None,
    ) -> int:
        """Write one run (``result`` of ``suite`` on ``probe``) in one transaction; its id.

        ``fingerprint`` (``(rows, hash)`` from :func:`data_fingerprint`) stands in for the
        probe when the fingerprint was taken earlier (the pytest plugin takes it while the
        probe's fixture is alive).
        """
        version = _label(version, "version")
        if model is not None and not isinstance(model, str):
            raise ValidationError(f"model: expected None or a model name; received {model!r}.")
        if fingerprint is None:
            if probe is None:
                raise ValidationError(
                    "RunStore.record: give probe= (the fingerprint of the data is taken from "
                    "it) or fingerprint=."
                )
            fingerprint = data_fingerprint(probe)
        if model is None and probe is not None:
            names = list(getattr(probe, "models", []) or [])
            model = names[0] if len(names) == 1 else None
        rows = outcome_rows(result, suite)
        commit, branch = git_state()
        run = {
            "suite": result.suite_name,
            "version": version,
            "model": model,
            "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
            "git_commit": commit,
            "git_branch": branch,
            "mlprobe_version": __version__,
            "data_rows": int(fingerprint[0]),
            "data_fingerprint": fingerprint[1],
        }
        try:
            with self.engine.begin() as connection:
                key = connection.execute(sa.insert(runs).values(**run)).inserted_primary_key
                assert key is not None  # an insert of one row always has one
                run_id = int(key[0])
                if rows:
                    connection.execute(sa.insert(outcomes), [{**r, "run_id": run_id} for r in rows])
        except SQLAlchemyError as error:
            raise RunStoreError(
                f"{self.location.shown}: cannot record the run (nothing was written): "
                f"{_one_line(error)}"
            ) from None
        return run_id


def migrate(connection: Connection, found: int) -> None:
    """Bring a store of schema ``found`` to :data:`SCHEMA_VERSION` with :data:`MIGRATIONS`,
    in the caller's transaction (all steps or none)."""
    for version in range(found, SCHEMA_VERSION):
        step = MIGRATIONS.get(version)
        if step is None:
            raise RunStoreError(
                f"store schema {found} is older than this mlprobe can migrate (no migration "
                f"from schema {version}); record into a new store."
            )
        step(connection)
    connection.execute(
        sa.update(meta).where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION))
    )


def _hint(location: StoreLocation) -> str:
    if location.path is not None:
        return " (is it a SQLite database, and is its folder writable?)"
    return " (is the server running, and do the URL's user, password and database exist?)"


def record_run(
    result: SuiteResult,
    *,
    store: str | os.PathLike[str] | RunStore,
    suite: Suite,
    probe: Evaluator,
    version: str,
    model: str | None = None,
) -> int:
    """Open ``store`` (unless already open), record one run, close what was opened."""
    if isinstance(store, RunStore):
        return store.record(result, suite=suite, probe=probe, version=version, model=model)
    with RunStore.open(store, argument="record") as opened:
        return opened.record(result, suite=suite, probe=probe, version=version, model=model)
