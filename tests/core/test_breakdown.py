"""The breakdown table: layout, slice-vs-rest gaps and tests, q-values, support, determinism."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mlprobe as mp
from mlprobe import Slice, col


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    n = 600
    y = rng.choice(["cat", "dog", "eel"], n, p=[0.5, 0.3, 0.2])
    noisy = rng.random(n) < np.where(np.arange(n) % 3 == 0, 0.5, 0.15)  # group "a" is worse
    v1 = np.where(noisy, rng.choice(["cat", "dog", "eel"], n), y)
    v2 = np.where(rng.random(n) < 0.2, rng.choice(["cat", "dog", "eel"], n), y)
    return pd.DataFrame(
        {
            "g": np.array(["a", "b", "c"])[np.arange(n) % 3],
            "age": rng.integers(18, 90, n),
            "y": y,
            "v1": v1,
            "v2": v2,
            "target_value": rng.normal(size=n) * 10 + 40,
            "predicted_value": rng.normal(size=n) * 10 + 40,
        }
    )


@pytest.fixture(scope="module")
def probe(frame: pd.DataFrame) -> mp.Probe:
    return mp.Probe(frame, target="y", predictions={"v1": "v1", "v2": "v2"})


SLICES = [
    Slice("old", col("age") >= 60),
    Slice("a or young", (col("g") == "a") | (col("age") < 25)),
    Slice("tiny", (col("age") == 18) & (col("g") == "b")),
]


def test_columns_and_rows_are_in_the_documented_order(probe: mp.Probe) -> None:
    table = probe.breakdown(slices=SLICES, metrics=["accuracy", "macro_f1"])
    assert list(table.columns) == [
        "slice",
        "model",
        "n",
        "share",
        "accuracy",
        "accuracy_ci_low",
        "accuracy_ci_high",
        "macro_f1",
        "macro_f1_ci_low",
        "macro_f1_ci_high",
        "gap",
        "impact",
        "impact_ci_low",
        "impact_ci_high",
        "excess_errors",
        "p_value",
        "q_value",
        "low_support",
        "own_predictions",
        "is_overall",
    ]
    # one overall row per model first, then each slice for each model
    assert list(zip(table["slice"], table["model"], strict=True)) == [
        ("overall", "v1"),
        ("overall", "v2"),
        *[(s.name, m) for s in SLICES for m in ("v1", "v2")],
    ]
    assert table["n"].dtype.kind == "i" and table["low_support"].dtype == bool


def test_n_and_share_count_the_rows_of_each_slice(probe: mp.Probe, frame: pd.DataFrame) -> None:
    table = probe.breakdown(slices=SLICES, metrics=["accuracy"], model="v1")
    for s, (_, row) in zip(SLICES, table.iloc[1:].iterrows(), strict=True):
        expected = int(s.mask(frame).sum())
        assert row["n"] == expected
        assert row["share"] == pytest.approx(expected / len(frame))
    assert table.iloc[0]["n"] == len(frame) and table.iloc[0]["share"] == 1.0


def _values(table: pd.DataFrame, column: str) -> dict[tuple[str, str], float]:
    return {(r.slice, r.model): r[column] for _, r in table.iterrows()}


@pytest.mark.parametrize("metric", ["accuracy", "macro_f1", "balanced_accuracy", "recall[dog]"])
def test_gap_is_the_slice_minus_its_complement(probe: mp.Probe, metric: str) -> None:
    # the slice columns have no missing value, so ~slice is exactly the other rows
    table = probe.breakdown(slices=SLICES, metrics=[metric])
    complement = probe.breakdown(
        slices=[Slice(s.name, ~s.predicate) for s in SLICES], metrics=[metric]
    )
    value, rest = _values(table, metric), _values(complement, metric)
    for (name, model), gap in _values(table, "gap").items():
        if name == "overall":
            assert np.isnan(gap)
        else:
            np.testing.assert_allclose(gap, value[name, model] - rest[name, model], rtol=1e-12)


def test_regression_gap_is_the_slice_minus_its_complement(frame: pd.DataFrame) -> None:
    probe = mp.Probe(frame, target="target_value", predictions="predicted_value")
    for metric in ("mae", "rmse", "r2", "mean_error"):
        table = probe.breakdown(slices=SLICES, metrics=[metric])
        complement = probe.breakdown(
            slices=[Slice(s.name, ~s.predicate) for s in SLICES], metrics=[metric]
        )
        np.testing.assert_allclose(
            table["gap"].iloc[1:].to_numpy(dtype=float),
            (table[metric] - complement[metric]).iloc[1:].to_numpy(dtype=float),
            rtol=1e-9,
        )


@pytest.mark.parametrize("metric", ["roc_auc", "roc_auc[dog]", "log_loss", "brier"])
def test_score_metric_gap_is_the_slice_minus_its_complement(
    frame: pd.DataFrame, metric: str
) -> None:
    scores = np.random.default_rng(2).dirichlet(np.ones(3), len(frame))
    probe = mp.Probe(frame, target="y", predictions="v1", scores=scores)
    for slices in (SLICES, [Slice.parse(f"g == '{g}'") for g in "abc"]):
        table = probe.breakdown(slices=slices, metrics=[metric])
        complement = probe.breakdown(
            slices=[Slice(s.name, ~s.predicate) for s in slices], metrics=[metric]
        )
        np.testing.assert_allclose(
            table["gap"].iloc[1:].to_numpy(dtype=float),
            (table[metric] - complement[metric]).iloc[1:].to_numpy(dtype=float),
            rtol=1e-9,
        )
    by = probe.breakdown(by="g", metrics=[metric])  # the rest of a partition's group
    np.testing.assert_allclose(by["gap"].to_numpy(dtype=float), table["gap"].to_numpy(dtype=float))


def test_p_value_of_a_proportion_is_the_two_proportion_test_vs_the_rest(
    probe: mp.Probe, frame: pd.DataFrame
) -> None:
    table = probe.breakdown(slices=SLICES, metrics=["accuracy"], model="v1", min_support=0)
    correct = (frame["y"] == frame["v1"]).to_numpy()
    for s, p in zip(SLICES, table["p_value"].iloc[1:], strict=True):
        inside = s.mask(frame)
        x1, n1 = correct[inside].sum(), inside.sum()
        x2, n2 = correct[~inside].sum(), (~inside).sum()
        counts = np.array([[x1, n1 - x1], [x2, n2 - x2]])
        expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / counts.sum()
        if expected.min() < 10:  # small counts: Fisher's exact test
            np.testing.assert_allclose(p, stats.fisher_exact(counts).pvalue, rtol=1e-6)
            continue
        pooled = (x1 + x2) / (n1 + n2)
        z = (x1 / n1 - x2 / n2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        np.testing.assert_allclose(p, 2 * stats.norm.sf(abs(z)), rtol=1e-9)


def test_slices_below_min_support_are_shown_but_not_tested(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", slices=SLICES, metrics=["accuracy"], model="v1")
    body = table.iloc[1:]
    small = body["low_support"].to_numpy(dtype=bool)
    assert small.any() and not small.all()
    assert body.loc[small, ["p_value", "q_value"]].isna().all().all()
    assert body.loc[small, "accuracy_ci_low"].notna().all()
    tested = body.loc[~small, "p_value"].to_numpy(dtype=float)
    expected = stats.false_discovery_control(tested, method="bh")  # the family: tested slices
    np.testing.assert_allclose(body.loc[~small, "q_value"].to_numpy(dtype=float), expected)


def test_q_values_are_benjamini_hochberg_over_each_models_slice_rows(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", slices=SLICES, metrics=["accuracy"], min_support=0)
    assert table["q_value"].iloc[:2].isna().all()  # overall rows are not tested
    body = table.iloc[2:]
    for model in ("v1", "v2"):
        rows = body[body["model"] == model]
        expected = stats.false_discovery_control(rows["p_value"].to_numpy(dtype=float), method="bh")
        np.testing.assert_allclose(rows["q_value"].to_numpy(dtype=float), expected, rtol=1e-12)


def test_a_models_q_values_do_not_depend_on_the_other_models_in_the_call(
    probe: mp.Probe,
) -> None:
    both = probe.breakdown(slices=SLICES, metrics=["accuracy"])
    alone = probe.breakdown(slices=SLICES, metrics=["accuracy"], model="v1")
    q_both = both[(both["model"] == "v1")]["q_value"].to_numpy(dtype=float)
    np.testing.assert_array_equal(q_both, alone["q_value"].to_numpy(dtype=float))


def test_the_slice_that_is_much_worse_is_found(probe: mp.Probe) -> None:
    row = (
        probe.breakdown(by="g", metrics=["accuracy"], model="v1").set_index("slice").loc["g == 'a'"]
    )
    assert row["gap"] < -0.2 and row["q_value"] < 1e-6


def test_low_support_flags_slices_under_min_support(probe: mp.Probe) -> None:
    for min_support in (0, 5, 200, 10_000):
        table = probe.breakdown(slices=SLICES, metrics=["accuracy"], min_support=min_support)
        np.testing.assert_array_equal(table["low_support"], table["n"] < min_support)


def test_every_interval_contains_its_value_and_narrows_with_confidence(probe: mp.Probe) -> None:
    metrics = ["accuracy", "macro_f1", "precision[eel]"]
    wide = probe.breakdown(slices=SLICES[:2], metrics=metrics, confidence=0.99)
    narrow = probe.breakdown(slices=SLICES[:2], metrics=metrics, confidence=0.8)
    for m in metrics:
        assert (wide[f"{m}_ci_low"] <= wide[m]).all() and (wide[m] <= wide[f"{m}_ci_high"]).all()
        assert (
            (wide[f"{m}_ci_high"] - wide[f"{m}_ci_low"])
            > (narrow[f"{m}_ci_high"] - narrow[f"{m}_ci_low"])
        ).all()
    assert wide.attrs["confidence"] == 0.99


def test_repeated_calls_return_identical_frames(probe: mp.Probe) -> None:
    first = probe.breakdown(by="g", slices=SLICES, metrics=["macro_f1", "accuracy"])
    second = probe.breakdown(by="g", slices=SLICES, metrics=["macro_f1", "accuracy"])
    pd.testing.assert_frame_equal(first, second)


def test_attrs_map_names_to_slices_and_list_metrics(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", slices=SLICES, metrics=["accuracy", "macro_f1"])
    slices = table.attrs["slices"]
    assert list(slices) == [s.name for s in SLICES] + ["g == 'a'", "g == 'b'", "g == 'c'"]
    assert all(slices[s.name] == s for s in SLICES)
    assert slices["g == 'b'"] == Slice.parse("g == 'b'")
    assert table.attrs["metrics"] == ["accuracy", "macro_f1"]


@pytest.fixture
def rows_metric() -> Iterator[str]:
    mp.register_metric("share_right", lambda t, p: float(np.mean(t == p)), input="rows")
    yield "share_right"
    mp.unregister_metric("share_right")


def test_row_metric_interval_does_not_depend_on_the_other_slices(
    probe: mp.Probe, rows_metric: str
) -> None:
    # Regression: the row bootstrap was seeded by the slice's position in the call.
    columns = [rows_metric, f"{rows_metric}_ci_low", f"{rows_metric}_ci_high"]
    alone = probe.breakdown(slices=["g == 'a'"], metrics=[rows_metric], model="v1")
    after = probe.breakdown(slices=["g == 'b'", "g == 'a'"], metrics=[rows_metric], model="v1")
    pd.testing.assert_series_equal(
        alone.set_index("slice").loc["g == 'a'", columns],
        after.set_index("slice").loc["g == 'a'", columns],
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"metrics": ["accuracy"], "confidence": 1.5},
            "confidence: expected a confidence level between 0 and 1",
        ),
        ({"metrics": ["accuracy"], "confidence": True}, "confidence: expected a confidence level"),
        (
            {"metrics": ["accuracy"], "min_support": -1},
            "min_support: expected a whole number of rows",
        ),
        (
            {"metrics": ["accuracy"], "min_support": 2.5},
            "min_support: expected a whole number of rows",
        ),
        ({"metrics": []}, "name at least one metric"),
        ({"metrics": ["accuracy", "accuracy"]}, r"\['accuracy'\] listed more than once"),
        ({"metrics": ["acuracy"]}, "Did you mean 'accuracy'"),
        ({"metrics": ["recall"]}, r"'recall' is per class: write e.g. 'recall\[eel\]'"),
        ({"metrics": ["recall[cow]"]}, "names the class 'cow', which is not a class"),
        ({"metrics": ["roc_auc"]}, "needs class probabilities"),
        ({"metrics": ["mae"]}, "'mae' does not apply to task 'multiclass'"),
        ({"slices": ["g == 'a'", "g == 'a'"]}, "two slices are named"),
        ({"slices": [42]}, "expected a Slice, a predicate"),
        ({"bins": 3}, "pass by= as well"),
        ({"model": "V2"}, r"unknown model 'V2'. Did you mean 'v2'\? Models: \['v1', 'v2'\]"),
    ],
)
def test_bad_arguments_are_validation_errors(probe: mp.Probe, kwargs: dict, message: str) -> None:
    with pytest.raises(mp.ValidationError, match=message):
        probe.breakdown(**({"slices": SLICES} | kwargs))


@pytest.mark.parametrize("metric", ["balanced_accuracy", "macro_f1", "f1[1]", "accuracy"])
def test_a_breakdown_without_slices_gives_the_overall_rows(metric: str) -> None:
    frame = pd.DataFrame({"y": [0, 1, 1, 0, 1]})
    probe = mp.Probe(frame, target="y", predictions={"a": [0, 1, 0, 0, 1], "b": [1, 1, 1, 0, 1]})
    table = probe.breakdown(metrics=[metric])
    assert table["slice"].tolist() == ["overall", "overall"]
    assert table[f"{metric}_ci_low"].notna().all()
    assert probe.compare("a", "b", metric=metric)["slice"].tolist() == ["overall"]


def test_a_slice_on_a_models_own_predictions_is_not_tested_for_that_model(
    probe: mp.Probe,
) -> None:
    """Rows a model got wrong differ from the rest by construction: no p- or q-value for
    that model, out of its Benjamini–Hochberg family; an ordinary slice for other models."""
    from mlprobe.core.statistics.significance import benjamini_hochberg

    wrong = Slice("v1 wrong", (col("@prediction[v1]") == "cat") & (col("@target") != "cat"))
    every = Slice("predicted 1", col("@prediction") == "dog")
    table = probe.breakdown(slices=[*SLICES, wrong, every], metrics=["accuracy"], min_support=5)
    rows = table.set_index(["slice", "model"])
    assert rows.loc[("v1 wrong", "v1"), "own_predictions"]
    assert np.isnan(rows.loc[("v1 wrong", "v1"), "q_value"])
    assert np.isfinite(rows.loc[("v1 wrong", "v1"), "gap"])
    assert not rows.loc[("v1 wrong", "v2"), "own_predictions"]
    assert np.isfinite(rows.loc[("v1 wrong", "v2"), "p_value"])
    assert rows.loc["predicted 1", "own_predictions"].all()  # @prediction: each model's own
    assert not table[table["slice"] == "overall"]["own_predictions"].any()
    v1 = table[(table["model"] == "v1") & (table["slice"] != "overall")]
    np.testing.assert_allclose(v1["q_value"], benjamini_hochberg(v1["p_value"].to_numpy()))
