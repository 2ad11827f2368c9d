"""The pytest nodes of suite files: a file node and one item per test (slice or group test).

Loaded by :mod:`mlprobe.pytest_plugin` only when a pytest run meets a suite
file, so sessions without suite files never import pandas or mlprobe's core.
"""

from __future__ import annotations

import os
import re
import types
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pytest

from mlprobe.core.evaluator import Evaluator
from mlprobe.spec import (
    DEFAULT_FIXTURE,
    GroupTest,
    SliceTest,
    Suite,
    SuiteFileError,
    TestOutcome,
    run_test,
)
from mlprobe.terminal import escape
from mlprobe.testing import format_outcome

__all__ = ["SliceTestFailed", "SliceTestItem", "SuiteFile"]

#: the (suite file, fixture) pairs whose missing fixture has been explained in this run
_MISSING_REPORTED = pytest.StashKey[set[tuple[str, str]]]()


@dataclass
class _SuiteRun:
    """What one suite file's items ran, for the run recorded at the end of the session."""

    suite: Suite
    fingerprint: tuple[int, str] | None
    outcomes: list[TestOutcome] = field(default_factory=list)
    models: set[str | None] = field(default_factory=set)
    #: why the run cannot be recorded although its items ran (workers that disagree)
    problem: str = ""

    def ordered(self) -> list[TestOutcome]:
        """The outcomes in the suite file's order (workers finish in any order)."""
        position = {test.id: i for i, test in enumerate(self.suite.tests)}
        return sorted(self.outcomes, key=lambda o: position.get(o.id.split("[")[0], len(position)))


@dataclass
class _Recording:
    """The session's recording: the open store, the version, the outcomes per suite file."""

    store: Any  # None on an xdist worker: the controller records
    version: str
    runs: dict[str, _SuiteRun] = field(default_factory=dict)
    fingerprints: list[tuple[Any, tuple[int, str]]] = field(default_factory=list)
    lines: list[tuple[str, bool]] = field(default_factory=list)

    def fingerprint(self, probe: Any) -> tuple[int, str] | None:
        """The probe's data fingerprint, taken once per probe while its fixture is alive."""
        from mlprobe.spec.run_store import data_fingerprint

        for seen, value in self.fingerprints:
            if seen is probe:
                return value
        try:
            value = data_fingerprint(probe)
        except Exception:  # recorded as unknown below; the test itself still runs
            return None
        self.fingerprints.append((probe, value))
        return value


_RECORDING = pytest.StashKey[_Recording]()


def start_recording(config: pytest.Config, record: str, version: str, *, worker: bool) -> None:
    """Open the run store of --mlprobe-record (a usage error when it cannot be opened).

    An xdist ``worker`` opens nothing: it keeps its outcomes and hands them over at the
    end of its session (:func:`finish_recording`), and the controller, which opened the
    store, records each suite file once (:func:`take_over`).
    """
    from mlprobe.errors import MlprobeError
    from mlprobe.spec.run_store import RunStore, _label

    if worker:
        config.stash[_RECORDING] = _Recording(None, version)
        return
    try:
        _label(version, "--mlprobe-version")
        store = RunStore.open(record, argument="--mlprobe-record")
    except MlprobeError as error:
        text = str(error)
        raise pytest.UsageError(
            text if text.startswith("--mlprobe") else f"--mlprobe-record: {text}"
        ) from None
    config.stash[_RECORDING] = _Recording(store, version)


def _recording(config: pytest.Config) -> _Recording | None:
    return config.stash.get(_RECORDING, None)


#: the key of an xdist worker's outcomes in its ``workeroutput``
WORKER_OUTPUT = "mlprobe_runs"


def take_over(config: pytest.Config, workeroutput: dict[str, Any]) -> None:
    """On the xdist controller: add one worker's outcomes to the runs of the session."""
    recording = _recording(config)
    handed = workeroutput.get(WORKER_OUTPUT)
    if recording is None or recording.store is None or not handed:
        return
    for path, part in handed.items():
        given = part["fingerprint"]
        fingerprint = (int(given[0]), str(given[1])) if given is not None else None
        run = recording.runs.get(path)
        if run is None:
            try:
                suite = Suite.load(path)
            except SuiteFileError as error:
                recording.lines.append((escape(f"mlprobe: not recorded: {error}"), True))
                continue
            run = recording.runs[path] = _SuiteRun(suite, fingerprint)
        elif fingerprint is not None and run.fingerprint not in (None, fingerprint):
            run.problem = "the workers' fingerprints of the data differ (not the same rows?)"
        if run.fingerprint is None:
            run.fingerprint = fingerprint
        run.outcomes += [TestOutcome(**outcome) for outcome in part["outcomes"]]
        run.models |= set(part["models"])


def _hand_over(config: pytest.Config, recording: _Recording) -> None:
    """On an xdist worker: put the outcomes it ran where the controller reads them."""
    output = getattr(config, "workeroutput", None)
    if output is None:
        return
    output[WORKER_OUTPUT] = {
        path: {
            "fingerprint": list(run.fingerprint) if run.fingerprint is not None else None,
            "outcomes": [asdict(outcome) for outcome in run.outcomes],
            "models": sorted(run.models, key=str),
        }
        for path, run in recording.runs.items()
    }


def finish_recording(session: pytest.Session) -> None:
    """Write one run per suite file that ran, then close the store (on an xdist worker:
    hand the outcomes over instead)."""
    from mlprobe.errors import MlprobeError
    from mlprobe.spec import SuiteResult

    recording = _recording(session.config)
    if recording is None:
        return
    if recording.store is None:
        _hand_over(session.config, recording)
        return
    try:
        for path, run in recording.runs.items():
            if run.problem:
                recording.lines.append(
                    (escape(f"mlprobe: not recorded: {path}: {run.problem}"), True)
                )
                continue
            if run.fingerprint is None:
                recording.lines.append(
                    (
                        f"mlprobe: not recorded: {path}: the data's fingerprint could not be taken",
                        True,
                    )
                )
                continue
            models = [m for m in run.models if m is not None]
            run_id = recording.store.record(
                SuiteResult(run.suite.name, run.ordered()),
                suite=run.suite,
                fingerprint=run.fingerprint,
                version=recording.version,
                model=models[0] if len(run.models) == 1 and models else None,
            )
            count = len(run.outcomes)
            recording.lines.append(
                (
                    escape(
                        f"mlprobe: recorded run {run_id} of {run.suite.name} ({count} outcome"
                        f"{'' if count == 1 else 's'}) as version {recording.version} in "
                        f"{recording.store.location.shown}"
                    ),
                    False,
                )
            )
    except MlprobeError as error:
        recording.lines.append((escape(f"mlprobe: recording failed: {error}"), True))
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    finally:
        recording.store.close()


def recording_lines(config: pytest.Config) -> list[tuple[str, bool]]:
    """The lines the terminal summary shows about recording: ``(text, is_failure)``."""
    recording = _recording(config)
    return list(recording.lines) if recording is not None else []


_ID_LINE = re.compile(r"""(?:^|[\s{,-])["']?id["']?\s*:\s*["']?([A-Za-z0-9][A-Za-z0-9_.-]*)""")


class SliceTestFailed(AssertionError):
    """A slice or group test failed, errored, or (under ``--mlprobe-strict``) was inconclusive."""

    def __init__(self, outcome: TestOutcome, text: str) -> None:
        super().__init__(text)
        self.outcome = outcome
        self.text = text


def _id_lines(text: str) -> dict[str, int]:
    """0-based line of each ``id:`` in a suite file (first occurrence), for reports."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines()):
        for match in _ID_LINE.finditer(line):
            lines.setdefault(match.group(1), number)
    return lines


class SuiteFile(pytest.Module):
    """A suite file: its tests are the items; a bad file is a collection error.

    It is a :class:`pytest.Module` so that module-scoped fixtures work for its
    items (pytest scopes them to the nearest Module node) and live for one
    suite file, as they would for one test module; it holds an empty module
    object and never imports anything.
    """

    def _getobj(self) -> types.ModuleType:
        module = types.ModuleType(self.path.name, f"mlprobe suite file {self.path.name}")
        module.__file__ = str(self.path)
        return module

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        return self.path, 0, self.name

    def collect(self) -> Iterator[SliceTestItem]:
        try:
            suite = Suite.load(self.path)
        except SuiteFileError as error:
            raise self.CollectError(escape(self._shorter(str(error)))) from None
        fixture = suite.fixture or DEFAULT_FIXTURE
        # the items ask for the probe like any test asks for a fixture: pytest resolves it
        # (conftest visibility, scope, caching, setup errors) and fills item.funcargs
        self.add_marker(pytest.mark.usefixtures(fixture))
        try:
            lines = _id_lines(self.path.read_text(encoding="utf-8"))
        except OSError:  # pragma: no cover - the file was just read
            lines = {}
        models = _chosen_models(self.config)
        for test in suite.tests:
            per_model = [None] if test.model is not None or not models else models
            for model in per_model:
                yield SliceTestItem.from_parent(
                    self,
                    name=f"{test.id}[{model}]"
                    if model is not None and len(models) > 1
                    else test.id,
                    callobj=_slice_test,
                    suite=suite,
                    test=test,
                    fixture=fixture,
                    model=model,
                    lineno=lines.get(test.id, 0),
                )

    def _shorter(self, message: str) -> str:
        try:
            relative = os.path.relpath(self.path, self.config.invocation_params.dir)
        except ValueError:  # pragma: no cover - another drive on Windows
            return message
        return message.replace(str(self.path), relative, 1)


def _chosen_models(config: pytest.Config) -> list[str]:
    """The models named by --mlprobe-model (repeatable) or the ini option mlprobe_models."""
    names = config.getoption("mlprobe_model") or config.getini("mlprobe_models") or []
    return list(dict.fromkeys(str(n) for n in names))  # in order, once each


def _slice_test() -> None:  # pragma: no cover - SliceTestItem.runtest does the work
    """Stands in for a test function, so each item is a plain :class:`pytest.Function`."""


class SliceTestItem(pytest.Function):
    """One saved test (a slice test or a group test), run on the probe the suite's fixture provides.

    ``slice_test`` holds the declaration, whichever its kind.
    """

    def __init__(
        self,
        *,
        suite: Suite,
        test: SliceTest | GroupTest,
        fixture: str,
        model: str | None = None,
        lineno: int = 0,
        **kwargs: Any,
    ) -> None:
        self.suite = suite
        self.slice_test = test
        self.fixture = fixture
        self.model = model  # None: the test's own model, or every model of the probe
        self._lineno = lineno
        super().__init__(**kwargs)
        self.extra_keyword_matches.update(test.tags)  # -k selects by tag as well as by id

    def setup(self) -> None:
        try:
            super().setup()
        except pytest.FixtureLookupError as error:
            if error.argname != self.fixture:
                raise
        else:
            return
        # one explanation per suite file: its other items point back at it
        reported = self.config.stash.setdefault(_MISSING_REPORTED, set())
        key = (str(self.path), self.fixture)
        if key in reported:
            pytest.fail(
                f"fixture {self.fixture!r} not found: see the first error of "
                f"{self._relative_path()} for how to define it.",
                pytrace=False,
            )
        reported.add(key)
        pytest.fail(self._missing_fixture_message(), pytrace=False)

    def _relative_path(self) -> str:
        try:
            return os.path.relpath(self.path, self.config.invocation_params.dir)
        except ValueError:  # pragma: no cover - another drive on Windows
            return str(self.path)

    def _missing_fixture_message(self) -> str:
        named = (
            f" (the suite names it with 'fixture: {self.fixture}')"
            if self.fixture != DEFAULT_FIXTURE
            else " (a suite file may name another with a top-level 'fixture:')"
        )
        return (
            f"fixture {self.fixture!r} not found{named}.\n"
            f"Define it in a conftest.py in the folder of {self.path.name} or above, returning "
            f"the mlprobe.Probe the suite {escape(repr(self.suite.name))} runs on:\n\n"
            f"    @pytest.fixture(scope='session')\n"
            f"    def {self.fixture}():\n"
            f"        return mlprobe.Probe(data, target=..., model=... or predictions=...)\n\n"
            f"If {self._relative_path()} is not meant to run under pytest, keep it out of the "
            f"folders pytest collects or pass --ignore={self._relative_path()}."
        )

    def runtest(self) -> None:
        probe = self.funcargs[self.fixture]
        if not isinstance(probe, Evaluator):
            pytest.fail(
                f"fixture {self.fixture!r} returned {type(probe).__name__}; it must return an "
                "mlprobe.Probe (or an engine probe from Probe.from_parquet / from_spark).",
                pytrace=False,
            )
        test = self.slice_test
        models = list(getattr(probe, "models", ()))
        recording = _recording(self.config)
        counts = recording is not None
        if self.model is None and test.model is None and len(models) > 1:
            outcomes = [  # the CLI's policy: once per model, reported as test-id[model]
                replace(run_test(test, probe, model=m, counts=counts), id=f"{test.id}[{m}]")
                for m in models
            ]
        else:
            outcomes = [run_test(test, probe, model=self.model, counts=counts)]
            if self.name != test.id:  # one item per model: recorded as test-id[model]
                outcomes = [replace(outcomes[0], id=self.name)]
        if recording is not None:
            self._keep(recording, probe, outcomes, models)
        strict = bool(self.config.getoption("mlprobe_strict"))
        bad = [
            o
            for o in outcomes
            if o.outcome in ("failed", "error") or (strict and o.outcome == "inconclusive")
        ]
        if not bad:
            unsure = [o for o in outcomes if o.outcome == "inconclusive"]
            if unsure:
                reasons = [
                    o.reason if len(outcomes) == 1 else f"{o.id}: {o.reason}" for o in unsure
                ]
                pytest.skip(escape("inconclusive: " + "; ".join(reasons)))
            return
        blocks = [format_outcome(o, test, probe=probe, suite=self.suite.name) for o in bad]
        if len(outcomes) > 1:
            passed = [o.id for o in outcomes if o not in bad]
            note = f"\n\n(several models: ran once per model; {len(bad)} of {len(outcomes)} did not pass"
            blocks[-1] += note + (f", {', '.join(passed)} did)" if passed else ")")
        text = "\n\n".join(blocks)
        if any(o.outcome == "inconclusive" for o in bad):
            text += "\n  (inconclusive counts as a failure under --mlprobe-strict)"
        raise SliceTestFailed(bad[0], text)

    def _keep(
        self, recording: _Recording, probe: Any, outcomes: list[TestOutcome], models: list[str]
    ) -> None:
        """Add this item's outcomes to its suite file's run."""
        key = str(self.path)
        run = recording.runs.get(key)
        if run is None:
            run = recording.runs[key] = _SuiteRun(self.suite, recording.fingerprint(probe))
        run.outcomes.extend(outcomes)
        if self.model is not None:
            run.models.add(self.model)
        elif len(models) == 1 and self.slice_test.model is None:
            run.models.add(models[0])
        else:
            run.models.add(self.slice_test.model)

    def repr_failure(  # type: ignore[override]
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> Any:
        if isinstance(excinfo.value, SliceTestFailed):
            return excinfo.value.text
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        return self.path, self._lineno, escape(f"{self.suite.name}::{self.name}", multiline=False)
