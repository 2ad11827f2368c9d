"""Error-type metrics (fpr, fnr, ...): the positive class, directions, declared ratios.

Their values are checked against scikit-learn in ``test_metrics_oracle.py``; here,
what the names mean and how they behave.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.core.metrics import register_metric, unregister_metric
from mlprobe.errors import ValidationError


def _frame(labels: tuple[object, object] = (0, 1), n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.where(rng.random(n) < 0.8, y, 1 - y)
    group = rng.choice(["a", "b", "c"], n)
    mapping = dict(enumerate(labels))
    return pd.DataFrame(
        {"g": group, "y": pd.Series(y).map(mapping), "p": pd.Series(p).map(mapping)}
    )


@pytest.mark.parametrize(
    ("labels", "positive"),
    [((0, 1), 1), ((False, True), True), (("no", "yes"), "yes"), ((" <=50K", ">50K"), ">50K")],
)
def test_bare_names_mean_the_positive_class(
    labels: tuple[object, object], positive: object
) -> None:
    frame = _frame(labels)
    explicit = None if positive in (1, True) else positive
    probe = mp.Probe(frame, target="y", predictions="p", positive=explicit)
    assert probe.positive == positive
    families = ["fpr", "fnr", "tnr", "npv", "selection_rate", "prevalence", "precision", "recall"]
    bare = probe.breakdown(by="g", metrics=families)
    named = probe.breakdown(by="g", metrics=[f"{f}[{positive}]" for f in families])
    for family in families:
        for suffix in ("", "_ci_low", "_ci_high"):
            np.testing.assert_array_equal(
                bare[family + suffix].to_numpy(), named[f"{family}[{positive}]{suffix}"].to_numpy()
            )
    assert probe.metric("f1")["value"] == probe.metric(f"f1[{positive}]")["value"]


def test_positive_can_pick_the_other_class() -> None:
    probe = mp.Probe(_frame(), target="y", predictions="p", positive=0)
    assert probe.metric("fpr")["value"] == probe.metric("fpr[0]")["value"]
    assert probe.metric("fpr")["value"] != probe.metric("fpr[1]")["value"]
    # given as text, matched to the label
    assert mp.Probe(_frame(), target="y", predictions="p", positive="0").positive == 0


def test_without_a_positive_class_the_error_names_the_labels() -> None:
    probe = mp.Probe(_frame(("no", "yes")), target="y", predictions="p")
    assert probe.positive is None
    with pytest.raises(ValidationError, match=r"'no', 'yes'.*positive=.*'fpr\[yes\]'"):
        probe.breakdown(metrics=["fpr"])
    assert "fpr" not in probe.available_metrics() and "fpr[yes]" in probe.available_metrics()


def test_positive_is_checked() -> None:
    with pytest.raises(ValidationError, match=r"positive: 'maybe' is not a class.*\['no', 'yes'\]"):
        mp.Probe(_frame(("no", "yes")), target="y", predictions="p", positive="maybe")
    multi = pd.DataFrame({"y": ["a", "b", "c"], "p": ["a", "b", "b"]})
    with pytest.raises(ValidationError, match=r"positive: applies to binary.*'recall\[c\]'"):
        mp.Probe(multi, target="y", predictions="p", positive="a")
    with pytest.raises(ValidationError, match=r"'fpr' is per class"):
        mp.Probe(multi, target="y", predictions="p").breakdown(metrics=["fpr"])


def test_lower_is_better_error_rates_sort_and_compare_the_right_way() -> None:
    frame = _frame(n=3000)
    wrong_in_a = (frame["g"] == "a") & (frame["y"] == 0)
    frame.loc[wrong_in_a, "p"] = 1  # every negative of group a predicted positive
    probe = mp.Probe(frame, target="y", predictions={"v1": frame["p"], "v2": _frame(n=3000)["p"]})
    table = probe.breakdown(by="g", metrics=["fpr"], model="v1")
    assert table.attrs["directions"]["fpr"]["higher_is_better"] is False
    worst = probe.priorities(by="g", metric="fpr", model="v1").iloc[0]
    assert worst["slice"] == "g == 'a'" and worst["benefit"] > 0 and worst["impact"] < 0
    comparison = probe.compare("v1", "v2", by="g", metric="fpr")
    row = comparison[comparison["slice"] == "g == 'a'"].iloc[0]
    assert row["delta"] < 0 and row["verdict"] == "improved"


def test_small_groups_get_score_intervals_not_zero_width() -> None:
    # 11 negatives, none predicted positive: Wilson [0, 0.26], not the resampled [0, 0]
    frame = pd.DataFrame({"y": [0] * 11 + [1] * 5, "p": [0] * 11 + [1] * 5})
    value = mp.Probe(frame, target="y", predictions="p").metric("fpr")
    assert value["value"] == 0 and value["ci_low"] == 0
    assert value["ci_high"] == pytest.approx(0.2588, abs=1e-3)


def test_a_declared_ratio_of_cells_gets_the_builtin_statistics() -> None:
    register_metric(
        "false_alarm_rate",
        numerator=[(0, 1)],
        denominator=[(0, 0), (0, 1)],
        higher_is_better=False,
    )
    try:
        probe = mp.Probe(_frame(), target="y", predictions="p")
        custom = probe.breakdown(by="g", metrics=["false_alarm_rate"])
        builtin = probe.breakdown(by="g", metrics=["fpr"])
        for suffix in ("", "_ci_low", "_ci_high"):
            np.testing.assert_array_equal(
                custom["false_alarm_rate" + suffix].to_numpy(), builtin["fpr" + suffix].to_numpy()
            )
        np.testing.assert_array_equal(custom["p_value"].to_numpy(), builtin["p_value"].to_numpy())
        labelled = mp.Probe(_frame(("no", "yes")), target="y", predictions="p")
        with pytest.raises(ValidationError, match=r"names the class '0'.*Classes: no, yes"):
            labelled.breakdown(metrics=["false_alarm_rate"])
    finally:
        unregister_metric("false_alarm_rate")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"numerator": [(0, 1)], "denominator": [(1, 1)]}, r"numerator cells \[\('0', '1'\)\]"),
        ({"numerator": [(0, 1)]}, "'denominator' must list"),
        ({"numerator": [(0,)], "denominator": [(0, 1)]}, "pair; received"),
        (
            {"numerator": [(0, 1)], "denominator": [(0, 1)], "tasks": ["regression"]},
            "classification tasks",
        ),
    ],
)
def test_declared_ratios_are_checked_when_registered(kwargs: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        register_metric("bad_ratio", **kwargs)
    with pytest.raises(ValidationError, match="both a function and numerator"):
        register_metric("bad_ratio", len, numerator=[(0, 1)], denominator=[(0, 1)])


def test_engines_take_the_positive_class_and_give_the_same_numbers() -> None:
    pytest.importorskip("duckdb")
    frame = _frame(("no", "yes"), n=600, seed=3)
    memory = mp.Probe(frame, target="y", predictions="p", positive="yes")
    engine = mp.Probe.from_duckdb(frame, target="y", predictions="p", positive="yes")
    assert engine.positive == "yes"
    metrics = ["fpr", "fnr", "npv", "selection_rate", "prevalence", "f1"]
    pd.testing.assert_frame_equal(
        memory.breakdown(by="g", metrics=metrics), engine.breakdown(by="g", metrics=metrics)
    )
    pd.testing.assert_frame_equal(
        memory.disparity("g", "equalized_odds"), engine.disparity("g", "equalized_odds")
    )
    with pytest.raises(ValidationError, match="positive: 'maybe' is not a class"):
        mp.Probe.from_duckdb(frame, target="y", predictions="p", positive="maybe")
