"""pytest plugin: every test in a ``*.mlprobe.yaml`` / ``*.mlprobe.json`` file is a pytest item.

Registered through the ``pytest11`` entry point, so installing mlprobe is all
it takes (``-p no:mlprobe`` turns it off). A suite file collects as one
pytest file; each of its tests becomes an item with the node id
``path/to/income.mlprobe.yaml::older-women-recall``, so ``-k`` selects them
by id (or by tag).

The probe comes from a fixture you define in ``conftest.py``, named
``mlprobe_probe`` unless the suite file names another with a top-level
``fixture:``::

    @pytest.fixture(scope="session")
    def mlprobe_probe():
        data = pd.read_parquet("eval.parquet")
        return mlprobe.Probe(data, target="income", model=load_model())

How the fixture reaches the item: each item is a :class:`pytest.Function`,
and the suite file node carries ``pytest.mark.usefixtures(<fixture>)``, so
pytest resolves the fixture exactly as for any test (conftest visibility,
scopes, caching, ``--setup-plan``, ``--fixtures-per-test``, setup errors) and
puts its value in ``item.funcargs``. The item's ``runtest`` then runs the
slice test on that value.

Several models: a test that names no ``model:`` runs once per model of the
probe, as in ``mlprobe test``, and each run is reported as ``test-id[model]``.
Item ids need the model names at collection, before any fixture runs, so:

* ``--mlprobe-model v1`` (or the ini option ``mlprobe_models = v1``) tests one
  model: items keep their plain ids;
* ``--mlprobe-model v1 --mlprobe-model v2`` (or ``mlprobe_models = v1 v2``)
  collects one item per model, ``income.mlprobe.yaml::older-women-recall[v1]``
  and ``...[v2]``, so ``-k`` selects a model and each passes or fails alone;
* with no names, each such test is one item that runs on every model of the
  probe; it fails when any model fails, its report has one block per model
  (``older-women-recall[v1] FAILED: ...``), and it is skipped as inconclusive
  only when no model failed and some was inconclusive.

Tests that name a model run on that model only, whatever the option says.

Group tests (``by: race``, ``expect: {max_difference: 0.1}``) are items like
slice tests, named by their id; their reports show the columns compared
(``groups: by race``) where a slice test shows its slice, and the difference
(or ratio) between the groups as the observed value.

Recording: ``--mlprobe-record runs.db --mlprobe-version v7`` (or the ini options
``mlprobe_record`` and ``mlprobe_version``) records, at the end of the session, the
outcomes of each suite file as one run in a run store (a SQLite file or a SQLAlchemy
URL; see :class:`mlprobe.History`). The store is opened when the session starts, so a
bad path stops it at once; items that did not run (deselected, a missing fixture) are
not recorded. Under pytest-xdist (``-n 4``) the workers hand their outcomes to the
controller, which records each suite file once, in the file's order.

Outcomes: passed; failed and error fail the item with the slice, metric,
observed value, interval, threshold, n and description; inconclusive skips it
with the reason, or fails it under ``--mlprobe-strict``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mlprobe.pytest_suite import SuiteFile

__all__ = ["SUFFIXES"]

#: File names the plugin collects.
SUFFIXES = (".mlprobe.yaml", ".mlprobe.yml", ".mlprobe.json")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mlprobe", "mlprobe slice tests")
    group.addoption(
        "--mlprobe-strict",
        action="store_true",
        default=False,
        dest="mlprobe_strict",
        help="fail inconclusive slice tests (too few rows, an undefined metric, an interval "
        "straddling the threshold) instead of skipping them.",
    )
    group.addoption(
        "--mlprobe-model",
        action="append",
        default=None,
        dest="mlprobe_model",
        metavar="NAME",
        help="run the slice tests on this model of the probe (tests that name a model keep "
        "theirs). Can be repeated to run each test on each of several models: "
        "--mlprobe-model v1 --mlprobe-model v2 gives one item per model, test-id[v1] and "
        "test-id[v2]. Without it, a test runs on every model of a several-model probe as one "
        "item.",
    )
    group.addoption(
        "--mlprobe-record",
        default=None,
        dest="mlprobe_record",
        metavar="DB",
        help="record each suite file's outcomes as one run in this run store at the end of the "
        "session: a SQLite file (created; its folder must exist) or a SQLAlchemy URL. Needs "
        "--mlprobe-version.",
    )
    group.addoption(
        "--mlprobe-version",
        default=None,
        dest="mlprobe_version",
        metavar="LABEL",
        help="the label of the model version recorded runs are filed under (e.g. v7).",
    )
    parser.addini("mlprobe_record", default=None, help="the run store, as --mlprobe-record.")
    parser.addini("mlprobe_version", default=None, help="the version label, as --mlprobe-version.")
    parser.addini(
        "mlprobe_models",
        type="args",
        default=[],
        help="the models to test, as --mlprobe-model (which takes precedence).",
    )


def pytest_configure(config: pytest.Config) -> None:
    """With --mlprobe-record: check it has a version, and open the store before any test runs."""
    record = config.getoption("mlprobe_record", None) or config.getini("mlprobe_record") or None
    version = config.getoption("mlprobe_version", None) or config.getini("mlprobe_version") or None
    if record is None and version is None:
        return
    if record is None:
        raise pytest.UsageError(
            f"--mlprobe-version {version} labels a recorded run; give --mlprobe-record DB too "
            "(or the ini option mlprobe_record)."
        )
    if version is None:
        raise pytest.UsageError(
            "--mlprobe-record needs --mlprobe-version LABEL (or the ini option "
            "mlprobe_version): the model version the runs are recorded under, e.g. "
            f"--mlprobe-record {record} --mlprobe-version v7."
        )
    from mlprobe.pytest_suite import start_recording  # the heavy part, only when recording

    # an xdist worker keeps its outcomes for the controller, which records them once
    start_recording(config, str(record), str(version), worker=hasattr(config, "workerinput"))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SuiteFile | None:
    if file_path.name.endswith(SUFFIXES):
        from mlprobe.pytest_suite import SuiteFile  # the heavy part, only when needed

        return SuiteFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Point a skipped slice test at its line in the suite file, not at this plugin."""
    report = yield
    nodes = sys.modules.get("mlprobe.pytest_suite")
    if (
        nodes is not None
        and isinstance(item, nodes.SliceTestItem)
        and report.skipped
        and isinstance(report.longrepr, tuple)
        and len(report.longrepr) == 3
    ):
        lineno = item.reportinfo()[1]
        report.longrepr = (str(item.path), (lineno or 0) + 1, report.longrepr[2])
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Record each suite file's outcomes as one run (with --mlprobe-record); an xdist
    worker hands its outcomes to the controller instead."""
    nodes = sys.modules.get("mlprobe.pytest_suite")
    if nodes is not None:
        nodes.finish_recording(session)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: an xdist worker finished; add the outcomes it ran to the session's runs."""
    nodes = sys.modules.get("mlprobe.pytest_suite")
    if nodes is not None:
        nodes.take_over(node.config, getattr(node, "workeroutput", None) or {})


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say which runs were recorded (or why recording failed)."""
    nodes = sys.modules.get("mlprobe.pytest_suite")
    if nodes is not None:
        for line, failed in nodes.recording_lines(config):
            terminalreporter.write_line(line, red=failed, bold=failed)
