"""Tests for the bundled UCI Adult dataset."""

from __future__ import annotations

import gzip
from importlib.resources import files

import pandas as pd
import pytest

from mlprobe.datasets import load_adult

COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]
INT_COLUMNS = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
CATEGORY_COLUMNS = [c for c in COLUMNS if c not in INT_COLUMNS]


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    return load_adult()


def test_shape_and_columns(adult: pd.DataFrame) -> None:
    assert adult.shape == (48842, 15)
    assert list(adult.columns) == COLUMNS
    assert isinstance(adult.index, pd.RangeIndex)


def test_integer_dtypes(adult: pd.DataFrame) -> None:
    for col in INT_COLUMNS:
        assert adult[col].dtype == "int64", col


def test_category_dtypes_have_sorted_categories(adult: pd.DataFrame) -> None:
    for col in CATEGORY_COLUMNS:
        dtype = adult[col].dtype
        assert isinstance(dtype, pd.CategoricalDtype), col
        assert not dtype.ordered, col
        cats = list(dtype.categories)
        assert cats == sorted(cats), col
        assert all(c == c.strip() and c != "?" for c in cats), col


def test_income_categories_and_counts(adult: pd.DataFrame) -> None:
    assert list(adult["income"].cat.categories) == ["<=50K", ">50K"]
    assert adult["income"].value_counts().to_dict() == {"<=50K": 37155, ">50K": 11687}
    assert adult["income"].notna().all()


def test_missing_values(adult: pd.DataFrame) -> None:
    missing = adult.isna().sum()
    assert missing.to_dict() == {
        col: {"workclass": 2799, "occupation": 2809, "native_country": 857}.get(col, 0)
        for col in COLUMNS
    }


def test_train_then_test_order(adult: pd.DataFrame) -> None:
    cols = ["age", "workclass", "fnlwgt", "relationship", "race", "income"]
    expected = {
        0: [39, "State-gov", 77516, "Not-in-family", "White", "<=50K"],  # first of adult.data
        32560: [52, "Self-emp-inc", 287927, "Wife", "White", ">50K"],  # last of adult.data
        32561: [25, "Private", 226802, "Own-child", "Black", "<=50K"],  # first of adult.test
        48841: [35, "Self-emp-inc", 182148, "Husband", "White", ">50K"],  # last of adult.test
    }
    for row, values in expected.items():
        assert adult.iloc[row][cols].tolist() == values, row


def test_calls_return_independent_frames() -> None:
    first = load_adult()
    first.loc[0, "age"] = -1
    first["workclass"] = first["workclass"].cat.add_categories(["changed"])
    first.loc[1, "workclass"] = "changed"
    del first["income"]

    second = load_adult()
    assert second is not first
    assert second.shape == (48842, 15)
    assert second.loc[0, "age"] == 39
    assert second.loc[1, "workclass"] == "Self-emp-not-inc"
    assert "changed" not in second["workclass"].cat.categories


def test_data_file_is_deterministic_gzip() -> None:
    raw = (files("mlprobe.datasets") / "data" / "adult.csv.gz").read_bytes()
    assert len(raw) < 1_000_000
    assert raw[:2] == b"\x1f\x8b"
    assert raw[4:8] == b"\x00\x00\x00\x00"  # gzip mtime field is zero
    text = gzip.decompress(raw).decode("ascii")
    lines = text.splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert len(lines) == 48842 + 1
    assert "?" not in text
