"""SparkSource.rows asks again when pyspark's local result socket failed (no Spark needed)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlglot import exp

from mlprobe.engines.spark_source import COLLECT_ATTEMPTS, SparkSource
from mlprobe.errors import MlprobeError


class _Session:
    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def sql(self, text: str, args: Any = None) -> _Session:
        return self

    def collect(self) -> list[tuple[int, ...]]:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return [(1, 2)]


def _source(session: _Session) -> SparkSource:
    source = object.__new__(SparkSource)
    source.session = session
    return source


SOCKET = UnboundLocalError("cannot access local variable 'sockfile' where it is not associated")


def test_a_lost_result_socket_is_asked_again() -> None:
    session = _Session(failures=COLLECT_ATTEMPTS - 1, error=SOCKET)
    assert _source(session).rows(exp.select("1"), []) == [(1, 2)]
    assert session.calls == COLLECT_ATTEMPTS


def test_it_gives_up_with_a_clear_error_after_the_last_attempt() -> None:
    session = _Session(failures=COLLECT_ATTEMPTS, error=SOCKET)
    with pytest.raises(MlprobeError, match="Spark failed: UnboundLocalError"):
        _source(session).rows(exp.select("1"), [])
    assert session.calls == COLLECT_ATTEMPTS


def test_other_errors_are_not_retried() -> None:
    session = _Session(failures=1, error=ValueError("AnalysisException: no such column"))
    with pytest.raises(MlprobeError, match="Spark failed: ValueError"):
        _source(session).rows(exp.select("1"), [])
    assert session.calls == 1
