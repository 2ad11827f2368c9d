"""A test's trend over model versions: observed value, interval and threshold per recorded run.

Takes the tidy frame of :meth:`mlprobe.History.trend` (one row per run: ``run_id``,
``version``, ``observed``, ``ci_low``, ``ci_high``, ``threshold``, ``outcome``, ...)
and draws it small enough to sit under a test in a criteria document. As in
:mod:`mlprobe.render.charts`, the chart is written as a plain Vega-Lite dict
(:func:`trend_spec`) and offered as an Altair chart (:func:`trend_chart`); an
offline SVG comes from :func:`mlprobe.render.static.chart_svg`.

Examples
--------
>>> import pandas as pd
>>> trend = pd.DataFrame({"run_id": [1, 2, 3], "version": ["v1", "v2", "v2"],
...     "observed": [0.61, 0.60, 0.52], "ci_low": [0.57, 0.56, 0.48],
...     "ci_high": [0.65, 0.64, 0.56], "threshold": [0.55] * 3,
...     "outcome": ["passed", "passed", "failed"]})
>>> spec = trend_spec(trend, title="older-women-recall")
>>> [layer["mark"]["type"] for layer in spec["layer"]]
['rule', 'line', 'line', 'point']
>>> [row["run"] for row in spec["datasets"]["runs"]]
['v1', 'v2', 'v2 (2)']
>>> trend_spec(trend.iloc[:0])["layer"][0]["mark"]["type"]
'text'
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from mlprobe.core.number_format import D3_COUNT, D3_NUMBER
from mlprobe.errors import ValidationError

__all__ = ["OUTCOME_COLOURS", "trend_chart", "trend_spec"]

#: outcome -> colour, as the suite results show them
OUTCOME_COLOURS = {
    "passed": "#1a7f37",
    "failed": "#cf222e",
    "inconclusive": "#9a6700",
    "error": "#8250df",
}
_NEEDED = ("version", "observed")
Spec = dict[str, Any]


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    return value


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    if name not in frame.columns:
        return [None] * len(frame)
    return [_json_value(v) for v in frame[name].tolist()]


def _labels(versions: list[str]) -> list[str]:
    """One x label per run: the version, ``v2 (2)`` for its second run, and so on."""
    seen: dict[str, int] = {}
    labels = []
    for version in versions:
        seen[version] = seen.get(version, 0) + 1
        labels.append(version if seen[version] == 1 else f"{version} ({seen[version]})")
    return labels


def trend_spec(
    trend: pd.DataFrame,
    *,
    title: str | None = None,
    metric: str | None = None,
    width: int = 260,
    height: int = 90,
) -> Spec:
    """The Vega-Lite specification of a test's trend (a dict), one point per recorded run.

    Parameters
    ----------
    trend : DataFrame
        :meth:`mlprobe.History.trend` output: ``version`` and ``observed`` are
        needed; ``run_id`` (order), ``ci_low``/``ci_high`` (interval), ``threshold``
        (dashed line), ``outcome`` (colour), ``n`` and ``recorded_at`` (tooltip)
        are used when present.
    title : str, optional
        Shown above the chart (e.g. the test id).
    metric : str, optional
        The y-axis title (default ``observed``).
    width, height : int
        The plot's size in pixels.

    Returns
    -------
    dict
        A layered Vega-Lite spec: interval rules, threshold line, value line, points
        coloured by outcome. A frame without runs gives a one-line "no runs recorded"
        chart.
    """
    if not isinstance(trend, pd.DataFrame):
        raise ValidationError(
            f"trend_spec: expected the DataFrame of History.trend(test_id); received "
            f"{type(trend).__name__}."
        )
    missing = [c for c in _NEEDED if c not in trend.columns]
    if missing:
        raise ValidationError(
            f"trend_spec: the trend frame lacks the column(s) {missing}; pass "
            f"History.trend(test_id) (columns: {', '.join(map(str, trend.columns)) or 'none'})."
        )
    frame = trend.sort_values("run_id", kind="stable") if "run_id" in trend else trend
    versions = [str(v) for v in frame["version"].tolist()]
    labels = _labels(versions)
    outcomes = [str(o) if o is not None else "" for o in _column(frame, "outcome")]
    dates = [None if pd.isna(t) else str(t)[:19] for t in _column(frame, "recorded_at")]
    rows = [
        {
            "run": label,
            "version": version,
            "observed": observed,
            "ci_low": low,
            "ci_high": high,
            "threshold": threshold,
            "outcome": outcome,
            "n": n,
            "recorded": date,
        }
        for label, version, observed, low, high, threshold, outcome, n, date in zip(
            labels,
            versions,
            _column(frame, "observed"),
            _column(frame, "ci_low"),
            _column(frame, "ci_high"),
            _column(frame, "threshold"),
            outcomes,
            _column(frame, "n"),
            dates,
            strict=True,
        )
    ]
    top: Spec = {
        "$schema": alt.SCHEMA_URL,
        "config": {"view": {"stroke": None}, "axis": {"labelFontSize": 10, "titleFontSize": 10}},
        "width": width,
        "height": height,
        "datasets": {"runs": rows},
    }
    if title is not None:
        top["title"] = {"text": str(title), "fontSize": 11, "anchor": "start"}
    if not rows:
        return {
            **top,
            "layer": [
                {
                    "data": {"values": [{"text": "no runs recorded"}]},
                    "mark": {"type": "text", "color": "#57606a"},
                    "encoding": {"text": {"field": "text", "type": "nominal"}},
                }
            ],
        }
    x: Spec = {
        "field": "run",
        "type": "ordinal",
        "sort": labels,
        "title": None,
        "axis": {"labelAngle": 0},
    }
    y_title = metric or "observed"
    data: Spec = {"name": "runs"}
    colour: Spec = {
        "field": "outcome",
        "type": "nominal",
        "title": "outcome",
        "scale": {"domain": list(OUTCOME_COLOURS), "range": list(OUTCOME_COLOURS.values())},
        "legend": None,
    }
    tooltip = [
        {"field": "version", "type": "nominal"},
        {"field": "outcome", "type": "nominal"},
        {"field": "observed", "type": "quantitative", "format": D3_NUMBER},
        {"field": "ci_low", "type": "quantitative", "title": "interval low", "format": D3_NUMBER},
        {"field": "ci_high", "type": "quantitative", "title": "interval high", "format": D3_NUMBER},
        {"field": "threshold", "type": "quantitative", "format": D3_NUMBER},
        {"field": "n", "type": "quantitative", "format": D3_COUNT},
        {"field": "recorded", "type": "nominal"},
    ]
    return {
        **top,
        "layer": [
            {
                "data": data,
                "mark": {"type": "rule", "strokeWidth": 2, "opacity": 0.5},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "ci_low",
                        "type": "quantitative",
                        "title": y_title,
                        "scale": {"zero": False},
                        "axis": {"tickCount": 4},
                    },
                    "y2": {"field": "ci_high"},
                    "color": colour,
                },
            },
            {
                "data": data,
                "mark": {"type": "line", "strokeDash": [4, 3], "color": "#57606a"},
                "encoding": {"x": x, "y": {"field": "threshold", "type": "quantitative"}},
            },
            {
                "data": data,
                "mark": {"type": "line", "color": "#8c959f", "strokeWidth": 1},
                "encoding": {"x": x, "y": {"field": "observed", "type": "quantitative"}},
            },
            {
                "data": data,
                "mark": {"type": "point", "filled": True, "size": 50, "opacity": 1},
                "encoding": {
                    "x": x,
                    "y": {"field": "observed", "type": "quantitative"},
                    "color": colour,
                    "tooltip": tooltip,
                },
            },
        ],
    }


def trend_chart(
    trend: pd.DataFrame,
    *,
    title: str | None = None,
    metric: str | None = None,
    width: int = 260,
    height: int = 90,
) -> alt.LayerChart:
    """:func:`trend_spec` as an Altair chart (display it, save it, style it further)."""
    spec = trend_spec(trend, title=title, metric=metric, width=width, height=height)
    return alt.LayerChart.from_dict(spec, validate=False)
