"""mlprobe: find where ML models fail, slice by slice, and keep them from failing there again.

The public names below load on first use, so ``import mlprobe`` (and the pytest
plugin, which every pytest session in the environment loads) stays cheap.

>>> import mlprobe as mp
>>> s = mp.Slice.parse("age >= 60 and sex == 'Female'", name="older women")
>>> s.to_dict()["and"][0]
{'column': 'age', 'ge': 60}
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mlprobe.errors import (
    ColumnNotFoundError,
    DataError,
    MlprobeError,
    ParseError,
    UnknownValueWarning,
    ValidationError,
)

if TYPE_CHECKING:
    from mlprobe import datasets
    from mlprobe.core.metrics import available_metrics, register_metric, unregister_metric
    from mlprobe.core.slicing.predicates import col
    from mlprobe.core.slicing.slices import Slice
    from mlprobe.history import History
    from mlprobe.probe import Probe
    from mlprobe.render.display import set_display
    from mlprobe.spec import Baseline, GroupTest, SliceTest, Suite, SuiteFileError, SuiteResult

from mlprobe._version import __version__

#: public name -> the module that defines it
_LAZY = {
    "Probe": "mlprobe.probe",
    "History": "mlprobe.history",
    "Slice": "mlprobe.core.slicing.slices",
    "col": "mlprobe.core.slicing.predicates",
    "available_metrics": "mlprobe.core.metrics",
    "register_metric": "mlprobe.core.metrics",
    "unregister_metric": "mlprobe.core.metrics",
    "Baseline": "mlprobe.spec",
    "GroupTest": "mlprobe.spec",
    "SliceTest": "mlprobe.spec",
    "Suite": "mlprobe.spec",
    "SuiteFileError": "mlprobe.spec",
    "SuiteResult": "mlprobe.spec",
    "set_display": "mlprobe.render.display",
}


def __getattr__(name: str) -> Any:
    if name == "datasets":
        return importlib.import_module("mlprobe.datasets")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'mlprobe' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Baseline",
    "ColumnNotFoundError",
    "DataError",
    "GroupTest",
    "History",
    "MlprobeError",
    "ParseError",
    "Probe",
    "Slice",
    "SliceTest",
    "Suite",
    "SuiteFileError",
    "SuiteResult",
    "UnknownValueWarning",
    "ValidationError",
    "__version__",
    "available_metrics",
    "col",
    "datasets",
    "register_metric",
    "set_display",
    "unregister_metric",
]
