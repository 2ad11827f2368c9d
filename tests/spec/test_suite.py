"""Tests of Suite: round trips through YAML and JSON, golden files, stable diffs, fuzzing.

Set ``MLPROBE_UPDATE_GOLDEN=1`` to rewrite the golden files after a deliberate format change
(and review the diff: it is what every user's suite files will see).
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from suite_strategies import (
    VALID_DOCUMENT,
    any_values,
    examples,
    mutated_documents,
    plain_yaml,
    slice_tests,
    suites,
)

import mlprobe as mp
from mlprobe import Baseline, Slice, SliceTest, Suite, SuiteFileError, col
from mlprobe.spec.files import read_document_text

GOLDEN = Path(__file__).parent / "golden"


def representative_suite() -> Suite:
    """Every expectation kind, every optional field, nested predicates, unicode, a multi-line text."""
    return Suite(
        "income-model",
        [
            SliceTest(
                id="older-women-recall",
                description="Recall for women over 60 dropped in v3; loan officers rely on it.",
                slice=Slice("older women", (col("age") >= 60) & (col("sex") == "Female")),
                metric="recall[>50K]",
                at_least=0.8,
                min_support=50,
                baseline=Baseline(0.84, 812, "v2", "2026-11-28"),
            ),
            SliceTest(
                id="young-error-rate",
                slice=Slice.parse("age < 25"),
                metric="error_rate",
                at_most=0.1,
                confidence=0.95,
                tags=("age", "smoke"),
            ),
            SliceTest(
                id="no-gap-abroad",
                slice=Slice.parse(
                    "native_country != 'United-States' and native_country is not null"
                ),
                metric="accuracy",
                max_gap_to_overall=0.05,
                model="v2",
            ),
            SliceTest(
                id="self-emp.drop",
                slice=Slice.parse(
                    "workclass in ['Self-emp-inc', 'Self-emp-not-inc'] "
                    "or not (hours_per_week between 35 and 45)",
                    name="self-employed or unusual hours",
                ),
                metric="balanced_accuracy",
                max_drop_from_baseline=0.02,
                baseline=Baseline(0.7712, 1403, "v2", "2026-11-28"),
            ),
            SliceTest(
                id="unknown_occupation",
                description="Missing 'occupation': \"?\" in the raw data.\n"
                "Second line, with ünïcödé ✓.",
                slice=Slice.parse("occupation is null"),
                metric="accuracy",
                at_least=0.75,
                min_support=0,
                tags=["missing"],
            ),
        ],
        description="Slice tests for the income model.",
        fixture="adult_probe",
    )


def a_test(test_id: str = "t", **changes: object) -> SliceTest:
    fields: dict[str, object] = {"slice": "age >= 60", "metric": "accuracy", "at_least": 0.8}
    fields.update(changes)
    return SliceTest(id=test_id, **fields)  # type: ignore[arg-type]


# --- golden files ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_saved_suite_matches_the_golden_file(tmp_path: Path, suffix: str) -> None:
    golden = GOLDEN / f"income.mlprobe{suffix}"
    saved = representative_suite().save(tmp_path / f"income.mlprobe{suffix}")
    if os.environ.get("MLPROBE_UPDATE_GOLDEN"):
        golden.write_bytes(saved.read_bytes())
    assert saved.read_bytes() == golden.read_bytes()
    assert Suite.load(golden) == representative_suite()


def test_golden_yaml_reads_like_the_design() -> None:
    lines = (GOLDEN / "income.mlprobe.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[:5] == [
        "mlprobe: 1",
        "name: income-model",
        "description: Slice tests for the income model.",
        "fixture: adult_probe",
        "tests:",
    ]
    assert "  - id: older-women-recall" in lines
    assert (
        "    slice: {name: older women, and: [{column: age, ge: 60}, {column: sex, eq: Female}]}"
        in lines
    )
    assert "    expect: {at_least: 0.8}" in lines
    # dates need no quotes; the loader keeps them as text all the same
    assert "    baseline: {value: 0.84, n: 812, model: v2, recorded: 2026-11-28}" in lines


def test_hand_written_design_style_file_loads() -> None:
    suite = Suite.load(GOLDEN / "design-example.mlprobe.yaml")
    assert suite.name == "income-model"
    assert [t.id for t in suite] == ["older-women-recall", "young-error-rate"]
    first, second = suite.tests
    assert first.slice == Slice(None, (col("age") >= 60) & (col("sex") == "Female"))
    assert first.slice.name == "age >= 60 and sex == 'Female'"  # no name: the predicate's text
    assert first.metric == "recall[>50K]"
    assert (first.expectation, first.threshold_value) == ("at_least", 0.8)
    assert first.min_support == 50
    assert first.confidence is None
    assert first.baseline == Baseline(0.84, 812, "v2", "2026-11-28")
    assert isinstance(first.baseline.recorded, str)  # an unquoted date stays text
    assert first.description.startswith("Recall for women over 60")
    assert second.slice == Slice.parse("age < 25")
    assert (second.expectation, second.threshold_value, second.confidence) == (
        "at_most",
        0.25,
        0.95,
    )
    assert second.tags == ("age", "smoke")
    assert second.min_support == 30


def test_hand_written_file_saves_in_the_canonical_form(tmp_path: Path) -> None:
    saved = Suite.load(GOLDEN / "design-example.mlprobe.yaml").save(tmp_path / "s.yaml")
    assert saved.read_text(encoding="utf-8") == (
        "mlprobe: 1\n"
        "name: income-model\n"
        "tests:\n"
        "  - id: older-women-recall\n"
        "    description: Recall for women over 60 dropped in v3; loan officers rely on it.\n"
        "    slice: {name: age >= 60 and sex == 'Female', and: [{column: age, ge: 60}, "
        "{column: sex, eq: Female}]}\n"
        "    metric: recall[>50K]\n"
        "    expect: {at_least: 0.8}\n"
        "    min_support: 50\n"
        "    baseline: {value: 0.84, n: 812, model: v2, recorded: 2026-11-28}\n"
        "  - id: young-error-rate\n"
        "    slice: {name: age < 25, column: age, lt: 25}\n"
        "    metric: error_rate\n"
        "    expect: {at_most: 0.25}\n"
        "    confidence: 0.95\n"
        "    tags:\n"
        "      - age\n"
        "      - smoke\n"
    )


# --- round trips ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("suites")


@examples(20)
@given(suite=suites(), json_format=st.booleans())
def test_load_of_saved_suite_equals_the_suite(
    workdir: Path, suite: Suite, json_format: bool
) -> None:
    path = workdir / ("s.mlprobe.json" if json_format else "s.mlprobe.yaml")
    suite.save(path)
    first = path.read_bytes()
    loaded = Suite.load(path)
    assert loaded == suite
    assert loaded.to_dict() == suite.to_dict()
    suite.save(path)
    assert path.read_bytes() == first  # saving twice: byte-identical
    loaded.save(path)
    assert path.read_bytes() == first  # and so is saving what was loaded
    assert first.decode("utf-8") == suite.dumps(json_format=json_format)


@examples(25)
@given(suite=suites())
def test_dumps_loads_round_trip(suite: Suite) -> None:
    assert Suite.loads(suite.dumps()) == suite
    assert Suite.loads(suite.dumps(json_format=True), json_format=True) == suite
    assert Suite.from_dict(suite.to_dict()) == suite
    # the JSON and YAML files say the same thing
    assert read_document_text(suite.dumps(), source="s.yaml") == json.loads(
        suite.dumps(json_format=True)
    )


@examples(20)
@given(suite=suites(max_tests=3), extra=slice_tests("appended-test"))
def test_adding_a_test_only_appends_lines(suite: Suite, extra: SliceTest) -> None:
    before = suite.dumps().splitlines()
    suite.add(extra)
    after = suite.dumps().splitlines()
    if suite.tests[:-1]:
        assert after[: len(before)] == before
    else:  # 'tests: []' becomes a block list
        assert after[: len(before) - 1] == before[:-1]
        assert before[-1] == "tests: []"
    assert len(after) > len(before)
    # JSON: only the closing lines of the old file ("    }", "  ]", "}") change
    suite.tests.pop()
    before_json = suite.dumps(json_format=True).splitlines()
    suite.add(extra)
    after_json = suite.dumps(json_format=True).splitlines()
    if suite.tests[:-1]:
        assert after_json[: len(before_json) - 3] == before_json[:-3]


def test_changing_a_threshold_changes_one_line() -> None:
    suite = representative_suite()
    before = suite.dumps().splitlines()
    changed = Suite(
        suite.name,
        [
            SliceTest(**{**vars(t), "at_least": 0.85}) if t.id == "older-women-recall" else t
            for t in suite
        ],
        description=suite.description,
        fixture=suite.fixture,
    )
    after = changed.dumps().splitlines()
    assert len(after) == len(before)
    differing = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert differing == [("    expect: {at_least: 0.8}", "    expect: {at_least: 0.85}")]


def test_test_order_is_kept(tmp_path: Path) -> None:
    ids = ["zeta", "alpha", "m.1", "0-first", "beta"]
    suite = Suite("order", [a_test(i) for i in ids])
    for name in ("s.yaml", "s.json"):
        assert [t.id for t in Suite.load(suite.save(tmp_path / name))] == ids


def test_yaml_line_breaks_round_trip() -> None:
    """NEL and the Unicode line/paragraph separators used to come back as spaces."""
    for text in ["a\x85b", "a\u2028b", "a\u2029b", "x\n\x85\ny", "\x85"]:
        suite = Suite("s", [a_test(description=text, tags=[text])], description=text)
        assert Suite.loads(suite.dumps()) == suite


def test_dumps_json_keeps_unicode_and_ends_with_a_newline() -> None:
    suite = Suite("ünïcödé ✓", [a_test(description="😀")])
    text = suite.dumps(json_format=True)
    assert "ünïcödé ✓" in text and "😀" in text
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert Suite.loads(text, json_format=True) == suite


def test_to_dict_key_order() -> None:
    document = representative_suite().to_dict()
    assert list(document) == ["mlprobe", "name", "description", "fixture", "tests"]
    assert list(Suite("s").to_dict()) == ["mlprobe", "name", "tests"]
    assert Suite("s").to_dict() == {"mlprobe": 1, "name": "s", "tests": []}


def test_save_returns_the_path_and_picks_the_format_from_the_suffix(tmp_path: Path) -> None:
    suite = representative_suite()
    assert suite.save(tmp_path / "a.json") == tmp_path / "a.json"
    assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8")) == suite.to_dict()
    for name in ("a.yaml", "a.yml", "a.mlprobe.yaml"):
        text = suite.save(tmp_path / name).read_text(encoding="utf-8")
        assert text == suite.dumps()
    assert str(suite.save(str(tmp_path / "sub" / "dir" / "b.yaml"))).endswith("b.yaml")


def test_save_leaves_no_temporary_files(tmp_path: Path) -> None:
    suite = representative_suite()
    suite.save(tmp_path / "s.yaml")
    suite.save(tmp_path / "s.yaml")
    suite.save(tmp_path / "s.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json", "s.yaml"]


# --- the Suite object -------------------------------------------------------------------


def test_add_appends_and_returns_the_suite() -> None:
    suite = Suite("s")
    assert suite.add(a_test("a")) is suite
    suite.add(a_test("b"))
    assert [t.id for t in suite] == ["a", "b"]
    assert len(suite) == 2
    assert suite["b"] == a_test("b")
    assert repr(suite) == "<Suite 's': 2 tests>"
    assert repr(Suite("s", [a_test()])) == "<Suite 's': 1 test>"


def test_add_refuses_a_duplicate_id() -> None:
    suite = Suite("income", [a_test("dup")])
    with pytest.raises(mp.MlprobeError, match=r"already has a test with id 'dup'.*unique"):
        suite.add(a_test("dup", metric="error_rate"))
    assert len(suite) == 1
    with pytest.raises(mp.MlprobeError, match="'dup'"):
        Suite("income", [a_test("dup"), a_test("dup", at_least=0.1)])


def test_add_refuses_what_is_not_a_slice_test() -> None:
    with pytest.raises(mp.MlprobeError, match="expected a SliceTest or a GroupTest; received dict"):
        Suite("s").add(a_test().to_dict())  # type: ignore[arg-type]


def test_getitem_names_the_missing_id() -> None:
    with pytest.raises(KeyError, match="'nope'"):
        Suite("s", [a_test()])["nope"]


@pytest.mark.parametrize("name", ["", "   ", None, 3])
def test_suite_name_must_be_text(name: object) -> None:
    with pytest.raises(mp.MlprobeError, match="'name' must be a non-empty str"):
        Suite(name)  # type: ignore[arg-type]


def test_equality() -> None:
    suite = representative_suite()
    assert suite == representative_suite()
    assert suite != Suite(
        "other", suite.tests, description=suite.description, fixture="adult_probe"
    )
    assert suite != Suite(suite.name, suite.tests, fixture=suite.fixture)
    assert suite != Suite(suite.name, suite.tests, description=suite.description)
    assert suite != Suite(
        suite.name, suite.tests[::-1], description=suite.description, fixture=suite.fixture
    )
    assert suite != Suite(
        suite.name, suite.tests[:-1], description=suite.description, fixture=suite.fixture
    )
    assert suite != suite.to_dict()
    baselines_changed = Suite(
        suite.name,
        [t.with_baseline(None) for t in suite],
        description=suite.description,
        fixture=suite.fixture,
    )
    assert suite != baselines_changed


def test_from_dict_does_not_change_the_document() -> None:
    document = copy.deepcopy(VALID_DOCUMENT)
    Suite.from_dict(document)
    assert document == VALID_DOCUMENT


def test_from_dict_reads_every_field() -> None:
    suite = Suite.from_dict(VALID_DOCUMENT)
    assert (suite.name, suite.description, suite.fixture) == (
        "income-model",
        "fuzz seed",
        "my_probe",
    )
    first = suite["older-women-recall"]
    assert first.slice.name == "older women"
    assert first.slice.columns() == {"age", "sex", "hours", "race"}
    assert (first.min_support, first.confidence, first.model, first.tags) == (
        50,
        0.9,
        "v2",
        ("fairness",),
    )
    assert suite["everyone"].expectation == "max_drop_from_baseline"
    assert suite["gap"].expectation == "max_gap_to_overall"
    assert Suite.from_dict(suite.to_dict()) == suite


def test_duplicate_ids_in_a_file(tmp_path: Path) -> None:
    document = copy.deepcopy(VALID_DOCUMENT)
    document["tests"][2]["id"] = "older-women-recall"
    path = tmp_path / "dup.mlprobe.yaml"
    path.write_text(plain_yaml(document), encoding="utf-8")
    with pytest.raises(SuiteFileError) as caught:
        Suite.load(path)
    message = str(caught.value)
    assert str(path) in message
    assert "tests[2].id: 'older-women-recall' is already the id of tests[0]" in message


# --- fuzzing: only MlprobeError escapes ------------------------------------------------


def _only_mlprobe_errors(call: object, *args: object, **kwargs: object) -> None:
    try:
        result = call(*args, **kwargs)  # type: ignore[operator]
    except mp.MlprobeError:
        return
    assert isinstance(result, Suite)
    assert Suite.from_dict(result.to_dict()) == result  # what loads also saves


_FUZZ = examples(40)


@_FUZZ
@given(document=mutated_documents())
def test_fuzz_from_dict_mutated_documents(document: object) -> None:
    _only_mlprobe_errors(Suite.from_dict, document)


@_FUZZ
@given(document=mutated_documents(), json_format=st.booleans())
def test_fuzz_loads_mutated_documents(document: object, json_format: bool) -> None:
    try:
        text = json.dumps(document, default=str) if json_format else plain_yaml(document)
    except (TypeError, ValueError):  # e.g. a key json cannot write
        return
    _only_mlprobe_errors(Suite.loads, text, json_format=json_format)


@_FUZZ
@given(document=any_values())
def test_fuzz_from_dict_random_values(document: object) -> None:
    _only_mlprobe_errors(Suite.from_dict, document)


@_FUZZ
@given(text=st.text(), json_format=st.booleans())
def test_fuzz_loads_random_text(text: str, json_format: bool) -> None:
    _only_mlprobe_errors(Suite.loads, text, json_format=json_format)


_SEED_TEXT = representative_suite().dumps()


@_FUZZ
@given(data=st.data())
def test_fuzz_loads_mutated_text(data: st.DataObject) -> None:
    """Character-level edits of a valid file: deletions, insertions of YAML syntax, swaps."""
    text = _SEED_TEXT
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, len(text)))
        insert = data.draw(
            st.one_of(
                st.sampled_from(
                    [":", "-", "{", "}", "[", "]", "'", '"', "\n", "  ", "&a ", "*a", "!!", "#"]
                ),
                st.text(max_size=4),
            )
        )
        cut = data.draw(st.integers(0, 6))
        text = text[:at] + insert + text[at + cut :]
    _only_mlprobe_errors(Suite.loads, text)
    _only_mlprobe_errors(Suite.loads, text, json_format=True)
