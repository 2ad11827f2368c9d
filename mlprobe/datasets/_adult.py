"""The UCI Adult census income dataset, shipped with the package for offline use."""

from __future__ import annotations

from importlib.resources import files

import pandas as pd

__all__ = ["load_adult"]

_DATA_FILE = "adult.csv.gz"

_INT_COLUMNS = [
    "age",
    "fnlwgt",
    "education_num",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
]
_CATEGORY_COLUMNS = [
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native_country",
]
_INCOME_DTYPE = pd.CategoricalDtype(["<=50K", ">50K"])


def load_adult() -> pd.DataFrame:
    """Load the UCI Adult census income dataset.

    The original training (32,561 rows) and test (16,281 rows) files are
    merged, in that order, into one frame of 48,842 rows. Values were
    stripped of whitespace, ``'?'`` was turned into a missing value and the
    test labels' trailing ``'.'`` was removed. The data is bundled with
    mlprobe, so no network access is needed.

    Returns
    -------
    pandas.DataFrame
        A new frame on every call, with 15 columns: ``age``, ``workclass``,
        ``fnlwgt``, ``education``, ``education_num``, ``marital_status``,
        ``occupation``, ``relationship``, ``race``, ``sex``,
        ``capital_gain``, ``capital_loss``, ``hours_per_week``,
        ``native_country`` and ``income``. Numeric columns are ``int64``;
        the others are unordered ``category`` columns with sorted
        categories. ``income`` has the categories ``['<=50K', '>50K']``.
        ``workclass``, ``occupation`` and ``native_country`` contain
        missing values.

    Notes
    -----
    Becker, B. & Kohavi, R. (1996). Adult [Dataset]. UCI Machine Learning
    Repository. https://doi.org/10.24432/C5XW20. Licensed under CC BY 4.0;
    see ``mlprobe/datasets/data/ADULT-LICENSE.txt``.

    Examples
    --------
    >>> from mlprobe.datasets import load_adult
    >>> df = load_adult()
    >>> df.shape
    (48842, 15)
    >>> df["income"].value_counts().to_dict()
    {'<=50K': 37155, '>50K': 11687}
    >>> df[["workclass", "occupation", "native_country"]].isna().sum().to_dict()
    {'workclass': 2799, 'occupation': 2809, 'native_country': 857}
    """
    source = files("mlprobe.datasets") / "data" / _DATA_FILE
    with source.open("rb") as fh:
        df = pd.read_csv(
            fh,
            compression="gzip",
            dtype={col: "int64" for col in _INT_COLUMNS},
            keep_default_na=False,
            na_values=[""],
        )
    for col in _CATEGORY_COLUMNS:
        df[col] = df[col].astype("category")
    df["income"] = df["income"].astype(_INCOME_DTYPE)
    return df
