"""The one exception hierarchy of mlprobe, and helpers that word its messages.

Every error a user can cause derives from :class:`MlprobeError`, so
``except mlprobe.MlprobeError`` catches them all. Messages name the argument,
column or field, what was received, and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ColumnNotFoundError",
    "DataError",
    "MlprobeError",
    "ParseError",
    "UnknownValueWarning",
    "ValidationError",
    "did_you_mean",
    "find_stack_level",
    "missing_column_error",
]


class MlprobeError(Exception):
    """Base class of every error mlprobe raises on bad input."""


class ValidationError(MlprobeError, ValueError):
    """An argument has the wrong type or value."""


class DataError(MlprobeError, ValueError):
    """The data cannot be used as given (lengths, missing labels, empty table...)."""


class ColumnNotFoundError(MlprobeError, KeyError):
    """A named column is not in the table."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class UnknownValueWarning(UserWarning):
    """A slice names a value that never occurs in its column: it selects nothing there."""


def find_stack_level() -> int:
    """The stack level of the first frame outside mlprobe, so warnings point at user code."""
    import inspect
    import os

    package = os.path.dirname(os.path.abspath(__file__))
    frame = inspect.currentframe()
    level = 0
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame = frame.f_back
        level += 1
    return level


class ParseError(MlprobeError, ValueError):
    """A slice expression could not be parsed.

    Attributes
    ----------
    text : str
        The expression as given.
    position : int
        Offset of the offending character in ``text``.
    """

    def __init__(self, message: str, text: str, position: int) -> None:
        self.text = text
        self.position = position
        pointer = " " * position + "^"
        super().__init__(f"{message} at position {position}:\n  {text}\n  {pointer}")


def did_you_mean(received: str, choices: Iterable[object], *, limit: int = 3) -> str:
    """Return a hint naming the closest valid choices, or ``""`` when none is close.

    Examples
    --------
    >>> did_you_mean("agee", ["age", "sex", "race"])
    " Did you mean 'age'?"
    >>> did_you_mean("zzz", ["age"])
    ''
    """
    names = [str(c) for c in choices]
    close = difflib.get_close_matches(str(received), names, n=limit, cutoff=0.6)
    if not close:
        lowered = {n.lower(): n for n in names}
        if str(received).lower() in lowered:
            close = [lowered[str(received).lower()]]
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"


def missing_column_error(
    name: object, available: Iterable[object], *, role: str
) -> ColumnNotFoundError:
    """Build the error for a column that is not in the data.

    Examples
    --------
    >>> print(missing_column_error("sexx", ["age", "sex"], role="slice column"))
    slice column 'sexx' is not in the data. Did you mean 'sex'? Available columns: 'age', 'sex'.
    """
    available = list(available)
    shown = ", ".join(repr(str(c)) for c in available[:20])
    if len(available) > 20:
        shown += f", ... ({len(available)} in all)"
    return ColumnNotFoundError(
        f"{role} {str(name)!r} is not in the data.{did_you_mean(str(name), available)}"
        f" Available columns: {shown}."
    )
