"""A saved slice test: a slice, a metric, and what the metric must satisfy there.

Declaration only: running a test is :mod:`mlprobe.spec.runner`'s job.

Examples
--------
>>> import mlprobe as mp
>>> t = SliceTest(id="older-women-recall", slice=mp.Slice.parse("age >= 60 and sex == 'Female'"),
...               metric="recall[>50K]", at_least=0.8)
>>> t.expectation, t.threshold_value
('at_least', 0.8)
>>> SliceTest.from_dict(t.to_dict()) == t
True
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mlprobe.core.arguments import MIN_SUPPORT
from mlprobe.core.metrics.cell_ratios import ERROR_TYPES
from mlprobe.core.slicing.slices import Slice
from mlprobe.errors import ValidationError

__all__ = [
    "EXPECTATIONS",
    "NEEDS_DIRECTION",
    "Baseline",
    "SliceTest",
    "check_shared_fields",
    "float_or_nan",
    "measured_fields",
]

#: The kinds of expectation, in the order they are documented.
EXPECTATIONS = ("at_least", "at_most", "max_gap_to_overall", "max_drop_from_baseline")
#: the expectations measured from a reference (overall, baseline) on the metric's worse side:
#: a metric with no better direction (a selection rate) cannot have them
NEEDS_DIRECTION = ("max_gap_to_overall", "max_drop_from_baseline")
#: the built-in metric families with no better direction (selection rate, prevalence)
UNDIRECTED = frozenset(name for name, (_, _, higher) in ERROR_TYPES.items() if higher is None)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)


def float_or_nan(value: object) -> float:
    """``float(value)``, or NaN where it has none (None, text, a missing record field).

    >>> float_or_nan("0.5"), float_or_nan(None)
    (0.5, nan)
    """
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _number(value: object, where: str, *, minimum: float | None = None) -> float:
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        with contextlib.suppress(OverflowError):  # an int too large for a float stays NaN
            number = float(value)
    if not math.isfinite(number):  # NaN or infinite: no file format round-trips both
        raise ValidationError(f"{where}: expected a finite number; received {value!r}.")
    if minimum is not None and number < minimum:
        raise ValidationError(f"{where}: expected a number >= {minimum}; received {value!r}.")
    return number


def _iso_date(value: object) -> bool:
    if not isinstance(value, str) or not _DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Baseline:
    """A metric value recorded for a test, to detect later drops."""

    value: float | None
    n: int | None = None
    model: str | None = None
    recorded: str | None = None  # ISO date

    def __post_init__(self) -> None:
        # what a suite file cannot hold is refused here, not when the file is read back
        if self.value is not None:
            object.__setattr__(self, "value", _number(self.value, "Baseline: 'value'"))
        if self.n is not None and (
            isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 0
        ):
            raise ValidationError(
                f"Baseline: 'n' must be None or a whole number >= 0; received {self.n!r}."
            )
        if self.model is not None and not isinstance(self.model, str):
            raise ValidationError(
                f"Baseline: 'model' must be None or a str; received {self.model!r}."
            )
        if isinstance(self.recorded, dt.date):
            object.__setattr__(self, "recorded", self.recorded.isoformat())
        if self.recorded is not None and not _iso_date(self.recorded):
            raise ValidationError(
                "Baseline: 'recorded' must be None or an ISO date such as '2026-11-28'; "
                f"received {self.recorded!r}."
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain data, without unset fields."""
        out: dict[str, Any] = {"value": self.value}
        for key in ("n", "model", "recorded"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Baseline:
        """Inverse of :meth:`to_dict`."""
        return cls(data.get("value"), data.get("n"), data.get("model"), data.get("recorded"))


def measured_fields(test: Any) -> dict[str, Any]:
    """What every kind of test writes after what it measures on: the metric, the
    expectation, then the options that differ from their defaults (file order)."""
    out: dict[str, Any] = {
        "metric": test.metric,
        "expect": {test.expectation: test.threshold_value},
    }
    if test.min_support != MIN_SUPPORT:
        out["min_support"] = test.min_support
    if test.confidence is not None:
        out["confidence"] = test.confidence
    if test.model is not None:
        out["model"] = test.model
    if test.tags:
        out["tags"] = list(test.tags)
    if test.baseline is not None:
        out["baseline"] = test.baseline.to_dict()
    return out


def check_shared_fields(test: Any, where: str) -> None:
    """Check (and normalize) the fields every kind of test has: ``confidence``, ``tags``,
    ``model``, ``description``, ``baseline``. ``where`` names the test in messages."""
    confidence = test.confidence
    if confidence is not None and not (
        isinstance(confidence, int | float) and not isinstance(confidence, bool)
        and 0 < confidence < 1
    ):  # fmt: skip
        raise ValidationError(
            f"{where}: 'confidence' must be None or between 0 and 1 (e.g. 0.95); "
            f"received {confidence!r}."
        )
    if isinstance(test.tags, str) or not isinstance(test.tags, Iterable):
        raise ValidationError(f"{where}: 'tags' must be a list of str; received {test.tags!r}.")
    object.__setattr__(test, "tags", tuple(test.tags))
    if not all(isinstance(tag, str) and tag for tag in test.tags):
        raise ValidationError(
            f"{where}: 'tags' must be non-empty strs; received {list(test.tags)!r}."
        )
    if test.model is not None and (not isinstance(test.model, str) or not test.model):
        raise ValidationError(
            f"{where}: 'model' must be None or a model name; received {test.model!r}."
        )
    if not isinstance(test.description, str):
        raise ValidationError(
            f"{where}: 'description' must be a str; received {test.description!r}."
        )
    if test.baseline is not None and not isinstance(test.baseline, Baseline):
        raise ValidationError(
            f"{where}: 'baseline' must be None or a Baseline; received {test.baseline!r}."
        )


@dataclass(frozen=True)
class SliceTest:
    """A test that a metric on a slice meets an expectation.

    Give exactly one of ``at_least``, ``at_most``, ``max_gap_to_overall``
    (the slice may trail the overall value by at most this much) and
    ``max_drop_from_baseline`` (it may trail its recorded baseline by at most
    this much).

    Parameters
    ----------
    min_support : int
        Below this many rows in the slice the test is inconclusive.
    confidence : float, optional
        When set, the test passes or fails only when the whole interval at this
        level clears the threshold; otherwise it is inconclusive.
    model : str, optional
        Which model of a probe the test applies to.
    """

    id: str
    slice: Slice
    metric: str
    at_least: float | None = None
    at_most: float | None = None
    max_gap_to_overall: float | None = None
    max_drop_from_baseline: float | None = None
    min_support: int = MIN_SUPPORT
    confidence: float | None = None
    description: str = ""
    baseline: Baseline | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    model: str | None = None

    def __post_init__(self) -> None:
        where = f"SliceTest {self.id!r}"
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise ValidationError(
                f"SliceTest: 'id' must be letters, digits, '_', '.' or '-', starting with a "
                f"letter or digit (e.g. 'older-women-recall'); received {self.id!r}."
            )
        if isinstance(self.slice, str):
            object.__setattr__(self, "slice", Slice.parse(self.slice))
        if not isinstance(self.slice, Slice):
            raise ValidationError(
                f"{where}: 'slice' must be a Slice or an expression string; received "
                f"{type(self.slice).__name__}."
            )
        if not isinstance(self.metric, str) or not self.metric:
            raise ValidationError(f"{where}: 'metric' must be a metric name such as 'accuracy'.")
        given = [k for k in EXPECTATIONS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValidationError(
                f"{where}: give exactly one of {', '.join(EXPECTATIONS)}; received "
                f"{given or 'none'}."
            )
        if given[0] in NEEDS_DIRECTION and self.metric.split("[", 1)[0] in UNDIRECTED:
            raise ValidationError(
                f"{where}: {self.metric} has no better direction, so no change of it is a drop "
                f"or on a worse side and {given[0]} cannot judge it; give at_least or at_most."
            )
        minimum = 0.0 if given[0].startswith("max_") else None
        object.__setattr__(
            self,
            given[0],
            _number(getattr(self, given[0]), f"{where}: {given[0]}", minimum=minimum),
        )
        if (
            isinstance(self.min_support, bool)
            or not isinstance(self.min_support, int)
            or (self.min_support < 0)
        ):
            raise ValidationError(
                f"{where}: 'min_support' must be a whole number >= 0; received {self.min_support!r}."
            )
        check_shared_fields(self, where)

    @property
    def expectation(self) -> str:
        """Which expectation the test states, e.g. ``"at_least"``."""
        return next(k for k in EXPECTATIONS if getattr(self, k) is not None)

    @property
    def threshold_value(self) -> float:
        """The number given with the expectation."""
        value: float = getattr(self, self.expectation)
        return value

    def with_baseline(self, baseline: Baseline | None) -> SliceTest:
        """A copy with ``baseline`` recorded."""
        return replace(self, baseline=baseline)

    def to_dict(self) -> dict[str, Any]:
        """The test as it is written in a suite file (keys in a fixed order)."""
        out: dict[str, Any] = {"id": self.id}
        if self.description:
            out["description"] = self.description
        out["slice"] = self.slice.to_dict()
        return {**out, **measured_fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "test") -> SliceTest:
        """Build a test from :meth:`to_dict` output (already checked against the schema)."""
        expect = dict(data["expect"])
        baseline = data.get("baseline")
        try:
            return cls(
                id=data["id"],
                slice=Slice.from_dict(data["slice"], path=f"{path}.slice"),
                metric=data["metric"],
                **expect,
                min_support=data.get("min_support", 30),
                confidence=data.get("confidence"),
                description=data.get("description", ""),
                baseline=Baseline.from_dict(baseline) if baseline is not None else None,
                tags=tuple(data.get("tags", ())),
                model=data.get("model"),
            )
        except ValidationError as error:
            message = str(error)  # errors in the slice already name their path
            raise ValidationError(
                message if message.startswith(path) else f"{path}: {message}"
            ) from None
