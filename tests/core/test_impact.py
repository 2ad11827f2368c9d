"""Impact: what fixing a slice buys overall, checked against scikit-learn and by simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, precision_score

import mlprobe as mp
from mlprobe.core.metrics._impact import _counterfactual


def _probe(seed: int = 0, n: int = 4_000) -> tuple[mp.Probe, pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"g": rng.choice(["a", "b", "c", "d"], n, p=[0.1, 0.2, 0.3, 0.4])})
    y = rng.integers(0, 2, n)
    wrong = rng.random(n) < frame["g"].map({"a": 0.4, "b": 0.25, "c": 0.1, "d": 0.12}).to_numpy()
    p = np.where(wrong, 1 - y, y)
    return mp.Probe(frame.assign(y=y), target="y", predictions=p), frame, y, p


def test_the_impact_of_an_additive_metric_is_share_times_the_gap_to_the_rest() -> None:
    probe, frame, y, p = _probe()
    table = probe.breakdown(by="g", metrics=["accuracy"])
    overall = accuracy_score(y, p)
    for row in table[~table["is_overall"]].itertuples():
        mask = (frame["g"] == row.slice.split("'")[1]).to_numpy()
        rest = accuracy_score(y[~mask], p[~mask])
        assert row.impact == pytest.approx(mask.mean() * (rest - accuracy_score(y[mask], p[mask])))
        assert row.impact == pytest.approx(rest - overall)  # the slice as good as the rest
        assert row.impact_ci_low <= row.impact <= row.impact_ci_high
        errors = (y[mask] != p[mask]).sum()
        assert row.excess_errors == pytest.approx(
            errors - mask.sum() * (y[~mask] != p[~mask]).mean()
        )


def test_ratio_metrics_are_recomputed_with_the_slice_at_the_rest_s_rates() -> None:
    probe, frame, y, p = _probe(1)
    for metric, score in [("precision[1]", precision_score), ("f1[1]", f1_score)]:
        table = probe.breakdown(by="g", metrics=[metric])
        for row in table[~table["is_overall"]].itertuples():
            mask = (frame["g"] == row.slice.split("'")[1]).to_numpy()
            rest = np.zeros((2, 2))
            np.add.at(rest, (y[~mask], p[~mask]), 1)
            counts = np.bincount(y[mask], minlength=2)
            table_cf = rest + counts[:, None] * rest / rest.sum(axis=1, keepdims=True)
            tp, fp, fn = table_cf[1, 1], table_cf[0, 1], table_cf[1, 0]
            expected = (
                tp / (tp + fp) if metric.startswith("precision") else 2 * tp / (2 * tp + fp + fn)
            )
            assert row.impact == pytest.approx(expected - score(y, p))
            assert row.impact_ci_low <= row.impact <= row.impact_ci_high


def test_recall_s_impact_is_the_rest_s_recall_minus_all_rows() -> None:
    probe, frame, y, p = _probe(2)
    table = probe.breakdown(by="g", metrics=["recall[1]"])
    for row in table[~table["is_overall"]].itertuples():
        mask = (frame["g"] == row.slice.split("'")[1]).to_numpy()
        rest_recall = ((p == 1) & (y == 1) & ~mask).sum() / ((y == 1) & ~mask).sum()
        assert row.impact == pytest.approx(
            rest_recall - ((p == 1) & (y == 1)).sum() / (y == 1).sum()
        )


def test_regression_impacts_mae_rmse_and_r2() -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    frame = pd.DataFrame({"g": rng.choice(["a", "b"], n, p=[0.2, 0.8])})
    y = rng.normal(10, 3, n)
    pred = y + rng.normal(0, np.where(frame["g"] == "a", 3.0, 1.0))
    probe = mp.Probe(frame.assign(y=y), target="y", predictions=pred, task="regression")
    mask = (frame["g"] == "a").to_numpy()
    row = probe.breakdown(by="g", metrics=["mae", "rmse", "r2"]).iloc[1]
    rest = mean_absolute_error(y[~mask], pred[~mask])
    assert row["impact"] == pytest.approx(
        mask.mean() * (rest - mean_absolute_error(y[mask], pred[mask]))
    )
    rmse = probe.breakdown(by="g", metrics=["rmse"]).iloc[1]
    mse_rest = np.mean((y[~mask] - pred[~mask]) ** 2)
    assert rmse["impact"] == pytest.approx(np.sqrt(mse_rest) - np.sqrt(np.mean((y - pred) ** 2)))
    r2 = probe.breakdown(by="g", metrics=["r2"]).iloc[1]
    sse_cf = ((y[~mask] - pred[~mask]) ** 2).sum() + mask.sum() * mse_rest
    sst = ((y - y.mean()) ** 2).sum()
    expected = (1 - sse_cf / sst) - (1 - ((y - pred) ** 2).sum() / sst)
    assert r2["impact"] == pytest.approx(expected)
    for table in (rmse, r2):
        assert table["impact_ci_low"] <= table["impact"] <= table["impact_ci_high"]


def test_a_comparison_s_impacts_of_a_partition_add_up_to_the_overall_delta() -> None:
    _, frame, y, p = _probe(4)
    rng = np.random.default_rng(5)
    other = np.where(rng.random(len(y)) < 0.15, 1 - y, y)
    both = mp.Probe(frame.assign(y=y), target="y", predictions={"v1": p, "v2": other})
    for metric in ("accuracy", "error_rate"):
        table = both.compare("v1", "v2", by="g", metric=metric)
        assert table["impact"][1:].sum() == pytest.approx(table["delta"][0])
        assert np.isnan(table["impact"][0])


def test_priorities_rank_the_planted_slice_of_the_largest_impact_first() -> None:
    rng = np.random.default_rng(6)
    n = 20_000
    frame = pd.DataFrame(
        {"g": rng.choice(["small", "large", "x", "y"], n, p=[0.03, 0.3, 0.3, 0.37])}
    )
    # the small group fails badly, the large one moderately: the large one costs more overall
    rate = frame["g"].map({"small": 0.5, "large": 0.2, "x": 0.1, "y": 0.1}).to_numpy()
    y = np.zeros(n, dtype=int)
    wrong = rng.random(n) < rate
    probe = mp.Probe(frame.assign(y=y), target="y", predictions=wrong.astype(int))
    ranked = probe.priorities(by="g", metric="accuracy")
    assert ranked["slice"].tolist()[:2] == ["g == 'large'", "g == 'small'"]
    assert (np.diff(ranked["benefit"]) <= 0).all()
    found = probe.find_slices(features=["g"], top_k=2, progress=False)
    assert [str(s) for s in found["slice"]] == ["g == 'large'", "g == 'small'"]
    by_gap = probe.find_slices(features=["g"], top_k=2, rank_by="gap", progress=False)
    assert str(by_gap["slice"][0]) == "g == 'small'"


def test_the_counterfactual_keeps_a_class_the_rest_lacks() -> None:
    rest = np.array([[[10.0, 0.0], [0.0, 0.0]]])
    mine = np.array([[[1.0, 1.0], [2.0, 3.0]]])
    assert _counterfactual(rest, mine).tolist() == [[[12.0, 0.0], [2.0, 3.0]]]


def test_impact_intervals_cover_the_true_impact() -> None:
    """Seeded simulation: a 100-row slice in 1,100 rows; accuracy (MOVER) and F1 (draws)."""
    rng = np.random.default_rng(7)
    share, n = 100 / 1100, 1100
    g = np.r_[np.ones(100, dtype=bool), np.zeros(1000, dtype=bool)]
    p_wrong = np.where(g, 0.3, 0.15)
    positive_rate = 0.4
    # true impacts from the population rates
    true_accuracy = share * ((1 - 0.15) - (1 - 0.3))
    rest_cf = np.array([[0.6 * 0.85, 0.6 * 0.15], [0.4 * 0.15, 0.4 * 0.85]])
    now = share * np.array([[0.6 * 0.7, 0.6 * 0.3], [0.4 * 0.3, 0.4 * 0.7]]) + (1 - share) * rest_cf

    def f1(t: np.ndarray) -> float:
        return 2 * t[1, 1] / (2 * t[1, 1] + t[0, 1] + t[1, 0])

    true_f1 = f1(rest_cf) - f1(now)
    hits = {"accuracy": 0, "f1[1]": 0}
    runs = 200
    for _ in range(runs):
        y = (rng.random(n) < positive_rate).astype(int)
        p = np.where(rng.random(n) < p_wrong, 1 - y, y)
        probe = mp.Probe(
            pd.DataFrame({"g": np.where(g, "s", "r"), "y": y}), target="y", predictions=p
        )
        for metric, truth in (("accuracy", true_accuracy), ("f1[1]", true_f1)):
            row = probe.breakdown(slices=["g == 's'"], metrics=[metric]).iloc[1]
            hits[metric] += row["impact_ci_low"] <= truth <= row["impact_ci_high"]
    for metric, hit in hits.items():
        assert 0.9 <= hit / runs <= 0.995, (metric, hit / runs)


def test_priorities_turn_impact_the_metric_s_better_way() -> None:
    rng = np.random.default_rng(8)
    n = 3_000
    frame = pd.DataFrame({"g": rng.choice(["a", "b", "c"], n)})
    y = rng.normal(0, 1, n)
    bias = frame["g"].map({"a": 0.8, "b": 0.0, "c": -0.1}).to_numpy()
    probe = mp.Probe(frame.assign(y=y), target="y", predictions=y + bias + rng.normal(0, 0.3, n))
    # a loss: benefit is minus the impact, the largest fall of MAE first
    mae = probe.priorities(by="g", metric="mae")
    assert mae["slice"].iloc[0] == "g == 'a'"
    np.testing.assert_allclose(mae["benefit"], -mae["impact"])
    assert (mae["benefit_ci_low"] <= mae["benefit"]).all()
    assert (mae["benefit"] <= mae["benefit_ci_high"]).all()
    # a bias (best at 0): benefit is how much closer to 0 the overall value gets
    bias_table = probe.priorities(by="g", metric="mean_error")
    overall = float(probe.metric("mean_error")["value"])
    for row in bias_table.itertuples():
        expected = abs(overall) - abs(overall + row.impact)
        assert row.benefit == pytest.approx(expected)
        assert row.benefit_ci_low <= row.benefit <= row.benefit_ci_high
    assert bias_table["slice"].iloc[0] == "g == 'a'"


def test_compare_impact_intervals_of_ratio_metrics_cover_the_true_contribution() -> None:
    """Seeded simulation: 100 of 1,100 rows where model b is right 60% of the time, 85% on
    the rest; model a right 80% everywhere; 40% positives. The slice's true part of b's
    recall (or F1) is b's population value minus its value were b to do there as a does."""
    rng = np.random.default_rng(9)
    share, n = 100 / 1100, 1100
    g = np.r_[np.ones(100, dtype=bool), np.zeros(1000, dtype=bool)]

    def table(right_slice: float, right_rest: float) -> np.ndarray:
        """Population (true x predicted) shares of a model right so often in slice and rest."""
        right = share * right_slice + (1 - share) * right_rest
        return np.array([[0.6 * right, 0.6 * (1 - right)], [0.4 * (1 - right), 0.4 * right]])

    def f1(t: np.ndarray) -> float:
        return 2 * t[1, 1] / (2 * t[1, 1] + t[0, 1] + t[1, 0])

    def recall(t: np.ndarray) -> float:
        return t[1, 1] / t[1].sum()

    now, as_a = table(0.6, 0.85), table(0.8, 0.85)
    truths = {"recall[1]": recall(now) - recall(as_a), "f1[1]": f1(now) - f1(as_a)}
    hits = dict.fromkeys(truths, 0)
    runs = 200
    for _ in range(runs):
        y = (rng.random(n) < 0.4).astype(int)
        a = np.where(rng.random(n) < 0.8, y, 1 - y)
        b = np.where(rng.random(n) < np.where(g, 0.6, 0.85), y, 1 - y)
        frame = pd.DataFrame({"g": np.where(g, "s", "r"), "y": y})
        probe = mp.Probe(frame, target="y", predictions={"a": a, "b": b})
        for metric, truth in truths.items():
            row = probe.compare("a", "b", slices=["g == 's'"], metric=metric).iloc[1]
            assert row["impact_ci_low"] <= row["impact"] <= row["impact_ci_high"]
            hits[metric] += row["impact_ci_low"] <= truth <= row["impact_ci_high"]
    for metric, hit in hits.items():
        assert 0.9 <= hit / runs <= 0.995, (metric, hit / runs)
