"""Tests for the slice expression parser."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import leaf_predicates, predicates

from mlprobe.core.slicing import predicates as predicates_module
from mlprobe.core.slicing.parser import KEYWORDS, MAX_DEPTH, parse_predicate, tokenize
from mlprobe.core.slicing.predicates import (
    And,
    Compare,
    Not,
    Or,
    Predicate,
    col,
    predicate_from_dict,
)
from mlprobe.errors import MlprobeError, ParseError, ValidationError

a1, b2, c3 = col("a") == 1, col("b") == 2, col("c") == 3

VALID = [
    # comparisons, every operator spelling
    ("age >= 60", col("age") >= 60),
    ("age>=60", col("age") >= 60),
    ("age == 60", col("age") == 60),
    ("age = 60", col("age") == 60),
    ("age != 60", col("age") != 60),
    ("age <> 60", col("age") != 60),
    ("age < 60", col("age") < 60),
    ("age <= 60", col("age") <= 60),
    ("age > 60", col("age") > 60),
    ("age>-1", col("age") > -1),
    ("\n\tage\n==\t60  ", col("age") == 60),
    # strings and escapes
    ("sex == 'Female'", col("sex") == "Female"),
    ('sex == "Female"', col("sex") == "Female"),
    ("name == 'O\\'Brien'", col("name") == "O'Brien"),
    ('name == "it\'s"', col("name") == "it's"),
    ('s == "say \\"hi\\""', col("s") == 'say "hi"'),
    ("s == 'back\\\\slash'", col("s") == "back\\slash"),
    ("s == 'line\\nbreak\\ttab'", col("s") == "line\nbreak\ttab"),
    ("s == 'raw\nnewline'", col("s") == "raw\nnewline"),
    ("s == 'ünïcödé ✓'", col("s") == "ünïcödé ✓"),
    ("s == ''", col("s") == ""),
    ("s == 'and or not'", col("s") == "and or not"),
    # numbers and booleans
    ("x == 42", col("x") == 42),
    ("x == -7", col("x") == -7),
    ("x == 007", col("x") == 7),
    ("x == 2.5", col("x") == 2.5),
    ("x == -2.5", col("x") == -2.5),
    ("x == .5", col("x") == 0.5),
    ("x == -.5", col("x") == -0.5),
    ("x == 5.", col("x") == 5.0),
    ("x == 1e3", col("x") == 1000.0),
    ("x == 1E-3", col("x") == 0.001),
    ("x == 1e+16", col("x") == 1e16),
    ("x == 1e-05", col("x") == 1e-05),
    ("x == 123456789012345678901234567890", col("x") == 123456789012345678901234567890),
    ("x == true", col("x") == True),  # noqa: E712
    ("x == FALSE", col("x") == False),  # noqa: E712
    ("x == True", col("x") == True),  # noqa: E712
    # in / not in
    ("a in ['x', 'y']", col("a").isin(["x", "y"])),
    ("a in ('x', 'y')", col("a").isin(["x", "y"])),
    ("a in []", col("a").isin([])),
    ("a in ()", col("a").isin([])),
    ("a in [1, 2,]", col("a").isin([1, 2])),
    ("a in [1, 'x', true, -2.5]", col("a").isin([1, "x", True, -2.5])),
    ("a IN [1]", col("a").isin([1])),
    ("a not in [1, 2]", ~col("a").isin([1, 2])),
    ("a NOT In (1)", ~col("a").isin([1])),
    # between
    ("a between 1 and 2", col("a").between(1, 2)),
    ("a BETWEEN -1.5 AND 'z'", col("a").between(-1.5, "z")),
    ("a not between 1 and 2", ~col("a").between(1, 2)),
    ("a between 1 and 2 and b == 2", col("a").between(1, 2) & b2),
    ("b == 2 and a between 1 and 2", b2 & col("a").between(1, 2)),
    ("a between 1 and 2 or b == 2", col("a").between(1, 2) | b2),
    # null checks
    ("a is null", col("a").isnull()),
    ("a IS NULL", col("a").isnull()),
    ("a is not null", col("a").notnull()),
    ("a Is Not Null", col("a").notnull()),
    # not, and, or, parentheses
    ("not a == 1", ~a1),
    ("NOT a == 1", ~a1),
    ("not not a == 1", Not(Not(a1))),
    ("not (a == 1 and b == 2)", ~(a1 & b2)),
    ("not a is null", ~col("a").isnull()),
    ("not a == 1 and b == 2", (~a1) & b2),
    ("((a == 1))", a1),
    ("a == 1 and b == 2 and c == 3", And((a1, b2, c3))),
    ("a == 1 AND b == 2 And c == 3", And((a1, b2, c3))),
    ("a == 1 or b == 2 or c == 3", Or((a1, b2, c3))),
    ("a == 1 or b == 2 and c == 3", Or((a1, And((b2, c3))))),
    ("a == 1 and b == 2 or c == 3", Or((And((a1, b2)), c3))),
    ("(a == 1 or b == 2) and c == 3", And((Or((a1, b2)), c3))),
    ("a == 1 and (b == 2 and c == 3)", And((a1, b2, c3))),
    ("(a == 1 and b == 2) and c == 3", And((a1, b2, c3))),
    ("(a == 1 or b == 2) or c == 3", Or((a1, b2, c3))),
    ("a == 1 and (b == 2 or c == 3)", And((a1, Or((b2, c3))))),
    # column names: backticks, keywords, reserved names
    ("`hours per week` > 40", col("hours per week") > 40),
    ("`and` == 1", col("and") == 1),
    ("`NOT` is null", col("NOT").isnull()),
    ("`a``b` == 1", col("a`b") == 1),
    ("```` == 1", col("`") == 1),
    ("`@target` == 1", col("@target") == 1),
    ("`1st` == 1", col("1st") == 1),
    ("nan == 1", col("nan") == 1),
    ("None is null", col("None").isnull()),
    ("_private9 == 1", col("_private9") == 1),
    ("@target == '>50K'", col("@target") == ">50K"),
    ("@prediction == 1", col("@prediction") == 1),
    ("@prediction is null", col("@prediction").isnull()),
    ("@prediction in [0, 1]", col("@prediction").isin([0, 1])),
    ("@prediction[v2] == 1", col("@prediction[v2]") == 1),
    ("@prediction[model a (2024)] in [0, 1]", col("@prediction[model a (2024)]").isin([0, 1])),
    ("@prediction[v2]!=1 and @target==1", (col("@prediction[v2]") != 1) & (col("@target") == 1)),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_parses(text: str, expected: Predicate) -> None:
    result = parse_predicate(text)
    assert result == expected
    assert str(result) == str(expected)  # also compares types: 1 vs 1.0 vs true


def test_value_types_are_kept() -> None:
    parsed = parse_predicate("a == 1 and a == 1.0 and a == true and a == 1e3")
    assert isinstance(parsed, And)
    values = [c.value for c in parsed.children if isinstance(c, Compare)]
    assert [type(v) for v in values] == [int, float, bool, float]


# (text, words the message must contain, position)
ERRORS = [
    ("", "empty expression", 0),
    ("   ", "empty expression", 3),
    ("age >=", "expected a value after '>=' but the expression ended", 6),
    ("age >= and", "expected a value after '>=' but found the keyword 'and'", 7),
    ("age >= )", "expected a value after '>=' but found ')'", 7),
    ("sex == Female", "put strings in quotes, e.g. 'Female'", 7),
    ("a == `b`", "comparing two columns is not supported", 5),
    ("a == 'x", "unterminated string", 5),
    ('a == "x\\"', "unterminated string", 5),
    ("a == 'x\\q'", "unknown escape '\\q'", 7),
    ("`hours per week == 1", "unterminated backtick", 0),
    ("`` == 1", "empty column name", 0),
    ("age => 60", "unknown operator '=>'; did you mean '>='?", 4),
    ("age =< 60", "did you mean '<='?", 4),
    ("age === 60", "did you mean '=='?", 4),
    ("age ! 60", "did you mean '!='?", 4),
    ("age <=> 60", "unknown operator '<=>'; use one of ==", 4),
    ("and == 1", "'and' is a keyword; put column names that are keywords in backticks", 0),
    ("a == 1 and Between == 2", "'Between' is a keyword", 11),
    ("a == 1)", "unexpected ')'", 6),
    ("()", "unexpected ')'", 1),
    ("(a == 1", "expected ')' to close the '(' at position 0", 7),
    ("(a == 1]", "expected ')' to close the '(' at position 0 but found ']'", 7),
    ("a == null", "'a is null' instead of 'a == null'", 5),
    ("a != NULL", "'a is not null'", 5),
    ("a = None", "'a is null'", 4),
    ("a > null", "null is not a value", 4),
    ("a in [1, null]", "null is not a value", 9),
    ("a == nan", "NaN is not a value; use 'a is null'", 5),
    ("`my col` == NaN", "NaN is not a value; use '`my col` is null'", 12),
    ("a == inf", "use a finite number", 5),
    ("a == -inf", "'-' must be followed by a number", 5),
    ("a == 1e999", "out of range", 5),
    ("a == 1.2.3", "malformed number '1.2.3'", 5),
    ("a == 12abc", "malformed number '12abc'", 5),
    ("a == " + "9" * 5000, "too many digits", 5),
    ("a == .", "unexpected '.'", 5),
    ("a", "expected an operator after 'a'", 1),
    ("a 60", "expected an operator after 'a'", 2),
    ("`my col` 60", "expected an operator after '`my col`'", 9),
    ("a == 1 b == 2", "expected 'and', 'or' or the end of the expression but found 'b'", 7),
    ("a == 1 and", "expected a condition after 'and' but the expression ended", 10),
    ("a == 1 or or b == 2", "'or' is a keyword", 10),
    ("not", "expected a condition after 'not' but the expression ended", 3),
    ("a == 1 and 3", "expected a column name after 'and' but found '3'", 11),
    ("60 <= age", "put the column first", 0),
    ("'age' > 60", "write column names bare or in backticks, e.g. age", 0),
    ("a in 1", "expected '[' after 'in'", 5),
    ("a in [1 2]", "expected ',' or ']' in the list opened at position 5 but found '2'", 8),
    ("a in [1,", "expected a value after ','", 8),
    ("a in [,]", "expected a value after '['", 6),
    ("a in [1)", "expected ',' or ']'", 7),
    ("a in (1]", "expected ',' or ')'", 7),
    ("a between 1", "expected 'and' after the low value of 'between'", 11),
    ("a between 1 or 2", "expected 'and' after the low value of 'between' but found 'or'", 12),
    ("a between 1 and", "expected a value after 'and'", 15),
    ("a is 1", "expected 'null' after 'is'", 5),
    ("a is not 1", "expected 'null' after 'is not'", 9),
    ("a not null", "did you mean 'a is not null'?", 6),
    ("a not == 1", "expected 'in' or 'between' after 'not'", 6),
    ("a == 1 && b == 2", "write 'and' instead", 7),
    ("a == 1 || b == 2", "write 'or' instead", 7),
    ("~(a == 1)", "write 'not' instead", 0),
    ("âge == 1", "unexpected character 'â'", 0),
    ("a == $1", "unexpected character '$'", 5),
    ("@foo == 1", "unknown reserved name '@foo'", 0),
    ("@Target == 1", "Did you mean '@target'?", 0),
    ("@ == 1", "unknown reserved name '@'", 0),
    ("@targets == 1", "unknown reserved name '@targets'", 0),
    ("@prediction[v2 == 1", "unterminated '@prediction['", 0),
    ("@prediction[] == 1", "empty model name", 0),
    ("@prediction[a[b]] == 1", "cannot contain '['", 13),
    ("@prediction[v2] != @target", "comparing two columns is not supported", 19),
]


@pytest.mark.parametrize(("text", "message", "position"), ERRORS)
def test_errors(text: str, message: str, position: int) -> None:
    with pytest.raises(ParseError) as info:
        parse_predicate(text)
    assert message in str(info.value)
    assert info.value.position == position
    assert info.value.text == text


def test_error_message_points_at_the_problem() -> None:
    with pytest.raises(ParseError) as info:
        parse_predicate("age >= 60 and sex => 'x'")
    assert str(info.value) == (
        "unknown operator '=>'; did you mean '>='? at position 18:\n"
        "  age >= 60 and sex => 'x'\n"
        "                    ^"
    )


@pytest.mark.parametrize("text", [None, 5, b"a == 1", ["a == 1"], col("a") == 1])
def test_non_str_input_is_a_validation_error(text: object) -> None:
    with pytest.raises(ValidationError, match="text must be a str"):
        parse_predicate(text)  # type: ignore[arg-type]


def test_nesting_up_to_the_limit_parses() -> None:
    assert parse_predicate("(" * MAX_DEPTH + "a == 1" + ")" * MAX_DEPTH) == a1
    notted = parse_predicate("not " * MAX_DEPTH + "a == 1")
    for _ in range(MAX_DEPTH):
        assert isinstance(notted, Not)
        notted = notted.child
    assert notted == a1


@pytest.mark.parametrize(
    "text",
    [
        "(" * (MAX_DEPTH + 1) + "a == 1" + ")" * (MAX_DEPTH + 1),
        "not " * (MAX_DEPTH + 1) + "a == 1",
        "(" * 100_000,
        "not " * 100_000 + "a == 1",
        "(not " * 5_000 + "a == 1" + ")" * 5_000,
    ],
)
def test_deep_nesting_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError, match="nests more than"):
        parse_predicate(text)


def test_long_flat_chains_do_not_recurse() -> None:
    text = " and ".join(f"x{i} == {i}" for i in range(5_000))
    result = parse_predicate(text)
    assert isinstance(result, And)
    assert len(result.children) == 5_000


def test_keywords_match_the_printer() -> None:
    assert KEYWORDS == predicates_module._RESERVED_WORDS


def test_tokenize_positions() -> None:
    tokens = tokenize("`a b` in ['x', 2]")
    assert [(t.kind, t.pos) for t in tokens] == [
        ("name", 0),
        ("word", 6),
        ("[", 9),
        ("string", 10),
        (",", 13),
        ("number", 15),
        ("]", 16),
        ("end", 17),
    ]


# -- printing and re-parsing -------------------------------------------------


@pytest.mark.parametrize(
    "predicate",
    [
        Not(Not(a1)),
        Not(Not(a1 & b2)),
        ~(a1 & b2),
        ~(a1 | b2),
        ~col("a").between(1, 2),
        ~col("a").isin([1]),
        ~col("a").isnull(),
        (a1 | b2) & c3,
        a1 & (b2 | c3) & ~c3,
        col("a").between(1, 2) & col("b").between("x", "y"),
        (col("a").between(1, 2) | b2) & ~col("c").between(0.5, 1e16),
        ~(~a1 & ~b2),
        col("x") == 1e16,
        col("x") == 1e-05,
        col("x") == -0.0,
        col("x") == 5e-324,
    ],
    ids=str,
)
def test_printed_predicates_parse_back(predicate: Predicate) -> None:
    assert parse_predicate(str(predicate)) == predicate


def test_nested_same_kind_nodes_are_flattened_on_construction() -> None:
    nested = And((And((a1, b2)), c3))
    assert nested.children == (a1, b2, c3)
    assert str(nested) == "a == 1 and b == 2 and c == 3"
    assert parse_predicate(str(nested)) == nested


def _trees(leaves: st.SearchStrategy[Predicate]) -> st.SearchStrategy[Predicate]:
    """Any tree of the node types, built with the constructors (And may hold And)."""

    def extend(children: st.SearchStrategy[Predicate]) -> st.SearchStrategy[Predicate]:
        groups = st.lists(children, min_size=2, max_size=3).map(tuple)
        return st.one_of(children.map(Not), groups.map(And), groups.map(Or))

    return st.recursive(leaves, extend, max_leaves=8)


@given(predicates())
@example(col("x") == 1e16)
@example(col("x") == 1e-05)
@example(Not(Not(col("and").between("a'b", -2.5))) & ~(col("@prediction[v2]") != "\\"))
def test_round_trip_through_text(p: Predicate) -> None:
    text = str(p)
    parsed = parse_predicate(text)
    assert parsed == p
    assert str(parsed) == text


@given(predicates())
def test_round_trip_through_dict(p: Predicate) -> None:
    assert predicate_from_dict(p.to_dict()) == p
    assert predicate_from_dict(json.loads(json.dumps(p.to_dict()))) == p


@given(_trees(leaf_predicates()))
def test_any_constructor_built_tree_round_trips(p: Predicate) -> None:
    parsed = parse_predicate(str(p))
    assert parsed == p
    assert str(parsed) == str(p)


# -- fuzzing: a predicate or an MlprobeError, nothing else ---------------------


def _parse_or_fail_cleanly(text: str) -> None:
    try:
        result = parse_predicate(text)
    except MlprobeError:
        return
    assert isinstance(result, Predicate)
    assert parse_predicate(str(result)) == result


TOKENS = [
    "a",
    "b",
    "nan",
    "`x y`",
    "`",
    "``",
    "@target",
    "@prediction",
    "@prediction[v2]",
    "@",
    "[",
    "==",
    "=",
    "!=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "=>",
    "!",
    "and",
    "or",
    "not",
    "in",
    "is",
    "null",
    "between",
    "true",
    "FALSE",
    "(",
    ")",
    "]",
    ",",
    "'s'",
    '"d"',
    "'",
    '"',
    "\\",
    "'a\\'b'",
    "1",
    "-2.5",
    "1e3",
    ".5",
    "-",
    ".",
    "&",
    "\n",
]


@given(st.text())
def test_fuzz_any_text(text: str) -> None:
    _parse_or_fail_cleanly(text)


@given(st.lists(st.sampled_from(TOKENS), max_size=20))
def test_fuzz_token_soup(tokens: list[str]) -> None:
    _parse_or_fail_cleanly(" ".join(tokens))
    _parse_or_fail_cleanly("".join(tokens))


@given(predicates(max_leaves=5), st.data())
def test_fuzz_damaged_expressions(p: Predicate, data: st.DataObject) -> None:
    text = str(p)
    i = data.draw(st.integers(0, len(text)), label="position")
    j = data.draw(st.integers(i, min(len(text), i + 3)), label="end")
    insert = data.draw(st.sampled_from(["", *TOKENS]), label="insert")
    _parse_or_fail_cleanly(text[:i] + insert + text[j:])
