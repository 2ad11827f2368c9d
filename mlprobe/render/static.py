"""Static copies of charts (SVG made offline by vl-convert), for readers without a kernel.

An executed notebook on GitHub or nbviewer, or a report opened from disk, shows
no JavaScript chart; an SVG image shows everywhere.
"""

from __future__ import annotations

import base64
from typing import Any

import altair as alt

from mlprobe.errors import MlprobeError

__all__ = ["chart_svg", "svg_data_uri", "svg_img"]


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
