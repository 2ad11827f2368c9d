"""Lay out the standalone HTML report from tables already computed: no kernel, network or script.

The page is one file: the CSS in one ``<style>`` block, every chart an SVG
image drawn offline by vl-convert and inlined as a ``data:`` URI, every value
HTML-escaped. This module only arranges what :mod:`mlprobe.report` computed
(breakdowns, confusion matrices, comparisons, suite outcomes); it never sees a
probe.

Examples
--------
>>> import pandas as pd
>>> import mlprobe as mp
>>> df = pd.DataFrame({"g": list("aabbbb"), "y": [1, 0, 1, 1, 0, 0], "p": [1, 1, 1, 0, 0, 0]})
>>> table = mp.Probe(df, target="y", predictions="p").breakdown(by="g", metrics=["accuracy"])
>>> facts = ReportFacts(title="<demo>", generated="today", n_rows=6, task="binary",
...                     target="y", models=["model"], classes=[0, 1], metrics=["accuracy"])
>>> page = render_report(ReportContent(facts, overall=table.iloc[:1]), charts=False)
>>> page.startswith("<!DOCTYPE html>"), "<title>&lt;demo&gt;</title>" in page, "<script" in page
(True, True, False)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from mlprobe.core.analyses.breakdown import overall_rows
from mlprobe.core.number_format import format_level, format_plain, format_share
from mlprobe.render.charts import breakdown_spec, compare_spec, confusion_spec
from mlprobe.render.disparity import disparity_html, disparity_sentence
from mlprobe.render.history_charts import trend_spec
from mlprobe.render.static import chart_svg, svg_img
from mlprobe.render.tables import (
    breakdown_html,
    compare_html,
    format_interval,
    format_number,
    format_q,
    frame_html,
    sort_breakdown,
)

__all__ = [
    "MAX_CHART_SLICES",
    "MAX_CONFUSION_CLASSES",
    "MAX_TABLE_ROWS",
    "BreakdownSection",
    "ComparisonSection",
    "ComparisonView",
    "ConfusionView",
    "HistoryView",
    "ReportContent",
    "ReportFacts",
    "SuiteView",
    "WorstSlice",
    "bad_gap",
    "clearly_worse",
    "render_report",
]

#: Rows of a breakdown or comparison table shown (worst first); the rest is counted, not shown.
MAX_TABLE_ROWS = 300
#: Slices drawn in a breakdown or comparison chart (the worst ones).
MAX_CHART_SLICES = 40
#: Confusion matrices with more classes are shown as tables only.
MAX_CONFUSION_CLASSES = 30
_OVERALL = "overall"
_VERDICT_RANK = {
    "regressed": 0,
    "improved": 1,
    "higher": 1,  # a metric with no better direction (a selection rate) moved
    "lower": 1,
    "no detectable change": 2,
    "too few rows": 3,
}
_OUTCOMES = ("passed", "failed", "inconclusive", "error")

Spec = dict[str, Any]


# --- what the report shows ------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFacts:
    """The header: what was evaluated, when, and with which settings."""

    title: str
    generated: str
    n_rows: int
    task: str
    target: str | None
    models: Sequence[str]
    classes: Sequence[Any]
    metrics: Sequence[str]
    confidence: float = 0.95
    min_support: int = 30
    version: str = ""


@dataclass(frozen=True)
class BreakdownSection:
    """One breakdown (``Probe.breakdown``) under a heading, e.g. "by race"."""

    anchor: str
    title: str
    frame: pd.DataFrame
    #: for a "by" section: the disparity between its groups (``Probe.disparity`` rows)
    disparity: pd.DataFrame | None = None


@dataclass(frozen=True)
class ConfusionView:
    """A K x K confusion matrix of counts (``Probe.confusion``) of one model."""

    title: str
    model: str
    counts: pd.DataFrame


@dataclass(frozen=True)
class WorstSlice:
    """The slice (and model) furthest below the rest on the first metric, with its confusions."""

    section: str
    slice: str
    model: str
    metric: str
    value: float
    gap: float
    q_value: float
    n: int
    confusions: Sequence[ConfusionView]


@dataclass(frozen=True)
class ComparisonSection:
    """One comparison table (``Probe.compare``) under a heading."""

    title: str
    frame: pd.DataFrame
    note: str = ""


@dataclass(frozen=True)
class ComparisonView:
    """Model ``b`` against model ``a`` on the report's slices, and the flipped rows."""

    a: str
    b: str
    metric: str
    sections: Sequence[ComparisonSection]
    flips: pd.DataFrame | None = None


@dataclass(frozen=True)
class SuiteView:
    """A suite's outcomes on one model (from :class:`mlprobe.SuiteResult`)."""

    name: str
    model: str
    model_note: str
    counts: dict[str, int]
    passed: bool
    result_html: str
    outcomes: pd.DataFrame


@dataclass(frozen=True)
class HistoryView:
    """Recorded runs of a suite (a run store): the version-by-test matrices and trends."""

    source: str
    suite: str | None
    observed: pd.DataFrame
    outcomes: pd.DataFrame
    #: test id -> its trend (``History.trend``), for the charts
    trends: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: tests recorded beyond those charted
    more: int = 0


@dataclass(frozen=True)
class ReportContent:
    """Everything the report shows, computed: the input of :func:`render_report`."""

    facts: ReportFacts
    overall: pd.DataFrame
    sections: Sequence[BreakdownSection] = ()
    confusions: Sequence[ConfusionView] = ()
    worst: WorstSlice | None = None
    comparison: ComparisonView | None = None
    suite: SuiteView | None = None
    notes: Sequence[str] = field(default_factory=tuple)
    #: the report's slices ranked by what fixing each buys (``Probe.priorities``), or None
    priorities: pd.DataFrame | None = None
    #: recorded versions of the suite (``report(history=...)``), or None
    history: HistoryView | None = None


# --- reading a breakdown ------------------------------------------------------------------


def bad_gap(frame: pd.DataFrame, metric: str) -> pd.Series:
    """How much worse each row is than the rest of the rows on ``metric`` (> 0: worse).

    ``frame`` is a breakdown whose ``gap`` is of ``metric`` (its first metric).
    Higher-is-better metrics: minus the gap; lower-is-better: the gap; metrics
    with an ideal value (a bias): the distance to the ideal minus the rest's.
    """
    direction = frame.attrs.get("directions", {}).get(metric, {})
    gap = frame["gap"].astype(float)
    ideal = direction.get("ideal")
    if ideal is not None:
        value = frame[metric].astype(float)
        return (value - ideal).abs() - (value - gap - ideal).abs()
    higher = direction.get("higher_is_better", True)
    if higher is None:  # no better direction (a selection rate): no gap is a bad one
        return gap * np.nan
    return gap if higher is False else -gap


def clearly_worse(frame: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """The slice rows clearly worse than the rest on the first metric, worst first.

    Clearly: q-value below ``alpha``, not flagged ``low_support``, and the gap
    in the bad direction.
    """
    metric = _first_metric(frame)
    worse = bad_gap(frame, metric)
    keep = (
        ~overall_rows(frame)
        & (frame["q_value"].astype(float) < alpha)
        & ~frame["low_support"].astype(bool)
        & (worse > 0)
    )
    return frame[keep].assign(_worse=worse[keep]).sort_values("_worse", ascending=False)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _first_metric(frame: pd.DataFrame) -> str:
    return str(frame.attrs["metrics"][0])


# --- formatting -------------------------------------------------------------------------


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _isnan(value: Any) -> bool:
    try:
        return value is None or value is pd.NA or math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _num(value: Any, digits: int = 3, *, signed: bool = False) -> str:
    """A metric value (never a count): ``0.592``, ``+0.012``, or "–"."""
    return format_number(None if _isnan(value) else float(value), digits, signed=signed)


def _count(value: Any) -> str:
    return format_number(None if _isnan(value) else int(value))


_q = format_q
_interval = format_interval


def _with_interval(record: dict[str, Any], metric: str) -> str:
    value = _num(record[metric])
    interval = _interval(record[f"{metric}_ci_low"], record[f"{metric}_ci_high"])
    return value if interval == "–" else f"{value} {interval}"


def _list(values: Sequence[Any], limit: int = 20) -> str:
    shown = ", ".join(str(v) for v in list(values)[:limit])
    return shown + (f", … ({len(values)} in all)" if len(values) > limit else "")


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: Sequence[bool],
    css_class: str = "",
    row_classes: Sequence[str] | None = None,
) -> str:
    """An escaped table; numeric columns right-aligned through the report's CSS."""
    cls = f"report-table {css_class}".strip()
    head = "".join(
        f'<th class="{"num" if numeric[i] else "text"}">{_e(h)}</th>' for i, h in enumerate(header)
    )
    body = []
    for r, cells in enumerate(rows):
        klass = f' class="{_e(row_classes[r])}"' if row_classes and row_classes[r] else ""
        body.append(
            f"<tr{klass}>"
            + "".join(
                f'<td class="{"num" if numeric[i] else "text"}">{_e(c)}</td>'
                for i, c in enumerate(cells)
            )
            + "</tr>"
        )
    return (
        f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


# --- the page ---------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1f2328; background: #fff; margin: 0; line-height: 1.45; font-size: 14px; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-top: 8px; border-top: 1px solid #d0d7de; }
h3 { font-size: 16px; margin: 24px 0 6px; }
p, li { max-width: 860px; }
.meta { color: #59636e; margin: 0 0 12px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
dl.facts dt { color: #59636e; }
dl.facts dd { margin: 0; }
nav ol { columns: 2; margin: 4px 0; }
.glance { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 20px;
          margin-top: 24px; }
.glance h2 { border-top: none; margin-top: 12px; }
.note { color: #59636e; font-style: italic; }
.chart { margin: 12px 0; }
.chart img { max-width: 100%; height: auto; }
.row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.row > div { min-width: 0; }
.table-wrap { overflow-x: auto; margin: 8px 0; }
table.report-table { border-collapse: collapse; font-size: 12px; }
table.report-table th, table.report-table td { padding: 2px 8px; border-bottom: 1px solid #ddd; }
table.report-table th { border-bottom: 2px solid #999; }
table.report-table .num { text-align: right; font-variant-numeric: tabular-nums; }
table.report-table .text { text-align: left; }
.mlprobe-table td { font-variant-numeric: tabular-nums; }
.mlprobe-suite-result table { border-collapse: collapse; font-size: 12px; }
.mlprobe-suite-result th, .mlprobe-suite-result td { padding: 2px 8px; text-align: left;
       border-bottom: 1px solid #ddd; vertical-align: top; }
.counts { list-style: none; padding: 0; display: flex; gap: 16px; }
.counts li { padding: 2px 8px; border-radius: 4px; background: #f6f8fa; }
.few-rows { color: #999; }
.outcome-passed { color: #1a7f37; } .outcome-failed { color: #cf222e; }
.outcome-inconclusive { color: #9a6700; } .outcome-error { color: #8250df; }
.verdict { font-weight: bold; }
details { margin: 8px 0; } summary { cursor: pointer; color: #0550ae; }
code { font-size: 12px; background: #f6f8fa; padding: 0 3px; border-radius: 3px; }
footer { margin-top: 48px; color: #59636e; font-size: 12px; }
@media print { h2 { break-before: auto; } details { display: block; } .chart { break-inside: avoid; } }
"""


def render_report(content: ReportContent, *, charts: bool = True) -> str:
    """The whole report as one HTML document (text).

    ``charts=False`` leaves the charts out (tables only; no vl-convert needed).
    """
    draw: Callable[[Spec, str], str] = _draw_chart if charts else _no_chart
    facts = content.facts
    alpha = 1 - facts.confidence
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="mlprobe {_e(facts.version)}">',
        f"<title>{_e(facts.title)}</title>",
        f"<style>{CSS}</style>",
        "</head><body><main>",
        _header(content),
        _contents(content),
        _glance(content, alpha),
        _fix_first(content),
        _how_to_read(content),
        _overall(content),
    ]
    parts += [_breakdown_section(s, facts, draw) for s in content.sections]
    if content.confusions or content.worst is not None:
        parts.append(_confusion_section(content, alpha, draw))
    if content.comparison is not None:
        parts.append(_comparison_section(content.comparison, facts, draw))
    if content.suite is not None:
        parts.append(_suite_section(content.suite))
    if content.history is not None:
        parts.append(_history_section(content.history, draw))
    parts.append(
        f"<footer>Made by mlprobe {_e(facts.version)} on {_e(facts.generated)}. "
        "A self-contained file: no script, no network, charts drawn as SVG.</footer>"
    )
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _history_section(view: HistoryView, draw: Any) -> str:
    """Every recorded version's value and outcome per test, and each test's trend."""
    which = f" of suite {view.suite}" if view.suite else ""
    parts = [
        '<section id="history"><h2>History across versions</h2>',
        f"<p>Runs{_e(which)} recorded in <code>{_e(view.source)}</code>: one row per version "
        "(its latest run), in recording order.</p>",
    ]
    if view.observed.empty:
        parts.append("<p>No run recorded yet.</p></section>")
        return "".join(parts)
    parts.append("<h3>Observed value per test</h3>")
    parts.append(f'<div class="table-wrap">{frame_html(view.observed)}</div>')
    parts.append("<h3>Outcome per test</h3>")
    parts.append(f'<div class="table-wrap">{frame_html(view.outcomes)}</div>')
    for test_id, trend in view.trends.items():
        spec = trend_spec(trend, title=test_id)
        parts.append(draw(spec, f"{test_id}: observed value per recorded run"))
    if view.more:
        parts.append(
            f'<p class="note">Trends of the first {len(view.trends)} tests shown; '
            f"{view.more} more are in the tables.</p>"
        )
    parts.append("</section>")
    return "".join(parts)


def _draw_chart(spec: Spec, alt_text: str) -> str:
    return f'<div class="chart">{svg_img(chart_svg(spec), alt_text=alt_text)}</div>'


def _no_chart(spec: Spec, alt_text: str) -> str:
    return ""


def _header(content: ReportContent) -> str:
    facts = content.facts
    items = [
        ("rows", f"{facts.n_rows:,}"),
        ("task", facts.task),
        ("target", facts.target if facts.target is not None else "(given as an array)"),
        ("model" if len(facts.models) == 1 else "models", _list(facts.models)),
    ]
    if facts.classes:
        items.append(("classes", _list(facts.classes)))
    items += [
        ("metrics", ", ".join(facts.metrics)),
        ("intervals", f"{format_level(facts.confidence)} confidence"),
        ("low support", f"fewer than {facts.min_support:,} rows"),
    ]
    facts_html = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    return (
        f"<header><h1>{_e(facts.title)}</h1>"
        f'<p class="meta">Generated {_e(facts.generated)} by mlprobe {_e(facts.version)}</p>'
        f'<dl class="facts">{facts_html}</dl></header>'
    )


def _contents(content: ReportContent) -> str:
    links = [("glance", "At a glance")]
    if content.priorities is not None:
        links.append(("fix-first", "Fix first"))
    links += [("how-to-read", "How to read this"), ("overall", "Overall")]
    links += [(s.anchor, s.title) for s in content.sections]
    if content.confusions or content.worst is not None:
        links.append(("confusion", "Confusion matrices"))
    if content.comparison is not None:
        links.append(
            ("comparison", f"Comparison: {content.comparison.b} vs {content.comparison.a}")
        )
    if content.suite is not None:
        links.append(("suite", f"Suite: {content.suite.name}"))
    if content.history is not None:
        links.append(("history", "History across versions"))
    items = "".join(f'<li><a href="#{_e(a)}">{_e(t)}</a></li>' for a, t in links)
    return f"<nav><ol>{items}</ol></nav>"


def _glance(content: ReportContent, alpha: float) -> str:
    facts = content.facts
    metric = facts.metrics[0]
    several = len(facts.models) > 1
    items = []
    for record in _records(content.overall):
        who = f" ({record['model']})" if several else ""
        items.append(
            f"Overall <b>{_e(metric)}</b>{_e(who)}: {_e(_with_interval(record, metric))} "
            f"on {_count(record['n'])} rows."
        )
    if content.sections:
        items.append(_glance_slices(content, alpha))
    if content.comparison is not None and content.comparison.sections:
        items.append(_glance_comparison(content.comparison))
    if content.suite is not None:
        suite = content.suite
        counts = ", ".join(f"{suite.counts.get(k, 0)} {k}" for k in _OUTCOMES)
        verdict = "passed" if suite.passed else "did not pass"
        items.append(
            f"Suite <b>{_e(suite.name)}</b> on model {_e(suite.model)}: {_e(counts)} — "
            f'<span class="verdict outcome-{"passed" if suite.passed else "failed"}">'
            f"{verdict}</span>."
        )
    items += [_e(note) for note in content.notes]
    listed = "".join(f"<li>{item}</li>" for item in items)
    return f'<section id="glance" class="glance"><h2>At a glance</h2><ul>{listed}</ul></section>'


#: rows of the "Fix first" table
FIX_FIRST_ROWS = 5


def _fix_first(content: ReportContent) -> str:
    """The slices whose fix buys the most of the first metric on all rows, with intervals."""
    table = content.priorities
    if table is None:
        return ""
    metric = content.facts.metrics[0]
    several = len(content.facts.models) > 1
    helping = table[table["benefit"] > 0].head(FIX_FIRST_ROWS)
    intro = (
        f"<p>What each slice would buy of <b>{_e(metric)}</b> on all rows if its rows did as "
        "well as the rest's (its impact, turned the metric's better way), with its "
        f"{format_level(content.facts.confidence)} interval: the place to spend the next "
        "experiment or data collection first. Definition: docs/statistics.md, “Impact”.</p>"
    )
    if helping.empty:
        body = "<p>No slice does worse than the rest: fixing one would buy nothing.</p>"
    else:
        head = "<tr><th>slice</th>" + ("<th>model</th>" if several else "")
        head += f"<th>rows</th><th>{_e(metric)}</th><th>buys</th><th>interval</th></tr>"
        rows = "".join(
            f"<tr><td>{_e(r['slice'])}</td>"
            + (f"<td>{_e(r['model'])}</td>" if several else "")
            + f"<td>{_count(r['n'])}</td><td>{_e(_num(r['value']))}</td>"
            f"<td>{_e(_num(r['benefit'], signed=True))}</td>"
            f"<td>[{_e(_num(r['benefit_ci_low'], signed=True))}, "
            f"{_e(_num(r['benefit_ci_high'], signed=True))}]</td></tr>"
            for r in _records(helping)
        )
        body = f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>"
    return f'<section id="fix-first"><h2>Fix first</h2>{intro}{body}</section>'


def _glance_slices(content: ReportContent, alpha: float) -> str:
    """The slices clearly worse than the rest, over all sections (a slice's worst model)."""
    facts = content.facts
    metric = facts.metrics[0]
    several = len(facts.models) > 1
    flagged: dict[tuple[str, str], tuple[BreakdownSection, dict[str, Any]]] = {}
    for section in content.sections:
        for record in _records(clearly_worse(section.frame, alpha)):  # worst first
            flagged.setdefault((section.anchor, str(record["slice"])), (section, record))
    ranked = sorted(flagged.values(), key=lambda pair: -float(pair[1]["_worse"]))
    if not ranked:
        return (
            f"No slice is clearly worse than the rest on <b>{_e(metric)}</b> "
            f"(q &lt; {format_plain(alpha)} with at least {facts.min_support:,} rows)."
        )
    shown = "".join(
        f"<li>{_e(record['slice'])}{_e(' (' + str(record['model']) + ')' if several else '')}"
        f": {_e(_with_interval(record, metric))}, worse than the rest by "
        f"{_e(_num(record['_worse']))} (q = {_e(_q(record['q_value']))}, "
        f"{_count(record['n'])} rows) — {_e(section.title)}</li>"
        for section, record in ranked[:5]
    )
    count = len(ranked)
    which = " (the 5 worst below)" if count > 5 else ""
    return (
        f"{count} slice{'s' if count != 1 else ''} clearly worse than the rest on "
        f"<b>{_e(metric)}</b>{' for at least one model' if several else ''} "
        f"(q &lt; {format_plain(alpha)}, at least {facts.min_support:,} rows){which}:"
        f"<ul>{shown}</ul>"
    )


def _glance_comparison(comparison: ComparisonView) -> str:
    """The overall change and how many slices regressed or improved."""
    verdicts: dict[str, int] = {}
    for part in comparison.sections:
        rows = part.frame[~overall_rows(part.frame)]
        for verdict, count in rows["verdict"].astype(str).value_counts().items():
            verdicts[str(verdict)] = verdicts.get(str(verdict), 0) + int(count)
    first = comparison.sections[0].frame
    row = first[overall_rows(first)].iloc[0]
    summary = (
        f"<b>{_e(comparison.b)}</b> vs <b>{_e(comparison.a)}</b> on {_e(comparison.metric)}: "
        f"overall {_num(row['delta'], signed=True)} "
        f"{_interval(row['delta_ci_low'], row['delta_ci_high'], signed=True)}, "
        f"{_e(row['verdict'])}"
    )
    if verdicts:
        summary += "; slices: " + ", ".join(
            f"{verdicts[v]} {_e(v)}" for v in _VERDICT_RANK if verdicts.get(v)
        )
    return summary + "."


def _how_to_read(content: ReportContent) -> str:
    facts = content.facts
    alpha = 1 - facts.confidence
    first = facts.metrics[0]
    text = (
        f"Every metric comes with a {format_level(facts.confidence)} interval: the range of "
        "values the data support given how many rows the slice has. A wide interval means few "
        "rows, so read the interval, not just the number. <b>gap</b> is the first metric "
        f"(<b>{_e(first)}</b>) on the slice minus on all other rows. <b>q</b> is the p-value of "
        "that gap, adjusted (Benjamini–Hochberg) for the number of slices in the table: below "
        f"{format_plain(alpha)}, a gap this large is unlikely to be chance; above it, the "
        f"difference may be noise. Slices with fewer than {facts.min_support:,} rows are greyed "
        "and flagged <i>few rows</i>: their numbers are shown but should not be trusted. "
        "Tables list the worst slices first. In the charts a dot is the value, its bar the "
        "interval, and the dashed line the overall value; faint dots have few rows."
    )
    if len(facts.models) > 1:
        text += (
            " In the comparison, <b>delta</b> is the second model minus the first on the same "
            "rows, tested as a paired difference; its verdict is <i>improved</i> or "
            f"<i>regressed</i> when q &lt; {format_plain(alpha)}, else <i>no detectable change</i>."
        )
    return f'<section id="how-to-read"><h2>How to read this</h2><p>{text}</p></section>'


def _metrics_table(frame: pd.DataFrame, metrics: Sequence[str], *, label: str | None) -> str:
    """Every metric as "value [low, high]", one row per (slice and) model."""
    several = frame["model"].nunique() > 1
    header = ([label] if label else []) + (["model"] if several or not label else [])
    header += ["n", *metrics]
    numeric = [False] * (len(header) - 1 - len(metrics)) + [True] * (1 + len(metrics))
    rows, classes = [], []
    for record in _records(frame):
        cells = [str(record["slice"])] if label else []
        cells += [str(record["model"])] if several or not label else []
        cells += [_count(record["n"])] + [_with_interval(record, m) for m in metrics]
        rows.append(cells)
        classes.append("few-rows" if record.get("low_support", False) else "")
    return _table(header, rows, numeric=numeric, row_classes=classes)


def _overall(content: ReportContent) -> str:
    table = _metrics_table(content.overall, content.facts.metrics, label=None)
    return (
        '<section id="overall"><h2>Overall</h2><p>Every metric on all '
        f"{content.facts.n_rows:,} rows, per model.</p>"
        f'<div class="table-wrap">{table}</div></section>'
    )


def _chart_rows(frame: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, int]:
    """The overall rows and those of the worst ``MAX_CHART_SLICES`` slices; the slice count."""
    ordered = sort_breakdown(frame, metric, "worst")
    names = list(pd.unique(ordered["slice"][~overall_rows(ordered)].astype(str)))
    keep = overall_rows(frame) | frame["slice"].astype(str).isin(names[:MAX_CHART_SLICES])
    shown = frame[keep]
    shown.attrs = dict(frame.attrs)
    return shown, len(names)


def _breakdown_section(section: BreakdownSection, facts: ReportFacts, draw: Any) -> str:
    frame = section.frame
    metric = _first_metric(frame)
    metrics = list(frame.attrs.get("metrics", [metric]))
    n_slices = int((~overall_rows(frame)).sum() / max(1, frame["model"].nunique()))
    parts = [f'<section id="{_e(section.anchor)}"><h2>{_e(section.title.capitalize())}</h2>']
    alpha = 1 - facts.confidence
    worse = clearly_worse(frame, alpha)
    summary = (
        f"{n_slices:,} slice{'s' if n_slices != 1 else ''}; "
        f"{len(worse)} clearly worse than the rest on {metric} (q < {format_plain(alpha)})."
    )
    parts.append(f"<p>{_e(summary)}</p>")
    chart_frame, total = _chart_rows(frame, metric)
    spec = breakdown_spec(chart_frame, metric)
    by = section.title.startswith("by ")
    spec["title"] = f"{metric} {section.title}" if by else f"{metric}: {section.title}"
    caption = (
        f"{metric} {section.title}: value and {format_level(facts.confidence)} interval per slice"
    )
    parts.append(draw(spec, caption))
    if total > MAX_CHART_SLICES:
        parts.append(
            f'<p class="note">The chart shows the {MAX_CHART_SLICES} worst of {total:,} slices; '
            "the table has them all.</p>"
        )
    parts.append(f"<h3>{_e(metric)}, worst first</h3>")
    parts.append(
        f'<div class="table-wrap">{breakdown_html(frame, metric, sort="worst", max_rows=MAX_TABLE_ROWS)}</div>'
    )
    if len(frame) > MAX_TABLE_ROWS:
        parts.append(
            f'<p class="note">Showing the first {MAX_TABLE_ROWS} of {len(frame):,} rows '
            "(worst first).</p>"
        )
    if section.disparity is not None and len(section.disparity):
        parts.append(_disparity_block(section.disparity, facts))
    if len(metrics) > 1:
        ordered = sort_breakdown(frame, metric, "worst").head(MAX_TABLE_ROWS)
        parts.append(
            f"<details><summary>All metrics ({_e(', '.join(metrics))})</summary>"
            f'<div class="table-wrap">{_metrics_table(ordered, metrics, label="slice")}</div>'
            "</details>"
        )
    parts.append("</section>")
    return "".join(parts)


def _disparity_block(disparity: pd.DataFrame, facts: ReportFacts) -> str:
    """The largest gaps between the section's groups: a sentence each, then the table."""
    sentences = "".join(
        f"<li>{_e(disparity_sentence(record, confidence=facts.confidence))}</li>"
        for record in disparity.to_dict("records")
    )
    return (
        "<h3>Disparity between groups</h3>"
        f"<ul>{sentences}</ul>"
        f'<div class="table-wrap">{disparity_html(disparity)}</div>'
        '<p class="note">Intervals hold the true largest gap with at least the stated '
        "confidence, simultaneously over the groups; groups under min_support are not "
        "compared.</p>"
    )


def _confusion_table(counts: pd.DataFrame) -> str:
    """Counts with each cell's share of its true class: "1,234 (56.7%)"."""
    values = counts.to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = values / values.sum(axis=1, keepdims=True)
    labels = [str(c) for c in counts.columns]
    header = ["true \\ predicted", *labels, "rows"]
    rows = []
    for i, label in enumerate(counts.index):
        cells = [str(label)]
        for j in range(len(labels)):
            share = "" if _isnan(shares[i, j]) else f" ({format_share(shares[i, j])})"
            cells.append(f"{_count(values[i, j])}{share}")
        cells.append(_count(values[i].sum()))
        rows.append(cells)
    return _table(header, rows, numeric=[False] + [True] * (len(labels) + 1), css_class="confusion")


def _confusion_block(view: ConfusionView, draw: Any) -> str:
    parts = [f"<div><h3>{_e(view.title)}</h3>"]
    if len(view.counts.columns) <= MAX_CONFUSION_CLASSES:
        parts.append(draw(confusion_spec(view.counts, title=view.title), f"heatmap: {view.title}"))
    parts.append(f'<div class="table-wrap">{_confusion_table(view.counts)}</div></div>')
    return "".join(parts)


def _confusion_section(content: ReportContent, alpha: float, draw: Any) -> str:
    parts = [
        '<section id="confusion"><h2>Confusion matrices</h2>'
        "<p>Rows are the true classes, columns the predicted ones; each cell gives the rows and, "
        "in brackets, their share of the true class (the diagonal is each class's recall).</p>"
    ]
    if content.confusions:
        parts.append('<div class="row">')
        parts += [_confusion_block(v, draw) for v in content.confusions]
        parts.append("</div>")
    worst = content.worst
    if worst is not None:
        several = len(content.facts.models) > 1
        who = f" under model {worst.model}" if several else ""
        noise = (
            "" if worst.q_value < alpha else f" With q = {_q(worst.q_value)} this gap may be noise."
        )
        text = (
            f"The worst slice of this report on {worst.metric}{who}: {worst.slice} "
            f"({worst.section}, {worst.n:,} rows), at {_num(worst.value)}, worse than the rest "
            f"by {_num(worst.gap)} (q = {_q(worst.q_value)}).{noise}"
        )
        parts.append(f'<h3 id="worst-slice">Worst slice</h3><p>{_e(text)}</p><div class="row">')
        parts += [_confusion_block(v, draw) for v in worst.confusions]
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def _sorted_comparison(frame: pd.DataFrame) -> pd.DataFrame:
    """Overall first, then regressions, improvements, no change, too few rows (by q within)."""
    is_overall = overall_rows(frame)
    body = frame[~is_overall]
    rank = body["verdict"].astype(str).map(_VERDICT_RANK).fillna(len(_VERDICT_RANK))
    order = (
        pd.DataFrame({"rank": rank, "q": body["q_value"].astype(float)})
        .sort_values(["rank", "q"], kind="stable", na_position="last")
        .index
    )
    out = pd.concat([frame[is_overall], body.loc[order]])
    out.attrs = dict(frame.attrs)
    return out


def _comparison_section(view: ComparisonView, facts: ReportFacts, draw: Any) -> str:
    parts = [
        f'<section id="comparison"><h2>Comparison: {_e(view.b)} vs {_e(view.a)}</h2>'
        f"<p>Model <b>{_e(view.b)}</b> (the last) against <b>{_e(view.a)}</b> (the first) on "
        f"{_e(view.metric)}, on the same rows: delta is {_e(view.b)} minus {_e(view.a)} with its "
        f"{format_level(facts.confidence)} interval and a paired test.</p>"
    ]
    for section in view.sections:
        frame = _sorted_comparison(section.frame)
        parts.append(f"<h3>{_e(section.title.capitalize())}</h3>")
        if section.note:
            parts.append(f'<p class="note">{_e(section.note)}</p>')
        shown = frame.head(MAX_CHART_SLICES + 1)
        shown.attrs = dict(frame.attrs)
        parts.append(
            draw(
                compare_spec(shown),
                f"change in {view.metric}, {view.b} vs {view.a}, {section.title}",
            )
        )
        parts.append(f'<div class="table-wrap">{compare_html(frame.head(MAX_TABLE_ROWS))}</div>')
        if len(frame) > MAX_TABLE_ROWS:
            parts.append(
                f'<p class="note">Showing the first {MAX_TABLE_ROWS} of {len(frame):,} rows.</p>'
            )
    if view.flips is not None:
        flips = view.flips
        header = [f"{view.a} \\ {view.b}", *[str(c) for c in flips.columns]]
        rows = [
            [str(label), *[_count(v) for v in values]]
            for label, values in zip(flips.index, flips.to_numpy(), strict=True)
        ]
        parts.append(
            "<h3>Rows that flipped</h3><p>All rows, right or wrong under each model.</p>"
            + _table(header, rows, numeric=[False] + [True] * len(flips.columns))
        )
    parts.append("</section>")
    return "".join(parts)


def _suite_section(view: SuiteView) -> str:
    counts = "".join(
        f'<li class="outcome-{k}">{k}: <b>{view.counts.get(k, 0)}</b></li>' for k in _OUTCOMES
    )
    verdict = "passed" if view.passed else "did not pass (a test failed or errored)"
    # a group test's metric reads "fpr difference" (or ratio), its slice "by race"; its
    # threshold is an upper bound on the difference, a lower bound on the ratio
    header = [
        "test",
        "outcome",
        "metric",
        "observed",
        "interval",
        "threshold",
        "n",
        "model",
        "slice or groups",
    ]
    rows = [
        [
            str(r["id"]),
            str(r["outcome"]),
            str(r["metric"]),
            _num(r["observed"]),
            _interval(r["ci_low"], r["ci_high"]),
            _num(r["threshold"]),
            _count(r["n"]),
            "" if r["model"] is None else str(r["model"]),
            str(r.get("slice") or ""),
        ]
        for r in _records(view.outcomes)
    ]
    numeric = [False, False, False, True, True, True, True, False, False]
    classes = [f"outcome-{r['outcome']}" for r in _records(view.outcomes)]
    return (
        f'<section id="suite"><h2>Suite: {_e(view.name)}</h2>'
        f"<p>{_e(view.model_note)}</p>"
        f'<ul class="counts">{counts}</ul>'
        f'<p>The suite <span class="verdict outcome-{"passed" if view.passed else "failed"}">'
        f"{_e(verdict)}</span>.</p>"
        f"{view.result_html}"
        "<details><summary>Observed values</summary>"
        f'<div class="table-wrap">{_table(header, rows, numeric=numeric, row_classes=classes)}'
        "</div></details></section>"
    )
