"""Loading 8,000 tests in well under a second, without reading anything differently.

Both fast paths are checked against the references they stand in for:

- the YAML reader builds data straight from the parser's events and hands anything
  unusual to ``_DataLoader`` (the pure-Python reference): same data, same errors;
- the schema's fast structural pass may only accept what the JSON Schema validator
  accepts; when unsure it lets the validator decide (and word the error).

Also here: a YAML syntax error is one line naming the file, line, column and the fix.
"""

from __future__ import annotations

import copy
import importlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from suite_strategies import (
    AWKWARD_TEXT,
    VALID_DOCUMENT,
    any_values,
    examples,
    mutated_documents,
    plain_yaml,
    suites,
)
from test_suite_files_issue12 import _write_suite

from mlprobe.spec import EXPECTATIONS, Suite, SuiteFileError, schema
from mlprobe.spec import files as spec_files

# the module: the package's name 'schema' is the function schema()
spec_schema = importlib.import_module("mlprobe.spec.schema")

# --- the YAML reader: the fast path gives what the reference gives --------------------


def _reference(text: str) -> Any:
    return spec_files._compose_and_construct(spec_files._DataLoader(text))


def _outcome(read: Callable[[str], Any], text: str) -> str:
    """``repr`` of the data (1, 1.0, True and nan told apart), or the error's message."""
    try:
        return "data: " + repr(read(text))
    except (SuiteFileError, yaml.YAMLError, RecursionError) as error:
        return f"{type(error).__name__}: {error}"


@pytest.fixture(params=["libyaml", "python"])
def event_source(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The fast path over libyaml's events, and over PyYAML's pure-Python parser."""
    if request.param == "libyaml":
        if spec_files._LibyamlParser is None:  # pragma: no cover - depends on the build
            pytest.skip("PyYAML built without libyaml")
    else:
        monkeypatch.setattr(spec_files, "_LibyamlParser", None)
    return str(request.param)


def _agrees(text: str) -> None:
    assert _outcome(spec_files._load_yaml, text) == _outcome(_reference, text), text


UNUSUAL_YAML = [
    "",
    "# only a comment\n",
    "3\n",
    "'quoted root'\n",
    "a: 1\nb: [1, 2.5, .inf, -.inf, .nan, ~, null, true, FALSE, yes, 017, 0o17, 0x1F, 1e3]\n",
    "a: '017'\nb: \"true\"\nc: 1:20\nd: 2026-11-28\ne: =\nf: <<\n",
    "a: &x 1\nb: *x\n",  # an alias
    "a: &x 1\nb: 2\n",  # an anchor, no alias
    "a: &x 1\nb: &x 2\n",  # the same anchor twice
    "a: !!int '017'\n",
    "a: !!str 017\n",
    "a: !!bool yes\n",
    "a: !!float 1e3\n",
    "a: ! 017\n",
    "a: !!python/object/apply:os.system ['ls']\n",
    "a: !!set {x}\n",
    "!!map {a: 1}\n",
    "a: 1\na: 2\n",
    "a: {b: 1, b: 1}\n",
    "1: a\n1.0: b\n",
    "1: a\ntrue: b\n",
    ".nan: a\n.nan: b\n",
    "? [a]\n: 1\n",
    "? {a: 1}\n: 1\n",
    "~: x\n",
    ": x\n",
    "<<: {a: 1}\n",
    "!!merge <<: {a: 1}\n",
    "a: 1\n---\nb: 2\n",
    "--- a\n...\n",
    "a: [1, 2\n",
    "tests: [\n  - id: a\n bad",
    "a: \x01\n",
    "\ta: 1\n",
    "key: |\n  line one\n  line two\n",
    "key: >\n  folded\n  text\n",
    "a:\n  - b:\n      - c: [d, {e: f}]\n",
    "[" * (spec_files.MAX_DEPTH - 2) + "]" * (spec_files.MAX_DEPTH - 2),
    "[" * (spec_files.MAX_DEPTH - 1) + "]" * (spec_files.MAX_DEPTH - 1),
    "[" * spec_files.MAX_DEPTH + "]" * spec_files.MAX_DEPTH,
    "[" * (spec_files.MAX_DEPTH + 1) + "]" * (spec_files.MAX_DEPTH + 1),
    "[" * 5000,
    "a:\n" + "".join("  " * i + "- \n" for i in range(1, 70)),
]


@pytest.mark.parametrize("text", UNUSUAL_YAML)
def test_fast_reader_agrees_on_unusual_yaml(event_source: str, text: str) -> None:
    _agrees(text)


@pytest.mark.parametrize("text", AWKWARD_TEXT)
def test_fast_reader_agrees_on_awkward_text(event_source: str, text: str) -> None:
    _agrees(plain_yaml({"key": text, text or "empty": [text]}))
    _agrees(Suite("s", description=text).dumps())


@given(st.data())
@examples(60)
def test_fast_reader_agrees_on_random_yaml(data: st.DataObject) -> None:
    value = data.draw(any_values())
    text = plain_yaml(value) if data.draw(st.booleans()) else yaml.safe_dump(value)
    _agrees(text)
    _agrees(data.draw(suites()).dumps())


def test_the_fast_reader_is_the_one_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """A well-formed suite never reaches the slow reference loader."""

    def slow(*args: Any) -> Any:
        raise AssertionError("the reference loader ran")

    monkeypatch.setattr(spec_files, "_DataLoader", slow)
    assert Suite.loads(Suite.from_dict(copy.deepcopy(VALID_DOCUMENT)).dumps()).name == (
        "income-model"
    )


# --- the schema's fast pass: never looser than the schema ------------------------------


def _schema_errors(document: Any) -> list[Any]:
    return list(spec_schema._validator().iter_errors(document))


@given(mutated_documents())
@examples(300)
def test_fast_pass_accepts_nothing_the_schema_refuses(document: Any) -> None:
    if spec_schema._surely_valid(document):
        assert not _schema_errors(document), document


@given(suites(max_tests=4))
@examples(100)
def test_fast_pass_accepts_every_saved_suite(suite: Suite) -> None:
    document = suite.to_dict()
    assert not _schema_errors(document)
    assert spec_schema._surely_valid(document), document


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["tests"][0]["slice"].update({"or": [{"column": "a", "eq": 1}] * 2}),
        lambda d: d["tests"][0]["slice"].update({"column": "a"}),
        lambda d: d["tests"][0]["slice"].update({"name": ""}),
        lambda d: d["tests"][0]["slice"].update({"extra": 1}),
        lambda d: d["tests"][0]["slice"]["and"].__setitem__(0, {"column": "a"}),
        lambda d: d["tests"][0]["slice"]["and"].__setitem__(0, {"column": "a", "eq": None}),
        lambda d: d["tests"][0]["slice"]["and"].__setitem__(0, {"and": [{"column": "a"}]}),
        lambda d: d["tests"][0]["slice"]["and"][1].update({"name": "n"}),
        lambda d: d["tests"][1]["slice"].update({"not_null": 1}),
        lambda d: d["tests"][1]["slice"].update({"between": [1]}),
        lambda d: d["tests"][1].update({"expect": {"at_least": 0.5, "at_most": 0.9}}),
        lambda d: d["tests"][1].update({"expect": {"max_gap_to_overall": -0.1}}),
        lambda d: d["tests"][1].update({"expect": {"at_least": True}}),
        lambda d: d["tests"][1].update({"min_support": 1.0}),
        lambda d: d["tests"][1].update({"confidence": 1}),
        lambda d: d["tests"][1].update({"id": "-bad"}),
        lambda d: d["tests"][1].update({"id": "x" * 201}),
        lambda d: d["tests"][1].update({"tags": [""]}),
        lambda d: d["tests"][0]["baseline"].update({"recorded": "2026-13-01"}),
        lambda d: d["tests"][0]["baseline"].update({"n": -1}),
        lambda d: d["tests"][0]["baseline"].pop("value"),
        lambda d: d.update({"fixture": "1x"}),
        lambda d: d.update({"name": ""}),
        lambda d: d.update({1: "x"}),
    ],
)
def test_fast_pass_defers_what_it_does_not_surely_accept(change: Callable[[Any], Any]) -> None:
    document = copy.deepcopy(VALID_DOCUMENT)
    assert spec_schema._surely_valid(document)
    change(document)
    assert not spec_schema._surely_valid(document)


def test_fast_pass_knows_every_key_of_the_schema() -> None:
    """A key added to the schema must be taught to the fast pass (or it would defer always)."""
    defs = schema()["$defs"]
    rules = spec_schema._rules()
    assert set(defs["expect"]["properties"]) == set(EXPECTATIONS) == rules["expect"]
    assert set(defs["leaf"]["properties"]) == (
        {"name", "column"} | spec_schema._COMPARISONS | spec_schema._LISTS | spec_schema._FLAGS
    )
    document: dict[str, Any] = copy.deepcopy(VALID_DOCUMENT)
    used = set(document) | {k for test in document["tests"] for k in test}
    assert used == set(schema()["properties"]) | set(defs["test"]["properties"])
    assert set(document["tests"][0]["baseline"]) == set(defs["baseline"]["properties"])


# --- speed -----------------------------------------------------------------------------


def _best_cpu_seconds(work: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def test_loading_8000_tests_costs_a_few_copies_of_the_document(tmp_path: Path) -> None:
    """Regression: 8,000 tests took 3.4 s (parsing through PyYAML's nodes and constructor,
    then jsonschema over every node), about 100x a ``copy.deepcopy`` of the same data; now
    about 10x. The reference is measured in the same run, in CPU time, so a slow or busy
    machine slows both alike; the bound leaves room for 3x noise and catches the old way."""
    path = _write_suite(tmp_path / "big.mlprobe.yaml", 8000)
    document = spec_files.read_document(path)
    assert len(Suite.load(path)) == 8000
    load = _best_cpu_seconds(lambda: Suite.load(path))
    reference = _best_cpu_seconds(lambda: copy.deepcopy(document))
    assert load < 40 * reference, f"load {load:.3f} s, deepcopy {reference:.3f} s"


# --- a YAML syntax error: one line, where, what and the fix ------------------------------

MALFORMED = "tests: [\n  - id: a\n bad"


def test_a_yaml_syntax_error_is_one_line_with_place_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "bad.mlprobe.yaml"
    path.write_text(MALFORMED, encoding="utf-8")
    with pytest.raises(SuiteFileError) as caught:
        Suite.load(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: not valid YAML: line 2, column 3 ('- id: a'): ")
    assert "found '-'" in message
    assert "Close each [ with ]" in message
    assert "<unicode string>" not in message and "^" not in message


@pytest.mark.parametrize(
    ("text", "where", "fix"),
    [
        ('a: "open\n', "line 2, column 1", "Close the quote"),
        ("a: 1\n\tb: 2\n", "line 2, column 1", "Indent with spaces"),
        ("a: b: c\n", "line 1, column 5 ('a: b: c')", "Quote a value that holds ': '"),
        ("a: 1\n---\nb: 2\n", "line 2, column 1 ('---')", "holds one YAML document"),
        ("a: 1\nb\nc: 2\n", "line 3, column 1", "'key: value'"),
        ("- a\nb: 1\n", "line 2, column 1 ('b: 1')", "Check the indentation"),
        ("a: \x01\n", "line 1, column 4", "U+0001"),
    ],
)
def test_yaml_syntax_errors_say_where_and_how_to_fix(text: str, where: str, fix: str) -> None:
    with pytest.raises(SuiteFileError) as caught:
        spec_files.read_document_text(text, source="s.yaml")
    message = str(caught.value)
    assert message.startswith(f"s.yaml: not valid YAML: {where}"), message
    assert fix in message and "\n" not in message
