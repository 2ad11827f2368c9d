"""Tests for how predicates print and convert to plain data."""

from __future__ import annotations

import enum

import pytest

from mlprobe.core.slicing.predicates import (
    And,
    Compare,
    IsIn,
    Not,
    Or,
    Predicate,
    col,
    format_value,
    predicate_from_dict,
    quote_name,
)

a1, b2, c3 = col("a") == 1, col("b") == 2, col("c") == 3


class Level(enum.IntEnum):
    HIGH = 3


@pytest.mark.parametrize(
    ("predicate", "text"),
    [
        (a1 & b2 & c3, "a == 1 and b == 2 and c == 3"),
        ((a1 | b2) & c3, "(a == 1 or b == 2) and c == 3"),
        (a1 | (b2 & c3), "a == 1 or b == 2 and c == 3"),
        (~a1 & b2, "not a == 1 and b == 2"),
        (~(a1 & b2), "not (a == 1 and b == 2)"),
        (~(a1 | b2), "not (a == 1 or b == 2)"),
        (Not(Not(a1)), "not not a == 1"),
        (~col("a").between(1, 2), "not (a between 1 and 2)"),
        (col("a").between(1, 2) & b2, "a between 1 and 2 and b == 2"),
        (~col("a").isin([1, 2]), "not a in [1, 2]"),
        (col("a").isin([]), "a in []"),
        (~col("a").isnull(), "not a is null"),
        (col("a").notnull(), "a is not null"),
        (And((And((a1, b2)), c3)), "a == 1 and b == 2 and c == 3"),
        (Or((Or((a1, b2)), c3)), "a == 1 or b == 2 or c == 3"),
        (col("x") == 1e16, "x == 1e+16"),
        (col("x") == 1e-05, "x == 1e-05"),
        (col("x") == True, "x == true"),  # noqa: E712
        (col("x") == "O'Brien\\", "x == 'O\\'Brien\\\\'"),
        (col("x") == Level.HIGH, "x == 3"),
        (col("and") == 1, "`and` == 1"),
        (col("@prediction[v2]") == 1, "@prediction[v2] == 1"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_printing(predicate: Predicate, text: str) -> None:
    assert str(predicate) == text


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("age", "age"),
        ("AND", "`AND`"),
        ("hours per week", "`hours per week`"),
        ("a`b", "`a``b`"),
        ("1st", "`1st`"),
        ("@target", "@target"),
        ("@prediction", "@prediction"),
        ("@prediction[model a]", "@prediction[model a]"),
        ("@prediction[a`b]", "`@prediction[a``b]`"),
        ("@prediction[]", "`@prediction[]`"),
        ("@other", "`@other`"),
    ],
)
def test_quote_name(name: str, text: str) -> None:
    assert quote_name(name) == text


def test_format_value_prints_enum_members_as_plain_numbers() -> None:
    assert format_value(Level.HIGH) == "3"
    assert format_value(float("-0.0")) == "-0.0"


@pytest.mark.parametrize(
    "predicate",
    [a1 & ~(b2 | col("d").isin(["x", 2.5, True])), col("d").between(-1, "z"), IsIn("d", ())],
)
def test_to_dict_round_trip(predicate: Predicate) -> None:
    assert predicate_from_dict(predicate.to_dict()) == predicate


def test_compare_keeps_the_value() -> None:
    assert Compare("a", "ge", 2.5).to_dict() == {"column": "a", "ge": 2.5}
