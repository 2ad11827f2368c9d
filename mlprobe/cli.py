"""The ``mlprobe`` command line: ``demo``, ``test`` and ``validate``.

``mlprobe test`` runs suite files on a table of stored predictions (CSV or
Parquet, written by any framework), so CI needs no Python model code::

    mlprobe test tests/income.mlprobe.yaml --data eval.parquet --target income \\
        --predictions pred --junit junit.xml
    mlprobe test tests/*.mlprobe.yaml --data eval.csv --target income \\
        --model v1=pred_v1 --model v2=pred_v2
    mlprobe validate tests/*.mlprobe.yaml

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
    test.set_defaults(subparser=test)  # for usage errors found after parsing
    validate = commands.add_parser(
        "validate",
        help="check suite files (format, schema, slices) without data",
        description="Check suite files without data: format version, schema, slices, ids.",
        epilog="exit codes:\n  0  every file is valid\n  2  some file is not\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument("suites", nargs="+", metavar="SUITE", help="suite files to check")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from mlprobe.demo import run_demo

        return run_demo(sys.stdout)
    if args.command == "validate":
        return _validate(args.suites, sys.stdout, sys.stderr)
    if args.command == "test":
        if args.scores and args.models:
            args.subparser.error(
                "--scores applies to a single model (--predictions); with --model there is no "
                "way to tell whose probabilities they are."
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


def _run_suite(suite: Any, probe: Any) -> tuple[Any, list[tuple[Any, Any]]]:
    """Run each test once, or once per model for tests that name none on a several-model probe."""
    from mlprobe.spec import SuiteResult, run_test

    pairs = []
    for test in suite.tests:
        if test.model is not None or len(probe.models) == 1:
            pairs.append((test, run_test(test, probe)))
            continue
        for name in probe.models:
            outcome = run_test(test, probe, model=name)
            pairs.append((test, replace(outcome, id=f"{test.id}[{name}]")))
    return SuiteResult(suite.name, [o for _, o in pairs]), pairs


def _fmt(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.4g}"


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
    from mlprobe.terminal import escape
    from mlprobe.testing import format_outcome

    if args.junit:
        _check_junit_path(args.junit)
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
        result, pairs = _run_suite(suite, probe)
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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
