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
from functools import cache
from importlib.resources import files
from typing import Any

from mlprobe.core.slices import Slice
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


def _message(error: Any, document: Any) -> str:
    path = list(error.absolute_path)
    where = field_path(path) or "the file"
    slice_message = _slice_error(document, path)
    if slice_message is not None:
        return slice_message
    if error.validator == "additionalProperties":
        valid = list(error.schema.get("properties", {}))
        unexpected = [k for k in error.instance if k not in valid]
        key = str(unexpected[0]) if unexpected else "?"
        hint = did_you_mean(key, valid).replace(" Did you mean", "; did you mean") or "."
        return f"{field_path([*path, key])}: unknown key{hint} Valid keys here: {', '.join(valid)}."
    if error.validator == "required":
        return f"{where}: {error.message}."
    if error.validator in ("minProperties", "maxProperties") and path[-1:] == ["expect"]:
        keys = ", ".join(error.schema["properties"])
        return f"{where}: give exactly one expectation, one of {keys}; received {error.instance!r}."
    return f"{where}: {error.message}."


def validate_document(document: Any) -> None:
    """Check a loaded suite document against the version 1 schema; raise on the first problem."""
    _version_check(document)
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
