"""What a plain YAML scalar means: the YAML 1.2 core schema, and what other readers make of it.

Suite files are read with the YAML 1.2 core schema (see :mod:`mlprobe.spec.files`
for the rules and the one deliberate difference, ``1e3`` staying text). Writing
must also satisfy readers that follow other rules, so :func:`misread_as` tells
whether a string written bare would be read as something else by mlprobe, a
YAML 1.2 reader, or a YAML 1.1 reader (PyYAML's ``yaml.safe_load``): such
strings are written quoted. The YAML 1.1 spec also makes booleans of ``y`` and
``n`` (:data:`YAML_11_SPEC_BOOLEANS`), which PyYAML does not; the writer quotes
them as values but not as keys, where ``n`` is a key of the format.

Examples
--------
>>> [scalar_value(text) for text in ("true", "no", "017", "0o17", "0x1F", "1:20", "1e3", "~")]
[True, 'no', 17, 15, 31, '1:20', '1e3', None]
>>> [misread_as(text) for text in ("no", "1:20", "1e3", "017", "2026-11-28", "Female")]
['bool', 'int', 'float', 'int', 'timestamp', None]
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import yaml

__all__ = [
    "BOOL",
    "FLOAT",
    "INT",
    "MLPROBE_TABLE",
    "NULL",
    "STR",
    "TIMESTAMP",
    "YAML_11_SPEC_BOOLEANS",
    "ScalarError",
    "construct",
    "misread_as",
    "misread_tag",
    "resolver_table",
    "scalar_value",
]

_PREFIX = "tag:yaml.org,2002:"
STR = _PREFIX + "str"
BOOL = _PREFIX + "bool"
INT = _PREFIX + "int"
FLOAT = _PREFIX + "float"
NULL = _PREFIX + "null"
TIMESTAMP = _PREFIX + "timestamp"

_DIGITS = "0123456789"

# YAML 1.2.2, section 10.3.2 (core schema), verbatim
_NULL_12 = r"~|null|Null|NULL|"
_BOOL_12 = r"true|True|TRUE|false|False|FALSE"
_INT_12 = r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
_SPECIAL_FLOAT_12 = r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
_FLOAT_12 = r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|" + _SPECIAL_FLOAT_12
# mlprobe reads floats with a decimal point only: '1e3' stays text, as PyYAML reads it
_FLOAT_MLPROBE = r"[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?|" + _SPECIAL_FLOAT_12
#: Booleans of the YAML 1.1 spec that PyYAML reads as text but other YAML 1.1 readers do not.
YAML_11_SPEC_BOOLEANS = frozenset({"y", "Y", "n", "N"})

Rule = tuple[str, str, Iterable[str]]  # tag, pattern, the first characters it can start with

_MLPROBE_RULES: list[Rule] = [
    (BOOL, _BOOL_12, "tTfF"),
    (NULL, _NULL_12, ["~", "n", "N", ""]),
    (INT, _INT_12, "-+" + _DIGITS),
    (FLOAT, _FLOAT_MLPROBE, "-+." + _DIGITS),
]
_CORE_12_RULES: list[Rule] = [*_MLPROBE_RULES[:3], (FLOAT, _FLOAT_12, "-+." + _DIGITS)]

Table = dict[Any, list[tuple[str, re.Pattern[str]]]]


def resolver_table(rules: list[Rule]) -> Table:
    """A PyYAML ``yaml_implicit_resolvers`` table: first character -> [(tag, regexp)]."""
    table: Table = {}
    for tag, pattern, firsts in rules:
        regexp = re.compile(rf"(?:{pattern})\Z")  # whole value: '$' would allow a final newline
        for first in firsts:
            table.setdefault(first, []).append((tag, regexp))
    return table


#: How mlprobe resolves plain scalars (the loader's and the dumper's table).
MLPROBE_TABLE = resolver_table(_MLPROBE_RULES)
#: Readers a saved file must also satisfy: YAML 1.2 core, and PyYAML's YAML 1.1.
_OTHER_TABLES = [resolver_table(_CORE_12_RULES), yaml.SafeLoader.yaml_implicit_resolvers]


def _resolve(table: Table, value: str) -> str:
    for tag, regexp in [*table.get(value[:1], []), *table.get(None, [])]:
        if regexp.match(value):
            return tag
    return STR


def misread_as(value: str) -> str | None:
    """The short name of the type some reader gives ``value`` written bare; None if all read text.

    Examples
    --------
    >>> misread_as("on"), misread_as("Null"), misread_as("0o17"), misread_as("1_000")
    ('bool', 'null', 'int', 'int')
    >>> misread_as("older women") is None
    True
    """
    tag = misread_tag(value)
    return None if tag is None else tag.removeprefix(_PREFIX)


def misread_tag(value: str) -> str | None:
    """The full tag some reader gives ``value`` written bare, or None when every reader reads text."""
    for table in (MLPROBE_TABLE, *_OTHER_TABLES):
        tag = _resolve(table, value)
        if tag != STR:
            return tag
    return None


class ScalarError(ValueError):
    """A scalar with an explicit tag does not fit that tag under YAML 1.2."""


_WHOLE = re.compile(r"[-+]?[0-9]+\Z")
_OCTAL = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT_TEXT = re.compile(rf"(?:{_FLOAT_12})\Z")
_NULL_TEXT = re.compile(rf"(?:{_NULL_12})\Z")


def construct(tag: str, text: str) -> Any:
    """The value of scalar ``text`` tagged ``tag`` (bool, int, float, null) under YAML 1.2.

    Raises :class:`ScalarError` naming what the tag accepts when ``text`` does not fit.
    An explicit ``!!float 1e3`` is YAML 1.2's 1000.0: the tag leaves no doubt.
    """
    if tag == BOOL:
        if text in ("true", "True", "TRUE"):
            return True
        if text in ("false", "False", "FALSE"):
            return False
        raise ScalarError("a YAML 1.2 boolean is true or false")
    if tag == INT:
        if _WHOLE.match(text):
            return int(text, 10)  # '017' is 17: YAML 1.2 has no leading-zero octal
        if _OCTAL.match(text):
            return int(text[2:], 8)
        if _HEX.match(text):
            return int(text[2:], 16)
        raise ScalarError("a YAML 1.2 integer is decimal (17), octal (0o21) or hexadecimal (0x11)")
    if tag == FLOAT:
        if not _FLOAT_TEXT.match(text):
            raise ScalarError("a YAML 1.2 float looks like 0.8, -1.5e3, .inf or .nan")
        lowered = text.lower()
        if lowered.endswith(".nan"):
            return math.nan
        if lowered.endswith(".inf"):
            return -math.inf if text.startswith("-") else math.inf
        return float(text)
    if tag == NULL:
        if _NULL_TEXT.match(text):
            return None
        raise ScalarError("a YAML 1.2 null is null, ~ or nothing")
    raise ScalarError(f"no YAML 1.2 scalar rule for {tag}")


def scalar_value(text: str) -> Any:
    """What mlprobe reads from the plain (unquoted) scalar ``text``."""
    tag = _resolve(MLPROBE_TABLE, text)
    return text if tag == STR else construct(tag, text)
