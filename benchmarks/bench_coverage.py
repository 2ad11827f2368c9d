"""Simulations of mlprobe's statistics: interval coverage, null false discoveries, power.

Run from the repository root::

    python benchmarks/bench_coverage.py               # everything, ~6.5 min on 2 cores (< 20 min)
    python benchmarks/bench_coverage.py --quick       # a small run, ~1 min (< 2 min)
    python benchmarks/bench_coverage.py --out coverage.md
    python benchmarks/bench_coverage.py --only coverage,power

Everything goes through the public API (``import mlprobe as mp``), and every
number is seeded, so a run is reproducible and each piece is importable
(``tests/test_statistics_simulation.py`` runs a reduced version in CI):

a. :func:`coverage_table` -- how often a slice's interval covers the true
   value, by metric x slice size x generator. One table of ``reps * n`` rows
   gets a column ``sim`` with ``reps`` categorical labels of ``n`` rows each
   (the generators draw rows independently, so each label is an independent
   slice of ``n`` rows), and one ``probe.breakdown(by="sim", min_support=0)``
   gives ``reps`` intervals at once. The truth is the metric on a large
   population from the same generator, computed with scikit-learn.
b. :func:`null_breakdown_rate` -- ``probe.breakdown(by=[c1, c2, c3])`` on
   5,000 rows whose errors are independent of every column: how often any
   slice gets a q-value below 0.05 (every such slice is a false discovery).
c. :func:`null_compare_rate` -- ``probe.compare("a", "b", by=[c1, c2])`` on two
   exchangeable models: how often any slice gets "improved" or "regressed";
   with ``effect > 0``, a planted improvement and how often it is found.
d. :func:`null_find_slices_rate` -- ``probe.find_slices`` on null data: how
   often its result holds a slice with a q-value below 0.05, with each ranking
   (``rank_by``) and otherwise its defaults (folding, ``max_share=0.5``).
e. :func:`power` -- a planted gap between a 5,000-row slice and the rest
   (15,000 rows): how often the breakdown's q-value finds it.
f. :func:`disparity_coverage` -- ``probe.disparity("group", metric,
   min_support=0)`` on R simulated datasets of G groups (:func:`disparity_frame`:
   the true FPR or selection rate of every group is known, all alike or one
   group 0.10 higher): coverage of the intervals of the difference (max - min
   over the groups) and of the ratio, their widths, the rejection rate of
   ``p_value < 0.05`` (type-I error when the groups are alike, power
   otherwise), and for contrast the coverage of the naive interval: the MOVER
   (Newcombe) interval of the two observed extremes, from their own Wilson
   intervals in ``attrs["groups"]``.

The error-type metrics (``fpr``, ``fnr``, ``npv``, ``selection_rate``: on a
binary probe, of the positive class) are in the binary generators' coverage
tables, and ``fpr`` in the null breakdowns.

Coverage columns: ``coverage`` is the share of defined intervals that hold the
truth; ``below`` the share lying entirely below it (``high < truth``),
``above`` entirely above it (``low > truth``), so the three add up to 1.
``nan`` is the share of slices whose interval is NaN (neither covered nor
missed), ``width`` the mean width of the defined intervals, ``mc_sd`` the Monte
Carlo standard deviation ``sqrt(p (1 - p) / R)`` of the coverage, R the
defined intervals. ``flag`` marks coverage outside the design's band of the
nominal level +/- 1.5 points (DESIGN.md: 93.5-96.5% at 95%): "LOW" / "HIGH"
when it is outside by more than 2 Monte Carlo sd, "low" / "high" when that
could be Monte Carlo noise.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import expit, softmax
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

import mlprobe as mp

__all__ = [
    "SCENARIOS",
    "Scenario",
    "binary_balanced",
    "binary_imbalanced",
    "coverage_table",
    "disparity_coverage",
    "disparity_frame",
    "markdown_table",
    "multiclass_four",
    "null_breakdown_rate",
    "null_compare_rate",
    "null_find_slices_rate",
    "population_truth",
    "power",
    "regression_normal",
    "regression_skewed",
]

Task = Literal["binary", "multiclass", "regression"]
FrameGenerator = Callable[[np.random.Generator, int], pd.DataFrame]

#: Slice sizes of the coverage tables.
SIZES = (30, 100, 1000)
#: The design's tolerance around the nominal level (93.5-96.5% at 95%).
BAND = 0.015
#: Rows of the population the true values are computed on.
POPULATION = 2_000_000
#: A q-value (p-value) under this level counts as a discovery.
LEVEL = 0.05

# --- generators -------------------------------------------------------------------------

#: The three categorical feature columns every generator adds: levels and their shares.
#: Crossed, they give 4 x 4 x 6 = 96 groups, the rarest expected at 0.15% of the rows.
FEATURES: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "c1": (("a", "b", "c", "d"), (0.4, 0.3, 0.2, 0.1)),
    "c2": (("w", "x", "y", "z"), (0.5, 0.3, 0.15, 0.05)),
    "c3": (("k0", "k1", "k2", "k3", "k4", "k5"), (0.3, 0.25, 0.2, 0.15, 0.07, 0.03)),
}
MULTICLASS_SHARES = (0.4, 0.3, 0.2, 0.1)


def _features(rng: np.random.Generator, n: int) -> dict[str, pd.Categorical[str]]:
    """The categorical columns c1, c2, c3, drawn independently of everything else."""
    return {
        name: pd.Categorical.from_codes(
            rng.choice(len(levels), size=n, p=shares), categories=pd.Index(levels)
        )
        for name, (levels, shares) in FEATURES.items()
    }


def _score_columns(classes: Sequence[int]) -> list[str]:
    return [f"score_{c}" for c in classes]


def _binary_frame(
    rng: np.random.Generator, n: int, intercept: float, threshold: float
) -> pd.DataFrame:
    """A logistic model: ``P(y = 1 | x) = expit(intercept + 2.3 x)``, scored by that probability."""
    x = rng.standard_normal(n)
    probability = expit(intercept + 2.3 * x)
    y = (rng.random(n) < probability).astype(np.int64)
    return pd.DataFrame(
        {
            "target": y,
            "prediction": (probability > threshold).astype(np.int64),
            "score_0": 1 - probability,
            "score_1": probability,
            **_features(rng, n),
        }
    )


def binary_balanced(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Binary, P(y = 1) = 0.5; calibrated logistic scores predicted at 0.5 (~80% right, AUC 0.88).

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Rows, drawn independently.

    Returns
    -------
    pandas.DataFrame
        ``target`` and ``prediction`` (0 or 1), ``score_0`` and ``score_1``
        (class probabilities), and the categorical columns ``c1``, ``c2``, ``c3``.
    """
    return _binary_frame(rng, n, intercept=0.0, threshold=0.5)


def binary_imbalanced(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Binary, P(y = 1) = 0.10; predicted at 0.25 (~90% accurate, recall 0.63, precision 0.50).

    Parameters and columns as :func:`binary_balanced`.
    """
    return _binary_frame(rng, n, intercept=-3.7, threshold=0.25)


def multiclass_four(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Four classes 0..3 with shares 0.4/0.3/0.2/0.1; per-class recall ~0.92/0.86/0.74/0.52.

    Logits are ``log(share) + 2 [class == y] + N(0, 1)`` per class; the scores
    are their softmax and the prediction their argmax (~83% accurate).

    Returns
    -------
    pandas.DataFrame
        ``target``, ``prediction``, ``score_0`` .. ``score_3``, ``c1``, ``c2``, ``c3``.
    """
    shares = np.asarray(MULTICLASS_SHARES)
    y = rng.choice(len(shares), size=n, p=shares)
    logits = np.log(shares) + rng.standard_normal((n, len(shares)))
    logits[np.arange(n), y] += 2.0
    scores = softmax(logits, axis=1)
    frame = pd.DataFrame(
        {"target": y, "prediction": logits.argmax(axis=1)}
        | dict(zip(_score_columns(range(len(shares))), scores.T, strict=True))
    )
    return frame.assign(**_features(rng, n))


def regression_normal(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """``y = 2 + 1.5 x + N(0, 1)``, predicted by ``2.2 + 1.4 x``: normal errors, R² ~0.68.

    Returns
    -------
    pandas.DataFrame
        ``target``, ``prediction`` (floats), ``c1``, ``c2``, ``c3``.
    """
    x = rng.standard_normal(n)
    y = 2 + 1.5 * x + rng.standard_normal(n)
    return pd.DataFrame({"target": y, "prediction": 2.2 + 1.4 * x, **_features(rng, n)})


def regression_skewed(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """A lognormal target, ``log y = 1 + 0.5 x + N(0, 0.6²)``, predicted by ``exp(1.1 + 0.4 x)``.

    The prediction is a shrunk log-linear fit, so the residuals ``y - prediction``
    are right-skewed (skewness ~3.9) and heavy-tailed; R² ~0.29.

    Returns
    -------
    pandas.DataFrame
        ``target``, ``prediction`` (floats), ``c1``, ``c2``, ``c3``.
    """
    x = rng.standard_normal(n)
    y = np.exp(1 + 0.5 * x + 0.6 * rng.standard_normal(n))
    return pd.DataFrame({"target": y, "prediction": np.exp(1.1 + 0.4 * x), **_features(rng, n)})


@dataclass(frozen=True)
class Scenario:
    """A generator, its task and class labels, and the metrics simulated on it.

    Attributes
    ----------
    name : str
        Short name used in tables and test ids.
    generate : callable
        ``generate(rng, n) -> DataFrame`` with ``target``, ``prediction``,
        score columns ``score_<class>`` (classification) and ``c1``, ``c2``, ``c3``.
    task : {"binary", "multiclass", "regression"}
    metrics : tuple of str
        Metrics of its coverage table.
    classes : tuple of int
        Class labels (empty for regression).
    min_class_share : float
        Share of the rarest class (1 for regression); a slice of ``n`` rows
        lacks it with probability ``(1 - min_class_share) ** n``.
    min_size : int
        Smallest slice size the design's coverage target applies to.
    """

    name: str
    generate: FrameGenerator
    task: Task
    metrics: tuple[str, ...]
    classes: tuple[int, ...] = ()
    min_class_share: float = 1.0
    min_size: int = 30

    @property
    def score_columns(self) -> list[str] | None:
        """Names of the probability columns, one per class (None for regression)."""
        return _score_columns(self.classes) if self.classes else None

    @property
    def anchor(self) -> str:
        """A cheap metric put first in a breakdown (only the first one is tested vs the rest)."""
        return "mean_error" if self.task == "regression" else "accuracy"

    def probe(self, frame: pd.DataFrame) -> mp.Probe:
        """``mp.Probe`` on a frame of this generator, scores passed by column name."""
        return mp.Probe(
            frame,
            target="target",
            predictions="prediction",
            scores=self.score_columns,
            task=self.task,
        )


BINARY_METRICS = (
    "accuracy",
    "recall[1]",
    "precision[1]",
    "f1[1]",
    "balanced_accuracy",
    "macro_f1",
    "roc_auc",
    "log_loss",
    "brier",
    "fpr",
    "fnr",
    "npv",
    "selection_rate",
)
MULTICLASS_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "macro_f1",
    "f1[3]",
    "recall[3]",
    "f1[1]",
    "recall[1]",
    "roc_auc",
    "log_loss",
    "brier",
)
REGRESSION_METRICS = ("mae", "mse", "rmse", "mean_error", "r2")

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("binary_balanced", binary_balanced, "binary", BINARY_METRICS, (0, 1), 0.5),
        Scenario("binary_imbalanced", binary_imbalanced, "binary", BINARY_METRICS, (0, 1), 0.1),
        Scenario(
            "multiclass", multiclass_four, "multiclass", MULTICLASS_METRICS, (0, 1, 2, 3), 0.1
        ),
        Scenario("regression_normal", regression_normal, "regression", REGRESSION_METRICS),
        Scenario(
            "regression_skewed",
            regression_skewed,
            "regression",
            REGRESSION_METRICS,
            min_size=100,
        ),
    )
}


def _scenario(generator: str | Scenario) -> Scenario:
    if isinstance(generator, Scenario):
        return generator
    try:
        return SCENARIOS[generator]
    except KeyError:
        raise ValueError(f"unknown generator {generator!r}; one of {list(SCENARIOS)}") from None


def _rng(seed: int, *keys: object) -> np.random.Generator:
    """A generator seeded by ``seed`` and the text of ``keys``: independent streams per piece."""
    return np.random.default_rng([seed, *(zlib.crc32(str(k).encode()) for k in keys)])


# --- truth ------------------------------------------------------------------------------

_PER_CLASS = re.compile(r"(?P<family>\w+)\[(?P<label>.+)\]\Z")


def _true_value(metric: str, frame: pd.DataFrame, scenario: Scenario) -> float:
    """One metric on a (large) frame with scikit-learn, defined as mlprobe defines it."""
    y = frame["target"].to_numpy()
    pred = frame["prediction"].to_numpy()
    if scenario.task == "regression":
        error = pred - y
        regression: dict[str, Callable[[], float]] = {
            "mae": lambda: mean_absolute_error(y, pred),
            "mse": lambda: mean_squared_error(y, pred),
            "rmse": lambda: math.sqrt(mean_squared_error(y, pred)),
            "mean_error": lambda: float(error.mean()),
            "r2": lambda: r2_score(y, pred),
        }
        return float(regression[metric]())
    classes = list(scenario.classes)
    scores = frame[scenario.score_columns].to_numpy()
    per_class = _PER_CLASS.match(metric)
    family = per_class["family"] if per_class else metric
    if family in ERROR_TYPES:
        # on a binary probe the bare name is the positive class (the last label)
        label = int(per_class["label"]) if per_class else classes[-1]
        return _error_type_truth(family, y == label, pred == label)
    if per_class:
        label = int(per_class["label"])
        scorers = {"recall": recall_score, "precision": precision_score, "f1": f1_score}
        if family == "roc_auc":
            return float(roc_auc_score(y == label, scores[:, classes.index(label)]))
        return float(scorers[family](y, pred, labels=[label], average="macro"))
    if metric == "roc_auc":
        if scenario.task == "binary":
            return float(roc_auc_score(y, scores[:, 1]))
        return float(roc_auc_score(y, scores, multi_class="ovr", average="macro", labels=classes))
    if metric == "brier":
        # mlprobe's brier_rows: binary (p(positive) - [y positive])², as scikit-learn;
        # multiclass, the sum of that over the classes
        if scenario.task == "binary":
            return float(brier_score_loss(y, scores[:, 1], pos_label=classes[-1]))
        onehot = np.eye(len(classes))[np.searchsorted(classes, y)]
        return float(((scores - onehot) ** 2).sum(axis=1).mean())
    simple: dict[str, Callable[[], float]] = {
        "accuracy": lambda: accuracy_score(y, pred),
        "balanced_accuracy": lambda: balanced_accuracy_score(y, pred),
        "macro_f1": lambda: f1_score(y, pred, labels=classes, average="macro"),
        "log_loss": lambda: log_loss(y, scores, labels=classes),
    }
    return float(simple[metric]())


#: Error-type metrics (``fpr``, ``fpr[c]``, ...): a share of the rows of some confusion cells.
ERROR_TYPES = ("tpr", "fnr", "fpr", "tnr", "npv", "selection_rate", "prevalence")


def _error_type_truth(family: str, truly: np.ndarray, predicted: np.ndarray) -> float:
    """``family`` of one class from scikit-learn's one-vs-rest confusion matrix."""
    (tn, fp), (fn, tp) = confusion_matrix(truly, predicted, labels=[False, True])
    numerator, denominator = {
        "tpr": (tp, tp + fn),
        "fnr": (fn, tp + fn),
        "fpr": (fp, fp + tn),
        "tnr": (tn, fp + tn),
        "npv": (tn, tn + fn),
        "selection_rate": (tp + fp, tn + fp + fn + tp),
        "prevalence": (tp + fn, tn + fp + fn + tp),
    }[family]
    return float(numerator / denominator)


_TRUTH: dict[tuple[str, int, int, str], float] = {}


def population_truth(
    generator: str | Scenario, metrics: Sequence[str], population: int = POPULATION, seed: int = 0
) -> dict[str, float]:
    """True values of ``metrics``: scikit-learn on ``population`` rows of the generator.

    Values are cached per (generator, population, seed, metric) for the process.

    Parameters
    ----------
    generator : str or Scenario
    metrics : sequence of str
    population : int
        Rows drawn (the Monte Carlo error of the truth is ~1/sqrt(population)
        of a row's spread, negligible next to intervals on 1000 rows).
    seed : int

    Returns
    -------
    dict of str to float
    """
    scenario = _scenario(generator)
    missing = [m for m in metrics if (scenario.name, population, seed, m) not in _TRUTH]
    if missing:
        frame = scenario.generate(_rng(seed, "population", scenario.name), population)
        for metric in missing:
            _TRUTH[scenario.name, population, seed, metric] = _true_value(metric, frame, scenario)
    return {m: _TRUTH[scenario.name, population, seed, m] for m in metrics}


# --- a. interval coverage ---------------------------------------------------------------


def _replicates(frame: pd.DataFrame, reps: int, n: int) -> pd.DataFrame:
    """Label consecutive blocks of ``n`` rows ``s00000``, ``s00001``, ...: one slice each."""
    width = max(5, len(str(reps - 1)))
    labels = [f"s{i:0{width}d}" for i in range(reps)]
    codes = np.repeat(np.arange(reps), n)
    return frame.assign(sim=pd.Categorical.from_codes(codes, categories=pd.Index(labels)))


def coverage_table(
    generator: str | Scenario,
    metrics: Sequence[str] | None = None,
    sizes: Sequence[int] = SIZES,
    reps: int = 4000,
    confidence: float | Sequence[float] = 0.95,
    seed: int = 0,
    *,
    population: int = POPULATION,
) -> pd.DataFrame:
    """Coverage of ``breakdown`` intervals for slices of each size drawn from ``generator``.

    Parameters
    ----------
    generator : str or Scenario
        A name in :data:`SCENARIOS`, or a scenario.
    metrics : sequence of str, optional
        Default: the scenario's metrics.
    sizes : sequence of int
        Rows per simulated slice.
    reps : int
        Simulated slices per size (R).
    confidence : float or sequence of float
        Interval level(s); the same simulated slices serve every level.
    seed : int
    population : int
        Rows of the population the truth is computed on.

    Returns
    -------
    pandas.DataFrame
        One row per (confidence, metric, n): ``generator``, ``metric``, ``n``,
        ``confidence``, ``reps``, ``truth``, ``coverage``, ``mc_sd``, ``below``,
        ``above``, ``nan``, ``width``, ``flag`` (see the module docstring).
    """
    scenario = _scenario(generator)
    metrics = list(metrics or scenario.metrics)
    levels = [confidence] if isinstance(confidence, int | float) else list(confidence)
    truth = population_truth(scenario, metrics, population, seed)
    asked = [scenario.anchor, *(m for m in metrics if m != scenario.anchor)]
    rows = []
    for n in sizes:
        frame = _replicates(scenario.generate(_rng(seed, scenario.name, n), reps * n), reps, n)
        probe = scenario.probe(frame)
        for level in levels:
            table = probe.breakdown(by="sim", metrics=asked, confidence=level, min_support=0)
            if len(table) != reps + 1 or table["slice"].iloc[0] != "overall":
                raise RuntimeError(f"expected 'overall' and {reps} slices; got {len(table)} rows")
            slices = table.iloc[1:]
            if not (slices["n"] == n).all():
                raise RuntimeError(f"expected {n} rows per simulated slice")
            for metric in metrics:
                stats = _coverage(
                    slices[f"{metric}_ci_low"], slices[f"{metric}_ci_high"], truth[metric], level
                )
                rows.append(
                    {"generator": scenario.name, "metric": metric, "n": n, "confidence": level}
                    | {"reps": reps, "truth": truth[metric]}
                    | stats
                )
    return pd.DataFrame(rows).sort_values(
        ["confidence", "metric", "n"], kind="stable", ignore_index=True
    )


def _coverage(low: pd.Series, high: pd.Series, truth: float, level: float) -> dict[str, Any]:
    low_values, high_values = low.to_numpy(np.float64), high.to_numpy(np.float64)
    defined = np.isfinite(low_values) & np.isfinite(high_values)
    count = int(defined.sum())
    low_values, high_values = low_values[defined], high_values[defined]
    share = (lambda hits: float(hits.sum()) / count) if count else (lambda hits: math.nan)
    coverage = share((low_values <= truth) & (truth <= high_values))
    mc_sd = math.sqrt(coverage * (1 - coverage) / count) if count else math.nan
    flag = ""
    if count and abs(coverage - level) > BAND:
        flag = "low" if coverage < level else "high"
        if abs(coverage - level) > BAND + 2 * mc_sd:  # outside the band beyond Monte Carlo noise
            flag = flag.upper()
    return {
        "coverage": coverage,
        "mc_sd": mc_sd,
        "below": share(high_values < truth),
        "above": share(low_values > truth),
        "nan": 1 - count / len(defined) if len(defined) else math.nan,
        "width": float((high_values - low_values).mean()) if count else math.nan,
        "flag": flag,
    }


# --- b. false discoveries of breakdown on null data -------------------------------------


def _null_scenario(metric: str) -> Scenario:
    """Binary balanced for classification metrics, normal regression for regression ones."""
    base = metric.split("[")[0]
    return SCENARIOS["regression_normal" if base in REGRESSION_METRICS else "binary_balanced"]


def null_breakdown_rate(
    metric: str,
    runs: int = 400,
    seed: int = 0,
    *,
    n_rows: int = 5000,
    by: Sequence[str] = ("c1", "c2", "c3"),
    min_support: int = 30,
    generator: str | Scenario | None = None,
) -> dict[str, Any]:
    """How often ``breakdown(by=...)`` finds a slice on data where no slice differs.

    The errors (and predictions, scores) are independent of every ``by`` column,
    so every q-value under 0.05 is a false discovery.

    Parameters
    ----------
    metric : str
        The breakdown's first metric (the one tested against the rest).
    runs : int
        Independent tables.
    seed : int
    n_rows : int
        Rows per table.
    by : sequence of str
        Crossed columns (default ~96 groups, many small).
    min_support : int
        As in ``breakdown`` (its default is 30).
    generator : str or Scenario, optional
        Default: binary balanced, or normal regression for regression metrics.

    Returns
    -------
    dict
        ``any_q``: share of runs with any q-value < 0.05 (NaN ignored), over all
        slices; ``any_q_supported``: the same over slices with ``n >= min_support``;
        ``slice_p``: share of p-values < 0.05 among supported slices; ``mc_sd``
        of ``any_q``; ``slices`` and ``supported``: mean count per run;
        ``untested``: share of supported slices with a NaN p-value.
    """
    scenario = _scenario(generator) if generator is not None else _null_scenario(metric)
    rng = _rng(seed, "null_breakdown", scenario.name, metric)
    any_q = any_q_supported = 0
    p_hits = p_tested = p_untested = slices_total = supported_total = 0
    for _ in range(runs):
        table = scenario.probe(scenario.generate(rng, n_rows)).breakdown(
            by=list(by), metrics=[metric], min_support=min_support
        )
        body = table.iloc[1:]
        q = body["q_value"].to_numpy(np.float64)
        p = body["p_value"].to_numpy(np.float64)
        supported = body["n"].to_numpy() >= min_support
        any_q += bool(np.any(q < LEVEL))
        any_q_supported += bool(np.any(q[supported] < LEVEL))
        p_hits += int(np.sum(p[supported] < LEVEL))
        p_tested += int(np.sum(np.isfinite(p[supported])))
        p_untested += int(np.sum(~np.isfinite(p[supported])))
        slices_total += len(body)
        supported_total += int(supported.sum())
    rate = any_q / runs
    return {
        "metric": metric,
        "generator": scenario.name,
        "runs": runs,
        "any_q": rate,
        "mc_sd": math.sqrt(rate * (1 - rate) / runs),
        "any_q_supported": any_q_supported / runs,
        "slice_p": p_hits / p_tested if p_tested else math.nan,
        "slices": slices_total / runs,
        "supported": supported_total / runs,
        "untested": p_untested / supported_total if supported_total else math.nan,
    }


# --- c. compare on exchangeable models --------------------------------------------------

#: Where :func:`null_compare_rate` plants an effect: a group of ``by=("c1", "c2")``, 20% of rows.
PLANTED = "c1 == 'a' and c2 == 'w'"


def _two_models(
    rng: np.random.Generator, n: int, regression: bool, effect: float
) -> tuple[pd.DataFrame, str]:
    """A target and two models' predictions; b is better by ``effect`` in :data:`PLANTED` only.

    Classification: y ~ Bernoulli(0.5); each model is right with probability
    0.8, independently (b: 0.8 + effect in the planted slice). Regression:
    y ~ N(0, 1); each prediction is y + N(0, 1) (b: sd 1 - effect in the slice).
    """
    features = _features(rng, n)
    planted = (np.asarray(features["c1"]) == "a") & (np.asarray(features["c2"]) == "w")
    y: np.ndarray
    if regression:
        y = rng.standard_normal(n)
        a = y + rng.standard_normal(n)
        b = y + rng.standard_normal(n) * np.where(planted, 1 - effect, 1.0)
    else:
        y = rng.integers(0, 2, n)
        a = np.where(rng.random(n) < 0.8, y, 1 - y)
        b = np.where(rng.random(n) < np.where(planted, 0.8 + effect, 0.8), y, 1 - y)
    task = "regression" if regression else "binary"
    return pd.DataFrame({"target": y, "a": a, "b": b, **features}), task


def null_compare_rate(
    metric: str,
    runs: int = 400,
    seed: int = 0,
    *,
    n_rows: int = 5000,
    by: Sequence[str] = ("c1", "c2"),
    effect: float = 0.0,
    min_support: int = 30,
) -> dict[str, Any]:
    """How often ``compare("a", "b", by=...)`` gives a verdict between exchangeable models.

    Parameters
    ----------
    metric : str
        ``compare``'s metric (classification metrics run on a binary target,
        regression metrics on a continuous one).
    runs : int
    seed : int
    n_rows : int
    by : sequence of str
        Crossed columns (default 16 groups).
    effect : float
        0 for exchangeable models. Otherwise model b is better in the slice
        :data:`PLANTED`: right with probability 0.8 + effect (classification),
        or with an error sd of 1 - effect (regression).
    min_support : int

    Returns
    -------
    dict
        ``any_verdict``: share of runs with "improved" or "regressed" on any row,
        ``overall`` included; ``slice_verdict``: on any slice (the rows the
        q-values adjust over); ``overall_verdict``: on the overall row;
        ``planted_improved``: share of runs whose planted slice is "improved";
        ``mc_sd`` of ``slice_verdict``.
    """
    regression = metric.split("[")[0] in REGRESSION_METRICS
    rng = _rng(seed, "compare", metric, effect)
    any_verdict = slice_verdict = overall_verdict = planted_improved = 0
    for _ in range(runs):
        frame, task = _two_models(rng, n_rows, regression, effect)
        probe = mp.Probe(frame, target="target", predictions={"a": "a", "b": "b"}, task=task)
        table = probe.compare("a", "b", by=list(by), metric=metric, min_support=min_support)
        found = table["verdict"].isin(["improved", "regressed"]).to_numpy()
        any_verdict += bool(found.any())
        overall_verdict += bool(found[0])
        slice_verdict += bool(found[1:].any())
        planted = table["slice"] == PLANTED
        planted_improved += bool((table.loc[planted, "verdict"] == "improved").any())
    rate = slice_verdict / runs
    return {
        "metric": metric,
        "effect": effect,
        "runs": runs,
        "any_verdict": any_verdict / runs,
        "slice_verdict": rate,
        "mc_sd": math.sqrt(rate * (1 - rate) / runs),
        "overall_verdict": overall_verdict / runs,
        "planted_improved": planted_improved / runs,
    }


# --- d. find_slices on null data --------------------------------------------------------


def null_find_slices_rate(
    rank_by: str = "impact",
    runs: int = 400,
    seed: int = 0,
    *,
    alpha: float = 0.95,
    n_rows: int = 5000,
    top_k: int = 10,
    max_conditions: int = 3,
    metric: str | None = None,
) -> dict[str, Any]:
    """How often ``find_slices`` returns a slice with a q-value < 0.05 on null data.

    The table holds the binary balanced generator's rows (errors independent
    of every column) with five columns to slice on: ``c1``, ``c2``, ``c3`` and
    two independent numeric columns, ``x`` (normal) and ``age`` (whole numbers
    18..80). Every other argument of ``find_slices`` keeps its default (pruning
    and folding on, ``max_share=0.5``, default ``min_support``).

    Parameters
    ----------
    rank_by : {"impact", "gap", "sliceline"}
        ``find_slices``'s ranking (its default: ``"impact"``).
    runs, seed, n_rows, top_k, max_conditions
    alpha : float
        SliceLine's weight of error against size, in (0, 1] (used by
        ``rank_by="sliceline"`` only).
    metric : str, optional
        ``find_slices``'s per-row loss (default: its own, error rate).

    Returns
    -------
    dict
        ``any_q``: share of runs with any q-value < 0.05 among the returned
        slices; ``mc_sd``; ``found``: mean number of slices returned;
        ``share``: their mean share of the rows; ``min_q_median``: median over
        runs of the smallest q-value.
    """
    scenario = SCENARIOS["binary_balanced"]
    rng = _rng(seed, "find_slices", rank_by, alpha, top_k, max_conditions, metric)
    hits = found = 0
    smallest, shares = [], []
    for _ in range(runs):
        frame = scenario.generate(rng, n_rows).assign(
            x=rng.standard_normal(n_rows), age=rng.integers(18, 81, n_rows)
        )
        result = scenario.probe(frame).find_slices(
            metric=metric,
            rank_by=rank_by,
            alpha=alpha,
            top_k=top_k,
            max_conditions=max_conditions,
            progress=False,
        )
        q = result["q_value"].to_numpy(np.float64)
        hits += bool(np.any(q < LEVEL))
        found += len(result)
        shares.extend(result["n"].to_numpy(np.float64) / n_rows)
        smallest.append(np.nanmin(q) if np.isfinite(q).any() else math.nan)
    rate = hits / runs
    return {
        "rank_by": rank_by,
        "alpha": alpha,
        "runs": runs,
        "any_q": rate,
        "mc_sd": math.sqrt(rate * (1 - rate) / runs),
        "found": found / runs,
        "share": float(np.mean(shares)) if shares else math.nan,
        "min_q_median": float(np.nanmedian(smallest)) if np.isfinite(smallest).any() else math.nan,
    }


# --- e. power ---------------------------------------------------------------------------


def power(
    metric: str,
    runs: int = 200,
    seed: int = 0,
    *,
    slice_rows: int = 5000,
    other_slices: int = 3,
    slice_value: float | None = None,
    rest_value: float | None = None,
) -> dict[str, Any]:
    """How often ``breakdown(by="segment")`` finds a planted gap: q-value < 0.05 on the slice.

    ``segment`` has ``1 + other_slices`` levels of ``slice_rows`` rows each
    (default: a 5,000-row slice against a 15,000-row rest).

    Parameters
    ----------
    metric : str
        The breakdown's first metric.
    runs, seed, slice_rows, other_slices
    slice_value, rest_value : float, optional
        Classification (binary, balanced target): the probability of a correct
        prediction per row, on the slice and elsewhere (defaults 0.80 and 0.82;
        accuracy and balanced accuracy are then both that value). Regression:
        the sd of the normal errors (defaults 1.05 and 1.0).

    Returns
    -------
    dict
        ``power``: share of runs where the planted slice's q-value is < 0.05;
        ``mc_sd``; ``gap``: mean gap (slice minus rest) of the metric.
    """
    regression = metric.split("[")[0] in REGRESSION_METRICS
    if slice_value is None:
        slice_value = 1.05 if regression else 0.80
    if rest_value is None:
        rest_value = 1.0 if regression else 0.82
    rng = _rng(seed, "power", metric, slice_value, rest_value)
    levels = ["planted", *(f"other{i}" for i in range(other_slices))]
    codes = np.repeat(np.arange(len(levels)), slice_rows)
    n = len(codes)
    value = np.where(codes == 0, slice_value, rest_value)
    hits = 0
    gaps = []
    y: np.ndarray
    for _ in range(runs):
        if regression:
            y = rng.standard_normal(n)
            prediction = y + rng.standard_normal(n) * value
        else:
            y = rng.integers(0, 2, n)
            prediction = np.where(rng.random(n) < value, y, 1 - y)
        frame = pd.DataFrame(
            {
                "target": y,
                "prediction": prediction,
                "segment": pd.Categorical.from_codes(codes, categories=pd.Index(levels)),
            }
        )
        probe = mp.Probe(
            frame,
            target="target",
            predictions="prediction",
            task="regression" if regression else "binary",
        )
        table = probe.breakdown(by="segment", metrics=[metric])
        row = table.loc[table["slice"] == "segment == 'planted'"].iloc[0]
        hits += bool(row["q_value"] < LEVEL)
        gaps.append(row["gap"])
    rate = hits / runs
    return {
        "metric": metric,
        "slice": f"{slice_rows} rows at {slice_value}",
        "rest": f"{slice_rows * other_slices} rows at {rest_value}",
        "runs": runs,
        "power": rate,
        "mc_sd": math.sqrt(rate * (1 - rate) / runs),
        "gap": float(np.mean(gaps)),
    }


# --- f. disparity between groups -------------------------------------------------------

#: The group metrics :func:`disparity_coverage` simulates, and the rate every group has
#: before a spread is planted.
DISPARITY_BASE = {"fpr": 0.2, "selection_rate": 0.3}
#: P(y = 1), and P(predicted 1 | y = 1), in every group of :func:`disparity_frame`.
DISPARITY_PREVALENCE = 0.4
DISPARITY_TPR = 0.8
#: The unequal group sizes simulated (the spread is planted on the first, smallest group).
UNEQUAL_SIZES = (30, 100, 300, 1000)
#: The planted spread D of the non-null cases: the first group's rate is the base + D.
DISPARITY_SPREAD = 0.1


def disparity_frame(
    rng: np.random.Generator, sizes: Sequence[int], rates: Sequence[float], metric: str
) -> pd.DataFrame:
    """Groups ``g0``, ``g1``, ... of ``sizes`` rows whose true ``metric`` is ``rates[g]``.

    ``target`` is 1 with probability :data:`DISPARITY_PREVALENCE` in every group.
    ``metric="fpr"``: a row of target 0 is predicted 1 with probability
    ``rates[g]``, a row of target 1 with :data:`DISPARITY_TPR` (the same in every
    group). ``metric="selection_rate"``: every row is predicted 1 with probability
    ``rates[g]``, independently of its target.

    Returns
    -------
    pandas.DataFrame
        ``target``, ``prediction`` (0 or 1) and the categorical ``group``.
    """
    codes = np.repeat(np.arange(len(sizes)), sizes)
    n = len(codes)
    positive = rng.random(n) < DISPARITY_PREVALENCE
    rate = np.asarray(rates, dtype=np.float64)[codes]
    if metric == "fpr":
        chance = np.where(positive, DISPARITY_TPR, rate)
    elif metric == "selection_rate":
        chance = rate
    else:
        raise ValueError(f"metric: 'fpr' or 'selection_rate'; received {metric!r}")
    predicted = rng.random(n) < chance
    groups = pd.Index([f"g{i}" for i in range(len(sizes))])
    return pd.DataFrame(
        {
            "target": positive.astype(np.int64),
            "prediction": predicted.astype(np.int64),
            "group": pd.Categorical.from_codes(codes, categories=groups),
        }
    )


def _naive_interval(groups: Any, metric: str) -> tuple[float, float]:
    """The MOVER interval (Newcombe's hybrid score) of the observed max minus the observed min.

    From the two extreme groups' own (not simultaneous) Wilson intervals, as if those two
    had been chosen before seeing the data. ``groups``: ``disparity``'s
    ``attrs["groups"]`` (records).
    """
    per_group = pd.DataFrame(groups)
    compared = per_group[per_group["excluded"] == ""]
    value = compared[metric].to_numpy(np.float64)
    low = compared[f"{metric}_ci_low"].to_numpy(np.float64)
    high = compared[f"{metric}_ci_high"].to_numpy(np.float64)
    if len(value) < 2:
        return math.nan, math.nan
    top, bottom = int(np.argmax(value)), int(np.argmin(value))
    difference = value[top] - value[bottom]
    return (
        difference - math.hypot(value[top] - low[top], high[bottom] - value[bottom]),
        difference + math.hypot(high[top] - value[top], value[bottom] - low[bottom]),
    )


def disparity_coverage(
    metric: str = "fpr",
    sizes: Sequence[int] = (100, 100, 100, 100),
    spread: float = 0.0,
    runs: int = 1000,
    seed: int = 0,
    *,
    confidence: float = 0.95,
    min_support: int = 0,
) -> dict[str, Any]:
    """Coverage, width and rejection rate of ``probe.disparity("group", metric)``.

    Each run draws a fresh :func:`disparity_frame` whose groups all have the rate
    :data:`DISPARITY_BASE` ``[metric]``, but the first, which has that plus
    ``spread``; the truth is then ``difference = spread`` and ``ratio =
    base / (base + spread)``.

    Parameters
    ----------
    metric : {"fpr", "selection_rate"}
    sizes : sequence of int
        Rows per group (G = ``len(sizes)`` groups).
    spread : float
        The planted difference D (0: the groups are alike).
    runs : int
        Simulated datasets (R).
    seed : int
    confidence : float
    min_support : int
        ``disparity``'s; 0 compares every group, however small.

    Returns
    -------
    dict
        ``coverage`` (with ``mc_sd``, ``below``, ``above``), ``width`` and
        ``nan`` of the difference interval; ``naive_coverage`` and
        ``naive_width`` of the MOVER interval of the two observed extremes
        (:func:`_naive_interval`); ``ratio_coverage`` and ``ratio_width`` of
        the ratio interval; ``reject``: share of runs with ``p_value < 0.05``
        (type-I error when ``spread`` is 0, power otherwise);
        ``mean_difference``: the mean observed difference (its bias: it minus
        ``truth``).
    """
    base = DISPARITY_BASE[metric]
    rates = np.full(len(sizes), base)
    rates[0] += spread
    truth, true_ratio = float(rates.max() - rates.min()), float(rates.min() / rates.max())
    rng = _rng(seed, "disparity", metric, tuple(sizes), spread, confidence, min_support)
    fields = ("low", "high", "difference", "ratio_low", "ratio_high", "p")
    record: dict[str, list[float]] = {k: [] for k in (*fields, "naive_low", "naive_high")}
    for _ in range(runs):
        frame = disparity_frame(rng, sizes, rates, metric)
        probe = mp.Probe(frame, target="target", predictions="prediction", task="binary")
        table = probe.disparity("group", metric, confidence=confidence, min_support=min_support)
        row = table.iloc[0]
        values = (
            row["difference_ci_low"],
            row["difference_ci_high"],
            row["difference"],
            row["ratio_ci_low"],
            row["ratio_ci_high"],
            row["p_value"],
        )
        for key, value in zip(fields, values, strict=True):
            record[key].append(float(value))
        naive_low, naive_high = _naive_interval(table.attrs["groups"], table.attrs["metrics"][0])
        record["naive_low"].append(naive_low)
        record["naive_high"].append(naive_high)
    got = {k: np.asarray(v, dtype=np.float64) for k, v in record.items()}
    difference = _coverage(pd.Series(got["low"]), pd.Series(got["high"]), truth, confidence)
    naive = _coverage(pd.Series(got["naive_low"]), pd.Series(got["naive_high"]), truth, confidence)
    ratio = _coverage(
        pd.Series(got["ratio_low"]), pd.Series(got["ratio_high"]), true_ratio, confidence
    )
    p = got["p"][np.isfinite(got["p"])]
    equal = len(set(sizes)) == 1
    return {
        "metric": metric,
        "groups": len(sizes),
        "sizes": f"{len(sizes)} x {sizes[0]}" if equal else "/".join(map(str, sizes)),
        "spread": spread,
        "runs": runs,
        "truth": truth,
        "mean_difference": float(np.nanmean(got["difference"])),
        "coverage": difference["coverage"],
        "mc_sd": difference["mc_sd"],
        "below": difference["below"],
        "above": difference["above"],
        "width": difference["width"],
        "naive_coverage": naive["coverage"],
        "naive_width": naive["width"],
        "ratio_coverage": ratio["coverage"],
        "ratio_width": ratio["width"],
        "reject": float((p < LEVEL).mean()) if len(p) else math.nan,
        "nan": difference["nan"],
    }


def disparity_cases() -> list[tuple[str, tuple[int, ...], float]]:
    """The (metric, group sizes, spread) cells of the disparity table.

    FPR with 2, 4 and 8 groups of 30, 100 and 1,000 rows; selection rate with 4
    groups of those sizes; FPR with the unequal :data:`UNEQUAL_SIZES`; each with
    the groups alike (spread 0) and with :data:`DISPARITY_SPREAD` planted.
    """
    equal = [("fpr", g) for g in (2, 4, 8)] + [("selection_rate", 4)]
    shapes = [(m, (n,) * g) for m, g in equal for n in SIZES] + [("fpr", UNEQUAL_SIZES)]
    return [(m, sizes, d) for m, sizes in shapes for d in (0.0, DISPARITY_SPREAD)]


# --- output -----------------------------------------------------------------------------


#: Columns holding shares, shown as percentages.
_PERCENT = {
    "coverage",
    "below",
    "above",
    "nan",
    "any_q",
    "any_q_supported",
    "slice_p",
    "untested",
    "any_verdict",
    "slice_verdict",
    "overall_verdict",
    "planted_improved",
    "power",
    "share",
    "naive_coverage",
    "ratio_coverage",
    "reject",
}


def _cell(value: Any, column: str) -> str:
    if not isinstance(value, float | np.floating):
        return str(value)
    if math.isnan(value):
        return "nan"
    if column in _PERCENT:
        return f"{100 * value:.1f}%"
    if column == "mc_sd":  # percentage points
        return f"{100 * value:.2f}"
    return f"{value:.4g}"


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table; shares as percentages (``mc_sd`` in percentage points).

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    str
    """
    columns = [str(c) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---:" if is_number else "---" for is_number in numeric) + "|",
    ]
    lines.extend(
        "| " + " | ".join(_cell(v, c) for v, c in zip(record, columns, strict=True)) + " |"
        for record in frame.itertuples(index=False)
    )
    return "\n".join(lines)


@dataclass(frozen=True)
class Settings:
    """Sizes of a run: the default one, or ``--quick``."""

    reps: int
    population: int
    null_runs: int
    compare_runs: int
    find_runs: int
    power_runs: int
    disparity_runs: int


DEFAULT = Settings(
    reps=4000,
    population=2_000_000,
    null_runs=400,
    compare_runs=400,
    find_runs=400,
    power_runs=200,
    disparity_runs=1000,
)
QUICK = Settings(
    reps=400,
    population=1_000_000,
    null_runs=60,
    compare_runs=60,
    find_runs=60,
    power_runs=40,
    disparity_runs=100,
)

NULL_METRICS = (
    "accuracy",
    "recall[1]",
    "macro_f1",
    "balanced_accuracy",
    "roc_auc",
    "log_loss",
    "brier",
    "mae",
    "rmse",
    "r2",
    "fpr",
)
COMPARE_METRICS = ("accuracy", "recall[1]", "macro_f1", "mae")
#: find_slices settings on null data: (rank_by, alpha); alpha only weighs SliceLine's score
FIND_CASES = (
    ("impact", 0.95),
    ("gap", 0.95),
    ("sliceline", 0.5),
    ("sliceline", 0.95),
    ("sliceline", 1.0),
)
POWER_METRICS = ("accuracy", "balanced_accuracy", "mae")
#: The smaller tables at other levels: these metrics of these generators.
OTHER_LEVELS = (0.8, 0.99)
OTHER_LEVEL_METRICS = {
    "binary_balanced": (
        "accuracy",
        "recall[1]",
        "balanced_accuracy",
        "macro_f1",
        "roc_auc",
        "brier",
    ),
    "regression_normal": ("mae", "rmse", "r2"),
}
SECTIONS = ("coverage", "levels", "null", "compare", "find_slices", "power", "disparity")


def _section_coverage(settings: Settings, seed: int) -> list[str]:
    parts = []
    for scenario in SCENARIOS.values():
        table = coverage_table(
            scenario, reps=settings.reps, seed=seed, population=settings.population
        )
        note = (
            f" (the design's target applies from n = {scenario.min_size})"
            if scenario.min_size > min(SIZES)
            else ""
        )
        parts.append(
            f"### {scenario.name}{note}\n\n{markdown_table(table.drop(columns='confidence'))}"
        )
    return parts


def _section_levels(settings: Settings, seed: int) -> list[str]:
    tables = [
        coverage_table(
            name,
            metrics,
            reps=settings.reps,
            confidence=OTHER_LEVELS,
            seed=seed,
            population=settings.population,
        )
        for name, metrics in OTHER_LEVEL_METRICS.items()
    ]
    return [markdown_table(pd.concat(tables, ignore_index=True))]


def _section_null(settings: Settings, seed: int) -> list[str]:
    rows = [null_breakdown_rate(m, settings.null_runs, seed) for m in NULL_METRICS]
    return [markdown_table(pd.DataFrame(rows))]


def _section_compare(settings: Settings, seed: int) -> list[str]:
    rows = [null_compare_rate(m, settings.compare_runs, seed) for m in COMPARE_METRICS]
    rows += [
        null_compare_rate("accuracy", settings.compare_runs, seed, effect=0.05),
        null_compare_rate("mae", settings.compare_runs, seed, effect=0.1),
    ]
    return [markdown_table(pd.DataFrame(rows))]


def _section_find_slices(settings: Settings, seed: int) -> list[str]:
    rows = [
        null_find_slices_rate(rank_by, settings.find_runs, seed, alpha=alpha)
        for rank_by, alpha in FIND_CASES
    ]
    return [markdown_table(pd.DataFrame(rows))]


def _section_power(settings: Settings, seed: int) -> list[str]:
    rows = [power(m, settings.power_runs, seed) for m in POWER_METRICS]
    return [markdown_table(pd.DataFrame(rows))]


def _section_disparity(settings: Settings, seed: int) -> list[str]:
    rows = [
        disparity_coverage(metric, sizes, spread, settings.disparity_runs, seed)
        for metric, sizes, spread in disparity_cases()
    ]
    return [markdown_table(pd.DataFrame(rows))]


_TITLES = {
    "coverage": "a. Interval coverage at 95% (coverage of the defined intervals; "
    "below / above: interval entirely below / above the truth)",
    "levels": "a'. Interval coverage at 80% and 99%",
    "null": "b. breakdown(by=[c1, c2, c3]) on null data, 5,000 rows: runs with any q < 0.05",
    "compare": "c. compare('a', 'b', by=[c1, c2]) on exchangeable models, 5,000 rows: runs with "
    "any verdict (effect > 0: b better in the slice " + PLANTED + ")",
    "find_slices": "d. find_slices(top_k=10) on null data, 5,000 rows x 5 columns: runs with "
    "any q < 0.05 (rank_by: the ranking; alpha weighs SliceLine's score only)",
    "power": "e. Power: breakdown q < 0.05 for a planted 5,000-row slice against 15,000 rows",
    "disparity": "f. disparity('group', metric, min_support=0): coverage of the 95% intervals "
    "of the difference (max - min over the groups) and the ratio, against the naive MOVER "
    "interval of the two observed extremes; reject: runs with p < 0.05 (type-I error at "
    "spread 0, power otherwise)",
}
_RUNNERS: dict[str, Callable[[Settings, int], list[str]]] = {
    "coverage": _section_coverage,
    "levels": _section_levels,
    "null": _section_null,
    "compare": _section_compare,
    "find_slices": _section_find_slices,
    "power": _section_power,
    "disparity": _section_disparity,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen sections and print (or write) markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (< 2 min)")
    parser.add_argument("--out", type=Path, help="write the markdown tables to this file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reps", type=int, help="simulated slices per coverage cell (R)")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}"
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else DEFAULT
    if args.reps:
        settings = Settings(**(vars(settings) | {"reps": args.reps}))
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"--only: unknown sections {unknown}; choose from {SECTIONS}")
    header = (
        f"# mlprobe statistics simulations ({'quick' if args.quick else 'default'} run, "
        f"seed {args.seed})\n\nR = {settings.reps} slices per coverage cell, truth from "
        f"{settings.population:,} rows; {settings.null_runs} null breakdowns, "
        f"{settings.compare_runs} comparisons, {settings.find_runs} searches, "
        f"{settings.power_runs} power runs and {settings.disparity_runs} disparity datasets "
        f"per row; mlprobe {mp.__version__}."
    )
    print(header, flush=True)
    output = [header]
    started = time.perf_counter()
    for section in chosen:
        begin = time.perf_counter()
        parts = _RUNNERS[section](settings, args.seed)
        text = f"## {_TITLES[section]}\n\n" + "\n\n".join(parts)
        text += f"\n\n_{section}: {time.perf_counter() - begin:.1f} s wall time_"
        print("\n" + text, flush=True)
        output.append(text)
    footer = f"_total: {time.perf_counter() - started:.1f} s wall time_"
    print("\n" + footer)
    output.append(footer)
    if args.out:
        args.out.write_text("\n\n".join(output) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
