"""YAML quirks (issue 12, item 8): duplicate keys, YAML 1.1 scalars, quoting on write.

Loading refuses a key given twice (YAML and JSON) and reads plain scalars by the
YAML 1.2 core schema (``no`` is text, ``1:20`` is text, ``017`` is 17). Saving quotes
every string another reader could take for something else, so a saved suite loads
back exactly and PyYAML's ``yaml.safe_load`` (YAML 1.1) and a YAML 1.2 reader read
the same values.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from suite_strategies import AWKWARD_TEXT, examples

import mlprobe as mp
from mlprobe import Baseline, Slice, SliceTest, Suite, SuiteFileError, col
from mlprobe.spec.files import dump_document, read_document_text

SUITE = """\
mlprobe: 1
name: answers
tests:
  - id: said-no
    slice: {column: answer, eq: no}
    metric: accuracy
    expect: {at_least: 0.5}
"""

#: Strings a YAML 1.1 or 1.2 reader takes for something else when written bare.
MISREAD = ["no", "No", "NO", "yes", "Yes", "on", "On", "off", "OFF", "y", "Y", "n", "N",
           "true", "True", "FALSE", "null", "Null", "~", "", "1:20", "190:20:30", "1:20.5",
           "017", "019", "0o17", "0x1F", "0b101", "1_000", "1e3", "1E3", "1e-3", "+1", "-0",
           ".5", "1.", "-.inf", ".NaN", "=", "<<", "2026-11-28", "2026-11-28 10:00:00"]  # fmt: skip


def write(tmp_path: Path, text: str, name: str = "suite.mlprobe.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(SuiteFileError) as caught:
        Suite.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    return message


# --- duplicate keys --------------------------------------------------------------------


def test_the_issue_example_is_refused(tmp_path: Path) -> None:
    text = SUITE.replace("{at_least: 0.5}", "{at_least: 0.5, at_least: 0.9}")
    assert load_error(write(tmp_path, text)) == (
        f"{tmp_path / 'suite.mlprobe.yaml'}: tests[0].expect: the key 'at_least' is given twice "
        "(at_least: 0.5 on line 7, column 14; at_least: 0.9 on line 7, column 29); a YAML reader "
        "would silently keep only the last. Keep the one you mean and delete the other."
    )


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("name: answers\n", "name: answers\nname: other\n", "the top-level key 'name'"),
        ("tests:", "mlprobe: 1\ntests:", "the top-level key 'mlprobe'"),
        ("    metric: accuracy\n", "    metric: accuracy\n    metric: recall\n",
         "tests[0]: the key 'metric'"),
        ("{column: answer, eq: no}", "{column: answer, eq: no, eq: yes}",
         "tests[0].slice: the key 'eq'"),
        ("{column: answer, eq: no}", "{and: [{column: a, eq: 1}, {column: answer, column: b, eq: 2}]}",
         "tests[0].slice.and[1]: the key 'column'"),
        ("{column: answer, eq: no}", "{not: {column: answer, eq: no, 'eq': x}}",
         "tests[0].slice.not: the key 'eq'"),
        ("    expect: {at_least: 0.5}\n",
         "    expect: {at_least: 0.5}\n    baseline: {value: 0.5, n: 3, \"n\": 4}\n",
         "tests[0].baseline: the key 'n'"),
    ],
    ids=["top level", "version", "inside a test", "inside a slice", "nested slice",
         "quoted twin", "baseline"],
)  # fmt: skip
def test_duplicate_keys_are_refused_at_any_depth(
    tmp_path: Path, old: str, new: str, where: str
) -> None:
    text = SUITE.replace(old, new, 1)
    assert text != SUITE
    message = load_error(write(tmp_path, text))
    assert f": {where} is given twice (" in message
    assert "would silently keep only the last. Keep the one you mean and delete the other." in (
        message
    )


def test_duplicate_key_message_names_both_lines_and_values(tmp_path: Path) -> None:
    text = SUITE.replace("    metric: accuracy\n", "    metric: accuracy\n    metric: recall\n")
    message = load_error(write(tmp_path, text))
    assert "(metric: accuracy on line 6; metric: recall on line 7)" in message


def test_duplicate_of_a_block_value_is_shown_by_kind(tmp_path: Path) -> None:
    text = SUITE + "tests: []\n"
    message = load_error(write(tmp_path, text))
    assert "the top-level key 'tests' is given twice (tests: a list on line 3; tests: a list" in (
        message
    )


def test_the_same_key_in_sibling_mappings_is_fine() -> None:
    text = SUITE + SUITE.split("tests:\n")[1].replace("said-no", "said-no-again")
    suite = Suite.loads(text)
    assert [t.id for t in suite] == ["said-no", "said-no-again"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"mlprobe": 1, "name": "a", "name": "b", "tests": []}', "the top-level key 'name'"),
        ('{"mlprobe": 1, "name": "a", "tests": [{"id": "t", "metric": "accuracy", '
         '"slice": {"column": "a", "eq": 1}, "expect": {"at_least": 0.5, "at_least": 0.9}}]}',
         "tests[0].expect: the key 'at_least'"),
        ('{"mlprobe": 1, "name": "a", "tests": [{"id": "t", "metric": "accuracy", "slice": '
         '{"and": [{"column": "a", "eq": 1, "eq": 2}]}, "expect": {"at_least": 0.5}}]}',
         "tests[0].slice.and[0]: the key 'eq'"),
    ],
    ids=["top level", "inside a test", "inside a slice"],
)  # fmt: skip
def test_json_duplicate_keys_are_refused(tmp_path: Path, text: str, where: str) -> None:
    message = load_error(write(tmp_path, text, "suite.mlprobe.json"))
    assert f": {where} is given twice (" in message
    assert "a JSON reader would silently keep only the last" in message


def test_json_duplicate_message_shows_both_values(tmp_path: Path) -> None:
    text = '{"mlprobe": 1, "name": "a", "name": {"x": 1}, "tests": []}'
    message = load_error(write(tmp_path, text, "suite.mlprobe.json"))
    assert '("name": "a"; "name": an object)' in message


def test_json_in_a_yaml_file_refuses_duplicates_too() -> None:
    with pytest.raises(SuiteFileError, match="the top-level key 'name' is given twice"):
        Suite.loads('{"mlprobe": 1, "name": "a", "name": "b", "tests": []}')


def test_a_merge_key_cannot_hide_a_duplicate() -> None:
    # without an alias, '!!merge' would still merge; '<<' untagged is a plain key (YAML 1.2)
    with pytest.raises(SuiteFileError, match=r"merge keys \(<<\) are not allowed"):
        read_document_text("{a: 1, !!merge <<: {a: 2}}", source="x.yaml")
    assert read_document_text("<<: {a: 2}", source="x.yaml") == {"<<": {"a": 2}}


# --- plain scalars by YAML 1.2 core rules ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        *[(word, word) for word in ["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON",
                                    "off", "Off", "OFF", "y", "Y", "n", "N"]],
        *[(word, True) for word in ["true", "True", "TRUE"]],
        *[(word, False) for word in ["false", "False", "FALSE"]],
        *[(word, None) for word in ["null", "Null", "NULL", "~", ""]],
        ("tRUE", "tRUE"), ("nULL", "nULL"),
        ("1:20", "1:20"), ("190:20:30", "190:20:30"), ("1:20.5", "1:20.5"), ("-1:20", "-1:20"),
        ("017", 17), ("0017", 17), ("019", 19), ("-017", -17), ("+1", 1), ("-0", 0),
        ("0o17", 15), ("0x1F", 31), ("0b101", "0b101"), ("1_000", "1_000"), ("0x_1F", "0x_1F"),
        ("1.5", 1.5), (".5", 0.5), ("1.", 1.0), ("-1.5e3", -1500.0), ("1.5E-3", 0.0015),
        ("1e3", "1e3"), ("1E3", "1E3"), ("1e-3", "1e-3"),  # text: a float needs a point
        (".inf", math.inf), ("+.Inf", math.inf), ("-.INF", -math.inf),
        ("2026-11-28", "2026-11-28"), ("=", "="), ("<<", "<<"),
    ],
)  # fmt: skip
def test_plain_scalars_follow_yaml_1_2(text: str, value: Any) -> None:
    loaded = read_document_text(f"x: {text}\n", source="x.yaml")["x"]
    assert loaded == value
    assert type(loaded) is type(value)


@pytest.mark.parametrize("text", [".nan", ".NaN", ".NAN"])
def test_nan(text: str) -> None:
    assert math.isnan(read_document_text(f"x: {text}", source="x.yaml")["x"])


def test_eq_no_is_the_string_no(tmp_path: Path) -> None:
    suite = Suite.load(write(tmp_path, SUITE))
    assert suite["said-no"].slice.predicate == (col("answer") == "no")
    frame = pd.DataFrame({"answer": ["no", "yes", "no", "maybe"]})
    assert suite["said-no"].slice.mask(frame).tolist() == [True, False, True, False]


def test_in_yes_no_on_off_are_strings() -> None:
    text = SUITE.replace("{column: answer, eq: no}", "{column: answer, in: [yes, no, on, off, y]}")
    slice_ = Suite.loads(text)["said-no"].slice
    assert slice_.predicate == col("answer").isin(["yes", "no", "on", "off", "y"])
    frame = pd.DataFrame({"answer": ["no", "True", "off", "n"]})
    assert slice_.mask(frame).tolist() == [True, False, True, False]


def test_a_time_stays_a_string() -> None:
    text = SUITE.replace("{column: answer, eq: no}", "{column: time, eq: 1:20}")
    slice_ = Suite.loads(text)["said-no"].slice
    assert slice_.predicate == (col("time") == "1:20")
    assert slice_.mask(pd.DataFrame({"time": ["1:20", "80", "0:80"]})).tolist() == [
        True,
        False,
        False,
    ]


def test_a_leading_zero_is_decimal() -> None:
    text = SUITE.replace("{column: answer, eq: no}", "{column: code, eq: 017}")
    assert Suite.loads(text)["said-no"].slice.predicate == (col("code") == 17)


def test_yes_where_a_boolean_is_expected_is_an_error() -> None:
    text = SUITE.replace("{column: answer, eq: no}", "{column: answer, is_null: yes}")
    with pytest.raises(SuiteFileError, match=r"tests\[0\]\.slice\.is_null: .*'yes'"):
        Suite.loads(text)
    text = SUITE.replace("{column: answer, eq: no}", "{column: answer, is_null: true}")
    assert Suite.loads(text)["said-no"].slice.predicate == col("answer").isnull()


@pytest.mark.parametrize(
    ("text", "value"),
    [("!!int 017", 17), ("!!int 0o17", 15), ("!!float 1e3", 1000.0), ("!!float 1", 1.0),
     ("!!bool True", True), ("!!null ~", None), ("!!str yes", "yes"), ("!!str 1:20", "1:20")],
)  # fmt: skip
def test_explicit_standard_tags_follow_yaml_1_2(text: str, value: Any) -> None:
    loaded = read_document_text(f"x: {text}", source="x.yaml")["x"]
    assert loaded == value and type(loaded) is type(value)


@pytest.mark.parametrize(
    ("text", "rule"),
    [("!!bool yes", "a YAML 1.2 boolean is true or false"),
     ("!!bool on", "a YAML 1.2 boolean is true or false"),
     ("!!int 1:20", "a YAML 1.2 integer is decimal (17), octal (0o21) or hexadecimal (0x11)"),
     ("!!int 1_000", "a YAML 1.2 integer is decimal"),
     ("!!int 0b101", "a YAML 1.2 integer is decimal"),
     ("!!float 1:20.5", "a YAML 1.2 float looks like 0.8, -1.5e3, .inf or .nan"),
     ("!!null nothing", "a YAML 1.2 null is null, ~ or nothing")],
)  # fmt: skip
def test_explicit_tags_that_do_not_fit_are_refused(tmp_path: Path, text: str, rule: str) -> None:
    path = write(tmp_path, SUITE.replace("name: answers", f"name: answers\ndescription: {text}"))
    message = load_error(path)
    tag, value = text.split(" ")
    assert f"{value!r} tagged {tag} is not a valid {tag[2:]} (line 3): {rule}" in message
    assert message.endswith("Remove the tag to write text.")


# --- writing: quoted where any reader could misread --------------------------------------


@pytest.mark.parametrize("value", MISREAD)
def test_misreadable_strings_are_written_quoted(value: str) -> None:
    text = dump_document({"description": value})
    assert text in (f"description: '{value}'\n", f'description: "{value}"\n'), text


@pytest.mark.parametrize("value", ["Female", "older women", "recall[>50K]", "v2", "1.2.3", "a:b"])
def test_plain_text_stays_bare(value: str) -> None:
    assert dump_document({"description": value}) == f"description: {value}\n"


def test_numbers_booleans_and_null_stay_bare() -> None:
    document = {"a": 17, "b": -0.5, "c": 1e16, "d": True, "e": None, "f": math.inf, "g": 1e-05}
    assert dump_document(document) == (
        "a: 17\nb: -0.5\nc: 1.0e+16\nd: true\ne: null\nf: .inf\ng: 1.0e-05\n"
    )
    assert read_document_text(dump_document(document), source="x.yaml") == document
    assert yaml.safe_load(dump_document(document)) == document


def test_keys_of_the_format_and_the_recorded_date_stay_bare() -> None:
    baseline = {"value": 0.5, "n": 3, "model": "n", "recorded": "2026-11-28"}
    text = dump_document({"tests": [{"id": "t", "baseline": baseline, "description": "n"}]})
    assert "baseline: {value: 0.5, n: 3, model: 'n', recorded: 2026-11-28}" in text
    assert "description: 'n'" in text


def suite_of(value: str) -> Suite:
    """A suite whose every free-text field, and the slice's values, are ``value``."""
    text = value or "x"  # ids, names and metrics cannot be empty
    return Suite(
        text if text.strip() else "x",
        [
            SliceTest(
                id="t",
                slice=Slice(
                    text if text.strip() else None,
                    ((col(text) == value) | col("b").isin([value, "n", "017"]))
                    & ~(col("c") != value),
                ),
                metric=text,
                at_least=0.5,
                description=value,
                tags=[text],
                model=text,
                baseline=Baseline(0.5, 3, text, "2026-11-28"),
            )
        ],
        description=value,
    )


@pytest.mark.parametrize("value", MISREAD)
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_save_load_round_trips_misreadable_strings(tmp_path: Path, value: str, suffix: str) -> None:
    suite = suite_of(value)
    path = suite.save(tmp_path / f"s.mlprobe{suffix}")
    assert Suite.load(path) == suite
    assert Suite.load(path).to_dict() == suite.to_dict()


# --- other readers agree ------------------------------------------------------------------

_CORE_12 = {  # YAML 1.2.2, 10.3.2: tag resolution of the core schema, written out again here
    "null": r"~|null|Null|NULL|",
    "bool": r"true|True|TRUE|false|False|FALSE",
    "int": r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+",
    "float": r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)"
    r"|\.(nan|NaN|NAN)",
}


class Yaml12Reader(yaml.SafeLoader):
    """An independent YAML 1.2 core reader: the oracle for 'a 1.2 reader reads the same'."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 -- PyYAML's class table

    def construct_core(self, node: yaml.ScalarNode) -> Any:
        text = str(node.value)
        kind = node.tag.rsplit(":", 1)[1]
        if kind == "null":
            return None
        if kind == "bool":
            return text.lower() == "true"
        if kind == "int":
            base = {"0o": 8, "0x": 16}.get(text[:2], 10)
            return int(text[2:] if base != 10 else text, base)
        special = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
        return special[text.lower()] if text.lower() in special else float(text)


for _kind, _pattern in _CORE_12.items():
    Yaml12Reader.add_implicit_resolver(
        f"tag:yaml.org,2002:{_kind}", re.compile(rf"^(?:{_pattern})$"), list("-+.0123456789~nNtTfF")
    )
    Yaml12Reader.add_constructor(f"tag:yaml.org,2002:{_kind}", Yaml12Reader.construct_core)
Yaml12Reader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^$"), [""]
)  # the empty scalar

READERS = {
    "pyyaml-safe_load": yaml.SafeLoader,  # what yaml.safe_load uses
    "libyaml": getattr(yaml, "CSafeLoader", yaml.SafeLoader),
    "yaml-1.2": Yaml12Reader,
}


def read_with(reader: Any, text: str) -> Any:
    document = yaml.load(text, Loader=reader)  # safe loaders only
    # YAML 1.1 readers make a date of a baseline's recorded day: the same day
    for test in document.get("tests", []):
        recorded = test.get("baseline", {}).get("recorded")
        if isinstance(recorded, dt.date):
            test["baseline"]["recorded"] = recorded.isoformat()
    return document


def test_the_oracle_reads_yaml_1_2() -> None:
    text = "a: no\nb: 1:20\nc: 017\nd: 1e3\ne: 0o17\nf: true\ng: ~\nh: .inf\ni:\n"
    assert yaml.load(text, Loader=Yaml12Reader) == {
        "a": "no", "b": "1:20", "c": 17, "d": 1000.0, "e": 15, "f": True, "g": None,
        "h": math.inf, "i": None,
    }  # fmt: skip
    assert yaml.safe_load(text) == {
        "a": False, "b": 80, "c": 15, "d": "1e3", "e": "0o17", "f": True, "g": None,
        "h": math.inf, "i": None,
    }  # fmt: skip


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
@pytest.mark.parametrize("value", MISREAD + AWKWARD_TEXT)
def test_other_readers_read_what_we_wrote(reader: Any, value: str) -> None:
    suite = suite_of(value)
    assert read_with(reader, suite.dumps()) == suite.to_dict()


def test_the_golden_file_reads_the_same_everywhere() -> None:
    path = Path(__file__).parent / "golden" / "income.mlprobe.yaml"
    text = path.read_text(encoding="utf-8")
    ours = read_document_text(text, source=str(path))
    for reader in READERS.values():
        assert read_with(reader, text) == ours


# --- properties ----------------------------------------------------------------------------

_TEXTS = st.one_of(st.text(), st.sampled_from(MISREAD + AWKWARD_TEXT))


@examples(150)
@given(value=_TEXTS)
def test_any_text_survives_save_and_load(value: str) -> None:
    document = {"mlprobe": 1, "name": "x", "description": value, "tests": []}
    text = dump_document(document)
    assert read_document_text(text, source="x.yaml") == document
    for reader in READERS.values():
        assert read_with(reader, text) == document
    assert json.loads(dump_document(document, json_format=True)) == document


@examples(60)
@given(value=_TEXTS)
def test_any_text_in_a_suite_survives_save_and_load(value: str) -> None:
    suite = suite_of(value)
    assert Suite.loads(suite.dumps()) == suite
    assert Suite.loads(suite.dumps(json_format=True), json_format=True) == suite
    for reader in READERS.values():
        assert read_with(reader, suite.dumps()) == suite.to_dict()


@examples(60)
@given(values=st.lists(_TEXTS, max_size=4))
def test_any_slice_values_survive(values: list[str]) -> None:
    slice_ = Slice(None, col("a").isin(values) if values else col("a").isnull())
    suite = Suite("s", [SliceTest(id="t", slice=slice_, metric="accuracy", at_least=0.5)])
    loaded = Suite.loads(suite.dumps())
    assert loaded == suite
    assert loaded["t"].slice == slice_
    assert yaml.safe_load(suite.dumps()) == suite.to_dict()


def test_mlprobe_error_base() -> None:
    with pytest.raises(mp.MlprobeError):
        read_document_text("a: 1\na: 2\n", source="x.yaml")
