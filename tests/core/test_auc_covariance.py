"""The covariance of one-vs-rest AUCs (macro ROC AUC's interval) against a brute-force oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from mlprobe.core.statistics._sorted_scores import SortedScores
from mlprobe.core.statistics.ranks import AucCrossSums, correlation_matrix, placement_numerators


def _brute_force_influence(scores: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Per class and row, DeLong's influence ``(v - AUC) / P`` (positive) or ``/ N``, by pairs."""
    rows = []
    for c in range(k):
        positive = y == c
        pos, neg = scores[positive, c], scores[~positive, c]
        placement = np.empty(len(y))
        for i, s in enumerate(scores[:, c]):
            if positive[i]:
                placement[i] = ((neg < s).sum() + 0.5 * (neg == s).sum()) / len(neg)
            else:
                placement[i] = ((pos > s).sum() + 0.5 * (pos == s).sum()) / len(pos)
        auc = roc_auc_score(positive, scores[:, c])
        size = np.where(positive, positive.sum(), (~positive).sum())
        rows.append((placement - auc) / size)
    return np.array(rows)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cross_sums_give_the_influence_covariance_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k, n = 3 + seed % 2, 200
    y = rng.integers(0, k, n)
    scores = rng.dirichlet(np.ones(k), n)
    scores[np.arange(n), y] += 0.4
    scores = np.round(scores, 1)  # many ties
    numerators = np.array([placement_numerators(scores[:, c], y == c) for c in range(k)])
    covariance = AucCrossSums.from_numerators(numerators, y).covariance()
    influence = _brute_force_influence(scores, y, k)
    np.testing.assert_allclose(covariance, influence @ influence.T, rtol=1e-10, atol=1e-15)
    correlation = correlation_matrix(covariance)
    assert np.allclose(np.diagonal(correlation), 1) and (np.abs(correlation) <= 1).all()


def test_numerators_sum_to_twice_the_mann_whitney_statistic() -> None:
    scores = np.array([0.2, 0.2, 0.5, 0.9, 0.1, 0.5])
    positive = np.array([True, False, True, True, False, False])
    numerators = placement_numerators(scores, positive)
    auc = roc_auc_score(positive, scores)
    assert numerators[positive].sum() / 2 == pytest.approx(auc * 3 * 3)
    assert numerators[~positive].sum() / 2 == pytest.approx(auc * 3 * 3)


@given(
    st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 1.0]), min_size=1, max_size=40),
    st.data(),
)
@settings(max_examples=150, deadline=None)
def test_placements_from_the_kept_sort_equal_the_searched_ones(
    scores: list[float], data: st.DataObject
) -> None:
    """The probe takes each row's placement from the class's sort (cumulative counts over
    its runs of ties) instead of searching every row: the same numbers, ties, one kind only,
    a single row included; with distinct scores too."""
    values = np.array(scores)
    positive = np.array(
        data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values)))
    )
    for candidate in (values, values + np.arange(len(values)) * 1e-6):  # with ties, without
        kept = SortedScores.of(candidate, positive).totals().placement_numerators()
        np.testing.assert_array_equal(kept, placement_numerators(candidate, positive))
