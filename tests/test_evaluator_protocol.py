"""Both probes, in memory and on an engine, offer the same interface with the same signatures."""

from __future__ import annotations

import inspect
from pathlib import Path

import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.core.evaluator import Evaluator

METHODS = ["groups", "breakdown", "confusion", "metric", "compare", "flips"]
PROPERTIES = ["task", "classes", "models", "n_rows"]


def _probe_classes() -> list[type]:
    classes: list[type] = [mp.Probe]
    try:
        from mlprobe.engines.table_probe import TableProbe
    except ImportError:  # sqlglot missing: only the in-memory probe to check
        return classes
    return [*classes, TableProbe]


@pytest.mark.parametrize("name", METHODS)
def test_each_probe_has_the_protocol_signature(name: str) -> None:
    expected = inspect.signature(getattr(Evaluator, name))
    for cls in _probe_classes():
        got = inspect.signature(getattr(cls, name))
        assert got == expected, (
            f"{cls.__name__}.{name}{got} drifted from Evaluator.{name}{expected}"
        )


def test_both_kinds_of_probe_are_evaluators(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    pytest.importorskip("sqlglot")
    frame = pd.DataFrame({"g": ["a", "b", "b"], "y": [1, 0, 1], "p": [1, 1, 1]})
    frame.to_parquet(tmp_path / "eval.parquet")
    probes = [
        mp.Probe(frame, target="y", predictions="p"),
        mp.Probe.from_parquet(tmp_path / "eval.parquet", target="y", predictions="p"),
    ]
    for probe in probes:
        assert isinstance(probe, Evaluator)
        assert [getattr(probe, p) for p in PROPERTIES] == ["binary", [0, 1], ["model"], 3]
    assert not isinstance(frame, Evaluator)
