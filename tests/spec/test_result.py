"""Tests of SuiteResult: the verdict, the outcomes table, text, HTML and JUnit XML."""

from __future__ import annotations

import math
import os
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest

import mlprobe as mp
from mlprobe import Slice, SliceTest, Suite, SuiteResult
from mlprobe.spec import OUTCOMES, TestOutcome

REQUIRED_COLUMNS = [
    "id",
    "outcome",
    "metric",
    "observed",
    "ci_low",
    "ci_high",
    "threshold",
    "n",
    "reason",
]


def outcome(test_id: str, kind: str, **fields: object) -> TestOutcome:
    defaults: dict[str, object] = {
        "metric": "accuracy",
        "reason": f"{kind} because",
        "slice": "a == 1",
    }
    defaults.update(fields)
    return TestOutcome(id=test_id, outcome=kind, **defaults)  # type: ignore[arg-type]


def mixed() -> SuiteResult:
    return SuiteResult(
        "income",
        [
            outcome("ok", "passed", observed=0.9, ci_low=0.85, ci_high=0.93, threshold=0.8, n=200),
            outcome("bad", "failed", observed=0.6, ci_low=0.5, ci_high=0.69, threshold=0.8, n=100),
            outcome("small", "inconclusive", observed=0.5, n=10, reason="only 10 rows"),
            outcome("broken", "error", reason="slice column 'zz' is not in the data."),
        ],
    )


# --- the verdict ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kinds", "passed"),
    [
        ([], True),
        (["passed"], True),
        (["passed", "inconclusive"], True),
        (["inconclusive", "inconclusive"], True),
        (["passed", "failed"], False),
        (["passed", "error"], False),
        (["error"], False),
        (["inconclusive", "failed", "error"], False),
    ],
)
def test_passed_means_nothing_failed_or_errored(kinds: list[str], passed: bool) -> None:
    result = SuiteResult("s", [outcome(f"t{i}", k) for i, k in enumerate(kinds)])
    assert result.passed is passed


def test_counts_in_outcome_order() -> None:
    counts = mixed().counts()
    assert list(counts) == list(OUTCOMES) == ["passed", "failed", "inconclusive", "error"]
    assert counts == {"passed": 1, "failed": 1, "inconclusive": 1, "error": 1}
    assert SuiteResult("s", []).counts() == dict.fromkeys(OUTCOMES, 0)


# --- the table ------------------------------------------------------------------------


def test_outcomes_table() -> None:
    frame = mixed().outcomes
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns[: len(REQUIRED_COLUMNS)]) == REQUIRED_COLUMNS
    assert {"slice", "model", "description"} <= set(frame.columns)
    assert list(frame["id"]) == ["ok", "bad", "small", "broken"]
    assert list(frame["outcome"]) == ["passed", "failed", "inconclusive", "error"]
    for column in ("observed", "ci_low", "ci_high", "threshold"):
        assert frame[column].dtype == "float64", column
    assert frame["n"].dtype == "Int64"
    assert frame["n"].tolist()[:3] == [200, 100, 10]
    assert frame["n"].isna().tolist() == [False, False, False, True]
    assert math.isnan(frame.loc[3, "observed"])
    assert frame.loc[3, "reason"] == "slice column 'zz' is not in the data."


def test_outcomes_table_of_no_tests() -> None:
    frame = SuiteResult("s", []).outcomes
    assert frame.empty
    assert list(frame.columns[: len(REQUIRED_COLUMNS)]) == REQUIRED_COLUMNS
    assert frame["n"].dtype == "Int64"


def test_outcomes_table_of_a_real_run(probe: mp.Probe) -> None:
    suite = Suite(
        "groups",
        [
            SliceTest(id="a", slice="g == 'a'", metric="accuracy", at_least=0.8),
            SliceTest(id="c", slice="g == 'c'", metric="accuracy", at_least=0.8),
            SliceTest(id="z", slice="zz == 1", metric="accuracy", at_least=0.8),
        ],
    )
    frame = suite.run(probe, model="v1").outcomes
    assert list(frame["outcome"]) == ["passed", "inconclusive", "error"]
    truth = probe.metric("accuracy", "g == 'a'", model="v1")
    row = frame.iloc[0]
    assert (row["observed"], row["ci_low"], row["ci_high"], row["n"]) == (
        truth["value"],
        truth["ci_low"],
        truth["ci_high"],
        truth["n"],
    )
    assert row["threshold"] == 0.8
    assert row["model"] == "v1"
    assert row["slice"] == "g == 'a'"
    assert frame["n"].dtype == "Int64"


# --- text and HTML --------------------------------------------------------------------


def test_repr_and_str() -> None:
    result = mixed()
    assert repr(result) == "<SuiteResult 'income': 1 passed, 1 failed, 1 inconclusive, 1 error>"
    lines = str(result).splitlines()
    assert lines[0] == repr(result)
    assert lines[1:] == [
        "  PASSED       ok: passed because",
        "  FAILED       bad: failed because",
        "  INCONCLUSIVE small: only 10 rows",
        "  ERROR        broken: slice column 'zz' is not in the data.",
    ]
    assert repr(SuiteResult("s", [])) == "<SuiteResult 's': no tests>"


def test_html_summary() -> None:
    html = mixed()._repr_html_()
    assert html.startswith("<div class='mlprobe-suite-result'>")
    assert "&lt;SuiteResult &#x27;income&#x27;: 1 passed, 1 failed" in html
    for kind in OUTCOMES:
        assert f">{kind}</b>" in html
    assert html.count("<tr>") == 5  # header + 4 tests


def test_html_escapes_slice_text_ids_and_reasons() -> None:
    result = SuiteResult(
        "<suite>",
        [
            outcome(
                "x",
                "failed",
                slice="name == '<script>alert(1)</script>' and b == \"&\"",
                reason="expected <b>bold</b> & more",
            )
        ],
    )
    html = result._repr_html_()
    assert "<script>" not in html and "<b>bold" not in html and "<suite>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "expected &lt;b&gt;bold&lt;/b&gt; &amp; more" in html
    assert "&quot;&amp;&quot;" in html


def test_html_of_a_real_slice_with_markup(probe: mp.Probe) -> None:
    test = SliceTest(id="t", slice=Slice.parse("g == '<a>'"), metric="accuracy", at_least=0.5)
    html = Suite("s", [test]).run(probe, model="v1")._repr_html_()
    assert "g == &#x27;&lt;a&gt;&#x27;" in html
    assert "<a>" not in html


# --- JUnit XML ------------------------------------------------------------------------


def parse(path: Path) -> ElementTree.Element:
    root = ElementTree.parse(path).getroot()
    assert root.tag == "testsuites"
    (suite,) = list(root)
    assert suite.tag == "testsuite"
    return suite


def test_junit_counts_names_and_messages(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    result = mixed()
    assert result.to_junit(path) is None
    suite = parse(path)
    assert suite.attrib == {
        "name": "income",
        "tests": "4",
        "failures": "1",
        "errors": "1",
        "skipped": "1",
    }
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["ok", "bad", "small", "broken"]
    assert {c.get("classname") for c in cases} == {"mlprobe.income"}
    ok, bad, small, broken = cases
    assert list(ok) == []
    ((failure,),) = [list(bad)]
    assert failure.tag == "failure" and failure.get("message") == "failed because"
    assert failure.text is not None and failure.text.startswith("slice: a == 1\nfailed because")
    assert [e.tag for e in small] == ["skipped"]
    assert small[0].get("message") == "only 10 rows"
    assert [e.tag for e in broken] == ["error"]
    assert broken[0].get("message") == "slice column 'zz' is not in the data."


def test_junit_of_a_real_run(probe: mp.Probe, tmp_path: Path) -> None:
    suite = Suite(
        "groups",
        [
            SliceTest(id="a", slice="g == 'a'", metric="accuracy", at_least=0.8),
            SliceTest(id="b", slice="g == 'b'", metric="accuracy", at_least=0.8),
            SliceTest(id="c", slice="g == 'c'", metric="accuracy", at_least=0.8),
            SliceTest(id="z", slice="zz == 1", metric="accuracy", at_least=0.8),
        ],
    )
    result = suite.run(probe, model="v1")
    result.to_junit(tmp_path / "junit.xml")
    xml_suite = parse(tmp_path / "junit.xml")
    counts = result.counts()
    assert xml_suite.get("failures") == str(counts["failed"]) == "1"
    assert xml_suite.get("errors") == str(counts["error"]) == "1"
    assert xml_suite.get("skipped") == str(counts["inconclusive"]) == "1"
    messages = {c.get("name"): [e.get("message") for e in c] for c in xml_suite}
    assert messages == {o.id: ([] if o.outcome == "passed" else [o.reason]) for o in result.items}


def test_junit_escapes_markup_and_keeps_unicode(tmp_path: Path) -> None:
    result = SuiteResult(
        "ünï <&>",
        [outcome("t", "failed", reason='a < b & "c" ✓', description="line 1\nline 2")],
    )
    result.to_junit(tmp_path / "j.xml")
    suite = parse(tmp_path / "j.xml")
    assert suite.get("name") == "ünï <&>"
    case = suite.find("testcase")
    assert case is not None
    (failure,) = list(case)
    assert failure.get("message") == 'a < b & "c" ✓'
    assert failure.text is not None and failure.text.endswith("line 1\nline 2")


def test_junit_with_characters_xml_cannot_hold(tmp_path: Path) -> None:
    """Control characters (from a column name, a description) must not break the report."""
    result = SuiteResult(
        "s\x01",
        [outcome("t", "error", reason="column 'a\x00b' \x1b[31m", slice="`a\x01b` == 1")],
    )
    result.to_junit(tmp_path / "j.xml")
    suite = parse(tmp_path / "j.xml")
    assert suite.get("name") == "s\\x01"
    case = suite.find("testcase")
    assert case is not None
    (error,) = list(case)
    assert error.get("message") == "column 'a\\x00b' \\x1b[31m"
    assert error.text is not None and "`a\\x01b` == 1" in error.text


def test_junit_is_written_atomically(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "junit.xml"
    mixed().to_junit(path)
    mixed().to_junit(str(path))  # overwrite, from a str path
    assert os.listdir(tmp_path / "reports") == ["junit.xml"]
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>\n<testsuites>")
    assert text.endswith("</testsuites>\n")


def test_junit_of_no_tests(tmp_path: Path) -> None:
    SuiteResult("empty", []).to_junit(tmp_path / "j.xml")
    suite = parse(tmp_path / "j.xml")
    assert suite.get("tests") == "0" and list(suite) == []


def test_test_outcome_is_not_collected_by_pytest() -> None:
    assert TestOutcome.__test__ is False
