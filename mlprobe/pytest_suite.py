"""The pytest nodes of suite files: a file node and one item per test (slice or group test).

Loaded by :mod:`mlprobe.pytest_plugin` only when a pytest run meets a suite
file, so sessions without suite files never import pandas or mlprobe's core.
"""

from __future__ import annotations

import os
import re
import types
from collections.abc import Iterator
from dataclasses import replace
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
        if self.model is None and test.model is None and len(models) > 1:
            outcomes = [  # the CLI's policy: once per model, reported as test-id[model]
                replace(run_test(test, probe, model=m), id=f"{test.id}[{m}]") for m in models
            ]
        else:
            outcomes = [run_test(test, probe, model=self.model)]
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

    def repr_failure(  # type: ignore[override]
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> Any:
        if isinstance(excinfo.value, SliceTestFailed):
            return excinfo.value.text
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        return self.path, self._lineno, escape(f"{self.suite.name}::{self.name}", multiline=False)
