"""The ``mlprobe`` command line: ``demo``, ``test``, ``validate``, ``doc`` and ``history``.

``mlprobe test`` runs suite files on a table of stored predictions (CSV or
Parquet, written by any framework), so CI needs no Python model code::

    mlprobe test tests/income.mlprobe.yaml --data eval.parquet --target income \\
        --predictions pred --junit junit.xml
    mlprobe test tests/*.mlprobe.yaml --data eval.csv --target income \\
        --model v1=pred_v1 --model v2=pred_v2
    mlprobe validate tests/*.mlprobe.yaml
    mlprobe doc tests/income.mlprobe.yaml --history runs.db -o criteria.html
    mlprobe history runs.db --markdown

Exit codes: 0 every test passed (inconclusive ones allowed), 1 some test
failed or errored, 2 bad usage, unreadable data, a bad suite file or unknown
column names.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO
from xml.etree import ElementTree

__all__ = ["main"]

_EXIT_CODES = """\
exit codes:
  0  every test passed (inconclusive tests are allowed)
  1  some test failed or errored
  2  bad usage, unreadable data, a bad suite file or unknown column names
"""

_TEST_EPILOG = f"""\
The table holds one row per evaluated example: the features the slices and group tests use, the
target, and each model's stored predictions. A group test (by: COLUMN) shows its metric as e.g.
"fpr difference" and, as observed, the difference (or ratio) between the groups. --predictions names the column of a single model; --model NAME=COL
(repeatable) names one column per model version, and each test that names no model in its suite
file then runs once per model (reported as test-id[NAME]). --scores lists class probability
columns, one per class in sorted class order (a single column: the positive class of a binary
task); it applies to a single model only, and as it takes several values, give it after the
SUITE files.

--junit writes one JUnit XML file with a <testsuite> per suite file.

{_EXIT_CODES}"""

_CSV = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".csv.zst")
_PARQUET = (".parquet", ".pq")
_NOTE_WIDTH = 70


def _model_spec(text: str) -> tuple[str, str]:
    name, sep, column = text.partition("=")
    if not sep or not name or not column:
        raise argparse.ArgumentTypeError(
            f"expected NAME=COLUMN, e.g. v1=pred_v1; received {text!r}"
        )
    return name, column


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlprobe",
        description="Find where ML models fail, slice by slice.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "demo",
        help="train a model on UCI Adult and print its breakdowns and weakest groups",
    )
    test = commands.add_parser(
        "test",
        help="run suite files on a CSV or Parquet table of stored predictions",
        description="Run suite files on a table of stored predictions and print the outcomes.",
        epilog=_TEST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    test.add_argument(
        "suites", nargs="+", metavar="SUITE", help="suite files (.mlprobe.yaml or .mlprobe.json)"
    )
    test.add_argument(
        "--data", required=True, metavar="PATH", help="evaluation table: .csv or .parquet"
    )
    test.add_argument("--target", required=True, metavar="COL", help="column of true labels")
    outputs = test.add_mutually_exclusive_group(required=True)
    outputs.add_argument(
        "--predictions", metavar="COL", help="column of a single model's predictions"
    )
    outputs.add_argument(
        "--model",
        dest="models",
        action="append",
        type=_model_spec,
        metavar="NAME=COL",
        help="a model version and its predictions column; repeat for several models",
    )
    test.add_argument(
        "--scores",
        nargs="+",
        metavar="COL",
        help="class probability columns, in sorted class order (single model only)",
    )
    test.add_argument(
        "--task",
        choices=["binary", "multiclass", "regression"],
        help="the task, when inferring it from the target is not wanted",
    )
    test.add_argument(
        "--positive",
        metavar="LABEL",
        help="binary tasks: the positive class that bare metric names (recall, fpr, "
        "selection_rate, ...) mean; default 1 or True when it is a class",
    )
    test.add_argument("--junit", metavar="PATH", help="also write the outcomes as JUnit XML")
    test.add_argument(
        "--engine",
        choices=["pandas", "duckdb", "spark"],
        default="pandas",
        help="where the table is counted: loaded into pandas (default), scanned by DuckDB "
        "(Parquet files or a glob such as 'eval/*.parquet', beyond memory; pip install "
        "'mlprobe[duckdb]'), or read and counted by Spark (local unless SPARK_REMOTE or the "
        "usual Spark settings name a cluster; pip install 'mlprobe[spark]')",
    )
    test.add_argument(
        "--record",
        metavar="DB",
        help="record each suite's outcomes as one run in a run store: a SQLite file (created; "
        "its folder must exist) or a SQLAlchemy URL such as postgresql+psycopg://user@host/db; "
        "needs --version. Read it back with mlprobe.History",
    )
    test.add_argument(
        "--version",
        dest="record_version",
        metavar="LABEL",
        help="the label of the model version the recorded runs are filed under (e.g. v7); "
        "with --record",
    )
    test.set_defaults(subparser=test)  # for usage errors found after parsing
    validate = commands.add_parser(
        "validate",
        help="check suite files (format, schema, slices) without data",
        description="Check suite files without data: format version, schema, slices, ids.",
        epilog="exit codes:\n  0  every file is valid\n  2  some file is not\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument("suites", nargs="+", metavar="SUITE", help="suite files to check")
    _add_criteria_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from mlprobe.demo import run_demo

        return run_demo(sys.stdout)
    if args.command == "validate":
        return _validate(args.suites, sys.stdout, sys.stderr)
    if args.command in ("doc", "history"):
        return _criteria_command(args, sys.stdout, sys.stderr)
    if args.command == "test":
        if args.scores and args.models:
            args.subparser.error(
                "--scores applies to a single model (--predictions); with --model there is no "
                "way to tell whose probabilities they are."
            )
        if args.record is not None and not args.record_version:
            args.subparser.error(
                "--record needs --version LABEL: the model version the run is recorded under "
                "(e.g. --record runs.db --version v7)."
            )
        if args.record_version is not None and args.record is None:
            args.subparser.error(
                "--version labels a recorded run; give --record DB too (e.g. --record runs.db "
                f"--version {args.record_version})."
            )
        if args.models:
            names = [name for name, _ in args.models]
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                args.subparser.error(f"--model: the name {repeated[0]!r} is given more than once.")
        return _test(args, sys.stdout, sys.stderr)
    return 2  # pragma: no cover - argparse rejects unknown commands


# --- validate --------------------------------------------------------------------------


def _one_line_error(error: object) -> str:
    """``error: <message>`` on one line, for CI logs: line breaks become spaces."""
    from mlprobe.terminal import error_line

    return error_line(" ".join(line.strip() for line in str(error).splitlines() if line.strip()))


def _validate(paths: Sequence[str], out: TextIO, err: TextIO) -> int:
    from mlprobe.spec import GroupTest, Suite, SuiteFileError

    code = 0
    for path in paths:
        try:
            suite = Suite.load(path)
        except SuiteFileError as error:
            out.flush()
            print(_one_line_error(error), file=err)
            err.flush()
            code = 2
            continue
        count = len(suite.tests)
        groups = sum(isinstance(t, GroupTest) for t in suite.tests)
        kinds = f": {count - groups} slice, {groups} group" if groups else ""
        print(f"ok: {path} ({count} test{'' if count == 1 else 's'}{kinds})", file=out)
    return code


# --- test ------------------------------------------------------------------------------


class _Bad(Exception):
    """Bad input found before any test runs: exit code 2."""


def _read_table(path: str) -> Any:
    import pandas as pd

    name = path.lower()
    reader: Callable[[str], Any]
    if name.endswith(_CSV):
        reader, kind = pd.read_csv, "CSV"
    elif name.endswith(_PARQUET):
        reader, kind = pd.read_parquet, "Parquet"
    else:
        raise _Bad(
            f"--data: cannot tell the format of {path!r}; give a .csv or .parquet file "
            "(one row per example, with the target and predictions as columns)."
        )
    if not Path(path).is_file():
        raise _Bad(f"--data: no such file: {path!r}.")
    try:
        return reader(path)
    except ImportError as error:
        raise _Bad(f"--data: reading {kind} needs an optional package: {error}") from None
    except Exception as error:  # pandas and pyarrow raise many types for a broken file
        detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise _Bad(
            f"--data: cannot read {path!r} as {kind}: {type(error).__name__}: {detail}"
        ) from None


def _load_suites(paths: Sequence[str], err: TextIO) -> list[Any] | None:
    from mlprobe.spec import Suite, SuiteFileError

    suites, bad = [], False
    for path in paths:
        try:
            suites.append(Suite.load(path))
        except SuiteFileError as error:
            print(_one_line_error(error), file=err)
            bad = True
    return None if bad else suites


def _make_probe(args: argparse.Namespace, data: Any) -> Any:
    from mlprobe.errors import MlprobeError
    from mlprobe.probe import Probe

    predictions: Any = dict(args.models) if args.models else args.predictions
    scores: Any = None
    if args.scores:
        _check_scores(args.scores, data)
        scores = list(args.scores)  # one column per class; a missing one is named by the probe
        if len(scores) == 1 and scores[0] in data.columns:
            scores = data[scores[0]].to_numpy()  # the positive class of a binary task
    try:
        return Probe(
            data,
            target=args.target,
            predictions=predictions,
            scores=scores,
            task=args.task,
            positive=args.positive,
        )
    except MlprobeError:
        raise
    except (ValueError, TypeError) as error:  # a column the probe cannot use as given
        raise _Bad(f"--data {args.data!r}: {_first_line(error)}") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__


def _check_scores(columns: Sequence[str], data: Any) -> None:
    """Each --scores column that is in the table must hold probabilities: numbers, not labels."""
    import pandas as pd

    for column in columns:
        if column not in data.columns:
            continue  # the probe names a missing column, with the ones available
        values = data[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            example = values.dropna().iloc[0] if values.notna().any() else None
            shown = f" (e.g. {example!r})" if example is not None else ""
            raise _Bad(
                f"--scores: column {column!r} holds {values.dtype} values{shown}, not "
                "probabilities; give the columns of predict_proba's output, one per class in "
                "sorted class order (a single column: the positive class's probability)."
            )


def _make_engine_probe(args: argparse.Namespace) -> Any:
    from mlprobe.errors import MlprobeError
    from mlprobe.extras import require_extra
    from mlprobe.probe import Probe

    if not args.data.lower().endswith(_PARQUET):
        raise _Bad(
            f"--data: the {args.engine} engine reads Parquet (a file or a glob such as "
            f"'eval/*.parquet'); "
            f"received {args.data!r}."
        )
    predictions: Any = dict(args.models) if args.models else args.predictions
    scores: Any = list(args.scores) if args.scores else None
    try:
        require_extra(args.engine, what=f"--engine {args.engine}")
    except MlprobeError as error:
        raise _Bad(str(error)) from None
    if args.engine == "spark":
        from pyspark.sql import SparkSession

        dataframe = SparkSession.builder.appName("mlprobe").getOrCreate().read.parquet(args.data)
        return Probe.from_spark(
            dataframe,
            target=args.target,
            predictions=predictions,
            scores=scores,
            task=args.task,
            positive=args.positive,
        )
    return Probe.from_parquet(
        args.data,
        target=args.target,
        predictions=predictions,
        scores=scores,
        task=args.task,
        positive=args.positive,
    )


def _run_suite(
    suite: Any, probe: Any, *, counts: bool = False
) -> tuple[Any, list[tuple[Any, Any]]]:
    """Run each test once, or once per model for tests that name none on a several-model probe.

    ``counts``: keep the sufficient counts behind each value (for --record).
    """
    from mlprobe.spec import SuiteResult, run_test

    pairs = []
    for test in suite.tests:
        if test.model is not None or len(probe.models) == 1:
            pairs.append((test, run_test(test, probe, counts=counts)))
            continue
        for name in probe.models:
            outcome = run_test(test, probe, model=name, counts=counts)
            pairs.append((test, replace(outcome, id=f"{test.id}[{name}]")))
    return SuiteResult(suite.name, [o for _, o in pairs]), pairs


def _fmt(value: float) -> str:
    """A number of the outcome table, as every mlprobe table writes it."""
    from mlprobe.core.number_format import format_number

    return "" if math.isnan(value) else format_number(float(value))


def _shorten(text: str, width: int = _NOTE_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def _table(pairs: list[tuple[Any, Any]], probe: Any) -> str:
    from mlprobe.terminal import escape
    from mlprobe.testing import threshold_text

    several = len(probe.models) > 1
    header = ["outcome", "test", "metric", "observed [CI]", "threshold", "n", "note"]
    rows = []
    for test, o in pairs:
        observed = _fmt(o.observed)
        if observed and not (math.isnan(o.ci_low) and math.isnan(o.ci_high)):
            observed += f" [{_fmt(o.ci_low) or '?'}, {_fmt(o.ci_high) or '?'}]"
        elif o.n is not None and not observed:
            observed = "undefined"
        note = _shorten(o.reason) if o.outcome in ("inconclusive", "error") else ""
        rows.append(
            [
                o.outcome.upper() if o.outcome in ("failed", "error") else o.outcome,
                o.id,
                o.metric,
                observed,
                threshold_text(test, o, probe, short=True),
                "" if o.n is None else str(o.n),
                note,
            ]
        )
    rows = [[escape(cell, multiline=False) for cell in row] for row in rows]  # file and data text
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  "
        + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    if several:
        lines.append("  (several models: a test naming no model runs once per model, as id[model])")
    return "\n".join(lines)


def _write_junit(results: list[Any], path: str) -> None:
    """One JUnit XML file, one <testsuite> per suite (each written by SuiteResult.to_junit)."""
    from mlprobe.spec.files import write_atomic

    root = ElementTree.Element("testsuites", name="mlprobe")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    with tempfile.TemporaryDirectory() as folder:
        for i, result in enumerate(results):
            part = Path(folder) / f"suite-{i}.xml"
            result.to_junit(part)
            for element in ElementTree.parse(part).getroot().iter("testsuite"):
                root.append(element)
                for key in totals:
                    totals[key] += int(element.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    ElementTree.indent(root)
    write_atomic(path, ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n")


def _check_junit_path(path: str) -> None:
    """Refuse a --junit path that cannot be written before any test runs."""
    import os

    target = Path(path)
    if target.is_dir():
        raise _Bad(f"--junit: {path!r} is a folder; give the path of the XML file to write.")
    folder = target.parent  # missing folders are created: check the nearest existing one
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise _Bad(f"--junit: cannot write {path!r}: {str(folder)!r} is a file, not a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _Bad(f"--junit: cannot write {path!r}: the folder {str(folder)!r} is not writable.")
    if target.exists() and not os.access(target, os.W_OK):
        raise _Bad(f"--junit: cannot write {path!r}: the file is read-only.")


def _test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``mlprobe test``; every error is one ``error:`` message and exit code 2."""
    from mlprobe.errors import MlprobeError
    from mlprobe.terminal import error_line

    try:
        return _test_run(args, out, err)
    except (_Bad, MlprobeError) as error:
        out.flush()
        print(error_line(error), file=err)
        return 2


def _test_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.junit:
        _check_junit_path(args.junit)
    store = _open_store(args.record) if args.record is not None else None
    try:
        return _test_suites(args, out, err, store)
    finally:
        if store is not None:
            store.close()


def _open_store(record: str) -> Any:
    """The run store of --record, opened (created, migrated) before any test runs."""
    from mlprobe.errors import MlprobeError
    from mlprobe.spec.run_store import RunStore

    try:
        return RunStore.open(record, argument="--record")
    except MlprobeError as error:
        text = str(error)
        raise _Bad(text if text.startswith("--record") else f"--record: {text}") from None


def _test_suites(args: argparse.Namespace, out: TextIO, err: TextIO, store: Any) -> int:
    from mlprobe.terminal import escape
    from mlprobe.testing import format_outcome

    suites = _load_suites(args.suites, err)
    if suites is None:
        return 2
    if args.engine != "pandas":
        probe = _make_engine_probe(args)
    else:
        data = _read_table(args.data)
        probe = _make_probe(args, data)
    print(escape(f"{probe!r} from {args.data}"), file=out)
    results, details = [], []
    for path, suite in zip(args.suites, suites, strict=True):
        result, pairs = _run_suite(suite, probe, counts=store is not None)
        results.append(result)
        count = len(pairs)
        heading = escape(f"{suite.name} ({path})", multiline=False)
        print(f"\n{heading}: {count} test{'' if count == 1 else 's'}", file=out)
        if pairs:
            print(_table(pairs, probe), file=out)
        details += [
            format_outcome(o, test, probe=probe, suite=suite.name)
            for test, o in pairs
            if o.outcome in ("failed", "error")
        ]
    if details:
        print("\n" + "\n\n".join(details), file=out)
    counts = {
        k: sum(r.counts()[k] for r in results)
        for k in ("passed", "failed", "inconclusive", "error")
    }
    total = sum(counts.values())
    tally = ", ".join(
        f"{v} {k}s" if k == "error" and v > 1 else f"{v} {k}" for k, v in counts.items() if v
    )
    verdict = "FAILED" if counts["failed"] or counts["error"] else "OK"
    if store is not None:
        _record(store, args, zip(suites, results, strict=True), probe, out)
    print(
        f"\n{verdict}: {len(suites)} suite{'' if len(suites) == 1 else 's'}, "
        f"{total} test{'' if total == 1 else 's'}" + (f": {tally}" if tally else ""),
        file=out,
    )
    if args.junit:
        try:
            _write_junit(results, args.junit)
        except OSError as error:
            reason = error.strerror or type(error).__name__  # not the name of the temporary file
            raise _Bad(f"--junit: cannot write {args.junit!r}: {reason}.") from None
        print(escape(f"JUnit XML written to {args.junit}"), file=out)
    return 1 if verdict == "FAILED" else 0


# --- doc and history ---------------------------------------------------------------------

_DOC_EPILOG = """\
The format follows the extension of -o: .md (or .markdown) writes Markdown, .html (or .htm) one
self-contained offline page; -o - or no -o prints the Markdown. With --history, each test shows
its latest outcome per model version (and, in HTML, a small trend chart).

exit codes:
  0  the document was written
  2  bad usage, a bad suite file, an unreadable run store or an unwritable output
"""
_HISTORY_EPILOG = """\
One row per test, one column per version (in recording order): the latest run of each version.

exit codes:
  0  the matrix was printed (or nothing is recorded yet)
  2  bad usage, an unreadable run store, or no runs of the --suite named
"""
_MARKDOWN = (".md", ".markdown")
_HTML = (".html", ".htm")


def _add_criteria_commands(commands: Any) -> None:
    """The ``doc`` and ``history`` subcommands."""
    doc = commands.add_parser(
        "doc",
        help="write a suite as the team's success criteria (Markdown or HTML)",
        description="Write a suite file as readable success criteria: one sentence per test, "
        "grouped by tags; with --history, the latest outcome per model version.",
        epilog=_DOC_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    doc.add_argument("suite", metavar="SUITE", help="a suite file (.mlprobe.yaml or .json)")
    doc.add_argument(
        "--history", metavar="DB", help="a run store: a SQLite file or a SQLAlchemy URL"
    )
    doc.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="criteria.md or criteria.html; - (the default) prints Markdown",
    )
    history = commands.add_parser(
        "history",
        help="print the version x test matrix of a run store",
        description="Print each test's value (or outcome) per recorded model version.",
        epilog=_HISTORY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    history.add_argument("db", metavar="DB", help="a run store: a SQLite file or a SQLAlchemy URL")
    history.add_argument("--suite", metavar="NAME", help="only this suite's tests")
    history.add_argument(
        "--value",
        choices=["observed", "outcome"],
        default="observed",
        help="what each cell shows (default: observed)",
    )
    history.add_argument(
        "--markdown", action="store_true", help="a Markdown table, e.g. for a CI job summary"
    )


def _open_history(location: str) -> Any:
    """``mlprobe.History(location)``: read-only, never creates a store."""
    try:
        from mlprobe.history import History
    except ImportError:  # pragma: no cover - until the run store lands in this install
        raise _Bad(
            f"{location}: reading a run store needs mlprobe.History, which this install lacks."
        ) from None
    return History(location)


def _criteria_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``mlprobe doc`` or ``mlprobe history``; every error is one line and exit code 2."""
    from mlprobe.errors import MlprobeError

    try:
        if args.command == "doc":
            return _doc(args, out, err)
        return _history(args, out)
    except (_Bad, MlprobeError) as error:
        out.flush()
        print(_one_line_error(error), file=err)
        return 2


def _doc_format(output: str | None) -> str:
    if output is None or output == "-":
        return "markdown"
    name = output.lower()
    if name.endswith(_MARKDOWN):
        return "markdown"
    if name.endswith(_HTML):
        return "html"
    raise _Bad(
        f"-o: cannot tell the format of {output!r}; give a .md or .html file, or - to print "
        "Markdown."
    )


def _trend_svgs(suite: Any, history: Any, err: TextIO) -> dict[str, str]:
    """Test id -> its trend chart as SVG (none when vl-convert is missing: a note on stderr)."""
    from mlprobe.errors import MlprobeError
    from mlprobe.render.history_charts import trend_spec
    from mlprobe.render.static import chart_svg
    from mlprobe.spec import GroupTest

    charts: dict[str, str] = {}
    for test in suite.tests:
        try:
            frame = history.trend(test.id, suite=suite.name)
        except MlprobeError:  # a test (or suite) never recorded: no chart
            continue
        if len(frame) == 0:
            continue
        metric = f"{test.metric} {test.statistic}" if isinstance(test, GroupTest) else test.metric
        try:
            charts[test.id] = chart_svg(trend_spec(frame, metric=metric))
        except MlprobeError as error:  # vl-convert-python is not installed
            print(_one_line_error(error).replace("error:", "note:", 1), file=err)
            print("note: the page has no trend charts", file=err)
            return {}
    return charts


def _doc(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from mlprobe.spec import Suite
    from mlprobe.spec.files import write_atomic
    from mlprobe.terminal import escape

    kind = _doc_format(args.output)
    if args.output not in (None, "-") and Path(args.output).is_dir():
        raise _Bad(f"-o: {args.output!r} is a folder; give the path of the file to write.")
    suite = Suite.load(args.suite)
    history = _open_history(args.history) if args.history else None
    if kind == "html":
        charts = _trend_svgs(suite, history, err) if history is not None else None
        text = suite.to_html(history=history, charts=charts)
    else:
        text = suite.to_markdown(history=history)
    if args.output in (None, "-"):
        out.write(text)
        return 0
    try:
        write_atomic(args.output, text)
    except OSError as error:
        raise _Bad(f"-o: cannot write {args.output!r}: {error.strerror or error}.") from None
    label = "HTML" if kind == "html" else "Markdown"
    print(escape(f"Criteria ({label}) written to {args.output}"), file=out)
    return 0


def _matrix_text(matrix: Any) -> str:
    """Tests as rows, versions as columns, aligned; outcomes failed/error in capitals."""
    from mlprobe.core.number_format import format_number
    from mlprobe.terminal import escape

    def cell(value: Any) -> str:
        if isinstance(value, str):
            return value.upper() if value in ("failed", "error") else value
        return format_number(value)

    header = ["test", *(str(v) for v in matrix.index)]
    rows = [[str(c), *(cell(v) for v in matrix[c].tolist())] for c in matrix.columns]
    rows = [[escape(text, multiline=False) for text in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            text.ljust(width) if i == 0 else text.rjust(width)
            for i, (text, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )


def _history(args: argparse.Namespace, out: TextIO) -> int:
    from mlprobe.spec.criteria import matrix_markdown
    from mlprobe.terminal import escape

    history = _open_history(args.db)
    matrix = history.matrix(suite=args.suite, value=args.value)
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        if args.suite is not None:
            known = sorted(history.suites())
            raise _Bad(
                f"--suite: no runs of suite {args.suite!r} in {args.db}; "
                + (f"suites recorded: {', '.join(known)}." if known else "nothing is recorded yet.")
            )
        print(escape(f"no runs recorded in {args.db} yet"), file=out)
        return 0
    print(matrix_markdown(matrix) if args.markdown else _matrix_text(matrix), file=out)
    return 0


def _record(store: Any, args: argparse.Namespace, runs: Any, probe: Any, out: TextIO) -> None:
    """Record each suite's result as one run (the data's fingerprint taken once)."""
    from mlprobe.errors import MlprobeError
    from mlprobe.spec.run_store import data_fingerprint
    from mlprobe.terminal import escape

    try:
        fingerprint = data_fingerprint(probe)
        for suite, result in runs:
            run_id = store.record(
                result, suite=suite, fingerprint=fingerprint, version=args.record_version,
                model=probe.models[0] if len(probe.models) == 1 else None,
            )  # fmt: skip
            print(
                escape(
                    f"recorded run {run_id} of {suite.name} as version {args.record_version} "
                    f"in {store.location.shown}"
                ),
                file=out,
            )
    except MlprobeError as error:
        raise _Bad(f"--record: {error}") from None


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
