"""The interactive explorer (ipywidgets): UI state and wiring only.

Every number comes from :class:`mlprobe.Probe`; every chart and table from
:mod:`mlprobe.render`. Nothing here computes a metric.
"""

from mlprobe.widgets.explorer import Explorer
from mlprobe.widgets.state import ExplorerState

__all__ = ["Explorer", "ExplorerState"]
