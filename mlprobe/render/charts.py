"""Altair charts of breakdowns (metric per slice, with intervals) and confusion matrices.

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

import altair as alt
import numpy as np
import pandas as pd

from mlprobe.errors import ValidationError, did_you_mean

__all__ = ["breakdown_chart", "confusion_chart"]

_OVERALL = "overall"


def _chart_metric(frame: pd.DataFrame, metric: str | None) -> str:
    metrics = list(frame.attrs.get("metrics", []))
    if not metrics:
        metrics = [c[: -len("_ci_low")] for c in frame.columns if c.endswith("_ci_low")]
    if not metrics:
        raise ValidationError(
            "breakdown_chart: expected a table from Probe.breakdown (with m, m_ci_low, m_ci_high "
            f"columns); received the columns {list(frame.columns)}."
        )
    if metric is None:
        return metrics[0]
    if metric not in metrics:
        raise ValidationError(
            f"breakdown_chart: metric {metric!r} is not in this breakdown.{did_you_mean(metric, metrics)}"
            f" Its metrics: {metrics}."
        )
    return metric


def breakdown_chart(
    frame: pd.DataFrame, metric: str | None = None, *, width: int = 420
) -> alt.TopLevelMixin:
    """A dot per slice (and model) with its interval, the overall value as a dashed line.

    Slices with fewer rows than ``min_support`` are drawn faint and say so in
    their tooltip. ``frame`` is what :meth:`mlprobe.Probe.breakdown` returns.
    """
    metric = _chart_metric(frame, metric)
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
            "support": np.where(frame["low_support"], "too few rows", "enough rows")
            if "low_support" in frame
            else "enough rows",
        }
    )
    overall = rows[rows["slice"] == _OVERALL]
    slices = rows[rows["slice"] != _OVERALL]
    order = (
        slices.groupby("slice", sort=False)["value"]
        .mean()
        .sort_values(kind="stable")
        .index.tolist()
    )
    several_models = rows["model"].nunique() > 1
    color = alt.Color("model:N", title="model") if several_models else alt.value("#1f77b4")
    y = alt.Y("slice:N", sort=order, title=None)
    x_title = f"{metric} ({frame.attrs.get('confidence', 0.95):.0%} interval)"
    base = alt.Chart(slices).encode(y=y, yOffset="model:N" if several_models else alt.Undefined)
    intervals = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("low:Q", title=x_title, scale=alt.Scale(zero=False), axis=alt.Axis(tickCount=6)),
        x2="high:Q",
        color=color,
        opacity=alt.Opacity(
            "support:N",
            scale=alt.Scale(domain=["enough rows", "too few rows"], range=[0.9, 0.3]),
            title="support",
        ),
    )
    points = base.mark_point(filled=True, size=60).encode(
        x="value:Q",
        color=color,
        opacity=alt.Opacity(
            "support:N", scale=alt.Scale(domain=["enough rows", "too few rows"], range=[1.0, 0.35])
        ),
        tooltip=[
            alt.Tooltip("slice:N"),
            alt.Tooltip("model:N"),
            alt.Tooltip("n:Q", format=","),
            alt.Tooltip("value:Q", title=metric, format=".3f"),
            alt.Tooltip("low:Q", title="interval low", format=".3f"),
            alt.Tooltip("high:Q", title="interval high", format=".3f"),
            alt.Tooltip("gap:Q", title="gap to the rest", format="+.3f"),
            alt.Tooltip("q_value:Q", title="q-value", format=".2g"),
            alt.Tooltip("support:N"),
        ],
    )
    reference = (
        alt.Chart(overall)
        .mark_rule(strokeDash=[4, 4])
        .encode(
            x="value:Q",
            color=color,
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("value:Q", title=f"overall {metric}", format=".3f"),
            ],
        )
    )
    height = max(60, 22 * len(order) * (rows["model"].nunique() if several_models else 1))
    return alt.layer(reference, intervals, points).properties(
        width=width, height=height, title=f"{metric} by slice"
    )


def confusion_chart(confusion: pd.DataFrame, *, title: str = "confusion") -> alt.TopLevelMixin:
    """A heatmap of a K x K confusion table (``Probe.confusion``): true classes down, predicted across.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame([[5, 1], [2, 7]], index=pd.Index(["a", "b"], name="true"),
    ...                      columns=pd.Index(["a", "b"], name="predicted"))
    >>> confusion_chart(table).to_dict()["layer"][0]["mark"]["type"]
    'rect'
    """
    labels = [str(c) for c in confusion.columns]
    long = pd.DataFrame(
        {
            "true": np.repeat([str(i) for i in confusion.index], len(labels)),
            "predicted": np.tile(labels, len(confusion.index)),
            "value": confusion.to_numpy(dtype=float).ravel(),
        }
    )
    is_share = not np.allclose(long["value"].fillna(0) % 1, 0)
    text_format = ".2f" if is_share else ",.0f"
    base = alt.Chart(long).encode(
        x=alt.X("predicted:N", sort=labels, title="predicted", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("true:N", sort=[str(i) for i in confusion.index], title="true"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "value:Q", scale=alt.Scale(scheme="blues"), title="share" if is_share else "rows"
        ),
        tooltip=["true:N", "predicted:N", alt.Tooltip("value:Q", format=text_format)],
    )
    numbers = base.mark_text(baseline="middle").encode(
        text=alt.Text("value:Q", format=text_format),
        color=alt.condition(
            alt.datum.value > float(long["value"].max()) / 2, alt.value("white"), alt.value("black")
        ),
    )
    side = max(120, 40 * len(labels))
    return alt.layer(cells, numbers).properties(width=side, height=side, title=title)
