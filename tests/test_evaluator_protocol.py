"""One Probe over every backend: each constructor returns a ``Probe``, each backend implements
the whole backend interface, and the probe is an ``Evaluator`` (what suites and the CLI use).

Behaviour, not signatures, is what the engine tests compare (tests/engines: the same tables,
the same refusals); this file pins the structure that makes that possible.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.core.backend import Backend
from mlprobe.core.evaluator import Evaluator
from mlprobe.engines.memory import MemoryBackend

PROPERTIES = ["task", "classes", "models", "n_rows"]


def _members(protocol: type) -> set[str]:
    return {
        name
        for name, _ in inspect.getmembers(protocol)
        if not name.startswith("_") or name == "__init__"
    } - {"__init__"} | set(getattr(protocol, "__annotations__", {}))


def test_every_constructor_returns_a_probe(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    frame = pd.DataFrame({"g": ["a", "b", "b"], "y": [1, 0, 1], "p": [1, 1, 1]})
    frame.to_parquet(tmp_path / "eval.parquet")
    probes = [
        mp.Probe(frame, target="y", predictions="p"),
        mp.Probe.from_parquet(tmp_path / "eval.parquet", target="y", predictions="p"),
        mp.Probe.from_duckdb(frame, target="y", predictions="p"),
    ]
    for probe in probes:
        assert type(probe) is mp.Probe and isinstance(probe, Evaluator)
        assert [getattr(probe, p) for p in PROPERTIES] == ["binary", [0, 1], ["model"], 3]
    assert "rows in DuckDB" in repr(probes[1]) and "rows in" not in repr(probes[0])
    assert not isinstance(frame, Evaluator)


def test_each_backend_implements_the_whole_interface() -> None:
    pytest.importorskip("sqlglot")
    from mlprobe.engines.sql_backend import SqlBackend

    wanted = _members(Backend)
    assert {"groupings", "paired_grouping", "confusion_table", "rows", "loss_cells"} <= wanted
    for backend in (MemoryBackend, SqlBackend):
        missing = sorted(name for name in wanted if not hasattr(backend, name))
        assert not missing, f"{backend.__name__} lacks {missing}"


def test_what_an_engine_cannot_do_it_refuses_with_the_reason(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    frame = pd.DataFrame({"g": ["a", "b", "b"], "y": [1, 0, 1], "p": [1, 1, 1]})
    probe = mp.Probe.from_duckdb(frame, target="y", predictions="p")
    with pytest.raises(mp.MlprobeError, match="needs the rows, which stay in the engine"):
        probe.data  # noqa: B018
    with pytest.raises(mp.MlprobeError, match=r"one bool per row .* stays in the engine"):
        probe.mask("g == 'a'")
    # what the explorer needs works on every backend (issue 14)
    assert len(probe.rows()) == 3
    assert probe.describe_column("g").levels == [("b", 2), ("a", 1)]
    assert probe.check_slice("g == 'a'").name == "g == 'a'"
    assert probe.nbytes() == 0
    assert probe.columns == ["g", "y", "p", "@target", "@prediction", "@prediction[model]"]
