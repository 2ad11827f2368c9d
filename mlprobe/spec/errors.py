"""Errors of suite files."""

from __future__ import annotations

from mlprobe.errors import MlprobeError

__all__ = ["RunStoreError", "SuiteFileError"]


class SuiteFileError(MlprobeError, ValueError):
    """A suite file cannot be read: bad YAML/JSON, unsafe content, or a schema violation."""


class RunStoreError(MlprobeError):
    """A run store cannot be opened, read or written: a missing folder, a file that is not a
    database, a store written by a newer mlprobe, a server that refuses the connection."""
