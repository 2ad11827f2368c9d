"""A suite: named, ordered slice and group tests that load from and save to a readable file.

Examples
--------
>>> import mlprobe as mp
>>> suite = mp.Suite("income-model")
>>> suite.add(mp.SliceTest(id="older-women-recall", metric="recall[>50K]", at_least=0.8,
...     slice=mp.Slice("older women", (mp.col("age") >= 60) & (mp.col("sex") == "Female"))))
<Suite 'income-model': 1 test>
>>> print(suite.dumps())
mlprobe: 1
name: income-model
tests:
  - id: older-women-recall
    slice: {name: older women, and: [{column: age, ge: 60}, {column: sex, eq: Female}]}
    metric: recall[>50K]
    expect: {at_least: 0.8}
<BLANKLINE>
>>> mp.Suite.loads(suite.dumps()) == suite
True
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlprobe.core.arguments import CONFIDENCE, MIN_SUPPORT
from mlprobe.core.evaluator import Evaluator
from mlprobe.errors import MlprobeError, ValidationError
from mlprobe.spec.errors import SuiteFileError
from mlprobe.spec.files import (
    MAX_DEPTH,
    check_depth,
    decode_text,
    dump_document,
    holds_suite,
    read_document,
    read_document_text,
    write_atomic,
)
from mlprobe.spec.from_slices import MergedTests, build_tests, merge_tests
from mlprobe.spec.group_test import AnyTest, GroupTest
from mlprobe.spec.result import SuiteResult
from mlprobe.spec.runner import run_test
from mlprobe.spec.schema import FORMAT_VERSION, validate_document
from mlprobe.spec.slice_test import Baseline, SliceTest

if TYPE_CHECKING:
    import pandas as pd

    from mlprobe.core.slicing.slices import Slice
    from mlprobe.spec.criteria import HistoryReader

__all__ = ["DEFAULT_FIXTURE", "Suite"]

#: The pytest fixture that provides the probe, unless a suite names another.
DEFAULT_FIXTURE = "mlprobe_probe"
_FIXTURE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(eq=True)
class Suite:
    """Slice and group tests for a model, in order; ids unique across both kinds.

    Parameters
    ----------
    name : str
        The suite's name (shown in reports and JUnit XML).
    tests : iterable of SliceTest or GroupTest
    description : str
    fixture : str, optional
        The pytest fixture providing the probe (default ``mlprobe_probe``).
    """

    name: str
    tests: list[AnyTest] = field(default_factory=list)
    description: str = ""
    fixture: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError(f"Suite: 'name' must be a non-empty str; received {self.name!r}.")
        if not isinstance(self.description, str):
            raise ValidationError(
                f"Suite: 'description' must be a str; received {self.description!r}."
            )
        if self.fixture is not None and (
            not isinstance(self.fixture, str) or not _FIXTURE.match(self.fixture)
        ):
            raise ValidationError(
                "Suite: 'fixture' must be None or the name of a pytest fixture (letters, digits "
                f"and '_', not starting with a digit); received {self.fixture!r}."
            )
        tests = list(self.tests)
        seen: set[str] = set()  # one pass: calling add() per test would scan the list each time
        for test in tests:
            self._check_new(test, seen)
            seen.add(test.id)
        self.tests = tests

    def __repr__(self) -> str:
        count = len(self.tests)
        return f"<Suite {self.name!r}: {count} test{'' if count == 1 else 's'}>"

    def __len__(self) -> int:
        return len(self.tests)

    def __iter__(self) -> Any:
        return iter(self.tests)

    def __getitem__(self, test_id: str) -> AnyTest:
        for test in self.tests:
            if test.id == test_id:
                return test
        raise KeyError(f"no test {test_id!r} in suite {self.name!r}")

    def add(self, test: AnyTest) -> Suite:
        """Append a test (in place); a duplicate id is an error. Returns the suite."""
        self._check_new(test, {t.id for t in self.tests})
        self.tests.append(test)
        return self

    def _check_new(self, test: Any, ids: set[str] | dict[str, Any]) -> None:
        """Raise unless ``test`` is a SliceTest or GroupTest whose id is not among ``ids``."""
        if not isinstance(test, SliceTest | GroupTest):
            raise ValidationError(
                f"Suite.add: expected a SliceTest or a GroupTest; received {type(test).__name__}."
            )
        if test.id in ids:
            raise ValidationError(
                f"Suite.add: suite {self.name!r} already has a test with id {test.id!r}; "
                "ids must be unique."
            )

    # --- plain data -----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The suite document, as written to a file."""
        document: dict[str, Any] = {"mlprobe": FORMAT_VERSION, "name": self.name}
        if self.description:
            document["description"] = self.description
        if self.fixture is not None:
            document["fixture"] = self.fixture
        document["tests"] = [t.to_dict() for t in self.tests]
        return document

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> Suite:
        """Validate a suite document against the schema and build the suite."""
        validate_document(document)
        first_index: dict[str, int] = {}  # one pass; list.count per id was quadratic
        for second, raw in enumerate(document["tests"]):
            first = first_index.setdefault(raw["id"], second)
            if first != second:
                raise SuiteFileError(
                    f"tests[{second}].id: {raw['id']!r} is already the id of tests[{first}]; "
                    "ids must be unique."
                )
        tests: list[AnyTest] = []
        for i, raw in enumerate(document["tests"]):
            kind = GroupTest if "by" in raw else SliceTest  # the schema checked it is one of them
            try:
                tests.append(kind.from_dict(raw, path=f"tests[{i}]"))
            except MlprobeError as error:
                raise SuiteFileError(str(error)) from None
        try:
            return cls(
                document["name"],
                tests,
                description=document.get("description", ""),
                fixture=document.get("fixture"),
            )
        except MlprobeError as error:  # e.g. a blank name, which the schema lets through
            raise SuiteFileError(f"name: {error}") from None

    # --- files ------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Suite:
        """Read a suite file (YAML, or JSON for ``.json``); data only, never code."""
        document = read_document(path)
        try:
            return cls.from_dict(document)
        except SuiteFileError as error:
            raise SuiteFileError(f"{path}: {error}") from None

    @classmethod
    def loads(cls, text: str | bytes, *, json_format: bool = False) -> Suite:
        """Read a suite from text, or from bytes holding UTF-8 text."""
        source = "<text>.json" if json_format else "<text>"
        if isinstance(text, bytes | bytearray | memoryview):
            text = decode_text(bytes(text), source=source)
        elif not isinstance(text, str):
            raise ValidationError(
                f"Suite.loads: expected the suite file's text (str, or UTF-8 bytes); received "
                f"{type(text).__name__}. To read a file, use Suite.load(path)."
            )
        return cls.from_dict(read_document_text(text, source=source))

    def dumps(self, *, json_format: bool = False) -> str:
        """The suite file text: stable key order, one test after another."""
        document = self.to_dict()
        try:
            check_depth(document, "the suite")
        except SuiteFileError:
            raise SuiteFileError(
                f"suite {self.name!r} cannot be saved: it nests more than {MAX_DEPTH} levels "
                "deep (slices inside and/or/not), deeper than a suite file is read back; "
                "flatten the slice (one 'and' of many conditions rather than nested ones)."
            ) from None
        try:  # never write a file that would not load back
            validate_document(document)
        except SuiteFileError as error:
            raise SuiteFileError(f"suite {self.name!r} cannot be saved: {error}") from None
        return dump_document(document, json_format=json_format)

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the suite atomically (JSON for ``.json``, else YAML); returns the path.

        An existing suite file is replaced. An existing file that is not a mlprobe
        suite (no ``mlprobe:`` key, or not YAML/JSON at all) is refused unless
        ``overwrite=True``. A symbolic link stays a link; the file it points to
        gets the new content.
        """
        if not isinstance(path, str | os.PathLike) or not os.fspath(path).strip():
            raise ValidationError(
                f"Suite.save: 'path' must be a non-empty file path; received {path!r}. "
                "Give e.g. tests/model.mlprobe.yaml."
            )
        text = self.dumps(json_format=Path(path).suffix == ".json")
        if not overwrite and not holds_suite(path):
            raise SuiteFileError(
                f"{os.fspath(path)}: exists and is not a mlprobe suite file; refusing to "
                "overwrite it. Choose another path, or pass overwrite=True to replace it."
            )
        write_atomic(path, text)
        return Path(path)

    @classmethod
    def append(
        cls, path: str | os.PathLike[str], test: AnyTest, *, name: str | None = None
    ) -> Suite:
        """Add ``test`` to the suite file at ``path`` safely when several writers append at once.

        The read, the add and the atomic write happen under an exclusive lock on
        a sidecar file ``<path>.lock`` (``fcntl.flock``, POSIX), so concurrent
        appends by other processes or threads never lose a test. A missing file is
        created as a suite called ``name`` (default: the file name without its
        extensions). A test id already in the file is refused
        (:class:`~mlprobe.errors.ValidationError`). Returns the suite as written.

        On platforms without ``fcntl`` (Windows) there is no lock: this is a best
        effort, and concurrent writers can still lose tests.
        """
        if not isinstance(path, str | os.PathLike) or not os.fspath(path).strip():
            raise ValidationError(
                f"Suite.append: 'path' must be a non-empty file path; received {path!r}."
            )
        if not isinstance(test, SliceTest | GroupTest):
            raise ValidationError(
                f"Suite.append: expected a SliceTest or a GroupTest; received "
                f"{type(test).__name__}."
            )
        target = Path(path)
        with _locked(target):
            if target.exists():
                suite = cls.load(target)
            else:
                suite = cls(name or target.name.split(".")[0] or "suite")
            suite.add(test)
            suite.save(target)
        return suite

    @classmethod
    def append_all(
        cls, path: str | os.PathLike[str], tests: Iterable[SliceTest], *, name: str | None = None
    ) -> MergedTests:
        """Add several tests to the suite file at ``path``, keeping every test already there.

        As :meth:`append` (under the same lock; a missing file is created as a suite
        called ``name``), but a test of a slice, metric and model the file already
        tests is skipped, and a new test whose id is taken gets the first free ``-2``,
        ``-3``... suffix: saving the same findings twice adds nothing, and no existing
        test is ever changed.

        Returns
        -------
        MergedTests
            ``(tests, added, skipped)``: the file's tests as written, the new tests
            added (with their final ids) and the new tests skipped.
        """
        if not isinstance(path, str | os.PathLike) or not os.fspath(path).strip():
            raise ValidationError(
                f"Suite.append_all: 'path' must be a non-empty file path; received {path!r}."
            )
        if isinstance(tests, SliceTest) or not isinstance(tests, Iterable):
            raise ValidationError(
                "Suite.append_all: 'tests' must be a list of SliceTest (a Suite works too); "
                f"received {type(tests).__name__}."
            )
        new = list(tests)
        for test in new:
            if not isinstance(test, SliceTest):
                raise ValidationError(
                    f"Suite.append_all: expected SliceTest objects; received {type(test).__name__}."
                    + (
                        " Add a group test with Suite.append."
                        if isinstance(test, GroupTest)
                        else ""
                    )
                )
        target = Path(path)
        with _locked(target):
            if target.exists():
                suite = cls.load(target)
            else:
                suite = cls(name or target.name.split(".")[0] or "suite")
            merged = merge_tests(suite.tests, new)
            if merged.added or not target.exists():
                Suite(
                    suite.name, merged.tests, description=suite.description, fixture=suite.fixture
                ).save(target)
        return merged

    # --- from findings ---------------------------------------------------------------------

    @classmethod
    def from_slices(
        cls,
        slices: pd.DataFrame | Sequence[Slice | str] | Slice | str,
        *,
        name: str,
        probe: Evaluator,
        metric: str | None = None,
        model: str | None = None,
        expect: Mapping[str, float] | None = None,
        allowance: float | None = None,
        min_support: int = MIN_SUPPORT,
        confidence: float = CONFIDENCE,
        tags: Sequence[str] = (),
        description: str = "",
    ) -> Suite:
        """A suite with one test per slice: found slices become tests in one call.

        Each test records the slice's value on ``probe`` today as its baseline and, by
        default, fails when a later model is worse there than that baseline by more
        than an allowance. Save it with :meth:`save` (or add it to an existing file
        with :meth:`append_all`) and run it on every new model version.

        Parameters
        ----------
        slices : DataFrame, list of Slice or str, Slice or str
            What :meth:`mlprobe.Probe.find_slices` returned (so
            ``found.pipe(mp.Suite.from_slices, name=..., probe=probe)`` works), a
            :meth:`~mlprobe.Probe.breakdown` table (its ``overall`` rows are left out;
            slices are read from its ``attrs``, else parsed from the ``slice`` column),
            any table with a ``slice`` column, or slices and slice texts. Slices with
            the same conditions become one test. The input is not modified.
        name : str
            The suite's name.
        probe : Probe
            Where the baselines are measured: any object of the
            :class:`~mlprobe.core.evaluator.Evaluator` protocol.
        metric : str, optional
            The metric of every test. Default: for a find_slices table, the mean of the
            loss it ranked by (``error_rate`` stays ``error_rate``, which is a metric
            too, so the baseline is the number the search showed; ``log_loss`` and
            ``brier`` stay; ``absolute_error`` becomes ``mae``, ``squared_error``
            ``mse``); for a breakdown, its first metric (the one its ``gap`` and
            q-values are about); for a list, ``error_rate`` (classification) or
            ``mae`` (regression), as find_slices ranks by default.
        model : str, optional
            Whose values become the baselines. Required when the probe has several
            models (unless a breakdown table holds exactly one). The tests themselves
            name no model, so ``suite.run(probe, model="v3")`` checks any version.
        expect : dict, optional
            One expectation for every test, as in a suite file: ``{"at_least": 0.8}``,
            ``{"at_most": 0.2}``, ``{"max_gap_to_overall": 0.05}`` or
            ``{"max_drop_from_baseline": 0.02}``. Default: no worse than the baseline
            by more than the allowance.
        allowance : float, optional
            How much worse than its baseline a slice may get (in the metric's units);
            not with ``expect``. Default, per slice: the larger of the baseline's
            ``confidence`` interval margin on the worse side and one point (0.01; 1%
            of the value for values above 1, such as an MAE in dollars), rounded up to
            two digits. Why: the same model on the same rows reproduces its baseline
            exactly, so any allowance passes it; a drop within the interval's margin
            is within what the slice's size can tell apart from noise, so failing on
            it would make a flaky test, while a drop beyond it is a change the data
            resolves. The one-point floor keeps a large slice (a very narrow interval)
            from failing on a trivial change. A metric with an ideal value (e.g.
            ``mean_error``, best at 0) gets a one-sided bound instead: it may not move
            further from the ideal, on the side its baseline is on, by more than the
            allowance (``at_most`` or ``at_least``).
        min_support : int
            Each test is inconclusive below this many rows.
        confidence : float
            The level of the intervals the default allowance comes from. The tests
            themselves are judged on their value (they set no ``confidence``).
        tags : list of str
            Tags of every test.
        description : str
            The suite's description. Each test's description says how its slice was
            found, e.g. ``Found by find_slices on 2026-12-04: error_rate 0.376 vs
            0.198 on the rest (q = 1.9e-317). Fails when error_rate is worse than its
            baseline by more than 0.01 (one point: its 95% interval's margin, 0.0093, is
            smaller).``: no machine path, no user name.

        Returns
        -------
        Suite
            One test per distinct slice, in the input's order, with ids from the
            slice text: readable (``age-lt-26-and-sex-eq-female``; a custom slice name
            is used as it is), stable (the same slice gets the same id on every run
            and machine), and unique (slices that read the same once lowercased both
            end in a hash of their conditions; see
            :func:`~mlprobe.spec.from_slices.slice_id`).

        Raises
        ------
        ValidationError
            A bad argument, naming it and the fix; several models and no ``model``;
            a metric undefined on a slice when the expectation needs a baseline.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import mlprobe as mp
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"a": rng.choice(["x", "y"], 400), "b": rng.choice(["u", "v"], 400)})
        >>> y = rng.integers(0, 2, 400)
        >>> wrong = (df["a"] == "x") & (df["b"] == "u") & (rng.random(400) < 0.5)
        >>> probe = mp.Probe(df.assign(y=y), target="y", predictions=np.where(wrong, 1 - y, y))
        >>> found = probe.find_slices(top_k=1)
        >>> suite = found.pipe(mp.Suite.from_slices, name="found", probe=probe)
        >>> test = suite.tests[0]
        >>> test.id, test.metric, test.expectation, test.threshold_value
        ('a-eq-x-and-b-eq-u', 'error_rate', 'max_drop_from_baseline', 0.11)
        >>> test.baseline.value, test.baseline.n
        (0.511628, 86)
        >>> print(test.description)
        Found by find_slices on ...: error_rate 0.512 vs 0.000 on the rest (q ...).
        Fails when error_rate is worse than its baseline by more than 0.11 (its 95% interval's
        margin; at least one point).
        >>> suite.run(probe).passed
        True
        """
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(
                f"Suite.from_slices: name: expected the suite's name, a non-empty str such "
                f"as 'found-slices'; received {name!r}."
            )
        tests = build_tests(
            slices,
            probe=probe,
            metric=metric,
            model=model,
            expect=expect,
            allowance=allowance,
            min_support=min_support,
            confidence=confidence,
            tags=tags,
        )
        return cls(name, [*tests], description=description)

    # --- as written criteria ---------------------------------------------------------------

    def to_markdown(self, history: HistoryReader | None = None) -> str:
        """The suite as the team's written success criteria, in Markdown.

        Grouped by tags, each test as a sentence with its description and where its
        threshold came from; with ``history`` (e.g. :class:`mlprobe.History`), each
        test's latest outcome per version and a table of the latest outcomes. Suitable
        for a pull-request comment or a CI job summary. See
        :func:`mlprobe.spec.criteria.criteria_markdown`.
        """
        from mlprobe.spec.criteria import criteria_markdown

        return criteria_markdown(self, history=history)

    def to_html(
        self, history: HistoryReader | None = None, charts: Mapping[str, str] | None = None
    ) -> str:
        """The suite as written success criteria: one self-contained, offline HTML page.

        ``charts`` maps test ids to SVG images (e.g. trend charts) shown under each
        test. See :func:`mlprobe.spec.criteria.criteria_html`.
        """
        from mlprobe.spec.criteria import criteria_html

        return criteria_html(self, history=history, charts=charts)

    # --- against a probe -----------------------------------------------------------------

    def run(
        self,
        probe: Evaluator,
        *,
        model: str | None = None,
        record: str | os.PathLike[str] | None = None,
        version: str | None = None,
    ) -> SuiteResult:
        """Run every test on ``probe`` (``model`` for tests that name none).

        Parameters
        ----------
        record : str or path, optional
            A run store to record the outcomes in: a file path (SQLite; its folder must
            exist, the file is created) or a SQLAlchemy URL
            (``postgresql+psycopg://user@host/db``). One run is written in one
            transaction: per test its value, interval, n, the counts behind the value,
            the outcome and the test's definition hash, with the data's fingerprint, the
            git commit and branch (when run in a repository) and the time. Read it back
            with :class:`mlprobe.History`.
        version : str
            The label of the model version the run is recorded under (e.g. ``"v7"``);
            required with ``record``.

        Returns
        -------
        SuiteResult
            Its ``run_id`` is the recorded run's id (None when not recorded).
        """
        if record is None:
            if version is not None:
                raise ValidationError(
                    f"Suite.run: version={version!r} labels a recorded run, and no record= "
                    "was given; pass record='runs.db' (or a SQLAlchemy URL) too, or drop version=."
                )
            return SuiteResult(self.name, [run_test(t, probe, model=model) for t in self.tests])
        if version is None:
            raise ValidationError(
                "Suite.run: record= needs version=, the label of the model version this run is "
                "recorded under (e.g. version='v7'; on the command line --version, in pytest "
                "--mlprobe-version)."
            )
        from mlprobe.spec.run_store import RunStore, _label

        _label(version, "Suite.run: version")
        with RunStore.open(record, argument="Suite.run: record") as store:  # fail before running
            result = SuiteResult(
                self.name, [run_test(t, probe, model=model, counts=True) for t in self.tests]
            )
            result.run_id = store.record(
                result, suite=self, probe=probe, version=version, model=model
            )
        return result

    def with_baselines(self, probe: Evaluator, model: str | None = None) -> Suite:
        """A copy whose tests record the probe's current values as their baselines.

        A slice test records its metric's value and rows; a group test records the
        difference (for ``max_difference``) or the ratio (for ``min_ratio``) and, as
        ``n``, the number of groups compared.
        """
        today = dt.date.today().isoformat()
        tests: list[AnyTest] = []
        for test in self.tests:
            name = test.model or model
            try:
                if isinstance(test, GroupTest):
                    value, n = _group_value(test, probe, name)
                else:
                    result = probe.metric(test.metric, test.slice, model=name)
                    value, n = result["value"], int(result["n"])
            except MlprobeError as error:
                raise MlprobeError(
                    f"cannot record a baseline for test {test.id!r}: {error}"
                ) from error
            recorded_model = name if name is not None else _only_model(probe)
            value = round(value, 6)  # what a review can read; far below any noise
            baseline = Baseline(
                # undefined (NaN) or unbounded (an infinite log_loss): nothing to compare with
                value if math.isfinite(value) else None,
                n,
                recorded_model,
                today,
            )
            tests.append(test.with_baseline(baseline))
        return Suite(self.name, tests, description=self.description, fixture=self.fixture)


def _group_value(test: GroupTest, probe: Evaluator, model: str | None) -> tuple[float, int]:
    """A group test's current difference or ratio, and how many groups it compares."""
    from mlprobe.spec.runner import disparity_row

    row = disparity_row(test, probe, model, confidence=CONFIDENCE)
    return float(row[test.statistic]), int(row["groups"])


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``<path>.lock`` (POSIX ``flock``; no lock where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: documented best effort
        yield
        return
    lock_path = path.with_name(path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
    except OSError as error:
        raise SuiteFileError(
            f"{path}: cannot create the lock file {lock_path}: {error.strerror or error}; "
            "make the directory writable."
        ) from None
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _only_model(probe: Any) -> str | None:
    models = getattr(probe, "models", None)
    return models[0] if models and len(models) == 1 else None
