"""A saved group test: a metric compared across the groups of a column, and the largest gap allowed.

Where a :class:`~mlprobe.spec.slice_test.SliceTest` checks one slice, a group
test checks a disparity: ``by: race``, ``metric: fpr``, and either
``max_difference`` (the largest group value minus the smallest may be at most
this much) or ``min_ratio`` (the smallest over the largest must be at least
this much). Groups with fewer than ``min_support`` rows are not compared. The
numbers come from :meth:`mlprobe.Probe.disparity`.

Declaration only: running a test is :mod:`mlprobe.spec.runner`'s job.

Examples
--------
>>> t = GroupTest(id="race-fpr", by="race", metric="fpr", max_difference=0.1)
>>> t.expectation, t.threshold_value, t.groups_text
('max_difference', 0.1, 'by race')
>>> t.to_dict()
{'id': 'race-fpr', 'by': 'race', 'metric': 'fpr', 'expect': {'max_difference': 0.1}}
>>> GroupTest.from_dict(t.to_dict()) == t
True
>>> GroupTest(id="age-sel", by=["age", "sex"], bins=[30, 50], metric="selection_rate",
...           min_ratio=0.8).groups_text
'by age, sex'
>>> GroupTest(id="r", by="race", metric="fpr", min_ratio=1.2)
Traceback (most recent call last):
...
mlprobe.errors.ValidationError: GroupTest 'r': min_ratio: expected a number between 0 and 1 (the smallest group's value over the largest's; e.g. 0.8 for the four-fifths rule); received 1.2.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mlprobe.core.arguments import MIN_SUPPORT
from mlprobe.core.slicing.groups import check_bins
from mlprobe.errors import ValidationError
from mlprobe.spec.slice_test import (
    _ID,
    Baseline,
    SliceTest,
    _number,
    check_shared_fields,
    measured_fields,
)

__all__ = ["GROUP_EXPECTATIONS", "AnyTest", "GroupTest"]

#: The kinds of expectation of a group test, in the order they are documented.
GROUP_EXPECTATIONS = ("max_difference", "min_ratio")


@dataclass(frozen=True)
class GroupTest:
    """A test that a metric differs little between the groups of one or more columns.

    Give exactly one of ``max_difference`` (largest group value minus smallest, at
    most this much) and ``min_ratio`` (smallest over largest, at least this much,
    between 0 and 1).

    Parameters
    ----------
    by : str or list of str
        The column(s) whose groups are compared (numeric columns binned, as in
        :meth:`mlprobe.Probe.breakdown`).
    metric : str
        A metric name (``"fpr"``, ``"selection_rate"``, ``"recall[>50K]"``...) or a
        summary: ``"demographic_parity"``, ``"equalized_odds"``.
    bins : int or list of float, optional
        How numeric ``by`` columns are binned: a number of quantile bins, or cut points.
    min_support : int
        Groups with fewer rows are left out of the comparison (and named in the
        outcome); with fewer than two groups left, the test is inconclusive.
    confidence : float, optional
        When set, the test passes or fails only when the whole interval of the
        difference (or ratio) at this level clears the threshold; otherwise it is
        inconclusive.
    baseline : Baseline, optional
        The difference (or ratio) recorded earlier; ``n`` is the number of groups
        compared then.
    model : str, optional
        Which model of a probe the test applies to.
    """

    id: str
    by: str | tuple[str, ...]
    metric: str
    max_difference: float | None = None
    min_ratio: float | None = None
    bins: int | tuple[float, ...] | None = None
    min_support: int = MIN_SUPPORT
    confidence: float | None = None
    description: str = ""
    baseline: Baseline | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    model: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID.match(self.id) or len(self.id) > 200:
            raise ValidationError(
                "GroupTest: 'id' must be letters, digits, '_', '.' or '-', starting with a "
                f"letter or digit, at most 200 characters (e.g. 'race-fpr'); received {self.id!r}."
            )
        where = f"GroupTest {self.id!r}"
        self._check_by(where)
        if not isinstance(self.metric, str) or not self.metric:
            raise ValidationError(
                f"{where}: 'metric' must be a metric name such as 'fpr' or "
                f"'demographic_parity'; received {self.metric!r}."
            )
        given = [k for k in GROUP_EXPECTATIONS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValidationError(
                f"{where}: give exactly one of {', '.join(GROUP_EXPECTATIONS)} (e.g. "
                f"max_difference=0.1); received {given or 'none'}."
            )
        amount = _number(getattr(self, given[0]), f"{where}: {given[0]}")
        if given[0] == "max_difference" and amount < 0:
            raise ValidationError(
                f"{where}: max_difference: expected a number >= 0 (the largest difference "
                f"allowed between groups, e.g. 0.1); received {amount!r}."
            )
        if given[0] == "min_ratio" and not 0 <= amount <= 1:
            raise ValidationError(
                f"{where}: min_ratio: expected a number between 0 and 1 (the smallest group's "
                "value over the largest's; e.g. 0.8 for the four-fifths rule); received "
                f"{getattr(self, given[0])!r}."
            )
        object.__setattr__(self, given[0], amount)
        self._check_bins(where)
        if (
            isinstance(self.min_support, bool)
            or not isinstance(self.min_support, int)
            or self.min_support < 0
        ):
            raise ValidationError(
                f"{where}: 'min_support' must be a whole number of rows >= 0 (per group); "
                f"received {self.min_support!r}."
            )
        check_shared_fields(self, where)

    def _check_by(self, where: str) -> None:
        by = self.by
        if isinstance(by, str):
            if not by:
                raise ValidationError(
                    f"{where}: 'by' must name a column, e.g. by='race'; received ''."
                )
            return
        if not isinstance(by, Iterable) or isinstance(by, bytes | Mapping):
            raise ValidationError(
                f"{where}: 'by' must be a column name or a list of column names, e.g. "
                f"'race' or ['race', 'sex']; received {by!r}."
            )
        columns = tuple(by)
        if not columns or not all(isinstance(c, str) and c for c in columns):
            raise ValidationError(
                f"{where}: 'by' must list one or more column names (non-empty text), e.g. "
                f"['race', 'sex']; received {list(columns)!r}."
            )
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise ValidationError(
                f"{where}: 'by' names the column {repeated[0]!r} more than once; list each "
                "column once."
            )
        object.__setattr__(self, "by", columns)

    def _check_bins(self, where: str) -> None:
        bins = self.bins
        if bins is None:
            return
        if isinstance(bins, str | bytes | Mapping):
            raise ValidationError(
                f"{where}: 'bins' must be a number of bins (e.g. 4) or a list of cut points "
                f"(e.g. [30, 50]); received {bins!r}."
            )
        if not isinstance(bins, int) and isinstance(bins, Iterable):
            bins = tuple(bins)
            if not bins:
                raise ValidationError(
                    f"{where}: 'bins' must list at least one cut point (e.g. [30, 50]), or "
                    "be a number of bins; received []."
                )
            if not all(
                isinstance(b, int | float) and not isinstance(b, bool) and math.isfinite(b)
                for b in bins
            ):
                raise ValidationError(
                    f"{where}: 'bins': cut points must be finite numbers; received {list(bins)!r}."
                )
        try:
            check_bins(list(bins) if isinstance(bins, tuple) else bins, self.groups_text[3:])
        except ValidationError as error:
            raise ValidationError(f"{where}: {error}") from None
        object.__setattr__(self, "bins", bins)

    @property
    def columns(self) -> tuple[str, ...]:
        """The ``by`` columns, as a tuple."""
        return (self.by,) if isinstance(self.by, str) else self.by

    @property
    def groups_text(self) -> str:
        """What is compared, as shown where a slice test shows its slice: ``"by race"``."""
        return "by " + ", ".join(self.columns)

    @property
    def expectation(self) -> str:
        """Which expectation the test states: ``"max_difference"`` or ``"min_ratio"``."""
        return next(k for k in GROUP_EXPECTATIONS if getattr(self, k) is not None)

    @property
    def threshold_value(self) -> float:
        """The number given with the expectation."""
        value: float = getattr(self, self.expectation)
        return value

    @property
    def statistic(self) -> str:
        """What the threshold bounds: ``"difference"`` or ``"ratio"``."""
        return "difference" if self.expectation == "max_difference" else "ratio"

    def with_baseline(self, baseline: Baseline | None) -> GroupTest:
        """A copy with ``baseline`` recorded."""
        return replace(self, baseline=baseline)

    def to_dict(self) -> dict[str, Any]:
        """The test as it is written in a suite file (keys in a fixed order)."""
        out: dict[str, Any] = {"id": self.id}
        if self.description:
            out["description"] = self.description
        out["by"] = self.by if isinstance(self.by, str) else list(self.by)
        if self.bins is not None:
            out["bins"] = self.bins if isinstance(self.bins, int) else list(self.bins)
        return {**out, **measured_fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "test") -> GroupTest:
        """Build a test from :meth:`to_dict` output (already checked against the schema)."""
        expect = dict(data["expect"])
        baseline = data.get("baseline")
        by = data["by"]
        bins = data.get("bins")
        try:
            return cls(
                id=data["id"],
                by=by if isinstance(by, str) else tuple(by),
                metric=data["metric"],
                **expect,
                bins=bins if bins is None or isinstance(bins, int) else tuple(bins),
                min_support=data.get("min_support", MIN_SUPPORT),
                confidence=data.get("confidence"),
                description=data.get("description", ""),
                baseline=Baseline.from_dict(baseline) if baseline is not None else None,
                tags=tuple(data.get("tags", ())),
                model=data.get("model"),
            )
        except ValidationError as error:
            raise ValidationError(f"{path}: {error}") from None
        except TypeError as error:  # an unknown expectation key, had the schema been skipped
            raise ValidationError(
                f"{path}: expect: give one of {', '.join(GROUP_EXPECTATIONS)}; received "
                f"{sorted(expect)!r} ({error})."
            ) from None


#: Either kind of test a suite holds.
AnyTest = SliceTest | GroupTest
