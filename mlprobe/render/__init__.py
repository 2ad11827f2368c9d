"""Charts and tables from tidy DataFrames: a breakdown or a confusion matrix in, a chart out.

This layer draws only: it takes what :class:`mlprobe.Probe` returns and never
computes a metric. It imports altair, never ipywidgets or IPython.
"""

from mlprobe.render.charts import breakdown_chart, confusion_chart

__all__ = ["breakdown_chart", "confusion_chart"]
