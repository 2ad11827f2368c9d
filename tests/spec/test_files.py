"""Tests of reading and writing suite files: data only, bounded, atomic, stable.

Every way a file can be unreadable ends in a :class:`mlprobe.SuiteFileError`
naming the file; nothing in a file is ever run.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

import mlprobe as mp
from mlprobe.spec import Suite, SuiteFileError
from mlprobe.spec import files as spec_files
from mlprobe.spec.files import dump_document, read_document, read_document_text, write_atomic

VALID_YAML = """\
mlprobe: 1
name: income-model
tests:
  - id: older-women-recall
    slice: {and: [{column: age, ge: 60}, {column: sex, eq: Female}]}
    metric: "recall[>50K]"
    expect: {at_least: 0.80}
    baseline: {value: 0.84, n: 812, model: v2, recorded: 2026-11-28}
"""


def write(tmp_path: Path, text: str | bytes, name: str = "suite.mlprobe.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(SuiteFileError) as caught:
        Suite.load(path)
    assert isinstance(caught.value, mp.MlprobeError)
    message = str(caught.value)
    assert str(path) in message
    return message


def test_valid_file_loads(tmp_path: Path) -> None:
    suite = Suite.load(write(tmp_path, VALID_YAML))
    assert suite["older-women-recall"].baseline == mp.Baseline(0.84, 812, "v2", "2026-11-28")


def test_suite_file_error_is_an_mlprobe_error_and_a_value_error() -> None:
    assert issubclass(SuiteFileError, mp.MlprobeError)
    assert issubclass(SuiteFileError, ValueError)
    assert mp.SuiteFileError is SuiteFileError


# --- nothing in a file runs ----------------------------------------------------------


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system",
        "!!python/object/apply:subprocess.check_call",
        "!!python/object/new:os.system",
        "!!python/object:os.system",
        "!!python/name:os.system",
        "!!python/module:os",
        "!<tag:yaml.org,2002:python/object/apply:os.system>",  # the verbatim form
    ],
)
def test_python_tags_are_refused_and_nothing_runs(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "pwned"
    command = json.dumps(f"touch {marker}")
    text = VALID_YAML.replace(
        "name: income-model", f"name: income-model\ndescription: {tag} [{command}]"
    )
    message = load_error(write(tmp_path, text))
    assert "is not allowed in a suite file (line 3); suite files hold plain data only" in message
    assert "'!!python/" in message
    assert not marker.exists()


def test_the_issue_example_tag_is_refused_with_its_name(tmp_path: Path) -> None:
    marker = tmp_path / "created-by-yaml"
    path = write(
        tmp_path,
        f"mlprobe: 1\nname: !!python/object/apply:os.system ['touch {marker}']\ntests: []\n",
    )
    message = load_error(path)
    assert "the tag '!!python/object/apply:os.system' is not allowed in a suite file" in message
    assert not marker.exists()


def test_python_tag_inside_a_test_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = VALID_YAML.replace(
        "expect: {at_least: 0.80}",
        f"expect: {{at_least: !!python/object/apply:os.system ['touch {marker}']}}",
    )
    message = load_error(write(tmp_path, text))
    assert "line 7" in message
    assert not marker.exists()


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!binary aGVsbG8=", "!!binary"),
        ("!!set {a, b}", "!!set"),
        ("!!omap [{a: 1}]", "!!omap"),
        ("!!pairs [{a: 1}]", "!!pairs"),
        ("!!timestamp 2026-11-28", "!!timestamp"),
        ("!local_tag x", "!local_tag"),
        ("!<tag:example.com,2000:x> y", "tag:example.com,2000:x"),
    ],
)
def test_other_tags_are_refused(tmp_path: Path, value: str, tag: str) -> None:
    text = VALID_YAML.replace("name: income-model", f"name: income-model\ndescription: {value}")
    message = load_error(write(tmp_path, text))
    assert f"the tag '{tag}' is not allowed in a suite file (line 3)" in message


def test_plain_standard_tags_are_data() -> None:
    suite = Suite.loads(VALID_YAML.replace("name: income-model", "name: !!str 2026"))
    assert suite.name == "2026"


@pytest.mark.parametrize(
    "text",
    [
        "mlprobe: 1\nname: &n income\ndescription: *n\ntests: []\n",
        "mlprobe: 1\nname: x\ntests: []\nbase: &b {a: 1}\nother:\n  <<: *b\n",
        # a billion laughs stops at the first alias
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
    ],
    ids=["alias", "merge key", "billion laughs"],
)
def test_aliases_are_refused(tmp_path: Path, text: str) -> None:
    message = load_error(write(tmp_path, text))
    assert "aliases (*" in message and "are not allowed in a suite file (line" in message
    assert "write the value out" in message


def test_dates_stay_text() -> None:
    document = read_document_text(
        "recorded: 2026-11-28\nwhen: 2026-11-28 10:00:00\n", source="x.yaml"
    )
    assert document == {"recorded": "2026-11-28", "when": "2026-11-28 10:00:00"}


def test_safe_scalars_keep_their_yaml_types() -> None:
    document = read_document_text(
        "a: 1\nb: 0.8\nc: true\nd: null\ne: '1'\nf: 1e3\ng: .inf\n", source="x.yaml"
    )
    assert document == {
        "a": 1,
        "b": 0.8,
        "c": True,
        "d": None,
        "e": "1",
        "f": "1e3",
        "g": float("inf"),
    }


# --- bounds ---------------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_nesting_is_bounded(tmp_path: Path, suffix: str) -> None:
    limit = spec_files.MAX_DEPTH
    assert read_document_text(nested(limit), source=f"x{suffix}") is not None
    for depth in (limit + 1, 200):
        with pytest.raises(SuiteFileError, match=f"nested more than {limit} levels deep"):
            read_document_text(nested(depth), source=f"x{suffix}")
    deep = '{"mlprobe": 1, "name": "x", "tests": [], "description": ' + nested(100) + "}"
    message = load_error(write(tmp_path, deep, f"deep{suffix}"))
    assert f"nested more than {limit} levels deep" in message


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_extreme_nesting_is_an_error_not_a_crash(tmp_path: Path, suffix: str) -> None:
    message = load_error(write(tmp_path, nested(3_000), f"deep{suffix}"))
    assert "nested more than" in message


def test_nesting_in_a_slice_is_bounded_too(tmp_path: Path) -> None:
    node = '{"column": "a", "eq": 1}'
    for _ in range(70):
        node = '{"not": ' + node + "}"
    text = VALID_YAML.replace("{and: [{column: age, ge: 60}, {column: sex, eq: Female}]}", node)
    message = load_error(write(tmp_path, text))
    assert "nested more than" in message


def test_size_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spec_files, "MAX_BYTES", 100)
    path = write(tmp_path, VALID_YAML)
    assert path.stat().st_size > 100
    assert "larger than 100 bytes; split the suite" in load_error(path)
    with pytest.raises(SuiteFileError, match="larger than 100 bytes"):
        Suite.loads(VALID_YAML)
    small = "mlprobe: 1\nname: x\ntests: []\n"
    assert Suite.load(write(tmp_path, small, "small.yaml")) == Suite("x")


def test_size_counts_bytes_not_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spec_files, "MAX_BYTES", 70)
    text = "mlprobe: 1\nname: x\ndescription: " + "é" * 20 + "\ntests: []\n"
    assert len(text) <= 70 < len(text.encode("utf-8"))
    with pytest.raises(SuiteFileError, match="larger than 70 bytes"):
        Suite.loads(text)


def test_large_file_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, VALID_YAML)
    monkeypatch.setattr(spec_files, "MAX_BYTES", 10)

    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("read a file larger than MAX_BYTES")

    monkeypatch.setattr(Path, "read_text", refuse)
    assert "larger than 10 bytes" in load_error(path)


# --- unreadable files -----------------------------------------------------------------


def test_invalid_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, VALID_YAML.encode("utf-8").replace(b"income", b"inc\xffome"))
    assert "not UTF-8 text" in load_error(path)


def test_latin1_file(tmp_path: Path) -> None:
    path = write(tmp_path, VALID_YAML.replace("income-model", "café").encode("latin-1"))
    assert "not UTF-8 text" in load_error(path)


@pytest.mark.parametrize(
    "text",
    [
        "mlprobe: 1\nname: [unclosed\ntests: []\n",
        "mlprobe: 1\n  name: x\n tests: []\n",
        "mlprobe: 1\nname: x\ntests: []\n\tdescription: tab\n",
        "{a: [}",
        "mlprobe: 1\nname: x\ntests: []\n? [a]\n: 1\n",  # a list as a key
    ],
)
def test_bad_yaml_syntax(tmp_path: Path, text: str) -> None:
    message = load_error(write(tmp_path, text))
    assert "not valid YAML" in message
    assert "line" in message
    assert "\n" not in message  # one line, for CI logs


def test_bad_json_syntax(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, '{"mlprobe": 1, "name": "x",}', "s.json"))
    assert "not valid JSON" in message and "line 1" in message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_refused(tmp_path: Path, constant: str) -> None:
    text = f'{{"mlprobe": 1, "name": "x", "tests": [], "description": {constant}}}'
    message = load_error(write(tmp_path, text, "s.json"))
    assert f"{constant} is not a value a suite file may hold" in message


def test_json_is_chosen_by_the_suffix(tmp_path: Path) -> None:
    # YAML-only syntax in a .json file is a JSON error
    message = load_error(write(tmp_path, VALID_YAML, "s.json"))
    assert "not valid JSON" in message
    # JSON is YAML, so a .yaml file may hold JSON
    text = json.dumps({"mlprobe": 1, "name": "x", "tests": []})
    assert Suite.load(write(tmp_path, text, "s.yaml")) == Suite("x")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a\n- b\n", "just text\n", "3\n"])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    assert "the file must hold a mapping with the keys 'mlprobe', 'name' and 'tests'" in (
        load_error(write(tmp_path, text))
    )


@pytest.mark.parametrize("key", ["1", "null", "true", "[a, b]", "{a: 1}"])
def test_keys_must_be_text(tmp_path: Path, key: str) -> None:
    text = f"mlprobe: 1\nname: x\ntests: []\n? {key}\n: value\n"
    message = load_error(write(tmp_path, text))
    assert "keys must be text" in message or "not valid YAML" in message


def test_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "missing.mlprobe.yaml"
    assert load_error(path) == f"{path}: no such suite file."


def test_directory_is_not_a_suite_file(tmp_path: Path) -> None:
    with pytest.raises((SuiteFileError, IsADirectoryError)):
        Suite.load(tmp_path)


def test_schema_errors_name_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, VALID_YAML.replace("at_least", "at_leats"))
    assert load_error(path) == (
        f"{path}: tests[0].expect.at_leats: unknown key; did you mean 'at_least'? Valid keys "
        "here: at_least, at_most, max_gap_to_overall, max_drop_from_baseline."
    )


def test_read_document_is_plain_data(tmp_path: Path) -> None:
    document = read_document(write(tmp_path, VALID_YAML))
    assert document["tests"][0]["baseline"]["recorded"] == "2026-11-28"
    assert document["tests"][0]["metric"] == "recall[>50K]"


# --- writing --------------------------------------------------------------------------


def test_write_atomic_writes_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "s.yaml"
    write_atomic(path, "one\n")
    assert path.read_text(encoding="utf-8") == "one\n"
    write_atomic(path, "two ✓\n")
    assert path.read_bytes() == "two ✓\n".encode()
    assert os.listdir(path.parent) == ["s.yaml"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_write_atomic_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o600)
    write_atomic(path, "new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_write_atomic_writes_unix_newlines(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    write_atomic(path, "a\nb\n")
    assert path.read_bytes() == b"a\nb\n"


def test_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.yaml"
    old = "mlprobe: 1\nname: old\ntests: []\n"
    path.write_text(old, encoding="utf-8")

    def broken_replace(source: object, target: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(spec_files.os, "replace", broken_replace)
    # the error names the target, not the temporary file (issue 12)
    with pytest.raises(SuiteFileError, match=f"^{re.escape(str(path))}: .*disk full"):
        Suite("new").save(path)
    assert path.read_text(encoding="utf-8") == old
    assert os.listdir(tmp_path) == ["s.yaml"]


def test_interrupted_write_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(spec_files.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "s.yaml", "text")
    assert os.listdir(tmp_path) == []


def test_dump_document_styles() -> None:
    document = {
        "mlprobe": 1,
        "name": "x",
        "tests": [
            {
                "id": "t",
                "slice": {"column": "age", "ge": 60},
                "metric": "m",
                "expect": {"at_least": 0.8},
                "tags": ["a", "b"],
                "baseline": {"value": 0.5, "recorded": "2026-11-28"},
            }
        ],
    }
    assert dump_document(document) == (
        "mlprobe: 1\n"
        "name: x\n"
        "tests:\n"
        "  - id: t\n"
        "    slice: {column: age, ge: 60}\n"
        "    metric: m\n"
        "    expect: {at_least: 0.8}\n"
        "    tags:\n"
        "      - a\n"
        "      - b\n"
        "    baseline: {value: 0.5, recorded: 2026-11-28}\n"
    )
    assert dump_document(document, json_format=True) == json.dumps(document, indent=2) + "\n"


@pytest.mark.parametrize(
    "value",
    ["yes", "No", "on", "null", "~", "1", "1.5", "1e3", "0x1F", "1_000", "1:20", ".inf", "true",
     "- x", "a: b", "#c", "&a", "*a", "!t", "", " pad ", "2026-11-28", "\x85", "\u2028", "\ufeff",
     "tab\t", "multi\nline\n", "ünïcödé ✓ 😀", "'", '"', "\\"],
)  # fmt: skip
def test_awkward_strings_round_trip_through_yaml(value: str) -> None:
    document = {"mlprobe": 1, "name": "x", "description": value, "tests": []}
    assert read_document_text(dump_document(document), source="x.yaml") == document


def test_python_module_tag_imports_nothing(tmp_path: Path) -> None:
    import sys

    module = "tabnanny"  # in the standard library, imported by nothing here
    assert module not in sys.modules
    text = VALID_YAML.replace(
        "name: income-model", f"name: income-model\ndescription: !!python/module:{module}"
    )
    load_error(write(tmp_path, text))
    assert module not in sys.modules


def test_spec_source_never_runs_or_unpickles_anything() -> None:
    """A static guard: no eval/exec/compile/__import__, pickle or unsafe YAML in mlprobe.spec."""
    import ast

    import mlprobe.spec

    forbidden_functions = {"eval", "exec", "compile", "__import__"}
    forbidden_methods = {"eval", "exec", "import_module", "query"}  # pd.eval, df.query...
    forbidden_modules = {"pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib"}
    forbidden_yaml = {"load", "unsafe_load", "full_load", "load_all", "Loader", "FullLoader",
                      "UnsafeLoader"}  # fmt: skip
    for source in Path(mlprobe.spec.__file__).parent.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name):
                    assert func.id not in forbidden_functions, f"{source.name}: {func.id}()"
                if isinstance(func, ast.Attribute):
                    assert func.attr not in forbidden_methods, f"{source.name}: .{func.attr}()"
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                assert not forbidden_modules & {n.split(".")[0] for n in names}, source.name
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "yaml"
            ):
                assert node.attr not in forbidden_yaml, f"{source.name}: yaml.{node.attr}"
