"""Issue 14 (part 3): one rule per shared argument, checked the same way by every facade."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.core.arguments import CONFIDENCE, MIN_SUPPORT, RULES, checked

pytest.importorskip("duckdb")

BAD = {
    "confidence": [0, 1, 1.5, 95, -0.1, True, "0.95", None, float("nan")],
    "min_support": [-1, 2.5, True, "30", None, np.float64(3)],
}
GOOD = {"confidence": [0.8, 0.99, np.float32(0.9)], "min_support": [0, 1, np.int64(50)]}


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "g": rng.choice(["a", "b"], 200),
            "y": rng.integers(0, 2, 200),
            "v1": rng.integers(0, 2, 200),
            "v2": rng.integers(0, 2, 200),
        }
    )
    path = Path(tmp_path_factory.mktemp("arguments")) / "t.parquet"
    frame.to_parquet(path)
    predictions = {"v1": "v1", "v2": "v2"}
    return [
        mp.Probe(frame, target="y", predictions=predictions),
        mp.Probe.from_parquet(path, target="y", predictions=predictions),
    ]


CALLS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "breakdown": lambda p, kw: p.breakdown(by="g", **kw),
    "compare": lambda p, kw: p.compare("v1", "v2", by="g", **kw),
    "metric": lambda p, kw: p.metric("accuracy", "g == 'a'", **kw),
}


def _cases() -> list[Any]:
    return [
        pytest.param(call, argument, value, id=f"{call}-{argument}-{value!r}")
        for call in CALLS
        for argument, values in BAD.items()
        if not (call == "metric" and argument == "min_support")
        for value in values
    ]


@pytest.mark.parametrize(("call", "argument", "value"), _cases())
def test_every_backend_refuses_the_same_bad_argument_the_same_way(
    probes: list[Any], call: str, argument: str, value: Any
) -> None:
    messages = []
    for probe in probes:
        with pytest.raises(mp.ValidationError) as caught:
            CALLS[call](probe, {argument: value})
        messages.append(str(caught.value))
    assert len(set(messages)) == 1, messages
    assert messages[0].startswith(f"{argument}: expected ") and repr(value) in messages[0]


@pytest.mark.parametrize("argument", sorted(GOOD))
def test_every_backend_accepts_the_same_good_arguments(probes: list[Any], argument: str) -> None:
    for value in GOOD[argument]:
        tables = [p.breakdown(by="g", **{argument: value}) for p in probes]
        pd.testing.assert_frame_equal(tables[0], tables[1], check_dtype=False)


def test_compare_checks_min_support_too(probes: list[Any]) -> None:
    """Regression: compare never checked min_support (a text '30' crashed in numpy)."""
    for probe in probes:
        with pytest.raises(mp.ValidationError, match="min_support: expected a whole number"):
            probe.compare("v1", "v2", min_support="30")


def test_the_defaults_are_declared_once() -> None:
    import inspect

    for method in (mp.Probe.breakdown, mp.Probe.compare, mp.Probe.explore, mp.Probe.report):
        parameters = inspect.signature(method).parameters
        assert parameters["confidence"].default == CONFIDENCE
        assert parameters["min_support"].default == MIN_SUPPORT
    assert inspect.signature(mp.Probe.find_slices).parameters["confidence"].default == CONFIDENCE


def test_a_rule_is_needed_for_every_checked_argument() -> None:
    with pytest.raises(KeyError, match="no rule"):
        checked("colour")
    with pytest.raises(TypeError, match="has no argument"):
        checked("top_k")(lambda x: x)
    assert set(RULES) >= {"confidence", "min_support", "top_k", "max_conditions", "alpha"}


def test_an_argument_defaulting_to_none_may_stay_none() -> None:
    @checked("min_support")
    def search(*, min_support: int | None = None) -> int | None:
        return min_support

    assert search() is None and search(min_support=None) is None
    assert search(min_support=np.int64(5)) == 5 and type(search(min_support=np.int64(5))) is int
    with pytest.raises(mp.ValidationError, match="min_support"):
        search(min_support=-2)
