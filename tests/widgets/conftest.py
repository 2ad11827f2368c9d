"""Probes on the bundled Adult data for the explorer's tests (no browser: values set from Python)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.datasets import load_adult


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    return load_adult()


def _rule_predictions(frame: pd.DataFrame, seed: int, noise: float) -> np.ndarray:
    """A plausible, imperfect classifier: a rule plus seeded noise (no training, fast)."""
    rich = (frame["education_num"] >= 13) & (frame["age"] >= 30) & (frame["hours_per_week"] >= 40)
    rng = np.random.default_rng(seed)
    flip = rng.random(len(frame)) < noise
    return np.where(rich ^ flip, ">50K", "<=50K")


@pytest.fixture(scope="session")
def adult_probe(adult: pd.DataFrame) -> mp.Probe:
    """One model with scores (probability of the predicted class varies by row)."""
    predictions = _rule_predictions(adult, 0, 0.05)
    rng = np.random.default_rng(1)
    p_rich = np.clip(
        np.where(predictions == ">50K", 0.75, 0.25) + rng.normal(0, 0.1, len(adult)), 0.01, 0.99
    )
    scores = np.column_stack([1 - p_rich, p_rich])
    return mp.Probe(adult, target="income", predictions=predictions, scores=scores)


@pytest.fixture(scope="session")
def two_model_probe(adult: pd.DataFrame) -> mp.Probe:
    return mp.Probe(
        adult,
        target="income",
        predictions={
            "v1": _rule_predictions(adult, 0, 0.05),
            "v2": _rule_predictions(adult, 2, 0.15),
        },
    )


@pytest.fixture(scope="session")
def regression_probe(adult: pd.DataFrame) -> mp.Probe:
    rng = np.random.default_rng(3)
    hours = adult["hours_per_week"].astype(float)
    predicted = 40 + 0.1 * (adult["age"] - 40) + rng.normal(0, 5, len(adult))
    frame = adult.drop(columns=["income"]).assign(hours=hours)
    return mp.Probe(frame, target="hours", predictions=predicted.to_numpy())
