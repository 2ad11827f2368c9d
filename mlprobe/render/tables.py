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

import math
from collections.abc import Sequence
from html import escape
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlprobe.errors import ValidationError, did_you_mean

__all__ = [
    "SORT_ORDERS",
    "badness",
    "breakdown_html",
    "compare_html",
    "frame_html",
    "sort_breakdown",
    "table_metric",
]

SortOrder = Literal["worst", "best", "largest", "smallest", "gap", "name", "as given"]
SORT_ORDERS: tuple[str, ...] = ("worst", "best", "largest", "smallest", "gap", "name", "as given")
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
    return values if direction.get("higher_is_better", True) is False else -values


def sort_breakdown(
    frame: pd.DataFrame, metric: str | None = None, by: str = "worst"
) -> pd.DataFrame:
    """The breakdown's slice rows in display order, the ``overall`` rows kept first.

    ``by``: "worst" (failures first; undefined values last), "best",
    "largest"/"smallest" (rows), "gap" (most negative gap first), "name", or "as given".
    """
    if by not in SORT_ORDERS:
        raise ValidationError(f"sort: expected one of {list(SORT_ORDERS)}; received {by!r}.")
    metric = table_metric(frame, metric)
    if by == "as given":
        return frame
    key = badness(frame, metric)
    attrs, frame = frame.attrs, bare(frame)
    is_overall = frame["slice"].astype(str) == _OVERALL
    head, body = frame[is_overall], frame[~is_overall]
    key = key[~is_overall]
    if by in ("worst", "best"):
        order = key.sort_values(ascending=by == "best", na_position="last", kind="stable").index
    elif by in ("largest", "smallest"):
        order = body["n"].sort_values(ascending=by == "smallest", kind="stable").index
    elif by == "gap":
        order = body["gap"].sort_values(na_position="last", kind="stable").index
    else:
        order = body["slice"].astype(str).sort_values(kind="stable").index
    ordered = pd.concat([head, body.loc[order]])
    ordered.attrs = attrs
    return ordered


def _number(value: Any, digits: int = 3, *, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return str(value)


def _q(value: float) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.2g}" if value >= 0.001 else "<0.001"


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: Sequence[bool],
    row_styles: Sequence[str] | None = None,
    row_classes: Sequence[str] | None = None,
    css_class: str = "mlprobe-table",
    caption: str | None = None,
) -> str:
    def align(i: int) -> str:
        return "right" if numeric[i] else "left"

    parts = [f'<table class="{css_class}" style="{TABLE_STYLE}">']
    if caption:
        parts.append(
            f'<caption style="text-align:left;font-weight:bold">{escape(caption)}</caption>'
        )
    parts.append(
        "<thead><tr>"
        + "".join(
            f'<th style="{HEAD_STYLE.format(align=align(i))}">{escape(h)}</th>'
            for i, h in enumerate(header)
        )
        + "</tr></thead><tbody>"
    )
    for r, cells in enumerate(rows):
        style = row_styles[r] if row_styles else ""
        klass = f' class="{row_classes[r]}"' if row_classes and row_classes[r] else ""
        parts.append(
            f'<tr{klass} style="{style}">'
            + "".join(
                f'<td style="{CELL_STYLE.format(align=align(i))}">{escape(c)}</td>'
                for i, c in enumerate(cells)
            )
            + "</tr>"
        )
    parts.append("</tbody></table>")
    return "".join(parts)


def breakdown_html(
    frame: pd.DataFrame,
    metric: str | None = None,
    *,
    sort: str = "as given",
    selected: str | None = None,
    max_rows: int = 500,
) -> str:
    """A breakdown as an HTML table: n, share, the metric with its interval, gap, q-value.

    Slices under ``min_support`` are greyed and flagged "few rows"; the
    ``selected`` slice is highlighted.
    """
    metric = table_metric(frame, metric)
    confidence = frame.attrs.get("confidence", 0.95)
    shown = bare(sort_breakdown(frame, metric, sort)).head(max_rows)
    several_models = shown["model"].nunique() > 1
    header = ["slice"] + (["model"] if several_models else [])
    header += ["n", "share", metric, f"{confidence:.0%} interval", "gap", "q", ""]
    numeric = [False] + ([False] if several_models else [])
    numeric += [True, True, True, True, True, True, False]
    rows, styles, classes = [], [], []
    for record in shown.to_dict("records"):
        value = record[metric]
        low, high = record[f"{metric}_ci_low"], record[f"{metric}_ci_high"]
        interval = "–" if math.isnan(low) else f"[{low:.3f}, {high:.3f}]"
        cells = [str(record["slice"])] + ([str(record["model"])] if several_models else [])
        cells += [
            _number(int(record["n"])),
            f"{record['share']:.1%}",
            _number(value),
            interval,
            _number(record.get("gap", float("nan")), signed=True),
            _q(record.get("q_value", float("nan"))),
            "few rows" if record.get("low_support", False) else "",
        ]
        rows.append(cells)
        style = FAINT_STYLE if record.get("low_support", False) else ""
        if str(record["slice"]) == _OVERALL:
            style += "font-weight:bold;"
        if selected is not None and str(record["slice"]) == selected:
            style += SELECTED_STYLE
        styles.append(style)
        classes.append("mlprobe-selected" if style.endswith(SELECTED_STYLE) else "")
    return _table(header, rows, numeric=numeric, row_styles=styles, row_classes=classes)


def compare_html(frame: pd.DataFrame, *, selected: str | None = None) -> str:
    """A model comparison (``Probe.compare``) as an HTML table, verdicts spelt out."""
    a, b = frame.attrs.get("models", ("a", "b"))
    frame = bare(frame)
    metric = str(frame["metric"].iloc[0]) if len(frame) else "metric"
    header = ["slice", "n", f"{metric} {a}", f"{metric} {b}", "delta", "interval", "q", "verdict"]
    numeric = [False, True, True, True, True, True, True, False]
    rows, styles = [], []
    for record in frame.to_dict("records"):
        low, high = record["delta_ci_low"], record["delta_ci_high"]
        rows.append(
            [
                str(record["slice"]),
                _number(int(record["n"])),
                _number(record["value_a"]),
                _number(record["value_b"]),
                _number(record["delta"], signed=True),
                "–" if math.isnan(low) else f"[{low:+.3f}, {high:+.3f}]",
                _q(record["q_value"]),
                str(record["verdict"]),
            ]
        )
        colour = {"regressed": "color:#b2182b;", "improved": "color:#2166ac;"}
        style = colour.get(str(record["verdict"]), "")
        if selected is not None and str(record["slice"]) == selected:
            style += SELECTED_STYLE
        styles.append(style)
    return _table(header, rows, numeric=numeric, row_styles=styles)


def frame_html(frame: pd.DataFrame, *, index: bool = True, caption: str | None = None) -> str:
    """Any small DataFrame (a confusion matrix, flips, rows) as an escaped HTML table."""
    frame = bare(frame)
    index_name = " / ".join(str(n) for n in frame.index.names if n is not None)
    columns_name = frame.columns.name
    corner = " \\ ".join(x for x in (index_name, str(columns_name or "")) if x)
    header = ([corner] if index else []) + [str(c) for c in frame.columns]
    numeric = ([False] if index else []) + [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        for c in frame.columns
    ]
    rows = []
    for label, values in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = [_number(v) if not isinstance(v, str) else v for v in values]
        rows.append(([str(label)] if index else []) + cells)
    return _table(header, rows, numeric=numeric, caption=caption)
