"""Shared pytest setup: make the helper modules in tests/ (e.g. ``strategies``) importable."""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

pytest_plugins = ["pytester"]

# pytester's in-process runs forget the modules first imported inside them; a run that
# records (--mlprobe-record) imports SQLAlchemy there, and the outer test's next use of
# SQLAlchemy would then load a second copy whose classes the first copy's caches do not
# know ("'InternalTraversal' object is not callable"). Imported here, it is one copy for
# the whole session, whichever test runs first.
import sqlalchemy  # noqa: E402, F401
