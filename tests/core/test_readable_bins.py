"""Readable conditions of slice discovery (issue 15): one value reads ``x == v``, edges are
round numbers, the rows stay those of the quantile cuts, on every backend; q-values never
print as 0."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlprobe as mp
from mlprobe.core.slicing._discretize import (
    ArrayNumbers,
    BinnedColumn,
    bin_column,
    numeric_bins,
    readable_edge,
)
from mlprobe.core.slicing._encoding import encode_column
from mlprobe.demo import format_breakdown
from mlprobe.engines._discovery_sql import EngineNumbers, engine_bins
from mlprobe.engines.duckdb_source import DuckDBSource
from mlprobe.engines.sql import column_ref
from mlprobe.render.tables import format_q


def _binned(values: np.ndarray | pd.Series, name: str = "x", bins: int = 10) -> BinnedColumn:
    return bin_column(encode_column(pd.Series(values), name=name), bins=bins)


def _conditions(values: np.ndarray | pd.Series, name: str = "x", bins: int = 10) -> list[str]:
    return [str(c) for c in _binned(values, name, bins).conditions]


def _gains(n: int = 4_000, seed: int = 0) -> np.ndarray:
    """Like Adult's capital_gain: mostly 0, else at least 114."""
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < 0.9, 0, rng.integers(114, 100_000, n))


def _engine_conditions(frame: pd.DataFrame, bins: int = 10) -> dict[str, list[str]]:
    source = DuckDBSource(frame)
    kinds = source.kinds()
    found = engine_bins(
        source,
        list(frame.columns),
        kinds=kinds,
        aliases={},
        categorical=set(),
        bins=bins,
        max_levels=50,
    )
    return {c.name: [str(p) for p in c.conditions] for c in found}


def _assert_rows_kept(frame: pd.DataFrame, bins: int = 10, *, on_duckdb: bool = False) -> None:
    """Every condition selects exactly the rows whose code (from the exact cuts) is its bin,
    in memory (masks) and, ``on_duckdb``, in DuckDB (counts)."""
    probe = mp.Probe(frame.assign(y=0), target="y", predictions=np.zeros(len(frame), int))
    engine = mp.Probe.from_duckdb(frame.assign(y=0, p=0), target="y", predictions="p")
    for name in frame.columns:
        binned = _binned(frame[name], name, bins)
        slices = [mp.Slice(str(c), c) for c in binned.conditions]
        for b, chosen in enumerate(slices):
            np.testing.assert_array_equal(
                probe.mask(chosen), binned.codes == b, err_msg=f"{chosen} (bin {b} of {name})"
            )
        if on_duckdb:
            counted = engine.breakdown(slices=slices, metrics=["accuracy"])["n"].iloc[1:]
            expected = np.bincount(binned.codes[binned.codes >= 0], minlength=len(slices))
            assert counted.tolist() == expected.tolist(), name


# --- a bin of one value reads x == v --------------------------------------------------


def test_a_column_of_zeros_and_values_from_114_starts_with_its_zeros() -> None:
    conditions = _conditions(_gains(), name="capital_gain")
    assert conditions[0] == "capital_gain == 0"
    assert conditions[1].startswith("capital_gain >= 100 and capital_gain < ")
    assert all("114" not in c for c in conditions)


def test_an_integer_count_dominated_by_zeros_reads_its_values() -> None:
    rng = np.random.default_rng(1)
    counts = np.where(rng.random(3_000) < 0.85, 0, rng.integers(1, 4, 3_000))  # 0..3
    assert _conditions(counts, name="juv_fel_count", bins=3) == [
        "juv_fel_count == 0",
        "juv_fel_count == 1",
        "juv_fel_count >= 2",
    ]
    # few values: one bin each, as before
    assert _conditions(counts, name="juv_fel_count") == [f"juv_fel_count == {v}" for v in range(4)]


def test_a_range_of_one_value_and_a_last_bin_at_the_maximum_read_as_equalities() -> None:
    values = np.r_[np.arange(5.0).repeat(10), np.full(100, 5.0), np.full(100, 6.0)]
    values = np.r_[values, np.full(100, 7.5)]  # cut at 5, 6 and 7.5, the maximum
    assert _conditions(values, bins=4) == ["x < 5", "x == 5", "x == 6", "x == 7.5"]


# --- round edges -------------------------------------------------------------------------


def test_an_edge_reads_the_roundest_number_that_keeps_the_rows() -> None:
    below = np.linspace(20.0, 36.9, 50)
    values = np.r_[below, np.full(10, 37.2000001), np.linspace(40.0, 60.0, 50)]
    conditions = _conditions(values, bins=2)
    assert conditions == ["x < 37", "x >= 37"]
    assert readable_edge(37.2000001, 36.9) == 37.0
    assert readable_edge(37.2000001, 37.1) == 37.2


def test_an_edge_that_rounding_would_move_keeps_its_value() -> None:
    values = np.r_[np.linspace(20.0, 37.0, 50), np.full(5, 37.2), np.full(10, 37.2000001)]
    values = np.r_[values, np.linspace(40.0, 60.0, 50)]
    conditions = _conditions(values, bins=2)
    assert conditions == ["x < 37.2000001", "x >= 37.2000001"]
    assert readable_edge(37.2000001, 37.2) == 37.2000001


@pytest.mark.parametrize(
    ("cut", "below", "edge"),
    [
        (114.0, 0.0, 100.0),
        (114.0, 113.0, 114.0),
        (213.0, 155.0, 200.0),
        (0.25, -3.5, 0.0),  # zero is the roundest of all
        (-0.037, -0.5, -0.04),  # negative edges round down too (never above the cut)
        (1.5e-7, 1.0e-7, 1.5e-7),
        (123_456.0, 100_000.0, 120_000.0),
        (7.0, float("nan"), 0.0),  # no value below: anything up to the cut keeps the rows
    ],
)
def test_readable_edges(cut: float, below: float, edge: float) -> None:
    assert readable_edge(cut, below) == edge


def test_edges_keep_the_rows_of_a_single_precision_column() -> None:
    # float32(37.2) < 37.2: a float32 value there would change sides if the edge read 37.2
    just_below = float(np.float32(37.2))
    assert readable_edge(37.25, just_below) == 37.25
    values = np.r_[np.linspace(30, 37, 40), np.full(5, just_below), np.full(10, 37.25)]
    frame = pd.DataFrame({"x": np.r_[values, np.linspace(38, 50, 40)].astype(np.float32)})
    _assert_rows_kept(frame, bins=2, on_duckdb=True)


def test_numeric_bins_answer_the_same_through_any_number_summary() -> None:
    values = _gains(2_000, seed=3).astype(float)
    memory = numeric_bins("g", ArrayNumbers(values), 6, False).bins.conditions
    source = DuckDBSource(pd.DataFrame({"g": values}))
    engine = EngineNumbers(source, column_ref("g", source.kinds()), None, 6)
    assert [str(c) for c in numeric_bins("g", engine, 6, False).bins.conditions] == [
        str(c) for c in memory
    ]
    assert engine.largest_below([114.0, 1e9, float("inf"), 0.0]) == ArrayNumbers(
        values
    ).largest_below([114.0, 1e9, float("inf"), 0.0])


# --- the rows stay the same, on every backend ----------------------------------------


def _tables() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 3_000
    tenure = rng.exponential(3, n).round(1)
    tenure[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "capital_gain": _gains(n),
            "juv_fel_count": np.where(rng.random(n) < 0.85, 0, rng.integers(1, 4, n)),
            "age": rng.integers(17, 91, n),
            "tenure": tenure,
            "score": rng.normal(0, 1, n),
            "small": rng.normal(0, 1e-6, n),
            "shift": rng.integers(-50, 50, n) * 0.37,
            "single": rng.normal(40, 10, n).astype(np.float32),
        }
    )


@pytest.mark.parametrize("bins", [2, 3, 5, 10])
def test_conditions_select_the_rows_of_the_exact_cuts(bins: int) -> None:
    _assert_rows_kept(_tables(), bins=bins, on_duckdb=True)


@given(
    values=st.lists(
        st.one_of(
            st.integers(-3, 3),
            st.floats(-1e6, 1e6, allow_nan=False, width=64),
            st.decimals(-1000, 1000, places=2).map(float),
            st.sampled_from([0.0, 0.0, 0.0, 114.0, 37.2, 37.2000001]),
        ),
        min_size=5,
        max_size=80,
    ),
    bins=st.integers(2, 6),
    as_float32=st.booleans(),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_column_keeps_its_rows_in_memory_and_on_duckdb(
    values: list[float], bins: int, as_float32: bool
) -> None:
    array = np.asarray(values, dtype=np.float32 if as_float32 else np.float64)
    frame = pd.DataFrame({"x": array})
    _assert_rows_kept(frame, bins=bins, on_duckdb=True)
    assert _engine_conditions(frame, bins)["x"] == _conditions(array, bins=bins)


@pytest.mark.parametrize("bins", [3, 10])
def test_duckdb_cuts_and_reads_every_column_as_memory_does(bins: int) -> None:
    frame = _tables()
    engine = _engine_conditions(frame, bins)
    memory = {c: _conditions(frame[c], c, bins) for c in frame.columns}
    assert engine == memory
    assert memory["capital_gain"][0] == "capital_gain == 0"
    assert memory["juv_fel_count"][0] == "juv_fel_count == 0"


def test_discovered_slices_read_the_same_and_hold_the_same_rows_on_duckdb() -> None:
    frame = _tables()
    rng = np.random.default_rng(11)
    hard = (frame["capital_gain"] == 0) & (frame["age"] >= 50)
    frame["y"] = rng.integers(0, 2, len(frame))
    frame["p"] = np.where(
        rng.random(len(frame)) < np.where(hard, 0.4, 0.1), 1 - frame["y"], frame["y"]
    )
    memory = mp.Probe(frame.drop(columns="p"), target="y", predictions=frame["p"].to_numpy())
    engine = mp.Probe.from_duckdb(frame, target="y", predictions="p")
    ours = memory.find_slices(max_conditions=2, top_k=5, progress=False)
    theirs = engine.find_slices(max_conditions=2, top_k=5, progress=False)
    assert [str(s) for s in ours["slice"]] == [str(s) for s in theirs["slice"]]
    assert any("capital_gain == 0" in str(s) for s in ours["slice"])
    assert ours["n"].tolist() == theirs["n"].tolist()
    assert [int(memory.mask(found).sum()) for found in ours["slice"]] == ours["n"].tolist()


# --- q-values on display ----------------------------------------------------------------


def test_tiny_q_values_never_print_as_zero() -> None:
    shown = [format_q(v) for v in (0.0, 5e-324, 1e-40, 0.0004, 0.012)]
    assert shown == ["< 0.001", "< 0.001", "< 0.001", "< 0.001", "0.012"]
    frame = pd.DataFrame(
        {
            "slice": ["overall", "a", "b"],
            "n": [100, 60, 40],
            "accuracy": [0.9, 0.8, 0.99],
            "accuracy_ci_low": [0.85, 0.7, 0.95],
            "accuracy_ci_high": [0.95, 0.9, 1.0],
            "gap": [np.nan, -0.19, 0.19],
            "q_value": [np.nan, 0.0, 0.0312],
            "low_support": [False, False, False],
        }
    )
    frame.attrs["metrics"] = ["accuracy"]
    text = format_breakdown(frame)
    assert "< 0.001" in text and "0.031" in text
    assert "0.0 " not in text and "e+00" not in text and "e-" not in text


def test_find_slices_keeps_the_computed_q_values() -> None:
    # a slice far from the rest: its p-value underflows to 0.0, which is stored as computed
    n = 20_000
    group = np.arange(n) % 2
    frame = pd.DataFrame({"g": np.where(group == 1, "bad", "good"), "y": 0})
    probe = mp.Probe(frame, target="y", predictions=group)
    found = probe.find_slices(features=["g"], top_k=1, progress=False)
    q = float(found["q_value"].iloc[0])
    assert q == 0.0  # the stored number is the computed one ...
    assert format_q(q) == "< 0.001"  # ... only its display is floored
    out = io.StringIO()
    print(found.assign(q_value=found["q_value"].map(format_q)).to_string(), file=out)
    assert "< 0.001" in out.getvalue() and "0.000000e+00" not in out.getvalue()
