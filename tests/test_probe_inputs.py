"""Inputs that used to give silently wrong numbers (issue 12): each is now right, or refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.errors import DataError, ValidationError


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    p = np.where(rng.random(400) < 0.82, y, 1 - y)
    score = np.clip(0.5 + (p - 0.5) * rng.uniform(0.2, 0.9, 400), 0, 1)
    return pd.DataFrame({"y": y, "p": p, "score": score, "g": rng.choice(["a", "b"], 400)})


def test_a_shuffled_predictions_series_is_aligned_on_the_index(frame: pd.DataFrame) -> None:
    # Regression: matched by position, a shuffled Series gave accuracy 0.51 instead of 0.82
    truth = mp.Probe(frame, target="y", predictions="p").metric("accuracy")["value"]
    shuffled = frame["p"].sample(frac=1, random_state=1)
    probe = mp.Probe(frame, target="y", predictions=shuffled)
    assert probe.metric("accuracy")["value"] == truth
    target = frame["y"].sample(frac=1, random_state=2)
    assert mp.Probe(frame, target=target, predictions="p").metric("accuracy")["value"] == truth
    # arrays stay positional
    positional = mp.Probe(frame, target="y", predictions=shuffled.to_numpy())
    assert positional.metric("accuracy")["value"] != truth


def test_a_series_with_other_index_labels_is_refused(frame: pd.DataFrame) -> None:
    other = frame["p"].set_axis(frame.index + 1000)
    with pytest.raises(
        DataError, match=r"predictions of 'model'.*matched to the data's rows by index"
    ):
        mp.Probe(frame, target="y", predictions=other)


def test_scores_as_a_shuffled_frame_are_aligned_and_a_column_name_is_accepted(
    frame: pd.DataFrame,
) -> None:
    by_name = mp.Probe(frame, target="y", predictions="p", scores="score")
    two = pd.DataFrame({"0": 1 - frame["score"], "1": frame["score"]}).sample(
        frac=1, random_state=3
    )
    aligned = mp.Probe(frame, target="y", predictions="p", scores=two)
    for metric in ("log_loss", "brier", "roc_auc"):
        assert by_name.metric(metric)["value"] == pytest.approx(aligned.metric(metric)["value"])
    assert "score" not in by_name.find_slices(top_k=3)["slice"].astype(str).str.cat()


def test_scores_that_are_not_probabilities_are_refused(frame: pd.DataFrame) -> None:
    # Regression: scores in [0, 3] gave a log loss of 12.4
    with pytest.raises(DataError, match=r"must lie in \[0, 1\], but score holds 1.8"):
        mp.Probe(
            frame.assign(score=frame["score"] * 3), target="y", predictions="p", scores="score"
        )
    with pytest.raises(DataError, match="missing value"):
        mp.Probe(frame.assign(score=np.nan), target="y", predictions="p", scores="score")
    rows = np.column_stack([frame["score"], frame["score"]])  # rows summing to 2 x score
    with pytest.raises(DataError, match="must sum to 1"):
        mp.Probe(frame, target="y", predictions="p", scores=rows)
    with pytest.raises(DataError, match=r"scores: the columns \['g'\] must hold probabilities"):
        mp.Probe(frame, target="y", predictions="p", scores="g")


def test_labels_that_differ_only_by_type_are_refused(frame: pd.DataFrame) -> None:
    # Regression: text '0'/'1' against integers 0/1 became a 4-class task with accuracy 0.0
    with pytest.raises(ValidationError, match="same values as text and as numbers") as error:
        mp.Probe(frame.assign(y=frame["y"].astype(str)), target="y", predictions="p")
    assert "'0' (str)" in str(error.value) and "0 (int)" in str(error.value)
    with pytest.raises(ValidationError, match="no value in common"):
        mp.Probe(frame.assign(p=frame["p"].map({0: "no", 1: "yes"})), target="y", predictions="p")


def test_a_model_predicting_one_class_the_data_lacks_is_still_allowed() -> None:
    frame = pd.DataFrame({"y": ["cat"] * 5, "p": ["dog"] * 5})
    probe = mp.Probe(frame, target="y", predictions="p")
    assert probe.metric("accuracy")["value"] == 0.0


def test_a_column_mixing_booleans_and_numbers_is_refused_not_merged() -> None:
    # Regression: True and 1 (False and 0) were counted as one value in slices and groups
    values = pd.Series([True, 1, "a", 1.0, False, 0], dtype=object)
    frame = pd.DataFrame({"c": values, "y": [1, 0, 1, 0, 1, 0], "p": [1, 0, 1, 1, 1, 0]})
    probe = mp.Probe(frame, target="y", predictions="p")
    for call in (
        lambda: probe.breakdown(by="c", min_support=0),
        lambda: probe.metric("accuracy", "c == 1"),
    ):
        with pytest.raises(DataError, match="column 'c' holds both booleans and numbers"):
            call()
    text = mp.Probe(frame.assign(c=values.astype(str)), target="y", predictions="p")
    assert list(text.breakdown(by="c", min_support=0)["n"]) == [6, 1, 1, 1, 1, 1, 1]


def test_misleading_messages_now_say_what_is_wrong() -> None:
    frame = pd.DataFrame(
        {
            "d": pd.to_timedelta(np.arange(40), unit="s"),
            "y": np.arange(40) % 2,
            "p": np.arange(40) % 2,
        }
    )
    probe = mp.Probe(frame, target="y", predictions="p")
    with pytest.raises(DataError, match=r"column 'd' holds time durations .*total_seconds"):
        probe.breakdown(by="d")
    with pytest.raises(
        ValidationError, match=r"target: expected one column name .* tuple of 2 names"
    ):
        mp.Probe(frame, target=("y", "p"), predictions="p")


def test_a_column_named_like_a_probe_label_is_refused_everywhere(tmp_path) -> None:
    # Regression: a data column '@target' was unreachable, and engines grouped by it with n = 0
    frame = pd.DataFrame({"@target": [5, 6, 7, 8], "y": [0, 1, 1, 0], "p": [0, 1, 0, 0]})
    with pytest.raises(ValidationError, match=r"the column '@target' has a name mlprobe reserves"):
        mp.Probe(frame, target="y", predictions="p")
    frame.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(ValidationError, match=r"the column '@target' has a name mlprobe reserves"):
        mp.Probe.from_parquet(tmp_path / "t.parquet", target="y", predictions="p")


def test_by_the_label_columns_gives_the_same_groups_on_an_engine(
    frame: pd.DataFrame, tmp_path
) -> None:
    frame.to_parquet(tmp_path / "f.parquet")
    engine = mp.Probe.from_parquet(tmp_path / "f.parquet", target="y", predictions="p")
    memory = mp.Probe(frame, target="y", predictions="p")
    for by in ("@target", "@prediction", ["g", "@target"], "@prediction[model]"):
        columns = ["slice", "n", "accuracy", "accuracy_ci_low", "p_value"]
        got = engine.breakdown(by=by, metrics=["accuracy"], min_support=0)[columns]
        expected = memory.breakdown(by=by, metrics=["accuracy"], min_support=0)[columns]
        pd.testing.assert_frame_equal(got, expected, rtol=1e-9)
