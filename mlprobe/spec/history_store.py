"""Reading a run store: outcomes, versions, the version-by-test matrix, trends and regressions.

:class:`RunHistory` opens a store read-only (it never creates a file nor writes) and
answers with pandas DataFrames; :class:`mlprobe.History` is the public facade over it.

How a regression is judged (:meth:`RunHistory.regressions`): per test, the value of the
version under study and the value it is compared against, each from the latest run of
its version that recorded the test. They are *not comparable* when the test's
definition hash or the data fingerprint differ between the two runs (the reason says
which), or when either value or interval is missing. Otherwise the difference
``value - value_against`` gets the MOVER interval (Newcombe 1998; Zou & Donner 2008)
built from the two recorded intervals, as if the estimates were independent: with the
same rows evaluated under both versions the estimates are positively correlated, so
this interval is conservative (wider than a paired one) -- it can miss a small change,
never invent one. When the interval excludes 0 the verdict follows the metric's
direction (``improved`` / ``regressed``; for a metric with an ideal value, whether the
new value is closer to it; ``higher`` / ``lower`` for a metric with no better direction,
such as a selection rate); else ``no detectable change``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from mlprobe.core.number_format import format_level, format_measure
from mlprobe.core.statistics.intervals import mover_difference
from mlprobe.errors import ValidationError, did_you_mean
from mlprobe.spec.errors import RunStoreError
from mlprobe.spec.run_store import (
    SCHEMA_VERSION,
    StoreLocation,
    _one_line,
    locate,
    make_engine,
    newer_schema_error,
    outcomes,
    runs,
    stored_schema,
)

__all__ = ["MATRIX_VALUES", "REGRESSION_COLUMNS", "RUN_COLUMNS", "TREND_COLUMNS", "RunHistory"]

#: The columns of :meth:`RunHistory.runs`, in order.
RUN_COLUMNS = [
    "run_id",
    "suite",
    "version",
    "model",
    "recorded_at",
    "git_commit",
    "git_branch",
    "mlprobe_version",
    "data_rows",
    "data_fingerprint",
    "test_id",
    "kind",
    "definition_hash",
    "metric",
    "slice",
    "outcome",
    "observed",
    "ci_low",
    "ci_high",
    "confidence",
    "threshold",
    "n",
    "higher_is_better",
    "ideal",
    "counts",
    "reason",
]

#: The columns of :meth:`RunHistory.trend`, in order.
TREND_COLUMNS = [
    "run_id",
    "version",
    "recorded_at",
    "observed",
    "ci_low",
    "ci_high",
    "threshold",
    "outcome",
    "n",
    "definition_hash",
    "data_fingerprint",
]

#: The columns of :meth:`RunHistory.regressions`, in order.
REGRESSION_COLUMNS = [
    "test_id",
    "metric",
    "against",
    "value_against",
    "ci_low_against",
    "ci_high_against",
    "version",
    "value",
    "ci_low",
    "ci_high",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "verdict",
    "reason",
]

#: What a matrix cell may show.
MATRIX_VALUES = ("observed", "outcome")

VERDICTS = ("regressed", "improved", "no detectable change", "not comparable", "higher", "lower")

_FLOATS = ("observed", "ci_low", "ci_high", "confidence", "threshold", "ideal")


def _utc_text(value: object, argument: str) -> str:
    """A time bound as the store's ISO text (UTC, microseconds), comparable as text."""
    if isinstance(value, bool) or not isinstance(value, str | dt.datetime | dt.date | pd.Timestamp):
        raise ValidationError(
            f"{argument}: expected a time, e.g. '2026-12-04', '2026-12-04T18:00+00:00', a "
            f"datetime or a pandas Timestamp; received {value!r}."
        )
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ValidationError(
            f"{argument}: cannot read {value!r} as a time; give e.g. '2026-12-04' or "
            "'2026-12-04T18:00:00+00:00'."
        ) from None
    if stamp is pd.NaT:
        raise ValidationError(f"{argument}: expected a time; received {value!r}.")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return str(stamp.to_pydatetime().isoformat(timespec="microseconds"))


class RunHistory:
    """A run store, read-only: the queries behind :class:`mlprobe.History`.

    Parameters
    ----------
    path_or_url : str or path
        A SQLite file written by :meth:`mlprobe.Suite.run` (``record=``) or ``mlprobe test
        --record``, or a SQLAlchemy URL. A missing file is an error: reading never creates one.
    """

    def __init__(self, path_or_url: str | os.PathLike[str]) -> None:
        self.location: StoreLocation = locate(path_or_url)
        shown = self.location.shown
        path = self.location.path
        if path is not None and not path.is_file():
            what = "is a folder" if path.is_dir() else "does not exist"
            raise RunStoreError(
                f"{shown}: {what}; no run store to read there. Record runs first with "
                "suite.run(probe, record=..., version=...) or mlprobe test --record ... "
                "--version ..."
            )
        self.engine = make_engine(self.location, read_only=True)
        try:
            with self.engine.connect() as connection:
                found = stored_schema(connection)
        except SQLAlchemyError as error:
            self.engine.dispose()
            raise RunStoreError(f"{shown}: cannot read the run store: {_one_line(error)}") from None
        if found is None:
            self.engine.dispose()
            raise RunStoreError(
                f"{shown}: holds no mlprobe run store (no mlprobe_meta table); record runs "
                "into it first."
            )
        if found > SCHEMA_VERSION:
            self.engine.dispose()
            raise newer_schema_error(shown, found)
        if found < SCHEMA_VERSION:
            self.engine.dispose()
            raise RunStoreError(
                f"{shown}: written by an older mlprobe (store schema {found}); this mlprobe "
                f"reads schema {SCHEMA_VERSION}. Record a run with it (or call "
                "mlprobe.spec.run_store.RunStore.open on the store) to migrate it."
            )

    def __repr__(self) -> str:
        return f"<RunHistory {self.location.shown}>"

    def close(self) -> None:
        """Release the store's connections."""
        self.engine.dispose()

    # --- reading -----------------------------------------------------------------------------

    def _fetch(self, query: sa.Select[Any]) -> list[Any]:
        try:
            with self.engine.connect() as connection:
                return list(connection.execute(query).all())
        except SQLAlchemyError as error:
            raise RunStoreError(
                f"{self.location.shown}: cannot read the run store: {_one_line(error)}"
            ) from None

    def suites(self) -> list[str]:
        """The suite names recorded, in the order of their first run (one query)."""
        return self._suites()

    def _suites(self) -> list[str]:
        query = (
            sa.select(runs.c.suite, sa.func.min(runs.c.id).label("first"))
            .group_by(runs.c.suite)
            .order_by(sa.text("first"))
        )
        return [row[0] for row in self._fetch(query)]

    def _check_suite(self, suite: object) -> str | None:
        if suite is None:
            return None
        if not isinstance(suite, str):
            raise ValidationError(
                f"suite: expected a suite name (str) or None; received {suite!r}."
            )
        known = self._suites()
        if suite not in known:
            raise ValidationError(
                f"suite: no run of suite {suite!r} in {self.location.shown}; its suites: "
                f"{known}.{did_you_mean(suite, known)}"
            )
        return suite

    def _known_versions(self, suite: str | None) -> list[str]:
        first = sa.func.min(runs.c.id).label("first")
        query = sa.select(runs.c.version, first).group_by(runs.c.version).order_by(first)
        if suite is not None:
            query = query.where(runs.c.suite == suite)
        return [row[0] for row in self._fetch(query)]

    def versions(self, suite: str | None = None) -> list[str]:
        """The version labels recorded (in ``suite``), in the order of their first run."""
        return self._known_versions(self._check_suite(suite))

    def _check_version(self, version: object, suite: str | None, argument: str) -> str:
        known = self._known_versions(suite)
        if not isinstance(version, str):
            raise ValidationError(
                f"{argument}: expected a version label (str); received {version!r}. "
                f"Recorded versions: {known}."
            )
        if version not in known:
            where = f" of suite {suite!r}" if suite is not None else ""
            raise ValidationError(
                f"{argument}: no run{where} recorded as version {version!r} in "
                f"{self.location.shown}; recorded versions: {known}.{did_you_mean(version, known)}"
            )
        return version

    def _outcomes(
        self,
        *,
        suite: str | None = None,
        test: str | None = None,
        version: str | None = None,
        since: str | None = None,
        until: str | None = None,
        columns: Sequence[str] = RUN_COLUMNS,
    ) -> pd.DataFrame:
        names = {"run_id": outcomes.c.run_id, **runs.c, **outcomes.c}
        names["run_id"] = runs.c.id
        chosen = [names[c].label(c) for c in columns]
        query = sa.select(*chosen).select_from(outcomes.join(runs, outcomes.c.run_id == runs.c.id))
        if suite is not None:
            query = query.where(runs.c.suite == suite)
        if test is not None:
            query = query.where(outcomes.c.test_id == test)
        if version is not None:
            query = query.where(runs.c.version == version)
        if since is not None:
            query = query.where(runs.c.recorded_at >= since)
        if until is not None:
            query = query.where(runs.c.recorded_at <= until)
        query = query.order_by(runs.c.id, outcomes.c.id)
        fetched = self._fetch(query)
        # column by column: building a frame from 1e5 result rows is several times slower
        values = list(zip(*fetched, strict=True)) if fetched else [()] * len(columns)
        frame = pd.DataFrame(
            {
                name: pd.Series(list(v), dtype=object)
                for name, v in zip(columns, values, strict=True)
            }
        )
        return _typed(frame)

    def runs(
        self,
        suite: str | None = None,
        test: str | None = None,
        version: str | None = None,
        since: object = None,
        until: object = None,
    ) -> pd.DataFrame:
        """One row per recorded outcome, in recording order (columns :data:`RUN_COLUMNS`).

        Filters: ``suite``, ``test`` (a test id), ``version``, and ``since`` / ``until``
        (times, inclusive; a time without zone is UTC). ``recorded_at`` is a UTC pandas
        Timestamp, a missing number is NaN, ``counts`` a dict or None.
        """
        suite = self._check_suite(suite)
        if test is not None:
            self._check_test(test, suite)
        if version is not None:
            self._check_version(version, suite, "version")
        return self._outcomes(
            suite=suite,
            test=test,
            version=version,
            since=None if since is None else _utc_text(since, "since"),
            until=None if until is None else _utc_text(until, "until"),
        )

    def _test_suites(self, test: str) -> list[str]:
        query = (
            sa.select(runs.c.suite)
            .select_from(outcomes.join(runs, outcomes.c.run_id == runs.c.id))
            .where(outcomes.c.test_id == test)
            .distinct()
        )
        return sorted(row[0] for row in self._fetch(query))

    def _check_test(self, test: object, suite: str | None) -> list[str]:
        """The suites that recorded ``test`` (within ``suite``); an unknown id is an error."""
        if not isinstance(test, str):
            raise ValidationError(f"test_id: expected a test id (str); received {test!r}.")
        suites = [s for s in self._test_suites(test) if suite is None or s == suite]
        if suites:
            return suites
        query = sa.select(outcomes.c.test_id).distinct()
        if suite is not None:
            query = query.select_from(outcomes.join(runs, outcomes.c.run_id == runs.c.id)).where(
                runs.c.suite == suite
            )
        known = sorted(row[0] for row in self._fetch(query))
        where = f" of suite {suite!r}" if suite is not None else ""
        shown = known if len(known) <= 20 else [*known[:20], "..."]
        raise ValidationError(
            f"test_id: no outcome{where} of test {test!r} in {self.location.shown}."
            f"{did_you_mean(test, known)} Recorded tests: {shown}."
        )

    def matrix(self, suite: str | None = None, value: str = "observed") -> pd.DataFrame:
        """Versions x tests: each cell from the latest run of that version recording the test.

        Rows: versions in the order of their first run (index ``version``); columns: test ids
        in the order first recorded (``suite/test_id`` when ``suite`` is None and the store
        holds several suites). ``value``: ``"observed"`` (numbers, NaN where missing) or
        ``"outcome"`` (``passed`` / ``failed`` / ``inconclusive`` / ``error``, None where
        missing).
        """
        if value not in MATRIX_VALUES:
            raise ValidationError(
                f"value: expected one of {list(MATRIX_VALUES)}; received {value!r}."
                f"{did_you_mean(str(value), MATRIX_VALUES)}"
            )
        suite = self._check_suite(suite)
        frame = self._outcomes(
            suite=suite, columns=["run_id", "suite", "version", "test_id", value]
        )
        several = suite is None and frame["suite"].nunique() > 1
        column = frame["suite"] + "/" + frame["test_id"] if several else frame["test_id"]
        frame = frame.assign(column=column)
        versions = list(pd.unique(frame["version"]))  # in order of appearance
        tests = list(pd.unique(frame["column"]))
        latest = frame.drop_duplicates(["version", "column"], keep="last")  # ordered by run
        table = latest.pivot(index="version", columns="column", values=value)
        table = table.reindex(index=versions, columns=tests)
        table.index.name = "version"
        table.columns.name = "test_id"
        if value == "outcome":
            table = table.astype(object).where(table.notna(), None)
        else:
            table = table.astype(np.float64)
        return table

    def trend(self, test_id: str, suite: str | None = None) -> pd.DataFrame:
        """Every recorded outcome of one test, in recording order (columns :data:`TREND_COLUMNS`).

        A test id recorded by several suites needs ``suite``.
        """
        suite = self._check_suite(suite)
        suites = self._check_test(test_id, suite)
        if len(suites) > 1:
            raise ValidationError(
                f"test_id: {test_id!r} is a test of several suites {suites}; name one with "
                f"suite=, e.g. suite={suites[0]!r}."
            )
        return self._outcomes(suite=suites[0], test=test_id, columns=TREND_COLUMNS).reset_index(
            drop=True
        )

    # --- regressions ---------------------------------------------------------------------------

    def regressions(
        self, version: str, against: str = "previous", suite: str | None = None
    ) -> pd.DataFrame:
        """Per test of ``version``: its value against another version's, and a verdict.

        Parameters
        ----------
        version : str
            The version under study.
        against : str
            ``"previous"``: the version first recorded before ``version``; ``"best"``: per
            test, the best value (by the metric's direction; for a metric with an ideal
            value, the closest to it; for one with no better direction, the latest) among
            the versions first recorded before ``version``, preferring runs the test can be
            compared with; or a version label.
        suite : str, optional

        Returns
        -------
        pandas.DataFrame
            Columns :data:`REGRESSION_COLUMNS`; ``verdict`` is ``regressed``, ``improved``,
            ``no detectable change`` or ``not comparable`` (the test's definition or the
            data changed, or a value or interval is missing), or ``higher`` / ``lower`` for
            a metric with no better direction, and ``reason`` says why. The
            difference interval is MOVER's from the two recorded intervals (see the module
            docstring: conservative for the same rows under two versions).
        """
        suite = self._check_suite(suite)
        version = self._check_version(version, suite, "version")
        known = self._known_versions(suite)
        earlier = known[: known.index(version)]
        if not isinstance(against, str):
            raise ValidationError(
                f"against: expected 'previous', 'best' or a version label; received {against!r}."
            )
        if against in ("previous", "best") and against not in known:
            if not earlier:
                raise ValidationError(
                    f"against={against!r}: no version was recorded before {version!r} "
                    f"(recorded versions: {known}); compare against a later one, e.g. "
                    f"against={known[-1]!r}."
                    if len(known) > 1
                    else f"against={against!r}: {version!r} is the only version recorded; "
                    "record another version first."
                )
        elif against == version:
            raise ValidationError(
                f"against: {against!r} is the version under study; compare it with another "
                f"(recorded versions: {known})."
            )
        else:
            self._check_version(against, suite, "against")
        frame = self._outcomes(suite=suite)
        if suite is None and frame["suite"].nunique() > 1:
            frame["test_id"] = frame["suite"] + "/" + frame["test_id"]
        latest = frame.drop_duplicates(["version", "test_id"], keep="last")
        mine = latest[latest["version"] == version]
        rows = []
        for _, row in mine.iterrows():
            candidates = latest[latest["test_id"] == row["test_id"]]
            if against == "previous" and against not in known:
                other = candidates[candidates["version"] == earlier[-1]]
                label = earlier[-1]
            elif against == "best" and against not in known:
                other = _best(candidates[candidates["version"].isin(earlier)], row)
                label = str(other["version"].iloc[0]) if len(other) else "best"
            else:
                other = candidates[candidates["version"] == against]
                label = against
            rows.append(_compare(row, other.iloc[0] if len(other) else None, label))
        return pd.DataFrame(rows, columns=REGRESSION_COLUMNS)


def _best(candidates: pd.DataFrame, row: pd.Series) -> pd.DataFrame:
    """The earlier run with the best value of the test, comparable runs first (one row or none)."""
    usable = candidates[np.isfinite(candidates["observed"].to_numpy(dtype=np.float64))]
    if usable.empty:
        return candidates.iloc[-1:]  # nothing to rank: the latest, judged not comparable
    same = usable[
        (usable["definition_hash"] == row["definition_hash"])
        & (usable["data_fingerprint"] == row["data_fingerprint"])
    ]
    pool = same if len(same) else usable
    values = pool["observed"].to_numpy(dtype=np.float64)
    ideal, higher = row["ideal"], row["higher_is_better"]
    if ideal is not None and not (isinstance(ideal, float) and math.isnan(ideal)):
        score = -np.abs(values - float(ideal))
    elif higher is None:  # no better direction (a selection rate): no best, the latest then
        return pool.iloc[-1:]
    elif higher is False:
        score = -values
    else:
        score = values
    return pool.iloc[[int(np.argmax(score))]]


def _finite(*values: Any) -> bool:
    return all(isinstance(v, int | float) and math.isfinite(v) for v in values)


def _fmt(value: float) -> str:
    return format_measure(value if math.isfinite(value) else None)


def _compare(row: pd.Series, other: pd.Series | None, label: str) -> dict[str, Any]:
    version = row["version"]
    out: dict[str, Any] = {
        "test_id": row["test_id"],
        "metric": row["metric"],
        "against": label,
        "value_against": math.nan,
        "ci_low_against": math.nan,
        "ci_high_against": math.nan,
        "version": version,
        "value": row["observed"],
        "ci_low": row["ci_low"],
        "ci_high": row["ci_high"],
        "difference": math.nan,
        "difference_ci_low": math.nan,
        "difference_ci_high": math.nan,
        "verdict": "not comparable",
        "reason": "",
    }
    if other is None:
        out["reason"] = f"not recorded under {label!r}"
        return out
    out.update(
        value_against=other["observed"],
        ci_low_against=other["ci_low"],
        ci_high_against=other["ci_high"],
    )
    if _finite(row["observed"], other["observed"]):
        out["difference"] = row["observed"] - other["observed"]
    changed = []
    if row["definition_hash"] != other["definition_hash"]:
        changed.append(
            f"the test's definition changed between {label!r} and {version!r} (slice, metric, "
            "model or expectation)"
        )
    if row["data_fingerprint"] != other["data_fingerprint"]:
        rows_then, rows_now = int(other["data_rows"]), int(row["data_rows"])
        size = (
            f"{rows_then} vs {rows_now} rows"
            if rows_then != rows_now
            else f"same {rows_now} rows, other labels"
        )
        changed.append(
            f"the data changed between {label!r} and {version!r} (fingerprint "
            f"{other['data_fingerprint']} vs {row['data_fingerprint']}: {size})"
        )
    if changed:
        out["reason"] = "; ".join(changed)
        return out
    for name, source in ((label, other), (version, row)):
        if not _finite(source["observed"]):
            detail = f": {source['reason']}" if source["reason"] else ""
            out["reason"] = f"no value under {name!r} (outcome {source['outcome']}{detail})"
            return out
        if not _finite(source["ci_low"], source["ci_high"]):
            out["reason"] = f"no interval recorded under {name!r}, so a change cannot be judged"
            return out
    lows, highs = mover_difference(
        *(np.asarray([row[k]], dtype=np.float64) for k in ("observed", "ci_low", "ci_high")),
        *(np.asarray([other[k]], dtype=np.float64) for k in ("observed", "ci_low", "ci_high")),
    )
    low, high = float(lows[0]), float(highs[0])
    out["difference_ci_low"], out["difference_ci_high"] = low, high
    level = format_level(row["confidence"])
    shown = f"difference {_fmt(out['difference'])} [{_fmt(low)}, {_fmt(high)}] at {level}"
    if low <= 0 <= high:
        out["verdict"] = "no detectable change"
        out["reason"] = f"{shown}: the interval holds 0"
        return out
    ideal, higher = row["ideal"], row["higher_is_better"]
    if _finite(ideal):
        better = abs(row["observed"] - ideal) < abs(other["observed"] - ideal)
        why = f"closer to {_fmt(ideal)}" if better else f"further from {_fmt(ideal)}"
    elif higher is None or (isinstance(higher, float) and math.isnan(higher)):
        # both values were measured, so the metric was known: it has no better direction
        out["verdict"] = "higher" if low > 0 else "lower"
        out["reason"] = f"{shown} (the metric has no better direction)"
        return out
    else:
        better = (low > 0) == bool(higher)
        why = "higher is better" if higher else "lower is better"
    out["verdict"] = "improved" if better else "regressed"
    out["reason"] = f"{shown} ({why})"
    return out


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The store's columns as documented: UTC times, NaN for NULL numbers, dict counts."""
    if "recorded_at" in frame:
        frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True, format="ISO8601")
    for column in _FLOATS:
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(np.float64)
    for column in ("n", "data_rows"):
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    if "data_rows" in frame and frame["data_rows"].notna().all():
        frame["data_rows"] = frame["data_rows"].astype(np.int64)
    if "higher_is_better" in frame:
        frame["higher_is_better"] = [
            None if v is None or (isinstance(v, float) and math.isnan(v)) else bool(v)
            for v in frame["higher_is_better"]
        ]
        frame["higher_is_better"] = frame["higher_is_better"].astype(object)
    if "counts" in frame:
        frame["counts"] = pd.Series(
            [json.loads(v) if isinstance(v, str) else None for v in frame["counts"]],
            index=frame.index,
            dtype=object,
        )
    return frame
