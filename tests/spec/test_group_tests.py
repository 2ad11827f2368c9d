"""Group tests (issue 16, part 4): ``by: race``, ``metric: fpr``, ``expect: {max_difference: 0.1}``.

Declaration and its errors, the file format (schema, fast pass, round trips), the runner's
outcomes on the bundled Adult data (a rule's predictions: ``>50K`` when education_num >= 13),
baselines, and that loading a group test never runs anything.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from suite_strategies import (
    GROUP_DOCUMENT,
    VALID_DOCUMENT,
    examples,
    group_tests,
    mutated_documents,
    plain_yaml,
)

import mlprobe as mp
from mlprobe import Baseline, GroupTest, SliceTest, Suite, SuiteFileError, ValidationError
from mlprobe.spec import GROUP_EXPECTATIONS, SuiteResult, TestOutcome, run_test, schema
from mlprobe.testing import assert_suite, format_outcome, threshold_text

# the module: the package's name 'schema' is the function schema()
spec_schema = importlib.import_module("mlprobe.spec.schema")


# --- declaration ------------------------------------------------------------------------


def test_declaration_normalises_and_round_trips() -> None:
    test = GroupTest(
        id="age-sex",
        by=["age", "sex"],
        bins=[30, 50],
        metric="selection_rate",
        min_ratio=0.8,
        min_support=50,
        confidence=0.9,
        description="Four-fifths rule.",
        tags=["fairness"],
        model="v2",
        baseline=Baseline(0.85, 6, "v2", "2026-11-28"),
    )
    assert test.by == ("age", "sex") and test.bins == (30, 50) and test.tags == ("fairness",)
    assert (test.expectation, test.threshold_value, test.statistic) == ("min_ratio", 0.8, "ratio")
    assert test.groups_text == "by age, sex"
    assert test.to_dict() == {
        "id": "age-sex",
        "description": "Four-fifths rule.",
        "by": ["age", "sex"],
        "bins": [30, 50],
        "metric": "selection_rate",
        "expect": {"min_ratio": 0.8},
        "min_support": 50,
        "confidence": 0.9,
        "model": "v2",
        "tags": ["fairness"],
        "baseline": {"value": 0.85, "n": 6, "model": "v2", "recorded": "2026-11-28"},
    }
    assert GroupTest.from_dict(test.to_dict()) == test
    assert GroupTest.from_dict(
        GroupTest(id="t", by="race", metric="fpr", max_difference=0.1).to_dict()
    )


@examples(50)
@given(test=group_tests())
def test_any_group_test_round_trips_through_yaml_and_json(test: GroupTest) -> None:
    assert GroupTest.from_dict(test.to_dict()) == test
    suite = Suite("s", [test])
    assert Suite.loads(suite.dumps()) == suite
    assert Suite.loads(suite.dumps(json_format=True), json_format=True) == suite


@pytest.mark.parametrize(
    ("fields", "fragments"),
    [
        (
            {"max_difference": 0.1, "min_ratio": 0.8},
            ["give exactly one of max_difference, min_ratio", "['max_difference', 'min_ratio']"],
        ),
        ({}, ["give exactly one of max_difference, min_ratio", "received none"]),
        ({"max_difference": -0.1}, ["max_difference: expected a number >= 0", "received -0.1"]),
        ({"min_ratio": 1.2}, ["min_ratio: expected a number between 0 and 1", "received 1.2"]),
        ({"min_ratio": -0.1}, ["min_ratio: expected a number between 0 and 1"]),
        ({"max_difference": math.nan}, ["max_difference: expected a finite number"]),
        ({"max_difference": "0.1"}, ["max_difference: expected a finite number", "'0.1'"]),
        ({"max_difference": 0.1, "by": ""}, ["'by' must name a column", "by='race'"]),
        ({"max_difference": 0.1, "by": []}, ["'by' must list one or more column names"]),
        ({"max_difference": 0.1, "by": ["race", 3]}, ["'by' must list", "['race', 3]"]),
        ({"max_difference": 0.1, "by": ["race", "race"]}, ["'race' more than once"]),
        ({"max_difference": 0.1, "by": 3}, ["'by' must be a column name or a list", "3"]),
        ({"max_difference": 0.1, "bins": 0}, ["bins: expected at least 1 bin; received 0"]),
        ({"max_difference": 0.1, "bins": [50, 30]}, ["bins", "increase strictly", "[50, 30]"]),
        ({"max_difference": 0.1, "bins": []}, ["'bins' must list at least one cut point"]),
        ({"max_difference": 0.1, "bins": "4"}, ["'bins' must be a number of bins", "'4'"]),
        ({"max_difference": 0.1, "bins": [1, math.inf]}, ["cut points must be finite"]),
        ({"max_difference": 0.1, "min_support": -1}, ["'min_support' must be a whole number"]),
        ({"max_difference": 0.1, "confidence": 1.5}, ["'confidence' must be None or between"]),
        ({"max_difference": 0.1, "metric": ""}, ["'metric' must be a metric name"]),
        ({"max_difference": 0.1, "tags": "fairness"}, ["'tags' must be a list of str"]),
        ({"max_difference": 0.1, "model": ""}, ["'model' must be None or a model name"]),
    ],
)
def test_declaration_errors_name_the_field_what_was_received_and_the_fix(
    fields: dict[str, Any], fragments: list[str]
) -> None:
    arguments: dict[str, Any] = {"id": "t", "by": "race", "metric": "fpr", **fields}
    with pytest.raises(ValidationError) as caught:
        GroupTest(**arguments)
    message = str(caught.value)
    assert message.startswith("GroupTest 't': "), message
    for fragment in fragments:
        assert fragment in message, message


def test_a_bad_id_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"GroupTest: 'id' must be letters.*received '-x'"):
        GroupTest(id="-x", by="race", metric="fpr", max_difference=0.1)


def test_group_test_is_exported_next_to_slice_test() -> None:
    assert "GroupTest" in mp.__all__ and mp.GroupTest is GroupTest
    assert "GroupTest" in dir(mp)
    assert GROUP_EXPECTATIONS == ("max_difference", "min_ratio")


# --- the file format ----------------------------------------------------------------------

YAML = """\
mlprobe: 1
name: income-fairness
tests:
  - id: race-fpr
    description: False positives must not fall on one group.
    by: race
    metric: fpr
    expect: {max_difference: 0.1}
  - id: age-selection
    by: [age, sex]
    bins: [30, 50]
    metric: selection_rate
    expect: {min_ratio: 0.8}
    min_support: 100
    confidence: 0.9
  - id: older-women-recall
    slice: {name: older women, and: [{column: age, ge: 60}, {column: sex, eq: Female}]}
    metric: recall
    expect: {at_least: 0.3}
"""


def test_a_suite_file_mixes_slice_and_group_tests() -> None:
    suite = Suite.loads(YAML)
    race, age, women = suite.tests
    assert isinstance(race, GroupTest) and isinstance(age, GroupTest)
    assert isinstance(women, SliceTest)
    assert (race.by, race.metric, race.max_difference) == ("race", "fpr", 0.1)
    assert (age.by, age.bins, age.min_ratio, age.min_support, age.confidence) == (
        ("age", "sex"),
        (30, 50),
        0.8,
        100,
        0.9,
    )
    assert suite.dumps() == YAML  # what a person writes is what mlprobe writes
    assert Suite.loads(suite.dumps(json_format=True), json_format=True) == suite
    assert spec_schema._surely_valid(suite.to_dict())  # the fast pass accepts it


def _load_error(document: Any) -> str:
    with pytest.raises(SuiteFileError) as caught:
        Suite.loads(plain_yaml(document))
    return str(caught.value)


def _with_test(test: dict[str, Any]) -> dict[str, Any]:
    return {"mlprobe": 1, "name": "s", "tests": [test]}


GROUP = {"id": "g", "by": "race", "metric": "fpr", "expect": {"max_difference": 0.1}}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"slice": {"column": "age", "ge": 60}},
            "tests[0]: a test names either 'slice' (a slice test: a metric on one slice) or "
            "'by' (a group test: a metric compared across the groups of a column), not both; "
            "received both. Split it into two tests.",
        ),
        (
            {"expect": {"max_difference": 0.1, "min_ratio": 0.8}},
            "tests[0].expect: give exactly one expectation, one of max_difference, min_ratio; "
            "received {'max_difference': 0.1, 'min_ratio': 0.8}.",
        ),
        (
            {"expect": {"max_difference": -0.1}},
            "tests[0].expect.max_difference: expected a number >= 0 (the largest difference "
            "allowed between the groups, e.g. 0.1); received -0.1.",
        ),
        (
            {"expect": {"min_ratio": 1.25}},
            "tests[0].expect.min_ratio: expected a number between 0 and 1 (the smallest group's "
            "value over the largest's; e.g. 0.8 for the four-fifths rule); received 1.25.",
        ),
        (
            {"expect": {"at_least": 0.8}},
            "tests[0].expect.at_least: unknown key. Valid keys here: max_difference, min_ratio. "
            "(at_least is an expectation of a slice test, which names 'slice' instead of 'by'.)",
        ),
        ({"by": []}, "tests[0].by: [] is not valid under any of the given schemas."),
        ({"bins": 0}, "tests[0].bins: 0 is not valid under any of the given schemas."),
        ({"bins": [50, 30]}, "tests[0]: GroupTest 'g': bins for 'race': cut points must"),
        ({"min_suport": 10}, "tests[0].min_suport: unknown key; did you mean 'min_support'?"),
    ],
)
def test_schema_errors_of_group_tests(change: dict[str, Any], expected: str) -> None:
    message = _load_error(_with_test({**GROUP, **change}))
    assert message.startswith(expected) or expected in message, message
    assert "\n" not in message


def test_a_test_with_neither_slice_nor_by_says_so() -> None:
    test = {"id": "t", "metric": "fpr", "expect": {"max_difference": 0.1}}
    message = _load_error(_with_test(test))
    assert message.startswith("tests[0]: 'slice' is a required property."), message
    assert "or 'by' (a group test, e.g. by: race); received neither" in message


def test_an_expectation_of_the_other_kind_names_the_kind() -> None:
    slice_test = {"id": "t", "slice": {"column": "a", "eq": 1}, "metric": "fpr"}
    message = _load_error(_with_test({**slice_test, "expect": {"max_difference": 0.1}}))
    assert "tests[0].expect.max_difference: unknown key" in message
    assert "(max_difference is an expectation of a group test, which names 'by'" in message
    message = _load_error(_with_test({**GROUP, "expect": {"at_most": 0.1}}))
    assert "at_most is an expectation of a slice test" in message


def test_the_schema_declares_the_group_test() -> None:
    defs = schema()["$defs"]
    assert tuple(defs["group_expect"]["properties"]) == GROUP_EXPECTATIONS
    rules = spec_schema._rules()
    assert rules["group_test"] == set(defs["group_test"]["properties"])
    document = copy.deepcopy(GROUP_DOCUMENT)
    used = {k for test in document["tests"] for k in test}
    assert used == set(defs["group_test"]["properties"])  # the seed uses every key
    assert spec_schema._surely_valid(document)
    assert not list(spec_schema._validator().iter_errors(document))
    # the old kind is unchanged: a version 1 file without group tests reads as before
    assert set(defs["test"]["properties"]) == {k for t in VALID_DOCUMENT["tests"] for k in t}


@given(mutated_documents(GROUP_DOCUMENT))
@examples(300)
def test_fast_pass_accepts_no_group_test_the_schema_refuses(document: Any) -> None:
    if spec_schema._surely_valid(document):
        assert not list(spec_schema._validator().iter_errors(document)), document


@given(mutated_documents(GROUP_DOCUMENT))
@examples(150)
def test_a_mutated_group_document_loads_or_raises_a_suite_file_error(document: Any) -> None:
    with contextlib.suppress(SuiteFileError):
        Suite.from_dict(document)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.update({"slice": {"column": "a", "eq": 1}}),
        lambda t: t.update({"by": ["race", "race"]}),
        lambda t: t.update({"by": []}),
        lambda t: t.update({"by": ""}),
        lambda t: t.update({"bins": 0}),
        lambda t: t.update({"bins": []}),
        lambda t: t.update({"bins": [1, "2"]}),
        lambda t: t.update({"bins": 2.0}),
        lambda t: t.update({"expect": {"min_ratio": 1.5}}),
        lambda t: t.update({"expect": {"max_difference": -1}}),
        lambda t: t.update({"expect": {"at_least": 0.5}}),
        lambda t: t.update({"expect": {"max_difference": 0.1, "min_ratio": 0.5}}),
        lambda t: t.update({"min_support": -1}),
    ],
)
def test_fast_pass_defers_doubtful_group_tests(change: Any) -> None:
    document = copy.deepcopy(GROUP_DOCUMENT)
    change(document["tests"][1])
    assert not spec_schema._surely_valid(document)


def test_ids_are_unique_across_both_kinds(tmp_path: Path) -> None:
    suite = Suite("s", [SliceTest(id="t", slice="age > 1", metric="accuracy", at_least=0.5)])
    with pytest.raises(ValidationError, match="already has a test with id 't'"):
        suite.add(GroupTest(id="t", by="race", metric="fpr", max_difference=0.1))
    document = Suite.loads(YAML).to_dict()
    document["tests"][2]["id"] = "race-fpr"
    with pytest.raises(SuiteFileError, match=r"tests\[2\].id: 'race-fpr' is already the id of"):
        Suite.from_dict(document)


def test_save_append_and_append_all_keep_group_tests(tmp_path: Path) -> None:
    path = tmp_path / "fair.mlprobe.yaml"
    Suite.loads(YAML).save(path)
    assert Suite.load(path) == Suite.loads(YAML)
    Suite.append(path, GroupTest(id="sex-fpr", by="sex", metric="fpr", max_difference=0.05))
    assert isinstance(Suite.load(path)["sex-fpr"], GroupTest)
    merged = Suite.append_all(
        path, [SliceTest(id="race-fpr", slice="race == 'Black'", metric="fpr", at_most=0.3)]
    )
    assert [t.id for t in merged.added] == ["race-fpr-2"]  # the id is taken by a group test
    loaded = Suite.load(path)
    assert [type(t).__name__ for t in loaded] == [
        "GroupTest",
        "GroupTest",
        "SliceTest",
        "GroupTest",
        "SliceTest",
    ]
    with pytest.raises(ValidationError, match=r"Add a group test with Suite\.append"):
        Suite.append_all(path, [GroupTest(id="x", by="sex", metric="fpr", max_difference=0.1)])


# --- loading never runs anything ----------------------------------------------------------


def test_loading_a_group_test_never_executes_anything(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    code = f"__import__('os').system('touch {marker}')"
    suite = Suite.loads(
        "mlprobe: 1\nname: s\ntests:\n"
        f'  - id: t\n    by: "{code}"\n    metric: "{code}"\n    expect: {{max_difference: 0.1}}\n'
    )
    [test] = suite.tests
    assert test.by == code  # a column name, nothing more
    frame = pd.DataFrame({"g": ["a", "b"] * 20, "y": [0, 1] * 20, "p": [0, 1] * 20})
    outcome = run_test(test, mp.Probe(frame, target="y", predictions="p"))
    assert outcome.outcome == "error" and not marker.exists()
    for evil in ("!!python/object/apply:os.system ['ls']", "!!python/name:os.system"):
        with pytest.raises(SuiteFileError, match="is not allowed in a suite file"):
            Suite.loads(
                f"mlprobe: 1\nname: s\ntests:\n  - id: t\n    by: {evil}\n    metric: fpr\n"
                "    expect: {max_difference: 0.1}\n"
            )
    assert not marker.exists()


# --- the runner, on Adult -----------------------------------------------------------------


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    return mp.datasets.load_adult()


@pytest.fixture(scope="module")
def adult_probe(adult: pd.DataFrame) -> mp.Probe:
    predicted = (adult["education_num"] >= 13).map({True: ">50K", False: "<=50K"})
    return mp.Probe(adult, target="income", predictions=predicted, positive=">50K")


def _run(adult_probe: mp.Probe, **fields: Any) -> TestOutcome:
    arguments: dict[str, Any] = {"id": "t", "by": "race", "metric": "fpr", **fields}
    return run_test(GroupTest(**arguments), adult_probe)


def test_a_failing_difference_names_the_groups_values_and_excluded(
    adult_probe: mp.Probe,
) -> None:
    outcome = _run(adult_probe, max_difference=0.1, min_support=450, description="why")
    row = adult_probe.disparity("race", "fpr", min_support=450).iloc[0]
    assert outcome.outcome == "failed" and outcome.kind == "group"
    assert (outcome.observed, outcome.ci_low, outcome.ci_high) == (
        row["difference"],
        row["difference_ci_low"],
        row["difference_ci_high"],
    )
    assert outcome.threshold == 0.1 and outcome.metric == "fpr difference"
    assert outcome.slice == "by race" and outcome.model == "model"
    assert outcome.description == "why"
    # n: the rows of the groups compared ('Other', 406 rows, is left out)
    assert outcome.n == 48842 - 406
    assert outcome.reason == (
        "fpr difference = 0.2716 [0.1992, 0.3331] between race == 'Asian-Pac-Islander' "
        "(0.3414) and race == 'Amer-Indian-Eskimo' (0.06988) over 4 groups; expected at "
        "most 0.1; excluded: race == 'Other' (fewer than 450 rows)"
    )


@pytest.mark.parametrize(
    ("fields", "outcome"),
    [
        ({"by": "sex", "max_difference": 0.05}, "passed"),  # 0.021
        ({"by": "sex", "max_difference": 0.01}, "failed"),
        ({"by": "sex", "min_ratio": 0.8}, "passed"),  # 0.88
        ({"by": "sex", "min_ratio": 0.9}, "failed"),
        ({"by": "race", "min_ratio": 0.8}, "failed"),  # 0.20
    ],
)
def test_point_values_decide_without_confidence(
    adult_probe: mp.Probe, fields: dict[str, Any], outcome: str
) -> None:
    result = _run(adult_probe, **fields)
    assert result.outcome == outcome, result.reason
    statistic = "difference" if "max_difference" in fields else "ratio"
    row = adult_probe.disparity(fields["by"], "fpr").iloc[0]
    assert result.observed == row[statistic]
    assert ("at least" if statistic == "ratio" else "at most") in result.reason


@pytest.mark.parametrize(
    ("fields", "outcome"),
    [
        # sex: difference 0.0212 [0.0086, 0.0339], ratio 0.884 [0.821, 0.951]
        ({"max_difference": 0.05}, "passed"),
        ({"max_difference": 0.03}, "inconclusive"),  # passes on its point value alone
        ({"max_difference": 0.005}, "failed"),
        ({"min_ratio": 0.8}, "passed"),
        ({"min_ratio": 0.85}, "inconclusive"),
        ({"min_ratio": 0.97}, "failed"),
    ],
)
def test_with_confidence_the_whole_interval_decides(
    adult_probe: mp.Probe, fields: dict[str, Any], outcome: str
) -> None:
    result = _run(adult_probe, by="sex", confidence=0.95, **fields)
    assert result.outcome == outcome, result.reason
    if outcome == "inconclusive":
        statistic = "difference" if "max_difference" in fields else "ratio"
        assert result.reason.startswith(
            f"the 95% interval of the {statistic} straddles the threshold (expected "
        ), result.reason


def test_confidence_sets_the_level_of_the_interval(adult_probe: mp.Probe) -> None:
    narrow = _run(adult_probe, by="sex", max_difference=0.03, confidence=0.5)
    wide = _run(adult_probe, by="sex", max_difference=0.03, confidence=0.999)
    assert narrow.ci_high - narrow.ci_low < wide.ci_high - wide.ci_low
    assert narrow.outcome == "passed" and wide.outcome == "inconclusive"
    row = adult_probe.disparity("sex", "fpr", confidence=0.5).iloc[0]
    assert (narrow.ci_low, narrow.ci_high) == (row["difference_ci_low"], row["difference_ci_high"])


def test_fewer_than_two_groups_is_inconclusive_naming_the_excluded(adult_probe: mp.Probe) -> None:
    result = _run(adult_probe, by="sex", max_difference=0.1, min_support=20_000)
    assert result.outcome == "inconclusive"
    assert result.reason == (
        "fewer than 2 groups by sex to compare (1 left); excluded: sex == 'Female' "
        "(fewer than 20000 rows)"
    )
    assert result.n == 32650  # the men, the one group left


def test_an_undefined_ratio_is_inconclusive() -> None:
    frame = pd.DataFrame({"g": ["a"] * 40 + ["b"] * 40, "y": [0, 1] * 40, "p": [0, 1] * 40})
    probe = mp.Probe(frame, target="y", predictions="p")  # no false positives anywhere
    result = run_test(GroupTest(id="t", by="g", metric="fpr", min_ratio=0.8), probe)
    assert result.outcome == "inconclusive"
    assert result.reason.startswith("fpr ratio is undefined (every group's value is 0)")
    assert run_test(GroupTest(id="t", by="g", metric="fpr", max_difference=0), probe).outcome == (
        "passed"
    )


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"by": "region"}, "by column 'region' is not in the data"),
        ({"metric": "fpx"}, "unknown metric 'fpx'. Did you mean 'fpr'?"),
        ({"model": "v9"}, "unknown model 'v9'"),
        ({"by": "age", "bins": [30, 50], "metric": "nope"}, "unknown metric 'nope'"),
    ],
)
def test_what_cannot_run_is_an_error_outcome(
    adult_probe: mp.Probe, fields: dict[str, Any], fragment: str
) -> None:
    result = _run(adult_probe, **{"max_difference": 0.1, **fields})
    assert result.outcome == "error"
    assert fragment in result.reason, result.reason
    assert result.n is None and math.isnan(result.observed)


def test_summaries_multiple_columns_and_bins(adult_probe: mp.Probe) -> None:
    odds = _run(adult_probe, metric="equalized_odds", max_difference=0.1)
    assert odds.outcome == "failed"
    assert odds.reason.startswith("equalized_odds (tpr) difference = ")
    binned = _run(
        adult_probe, by=["age", "sex"], bins=[30, 50], metric="selection_rate", min_ratio=0.8
    )
    assert binned.slice == "by age, sex" and binned.outcome == "failed"
    assert "[age < 30 and sex == 'Male']" in binned.reason  # several conditions: bracketed
    assert "over 6 groups" in binned.reason


def test_several_models_need_a_model(adult: pd.DataFrame) -> None:
    rule = (adult["education_num"] >= 13).map({True: ">50K", False: "<=50K"})
    probe = mp.Probe(
        adult.assign(a=rule, b=">50K"),
        target="income",
        predictions={"a": "a", "b": "b"},
        positive=">50K",
    )
    test = GroupTest(id="t", by="sex", metric="fpr", max_difference=0.05)
    unnamed = run_test(test, probe)
    assert unnamed.outcome == "error" and "several models" in unnamed.reason
    assert run_test(test, probe, model="a").outcome == "passed"
    always = run_test(test, probe, model="b")  # FPR 1 everywhere: no difference
    assert always.outcome == "passed" and always.observed == 0 and always.model == "b"
    pinned = run_test(
        GroupTest(id="t", by="sex", metric="fpr", max_difference=0.05, model="a"), probe, model="b"
    )
    assert pinned.model == "a"


def test_a_broken_probe_is_an_error_outcome_not_an_exception(adult_probe: mp.Probe) -> None:
    class Broken:
        task, classes, models, positive = "binary", [0, 1], ["m"], 1

        def disparity(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the model server is down")

    result = run_test(GroupTest(id="t", by="g", metric="fpr", max_difference=0.1), Broken())  # type: ignore[arg-type]
    assert result.outcome == "error" and result.reason == "RuntimeError: the model server is down"


def test_with_baselines_records_the_difference_or_ratio_and_the_groups(
    adult_probe: mp.Probe,
) -> None:
    suite = Suite(
        "s",
        [
            GroupTest(id="d", by="race", metric="fpr", max_difference=0.1, min_support=450),
            GroupTest(id="r", by="sex", metric="fpr", min_ratio=0.8),
            SliceTest(id="s", slice="sex == 'Female'", metric="accuracy", at_least=0.5),
        ],
    )
    recorded = suite.with_baselines(adult_probe)
    difference = adult_probe.disparity("race", "fpr", min_support=450).iloc[0]["difference"]
    ratio = adult_probe.disparity("sex", "fpr").iloc[0]["ratio"]
    d, r, s = (t.baseline for t in recorded.tests)
    assert d is not None and r is not None and s is not None
    assert (d.value, d.n, d.model) == (round(difference, 6), 4, "model")
    assert (r.value, r.n) == (round(ratio, 6), 2)
    assert s.n == 16192  # the slice test records its rows as before
    assert Suite.loads(recorded.dumps()) == recorded
    with pytest.raises(mp.MlprobeError, match="cannot record a baseline for test 'x'"):
        Suite("s", [GroupTest(id="x", by="nope", metric="fpr", max_difference=0.1)]).with_baselines(
            adult_probe
        )


# --- where outcomes show ------------------------------------------------------------------


def test_format_outcome_threshold_text_and_assert_suite(adult_probe: mp.Probe) -> None:
    test = GroupTest(
        id="race-fpr", by="race", metric="fpr", max_difference=0.1, min_support=450, description="d"
    )
    outcome = run_test(test, adult_probe)
    text = format_outcome(outcome, test, probe=adult_probe, suite="fair")
    assert text.splitlines() == [
        f"race-fpr FAILED: {outcome.reason}",
        "  suite:       fair",
        "  model:       model",
        "  groups:      by race",
        "  metric:      fpr difference",
        "  observed:    0.2716, 95% interval [0.1992, 0.3331]",
        "  threshold:   difference at most 0.1",
        "  n:           48436 rows in the groups compared (min_support 450 per group)",
        "  description: d",
    ]
    assert "groups:      by race" in format_outcome(outcome)  # without the declaration too
    assert threshold_text(test, outcome, short=True) == "<= 0.1"
    ratio = GroupTest(id="r", by="race", metric="fpr", min_ratio=0.8)
    assert threshold_text(ratio, outcome) == "ratio at least 0.8"
    with pytest.raises(AssertionError) as caught:
        assert_suite(Suite("fair", [test]), adult_probe)
    assert "race-fpr FAILED: fpr difference = 0.2716" in str(caught.value)


def test_outcomes_table_junit_and_html(adult_probe: mp.Probe, tmp_path: Path) -> None:
    suite = Suite.loads(YAML.replace("metric: recall", "metric: accuracy"))
    result = suite.run(adult_probe)
    frame = result.outcomes
    assert list(frame["kind"]) == ["group", "group", "slice"]
    assert list(frame["slice"])[:2] == ["by race", "by age, sex"]
    assert list(frame["metric"])[:2] == ["fpr difference", "selection_rate ratio"]
    path = tmp_path / "junit.xml"
    result.to_junit(path)
    xml = path.read_text(encoding="utf-8")
    assert "groups: by race\nfpr difference = " in xml
    html = result._repr_html_()
    assert "<th>slice or groups</th>" in html and "<code>by race</code>" in html
    assert isinstance(result, SuiteResult) and "race-fpr" in str(result)


def test_the_fast_pass_and_schema_agree_on_the_yaml_example() -> None:
    document = json.loads(Suite.loads(YAML).dumps(json_format=True))
    assert spec_schema._surely_valid(document)
    assert not list(spec_schema._validator().iter_errors(document))
    assert re.search(r"by: \[age, sex\]", Suite.loads(YAML).dumps())
