"""Suite files: a versioned, declarative format for slice and group tests, safe load/save, the runner.

Pure data and numbers: this layer never imports display libraries.
"""

from mlprobe.spec.errors import SuiteFileError
from mlprobe.spec.group_test import GROUP_EXPECTATIONS, GroupTest
from mlprobe.spec.result import SuiteResult
from mlprobe.spec.runner import OUTCOMES, TestOutcome, run_test
from mlprobe.spec.schema import FORMAT_VERSION, schema, validate_document
from mlprobe.spec.slice_test import EXPECTATIONS, Baseline, SliceTest
from mlprobe.spec.suite import DEFAULT_FIXTURE, Suite

__all__ = [
    "DEFAULT_FIXTURE",
    "EXPECTATIONS",
    "FORMAT_VERSION",
    "GROUP_EXPECTATIONS",
    "OUTCOMES",
    "Baseline",
    "GroupTest",
    "SliceTest",
    "Suite",
    "SuiteFileError",
    "SuiteResult",
    "TestOutcome",
    "run_test",
    "schema",
    "validate_document",
]
