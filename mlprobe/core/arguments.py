"""The public methods' shared arguments: their defaults and their rules, declared once.

Every facade (the in-memory :class:`mlprobe.Probe`, the engine probes, the
report, the explorer) takes ``confidence``, ``min_support`` and friends with the
same defaults and checks them by the same rule, at its public boundary: the
method is decorated with :func:`checked`, which reads the rule of each named
argument from :data:`RULES`. The layers below trust their inputs.

Examples
--------
>>> check_argument("confidence", 0.9)
0.9
>>> check_argument("min_support", 2.5)
Traceback (most recent call last):
...
mlprobe.errors.ValidationError: min_support: expected a whole number of rows >= 0 (e.g. 30); received 2.5.
>>> @checked("top_k")
... def first(items, *, top_k=10):
...     return items[:top_k]
>>> first("abc", top_k=2)
'ab'
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from mlprobe.errors import ValidationError

__all__ = [
    "CONFIDENCE",
    "MIN_SUPPORT",
    "RULES",
    "Choice",
    "Number",
    "check_argument",
    "checked",
]

#: the default confidence level of every interval
CONFIDENCE = 0.95
#: the default number of rows below which a slice is shown but not tested
MIN_SUPPORT = 30

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Number:
    """A rule for a numeric argument: whole or real, within bounds.

    ``low`` and ``high`` are included unless ``low_open`` / ``high_open``;
    ``what`` and ``example`` make the message (``"a whole number of rows >= 0"``,
    ``"30"``). Booleans are never numbers here (``True`` is not 1 row).
    """

    whole: bool
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    what: str = ""
    example: str = ""
    #: None is allowed (it means "no limit"), whatever the argument's default
    optional: bool = False

    def check(self, name: str, value: object) -> int | float | None:
        """``value`` as an int or float if it follows the rule; else a ValidationError."""
        if value is None and self.optional:
            return None
        kind = numbers.Integral if self.whole else numbers.Real
        ok = isinstance(value, kind) and not isinstance(value, bool | np.bool_)
        if ok:
            number = float(value)  # type: ignore[arg-type]
            ok = not np.isnan(number)
            if ok and self.low is not None:
                ok = number > self.low if self.low_open else number >= self.low
            if ok and self.high is not None:
                ok = number < self.high if self.high_open else number <= self.high
        if not ok:
            raise ValidationError(
                f"{name}: expected {self.what} (e.g. {self.example}); received {value!r}."
            )
        return int(value) if self.whole else float(value)  # type: ignore[call-overload,arg-type]


@dataclass(frozen=True)
class Choice:
    """A rule for an argument that names one of a few options."""

    options: tuple[str, ...]
    what: str = ""

    def check(self, name: str, value: object) -> str:
        """``value`` if it is one of the options; else a ValidationError naming them."""
        if not isinstance(value, str) or value not in self.options:
            raise ValidationError(
                f"{name}: expected {self.what} (one of {list(self.options)}); received {value!r}."
            )
        return value


#: the rule of each shared argument, by name
RULES: dict[str, Number | Choice] = {
    "confidence": Number(
        whole=False,
        low=0,
        high=1,
        low_open=True,
        high_open=True,
        what="a confidence level between 0 and 1",
        example=str(CONFIDENCE),
    ),
    "min_support": Number(
        whole=True, low=0, what="a whole number of rows >= 0", example=str(MIN_SUPPORT)
    ),
    "top_k": Number(whole=True, low=1, what="a whole number >= 1", example="10"),
    "max_conditions": Number(whole=True, low=1, what="a whole number >= 1", example="3"),
    "alpha": Number(
        whole=False,
        low=0,
        high=1,
        low_open=True,
        what="SliceLine's weight of error against size, in (0, 1]",
        example="0.95",
    ),
    "max_share": Number(
        whole=False,
        low=0,
        high=1,
        low_open=True,
        what="a share of the rows in (0, 1], or None for any size",
        example="0.5",
        optional=True,
    ),
    "rank_by": Choice(("impact", "gap", "sliceline"), what="what find_slices ranks slices by"),
}


def check_argument(name: str, value: object) -> Any:
    """``value`` checked by the rule of the argument ``name`` (:data:`RULES`)."""
    return RULES[name].check(name, value)


def checked(*names: str) -> Callable[[F], F]:
    """Decorate a public method: check the named arguments by :data:`RULES` on every call.

    An argument whose default is ``None`` may be ``None`` (the method then
    chooses); anything else must follow its rule. The method receives the
    checked values (``numpy.int64(30)`` arrives as ``30``).
    """
    unknown = sorted(set(names) - set(RULES))
    if unknown:
        raise KeyError(f"no rule for {unknown}; add it to mlprobe.core.arguments.RULES")

    def decorate(method: F) -> F:
        signature = inspect.signature(method)
        missing = [n for n in names if n not in signature.parameters]
        if missing:
            raise TypeError(f"{method.__qualname__} has no argument {missing}")
        optional = {n for n in names if signature.parameters[n].default is None}

        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            for name in names:
                if name in bound.arguments:
                    value = bound.arguments[name]
                    if value is None and name in optional:
                        continue
                    bound.arguments[name] = check_argument(name, value)
            return method(*bound.args, **bound.kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
