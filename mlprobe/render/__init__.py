"""Charts and tables from tidy DataFrames: a breakdown or a confusion matrix in, a chart out.

This layer draws only: it takes what :class:`mlprobe.Probe` returns and never
computes a metric. It imports altair, never ipywidgets or IPython. The names
below load on first use, so that importing :mod:`mlprobe.render.display` (which
every result of the probe uses) does not load altair.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlprobe.render.charts import breakdown_chart, compare_chart, confusion_chart
    from mlprobe.render.display import ResultFrame, as_result, set_display
    from mlprobe.render.history_charts import trend_chart, trend_spec
    from mlprobe.render.static import chart_svg, svg_data_uri, svg_img
    from mlprobe.render.tables import breakdown_html, compare_html, frame_html

#: public name -> the module that defines it
_LAZY = {
    "breakdown_chart": "mlprobe.render.charts",
    "compare_chart": "mlprobe.render.charts",
    "confusion_chart": "mlprobe.render.charts",
    "ResultFrame": "mlprobe.render.display",
    "as_result": "mlprobe.render.display",
    "set_display": "mlprobe.render.display",
    "trend_chart": "mlprobe.render.history_charts",
    "trend_spec": "mlprobe.render.history_charts",
    "chart_svg": "mlprobe.render.static",
    "svg_data_uri": "mlprobe.render.static",
    "svg_img": "mlprobe.render.static",
    "breakdown_html": "mlprobe.render.tables",
    "compare_html": "mlprobe.render.tables",
    "frame_html": "mlprobe.render.tables",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'mlprobe.render' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "ResultFrame",
    "as_result",
    "breakdown_chart",
    "breakdown_html",
    "chart_svg",
    "compare_chart",
    "compare_html",
    "confusion_chart",
    "frame_html",
    "set_display",
    "svg_data_uri",
    "svg_img",
    "trend_chart",
    "trend_spec",
]
