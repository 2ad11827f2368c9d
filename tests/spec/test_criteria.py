"""A suite as written success criteria: sentences, grouping by tags, escaping, baselines, history."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from typing import Any

import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.core.number_format import format_plain
from mlprobe.errors import ValidationError
from mlprobe.spec import Baseline
from mlprobe.spec.criteria import (
    criteria_html,
    criteria_markdown,
    describe_test,
    matrix_markdown,
    metric_words,
)

OLDER_WOMEN = mp.Slice.parse("age >= 60 and sex == 'Female'", name="women over 60")


class FakeHistory:
    """A reader with the contract's columns, for tests that need no run store."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.frame = pd.DataFrame(rows)
        self.calls: list[dict[str, Any]] = []

    def runs(self, suite: str | None = None, **filters: Any) -> pd.DataFrame:
        self.calls.append({"suite": suite, **filters})
        frame = self.frame
        if suite is not None:
            if len(frame) == 0 or suite not in set(frame["suite"]):
                raise ValidationError(f"suite: no run of suite {suite!r}")
            frame = frame[frame["suite"] == suite]
        return frame.reset_index(drop=True)

    def versions(self, suite: str | None = None) -> list[str]:
        return list(dict.fromkeys(self.runs(suite=suite)["version"]))

    def trend(self, test_id: str, suite: str | None = None) -> pd.DataFrame:
        frame = self.runs(suite=suite)
        return frame[frame["test_id"] == test_id].reset_index(drop=True)


def _row(run_id: int, version: str, test_id: str, outcome: str, observed: float, **extra: Any):
    return {
        "run_id": run_id,
        "suite": extra.pop("suite", "income"),
        "version": version,
        "recorded_at": pd.Timestamp(f"2026-12-0{run_id}T10:00", tz="UTC"),
        "test_id": test_id,
        "outcome": outcome,
        "observed": observed,
        "ci_low": observed - 0.03,
        "ci_high": observed + 0.03,
        "threshold": extra.pop("threshold", 0.55),
        "n": extra.pop("n", 455),
        "definition_hash": extra.pop("definition_hash", None),
        **extra,
    }


def _suite() -> mp.Suite:
    return mp.Suite(
        "income",
        [
            mp.SliceTest(
                id="older-women-recall",
                slice=OLDER_WOMEN,
                metric="recall[>50K]",
                at_least=0.55,
                baseline=Baseline(0.61, 455, "v3", "2026-12-04"),
                tags=["fairness", "critical"],
                description="Loan officers rely on it.",
            ),
            mp.SliceTest(
                id="young-error",
                slice=mp.Slice.parse("age < 26"),
                metric="error_rate",
                max_drop_from_baseline=0.03,
                baseline=Baseline(0.12, 3012, "v2", "2026-11-28"),
            ),
            mp.GroupTest(id="race-fpr", by="race", metric="fpr[>50K]", max_difference=0.1),
            mp.GroupTest(
                id="sex-selection",
                by="sex",
                metric="selection_rate[>50K]",
                min_ratio=0.8,
                tags=["fairness"],
                confidence=0.9,
            ),
        ],
        description="What the income model must keep doing.",
    )


# --- sentences -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expect", "sentence"),
    [
        (
            {"at_least": 0.55},
            "On women over 60 (age >= 60 and sex == 'Female'), recall of >50K must stay at "
            "least 0.55.",
        ),
        (
            {"at_most": 0.3},
            "On women over 60 (age >= 60 and sex == 'Female'), recall of >50K must stay at "
            "most 0.3.",
        ),
        (
            {"max_gap_to_overall": 0.05},
            "On women over 60 (age >= 60 and sex == 'Female'), recall of >50K must not fall "
            "more than 0.05 below its value on all rows.",
        ),
        (
            {"max_drop_from_baseline": 0.03},
            "On women over 60 (age >= 60 and sex == 'Female'), recall of >50K must not drop "
            "more than 0.03 below its baseline (none recorded yet).",
        ),
    ],
)
def test_every_slice_expectation_reads_as_a_sentence(expect: dict, sentence: str) -> None:
    test = mp.SliceTest(id="t", slice=OLDER_WOMEN, metric="recall[>50K]", **expect)
    assert describe_test(test) == sentence


def test_a_baseline_is_said_with_when_what_and_how_many_rows() -> None:
    baseline = Baseline(0.61, 455, "v3", "2026-12-04")
    drop = mp.SliceTest(
        id="t", slice=OLDER_WOMEN, metric="recall[>50K]", max_drop_from_baseline=0.03
    )
    assert describe_test(drop.with_baseline(baseline)).endswith(
        "recall of >50K must not drop more than 0.03 below its baseline of 0.610 "
        "(recorded 2026-12-04 with v3 on 455 rows)."
    )
    least = mp.SliceTest(id="t", slice=OLDER_WOMEN, metric="recall[>50K]", at_least=0.55)
    assert describe_test(least.with_baseline(baseline)).endswith(
        "must stay at least 0.55 — baseline 0.610, recorded 2026-12-04 with v3 on 455 rows."
    )


def test_lower_is_better_metrics_read_the_other_way() -> None:
    gap = mp.SliceTest(id="t", slice="age < 26", metric="fpr", max_gap_to_overall=0.02)
    assert describe_test(gap) == (
        "On rows where age < 26, false positive rate must not rise more than 0.02 above its "
        "value on all rows."
    )
    custom = mp.SliceTest(id="t", slice="age < 26", metric="my_score", max_gap_to_overall=0.02)
    assert "must stay within 0.02 of its value on all rows, on the worse side" in (
        describe_test(custom)
    )


def test_group_tests_read_as_sentences() -> None:
    difference = mp.GroupTest(id="g", by="race", metric="fpr[>50K]", max_difference=0.1)
    assert describe_test(difference) == (
        "Across the groups of race (groups under 30 rows not compared), the false positive "
        "rate of >50K may differ by at most 0.1 between the highest and the lowest group."
    )
    ratio = mp.GroupTest(
        id="g",
        by=["age", "sex"],
        bins=[30, 50],
        metric="selection_rate",
        min_ratio=0.8,
        model="v2",
        min_support=100,
    )
    assert describe_test(ratio) == (
        "Across the combined groups of age and sex (numeric columns cut at 30 and 50; groups "
        "under 100 rows not compared), the lowest group's selection rate of model v2 must be "
        "at least 0.8 of the highest's."
    )
    summary = mp.GroupTest(id="g", by="sex", metric="equalized_odds", max_difference=0.1, bins=4)
    assert "the true and false positive rates (equalized odds) may differ" in describe_test(summary)
    assert "numeric columns in 4 bins of about equal size" in describe_test(summary)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("recall", "recall"),
        ("fpr", "false positive rate"),
        ("fnr[yes]", "false negative rate of yes"),
        ("tnr", "true negative rate"),
        ("npv", "negative predictive value"),
        ("tpr", "true positive rate"),
        ("selection_rate", "selection rate"),
        ("prevalence", "prevalence"),
        ("accuracy", "accuracy"),
        ("error_rate", "error rate"),
        ("balanced_accuracy", "balanced accuracy"),
        ("macro_f1", "macro-averaged F1 score"),
        ("f1[a b]", "F1 score of a b"),
        ("precision", "precision"),
        ("roc_auc", "ROC AUC"),
        ("log_loss", "log loss"),
        ("brier", "Brier score"),
        ("mae", "mean absolute error"),
        ("rmse", "root mean squared error"),
        ("mse", "mean squared error"),
        ("r2", "R²"),
        ("mean_error", "mean error (bias)"),
        ("demographic_parity", "selection rate (demographic parity)"),
        ("custom_thing", "custom_thing"),
        ("custom[x]", "custom[x]"),
    ],
)
def test_metric_names_in_words(name: str, words: str) -> None:
    assert metric_words(name) == words


def test_numbers_read_as_format_number_rounds_them() -> None:
    assert format_plain(0.61234) == "0.612"
    assert format_plain(0.5) == "0.5"
    assert format_plain(3012) == "3,012"
    assert format_plain(float("nan")) == "–"
    assert format_plain(-1e-5) == "-1e-05"


def test_describe_test_refuses_what_is_not_a_test() -> None:
    with pytest.raises(ValidationError, match="expected a SliceTest or a GroupTest"):
        describe_test("older-women-recall")  # type: ignore[arg-type]


# --- where the threshold came from, and how it is judged ----------------------------------------


def test_threshold_origin_names_baseline_and_allowance() -> None:
    markdown = _suite().to_markdown()
    assert "Threshold: baseline 0.610 minus an allowance of 0.06." in markdown
    assert "Threshold: baseline 0.120 plus an allowance of 0.03 = 0.15." in markdown
    assert markdown.count("Threshold: set by hand.") == 2
    bad = mp.SliceTest(
        id="t", slice="age < 26", metric="accuracy", at_least=0.9, baseline=Baseline(0.8)
    )
    assert "set by hand; the baseline 0.800 does not meet it" in criteria_markdown(
        mp.Suite("s", [bad])
    )


def test_from_slices_tests_say_baseline_minus_allowance() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.choice(["x", "y"], 400)})
    y = rng.integers(0, 2, 400)
    wrong = (df["a"] == "x") & (rng.random(400) < 0.4)
    probe = mp.Probe(df.assign(y=y), target="y", predictions=np.where(wrong, 1 - y, y))
    suite = mp.Suite.from_slices(["a == 'x'"], name="found", probe=probe, metric="accuracy")
    test = suite.tests[0]
    expected = (
        f"Threshold: baseline {format_plain(test.baseline.value)} minus an allowance of "
        f"{format_plain(test.threshold_value)} = "
        f"{format_plain(test.baseline.value - test.threshold_value)}."
    )
    assert expected in suite.to_markdown()


def test_confidence_and_support_are_said() -> None:
    markdown = _suite().to_markdown()
    assert (
        "Judged on the 90% interval of the ratio: it passes or fails only when the whole "
        "interval is on one side of the threshold" in markdown
    )
    assert "inconclusive with fewer than 30 rows in the slice" in markdown


# --- the document --------------------------------------------------------------------------------


def test_tests_are_grouped_by_tag_with_untagged_last() -> None:
    markdown = _suite().to_markdown()
    headings = re.findall(r"^## (.+)$", markdown, flags=re.MULTILINE)
    assert headings == ["fairness", "critical", "Other tests"]
    fairness = markdown.split("## fairness")[1].split("## critical")[0]
    assert "**older-women-recall**" in fairness and "**sex-selection**" in fairness
    other = markdown.split("## Other tests")[1]
    assert "**young-error**" in other and "**race-fpr**" in other
    assert "older-women-recall" not in other
    assert "Tags: fairness, critical." in markdown
    assert markdown.startswith("# Success criteria: income\n\nWhat the income model")
    assert "4 tests: 2 on slices, 2 across groups." in markdown


def test_an_empty_suite_still_renders() -> None:
    assert "0 tests." in mp.Suite("empty").to_markdown()
    assert "0 tests." in mp.Suite("empty").to_html()


HOSTILE = "<script>alert(1)</script> | *bold* _it_ [x](y) `tick` & #h"


def _hostile_suite() -> mp.Suite:
    return mp.Suite(
        HOSTILE,
        [
            mp.SliceTest(
                id="a_b",
                slice=mp.Slice(HOSTILE, mp.col("x|y") == "<b>|`"),
                metric="recall[<img src=x onerror=alert(1)>]",
                at_least=0.5,
                description=HOSTILE + "\nsecond line\x1b[2J",
                tags=[HOSTILE],
            )
        ],
        description=HOSTILE,
    )


def _hostile_history() -> FakeHistory:
    return FakeHistory([_row(1, "v<1>|*", "a_b", "failed", 0.4, suite=HOSTILE, threshold=0.5)])


def test_markdown_escapes_user_text() -> None:
    markdown = _hostile_suite().to_markdown(history=_hostile_history())
    outside_code = re.sub(r"(`+).*?\1", "", markdown)  # inline code shows text as it is
    assert not re.search(r"(?<!\\)[<>\[\]&]", outside_code)  # no HTML, link or entity
    assert r"\<script\>" in markdown
    assert r"\*bold\*" in markdown and r"\_it\_" in markdown and r"\[x\](y)" in markdown
    assert "\x1b" not in markdown and r"\x1b" in markdown
    # the description stays on its bullet's line
    assert any(
        line.startswith("  - \\<script") and line.endswith("second line\\x1b\\[2J")
        for line in markdown.splitlines()
    )
    # every table row has exactly the columns of its header: no '|' from user text splits one
    table = [line for line in markdown.splitlines() if line.startswith("|")]
    assert table
    for line in table:
        assert len(re.findall(r"(?<!\\)\|", line)) == 8, line
    assert "| a\\_b | v\\<1\\>\\|\\* | **FAILED** | 0.400 | 0.500 | 455 | 2026-12-01 |" in table
    # the slice's expression is code, fenced past its backtick
    assert "``x|y == '<b>|`'``" in markdown or "`` `x|y` == '<b>|`' ``" in markdown


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs


def test_html_escapes_user_text_and_runs_nothing() -> None:
    svg = "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    page = _hostile_suite().to_html(history=_hostile_history(), charts={"a_b": svg})
    parser = _Collector()
    parser.feed(page)
    assert "script" not in parser.tags
    assert not any(name.startswith("on") for name, _ in parser.attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\x1b" not in page
    # the chart is an image (a data URI), never inline markup
    (source,) = [v for k, v in parser.attrs if k == "src"]
    assert source and source.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(source.split(",", 1)[1]).decode() == svg
    assert "Content-Security-Policy" in page
    assert "http://" not in page.replace("http://www.w3.org", "")  # nothing fetched


def test_html_is_one_offline_page() -> None:
    page = _suite().to_html()
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page and "<script" not in page and "<link" not in page
    assert "src=" not in page  # no chart given, no image
    assert "women over 60 (<code>age &gt;= 60 and sex == &#x27;Female&#x27;</code>)" in page


def test_bad_history_and_charts_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"pass mlprobe.History\(path\)"):
        _suite().to_markdown(history="runs.db")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="'charts' must be None or a dict"):
        _suite().to_html(charts=["<svg/>"])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="expected a Suite"):
        criteria_markdown(_suite().tests)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="expected a Suite"):
        criteria_html(_suite().tests)  # type: ignore[arg-type]


# --- with history ------------------------------------------------------------------------------


def _history() -> FakeHistory:
    rows = []
    values = {
        "v1": ("passed", 0.61),
        "v2": ("passed", 0.60),
        "v3": ("failed", 0.52),
    }
    for run_id, (version, (outcome, value)) in enumerate(values.items(), start=1):
        rows.append(_row(run_id, version, "older-women-recall", outcome, value))
        rows.append(_row(run_id, version, "race-fpr", "passed", 0.05, threshold=0.1, n=900))
    rows.append(_row(4, "v2", "race-fpr", "error", float("nan"), threshold=0.1, n=None))
    rows.append(_row(5, "v0", "other-test", "passed", 0.5))
    rows.append(_row(6, "v9", "race-fpr", "passed", 0.01, suite="another-suite"))
    return FakeHistory(rows)


def test_history_gives_the_latest_outcome_per_version() -> None:
    history = _history()
    markdown = _suite().to_markdown(history=history)
    assert history.calls[0]["suite"] == "income"
    assert (
        "  - Latest by version: v1 passed 0.610 · v2 passed 0.600 · v3 **FAILED** 0.520" in markdown
    )
    # a later run of v2 replaces the earlier one; an undefined value shows no number
    assert "  - Latest by version: v1 passed 0.050 · v2 **ERROR** · v3 passed 0.050" in markdown
    assert "  - Latest by version: not recorded yet" in markdown
    assert "Versions recorded: v1, v2, v3, v0." in markdown
    assert "v9" not in markdown  # another suite's runs
    table = markdown.split("## Latest outcomes")[1]
    assert "| older-women-recall | v3 | **FAILED** | 0.520 | 0.550 | 455 | 2026-12-03 |" in table
    assert "| race-fpr | v3 | passed | 0.050 | 0.100 | 900 | 2026-12-03 |" in table
    assert "| young-error | – | not recorded | – | – | – | – |" in table


def test_history_in_html_with_charts() -> None:
    page = _suite().to_html(history=_history(), charts={"race-fpr": "<svg/>", "nope": "<svg/>"})
    assert 'Latest by version: v1 <span class="o-passed">passed</span> 0.61' in page
    assert '<span class="o-failed">FAILED</span> 0.52' in page
    assert page.count('<img class="trend"') == 1
    assert "<h2>Latest outcomes</h2>" in page


def test_a_suite_the_store_never_recorded() -> None:
    markdown = _suite().to_markdown(
        history=FakeHistory([_row(1, "v1", "x", "passed", 0.5, suite="other")])
    )
    assert "Versions recorded: none yet." in markdown
    # four tests, one of them under two tags
    assert markdown.count("Latest by version: not recorded yet") == 5


def test_runs_under_another_definition_are_marked() -> None:
    from mlprobe.spec.run_store import definition_of

    suite = _suite()
    current = definition_of(suite["older-women-recall"])[1]
    history = FakeHistory(
        [
            _row(1, "v1", "older-women-recall", "passed", 0.7, definition_hash="0" * 16),
            _row(2, "v2", "older-women-recall", "passed", 0.6, definition_hash=current),
        ]
    )
    markdown = suite.to_markdown(history=history)
    assert "v1 passed 0.700 (other definition) · v2 passed 0.600" in markdown


def test_matrix_markdown() -> None:
    matrix = pd.DataFrame(
        {"a": ["passed", "failed"], "b|*": [None, "error"]},
        index=pd.Index(["v1", "v2"], name="version"),
    )
    assert matrix_markdown(matrix).splitlines() == [
        "| Test | v1 | v2 |",
        "|---|---|---|",
        "| a | passed | **FAILED** |",
        "| b\\|\\* | – | **ERROR** |",
    ]


def test_with_the_real_run_store(tmp_path: Any) -> None:
    import numpy as np

    df = pd.DataFrame({"g": ["a", "b"] * 50, "y": [0, 1] * 50})
    suite = mp.Suite(
        "s", [mp.SliceTest(id="a-acc", slice="g == 'a'", metric="accuracy", at_least=0.8)]
    )
    store = tmp_path / "runs.db"
    for version, wrong in (("v1", 0), ("v2", 20)):
        predictions = np.array([0, 1] * 50)
        predictions[:wrong] = 1 - predictions[:wrong]
        probe = mp.Probe(df, target="y", predictions=predictions)
        suite.run(probe, record=store, version=version)
    history = mp.History(store)
    try:
        markdown = suite.to_markdown(history=history)
    finally:
        history.close()
    assert "Latest by version: v1 passed 1.000 · v2 passed 0.800" in markdown
