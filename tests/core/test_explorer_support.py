"""Core pieces behind the explorer: column profiles, row samples, the mask cache, bit-plane counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlprobe as mp
from mlprobe.core.analyses._row_sample import sample_rows
from mlprobe.core.analyses.profiles import profile_column
from mlprobe.core.counting.grouping import MaskSet
from mlprobe.core.slicing._bitplanes import counts_in_planes, key_planes, pack_rows
from mlprobe.core.slicing._encoding import encode_column
from mlprobe.core.slicing._mask_cache import MaskCache
from mlprobe.errors import DataError

# --- bit planes ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 300),
    width=st.integers(1, 9),
    n_masks=st.integers(0, 4),
    seed=st.integers(0, 2**16),
)
def test_plane_counts_equal_bincount_of_the_selected_rows(
    n: int, width: int, n_masks: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, width, n).astype(np.uint8)
    masks = [rng.random(n) < rng.random() for _ in range(n_masks)]
    planes = key_planes(keys, width)
    assert planes is not None
    by_planes = MaskSet(masks).count_planes(planes)
    by_bincount = MaskSet(masks).count(keys, width)
    assert np.array_equal(by_planes, by_bincount)
    for mask, row in zip(masks, by_planes, strict=True):
        assert np.array_equal(row, np.bincount(keys[mask], minlength=width))


def test_packing_pads_to_whole_words() -> None:
    mask = np.ones(70, dtype=bool)
    packed = pack_rows(mask)
    assert packed.dtype == np.uint64 and len(packed) == 2
    assert counts_in_planes(packed, pack_rows(mask)[None, :]).tolist() == [70]


def test_planes_are_skipped_when_they_would_not_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    import mlprobe.core.slicing._bitplanes as bitplanes

    monkeypatch.setattr(bitplanes, "MAX_PLANE_BYTES", 100)
    assert bitplanes.key_planes(np.zeros(10_000, dtype=np.uint8), 4) is None


# --- mask cache ------------------------------------------------------------------------------


def test_mask_cache_drops_the_least_recently_used_first() -> None:
    cache = MaskCache(max_bytes=20)
    for key in "abc":
        cache.get(key, lambda: np.zeros(8, dtype=bool))
    assert len(cache) == 2 and cache.nbytes == 16  # 'a' dropped
    cache.get("b", lambda: pytest.fail("b is cached"))
    cache.get("d", lambda: np.zeros(8, dtype=bool))  # drops 'c', the least recently used
    cache.get("b", lambda: pytest.fail("b is still cached"))
    big = cache.get("huge", lambda: np.zeros(100, dtype=bool))  # larger than the bound: not kept
    assert len(big) == 100 and len(cache) == 2


def test_probe_masks_are_cached_but_callers_get_their_own_copy() -> None:
    frame = pd.DataFrame({"x": [1, 2, 3], "y": [0, 1, 1]})
    probe = mp.Probe(frame, target="y", predictions=[0, 1, 0])
    first = probe.mask("x >= 2")
    first[:] = False  # the caller's array; the cached one is untouched
    assert probe.mask("x >= 2").tolist() == [False, True, True]
    assert probe.breakdown(slices=["x >= 2"], metrics=["accuracy"])["n"].tolist() == [3, 2]
    assert probe.nbytes() >= probe._backend._mask_cache.nbytes > 0  # type: ignore[attr-defined]
    # 1 and True are equal in Python: a column holding both is refused, not sliced
    mixed = pd.DataFrame({"v": [1, True, 0], "y": [0, 1, 1]})
    probe = mp.Probe(mixed.astype({"v": object}), target="y", predictions=[0, 1, 1])
    with pytest.raises(DataError, match="holds both booleans and numbers"):
        probe.mask(mp.col("v") == 1)


def test_a_mask_without_prediction_needs_no_model_name() -> None:
    frame = pd.DataFrame({"g": ["a", "b"], "y": [1, 0]})
    probe = mp.Probe(frame, target="y", predictions={"v1": [1, 1], "v2": [0, 0]})
    assert probe.mask("g == 'a'").tolist() == [True, False]
    with pytest.raises(mp.ValidationError, match="several models"):
        probe.mask("@prediction == 1")
    assert probe.mask("@prediction == 1", model="v1").tolist() == [True, True]
    assert probe.mask("@prediction == 1", model="v2").tolist() == [False, False]


# --- profiles --------------------------------------------------------------------------------


def test_profile_of_a_category_counts_levels_most_frequent_first() -> None:
    series = pd.Series(["b", "a", "b", None, "c", "b", "a"])
    profile = profile_column(encode_column(series, name="g"))
    assert profile.kind == "categorical"
    assert profile.levels == [("b", 3), ("a", 2), ("c", 1)]
    assert (profile.n_rows, profile.n_missing, profile.n_levels) == (7, 1, 3)


def test_profile_of_numbers_and_datetimes_gives_their_range() -> None:
    numbers = profile_column(encode_column(pd.Series([3.0, np.nan, -1.5]), name="x"))
    assert (numbers.kind, numbers.minimum, numbers.maximum, numbers.n_missing) == (
        "numeric",
        -1.5,
        3.0,
        1,
    )
    assert isinstance(numbers.minimum, float)
    empty = profile_column(encode_column(pd.Series([np.nan, np.nan]), name="x"))
    assert empty.minimum is None and empty.maximum is None
    when = pd.Series(
        pd.to_datetime(["2024-01-02 10:00", "2024-03-01 08:00"]).tz_localize("Europe/Paris")
    )
    dates = profile_column(encode_column(when, name="t"))
    assert dates.kind == "datetime"
    assert dates.minimum == when.min() and dates.maximum == when.max()
    assert str(dates.minimum.tz) == "Europe/Paris"


def test_probe_describes_data_and_output_columns() -> None:
    frame = pd.DataFrame({"g": ["a", "b", "b"], "y": ["x", "y", "y"]})
    probe = mp.Probe(frame, target="y", predictions=["x", "x", "y"])
    assert probe.columns == ["g", "y", "@target", "@prediction", "@prediction[model]"]
    assert probe.describe_column("@prediction").levels == [("x", 2), ("y", 1)]
    assert probe.describe_column("@target").levels == [("y", 2), ("x", 1)]
    with pytest.raises(mp.ColumnNotFoundError, match="Did you mean 'g'"):
        probe.describe_column("gg")
    several = mp.Probe(frame, target="y", predictions={"a": "y", "b": "y"})
    assert "@prediction" not in several.columns
    with pytest.raises(mp.ValidationError, match="differs between the models"):
        several.describe_column("@prediction")
    assert probe.target_name == "y"
    assert mp.Probe(frame, target=frame["y"].to_numpy(), predictions="y").target_name is None


def test_available_metrics_need_scores_for_score_metrics() -> None:
    frame = pd.DataFrame({"y": [0, 1, 1, 0]})
    without = mp.Probe(frame, target="y", predictions=[0, 1, 0, 0])
    assert "accuracy" in without.available_metrics()
    assert "roc_auc" not in without.available_metrics()
    with_scores = mp.Probe(frame, target="y", predictions=[0, 1, 0, 0], scores=[0.1, 0.9, 0.4, 0.2])
    assert "roc_auc" in with_scores.available_metrics()
    assert "recall[1]" in with_scores.available_metrics()


def test_groups_are_the_slices_of_a_group_by() -> None:
    frame = pd.DataFrame({"g": ["a", "b", "a"], "x": [1.0, 5.0, 9.0], "y": [1, 0, 1]})
    probe = mp.Probe(frame, target="y", predictions=[1, 1, 1])
    table = probe.breakdown(by="x", bins=2, metrics=["accuracy"])
    assert [s.name for s in probe.groups("x", bins=2)] == table["slice"].tolist()[1:]
    assert [s.name for s in probe.groups(["g"])] == ["g == 'a'", "g == 'b'"]


# --- row samples -----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 60), k=st.integers(0, 70), seed=st.integers(0, 999), ranked=st.booleans())
def test_a_sample_takes_errors_first_then_right_rows_all_in_the_slice(
    n: int, k: int, seed: int, ranked: bool
) -> None:
    rng = np.random.default_rng(seed)
    in_slice = rng.random(n) < 0.6
    wrong = rng.random(n) < 0.3
    rank = rng.random(n) if ranked else None
    rows = sample_rows(in_slice, wrong, n=k, rank=rank, seed=seed)
    assert len(rows) == min(k, int(in_slice.sum()))
    assert len(set(rows.tolist())) == len(rows) and in_slice[rows].all()
    n_errors = int(wrong[rows].sum())
    assert not wrong[rows][n_errors:].any()  # errors form the head
    assert n_errors == min(k, int((in_slice & wrong).sum()))
    if ranked and n_errors > 1:
        head = rank[rows[:n_errors]]
        assert (np.diff(head) <= 0).all()  # the most confident mistakes lead
        left_out = in_slice & wrong
        left_out[rows] = False
        if left_out.any():  # and no error left out outranks one taken
            assert head.min() >= rank[left_out].max()
    assert np.array_equal(rows, sample_rows(in_slice, wrong, n=k, rank=rank, seed=seed))


def test_rows_shows_outputs_in_front_with_the_original_index() -> None:
    frame = pd.DataFrame(
        {"g": ["a", "a", "a", "b"], "y": ["no", "yes", "yes", "no"]}, index=[10, 11, 12, 13]
    )
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    probe = mp.Probe(frame, target="y", predictions=["no", "yes", "no", "yes"], scores=scores)
    rows = probe.rows("g == 'a'", n=2)
    assert rows.index.tolist() == [12, 10]  # the error first, then the right row with the top score
    assert list(rows.columns[:4]) == ["@target", "@prediction", "@correct", "@score"]
    assert rows["@score"].tolist() == [0.6, 0.9]
    assert frame.columns.tolist() == ["g", "y"]  # the user's frame is untouched
    assert probe.rows(n=0).empty
    with pytest.raises(mp.ValidationError, match="n: expected a whole number"):
        probe.rows(n=-1)


def test_regression_rows_come_largest_error_first() -> None:
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0]})
    probe = mp.Probe(frame, target="y", predictions=[1.5, 2.0, 0.0, 4.2])
    rows = probe.rows(n=3)
    assert rows["@error"].tolist() == pytest.approx([-3.0, 0.5, 0.2])
