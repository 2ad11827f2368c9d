"""``by=`` grouping: one code per row, and a slice per group that selects exactly its rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlprobe import Slice
from mlprobe.core.counting.grouping import MaskSet, Partition
from mlprobe.core.slicing._encoding import EncodedTable
from mlprobe.core.slicing.groups import DEFAULT_BINS, MAX_VALUE_GROUPS, group_by
from mlprobe.core.statistics._sorted_scores import SortedScores
from mlprobe.errors import ColumnNotFoundError, ValidationError


def _check_partition(frame: pd.DataFrame, by: list[str], bins: object = None) -> list[str]:
    """Group, then check each group's slice text parses back to exactly the group's rows."""
    partition, slices = group_by(EncodedTable(frame), by, bins)  # type: ignore[arg-type]
    assert partition.n_groups == len(slices)
    sizes = partition.sizes()
    assert (sizes > 0).all(), "groups with no rows are left out"
    assert sizes.sum() == len(frame), "every row is in exactly one group"
    for code, s in enumerate(slices):
        reparsed = Slice.parse(s.name)
        assert reparsed.predicate == s.predicate
        np.testing.assert_array_equal(reparsed.mask(frame), partition.codes == code, s.name)
    return [s.name for s in slices]


# a small table with a missing value in every kind of column
FRAME = pd.DataFrame(
    {
        "sex": ["F", "M", None, "F", "M", "F"],
        "race": pd.Categorical(["b", "a", "a", "b", "a", None]),
        "age": [20.0, 35.0, 50.0, np.nan, 65.0, 80.0],
        "kids": [0, 1, 2, 0, 1, 3],
        "member": pd.array([True, None, False, True, False, True], dtype="boolean"),
    }
)


def test_text_column_groups_by_value_with_a_null_group_last() -> None:
    names = _check_partition(FRAME, ["sex"])
    assert names == ["sex == 'F'", "sex == 'M'", "sex is null"]


def test_bool_and_category_columns_group_by_level() -> None:
    assert _check_partition(FRAME, ["member"]) == [
        "member == false",
        "member == true",
        "member is null",
    ]
    assert _check_partition(FRAME, ["race"]) == ["race == 'a'", "race == 'b'", "race is null"]


def test_numeric_column_with_few_values_groups_by_value() -> None:
    assert _check_partition(FRAME, ["kids"]) == ["kids == 0", "kids == 1", "kids == 2", "kids == 3"]


def test_numeric_bins_from_cut_points_and_from_a_count() -> None:
    assert _check_partition(FRAME, ["age"], [30, 60]) == [
        "age < 30",
        "age >= 30 and age < 60",
        "age >= 60",
        "age is null",
    ]
    # cut points beyond the data leave their empty bins out
    assert _check_partition(FRAME, ["age"], [0, 100]) == ["age >= 0 and age < 100", "age is null"]
    names = _check_partition(FRAME, ["age"], 2)
    assert len(names) == 3 and names[-1] == "age is null"


def test_crossed_columns_keep_only_combinations_that_occur() -> None:
    names = _check_partition(FRAME, ["sex", "kids"])
    assert len(names) == FRAME.groupby(["sex", "kids"], dropna=False).ngroups == 4
    assert names[0] == "sex == 'F' and kids == 0"
    assert "sex is null and kids == 2" in names


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from(["x", "y", "it's", ""])),
            st.one_of(st.none(), st.floats(-1e3, 1e3, allow_subnormal=False)),
            st.integers(0, 40),
        ),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from([None, 1, 2, 3, DEFAULT_BINS]),
)
def test_any_grouping_round_trips_through_its_slice_names(
    rows: list[tuple], bins: int | None
) -> None:
    frame = pd.DataFrame(rows, columns=["s", "x", "n"]).astype({"s": object})
    _check_partition(frame, ["x"], bins)
    _check_partition(frame, ["n"], bins)
    _check_partition(frame, ["s", "x"], bins)


def test_many_distinct_numbers_get_quantile_bins_by_default() -> None:
    frame = pd.DataFrame({"x": np.arange(100) / 7})
    names = _check_partition(frame, ["x"])
    assert len(np.unique(frame["x"])) > MAX_VALUE_GROUPS
    assert len(names) == DEFAULT_BINS


def test_quantile_bins_of_a_narrow_range_stay_apart() -> None:
    # Regression: cut points were rounded to 3 significant digits, so values 1000.5 .. 1000.9
    # got one cut at 1000.0 (dropped, below the minimum) and bins=5 gave a single group.
    frame = pd.DataFrame({"price": 1000.5 + np.arange(100) * 0.004})
    names = _check_partition(frame, ["price"], 5)
    assert len(names) == 5, names
    partition, _ = group_by(EncodedTable(frame), ["price"], 5)
    assert partition.sizes().tolist() == [20, 20, 20, 20, 20]
    # short cut points where they suffice
    wide = pd.DataFrame({"z": np.linspace(0, 1, 101) * 1e-4})
    assert all(len(n) < 40 for n in _check_partition(wide, ["z"], 4))


def test_one_bin_is_every_present_row() -> None:
    assert _check_partition(FRAME, ["age"], 1) == ["age is not null", "age is null"]


@pytest.mark.parametrize(
    ("by", "bins", "error", "message"),
    [
        ([], None, ValidationError, "name at least one column"),
        (
            ["agee"],
            None,
            ColumnNotFoundError,
            r"by column 'agee' is not in the data. Did you mean 'age'\?",
        ),
        (["age"], 0, ValidationError, "at least 1 bin"),
        (["age"], [60, 30], ValidationError, "must increase strictly"),
        (["age"], ["a"], ValidationError, "cut points must be numbers"),
        (["age"], 2.5, ValidationError, "a number of bins or a list of cut points"),
        (["when"], None, ValidationError, "holds datetimes"),
        (["coded"], 3, ValidationError, "is categorical, so it is grouped by level"),
    ],
)
def test_bad_groupings_are_clear_errors(
    by: list[str], bins: object, error: type, message: str
) -> None:
    frame = FRAME.assign(
        when=pd.to_datetime(["2020-01-01"] * len(FRAME)),
        coded=pd.Categorical([1, 2, 1, 2, 1, 2]),
    )
    with pytest.raises(error, match=message):
        group_by(EncodedTable(frame), by, bins)  # type: ignore[arg-type]


# --- Partition and MaskSet count alike ------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(-50, 50)), max_size=40),
)
def test_partition_and_mask_set_give_the_same_statistics(rows: list[tuple[int, int, int]]) -> None:
    codes = np.array([r[0] for r in rows], dtype=np.int64)
    keys = np.array([r[1] for r in rows], dtype=np.int64)
    values = np.array([r[2] for r in rows], dtype=np.float64) / 4
    partition = Partition(codes, 4)
    masks = MaskSet(partition.masks())
    np.testing.assert_array_equal(partition.count(keys, 5), masks.count(keys, 5))
    np.testing.assert_array_equal(partition.sizes(), masks.sizes())
    np.testing.assert_allclose(partition.sum(values), masks.sum(values), rtol=1e-12)
    centers = np.array([0.5, -1.0, 2.0, 0.0])
    spread_p = partition.sum_about(values, centers, lambda d, rows: d**2)
    spread_m = masks.sum_about(values, centers, lambda d, rows: d**2 * keys[rows])
    expected_m = [
        ((values[codes == g] - centers[g]) ** 2 * keys[codes == g]).sum() for g in range(4)
    ]
    expected_p = [((values[codes == g] - centers[g]) ** 2).sum() for g in range(4)]
    np.testing.assert_allclose(spread_p, expected_p, rtol=1e-12)
    np.testing.assert_allclose(spread_m, expected_m, rtol=1e-12)
    totals = SortedScores.of(values, keys >= 2).totals()
    for got, want in zip(partition.split_ranks(totals), masks.split_ranks(totals), strict=True):
        for name in ("twice_u", "n_positive", "n_negative", "positive_squares", "negative_squares"):
            np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-12)


def test_a_rest_s_sum_keeps_its_digits_when_the_slice_holds_nearly_all_of_it() -> None:
    """All rows' sum minus a slice's loses the rest's digits when the slice holds almost all
    of a heavy-tailed sum (8th powers of a few huge errors): the rest is then summed itself."""
    import mlprobe as mp
    from mlprobe.core.counting._group_stats import GroupStats
    from mlprobe.core.counting._row_terms import RowTerm

    rng = np.random.default_rng(3)
    y = rng.normal(size=2_000)
    p = y + rng.normal(size=2_000)
    p[:5] += 1e4  # five huge errors, all in the slice below
    probe = mp.Probe(pd.DataFrame({"y": y, "p": p}), target="y", predictions="p")
    arrays = probe._backend.arrays("model")
    in_slice = np.arange(2_000) < 50
    stats = GroupStats(MaskSet([in_slice]), arrays)
    term = RowTerm("squared_error", 4)
    values = (arrays.error**2) ** 4
    rest = stats.rest().sum(term, lambda: values)
    assert rest[0] == pytest.approx(values[~in_slice].sum(), rel=1e-9)
    assert (values.sum() - values[in_slice].sum()) != pytest.approx(rest[0], rel=1e-3)  # lost
