"""From findings to tests: slices (a find_slices or breakdown table, or a list) become slice tests.

:meth:`mlprobe.Suite.from_slices` is the public entry point; this module holds its parts:
readable, stable test ids (:func:`slice_id`, :func:`unique_ids`), the default allowance
(:func:`default_allowance`), the reading of the tables, and :func:`merge_tests`, which adds
tests to a suite without clobbering the tests already there.

Examples
--------
>>> import mlprobe as mp
>>> slice_id(mp.Slice.parse("age < 26 and sex == 'Female'"))
'age-lt-26-and-sex-eq-female'
>>> slice_id(mp.Slice.parse("age >= 60", name="Older people"))
'older-people'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import pandas as pd

from mlprobe.core.arguments import CONFIDENCE, MIN_SUPPORT
from mlprobe.core.evaluator import Evaluator
from mlprobe.core.metrics import resolve_metric
from mlprobe.core.number_format import format_level, format_number, format_plain, format_q_phrase
from mlprobe.core.slicing.predicates import (
    And,
    Between,
    Compare,
    IsIn,
    IsNull,
    Not,
    NotNull,
    Or,
    Predicate,
)
from mlprobe.core.slicing.slices import Slice
from mlprobe.errors import MlprobeError, ValidationError, did_you_mean
from mlprobe.spec.group_test import GroupTest
from mlprobe.spec.slice_test import EXPECTATIONS, NEEDS_DIRECTION, Baseline, SliceTest, float_or_nan

__all__ = [
    "FOUND_METRICS",
    "MAX_ID_LENGTH",
    "MergedTests",
    "build_tests",
    "default_allowance",
    "merge_tests",
    "slice_hash",
    "slice_id",
    "unique_ids",
]

#: find_slices' per-row loss -> the suite metric that is its mean on a slice
FOUND_METRICS = {
    "error_rate": "error_rate",
    "log_loss": "log_loss",
    "brier": "brier",
    "absolute_error": "mae",
    "squared_error": "mse",
}
#: ids longer than this are cut (at a word) and end in a hash of the slice
MAX_ID_LENGTH = 80
#: the smallest allowed drop by default: one point on a rate (0.01), 1% of larger values
ALLOWANCE_FLOOR = 0.01
_HASH_LENGTH = 6
_OPS = {"eq": "eq", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt", "ge": "ge"}
_WHERE = "Suite.from_slices"
#: words an id gets from the operators alone
_SYNTAX = {*_OPS, "in", "between", "and", "or", "not", "is", "null"}


# --- ids -------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    """Lowercase ASCII words of ``text`` (accents dropped; '.' kept inside numbers)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", ascii_text.lower())


def _part(text: str) -> list[str]:
    """The words of a column name or a value; ``[""]`` (a mark of lost text) when none."""
    return _words(text) or [""]


def _value_words(value: object) -> list[str]:
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, int | float) and value < 0:
        return ["minus", *_value_words(-value)]
    if isinstance(value, float):  # 1e-05 reads 1e-05; 1e+30 reads 1e30, not 1e-30
        return _words(float.__repr__(value).replace("e+", "e"))
    if isinstance(value, int):
        return [int.__repr__(value)]
    return _part(str(value))


def _predicate_words(predicate: Predicate) -> list[str]:
    if isinstance(predicate, Compare):
        return [*_part(predicate.column), _OPS[predicate.op], *_value_words(predicate.value)]
    if isinstance(predicate, IsIn):
        return [
            *_part(predicate.column),
            "in",
            *(w for v in predicate.values for w in _value_words(v)),
        ]
    if isinstance(predicate, Between):
        return [
            *_part(predicate.column),
            "between",
            *_value_words(predicate.low),
            "and",
            *_value_words(predicate.high),
        ]
    if isinstance(predicate, IsNull):
        return [*_part(predicate.column), "is", "null"]
    if isinstance(predicate, NotNull):
        return [*_part(predicate.column), "not", "null"]
    if isinstance(predicate, And | Or):
        joiner = "and" if isinstance(predicate, And) else "or"
        words: list[str] = []
        for i, child in enumerate(predicate.children):
            words += ([joiner] if i else []) + _predicate_words(child)
        return words
    if isinstance(predicate, Not):
        return ["not", *_predicate_words(predicate.child)]
    return _words(str(predicate))  # a node type added later: its text still reads


def slice_hash(chosen: Slice) -> str:
    """A short hash of the slice's conditions (not its name), the same on every machine.

    Examples
    --------
    >>> import mlprobe as mp
    >>> slice_hash(mp.Slice.parse("age < 26")) == slice_hash(mp.Slice.parse("age < 26", name="x"))
    True
    """
    text = json.dumps(chosen.predicate.to_dict(), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_LENGTH]


def slice_id(chosen: Slice) -> str:
    """A readable test id for a slice: its name, or its conditions, as lowercase words.

    Operators become words (``<`` ``lt``, ``>=`` ``ge``, ``==`` ``eq``...), values
    are kept (accents dropped), other characters dropped. The id depends on the slice
    alone, so the same slice gets the same id on every run and machine. An id longer
    than :data:`MAX_ID_LENGTH` is cut at a word and ends in a hash of the conditions, as
    does one where a column or value had no ASCII letter or digit to keep; a slice with
    nothing readable left is ``slice-<hash>``.

    Examples
    --------
    >>> import mlprobe as mp
    >>> slice_id(mp.Slice.parse("education_num >= 13 and capital_gain == 0"))
    'education-num-ge-13-and-capital-gain-eq-0'
    >>> slice_id(mp.Slice.parse("x between -1.5 and 2 or `y z` in ['A b', 'c']"))
    'x-between-minus-1.5-and-2-or-y-z-in-a-b-c'
    >>> slice_id(mp.Slice.parse(" and ".join(f"column_{i} > {i}" for i in range(9))))
    'column-0-gt-0-and-column-1-gt-1-and-column-2-gt-2-and-column-3-gt-3-235082'
    """
    custom = chosen.name != str(chosen.predicate)
    words = _words(chosen.name) if custom else _predicate_words(chosen.predicate)
    lost = "" in words  # a column or value without an ASCII letter or digit
    words = [word for word in words if word]
    if not set(words) - _SYNTAX:
        return f"slice-{slice_hash(chosen)}"
    text = "-".join(words)
    if lost and len(text) <= MAX_ID_LENGTH - _HASH_LENGTH - 1:
        return f"{text}-{slice_hash(chosen)}"  # what was dropped, the hash tells apart
    if len(text) <= MAX_ID_LENGTH:
        return text
    room = MAX_ID_LENGTH - _HASH_LENGTH - 1
    cut = text[: room + 1]
    cut = cut[: cut.rfind("-")] if "-" in cut else cut[:room]
    cut = re.sub(r"(-(and|or|not))+\Z", "", cut[:room].rstrip("-."))  # no dangling 'and'
    return f"{cut}-{slice_hash(chosen)}"


def unique_ids(slices: Sequence[Slice]) -> list[str]:
    """:func:`slice_id` of each slice, made unique: every slice of a clash gets its hash.

    Two different slices can read the same once lowercased and stripped of punctuation
    (``sex == 'Female'`` and ``sex == 'female'``). Then *all* of them end in a hash of
    their conditions, so an id does not depend on the order the slices came in. (Slices
    with the same conditions, which :meth:`mlprobe.Suite.from_slices` makes one test,
    would end in ``-2``, ``-3``... in order.)

    Examples
    --------
    >>> import mlprobe as mp
    >>> unique_ids([mp.Slice.parse("g == 'A'"), mp.Slice.parse("g == 'a'"), mp.Slice.parse("h > 1")])
    ['g-eq-a-...', 'g-eq-a-...', 'h-gt-1']
    """
    ids = [slice_id(s) for s in slices]
    counts: dict[str, int] = {}
    for test_id in ids:
        counts[test_id] = counts.get(test_id, 0) + 1
    out = []
    for chosen, test_id in zip(slices, ids, strict=True):
        if counts[test_id] > 1:
            stem = test_id[: MAX_ID_LENGTH - _HASH_LENGTH - 1].rstrip("-.")
            test_id = f"{stem}-{slice_hash(chosen)}"
        out.append(test_id)
    taken: set[str] = set()
    for i, test_id in enumerate(out):  # equal conditions, or a hash clash: -2, -3... by order
        unique, number = test_id, 1
        while unique in taken:
            number += 1
            unique = f"{test_id}-{number}"
        taken.add(unique)
        out[i] = unique
    return out


# --- the allowance ---------------------------------------------------------------------------


def _round_up(value: float) -> float:
    """``value`` rounded up to two significant digits (a number a reviewer reads at a glance)."""
    if value <= 0:
        return 0.0
    step = 10.0 ** (math.floor(math.log10(value)) - 1)
    return float(f"{math.ceil(value / step - 1e-9) * step:.12g}")


def default_allowance(
    value: float, ci_low: float, ci_high: float, *, higher_is_better: bool
) -> float:
    """How far a slice may fall behind its baseline by default.

    The larger of the interval's margin on the worse side (``value - ci_low`` when
    higher is better, ``ci_high - value`` otherwise) and a floor of one point
    (0.01), or 1% of the value when it is larger than 1 (losses such as MAE are in
    the target's units). Rounded up to two significant digits.

    Examples
    --------
    >>> default_allowance(0.80, 0.74, 0.85, higher_is_better=True)
    0.06
    >>> default_allowance(0.30, 0.298, 0.302, higher_is_better=False)
    0.01
    >>> default_allowance(12.0, 11.0, 13.4, higher_is_better=False)
    1.4
    """
    margin = (value - ci_low) if higher_is_better else (ci_high - value)
    floor = ALLOWANCE_FLOOR * max(1.0, abs(value))
    if not math.isfinite(margin):
        margin = 0.0
    return _round_up(max(margin, floor))


def _round_out(value: float, *, up: bool) -> float:
    """Six decimals, rounded away from failing: the same model on the same rows passes."""
    scaled = value * 1e6
    return (math.ceil(scaled) if up else math.floor(scaled)) / 1e6


# --- reading the input -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    """One slice of the input, with what the table said about it (when it was a table)."""

    slice: Slice
    source: str = ""  # "find_slices", "a breakdown", "a table", "" (a list)
    metric: str = ""  # the table's metric for this row (find_slices: the per-row loss)
    value: float = math.nan
    rest: float = math.nan
    q_value: float = math.nan
    model: str | None = None


def _as_slice(value: object, where: str, named: Mapping[str, Slice]) -> Slice:
    if isinstance(value, Slice):
        return value
    if isinstance(value, Predicate):
        return Slice(None, value)
    if isinstance(value, str):
        if value in named and isinstance(named[value], Slice):
            return named[value]
        try:
            return Slice.parse(value)
        except MlprobeError as error:
            hint = (
                " A table's custom slice names are read back from its attrs['slices'], which "
                "this table lacks; pass the Slice objects instead (e.g. the list you gave "
                "probe.breakdown)."
                if where.startswith("slices row")
                else ' Write it as in probe.breakdown(slices=[...]), e.g. "age < 26".'
            )
            raise ValidationError(
                f"{_WHERE}: {where}: {value!r} is not a slice expression.{hint} {error}"
            ) from None
    raise ValidationError(
        f"{_WHERE}: {where}: expected a Slice, a predicate or slice text such as "
        f"\"age < 26 and sex == 'Female'\"; received {value!r} ({type(value).__name__})."
    )


def _first_metric(frame: pd.DataFrame) -> str | None:
    metrics = frame.attrs.get("metrics")
    if isinstance(metrics, Sequence) and metrics and isinstance(metrics[0], str):
        return metrics[0]
    for column in frame.columns:  # a table whose attrs were lost: 'm', 'm_ci_low', 'm_ci_high'
        if isinstance(column, str) and f"{column}_ci_low" in frame.columns:
            return column
    return None


def _read_frame(frame: pd.DataFrame) -> list[_Found]:
    if "slice" not in frame.columns:
        raise ValidationError(
            f"{_WHERE}: slices: a DataFrame needs a 'slice' column, as probe.find_slices() and "
            f"probe.breakdown() return; received the columns {list(map(str, frame.columns))}. "
            "Pass one of those tables, or a list of slices."
        )
    named = frame.attrs.get("slices")
    named = named if isinstance(named, Mapping) else {}
    is_found = {"metric", "value", "gap", "q_value"} <= set(frame.columns)
    first = None if is_found else _first_metric(frame)
    source = "find_slices" if is_found else ("a breakdown" if first is not None else "a table")
    overall = frame["is_overall"] if "is_overall" in frame.columns else None
    found = []
    for position, record in enumerate(frame.to_dict("records")):
        if overall is not None and bool(overall.iloc[position]):
            continue  # all rows: not a slice to test
        where = f"slices row {position} (index {frame.index[position]!r})"
        if overall is None and not is_found and record["slice"] == "overall":
            continue
        chosen = _as_slice(record["slice"], where, named)
        metric = str(record["metric"]) if is_found else (first or "")
        value = float_or_nan(record.get("value" if is_found else metric, math.nan))
        model = record.get("model", frame.attrs.get("model"))  # find_slices: in its attrs
        found.append(
            _Found(
                chosen,
                source,
                metric,
                value,
                value - float_or_nan(record.get("gap", math.nan)),
                float_or_nan(record.get("q_value", math.nan)),
                model if isinstance(model, str) else None,
            )
        )
    return found


def _read(slices: object) -> list[_Found]:
    """The input's slices, with what a table said about each."""
    if isinstance(slices, pd.DataFrame):
        return _read_frame(slices)
    if isinstance(slices, Slice | Predicate | str):
        slices = [slices]
    if not isinstance(slices, Iterable) or isinstance(slices, bytes | bytearray | Mapping):
        raise ValidationError(
            f"{_WHERE}: slices: expected the table probe.find_slices() or probe.breakdown() "
            f"returned, or a list of Slice objects or slice texts; received "
            f"{type(slices).__name__}."
        )
    return [_Found(_as_slice(s, f"slices[{i}]", {})) for i, s in enumerate(list(slices))]


def _distinct(found: list[_Found], model: str | None) -> list[_Found]:
    """One entry per set of conditions: the chosen model's row where a table has several."""
    if model is not None and any(f.model == model for f in found):
        found = [f for f in found if f.model in (model, None)]
    seen: set[str] = set()
    out = []
    for entry in found:
        key = json.dumps(entry.slice.predicate.to_dict(), sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out


# --- checks ----------------------------------------------------------------------------------


def _check_probe(probe: object) -> Evaluator:
    if not isinstance(probe, Evaluator):
        raise ValidationError(
            f"{_WHERE}: probe: expected the mp.Probe whose values become the baselines "
            f"(probe=probe); received {type(probe).__name__}."
        )
    return probe


def _resolve_model(probe: Evaluator, model: object, found: list[_Found]) -> str | None:
    models = list(probe.models)
    if model is not None:
        if not isinstance(model, str) or model not in models:
            raise ValidationError(
                f"{_WHERE}: model: unknown model {model!r}; this probe's models: {models}."
            )
        return model
    if len(models) == 1:
        return models[0]
    in_table = sorted({f.model for f in found if f.model in models})
    if len(in_table) == 1:
        return in_table[0]
    example = models[-1]
    raise ValidationError(
        f"{_WHERE}: model: this probe has {len(models)} models ({', '.join(map(repr, models))}); "
        f"say whose values become the baselines, e.g. model={example!r} (the model you passed "
        "to find_slices). The tests name no model, so suite.run(probe, model=...) checks any "
        "version against them."
    )


def _check_expect(expect: object, allowance: object) -> dict[str, float] | None:
    if allowance is not None and (
        isinstance(allowance, bool)
        or not isinstance(allowance, int | float)
        or not math.isfinite(allowance)
        or allowance < 0
    ):
        raise ValidationError(
            f"{_WHERE}: allowance: expected None (the default: the interval's margin, at least "
            f"one point) or a number >= 0 such as 0.02; received {allowance!r}."
        )
    if expect is None:
        return None
    if allowance is not None:
        raise ValidationError(
            f"{_WHERE}: give expect= or allowance=, not both: allowance=a is "
            "expect={'max_drop_from_baseline': a}."
        )
    if (
        not isinstance(expect, Mapping)
        or len(expect) != 1
        or next(iter(expect)) not in EXPECTATIONS
    ):
        key = next(iter(expect)) if isinstance(expect, Mapping) and len(expect) == 1 else None
        hint = did_you_mean(str(key), EXPECTATIONS) if key is not None else ""
        raise ValidationError(
            f"{_WHERE}: expect: expected one expectation, as in a suite file, e.g. "
            f"{{'at_least': 0.8}} or {{'max_gap_to_overall': 0.05}}; received {expect!r}."
            f"{hint} Expectations: {', '.join(EXPECTATIONS)}."
        )
    kind, amount = next(iter(expect.items()))
    if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount):
        raise ValidationError(
            f"{_WHERE}: expect: {kind} must be a finite number; received {amount!r}."
        )
    return {str(kind): float(amount)}


def _check_settings(min_support: object, confidence: object, tags: object) -> tuple[str, ...]:
    if isinstance(min_support, bool) or not isinstance(min_support, int) or min_support < 0:
        raise ValidationError(
            f"{_WHERE}: min_support: expected a whole number >= 0 (below it a test is "
            f"inconclusive); received {min_support!r}."
        )
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not 0 < confidence < 1
    ):
        raise ValidationError(
            f"{_WHERE}: confidence: expected a number between 0 and 1 such as 0.95; received "
            f"{confidence!r}."
        )
    if isinstance(tags, str) or not isinstance(tags, Sequence):
        raise ValidationError(
            f"{_WHERE}: tags: expected a list of str such as ['found']; received {tags!r}."
        )
    if not all(isinstance(tag, str) and tag for tag in tags):
        raise ValidationError(f"{_WHERE}: tags: expected non-empty strs; received {list(tags)!r}.")
    return tuple(tags)


def _metric_of(found: _Found, metric: str | None, default: str) -> str:
    if metric is not None:
        return metric
    if found.source == "find_slices":
        mapped = FOUND_METRICS.get(found.metric)
        if mapped is None:
            raise ValidationError(
                f"{_WHERE}: metric: the table's loss {found.metric!r} has no suite metric "
                f"mlprobe knows ({', '.join(FOUND_METRICS)} do); pass metric=, e.g. "
                f"metric={default!r}."
            )
        return mapped
    if found.source == "a breakdown" and found.metric:
        return found.metric
    return default


# --- the tests -------------------------------------------------------------------------------


def _q_text(q: float) -> str:
    return "not tested" if math.isnan(q) else format_q_phrase(q)


def _why(value: float, now: Mapping[str, float], worse_is_up: bool, confidence: float) -> str:
    """Which of the two bounds of the default allowance decided it."""
    margin = (now["ci_high"] - value) if worse_is_up else (value - now["ci_low"])
    floor = ALLOWANCE_FLOOR * max(1.0, abs(value))
    level = format_level(confidence)
    if math.isfinite(margin) and margin > floor:
        return f"its {level} interval's margin; at least one point"
    shown = f", {format_plain(margin)}," if math.isfinite(margin) else ""
    unit = "one point" if floor == ALLOWANCE_FLOOR else "1% of the value"
    return f"{unit}: its {level} interval's margin{shown} is smaller"


def _how_found(found: _Found, today: str) -> str:
    if found.source in ("find_slices", "a breakdown") and math.isfinite(found.value):
        where = "by find_slices" if found.source == "find_slices" else "in a breakdown"
        vs = f" vs {format_number(found.rest)} on the rest" if math.isfinite(found.rest) else ""
        return (
            f"Found {where} on {today}: {found.metric} {format_number(found.value)}{vs} "
            f"({_q_text(found.q_value)})."
        )
    if found.source:
        return f"Saved from {found.source} of slices on {today}."
    return f"Saved from a list of slices on {today}."


def build_tests(
    slices: object,
    *,
    probe: object,
    metric: str | None = None,
    model: str | None = None,
    expect: Mapping[str, float] | None = None,
    allowance: float | None = None,
    min_support: int = MIN_SUPPORT,
    confidence: float = CONFIDENCE,
    tags: Sequence[str] = (),
    today: dt.date | None = None,
) -> list[SliceTest]:
    """The tests :meth:`mlprobe.Suite.from_slices` puts in its suite (see there)."""
    checked = _check_probe(probe)
    expectation = _check_expect(expect, allowance)
    tag_tuple = _check_settings(min_support, confidence, tags)
    if metric is not None and (not isinstance(metric, str) or not metric):
        raise ValidationError(
            f"{_WHERE}: metric: expected a metric name such as 'accuracy' or 'recall[>50K]', or "
            f"None (the table's metric); received {metric!r}."
        )
    found = _read(slices)
    name = _resolve_model(checked, model, found)
    found = _distinct(found, name)
    if not found:
        return []
    default = "mae" if checked.task == "regression" else "error_rate"
    metrics = [_metric_of(f, metric, default) for f in found]
    directions = {}
    for metric_name in dict.fromkeys(metrics):
        try:
            directions[metric_name] = resolve_metric(
                metric_name,
                task=checked.task,
                classes=checked.classes,
                has_scores=True,
                positive=checked.positive,
            )
        except MlprobeError as error:
            message = str(error).removeprefix("metrics: ")
            raise ValidationError(f"{_WHERE}: metric: {message}") from None
    values = _measure(checked, found, metrics, name, confidence, min_support)
    date = (today or dt.date.today()).isoformat()
    tests = []
    for entry, test_id, metric_name, now in zip(
        found, unique_ids([f.slice for f in found]), metrics, values, strict=True
    ):
        resolved = directions[metric_name]
        tests.append(
            _test(
                entry,
                test_id,
                metric_name,
                now,
                higher_is_better=resolved.higher_is_better,
                ideal=resolved.ideal,
                expectation=expectation,
                allowance=allowance,
                confidence=confidence,
                min_support=min_support,
                tags=tag_tuple,
                model=name,
                date=date,
            )
        )
    return tests


def _measure(
    probe: Evaluator,
    found: list[_Found],
    metrics: list[str],
    model: str | None,
    confidence: float,
    min_support: int,
) -> list[dict[str, float]]:
    """Each slice's value, interval and size for its metric: one breakdown per metric."""
    out: list[dict[str, float]] = [{} for _ in found]
    for metric_name in dict.fromkeys(metrics):
        positions = [i for i, m in enumerate(metrics) if m == metric_name]
        # names of our own: the table may hold two slices of one name (they differ in conditions)
        renamed = [Slice(f"s{i}", found[i].slice.predicate) for i in positions]
        try:
            table = probe.breakdown(
                slices=renamed,
                metrics=[metric_name],
                model=model,
                confidence=confidence,
                min_support=min_support,
            )
        except MlprobeError as error:
            raise ValidationError(f"{_WHERE}: {error}") from None
        rows = {
            record["slice"]: record
            for record, overall in zip(
                table.to_dict("records"),
                table.get("is_overall", pd.Series(False, index=table.index)),
                strict=True,
            )
            if not overall
        }
        for i in positions:
            record = rows[f"s{i}"]
            out[i] = {
                "value": float(record[metric_name]),
                "ci_low": float(record[f"{metric_name}_ci_low"]),
                "ci_high": float(record[f"{metric_name}_ci_high"]),
                "n": int(record["n"]),
            }
    return out


def _test(
    found: _Found,
    test_id: str,
    metric: str,
    now: Mapping[str, float],
    *,
    higher_is_better: bool | None,
    ideal: float | None,
    expectation: dict[str, float] | None,
    allowance: float | None,
    confidence: float,
    min_support: int,
    tags: tuple[str, ...],
    model: str | None,
    date: str,
) -> SliceTest:
    value, n = now["value"], int(now["n"])
    defined = math.isfinite(value)
    kind = next(iter(expectation)) if expectation else "max_drop_from_baseline"
    if higher_is_better is None and ideal is None and kind in NEEDS_DIRECTION:
        raise ValidationError(
            f"{_WHERE}: {metric} has no better direction, so no change of it is a "
            f"{'drop' if kind == 'max_drop_from_baseline' else 'gap on the worse side'}; pass "
            "expect= with a bound, e.g. {'at_most': 0.3} or {'at_least': 0.1}."
        )
    if kind == "max_drop_from_baseline" and not defined:
        raise ValidationError(
            f"{_WHERE}: {metric} is {'undefined' if math.isnan(value) else value} on the slice "
            f"{str(found.slice)!r} ({n} rows), so there is no baseline to test against. Leave "
            "the slice out, or pass another metric= or an expect= that needs no baseline, such "
            "as {'at_least': 0.5}."
        )
    description = _how_found(found, date)
    if expectation is None:
        # the baseline interval's margin on the side where the metric gets worse (for a
        # metric with an ideal, the side away from it)
        worse_is_up = (value >= ideal) if ideal is not None else higher_is_better is False
        amount = allowance
        if amount is None:
            amount = default_allowance(
                value, now["ci_low"], now["ci_high"], higher_is_better=not worse_is_up
            )
            why = _why(value, now, worse_is_up, confidence)
        else:
            why = "as asked"
        if ideal is None:
            expectation = {"max_drop_from_baseline": amount}
            description += (
                f" Fails when {metric} is worse than its baseline by more than "
                f"{format_plain(amount)} ({why})."
            )
        else:  # a bias (best at its ideal): a one-sided bound, on the side the slice leans to
            bound = value + amount if worse_is_up else value - amount
            side = "at_most" if worse_is_up else "at_least"
            expectation = {side: _round_out(bound, up=worse_is_up)}
            description += (
                f" Fails when {metric} moves further from {format_plain(ideal)} than its baseline "
                f"{format_number(value)} by more than {format_plain(amount)} ({why})."
            )
    recorded = (
        _round_out(value, up=not higher_is_better if ideal is None else value >= ideal)
        if defined
        else None
    )
    return SliceTest(
        id=test_id,
        slice=found.slice,
        metric=metric,
        at_least=expectation.get("at_least"),
        at_most=expectation.get("at_most"),
        max_gap_to_overall=expectation.get("max_gap_to_overall"),
        max_drop_from_baseline=expectation.get("max_drop_from_baseline"),
        min_support=min_support,
        description=description,
        baseline=Baseline(recorded, n, model, date),
        tags=tags,
    )


# --- merging into an existing suite ----------------------------------------------------------


class MergedTests(NamedTuple):
    """What :func:`merge_tests` (and :meth:`mlprobe.Suite.append_all`) did."""

    #: every test of the merged suite: the old ones first (group tests too), unchanged
    tests: list[SliceTest | GroupTest]
    #: the new tests added, with the ids they were given
    added: list[SliceTest]
    #: new tests left out: the suite already tests that slice with that metric and model
    skipped: list[SliceTest]


def _same_check(a: SliceTest, b: SliceTest | GroupTest) -> bool:
    if not isinstance(b, SliceTest):  # a group test never stands for a slice test
        return False
    return a.slice.predicate == b.slice.predicate and a.metric == b.metric and a.model == b.model


def merge_tests(existing: Sequence[SliceTest | GroupTest], new: Sequence[SliceTest]) -> MergedTests:
    """Add ``new`` tests after ``existing`` ones without changing any existing test.

    A new test of a slice, metric and model the suite tests already is skipped (saving
    the same suggestions twice adds nothing). A new test whose id is taken by another
    test gets the first free ``-2``, ``-3``... suffix.

    Examples
    --------
    >>> old = [SliceTest(id="a-gt-1", slice="a > 1", metric="accuracy", at_least=0.8)]
    >>> new = [SliceTest(id="a-gt-1", slice="a > 1", metric="accuracy", at_least=0.7),
    ...        SliceTest(id="a-gt-1", slice="a > 1", metric="error_rate", at_most=0.3)]
    >>> merged = merge_tests(old, new)
    >>> [t.id for t in merged.tests], len(merged.skipped)
    (['a-gt-1', 'a-gt-1-2'], 1)
    """
    tests: list[SliceTest | GroupTest] = list(existing)
    ids = {t.id for t in tests}
    added, skipped = [], []
    for test in new:
        if any(_same_check(test, old) for old in tests):
            skipped.append(test)
            continue
        test_id, number = test.id, 1
        while test_id in ids:
            number += 1
            suffix = f"-{number}"
            test_id = test.id[: 200 - len(suffix)] + suffix
        test = replace(test, id=test_id) if test_id != test.id else test
        ids.add(test_id)
        tests.append(test)
        added.append(test)
    return MergedTests(tests, added, skipped)
