"""Tests of a difference against scipy: Benjamini–Hochberg, McNemar, two proportions, z."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mlprobe.core.statistics.significance import (
    EXACT_BELOW,
    benjamini_hochberg,
    mcnemar_p_value,
    two_proportion_p_value,
    z_test_p_value,
)

p_values = st.one_of(
    st.floats(0, 1),
    st.sampled_from([0.0, 0.01, 0.04, 0.05, 1.0]),  # ties
    st.just(np.nan),  # an undefined test: left out, stays NaN
)


@settings(max_examples=100, deadline=None)
@given(st.lists(p_values, max_size=30))
def test_benjamini_hochberg_matches_scipy(values: list[float]) -> None:
    p = np.array(values, dtype=np.float64)
    q = benjamini_hochberg(p)
    finite = np.isfinite(p)
    assert q.shape == p.shape
    assert np.isnan(q[~finite]).all()
    if finite.any():
        expected = stats.false_discovery_control(p[finite], method="bh")
        np.testing.assert_allclose(q[finite], expected, rtol=1e-12, atol=0)
        assert (q[finite] >= p[finite] * (1 - 1e-12)).all()  # never below p (up to rounding)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 300), st.integers(0, 300))
def test_mcnemar_is_scipys_exact_binomial_test_on_the_flips(b: int, c: int) -> None:
    p = mcnemar_p_value(np.array([b]), np.array([c]))[0]
    expected = 1.0 if b + c == 0 else stats.binomtest(min(b, c), b + c, 0.5).pvalue
    np.testing.assert_allclose(p, expected, rtol=1e-9, atol=1e-300)
    assert p == mcnemar_p_value(np.array([c]), np.array([b]))[0]  # symmetric


def _two_proportion_reference(x1: int, n1: int, x2: int, n2: int) -> float:
    pooled = (x1 + x2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    return 2 * stats.norm.sf(abs(x1 / n1 - x2 / n2) / se)


@st.composite
def two_samples(draw: st.DrawFn) -> tuple[int, int, int, int]:
    n1, n2 = draw(st.integers(1, 500)), draw(st.integers(1, 500))
    return draw(st.integers(0, n1)), n1, draw(st.integers(0, n2)), n2


@settings(max_examples=100, deadline=None)
@given(two_samples())
def test_two_proportion_test_is_fisher_on_small_counts_and_the_pooled_z_test_otherwise(
    sample: tuple[int, int, int, int],
) -> None:
    x1, n1, x2, n2 = sample
    p = two_proportion_p_value(np.array([x1]), np.array([n1]), np.array([x2]), np.array([n2]))[0]
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    if expected.min() < EXACT_BELOW:
        fisher = stats.fisher_exact(table).pvalue
        np.testing.assert_allclose(p, fisher, rtol=1e-6, atol=1e-12)
        return
    np.testing.assert_allclose(p, _two_proportion_reference(x1, n1, x2, n2), rtol=1e-9, atol=1e-300)
    # the pooled z-test is the chi-square test of the 2 x 2 table without correction
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    if (table.sum(axis=0) > 0).all():
        chi2 = stats.chi2_contingency(table, correction=False)
        np.testing.assert_allclose(p, chi2.pvalue, rtol=1e-7, atol=1e-300)


def test_two_proportion_test_is_nan_when_a_side_has_no_trials() -> None:
    p = two_proportion_p_value(
        np.array([0, 3]), np.array([0, 10]), np.array([5, 0]), np.array([9, 0])
    )
    assert np.isnan(p).all()


@settings(max_examples=100, deadline=None)
@given(st.floats(-10, 10), st.floats(1e-6, 10))
def test_z_test_is_two_sided_normal(difference: float, se: float) -> None:
    p = z_test_p_value(np.array([difference]), np.array([se]))[0]
    np.testing.assert_allclose(p, 2 * stats.norm.sf(abs(difference) / se), rtol=1e-9, atol=1e-300)


def test_z_test_edge_cases() -> None:
    p = z_test_p_value(np.array([0.0, 0.1, np.nan, 0.2]), np.array([0.0, 0.0, 0.1, np.nan]))
    assert p[0] == 1.0  # no difference and no spread: nothing to see
    assert p[1] == 0.0  # a difference measured without error
    assert np.isnan(p[2:]).all()


@pytest.mark.parametrize("draw", ["squared_normal", "squared_t5", "exponential"])
def test_mean_loss_tests_keep_their_tails_on_small_slices(draw: str) -> None:
    """Regression (issue 11): Welch's test on a 30-row slice's own variance gave p < 0.001
    2-11 times too often on skewed, heavy-tailed losses (a slice without a large loss looks
    certain), which made breakdowns of many small slices cry wolf. The pooled test keeps
    the small-p tail near nominal."""
    from mlprobe.core.statistics._moments import PowerSums
    from mlprobe.core.statistics.significance import pooled_mean_p_value

    rng = np.random.default_rng(11)
    sample = {
        "squared_normal": lambda size: rng.standard_normal(size) ** 2,
        "squared_t5": lambda size: rng.standard_t(5, size) ** 2,
        "exponential": lambda size: rng.exponential(1.0, size),
    }[draw]
    runs, small, rest = 40_000, 30, 3_000
    inside = sample((runs, small))
    outside = sample((runs // 40, rest))[rng.integers(0, runs // 40, runs)]
    sums = [
        PowerSums(np.full(runs, float(x.shape[1])), *(np.sum(x**p, axis=1) for p in range(1, 5)))
        for x in (inside, outside)
    ]
    p = pooled_mean_p_value(*sums)
    for level, most in ((0.05, 1.25), (0.001, 2.0)):
        assert np.mean(p < level) <= most * level, (draw, level, np.mean(p < level))
