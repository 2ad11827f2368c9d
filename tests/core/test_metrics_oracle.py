"""Every built-in metric against scikit-learn, on hypothesis-drawn labels, scores and slices.

The probe computes metrics from per-slice confusion counts and sums; scikit-learn,
called on each slice's rows, is the oracle. Slices include empty ones (n = 0, every
value NaN) and single-class ones (``@target == c``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

import mlprobe as mp
from mlprobe import Slice, col
from mlprobe.core.metrics.classification import balanced_accuracy, f1_per_class, macro_f1
from mlprobe.core.statistics.ranks import grouped_auc

RTOL = 1e-9
LABEL_POOLS: dict[str, list[object]] = {
    "str": ["ant", "bee", "cat", "dog", "eel"],
    "int": [7, -3, 0, 11, 2],
    "bool": [True, False],
}
N_GROUPS = 3  # slice g == 3 never has rows


@dataclass
class Case:
    frame: pd.DataFrame
    y_true: np.ndarray
    y_pred: np.ndarray
    groups: np.ndarray


def _as_array(values: list[object], kind: str) -> np.ndarray:
    dtype = {"str": object, "int": np.int64, "bool": bool}[kind]
    return np.array(values, dtype=dtype)


@st.composite
def classification_cases(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(sorted(LABEL_POOLS)))
    pool = LABEL_POOLS[kind]
    k = draw(st.integers(2, len(pool)))
    n = draw(st.integers(1, 30))
    label = st.sampled_from(pool[:k])
    y_true = _as_array(draw(st.lists(label, min_size=n, max_size=n)), kind)
    y_pred = _as_array(draw(st.lists(label, min_size=n, max_size=n)), kind)
    # labels that share no value are refused as an input mistake (tests/test_probe.py):
    # the first row is predicted right, so target and predictions always share a label
    y_pred[0] = y_true[0]
    groups = np.array(draw(st.lists(st.integers(0, N_GROUPS - 1), min_size=n, max_size=n)))
    frame = pd.DataFrame({"g": groups, "y": y_true, "p": y_pred})
    return Case(frame, y_true, y_pred, groups)


def _slices(case: Case, probe: mp.Probe) -> dict[Slice, np.ndarray]:
    """Slices with their rows computed without mlprobe: the groups (the last one is always
    empty), and single-class slices for the first and last class."""
    slices = {Slice(f"g{v}", col("g") == v): case.groups == v for v in range(N_GROUPS + 1)}
    for c in dict.fromkeys([probe.classes[0], probe.classes[-1]]):
        slices[Slice(f"target {c!r}", col("@target") == c)] = case.y_true == c
    return slices


def _rows(frame: pd.DataFrame, probe: mp.Probe, names: list[str]) -> dict[str, pd.Series]:
    """Slice rows of a breakdown by slice name (a single model)."""
    body = frame.iloc[len(probe.models) :]
    assert list(body["slice"]) == names
    return {row["slice"]: row for _, row in body.iterrows()}


def _assert_close(actual: float, expected: float, what: str) -> None:
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=0, err_msg=what)


# --- confusion counts --------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(classification_cases())
def test_confusion_per_slice_matches_sklearn(case: Case) -> None:
    probe = mp.Probe(case.frame, target="y", predictions="p")
    assert probe.classes == sorted(set(case.y_true.tolist()) | set(case.y_pred.tolist()))
    k = len(probe.classes)
    for s, mask in [(None, np.ones(len(case.y_true), bool)), *_slices(case, probe).items()]:
        table = probe.confusion(s)
        assert list(table.index) == probe.classes and list(table.columns) == probe.classes
        expected = np.zeros((k, k), dtype=np.int64)
        if mask.any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "a single label was found"
                expected = skm.confusion_matrix(
                    case.y_true[mask], case.y_pred[mask], labels=probe.classes
                )
        np.testing.assert_array_equal(table.to_numpy(), expected)


# --- metrics from counts -----------------------------------------------------


def _count_metric_names(classes: list[object]) -> list[str]:
    # f1[c] is resampled for its interval, so one class keeps this test fast; every class's
    # F1 is checked on whole tables below
    per_class = [f"{family}[{c}]" for family in ("precision", "recall") for c in classes]
    return [
        "accuracy",
        "error_rate",
        "balanced_accuracy",
        "macro_f1",
        *per_class,
        f"f1[{classes[-1]}]",
    ]


def _sklearn_count_metrics(y_true: np.ndarray, y_pred: np.ndarray, classes: list[object]) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns on classes absent from y_true
        expected = {
            "accuracy": skm.accuracy_score(y_true, y_pred),
            "error_rate": 1 - skm.accuracy_score(y_true, y_pred),
            # averages recall over the classes present in y_true
            "balanced_accuracy": skm.balanced_accuracy_score(y_true, y_pred),
            # default labels: the classes present in y_true or y_pred
            "macro_f1": skm.f1_score(y_true, y_pred, average="macro"),
        }
        # per class, as labels=[c] would give each: one call for all classes
        precision, recall, f1, _ = skm.precision_recall_fscore_support(
            y_true, y_pred, labels=classes, average=None, zero_division=np.nan
        )
    for i, c in enumerate(classes):
        expected[f"precision[{c}]"] = precision[i]
        expected[f"recall[{c}]"] = recall[i]
        expected[f"f1[{c}]"] = f1[i]
    return expected


@settings(max_examples=30, deadline=None)
@given(classification_cases())
def test_count_metrics_per_slice_match_sklearn(case: Case) -> None:
    probe = mp.Probe(case.frame, target="y", predictions="p")
    names = _count_metric_names(probe.classes)
    slices = _slices(case, probe)
    frame = probe.breakdown(slices=list(slices), metrics=names)
    rows = _rows(frame, probe, [s.name for s in slices])
    for s, mask in slices.items():
        row = rows[s.name]
        assert row["n"] == mask.sum()
        if not mask.any():
            assert row[names].isna().all(), "an empty slice has undefined metrics, not 0"
            continue
        expected = _sklearn_count_metrics(case.y_true[mask], case.y_pred[mask], probe.classes)
        for name in names:
            _assert_close(row[name], expected[name], f"{name} on {s.name}")
    overall = frame.iloc[0]
    expected = _sklearn_count_metrics(case.y_true, case.y_pred, probe.classes)
    for name in names:
        _assert_close(overall[name], expected[name], f"{name} overall")


@settings(max_examples=40, deadline=None)
@given(classification_cases())
def test_table_functions_match_sklearn_on_confusion_matrices(case: Case) -> None:
    classes = sorted(set(case.y_true.tolist()) | set(case.y_pred.tolist()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns on single-class and absent classes
        table = skm.confusion_matrix(case.y_true, case.y_pred, labels=classes)
        _assert_close(
            balanced_accuracy(table), skm.balanced_accuracy_score(case.y_true, case.y_pred), "ba"
        )
        _assert_close(
            macro_f1(table), skm.f1_score(case.y_true, case.y_pred, average="macro"), "f1"
        )
        per_class = skm.f1_score(
            case.y_true, case.y_pred, labels=classes, average=None, zero_division=np.nan
        )
    _assert_close(f1_per_class(table), per_class, "f1 per class")
    # vectorized over a leading axis: a stack of tables gives one value each
    stacked = np.stack([table, np.zeros_like(table)])
    np.testing.assert_allclose(macro_f1(stacked), [macro_f1(table), np.nan], rtol=RTOL)


# --- metrics from scores -----------------------------------------------------


@st.composite
def scored_cases(draw: st.DrawFn) -> tuple[Case, np.ndarray]:
    case = draw(classification_cases())
    k = len(set(case.y_true.tolist()) | set(case.y_pred.tolist()))
    n = len(case.y_true)
    # small integer weights: many tied scores, which ROC AUC must rank on average
    weights = np.array(
        draw(st.lists(st.lists(st.integers(1, 6), min_size=k, max_size=k), min_size=n, max_size=n)),
        dtype=np.float64,
    )
    return case, weights / weights.sum(axis=1, keepdims=True)


def _sklearn_auc(y_true: np.ndarray, scores: np.ndarray, classes: list[object]) -> float:
    present = set(y_true.tolist())
    if len(classes) == 2:
        if len(present) < 2:
            return np.nan
        return skm.roc_auc_score(y_true == classes[-1], scores[:, -1])
    if len(present) == len(classes):
        return skm.roc_auc_score(y_true, scores, multi_class="ovr", average="macro", labels=classes)
    # a class missing from the slice: the macro mean over the classes that have an AUC
    aucs = [
        skm.roc_auc_score(y_true == c, scores[:, i])
        for i, c in enumerate(classes)
        if 0 < (y_true == c).sum() < len(y_true)
    ]
    return float(np.mean(aucs)) if aucs else np.nan


def _sklearn_brier(y_true: np.ndarray, scores: np.ndarray, classes: list[object]) -> float:
    if len(classes) == 2:
        return skm.brier_score_loss(y_true, scores[:, -1], pos_label=classes[-1])
    return skm.brier_score_loss(y_true, scores, labels=classes)  # sum over classes


@settings(max_examples=30, deadline=None)
@given(scored_cases())
def test_score_metrics_per_slice_match_sklearn(drawn: tuple[Case, np.ndarray]) -> None:
    case, scores = drawn
    probe = mp.Probe(case.frame, target="y", predictions="p", scores=scores)
    classes = probe.classes
    if len(classes) < 2:
        return  # one class only: there is nothing to score against
    names = ["roc_auc", "log_loss", "brier"]
    slices = _slices(case, probe)
    frame = probe.breakdown(slices=list(slices), metrics=names)
    rows = _rows(frame, probe, [s.name for s in slices])
    for s, mask in [(None, np.ones(len(case.y_true), bool)), *slices.items()]:
        row = frame.iloc[0] if s is None else rows[s.name]
        if not mask.any():
            assert row[names].isna().all()
            continue
        y, p = case.y_true[mask], scores[mask]
        expected = {
            "roc_auc": _sklearn_auc(y, p, classes),
            "log_loss": skm.log_loss(y, p, labels=classes),
            "brier": _sklearn_brier(y, p, classes),
        }
        for name in names:
            _assert_close(row[name], expected[name], f"{name} on {s.name if s else 'overall'}")


def test_binary_roc_auc_uses_the_last_sorted_class_as_positive() -> None:
    frame = pd.DataFrame({"y": ["no", "yes", "no", "yes"], "p": ["no", "yes", "yes", "yes"]})
    scores = np.array([0.2, 0.9, 0.6, 0.4])  # probability of "yes"
    probe = mp.Probe(frame, target="y", predictions="p", scores=scores)
    value = probe.metric("roc_auc")["value"]
    _assert_close(value, skm.roc_auc_score(frame["y"] == "yes", scores), "auc")
    other = skm.roc_auc_score(frame["y"] == "no", 1 - scores)
    _assert_close(probe.metric("roc_auc[no]")["value"], other, "one class vs rest")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 8), st.booleans()), min_size=0, max_size=25),
    st.lists(st.integers(0, 2), min_size=25, max_size=25),
)
def test_grouped_auc_matches_sklearn_per_group(
    pairs: list[tuple[int, bool]], group_of: list[int]
) -> None:
    scores = np.array([s for s, _ in pairs], dtype=np.float64) / 8
    positive = np.array([y for _, y in pairs], dtype=bool)
    groups = np.array(group_of[: len(pairs)], dtype=np.int64)
    order = np.lexsort((scores, groups))
    auc, n_pos, n_neg = grouped_auc(order, groups[order], 3, scores, positive)
    for g in range(3):
        in_group = groups == g
        assert n_pos[g] == positive[in_group].sum()
        assert n_neg[g] == (~positive[in_group]).sum()
        if n_pos[g] and n_neg[g]:
            expected = skm.roc_auc_score(positive[in_group], scores[in_group])
            _assert_close(auc[g], expected, f"group {g}")
        else:
            assert np.isnan(auc[g])


# --- regression --------------------------------------------------------------

# quarters: exactly representable, so sums are exact and constancy is unambiguous
quarters = st.integers(-400, 400).map(lambda i: i / 4)


@st.composite
def regression_cases(draw: st.DrawFn) -> Case:
    n = draw(st.integers(1, 30))
    y_true = np.array(draw(st.lists(quarters, min_size=n, max_size=n)))
    y_pred = np.array(draw(st.lists(quarters, min_size=n, max_size=n)))
    groups = np.array(draw(st.lists(st.integers(0, N_GROUPS - 1), min_size=n, max_size=n)))
    return Case(pd.DataFrame({"g": groups, "y": y_true, "p": y_pred}), y_true, y_pred, groups)


def _sklearn_regression(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    return {
        "mae": skm.mean_absolute_error(y_true, y_pred),
        "mse": skm.mean_squared_error(y_true, y_pred),
        "rmse": np.sqrt(skm.mean_squared_error(y_true, y_pred)),
        "mean_error": float(np.mean(y_pred - y_true)),
        # undefined (NaN) for a constant target, where sklearn would force 0 or 1
        "r2": skm.r2_score(y_true, y_pred) if np.ptp(y_true) > 0 else np.nan,
    }


@settings(max_examples=40, deadline=None)
@given(regression_cases())
def test_regression_metrics_per_slice_match_sklearn(case: Case) -> None:
    probe = mp.Probe(case.frame, target="y", predictions="p", task="regression")
    names = ["mae", "mse", "rmse", "mean_error", "r2"]
    slices = {Slice(f"g{v}", col("g") == v): case.groups == v for v in range(N_GROUPS + 1)}
    frame = probe.breakdown(slices=list(slices), metrics=names)
    rows = _rows(frame, probe, [s.name for s in slices])
    for s, mask in [(None, np.ones(len(case.y_true), bool)), *slices.items()]:
        row = frame.iloc[0] if s is None else rows[s.name]
        assert row["n"] == mask.sum()
        if not mask.any():
            assert row[names].isna().all()
            continue
        expected = _sklearn_regression(case.y_true[mask], case.y_pred[mask])
        for name in names:
            np.testing.assert_allclose(
                row[name], expected[name], rtol=RTOL, atol=1e-12, err_msg=f"{name} on {s}"
            )


@pytest.mark.parametrize("offset", [0.0, 1e3, 1e6])
def test_r2_stays_accurate_for_a_slice_far_from_the_overall_mean(offset: float) -> None:
    # Regression: R2 came from raw power sums about the overall mean, so a slice whose
    # target sat far from it lost its spread to cancellation (r2 off in the 4th digit;
    # -4e9 instead of NaN for a constant slice).
    rng = np.random.default_rng(0)
    near = offset + rng.normal(size=50) * 1e-3
    far = rng.normal(size=50)
    y = np.concatenate([near, far, np.full(20, offset + 0.1)])
    p = y + rng.normal(size=len(y)) * 1e-3
    frame = pd.DataFrame({"g": ["near"] * 50 + ["far"] * 50 + ["flat"] * 20, "y": y, "p": p})
    probe = mp.Probe(frame, target="y", predictions="p")
    table = probe.breakdown(by="g", metrics=["r2"]).set_index("slice")
    np.testing.assert_allclose(
        table.loc["g == 'near'", "r2"], skm.r2_score(near, p[:50]), rtol=1e-6
    )
    np.testing.assert_allclose(
        table.loc["g == 'far'", "r2"], skm.r2_score(far, p[50:100]), rtol=1e-9
    )
    assert np.isnan(table.loc["g == 'flat'", "r2"]), "a constant target has no R2"
    assert np.isnan(table.loc["g == 'flat'", ["r2_ci_low", "r2_ci_high"]]).all()


def test_empty_slice_reports_zero_rows_and_undefined_values() -> None:
    frame = pd.DataFrame({"x": [1, 2, 3, 4], "y": ["a", "b", "a", "b"], "p": ["a", "a", "a", "b"]})
    probe = mp.Probe(frame, target="y", predictions="p", scores=np.full((4, 2), 0.5))
    names = ["accuracy", "balanced_accuracy", "macro_f1", "recall[a]", "roc_auc", "log_loss"]
    row = probe.breakdown(slices=["x > 10"], metrics=names).iloc[1]
    assert row["n"] == 0 and row["share"] == 0
    values = [c for c in row.index if c.startswith(tuple(names)) or c in ("gap", "p_value")]
    assert row[values].isna().all(), row[values]
    assert bool(row["low_support"])


# --- error types (ratios of confusion cells) -----------------------------------


def _sklearn_error_types(y_true: np.ndarray, y_pred: np.ndarray, classes: list[object]) -> dict:
    """fpr, fnr, ... of each class from scikit-learn's one-vs-rest confusion matrices."""
    expected = {}
    per_class = skm.multilabel_confusion_matrix(y_true, y_pred, labels=classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        for c, ((tn, fp), (fn, tp)) in zip(classes, per_class, strict=True):
            expected[f"tpr[{c}]"] = tp / (tp + fn)
            expected[f"fnr[{c}]"] = fn / (tp + fn)
            expected[f"fpr[{c}]"] = fp / (fp + tn)
            expected[f"tnr[{c}]"] = tn / (fp + tn)
            expected[f"npv[{c}]"] = tn / (tn + fn)
            expected[f"selection_rate[{c}]"] = (tp + fp) / len(y_true)
            expected[f"prevalence[{c}]"] = (tp + fn) / len(y_true)
    return expected


ERROR_TYPES = ("tpr", "fnr", "fpr", "tnr", "npv", "selection_rate", "prevalence")


@settings(max_examples=30, deadline=None)
@given(classification_cases())
def test_error_type_metrics_per_slice_match_sklearn(case: Case) -> None:
    probe = mp.Probe(case.frame, target="y", predictions="p")
    names = [f"{family}[{c}]" for family in ERROR_TYPES for c in probe.classes]
    slices = _slices(case, probe)
    frame = probe.breakdown(slices=list(slices), metrics=names)
    rows = _rows(frame, probe, [s.name for s in slices])
    for s, mask in slices.items():
        if not mask.any():
            assert rows[s.name][names].isna().all()
            continue
        expected = _sklearn_error_types(case.y_true[mask], case.y_pred[mask], probe.classes)
        for name in names:
            row = rows[s.name]
            _assert_close(row[name], expected[name], f"{name} on {s.name}")
            if np.isfinite(expected[name]):  # a share of rows: a Wilson interval around it
                assert row[f"{name}_ci_low"] <= row[name] <= row[f"{name}_ci_high"]
            else:
                assert np.isnan(row[f"{name}_ci_low"])
