"""mlprobe: find where ML models fail, slice by slice, and keep them from failing there again.

>>> import mlprobe as mp
>>> s = mp.Slice.parse("age >= 60 and sex == 'Female'", name="older women")
>>> s.to_dict()["and"][0]
{'column': 'age', 'ge': 60}
"""

from mlprobe import datasets
from mlprobe.core.metrics import available_metrics, register_metric, unregister_metric
from mlprobe.core.predicates import col
from mlprobe.core.slices import Slice
from mlprobe.errors import (
    ColumnNotFoundError,
    DataError,
    MlprobeError,
    ParseError,
    UnknownValueWarning,
    ValidationError,
)
from mlprobe.probe import Probe
from mlprobe.spec import Baseline, SliceTest, Suite, SuiteFileError, SuiteResult

__version__ = "0.1.0"

__all__ = [
    "Baseline",
    "ColumnNotFoundError",
    "DataError",
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
    "unregister_metric",
]
