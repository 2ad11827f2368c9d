"""Metrics with no better direction (selection rate, prevalence): read, never judged.

A higher selection rate is not an improvement, nor a lower one a regression: comparisons
say "higher" / "lower", nothing is ranked as worse, and what needs a worse side
(``priorities``, a test's ``max_drop_from_baseline`` or ``max_gap_to_overall``) refuses the
metric with the reason. The same on every backend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.core.metrics import register_metric, resolve_metric, unregister_metric
from mlprobe.errors import ValidationError
from mlprobe.render.tables import sort_breakdown


def _frame(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Model v2 predicts the positive class twice as often as v1 in group b."""
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b", "c"], n)
    y = rng.integers(0, 2, n)
    v1 = np.where(rng.random(n) < 0.85, y, 1 - y)
    v2 = v1.copy()
    v2[(g == "b") & (rng.random(n) < 0.6)] = 1
    return pd.DataFrame({"g": g, "y": y, "v1": v1, "v2": v2})


@pytest.fixture(scope="module")
def probe() -> mp.Probe:
    return mp.Probe(_frame(), target="y", predictions={"v1": "v1", "v2": "v2"})


@pytest.mark.parametrize("family", ["selection_rate", "prevalence"])
def test_rates_of_rows_have_no_better_direction(family: str) -> None:
    metric = resolve_metric(family, task="binary", classes=[0, 1], has_scores=False, positive=1)
    assert metric.higher_is_better is None and metric.ideal is None
    for judged in ("fpr", "recall"):
        direction = resolve_metric(
            judged, task="binary", classes=[0, 1], has_scores=False, positive=1
        ).higher_is_better
        assert direction in (True, False)


def test_a_comparison_says_higher_or_lower_never_improved(probe: mp.Probe) -> None:
    for backend in ("memory", "duckdb"):
        subject = probe
        if backend == "duckdb":
            pytest.importorskip("duckdb")
            subject = mp.Probe.from_duckdb(
                _frame(), target="y", predictions={"v1": "v1", "v2": "v2"}
            )
        table = subject.compare("v1", "v2", by="g", metric="selection_rate").raw()
        verdicts = dict(zip(table["slice"], table["verdict"], strict=True))
        assert verdicts["g == 'b'"] == "higher"  # v2 selects far more in group b
        assert not {"improved", "regressed"} & set(verdicts.values())
        lower = subject.compare("v2", "v1", by="g", metric="selection_rate").raw()
        assert lower.set_index("slice").loc["g == 'b'", "verdict"] == "lower"
        # a metric with a direction still gets judged
        judged = subject.compare("v1", "v2", by="g", metric="fpr").raw()
        assert judged.set_index("slice").loc["g == 'b'", "verdict"] == "regressed"


def test_nothing_is_worse_so_nothing_is_fixed_first(probe: mp.Probe, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"^metric: selection_rate has no better"):
        probe.priorities(by="g", metric="selection_rate", model="v2")
    # the report leaves out its "fix first" section rather than failing
    page = probe.report(tmp_path / "r.html", by="g", metrics=["selection_rate"])
    assert "selection_rate" in page.read_text(encoding="utf-8")
    # sorted "worst" first, a breakdown puts the slice furthest from all rows first
    table = probe.breakdown(by="g", metrics=["selection_rate"], model="v2")
    ordered = sort_breakdown(table, "selection_rate", "worst")
    assert ordered["slice"].iloc[1] == "g == 'b'"  # after the overall row


def test_tests_that_need_a_worse_side_refuse_it_with_the_reason(
    probe: mp.Probe, tmp_path: Path
) -> None:
    women = "g == 'b'"
    # the built-in ones are refused when the test is written (and so when a file is loaded)
    with pytest.raises(ValidationError, match=r"selection_rate\[1\] has no better direction"):
        mp.SliceTest(
            id="drop", slice=women, metric="selection_rate[1]", max_drop_from_baseline=0.05,
            baseline=mp.Baseline(0.5, 600, "v1", "2026-12-01"),
        )  # fmt: skip
    with pytest.raises(ValidationError, match="give at_least or at_most"):
        mp.SliceTest(id="gap", slice=women, metric="prevalence", max_gap_to_overall=0.1)
    # a registered metric without a direction is known only to the probe: an error outcome
    register_metric("flagged", numerator=[(0, 1), (1, 1)],
                    denominator=[(0, 0), (0, 1), (1, 0), (1, 1)], higher_is_better=None)  # fmt: skip
    try:
        gap = mp.SliceTest(id="gap", slice=women, metric="flagged", max_gap_to_overall=0.1)
        bound = mp.SliceTest(id="bound", slice=women, metric="selection_rate", at_most=0.9)
        result = mp.Suite("s", [gap, bound]).run(probe, model="v2")
    finally:
        unregister_metric("flagged")
    by_id = {o.id: o for o in result.items}
    assert by_id["gap"].outcome == "error" and "no better direction" in by_id["gap"].reason
    assert "at_least or at_most" in by_id["gap"].reason
    assert by_id["bound"].outcome == "passed"
    # tests built from found slices: a bound is needed, and given one they work
    slices = [mp.Slice.parse(women, name="b")]
    with pytest.raises(ValidationError, match="no better direction"):
        mp.Suite.from_slices(slices, name="s", probe=probe, metric="selection_rate", model="v2")
    built = mp.Suite.from_slices(
        slices, name="s", probe=probe, metric="selection_rate", model="v2",
        expect={"at_most": 0.9},
    )  # fmt: skip
    assert built.run(probe, model="v2").passed


def test_a_history_says_higher_or_lower(probe: mp.Probe, tmp_path: Path) -> None:
    suite = mp.Suite(
        "s", [mp.SliceTest(id="b-rate", slice="g == 'b'", metric="selection_rate", at_most=0.99)]
    )
    for version in ("v1", "v2"):
        suite.run(probe, model=version, record=tmp_path / "runs.db", version=version)
    history = mp.History(tmp_path / "runs.db")
    row = history.regressions("v2", against="previous").raw().iloc[0]
    assert row["verdict"] == "higher" and "no better direction" in row["reason"]
    best = history.regressions("v2", against="best").raw().iloc[0]
    assert best["against"] == "v1"  # no best on such a metric: the latest earlier version


def test_register_metric_takes_no_direction_and_refuses_other_values() -> None:
    register_metric("flagged_share", numerator=[(0, 1), (1, 1)],
                    denominator=[(0, 0), (0, 1), (1, 0), (1, 1)], higher_is_better=None)  # fmt: skip
    try:
        metric = resolve_metric("flagged_share", task="binary", classes=[0, 1], has_scores=False)
        assert metric.higher_is_better is None
    finally:
        unregister_metric("flagged_share")
    with pytest.raises(ValidationError, match=r"'higher_is_better' must be True, False or None"):
        register_metric("odd", lambda t: 0.0, higher_is_better="up")  # type: ignore[arg-type]
