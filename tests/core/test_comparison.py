"""Two models on the same rows: deltas, paired tests, verdicts, and the flips table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mlprobe as mp
from mlprobe.core.analyses.comparison import VERDICTS


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    n = 900
    group = np.array(["a", "b", "c"])[np.arange(n) % 3]
    y = rng.choice(["no", "yes"], n)
    flip_v1 = rng.random(n) < 0.25
    # v2 fixes most of group a's errors, breaks group c, and leaves b alone
    flip_v2 = np.where(
        group == "a", rng.random(n) < 0.05, np.where(group == "c", rng.random(n) < 0.45, flip_v1)
    )
    other = {"no": "yes", "yes": "no"}
    return pd.DataFrame(
        {
            "g": group,
            "y": y,
            "v1": np.where(flip_v1, [other[v] for v in y], y),
            "v2": np.where(flip_v2, [other[v] for v in y], y),
            "tiny": np.arange(n) < 10,
            "t": rng.normal(size=n),
        }
    )


@pytest.fixture(scope="module")
def probe(frame: pd.DataFrame) -> mp.Probe:
    return mp.Probe(frame, target="y", predictions={"v1": "v1", "v2": "v2"})


def test_compare_columns_and_delta_is_b_minus_a(probe: mp.Probe) -> None:
    table = probe.compare("v1", "v2", by="g")
    assert list(table.columns) == [
        "slice",
        "n",
        "metric",
        "value_a",
        "value_b",
        "delta",
        "delta_ci_low",
        "delta_ci_high",
        "impact",
        "impact_ci_low",
        "impact_ci_high",
        "p_value",
        "q_value",
        "verdict",
        "is_overall",
    ]
    assert list(table["slice"]) == ["overall", "g == 'a'", "g == 'b'", "g == 'c'"]
    assert list(table["is_overall"]) == [True, False, False, False]
    assert (table["metric"] == "accuracy").all()
    breakdown = probe.breakdown(by="g", metrics=["accuracy"])
    for column, model in (("value_a", "v1"), ("value_b", "v2")):
        expected = breakdown[breakdown["model"] == model]["accuracy"].to_numpy()
        np.testing.assert_allclose(table[column].to_numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(table["delta"], table["value_b"] - table["value_a"], rtol=1e-12)
    assert (table["delta_ci_low"] <= table["delta_ci_high"]).all()
    assert table.attrs["models"] == ("v1", "v2")


def test_accuracy_p_value_is_mcnemars_exact_test_on_the_flips(
    probe: mp.Probe, frame: pd.DataFrame
) -> None:
    table = probe.compare("v1", "v2", by="g").set_index("slice")
    right_1 = (frame["v1"] == frame["y"]).to_numpy()
    right_2 = (frame["v2"] == frame["y"]).to_numpy()
    for name, mask in [
        ("overall", np.ones(len(frame), bool)),
        *[(f"g == '{g}'", (frame["g"] == g).to_numpy()) for g in "abc"],
    ]:
        b = int((right_1 & ~right_2)[mask].sum())
        c = int((~right_1 & right_2)[mask].sum())
        expected = stats.binomtest(min(b, c), b + c, 0.5).pvalue if b + c else 1.0
        np.testing.assert_allclose(table.loc[name, "p_value"], expected, rtol=1e-9)


def test_verdicts_follow_q_values_direction_and_support(probe: mp.Probe) -> None:
    table = probe.compare("v1", "v2", by="g").set_index("slice")
    assert set(table["verdict"]) <= set(VERDICTS)
    assert table.loc["g == 'a'", "verdict"] == "improved"
    assert table.loc["g == 'c'", "verdict"] == "regressed"
    assert table.loc["g == 'b'", "verdict"] == "no detectable change"  # v2 == v1 there
    assert table.loc["g == 'b'", "p_value"] == 1.0
    # q-values: the overall row and the slices are adjusted together, as one family
    expected = stats.false_discovery_control(table["p_value"].to_numpy(dtype=float), method="bh")
    np.testing.assert_allclose(table["q_value"].to_numpy(dtype=float), expected, rtol=1e-12)
    # the same change seen as an error rate (lower is better) keeps the same verdicts
    errors = probe.compare("v1", "v2", by="g", metric="error_rate").set_index("slice")
    np.testing.assert_allclose(errors["delta"], -table["delta"], atol=1e-12)
    assert list(errors["verdict"]) == list(table["verdict"])


def test_too_few_rows_wins_over_any_difference(probe: mp.Probe) -> None:
    table = probe.compare("v1", "v2", slices=["tiny == true"], min_support=11).set_index("slice")
    assert table.loc["tiny == true", "n"] == 10
    assert table.loc["tiny == true", "verdict"] == "too few rows"
    table = probe.compare("v1", "v2", slices=["tiny == true"], min_support=10).set_index("slice")
    assert table.loc["tiny == true", "verdict"] != "too few rows"


def test_table_metrics_compare_on_the_joint_table(probe: mp.Probe) -> None:
    table = probe.compare("v1", "v2", by="g", metric="macro_f1")
    breakdown = probe.breakdown(by="g", metrics=["macro_f1"])
    np.testing.assert_allclose(
        table["delta"].to_numpy(),
        breakdown[breakdown["model"] == "v2"]["macro_f1"].to_numpy()
        - breakdown[breakdown["model"] == "v1"]["macro_f1"].to_numpy(),
        rtol=1e-12,
    )
    same = table.set_index("slice").loc["g == 'b'"]  # identical rows: no difference seen,
    assert same["delta"] == 0.0 and same["p_value"] == 1.0  # yet an interval around it
    assert same["delta_ci_low"] < 0.0 < same["delta_ci_high"]


def test_regression_compare_uses_the_paired_row_differences(frame: pd.DataFrame) -> None:
    rng = np.random.default_rng(1)
    data = frame.assign(
        r1=frame["t"] + rng.normal(size=len(frame)),
        r2=frame["t"] + 0.8 * rng.normal(size=len(frame)),
    )
    probe = mp.Probe(data, target="t", predictions={"r1": "r1", "r2": "r2"})
    row = probe.compare("r1", "r2", metric="mae").iloc[0]
    difference = (data["r2"] - data["t"]).abs() - (data["r1"] - data["t"]).abs()
    se = difference.std(ddof=1) / np.sqrt(len(difference))
    np.testing.assert_allclose(row["delta"], difference.mean(), rtol=1e-9)
    # a paired t-test, corrected for the differences' skewness (Hall 1992), with degrees
    # of freedom from their kurtosis: 2n / (kurtosis - 1), at most n - 1 (both the
    # small-sample adjusted estimates, Joanes & Gill 1998)
    n = len(difference)
    skew_of_mean = stats.skew(difference, bias=False) / np.sqrt(n)
    kurtosis = stats.kurtosis(difference, fisher=False, bias=False)
    df = min(2 * n / max(kurtosis - 1, 2), n - 1)
    t = difference.mean() / se
    hall = ((1 + skew_of_mean * t / 3) ** 3 - 1) / skew_of_mean
    np.testing.assert_allclose(row["p_value"], 2 * stats.t.sf(abs(hall), df), rtol=1e-6)
    assert abs(row["p_value"] - 2 * stats.t.sf(abs(t), n - 1)) < 0.01  # a small correction
    z = stats.t.ppf(0.975, n - 1)
    np.testing.assert_allclose(  # the t interval, shifted a little for skewness
        [row["delta_ci_low"], row["delta_ci_high"]],
        [difference.mean() - z * se, difference.mean() + z * se],
        atol=0.05 * se,
    )
    assert row["verdict"] == "improved"  # a lower mae is better


def test_flips_count_each_row_once_and_match_a_crosstab(
    probe: mp.Probe, frame: pd.DataFrame
) -> None:
    for s in (None, "g == 'a'", "g == 'c' and y == 'yes'"):
        mask = np.ones(len(frame), bool) if s is None else mp.Slice.parse(s).mask(frame)
        flips = probe.flips("v1", "v2", slice=s)
        assert flips.index.name == "v1" and flips.columns.name == "v2"
        assert list(flips.index) == list(flips.columns) == ["correct", "wrong"]
        assert flips.to_numpy().sum() == mask.sum()
        part = frame[mask]
        expected = pd.crosstab(
            np.where(part["v1"] == part["y"], "correct", "wrong"),
            np.where(part["v2"] == part["y"], "correct", "wrong"),
        ).reindex(index=["correct", "wrong"], columns=["correct", "wrong"], fill_value=0)
        np.testing.assert_array_equal(flips.to_numpy(), expected.to_numpy())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: p.compare("v1", "v1"), "a and b are both 'v1'"),
        (lambda p: p.compare("v1", "v9"), "b: unknown model 'v9'"),
        (lambda p: p.compare("v1", "v2", slices=["@prediction == 'yes'"]), "name the model"),
        (lambda p: p.compare("v1", "v2", metric="mae"), "does not apply"),
    ],
)
def test_compare_argument_errors(probe: mp.Probe, call, message: str) -> None:
    with pytest.raises(mp.ValidationError, match=message):
        call(probe)


def test_named_prediction_slices_can_be_compared(probe: mp.Probe, frame: pd.DataFrame) -> None:
    table = probe.compare("v1", "v2", slices=["@prediction[v1] == 'yes'"])
    assert table.iloc[1]["n"] == (frame["v1"] == "yes").sum()


def test_flips_need_classification(frame: pd.DataFrame) -> None:
    probe = mp.Probe(frame, target="t", predictions={"a": "t", "b": "t"})
    with pytest.raises(mp.ValidationError, match="flips: needs a classification probe"):
        probe.flips("a", "b")


def test_a_bias_is_judged_by_its_distance_to_zero() -> None:
    # Regression: mean_error counted lower as better, so a bias going from +0.1 to -2
    # was "improved".
    rng = np.random.default_rng(0)
    y = rng.normal(size=500)
    noise = rng.normal(size=(3, 500)) * 0.1
    frame = pd.DataFrame(
        {"y": y, "small": y + 0.1 + noise[0], "large": y - 2 + noise[1], "zero": y + noise[2]}
    )
    probe = mp.Probe(frame, target="y", predictions={c: c for c in ("small", "large", "zero")})
    assert probe.compare("small", "large", metric="mean_error").iloc[0]["verdict"] == "regressed"
    assert probe.compare("large", "small", metric="mean_error").iloc[0]["verdict"] == "improved"
    assert probe.compare("small", "zero", metric="mean_error").iloc[0]["verdict"] == "improved"
