"""Charts of breakdowns (metric per slice, with intervals), confusion matrices and comparisons.

Each chart is written as a plain Vega-Lite specification (``*_spec`` functions,
a dict in a millisecond) and offered as an Altair chart (``*_chart``) for
display, saving and further styling. The explorer sends the specifications
straight to its chart widgets; building them through Altair's object API
would cost ~100x more per redraw.

Examples
--------
>>> import pandas as pd
>>> import mlprobe as mp
>>> df = pd.DataFrame({"g": list("aabbbb"), "y": [1, 0, 1, 1, 0, 0], "p": [1, 1, 1, 0, 0, 0]})
>>> table = mp.Probe(df, target="y", predictions="p").breakdown(by="g", metrics=["accuracy"])
>>> chart = breakdown_chart(table)
>>> [layer["mark"]["type"] for layer in chart.to_dict()["layer"]]
['rule', 'rule', 'point']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from mlprobe.core.analyses.breakdown import overall_rows
from mlprobe.core.number_format import (
    D3_COUNT,
    D3_NUMBER,
    D3_SHARE,
    D3_SIGNED,
    format_level,
    format_q,
)
from mlprobe.errors import ValidationError
from mlprobe.render.tables import badness, bare, table_metric

__all__ = [
    "CELL_SELECTION",
    "SLICE_SELECTION",
    "breakdown_chart",
    "breakdown_spec",
    "compare_chart",
    "compare_spec",
    "confusion_chart",
    "confusion_spec",
    "fit_container_width",
]

#: names of the click selections that ``selectable`` charts carry
SLICE_SELECTION = "pick"
CELL_SELECTION = "cell"
SUPPORT_LEVELS = ["enough rows", "too few rows"]
#: opacity of the marks of slices with enough rows and with too few
SUPPORT_OPACITY = [1.0, 0.35]
ONE_COLOUR = "#1f77b4"
Spec = dict[str, Any]


def _json_value(value: Any) -> Any:
    """A JSON-ready scalar: numpy as Python, NaN as null."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = list(frame.columns)
    return [
        {c: _json_value(v) for c, v in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _top(spec: Spec) -> Spec:
    return {"$schema": alt.SCHEMA_URL, "config": {"view": {"stroke": None}}, **spec}


#: where a spec says it may be drawn as wide as its container (see :func:`fit_container_width`)
_STRETCH = {"mlprobe": {"fit_width": True}}


def _stretchable(width: int | str) -> Spec:
    """The size keys of a chart ``width`` px wide (or ``"container"``) that may stretch."""
    sizing: Spec = {"width": width, "usermeta": _STRETCH}
    if width == "container":
        sizing["autosize"] = {"type": "fit-x", "contains": "padding"}
    return sizing


def fit_container_width(spec: Spec) -> Spec:
    """``spec`` drawn as wide as the element that holds it, if it may stretch; else ``spec``.

    Breakdown and comparison charts may stretch: a live chart then follows the
    width of its pane (vega-lite's ``"width": "container"``, with the axis
    labels and legend inside that width). A chart drawn offline (SVG) keeps
    its fixed ``width``.

    >>> fit_container_width({"width": 420, "usermeta": _STRETCH})["width"]
    'container'
    >>> fit_container_width({"width": 120})["width"]
    120
    """
    if (spec.get("usermeta") or {}).get("mlprobe", {}).get("fit_width") is not True:
        return spec
    return {**spec, **_stretchable("container")}


def _as_chart(spec: Spec) -> alt.LayerChart:
    return alt.LayerChart.from_dict(spec, validate=False)


# --- breakdown -----------------------------------------------------------------------------


def breakdown_spec(
    frame: pd.DataFrame,
    metric: str | None = None,
    *,
    width: int | str = 420,
    order: Sequence[str] | None = None,
    selectable: bool = False,
    label_limit: int = 360,
) -> Spec:
    """The Vega-Lite specification of :func:`breakdown_chart` (a dict).

    ``label_limit`` caps the slice names on the axis (pixels; the tooltip has the full name).
    ``width`` is the plot's width in pixels, or ``"container"``: as wide as the element the
    chart is drawn in, labels and legend included (live charts may stretch either way, see
    :func:`fit_container_width`).
    """
    try:
        metric = table_metric(frame, metric)
    except ValidationError as error:
        raise ValidationError(f"breakdown_chart: {error}") from None
    confidence = frame.attrs.get("confidence", 0.95)
    worst = badness(frame, metric)
    frame = bare(frame)
    rows = pd.DataFrame(
        {
            "slice": frame["slice"].astype(str),
            "model": frame["model"].astype(str),
            "n": frame["n"].astype(int),
            "value": frame[metric].astype(float),
            "low": frame[f"{metric}_ci_low"].astype(float),
            "high": frame[f"{metric}_ci_high"].astype(float),
            "gap": frame["gap"].astype(float) if "gap" in frame else np.nan,
            "q_value": frame["q_value"].astype(float) if "q_value" in frame else np.nan,
            # the tooltip's q as every table writes it ("< 0.001", never "0")
            "q": frame["q_value"].map(format_q) if "q_value" in frame else format_q(None),
            "support": np.where(frame["low_support"], *reversed(SUPPORT_LEVELS))
            if "low_support" in frame
            else SUPPORT_LEVELS[0],
        }
    )
    is_overall = overall_rows(frame)
    overall, slices = rows[is_overall], rows[~is_overall]
    if order is None:
        order = (
            pd.Series(worst[~is_overall].to_numpy(), index=slices["slice"].to_numpy())
            .groupby(level=0, sort=False)
            .mean()
            .sort_values(ascending=False, kind="stable", na_position="last")
            .index.tolist()
        )
    else:
        order = [str(name) for name in order]  # slice names: the overall rows are apart
    n_models = rows["model"].nunique()
    colour: Spec = (
        {"field": "model", "type": "nominal", "title": "model"}
        if n_models > 1
        else {"value": ONE_COLOUR}
    )
    y: Spec = {
        "field": "slice",
        "type": "nominal",
        "sort": list(order),
        "title": None,
        "axis": {"labelLimit": label_limit},
    }
    shared: Spec = {"y": y, **({"yOffset": {"field": "model"}} if n_models > 1 else {})}
    x_title = f"{metric} ({format_level(confidence)} interval)"
    # one opacity scale for both layers (two ranges conflict); ordinal with an explicit sort,
    # since vega-lite warns about an unsorted discrete field on an ordered channel
    opacity: Spec = {
        "field": "support",
        "type": "ordinal",
        "sort": SUPPORT_LEVELS,
        "title": "support",
        "scale": {"domain": SUPPORT_LEVELS, "range": SUPPORT_OPACITY},
    }
    intervals: Spec = {
        "data": {"name": "slices"},
        "mark": {"type": "rule", "strokeWidth": 2},
        "encoding": {
            **shared,
            "x": {
                "field": "low",
                "type": "quantitative",
                "title": x_title,
                "scale": {"zero": False},
                "axis": {"tickCount": 6},
            },
            "x2": {"field": "high"},
            "color": colour,
            "opacity": opacity,
        },
    }
    points: Spec = {
        "data": {"name": "slices"},
        "mark": {"type": "point", "filled": True, "size": 60},
        "encoding": {
            **shared,
            "x": {"field": "value", "type": "quantitative"},
            "color": colour,
            "opacity": opacity,
            "tooltip": [
                {"field": "slice", "type": "nominal"},
                {"field": "model", "type": "nominal"},
                {"field": "n", "type": "quantitative", "format": D3_COUNT},
                {"field": "value", "type": "quantitative", "title": metric, "format": D3_NUMBER},
                {
                    "field": "low",
                    "type": "quantitative",
                    "title": "interval low",
                    "format": D3_NUMBER,
                },
                {
                    "field": "high",
                    "type": "quantitative",
                    "title": "interval high",
                    "format": D3_NUMBER,
                },
                {
                    "field": "gap",
                    "type": "quantitative",
                    "title": "gap to the rest",
                    "format": D3_SIGNED,
                },
                {"field": "q", "type": "nominal", "title": "q-value"},
                {"field": "support", "type": "nominal"},
            ],
        },
    }
    if selectable:
        points["params"] = [
            {"name": SLICE_SELECTION, "select": {"type": "point", "fields": ["slice"]}}
        ]
    reference: Spec = {
        "data": {"name": "overall"},
        "mark": {"type": "rule", "strokeDash": [4, 4]},
        "encoding": {
            "x": {"field": "value", "type": "quantitative"},
            "color": colour,
            "tooltip": [
                {"field": "model", "type": "nominal"},
                {
                    "field": "value",
                    "type": "quantitative",
                    "title": f"overall {metric}",
                    "format": D3_NUMBER,
                },
            ],
        },
    }
    height = max(60, 22 * len(order) * (n_models if n_models > 1 else 1))
    return _top(
        {
            "config": {
                "view": {"stroke": None},
                "legend": {"orient": "bottom", "direction": "horizontal"},
            },
            "datasets": {"slices": _records(slices), "overall": _records(overall)},
            "layer": [reference, intervals, points],
            **_stretchable(width),
            "height": height,
            "title": f"{metric} by slice",
        }
    )


def breakdown_chart(
    frame: pd.DataFrame,
    metric: str | None = None,
    *,
    width: int = 420,
    order: Sequence[str] | None = None,
    selectable: bool = False,
) -> alt.LayerChart:
    """A dot per slice (and model) with its interval, the overall value as a dashed line.

    Slices with fewer rows than ``min_support`` are drawn faint and say so in
    their tooltip. ``frame`` is what :meth:`mlprobe.Probe.breakdown` returns.

    Parameters
    ----------
    metric : str, optional
        One of the table's metrics (default its first).
    order : list of str, optional
        Slice names top to bottom; default worst first (by the metric's direction).
    selectable : bool
        Add a point selection named ``pick`` on the field ``slice`` (clicking a
        dot selects its slice, which ``altair.JupyterChart`` reports to Python).
    """
    return _as_chart(breakdown_spec(frame, metric, width=width, order=order, selectable=selectable))


# --- confusion -------------------------------------------------------------------------------


def confusion_spec(
    confusion: pd.DataFrame, *, title: str = "confusion", selectable: bool = False
) -> Spec:
    """The Vega-Lite specification of :func:`confusion_chart` (a dict)."""
    labels = [str(c) for c in confusion.columns]
    true_labels = [str(i) for i in confusion.index]
    values = confusion.to_numpy(dtype=float)
    cells = [
        {"true": t, "predicted": p, "value": _json_value(values[i, j])}
        for i, t in enumerate(true_labels)
        for j, p in enumerate(labels)
    ]
    present = values[np.isfinite(values)]
    is_share = bool(len(present)) and not np.allclose(present % 1, 0)
    text_format = D3_SHARE if is_share else D3_COUNT
    shared: Spec = {
        "x": {
            "field": "predicted",
            "type": "nominal",
            "sort": labels,
            "title": "predicted",
            "axis": {"labelAngle": 0},
        },
        "y": {"field": "true", "type": "nominal", "sort": true_labels, "title": "true"},
    }
    rect: Spec = {
        "mark": {"type": "rect"},
        "encoding": {
            **shared,
            "color": {
                "field": "value",
                "type": "quantitative",
                "scale": {"scheme": "blues"},
                "title": "share" if is_share else "rows",
            },
            "tooltip": [
                {"field": "true", "type": "nominal"},
                {"field": "predicted", "type": "nominal"},
                {"field": "value", "type": "quantitative", "format": text_format},
            ],
        },
    }
    if selectable:
        rect["params"] = [
            {"name": CELL_SELECTION, "select": {"type": "point", "fields": ["true", "predicted"]}}
        ]
    half = float(present.max()) / 2 if len(present) else 0.0
    text: Spec = {
        "mark": {"type": "text", "baseline": "middle"},
        "encoding": {
            **shared,
            "text": {"field": "value", "type": "quantitative", "format": text_format},
            "color": {
                "condition": {"test": f"datum.value > {half!r}", "value": "white"},
                "value": "black",
            },
        },
    }
    side = max(120, 40 * len(labels))
    return _top(
        {
            "data": {"values": cells},
            "layer": [rect, text],
            "width": side,
            "height": side,
            "title": title,
        }
    )


def confusion_chart(
    confusion: pd.DataFrame, *, title: str = "confusion", selectable: bool = False
) -> alt.LayerChart:
    """A heatmap of a K x K confusion table (``Probe.confusion``): true classes down, predicted across.

    ``selectable`` adds a point selection named ``cell`` on the fields ``true``
    and ``predicted`` (the class labels as text).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame([[5, 1], [2, 7]], index=pd.Index(["a", "b"], name="true"),
    ...                      columns=pd.Index(["a", "b"], name="predicted"))
    >>> confusion_chart(table).to_dict()["layer"][0]["mark"]["type"]
    'rect'
    """
    return _as_chart(confusion_spec(confusion, title=title, selectable=selectable))


# --- comparison ------------------------------------------------------------------------------

#: a metric with no better direction (a selection rate) changes "higher" or "lower"
VERDICTS = ["regressed", "improved", "no detectable change", "too few rows", "higher", "lower"]
VERDICT_COLOURS = ["#b2182b", "#2166ac", "#888888", "#cccccc", "#5e3c99", "#e08214"]


def compare_spec(comparison: pd.DataFrame, *, width: int | str = 420) -> Spec:
    """The Vega-Lite specification of :func:`compare_chart` (a dict); ``width`` as in
    :func:`breakdown_spec`."""
    a, b = comparison.attrs.get("models", ("a", "b"))
    comparison = bare(comparison)
    metric = str(comparison["metric"].iloc[0]) if len(comparison) else "metric"
    rows = pd.DataFrame(
        {
            "slice": comparison["slice"].astype(str),
            "n": comparison["n"].astype(int),
            "delta": comparison["delta"].astype(float),
            "low": comparison["delta_ci_low"].astype(float),
            "high": comparison["delta_ci_high"].astype(float),
            "verdict": comparison["verdict"].astype(str),
        }
    )
    colour: Spec = {
        "field": "verdict",
        "type": "nominal",
        "scale": {"domain": VERDICTS, "range": VERDICT_COLOURS},
    }
    y: Spec = {"field": "slice", "type": "nominal", "sort": rows["slice"].tolist(), "title": None}
    zero: Spec = {
        "data": {"values": [{"zero": 0.0}]},
        "mark": {"type": "rule", "color": "#444"},
        "encoding": {"x": {"field": "zero", "type": "quantitative"}},
    }
    intervals: Spec = {
        "mark": {"type": "rule", "strokeWidth": 2},
        "encoding": {
            "y": y,
            "x": {"field": "low", "type": "quantitative", "title": f"{metric}: {b} minus {a}"},
            "x2": {"field": "high"},
            "color": colour,
        },
    }
    points: Spec = {
        "mark": {"type": "point", "filled": True, "size": 60},
        "encoding": {
            "y": y,
            "x": {"field": "delta", "type": "quantitative"},
            "color": colour,
            "tooltip": [
                {"field": "slice", "type": "nominal"},
                {"field": "n", "type": "quantitative", "format": D3_COUNT},
                {"field": "delta", "type": "quantitative", "format": D3_SIGNED},
                {"field": "low", "type": "quantitative", "format": D3_SIGNED},
                {"field": "high", "type": "quantitative", "format": D3_SIGNED},
                {"field": "verdict", "type": "nominal"},
            ],
        },
    }
    return _top(
        {
            "data": {"values": _records(rows)},
            "layer": [zero, intervals, points],
            **_stretchable(width),
            "height": max(60, 22 * len(rows)),
            "title": f"{b} vs {a}: change in {metric}",
        }
    )


def compare_chart(comparison: pd.DataFrame, *, width: int = 420) -> alt.LayerChart:
    """Per-slice change between two models (``Probe.compare``): the delta with its interval.

    Regressions are red, improvements blue, no detectable change grey; a
    vertical line marks no change.

    Examples
    --------
    >>> import pandas as pd
    >>> import mlprobe as mp
    >>> df = pd.DataFrame({"g": list("aabb"), "y": [1, 0, 1, 0], "a": [1, 0, 1, 1], "b": [1, 1, 1, 0]})
    >>> table = mp.Probe(df, target="y", predictions={"a": "a", "b": "b"}).compare("a", "b", by="g")
    >>> [layer["mark"]["type"] for layer in compare_chart(table).to_dict()["layer"]]
    ['rule', 'rule', 'point']
    """
    return _as_chart(compare_spec(comparison, width=width))
