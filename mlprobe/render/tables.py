"""HTML tables of breakdowns, comparisons and rows: readable with or without a kernel.

Every value is escaped; the styling is inline so that a table pasted into a
report or a notebook output looks the same everywhere.

Examples
--------
>>> import pandas as pd
>>> import mlprobe as mp
>>> df = pd.DataFrame({"g": list("aabbbb"), "y": [1, 0, 1, 1, 0, 0], "p": [1, 1, 1, 0, 0, 0]})
>>> table = mp.Probe(df, target="y", predictions="p").breakdown(by="g", metrics=["accuracy"])
>>> html = breakdown_html(table)
>>> html.count("<tr"), "few rows" in html
(4, True)
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Literal

import pandas as pd

from mlprobe.core.analyses.breakdown import overall_rows
from mlprobe.core.number_format import (
    format_interval,
    format_level,
    format_number,
    format_points,
    format_q,
    format_q_phrase,
    format_share,
)
from mlprobe.errors import ValidationError, did_you_mean

__all__ = [
    "HELP",
    "SORT_ORDERS",
    "Cell",
    "badness",
    "breakdown_html",
    "compare_html",
    "format_interval",
    "format_number",
    "format_points",
    "format_q",
    "format_q_phrase",
    "format_share",
    "frame_html",
    "slice_order",
    "sort_breakdown",
    "table_metric",
]

SortOrder = Literal["worst", "best", "largest", "smallest", "gap", "impact", "name", "as given"]
SORT_ORDERS: tuple[str, ...] = (
    "worst",
    "best",
    "largest",
    "smallest",
    "gap",
    "impact",
    "name",
    "as given",
)
_OVERALL = "overall"

TABLE_STYLE = "border-collapse:collapse;font-size:12px;font-family:sans-serif;"
CELL_STYLE = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:{align};"
HEAD_STYLE = "padding:2px 8px;border-bottom:2px solid #999;text-align:{align};"
SELECTED_STYLE = "background:#fff3c4;"
FAINT_STYLE = "color:#999;"


def bare(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its ``attrs`` (a view of the same data).

    pandas deep-copies ``attrs`` into every frame and series derived from a
    frame; a breakdown's attrs hold its slices, so drawing strips them first.
    """
    view = frame.copy(deep=False)
    view.attrs = {}
    return view


def table_metric(frame: pd.DataFrame, metric: str | None) -> str:
    """The metric a view of ``frame`` shows: ``metric``, checked, or the table's first."""
    metrics = list(frame.attrs.get("metrics", []))
    if not metrics:
        metrics = [c[: -len("_ci_low")] for c in frame.columns if c.endswith("_ci_low")]
    if not metrics:
        raise ValidationError(
            "expected a table from Probe.breakdown (with m, m_ci_low, m_ci_high columns); "
            f"received the columns {list(frame.columns)}."
        )
    if metric is None:
        return metrics[0]
    if metric not in metrics:
        raise ValidationError(
            f"metric {metric!r} is not in this breakdown.{did_you_mean(metric, metrics)}"
            f" Its metrics: {metrics}."
        )
    return metric


def badness(frame: pd.DataFrame, metric: str) -> pd.Series:
    """Larger is worse: the metric's value turned so that sorting puts failures first."""
    direction = frame.attrs.get("directions", {}).get(metric, {})
    values = bare(frame)[metric].astype(float)
    ideal = direction.get("ideal")
    if ideal is not None:
        return (values - ideal).abs()
    higher = direction.get("higher_is_better", True)
    if higher is None:  # no better direction (a selection rate): furthest from all rows first
        plain = bare(frame)
        on_all = plain[overall_rows(plain)].groupby("model", sort=False)[metric].first()
        reference = plain["model"].map(on_all).astype(float) if len(on_all) else values.mean()
        return (values - reference).abs()
    return values if higher is False else -values


def sort_breakdown(
    frame: pd.DataFrame, metric: str | None = None, by: str = "worst"
) -> pd.DataFrame:
    """The breakdown's slice rows in display order, the ``overall`` rows kept first.

    ``by``: "worst" (failures first; undefined values last), "best",
    "largest"/"smallest" (rows), "gap" (most negative gap first), "impact" (fix first: the
    slice whose fix would improve the first metric on all rows most), "name", or "as given".
    """
    if by not in SORT_ORDERS:
        raise ValidationError(f"sort: expected one of {list(SORT_ORDERS)}; received {by!r}.")
    metric = table_metric(frame, metric)
    if by == "as given":
        return frame
    key = badness(frame, metric)
    attrs, frame = frame.attrs, bare(frame)
    is_overall = pd.Series(overall_rows(frame), index=frame.index)
    head, body = frame[is_overall], frame[~is_overall]
    key = key[~is_overall]
    if by in ("worst", "best"):
        order = key.sort_values(ascending=by == "best", na_position="last", kind="stable").index
    elif by in ("largest", "smallest"):
        order = body["n"].sort_values(ascending=by == "smallest", kind="stable").index
    elif by == "gap":
        order = body["gap"].sort_values(na_position="last", kind="stable").index
    elif by == "impact":
        first = attrs.get("metrics", [metric])[0]
        higher = attrs.get("directions", {}).get(first, {}).get("higher_is_better", True)
        impact = body["impact"].astype(float)
        # no better direction (a selection rate): the largest move of the overall value first
        benefit = impact.abs() if higher is None else impact if higher else -impact
        order = benefit.sort_values(ascending=False, na_position="last", kind="stable").index
    else:
        order = body["slice"].astype(str).sort_values(kind="stable").index
    ordered = pd.concat([head, body.loc[order]])
    ordered.attrs = attrs
    return ordered


#: tooltips of the column headers (what the numbers mean)
HELP = {
    "n": "rows in the slice",
    "share": "the slice's share of all rows",
    "interval": "{level} confidence interval of the value",
    "gap": (
        "gap: the slice's value minus the value on the rest of the rows (all rows outside "
        "the slice)"
    ),
    "q": (
        "q: Benjamini–Hochberg q-value of the test 'slice differs from the rest', over the "
        "table's slices (per model): the expected share of false findings among slices with "
        "this q or lower. Slices under min_support are not tested."
    ),
    "impact": (
        "impact: how much {metric} on all rows would change if this slice did as well as the "
        "rest (hover a value for its interval)"
    ),
    "benefit": "the impact turned the metric's better way: what fixing the slice would gain",
    "excess_errors": (
        "excess_errors: the slice's wrong predictions beyond the rest's error rate (rounded)"
    ),
    "score": "SliceLine's score of the slice (error against size, weighted by alpha)",
    "also": "overlapping slices folded into this one",
    "difference": (
        "the largest value among the groups minus the smallest; its interval holds the true "
        "difference with at least the stated confidence (simultaneous over the groups)"
    ),
    "ratio": "the smallest value among the groups over the largest (1: no disparity)",
    "p": "p-value of the test that the groups share one value (no disparity at all)",
    "excluded": "groups not compared: too few rows (min_support) or the metric undefined there",
    "few rows": "fewer rows than min_support: the value is shown but not tested (no q-value)",
    "delta": "{b} minus {a}",
    "verdict": (
        "improved / regressed when the change is significant after Benjamini–Hochberg over "
        "the table's slices; otherwise no detectable change"
    ),
    "by construction": (
        "defined by {model}'s own predictions (it fixes @prediction): its gap holds by "
        "construction, so it is not tested against the rest (no q-value)"
    ),
    "@target": "the true label (or value)",
    "@prediction": "the model's prediction",
    "@correct": "whether the prediction equals the true label",
    "@score": "the probability the model gave to its predicted class",
    "@error": "prediction minus target",
}
#: a long slice name is cut to this width (the full name shows on hover)
SLICE_WIDTH = "260px"
NOWRAP = "white-space:nowrap;"
ELLIPSIS = f"max-width:{SLICE_WIDTH};overflow:hidden;text-overflow:ellipsis;white-space:nowrap;"
BADGE = "⚑"


@dataclass(frozen=True)
class Cell:
    """A table cell (or header): escaped ``text``, an optional tooltip and extra style.

    ``badge`` is a short mark drawn before the text, with ``badge_title`` on hover;
    ``css_class`` names the cell for style sheets (e.g. a column a narrow view hides).
    """

    text: str
    title: str = ""
    style: str = ""
    badge: str = ""
    badge_title: str = ""
    css_class: str = ""

    def html(self, tag: str, base_style: str) -> str:
        title = f' title="{escape(self.title)}"' if self.title else ""
        if self.css_class:
            title += f' class="{escape(self.css_class)}"'
        badge = (
            f'<span class="mlprobe-badge" title="{escape(self.badge_title)}" '
            f'style="color:#b15c00">{escape(self.badge)}</span> '
            if self.badge
            else ""
        )
        return f'<{tag}{title} style="{base_style}{self.style}">{badge}{escape(self.text)}</{tag}>'


def _cell(value: str | Cell) -> Cell:
    return value if isinstance(value, Cell) else Cell(value)


def _table(
    header: Sequence[str | Cell],
    rows: Sequence[Sequence[str | Cell]],
    *,
    numeric: Sequence[bool],
    row_styles: Sequence[str] | None = None,
    row_classes: Sequence[str] | None = None,
    row_titles: Sequence[str] | None = None,
    css_class: str = "mlprobe-table",
    caption: str | None = None,
    sticky_header: bool = False,
) -> str:
    def align(i: int) -> str:
        return "right" if numeric[i] else "left"

    parts = [f'<table class="{css_class}" style="{TABLE_STYLE}">']
    if caption:
        parts.append(
            f'<caption style="text-align:left;font-weight:bold">{escape(caption)}</caption>'
        )
    sticky = "position:sticky;top:0;background:#fff;" if sticky_header else ""
    parts.append(
        "<thead><tr>"
        + "".join(
            _cell(h).html("th", HEAD_STYLE.format(align=align(i)) + NOWRAP + sticky)
            for i, h in enumerate(header)
        )
        + "</tr></thead><tbody>"
    )
    for r, cells in enumerate(rows):
        style = row_styles[r] if row_styles else ""
        klass = f' class="{row_classes[r]}"' if row_classes and row_classes[r] else ""
        if row_titles and row_titles[r]:
            klass += f' title="{escape(row_titles[r])}"'
        parts.append(
            f'<tr{klass} style="{style}">'
            + "".join(
                _cell(c).html(
                    "td", CELL_STYLE.format(align=align(i)) + (NOWRAP if numeric[i] else "")
                )
                for i, c in enumerate(cells)
            )
            + "</tr>"
        )
    parts.append("</tbody></table>")
    return "".join(parts)


def slice_order(
    frame: pd.DataFrame, metric: str | None = None, by: str = "worst", *, model: str | None = None
) -> list[str]:
    """Slice names in display order, each once; the overall rows (told by their
    ``is_overall`` flag, so a slice may be named "overall") are not in it: tables
    show them first.

    With several models, ``model`` decides the order (its values, its gaps);
    without it a slice comes where its first row falls in :func:`sort_breakdown`.
    Tables and charts of one view use this order, so they list slices alike.
    """
    metric = table_metric(frame, metric)
    if model is not None:
        mine = frame["model"].astype(str) == str(model)
        if mine.any():
            attrs = frame.attrs
            frame = frame[mine.to_numpy()]
            frame.attrs = attrs
    ordered = bare(sort_breakdown(frame, metric, by))
    ordered = ordered[~overall_rows(ordered)]
    return list(dict.fromkeys(ordered["slice"].astype(str)))


def breakdown_html(
    frame: pd.DataFrame,
    metric: str | None = None,
    *,
    sort: str = "as given",
    selected: str | None = None,
    max_rows: int = 500,
    order: Sequence[str] | None = None,
    model: str | None = None,
    max_height: str | None = None,
    per_slice: bool = False,
) -> str:
    """A breakdown as an HTML table: n, share, the metric with its interval, gap, q-value.

    With several models the table has a row per slice and model (a
    ``model`` column), or with ``per_slice`` one row per slice: each model's
    value and interval side by side (with their difference when there are
    two), ``gap`` and ``q`` those of ``model`` (of every model when None).
    Rows follow
    ``order`` (slice names), else :func:`slice_order` for ``sort`` (and
    ``model``). Slices under ``min_support`` are greyed and flagged "few
    rows"; the ``selected`` slice is highlighted; long names are cut with the
    full name on hover. With ``max_height`` (CSS, e.g. ``"360px"``) the
    table scrolls inside a box of that height instead of growing the page.

    The ``own_predictions`` column (bool, set by the breakdown) marks rows whose
    slice is defined by that model's own predictions: their q-value is not shown.
    """
    metric = table_metric(frame, metric)
    confidence = frame.attrs.get("confidence", 0.95)
    data = bare(frame)
    models = list(dict.fromkeys(data["model"].astype(str)))
    if model is not None and str(model) not in models:
        raise ValidationError(
            f"model: {model!r} is not in this breakdown.{did_you_mean(str(model), models)}"
            f" Its models: {models}."
        )
    if len(models) > 1 and not per_slice:
        return _scrolling(_breakdown_rows(frame, metric, sort, selected, max_rows), max_height)
    if order is None:
        order = slice_order(frame, metric, sort, model=model)
    # rows are keyed by slice name, the overall rows apart (a slice may be named "overall")
    records: dict[str, dict[str, dict[Hashable, Any]]] = {}
    overall: dict[str, dict[Hashable, Any]] = {}
    for record, is_overall in zip(data.to_dict("records"), overall_rows(data), strict=True):
        into = overall if is_overall else records.setdefault(str(record["slice"]), {})
        into[str(record["model"])] = record
    names = [str(name) for name in order if str(name) in records]
    names += [name for name in records if name not in set(names)]
    keyed = [(True, _OVERALL)] if overall else []
    keyed += [(False, name) for name in dict.fromkeys(names)]

    several = len(models) > 1
    tested = models if model is None else [str(model)]
    interval_help = HELP["interval"].format(level=format_level(confidence))
    header: list[str | Cell] = [Cell("slice"), Cell("n", HELP["n"])]
    if not several:
        header.append(Cell("share", HELP["share"]))
    for name in models:
        label = f"{metric} {name}" if several else metric
        header += [Cell(label), Cell(f"{format_level(confidence)} interval", interval_help)]
    if len(models) == 2:
        a, b = models
        header.append(Cell(f"Δ {b} − {a}", HELP["delta"].format(a=a, b=b)))
    impact = impact_header(frame, metric)
    for name in tested:
        suffix = f" {name}" if several else ""
        header.append(Cell(f"gap{suffix}", HELP["gap"]))
        if impact is not None:
            header.append(Cell(f"{impact.text}{suffix}", impact.title, css_class=IMPACT_CLASS))
        header.append(Cell(f"q{suffix}", HELP["q"]))
    header.append(Cell(""))
    numeric = [False] + [True] * (len(header) - 2) + [False]

    rows, styles, classes = [], [], []
    for is_overall, name in keyed[:max_rows]:
        by_model = overall if is_overall else records[name]
        first = next(iter(by_model.values()))
        sizes = [int(by_model[m]["n"]) for m in models if m in by_model]
        n_text = (
            format_number(sizes[0])
            if len(set(sizes)) == 1
            else " / ".join(format_number(n) for n in sizes)
        )
        own = [m for m in models if m in by_model and bool(by_model[m].get("own_predictions"))]
        badge_title = "; ".join(HELP["by construction"].format(model=m) for m in own)
        cells: list[str | Cell] = [
            Cell(
                name,
                title=name,
                style=ELLIPSIS,
                badge=BADGE if own else "",
                badge_title=badge_title,
            ),
            Cell(n_text, title=f"{format_share(first['share'])} of all rows"),
        ]
        if not several:
            cells.append(format_share(first["share"]))
        values = []
        for m in models:
            record = by_model.get(m, {})
            value = record.get(metric, float("nan"))
            values.append(value)
            cells += [
                format_number(value),
                format_interval(
                    record.get(f"{metric}_ci_low", float("nan")),
                    record.get(f"{metric}_ci_high", float("nan")),
                ),
            ]
        if len(models) == 2:
            cells.append(format_number(values[1] - values[0], signed=True))
        for m in tested:
            record = by_model.get(m, {})
            cells.append(format_number(record.get("gap", float("nan")), signed=True))
            if impact is not None:
                cells.append(impact_cell(record, confidence))
            if m in own:
                cells.append(Cell("–", title=HELP["by construction"].format(model=m)))
            else:
                cells.append(format_q(record.get("q_value", float("nan"))))
        few = any(bool(r.get("low_support", False)) for r in by_model.values())
        cells.append(Cell("few rows", HELP["few rows"]) if few else "")
        rows.append(cells)
        style = FAINT_STYLE if few else ""
        if is_overall:
            style += "font-weight:bold;"
        is_selected = selected is not None and name == selected and not is_overall
        if is_selected:
            style += SELECTED_STYLE
        styles.append(style)
        classes.append("mlprobe-selected" if is_selected else "")
    table = _table(
        header,
        rows,
        numeric=numeric,
        row_styles=styles,
        row_classes=classes,
        sticky_header=max_height is not None,
        css_class="mlprobe-table mlprobe-several-models" if several else "mlprobe-table",
    )
    return _scrolling(table, max_height)


#: the class of the impact column's cells: a narrow view may hide them (the sort stays)
IMPACT_CLASS = "mlprobe-impact"


def impact_header(frame: pd.DataFrame, metric: str) -> Cell | None:
    """The header of a breakdown's ``impact`` column (None when the frame has none).

    The impact is that of the breakdown's first metric; named so when ``metric``,
    the one the table shows, is another.
    """
    if "impact" not in frame.columns:
        return None
    first = str(frame.attrs.get("metrics", [metric])[0])
    label = "impact" if first == metric else f"impact ({first})"
    return Cell(label, HELP["impact"].format(metric=first), css_class=IMPACT_CLASS)


def impact_cell(record: Mapping[Hashable, Any], confidence: float = 0.95) -> Cell:
    """A row's impact, signed, with its ``confidence`` interval on hover."""
    low = record.get("impact_ci_low", float("nan"))
    high = record.get("impact_ci_high", float("nan"))
    interval = format_interval(low, high, signed=True)
    return Cell(
        format_number(record.get("impact", float("nan")), signed=True),
        title="" if interval == "–" else f"{format_level(confidence)} interval {interval}",
        css_class=IMPACT_CLASS,
    )


def _scrolling(table: str, max_height: str | None) -> str:
    """``table`` in a box that scrolls past ``max_height`` (CSS length), or as it is."""
    if max_height is None:
        return table
    return (
        f'<div class="mlprobe-table-scroll" style="max-height:{escape(max_height)};'
        f'overflow:auto;max-width:100%">{table}</div>'
    )


def _breakdown_rows(
    frame: pd.DataFrame, metric: str, sort: str, selected: str | None, max_rows: int
) -> str:
    """A breakdown of several models, a row per slice and model (the report's layout)."""
    confidence = frame.attrs.get("confidence", 0.95)
    impact = impact_header(frame, metric)
    shown = bare(sort_breakdown(frame, metric, sort)).head(max_rows)
    header: list[str | Cell] = [
        Cell("slice"),
        Cell("model"),
        Cell("n", HELP["n"]),
        Cell("share", HELP["share"]),
        Cell(metric),
        Cell(
            f"{format_level(confidence)} interval",
            HELP["interval"].format(level=format_level(confidence)),
        ),
        Cell("gap", HELP["gap"]),
        *([impact] if impact is not None else []),
        Cell("q", HELP["q"]),
        Cell(""),
    ]
    numeric = [False, False] + [True] * (len(header) - 3) + [False]
    rows: list[list[str | Cell]] = []
    styles: list[str] = []
    classes: list[str] = []
    for record in shown.to_dict("records"):
        name, few = str(record["slice"]), bool(record.get("low_support", False))
        own = bool(record.get("own_predictions", False))
        help_own = HELP["by construction"].format(model=record["model"])
        rows.append(
            [
                Cell(
                    name,
                    title=name,
                    style=ELLIPSIS,
                    badge=BADGE if own else "",
                    badge_title=help_own,
                ),
                str(record["model"]),
                format_number(int(record["n"])),
                format_share(record["share"]),
                format_number(record[metric]),
                format_interval(record[f"{metric}_ci_low"], record[f"{metric}_ci_high"]),
                format_number(record.get("gap", float("nan")), signed=True),
                *([impact_cell(record, confidence)] if impact is not None else []),
                Cell("–", title=help_own) if own else format_q(record.get("q_value", float("nan"))),
                Cell("few rows", HELP["few rows"]) if few else "",
            ]
        )
        style = FAINT_STYLE if few else ""
        if record.get("is_overall", name == _OVERALL):
            style += "font-weight:bold;"
        is_selected = selected is not None and name == selected
        if is_selected:
            style += SELECTED_STYLE
        styles.append(style)
        classes.append("mlprobe-selected" if is_selected else "")
    return _table(header, rows, numeric=numeric, row_styles=styles, row_classes=classes)


def compare_html(frame: pd.DataFrame, *, selected: str | None = None) -> str:
    """A model comparison (``Probe.compare``) as an HTML table, verdicts spelt out."""
    a, b = frame.attrs.get("models", ("a", "b"))
    confidence = frame.attrs.get("confidence", 0.95)
    frame = bare(frame)
    metric = str(frame["metric"].iloc[0]) if len(frame) else "metric"
    header = [
        Cell("slice"),
        Cell("n", HELP["n"]),
        Cell(f"{metric} {a}"),
        Cell(f"{metric} {b}"),
        Cell("delta", HELP["delta"].format(a=a, b=b)),
        Cell("interval", f"{format_level(confidence)} confidence interval of the delta"),
        Cell("q", HELP["q"]),
        Cell("verdict", HELP["verdict"]),
    ]
    numeric = [False, True, True, True, True, True, True, False]
    rows: list[list[str | Cell]] = []
    styles: list[str] = []
    for record in frame.to_dict("records"):
        low, high = record["delta_ci_low"], record["delta_ci_high"]
        name = str(record["slice"])
        rows.append(
            [
                Cell(name, title=name, style=ELLIPSIS),
                format_number(int(record["n"])),
                format_number(record["value_a"]),
                format_number(record["value_b"]),
                format_number(record["delta"], signed=True),
                format_interval(low, high, signed=True),
                format_q(record["q_value"]),
                str(record["verdict"]),
            ]
        )
        colour = {"regressed": "color:#b2182b;", "improved": "color:#2166ac;"}
        style = colour.get(str(record["verdict"]), "")
        if selected is not None and name == selected:
            style += SELECTED_STYLE
        styles.append(style)
    return _table(header, rows, numeric=numeric, row_styles=styles)


def frame_html(frame: pd.DataFrame, *, index: bool = True, caption: str | None = None) -> str:
    """Any small DataFrame (a confusion matrix, flips, rows) as an escaped HTML table.

    The probe's own columns (``@target``, ``@score``, ...) explain themselves on hover.
    """
    frame = bare(frame)
    index_name = " / ".join(str(n) for n in frame.index.names if n is not None)
    columns_name = frame.columns.name
    corner = " \\ ".join(x for x in (index_name, str(columns_name or "")) if x)
    names = [str(c) for c in frame.columns]
    header: list[str | Cell] = [Cell(corner)] if index else []
    header += [Cell(n, HELP[n]) if n.startswith("@") and n in HELP else Cell(n) for n in names]
    numeric = ([False] if index else []) + [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        for c in frame.columns
    ]
    rows = []
    for label, values in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = [format_number(v) if not isinstance(v, str) else v for v in values]
        rows.append(([str(label)] if index else []) + cells)
    return _table(header, rows, numeric=numeric, caption=caption)
