"""A named subset of rows: :class:`Slice` = a name + a predicate.

Examples
--------
>>> from mlprobe.core.slicing.predicates import col
>>> s = Slice("older women", (col("age") >= 60) & (col("sex") == "Female"))
>>> str(s)
"age >= 60 and sex == 'Female'"
>>> s.to_dict()
{'name': 'older women', 'and': [{'column': 'age', 'ge': 60}, {'column': 'sex', 'eq': 'Female'}]}
>>> Slice.from_dict(s.to_dict()) == s
True
>>> Slice.parse("race in ['Black', 'Other']").name
"race in ['Black', 'Other']"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlprobe.core.slicing._encoding import EncodedTable
from mlprobe.core.slicing._masks import evaluate
from mlprobe.core.slicing.predicates import Predicate, predicate_from_dict
from mlprobe.errors import ValidationError

__all__ = ["Slice", "as_slice", "check_unique_names"]


@dataclass(frozen=True)
class Slice:
    """A named predicate over the rows of an evaluation table.

    Parameters
    ----------
    name : str or None
        A human name; ``None`` uses the predicate's text.
    predicate : Predicate
        Built with :func:`mlprobe.col` or parsed with :meth:`Slice.parse`.
    """

    name: str
    predicate: Predicate

    def __init__(self, name: str | None, predicate: Predicate) -> None:
        if not isinstance(predicate, Predicate):
            raise ValidationError(
                f"Slice: 'predicate' must be built with col(...), e.g. col('age') >= 60; "
                f"received {predicate!r} ({type(predicate).__name__}). For text use Slice.parse()."
            )
        if name is None:
            name = str(predicate)
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(
                f"Slice: 'name' must be a non-empty str or None; received {name!r}."
            )
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "predicate", predicate)

    def __copy__(self) -> Slice:
        return self  # immutable

    def __deepcopy__(self, memo: dict[int, Any]) -> Slice:
        return self

    @classmethod
    def parse(cls, text: str, name: str | None = None) -> Slice:
        """Parse the expression language (see :mod:`mlprobe.core.slicing.parser`); never evaluates code.

        Examples
        --------
        >>> str(Slice.parse("not (a > 1 or `b c` == 'x')"))
        "not (a > 1 or `b c` == 'x')"
        """
        from mlprobe.core.slicing.parser import parse_predicate

        return cls(name, parse_predicate(text))

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"name": ..., **predicate}`` as plain JSON-ready data."""
        return {"name": self.name, **self.predicate.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "slice") -> Slice:
        """Build a slice from :meth:`to_dict` output; ``name`` is optional."""
        if not isinstance(data, Mapping):
            raise ValidationError(
                f"{path}: expected a mapping such as {{'column': 'age', 'ge': 60}}; "
                f"received {data!r} ({type(data).__name__})."
            )
        body = {k: v for k, v in data.items() if k != "name"}
        name = data.get("name")
        if name is not None and not isinstance(name, str):
            raise ValidationError(f"{path}.name: expected a str; received {name!r}.")
        return cls(name, predicate_from_dict(body, path=path))

    def columns(self) -> frozenset[str]:
        """Names of the columns the slice reads."""
        return self.predicate.columns()

    def mask(self, data: pd.DataFrame | EncodedTable) -> np.ndarray:
        """Return the bool mask of the rows of ``data`` in the slice.

        Examples
        --------
        >>> import pandas as pd
        >>> Slice.parse("x > 1").mask(pd.DataFrame({"x": [0, 2, None]})).tolist()
        [False, True, False]
        """
        table = data if isinstance(data, EncodedTable) else EncodedTable(_as_frame(data))
        return evaluate(self.predicate, table)

    def __str__(self) -> str:
        return str(self.predicate)

    def __repr__(self) -> str:
        if self.name == str(self.predicate):
            return f"Slice.parse({str(self)!r})"
        return f"Slice.parse({str(self)!r}, name={self.name!r})"

    def __and__(self, other: Slice) -> Slice:
        return Slice(None, self.predicate & _predicate_of(other))

    def __or__(self, other: Slice) -> Slice:
        return Slice(None, self.predicate | _predicate_of(other))

    def __invert__(self) -> Slice:
        return Slice(None, ~self.predicate)


def as_slice(value: object) -> Slice:
    """A Slice from a Slice, a predicate (named by its text) or an expression string.

    Examples
    --------
    >>> from mlprobe.core.slicing.predicates import col
    >>> as_slice(col("age") >= 60).name, as_slice("sex == 'F'").name
    ('age >= 60', "sex == 'F'")
    """
    if isinstance(value, Slice):
        return value
    if isinstance(value, Predicate):
        return Slice(None, value)
    if isinstance(value, str):
        return Slice.parse(value)
    raise ValidationError(
        f"slice: expected a Slice, a predicate built with col(...), or an expression string; "
        f"received {value!r} ({type(value).__name__})."
    )


def check_unique_names(slices: Sequence[Slice]) -> None:
    """Refuse two slices of one call with the same name (their rows would be confused).

    A slice may be named ``overall``: tables mark their all-rows rows with the
    ``is_overall`` column, not by name.

    Examples
    --------
    >>> check_unique_names([Slice.parse("x > 1"), Slice.parse("x > 2")])
    >>> check_unique_names([Slice.parse("x > 1"), Slice.parse("x > 1")])
    Traceback (most recent call last):
    ...
    mlprobe.errors.ValidationError: slices: two slices are named 'x > 1'; give each slice of a call its own name.
    """
    seen: set[str] = set()
    for s in slices:
        if s.name in seen:
            raise ValidationError(
                f"slices: two slices are named {s.name!r}; give each slice of a call its own name."
            )
        seen.add(s.name)


def _predicate_of(other: object) -> Predicate:
    if isinstance(other, Slice):
        return other.predicate
    if isinstance(other, Predicate):
        return other
    raise ValidationError(f"expected a Slice or a predicate; received {other!r}.")


def _as_frame(data: object) -> pd.DataFrame:
    from mlprobe.core.intake._frames import to_pandas

    return to_pandas(data, argument="data")
