"""The small-slice cases the statistics review measured, through the public API."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import mlprobe as mp


def _binary_table(rng: np.random.Generator, n: int) -> pd.DataFrame:
    y = rng.integers(0, 2, n)
    right = rng.random(n) < 0.8
    return pd.DataFrame({"y": y, "p": np.where(right, y, 1 - y), "g": "rest"})


def test_an_all_correct_three_row_slice_is_not_certain() -> None:
    # Regression: macro_f1 1.000 [1.000, 1.000] with p = 3.7e-111 (and the same p for the rest)
    frame = _binary_table(np.random.default_rng(0), 1997)
    tiny = pd.DataFrame({"y": [1, 1, 0], "p": [1, 1, 0], "g": "tiny"})
    probe = mp.Probe(pd.concat([frame, tiny], ignore_index=True), target="y", predictions="p")
    for metric in ("macro_f1", "balanced_accuracy", "f1[1]", "accuracy"):
        row = probe.breakdown(slices=["g == 'tiny'"], metrics=[metric], min_support=0).iloc[1]
        assert row[metric] == 1.0
        assert row[f"{metric}_ci_low"] < 0.85 and row[f"{metric}_ci_high"] == 1.0, metric
        assert row["p_value"] > 0.05, (metric, row["p_value"])  # 3 rows prove nothing
    table = probe.breakdown(by="g", metrics=["macro_f1"], min_support=0).set_index("slice")
    assert table.loc["g == 'rest'", "p_value"] > 0.05


def test_three_missed_positives_get_fishers_exact_p_value() -> None:
    # Regression: p = 5.0e-4 from a z-test; Fisher's exact test says 0.0078
    rest = pd.DataFrame({"y": [1] * 100 + [0] * 100, "p": [1] * 80 + [0] * 20 + [0] * 100})
    rest["g"] = "rest"
    slice_rows = pd.DataFrame({"y": [1, 1, 1], "p": [0, 0, 0], "g": "s"})
    probe = mp.Probe(pd.concat([rest, slice_rows], ignore_index=True), target="y", predictions="p")
    row = probe.breakdown(slices=["g == 's'"], metrics=["recall[1]"], min_support=0).iloc[1]
    fisher = stats.fisher_exact([[0, 3], [80, 20]]).pvalue
    np.testing.assert_allclose(row["p_value"], fisher, rtol=1e-9)
    assert row["p_value"] > 0.005


def test_four_fixed_positives_and_nothing_broken_is_not_an_improvement_on_30_rows() -> None:
    # Regression: p = 0.0165 and "improved"; the exact McNemar test on the class's rows: 0.125
    y = np.array([1] * 10 + [0] * 20)
    a = np.array([1] * 6 + [0] * 4 + [0] * 20)  # misses 4 positives
    b = y.copy()  # catches them, breaks nothing
    probe = mp.Probe(
        pd.DataFrame({"y": y, "a": a, "b": b}), target="y", predictions={"a": "a", "b": "b"}
    )
    for metric in ("recall[1]", "accuracy"):
        row = probe.compare("a", "b", metric=metric, min_support=0).iloc[0]
        np.testing.assert_allclose(row["p_value"], stats.binomtest(0, 4).pvalue, rtol=1e-12)
        assert row["verdict"] == "no detectable change"
        assert row["delta_ci_low"] < row["delta"] < row["delta_ci_high"]


def test_every_metric_has_an_interval_of_width_on_one_and_two_row_slices() -> None:
    rng = np.random.default_rng(4)
    frame = _binary_table(rng, 500)
    frame["score"] = np.clip(frame["p"] * 0.6 + rng.random(500) * 0.4, 0.01, 0.99)
    frame["g"] = ["one"] + ["two"] * 2 + ["rest"] * 497
    frame.loc[:2, ["y", "p"]] = [[1, 1], [1, 1], [0, 0]]
    scores = np.column_stack([1 - frame["score"], frame["score"]])
    probe = mp.Probe(frame, target="y", predictions="p", scores=scores)
    metrics = ["accuracy", "recall[1]", "precision[1]", "f1[1]", "log_loss", "brier"]
    table = probe.breakdown(by="g", metrics=metrics, min_support=0).set_index("slice")
    for name in ("g == 'one'", "g == 'two'"):
        for metric in metrics:
            low, high = table.loc[name, f"{metric}_ci_low"], table.loc[name, f"{metric}_ci_high"]
            # either no interval (NaN: e.g. a mean of one row) or a real one, never a point
            assert (np.isnan(low) and np.isnan(high)) or high - low > 0.05, (name, metric)
    # the ratios of counts always have one, and a two-row mean has one too
    for metric in ("accuracy", "recall[1]", "precision[1]", "f1[1]"):
        assert (
            table.loc["g == 'one'", f"{metric}_ci_high"]
            - table.loc["g == 'one'", f"{metric}_ci_low"]
            > 0.5
        )
    for metric in metrics:
        assert np.isfinite(table.loc["g == 'two'", f"{metric}_ci_low"]), metric


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**31 - 1),
    st.integers(3, 60),
    st.sampled_from(["binary", "multiclass", "regression"]),
)
def test_breakdowns_of_tiny_random_tables_are_never_certain_and_p_values_are_probabilities(
    seed: int, n: int, task: str
) -> None:
    rng = np.random.default_rng(seed)
    k = 2 if task == "binary" else 3
    groups = rng.choice(["a", "b", "c"], n)
    if task == "regression":
        y = rng.exponential(size=n)
        frame = pd.DataFrame({"g": groups, "y": y, "p": y + rng.normal(size=n)})
        metrics = ["mae", "rmse", "mean_error", "r2"]
        probe = mp.Probe(frame, target="y", predictions="p", task="regression")
    else:
        y = rng.integers(0, k, n)
        y[:k] = np.arange(k)  # every class occurs somewhere (slices may still lack some)
        p = np.where(rng.random(n) < 0.7, y, rng.integers(0, k, n))
        frame = pd.DataFrame({"g": groups, "y": y, "p": p})
        metrics = ["accuracy", "balanced_accuracy", "macro_f1", "f1[1]", "recall[0]"]
        probe = mp.Probe(frame, target="y", predictions="p", task=task)
    for metric in metrics:
        table = probe.breakdown(by="g", metrics=[metric], min_support=0)
        value, low, high = (
            table[c].to_numpy(float) for c in (metric, f"{metric}_ci_low", f"{metric}_ci_high")
        )
        known = ~np.isnan(low)
        assert (np.isnan(high) == ~known).all()
        assert (low[known] <= value[known] + 1e-9).all() and (
            value[known] <= high[known] + 1e-9
        ).all()
        assert (high[known] > low[known]).all(), (metric, table)
        p_values = table["p_value"].to_numpy(float)
        tested = ~np.isnan(p_values)
        assert ((p_values[tested] >= 0) & (p_values[tested] <= 1)).all()
        q_values = table["q_value"].to_numpy(float)
        assert (q_values[tested] >= p_values[tested] - 1e-12).all()
