"""Confidence intervals: Wilson against scipy and its formula, coverage, seeded resampling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import mlprobe as mp
from mlprobe.core.metrics.classification import balanced_accuracy, macro_f1
from mlprobe.core.statistics.intervals import (
    normal_interval,
    resample_tables,
    wilson_interval,
    z_value,
)

confidences = st.floats(0.5, 0.999)


@st.composite
def counts(draw: st.DrawFn) -> tuple[int, int]:
    trials = draw(st.integers(1, 2000))
    return draw(st.integers(0, trials)), trials


def _wilson_formula(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    """Wilson (1927), as textbooks write it."""
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = successes / trials
    center = (successes + z**2 / 2) / (trials + z**2)
    half = z * np.sqrt(trials) / (trials + z**2) * np.sqrt(p * (1 - p) + z**2 / (4 * trials))
    return center - half, center + half


@settings(max_examples=100, deadline=None)
@given(counts(), confidences)
def test_wilson_matches_the_formula_and_scipy(drawn: tuple[int, int], confidence: float) -> None:
    successes, trials = drawn
    low, high = wilson_interval(np.array([successes]), np.array([trials]), confidence)
    formula = _wilson_formula(successes, trials, confidence)
    scipy_ci = stats.binomtest(successes, trials).proportion_ci(
        confidence_level=confidence, method="wilson"
    )
    np.testing.assert_allclose([low[0], high[0]], formula, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        [low[0], high[0]], [scipy_ci.low, scipy_ci.high], rtol=1e-9, atol=1e-12
    )
    assert 0 <= low[0] <= successes / trials <= high[0] <= 1


def test_wilson_interval_contains_the_observed_proportion_at_the_ends() -> None:
    # Regression: rounding left 0/10's low at 2.8e-17 and 3/3's high at 0.9999999999999999,
    # so an accuracy of 1.0 came with an interval that did not contain it.
    trials = np.array([1, 3, 7, 10, 457, 1000])
    for confidence in (0.5, 0.9, 0.95, 0.99):
        low, _ = wilson_interval(np.zeros_like(trials), trials, confidence)
        _, high = wilson_interval(trials, trials, confidence)
        assert (low == 0).all() and (high == 1).all()


def test_wilson_is_vectorized_and_nan_without_trials() -> None:
    low, high = wilson_interval(np.array([8, 0, 0]), np.array([10, 0, 5]), 0.95)
    np.testing.assert_allclose(low[[0, 2]], [_wilson_formula(8, 10, 0.95)[0], 0.0], atol=1e-12)
    assert np.isnan(low[1]) and np.isnan(high[1])
    assert high[2] > 0  # no success in 5 trials still leaves room above 0


def test_z_value_is_the_normal_quantile() -> None:
    for confidence in (0.5, 0.9, 0.95, 0.99):
        np.testing.assert_allclose(
            z_value(confidence), stats.norm.ppf(0.5 + confidence / 2), rtol=1e-12
        )


def test_normal_interval_is_symmetric_and_clipped_to_bounds() -> None:
    low, high = normal_interval(np.array([0.5, 0.99]), np.array([0.1, 0.1]), 0.95, bounds=(0, 1))
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(low, [0.5 - 0.1 * z, 0.99 - 0.1 * z])
    np.testing.assert_allclose(high, [0.5 + 0.1 * z, 1.0])


# --- coverage: for a known truth, about 95% of intervals contain it --------------------


def test_wilson_intervals_cover_the_true_proportion_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    for p, n in ((0.3, 50), (0.05, 200), (0.9, 20)):
        successes = rng.binomial(n, p, size=2000)
        low, high = wilson_interval(successes, np.full(2000, n), 0.95)
        coverage = np.mean((low <= p) & (p <= high))
        assert 0.92 <= coverage <= 0.985, (p, n, coverage)


def test_table_resampling_covers_a_known_balanced_accuracy_about_95_percent_of_the_time() -> None:
    cells = np.array([[0.40, 0.10], [0.15, 0.35]])  # recalls 0.8 and 0.7
    truth = float(balanced_accuracy(cells))
    rng = np.random.default_rng(11)
    tables = rng.multinomial(300, cells.ravel(), size=200).reshape(200, 2, 2)
    low, high, se = resample_tables(tables, balanced_accuracy, 0.95)
    coverage = np.mean((low <= truth) & (truth <= high))
    assert 0.90 <= coverage <= 0.99, coverage
    # the standard error is close to the spread of the estimates themselves
    np.testing.assert_allclose(np.median(se), balanced_accuracy(tables).std(), rtol=0.2)


def test_resampled_tables_never_collapse_on_an_all_correct_table() -> None:
    # Regression: a 3-row all-correct table resampled to itself, [1.000, 1.000]
    tables = np.array([[[3, 0], [0, 0]], [[2, 0], [0, 1]]])
    low, _, se = resample_tables(tables, macro_f1, 0.95)
    assert (low < 1).all() and (se > 0).all()


# --- resampling is seeded by the table --------------------------------------------------


def test_a_table_gets_the_same_interval_whatever_else_is_resampled() -> None:
    rng = np.random.default_rng(3)
    tables = rng.integers(0, 30, size=(5, 3, 3))
    alone = resample_tables(tables[2:3], macro_f1, 0.9)
    together = resample_tables(tables, macro_f1, 0.9)
    reordered = resample_tables(tables[::-1], macro_f1, 0.9)
    for result in (together, reordered):
        position = 2
        np.testing.assert_array_equal([r[position] for r in result], [r[0] for r in alone])


def test_resampling_gives_nan_for_empty_and_mostly_undefined_tables() -> None:
    tables = np.array([[[0, 0], [0, 0]], [[1, 0], [0, 0]], [[20, 5], [3, 30]]])

    def recall_of_second_class(t: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return t[..., 1, 1] / t[..., 1, :].sum(axis=-1)

    low, high, se = resample_tables(tables, recall_of_second_class, 0.95)
    assert np.isnan([low[0], high[0], se[0]]).all()  # no rows
    assert np.isnan([low[1], high[1], se[1]]).all()  # the class never occurs
    assert 0 < low[2] < 30 / 33 < high[2] <= 1


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 400
    return pd.DataFrame(
        {
            "g": rng.choice(["a", "b", "c"], n),
            "y": rng.choice(["x", "y", "z"], n),
            "p": rng.choice(["x", "y", "z"], n),
        }
    )


@pytest.mark.parametrize("metric", ["macro_f1", "balanced_accuracy", "f1[y]"])
def test_breakdown_interval_of_a_slice_does_not_depend_on_the_other_slices(metric: str) -> None:
    probe = mp.Probe(_frame(), target="y", predictions="p")
    columns = [metric, f"{metric}_ci_low", f"{metric}_ci_high"]
    alone = probe.breakdown(slices=["g == 'a'"], metrics=[metric]).set_index("slice")
    with_other = probe.breakdown(slices=["g == 'b'", "g == 'a'"], metrics=[metric]).set_index(
        "slice"
    )
    grouped = probe.breakdown(by="g", metrics=[metric]).set_index("slice")
    expected = alone.loc["g == 'a'", columns].to_numpy(dtype=float)
    np.testing.assert_array_equal(
        with_other.loc["g == 'a'", columns].to_numpy(dtype=float), expected
    )
    np.testing.assert_array_equal(grouped.loc["g == 'a'", columns].to_numpy(dtype=float), expected)
