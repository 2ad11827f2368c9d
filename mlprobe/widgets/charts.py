"""Altair's JupyterChart as a live chart area: offline, fast to redraw, clicks sent back to Python.

A redraw sends a plain Vega-Lite specification to the widget; the Altair
chart object is built once, only to declare the click selection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd

__all__ = ["ChartView", "clicked_points"]


def _offline_chart_class() -> type[alt.JupyterChart]:
    # JupyterChart loads vega-embed from a CDN unless told to use the bundle vl-convert ships
    alt.JupyterChart.enable_offline()
    return alt.JupyterChart


def clicked_points(vl_selections: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The points of selection ``name`` in a JupyterChart's raw selection state."""
    signal = (vl_selections.get(name) or {}).get("value") or {}
    points = signal.get("vlPoint", {}).get("or", []) if isinstance(signal, dict) else []
    return [dict(p) for p in points]


def _placeholder(selection: str | None) -> alt.Chart:
    """A tiny chart declaring the point selection ``selection`` (so the widget reports it)."""
    chart = alt.Chart(pd.DataFrame({"x": [0]})).mark_point(opacity=0).encode(x="x:Q")
    if selection is not None:
        chart = chart.add_params(alt.selection_point(name=selection, fields=["x"]))
    return chart


class ChartView:
    """One chart area: :meth:`show` a new specification; ``on_click`` gets the clicked points.

    Parameters
    ----------
    selection : str, optional
        Name of the point selection the shown specifications carry.
    on_click : callable, optional
        Called with the clicked points (dicts of field values) when the user
        clicks a mark. Clearing the selection calls nothing.
    css_class : str
        Class of the widget, for tests and styling.
    """

    def __init__(
        self,
        *,
        selection: str | None = None,
        on_click: Callable[[list[dict[str, Any]]], None] | None = None,
        css_class: str = "mlprobe-chart",
    ) -> None:
        self.widget = _offline_chart_class()(
            _placeholder(selection), embed_options={"actions": False}
        )
        self.widget.add_class(css_class)
        self.spec: dict[str, Any] | None = None
        self._selection = selection
        self._on_click = on_click
        if selection is not None and on_click is not None:
            self.widget.observe(self._selections_changed, names="_vl_selections")

    def show(self, spec: dict[str, Any]) -> None:
        """Draw the Vega-Lite specification ``spec`` (replacing the chart shown)."""
        self.spec = spec
        self.widget.spec = spec

    def _selections_changed(self, change: dict[str, Any]) -> None:
        assert self._selection is not None and self._on_click is not None
        new = clicked_points(change["new"] or {}, self._selection)
        if new and new != clicked_points(change.get("old") or {}, self._selection):
            self._on_click(new)
