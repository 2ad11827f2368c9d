"""Parse the slice expression language into predicates.

The language is what ``str(predicate)`` prints, so ``parse_predicate(str(p)) == p``
for every predicate built with :func:`~mlprobe.core.slicing.predicates.col` and ``& | ~``::

    expr      := or_expr
    or_expr   := and_expr ("or" and_expr)*
    and_expr  := not_expr ("and" not_expr)*
    not_expr  := "not" not_expr | atom
    atom      := "(" expr ")" | condition
    condition := name op literal
               | name ["not"] "in" ("[" | "(") [literal ("," literal)* [","]] ("]" | ")")
               | name ["not"] "between" literal "and" literal
               | name "is" ["not"] "null"
    op        := "==" | "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    name      := identifier | `backticks, with `` for a backtick`
               | @target | @prediction | @prediction[<model>]
    literal   := 'string' | "string" | integer | float | true | false

Keywords (``and or not in is null between true false``) are case-insensitive;
a column whose name is a keyword goes in backticks. Strings take the escapes
``\\\\ \\' \\" \\n \\t``. ``a and (b and c)`` gives one flat ``And`` of three
conditions, as ``&`` does.

The parser is a hand-written tokenizer and recursive-descent parser: it never
evaluates code. Every malformed input raises :class:`~mlprobe.errors.ParseError`
with the position of the offending character.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal, TypeAlias

from mlprobe.core.slicing.predicates import (
    PREDICTION,
    TARGET,
    And,
    Between,
    Compare,
    IsIn,
    IsNull,
    Not,
    NotNull,
    Or,
    Predicate,
    Scalar,
    quote_name,
)
from mlprobe.errors import ParseError, ValidationError, did_you_mean

__all__ = ["KEYWORDS", "MAX_DEPTH", "Token", "parse_predicate", "tokenize"]

#: Words with a meaning in the language; as column names they need backticks.
KEYWORDS = frozenset({"and", "or", "not", "in", "is", "null", "between", "true", "false"})
#: Deepest nesting of parentheses and ``not`` the parser accepts.
MAX_DEPTH = 100

TokenKind: TypeAlias = Literal[
    "word", "name", "string", "number", "op", "(", ")", "[", "]", ",", "end"
]

_OPERATORS: dict[str, str] = {
    "==": "eq",
    "=": "eq",
    "!=": "ne",
    "<>": "ne",
    "<": "lt",
    "<=": "le",
    ">": "gt",
    ">=": "ge",
}
_PUNCTUATION: dict[str, TokenKind] = {"(": "(", ")": ")", "[": "[", "]": "]", ",": ","}
_OPERATOR_FIXES = {"=>": ">=", "=<": "<=", "===": "==", "!": "!=", "!==": "!=", "=!": "!="}
_LOGIC_FIXES = {"&": "and", "|": "or", "~": "not"}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NUMBER_TAIL = re.compile(r"[A-Za-z0-9_.]*")
_OPERATOR_RUN = re.compile(r"[=!<>]+")


@dataclass(frozen=True, slots=True)
class Token:
    """One lexeme: its kind, its source text, its offset and its value.

    ``value`` is the column name for ``name`` tokens, the decoded text for
    ``string`` tokens, the int or float for ``number`` tokens and the operator
    key (``"eq"``, ``"ge"``...) for ``op`` tokens; otherwise the source text.
    """

    kind: TokenKind
    text: str
    pos: int
    value: Scalar = ""

    @property
    def end(self) -> int:
        return self.pos + len(self.text)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``end`` token.

    Examples
    --------
    >>> [(t.kind, t.value) for t in tokenize("`hours per week` >= 40.5")]
    [('name', 'hours per week'), ('op', 'ge'), ('number', 40.5), ('end', '')]
    """
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _PUNCTUATION:
            token = Token(_PUNCTUATION[ch], ch, i, ch)
        elif ch in "'\"":
            token = _read_string(text, i)
        elif ch == "`":
            token = _read_backticks(text, i)
        elif ch == "@":
            token = _read_reserved(text, i)
        elif ch in "=!<>":
            token = _read_operator(text, i)
        elif ch in "-." or "0" <= ch <= "9":
            token = _read_number(text, i)
        elif _WORD.match(ch):
            word = _WORD.match(text, i)
            assert word is not None
            token = Token("word", word.group(), i, word.group())
        elif ch in _LOGIC_FIXES:
            raise ParseError(f"unexpected {ch!r}; write {_LOGIC_FIXES[ch]!r} instead", text, i)
        else:
            raise ParseError(
                f"unexpected character {ch!r}; put column names that contain it in backticks, "
                "e.g. `my column`, and values in quotes",
                text,
                i,
            )
        tokens.append(token)
        i = token.end
    tokens.append(Token("end", "", len(text)))
    return tokens


def _read_string(text: str, start: int) -> Token:
    quote = text[start]
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == quote:
            return Token("string", text[start : i + 1], start, "".join(chars))
        if ch == "\\" and i + 1 < len(text):
            escaped = text[i + 1]
            if escaped not in _ESCAPES:
                raise ParseError(
                    f"unknown escape '\\{escaped}' in string; write a backslash as '\\\\'",
                    text,
                    i,
                )
            chars.append(_ESCAPES[escaped])
            i += 2
            continue
        chars.append(ch)
        i += 1
    raise ParseError(f"unterminated string (no closing {quote})", text, start)


def _read_backticks(text: str, start: int) -> Token:
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        if text[i] == "`":
            if text.startswith("``", i):
                chars.append("`")
                i += 2
                continue
            if not chars:
                raise ParseError("empty column name ``", text, start)
            return Token("name", text[start : i + 1], start, "".join(chars))
        chars.append(text[i])
        i += 1
    raise ParseError("unterminated backtick name (no closing `)", text, start)


def _read_reserved(text: str, start: int) -> Token:
    word = _WORD.match(text, start + 1)
    name = "@" + (word.group() if word else "")
    end = start + len(name)
    if name == TARGET or (name == PREDICTION and not text.startswith("[", end)):
        return Token("name", name, start, name)
    if name == PREDICTION:
        close = re.compile(r"[\[\]`]").search(text, end + 1)
        if close is None:
            raise ParseError("unterminated '@prediction[' (no closing ])", text, start)
        if text[close.start()] != "]":
            raise ParseError(
                f"a model name in '@prediction[...]' cannot contain {text[close.start()]!r}; "
                "put the whole name in backticks",
                text,
                close.start(),
            )
        if close.start() == end + 1:
            raise ParseError("empty model name in '@prediction[]'", text, start)
        source = text[start : close.start() + 1]
        return Token("name", source, start, source)
    raise ParseError(
        f"unknown reserved name {name!r}.{did_you_mean(name, (TARGET, PREDICTION))} "
        "Reserved names are @target, @prediction and @prediction[<model>]; put other "
        f"column names that start with '@' in backticks, e.g. `{name}`",
        text,
        start,
    )


def _read_operator(text: str, start: int) -> Token:
    run = _OPERATOR_RUN.match(text, start)
    assert run is not None
    symbol = run.group()
    if symbol in _OPERATORS:
        return Token("op", symbol, start, _OPERATORS[symbol])
    if symbol in _OPERATOR_FIXES:
        hint = f"did you mean {_OPERATOR_FIXES[symbol]!r}?"
    else:
        hint = "use one of ==, !=, <, <=, >, >="
    raise ParseError(f"unknown operator {symbol!r}; {hint}", text, start)


def _read_number(text: str, start: int) -> Token:
    match = _NUMBER.match(text, start)
    if match is None:
        if text[start] == "-":
            raise ParseError("a '-' must be followed by a number, as in -2.5", text, start)
        raise ParseError("unexpected '.'; write decimals as 0.5 or .5", text, start)
    source = match.group()
    tail = _NUMBER_TAIL.match(text, match.end())
    if tail is not None and tail.group():
        raise ParseError(f"malformed number {source + tail.group()!r}", text, start)
    value: int | float
    try:
        value = float(source) if any(c in source for c in ".eE") else int(source)
    except ValueError:  # more digits than int() converts
        raise ParseError(f"number {source[:20]}... has too many digits", text, start) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ParseError(f"number {source[:20]!r} is out of range", text, start)
    return Token("number", source, start, value)


def _found(token: Token) -> str:
    if token.kind == "end":
        return "the expression ended"
    shown = token.text if len(token.text) <= 40 else token.text[:37] + "..."
    if token.kind == "string":
        return f"found the string {shown}"
    return f"found {shown!r}"


def _flatten(children: list[Predicate], kind: type[And] | type[Or]) -> tuple[Predicate, ...]:
    # a parenthesized "and" inside an "and" (or "or" in "or") joins its parent, as & does
    return tuple(
        c for child in children for c in (child.children if isinstance(child, kind) else (child,))
    )


class _Parser:
    """Recursive descent over the tokens of one expression."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    # -- helpers -------------------------------------------------------------

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        if token.kind != "end":
            self.index += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.current
        return token.kind == "word" and token.text.lower() in words

    def error(self, message: str, token: Token | None = None) -> ParseError:
        return ParseError(message, self.text, (token or self.current).pos)

    def after(self) -> str:
        return f" after {self.tokens[self.index - 1].text!r}" if self.index else ""

    def nest(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(
                f"expression nests more than {MAX_DEPTH} levels of parentheses and 'not'", token
            )

    # -- grammar -------------------------------------------------------------

    def parse(self) -> Predicate:
        if self.current.kind == "end":
            raise self.error("empty expression; write a condition such as age >= 60")
        result = self.or_expr()
        token = self.current
        if token.kind == ")":
            raise self.error("unexpected ')' with no matching '('")
        if token.kind != "end":
            raise self.error(
                f"expected 'and', 'or' or the end of the expression but {_found(token)}"
            )
        return result

    def or_expr(self) -> Predicate:
        children = [self.and_expr()]
        while self.at_keyword("or"):
            self.advance()
            children.append(self.and_expr())
        return Or(_flatten(children, Or)) if len(children) > 1 else children[0]

    def and_expr(self) -> Predicate:
        children = [self.not_expr()]
        while self.at_keyword("and"):
            self.advance()
            children.append(self.not_expr())
        return And(_flatten(children, And)) if len(children) > 1 else children[0]

    def not_expr(self) -> Predicate:
        if not self.at_keyword("not"):
            return self.atom()
        self.nest(self.advance())
        result = Not(self.not_expr())
        self.depth -= 1
        return result

    def atom(self) -> Predicate:
        if self.current.kind != "(":
            return self.condition()
        opening = self.advance()
        self.nest(opening)
        result = self.or_expr()
        if self.current.kind != ")":
            raise self.error(
                f"expected ')' to close the '(' at position {opening.pos} "
                f"but {_found(self.current)}"
            )
        self.advance()
        self.depth -= 1
        return result

    def condition(self) -> Predicate:
        column = self.column_name()
        shown = quote_name(column)
        if self.current.kind == "op":
            operator = self.advance()
            value = self.literal(column, operator)
            return Compare(column, operator.value, value)  # type: ignore[arg-type]
        if self.at_keyword("is"):
            return self.is_null(column)
        negate = self.at_keyword("not")
        if negate:
            self.advance()
            if not self.at_keyword("in", "between"):
                hint = f"; did you mean '{shown} is not null'?" if self.at_keyword("null") else ""
                raise self.error(
                    f"expected 'in' or 'between' after 'not' but {_found(self.current)}{hint}"
                )
        if self.at_keyword("in"):
            result = self.in_list(column)
        elif self.at_keyword("between"):
            result = self.between(column)
        else:
            raise self.error(
                f"expected an operator after {shown!r} (==, !=, <, <=, >, >=, in, between "
                f"or is null) but {_found(self.current)}"
            )
        return Not(result) if negate else result

    def column_name(self) -> str:
        token = self.current
        if token.kind == "name":
            self.advance()
            return str(token.value)
        if token.kind == "word":
            if token.text.lower() in KEYWORDS:
                raise self.error(
                    f"{token.text!r} is a keyword; put column names that are keywords in "
                    f"backticks, e.g. `{token.text}`"
                )
            self.advance()
            return token.text
        if token.kind == "string":
            example = quote_name(str(token.value)) if token.value else "`my column`"
            raise self.error(
                f"expected a column name{self.after()} but {_found(token)}; write column "
                f"names bare or in backticks, e.g. {example}"
            )
        if token.kind == "number":
            raise self.error(
                f"expected a column name{self.after()} but {_found(token)}; "
                "put the column first, e.g. age >= 60"
            )
        if token.kind == ")":
            raise self.error(f"unexpected ')'; expected a condition{self.after()}")
        raise self.error(f"expected a condition{self.after()} but {_found(token)}")

    def literal(self, column: str, after: Token) -> Scalar:
        token = self.current
        if token.kind in ("string", "number"):
            self.advance()
            return token.value
        expected = f"expected a value after {after.text!r}"
        shown = quote_name(column)
        if token.kind == "word":
            word = token.text.lower()
            if word in ("true", "false"):
                self.advance()
                return word == "true"
            if word in ("null", "none"):
                fix = f"'{shown} is null'"
                if after.kind == "op" and after.value in ("eq", "ne"):
                    negated = " not" if after.value == "ne" else ""
                    fix = f"'{shown} is{negated} null' instead of '{shown} {after.text} null'"
                raise self.error(f"{token.text} is not a value; select missing values with {fix}")
            if word == "nan":
                raise self.error(f"NaN is not a value; use '{shown} is null'")
            if word in ("inf", "infinity"):
                raise self.error(f"{token.text} is not a value; use a finite number")
            if word in KEYWORDS:
                raise self.error(f"{expected} but found the keyword {token.text!r}")
            raise self.error(
                f"{expected} but {_found(token)}; put strings in quotes, e.g. '{token.text}'"
            )
        if token.kind == "name":
            raise self.error(
                f"{expected} but found the column {token.text}; comparing two columns "
                "is not supported"
            )
        raise self.error(f"{expected} but {_found(token)}")

    def in_list(self, column: str) -> Predicate:
        keyword = self.advance()
        opening = self.current
        if opening.kind not in ("[", "("):
            raise self.error(
                f"expected '[' after {keyword.text!r} but {_found(opening)}; write a list "
                f"such as {quote_name(column)} in ['a', 'b']"
            )
        self.advance()
        closing = "]" if opening.kind == "[" else ")"
        values: list[Scalar] = []
        while self.current.kind != closing:
            values.append(self.literal(column, self.tokens[self.index - 1]))
            if self.current.kind == ",":
                self.advance()
            elif self.current.kind != closing:
                raise self.error(
                    f"expected ',' or '{closing}' in the list opened at position "
                    f"{opening.pos} but {_found(self.current)}"
                )
        self.advance()
        return IsIn(column, tuple(values))

    def between(self, column: str) -> Predicate:
        keyword = self.advance()
        low = self.literal(column, keyword)
        if not self.at_keyword("and"):
            raise self.error(
                f"expected 'and' after the low value of 'between' but {_found(self.current)}; "
                f"write {quote_name(column)} between 1 and 5"
            )
        high = self.literal(column, self.advance())
        return Between(column, low, high)

    def is_null(self, column: str) -> Predicate:
        self.advance()
        negate = self.at_keyword("not")
        if negate:
            self.advance()
        if not self.at_keyword("null"):
            shown = quote_name(column)
            raise self.error(
                f"expected 'null' after {'is not' if negate else 'is'!r} but "
                f"{_found(self.current)}; write {shown} is null or {shown} is not null"
            )
        self.advance()
        return NotNull(column) if negate else IsNull(column)


def parse_predicate(text: str) -> Predicate:
    """Parse a slice expression into a predicate.

    Parameters
    ----------
    text : str
        An expression such as ``"age >= 60 and sex == 'Female'"``; see the
        module docstring for the grammar. ``str(predicate)`` prints this
        language, and ``parse_predicate(str(p)) == p`` for predicates built
        with ``& | ~`` (an ``And`` nested directly in an ``And``, or an ``Or``
        in an ``Or``, comes back merged into its parent).

    Returns
    -------
    Predicate
        The predicate tree; ``and`` / ``or`` chains are flat.

    Raises
    ------
    ParseError
        If ``text`` is not a valid expression; the message points at the
        offending character.
    ValidationError
        If ``text`` is not a str.

    Examples
    --------
    >>> str(parse_predicate("age >= 60 and sex == 'Female'"))
    "age >= 60 and sex == 'Female'"
    >>> parse_predicate("race NOT IN ['Black', 'Other'] or `hours per week` between 40 and 60")
    Or(children=(Not(child=IsIn(column='race', values=('Black', 'Other'))),
                 Between(column='hours per week', low=40, high=60)))
    >>> parse_predicate("@prediction[v2] != @target")
    Traceback (most recent call last):
    ...
    mlprobe.errors.ParseError: expected a value after '!=' but found the column @target;
    comparing two columns is not supported at position 19:
      @prediction[v2] != @target
                         ^
    >>> parse_predicate("age => 60")
    Traceback (most recent call last):
    ...
    mlprobe.errors.ParseError: unknown operator '=>'; did you mean '>='? at position 4:
      age => 60
          ^
    """
    if not isinstance(text, str):
        raise ValidationError(
            f'parse_predicate: text must be a str such as "age >= 60"; received {text!r} '
            f"({type(text).__name__})."
        )
    try:
        return _Parser(text).parse()
    except RecursionError:  # a deep caller stack; MAX_DEPTH normally stops this first
        raise ParseError("expression nests too deeply", text, 0) from None
