"""Skip a Spark test module when pyspark or Java is missing, unless CI requires Spark.

``.ci/run`` sets ``MLPROBE_REQUIRE_SPARK=1``: there a missing Spark is an error, never a skip.
"""

from __future__ import annotations

import os
import shutil
import warnings

import pytest


def skip_without_spark(*, connect: bool = False) -> None:
    """Skip the calling module (at import) without pyspark (and its connect extra) or Java."""
    required = os.environ.get("MLPROBE_REQUIRE_SPARK") == "1"
    try:
        with warnings.catch_warnings():  # PySpark 4.x warns that pandas 3 is "not yet supported"
            warnings.simplefilter("ignore", FutureWarning)
            import pyspark  # noqa: F401

            if connect:
                from pyspark.sql.connect.utils import check_dependencies

                check_dependencies()  # grpcio, grpcio-status, googleapis-common-protos, ...
    except ImportError as error:  # PySparkImportError is an ImportError
        if required:
            raise
        extra = "Spark Connect needs pyspark's connect extra" if connect else "no pyspark"
        pytest.skip(f"{extra} ({error}); pip install 'mlprobe[spark]'", allow_module_level=True)
    if shutil.which("java") is None:
        if required:
            raise RuntimeError("MLPROBE_REQUIRE_SPARK=1 but no `java` is on PATH")
        pytest.skip("Spark needs Java, and no `java` is on PATH", allow_module_level=True)
