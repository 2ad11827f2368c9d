"""The JSON Schema of suite files, and validation with messages a person can act on.

The schema ships with the package (``schemas/suite-v1.json``) so editors and
other tools can use it too. Errors name the field path, what was received,
and, for a misspelt key, the key that was probably meant.

Examples
--------
>>> validate_document({"mlprobe": 1, "name": "s", "tests": [{"id": "t", "metric": "accuracy",
...     "slice": {"column": "age", "ge": 60}, "expect": {"at_leats": 0.8}}]})
Traceback (most recent call last):
...
mlprobe.spec.errors.SuiteFileError: tests[0].expect.at_leats: unknown key; did you mean 'at_least'? ...
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from typing import Any

from mlprobe.core.slicing.slices import Slice
from mlprobe.errors import MlprobeError, did_you_mean
from mlprobe.spec.errors import SuiteFileError

__all__ = ["FORMAT_VERSION", "schema", "validate_document"]

#: The version of the suite file format this release reads and writes.
FORMAT_VERSION = 1


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of version 1 suite files, as a dict."""
    text = (files("mlprobe.spec") / "schemas" / "suite-v1.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(schema(), format_checker=FormatChecker())


def field_path(parts: Any) -> str:
    """``["tests", 3, "expect"]`` -> ``"tests[3].expect"``.

    Examples
    --------
    >>> field_path(["tests", 3, "expect", "at_least"])
    'tests[3].expect.at_least'
    """
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _version_check(document: Any) -> None:
    if not isinstance(document, dict):
        raise SuiteFileError(
            "the file must hold a mapping with the keys 'mlprobe', 'name' and 'tests'; "
            f"received {type(document).__name__}."
        )
    version = document.get("mlprobe")
    if version is None:
        raise SuiteFileError(
            "mlprobe: missing. A suite file starts with 'mlprobe: 1' (the format version)."
        )
    if (
        isinstance(version, int | float)
        and not isinstance(version, bool)
        and version > FORMAT_VERSION
    ):
        raise SuiteFileError(
            f"mlprobe: this file is format version {version}, newer than this mlprobe reads "
            f"(version {FORMAT_VERSION}). Upgrade mlprobe: pip install -U mlprobe."
        )
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise SuiteFileError(
            f"mlprobe: expected the format version {FORMAT_VERSION}; received {version!r}."
        )


def _slice_error(document: Any, path: list[Any]) -> str | None:
    """Our own message for a malformed slice (clearer than the schema's oneOf)."""
    if "slice" not in path:
        return None
    index = path.index("slice")
    node = document
    for part in path[: index + 1]:
        node = node[part]
    try:
        Slice.from_dict(node, path=field_path(path[: index + 1]))
    except MlprobeError as error:
        return str(error)
    return None


def _kind_error(document: Any, path: list[Any]) -> str | None:
    """Our message for a test that names both or neither of 'slice' and 'by'."""
    if len(path) < 2 or path[0] != "tests" or not isinstance(path[1], int):
        return None
    try:
        test = document["tests"][path[1]]
    except (KeyError, IndexError, TypeError):  # pragma: no cover - the path is the document's
        return None
    if not isinstance(test, dict):
        return None
    where = field_path(path[:2])
    if "slice" in test and "by" in test:
        return (
            f"{where}: a test names either 'slice' (a slice test: a metric on one slice) or "
            "'by' (a group test: a metric compared across the groups of a column), not both; "
            "received both. Split it into two tests."
        )
    if "slice" not in test and "by" not in test:
        return (
            f"{where}: 'slice' is a required property. A test names a 'slice' (a slice test, "
            "e.g. slice: {column: age, ge: 60}) or 'by' (a group test, e.g. by: race); "
            "received neither."
        )
    return None


def _expect_hint(key: str, path: list[Any]) -> str:
    """For an expectation of the other kind of test: which kind it belongs to."""
    if path[-1:] != ["expect"]:
        return ""
    from mlprobe.spec.group_test import GROUP_EXPECTATIONS
    from mlprobe.spec.slice_test import EXPECTATIONS

    if key in GROUP_EXPECTATIONS:
        return f" ({key} is an expectation of a group test, which names 'by' instead of 'slice'.)"
    if key in EXPECTATIONS:
        return f" ({key} is an expectation of a slice test, which names 'slice' instead of 'by'.)"
    return ""


def _message(error: Any, document: Any) -> str:
    path = list(error.absolute_path)
    where = field_path(path) or "the file"
    kind_message = _kind_error(document, path)
    if kind_message is not None:
        return kind_message
    slice_message = _slice_error(document, path)
    if slice_message is not None:
        return slice_message
    if error.validator == "additionalProperties":
        valid = list(error.schema.get("properties", {}))
        unexpected = [k for k in error.instance if k not in valid]
        key = str(unexpected[0]) if unexpected else "?"
        hint = did_you_mean(key, valid).replace(" Did you mean", "; did you mean") or "."
        return (
            f"{field_path([*path, key])}: unknown key{hint} Valid keys here: {', '.join(valid)}."
            + _expect_hint(key, path)
        )
    if error.validator == "required":
        return f"{where}: {error.message}."
    if error.validator in ("minProperties", "maxProperties") and path[-1:] == ["expect"]:
        keys = ", ".join(error.schema["properties"])
        return f"{where}: give exactly one expectation, one of {keys}; received {error.instance!r}."
    if path[-2:] == ["expect", "min_ratio"] and error.validator in ("minimum", "maximum"):
        return (
            f"{where}: expected a number between 0 and 1 (the smallest group's value over the "
            f"largest's; e.g. 0.8 for the four-fifths rule); received {error.instance!r}."
        )
    if path[-2:] == ["expect", "max_difference"] and error.validator == "minimum":
        return (
            f"{where}: expected a number >= 0 (the largest difference allowed between the "
            f"groups, e.g. 0.1); received {error.instance!r}."
        )
    return f"{where}: {error.message}."


def validate_document(document: Any) -> None:
    """Check a loaded suite document against the version 1 schema; raise on the first problem.

    A well-formed document is recognised by a fast structural pass (linear, a few
    microseconds a test); only when that pass is unsure does the JSON Schema validator
    run, to decide and to word the error.
    """
    _version_check(document)
    if _surely_valid(document):
        return
    errors = sorted(
        _validator().iter_errors(document),
        key=lambda e: (
            list(map(str, e.absolute_path)),
            -len(e.absolute_path),
            # a misspelt key ('idd') is better reported as itself, with a suggestion,
            # than as the required key it stands for being missing
            e.validator != "additionalProperties",
        ),
    )
    if errors:
        raise SuiteFileError(_message(errors[0], document))


# --- the fast pass ----------------------------------------------------------------------
#
# True only for documents the schema surely accepts; False whenever in doubt (then the
# JSON Schema validator decides). It may be stricter than the schema, never looser:
# tests/spec/test_fast_loading.py checks it against the validator on generated and
# mutated documents, and that the key sets and patterns below are the schema's.


def _keys(definition: dict[str, Any]) -> frozenset[str]:
    return frozenset(definition["properties"])


@cache
def _rules() -> dict[str, Any]:
    """Key sets and patterns read from the schema, so the fast pass cannot drift from it."""
    top = schema()
    defs = top["$defs"]
    return {
        "top": _keys(top),
        "top_required": frozenset(top["required"]),
        "fixture": re.compile(top["properties"]["fixture"]["pattern"]),
        "test": _keys(defs["test"]),
        "test_required": frozenset(defs["test"]["required"]),
        "id": re.compile(defs["test"]["properties"]["id"]["pattern"]),
        "id_max": defs["test"]["properties"]["id"]["maxLength"],
        "expect": _keys(defs["expect"]),
        "group_test": _keys(defs["group_test"]),
        "group_test_required": frozenset(defs["group_test"]["required"]),
        "group_expect": _keys(defs["group_expect"]),
        "baseline": _keys(defs["baseline"]),
        "leaf": _keys(defs["leaf"]),
    }


_COMPARISONS = frozenset({"eq", "ne", "lt", "le", "gt", "ge"})
_LISTS = frozenset({"in", "between"})
_FLAGS = frozenset({"is_null", "not_null"})
_COMBINATIONS = ("and", "or", "not")
_VALUE_TYPES = (str, int, float, bool)  # the schema's string, number, boolean (type() is exact)
_NUMBER_TYPES = (int, float)


def _is_number(value: Any) -> bool:
    return type(value) in _NUMBER_TYPES


def _is_text(value: Any, min_length: int = 0) -> bool:
    return type(value) is str and len(value) >= min_length


def _surely_valid(document: Any) -> bool:
    rules = _rules()
    if type(document) is not dict or not rules["top_required"] <= document.keys():
        return False
    if not rules["top"] >= document.keys():
        return False
    if not (type(document["mlprobe"]) is int and document["mlprobe"] == FORMAT_VERSION):
        return False
    if not _is_text(document["name"], 1):
        return False
    if "description" in document and not _is_text(document["description"]):
        return False
    fixture = document.get("fixture")
    if "fixture" in document and not (_is_text(fixture) and rules["fixture"].search(fixture)):
        return False
    tests = document["tests"]
    return type(tests) is list and all(_surely_valid_test(test, rules) for test in tests)


def _surely_valid_test(test: Any, rules: dict[str, Any]) -> bool:
    if type(test) is dict and "by" in test:
        return _surely_valid_group_test(test, rules)
    if type(test) is not dict or not rules["test_required"] <= test.keys() <= rules["test"]:
        return False
    test_id = test["id"]
    if not (_is_text(test_id) and len(test_id) <= rules["id_max"] and rules["id"].search(test_id)):
        return False
    if not _is_text(test["metric"], 1) or not _surely_valid_expect(test["expect"], rules):
        return False
    if not _surely_valid_slice(test["slice"], rules):
        return False
    if len(test) == 4:
        return True
    return _surely_valid_options(test, rules["test_required"], rules)


def _surely_valid_group_test(test: dict[str, Any], rules: dict[str, Any]) -> bool:
    if not rules["group_test_required"] <= test.keys() <= rules["group_test"]:
        return False
    test_id = test["id"]
    if not (_is_text(test_id) and len(test_id) <= rules["id_max"] and rules["id"].search(test_id)):
        return False
    if not _is_text(test["metric"], 1) or not _surely_valid_group_expect(test["expect"], rules):
        return False
    by = test["by"]
    if not _is_text(by, 1) and not (
        type(by) is list
        and by
        and all(_is_text(column, 1) for column in by)
        and len(set(by)) == len(by)
    ):
        return False
    if "bins" in test:
        bins = test["bins"]
        if type(bins) is int:
            if bins < 1:
                return False
        elif not (type(bins) is list and bins and all(_is_number(b) for b in bins)):
            return False
    return _surely_valid_options(test, rules["group_test_required"] | {"bins"}, rules)


def _surely_valid_group_expect(expect: Any, rules: dict[str, Any]) -> bool:
    if type(expect) is not dict or len(expect) != 1:
        return False
    ((key, value),) = expect.items()
    if key not in rules["group_expect"] or not _is_number(value):
        return False
    return value >= 0 and (key != "min_ratio" or value <= 1)


def _surely_valid_options(
    test: dict[str, Any], checked: frozenset[str], rules: dict[str, Any]
) -> bool:
    """The optional keys a slice test and a group test share."""
    for key in test.keys() - checked:
        value = test[key]
        if key == "description":
            ok = _is_text(value)
        elif key in ("model",):
            ok = _is_text(value, 1)
        elif key == "min_support":
            ok = type(value) is int and value >= 0
        elif key == "confidence":
            ok = value is None or (_is_number(value) and 0 < value < 1)
        elif key == "tags":
            ok = type(value) is list and all(_is_text(tag, 1) for tag in value)
        elif key == "baseline":
            ok = _surely_valid_baseline(value, rules)
        else:
            ok = False
        if not ok:
            return False
    return True


def _surely_valid_expect(expect: Any, rules: dict[str, Any]) -> bool:
    if type(expect) is not dict or len(expect) != 1:
        return False
    ((key, value),) = expect.items()
    if key not in rules["expect"] or not _is_number(value):
        return False
    return key in ("at_least", "at_most") or value >= 0


def _surely_valid_baseline(baseline: Any, rules: dict[str, Any]) -> bool:
    if (
        type(baseline) is not dict
        or "value" not in baseline
        or not baseline.keys() <= rules["baseline"]
    ):
        return False
    value = baseline["value"]
    if not (value is None or _is_number(value)):
        return False
    if "n" in baseline and not (type(baseline["n"]) is int and baseline["n"] >= 0):
        return False
    if "model" in baseline and not _is_text(baseline["model"]):
        return False
    if "recorded" in baseline:
        recorded = baseline["recorded"]
        if not (_is_text(recorded) and _validator().format_checker.conforms(recorded, "date")):
            return False
    return True


def _surely_valid_slice(node: Any, rules: dict[str, Any], *, top: bool = True) -> bool:
    """A slice (``top``: may carry a name) or a predicate inside and / or / not.

    Each is one of and / or / not / a leaf (``oneOf``): accepted only when plainly one.
    """
    if type(node) is not dict:
        return False
    combination = [key for key in _COMBINATIONS if key in node]
    if combination:
        (key,) = combination if len(combination) == 1 else (None,)
        if key is None or "column" in node:
            return False
        rest = node.keys() - {key}
        if rest and not (top and rest == {"name"} and _is_text(node["name"], 1)):
            return False
        inner = node[key]
        if key == "not":
            return _surely_valid_slice(inner, rules, top=False)
        return (
            type(inner) is list
            and len(inner) >= 2
            and all(_surely_valid_slice(child, rules, top=False) for child in inner)
        )
    if not 2 <= len(node) <= 3 or not node.keys() <= rules["leaf"]:
        return False
    if not _is_text(node.get("column"), 1):
        return False
    for key, value in node.items():
        if key == "column":
            continue
        if key == "name":
            if top and not _is_text(value, 1):
                return False
        elif key in _COMPARISONS:
            if type(value) not in _VALUE_TYPES:
                return False
        elif key in _LISTS:
            if type(value) is not list or not all(type(v) in _VALUE_TYPES for v in value):
                return False
            if key == "between" and len(value) != 2:
                return False
        elif key in _FLAGS:
            if value is not True:
                return False
        else:  # pragma: no cover - the key sets above are the schema's
            return False
    return True
