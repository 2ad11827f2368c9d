"""The Probe facade: what it accepts, what it refuses, and what its questions answer."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    brier_score_loss,
    confusion_matrix,
    log_loss,
    median_absolute_error,
    roc_auc_score,
)
from sklearn.tree import DecisionTreeClassifier

import mlprobe as mp
from mlprobe import Slice, col

# --- a small synthetic dataset and two fitted models -------------------------------------


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    age = rng.integers(18, 90, n).astype(np.float64)
    age[::23] = np.nan
    return pd.DataFrame(
        {
            "x1": x1,
            "x2": x2,
            "age": age,
            "sex": rng.choice(["F", "M"], n),
            "region": pd.Series(rng.choice(["north", "south", None], n), dtype=object),
            "income": np.where(x1 + 0.5 * x2 + rng.normal(scale=0.7, size=n) > 0, ">50K", "<=50K"),
        }
    )


@pytest.fixture(scope="module")
def models(data: pd.DataFrame) -> dict[str, object]:
    features = data[["x1", "x2"]]
    return {
        "v1": LogisticRegression().fit(features, data["income"]),
        "v2": DecisionTreeClassifier(max_depth=3, random_state=0).fit(features, data["income"]),
    }


@pytest.fixture(scope="module")
def probe(data: pd.DataFrame, models: dict[str, object]) -> mp.Probe:
    return mp.Probe(data, target="income", model=models)


# --- construction ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "prediction", "task", "classes"),
    [
        (["a", "b", "a"], ["a", "a", "a"], "binary", ["a", "b"]),
        (["a", "b", "a"], ["c", "a", "b"], "multiclass", ["a", "b", "c"]),
        ([1.5, 2.0, 3.0], [1.0, 2.0, 3.5], "regression", []),
        ([True, False, True], [True, True, True], "binary", [False, True]),
        ([2, 0, 1], [2, 2, 1], "multiclass", [0, 1, 2]),
    ],
)
def test_task_and_classes_are_inferred(
    target: list, prediction: list, task: str, classes: list
) -> None:
    probe = mp.Probe(pd.DataFrame({"y": target, "p": prediction}), target="y", predictions="p")
    assert probe.task == task
    assert probe.classes == classes  # sorted union of target and predictions
    assert probe.models == ["model"]


def test_many_integer_labels_ask_for_the_task() -> None:
    frame = pd.DataFrame({"y": np.arange(30), "p": np.arange(30)})
    with pytest.raises(mp.ValidationError, match="Pass task='multiclass' or task='regression'"):
        mp.Probe(frame, target="y", predictions="p")
    assert mp.Probe(frame, target="y", predictions="p", task="regression").task == "regression"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, mp.ValidationError, "pass exactly one of model= .* received neither"),
        ({"predictions": "p", "model": LogisticRegression()}, mp.ValidationError, "received both"),
        (
            {"predictions": np.zeros(2)},
            mp.DataError,
            r"predictions of 'model' has 2 values but the data has 3 rows",
        ),
        (
            {"predictions": {"v1": "p", "v2": [1, 0]}},
            mp.DataError,
            r"predictions of 'v2' has 2 values but the data has 3 rows",
        ),
        (
            {"predictions": "p", "target": [1, 0, 1, 0]},
            mp.DataError,
            r"target has 4 values but the data has 3 rows",
        ),
        (
            {"predictions": "p", "target": "yy"},
            mp.ColumnNotFoundError,
            r"target column 'yy' is not in the data. Did you mean 'y'\?",
        ),
        (
            {"predictions": "p", "target": "gap"},
            mp.DataError,
            r"the target has 1 missing value\(s\) \(the first at row 1\)",
        ),
        ({"predictions": {}}, mp.ValidationError, "received an empty dict"),
        (
            {"predictions": {"v[1]": "p"}},
            mp.ValidationError,
            "model names must be non-empty str without brackets",
        ),
        (
            {"predictions": "p", "scores": np.ones((3, 5))},
            mp.DataError,
            r"scores: expected 3 rows x 2 columns",
        ),
        ({"predictions": "p", "task": "clf"}, mp.ValidationError, "task must be one of"),
        ({"model": object()}, mp.ValidationError, "expected an estimator with a predict method"),
    ],
)
def test_bad_construction_is_a_clear_error(kwargs: dict, error: type, message: str) -> None:
    frame = pd.DataFrame({"y": [1, 0, 1], "p": [1, 1, 0], "gap": [1.0, np.nan, 0.0]})
    with pytest.raises(error, match=message):
        mp.Probe(frame, **({"target": "y"} | kwargs))


def test_empty_data_and_non_tables_are_refused() -> None:
    with pytest.raises(mp.DataError, match="data has no rows"):
        mp.Probe(pd.DataFrame({"y": [], "p": []}), target="y", predictions="p")
    with pytest.raises(mp.ValidationError, match="must be a pandas DataFrame"):
        mp.Probe([[1, 1]], target="y", predictions="p")


def test_duplicated_target_column_is_a_data_error() -> None:
    # Regression: data["y"] was a DataFrame, and pandas raised "Data must be 1-dimensional".
    frame = pd.DataFrame([[1, 0, 1], [0, 0, 1]], columns=["y", "y", "p"])
    with pytest.raises(mp.DataError, match="target column 'y' names 2 columns"):
        mp.Probe(frame, target="y", predictions="p")


def test_unknown_model_names_get_a_suggestion(probe: mp.Probe) -> None:
    with pytest.raises(mp.ValidationError, match=r"unknown model 'v22'. Did you mean 'v2'\?"):
        probe.breakdown(by="sex", model="v22")
    with pytest.raises(mp.ValidationError, match=r"several models .* name one"):
        probe.confusion()


def test_the_data_is_never_changed(data: pd.DataFrame, models: dict[str, object]) -> None:
    frame = data.copy(deep=True)
    before = frame.copy(deep=True)
    probe = mp.Probe(frame, target="income", model=models)
    probe.breakdown(by=["sex", "region"], metrics=["accuracy", "roc_auc"])
    probe.breakdown(by="age", bins=3)
    probe.breakdown(slices=["age >= 60 and @prediction == '>50K'"])
    probe.confusion(model="v1", slice="region is null", normalize="true")
    probe.compare("v1", "v2", by="sex")
    probe.flips("v1", "v2", slice="sex == 'F'")
    assert probe.data is frame  # held, not copied
    assert list(frame.columns) == list(before.columns)
    pd.testing.assert_frame_equal(frame, before)


# --- models, scores and features -------------------------------------------------------


def test_model_dict_gives_rows_per_model_with_overall_rows_first(probe: mp.Probe) -> None:
    table = probe.breakdown(by="sex", metrics=["accuracy"])
    assert list(table["slice"]) == [
        "overall",
        "overall",
        "sex == 'F'",
        "sex == 'F'",
        "sex == 'M'",
        "sex == 'M'",
    ]
    assert list(table["model"]) == ["v1", "v2"] * 3
    # one model's rows do not depend on the other model (but for q-values, which adjust
    # over every slice row of the call)
    only = probe.breakdown(by="sex", metrics=["accuracy"], model="v2")
    pd.testing.assert_frame_equal(
        only.drop(columns="q_value").reset_index(drop=True),
        table[table["model"] == "v2"].drop(columns="q_value").reset_index(drop=True),
    )


def test_predict_proba_gives_scores_for_roc_auc(
    probe: mp.Probe, data: pd.DataFrame, models: dict[str, object]
) -> None:
    table = probe.breakdown(by="sex", metrics=["roc_auc", "accuracy"])
    for name, model in models.items():
        proba = model.predict_proba(data[["x1", "x2"]])[:, list(model.classes_).index(">50K")]  # type: ignore[attr-defined]
        rows = table[table["model"] == name].set_index("slice")
        for s in ("overall", "sex == 'F'"):
            mask = np.ones(len(data), bool) if s == "overall" else (data["sex"] == "F").to_numpy()
            expected = roc_auc_score(data["income"][mask] == ">50K", proba[mask])
            np.testing.assert_allclose(rows.loc[s, "roc_auc"], expected, rtol=1e-9)
            expected_acc = np.mean(model.predict(data[["x1", "x2"]])[mask] == data["income"][mask])  # type: ignore[attr-defined]
            np.testing.assert_allclose(rows.loc[s, "accuracy"], expected_acc, rtol=1e-12)


def test_features_are_the_fitted_columns_by_default_and_can_be_named(data: pd.DataFrame) -> None:
    only_x1 = LogisticRegression().fit(data[["x1"]], data["income"])
    # feature_names_in_ picks x1 among all the other columns (text ones included)
    by_default = mp.Probe(data, target="income", model=only_x1)
    named = mp.Probe(data, target="income", model=only_x1, features=["x1"])
    pd.testing.assert_frame_equal(by_default.breakdown(by="sex"), named.breakdown(by="sex"))
    # a model fitted on an array has no names: every column but the target is handed over
    on_array = LogisticRegression().fit(data[["x1", "x2"]].to_numpy(), data["income"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "X has feature names"
        with pytest.raises(
            mp.DataError, match=r"predict\(\) failed on the features .* Pass features="
        ):
            mp.Probe(data, target="income", model=on_array)
        probe = mp.Probe(data, target="income", model=on_array, features=["x1", "x2"])
    assert probe.n_rows == len(data)
    with pytest.raises(mp.ColumnNotFoundError, match="features column 'x3'"):
        mp.Probe(data, target="income", model=on_array, features=["x1", "x3"])


def test_a_class_the_model_knows_but_no_row_holds_joins_the_classes() -> None:
    # Regression: predict_proba has a column for "c", which neither the target nor the
    # predictions held, and the probe refused the model ("class 'c' is not among ...").
    train = pd.DataFrame({"x": np.repeat([0.0, 1.0, 2.0], 20), "y": np.repeat(["a", "b", "c"], 20)})
    model = DecisionTreeClassifier(random_state=0).fit(train[["x"]], train["y"])
    test = pd.DataFrame({"x": [0.0, 1.0, 0.0, 1.0, 0.4], "y": ["a", "b", "a", "a", "b"]})
    probe = mp.Probe(test, target="y", model=model)
    assert probe.classes == ["a", "b", "c"]
    proba = model.predict_proba(test[["x"]])
    row = probe.breakdown(metrics=["accuracy", "log_loss", "brier"]).iloc[0]
    np.testing.assert_allclose(row["log_loss"], log_loss(test["y"], proba, labels=model.classes_))
    np.testing.assert_allclose(
        row["brier"], brier_score_loss(test["y"], proba, labels=model.classes_)
    )
    assert probe.confusion()["c"].sum() == 0


@pytest.mark.parametrize("kind", ["polars", "pyarrow"])
def test_polars_and_pyarrow_tables_give_the_same_breakdown(
    kind: str, data: pd.DataFrame, models: dict[str, object]
) -> None:
    module = pytest.importorskip(kind)
    table = module.from_pandas(data) if kind == "polars" else module.Table.from_pandas(data)
    expected = mp.Probe(data, target="income", model=models)
    converted = mp.Probe(table, target="income", model=models)
    for kwargs in (
        {"by": ["sex", "region"]},
        {"by": "age", "bins": [30, 60]},
        {"slices": ["region is null"]},
    ):
        pd.testing.assert_frame_equal(
            converted.breakdown(metrics=["accuracy", "macro_f1", "roc_auc"], **kwargs),
            expected.breakdown(metrics=["accuracy", "macro_f1", "roc_auc"], **kwargs),
        )


# --- slices on the model's outputs -----------------------------------------------------


def test_target_and_prediction_slices_select_exactly_a_confusion_cell(probe: mp.Probe) -> None:
    for model in probe.models:
        confusion = probe.confusion(model=model)
        for t in probe.classes:
            for p in probe.classes:
                s = Slice(None, (col("@target") == t) & (col("@prediction") == p))
                row = probe.breakdown(slices=[s], metrics=["accuracy"], model=model).iloc[1]
                assert row["n"] == confusion.loc[t, p]
                assert probe.mask(s, model=model).sum() == confusion.loc[t, p]
                named = Slice.parse(f"@target == '{t}' and @prediction[{model}] == '{p}'")
                assert (
                    probe.breakdown(slices=[named], metrics=["accuracy"]).iloc[2]["n"]
                    == confusion.loc[t, p]
                )


def test_prediction_slices_hold_different_rows_per_model(probe: mp.Probe) -> None:
    table = probe.breakdown(slices=["@prediction == '>50K'"], metrics=["precision[>50K]"])
    for _, row in table.iloc[2:].iterrows():
        confusion = probe.confusion(model=row["model"])
        predicted_high = confusion[">50K"].sum()
        assert row["n"] == predicted_high
        np.testing.assert_allclose(
            row["precision[>50K]"], confusion.loc[">50K", ">50K"] / predicted_high
        )


# --- by= groups ------------------------------------------------------------------------


def _group_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table[(table["slice"] != "overall") & (table["model"] == "v1")]


@pytest.mark.parametrize(
    ("by", "bins", "expected"),
    [
        ("sex", None, ["sex == 'F'", "sex == 'M'"]),
        ("region", None, ["region == 'north'", "region == 'south'", "region is null"]),
        (["sex", "region"], None, None),
        ("age", [30, 60], ["age < 30", "age >= 30 and age < 60", "age >= 60", "age is null"]),
        ("age", 4, None),
        ("x1", None, None),  # many distinct values: quantile bins
    ],
)
def test_group_slices_parse_back_to_the_same_rows(
    probe: mp.Probe, data: pd.DataFrame, by: object, bins: object, expected: list[str] | None
) -> None:
    table = probe.breakdown(by=by, bins=bins, metrics=["accuracy"])
    groups = _group_rows(table)
    if expected is not None:
        assert list(groups["slice"]) == expected
    assert groups["n"].sum() == len(data), "groups partition the rows"
    for _, row in groups.iterrows():
        s = Slice.parse(row["slice"])
        assert table.attrs["slices"][row["slice"]] == s
        mask = s.mask(data)
        assert mask.sum() == row["n"]
        assert probe.mask(s, model="v1").sum() == row["n"]


def test_crossed_groups_count_like_pandas_groupby(probe: mp.Probe, data: pd.DataFrame) -> None:
    table = _group_rows(probe.breakdown(by=["sex", "region"], metrics=["accuracy"]))
    expected = data.groupby(["sex", "region"], dropna=False).size()
    assert sorted(table["n"]) == sorted(expected)
    assert "sex == 'M' and region is null" in set(table["slice"])


def test_numeric_bins_may_be_a_tuple(probe: mp.Probe) -> None:
    tuple_bins = probe.breakdown(by="age", bins=(30, 60), metrics=["accuracy"])
    list_bins = probe.breakdown(by="age", bins=[30, 60], metrics=["accuracy"])
    pd.testing.assert_frame_equal(tuple_bins, list_bins)


def test_numeric_bins_may_be_a_numpy_array(probe: mp.Probe) -> None:
    array_bins = probe.breakdown(by="age", bins=np.array([30, 60]), metrics=["accuracy"])
    list_bins = probe.breakdown(by="age", bins=[30, 60], metrics=["accuracy"])
    pd.testing.assert_frame_equal(array_bins, list_bins)


def test_slices_and_by_combine_in_one_call(probe: mp.Probe) -> None:
    table = probe.breakdown(by="sex", slices=["age >= 60"], metrics=["accuracy"], model="v1")
    assert list(table["slice"]) == ["overall", "age >= 60", "sex == 'F'", "sex == 'M'"]
    alone = probe.breakdown(by="sex", metrics=["accuracy"], model="v1")
    pd.testing.assert_frame_equal(
        table.iloc[2:].reset_index(drop=True)[["slice", "n", "accuracy"]],
        alone.iloc[1:].reset_index(drop=True)[["slice", "n", "accuracy"]],
    )


# --- confusion matrices ------------------------------------------------------------------


@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
def test_confusion_matches_sklearn(
    probe: mp.Probe, data: pd.DataFrame, models: dict, normalize: str | None
) -> None:
    for s in (None, "sex == 'F'", "@target == '>50K'"):
        mask = np.ones(len(data), bool) if s is None else probe.mask(s, model="v2")
        predicted = models["v2"].predict(data[["x1", "x2"]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = confusion_matrix(
                data["income"][mask], predicted[mask], labels=probe.classes, normalize=normalize
            )
        table = probe.confusion(s, model="v2", normalize=normalize)
        assert list(table.index) == list(table.columns) == probe.classes
        assert table.index.name == "true" and table.columns.name == "predicted"
        # sklearn writes 0 for a class with no rows; mlprobe leaves it undefined
        values = table.to_numpy(dtype=float)
        np.testing.assert_allclose(np.nan_to_num(values), expected, rtol=1e-12)
        counts = probe.confusion(s, model="v2").to_numpy()
        empty = {
            "true": counts.sum(axis=1, keepdims=True) == 0,
            "pred": counts.sum(axis=0, keepdims=True) == 0,
        }
        if normalize in empty:
            np.testing.assert_array_equal(
                np.isnan(values), np.broadcast_to(empty[normalize], values.shape)
            )


def test_confusion_refuses_regression_and_bad_normalize(probe: mp.Probe) -> None:
    with pytest.raises(mp.ValidationError, match="normalize must be None, 'true', 'pred' or 'all'"):
        probe.confusion(model="v1", normalize="rows")
    regression = mp.Probe(
        pd.DataFrame({"y": [0.5, 1.5], "p": [1.0, 1.0]}), target="y", predictions="p"
    )
    with pytest.raises(mp.ValidationError, match="confusion: needs a classification probe"):
        regression.confusion()


# --- custom metrics ------------------------------------------------------------------------


@pytest.fixture
def custom_metrics() -> Iterator[None]:
    mp.register_metric("true_high_share", lambda t: t[1, 1] / t.sum(), input="counts")
    mp.register_metric(
        "true_high_rows", lambda y, p: np.mean((y == ">50K") & (p == ">50K")), input="rows"
    )
    mp.register_metric(
        "median_abs_error",
        lambda y, p: np.median(np.abs(p - y)),
        input="rows",
        tasks=("regression",),
        higher_is_better=False,
    )
    try:
        yield
    finally:
        for name in ("true_high_share", "true_high_rows", "median_abs_error"):
            mp.unregister_metric(name)


@pytest.mark.usefixtures("custom_metrics")
def test_custom_metrics_from_counts_and_rows_agree_with_a_hand_computation(
    probe: mp.Probe, data: pd.DataFrame, models: dict
) -> None:
    table = probe.breakdown(by="sex", metrics=["true_high_share", "true_high_rows"], model="v1")
    predicted = models["v1"].predict(data[["x1", "x2"]])
    hits = (data["income"] == ">50K").to_numpy() & (predicted == ">50K")
    for _, row in table.iterrows():
        mask = (
            np.ones(len(data), bool)
            if row["slice"] == "overall"
            else Slice.parse(row["slice"]).mask(data)
        )
        np.testing.assert_allclose(row["true_high_share"], hits[mask].mean(), rtol=1e-12)
        np.testing.assert_allclose(row["true_high_rows"], hits[mask].mean(), rtol=1e-12)
        assert (
            row["true_high_rows_ci_low"] <= row["true_high_rows"] <= row["true_high_rows_ci_high"]
        )
    assert "true_high_share" in mp.available_metrics("binary")


@pytest.mark.usefixtures("custom_metrics")
def test_custom_row_metric_for_regression(data: pd.DataFrame) -> None:
    probe = mp.Probe(data, target="x1", predictions="x2")
    table = probe.breakdown(by="sex", metrics=["median_abs_error", "mae"])
    for _, row in table.iloc[1:].iterrows():
        mask = Slice.parse(row["slice"]).mask(data)
        np.testing.assert_allclose(
            row["median_abs_error"],
            median_absolute_error(data["x1"][mask], data["x2"][mask]),
            rtol=1e-12,
        )


def test_custom_metric_errors() -> None:
    with pytest.raises(mp.ValidationError, match="a metric named 'accuracy' exists already"):
        mp.register_metric("accuracy", lambda t: 0.0)
    with pytest.raises(mp.ValidationError, match="regression has no confusion counts"):
        mp.register_metric("broken", lambda t: 0.0, tasks=("regression",))
    with pytest.raises(mp.ValidationError, match="no custom metric named 'never'"):
        mp.unregister_metric("never")
    mp.register_metric("raises", lambda t: 1 / 0)
    try:
        probe = mp.Probe(pd.DataFrame({"y": [0, 1], "p": [0, 0]}), target="y", predictions="p")
        with pytest.raises(
            mp.MlprobeError, match="custom metric 'raises' raised ZeroDivisionError"
        ):
            probe.breakdown(metrics=["raises"])
    finally:
        mp.unregister_metric("raises")


# --- one metric ----------------------------------------------------------------------------


def test_metric_gives_one_value_with_its_interval(probe: mp.Probe) -> None:
    one = probe.metric("accuracy", "sex == 'F'", model="v1")
    row = probe.breakdown(slices=["sex == 'F'"], metrics=["accuracy"], model="v1").iloc[1]
    assert one == {
        "value": pytest.approx(row["accuracy"]),
        "ci_low": pytest.approx(row["accuracy_ci_low"]),
        "ci_high": pytest.approx(row["accuracy_ci_high"]),
        "n": row["n"],
    }


# --- robustness --------------------------------------------------------------------------

cells = {
    "number": st.one_of(st.none(), st.floats(-1e6, 1e6), st.integers(-3, 3)),
    "text": st.one_of(st.none(), st.sampled_from(["", "a", "b", " ", "nan"])),
    "label": st.sampled_from(["x", "y", ""]),
    "int_label": st.integers(0, 2),
    "flag": st.booleans(),
    "maybe_flag": st.one_of(st.none(), st.booleans()),
    "date": st.one_of(st.none(), st.sampled_from(["2019-01-01", "2020-01-01", "2021-06-01"])),
}


@st.composite
def small_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 8))
    kinds = draw(st.lists(st.sampled_from(sorted(cells)), min_size=2, max_size=5))
    frame = pd.DataFrame(
        {f"c{i}": draw(st.lists(cells[k], min_size=n, max_size=n)) for i, k in enumerate(kinds)}
    )
    for i, kind in enumerate(kinds):
        if kind == "date":
            frame[f"c{i}"] = pd.to_datetime(frame[f"c{i}"])
        elif kind == "maybe_flag":
            frame[f"c{i}"] = frame[f"c{i}"].astype("boolean")
    if draw(st.booleans()) and len(frame.columns) > 2:
        frame["c2"] = frame["c2"].astype("category")
    return frame


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_frames(), st.data())
def test_breakdown_raises_only_mlprobe_errors(frame: pd.DataFrame, data: st.DataObject) -> None:
    columns = list(frame.columns)
    target = data.draw(st.sampled_from(columns), label="target")
    prediction = data.draw(st.sampled_from(columns), label="prediction")
    task = data.draw(st.sampled_from([None, "binary", "multiclass", "regression"]), label="task")
    by = data.draw(st.sampled_from(columns), label="by")
    bins = data.draw(st.sampled_from([None, 1, 3, [0.5], [-1, 0, 1]]), label="bins")
    value = data.draw(st.sampled_from(["'a'", "1", "true", "''", "'2020-01-01'"]), label="value")
    metrics = data.draw(
        st.sampled_from([None, ["accuracy", "f1[x]"], ["r2", "mae"]]), label="metrics"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow on extreme floats
        try:
            probe = mp.Probe(frame, target=target, predictions=prediction, task=task)
            probe.breakdown(by=by, bins=bins, metrics=metrics)
            probe.breakdown(slices=[f"{by} is null", f"not {by} == {value}"], by=by)
            if probe.task != "regression":
                probe.confusion(f"{by} != {value}", normalize="true")
        except mp.MlprobeError:
            pass


def test_repr_names_rows_task_models_and_classes(probe: mp.Probe) -> None:
    assert (
        repr(probe)
        == "<mlprobe.Probe: 400 rows, task='binary', models=['v1', 'v2'], classes=['<=50K', '>50K']>"
    )


def test_by_prediction_groups_rows_by_the_one_models_predicted_class() -> None:
    frame = pd.DataFrame(
        {"y": ["a", "b", "b", "a"], "v1": ["a", "a", "b", "b"], "v2": list("abba")}
    )
    probe = mp.Probe(frame, target="y", predictions={"v1": "v1", "v2": "v2"})
    table = probe.breakdown(by="@prediction", model="v1", metrics=["accuracy"])
    assert table["slice"].tolist() == [
        "overall",
        "@prediction[v1] == 'a'",
        "@prediction[v1] == 'b'",
    ]
    assert table["n"].tolist() == [4, 2, 2]
    with pytest.raises(mp.ValidationError, match=r"by='@prediction\[v1\]'"):
        probe.breakdown(by="@prediction")
    by_target = probe.breakdown(by="@target", model="v2", metrics=["accuracy"])
    assert by_target["accuracy"].tolist() == [1.0, 1.0, 1.0]
