"""Metrics per group: names, values, intervals.

See :mod:`mlprobe.core.metrics.registry` for the names and
:func:`~mlprobe.core.metrics.registry.register_metric` for custom ones.
"""

from mlprobe.core.metrics._base import Metric, MetricValues
from mlprobe.core.metrics.registry import (
    available_metrics,
    default_metrics,
    default_positive,
    register_metric,
    resolve_metric,
    resolve_metrics,
    unregister_metric,
)

__all__ = [
    "Metric",
    "MetricValues",
    "available_metrics",
    "default_metrics",
    "default_positive",
    "register_metric",
    "resolve_metric",
    "resolve_metrics",
    "unregister_metric",
]
