"""A suite as the team's written success criteria: each test as a sentence, in Markdown or HTML.

A suite file says what "good enough" means for the product; this module writes it
for people who do not read YAML: grouped by tags (untagged tests last, under
"Other tests"), each test as one sentence, with its description, where its
threshold came from and how it is judged. With a run history (any reader offering
``runs()``, such as :class:`mlprobe.History`) each test also
gets its latest outcome per model version, and the Markdown a table of the latest
outcomes. The HTML is one self-contained, offline page (inline CSS, no script);
trend charts are passed in as SVG text (``charts={test_id: svg}``), since this
layer draws nothing itself.

Everything that comes from the suite file or the history (names, descriptions,
labels, versions) is escaped: Markdown-significant characters are backslash-escaped
(``|`` too inside tables), HTML is escaped, control characters are shown as
``\\xNN``.

Numbers read as everywhere in mlprobe (:mod:`mlprobe.core.number_format`): measured
values (baselines, observed values) with three decimals as every table writes them
(``0.550``), values a person set (thresholds, allowances, bin edges) as written
(``at least 0.55``).

Examples
--------
>>> import mlprobe as mp
>>> test = mp.SliceTest(id="older-women-recall", metric="recall[>50K]", at_least=0.55,
...     slice=mp.Slice.parse("age >= 60 and sex == 'Female'", name="women over 60"))
>>> describe_test(test)
"On women over 60 (age >= 60 and sex == 'Female'), recall of >50K must stay at least 0.55."
>>> group = mp.GroupTest(id="race-fpr", by="race", metric="fpr[>50K]", max_difference=0.1)
>>> describe_test(group)
'Across the groups of race (groups under 30 rows not compared), the false positive rate of >50K may differ by at most 0.1 between the highest and the lowest group.'
>>> print(mp.Suite("income", [test, group]).to_markdown())  # doctest: +ELLIPSIS
# Success criteria: income
<BLANKLINE>
2 tests: 1 on a slice, 1 across groups.
<BLANKLINE>
## Other tests
<BLANKLINE>
- **older-women-recall**: On women over 60 (`age >= 60 and sex == 'Female'`), recall of \\>50K must stay at least 0.55.
  - Threshold: set by hand.
  - Judged on the observed value; inconclusive with fewer than 30 rows in the slice.
- **race-fpr**: Across the groups of race ...
...
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from mlprobe.core.number_format import format_number, format_plain
from mlprobe.errors import MlprobeError, ValidationError
from mlprobe.spec.group_test import AnyTest, GroupTest
from mlprobe.spec.slice_test import Baseline, SliceTest, float_or_nan

if TYPE_CHECKING:
    import pandas as pd

    from mlprobe.spec.suite import Suite

__all__ = [
    "METRIC_WORDS",
    "HistoryReader",
    "criteria_html",
    "criteria_markdown",
    "describe_test",
    "matrix_markdown",
    "metric_words",
]

#: metric name (or family of ``family[label]``) -> how a sentence says it
METRIC_WORDS: dict[str, str] = {
    "accuracy": "accuracy",
    "error_rate": "error rate",
    "balanced_accuracy": "balanced accuracy",
    "macro_f1": "macro-averaged F1 score",
    "f1": "F1 score",
    "precision": "precision",
    "recall": "recall",
    "tpr": "true positive rate",
    "fpr": "false positive rate",
    "fnr": "false negative rate",
    "tnr": "true negative rate",
    "npv": "negative predictive value",
    "selection_rate": "selection rate",
    "prevalence": "prevalence",
    "roc_auc": "ROC AUC",
    "log_loss": "log loss",
    "brier": "Brier score",
    "mae": "mean absolute error",
    "rmse": "root mean squared error",
    "mse": "mean squared error",
    "r2": "R²",
    "mean_error": "mean error (bias)",
    "demographic_parity": "selection rate (demographic parity)",
    "equalized_odds": "true and false positive rates (equalized odds)",
}
# the direction of the built-in metrics (as mlprobe.core.metrics declares it); unknown: None
_HIGHER = {"accuracy", "balanced_accuracy", "macro_f1", "f1", "precision", "recall", "tpr"}
_HIGHER |= {"tnr", "npv", "selection_rate", "prevalence", "roc_auc", "r2"}
_LOWER = {"error_rate", "fpr", "fnr", "log_loss", "brier", "mae", "rmse", "mse", "mean_error"}
_PER_CLASS = re.compile(r"(?P<family>[A-Za-z_][A-Za-z0-9_]*)\[(?P<label>.*)\]\Z", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")
_OTHER = "Other tests"
_SEPARATOR = " · "


@runtime_checkable
class HistoryReader(Protocol):
    """What the criteria read from a run history (:class:`mlprobe.History` offers it).

    ``runs(suite=...)`` returns one row per recorded outcome, in recording order, with
    at least ``test_id``, ``version``, ``outcome`` and ``observed`` (also used when
    present: ``suite``, ``run_id``, ``recorded_at``, ``threshold``, ``n``,
    ``definition_hash``); versions are ordered by their first run. A version
    whose latest run measured another definition of the test than the suite's (a
    different ``definition_hash``: the slice, metric or threshold changed since) is
    marked "(other definition)".
    """

    def runs(self, *args: Any, **kwargs: Any) -> pd.DataFrame: ...


# --- words ------------------------------------------------------------------------------------


def metric_words(metric: str) -> str:
    """A metric name in words: ``recall[>50K]`` -> ``recall of >50K``; unknown names as they are.

    Examples
    --------
    >>> metric_words("fpr"), metric_words("recall[>50K]"), metric_words("my_metric")
    ('false positive rate', 'recall of >50K', 'my_metric')
    """
    if metric in METRIC_WORDS:
        return METRIC_WORDS[metric]
    per_class = _PER_CLASS.match(metric)
    if per_class and per_class["family"] in METRIC_WORDS:
        return f"{METRIC_WORDS[per_class['family']]} of {per_class['label']}"
    return metric


def _higher_is_better(metric: str) -> bool | None:
    per_class = _PER_CLASS.match(metric)
    family = per_class["family"] if per_class else metric
    if family in _HIGHER:
        return True
    return False if family in _LOWER else None


# --- a sentence as parts: text, code, emphasis --------------------------------------------------


@dataclass(frozen=True)
class _Code:
    text: str


@dataclass(frozen=True)
class _Mark:
    """Text emphasised: an outcome (``kind`` passed, failed...) or a test id (``kind`` id)."""

    text: str
    kind: str


_Part = str | _Code | _Mark
_Parts = list[_Part]


def _plain(parts: Sequence[_Part]) -> str:
    return "".join(p if isinstance(p, str) else p.text for p in parts)


def _number_parts(value: float) -> _Parts:
    """A number in a table cell: as every mlprobe table writes it (``0.550``)."""
    return [format_number(value)]


def _slice_parts(test: SliceTest) -> _Parts:
    expression = str(test.slice.predicate)
    if test.slice.name != expression:
        return ["On ", test.slice.name, " (", _Code(expression), ")"]
    return ["On rows where ", _Code(expression)]


def _model_words(test: AnyTest) -> str:
    return f" of model {test.model}" if test.model else ""


def _recorded(baseline: Baseline, *, groups: bool = False) -> str:
    """``recorded 2026-12-04 with v3 on 455 rows`` (what is known of it)."""
    text = "recorded"
    if baseline.recorded:
        text += f" {baseline.recorded}"
    if baseline.model:
        text += f" with {baseline.model}"
    if baseline.n is not None:
        unit = "group" if groups else "row"
        text += (
            f" {'over' if groups else 'on'} {baseline.n:,} {unit}{'' if baseline.n == 1 else 's'}"
        )
    return text


def _slice_sentence(test: SliceTest) -> _Parts:
    parts = [*_slice_parts(test), ", ", metric_words(test.metric) + _model_words(test)]
    amount = format_plain(test.threshold_value)
    higher = _higher_is_better(test.metric)
    kind = test.expectation
    baseline = test.baseline
    if kind in ("at_least", "at_most"):
        parts.append(f" must stay {kind.replace('_', ' ')} {amount}")
        if baseline is not None and baseline.value is not None:
            parts.append(f" — baseline {format_number(baseline.value)}, {_recorded(baseline)}")
    elif kind == "max_gap_to_overall":
        if higher is None:
            parts.append(f" must stay within {amount} of its value on all rows, on the worse side")
        else:
            moved = "fall more than {} below" if higher else "rise more than {} above"
            parts.append(f" must not {moved.format(amount)} its value on all rows")
    else:
        if higher is None:
            start = f" must not get worse than its baseline by more than {amount}"
        else:
            moved = "drop more than {} below" if higher else "rise more than {} above"
            start = f" must not {moved.format(amount)} its baseline"
        if baseline is not None and baseline.value is not None:
            start = start.replace(
                "its baseline", f"its baseline of {format_number(baseline.value)}"
            )
            start += f" ({_recorded(baseline)})"
        else:
            start += " (none recorded yet)"
        parts.append(start)
    return [*parts, "."]


def _groups_phrase(test: GroupTest) -> str:
    columns = test.columns
    if len(columns) == 1:
        phrase = f"Across the groups of {columns[0]}"
    else:
        phrase = f"Across the combined groups of {', '.join(columns[:-1])} and {columns[-1]}"
    notes = []
    if isinstance(test.bins, int):
        notes.append(f"numeric columns in {test.bins} bins of about equal size")
    elif test.bins is not None:
        cuts = [format_plain(b) for b in test.bins]
        shown = cuts[0] if len(cuts) == 1 else f"{', '.join(cuts[:-1])} and {cuts[-1]}"
        notes.append(f"numeric columns cut at {shown}")
    if test.min_support > 0:
        notes.append(
            f"groups under {test.min_support:,} row{'' if test.min_support == 1 else 's'} "
            "not compared"
        )
    return phrase + (f" ({'; '.join(notes)})" if notes else "")


def _group_sentence(test: GroupTest) -> _Parts:
    words = metric_words(test.metric) + _model_words(test)
    amount = format_plain(test.threshold_value)
    if test.expectation == "max_difference":
        rest = (
            f"the {words} may differ by at most {amount} between the highest and the lowest group"
        )
    else:
        rest = f"the lowest group's {words} must be at least {amount} of the highest's"
    return [f"{_groups_phrase(test)}, {rest}."]


def _sentence(test: AnyTest) -> _Parts:
    return _group_sentence(test) if isinstance(test, GroupTest) else _slice_sentence(test)


def describe_test(test: AnyTest) -> str:
    """One test as a sentence a product manager can read (plain text, no markup).

    Examples
    --------
    >>> import mlprobe as mp
    >>> describe_test(mp.SliceTest(id="t", slice=mp.Slice.parse("age < 26"), metric="error_rate",
    ...     max_drop_from_baseline=0.03, baseline=mp.spec.Baseline(0.2, 455, "v3", "2026-12-04")))
    'On rows where age < 26, error rate must not rise more than 0.03 above its baseline of 0.2 (recorded 2026-12-04 with v3 on 455 rows).'
    >>> describe_test(mp.GroupTest(id="g", by="sex", metric="selection_rate", min_ratio=0.8,
    ...     min_support=0))
    "Across the groups of sex, the lowest group's selection rate must be at least 0.8 of the highest's."
    """
    if not isinstance(test, SliceTest | GroupTest):
        raise ValidationError(
            f"describe_test: expected a SliceTest or a GroupTest; received {type(test).__name__}."
        )
    return _plain(_sentence(test))


def _threshold_origin(test: AnyTest) -> str:
    """Where the threshold came from, as a clause after ``Threshold:``."""
    baseline = test.baseline
    amount = test.threshold_value
    if isinstance(test, GroupTest):
        text = "set by hand"
        if baseline is not None and baseline.value is not None:
            text += (
                f"; the {test.statistic} was {format_number(baseline.value)} when "
                f"{_recorded(baseline, groups=True)}"
            )
        return text
    higher = _higher_is_better(test.metric)
    kind = test.expectation
    if kind == "max_gap_to_overall":
        if higher is None:
            return (
                f"the metric's value on all rows, measured on each run, with an allowance of "
                f"{format_plain(amount)} on the worse side"
            )
        return (
            f"the metric's value on all rows, measured on each run, "
            f"{'minus' if higher else 'plus'} an allowance of {format_plain(amount)}"
        )
    if kind == "max_drop_from_baseline":
        if baseline is None or baseline.value is None:
            return (
                f"the baseline with an allowance of {format_plain(amount)}; no baseline is "
                "recorded yet, so the test errors until one is "
                "(suite.with_baselines(probe).save(path))"
            )
        value = baseline.value
        if higher is None:
            return (
                f"baseline {format_number(value)} with an allowance of {format_plain(amount)} on "
                "the worse side"
            )
        bound = value - amount if higher else value + amount
        return (
            f"baseline {format_number(value)} {'minus' if higher else 'plus'} an allowance of "
            f"{format_plain(amount)} = {format_plain(bound)}"
        )
    if baseline is None or baseline.value is None:
        return "set by hand"
    value = baseline.value
    if kind == "at_least" and value >= amount:
        return (
            f"baseline {format_number(value)} minus an allowance of {format_plain(value - amount)}"
        )
    if kind == "at_most" and value <= amount:
        return (
            f"baseline {format_number(value)} plus an allowance of {format_plain(amount - value)}"
        )
    return f"set by hand; the baseline {format_number(value)} does not meet it"


def _judged(test: AnyTest) -> str:
    if isinstance(test, GroupTest):
        what = f"the {test.statistic}"
        tail = "inconclusive when fewer than two groups are left to compare"
    else:
        what = "the observed value"
        tail = (
            f"inconclusive with fewer than {test.min_support:,} row"
            f"{'' if test.min_support == 1 else 's'} in the slice"
        )
    if test.confidence is None:
        return f"Judged on {what}; {tail}."
    level = f"{test.confidence:.{0 if round(test.confidence * 100, 6).is_integer() else 1}%}"
    return (
        f"Judged on the {level} interval of {what}: it passes or fails only when the whole "
        f"interval is on one side of the threshold; {tail}."
    )


# --- history ------------------------------------------------------------------------------------


@dataclass
class _Latest:
    version: str
    outcome: str
    observed: float
    threshold: float = math.nan
    n: Any = None
    recorded: str = ""
    other_definition: bool = False


@dataclass
class _History:
    versions: list[str]
    per_test: dict[str, list[_Latest]] = field(default_factory=dict)


def _cell(row: Mapping[str, Any], key: str) -> Any:
    """``row[key]``; None when missing or NaN (pandas writes a missing value as NaN)."""
    value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _date(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if hasattr(value, "strftime"):
        try:
            return str(value.strftime("%Y-%m-%d"))
        except ValueError:  # NaT
            return ""
    return str(value)[:10]


def _definition_hashes(suite: Suite) -> dict[str, str]:
    """Test id -> the hash the run store records for the test's definition as it is now."""
    try:
        from mlprobe.spec.run_store import definition_of
    except ImportError:  # pragma: no cover - the run store needs SQLAlchemy
        return {}
    return {test.id: definition_of(test)[1] for test in suite.tests}


def _read_history(history: Any, suite: Suite) -> _History:
    """The latest outcome of each test per version, from ``history.runs(suite=...)``."""
    if not callable(getattr(history, "runs", None)):
        hint = (
            " To read a run store file, pass mlprobe.History(path)."
            if isinstance(history, str) or hasattr(history, "__fspath__")
            else ""
        )
        raise ValidationError(
            "criteria: 'history' must be None or a run history offering runs() "
            f"(such as mlprobe.History); received {type(history).__name__}.{hint}"
        )
    try:
        frame = history.runs(suite=suite.name)
    except MlprobeError:  # a store that never recorded this suite refuses its name
        frame = history.runs()
        frame = frame[frame["suite"] == suite.name] if "suite" in frame.columns else frame[:0]
    if "run_id" in frame.columns:
        frame = frame.sort_values("run_id", kind="stable")
    # versions in the order of their first run, as History.versions() gives them
    versions = [str(v) for v in dict.fromkeys(frame["version"].astype(str))] if len(frame) else []
    result = _History(versions)
    wanted = {t.id for t in suite.tests}
    records = frame[frame["test_id"].astype(str).isin(wanted)].to_dict("records")
    latest: dict[str, dict[str, Mapping[str, Any]]] = {}
    for record in records:  # recording order: a later run of a version replaces an earlier one
        latest.setdefault(str(record["test_id"]), {})[str(record["version"])] = record
    current = _definition_hashes(suite)
    for test_id, by_version in latest.items():
        ordered = [by_version[v] for v in versions if v in by_version]
        last_hash = current.get(test_id)
        if last_hash is None:  # no run store to hash with: compare with the latest run
            last_hash = _cell(ordered[-1], "definition_hash") if ordered else None
        result.per_test[test_id] = [
            _Latest(
                version=str(r["version"]),
                outcome=str(r["outcome"]),
                observed=float_or_nan(r.get("observed")),
                threshold=float_or_nan(r.get("threshold")),
                n=_cell(r, "n"),
                recorded=_date(r.get("recorded_at")),
                other_definition=last_hash is not None
                and _cell(r, "definition_hash") not in (None, last_hash),
            )
            for r in ordered
        ]
    return result


def _outcome_mark(outcome: str) -> _Mark:
    shown = outcome.upper() if outcome in ("failed", "error") else outcome
    return _Mark(shown, outcome)


def _history_parts(entries: list[_Latest]) -> _Parts:
    if not entries:
        return ["not recorded yet"]
    parts: _Parts = []
    for i, entry in enumerate(entries):
        if i:
            parts.append(_SEPARATOR)
        parts += [entry.version, " ", _outcome_mark(entry.outcome)]
        if not math.isnan(entry.observed):
            parts.append(f" {format_number(entry.observed)}")
        if entry.other_definition:
            parts.append(" (other definition)")
    return parts


# --- the document --------------------------------------------------------------------------------


@dataclass
class _Entry:
    test: AnyTest
    sentence: _Parts
    details: list[_Parts]
    history: _Parts | None


def _sections(suite: Suite) -> list[tuple[str, list[AnyTest]]]:
    """Tests by tag, tags in order of first use; a test under each of its tags; untagged last."""
    tagged: dict[str, list[AnyTest]] = {}
    untagged: list[AnyTest] = []
    for test in suite.tests:
        for tag in dict.fromkeys(test.tags):
            tagged.setdefault(tag, []).append(test)
        if not test.tags:
            untagged.append(test)
    sections = list(tagged.items())
    if untagged:
        sections.append((_OTHER, untagged))
    return sections


def _entry(test: AnyTest, history: _History | None) -> _Entry:
    details: list[_Parts] = []
    if test.description.strip():
        details.append([test.description.strip()])
    details.append(["Threshold: ", _threshold_origin(test), "."])
    details.append([_judged(test)])
    if len(test.tags) > 1:
        details.append(["Tags: ", ", ".join(test.tags), "."])
    entries = None
    if history is not None:
        entries = _history_parts(history.per_test.get(test.id, []))
    return _Entry(test, _sentence(test), details, entries)


def _summary(suite: Suite) -> str:
    count = len(suite.tests)
    groups = sum(isinstance(t, GroupTest) for t in suite.tests)
    text = f"{count} test{'' if count == 1 else 's'}"
    if count:
        text += f": {count - groups} on {'a slice' if count - groups == 1 else 'slices'}, "
        text += f"{groups} across groups"
    return text + "."


def _latest_rows(suite: Suite, history: _History) -> list[tuple[str, _Latest | None]]:
    return [
        (t.id, history.per_test[t.id][-1] if history.per_test.get(t.id) else None)
        for t in suite.tests
    ]


def _check(suite: Any, where: str) -> None:
    from mlprobe.spec.suite import Suite

    if not isinstance(suite, Suite):
        raise ValidationError(f"{where}: expected a Suite; received {type(suite).__name__}.")


# --- Markdown -------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _visible(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def _md_text(text: str) -> str:
    """User text for Markdown: one line, special characters (``|`` too) backslash-escaped."""
    return _CONTROL.sub(_visible, _MD_SPECIAL.sub(r"\\\1", _one_line(text)))


def _md_code(text: str, *, table: bool = False) -> str:
    """An inline code span holding ``text`` as it is (a fence longer than any backtick run)."""
    content = _CONTROL.sub(_visible, _one_line(text))
    if table:  # GFM splits table cells at '|' even inside code spans
        content = content.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * (longest + 1)
    if content.startswith("`") or content.endswith("`") or not content.strip(" "):
        content = f" {content} "
    return f"{fence}{content}{fence}"


def _md(parts: Sequence[_Part], *, table: bool = False) -> str:
    out = []
    for part in parts:
        if isinstance(part, _Code):
            out.append(_md_code(part.text, table=table))
        elif isinstance(part, _Mark):
            text = _md_text(part.text)
            out.append(f"**{text}**" if part.kind in ("failed", "error", "id") else text)
        else:
            out.append(_md_text(part))
    return "".join(out)


def _md_table(header: Sequence[str], rows: Sequence[Sequence[_Parts]]) -> list[str]:
    lines = ["| " + " | ".join(_md_text(h) for h in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(_md(cell, table=True) for cell in row) + " |" for row in rows]
    return lines


def _latest_cells(test_id: str, latest: _Latest | None) -> list[_Parts]:
    if latest is None:
        return [[_Mark(test_id, "")], ["–"], ["not recorded"], ["–"], ["–"], ["–"], ["–"]]
    n = latest.n
    rows = "–" if n is None or (isinstance(n, float) and math.isnan(n)) else format_number(int(n))
    return [
        [_Mark(test_id, "")],
        [latest.version],
        [_outcome_mark(latest.outcome)],
        _number_parts(latest.observed),
        _number_parts(latest.threshold),
        [rows],
        [latest.recorded or "–"],
    ]


_LATEST_HEADER = ("Test", "Version", "Outcome", "Observed", "Threshold", "Rows", "Recorded")


def criteria_markdown(suite: Suite, history: HistoryReader | None = None) -> str:
    """The suite as Markdown, for a pull-request comment or a CI job summary.

    Parameters
    ----------
    suite : Suite
    history : HistoryReader, optional
        A run history (e.g. :class:`mlprobe.History`): adds each test's latest
        outcome per version and a table of the latest outcomes.

    Returns
    -------
    str
        Headings, one bullet per test (its sentence, then its description, where its
        threshold came from and how it is judged), user text escaped.

    Examples
    --------
    >>> import mlprobe as mp
    >>> suite = mp.Suite("s", [mp.SliceTest(id="a", slice=mp.Slice.parse("x == 'a|*_'"),
    ...     metric="accuracy", at_least=0.9, tags=["core"], description="Keep *this* one.")])
    >>> print(criteria_markdown(suite))
    # Success criteria: s
    <BLANKLINE>
    1 test: 1 on a slice, 0 across groups.
    <BLANKLINE>
    ## core
    <BLANKLINE>
    - **a**: On rows where `x == 'a|*_'`, accuracy must stay at least 0.9.
      - Keep \\*this\\* one.
      - Threshold: set by hand.
      - Judged on the observed value; inconclusive with fewer than 30 rows in the slice.
    <BLANKLINE>
    """
    _check(suite, "criteria_markdown")
    read = _read_history(history, suite) if history is not None else None
    lines = [f"# Success criteria: {_md_text(suite.name)}", ""]
    if suite.description.strip():
        lines += [_md_text(suite.description), ""]
    lines += [_summary(suite), ""]
    if read is not None:
        shown = ", ".join(read.versions) if read.versions else "none yet"
        lines += [f"Versions recorded: {_md_text(shown)}.", ""]
    for title, tests in _sections(suite):
        lines += [f"## {_md_text(title)}", ""]
        for test in tests:
            entry = _entry(test, read)
            lines.append(f"- {_md([_Mark(test.id, 'id'), ': ', *entry.sentence])}")
            lines += [f"  - {_md(detail)}" for detail in entry.details]
            if entry.history is not None:
                lines.append(f"  - Latest by version: {_md(entry.history)}")
        lines.append("")
    if read is not None and suite.tests:
        lines += ["## Latest outcomes", ""]
        rows = [_latest_cells(test_id, latest) for test_id, latest in _latest_rows(suite, read)]
        lines += [*_md_table(_LATEST_HEADER, rows), ""]
    return "\n".join(lines)


def matrix_markdown(matrix: pd.DataFrame) -> str:
    """A versions x tests matrix (:meth:`mlprobe.History.matrix`) as a Markdown table.

    One row per test, one column per version (a suite has more tests than versions;
    rows stay readable where columns would not). Numbers as every mlprobe table
    writes them (:func:`~mlprobe.core.number_format.format_number`); failed and error
    outcomes in bold.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"a|b": [0.61, 0.52]}, index=pd.Index(["v1", "v2"], name="version"))
    >>> print(matrix_markdown(m))
    | Test | v1 | v2 |
    |---|---|---|
    | a\\|b | 0.610 | 0.520 |
    """
    versions = [str(v) for v in matrix.index]
    rows = []
    for column in matrix.columns:
        cells: list[_Parts] = [[str(column)]]
        for value in matrix[column].tolist():
            if isinstance(value, str):
                cells.append([_outcome_mark(value)])
            else:
                cells.append(_number_parts(float_or_nan(value)))
        rows.append(cells)
    return "\n".join(_md_table(["Test", *versions], rows))


# --- HTML ---------------------------------------------------------------------------------------

_STYLE = """
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;
margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1f2328;line-height:1.5}
h1{font-size:1.6rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
ul.tests{list-style:none;padding:0}
li.test{margin:0 0 1.2rem;padding:.6rem .8rem;border:1px solid #d0d7de;border-radius:6px}
.sentence{margin:0 0 .3rem;font-weight:600}
.id{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;color:#57606a;
font-weight:400}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;
background:#f6f8fa;padding:.1em .3em;border-radius:4px}
ul.details{margin:.2rem 0;padding-left:1.2rem;color:#424a53}
.history{margin:.3rem 0 0}
.o-passed{color:#1a7f37}.o-failed{color:#cf222e;font-weight:700}
.o-inconclusive{color:#9a6700}.o-error{color:#8250df;font-weight:700}
img.trend{display:block;margin-top:.4rem;max-width:100%}
table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
"""
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _h(text: str) -> str:
    return html.escape(_CONTROL.sub(_visible, text), quote=True)


def _html(parts: Sequence[_Part]) -> str:
    out = []
    for part in parts:
        if isinstance(part, _Code):
            out.append(f"<code>{_h(part.text)}</code>")
        elif isinstance(part, _Mark):
            css = "id" if part.kind == "id" else f"o-{part.kind}"
            out.append(f'<span class="{_h(css)}">{_h(part.text)}</span>')
        else:
            out.append(_h(part))
    return "".join(out)


def _img(svg: str, alt_text: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="trend" alt="{_h(alt_text)}" src="data:image/svg+xml;base64,{data}">'


def criteria_html(
    suite: Suite,
    history: HistoryReader | None = None,
    charts: Mapping[str, str] | None = None,
) -> str:
    """The suite as one self-contained HTML page: inline CSS, no script, works offline.

    Parameters
    ----------
    suite : Suite
    history : HistoryReader, optional
        As in :func:`criteria_markdown`.
    charts : dict of str to str, optional
        Test id -> an SVG image (text) shown under the test, e.g. its trend over
        versions drawn by :func:`mlprobe.render.history_charts.trend_spec`. Shown as
        ``<img>`` data URIs, so nothing in them runs.

    Examples
    --------
    >>> import mlprobe as mp
    >>> suite = mp.Suite("<script>", [mp.GroupTest(id="g", by="race", metric="fpr",
    ...     max_difference=0.1)])
    >>> page = criteria_html(suite)
    >>> "<script>" in page, "&lt;script&gt;" in page
    (False, True)
    """
    _check(suite, "criteria_html")
    if charts is not None and not isinstance(charts, Mapping):
        raise ValidationError(
            "criteria_html: 'charts' must be None or a dict of test id -> SVG text; received "
            f"{type(charts).__name__}."
        )
    read = _read_history(history, suite) if history is not None else None
    title = f"Success criteria: {suite.name}"
    body = [f"<h1>{_h(title)}</h1>"]
    if suite.description.strip():
        body.append(f'<p class="description">{_h(suite.description)}</p>')
    body.append(f"<p>{_h(_summary(suite))}</p>")
    if read is not None:
        shown = ", ".join(read.versions) if read.versions else "none yet"
        body.append(f"<p>Versions recorded: {_h(shown)}.</p>")
    for title_text, tests in _sections(suite):
        body.append(f"<section><h2>{_h(title_text)}</h2><ul class='tests'>")
        for test in tests:
            entry = _entry(test, read)
            items = "".join(f"<li>{_html(d)}</li>" for d in entry.details)
            parts = [
                "<li class='test'>",
                f"<p class='sentence'>{_html(entry.sentence)} {_html([_Mark(test.id, 'id')])}</p>",
                f"<ul class='details'>{items}</ul>",
            ]
            if entry.history is not None:
                parts.append(f"<p class='history'>Latest by version: {_html(entry.history)}</p>")
            svg = charts.get(test.id) if charts else None
            if isinstance(svg, str) and svg:
                parts.append(_img(svg, f"trend of {test.id} over versions"))
            parts.append("</li>")
            body.append("".join(parts))
        body.append("</ul></section>")
    if read is not None and suite.tests:
        header = "".join(f"<th>{_h(h)}</th>" for h in _LATEST_HEADER)
        rows = []
        for test_id, latest in _latest_rows(suite, read):
            cells = _latest_cells(test_id, latest)
            rows.append(
                "<tr>"
                + "".join(
                    f"<td{' class=num' if i in (3, 4, 5) else ''}>{_html(c)}</td>"
                    for i, c in enumerate(cells)
                )
                + "</tr>"
            )
        body.append(
            "<section><h2>Latest outcomes</h2><table><thead><tr>"
            f"{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
        )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_h(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )
