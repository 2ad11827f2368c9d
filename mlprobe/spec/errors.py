"""Errors of suite files."""

from __future__ import annotations

from mlprobe.errors import MlprobeError

__all__ = ["SuiteFileError"]


class SuiteFileError(MlprobeError, ValueError):
    """A suite file cannot be read: bad YAML/JSON, unsafe content, or a schema violation."""
