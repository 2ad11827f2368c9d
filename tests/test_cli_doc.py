"""`mlprobe doc` (a suite as written criteria) and `mlprobe history` (the version x test matrix)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe import cli
from mlprobe.cli import main
from mlprobe.spec import Baseline


def _suite() -> mp.Suite:
    return mp.Suite(
        "income",
        [
            mp.SliceTest(
                id="a-accuracy",
                slice=mp.Slice.parse("g == 'a'", name="group a"),
                metric="accuracy",
                at_least=0.8,
                tags=["core"],
                baseline=Baseline(0.9, 50, "v1", "2026-12-01"),
            ),
            mp.GroupTest(id="g-selection", by="g", metric="selection_rate", max_difference=0.2),
        ],
    )


@pytest.fixture
def suite_file(tmp_path: Path) -> Path:
    return _suite().save(tmp_path / "income.mlprobe.yaml")


@pytest.fixture
def store(tmp_path: Path, suite_file: Path) -> Path:
    """A run store with versions v1 (all right) and v2 (wrong on 20 rows of group a)."""
    df = pd.DataFrame({"g": ["a", "b"] * 50, "y": [0, 1] * 50})
    path = tmp_path / "runs.db"
    suite = mp.Suite.load(suite_file)
    for version, wrong in (("v1", 0), ("v2", 20)):
        predictions = np.array([0, 1] * 50)
        predictions[: 2 * wrong : 2] = 1  # group a's rows are the even ones
        probe = mp.Probe(df, target="y", predictions=predictions)
        suite.run(probe, record=path, version=version)
    return path


def test_doc_prints_markdown_by_default(suite_file: Path, capsys: Any) -> None:
    assert main(["doc", str(suite_file)]) == 0
    out = capsys.readouterr().out
    assert out == _suite().to_markdown()
    assert out.startswith("# Success criteria: income")
    assert main(["doc", str(suite_file), "-o", "-"]) == 0
    assert capsys.readouterr().out == out


def test_doc_writes_markdown_and_html_by_extension(
    suite_file: Path, tmp_path: Path, capsys: Any
) -> None:
    markdown = tmp_path / "out" / "criteria.md"
    assert main(["doc", str(suite_file), "-o", str(markdown)]) == 0
    assert markdown.read_text(encoding="utf-8") == _suite().to_markdown()
    assert "Criteria (Markdown) written to" in capsys.readouterr().out
    page = tmp_path / "criteria.HTML"
    assert main(["doc", str(suite_file), "--output", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<script" not in text
    assert not list(tmp_path.glob(".criteria*.tmp"))  # atomic: no temporary file left


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-o", "criteria.txt"], "-o: cannot tell the format of 'criteria.txt'"),
        (["--history", "missing.db"], "missing.db"),
    ],
)
def test_doc_usage_errors_exit_2(
    suite_file: Path, tmp_path: Path, capsys: Any, arguments: list[str], message: str
) -> None:
    arguments = [a if a.startswith("-") else str(tmp_path / a) for a in arguments]
    assert main(["doc", str(suite_file), *arguments]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith("error: ") and message.split("'")[0] in line
    assert not (tmp_path / "missing.db").exists()  # reading never creates a store


def test_doc_refuses_a_bad_suite_file(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "bad.mlprobe.yaml"
    bad.write_text("mlprobe: 1\nname: x\ntests:\n  - id: t\n    metric: accuracy\n")
    assert main(["doc", str(bad)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {bad}")
    assert main(["doc", str(tmp_path / "none.yaml")]) == 2
    assert "no such suite file" in capsys.readouterr().err


def test_doc_refuses_a_folder_as_output(suite_file: Path, tmp_path: Path, capsys: Any) -> None:
    folder = tmp_path / "out.md"
    folder.mkdir()
    assert main(["doc", str(suite_file), "-o", str(folder)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_doc_with_history_markdown(suite_file: Path, store: Path, capsys: Any) -> None:
    assert main(["doc", str(suite_file), "--history", str(store)]) == 0
    out = capsys.readouterr().out
    assert "Versions recorded: v1, v2." in out
    assert "Latest by version: v1 passed 1.000 · v2 **FAILED** 0.600" in out
    assert "## Latest outcomes" in out


def test_doc_with_history_html_has_trend_charts(
    suite_file: Path, store: Path, tmp_path: Path
) -> None:
    pytest.importorskip("vl_convert")
    page = tmp_path / "criteria.html"
    assert main(["doc", str(suite_file), "--history", str(store), "-o", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.count('<img class="trend"') == 2
    assert "<script" not in text


def test_history_prints_the_matrix(store: Path, capsys: Any) -> None:
    assert main(["history", str(store)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["test", "v1", "v2"]
    assert lines[1].split() == ["a-accuracy", "1.000", "0.600"]
    assert lines[2].split()[0] == "g-selection"
    assert main(["history", str(store), "--value", "outcome", "--suite", "income"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["a-accuracy", "passed", "FAILED"]


def test_history_markdown(store: Path, capsys: Any) -> None:
    assert main(["history", str(store), "--value", "outcome", "--markdown"]) == 0
    assert capsys.readouterr().out.splitlines()[:3] == [
        "| Test | v1 | v2 |",
        "|---|---|---|",
        "| a-accuracy | passed | **FAILED** |",
    ]


def test_history_errors_exit_2(store: Path, tmp_path: Path, capsys: Any) -> None:
    assert main(["history", str(store), "--suite", "nope"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: ") and "'nope'" in line and "income" in line
    assert main(["history", str(tmp_path / "missing.db")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    with pytest.raises(SystemExit) as exit_info:
        main(["history", str(store), "--value", "bogus"])
    assert exit_info.value.code == 2


class _FakeHistory:
    def __init__(self, matrix: pd.DataFrame) -> None:
        self._matrix = matrix

    def matrix(self, suite: str | None = None, value: str = "observed") -> pd.DataFrame:
        return self._matrix

    def suites(self) -> list[str]:
        return []


def test_history_escapes_what_the_store_holds(monkeypatch: Any, capsys: Any) -> None:
    matrix = pd.DataFrame(
        {"t\x1b[2J|x": [0.5, float("nan")]}, index=pd.Index(["v1", "v\x1b]0;x\x07"], name="version")
    )
    monkeypatch.setattr(cli, "_open_history", lambda location: _FakeHistory(matrix))
    assert main(["history", "any.db"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b" in out
    assert out.splitlines()[1].split()[-2:] == ["0.500", "–"]
    assert main(["history", "any.db", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "t\\x1b\\[2J\\|x" in out


def test_history_of_an_empty_store(monkeypatch: Any, capsys: Any) -> None:
    empty = pd.DataFrame(index=pd.Index([], name="version"))
    monkeypatch.setattr(cli, "_open_history", lambda location: _FakeHistory(empty))
    assert main(["history", "any.db"]) == 0
    assert capsys.readouterr().out == "no runs recorded in any.db yet\n"
    assert main(["history", "any.db", "--suite", "s"]) == 2
    assert "nothing is recorded yet" in capsys.readouterr().err
