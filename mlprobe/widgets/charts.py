"""Altair's JupyterChart as a live chart area: offline, fast to redraw, clicks sent back to Python.

A redraw sends a plain Vega-Lite specification to the widget; the Altair
chart object is built once, only to declare the click selection.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import altair as alt
import ipywidgets as w
import pandas as pd

from mlprobe.spec.files import write_atomic

__all__ = ["ChartView", "clicked_points"]


def _offline_chart_class() -> type[alt.JupyterChart]:
    """JupyterChart using the vega bundle that vl-convert ships, not a CDN.

    Bundling takes seconds (7 s on a loaded 2-core machine), so the bundle is
    kept in the user's cache directory, keyed by the altair and vl-convert
    versions, and read back in later kernels.
    """
    chart_class = alt.JupyterChart
    if getattr(chart_class, "_is_offline", False):
        return chart_class
    cached = _bundle_cache_path()
    if cached is not None and cached.is_file() and hasattr(chart_class, "_esm"):
        chart_class._esm = cached.read_text(encoding="utf-8")
        chart_class._is_offline = True
        return chart_class
    chart_class.enable_offline()
    bundle = getattr(chart_class, "_esm", None)
    if cached is not None and isinstance(bundle, str):
        with contextlib.suppress(OSError):  # a read-only home only costs the next kernel time
            write_atomic(cached, bundle)
    return chart_class


def _bundle_cache_path() -> Path | None:
    try:
        import vl_convert
    except ImportError:
        return None
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlprobe"
    version = getattr(vl_convert, "__version__", "unknown")
    return root / f"jupyterchart-altair{alt.__version__}-vlconvert{version}.js"


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
        #: the area shown; the chart widget inside is created on the first :meth:`show`
        #: (each chart widget carries vega's ~1 MB of JavaScript to the browser)
        self.widget = w.Box()
        self.widget.add_class(css_class)
        self.chart: alt.JupyterChart | None = None
        self.spec: dict[str, Any] | None = None
        self._selection = selection
        self._on_click = on_click

    def show(self, spec: dict[str, Any]) -> None:
        """Draw the Vega-Lite specification ``spec`` (replacing the chart shown)."""
        if self.chart is None:
            self.chart = _offline_chart_class()(
                _placeholder(self._selection), embed_options={"actions": False}
            )
            if self._selection is not None and self._on_click is not None:
                self.chart.observe(self._selections_changed, names="_vl_selections")
            self.widget.children = [self.chart]
        self.spec = spec
        self.chart.spec = spec

    def _selections_changed(self, change: dict[str, Any]) -> None:
        assert self._selection is not None and self._on_click is not None
        new = clicked_points(change["new"] or {}, self._selection)
        if new and new != clicked_points(change.get("old") or {}, self._selection):
            self._on_click(new)
