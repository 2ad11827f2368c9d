"""Static copies of charts (SVG made offline by vl-convert), for readers without a kernel.

An executed notebook on GitHub or nbviewer, or a report opened from disk, shows
no JavaScript chart; an SVG image shows everywhere.
"""

from __future__ import annotations

import base64
from typing import Any

import altair as alt

from mlprobe.errors import MlprobeError

__all__ = ["chart_svg", "static_copy_style", "svg_data_uri", "svg_img"]

#: the class ipywidgets gives a widget view whose model has no kernel behind it (restored from a
#: saved notebook's widget state); JupyterLab draws a red "disconnected" icon on each such view
DISCONNECTED_CLASS = "jupyter-widgets-disconnected"
#: a cell's output area: JupyterLab and Notebook 7 (``jp-OutputArea``), classic Notebook (``output``)
_OUTPUT_AREAS = (".jp-OutputArea", ".output")


def chart_svg(chart: alt.TopLevelMixin | dict[str, Any]) -> str:
    """A chart (Altair, or a Vega-Lite dict) drawn as SVG text, offline (needs ``vl-convert-python``)."""
    try:
        import vl_convert
    except ImportError:
        raise MlprobeError(
            "static charts need the package vl-convert-python; install it with "
            "`pip install vl-convert-python`."
        ) from None
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    svg: str = vl_convert.vegalite_to_svg(spec)
    return svg


def svg_data_uri(svg: str) -> str:
    """``data:image/svg+xml;base64,...``: an SVG usable as an ``<img>`` source anywhere."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def svg_img(svg: str, *, alt_text: str, css_class: str = "mlprobe-static-chart") -> str:
    """An ``<img>`` tag showing ``svg`` (escaped alt text)."""
    from html import escape

    return f'<img class="{css_class}" alt="{escape(alt_text)}" src="{svg_data_uri(svg)}">'


def static_copy_style(widget_class: str, static_class: str) -> str:
    """A ``<style>`` that shows either a live widget or its static copy, never both.

    A widget (class ``widget_class``) that displays a static copy of itself
    (class ``static_class``) as another output of the same cell puts this
    style inside its own view. Then:

    * the widget is live (a kernel behind it): its static copy is hidden;
    * the widget was restored from a saved notebook's widget state with no
      kernel behind it (ipywidgets marks the view ``jupyter-widgets-disconnected``):
      the dead widget is hidden -- no red "disconnected" icons -- and the static
      copy shows the last state;
    * no widget JavaScript at all (GitHub, nbviewer, an HTML export read offline):
      the style is never rendered and the static copy shows.

    It needs CSS ``:has()`` (every current browser); without it the static copy
    is hidden wherever the style renders, as it used to be.

    >>> "mlprobe-static" in static_copy_style("mlprobe-explorer", "mlprobe-static")
    True
    """
    live = f".{widget_class}:not(.{DISCONNECTED_CLASS})"
    hide_static = ", ".join(f"{area}:has({live}) .{static_class}" for area in _OUTPUT_AREAS)
    return (
        "<style>"
        "@supports selector(:has(a)) {"
        f"{hide_static} {{display: none !important;}}"
        f".{widget_class}.{DISCONNECTED_CLASS} {{display: none !important;}}"
        "}"
        f"@supports not selector(:has(a)) {{.{static_class} {{display: none !important;}}}}"
        "</style>"
    )
