"""The fast in-memory paths against the straightforward per-slice computation and scikit-learn.

ROC AUC comes from one sort per score column (cumulative counts over the slice's
positions, the rest by expansion); sums over overlapping slices from their
membership atoms; centered sums from power sums where that is exact enough. The
references here gather and sort each slice's rows, as the library did before.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

import mlprobe as mp
from mlprobe.core.counting._atoms import SliceAtoms
from mlprobe.core.counting._group_stats import GroupStats
from mlprobe.core.counting._row_terms import RowTerm
from mlprobe.core.counting.grouping import MaskSet, Partition
from mlprobe.core.intake.model_arrays import ModelArrays
from mlprobe.core.statistics._sorted_scores import SortedScores
from mlprobe.core.statistics._subset_ranks import subset_and_rest
from mlprobe.core.statistics.ranks import AucCounts, grouped_rank_counts

FIELDS = [f.name for f in dataclasses.fields(AucCounts)]


def reference_rank_counts(mask: np.ndarray, scores: np.ndarray, positive: np.ndarray) -> AucCounts:
    """The slice's rows gathered and sorted on their own (the former path)."""
    rows = np.flatnonzero(mask)
    rows = rows[np.argsort(scores[rows], kind="stable")]
    return grouped_rank_counts(rows, np.zeros(len(rows), dtype=np.intp), 1, scores, positive)


def assert_counts(got: AucCounts, want: list[AucCounts]) -> None:
    for name in FIELDS:
        expected = np.concatenate([getattr(w, name) for w in want])
        np.testing.assert_allclose(getattr(got, name), expected, rtol=1e-12, atol=1e-9)


score_columns = st.sampled_from(["continuous", "two decimals", "three values", "constant"])


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 80),
    kind=score_columns,
    n_slices=st.integers(0, 5),
)
def test_rank_counts_of_slices_and_rests_match_sorting_each(
    seed: int, n: int, kind: str, n_slices: int
) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.random(n)
    scores = {
        "continuous": scores,
        "two decimals": np.round(scores, 2),
        "three values": np.round(scores * 2) / 2,
        "constant": np.full(n, 0.3),
    }[kind]
    positive = rng.random(n) < rng.random()
    masks = [rng.random(n) < rng.random() for _ in range(n_slices)]
    masks += [
        np.zeros(n, dtype=bool),
        np.ones(n, dtype=bool),
        positive.copy(),
    ]  # empty, all, one class
    totals = SortedScores.of(scores, positive).totals()
    mine, rest = MaskSet(masks).split_ranks(totals)
    assert_counts(mine, [reference_rank_counts(m, scores, positive) for m in masks])
    assert_counts(rest, [reference_rank_counts(~m, scores, positive) for m in masks])
    codes = rng.integers(0, 4, n)
    mine, rest = Partition(codes, 4).split_ranks(totals)
    assert_counts(mine, [reference_rank_counts(codes == g, scores, positive) for g in range(4)])
    assert_counts(rest, [reference_rank_counts(codes != g, scores, positive) for g in range(4)])
    assert_counts(totals.all_rows(), [reference_rank_counts(np.ones(n, bool), scores, positive)])


def test_subset_without_rows() -> None:
    totals = SortedScores.of(np.array([0.2, 0.1, 0.2]), np.array([True, False, False])).totals()
    mine, rest = subset_and_rest(totals, np.zeros(0, dtype=np.intp))
    assert (
        mine.twice_u.tolist() == [0.0]
        and rest.twice_u.tolist() == totals.all_rows().twice_u.tolist()
    )


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), n_slices=st.integers(0, 45))
def test_atom_sums_match_masked_sums(seed: int, n: int, n_slices: int) -> None:
    rng = np.random.default_rng(seed)
    masks = [rng.random(n) < rng.random() for _ in range(n_slices)]
    values = rng.normal(size=n) * 10
    got = SliceAtoms(masks).sum(values)
    want = [values[m].sum() for m in masks]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(values).sum())


def regression_arrays(rng: np.random.Generator, n: int, offset: float) -> ModelArrays:
    target = offset + rng.normal(size=n) * rng.uniform(0.1, 10)
    return ModelArrays("m", "regression", [], target, target + rng.normal(size=n))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 60),
    offset=st.sampled_from([0.0, 5.0, 1e6]),
    constant=st.booleans(),
)
def test_centered_sums_match_a_second_pass(
    seed: int, n: int, offset: float, constant: bool
) -> None:
    """Slices far from the overall mean, constant targets and empty slices included."""
    rng = np.random.default_rng(seed)
    arrays = regression_arrays(rng, n, offset)
    if constant:
        arrays.y_true[:] = offset
    masks = [rng.random(n) < 0.5, arrays.y_true > np.median(arrays.y_true), np.zeros(n, bool)]
    stats = GroupStats(MaskSet(masks), arrays)
    target, error = arrays.centered_target, arrays.error
    for groups, group_masks in ((stats, masks), (stats.rest(), [~m for m in masks])):
        n_rows = np.array([m.sum() for m in group_masks], dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            centers = np.nan_to_num(groups.sum(RowTerm("target"), lambda: target) / n_rows)
        for term, function in (
            (RowTerm("target", 2, centered=True), lambda d, rows: d**2),
            (RowTerm("target", 4, centered=True), lambda d, rows: d**4),
            (
                RowTerm("target", 2, centered=True, times="squared_error"),
                lambda d, rows: error[rows] ** 2 * d**2,
            ),
        ):
            got = groups.sum_about(term, lambda: target, centers, function)
            want = [
                function(target[m] - c, m).sum() for m, c in zip(group_masks, centers, strict=True)
            ]
            scale = max(float(np.max(np.abs(target), initial=0.0)), 1.0) ** term.power
            np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-13 * scale * max(n, 1))


def _breakdown_table(seed: int, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=n), "g": rng.integers(0, 3, n)})
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-frame["a"]))).astype(int)
    frame["p"] = (rng.random(n) < 0.5).astype(int)
    scores = np.round(1 / (1 + np.exp(-(frame["y"] + rng.normal(size=n)))), 2)  # ties
    frame["t"] = 3 * frame["a"] + rng.normal(size=n)
    frame["u"] = frame["t"] + rng.normal(size=n)
    return frame, scores.to_numpy()


SLICES = ["a > 0", "a > -1 and g == 1", "g != 2 or a > 1", "a > 100", "y == 1"]


@pytest.mark.parametrize("seed", [0, 1])
def test_breakdown_matches_scikit_learn(seed: int) -> None:
    frame, scores = _breakdown_table(seed, 3000)
    probe = mp.Probe(frame, target="y", predictions="p", scores=scores)
    table = probe.breakdown(slices=SLICES[:3], metrics=["roc_auc", "log_loss", "brier"])
    regression = mp.Probe(frame, target="t", predictions="u", task="regression")
    reg = regression.breakdown(
        by="g", slices=SLICES[:3], metrics=["mae", "mse", "mean_error", "r2"]
    )
    names = list(table["slice"][1:])
    for i, text in enumerate(names, start=1):
        mask = frame.eval(text.replace(" and ", " & ").replace(" or ", " | ")).to_numpy()
        y, s = frame["y"].to_numpy()[mask], scores[mask]
        assert table["roc_auc"].iloc[i] == pytest.approx(skm.roc_auc_score(y, s), rel=1e-12)
        assert table["log_loss"].iloc[i] == pytest.approx(
            skm.log_loss(y, np.column_stack([1 - s, s]), labels=[0, 1]), rel=1e-9
        )
        assert table["brier"].iloc[i] == pytest.approx(skm.brier_score_loss(y, s), rel=1e-12)
    for _, row in reg.iloc[1:].iterrows():
        text = row["slice"]
        expr = text.replace(" and ", " & ").replace(" or ", " | ")
        mask = frame.eval(expr).to_numpy()
        t, u = frame["t"].to_numpy()[mask], frame["u"].to_numpy()[mask]
        assert row["mae"] == pytest.approx(skm.mean_absolute_error(t, u), rel=1e-12)
        assert row["mse"] == pytest.approx(skm.mean_squared_error(t, u), rel=1e-12)
        assert row["mean_error"] == pytest.approx(np.mean(u - t), rel=1e-9, abs=1e-12)
        assert row["r2"] == pytest.approx(skm.r2_score(t, u), rel=1e-12)
