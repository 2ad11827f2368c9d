"""Reading the run store back (issue 17): runs, versions, the matrix, trends and regressions,
on four versions of a rule-based Adult model, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.core.statistics.intervals import mover_difference
from mlprobe.datasets import load_adult
from mlprobe.spec.errors import RunStoreError
from mlprobe.spec.history_store import REGRESSION_COLUMNS, TREND_COLUMNS


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    return load_adult().iloc[:20000].reset_index(drop=True)


def _predict(frame: pd.DataFrame, version: str) -> np.ndarray:
    """Rules a team might ship: v2 adds a rule; v3 drops it for women (the regression)."""
    rich = (frame["education_num"] >= 13) | (frame["capital_gain"] > 5000)
    busy = (frame["hours_per_week"] >= 45) & (frame["age"] >= 35) & (frame["education_num"] >= 10)
    if version == "v1":
        chosen = rich
    elif version == "v3":
        chosen = rich | (busy & (frame["sex"] == "Male"))
        chosen &= ~((frame["sex"] == "Female") & (frame["capital_gain"] <= 5000)) | (
            frame["education_num"] >= 15
        )
    else:
        chosen = rich | busy
    return np.where(chosen, ">50K", "<=50K")


SUITE = mp.Suite(
    "income",
    [
        mp.SliceTest(
            id="women-recall", slice="sex == 'Female'", metric="recall[>50K]", at_least=0.4
        ),
        mp.SliceTest(id="men-recall", slice="sex == 'Male'", metric="recall[>50K]", at_least=0.4),
        mp.SliceTest(id="young-accuracy", slice="age < 30", metric="accuracy", at_least=0.8),
        mp.GroupTest(id="race-fpr", by="race", metric="fpr[>50K]", max_difference=0.2),
    ],
)


@pytest.fixture
def store(store_url: str, adult: pd.DataFrame) -> tuple[str, dict[str, mp.SuiteResult]]:
    """v1..v3 on the same rows; v4 (= v2's rules) on fewer rows: the data changed."""
    results = {}
    for version in ("v1", "v2", "v3"):
        probe = mp.Probe(adult, target="income", predictions=_predict(adult, version))
        results[version] = SUITE.run(probe, record=store_url, version=version)
    fewer = adult.iloc[:15000]
    probe = mp.Probe(fewer, target="income", predictions=_predict(fewer, "v4"))
    results["v4"] = SUITE.run(probe, record=store_url, version="v4")
    return store_url, results


def test_runs_versions_and_filters(store: tuple[str, dict[str, mp.SuiteResult]]) -> None:
    url, _results = store
    h = mp.History(url)
    assert h.versions() == ["v1", "v2", "v3", "v4"]
    assert h.versions(suite="income") == ["v1", "v2", "v3", "v4"]
    assert h.suites() == ["income"]
    frame = h.runs()
    assert len(frame) == 16 and list(frame["run_id"]) == sorted(frame["run_id"])
    assert str(frame["recorded_at"].dt.tz) == "UTC"
    assert list(h.runs(version="v2")["test_id"]) == [t.id for t in SUITE.tests]
    assert list(h.runs(test="women-recall")["version"]) == ["v1", "v2", "v3", "v4"]
    middle = frame["recorded_at"].iloc[8]
    assert set(h.runs(since=middle)["version"]) == {"v3", "v4"}
    assert set(h.runs(until=middle)["version"]) == {"v1", "v2", "v3"}
    assert h.runs(since="2999-01-01").empty


def test_matrix_holds_the_latest_run_of_each_version(
    store: tuple[str, dict[str, mp.SuiteResult]], adult: pd.DataFrame
) -> None:
    url, results = store
    h = mp.History(url)
    observed = h.matrix()
    assert list(observed.index) == ["v1", "v2", "v3", "v4"] and observed.index.name == "version"
    assert list(observed.columns) == [t.id for t in SUITE.tests]
    for version, result in results.items():
        expected = [o.observed for o in result.items]
        assert observed.loc[version].tolist() == pytest.approx(expected, nan_ok=True)
    outcomes = h.matrix(value="outcome")
    assert outcomes.loc["v3"].tolist() == [o.outcome for o in results["v3"].items]
    # a later run of v2 replaces its cells; the order of versions stays that of first runs
    probe = mp.Probe(adult, target="income", predictions=_predict(adult, "v1"))
    SUITE.run(probe, record=url, version="v2")
    again = h.matrix()
    assert list(again.index) == ["v1", "v2", "v3", "v4"]
    assert again.loc["v2"].tolist() == pytest.approx(observed.loc["v1"].tolist())
    # several suites: columns are suite/test_id
    other = mp.Suite("other", [SUITE.tests[0]])
    other.run(probe, record=url, version="v5")
    both = h.matrix()
    assert "other/women-recall" in both.columns and "income/women-recall" in both.columns
    assert list(h.matrix(suite="other").columns) == ["women-recall"]
    assert list(h.matrix(suite="other").index) == ["v5"]


def test_trend_of_one_test(store: tuple[str, dict[str, mp.SuiteResult]]) -> None:
    url, results = store
    trend = mp.History(url).trend("women-recall")
    assert list(trend.columns) == TREND_COLUMNS
    assert list(trend["version"]) == ["v1", "v2", "v3", "v4"]
    assert trend["observed"].tolist() == pytest.approx(
        [r.items[0].observed for r in results.values()]
    )
    assert trend["data_fingerprint"].nunique() == 2  # v4 ran on fewer rows


def test_regressions_find_the_slice_that_regressed(
    store: tuple[str, dict[str, mp.SuiteResult]],
) -> None:
    url, results = store
    h = mp.History(url)
    table = h.regressions("v3")  # against the previous version, v2
    assert list(table.columns) == REGRESSION_COLUMNS
    verdicts = dict(zip(table["test_id"], table["verdict"], strict=True))
    assert verdicts["women-recall"] == "regressed"
    assert verdicts["men-recall"] == "no detectable change"  # the same predictions for men
    assert set(table["against"]) == {"v2"} and set(table["version"]) == {"v3"}
    row = table.set_index("test_id").loc["women-recall"]
    v2, v3 = results["v2"].items[0], results["v3"].items[0]
    assert row["value"] == v3.observed and row["value_against"] == v2.observed
    assert row["difference"] == pytest.approx(v3.observed - v2.observed)
    low, high = mover_difference(
        v3.observed, v3.ci_low, v3.ci_high, v2.observed, v2.ci_low, v2.ci_high
    )
    assert (row["difference_ci_low"], row["difference_ci_high"]) == pytest.approx((low, high))
    assert high < 0 and "higher is better" in row["reason"]
    improved = h.regressions("v2", against="v1").set_index("test_id")
    assert improved.loc["men-recall", "verdict"] == "improved"
    # +0.03 on ~1,000 positive women: within what two independent intervals can tell apart
    assert improved.loc["women-recall", "verdict"] == "no detectable change"


def test_against_best_takes_the_best_earlier_value(
    store: tuple[str, dict[str, mp.SuiteResult]],
) -> None:
    url, results = store
    table = mp.History(url).regressions("v3", against="best").set_index("test_id")
    women = [results[v].items[0].observed for v in ("v1", "v2")]
    assert table.loc["women-recall", "value_against"] == max(women)
    assert table.loc["women-recall", "against"] == ("v1", "v2")[int(np.argmax(women))]
    assert table.loc["women-recall", "verdict"] == "regressed"
    # a difference is lower-better: the best earlier is the smallest
    fpr = [results[v].items[3].observed for v in ("v1", "v2")]
    assert table.loc["race-fpr", "value_against"] == min(fpr)


def test_not_comparable_when_the_data_or_the_definition_changed(
    store: tuple[str, dict[str, mp.SuiteResult]], adult: pd.DataFrame
) -> None:
    url, _ = store
    h = mp.History(url)
    data_changed = h.regressions("v4")
    assert set(data_changed["verdict"]) == {"not comparable"}
    assert all("the data changed between 'v3' and 'v4'" in r for r in data_changed["reason"])
    assert "20000 vs 15000 rows" in data_changed["reason"].iloc[0]
    assert data_changed["difference_ci_low"].isna().all()
    # the test's definition changed (a new threshold), same data
    changed = mp.Suite("income", [mp.SliceTest(id="women-recall", slice="sex == 'Female'",
                                               metric="recall[>50K]", at_least=0.6)])  # fmt: skip
    probe = mp.Probe(adult, target="income", predictions=_predict(adult, "v2"))
    changed.run(probe, record=url, version="v5")
    row = h.regressions("v5", against="v2").iloc[0]
    assert row["verdict"] == "not comparable"
    assert "the test's definition changed between 'v2' and 'v5'" in row["reason"]
    assert row["difference"] == pytest.approx(0.0)  # values are still shown
    # a test missing under the other version
    extra = mp.Suite("income", [mp.SliceTest(id="old-recall", slice="age >= 60",
                                             metric="recall[>50K]", at_least=0.3)])  # fmt: skip
    extra.run(probe, record=url, version="v6")
    row = h.regressions("v6", against="v2").iloc[0]
    assert row["verdict"] == "not comparable" and row["reason"] == "not recorded under 'v2'"


def test_a_missing_value_is_not_comparable(tmp_path: Path) -> None:
    url = str(tmp_path / "runs.db")
    frame = pd.DataFrame({"g": ["a", "b"] * 50, "y": [0, 1] * 50, "p": [0, 1] * 50})
    probe = mp.Probe(frame, target="y", predictions="p")
    suite = mp.Suite(
        "s", [mp.SliceTest(id="t", slice="g == 'a'", metric="recall[1]", at_least=0.5)]
    )
    suite.run(probe, record=url, version="v1")  # g == 'a' holds no positives: undefined
    suite.run(probe, record=url, version="v2")
    row = mp.History(url).regressions("v2").iloc[0]
    assert row["verdict"] == "not comparable"
    assert row["reason"].startswith("no value under 'v1' (outcome inconclusive")


def test_an_ideal_value_judges_by_the_distance_to_it(tmp_path: Path) -> None:
    url = str(tmp_path / "runs.db")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"g": ["a"] * 400, "y": rng.normal(size=400)})
    suite = mp.Suite(
        "s", [mp.SliceTest(id="bias", slice="g == 'a'", metric="mean_error", at_most=1)]
    )
    for version, shift in (("v1", -0.5), ("v2", 0.1), ("v3", 0.6)):
        probe = mp.Probe(
            frame, target="y", predictions=frame["y"] + shift + rng.normal(scale=0.1, size=400)
        )
        suite.run(probe, record=url, version=version)
    h = mp.History(url)
    assert h.regressions("v2").iloc[0]["verdict"] == "improved"  # from -0.5 to 0.1: closer to 0
    row = h.regressions("v3").iloc[0]
    assert row["verdict"] == "regressed" and "further from 0" in row["reason"]
    assert h.regressions("v3", against="best").iloc[0]["against"] == "v2"


def test_errors_name_the_argument_and_the_choices(
    store: tuple[str, dict[str, mp.SuiteResult]],
) -> None:
    url, _ = store
    h = mp.History(url)
    with pytest.raises(
        mp.ValidationError, match=r"no run recorded as version 'v7'.*\['v1', 'v2', 'v3', 'v4'\]"
    ):
        h.regressions("v7")
    with pytest.raises(mp.ValidationError, match=r"against: no run recorded as version 'v9'"):
        h.regressions("v3", against="v9")
    with pytest.raises(mp.ValidationError, match="no version was recorded before 'v1'"):
        h.regressions("v1")
    with pytest.raises(mp.ValidationError, match="is the version under study"):
        h.regressions("v2", against="v2")
    with pytest.raises(mp.ValidationError, match="Did you mean 'women-recall'"):
        h.trend("women-recal")
    with pytest.raises(
        mp.ValidationError, match=r"value: expected one of \['observed', 'outcome'\]"
    ):
        h.matrix(value="outcomes")
    with pytest.raises(
        mp.ValidationError, match=r"suite: no run of suite 'incme'.*Did you mean 'income'"
    ):
        h.matrix(suite="incme")
    with pytest.raises(mp.ValidationError, match="since: cannot read 'yesterday-ish' as a time"):
        h.runs(since="yesterday-ish")
    with pytest.raises(mp.ValidationError, match="Did you mean 'women-recall'"):
        h.trend_chart("women-recal")


def test_a_trend_chart_draws_every_recorded_run(
    store: tuple[str, dict[str, mp.SuiteResult]],
) -> None:
    from mlprobe.render import chart_svg

    h = mp.History(store[0])
    spec = h.trend_chart("women-recall").to_dict()
    assert spec["title"] == "women-recall" or "women-recall" in str(spec["title"])
    assert chart_svg(h.trend_chart("women-recall")).lstrip().startswith("<svg")


def test_a_store_on_a_server_that_is_down_is_a_clear_error() -> None:
    with pytest.raises(RunStoreError, match="cannot read the run store"):
        mp.History("postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_mover_interval_matches_its_formula() -> None:
    low, high = mover_difference(0.7, 0.6, 0.8, 0.5, 0.45, 0.56)
    assert low == pytest.approx(0.2 - math.hypot(0.1, 0.06))
    assert high == pytest.approx(0.2 + math.hypot(0.1, 0.05))
