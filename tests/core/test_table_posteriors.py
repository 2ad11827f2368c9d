"""Posterior intervals of table metrics: exact where closed form, never a point, right scale."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mlprobe.core.metrics.classification import balanced_accuracy, f1_per_class, macro_f1
from mlprobe.core.statistics._table_posteriors import (
    balanced_accuracy_interval,
    f1_interval,
    jeffreys_interval,
    macro_f1_interval,
)


@st.composite
def tables(draw: st.DrawFn) -> np.ndarray:
    k = draw(st.integers(2, 4))
    cells = draw(st.lists(st.integers(0, 40), min_size=k * k, max_size=k * k))
    return np.array(cells).reshape(1, k, k)


@settings(max_examples=200, deadline=None)
@given(tables(), st.sampled_from([0.8, 0.95, 0.99]))
def test_every_interval_holds_its_value_has_width_and_stays_in_range(
    table: np.ndarray, confidence: float
) -> None:
    k = table.shape[-1]
    cases = [
        (balanced_accuracy(table), balanced_accuracy_interval(table, confidence)),
        (macro_f1(table), macro_f1_interval(table, confidence)),
        *((f1_per_class(table)[:, c], f1_interval(table, c, confidence)) for c in range(k)),
    ]
    for value, (low, high) in cases:
        if np.isnan(low[0]):
            continue
        assert 0 <= low[0] <= value[0] + 1e-9 and value[0] - 1e-9 <= high[0] <= 1
        assert high[0] - low[0] > 0.01  # at most 160 rows: never a point


def test_one_row_one_class_and_all_correct_tables() -> None:
    one_row = np.array([[[1, 0], [0, 0]]])
    all_correct = np.array([[[3, 0], [0, 0]], [[20, 0], [0, 15]]])
    # a class without true rows: balanced accuracy and macro F1 cannot cover all rows' value
    for interval in (balanced_accuracy_interval, macro_f1_interval):
        assert np.isnan(interval(one_row, 0.95)).all()
        assert np.isnan(interval(all_correct[:1], 0.95)).all()
        low, high = interval(all_correct[1:], 0.95)
        assert 0.8 < low[0] < 1.0 and high[0] == 1.0
    low, high = f1_interval(all_correct[:1], 0, 0.95)  # F1 of the class that is there
    assert 0.5 < low[0] < 1.0 == high[0]
    low, high = f1_interval(all_correct[:1], 1, 0.95)  # absent from truth and predictions
    assert np.isnan(low[0]) and np.isnan(high[0])


def test_jeffreys_interval_is_the_beta_posterior_with_the_usual_ends() -> None:
    low, high = jeffreys_interval(np.array([0, 3, 10]), np.array([10, 7, 0]), 0.95)
    posterior = stats.beta(3.5, 7.5)
    np.testing.assert_allclose([low[1], high[1]], posterior.ppf([0.025, 0.975]), rtol=1e-9)
    assert low[0] == 0.0 and high[2] == 1.0


def test_f1_interval_is_the_jeffreys_interval_of_tp_over_tp_fp_fn_mapped() -> None:
    table = np.array([[[30, 5], [8, 12]]])  # class 1: TP 12, FP 5, FN 8
    low, high = f1_interval(table, 1, 0.9)
    x = stats.beta(12.5, 13.5).ppf([0.05, 0.95])
    np.testing.assert_allclose([low[0], high[0]], 2 * x / (1 + x), rtol=1e-9)


def test_balanced_accuracy_interval_is_the_convolved_beta_posterior() -> None:
    """Against a Monte Carlo of Brodersen et al.'s posterior, on the grid and the Beta paths."""
    rng = np.random.default_rng(3)
    for table in (np.array([[[9, 1], [2, 1]]]), np.array([[[900, 100], [300, 700]]])):
        tp = np.diagonal(table[0])
        misses = table[0].sum(axis=1) - tp
        draws = rng.beta(tp + 0.5, misses + 0.5, size=(200_000, 2)).mean(axis=1)
        low, high = balanced_accuracy_interval(table, 0.95)
        np.testing.assert_allclose(
            [low[0], high[0]], np.quantile(draws, [0.025, 0.975]), atol=0.004
        )


def test_macro_f1_interval_matches_the_spread_of_macro_f1_on_large_tables() -> None:
    """At large n the interval must agree with the sampling spread (the delta method)."""
    rng = np.random.default_rng(5)
    cells = np.array([[0.3, 0.05, 0.02], [0.04, 0.25, 0.06], [0.02, 0.06, 0.2]])
    samples = rng.multinomial(5000, cells.ravel(), size=3000).reshape(-1, 3, 3)
    spread = np.quantile(macro_f1(samples), [0.025, 0.975])
    low, high = macro_f1_interval(samples[:200], 0.95)
    np.testing.assert_allclose(np.median(high - low), spread[1] - spread[0], rtol=0.1)


def test_intervals_are_computed_for_all_groups_at_once_and_do_not_depend_on_neighbours() -> None:
    rng = np.random.default_rng(9)
    many = rng.integers(0, 30, size=(50, 3, 3))
    for interval in (balanced_accuracy_interval, macro_f1_interval):
        together = np.array(interval(many, 0.95))
        alone = np.array(interval(many[7:8], 0.95))
        np.testing.assert_allclose(together[:, 7:8], alone, rtol=1e-12)
