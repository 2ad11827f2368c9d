"""Without an optional extra, the friendly install line is what a user sees (issue 12)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.cli import main
from mlprobe.errors import MlprobeError


@pytest.fixture
def without_sqlglot(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "sqlglot" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_from_parquet_without_the_duckdb_extra_names_the_install(
    without_sqlglot: None, tmp_path: Path
) -> None:
    path = tmp_path / "eval.parquet"
    pd.DataFrame({"y": [0, 1], "p": [0, 1]}).to_parquet(path)
    with pytest.raises(MlprobeError, match=r"\['sqlglot'\]: pip install 'mlprobe\[duckdb\]'"):
        mp.Probe.from_parquet(path, target="y", predictions="p")


def test_the_cli_engine_without_its_extra_exits_2_with_one_line(
    without_sqlglot: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "eval.parquet"
    pd.DataFrame({"y": [0, 1], "p": [0, 1]}).to_parquet(path)
    suite = tmp_path / "s.mlprobe.yaml"
    suite.write_text("mlprobe: 1\nname: s\ntests: []\n")
    arguments = ["--data", str(path), "--target", "y", "--predictions", "p", "--engine", "duckdb"]
    code = main(["test", str(suite), *arguments])
    err = capsys.readouterr().err
    assert code == 2
    assert "pip install 'mlprobe[duckdb]'" in err
    assert "Traceback" not in err
