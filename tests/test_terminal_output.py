"""Issue 12: what the command line and the pytest plugin print from suite files and data.

Terminal escape sequences in a suite file (name, description) or in the data
(slice values, which reach reasons and slice text) are shown as visible
``\\xNN``, never written raw; every ``mlprobe test`` error is one ``error:``
message with exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlprobe.cli import main
from mlprobe.terminal import error_line, escape

TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
RAW = ("\x1b", "\x07", "\x9b")


def _frame() -> pd.DataFrame:
    i = np.arange(400)
    g = np.array(["a", "b", f"c{TITLE}", f"d{CLEAR}"], dtype=object)[i % 4]
    y = (i // 4) % 2
    p = y.copy()
    wrong = (g == "b") & ((i // 4) % 5 < 2)
    p[wrong] = 1 - p[wrong]
    sex = np.where(i % 2 == 0, "Female", "Male")
    return pd.DataFrame({"g": g, "y": y, "p": p, "sex": sex, "s": np.where(p == 1, 0.8, 0.2)})


def _suite_text() -> str:
    """A suite whose name, description and slice values carry escape sequences (as JSON,
    which writes them as \\u001b: YAML would refuse raw control characters)."""
    return json.dumps(
        {
            "mlprobe": 1,
            "name": f"evil{TITLE}",
            "tests": [
                {
                    "id": "title-slice",
                    "description": f"retitles {TITLE} and clears {CLEAR} the terminal",
                    "slice": {"column": "g", "eq": f"c{TITLE}"},
                    "metric": "accuracy",
                    "expect": {"at_least": 0.9},
                    "min_support": 1000,
                },
                {
                    "id": "clear-slice",
                    "description": f"clears {CLEAR}",
                    "slice": {"column": "g", "in": ["b", f"d{CLEAR}"]},
                    "metric": "accuracy",
                    "expect": {"at_least": 0.99},
                },
                {
                    "id": "missing-column",
                    "slice": {"column": f"x{CLEAR}", "eq": 1},
                    "metric": "accuracy",
                    "expect": {"at_least": 0.9},
                },
            ],
        }
    )


def _assert_no_raw_controls(text: str) -> None:
    for char in RAW:
        assert char not in text, f"raw {char!r} in output:\n{text!r}"


def test_escape_shows_control_characters_and_keeps_text() -> None:
    assert escape(f"a{TITLE}b{CLEAR}") == "a\\x1b]0;pwned\\x07b\\x1b[2J"
    assert escape("line\nnext\tcol") == "line\nnext\tcol"
    assert escape("line\nnext\r", multiline=False) == "line\\x0anext\\x0d"
    assert escape("over\rwrite") == "over\\x0dwrite"
    assert escape("\x9b31m C1 and \x7f DEL") == "\\x9b31m C1 and \\x7f DEL"
    assert escape("café → ünïcode") == "café → ünïcode"
    assert error_line(f"bad {CLEAR}") == "error: bad \\x1b[2J"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"csv": tmp_path / "eval.csv", "suite": tmp_path / "evil.mlprobe.json"}
    _frame().to_csv(paths["csv"], index=False)
    paths["suite"].write_text(_suite_text(), encoding="utf-8")
    return paths


def test_cli_output_has_no_raw_escape_sequences(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "test",
            str(files["suite"]),
            "--data",
            str(files["csv"]),
            "--target",
            "y",
            "--predictions",
            "p",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 1, out + err
    _assert_no_raw_controls(out + err)
    assert "evil\\x1b]0;pwned\\x07" in out  # the suite name, visible
    assert "clears \\x1b[2J" in out  # a description
    assert "\\x1b[2J" in out.split("clear-slice FAILED")[1]  # the slice values of a failure


def test_cli_errors_from_a_suite_file_are_escaped(
    tmp_path: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.mlprobe.json"
    bad.write_text(_suite_text().replace('"at_least"', f'"at_{CLEAR}least"', 1), encoding="utf-8")
    code = main(
        ["test", str(bad), "--data", str(files["csv"]), "--target", "y", "--predictions", "p"]
    )
    out, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("error: ")
    _assert_no_raw_controls(out + err)


PLUGIN_CONFTEST = """
import pandas as pd
import pytest

import mlprobe as mp

DATA = pd.read_csv({csv!r})


@pytest.fixture(scope="session")
def mlprobe_probe():
    return mp.Probe(DATA, target="y", predictions="p")
"""


@pytest.mark.parametrize("strict", [False, True])
def test_pytest_plugin_report_has_no_raw_escape_sequences(
    pytester: pytest.Pytester, files: dict[str, Path], strict: bool
) -> None:
    pytester.makeconftest(PLUGIN_CONFTEST.format(csv=str(files["csv"])))
    (pytester.path / "evil.mlprobe.json").write_text(_suite_text(), encoding="utf-8")
    args = ["-p", "no:hypothesispytest", "-p", "no:cacheprovider", "-rA", "-v"]
    result = pytester.runpytest(*args, *(["--mlprobe-strict"] if strict else []))
    if strict:
        result.assert_outcomes(failed=3)
    else:
        result.assert_outcomes(failed=2, skipped=1)
    text = result.stdout.str() + result.stderr.str()
    _assert_no_raw_controls(text)
    assert "clears \\x1b[2J" in text


def test_pytest_plugin_collection_error_is_escaped(pytester: pytest.Pytester) -> None:
    text = _suite_text().replace('"at_least"', f'"at_{CLEAR}least"', 1)
    (pytester.path / "bad.mlprobe.json").write_text(text, encoding="utf-8")
    result = pytester.runpytest("-p", "no:hypothesispytest", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    _assert_no_raw_controls(result.stdout.str() + result.stderr.str())


# --- item 2: every `mlprobe test` error is one line and exit code 2 ---------------------


def _run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_scores_naming_a_label_column_is_one_line_exit_2(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base = [
        "test",
        files["suite"],
        "--data",
        files["csv"],
        "--target",
        "y",
        "--predictions",
        "p",
    ]
    code, _, err = _run(capsys, *base, "--scores", "sex")
    assert code == 2
    line = _one_error_line(err)
    assert "--scores" in line and "'sex'" in line and "'Female'" in line
    assert "probabilities" in line
    code, _, err = _run(capsys, *base, "--scores", "g", "sex")  # one column per class too
    assert code == 2
    assert "'g'" in _one_error_line(err)


def test_scores_out_of_range_is_one_line_exit_2(
    tmp_path: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data = _frame().assign(s=np.arange(400) * 1.0)
    data.to_csv(tmp_path / "logits.csv", index=False)
    code, _, err = _run(
        capsys,
        "test",
        files["suite"],
        "--data",
        tmp_path / "logits.csv",
        "--target",
        "y",
        "--predictions",
        "p",
        "--scores",
        "s",
    )
    assert code == 2
    _one_error_line(err)


def test_junit_under_a_file_is_refused_before_running(
    tmp_path: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    target = tmp_path / "a-file" / "reports" / "junit.xml"
    code, out, err = _run(
        capsys, "test", files["suite"], "--data", files["csv"], "--target", "y",
        "--predictions", "p", "--junit", target,
    )  # fmt: skip
    assert code == 2
    line = _one_error_line(err)
    assert repr(str(target)) in line and "is a file, not a folder" in line
    assert out == ""  # refused before any test ran
    code, _, err = _run(
        capsys, "test", files["suite"], "--data", files["csv"], "--target", "y",
        "--predictions", "p", "--junit", tmp_path,
    )  # fmt: skip
    assert code == 2
    assert "is a folder" in _one_error_line(err)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes read-only folders"
)
def test_junit_in_a_read_only_folder_is_refused_before_running(
    tmp_path: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        code, out, err = _run(
            capsys, "test", files["suite"], "--data", files["csv"], "--target", "y",
            "--predictions", "p", "--junit", folder / "junit.xml",
        )  # fmt: skip
    finally:
        folder.chmod(0o755)
    assert code == 2
    assert "not writable" in _one_error_line(err)
    assert out == ""


def test_junit_write_failure_names_the_path_not_the_temporary_file(
    tmp_path: Path,
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mlprobe.spec.files

    def refuse(path: object, text: str) -> None:
        raise PermissionError(13, "Permission denied", str(tmp_path / ".junit.xml.x1y2.tmp"))

    monkeypatch.setattr(mlprobe.spec.files, "write_atomic", refuse)
    target = tmp_path / "junit.xml"
    code, _, err = _run(
        capsys, "test", files["suite"], "--data", files["csv"], "--target", "y",
        "--predictions", "p", "--junit", target,
    )  # fmt: skip
    assert code == 2
    line = _one_error_line(err)
    assert line == f"error: --junit: cannot write {str(target)!r}: Permission denied."
    assert ".tmp" not in line
