"""Fixtures of the suite-file tests: small probes whose metrics are known exactly.

The golden files are data for the tests, not suites to run: the mlprobe pytest
plugin would otherwise collect ``golden/*.mlprobe.yaml`` as slice tests.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp

collect_ignore = ["golden"]

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:  # for suite_strategies
    sys.path.insert(0, _HERE)


def _group(name: str, n: int, wrong: int, *, positives: bool = True) -> pd.DataFrame:
    """``n`` rows of group ``name``; model v1 is wrong on the first ``wrong`` rows, v2 never."""
    y = np.arange(n) % 2 if positives else np.zeros(n, dtype=int)
    v1 = y.copy()
    v1[:wrong] = 1 - v1[:wrong]
    return pd.DataFrame({"g": name, "x": np.arange(n, dtype=float), "y": y, "v1": v1, "v2": y})


def make_frame() -> pd.DataFrame:
    """Groups with exact v1 accuracies: a 0.9 (200 rows), b 0.6 (100), c 0.5 (10), d 0.75 (40).

    Group d holds only negatives, so ``recall[1]`` is undefined there.
    """
    return pd.concat(
        [
            _group("a", 200, 20),
            _group("b", 100, 40),
            _group("c", 10, 5),
            _group("d", 40, 10, positives=False),
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture(scope="session")
def probe(frame: pd.DataFrame) -> mp.Probe:
    """Two models, v1 (imperfect) and v2 (always right)."""
    return mp.Probe(frame, target="y", predictions={"v1": "v1", "v2": "v2"})


@pytest.fixture(scope="session")
def single_probe(frame: pd.DataFrame) -> mp.Probe:
    """One model, named ``model``: v1's predictions."""
    return mp.Probe(frame, target="y", predictions="v1")


# --- run stores: SQLite files and a throwaway PostgreSQL server ---------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A ``postgresql+psycopg://`` URL of a server started for this session (pg_server.py)."""
    from pg_server import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty run store, on each backend: a SQLite file path, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "runs.db")
    from pg_server import fresh_database

    server = request.getfixturevalue("postgres_url")
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[-50:]
    return fresh_database(server, name)
