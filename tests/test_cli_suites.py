"""``mlprobe test`` and ``mlprobe validate``: suites on stored predictions, from the shell.

End-to-end runs go through ``python -m mlprobe`` in a subprocess (exit codes,
output, JUnit XML); the many small error cases call :func:`mlprobe.cli.main`
in-process, which is what the subprocess runs.

The table: 400 rows, groups a/b/c/d of 100 rows; the predictions ``p`` are
wrong on 40 rows of group b (accuracy 1.0 on a, 0.6 on b), ``p2`` are right
everywhere.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest

from mlprobe.cli import main

PASSING = """
mlprobe: 1
name: passing
tests:
  - id: a-accuracy
    slice: {column: g, eq: a}
    metric: accuracy
    expect: {at_least: 0.9}
  - id: few-rows
    slice: {and: [{column: g, eq: c}, {column: y, eq: 1}]}
    metric: accuracy
    expect: {at_least: 0.9}
    min_support: 1000
"""

FAILING = """
mlprobe: 1
name: failing
tests:
  - id: b-accuracy
    description: Group b matters.
    slice: {column: g, eq: b}
    metric: accuracy
    expect: {at_least: 0.8}
  - id: by-region
    slice: {column: region, eq: north}
    metric: accuracy
    expect: {at_least: 0.8}
"""


def _frame() -> pd.DataFrame:
    i = np.arange(400)
    g = np.array(list("abcd"))[i % 4]
    y = (i // 4) % 2
    p = y.copy()
    wrong = (g == "b") & ((i // 4) % 5 < 2)
    p[wrong] = 1 - p[wrong]
    score = np.where(p == 1, 0.8, 0.2)
    return pd.DataFrame({"g": g, "y": y, "p": p, "p2": y, "s0": 1 - score, "s1": score})


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    frame = _frame()
    paths = {"csv": tmp_path / "eval.csv", "parquet": tmp_path / "eval.parquet"}
    frame.to_csv(paths["csv"], index=False)
    frame.to_parquet(paths["parquet"], index=False)
    for name, text in (("passing", PASSING), ("failing", FAILING)):
        paths[name] = tmp_path / f"{name}.mlprobe.yaml"
        paths[name].write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    paths["bad"] = tmp_path / "bad.mlprobe.yaml"
    paths["bad"].write_text(
        textwrap.dedent(PASSING).lstrip().replace("at_least: 0.9}", "at_leats: 0.9}", 1),
        encoding="utf-8",
    )
    return paths


def _cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlprobe", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _rows(stdout: str) -> dict[str, list[str]]:
    """Table rows by test id: the cells split on runs of two or more spaces."""
    rows = {}
    for line in stdout.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) >= 5 and cells[0] in ("passed", "FAILED", "inconclusive", "ERROR"):
            rows[cells[1]] = cells
    return rows


# --- end to end -----------------------------------------------------------------------


def test_passing_suite_on_csv_exits_0_and_prints_a_table(files: dict[str, Path]) -> None:
    run = _cli(
        "test", files["passing"], "--data", files["csv"], "--target", "y", "--predictions", "p"
    )
    assert run.returncode == 0, run.stderr
    header = ["outcome", "test", "metric", "observed [CI]", "threshold", "n", "note"]
    assert header in [re.split(r"\s{2,}", line.strip()) for line in run.stdout.splitlines()]
    rows = _rows(run.stdout)
    assert rows["a-accuracy"] == [
        "passed",
        "a-accuracy",
        "accuracy",
        "1.000 [0.963, 1.000]",
        ">= 0.9",
        "100",
    ]
    assert rows["few-rows"][0] == "inconclusive"
    assert rows["few-rows"][-1] == "only 50 rows in the slice, fewer than min_support = 1000"
    assert run.stdout.rstrip().endswith("OK: 1 suite, 2 tests: 1 passed, 1 inconclusive")
    assert run.stderr == ""


def test_failures_exit_1_with_details_and_junit_xml_from_parquet(
    files: dict[str, Path], tmp_path: Path
) -> None:
    junit = tmp_path / "reports" / "junit.xml"
    run = _cli(
        "test",
        files["passing"],
        files["failing"],
        "--data",
        files["parquet"],
        "--target",
        "y",
        "--predictions",
        "p",
        "--junit",
        junit,
    )
    assert run.returncode == 1, run.stderr
    rows = _rows(run.stdout)
    assert rows["b-accuracy"][:6] == [
        "FAILED",
        "b-accuracy",
        "accuracy",
        "0.600 [0.502, 0.691]",
        ">= 0.8",
        "100",
    ]
    assert rows["by-region"][0] == "ERROR"
    assert "slice column 'region' is not in the data" in rows["by-region"][-1]
    # details of what did not pass, below the tables
    assert (
        "b-accuracy FAILED: accuracy = 0.6 [0.502, 0.6906] on 100 rows; expected at least 0.8"
        in run.stdout
    )
    assert "  description: Group b matters." in run.stdout
    assert "FAILED: 2 suites, 4 tests: 1 passed, 1 failed, 1 inconclusive, 1 error" in run.stdout

    root = ElementTree.parse(junit).getroot()
    assert root.tag == "testsuites"
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "4",
        "failures": "1",
        "errors": "1",
        "skipped": "1",
    }
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["passing", "failing"]
    failing = {c.get("name"): c for c in suites["failing"].iter("testcase")}
    assert failing["b-accuracy"].find("failure").get("message").startswith("accuracy = 0.6")
    assert "region" in failing["by-region"].find("error").get("message")
    passing = {c.get("name"): c for c in suites["passing"].iter("testcase")}
    assert passing["few-rows"].find("skipped") is not None
    assert len(passing["a-accuracy"]) == 0  # passed: no child element


def test_bad_usage_exits_2(files: dict[str, Path]) -> None:
    run = _cli("test", files["passing"], "--data", files["csv"], "--predictions", "p")
    assert run.returncode == 2
    assert "the following arguments are required: --target" in run.stderr


def test_validate_reports_each_file_and_exits_2_on_a_bad_one(files: dict[str, Path]) -> None:
    run = _cli("validate", files["passing"], files["bad"], files["failing"])
    assert run.returncode == 2
    assert run.stdout.splitlines() == [
        f"ok: {files['passing']} (2 tests)",
        f"ok: {files['failing']} (2 tests)",
    ]
    assert "bad.mlprobe.yaml: tests[0].expect.at_leats: unknown key" in run.stderr


# --- in process -----------------------------------------------------------------------


def _main(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exit_info:  # argparse's usage errors
        code = int(exit_info.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_ok_exits_0(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _main(capsys, "validate", files["passing"])
    assert (code, out) == (0, f"ok: {files['passing']} (2 tests)\n")


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _main(capsys, "--help")
    assert code == 0
    assert all(command in out for command in ("demo", "test", "validate"))
    code, out, _ = _main(capsys, "test", "--help")
    assert "--model NAME=COL" in out and "exit codes:" in out


def test_several_models_run_each_test_per_model(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    named = tmp_path / "named.mlprobe.yaml"
    named.write_text(
        textwrap.dedent(FAILING).lstrip().replace("name: failing", "name: named")
        + "    model: b\n",  # the last test names model b: it runs once
        encoding="utf-8",
    )
    code, out, err = _main(
        capsys, "test", named, "--data", files["csv"], "--target", "y",
        "--model", "a=p", "--model", "b=p2",
    )  # fmt: skip
    assert code == 1, err
    rows = _rows(out)
    assert rows["b-accuracy[a]"][0] == "FAILED"
    assert rows["b-accuracy[b]"][0] == "passed"
    assert rows["by-region"][0] == "ERROR"
    assert "by-region[a]" not in rows
    assert "models=['a', 'b']" in out


def test_stored_scores_enable_score_metrics(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    suite = tmp_path / "auc.mlprobe.yaml"
    suite.write_text(
        "mlprobe: 1\nname: auc\ntests:\n  - id: auc-a\n    slice: {column: g, eq: a}\n"
        "    metric: roc_auc\n    expect: {at_least: 0.9}\n",
        encoding="utf-8",
    )
    common = ["test", suite, "--data", files["csv"], "--target", "y", "--predictions", "p"]
    code, out, err = _main(capsys, *common, "--scores", "s1")  # binary: the positive class
    assert (code, _rows(out)["auc-a"][0]) == (0, "passed"), err
    code, out, err = _main(capsys, *common, "--scores", "s0", "s1")  # one column per class
    assert (code, _rows(out)["auc-a"][0]) == (0, "passed"), err
    code, out, _ = _main(capsys, *common)  # no scores: the test cannot run
    assert (code, _rows(out)["auc-a"][0]) == (1, "ERROR")


def test_the_duckdb_engine_reads_scores_and_runs_regression_suites(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pytest.importorskip("duckdb")
    suite = tmp_path / "auc.mlprobe.yaml"
    suite.write_text(
        "mlprobe: 1\nname: auc\ntests:\n  - id: auc-b\n    slice: {column: g, eq: b}\n"
        "    metric: roc_auc\n    expect: {at_least: 0.9}\n",
        encoding="utf-8",
    )
    common = ["test", suite, "--target", "y", "--predictions", "p", "--scores", "s0", "s1"]
    in_memory = _main(capsys, *common, "--data", files["csv"])
    engine = _main(capsys, *common, "--data", files["parquet"], "--engine", "duckdb")
    assert engine[0] == in_memory[0] == 1, engine[2]
    assert _rows(engine[1]) == _rows(in_memory[1])
    assert _rows(engine[1])["auc-b"][0] == "FAILED"
    regression = tmp_path / "reg.parquet"
    frame = _frame().assign(
        t=lambda f: f["s1"] * 10 + np.arange(len(f)) % 3, e=lambda f: f["t"] + 0.5
    )
    frame.to_parquet(regression, index=False)
    suite.write_text(
        "mlprobe: 1\nname: reg\ntests:\n  - id: mae-a\n    slice: {column: g, eq: a}\n"
        "    metric: mae\n    expect: {at_most: 0.6}\n",
        encoding="utf-8",
    )
    args = ["test", suite, "--data", regression, "--target", "t", "--predictions", "e"]
    code, out, err = _main(capsys, *args, "--engine", "duckdb")
    assert (code, _rows(out)["mae-a"][0]) == (0, "passed"), err


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("missing.csv", "--data: no such file: "),
        ("eval.txt", "--data: cannot tell the format of "),
        ("broken.parquet", "as Parquet: "),
    ],
)
def test_unreadable_data_exits_2(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], data: str, message: str
) -> None:
    path = files["csv"].parent / data
    if data != "missing.csv":
        path.write_bytes(b"\x00not a table")
    code, out, err = _main(
        capsys, "test", files["passing"], "--data", path, "--target", "y", "--predictions", "p"
    )
    assert code == 2
    assert err.startswith("error: ") and message in err
    assert out == ""


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--target", "yy", "--predictions", "p"], "target column 'yy' is not in the data. Did you mean 'y'?"),
        (["--target", "y", "--predictions", "pp"], "column 'pp' is not in the data"),
        (["--target", "y", "--model", "a=p", "--model", "b=nope"], "column 'nope' is not in the data"),
        (["--target", "y", "--predictions", "p", "--scores", "s9"], "scores column 's9' is not in the data"),
    ],
)  # fmt: skip
def test_unknown_columns_exit_2(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    code, out, err = _main(capsys, "test", files["passing"], "--data", files["csv"], *options)
    assert code == 2
    assert message in err
    assert out == ""


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--model", "a=p", "--scores", "s1"], "--scores applies to a single model"),
        (["--model", "a=p", "--model", "a=p2"], "the name 'a' is given more than once"),
        (["--model", "ap"], "expected NAME=COLUMN, e.g. v1=pred_v1; received 'ap'"),
        (["--model", "a=p", "--predictions", "p"], "not allowed with argument"),
    ],
)
def test_bad_options_are_usage_errors(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    code, _, err = _main(
        capsys, "test", files["passing"], "--data", files["csv"], "--target", "y", *options
    )
    assert code == 2
    assert "usage: mlprobe test" in err and message in err


def test_a_bad_suite_file_exits_2_before_running_anything(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _main(
        capsys, "test", files["passing"], files["bad"], "--data", files["csv"],
        "--target", "y", "--predictions", "p",
    )  # fmt: skip
    assert code == 2
    assert out == ""
    assert "bad.mlprobe.yaml: tests[0].expect.at_leats: unknown key" in err


def test_the_duckdb_engine_gives_the_same_outcomes(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pytest.importorskip("duckdb")
    args = ("test", files["failing"], "--target", "y", "--predictions", "p")
    pandas_code, pandas_out, _ = _main(capsys, *args, "--data", files["parquet"])
    glob = tmp_path / "parts"
    glob.mkdir()
    frame = _frame()
    frame.iloc[:150].to_parquet(glob / "a.parquet", index=False)
    frame.iloc[150:].to_parquet(glob / "b.parquet", index=False)
    code, out, err = _main(capsys, *args, "--data", glob / "*.parquet", "--engine", "duckdb")
    assert code == pandas_code == 1, err
    assert _rows(out) == _rows(pandas_out)
    assert "rows in DuckDB" in out
    code, _, err = _main(capsys, *args, "--data", files["csv"], "--engine", "duckdb")
    assert code == 2 and "reads Parquet" in err


def test_validate_prints_a_yaml_syntax_error_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PyYAML's message spans lines (and a caret drawing); the CLI says it in one line."""
    path = tmp_path / "bad.mlprobe.yaml"
    path.write_text("tests: [\n  - id: a\n bad", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"error: {path}: not valid YAML: line 2, column 3 ('- id: a'): ")
    assert "Close each [ with ]" in err


def test_validate_joins_a_multi_line_error_into_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlprobe.spec import Suite, SuiteFileError

    def load(path: object) -> None:
        raise SuiteFileError("first line\n  second line\n")

    monkeypatch.setattr(Suite, "load", load)
    assert main(["validate", str(tmp_path / "x.mlprobe.yaml")]) == 2
    assert capsys.readouterr().err == "error: first line second line\n"


# --- group tests ----------------------------------------------------------------------

GROUPS = """
mlprobe: 1
name: groups
tests:
  - id: g-accuracy-gap
    description: No group may trail the others.
    by: g
    metric: accuracy
    expect: {max_difference: 0.1}
  - id: g-accuracy-ratio
    by: g
    metric: accuracy
    expect: {min_ratio: 0.5}
  - id: g-tiny
    by: g
    metric: accuracy
    expect: {max_difference: 0.1}
    min_support: 1000
  - id: by-region
    by: region
    metric: accuracy
    expect: {max_difference: 0.1}
"""


def test_a_group_test_runs_from_the_cli_with_junit(files: dict[str, Path], tmp_path: Path) -> None:
    suite = tmp_path / "groups.mlprobe.yaml"
    suite.write_text(textwrap.dedent(GROUPS).lstrip(), encoding="utf-8")
    junit = tmp_path / "junit.xml"
    run = _cli(
        "test",
        suite,
        "--data",
        files["csv"],
        "--target",
        "y",
        "--predictions",
        "p",
        "--junit",
        junit,
    )
    assert run.returncode == 1, run.stderr
    rows = _rows(run.stdout)
    # accuracy 1.0 on a, c, d and 0.6 on b
    assert rows["g-accuracy-gap"][:6] == [
        "FAILED",
        "g-accuracy-gap",
        "accuracy difference",
        "0.400 [0.229, 0.524]",
        "<= 0.1",
        "400",
    ]
    assert rows["g-accuracy-ratio"][:5] == [
        "passed",
        "g-accuracy-ratio",
        "accuracy ratio",
        "0.600 [0.476, 0.757]",
        ">= 0.5",
    ]
    assert rows["g-tiny"][0] == "inconclusive"
    assert rows["g-tiny"][-1].startswith("fewer than 2 groups by g to compare (0 left)")
    assert rows["by-region"][0] == "ERROR"
    assert "by column 'region' is not in the data" in rows["by-region"][-1]
    assert (
        "g-accuracy-gap FAILED: accuracy difference = 0.4 [0.2289, 0.5244] between g == 'a' (1) "
        "and g == 'b' (0.6) over 4 groups; expected at most 0.1" in run.stdout
    )
    assert "  groups:      by g\n" in run.stdout
    assert "  threshold:   difference at most 0.1\n" in run.stdout
    assert "  n:           400 rows in the groups compared (min_support 30 per group)" in run.stdout
    assert "FAILED: 1 suite, 4 tests: 1 passed, 1 failed, 1 inconclusive, 1 error" in run.stdout
    cases = {c.get("name"): c for c in ElementTree.parse(junit).getroot().iter("testcase")}
    failure = cases["g-accuracy-gap"].find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("accuracy difference = 0.4")
    assert (failure.text or "").startswith("groups: by g\n")
    assert cases["g-tiny"].find("skipped") is not None
    # several models: once per model, as test-id[model]
    both = _cli(
        "test",
        suite,
        "--data",
        files["csv"],
        "--target",
        "y",
        "--model",
        "v1=p",
        "--model",
        "v2=p2",
    )
    rows = _rows(both.stdout)
    assert rows["g-accuracy-gap[v1]"][0] == "FAILED" and rows["g-accuracy-gap[v2]"][0] == "passed"


def test_validate_counts_group_tests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = tmp_path / "groups.mlprobe.yaml"
    suite.write_text(
        textwrap.dedent(GROUPS).lstrip() + textwrap.dedent(PASSING).split("tests:\n")[1],
        encoding="utf-8",
    )
    assert main(["validate", str(suite)]) == 0
    assert capsys.readouterr().out == f"ok: {suite} (6 tests: 2 slice, 4 group)\n"
    bad = tmp_path / "bad.mlprobe.yaml"
    bad.write_text(
        textwrap.dedent(GROUPS)
        .lstrip()
        .replace("    by: g\n", "    by: g\n    slice: {column: g, eq: a}\n", 1),
        encoding="utf-8",
    )
    assert main(["validate", str(bad)]) == 2
    assert "tests[0]: a test names either 'slice'" in capsys.readouterr().err


def test_positive_names_the_class_bare_metric_names_mean(tmp_path: Path) -> None:
    frame = _frame().assign(
        y=lambda f: f["y"].map({0: "no", 1: "yes"}), p=lambda f: f["p"].map({0: "no", 1: "yes"})
    )
    data = tmp_path / "labels.csv"
    frame.to_csv(data, index=False)
    suite = tmp_path / "fpr.mlprobe.yaml"
    suite.write_text(
        textwrap.dedent(
            """
            mlprobe: 1
            name: error types
            tests:
              - id: fpr-overall
                slice: {column: g, in: [a, b, c, d]}
                metric: fpr
                expect: {at_most: 0.5}
              - id: fpr-by-g
                by: g
                metric: fpr
                expect: {max_difference: 0.5}
            """
        ).lstrip(),
        encoding="utf-8",
    )
    args = ["test", suite, "--data", data, "--target", "y", "--predictions", "p"]
    without = _cli(*args)
    assert without.returncode == 1 and "Probe(..., positive=...)" in without.stdout
    run = _cli(*args, "--positive", "yes")
    assert run.returncode == 0, run.stdout + run.stderr
    rows = _rows(run.stdout)
    assert rows["fpr-overall"][0] == "passed" and rows["fpr-by-g"][0] == "passed"
    bad = _cli(*args, "--positive", "maybe")
    assert bad.returncode == 2 and "positive: 'maybe' is not a class" in bad.stderr


# --- recording runs (issue 17) ------------------------------------------------------------


def test_record_writes_one_run_per_suite_under_the_version(files: dict[str, Path]) -> None:
    import mlprobe as mp

    store = files["csv"].parent / "runs.db"
    common = ("--data", files["csv"], "--target", "y", "--record", store)
    run = _cli("test", files["passing"], files["failing"], *common, "--predictions", "p",
               "--version", "v1")  # fmt: skip
    assert run.returncode == 1, run.stderr  # the failing suite still fails; both are recorded
    assert f"recorded run 1 of passing as version v1 in {store}" in run.stdout
    assert f"recorded run 2 of failing as version v1 in {store}" in run.stdout
    run = _cli("test", files["passing"], *common, "--model", "a=p", "--model", "b=p2",
               "--version", "v2")  # fmt: skip
    assert run.returncode == 0, run.stderr
    h = mp.History(store)
    assert h.versions() == ["v1", "v2"]
    frame = h.runs(version="v2")
    assert list(frame["test_id"]) == [
        "a-accuracy[a]",
        "a-accuracy[b]",
        "few-rows[a]",
        "few-rows[b]",
    ]
    assert frame["model"].isna().all()  # several models in one run
    first = h.runs(suite="passing", version="v1")
    assert list(first["model"]) == ["model", "model"]
    assert first["counts"].iloc[0] == {"successes": 100, "trials": 100}


def test_record_without_version_is_a_usage_error(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    store = files["csv"].parent / "runs.db"
    common = (
        "test",
        files["passing"],
        "--data",
        files["csv"],
        "--target",
        "y",
        "--predictions",
        "p",
    )
    code, _, err = _main(capsys, *common, "--record", store)
    assert code == 2 and "--record needs --version LABEL" in err
    code, _, err = _main(capsys, *common, "--version", "v1")
    assert code == 2 and "--version labels a recorded run; give --record DB too" in err
    code, out, err = _main(capsys, *common, "--record", files["csv"].parent / "no" / "r.db",
                           "--version", "v1")  # fmt: skip
    assert code == 2 and "--record: " in err and "does not exist; create it first" in err
    assert out == ""  # refused before any test ran
    assert not store.exists()
