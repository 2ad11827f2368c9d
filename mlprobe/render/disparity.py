"""Disparities (``Probe.disparity``) in words and as an HTML table, for the explorer and report.

Examples
--------
>>> import pandas as pd
>>> import mlprobe as mp
>>> df = pd.DataFrame({"g": ["a", "b"] * 50, "y": [0, 0, 1, 1] * 25, "p": [0, 1, 1, 1] * 25})
>>> table = mp.Probe(df, target="y", predictions="p").disparity("g", "fpr")
>>> print(disparity_sentence(table.iloc[0], confidence=0.95))
fpr differs by 1.000 [0.667, 1.000] between g == 'b' (1.000) and g == 'a' (0.000), 2 groups; ratio 0.000 [0.000, 0.200]; p < 0.001.
>>> "<table" in disparity_html(table)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from mlprobe.core.number_format import format_level
from mlprobe.render.tables import (
    ELLIPSIS,
    HELP,
    Cell,
    _table,
    bare,
    format_interval,
    format_number,
    format_q,
)

__all__ = ["disparity_html", "disparity_sentence"]


def _named(record: Mapping[Any, Any]) -> str:
    metric, component = str(record["metric"]), str(record.get("component") or record["metric"])
    return metric if component == metric else f"{metric} ({component})"


def disparity_sentence(record: Mapping[Any, Any], *, confidence: float) -> str:
    """One row of a disparity table as a sentence: the gap, between whom, how sure.

    ``confidence`` only names the interval's level in words when it is not 95%.
    """
    excluded = list(record.get("excluded") or [])
    not_compared = f" Not compared: {'; '.join(excluded)}." if excluded else ""
    if record["groups"] is None or int(record["groups"]) < 2 or pd.isna(record["difference"]):
        return (
            f"{_named(record)}: fewer than two groups could be compared, so no disparity."
            + not_compared
        )
    level = "" if abs(confidence - 0.95) < 1e-12 else f" ({format_level(confidence)} interval)"
    text = (
        f"{_named(record)} differs by {format_number(record['difference'])}"
        f" {format_interval(record['difference_ci_low'], record['difference_ci_high'])}{level}"
        f" between {record['max_group']} ({format_number(record['max_value'])})"
        f" and {record['min_group']} ({format_number(record['min_value'])}),"
        f" {int(record['groups'])} groups"
    )
    if not pd.isna(record["ratio"]):
        text += (
            f"; ratio {format_number(record['ratio'])}"
            f" {format_interval(record['ratio_ci_low'], record['ratio_ci_high'])}"
        )
    p = format_q(record["p_value"])
    return text + f"; p {p if p.startswith('<') else '= ' + p}." + not_compared


def disparity_html(frame: pd.DataFrame) -> str:
    """A disparity table: per row its metric, model, groups, extremes, difference, ratio, p."""
    data = bare(frame)
    several = data["model"].nunique() > 1
    header: list[str | Cell] = [Cell("metric")]
    if several:
        header.append(Cell("model"))
    header += [
        Cell("groups"),
        Cell("lowest"),
        Cell("highest"),
        Cell("difference", HELP["difference"]),
        Cell("interval", HELP["difference"]),
        Cell("ratio", HELP["ratio"]),
        Cell("interval", HELP["ratio"]),
        Cell("p", HELP["p"]),
        Cell("not compared", HELP["excluded"]),
    ]
    rows: list[list[str | Cell]] = []
    for record in data.to_dict("records"):
        cells: list[str | Cell] = [_named(record)]
        if several:
            cells.append(str(record["model"]))
        excluded = list(record.get("excluded") or [])

        def extreme(side: str, record: Mapping[Any, Any] = record) -> Cell:
            group = record[f"{side}_group"]
            if group is None or pd.isna(group):
                return Cell("–")
            text = f"{group} ({format_number(record[f'{side}_value'])})"
            return Cell(text, title=text, style=ELLIPSIS)

        cells += [
            format_number(record["groups"]),
            extreme("min"),
            extreme("max"),
            format_number(record["difference"]),
            format_interval(record["difference_ci_low"], record["difference_ci_high"]),
            format_number(record["ratio"]),
            format_interval(record["ratio_ci_low"], record["ratio_ci_high"]),
            format_q(record["p_value"]),
            Cell(str(len(excluded)) if excluded else "", title="; ".join(excluded)),
        ]
        rows.append(cells)
    numeric = [False] * (2 if several else 1) + [True, False, False] + [True] * 6
    return _table(header, rows, numeric=numeric, css_class="mlprobe-table mlprobe-disparity")
