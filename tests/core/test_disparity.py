"""``probe.disparity``: the largest gap between groups, against fairlearn, with exclusions."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import mlprobe as mp
from mlprobe.core.analyses.disparity import DISPARITY_COLUMNS, homogeneity_p_value
from mlprobe.core.metrics import MetricValues
from mlprobe.datasets import load_adult
from mlprobe.errors import ValidationError


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    """Adult's test rows with a simple, deterministic classifier's predictions (1: >50K)."""
    frame = load_adult().tail(16_281).reset_index(drop=True)
    rule = (frame["education_num"] >= 13) | (frame["capital_gain"] > 5000)
    married = frame["marital_status"].astype(str) == "Married-civ-spouse"
    return frame.assign(
        y=(frame["income"].astype(str) == ">50K").astype(int),
        p=(rule & married).astype(int),
    )


@pytest.mark.parametrize("by", ["sex", "race"])
def test_named_summaries_equal_fairlearn(adult: pd.DataFrame, by: str) -> None:
    probe = mp.Probe(adult, target="y", predictions="p")
    groups = adult[by].astype(str)
    dp = probe.disparity(by, "demographic_parity", min_support=0).iloc[0]
    eo = probe.disparity(by, "equalized_odds", min_support=0).iloc[0]
    assert dp["difference"] == pytest.approx(
        demographic_parity_difference(adult.y, adult.p, sensitive_features=groups), abs=1e-12
    )
    assert dp["ratio"] == pytest.approx(
        demographic_parity_ratio(adult.y, adult.p, sensitive_features=groups), abs=1e-12
    )
    assert eo["difference"] == pytest.approx(
        equalized_odds_difference(adult.y, adult.p, sensitive_features=groups), abs=1e-12
    )
    assert eo["ratio"] == pytest.approx(
        equalized_odds_ratio(adult.y, adult.p, sensitive_features=groups), abs=1e-12
    )
    assert eo["component"] in ("tpr", "fpr") and dp["component"] == "selection_rate"
    assert dp["groups"] == groups.nunique() and dp["excluded"] == []


@pytest.mark.parametrize(
    ("metric", "oracle"),
    [
        ("fpr", false_positive_rate),
        ("fnr", false_negative_rate),
        ("selection_rate", selection_rate),
    ],
)
def test_one_metric_equals_fairlearn_s_metric_frame(
    adult: pd.DataFrame, metric: str, oracle
) -> None:  # type: ignore[no-untyped-def]
    probe = mp.Probe(adult, target="y", predictions="p")
    frame = MetricFrame(
        metrics=oracle, y_true=adult.y, y_pred=adult.p, sensitive_features=adult["race"].astype(str)
    )
    row = probe.disparity("race", metric, min_support=0).iloc[0]
    assert row["difference"] == pytest.approx(frame.difference(), abs=1e-12)
    assert row["ratio"] == pytest.approx(frame.ratio(), abs=1e-12)
    assert row["min_value"] == pytest.approx(frame.group_min(), abs=1e-12)
    assert row["max_value"] == pytest.approx(frame.group_max(), abs=1e-12)
    assert row["min_group"] == f"race == '{frame.by_group.idxmin()}'"
    assert row["max_group"] == f"race == '{frame.by_group.idxmax()}'"
    per_group = row_groups = pd.DataFrame(
        probe.disparity("race", metric, min_support=0).attrs["groups"]
    )
    np.testing.assert_allclose(
        row_groups.set_index("group")[metric].sort_index().to_numpy(),
        frame.by_group.sort_index().to_numpy(),
    )
    assert set(per_group.columns) >= {"group", "n", metric, f"{metric}_ci_low", "excluded"}


def test_small_groups_are_listed_but_not_compared(adult: pd.DataFrame) -> None:
    probe = mp.Probe(adult, target="y", predictions="p")
    counts = adult["race"].astype(str).value_counts()
    small = sorted(counts[counts < 200].index)
    assert small, "Adult has races under 200 test rows"
    row = probe.disparity("race", "fpr", min_support=200).iloc[0]
    assert row["groups"] == len(counts) - len(small)
    assert row["excluded"] == [f"race == '{g}' (fewer than 200 rows)" for g in small]
    kept = adult[~adult["race"].astype(str).isin(small)]
    oracle = MetricFrame(
        metrics=false_positive_rate,
        y_true=kept.y,
        y_pred=kept.p,
        sensitive_features=kept["race"].astype(str),
    )
    assert row["difference"] == pytest.approx(oracle.difference(), abs=1e-12)
    groups = pd.DataFrame(probe.disparity("race", "fpr", min_support=200).attrs["groups"])
    assert (groups["excluded"] != "").sum() == len(small)


def test_a_group_where_the_metric_is_undefined_is_excluded_with_the_reason() -> None:
    frame = pd.DataFrame(
        {"g": ["a"] * 40 + ["b"] * 40 + ["c"] * 40, "y": [0, 1] * 40 + [1] * 40, "p": [0, 1] * 60}
    )
    row = mp.Probe(frame, target="y", predictions="p").disparity("g", "fpr").iloc[0]
    assert row["groups"] == 2 and row["excluded"] == ["g == 'c' (fpr undefined)"]


def test_fewer_than_two_groups_give_an_undefined_row() -> None:
    frame = pd.DataFrame({"g": ["a"] * 50 + ["b"] * 5, "y": [0, 1] * 27 + [0], "p": [0] * 55})
    row = mp.Probe(frame, target="y", predictions="p").disparity("g", "selection_rate").iloc[0]
    assert row["groups"] == 1 and np.isnan(row["difference"]) and np.isnan(row["p_value"])
    assert row["min_group"] is None and row["excluded"] == ["g == 'b' (fewer than 30 rows)"]


def test_one_row_per_model_and_the_columns_of_the_contract(adult: pd.DataFrame) -> None:
    probe = mp.Probe(adult, target="y", predictions={"rule": "p", "perfect": "y"})
    table = probe.disparity("sex", "fnr")
    both = pd.concat([table, probe.disparity("race", "fnr")], ignore_index=True)
    assert len(both) == 4  # tables of several calls stack
    assert list(table.columns) == DISPARITY_COLUMNS
    assert list(table["model"]) == ["rule", "perfect"]
    perfect = table.set_index("model").loc["perfect"]
    assert perfect["difference"] == 0 and perfect["p_value"] == 1.0
    assert perfect["difference_ci_low"] == 0 and perfect["difference_ci_high"] > 0


def test_several_metrics_give_one_table_of_the_single_calls(adult: pd.DataFrame) -> None:
    probe = mp.Probe(adult, target="y", predictions={"rule": "p", "perfect": "y"})
    names = ["fpr", "fnr", "demographic_parity", "equalized_odds"]
    audit = probe.disparity("race", names, min_support=200)
    singles = [probe.disparity("race", name, min_support=200) for name in names]
    expected = pd.concat([pd.DataFrame(s) for s in singles], ignore_index=True)
    pd.testing.assert_frame_equal(pd.DataFrame(audit), expected)
    assert list(audit["metric"]) == [n for n in names for _ in ("rule", "perfect")]
    assert audit.attrs["metric"] == names
    assert audit.attrs["metrics"] == ["fpr", "fnr", "selection_rate", "tpr"]
    groups = pd.DataFrame(audit.attrs["groups"])
    assert groups["metric"].unique().tolist() == names
    assert len(groups) == sum(len(s.attrs["groups"]) for s in singles)
    # a table of several metrics shows which metric each row is about
    assert "equalized_odds" in repr(audit) and "demographic_parity" in audit._repr_html_()


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ([], "received []"),
        (["fpr", "fpr"], "'fpr' listed more than once"),
        (3, "received 3"),
        (["fpr", None], "received ['fpr', None]"),
        (["fpr", "nope"], "nope"),
    ],
)
def test_a_bad_metric_list_is_refused_naming_it(
    adult: pd.DataFrame, metric: object, message: str
) -> None:
    probe = mp.Probe(adult, target="y", predictions="p")
    with pytest.raises(ValidationError, match=r"^metric") as error:
        probe.disparity("sex", metric)  # type: ignore[arg-type]
    assert message in str(error.value)


def test_other_metrics_and_tasks(adult: pd.DataFrame) -> None:
    probe = mp.Probe(adult, target="y", predictions="p")
    row = probe.disparity("sex", "balanced_accuracy").iloc[0]
    assert row["difference_ci_low"] <= row["difference"] <= row["difference_ci_high"]
    assert 0 <= row["p_value"] <= 1
    regression = mp.Probe(
        adult.assign(hours=adult["hours_per_week"] * 1.0),
        target="hours",
        predictions=np.full(len(adult), 40.0),
        task="regression",
    )
    bias = regression.disparity("sex", "mean_error").iloc[0]
    assert np.isnan(bias["ratio"]) and bias["p_value"] < 1e-6  # men work longer hours
    with pytest.raises(ValidationError, match=r"'equalized_odds' is defined for binary"):
        regression.disparity("sex", "equalized_odds")
    with pytest.raises(ValidationError, match="by: name the column"):
        probe.disparity(None, "fpr")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="unknown metric 'fprr'"):
        probe.disparity("sex", "fprr")


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 40), min_size=2, max_size=5),
    seed=st.integers(0, 2**16),
    confidence=st.sampled_from([0.8, 0.95, 0.99]),
)
def test_intervals_hold_the_estimate_and_stay_in_range(
    sizes: list[int], seed: int, confidence: float
) -> None:
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(len(sizes)), sizes)
    y = rng.integers(0, 2, len(groups))
    y[:2] = [0, 1]  # both classes present: the positive class is 1
    frame = pd.DataFrame({"g": groups, "y": y, "p": rng.integers(0, 2, len(groups))})
    probe = mp.Probe(frame, target="y", predictions="p")
    for metric in ("fpr", "selection_rate", "equalized_odds"):
        row = probe.disparity("g", metric, min_support=0, confidence=confidence).iloc[0]
        if row["groups"] < 2:
            continue
        assert 0 <= row["difference_ci_low"] <= row["difference"] <= row["difference_ci_high"] <= 1
        if np.isfinite(row["ratio"]):
            assert 0 <= row["ratio_ci_low"] <= row["ratio"] <= row["ratio_ci_high"] <= 1
        assert 0 <= row["p_value"] <= 1


def _values(successes: list[int], trials: list[int]) -> MetricValues:
    s, t = np.array(successes, float), np.array(trials, float)
    return MetricValues(s / t, s / t, s / t, np.ones_like(s), successes=s, trials=t)


def test_homogeneity_test_is_pearson_s_chi_square_on_large_counts() -> None:
    successes, trials = [120, 90, 160], [400, 350, 450]
    table = np.array([successes, np.subtract(trials, successes)]).T
    expected = stats.chi2_contingency(table, correction=False).pvalue
    assert homogeneity_p_value(_values(successes, trials), np.arange(3)) == pytest.approx(expected)


def test_homogeneity_test_is_exact_on_small_counts() -> None:
    """On tiny tables, the Monte Carlo p-value matches full enumeration of the tables with
    the same margins (the chi-square statistic as the ordering)."""
    successes, trials = [0, 3, 1], [4, 5, 3]
    total = sum(successes)

    def chi_square(s: np.ndarray) -> float:
        t = np.array(trials, float)
        share = total / t.sum()
        e1, e0 = t * share, t * (1 - share)
        return float((((s - e1) ** 2) / e1 + ((t - s - e0) ** 2) / e0).sum())

    observed = chi_square(np.array(successes, float))
    exact = 0.0
    for s in itertools.product(*(range(t + 1) for t in trials)):
        if sum(s) != total:
            continue
        weight = np.prod([stats.binom.pmf(k, t, 0.5) for k, t in zip(s, trials, strict=True)])
        if chi_square(np.array(s, float)) >= observed - 1e-9:
            exact += weight
    exact /= stats.binom.pmf(total, sum(trials), 0.5)
    p = homogeneity_p_value(_values(successes, trials), np.arange(3))
    assert p == pytest.approx(exact, abs=0.01)
    assert p == homogeneity_p_value(_values(successes, trials), np.arange(3))  # seeded
