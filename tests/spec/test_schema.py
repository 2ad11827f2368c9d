"""Tests of the shipped JSON Schema and of the messages of every schema violation.

Each error is checked the way a user meets it: a file on disk, ``Suite.load``,
a :class:`mlprobe.SuiteFileError` whose message names the file, the field
path and, for a misspelt key, the key that was probably meant.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from suite_strategies import VALID_DOCUMENT, examples, plain_yaml, suites

import mlprobe as mp
from mlprobe.spec import FORMAT_VERSION, Suite, SuiteFileError, schema, validate_document
from mlprobe.spec.schema import field_path

Mutation = Callable[[dict[str, Any]], object]


def four_tests() -> dict[str, Any]:
    """A valid document with four tests, so that errors land in ``tests[3]`` as in the issue."""
    document = copy.deepcopy(VALID_DOCUMENT)
    document["tests"].append(
        {
            "id": "fourth",
            "description": "the test the mutations edit",
            "slice": {"column": "age", "ge": 60},
            "metric": "accuracy",
            "expect": {"at_least": 0.8},
            "baseline": {"value": 0.84, "n": 812, "model": "v2", "recorded": "2026-11-28"},
        }
    )
    return document


def t3(document: dict[str, Any]) -> dict[str, Any]:
    test: dict[str, Any] = document["tests"][3]
    return test


def rename(mapping: dict[str, Any], old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


def load_error(tmp_path: Path, document: object, name: str = "suite.mlprobe.yaml") -> str:
    path = tmp_path / name
    text = json.dumps(document) if name.endswith(".json") else plain_yaml(document)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SuiteFileError) as caught:
        Suite.load(path)
    assert isinstance(caught.value, mp.MlprobeError)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    return message


# --- the schema itself ----------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema()["properties"]["mlprobe"] == {
        "const": FORMAT_VERSION,
        "description": "Version of the file format.",
    }
    assert FORMAT_VERSION == 1


def test_schema_ships_as_a_package_file() -> None:
    import mlprobe.spec

    shipped = Path(mlprobe.spec.__file__).parent / "schemas" / "suite-v1.json"
    assert json.loads(shipped.read_text(encoding="utf-8")) == schema()


def test_schema_lists_every_expectation_and_operator() -> None:
    defs = schema()["$defs"]
    assert tuple(defs["expect"]["properties"]) == mp.spec.EXPECTATIONS
    operators = set(defs["leaf"]["properties"]) - {"name", "column"}
    assert operators == {"eq", "ne", "lt", "le", "gt", "ge", "in", "between", "is_null", "not_null"}


_PLAIN_VALIDATOR = jsonschema.Draft202012Validator(
    schema(), format_checker=jsonschema.FormatChecker()
)


@examples(15)
@given(suite=suites())
def test_every_saved_document_validates_with_plain_jsonschema(suite: Suite) -> None:
    """Other tools (editors, CI linters) reading the shipped schema accept what we write."""
    _PLAIN_VALIDATOR.validate(json.loads(suite.dumps(json_format=True)))


def test_valid_document_passes() -> None:
    validate_document(VALID_DOCUMENT)
    validate_document(four_tests())
    validate_document({"mlprobe": 1, "name": "empty", "tests": []})


@pytest.mark.parametrize(
    ("parts", "text"),
    [
        ([], ""),
        (["name"], "name"),
        (["tests", 3], "tests[3]"),
        (["tests", 3, "expect", "at_least"], "tests[3].expect.at_least"),
        (["tests", 0, "slice", "and", 1, "not"], "tests[0].slice.and[1].not"),
    ],
)
def test_field_path(parts: list[object], text: str) -> None:
    assert field_path(parts) == text


# --- every violation, with its message --------------------------------------------------

ERRORS: list[tuple[str, Mutation, list[str]]] = [
    # unknown keys at each level, with a suggestion when one is close
    (
        "top-level misspelt",
        lambda d: rename(d, "name", "nmae"),
        ["nmae: unknown key; did you mean 'name'?", "Valid keys here: mlprobe, name,"],
    ),
    (
        "top-level unknown",
        lambda d: d.update(colour="red"),
        ["colour: unknown key. Valid keys here: mlprobe, name, description, fixture, tests."],
    ),
    (
        "test misspelt id",
        lambda d: rename(t3(d), "id", "idd"),
        ["tests[3].idd: unknown key; did you mean 'id'?"],
    ),
    (
        "test misspelt metric",
        lambda d: rename(t3(d), "metric", "metirc"),
        ["tests[3].metirc: unknown key; did you mean 'metric'?"],
    ),
    (
        "test misspelt min_support",
        lambda d: t3(d).update(min_suport=5),
        ["tests[3].min_suport: unknown key; did you mean 'min_support'?"],
    ),
    (
        "expect misspelt (the issue's example)",
        lambda d: rename(t3(d)["expect"], "at_least", "at_leats"),
        [
            "tests[3].expect.at_leats: unknown key; did you mean 'at_least'? Valid keys here: "
            "at_least, at_most, max_gap_to_overall, max_drop_from_baseline."
        ],
    ),
    (
        "baseline misspelt value",
        lambda d: rename(t3(d)["baseline"], "value", "valeu"),
        ["tests[3].baseline.valeu: unknown key; did you mean 'value'?"],
    ),
    (
        "baseline misspelt recorded",
        lambda d: rename(t3(d)["baseline"], "recorded", "recroded"),
        ["tests[3].baseline.recroded: unknown key; did you mean 'recorded'?"],
    ),
    (
        "slice leaf op gte",
        lambda d: rename(t3(d)["slice"], "ge", "gte"),
        ["tests[3].slice: unknown key 'gte'. Did you mean 'gt' or 'ge'?", "Valid operators: eq,"],
    ),
    (
        "nested slice leaf op gte",
        lambda d: rename(d["tests"][0]["slice"]["and"][0], "ge", "gte"),
        ["tests[0].slice.and[0]: unknown key 'gte'. Did you mean 'gt' or 'ge'?"],
    ),
    (
        "slice misspelt and",
        lambda d: rename(d["tests"][0]["slice"], "and", "adn"),
        ["tests[0].slice", "'adn'"],
    ),
    (
        "slice misspelt column",
        lambda d: rename(t3(d)["slice"], "column", "colum"),
        ["tests[3].slice", "'colum'"],
    ),
    # missing required keys
    ("missing name", lambda d: d.pop("name"), ["'name' is a required property"]),
    ("missing tests", lambda d: d.pop("tests"), ["'tests' is a required property"]),
    ("missing id", lambda d: t3(d).pop("id"), ["tests[3]: 'id' is a required property."]),
    ("missing slice", lambda d: t3(d).pop("slice"), ["tests[3]: 'slice' is a required property."]),
    ("missing metric", lambda d: t3(d).pop("metric"), ["tests[3]: 'metric' is a required"]),
    ("missing expect", lambda d: t3(d).pop("expect"), ["tests[3]: 'expect' is a required"]),
    (
        "missing baseline value",
        lambda d: t3(d)["baseline"].pop("value"),
        ["tests[3].baseline: 'value' is a required property."],
    ),
    (
        "slice without an operator",
        lambda d: t3(d)["slice"].pop("ge"),
        ["tests[3].slice: expected exactly one operator beside 'column'"],
    ),
    # expectations: exactly one
    (
        "two expectations",
        lambda d: t3(d)["expect"].update(at_most=0.9),
        [
            "tests[3].expect: give exactly one expectation, one of at_least, at_most, "
            "max_gap_to_overall, max_drop_from_baseline; received {'at_least': 0.8, 'at_most': 0.9}."
        ],
    ),
    (
        "zero expectations",
        lambda d: t3(d).update(expect={}),
        ["tests[3].expect: give exactly one expectation", "received {}."],
    ),
    (
        "negative max_gap_to_overall",
        lambda d: t3(d).update(expect={"max_gap_to_overall": -0.1}),
        ["tests[3].expect.max_gap_to_overall: -0.1 is less than the minimum of 0."],
    ),
    (
        "negative max_drop_from_baseline",
        lambda d: t3(d).update(expect={"max_drop_from_baseline": -1}),
        ["tests[3].expect.max_drop_from_baseline: -1 is less than the minimum of 0."],
    ),
    # wrong types
    ("name not text", lambda d: d.update(name=3), ["name: 3 is not of type 'string'."]),
    ("blank name", lambda d: d.update(name="  "), ["name:", "non-empty"]),
    ("tests not a list", lambda d: d.update(tests={"a": 1}), ["tests: ", "not of type 'array'"]),
    ("test not a mapping", lambda d: d["tests"].append(3), ["tests[4]: 3 is not of type 'object'"]),
    ("id not text", lambda d: t3(d).update(id=7), ["tests[3].id: 7 is not of type 'string'."]),
    (
        "id with a space",
        lambda d: t3(d).update(id="older women"),
        ["tests[3].id: 'older women' does not match"],
    ),
    ("metric list", lambda d: t3(d).update(metric=[]), ["tests[3].metric: [] is not of type"]),
    (
        "metric empty",
        lambda d: t3(d).update(metric=""),
        ["tests[3].metric: '' should be non-empty."],
    ),
    (
        "threshold text",
        lambda d: t3(d).update(expect={"at_least": "high"}),
        ["tests[3].expect.at_least: 'high' is not of type 'number'."],
    ),
    (
        "threshold bool",
        lambda d: t3(d).update(expect={"at_most": True}),
        ["tests[3].expect.at_most: True is not of type 'number'."],
    ),
    (
        "min_support float",
        lambda d: t3(d).update(min_support=1.5),
        ["tests[3].min_support: 1.5 is not of type 'integer'."],
    ),
    (
        "min_support bool",
        lambda d: t3(d).update(min_support=True),
        ["tests[3].min_support: True is not of type 'integer'."],
    ),
    (
        "min_support negative",
        lambda d: t3(d).update(min_support=-1),
        ["tests[3].min_support: -1 is less than the minimum of 0."],
    ),
    ("tags text", lambda d: t3(d).update(tags="x"), ["tests[3].tags: 'x' is not of type 'array'."]),
    ("tags of numbers", lambda d: t3(d).update(tags=[1]), ["tests[3].tags[0]: 1 is not of type"]),
    ("model empty", lambda d: t3(d).update(model=""), ["tests[3].model: '' should be non-empty."]),
    (
        "description not text",
        lambda d: t3(d).update(description=["a"]),
        ["tests[3].description: ['a'] is not of type 'string'."],
    ),
    (
        "baseline not a mapping",
        lambda d: t3(d).update(baseline=0.8),
        ["tests[3].baseline: 0.8 is not of type 'object'."],
    ),
    (
        "baseline n negative",
        lambda d: t3(d)["baseline"].update(n=-1),
        ["tests[3].baseline.n: -1 is less than the minimum of 0."],
    ),
    (
        "baseline n float",
        lambda d: t3(d)["baseline"].update(n=2.5),
        ["tests[3].baseline.n: 2.5 is not of type 'integer'."],
    ),
    (
        "baseline recorded not a date",
        lambda d: t3(d)["baseline"].update(recorded="yesterday"),
        ["tests[3].baseline.recorded: 'yesterday' is not a 'date'."],
    ),
    (
        "baseline recorded impossible date",
        lambda d: t3(d)["baseline"].update(recorded="2026-13-45"),
        ["tests[3].baseline.recorded: '2026-13-45' is not a 'date'."],
    ),
    (
        "baseline value text",
        lambda d: t3(d)["baseline"].update(value="0.8"),
        ["tests[3].baseline.value: '0.8' is not of type 'number', 'null'."],
    ),
    (
        "fixture not an identifier",
        lambda d: d.update(fixture="my probe"),
        ["fixture: 'my probe' does not match"],
    ),
    # confidence
    *[
        (
            f"confidence {value!r}",
            (lambda v: lambda d: t3(d).update(confidence=v))(value),
            [f"tests[3].confidence: {value!r} is not valid"],
        )
        for value in (1.5, 0, 1, -0.2, "high", True)
    ],
    # slices
    (
        "slice value a list",
        lambda d: t3(d)["slice"].update(ge=[60]),
        ["tests[3].slice.ge: ", "[60]"],
    ),
    (
        "slice with two operators",
        lambda d: t3(d)["slice"].update(le=99),
        ["tests[3].slice: expected exactly one operator beside 'column'; received ['ge', 'le']."],
    ),
    (
        "and with one operand",
        lambda d: t3(d).update(slice={"and": [{"column": "a", "eq": 1}]}),
        ["tests[3].slice.and: expected a list of at least two predicates"],
    ),
    (
        "slice name not text",
        lambda d: t3(d)["slice"].update(name=3),
        ["tests[3].slice.name: expected a str; received 3."],
    ),
    (
        "slice a list",
        lambda d: t3(d).update(slice=[]),
        ["tests[3].slice: expected a mapping such as {'column': 'age', 'ge': 60}"],
    ),
    (
        "between with one bound",
        lambda d: t3(d).update(slice={"column": "age", "between": [1]}),
        ["tests[3].slice.between: expected a list [low, high]"],
    ),
    (
        "is_null false",
        lambda d: t3(d).update(slice={"column": "age", "is_null": False}),
        ["tests[3].slice.is_null: expected true"],
    ),
    # the version
    (
        "version 2",
        lambda d: d.update(mlprobe=2),
        ["mlprobe: this file is format version 2, newer than this mlprobe reads (version 1)"],
    ),
    ("version 2.0", lambda d: d.update(mlprobe=2.0), ["newer than this mlprobe reads"]),
    (
        "version missing",
        lambda d: d.pop("mlprobe"),
        ["mlprobe: missing. A suite file starts with 'mlprobe: 1'"],
    ),
    ("version null", lambda d: d.update(mlprobe=None), ["mlprobe: missing."]),
    (
        "version text",
        lambda d: d.update(mlprobe="1"),
        ["mlprobe: expected the format version 1; received '1'."],
    ),
    ("version 0", lambda d: d.update(mlprobe=0), ["mlprobe: expected the format version 1"]),
    ("version true", lambda d: d.update(mlprobe=True), ["mlprobe: expected the format version 1"]),
]


@pytest.mark.parametrize(
    ("mutate", "fragments"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_violation_message(tmp_path: Path, mutate: Mutation, fragments: list[str]) -> None:
    document = four_tests()
    mutate(document)
    for suffix in (".yaml", ".json"):  # the same message from either format
        message = load_error(tmp_path, document, f"suite.mlprobe{suffix}")
        for fragment in fragments:
            assert fragment in message


def test_version_2_is_refused_before_anything_else(tmp_path: Path) -> None:
    """A newer file may use keys this version does not know: say 'upgrade', not 'unknown key'."""
    message = load_error(
        tmp_path, {"mlprobe": 2, "name": "x", "tests": [], "checks": [], "new_key": 1}
    )
    assert "newer" in message and "pip install -U mlprobe" in message
    assert "unknown key" not in message


def test_slice_errors_name_the_path_once(tmp_path: Path) -> None:
    document = four_tests()
    t3(document)["slice"]["le"] = 99
    message = load_error(tmp_path, document)
    assert message.count("tests[3]") == 1


def test_no_suggestion_when_nothing_is_close(tmp_path: Path) -> None:
    document = four_tests()
    t3(document)["expect"] = {"zzzz": 1}
    message = load_error(tmp_path, document)
    assert "tests[3].expect.zzzz: unknown key. Valid keys here: at_least," in message
    assert "did you mean" not in message


def test_unknown_key_with_awkward_characters_is_named(tmp_path: Path) -> None:
    for key in ["x(y", "it's", 'say "hi"', "a) b ("]:
        document = four_tests()
        t3(document)["expect"][key] = 1
        del t3(document)["expect"]["at_least"]
        message = load_error(tmp_path, document)
        assert f"tests[3].expect.{key}: unknown key" in message


def test_validate_document_raises_without_a_file_name() -> None:
    document = four_tests()
    rename(t3(document)["expect"], "at_least", "at_leats")
    with pytest.raises(SuiteFileError, match=r"^tests\[3\]\.expect\.at_leats: unknown key"):
        validate_document(document)


@pytest.mark.parametrize("document", [[], "text", 3, None])
def test_top_level_must_be_a_mapping(document: object) -> None:
    with pytest.raises(SuiteFileError, match="must hold a mapping with the keys 'mlprobe'"):
        validate_document(document)


def test_error_messages_hide_the_schema_noise(tmp_path: Path) -> None:
    """No tracebacks of jsonschema internals in the error's context."""
    document = four_tests()
    rename(t3(document)["expect"], "at_least", "at_leats")
    path = tmp_path / "s.yaml"
    path.write_text(plain_yaml(document), encoding="utf-8")
    with pytest.raises(SuiteFileError) as caught:
        Suite.load(path)
    assert caught.value.__suppress_context__ or caught.value.__context__ is None
