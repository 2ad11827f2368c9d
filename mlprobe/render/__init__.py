"""Charts and tables from tidy DataFrames: a breakdown or a confusion matrix in, a chart out.

This layer draws only: it takes what :class:`mlprobe.Probe` returns and never
computes a metric. It imports altair, never ipywidgets or IPython.
"""

from mlprobe.render.charts import breakdown_chart, compare_chart, confusion_chart
from mlprobe.render.static import chart_svg, svg_data_uri, svg_img
from mlprobe.render.tables import breakdown_html, compare_html, frame_html

__all__ = [
    "breakdown_chart",
    "breakdown_html",
    "chart_svg",
    "compare_chart",
    "compare_html",
    "confusion_chart",
    "frame_html",
    "svg_data_uri",
    "svg_img",
]
